package plugins

import (
	"context"
	"database/sql"

	"github.com/xiaodian/xiaodian/store"
)

// Priorities of the price pipeline's stages on [Registry.Price]: a filter
// binds at its stage's priority (plus a little to order itself within the
// stage). The core filters run at PriceSKU and PriceShipping.
const (
	PriceSKU      = 100 // the SKU's price (core)
	PriceActivity = 200 // member-level and activity prices
	PriceDiscount = 300 // order-level offers: 满减, coupons
	PricePoints   = 400 // points deduction
	PriceShipping = 500 // the shipping fee (core) and free-shipping offers after it
	PriceAfter    = 900
)

// PriceEvent is the price pipeline, a filter run inside the checkout's
// transaction. Handlers refine Quote (through its DiscountLine /
// DiscountOrder methods, or UnitPrice in the line stage) and call Next. Tx
// is the checkout's transaction: read through it, never through the store's
// public methods.
type PriceEvent struct {
	Event
	Ctx   context.Context
	Tx    *sql.Tx
	Quote *store.Quote
	// Store is the shop's database, for the store functions that take Tx.
	Store *store.DB
}

// OrderEvent is fired inside the transaction of every order change
// (creation, payment, cancellation, shipping, receipt, refunds): a handler
// that returns an error rolls the change back.
type OrderEvent struct {
	Event
	Ctx context.Context
	Tx  *sql.Tx
	store.OrderEvent
	// Store is the shop's database, for the store functions that take Tx.
	Store *store.DB
}

// bindCore binds the core filters of the price pipeline. They are not a
// plugin's and cannot be switched off.
func (r *Registry) bindCore() {
	r.Price.Bind(&Handler[*PriceEvent]{ID: "core/sku_price", Priority: PriceSKU, Func: func(e *PriceEvent) error {
		store.PriceSKU(e.Quote)
		return e.Next()
	}})
	r.Price.Bind(&Handler[*PriceEvent]{ID: "core/shipping", Priority: PriceShipping, Func: func(e *PriceEvent) error {
		if err := store.PriceShipping(e.Quote); err != nil {
			return err
		}
		return e.Next()
	}})
}

// PriceQuote runs the price pipeline; the registry is the store's
// [store.Pricer].
func (r *Registry) PriceQuote(ctx context.Context, tx *sql.Tx, q *store.Quote) error {
	return r.Price.Trigger(&PriceEvent{Ctx: ctx, Tx: tx, Quote: q, Store: r.db()})
}

// SetStore hands the shop's database to the events (PriceEvent.Store,
// OrderEvent.Store); call it once at start-up, before the first request.
func (r *Registry) SetStore(db *store.DB) { r.store.Store(db) }

func (r *Registry) db() *store.DB { return r.store.Load() }

// OrderHook returns the store's order hook, which fires [Registry.Order].
func (r *Registry) OrderHook() store.OrderHook {
	return func(ctx context.Context, tx *sql.Tx, e store.OrderEvent) error {
		return r.Order.Trigger(&OrderEvent{Ctx: ctx, Tx: tx, OrderEvent: e, Store: r.db()})
	}
}

// AdmitEvent asks whether a checkout may go on to the writer (see
// [store.Admitter]): a handler that holds something for the checkout (a
// flash sale's units in memory) registers with OnDone how to let it go, and
// refuses with an error (a store.ValidationError the checkout shows) when
// it cannot admit. Admission is decided before the order's transaction,
// from memory or the readers, never the writer.
type AdmitEvent struct {
	Event
	Ctx   context.Context
	Input store.CheckoutInput
	// Store is the shop's database, for reads.
	Store *store.DB

	done []func(placed bool)
}

// OnDone registers fn to run once the checkout is over, with whether it
// placed a new order; it runs also when a later handler refuses.
func (e *AdmitEvent) OnDone(fn func(placed bool)) { e.done = append(e.done, fn) }

func (e *AdmitEvent) finish(placed bool) {
	for _, fn := range e.done {
		fn(placed)
	}
}

// Admit runs [Registry.Admit]; the registry is the store's [store.Admitter].
func (r *Registry) Admit(ctx context.Context, in store.CheckoutInput) (func(placed bool), error) {
	e := &AdmitEvent{Ctx: ctx, Input: in, Store: r.db()}
	if err := r.Admission.Trigger(e); err != nil {
		e.finish(false)
		return nil, err
	}
	return e.finish, nil
}
