package wechatpay

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/store"
)

const (
	uaWeChat  = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN"
	uaPhone   = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"
	uaDesktop = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
)

func newTestProvider(t *testing.T) (*Provider, *fakeGateway) {
	g := newFakeGateway(t, fixedNow)
	p := New(g.config())
	if p.cfgErr != nil {
		t.Fatal(p.cfgErr)
	}
	return p, g
}

func notifyRequest(h http.Header, body []byte) *http.Request {
	r := httptest.NewRequest("POST", "/pay/notify/wechatpay", strings.NewReader(string(body)))
	for k, v := range h {
		r.Header[k] = v
	}
	return r
}

func TestChannel(t *testing.T) {
	p, _ := newTestProvider(t)
	req := func(ua string) *http.Request {
		r := httptest.NewRequest("GET", "/pay", nil)
		r.Header.Set("User-Agent", ua)
		return r
	}
	for _, tt := range []struct {
		ua, openID, want string
	}{
		{uaWeChat, "oUser", ChannelJSAPI},
		{uaWeChat, "", ChannelH5},
		{uaPhone, "oUser", ChannelH5},
		{uaDesktop, "", ChannelNative},
		{"", "", ChannelNative},
	} {
		id := tt.openID
		p.OpenIDFrom = func(*http.Request) string { return id }
		if ch, ok := p.Channel(req(tt.ua)); !ok || ch != tt.want {
			t.Errorf("%q openid %q: %q %v, want %q", tt.ua, tt.openID, ch, ok, tt.want)
		}
	}
	p.OpenIDFrom = nil
	if ch, _ := p.Channel(req(uaWeChat)); ch != ChannelH5 {
		t.Errorf("no OpenIDFrom: %q", ch)
	}
	// Not configured: no channel, every call refused.
	np := New(Config{MchID: "1"})
	if _, ok := np.Channel(req(uaDesktop)); ok {
		t.Error("unconfigured provider offered")
	}
	if _, err := np.Pay(context.Background(), plugins.PayRequest{}); !errors.Is(err, plugins.ErrProviderUnavailable) {
		t.Errorf("unconfigured Pay: %v", err)
	}
	if _, err := np.VerifyNotify(context.Background(), req(""), nil); err == nil {
		t.Error("unconfigured VerifyNotify accepted")
	}
}

func testPayment(no string, amount store.Fen, channel string) *store.Payment {
	return &store.Payment{OutTradeNo: no, Amount: amount, Currency: "CNY", Channel: channel, Provider: ID, Status: store.PaymentPending}
}

func payReq(pay *store.Payment) plugins.PayRequest {
	return plugins.PayRequest{Payment: pay, Subject: "订单 " + pay.OutTradeNo, ShopName: "小店",
		NotifyURL: "https://shop.example/pay/notify/wechatpay", ReturnURL: "https://shop.example/pay/result/1",
		ExpiresAt: fixedNow().Add(30 * time.Minute), ClientIP: "203.0.113.7", UserAgent: uaPhone}
}

func TestPayCallbackNotice(t *testing.T) {
	p, g := newTestProvider(t)
	ctx := context.Background()

	// Native: a QR code.
	pay := testPayment("N1", 12345, ChannelNative)
	act, err := p.Pay(ctx, payReq(pay))
	if err != nil || act.Kind != plugins.PayQR || act.URL != "weixin://wxpay/bizpayurl?pr=N1" {
		t.Fatalf("native: %+v %v", act, err)
	}
	h, body := g.pay("N1")
	n, err := p.VerifyNotify(ctx, notifyRequest(h, body), body)
	if err != nil {
		t.Fatalf("callback refused: %v", err)
	}
	want := store.PaymentNotice{Provider: ID, OutTradeNo: "N1", ProviderTxnID: "4200000N1", Amount: 12345, Currency: "CNY"}
	if n.Kind != plugins.NotifyPayment || n.Payment == nil {
		t.Fatalf("notification %+v", n)
	}
	got := *n.Payment
	if !strings.Contains(got.Raw, `"transaction_id":"4200000N1"`) {
		t.Errorf("raw %q", got.Raw)
	}
	got.Raw = ""
	if got != want {
		t.Fatalf("notice %+v, want %+v", got, want)
	}
	if st, ct, b := p.Ack(nil); st != http.StatusNoContent || ct != "" || b != nil {
		t.Errorf("ack ok: %d %q %q", st, ct, b)
	}

	// H5: a redirect back to the result page.
	act, err = p.Pay(ctx, payReq(testPayment("H1", 100, ChannelH5)))
	if err != nil || act.Kind != plugins.PayRedirect || !strings.Contains(act.URL, "&redirect_url=https%3A%2F%2Fshop.example%2Fpay%2Fresult%2F1") {
		t.Fatalf("h5: %+v %v", act, err)
	}

	// JSAPI: the bridge parameters, signed with the merchant key.
	r := payReq(testPayment("J1", 100, ChannelJSAPI))
	r.OpenID, r.UserAgent = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", uaWeChat
	act, err = p.Pay(ctx, r)
	if err != nil || act.Kind != plugins.PayJSAPI {
		t.Fatalf("jsapi: %+v %v", act, err)
	}
	pm := act.Params
	if pm["appId"] != testAppID || pm["package"] != "prepay_id=wxJ1" || pm["signType"] != "RSA" || pm["timeStamp"] != "1763784000" || pm["nonceStr"] == "" {
		t.Fatalf("jsapi params %v", pm)
	}
	mch, _ := testKeys(t)
	if err := VerifySHA256(&mch.PublicKey, lines(pm["appId"], pm["timeStamp"], pm["nonceStr"], pm["package"]), pm["paySign"]); err != nil {
		t.Fatalf("paySign: %v", err)
	}
	// A jsapi attempt without an OpenID pays by H5.
	act, err = p.Pay(ctx, payReq(testPayment("J2", 100, ChannelJSAPI)))
	if err != nil || act.Kind != plugins.PayRedirect {
		t.Fatalf("jsapi without openid: %+v %v", act, err)
	}
	if _, err := p.Pay(ctx, payReq(&store.Payment{OutTradeNo: "U1", Amount: 1, Currency: "USD"})); err == nil {
		t.Error("USD accepted")
	}
}

func TestRefundCallback(t *testing.T) {
	p, g := newTestProvider(t)
	ctx := context.Background()
	pay := testPayment("R1", 1000, ChannelNative)
	if _, err := p.Pay(ctx, payReq(pay)); err != nil {
		t.Fatal(err)
	}
	g.pay("R1")
	pay.Status, pay.ProviderTxnID = store.PaymentPaid, "4200000R1"
	if _, err := p.Refund(ctx, plugins.RefundRequest{Payment: pay, OutRefundNo: "RF1", Amount: 1001}); err == nil {
		t.Fatal("refund above the payment accepted")
	}
	res, err := p.Refund(ctx, plugins.RefundRequest{Payment: pay, OutRefundNo: "RF1", Amount: 400, Reason: "七天无理由",
		NotifyURL: "https://shop.example/pay/notify/wechatpay"})
	if err != nil || res.Status != plugins.RefundPending || res.ProviderRefundID != "5030000RF1" {
		t.Fatalf("refund: %+v %v", res, err)
	}
	for _, tt := range []struct{ status, want string }{
		{RefundSuccess, plugins.RefundSucceeded},
		{RefundAbnormal, plugins.RefundFailed},
		{RefundClosed, plugins.RefundFailed},
	} {
		h, body := g.refundDone("RF1", tt.status)
		n, err := p.VerifyNotify(ctx, notifyRequest(h, body), body)
		if err != nil {
			t.Fatalf("%s: %v", tt.status, err)
		}
		if n.Kind != plugins.NotifyRefund || n.Refund.OutRefundNo != "RF1" || n.Refund.ProviderRefundID != "5030000RF1" ||
			n.Refund.Amount != 400 || n.Refund.Status != tt.want || n.Refund.Provider != ID {
			t.Fatalf("%s: %+v", tt.status, n.Refund)
		}
	}
}

func TestQueryAndClose(t *testing.T) {
	p, g := newTestProvider(t)
	ctx := context.Background()
	a, b := testPayment("QA", 700, ChannelNative), testPayment("QB", 800, ChannelNative)
	for _, pay := range []*store.Payment{a, b} {
		if _, err := p.Pay(ctx, payReq(pay)); err != nil {
			t.Fatal(err)
		}
	}
	if q, err := p.Query(ctx, a); err != nil || q.Paid || q.Closed {
		t.Fatalf("unpaid: %+v %v", q, err)
	}
	g.pay("QA")
	q, err := p.Query(ctx, a)
	if err != nil || !q.Paid || q.Notice.OutTradeNo != "QA" || q.Notice.Amount != 700 || q.Notice.ProviderTxnID != "4200000QA" ||
		!strings.Contains(q.Notice.Raw, `"trade_state":"SUCCESS"`) {
		t.Fatalf("paid: %+v %v", q, err)
	}
	if err := p.Close(ctx, b); err != nil {
		t.Fatal(err)
	}
	if q, err := p.Query(ctx, b); err != nil || !q.Closed || q.Paid {
		t.Fatalf("closed: %+v %v", q, err)
	}
	if q, err := p.Query(ctx, testPayment("NEVER", 1, "")); err != nil || q.Paid || q.Closed {
		t.Fatalf("never placed: %+v %v", q, err)
	}
}

func TestVerifyNotifyRefuses(t *testing.T) {
	p, g := newTestProvider(t)
	ctx := context.Background()
	if _, err := p.Pay(ctx, payReq(testPayment("V1", 500, ChannelNative))); err != nil {
		t.Fatal(err)
	}
	h, body := g.pay("V1")
	if _, err := p.VerifyNotify(ctx, notifyRequest(h, body), body); err != nil {
		t.Fatalf("good callback refused: %v", err)
	}
	_, plat := testKeys(t)
	mch, _ := testKeys(t)
	resign := func(key *rsa.PrivateKey, serial string, ts time.Time, b []byte) http.Header {
		hh, err := SignResponse(key, serial, ts, Nonce(), b)
		if err != nil {
			t.Fatal(err)
		}
		return hh
	}
	// A callback about another merchant or app, properly signed and
	// encrypted.
	foreign := func(field, value string) (http.Header, []byte) {
		tx := map[string]any{"appid": testAppID, "mchid": testMchID, "out_trade_no": "V1", "transaction_id": "4200000V1",
			"trade_state": "SUCCESS", "amount": map[string]any{"total": 500, "currency": "CNY"}}
		tx[field] = value
		plain, _ := json.Marshal(tx)
		return g.callback(EventTransactionSuccess, "transaction", "支付成功", plain)
	}
	tampered := []byte(strings.Replace(string(body), `"event_type":"TRANSACTION.SUCCESS"`, `"event_type":"TRANSACTION.SUCCESS" `, 1))
	if string(tampered) == string(body) {
		t.Fatal("tampering changed nothing")
	}
	otherMchH, otherMchB := foreign("mchid", "1900000002")
	otherAppH, otherAppB := foreign("appid", "wx0000000000000000")
	notPaidH, notPaidB := foreign("trade_state", "NOTPAY")
	// Encrypted with another APIv3 key, then properly signed.
	var env map[string]any
	json.Unmarshal(body, &env)
	res, _ := EncryptResource([]byte("ffffffffffffffffffffffffffffffff"), "abcdefghijkl", "transaction", []byte(`{}`), "transaction")
	env["resource"] = res
	wrongKeyB, _ := json.Marshal(env)

	for _, tt := range []struct {
		name string
		h    http.Header
		body []byte
	}{
		{"tampered body", h, tampered},
		{"wrong signature", resign(mch, testPlatSN, fixedNow(), body), body},
		{"unknown serial", resign(plat, "PUB_KEY_ID_UNKNOWN", fixedNow(), body), body},
		{"stale timestamp", resign(plat, testPlatSN, fixedNow().Add(-6*time.Minute), body), body},
		{"future timestamp", resign(plat, testPlatSN, fixedNow().Add(6*time.Minute), body), body},
		{"no headers", http.Header{}, body},
		{"wrong mchid", otherMchH, otherMchB},
		{"wrong appid", otherAppH, otherAppB},
		{"not paid", notPaidH, notPaidB},
		{"wrong APIv3 key", resign(plat, testPlatSN, fixedNow(), wrongKeyB), wrongKeyB},
		{"signed junk", resign(plat, testPlatSN, fixedNow(), []byte("{")), []byte("{")},
	} {
		n, err := p.VerifyNotify(ctx, notifyRequest(tt.h, tt.body), tt.body)
		if !errors.Is(err, plugins.ErrBadNotify) || n != nil {
			t.Errorf("%s: %v %+v, want ErrBadNotify", tt.name, err, n)
			continue
		}
		if st, _, b := p.Ack(err); st != http.StatusBadRequest || !strings.Contains(string(b), `"code":"FAIL"`) {
			t.Errorf("%s: ack %d %s", tt.name, st, b)
		}
	}
	if st, _, b := p.Ack(errors.New("db down")); st != http.StatusInternalServerError || !strings.Contains(string(b), `"code":"FAIL"`) {
		t.Errorf("ack of a failure: %d %s", st, b)
	}
}

func FuzzVerifyNotify(f *testing.F) {
	g := newFakeGateway(f, fixedNow)
	p := New(g.config())
	ctx := context.Background()
	f.Add([]byte(`{"id":"x","event_type":"TRANSACTION.SUCCESS","resource":{"algorithm":"AEAD_AES_256_GCM","ciphertext":"","nonce":"abcdefghijkl"}}`),
		"1763784000", "nonce", "c2ln", testPlatSN)
	f.Add([]byte("{"), "", "", "", "")
	f.Add([]byte(`{}`), "1763784000", "n", strings.Repeat("A", 344), "PUB_KEY_ID_0114232134912410000000000000")
	f.Fuzz(func(t *testing.T, body []byte, ts, nonce, sig, serial string) {
		h := http.Header{}
		h.Set(HeaderTimestamp, ts)
		h.Set(HeaderNonce, nonce)
		h.Set(HeaderSignature, sig)
		h.Set(HeaderSerial, serial)
		n, err := p.VerifyNotify(ctx, notifyRequest(h, body), body)
		if err == nil || n != nil {
			t.Fatalf("random callback verified: %+v", n)
		}
		if !errors.Is(err, plugins.ErrBadNotify) {
			t.Fatalf("refusal does not wrap ErrBadNotify: %v", err)
		}
	})
}
