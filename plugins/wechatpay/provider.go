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
	"sync"
	"sync/atomic"
	"time"
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

// Provider is WeChat Pay as a plugins.PaymentProvider. Its configuration
// is swapped whole by Configure (an immutable state behind an atomic
// pointer), so payments in flight keep the configuration they started with.
type Provider struct {
	st atomic.Pointer[state]

	mu    sync.Mutex // guards env and certs
	env   plugins.PaymentEnv
	certs *certStore // the downloaded 平台证书 of the configured merchant
	now   func() time.Time
}

// state is one configuration in use.
type state struct {
	client            *Client
	jsapi, h5, native bool   // channels the owner switched on
	ns                string // the payer identity namespace of the AppID

	// 商家转账 (payouts): switched on, the scene, what the payee reads.
	payout     bool
	scene      string
	perception string
	reports    []ReportInfo
}

var (
	_ plugins.PaymentProvider = (*Provider)(nil)
	_ plugins.PaymentStarter  = (*Provider)(nil)
	_ plugins.RefundQuerier   = (*Provider)(nil)
	_ plugins.PayerNamespacer = (*Provider)(nil)
	_ plugins.Payouter        = (*Provider)(nil)
)

// NewProvider returns a provider using cfg with every channel on, for
// callers that build the Config themselves; the plugin (New) makes its
// provider from the shop's settings instead. A cfg that fails Config.Check
// gives a provider that offers no channel and refuses every call with
// plugins.ErrProviderUnavailable.
func NewProvider(cfg Config) *Provider {
	p := &Provider{}
	if c, err := p.newClient(cfg); err == nil {
		reports, _ := ParseReportInfos(defaultReportInfos)
		p.st.Store(&state{client: c, jsapi: true, h5: true, native: true, ns: plugins.WeChatNamespace(cfg.AppID),
			scene: DefaultTransferScene, perception: defaultPerception, reports: reports})
	}
	return p
}

// Start keeps the shop's environment: the database caching the 平台证书,
// the logger and the HTTP client. It never fails.
func (p *Provider) Start(_ context.Context, env plugins.PaymentEnv) error {
	p.mu.Lock()
	p.env = env
	p.certs = nil // made again with the database
	p.mu.Unlock()
	if st := p.st.Load(); st != nil {
		// Rebuild the client with the environment's HTTP client and store.
		cfg := st.client.cfg
		cfg.HTTPClient = nil
		if c, err := p.newClient(cfg); err == nil {
			ns := *st
			ns.client = c
			p.st.CompareAndSwap(st, &ns)
		}
	}
	return nil
}

// newClient makes a client of cfg with the environment's HTTP client and
// the certificate store of cfg's merchant (kept across configurations).
func (p *Provider) newClient(cfg Config) (*Client, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = p.env.HTTPClient
	}
	if cfg.Now == nil && p.now != nil {
		cfg.Now = p.now
	}
	base := strings.TrimRight(cfg.BaseURL, "/")
	if base == "" {
		base = DefaultBaseURL
	}
	var cs *certStore
	if cfg.DownloadCertificates {
		if p.certs != nil && p.certs.mchID == cfg.MchID && p.certs.baseURL == base {
			cs = p.certs
		} else {
			var db settingStore
			if p.env.DB != nil {
				db = p.env.DB
			}
			cs = newCertStore(cfg.MchID, base, db, p.env.Logger)
		}
	}
	c, err := newClient(cfg, cs)
	if err != nil {
		return nil, err
	}
	if cs != nil {
		p.certs = cs
	}
	return c, nil
}

// Client returns the gateway client in use, nil when not configured.
func (p *Provider) Client() *Client {
	if st := p.st.Load(); st != nil {
		return st.client
	}
	return nil
}

func (p *Provider) ready() (*state, error) {
	st := p.st.Load()
	if st == nil {
		return nil, fmt.Errorf("wechatpay: not configured: %w", plugins.ErrProviderUnavailable)
	}
	return st, nil
}

// ID is "wechatpay".
func (*Provider) ID() string { return ID }

// Name is shown on the pay page.
func (*Provider) Name() string { return "微信支付" }

// PayerNamespace is the identity namespace of OpenIDs under the configured
// AppID (JSAPI pays with the payer's OpenID), "" while not configured.
func (p *Provider) PayerNamespace() string {
	if st := p.st.Load(); st != nil {
		return st.ns
	}
	return ""
}

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

// channelFor is the channel of a browser among those switched on: inside
// WeChat JSAPI when the payer's OpenID is known, else Native (WeChat's own
// browser refuses H5 payment pages; a QR code long-pressed in WeChat pays);
// on a phone H5, else Native; on a desktop Native only (H5 pages do not
// open in desktop browsers). "" when none fits.
func (st *state) channelFor(ua string, hasOpenID bool) string {
	var order []string
	switch {
	case InWeChat(ua):
		if hasOpenID {
			order = append(order, ChannelJSAPI)
		}
		order = append(order, ChannelNative)
	case IsMobile(ua):
		order = []string{ChannelH5, ChannelNative}
	default:
		order = []string{ChannelNative}
	}
	for _, ch := range order {
		if st.on(ch) {
			return ch
		}
	}
	return ""
}

// on reports whether the owner switched channel ch on.
func (st *state) on(ch string) bool {
	switch ch {
	case ChannelJSAPI:
		return st.jsapi
	case ChannelH5:
		return st.h5
	case ChannelNative:
		return st.native
	}
	return false
}

// Channel picks the channel of this browser (see channelFor); the payer's
// OpenID is the identity under the AppID's namespace on the request's
// context. None when not configured or no channel fits.
func (p *Provider) Channel(r *http.Request) (string, bool) {
	st := p.st.Load()
	if st == nil {
		return "", false
	}
	ua := r.UserAgent()
	ch := st.channelFor(ua, InWeChat(ua) && plugins.IdentityFrom(r.Context(), st.ns) != "")
	return ch, ch != ""
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
// the one of req.UserAgent when empty; a channel switched off since, or
// JSAPI without an OpenID, falls back like Channel) and answers a jsapi,
// redirect (H5) or qr (Native) action. The OpenID is req.OpenID, else the
// payer's identity on ctx.
func (p *Provider) Pay(ctx context.Context, req plugins.PayRequest) (*plugins.PayAction, error) {
	st, err := p.ready()
	if err != nil {
		return nil, err
	}
	c := st.client
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
	openID := req.OpenID
	if openID == "" {
		openID = plugins.IdentityFrom(ctx, st.ns)
	}
	o := Order{Description: description(req), OutTradeNo: pay.OutTradeNo, TimeExpire: req.ExpiresAt,
		NotifyURL: req.NotifyURL, Total: int64(pay.Amount), Currency: "CNY", OpenID: openID, ClientIP: req.ClientIP}
	ch := pay.Channel
	if !st.on(ch) || (ch == ChannelJSAPI && openID == "") {
		ch = st.channelFor(req.UserAgent, openID != "")
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
	return nil, fmt.Errorf("wechatpay pay: no channel switched on for this browser: %w", plugins.ErrProviderUnavailable)
}

// JSAPIParams returns the WeixinJSBridge getBrandWCPayRequest parameters of
// a prepay_id: appId, timeStamp, nonceStr, package, signType RSA and
// paySign, the merchant's signature of "appId\ntimeStamp\nnonceStr\npackage\n".
func (c *Client) JSAPIParams(prepayID string) (map[string]string, error) {
	return c.jsapiParams(prepayID, c.cfg.Now(), Nonce())
}

func (c *Client) jsapiParams(prepayID string, now time.Time, nonce string) (map[string]string, error) {
	ts := strconv.FormatInt(now.Unix(), 10)
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
func (p *Provider) VerifyNotify(ctx context.Context, r *http.Request, body []byte) (*plugins.Notification, error) {
	st, err := p.ready()
	if err != nil {
		return nil, err
	}
	return st.client.ParseNotify(ctx, r.Header, body)
}

// ParseNotify is VerifyNotify on headers and body. A callback signed with
// an unknown serial makes a client that downloads 平台证书 download them
// again (at most once a minute) before refusing it.
func (c *Client) ParseNotify(ctx context.Context, h http.Header, body []byte) (*plugins.Notification, error) {
	bad := func(why string) error { return fmt.Errorf("wechatpay notify: %s: %w", why, plugins.ErrBadNotify) }
	c.maybeRefresh(ctx)
	if err := c.verify(ctx, h, body); err != nil {
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
	st, err := p.ready()
	if err != nil {
		return nil, err
	}
	c := st.client
	pay := req.Payment
	if pay == nil || req.Amount <= 0 || req.Amount > pay.Amount-pay.Refunded {
		return nil, fmt.Errorf("wechatpay refund: amount %d out of range: %w", req.Amount, plugins.ErrRefundRefused)
	}
	// transaction_id and out_trade_no are 二选一: WeChat's number when known.
	ro := RefundOrder{TransactionID: pay.ProviderTxnID, OutRefundNo: req.OutRefundNo, Reason: truncate(req.Reason, 80),
		NotifyURL: req.NotifyURL, Refund: int64(req.Amount), Total: int64(pay.Amount)}
	if ro.TransactionID == "" {
		ro.OutTradeNo = pay.OutTradeNo
	}
	rf, err := c.Refund(ctx, ro)
	if refusedRefund(err) {
		return nil, fmt.Errorf("%w: %w", plugins.ErrRefundRefused, err)
	}
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

// refusedRefund reports a 申请退款 error that is WeChat's definite no: a
// 4xx business answer it signed (NOT_ENOUGH, PARAM_ERROR, INVALID_REQUEST,
// USER_ACCOUNT_ABNORMAL...), or 401 (it refused our signature, so it did
// nothing). SYSTEM_ERROR, FREQUENCY_LIMITED, 5xx and network errors leave
// the outcome unknown: WeChat asks to retry them with the same
// out_refund_no.
func refusedRefund(err error) bool {
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status < 400 || ae.Status > 499 {
		return false
	}
	switch ae.Code {
	case "SYSTEM_ERROR", "FREQUENCY_LIMITED":
		return false
	}
	return ae.Verified || ae.Status == http.StatusUnauthorized
}

// Query asks the gateway about the attempt: paid (SUCCESS, or REFUND for a
// paid order since refunded), closed (CLOSED, REVOKED, PAYERROR), or neither
// (NOTPAY, USERPAYING, an order the gateway never saw).
func (p *Provider) Query(ctx context.Context, pay *store.Payment) (*plugins.QueryResult, error) {
	st, err := p.ready()
	if err != nil {
		return nil, err
	}
	c := st.client
	if pay == nil {
		return nil, errors.New("wechatpay query: no payment")
	}
	t, err := c.QueryByOutTradeNo(ctx, pay.OutTradeNo)
	if IsAPIError(err, "ORDER_NOT_EXIST") {
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
	st, err := p.ready()
	if err != nil {
		return err
	}
	if pay == nil {
		return errors.New("wechatpay close: no payment")
	}
	return st.client.CloseOrder(ctx, pay.OutTradeNo)
}

// QueryRefund asks the gateway about the refund numbered outRefundNo of
// the payment: pending (PROCESSING), succeeded (SUCCESS) or failed (CLOSED,
// ABNORMAL); found is false for the gateway's 404 RESOURCE_NOT_EXISTS.
func (p *Provider) QueryRefund(ctx context.Context, pay *store.Payment, outRefundNo string) (*plugins.RefundNotice, bool, error) {
	st, err := p.ready()
	if err != nil {
		return nil, false, err
	}
	rf, err := st.client.QueryRefund(ctx, outRefundNo)
	if IsAPIError(err, "RESOURCE_NOT_EXISTS") {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if pay != nil && rf.OutTradeNo != "" && rf.OutTradeNo != pay.OutTradeNo {
		return nil, false, errors.New("wechatpay refund query: the refund is of another payment")
	}
	if rf.Amount.Refund <= 0 || rf.Amount.Refund > int64(store.MaxPrice) {
		return nil, false, errors.New("wechatpay refund query: bad refund amount")
	}
	n := &plugins.RefundNotice{Provider: ID, OutRefundNo: rf.OutRefundNo, ProviderRefundID: rf.RefundID,
		Amount: store.Fen(rf.Amount.Refund), Raw: string(rf.raw)}
	switch rf.Status {
	case RefundSuccess:
		n.Status = plugins.RefundSucceeded
	case RefundProcessing:
		n.Status = plugins.RefundPending
	case RefundClosed, RefundAbnormal:
		n.Status = plugins.RefundFailed
	default:
		return nil, false, fmt.Errorf("wechatpay refund query: unknown status %q", rf.Status)
	}
	return n, true, nil
}

func truncate(s string, n int) string {
	for len(s) > n {
		_, k := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-k]
	}
	return s
}
