package demo

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/store/media"
)

// openDB gives a fresh database in a temporary directory.
func openDB(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// openMedia gives a media store in dir with the app's default thumbnail widths.
func openMedia(t *testing.T, dir string) *media.Store {
	t.Helper()
	ms, err := media.New(dir, media.DefaultLimits(), []int{160, 375, 750})
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

// countFiles counts the regular files under dir (0 when it does not exist).
func countFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// counts is what a shop holds, as the store's public API reports it.
type counts struct {
	categories, brands, products, skus, banners int
}

func countShop(t *testing.T, db *store.DB) counts {
	t.Helper()
	ctx := context.Background()
	var c counts
	cats, err := db.Categories(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, top := range cats {
		c.categories += 1 + len(top.Children)
	}
	bs, err := db.Brands(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c.brands = len(bs)
	err = db.EachProductSKU(ctx, store.ProductFilter{}, func(*store.Product, store.SKU) error { c.skus++; return nil })
	if err != nil {
		t.Fatal(err)
	}
	if _, c.products, err = db.Products(ctx, store.ProductFilter{}); err != nil {
		t.Fatal(err)
	}
	banners, err := db.Banners(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	c.banners = len(banners)
	return c
}

// allProducts loads every product with its SKUs and gallery.
func allProducts(t *testing.T, db *store.DB) []*store.Product {
	t.Helper()
	ctx := context.Background()
	var out []*store.Product
	for off := 0; ; off += 200 {
		page, _, err := db.Products(ctx, store.ProductFilter{Offset: off, Limit: 200})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range page {
			full, err := db.ProductByID(ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, full)
		}
		if len(page) < 200 {
			return out
		}
	}
}

func TestLoad(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	mdir := filepath.Join(t.TempDir(), "media")
	ms := openMedia(t, mdir)
	sum, err := Load(ctx, db, ms, Options{Seed: 7})
	if err != nil {
		t.Fatal(err)
	}

	got := countShop(t, db)
	want := counts{sum.Categories, sum.Brands, sum.Products, sum.SKUs, sum.Banners}
	if got != want {
		t.Fatalf("shop holds %+v, summary says %+v", got, want)
	}
	if sum.Products < 60 || sum.Brands < 10 || sum.Banners != 4 {
		t.Errorf("summary %+v: want ≥ 60 products, ≥ 10 brands, 4 banners", sum)
	}

	exists := func(key string) bool {
		t.Helper()
		path, err := ms.Path(key, 0)
		if err != nil {
			return false
		}
		_, err = os.Stat(path)
		return err == nil
	}

	t.Run("category tree", func(t *testing.T) {
		cats, err := db.Categories(ctx, false)
		if err != nil {
			t.Fatal(err)
		}
		if len(cats) != 8 {
			t.Fatalf("%d top-level categories, want 8", len(cats))
		}
		for _, c := range cats {
			if n := len(c.Children); n < 2 || n > 4 {
				t.Errorf("%s has %d subcategories, want 2–4", c.Name, n)
			}
			if c.Products == 0 {
				t.Errorf("%s has no product on shelf", c.Name)
			}
			for _, cc := range append([]store.Category{c}, c.Children...) {
				if !exists(cc.Icon) {
					t.Errorf("category %s: icon %q not on disk", cc.Name, cc.Icon)
				}
			}
		}
	})

	products := allProducts(t, db)
	t.Run("products", func(t *testing.T) {
		var virtual, off, soldOutSKUs, withList int
		tags := map[string]int{}
		for _, p := range products {
			if len(p.Images) == 0 || len(p.Images) > 4 {
				t.Errorf("%s: %d pictures, want 1–4", p.Title, len(p.Images))
			}
			for _, img := range p.Images {
				if !exists(img) {
					t.Errorf("%s: picture %q not on disk", p.Title, img)
				}
			}
			if p.Cover != p.Images[0] {
				t.Errorf("%s: cover %q is not the first picture", p.Title, p.Cover)
			}
			if p.BrandID == 0 || p.Description == "" || p.Subtitle == "" {
				t.Errorf("%s: brand %d, description %d bytes, subtitle %q", p.Title, p.BrandID, len(p.Description), p.Subtitle)
			}
			matrix := store.Matrix(p.Specs)
			if len(p.SKUs) != len(matrix) || len(p.SKUs) < 1 || len(p.SKUs) > 12 {
				t.Errorf("%s: %d SKUs for a %d-combination matrix", p.Title, len(p.SKUs), len(matrix))
			}
			for i, combo := range matrix {
				s, ok := p.SKUByValues(combo)
				if !ok {
					t.Errorf("%s: no SKU for %v", p.Title, combo)
					continue
				}
				if s.Price <= 0 || (s.ListPrice != 0 && s.ListPrice <= s.Price) {
					t.Errorf("%s %v: price %v, list price %v", p.Title, combo, s.Price, s.ListPrice)
				}
				if !strings.HasPrefix(s.Code, "XD-") || (!p.Virtual && s.WeightG <= 0) {
					t.Errorf("%s %v: code %q, weight %d g", p.Title, combo, s.Code, s.WeightG)
				}
				if s.Image != "" && !slices.Contains(p.Images, s.Image) {
					t.Errorf("%s %v: SKU picture %q is not in the gallery", p.Title, combo, s.Image)
				}
				if i > 0 && s.Code == p.SKUs[0].Code {
					t.Errorf("%s: SKU codes repeat", p.Title)
				}
				if s.Stock == 0 {
					soldOutSKUs++
				}
				if s.ListPrice > 0 {
					withList++
				}
			}
			if p.Virtual {
				virtual++
			}
			if !p.OnShelf {
				off++
			}
			for _, tag := range p.Tags {
				tags[tag]++
			}
		}
		if virtual != 1 || off < 2 || soldOutSKUs < 3 || withList == 0 {
			t.Errorf("%d virtual (want 1), %d off shelf (want ≥ 2), %d SKUs sold out (want ≥ 3), %d with a list price",
				virtual, off, soldOutSKUs, withList)
		}
		for _, tag := range store.Tags {
			if tags[tag] < 5 {
				t.Errorf("tag %s on %d products, want ≥ 5", tag, tags[tag])
			}
		}
	})

	t.Run("search finds the infant formula", func(t *testing.T) {
		found, _, err := db.Products(ctx, store.ProductFilter{Query: "奶粉", Shelf: "on"})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(found, func(p store.Product) bool { return p.Title == "进口婴儿奶粉 3段 800g" }) {
			t.Errorf("searching 奶粉 found %d products, not the infant formula", len(found))
		}
	})

	t.Run("banners", func(t *testing.T) {
		banners, err := db.Banners(ctx, false)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range banners {
			if !exists(b.Image) || b.Title == "" || store.SafeLink(b.Link) == "" {
				t.Errorf("banner %+v: picture on disk %v, want a title and a local link", b, exists(b.Image))
			}
		}
	})

	t.Run("second load changes nothing", func(t *testing.T) {
		files := countFiles(t, mdir)
		before := countShop(t, db)
		if _, err := Load(ctx, db, ms, Options{Seed: 7}); !errors.Is(err, ErrNotEmpty) {
			t.Fatalf("second Load: %v, want ErrNotEmpty", err)
		}
		if after := countShop(t, db); after != before {
			t.Errorf("shop went from %+v to %+v", before, after)
		}
		if n := countFiles(t, mdir); n != files {
			t.Errorf("media files went from %d to %d", files, n)
		}
	})

	t.Run("extra reuses the pictures", func(t *testing.T) {
		files := countFiles(t, mdir)
		db2 := openDB(t)
		sum2, err := Load(ctx, db2, ms, Options{Seed: 7, Extra: 500})
		if err != nil {
			t.Fatal(err)
		}
		if sum2.Products != sum.Products+500 || sum2.Categories != sum.Categories || sum2.Banners != sum.Banners {
			t.Errorf("with 500 extra: %+v, without: %+v", sum2, sum)
		}
		if c := countShop(t, db2); c.products != sum2.Products || c.skus != sum2.SKUs {
			t.Errorf("shop holds %+v, summary says %+v", c, sum2)
		}
		// Same seed, same pictures, same content-addressed files: the extra
		// products drew nothing new.
		if n := countFiles(t, mdir); n != files {
			t.Errorf("media files went from %d to %d", files, n)
		}
		extra, _, err := db2.Products(ctx, store.ProductFilter{Limit: 200, Sort: store.SortNewest})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range extra {
			full, err := db2.ProductByID(ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			if n := len(full.SKUs); n < 1 || n > 12 || len(full.Images) == 0 {
				t.Errorf("%s: %d SKUs, %d pictures", p.Title, n, len(full.Images))
			}
		}
	})
}

func TestLoadRefusesAShopWithACategory(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	if _, err := db.CreateCategory(ctx, store.CategoryInput{Name: "自己的分类", Visible: true}); err != nil {
		t.Fatal(err)
	}
	mdir := filepath.Join(t.TempDir(), "media")
	if _, err := Load(ctx, db, openMedia(t, mdir), Options{}); !errors.Is(err, ErrNotEmpty) {
		t.Fatalf("Load: %v, want ErrNotEmpty", err)
	}
	if n := countFiles(t, mdir); n != 0 {
		t.Errorf("a refused Load drew %d files", n)
	}
	if c := countShop(t, db); c != (counts{categories: 1}) {
		t.Errorf("shop holds %+v after a refused Load", c)
	}
}

func TestLoadCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	db := openDB(t)
	_, err := Load(ctx, db, openMedia(t, filepath.Join(t.TempDir(), "media")), Options{})
	if err == nil {
		t.Fatal("Load with a cancelled context succeeded")
	}
	if c := countShop(t, db); c != (counts{}) {
		t.Errorf("shop holds %+v after a cancelled Load", c)
	}
}

func TestLoadArguments(t *testing.T) {
	db := openDB(t)
	ms := openMedia(t, t.TempDir())
	tests := []struct {
		name string
		db   *store.DB
		ms   *media.Store
		opts Options
	}{
		{"nil database", nil, ms, Options{}},
		{"nil media", db, nil, Options{}},
		{"negative extra", db, ms, Options{Extra: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Load(context.Background(), tt.db, tt.ms, tt.opts); err == nil || errors.Is(err, ErrNotEmpty) {
				t.Errorf("Load: %v, want an argument error", err)
			}
		})
	}
}
