package wechatpay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/store"
)

// ID is the provider's id.
const ID = "wechatpay"

// Channels.
const (
	ChannelJSAPI  = "jsapi"
	ChannelH5     = "h5"
	ChannelNative = "native"
)

// Callback event types.
const (
	EventTransactionSuccess = "TRANSACTION.SUCCESS"
	EventRefundSuccess      = "REFUND.SUCCESS"
	EventRefundAbnormal     = "REFUND.ABNORMAL"
	EventRefundClosed       = "REFUND.CLOSED"
)

// Provider is WeChat Pay as a plugins.PaymentProvider.
type Provider struct {
	client *Client
	cfgErr error
	// OpenIDFrom, when set, finds the WeChat OpenID of the browser's user
	// (from the shop's 网页授权 session): Channel offers JSAPI inside WeChat
	// only when it answers one.
	OpenIDFrom func(r *http.Request) string
}

var _ plugins.PaymentProvider = (*Provider)(nil)

// New returns the provider. A cfg that fails Config.Check gives a provider
// that offers no channel and refuses every call with
// plugins.ErrProviderUnavailable.
func New(cfg Config) *Provider {
	c, err := NewClient(cfg)
	return &Provider{client: c, cfgErr: err}
}

// Client returns the provider's gateway client, nil when not configured.
func (p *Provider) Client() *Client { return p.client }

func (p *Provider) ready() (*Client, error) {
	if p.cfgErr != nil || p.client == nil {
		return nil, fmt.Errorf("wechatpay: %v: %w", p.cfgErr, plugins.ErrProviderUnavailable)
	}
	return p.client, nil
}

// ID is "wechatpay".
func (*Provider) ID() string { return ID }

// Name is shown on the pay page.
func (*Provider) Name() string { return "微信支付" }

// InWeChat reports a user agent of WeChat's built-in browser.
func InWeChat(ua string) bool { return strings.Contains(ua, "MicroMessenger") }

// IsMobile reports a phone or tablet browser.
func IsMobile(ua string) bool {
	for _, s := range []string{"Mobile", "Android", "iPhone", "iPad", "iPod", "HarmonyOS", "Windows Phone"} {
		if strings.Contains(ua, s) {
			return true
		}
	}
	return false
}

// channelFor is the channel of a browser: JSAPI inside WeChat with an
// OpenID, H5 on a phone, Native (QR) on a desktop.
func channelFor(ua string, hasOpenID bool) string {
	switch {
	case InWeChat(ua) && hasOpenID:
		return ChannelJSAPI
	case IsMobile(ua):
		return ChannelH5
	default:
		return ChannelNative
	}
}

// Channel picks jsapi inside WeChat when OpenIDFrom finds the user's
// OpenID, h5 on a phone, native on a desktop; none when not configured.
func (p *Provider) Channel(r *http.Request) (string, bool) {
	if _, err := p.ready(); err != nil {
		return "", false
	}
	ua := r.UserAgent()
	hasOpenID := p.OpenIDFrom != nil && InWeChat(ua) && p.OpenIDFrom(r) != ""
	return channelFor(ua, hasOpenID), true
}

// description is the order's 商品描述, at most 127 bytes.
func description(req plugins.PayRequest) string {
	d := req.Subject
	if d == "" {
		d = req.ShopName
	}
	if d == "" {
		d = req.Payment.OutTradeNo
	}
	return truncate(d, 127)
}

// Pay places the order through the channel of the attempt (its Channel, or
// the one of req.UserAgent when empty) and answers a jsapi, redirect (H5) or
// qr (Native) action. A jsapi attempt without an OpenID pays by H5.
func (p *Provider) Pay(ctx context.Context, req plugins.PayRequest) (*plugins.PayAction, error) {
	c, err := p.ready()
	if err != nil {
		return nil, err
	}
	pay := req.Payment
	if pay == nil || pay.OutTradeNo == "" {
		return nil, errors.New("wechatpay pay: no payment")
	}
	if pay.Currency != "" && pay.Currency != "CNY" {
		return nil, fmt.Errorf("wechatpay pay: currency %q not supported", pay.Currency)
	}
	if req.NotifyURL == "" {
		return nil, errors.New("wechatpay pay: no notify URL")
	}
	o := Order{Description: description(req), OutTradeNo: pay.OutTradeNo, TimeExpire: req.ExpiresAt,
		NotifyURL: req.NotifyURL, Total: int64(pay.Amount), Currency: "CNY", OpenID: req.OpenID, ClientIP: req.ClientIP}
	ch := pay.Channel
	if ch == "" {
		ch = channelFor(req.UserAgent, req.OpenID != "")
	}
	if ch == ChannelJSAPI && req.OpenID == "" {
		ch = ChannelH5
	}
	switch ch {
	case ChannelJSAPI:
		id, err := c.PrepayJSAPI(ctx, o)
		if err != nil {
			return nil, err
		}
		params, err := c.JSAPIParams(id)
		if err != nil {
			return nil, err
		}
		return &plugins.PayAction{Kind: plugins.PayJSAPI, Params: params}, nil
	case ChannelH5:
		u, err := c.PrepayH5(ctx, o)
		if err != nil {
			return nil, err
		}
		if req.ReturnURL != "" {
			// The H5 page sends the payer back to redirect_url when done.
			sep := "&"
			if !strings.Contains(u, "?") {
				sep = "?"
			}
			u += sep + "redirect_url=" + url.QueryEscape(req.ReturnURL)
		}
		return &plugins.PayAction{Kind: plugins.PayRedirect, URL: u}, nil
	case ChannelNative:
		u, err := c.PrepayNative(ctx, o)
		if err != nil {
			return nil, err
		}
		return &plugins.PayAction{Kind: plugins.PayQR, URL: u}, nil
	}
	return nil, fmt.Errorf("wechatpay pay: unknown channel %q", ch)
}

// JSAPIParams returns the WeixinJSBridge getBrandWCPayRequest parameters of
// a prepay_id: appId, timeStamp, nonceStr, package, signType RSA and
// paySign, the merchant's signature of "appId\ntimeStamp\nnonceStr\npackage\n".
func (c *Client) JSAPIParams(prepayID string) (map[string]string, error) {
	ts := strconv.FormatInt(c.cfg.Now().Unix(), 10)
	nonce := Nonce()
	pkg := "prepay_id=" + prepayID
	sig, err := SignSHA256(c.cfg.MchKey, lines(c.cfg.AppID, ts, nonce, pkg))
	if err != nil {
		return nil, err
	}
	return map[string]string{"appId": c.cfg.AppID, "timeStamp": ts, "nonceStr": nonce,
		"package": pkg, "signType": "RSA", "paySign": sig}, nil
}

// notification is a callback's envelope.
type notification struct {
	ID           string    `json:"id"`
	CreateTime   string    `json:"create_time"`
	EventType    string    `json:"event_type"`
	ResourceType string    `json:"resource_type"`
	Summary      string    `json:"summary"`
	Resource     *Resource `json:"resource"`
}

// VerifyNotify checks the signature headers first (known serial, RSA-SHA256,
// five minutes), then decrypts the resource with the APIv3 key, checks the
// merchant (and, for payments, the app) and returns the payment or refund
// notification. Every refusal wraps plugins.ErrBadNotify.
func (p *Provider) VerifyNotify(_ context.Context, r *http.Request, body []byte) (*plugins.Notification, error) {
	c, err := p.ready()
	if err != nil {
		return nil, err
	}
	return c.ParseNotify(r.Header, body)
}

// ParseNotify is VerifyNotify on headers and body.
func (c *Client) ParseNotify(h http.Header, body []byte) (*plugins.Notification, error) {
	bad := func(why string) error { return fmt.Errorf("wechatpay notify: %s: %w", why, plugins.ErrBadNotify) }
	if err := VerifyMessage(c.cfg.PlatformKeys, c.cfg.Now(), h, body); err != nil {
		return nil, bad(err.Error())
	}
	var n notification
	if err := json.Unmarshal(body, &n); err != nil || n.Resource == nil {
		return nil, bad("malformed body")
	}
	plain, err := DecryptResource(c.cfg.APIv3Key, *n.Resource)
	if err != nil {
		return nil, bad(err.Error())
	}
	dec := func(v any) error {
		d := json.NewDecoder(bytes.NewReader(plain))
		if err := d.Decode(v); err != nil {
			return bad("malformed resource")
		}
		if d.More() {
			return bad("trailing data in resource")
		}
		return nil
	}
	okNo := func(s string) bool { return s != "" && len(s) <= 64 }
	switch n.EventType {
	case EventTransactionSuccess:
		var t Transaction
		if err := dec(&t); err != nil {
			return nil, err
		}
		if t.MchID != c.cfg.MchID {
			return nil, bad("another merchant")
		}
		if t.AppID != c.cfg.AppID {
			return nil, bad("another app")
		}
		notice, err := paidNotice(&t, string(plain))
		if err != nil {
			return nil, bad(err.Error())
		}
		return &plugins.Notification{Kind: plugins.NotifyPayment, Payment: notice}, nil
	case EventRefundSuccess, EventRefundAbnormal, EventRefundClosed:
		var rf Refund
		if err := dec(&rf); err != nil {
			return nil, err
		}
		if rf.MchID != c.cfg.MchID {
			return nil, bad("another merchant")
		}
		if "REFUND."+rf.RefundStatus != n.EventType {
			return nil, bad("refund status does not match the event")
		}
		if !okNo(rf.OutRefundNo) || !okNo(rf.RefundID) {
			return nil, bad("missing refund numbers")
		}
		if rf.Amount.Refund <= 0 || rf.Amount.Refund > int64(store.MaxPrice) {
			return nil, bad("bad refund amount")
		}
		status := plugins.RefundFailed
		if rf.RefundStatus == RefundSuccess {
			status = plugins.RefundSucceeded
		}
		return &plugins.Notification{Kind: plugins.NotifyRefund, Refund: &plugins.RefundNotice{
			Provider: ID, OutRefundNo: rf.OutRefundNo, ProviderRefundID: rf.RefundID,
			Status: status, Amount: store.Fen(rf.Amount.Refund), Raw: string(plain)}}, nil
	}
	return nil, bad("unknown event type")
}

// paidNotice turns a paid transaction into a payment notice.
func paidNotice(t *Transaction, raw string) (*store.PaymentNotice, error) {
	if t.TradeState != TradeSuccess && t.TradeState != TradeRefund {
		return nil, fmt.Errorf("trade state %q", t.TradeState)
	}
	if t.OutTradeNo == "" || len(t.OutTradeNo) > 64 || t.TransactionID == "" || len(t.TransactionID) > 64 {
		return nil, errors.New("missing numbers")
	}
	if t.Amount.Total <= 0 || t.Amount.Total > int64(store.MaxPrice) {
		return nil, errors.New("bad amount")
	}
	cur := t.Amount.Currency
	if cur == "" {
		cur = "CNY"
	}
	if len(cur) > 8 {
		return nil, errors.New("bad currency")
	}
	return &store.PaymentNotice{Provider: ID, OutTradeNo: t.OutTradeNo, ProviderTxnID: t.TransactionID,
		Amount: store.Fen(t.Amount.Total), Currency: cur, Raw: raw}, nil
}

// Ack answers as the gateway expects: 204 and no body when applied;
// {"code":"FAIL","message":…} with 400 for a refused callback, 500 when the
// shop failed (the gateway retries).
func (*Provider) Ack(err error) (int, string, []byte) {
	const ct = "application/json"
	switch {
	case err == nil:
		return http.StatusNoContent, "", nil
	case errors.Is(err, plugins.ErrBadNotify), errors.Is(err, store.ErrPaymentMismatch):
		return http.StatusBadRequest, ct, []byte(`{"code":"FAIL","message":"bad notification"}`)
	default:
		return http.StatusInternalServerError, ct, []byte(`{"code":"FAIL","message":"try again"}`)
	}
}

// Refund asks for a refund of a paid attempt; the gateway usually answers
// pending and reports the end through a refund notification.
func (p *Provider) Refund(ctx context.Context, req plugins.RefundRequest) (*plugins.RefundResult, error) {
	c, err := p.ready()
	if err != nil {
		return nil, err
	}
	pay := req.Payment
	if pay == nil || req.Amount <= 0 || req.Amount > pay.Amount-pay.Refunded {
		return nil, fmt.Errorf("wechatpay refund: amount %d out of range", req.Amount)
	}
	rf, err := c.Refund(ctx, RefundOrder{TransactionID: pay.ProviderTxnID, OutTradeNo: pay.OutTradeNo,
		OutRefundNo: req.OutRefundNo, Reason: truncate(req.Reason, 80), NotifyURL: req.NotifyURL,
		Refund: int64(req.Amount), Total: int64(pay.Amount)})
	if err != nil {
		return nil, err
	}
	res := &plugins.RefundResult{ProviderRefundID: rf.RefundID}
	switch rf.Status {
	case RefundSuccess:
		res.Status = plugins.RefundSucceeded
	case RefundProcessing:
		res.Status = plugins.RefundPending
	case RefundClosed, RefundAbnormal:
		res.Status = plugins.RefundFailed
	default:
		return nil, fmt.Errorf("wechatpay refund: unknown status %q", rf.Status)
	}
	return res, nil
}

// Query asks the gateway about the attempt: paid (SUCCESS, or REFUND for a
// paid order since refunded), closed (CLOSED, REVOKED, PAYERROR), or neither
// (NOTPAY, USERPAYING, an order the gateway never saw).
func (p *Provider) Query(ctx context.Context, pay *store.Payment) (*plugins.QueryResult, error) {
	c, err := p.ready()
	if err != nil {
		return nil, err
	}
	if pay == nil {
		return nil, errors.New("wechatpay query: no payment")
	}
	t, err := c.QueryByOutTradeNo(ctx, pay.OutTradeNo)
	var ae *APIError
	if errors.As(err, &ae) && ae.Code == "ORDER_NOT_EXIST" {
		return &plugins.QueryResult{}, nil
	}
	if err != nil {
		return nil, err
	}
	switch t.TradeState {
	case TradeSuccess, TradeRefund:
		if t.AppID != c.cfg.AppID {
			return nil, errors.New("wechatpay query: another app")
		}
		n, err := paidNotice(t, string(t.raw))
		if err != nil {
			return nil, fmt.Errorf("wechatpay query: %w", err)
		}
		return &plugins.QueryResult{Paid: true, Notice: n}, nil
	case TradeClosed, TradeRevoked, TradePayError:
		return &plugins.QueryResult{Closed: true}, nil
	}
	return &plugins.QueryResult{}, nil
}

// Close closes the order at the gateway.
func (p *Provider) Close(ctx context.Context, pay *store.Payment) error {
	c, err := p.ready()
	if err != nil {
		return err
	}
	if pay == nil {
		return errors.New("wechatpay close: no payment")
	}
	return c.CloseOrder(ctx, pay.OutTradeNo)
}

func truncate(s string, n int) string {
	for len(s) > n {
		_, k := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-k]
	}
	return s
}
