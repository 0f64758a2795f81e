package handlers

import (
	"context"
	"database/sql"
	"html"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/xiaodian/xiaodian/store"
)

// buyer is a signed-in customer of a seeded shop.
type buyer struct {
	*testApp
	fx      shopFixture
	id      int64
	address int64
}

// newBuyer seeds the shop and registers phone; withAddress gives them a
// default address in 南山区.
func newBuyer(t *testing.T, a *testApp, fx shopFixture, phone string, withAddress bool) *buyer {
	t.Helper()
	b := &buyer{testApp: a, fx: fx}
	b.register(t, phone)
	cu, err := a.DB.AuthenticateCustomer(t.Context(), phone, custPassword)
	if err != nil {
		t.Fatal(err)
	}
	b.id = cu.ID
	if withAddress {
		b.address, err = a.DB.CreateAddress(t.Context(), cu.ID, store.AddressInput{Name: "张三", Phone: "13912345678",
			ProvinceCode: "44", CityCode: "4403", DistrictCode: "440305", Detail: "科技园南区 1 栋 101", IsDefault: true})
		if err != nil {
			t.Fatal(err)
		}
	}
	return b
}

var hiddenRe = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)"`)

// checkoutFields reads the checkout form's hidden fields.
func checkoutFields(t *testing.T, body string) url.Values {
	t.Helper()
	_, form, ok := strings.Cut(body, `data-testid="checkout-form"`)
	if !ok {
		t.Fatalf("no checkout form in %.3000s", body)
	}
	form, _, _ = strings.Cut(form, "</form>")
	v := url.Values{}
	for _, m := range hiddenRe.FindAllStringSubmatch(form, -1) {
		v.Add(m[1], html.UnescapeString(m[2]))
	}
	return v
}

// checkout opens path and returns the form's fields.
func (b *buyer) checkout(t *testing.T, path string) (url.Values, string) {
	t.Helper()
	resp, body := b.get(t, path)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %.2000s", path, resp.StatusCode, body)
	}
	return checkoutFields(t, body), body
}

// place posts the checkout form and expects the payment page; it returns
// the order.
func (b *buyer) place(t *testing.T, form url.Values) *store.Order {
	t.Helper()
	resp, body := b.postForm(t, checkoutPath, form)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, payPath) {
		t.Fatalf("place: %d %q %.3000s", resp.StatusCode, loc, body)
	}
	o, err := b.DB.OrderForCustomerByNo(t.Context(), b.id, strings.TrimPrefix(loc, payPath))
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func (b *buyer) orderCount(t *testing.T) int {
	t.Helper()
	_, total, err := b.DB.CustomerOrders(t.Context(), b.id, store.TabAll, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	return total
}

func TestCheckoutFromCart(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	b := newBuyer(t, a, fx, custPhone, true)
	redS, blueM := skuOf(t, a, fx.dress, "红 / S"), skuOf(t, a, fx.dress, "蓝 / M")
	milk := skuOf(t, a, fx.kidsMilk, "")
	b.addToCart(t, redS, 2)
	b.addToCart(t, blueM, 1)
	b.addToCart(t, milk, 1)
	// The milk is unselected: it stays in the cart.
	if resp, _ := b.postForm(t, "/cart/select", url.Values{"sku_id": {idStr(milk)}, "on": {"0"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("unselect: %d", resp.StatusCode)
	}
	if body := b.cartPage(t); !strings.Contains(body, `data-testid="cart-checkout"`) || !strings.Contains(body, `action="/checkout"`) {
		t.Fatal("the cart has no 结算 button")
	}
	form, body := b.checkout(t, "/checkout?from=cart")
	if n := strings.Count(body, `data-testid="checkout-line"`); n != 2 {
		t.Fatalf("checkout lines = %d, want 2", n)
	}
	for _, want := range []string{"法式连衣裙", "红 / S", "科技园南区 1 栋 101", `data-fen="33000"`, "提交订单"} {
		if !strings.Contains(body, want) {
			t.Errorf("checkout lacks %q", want)
		}
	}
	if strings.Contains(body, `disabled data-testid="submit-order"`) {
		t.Fatal("submit disabled on a buyable checkout")
	}
	if form.Get("token") == "" || form.Get("from") != "cart" || len(form["line"]) != 2 || form.Get("address_id") != idStr(b.address) {
		t.Fatalf("form = %v", form)
	}
	form.Set("note", "请放门口")
	o := b.place(t, form)
	if o.Status != store.StatusPendingPayment || o.Payable != 33000 || o.Pieces != 3 || o.Note != "请放门口" || o.ShipName != "张三" {
		t.Fatalf("order = %+v", o)
	}
	cart := customerCart(t, a, custPhone)
	if len(cart) != 1 || cart[milk] != 1 {
		t.Fatalf("cart after checkout = %v, want only the unselected milk", cart)
	}
	// Nothing selected: back to the cart with a message.
	if resp, _ := b.postForm(t, "/cart/select", url.Values{"all": {"1"}, "on": {"0"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatal("unselect all")
	}
	resp, _ := b.get(t, "/checkout?from=cart")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != cartPath {
		t.Fatalf("empty checkout: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if body := b.cartPage(t); !strings.Contains(body, "请选择要购买的商品") {
		t.Error("the cart does not say why")
	}
}

func TestCheckoutBuyNowDoubleSubmitMakesOneOrder(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	b := newBuyer(t, a, fx, custPhone, true)
	blueM := skuOf(t, a, fx.dress, "蓝 / M")
	form, body := b.checkout(t, "/checkout?sku_id="+idStr(blueM)+"&qty=2")
	if !strings.Contains(body, `data-fen="26000"`) || form.Get("line") != idStr(blueM)+":2" || form.Get("from") != "" {
		t.Fatalf("buy now form %v", form)
	}
	first := b.place(t, form)
	second := b.place(t, form)
	if first.ID != second.ID || b.orderCount(t) != 1 {
		t.Fatalf("double submit: orders %d and %d, count %d", first.ID, second.ID, b.orderCount(t))
	}
	p, _ := a.DB.ProductByID(t.Context(), fx.dress)
	for _, s := range p.SKUs {
		if s.ID == blueM && s.Stock != 5 {
			t.Fatalf("stock = %d, want 5 (7 − 2 once)", s.Stock)
		}
	}
	// A new page has a new token: a second order.
	form2, _ := b.checkout(t, "/checkout?sku="+idStr(blueM))
	if form2.Get("token") == form.Get("token") {
		t.Fatal("the token did not change")
	}
	b.place(t, form2)
	if n := b.orderCount(t); n != 2 {
		t.Fatalf("orders = %d, want 2", n)
	}
	// The product page's picker offers 立即购买 to the checkout.
	_, body = b.get(t, "/p/"+idStr(fx.dress)+"?s0=蓝&s1=M")
	if !strings.Contains(body, `formaction="/checkout" formmethod="get" data-testid="buy-now"`) {
		t.Error("the product page has no 立即购买")
	}
	// htmx (the button inside the add-to-cart form) is told to load the page.
	resp, _ := b.do(t, http.MethodGet, "/checkout?sku_id="+idStr(blueM)+"&qty=1", nil, http.Header{"Hx-Request": {"true"}})
	if resp.Header.Get("HX-Redirect") != "/checkout?sku_id="+idStr(blueM)+"&qty=1" {
		t.Fatalf("htmx buy now: %d %q", resp.StatusCode, resp.Header.Get("HX-Redirect"))
	}
}

func TestCheckoutGuestSentToLoginAndBack(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	blueM := skuOf(t, a, fx.dress, "蓝 / M")
	path := "/checkout?sku_id=" + idStr(blueM) + "&qty=1"
	resp, _ := a.get(t, path)
	want := "/login?next=" + url.QueryEscape(path)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
		t.Fatalf("guest: %d %q, want %q", resp.StatusCode, resp.Header.Get("Location"), want)
	}
	a.register(t, custPhone)
	resp, _ = a.postForm(t, "/login", url.Values{"phone": {custPhone}, "password": {custPassword}, "next": {path}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != path {
		t.Fatalf("login: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// A guest's cart moves into the account at sign-in; 结算 sends a guest
	// to sign in first.
	g := newClientFor(a)
	g.addToCart(t, blueM, 1)
	resp, _ = g.get(t, "/checkout?from=cart")
	if resp.Header.Get("Location") != "/login?next="+url.QueryEscape("/checkout?from=cart") {
		t.Fatalf("guest from cart: %q", resp.Header.Get("Location"))
	}
}

func TestCheckoutRefusals(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	b := newBuyer(t, a, fx, custPhone, true)
	redS, redM := skuOf(t, a, fx.dress, "红 / S"), skuOf(t, a, fx.dress, "红 / M")

	// An out-of-stock line: shown with its reason, submit disabled, and a
	// forced submit is 422 with the message and no order.
	form, body := b.checkout(t, "/checkout?line="+url.QueryEscape(idStr(redS)+":1")+"&line="+url.QueryEscape(idStr(redM)+":1"))
	if !strings.Contains(body, `data-testid="line-problem">法式连衣裙 已售罄`) || !strings.Contains(body, `disabled data-testid="submit-order"`) {
		t.Fatalf("out of stock not shown: %.4000s", body)
	}
	resp, body := b.postForm(t, checkoutPath, form)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="checkout-error">法式连衣裙 已售罄`) {
		t.Fatalf("out of stock submit: %d %.3000s", resp.StatusCode, body)
	}
	if strings.Count(body, `data-testid="checkout-error"`) != 1 {
		t.Errorf("the message is repeated: %d", strings.Count(body, `data-testid="checkout-error"`))
	}
	// More than the stock.
	form, _ = b.checkout(t, "/checkout?sku_id="+idStr(redS)+"&qty=6")
	resp, body = b.postForm(t, checkoutPath, form)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "库存不足，仅剩 5 件") {
		t.Fatalf("not enough: %d", resp.StatusCode)
	}

	// No address: a link to add one that comes back, and 422 on submit.
	c := newBuyer(t, newClientFor(a), fx, "13900139000", false)
	form, body = c.checkout(t, "/checkout?sku_id="+idStr(redS))
	back := url.QueryEscape("/checkout?line=" + url.QueryEscape(idStr(redS)+":1"))
	if !strings.Contains(body, `data-testid="add-address"`) || !strings.Contains(body, html.EscapeString("/me/addresses/new?back="+back)) {
		t.Fatalf("no add-address link: %.4000s", body)
	}
	resp, body = c.postForm(t, checkoutPath, form)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "请选择收货地址") {
		t.Fatalf("no address submit: %d", resp.StatusCode)
	}
	// Someone else's address is not theirs to use.
	form.Set("address_id", idStr(b.address))
	resp, body = c.postForm(t, checkoutPath, form)
	if resp.StatusCode != http.StatusUnprocessableEntity || strings.Contains(body, "科技园南区") {
		t.Fatalf("another's address: %d", resp.StatusCode)
	}
	if c.orderCount(t) != 0 || b.orderCount(t) != 0 {
		t.Fatal("a refused checkout made an order")
	}
	// Malformed input is a bad request.
	for _, q := range []string{"", "?sku_id=abc", "?sku_id=1&qty=0", "?sku_id=1&qty=1000", "?line=1", "?line=1:1&line=1:2", "?sku_id=1&delivery=drone"} {
		if resp, _ := b.get(t, "/checkout"+q); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("GET /checkout%s: %d, want 400", q, resp.StatusCode)
		}
	}
}

func TestCheckoutPickup(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	b := newBuyer(t, a, fx, custPhone, true)
	redS := skuOf(t, a, fx.dress, "红 / S")
	path := "/checkout?sku_id=" + idStr(redS)
	if _, body := b.checkout(t, path); strings.Contains(body, `data-testid="delivery-switch"`) {
		t.Fatal("the delivery switch is shown without pickup stores")
	}
	storeID, err := a.DB.CreatePickupStore(t.Context(), store.PickupStoreInput{Name: "科技园店", Phone: "0755-88886666",
		ProvinceCode: "44", CityCode: "4403", DistrictCode: "440305", Detail: "科苑路 8 号", Hours: "09:00-21:00", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	_, body := b.checkout(t, path)
	if !strings.Contains(body, `data-testid="delivery-pickup"`) {
		t.Fatal("no 门店自提 switch")
	}
	form, body := b.checkout(t, path+"&delivery=pickup")
	if !strings.Contains(body, "科技园店") || form.Get("pickup_store_id") != idStr(storeID) || form.Get("delivery") != "pickup" {
		t.Fatalf("pickup form %v", form)
	}
	_, body = b.get(t, "/checkout/choose?"+url.Values{"line": {idStr(redS) + ":1"}, "delivery": {"pickup"}}.Encode())
	if !strings.Contains(body, "科技园店") || !strings.Contains(body, "营业时间 09:00-21:00") {
		t.Fatal("the store chooser lacks the store")
	}
	o := b.place(t, form)
	if o.Delivery != store.DeliveryPickup || o.PickupStoreID != storeID || o.Shipping != 0 {
		t.Fatalf("pickup order %+v", o)
	}
	// The address chooser lists the buyer's addresses as links back.
	_, body = b.get(t, "/checkout/choose?line="+url.QueryEscape(idStr(redS)+":1"))
	if !strings.Contains(body, "科技园南区 1 栋 101") || !strings.Contains(body, html.EscapeString("address_id="+idStr(b.address))) {
		t.Fatalf("address chooser: %.3000s", body)
	}
}

func TestParseCheckoutForm(t *testing.T) {
	tests := []struct {
		q     string
		items []store.CheckoutItem
		cart  bool
		ok    bool
	}{
		{"sku_id=7&qty=3", []store.CheckoutItem{{SKUID: 7, Qty: 3}}, false, true},
		{"sku=7", []store.CheckoutItem{{SKUID: 7, Qty: 1}}, false, true},
		{"from=cart", nil, true, true},
		{"line=7:1&line=8:2&from=cart", []store.CheckoutItem{{SKUID: 7, Qty: 1}, {SKUID: 8, Qty: 2}}, true, true},
		{"line=7:%201%20", []store.CheckoutItem{{SKUID: 7, Qty: 1}}, false, true},
		{"", nil, false, false},
		{"sku_id=-1", nil, false, false},
		{"sku_id=1e3", nil, false, false},
		{"sku_id=7&qty=", []store.CheckoutItem{{SKUID: 7, Qty: 1}}, false, true},
		{"sku_id=7&qty=x", nil, false, false},
		{"line=7:1&line=7:1", nil, false, false},
		{"line=:1", nil, false, false},
		{"line=7:1&address_id=x", nil, false, false},
		{"line=7:1&delivery=virtual", nil, false, false},
		{"line=99999999999999999999:1", nil, false, false},
	}
	for _, tt := range tests {
		v, _ := url.ParseQuery(tt.q)
		f, err := parseCheckoutForm(v)
		if (err == nil) != tt.ok {
			t.Errorf("%q: err = %v", tt.q, err)
			continue
		}
		if err != nil {
			continue
		}
		if f.fromCart != tt.cart || len(f.items) != len(tt.items) {
			t.Errorf("%q: %+v", tt.q, f)
			continue
		}
		for i := range f.items {
			if f.items[i] != tt.items[i] {
				t.Errorf("%q: item %d = %+v", tt.q, i, f.items[i])
			}
		}
	}
}

// FuzzCheckoutForm: whatever the query, parsing never panics, and what it
// accepts is in range and survives the round trip through the page's links.
func FuzzCheckoutForm(f *testing.F) {
	for _, s := range []string{"sku_id=7&qty=3", "from=cart", "line=7:1&line=8:2", "line=7:1&delivery=pickup&pickup_store_id=3",
		"sku=1&qty=999", "line=%00:1", "address_id=0&sku_id=5", "sku_id=7&o_coupon=12&o_points=1", "sku_id=7&o_=1",
		"sku_id=7&o_coupon=1&o_coupon=2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		v, err := url.ParseQuery(q)
		if err != nil {
			return
		}
		form, err := parseCheckoutForm(v)
		if err != nil {
			return
		}
		seen := map[int64]bool{}
		for _, it := range form.items {
			if it.SKUID <= 0 || it.Qty < 1 || it.Qty > store.MaxCartQty || seen[it.SKUID] {
				t.Fatalf("%q: accepted %+v", q, it)
			}
			seen[it.SKUID] = true
		}
		again, err := parseCheckoutForm(form.query())
		if err != nil && len(form.items) > 0 {
			t.Fatalf("%q: round trip: %v", q, err)
		}
		if err == nil && (len(again.items) != len(form.items) && !form.fromCart || again.delivery != form.delivery ||
			again.address != form.address || again.pickup != form.pickup || !maps.Equal(again.options, form.options)) {
			t.Fatalf("%q: round trip %+v → %+v", q, form, again)
		}
		if len(form.options) > store.MaxOptions {
			t.Fatalf("%q: %d options", q, len(form.options))
		}
		for k, v := range form.options {
			if k == "" || len(k) > store.MaxOptionLen || len(v) > store.MaxOptionLen {
				t.Fatalf("%q: accepted option %q=%q", q, k, v)
			}
		}
	})
}

// discountPricer is the core pipeline with a 满减 of ¥10 and a line's
// member price ¥5 lower.
type discountPricer struct{}

func (discountPricer) PriceQuote(_ context.Context, _ *sql.Tx, q *store.Quote) error {
	store.PriceSKU(q)
	q.DiscountLine(0, store.StageLine, "test", "会员价", 500)
	q.DiscountOrder(store.StageDiscount, "test", "满100减10", 1000)
	return store.PriceShipping(q)
}

func TestCheckoutListsEveryAdjustment(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	a.DB.SetPricer(discountPricer{})
	b := newBuyer(t, a, fx, custPhone, true)
	redS := skuOf(t, a, fx.dress, "红 / S")
	form, body := b.checkout(t, "/checkout?sku_id="+idStr(redS))
	for _, want := range []string{"会员价 -¥5.00", "满100减10", "-¥10.00", `data-fen="8500"`} {
		if !strings.Contains(body, want) {
			t.Errorf("checkout lacks %q", want)
		}
	}
	o := b.place(t, form)
	if o.Payable != 8500 {
		t.Fatalf("payable %d", o.Payable)
	}
	// The staff's price change shows as 商家改价, never with its reason.
	if err := a.DB.RepriceOrder(t.Context(), o.ID, 8000, store.StaffActor(testOwner), "老客户内部价"); err != nil {
		t.Fatal(err)
	}
	_, body = b.get(t, orderURL(o.ID))
	for _, want := range []string{"会员价 -¥5.00", "满100减10", "商家改价", "-¥5.00", "商家修改了订单金额"} {
		if !strings.Contains(body, want) {
			t.Errorf("order lacks %q", want)
		}
	}
	if strings.Contains(body, "老客户内部价") {
		t.Error("the order page shows the staff's reason")
	}
}
