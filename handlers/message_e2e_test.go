package handlers

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/xiaodian/xiaodian/store"
)

// TestEndToEndMessages drives the inbox in headless Chromium on a 375×812
// phone: a new customer sees the unread badge on 消息通知, opens the
// welcome message, and marks the rest read with 全部已读.
func TestEndToEndMessages(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	a := newTestApp(t)
	ctx := browser(t, 375, 812)
	base := a.srv.URL
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			screenshot(t, ctx, "messages-failed")
			t.Fatalf("%s: %v", what, err)
		}
	}
	poll := func(what, js string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(20e9))); err != nil {
			screenshot(t, ctx, "messages-failed")
			t.Fatalf("waiting for %s: %v", what, err)
		}
	}

	do("register", chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile),
		chromedp.Navigate(base+"/register"), chromedp.WaitVisible(css(`[data-testid="register-form"]`)),
		chromedp.SendKeys(css("#f-phone"), custPhone),
		chromedp.SendKeys(css("#f-password"), custPassword),
		chromedp.SendKeys(css("#f-confirm"), custPassword),
		chromedp.Click(css(`[data-testid="register-form"] button[type="submit"]`)),
		chromedp.WaitVisible(css(`[data-testid="member-messages"]`)),
	)
	poll("badge 1", `(() => { const b = document.querySelector('[data-testid="member-messages"] [data-testid="message-badge"]'); return !!b && !b.hidden && b.textContent === "1"; })()`)
	screenshot(t, ctx, "messages-member")

	cu, err := a.DB.AuthenticateCustomer(t.Context(), custPhone, custPassword)
	if err != nil {
		t.Fatal(err)
	}
	long := store.MessageInput{Kind: store.MessageOrder, Title: strings.Repeat("您的订单已发货", 5), Body: strings.Repeat("包裹正在路上，请留意查收。", 12), Link: "/me"}
	if _, err := a.DB.SendMessage(t.Context(), cu.ID, long); err != nil {
		t.Fatal(err)
	}
	do("inbox", chromedp.Click(css(`[data-testid="member-messages"]`)), chromedp.WaitVisible(css(`[data-testid="messages"]`)))
	poll("two unread", `document.querySelectorAll('[data-testid="unread-dot"]').length === 2`)
	poll("no sideways scroll", `document.documentElement.scrollWidth <= 375`)
	screenshot(t, ctx, "messages-inbox")

	do("welcome", chromedp.Click(css(`li:last-child [data-testid="message"]`)),
		chromedp.WaitVisible(css(`[data-testid="message-detail"]`)))
	poll("the welcome's button", `document.querySelector('[data-testid="message-link"]').getAttribute("href") === "/"`)
	screenshot(t, ctx, "messages-detail")

	do("back", chromedp.Navigate(base+"/me/messages"), chromedp.WaitVisible(css(`[data-testid="messages"]`)))
	poll("one unread", `document.querySelectorAll('[data-testid="unread-dot"]').length === 1`)
	do("read all", chromedp.Click(css(`[data-testid="read-all"]`)), chromedp.WaitVisible(css(`[data-testid="notice"]`)))
	poll("none unread", `document.querySelectorAll('[data-testid="unread-dot"]').length === 0`)
	screenshot(t, ctx, "messages-read-all")
}
