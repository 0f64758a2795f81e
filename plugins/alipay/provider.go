package alipay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/store"
)

// ErrIgnored is a verified notification that needs nothing done: a trade
// status other than TRADE_SUCCESS / TRADE_FINISHED (WAIT_BUYER_PAY,
// TRADE_CLOSED) or the trade_status_sync Alipay sends after a refund (our
// refunds are settled when alipay.trade.refund answers). It wraps
// plugins.ErrNotifyIgnored (and so plugins.ErrBadNotify): the core changes
// nothing and logs it as ignored, and Ack still answers "success" so that
// Alipay stops sending it.
var ErrIgnored = fmt.Errorf("alipay notify: %w", plugins.ErrNotifyIgnored)

// Provider is the Alipay payment provider. Its configuration is one
// immutable value swapped atomically (Configure), so payments running while
// the owner saves new keys finish with the keys they started with.
type Provider struct {
	state  atomic.Pointer[state]       // nil: not configured
	hc     atomic.Pointer[http.Client] // from PaymentEnv; nil: the client's default
	logger atomic.Pointer[slog.Logger] // from PaymentEnv; nil: no logging
}

// state is one configuration in use.
type state struct {
	client    *Client
	wap, page bool // channels offered
	payouts   payoutOpts
}

// payoutOpts are the 单笔转账 settings: switched on, the order_title.
type payoutOpts struct {
	on    bool
	title string
}

var (
	_ plugins.PaymentProvider = (*Provider)(nil)
	_ plugins.PaymentStarter  = (*Provider)(nil)
	_ plugins.RefundQuerier   = (*Provider)(nil)
	_ plugins.Payouter        = (*Provider)(nil)
)

// NewProvider returns the provider configured with cfg, both channels on.
// A provider without app id, private key or Alipay public key is offered
// nowhere and refuses every call. The plugin (New) starts it unconfigured
// and configures it from the shop's settings.
func NewProvider(cfg Config) *Provider {
	p := &Provider{}
	p.use(&cfg, true, true, payoutOpts{})
	return p
}

// use swaps in cfg (nil: not configured) with the channels wap and page
// and the payout settings.
func (p *Provider) use(cfg *Config, wap, page bool, po payoutOpts) {
	if cfg == nil || cfg.AppID == "" || cfg.PrivateKey == nil || cfg.AlipayPublicKey == nil {
		p.state.Store(nil)
		return
	}
	c := *cfg
	if c.HTTPClient == nil {
		c.HTTPClient = p.hc.Load()
	}
	p.state.Store(&state{client: NewClient(c), wap: wap, page: page, payouts: po})
}

// Start takes the shop's logger and HTTP client (timeouts, proxy) for the
// gateway calls; it needs nothing else and never fails.
func (p *Provider) Start(_ context.Context, env plugins.PaymentEnv) error {
	if env.Logger != nil {
		p.logger.Store(env.Logger)
	}
	if env.HTTPClient == nil {
		return nil
	}
	p.hc.Store(env.HTTPClient)
	if st := p.state.Load(); st != nil {
		cfg := st.client.cfg
		cfg.HTTPClient = env.HTTPClient
		p.use(&cfg, st.wap, st.page, st.payouts)
	}
	return nil
}

// current returns the configuration in use, or ErrProviderUnavailable.
func (p *Provider) current() (*state, error) {
	st := p.state.Load()
	if st == nil {
		return nil, plugins.ErrProviderUnavailable
	}
	return st, nil
}

// Client returns the OpenAPI client in use, nil when not configured.
func (p *Provider) Client() *Client {
	if st := p.state.Load(); st != nil {
		return st.client
	}
	return nil
}

// ID is "alipay".
func (*Provider) ID() string { return ID }

// Name is shown on the pay page.
func (*Provider) Name() string { return "支付宝" }

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

// pick returns the channel for a user agent among those st offers: none
// inside WeChat; on a phone wap, else page; elsewhere page, else wap.
func (st *state) pick(ua string) (string, bool) {
	want, ok := channelFor(ua)
	if !ok {
		return "", false
	}
	switch {
	case want == "wap" && st.wap, want == "page" && st.page:
		return want, true
	case st.wap:
		return "wap", true
	case st.page:
		return "page", true
	}
	return "", false
}

// Channel is "wap" on a phone, "page" on a desktop (the other when the
// owner switched one off), and none inside WeChat or when the provider is
// not configured.
func (p *Provider) Channel(r *http.Request) (string, bool) {
	st, err := p.current()
	if err != nil {
		return "", false
	}
	return st.pick(r.UserAgent())
}

// Pay answers a redirect to the signed alipay.trade.wap.pay URL (wap) or
// the alipay.trade.page.pay form posted to the gateway (page).
func (p *Provider) Pay(_ context.Context, req plugins.PayRequest) (*plugins.PayAction, error) {
	st, err := p.current()
	if err != nil {
		return nil, err
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
		if channel, ok = st.pick(req.UserAgent); !ok {
			return nil, plugins.ErrProviderUnavailable
		}
	}
	if (channel == "wap" && !st.wap) || (channel == "page" && !st.page) {
		return nil, fmt.Errorf("alipay pay: channel %q switched off: %w", channel, plugins.ErrProviderUnavailable)
	}
	tp := TradePay{
		OutTradeNo: pay.OutTradeNo, Amount: pay.Amount, Subject: req.Subject,
		NotifyURL: req.NotifyURL, ReturnURL: req.ReturnURL, QuitURL: req.CancelURL,
		TimeExpire: req.ExpiresAt,
	}
	switch channel {
	case "wap":
		u, err := st.client.WapPayURL(tp)
		if err != nil {
			return nil, err
		}
		return &plugins.PayAction{Kind: plugins.PayRedirect, URL: u}, nil
	case "page":
		action, fields, err := st.client.PagePay(tp)
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
	st, err := p.current()
	if err != nil {
		return nil, err
	}
	cfg := &st.client.cfg
	bad := func(why string) error { return fmt.Errorf("alipay notify: %s: %w", why, plugins.ErrBadNotify) }
	if len(body) == 0 || len(body) > plugins.MaxNotifyBody {
		return nil, bad("empty or oversized body")
	}
	v, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, bad("malformed form")
	}
	if err := VerifyNotifyParams(cfg.AlipayPublicKey, v); err != nil {
		return nil, bad(err.Error())
	}
	if v.Get("app_id") != cfg.AppID {
		return nil, bad("another app_id")
	}
	if cfg.SellerID != "" && v.Get("seller_id") != cfg.SellerID {
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
	st, err := p.current()
	if err != nil {
		return nil, err
	}
	if req.Payment == nil || req.Amount <= 0 || req.Amount > req.Payment.Amount-req.Payment.Refunded {
		return nil, fmt.Errorf("alipay refund: amount %d out of range: %w", req.Amount, plugins.ErrRefundRefused)
	}
	a, err := st.client.Refund(ctx, TradeRefund{
		OutTradeNo: req.Payment.OutTradeNo, OutRequestNo: req.OutRefundNo,
		Amount: req.Amount, Reason: req.Reason,
	})
	if refusedRefund(err) {
		return nil, fmt.Errorf("%w: %w", plugins.ErrRefundRefused, err)
	}
	if err != nil {
		return nil, err
	}
	if a.FundChange == "Y" {
		return &plugins.RefundResult{ProviderRefundID: a.TradeNo, Status: plugins.RefundSucceeded}, nil
	}
	s, err := st.client.RefundQuery(ctx, req.Payment.OutTradeNo, req.OutRefundNo)
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

// refusedRefund reports an alipay.trade.refund error that is Alipay's
// definite no: a signed business failure (40004, e.g. ACQ.TRADE_STATUS_ERROR,
// ACQ.REFUND_AMT_NOT_EQUAL_TOTAL, ACQ.SELLER_BALANCE_NOT_ENOUGH) or a
// refused request (40001-40003, an unsigned isv.invalid-signature /
// isv.invalid-app-id: nothing was done). 20000 (service unavailable),
// ACQ.SYSTEM_ERROR and network errors leave the outcome unknown: Alipay
// asks to retry them with the same out_request_no.
func refusedRefund(err error) bool {
	var e *Error
	if !errors.As(err, &e) || e.SubCode == "ACQ.SYSTEM_ERROR" {
		return false
	}
	if e.Unsigned {
		return e.SubCode == "isv.invalid-signature" || e.SubCode == "isv.invalid-app-id"
	}
	switch e.Code {
	case "40001", "40002", "40003", "40004":
		return true
	}
	return false
}

// Query calls alipay.trade.query: TRADE_SUCCESS / TRADE_FINISHED is paid
// (with a notice to apply like a callback), TRADE_CLOSED is closed (unpaid
// and timed out, or fully refunded), a trade Alipay does not know or that
// waits for the buyer is neither.
func (p *Provider) Query(ctx context.Context, pay *store.Payment) (*plugins.QueryResult, error) {
	st, err := p.current()
	if err != nil {
		return nil, err
	}
	t, err := st.client.Query(ctx, pay.OutTradeNo)
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
	st, err := p.current()
	if err != nil {
		return err
	}
	return st.client.Close(ctx, pay.OutTradeNo)
}

// QueryRefund calls alipay.trade.fastpay.refund.query for the refund
// numbered outRefundNo (out_request_no) of pay. Alipay documents that code
// 10000 only means the query worked (该接口的返回码10000，仅代表本次查询操作
// 成功，不代表退款成功。如果该接口返回了查询数据，则代表退款成功，如果没有查询到
// 则代表未退款成功，可以调用退款接口进行重试。重试时请务必保证退款请求号一致:
// https://docs.open.alipay.com/api_1/alipay.trade.fastpay.refund.query):
// refund_status REFUND_SUCCESS is a refund made; an answer without it is a
// refund Alipay never received (or refused), so found is false and the core
// sends it again under the same number. Any other refund_status is
// reported as still pending.
func (p *Provider) QueryRefund(ctx context.Context, pay *store.Payment, outRefundNo string) (*plugins.RefundNotice, bool, error) {
	st, err := p.current()
	if err != nil {
		return nil, false, err
	}
	if pay == nil || pay.OutTradeNo == "" || outRefundNo == "" || len(outRefundNo) > 64 {
		return nil, false, errors.New("alipay refund query: missing numbers")
	}
	s, err := st.client.RefundQuery(ctx, pay.OutTradeNo, outRefundNo)
	if err != nil {
		return nil, false, err
	}
	if s.OutRequestNo != "" && s.OutRequestNo != outRefundNo {
		return nil, false, fmt.Errorf("alipay refund query: answer for %q, asked %q", s.OutRequestNo, outRefundNo)
	}
	if s.OutTradeNo != "" && s.OutTradeNo != pay.OutTradeNo {
		return nil, false, fmt.Errorf("alipay refund query: answer for trade %q, asked %q", s.OutTradeNo, pay.OutTradeNo)
	}
	n := &plugins.RefundNotice{Provider: ID, OutRefundNo: outRefundNo, ProviderRefundID: s.TradeNo, Raw: s.Raw}
	switch s.RefundStatus {
	case "":
		return nil, false, nil
	case "REFUND_SUCCESS":
		amount, err := ParseYuan(s.RefundAmount)
		if err != nil || amount <= 0 {
			return nil, false, fmt.Errorf("alipay refund query %s: bad refund_amount %q", outRefundNo, s.RefundAmount)
		}
		n.Status, n.Amount = plugins.RefundSucceeded, amount
	default:
		n.Status = plugins.RefundPending
	}
	return n, true, nil
}
