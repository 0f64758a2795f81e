package handlers

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/xiaodian/xiaodian/store"
)

// TestEndToEndPay drives paying in headless Chromium on a 375×812 phone:
// the pay page, the sandbox gateway and its result, then the wallet, the
// recharge page and the payment password form.
func TestEndToEndPay(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	f := newPayFixture(t, AppConfig{})
	ctx := browser(t, 375, 812)
	base := f.a.srv.URL
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			screenshot(t, ctx, "pay-failed")
			t.Fatalf("%s: %v", what, err)
		}
	}
	poll := func(what, js string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(20e9))); err != nil {
			screenshot(t, ctx, "pay-failed")
			t.Fatalf("waiting for %s: %v", what, err)
		}
	}
	for _, p := range []store.RechargePackageInput{{Pay: 100_00, Bonus: 10_00}, {Pay: 300_00, Bonus: 40_00}, {Pay: 500_00, Bonus: 80_00},
		{Pay: 1000_00, Bonus: 200_00}, {Pay: 50_00}} {
		p.Active = true
		if _, err := f.a.DB.CreateRechargePackage(t.Context(), p); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.a.DB.AdjustWallet(t.Context(), f.buyerID, 58_00, "boss", "开业红包"); err != nil {
		t.Fatal(err)
	}
	o := f.order(t, 2)

	do("sign in", chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile),
		chromedp.Navigate(base+"/login?next=/pay/"+o.No), chromedp.WaitVisible(css(`[data-testid="login-form"]`)),
		chromedp.SendKeys(css("#f-phone"), "13800138000"),
		chromedp.SendKeys(css("#f-password"), addrPassword),
		chromedp.Click(css(`[data-testid="login-form"] button[type="submit"]`)),
		chromedp.WaitVisible(css(`[data-testid="pay-form"]`)),
	)
	poll("no sideways scroll", `document.documentElement.scrollWidth <= 375`)
	poll("balance too low, sandbox chosen", `document.querySelector('#m-sandbox').checked && document.querySelector('#m-balance').disabled`)
	screenshot(t, ctx, "pay-page")

	do("pay by sandbox", chromedp.Click(css(`[data-testid="pay-submit"]`)), chromedp.WaitVisible(css(`[data-testid="sandbox-gateway"]`)))
	poll("no sideways scroll", `document.documentElement.scrollWidth <= 375`)
	screenshot(t, ctx, "pay-sandbox-gateway")

	do("confirm", chromedp.Click(css(`[data-testid="sandbox-confirm"]`)), chromedp.WaitVisible(css(`[data-testid="pay-result"]`)))
	poll("success", `document.querySelector('[data-testid="pay-result"]').dataset.status === "success"`)
	screenshot(t, ctx, "pay-result")
	if got := f.status(t, o.ID); got != store.StatusToShip {
		t.Fatalf("order %s after paying in the browser", got)
	}

	do("wallet", chromedp.Navigate(base+"/me/wallet"), chromedp.WaitVisible(css(`[data-testid="wallet-card"]`)))
	poll("no sideways scroll", `document.documentElement.scrollWidth <= 375`)
	screenshot(t, ctx, "wallet")

	do("recharge", chromedp.Click(css(`[data-testid="wallet-recharge"]`)), chromedp.WaitVisible(css(`[data-testid="recharge-form"]`)))
	poll("no sideways scroll", `document.documentElement.scrollWidth <= 375`)
	screenshot(t, ctx, "wallet-recharge")
	do("recharge 300", chromedp.Click(css(`[data-testid="recharge-package"]:nth-child(3)`)),
		chromedp.Click(css(`[data-testid="recharge-submit"]`)), chromedp.WaitVisible(css(`[data-testid="sandbox-gateway"]`)),
		chromedp.Click(css(`[data-testid="sandbox-confirm"]`)), chromedp.WaitVisible(css(`[data-testid="pay-result"]`)))
	poll("recharged", `document.querySelector('[data-testid="pay-result"]').dataset.status === "success"`)
	screenshot(t, ctx, "wallet-recharge-result")
	if b := f.ledgerSum(t); b != 58_00+300_00+40_00 {
		t.Fatalf("balance %s after 充300送40", b)
	}

	second := f.order(t, 1)
	do("pay password", chromedp.Navigate(base+"/pay/"+second.No), chromedp.WaitVisible(css(`[data-testid="set-pay-password"]`)),
		chromedp.Click(css(`[data-testid="set-pay-password"]`)), chromedp.WaitVisible(css(`[data-testid="pay-password-form"]`)))
	screenshot(t, ctx, "wallet-password")
	do("set the PIN", chromedp.SendKeys(css("#f-login_password"), addrPassword),
		chromedp.SendKeys(css("#f-pay_password"), payPIN), chromedp.SendKeys(css("#f-confirm"), payPIN),
		chromedp.Click(css(`[data-testid="pay-password-submit"]`)), chromedp.WaitVisible(css(`[data-testid="pay-form"]`)))
	poll("balance chosen", `!!document.querySelector('#m-balance:checked') && !!document.querySelector('[data-testid="notice"]')`)
	do("wrong PIN", chromedp.SendKeys(css("#f-pay_password"), "000001"), chromedp.Click(css(`[data-testid="pay-submit"]`)),
		chromedp.WaitVisible(css(`[data-testid="error-pay_password"]`)))
	screenshot(t, ctx, "pay-page-balance")
	do("right PIN", chromedp.SendKeys(css("#f-pay_password"), payPIN), chromedp.Click(css(`[data-testid="pay-submit"]`)),
		chromedp.WaitVisible(css(`[data-testid="pay-result"]`)))
	poll("paid by balance", `document.querySelector('[data-testid="pay-result"]').dataset.status === "success"`)
	if got := f.status(t, second.ID); got != store.StatusToShip {
		t.Fatalf("second order %s after paying by balance in the browser", got)
	}
}
