package demo

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/xiaodian/xiaodian/store"
)

// The demo's customer tags (客户标签): 新客, 老客户, VIP and 宝妈 on the
// demo customers, so the back office's customer list and the coupon's
// 按标签发放 show them in use. It runs after the plugins' demos (which make
// most of the customers); a shop with fewer than four customers gets a few
// demo ones (who cannot sign in).

var demoTags = []struct{ name, color string }{
	{"新客", "green"}, {"老客户", "blue"}, {"VIP", "gold"}, {"宝妈", "red"},
}

var demoTagCustomers = []struct{ phone, nick string }{
	{"13700001001", "小林"}, {"13700001002", "陈姐"}, {"13700001003", "阿杰"}, {"13700001004", "王妈妈"},
}

// LoadTags creates the demo tags and puts them on the shop's customers.
func LoadTags(ctx context.Context, db *store.DB) error {
	var ids []int64
	err := db.Write(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM customers`).Scan(&n); err != nil {
			return err
		}
		now := db.Now().Unix()
		for i := 0; n < len(demoTagCustomers) && i < len(demoTagCustomers); i++ {
			c := demoTagCustomers[i]
			res, err := tx.ExecContext(ctx, `INSERT INTO customers (phone, password_hash, nickname, created_at) VALUES (?, '!', ?, ?)
				ON CONFLICT (phone) DO NOTHING`, c.phone, c.nick, now)
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k == 1 {
				n++
			}
		}
		rows, err := tx.QueryContext(ctx, `SELECT id FROM customers ORDER BY id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return rows.Err()
	})
	if err != nil {
		return fmt.Errorf("demo tags: %w", err)
	}
	tagIDs := make([]int64, len(demoTags))
	for i, t := range demoTags {
		if tagIDs[i], err = db.CreateTag(ctx, t.name, t.color); err != nil {
			return fmt.Errorf("demo tag %s: %w", t.name, err)
		}
	}
	// Oldest customers are 老客户, the newest 新客; every third a VIP,
	// every fourth a 宝妈.
	members := make([][]int64, len(demoTags))
	for i, id := range ids {
		if i < (len(ids)+1)/2 {
			members[1] = append(members[1], id)
		} else {
			members[0] = append(members[0], id)
		}
		if i%3 == 0 {
			members[2] = append(members[2], id)
		}
		if i%4 == 1 {
			members[3] = append(members[3], id)
		}
	}
	for i, m := range members {
		if len(m) == 0 {
			continue
		}
		if len(m) > store.MaxTagBatch {
			m = m[:store.MaxTagBatch]
		}
		if _, err := db.TagCustomers(ctx, tagIDs[i], m); err != nil {
			return fmt.Errorf("demo tag %s: %w", demoTags[i].name, err)
		}
	}
	return nil
}
