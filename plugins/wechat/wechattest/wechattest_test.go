package wechattest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// get calls the fake and decodes its JSON answer.
func get(t *testing.T, s *Server, path string, q url.Values) map[string]any {
	t.Helper()
	resp, err := http.Get(s.URL() + path + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, resp)
}

func post(t *testing.T, s *Server, path string, body any) map[string]any {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(s.URL()+path, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, resp)
}

func decode(t *testing.T, resp *http.Response) map[string]any {
	t.Helper()
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func errcode(m map[string]any) int {
	n, _ := m["errcode"].(float64)
	return int(n)
}

func (s *Server) stableBody(force bool) map[string]any {
	return map[string]any{"grant_type": "client_credential", "appid": s.AppID, "secret": s.AppSecret, "force_refresh": force}
}

func TestAuthorize(t *testing.T) {
	s := New()
	defer s.Close()
	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	authorize := func(raw string) *http.Response {
		t.Helper()
		resp, err := browser.Get(s.URL() + "/connect/oauth2/authorize?" + raw)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	cb := url.QueryEscape("https://shop.example.com/cb?x=1")
	ok := "appid=" + s.AppID + "&redirect_uri=" + cb + "&response_type=code&scope=snsapi_userinfo&state=abc"
	resp := authorize(ok)
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("status %d", resp.StatusCode)
	}
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if loc.Host != "shop.example.com" || loc.Query().Get("x") != "1" || loc.Query().Get("state") != "abc" || loc.Query().Get("code") == "" {
		t.Fatalf("redirected to %s", loc)
	}

	for name, raw := range map[string]string{
		"order":         "redirect_uri=" + cb + "&appid=" + s.AppID + "&response_type=code&scope=snsapi_userinfo&state=abc",
		"other appid":   "appid=wx0000000000000000&redirect_uri=" + cb + "&response_type=code&scope=snsapi_userinfo&state=abc",
		"response_type": "appid=" + s.AppID + "&redirect_uri=" + cb + "&response_type=token&scope=snsapi_userinfo&state=abc",
		"scope":         "appid=" + s.AppID + "&redirect_uri=" + cb + "&response_type=code&scope=snsapi_login&state=abc",
		"state":         "appid=" + s.AppID + "&redirect_uri=" + cb + "&response_type=code&scope=snsapi_base&state=a-b",
		"redirect":      "appid=" + s.AppID + "&redirect_uri=%2Fcb&response_type=code&scope=snsapi_base&state=abc",
	} {
		if resp := authorize(raw); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", name, resp.StatusCode)
		}
	}
	s.SetAuthDomain("other.example.com")
	if resp := authorize(ok); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("redirect_uri outside the auth domain: status %d", resp.StatusCode)
	}
	s.SetAuthDomain("shop.example.com")
	s.Deny(true)
	resp = authorize(ok)
	loc, _ = url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || loc.Query().Has("code") || loc.Query().Get("state") != "abc" {
		t.Errorf("denied: %d %s", resp.StatusCode, loc)
	}
}

func TestOAuthCodesWorkOnce(t *testing.T) {
	s := New()
	defer s.Close()
	u := User{OpenID: "o6_bmjrPTlm6_2sgVt7hMZOPfL2M", UnionID: "o6_bmasdasdsad6_2sgVt7hMZOPfL", Nickname: "小明", AvatarURL: "https://thirdwx.qlogo.cn/x/132"}
	code := s.NewCode(u, "snsapi_userinfo")
	q := url.Values{"appid": {s.AppID}, "secret": {s.AppSecret}, "code": {code}, "grant_type": {"authorization_code"}}
	a := get(t, s, "/sns/oauth2/access_token", q)
	if a["openid"] != u.OpenID || a["unionid"] != u.UnionID || a["scope"] != "snsapi_userinfo" || a["access_token"] == "" {
		t.Fatalf("answer %v", a)
	}
	if m := get(t, s, "/sns/oauth2/access_token", q); errcode(m) != 40163 {
		t.Errorf("second use: %v", m)
	}
	info := get(t, s, "/sns/userinfo", url.Values{"access_token": {a["access_token"].(string)}, "openid": {u.OpenID}, "lang": {"zh_CN"}})
	if info["nickname"] != "小明" || info["headimgurl"] != u.AvatarURL || info["unionid"] != u.UnionID {
		t.Errorf("userinfo %v", info)
	}
	if m := get(t, s, "/sns/userinfo", url.Values{"access_token": {a["access_token"].(string)}, "openid": {"oOther0000000000000000000001"}}); errcode(m) != 40003 {
		t.Errorf("userinfo for another openid: %v", m)
	}

	base := s.NewCode(u, "snsapi_base")
	q.Set("code", base)
	a = get(t, s, "/sns/oauth2/access_token", q)
	if _, has := a["unionid"]; has {
		t.Errorf("snsapi_base answer carries a unionid: %v", a)
	}
	if m := get(t, s, "/sns/userinfo", url.Values{"access_token": {a["access_token"].(string)}, "openid": {u.OpenID}}); errcode(m) != 48001 {
		t.Errorf("userinfo with snsapi_base: %v", m)
	}

	for name, tt := range map[string]struct {
		key, value string
		want       int
	}{
		"secret":     {"secret", strings.Repeat("0", 32), 40125},
		"appid":      {"appid", "wx0000000000000000", 40013},
		"grant_type": {"grant_type", "client_credential", 40002},
		"code":       {"code", "nope", 40029},
	} {
		q := url.Values{"appid": {s.AppID}, "secret": {s.AppSecret}, "code": {s.NewCode(u, "snsapi_base")}, "grant_type": {"authorization_code"}}
		q.Set(tt.key, tt.value)
		if m := get(t, s, "/sns/oauth2/access_token", q); errcode(m) != tt.want || !strings.Contains(m["errmsg"].(string), "rid: ") {
			t.Errorf("%s: %v, want %d with a rid", name, m, tt.want)
		}
	}
	if c := s.Counts(); c.Exchanges != 2 || c.UserInfos != 1 {
		t.Errorf("counts %+v", c)
	}
}

func TestTokensAndTickets(t *testing.T) {
	s := New()
	defer s.Close()
	first := post(t, s, "/cgi-bin/stable_token", s.stableBody(false))
	again := post(t, s, "/cgi-bin/stable_token", s.stableBody(false))
	if first["access_token"] == nil || first["access_token"] != again["access_token"] || first["expires_in"] != float64(TokenTTL) {
		t.Fatalf("normal mode: %v then %v", first, again)
	}
	forced := post(t, s, "/cgi-bin/stable_token", s.stableBody(true))
	if forced["access_token"] == first["access_token"] {
		t.Fatal("force_refresh kept the token")
	}
	ticket := func(token any) map[string]any {
		tok, _ := token.(string)
		return get(t, s, "/cgi-bin/ticket/getticket", url.Values{"access_token": {tok}, "type": {"jsapi"}})
	}
	if m := ticket(first["access_token"]); errcode(m) != 40001 {
		t.Errorf("ticket with the replaced token: %v", m)
	}
	if m := ticket(forced["access_token"]); m["ticket"] != s.Ticket() || errcode(m) != 0 {
		t.Errorf("ticket: %v", m)
	}
	legacy := get(t, s, "/cgi-bin/token", url.Values{"grant_type": {"client_credential"}, "appid": {s.AppID}, "secret": {s.AppSecret}})
	if m := ticket(legacy["access_token"]); m["ticket"] != s.Ticket() {
		t.Errorf("ticket with a legacy token: %v", m)
	}
	s.ExpireTokens()
	if m := ticket(forced["access_token"]); errcode(m) != 40001 {
		t.Errorf("ticket after ExpireTokens: %v", m)
	}
	if m := ticket(legacy["access_token"]); errcode(m) != 40001 {
		t.Errorf("legacy ticket after ExpireTokens: %v", m)
	}
	fresh := post(t, s, "/cgi-bin/stable_token", s.stableBody(false))
	if fresh["access_token"] == forced["access_token"] || errcode(ticket(fresh["access_token"])) != 0 {
		t.Errorf("after ExpireTokens the normal mode answered %v", fresh)
	}
	s.SetExpiresIn(600, 900)
	short := post(t, s, "/cgi-bin/stable_token", s.stableBody(true))
	if short["expires_in"] != float64(600) {
		t.Errorf("token expires_in %v", short["expires_in"])
	}
	if m := ticket(short["access_token"]); m["expires_in"] != float64(900) {
		t.Errorf("ticket expires_in %v", m["expires_in"])
	}

	s.DenyIP("203.0.113.7")
	m := post(t, s, "/cgi-bin/stable_token", s.stableBody(false))
	if errcode(m) != 40164 || !strings.Contains(m["errmsg"].(string), "invalid ip 203.0.113.7 ") {
		t.Errorf("denied IP: %v", m)
	}
	s.DenyIP("")
	bad := s.stableBody(false)
	bad["secret"] = strings.Repeat("f", 32)
	if m := post(t, s, "/cgi-bin/stable_token", bad); errcode(m) != 40125 {
		t.Errorf("wrong secret: %v", m)
	}
	resp, err := http.Get(s.URL() + "/cgi-bin/stable_token")
	if err != nil {
		t.Fatal(err)
	}
	if m := decode(t, resp); errcode(m) != 43002 {
		t.Errorf("GET stable_token: %v", m)
	}
	if c := s.Counts(); c.StableTokens != 5 || c.Tokens != 1 || c.Tickets != 4 {
		t.Errorf("counts %+v", c)
	}
}
