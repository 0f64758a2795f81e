package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/xiaodian/xiaodian/store"
)

func TestSetupOnlyOnce(t *testing.T) {
	a := newTestApp(t)
	resp, _ := a.get(t, "/admin")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/setup" {
		t.Fatalf("fresh /admin: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body := a.get(t, "/admin/setup")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="setup-form"`) || !strings.Contains(body, `data-testid="load-demo"`) {
		t.Fatalf("setup page: %d", resp.StatusCode)
	}
	// A bad form changes nothing and says why.
	resp, body = a.postForm(t, "/admin/setup", url.Values{"username": {"boss"}, "password": {"short"}, "confirm": {"short"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="error-password"`) {
		t.Fatalf("bad setup: %d", resp.StatusCode)
	}
	if has, _ := a.DB.HasOwner(t.Context()); has {
		t.Fatal("a refused setup created an owner")
	}
	a.setupOwner(t)
	resp, body = a.get(t, "/admin")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, testOwner) {
		t.Fatalf("after setup /admin: %d", resp.StatusCode)
	}
	// The setup page is gone once an owner exists, and cannot be replayed.
	resp, _ = a.get(t, "/admin/setup")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("setup page after setup: %d", resp.StatusCode)
	}
	other := newClientFor(a)
	resp, _ = other.postForm(t, "/admin/setup", url.Values{"username": {"intruder"}, "password": {testPassword}, "confirm": {testPassword}})
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("second setup: %d", resp.StatusCode)
	}
	if _, err := a.DB.StaffByUsername(t.Context(), "intruder"); err == nil {
		t.Fatal("second setup created an account")
	}
}

// newClientFor returns a second browser (own cookie jar) on the same shop.
func newClientFor(a *testApp) *testApp {
	b := *a
	jar, _ := newJar()
	b.client = &http.Client{Jar: jar, CheckRedirect: a.client.CheckRedirect}
	return &b
}

func TestLoginLogoutAndSessionRotation(t *testing.T) {
	a := newTestApp(t)
	a.setupOwner(t)
	b := newClientFor(a)
	// Plant a session cookie before login: it must not survive the login.
	resp, _ := b.get(t, "/admin/login?lang=en")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login page: %d", resp.StatusCode)
	}
	resp, body := b.postForm(t, "/admin/login", url.Values{"username": {testOwner}, "password": {"wrong password"}})
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Wrong username or password") {
		t.Fatalf("wrong password: %d", resp.StatusCode)
	}
	before := sessionCookie(b)
	resp, _ = b.postForm(t, "/admin/login", url.Values{"username": {testOwner}, "password": {testPassword}, "next": {"/admin/products"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/products" {
		t.Fatalf("login: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	after := sessionCookie(b)
	if after == "" || after == before {
		t.Fatal("session id was not rotated at login")
	}
	for _, c := range resp.Cookies() {
		if c.Name == sessionName && (!c.HttpOnly || c.SameSite != http.SameSiteLaxMode) {
			t.Fatalf("session cookie flags: %+v", c)
		}
	}
	// A foreign next is ignored.
	if got := safeNext("//evil.example/admin"); got != "" {
		t.Fatalf("safeNext let %q through", got)
	}
	resp, _ = b.postForm(t, "/admin/logout", nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	resp, _ = b.get(t, "/admin")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("/admin after logout: %d", resp.StatusCode)
	}
}

func TestLoginRateLimited(t *testing.T) {
	a := newTestApp(t)
	a.setupOwner(t)
	b := newClientFor(a)
	for i := 0; i < 5; i++ {
		resp, _ := b.postForm(t, "/admin/login", url.Values{"username": {testOwner}, "password": {"guess"}})
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i, resp.StatusCode)
		}
	}
	// Even the right password is refused while the account is locked.
	resp, body := b.postForm(t, "/admin/login", url.Values{"username": {testOwner}, "password": {testPassword}})
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "分钟后再试") {
		t.Fatalf("locked login: %d", resp.StatusCode)
	}
}

func TestCrossOriginPostRefused(t *testing.T) {
	a := newTestApp(t)
	form := url.Values{"username": {"x"}, "password": {testPassword}, "confirm": {testPassword}}
	for _, hdr := range []http.Header{
		{"Sec-Fetch-Site": {"cross-site"}},
		{"Origin": {"https://evil.example"}},
	} {
		hdr.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, _ := a.do(t, http.MethodPost, "/admin/setup", strings.NewReader(form.Encode()), hdr)
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("cross-origin POST with %v: %d", hdr, resp.StatusCode)
		}
	}
	if has, _ := a.DB.HasOwner(t.Context()); has {
		t.Fatal("a cross-origin POST created the owner")
	}
	// Same-origin browsers pass.
	hdr := http.Header{"Sec-Fetch-Site": {"same-origin"}, "Content-Type": {"application/x-www-form-urlencoded"}}
	resp, _ := a.do(t, http.MethodPost, "/admin/setup", strings.NewReader(form.Encode()), hdr)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("same-origin POST: %d", resp.StatusCode)
	}
}

func TestHealthz(t *testing.T) {
	a := newTestApp(t)
	resp, body := a.get(t, "/healthz")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"status":"ok"`) {
		t.Fatalf("healthz: %d %s", resp.StatusCode, body)
	}
	resp, body = a.get(t, "/no/such/page")
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(body, `data-testid="not-found"`) {
		t.Fatalf("404: %d", resp.StatusCode)
	}
}

func sessionCookie(a *testApp) string {
	u, _ := url.Parse(a.srv.URL)
	for _, c := range a.client.Jar.Cookies(u) {
		if c.Name == sessionName {
			return c.Value
		}
	}
	return ""
}

func TestAdminNotFoundUsesBackOfficePage(t *testing.T) {
	a := newTestApp(t)
	a.setupOwner(t)
	resp, body := a.get(t, "/admin/no-such-page")
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(body, `data-testid="error-page"`) {
		t.Fatalf("admin 404: %d", resp.StatusCode)
	}
}

// The owner testing the shop in the same browser stays signed in as a
// customer after leaving the back office.
func TestStaffLogoutKeepsCustomerSignIn(t *testing.T) {
	a := newTestApp(t)
	a.setupOwner(t)
	a.register(t, custPhone)
	resp, _ := a.postForm(t, "/admin/logout", nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	if resp, _ := a.get(t, "/admin"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("/admin after staff logout: %d", resp.StatusCode)
	}
	if resp, body := a.get(t, "/me"); resp.StatusCode != http.StatusOK || !strings.Contains(body, "138****8000") {
		t.Fatalf("/me after staff logout: %d", resp.StatusCode)
	}
}

// X-Forwarded-For from a client that is not a configured proxy is ignored,
// so the per-IP login limit cannot be dodged by forging it.
func TestForgedForwardedForIgnored(t *testing.T) {
	a := newTestApp(t)
	a.setupOwner(t)
	b := newClientFor(a)
	for i := 0; i < store.LoginMaxPerIP; i++ {
		form := url.Values{"username": {fmt.Sprintf("nobody%d", i)}, "password": {"guess"}}
		hdr := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Origin": {a.srv.URL},
			"X-Forwarded-For": {fmt.Sprintf("203.0.113.%d", i+1)}}
		if resp, _ := b.do(t, http.MethodPost, "/admin/login", strings.NewReader(form.Encode()), hdr); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i, resp.StatusCode)
		}
	}
	hdr := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Origin": {a.srv.URL}, "X-Forwarded-For": {"198.51.100.7"}}
	form := url.Values{"username": {testOwner}, "password": {testPassword}}
	if resp, _ := b.do(t, http.MethodPost, "/admin/login", strings.NewReader(form.Encode()), hdr); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("a forged X-Forwarded-For escaped the per-IP limit: %d", resp.StatusCode)
	}
}
