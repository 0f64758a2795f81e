package memberlevel

import (
	"context"
	"database/sql"
	"errors"

	"github.com/xiaodian/xiaodian/store"
)

// Demo implements plugins.Demoer: three levels — 普通会员 (V0, from 0),
// 银卡会员 (V1, 500 growth, 9.8折) and 金卡会员 (V2, 2000 growth, 9.5折
// with perks) — and three demo customers at each of them, their growth
// given by hand in the ledger.
func (*Plugin) Demo(ctx context.Context, db *store.DB) error {
	for _, l := range []*Level{
		{Name: "普通会员", Threshold: 0, DiscountPct: 100, Perks: []string{"消费累积成长值", "会员专享活动"}},
		{Name: "银卡会员", Threshold: 500, DiscountPct: 98, Perks: []string{"全场商品9.8折", "生日礼"}},
		{Name: "金卡会员", Threshold: 2000, DiscountPct: 95, Perks: []string{"全场商品9.5折", "包邮券每月1张", "生日礼", "专属客服"}},
	} {
		if _, err := SaveLevel(ctx, db, l); err != nil {
			return err
		}
	}
	now := db.Now().Unix()
	for _, c := range []struct {
		phone, nick string
		growth      int64
	}{{"13800000201", "小林", 120}, {"13800000202", "周周", 860}, {"13800000203", "王女士", 2650}} {
		var id int64
		err := db.Write(ctx, func(tx *sql.Tx) error {
			err := tx.QueryRowContext(ctx, `SELECT id FROM customers WHERE phone = ?`, c.phone).Scan(&id)
			if err == nil || !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO customers (phone, password_hash, nickname, created_at) VALUES (?, '!', ?, ?)`,
				c.phone, c.nick, now)
			if err != nil {
				return err
			}
			id, _ = res.LastInsertId()
			return nil
		})
		if err != nil {
			return err
		}
		if err := AdjustGrowth(ctx, db, id, c.growth, "演示数据：历史消费", store.SystemActor); err != nil {
			return err
		}
	}
	return nil
}
