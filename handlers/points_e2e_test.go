package handlers

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/xiaodian/xiaodian/plugins/points"
	"github.com/xiaodian/xiaodian/store"
)

// TestEndToEndPoints is 积分 and 签到 in headless Chromium on a phone: a
// customer signs in on the calendar (5 points), buys and pays with the
// sandbox, sees the points earned in 我的积分, then switches the points on
// at the checkout of a second order and it is placed at the price shown.
func TestEndToEndPoints(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	a := newTestApp(t)
	fx := seedShop(t, a)
	ctx := t.Context()
	s := &e2eSession{t: t, ctx: browser(t, 375, 812), base: a.srv.URL, name: "points"}
	s.phone()
	const phone = "13700000021"
	s.register(phone)
	id := a.customerID(t, phone)
	if _, err := a.DB.CreateAddress(ctx, id, store.AddressInput{Name: "王五", Phone: phone, ProvinceCode: "44", CityCode: "4403",
		DistrictCode: "440305", Detail: "科技园南区 5 栋 505", IsDefault: true}); err != nil {
		t.Fatal(err)
	}
	s.do("member page links", chromedp.WaitVisible(css(`[data-testid="member-points"]`)), chromedp.WaitVisible(css(`[data-testid="member-signin"]`)))
	screenshot(t, s.ctx, "points-member")

	// 签到.
	s.click("to sign-in", `[data-testid="member-signin"]`)
	s.do("calendar", chromedp.WaitVisible(css(`[data-testid="signin-calendar"]`)))
	screenshot(t, s.ctx, "signin-calendar")
	s.click("sign in", `[data-testid="signin-button"]`)
	s.do("signed", chromedp.WaitVisible(css(`[data-testid="signin-done"]`)), chromedp.WaitVisible(css(`[data-testid="notice"]`)))
	if n := s.text(`[data-testid="notice"]`); !strings.Contains(n, "获得 5 积分") {
		t.Fatalf("notice %q", n)
	}
	screenshot(t, s.ctx, "signin-done")

	// Buy and pay 进口婴儿奶粉 (¥238) without points.
	pay := func(what string) {
		s.do(what+" pay page", chromedp.WaitVisible(css(`[data-testid="pay-form"]`)))
		s.poll(what+" sandbox chosen", `document.querySelector('#m-sandbox').checked`)
		s.click(what+" pay", `[data-testid="pay-submit"]`)
		s.do(what+" gateway", chromedp.WaitVisible(css(`[data-testid="sandbox-gateway"]`)))
		s.click(what+" confirm", `[data-testid="sandbox-confirm"]`)
		s.poll(what+" paid", `document.querySelector('[data-testid="pay-result"]')?.dataset.status === "success"`)
	}
	s.do("product", chromedp.Navigate(fmt.Sprintf("%s/p/%d?s0=1罐", s.base, fx.milk)), chromedp.WaitVisible(css(`[data-testid="buy-now"]`)))
	s.htmxClick("buy now", `[data-testid="buy-now"]`)
	s.do("checkout", chromedp.WaitVisible(css(`[data-testid="choice-points"]`)), chromedp.WaitVisible(css(`[data-testid="choice-points-on"]`)))
	screenshot(t, s.ctx, "points-checkout-off")
	s.click("submit order", `[data-testid="submit-order"]`)
	pay("first")
	if got := pointsBalance(t, a, id); got != 5+238 {
		t.Fatalf("balance %d after paying ¥238", got)
	}

	// 我的积分.
	s.do("my points", chromedp.Navigate(s.base+"/me/points"), chromedp.WaitVisible(css(`[data-testid="points-balance"]`)))
	if got := s.text(`[data-testid="points-balance"]`); got != "243" {
		t.Fatalf("my points shows %q", got)
	}
	s.poll("two rows", `document.querySelectorAll('[data-testid="points-row"]').length === 2`)
	screenshot(t, s.ctx, "points-mine")

	// The second order spends them: 243 points = ¥2.43 off ¥198.
	s.do("second checkout", chromedp.Navigate(fmt.Sprintf("%s/checkout?sku_id=%d&qty=1", s.base, skuOf(t, a, fx.kidsMilk, ""))))
	s.poll("checkout 2", `!!document.querySelector('[data-testid="choice-points-on"]')`)
	if got := s.text(`[data-testid="choice-points"]`); !strings.Contains(got, "抵扣¥2.43 (用 243 积分)") {
		t.Fatalf("points row %q", got)
	}
	s.click("points on", `[data-testid="choice-points-on"]`)
	s.do("points on", chromedp.WaitVisible(css(`[data-testid="choice-points-off"]`)))
	screenshot(t, s.ctx, "points-checkout-on")
	payable := s.text(`[data-testid="checkout-payable"]`)
	s.click("submit order 2", `[data-testid="submit-order"]`)
	s.do("pay page 2", chromedp.WaitVisible(css(`[data-testid="pay-form"]`)))
	orders, _, err := a.DB.CustomerOrders(ctx, id, store.TabAll, 0, 10)
	if err != nil || len(orders) != 2 {
		t.Fatalf("orders %d %v", len(orders), err)
	}
	o := orders[0]
	if o.Discount != 243 || o.Payable != 19800-243+o.Shipping || !strings.Contains(payable, (o.Payable).String()) {
		t.Fatalf("second order discount %d payable %d (page %q)", o.Discount, o.Payable, payable)
	}
	if got := pointsBalance(t, a, id); got != 0 {
		t.Fatalf("balance %d after spending", got)
	}
	pay("second")
	s.do("my points again", chromedp.Navigate(s.base+"/me/points"), chromedp.WaitVisible(css(`[data-testid="points-balance"]`)))
	if got, want := s.text(`[data-testid="points-balance"]`), fmt.Sprint(points.Earned(o.Payable-o.Shipping, 1)); got != want {
		t.Fatalf("after the second order %q, want %s", got, want)
	}
	screenshot(t, s.ctx, "points-mine-after")

	// The back office pages.
	a.setupOwner(t)
	s.staffSignIn()
	for _, pg := range []struct{ path, sel, shot string }{
		{"/admin/points", `[data-testid="points-table"]`, "points-admin"},
		{fmt.Sprintf("/admin/points/customers/%d", id), `[data-testid="points-ledger"]`, "points-admin-customer"},
		{"/admin/marketing/points", `form`, "points-admin-settings"},
		{"/admin/signin", `[data-testid="signin-points"]`, "signin-admin"},
	} {
		s.do(pg.path, chromedp.Navigate(s.base+pg.path), chromedp.WaitVisible(css(pg.sel)))
		screenshot(t, s.ctx, pg.shot)
	}
}
