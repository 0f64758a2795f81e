package wechatpay

import (
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testMchID    = "1900000001"
	testAppID    = "wxd678efh567hg6787"
	testMchSN    = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
	testPlatSN   = "PUB_KEY_ID_0114232134912410000000000000"
	testAPIv3Key = "0123456789abcdef0123456789abcdef"
)

// fakeGateway is a local WeChat Pay: it checks each request's
// Authorization with the merchant's public key and signs its answers with
// the platform key, keeping its orders in memory.
type fakeGateway struct {
	t       testing.TB
	srv     *httptest.Server
	mchPub  *rsa.PublicKey
	plat    *rsa.PrivateKey
	now     func() time.Time
	mu      sync.Mutex
	orders  map[string]*fakeOrder
	refunds map[string]*Refund
	calls   []string
}

type fakeOrder struct {
	body  prepayBody
	kind  string
	state string
	txn   string
}

func newFakeGateway(t testing.TB, now func() time.Time) *fakeGateway {
	mch, plat := testKeys(t)
	g := &fakeGateway{t: t, mchPub: &mch.PublicKey, plat: plat, now: now,
		orders: map[string]*fakeOrder{}, refunds: map[string]*Refund{}}
	g.srv = httptest.NewServer(http.HandlerFunc(g.serve))
	t.Cleanup(g.srv.Close)
	return g
}

func (g *fakeGateway) config() Config {
	mch, plat := testKeys(g.t)
	return Config{MchID: testMchID, AppID: testAppID, MchSerialNo: testMchSN, MchKey: mch,
		APIv3Key: []byte(testAPIv3Key), PlatformKeys: map[string]*rsa.PublicKey{testPlatSN: &plat.PublicKey},
		BaseURL: g.srv.URL, HTTPClient: g.srv.Client(), Now: g.now}
}

func (g *fakeGateway) reply(w http.ResponseWriter, status int, v any) {
	var body []byte
	if v != nil {
		body, _ = json.Marshal(v)
	}
	h, err := SignResponse(g.plat, testPlatSN, g.now(), Nonce(), body)
	if err != nil {
		g.t.Error(err)
	}
	for k, vs := range h {
		w.Header()[k] = vs
	}
	if v != nil {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(status)
	w.Write(body)
}

func (g *fakeGateway) fail(w http.ResponseWriter, status int, code, msg string) {
	g.reply(w, status, map[string]string{"code": code, "message": msg})
}

// checkAuth verifies the request like the gateway does.
func (g *fakeGateway) checkAuth(r *http.Request, body []byte) error {
	f, ok := ParseAuthorization(r.Header.Get("Authorization"))
	if !ok {
		return fmt.Errorf("no Authorization")
	}
	if f["mchid"] != testMchID || f["serial_no"] != testMchSN {
		return fmt.Errorf("mchid/serial %q %q", f["mchid"], f["serial_no"])
	}
	ts, err := strconv.ParseInt(f["timestamp"], 10, 64)
	if err != nil || g.now().Sub(time.Unix(ts, 0)).Abs() > MaxSkew {
		return fmt.Errorf("timestamp %q", f["timestamp"])
	}
	msg := lines(r.Method, r.URL.RequestURI(), f["timestamp"], f["nonce_str"], string(body))
	return VerifySHA256(g.mchPub, msg, f["signature"])
}

func (g *fakeGateway) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	g.mu.Lock()
	defer g.mu.Unlock()
	g.calls = append(g.calls, r.Method+" "+r.URL.RequestURI())
	if err := g.checkAuth(r, body); err != nil {
		g.fail(w, 401, "SIGN_ERROR", err.Error())
		return
	}
	p := r.URL.Path
	switch {
	case r.Method == "POST" && strings.HasPrefix(p, "/v3/pay/transactions/") && !strings.Contains(p, "out-trade-no"):
		kind := strings.TrimPrefix(p, "/v3/pay/transactions/")
		var b prepayBody
		if err := json.Unmarshal(body, &b); err != nil || b.MchID != testMchID || b.AppID != testAppID ||
			b.Amount.Total <= 0 || b.Amount.Currency != "CNY" || b.OutTradeNo == "" || b.NotifyURL == "" {
			g.fail(w, 400, "PARAM_ERROR", "bad order")
			return
		}
		switch kind {
		case "jsapi":
			if b.Payer == nil || b.Payer.OpenID == "" {
				g.fail(w, 400, "PARAM_ERROR", "payer.openid")
				return
			}
		case "h5":
			if b.SceneInfo == nil || b.SceneInfo.PayerClientIP == "" || b.SceneInfo.H5Info == nil {
				g.fail(w, 400, "PARAM_ERROR", "scene_info")
				return
			}
		case "native":
		default:
			g.fail(w, 404, "NOT_FOUND", p)
			return
		}
		if o, dup := g.orders[b.OutTradeNo]; dup && o.state != TradeNotPay {
			g.fail(w, 400, "ORDERPAID", "paid or closed")
			return
		}
		g.orders[b.OutTradeNo] = &fakeOrder{body: b, kind: kind, state: TradeNotPay, txn: "4200000" + b.OutTradeNo}
		switch kind {
		case "jsapi":
			g.reply(w, 200, map[string]string{"prepay_id": "wx" + b.OutTradeNo})
		case "h5":
			g.reply(w, 200, map[string]string{"h5_url": "https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx" + b.OutTradeNo})
		default:
			g.reply(w, 200, map[string]string{"code_url": "weixin://wxpay/bizpayurl?pr=" + b.OutTradeNo})
		}
	case strings.HasPrefix(p, "/v3/pay/transactions/out-trade-no/"):
		rest := strings.TrimPrefix(p, "/v3/pay/transactions/out-trade-no/")
		no, closing := strings.CutSuffix(rest, "/close")
		o := g.orders[no]
		if o == nil {
			g.fail(w, 404, "ORDER_NOT_EXIST", no)
			return
		}
		if closing {
			if r.Method != "POST" || !strings.Contains(string(body), `"mchid":"`+testMchID+`"`) {
				g.fail(w, 400, "PARAM_ERROR", "close")
				return
			}
			if o.state == TradeNotPay {
				o.state = TradeClosed
			}
			g.reply(w, 204, nil)
			return
		}
		if r.Method != "GET" || r.URL.Query().Get("mchid") != testMchID {
			g.fail(w, 400, "PARAM_ERROR", "query")
			return
		}
		g.reply(w, 200, g.transaction(o))
	case r.Method == "POST" && p == "/v3/refund/domestic/refunds":
		var in struct {
			OutTradeNo  string `json:"out_trade_no"`
			OutRefundNo string `json:"out_refund_no"`
			Amount      struct {
				Refund, Total int64
				Currency      string
			} `json:"amount"`
		}
		if err := json.Unmarshal(body, &in); err != nil {
			g.fail(w, 400, "PARAM_ERROR", "body")
			return
		}
		o := g.orders[in.OutTradeNo]
		if o == nil || (o.state != TradeSuccess && o.state != TradeRefund) || in.Amount.Total != o.body.Amount.Total ||
			in.Amount.Refund <= 0 || in.Amount.Refund > in.Amount.Total || in.Amount.Currency != "CNY" {
			g.fail(w, 400, "INVALID_REQUEST", "refund")
			return
		}
		rf := g.refunds[in.OutRefundNo]
		if rf == nil {
			rf = &Refund{RefundID: "5030000" + in.OutRefundNo, OutRefundNo: in.OutRefundNo, OutTradeNo: o.body.OutTradeNo,
				TransactionID: o.txn, Status: RefundProcessing}
			rf.Amount.Total, rf.Amount.Refund, rf.Amount.Currency = in.Amount.Total, in.Amount.Refund, "CNY"
			g.refunds[in.OutRefundNo] = rf
			o.state = TradeRefund
		}
		g.reply(w, 200, rf)
	default:
		g.fail(w, 404, "NOT_FOUND", p)
	}
}

func (g *fakeGateway) transaction(o *fakeOrder) *Transaction {
	t := &Transaction{AppID: o.body.AppID, MchID: o.body.MchID, OutTradeNo: o.body.OutTradeNo,
		TradeType: strings.ToUpper(o.kind), TradeState: o.state}
	t.Amount.Total, t.Amount.Currency = o.body.Amount.Total, "CNY"
	if o.state == TradeSuccess || o.state == TradeRefund {
		t.TransactionID = o.txn
		t.Amount.PayerTotal, t.Amount.PayerCurrency = o.body.Amount.Total, "CNY"
		t.SuccessTime = "2026-11-22T12:00:00+08:00"
	}
	return t
}

// pay marks an order paid and returns the signed TRANSACTION.SUCCESS
// callback the gateway sends.
func (g *fakeGateway) pay(no string) (http.Header, []byte) {
	g.mu.Lock()
	o := g.orders[no]
	if o == nil {
		g.mu.Unlock()
		g.t.Fatalf("no order %s", no)
	}
	o.state = TradeSuccess
	tx := g.transaction(o)
	g.mu.Unlock()
	plain, _ := json.Marshal(tx)
	return g.callback("TRANSACTION.SUCCESS", "transaction", "支付成功", plain)
}

// refundDone finishes a refund with status and returns its signed callback.
func (g *fakeGateway) refundDone(outRefundNo, status string) (http.Header, []byte) {
	g.mu.Lock()
	rf := g.refunds[outRefundNo]
	if rf == nil {
		g.mu.Unlock()
		g.t.Fatalf("no refund %s", outRefundNo)
	}
	rf.Status = status
	n := map[string]any{"mchid": testMchID, "out_trade_no": rf.OutTradeNo, "transaction_id": rf.TransactionID,
		"out_refund_no": rf.OutRefundNo, "refund_id": rf.RefundID, "refund_status": status,
		"success_time": "2026-11-22T12:05:00+08:00", "user_received_account": "招商银行信用卡0403",
		"amount": map[string]int64{"total": rf.Amount.Total, "refund": rf.Amount.Refund,
			"payer_total": rf.Amount.Total, "payer_refund": rf.Amount.Refund}}
	g.mu.Unlock()
	plain, _ := json.Marshal(n)
	return g.callback("REFUND."+status, "refund", "退款状态改变通知", plain)
}

// callback wraps plain in a signed API v3 notification.
func (g *fakeGateway) callback(event, otype, summary string, plain []byte) (http.Header, []byte) {
	res, err := EncryptResource([]byte(testAPIv3Key), Nonce()[:12], otype, plain, otype)
	if err != nil {
		g.t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{"id": "EV-" + Nonce(), "create_time": "2026-11-22T12:00:00+08:00",
		"resource_type": "encrypt-resource", "event_type": event, "summary": summary, "resource": res})
	h, err := SignResponse(g.plat, testPlatSN, g.now(), Nonce(), body)
	if err != nil {
		g.t.Fatal(err)
	}
	h.Set("Content-Type", "application/json")
	return h, body
}
