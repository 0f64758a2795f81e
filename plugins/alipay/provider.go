package alipay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/store"
)

// ErrIgnored is a verified notification that needs nothing done: a trade
// status other than TRADE_SUCCESS / TRADE_FINISHED (WAIT_BUYER_PAY,
// TRADE_CLOSED) or the trade_status_sync Alipay sends after a refund (our
// refunds are settled when alipay.trade.refund answers). It wraps
// plugins.ErrBadNotify so the core changes nothing, and Ack still answers
// "success" so that Alipay stops sending it.
var ErrIgnored = fmt.Errorf("alipay notify: nothing to do: %w", plugins.ErrBadNotify)

// Provider is the Alipay payment provider.
type Provider struct {
	cfg    Config
	client *Client
}

var _ plugins.PaymentProvider = (*Provider)(nil)

// New returns the provider for cfg. A provider without app id, private key
// or Alipay public key is offered nowhere and refuses every call.
func New(cfg Config) *Provider {
	c := NewClient(cfg)
	return &Provider{cfg: c.cfg, client: c}
}

// Client returns the provider's OpenAPI client.
func (p *Provider) Client() *Client { return p.client }

// ID is "alipay".
func (*Provider) ID() string { return ID }

// Name is shown on the pay page.
func (*Provider) Name() string { return "支付宝" }

func (p *Provider) configured() bool {
	return p.cfg.AppID != "" && p.cfg.PrivateKey != nil && p.cfg.AlipayPublicKey != nil
}

// channelFor picks the channel for a user agent: none inside WeChat
// (which blocks Alipay), wap on a phone or tablet, page elsewhere.
func channelFor(ua string) (string, bool) {
	if strings.Contains(ua, "MicroMessenger") {
		return "", false
	}
	for _, m := range []string{"Mobi", "Android", "iPhone", "iPad", "iPod", "HarmonyOS", "OpenHarmony"} {
		if strings.Contains(ua, m) {
			return "wap", true
		}
	}
	return "page", true
}

// Channel is "wap" on a phone, "page" on a desktop, and none inside WeChat
// or when the provider is not configured.
func (p *Provider) Channel(r *http.Request) (string, bool) {
	if !p.configured() {
		return "", false
	}
	return channelFor(r.UserAgent())
}

// Pay answers a redirect to the signed alipay.trade.wap.pay URL (wap) or
// the alipay.trade.page.pay form posted to the gateway (page).
func (p *Provider) Pay(_ context.Context, req plugins.PayRequest) (*plugins.PayAction, error) {
	if !p.configured() {
		return nil, plugins.ErrProviderUnavailable
	}
	pay := req.Payment
	if pay == nil {
		return nil, errors.New("alipay pay: no payment")
	}
	if pay.Currency != "" && pay.Currency != "CNY" {
		return nil, fmt.Errorf("alipay pay: currency %q", pay.Currency)
	}
	channel := pay.Channel
	if channel == "" {
		var ok bool
		if channel, ok = channelFor(req.UserAgent); !ok {
			return nil, plugins.ErrProviderUnavailable
		}
	}
	tp := TradePay{
		OutTradeNo: pay.OutTradeNo, Amount: pay.Amount, Subject: req.Subject,
		NotifyURL: req.NotifyURL, ReturnURL: req.ReturnURL, QuitURL: req.CancelURL,
		TimeExpire: req.ExpiresAt,
	}
	switch channel {
	case "wap":
		u, err := p.client.WapPayURL(tp)
		if err != nil {
			return nil, err
		}
		return &plugins.PayAction{Kind: plugins.PayRedirect, URL: u}, nil
	case "page":
		action, fields, err := p.client.PagePay(tp)
		if err != nil {
			return nil, err
		}
		return &plugins.PayAction{Kind: plugins.PayForm, URL: action, Fields: fields}, nil
	default:
		return nil, fmt.Errorf("alipay pay: unknown channel %q", channel)
	}
}

// VerifyNotify checks an async notification (a form POST): the RSA2
// signature first, then app_id and, when configured, seller_id; then it
// reads the trade.
func (p *Provider) VerifyNotify(_ context.Context, _ *http.Request, body []byte) (*plugins.Notification, error) {
	if !p.configured() {
		return nil, plugins.ErrProviderUnavailable
	}
	bad := func(why string) error { return fmt.Errorf("alipay notify: %s: %w", why, plugins.ErrBadNotify) }
	if len(body) == 0 || len(body) > plugins.MaxNotifyBody {
		return nil, bad("empty or oversized body")
	}
	v, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, bad("malformed form")
	}
	if err := VerifyNotifyParams(p.cfg.AlipayPublicKey, v); err != nil {
		return nil, bad(err.Error())
	}
	if v.Get("app_id") != p.cfg.AppID {
		return nil, bad("another app_id")
	}
	if p.cfg.SellerID != "" && v.Get("seller_id") != p.cfg.SellerID {
		return nil, bad("another seller_id")
	}
	if t := v.Get("notify_type"); t != "trade_status_sync" {
		return nil, bad("notify_type " + t)
	}
	outTradeNo, tradeNo := v.Get("out_trade_no"), v.Get("trade_no")
	if outTradeNo == "" || len(outTradeNo) > 64 || tradeNo == "" || len(tradeNo) > 64 {
		return nil, bad("missing numbers")
	}
	switch v.Get("trade_status") {
	case TradeSuccess, TradeFinished:
	case TradeWaitBuyerPay, TradeClosed:
		return nil, ErrIgnored
	default:
		return nil, bad("unknown trade_status")
	}
	if v.Get("gmt_refund") != "" || v.Get("out_biz_no") != "" {
		return nil, ErrIgnored // a refund's sync, not a payment
	}
	amount, err := ParseYuan(v.Get("total_amount"))
	if err != nil || amount <= 0 {
		return nil, bad("bad total_amount")
	}
	return &plugins.Notification{Kind: plugins.NotifyPayment, Payment: &store.PaymentNotice{
		Provider: ID, OutTradeNo: outTradeNo, ProviderTxnID: tradeNo,
		Amount: amount, Currency: "CNY", Raw: string(body),
	}}, nil
}

// Ack answers the text Alipay expects: "success" for an applied or ignored
// notification, "fail" otherwise (Alipay retries 8 times within 25 hours).
func (*Provider) Ack(err error) (int, string, []byte) {
	const ct = "text/plain; charset=utf-8"
	switch {
	case err == nil, errors.Is(err, ErrIgnored):
		return http.StatusOK, ct, []byte("success")
	case errors.Is(err, plugins.ErrBadNotify), errors.Is(err, store.ErrPaymentMismatch):
		return http.StatusBadRequest, ct, []byte("fail")
	default:
		return http.StatusInternalServerError, ct, []byte("fail")
	}
}

// Refund calls alipay.trade.refund, which settles at once: fund_change Y
// means the money is back. fund_change N (a retried number) is confirmed
// with alipay.trade.fastpay.refund.query; a refund neither confirms is an
// error, to be retried with the same OutRefundNo. Alipay gives a refund no
// id of its own: ProviderRefundID is the trade's trade_no.
func (p *Provider) Refund(ctx context.Context, req plugins.RefundRequest) (*plugins.RefundResult, error) {
	if !p.configured() {
		return nil, plugins.ErrProviderUnavailable
	}
	if req.Payment == nil || req.Amount <= 0 || req.Amount > req.Payment.Amount-req.Payment.Refunded {
		return nil, fmt.Errorf("alipay refund: amount %d out of range", req.Amount)
	}
	a, err := p.client.Refund(ctx, TradeRefund{
		OutTradeNo: req.Payment.OutTradeNo, OutRequestNo: req.OutRefundNo,
		Amount: req.Amount, Reason: req.Reason,
	})
	if err != nil {
		return nil, err
	}
	if a.FundChange == "Y" {
		return &plugins.RefundResult{ProviderRefundID: a.TradeNo, Status: plugins.RefundSucceeded}, nil
	}
	s, err := p.client.RefundQuery(ctx, req.Payment.OutTradeNo, req.OutRefundNo)
	if err != nil {
		return nil, err
	}
	if s.RefundStatus != "REFUND_SUCCESS" {
		return nil, fmt.Errorf("alipay refund %s: not confirmed (fund_change %q, refund_status %q)", req.OutRefundNo, a.FundChange, s.RefundStatus)
	}
	if amt, err := ParseYuan(s.RefundAmount); err != nil || amt != req.Amount {
		return nil, fmt.Errorf("alipay refund %s: refunded %q, asked %s", req.OutRefundNo, s.RefundAmount, FormatYuan(req.Amount))
	}
	return &plugins.RefundResult{ProviderRefundID: s.TradeNo, Status: plugins.RefundSucceeded}, nil
}

// Query calls alipay.trade.query: TRADE_SUCCESS / TRADE_FINISHED is paid
// (with a notice to apply like a callback), TRADE_CLOSED is closed (unpaid
// and timed out, or fully refunded), a trade Alipay does not know or that
// waits for the buyer is neither.
func (p *Provider) Query(ctx context.Context, pay *store.Payment) (*plugins.QueryResult, error) {
	if !p.configured() {
		return nil, plugins.ErrProviderUnavailable
	}
	t, err := p.client.Query(ctx, pay.OutTradeNo)
	if IsTradeNotExist(err) {
		return &plugins.QueryResult{}, nil
	}
	if err != nil {
		return nil, err
	}
	switch t.TradeStatus {
	case TradeSuccess, TradeFinished:
		amount, err := ParseYuan(t.TotalAmount)
		if err != nil || amount <= 0 || t.TradeNo == "" {
			return nil, fmt.Errorf("alipay query %s: bad trade %q %q", pay.OutTradeNo, t.TradeNo, t.TotalAmount)
		}
		raw, _ := json.Marshal(t)
		return &plugins.QueryResult{Paid: true, Notice: &store.PaymentNotice{
			Provider: ID, OutTradeNo: t.OutTradeNo, ProviderTxnID: t.TradeNo,
			Amount: amount, Currency: "CNY", Raw: string(raw),
		}}, nil
	case TradeClosed:
		return &plugins.QueryResult{Closed: true}, nil
	case TradeWaitBuyerPay:
		return &plugins.QueryResult{}, nil
	default:
		return nil, fmt.Errorf("alipay query %s: unknown trade_status %q", pay.OutTradeNo, t.TradeStatus)
	}
}

// Close calls alipay.trade.close; a trade the payer never opened needs no
// closing.
func (p *Provider) Close(ctx context.Context, pay *store.Payment) error {
	if !p.configured() {
		return plugins.ErrProviderUnavailable
	}
	return p.client.Close(ctx, pay.OutTradeNo)
}
