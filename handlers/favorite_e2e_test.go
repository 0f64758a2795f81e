package handlers

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestEndToEndFavorites drives the heart and the two member pages in
// headless Chromium on a 375×812 phone: a visitor's heart leads to sign in;
// a customer's heart loads its state, toggles with htmx, and the product
// shows in 我的收藏 and 浏览记录.
func TestEndToEndFavorites(t *testing.T) {
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
			screenshot(t, ctx, "favorites-failed")
			t.Fatalf("%s: %v", what, err)
		}
	}
	poll := func(what, js string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(20e9))); err != nil {
			screenshot(t, ctx, "favorites-failed")
			t.Fatalf("waiting for %s: %v", what, err)
		}
	}
	click := func(what, sel string) {
		t.Helper()
		if _, err := chromedp.RunResponse(ctx, chromedp.Click(css(sel))); err != nil {
			screenshot(t, ctx, "favorites-failed")
			t.Fatalf("%s: %v", what, err)
		}
	}
	product := fmt.Sprintf("%s/p/%d", base, fx.dress)

	do("visitor's product page",
		chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile),
		chromedp.Navigate(product),
	)
	poll("visitor's heart", `document.querySelector('[data-testid="favorite"]').dataset.state === "visitor"`)
	click("visitor's heart", `[data-testid="favorite"]`)
	do("sign-in page", chromedp.WaitVisible(css(`[data-testid="login-form"]`)))

	do("register", chromedp.Navigate(base+"/register"), chromedp.WaitVisible(css(`[data-testid="register-form"]`)),
		chromedp.SendKeys(css("#f-phone"), custPhone),
		chromedp.SendKeys(css("#f-password"), custPassword),
		chromedp.SendKeys(css("#f-confirm"), custPassword),
	)
	click("register", `[data-testid="register-form"] button[type="submit"]`)
	do("member page", chromedp.WaitVisible(css(`[data-testid="member-favorites"]`)))
	screenshot(t, ctx, "favorites-member")

	do("customer's product page", chromedp.Navigate(product))
	poll("heart off", `(() => { const f = document.querySelector('[data-testid="favorite"]'); return f.dataset.state === "off" && "htmx-internal-data" in f; })()`)
	do("toggle", chromedp.Click(css(`[data-testid="favorite"] button`)))
	poll("heart on", `document.querySelector('[data-testid="favorite"]').dataset.state === "on"`)
	screenshot(t, ctx, "favorites-product-heart")

	do("favourites", chromedp.Navigate(base+"/me/favorites"), chromedp.WaitVisible(css(`[data-testid="saved-item"]`)))
	poll("the dress listed", fmt.Sprintf(`document.querySelector('[data-testid="saved-item"]').dataset.id === "%d"`, fx.dress))
	screenshot(t, ctx, "favorites-page")
	do("history", chromedp.Navigate(base+"/me/history"), chromedp.WaitVisible(css(`[data-testid="saved-item"]`)))
	screenshot(t, ctx, "favorites-history")
	click("clear", `[data-testid="clear-history"]`)
	do("cleared", chromedp.WaitVisible(css(`[data-testid="history-empty"]`)))
}
