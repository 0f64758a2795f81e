package flash

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/store"
)

// DefaultPayMinutes is the payment window of a flash-sale order.
const DefaultPayMinutes = 5

// Plugin is the flash sale plugin.
type Plugin struct {
	payMinutes atomic.Int64
}

// New returns the plugin.
func New() *Plugin {
	p := &Plugin{}
	p.payMinutes.Store(DefaultPayMinutes)
	return p
}

// ID implements plugins.Plugin.
func (*Plugin) ID() string { return ID }

// Name implements plugins.Plugin.
func (*Plugin) Name() string { return "秒杀" }

// Description implements plugins.Describer.
func (*Plugin) Description() string {
	return "按场次限时抢购：秒杀价、独立秒杀库存、每人限购，超时未付款自动释放名额"
}

// Migrations implements plugins.Migrator.
func (*Plugin) Migrations() fs.FS { return migrations }

// SettingsSchema implements plugins.Configurable.
func (*Plugin) SettingsSchema() []plugins.SettingField {
	return []plugins.SettingField{
		{Key: "pay_minutes", Kind: plugins.FieldText, Label: "flash.setting.pay_minutes", Help: "flash.setting.pay_minutes_help",
			Default: strconv.Itoa(DefaultPayMinutes)},
	}
}

// Configure implements plugins.Configurable.
func (p *Plugin) Configure(_ context.Context, v plugins.SettingValues) error {
	s := strings.TrimSpace(v.Get("pay_minutes"))
	if s == "" {
		p.payMinutes.Store(DefaultPayMinutes)
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 30 {
		var v store.ValidationErrors
		v.Add("pay_minutes", "flash.err.pay_minutes")
		return v.Err()
	}
	p.payMinutes.Store(int64(n))
	return nil
}

// Register binds the admission gate, the flash price, the order events
// and the storefront blocks.
func (p *Plugin) Register(r *plugins.Registry) error {
	return errors.Join(
		plugins.Bind(r, r.Admission, ID, plugins.Handler[*plugins.AdmitEvent]{ID: "admit", Func: p.admit}),
		// Before 限时折扣 (PriceActivity+10), which leaves a line with an
		// activity alone.
		plugins.Bind(r, r.Price, ID, plugins.Handler[*plugins.PriceEvent]{ID: "price", Priority: plugins.PriceActivity + 5, Func: p.price}),
		plugins.Bind(r, r.Order, ID, plugins.Handler[*plugins.OrderEvent]{ID: "order", Func: p.order}),
		plugins.Bind(r, r.ProductView, ID, plugins.Handler[*plugins.ProductViewEvent]{ID: "block", Func: p.block}),
		plugins.Bind(r, r.HomeView, ID, plugins.Handler[*plugins.HomeViewEvent]{ID: "home", Func: p.home}),
		plugins.Bind(r, r.HomeView, ID, plugins.Handler[*plugins.HomeViewEvent]{ID: "entry", Priority: -30, Func: p.entry}),
	)
}

// chosen is the flash item a checkout names, or 0.
func chosen(options map[string]string) int64 {
	v := options[OptionKey]
	if v == "" {
		return 0
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0
	}
	return id
}

// admit takes the checkout's flash units from the gate, or refuses it as
// sold out without going near the writer.
func (p *Plugin) admit(e *plugins.AdmitEvent) error {
	id := chosen(e.Input.Options)
	if id == 0 || e.Store == nil {
		return e.Next()
	}
	c, err := gateOf(e.Store).counter(e.Ctx, e.Store, id)
	if err != nil {
		return err
	}
	if c == nil || !c.live(e.Store.Now()) {
		return e.Next() // the price filter explains it
	}
	var qty int64
	for _, it := range e.Input.Items {
		if it.SKUID == c.skuID {
			qty = int64(it.Qty)
		}
	}
	if qty == 0 {
		return e.Next()
	}
	if !c.take(qty) {
		gateOf(e.Store).resync(e.Ctx, e.Store, c)
		if !c.take(qty) {
			return store.Invalid("items", "flash.err.sold_out")
		}
	}
	customer := e.Input.CustomerID
	if had, ok := c.hold(customer, qty); !ok {
		c.done(qty, false)
		return store.Invalid("items", "flash.err.limit", "n", c.perUser, "had", had)
	}
	db := e.Store
	e.OnDone(func(placed bool) {
		c.done(qty, placed)
		if !placed {
			c.unhold(customer, qty)
		} else if c.avail.Load() == 0 {
			// Sold out, committed: visitors' cached pages say so now.
			db.BumpCatalogue()
		}
	})
	return e.Next()
}

// price sells the chosen item's SKU at the flash price, checks the slot,
// the flash stock and the customer's limit, and shortens the payment
// window.
func (p *Plugin) price(e *plugins.PriceEvent) error {
	q := e.Quote
	id := chosen(q.Options)
	if id == 0 {
		return e.Next()
	}
	it, err := itemTx(e.Ctx, e.Tx, id)
	if errors.Is(err, store.ErrNotFound) {
		if q.Placing {
			return store.Invalid("items", "flash.err.ended")
		}
		return e.Next()
	}
	if err != nil {
		return err
	}
	line := -1
	for i, l := range q.Lines {
		if l.SKUID == it.SKUID && l.Status == store.CartOK && l.Activity == "" {
			line = i
		}
	}
	now := time.Now()
	if e.Store != nil {
		now = e.Store.Now()
	}
	switch {
	case line < 0:
		return e.Next()
	case !it.Live(now):
		if q.Placing {
			return store.Invalid("items", "flash.err.ended")
		}
		return e.Next()
	}
	l := &q.Lines[line]
	if it.Sold+l.Qty > it.Stock {
		if q.Placing {
			return store.Invalid("items", "flash.err.sold_out")
		}
		l.Status = store.CartOutOfStock
		return e.Next()
	}
	if it.PerUser > 0 && q.CustomerID > 0 {
		had, err := boughtTx(e.Ctx, e.Tx, it.ID, q.CustomerID)
		if err != nil {
			return fmt.Errorf("flash sale: %w", err)
		}
		if had+l.Qty > it.PerUser {
			if q.Placing {
				return store.Invalid("items", "flash.err.limit", "n", it.PerUser, "had", had)
			}
			l.Status = store.CartNotEnoughStock
			l.Stock = max(0, it.PerUser-had)
			return e.Next()
		}
	}
	l.Activity, l.ActivityRef, l.ActivityCommission = ID, strconv.FormatInt(it.ID, 10), it.Commission
	before := len(q.Adjustments)
	q.DiscountLine(line, store.StageLine, ID, "秒杀价", (l.UnitPrice-it.Price)*store.Fen(l.Qty))
	if len(q.Adjustments) > before {
		q.Adjustments[len(q.Adjustments)-1].Ref = l.ActivityRef
	}
	if w := time.Duration(p.payMinutes.Load()) * time.Minute; q.PayWithin == 0 || w < q.PayWithin {
		q.PayWithin = w
	}
	return e.Next()
}

// order counts a new order's flash units (the guarded UPDATE is what
// never oversells, the held rows what keeps the limit) and gives them
// back when the unpaid order is cancelled.
func (p *Plugin) order(e *plugins.OrderEvent) error {
	switch {
	case e.Action == "create" && e.Quote != nil:
		for i, l := range e.Quote.Lines {
			if l.Activity != ID || i >= len(e.LineIDs) {
				continue
			}
			itemID, err := strconv.ParseInt(l.ActivityRef, 10, 64)
			if err != nil {
				return fmt.Errorf("flash sale: line ref %q", l.ActivityRef)
			}
			res, err := e.Tx.ExecContext(e.Ctx, `UPDATE flash_items SET sold = sold + ?1 WHERE id = ?2 AND sold + ?1 <= stock`, l.Qty, itemID)
			if err != nil {
				return fmt.Errorf("flash sale: %w", err)
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return store.Invalid("items", "flash.err.sold_out")
			}
			var perUser int
			if err := e.Tx.QueryRowContext(e.Ctx, `SELECT per_user FROM flash_items WHERE id = ?`, itemID).Scan(&perUser); err != nil {
				return fmt.Errorf("flash sale: %w", err)
			}
			if perUser > 0 {
				had, err := boughtTx(e.Ctx, e.Tx, itemID, e.CustomerID)
				if err != nil {
					return fmt.Errorf("flash sale: %w", err)
				}
				if had+l.Qty > perUser {
					return store.Invalid("items", "flash.err.limit", "n", perUser, "had", had)
				}
			}
			if _, err := e.Tx.ExecContext(e.Ctx, `INSERT INTO flash_buys (order_id, item_id, customer_id, qty, status, created_at)
				VALUES (?, ?, ?, ?, 'held', ?)`, e.OrderID, itemID, e.CustomerID, l.Qty, e.Store.Now().Unix()); err != nil {
				return fmt.Errorf("flash sale: %w", err)
			}
		}
	case e.To == store.StatusCancelled && e.From == store.StatusPendingPayment:
		if err := release(e.Ctx, e.Store, e.Tx, e.OrderID); err != nil {
			return err
		}
	}
	return e.Next()
}

// release gives an unpaid order's units back to their items.
func release(ctx context.Context, db *store.DB, tx *sql.Tx, orderID int64) error {
	rows, err := tx.QueryContext(ctx, `SELECT item_id, customer_id, qty FROM flash_buys WHERE order_id = ? AND status = 'held'`, orderID)
	if err != nil {
		return fmt.Errorf("flash sale: %w", err)
	}
	type held struct{ item, customer, qty int64 }
	var hs []held
	for rows.Next() {
		var h held
		if err := rows.Scan(&h.item, &h.customer, &h.qty); err != nil {
			rows.Close()
			return fmt.Errorf("flash sale: %w", err)
		}
		hs = append(hs, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("flash sale: %w", err)
	}
	for _, h := range hs {
		if _, err := tx.ExecContext(ctx, `UPDATE flash_items SET sold = sold - ? WHERE id = ?`, h.qty, h.item); err != nil {
			return fmt.Errorf("flash sale: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE flash_buys SET status = 'released' WHERE order_id = ? AND item_id = ?`, orderID, h.item); err != nil {
			return fmt.Errorf("flash sale: %w", err)
		}
		gateOf(db).give(h.item, h.customer, h.qty)
	}
	return nil
}

// block is the product page's 秒杀 bar: live (price, countdown to the
// end, sold share, 立即抢购) or starting within a day.
func (p *Plugin) block(e *plugins.ProductViewEvent) error {
	if e.Store == nil {
		return e.Next()
	}
	it, err := ForProduct(e.Ctx, e.Store, e.ProductID, e.Store.Now())
	if err != nil {
		return err
	}
	if it != nil {
		e.Badges = append(e.Badges, "秒杀")
		e.Blocks = append(e.Blocks, productBar(it, e.Store.Now()))
	}
	return e.Next()
}

// home is the home page's 限时秒杀 strip: the live slot (or the next one
// today) with its first items.
func (p *Plugin) home(e *plugins.HomeViewEvent) error {
	if e.Store == nil {
		return e.Next()
	}
	now := e.Store.Now()
	sales, err := Schedule(e.Ctx, e.Store, now, now.Add(24*time.Hour))
	if err != nil {
		return err
	}
	for _, s := range sales {
		if len(s.Items) > 0 {
			e.Blocks = append(e.Blocks, homeStrip(s, now))
			break
		}
	}
	return e.Next()
}

// entry is the home page's 秒杀 tile, while a slot with items is live or
// starts within a day (as the strip).
func (p *Plugin) entry(e *plugins.HomeViewEvent) error {
	if e.Store == nil {
		return e.Next()
	}
	now := e.Store.Now()
	sales, err := Schedule(e.Ctx, e.Store, now, now.Add(24*time.Hour))
	if err != nil {
		return err
	}
	for _, s := range sales {
		if len(s.Items) == 0 {
			continue
		}
		hint := t(e.Ctx, "flash.entry.live")
		if !s.Live(now) {
			hint = t(e.Ctx, "flash.entry.soon", "time", slotTime(e.Ctx, s, now))
		}
		e.Entries = append(e.Entries, plugins.HomeEntry{ID: "flash", Title: t(e.Ctx, "flash.entry.title"), Hint: hint, URL: pagePath})
		break
	}
	return e.Next()
}

// lastEdge is the last time the boundary job looked.
var lastEdge atomic.Int64

// Jobs implements plugins.Jobber: when a slot starts or ends, or comes
// within the day the home page's strip and entry look ahead, cached pages
// are refreshed.
func (*Plugin) Jobs() []plugins.Job {
	return []plugins.Job{{Name: "boundaries", Every: 15 * time.Second, Run: func(ctx context.Context, db *store.DB) error {
		now := db.Now().Unix()
		from := lastEdge.Swap(now)
		if from == 0 {
			return nil
		}
		var n int
		err := db.Read(ctx, func(tx *sql.Tx) error {
			return tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM flash_sales WHERE status = 'active'
				AND ((starts_at > ? AND starts_at <= ?) OR (ends_at > ? AND ends_at <= ?)
				OR (starts_at - 86400 > ? AND starts_at - 86400 <= ?))`, from, now, from, now, from, now).Scan(&n)
		})
		if err == nil && n > 0 {
			db.BumpCatalogue()
		}
		return err
	}}}
}
