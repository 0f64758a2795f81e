package wechatpay

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/plugins/wechatpay/wechatpaytest"
	"github.com/xiaodian/xiaodian/store"
)

var allModes = []wechatpaytest.Mode{wechatpaytest.ModePublicKey, wechatpaytest.ModeCertificates, wechatpaytest.ModeBoth}

func testPayment(no string, amount store.Fen, channel string) *store.Payment {
	return &store.Payment{OutTradeNo: no, Amount: amount, Currency: "CNY", Channel: channel, Provider: ID, Status: store.PaymentPending}
}

func payReq(s *shop, pay *store.Payment, ua string) plugins.PayRequest {
	return plugins.PayRequest{Payment: pay, Subject: "订单 " + pay.OutTradeNo, ShopName: "小店",
		NotifyURL: s.notifyURL(), ReturnURL: "https://shop.example/pay/result/1",
		ClientIP: "203.0.113.7", UserAgent: ua}
}

func TestChannel(t *testing.T) {
	g := wechatpaytest.New(t)
	p := configured(t, g, wechatpaytest.ModePublicKey, plugins.PaymentEnv{})
	ns := plugins.WeChatNamespace(g.AppID)
	if got := p.Provider().PayerNamespace(); got != ns {
		t.Fatalf("namespace %q", got)
	}
	req := func(ua, openID string) *http.Request {
		r := httptest.NewRequest("GET", "/pay", nil)
		r.Header.Set("User-Agent", ua)
		if openID != "" {
			r = r.WithContext(plugins.ContextWithIdentities(r.Context(), map[string]string{ns: openID}))
		}
		return r
	}
	type sw struct{ jsapi, h5, native string }
	on := sw{"1", "1", "1"}
	for _, tt := range []struct {
		ua, openID string
		sw         sw
		want       string
	}{
		{uaWeChat, "oUser", on, ChannelJSAPI},
		{uaWeChat, "", on, ChannelNative}, // WeChat's browser refuses H5 pages
		{uaPhone, "oUser", on, ChannelH5},
		{uaDesktop, "", on, ChannelNative},
		{"", "", on, ChannelNative},
		{uaWeChat, "oUser", sw{"", "1", "1"}, ChannelNative},
		{uaWeChat, "oUser", sw{"", "1", ""}, ""},
		{uaWeChat, "oUser", sw{"", "", "1"}, ChannelNative},
		{uaWeChat, "", sw{"1", "", "1"}, ChannelNative},
		{uaWeChat, "", sw{"1", "", ""}, ""},
		{uaPhone, "", sw{"1", "", "1"}, ChannelNative},
		{uaPhone, "", sw{"1", "", ""}, ""},
		{uaDesktop, "", sw{"1", "1", ""}, ""},
	} {
		v := g.Settings(wechatpaytest.ModePublicKey)
		v[KeyChannelJSAPI], v[KeyChannelH5], v[KeyChannelNative] = tt.sw.jsapi, tt.sw.h5, tt.sw.native
		if err := p.Configure(context.Background(), v); err != nil {
			t.Fatal(err)
		}
		ch, ok := p.Provider().Channel(req(tt.ua, tt.openID))
		if ch != tt.want || ok != (tt.want != "") {
			t.Errorf("%.30q openid %q switches %v: %q %v, want %q", tt.ua, tt.openID, tt.sw, ch, ok, tt.want)
		}
	}
	// An OpenID under another AppID is not the payer's here.
	if err := p.Configure(context.Background(), g.Settings(wechatpaytest.ModePublicKey)); err != nil {
		t.Fatal(err)
	}
	r := req(uaWeChat, "")
	r = r.WithContext(plugins.ContextWithIdentities(r.Context(), map[string]string{"wechat:wx0000000000000000": "oOther"}))
	if ch, _ := p.Provider().Channel(r); ch != ChannelNative {
		t.Errorf("foreign OpenID: %q", ch)
	}
}

func TestUnconfigured(t *testing.T) {
	ctx := context.Background()
	p := New()
	// All empty, only the defaults (as plugins.WithDefaults fills them), or
	// switches without any credential.
	for _, v := range []plugins.SettingValues{nil, {}, plugins.WithDefaults(p.SettingsSchema(), nil), {KeyMchID: "  "},
		{KeyChannelH5: "", KeyPlatformCerts: "1", KeyBaseURL: "https://api2.mch.weixin.qq.com"}} {
		if err := p.Configure(ctx, v); err != nil {
			t.Fatalf("configure %v: %v", v, err)
		}
		pr := p.Provider()
		r := httptest.NewRequest("GET", "/pay", nil)
		if _, ok := pr.Channel(r); ok {
			t.Error("unconfigured provider offered")
		}
		if pr.PayerNamespace() != "" || pr.Client() != nil {
			t.Error("unconfigured provider has a namespace or client")
		}
		for name, err := range map[string]error{
			"pay":   second(pr.Pay(ctx, plugins.PayRequest{})),
			"query": second(pr.Query(ctx, testPayment("N000001", 1, ""))),
			"close": pr.Close(ctx, testPayment("N000001", 1, "")),
			"refund": second(pr.Refund(ctx, plugins.RefundRequest{Payment: testPayment("N000001", 1, ""), Amount: 1,
				OutRefundNo: "R1"})),
			"notify": second(pr.VerifyNotify(ctx, r, []byte("{}"))),
		} {
			if !errors.Is(err, plugins.ErrProviderUnavailable) {
				t.Errorf("%s: %v", name, err)
			}
		}
		if _, found, err := pr.QueryRefund(ctx, nil, "R1"); found || !errors.Is(err, plugins.ErrProviderUnavailable) {
			t.Errorf("refund query: %v", err)
		}
		if _, err := p.TestConnection(ctx); err == nil || !strings.Contains(err.Error(), "尚未配置") {
			t.Errorf("test connection: %v", err)
		}
	}
	// Configuring and then clearing everything stops the provider.
	g := wechatpaytest.New(t)
	if err := p.Configure(ctx, g.Settings(wechatpaytest.ModePublicKey)); err != nil {
		t.Fatal(err)
	}
	if err := p.Configure(ctx, plugins.WithDefaults(p.SettingsSchema(), nil)); err != nil {
		t.Fatal(err)
	}
	if _, ok := p.Provider().Channel(httptest.NewRequest("GET", "/pay", nil)); ok {
		t.Error("cleared provider still offered")
	}
}

func second[T any](_ T, err error) error { return err }

func TestNativeAndJSAPIPayments(t *testing.T) {
	for _, mode := range allModes {
		g := wechatpaytest.New(t)
		p := configured(t, g, mode, plugins.PaymentEnv{}).Provider()
		s := newShop(t, p)
		ctx := context.Background()

		// Native: a QR code, paid by scanning it.
		pay := testPayment("N000001", 12345, ChannelNative)
		act, err := p.Pay(ctx, payReq(s, pay, uaDesktop))
		if err != nil || act.Kind != plugins.PayQR || !strings.HasPrefix(act.URL, "weixin://wxpay/bizpayurl?pr=") {
			t.Fatalf("mode %d native: %+v %v", mode, act, err)
		}
		d, err := g.PayCodeURL(act.URL, "oScanner")
		if err != nil || d.Status != http.StatusNoContent || d.Response != "" {
			t.Fatalf("mode %d callback: %+v %v", mode, d, err)
		}
		n, _ := s.last()
		o, _ := g.Order("N000001")
		if n == nil || n.Kind != plugins.NotifyPayment {
			t.Fatalf("mode %d notification %+v", mode, n)
		}
		got := *n.Payment
		if !strings.Contains(got.Raw, `"transaction_id":"`+o.TransactionID+`"`) || !strings.Contains(got.Raw, `"openid":"oScanner"`) {
			t.Errorf("raw %q", got.Raw)
		}
		got.Raw = ""
		if want := (store.PaymentNotice{Provider: ID, OutTradeNo: "N000001", ProviderTxnID: o.TransactionID, Amount: 12345, Currency: "CNY"}); got != want {
			t.Fatalf("notice %+v, want %+v", got, want)
		}

		// JSAPI: the OpenID comes from the context; the bridge parameters
		// are signed with the merchant key.
		ns := plugins.WeChatNamespace(g.AppID)
		jctx := plugins.ContextWithIdentities(ctx, map[string]string{ns: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"})
		act, err = p.Pay(jctx, payReq(s, testPayment("J000001", 100, ChannelJSAPI), uaWeChat))
		if err != nil || act.Kind != plugins.PayJSAPI {
			t.Fatalf("jsapi: %+v %v", act, err)
		}
		pm := act.Params
		prepay, ok := strings.CutPrefix(pm["package"], "prepay_id=")
		if pm["appId"] != g.AppID || !ok || pm["signType"] != "RSA" || pm["nonceStr"] == "" {
			t.Fatalf("jsapi params %v", pm)
		}
		if _, err := strconv.ParseInt(pm["timeStamp"], 10, 64); err != nil {
			t.Fatalf("timeStamp %q", pm["timeStamp"])
		}
		if err := VerifySHA256(&g.MchKey.PublicKey, lines(pm["appId"], pm["timeStamp"], pm["nonceStr"], pm["package"]), pm["paySign"]); err != nil {
			t.Fatalf("paySign: %v", err)
		}
		if o, _ := g.Order("J000001"); o.OpenID != "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o" {
			t.Fatalf("jsapi payer %q", o.OpenID)
		}
		if d, err := g.PayPrepayID(prepay, ""); err != nil || d.Status != http.StatusNoContent {
			t.Fatalf("jsapi callback: %+v %v", d, err)
		}
		// req.OpenID wins over the context.
		r := payReq(s, testPayment("J000002", 100, ChannelJSAPI), uaWeChat)
		r.OpenID = "oFromTheCore"
		if _, err := p.Pay(jctx, r); err != nil {
			t.Fatal(err)
		}
		if o, _ := g.Order("J000002"); o.OpenID != "oFromTheCore" {
			t.Fatalf("jsapi payer %q", o.OpenID)
		}
		// A jsapi attempt without an OpenID falls back (Native in WeChat).
		act, err = p.Pay(ctx, payReq(s, testPayment("J000003", 100, ChannelJSAPI), uaWeChat))
		if err != nil || act.Kind != plugins.PayQR {
			t.Fatalf("jsapi without openid: %+v %v", act, err)
		}
		if _, err := p.Pay(ctx, payReq(s, &store.Payment{OutTradeNo: "U000001", Amount: 1, Currency: "USD"}, uaDesktop)); err == nil {
			t.Error("USD accepted")
		}
		if ok, refused := s.count(); ok != 2 || refused != 0 {
			t.Errorf("mode %d: %d callbacks applied, %d refused", mode, ok, refused)
		}
	}
}

// TestH5PageEndToEnd pays through the fake's H5 page like a browser: the
// redirect to h5_url, the page, 确认支付, and back to the shop's result
// page, with the callback delivered meanwhile.
func TestH5PageEndToEnd(t *testing.T) {
	g := wechatpaytest.New(t)
	p := configured(t, g, wechatpaytest.ModePublicKey, plugins.PaymentEnv{}).Provider()
	s := newShop(t, p)
	result := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "result page "+r.URL.Path)
	}))
	t.Cleanup(result.Close)
	req := payReq(s, testPayment("H000001", 990, ChannelH5), uaPhone)
	req.ReturnURL = result.URL + "/pay/result/7"
	act, err := p.Pay(context.Background(), req)
	if err != nil || act.Kind != plugins.PayRedirect {
		t.Fatalf("h5: %+v %v", act, err)
	}
	u, _ := url.Parse(act.URL)
	if u.Query().Get("redirect_url") != req.ReturnURL || u.Query().Get("prepay_id") == "" {
		t.Fatalf("h5 url %s", act.URL)
	}
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	resp, err := browser.Get(act.URL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), "确认支付") || !strings.Contains(string(page), "¥9.90") {
		t.Fatalf("page %s", page)
	}
	form := url.Values{}
	for _, m := range regexp.MustCompile(`name="([a-z_]+)" value="([^"]*)"`).FindAllStringSubmatch(string(page), -1) {
		form.Set(m[1], strings.ReplaceAll(m[2], "&amp;", "&"))
	}
	resp, err = browser.PostForm(g.URL+"/cgi-bin/mmpayweb-bin/checkmweb", form)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "result page /pay/result/7" {
		t.Fatalf("after paying: %s", body)
	}
	n, _ := s.last()
	if n == nil || n.Payment.OutTradeNo != "H000001" || n.Payment.Amount != 990 {
		t.Fatalf("callback %+v", n)
	}
}

func TestRefundsAndTheirCallbacks(t *testing.T) {
	g := wechatpaytest.New(t)
	p := configured(t, g, wechatpaytest.ModeBoth, plugins.PaymentEnv{}).Provider()
	s := newShop(t, p)
	ctx := context.Background()
	pay := testPayment("R000001", 1000, ChannelNative)
	if _, err := p.Pay(ctx, payReq(s, pay, uaDesktop)); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Pay("R000001", ""); err != nil {
		t.Fatal(err)
	}
	o, _ := g.Order("R000001")
	pay.Status, pay.ProviderTxnID = store.PaymentPaid, o.TransactionID
	if _, err := p.Refund(ctx, plugins.RefundRequest{Payment: pay, OutRefundNo: "RF1", Amount: 1001}); err == nil {
		t.Fatal("refund above the payment accepted")
	}
	if _, found, err := p.QueryRefund(ctx, pay, "RF1"); found || err != nil {
		t.Fatalf("refund never sent: found %v, %v", found, err)
	}
	for i, tt := range []struct{ status, want string }{
		{"SUCCESS", plugins.RefundSucceeded},
		{"ABNORMAL", plugins.RefundFailed},
		{"CLOSED", plugins.RefundFailed},
	} {
		no := "RF" + strconv.Itoa(i+1)
		res, err := p.Refund(ctx, plugins.RefundRequest{Payment: pay, OutRefundNo: no, Amount: 300, Reason: "七天无理由",
			NotifyURL: s.notifyURL()})
		if err != nil || res.Status != plugins.RefundPending || res.ProviderRefundID == "" {
			t.Fatalf("refund: %+v %v", res, err)
		}
		q, found, err := p.QueryRefund(ctx, pay, no)
		if err != nil || !found || q.Status != plugins.RefundPending || q.Amount != 300 || q.ProviderRefundID != res.ProviderRefundID {
			t.Fatalf("refund query: %+v %v %v", q, found, err)
		}
		d, err := g.FinishRefund(no, tt.status)
		if err != nil || d.Status != http.StatusNoContent {
			t.Fatalf("%s: %+v %v", tt.status, d, err)
		}
		n, _ := s.last()
		if n.Kind != plugins.NotifyRefund || n.Refund.OutRefundNo != no || n.Refund.ProviderRefundID != res.ProviderRefundID ||
			n.Refund.Amount != 300 || n.Refund.Status != tt.want || n.Refund.Provider != ID {
			t.Fatalf("%s: %+v", tt.status, n.Refund)
		}
		q, found, err = p.QueryRefund(ctx, pay, no)
		if err != nil || !found || q.Status != tt.want || !strings.Contains(q.Raw, `"status":"`+tt.status+`"`) {
			t.Fatalf("refund query after %s: %+v %v %v", tt.status, q, found, err)
		}
	}
	// Without WeChat's number the refund names our order number.
	byNo := *pay
	byNo.ProviderTxnID = ""
	if res, err := p.Refund(ctx, plugins.RefundRequest{Payment: &byNo, OutRefundNo: "RF9", Amount: 100}); err != nil || res.Status != plugins.RefundPending {
		t.Fatalf("refund by out_trade_no: %+v %v", res, err)
	}
	if rf, _ := g.Refund("RF9"); rf.OutTradeNo != "R000001" || rf.Amount != 100 {
		t.Fatalf("refund %+v", rf)
	}
	// A refund of another payment is not this payment's.
	if _, _, err := p.QueryRefund(ctx, testPayment("OTHER01", 1, ""), "RF1"); err == nil {
		t.Error("refund of another payment accepted")
	}
}

func TestQueryAndClose(t *testing.T) {
	g := wechatpaytest.New(t)
	p := configured(t, g, wechatpaytest.ModePublicKey, plugins.PaymentEnv{}).Provider()
	s := newShop(t, p)
	ctx := context.Background()
	a, b := testPayment("QA00001", 700, ChannelNative), testPayment("QB00001", 800, ChannelNative)
	for _, pay := range []*store.Payment{a, b} {
		if _, err := p.Pay(ctx, payReq(s, pay, uaDesktop)); err != nil {
			t.Fatal(err)
		}
	}
	if q, err := p.Query(ctx, a); err != nil || q.Paid || q.Closed {
		t.Fatalf("unpaid: %+v %v", q, err)
	}
	if err := g.MarkPaid("QA00001", ""); err != nil {
		t.Fatal(err)
	}
	o, _ := g.Order("QA00001")
	q, err := p.Query(ctx, a)
	if err != nil || !q.Paid || q.Notice.OutTradeNo != "QA00001" || q.Notice.Amount != 700 || q.Notice.ProviderTxnID != o.TransactionID ||
		!strings.Contains(q.Notice.Raw, `"trade_state":"SUCCESS"`) {
		t.Fatalf("paid: %+v %v", q, err)
	}
	if err := p.Close(ctx, b); err != nil {
		t.Fatal(err)
	}
	if q, err := p.Query(ctx, b); err != nil || !q.Closed || q.Paid {
		t.Fatalf("closed: %+v %v", q, err)
	}
	if q, err := p.Query(ctx, testPayment("NEVER01", 1, "")); err != nil || q.Paid || q.Closed {
		t.Fatalf("never placed: %+v %v", q, err)
	}
	g.FailNext(500, "SYSTEM_ERROR", "系统错误")
	if _, err := p.Query(ctx, a); !IsAPIError(err, "SYSTEM_ERROR") {
		t.Fatalf("gateway failure: %v", err)
	}
}

func TestCallbackTampering(t *testing.T) {
	for _, mode := range allModes {
		g := wechatpaytest.New(t)
		p := configured(t, g, mode, plugins.PaymentEnv{}).Provider()
		s := newShop(t, p)
		ctx := context.Background()
		if _, err := p.Pay(ctx, payReq(s, testPayment("V000001", 500, ChannelNative), uaDesktop)); err != nil {
			t.Fatal(err)
		}
		good, err := g.Pay("V000001", "")
		if err != nil || good.Status != http.StatusNoContent {
			t.Fatalf("good callback: %+v %v", good, err)
		}
		first, _ := s.last()
		for _, tt := range []struct {
			name string
			t    wechatpaytest.Tamper
		}{
			{"wrong signature", wechatpaytest.WrongSignature()},
			{"unknown serial", wechatpaytest.UnknownSerial()},
			{"stale timestamp", wechatpaytest.StaleTimestamp()},
			{"body changed after signing", wechatpaytest.BodyChangedAfterSigning()},
			{"wrong mchid", wechatpaytest.WrongMchID("1900000002")},
			{"wrong appid", wechatpaytest.WrongAppID("wx0000000000000000")},
		} {
			d, err := g.Notify("V000001", tt.t)
			if err != nil {
				t.Fatal(err)
			}
			_, rerr := s.last()
			if d.Status != http.StatusBadRequest || !strings.Contains(d.Response, `"code":"FAIL"`) || !errors.Is(rerr, plugins.ErrBadNotify) {
				t.Errorf("mode %d %s: %d %s (%v)", mode, tt.name, d.Status, d.Response, rerr)
			}
		}
		if ok, refused := s.count(); ok != 1 || refused != 6 {
			t.Errorf("mode %d: %d applied, %d refused", mode, ok, refused)
		}
		// A wrong amount is signed and decrypts: the notice carries it and
		// the core's ApplyPayment refuses it against the attempt.
		if _, err := g.Notify("V000001", wechatpaytest.WrongAmount(1)); err != nil {
			t.Fatal(err)
		}
		if n, _ := s.last(); n.Payment.Amount != 1 {
			t.Errorf("wrong amount notice %+v", n.Payment)
		}
		// Duplicates verify again and carry the same transaction.
		d, err := g.Redeliver(good)
		if err != nil || d.Status != http.StatusNoContent {
			t.Fatalf("duplicate: %+v %v", d, err)
		}
		if n, _ := s.last(); n.Payment.ProviderTxnID != first.Payment.ProviderTxnID || n.Payment.Amount != 500 {
			t.Errorf("duplicate notice %+v", n.Payment)
		}
	}
}

func TestAck(t *testing.T) {
	p := New().Provider()
	for _, tt := range []struct {
		err    error
		status int
	}{
		{nil, http.StatusNoContent},
		{plugins.ErrBadNotify, http.StatusBadRequest},
		{store.ErrPaymentMismatch, http.StatusBadRequest},
		{errors.New("db down"), http.StatusInternalServerError},
	} {
		st, ct, b := p.Ack(tt.err)
		if st != tt.status || (tt.err == nil) != (b == nil) || (tt.err != nil && (ct != "application/json" || !strings.Contains(string(b), `"code":"FAIL"`))) {
			t.Errorf("ack %v: %d %q %s", tt.err, st, ct, b)
		}
	}
}

func FuzzVerifyNotify(f *testing.F) {
	g := wechatpaytest.New(f)
	p := New()
	if err := p.Configure(context.Background(), g.Settings(wechatpaytest.ModePublicKey)); err != nil {
		f.Fatal(err)
	}
	ctx := context.Background()
	f.Add([]byte(`{"id":"x","event_type":"TRANSACTION.SUCCESS","resource":{"algorithm":"AEAD_AES_256_GCM","ciphertext":"","nonce":"abcdefghijkl"}}`),
		"1763784000", "nonce", "c2ln", g.PublicKeyID)
	f.Add([]byte("{"), "", "", "", "")
	f.Add([]byte(`{}`), "1763784000", "n", strings.Repeat("A", 344), "PUB_KEY_ID_0114232134912410000000000000")
	f.Fuzz(func(t *testing.T, body []byte, ts, nonce, sig, serial string) {
		h := http.Header{}
		h.Set(HeaderTimestamp, ts)
		h.Set(HeaderNonce, nonce)
		h.Set(HeaderSignature, sig)
		h.Set(HeaderSerial, serial)
		r := httptest.NewRequest("POST", "/pay/notify/wechatpay", strings.NewReader(string(body)))
		r.Header = h
		n, err := p.Provider().VerifyNotify(ctx, r, body)
		if err == nil || n != nil {
			t.Fatalf("random callback verified: %+v", n)
		}
		if !errors.Is(err, plugins.ErrBadNotify) {
			t.Fatalf("refusal does not wrap ErrBadNotify: %v", err)
		}
	})
}
