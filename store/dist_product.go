package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
)

// A product's own commission rule (商品佣金): the shop's or the level's
// rates (""), no commission ("off"), own rates in bp per level ("rates"),
// or a fixed amount in fen per unit per level ("fixed"). The engine reads
// products.commission_mode and commission1..3 (see ruleFor).

// Product commission modes.
const (
	CommissionDefault = ""
	CommissionOff     = "off"
	CommissionRates   = "rates"
	CommissionFixed   = "fixed"
)

// CommissionModes lists the modes in the order the product form shows them.
var CommissionModes = []string{CommissionDefault, CommissionOff, CommissionRates, CommissionFixed}

// MaxFixedCommission bounds a fixed commission per unit.
const MaxFixedCommission Fen = 100_000_00

// validateCommission checks the product's commission rule; the values of
// the modes without any are cleared.
func (in *ProductInput) validateCommission(v *ValidationErrors) {
	if !slices.Contains(CommissionModes, in.CommissionMode) {
		v.Add("commission_mode", "distadmin.commission_mode")
		return
	}
	switch in.CommissionMode {
	case CommissionRates:
		total := int64(0)
		for i, r := range in.Commission {
			if r < 0 || r > MaxRateBP {
				v.Add(fmt.Sprintf("commission%d", i+1), "dist.rate_range")
			}
			total += r
		}
		if total > MaxRateBP {
			v.Add("commission1", "dist.rates_total")
		}
	case CommissionFixed:
		for i, f := range in.Commission {
			if f < 0 || Fen(f) > MaxFixedCommission {
				v.Add(fmt.Sprintf("commission%d", i+1), "distadmin.fixed_range", "max", MaxFixedCommission.Yuan())
			}
		}
	default:
		in.Commission = [3]int64{}
	}
}

// writeCommissionRuleTx stores the product's commission rule.
func writeCommissionRuleTx(ctx context.Context, tx *sql.Tx, id int64, in ProductInput) error {
	_, err := tx.ExecContext(ctx, `UPDATE products SET commission_mode = ?, commission1 = ?, commission2 = ?, commission3 = ?
		WHERE id = ?`, in.CommissionMode, in.Commission[0], in.Commission[1], in.Commission[2], id)
	if err != nil {
		return fmt.Errorf("product commission: %w", err)
	}
	return nil
}

// productCommissionRule reads a product's commission rule into p.
func (db *DB) productCommissionRule(ctx context.Context, p *Product) error {
	err := db.r.QueryRowContext(ctx, `SELECT commission_mode, commission1, commission2, commission3 FROM products WHERE id = ?`, p.ID).
		Scan(&p.CommissionMode, &p.Commission[0], &p.Commission[1], &p.Commission[2])
	if err != nil {
		return fmt.Errorf("product commission: %w", err)
	}
	return nil
}
