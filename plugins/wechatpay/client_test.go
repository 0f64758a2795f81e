package wechatpay

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func fixedNow() time.Time { return time.Unix(1763784000, 0) }

func newTestClient(t *testing.T) (*Client, *fakeGateway) {
	g := newFakeGateway(t, fixedNow)
	c, err := NewClient(g.config())
	if err != nil {
		t.Fatal(err)
	}
	return c, g
}

func TestPrepay(t *testing.T) {
	c, g := newTestClient(t)
	ctx := context.Background()
	o := Order{Description: "订单 1", OutTradeNo: "P1", NotifyURL: "https://shop.example/pay/notify/wechatpay", Total: 1999,
		TimeExpire: fixedNow().Add(time.Hour)}
	code, err := c.PrepayNative(ctx, o)
	if err != nil || code != "weixin://wxpay/bizpayurl?pr=P1" {
		t.Fatalf("native: %q %v", code, err)
	}
	o.OutTradeNo = "P2"
	if _, err := c.PrepayJSAPI(ctx, o); err == nil {
		t.Fatal("jsapi without openid accepted")
	}
	o.OpenID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
	id, err := c.PrepayJSAPI(ctx, o)
	if err != nil || id != "wxP2" {
		t.Fatalf("jsapi: %q %v", id, err)
	}
	o.OutTradeNo, o.OpenID = "P3", ""
	if _, err := c.PrepayH5(ctx, o); err == nil {
		t.Fatal("h5 without IP accepted")
	}
	o.ClientIP = "203.0.113.7"
	u, err := c.PrepayH5(ctx, o)
	if err != nil || !strings.HasPrefix(u, "https://wx.tenpay.com/") {
		t.Fatalf("h5: %q %v", u, err)
	}
	g.mu.Lock()
	b := g.orders["P1"].body
	g.mu.Unlock()
	if b.Amount.Total != 1999 || b.Amount.Currency != "CNY" || b.TimeExpire != fixedNow().Add(time.Hour).Format(time.RFC3339) {
		t.Fatalf("order body %+v", b)
	}
}

func TestQueryCloseRefund(t *testing.T) {
	c, g := newTestClient(t)
	ctx := context.Background()
	o := Order{Description: "d", OutTradeNo: "Q1", NotifyURL: "https://n", Total: 500}
	if _, err := c.PrepayNative(ctx, o); err != nil {
		t.Fatal(err)
	}
	tx, err := c.QueryByOutTradeNo(ctx, "Q1")
	if err != nil || tx.TradeState != TradeNotPay {
		t.Fatalf("query: %+v %v", tx, err)
	}
	if _, err := c.Refund(ctx, RefundOrder{OutTradeNo: "Q1", OutRefundNo: "R1", Refund: 100, Total: 500}); err == nil {
		t.Fatal("refund of an unpaid order accepted")
	}
	g.pay("Q1")
	tx, err = c.QueryByOutTradeNo(ctx, "Q1")
	if err != nil || tx.TradeState != TradeSuccess || tx.TransactionID == "" || tx.Amount.Total != 500 {
		t.Fatalf("query paid: %+v %v", tx, err)
	}
	rf, err := c.Refund(ctx, RefundOrder{OutTradeNo: "Q1", OutRefundNo: "R1", Refund: 100, Total: 500, Reason: "售后"})
	if err != nil || rf.Status != RefundProcessing || rf.RefundID == "" {
		t.Fatalf("refund: %+v %v", rf, err)
	}
	if _, err := c.Refund(ctx, RefundOrder{OutTradeNo: "Q1", OutRefundNo: "R2", Refund: 600, Total: 500}); err == nil {
		t.Fatal("refund above the total accepted")
	}
	// Close of a paid order changes nothing; of an unpaid one closes it.
	if _, err := c.PrepayNative(ctx, Order{Description: "d", OutTradeNo: "Q2", NotifyURL: "https://n", Total: 1}); err != nil {
		t.Fatal(err)
	}
	if err := c.CloseOrder(ctx, "Q2"); err != nil {
		t.Fatalf("close: %v", err)
	}
	if tx, err := c.QueryByOutTradeNo(ctx, "Q2"); err != nil || tx.TradeState != TradeClosed {
		t.Fatalf("after close: %+v %v", tx, err)
	}
	var ae *APIError
	if _, err := c.QueryByOutTradeNo(ctx, "NOPE"); !errors.As(err, &ae) || ae.Status != 404 || ae.Code != "ORDER_NOT_EXIST" {
		t.Fatalf("unknown order: %v", err)
	}
}

func TestClientRefusesUnsignedOrForeignResponses(t *testing.T) {
	g := newFakeGateway(t, fixedNow)
	cfg := g.config()
	// The client trusts another platform key only: the gateway's answers fail.
	mch, _ := testKeys(t)
	cfg.PlatformKeys = map[string]*rsa.PublicKey{testPlatSN: &mch.PublicKey}
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PrepayNative(context.Background(), Order{Description: "d", OutTradeNo: "X", NotifyURL: "https://n", Total: 1}); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("forged answer: %v", err)
	}
	// A merchant key the gateway does not know: 401.
	cfg = g.config()
	_, plat := testKeys(t)
	cfg.MchKey = plat
	c, _ = NewClient(cfg)
	var ae *APIError
	if _, err := c.PrepayNative(context.Background(), Order{Description: "d", OutTradeNo: "Y", NotifyURL: "https://n", Total: 1}); !errors.As(err, &ae) || ae.Code != "SIGN_ERROR" {
		t.Fatalf("bad merchant key: %v", err)
	}
	// A clock off by more than five minutes: the answers are stale.
	cfg = g.config()
	cfg.Now = func() time.Time { return fixedNow().Add(-10 * time.Minute) }
	g.now = fixedNow
	c, _ = NewClient(cfg)
	if _, err := c.PrepayNative(context.Background(), Order{Description: "d", OutTradeNo: "Z", NotifyURL: "https://n", Total: 1}); err == nil {
		t.Fatal("skewed clock accepted")
	}
	if _, err := NewClient(Config{}); err == nil {
		t.Fatal("empty config accepted")
	}
}

func TestFakeCallbacksVerifyAndDecrypt(t *testing.T) {
	c, g := newTestClient(t)
	ctx := context.Background()
	if _, err := c.PrepayNative(ctx, Order{Description: "d", OutTradeNo: "C1", NotifyURL: "https://n", Total: 300}); err != nil {
		t.Fatal(err)
	}
	for _, cb := range []func() (http.Header, []byte){
		func() (http.Header, []byte) { return g.pay("C1") },
		func() (http.Header, []byte) {
			if _, err := c.Refund(ctx, RefundOrder{OutTradeNo: "C1", OutRefundNo: "CR1", Refund: 300, Total: 300}); err != nil {
				t.Fatal(err)
			}
			return g.refundDone("CR1", RefundSuccess)
		},
	} {
		h, body := cb()
		if err := VerifyMessage(c.cfg.PlatformKeys, fixedNow(), h, body); err != nil {
			t.Fatal(err)
		}
		var n struct{ Resource Resource }
		if err := json.Unmarshal(body, &n); err != nil {
			t.Fatal(err)
		}
		if pt, err := DecryptResource(c.cfg.APIv3Key, n.Resource); err != nil || !strings.Contains(string(pt), `"out_trade_no":"C1"`) {
			t.Fatalf("%s %v", pt, err)
		}
	}
}
