package bench

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/xiaodian/xiaodian/handlers"
	"github.com/xiaodian/xiaodian/plugins/flash"
	"github.com/xiaodian/xiaodian/store"
)

// The flash_sale scenario: many signed-in buyers, each trying once, race
// through the storefront's checkout form for a few flash units. It is
// measured by attempts, not time: every buyer's one POST /checkout, with
// the placed orders (303 to the payment page) and the sold-out answers
// (422 with 已抢光) both counted as answers.

// flashSaleName names the bench's slot, so a kept folder's earlier ones are
// stopped.
const flashSaleName = "压测秒杀"

// flashTarget is what the scenario needs prepared.
type flashTarget struct {
	item, sku, product int64
	units              int
	buyers             []buyer
	cookies            []*http.Cookie // each buyer signed in
}

// flashPhone is flash buyer i's phone number (the 198 prefix keeps them
// apart from the other bench customers).
func flashPhone(i int) string { return fmt.Sprintf("1980000%04d", i) }

// prepareFlash makes (or reuses) n flash buyers with an address each,
// signs each in, stops earlier bench slots and opens a fresh one with one
// SKU of units flash units at half its price, one per customer.
func prepareFlash(ctx context.Context, app *handlers.App, n, units int, products []string, avoid []int64) (flashTarget, error) {
	db := app.DB
	ft := flashTarget{units: units}
	// The buyers: raw SQL, for what the store has no call for — accounts
	// without a password (they are signed in below without one), made by
	// the thousand in one transaction.
	err := db.Write(ctx, func(tx *sql.Tx) error {
		now := db.Now().Unix()
		for i := range n {
			phone := flashPhone(i)
			var b buyer
			err := tx.QueryRowContext(ctx, `SELECT c.id, COALESCE(MAX(a.id), 0) FROM customers c
				LEFT JOIN addresses a ON a.customer_id = c.id AND a.deleted_at IS NULL WHERE c.phone = ? GROUP BY c.id`, phone).Scan(&b.id, &b.address)
			if errors.Is(err, sql.ErrNoRows) {
				res, err := tx.ExecContext(ctx, `INSERT INTO customers (phone, password_hash, nickname, created_at, last_login_at)
					VALUES (?, '', '', ?, ?)`, phone, now, now)
				if err != nil {
					return err
				}
				b.id, _ = res.LastInsertId()
			} else if err != nil {
				return err
			}
			if b.address == 0 {
				res, err := tx.ExecContext(ctx, `INSERT INTO addresses (customer_id, name, phone, province_code, city_code, district_code,
					province, city, district, detail, is_default, created_at, updated_at)
					VALUES (?, '压测买家', ?, '44', '4403', '440305', '广东省', '深圳市', '南山区', '科技园南区 1 栋 101', 1, ?, ?)`, b.id, phone, now, now)
				if err != nil {
					return err
				}
				b.address, _ = res.LastInsertId()
			}
			b.phone = phone
			ft.buyers = append(ft.buyers, b)
		}
		return nil
	})
	if err != nil {
		return ft, fmt.Errorf("bench: flash buyers: %w", err)
	}
	if err := cancelLeftovers(ctx, db, strings.TrimSuffix(strings.Repeat("?,", n), ","), buyerIDs(ft.buyers)); err != nil {
		return ft, err
	}
	for _, b := range ft.buyers {
		c, err := app.SignedInCookie(ctx, b.id)
		if err != nil {
			return ft, fmt.Errorf("bench: flash buyer %s: %w", b.phone, err)
		}
		ft.cookies = append(ft.cookies, c)
	}

	// The SKU: a live physical product's, none the other buying
	// scenarios use, with stock to spare (the flash stock is the limit).
	for _, path := range products {
		id, err := strconv.ParseInt(strings.TrimPrefix(path, "/p/"), 10, 64)
		if err != nil {
			continue
		}
		p, err := db.ProductByID(ctx, id)
		if err != nil || p.Virtual || !p.OnShelf {
			continue
		}
		for _, s := range p.SKUs {
			if s.Price >= 200 && !slices.Contains(avoid, s.ID) {
				ft.sku, ft.product = s.ID, p.ID
				break
			}
		}
		if ft.sku != 0 {
			break
		}
	}
	if ft.sku == 0 {
		return ft, errors.New("bench: no SKU for the flash sale")
	}
	var price store.Fen
	err = db.Write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE skus SET stock = ? WHERE id = ?`, buyStock, ft.sku); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT price_fen FROM skus WHERE id = ?`, ft.sku).Scan(&price)
	})
	if err != nil {
		return ft, fmt.Errorf("bench: flash SKU: %w", err)
	}
	sales, err := flash.Sales(ctx, db)
	if err != nil {
		return ft, fmt.Errorf("bench: %w", err)
	}
	for _, s := range sales {
		if s.Name == flashSaleName && s.Status == "active" {
			if err := flash.StopSale(ctx, db, s.ID); err != nil {
				return ft, fmt.Errorf("bench: %w", err)
			}
		}
	}
	now := db.Now()
	sale, err := flash.SaveSale(ctx, db, &flash.Sale{Name: flashSaleName, StartsAt: now.Add(-time.Minute), EndsAt: now.Add(24 * time.Hour)})
	if err != nil {
		return ft, fmt.Errorf("bench: flash sale: %w", err)
	}
	if ft.item, err = flash.SaveItem(ctx, db, &flash.Item{SaleID: sale, SKUID: ft.sku, Price: price / 2, Stock: units, PerUser: 1}); err != nil {
		return ft, fmt.Errorf("bench: flash item: %w", err)
	}
	return ft, nil
}

func buyerIDs(bs []buyer) []any {
	ids := make([]any, len(bs))
	for i, b := range bs {
		ids[i] = b.id
	}
	return ids
}

// flashRun is what the scenario measured.
type flashRun struct {
	sample
	orders, soldOut int
	// The answers' latencies by kind, for the log.
	placedLat, soldOutLat []time.Duration
}

// runFlash sends every buyer's one attempt over conns connections.
func runFlash(ctx context.Context, base string, conns int, ft flashTarget) (flashRun, error) {
	run := strconv.FormatInt(time.Now().UnixNano(), 10)
	var next atomic.Int64
	var placed, soldOut atomic.Int64
	lat := make([]time.Duration, len(ft.buyers))
	kind := make([]byte, len(ft.buyers)) // 'p' placed, 's' sold out
	var mu sync.Mutex
	var run0 flashRun
	l := load{base: base, conns: conns}
	// Before the start, every phone has the product page open (its
	// connection made, the page loaded), as buyers wait on it for 10:00.
	var ready, wg sync.WaitGroup
	startGun := make(chan struct{})
	warmErrs := make([]error, conns)
	var start time.Time
	for w := range conns {
		wg.Add(1)
		ready.Add(1)
		go func() {
			defer wg.Done()
			client, cleanup := l.client(w)
			defer cleanup()
			warmErrs[w] = get(ctx, client, fmt.Sprintf("%s/p/%d", base, ft.product))
			ready.Done()
			<-startGun
			for {
				i := int(next.Add(1) - 1)
				if i >= len(ft.buyers) || ctx.Err() != nil {
					return
				}
				b := ft.buyers[i]
				form := url.Values{"sku_id": {strconv.FormatInt(ft.sku, 10)}, "qty": {"1"}, "delivery": {"express"},
					"address_id": {strconv.FormatInt(b.address, 10)}, "token": {"flash-" + run + "-" + strconv.Itoa(i)},
					"o_" + flash.OptionKey: {strconv.FormatInt(ft.item, 10)}}
				t0 := time.Now()
				status, body, err := postWith(ctx, client, base, "/checkout", form, ft.cookies[i])
				lat[i] = time.Since(t0)
				switch {
				case err != nil:
				case status == http.StatusSeeOther:
					placed.Add(1)
					kind[i] = 'p'
					continue
				case status == http.StatusUnprocessableEntity && strings.Contains(body, "已抢光"):
					soldOut.Add(1)
					kind[i] = 's'
					continue
				default:
					err = fmt.Errorf("POST /checkout: status %d", status)
				}
				mu.Lock()
				run0.errors++
				if run0.firstErr == nil {
					run0.firstErr = err
				}
				mu.Unlock()
				lat[i] = -1
			}
		}()
	}
	ready.Wait()
	if err := errors.Join(warmErrs...); err != nil {
		close(startGun)
		wg.Wait()
		return flashRun{}, fmt.Errorf("flash_sale: product page: %w", err)
	}
	start = time.Now()
	close(startGun)
	wg.Wait()
	run0.elapsed = time.Since(start)
	if err := ctx.Err(); err != nil {
		return flashRun{}, fmt.Errorf("flash_sale: %w", err)
	}
	for i, d := range lat {
		if d >= 0 {
			run0.latencies = append(run0.latencies, d)
		}
		switch kind[i] {
		case 'p':
			run0.placedLat = append(run0.placedLat, d)
		case 's':
			run0.soldOutLat = append(run0.soldOutLat, d)
		}
	}
	slices.Sort(run0.placedLat)
	slices.Sort(run0.soldOutLat)
	run0.orders, run0.soldOut = int(placed.Load()), int(soldOut.Load())
	return run0, nil
}

// postWith posts form with the buyer's session cookie and same-origin
// headers, and returns the status and the (inflated) body.
func postWith(ctx context.Context, client *http.Client, base, path string, form url.Values, c *http.Cookie) (int, string, error) {
	req, err := newPost(ctx, base, path, form)
	if err != nil {
		return 0, "", err
	}
	req.AddCookie(c)
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// flashScenario runs the race and reads back from the data folder what
// was sold: the orders holding flash units and any unit beyond the stock.
func flashScenario(ctx context.Context, cfg Config, dir, base string, ft flashTarget, stderr io.Writer) (Result, error) {
	run, err := runFlash(ctx, base, cfg.Conns, ft)
	if err != nil {
		return Result{}, fmt.Errorf("bench: %w", err)
	}
	db, err := store.Open(ctx, filepath.Join(dir, "xiaodian.db"))
	if err != nil {
		return Result{}, fmt.Errorf("bench: flash_sale: %w", err)
	}
	defer db.Close()
	var sold, held int
	err = db.Read(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT sold FROM flash_items WHERE id = ?`, ft.item).Scan(&sold); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT COUNT(DISTINCT order_id) FROM flash_buys WHERE item_id = ? AND status = 'held'`, ft.item).Scan(&held)
	})
	if err != nil {
		return Result{}, fmt.Errorf("bench: flash_sale: %w", err)
	}
	r := summarize("flash_sale", run.sample)
	buyers, units, soldOut, oversold := len(ft.buyers), ft.units, run.soldOut, max(0, sold-ft.units)
	r.Orders, r.Units, r.Buyers, r.SoldOut, r.Oversold = &held, &units, &buyers, &soldOut, &oversold
	if held != run.orders {
		r.Errors++
		fmt.Fprintf(stderr, "bench: flash_sale: %d orders answered, %d hold units\n", run.orders, held)
	}
	fmt.Fprintf(stderr, "bench: %-8s %10.2f rps  p50 %.2f ms  p99 %.2f ms  %d errors; %d buyers, %d units: %d orders, %d sold-out answers, %d oversold\n",
		"flash_sale", r.RPS, r.P50, r.P99, r.Errors, buyers, units, held, soldOut, oversold)
	fmt.Fprintf(stderr, "bench: flash_sale: orders p50 %.2f ms p99 %.2f ms; sold-out answers p50 %.2f ms p99 %.2f ms\n",
		ms(percentile(run.placedLat, 50)), ms(percentile(run.placedLat, 99)), ms(percentile(run.soldOutLat, 50)), ms(percentile(run.soldOutLat, 99)))
	if run.firstErr != nil {
		fmt.Fprintf(stderr, "bench: flash_sale: first error: %v\n", run.firstErr)
	}
	return r, nil
}
