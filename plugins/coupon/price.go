package coupon

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// The coupon in the price pipeline. One coupon per order: the buyer's
// choice (Options["coupon"]: a copy's id, or "none"), else the one that
// saves the most. Amount and percent coupons are order-level discounts
// spread over the lines in their scope; a shipping coupon removes the fee
// after the shipping filter. Lines priced by an activity (flash sale,
// group, bargain) are never in a coupon's scope. Whether a coupon goes
// with 满减 is the plugin's "stack" setting; when it does not, an order
// that got a 满减 offer cannot use one.

// OptionKey is the checkout option that carries the buyer's choice.
const OptionKey = "coupon"

// optionNone is the choice of no coupon.
const optionNone = "none"

// fullReduceSource is the 满减 plugin's id, whose adjustments decide the
// stacking rule.
const fullReduceSource = "fullreduce"

// candidate is a usable copy and what it would save on this quote.
type candidate struct {
	held   *Held
	lines  []int
	saves  store.Fen
	reason string // why it cannot be used here, "" when it can
}

// evaluate works out what each of the customer's copies would do on q.
// parents maps each category to its parent (0 for a top-level one).
func (p *Plugin) evaluate(ctx context.Context, q *store.Quote, held []*Held, parents map[int64]int64) []candidate {
	stacked := false
	for _, a := range q.Adjustments {
		if a.Source == fullReduceSource && a.Amount < 0 {
			stacked = true
		}
	}
	out := make([]candidate, 0, len(held))
	for _, h := range held {
		c := candidate{held: h}
		var base store.Fen
		for i, l := range q.Lines {
			if l.Status == store.CartOK && l.Activity == "" && h.Coupon.covers(l.ProductID, l.CategoryID, parents[l.CategoryID]) {
				c.lines = append(c.lines, i)
				base += l.Payable()
			}
		}
		switch {
		case stacked && !p.stacks():
			c.reason = i18n.Tc(ctx, "coupon.reason.no_stack")
		case len(c.lines) == 0:
			c.reason = i18n.Tc(ctx, "coupon.reason.scope")
		case base < h.Coupon.Threshold:
			c.reason = i18n.Tc(ctx, "coupon.reason.threshold", "amount", (h.Coupon.Threshold - base).String())
		case h.Coupon.Kind == KindShipping:
			if q.Delivery != store.DeliveryExpress {
				c.reason = i18n.Tc(ctx, "coupon.reason.no_shipping")
			}
		default:
			c.saves = h.Coupon.discount(base)
		}
		out = append(out, c)
	}
	return out
}

// priceDiscount is the filter at the discount stage: it applies the
// chosen (or best) amount or percent coupon, and offers the choice.
func (p *Plugin) priceDiscount(e *plugins.PriceEvent) error {
	q := e.Quote
	if q.CustomerID == 0 {
		return e.Next()
	}
	held, err := usableTx(e.Ctx, e.Tx, q.CustomerID, p.now(e))
	if err != nil {
		return err
	}
	if len(held) == 0 && q.Option(OptionKey) == "" {
		return e.Next()
	}
	parents, err := parentsTx(e.Ctx, e.Tx, q)
	if err != nil {
		return err
	}
	cands := p.evaluate(e.Ctx, q, held, parents)
	choice := q.Option(OptionKey)
	pick := -1
	switch choice {
	case optionNone:
	case "":
		// The best: the most saved; a shipping coupon only when nothing
		// else saves (its saving is known after the shipping stage).
		for i, c := range cands {
			if c.reason == "" && c.held.Coupon.Kind != KindShipping && c.saves > 0 && (pick < 0 || c.saves > cands[pick].saves) {
				pick = i
			}
		}
		if pick < 0 {
			for i, c := range cands {
				if c.reason == "" && c.held.Coupon.Kind == KindShipping {
					pick = i
					break
				}
			}
		}
	default:
		pick = -2
		for i, c := range cands {
			if strconv.FormatInt(c.held.ID, 10) == choice {
				pick = i
			}
		}
		if pick == -2 || cands[pick].reason != "" {
			if q.Placing {
				// The buyer chose this coupon on the page: never place the
				// order at another price than the one they saw.
				return store.Invalid("items", "coupon.err.unusable")
			}
			pick = -1
		}
	}
	if len(cands) > 0 {
		q.Choices = append(q.Choices, p.choice(e.Ctx, cands, pick))
	}
	if pick >= 0 {
		c := cands[pick]
		p.chosen(q, c.held)
		if c.held.Coupon.Kind != KindShipping {
			q.DiscountLines(c.lines, store.StageDiscount, ID, c.held.Coupon.Name, strconv.FormatInt(c.held.ID, 10), c.saves)
		}
	}
	return e.Next()
}

// chosen records a chosen shipping coupon as an adjustment of nothing,
// which the shipping filter turns into the waived fee.
func (p *Plugin) chosen(q *store.Quote, h *Held) {
	if h.Coupon.Kind != KindShipping {
		return
	}
	q.Adjust(store.QuoteAdjustment{Line: -1, Stage: store.StageShipping, Source: ID, Label: h.Coupon.Name,
		Ref: strconv.FormatInt(h.ID, 10)})
}

// priceShipping is the filter after the shipping fee: a chosen shipping
// coupon waives it. With no fee to waive the coupon is still recorded (and
// used): the order is what the buyer picked.
func (p *Plugin) priceShipping(e *plugins.PriceEvent) error {
	q := e.Quote
	for i, a := range q.Adjustments {
		if a.Source == ID && a.Stage == store.StageShipping && a.Amount == 0 {
			q.Adjustments[i].Amount = -q.Shipping
			q.Adjustments[i].Label = i18n.Tc(e.Ctx, "coupon.free_shipping")
			q.Shipping = 0
		}
	}
	return e.Next()
}

// choice is the checkout row of the coupons.
func (p *Plugin) choice(ctx context.Context, cands []candidate, pick int) store.CheckoutChoice {
	ch := store.CheckoutChoice{Key: OptionKey, Label: i18n.Tc(ctx, "coupon.checkout.label")}
	usable := 0
	for i, c := range cands {
		opt := store.ChoiceOption{Value: strconv.FormatInt(c.held.ID, 10), Label: Describe(ctx, c.held.Coupon),
			Detail: c.held.Coupon.Name + " · " + validUntil(ctx, c.held.ValidTo), Amount: c.saves, Selected: i == pick, Reason: c.reason}
		if c.reason == "" {
			usable++
		}
		ch.Options = append(ch.Options, opt)
	}
	ch.Options = append(ch.Options, store.ChoiceOption{Value: optionNone, Label: i18n.Tc(ctx, "coupon.checkout.none"), Selected: pick < 0})
	switch {
	case pick >= 0 && cands[pick].held.Coupon.Kind == KindShipping:
		ch.Summary = i18n.Tc(ctx, "coupon.free_shipping")
	case pick >= 0:
		ch.Summary = "-" + cands[pick].saves.Yuan()
	case usable > 0:
		ch.Summary = i18n.Tc(ctx, "coupon.checkout.usable", "n", usable)
	default:
		ch.Summary = i18n.Tc(ctx, "coupon.checkout.none_usable")
	}
	return ch
}

// Describe is a coupon's rule in words: 满100减10, 8.5折, 无门槛减5, 免运费.
func Describe(ctx context.Context, c *Coupon) string {
	switch c.Kind {
	case KindAmount:
		if c.Threshold == 0 {
			return i18n.Tc(ctx, "coupon.rule.amount_free", "amount", short(c.Amount))
		}
		return i18n.Tc(ctx, "coupon.rule.amount", "threshold", short(c.Threshold), "amount", short(c.Amount))
	case KindPercent:
		r := i18n.Tc(ctx, "coupon.rule.percent", "zhe", zhe(c.Percent), "off", strconv.Itoa(100-c.Percent))
		if c.Threshold > 0 {
			r = i18n.Tc(ctx, "coupon.rule.threshold", "threshold", short(c.Threshold)) + r
		}
		return r
	default:
		if c.Threshold > 0 {
			return i18n.Tc(ctx, "coupon.rule.threshold", "threshold", short(c.Threshold)) + i18n.Tc(ctx, "coupon.free_shipping")
		}
		return i18n.Tc(ctx, "coupon.free_shipping")
	}
}

// short is yuan without needless decimals: 10000 → "100", 1050 → "10.5".
func short(f store.Fen) string {
	s := f.String()
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// zhe is a percent as 折: 85 → "8.5", 90 → "9".
func zhe(percent int) string {
	if percent%10 == 0 {
		return strconv.Itoa(percent / 10)
	}
	return strconv.Itoa(percent/10) + "." + strconv.Itoa(percent%10)
}

func validUntil(ctx context.Context, t time.Time) string {
	return i18n.Tc(ctx, "coupon.valid_until", "date", t.Local().Format("2006-01-02"))
}

// now is the store's clock.
func (p *Plugin) now(e *plugins.PriceEvent) time.Time {
	if e.Store != nil {
		return e.Store.Now()
	}
	return time.Now()
}

// parentsTx reads the parent of each category of the quote's lines.
func parentsTx(ctx context.Context, tx *sql.Tx, q *store.Quote) (map[int64]int64, error) {
	out := map[int64]int64{}
	var ids []any
	for _, l := range q.Lines {
		if _, ok := out[l.CategoryID]; !ok && l.CategoryID > 0 {
			out[l.CategoryID] = 0
			ids = append(ids, l.CategoryID)
		}
	}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, COALESCE(parent_id, 0) FROM categories WHERE id IN (`+
		strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")+`)`, ids...)
	if err != nil {
		return nil, fmt.Errorf("coupon categories: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, parent int64
		if err := rows.Scan(&id, &parent); err != nil {
			return nil, fmt.Errorf("coupon categories: %w", err)
		}
		out[id] = parent
	}
	return out, rows.Err()
}
