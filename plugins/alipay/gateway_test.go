package alipay

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xiaodian/xiaodian/store"
)

const testAppID = "2021000000000001"

// fakeTrade is a trade held by the fake gateway.
type fakeTrade struct {
	amount  store.Fen
	status  string
	tradeNo string
	refunds map[string]store.Fen // out_request_no → amount
}

// fakeGateway speaks the OpenAPI wire protocol: it checks the app's request
// signature and signs its answers with Alipay's key.
type fakeGateway struct {
	t      *testing.T
	appPub *rsa.PublicKey
	key    *rsa.PrivateKey
	mu     sync.Mutex
	trades map[string]*fakeTrade
	// tamper changes the answer after signing; unsigned leaves sign out.
	tamper, unsigned bool
	calls            []string
}

func newFakeGateway(t *testing.T) (*fakeGateway, *httptest.Server) {
	app, ali := testKeys(t)
	g := &fakeGateway{t: t, appPub: &app.PublicKey, key: ali, trades: map[string]*fakeTrade{}}
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	return g, srv
}

func (g *fakeGateway) addTrade(outTradeNo string, amount store.Fen, status string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.trades[outTradeNo] = &fakeTrade{amount: amount, status: status, tradeNo: "2026" + outTradeNo, refunds: map[string]store.Fen{}}
}

func (g *fakeGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	v := r.PostForm
	method := v.Get("method")
	g.mu.Lock()
	g.calls = append(g.calls, method)
	g.mu.Unlock()
	respKey := strings.ReplaceAll(method, ".", "_") + "_response"
	if err := checkRequest(g.appPub, v, time.Now()); err != nil {
		g.answer(w, respKey, map[string]any{"code": "40002", "msg": "Invalid Arguments", "sub_code": "isv.invalid-signature", "sub_msg": err.Error()}, false)
		return
	}
	var biz map[string]string
	if err := json.Unmarshal([]byte(v.Get("biz_content")), &biz); err != nil {
		g.answer(w, respKey, map[string]any{"code": "40002", "msg": "Invalid Arguments", "sub_code": "isv.invalid-biz-content"}, true)
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	tr, ok := g.trades[biz["out_trade_no"]]
	if !ok {
		g.answer(w, respKey, map[string]any{"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.TRADE_NOT_EXIST", "sub_msg": "交易不存在"}, true)
		return
	}
	switch method {
	case "alipay.trade.query":
		g.answer(w, respKey, map[string]any{"code": "10000", "msg": "Success", "trade_no": tr.tradeNo,
			"out_trade_no": biz["out_trade_no"], "trade_status": tr.status, "total_amount": FormatYuan(tr.amount),
			"buyer_logon_id": "159****5620"}, true)
	case "alipay.trade.refund":
		amount, err := ParseYuan(biz["refund_amount"])
		if err != nil || biz["out_request_no"] == "" {
			g.answer(w, respKey, map[string]any{"code": "40002", "msg": "Invalid Arguments", "sub_code": "isv.invalid-parameter"}, true)
			return
		}
		change := "N"
		if _, done := tr.refunds[biz["out_request_no"]]; !done {
			var sum store.Fen
			for _, a := range tr.refunds {
				sum += a
			}
			if sum+amount > tr.amount || tr.status != TradeSuccess {
				g.answer(w, respKey, map[string]any{"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL"}, true)
				return
			}
			tr.refunds[biz["out_request_no"]] = amount
			change = "Y"
		}
		var sum store.Fen
		for _, a := range tr.refunds {
			sum += a
		}
		g.answer(w, respKey, map[string]any{"code": "10000", "msg": "Success", "trade_no": tr.tradeNo,
			"out_trade_no": biz["out_trade_no"], "fund_change": change, "refund_fee": FormatYuan(sum)}, true)
	case "alipay.trade.fastpay.refund.query":
		a, done := tr.refunds[biz["out_request_no"]]
		ans := map[string]any{"code": "10000", "msg": "Success", "trade_no": tr.tradeNo, "out_trade_no": biz["out_trade_no"], "out_request_no": biz["out_request_no"]}
		if done {
			ans["refund_amount"] = FormatYuan(a)
			ans["refund_status"] = "REFUND_SUCCESS"
		}
		g.answer(w, respKey, ans, true)
	case "alipay.trade.close":
		if tr.status != TradeWaitBuyerPay {
			g.answer(w, respKey, map[string]any{"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.TRADE_STATUS_ERROR"}, true)
			return
		}
		tr.status = TradeClosed
		g.answer(w, respKey, map[string]any{"code": "10000", "msg": "Success", "trade_no": tr.tradeNo, "out_trade_no": biz["out_trade_no"]}, true)
	default:
		g.answer(w, respKey, map[string]any{"code": "40004", "msg": "Business Failed", "sub_code": "isv.invalid-method"}, true)
	}
}

// checkRequest checks a request's common parameters and signature as the
// gateway does.
func checkRequest(pub *rsa.PublicKey, v url.Values, now time.Time) error {
	for k, want := range map[string]string{"app_id": testAppID, "format": "JSON", "charset": "utf-8", "sign_type": "RSA2", "version": "1.0"} {
		if v.Get(k) != want {
			return fmt.Errorf("%s = %q, want %q", k, v.Get(k), want)
		}
	}
	ts, err := time.ParseInLocation(timeLayout, v.Get("timestamp"), shanghai)
	if err != nil || now.Sub(ts) > time.Minute || ts.Sub(now) > time.Minute {
		return fmt.Errorf("bad timestamp %q", v.Get("timestamp"))
	}
	return Verify(pub, []byte(Canonical(v)), v.Get("sign"))
}

// answer writes {"<method>_response":{...},"sign":"..."}, the response
// object written with spaces so that only its exact bytes verify.
func (g *fakeGateway) answer(w http.ResponseWriter, key string, obj map[string]any, sign bool) {
	b, err := json.MarshalIndent(obj, "", " ")
	if err != nil {
		g.t.Error(err)
		return
	}
	out := fmt.Sprintf(`{"%s":%s`, key, b)
	if sign && !g.unsigned {
		sig, err := Sign(g.key, b)
		if err != nil {
			g.t.Error(err)
			return
		}
		out += fmt.Sprintf(`,"sign":"%s"`, sig)
	}
	out += "}"
	if g.tamper {
		out = strings.Replace(out, `"10000"`, `"10000" `, 1)
		out = strings.Replace(out, `Success`, `Succes5`, 1)
	}
	w.Header().Set("Content-Type", "text/html;charset=utf-8")
	fmt.Fprint(w, out)
}

func testClient(t *testing.T, gateway string) *Client {
	app, ali := testKeys(t)
	return NewClient(Config{AppID: testAppID, PrivateKey: app, AlipayPublicKey: &ali.PublicKey, Gateway: gateway})
}

func TestClientQuery(t *testing.T) {
	g, srv := newFakeGateway(t)
	c := testClient(t, srv.URL)
	ctx := context.Background()
	g.addTrade("T1", 1234, TradeSuccess)
	tr, err := c.Query(ctx, "T1")
	if err != nil {
		t.Fatal(err)
	}
	if tr.TradeStatus != TradeSuccess || tr.TotalAmount != "12.34" || tr.TradeNo != "2026T1" {
		t.Errorf("query: %+v", tr)
	}
	if _, err := c.Query(ctx, "nope"); !IsTradeNotExist(err) {
		t.Errorf("unknown trade: %v", err)
	}
	g.tamper = true
	if _, err := c.Query(ctx, "T1"); err == nil || !strings.Contains(err.Error(), "signature") {
		t.Errorf("tampered answer: %v", err)
	}
	g.tamper, g.unsigned = false, true
	if _, err := c.Query(ctx, "T1"); err == nil || !strings.Contains(err.Error(), "unsigned") {
		t.Errorf("unsigned answer: %v", err)
	}
	g.unsigned = false
	// A client with another private key: the gateway refuses it, unsigned.
	_, other := testKeys(t)
	bad := NewClient(Config{AppID: testAppID, PrivateKey: other, AlipayPublicKey: &other.PublicKey, Gateway: srv.URL})
	if _, err := bad.Query(ctx, "T1"); err == nil || !strings.Contains(err.Error(), "isv.invalid-signature") {
		t.Errorf("badly signed request: %v", err)
	}
	// Answers signed by Alipay do not verify with another public key.
	app, _ := testKeys(t)
	wrong := NewClient(Config{AppID: testAppID, PrivateKey: app, AlipayPublicKey: &app.PublicKey, Gateway: srv.URL})
	if _, err := wrong.Query(ctx, "T1"); err == nil {
		t.Error("answer verified with the wrong Alipay key")
	}
}

func TestClientRefund(t *testing.T) {
	g, srv := newFakeGateway(t)
	c := testClient(t, srv.URL)
	ctx := context.Background()
	g.addTrade("T2", 1000, TradeSuccess)
	a, err := c.Refund(ctx, TradeRefund{OutTradeNo: "T2", OutRequestNo: "R1", Amount: 300, Reason: "售后"})
	if err != nil {
		t.Fatal(err)
	}
	if a.FundChange != "Y" || a.RefundFee != "3.00" {
		t.Errorf("refund: %+v", a)
	}
	// The same number again is the same refund.
	a, err = c.Refund(ctx, TradeRefund{OutTradeNo: "T2", OutRequestNo: "R1", Amount: 300})
	if err != nil || a.FundChange != "N" || a.RefundFee != "3.00" {
		t.Errorf("retried refund: %+v %v", a, err)
	}
	s, err := c.RefundQuery(ctx, "T2", "R1")
	if err != nil || s.RefundStatus != "REFUND_SUCCESS" || s.RefundAmount != "3.00" {
		t.Errorf("refund query: %+v %v", s, err)
	}
	if _, err := c.Refund(ctx, TradeRefund{OutTradeNo: "T2", OutRequestNo: "R2", Amount: 800}); err == nil {
		t.Error("refund beyond the trade accepted")
	}
	if _, err := c.Refund(ctx, TradeRefund{OutTradeNo: "T2", OutRequestNo: "R3", Amount: 0}); err == nil {
		t.Error("zero refund sent")
	}
}

func TestClientClose(t *testing.T) {
	g, srv := newFakeGateway(t)
	c := testClient(t, srv.URL)
	ctx := context.Background()
	g.addTrade("T3", 100, TradeWaitBuyerPay)
	if err := c.Close(ctx, "T3"); err != nil {
		t.Fatal(err)
	}
	if g.trades["T3"].status != TradeClosed {
		t.Error("not closed")
	}
	if err := c.Close(ctx, "never-opened"); err != nil {
		t.Errorf("closing an unknown trade: %v", err)
	}
	g.addTrade("T4", 100, TradeSuccess)
	if err := c.Close(ctx, "T4"); err == nil {
		t.Error("closed a paid trade")
	}
}

func TestPagePayAndWapPay(t *testing.T) {
	app, _ := testKeys(t)
	now := time.Date(2026, 11, 22, 4, 0, 0, 0, time.UTC)
	c := NewClient(Config{AppID: testAppID, PrivateKey: app, Gateway: DefaultGateway, Now: func() time.Time { return now }})
	p := TradePay{OutTradeNo: "P1", Amount: 1, Subject: "订单 P1 & <b>", NotifyURL: "https://shop.example/pay/notify/alipay",
		ReturnURL: "https://shop.example/pay/result", QuitURL: "https://shop.example/pay", TimeExpire: now.Add(30 * time.Minute)}
	action, fields, err := c.PagePay(p)
	if err != nil {
		t.Fatal(err)
	}
	if action != DefaultGateway+"?charset=utf-8" {
		t.Errorf("action %s", action)
	}
	v := url.Values{}
	for k, f := range fields {
		v.Set(k, f)
	}
	if err := checkRequest(&app.PublicKey, v, now); err != nil {
		t.Fatalf("page pay request: %v", err)
	}
	if v.Get("method") != "alipay.trade.page.pay" || v.Get("timestamp") != "2026-11-22 12:00:00" || v.Get("notify_url") != p.NotifyURL || v.Get("return_url") != p.ReturnURL {
		t.Errorf("page pay params: %v", v)
	}
	var biz map[string]string
	if err := json.Unmarshal([]byte(v.Get("biz_content")), &biz); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"out_trade_no": "P1", "total_amount": "0.01", "subject": "订单 P1 & <b>", "product_code": ProductPage, "time_expire": "2026-11-22 12:30:00"}
	if fmt.Sprint(biz) != fmt.Sprint(want) {
		t.Errorf("page biz_content %v, want %v", biz, want)
	}

	u, err := c.WapPayURL(p)
	if err != nil {
		t.Fatal(err)
	}
	pu, err := url.Parse(u)
	if err != nil || pu.Scheme+"://"+pu.Host+pu.Path != DefaultGateway {
		t.Fatalf("wap url %s: %v", u, err)
	}
	q := pu.Query()
	if err := checkRequest(&app.PublicKey, q, now); err != nil {
		t.Fatalf("wap request: %v", err)
	}
	biz = nil
	if err := json.Unmarshal([]byte(q.Get("biz_content")), &biz); err != nil {
		t.Fatal(err)
	}
	if q.Get("method") != "alipay.trade.wap.pay" || biz["product_code"] != ProductWap || biz["quit_url"] != p.QuitURL || biz["total_amount"] != "0.01" {
		t.Errorf("wap params %v biz %v", q, biz)
	}
	for _, bad := range []TradePay{{OutTradeNo: "", Amount: 1}, {OutTradeNo: "X", Amount: 0}, {OutTradeNo: "X", Amount: -5}} {
		if _, _, err := c.PagePay(bad); err == nil {
			t.Errorf("page pay %+v accepted", bad)
		}
	}
}
