package points

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/xiaodian/xiaodian/store"
)

// DemoPassword is the password of the demo shop's customers.
const DemoPassword = "xiaodian2026"

// DemoPhones are the demo shop's customers with points (the sign-in demo
// gives them a sign-in history too).
var DemoPhones = []string{"19900001111", "19900002222", "19900003333"}

// DemoCustomer is the demo customer with phone, registered when missing.
func DemoCustomer(ctx context.Context, db *store.DB, phone string) (int64, error) {
	var id int64
	err := db.Read(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT id FROM customers WHERE phone = ?`, phone).Scan(&id)
	})
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, err
	}
	cu, err := db.RegisterCustomer(ctx, phone, DemoPassword)
	if err != nil {
		return 0, err
	}
	return cu.ID, nil
}

// Demo implements plugins.Demoer: three customers (DemoPhones, password
// DemoPassword) with points from the opening gift, an invitation and a
// purchase-sized adjustment, so 我的积分 and the back office have rows.
func (*Plugin) Demo(ctx context.Context, db *store.DB) error {
	ids := make([]int64, len(DemoPhones))
	for i, ph := range DemoPhones {
		id, err := DemoCustomer(ctx, db, ph)
		if err != nil {
			return err
		}
		ids[i] = id
	}
	now := db.Now()
	return db.Write(ctx, func(tx *sql.Tx) error {
		gifts := []int64{800, 300, 1500}
		for i, id := range ids {
			if _, err := PostTx(ctx, tx, id, gifts[i], KindAdjust, "staff:demo", "开业活动赠送积分", now.Add(-72*time.Hour)); err != nil {
				return err
			}
		}
		if _, err := PostTx(ctx, tx, ids[0], DefaultRules.Invite, KindInvite, "customer:demo", "邀请好友注册", now.Add(-48*time.Hour)); err != nil {
			return err
		}
		_, err := PostTx(ctx, tx, ids[2], -200, KindAdjust, "staff:demo", "积分兑换礼品", now.Add(-24*time.Hour))
		return err
	})
}
