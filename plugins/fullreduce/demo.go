package fullreduce

import (
	"context"
	"database/sql"
	"errors"

	"github.com/xiaodian/xiaodian/store"
)

// Demo implements plugins.Demoer: 食品生鲜 has 满99减10 / 满199减30 (the
// home banner's promise) and 家居日用 满2件9折 / 满3件8折, for a year.
func (*Plugin) Demo(ctx context.Context, db *store.DB) error {
	ids := map[string]int64{}
	err := db.Read(ctx, func(tx *sql.Tx) error {
		for _, name := range []string{"食品生鲜", "家居日用"} {
			var id int64
			err := tx.QueryRowContext(ctx, `SELECT id FROM categories WHERE name = ? AND parent_id IS NULL`, name).Scan(&id)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			ids[name] = id
		}
		return nil
	})
	if err != nil {
		return err
	}
	now := db.Now()
	offers := []Offer{
		{Name: "食品生鲜满减", Kind: KindAmount, Mode: ModeReduce, Tiers: []Tier{{Threshold: 9900, Value: 1000}, {Threshold: 19900, Value: 3000}},
			Scope: ScopeCategories, ScopeIDs: []int64{ids["食品生鲜"]}},
		{Name: "家居日用多件折扣", Kind: KindPieces, Mode: ModeDiscount, Tiers: []Tier{{Threshold: 2, Value: 90}, {Threshold: 3, Value: 80}},
			Scope: ScopeCategories, ScopeIDs: []int64{ids["家居日用"]}},
	}
	for _, o := range offers {
		if o.ScopeIDs[0] == 0 {
			continue
		}
		o.StartsAt, o.EndsAt, o.Status = now.Add(-1), now.AddDate(1, 0, 0), StatusActive
		if _, err := SaveOffer(ctx, db, &o); err != nil {
			return err
		}
	}
	return nil
}
