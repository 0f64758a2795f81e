package plugins

import (
	"context"
	"errors"

	"github.com/xiaodian/xiaodian/store"
)

// Payouts pay money out to a person: a distributor's commission withdrawal
// (提现打款). Manual payout (a bank transfer the owner makes) is the core's;
// a payment provider may also pay out by implementing [Payouter]:
//
//  1. The core records the withdrawal's payout with a fresh OutBillNo and
//     calls Payout. The answer is a state: succeeded, pending, awaiting
//     the payee's confirmation (WeChat: the H5 page opens the confirmation
//     with PackageInfo) or failed, a definite no whose Reason says why.
//  2. An error is an outcome the shop does not know (a timeout, a 5xx, a
//     code the gateway says to retry under the same number): the money may
//     or may not have moved. The core keeps the payout pending and asks
//     QueryPayout later; it never sends the withdrawal again under a new
//     number until the old one is known to have failed (exactly like
//     refunds, see ErrRefundRefused).
//  3. QueryPayout answers the same states, or ErrPayoutNotFound when the
//     gateway never received that number: the core sends it again under
//     the same number.

// Payout methods: which withdrawal method a Payouter serves (the
// distributor's choice when withdrawing).
const (
	PayoutMethodWeChat = "wechat" // to the payee's WeChat balance (零钱), by OpenID
	PayoutMethodAlipay = "alipay" // to the payee's Alipay account, by logon id and real name
)

// PayoutState is what became of a payout.
type PayoutState string

// Payout states.
const (
	// PayoutSucceeded: the money reached the payee.
	PayoutSucceeded PayoutState = "succeeded"
	// PayoutPending: accepted and still processing; ask QueryPayout later.
	PayoutPending PayoutState = "pending"
	// PayoutAwaitingConfirmation: the payee must accept the money (WeChat's
	// 商家转账 user confirmation): the page calls
	// WeixinJSBridge.invoke('requestMerchantTransfer', {mchId, appId,
	// package: PackageInfo}). It ends as succeeded, or failed when the
	// payee does not confirm in time.
	PayoutAwaitingConfirmation PayoutState = "awaiting_confirmation"
	// PayoutFailed: a definite no, no money moved (or it came back); Reason
	// says why. A new try may use a new number.
	PayoutFailed PayoutState = "failed"
)

// Payouter is a payment provider that pays money out to a person
// (distributor withdrawals). Methods may be called concurrently.
type Payouter interface {
	// PayoutMethod is the withdrawal method served: PayoutMethodWeChat or
	// PayoutMethodAlipay.
	PayoutMethod() string
	// PayoutReady is nil when new payouts may be sent: configured, payouts
	// switched on in the provider's settings, and whatever the gateway
	// requires for them (Alipay: 公钥证书 mode). Otherwise the error says
	// why in Chinese, for the back office.
	PayoutReady() error
	// Payout sends req. A result is the gateway's answer (failed included);
	// an error leaves the outcome unknown: ask QueryPayout with the same
	// OutBillNo, never send a new number. An error wrapping
	// ErrProviderUnavailable means nothing was sent.
	Payout(ctx context.Context, req PayoutRequest) (*PayoutResult, error)
	// QueryPayout asks the gateway about the payout numbered outBillNo; it
	// works while payouts are switched off (payouts sent before must end).
	// ErrPayoutNotFound: the gateway never received it. Any other error:
	// still unknown.
	QueryPayout(ctx context.Context, outBillNo string) (*PayoutResult, error)
}

// PayoutRequest is one payout.
type PayoutRequest struct {
	// OutBillNo is our number: 1–32 letters and digits, unique; the same
	// number sent again is the same payout.
	OutBillNo string
	// Amount is what the payee receives, > 0.
	Amount store.Fen
	// OpenID is the WeChat payee, under the provider's AppID
	// (PayoutMethodWeChat).
	OpenID string
	// Account and RealName are the Alipay payee: logon id (phone or e-mail)
	// and the real name Alipay checks (PayoutMethodAlipay).
	Account  string
	RealName string
	// Remark is shown to the payee, e.g. "佣金提现" (cut to what the gateway
	// takes).
	Remark string
	// NotifyURL is the absolute URL of POST /pay/notify/<provider id>, for
	// gateways that report the end of a payout; "" for none.
	NotifyURL string
}

// PayoutResult is the gateway's answer about a payout.
type PayoutResult struct {
	State PayoutState
	// ProviderRef is the gateway's number of the payout (WeChat's
	// transfer_bill_no, Alipay's order_id), "" when it gave none.
	ProviderRef string
	// PackageInfo is WeChat's package for the payee's confirmation
	// (PayoutAwaitingConfirmation). A query may not carry it: Payout again
	// under the same number answers it.
	PackageInfo string
	// Reason is the gateway's reason of a failure, in Chinese.
	Reason string
	// Amount is what the gateway says the payout is, 0 when it does not
	// say; the core checks it against the withdrawal.
	Amount store.Fen
	// Raw is the gateway's verified answer, for the records (no secrets).
	Raw string
}

// ErrPayoutNotFound is QueryPayout's answer for a number the gateway does
// not know: it never received the payout, which is to be sent again under
// the same number.
var ErrPayoutNotFound = errors.New("payout: the gateway knows no payout of that number")

// Payouter returns the provider serving the withdrawal method that may send
// new payouts now: its plugin is enabled, it started, and PayoutReady is
// nil. With several, the first in registration order.
func (r *Registry) Payouter(method string) (Payouter, bool) {
	return r.payouter(method, true)
}

// PayouterForQuery returns the provider serving the withdrawal method
// whether or not its plugin or its payouts are switched off now, so that
// payouts already sent can be asked about to their end.
func (r *Registry) PayouterForQuery(method string) (Payouter, bool) {
	return r.payouter(method, false)
}

func (r *Registry) payouter(method string, forNew bool) (Payouter, bool) {
	rank := r.pluginRanks()
	ps := &r.payments
	ps.mu.RLock()
	var found Payouter
	best, bestID := -1, ""
	for id, rp := range ps.providers {
		po, ok := rp.provider.(Payouter)
		if !ok || !rp.ok || po.PayoutMethod() != method {
			continue
		}
		if forNew && (!r.Enabled(rp.pluginID) || po.PayoutReady() != nil) {
			continue
		}
		if rk := rank[rp.pluginID]; best < 0 || rk < best || rk == best && id < bestID {
			found, best, bestID = po, rk, id
		}
	}
	ps.mu.RUnlock()
	return found, found != nil
}

// PayoutConfirmer is a Payouter whose payee accepts the money in the
// browser (WeChat's 商家转账): it answers the parameters the page hands to
// the in-app confirmation for a PayoutResult.PackageInfo.
type PayoutConfirmer interface {
	PayoutConfirmParams(packageInfo string) (map[string]string, error)
}
