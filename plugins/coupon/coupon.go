// Package coupon is the coupons marketing tool (优惠券) as a plugin on the
// public registry: amount-off, percent-off and free-shipping coupons over
// the whole shop, some products or some categories, valid on fixed dates
// or for N days after the claim, with a total and a per-customer limit;
// claimed in the coupon centre, given by the shop, given to new customers
// or given when an order is paid. At checkout the buyer picks one (the one
// that saves the most is suggested); it is used inside the order's
// transaction and returned when the order is cancelled before payment.
package coupon

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"strconv"
	"sync/atomic"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// ID is the plugin's id.
const ID = "coupon"

//go:embed migrations/*.sql
var migrations embed.FS

//go:embed i18n/*.json
var messages embed.FS

//go:embed style.css
var stylesheet []byte

func init() {
	sub, err := fs.Sub(messages, "i18n")
	if err != nil {
		panic(err)
	}
	i18n.MustAdd(sub)
}

// Plugin is the coupons plugin.
type Plugin struct {
	noStack atomic.Bool // the "stack" setting is off: no coupon on an order with 满减
}

// New returns the plugin.
func New() *Plugin { return &Plugin{} }

// ID implements plugins.Plugin.
func (*Plugin) ID() string { return ID }

// Name implements plugins.Plugin.
func (*Plugin) Name() string { return "优惠券" }

// Description implements plugins.Describer.
func (*Plugin) Description() string {
	return "满减券、折扣券、免运费券：领券中心、后台发券、新人券、下单返券，结算时自动推荐最优券"
}

// Migrations implements plugins.Migrator.
func (*Plugin) Migrations() fs.FS { return migrations }

// Stylesheet implements plugins.Styler.
func (*Plugin) Stylesheet() []byte { return stylesheet }

// SettingsSchema implements plugins.Configurable.
func (*Plugin) SettingsSchema() []plugins.SettingField {
	return []plugins.SettingField{
		{Key: "stack", Kind: plugins.FieldBool, Label: "coupon.setting.stack", Help: "coupon.setting.stack_help", Default: "1"},
	}
}

// Configure implements plugins.Configurable.
func (p *Plugin) Configure(_ context.Context, v plugins.SettingValues) error {
	p.noStack.Store(v.Get("stack") != "1")
	return nil
}

func (p *Plugin) stacks() bool { return !p.noStack.Load() }

// Register binds the coupon to the price pipeline (discount stage, and
// after shipping), to the order events and to new registrations.
func (p *Plugin) Register(r *plugins.Registry) error {
	if err := plugins.Bind(r, r.Price, ID, plugins.Handler[*plugins.PriceEvent]{ID: "discount",
		Priority: plugins.PriceDiscount + 50, Func: p.priceDiscount}); err != nil {
		return err
	}
	if err := plugins.Bind(r, r.Price, ID, plugins.Handler[*plugins.PriceEvent]{ID: "shipping",
		Priority: plugins.PriceShipping + 10, Func: p.priceShipping}); err != nil {
		return err
	}
	if err := plugins.Bind(r, r.HomeView, ID, plugins.Handler[*plugins.HomeViewEvent]{ID: "home", Func: p.homeStrip}); err != nil {
		return err
	}
	if err := plugins.Bind(r, r.HomeView, ID, plugins.Handler[*plugins.HomeViewEvent]{ID: "entry", Priority: -10, Func: p.homeEntry}); err != nil {
		return err
	}
	if err := plugins.Bind(r, r.ProductView, ID, plugins.Handler[*plugins.ProductViewEvent]{ID: "product", Func: p.productStrip}); err != nil {
		return err
	}
	if err := plugins.Bind(r, r.Registered, ID, plugins.Handler[*plugins.RegisteredEvent]{ID: "newuser",
		Func: func(e *plugins.RegisteredEvent) error {
			if e.Store != nil {
				if _, err := GiveNewUser(e.Ctx, e.Store, e.CustomerID); err != nil {
					return err
				}
			}
			return e.Next()
		}}); err != nil {
		return err
	}
	return plugins.Bind(r, r.Order, ID, plugins.Handler[*plugins.OrderEvent]{ID: "order", Func: p.onOrder})
}

// onOrder uses the coupon when the order is placed, returns it when the
// order is cancelled before payment, and gives the order-reward coupons
// when it is paid.
func (p *Plugin) onOrder(e *plugins.OrderEvent) error {
	if e.Store == nil {
		return e.Next()
	}
	now := e.Store.Now()
	switch {
	case e.Action == "create" && e.Quote != nil:
		for _, a := range e.Quote.Adjustments {
			if a.Source != ID || a.Ref == "" {
				continue
			}
			id, err := strconv.ParseInt(a.Ref, 10, 64)
			if err != nil {
				return fmt.Errorf("coupon ref %q: %w", a.Ref, err)
			}
			if err := useTx(e.Ctx, e.Tx, id, e.CustomerID, e.OrderID, now.Unix()); err != nil {
				return err
			}
		}
	case e.To == store.StatusCancelled && e.From == store.StatusPendingPayment:
		if err := returnTx(e.Ctx, e.Tx, e.OrderID); err != nil {
			return err
		}
	case e.Action == "pay":
		if _, err := issueChannelTx(e.Ctx, e.Tx, ChannelOrder, e.CustomerID, now); err != nil {
			return err
		}
	}
	return e.Next()
}

// useTx marks the customer's copy used by the order: one guarded UPDATE,
// so two checkouts racing with the same copy never both use it (the
// second is refused and its order rolled back).
func useTx(ctx context.Context, tx *sql.Tx, heldID, customerID, orderID, now int64) error {
	res, err := tx.ExecContext(ctx, `UPDATE customer_coupons SET status = 'used', order_id = ?, used_at = ?
		WHERE id = ? AND customer_id = ? AND status = 'unused' AND valid_from <= ? AND valid_to > ?`,
		orderID, now, heldID, customerID, now, now)
	if err != nil {
		return fmt.Errorf("use coupon: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return store.Invalid("items", "coupon.err.unusable")
	}
	if _, err := tx.ExecContext(ctx, `UPDATE coupons SET used = used + 1
		WHERE id = (SELECT coupon_id FROM customer_coupons WHERE id = ?)`, heldID); err != nil {
		return fmt.Errorf("use coupon: %w", err)
	}
	return nil
}

// returnTx gives back the copies an unpaid order used.
func returnTx(ctx context.Context, tx *sql.Tx, orderID int64) error {
	if _, err := tx.ExecContext(ctx, `UPDATE coupons SET used = used - 1 WHERE used > 0 AND id IN
		(SELECT coupon_id FROM customer_coupons WHERE order_id = ? AND status = 'used')`, orderID); err != nil {
		return fmt.Errorf("return coupon: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE customer_coupons SET status = 'unused', order_id = NULL, used_at = NULL
		WHERE order_id = ? AND status = 'used'`, orderID); err != nil {
		return fmt.Errorf("return coupon: %w", err)
	}
	return nil
}

// GiveNewUser gives a just-registered customer the new-user coupons.
func GiveNewUser(ctx context.Context, db *store.DB, customerID int64) (int, error) {
	var n int
	err := db.Write(ctx, func(tx *sql.Tx) error {
		var err error
		n, err = issueChannelTx(ctx, tx, ChannelNewUser, customerID, db.Now())
		return err
	})
	return n, err
}
