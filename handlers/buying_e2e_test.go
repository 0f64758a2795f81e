package handlers

import (
	"context"
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/xiaodian/xiaodian/store"
)

// e2eSession is one browser driven through the shop, with steps that stop
// the test with a screenshot when they fail.
type e2eSession struct {
	t    *testing.T
	ctx  context.Context
	base string
	name string
}

func (s *e2eSession) fail(what string, err error) {
	s.t.Helper()
	screenshot(s.t, s.ctx, s.name+"-failed")
	s.t.Fatalf("%s: %v", what, err)
}

func (s *e2eSession) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	s.t.Helper()
	if err := chromedp.Do(s.ctx, steps...); err != nil {
		s.fail(what, err)
	}
}

func (s *e2eSession) poll(what, js string) {
	s.t.Helper()
	if _, err := chromedp.Run(s.ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(20e9))); err != nil {
		s.fail("waiting for "+what, err)
	}
}

// click clicks sel and waits for the page it loads.
func (s *e2eSession) click(what, sel string) {
	s.t.Helper()
	if _, err := chromedp.RunResponse(s.ctx, chromedp.Click(css(sel))); err != nil {
		s.fail(what, err)
	}
}

// htmxClick clicks an element htmx has taken over, once htmx is ready.
func (s *e2eSession) htmxClick(what, sel string) {
	s.t.Helper()
	s.poll(what+" ready", fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && ("htmx-internal-data" in e || (!!e.form && "htmx-internal-data" in e.form)); })()`, sel))
	s.do(what, chromedp.Click(css(sel)))
}

// phone and desk switch the viewport between the buyer's phone and the
// staff's desktop.
func (s *e2eSession) phone() {
	s.do("phone", chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile))
}
func (s *e2eSession) desk() { s.do("desk", chromedp.EmulateViewport(1280, 900)) }

// addToCart chooses a SKU on the product page and adds it to the cart.
func (s *e2eSession) addToCart(product int64, query string) {
	s.t.Helper()
	s.do("product", chromedp.Navigate(fmt.Sprintf("%s/p/%d?%s", s.base, product, query)),
		chromedp.WaitVisible(css(`[data-testid="add-to-cart"]`)))
	s.htmxClick("add to cart", `[data-testid="add-to-cart"]`)
	s.poll("added", `!!document.querySelector('#flash [data-testid="toast"]')`)
}

// staffSignIn signs the owner in to the back office in the same browser.
func (s *e2eSession) staffSignIn() {
	s.t.Helper()
	s.desk()
	s.do("admin login", chromedp.Navigate(s.base+"/admin/login"), chromedp.WaitVisible(css("#username")),
		chromedp.SendKeys(css("#username"), testOwner), chromedp.SendKeys(css("#password"), testPassword),
		chromedp.Submit(css("#password")), chromedp.WaitVisible(css(".sidebar")))
}

// TestEndToEndBuying is the buying path of issue 3 in headless Chromium on
// a 375×812 phone, with the back office at 1280×900 in the same browser:
// register → two SKUs in the cart → checkout with a new address → pay with
// the sandbox → staff ship → the buyer confirms receipt. Then the second
// path: recharge, set a payment password, buy now and pay by balance →
// return-and-refund → staff approve → the buyer sends the parcel back →
// staff confirm and refund → the balance is what it was.
func TestEndToEndBuying(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	a := newTestApp(t)
	fx := seedShop(t, a)
	a.setupOwner(t)
	ctx := t.Context()
	if _, err := a.DB.CreateRechargePackage(ctx, store.RechargePackageInput{Pay: 500_00, Bonus: 50_00, Active: true}); err != nil {
		t.Fatal(err)
	}
	if err := a.DB.SetReturnAddress(ctx, store.ReturnAddress{Name: "小店售后部", Phone: "0755-86001234",
		Address: "广东省深圳市南山区科技园南区 8 栋 2 楼"}); err != nil {
		t.Fatal(err)
	}
	s := &e2eSession{t: t, ctx: browser(t, 375, 812), base: a.srv.URL, name: "buying"}
	s.phone()

	// Register.
	s.do("register", chromedp.Navigate(s.base+"/register"), chromedp.WaitVisible(css(`[data-testid="register-form"]`)),
		chromedp.SendKeys(css("#f-phone"), custPhone), chromedp.SendKeys(css("#f-password"), custPassword),
		chromedp.SendKeys(css("#f-confirm"), custPassword))
	s.click("register", `[data-testid="register-form"] button[type="submit"]`)
	cu, err := a.DB.AuthenticateCustomer(ctx, custPhone, custPassword)
	if err != nil {
		t.Fatal(err)
	}

	// Two SKUs into the cart, then 结算.
	s.addToCart(fx.dress, "s0=蓝&s1=M")
	s.addToCart(fx.milk, "s0=1罐")
	s.do("cart", chromedp.Navigate(s.base+"/cart"), chromedp.WaitVisible(css(`[data-testid="cart-checkout"]`)))
	s.poll("two lines", `document.querySelectorAll('[data-testid="cart-line"]').length === 2`)
	screenshot(t, s.ctx, "buying-cart")
	s.click("settle", `[data-testid="cart-checkout"]`)

	// The checkout has no address yet: add one and come back.
	s.do("checkout", chromedp.WaitVisible(css(`[data-testid="add-address"]`)))
	s.click("add address", `[data-testid="add-address"]`)
	s.do("address form", chromedp.WaitVisible(css(`[data-testid="address-form"]`)),
		chromedp.SendKeys(css("#f-name"), "张三"), chromedp.SendKeys(css("#f-phone"), "13912345678"))
	for _, r := range []struct{ field, code string }{{"province", "44"}, {"city", "4403"}, {"district", "440305"}} {
		s.poll(r.field+" options", fmt.Sprintf(`!!document.querySelector('#f-%s option[value="%s"]')`, r.field, r.code))
		s.poll(r.field+" ready", fmt.Sprintf(`"htmx-internal-data" in document.querySelector('#f-%s') || %t`, r.field, r.field == "district"))
		if _, err := chromedp.Run(s.ctx, chromedp.Evaluate[bool](fmt.Sprintf(`(() => { const e = document.querySelector('#f-%s');
			e.value = %q; e.dispatchEvent(new Event('change', {bubbles: true})); return true; })()`, r.field, r.code))); err != nil {
			t.Fatal(err)
		}
	}
	s.poll("district chosen", `document.querySelector('#f-district').value === "440305"`)
	s.do("detail", chromedp.SendKeys(css("#f-detail"), "科技园南区 1 栋 101 室"))
	s.click("save address", `[data-testid="address-form"] [data-testid="save"]`)
	s.do("back at the checkout", chromedp.WaitVisible(css(`[data-testid="checkout-address"]`)))
	s.poll("two lines", `document.querySelectorAll('[data-testid="checkout-line"]').length === 2`)
	screenshot(t, s.ctx, "buying-checkout")
	s.click("submit order", `[data-testid="submit-order"]`)

	// Pay with the sandbox.
	s.do("pay page", chromedp.WaitVisible(css(`[data-testid="pay-form"]`)))
	orders, _, err := a.DB.CustomerOrders(ctx, cu.ID, store.TabAll, 0, 10)
	if err != nil || len(orders) != 1 || len(orders[0].Lines) != 2 {
		t.Fatalf("orders after checkout: %d %v", len(orders), err)
	}
	first := orders[0]
	if first.Goods != 23800+fxPrice(t, a, fx.dress, "蓝 / M") {
		t.Fatalf("goods = %d", first.Goods)
	}
	s.poll("sandbox chosen", `document.querySelector('#m-sandbox').checked`)
	s.click("pay", `[data-testid="pay-submit"]`)
	s.do("gateway", chromedp.WaitVisible(css(`[data-testid="sandbox-gateway"]`)))
	screenshot(t, s.ctx, "buying-sandbox")
	s.click("confirm", `[data-testid="sandbox-confirm"]`)
	s.poll("paid", `document.querySelector('[data-testid="pay-result"]')?.dataset.status === "success"`)
	screenshot(t, s.ctx, "buying-paid")
	assertStatus(t, a, first.ID, store.StatusToShip)

	// Staff ship it from the order page.
	s.staffSignIn()
	s.do("admin order", chromedp.Navigate(fmt.Sprintf("%s/admin/orders/%d", s.base, first.ID)),
		chromedp.WaitVisible(css(`[data-testid="ship-form"]`)),
		chromedp.SetValue(css("#carrier"), "顺丰速运"),
		chromedp.SendKeys(css("#tracking_no"), "SF1402881234567"))
	screenshot(t, s.ctx, "buying-admin-ship")
	s.click("ship", `[data-testid="ship-submit"]`)
	s.do("shipped", chromedp.WaitVisible(css(`[data-testid="package"]`)))
	assertStatus(t, a, first.ID, store.StatusShipped)

	// The buyer confirms receipt.
	s.phone()
	s.do("order", chromedp.Navigate(fmt.Sprintf("%s/orders/%d", s.base, first.ID)),
		chromedp.WaitVisible(css(`[data-testid="order-package"]`)))
	screenshot(t, s.ctx, "buying-shipped")
	s.do("to receive", chromedp.Navigate(s.base+"/orders?tab=to_receive"), chromedp.WaitVisible(css(`[data-testid="action-receive"]`)))
	s.click("receive", `[data-testid="action-receive"]`)
	s.poll("received", `!!document.querySelector('[data-testid="notice"]')`)
	assertStatus(t, a, first.ID, store.StatusCompleted)

	// Second path. Recharge ¥500 (+¥50) with the sandbox.
	s.do("recharge", chromedp.Navigate(s.base+"/me/wallet/recharge"), chromedp.WaitVisible(css(`[data-testid="recharge-form"]`)),
		chromedp.Click(css(`[data-testid="recharge-package"]`)))
	s.click("recharge", `[data-testid="recharge-submit"]`)
	s.do("gateway", chromedp.WaitVisible(css(`[data-testid="sandbox-gateway"]`)))
	s.click("confirm", `[data-testid="sandbox-confirm"]`)
	s.poll("recharged", `document.querySelector('[data-testid="pay-result"]')?.dataset.status === "success"`)
	if b := balance(t, a, cu.ID); b != 550_00 {
		t.Fatalf("balance after recharge = %d", b)
	}
	// A payment password.
	s.do("pay password", chromedp.Navigate(s.base+"/me/wallet/password"), chromedp.WaitVisible(css(`[data-testid="pay-password-form"]`)),
		chromedp.SendKeys(css("#f-login_password"), custPassword), chromedp.SendKeys(css("#f-pay_password"), "135790"),
		chromedp.SendKeys(css("#f-confirm"), "135790"))
	s.click("save pay password", `[data-testid="pay-password-submit"]`)

	// Buy now, pay by balance.
	s.do("product", chromedp.Navigate(fmt.Sprintf("%s/p/%d?s0=1罐", s.base, fx.milk)), chromedp.WaitVisible(css(`[data-testid="buy-now"]`)))
	s.htmxClick("buy now", `[data-testid="buy-now"]`)
	s.do("checkout", chromedp.WaitVisible(css(`[data-testid="checkout-address"]`)))
	s.click("submit order", `[data-testid="submit-order"]`)
	s.do("pay page", chromedp.WaitVisible(css(`[data-testid="pay-form"]`)), chromedp.Click(css(`label[for="m-balance"], #m-balance`)))
	s.poll("balance chosen", `document.querySelector('#m-balance').checked`)
	s.do("pin", chromedp.WaitVisible(css("#f-pay_password")), chromedp.SendKeys(css("#f-pay_password"), "135790"))
	screenshot(t, s.ctx, "buying-balance")
	s.click("pay", `[data-testid="pay-submit"]`)
	s.poll("paid", `document.querySelector('[data-testid="pay-result"]')?.dataset.status === "success"`)
	orders, _, _ = a.DB.CustomerOrders(ctx, cu.ID, store.TabToShip, 0, 10)
	if len(orders) != 1 || orders[0].PayProvider != store.ProviderBalance {
		t.Fatalf("balance order: %+v", orders)
	}
	second := orders[0]
	before := balance(t, a, cu.ID)
	if before != 550_00-second.Payable {
		t.Fatalf("balance after paying %d = %d", second.Payable, before)
	}
	if err := a.DB.ShipOrder(ctx, second.ID, store.StaffActor(testOwner), store.ShipInput{Carrier: "中通快递", TrackingNo: "ZT7788"}); err != nil {
		t.Fatal(err)
	}

	// Return and refund.
	s.do("aftersale form", chromedp.Navigate(fmt.Sprintf("%s/orders/%d/aftersale?line=%d", s.base, second.ID, second.Lines[0].ID)),
		chromedp.WaitVisible(css(`[data-testid="aftersale-form"]`)),
		chromedp.Click(css(`[data-testid="kind-return_refund"] + span`)),
		chromedp.SetValue(css("#f-reason"), "quality"),
		chromedp.SendKeys(css("#f-description"), "罐子有凹陷"))
	screenshot(t, s.ctx, "buying-aftersale-form")
	s.click("request", `[data-testid="submit"]`)
	s.poll("requested", `document.querySelector('[data-testid="aftersale-status"]')?.dataset.status === "requested"`)
	list, _, err := a.DB.CustomerAftersales(ctx, cu.ID, 0, 10)
	if err != nil || len(list) != 1 || list[0].Kind != store.AftersaleReturnRefund || list[0].Amount != second.Payable {
		t.Fatalf("after-sales = %+v %v", list, err)
	}
	as := list[0]

	s.desk()
	s.do("admin aftersale", chromedp.Navigate(fmt.Sprintf("%s/admin/aftersales/%d", s.base, as.ID)), chromedp.WaitVisible(css(`[data-testid="approve"]`)))
	s.click("approve", `[data-testid="approve"]`)
	s.do("approved", chromedp.WaitVisible(css(`[data-testid="timeline"]`)))

	s.phone()
	s.do("ship back", chromedp.Navigate(fmt.Sprintf("%s/aftersales/%d", s.base, as.ID)), chromedp.WaitVisible(css(`[data-testid="return-address"]`)),
		chromedp.SendKeys(css("#f-carrier"), "顺丰速运"), chromedp.SendKeys(css("#f-tracking_no"), "SF9900112233"))
	screenshot(t, s.ctx, "buying-ship-back")
	s.click("ship back", `[data-testid="ship-back"]`)
	s.do("returned", chromedp.WaitVisible(css(`[data-testid="return-parcel"]`)))

	s.desk()
	s.do("admin aftersale", chromedp.Navigate(fmt.Sprintf("%s/admin/aftersales/%d", s.base, as.ID)), chromedp.WaitVisible(css(`[data-testid="confirm-return"]`)))
	s.click("confirm return", `[data-testid="confirm-return"]`)
	s.do("refund button", chromedp.WaitVisible(css(`[data-testid="refund"]`)))
	screenshot(t, s.ctx, "buying-admin-refund")
	s.click("refund", `[data-testid="refund"]`)
	s.do("refunded", chromedp.WaitVisible(css(`[data-testid="refunds"]`)))

	if b := balance(t, a, cu.ID); b != 550_00 {
		t.Fatalf("balance after the refund = %d, want 55000", b)
	}
	assertStatus(t, a, second.ID, store.StatusClosed)
	s.phone()
	s.do("wallet", chromedp.Navigate(s.base+"/me/wallet"), chromedp.WaitVisible(css(`[data-testid="wallet-balance"]`)))
	s.poll("balance shown", `document.querySelector('[data-testid="wallet-balance"]').textContent.includes("550.00")`)
	screenshot(t, s.ctx, "buying-wallet-restored")
}

func assertStatus(t *testing.T, a *testApp, id int64, want store.OrderStatus) {
	t.Helper()
	o, err := a.DB.OrderByID(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if o.Status != want {
		t.Fatalf("order %d is %s, want %s", id, o.Status, want)
	}
}

func balance(t *testing.T, a *testApp, customer int64) store.Fen {
	t.Helper()
	b, err := a.DB.Wallet(t.Context(), customer)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func fxPrice(t *testing.T, a *testApp, product int64, label string) store.Fen {
	t.Helper()
	p, err := a.DB.ProductByID(t.Context(), product)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range p.SKUs {
		if s.Label() == label {
			return s.Price
		}
	}
	t.Fatalf("no SKU %q", label)
	return 0
}
