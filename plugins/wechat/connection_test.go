package wechat

import (
	"context"
	"strings"
	"testing"

	"github.com/xiaodian/xiaodian/plugins"
)

func TestTestConnection(t *testing.T) {
	p, fake, _ := newTestPlugin(t)
	ctx := context.Background()

	msg, err := p.TestConnection(ctx)
	if err != nil || msg != "连接成功：AppID 与 AppSecret 有效 / Connected: the AppID and AppSecret are valid" {
		t.Fatalf("TestConnection = %q, %v", msg, err)
	}
	// The token it fetched is kept: signing needs no second one.
	if _, err := p.Provider().ShareConfig(ctx, page); err != nil {
		t.Fatal(err)
	}
	if c := fake.Counts(); c.StableTokens != 1 {
		t.Errorf("%d token fetches, want 1", c.StableTokens)
	}

	tests := []struct {
		name  string
		setup func(plugins.SettingValues)
		deny  string
		want  []string
	}{
		{"ip not whitelisted", nil, "203.0.113.7", []string{"203.0.113.7", "IP 白名单", "设置与开发 → 基本配置", " / ", "IP whitelist"}},
		{"wrong secret", func(v plugins.SettingValues) { v[KeyAppSecret] = testSecret }, "", []string{"AppSecret 不正确", " / The AppSecret is wrong"}},
		{"wrong appid", func(v plugins.SettingValues) { v[KeyAppID] = testAppID }, "", []string{"AppID 不正确", " / The AppID is wrong"}},
		{"unreachable", func(v plugins.SettingValues) { v[KeyAPIBase] = "http://127.0.0.1:1" }, "", []string{"无法连接微信服务器", " / Could not reach WeChat"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := fake.Settings()
			if tt.setup != nil {
				tt.setup(v)
			}
			if err := p.Configure(ctx, v); err != nil {
				t.Fatal(err)
			}
			fake.DenyIP(tt.deny)
			defer fake.DenyIP("")
			msg, err := p.TestConnection(ctx)
			if err == nil {
				t.Fatalf("TestConnection succeeded: %q", msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("message %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), fake.AppSecret) || strings.Contains(err.Error(), testSecret) {
				t.Errorf("message %q shows the secret", err)
			}
		})
	}

	if _, err := New().TestConnection(ctx); err == nil || !strings.Contains(err.Error(), " / ") {
		t.Errorf("unconfigured TestConnection: %v", err)
	}
}

func TestWhitelistIP(t *testing.T) {
	tests := []struct{ msg, want string }{
		{"invalid ip 113.70.100.150, not in whitelist hint: [i50PvA0089sha6]", "113.70.100.150"},
		{"invalid ip 101.45.43.1 ipv6 ::ffff:101.45.43.1, not in whitelist hint: [jotvMa01143580]", "101.45.43.1"},
		{"invalid ip 2001:db8::1, not in whitelist", "2001:db8::1"},
		{"invalid ip 999.1.1.1, not in whitelist", ""},
		{"not in whitelist", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := WhitelistIP(tt.msg); got != tt.want {
			t.Errorf("WhitelistIP(%q) = %q, want %q", tt.msg, got, tt.want)
		}
	}
}

func TestAPIErrorText(t *testing.T) {
	e := newAPIError("cgi-bin/x", 99999, "weird thing 0123456789abcdef0123456789abcdef happened, rid: 64f4444a-5f19e663-62c00404", testSecret)
	msg := e.Error()
	if strings.Contains(msg, testSecret) || !strings.Contains(msg, "***") || !strings.Contains(msg, "rid 64f4444a-5f19e663-62c00404") || !strings.Contains(msg, "errcode 99999") {
		t.Errorf("unknown code's text %q", msg)
	}
	long := newAPIError("x", 99998, strings.Repeat("长", 500)+"\x00\n").Error()
	if len([]rune(long)) > 200 || strings.ContainsAny(long, "\x00\n") {
		t.Errorf("long errmsg kept: %d runes", len([]rune(long)))
	}
}
