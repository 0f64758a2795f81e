package handlers

import (
	"fmt"
	"net/url"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/xiaodian/xiaodian/store"
)

// TestEndToEndAftersales drives after-sales in headless Chromium: the buyer
// fills the request form on a 375×812 phone (the stepper refills the
// amount), sees the after-sale and, once the return is approved, the
// shop's address; staff see the queue at 1280×900.
func TestEndToEndAftersales(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	f := newAftersaleFixture(t)
	ctx := browser(t, 375, 812)
	base := f.a.srv.URL
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			screenshot(t, ctx, "aftersale-failed")
			t.Fatalf("%s: %v", what, err)
		}
	}
	poll := func(what, js string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(20e9))); err != nil {
			screenshot(t, ctx, "aftersale-failed")
			t.Fatalf("waiting for %s: %v", what, err)
		}
	}
	o := f.order(t, "e2e", store.CheckoutItem{SKUID: f.dressBlueM, Qty: 3}, store.CheckoutItem{SKUID: f.dressRedS, Qty: 1})
	if err := f.a.DB.ShipOrder(t.Context(), o.ID, store.StaffActor("boss"), store.ShipInput{Carrier: "顺丰", TrackingNo: "SF1"}); err != nil {
		t.Fatal(err)
	}
	if err := f.a.DB.SetReturnAddress(t.Context(), store.ReturnAddress{
		Name: "小店售后部", Phone: "0755-86001234", Address: "广东省深圳市南山区科技园南区 8 栋 2 楼"}); err != nil {
		t.Fatal(err)
	}
	// Some history for the lists.
	other := f.request(t, o, o.Lines[1].ID, url.Values{"kind": {"refund_only"}, "qty": {"1"}, "reason": {"not_received"}})
	if err := f.a.DB.RejectAftersale(t.Context(), other, store.StaffActor("boss"), "物流显示已签收，请先联系快递"); err != nil {
		t.Fatal(err)
	}

	do("sign in", chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile),
		chromedp.Navigate(base+"/login"), chromedp.WaitVisible(css(`[data-testid="login-form"]`)),
		chromedp.SendKeys(css("#f-phone"), custPhone), chromedp.SendKeys(css("#f-password"), custPassword),
		chromedp.Click(css(`[data-testid="login-form"] button[type="submit"]`)),
		chromedp.WaitVisible(css(`.member-head`)),
	)
	do("form", chromedp.Navigate(fmt.Sprintf("%s/orders/%d/aftersale?line=%d", base, o.ID, o.Lines[0].ID)),
		chromedp.WaitVisible(css(`[data-testid="aftersale-form"]`)))
	poll("prefilled", `document.getElementById("f-amount").value === "390.00"`)
	do("step down", chromedp.Click(css(`[data-testid="qty-dec"]`)))
	poll("amount of 2", `document.getElementById("f-amount").value === "260.00" && document.getElementById("f-qty").value === "2"`)
	do("fill", chromedp.Click(css(`[data-testid="kind-return_refund"] + span`)),
		chromedp.SetValue(css("#f-reason"), "quality"),
		chromedp.SendKeys(css("#f-description"), "领口有开线，洗了一次就起球了"))
	poll("no sideways scroll", `document.documentElement.scrollWidth <= 375`)
	screenshot(t, ctx, "aftersale-form")
	do("submit", chromedp.Click(css(`[data-testid="submit"]`)), chromedp.WaitVisible(css(`[data-testid="aftersale-hero"]`)))
	poll("requested", `document.querySelector('[data-testid="aftersale-status"]').dataset.status === "requested"`)
	screenshot(t, ctx, "aftersale-detail-requested")

	list, _, err := f.a.DB.CustomerAftersales(t.Context(), f.buyerID, 0, 10)
	if err != nil || len(list) != 2 || list[0].Amount != 26000 || list[0].Kind != store.AftersaleReturnRefund {
		t.Fatalf("after-sales = %+v %v", list, err)
	}
	if err := f.a.DB.ApproveAftersale(t.Context(), list[0].ID, store.StaffActor("boss")); err != nil {
		t.Fatal(err)
	}
	do("reload", chromedp.Reload(), chromedp.WaitVisible(css(`[data-testid="return-address"]`)))
	poll("no sideways scroll", `document.documentElement.scrollWidth <= 375`)
	screenshot(t, ctx, "aftersale-detail-return")
	do("list", chromedp.Navigate(base+"/aftersales"), chromedp.WaitVisible(css(`[data-testid="aftersales"]`)))
	screenshot(t, ctx, "aftersale-list")

	do("admin", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(base+"/admin/login"),
		chromedp.WaitVisible(css("#username")),
		chromedp.SendKeys(css("#username"), testOwner), chromedp.SendKeys(css("#password"), testPassword),
		chromedp.Submit(css("#password")), chromedp.WaitVisible(css(".sidebar")),
		chromedp.Navigate(base+"/admin/aftersales"), chromedp.WaitVisible(css(`[data-testid="aftersale-table"]`)))
	screenshot(t, ctx, "aftersale-admin-queue")
	do("admin detail", chromedp.Navigate(fmt.Sprintf("%s/admin/aftersales/%d", base, list[0].ID)),
		chromedp.WaitVisible(css(`[data-testid="actions"]`)))
	screenshot(t, ctx, "aftersale-admin-detail")
	do("settings", chromedp.Navigate(base+"/admin/aftersales/return-address"),
		chromedp.WaitVisible(css(`[data-testid="return-address-form"]`)))
	screenshot(t, ctx, "aftersale-admin-settings")
}
