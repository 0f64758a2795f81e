package wechatpay

import (
	"context"
	"crypto/rsa"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/xiaodian/xiaodian/plugins/wechatpay/wechatpaytest"
)

func TestPrepay(t *testing.T) {
	for _, mode := range []wechatpaytest.Mode{wechatpaytest.ModePublicKey, wechatpaytest.ModeCertificates, wechatpaytest.ModeBoth} {
		c, g := newTestClient(t, mode)
		ctx := context.Background()
		expire := time.Now().Add(time.Hour).Truncate(time.Second)
		o := Order{Description: "订单 1", OutTradeNo: "P000001", NotifyURL: "https://shop.example/pay/notify/wechatpay", Total: 1999,
			TimeExpire: expire}
		code, err := c.PrepayNative(ctx, o)
		if err != nil || !strings.HasPrefix(code, "weixin://wxpay/bizpayurl?pr=") {
			t.Fatalf("mode %d native: %q %v", mode, code, err)
		}
		o.OutTradeNo = "P000002"
		if _, err := c.PrepayJSAPI(ctx, o); err == nil {
			t.Fatal("jsapi without openid accepted")
		}
		o.OpenID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
		id, err := c.PrepayJSAPI(ctx, o)
		if err != nil || !strings.HasPrefix(id, "wx") {
			t.Fatalf("jsapi: %q %v", id, err)
		}
		o.OutTradeNo, o.OpenID = "P000003", ""
		if _, err := c.PrepayH5(ctx, o); err == nil {
			t.Fatal("h5 without IP accepted")
		}
		o.ClientIP = "203.0.113.7"
		u, err := c.PrepayH5(ctx, o)
		if err != nil || !strings.HasPrefix(u, g.URL+"/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=") {
			t.Fatalf("h5: %q %v", u, err)
		}
		got, ok := g.Order("P000001")
		if !ok || got.Total != 1999 || got.Currency != "CNY" || got.Description != "订单 1" || got.AppID != g.AppID ||
			got.TimeExpire != expire.In(chinaTime).Format(time.RFC3339) || !strings.HasSuffix(got.TimeExpire, "+08:00") {
			t.Fatalf("order %+v", got)
		}
		if got, _ := g.Order("P000002"); got.OpenID != "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o" || got.Kind != "jsapi" {
			t.Fatalf("jsapi order %+v", got)
		}
	}
}

func TestQueryCloseRefund(t *testing.T) {
	c, g := newTestClient(t, wechatpaytest.ModePublicKey)
	ctx := context.Background()
	o := Order{Description: "d", OutTradeNo: "Q000001", NotifyURL: "https://shop.example/n", Total: 500}
	if _, err := c.PrepayNative(ctx, o); err != nil {
		t.Fatal(err)
	}
	tx, err := c.QueryByOutTradeNo(ctx, "Q000001")
	if err != nil || tx.TradeState != TradeNotPay {
		t.Fatalf("query: %+v %v", tx, err)
	}
	if _, err := c.Refund(ctx, RefundOrder{OutTradeNo: "Q000001", OutRefundNo: "R1", Refund: 100, Total: 500}); err == nil {
		t.Fatal("refund of an unpaid order accepted")
	}
	if err := g.MarkPaid("Q000001", "oPayer"); err != nil {
		t.Fatal(err)
	}
	tx, err = c.QueryByOutTradeNo(ctx, "Q000001")
	if err != nil || tx.TradeState != TradeSuccess || tx.TransactionID == "" || tx.Amount.Total != 500 || tx.Payer.OpenID != "oPayer" {
		t.Fatalf("query paid: %+v %v", tx, err)
	}
	rf, err := c.Refund(ctx, RefundOrder{OutTradeNo: "Q000001", OutRefundNo: "R1", Refund: 100, Total: 500, Reason: "售后"})
	if err != nil || rf.Status != RefundProcessing || rf.RefundID == "" {
		t.Fatalf("refund: %+v %v", rf, err)
	}
	again, err := c.Refund(ctx, RefundOrder{OutTradeNo: "Q000001", OutRefundNo: "R1", Refund: 100, Total: 500})
	if err != nil || again.RefundID != rf.RefundID {
		t.Fatalf("the same refund number retried is another refund: %+v %v", again, err)
	}
	if _, err := c.Refund(ctx, RefundOrder{OutTradeNo: "Q000001", OutRefundNo: "R2", Refund: 401, Total: 500}); !IsAPIError(err, "INVALID_REQUEST") {
		t.Fatalf("refund above what is left: %v", err)
	}
	q, err := c.QueryRefund(ctx, "R1")
	if err != nil || q.Status != RefundProcessing || q.Amount.Refund != 100 || q.OutTradeNo != "Q000001" || !strings.Contains(string(q.raw), `"out_refund_no":"R1"`) {
		t.Fatalf("refund query: %+v %v", q, err)
	}
	var ae *APIError
	if _, err := c.QueryRefund(ctx, "NOPE"); !errors.As(err, &ae) || ae.Status != 404 || ae.Code != "RESOURCE_NOT_EXISTS" || !ae.Verified {
		t.Fatalf("unknown refund: %v", err)
	}
	// Close of an unpaid order closes it; of a paid one is refused.
	if _, err := c.PrepayNative(ctx, Order{Description: "d", OutTradeNo: "Q000002", NotifyURL: "https://shop.example/n", Total: 1}); err != nil {
		t.Fatal(err)
	}
	if err := c.CloseOrder(ctx, "Q000002"); err != nil {
		t.Fatalf("close: %v", err)
	}
	if tx, err := c.QueryByOutTradeNo(ctx, "Q000002"); err != nil || tx.TradeState != TradeClosed {
		t.Fatalf("after close: %+v %v", tx, err)
	}
	if err := c.CloseOrder(ctx, "Q000001"); !IsAPIError(err, "ORDERPAID") {
		t.Fatalf("close of a paid order: %v", err)
	}
	if _, err := c.QueryByOutTradeNo(ctx, "NOPE000"); !errors.As(err, &ae) || ae.Status != 404 || ae.Code != "ORDER_NOT_EXIST" || !ae.Verified {
		t.Fatalf("unknown order: %v", err)
	}
}

func TestClientRefusesUnsignedOrForeignResponses(t *testing.T) {
	g := wechatpaytest.New(t)
	ctx := context.Background()
	native := func(c *Client, no string) error {
		_, err := c.PrepayNative(ctx, Order{Description: "d", OutTradeNo: no, NotifyURL: "https://shop.example/n", Total: 1})
		return err
	}
	// The client trusts another key under the public key's id: the
	// gateway's answers fail.
	cfg := gatewayConfig(t, g, wechatpaytest.ModePublicKey)
	other := cfg.MchKey
	cfg.PlatformKeys = map[string]*rsa.PublicKey{g.PublicKeyID: &other.PublicKey}
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := native(c, "X000001"); !errors.Is(err, ErrBadSignature) || errors.Is(err, ErrUnknownSerial) {
		t.Fatalf("forged answer: %v", err)
	}
	// Error answers are verified too.
	if _, err := c.QueryByOutTradeNo(ctx, "NOPE000"); !errors.Is(err, ErrBadSignature) || IsAPIError(err, "") {
		t.Fatalf("forged error answer: %v", err)
	}
	// An answer signed with a key we do not know.
	cfg = gatewayConfig(t, g, wechatpaytest.ModePublicKey)
	cfg.PlatformKeys = map[string]*rsa.PublicKey{"PUB_KEY_ID_OTHER": cfg.PlatformKeys[g.PublicKeyID]}
	c, _ = NewClient(cfg)
	if err := native(c, "X000002"); !errors.Is(err, ErrUnknownSerial) {
		t.Fatalf("unknown serial: %v", err)
	}
	// A merchant key the gateway does not know: an unsigned 401.
	cfg = gatewayConfig(t, g, wechatpaytest.ModePublicKey)
	cfg.MchKey, _ = ParsePrivateKey([]byte(testOfficialKeyPKCS1))
	c, _ = NewClient(cfg)
	var ae *APIError
	if err := native(c, "X000003"); !errors.As(err, &ae) || ae.Code != "SIGN_ERROR" || ae.Status != 401 || ae.Verified {
		t.Fatalf("bad merchant key: %v", err)
	}
	// A clock off by more than five minutes: the gateway refuses it.
	cfg = gatewayConfig(t, g, wechatpaytest.ModePublicKey)
	cfg.Now = func() time.Time { return time.Now().Add(-10 * time.Minute) }
	c, _ = NewClient(cfg)
	if err := native(c, "X000004"); !IsAPIError(err, "SIGN_ERROR") {
		t.Fatalf("skewed clock: %v", err)
	}
	if _, err := NewClient(Config{}); err == nil {
		t.Fatal("empty config accepted")
	}
}

func TestAnswersCarryThePublicKeyID(t *testing.T) {
	// With a public key the requests ask for answers signed with it
	// (Wechatpay-Serial), which lets a migrating merchant verify them.
	c, g := newTestClient(t, wechatpaytest.ModeBoth)
	if _, err := c.QueryByOutTradeNo(context.Background(), "NOPE000"); !IsAPIError(err, "ORDER_NOT_EXIST") {
		t.Fatal(err)
	}
	// No certificate download was needed: the answer was signed with the
	// public key.
	if n := countRequests(g, "GET /v3/certificates"); n > 1 {
		t.Fatalf("%d certificate downloads", n)
	}
	c2, g2 := newTestClient(t, wechatpaytest.ModeCertificates)
	if _, err := c2.QueryByOutTradeNo(context.Background(), "NOPE000"); !IsAPIError(err, "ORDER_NOT_EXIST") {
		t.Fatal(err)
	}
	if n := countRequests(g2, "GET /v3/certificates"); n != 1 {
		t.Fatalf("certificates downloaded %d times", n)
	}
}
