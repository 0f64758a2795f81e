package plugins

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/xiaodian/xiaodian/store"
)

// Activity tables — a marketing plugin's offers with a product, a window
// (starts_at, ends_at, unix seconds) and a status ('active', 'stopped') —
// share two chores, here once. table is the plugin's own table name, a
// constant of its code (never input).

// StopActivity stops row id of table now and refreshes the cached pages
// that show it; store.ErrNotFound when there is no such row.
func StopActivity(ctx context.Context, db *store.DB, table string, id int64) error {
	err := db.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE `+table+` SET status = 'stopped', updated_at = ? WHERE id = ?`, db.Now().Unix(), id)
		if err != nil {
			return fmt.Errorf("stop %s %d: %w", table, id, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return store.ErrNotFound
		}
		return nil
	})
	if err == nil {
		db.BumpCatalogue()
	}
	return err
}

// ActivityOverlapTx reports whether another active row of table (any but
// exceptID) on the product has a window overlapping [starts, ends): a
// product is in at most one live activity of a kind.
func ActivityOverlapTx(ctx context.Context, tx *sql.Tx, table string, productID, exceptID int64, starts, ends time.Time) (bool, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table+` WHERE product_id = ? AND status = 'active'
		AND id != ? AND starts_at < ? AND ends_at > ?`, productID, exceptID, ends.Unix(), starts.Unix()).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("%s overlap: %w", table, err)
	}
	return n > 0, nil
}
