package handlers

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/xiaodian/xiaodian/store"
)

// TestEndToEndFlashSale is a flash sale in headless Chromium on a phone:
// the home page's 限时秒杀 strip leads to the 秒杀 page, 马上抢 to the
// checkout at the flash price with its five-minute window, and the order
// is paid; a second try is refused by the per-customer limit, and a
// second customer, the stock gone, gets the light sold-out page.
func TestEndToEndFlashSale(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	a := newTestApp(t)
	fx := seedShop(t, a)
	ctx := t.Context()
	milk := skuOf(t, a, fx.milk, "1罐") // ¥238
	_, item := saveFlash(t, a, milk, 9900, 1, 1)

	s := &e2eSession{t: t, ctx: browser(t, 375, 812), base: a.srv.URL, name: "flash"}
	s.phone()
	const phone = "13700000021"
	s.register(phone)
	id := a.customerID(t, phone)
	if _, err := a.DB.CreateAddress(ctx, id, store.AddressInput{Name: "王五", Phone: phone, ProvinceCode: "44", CityCode: "4403",
		DistrictCode: "440305", Detail: "科技园南区 5 栋 505", IsDefault: true}); err != nil {
		t.Fatal(err)
	}
	// A second customer has the checkout open too, before the unit goes.
	other := newBuyer(t, newClientFor(a), fx, "13900139011", true)
	late, _ := other.checkout(t, fmt.Sprintf("/checkout?sku_id=%d&qty=1&o_flash=%d", milk, item))

	s.do("home", chromedp.Navigate(s.base+"/"), chromedp.WaitVisible(css(`[data-testid="flash-strip"]`)))
	screenshot(t, s.ctx, "flash-home")
	s.click("strip", `[data-testid="flash-strip"] .fs-strip-head`)
	s.do("flash page", chromedp.WaitVisible(css(`[data-testid="flash-item-buy"]`)))
	if got := s.text(`[data-testid="flash-item"] .fs-price`); got != "¥99.00" {
		t.Fatalf("flash price %q", got)
	}
	screenshot(t, s.ctx, "flash-page")
	s.click("grab it", `[data-testid="flash-item-buy"]`)
	s.do("checkout", chromedp.WaitVisible(css(`[data-testid="checkout-payable"]`)))
	screenshot(t, s.ctx, "flash-checkout")
	s.click("submit order", `[data-testid="submit-order"]`)
	s.do("pay page", chromedp.WaitVisible(css(`[data-testid="pay-form"]`)))
	orders, _, err := a.DB.CustomerOrders(ctx, id, store.TabAll, 0, 10)
	if err != nil || len(orders) != 1 {
		t.Fatalf("orders %d %v", len(orders), err)
	}
	o := orders[0]
	if o.Goods-o.Discount != 9900 || o.PayDeadline.Sub(o.CreatedAt).Minutes() != 5 {
		t.Fatalf("order goods %d discount %d window %s", o.Goods, o.Discount, o.PayDeadline.Sub(o.CreatedAt))
	}
	s.poll("sandbox chosen", `document.querySelector('#m-sandbox').checked`)
	s.click("pay", `[data-testid="pay-submit"]`)
	s.do("gateway", chromedp.WaitVisible(css(`[data-testid="sandbox-gateway"]`)))
	s.click("confirm", `[data-testid="sandbox-confirm"]`)
	s.poll("paid", `document.querySelector('[data-testid="pay-result"]')?.dataset.status === "success"`)
	assertStatus(t, a, o.ID, store.StatusToShip)

	// Sold out now: the product page says so, and the other customer's
	// open checkout is answered by the light refusal page.
	s.do("product", chromedp.Navigate(fmt.Sprintf("%s/p/%d", s.base, fx.milk)), chromedp.WaitVisible(css(`[data-testid="flash-gone"]`)))
	screenshot(t, s.ctx, "flash-product-sold-out")
	resp, body := other.postForm(t, checkoutPath, late)
	if resp.StatusCode != 422 || !strings.Contains(body, `data-testid="checkout-refused"`) || !strings.Contains(body, "已抢光") {
		t.Fatalf("late buyer: %d %.2000s", resp.StatusCode, body)
	}

	// The back office's slot with its figures.
	a.setupOwner(t)
	s.staffSignIn()
	s.do("admin slots", chromedp.Navigate(s.base+"/admin/flash"), chromedp.WaitVisible(css(`[data-testid="flash-table"]`)))
	screenshot(t, s.ctx, "flash-admin")
	s.do("admin slot", chromedp.Navigate(s.base+"/admin/flash/1"), chromedp.WaitVisible(css(`[data-testid="flash-items"]`)))
	if got := s.text(`[data-testid="flash-item-row"] td:nth-child(6)`); got != "1" {
		t.Fatalf("paid orders %q", got)
	}
	screenshot(t, s.ctx, "flash-admin-slot")
}
