package demo

import (
	"context"
	"database/sql"
	"fmt"
)

// writeShipping adds the demo shop's delivery settings: one default
// shipping template (by piece: ¥10 for the first, ¥5 for each more, free
// over ¥99; 新疆 and 西藏 ¥20 + ¥10 each more, never free) and one pickup
// store in 深圳 南山.
func writeShipping(ctx context.Context, tx *sql.Tx, now int64) error {
	res, err := tx.ExecContext(ctx, `INSERT INTO shipping_templates (name, method, first_units, first_fen, extra_units,
		extra_fen, free_over_fen, free_over_pieces, is_default, created_at, updated_at)
		VALUES ('全国通用', 'piece', 1, 1000, 1, 500, 9900, 0, 1, ?, ?)`, now, now)
	if err != nil {
		return fmt.Errorf("insert shipping template: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("insert shipping template: %w", err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO shipping_template_rules (template_id, codes, first_units, first_fen,
		extra_units, extra_fen, free_over_fen, free_over_pieces, no_delivery, position)
		VALUES (?, '["65","54"]', 1, 2000, 1, 1000, 0, 0, 0, 0)`, id)
	if err != nil {
		return fmt.Errorf("insert shipping rule: %w", err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO pickup_stores (name, phone, province, city, district, detail, hours,
		active, sort, created_at, updated_at)
		VALUES ('南山科技园店', '0755-26888888', '44', '4403', '440305', '科技园南区高新南七道 18 号 1 楼', '09:00-21:00', 1, 0, ?, ?)`,
		now, now)
	if err != nil {
		return fmt.Errorf("insert pickup store: %w", err)
	}
	return nil
}
