package store

import (
	"context"
	"errors"
	"strings"
)

// MaxOrderExport bounds how many orders one export or print run walks.
const MaxOrderExport = 50000

// eachOrderPage is how many orders EachOrder reads at a time (tests shrink it).
var eachOrderPage = 200

// EachOrder calls fn for every order matching f (Offset and Limit are
// ignored), newest first, with its lines, stopping at the first error of
// fn or after MaxOrderExport orders. It reads page by page; an order placed
// meanwhile shifts the pages, so orders already seen are skipped by id.
func (db *DB) EachOrder(ctx context.Context, f OrderFilter, fn func(*Order) error) error {
	page := eachOrderPage
	var last int64 // the smallest id seen; every later one must be below it
	seen := 0
	for offset := 0; seen < MaxOrderExport; offset += page {
		if err := ctx.Err(); err != nil {
			return err
		}
		f.Offset, f.Limit = offset, page
		orders, _, err := db.Orders(ctx, f)
		if err != nil {
			return err
		}
		for i := range orders {
			o := &orders[i]
			if last != 0 && o.ID >= last {
				continue
			}
			last = o.ID
			seen++
			if err := fn(o); err != nil {
				return err
			}
			if seen >= MaxOrderExport {
				return nil
			}
		}
		if len(orders) < page {
			return nil
		}
	}
	return nil
}

// OrderByPickupCode returns the order a verification code (核销码) belongs
// to, so the counter can show it before verifying; ErrNotFound for an
// unknown code.
func (db *DB) OrderByPickupCode(ctx context.Context, code string) (*Order, error) {
	code = strings.TrimSpace(code)
	if code == "" || len(code) > 20 {
		return nil, Invalid("code", "order.pickup_code_invalid")
	}
	o, err := orderTx(ctx, db.r, `o.pickup_code = ?`, code, 0)
	if errors.Is(err, ErrNotFound) {
		return nil, Invalid("code", "order.pickup_code_unknown")
	}
	return o, err
}

// OrdersToShipCount is how many orders wait to be shipped or picked up (the
// dashboard's to-do).
func (db *DB) OrdersToShipCount(ctx context.Context) (toShip, toPickup int, err error) {
	err = db.r.QueryRowContext(ctx, `SELECT
		COUNT(CASE WHEN status = 'to_ship' THEN 1 END),
		COUNT(CASE WHEN status = 'to_pickup' THEN 1 END)
		FROM orders WHERE status IN ('to_ship', 'to_pickup')`).Scan(&toShip, &toPickup)
	return toShip, toPickup, err
}
