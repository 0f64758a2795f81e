package wechat

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/xiaodian/xiaodian/plugins"
)

// Every parser of outside input: WeChat's JSON answers, the callback's
// query, the errmsg of a refusal, the page URLs to sign, the settings form.

func FuzzParseOAuthToken(f *testing.F) {
	f.Add([]byte(`{"access_token":"ACCESS_TOKEN","expires_in":7200,"refresh_token":"REFRESH_TOKEN","openid":"o6_bmjrPTlm6_2sgVt7hMZOPfL2M","scope":"snsapi_userinfo","unionid":"o6_bmasdasdsad6_2sgVt7hMZOPfL"}`))
	f.Add([]byte(`{"access_token":"T","openid":"oABCDEF","scope":"snsapi_base,snsapi_userinfo","is_snapshotuser":1}`))
	f.Add([]byte(`{"errcode":40029,"errmsg":"invalid code, rid: 641d8438-5f5ec4a3-76c11b5f"}`))
	f.Add([]byte(`{"openid":123}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		tok, st, err := parseOAuthToken(body)
		if err != nil {
			if !errors.Is(err, ErrMalformed) || tok != nil {
				t.Fatalf("error %v with token %v", err, tok)
			}
			return
		}
		if st.ErrCode != 0 {
			if tok != nil {
				t.Fatal("token with an errcode")
			}
			return
		}
		if !idPattern.MatchString(tok.OpenID) || (tok.UnionID != "" && !idPattern.MatchString(tok.UnionID)) || !validToken(tok.AccessToken) {
			t.Fatalf("accepted %+v", tok)
		}
		for _, s := range tok.Scopes {
			if s == "" || strings.TrimSpace(s) != s {
				t.Fatalf("scope %q", s)
			}
		}
	})
}

func FuzzParseUserInfo(f *testing.F) {
	f.Add([]byte(`{"openid":"o6_bmjrPTlm6_2sgVt7hMZOPfL2M","nickname":"小明 🍊","sex":1,"province":"广东","city":"深圳","country":"CN","headimgurl":"https://thirdwx.qlogo.cn/mmopen/g3MonUZtNHkdmzicIlibx6iaFqAc56vxLSUfpb6n5WKSYVY0ChQKkiaJSgQ1dZuTOgvLLrhJbERQQ4eMsv84eavHiaiceqxibJxCfHe/46","privilege":["PRIVILEGE1","PRIVILEGE2"],"unionid":"o6_bmasdasdsad6_2sgVt7hMZOPfL"}`))
	f.Add([]byte(`{"openid":"oABCDEF","nickname":"a\u0000b\u202ec","headimgurl":""}`))
	f.Add([]byte(`{"openid":"oABCDEF","headimgurl":"javascript:alert(1)"}`))
	f.Add([]byte(`{"errcode":48001,"errmsg":"api unauthorized"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		u, st, err := parseUserInfo(body)
		if err != nil || st.ErrCode != 0 {
			if u != nil {
				t.Fatal("profile with an error")
			}
			return
		}
		if !idPattern.MatchString(u.OpenID) || !utf8.ValidString(u.Nickname) || utf8.RuneCountInString(u.Nickname) > maxNickname {
			t.Fatalf("accepted %+v", u)
		}
		for _, r := range u.Nickname {
			if r < 0x20 || r == 0x7f || r == '\u202e' {
				t.Fatalf("nickname %q keeps a control character", u.Nickname)
			}
		}
		if u.AvatarURL != "" && !strings.HasPrefix(u.AvatarURL, "https://") && !strings.HasPrefix(u.AvatarURL, "http://") {
			t.Fatalf("avatar %q", u.AvatarURL)
		}
	})
}

func FuzzParseCredential(f *testing.F) {
	f.Add([]byte(`{"access_token":"ACCESS_TOKEN","expires_in":7200}`))
	f.Add([]byte(`{"errcode":0,"errmsg":"ok","ticket":"bxLdikRXVbTPdHSM05e5u5sUoXNKd8-41ZO3MhKoyN5OfkWITDGgnr2fwJ0m9E8NYzWKVZvdVtaUgWvsdshFKA","expires_in":7200}`))
	f.Add([]byte(`{"errcode":40164,"errmsg":"invalid ip 1.2.3.4 ipv6 ::ffff:1.2.3.4, not in whitelist rid: 1-2-3"}`))
	f.Add([]byte(`{"access_token":"x y","expires_in":-1}`))
	f.Add([]byte(`{"ticket":"t","expires_in":1e400}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		for name, parse := range map[string]func([]byte) (credential, status, error){"token": parseStableToken, "ticket": parseTicket} {
			c, st, err := parse(body)
			if err != nil || st.ErrCode != 0 {
				if c != (credential{}) {
					t.Fatalf("%s: credential with an error", name)
				}
				continue
			}
			if !validToken(c.Value) || !validExpiry(c.ExpiresIn) || lifetime(c.ExpiresIn) <= 0 {
				t.Fatalf("%s: accepted %+v", name, c)
			}
		}
	})
}

func FuzzParseCallback(f *testing.F) {
	f.Add("code=031ZvDkl2tuQmb4TDFol21zkb61ZvDkB&state=abc")
	f.Add("state=abc")
	f.Add("code=a&code=b&state=c")
	f.Add("code=%00&state=%E4%B8%AD")
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		cb, err := ParseCallback(q)
		if err != nil {
			if cb != (Callback{}) {
				t.Fatal("callback with an error")
			}
			return
		}
		if !codePattern.MatchString(cb.Code) || !statePattern.MatchString(cb.State) {
			t.Fatalf("accepted %+v", cb)
		}
	})
}

func FuzzAPIErrorText(f *testing.F) {
	f.Add(40164, "invalid ip 113.70.100.150 ipv6 ::ffff:113.70.100.150, not in whitelist rid: 6392f3df-5ec06d49-2fa07bbf", "0123456789abcdef0123456789abcdef")
	f.Add(99999, "echo 0123456789abcdef0123456789abcdef", "0123456789abcdef0123456789abcdef")
	f.Add(40029, "invalid code, hints: [ req_id: 1foBSgMre-Hz ]", "031ZvDkl2tuQmb4TDFol21zkb61ZvDkB")
	f.Fuzz(func(t *testing.T, code int, errmsg, secret string) {
		e := newAPIError("op", code, errmsg, secret)
		_ = e.Error()
		// What we replace with ("***") and append ("…") cannot make up a
		// secret that has neither.
		if len(secret) >= 4 && !strings.ContainsAny(secret, "*…") && strings.Contains(e.Msg, secret) {
			t.Fatalf("errmsg %q: secret %q kept in %q", errmsg, secret, e.Msg)
		}
		if ip := WhitelistIP(errmsg); ip != "" && !strings.ContainsAny(ip, ".:") {
			t.Fatalf("WhitelistIP(%q) = %q", errmsg, ip)
		}
		if !utf8.ValidString(e.Msg) || strings.ContainsAny(e.Msg, "\x00\r\n") {
			t.Fatalf("Msg %q", e.Msg)
		}
	})
}

func FuzzSignableURL(f *testing.F) {
	f.Add("https://shop.example.com/p/42?ref=D8K2#reviews")
	f.Add("http://mp.weixin.qq.com?params=value")
	f.Add("javascript:alert(1)//#")
	f.Add("https://a@b/#")
	f.Fuzz(func(t *testing.T, in string) {
		out, err := SignableURL(in)
		if err != nil {
			return
		}
		if strings.Contains(out, "#") || !strings.HasPrefix(in, out) || len(out) > maxPageURL {
			t.Fatalf("SignableURL(%q) = %q", in, out)
		}
		if !strings.HasPrefix(out, "http://") && !strings.HasPrefix(out, "https://") {
			t.Fatalf("SignableURL(%q) = %q: not http(s)", in, out)
		}
	})
}

func FuzzParseConfig(f *testing.F) {
	f.Add(testAppID, testSecret, ScopeUserInfo, "1", "MP_verify_abc.txt", DefaultAPIBase, DefaultOAuthBase)
	f.Add("", "", "", "", "", "", "")
	f.Add("wx", "x", "snsapi_login", "yes", "/MP_verify_.txt", "http://example.com", "ftp://x")
	f.Fuzz(func(t *testing.T, appID, secret, scope, share, verify, apiBase, oauthBase string) {
		c, err := parseConfig(plugins.SettingValues{
			KeyAppID: appID, KeyAppSecret: secret, KeyScope: scope, KeyShare: share,
			KeyVerifyFile: verify, KeyAPIBase: apiBase, KeyOAuthBase: oauthBase,
		})
		if err != nil {
			if c != nil {
				t.Fatal("config with an error")
			}
			return
		}
		if c.AppID != "" && (!appIDPattern.MatchString(c.AppID) || !appSecretPattern.MatchString(c.AppSecret)) {
			t.Fatalf("accepted account %q/%q", c.AppID, c.AppSecret)
		}
		if (c.AppID == "") != (c.AppSecret == "") {
			t.Fatal("half an account accepted")
		}
		if c.Scope != ScopeUserInfo && c.Scope != ScopeBase {
			t.Fatalf("scope %q", c.Scope)
		}
		for _, b := range []string{c.APIBase, c.OAuthBase} {
			if _, ok := parseBase(b); !ok || strings.HasSuffix(b, "/") {
				t.Fatalf("base %q", b)
			}
		}
		if name, content := verifyFileOf(c); name != "" && (!strings.HasPrefix(name, "MP_verify_") || !strings.HasSuffix(name, content+".txt")) {
			t.Fatalf("verify file %q / %q", name, content)
		}
	})
}

func verifyFileOf(c *config) (string, string) {
	m := verifyFilePattern.FindStringSubmatch(c.VerifyFile)
	if m == nil {
		return "", ""
	}
	return c.VerifyFile, m[1]
}
