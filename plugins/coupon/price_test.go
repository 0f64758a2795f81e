package coupon

import (
	"context"
	"testing"
	"time"

	"github.com/xiaodian/xiaodian/store"
)

// line is a quote line of product p in category c at price × qty.
func line(p, c int64, price store.Fen, qty int) store.QuoteLine {
	return store.QuoteLine{ProductID: p, CategoryID: c, SKUPrice: price, UnitPrice: price, Qty: qty, Status: store.CartOK}
}

func held(id int64, c Coupon) *Held {
	c.ID = id
	return &Held{ID: id, Coupon: &c, Status: "unused", ValidFrom: time.Unix(0, 0), ValidTo: time.Now().Add(time.Hour)}
}

// TestCouponPricing is the table of what a coupon takes off, to the fen,
// and how the discount is spread over the lines in its scope.
func TestCouponPricing(t *testing.T) {
	ctx := context.Background()
	amount := func(th, off store.Fen) Coupon {
		return Coupon{Name: "满减", Kind: KindAmount, Threshold: th, Amount: off, Scope: ScopeAll}
	}
	tests := []struct {
		name      string
		lines     []store.QuoteLine
		prior     store.Fen // a 满减 already taken off the first line
		coupon    Coupon
		noStack   bool
		saves     store.Fen
		reason    bool
		perLine   []store.Fen // the coupon's share of each line
		activityN int         // lines priced by an activity (first ones)
	}{
		{name: "under the threshold", lines: []store.QuoteLine{line(1, 1, 9999, 1)}, coupon: amount(10000, 1000), reason: true},
		{name: "at the threshold", lines: []store.QuoteLine{line(1, 1, 10000, 1)}, coupon: amount(10000, 1000), saves: 1000, perLine: []store.Fen{1000}},
		{name: "no threshold, more than the goods", lines: []store.QuoteLine{line(1, 1, 300, 1)}, coupon: amount(0, 500), saves: 300, perLine: []store.Fen{300}},
		{name: "spread by largest remainder", lines: []store.QuoteLine{line(1, 1, 3333, 1), line(2, 1, 3333, 1), line(3, 1, 3334, 1)},
			coupon: amount(0, 1000), saves: 1000, perLine: []store.Fen{333, 333, 334}},
		{name: "percent rounds down to the fen", lines: []store.QuoteLine{line(1, 1, 1999, 3)},
			coupon: Coupon{Kind: KindPercent, Percent: 85, Scope: ScopeAll}, saves: 899, perLine: []store.Fen{899}}, // 5997 × 15 % = 899.55
		{name: "percent with a cap", lines: []store.QuoteLine{line(1, 1, 100000, 1)},
			coupon: Coupon{Kind: KindPercent, Percent: 80, Cap: 5000, Scope: ScopeAll}, saves: 5000, perLine: []store.Fen{5000}},
		{name: "category scope: only its lines count toward the threshold",
			lines:  []store.QuoteLine{line(1, 7, 6000, 1), line(2, 8, 9000, 1)},
			coupon: Coupon{Kind: KindAmount, Threshold: 8000, Amount: 800, Scope: ScopeCategories, ScopeIDs: []int64{7}}, reason: true},
		{name: "category scope met", lines: []store.QuoteLine{line(1, 7, 6000, 2), line(2, 8, 9000, 1)},
			coupon: Coupon{Kind: KindAmount, Threshold: 8000, Amount: 800, Scope: ScopeCategories, ScopeIDs: []int64{7}},
			saves:  800, perLine: []store.Fen{800, 0}},
		{name: "a top-level category covers its subcategories", lines: []store.QuoteLine{line(1, 7, 6000, 2), line(2, 8, 9000, 1)},
			coupon: Coupon{Kind: KindAmount, Threshold: 8000, Amount: 800, Scope: ScopeCategories, ScopeIDs: []int64{70}},
			saves:  800, perLine: []store.Fen{800, 0}},
		{name: "product exclusion", lines: []store.QuoteLine{line(1, 7, 5000, 1), line(2, 7, 5000, 1)},
			coupon: Coupon{Kind: KindAmount, Amount: 1000, Scope: ScopeProducts, ScopeExclude: true, ScopeIDs: []int64{1}},
			saves:  1000, perLine: []store.Fen{0, 1000}},
		{name: "activity lines are never in scope", lines: []store.QuoteLine{line(1, 7, 5000, 1), line(2, 7, 3000, 1)}, activityN: 1,
			coupon: amount(4000, 500), reason: true},
		{name: "threshold after 满减", lines: []store.QuoteLine{line(1, 1, 10500, 1)}, prior: 1000, coupon: amount(10000, 1000), reason: true},
		{name: "stacks with 满减", lines: []store.QuoteLine{line(1, 1, 12000, 1)}, prior: 1000, coupon: amount(10000, 1000),
			saves: 1000, perLine: []store.Fen{1000}},
		{name: "does not stack with 满减", lines: []store.QuoteLine{line(1, 1, 12000, 1)}, prior: 1000, coupon: amount(10000, 1000),
			noStack: true, reason: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := New()
			p.noStack.Store(tt.noStack)
			q := &store.Quote{Lines: append([]store.QuoteLine(nil), tt.lines...), Delivery: store.DeliveryExpress}
			for i := range tt.activityN {
				q.Lines[i].Activity = "seckill"
			}
			if tt.prior > 0 {
				q.DiscountLines([]int{0}, store.StageDiscount, fullReduceSource, "满减", "1", tt.prior)
			}
			before := make([]store.Fen, len(q.Lines))
			for i, l := range q.Lines {
				before[i] = l.Discount
			}
			c := p.evaluate(ctx, q, []*Held{held(9, tt.coupon)}, map[int64]int64{7: 70, 8: 0})[0]
			if (c.reason != "") != tt.reason {
				t.Fatalf("reason %q, want one: %v", c.reason, tt.reason)
			}
			if tt.reason {
				return
			}
			if c.saves != tt.saves {
				t.Fatalf("saves %d, want %d", c.saves, tt.saves)
			}
			got := q.DiscountLines(c.lines, store.StageDiscount, ID, "券", "9", c.saves)
			if got != tt.saves {
				t.Fatalf("took off %d, want %d", got, tt.saves)
			}
			var sum store.Fen
			for i, l := range q.Lines {
				share := l.Discount - before[i]
				sum += share
				if share != tt.perLine[i] {
					t.Fatalf("line %d share %d, want %d", i, share, tt.perLine[i])
				}
			}
			if sum != tt.saves {
				t.Fatalf("shares sum to %d, want %d", sum, tt.saves)
			}
		})
	}
}

func TestDescribe(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		c    Coupon
		want string
	}{
		{Coupon{Kind: KindAmount, Threshold: 10000, Amount: 1000}, "满100减10"},
		{Coupon{Kind: KindAmount, Amount: 500}, "无门槛减5"},
		{Coupon{Kind: KindPercent, Percent: 85}, "8.5折"},
		{Coupon{Kind: KindPercent, Percent: 90, Threshold: 5000}, "满50 9折"},
		{Coupon{Kind: KindShipping}, "免运费"},
	} {
		if got := Describe(ctx, &tt.c); got != tt.want {
			t.Errorf("Describe(%+v) = %q, want %q", tt.c, got, tt.want)
		}
	}
}

func TestValidate(t *testing.T) {
	now := time.Now()
	ok := Coupon{Name: "券", Kind: KindAmount, Amount: 100, Scope: ScopeAll, Validity: ValidDays, Days: 3, PerUser: 1, Channel: ChannelCentre}
	if err := ok.validate(); err != nil {
		t.Fatalf("valid coupon refused: %v", err)
	}
	for name, mut := range map[string]func(c *Coupon){
		"no name":             func(c *Coupon) { c.Name = " " },
		"amount ≥ threshold":  func(c *Coupon) { c.Threshold = 100 },
		"percent 100":         func(c *Coupon) { c.Kind, c.Percent = KindPercent, 100 },
		"scope without ids":   func(c *Coupon) { c.Scope = ScopeProducts },
		"window backwards":    func(c *Coupon) { c.Validity, c.StartsAt, c.EndsAt = ValidFixed, now, now.Add(-time.Hour) },
		"zero days":           func(c *Coupon) { c.Days = 0 },
		"per user 0":          func(c *Coupon) { c.PerUser = 0 },
		"unknown channel":     func(c *Coupon) { c.Channel = "x" },
		"unknown kind":        func(c *Coupon) { c.Kind = "x" },
		"negative total":      func(c *Coupon) { c.Total = -1 },
		"too many scope ids":  func(c *Coupon) { c.Scope, c.ScopeIDs = ScopeProducts, make([]int64, MaxScopeIDs+1) },
		"negative threshold":  func(c *Coupon) { c.Threshold = -1 },
		"days over the limit": func(c *Coupon) { c.Days = MaxDays + 1 },
	} {
		c := ok
		mut(&c)
		if err := c.validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
