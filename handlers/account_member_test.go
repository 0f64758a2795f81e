package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestCustomerProfileUpdate(t *testing.T) {
	a := newTestApp(t)
	a.register(t, custPhone)
	resp, body := a.get(t, "/me/profile")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="profile-phone">138****8000<`) {
		t.Fatalf("profile page: %d", resp.StatusCode)
	}
	resp, _ = a.postForm(t, "/me/profile", url.Values{"nickname": {" 小明 "}, "gender": {"female"}, "birthday": {"1990-05-20"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/me" {
		t.Fatalf("save profile: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, body = a.get(t, "/me")
	if !strings.Contains(body, `data-testid="member-name">小明<`) || !strings.Contains(body, "资料已保存") {
		t.Error("/me does not show the new nickname and the saved notice")
	}
	// The notice shows once.
	if _, body = a.get(t, "/me"); strings.Contains(body, "资料已保存") {
		t.Error("the saved notice shows twice")
	}
	_, body = a.get(t, "/me/profile")
	if !strings.Contains(body, `value="小明"`) || !strings.Contains(body, `value="1990-05-20"`) ||
		!strings.Contains(body, `value="female" checked`) {
		t.Error("the profile form does not show the saved values")
	}

	tests := []struct {
		name  string
		form  url.Values
		field string
	}{
		{"nickname too long", url.Values{"nickname": {strings.Repeat("长", 21)}, "birthday": {"1990-05-20"}}, "nickname"},
		{"future birthday", url.Values{"nickname": {"阿花"}, "birthday": {"2999-01-01"}}, "birthday"},
		{"bad date", url.Values{"nickname": {"阿花"}, "birthday": {"1990-13-01"}}, "birthday"},
		{"bad gender", url.Values{"nickname": {"阿花"}, "gender": {"robot"}}, "gender"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := a.postForm(t, "/me/profile", tt.form)
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="error-`+tt.field+`"`) {
				t.Fatalf("status %d, or no message beside %s", resp.StatusCode, tt.field)
			}
			if !strings.Contains(body, `value="`+tt.form.Get("nickname")+`"`) {
				t.Error("the nickname typed was not kept")
			}
		})
	}
	cu, err := a.DB.AuthenticateCustomer(t.Context(), custPhone, custPassword)
	if err != nil {
		t.Fatal(err)
	}
	if cu.Nickname != "小明" || cu.Gender != "female" || cu.Birthday != "1990-05-20" {
		t.Errorf("a refused form changed the profile: %+v", cu)
	}
}

func TestCustomerPasswordChange(t *testing.T) {
	a := newTestApp(t)
	a.register(t, custPhone)
	// A second device signed in to the same account.
	phone2 := newClientFor(a)
	if resp, _ := phone2.customerLogin(t, custPhone, custPassword); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("second device login: %d", resp.StatusCode)
	}
	const newPassword = "brand new secret 2"
	resp, body := a.get(t, "/me/password")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="password-form"`) {
		t.Fatalf("password page: %d", resp.StatusCode)
	}
	tests := []struct {
		name  string
		form  url.Values
		field string
	}{
		{"without the old password", url.Values{"password": {newPassword}, "confirm": {newPassword}}, "old"},
		{"wrong old password", url.Values{"old": {"not my password"}, "password": {newPassword}, "confirm": {newPassword}}, "old"},
		{"short", url.Values{"old": {custPassword}, "password": {"short"}, "confirm": {"short"}}, "password"},
		{"mismatch", url.Values{"old": {custPassword}, "password": {newPassword}, "confirm": {"something else"}}, "confirm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := a.postForm(t, "/me/password", tt.form)
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="error-`+tt.field+`"`) {
				t.Fatalf("status %d, or no message beside %s", resp.StatusCode, tt.field)
			}
			for _, f := range []string{"old", "password", "confirm"} {
				if v := tt.form.Get(f); v != "" && strings.Contains(body, `value="`+v+`"`) {
					t.Errorf("the %s field was echoed back", f)
				}
			}
		})
	}
	if _, err := a.DB.AuthenticateCustomer(t.Context(), custPhone, custPassword); err != nil {
		t.Fatalf("a refused change changed the password: %v", err)
	}
	before := sessionCookie(a)
	resp, _ = a.postForm(t, "/me/password", url.Values{"old": {custPassword}, "password": {newPassword}, "confirm": {newPassword}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/me" {
		t.Fatalf("change password: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if after := sessionCookie(a); after == before || after == "" {
		t.Error("the session id was not renewed with the password")
	}
	resp, body = a.get(t, "/me")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "密码已修改") {
		t.Fatalf("this device after the change: %d", resp.StatusCode)
	}
	if resp, _ := phone2.get(t, "/me"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the other device is still signed in after the password change: %d", resp.StatusCode)
	}
	b := newClientFor(a)
	if resp, _ := b.customerLogin(t, custPhone, custPassword); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the old password still signs in: %d", resp.StatusCode)
	}
	if resp, _ := b.customerLogin(t, custPhone, newPassword); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the new password does not sign in: %d", resp.StatusCode)
	}
}

func TestCustomerPasswordChangeRateLimited(t *testing.T) {
	a := newTestApp(t)
	a.register(t, custPhone)
	for i := range 5 {
		resp, _ := a.postForm(t, "/me/password", url.Values{"old": {"guess"}, "password": {"another secret"}, "confirm": {"another secret"}})
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("guess %d: %d", i, resp.StatusCode)
		}
	}
	resp, body := a.postForm(t, "/me/password", url.Values{"old": {custPassword}, "password": {"another secret"}, "confirm": {"another secret"}})
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "分钟后再试") {
		t.Fatalf("after 5 wrong current passwords: %d, want 429", resp.StatusCode)
	}
}

// TestPageCacheNeverMixesCustomers checks that a signed-in customer is never
// served a cached page, and that a page drawn for them is never kept for
// visitors.
func TestPageCacheNeverMixesCustomers(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	path := "/p/" + idStr(fx.milk)
	cached := func() int {
		a.Handler.pages.mu.Lock()
		defer a.Handler.pages.mu.Unlock()
		return a.Handler.pages.lru.Len()
	}

	// A customer first: their pages are drawn for them and not kept.
	cust := newClientFor(a)
	cust.register(t, custPhone)
	for _, p := range []string{"/", path} {
		resp, _ := cust.get(t, p)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("ETag") != "" {
			t.Errorf("customer %s: status %d, ETag %q: served through the page cache", p, resp.StatusCode, resp.Header.Get("ETag"))
		}
	}
	if n := cached(); n != 0 {
		t.Fatalf("pages drawn for a signed-in customer were cached (%d entries)", n)
	}

	// Then a visitor: the page is drawn and cached for visitors.
	visitor := newClientFor(a)
	resp, _ := visitor.get(t, "/")
	etag := resp.Header.Get("ETag")
	if resp.StatusCode != http.StatusOK || etag == "" || cached() != 1 {
		t.Fatalf("visitor /: status %d, ETag %q, %d cached", resp.StatusCode, etag, cached())
	}
	// The customer still gets a page of their own, even for a conditional
	// request carrying the visitors' ETag.
	resp, body := cust.do(t, http.MethodGet, "/", nil, http.Header{"If-None-Match": {etag}})
	if resp.StatusCode != http.StatusOK || resp.Header.Get("ETag") != "" || !strings.Contains(body, `href="/me"`) {
		t.Errorf("customer after a visitor: status %d, ETag %q", resp.StatusCode, resp.Header.Get("ETag"))
	}
	// Pages under /me are never cached by anyone.
	for _, p := range []string{"/me", "/me/profile", "/me/password"} {
		resp, _ := cust.get(t, p)
		if resp.Header.Get("ETag") != "" || resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: ETag %q, Cache-Control %q", p, resp.Header.Get("ETag"), resp.Header.Get("Cache-Control"))
		}
	}
	if n := cached(); n != 1 {
		t.Errorf("%d cached pages, want only the visitor's home page", n)
	}
	// After signing out, the customer is a visitor again and gets the cache.
	cust.postForm(t, "/logout", nil)
	resp, _ = cust.get(t, "/")
	if resp.Header.Get("ETag") != etag {
		t.Errorf("signed out: ETag %q, want the cached page's %q", resp.Header.Get("ETag"), etag)
	}
}

func TestAccountPagesEnglish(t *testing.T) {
	a := newTestApp(t)
	for path, want := range map[string]string{
		"/login?lang=en":    "Sign in with your mobile number and password",
		"/register?lang=en": "At least 8 characters",
	} {
		resp, body := a.get(t, path)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, want) || !strings.Contains(body, `<html lang="en">`) {
			t.Errorf("%s: %d, lacks %q", path, resp.StatusCode, want)
		}
	}
	a.register(t, custPhone)
	_, body := a.get(t, "/me")
	for _, want := range []string{"Addresses", "Account settings", "Sign out", "Edit profile"} {
		if !strings.Contains(body, want) {
			t.Errorf("English /me lacks %q", want)
		}
	}
}
