// Package sandbox is a payment provider for demos and tests (模拟支付): its
// "gateway" is a page of the shop itself where the payer presses 确认支付,
// and its callbacks are signed like a real gateway's so that they go through
// the same verification as WeChat Pay's or Alipay's.
//
// A callback carries three headers, as in WeChat Pay v3:
// Sandbox-Timestamp (Unix seconds), Sandbox-Nonce and Sandbox-Signature, the
// base64 Ed25519 signature of "timestamp\nnonce\nbody\n". The key pair is
// made once and kept in the shop's settings (sandbox.ed25519_seed); a
// callback older (or newer) than five minutes is refused.
//
// The sandbox refuses to work when the shop runs in production mode: it
// fails to start, so the pay page never offers it and its callbacks are
// refused.
package sandbox

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/store"
)

// ID is the plugin's and the provider's id.
const ID = "sandbox"

// GatewayPath is the prefix of the sandbox's gateway page, served by the
// shop: GatewayPath + out_trade_no.
const GatewayPath = "/pay/sandbox/"

// Callback headers.
const (
	HeaderTimestamp = "Sandbox-Timestamp"
	HeaderNonce     = "Sandbox-Nonce"
	HeaderSignature = "Sandbox-Signature"
)

// MaxSkew is how far a callback's timestamp may be from the shop's clock.
const MaxSkew = 5 * time.Minute

// seedSetting keys the Ed25519 seed in the shop's settings.
const seedSetting = "sandbox.ed25519_seed"

// Event types of a callback body.
const (
	EventPaid     = "TRANSACTION.SUCCESS"
	EventRefunded = "REFUND.SUCCESS"
)

// Plugin registers the sandbox provider.
type Plugin struct {
	provider *Provider
}

// New returns the sandbox plugin.
func New() *Plugin { return &Plugin{provider: &Provider{}} }

// ID is "sandbox".
func (*Plugin) ID() string { return ID }

// Name is shown in the back office's plugin list.
func (*Plugin) Name() string { return "模拟支付 Sandbox" }

// Description is the back office's one line about the plugin.
func (*Plugin) Description() string {
	return "演示用的模拟支付网关，回调与真实网关一样签名；生产模式下自动停用。"
}

// Register adds the provider.
func (p *Plugin) Register(r *plugins.Registry) error {
	return r.AddPaymentProvider(ID, p.provider)
}

// Provider is the sandbox payment provider.
type Provider struct {
	mu      sync.RWMutex
	started bool
	env     plugins.PaymentEnv
	key     ed25519.PrivateKey
	now     func() time.Time
}

var _ plugins.PaymentProvider = (*Provider)(nil)
var _ plugins.PaymentStarter = (*Provider)(nil)

// ID is "sandbox".
func (*Provider) ID() string { return ID }

// Name is shown on the pay page.
func (*Provider) Name() string { return "模拟支付" }

// Start loads (or makes, the first time) the key pair; in production mode it
// refuses with plugins.ErrProviderUnavailable.
func (p *Provider) Start(ctx context.Context, env plugins.PaymentEnv) error {
	if env.Production() {
		return fmt.Errorf("sandbox in production mode: %w", plugins.ErrProviderUnavailable)
	}
	if env.DB == nil {
		return errors.New("sandbox: no database")
	}
	seed, err := env.DB.Secret(ctx, seedSetting, ed25519.SeedSize)
	if err != nil {
		return fmt.Errorf("sandbox key: %w", err)
	}
	if len(seed) != ed25519.SeedSize {
		return fmt.Errorf("sandbox key: stored seed has %d bytes", len(seed))
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.env, p.key, p.now, p.started = env, ed25519.NewKeyFromSeed(seed), env.DB.Now, true
	return nil
}

// ready returns the key and clock, or ErrProviderUnavailable when the
// provider did not start or the shop is in production mode.
func (p *Provider) ready() (ed25519.PrivateKey, func() time.Time, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if !p.started || p.env.Production() {
		return nil, nil, plugins.ErrProviderUnavailable
	}
	return p.key, p.now, nil
}

// Channel is "page" whenever the provider runs.
func (p *Provider) Channel(*http.Request) (string, bool) {
	if _, _, err := p.ready(); err != nil {
		return "", false
	}
	return "page", true
}

// Pay sends the browser to the sandbox's gateway page.
func (p *Provider) Pay(_ context.Context, req plugins.PayRequest) (*plugins.PayAction, error) {
	if _, _, err := p.ready(); err != nil {
		return nil, err
	}
	if req.Payment == nil || req.Payment.OutTradeNo == "" {
		return nil, errors.New("sandbox pay: no payment")
	}
	return &plugins.PayAction{Kind: plugins.PayRedirect, URL: GatewayPath + req.Payment.OutTradeNo}, nil
}

// Body is a sandbox callback's JSON body.
type Body struct {
	ID            string `json:"id"`
	EventType     string `json:"event_type"`
	OutTradeNo    string `json:"out_trade_no"`
	TransactionID string `json:"transaction_id"`
	OutRefundNo   string `json:"out_refund_no,omitempty"`
	RefundID      string `json:"refund_id,omitempty"`
	Amount        struct {
		Total    int64  `json:"total"`
		Currency string `json:"currency"`
	} `json:"amount"`
}

// PaidNotify builds the signed callback the gateway sends when the payer
// confirms the payment of p: headers and body, ready to be POSTed to the
// notify URL (the shop's gateway page hands them to the notify handler).
func (p *Provider) PaidNotify(pay *store.Payment) (http.Header, []byte, error) {
	var b Body
	b.ID = randomHex(8)
	b.EventType = EventPaid
	b.OutTradeNo = pay.OutTradeNo
	// One transaction id per attempt: the gateway's retries of the same
	// callback carry the same id, as a real gateway's do.
	b.TransactionID = "SB" + pay.OutTradeNo
	b.Amount.Total = int64(pay.Amount)
	b.Amount.Currency = pay.Currency
	if b.Amount.Currency == "" {
		b.Amount.Currency = "CNY"
	}
	body, err := json.Marshal(b)
	if err != nil {
		return nil, nil, err
	}
	h, err := p.Sign(body)
	if err != nil {
		return nil, nil, err
	}
	return h, body, nil
}

// Sign returns the callback headers signing body now.
func (p *Provider) Sign(body []byte) (http.Header, error) {
	key, now, err := p.ready()
	if err != nil {
		return nil, err
	}
	return SignAt(key, now(), randomHex(16), body), nil
}

// SignAt returns the callback headers of body signed with key at time ts
// with nonce: what the gateway sends.
func SignAt(key ed25519.PrivateKey, ts time.Time, nonce string, body []byte) http.Header {
	stamp := strconv.FormatInt(ts.Unix(), 10)
	sig := ed25519.Sign(key, message(stamp, nonce, body))
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set(HeaderTimestamp, stamp)
	h.Set(HeaderNonce, nonce)
	h.Set(HeaderSignature, base64.StdEncoding.EncodeToString(sig))
	return h
}

// message is what is signed: "timestamp\nnonce\nbody\n".
func message(stamp, nonce string, body []byte) []byte {
	var b bytes.Buffer
	b.Grow(len(stamp) + len(nonce) + len(body) + 3)
	b.WriteString(stamp)
	b.WriteByte('\n')
	b.WriteString(nonce)
	b.WriteByte('\n')
	b.Write(body)
	b.WriteByte('\n')
	return b.Bytes()
}

// VerifyNotify checks the signature and the timestamp, then reads the body.
func (p *Provider) VerifyNotify(_ context.Context, r *http.Request, body []byte) (*plugins.Notification, error) {
	key, now, err := p.ready()
	if err != nil {
		return nil, err
	}
	return Verify(key.Public().(ed25519.PublicKey), now(), r.Header, body)
}

// Verify checks a callback against the gateway's public key at time now
// and parses it. Every failure wraps plugins.ErrBadNotify.
func Verify(pub ed25519.PublicKey, now time.Time, h http.Header, body []byte) (*plugins.Notification, error) {
	bad := func(why string) error { return fmt.Errorf("sandbox notify: %s: %w", why, plugins.ErrBadNotify) }
	stamp, nonce, sig64 := h.Get(HeaderTimestamp), h.Get(HeaderNonce), h.Get(HeaderSignature)
	if stamp == "" || nonce == "" || sig64 == "" {
		return nil, bad("missing signature headers")
	}
	if len(nonce) > 64 || len(stamp) > 12 {
		return nil, bad("oversized headers")
	}
	sig, err := base64.StdEncoding.DecodeString(sig64)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return nil, bad("malformed signature")
	}
	if !ed25519.Verify(pub, message(stamp, nonce, body), sig) {
		return nil, bad("wrong signature")
	}
	ts, err := strconv.ParseInt(stamp, 10, 64)
	if err != nil {
		return nil, bad("malformed timestamp")
	}
	if d := now.Sub(time.Unix(ts, 0)); d > MaxSkew || d < -MaxSkew {
		return nil, bad("stale timestamp")
	}
	return parseBody(body)
}

// parseBody reads a verified callback body.
func parseBody(body []byte) (*plugins.Notification, error) {
	bad := func(why string) error { return fmt.Errorf("sandbox notify: %s: %w", why, plugins.ErrBadNotify) }
	var b Body
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return nil, bad("malformed body")
	}
	if dec.More() {
		return nil, bad("trailing data")
	}
	if b.OutTradeNo == "" || len(b.OutTradeNo) > 64 || b.TransactionID == "" || len(b.TransactionID) > 64 {
		return nil, bad("missing numbers")
	}
	if b.Amount.Total <= 0 || b.Amount.Total > int64(store.MaxPrice) || b.Amount.Currency == "" || len(b.Amount.Currency) > 8 {
		return nil, bad("bad amount")
	}
	switch b.EventType {
	case EventPaid:
		return &plugins.Notification{Kind: plugins.NotifyPayment, Payment: &store.PaymentNotice{
			Provider: ID, OutTradeNo: b.OutTradeNo, ProviderTxnID: b.TransactionID,
			Amount: store.Fen(b.Amount.Total), Currency: b.Amount.Currency, Raw: string(body),
		}}, nil
	case EventRefunded:
		if b.OutRefundNo == "" || len(b.OutRefundNo) > 64 {
			return nil, bad("missing refund number")
		}
		return &plugins.Notification{Kind: plugins.NotifyRefund, Refund: &plugins.RefundNotice{
			Provider: ID, OutRefundNo: b.OutRefundNo, ProviderRefundID: b.RefundID,
			Status: plugins.RefundSucceeded, Amount: store.Fen(b.Amount.Total), Raw: string(body),
		}}, nil
	default:
		return nil, bad("unknown event type")
	}
}

// Ack answers like WeChat Pay v3: 200 with {"code":"SUCCESS"}, 400 for a
// refused callback, 500 when the shop failed (the gateway retries).
func (*Provider) Ack(err error) (int, string, []byte) {
	const ct = "application/json"
	switch {
	case err == nil:
		return http.StatusOK, ct, []byte(`{"code":"SUCCESS"}`)
	case errors.Is(err, plugins.ErrBadNotify), errors.Is(err, store.ErrPaymentMismatch):
		return http.StatusBadRequest, ct, []byte(`{"code":"FAIL","message":"bad notification"}`)
	default:
		return http.StatusInternalServerError, ct, []byte(`{"code":"FAIL","message":"try again"}`)
	}
}

// Refund succeeds at once: the sandbox holds no money.
func (p *Provider) Refund(_ context.Context, req plugins.RefundRequest) (*plugins.RefundResult, error) {
	if _, _, err := p.ready(); err != nil {
		return nil, err
	}
	if req.Payment == nil || req.Amount <= 0 || req.Amount > req.Payment.Amount-req.Payment.Refunded {
		return nil, fmt.Errorf("sandbox refund: amount %d out of range: %w", req.Amount, plugins.ErrRefundRefused)
	}
	return &plugins.RefundResult{ProviderRefundID: "SBR" + req.OutRefundNo, Status: plugins.RefundSucceeded}, nil
}

// Query knows nothing: the sandbox keeps no state of its own; a payer who
// never confirmed simply never paid.
func (p *Provider) Query(context.Context, *store.Payment) (*plugins.QueryResult, error) {
	if _, _, err := p.ready(); err != nil {
		return nil, err
	}
	return &plugins.QueryResult{}, nil
}

// Close has nothing to close.
func (*Provider) Close(context.Context, *store.Payment) error { return nil }

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
