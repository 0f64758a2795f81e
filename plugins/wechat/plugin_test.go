package wechat

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/xiaodian/xiaodian/plugins"
)

func TestRegister(t *testing.T) {
	r := plugins.NewRegistry()
	p := New()
	if err := r.Register(p); err != nil {
		t.Fatal(err)
	}
	lp, ok := r.LoginProvider(ID)
	if !ok || lp.Name() != "微信登录" || lp.ID() != "wechat" {
		t.Fatalf("login provider %v, %v", lp, ok)
	}
	if _, ok := lp.(plugins.ShareSigner); !ok {
		t.Error("the login provider does not sign share cards")
	}
	c, ok := r.Configurable(ID)
	if !ok || c.Name() != "微信公众号" {
		t.Fatalf("configurable %v, %v", c, ok)
	}
	if _, ok := c.(plugins.ConnectionTester); !ok {
		t.Error("no 测试连接")
	}
	if _, found := r.LoginProviderFor("wechat:" + testAppID); found {
		t.Error("an unconfigured plugin answers for a namespace")
	}
	if err := c.Configure(context.Background(), good()); err != nil {
		t.Fatal(err)
	}
	if got, found := r.LoginProviderFor("wechat:" + testAppID); !found || got != lp {
		t.Errorf("LoginProviderFor after Configure = %v, %v", got, found)
	}
	r.SetEnabled(ID, false)
	if _, ok := r.LoginProvider(ID); ok {
		t.Error("disabled plugin still offers its login")
	}
}

func TestAvailable(t *testing.T) {
	const (
		wechatIOS     = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN"
		wechatAndroid = "Mozilla/5.0 (Linux; Android 13; V2148A Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160065 MMWEBSDK/20231202 MMWEBID/2247 MicroMessenger/8.0.47.2560(0x28002F30) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64"
		wxwork        = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 wxwork/4.1.16 MicroMessenger/7.0.1 Language/zh ColorScheme/Light"
		safari        = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
	)
	unconfigured := New()
	configured := New()
	if err := configured.Configure(context.Background(), good()); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		p    *Plugin
		ua   string
		want bool
	}{
		{configured, wechatIOS, true},
		{configured, wechatAndroid, true},
		{configured, wxwork, false},
		{configured, safari, false},
		{configured, "", false},
		{unconfigured, wechatIOS, false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/login", nil)
		r.Header.Set("User-Agent", tt.ua)
		if got := tt.p.Provider().Available(r); got != tt.want {
			t.Errorf("Available(configured=%v, %q) = %v, want %v", tt.p.AppID() != "", tt.ua, got, tt.want)
		}
	}
}
