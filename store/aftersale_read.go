package store

// Reading after-sales: one with its history and refunds, the buyer's list,
// an order's, and the back office's queue with its status counts.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

const aftersaleColumns = `a.id, a.no, a.order_id, o.no, a.line_id, a.customer_id, a.kind, a.status, a.qty,
	a.amount_fen, a.shipping_fen, a.reason, a.description, a.photos, a.return_name, a.return_phone,
	a.return_address, a.return_carrier, a.return_tracking, a.reject_reason, a.restock, a.created_at,
	a.updated_at, a.closed_at, l.title, l.label, l.image, l.unit_price_fen, l.qty, c.phone`

const aftersaleFrom = ` FROM aftersales a JOIN orders o ON o.id = a.order_id
	JOIN order_lines l ON l.id = a.line_id JOIN customers c ON c.id = a.customer_id`

func scanAftersale(row interface{ Scan(...any) error }) (Aftersale, error) {
	var a Aftersale
	var photos string
	var created, updated int64
	var closed sql.NullInt64
	err := row.Scan(&a.ID, &a.No, &a.OrderID, &a.OrderNo, &a.LineID, &a.CustomerID, &a.Kind, &a.Status, &a.Qty,
		&a.Amount, &a.Shipping, &a.Reason, &a.Description, &photos, &a.ReturnName, &a.ReturnPhone,
		&a.ReturnAddress, &a.ReturnCarrier, &a.ReturnTracking, &a.RejectReason, &a.Restock, &created,
		&updated, &closed, &a.Title, &a.Label, &a.Image, &a.UnitPrice, &a.LineQty, &a.Phone)
	if err != nil {
		return a, err
	}
	if err := json.Unmarshal([]byte(photos), &a.Photos); err != nil {
		a.Photos = nil
	}
	a.CreatedAt, a.UpdatedAt, a.ClosedAt = time.Unix(created, 0), time.Unix(updated, 0), unixTime(closed)
	return a, nil
}

func (db *DB) aftersaleDetail(ctx context.Context, id, customerID int64) (*Aftersale, error) {
	q := `SELECT ` + aftersaleColumns + aftersaleFrom + ` WHERE a.id = ?`
	args := []any{id}
	if customerID > 0 {
		q += ` AND a.customer_id = ?`
		args = append(args, customerID)
	}
	a, err := scanAftersale(db.r.QueryRowContext(ctx, q, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("after-sale: %w", err)
	}
	rows, err := db.r.QueryContext(ctx, `SELECT id, actor, action, from_status, to_status, note, created_at
		FROM aftersale_logs WHERE aftersale_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("after-sale logs: %w", err)
	}
	for rows.Next() {
		var l AftersaleLog
		var at int64
		if err := rows.Scan(&l.ID, &l.Actor, &l.Action, &l.From, &l.To, &l.Note, &at); err != nil {
			rows.Close()
			return nil, fmt.Errorf("after-sale logs: %w", err)
		}
		l.At = time.Unix(at, 0)
		a.Logs = append(a.Logs, l)
	}
	rows.Close()
	rows, err = db.r.QueryContext(ctx, `SELECT id, out_refund_no, payment_id, amount_fen, status, provider_refund_id,
		reason, created_at, done_at FROM refunds WHERE aftersale_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("refunds: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r Refund
		var created int64
		var done sql.NullInt64
		if err := rows.Scan(&r.ID, &r.OutRefundNo, &r.PaymentID, &r.Amount, &r.Status, &r.ProviderRefundID,
			&r.Reason, &created, &done); err != nil {
			return nil, fmt.Errorf("refunds: %w", err)
		}
		r.CreatedAt, r.DoneAt = time.Unix(created, 0), unixTime(done)
		a.Refunds = append(a.Refunds, r)
	}
	return &a, rows.Err()
}

// AftersaleByID returns an after-sale with its history and refunds (back office).
func (db *DB) AftersaleByID(ctx context.Context, id int64) (*Aftersale, error) {
	return db.aftersaleDetail(ctx, id, 0)
}

// AftersaleForCustomer returns the customer's own after-sale; anyone else's
// is ErrNotFound.
func (db *DB) AftersaleForCustomer(ctx context.Context, customerID, id int64) (*Aftersale, error) {
	if customerID <= 0 {
		return nil, ErrNotFound
	}
	return db.aftersaleDetail(ctx, id, customerID)
}

func (db *DB) aftersalePage(ctx context.Context, where string, args []any, offset, limit int) ([]Aftersale, int, error) {
	var total int
	if err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM aftersales a`+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("after-sales: %w", err)
	}
	if limit <= 0 {
		limit = 20
	}
	rows, err := db.r.QueryContext(ctx, `SELECT `+aftersaleColumns+aftersaleFrom+where+` ORDER BY a.id DESC LIMIT ? OFFSET ?`,
		append(args, limit, max(offset, 0))...)
	if err != nil {
		return nil, 0, fmt.Errorf("after-sales: %w", err)
	}
	defer rows.Close()
	var out []Aftersale
	for rows.Next() {
		a, err := scanAftersale(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("after-sales: %w", err)
		}
		out = append(out, a)
	}
	return out, total, rows.Err()
}

// CustomerAftersales returns one page of the customer's after-sales, newest
// first, and how many there are.
func (db *DB) CustomerAftersales(ctx context.Context, customerID int64, offset, limit int) ([]Aftersale, int, error) {
	return db.aftersalePage(ctx, ` WHERE a.customer_id = ?`, []any{customerID}, offset, limit)
}

// OrderAftersales returns every after-sale of an order, newest first (for
// the order pages).
func (db *DB) OrderAftersales(ctx context.Context, orderID int64) ([]Aftersale, error) {
	out, _, err := db.aftersalePage(ctx, ` WHERE a.order_id = ?`, []any{orderID}, 0, 1000)
	return out, err
}

// AftersaleFilter selects after-sales in the back office.
type AftersaleFilter struct {
	Status AftersaleStatus // "" = all
	No     string          // after-sale or order number, prefix
	Offset int
	Limit  int
}

// Aftersales returns one page of after-sales for the back office's queue,
// newest first, and the total matching the filter.
func (db *DB) Aftersales(ctx context.Context, f AftersaleFilter) ([]Aftersale, int, error) {
	where := ` WHERE 1 = 1`
	var args []any
	if f.Status != "" {
		where += ` AND a.status = ?`
		args = append(args, string(f.Status))
	}
	if f.No != "" {
		p := likeEscaper.Replace(f.No) + "%"
		where += ` AND (a.no LIKE ? ESCAPE '\' OR a.order_id IN (SELECT id FROM orders WHERE no LIKE ? ESCAPE '\'))`
		args = append(args, p, p)
	}
	return db.aftersalePage(ctx, where, args, f.Offset, f.Limit)
}

// AftersaleStatusCounts counts the after-sales per status (the queue's tabs).
func (db *DB) AftersaleStatusCounts(ctx context.Context) (map[AftersaleStatus]int, error) {
	counts := make(map[AftersaleStatus]int)
	rows, err := db.r.QueryContext(ctx, `SELECT status, COUNT(*) FROM aftersales GROUP BY status`)
	if err != nil {
		return nil, fmt.Errorf("after-sale counts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var s AftersaleStatus
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, fmt.Errorf("after-sale counts: %w", err)
		}
		counts[s] = n
	}
	return counts, rows.Err()
}
