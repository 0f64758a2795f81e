package handlers

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/store"
)

// The reconciliation job (对账) asks the gateways what the shop did not
// hear from them:
//
//   - attempts still pending a few minutes after they started: paid at the
//     gateway (a lost callback) is applied exactly like the callback;
//     closed at the gateway closes ours;
//   - attempts our side closed (the order was cancelled or repriced): asked
//     first — money may have arrived — then closed at the gateway so they
//     can no longer be paid;
//   - refunds still pending: finished with the gateway's word, or sent again
//     under the same number when the gateway never got them;
//   - late payments (money for an order that could no longer take it) whose
//     refund was never sent, or failed: sent back.
//
// Each step is one small store call, so the job can be stopped anywhere;
// every finding is logged for the back office's reconciliation report.

const (
	// reconcileAfter is how long an attempt may stay pending before the job
	// asks its gateway (the payer may still be paying).
	reconcileAfter = 2 * time.Minute
	// reconcileBatch is how many attempts (and refunds) one run looks at.
	reconcileBatch = 50
	// gatewayTimeout bounds one call to a gateway.
	gatewayTimeout = 10 * time.Second
)

// ReconcileSummary counts what one run did.
type ReconcileSummary struct {
	Checked, Paid, Closed, Refunds, LateRefunds, Errors int
}

// reconcileJob is the scheduler's entry.
func (h *Handler) reconcileJob(ctx context.Context) error {
	s, err := h.Reconcile(ctx)
	if s.Paid+s.Closed+s.Refunds+s.LateRefunds+s.Errors > 0 {
		h.log.Info("reconciled payments", "checked", s.Checked, "paid", s.Paid, "closed", s.Closed,
			"refunds", s.Refunds, "late_refunds", s.LateRefunds, "errors", s.Errors)
	}
	return err
}

// Reconcile runs the reconciliation once.
func (h *Handler) Reconcile(ctx context.Context) (ReconcileSummary, error) {
	h.reconcileMu.Lock()
	defer h.reconcileMu.Unlock()
	h.startPayments(ctx)
	var s ReconcileSummary
	now := h.db.Now()
	pays, err := h.db.PaymentsToCheck(ctx, now.Add(-reconcileAfter), reconcileBatch)
	if err != nil {
		return s, err
	}
	for i := range pays {
		if ctx.Err() != nil {
			return s, ctx.Err()
		}
		h.reconcilePayment(ctx, &pays[i], &s)
	}
	refunds, err := h.db.RefundsToCheck(ctx, now.Add(-reconcileAfter), reconcileBatch)
	if err != nil {
		return s, err
	}
	for _, rc := range refunds {
		if ctx.Err() != nil {
			return s, ctx.Err()
		}
		h.reconcileRefund(ctx, rc, &s)
	}
	late, err := h.db.UnrefundedLatePayments(ctx, now.Add(-time.Minute), reconcileBatch)
	if err != nil {
		return s, err
	}
	for i := range late {
		p, ok := h.plugins.PaymentProviderForNotify(late[i].Provider)
		if !ok {
			continue
		}
		s.LateRefunds++
		h.refundLate(ctx, p, &late[i])
	}
	h.WaitBackground()
	return s, nil
}

// logFinding records a finding; a failure to record is only logged.
func (h *Handler) logFinding(ctx context.Context, e store.ReconcileEntry) {
	if err := h.db.LogReconcile(context.WithoutCancel(ctx), e); err != nil {
		h.log.Error("reconcile log", "err", err)
	}
}

// reconcilePayment asks the gateway about one attempt.
func (h *Handler) reconcilePayment(ctx context.Context, pay *store.Payment, s *ReconcileSummary) {
	p, ok := h.plugins.PaymentProviderForNotify(pay.Provider)
	if !ok {
		// A provider no longer compiled in, or not configured: nothing to
		// ask; check again later.
		_ = h.db.MarkPaymentChecked(ctx, pay.ID)
		return
	}
	s.Checked++
	entry := store.ReconcileEntry{Provider: pay.Provider, PaymentID: pay.ID, Amount: pay.Amount}
	qctx, cancel := context.WithTimeout(ctx, gatewayTimeout)
	res, err := p.Query(qctx, pay)
	cancel()
	if err != nil {
		s.Errors++
		_ = h.db.MarkPaymentChecked(ctx, pay.ID)
		if !errors.Is(err, plugins.ErrProviderUnavailable) {
			entry.Kind, entry.Note = store.ReconcileError, "query: "+err.Error()
			h.logFinding(ctx, entry)
		}
		return
	}
	switch {
	case res.Paid && res.Notice != nil:
		n := *res.Notice
		n.AppliedBy = store.AppliedByQuery
		result, err := h.applyNotice(ctx, p, n)
		switch {
		case err != nil:
			s.Errors++
			entry.Kind, entry.Note = store.ReconcileError, "apply: "+err.Error()
			if errors.Is(err, store.ErrPaymentMismatch) {
				entry.Kind, entry.Note = store.ReconcileMismatch, fmt.Sprintf("gateway says %s %s", n.Amount.Yuan(), n.Currency)
			}
			_ = h.db.MarkPaymentChecked(ctx, pay.ID)
		case result == store.ApplyDuplicate:
			return
		default:
			s.Paid++
			entry.Kind, entry.Note = store.ReconcilePaidByQuery, n.ProviderTxnID
			if result == store.ApplyLate {
				entry.Note += " (late: refunded)"
			}
		}
		h.logFinding(ctx, entry)
	case res.Closed:
		closed, err := h.db.MarkPaymentClosed(ctx, pay.ID)
		if err != nil {
			s.Errors++
			return
		}
		if closed && pay.Status == store.PaymentPending {
			s.Closed++
			entry.Kind = store.ReconcileClosed
			h.logFinding(ctx, entry)
		}
	case pay.Status == store.PaymentClosed:
		// Our side closed it and the gateway has not been paid: close it
		// there too so that it can no longer be.
		cctx, cancel := context.WithTimeout(ctx, gatewayTimeout)
		err := p.Close(cctx, pay)
		cancel()
		if err != nil {
			s.Errors++
			_ = h.db.MarkPaymentChecked(ctx, pay.ID)
			entry.Kind, entry.Note = store.ReconcileError, "close: "+err.Error()
			h.logFinding(ctx, entry)
			return
		}
		if _, err := h.db.MarkPaymentClosed(ctx, pay.ID); err == nil {
			s.Closed++
			entry.Kind = store.ReconcileGatewayClosed
			h.logFinding(ctx, entry)
		}
	default:
		_ = h.db.MarkPaymentChecked(ctx, pay.ID)
	}
}

// reconcileRefund asks the gateway about one pending refund.
func (h *Handler) reconcileRefund(ctx context.Context, rc store.RefundCheck, s *ReconcileSummary) {
	p, ok := h.plugins.PaymentProviderForNotify(rc.Payment.Provider)
	if !ok {
		_ = h.db.MarkRefundChecked(ctx, rc.RefundID)
		return
	}
	entry := store.ReconcileEntry{Provider: p.ID(), PaymentID: rc.Payment.ID, RefundID: rc.RefundID, Amount: rc.Amount}
	okKind, failKind := store.ReconcileRefundSucceeded, store.ReconcileRefundFailed
	reason := "aftersale"
	if rc.AftersaleID == 0 {
		okKind, failKind, reason = store.ReconcileLateRefunded, store.ReconcileLateRefundFailed, "late payment"
	}
	q, isQuerier := p.(plugins.RefundQuerier)
	if !isQuerier {
		// Without a way to ask, send it again: the same number is the same
		// refund at the gateway.
		_ = h.db.MarkRefundChecked(ctx, rc.RefundID)
		s.Refunds++
		h.sendRefund(ctx, p, rc.Payment, rc.RefundID, rc.OutRefundNo, rc.Amount, reason, okKind, failKind)
		return
	}
	qctx, cancel := context.WithTimeout(ctx, gatewayTimeout)
	res, found, err := q.QueryRefund(qctx, rc.Payment, rc.OutRefundNo)
	cancel()
	_ = h.db.MarkRefundChecked(ctx, rc.RefundID)
	switch {
	case err != nil:
		s.Errors++
		entry.Kind, entry.Note = store.ReconcileError, "refund query: "+err.Error()
		h.logFinding(ctx, entry)
	case !found:
		s.Refunds++
		entry.Kind = store.ReconcileRefundResent
		h.logFinding(ctx, entry)
		h.sendRefund(ctx, p, rc.Payment, rc.RefundID, rc.OutRefundNo, rc.Amount, reason, okKind, failKind)
	case res.Status == plugins.RefundSucceeded || res.Status == plugins.RefundFailed:
		ok := res.Status == plugins.RefundSucceeded
		if err := h.db.FinishRefund(ctx, rc.OutRefundNo, res.ProviderRefundID, ok); err != nil {
			s.Errors++
			entry.Kind, entry.Note = store.ReconcileError, "finish refund: "+err.Error()
			h.logFinding(ctx, entry)
			return
		}
		s.Refunds++
		entry.Kind = okKind
		if !ok {
			entry.Kind = failKind
		}
		h.logFinding(ctx, entry)
	}
}
