package handlers

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/device"

	"github.com/xiaodian/xiaodian/plugins/wechatpay"
	"github.com/xiaodian/xiaodian/plugins/wechatpay/wechatpaytest"
	"github.com/xiaodian/xiaodian/store"
)

// TestEndToEndWeChatPayH5 pays with WeChat Pay H5 in headless Chromium on
// a 375×812 phone browser (not WeChat's: the user agent is overridden, as
// WeChat's own browser is offered Native): register, put a product in the
// cart, check out, choose 微信支付 on the 收银台, follow to the fake
// gateway's H5 page, press 确认支付, and land on the result page saying
// 支付成功.
func TestEndToEndWeChatPayH5(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	a := openServedApp(t, AppConfig{})
	fx := seedShop(t, a)
	a.setupOwner(t)
	g := wechatpaytest.New(t)
	if resp, body := saveWeChatPay(t, a, g.Settings(wechatpaytest.ModePublicKey)); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save wechatpay settings: %d\n%.600s", resp.StatusCode, body)
	}
	ctx := t.Context()
	s := &e2eSession{t: t, ctx: browser(t, 375, 812), base: a.srv.URL, name: "wechatpay"}
	// chromedp.Emulate sets the user agent with emulation.SetUserAgentOverride.
	s.do("plain phone browser", chromedp.Emulate(plainPhone{}))
	s.phone()

	s.do("register", chromedp.Navigate(s.base+"/register"), chromedp.WaitVisible(css(`[data-testid="register-form"]`)),
		chromedp.SendKeys(css("#f-phone"), custPhone), chromedp.SendKeys(css("#f-password"), custPassword),
		chromedp.SendKeys(css("#f-confirm"), custPassword))
	s.click("register", `[data-testid="register-form"] button[type="submit"]`)
	cu, err := a.DB.AuthenticateCustomer(ctx, custPhone, custPassword)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.DB.CreateAddress(ctx, cu.ID, store.AddressInput{Name: "张三", Phone: "13912345678", ProvinceCode: "44",
		CityCode: "4403", DistrictCode: "440305", Detail: "科技园南区 1 栋 101 室", IsDefault: true}); err != nil {
		t.Fatal(err)
	}
	ua, err := chromedp.Run(s.ctx, chromedp.Evaluate[string](`navigator.userAgent`))
	if err != nil || ua != phoneUA {
		t.Fatalf("user agent %q, %v", ua, err)
	}

	s.addToCart(fx.milk, "s0=1罐")
	s.do("cart", chromedp.Navigate(s.base+"/cart"), chromedp.WaitVisible(css(`[data-testid="cart-checkout"]`)))
	s.click("settle", `[data-testid="cart-checkout"]`)
	s.do("checkout", chromedp.WaitVisible(css(`[data-testid="checkout-address"]`)))
	s.click("submit order", `[data-testid="submit-order"]`)

	// The 收银台 offers 微信支付 beside the (empty) balance.
	s.do("pay page", chromedp.WaitVisible(css(`[data-testid="pay-form"]`)),
		chromedp.WaitVisible(css(`[data-testid="method-wechatpay"]`)))
	orders, _, err := a.DB.CustomerOrders(ctx, cu.ID, store.TabAll, 0, 10)
	if err != nil || len(orders) != 1 {
		t.Fatalf("orders after checkout: %d %v", len(orders), err)
	}
	o := orders[0]
	s.do("choose 微信支付", chromedp.Click(css(`[data-testid="method-wechatpay"]`)))
	s.poll("微信支付 chosen", `document.querySelector('#m-wechatpay').checked && document.querySelector('#m-balance').disabled`)
	s.poll("no sideways scroll", `document.documentElement.scrollWidth <= 375`)
	name, err := chromedp.Run(s.ctx, chromedp.Text(css(`[data-testid="method-wechatpay"] .pay-method-name`)))
	if err != nil || name != "微信支付" {
		t.Fatalf("method name %q, %v", name, err)
	}
	screenshot(t, s.ctx, "wechatpay-cashier")

	// On to the fake's H5 cashier.
	s.click("pay", `[data-testid="pay-submit"]`)
	s.do("the fake's page", chromedp.WaitVisible(css(`[data-testid="wechatpaytest-confirm"]`)))
	loc, err := chromedp.Run(s.ctx, chromedp.Location())
	if err != nil || !strings.HasPrefix(loc, g.URL+"/cgi-bin/mmpayweb-bin/checkmweb?") {
		t.Fatalf("at %q, %v", loc, err)
	}
	amount, err := chromedp.Run(s.ctx, chromedp.Text(css(`[data-testid="wechatpaytest-amount"]`)))
	if err != nil || amount != "¥"+o.Payable.String() {
		t.Fatalf("the fake shows %q for %s", amount, o.Payable)
	}
	screenshot(t, s.ctx, "wechatpay-h5")
	if got := orderStatus(t, a, o.ID); got != store.StatusPendingPayment {
		t.Fatalf("order %s before 确认支付", got)
	}

	// 确认支付: the callback, then back to the shop's result page.
	s.click("确认支付", `[data-testid="wechatpaytest-confirm"]`)
	s.poll("paid", `document.querySelector('[data-testid="pay-result"]')?.dataset.status === "success"`)
	loc, err = chromedp.Run(s.ctx, chromedp.Location())
	if err != nil || loc != s.base+"/pay/result/"+o.No {
		t.Fatalf("result at %q, %v", loc, err)
	}
	title, err := chromedp.Run(s.ctx, chromedp.Text(css(`.pay-result-title`)))
	if err != nil || title != "支付成功" {
		t.Fatalf("result title %q, %v", title, err)
	}
	s.poll("no sideways scroll", `document.documentElement.scrollWidth <= 375`)
	screenshot(t, s.ctx, "wechatpay-result")

	got, err := a.DB.OrderByID(ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	pays, err := a.DB.OrderPayments(ctx, o.ID)
	if err != nil || len(pays) != 1 {
		t.Fatalf("payments %d, %v", len(pays), err)
	}
	if got.Status != store.StatusToShip || got.Paid != o.Payable || got.PaymentID != pays[0].ID ||
		pays[0].Channel != wechatpay.ChannelH5 || pays[0].Status != store.PaymentPaid {
		t.Fatalf("order %s paid %s; payment %+v", got.Status, got.Paid, pays[0])
	}
	if ds := g.Deliveries(); len(ds) != 1 || ds[0].Status != http.StatusNoContent {
		t.Fatalf("deliveries %s", fmt.Sprint(ds))
	}
}

// plainPhone is an iPhone's Safari at 375×812, not WeChat's browser.
type plainPhone struct{}

func (plainPhone) Device() device.Info {
	return device.Info{Name: "iPhone Safari", UserAgent: phoneUA, Width: 375, Height: 812, Scale: 1, Mobile: true}
}

func orderStatus(t *testing.T, a *testApp, id int64) store.OrderStatus {
	t.Helper()
	o, err := a.DB.OrderByID(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return o.Status
}
