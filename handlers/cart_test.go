package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/xiaodian/xiaodian/store"
)

// skuOf is the id of the product's SKU with the given label ("" for a
// product without specs).
func skuOf(t *testing.T, a *testApp, product int64, label string) int64 {
	t.Helper()
	p, err := a.DB.ProductByID(t.Context(), product)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range p.SKUs {
		if s.Label() == label {
			return s.ID
		}
	}
	t.Fatalf("product %d has no SKU %q", product, label)
	return 0
}

// htmxPost posts form as htmx does.
func (a *testApp) htmxPost(t *testing.T, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	return a.do(t, http.MethodPost, path, strings.NewReader(form.Encode()), http.Header{
		"Content-Type": {"application/x-www-form-urlencoded"},
		"Origin":       {a.srv.URL},
		"Hx-Request":   {"true"},
	})
}

// addToCart posts the product page's form without JavaScript and expects
// the redirect to the cart.
func (a *testApp) addToCart(t *testing.T, sku int64, qty int) {
	t.Helper()
	resp, body := a.postForm(t, "/cart/add", url.Values{"sku_id": {idStr(sku)}, "qty": {strconv.Itoa(qty)}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/cart" {
		t.Fatalf("add %d×%d: status %d, Location %q: %s", sku, qty, resp.StatusCode, resp.Header.Get("Location"), body)
	}
}

// cartPage fetches /cart and returns the body.
func (a *testApp) cartPage(t *testing.T) string {
	t.Helper()
	resp, body := a.get(t, "/cart")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /cart: status %d", resp.StatusCode)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Fatalf("GET /cart: Cache-Control %q", cc)
	}
	return body
}

// cartTotal reads the total in fen from a cart page or fragment.
func cartTotal(t *testing.T, body string) int64 {
	t.Helper()
	_, rest, ok := strings.Cut(body, `data-testid="cart-total" data-fen="`)
	if !ok {
		t.Fatalf("no cart total in %s", body)
	}
	v, _, _ := strings.Cut(rest, `"`)
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// customerCart is the customer's cart in the database, quantity by SKU.
func customerCart(t *testing.T, a *testApp, phone string) map[int64]int {
	t.Helper()
	cu, err := a.DB.AuthenticateCustomer(t.Context(), phone, custPassword)
	if err != nil {
		t.Fatal(err)
	}
	lines, err := a.DB.CartLines(t.Context(), cu.ID)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]int{}
	for _, l := range lines {
		out[l.SKUID] = l.Qty
	}
	return out
}

func TestGuestCartMergedAtRegistration(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	milk := skuOf(t, a, fx.milk, "1罐")      // ¥238, stock 10
	blueM := skuOf(t, a, fx.dress, "蓝 / M") // ¥130, stock 7

	g := newClientFor(a)
	g.addToCart(t, milk, 2)
	resp, body := g.htmxPost(t, "/cart/add", url.Values{"sku_id": {idStr(blueM)}, "qty": {"1"}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "已加入购物车") || !strings.Contains(body, `hx-swap-oob="true" data-testid="cart-badge">3<`) {
		t.Fatalf("htmx add: status %d: %s", resp.StatusCode, body)
	}
	page := g.cartPage(t)
	if n := strings.Count(page, `data-testid="cart-line"`); n != 2 {
		t.Fatalf("guest cart has %d lines: %s", n, page)
	}
	if n := strings.Count(page, `id="cart-badge"`); n != 1 {
		t.Fatalf("the cart page has %d badges", n)
	}
	if got := cartTotal(t, page); got != 2*23800+13000 {
		t.Fatalf("guest total %d", got)
	}
	if _, badge := g.get(t, "/cart/badge"); !strings.Contains(badge, ">3<") {
		t.Fatalf("badge: %s", badge)
	}

	g.register(t, "13700137000")
	if got := customerCart(t, a, "13700137000"); len(got) != 2 || got[milk] != 2 || got[blueM] != 1 {
		t.Fatalf("merged cart %v", got)
	}
	if got := cartTotal(t, g.cartPage(t)); got != 2*23800+13000 {
		t.Fatalf("customer total %d", got)
	}
	// The guest cart left the session: signing out shows an empty cart.
	if resp, _ := g.postForm(t, "/logout", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	if page := g.cartPage(t); !strings.Contains(page, `data-testid="cart-empty"`) {
		t.Fatalf("cart after logout: %s", page)
	}
}

func TestCartRefusesMoreThanStock(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	kids := skuOf(t, a, fx.kidsMilk, "") // stock 5
	for _, signedIn := range []bool{false, true} {
		t.Run("signed in "+strconv.FormatBool(signedIn), func(t *testing.T) {
			c := newClientFor(a)
			if signedIn {
				c.register(t, "13600136000")
			}
			c.addToCart(t, kids, 3)
			_, body := c.htmxPost(t, "/cart/add", url.Values{"sku_id": {idStr(kids)}, "qty": {"3"}})
			if !strings.Contains(body, "toast-error") || !strings.Contains(body, "最多可购买 5 件") {
				t.Fatalf("over stock with htmx: %s", body)
			}
			_, body = c.htmxPost(t, "/cart/qty", url.Values{"sku_id": {idStr(kids)}, "qty": {"6"}})
			if !strings.Contains(body, `data-testid="cart-error"`) || !strings.Contains(body, `data-testid="qty">3<`) {
				t.Fatalf("qty over stock: %s", body)
			}
			c.addToCart(t, kids, 9) // without JavaScript: the cart shows why
			page := c.cartPage(t)
			if !strings.Contains(page, `data-testid="cart-error"`) || !strings.Contains(page, `data-testid="qty">3<`) {
				t.Fatalf("cart after refused add: %s", page)
			}
			if got := cartTotal(t, page); got != 3*19800 {
				t.Fatalf("total %d", got)
			}
			_, body = c.htmxPost(t, "/cart/qty", url.Values{"sku_id": {idStr(kids)}, "qty": {"5"}})
			if !strings.Contains(body, `data-testid="qty">5<`) || cartTotal(t, body) != 5*19800 {
				t.Fatalf("qty 5: %s", body)
			}
		})
	}
}

func TestCartOffShelfLineUnavailable(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	c := newClientFor(a)
	c.register(t, custPhone)
	c.addToCart(t, skuOf(t, a, fx.milk, "1罐"), 1)
	c.addToCart(t, skuOf(t, a, fx.kidsMilk, ""), 2)
	if got := cartTotal(t, c.cartPage(t)); got != 23800+2*19800 {
		t.Fatalf("total %d", got)
	}
	if _, err := a.DB.SetOnShelf(t.Context(), []int64{fx.milk}, false); err != nil {
		t.Fatal(err)
	}
	page := c.cartPage(t)
	if !strings.Contains(page, `data-status="off_shelf"`) || !strings.Contains(page, "商品已下架") {
		t.Fatalf("off-shelf line not marked: %s", page)
	}
	if got := cartTotal(t, page); got != 2*19800 {
		t.Fatalf("total with an off-shelf line %d", got)
	}
}

func TestCartSelectAndRemove(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	kids, milk := skuOf(t, a, fx.kidsMilk, ""), skuOf(t, a, fx.milk, "1罐")
	for _, signedIn := range []bool{false, true} {
		t.Run("signed in "+strconv.FormatBool(signedIn), func(t *testing.T) {
			c := newClientFor(a)
			if signedIn {
				c.register(t, "13500135000")
			}
			c.addToCart(t, kids, 1)
			c.addToCart(t, milk, 1)
			_, body := c.htmxPost(t, "/cart/select", url.Values{"sku_id": {idStr(milk)}, "on": {"0"}})
			if got := cartTotal(t, body); got != 19800 {
				t.Fatalf("after unselect: %d", got)
			}
			_, body = c.htmxPost(t, "/cart/select", url.Values{"all": {"1"}, "on": {"1"}})
			if got := cartTotal(t, body); got != 19800+23800 {
				t.Fatalf("after select all: %d", got)
			}
			resp, _ := c.postForm(t, "/cart/remove", url.Values{"sku_id": {idStr(kids)}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("remove: %d", resp.StatusCode)
			}
			if got := cartTotal(t, c.cartPage(t)); got != 23800 {
				t.Fatalf("after remove: %d", got)
			}
			if resp, _ := c.postForm(t, "/cart/remove", url.Values{"sku_id": {"x"}}); resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("bad sku id: %d", resp.StatusCode)
			}
		})
	}
}

func TestCartCannotTouchAnotherCustomersLines(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	kids := skuOf(t, a, fx.kidsMilk, "")
	alice := newClientFor(a)
	alice.register(t, custPhone)
	alice.addToCart(t, kids, 2)

	for _, signedIn := range []bool{false, true} {
		bo := newClientFor(a)
		if signedIn {
			bo.register(t, "13900139000")
		}
		for _, post := range []struct {
			path string
			form url.Values
		}{
			{"/cart/qty", url.Values{"sku_id": {idStr(kids)}, "qty": {"1"}}},
			{"/cart/select", url.Values{"sku_id": {idStr(kids)}, "on": {"0"}}},
			{"/cart/select", url.Values{"all": {"1"}, "on": {"0"}}},
			{"/cart/remove", url.Values{"sku_id": {idStr(kids)}}},
		} {
			if resp, body := bo.postForm(t, post.path, post.form); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("%s: status %d: %s", post.path, resp.StatusCode, body)
			}
		}
		if got := customerCart(t, a, custPhone); len(got) != 1 || got[kids] != 2 {
			t.Fatalf("alice's cart changed: %v", got)
		}
		if got := cartTotal(t, alice.cartPage(t)); got != 2*19800 {
			t.Fatalf("alice's selection changed: total %d", got)
		}
	}
}

func TestCachedPagesCarryNoCart(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	g := newClientFor(a)
	// A first visitor's first add already answers the new count.
	_, body := g.htmxPost(t, "/cart/add", url.Values{"sku_id": {idStr(skuOf(t, a, fx.kidsMilk, ""))}, "qty": {"4"}})
	if !strings.Contains(body, `data-testid="cart-badge">4<`) {
		t.Fatalf("first add: %s", body)
	}

	home := a.anonGet(t, "/")
	key := func(path string) string {
		// The key of an anonymous visitor's request, as pageKey builds it.
		return path + "|zh-CN||" + strconv.FormatInt(a.DB.CatalogueVersion(), 10) + "|" + strconv.FormatInt(a.Themes.Version(), 10)
	}
	if a.Handler.pages.get(key("/")) == nil {
		t.Fatal("the home page was not kept in the page cache")
	}
	if again := a.anonGet(t, "/"); again != home {
		t.Fatal("the cached home page changed")
	}
	if !strings.Contains(home, `hx-get="/cart/badge"`) || strings.Contains(home, `data-testid="cart-badge"`) {
		t.Fatalf("cached home page carries a cart: %s", home)
	}
	product := a.anonGet(t, "/p/"+idStr(fx.kidsMilk))
	if !strings.Contains(product, `hx-get="/cart/badge"`) || !strings.Contains(product, `data-testid="add-to-cart"`) {
		t.Fatalf("product page: %s", product)
	}
	// The guest with a cart sees their count, loaded apart from the page.
	if _, badge := g.get(t, "/cart/badge"); !strings.Contains(badge, ">4<") {
		t.Fatalf("badge: %s", badge)
	}
	if _, badge := newClientFor(a).get(t, "/cart/badge"); !strings.Contains(badge, "hidden") {
		t.Fatalf("empty badge: %s", badge)
	}
}

func TestParseQty(t *testing.T) {
	tests := []struct {
		in   string
		want int
		ok   bool
	}{
		{"1", 1, true},
		{" 12 ", 12, true},
		{"999", 999, true},
		{"0999", 999, true},
		{"1000", 0, false},
		{"0", 0, false},
		{"-1", 0, false},
		{"1.5", 0, false},
		{"", 0, false},
		{"１", 0, false},
		{"99999999999999999999", 0, false},
	}
	for _, tt := range tests {
		got, err := parseQty(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseQty(%q) = %d, %v; want %d, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func FuzzParseQty(f *testing.F) {
	for _, s := range []string{"1", "999", "1000", "-1", " 5 ", "1e3", "0x10", "٣"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseQty(s)
		if err != nil {
			if n != 0 {
				t.Fatalf("parseQty(%q) = %d with an error", s, n)
			}
			return
		}
		if n < 1 || n > store.MaxCartQty {
			t.Fatalf("parseQty(%q) = %d out of range", s, n)
		}
		if want, aerr := strconv.Atoi(strings.TrimSpace(s)); aerr != nil || want != n {
			t.Fatalf("parseQty(%q) = %d, Atoi says %d, %v", s, n, want, aerr)
		}
	})
}
