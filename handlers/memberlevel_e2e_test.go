package handlers

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/xiaodian/xiaodian/plugins/memberlevel"
	"github.com/xiaodian/xiaodian/store"
)

// TestEndToEndMemberLevel is the member levels' path in headless Chromium
// on a phone: a new customer sees 会员等级 on the member page, buys
// 进口婴儿奶粉 (¥238), pays, receives it — the order completes, 238
// growth is credited and they are 银卡会员 V1 — sees the level page, and
// at the next checkout the V1 member price (9.8折) is taken off.
func TestEndToEndMemberLevel(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	a := newTestApp(t)
	fx := seedShop(t, a)
	ctx := t.Context()
	for _, l := range []*memberlevel.Level{
		{Name: "普通会员", Threshold: 0, DiscountPct: 100, Perks: []string{"消费累积成长值"}},
		{Name: "银卡会员", Threshold: 200, DiscountPct: 98, Perks: []string{"全场9.8折", "生日礼"}},
		{Name: "金卡会员", Threshold: 2000, DiscountPct: 95, Perks: []string{"全场9.5折", "包邮券每月1张", "生日礼", "专属客服"}},
	} {
		if _, err := memberlevel.SaveLevel(ctx, a.DB, l); err != nil {
			t.Fatal(err)
		}
	}
	s := &e2eSession{t: t, ctx: browser(t, 375, 812), base: a.srv.URL, name: "memberlevel"}
	s.phone()
	const phone = "13700000021"
	s.register(phone)
	id := a.customerID(t, phone)
	if _, err := a.DB.CreateAddress(ctx, id, store.AddressInput{Name: "王五", Phone: phone, ProvinceCode: "44", CityCode: "4403",
		DistrictCode: "440305", Detail: "科技园南区 5 栋 505", IsDefault: true}); err != nil {
		t.Fatal(err)
	}
	s.do("member page", chromedp.Navigate(s.base+"/me"), chromedp.WaitVisible(css(`[data-testid="member-memberlevel"]`)))
	screenshot(t, s.ctx, "memberlevel-member-page")
	s.click("level link", `[data-testid="member-memberlevel"]`)
	s.do("level page V0", chromedp.WaitVisible(css(`[data-testid="level-card"]`)))
	if got := s.text(`[data-testid="level-code"]`); got != "V0" {
		t.Fatalf("new customer at %q", got)
	}
	screenshot(t, s.ctx, "memberlevel-v0")

	// Buy, pay, and receive the parcel.
	s.do("product", chromedp.Navigate(fmt.Sprintf("%s/p/%d?s0=1罐", s.base, fx.milk)), chromedp.WaitVisible(css(`[data-testid="buy-now"]`)))
	s.htmxClick("buy now", `[data-testid="buy-now"]`)
	s.payGroupOrder("")
	o := lastOrder(t, a, id)
	if o.Discount != 0 {
		t.Fatalf("V0 order discount %d", o.Discount)
	}
	if err := a.DB.ShipOrder(ctx, o.ID, store.StaffActor(testOwner), store.ShipInput{Carrier: "顺丰", TrackingNo: "SF777"}); err != nil {
		t.Fatal(err)
	}
	s.do("to receive", chromedp.Navigate(s.base+"/orders?tab=to_receive"), chromedp.WaitVisible(css(`[data-testid="action-receive"]`)))
	s.click("receive", `[data-testid="action-receive"]`)
	s.poll("received", `!!document.querySelector('[data-testid="notice"]')`)

	// 238 growth: 银卡会员 V1.
	s.do("level page V1", chromedp.Navigate(s.base+"/me/level"), chromedp.WaitVisible(css(`[data-testid="history-row"]`)))
	if code, growth := s.text(`[data-testid="level-code"]`), s.text(`[data-testid="level-growth"]`); code != "V1" || growth != "238" {
		t.Fatalf("after the order: %s %s", code, growth)
	}
	if next := s.text(`[data-testid="level-next"]`); !strings.Contains(next, "1762") || !strings.Contains(next, "金卡会员") {
		t.Fatalf("next: %q", next)
	}
	screenshot(t, s.ctx, "memberlevel-v1")

	// The member price at checkout: ¥238 × 98 % → 476 fen off.
	s.do("product again", chromedp.Navigate(fmt.Sprintf("%s/p/%d?s0=1罐", s.base, fx.milk)), chromedp.WaitVisible(css(`[data-testid="buy-now"]`)))
	s.htmxClick("buy now", `[data-testid="buy-now"]`)
	s.do("checkout", chromedp.WaitVisible(css(`[data-testid="submit-order"]`)))
	if page := s.text("body"); !strings.Contains(page, "V1会员9.8折") || !strings.Contains(page, "4.76") {
		t.Fatalf("checkout: %.3000s", page)
	}
	screenshot(t, s.ctx, "memberlevel-checkout")
	s.click("submit order", `[data-testid="submit-order"]`)
	s.do("pay page", chromedp.WaitVisible(css(`[data-testid="pay-form"]`)))
	if o := lastOrder(t, a, id); o.Discount != 476 || o.Payable != 23800-476+o.Shipping {
		t.Fatalf("member order: discount %d payable %d", o.Discount, o.Payable)
	}

	// The product page's 会员价 strip, and the back office.
	s.do("product strip", chromedp.Navigate(fmt.Sprintf("%s/p/%d", s.base, fx.milk)), chromedp.WaitVisible(css(`[data-testid="member-price"]`)))
	screenshot(t, s.ctx, "memberlevel-product")
	a.setupOwner(t)
	s.staffSignIn()
	s.desk()
	for _, pg := range []struct{ path, sel, shot string }{
		{"/admin/memberlevel", `[data-testid="levels-table"]`, "memberlevel-admin-levels"},
		{"/admin/memberlevel/new", `[data-testid="level-form"]`, "memberlevel-admin-form"},
		{"/admin/memberlevel/customers?q=" + phone, `[data-testid="customer-card"]`, "memberlevel-admin-customer"},
	} {
		s.do(pg.path, chromedp.Navigate(s.base+pg.path), chromedp.WaitVisible(css(pg.sel)))
		screenshot(t, s.ctx, pg.shot)
	}
}
