package store

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sync"
	"testing"
)

// openTest opens a fresh database in a temp dir.
func openTest(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func mustCategory(t *testing.T, db *DB, parent int64, name string) int64 {
	t.Helper()
	id, err := db.CreateCategory(t.Context(), CategoryInput{ParentID: parent, Name: name, Visible: true})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestMigrationsIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.db")
	for i := 0; i < 2; i++ {
		db, err := Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		names, err := db.Migrations(t.Context())
		if err != nil || len(names) == 0 || names[0] != "core/0001_init.sql" {
			t.Fatalf("migrations: %v %v", names, err)
		}
		db.Close()
	}
}

func TestCategoryTreeTwoLevels(t *testing.T) {
	db := openTest(t)
	top := mustCategory(t, db, 0, "母婴")
	child := mustCategory(t, db, top, "奶粉")
	var ve *ValidationError
	if _, err := db.CreateCategory(t.Context(), CategoryInput{ParentID: child, Name: "三层"}); !errors.As(err, &ve) {
		t.Fatalf("third level: %v", err)
	}
	if err := db.UpdateCategory(t.Context(), top, CategoryInput{ParentID: child, Name: "母婴"}); !errors.As(err, &ve) {
		t.Fatalf("parent under its own child: %v", err)
	}
	if _, err := db.CreateCategory(t.Context(), CategoryInput{Name: "  "}); !errors.As(err, &ve) {
		t.Fatalf("blank name: %v", err)
	}
	tree, err := db.Categories(t.Context(), true)
	if err != nil || len(tree) != 1 || len(tree[0].Children) != 1 || tree[0].Children[0].Name != "奶粉" {
		t.Fatalf("tree: %+v %v", tree, err)
	}
	if err := db.DeleteCategory(t.Context(), top); !errors.As(err, &ve) {
		t.Fatalf("delete non-empty: %v", err)
	}
	if err := db.DeleteCategory(t.Context(), child); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteCategory(t.Context(), child); !errors.Is(err, ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
}

func TestBrandDuplicate(t *testing.T) {
	db := openTest(t)
	if _, err := db.CreateBrand(t.Context(), BrandInput{Name: "小店优选"}); err != nil {
		t.Fatal(err)
	}
	var ve *ValidationError
	if _, err := db.CreateBrand(t.Context(), BrandInput{Name: "小店优选"}); !errors.As(err, &ve) || ve.Key != "validation.duplicate" {
		t.Fatalf("duplicate brand: %v", err)
	}
}

func clothes(cat int64) ProductInput {
	specs := []SpecDef{{"颜色", []string{"红", "蓝"}}, {"尺码", []string{"M", "L"}}}
	in := ProductInput{CategoryID: cat, Title: "纯棉短袖T恤", Specs: specs, Images: []string{"a.jpg", "b.jpg"}, Tags: []string{TagHot, "bogus"}, OnShelf: true}
	for i, combo := range Matrix(specs) {
		in.SKUs = append(in.SKUs, SKUInput{Values: combo, Price: Fen(5900 + i*100), ListPrice: 9900, Stock: 10 * i, Code: "T-" + combo[0] + combo[1]})
	}
	return in
}

func TestProductLifecycle(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	cat := mustCategory(t, db, 0, "服饰")
	v0 := db.CatalogueVersion()
	id, err := db.CreateProduct(ctx, clothes(cat))
	if err != nil {
		t.Fatal(err)
	}
	if db.CatalogueVersion() == v0 {
		t.Fatal("catalogue version not bumped")
	}
	p, err := db.ProductByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.SKUs) != 4 || p.Price != 5900 || p.PriceMax != 6200 || p.Stock != 60 || p.Cover != "a.jpg" || len(p.Tags) != 1 || p.CategoryName != "服饰" {
		t.Fatalf("product: %+v", p)
	}
	sku, ok := p.SKUByValues([]string{"蓝", "L"})
	if !ok || sku.Price != 6200 || sku.Label() != "蓝 / L" {
		t.Fatalf("sku: %+v %v", sku, ok)
	}
	keep, _ := p.SKUByValues([]string{"红", "M"})

	// Drop the colour 蓝: its SKUs are soft-deleted, 红 keeps its ids.
	in := clothes(cat)
	in.Specs[0].Values = []string{"红"}
	in.SKUs = in.SKUs[:2]
	in.SKUs[0].Price = 4900
	if err := db.UpdateProduct(ctx, id, in); err != nil {
		t.Fatal(err)
	}
	p, _ = db.ProductByID(ctx, id)
	if len(p.SKUs) != 2 || p.SKUs[0].ID != keep.ID || p.Price != 4900 {
		t.Fatalf("after update: %+v", p.SKUs)
	}
	var live, all int
	db.r.QueryRow(`SELECT COUNT(*) FROM skus WHERE product_id = ? AND deleted_at IS NULL`, id).Scan(&live)
	db.r.QueryRow(`SELECT COUNT(*) FROM skus WHERE product_id = ?`, id).Scan(&all)
	if live != 2 || all != 4 {
		t.Fatalf("skus live %d all %d", live, all)
	}
	// Adding 蓝 back makes new SKUs (a soft-deleted one is not revived).
	if err := db.UpdateProduct(ctx, id, clothes(cat)); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.SetOnShelf(ctx, []int64{id}, false); n != 1 {
		t.Fatalf("off shelf changed %d", n)
	}
	if _, total, _ := db.Products(ctx, ProductFilter{Shelf: "on"}); total != 0 {
		t.Fatalf("off-shelf product listed: %d", total)
	}
	if err := db.DeleteProduct(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ProductByID(ctx, id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted product: %v", err)
	}
}

func TestProductValidation(t *testing.T) {
	db := openTest(t)
	cat := mustCategory(t, db, 0, "服饰")
	bad := []func(*ProductInput){
		func(in *ProductInput) { in.Title = "" },
		func(in *ProductInput) { in.SKUs = in.SKUs[:3] },                   // incomplete matrix
		func(in *ProductInput) { in.SKUs[1].Values = in.SKUs[0].Values },   // duplicate combination
		func(in *ProductInput) { in.SKUs[0].Price = 0 },                    // price required
		func(in *ProductInput) { in.SKUs[0].Stock = -1 },                   // negative stock
		func(in *ProductInput) { in.CategoryID = 0 },                       // no category
		func(in *ProductInput) { in.Images = make([]string, MaxImages+1) }, // too many images
	}
	for i, mutate := range bad {
		in := clothes(cat)
		mutate(&in)
		if _, err := db.CreateProduct(t.Context(), in); err == nil {
			t.Errorf("case %d accepted", i)
		}
	}
	in := clothes(cat)
	in.CategoryID = 999
	var ve *ValidationError
	if _, err := db.CreateProduct(t.Context(), in); !errors.As(err, &ve) {
		t.Errorf("unknown category: %v", err)
	}
	if _, total, _ := db.Products(t.Context(), ProductFilter{}); total != 0 {
		t.Fatalf("refused products were stored: %d", total)
	}
}

func TestProductsFilterSearchSort(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	baby := mustCategory(t, db, 0, "母婴")
	milk := mustCategory(t, db, baby, "奶粉")
	food := mustCategory(t, db, 0, "食品")
	brand, _ := db.CreateBrand(ctx, BrandInput{Name: "小羊"})
	mk := func(cat, brand int64, title string, price Fen) int64 {
		id, err := db.CreateProduct(ctx, ProductInput{CategoryID: cat, BrandID: brand, Title: title, OnShelf: true,
			SKUs: []SKUInput{{Price: price, Stock: 5}}})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	formula := mk(milk, brand, "进口婴儿奶粉 3段 800g", 29800)
	mk(food, 0, "全脂奶粉 成人 400g", 5900)
	mk(food, 0, "100%纯牛奶_礼盒", 6900)

	got, total, err := db.Products(ctx, ProductFilter{Query: "奶粉", Shelf: "on", Sort: SortPriceAsc})
	if err != nil || total != 2 || got[0].Price != 5900 || got[1].ID != formula {
		t.Fatalf("search 奶粉: %d %+v %v", total, got, err)
	}
	if _, total, _ := db.Products(ctx, ProductFilter{CategoryID: baby}); total != 1 {
		t.Fatalf("parent category should include children: %d", total)
	}
	if _, total, _ := db.Products(ctx, ProductFilter{BrandID: brand}); total != 1 {
		t.Fatalf("brand filter: %d", total)
	}
	if _, total, _ := db.Products(ctx, ProductFilter{MinPrice: 6000, MaxPrice: 10000}); total != 1 {
		t.Fatalf("price range: %d", total)
	}
	// LIKE wildcards typed by a shopper are literal.
	if _, total, _ := db.Products(ctx, ProductFilter{Query: "%"}); total != 1 {
		t.Fatalf("literal %%: %d", total)
	}
	if _, total, _ := db.Products(ctx, ProductFilter{Query: "_"}); total != 1 {
		t.Fatalf("literal _: %d", total)
	}
	page, total, _ := db.Products(ctx, ProductFilter{Limit: 2, Offset: 2})
	if total != 3 || len(page) != 1 {
		t.Fatalf("paging: %d %d", total, len(page))
	}
	var rows int
	if err := db.EachProductSKU(ctx, ProductFilter{}, func(*Product, SKU) error { rows++; return nil }); err != nil || rows != 3 {
		t.Fatalf("export rows %d %v", rows, err)
	}
}

// Concurrent writers queue on the single writer connection instead of
// failing with SQLITE_BUSY, while readers keep reading.
func TestConcurrentWritesAndReads(t *testing.T) {
	db := openTest(t)
	cat := mustCategory(t, db, 0, "并发")
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i := 0; i < 40; i++ {
		wg.Add(2)
		go func(i int) {
			defer wg.Done()
			_, err := db.CreateProduct(context.Background(), ProductInput{CategoryID: cat, Title: "商品", SKUs: []SKUInput{{Price: Fen(100 + i), Stock: 1}}})
			errs <- err
		}(i)
		go func() {
			defer wg.Done()
			_, _, err := db.Products(context.Background(), ProductFilter{})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, total, _ := db.Products(t.Context(), ProductFilter{}); total != 40 {
		t.Fatalf("total %d", total)
	}
}

func TestPasswordsAndLoginLimit(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	h, err := HashPassword("s3cret-pass")
	if err != nil || !CheckPassword(h, "s3cret-pass") || CheckPassword(h, "s3cret-pasS") || CheckPassword("garbage", "x") {
		t.Fatal("argon2id hash check")
	}
	if _, err := db.CreateOwner(ctx, "boss", "s3cret-pass"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateOwner(ctx, "boss2", "s3cret-pass"); !errors.Is(err, ErrConflict) {
		t.Fatalf("second owner: %v", err)
	}
	if _, err := db.AuthenticateStaff(ctx, "boss", "nope"); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("bad password: %v", err)
	}
	if _, err := db.AuthenticateStaff(ctx, "ghost", "nope"); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("unknown user: %v", err)
	}
	if s, err := db.AuthenticateStaff(ctx, "boss", "s3cret-pass"); err != nil || s.LastLoginAt.IsZero() {
		t.Fatalf("good login: %v", err)
	}
	for i := 0; i < LoginMaxFailures; i++ {
		if blocked, _, _ := db.LoginBlocked(ctx, "staff:boss", LoginMaxFailures); blocked {
			t.Fatalf("blocked after %d", i)
		}
		db.RecordLoginFailure(ctx, "staff:boss")
	}
	if blocked, wait, _ := db.LoginBlocked(ctx, "staff:boss", LoginMaxFailures); !blocked || wait <= 0 {
		t.Fatal("not blocked after the limit")
	}
	db.ClearLoginFailures(ctx, "staff:boss")
	if blocked, _, _ := db.LoginBlocked(ctx, "staff:boss", LoginMaxFailures); blocked {
		t.Fatal("still blocked after clear")
	}
}

func TestSafeLink(t *testing.T) {
	for in, want := range map[string]string{"/p/1": "/p/1", "//evil.com": "", "https://evil.com": "", "javascript:alert(1)": "", `/\evil`: ""} {
		if got := SafeLink(in); got != want {
			t.Errorf("SafeLink(%q) = %q", in, got)
		}
	}
}

func TestSetSalesSpreadsOverSKUs(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	id, err := db.CreateProduct(ctx, clothes(mustCategory(t, db, 0, "服饰")))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Write(ctx, func(tx *sql.Tx) error { return db.SetSalesTx(ctx, tx, id, 1003) }); err != nil {
		t.Fatal(err)
	}
	p, _ := db.ProductByID(ctx, id)
	sum := 0
	for _, s := range p.SKUs {
		sum += s.Sales
	}
	if p.Sales != 1003 || sum != 1003 {
		t.Fatalf("product sales %d, SKUs sum %d", p.Sales, sum)
	}
}
