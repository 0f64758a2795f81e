package bargain

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/xiaodian/xiaodian/store"
)

// Demo implements plugins.Demoer: a week-long 砍价 on a product of the
// demo shop (down to 60 % of its price with 5 helpers), and one demo
// customer's bargain in progress with two friends' cuts.
func (p *Plugin) Demo(ctx context.Context, db *store.DB) error {
	var productID int64
	var price store.Fen
	err := db.Read(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT p.id, MIN(s.price_fen) FROM products p JOIN skus s ON s.product_id = p.id
			WHERE p.on_shelf = 1 AND p.deleted_at IS NULL AND s.deleted_at IS NULL AND s.stock > 0
			AND p.id NOT IN (SELECT product_id FROM limited_discounts WHERE status = 'active')
			GROUP BY p.id HAVING MIN(s.price_fen) >= 5000 ORDER BY p.id LIMIT 1`).Scan(&productID, &price)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		// limited_discounts may be absent in a build without 限时折扣.
		err = db.Read(ctx, func(tx *sql.Tx) error {
			return tx.QueryRowContext(ctx, `SELECT p.id, MIN(s.price_fen) FROM products p JOIN skus s ON s.product_id = p.id
				WHERE p.on_shelf = 1 AND p.deleted_at IS NULL AND s.deleted_at IS NULL AND s.stock > 0
				GROUP BY p.id HAVING MIN(s.price_fen) >= 5000 ORDER BY p.id LIMIT 1`).Scan(&productID, &price)
		})
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
	}
	now := db.Now()
	// A second activity for the 砍价专区: the next product of ¥50 or more,
	// away from the 秒杀 demo when that plugin is compiled in.
	var second int64
	var secondPrice store.Fen
	if err := db.Read(ctx, func(tx *sql.Tx) error {
		q := `SELECT p.id, MIN(s.price_fen) FROM products p JOIN skus s ON s.product_id = p.id
			WHERE p.on_shelf = 1 AND p.deleted_at IS NULL AND s.deleted_at IS NULL AND s.stock > 0 AND p.id != ?`
		for _, table := range []string{"limited_discounts", "flash_items"} {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, table).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				q += ` AND p.id NOT IN (SELECT product_id FROM ` + table + `)`
			}
		}
		err := tx.QueryRowContext(ctx, q+` GROUP BY p.id HAVING MIN(s.price_fen) >= 5000 ORDER BY p.sales DESC, p.id LIMIT 1`, productID).
			Scan(&second, &secondPrice)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		return err
	}); err != nil {
		return err
	}
	if second > 0 {
		if _, err := Save(ctx, db, &Activity{Name: "砍到底价带回家", ProductID: second, Floor: secondPrice * 50 / 100, Hours: 24, Helpers: 8,
			PerUser: 1, Stock: 30, StartsAt: now.Add(-time.Minute), EndsAt: now.AddDate(0, 0, 5)}); err != nil {
			return err
		}
	}
	aid, err := Save(ctx, db, &Activity{Name: "好友助力砍价", ProductID: productID, Floor: price * 60 / 100, Hours: 48, Helpers: 5,
		PerUser: 1, Stock: 50, StartsAt: now.Add(-time.Minute), EndsAt: now.AddDate(0, 0, 7)})
	if err != nil {
		return err
	}
	// Three demo customers: one bargains, two help.
	var ids []int64
	for _, c := range []struct{ phone, nick string }{{"13800000101", "小雨"}, {"13800000102", "阿杰"}, {"13800000103", "Lily"}} {
		var id int64
		err := db.Write(ctx, func(tx *sql.Tx) error {
			err := tx.QueryRowContext(ctx, `SELECT id FROM customers WHERE phone = ?`, c.phone).Scan(&id)
			if err == nil || !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO customers (phone, password_hash, nickname, created_at) VALUES (?, '!', ?, ?)`,
				c.phone, c.nick, now.Unix())
			if err != nil {
				return err
			}
			id, _ = res.LastInsertId()
			return nil
		})
		if err != nil {
			return err
		}
		ids = append(ids, id)
	}
	bid, err := Start(ctx, db, aid, ids[0], p.SelfHelp())
	if err != nil {
		return err
	}
	for _, h := range ids[1:] {
		if _, err := HelpBargain(ctx, db, bid, h); err != nil {
			return err
		}
	}
	return nil
}
