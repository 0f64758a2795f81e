package handlers

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/xiaodian/xiaodian/plugins/bargain"
	"github.com/xiaodian/xiaodian/plugins/coupon"
	flashsale "github.com/xiaodian/xiaodian/plugins/flash"
	"github.com/xiaodian/xiaodian/plugins/groupbuy"
)

// TestEndToEndEntries is the home page's row of activity entries in
// headless Chromium on a phone: five tiles (拼团, 砍价, 秒杀, 签到, 领券)
// in one tidy block under the category icons, 拼团 leading to the 拼团专区
// and 砍价 to the 砍价专区, whose 发起砍价 starts a bargain once signed in;
// with three tools left the row redraws as three tiles, with 签到 alone
// as one card across the row.
func TestEndToEndEntries(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	a := newTestApp(t)
	fx := seedShop(t, a)
	now := a.DB.Now()
	ts := tees(t, a)
	saveGroup(t, a, fx.milk, 3, now.Add(-time.Minute), now.Add(72*time.Hour))
	saveGroup(t, a, fx.kidsMilk, 2, now.Add(-time.Minute), now.Add(72*time.Hour))
	saveGroup(t, a, ts[3], 2, now.Add(-time.Minute), now.Add(72*time.Hour))
	bid := saveBargain(t, a, fx.milk, 9900, now.Add(-time.Minute), now.Add(72*time.Hour))
	saveBargain(t, a, fx.dress, 5000, now.Add(-time.Minute), now.Add(72*time.Hour))
	saveFlash(t, a, skuOf(t, a, ts[5], ""), 500, 5, 1)
	saveCoupon(t, a, coupon.Coupon{Name: "满100减10", Kind: coupon.KindAmount, Threshold: 10000, Amount: 1000,
		Scope: coupon.ScopeAll, Validity: coupon.ValidDays, Days: 7, PerUser: 1, Channel: coupon.ChannelCentre})

	s := &e2eSession{t: t, ctx: browser(t, 375, 812), base: a.srv.URL, name: "entries"}
	s.phone()
	s.do("home", chromedp.Navigate(s.base+"/"), chromedp.WaitVisible(css(`[data-testid="home-entries"]`)))
	ids, err := chromedp.Run(s.ctx, chromedp.Evaluate[string](
		`[...document.querySelectorAll('[data-testid="home-entry"]')].map(e => e.dataset.id).join(",")`))
	if err != nil || ids != "groups,bargains,flash,signin,coupons" {
		t.Fatalf("tiles %q %v", ids, err)
	}
	// One tidy block: nothing wider than the phone, two wide tiles over
	// three tall ones, each row's tiles of one height, every title and
	// hint on one line inside its tile.
	s.checkRow("zh-CN")
	// English words are longer: they fit too.
	s.do("home in English", chromedp.Navigate(s.base+"/?lang=en"), chromedp.WaitVisible(css(`[data-testid="home-entries"]`)))
	s.checkRow("en")
	s.do("home in Chinese", chromedp.Navigate(s.base+"/?lang=zh-CN"), chromedp.WaitVisible(css(`[data-testid="home-entries"]`)))
	s.rowInView()
	screenshot(t, s.ctx, "entries-home")

	// 拼团 → the 拼团专区.
	s.click("拼团", `[data-testid="home-entry"][data-id="groups"]`)
	s.do("拼团专区", chromedp.WaitVisible(css(`[data-testid="groups-item"]`)))
	n, err := chromedp.Run(s.ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="groups-item"]').length`))
	if err != nil || n != 3 {
		t.Fatalf("拼团专区 cards %d %v", n, err)
	}
	if got := s.text(`[data-testid="groups-item"] .gz-price`); got != "¥190.40" {
		t.Fatalf("first group price %q", got)
	}
	screenshot(t, s.ctx, "entries-groups")

	// 砍价 → the 砍价专区 → 发起砍价, signed in.
	s.do("home", chromedp.Navigate(s.base+"/"), chromedp.WaitVisible(css(`[data-testid="home-entries"]`)))
	s.click("砍价", `[data-testid="home-entry"][data-id="bargains"]`)
	s.do("砍价专区", chromedp.WaitVisible(css(`[data-testid="bargains-item"]`)))
	if got := s.text(fmt.Sprintf(`[data-activity="%d"] .bz-price`, bid)); got != "¥99.00" {
		t.Fatalf("floor %q", got)
	}
	screenshot(t, s.ctx, "entries-bargains")
	s.register("13700000051")
	s.do("砍价专区", chromedp.Navigate(s.base+"/bargains"), chromedp.WaitVisible(css(`[data-testid="bargains-start"]`)))
	s.click("发起砍价", fmt.Sprintf(`[data-activity="%d"] [data-testid="bargains-start"]`, bid))
	s.do("activity", chromedp.WaitVisible(css(`[data-testid="bargain-start"]`)))

	// Signed in, 签到 opens the calendar.
	s.do("home", chromedp.Navigate(s.base+"/"), chromedp.WaitVisible(css(`[data-testid="home-entries"]`)))
	s.click("签到", `[data-testid="home-entry"][data-id="signin"]`)
	s.poll("签到 page", `location.pathname === "/signin"`)

	// Three tools left: three tall tiles in one row.
	for _, id := range []string{flashsale.ID, coupon.ID} {
		if err := a.Plugins.SetEnabled(id, false); err != nil {
			t.Fatal(err)
		}
	}
	a.DB.BumpCatalogue()
	s.do("home", chromedp.Navigate(s.base+"/"), chromedp.WaitVisible(css(`[data-testid="home-entries"]`)))
	row, err := chromedp.Run(s.ctx, chromedp.Evaluate[string](`(() => {
		const r = [...document.querySelectorAll('[data-testid="home-entry"]')].map(e => e.getBoundingClientRect());
		return r.length + ":" + (r.every(b => Math.abs(b.top - r[0].top) < 1 && Math.abs(b.width - r[0].width) < 1) ? "one row" : "ragged");
	})()`))
	if err != nil || row != "3:one row" {
		t.Fatalf("three tiles: %q %v", row, err)
	}
	s.rowInView()
	screenshot(t, s.ctx, "entries-home-three")
	if strings.Contains(s.text(`[data-testid="home-entries"]`), "秒杀") {
		t.Fatal("秒杀 tile with the plugin off")
	}

	// 签到 alone: one wide card across the row.
	for _, id := range []string{groupbuy.ID, bargain.ID} {
		if err := a.Plugins.SetEnabled(id, false); err != nil {
			t.Fatal(err)
		}
	}
	a.DB.BumpCatalogue()
	s.do("home", chromedp.Navigate(s.base+"/"), chromedp.WaitVisible(css(`[data-testid="home-entries"]`)))
	row, err = chromedp.Run(s.ctx, chromedp.Evaluate[string](`(() => {
		const r = [...document.querySelectorAll('[data-testid="home-entry"]')].map(e => e.getBoundingClientRect());
		return r.length + ":" + (r[0].width > 300 ? "full" : "narrow");
	})()`))
	s.rowInView()
	screenshot(t, s.ctx, "entries-home-one")
	if err != nil || row != "1:full" {
		t.Fatalf("one tile: %q %v", row, err)
	}
}

// rowInView scrolls the home page's row of entries to the middle of the screen.
func (s *e2eSession) rowInView() {
	s.t.Helper()
	if _, err := chromedp.Run(s.ctx, chromedp.Evaluate[bool](
		`document.querySelector('[data-testid="home-entries"]').scrollIntoView({block: "center"}), true`)); err != nil {
		s.fail("scroll to the row", err)
	}
}

// checkRow checks the five-tile row is one tidy block: nothing wider than
// the phone, two wide tiles over three tall ones, each row's tiles of one
// size, every title and hint on one line inside its tile.
func (s *e2eSession) checkRow(lang string) {
	s.t.Helper()
	layout, err := chromedp.Run(s.ctx, chromedp.Evaluate[string](`(() => {
		const r = [...document.querySelectorAll('[data-testid="home-entry"]')].map(e => e.getBoundingClientRect());
		const bad = [];
		if (document.documentElement.scrollWidth > 375) bad.push("page scrolls sideways");
		if (Math.abs(r[0].top - r[1].top) > 1 || Math.abs(r[0].height - r[1].height) > 1) bad.push("first row uneven");
		if (!(r[2].top >= r[0].bottom) || Math.abs(r[2].top - r[4].top) > 1 || Math.abs(r[2].width - r[3].width) > 1) bad.push("second row uneven");
		if (!(r[0].width > r[2].width * 1.3)) bad.push("wide tiles not wider");
		r.forEach((b, i) => { if (b.left < 0 || b.right > 375) bad.push("tile " + i + " outside"); });
		document.querySelectorAll('.entry-title, .entry-hint').forEach(el => {
			if (el.scrollWidth > el.clientWidth + 1) bad.push("cut: " + el.textContent);
			if (el.getBoundingClientRect().height > 22) bad.push("wraps: " + el.textContent);
		});
		return bad.join("; ");
	})()`))
	if err != nil || layout != "" {
		s.t.Fatalf("row layout (%s): %s %v", lang, layout, err)
	}
}
