package coupon

import (
	"context"
	"database/sql"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// The coupon strips: on the home page (the coupons of the coupon centre)
// and under a product's title (those that cover it), each leading to the
// coupon centre. Both are the same for every visitor, so cached pages
// may hold them; a coupon saved or stopped bumps the catalogue version.

// maxStripRules is how many rules a strip shows.
const maxStripRules = 3

// centreRulesTx are the rules of the claimable centre coupons that pass
// keep, at most maxStripRules.
func centreRulesTx(ctx context.Context, tx *sql.Tx, db *store.DB, keep func(*Coupon) bool) ([]string, int, error) {
	now := db.Now()
	cs, err := couponsTx(ctx, tx, `channel = 'centre' AND status = 'active' AND (validity = 'days' OR ends_at > ?)
		AND (total = 0 OR issued < total) ORDER BY id DESC LIMIT 50`, now.Unix())
	if err != nil {
		return nil, 0, err
	}
	var rules []string
	n := 0
	for _, c := range cs {
		if !keep(c) {
			continue
		}
		n++
		if len(rules) < maxStripRules {
			rules = append(rules, Describe(ctx, c))
		}
	}
	return rules, n, nil
}

func (p *Plugin) homeStrip(e *plugins.HomeViewEvent) error {
	if e.Store != nil {
		var rules []string
		var n int
		err := e.Store.Read(e.Ctx, func(tx *sql.Tx) error {
			var err error
			rules, n, err = centreRulesTx(e.Ctx, tx, e.Store, func(*Coupon) bool { return true })
			return err
		})
		if err != nil {
			return err
		}
		if n > 0 {
			e.Blocks = append(e.Blocks, homeStrip(rules, n))
		}
	}
	return e.Next()
}

// homeEntry is the home page's 领券 tile, while the coupon centre has a
// coupon to claim.
func (p *Plugin) homeEntry(e *plugins.HomeViewEvent) error {
	if e.Store != nil {
		var n int
		err := e.Store.Read(e.Ctx, func(tx *sql.Tx) error {
			var err error
			_, n, err = centreRulesTx(e.Ctx, tx, e.Store, func(*Coupon) bool { return true })
			return err
		})
		if err != nil {
			return err
		}
		if n > 0 {
			e.Entries = append(e.Entries, plugins.HomeEntry{ID: "coupons", Title: i18n.Tc(e.Ctx, "coupon.entry.title"),
				Hint: i18n.Tc(e.Ctx, "coupon.entry.hint", "n", n), URL: "/coupons"})
		}
	}
	return e.Next()
}

func (p *Plugin) productStrip(e *plugins.ProductViewEvent) error {
	if e.Store != nil {
		var rules []string
		var n int
		err := e.Store.Read(e.Ctx, func(tx *sql.Tx) error {
			var cat, parent int64
			if err := tx.QueryRowContext(e.Ctx, `SELECT p.category_id, COALESCE(c.parent_id, 0) FROM products p
				LEFT JOIN categories c ON c.id = p.category_id WHERE p.id = ?`, e.ProductID).Scan(&cat, &parent); err != nil {
				return err
			}
			var err error
			rules, n, err = centreRulesTx(e.Ctx, tx, e.Store, func(c *Coupon) bool { return c.covers(e.ProductID, cat, parent) })
			return err
		})
		if err != nil {
			return err
		}
		if n > 0 {
			e.Blocks = append(e.Blocks, productStrip(rules))
		}
	}
	return e.Next()
}
