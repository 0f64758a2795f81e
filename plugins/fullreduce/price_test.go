package fullreduce_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/xiaodian/xiaodian/plugins/fullreduce"
	"github.com/xiaodian/xiaodian/store"
)

// Offers of the pricing table.
var (
	// 满100减10, 满200减30 over the shop.
	amountReduce = fullreduce.Offer{Kind: fullreduce.KindAmount, Mode: fullreduce.ModeReduce, Scope: fullreduce.ScopeAll,
		Tiers: []fullreduce.Tier{{Threshold: 10000, Value: 1000}, {Threshold: 20000, Value: 3000}}}
	// 满2件打9折, 满3件打8折.
	piecesDiscount = fullreduce.Offer{Kind: fullreduce.KindPieces, Mode: fullreduce.ModeDiscount, Scope: fullreduce.ScopeAll,
		Tiers: []fullreduce.Tier{{Threshold: 2, Value: 90}, {Threshold: 3, Value: 80}}}
)

func with(o fullreduce.Offer, f func(*fullreduce.Offer)) fullreduce.Offer {
	o.Tiers = append([]fullreduce.Tier(nil), o.Tiers...)
	f(&o)
	return o
}

// adj is an expected adjustment: the offer (index in the case's offers),
// the fen off and the label.
type adj struct {
	offer int
	off   store.Fen
	label string
}

func TestPricing(t *testing.T) {
	cases := []struct {
		name   string
		offers func(s *shop) []fullreduce.Offer
		flash  []string
		cart   []item
		want   []adj
		lines  []store.Fen // each line's discount
	}{
		{name: "amount below the first tier",
			offers: func(*shop) []fullreduce.Offer { return []fullreduce.Offer{amountReduce} },
			cart:   []item{{"P1", 3}}, // ¥90
			lines:  []store.Fen{0}},
		{name: "amount at the first tier",
			offers: func(*shop) []fullreduce.Offer { return []fullreduce.Offer{amountReduce} },
			cart:   []item{{"P2", 2}}, // ¥100
			want:   []adj{{0, 1000, "满100减10"}},
			lines:  []store.Fen{1000}},
		{name: "amount between tiers",
			offers: func(*shop) []fullreduce.Offer { return []fullreduce.Offer{amountReduce} },
			cart:   []item{{"P2", 3}, {"P1", 1}}, // ¥180
			want:   []adj{{0, 1000, "满100减10"}},
			lines:  []store.Fen{833, 167}}, // 1000 × 150/180 = 833.3, 1000 × 30/180 = 166.7
		{name: "amount at the highest tier",
			offers: func(*shop) []fullreduce.Offer { return []fullreduce.Offer{amountReduce} },
			cart:   []item{{"P2", 4}}, // ¥200
			want:   []adj{{0, 3000, "满200减30"}},
			lines:  []store.Fen{3000}},
		{name: "amount above the highest tier",
			offers: func(*shop) []fullreduce.Offer { return []fullreduce.Offer{amountReduce} },
			cart:   []item{{"P2", 9}}, // ¥450
			want:   []adj{{0, 3000, "满200减30"}},
			lines:  []store.Fen{3000}},
		{name: "pieces below the first tier",
			offers: func(*shop) []fullreduce.Offer { return []fullreduce.Offer{piecesDiscount} },
			cart:   []item{{"P1", 1}},
			lines:  []store.Fen{0}},
		{name: "pieces at the first tier, 9折",
			offers: func(*shop) []fullreduce.Offer { return []fullreduce.Offer{piecesDiscount} },
			cart:   []item{{"P1", 1}, {"P3", 1}}, // ¥50, 2 pieces
			want:   []adj{{0, 500, "满2件打9折"}},
			lines:  []store.Fen{300, 200}},
		{name: "pieces above the highest tier, 8折",
			offers: func(*shop) []fullreduce.Offer { return []fullreduce.Offer{piecesDiscount} },
			cart:   []item{{"P1", 2}, {"P3", 3}}, // ¥120, 5 pieces
			want:   []adj{{0, 2400, "满3件打8折"}},
			lines:  []store.Fen{1200, 1200}},
		{name: "discount rounds the fen off down",
			offers: func(*shop) []fullreduce.Offer {
				return []fullreduce.Offer{with(piecesDiscount, func(o *fullreduce.Offer) {
					o.Tiers = []fullreduce.Tier{{Threshold: 1, Value: 85}}
				})}
			},
			cart:  []item{{"P4", 1}}, // ¥9.99 × 15% = 149.85 fen
			want:  []adj{{0, 149, "满1件打8.5折"}},
			lines: []store.Fen{149}},
		{name: "discount rounding over several pieces",
			offers: func(*shop) []fullreduce.Offer {
				return []fullreduce.Offer{with(piecesDiscount, func(o *fullreduce.Offer) {
					o.Tiers = []fullreduce.Tier{{Threshold: 3, Value: 95}}
				})}
			},
			cart:  []item{{"P4", 3}}, // 2997 × 5% = 149.85
			want:  []adj{{0, 149, "满3件打9.5折"}},
			lines: []store.Fen{149}},
		{name: "scope products leaves the others out",
			offers: func(s *shop) []fullreduce.Offer {
				return []fullreduce.Offer{with(piecesDiscount, func(o *fullreduce.Offer) {
					o.Scope, o.ScopeIDs = fullreduce.ScopeProducts, []int64{s.pids["P1"], s.pids["P3"]}
				})}
			},
			cart:  []item{{"P1", 2}, {"P4", 5}, {"P3", 1}}, // in scope: 3 pieces, ¥80
			want:  []adj{{0, 1600, "满3件打8折"}},
			lines: []store.Fen{1200, 0, 400}},
		{name: "scope products not reached by the others",
			offers: func(s *shop) []fullreduce.Offer {
				return []fullreduce.Offer{with(piecesDiscount, func(o *fullreduce.Offer) {
					o.Scope, o.ScopeIDs = fullreduce.ScopeProducts, []int64{s.pids["P1"]}
				})}
			},
			cart:  []item{{"P1", 1}, {"P3", 4}},
			lines: []store.Fen{0, 0}},
		{name: "scope top category takes in its child",
			offers: func(s *shop) []fullreduce.Offer {
				return []fullreduce.Offer{with(amountReduce, func(o *fullreduce.Offer) {
					o.Scope, o.ScopeIDs = fullreduce.ScopeCategories, []int64{s.cats["A"]}
				})}
			},
			cart:  []item{{"P1", 1}, {"P3", 5}, {"P2", 2}}, // in scope: ¥30 + ¥100
			want:  []adj{{0, 1000, "满100减10"}},
			lines: []store.Fen{231, 0, 769}}, // 1000 × 30/130 = 230.8, × 100/130 = 769.2
		{name: "scope child category leaves the parent's own products out",
			offers: func(s *shop) []fullreduce.Offer {
				return []fullreduce.Offer{with(amountReduce, func(o *fullreduce.Offer) {
					o.Scope, o.ScopeIDs = fullreduce.ScopeCategories, []int64{s.cats["A1"]}
				})}
			},
			cart:  []item{{"P1", 3}, {"P2", 2}}, // in scope: ¥90
			lines: []store.Fen{0, 0}},
		{name: "two offers over different products",
			offers: func(s *shop) []fullreduce.Offer {
				return []fullreduce.Offer{
					with(amountReduce, func(o *fullreduce.Offer) {
						o.Scope, o.ScopeIDs = fullreduce.ScopeCategories, []int64{s.cats["A"]}
					}),
					with(piecesDiscount, func(o *fullreduce.Offer) {
						o.Scope, o.ScopeIDs = fullreduce.ScopeProducts, []int64{s.pids["P3"], s.pids["P4"]}
					}),
				}
			},
			cart:  []item{{"P2", 2}, {"P3", 1}, {"P4", 1}},         // A: ¥100; P3+P4: 2 pieces, ¥29.99
			want:  []adj{{0, 1000, "满100减10"}, {1, 299, "满2件打9折"}}, // 2999 × 10% = 299.9
			lines: []store.Fen{1000, 199, 100}},                    // 299 × 2000/2999 = 199.4, × 999/2999 = 99.6: the 1 left to P4
		{name: "allocation over lines sums to the discount",
			offers: func(*shop) []fullreduce.Offer {
				return []fullreduce.Offer{with(amountReduce, func(o *fullreduce.Offer) {
					o.Tiers = []fullreduce.Tier{{Threshold: 1000, Value: 100}}
				})}
			},
			cart:  []item{{"P4", 1}, {"P3", 1}, {"P1", 1}}, // ¥59.99
			want:  []adj{{0, 100, "满10减1"}},
			lines: []store.Fen{17, 33, 50}}, // 16.65, 33.34, 50.01: the 1 left goes to the largest remainder
		{name: "activity lines are in no offer",
			offers: func(*shop) []fullreduce.Offer { return []fullreduce.Offer{amountReduce} },
			flash:  []string{"P2"},
			cart:   []item{{"P2", 4}, {"P1", 3}}, // P2 at ¥25 by the flash sale; P1 ¥90 alone
			lines:  []store.Fen{0, 0}},
		{name: "activity lines leave the rest in the offer",
			offers: func(*shop) []fullreduce.Offer { return []fullreduce.Offer{amountReduce} },
			flash:  []string{"P2"},
			cart:   []item{{"P2", 4}, {"P1", 4}}, // P1 ¥120
			want:   []adj{{0, 1000, "满100减10"}},
			lines:  []store.Fen{0, 1000}},
		{name: "stopped offer is ignored",
			offers: func(*shop) []fullreduce.Offer {
				return []fullreduce.Offer{with(amountReduce, func(o *fullreduce.Offer) { o.Status = fullreduce.StatusStopped })}
			},
			cart:  []item{{"P2", 4}},
			lines: []store.Fen{0}},
		{name: "ended offer is ignored",
			offers: func(*shop) []fullreduce.Offer {
				return []fullreduce.Offer{with(amountReduce, func(o *fullreduce.Offer) {
					o.StartsAt, o.EndsAt = now.Add(-48*time.Hour), now
				})}
			},
			cart:  []item{{"P2", 4}},
			lines: []store.Fen{0}},
		{name: "scheduled offer is ignored",
			offers: func(*shop) []fullreduce.Offer {
				return []fullreduce.Offer{with(amountReduce, func(o *fullreduce.Offer) {
					o.StartsAt, o.EndsAt = now.Add(time.Second), now.Add(time.Hour)
				})}
			},
			cart:  []item{{"P2", 4}},
			lines: []store.Fen{0}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newShop(t)
			for _, name := range tc.flash {
				s.flash = append(s.flash, s.pids[name])
			}
			var ids []int64
			for _, o := range tc.offers(s) {
				ids = append(ids, s.offer(t, o))
			}
			q := s.quote(t, tc.cart...)
			got := fullreduceAdjustments(q)
			if len(got) != len(tc.want) {
				t.Fatalf("adjustments = %+v, want %d", got, len(tc.want))
			}
			for i, w := range tc.want {
				g := got[i]
				if g.Amount != -w.off || g.Label != w.label || g.Ref != strconv.FormatInt(ids[w.offer], 10) ||
					g.Stage != store.StageDiscount || g.Line != -1 {
					t.Errorf("adjustment %d = %+v, want -%d %q ref %d", i, g, w.off, w.label, ids[w.offer])
				}
			}
			var sum, want store.Fen
			for i, l := range q.Lines {
				if l.Discount != tc.lines[i] {
					t.Errorf("line %d (%s) discount = %d, want %d", i, tc.cart[i].name, l.Discount, tc.lines[i])
				}
				sum += l.Discount
			}
			for _, w := range tc.want {
				want += w.off
			}
			if sum != want || q.Discount() != want {
				t.Errorf("lines' discounts sum to %d (quote %d), want %d", sum, q.Discount(), want)
			}
		})
	}
}

// TestPricingDisabled: a plugin switched off takes nothing off.
func TestPricingDisabled(t *testing.T) {
	s := newShop(t)
	s.offer(t, amountReduce)
	if err := s.reg.SetEnabled(fullreduce.ID, false); err != nil {
		t.Fatal(err)
	}
	if q := s.quote(t, item{"P2", 4}); q.Discount() != 0 {
		t.Fatalf("discount %d with the plugin off", q.Discount())
	}
}
