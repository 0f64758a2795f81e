package store

import (
	"context"
	"database/sql"
	"fmt"
)

// The small store API of the marketing plugins: what they read of an
// order inside the transaction that changes it.

// OrderAdjustmentsTx are the order's adjustments made by source (a plugin
// id), oldest first.
func OrderAdjustmentsTx(ctx context.Context, tx *sql.Tx, orderID int64, source string) ([]Adjustment, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, COALESCE(line_id, 0), stage, source, label, amount_fen, ref
		FROM order_adjustments WHERE order_id = ? AND source = ? ORDER BY id`, orderID, source)
	if err != nil {
		return nil, fmt.Errorf("order adjustments: %w", err)
	}
	defer rows.Close()
	var out []Adjustment
	for rows.Next() {
		var a Adjustment
		if err := rows.Scan(&a.ID, &a.LineID, &a.Stage, &a.Source, &a.Label, &a.Amount, &a.Ref); err != nil {
			return nil, fmt.Errorf("order adjustments: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// ActivityLine is an order line priced by an activity.
type ActivityLine struct {
	LineID    int64
	ProductID int64
	SKUID     int64
	Qty       int
	Paid      Fen
	Ref       string
}

// OrderActivityLinesTx are the order's lines priced by activity (a plugin
// id), in line order.
func OrderActivityLinesTx(ctx context.Context, tx *sql.Tx, orderID int64, activity string) ([]ActivityLine, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, product_id, sku_id, qty, paid_fen, activity_ref FROM order_lines
		WHERE order_id = ? AND activity = ? ORDER BY id`, orderID, activity)
	if err != nil {
		return nil, fmt.Errorf("order activity lines: %w", err)
	}
	defer rows.Close()
	var out []ActivityLine
	for rows.Next() {
		var l ActivityLine
		if err := rows.Scan(&l.LineID, &l.ProductID, &l.SKUID, &l.Qty, &l.Paid, &l.Ref); err != nil {
			return nil, fmt.Errorf("order activity lines: %w", err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// Read runs fn in a read-only transaction on the reader pool: a consistent
// view for a plugin's pages and lists. fn must not write.
func (db *DB) Read(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("read: %w", err)
	}
	defer tx.Rollback()
	return fn(tx)
}
