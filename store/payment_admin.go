package store

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"
)

// The back office's payment records, refund records and reconciliation
// report.

// PaymentRecord is a payment attempt as the back office lists it.
type PaymentRecord struct {
	Payment
	OrderNo    string // the order's number, or "" for a recharge
	RechargeNo string
	Phone      string // the customer's
	AppliedBy  string // AppliedByNotify, AppliedByQuery, or "" (unpaid, or the wallet)
	Checks     int    // how often the reconciliation job asked the gateway
	CheckedAt  time.Time
}

// PaymentFilter narrows the payment records.
type PaymentFilter struct {
	Provider string
	Status   string
	// Query matches our number, the provider's transaction id or the order
	// or recharge number exactly, or the customer's phone.
	Query  string
	From   time.Time // created at or after; zero: no bound
	To     time.Time // created before; zero: no bound
	Offset int
	Limit  int
}

func (f PaymentFilter) where() (string, []any) {
	var conds []string
	var args []any
	if f.Provider != "" {
		conds, args = append(conds, "p.provider = ?"), append(args, f.Provider)
	}
	if f.Status != "" {
		conds, args = append(conds, "p.status = ?"), append(args, f.Status)
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		conds = append(conds, "(p.out_trade_no = ? OR p.provider_txn_id = ? OR o.no = ? OR r.no = ? OR c.phone = ?)")
		args = append(args, q, q, q, q, q)
	}
	if !f.From.IsZero() {
		conds, args = append(conds, "p.created_at >= ?"), append(args, f.From.Unix())
	}
	if !f.To.IsZero() {
		conds, args = append(conds, "p.created_at < ?"), append(args, f.To.Unix())
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

const paymentRecordFrom = ` FROM payments p
	LEFT JOIN orders o ON o.id = p.order_id
	LEFT JOIN recharges r ON r.id = p.recharge_id
	JOIN customers c ON c.id = p.customer_id`

// PaymentRecords returns the attempts matching f, newest first, and how
// many match in all.
func (db *DB) PaymentRecords(ctx context.Context, f PaymentFilter) ([]PaymentRecord, int, error) {
	where, args := f.where()
	var total int
	if err := db.r.QueryRowContext(ctx, `SELECT COUNT(*)`+paymentRecordFrom+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("payment records: %w", err)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 20
	}
	rows, err := db.r.QueryContext(ctx, `SELECT p.id, p.out_trade_no, p.purpose, COALESCE(p.order_id, 0), COALESCE(p.recharge_id, 0),
		p.customer_id, p.provider, p.channel, p.amount_fen, p.currency, p.status, COALESCE(p.provider_txn_id, ''), p.refunded_fen,
		p.created_at, p.paid_at, COALESCE(o.no, ''), COALESCE(r.no, ''), c.phone, p.applied_by, p.checks, p.checked_at`+
		paymentRecordFrom+where+` ORDER BY p.id DESC LIMIT ? OFFSET ?`, append(args, limit, f.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("payment records: %w", err)
	}
	defer rows.Close()
	var out []PaymentRecord
	for rows.Next() {
		var pr PaymentRecord
		var created int64
		var paid, checked sql.NullInt64
		if err := rows.Scan(&pr.ID, &pr.OutTradeNo, &pr.Purpose, &pr.OrderID, &pr.RechargeID, &pr.CustomerID,
			&pr.Provider, &pr.Channel, &pr.Amount, &pr.Currency, &pr.Status, &pr.ProviderTxnID, &pr.Refunded,
			&created, &paid, &pr.OrderNo, &pr.RechargeNo, &pr.Phone, &pr.AppliedBy, &pr.Checks, &checked); err != nil {
			return nil, 0, fmt.Errorf("payment records: %w", err)
		}
		pr.CreatedAt, pr.PaidAt, pr.CheckedAt = time.Unix(created, 0), unixTime(paid), unixTime(checked)
		out = append(out, pr)
	}
	return out, total, rows.Err()
}

// RefundRecord is a refund as the back office lists it.
type RefundRecord struct {
	ID               int64
	OutRefundNo      string
	PaymentID        int64
	OutTradeNo       string
	Provider         string
	OrderID          int64
	OrderNo          string
	AftersaleID      int64
	Amount           Fen
	Status           string // RefundPending, RefundSucceeded, RefundFailed
	ProviderRefundID string
	Reason           string // "aftersale", "late payment"
	Checks           int
	CreatedAt        time.Time
	DoneAt           time.Time
}

// RefundFilter narrows the refund records.
type RefundFilter struct {
	Provider string
	Status   string
	Query    string // our refund number, the attempt's number or the order's, exactly
	From, To time.Time
	Offset   int
	Limit    int
}

// RefundRecords returns the refunds matching f, newest first, and how many
// match in all.
func (db *DB) RefundRecords(ctx context.Context, f RefundFilter) ([]RefundRecord, int, error) {
	var conds []string
	var args []any
	if f.Provider != "" {
		conds, args = append(conds, "p.provider = ?"), append(args, f.Provider)
	}
	if f.Status != "" {
		conds, args = append(conds, "f.status = ?"), append(args, f.Status)
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		conds = append(conds, "(f.out_refund_no = ? OR p.out_trade_no = ? OR o.no = ?)")
		args = append(args, q, q, q)
	}
	if !f.From.IsZero() {
		conds, args = append(conds, "f.created_at >= ?"), append(args, f.From.Unix())
	}
	if !f.To.IsZero() {
		conds, args = append(conds, "f.created_at < ?"), append(args, f.To.Unix())
	}
	where := ""
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	from := ` FROM refunds f JOIN payments p ON p.id = f.payment_id LEFT JOIN orders o ON o.id = f.order_id`
	var total int
	if err := db.r.QueryRowContext(ctx, `SELECT COUNT(*)`+from+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("refund records: %w", err)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 20
	}
	rows, err := db.r.QueryContext(ctx, `SELECT f.id, f.out_refund_no, f.payment_id, p.out_trade_no, p.provider,
		COALESCE(f.order_id, 0), COALESCE(o.no, ''), COALESCE(f.aftersale_id, 0), f.amount_fen, f.status,
		f.provider_refund_id, f.reason, f.checks, f.created_at, f.done_at`+from+where+
		` ORDER BY f.id DESC LIMIT ? OFFSET ?`, append(args, limit, f.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("refund records: %w", err)
	}
	defer rows.Close()
	var out []RefundRecord
	for rows.Next() {
		var r RefundRecord
		var created int64
		var done sql.NullInt64
		if err := rows.Scan(&r.ID, &r.OutRefundNo, &r.PaymentID, &r.OutTradeNo, &r.Provider, &r.OrderID, &r.OrderNo,
			&r.AftersaleID, &r.Amount, &r.Status, &r.ProviderRefundID, &r.Reason, &r.Checks, &created, &done); err != nil {
			return nil, 0, fmt.Errorf("refund records: %w", err)
		}
		r.CreatedAt, r.DoneAt = time.Unix(created, 0), unixTime(done)
		out = append(out, r)
	}
	return out, total, rows.Err()
}

// ReconcileDay is one provider's money on one day (in the shop's time
// zone): what was paid, what went back, and what is still open.
type ReconcileDay struct {
	Day          string // 2006-01-02
	Provider     string
	Paid         int // attempts paid that day
	PaidAmount   Fen
	ByQuery      int // of them, applied from the job's query (the callback never came)
	Refunds      int // refunds done that day
	RefundAmount Fen
	Net          Fen // PaidAmount − RefundAmount
}

// ReconcileOpen counts what needs a look: attempts pending with no
// callback, refunds pending, late payments not yet sent back, refunds that
// failed.
type ReconcileOpen struct {
	PendingAttempts int // pending since before the report's cut-off (no callback)
	PendingRefunds  int
	UnrefundedLate  int
	FailedRefunds   int // in the report's period
}

// ReconcileReport is the reconciliation report of [from, to).
type ReconcileReport struct {
	Days     []ReconcileDay
	Totals   map[string]ReconcileDay // by provider
	Open     ReconcileOpen
	Findings []ReconcileEntry // newest first
}

// ReconcileReportOf builds the report of [from, to) (days in loc);
// attempts count as pending without a callback when started before
// staleBefore.
func (db *DB) ReconcileReportOf(ctx context.Context, from, to, staleBefore time.Time, loc *time.Location, findings int) (*ReconcileReport, error) {
	rep := &ReconcileReport{Totals: map[string]ReconcileDay{}}
	days := map[string]*ReconcileDay{}
	day := func(ts int64, provider string) *ReconcileDay {
		d := time.Unix(ts, 0).In(loc).Format("2006-01-02")
		k := d + "\x00" + provider
		if days[k] == nil {
			days[k] = &ReconcileDay{Day: d, Provider: provider}
		}
		return days[k]
	}
	rows, err := db.r.QueryContext(ctx, `SELECT paid_at, provider, amount_fen, applied_by FROM payments
		WHERE paid_at >= ? AND paid_at < ? AND status IN ('paid', 'refunded_late')`, from.Unix(), to.Unix())
	if err != nil {
		return nil, fmt.Errorf("reconcile report: %w", err)
	}
	for rows.Next() {
		var at int64
		var provider, by string
		var amount Fen
		if err := rows.Scan(&at, &provider, &amount, &by); err != nil {
			rows.Close()
			return nil, fmt.Errorf("reconcile report: %w", err)
		}
		d := day(at, provider)
		d.Paid++
		d.PaidAmount += amount
		if by == AppliedByQuery {
			d.ByQuery++
		}
	}
	rows.Close()
	rows, err = db.r.QueryContext(ctx, `SELECT f.done_at, p.provider, f.amount_fen FROM refunds f JOIN payments p ON p.id = f.payment_id
		WHERE f.status = 'succeeded' AND f.done_at >= ? AND f.done_at < ?`, from.Unix(), to.Unix())
	if err != nil {
		return nil, fmt.Errorf("reconcile report: %w", err)
	}
	for rows.Next() {
		var at int64
		var provider string
		var amount Fen
		if err := rows.Scan(&at, &provider, &amount); err != nil {
			rows.Close()
			return nil, fmt.Errorf("reconcile report: %w", err)
		}
		d := day(at, provider)
		d.Refunds++
		d.RefundAmount += amount
	}
	rows.Close()
	for _, d := range days {
		d.Net = d.PaidAmount - d.RefundAmount
		rep.Days = append(rep.Days, *d)
		t := rep.Totals[d.Provider]
		t.Provider = d.Provider
		t.Paid += d.Paid
		t.PaidAmount += d.PaidAmount
		t.ByQuery += d.ByQuery
		t.Refunds += d.Refunds
		t.RefundAmount += d.RefundAmount
		t.Net += d.Net
		rep.Totals[d.Provider] = t
	}
	sortDays(rep.Days)
	q := func(dst *int, query string, args ...any) error {
		return db.r.QueryRowContext(ctx, query, args...).Scan(dst)
	}
	if err := q(&rep.Open.PendingAttempts, `SELECT COUNT(*) FROM payments WHERE status = 'pending' AND provider != 'balance'
		AND created_at < ? AND created_at >= ?`, staleBefore.Unix(), from.Unix()); err != nil {
		return nil, fmt.Errorf("reconcile report: %w", err)
	}
	if err := q(&rep.Open.PendingRefunds, `SELECT COUNT(*) FROM refunds WHERE status = 'pending' AND created_at < ?`, staleBefore.Unix()); err != nil {
		return nil, fmt.Errorf("reconcile report: %w", err)
	}
	if err := q(&rep.Open.FailedRefunds, `SELECT COUNT(*) FROM refunds WHERE status = 'failed' AND created_at >= ? AND created_at < ?`,
		from.Unix(), to.Unix()); err != nil {
		return nil, fmt.Errorf("reconcile report: %w", err)
	}
	if err := q(&rep.Open.UnrefundedLate, `SELECT COUNT(*) FROM payments p WHERE status = 'paid' AND provider != 'balance'
		AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.payment_id = p.id)
		AND NOT EXISTS (SELECT 1 FROM recharges r WHERE r.payment_id = p.id)
		AND NOT EXISTS (SELECT 1 FROM refunds f WHERE f.payment_id = p.id AND f.status != 'failed')`); err != nil {
		return nil, fmt.Errorf("reconcile report: %w", err)
	}
	rows, err = db.r.QueryContext(ctx, `SELECT l.id, l.at, l.provider, COALESCE(l.payment_id, 0), COALESCE(l.refund_id, 0),
		COALESCE(p.out_trade_no, ''), l.kind, l.amount_fen, l.note
		FROM reconcile_log l LEFT JOIN payments p ON p.id = l.payment_id
		WHERE l.at >= ? AND l.at < ? ORDER BY l.id DESC LIMIT ?`, from.Unix(), to.Unix(), findings)
	if err != nil {
		return nil, fmt.Errorf("reconcile report: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e ReconcileEntry
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.Provider, &e.PaymentID, &e.RefundID, &e.OutTradeNo, &e.Kind, &e.Amount, &e.Note); err != nil {
			return nil, fmt.Errorf("reconcile report: %w", err)
		}
		e.At = time.Unix(at, 0)
		rep.Findings = append(rep.Findings, e)
	}
	return rep, rows.Err()
}

// sortDays orders newest day first, then by provider.
func sortDays(d []ReconcileDay) {
	sort.Slice(d, func(i, j int) bool {
		if d[i].Day != d[j].Day {
			return d[i].Day > d[j].Day
		}
		return d[i].Provider < d[j].Provider
	})
}
