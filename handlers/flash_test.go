package handlers

import (
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	flashsale "github.com/xiaodian/xiaodian/plugins/flash"
	"github.com/xiaodian/xiaodian/store"
)

// saveFlash makes a live slot with one item.
func saveFlash(t *testing.T, a *testApp, sku int64, price store.Fen, stock, perUser int) (sale, item int64) {
	t.Helper()
	ctx := t.Context()
	now := a.DB.Now()
	sale, err := flashsale.SaveSale(ctx, a.DB, &flashsale.Sale{Name: "10点场", StartsAt: now.Add(-time.Minute), EndsAt: now.Add(2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	item, err = flashsale.SaveItem(ctx, a.DB, &flashsale.Item{SaleID: sale, SKUID: sku, Price: price, Stock: stock, PerUser: perUser})
	if err != nil {
		t.Fatal(err)
	}
	return sale, item
}

// The flash sale through the real router: the product page's bar, the
// flash price at checkout with the five-minute window, the per-customer
// limit, sold out without the writer, a cancelled order's unit offered
// again, the 秒杀 page, the back office and the switch.
func TestFlashSale(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	ctx := t.Context()
	milk := skuOf(t, a, fx.milk, "1罐") // ¥238
	_, item := saveFlash(t, a, milk, 9900, 2, 1)
	if _, err := flashsale.SaveItem(ctx, a.DB, &flashsale.Item{SaleID: 1, SKUID: milk, Price: 25000, Stock: 5}); err == nil {
		t.Fatal("a flash price above the SKU's price was saved")
	}

	_, page := a.get(t, "/p/"+idStr(fx.milk))
	if !strings.Contains(page, `data-testid="flash-bar"`) || !strings.Contains(page, "99.00") || !strings.Contains(page, `data-testid="flash-buy"`) {
		t.Fatalf("product page bar: %.4000s", page)
	}
	_, list := a.get(t, "/flash")
	if !strings.Contains(list, `data-testid="flash-item"`) || !strings.Contains(list, "抢购中") {
		t.Fatalf("flash page: %.4000s", list)
	}

	b := newBuyer(t, a, fx, custPhone, true)
	buy := "&o_flash=" + idStr(item)
	o := b.buyNow(t, milk, 1, buy)
	if o.Goods != 23800 || o.Discount != 23800-9900 || o.Payable-o.Shipping != 9900 {
		t.Fatalf("flash order: goods %d discount %d payable %d", o.Goods, o.Discount, o.Payable)
	}
	if w := o.PayDeadline.Sub(o.CreatedAt); w != 5*time.Minute {
		t.Fatalf("payment window %s, want 5m", w)
	}
	// The limit is one: the second unit is refused with the reason.
	form, _ := b.checkout(t, "/checkout?sku_id="+idStr(milk)+"&qty=1"+buy)
	resp, body := b.postForm(t, checkoutPath, form)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "每人限购1件") {
		t.Fatalf("over the limit: %d %.3000s", resp.StatusCode, body)
	}

	c := newBuyer(t, newClientFor(a), fx, "13900139001", true)
	c.buyNow(t, milk, 1, buy)
	// Sold out: the third buyer is answered from memory, without a write.
	d := newBuyer(t, newClientFor(a), fx, "13900139002", true)
	form, _ = d.checkout(t, "/checkout?sku_id="+idStr(milk)+"&qty=1"+buy)
	writes := a.DB.Writes()
	resp, body = d.postForm(t, checkoutPath, form)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "已抢光") {
		t.Fatalf("sold out: %d %.3000s", resp.StatusCode, body)
	}
	if n := a.DB.Writes() - writes; n != 0 {
		t.Fatalf("the sold-out answer began %d write transactions", n)
	}
	// The first buyer cancels: the unit is offered again at once.
	if err := a.DB.CancelOrder(ctx, b.id, o.ID, ""); err != nil {
		t.Fatal(err)
	}
	if o2 := d.place(t, form); o2.Payable-o2.Shipping != 9900 {
		t.Fatalf("after the cancel: payable %d", o2.Payable)
	}
	sale, err := flashsale.GetSale(ctx, a.DB, 1)
	if err != nil || sale.Items[0].Sold != 2 {
		t.Fatalf("sold %v %v", sale, err)
	}
	if _, page = a.get(t, "/p/"+idStr(fx.milk)); !strings.Contains(page, `data-testid="flash-gone"`) {
		t.Fatalf("sold out bar: %.4000s", page)
	}
	// Unpaid flash orders are cancelled after five minutes, not thirty,
	// and their units come back.
	plain := c.buyNow(t, skuOf(t, a, fx.dress, "红 / S"), 1, "")
	at := a.DB.Now().Add(6 * time.Minute)
	a.DB.SetClock(func() time.Time { return at })
	if n, err := a.DB.CancelExpiredOrders(ctx, 10); err != nil || n != 2 {
		t.Fatalf("expired: %d %v", n, err)
	}
	if c.status(t, plain.ID) != store.StatusPendingPayment {
		t.Fatal("a plain order was cancelled after six minutes")
	}
	if s, _ := flashsale.GetSale(ctx, a.DB, 1); s.Items[0].Sold != 0 {
		t.Fatalf("after the timeout: sold %d", s.Items[0].Sold)
	}

	a.setupOwner(t)
	_, adm := a.get(t, "/admin/flash")
	if !strings.Contains(adm, `data-testid="flash-row"`) || !strings.Contains(adm, "抢购中") {
		t.Fatalf("admin list: %.3000s", adm)
	}
	resp, body = a.postForm(t, "/admin/flash/new", url.Values{"name": {""}, "starts_at": {"2026-12-01T10:00"}, "ends_at": {"2026-11-01T10:00"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="error-name"`) ||
		!strings.Contains(body, `data-testid="error-ends_at"`) {
		t.Fatalf("bad slot form: %d %.2000s", resp.StatusCode, body)
	}
	resp, body = a.postForm(t, "/admin/flash/1/items", url.Values{"product_id": {idStr(fx.dress)}, "price": {"abc"}, "stock": {"0"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="error-sku_id"`) ||
		!strings.Contains(body, `data-testid="error-price"`) || !strings.Contains(body, `name="sku_id"`) {
		t.Fatalf("bad item form: %d %.3000s", resp.StatusCode, body)
	}
	resp, _ = a.postForm(t, "/admin/flash/1/items/"+idStr(item)+"/remove", nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove a bought item: %d", resp.StatusCode)
	}
	if s, _ := flashsale.GetSale(ctx, a.DB, 1); len(s.Items) != 1 {
		t.Fatal("a bought item was removed")
	}

	// Switched off: the option is ignored, the SKU sells at its price.
	if resp, _ := a.postForm(t, "/admin/marketing/flash/enabled", url.Values{"on": {"0"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("switch off: %d", resp.StatusCode)
	}
	e := newBuyer(t, newClientFor(a), fx, "13900139003", true)
	if o := e.buyNow(t, milk, 1, buy); o.Discount != 0 {
		t.Fatalf("switched off: discount %d", o.Discount)
	}
	if resp, _ := a.get(t, "/flash"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("switched off: /flash %d", resp.StatusCode)
	}
}

// bulkBuyers makes n customers with an address each, in one transaction
// (registering them one by one would hash n passwords): raw SQL, as the
// store has no call for making customers without a password.
func bulkBuyers(t *testing.T, db *store.DB, n int) (ids, addresses []int64) {
	t.Helper()
	ctx := t.Context()
	err := db.Write(ctx, func(tx *sql.Tx) error {
		now := db.Now().Unix()
		for i := range n {
			res, err := tx.ExecContext(ctx, `INSERT INTO customers (phone, password_hash, nickname, created_at, last_login_at)
				VALUES (?, '', '', ?, ?)`, fmt.Sprintf("1980000%04d", i), now, now)
			if err != nil {
				return err
			}
			id, _ := res.LastInsertId()
			res, err = tx.ExecContext(ctx, `INSERT INTO addresses (customer_id, name, phone, province_code, city_code, district_code,
				province, city, district, detail, is_default, created_at, updated_at)
				VALUES (?, '买家', '13912345678', '44', '4403', '440305', '广东省', '深圳市', '南山区', '科技园 1 栋', 1, ?, ?)`, id, now, now)
			if err != nil {
				return err
			}
			aid, _ := res.LastInsertId()
			ids, addresses = append(ids, id), append(addresses, aid)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids, addresses
}

// 5,000 checkouts race for 100 flash units, two from each of 2,500
// customers with a limit of one: exactly 100 orders, no customer above the
// limit, the SKU's stock down by exactly 100, and the sold-out answers
// never queued for the writer.
func TestFlashSaleRace(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	ctx := t.Context()
	milk := skuOf(t, a, fx.milk, "1罐")
	_, item := saveFlash(t, a, milk, 9900, 100, 1)
	ids, addrs := bulkBuyers(t, a.DB, 2500)
	if err := a.DB.Write(ctx, func(tx *sql.Tx) error { // more than the flash stock
		_, err := tx.ExecContext(ctx, `UPDATE skus SET stock = 1000 WHERE id = ?`, milk)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	stock := func() int {
		var n int
		if err := a.DB.Read(ctx, func(tx *sql.Tx) error {
			return tx.QueryRowContext(ctx, `SELECT stock FROM skus WHERE id = ?`, milk).Scan(&n)
		}); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before, writes := stock(), a.DB.Writes()

	const attempts = 5000
	var placed, soldOut, limited atomic.Int64
	var failed atomic.Value
	sem := make(chan struct{}, 64)
	var wg sync.WaitGroup
	for i := range attempts {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			b := i / 2 // a customer's two attempts race each other
			_, err := a.DB.PlaceOrder(ctx, store.CheckoutInput{CustomerID: ids[b], AddressID: addrs[b],
				Items: []store.CheckoutItem{{SKUID: milk, Qty: 1}}, Token: fmt.Sprintf("flash-%d", i),
				Options: map[string]string{flashsale.OptionKey: idStr(item)}})
			var ve *store.ValidationError
			switch {
			case err == nil:
				placed.Add(1)
			case errors.As(err, &ve) && ve.Key == "flash.err.sold_out":
				soldOut.Add(1)
			case errors.As(err, &ve) && ve.Key == "flash.err.limit":
				limited.Add(1)
			default:
				failed.Store(err)
			}
		}()
	}
	wg.Wait()
	if err := failed.Load(); err != nil {
		t.Fatal(err)
	}
	if placed.Load() != 100 || placed.Load()+soldOut.Load()+limited.Load() != attempts {
		t.Fatalf("placed %d, sold out %d, over the limit %d", placed.Load(), soldOut.Load(), limited.Load())
	}
	var orders, maxPer, sold int
	if err := a.DB.Read(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(MAX(n), 0) FROM (SELECT customer_id, COUNT(*) AS n FROM orders
			WHERE status = 'pending_payment' GROUP BY customer_id)`).Scan(&orders, &maxPer); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT sold FROM flash_items WHERE id = ?`, item).Scan(&sold)
	}); err != nil {
		t.Fatal(err)
	}
	if orders != 100 || maxPer != 1 || sold != 100 || before-stock() != 100 {
		t.Fatalf("%d customers with orders, at most %d each, sold %d, stock %d → %d", orders, maxPer, sold, before, stock())
	}
	// Only the placed checkouts began a write: the sold-out answers and a
	// customer's second try were refused from memory.
	if w := a.DB.Writes() - writes; w > uint64(placed.Load()) {
		t.Fatalf("%d write transactions for %d orders and %d over the limit (%d sold out)", w, placed.Load(), limited.Load(), soldOut.Load())
	}
	t.Logf("%d placed, %d sold out, %d over the limit", placed.Load(), soldOut.Load(), limited.Load())
}
