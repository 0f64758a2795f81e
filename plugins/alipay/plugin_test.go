package alipay_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/plugins/alipay"
	"github.com/xiaodian/xiaodian/plugins/alipay/alipaytest"
	"github.com/xiaodian/xiaodian/store"
)

const (
	uaDesktop = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
	uaIPhone  = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)

var modes = []string{alipaytest.ModePublicKey, alipaytest.ModeCert}

func configured(t *testing.T, g *alipaytest.Gateway, mode string) *alipay.Plugin {
	t.Helper()
	p := alipay.New()
	if err := p.Configure(context.Background(), g.Settings(mode)); err != nil {
		t.Fatalf("Configure(%s): %v", mode, err)
	}
	return p
}

// shop is the shop's notify endpoint: the provider's VerifyNotify and Ack,
// as the core calls them.
type shop struct {
	srv     *httptest.Server
	mu      sync.Mutex
	notices []*plugins.Notification
	errs    []error
}

func newShop(t *testing.T, p *alipay.Provider) *shop {
	s := &shop{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, plugins.MaxNotifyBody))
		n, err := p.VerifyNotify(r.Context(), r, body)
		s.mu.Lock()
		s.notices, s.errs = append(s.notices, n), append(s.errs, err)
		s.mu.Unlock()
		status, ct, answer := p.Ack(err)
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(status)
		w.Write(answer)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *shop) notifyURL() string { return s.srv.URL + "/pay/notify/alipay" }

func (s *shop) last() (*plugins.Notification, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.notices[len(s.notices)-1], s.errs[len(s.errs)-1]
}

var tokenRE = regexp.MustCompile(`name="token" value="([0-9a-f]+)"`)

// noRedirect is a browser that stops at redirects.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// confirm presses 确认付款 on a cashier page and returns where the browser
// is sent.
func confirm(t *testing.T, g *alipaytest.Gateway, page string) *url.URL {
	t.Helper()
	m := tokenRE.FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, "确认付款") {
		t.Fatalf("no 确认付款 on the cashier:\n%s", page)
	}
	base, _ := url.Parse(g.URL)
	resp, err := noRedirect.PostForm(base.Scheme+"://"+base.Host+"/cashier/pay", url.Values{"token": {m[1]}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if resp.StatusCode != http.StatusSeeOther || err != nil {
		t.Fatalf("confirm: %d %v", resp.StatusCode, err)
	}
	return loc
}

func readBody(t *testing.T, resp *http.Response, err error) string {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("HTTP %d: %s", resp.StatusCode, b)
	}
	return string(b)
}

// TestPaymentEndToEnd pays through the cashier as a browser would, in both
// key modes and both channels, then queries, refunds and closes.
func TestPaymentEndToEnd(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			ctx := context.Background()
			g := alipaytest.New(t)
			p := configured(t, g, mode).Provider()
			s := newShop(t, p)
			for i, ua := range []string{uaDesktop, uaIPhone} {
				no := []string{"20261122000001", "20261122000002"}[i]
				pay := &store.Payment{OutTradeNo: no, Amount: 1999, Currency: "CNY"}
				act, err := p.Pay(ctx, plugins.PayRequest{Payment: pay, Subject: "订单 " + no, NotifyURL: s.notifyURL(),
					ReturnURL: "https://shop.example/pay/result?p=" + no, CancelURL: "https://shop.example/pay", UserAgent: ua,
					ExpiresAt: time.Now().Add(30 * time.Minute)})
				if err != nil {
					t.Fatal(err)
				}
				var page string
				switch act.Kind {
				case plugins.PayForm: // page pay: the browser POSTs the form
					form := url.Values{}
					for k, v := range act.Fields {
						form.Set(k, v)
					}
					resp, err := http.PostForm(act.URL, form)
					page = readBody(t, resp, err)
				case plugins.PayRedirect: // wap pay: the browser GETs the URL
					resp, err := http.Get(act.URL)
					page = readBody(t, resp, err)
				}
				if want := map[string]string{uaDesktop: plugins.PayForm, uaIPhone: plugins.PayRedirect}[ua]; act.Kind != want {
					t.Fatalf("%s: action %s", ua, act.Kind)
				}
				if q, err := p.Query(ctx, pay); err != nil || q.Paid || q.Closed {
					t.Fatalf("query before paying: %+v %v", q, err)
				}
				back := confirm(t, g, page)
				n, err := s.last()
				if err != nil || n.Kind != plugins.NotifyPayment || n.Payment.OutTradeNo != no || n.Payment.Amount != 1999 || n.Payment.Currency != "CNY" {
					t.Fatalf("notification: %+v %v", n, err)
				}
				if d := g.Deliveries(); !d[len(d)-1].Acked() {
					t.Errorf("delivery not acked: %+v", d[len(d)-1])
				}
				if back.Host != "shop.example" || back.Query().Get("p") != no {
					t.Fatalf("returned to %s", back)
				}
				if _, err := p.VerifyReturn(back.Query()); !errors.Is(err, plugins.ErrBadNotify) {
					t.Errorf("return with the shop's own parameter checked: %v", err)
				}
				ret, err := p.VerifyReturn(back.Query(), "p")
				if err != nil || ret.OutTradeNo != no || ret.Amount != 1999 || ret.TradeNo != n.Payment.ProviderTxnID ||
					ret.Method != map[string]string{uaDesktop: "alipay.trade.page.pay.return", uaIPhone: "alipay.trade.wap.pay.return"}[ua] {
					t.Errorf("return: %+v %v", ret, err)
				}
				q, err := p.Query(ctx, pay)
				if err != nil || !q.Paid || q.Notice.ProviderTxnID != n.Payment.ProviderTxnID || q.Notice.Amount != 1999 {
					t.Fatalf("query paid: %+v %v", q, err)
				}
			}

			pay := &store.Payment{OutTradeNo: "20261122000001", Amount: 1999}
			res, err := p.Refund(ctx, plugins.RefundRequest{Payment: pay, OutRefundNo: "R1", Amount: 500, Reason: "退货"})
			if err != nil || res.Status != plugins.RefundSucceeded {
				t.Fatalf("refund: %+v %v", res, err)
			}
			n, found, err := p.QueryRefund(ctx, pay, "R1")
			if err != nil || !found || n.Status != plugins.RefundSucceeded || n.Amount != 500 || n.OutRefundNo != "R1" || n.Raw == "" {
				t.Fatalf("query refund: %+v %v %v", n, found, err)
			}
			// A refund Alipay never received: found false, to be sent again.
			if n, found, err := p.QueryRefund(ctx, pay, "R2"); err != nil || found || n != nil {
				t.Fatalf("query unknown refund: %+v %v %v", n, found, err)
			}
			// Sent again under the same number: one refund at the gateway.
			if res, err := p.Refund(ctx, plugins.RefundRequest{Payment: pay, OutRefundNo: "R1", Amount: 500}); err != nil || res.Status != plugins.RefundSucceeded {
				t.Fatalf("refund again: %+v %v", res, err)
			}
			if rs := g.Refunds(); len(rs) != 1 || rs[0].Amount != 500 || rs[0].Reason != "退货" {
				t.Errorf("refunds at the gateway: %+v", rs)
			}
			// A trade Alipay does not know is an error, not "never sent".
			if _, _, err := p.QueryRefund(ctx, &store.Payment{OutTradeNo: "nope"}, "R1"); err == nil {
				t.Error("refund query of an unknown trade answered")
			}
			// The trade_status_sync after a refund is verified, then ignored with "success".
			if d, err := g.NotifyRefund("20261122000001", "R1"); err != nil || !d.Acked() {
				t.Errorf("refund sync: %+v %v", d, err)
			}
			if _, err := s.last(); !errors.Is(err, alipay.ErrIgnored) {
				t.Errorf("refund sync: %v", err)
			}

			g.CreateTrade("C1", 100, s.notifyURL(), "")
			if err := p.Close(ctx, &store.Payment{OutTradeNo: "C1"}); err != nil {
				t.Fatal(err)
			}
			if q, err := p.Query(ctx, &store.Payment{OutTradeNo: "C1"}); err != nil || !q.Closed {
				t.Errorf("closed: %+v %v", q, err)
			}
			if err := p.Close(ctx, &store.Payment{OutTradeNo: "never-opened"}); err != nil {
				t.Errorf("close unknown: %v", err)
			}
		})
	}
}

func TestNotificationsRefused(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			g := alipaytest.New(t)
			p := configured(t, g, mode).Provider()
			s := newShop(t, p)
			g.CreateTrade("N1", 1234, s.notifyURL(), "")
			d, err := g.Pay("N1")
			if err != nil || !d.Acked() {
				t.Fatalf("pay: %+v %v", d, err)
			}
			for tamper, want := range map[alipaytest.Tamper]int{
				alipaytest.TamperNone:         200, // a duplicate verifies; the core applies it once
				alipaytest.TamperAmount:       200, // verifies; the core refuses the amount
				alipaytest.TamperSignature:    400,
				alipaytest.TamperAfterSigning: 400,
				alipaytest.TamperAppID:        400,
				alipaytest.TamperSellerID:     400,
				alipaytest.TamperUnsigned:     400,
			} {
				d, err := g.Notify("N1", tamper)
				if err != nil || d.Status != want {
					t.Errorf("tamper %d: %+v %v", tamper, d, err)
					continue
				}
				n, err := s.last()
				switch {
				case want == 400 && (!errors.Is(err, plugins.ErrBadNotify) || d.Body != "fail"):
					t.Errorf("tamper %d: %v %q", tamper, err, d.Body)
				case tamper == alipaytest.TamperAmount && (err != nil || n.Payment.Amount != 1235):
					t.Errorf("amount tamper: %+v %v", n, err)
				}
			}
		})
	}
}

func TestConnection(t *testing.T) {
	ctx := context.Background()
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			g := alipaytest.New(t)
			p := configured(t, g, mode)
			msg, err := p.TestConnection(ctx)
			if err != nil || !strings.HasPrefix(msg, "连接成功") || !strings.Contains(msg, " / Connected") || !strings.Contains(msg, g.AppID) {
				t.Fatalf("TestConnection = %q, %v", msg, err)
			}
			if calls := g.Calls(); calls[len(calls)-1] != "alipay.trade.query" {
				t.Errorf("calls %v", calls)
			}

			// Settings the gateway refuses, each with its own message.
			type refusal struct {
				values plugins.SettingValues
				want   string
			}
			cases := map[string]refusal{
				"wrong app id":        {with(g.Settings(mode), "app_id", "2021000000000999"), "不认识此 APPID"},
				"gateway unreachable": {with(g.Settings(mode), "gateway", "http://127.0.0.1:1/gateway.do"), "无法完成"},
			}
			if mode == alipaytest.ModePublicKey {
				// (In certificate mode Configure refuses a key that is not the app certificate's.)
				cases["other private key"] = refusal{with(g.Settings(mode), "app_private_key", alipaytest.OtherPrivateKey()), "拒绝了应用签名"}
				cases["other Alipay key"] = refusal{with(g.Settings(mode), "alipay_public_key", alipaytest.OtherPublicKey()), "支付宝应答验签失败"}
			} else {
				root, err := os.ReadFile("testdata/alipayRootCert.crt")
				if err != nil {
					t.Fatal(err)
				}
				cases["production root"] = refusal{with(g.Settings(mode), "alipay_root_cert", string(root)), "不认可支付宝根证书"}
			}
			for name, c := range cases {
				q := alipay.New()
				if err := q.Configure(ctx, c.values); err != nil {
					t.Fatalf("%s: Configure: %v", name, err)
				}
				msg, err := q.TestConnection(ctx)
				if err == nil || msg != "" || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), " / ") {
					t.Errorf("%s: %q, %v", name, msg, err)
					continue
				}
				if key := c.values["app_private_key"]; strings.Contains(err.Error(), key[100:140]) {
					t.Errorf("%s: the message shows the private key", name)
				}
			}

			if mode == alipaytest.ModeCert {
				// Alipay re-issues its certificate: answers name another SN.
				g.ReissueAlipayCert()
				if _, err := p.TestConnection(ctx); err == nil || !strings.Contains(err.Error(), "新的支付宝公钥证书") {
					t.Errorf("after re-issue: %v", err)
				}
				if err := p.Configure(ctx, g.Settings(mode)); err != nil {
					t.Fatal(err)
				}
				if _, err := p.TestConnection(ctx); err != nil {
					t.Errorf("with the new certificate: %v", err)
				}
			}
		})
	}
	if _, err := alipay.New().TestConnection(ctx); err == nil || !strings.Contains(err.Error(), "未配置") {
		t.Errorf("unconfigured: %v", err)
	}
}

func with(v plugins.SettingValues, kvs ...string) plugins.SettingValues {
	out := plugins.SettingValues{}
	for k, x := range v {
		out[k] = x
	}
	for i := 0; i+1 < len(kvs); i += 2 {
		out[kvs[i]] = kvs[i+1]
	}
	return out
}

func pemKey(t *testing.T, bits int) string {
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
}

func pemPublic(t *testing.T, bits int) string {
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	return base64.StdEncoding.EncodeToString(der)
}

func ecdsaRoot(t *testing.T) string {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "EC root"}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func TestSettingsRefused(t *testing.T) {
	ctx := context.Background()
	g := alipaytest.New(t)
	pub, cert := g.Settings(alipaytest.ModePublicKey), g.Settings(alipaytest.ModeCert)
	appPEM := pemKey(t, 2048)
	small, smallPub := pemKey(t, 1024), pemPublic(t, 1024)
	cases := []struct {
		name   string
		values plugins.SettingValues
		field  string
		key    string
	}{
		{"no app id", with(pub, "app_id", ""), "app_id", "alipay.err_app_id_required"},
		{"app id letters", with(pub, "app_id", "2021abc"), "app_id", "alipay.err_app_id_digits"},
		{"no private key", with(pub, "app_private_key", ""), "app_private_key", "alipay.err_private_key_required"},
		{"private key garbage", with(pub, "app_private_key", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"), "app_private_key", "alipay.err_private_key_parse"},
		{"public key as private", with(pub, "app_private_key", g.AppPublicKey()), "app_private_key", "alipay.err_private_key_is_public"},
		{"1024-bit private key", with(pub, "app_private_key", small), "app_private_key", "alipay.err_private_key_size"},
		{"key mode", with(pub, "key_mode", "rsa"), "key_mode", "alipay.err_key_mode"},
		{"no Alipay key", with(pub, "alipay_public_key", ""), "alipay_public_key", "alipay.err_alipay_public_key_required"},
		{"Alipay key garbage", with(pub, "alipay_public_key", "MIIBIjANBgkq"), "alipay_public_key", "alipay.err_alipay_public_key_parse"},
		{"app key as Alipay's", with(pub, "alipay_public_key", g.AppPublicKey()), "alipay_public_key", "alipay.err_alipay_public_key_is_app"},
		{"private key as Alipay's", with(pub, "alipay_public_key", appPEM), "alipay_public_key", "alipay.err_alipay_public_key_is_private"},
		{"certificate as Alipay's key", with(pub, "alipay_public_key", cert["alipay_cert"]), "alipay_public_key", "alipay.err_alipay_public_key_is_cert"},
		{"1024-bit Alipay key", with(pub, "alipay_public_key", smallPub), "alipay_public_key", "alipay.err_alipay_public_key_size"},
		{"seller id", with(pub, "seller_id", "2088123"), "seller_id", "alipay.err_seller_id"},
		{"seller id not 2088", with(pub, "seller_id", "1234567890123456"), "seller_id", "alipay.err_seller_id"},
		{"bool", with(pub, "channel_wap", "maybe"), "channel_wap", "alipay.err_bool"},
		{"no channel", with(pub, "channel_wap", "", "channel_page", "0"), "channel_page", "alipay.err_channels_none"},
		{"http gateway", with(pub, "gateway", "http://openapi.alipay.com/gateway.do"), "gateway", "alipay.err_gateway"},
		{"gateway with query", with(pub, "gateway", "https://openapi.alipay.com/gateway.do?charset=utf-8"), "gateway", "alipay.err_gateway"},
		{"gateway not a URL", with(pub, "gateway", "openapi.alipay.com"), "gateway", "alipay.err_gateway"},
		{"no app cert", with(cert, "app_cert", ""), "app_cert", "alipay.err_app_cert_required"},
		{"app cert garbage", with(cert, "app_cert", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"), "app_cert", "alipay.err_app_cert_parse"},
		{"key not the app cert's", with(cert, "app_private_key", alipaytest.OtherPrivateKey()), "app_cert", "alipay.err_app_cert_mismatch"},
		{"no Alipay cert", with(cert, "alipay_cert", ""), "alipay_cert", "alipay.err_alipay_cert_required"},
		{"Alipay cert garbage", with(cert, "alipay_cert", "xyz"), "alipay_cert", "alipay.err_alipay_cert_parse"},
		{"app cert as Alipay's", with(cert, "alipay_cert", cert["app_cert"]), "alipay_cert", "alipay.err_alipay_cert_is_app"},
		{"no root", with(cert, "alipay_root_cert", ""), "alipay_root_cert", "alipay.err_root_cert_required"},
		{"root garbage", with(cert, "alipay_root_cert", "not a certificate"), "alipay_root_cert", "alipay.err_root_cert_parse"},
		{"root without RSA", with(cert, "alipay_root_cert", ecdsaRoot(t)), "alipay_root_cert", "alipay.err_root_cert_no_rsa"},
	}
	p := configured(t, g, alipaytest.ModePublicKey)
	r := httptest.NewRequest(http.MethodGet, "/pay", nil)
	r.Header.Set("User-Agent", uaDesktop)
	seen := map[string]bool{}
	for _, c := range cases {
		err := p.Configure(ctx, c.values)
		var ve *store.ValidationError
		if !errors.As(err, &ve) {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		var errs store.ValidationErrors
		if !errors.As(err, &errs) || !hasError(errs, c.field, c.key) {
			t.Errorf("%s: %v, want %s %s", c.name, err, c.field, c.key)
		}
		seen[c.key] = true
		// A refused save changes nothing: the shop keeps taking payments.
		if ch, ok := p.Provider().Channel(r); !ok || ch != "page" {
			t.Fatalf("%s: the refused save changed the configuration", c.name)
		}
	}
	// Several faults are reported together.
	err := p.Configure(ctx, with(pub, "app_id", "x", "seller_id", "1", "gateway", "ftp://x"))
	var errs store.ValidationErrors
	if !errors.As(err, &errs) || len(errs) != 3 {
		t.Errorf("three faults: %v", err)
	}
	// Every message key is in both catalogues.
	for _, locale := range []string{"zh-CN", "en"} {
		cat := catalogue(t, locale)
		for k := range seen {
			if cat[k] == "" {
				t.Errorf("%s: no message %s", locale, k)
			}
		}
		for _, f := range p.SettingsSchema() {
			for _, k := range []string{f.Label, f.Help, f.Group} {
				if k != "" && cat[k] == "" {
					t.Errorf("%s: no message %s", locale, k)
				}
			}
			for _, o := range f.Options {
				if cat[o.Label] == "" {
					t.Errorf("%s: no message %s", locale, o.Label)
				}
			}
		}
	}
}

func hasError(errs store.ValidationErrors, field, key string) bool {
	for _, e := range errs {
		if e.Field == field && e.Key == key {
			return true
		}
	}
	return false
}

func catalogue(t *testing.T, locale string) map[string]string {
	t.Helper()
	b, err := os.ReadFile("../../views/i18n/alipay." + locale + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSettingsAccepted(t *testing.T) {
	ctx := context.Background()
	g := alipaytest.New(t)
	pub := g.Settings(alipaytest.ModePublicKey)
	// The private key as PKCS #1 PEM, the public key as PEM: both accepted.
	der, _ := base64.StdEncoding.DecodeString(pub["app_private_key"])
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		t.Fatal(err)
	}
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k.(*rsa.PrivateKey))})
	pubDER, _ := base64.StdEncoding.DecodeString(pub["alipay_public_key"])
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	for name, v := range map[string]plugins.SettingValues{
		"PEM keys":            with(pub, "app_private_key", string(pkcs1), "alipay_public_key", string(pubPEM)),
		"padded values":       with(pub, "app_id", " "+g.AppID+"\n", "alipay_public_key", "\n"+pub["alipay_public_key"]+"\n"),
		"no seller id":        with(pub, "seller_id", ""),
		"true and false":      with(pub, "channel_wap", "true", "channel_page", "false"),
		"default gateway":     with(pub, "gateway", ""),
		"localhost gateway":   with(pub, "gateway", "http://localhost:8080/gateway.do"),
		"sandbox gateway":     with(pub, "gateway", alipay.SandboxGateway),
		"no key mode":         with(pub, "key_mode", ""),
		"cert mode, CRLF PEM": with(g.Settings(alipaytest.ModeCert), "alipay_cert", strings.ReplaceAll(g.Settings(alipaytest.ModeCert)["alipay_cert"], "\n", "\r\n")),
	} {
		if err := alipay.New().Configure(ctx, v); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := plugins.CheckSchema(alipay.New().SettingsSchema()); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, f := range alipay.New().SettingsSchema() {
		keys = append(keys, f.Key)
	}
	if got := strings.Join(keys, " "); got != "app_id app_private_key key_mode alipay_public_key app_cert alipay_cert alipay_root_cert seller_id channel_wap channel_page gateway payout payout_title" {
		t.Errorf("schema keys %s", got)
	}
}

func TestUnconfigured(t *testing.T) {
	ctx := context.Background()
	g := alipaytest.New(t)
	p := alipay.New()
	r := httptest.NewRequest(http.MethodGet, "/pay", nil)
	r.Header.Set("User-Agent", uaDesktop)
	check := func(when string) {
		t.Helper()
		pr := p.Provider()
		if _, ok := pr.Channel(r); ok {
			t.Errorf("%s: offered", when)
		}
		pay := &store.Payment{OutTradeNo: "U1", Amount: 1}
		if _, err := pr.Pay(ctx, plugins.PayRequest{Payment: pay}); !errors.Is(err, plugins.ErrProviderUnavailable) {
			t.Errorf("%s: pay %v", when, err)
		}
		if _, err := pr.VerifyNotify(ctx, r, []byte("a=b")); !errors.Is(err, plugins.ErrProviderUnavailable) {
			t.Errorf("%s: notify %v", when, err)
		}
		if _, err := pr.Refund(ctx, plugins.RefundRequest{Payment: pay, Amount: 1}); !errors.Is(err, plugins.ErrProviderUnavailable) {
			t.Errorf("%s: refund %v", when, err)
		}
		if _, err := pr.Query(ctx, pay); !errors.Is(err, plugins.ErrProviderUnavailable) {
			t.Errorf("%s: query %v", when, err)
		}
		if _, _, err := pr.QueryRefund(ctx, pay, "R"); !errors.Is(err, plugins.ErrProviderUnavailable) {
			t.Errorf("%s: query refund %v", when, err)
		}
		if err := pr.Close(ctx, pay); !errors.Is(err, plugins.ErrProviderUnavailable) {
			t.Errorf("%s: close %v", when, err)
		}
		if _, err := pr.VerifyReturn(url.Values{}); !errors.Is(err, plugins.ErrProviderUnavailable) {
			t.Errorf("%s: return %v", when, err)
		}
	}
	check("new")
	// What the core hands over when nothing is stored: the defaults alone.
	if err := p.Configure(ctx, plugins.WithDefaults(p.SettingsSchema(), nil)); err != nil {
		t.Fatal(err)
	}
	check("defaults only")
	if err := p.Configure(ctx, g.Settings(alipaytest.ModePublicKey)); err != nil {
		t.Fatal(err)
	}
	if _, ok := p.Provider().Channel(r); !ok {
		t.Fatal("configured, not offered")
	}
	// The owner clears every credential: idle again.
	if err := p.Configure(ctx, plugins.WithDefaults(p.SettingsSchema(), plugins.SettingValues{"app_id": " "})); err != nil {
		t.Fatal(err)
	}
	check("cleared")
}

func TestChannels(t *testing.T) {
	ctx := context.Background()
	g := alipaytest.New(t)
	uaWeChat := uaIPhone + " MicroMessenger/8.0.44(0x18002c2f) NetType/WIFI Language/zh_CN"
	for _, c := range []struct {
		wap, page            string
		desktop, phone, wech string
	}{
		{"1", "1", "page", "wap", ""},
		{"1", "", "wap", "wap", ""},
		{"", "1", "page", "page", ""},
	} {
		p := alipay.New()
		if err := p.Configure(ctx, with(g.Settings(alipaytest.ModePublicKey), "channel_wap", c.wap, "channel_page", c.page)); err != nil {
			t.Fatal(err)
		}
		for ua, want := range map[string]string{uaDesktop: c.desktop, uaIPhone: c.phone, uaWeChat: c.wech} {
			r := httptest.NewRequest(http.MethodGet, "/pay", nil)
			r.Header.Set("User-Agent", ua)
			got, ok := p.Provider().Channel(r)
			if got != want || ok != (want != "") {
				t.Errorf("wap %q page %q, %.30s: %q %v, want %q", c.wap, c.page, ua, got, ok, want)
			}
		}
		// An attempt stored with a channel switched off since is refused.
		for _, ch := range []string{"wap", "page"} {
			on := (ch == "wap" && c.wap == "1") || (ch == "page" && c.page == "1")
			_, err := p.Provider().Pay(ctx, plugins.PayRequest{Payment: &store.Payment{OutTradeNo: "X1", Amount: 1, Channel: ch}})
			if on != (err == nil) {
				t.Errorf("wap %q page %q: pay by %s: %v", c.wap, c.page, ch, err)
			}
		}
	}
}

// TestConfigureWhilePaying swaps the configuration while payments and
// queries run (the race detector watches).
func TestConfigureWhilePaying(t *testing.T) {
	ctx := context.Background()
	g := alipaytest.New(t)
	p := configured(t, g, alipaytest.ModePublicKey)
	g.CreateTrade("W1", 100, "http://127.0.0.1:1/", "")
	settings := []plugins.SettingValues{g.Settings(alipaytest.ModeCert), g.Settings(alipaytest.ModePublicKey)}
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				if _, err := p.Provider().Pay(ctx, plugins.PayRequest{Payment: &store.Payment{OutTradeNo: "W1", Amount: 100}, UserAgent: uaDesktop}); err != nil {
					t.Error(err)
				}
				if _, err := p.Provider().Query(ctx, &store.Payment{OutTradeNo: "W1"}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	for i := 0; i < 10; i++ {
		if err := p.Configure(ctx, settings[i%2]); err != nil {
			t.Error(err)
		}
	}
	wg.Wait()
}

// countingTransport counts the requests of the shop's HTTP client.
type countingTransport struct {
	mu sync.Mutex
	n  int
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func TestRegisterAndStart(t *testing.T) {
	ctx := context.Background()
	g := alipaytest.New(t)
	p := alipay.New()
	if p.ID() != "alipay" || p.Name() != "支付宝" || p.Description() == "" {
		t.Error("id, name or description")
	}
	r := plugins.NewRegistry()
	if err := plugins.Load(r, []plugins.Plugin{p}); err != nil {
		t.Fatal(err)
	}
	ct := &countingTransport{}
	var logs strings.Builder
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	r.StartPayments(ctx, plugins.PaymentEnv{Mode: "production", Logger: logger, HTTPClient: &http.Client{Transport: ct, Timeout: 5 * time.Second}})
	settings := g.Settings(alipaytest.ModePublicKey)
	if err := p.Configure(ctx, settings); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "alipay settings in use") || strings.Contains(logs.String(), settings["app_private_key"][40:80]) {
		t.Errorf("log: %s", logs.String())
	}
	pr, ok := r.PaymentProvider("alipay")
	if !ok {
		t.Fatal("not offered after start")
	}
	if _, err := pr.Query(ctx, &store.Payment{OutTradeNo: "S1"}); err != nil {
		t.Fatal(err)
	}
	if _, ok := pr.(plugins.RefundQuerier); !ok {
		t.Error("not a RefundQuerier")
	}
	if c, _ := r.Configurable("alipay"); c == nil {
		t.Error("not configurable")
	}
	ct.mu.Lock()
	defer ct.mu.Unlock()
	if ct.n != 1 {
		t.Errorf("%d requests through the shop's client", ct.n)
	}
}

func FuzzVerifyReturn(f *testing.F) {
	g := alipaytest.New(f)
	p := alipay.New()
	if err := p.Configure(context.Background(), g.Settings(alipaytest.ModePublicKey)); err != nil {
		f.Fatal(err)
	}
	g.CreateTrade("F1", 1234, "http://127.0.0.1:1/", "")
	_, _ = g.Pay("F1") // the delivery fails: nobody listens
	ret, err := g.ReturnParams("F1")
	if err != nil {
		f.Fatal(err)
	}
	good := ret.Encode()
	f.Add(good)
	f.Add(strings.Replace(good, "12.34", "12.35", 1))
	f.Add(good + "&total_amount=1.00")
	f.Add("sign=AAAA&sign_type=RSA2")
	f.Add("")
	f.Fuzz(func(t *testing.T, query string) {
		q, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		r, err := p.Provider().VerifyReturn(q)
		if err != nil {
			if !errors.Is(err, plugins.ErrBadNotify) {
				t.Fatalf("error %v is not a bad notify", err)
			}
			return
		}
		if r.OutTradeNo != "F1" || r.Amount != 1234 {
			t.Fatalf("forged return verified: %+v", r)
		}
	})
}

func FuzzConfigure(f *testing.F) {
	g := alipaytest.New(f)
	good := g.Settings(alipaytest.ModeCert)
	f.Add("2021000000000001", alipaytest.ModeCert, good["app_cert"], "2088000000000001", "1", g.URL)
	f.Add("x", alipaytest.ModePublicKey, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----", "2088", "maybe", "https://[::1]:8/gateway.do")
	f.Add("", "", "", "", "", "")
	f.Fuzz(func(t *testing.T, appID, mode, cert, seller, wap, gateway string) {
		p := alipay.New()
		v := with(good, "app_id", appID, "key_mode", mode, "alipay_cert", cert, "alipay_root_cert", cert,
			"seller_id", seller, "channel_wap", wap, "gateway", gateway)
		err := p.Configure(context.Background(), v)
		var errs store.ValidationErrors
		if err != nil && !errors.As(err, &errs) {
			t.Fatalf("Configure: %v is not a validation error", err)
		}
	})
}
