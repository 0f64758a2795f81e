package handlers

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/plugins/wechat/wechattest"
)

// TestEndToEndWeChatLogin: in headless Chromium with WeChat's user agent
// (browser() sets it), a shopper who opened a shared product page taps
// 我的: the shop tries the silent 网页授权, then the profile screen (the
// fake agrees at once), and shows the bind page; they register with a phone
// number and land on the member page, their OpenID linked. The product
// page carries the share card's og: tags.
func TestEndToEndWeChatLogin(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	a := newTestApp(t)
	fx := seedShop(t, a)
	a.setupOwner(t)
	fake := wechattest.New()
	t.Cleanup(fake.Close)
	configureWeChat(t, a, fake)
	fake.SetUser(wechattest.User{OpenID: "o6_bmjrPTlm6_2sgVt7hMZOPfL2M", Nickname: "微信小明"})

	s := &e2eSession{t: t, ctx: browser(t, 375, 812), base: a.srv.URL, name: "wechat-login"}
	s.phone()
	s.do("product", chromedp.Navigate(fmt.Sprintf("%s/p/%d?s0=蓝&s1=M", s.base, fx.dress)), chromedp.WaitVisible(css(`[data-testid="add-to-cart"]`)))
	s.poll("share card tags", `!!document.querySelector('meta[property="og:title"]') && !!document.querySelector('meta[property="og:image"]')`)
	s.do("member page", chromedp.Navigate(s.base+"/me"), chromedp.WaitVisible(css(`[data-testid="bind-login-form"]`)))
	s.poll("greeting", `document.body.innerText.includes("微信小明")`)
	screenshot(t, s.ctx, "wechat-bind")
	s.click("new user", `[data-testid="bind-switch"]`)
	s.do("register form", chromedp.WaitVisible(css(`[data-testid="bind-register-form"]`)))
	s.do("fill", chromedp.SendKeys(css(`[data-testid="bind-register-form"] #f-phone`), "13800138066"),
		chromedp.SendKeys(css(`[data-testid="bind-register-form"] #f-password`), "weixin-pass-1"),
		chromedp.SendKeys(css(`[data-testid="bind-register-form"] #f-confirm`), "weixin-pass-1"))
	s.click("register", `[data-testid="bind-register-submit"]`)
	s.poll("member page", `location.pathname === "/me"`)
	screenshot(t, s.ctx, "wechat-member")
	cu, err := a.DB.CustomerByIdentity(t.Context(), plugins.WeChatNamespace(fake.Settings().Get("app_id")), "o6_bmjrPTlm6_2sgVt7hMZOPfL2M")
	if err != nil || cu.Phone != "13800138066" || cu.Nickname != "微信小明" {
		t.Fatalf("linked customer %+v, %v", cu, err)
	}
	// Signed out, 我的 signs them straight back in.
	// (Submitted, not clicked: chromedp scrolls the button just into view,
	// under the fixed tab bar.)
	if _, err := chromedp.RunResponse(s.ctx, chromedp.Submit(css(`form.member-logout`))); err != nil {
		t.Fatal(err)
	}
	s.poll("home", `location.pathname === "/"`)
	s.do("again", chromedp.Navigate(s.base+"/me"))
	s.poll("signed in silently", `location.pathname === "/me" && !!document.querySelector('[data-testid="member-name"], .member-name, [data-testid="logout"]')`)
}
