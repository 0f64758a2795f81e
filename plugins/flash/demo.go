package flash

import (
	"context"
	"database/sql"
	"time"

	"github.com/xiaodian/xiaodian/store"
)

// Demo implements plugins.Demoer: a slot on now with three SKUs (one of
// each of 服饰鞋包, 运动户外 and 家居日用) at about 6折, 20 units each, one per
// customer, and tomorrow's 10:00 slot with two more. The categories are
// those no other tool's demo puts an activity price on (拼团 takes the
// apples, 砍价 the milk powder, 限时折扣 数码家电).
func (*Plugin) Demo(ctx context.Context, db *store.DB) error {
	type pick struct {
		sku   int64
		price store.Fen
	}
	var picks []pick
	err := db.Read(ctx, func(tx *sql.Tx) error {
		for _, top := range []string{"服饰鞋包", "运动户外", "家居日用", "图书文具", "美妆护肤"} {
			var p pick
			err := tx.QueryRowContext(ctx, `SELECT s.id, s.price_fen FROM skus s JOIN products p ON p.id = s.product_id
				JOIN categories c ON c.id = p.category_id JOIN categories t ON t.id = c.parent_id
				WHERE t.name = ? AND p.on_shelf = 1 AND p.is_virtual = 0 AND p.deleted_at IS NULL AND s.deleted_at IS NULL
				AND s.price_fen >= 1000 AND s.stock > 0 ORDER BY p.sales DESC, p.id, s.id LIMIT 1`, top).Scan(&p.sku, &p.price)
			if err == sql.ErrNoRows {
				continue
			}
			if err != nil {
				return err
			}
			picks = append(picks, p)
		}
		return nil
	})
	if err != nil || len(picks) == 0 {
		return err
	}
	now := db.Now()
	today := time.Date(now.Year(), now.Month(), now.Day(), now.Hour(), 0, 0, 0, now.Location())
	live, err := SaveSale(ctx, db, &Sale{Name: "今日秒杀", StartsAt: today, EndsAt: today.AddDate(0, 0, 7)})
	if err != nil {
		return err
	}
	t := now.AddDate(0, 0, 1)
	tomorrow := time.Date(t.Year(), t.Month(), t.Day(), 10, 0, 0, 0, t.Location())
	next, err := SaveSale(ctx, db, &Sale{Name: "明日10点场", StartsAt: tomorrow, EndsAt: tomorrow.Add(2 * time.Hour)})
	if err != nil {
		return err
	}
	for i, p := range picks {
		sale := live
		if i >= 3 {
			sale = next
		}
		price := p.price * 6 / 10 / 100 * 100 // about 6折, whole yuan
		if price <= 0 || price >= p.price {
			price = p.price - 1
		}
		if _, err := SaveItem(ctx, db, &Item{SaleID: sale, SKUID: p.sku, Price: price - 10, Stock: 20, PerUser: 1}); err != nil {
			return err
		}
	}
	return nil
}
