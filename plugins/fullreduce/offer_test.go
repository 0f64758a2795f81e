package fullreduce_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/xiaodian/xiaodian/plugins/fullreduce"
	"github.com/xiaodian/xiaodian/store"
)

// refused checks that err is a validation error on field with key.
func refused(t *testing.T, err error, field, key string) {
	t.Helper()
	var ves store.ValidationErrors
	if !errors.As(err, &ves) {
		t.Fatalf("err = %v, want a validation error %s: %s", err, field, key)
	}
	for _, e := range ves {
		if e.Field == field && e.Key == key {
			return
		}
	}
	t.Fatalf("err = %v, want %s: %s", err, field, key)
}

func countOffers(t *testing.T, s *shop) int {
	t.Helper()
	offers, err := fullreduce.Offers(context.Background(), s.db)
	if err != nil {
		t.Fatal(err)
	}
	return len(offers)
}

func TestSaveOfferValidation(t *testing.T) {
	s := newShop(t)
	tier := func(ts ...int64) []fullreduce.Tier {
		var out []fullreduce.Tier
		for i := 0; i+1 < len(ts); i += 2 {
			out = append(out, fullreduce.Tier{Threshold: ts[i], Value: ts[i+1]})
		}
		return out
	}
	cases := []struct {
		name       string
		edit       func(o *fullreduce.Offer)
		field, key string
	}{
		{"no name", func(o *fullreduce.Offer) { o.Name = "  " }, "name", "validation.required"},
		{"name too long", func(o *fullreduce.Offer) { o.Name = strings.Repeat("满", 31) }, "name", "validation.max_len"},
		{"bad kind", func(o *fullreduce.Offer) { o.Kind = "weight" }, "kind", "fullreduce.err.kind"},
		{"bad mode", func(o *fullreduce.Offer) { o.Mode = "gift" }, "mode", "fullreduce.err.mode"},
		{"no tiers", func(o *fullreduce.Offer) { o.Tiers = nil }, "tiers", "fullreduce.err.tiers_empty"},
		{"too many tiers", func(o *fullreduce.Offer) { o.Tiers = tier(1e4, 1e2, 2e4, 2e2, 3e4, 3e2, 4e4, 4e2, 5e4, 5e2, 6e4, 6e2) }, "tiers", "fullreduce.err.tiers_too_many"},
		{"thresholds not increasing", func(o *fullreduce.Offer) { o.Tiers = tier(20000, 1000, 20000, 2000) }, "tiers", "fullreduce.err.thresholds_increasing"},
		{"thresholds decreasing", func(o *fullreduce.Offer) { o.Tiers = tier(20000, 1000, 10000, 2000) }, "tiers", "fullreduce.err.thresholds_increasing"},
		{"values not increasing", func(o *fullreduce.Offer) { o.Tiers = tier(10000, 2000, 20000, 2000) }, "tiers", "fullreduce.err.values_increasing"},
		{"zero value", func(o *fullreduce.Offer) { o.Tiers = tier(10000, 0) }, "tiers", "fullreduce.err.value"},
		{"zero threshold", func(o *fullreduce.Offer) { o.Tiers = tier(0, 100) }, "tiers", "fullreduce.err.threshold"},
		{"reduce the whole threshold", func(o *fullreduce.Offer) { o.Tiers = tier(10000, 10000) }, "tiers", "fullreduce.err.value_over_threshold"},
		{"percent 100", func(o *fullreduce.Offer) { o.Mode, o.Tiers = fullreduce.ModeDiscount, tier(10000, 100) }, "tiers", "fullreduce.err.percent"},
		{"percent 0", func(o *fullreduce.Offer) { o.Mode, o.Tiers = fullreduce.ModeDiscount, tier(10000, 0) }, "tiers", "fullreduce.err.percent"},
		{"percent paid rising", func(o *fullreduce.Offer) { o.Mode, o.Tiers = fullreduce.ModeDiscount, tier(10000, 80, 20000, 90) }, "tiers", "fullreduce.err.values_increasing"},
		{"bad scope", func(o *fullreduce.Offer) { o.Scope = "brands" }, "scope", "fullreduce.err.scope"},
		{"empty scope", func(o *fullreduce.Offer) { o.Scope = fullreduce.ScopeProducts }, "scope_ids", "fullreduce.err.scope_empty"},
		{"unknown product", func(o *fullreduce.Offer) { o.Scope, o.ScopeIDs = fullreduce.ScopeProducts, []int64{s.pids["P1"], 9999} }, "scope_ids", "fullreduce.err.scope_unknown_products"},
		{"unknown category", func(o *fullreduce.Offer) { o.Scope, o.ScopeIDs = fullreduce.ScopeCategories, []int64{9999} }, "scope_ids", "fullreduce.err.scope_unknown_categories"},
		{"ends before it starts", func(o *fullreduce.Offer) { o.EndsAt = o.StartsAt }, "ends_at", "fullreduce.err.ends_before"},
		{"no start", func(o *fullreduce.Offer) { o.StartsAt = time.Time{} }, "starts_at", "validation.required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := with(amountReduce, func(o *fullreduce.Offer) {
				o.Name, o.StartsAt, o.EndsAt = "满减", now, now.Add(time.Hour)
			})
			tc.edit(&o)
			_, err := fullreduce.SaveOffer(context.Background(), s.db, &o)
			refused(t, err, tc.field, tc.key)
			if n := countOffers(t, s); n != 0 {
				t.Fatalf("%d offers written", n)
			}
		})
	}
}

// TestOneActiveOfferPerProduct: an active offer that may share a product
// with another active offer in an overlapping window is refused, and
// nothing is written; offers that cannot meet are accepted.
func TestOneActiveOfferPerProduct(t *testing.T) {
	day := 24 * time.Hour
	all := func(s *shop) fullreduce.Offer { return amountReduce }
	products := func(names ...string) func(s *shop) fullreduce.Offer {
		return func(s *shop) fullreduce.Offer {
			return with(amountReduce, func(o *fullreduce.Offer) {
				o.Scope = fullreduce.ScopeProducts
				for _, n := range names {
					o.ScopeIDs = append(o.ScopeIDs, s.pids[n])
				}
			})
		}
	}
	categories := func(names ...string) func(s *shop) fullreduce.Offer {
		return func(s *shop) fullreduce.Offer {
			return with(amountReduce, func(o *fullreduce.Offer) {
				o.Scope = fullreduce.ScopeCategories
				for _, n := range names {
					o.ScopeIDs = append(o.ScopeIDs, s.cats[n])
				}
			})
		}
	}
	cases := []struct {
		name          string
		first, second func(s *shop) fullreduce.Offer
		secondFrom    time.Duration // the second offer's window starts this far after the first's
		firstStopped  bool
		overlap       bool
	}{
		{name: "all and all", first: all, second: all, overlap: true},
		{name: "all and products", first: all, second: products("P3"), overlap: true},
		{name: "products and all", first: products("P3"), second: all, overlap: true},
		{name: "all and all in windows that do not meet", first: all, second: all, secondFrom: 2 * day},
		{name: "all and all, the first stopped", first: all, second: all, firstStopped: true},
		{name: "products sharing one", first: products("P1", "P2"), second: products("P2", "P3"), overlap: true},
		{name: "products apart", first: products("P1", "P2"), second: products("P3", "P4")},
		{name: "categories sharing one", first: categories("A", "B"), second: categories("B"), overlap: true},
		{name: "parent and child category", first: categories("A"), second: categories("A1"), overlap: true},
		{name: "child and parent category", first: categories("A1"), second: categories("A"), overlap: true},
		{name: "categories apart", first: categories("A"), second: categories("B")},
		{name: "product in the category", first: products("P3"), second: categories("B"), overlap: true},
		{name: "category holding the product", first: categories("B"), second: products("P4"), overlap: true},
		{name: "product in a child of the category", first: categories("A"), second: products("P1"), overlap: true},
		{name: "product outside the category", first: categories("A1"), second: products("P2", "P3")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newShop(t)
			first := tc.first(s)
			first.StartsAt, first.EndsAt = now, now.Add(day)
			if tc.firstStopped {
				first.Status = fullreduce.StatusStopped
			}
			s.offer(t, first)
			second := tc.second(s)
			second.Name = "第二个"
			second.StartsAt = now.Add(tc.secondFrom)
			second.EndsAt = second.StartsAt.Add(day)
			_, err := fullreduce.SaveOffer(context.Background(), s.db, &second)
			if !tc.overlap {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			refused(t, err, "scope", "fullreduce.err.overlap")
			if n := countOffers(t, s); n != 1 {
				t.Fatalf("%d offers, want the first alone", n)
			}
			// Stopped, the same offer may be kept.
			second.Status = fullreduce.StatusStopped
			if _, err := fullreduce.SaveOffer(context.Background(), s.db, &second); err != nil {
				t.Fatalf("stopped offer refused: %v", err)
			}
		})
	}
}

func TestEditAndStopOffer(t *testing.T) {
	s := newShop(t)
	ctx := context.Background()
	id := s.offer(t, amountReduce)
	o, err := fullreduce.OfferByID(ctx, s.db, id)
	if err != nil {
		t.Fatal(err)
	}
	// An offer does not overlap itself.
	o.Name = "改名"
	o.Tiers = []fullreduce.Tier{{Threshold: 5000, Value: 500}}
	if _, err := fullreduce.SaveOffer(ctx, s.db, o); err != nil {
		t.Fatal(err)
	}
	got, err := fullreduce.OfferByID(ctx, s.db, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "改名" || len(got.Tiers) != 1 || got.Tiers[0] != (fullreduce.Tier{Threshold: 5000, Value: 500}) ||
		!got.StartsAt.Equal(o.StartsAt) || !got.EndsAt.Equal(o.EndsAt) || got.Scope != fullreduce.ScopeAll {
		t.Fatalf("edited offer = %+v", got)
	}
	if q := s.quote(t, item{"P2", 1}); q.Discount() != 500 {
		t.Fatalf("discount %d after the edit, want 500", q.Discount())
	}
	if err := fullreduce.StopOffer(ctx, s.db, id); err != nil {
		t.Fatal(err)
	}
	if q := s.quote(t, item{"P2", 1}); q.Discount() != 0 {
		t.Fatalf("discount %d after stop", q.Discount())
	}
	// Stopped, it no longer blocks a new offer over the same products.
	s.offer(t, amountReduce)
	if err := fullreduce.StopOffer(ctx, s.db, 999); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("stop unknown: %v", err)
	}
	if _, err := fullreduce.OfferByID(ctx, s.db, 999); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown offer: %v", err)
	}
}

func TestBadge(t *testing.T) {
	s := newShop(t)
	ctx := context.Background()
	s.offer(t, with(piecesDiscount, func(o *fullreduce.Offer) {
		o.Scope, o.ScopeIDs = fullreduce.ScopeCategories, []int64{s.cats["A"]}
	}))
	for name, want := range map[string]string{"P1": "满2件打9折", "P2": "满2件打9折", "P3": ""} {
		got, err := fullreduce.Badge(ctx, s.db, s.pids[name])
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("badge of %s = %q, want %q", name, got, want)
		}
	}
}
