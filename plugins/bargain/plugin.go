package bargain

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/store"
)

// Plugin is the 砍价 plugin.
type Plugin struct {
	noSelfHelp atomic.Bool // the "self_help" setting is off
	floorOnly  atomic.Bool // the "floor_only" setting is on: buy only at the floor
}

// New returns the plugin.
func New() *Plugin { return &Plugin{} }

// ID implements plugins.Plugin.
func (*Plugin) ID() string { return ID }

// Name implements plugins.Plugin.
func (*Plugin) Name() string { return "砍价" }

// Description implements plugins.Describer.
func (*Plugin) Description() string {
	return "顾客发起砍价并分享给好友，每位好友帮砍一刀，砍到底价或随时按当前价购买"
}

// Migrations implements plugins.Migrator.
func (*Plugin) Migrations() fs.FS { return migrations }

// SettingsSchema implements plugins.Configurable.
func (*Plugin) SettingsSchema() []plugins.SettingField {
	return []plugins.SettingField{
		{Key: "self_help", Kind: plugins.FieldBool, Label: "bargain.setting.self_help", Help: "bargain.setting.self_help_help", Default: "1"},
		{Key: "floor_only", Kind: plugins.FieldBool, Label: "bargain.setting.floor_only", Help: "bargain.setting.floor_only_help"},
	}
}

// Configure implements plugins.Configurable.
func (p *Plugin) Configure(_ context.Context, v plugins.SettingValues) error {
	self, ok1 := plugins.SettingBool(v.Get("self_help"))
	floor, ok2 := plugins.SettingBool(v.Get("floor_only"))
	var ve store.ValidationErrors
	if !ok1 {
		ve.Add("self_help", "bargain.err.setting")
	}
	if !ok2 {
		ve.Add("floor_only", "bargain.err.setting")
	}
	if err := ve.Err(); err != nil {
		return err
	}
	p.noSelfHelp.Store(!self)
	p.floorOnly.Store(floor)
	return nil
}

// SelfHelp reports whether the initiator makes the first cut.
func (p *Plugin) SelfHelp() bool { return !p.noSelfHelp.Load() }

// FloorOnly reports whether a bargain is bought only at its floor.
func (p *Plugin) FloorOnly() bool { return p.floorOnly.Load() }

// Register binds the bargain's price at the activity stage, the order
// events, the home page's entry and the product page block.
func (p *Plugin) Register(r *plugins.Registry) error {
	if err := plugins.Bind(r, r.Price, ID, plugins.Handler[*plugins.PriceEvent]{ID: "price",
		Priority: plugins.PriceActivity + 5, Func: p.price}); err != nil {
		return err
	}
	if err := plugins.Bind(r, r.Order, ID, plugins.Handler[*plugins.OrderEvent]{ID: "order", Func: p.onOrder}); err != nil {
		return err
	}
	if err := plugins.Bind(r, r.HomeView, ID, plugins.Handler[*plugins.HomeViewEvent]{ID: "entry",
		Priority: entryPriority, Func: p.entry}); err != nil {
		return err
	}
	return plugins.Bind(r, r.ProductView, ID, plugins.Handler[*plugins.ProductViewEvent]{ID: "block", Func: p.block})
}

// Option is the checkout option that buys a bargain: o_bargain=<id>.
const Option = "bargain"

// BuyURL is the checkout of a bargain.
func BuyURL(b *Bargain) string {
	return "/checkout?sku_id=" + strconv.FormatInt(b.SKUID, 10) + "&qty=1&o_" + Option + "=" + strconv.FormatInt(b.ID, 10)
}

// buyable says why the customer cannot buy bargain b at now ("" when they
// can): the checks of the price filter and of the order's creation.
func (p *Plugin) buyable(b *Bargain, customerID int64, now time.Time) string {
	switch {
	case b.CustomerID != customerID:
		return "bargain.err.not_yours"
	case b.Status != "open":
		return "bargain.err.bought"
	case b.Expired(now):
		return "bargain.err.expired"
	case p.FloorOnly() && !b.AtFloor():
		return "bargain.err.floor_only"
	}
	return ""
}

// price sets the line of the bargain chosen by o_bargain to the
// bargain's current price, read in the checkout's transaction.
func (p *Plugin) price(e *plugins.PriceEvent) error {
	q := e.Quote
	v := q.Option(Option)
	if v == "" || e.Store == nil {
		return e.Next()
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return store.Invalid("items", "bargain.err.unknown")
	}
	b, err := bargainTx(e.Ctx, e.Tx, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Invalid("items", "bargain.err.unknown")
	}
	if err != nil {
		return err
	}
	if key := p.buyable(b, q.CustomerID, e.Store.Now()); key != "" {
		if key == "bargain.err.not_yours" {
			key = "bargain.err.unknown"
		}
		return store.Invalid("items", key)
	}
	a, err := activityTx(e.Ctx, e.Tx, b.ActivityID)
	if err != nil {
		return err
	}
	found := false
	for i := range q.Lines {
		l := &q.Lines[i]
		if l.SKUID != b.SKUID || l.Activity != "" {
			continue
		}
		if l.Qty != 1 {
			return store.Invalid("items", "bargain.err.qty")
		}
		found = true
		l.UnitPrice = b.Price
		l.Activity, l.ActivityRef, l.ActivityCommission = ID, strconv.FormatInt(b.ID, 10), a.Commission
		break
	}
	if !found {
		return store.Invalid("items", "bargain.err.unknown")
	}
	return e.Next()
}

// onOrder marks the bargain bought when its order is placed (a guarded
// UPDATE: racing checkouts of one bargain make one order) and takes a
// piece of the activity's stock; cancelling the unpaid order makes it
// buyable again.
func (p *Plugin) onOrder(e *plugins.OrderEvent) error {
	if e.Store == nil {
		return e.Next()
	}
	now := e.Store.Now().Unix()
	switch {
	case e.Action == "create" && e.Quote != nil:
		for _, l := range e.Quote.Lines {
			if l.Activity != ID {
				continue
			}
			id, err := strconv.ParseInt(l.ActivityRef, 10, 64)
			if err != nil {
				return fmt.Errorf("bargain ref %q: %w", l.ActivityRef, err)
			}
			res, err := e.Tx.ExecContext(e.Ctx, `UPDATE bargains SET status = 'bought', order_id = ?
				WHERE id = ? AND customer_id = ? AND status = 'open' AND expires_at > ? AND price_fen = ?`,
				e.OrderID, id, e.CustomerID, now, l.UnitPrice)
			if err != nil {
				return fmt.Errorf("buy bargain: %w", err)
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return store.Invalid("items", "bargain.err.bought")
			}
			res, err = e.Tx.ExecContext(e.Ctx, `UPDATE bargain_activities SET sold = sold + 1
				WHERE id = (SELECT activity_id FROM bargains WHERE id = ?) AND sold < stock`, id)
			if err != nil {
				return fmt.Errorf("buy bargain: %w", err)
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return store.Invalid("items", "bargain.err.sold_out")
			}
		}
	case e.To == store.StatusCancelled && e.From == store.StatusPendingPayment:
		if _, err := e.Tx.ExecContext(e.Ctx, `UPDATE bargain_activities SET sold = sold - 1 WHERE sold > 0 AND id IN
			(SELECT activity_id FROM bargains WHERE order_id = ? AND status = 'bought')`, e.OrderID); err != nil {
			return fmt.Errorf("release bargain: %w", err)
		}
		if _, err := e.Tx.ExecContext(e.Ctx, `UPDATE bargains SET status = 'open', order_id = NULL
			WHERE order_id = ? AND status = 'bought'`, e.OrderID); err != nil {
			return fmt.Errorf("release bargain: %w", err)
		}
	}
	return e.Next()
}

// block is the product page's 砍价 bar: 发起砍价 最低¥x.
func (p *Plugin) block(e *plugins.ProductViewEvent) error {
	if e.Store == nil {
		return e.Next()
	}
	var a *Activity
	err := e.Store.Read(e.Ctx, func(tx *sql.Tx) error {
		var err error
		a, err = liveOnProductTx(e.Ctx, tx, e.Store.Now(), e.ProductID)
		return err
	})
	if err != nil {
		return err
	}
	if a != nil {
		e.Blocks = append(e.Blocks, productBar(a))
	}
	return e.Next()
}
