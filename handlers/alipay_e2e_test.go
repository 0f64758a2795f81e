package handlers

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/xiaodian/xiaodian/plugins/alipay/alipaytest"
	"github.com/xiaodian/xiaodian/store"
)

// TestAlipayEndToEndPage: on a 1280×900 desktop a shopper orders, chooses
// 支付宝 on the 收银台, the page posts the signed form to the (fake) gateway,
// the shopper presses 确认付款 and lands on the result page showing 支付成功.
func TestAlipayEndToEndPage(t *testing.T) {
	alipayEndToEnd(t, "page", 1280, 900, alipayDesktopUA)
}

// TestAlipayEndToEndWap: the same on a 375×812 phone's own browser (not
// WeChat's): the 收银台 follows the signed wap.pay link.
func TestAlipayEndToEndWap(t *testing.T) {
	alipayEndToEnd(t, "wap", 375, 812, alipayPhoneUA)
}

// alipayUserAgent replaces the browser's user agent (browser() starts
// Chromium as WeChat's, where Alipay is not offered).
func alipayUserAgent(ua string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, t, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: ua, AcceptLanguage: "zh-CN"})
		return chromedp.Void{}, err
	}
}

// alipayPollAcross is s.poll for a page that navigates on its own (the
// 收银台's answer posts a form or follows a link by script): a poll whose
// page was replaced under it is started again on the next page.
func alipayPollAcross(s *e2eSession, what, js string) {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, err := chromedp.Run(s.ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(20e9)))
		if err == nil {
			return
		}
		msg := err.Error()
		replaced := strings.Contains(msg, "Cannot find context with specified id") ||
			strings.Contains(msg, "Execution context was destroyed") || strings.Contains(msg, "Inspected target navigated or closed")
		if !replaced || time.Now().After(deadline) {
			s.fail("waiting for "+what, err)
		}
	}
}

func alipayEndToEnd(t *testing.T, channel string, width, height int, ua string) {
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	a := openServedApp(t, AppConfig{})
	fx := seedShop(t, a)
	a.setupOwner(t)
	g := alipaytest.New(t)
	if resp, body := alipaySaveSettings(t, a, g.Settings(alipaytest.ModePublicKey)); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save alipay settings: %d\n%.600s", resp.StatusCode, body)
	}
	ctx := t.Context()
	s := &e2eSession{t: t, ctx: browser(t, width, height), base: a.srv.URL, name: "alipay-" + channel}
	s.do("user agent", alipayUserAgent(ua))
	if channel == "wap" {
		s.phone()
	} else {
		s.desk()
	}
	if got, err := chromedp.Run(s.ctx, chromedp.Evaluate[string](`navigator.userAgent`)); err != nil || got != ua {
		t.Fatalf("user agent %q, %v", got, err)
	}

	// A shopper registers, with an address on file, and orders a can of milk.
	s.do("register", chromedp.Navigate(s.base+"/register"), chromedp.WaitVisible(css(`[data-testid="register-form"]`)),
		chromedp.SendKeys(css("#f-phone"), custPhone), chromedp.SendKeys(css("#f-password"), custPassword),
		chromedp.SendKeys(css("#f-confirm"), custPassword))
	s.click("register", `[data-testid="register-form"] button[type="submit"]`)
	cu, err := a.DB.AuthenticateCustomer(ctx, custPhone, custPassword)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.DB.CreateAddress(ctx, cu.ID, store.AddressInput{Name: "张三", Phone: custPhone,
		ProvinceCode: "44", CityCode: "4403", DistrictCode: "440305", Detail: "科技园南区 1 栋 101"}); err != nil {
		t.Fatal(err)
	}
	s.addToCart(fx.milk, "s0=1罐")
	s.do("cart", chromedp.Navigate(s.base+"/cart"), chromedp.WaitVisible(css(`[data-testid="cart-checkout"]`)))
	s.click("settle", `[data-testid="cart-checkout"]`)
	s.do("checkout", chromedp.WaitVisible(css(`[data-testid="checkout-address"]`)))
	s.click("submit order", `[data-testid="submit-order"]`)

	// The 收银台: choose 支付宝.
	s.do("pay page", chromedp.WaitVisible(css(`[data-testid="pay-form"]`)), chromedp.WaitVisible(css(`[data-testid="method-alipay"]`)))
	orders, _, err := a.DB.CustomerOrders(ctx, cu.ID, store.TabAll, 0, 10)
	if err != nil || len(orders) != 1 {
		t.Fatalf("orders after checkout: %d %v", len(orders), err)
	}
	o := orders[0]
	s.do("choose alipay", chromedp.Click(css(`[data-testid="method-alipay"]`)))
	s.poll("alipay chosen", `document.querySelector('#m-alipay').checked`)
	screenshot(t, s.ctx, s.name+"-checkout")
	s.click("pay", `[data-testid="pay-submit"]`)

	// The fake's cashier (page: the form posted there; wap: the link followed).
	alipayPollAcross(s, "cashier", `!!document.querySelector('[data-testid="alipay-cashier"]')`)
	s.poll("cashier at the gateway", fmt.Sprintf(`location.href.startsWith(%q)`, g.URL))
	amount, err := chromedp.Run(s.ctx, chromedp.Text(css(`[data-testid="alipay-amount"]`)))
	if err != nil || amount != fmt.Sprintf("%d.%02d", o.Payable/100, o.Payable%100) {
		t.Fatalf("cashier amount %q (%v), order payable %s", amount, err, o.Payable)
	}
	screenshot(t, s.ctx, s.name+"-cashier")
	s.click("确认付款", `[data-testid="alipay-confirm"]`)

	// Back at the shop: 支付成功.
	s.poll("paid", `document.querySelector('[data-testid="pay-result"]')?.dataset.status === "success"`)
	s.poll("result page", fmt.Sprintf(`location.href.startsWith(%q)`, a.srv.URL+payResultURL(o.No)))
	title, err := chromedp.Run(s.ctx, chromedp.Text(css(`.pay-result-title`)))
	if err != nil || !strings.Contains(title, "支付成功") {
		t.Fatalf("result title %q, %v", title, err)
	}
	screenshot(t, s.ctx, s.name+"-result")

	assertStatus(t, a, o.ID, store.StatusToShip)
	pay := alipayPaymentOf(t, a, o.ID)
	if pay.Status != store.PaymentPaid || pay.Channel != channel || pay.Amount != o.Payable ||
		alipayColumn(t, a, pay.ID, "applied_by") != store.AppliedByNotify {
		t.Fatalf("payment %+v, applied by %q", pay, alipayColumn(t, a, pay.ID, "applied_by"))
	}
	d := g.Deliveries()
	if len(d) != 1 || !d[0].Acked() {
		t.Fatalf("notifications %+v", d)
	}
	method := "alipay.trade.wap.pay"
	if channel == "page" {
		method = "alipay.trade.page.pay"
	}
	if c := g.Calls(); len(c) != 1 || c[0] != method {
		t.Fatalf("gateway calls %v, want one %s", c, method)
	}
}
