package wechatpay

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/plugins/wechatpay/wechatpaytest"
	"github.com/xiaodian/xiaodian/store"
)

func catalogue(t *testing.T, locale string) map[string]string {
	t.Helper()
	b, err := os.ReadFile("../../views/i18n/wechatpay." + locale + ".json")
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSchemaAndMessages(t *testing.T) {
	p := New()
	fields := p.SettingsSchema()
	if err := plugins.CheckSchema(fields); err != nil {
		t.Fatal(err)
	}
	var keys []string
	var i18nKeys []string
	for _, f := range fields {
		keys = append(keys, f.Key)
		i18nKeys = append(i18nKeys, f.Label)
		if f.Help != "" {
			i18nKeys = append(i18nKeys, f.Help)
		}
		if f.Group != "" {
			i18nKeys = append(i18nKeys, f.Group)
		}
	}
	// The keys are the contract with config files and the docs.
	want := []string{"mch_id", "app_id", "mch_serial_no", "mch_private_key", "apiv3_key", "public_key_id", "public_key",
		"platform_certs", "channel_jsapi", "channel_h5", "channel_native", "payout", "transfer_scene_id", "payout_perception",
		"payout_report_infos", "base_url"}
	if !slices.Equal(keys, want) {
		t.Fatalf("keys %v", keys)
	}
	kinds := map[string]plugins.FieldKind{}
	for _, f := range fields {
		kinds[f.Key] = f.Kind
	}
	if kinds["mch_private_key"] != plugins.FieldSecretText || kinds["apiv3_key"] != plugins.FieldSecret ||
		kinds["public_key"] != plugins.FieldTextarea || kinds["platform_certs"] != plugins.FieldBool || kinds["base_url"] != plugins.FieldText {
		t.Fatalf("kinds %v", kinds)
	}
	// Every message key of plugin.go is in both catalogues.
	src, err := os.ReadFile("plugin.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`"(wechatpay\.[a-z0-9_]+)"`).FindAllStringSubmatch(string(src), -1) {
		i18nKeys = append(i18nKeys, m[1])
	}
	zh, en := catalogue(t, "zh-CN"), catalogue(t, "en")
	for _, k := range i18nKeys {
		if zh[k] == "" || en[k] == "" {
			t.Errorf("%s missing from a catalogue", k)
		}
	}
	if len(zh) != len(en) {
		t.Errorf("catalogues have %d and %d keys", len(zh), len(en))
	}
	if p.ID() != "wechatpay" || p.Name() != "微信支付" || p.Description() == "" {
		t.Error("identity")
	}
}

func TestRegister(t *testing.T) {
	r := plugins.NewRegistry()
	p := New()
	if err := r.Register(p); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.Configurable("wechatpay"); !ok {
		t.Fatal("not configurable")
	}
	if _, ok := r.PaymentProvider("wechatpay"); ok {
		t.Fatal("offered before it started")
	}
	r.StartPayments(context.Background(), plugins.PaymentEnv{Mode: "production"})
	if pp, ok := r.PaymentProvider("wechatpay"); !ok || pp.Name() != "微信支付" {
		t.Fatal("not offered after start")
	}
}

func pemOf(t *testing.T, typ string, der []byte) string {
	t.Helper()
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

func TestConfigureValidation(t *testing.T) {
	g := wechatpaytest.New(t)
	ek, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecPriv, _ := x509.MarshalPKCS8PrivateKey(ek)
	ecPub, _ := x509.MarshalPKIXPublicKey(&ek.PublicKey)
	weak, _ := rsa.GenerateKey(rand.Reader, 1024)
	weakPriv, _ := x509.MarshalPKCS8PrivateKey(weak)
	mchPub, _ := x509.MarshalPKIXPublicKey(&g.MchKey.PublicKey)
	type e struct{ field, key string }
	for _, tt := range []struct {
		name string
		set  map[string]string
		want []e
	}{
		{"mch_id missing", map[string]string{"mch_id": ""}, []e{{"mch_id", "wechatpay.err_required"}}},
		{"mch_id not digits", map[string]string{"mch_id": "19000abc"}, []e{{"mch_id", "wechatpay.err_mch_id"}}},
		{"app_id missing", map[string]string{"app_id": ""}, []e{{"app_id", "wechatpay.err_required"}}},
		{"app_id format", map[string]string{"app_id": "wx123"}, []e{{"app_id", "wechatpay.err_app_id"}}},
		{"serial missing", map[string]string{"mch_serial_no": ""}, []e{{"mch_serial_no", "wechatpay.err_required"}}},
		{"serial not hex", map[string]string{"mch_serial_no": "XYZ123"}, []e{{"mch_serial_no", "wechatpay.err_serial"}}},
		{"key missing", map[string]string{"mch_private_key": ""}, []e{{"mch_private_key", "wechatpay.err_required"}}},
		{"key not PEM", map[string]string{"mch_private_key": "MIIEvQ..."}, []e{{"mch_private_key", "wechatpay.err_pem"}}},
		{"key is the certificate", map[string]string{"mch_private_key": g.CertPEM}, []e{{"mch_private_key", "wechatpay.err_private_key_is_cert"}}},
		{"key is a public key", map[string]string{"mch_private_key": g.PublicKeyPEM}, []e{{"mch_private_key", "wechatpay.err_private_key_type"}}},
		{"key does not parse", map[string]string{"mch_private_key": pemOf(t, "PRIVATE KEY", []byte("junk"))}, []e{{"mch_private_key", "wechatpay.err_private_key_parse"}}},
		{"key not RSA", map[string]string{"mch_private_key": pemOf(t, "PRIVATE KEY", ecPriv)}, []e{{"mch_private_key", "wechatpay.err_not_rsa"}}},
		{"key too weak", map[string]string{"mch_private_key": pemOf(t, "PRIVATE KEY", weakPriv)}, []e{{"mch_private_key", "wechatpay.err_key_weak"}}},
		{"APIv3 key missing", map[string]string{"apiv3_key": ""}, []e{{"apiv3_key", "wechatpay.err_required"}}},
		{"APIv3 key short", map[string]string{"apiv3_key": "short"}, []e{{"apiv3_key", "wechatpay.err_apiv3_len"}}},
		{"public key id format", map[string]string{"public_key_id": "KEY_1"}, []e{{"public_key_id", "wechatpay.err_public_key_id"}}},
		{"public key without id", map[string]string{"public_key_id": ""}, []e{{"public_key_id", "wechatpay.err_public_key_id_required"}}},
		{"id without public key", map[string]string{"public_key": ""}, []e{{"public_key", "wechatpay.err_public_key_required"}}},
		{"public key is a certificate", map[string]string{"public_key": g.CertPEM}, []e{{"public_key", "wechatpay.err_public_key_is_cert"}}},
		{"public key is a private key", map[string]string{"public_key": g.MchPrivateKeyPEM}, []e{{"public_key", "wechatpay.err_public_key_type"}}},
		{"public key not PEM", map[string]string{"public_key": "MIIBIj..."}, []e{{"public_key", "wechatpay.err_pem"}}},
		{"public key does not parse", map[string]string{"public_key": pemOf(t, "PUBLIC KEY", []byte("junk"))}, []e{{"public_key", "wechatpay.err_public_key_parse"}}},
		{"public key not RSA", map[string]string{"public_key": pemOf(t, "PUBLIC KEY", ecPub)}, []e{{"public_key", "wechatpay.err_not_rsa"}}},
		{"public key is the merchant's", map[string]string{"public_key": pemOf(t, "PUBLIC KEY", mchPub)}, []e{{"public_key", "wechatpay.err_public_key_is_merchant"}}},
		{"no platform key", map[string]string{"public_key": "", "public_key_id": ""}, []e{{"public_key", "wechatpay.err_no_platform_key"}}},
		{"bool", map[string]string{"platform_certs": "maybe"}, []e{{"platform_certs", "wechatpay.err_bool"}}},
		{"no channel", map[string]string{"channel_jsapi": "", "channel_h5": "0", "channel_native": "false"}, []e{{"channel_jsapi", "wechatpay.err_no_channel"}}},
		{"http base URL", map[string]string{"base_url": "http://api.mch.weixin.qq.com"}, []e{{"base_url", "wechatpay.err_base_url"}}},
		{"base URL with path", map[string]string{"base_url": "https://api.mch.weixin.qq.com/v3"}, []e{{"base_url", "wechatpay.err_base_url"}}},
		{"base URL not a URL", map[string]string{"base_url": "api.mch.weixin.qq.com"}, []e{{"base_url", "wechatpay.err_base_url"}}},
		{"several at once", map[string]string{"mch_id": "", "apiv3_key": "x"}, []e{{"mch_id", "wechatpay.err_required"}, {"apiv3_key", "wechatpay.err_apiv3_len"}}},
	} {
		v := g.Settings(wechatpaytest.ModePublicKey)
		for k, val := range tt.set {
			v[k] = val
		}
		p := New()
		err := p.Configure(context.Background(), v)
		var ve store.ValidationErrors
		if !errors.As(err, &ve) {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		var got []e
		for _, x := range ve {
			got = append(got, e{x.Field, x.Key})
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
		if p.Provider().Client() != nil {
			t.Errorf("%s: configured anyway", tt.name)
		}
		if strings.Contains(err.Error(), g.APIv3Key) || strings.Contains(err.Error(), "PRIVATE KEY") {
			t.Errorf("%s: the error shows a secret", tt.name)
		}
	}
	for name, set := range map[string]map[string]string{
		"loopback http":      {"base_url": "http://localhost:8080"},
		"trailing slash":     {"base_url": "https://api.mch.weixin.qq.com/"},
		"default base URL":   {"base_url": ""},
		"spaced serial":      {"mch_serial_no": " " + strings.ToLower(g.MchSerialNo[:20]) + " " + strings.ToLower(g.MchSerialNo[20:]) + " "},
		"PKCS #1 key":        {"mch_private_key": pemOf(t, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(g.MchKey))},
		"certificates only":  {"public_key": "", "public_key_id": "", "platform_certs": "1"},
		"true as true":       {"platform_certs": "true"},
		"surrounding spaces": {"mch_id": " " + g.MchID + "\n", "apiv3_key": " " + g.APIv3Key + " "},
	} {
		v := g.Settings(wechatpaytest.ModePublicKey)
		for k, val := range set {
			v[k] = val
		}
		p := New()
		if err := p.Configure(context.Background(), v); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if c := p.Provider().Client(); c.cfg.MchSerialNo != g.MchSerialNo || c.cfg.MchID != g.MchID {
			t.Errorf("%s: config %q %q", name, c.cfg.MchSerialNo, c.cfg.MchID)
		}
	}
}

func TestConfigureSwapsWholeOrNothing(t *testing.T) {
	g := wechatpaytest.New(t)
	p := configured(t, g, wechatpaytest.ModePublicKey, plugins.PaymentEnv{})
	pr := p.Provider()
	s := newShop(t, pr)
	ctx := context.Background()
	before := pr.Client()
	bad := g.Settings(wechatpaytest.ModePublicKey)
	bad["apiv3_key"] = "short"
	bad["channel_native"] = ""
	if err := p.Configure(ctx, bad); err == nil {
		t.Fatal("bad settings accepted")
	}
	if pr.Client() != before {
		t.Fatal("a refused configuration changed something")
	}
	if ch, _ := pr.Channel(httptest.NewRequest("GET", "/pay", nil)); ch != ChannelNative {
		t.Fatalf("channel %q", ch)
	}
	// Payments and reconfigurations at once: each payment sees one whole
	// configuration or the other.
	other := g.Settings(wechatpaytest.ModeBoth)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			no := "W00000" + string(rune('0'+i))
			if _, err := pr.Pay(ctx, payReq(s, testPayment(no, 1, ChannelNative), uaDesktop)); err != nil {
				t.Error(err)
			}
		}()
		go func() {
			defer wg.Done()
			v := other
			if i%2 == 0 {
				v = g.Settings(wechatpaytest.ModePublicKey)
			}
			if err := p.Configure(ctx, v); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
}

func TestTestConnection(t *testing.T) {
	ctx := context.Background()
	_, otherKey := testKeys(t)
	otherPub, _ := x509.MarshalPKIXPublicKey(&otherKey.PublicKey)
	for _, tt := range []struct {
		name   string
		mode   wechatpaytest.Mode
		set    map[string]string
		before func(g *wechatpaytest.Gateway, p *Plugin)
		ok     bool
		want   []string
	}{
		{name: "public key", mode: wechatpaytest.ModePublicKey, ok: true, want: []string{"连接成功", " / Connected: ", "微信支付公钥 PUB_KEY_ID_"}},
		{name: "certificates", mode: wechatpaytest.ModeCertificates, ok: true, want: []string{"连接成功：已下载 1 张平台证书", "平台证书 ", "1 platform certificate(s) downloaded"}},
		{name: "both", mode: wechatpaytest.ModeBoth, ok: true, want: []string{"已下载 1 张平台证书", "微信支付公钥"}},
		{name: "wrong merchant key", mode: wechatpaytest.ModePublicKey, set: map[string]string{"mch_private_key": testOfficialKeyPKCS1},
			want: []string{"微信支付拒绝了请求签名", "签名错误", " / WeChat Pay refused our request signature"}},
		{name: "wrong serial", mode: wechatpaytest.ModePublicKey, set: map[string]string{"mch_serial_no": "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C"},
			want: []string{"微信支付拒绝了请求签名", "商户证书序列号有误"}},
		{name: "wrong public key", mode: wechatpaytest.ModePublicKey, set: map[string]string{"public_key": pemOf(t, "PUBLIC KEY", otherPub)},
			want: []string{"应答验签失败", "The answer's signature does not verify"}},
		{name: "wrong public key id", mode: wechatpaytest.ModePublicKey, set: map[string]string{"public_key_id": "PUB_KEY_ID_0000000000000000000000000000000009"},
			want: []string{"应答由未配置的密钥签名", "not configured"}},
		{name: "wrong APIv3 key", mode: wechatpaytest.ModeCertificates, set: map[string]string{"apiv3_key": "ffffffffffffffffffffffffffffffff"},
			want: []string{"平台证书解密失败：APIv3密钥不正确", "the APIv3 key is wrong"}},
		{name: "moved to the public key", mode: wechatpaytest.ModeCertificates, before: func(g *wechatpaytest.Gateway, _ *Plugin) { g.DisableCertificates() },
			want: []string{"平台证书列表由未配置的密钥签名", "PUB_KEY_ID_", "请填写微信支付公钥及其ID"}},
		{name: "no certificates left", mode: wechatpaytest.ModeCertificates, before: func(g *wechatpaytest.Gateway, p *Plugin) {
			if _, err := p.TestConnection(context.Background()); err != nil {
				t.Fatal(err)
			}
			g.DisableCertificates()
			g.SignWith(wechatpaytest.Certificate) // the certificate known from before
		}, want: []string{"没有返回可用的平台证书"}},
		{name: "gateway down", mode: wechatpaytest.ModePublicKey, before: func(g *wechatpaytest.Gateway, _ *Plugin) { g.Close() },
			want: []string{"无法连接微信支付（http://127.0.0.1:", "Cannot reach WeChat Pay"}},
	} {
		g := wechatpaytest.New(t)
		v := g.Settings(tt.mode)
		for k, val := range tt.set {
			v[k] = val
		}
		p := New()
		if err := p.Configure(ctx, v); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if tt.before != nil {
			tt.before(g, p)
		}
		msg, err := p.TestConnection(ctx)
		text := msg
		if err != nil {
			text = err.Error()
		}
		if (err == nil) != tt.ok {
			t.Errorf("%s: %q %v", tt.name, msg, err)
		}
		for _, w := range tt.want {
			if !strings.Contains(text, w) {
				t.Errorf("%s: %q lacks %q", tt.name, text, w)
			}
		}
		if strings.Contains(text, g.APIv3Key) || strings.Contains(text, "PRIVATE") || strings.Contains(text, "ffffffffffffffffffffffffffffffff") {
			t.Errorf("%s: the message shows a secret: %q", tt.name, text)
		}
		if !strings.Contains(text, " / ") {
			t.Errorf("%s: no English: %q", tt.name, text)
		}
	}
}

func FuzzConfigure(f *testing.F) {
	g := wechatpaytest.New(f)
	good := g.Settings(wechatpaytest.ModeBoth)
	f.Add("mch_id", "1900007291", "apiv3_key", "x")
	f.Add("public_key", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----", "base_url", "http://[::1]:1")
	f.Add("mch_private_key", g.CertPEM, "channel_h5", "on")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		v := plugins.SettingValues{}
		for k, val := range good {
			v[k] = val
		}
		v[k1], v[k2] = v1, v2
		p := New()
		err := p.Configure(context.Background(), v)
		var ve store.ValidationErrors
		if err != nil && !errors.As(err, &ve) {
			t.Fatalf("not a validation error: %v", err)
		}
		if err != nil && p.Provider().Client() != nil {
			t.Fatal("configured after an error")
		}
	})
}

// roundTrip answers every request with a fixed answer.
type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// FuzzGatewayAnswers feeds a client call (chosen by op) gateway answers,
// signed with the platform key or not: whatever they say, no call panics,
// and an unsigned or badly signed 2xx answer is never taken. A 1024-bit key
// keeps the RSA work small (coverage-instrumented RSA is slow).
func FuzzGatewayAnswers(f *testing.F) {
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(uint8(0), 200, []byte(`{"prepay_id":"wx1","code_url":"weixin://x","h5_url":"https://x","out_trade_no":"FZ00001","mchid":"1900007291","out_refund_no":"R1","refund_id":"5","status":"SUCCESS"}`), true)
	f.Add(uint8(3), 404, []byte(`{"code":"ORDER_NOT_EXIST","message":"订单不存在"}`), true)
	f.Add(uint8(7), 200, []byte(`{"data":[{"serial_no":"AB","encrypt_certificate":{"algorithm":"AEAD_AES_256_GCM"}}]}`), false)
	f.Add(uint8(4), 204, []byte(nil), true)
	f.Fuzz(func(t *testing.T, op uint8, status int, body []byte, sign bool) {
		if status < 100 || status > 599 {
			status = 200
		}
		transport := roundTrip(func(r *http.Request) (*http.Response, error) {
			h := http.Header{}
			if sign {
				h, _ = SignResponse(key, "PUB_KEY_ID_FUZZ", time.Now(), Nonce(), body)
			}
			return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(bytes.NewReader(body)), Request: r}, nil
		})
		c, err := NewClient(Config{MchID: "1900007291", AppID: "wx2421b1c4370ec43b", MchSerialNo: "AB", MchKey: key,
			APIv3Key: []byte(testAPIv3Key), PlatformKeys: map[string]*rsa.PublicKey{"PUB_KEY_ID_FUZZ": &key.PublicKey},
			BaseURL: "https://api.example", HTTPClient: &http.Client{Transport: transport}})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		o := Order{Description: "d", OutTradeNo: "FZ00001", NotifyURL: "https://n", Total: 1, OpenID: "o", ClientIP: "1.2.3.4"}
		calls := []func() error{
			func() error { return second(c.PrepayNative(ctx, o)) },
			func() error { return second(c.PrepayJSAPI(ctx, o)) },
			func() error { return second(c.PrepayH5(ctx, o)) },
			func() error { return second(c.QueryByOutTradeNo(ctx, "FZ00001")) },
			func() error { return c.CloseOrder(ctx, "FZ00001") },
			func() error {
				return second(c.Refund(ctx, RefundOrder{OutTradeNo: "FZ00001", OutRefundNo: "R1", Refund: 1, Total: 1}))
			},
			func() error { return second(c.QueryRefund(ctx, "R1")) },
			func() error { return second(c.DownloadCertificates(ctx)) },
		}
		if int(op) < len(calls) {
			if err := calls[op](); err == nil && !(status >= 200 && status <= 299 && sign) {
				t.Fatalf("call %d, status %d signed %v: accepted", op, status, sign)
			}
			return
		}
		// The connection test takes any verified answer.
		if _, err := c.probe(ctx); err == nil && !sign {
			t.Fatalf("status %d unsigned: probe accepted", status)
		}
	})
}
