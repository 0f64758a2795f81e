package handlers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/store"
)

// The gateways' side of paying: callbacks (POST /pay/notify/<provider>),
// applying a verified payment (from a callback or the reconciliation job),
// sending late payments back, and the refund function after-sales use.

// payNotify is a gateway's callback.
func (h *Handler) payNotify(c *gin.Context) error {
	ctx := c.Request.Context()
	h.startPayments(ctx)
	p, ok := h.plugins.PaymentProviderForNotify(c.Param("provider"))
	if !ok {
		return fmt.Errorf("payment provider %q: %w", c.Param("provider"), store.ErrNotFound)
	}
	body, err := io.ReadAll(io.LimitReader(c.Request.Body, plugins.MaxNotifyBody+1))
	if err == nil && len(body) > plugins.MaxNotifyBody {
		err = fmt.Errorf("notify body over %d bytes: %w", plugins.MaxNotifyBody, plugins.ErrBadNotify)
	}
	if err == nil {
		err = h.handleNotify(ctx, p, c.Request, body)
	}
	status, ct, answer := p.Ack(err)
	c.Data(status, ct, answer)
	return nil
}

// handleNotify verifies a callback with its provider and applies it. A
// payment that arrives for an order (or recharge) that can no longer take
// it is sent back in the background (see applyNotice), so the gateway gets
// its answer within its deadline.
func (h *Handler) handleNotify(ctx context.Context, p plugins.PaymentProvider, r *http.Request, body []byte) error {
	n, err := p.VerifyNotify(ctx, r, body)
	if errors.Is(err, plugins.ErrNotifyIgnored) {
		h.log.Debug("payment callback ignored", "provider", p.ID(), "err", err)
		return err
	}
	if err != nil {
		h.log.Warn("payment callback refused", "provider", p.ID(), "err", err)
		return err
	}
	switch n.Kind {
	case plugins.NotifyPayment:
		notice := *n.Payment
		notice.AppliedBy = store.AppliedByNotify
		_, err := h.applyNotice(ctx, p, notice)
		return err
	case plugins.NotifyRefund:
		// A refund the provider finished later (WeChat Pay's refunds do):
		// an after-sale's refund is applied or marked failed, a late
		// payment's refund finished.
		r := n.Refund
		err := h.db.FinishRefund(ctx, r.OutRefundNo, r.ProviderRefundID, r.Status == plugins.RefundSucceeded)
		switch {
		case errors.Is(err, store.ErrNotFound):
			h.log.Warn("refund callback for no refund", "provider", p.ID(), "out_refund_no", r.OutRefundNo)
			return fmt.Errorf("refund %s: %w", r.OutRefundNo, plugins.ErrBadNotify)
		case errors.Is(err, store.ErrConflict):
			// The gateway's word contradicts a refund already finished the
			// other way. Retrying cannot mend it: it is acknowledged and put
			// on the reconciliation report for a person to look at.
			h.log.Error("refund callback contradicts the recorded refund", "provider", p.ID(), "out_refund_no", r.OutRefundNo, "status", r.Status)
			h.logFinding(ctx, store.ReconcileEntry{Provider: p.ID(), Kind: store.ReconcileMismatch, Amount: r.Amount,
				Note: fmt.Sprintf("refund %s: gateway says %s, recorded otherwise", r.OutRefundNo, r.Status)})
			return nil
		}
		return err
	default:
		return fmt.Errorf("notify kind %q: %w", n.Kind, plugins.ErrBadNotify)
	}
}

// applyNotice applies a provider's verified word that an attempt was paid
// — from its callback or from the reconciliation job's query, the same way.
// Money that nothing can take (a cancelled, repriced or otherwise paid
// order or recharge; or a replay of such a notice whose refund was not
// sent) is refunded in full in the background; the job retries what fails.
func (h *Handler) applyNotice(ctx context.Context, p plugins.PaymentProvider, notice store.PaymentNotice) (store.ApplyResult, error) {
	notice.Provider = p.ID() // a provider speaks only for itself
	result, pay, err := h.db.ApplyPayment(ctx, notice)
	if err != nil {
		if errors.Is(err, store.ErrPaymentMismatch) {
			h.log.Warn("payment notice does not match", "provider", p.ID(), "out_trade_no", notice.OutTradeNo, "amount", notice.Amount, "by", notice.AppliedBy)
		}
		return 0, err
	}
	late := result == store.ApplyLate
	if result == store.ApplyDuplicate && pay.Status == store.PaymentPaid {
		if late, err = h.paymentUnused(ctx, pay); err != nil {
			return result, err
		}
	}
	if late {
		h.background(func(ctx context.Context) { h.refundLate(ctx, p, pay) })
	}
	return result, nil
}

// paymentUnused reports whether a paid attempt paid for nothing: its order
// or recharge was paid by another attempt, or not at all.
func (h *Handler) paymentUnused(ctx context.Context, pay *store.Payment) (bool, error) {
	if pay.Purpose == store.PurposeRecharge {
		r, err := h.db.RechargeByID(ctx, pay.RechargeID)
		if err != nil {
			return false, err
		}
		return r.PaymentID != pay.ID, nil
	}
	o, err := h.db.OrderByID(ctx, pay.OrderID)
	if err != nil {
		return false, err
	}
	return o.PaymentID != pay.ID, nil
}

// refundLate sends the whole of a late payment back: the refund is recorded
// pending first (a second caller finds it and stops), then sent; the
// provider's answer finishes it, or its refund callback or the
// reconciliation job does later. Every outcome is in the reconciliation log.
func (h *Handler) refundLate(ctx context.Context, p plugins.PaymentProvider, pay *store.Payment) {
	lr, err := h.db.BeginLateRefund(ctx, pay.ID)
	if errors.Is(err, store.ErrConflict) {
		return // already refunded, or being refunded
	}
	if err != nil {
		h.log.Error("late payment refund not recorded", "provider", p.ID(), "out_trade_no", pay.OutTradeNo, "err", err)
		return
	}
	h.sendRefund(ctx, p, lr.Payment, lr.RefundID, lr.OutRefundNo, lr.Amount, "late payment", store.ReconcileLateRefunded, store.ReconcileLateRefundFailed)
}

// sendRefund asks the provider to refund amount of pay under the recorded
// refund outRefundNo and applies an immediate answer; a pending answer is
// finished later. okKind and failKind name the findings logged.
func (h *Handler) sendRefund(ctx context.Context, p plugins.PaymentProvider, pay *store.Payment, refundID int64, outRefundNo string, amount store.Fen, reason, okKind, failKind string) {
	entry := store.ReconcileEntry{Provider: p.ID(), PaymentID: pay.ID, RefundID: refundID, Amount: amount}
	res, err := p.Refund(ctx, plugins.RefundRequest{
		Payment: pay, OutRefundNo: outRefundNo, Amount: amount, Reason: reason,
		NotifyURL: h.notifyURL(p.ID()),
	})
	switch {
	case err != nil:
		// Left pending: the job asks the gateway later, and sends it again
		// with the same number when the gateway never got it.
		h.log.Error("refund not sent", "provider", p.ID(), "out_refund_no", outRefundNo, "err", err)
		entry.Kind, entry.Note = failKind, err.Error()
	case res.Status == plugins.RefundPending:
		h.log.Info("refund accepted, pending", "provider", p.ID(), "out_refund_no", outRefundNo)
		return
	default:
		ok := res.Status == plugins.RefundSucceeded
		if ferr := h.db.FinishRefund(context.WithoutCancel(ctx), outRefundNo, res.ProviderRefundID, ok); ferr != nil {
			h.log.Error("refund answer not recorded", "provider", p.ID(), "out_refund_no", outRefundNo, "err", ferr)
		}
		entry.Kind = okKind
		if !ok {
			entry.Kind, entry.Note = failKind, "refused by the provider"
		}
	}
	if err := h.db.LogReconcile(context.WithoutCancel(ctx), entry); err != nil {
		h.log.Error("reconcile log", "err", err)
	}
}

// notifyURL is the absolute callback address of a provider (server.base_url
// must be set for gateways outside to reach it).
func (h *Handler) notifyURL(provider string) string {
	base := strings.TrimRight(h.opts.BaseURL, "/")
	if base == "" {
		return ""
	}
	return base + payNotifyPath + provider
}

// refundFunc is the store.RefundFunc that sends money back through a
// payment's provider (found even when the owner switched it off: its
// payments must stay refundable), telling it notifyURL for the refund
// notification; nil when no provider of that id is registered. A refund the
// provider finishes later is store.ErrRefundPending, completed by its refund
// notification or the reconciliation job; so is one whose outcome is
// unknown (a timeout, SYSTEM_ERROR): marking it failed would let a second
// try under a new number pay the money back twice. Only the gateway's
// definite no (plugins.ErrRefundRefused) fails it.
func (h *Handler) refundFunc(ctx context.Context, provider, notifyURL string) store.RefundFunc {
	h.startPayments(ctx)
	p, ok := h.plugins.PaymentProviderForNotify(provider)
	if !ok {
		return nil
	}
	return func(ctx context.Context, pay *store.Payment, amount store.Fen, outRefundNo string) (string, error) {
		res, err := p.Refund(ctx, plugins.RefundRequest{Payment: pay, OutRefundNo: outRefundNo, Amount: amount,
			Reason: "aftersale", NotifyURL: notifyURL})
		switch {
		case errors.Is(err, plugins.ErrRefundRefused):
			return "", err
		case err != nil:
			h.log.Warn("refund outcome unknown, left pending", "provider", p.ID(), "out_refund_no", outRefundNo, "err", err)
			return "", fmt.Errorf("%w: %v", store.ErrRefundPending, err)
		}
		switch res.Status {
		case plugins.RefundSucceeded:
			return res.ProviderRefundID, nil
		case plugins.RefundPending:
			return res.ProviderRefundID, store.ErrRefundPending
		}
		return res.ProviderRefundID, fmt.Errorf("%s: refund %s %s: %w", p.ID(), outRefundNo, res.Status, plugins.ErrRefundRefused)
	}
}
