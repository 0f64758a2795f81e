package alipay

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/store"
)

const (
	testSellerID = "2088102119685838"
	uaIPhone     = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
	uaDesktop    = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
	uaWeChat     = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.44(0x18002c2f) NetType/WIFI Language/zh_CN"
)

func testProvider(t testing.TB, gateway string) *Provider {
	app, ali := testKeys(t)
	return NewProvider(Config{AppID: testAppID, PrivateKey: app, AlipayPublicKey: &ali.PublicKey, Gateway: gateway, SellerID: testSellerID})
}

// notifyForm is a TRADE_SUCCESS notification of the docs' shape.
func notifyForm(outTradeNo, amount string) url.Values {
	return url.Values{
		"gmt_create": {"2026-11-22 12:00:01"}, "charset": {"utf-8"}, "gmt_payment": {"2026-11-22 12:00:09"},
		"notify_time": {"2026-11-22 12:00:10"}, "subject": {"订单 " + outTradeNo}, "buyer_id": {"2088002582656381"},
		"invoice_amount": {amount}, "version": {"1.0"}, "notify_id": {"2026112200222105938056380529774436"},
		"fund_bill_list": {`[{"amount":"` + amount + `","fundChannel":"ALIPAYACCOUNT"}]`},
		"notify_type":    {"trade_status_sync"}, "out_trade_no": {outTradeNo}, "total_amount": {amount},
		"trade_status": {"TRADE_SUCCESS"}, "trade_no": {"2026112222001456380542497258"},
		"auth_app_id": {testAppID}, "receipt_amount": {amount}, "point_amount": {"0.00"},
		"buyer_pay_amount": {amount}, "app_id": {testAppID}, "sign_type": {"RSA2"}, "seller_id": {testSellerID},
	}
}

// signNotify signs v as Alipay does (sign_type left out) with Alipay's key
// and returns the form body.
func signNotify(t testing.TB, v url.Values) []byte {
	t.Helper()
	_, ali := testKeys(t)
	sig, err := Sign(ali, []byte(Canonical(v, "sign_type")))
	if err != nil {
		t.Fatal(err)
	}
	v.Set("sign", sig)
	return []byte(v.Encode())
}

func notifyRequest(body []byte) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/pay/notify/alipay", strings.NewReader(string(body)))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	return r
}

func TestChannel(t *testing.T) {
	p := testProvider(t, "")
	for ua, want := range map[string]string{uaIPhone: "wap", uaDesktop: "page", uaWeChat: "",
		"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36": "wap"} {
		r := httptest.NewRequest(http.MethodGet, "/pay", nil)
		r.Header.Set("User-Agent", ua)
		got, ok := p.Channel(r)
		if got != want || ok != (want != "") {
			t.Errorf("Channel(%q) = %q, %v; want %q", ua, got, ok, want)
		}
	}
	r := httptest.NewRequest(http.MethodGet, "/pay", nil)
	r.Header.Set("User-Agent", uaDesktop)
	if _, ok := NewProvider(Config{AppID: testAppID}).Channel(r); ok {
		t.Error("offered without keys")
	}
	if p.ID() != "alipay" || p.Name() != "支付宝" {
		t.Error("id or name")
	}
}

func TestPayNotifyFlow(t *testing.T) {
	app, _ := testKeys(t)
	p := testProvider(t, DefaultGateway)
	ctx := context.Background()
	pay := &store.Payment{OutTradeNo: "20261122000001", Amount: 1999, Currency: "CNY", Channel: "page"}
	req := plugins.PayRequest{Payment: pay, Subject: "订单 20261122000001", NotifyURL: "https://shop.example/pay/notify/alipay",
		ReturnURL: "https://shop.example/pay/result/20261122000001", ExpiresAt: time.Now().Add(15 * time.Minute), UserAgent: uaDesktop}
	act, err := p.Pay(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if act.Kind != plugins.PayForm || !strings.HasPrefix(act.URL, DefaultGateway) {
		t.Fatalf("page action %+v", act)
	}
	form := url.Values{}
	for k, v := range act.Fields {
		form.Set(k, v)
	}
	if err := checkRequest(&app.PublicKey, form, time.Now()); err != nil {
		t.Fatalf("page form: %v", err)
	}
	if form.Get("method") != "alipay.trade.page.pay" || !strings.Contains(form.Get("biz_content"), `"total_amount":"19.99"`) {
		t.Errorf("page form %v", form)
	}

	pay.Channel = "wap"
	act, err = p.Pay(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(act.URL)
	if err != nil || act.Kind != plugins.PayRedirect {
		t.Fatalf("wap action %+v", act)
	}
	if err := checkRequest(&app.PublicKey, u.Query(), time.Now()); err != nil || u.Query().Get("method") != "alipay.trade.wap.pay" {
		t.Fatalf("wap url %s: %v", act.URL, err)
	}
	if _, err := p.Pay(ctx, plugins.PayRequest{Payment: &store.Payment{OutTradeNo: "X", Amount: 1, Currency: "USD"}}); err == nil {
		t.Error("USD accepted")
	}
	if _, err := p.Pay(ctx, plugins.PayRequest{Payment: &store.Payment{OutTradeNo: "X", Amount: 1}, UserAgent: uaWeChat}); !errors.Is(err, plugins.ErrProviderUnavailable) {
		t.Errorf("pay inside WeChat: %v", err)
	}

	// Alipay calls back.
	body := signNotify(t, notifyForm(pay.OutTradeNo, "19.99"))
	n, err := p.VerifyNotify(ctx, notifyRequest(body), body)
	if err != nil {
		t.Fatal(err)
	}
	want := store.PaymentNotice{Provider: ID, OutTradeNo: pay.OutTradeNo, ProviderTxnID: "2026112222001456380542497258",
		Amount: 1999, Currency: "CNY", Raw: string(body)}
	if n.Kind != plugins.NotifyPayment || n.Payment == nil || *n.Payment != want {
		t.Errorf("notice %+v", n.Payment)
	}
	status, ct, answer := p.Ack(nil)
	if status != 200 || ct != "text/plain; charset=utf-8" || string(answer) != "success" {
		t.Errorf("ack %d %s %s", status, ct, answer)
	}
	// TRADE_FINISHED is a payment too.
	v := notifyForm(pay.OutTradeNo, "19.99")
	v.Set("trade_status", TradeFinished)
	body = signNotify(t, v)
	if n, err := p.VerifyNotify(ctx, notifyRequest(body), body); err != nil || n.Payment.Amount != 1999 {
		t.Errorf("TRADE_FINISHED: %v", err)
	}
}

func TestNotifyRefused(t *testing.T) {
	p := testProvider(t, "")
	ctx := context.Background()
	app, _ := testKeys(t)
	good := func() url.Values { return notifyForm("N1", "0.01") }
	signedBy := func(v url.Values) []byte {
		sig, err := Sign(app, []byte(Canonical(v, "sign_type")))
		if err != nil {
			t.Fatal(err)
		}
		v.Set("sign", sig)
		return []byte(v.Encode())
	}
	tampered := func() []byte {
		v, _ := url.ParseQuery(string(signNotify(t, good())))
		v.Set("total_amount", "0.02")
		return []byte(v.Encode())
	}
	with := func(k, val string) []byte {
		v := good()
		if val == "" {
			v.Del(k)
		} else {
			v.Set(k, val)
		}
		return signNotify(t, v)
	}
	unsignedType := func() []byte {
		v, _ := url.ParseQuery(string(signNotify(t, good())))
		v.Del("sign_type")
		return []byte(v.Encode())
	}
	for name, body := range map[string][]byte{
		"tampered amount":      tampered(),
		"signed by the app":    signedBy(good()),
		"no sign":              []byte(good().Encode()),
		"no sign_type":         unsignedType(),
		"sign_type RSA":        with("sign_type", "RSA"),
		"another app_id":       with("app_id", "2021999999999999"),
		"another seller":       with("seller_id", "2088000000000000"),
		"three decimals":       with("total_amount", "0.011"),
		"zero amount":          with("total_amount", "0.00"),
		"negative amount":      with("total_amount", "-1.00"),
		"unknown status":       with("trade_status", "TRADE_PENDING"),
		"no out_trade_no":      with("out_trade_no", ""),
		"no trade_no":          with("trade_no", ""),
		"other notify_type":    with("notify_type", "refund_sync"),
		"empty body":           nil,
		"not a form":           []byte("%zz=%"),
		"json body":            []byte(`{"trade_status":"TRADE_SUCCESS"}`),
		"repeated amount":      append(signNotify(t, good()), []byte("&total_amount=9.99")...),
		"oversized":            []byte(strings.Repeat("a", plugins.MaxNotifyBody+1)),
		"signature of another": append([]byte("x=1&"), signNotify(t, good())...),
	} {
		n, err := p.VerifyNotify(ctx, notifyRequest(body), body)
		if !errors.Is(err, plugins.ErrBadNotify) || errors.Is(err, ErrIgnored) || n != nil {
			t.Errorf("%s: %v, %+v", name, err, n)
			continue
		}
		if status, _, answer := p.Ack(err); status != 400 || string(answer) != "fail" {
			t.Errorf("%s: ack %d %s", name, status, answer)
		}
	}
	// Verified but nothing to do: ignored, answered success.
	refundSync := good()
	refundSync.Set("gmt_refund", "2026-11-22 13:00:00.123")
	refundSync.Set("out_biz_no", "RF1")
	refundSync.Set("refund_fee", "0.01")
	for name, body := range map[string][]byte{
		"WAIT_BUYER_PAY": with("trade_status", TradeWaitBuyerPay),
		"TRADE_CLOSED":   with("trade_status", TradeClosed),
		"refund sync":    signNotify(t, refundSync),
	} {
		n, err := p.VerifyNotify(ctx, notifyRequest(body), body)
		if !errors.Is(err, ErrIgnored) || !errors.Is(err, plugins.ErrBadNotify) || n != nil {
			t.Errorf("%s: %v", name, err)
		}
		if status, _, answer := p.Ack(err); status != 200 || string(answer) != "success" {
			t.Errorf("%s: ack %d %s", name, status, answer)
		}
	}
	// Even an ignored status needs a good signature.
	v := good()
	v.Set("trade_status", TradeClosed)
	if _, err := p.VerifyNotify(ctx, nil, signedBy(v)); errors.Is(err, ErrIgnored) || !errors.Is(err, plugins.ErrBadNotify) {
		t.Errorf("badly signed TRADE_CLOSED: %v", err)
	}
	// The seller is not checked when not configured.
	app2, ali := testKeys(t)
	noSeller := NewProvider(Config{AppID: testAppID, PrivateKey: app2, AlipayPublicKey: &ali.PublicKey})
	body := with("seller_id", "2088000000000000")
	if _, err := noSeller.VerifyNotify(ctx, notifyRequest(body), body); err != nil {
		t.Errorf("seller unchecked: %v", err)
	}
	if status, _, answer := p.Ack(errors.New("database down")); status != 500 || string(answer) != "fail" {
		t.Errorf("ack of a failure: %d %s", status, answer)
	}
	if _, err := NewProvider(Config{}).VerifyNotify(ctx, nil, body); !errors.Is(err, plugins.ErrProviderUnavailable) {
		t.Errorf("unconfigured: %v", err)
	}
}

func TestProviderRefundQueryClose(t *testing.T) {
	g, srv := newFakeGateway(t)
	p := testProvider(t, srv.URL)
	ctx := context.Background()
	g.addTrade("Q1", 5000, TradeSuccess)
	pay := &store.Payment{OutTradeNo: "Q1", Amount: 5000, Currency: "CNY"}

	res, err := p.Refund(ctx, plugins.RefundRequest{Payment: pay, OutRefundNo: "RF1", Amount: 2000, Reason: "退货"})
	if err != nil || res.Status != plugins.RefundSucceeded || res.ProviderRefundID != "2026Q1" {
		t.Fatalf("refund: %+v %v", res, err)
	}
	// Retried with the same number: fund_change N, confirmed by the query.
	res, err = p.Refund(ctx, plugins.RefundRequest{Payment: pay, OutRefundNo: "RF1", Amount: 2000})
	if err != nil || res.Status != plugins.RefundSucceeded {
		t.Fatalf("retried refund: %+v %v", res, err)
	}
	if n := len(g.trades["Q1"].refunds); n != 1 {
		t.Errorf("%d refunds at the gateway", n)
	}
	// The same number for another amount is not confirmed.
	if _, err := p.Refund(ctx, plugins.RefundRequest{Payment: pay, OutRefundNo: "RF1", Amount: 1000}); err == nil {
		t.Error("refund of another amount under a used number succeeded")
	}
	pay.Refunded = 2000
	if _, err := p.Refund(ctx, plugins.RefundRequest{Payment: pay, OutRefundNo: "RF2", Amount: 3001}); err == nil {
		t.Error("refund over the rest accepted")
	}

	q, err := p.Query(ctx, pay)
	if err != nil || !q.Paid || q.Closed || q.Notice.Amount != 5000 || q.Notice.ProviderTxnID != "2026Q1" || q.Notice.OutTradeNo != "Q1" {
		t.Fatalf("query paid: %+v %v", q, err)
	}
	g.addTrade("Q2", 100, TradeWaitBuyerPay)
	if q, err := p.Query(ctx, &store.Payment{OutTradeNo: "Q2"}); err != nil || q.Paid || q.Closed {
		t.Errorf("query waiting: %+v %v", q, err)
	}
	if q, err := p.Query(ctx, &store.Payment{OutTradeNo: "never"}); err != nil || q.Paid || q.Closed {
		t.Errorf("query unknown: %+v %v", q, err)
	}
	if err := p.Close(ctx, &store.Payment{OutTradeNo: "Q2"}); err != nil {
		t.Fatal(err)
	}
	if q, err := p.Query(ctx, &store.Payment{OutTradeNo: "Q2"}); err != nil || !q.Closed || q.Paid {
		t.Errorf("query closed: %+v %v", q, err)
	}
	if err := p.Close(ctx, &store.Payment{OutTradeNo: "never"}); err != nil {
		t.Errorf("close unknown: %v", err)
	}
}

func FuzzVerifyNotify(f *testing.F) {
	p := testProvider(f, "")
	good := signNotify(f, notifyForm("F1", "12.34"))
	f.Add(good)
	f.Add([]byte(""))
	f.Add([]byte("a=b&sign=AAAA&sign_type=RSA2"))
	f.Add(append(good, "&total_amount=99.00"...))
	f.Add([]byte(strings.Replace(string(good), "12.34", "12.35", 1)))
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := p.VerifyNotify(context.Background(), nil, body)
		if err != nil {
			if !errors.Is(err, plugins.ErrBadNotify) || n != nil {
				t.Fatalf("error %v not a bad notify, or with a notification", err)
			}
			return
		}
		// Only Alipay's own notification verifies, however it is encoded.
		if n.Payment.OutTradeNo != "F1" || n.Payment.Amount != 1234 || n.Payment.ProviderTxnID != "2026112222001456380542497258" {
			t.Fatalf("forged notification verified: %+v", n.Payment)
		}
	})
}

func TestPayChannelFromUserAgent(t *testing.T) {
	p := testProvider(t, DefaultGateway)
	ctx := context.Background()
	long := strings.Repeat("商", 300)
	for ua, kind := range map[string]string{uaIPhone: plugins.PayRedirect, uaDesktop: plugins.PayForm} {
		act, err := p.Pay(ctx, plugins.PayRequest{Payment: &store.Payment{OutTradeNo: "U1", Amount: 100}, Subject: long, UserAgent: ua})
		if err != nil || act.Kind != kind {
			t.Fatalf("%s: %+v %v", ua, act, err)
		}
	}
	_, fields, err := p.Client().PagePay(TradePay{OutTradeNo: "U1", Amount: 100, Subject: long})
	if err != nil || !strings.Contains(fields["biz_content"], `"subject":"`+strings.Repeat("商", 256)+`"`) {
		t.Errorf("subject not cut to 256 characters: %v", err)
	}
	if _, err := p.Pay(ctx, plugins.PayRequest{Payment: &store.Payment{OutTradeNo: "U1", Amount: 100, Channel: "jsapi"}}); err == nil {
		t.Error("unknown channel accepted")
	}
	if _, err := NewProvider(Config{}).Pay(ctx, plugins.PayRequest{Payment: &store.Payment{OutTradeNo: "U1", Amount: 100}}); !errors.Is(err, plugins.ErrProviderUnavailable) {
		t.Errorf("unconfigured pay: %v", err)
	}
}
