package handlers

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/xiaodian/xiaodian/plugins/coupon"
)

// TestEndToEndCustomerTags is the customer tags in headless Chromium at a
// desktop: the staff create a tag on the tags page, tick two customers on
// the customer list and tag them, see the tags on the list and filter by
// one, then grant a coupon to the tag.
func TestEndToEndCustomerTags(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	a := newTestApp(t)
	ctx := t.Context()
	a.setupOwner(t)
	var ids []int64
	for i := range 5 {
		ids = append(ids, mustCustomer(t, a, fmt.Sprintf("1390000100%d", i)))
	}
	for _, tg := range [][2]string{{"新客", "green"}, {"老客户", "blue"}, {"VIP", "gold"}} {
		if _, err := a.DB.CreateTag(ctx, tg[0], tg[1]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.DB.TagCustomers(ctx, tagByName(t, a, "新客").ID, ids[3:]); err != nil {
		t.Fatal(err)
	}
	if _, err := a.DB.TagCustomers(ctx, tagByName(t, a, "老客户").ID, ids[:3]); err != nil {
		t.Fatal(err)
	}
	cid := saveCoupon(t, a, coupon.Coupon{Name: "宝妈专享券", Kind: coupon.KindAmount, Threshold: 10000, Amount: 1500,
		Scope: coupon.ScopeAll, Validity: coupon.ValidDays, Days: 30, Total: 100, PerUser: 1, Channel: coupon.ChannelGrant})

	s := &e2eSession{t: t, ctx: browser(t, 1280, 900), base: a.srv.URL, name: "tags"}
	s.staffSignIn()

	// The tags page: create 宝妈 (red).
	s.do("tags page", chromedp.Navigate(s.base+"/admin/customers/tags"), chromedp.WaitVisible(css(`[data-testid="tag-table"]`)),
		chromedp.SendKeys(css("#name"), "宝妈"), chromedp.SetValue(css("#color"), "red"))
	s.click("create", `[data-testid="tag-create"]`)
	s.poll("created", `document.body.innerText.includes("已创建标签「宝妈」")`)
	if n := s.text(`[data-testid="tag-table"]`); !strings.Contains(n, "宝妈") {
		t.Fatalf("tag table %q", n)
	}
	screenshot(t, s.ctx, "tags-page")
	mom := tagByName(t, a, "宝妈")

	// The customer list: tick two, 打标签 宝妈.
	s.do("customers", chromedp.Navigate(s.base+"/admin/customers"), chromedp.WaitVisible(css(`[data-testid="customer-table"]`)),
		chromedp.Click(css(fmt.Sprintf(`input[name="customer_id"][value="%d"]`, ids[0]))),
		chromedp.Click(css(fmt.Sprintf(`input[name="customer_id"][value="%d"]`, ids[4]))),
		chromedp.SetValue(css("#bulk-tag"), fmt.Sprint(mom.ID)))
	s.click("apply", `[data-testid="tag-apply"]`)
	s.poll("tagged", `document.body.innerText.includes("2 位客户新打上了「宝妈」")`)
	got, err := a.DB.CustomerTags(ctx, ids[4])
	if err != nil || len(got) != 2 {
		t.Fatalf("tags of the ticked customer: %+v %v", got, err)
	}
	screenshot(t, s.ctx, "tags-customers")

	// A customer's page: their tags, ticked.
	s.do("customer page", chromedp.Navigate(fmt.Sprintf("%s/admin/customers/%d/wallet", s.base, ids[4])),
		chromedp.WaitVisible(css(`[data-testid="customer-tags-form"]`)))
	s.poll("ticked", fmt.Sprintf(`document.querySelector('input[name="tag_id"][value="%d"]').checked`, mom.ID))
	screenshot(t, s.ctx, "tags-customer-page")

	// Filter by 宝妈.
	s.do("filter", chromedp.Navigate(fmt.Sprintf("%s/admin/customers?tag=%d", s.base, mom.ID)),
		chromedp.WaitVisible(css(`[data-testid="customer-table"]`)))
	s.poll("two rows", `document.querySelectorAll('[data-testid="customer-row"]').length === 2`)

	// Grant the coupon to 宝妈.
	s.do("grant page", chromedp.Navigate(fmt.Sprintf("%s/admin/coupons/%d/grant", s.base, cid)),
		chromedp.WaitVisible(css(`[data-testid="grant-tag-form"]`)), chromedp.SetValue(css("#tag"), fmt.Sprint(mom.ID)))
	s.click("grant", `[data-testid="grant-tag-submit"]`)
	s.poll("granted", `!!document.querySelector('[data-testid="grant-tag-result"]')`)
	if r := s.text(`[data-testid="grant-tag-result"]`); !strings.Contains(r, "已发放 2 张") {
		t.Fatalf("grant result %q", r)
	}
	screenshot(t, s.ctx, "tags-coupon-grant")
	if heldCount(t, a, ids[0], coupon.TabUnused) != 1 || heldCount(t, a, ids[1], coupon.TabUnused) != 0 {
		t.Fatal("the tag grant reached the wrong customers")
	}
}
