package wechat

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/plugins/wechat/wechattest"
)

const callback = "https://shop.example.com/auth/wechat/callback?next=%2Fcart"

func TestAuthURL(t *testing.T) {
	p := New()
	ctx := context.Background()
	if _, err := p.Provider().AuthURL(callback, "abc", false); !errors.Is(err, plugins.ErrProviderUnavailable) {
		t.Fatalf("unconfigured AuthURL: %v", err)
	}
	if err := p.Configure(ctx, good()); err != nil {
		t.Fatal(err)
	}
	want := "https://open.weixin.qq.com/connect/oauth2/authorize?appid=wx2421b1c4370ec43b" +
		"&redirect_uri=https%3A%2F%2Fshop.example.com%2Fauth%2Fwechat%2Fcallback%3Fnext%3D%252Fcart" +
		"&response_type=code&scope=snsapi_userinfo&state=S7x9#wechat_redirect"
	got, err := p.Provider().AuthURL(callback, "S7x9", false)
	if err != nil || got != want {
		t.Errorf("AuthURL =\n%s, %v\nwant\n%s", got, err, want)
	}
	got, _ = p.Provider().AuthURL(callback, "S7x9", true)
	if !strings.Contains(got, "&scope=snsapi_base&") {
		t.Errorf("silent AuthURL has no snsapi_base: %s", got)
	}
	if err := p.Configure(ctx, good(KeyScope, ScopeBase)); err != nil {
		t.Fatal(err)
	}
	got, _ = p.Provider().AuthURL(callback, "S7x9", false)
	if !strings.Contains(got, "&scope=snsapi_base&") {
		t.Errorf("静默授权 setting: AuthURL has no snsapi_base: %s", got)
	}

	for _, tt := range []struct{ redirect, state string }{
		{callback, ""},
		{callback, strings.Repeat("a", 129)},
		{callback, "a-b"},
		{callback, "a b"},
		{callback, "中"},
		{"/auth/wechat/callback", "abc"},
		{"ftp://shop.example.com/cb", "abc"},
		{"https://shop.example.com/cb#frag", "abc"},
	} {
		if u, err := p.Provider().AuthURL(tt.redirect, tt.state, false); err == nil {
			t.Errorf("AuthURL(%q, %q) = %s, want an error", tt.redirect, tt.state, u)
		}
	}
	if _, err := p.Provider().AuthURL(callback, strings.Repeat("Z", 128), false); err != nil {
		t.Errorf("128-character state refused: %v", err)
	}
}

// login walks the browser's part: AuthURL, the fake's authorize page, and
// back to the callback, whose query it parses.
func login(t *testing.T, p *Plugin, redirect string, silent bool) (Callback, error) {
	t.Helper()
	auth, err := p.Provider().AuthURL(redirect, "st4te", silent)
	if err != nil {
		t.Fatal(err)
	}
	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := browser.Get(auth)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize answered %d", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := url.Parse(redirect); loc.Host != want.Host || loc.Path != want.Path || loc.Query().Get("next") != "/cart" {
		t.Fatalf("redirected to %s, want %s with code and state", loc, redirect)
	}
	cb, err := ParseCallback(loc.Query())
	if err == nil && cb.State != "st4te" {
		t.Fatalf("state %q came back", cb.State)
	}
	return cb, err
}

func TestLoginWithProfile(t *testing.T) {
	p, fake, _ := newTestPlugin(t)
	user := wechattest.User{OpenID: "o6_bmjrPTlm6_2sgVt7hMZOPfL2M", UnionID: "o6_bmasdasdsad6_2sgVt7hMZOPfL", Nickname: "小明 🍊", AvatarURL: "https://thirdwx.qlogo.cn/mmopen/abc/132"}
	fake.SetUser(user)
	cb, err := login(t, p, callback, false)
	if err != nil {
		t.Fatal(err)
	}
	id, err := p.Provider().Exchange(context.Background(), cb.Code)
	if err != nil {
		t.Fatal(err)
	}
	want := plugins.Identity{Namespace: "wechat:" + fake.AppID, Subject: user.OpenID, UnionID: user.UnionID, Nickname: user.Nickname, AvatarURL: user.AvatarURL}
	if *id != want {
		t.Errorf("identity %+v, want %+v", *id, want)
	}
	if c := fake.Counts(); c.Exchanges != 1 || c.UserInfos != 1 {
		t.Errorf("counts %+v", c)
	}
	// A code works once.
	_, err = p.Provider().Exchange(context.Background(), cb.Code)
	if ErrorCode(err) != CodeCodeUsed || !strings.Contains(err.Error(), "已被使用") {
		t.Errorf("second exchange: %v, want 40163", err)
	}
}

func TestSilentLogin(t *testing.T) {
	p, fake, _ := newTestPlugin(t)
	user := wechattest.User{OpenID: "oSilentUser000000000000000001", UnionID: "uUnion00000000000000000000001", Nickname: "不该出现"}
	fake.SetUser(user)
	cb, err := login(t, p, callback, true)
	if err != nil {
		t.Fatal(err)
	}
	id, err := p.Provider().Exchange(context.Background(), cb.Code)
	if err != nil {
		t.Fatal(err)
	}
	// snsapi_base: the OpenID only; WeChat gives the unionid for
	// snsapi_userinfo only, and no profile is fetched.
	if id.Subject != user.OpenID || id.Nickname != "" || id.AvatarURL != "" || id.UnionID != "" {
		t.Errorf("silent identity %+v", *id)
	}
	if c := fake.Counts(); c.UserInfos != 0 {
		t.Errorf("silent login fetched the profile: %+v", c)
	}
}

func TestLoginDenied(t *testing.T) {
	p, fake, _ := newTestPlugin(t)
	fake.Deny(true)
	if _, err := login(t, p, callback, false); !errors.Is(err, ErrDenied) {
		t.Errorf("refused consent: %v, want ErrDenied", err)
	}
	// snsapi_base shows no screen: nothing to refuse.
	if _, err := login(t, p, callback, true); err != nil {
		t.Errorf("silent login with Deny: %v", err)
	}
}

func TestAuthDomainChecked(t *testing.T) {
	p, fake, _ := newTestPlugin(t)
	fake.SetAuthDomain("shop.example.com")
	auth, _ := p.Provider().AuthURL("https://evil.example.net/cb", "abc", false)
	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := browser.Get(auth)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("redirect_uri outside the 网页授权域名: status %d, want 400", resp.StatusCode)
	}
}

func TestSnapshotUserRefused(t *testing.T) {
	p, fake, _ := newTestPlugin(t)
	code := fake.NewCode(wechattest.User{OpenID: "oSnapshot0000000000000000001", Snapshot: true}, ScopeUserInfo)
	if _, err := p.Provider().Exchange(context.Background(), code); !errors.Is(err, ErrSnapshotUser) {
		t.Errorf("snapshot user: %v, want ErrSnapshotUser", err)
	}
}

func TestExchangeErrors(t *testing.T) {
	p, fake, _ := newTestPlugin(t)
	ctx := context.Background()
	tests := []struct {
		name     string
		settings func(plugins.SettingValues)
		code     string
		wantCode int
		wantText string
	}{
		{"unknown code", nil, "031ZvDkl2tuQmb4TDFol21zkb61ZvDkB", CodeInvalidCode, "code 无效"},
		{"wrong secret", func(v plugins.SettingValues) { v[KeyAppSecret] = testSecret }, "", CodeInvalidSecret, "AppSecret 不正确"},
		{"wrong appid", func(v plugins.SettingValues) { v[KeyAppID] = testAppID }, "", CodeInvalidAppID, "AppID 不正确"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := fake.Settings()
			if tt.settings != nil {
				tt.settings(v)
			}
			if err := p.Configure(ctx, v); err != nil {
				t.Fatal(err)
			}
			code := tt.code
			if code == "" {
				code = fake.NewCode(wechattest.User{OpenID: "oAnyone00000000000000000001"}, ScopeUserInfo)
			}
			_, err := p.Provider().Exchange(ctx, code)
			if ErrorCode(err) != tt.wantCode || !errors.Is(err, &APIError{Code: tt.wantCode}) {
				t.Fatalf("error %v, want errcode %d", err, tt.wantCode)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.wantText) || !strings.Contains(msg, "rid ") {
				t.Errorf("error %q: want %q and the rid", msg, tt.wantText)
			}
			for _, secret := range []string{fake.AppSecret, testSecret, code} {
				if strings.Contains(msg, secret) {
					t.Errorf("error %q shows a secret or the code", msg)
				}
			}
		})
	}
	if _, err := p.Provider().Exchange(ctx, "bad code!"); !errors.Is(err, ErrMalformed) {
		t.Errorf("malformed code: %v", err)
	}
}

func TestExchangeWithoutProfile(t *testing.T) {
	// The profile is optional: when sns/userinfo fails with an errcode the
	// identity comes without it.
	p, fake, _ := newTestPlugin(t)
	api := newProxy(t, fake.URL())
	api.set("/sns/userinfo", `{"errcode":48001,"errmsg":"api unauthorized"}`)
	v := fake.Settings()
	v[KeyAPIBase] = api.URL
	if err := p.Configure(context.Background(), v); err != nil {
		t.Fatal(err)
	}
	code := fake.NewCode(wechattest.User{OpenID: "oNoProfile000000000000000001", Nickname: "x"}, ScopeUserInfo)
	id, err := p.Provider().Exchange(context.Background(), code)
	if err != nil || id.Subject != "oNoProfile000000000000000001" || id.Nickname != "" {
		t.Errorf("Exchange = %+v, %v", id, err)
	}

	// An answer for somebody else is refused.
	api.set("/sns/userinfo", `{"openid":"oSomebodyElse00000000000001","nickname":"x"}`)
	code = fake.NewCode(wechattest.User{OpenID: "oNoProfile000000000000000001"}, ScopeUserInfo)
	if _, err := p.Provider().Exchange(context.Background(), code); !errors.Is(err, ErrMalformed) {
		t.Errorf("userinfo for another openid: %v", err)
	}
}

func TestTransportErrorHidesSecret(t *testing.T) {
	p := New()
	// Nothing listens on port 1: the request fails before any answer.
	if err := p.Configure(context.Background(), good(KeyAPIBase, "http://127.0.0.1:1")); err != nil {
		t.Fatal(err)
	}
	_, err := p.Provider().Exchange(context.Background(), "031ZvDkl2tuQmb4TDFol21zkb61ZvDkB")
	if err == nil {
		t.Fatal("no error")
	}
	if msg := err.Error(); strings.Contains(msg, testSecret) || strings.Contains(msg, "031ZvDkl2tuQmb4TDFol21zkb61ZvDkB") || strings.Contains(msg, "secret=") {
		t.Errorf("transport error shows the request: %q", msg)
	}
}

func TestParseCallback(t *testing.T) {
	tests := []struct {
		query string
		want  Callback
		err   error
	}{
		{"code=031ZvDkl2tuQmb4TDFol21zkb61ZvDkB&state=abc", Callback{"031ZvDkl2tuQmb4TDFol21zkb61ZvDkB", "abc"}, nil},
		{"state=abc", Callback{}, ErrDenied},
		{"code=&state=abc", Callback{}, ErrDenied},
		{"code=abc", Callback{}, ErrMalformed},
		{"code=abc&state=a-b", Callback{}, ErrMalformed},
		{"code=a%20b&state=abc", Callback{}, ErrMalformed},
		{"code=a&code=b&state=abc", Callback{}, ErrMalformed},
		{"code=a&state=abc&state=abd", Callback{}, ErrMalformed},
		{"code=" + strings.Repeat("a", 129) + "&state=abc", Callback{}, ErrMalformed},
	}
	for _, tt := range tests {
		q, _ := url.ParseQuery(tt.query)
		got, err := ParseCallback(q)
		if got != tt.want || !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
			t.Errorf("ParseCallback(%q) = %+v, %v; want %+v, %v", tt.query, got, err, tt.want, tt.err)
		}
	}
}
