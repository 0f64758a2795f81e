package handlers

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/xiaodian/xiaodian/store"
)

// TestEndToEndBargain is 砍价 in headless Chromium on a phone: customer A
// starts a bargain from the product page (and cuts first), B opens A's
// link and helps after registering, C opens it as a visitor, signs in
// from the page and comes back to help, then A buys at the cut price and
// pays with the sandbox.
func TestEndToEndBargain(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	a := newTestApp(t)
	fx := seedShop(t, a)
	ctx := t.Context()
	aid := bargainActivity(t, a, fx, 4, 5)
	const phoneA, phoneB, phoneC = "13700000061", "13700000062", "13700000063"
	otherClient(a).register(t, phoneC) // C has an account, signed out

	s := &e2eSession{t: t, ctx: browser(t, 375, 812), base: a.srv.URL, name: "bargain"}
	s.phone()
	s.register(phoneA)
	idA := a.customerID(t, phoneA)
	if _, err := a.DB.CreateAddress(ctx, idA, store.AddressInput{Name: "王五", Phone: phoneA, ProvinceCode: "44", CityCode: "4403",
		DistrictCode: "440305", Detail: "科技园南区 5 栋 505", IsDefault: true}); err != nil {
		t.Fatal(err)
	}
	s.do("member page link", chromedp.WaitVisible(css(`a[href="/me/bargains"]`)))

	// The product page's bar leads to the activity; A starts.
	s.do("product", chromedp.Navigate(fmt.Sprintf("%s/p/%d", s.base, fx.milk)), chromedp.WaitVisible(css(`[data-testid="bargain-bar"]`)))
	screenshot(t, s.ctx, "bargain-product")
	s.click("bargain bar", `[data-testid="bargain-bar"]`)
	s.do("activity", chromedp.WaitVisible(css(`[data-testid="bargain-start"]`)))
	screenshot(t, s.ctx, "bargain-activity")
	s.click("start", `[data-testid="bargain-start"]`)
	s.do("bargain page", chromedp.WaitVisible(css(`[data-testid="bargain-buy"]`)))
	link, err := chromedp.Run(s.ctx, chromedp.Evaluate[string](`location.origin + location.pathname`))
	if err != nil || !strings.Contains(link, "/bargain/") {
		t.Fatalf("share link %q %v", link, err)
	}
	bid := bargainIDFrom(t, strings.TrimPrefix(link, s.base))
	screenshot(t, s.ctx, "bargain-started")
	if b := bargainOf(t, a, bid); b.Helped != 1 {
		t.Fatalf("self cut: %d", b.Helped)
	}

	// B registers and helps through A's link.
	s.signOut()
	s.register(phoneB)
	s.do("B opens the link", chromedp.Navigate(link), chromedp.WaitVisible(css(`[data-testid="bargain-help"]`)))
	screenshot(t, s.ctx, "bargain-friend")
	s.click("B helps", `[data-testid="bargain-help"]`)
	s.do("B helped", chromedp.WaitVisible(css(`[data-testid="bargain-helped"]`)), chromedp.WaitVisible(css(`[data-testid="notice"]`)))
	if n := s.text(`[data-testid="notice"]`); !strings.Contains(n, "砍价成功") {
		t.Fatalf("notice %q", n)
	}
	screenshot(t, s.ctx, "bargain-helped")

	// C opens it signed out, signs in from the page and comes back.
	s.signOut()
	s.do("C opens the link", chromedp.Navigate(link), chromedp.WaitVisible(css(`[data-testid="bargain-login"]`)))
	s.click("sign in to help", `[data-testid="bargain-login"]`)
	s.do("login form", chromedp.WaitVisible(css(`[data-testid="login-form"]`)),
		chromedp.SendKeys(css("#f-phone"), phoneC), chromedp.SendKeys(css("#f-password"), custPassword))
	s.click("login", `[data-testid="login-form"] button[type="submit"]`)
	s.do("back on the bargain", chromedp.WaitVisible(css(`[data-testid="bargain-help"]`)))
	s.click("C helps", `[data-testid="bargain-help"]`)
	s.do("C helped", chromedp.WaitVisible(css(`[data-testid="bargain-helped"]`)))
	b := bargainOf(t, a, bid)
	if b.Helped != 3 || b.AtFloor() || cutsOf(b) != b.Start-b.Price {
		t.Fatalf("after three cuts: %+v", b)
	}

	// A buys at the cut price and pays.
	s.signOut()
	s.signIn(phoneA)
	s.do("A's bargain", chromedp.Navigate(link), chromedp.WaitVisible(css(`[data-testid="bargain-buy"]`)))
	if got := s.text(`[data-testid="bargain-price"]`); got != b.Price.String() {
		t.Fatalf("page price %q, want %s", got, b.Price)
	}
	if n := len(b.Helps); n != 3 {
		t.Fatalf("helpers %d", n)
	}
	screenshot(t, s.ctx, "bargain-initiator")
	s.click("buy", `[data-testid="bargain-buy"]`)
	s.do("checkout", chromedp.WaitVisible(css(`[data-testid="checkout-payable"]`)))
	screenshot(t, s.ctx, "bargain-checkout")
	s.click("submit order", `[data-testid="submit-order"]`)
	s.do("pay page", chromedp.WaitVisible(css(`[data-testid="pay-form"]`)))
	orders, _, err := a.DB.CustomerOrders(ctx, idA, store.TabAll, 0, 10)
	if err != nil || len(orders) != 1 {
		t.Fatalf("orders %d %v", len(orders), err)
	}
	o := orders[0]
	if o.Goods != b.Price || o.Payable != b.Price+o.Shipping {
		t.Fatalf("order goods %d payable %d, bargain price %d", o.Goods, o.Payable, b.Price)
	}
	s.poll("sandbox chosen", `document.querySelector('#m-sandbox').checked`)
	s.click("pay", `[data-testid="pay-submit"]`)
	s.do("gateway", chromedp.WaitVisible(css(`[data-testid="sandbox-gateway"]`)))
	s.click("confirm", `[data-testid="sandbox-confirm"]`)
	s.poll("paid", `document.querySelector('[data-testid="pay-result"]')?.dataset.status === "success"`)
	assertStatus(t, a, o.ID, store.StatusToShip)
	if b = bargainOf(t, a, bid); b.Status != "bought" || b.OrderID != o.ID {
		t.Fatalf("bargain %s order %d", b.Status, b.OrderID)
	}
	s.do("my bargains", chromedp.Navigate(s.base+"/me/bargains"), chromedp.WaitVisible(css(`[data-testid="my-bargain"]`)))
	screenshot(t, s.ctx, "bargain-mine")

	// The back office's figures.
	a.setupOwner(t)
	s.staffSignIn()
	s.do("admin bargains", chromedp.Navigate(s.base+"/admin/bargain"), chromedp.WaitVisible(css(`[data-testid="bargain-table"]`)))
	if got := s.text(`[data-testid="stat-orders"]`); got != "1" {
		t.Fatalf("orders stat %q", got)
	}
	screenshot(t, s.ctx, "bargain-admin")
	s.do("admin form", chromedp.Navigate(fmt.Sprintf("%s/admin/bargain/%d/edit", s.base, aid)), chromedp.WaitVisible(css(`[data-testid="bargain-form"]`)))
	screenshot(t, s.ctx, "bargain-admin-form")
}
