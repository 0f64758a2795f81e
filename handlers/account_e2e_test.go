package handlers

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestEndToEndAccount drives the account pages in headless Chromium on a
// 375×812 phone: a refused registration shows its messages beside the
// fields, a good one lands on the member page, the profile is edited, the
// shopper signs out, fails once and signs in again. Screenshots of each page
// are kept among the artefacts (account-*.png).
func TestEndToEndAccount(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	a := newTestApp(t)
	ctx := browser(t, 375, 812)
	base := a.srv.URL
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			screenshot(t, ctx, "account-failed")
			t.Fatalf("%s: %v", what, err)
		}
	}
	// click follows a link or submits a form and waits for the new page, so
	// the next step never queries the page being unloaded.
	click := func(what, sel string) {
		t.Helper()
		// Bring the target above the fixed tab bar first.
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`(() => { document.querySelector(%q)?.scrollIntoView({block: "center"}); return true; })()`, sel))); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if _, err := chromedp.RunResponse(ctx, chromedp.Click(css(sel))); err != nil {
			screenshot(t, ctx, "account-failed")
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(css(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}

	// The 我的 tab of the home page leads a visitor to sign in.
	do("me tab",
		chromedp.Navigate(base+"/"),
	)
	click("me tab", `[data-testid="tabbar"] a[href="/me"]`)
	do("me tab",
		chromedp.WaitVisible(css(`[data-testid="login-form"]`)),
	)
	screenshot(t, ctx, "account-login")
	click("to registration", `[data-testid="register-link"]`)
	do("to registration",
		chromedp.WaitVisible(css(`[data-testid="register-form"]`)),
	)
	screenshot(t, ctx, "account-register")
	do("refused registration",
		chromedp.SendKeys(css("#f-phone"), "1380013800"),
		chromedp.SendKeys(css("#f-password"), "short"),
		chromedp.SendKeys(css("#f-confirm"), "shorter"),
	)
	click("refused registration", `[data-testid="register-form"] button[type="submit"]`)
	do("refused registration",
		chromedp.WaitVisible(css(`[data-testid="error-phone"]`)),
		chromedp.WaitVisible(css(`[data-testid="error-confirm"]`)),
	)
	screenshot(t, ctx, "account-register-errors")
	do("registration",
		chromedp.Clear(css("#f-phone")),
		chromedp.SendKeys(css("#f-phone"), "138 0013 8000"),
		chromedp.SendKeys(css("#f-password"), custPassword),
		chromedp.SendKeys(css("#f-confirm"), custPassword),
	)
	click("registration", `[data-testid="register-form"] button[type="submit"]`)
	do("registration",
		chromedp.WaitVisible(css(`[data-testid="member-head"]`)),
	)
	if got := text(`[data-testid="member-name"]`); got != "138****8000" {
		t.Errorf("member page shows %q, want 138****8000", got)
	}
	screenshot(t, ctx, "account-member")
	click("profile", `[data-testid="member-profile"]`)
	do("profile",
		chromedp.WaitVisible(css(`[data-testid="profile-form"]`)),
		chromedp.SendKeys(css("#f-nickname"), "小明同学"),
		chromedp.Click(css(`input[name="gender"][value="male"] + span`)),
	)
	screenshot(t, ctx, "account-profile")
	click("save profile", `[data-testid="profile-form"] button[type="submit"]`)
	do("save profile",
		chromedp.WaitVisible(css(`[data-testid="notice"]`)),
	)
	if got := text(`[data-testid="member-name"]`); got != "小明同学" {
		t.Errorf("member name %q after saving the profile", got)
	}
	if got := text(`[data-testid="member-phone"]`); got != "138****8000" {
		t.Errorf("member phone %q beside the nickname", got)
	}
	screenshot(t, ctx, "account-member-saved")
	do("password page",
		chromedp.Navigate(base+"/me/password"),
		chromedp.WaitVisible(css(`[data-testid="password-form"]`)),
	)
	screenshot(t, ctx, "account-password")
	do("logout",
		chromedp.Navigate(base+"/me"),
		chromedp.WaitVisible(css(`[data-testid="logout"]`)),
	)
	// The page is taller than the phone: bring the button above the tab bar.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { document.querySelector('[data-testid="logout"]').scrollIntoView({block: "center"}); return true; })()`)); err != nil {
		t.Fatal(err)
	}
	click("logout", `[data-testid="logout"]`)
	do("logout",
		chromedp.WaitNotPresent(css(`[data-testid="member-head"]`)),
		chromedp.Navigate(base+"/me"),
		chromedp.WaitVisible(css(`[data-testid="login-form"]`)),
	)
	do("wrong password",
		chromedp.SendKeys(css("#f-phone"), "13800138000"),
		chromedp.SendKeys(css("#f-password"), "not my password"),
	)
	click("wrong password", `[data-testid="login-form"] button[type="submit"]`)
	do("wrong password",
		chromedp.WaitVisible(css(`[data-testid="form-error"]`)),
	)
	screenshot(t, ctx, "account-login-error")
	do("login",
		chromedp.SendKeys(css("#f-password"), custPassword),
	)
	click("login", `[data-testid="login-form"] button[type="submit"]`)
	do("login",
		chromedp.WaitVisible(css(`[data-testid="member-head"]`)),
	)
}
