package bench

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/xiaodian/xiaodian/store"
)

// The buying scenarios: signed-in customers adding to their carts, and
// buyers placing orders while phones keep loading product pages.

// buyer is one bench customer with a delivery address.
type buyer struct {
	id, address int64
	phone       string
}

// buyerPassword is every bench customer's password.
const buyerPassword = "bench buyer password"

// buyStock is the stock the buying scenarios' SKUs are raised to, so no
// run ever sells out.
const buyStock = 100_000_000

// buySKUCount is how many SKUs the buying scenarios spread over.
const buySKUCount = 40

// buyerPhone is bench customer i's phone number (199 is a real mobile
// prefix; 19900 numbers are the bench's).
func buyerPhone(i int) string { return fmt.Sprintf("1990000%04d", i) }

// prepareBuyers makes sure bench customers with the phones exist, each with a default
// address in 广东省 深圳市 南山区 and an empty cart, and picks SKUs of live
// physical products spread over the catalogue, with their stock raised to
// buyStock. Customers of an earlier run in the folder are reused.
func prepareBuyers(ctx context.Context, db *store.DB, phones []string, products []string) ([]buyer, []int64, error) {
	buyers := make([]buyer, len(phones))
	errs := make([]error, len(phones))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4) // password hashing is the slow part
	for i := range buyers {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			buyers[i], errs[i] = prepareBuyer(ctx, db, phones[i])
		}(i)
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, nil, fmt.Errorf("bench: buyers: %w", err)
	}

	var skus []int64
	step := max(1, len(products)/buySKUCount)
	for i := 0; i < len(products) && len(skus) < buySKUCount; i += step {
		id, err := strconv.ParseInt(strings.TrimPrefix(products[i], "/p/"), 10, 64)
		if err != nil {
			return nil, nil, fmt.Errorf("bench: product path %q: %w", products[i], err)
		}
		p, err := db.ProductByID(ctx, id)
		if err != nil {
			return nil, nil, fmt.Errorf("bench: product %d: %w", id, err)
		}
		if p.Virtual || !p.OnShelf {
			continue
		}
		for _, s := range p.SKUs {
			if s.Price > 0 {
				skus = append(skus, s.ID)
				break
			}
		}
	}
	if len(skus) == 0 {
		return nil, nil, errors.New("bench: no SKU to buy")
	}
	ids := make([]any, len(skus))
	for i, s := range skus {
		ids[i] = s
	}
	in := strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")
	custIDs := make([]any, len(buyers))
	for i, b := range buyers {
		custIDs[i] = b.id
	}
	custIn := strings.TrimSuffix(strings.Repeat("?,", len(custIDs)), ",")
	// Raw SQL for what the store offers no call for: a benchmark's stock
	// top-up (the product's summary follows its SKUs) and emptying the
	// bench customers' carts of the last run.
	err := db.Write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE skus SET stock = ? WHERE id IN (`+in+`)`, append([]any{buyStock}, ids...)...); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE products SET stock = (SELECT SUM(s.stock) FROM skus s
			WHERE s.product_id = products.id AND s.deleted_at IS NULL)
			WHERE id IN (SELECT product_id FROM skus WHERE id IN (`+in+`))`, ids...); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM cart_items WHERE customer_id IN (`+custIn+`)`, custIDs...)
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("bench: stock: %w", err)
	}
	if err := cancelLeftovers(ctx, db, custIn, custIDs); err != nil {
		return nil, nil, err
	}
	return buyers, skus, nil
}

// cancelLeftovers cancels the unpaid orders an earlier run left in a kept
// folder, as their buyers would: otherwise the shop's cancel-unpaid job
// would cancel them in the middle of a measurement once they expire.
func cancelLeftovers(ctx context.Context, db *store.DB, custIn string, custIDs []any) error {
	type order struct{ id, customer int64 }
	var left []order
	err := db.Write(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, customer_id FROM orders
			WHERE status = 'pending_payment' AND customer_id IN (`+custIn+`)`, custIDs...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var o order
			if err := rows.Scan(&o.id, &o.customer); err != nil {
				return err
			}
			left = append(left, o)
		}
		return rows.Err()
	})
	if err != nil {
		return fmt.Errorf("bench: earlier orders: %w", err)
	}
	for _, o := range left {
		if err := db.CancelOrder(ctx, o.customer, o.id, "bench"); err != nil && !errors.Is(err, store.ErrOrderState) {
			return fmt.Errorf("bench: cancel earlier order %d: %w", o.id, err)
		}
	}
	return nil
}

// prepareBuyer registers phone (or signs it in, when an earlier run did)
// and gives it an address.
func prepareBuyer(ctx context.Context, db *store.DB, phone string) (buyer, error) {
	cu, err := db.AuthenticateCustomer(ctx, phone, buyerPassword)
	if err != nil {
		cu, err = db.RegisterCustomer(ctx, phone, buyerPassword)
		if err != nil {
			return buyer{}, fmt.Errorf("%s: %w", phone, err)
		}
	}
	b := buyer{id: cu.ID, phone: phone}
	a, err := db.DefaultAddress(ctx, cu.ID)
	if err == nil && a != nil {
		b.address = a.ID
		return b, nil
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return buyer{}, fmt.Errorf("%s: %w", phone, err)
	}
	b.address, err = db.CreateAddress(ctx, cu.ID, store.AddressInput{Name: "压测买家", Phone: phone,
		ProvinceCode: "44", CityCode: "4403", DistrictCode: "440305", Detail: "科技园南区 1 栋 101", IsDefault: true})
	if err != nil {
		return buyer{}, fmt.Errorf("%s: address: %w", phone, err)
	}
	return b, nil
}

// signIn signs every buyer in through POST /login as a browser does and
// returns their cookie jars.
func signIn(ctx context.Context, base string, buyers []buyer) ([]http.CookieJar, error) {
	jars := make([]http.CookieJar, len(buyers))
	errs := make([]error, len(buyers))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i, b := range buyers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			jars[i], errs[i] = signInOne(ctx, base, b.phone)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("bench: sign in: %w", err)
	}
	return jars, nil
}

func signInOne(ctx context.Context, base, phone string) (http.CookieJar, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	client := &http.Client{Jar: jar, Timeout: 30 * time.Second, Transport: &http.Transport{Proxy: nil},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	defer client.CloseIdleConnections()
	form := url.Values{"phone": {phone}, "password": {buyerPassword}}
	resp, err := post(ctx, client, base, "/login", form, false)
	if err != nil {
		return nil, err
	}
	if resp != http.StatusSeeOther {
		return nil, fmt.Errorf("%s: POST /login: status %d", phone, resp)
	}
	// Signed in: the member page answers instead of sending to /login.
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/me", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", userAgent)
	r, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	io.Copy(io.Discard, r.Body)
	r.Body.Close()
	if r.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: GET /me after signing in: status %d", phone, r.StatusCode)
	}
	return jar, nil
}

// post sends a form as the storefront's pages do: same-origin headers
// (Go's CrossOriginProtection checks them), and htmx's header when asked.
// It returns the status after reading the whole body.
func post(ctx context.Context, client *http.Client, base, path string, form url.Values, htmx bool) (int, error) {
	req, err := newPost(ctx, base, path, form)
	if err != nil {
		return 0, err
	}
	if htmx {
		req.Header.Set("HX-Request", "true")
		req.Header.Set("HX-Current-URL", base+"/")
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	_, cerr := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if cerr != nil {
		return resp.StatusCode, fmt.Errorf("POST %s: read body: %w", path, cerr)
	}
	return resp.StatusCode, nil
}

// newPost is a form POST with a storefront page's headers.
func newPost(ctx context.Context, base, path string, form url.Values) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+path, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Origin", base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Sec-Fetch-Mode", "cors")
	return req, nil
}

// addToCartLoad is the add_to_cart scenario: each signed-in buyer taps
// "加入购物车" (htmx) on the product pages in turn, one piece at a time.
func addToCartLoad(l load, jars []http.CookieJar, skus []int64) load {
	l.jars = jars
	l.send = func(ctx context.Context, client *http.Client, w, n int) error {
		sku := skus[(w+n)%len(skus)]
		form := url.Values{"sku_id": {strconv.FormatInt(sku, 10)}, "qty": {"1"}}
		status, err := post(ctx, client, l.base, "/cart/add", form, true)
		if err != nil {
			return err
		}
		if status != http.StatusOK {
			return fmt.Errorf("POST /cart/add: status %d", status)
		}
		return nil
	}
	return l
}

// checkoutRun is the checkout scenario's measurement: buyers placing
// orders (each its own checkout token, two SKUs) back to back, with phones
// loading product pages at the same time.
type checkoutRun struct {
	orders  sample
	product sample
	via     string // "http": POST /checkout; "store": db.PlaceOrder
}

// hasCheckout reports whether the shop serves the storefront checkout: a
// signed-in buyer's "buy now" page answers 200 (404 when the shop has no
// checkout route).
func hasCheckout(ctx context.Context, base string, jar http.CookieJar, sku int64) (bool, error) {
	client := &http.Client{Jar: jar, Timeout: 30 * time.Second, Transport: &http.Transport{Proxy: nil},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	defer client.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/checkout?sku_id=%d&qty=1", base, sku), nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("User-Agent", userAgent)
	resp, err := client.Do(req)
	if err != nil {
		return false, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		return true, nil
	case http.StatusNotFound:
		return false, nil
	}
	return false, fmt.Errorf("GET /checkout: status %d", resp.StatusCode)
}

// checkoutItems are the lines of buyer w's n-th order: two SKUs in turn.
func checkoutItems(skus []int64, w, n int) []store.CheckoutItem {
	i := w + n
	items := []store.CheckoutItem{{SKUID: skus[i%len(skus)], Qty: 1}}
	if len(skus) > 1 {
		items = append(items, store.CheckoutItem{SKUID: skus[(i+1)%len(skus)], Qty: 1 + n%2})
	}
	return items
}

// runCheckout places orders with conns buyers while productLoad runs
// against the shop: through the storefront's checkout form (POST
// /checkout, answered by a redirect to the payment page) when the shop has
// one, else straight through the store of the data folder.
func runCheckout(ctx context.Context, dir, base string, conns int, warmup, duration time.Duration,
	buyers []buyer, jars []http.CookieJar, skus []int64, productLoad load) (checkoutRun, error) {
	if len(buyers) < conns || len(jars) < conns || len(skus) == 0 {
		return checkoutRun{}, fmt.Errorf("checkout: %d buyers, %d signed in, %d SKUs for %d connections", len(buyers), len(jars), len(skus), conns)
	}
	web, err := hasCheckout(ctx, base, jars[0], skus[0])
	if err != nil {
		return checkoutRun{}, fmt.Errorf("checkout: %w", err)
	}
	run := fmt.Sprint(time.Now().UnixNano()) // tokens unique across runs on a kept folder
	token := func(w, n int) string { return fmt.Sprintf("bench-%s-%d-%d", run, w, n) }
	var setup func(w int) (func(ctx context.Context, n int) error, func())
	via := "http"
	if web {
		l := load{base: base, jars: jars, conns: conns}
		setup = func(w int) (func(ctx context.Context, n int) error, func()) {
			client, cleanup := l.client(w)
			return func(ctx context.Context, n int) error {
				form := url.Values{"delivery": {"express"}, "address_id": {strconv.FormatInt(buyers[w].address, 10)},
					"token": {token(w, n)}}
				for _, it := range checkoutItems(skus, w, n) {
					form.Add("line", fmt.Sprintf("%d:%d", it.SKUID, it.Qty))
				}
				status, err := post(ctx, client, base, "/checkout", form, false)
				if err != nil {
					return err
				}
				if status != http.StatusSeeOther {
					return fmt.Errorf("POST /checkout: status %d", status)
				}
				return nil
			}, cleanup
		}
	} else {
		via = "store"
		db, err := store.Open(ctx, filepath.Join(dir, "xiaodian.db"))
		if err != nil {
			return checkoutRun{}, fmt.Errorf("checkout: %w", err)
		}
		defer db.Close()
		setup = func(w int) (func(ctx context.Context, n int) error, func()) {
			b := buyers[w]
			return func(ctx context.Context, n int) error {
				_, err := db.PlaceOrder(ctx, store.CheckoutInput{CustomerID: b.id, Items: checkoutItems(skus, w, n),
					Delivery: store.DeliveryExpress, AddressID: b.address, Token: token(w, n)})
				return err
			}, func() {}
		}
	}

	var product sample
	var productErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		product, productErr = productLoad.run(ctx)
	}()
	orders, err := closedLoop(ctx, conns, warmup, duration, setup)
	wg.Wait()
	if err != nil {
		return checkoutRun{}, fmt.Errorf("checkout: %w", err)
	}
	if productErr != nil {
		return checkoutRun{}, fmt.Errorf("checkout: product pages: %w", productErr)
	}
	return checkoutRun{orders: orders, product: product, via: via}, nil
}
