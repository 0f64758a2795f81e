package coupon

import (
	"context"
	"database/sql"
	"errors"

	"github.com/xiaodian/xiaodian/store"
)

// Demo implements plugins.Demoer: the demo shop's coupon centre holds a
// no-threshold coupon, a 满减 over the whole shop, a percent coupon on
// 美妆护肤 and a free-shipping coupon; new customers get a gift coupon.
func (*Plugin) Demo(ctx context.Context, db *store.DB) error {
	var beauty int64
	err := db.Read(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT id FROM categories WHERE name = '美妆护肤' AND parent_id IS NULL`).Scan(&beauty)
	})
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	coupons := []Coupon{
		{Name: "无门槛立减 5 元", Kind: KindAmount, Amount: 500, Total: 500, PerUser: 1, Validity: ValidDays, Days: 7},
		{Name: "全场满 199 减 20", Kind: KindAmount, Threshold: 19900, Amount: 2000, Total: 1000, PerUser: 2, Validity: ValidDays, Days: 15},
		{Name: "满 99 包邮", Kind: KindShipping, Threshold: 9900, PerUser: 3, Validity: ValidDays, Days: 30},
		{Name: "新人礼 满 50 减 10", Kind: KindAmount, Threshold: 5000, Amount: 1000, PerUser: 1, Validity: ValidDays, Days: 30,
			Channel: ChannelNewUser},
	}
	if beauty > 0 {
		coupons = append(coupons, Coupon{Name: "美妆护肤 9 折券", Kind: KindPercent, Percent: 90, Cap: 5000, Scope: ScopeCategories,
			ScopeIDs: []int64{beauty}, PerUser: 1, Validity: ValidDays, Days: 10})
	}
	for _, c := range coupons {
		if c.Scope == "" {
			c.Scope = ScopeAll
		}
		if c.Channel == "" {
			c.Channel = ChannelCentre
		}
		if _, err := Save(ctx, db, &c); err != nil {
			return err
		}
	}
	return nil
}
