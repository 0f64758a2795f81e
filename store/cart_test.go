package store

import (
	"errors"
	"testing"
)

// cartFixture is a product with four SKUs (stock 0, 10, 20, 30; prices
// 59.00 to 62.00) and two customers.
type cartFixture struct {
	db        *DB
	product   int64
	skus      map[string]int64 // by label, e.g. "红 / L"
	alice, bo int64
}

func newCartFixture(t *testing.T) cartFixture {
	t.Helper()
	db := openTest(t)
	id, err := db.CreateProduct(t.Context(), clothes(mustCategory(t, db, 0, "服饰")))
	if err != nil {
		t.Fatal(err)
	}
	p, err := db.ProductByID(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	f := cartFixture{db: db, product: id, skus: map[string]int64{}}
	for _, s := range p.SKUs {
		f.skus[s.Label()] = s.ID
	}
	f.alice = mustRegister(t, db, "13800138000").ID
	f.bo = mustRegister(t, db, "13900139000").ID
	return f
}

func validationKey(err error) string {
	var ve *ValidationError
	if errors.As(err, &ve) {
		return ve.Key
	}
	return ""
}

func TestAddToCartRules(t *testing.T) {
	f := newCartFixture(t)
	ctx := t.Context()
	if err := f.db.AddToCart(ctx, f.alice, f.skus["红 / L"], 4); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		sku  string
		qty  int
		key  string
	}{
		{"zero", "红 / L", 0, "cart.qty_invalid"},
		{"negative", "红 / L", -3, "cart.qty_invalid"},
		{"over the limit", "红 / L", 1000, "cart.qty_invalid"},
		{"sum over stock", "红 / L", 7, "cart.not_enough_stock"},
		{"sold out", "红 / M", 1, "cart.out_of_stock"},
		{"fits", "红 / L", 6, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := f.db.AddToCart(ctx, f.alice, f.skus[tt.sku], tt.qty)
			if got := validationKey(err); got != tt.key || (tt.key == "" && err != nil) {
				t.Fatalf("AddToCart(%s, %d) = %v, want key %q", tt.sku, tt.qty, err, tt.key)
			}
		})
	}
	lines, err := f.db.CartLines(ctx, f.alice)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 1 || lines[0].Qty != 10 || lines[0].Status != CartOK || lines[0].Label != "红 / L" {
		t.Fatalf("lines = %+v", lines)
	}
	if err := f.db.AddToCart(ctx, f.alice, 987654, 1); validationKey(err) != "cart.unavailable" {
		t.Fatalf("unknown sku: %v", err)
	}
}

func TestCartStatusesAndTotal(t *testing.T) {
	f := newCartFixture(t)
	ctx := t.Context()
	for _, l := range []string{"红 / L", "蓝 / M"} {
		if err := f.db.AddToCart(ctx, f.alice, f.skus[l], 2); err != nil {
			t.Fatal(err)
		}
	}
	lines, err := f.db.CartLines(ctx, f.alice)
	if err != nil {
		t.Fatal(err)
	}
	if total, n := CartTotal(lines); total != 2*6000+2*6100 || n != 4 {
		t.Fatalf("total %v, %d pieces", total, n)
	}
	if err := f.db.SelectCartItems(ctx, f.alice, []int64{f.skus["红 / L"]}, false); err != nil {
		t.Fatal(err)
	}
	lines, _ = f.db.CartLines(ctx, f.alice)
	if total, _ := CartTotal(lines); total != 2*6100 {
		t.Fatalf("total after unselect %v", total)
	}
	if _, err := f.db.SetOnShelf(ctx, []int64{f.product}, false); err != nil {
		t.Fatal(err)
	}
	lines, _ = f.db.CartLines(ctx, f.alice)
	for _, l := range lines {
		if l.Status != CartOffShelf || l.Available() {
			t.Fatalf("off-shelf line %+v", l)
		}
	}
	if total, n := CartTotal(lines); total != 0 || n != 0 {
		t.Fatalf("off-shelf total %v %d", total, n)
	}
	if err := f.db.SetCartQty(ctx, f.alice, f.skus["红 / L"], 1); validationKey(err) != "cart.unavailable" {
		t.Fatalf("set qty of off-shelf line: %v", err)
	}
}

func TestSetCartQtyAndIsolation(t *testing.T) {
	f := newCartFixture(t)
	ctx := t.Context()
	sku := f.skus["蓝 / M"] // stock 20
	if err := f.db.AddToCart(ctx, f.alice, sku, 3); err != nil {
		t.Fatal(err)
	}
	if err := f.db.SetCartQty(ctx, f.alice, sku, 21); validationKey(err) != "cart.not_enough_stock" {
		t.Fatalf("over stock: %v", err)
	}
	if err := f.db.SetCartQty(ctx, f.alice, sku, 20); err != nil {
		t.Fatal(err)
	}
	// Bo has no line of this SKU: he can neither change nor remove Alice's.
	if err := f.db.SetCartQty(ctx, f.bo, sku, 1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("bo set qty: %v", err)
	}
	if err := f.db.RemoveCartItems(ctx, f.bo, []int64{sku}); err != nil {
		t.Fatal(err)
	}
	if err := f.db.SelectCartItems(ctx, f.bo, nil, false); err != nil {
		t.Fatal(err)
	}
	lines, _ := f.db.CartLines(ctx, f.alice)
	if len(lines) != 1 || lines[0].Qty != 20 || !lines[0].Selected {
		t.Fatalf("alice's cart changed: %+v", lines)
	}
	if n, _ := f.db.CartCount(ctx, f.bo); n != 0 {
		t.Fatalf("bo count %d", n)
	}
	if err := f.db.RemoveCartItems(ctx, f.alice, []int64{sku}); err != nil {
		t.Fatal(err)
	}
	if n, _ := f.db.CartCount(ctx, f.alice); n != 0 {
		t.Fatalf("count after remove %d", n)
	}
}

func TestMergeCart(t *testing.T) {
	f := newCartFixture(t)
	ctx := t.Context()
	if err := f.db.AddToCart(ctx, f.alice, f.skus["红 / L"], 8); err != nil {
		t.Fatal(err)
	}
	guest := []GuestLine{
		{SKUID: f.skus["红 / L"], Qty: 5, Selected: true}, // 8 + 5 capped at the stock of 10
		{SKUID: f.skus["蓝 / L"], Qty: 2, Selected: false},
		{SKUID: 987654, Qty: 1, Selected: true}, // gone
	}
	guestLines, err := f.db.CartLinesFor(ctx, guest)
	if err != nil {
		t.Fatal(err)
	}
	if len(guestLines) != 2 || guestLines[1].Selected || guestLines[0].Qty != 5 {
		t.Fatalf("guest lines %+v", guestLines)
	}
	if err := f.db.MergeCart(ctx, f.alice, guest); err != nil {
		t.Fatal(err)
	}
	lines, err := f.db.CartLines(ctx, f.alice)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]CartLine{}
	for _, l := range lines {
		got[l.Label] = l
	}
	if len(lines) != 2 || got["红 / L"].Qty != 10 || got["蓝 / L"].Qty != 2 || got["蓝 / L"].Selected {
		t.Fatalf("merged %+v", lines)
	}
	if n, _ := f.db.CartCount(ctx, f.alice); n != 12 {
		t.Fatalf("count %d", n)
	}
}

func TestCheckCartQty(t *testing.T) {
	f := newCartFixture(t)
	sku := f.skus["红 / L"] // stock 10
	tests := []struct {
		had, qty int
		key      string
	}{
		{0, 1, ""},
		{0, 10, ""},
		{0, 11, "cart.not_enough_stock"},
		{12, 11, ""}, // lowering is fine even above the stock
		{0, 0, "cart.qty_invalid"},
		{0, 1000, "cart.qty_max"},
	}
	for _, tt := range tests {
		err := f.db.CheckCartQty(t.Context(), sku, tt.had, tt.qty)
		if validationKey(err) != tt.key || (tt.key == "" && err != nil) {
			t.Errorf("CheckCartQty(had %d, qty %d) = %v, want %q", tt.had, tt.qty, err, tt.key)
		}
	}
}
