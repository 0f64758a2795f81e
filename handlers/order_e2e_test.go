package handlers

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/xiaodian/xiaodian/store"
)

// TestEndToEndCheckout drives buying in headless Chromium on a 375×812
// phone: a guest taps 立即购买 in the SKU picker and is sent to register,
// comes back to the checkout, which has no address; with one it places the
// order (the payment page belongs to payment.go). The order list, an order
// with a package, a pickup order with its QR code and the member page's
// order row are photographed (checkout-*.png, order-*.png).
func TestEndToEndCheckout(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	a := newTestApp(t)
	fx := seedShop(t, a)
	ctx := browser(t, 375, 812)
	base := a.srv.URL
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			screenshot(t, ctx, "checkout-failed")
			t.Fatalf("%s: %v", what, err)
		}
	}
	poll := func(what, js string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(20e9))); err != nil {
			screenshot(t, ctx, "checkout-failed")
			t.Fatalf("waiting for %s: %v", what, err)
		}
	}
	click := func(what, sel string) {
		t.Helper()
		if _, err := chromedp.RunResponse(ctx, chromedp.Click(css(sel))); err != nil {
			screenshot(t, ctx, "checkout-failed")
			t.Fatalf("%s: %v", what, err)
		}
	}
	full := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(90))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(artifactDir(t), name+".jpg"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.DB.CreatePickupStore(t.Context(), store.PickupStoreInput{Name: "科技园旗舰店", Phone: "0755-88886666",
		ProvinceCode: "44", CityCode: "4403", DistrictCode: "440305", Detail: "科苑路 8 号 1 楼", Hours: "09:00-21:00", Active: true}); err != nil {
		t.Fatal(err)
	}

	// Choosing the SKU with htmx redraws the add-to-cart form in place
	// (out of band), never a second one.
	do("product page",
		chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile),
		chromedp.Navigate(fmt.Sprintf("%s/p/%d?s0=蓝", base, fx.dress)),
		chromedp.WaitVisible(css(`[data-testid="sku-panel"]`)),
	)
	poll("htmx ready", `(() => { const e = document.querySelector('a.sku-opt[href*="s1=M"]'); return !!e && "htmx-internal-data" in e; })()`)
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { document.querySelector('a.sku-opt[href*="s1=M"]').click(); return true; })()`)); err != nil {
		t.Fatal(err)
	}
	poll("SKU chosen", fmt.Sprintf(`document.querySelector('#sku-cart input[name="sku_id"]').value === "%d"`, skuOf(t, a, fx.dress, "蓝 / M")))
	poll("one form", `document.querySelectorAll('#sku-cart').length === 1 && !!document.querySelector('[data-testid="buy-now"]')`)

	// 立即购买 in the picker (htmx) sends a guest to sign in.
	do("product page",
		chromedp.Navigate(fmt.Sprintf("%s/p/%d?s0=蓝&s1=M", base, fx.dress)),
		chromedp.WaitVisible(css(`[data-testid="buy-now"]`)),
	)
	screenshot(t, ctx, "checkout-product-sheet")
	poll("htmx ready", `(() => { const e = document.querySelector('[data-testid="buy-now"]'); return !!e && "htmx-internal-data" in e.form; })()`)
	click("buy now", `[data-testid="buy-now"]`)
	do("login page", chromedp.WaitVisible(css(`[data-testid="register-link"]`)))
	poll("login page", `location.pathname === "/login" && location.search.includes("checkout")`)
	click("to registration", `[data-testid="register-link"]`)
	do("registration",
		chromedp.WaitVisible(css(`[data-testid="register-form"]`)),
		chromedp.SendKeys(css("#f-phone"), custPhone),
		chromedp.SendKeys(css("#f-password"), custPassword),
		chromedp.SendKeys(css("#f-confirm"), custPassword),
	)
	click("registration", `[data-testid="register-form"] button[type="submit"]`)
	do("back at the checkout", chromedp.WaitVisible(css(`[data-testid="add-address"]`)))
	poll("checkout", `location.pathname === "/checkout"`)
	screenshot(t, ctx, "checkout-no-address")

	cu, err := a.DB.AuthenticateCustomer(t.Context(), custPhone, custPassword)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.DB.CreateAddress(t.Context(), cu.ID, store.AddressInput{Name: "张三", Phone: "13912345678",
		ProvinceCode: "44", CityCode: "4403", DistrictCode: "440305", Detail: "科技园南区 1 栋 101 室", IsDefault: true}); err != nil {
		t.Fatal(err)
	}
	do("reload", chromedp.Reload(), chromedp.WaitVisible(css(`[data-testid="checkout-address"]`)))
	screenshot(t, ctx, "checkout-page")
	full("checkout-page-full")
	click("pickup", `[data-testid="delivery-pickup"]`)
	do("pickup", chromedp.WaitVisible(css(`[data-testid="checkout-address"]`)))
	screenshot(t, ctx, "checkout-pickup")
	click("express", `[data-testid="delivery-express"]`)
	do("express", chromedp.WaitVisible(css(`[data-testid="checkout-note"]`)), chromedp.SendKeys(css(`[data-testid="checkout-note"]`), "工作日送货"))
	click("submit", `[data-testid="submit-order"]`)
	poll("payment page", `location.pathname.startsWith("/pay/")`)

	// More orders in other states, then the pages.
	orders, _, err := a.DB.CustomerOrders(t.Context(), cu.ID, store.TabAll, 0, 10)
	if err != nil || len(orders) != 1 {
		t.Fatalf("orders %d %v", len(orders), err)
	}
	pay := func(id int64) {
		p, err := a.DB.StartPayment(t.Context(), cu.ID, id, "sandbox", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := a.DB.ApplyPayment(t.Context(), store.PaymentNotice{Provider: "sandbox", OutTradeNo: p.OutTradeNo,
			ProviderTxnID: "T" + p.OutTradeNo, Amount: p.Amount}); err != nil {
			t.Fatal(err)
		}
	}
	place := func(sku int64, qty int, d store.Delivery, token string) *store.Order {
		in := store.CheckoutInput{CustomerID: cu.ID, Items: []store.CheckoutItem{{SKUID: sku, Qty: qty}}, Delivery: d, Token: token}
		if d == store.DeliveryPickup {
			in.PickupStoreID = 1
		} else {
			addr, _ := a.DB.DefaultAddress(t.Context(), cu.ID)
			in.AddressID = addr.ID
		}
		o, err := a.DB.PlaceOrder(t.Context(), in)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	shipped := place(skuOf(t, a, fx.milk, "1罐"), 2, store.DeliveryExpress, "e2e-1")
	pay(shipped.ID)
	if err := a.DB.ShipOrder(t.Context(), shipped.ID, store.StaffActor("boss"), store.ShipInput{Carrier: "顺丰速运", TrackingNo: "SF1402881234567"}); err != nil {
		t.Fatal(err)
	}
	pickup := place(skuOf(t, a, fx.kidsMilk, ""), 1, store.DeliveryPickup, "e2e-2")
	pay(pickup.ID)

	do("orders", chromedp.Navigate(base+"/orders"), chromedp.WaitVisible(css(`[data-testid="order-card"]`)))
	screenshot(t, ctx, "order-list")
	do("unpaid detail", chromedp.Navigate(fmt.Sprintf("%s/orders/%d", base, orders[0].ID)), chromedp.WaitVisible(css(`[data-testid="order-banner"]`)))
	screenshot(t, ctx, "order-detail-unpaid")
	do("cancel sheet", chromedp.Click(css(`summary[data-testid="action-cancel"]`)), chromedp.WaitVisible(css(`[data-testid="cancel-form"]`)))
	screenshot(t, ctx, "order-cancel-sheet")
	do("shipped detail", chromedp.Navigate(fmt.Sprintf("%s/orders/%d", base, shipped.ID)), chromedp.WaitVisible(css(`[data-testid="order-package"]`)))
	screenshot(t, ctx, "order-detail-shipped")
	full("order-detail-shipped-full")
	do("pickup detail", chromedp.Navigate(fmt.Sprintf("%s/orders/%d", base, pickup.ID)), chromedp.WaitVisible(css(`[data-testid="pickup-qr"]`)))
	poll("QR loaded", `document.querySelector('[data-testid="pickup-qr"]').naturalWidth > 0`)
	screenshot(t, ctx, "order-detail-pickup")
	do("member", chromedp.Navigate(base+"/me"), chromedp.WaitVisible(css(`[data-testid="member-orders"]`)))
	screenshot(t, ctx, "order-member")
	// 确认收货 from the list.
	do("to receive", chromedp.Navigate(base+"/orders?tab=to_receive"), chromedp.WaitVisible(css(`[data-testid="action-receive"]`)))
	click("receive", `[data-testid="action-receive"]`)
	poll("received", `!!document.querySelector('[data-testid="notice"]')`)
	if s, _ := a.DB.OrderByID(t.Context(), shipped.ID); s.Status != store.StatusCompleted {
		t.Fatalf("status after 确认收货 = %s", s.Status)
	}
	// The cart with its 结算 button.
	do("cart", chromedp.Navigate(fmt.Sprintf("%s/p/%d?s0=红&s1=S", base, fx.dress)), chromedp.WaitVisible(css(`[data-testid="add-to-cart"]`)))
	poll("htmx ready", `(() => { const e = document.querySelector('[data-testid="add-to-cart"]'); return !!e && "htmx-internal-data" in e.form; })()`)
	do("add", chromedp.Click(css(`[data-testid="add-to-cart"]`)))
	poll("toast", `!!document.querySelector('#flash [data-testid="toast"]')`)
	do("cart", chromedp.Navigate(base+"/cart"), chromedp.WaitVisible(css(`[data-testid="cart-checkout"]`)))
	screenshot(t, ctx, "checkout-cart")
	click("settle", `[data-testid="cart-checkout"]`)
	do("checkout from cart", chromedp.WaitVisible(css(`[data-testid="checkout-line"]`)))
	if got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.search`)); !strings.Contains(got, "from=cart") {
		t.Fatalf("settle went to %q", got)
	}
}
