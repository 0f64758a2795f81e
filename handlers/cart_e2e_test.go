package handlers

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestEndToEndCart drives the cart in headless Chromium on a 375×812 phone:
// a guest adds a SKU from the product page with htmx (toast and badge), opens
// the cart from the buy bar, raises the quantity, unselects and selects the
// line, and the total follows; the product goes off shelf and the line is
// shown unavailable, then removed.
func TestEndToEndCart(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	a := newTestApp(t)
	fx := seedShop(t, a)
	ctx := browser(t, 375, 812)
	base := a.srv.URL
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			screenshot(t, ctx, "cart-failed")
			t.Fatalf("%s: %v", what, err)
		}
	}
	poll := func(what, js string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(20e9))); err != nil {
			screenshot(t, ctx, "cart-failed")
			t.Fatalf("waiting for %s: %v", what, err)
		}
	}
	// htmxClick clicks sel once htmx has processed it and no request is
	// under way, so the click is htmx's and not the plain form's.
	htmxClick := func(what, sel string) {
		t.Helper()
		poll(what+" ready", fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && ("htmx-internal-data" in e || "htmx-internal-data" in e.form) && !document.querySelector(".htmx-request"); })()`, sel))
		do(what, chromedp.Click(css(sel)))
	}

	blueM := skuOf(t, a, fx.dress, "蓝 / M")
	do("product page",
		chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile),
		chromedp.Navigate(fmt.Sprintf("%s/p/%d?s0=蓝&s1=M", base, fx.dress)),
		chromedp.WaitVisible(css(`[data-testid="add-to-cart"]`)),
	)
	screenshot(t, ctx, "cart-product-sheet")
	poll("SKU chosen", fmt.Sprintf(`document.querySelector('#sku-cart input[name="sku_id"]').value === "%d"`, blueM))
	htmxClick("add to cart", `[data-testid="add-to-cart"]`)
	poll("toast", `!!document.querySelector('#flash [data-testid="toast"]')`)
	poll("badge 1", `document.querySelector('#cart-badge').textContent.trim() === "1" && !document.querySelector('#cart-badge').hidden`)
	screenshot(t, ctx, "cart-product-added")

	if _, err := chromedp.RunResponse(ctx, chromedp.Click(css(`[data-testid="buybar-cart"]`))); err != nil {
		t.Fatalf("to the cart: %v", err)
	}
	do("cart page", chromedp.WaitVisible(css(`[data-testid="cart-line"]`)))
	poll("total 130", `document.querySelector('[data-testid="cart-total"]').dataset.fen === "13000"`)
	htmxClick("plus", `[data-testid="qty-inc"]`)
	poll("total 260", `document.querySelector('[data-testid="cart-total"]').dataset.fen === "26000"`)
	poll("badge 2", `document.querySelector('#cart-badge').textContent.trim() === "2"`)
	htmxClick("unselect", `[data-testid="select-line"]`)
	poll("total 0", `document.querySelector('[data-testid="cart-total"]').dataset.fen === "0"`)
	htmxClick("select all", `[data-testid="select-all"]`)
	poll("total back", `document.querySelector('[data-testid="cart-total"]').dataset.fen === "26000"`)
	screenshot(t, ctx, "cart-page")

	// The product goes off shelf: the line is greyed with the reason and
	// leaves the total.
	if _, err := a.DB.SetOnShelf(t.Context(), []int64{fx.dress}, false); err != nil {
		t.Fatal(err)
	}
	do("reload", chromedp.Navigate(base+"/cart"), chromedp.WaitVisible(css(`[data-testid="cart-reason"]`)))
	poll("total 0", `document.querySelector('[data-testid="cart-total"]').dataset.fen === "0"`)
	screenshot(t, ctx, "cart-unavailable")
	htmxClick("remove", `[data-testid="remove-line"]`)
	do("empty", chromedp.WaitVisible(css(`[data-testid="cart-empty"]`)))
	poll("badge hidden", `document.querySelector('#cart-badge').hidden`)
	screenshot(t, ctx, "cart-empty")
}
