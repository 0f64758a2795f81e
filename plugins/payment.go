package plugins

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/xiaodian/xiaodian/store"
)

// Payment providers take money for orders and recharges: a plugin adds one
// with [Registry.AddPaymentProvider] from its Register method. The wallet
// balance (余额) is not a provider: the core pays with it directly.
//
// A payment goes like this:
//
//  1. The pay page lists [Registry.PaymentProviders] whose Channel accepts
//     the browser (WeChat Pay offers JSAPI inside WeChat, H5 on a phone,
//     Native QR on a desktop; Alipay WAP or page).
//  2. The core starts an attempt (store.Payment with a fresh OutTradeNo) and
//     calls Pay, which answers what the browser does next (PayAction).
//  3. The gateway calls POST /pay/notify/<provider id>. The core hands the
//     request to VerifyNotify, which checks the signature FIRST (and decrypts
//     the body when the gateway encrypts it) and returns the Notification; the
//     core applies it (amount, currency and number are checked against the
//     attempt) and answers with Ack. The same endpoint takes refund
//     notifications.
//  4. Refund sends money back (after-sales, a payment for a cancelled order);
//     a provider whose refunds finish later says so (RefundPending) and
//     reports the end through a refund notification.
//  5. Query asks the gateway about an attempt that had no callback (the
//     reconciliation job); Close stops an attempt that must not be paid any
//     more (a repriced or cancelled order).

// PaymentEnv is what providers may rely on, given once by the core before the
// first payment (see [PaymentStarter]).
type PaymentEnv struct {
	// DB holds the provider's settings and keys (db.Setting, db.Secret).
	DB *store.DB
	// Mode is "development" or "production".
	Mode string
	// Logger is the program's logger. Never log a secret.
	Logger *slog.Logger
	// HTTPClient calls the gateways (with a timeout); nil means the
	// provider's own default.
	HTTPClient *http.Client
}

// Production reports whether the shop runs in production mode.
func (e PaymentEnv) Production() bool { return e.Mode == "production" }

// PaymentProvider is a way to pay (WeChat Pay, Alipay, the sandbox).
// Methods may be called concurrently.
type PaymentProvider interface {
	// ID is stored in payments.provider and names the notify endpoint
	// /pay/notify/<ID>: lowercase letters, digits, '.', '_' and '-'.
	// "balance" is reserved for the wallet.
	ID() string
	// Name is shown on the pay page, e.g. "微信支付".
	Name() string
	// Channel answers which of the provider's channels serves this browser
	// (stored in payments.channel: "jsapi", "h5", "native", "wap", "page"),
	// or ok false when none does (WeChat JSAPI outside WeChat, a provider
	// not configured, the sandbox in production): the pay page leaves the
	// provider out.
	Channel(r *http.Request) (channel string, ok bool)
	// Pay asks the gateway for a payment of the attempt and answers what the
	// browser does next.
	Pay(ctx context.Context, req PayRequest) (*PayAction, error)
	// VerifyNotify checks a callback's signature before reading anything
	// else and returns what it says. body is the raw request body (already
	// read, at most MaxNotifyBody bytes). Any error means the callback is
	// refused and changes nothing; wrap ErrBadNotify for a callback that is
	// malformed, badly signed or stale.
	VerifyNotify(ctx context.Context, r *http.Request, body []byte) (*Notification, error)
	// Ack is the answer the gateway expects for a callback that was applied
	// (err nil) or refused (err not nil; the gateway will retry).
	Ack(err error) (status int, contentType string, body []byte)
	// Refund sends money of a paid attempt back.
	Refund(ctx context.Context, req RefundRequest) (*RefundResult, error)
	// Query asks the gateway what became of an attempt.
	Query(ctx context.Context, p *store.Payment) (*QueryResult, error)
	// Close tells the gateway the attempt must not be paid any more. A
	// provider with nothing to close returns nil.
	Close(ctx context.Context, p *store.Payment) error
}

// PaymentStarter is implemented by a provider that needs the environment
// (its keys and settings, the run mode). Start is called once, before any
// other method, by [Registry.StartPayments]; until then, and for good if it
// fails (the error is logged), the provider is left out of
// [Registry.PaymentProviders] and its callbacks are refused.
type PaymentStarter interface {
	Start(ctx context.Context, env PaymentEnv) error
}

// MaxNotifyBody is the largest callback body the core reads.
const MaxNotifyBody = 64 << 10

// ErrBadNotify marks a callback refused because it is malformed, badly
// signed, stale or for another merchant: nothing was changed. The core
// answers 400 through Ack.
var ErrBadNotify = errors.New("payment: bad notification")

// ErrNotifyIgnored marks a callback that was verified but needs nothing
// done (Alipay's sync of a trade still waiting for the buyer, or of a
// refund the shop already recorded). It wraps ErrBadNotify, so nothing is
// changed; the core logs it as ignored, not refused, and the provider's Ack
// decides what the gateway hears (usually "received").
var ErrNotifyIgnored = fmt.Errorf("payment: verified notification with nothing to do: %w", ErrBadNotify)

// ErrRefundRefused marks a Refund error that is the gateway's definite
// "no" (a verified business refusal: not enough balance, a bad amount, a
// request whose signature it refused): no money moved, so the core marks
// the refund failed and a later try may use a new number. Any other Refund
// error (a timeout, a 5xx, SYSTEM_ERROR) leaves the outcome unknown: the
// core keeps the refund pending and the reconciliation job asks the
// gateway, or sends it again under the same number.
var ErrRefundRefused = errors.New("payment: refund refused by the gateway")

// ErrProviderUnavailable is returned by a provider asked to work when it
// must not, e.g. the sandbox in production mode.
var ErrProviderUnavailable = errors.New("payment: provider unavailable")

// PayRequest is one payment attempt to take money for.
type PayRequest struct {
	Payment *store.Payment // OutTradeNo, Amount, Currency, Channel, Purpose
	// Subject is what is bought, shown by the gateway, e.g. "订单 2026...".
	Subject string
	// ShopName is the shop's name.
	ShopName string
	// NotifyURL is the absolute URL of POST /pay/notify/<ID>.
	NotifyURL string
	// ReturnURL is the absolute URL of the result page the browser comes
	// back to.
	ReturnURL string
	// CancelURL is where the browser goes when the payer gives up.
	CancelURL string
	// ExpiresAt is when the attempt stops being payable (the order's
	// deadline); zero = the gateway's default.
	ExpiresAt time.Time
	// ClientIP and UserAgent describe the payer's browser (WeChat H5 needs
	// the IP).
	ClientIP  string
	UserAgent string
	// OpenID is the payer's identity under the provider's PayerNamespace
	// (the WeChat OpenID for JSAPI), filled by the core for a provider that
	// implements PayerNamespacer; "" otherwise. The same value is on the
	// context (IdentityFrom).
	OpenID string
}

// PayAction kinds: what the browser does next.
const (
	PayRedirect = "redirect" // go to URL
	PayForm     = "form"     // auto-submit Fields by POST to URL (Alipay page pay)
	PayQR       = "qr"       // show URL as a QR code to scan (WeChat Native)
	PayJSAPI    = "jsapi"    // call WeixinJSBridge with Params (WeChat JSAPI)
)

// PayAction is a provider's answer to Pay.
type PayAction struct {
	Kind   string            // Pay*
	URL    string            // redirect target, form action or QR content
	Fields map[string]string // form fields (PayForm)
	Params map[string]string // JSAPI parameters (PayJSAPI)
}

// Notification kinds.
const (
	NotifyPayment = "payment" // money was taken: Payment is set
	NotifyRefund  = "refund"  // a refund finished: Refund is set
)

// Notification is a verified callback.
type Notification struct {
	Kind    string               // Notify*
	Payment *store.PaymentNotice // NotifyPayment: applied with db.ApplyPayment
	Refund  *RefundNotice        // NotifyRefund
}

// RefundNotice is a verified refund callback.
type RefundNotice struct {
	Provider         string
	OutRefundNo      string
	ProviderRefundID string
	Status           string // RefundSucceeded or RefundFailed
	Amount           store.Fen
	Raw              string
}

// RefundRequest sends Amount of a paid attempt back.
type RefundRequest struct {
	Payment     *store.Payment
	OutRefundNo string    // our number, unique; the same number retried is one refund
	Amount      store.Fen // > 0, at most Payment.Amount − Payment.Refunded
	Reason      string
	NotifyURL   string // absolute URL of POST /pay/notify/<ID>, for refund callbacks
}

// RefundQuerier is a provider that can say what became of a refund: the
// reconciliation job asks it about refunds still pending long after they
// were sent (a lost refund notification, or a process stopped between
// sending the refund and recording the answer).
type RefundQuerier interface {
	// QueryRefund asks the gateway about the refund numbered outRefundNo of
	// the payment. Status is RefundPending (still processing), RefundSucceeded
	// or RefundFailed; found is false when the gateway knows no such refund
	// (it was never sent: the core sends it again with the same number).
	QueryRefund(ctx context.Context, p *store.Payment, outRefundNo string) (res *RefundNotice, found bool, err error)
}

// Refund statuses.
const (
	RefundPending   = "pending"   // accepted; a refund notification follows
	RefundSucceeded = "succeeded" // the money is back
	RefundFailed    = "failed"
)

// RefundResult is a provider's answer to Refund.
type RefundResult struct {
	ProviderRefundID string
	Status           string // Refund*
}

// QueryResult is what the gateway says about an attempt.
type QueryResult struct {
	// Paid is set when the attempt was paid; Notice then says how, to be
	// applied exactly like a callback.
	Paid   bool
	Notice *store.PaymentNotice
	// Closed is set when the attempt can no longer be paid.
	Closed bool
}

// paymentSet is the registry's payment providers.
type paymentSet struct {
	mu        sync.RWMutex
	providers map[string]*registeredProvider
	started   bool
}

type registeredProvider struct {
	pluginID string
	provider PaymentProvider
	ok       bool // needs no start, or started without error
}

// AddPaymentProvider adds p on behalf of the registered plugin pluginID,
// whose enabled switch then switches p. Call it from the plugin's Register.
func (r *Registry) AddPaymentProvider(pluginID string, p PaymentProvider) error {
	if p == nil {
		return fmt.Errorf("plugins: payment provider for %q: nil", pluginID)
	}
	id := p.ID()
	if !validID(id) || id == "balance" {
		return fmt.Errorf("plugins: payment provider for %q: invalid id %q", pluginID, id)
	}
	r.mu.Lock()
	reg, ok := r.plugins[pluginID]
	r.mu.Unlock()
	if !ok {
		return fmt.Errorf("plugins: payment provider for unknown plugin %q", pluginID)
	}
	ps := &r.payments
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.providers == nil {
		ps.providers = make(map[string]*registeredProvider)
	}
	if _, dup := ps.providers[id]; dup {
		return fmt.Errorf("plugins: duplicate payment provider %q", id)
	}
	// A provider that needs its environment is offered once it started.
	_, needsStart := p.(PaymentStarter)
	ps.providers[id] = &registeredProvider{pluginID: pluginID, provider: p, ok: !needsStart}
	r.mu.Lock()
	reg.unbind = append(reg.unbind, func() {
		ps.mu.Lock()
		delete(ps.providers, id)
		ps.mu.Unlock()
	})
	r.mu.Unlock()
	return nil
}

// StartPayments gives every provider implementing [PaymentStarter] the
// environment, once; later calls do nothing. A provider that fails to start
// is logged and left out.
func (r *Registry) StartPayments(ctx context.Context, env PaymentEnv) {
	ps := &r.payments
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.started {
		return
	}
	ps.started = true
	if env.Logger == nil {
		env.Logger = slog.Default()
	}
	for id, rp := range ps.providers {
		s, ok := rp.provider.(PaymentStarter)
		if !ok {
			continue
		}
		if err := s.Start(ctx, env); err != nil {
			env.Logger.Error("payment provider failed to start", "provider", id, "err", err)
			continue
		}
		rp.ok = true
	}
}

// PaymentProviders returns the providers that may take new payments: their
// plugin is enabled and they started, in the plugins' registration order
// (the order of plugins/builtin, which the pay page keeps), then by id.
func (r *Registry) PaymentProviders() []PaymentProvider {
	rank := r.pluginRanks()
	ps := &r.payments
	ps.mu.RLock()
	type ranked struct {
		p    PaymentProvider
		rank int
	}
	var list []ranked
	for _, rp := range ps.providers {
		if rp.ok && r.Enabled(rp.pluginID) {
			list = append(list, ranked{rp.provider, rank[rp.pluginID]})
		}
	}
	ps.mu.RUnlock()
	sort.Slice(list, func(i, j int) bool {
		if list[i].rank != list[j].rank {
			return list[i].rank < list[j].rank
		}
		return list[i].p.ID() < list[j].p.ID()
	})
	out := make([]PaymentProvider, len(list))
	for i, x := range list {
		out[i] = x.p
	}
	return out
}

// pluginRanks maps each plugin id to its place in registration order.
func (r *Registry) pluginRanks() map[string]int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	m := make(map[string]int, len(r.order))
	for i, reg := range r.order {
		m[reg.plugin.ID()] = i
	}
	return m
}

// PaymentProvider returns the provider id if it may take new payments.
func (r *Registry) PaymentProvider(id string) (PaymentProvider, bool) {
	ps := &r.payments
	ps.mu.RLock()
	rp, ok := ps.providers[id]
	ps.mu.RUnlock()
	if !ok || !rp.ok || !r.Enabled(rp.pluginID) {
		return nil, false
	}
	return rp.provider, true
}

// PaymentProviderForNotify returns the provider id whether or not its
// plugin is switched off: callbacks, queries and refunds of attempts already
// made must still be handled after the owner switches a provider off.
func (r *Registry) PaymentProviderForNotify(id string) (PaymentProvider, bool) {
	ps := &r.payments
	ps.mu.RLock()
	rp, ok := ps.providers[id]
	ps.mu.RUnlock()
	if !ok || !rp.ok {
		return nil, false
	}
	return rp.provider, true
}

// PaymentProviderStarted reports whether a payment provider of that id is
// registered, and whether it started (a provider that failed to start, such
// as the sandbox in production mode, takes nothing).
func (r *Registry) PaymentProviderStarted(id string) (registered, started bool) {
	ps := &r.payments
	ps.mu.RLock()
	defer ps.mu.RUnlock()
	rp, ok := ps.providers[id]
	if !ok {
		return false, false
	}
	return true, rp.ok
}
