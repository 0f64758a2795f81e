package store

import (
	"context"
	"fmt"
)

// CheckoutPickupStores lists the active pickup stores (门店自提) a buyer can
// choose at checkout, in the owner's order. It is the checkout's read until
// the pickup store management (store/pickup.go) offers its own.
func (db *DB) CheckoutPickupStores(ctx context.Context) ([]PickupPlace, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, name, phone, province, city, district, detail, hours
		FROM pickup_stores WHERE active = 1 AND deleted_at IS NULL ORDER BY sort, id`)
	if err != nil {
		return nil, fmt.Errorf("pickup stores: %w", err)
	}
	defer rows.Close()
	var out []PickupPlace
	for rows.Next() {
		var p PickupPlace
		var province, city, district, detail string
		if err := rows.Scan(&p.ID, &p.Name, &p.Phone, &province, &city, &district, &detail, &p.Hours); err != nil {
			return nil, fmt.Errorf("pickup stores: %w", err)
		}
		p.Address = joinNonEmpty(" ", province, city, district, detail)
		out = append(out, p)
	}
	return out, rows.Err()
}
