package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/xiaodian/xiaodian/store"
)

// buyNow places an order of qty × sku for the buyer through the pages.
func (b *buyer) buyNow(t *testing.T, sku int64, qty int, extra string) *store.Order {
	t.Helper()
	form, _ := b.checkout(t, "/checkout?sku_id="+idStr(sku)+"&qty="+idStr(int64(qty))+extra)
	return b.place(t, form)
}

// pay pays the order through the sandbox provider.
func (b *buyer) pay(t *testing.T, o *store.Order) {
	t.Helper()
	p, err := b.DB.StartPayment(t.Context(), b.id, o.ID, "sandbox", "")
	if err != nil {
		t.Fatal(err)
	}
	r, _, err := b.DB.ApplyPayment(t.Context(), store.PaymentNotice{Provider: "sandbox", OutTradeNo: p.OutTradeNo,
		ProviderTxnID: "TXN" + p.OutTradeNo, Amount: p.Amount})
	if err != nil || r != store.ApplyPaid {
		t.Fatalf("pay: %v %v", r, err)
	}
}

func (b *buyer) status(t *testing.T, id int64) store.OrderStatus {
	t.Helper()
	o, err := b.DB.OrderByID(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return o.Status
}

func TestOrderOtherCustomerGets404(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	alice := newBuyer(t, a, fx, custPhone, true)
	redS := skuOf(t, a, fx.dress, "红 / S")
	unpaid := alice.buyNow(t, redS, 1, "")
	shipped := alice.buyNow(t, redS, 1, "")
	alice.pay(t, shipped)
	if err := a.DB.ShipOrder(t.Context(), shipped.ID, store.StaffActor(testOwner), store.ShipInput{Carrier: "顺丰", TrackingNo: "SF123"}); err != nil {
		t.Fatal(err)
	}
	bob := newBuyer(t, newClientFor(a), fx, "13900139000", true)
	for _, id := range []int64{unpaid.ID, shipped.ID, 99999} {
		base := orderURL(id)
		if resp, _ := bob.get(t, base); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", base, resp.StatusCode)
		}
		if resp, _ := bob.get(t, base+"/pickup-qr.png"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("QR %s: %d, want 404", base, resp.StatusCode)
		}
		for _, action := range []string{"/cancel", "/receive", "/rebuy"} {
			if resp, _ := bob.postForm(t, base+action, url.Values{"reason": {"x"}}); resp.StatusCode != http.StatusNotFound {
				t.Errorf("POST %s%s: %d, want 404", base, action, resp.StatusCode)
			}
		}
	}
	if alice.status(t, unpaid.ID) != store.StatusPendingPayment || alice.status(t, shipped.ID) != store.StatusShipped {
		t.Fatal("another customer changed the orders")
	}
	if _, body := bob.get(t, ordersPath); strings.Contains(body, unpaid.No) {
		t.Fatal("bob's list shows alice's order")
	}
	// A guest is sent to sign in.
	g := newClientFor(a)
	if resp, _ := g.get(t, orderURL(unpaid.ID)); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login?next=") {
		t.Fatalf("guest: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestOrderCancelAndConfirmReceipt(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	b := newBuyer(t, a, fx, custPhone, true)
	redS := skuOf(t, a, fx.dress, "红 / S")
	o := b.buyNow(t, redS, 2, "")

	resp, body := b.get(t, orderURL(o.ID))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("detail: %d", resp.StatusCode)
	}
	for _, want := range []string{"待付款", `data-testid="pay-deadline"`, `href="/pay/` + o.No + `"`, `data-testid="cancel-form"`,
		`<option value="不想要了">`, o.No, "提交订单", "张三", "科技园南区 1 栋 101"} {
		if !strings.Contains(body, want) {
			t.Errorf("unpaid detail lacks %q", want)
		}
	}
	if strings.Contains(body, `data-testid="aftersale-link"`) {
		t.Error("an unpaid order offers 申请售后")
	}
	resp, _ = b.postForm(t, orderURL(o.ID)+"/cancel", url.Values{"reason": {"不想要了"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != orderURL(o.ID) {
		t.Fatalf("cancel: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if s := b.status(t, o.ID); s != store.StatusCancelled {
		t.Fatalf("status after cancel = %s", s)
	}
	_, body = b.get(t, orderURL(o.ID))
	if !strings.Contains(body, "已取消") || !strings.Contains(body, `data-testid="notice"`) || !strings.Contains(body, `data-testid="action-rebuy"`) {
		t.Error("the cancelled order page lacks its status, notice or 再次购买")
	}
	// Cancelling again is refused with a message, not an error page.
	resp, _ = b.postForm(t, orderURL(o.ID)+"/cancel", url.Values{"back": {ordersPath}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != ordersPath {
		t.Fatalf("cancel again: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, body = b.get(t, ordersPath); !strings.Contains(body, "订单状态已变化") {
		t.Error("no message after a refused cancel")
	}

	// Paid and shipped: 确认收货 completes it.
	o2 := b.buyNow(t, redS, 1, "")
	b.pay(t, o2)
	_, body = b.get(t, orderURL(o2.ID))
	if !strings.Contains(body, `data-testid="aftersale-link"`) || !strings.Contains(body, "/orders/"+idStr(o2.ID)+"/aftersale?line=") {
		t.Error("a paid order has no 申请售后 link")
	}
	if b.postForm(t, orderURL(o2.ID)+"/receive", nil); b.status(t, o2.ID) != store.StatusToShip {
		t.Fatal("received an order not yet shipped")
	}
	if err := a.DB.ShipOrder(t.Context(), o2.ID, store.StaffActor(testOwner), store.ShipInput{Carrier: "顺丰速运", TrackingNo: "SF1234567890"}); err != nil {
		t.Fatal(err)
	}
	_, body = b.get(t, orderURL(o2.ID))
	for _, want := range []string{"待收货", "顺丰速运", "SF1234567890", `data-testid="action-receive"`, "商家已发货", "完成付款"} {
		if !strings.Contains(body, want) {
			t.Errorf("shipped detail lacks %q", want)
		}
	}
	resp, _ = b.postForm(t, orderURL(o2.ID)+"/receive", nil)
	if resp.StatusCode != http.StatusSeeOther || b.status(t, o2.ID) != store.StatusCompleted {
		t.Fatalf("receive: %d, status %s", resp.StatusCode, b.status(t, o2.ID))
	}
	// 再次购买 puts the lines into the cart.
	resp, _ = b.postForm(t, orderURL(o2.ID)+"/rebuy", url.Values{"back": {ordersPath}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != cartPath {
		t.Fatalf("rebuy: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if cart := customerCart(t, a, custPhone); cart[redS] != 1 {
		t.Fatalf("cart after rebuy = %v", cart)
	}
}

// cardIDs is the order ids of the cards on a list page, in order.
func cardIDs(body string) []string {
	var ids []string
	for _, part := range strings.Split(body, `data-testid="order-card" data-id="`)[1:] {
		id, _, _ := strings.Cut(part, `"`)
		ids = append(ids, id)
	}
	return ids
}

func TestOrderTabs(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	b := newBuyer(t, a, fx, custPhone, true)
	redS := skuOf(t, a, fx.dress, "红 / S")
	milk := skuOf(t, a, fx.kidsMilk, "")
	unpaid := b.buyNow(t, redS, 1, "")
	toShip := b.buyNow(t, milk, 1, "")
	b.pay(t, toShip)
	shipped := b.buyNow(t, milk, 1, "")
	b.pay(t, shipped)
	if err := a.DB.ShipOrder(t.Context(), shipped.ID, store.StaffActor(testOwner), store.ShipInput{Carrier: "中通", TrackingNo: "ZT1"}); err != nil {
		t.Fatal(err)
	}
	done := b.buyNow(t, milk, 1, "")
	b.pay(t, done)
	if err := a.DB.ShipOrder(t.Context(), done.ID, store.StaffActor(testOwner), store.ShipInput{Carrier: "中通", TrackingNo: "ZT2"}); err != nil {
		t.Fatal(err)
	}
	if err := a.DB.ConfirmReceipt(t.Context(), b.id, done.ID); err != nil {
		t.Fatal(err)
	}
	cancelled := b.buyNow(t, redS, 1, "")
	if err := a.DB.CancelOrder(t.Context(), b.id, cancelled.ID, ""); err != nil {
		t.Fatal(err)
	}
	id := func(o *store.Order) string { return idStr(o.ID) }
	tests := []struct {
		tab  string
		want []string
	}{
		{"", []string{id(cancelled), id(done), id(shipped), id(toShip), id(unpaid)}},
		{"all", []string{id(cancelled), id(done), id(shipped), id(toShip), id(unpaid)}},
		{"unpaid", []string{id(unpaid)}},
		{"to_ship", []string{id(toShip)}},
		{"to_receive", []string{id(shipped)}},
		{"completed", []string{id(done)}},
		{"bogus", []string{id(cancelled), id(done), id(shipped), id(toShip), id(unpaid)}},
	}
	for _, tt := range tests {
		resp, body := b.get(t, "/orders?tab="+tt.tab)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("tab %s: %d", tt.tab, resp.StatusCode)
		}
		if got := cardIDs(body); strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("tab %q: %v, want %v", tt.tab, got, tt.want)
		}
	}
	_, body := b.get(t, "/orders?tab=unpaid")
	for _, want := range []string{`href="/pay/` + unpaid.No + `"`, `data-testid="action-cancel"`, `href="/aftersales"`, "共 1 件",
		`name="back" value="/orders?tab=unpaid"`} {
		if !strings.Contains(body, want) {
			t.Errorf("unpaid tab lacks %q", want)
		}
	}
	if _, body = b.get(t, "/orders?tab=to_receive"); !strings.Contains(body, `action="/orders/`+id(shipped)+`/receive"`) {
		t.Error("to_receive tab lacks 确认收货")
	}
	if _, body = b.get(t, "/orders?tab=completed"); !strings.Contains(body, `action="/orders/`+id(done)+`/rebuy"`) {
		t.Error("completed tab lacks 再次购买")
	}
	// The member page counts them.
	_, body = b.get(t, "/me")
	for _, want := range []string{`href="/orders?tab=unpaid"`, `href="/orders?tab=to_receive"`, `href="/aftersales"`, `href="/orders"`} {
		if !strings.Contains(body, want) {
			t.Errorf("member page lacks %s", want)
		}
	}
	if n := strings.Count(body, `data-testid="order-count">1<`); n != 4 {
		t.Errorf("member page badges = %d, want 4 (unpaid, to ship, to receive, completed)", n)
	}
}

func TestOrderListLoadMore(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	b := newBuyer(t, a, fx, custPhone, true)
	// 12 orders of 1 T-shirt… the T-shirts have 1 in stock each: use the dress.
	blueM := skuOf(t, a, fx.dress, "蓝 / M")
	redS := skuOf(t, a, fx.dress, "红 / S")
	for i := range 12 {
		sku := blueM
		if i%2 == 1 {
			sku = redS
		}
		o := b.buyNow(t, sku, 1, "")
		if err := a.DB.CancelOrder(t.Context(), b.id, o.ID, ""); err != nil { // gives the stock back
			t.Fatal(err)
		}
	}
	_, body := b.get(t, ordersPath)
	if n := len(cardIDs(body)); n != ordersPerPage {
		t.Fatalf("first page %d cards", n)
	}
	if !strings.Contains(body, `hx-get="/orders?page=2"`) {
		t.Fatal("no load more")
	}
	resp, frag := b.do(t, http.MethodGet, "/orders?page=2", nil, http.Header{"Hx-Request": {"true"}})
	if resp.StatusCode != http.StatusOK || len(cardIDs(frag)) != 2 || strings.Contains(frag, "<html") || strings.Contains(frag, "hx-get") {
		t.Fatalf("page 2 fragment: %d %d cards", resp.StatusCode, len(cardIDs(frag)))
	}
}

func TestOrderPickupQR(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	b := newBuyer(t, a, fx, custPhone, true)
	if _, err := a.DB.CreatePickupStore(t.Context(), store.PickupStoreInput{Name: "科技园店", ProvinceCode: "44", CityCode: "4403",
		DistrictCode: "440305", Detail: "科苑路 8 号", Active: true}); err != nil {
		t.Fatal(err)
	}
	o := b.buyNow(t, skuOf(t, a, fx.kidsMilk, ""), 1, "&delivery=pickup")
	if resp, _ := b.get(t, orderURL(o.ID)+"/pickup-qr.png"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("QR of an unpaid order: %d", resp.StatusCode)
	}
	b.pay(t, o)
	paid, _ := a.DB.OrderByID(t.Context(), o.ID)
	if paid.Status != store.StatusToPickup || paid.PickupCode == "" {
		t.Fatalf("paid pickup order %s %q", paid.Status, paid.PickupCode)
	}
	_, body := b.get(t, orderURL(o.ID))
	if !strings.Contains(body, "待自提") || !strings.Contains(body, spacedCode(paid.PickupCode)) || !strings.Contains(body, "/pickup-qr.png") {
		t.Fatal("the detail lacks the pickup code")
	}
	resp, png := b.get(t, orderURL(o.ID)+"/pickup-qr.png")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" || !strings.HasPrefix(png, "\x89PNG") {
		t.Fatalf("QR: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	bob := newBuyer(t, newClientFor(a), fx, "13900139000", false)
	if resp, _ := bob.get(t, orderURL(o.ID)+"/pickup-qr.png"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("another customer's QR: %d", resp.StatusCode)
	}
}

// spacedCode groups a code by four as the page shows it.
func spacedCode(code string) string {
	var b strings.Builder
	for i, r := range code {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}
