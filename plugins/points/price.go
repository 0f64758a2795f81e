package points

import (
	"context"
	"strconv"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// Points at checkout. The buyer switches them on (Options["points"]): the
// value is the number of points the page offered, or "1" for as many as
// the rules allow. The deduction is at most MaxPercent of the goods after
// the discounts, and at most what the balance is worth (PerYuan points =
// ¥1, rounded down to the fen); it is spread over every line by largest
// remainder. When the order is placed and the balance no longer covers
// what the page showed, the order is refused rather than priced
// differently; the points are then taken off inside the order's
// transaction (onOrder, create).

// OptionKey is the checkout option of the points.
const OptionKey = "points"

// OptionAll is the option value that spends as many points as allowed.
const OptionAll = "1"

const optionOff = "0"

// Deduction is what points can take off goods worth base with balance
// points: the fen taken off and the points that costs.
func Deduction(base store.Fen, balance int64, r Rules) (store.Fen, int64) {
	if base <= 0 || balance <= 0 || r.PerYuan <= 0 || r.MaxPercent <= 0 {
		return 0, 0
	}
	capFen := base * store.Fen(r.MaxPercent) / 100
	worth := store.Fen(balance * 100 / r.PerYuan)
	fen := min(capFen, worth)
	if fen <= 0 {
		return 0, 0
	}
	// The points that buy fen, rounded up: never more than the balance,
	// since fen is at most what the balance is worth.
	pts := (int64(fen)*r.PerYuan + 99) / 100
	return fen, pts
}

// price is the filter at the points stage.
func (p *Plugin) price(e *plugins.PriceEvent) error {
	q := e.Quote
	if q.CustomerID == 0 {
		return e.Next()
	}
	choice := q.Option(OptionKey)
	balance, err := BalanceTx(e.Ctx, e.Tx, q.CustomerID)
	if err != nil {
		return err
	}
	if balance <= 0 {
		if q.Placing && choice != "" && choice != optionOff {
			return store.Invalid("items", "points.err.balance")
		}
		return e.Next()
	}
	r := p.Rules()
	var lines []int
	var base store.Fen
	for i, l := range q.Lines {
		if l.Status == store.CartOK && l.Payable() > 0 {
			lines = append(lines, i)
			base += l.Payable()
		}
	}
	fen, pts := Deduction(base, balance, r)
	on := false
	switch choice {
	case "", optionOff:
	case OptionAll:
		on = fen > 0
	default:
		want, err := strconv.ParseInt(choice, 10, 64)
		switch {
		case err == nil && want == pts && fen > 0:
			on = true
		case q.Placing:
			// The page offered another deduction than the balance now
			// allows: never place the order at another price.
			return store.Invalid("items", "points.err.balance")
		}
		// A stale offer on the page: shown off, to be switched on again.
	}
	if q.Placing && choice == OptionAll && !on {
		return store.Invalid("items", "points.err.balance")
	}
	q.Choices = append(q.Choices, choice_(e.Ctx, balance, fen, pts, on))
	if on {
		q.DiscountLines(lines, store.StagePoints, ID, i18n.Tc(e.Ctx, "points.checkout.adjust", "n", pts), strconv.FormatInt(pts, 10), fen)
	}
	return e.Next()
}

// choice_ is the checkout's switch: 使用积分 抵扣¥x.xx (用 N 积分).
func choice_(ctx context.Context, balance int64, fen store.Fen, pts int64, on bool) store.CheckoutChoice {
	ch := store.CheckoutChoice{Key: OptionKey, Label: i18n.Tc(ctx, "points.checkout.label"), Toggle: true}
	opt := store.ChoiceOption{Value: strconv.FormatInt(pts, 10), Amount: fen, Selected: on,
		Label: i18n.Tc(ctx, "points.checkout.on", "amount", fen.String(), "n", pts)}
	if fen <= 0 {
		opt.Value = OptionAll
		opt.Reason = i18n.Tc(ctx, "points.checkout.unusable", "n", balance)
	}
	ch.Options = []store.ChoiceOption{opt, {Value: optionOff, Label: i18n.Tc(ctx, "points.checkout.off"), Selected: !on}}
	if on {
		ch.Summary = "-¥" + fen.String()
	} else {
		ch.Summary = i18n.Tc(ctx, "points.checkout.balance", "n", balance)
	}
	return ch
}
