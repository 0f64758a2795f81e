// Package demo loads a believable small Chinese shop into an empty
// database: a two-level category tree with icons, a dozen invented brands,
// some sixty products with specs, SKUs, stock and pictures, and the home
// page banners. `xiaodian demo` and the first-run setup page call Load;
// `xiaodian bench` adds thousands of generated products with Options.Extra.
//
// Every picture is drawn here, with no font and no download: a soft studio
// backdrop and a simple shaded item (bottle, tin, shirt, phone, book...) per
// product, in its category's palette. Drawing is deterministic for a seed,
// and the media store names files by content, so loading the demo twice
// into two databases sharing one media directory stores each picture once.
package demo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"image"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/store/media"
)

// ErrNotEmpty is returned by Load when the database already holds a
// category or a product; nothing is changed.
var ErrNotEmpty = errors.New("demo: the shop already has categories or products; the demo loads only into an empty shop")

// Options tune Load.
type Options struct {
	Extra int   // generated products added on top of the demo, e.g. 10000 for benchmarks
	Seed  int64 // varies stock levels, picture details and the generated products
}

// Summary counts what Load created.
type Summary struct {
	Categories int // top-level and subcategories
	Brands     int
	Products   int
	SKUs       int
	Banners    int
}

// Load fills an empty shop with the demo catalogue. It refuses with
// ErrNotEmpty when the shop has any category or product. The pictures are
// drawn and saved to the media store first; everything in the database is
// then written in one transaction, so a failure leaves the database as it
// was (a few unreferenced pictures may stay in the media directory).
func Load(ctx context.Context, db *store.DB, ms *media.Store, opts Options) (Summary, error) {
	if db == nil || ms == nil {
		return Summary{}, errors.New("load demo: nil database or media store")
	}
	if opts.Extra < 0 {
		return Summary{}, fmt.Errorf("load demo: negative extra %d", opts.Extra)
	}
	empty, err := looksEmpty(ctx, db)
	if err != nil {
		return Summary{}, fmt.Errorf("load demo: %w", err)
	}
	if !empty {
		return Summary{}, ErrNotEmpty
	}
	pics, err := drawPictures(ctx, ms, opts.Seed)
	if err != nil {
		return Summary{}, fmt.Errorf("load demo: %w", err)
	}
	now := db.Now().Unix()
	var sum Summary
	err = db.Write(ctx, func(tx *sql.Tx) error {
		return writeShop(ctx, db, tx, pics, opts, now, &sum)
	})
	if err != nil {
		if errors.Is(err, ErrNotEmpty) {
			return Summary{}, ErrNotEmpty
		}
		return Summary{}, fmt.Errorf("load demo: %w", err)
	}
	db.BumpCatalogue()
	return sum, nil
}

// looksEmpty asks through the public API before any picture is drawn; the
// transaction checks again.
func looksEmpty(ctx context.Context, db *store.DB) (bool, error) {
	cats, err := db.Categories(ctx, true)
	if err != nil {
		return false, err
	}
	_, n, err := db.Products(ctx, store.ProductFilter{Limit: 1})
	if err != nil {
		return false, err
	}
	return len(cats) == 0 && n == 0, nil
}

// writeShop inserts the whole shop inside tx.
func writeShop(ctx context.Context, db *store.DB, tx *sql.Tx, pics *pictures, opts Options, now int64, sum *Summary) error {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM categories) + (SELECT COUNT(*) FROM products)`).Scan(&n)
	if err != nil {
		return fmt.Errorf("check empty: %w", err)
	}
	if n > 0 {
		return ErrNotEmpty
	}

	topID := make([]int64, len(categories))
	subID := map[string]int64{}
	subOf := map[string]subCat{}
	noteOf := map[string]string{}
	for i, top := range categories {
		id, err := insertCategory(ctx, tx, 0, top.name, pics.topIcons[i], (len(categories)-i)*10, now)
		if err != nil {
			return err
		}
		topID[i] = id
		sum.Categories++
		for j, sub := range top.subs {
			sid, err := insertCategory(ctx, tx, id, sub.name, pics.subIcons[i][j], (len(top.subs)-j)*10, now)
			if err != nil {
				return err
			}
			subID[sub.name], subOf[sub.name], noteOf[sub.name] = sid, sub, top.note
			sum.Categories++
		}
	}
	brandID := map[string]int64{}
	for i, b := range brands {
		res, err := tx.ExecContext(ctx, `INSERT INTO brands (name, logo, sort, created_at) VALUES (?, ?, ?, ?)`,
			b.name, pics.logos[i], (len(brands)-i)*10, now)
		if err != nil {
			return fmt.Errorf("insert brand %s: %w", b.name, err)
		}
		if brandID[b.name], err = res.LastInsertId(); err != nil {
			return fmt.Errorf("insert brand %s: %w", b.name, err)
		}
		sum.Brands++
	}

	rng := rand.New(rand.NewPCG(uint64(opts.Seed), 0x5eed))
	productID := map[string]int64{}
	for i := range items {
		it := &items[i]
		in := it.input(i+1, subID[it.sub], brandID[it.brand], pics.gallery[i], noteOf[it.sub], rng)
		id, err := db.CreateProductTx(ctx, tx, in)
		if err != nil {
			return fmt.Errorf("create product %q: %w", it.title, err)
		}
		productID[it.title] = id
		if err := db.SetSalesTx(ctx, tx, id, demoSales(in, rng)); err != nil {
			return err
		}
		sum.Products++
		sum.SKUs += len(in.SKUs)
	}

	if err := writeExtra(ctx, db, tx, pics, opts, subID, subOf, noteOf, brandID, sum); err != nil {
		return err
	}

	for i, b := range bannerDefs {
		link := ""
		switch {
		case b.product != "":
			link = fmt.Sprintf("/p/%d", productID[b.product])
		case b.category >= 0:
			link = fmt.Sprintf("/c/%d", topID[b.category])
		}
		_, err := db.CreateBannerTx(ctx, tx, store.Banner{
			Image: pics.banners[i], Title: b.title, Link: link, Sort: (len(bannerDefs) - i) * 10, Visible: true,
		})
		if err != nil {
			return err
		}
		sum.Banners++
	}
	if err := writeShipping(ctx, tx, now); err != nil {
		return err
	}
	return writeDistribution(ctx, tx, now)
}

func insertCategory(ctx context.Context, tx *sql.Tx, parent int64, name, icon string, sort int, now int64) (int64, error) {
	var p any
	if parent > 0 {
		p = parent
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO categories (parent_id, name, icon, sort, visible, created_at) VALUES (?, ?, ?, ?, 1, ?)`,
		p, name, icon, sort, now)
	if err != nil {
		return 0, fmt.Errorf("insert category %s: %w", name, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("insert category %s: %w", name, err)
	}
	return id, nil
}

// writeExtra adds opts.Extra generated products, spread evenly over the
// subcategories and reusing the pictures of the demo products.
func writeExtra(ctx context.Context, db *store.DB, tx *sql.Tx, pics *pictures, opts Options,
	subID map[string]int64, subOf map[string]subCat, noteOf map[string]string, brandID map[string]int64, sum *Summary) error {
	if opts.Extra == 0 {
		return nil
	}
	// The models of each subcategory: its real products, the virtual gift
	// card excepted (a notebook must not wear a gift card's picture).
	var subs []string
	models := map[string][]int{}
	for _, top := range categories {
		for _, s := range top.subs {
			subs = append(subs, s.name)
		}
	}
	for i := range items {
		if !items[i].virtual {
			models[items[i].sub] = append(models[items[i].sub], i)
		}
	}
	rng := rand.New(rand.NewPCG(uint64(opts.Seed), 0xe47a))
	for n := range opts.Extra {
		if n%500 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		name := subs[n%len(subs)]
		mi := models[name][rng.IntN(len(models[name]))]
		it := extraItem(subOf[name], &items[mi], rng)
		gallery := pics.gallery[mi]
		if it.colourDim() < 0 && len(gallery) > 1 {
			gallery = gallery[:1+rng.IntN(len(gallery))]
		}
		in := it.input(len(items)+n+1, subID[name], brandID[it.brand], gallery, noteOf[name], rng)
		if _, err := db.CreateProductTx(ctx, tx, in); err != nil {
			return fmt.Errorf("create extra product %d: %w", n+1, err)
		}
		sum.Products++
		sum.SKUs += len(in.SKUs)
	}
	return nil
}

// renderScale is the size of the pictures relative to their design: 1 in
// production. Tests lower it, for the race detector slows drawing tenfold.
var renderScale = 1.0

// pictures are the media keys of everything Load draws.
type pictures struct {
	topIcons []string   // per top-level category
	subIcons [][]string // per top-level category, per subcategory
	logos    []string   // per brand
	gallery  [][]string // per item
	banners  []string   // per bannerDefs entry
}

// job draws one picture into *key.
type job struct {
	key  *string
	draw func(rng *rand.Rand) image.Image
}

// drawPictures draws every picture on all cores and saves it to ms. Each
// picture has its own random source seeded from seed and its position, so
// the result does not depend on scheduling.
func drawPictures(ctx context.Context, ms *media.Store, seed int64) (*pictures, error) {
	p := &pictures{
		topIcons: make([]string, len(categories)),
		subIcons: make([][]string, len(categories)),
		logos:    make([]string, len(brands)),
		gallery:  make([][]string, len(items)),
		banners:  make([]string, len(bannerDefs)),
	}
	var jobs []job
	styleOf := map[string]style{}
	for i, top := range categories {
		jobs = append(jobs, job{&p.topIcons[i], func(*rand.Rand) image.Image { return icon(top.style.color, top.glyph, renderScale) }})
		p.subIcons[i] = make([]string, len(top.subs))
		for j, sub := range top.subs {
			styleOf[sub.name] = top.style
			jobs = append(jobs, job{&p.subIcons[i][j], func(*rand.Rand) image.Image { return icon(top.style.color.darker(0.06), sub.glyph, renderScale) }})
		}
	}
	for i, b := range brands {
		jobs = append(jobs, job{&p.logos[i], func(*rand.Rand) image.Image { return logo(hex(b.color), b.glyph, renderScale) }})
	}
	for i := range items {
		it := &items[i]
		st := styleOf[it.sub]
		n := it.galleryLen()
		p.gallery[i] = make([]string, n)
		layouts := []int{0, 3, 1, 2}
		if it.colourDim() >= 0 {
			layouts = []int{0, 2, 1, 0}
		}
		for k := range n {
			jobs = append(jobs, job{&p.gallery[i][k], func(rng *rand.Rand) image.Image {
				cols := it.bodyColours(st, rng)
				pal := it.palette(st, cols[k%len(cols)])
				pal2 := it.palette(st, cols[(k+1)%len(cols)])
				if len(cols) == 1 {
					pal2.main = st.mains[rng.IntN(len(st.mains))]
				}
				return productShot(st, it.draw, pal, pal2, layouts[k], rng, renderScale)
			}})
		}
	}
	for i, b := range bannerDefs {
		jobs = append(jobs, job{&p.banners[i], func(rng *rand.Rand) image.Image { return banner(b.spec, rng, renderScale) }})
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
		next  = make(chan int)
	)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range next {
				rng := rand.New(rand.NewPCG(uint64(seed), uint64(i)))
				img, err := ms.SaveImage(jobs[i].draw(rng))
				if err != nil {
					once.Do(func() { first = fmt.Errorf("save picture %d: %w", i, err); cancel() })
					continue
				}
				*jobs[i].key = img.Key
			}
		})
	}
feed:
	for i := range jobs {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if first != nil {
		return nil, first
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return p, nil
}

// demoSales invents a believable sales history: hot products sell in the
// thousands, new ones barely, the rest in the hundreds.
func demoSales(in store.ProductInput, rng *rand.Rand) int {
	switch {
	case !in.OnShelf:
		return rng.IntN(50)
	case slices.Contains(in.Tags, store.TagHot):
		return 1000 + rng.IntN(9000)
	case slices.Contains(in.Tags, store.TagNew):
		return rng.IntN(80)
	default:
		return 50 + rng.IntN(900)
	}
}

// ProductCount is how many products the demo shop itself has (before Extra).
func ProductCount() int { return len(items) }
