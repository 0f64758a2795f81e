package handlers

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/xiaodian/xiaodian/plugins/coupon"
	"github.com/xiaodian/xiaodian/plugins/fullreduce"
	"github.com/xiaodian/xiaodian/store"
)

// TestEndToEndCoupon is the coupon's path in headless Chromium on a
// phone: the customer claims a coupon in the coupon centre, finds it in
// 我的优惠券, buys with it suggested at checkout (and can pick another or
// none) on top of a 满减 offer (the shop lets them stack), and the order
// is placed at the price shown.
func TestEndToEndCoupon(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	a := newTestApp(t)
	fx := seedShop(t, a)
	ctx := t.Context()
	big := saveCoupon(t, a, coupon.Coupon{Name: "满200减30", Kind: coupon.KindAmount, Threshold: 20000, Amount: 3000, Total: 100,
		Scope: coupon.ScopeAll, Validity: coupon.ValidDays, Days: 7, PerUser: 1, Channel: coupon.ChannelCentre})
	five := saveCoupon(t, a, coupon.Coupon{Name: "无门槛5元", Kind: coupon.KindAmount, Amount: 500,
		Scope: coupon.ScopeAll, Validity: coupon.ValidDays, Days: 7, PerUser: 1, Channel: coupon.ChannelCentre})
	saveCoupon(t, a, coupon.Coupon{Name: "服饰85折", Kind: coupon.KindPercent, Percent: 85, Cap: 2000, Scope: coupon.ScopeCategories,
		ScopeIDs: []int64{fx.fashion}, Validity: coupon.ValidDays, Days: 7, PerUser: 1, Channel: coupon.ChannelCentre})

	now := a.DB.Now()
	if _, err := fullreduce.SaveOffer(ctx, a.DB, &fullreduce.Offer{Name: "奶粉满减", Kind: fullreduce.KindAmount,
		Mode: fullreduce.ModeReduce, Tiers: []fullreduce.Tier{{Threshold: 10000, Value: 800}}, Scope: fullreduce.ScopeProducts,
		ScopeIDs: []int64{fx.milk}, StartsAt: now.Add(-60e9), EndsAt: now.AddDate(0, 0, 1), Status: fullreduce.StatusActive}); err != nil {
		t.Fatal(err)
	}
	s := &e2eSession{t: t, ctx: browser(t, 375, 812), base: a.srv.URL, name: "coupon"}
	s.phone()
	const phone = "13700000011"
	s.register(phone)
	id := a.customerID(t, phone)
	if _, err := a.DB.CreateAddress(ctx, id, store.AddressInput{Name: "李四", Phone: phone, ProvinceCode: "44", CityCode: "4403",
		DistrictCode: "440305", Detail: "科技园南区 3 栋 303", IsDefault: true}); err != nil {
		t.Fatal(err)
	}
	s.do("member page coupons", chromedp.WaitVisible(css(`[data-testid="member-coupons"]`)))

	// The coupon centre: claim two of them.
	s.do("centre", chromedp.Navigate(s.base+"/coupons"), chromedp.WaitVisible(css(`[data-testid="coupon-centre"]`)))
	screenshot(t, s.ctx, "coupon-centre")
	for i, cid := range []int64{big, five} {
		form := fmt.Sprintf(`form[action="/coupons/%d/claim"]`, cid)
		s.do(fmt.Sprintf("claim %d", i+1), chromedp.Submit(css(form)), chromedp.WaitNotPresent(css(form)),
			chromedp.WaitVisible(css(`[data-testid="notice"]`)))
	}
	held, _, err := coupon.Mine(ctx, a.DB, id, coupon.TabUnused, 10)
	if err != nil || len(held) != 2 {
		t.Fatalf("held %d %v", len(held), err)
	}
	var bigHeld int64
	for _, h := range held {
		if h.Coupon.ID == big {
			bigHeld = h.ID
		}
	}
	if n := s.text(`[data-testid="notice"]`); !strings.Contains(n, "领取成功") {
		t.Fatalf("notice %q", n)
	}
	screenshot(t, s.ctx, "coupon-centre-claimed")
	s.do("my coupons", chromedp.Navigate(s.base+"/me/coupons"), chromedp.WaitVisible(css(`[data-testid="my-coupon"]`)))
	screenshot(t, s.ctx, "coupon-mine")

	// Buy 进口婴儿奶粉 (¥238): 满100减8 applies, then 满200减30 is
	// suggested (¥230 after 满减 still reaches 200).
	s.do("product", chromedp.Navigate(fmt.Sprintf("%s/p/%d?s0=1罐", s.base, fx.milk)), chromedp.WaitVisible(css(`[data-testid="buy-now"]`)))
	s.htmxClick("buy now", `[data-testid="buy-now"]`)
	s.do("checkout", chromedp.WaitVisible(css(`[data-testid="choice-coupon"]`)))
	if got := s.text(`[data-testid="choice-coupon-summary"]`); got != "-¥30.00" {
		t.Fatalf("coupon summary %q", got)
	}
	s.do("open coupons", chromedp.Click(css(`[data-testid="choice-coupon"] summary`)), chromedp.WaitVisible(css(`[data-testid="option-coupon"]`)))
	screenshot(t, s.ctx, "coupon-checkout")
	// Pick none, then 满200减30 again: each reloads the checkout.
	s.click("no coupon", `[data-testid="option-coupon"][href*="o_coupon=none"]`)
	s.poll("none chosen", `location.search.includes("o_coupon=none")`)
	s.do("reopen", chromedp.WaitVisible(css(`[data-testid="choice-coupon"] summary`)), chromedp.Click(css(`[data-testid="choice-coupon"] summary`)),
		chromedp.WaitVisible(css(`[data-testid="option-coupon"]`)))
	s.click("pick 满200减30", fmt.Sprintf(`[data-testid="option-coupon"][href*="o_coupon=%d&"], [data-testid="option-coupon"][href$="o_coupon=%d"]`, bigHeld, bigHeld))
	s.poll("a coupon chosen", `!location.search.includes("o_coupon=none")`)
	s.do("checkout again", chromedp.WaitVisible(css(`[data-testid="checkout-payable"]`)))
	s.click("submit order", `[data-testid="submit-order"]`)
	s.do("pay page", chromedp.WaitVisible(css(`[data-testid="pay-form"]`)))
	orders, _, err := a.DB.CustomerOrders(ctx, id, store.TabAll, 0, 10)
	if err != nil || len(orders) != 1 {
		t.Fatalf("orders: %d %v", len(orders), err)
	}
	if o := orders[0]; o.Discount != 800+3000 || o.Payable != 23800-800-3000+o.Shipping {
		t.Fatalf("order discount %d payable %d", o.Discount, o.Payable)
	}
	if c, err := coupon.Get(ctx, a.DB, big); err != nil || c.Used != 1 {
		t.Fatalf("coupon used: %+v %v", c, err)
	}

	// The back office: 营销工具 with the switches, the coupons with their
	// figures, the 满减 offers.
	a.setupOwner(t)
	s.staffSignIn()
	for _, pg := range []struct{ path, sel, shot string }{
		{"/admin/marketing", `[data-testid="marketing-table"]`, "marketing-admin-tools"},
		{"/admin/coupons", `[data-testid="coupon-table"]`, "marketing-admin-coupons"},
		{"/admin/coupons/new", `[data-testid="coupon-form"]`, "marketing-admin-coupon-form"},
		{"/admin/fullreduce", `table`, "marketing-admin-fullreduce"},
	} {
		s.do(pg.path, chromedp.Navigate(s.base+pg.path), chromedp.WaitVisible(css(pg.sel)))
		screenshot(t, s.ctx, pg.shot)
	}
}
