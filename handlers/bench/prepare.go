package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/xiaodian/xiaodian/handlers"
	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/store/demo"
)

// targets are the paths each scenario rotates over.
type targets struct {
	categories []string // /c/:id of leaf categories
	searches   []string // /search?q=...
	products   []string // /p/:id spread over the catalogue

	// The buying scenarios' customers, their signed-in cookie jars (once
	// the shop runs) and the SKUs they buy.
	buyers []buyer
	jars   []http.CookieJar
	skus   []int64

	// The distribution scenarios' tree (its size and depth), the
	// distributors who sign in, and the buyers referred under them, with
	// their cookie jars once the shop runs.
	treeSize, treeDepth int
	dists, distBuyers   []buyer
	distJars            []http.CookieJar
	distBuyerJars       []http.CookieJar

	// The flash_sale scenario's slot, SKU and signed-in buyers.
	flash flashTarget
}

// plan is what a run needs prepared.
type plan struct {
	products     int // catalogue size
	buyers       int // plain buyers (0: no buying scenario)
	distributors int // referral tree size (0: no distribution scenario)
	signedIn     int // distributors who sign in, and buyers referred under them
	flashBuyers  int // flash_sale's buyers (0: no flash_sale)
	flashUnits   int // and the units on offer
}

// searchWords are what shoppers type: everyday products of the demo shop.
var searchWords = []string{"奶粉", "连衣裙", "手机", "面膜", "零食", "口红"}

// productSample is how many product pages the product scenario rotates over.
const productSample = 200

// prepare loads the demo shop with enough generated products to reach
// p.products (once: a folder that already holds a catalogue is reused as it
// is) and picks the scenario targets; with buyers it also prepares that
// many bench customers and the SKUs they buy; with distributors, the
// referral tree (once too), the distributors who sign in, buyers referred
// under them, and one paid order of each referred buyer so the centres
// have commissions. The shop is closed again before the server starts on
// the folder.
func prepare(ctx context.Context, dir string, p plan, stderr io.Writer) (t targets, err error) {
	app, err := handlers.OpenApp(ctx, handlers.AppConfig{
		DataDir: dir, Mode: "development", AccessLog: false, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return targets{}, fmt.Errorf("bench: %w", err)
	}
	defer func() {
		if cerr := app.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("bench: %w", cerr))
		}
	}()
	start := time.Now()
	extra := max(p.products-demo.ProductCount(), 0)
	sum, err := demo.Load(ctx, app.DB, app.Media, demo.Options{Extra: extra, Seed: 1})
	switch {
	case errors.Is(err, demo.ErrNotEmpty):
		fmt.Fprintf(stderr, "bench: %s already holds a catalogue; reusing it as it is\n", dir)
	case err != nil:
		return targets{}, fmt.Errorf("bench: load demo: %w", err)
	default:
		fmt.Fprintf(stderr, "bench: demo shop with %d products loaded in %s\n", sum.Products, time.Since(start).Round(time.Millisecond))
	}
	if t, err = pickTargets(ctx, app.DB); err != nil {
		return targets{}, err
	}
	var phones []string
	for i := range p.buyers {
		phones = append(phones, buyerPhone(i))
	}
	if p.distributors > 0 {
		start = time.Now()
		if t.treeDepth, err = prepareTree(ctx, app.DB, p.distributors, stderr); err != nil {
			return targets{}, err
		}
		t.treeSize = p.distributors
		if t.dists, err = pickDistributors(ctx, app.DB, p.signedIn); err != nil {
			return targets{}, err
		}
		fmt.Fprintf(stderr, "bench: %d distributors %d levels deep ready in %s\n", t.treeSize, t.treeDepth, time.Since(start).Round(time.Millisecond))
		for i := range p.signedIn {
			phones = append(phones, distBuyerPhone(i))
		}
	}
	if len(phones) > 0 {
		if err := prepareShoppers(ctx, app.DB, &t, p, phones, stderr); err != nil {
			return targets{}, err
		}
	}
	if p.flashBuyers > 0 {
		start = time.Now()
		if t.flash, err = prepareFlash(ctx, app, p.flashBuyers, p.flashUnits, t.products, t.skus); err != nil {
			return targets{}, err
		}
		fmt.Fprintf(stderr, "bench: %d flash buyers signed in and %d flash units on offer in %s\n", p.flashBuyers, p.flashUnits,
			time.Since(start).Round(time.Millisecond))
	}
	return t, nil
}

// prepareShoppers prepares the buying scenarios' customers (and those
// referred under the distributors) and the SKUs they buy.
func prepareShoppers(ctx context.Context, db *store.DB, t *targets, p plan, phones []string, stderr io.Writer) error {
	start := time.Now()
	all, skus, err := prepareBuyers(ctx, db, phones, t.products)
	if err != nil {
		return err
	}
	t.buyers, t.distBuyers, t.skus = all[:p.buyers], all[p.buyers:], skus
	fmt.Fprintf(stderr, "bench: %d buyers and %d SKUs ready in %s\n", len(all), len(t.skus), time.Since(start).Round(time.Millisecond))
	if len(t.distBuyers) > 0 {
		start = time.Now()
		if err := referBuyers(ctx, db, t.distBuyers, t.dists); err != nil {
			return err
		}
		n, err := earnCommissions(ctx, db, t.distBuyers, t.skus)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "bench: %d buyers referred two levels under distributors, %d paid orders for commissions, in %s\n",
			len(t.distBuyers), n, time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// pickTargets lists the leaf categories, the search queries and up to
// productSample on-shelf products spread evenly over the catalogue.
func pickTargets(ctx context.Context, db *store.DB) (targets, error) {
	var t targets
	cats, err := db.Categories(ctx, false)
	if err != nil {
		return targets{}, fmt.Errorf("bench: %w", err)
	}
	for _, c := range cats {
		if len(c.Children) == 0 {
			t.categories = append(t.categories, "/c/"+strconv.FormatInt(c.ID, 10))
		}
		for _, ch := range c.Children {
			t.categories = append(t.categories, "/c/"+strconv.FormatInt(ch.ID, 10))
		}
	}
	if len(t.categories) == 0 {
		return targets{}, errors.New("bench: the shop has no visible category")
	}
	for _, w := range searchWords {
		t.searches = append(t.searches, "/search?q="+url.QueryEscape(w))
	}
	_, total, err := db.Products(ctx, store.ProductFilter{Shelf: "on", Limit: 1})
	if err != nil {
		return targets{}, fmt.Errorf("bench: %w", err)
	}
	if total == 0 {
		return targets{}, errors.New("bench: the shop has no product on shelf")
	}
	n := min(total, productSample)
	for i := range n {
		page, _, err := db.Products(ctx, store.ProductFilter{Shelf: "on", Offset: i * total / n, Limit: 1})
		if err != nil {
			return targets{}, fmt.Errorf("bench: %w", err)
		}
		if len(page) == 1 {
			t.products = append(t.products, "/p/"+strconv.FormatInt(page[0].ID, 10))
		}
	}
	if len(t.products) == 0 {
		return targets{}, errors.New("bench: no product page to request")
	}
	return t, nil
}
