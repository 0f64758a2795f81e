package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Reconciliation: what the shop asks the gateways about when they did not
// call back — attempts still pending, attempts our side closed that the
// gateway was not yet told to close, refunds still pending, and late
// payments (money for an order that could no longer take it) not yet sent
// back. Every finding is a row of reconcile_log for the back office's
// report.

// LateRefund is a refund of a whole late payment, recorded (pending)
// before the provider is asked, so that a process stopped between the two
// leaves a pending refund the reconciliation job finishes.
type LateRefund struct {
	RefundID    int64
	OutRefundNo string
	Amount      Fen
	Payment     *Payment
}

// lateRefundPrefix starts the number of a late payment's refund:
// "L" + the attempt's out_trade_no, "-2", "-3"... for later tries after a
// failed one. The gateway treats a retried number as the same refund.
const lateRefundPrefix = "L"

// BeginLateRefund records a pending refund of the whole of a paid attempt
// that nothing took (its order or recharge was paid by another attempt, or
// could no longer be paid). ErrConflict: the attempt paid for something, is
// not paid, or already has a refund pending or done.
func (db *DB) BeginLateRefund(ctx context.Context, paymentID int64) (*LateRefund, error) {
	var lr *LateRefund
	err := db.Write(ctx, func(tx *sql.Tx) error {
		p, err := scanPayment(tx.QueryRowContext(ctx, `SELECT `+paymentColumns+` FROM payments p WHERE id = ? AND status = 'paid'
			AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.payment_id = p.id)
			AND NOT EXISTS (SELECT 1 FROM recharges r WHERE r.payment_id = p.id)`, paymentID))
		if errors.Is(err, ErrNotFound) {
			return ErrConflict
		}
		if err != nil {
			return err
		}
		var open, failed int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FILTER (WHERE status != 'failed'), COUNT(*) FILTER (WHERE status = 'failed')
			FROM refunds WHERE payment_id = ?`, p.ID).Scan(&open, &failed); err != nil {
			return err
		}
		if open > 0 {
			return ErrConflict
		}
		no := lateRefundPrefix + p.OutTradeNo
		if failed > 0 {
			no += "-" + strconv.Itoa(failed+1)
		}
		var orderID any
		if p.OrderID != 0 {
			orderID = p.OrderID
		}
		now := db.now().Unix()
		res, err := tx.ExecContext(ctx, `INSERT INTO refunds (out_refund_no, payment_id, order_id, amount_fen, status, reason, created_at)
			VALUES (?, ?, ?, ?, 'pending', 'late payment', ?)`, no, p.ID, orderID, p.Amount-p.Refunded, now)
		if isUnique(err) {
			return ErrConflict
		}
		if err != nil {
			return fmt.Errorf("late refund: %w", err)
		}
		id, _ := res.LastInsertId()
		lr = &LateRefund{RefundID: id, OutRefundNo: no, Amount: p.Amount - p.Refunded, Payment: p}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("begin late refund: %w", err)
	}
	return lr, nil
}

// finishLateRefundTx applies the provider's word on a pending late refund:
// the attempt is refunded_late, or the refund failed (a later try gets a
// new number).
func (db *DB) finishLateRefundTx(ctx context.Context, tx *sql.Tx, refundID int64, providerRefundID string, succeeded bool) error {
	now := db.now().Unix()
	if !succeeded {
		return execOne(ctx, tx, `UPDATE refunds SET status = 'failed', provider_refund_id = ?, done_at = ?
			WHERE id = ? AND status = 'pending'`, providerRefundID, now, refundID)
	}
	var paymentID int64
	var amount Fen
	if err := tx.QueryRowContext(ctx, `UPDATE refunds SET status = 'succeeded', provider_refund_id = ?, done_at = ?
		WHERE id = ? AND status = 'pending' RETURNING payment_id, amount_fen`, providerRefundID, now, refundID).
		Scan(&paymentID, &amount); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("late refund %d is no longer pending: %w", refundID, ErrConflict)
		}
		return err
	}
	return execOne(ctx, tx, `UPDATE payments SET status = 'refunded_late', refunded_fen = refunded_fen + ?1
		WHERE id = ?2 AND status = 'paid' AND refunded_fen + ?1 <= amount_fen`, amount, paymentID)
}

// UnrefundedLatePayments returns paid attempts that nothing took and that
// have no refund pending or done, paid before paidBefore: late payments
// whose refund was never sent (or failed), for the reconciliation job.
func (db *DB) UnrefundedLatePayments(ctx context.Context, paidBefore time.Time, limit int) ([]Payment, error) {
	return db.paymentsWhere(ctx, `status = 'paid' AND provider != 'balance' AND paid_at < ?
		AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.payment_id = p.id)
		AND NOT EXISTS (SELECT 1 FROM recharges r WHERE r.payment_id = p.id)
		AND NOT EXISTS (SELECT 1 FROM refunds f WHERE f.payment_id = p.id AND f.status != 'failed')
		ORDER BY id LIMIT ?`, paidBefore.Unix(), limit)
}

// recheckAfter is how long the job waits before asking the gateway about an
// attempt again after n checks: 1, 2, 4... minutes, at most 6 hours.
func recheckAfter(n int) time.Duration {
	d := time.Minute << min(n, 9)
	return min(d, 6*time.Hour)
}

// PaymentsToCheck returns the attempts to ask their gateway about: pending
// ones created before createdBefore (the payer had time to pay), and ones
// our side closed whose gateway was not yet told, whose last check is old
// enough (backing off with the number of checks). Pending attempts more
// than 3 days old are left alone: every gateway has closed them by then.
func (db *DB) PaymentsToCheck(ctx context.Context, createdBefore time.Time, limit int) ([]Payment, error) {
	now := db.now()
	rows, err := db.r.QueryContext(ctx, `SELECT `+paymentColumns+`, checks, COALESCE(checked_at, 0) FROM payments p
		WHERE provider != 'balance' AND created_at < ? AND created_at > ?
		AND (status = 'pending' OR (status = 'closed' AND gateway_closed_at IS NULL))
		ORDER BY COALESCE(checked_at, 0), id LIMIT ?`, createdBefore.Unix(), now.Add(-72*time.Hour).Unix(), limit*4)
	if err != nil {
		return nil, fmt.Errorf("payments to check: %w", err)
	}
	defer rows.Close()
	var out []Payment
	for rows.Next() {
		var p Payment
		var created, checks, checked int64
		var paid sql.NullInt64
		if err := rows.Scan(&p.ID, &p.OutTradeNo, &p.Purpose, &p.OrderID, &p.RechargeID, &p.CustomerID,
			&p.Provider, &p.Channel, &p.Amount, &p.Currency, &p.Status, &p.ProviderTxnID, &p.Refunded, &created, &paid,
			&checks, &checked); err != nil {
			return nil, fmt.Errorf("payments to check: %w", err)
		}
		if checked > 0 && now.Sub(time.Unix(checked, 0)) < recheckAfter(int(checks)) {
			continue
		}
		p.CreatedAt, p.PaidAt = time.Unix(created, 0), unixTime(paid)
		out = append(out, p)
		if len(out) == limit {
			break
		}
	}
	return out, rows.Err()
}

// MarkPaymentChecked records that the gateway was asked about the attempt.
func (db *DB) MarkPaymentChecked(ctx context.Context, id int64) error {
	return db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE payments SET checked_at = ?, checks = checks + 1 WHERE id = ?`, db.now().Unix(), id)
		return err
	})
}

// MarkPaymentClosed records that the gateway has closed the attempt (it
// said so, or we told it to): a pending attempt becomes closed. It reports
// whether a pending attempt was closed.
func (db *DB) MarkPaymentClosed(ctx context.Context, id int64) (bool, error) {
	var closed bool
	err := db.Write(ctx, func(tx *sql.Tx) error {
		now := db.now().Unix()
		res, err := tx.ExecContext(ctx, `UPDATE payments SET status = CASE WHEN status = 'pending' THEN 'closed' ELSE status END,
			gateway_closed_at = ?, checked_at = ?, checks = checks + 1 WHERE id = ? AND status IN ('pending', 'closed')`, now, now, id)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		closed = n == 1
		return nil
	})
	return closed, err
}

// RefundCheck is a pending refund with its payment, for the job.
type RefundCheck struct {
	RefundID    int64
	OutRefundNo string
	Amount      Fen
	AftersaleID int64 // 0 for a late payment's refund
	CreatedAt   time.Time
	Payment     *Payment
}

// RefundsToCheck returns refunds through a provider still pending since
// before createdBefore, whose last check is old enough.
func (db *DB) RefundsToCheck(ctx context.Context, createdBefore time.Time, limit int) ([]RefundCheck, error) {
	now := db.now()
	rows, err := db.r.QueryContext(ctx, `SELECT f.id, f.out_refund_no, f.amount_fen, COALESCE(f.aftersale_id, 0), f.created_at,
		f.checks, COALESCE(f.checked_at, 0), f.payment_id
		FROM refunds f JOIN payments p ON p.id = f.payment_id
		WHERE f.status = 'pending' AND p.provider != 'balance' AND f.created_at < ?
		ORDER BY COALESCE(f.checked_at, 0), f.id LIMIT ?`, createdBefore.Unix(), limit*4)
	if err != nil {
		return nil, fmt.Errorf("refunds to check: %w", err)
	}
	var out []RefundCheck
	var payIDs []int64
	for rows.Next() {
		var rc RefundCheck
		var created, checks, checked, payID int64
		if err := rows.Scan(&rc.RefundID, &rc.OutRefundNo, &rc.Amount, &rc.AftersaleID, &created, &checks, &checked, &payID); err != nil {
			rows.Close()
			return nil, fmt.Errorf("refunds to check: %w", err)
		}
		if checked > 0 && now.Sub(time.Unix(checked, 0)) < recheckAfter(int(checks)) {
			continue
		}
		rc.CreatedAt = time.Unix(created, 0)
		out = append(out, rc)
		payIDs = append(payIDs, payID)
		if len(out) == limit {
			break
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		p, err := db.PaymentByID(ctx, payIDs[i])
		if err != nil {
			return nil, err
		}
		out[i].Payment = p
	}
	return out, nil
}

// MarkRefundChecked records that the gateway was asked about the refund.
func (db *DB) MarkRefundChecked(ctx context.Context, id int64) error {
	return db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE refunds SET checked_at = ?, checks = checks + 1 WHERE id = ?`, db.now().Unix(), id)
		return err
	})
}

// Reconciliation findings (reconcile_log.kind).
const (
	ReconcilePaidByQuery      = "paid_by_query"      // the gateway said paid; applied like its callback
	ReconcileClosed           = "closed"             // the gateway closed a pending attempt
	ReconcileGatewayClosed    = "gateway_closed"     // we told the gateway to close an attempt our side closed
	ReconcileRefundSucceeded  = "refund_succeeded"   // a pending refund finished
	ReconcileRefundFailed     = "refund_failed"      // a pending refund failed
	ReconcileRefundResent     = "refund_resent"      // the gateway knew no such refund: sent again
	ReconcileLateRefunded     = "late_refunded"      // a late payment was sent back
	ReconcileLateRefundFailed = "late_refund_failed" // sending it back failed; tried again later
	ReconcileMismatch         = "mismatch"           // the gateway's word does not match the attempt
	ReconcileError            = "error"              // the gateway could not be asked
)

// ReconcileEntry is one finding.
type ReconcileEntry struct {
	ID         int64
	At         time.Time
	Provider   string
	PaymentID  int64
	RefundID   int64
	OutTradeNo string // of the payment, when there is one
	Kind       string
	Amount     Fen
	Note       string
}

// LogReconcile records a finding. Notes must never hold a secret.
func (db *DB) LogReconcile(ctx context.Context, e ReconcileEntry) error {
	return db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO reconcile_log (at, provider, payment_id, refund_id, kind, amount_fen, note)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, db.now().Unix(), e.Provider, nullID(e.PaymentID), nullID(e.RefundID),
			e.Kind, e.Amount, cutRunes(e.Note, 500))
		return err
	})
}

// paymentsWhere returns the attempts matching the condition on payments p.
func (db *DB) paymentsWhere(ctx context.Context, cond string, args ...any) ([]Payment, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+paymentColumns+` FROM payments p WHERE `+cond, args...)
	if err != nil {
		return nil, fmt.Errorf("payments: %w", err)
	}
	defer rows.Close()
	var out []Payment
	for rows.Next() {
		p, err := scanPayment(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *p)
	}
	return out, rows.Err()
}
