package demo

import (
	"context"
	"database/sql"
	"fmt"
)

// writeDistribution adds the demo shop's distributor levels (分销等级), so
// the distributor centre shows a level and the progress to the next: 银牌
// (12 % / 6 %, 2 % off own purchases) after ¥1,000 of promoted sales or 5
// direct referrals, 金牌 (15 % / 8 %, 5 % off) after ¥5,000 and 20 direct
// referrals. Distribution itself runs on the shop's defaults (everyone is
// a distributor, two levels, 10 % and 5 %).
func writeDistribution(ctx context.Context, tx *sql.Tx, now int64) error {
	levels := []struct {
		name                string
		weight              int
		r1, r2, discount    int
		sales, direct, cAll int
	}{
		{"银牌推广员", 10, 1200, 600, 200, 1000_00, 5, 0},
		{"金牌推广员", 20, 1500, 800, 500, 5000_00, 20, 1},
	}
	for _, l := range levels {
		if _, err := tx.ExecContext(ctx, `INSERT INTO distributor_levels (name, weight, rate1_bp, rate2_bp, discount_bp,
			cond_sales_fen, cond_direct, cond_all, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			l.name, l.weight, l.r1, l.r2, l.discount, l.sales, l.direct, l.cAll, now, now); err != nil {
			return fmt.Errorf("insert distributor level %s: %w", l.name, err)
		}
	}
	return nil
}
