package wechat

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views/i18n"
)

const (
	testAppID  = "wx2421b1c4370ec43b"
	testSecret = "0123456789abcdef0123456789abcdef"
)

func good(extra ...string) plugins.SettingValues {
	v := plugins.SettingValues{KeyAppID: testAppID, KeyAppSecret: testSecret}
	for i := 0; i+1 < len(extra); i += 2 {
		v[extra[i]] = extra[i+1]
	}
	return v
}

// fields returns the fields named by a validation error, sorted.
func fields(t *testing.T, err error) []string {
	t.Helper()
	var ve store.ValidationErrors
	if !errors.As(err, &ve) {
		t.Fatalf("error %v is not store.ValidationErrors", err)
	}
	var out []string
	for _, e := range ve {
		out = append(out, e.Field)
	}
	slices.Sort(out)
	return out
}

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name   string
		values plugins.SettingValues
		bad    []string // fields at fault; nil = valid
		check  func(*testing.T, *config)
	}{
		{"defaults", good(), nil, func(t *testing.T, c *config) {
			if c.Scope != ScopeUserInfo || !c.Share || c.APIBase != DefaultAPIBase || c.OAuthBase != DefaultOAuthBase || !c.configured() {
				t.Errorf("defaults not applied: %+v", c)
			}
		}},
		{"empty is unconfigured", plugins.SettingValues{}, nil, func(t *testing.T, c *config) {
			if c.configured() {
				t.Error("empty values configured the account")
			}
		}},
		{"verify file alone", plugins.SettingValues{KeyVerifyFile: "MP_verify_AbC123.txt"}, nil, func(t *testing.T, c *config) {
			if c.configured() || c.VerifyFile != "MP_verify_AbC123.txt" {
				t.Errorf("got %+v", c)
			}
		}},
		{"spaces trimmed", good(KeyAppID, "  "+testAppID+" ", KeyVerifyFile, " MP_verify_x1.txt "), nil, func(t *testing.T, c *config) {
			if c.AppID != testAppID || c.VerifyFile != "MP_verify_x1.txt" {
				t.Errorf("got %+v", c)
			}
		}},
		{"silent scope", good(KeyScope, ScopeBase), nil, func(t *testing.T, c *config) {
			if c.Scope != ScopeBase {
				t.Errorf("scope %q", c.Scope)
			}
		}},
		{"share off", good(KeyShare, "0"), nil, func(t *testing.T, c *config) {
			if c.Share {
				t.Error("share still on")
			}
		}},
		{"loopback http base", good(KeyAPIBase, "http://127.0.0.1:8080/", KeyOAuthBase, "http://localhost:9"), nil, func(t *testing.T, c *config) {
			if c.APIBase != "http://127.0.0.1:8080" || c.OAuthBase != "http://localhost:9" {
				t.Errorf("bases %q %q", c.APIBase, c.OAuthBase)
			}
		}},
		{"ipv6 loopback", good(KeyAPIBase, "http://[::1]:80"), nil, nil},
		{"secret without appid", plugins.SettingValues{KeyAppSecret: testSecret}, []string{KeyAppID}, nil},
		{"appid without secret", plugins.SettingValues{KeyAppID: testAppID}, []string{KeyAppSecret}, nil},
		{"appid short", good(KeyAppID, "wx2421b1c4370ec43"), []string{KeyAppID}, nil},
		{"appid uppercase", good(KeyAppID, "WX2421B1C4370EC43B"), []string{KeyAppID}, nil},
		{"appid not wx", good(KeyAppID, "ww2421b1c4370ec43b"), []string{KeyAppID}, nil},
		{"secret short", good(KeyAppSecret, testSecret[:31]), []string{KeyAppSecret}, nil},
		{"secret not hex", good(KeyAppSecret, "0123456789abcdef0123456789abcdeg"), []string{KeyAppSecret}, nil},
		{"scope unknown", good(KeyScope, "snsapi_login"), []string{KeyScope}, nil},
		{"share odd", good(KeyShare, "yes"), []string{KeyShare}, nil},
		{"verify file path", good(KeyVerifyFile, "/MP_verify_abc.txt"), []string{KeyVerifyFile}, nil},
		{"verify file wrong name", good(KeyVerifyFile, "verify_abc.txt"), []string{KeyVerifyFile}, nil},
		{"verify file no content", good(KeyVerifyFile, "MP_verify_.txt"), []string{KeyVerifyFile}, nil},
		{"http base elsewhere", good(KeyAPIBase, "http://api.weixin.qq.com"), []string{KeyAPIBase}, nil},
		{"base with path", good(KeyAPIBase, "https://api.weixin.qq.com/cgi-bin"), []string{KeyAPIBase}, nil},
		{"base with query", good(KeyOAuthBase, "https://open.weixin.qq.com?x=1"), []string{KeyOAuthBase}, nil},
		{"base with user", good(KeyOAuthBase, "https://u:p@open.weixin.qq.com"), []string{KeyOAuthBase}, nil},
		{"base not a url", good(KeyAPIBase, "api.weixin.qq.com"), []string{KeyAPIBase}, nil},
		{"several at once", plugins.SettingValues{KeyAppID: "wx1", KeyAppSecret: "x", KeyScope: "?"}, []string{KeyAppID, KeyAppSecret, KeyScope}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseConfig(tt.values)
			if tt.bad != nil {
				if err == nil {
					t.Fatalf("accepted %v", tt.values)
				}
				if got := fields(t, err); !slices.Equal(got, tt.bad) {
					t.Errorf("fields at fault %v, want %v", got, tt.bad)
				}
				return
			}
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if tt.check != nil {
				tt.check(t, c)
			}
		})
	}
}

// TestCatalogueHasEveryKey checks that the schema's labels, helps, option
// labels and every validation message key are in the catalogue.
func TestCatalogueHasEveryKey(t *testing.T) {
	var keys []string
	for _, f := range schema() {
		keys = append(keys, f.Label)
		if f.Help != "" {
			keys = append(keys, f.Help)
		}
		if f.Group != "" {
			keys = append(keys, f.Group)
		}
		for _, o := range f.Options {
			keys = append(keys, o.Label)
		}
	}
	bad := []plugins.SettingValues{
		{KeyAppSecret: testSecret}, {KeyAppID: testAppID}, good(KeyAppID, "x"), good(KeyAppSecret, "x"),
		good(KeyScope, "x"), good(KeyShare, "x"), good(KeyVerifyFile, "x"), good(KeyAPIBase, "x"), good(KeyOAuthBase, "x"),
	}
	for _, v := range bad {
		_, err := parseConfig(v)
		var ve store.ValidationErrors
		if !errors.As(err, &ve) {
			t.Fatalf("%v: want validation errors, got %v", v, err)
		}
		for _, e := range ve {
			keys = append(keys, e.Key)
		}
	}
	for _, k := range keys {
		if !i18n.Has(k) {
			t.Errorf("i18n key %q is not in the catalogue", k)
		}
		if i18n.T(i18n.EN, k) == i18n.T(i18n.ZH, k) {
			t.Errorf("i18n key %q: the English text is the Chinese one", k)
		}
	}
	if err := plugins.CheckSchema(schema()); err != nil {
		t.Fatal(err)
	}
}

func TestConfigureKeepsOldOnError(t *testing.T) {
	p := New()
	ctx := context.Background()
	if err := p.Configure(ctx, good()); err != nil {
		t.Fatal(err)
	}
	if err := p.Configure(ctx, good(KeyAppID, "wxbad")); err == nil {
		t.Fatal("bad AppID accepted")
	}
	if p.AppID() != testAppID || p.Namespace() != "wechat:"+testAppID {
		t.Errorf("after a refused Configure: AppID %q, namespace %q", p.AppID(), p.Namespace())
	}
	if err := p.Configure(ctx, plugins.SettingValues{}); err != nil {
		t.Fatal(err)
	}
	if p.AppID() != "" || p.Namespace() != "" || p.Provider().Namespace() != "" {
		t.Errorf("cleared settings still configured: %q", p.AppID())
	}
}

func TestConfigureDropsTokensOnAccountChange(t *testing.T) {
	tests := []struct {
		name string
		next func(plugins.SettingValues) plugins.SettingValues
		keep bool
	}{
		{"scope changes", func(v plugins.SettingValues) plugins.SettingValues { v[KeyScope] = ScopeBase; return v }, true},
		{"verify file changes", func(v plugins.SettingValues) plugins.SettingValues { v[KeyVerifyFile] = "MP_verify_a.txt"; return v }, true},
		{"secret changes", func(v plugins.SettingValues) plugins.SettingValues { v[KeyAppSecret] = testSecret; return v }, false},
		{"appid changes", func(v plugins.SettingValues) plugins.SettingValues { v[KeyAppID] = testAppID; return v }, false},
		{"api base changes", func(v plugins.SettingValues) plugins.SettingValues {
			v[KeyAPIBase] = "https://api2.weixin.qq.com"
			return v
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, fake, _ := newTestPlugin(t)
			before := p.state.Load()
			if err := p.Configure(context.Background(), tt.next(fake.Settings())); err != nil {
				t.Fatal(err)
			}
			after := p.state.Load()
			if kept := after.token == before.token && after.ticket == before.ticket; kept != tt.keep {
				t.Errorf("caches kept = %v, want %v", kept, tt.keep)
			}
		})
	}
}

func TestVerifyFile(t *testing.T) {
	p := New()
	if name, content := p.VerifyFile(); name != "" || content != "" {
		t.Errorf("unconfigured: %q %q", name, content)
	}
	if err := p.Configure(context.Background(), plugins.SettingValues{KeyVerifyFile: "MP_verify_Wm3WZYTPz0wzccnW.txt"}); err != nil {
		t.Fatal(err)
	}
	name, content := p.VerifyFile()
	if name != "MP_verify_Wm3WZYTPz0wzccnW.txt" || content != "Wm3WZYTPz0wzccnW" {
		t.Errorf("VerifyFile = %q, %q", name, content)
	}
	if p.Provider().Available(nil) {
		t.Error("a verification file alone makes login available")
	}
}
