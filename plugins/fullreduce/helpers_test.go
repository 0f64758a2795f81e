package fullreduce_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/plugins/fullreduce"
	"github.com/xiaodian/xiaodian/store"
)

// now is the test shop's clock.
var now = time.Date(2026, 6, 18, 12, 0, 0, 0, time.Local)

// shop is a store with the plugin's tables and a price pipeline of the
// plugin and a stand-in flash sale, on real SQLite.
type shop struct {
	db   *store.DB
	reg  *plugins.Registry
	cats map[string]int64 // category name → id
	skus map[string]int64 // product name → its SKU
	pids map[string]int64 // product name → product id
	// flash lists the products the stand-in flash sale prices (Activity set).
	flash []int64
}

// newShop opens a shop with these products: P1 (¥30) in A1, a child of A;
// P2 (¥50) in A; P3 (¥20) and P4 (¥9.99) in B.
func newShop(t *testing.T) *shop {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "shop.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetClock(func() time.Time { return now })
	s := &shop{db: db, reg: plugins.NewRegistry(), cats: map[string]int64{}, skus: map[string]int64{}, pids: map[string]int64{}}
	p := fullreduce.New()
	if err := s.reg.Register(p); err != nil {
		t.Fatal(err)
	}
	if err := s.reg.Register(flashStandIn{s}); err != nil {
		t.Fatal(err)
	}
	if err := db.ApplyMigrations(ctx, fullreduce.ID, p.Migrations(), "migrations"); err != nil {
		t.Fatal(err)
	}
	db.SetPricer(s.reg)
	s.reg.SetStore(db)

	s.category(t, "A", "")
	s.category(t, "A1", "A")
	s.category(t, "B", "")
	s.product(t, "P1", "A1", 3000)
	s.product(t, "P2", "A", 5000)
	s.product(t, "P3", "B", 2000)
	s.product(t, "P4", "B", 999)
	return s
}

func (s *shop) category(t *testing.T, name, parent string) {
	t.Helper()
	id, err := s.db.CreateCategory(context.Background(), store.CategoryInput{ParentID: s.cats[parent], Name: name, Visible: true})
	if err != nil {
		t.Fatal(err)
	}
	s.cats[name] = id
}

func (s *shop) product(t *testing.T, name, cat string, price store.Fen) {
	t.Helper()
	ctx := context.Background()
	id, err := s.db.CreateProduct(ctx, store.ProductInput{CategoryID: s.cats[cat], Title: name, OnShelf: true, Virtual: true,
		SKUs: []store.SKUInput{{Price: price, Stock: 1000}}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.db.ProductByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	s.pids[name], s.skus[name] = id, p.SKUs[0].ID
}

// offer saves o (active unless it says) and returns its id.
func (s *shop) offer(t *testing.T, o fullreduce.Offer) int64 {
	t.Helper()
	if o.Name == "" {
		o.Name = "活动"
	}
	if o.StartsAt.IsZero() {
		o.StartsAt, o.EndsAt = now.Add(-time.Hour), now.Add(24*time.Hour)
	}
	id, err := fullreduce.SaveOffer(context.Background(), s.db, &o)
	if err != nil {
		t.Fatalf("save offer %+v: %v", o, err)
	}
	return id
}

// item is a product name and a quantity.
type item struct {
	name string
	qty  int
}

// quote prices a checkout of items.
func (s *shop) quote(t *testing.T, items ...item) *store.Quote {
	t.Helper()
	in := store.CheckoutInput{CustomerID: 1}
	for _, it := range items {
		in.Items = append(in.Items, store.CheckoutItem{SKUID: s.skus[it.name], Qty: it.qty})
	}
	q, err := s.db.QuoteCheckout(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// fullreduceAdjustments are the quote's adjustments by the plugin.
func fullreduceAdjustments(q *store.Quote) []store.QuoteAdjustment {
	var out []store.QuoteAdjustment
	for _, a := range q.Adjustments {
		if a.Source == fullreduce.ID {
			out = append(out, a)
		}
	}
	return out
}

// flashStandIn is a stand-in flash sale: it prices s.flash's products at
// the activity stage, marking their lines as an activity's.
type flashStandIn struct{ s *shop }

func (flashStandIn) ID() string   { return "flashtest" }
func (flashStandIn) Name() string { return "flash stand-in" }
func (f flashStandIn) Register(r *plugins.Registry) error {
	return plugins.Bind(r, r.Price, "flashtest", plugins.Handler[*plugins.PriceEvent]{Priority: plugins.PriceActivity,
		Func: func(e *plugins.PriceEvent) error {
			for i, l := range e.Quote.Lines {
				if slices.Contains(f.s.flash, l.ProductID) {
					e.Quote.Lines[i].UnitPrice = l.SKUPrice / 2
					e.Quote.Lines[i].Activity = "flashsale"
				}
			}
			return e.Next()
		}})
}
