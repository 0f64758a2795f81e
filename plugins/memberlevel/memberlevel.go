// Package memberlevel is the member levels (会员等级) as a plugin: customers
// earn growth (成长值) from what they pay — by default 1 growth per ¥1 of
// goods after discounts, without shipping — credited when the order is
// completed (or, by a setting, when it is paid) and withdrawn pro rata by
// refunds, every movement in a ledger. Levels have a growth threshold, a
// member discount and perks; a customer holds the highest level their
// growth reached (upgrades are automatic, never down), or a level the back
// office set by hand with a reason.
//
// The member discount is a line-stage price (PriceActivity + 60) on the
// lines that no activity priced (QuoteLine.Activity == ""). It does not
// stack with another line-stage discount already on the line — 限时折扣
// (PriceActivity + 10) or the distributor level's own-purchase discount
// (PriceActivity + 50): the filter compares its discount with the sum of
// the line-stage adjustments other plugins recorded on the line and keeps
// the better price for the customer, removing theirs when it wins and
// adding nothing when it loses. Any line-stage filter bound before it is
// treated the same way; filters bound after it (第N件X折 at +80) stack.
package memberlevel

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// ID is the plugin's id and the source of its adjustments.
const ID = "memberlevel"

//go:embed migrations/*.sql
var migrations embed.FS

//go:embed i18n/*.json
var messages embed.FS

func init() {
	sub, err := fs.Sub(messages, "i18n")
	if err != nil {
		panic(err)
	}
	i18n.MustAdd(sub)
}

// When growth is credited.
const (
	CreditOnComplete = "complete"
	CreditOnPay      = "pay"
)

// Plugin is the member levels plugin.
type Plugin struct {
	onPay   atomic.Bool  // credit when paid instead of completed
	perYuan atomic.Int64 // growth per ¥1 paid
}

// New returns the plugin with its defaults.
func New() *Plugin {
	p := &Plugin{}
	p.perYuan.Store(1)
	return p
}

// ID implements plugins.Plugin.
func (*Plugin) ID() string { return ID }

// Name implements plugins.Plugin.
func (*Plugin) Name() string { return "会员等级" }

// Description implements plugins.Describer.
func (*Plugin) Description() string {
	return "消费得成长值，按成长值自动升级会员等级，等级享会员折扣与权益；后台可手动调整等级和成长值"
}

// Migrations implements plugins.Migrator.
func (*Plugin) Migrations() fs.FS { return migrations }

// SettingsSchema implements plugins.Configurable.
func (*Plugin) SettingsSchema() []plugins.SettingField {
	return []plugins.SettingField{
		{Key: "credit_on", Kind: plugins.FieldSelect, Label: "memberlevel.setting.credit_on", Default: CreditOnComplete,
			Options: []plugins.SettingOption{{Value: CreditOnComplete, Label: "memberlevel.setting.on_complete"},
				{Value: CreditOnPay, Label: "memberlevel.setting.on_pay"}}},
		{Key: "per_yuan", Kind: plugins.FieldText, Label: "memberlevel.setting.per_yuan", Help: "memberlevel.setting.per_yuan_help", Default: "1"},
	}
}

// Configure implements plugins.Configurable.
func (p *Plugin) Configure(_ context.Context, v plugins.SettingValues) error {
	var errs store.ValidationErrors
	on := v.Get("credit_on")
	if on == "" {
		on = CreditOnComplete
	}
	if on != CreditOnComplete && on != CreditOnPay {
		errs.Add("credit_on", "memberlevel.err.credit_on")
	}
	per := int64(1)
	if s := strings.TrimSpace(v.Get("per_yuan")); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 || n > 100 {
			errs.Add("per_yuan", "memberlevel.err.per_yuan")
		}
		per = n
	}
	if err := errs.Err(); err != nil {
		return err
	}
	p.onPay.Store(on == CreditOnPay)
	p.perYuan.Store(per)
	return nil
}

// Register binds the member price and the order events.
func (p *Plugin) Register(r *plugins.Registry) error {
	if err := plugins.Bind(r, r.Price, ID, plugins.Handler[*plugins.PriceEvent]{ID: "price",
		Priority: plugins.PriceActivity + 60, Func: p.price}); err != nil {
		return err
	}
	if err := plugins.Bind(r, r.ProductView, ID, plugins.Handler[*plugins.ProductViewEvent]{ID: "block", Func: p.block}); err != nil {
		return err
	}
	return plugins.Bind(r, r.Order, ID, plugins.Handler[*plugins.OrderEvent]{ID: "growth", Func: p.onOrder})
}

// block is the product page's 会员价 strip: each level's price for the
// cheapest SKU. It is the same for every visitor (the event knows no
// customer, and anonymous product pages are cached), so it names the
// levels rather than the viewer's own; saving or deleting a level bumps
// the catalogue version to refresh cached pages.
func (p *Plugin) block(e *plugins.ProductViewEvent) error {
	if e.Store == nil {
		return e.Next()
	}
	var prices []levelPrice
	err := e.Store.Read(e.Ctx, func(tx *sql.Tx) error {
		levels, err := levelsTx(e.Ctx, tx)
		if err != nil {
			return err
		}
		var price store.Fen
		if err := tx.QueryRowContext(e.Ctx, `SELECT COALESCE(MIN(price_fen), 0) FROM skus WHERE product_id = ? AND deleted_at IS NULL`,
			e.ProductID).Scan(&price); err != nil {
			return err
		}
		for _, l := range levels {
			if l.HasDiscount() && price > 0 {
				prices = append(prices, levelPrice{Level: l, Price: price - l.Off(price)})
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(prices) > 0 {
		e.Blocks = append(e.Blocks, productStrip(prices))
	}
	return e.Next()
}

type levelPrice struct {
	Level *Level
	Price store.Fen
}

// Label is the adjustment's label: "V2会员9.5折".
func Label(ctx context.Context, l *Level) string {
	return i18n.Tc(ctx, "memberlevel.adjustment", "code", l.Code(), "zhe", Zhe(l.DiscountPct))
}

// price gives the member discount on the lines no activity priced, unless
// a line-stage discount already on the line is at least as good.
func (p *Plugin) price(e *plugins.PriceEvent) error {
	q := e.Quote
	if q.CustomerID == 0 {
		return e.Next()
	}
	m, err := memberTx(e.Ctx, e.Tx, q.CustomerID)
	if err != nil {
		return err
	}
	if m.Level == nil || !m.Level.HasDiscount() {
		return e.Next()
	}
	label := Label(e.Ctx, m.Level)
	for i, l := range q.Lines {
		if l.Status != store.CartOK || l.Activity != "" {
			continue
		}
		ApplyBetter(q, i, ID, label, strconv.FormatInt(m.Level.ID, 10), m.Level.Off(l.Subtotal()))
	}
	return e.Next()
}

// ApplyBetter gives line i the discount off at the line stage, recorded
// under source, unless the line-stage discounts other sources already put
// on it sum to at least off; when off is better, those are taken back (the
// line's discount and their adjustments) so the two never stack. It
// reports whether off was applied.
func ApplyBetter(q *store.Quote, i int, source, label, ref string, off store.Fen) bool {
	if off <= 0 {
		return false
	}
	var other store.Fen
	for _, a := range q.Adjustments {
		if a.Line == i && a.Stage == store.StageLine && a.Source != source {
			other -= a.Amount
		}
	}
	if off <= other {
		return false
	}
	if other > 0 {
		kept := q.Adjustments[:0]
		for _, a := range q.Adjustments {
			if a.Line == i && a.Stage == store.StageLine && a.Source != source {
				continue
			}
			kept = append(kept, a)
		}
		q.Adjustments = kept
		q.Lines[i].Discount -= other
	}
	before := len(q.Adjustments)
	q.DiscountLine(i, store.StageLine, source, label, off)
	if len(q.Adjustments) > before {
		q.Adjustments[len(q.Adjustments)-1].Ref = ref
	}
	return true
}

// onOrder credits an order's growth when it is completed (or paid, by the
// setting) and withdraws it pro rata when it is refunded.
func (p *Plugin) onOrder(e *plugins.OrderEvent) error {
	now := int64(0)
	if e.Store != nil {
		now = e.Store.Now().Unix()
	}
	switch {
	case e.Action == "refund":
		if err := withdrawTx(e.Ctx, e.Tx, now, e.OrderID, e.RefundGoods, e.Actor); err != nil {
			return err
		}
	case e.To == store.StatusCompleted && e.From != store.StatusCompleted,
		p.onPay.Load() && e.Action == "pay":
		if err := creditTx(e.Ctx, e.Tx, now, e.OrderID, p.perYuan.Load(), e.Actor); err != nil {
			return err
		}
	}
	return e.Next()
}

// Growth is what base fen earn at perYuan growth per ¥1, rounded down.
func Growth(base store.Fen, perYuan int64) int64 {
	if base <= 0 || perYuan <= 0 {
		return 0
	}
	return int64(base) * perYuan / 100
}

// creditTx credits an order's growth once: the goods it paid after
// discounts, less what was refunded already, without shipping.
func creditTx(ctx context.Context, tx *sql.Tx, now, orderID, perYuan int64, actor store.Actor) error {
	var customerID int64
	var no string
	if err := tx.QueryRowContext(ctx, `SELECT customer_id, no FROM orders WHERE id = ?`, orderID).Scan(&customerID, &no); err != nil {
		return fmt.Errorf("member growth: %w", err)
	}
	var base store.Fen
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(paid_fen - refunded_fen), 0) FROM order_lines WHERE order_id = ?`,
		orderID).Scan(&base); err != nil {
		return fmt.Errorf("member growth: %w", err)
	}
	growth := Growth(base, perYuan)
	res, err := tx.ExecContext(ctx, `INSERT INTO memberlevel_orders (order_id, customer_id, base_fen, growth, created_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (order_id) DO NOTHING`, orderID, customerID, base, growth, now)
	if err != nil {
		return fmt.Errorf("member growth: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 || growth == 0 {
		return nil // credited already, or nothing to credit
	}
	_, err = addGrowthTx(ctx, tx, now, customerID, growth, KindOrder, strconv.FormatInt(orderID, 10), no, actor, false)
	return err
}

// withdrawTx takes back the growth of refunded goods, in proportion to
// the base the order was credited on: what stays is growth × (base −
// refunded) / base, rounded down, so a full refund takes everything back.
// A refund before the credit needs nothing: the credit counts only what
// was not refunded.
func withdrawTx(ctx context.Context, tx *sql.Tx, now, orderID int64, refunded store.Fen, actor store.Actor) error {
	if refunded <= 0 {
		return nil
	}
	var customerID, growth, withdrawn int64
	var base, had store.Fen
	err := tx.QueryRowContext(ctx, `SELECT customer_id, base_fen, growth, refunded_fen, withdrawn FROM memberlevel_orders WHERE order_id = ?`,
		orderID).Scan(&customerID, &base, &growth, &had, &withdrawn)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("member growth refund: %w", err)
	}
	total := min(base, had+refunded)
	keep := int64(0)
	if base > 0 {
		keep = growth * int64(base-total) / int64(base)
	}
	delta := growth - keep - withdrawn
	if _, err := tx.ExecContext(ctx, `UPDATE memberlevel_orders SET refunded_fen = ?, withdrawn = withdrawn + ? WHERE order_id = ?`,
		total, max(delta, 0), orderID); err != nil {
		return fmt.Errorf("member growth refund: %w", err)
	}
	if delta <= 0 {
		return nil
	}
	var no string
	if err := tx.QueryRowContext(ctx, `SELECT no FROM orders WHERE id = ?`, orderID).Scan(&no); err != nil {
		return err
	}
	_, err = addGrowthTx(ctx, tx, now, customerID, -delta, KindRefund, strconv.FormatInt(orderID, 10), no, actor, false)
	return err
}

// MemberLinks implements plugins.MemberLinker: 会员等级 on the member page.
func (*Plugin) MemberLinks() []plugins.MemberLink {
	return []plugins.MemberLink{{ID: "memberlevel", Label: "memberlevel.mine.title", URL: minePath}}
}
