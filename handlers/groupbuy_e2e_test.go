package handlers

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/xiaodian/xiaodian/plugins/groupbuy"
	"github.com/xiaodian/xiaodian/store"
)

// groupBuyer registers a customer in the browser with an address.
func (s *e2eSession) groupBuyer(a *testApp, phone, name string) int64 {
	s.t.Helper()
	s.register(phone)
	id := a.customerID(s.t, phone)
	if _, err := a.DB.CreateAddress(s.t.Context(), id, store.AddressInput{Name: name, Phone: phone, ProvinceCode: "44", CityCode: "4403",
		DistrictCode: "440305", Detail: "科技园南区 5 栋 505", IsDefault: true}); err != nil {
		s.t.Fatal(err)
	}
	return id
}

// payGroupOrder submits the checkout the browser is on and pays it with
// the sandbox.
func (s *e2eSession) payGroupOrder(shot string) {
	s.t.Helper()
	s.do("checkout", chromedp.WaitVisible(css(`[data-testid="submit-order"]`)))
	if shot != "" {
		screenshot(s.t, s.ctx, shot)
	}
	s.click("submit order", `[data-testid="submit-order"]`)
	s.do("pay page", chromedp.WaitVisible(css(`[data-testid="pay-form"]`)))
	s.poll("sandbox chosen", `document.querySelector('#m-sandbox').checked`)
	s.click("pay", `[data-testid="pay-submit"]`)
	s.do("gateway", chromedp.WaitVisible(css(`[data-testid="sandbox-gateway"]`)))
	s.click("confirm", `[data-testid="sandbox-confirm"]`)
	s.poll("paid", `document.querySelector('[data-testid="pay-result"]')?.dataset.status === "success"`)
}

func lastOrder(t *testing.T, a *testApp, customerID int64) store.Order {
	t.Helper()
	orders, _, err := a.DB.CustomerOrders(t.Context(), customerID, store.TabAll, 0, 1)
	if err != nil || len(orders) != 1 {
		t.Fatalf("orders: %d %v", len(orders), err)
	}
	return orders[0]
}

// TestEndToEndGroupBuy is the group buy in headless Chromium on a phone:
// A opens a group from the product page and pays, B joins from A's group
// page and pays, the group completes and both orders wait to be shipped;
// C's group runs out of time and is refunded.
func TestEndToEndGroupBuy(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	a := newTestApp(t)
	fx := seedShop(t, a)
	now := a.DB.Now()
	if _, err := groupbuy.Save(t.Context(), a.DB, &groupbuy.Activity{Name: "成长奶粉2人团", ProductID: fx.kidsMilk, Percent: 80, Size: 2,
		Hours: 24, PerUser: 2, StartsAt: now.Add(-time.Minute), EndsAt: now.Add(72 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	s := &e2eSession{t: t, ctx: browser(t, 375, 812), base: a.srv.URL, name: "groupbuy"}
	s.phone()

	// A opens a group.
	aID := s.groupBuyer(a, "13700000021", "王一")
	s.do("member page link", chromedp.WaitVisible(css(`a[href="/me/groups"]`)))
	s.do("product", chromedp.Navigate(fmt.Sprintf("%s/p/%d", s.base, fx.kidsMilk)), chromedp.WaitVisible(css(`[data-testid="groupbuy-block"]`)))
	screenshot(t, s.ctx, "groupbuy-product")
	s.click("open a group", `[data-testid="groupbuy-open"]`)
	s.payGroupOrder("groupbuy-checkout")
	oa := lastOrder(t, a, aID)
	assertStatus(t, a, oa.ID, store.StatusGrouping)
	gid := groupOf(t, a, oa.ID)
	s.do("order page", chromedp.Navigate(fmt.Sprintf("%s/orders/%d", s.base, oa.ID)), chromedp.WaitVisible(css(`body`)))
	screenshot(t, s.ctx, "groupbuy-order-grouping")
	s.do("group page", chromedp.Navigate(s.base+groupbuy.GroupURL(gid)), chromedp.WaitVisible(css(`[data-testid="group-share"]`)))
	screenshot(t, s.ctx, "groupbuy-group-open")
	s.signOut()

	// B joins from A's group page.
	bID := s.groupBuyer(a, "13700000022", "李二")
	s.do("product lists the group", chromedp.Navigate(fmt.Sprintf("%s/p/%d", s.base, fx.kidsMilk)),
		chromedp.WaitVisible(css(`[data-testid="groupbuy-group"]`)))
	screenshot(t, s.ctx, "groupbuy-product-open-groups")
	s.do("A's group", chromedp.Navigate(s.base+groupbuy.GroupURL(gid)), chromedp.WaitVisible(css(`[data-testid="group-join"]`)))
	screenshot(t, s.ctx, "groupbuy-group-join")
	s.click("join", `[data-testid="group-join"]`)
	s.payGroupOrder("")
	ob := lastOrder(t, a, bID)
	assertStatus(t, a, ob.ID, store.StatusToShip)
	assertStatus(t, a, oa.ID, store.StatusToShip)
	s.do("group complete", chromedp.Navigate(s.base+groupbuy.GroupURL(gid)),
		chromedp.WaitVisible(css(`[data-testid="group-page"][data-status="succeeded"]`)))
	screenshot(t, s.ctx, "groupbuy-group-succeeded")
	s.do("my groups", chromedp.Navigate(s.base+"/me/groups"), chromedp.WaitVisible(css(`[data-testid="my-group"]`)))
	screenshot(t, s.ctx, "groupbuy-mine")
	s.signOut()

	// C's group expires and is refunded.
	cID := s.groupBuyer(a, "13700000023", "张三")
	s.do("product", chromedp.Navigate(fmt.Sprintf("%s/p/%d", s.base, fx.kidsMilk)), chromedp.WaitVisible(css(`[data-testid="groupbuy-open"]`)))
	s.click("open a group", `[data-testid="groupbuy-open"]`)
	s.payGroupOrder("")
	oc := lastOrder(t, a, cID)
	assertStatus(t, a, oc.ID, store.StatusGrouping)
	gc := groupOf(t, a, oc.ID)
	a.DB.SetClock(func() time.Time { return time.Now().Add(25 * time.Hour) })
	defer a.DB.SetClock(time.Now)
	if n, err := groupPlugin(t, a).Sweep(t.Context(), a.DB); err != nil || n != 1 {
		t.Fatalf("sweep: %d %v", n, err)
	}
	checkRefunded(t, a, oc.ID)
	s.do("failed group", chromedp.Navigate(s.base+groupbuy.GroupURL(gc)),
		chromedp.WaitVisible(css(`[data-testid="group-page"][data-status="failed"]`)))
	screenshot(t, s.ctx, "groupbuy-group-failed")
	s.do("refunded order", chromedp.Navigate(fmt.Sprintf("%s/orders/%d", s.base, oc.ID)), chromedp.WaitVisible(css(`body`)))
	screenshot(t, s.ctx, "groupbuy-order-refunded")

	// The back office.
	a.setupOwner(t)
	s.staffSignIn()
	for _, pg := range []struct{ path, sel, shot string }{
		{"/admin/groupbuy", `[data-testid="groupbuy-table"]`, "groupbuy-admin-list"},
		{"/admin/groupbuy/groups", `[data-testid="groupbuy-groups"]`, "groupbuy-admin-groups"},
		{"/admin/groupbuy/new", `[data-testid="groupbuy-form"]`, "groupbuy-admin-form"},
	} {
		s.do(pg.path, chromedp.Navigate(s.base+pg.path), chromedp.WaitVisible(css(pg.sel)))
		screenshot(t, s.ctx, pg.shot)
	}
}
