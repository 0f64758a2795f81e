package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

const (
	custPhone    = "13800138000"
	custPassword = "customer secret 1"
)

// register signs up phone through the registration form, which also signs
// the client in.
func (a *testApp) register(t *testing.T, phone string) {
	t.Helper()
	resp, body := a.postForm(t, "/register", url.Values{"phone": {phone}, "password": {custPassword}, "confirm": {custPassword}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/me" {
		t.Fatalf("register %s: status %d, Location %q: %s", phone, resp.StatusCode, resp.Header.Get("Location"), body)
	}
}

// customerLogin posts the sign-in form and returns the status.
func (a *testApp) customerLogin(t *testing.T, phone, password string) (*http.Response, string) {
	t.Helper()
	return a.postForm(t, "/login", url.Values{"phone": {phone}, "password": {password}})
}

func TestCustomerRegisterShowsMemberPage(t *testing.T) {
	a := newTestApp(t)
	resp, body := a.get(t, "/register")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="register-form"`) {
		t.Fatalf("register page: %d", resp.StatusCode)
	}
	if sessionCookie(a) != "" {
		t.Error("showing the registration form started a session")
	}
	a.register(t, "+86 138-0013-8000")
	resp, body = a.get(t, "/me")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/me: %d", resp.StatusCode)
	}
	for _, want := range []string{`data-testid="member-name">138****8000<`, `href="/me/addresses"`, `href="/me/profile"`,
		`href="/me/password"`, `action="/logout"`, `class="tab is-active" href="/me"`} {
		if !strings.Contains(body, want) {
			t.Errorf("/me lacks %s", want)
		}
	}
	if strings.Contains(body, custPhone) {
		t.Error("/me shows the whole phone number")
	}
	for _, dead := range []string{"/me/orders"} {
		if strings.Contains(body, dead) {
			t.Errorf("/me links to %s, which does not exist", dead)
		}
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("/me Cache-Control %q, want no-store", cc)
	}
}

func TestCustomerTabBarLinksToMe(t *testing.T) {
	a := newTestApp(t)
	_, body := a.get(t, "/")
	if !strings.Contains(body, `<a class="tab" href="/me">`) {
		t.Error("the tab bar's 我的 is not a link to /me")
	}
	if !strings.Contains(body, `<a class="tab" href="/cart">`) {
		t.Error("the tab bar's 购物车 is not a link to /cart")
	}
}

func TestCustomerRegisterRefusals(t *testing.T) {
	a := newTestApp(t)
	a.register(t, custPhone)
	b := newClientFor(a)
	tests := []struct {
		name  string
		form  url.Values
		field string
		msg   string
	}{
		{"duplicate phone", url.Values{"phone": {custPhone}, "password": {custPassword}, "confirm": {custPassword}}, "phone", "该手机号已注册"},
		{"duplicate, written differently", url.Values{"phone": {"+86 138 0013 8000"}, "password": {custPassword}, "confirm": {custPassword}}, "phone", "该手机号已注册"},
		{"bad phone", url.Values{"phone": {"12345"}, "password": {custPassword}, "confirm": {custPassword}}, "phone", "11 位手机号"},
		{"short password", url.Values{"phone": {"13900139000"}, "password": {"short"}, "confirm": {"short"}}, "password", "密码至少 8 位"},
		{"mismatch", url.Values{"phone": {"13900139000"}, "password": {custPassword}, "confirm": {"other password"}}, "confirm", "两次输入的密码不一致"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := b.postForm(t, "/register", tt.form)
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", resp.StatusCode)
			}
			if !strings.Contains(body, `data-testid="error-`+tt.field+`">`) || !strings.Contains(body, tt.msg) {
				t.Errorf("no %q beside %s", tt.msg, tt.field)
			}
			if !strings.Contains(body, `value="`+tt.form.Get("phone")+`"`) {
				t.Error("the phone number typed was not kept")
			}
			if strings.Contains(body, tt.form.Get("password")) {
				t.Error("the password was echoed back")
			}
		})
	}
	if sessionCookie(b) != "" {
		t.Error("a refused registration signed in")
	}
	if resp, _ := b.get(t, "/me"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("/me after refused registrations: %d", resp.StatusCode)
	}
}

func TestCustomerLoginNext(t *testing.T) {
	a := newTestApp(t)
	a.register(t, custPhone)
	a.postForm(t, "/logout", nil)
	tests := []struct{ next, want string }{
		{"/p/12?sku=3", "/p/12?sku=3"},
		{"/me/profile", "/me/profile"},
		{"", "/me"},
		{"//evil.example/", "/me"},
		{"https://evil.example/", "/me"},
		{"/\\evil.example", "/me"},
		{"/admin/products", "/me"},
		{"/login", "/me"},
	}
	for _, tt := range tests {
		b := newClientFor(a)
		resp, _ := b.postForm(t, "/login", url.Values{"phone": {custPhone}, "password": {custPassword}, "next": {tt.next}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != tt.want {
			t.Errorf("next %q: %d to %q, want %q", tt.next, resp.StatusCode, resp.Header.Get("Location"), tt.want)
		}
	}
	// The form carries next from the query, and so does the link to the
	// registration page.
	_, body := a.get(t, "/login?next="+url.QueryEscape("/p/12"))
	if !strings.Contains(body, `name="next" value="/p/12"`) || !strings.Contains(body, `href="/register?next=%2Fp%2F12"`) {
		t.Error("the login page lost next")
	}
	_, body = a.get(t, "/login?next="+url.QueryEscape("//evil.example"))
	if strings.Contains(body, `name="next"`) || strings.Contains(body, `href="/register?next=`) {
		t.Error("the login page carries a foreign next")
	}
	// Registering with a next goes there.
	b := newClientFor(a)
	resp, _ := b.postForm(t, "/register", url.Values{"phone": {"13900139000"}, "password": {custPassword}, "confirm": {custPassword}, "next": {"/c/3"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/c/3" {
		t.Errorf("register with next: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// A signed-in customer asking for the login page goes on.
	resp, _ = b.get(t, "/login?next=%2Fc%2F3")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/c/3" {
		t.Errorf("login page when signed in: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestSafeShopNext(t *testing.T) {
	tests := map[string]string{
		"/":                  "/",
		"/p/1":               "/p/1",
		"/search?q=奶粉":       "/search?q=奶粉",
		"/me/addresses":      "/me/addresses",
		"":                   "",
		"p/1":                "",
		"//evil.example":     "",
		"/\\evil.example":    "",
		"https://evil":       "",
		"/admin":             "",
		"/admin/products":    "",
		"/login?next=/me":    "",
		"/register":          "",
		"/logout":            "",
		"/p/1\r\nSet-Cookie": "",
		"/static/app.js":     "",
		"/ spaced":           "",
		"/%2F%2Fevil":        "/%2F%2Fevil", // a path, not a host: the router answers 404
		"/adminx":            "/adminx",
		"/theme/default/x":   "",
	}
	for in, want := range tests {
		if got := safeShopNext(in); got != want {
			t.Errorf("safeShopNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzSafeShopNext(f *testing.F) {
	for _, s := range []string{"/", "/p/1", "//x", "/\\x", "/admin", "http://x/", "/%2e%2e/admin", "/\t/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := safeShopNext(s)
		if got == "" {
			return
		}
		if got != s {
			t.Fatalf("safeShopNext(%q) = %q: it must keep or drop, never rewrite", s, got)
		}
		u, err := url.Parse(got)
		if err != nil || u.Host != "" || u.Scheme != "" || !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") {
			t.Fatalf("safeShopNext(%q) let a non-local target through", s)
		}
		if u.Path == "/admin" || strings.HasPrefix(u.Path, "/admin/") || strings.ContainsAny(got, "\\\r\n") {
			t.Fatalf("safeShopNext(%q) let a back-office or unsafe target through", s)
		}
	})
}

func TestCustomerLoginFailures(t *testing.T) {
	a := newTestApp(t)
	a.register(t, custPhone)
	b := newClientFor(a)
	resp, body := b.customerLogin(t, custPhone, "wrong password")
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "手机号或密码错误") || !strings.Contains(body, `value="`+custPhone+`"`) {
		t.Fatalf("wrong password: %d", resp.StatusCode)
	}
	if strings.Contains(body, "wrong password") {
		t.Error("the password was echoed back")
	}
	// An unknown number reads exactly the same.
	resp, body2 := b.customerLogin(t, "13900139000", custPassword)
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body2, "手机号或密码错误") {
		t.Fatalf("unknown phone: %d", resp.StatusCode)
	}
	// A malformed number is a field error, not an attempt.
	resp, body = b.customerLogin(t, "12345", custPassword)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="error-phone"`) {
		t.Fatalf("malformed phone: %d", resp.StatusCode)
	}
	resp, body = b.customerLogin(t, custPhone, "")
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="error-password"`) {
		t.Fatalf("empty password: %d", resp.StatusCode)
	}
	// English.
	resp, body = b.postForm(t, "/login?lang=en", url.Values{"phone": {custPhone}, "password": {"nope nope"}})
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Wrong mobile number or password") {
		t.Fatalf("English failure: %d", resp.StatusCode)
	}
}

func TestCustomerLoginRateLimited(t *testing.T) {
	a := newTestApp(t)
	a.register(t, custPhone)
	b := newClientFor(a)
	for i := range 5 {
		// The same number written differently counts as the same account.
		phone := custPhone
		if i%2 == 1 {
			phone = "+86 138 0013 8000"
		}
		if resp, _ := b.customerLogin(t, phone, "guess "+phone); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i, resp.StatusCode)
		}
	}
	resp, body := b.customerLogin(t, custPhone, custPassword)
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "分钟后再试") {
		t.Fatalf("locked account with the right password: %d", resp.StatusCode)
	}
	if resp, _ := b.get(t, "/me"); resp.StatusCode != http.StatusSeeOther {
		t.Fatal("a blocked login signed in")
	}
	// Another account is not locked by these failures... until the address
	// has used up its own budget.
	a.postForm(t, "/logout", nil)
	c := newClientFor(a)
	c.register(t, "13900139000")
	c.postForm(t, "/logout", nil)
	if resp, _ := c.customerLogin(t, "13900139000", custPassword); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("another account: %d", resp.StatusCode)
	}
}

func TestCustomerLoginRateLimitedPerAddress(t *testing.T) {
	a := newTestApp(t)
	a.register(t, custPhone)
	a.postForm(t, "/logout", nil)
	b := newClientFor(a)
	// 20 failures over 20 different numbers from one address.
	for i := range 20 {
		phone := "1370013" + string(rune('0'+i/10)) + "00" + string(rune('0'+i%10))
		if resp, _ := b.customerLogin(t, phone, "guess"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("attempt %d (%s): %d", i, phone, resp.StatusCode)
		}
	}
	if resp, _ := b.customerLogin(t, custPhone, custPassword); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("address over its budget: %d, want 429", resp.StatusCode)
	}
	if resp, _ := b.postForm(t, "/register", url.Values{"phone": {"13600136000"}, "password": {custPassword}, "confirm": {custPassword}}); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("registration from an address over its budget: %d, want 429", resp.StatusCode)
	}
}

func TestCustomerSessionRotatedAtLogin(t *testing.T) {
	a := newTestApp(t)
	a.register(t, custPhone)
	planted := sessionCookie(a)
	if planted == "" {
		t.Fatal("registration set no session cookie")
	}
	other := newClientFor(a)
	other.register(t, "13900139000")
	other.postForm(t, "/logout", nil)
	// Signing in on a browser that already holds a session gives it a new id.
	resp, _ := a.customerLogin(t, "13900139000", custPassword)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	after := sessionCookie(a)
	if after == "" || after == planted {
		t.Fatal("the session id was not rotated at login")
	}
	for _, c := range resp.Cookies() {
		if c.Name == sessionName && (!c.HttpOnly || c.SameSite != http.SameSiteLaxMode) {
			t.Errorf("session cookie flags: %+v", c)
		}
	}
	// The old id is worthless now.
	attacker := newClientFor(a)
	u, _ := url.Parse(a.srv.URL)
	attacker.client.Jar.SetCookies(u, []*http.Cookie{{Name: sessionName, Value: planted, Path: "/"}})
	if resp, _ := attacker.get(t, "/me"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the pre-login session id still works: %d", resp.StatusCode)
	}
	_, body := a.get(t, "/me")
	if !strings.Contains(body, "139****9000") {
		t.Error("/me does not show the account just signed in")
	}
}

func TestCustomerLogout(t *testing.T) {
	a := newTestApp(t)
	a.register(t, custPhone)
	resp, _ := a.postForm(t, "/logout", nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Fatalf("logout: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if sessionCookie(a) != "" {
		t.Error("logout left the session cookie: the visitor would bypass the page cache")
	}
	if resp, _ := a.get(t, "/me"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("/me after logout: %d", resp.StatusCode)
	}
	// Logging out without a session is harmless.
	if resp, _ := newClientFor(a).postForm(t, "/logout", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout without a session: %d", resp.StatusCode)
	}
}

func TestMemberPagesNeedSignIn(t *testing.T) {
	a := newTestApp(t)
	for path, want := range map[string]string{
		"/me":              "/login?next=%2Fme",
		"/me/profile":      "/login?next=%2Fme%2Fprofile",
		"/me/password?x=1": "/login?next=%2Fme%2Fpassword%3Fx%3D1",
	} {
		resp, _ := a.get(t, path)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
			t.Errorf("%s as a visitor: %d to %q, want %q", path, resp.StatusCode, resp.Header.Get("Location"), want)
		}
	}
	resp, _ := a.postForm(t, "/me/profile", url.Values{"nickname": {"x"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login?next=%2Fme" {
		t.Errorf("POST /me/profile as a visitor: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// Following the redirect: the login page comes back to /me.
	resp, _ = a.postForm(t, "/register", url.Values{"phone": {custPhone}, "password": {custPassword}, "confirm": {custPassword}, "next": {"/me/profile"}})
	if resp.Header.Get("Location") != "/me/profile" {
		t.Errorf("register with next=/me/profile went to %q", resp.Header.Get("Location"))
	}
}

func TestStaffAndCustomerSessionsIndependent(t *testing.T) {
	a := newTestApp(t)
	a.setupOwner(t)
	a.register(t, custPhone)
	if resp, _ := a.get(t, "/admin"); resp.StatusCode != http.StatusOK {
		t.Fatalf("customer registration signed the staff out: %d", resp.StatusCode)
	}
	if resp, _ := a.get(t, "/me"); resp.StatusCode != http.StatusOK {
		t.Fatalf("/me: %d", resp.StatusCode)
	}
	a.postForm(t, "/logout", nil)
	if resp, _ := a.get(t, "/me"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("/me after customer logout: %d", resp.StatusCode)
	}
	if resp, _ := a.get(t, "/admin"); resp.StatusCode != http.StatusOK {
		t.Fatalf("customer logout signed the staff out: %d", resp.StatusCode)
	}
	// A staff session alone is no customer.
	b := newClientFor(a)
	b.postForm(t, "/admin/login", url.Values{"username": {testOwner}, "password": {testPassword}})
	if resp, _ := b.get(t, "/me"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("a staff session opened /me: %d", resp.StatusCode)
	}
}

func TestDisabledCustomerSignedOut(t *testing.T) {
	a := newTestApp(t)
	a.register(t, custPhone)
	cu, err := a.DB.AuthenticateCustomer(t.Context(), custPhone, custPassword)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.DB.SetCustomerDisabled(t.Context(), cu.ID, true); err != nil {
		t.Fatal(err)
	}
	if resp, _ := a.get(t, "/me"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("a disabled customer's session still opens /me: %d", resp.StatusCode)
	}
}

func TestCustomerCrossOriginPostRefused(t *testing.T) {
	a := newTestApp(t)
	a.register(t, custPhone)
	a.postForm(t, "/logout", nil)
	for _, path := range []string{"/login", "/register"} {
		form := url.Values{"phone": {"13900139000"}, "password": {custPassword}, "confirm": {custPassword}}
		hdr := http.Header{"Origin": {"https://evil.example"}, "Content-Type": {"application/x-www-form-urlencoded"}}
		resp, _ := a.do(t, http.MethodPost, path, strings.NewReader(form.Encode()), hdr)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("cross-origin POST %s: %d, want 403", path, resp.StatusCode)
		}
	}
	if _, err := a.DB.AuthenticateCustomer(t.Context(), "13900139000", custPassword); err == nil {
		t.Error("a cross-origin POST registered an account")
	}
	hdr := http.Header{"Sec-Fetch-Site": {"cross-site"}, "Content-Type": {"application/x-www-form-urlencoded"}}
	resp, _ := a.do(t, http.MethodPost, "/login", strings.NewReader(url.Values{"phone": {custPhone}, "password": {custPassword}}.Encode()), hdr)
	if resp.StatusCode != http.StatusForbidden || sessionCookie(a) != "" {
		t.Errorf("cross-site login: %d", resp.StatusCode)
	}
}
