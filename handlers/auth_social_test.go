package handlers

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/plugins/wechat/wechattest"
	"github.com/xiaodian/xiaodian/store"
)

// wechatUA is WeChat's built-in browser on an iPhone.
const wechatUA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.44(0x18002c2b) NetType/WIFI Language/zh_CN"

// configureWeChat enters the fake official account's settings through
// the back office, as an owner would.
func configureWeChat(t *testing.T, a *testApp, fake *wechattest.Server) {
	t.Helper()
	form := url.Values{}
	for k, v := range fake.Settings() {
		form.Set(k, v)
	}
	resp, body := a.postForm(t, "/admin/payments/wechat", form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save wechat settings: %d\n%s", resp.StatusCode, body)
	}
}

// wechatBrowser is a shopper's client inside WeChat that follows
// redirects itself, across the shop and the fake, one hop at a time.
type wechatBrowser struct {
	*testApp
}

func (b wechatBrowser) open(t *testing.T, u string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("User-Agent", wechatUA)
	resp, err := b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var sb strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp, sb.String()
}

// follow opens u and follows redirects (up to 10), returning the last
// answer and the URLs visited.
func (b wechatBrowser) follow(t *testing.T, u string) (*http.Response, string, []string) {
	t.Helper()
	var visited []string
	for range 10 {
		visited = append(visited, u)
		resp, body := b.open(t, u)
		loc := resp.Header.Get("Location")
		if resp.StatusCode/100 != 3 || loc == "" {
			return resp, body, visited
		}
		next, err := resp.Request.URL.Parse(loc)
		if err != nil {
			t.Fatal(err)
		}
		u = next.String()
	}
	t.Fatalf("redirect loop: %v", visited)
	return nil, "", nil
}

func newWeChatApp(t *testing.T) (*testApp, *wechattest.Server) {
	t.Helper()
	fake := wechattest.New()
	t.Cleanup(fake.Close)
	a := newTestApp(t)
	a.setupOwner(t)
	configureWeChat(t, a, fake)
	return a, fake
}

// shopper is a second client on the same shop (its own cookies).
func (a *testApp) shopper(t *testing.T) wechatBrowser {
	t.Helper()
	jar, _ := newJar()
	c := *a.client
	c.Jar = jar
	b := *a
	b.client = &c
	return wechatBrowser{&b}
}

// TestWeChatLoginBindsNewUser: inside WeChat a page that needs a customer
// tries the silent sign-in, asks for the profile of a user the shop has not
// seen, and the bind page registers a phone account with the OpenID linked;
// the next visit signs in silently. Outside WeChat nothing changes.
func TestWeChatLoginBindsNewUser(t *testing.T) {
	a, fake := newWeChatApp(t)
	ctx := t.Context()
	fake.SetUser(wechattest.User{OpenID: "o6_bmjrPTlm6_2sgVt7hMZOPfL2M", UnionID: "oTGnpnL1GLJmFyL4vM7RCnu6I5Kg", Nickname: "小明"})
	ns := plugins.WeChatNamespace(fake.Settings().Get("app_id"))

	b := a.shopper(t)
	resp, body, visited := b.follow(t, a.srv.URL+"/me")
	mustStatus(t, "bind page", resp, body, http.StatusOK)
	if !strings.HasPrefix(resp.Request.URL.Path, bindPath) || !strings.Contains(body, "小明") {
		t.Fatalf("ended at %s (%v) without the bind page greeting", resp.Request.URL, visited)
	}
	joined := strings.Join(visited, " ")
	if !strings.Contains(joined, "scope=snsapi_base") || !strings.Contains(joined, "scope=snsapi_userinfo") {
		t.Errorf("want a silent try then the profile screen, visited %v", visited)
	}

	// A bad form changes nothing.
	resp, body = b.postForm(t, bindPath+"/register", url.Values{"phone": {"12"}, "password": {"x"}, "confirm": {"y"}, "next": {"/me"}})
	mustStatus(t, "bad bind", resp, body, http.StatusUnprocessableEntity)
	if _, err := a.DB.CustomerByIdentity(ctx, ns, "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"); err == nil {
		t.Fatal("a refused form linked the identity")
	}
	resp, _ = b.postForm(t, bindPath+"/register", url.Values{"phone": {"13800138001"}, "password": {"hunter2hunter2"}, "confirm": {"hunter2hunter2"}, "next": {"/me"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/me" {
		t.Fatalf("bind register: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	cu, err := a.DB.CustomerByIdentity(ctx, ns, "o6_bmjrPTlm6_2sgVt7hMZOPfL2M")
	if err != nil || cu.Phone != "13800138001" || cu.Nickname != "小明" {
		t.Fatalf("linked customer %+v, %v", cu, err)
	}
	resp, body = b.open(t, a.srv.URL+"/me")
	mustStatus(t, "member page", resp, body, http.StatusOK)

	// Signed out, the next visit inside WeChat signs in without a form.
	b.postForm(t, "/logout", nil)
	before := fake.Counts()
	resp, body, visited = b.follow(t, a.srv.URL+"/me")
	mustStatus(t, "silent sign-in", resp, body, http.StatusOK)
	if resp.Request.URL.Path != "/me" || strings.Contains(strings.Join(visited, " "), "snsapi_userinfo") {
		t.Fatalf("silent sign-in went %v", visited)
	}
	if got := fake.Counts(); got.UserInfos != before.UserInfos {
		t.Errorf("a silent sign-in fetched the profile")
	}

	// Outside WeChat, the sign-in form as before, without the WeChat button.
	o := a.shopper(t)
	resp, _ = o.get(t, "/me")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Fatalf("outside WeChat: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, body = o.get(t, "/login")
	if strings.Contains(body, `data-testid="social-wechat"`) {
		t.Error("the WeChat button is offered outside WeChat")
	}
	_, body = b.open(t, a.srv.URL+"/login")
	if !strings.Contains(body, `data-testid="social-wechat"`) && !strings.Contains(body, "微信登录") {
		// Signed in: /login goes on to /me; a fresh WeChat browser sees it.
		_, body = a.shopper(t).open(t, a.srv.URL+"/login")
		if !strings.Contains(body, `data-testid="social-wechat"`) {
			t.Error("the WeChat button is missing inside WeChat")
		}
	}
}

// TestWeChatBindExistingAccount: the bind page links the WeChat user to an
// existing phone account when its password is right, under the sign-in
// limits; a wrong password links nothing.
func TestWeChatBindExistingAccount(t *testing.T) {
	a, fake := newWeChatApp(t)
	ctx := t.Context()
	existing, err := a.DB.RegisterCustomer(ctx, "13900139000", "secret-pass-1")
	if err != nil {
		t.Fatal(err)
	}
	fake.SetUser(wechattest.User{OpenID: "oEXISTING", Nickname: "老顾客"})
	ns := plugins.WeChatNamespace(fake.Settings().Get("app_id"))
	b := a.shopper(t)
	resp, body, _ := b.follow(t, a.srv.URL+"/auth/wechat/start?next=/cart")
	if !strings.HasPrefix(resp.Request.URL.Path, bindPath) {
		t.Fatalf("ended at %s: %s", resp.Request.URL, body)
	}
	resp, body = b.postForm(t, bindPath+"/login", url.Values{"phone": {"13900139000"}, "password": {"wrong-password"}, "next": {"/cart"}})
	mustStatus(t, "wrong password", resp, body, http.StatusUnauthorized)
	if _, err := a.DB.CustomerByIdentity(ctx, ns, "oEXISTING"); err == nil {
		t.Fatal("a wrong password linked the identity")
	}
	resp, _ = b.postForm(t, bindPath+"/login", url.Values{"phone": {"13900139000"}, "password": {"secret-pass-1"}, "next": {"/cart"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/cart" {
		t.Fatalf("bind login: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if cu, err := a.DB.CustomerByIdentity(ctx, ns, "oEXISTING"); err != nil || cu.ID != existing.ID {
		t.Fatalf("linked to %+v, %v", cu, err)
	}
	// The bind page is gone once used.
	resp, _ = b.get(t, bindPath)
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("bind page after binding: %d", resp.StatusCode)
	}
}

// TestWeChatCallbackRefusesForgedState: a callback without the state this
// browser was given signs nobody in.
func TestWeChatCallbackRefusesForgedState(t *testing.T) {
	a, fake := newWeChatApp(t)
	fake.SetUser(wechattest.User{OpenID: "oVICTIM"})
	b := a.shopper(t)
	code := fake.NewCode(wechattest.User{OpenID: "oVICTIM"}, "snsapi_userinfo")
	for _, q := range []string{"code=" + code + "&state=forged", "code=" + code} {
		resp, _ := b.open(t, a.srv.URL+"/auth/wechat/callback?"+q)
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
			t.Errorf("%s: %d %q", q, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	if _, ok := b.pendingFor(t); ok {
		t.Error("a forged callback left an identity waiting to be bound")
	}
	// A state from one sign-in is good once.
	start, _ := b.open(t, a.srv.URL+"/auth/wechat/start")
	au, _ := url.Parse(start.Header.Get("Location"))
	state := au.Query().Get("state")
	resp, _ := b.open(t, a.srv.URL+"/auth/wechat/callback?code="+fake.NewCode(wechattest.User{OpenID: "oXaaaaaaaaaaaaaaaaaaaaaaaaaa"}, "snsapi_userinfo")+"&state="+state)
	if !strings.HasPrefix(resp.Header.Get("Location"), bindPath) {
		t.Fatalf("good state: %q", resp.Header.Get("Location"))
	}
	resp, _ = b.open(t, a.srv.URL+"/auth/wechat/callback?code="+fake.NewCode(wechattest.User{OpenID: "oYaaaaaaaaaaaaaaaaaaaaaaaaaa"}, "snsapi_userinfo")+"&state="+state)
	if !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Fatalf("replayed state: %q", resp.Header.Get("Location"))
	}
}

// pendingFor reports whether the bind page would show.
func (b wechatBrowser) pendingFor(t *testing.T) (string, bool) {
	t.Helper()
	resp, body := b.get(t, bindPath)
	return body, resp.StatusCode == http.StatusOK
}

// TestShareConfig: inside WeChat a page of the shop gets its JS-SDK
// configuration signed (as the WeChat client checks it), with the share
// link carrying the signed-in customer's referral code; other sites' pages
// and browsers outside WeChat get nothing.
func TestShareConfig(t *testing.T) {
	a, fake := newWeChatApp(t)
	fake.SetUser(wechattest.User{OpenID: "oSHARER", Nickname: "分享者"})
	b := a.shopper(t)
	page := a.srv.URL + "/p/1?s0=0"
	get := func(c wechatBrowser, page string) (int, map[string]any) {
		resp, body := c.open(t, a.srv.URL+"/wechat/share-config?url="+url.QueryEscape(page))
		var m map[string]any
		_ = json.Unmarshal([]byte(body), &m)
		return resp.StatusCode, m
	}
	code, m := get(b, page)
	if code != http.StatusOK {
		t.Fatalf("share config: %d %v", code, m)
	}
	cfg := &plugins.ShareConfig{AppID: m["appId"].(string), Timestamp: int64(m["timestamp"].(float64)),
		NonceStr: m["nonceStr"].(string), Signature: m["signature"].(string)}
	if err := fake.CheckShare(cfg, page); err != nil {
		t.Fatalf("signature: %v", err)
	}
	if m["link"] != page {
		t.Errorf("a visitor's link %v, want the page", m["link"])
	}
	// Signed in (silently, through WeChat), the link carries the ref code.
	b.follow(t, a.srv.URL+"/auth/wechat/start?next=/")
	b.postForm(t, bindPath+"/register", url.Values{"phone": {"13800138009"}, "password": {"hunter2hunter2"}, "confirm": {"hunter2hunter2"}})
	cu, err := a.DB.CustomerByIdentity(t.Context(), plugins.WeChatNamespace(fake.Settings().Get("app_id")), "oSHARER")
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := a.DB.RefCode(t.Context(), cu.ID)
	_, m = get(b, page)
	if link, _ := m["link"].(string); !strings.Contains(link, "ref="+ref) || !store.ValidRefCode(ref) {
		t.Errorf("signed-in link %q, want ref=%s", link, ref)
	}
	for _, bad := range []string{"https://evil.example/p/1", "javascript:alert(1)", a.srv.URL + "/admin/orders", "/p/1"} {
		if code, _ := get(b, bad); code != http.StatusBadRequest {
			t.Errorf("share config for %q: %d", bad, code)
		}
	}
	resp, _ := a.shopper(t).get(t, "/wechat/share-config?url="+url.QueryEscape(page))
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("outside WeChat: %d", resp.StatusCode)
	}
	if counts := fake.Counts(); counts.Tickets != 1 {
		t.Errorf("%d tickets fetched, want one cached", counts.Tickets)
	}
}

// TestVerifyFileServed: the MP_verify file entered in the back office is
// served at the site's root; other names are the storefront's 404.
func TestVerifyFileServed(t *testing.T) {
	a, fake := newWeChatApp(t)
	form := url.Values{}
	for k, v := range fake.Settings() {
		form.Set(k, v)
	}
	form.Set("verify_file", "MP_verify_Ab12Cd34Ef56Gh78.txt")
	if resp, body := a.postForm(t, "/admin/payments/wechat", form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d %s", resp.StatusCode, body)
	}
	resp, body := a.get(t, "/MP_verify_Ab12Cd34Ef56Gh78.txt")
	if resp.StatusCode != http.StatusOK || body != "Ab12Cd34Ef56Gh78" {
		t.Fatalf("verify file: %d %q", resp.StatusCode, body)
	}
	if resp, _ := a.get(t, "/MP_verify_Other.txt"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("another verify file: %d", resp.StatusCode)
	}
}
