package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/plugins/sandbox"
	"github.com/xiaodian/xiaodian/store"
)

// testPay is a payment plugin with settings of every kind, recording what
// it was configured with. Its provider takes no money: these tests are
// about the settings machinery.
type testPay struct {
	mu         sync.Mutex
	configured plugins.SettingValues
	calls      int
	testErr    error
}

func (*testPay) ID() string          { return "testpay" }
func (*testPay) Name() string        { return "测试支付" }
func (*testPay) Description() string { return "settings test" }
func (p *testPay) Register(r *plugins.Registry) error {
	return r.AddPaymentProvider(p.ID(), testPayProvider{p})
}
func (*testPay) SettingsSchema() []plugins.SettingField {
	return []plugins.SettingField{
		{Key: "merchant", Kind: plugins.FieldText, Label: "商户号"},
		{Key: "api_key", Kind: plugins.FieldSecret, Label: "API 密钥"},
		{Key: "private_key", Kind: plugins.FieldSecretText, Label: "私钥"},
		{Key: "public_key", Kind: plugins.FieldTextarea, Label: "公钥"},
		{Key: "h5", Kind: plugins.FieldBool, Label: "H5", Default: "1"},
		{Key: "mode", Kind: plugins.FieldSelect, Label: "模式", Default: "a", Options: []plugins.SettingOption{{Value: "a", Label: "A"}, {Value: "b", Label: "B"}}},
	}
}

// Configure accepts digits as the merchant, and "bad" as the API key is a
// refusal naming no field.
func (p *testPay) Configure(_ context.Context, v plugins.SettingValues) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
	if m := v.Get("merchant"); m != "" && strings.Trim(m, "0123456789") != "" {
		return store.Invalid("merchant", "validation.required")
	}
	if v.Get("api_key") == "bad" {
		return errors.New("the gateway would refuse this key")
	}
	p.configured = v
	return nil
}

func (p *testPay) TestConnection(context.Context) (string, error) {
	if p.testErr != nil {
		return "", p.testErr
	}
	return "连接成功 / Connected", nil
}

func (p *testPay) values() plugins.SettingValues {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.configured
}

type testPayProvider struct{ p *testPay }

func (testPayProvider) ID() string                           { return "testpay" }
func (testPayProvider) Name() string                         { return "测试支付" }
func (testPayProvider) Channel(*http.Request) (string, bool) { return "", false }
func (testPayProvider) Pay(context.Context, plugins.PayRequest) (*plugins.PayAction, error) {
	return nil, plugins.ErrProviderUnavailable
}
func (testPayProvider) VerifyNotify(context.Context, *http.Request, []byte) (*plugins.Notification, error) {
	return nil, plugins.ErrBadNotify
}
func (testPayProvider) Ack(error) (int, string, []byte) {
	return http.StatusBadRequest, "text/plain", nil
}
func (testPayProvider) Refund(context.Context, plugins.RefundRequest) (*plugins.RefundResult, error) {
	return nil, plugins.ErrProviderUnavailable
}
func (testPayProvider) Query(context.Context, *store.Payment) (*plugins.QueryResult, error) {
	return nil, plugins.ErrProviderUnavailable
}
func (testPayProvider) Close(context.Context, *store.Payment) error { return nil }

func openPayApp(t *testing.T, dir string, tp *testPay, cfg AppConfig) *testApp {
	t.Helper()
	cfg.DataDir = dir
	cfg.Plugins = []plugins.Plugin{sandbox.New(), tp}
	a := openTestApp(t, cfg)
	return a
}

const testPEM = "-----BEGIN PRIVATE KEY-----\nMIIBVQIBADANBg\n-----END PRIVATE KEY-----\n"

// TestPluginSettingsForm: the form drawn from the schema refuses what the
// plugin refuses (nothing stored, the plugin unchanged), stores what it
// accepts with secrets sealed and never shown back, keeps a secret left
// empty, clears one on request, and remembers a bool switched off.
func TestPluginSettingsForm(t *testing.T) {
	tp := &testPay{}
	dir := t.TempDir()
	a := openPayApp(t, dir, tp, AppConfig{})
	a.setupOwner(t)
	ctx := t.Context()

	before := tp.values() // the defaults, given at start
	if before.Get("h5") != "1" || before.Get("mode") != "a" || before.Get("merchant") != "" {
		t.Fatalf("configured at start with %v, want the defaults", before)
	}
	_, body := a.get(t, "/admin/payments")
	if !strings.Contains(body, `data-testid="provider-testpay"`) || !strings.Contains(body, "未配置") {
		t.Fatalf("list does not show testpay unconfigured:\n%s", body)
	}
	if !strings.Contains(body, `data-testid="base-url-missing"`) {
		t.Error("no warning that server.base_url is missing")
	}
	resp, body := a.get(t, "/admin/payments/testpay")
	mustStatus(t, "form", resp, body, http.StatusOK)
	for _, want := range []string{`name="merchant"`, `name="api_key"`, `type="password"`, `name="private_key"`, `name="h5" value="1" checked`, `<option value="a" selected`} {
		if !strings.Contains(body, want) {
			t.Errorf("form lacks %s", want)
		}
	}

	form := url.Values{"merchant": {"12ab"}, "api_key": {"s3cret-key"}, "private_key": {testPEM}, "h5": {"1"}, "mode": {"b"}}
	resp, body = a.postForm(t, "/admin/payments/testpay", form)
	mustStatus(t, "bad merchant", resp, body, http.StatusUnprocessableEntity)
	if !strings.Contains(body, `data-testid="error-merchant"`) || !strings.Contains(body, `value="12ab"`) {
		t.Error("refused form lacks the message beside the field or the typed value")
	}
	if strings.Contains(body, "s3cret-key") {
		t.Error("refused form shows the secret back")
	}
	if st, _ := a.DB.PluginSettings(ctx, "testpay"); len(st) != 0 {
		t.Fatalf("refused form stored %v", st)
	}
	if v := tp.values(); v.Get("merchant") != "" || v.Get("mode") != "a" {
		t.Fatalf("refused values reached the plugin: %v", v)
	}
	form.Set("mode", "z")
	form.Set("merchant", "1900000109")
	resp, body = a.postForm(t, "/admin/payments/testpay", form)
	mustStatus(t, "bad option", resp, body, http.StatusUnprocessableEntity)
	if !strings.Contains(body, `data-testid="error-mode"`) {
		t.Error("unknown option not refused beside the field")
	}
	form.Set("mode", "b")
	form.Set("api_key", "bad")
	resp, body = a.postForm(t, "/admin/payments/testpay", form)
	mustStatus(t, "refused key", resp, body, http.StatusUnprocessableEntity)
	if !strings.Contains(body, `data-testid="settings-problem"`) || !strings.Contains(body, "the gateway would refuse this key") {
		t.Error("a refusal naming no field is not shown")
	}
	if st, _ := a.DB.PluginSettings(ctx, "testpay"); len(st) != 0 {
		t.Fatalf("refused forms stored %v", st)
	}

	form.Set("api_key", "s3cret-key")
	form.Del("h5") // unticked
	resp, _ = a.postForm(t, "/admin/payments/testpay", form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d", resp.StatusCode)
	}
	got := tp.values()
	if got.Get("merchant") != "1900000109" || got.Get("api_key") != "s3cret-key" || got.Get("private_key") != testPEM ||
		got.Get("h5") != "0" || got.Get("mode") != "b" {
		t.Fatalf("plugin configured with %v", got)
	}
	raw := rawPluginSetting(t, a, "testpay", "api_key")
	if !strings.HasPrefix(raw, "v1:") || strings.Contains(raw, "s3cret") {
		t.Fatalf("secret stored as %q, want sealed", raw)
	}
	if raw := rawPluginSetting(t, a, "testpay", "merchant"); raw != "1900000109" {
		t.Fatalf("plain value stored as %q", raw)
	}
	_, body = a.get(t, "/admin/payments/testpay")
	if strings.Contains(body, "s3cret") || strings.Contains(body, "MIIBVQ") {
		t.Fatal("the form shows a stored secret")
	}
	if !strings.Contains(body, "已保存（留空则保持不变）") || !strings.Contains(body, `data-testid="clear-api_key"`) {
		t.Error("the form does not say the secret is stored")
	}
	if box := regexp.MustCompile(`<input type="checkbox" name="h5"[^>]*>`).FindString(body); box == "" || strings.Contains(box, "checked") {
		t.Errorf("h5 switched off shows as %q", box)
	}

	// Empty keeps the stored secret; clear_ removes it.
	form.Set("api_key", "")
	form.Set("private_key", "")
	form.Set("clear_private_key", "1")
	resp, _ = a.postForm(t, "/admin/payments/testpay", form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("second save: %d", resp.StatusCode)
	}
	got = tp.values()
	if got.Get("api_key") != "s3cret-key" || got.Get("private_key") != "" {
		t.Fatalf("after keep/clear: api_key %q private_key %q", got.Get("api_key"), got.Get("private_key"))
	}

	// Switched off, and the switch survives a restart; a restart configures
	// the plugin with the stored (opened) values.
	resp, _ = a.postForm(t, "/admin/payments/testpay/enabled", url.Values{"on": {"0"}})
	if resp.StatusCode != http.StatusSeeOther || a.Plugins.Enabled("testpay") {
		t.Fatalf("switch off: %d, enabled %v", resp.StatusCode, a.Plugins.Enabled("testpay"))
	}
	tp2 := &testPay{}
	b := openPayApp(t, dir, tp2, AppConfig{})
	if b.Plugins.Enabled("testpay") {
		t.Error("the switch did not survive a restart")
	}
	if v := tp2.values(); v.Get("api_key") != "s3cret-key" || v.Get("merchant") != "1900000109" || v.Get("h5") != "0" {
		t.Errorf("restart configured %v", v)
	}
}

func rawPluginSetting(t *testing.T, a *testApp, plugin, key string) string {
	t.Helper()
	// Read the row itself: a sealed value must not be readable there.
	v, err := a.DB.RawPluginSetting(t.Context(), plugin, key)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestPluginSettingsLocked: values from the config file and the
// environment win, are shown locked, and a posted value cannot change them.
func TestPluginSettingsLocked(t *testing.T) {
	tp := &testPay{}
	keyFile := filepath.Join(t.TempDir(), "key.pem")
	if err := os.WriteFile(keyFile, []byte(testPEM), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"XIAODIAN_PLUGINS_TESTPAY_PRIVATE_KEY": "file:" + keyFile, "XIAODIAN_PLUGINS_TESTPAY_H5": "false"}
	a := openPayApp(t, t.TempDir(), tp, AppConfig{
		PluginConfig: map[string]map[string]string{"testpay": {"merchant": "1230000109", "api_key": "from-config"}},
		Getenv:       func(k string) string { return env[k] },
	})
	a.setupOwner(t)
	if v := tp.values(); v.Get("merchant") != "1230000109" || v.Get("api_key") != "from-config" || v.Get("private_key") != testPEM || v.Get("h5") != "0" {
		t.Fatalf("configured at start with %v", v)
	}
	_, body := a.get(t, "/admin/payments/testpay")
	for _, key := range []string{"merchant", "api_key", "private_key", "h5"} {
		if !strings.Contains(body, `data-testid="locked-`+key+`"`) {
			t.Errorf("%s not shown locked", key)
		}
	}
	if !strings.Contains(body, "XIAODIAN_PLUGINS_TESTPAY_MERCHANT") || strings.Contains(body, "from-config") {
		t.Error("locked hint missing, or the locked secret shown")
	}
	resp, _ := a.postForm(t, "/admin/payments/testpay", url.Values{"merchant": {"999"}, "api_key": {"typed"}, "h5": {"1"}, "mode": {"b"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d", resp.StatusCode)
	}
	if v := tp.values(); v.Get("merchant") != "1230000109" || v.Get("api_key") != "from-config" || v.Get("mode") != "b" {
		t.Fatalf("posted values beat the locked ones: %v", v)
	}
}

// TestPluginSettingsKeyChanged: with another secret key the stored secrets
// do not open; the back office says so instead of failing.
func TestPluginSettingsKeyChanged(t *testing.T) {
	tp := &testPay{}
	dir := t.TempDir()
	a := openPayApp(t, dir, tp, AppConfig{})
	a.setupOwner(t)
	resp, _ := a.postForm(t, "/admin/payments/testpay", url.Values{"merchant": {"1"}, "api_key": {"k1"}, "h5": {"1"}, "mode": {"a"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d", resp.StatusCode)
	}
	if err := os.Remove(filepath.Join(dir, secretKeyFile)); err != nil {
		t.Fatal(err)
	}
	tp2 := &testPay{}
	b := openPayApp(t, dir, tp2, AppConfig{})
	if v := tp2.values(); v.Get("api_key") != "" || v.Get("merchant") != "1" {
		t.Fatalf("with a new key the plugin got %v", v)
	}
	resp, _ = b.postForm(t, "/admin/login", url.Values{"username": {testOwner}, "password": {testPassword}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	_, body := b.get(t, "/admin/payments")
	if !strings.Contains(body, "无法解密") {
		t.Errorf("list does not say the secrets do not open:\n%s", regexp.MustCompile(`(?s)<main.*</main>`).FindString(body))
	}
}

// TestPluginConnectionTest: 测试连接 shows the plugin's answer, success or
// failure; before anything is saved it asks to save first.
func TestPluginConnectionTest(t *testing.T) {
	tp := &testPay{}
	a := openPayApp(t, t.TempDir(), tp, AppConfig{})
	a.setupOwner(t)
	resp, _ := a.postForm(t, "/admin/payments/testpay/test", nil)
	_, body := a.get(t, resp.Header.Get("Location"))
	if !strings.Contains(body, "请先保存设置") {
		t.Error("testing unconfigured settings does not ask to save first")
	}
	a.postForm(t, "/admin/payments/testpay", url.Values{"merchant": {"1"}, "api_key": {"k"}, "h5": {"1"}, "mode": {"a"}})
	resp, _ = a.postForm(t, "/admin/payments/testpay/test", nil)
	_, body = a.get(t, resp.Header.Get("Location"))
	if !strings.Contains(body, "测试通过：连接成功 / Connected") {
		t.Error("successful test not shown")
	}
	tp.testErr = errors.New("签名被拒绝 / signature refused")
	resp, _ = a.postForm(t, "/admin/payments/testpay/test", nil)
	_, body = a.get(t, resp.Header.Get("Location"))
	if !strings.Contains(body, "测试失败：签名被拒绝") {
		t.Error("failed test not shown")
	}
}

// TestPaymentSettingsShowNotifyURL: with server.base_url set, each payment
// provider's card gives the full callback address to enter at the gateway,
// and there is no warning.
func TestPaymentSettingsShowNotifyURL(t *testing.T) {
	a := openServedApp(t, AppConfig{})
	a.setupOwner(t)
	_, body := a.get(t, "/admin/payments")
	if strings.Contains(body, `data-testid="base-url-missing"`) {
		t.Error("warning about server.base_url while it is set")
	}
	for _, id := range []string{"wechatpay", "alipay", "sandbox"} {
		if !strings.Contains(body, a.srv.URL+"/pay/notify/"+id) {
			t.Errorf("no full notify URL for %s", id)
		}
	}
	if !strings.Contains(body, `data-testid="provider-wechat"`) || strings.Contains(body, a.srv.URL+"/pay/notify/wechat<") {
		t.Error("the official account is listed wrong")
	}
}

// TestSandboxCardInProduction: in production mode the sandbox's card says
// it is off, and the pay page never offers it.
func TestSandboxCardInProduction(t *testing.T) {
	a := openTestApp(t, AppConfig{DataDir: t.TempDir(), Mode: "production"})
	a.setupOwner(t)
	_, body := a.get(t, "/admin/payments")
	if !strings.Contains(body, "生产模式（mode: production）下模拟支付停用") {
		t.Error("the sandbox's card does not say it is off in production")
	}
	if _, ok := a.Plugins.PaymentProvider(sandbox.ID); ok {
		t.Error("the sandbox takes payments in production")
	}
}
