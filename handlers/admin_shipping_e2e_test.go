package handlers

import (
	"context"
	"slices"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestEndToEndShipping drives the shipping pages in headless Chromium: the
// owner builds a template with a region rule (a province ticked, a city
// typed by name), then a pickup store through the htmx region selects.
func TestEndToEndShipping(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	a := newTestApp(t)
	ctx := browser(t, 1280, 1500)
	base := a.srv.URL
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			screenshot(t, ctx, "e2e-shipping-failed")
			t.Fatalf("%s: %v", what, err)
		}
	}
	eval := func(what, js string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js)); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	poll := func(what, js string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(20e9))); err != nil {
			screenshot(t, ctx, "e2e-shipping-failed")
			t.Fatalf("waiting for %s: %v", what, err)
		}
	}
	do("setup",
		chromedp.Navigate(base+"/admin"),
		chromedp.WaitVisible(css(`[data-testid="setup-form"]`)),
		chromedp.SendKeys(css("#username"), testOwner),
		chromedp.SendKeys(css("#password"), testPassword),
		chromedp.SendKeys(css("#confirm"), testPassword),
	)
	eval("no demo shop", `(() => { const c = document.querySelector('[data-testid="load-demo"]'); if (c.checked) c.click(); return true; })()`)
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(css(`[data-testid="setup-form"] button[type="submit"]`))); err != nil {
		t.Fatal(err)
	}
	do("dashboard", chromedp.WaitVisible(css(`[data-testid="dashboard-stats"]`)))

	// A template: the default rule is prefilled; add a rule for 新疆 and 深圳.
	do("template form",
		chromedp.Navigate(base+"/admin/shipping/new"),
		chromedp.WaitVisible(css(`[data-testid="template-form"]`)),
		chromedp.SendKeys(css("#name"), "全国通用"),
		chromedp.SendKeys(css("#free_over_fen"), "99"),
		chromedp.Click(css(`[data-testid="add-rule"]`)),
	)
	poll("a region rule", `document.querySelectorAll('[data-testid="region-rule"]').length === 1 && document.querySelector('#name').value === "全国通用"`)
	eval("fill the rule", `(() => {
		document.querySelector('input[name="rule.0.provinces"][value="65"]').click();
		document.querySelector('#rule\\.0\\.codes').value = "深圳";
		document.querySelector('#rule\\.0\\.first_fen').value = "20";
		document.querySelector('#rule\\.0\\.extra_fen').value = "10";
		return true;
	})()`)
	screenshot(t, ctx, "e2e-admin-shipping-form")
	do("save template",
		chromedp.Click(css(`[data-testid="template-form"] [data-testid="save"]`)),
		chromedp.WaitVisible(css(`[data-testid="template-table"]`)),
	)
	screenshot(t, ctx, "e2e-admin-shipping-list")
	tpls, err := a.DB.ShippingTemplates(context.Background())
	if err != nil || len(tpls) != 1 || len(tpls[0].Rules) != 1 || !slices.Equal(tpls[0].Rules[0].Codes, []string{"65", "4403"}) ||
		tpls[0].FreeOverFen != 9900 || tpls[0].Rules[0].FirstFen != 2000 {
		t.Fatalf("template %+v %v", tpls, err)
	}

	// A pickup store: each region select redraws the next through htmx.
	do("store form",
		chromedp.Navigate(base+"/admin/pickup-stores/new"),
		chromedp.WaitVisible(css(`[data-testid="store-form"]`)),
		chromedp.SendKeys(css("#name"), "南山店"),
		chromedp.SendKeys(css("#detail"), "科技园南区 1 栋"),
		chromedp.SendKeys(css("#hours"), "09:00-21:00"),
	)
	// Each swap brings new selects; htmx must have processed them before
	// the next change.
	ready := `(() => { const r = document.querySelector('#pickup-region'); return !!r && !!r["htmx-internal-data"] && !document.querySelector('.htmx-settling, .htmx-request'); })()`
	choose := func(testid, value string) {
		t.Helper()
		poll("region selects ready", ready)
		eval("choose "+testid, `(() => {
			const s = document.querySelector('[data-testid="`+testid+`"]');
			s.value = "`+value+`";
			s.dispatchEvent(new Event("change", {bubbles: true}));
			return true;
		})()`)
	}
	choose("province", "44")
	poll("cities", `document.querySelectorAll('[data-testid="city"] option').length > 10`)
	choose("city", "4403")
	poll("districts", `!!document.querySelector('[data-testid="district"] option[value="440305"]')`)
	choose("district", "440305")
	poll("district kept", `document.querySelector('[data-testid="district"]').value === "440305"`)
	screenshot(t, ctx, "e2e-admin-pickup-form")
	do("save store",
		chromedp.Click(css(`[data-testid="store-form"] [data-testid="save"]`)),
		chromedp.WaitVisible(css(`[data-testid="store-table"]`)),
	)
	screenshot(t, ctx, "e2e-admin-pickup-list")
	stores, err := a.DB.PickupStores(context.Background(), true)
	if err != nil || len(stores) != 1 || stores[0].District != "440305" || stores[0].Hours != "09:00-21:00" {
		t.Fatalf("stores %+v %v", stores, err)
	}
}
