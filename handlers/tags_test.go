package handlers

import (
	"database/sql"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/xiaodian/xiaodian/plugins/coupon"
	"github.com/xiaodian/xiaodian/store"
)

// Customer tags (客户标签) through the real router: the tags page, tagging
// from the customer list and a customer's page, the list's tag filter, a
// coupon granted to a tag within its limits, the staff-only check, and bad
// input that changes nothing.

// visitor is a second client on the same app with its own cookie jar.
func (a *testApp) visitor(t *testing.T) *testApp {
	t.Helper()
	jar, err := newJar()
	if err != nil {
		t.Fatal(err)
	}
	c := *a.client
	c.Jar = jar
	return &testApp{App: a.App, srv: a.srv, client: &c}
}

func tagLinks(t *testing.T, a *testApp) int {
	t.Helper()
	var n int
	if err := a.DB.Read(t.Context(), func(tx *sql.Tx) error {
		return tx.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM customer_tag_links`).Scan(&n)
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

func tagByName(t *testing.T, a *testApp, name string) store.Tag {
	t.Helper()
	tags, err := a.DB.Tags(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range tags {
		if tg.Name == name {
			return tg
		}
	}
	t.Fatalf("no tag %q in %+v", name, tags)
	return store.Tag{}
}

func mustCustomer(t *testing.T, a *testApp, phone string) int64 {
	t.Helper()
	cu, err := a.DB.RegisterCustomer(t.Context(), phone, custPassword)
	if err != nil {
		t.Fatal(err)
	}
	return cu.ID
}

func TestTagsStaffOnly(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	b := newBuyer(t, a, fx, custPhone, false)
	vip, err := a.DB.CreateTag(t.Context(), "VIP", "")
	if err != nil {
		t.Fatal(err)
	}
	v := a.visitor(t)
	for who, c := range map[string]*testApp{"customer": b.testApp, "visitor": v} {
		for path, form := range map[string]url.Values{
			"/admin/customers/tags":                           {"name": {"黑客"}},
			"/admin/customers/tags/" + idStr(vip) + "/edit":   {"name": {"改名"}},
			"/admin/customers/tags/" + idStr(vip) + "/delete": nil,
			"/admin/customers/tag-bulk":                       {"tag_id": {idStr(vip)}, "customer_id": {idStr(b.id)}},
			"/admin/customers/" + idStr(b.id) + "/tags":       {"tag_id": {idStr(vip)}},
		} {
			resp, _ := c.postForm(t, path, form)
			if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusSeeOther && !strings.HasPrefix(resp.Header.Get("Location"), "/admin/login") {
				t.Errorf("%s POST %s: %d %q", who, path, resp.StatusCode, resp.Header.Get("Location"))
			}
		}
		if resp, body := c.get(t, "/admin/customers/tags"); resp.StatusCode == http.StatusOK && strings.Contains(body, "tag-table") {
			t.Errorf("%s sees the tags page", who)
		}
	}
	// Signed-in staff, but a cross-site form: the origin check refuses it.
	a.setupOwner(t)
	resp, _ := a.do(t, http.MethodPost, "/admin/customers/tags", strings.NewReader(url.Values{"name": {"跨站"}}.Encode()), http.Header{
		"Content-Type": {"application/x-www-form-urlencoded"}, "Origin": {"https://evil.example"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin POST: %d", resp.StatusCode)
	}
	tags, _ := a.DB.Tags(t.Context())
	if len(tags) != 1 || tags[0].Name != "VIP" || tagLinks(t, a) != 0 {
		t.Fatalf("a refused request changed the tags: %+v, %d links", tags, tagLinks(t, a))
	}
}

func TestTagsAdminPagesAndCouponGrantByTag(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	b := newBuyer(t, a, fx, custPhone, true)
	a.setupOwner(t)
	c2, c3 := mustCustomer(t, a, "13900000002"), mustCustomer(t, a, "13900000003")

	// Create: bad names are refused with a message, nothing written.
	for name, msg := range map[string]string{"": "请填写标签名", "   ": "请填写标签名", "一二三四五六七八九十壹贰叁": "标签名最多 12 个字"} {
		resp, body := a.postForm(t, "/admin/customers/tags", url.Values{"name": {name}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, msg) || !strings.Contains(body, `data-testid="error-name"`) {
			t.Fatalf("bad name %q: %d %.2000s", name, resp.StatusCode, body)
		}
	}
	resp, body := a.postForm(t, "/admin/customers/tags", url.Values{"name": {"VIP"}, "color": {"pink"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "请从色板中选择颜色") {
		t.Fatalf("bad colour: %d %.2000s", resp.StatusCode, body)
	}
	if tags, _ := a.DB.Tags(t.Context()); len(tags) != 0 {
		t.Fatalf("refused forms wrote tags: %+v", tags)
	}
	for _, tg := range [][2]string{{"VIP", "gold"}, {"宝妈", "red"}, {"老客户", ""}} {
		resp, body := a.postForm(t, "/admin/customers/tags", url.Values{"name": {tg[0]}, "color": {tg[1]}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("create %s: %d %.2000s", tg[0], resp.StatusCode, body)
		}
	}
	resp, body = a.postForm(t, "/admin/customers/tags", url.Values{"name": {"VIP"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "已经有叫「VIP」的标签了") {
		t.Fatalf("duplicate: %d %.2000s", resp.StatusCode, body)
	}
	vip, mom, old := tagByName(t, a, "VIP"), tagByName(t, a, "宝妈"), tagByName(t, a, "老客户")

	// Bulk tagging from the customer list, twice: idempotent.
	bulk := url.Values{"tag_id": {idStr(vip.ID)}, "action": {"apply"}, "customer_id": {idStr(b.id), idStr(c2), idStr(c3)}, "back": {"/admin/customers"}}
	for i, want := range []string{"3 位客户新打上了「VIP」", "0 位客户新打上了「VIP」"} {
		resp, _ = a.postForm(t, "/admin/customers/tag-bulk", bulk)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/customers" {
			t.Fatalf("bulk %d: %d %q", i, resp.StatusCode, resp.Header.Get("Location"))
		}
		if _, page := a.get(t, "/admin/customers"); !strings.Contains(page, want) {
			t.Fatalf("bulk %d flash: %.4000s", i, page)
		}
	}
	if n := tagLinks(t, a); n != 3 {
		t.Fatalf("links %d", n)
	}
	// Bad bulk input: no customer ticked, an unknown tag, an unknown customer.
	for _, bad := range []struct {
		form url.Values
		msg  string
	}{
		{url.Values{"tag_id": {idStr(mom.ID)}, "action": {"apply"}}, "请先勾选客户"},
		{url.Values{"tag_id": {"99999"}, "action": {"apply"}, "customer_id": {idStr(b.id)}}, "没有这个标签"},
		{url.Values{"tag_id": {"abc"}, "action": {"apply"}, "customer_id": {idStr(b.id)}}, "没有这个标签"},
		{url.Values{"tag_id": {idStr(mom.ID)}, "action": {"apply"}, "customer_id": {idStr(c2), "777777"}}, "没有编号为 777777 的客户"},
	} {
		resp, _ := a.postForm(t, "/admin/customers/tag-bulk", bad.form)
		_, page := a.get(t, "/admin/customers")
		if resp.StatusCode != http.StatusSeeOther || !strings.Contains(page, bad.msg) {
			t.Fatalf("bad bulk %v: %d %.3000s", bad.form, resp.StatusCode, page)
		}
	}
	if n := tagLinks(t, a); n != 3 {
		t.Fatalf("bad bulk input changed links: %d", n)
	}
	// A customer's page: their tags, and setting them.
	resp, _ = a.postForm(t, "/admin/customers/"+idStr(c2)+"/tags", url.Values{"tag_id": {idStr(vip.ID), idStr(mom.ID)}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("set tags: %d", resp.StatusCode)
	}
	_, page := a.get(t, "/admin/customers/"+idStr(c2)+"/wallet")
	if !strings.Contains(page, "已保存客户标签") || !strings.Contains(page, `name="tag_id" value="`+idStr(mom.ID)+`" checked`) {
		t.Fatalf("customer page: %.5000s", page)
	}
	// The list shows the tags and filters by one.
	_, page = a.get(t, "/admin/customers?tag="+idStr(mom.ID))
	if strings.Count(page, `data-testid="customer-row"`) != 1 || !strings.Contains(page, "13900000002") || !strings.Contains(page, `class="tag-chip tag-red"`) {
		t.Fatalf("filtered list: %.6000s", page)
	}
	_, page = a.get(t, "/admin/customers/tags")
	if !strings.Contains(page, `data-testid="tag-count"`) || !strings.Contains(page, ">3</a>") {
		t.Fatalf("tags page: %.5000s", page)
	}
	// Untag.
	resp, _ = a.postForm(t, "/admin/customers/tag-bulk", url.Values{"tag_id": {idStr(vip.ID)}, "action": {"remove"}, "customer_id": {idStr(c3)}})
	if resp.StatusCode != http.StatusSeeOther || tagLinks(t, a) != 3 { // c2 gained 宝妈, c3 lost VIP
		t.Fatalf("untag: %d, %d links", resp.StatusCode, tagLinks(t, a))
	}
	// Rename: too long is refused, a good one saved.
	resp, body = a.postForm(t, "/admin/customers/tags/"+idStr(old.ID)+"/edit", url.Values{"name": {"一二三四五六七八九十壹贰叁"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "标签名最多 12 个字") {
		t.Fatalf("bad rename: %d %.3000s", resp.StatusCode, body)
	}
	resp, _ = a.postForm(t, "/admin/customers/tags/"+idStr(old.ID)+"/edit", url.Values{"name": {"老顾客"}, "color": {"blue"}})
	if got, _ := a.DB.TagByID(t.Context(), old.ID); resp.StatusCode != http.StatusSeeOther || got.Name != "老顾客" || got.Color != "blue" {
		t.Fatalf("rename: %d %+v", resp.StatusCode, got)
	}

	// Grant by tag: VIP has b and c2. b already holds the coupon (phone
	// grant), per user 1: c2 gets one, b is skipped.
	cid := saveCoupon(t, a, coupon.Coupon{Name: "VIP 专享", Kind: coupon.KindAmount, Threshold: 10000, Amount: 1000,
		Scope: coupon.ScopeAll, Validity: coupon.ValidDays, Days: 30, Total: 3, PerUser: 1, Channel: coupon.ChannelGrant})
	if _, err := coupon.Grant(t.Context(), a.DB, cid, []string{custPhone}, func(k string, _ ...any) string { return k }); err != nil {
		t.Fatal(err)
	}
	_, page = a.get(t, "/admin/coupons/"+idStr(cid)+"/grant")
	if !strings.Contains(page, `data-testid="grant-tag-form"`) || !strings.Contains(page, "VIP（2 人）") {
		t.Fatalf("grant page: %.5000s", page)
	}
	for _, bad := range []struct{ tag, msg string }{{"", "请选择一个存在的客户标签"}, {"99999", "请选择一个存在的客户标签"}, {idStr(old.ID), "标签「老顾客」下还没有客户"}} {
		resp, body := a.postForm(t, "/admin/coupons/"+idStr(cid)+"/grant-tag", url.Values{"tag_id": {bad.tag}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, bad.msg) {
			t.Fatalf("bad tag %q: %d %.3000s", bad.tag, resp.StatusCode, body)
		}
	}
	resp, body = a.postForm(t, "/admin/coupons/"+idStr(cid)+"/grant-tag", url.Values{"tag_id": {idStr(vip.ID)}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "已按标签「VIP」发放") || !strings.Contains(body, "已发放 1 张") ||
		!strings.Contains(body, "1 位客户已达每人限领") || !strings.Contains(body, "还剩 1 张") {
		t.Fatalf("grant by tag: %d %.5000s", resp.StatusCode, body)
	}
	if heldCount(t, a, b.id, coupon.TabUnused) != 1 || heldCount(t, a, c2, coupon.TabUnused) != 1 {
		t.Fatal("copies after the tag grant")
	}
	// 宝妈 has c2 (at the limit) and, tagged now, c3 and a fourth
	// customer: two copies needed, one left → nothing given.
	c4 := mustCustomer(t, a, "13900000004")
	if _, err := a.DB.TagCustomers(t.Context(), mom.ID, []int64{c3, c4}); err != nil {
		t.Fatal(err)
	}
	resp, body = a.postForm(t, "/admin/coupons/"+idStr(cid)+"/grant-tag", url.Values{"tag_id": {idStr(mom.ID)}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "优惠券只剩 1 张，不够发给标签「宝妈」的 3 位客户") {
		t.Fatalf("not enough: %d %.4000s", resp.StatusCode, body)
	}
	if c, _ := coupon.Get(t.Context(), a.DB, cid); c.Issued != 2 || heldCount(t, a, c3, coupon.TabUnused) != 0 {
		t.Fatalf("a refused grant gave copies: issued %d", c.Issued)
	}
	// Untag c4: c3 gets the last copy, the page says it ran out.
	if _, err := a.DB.UntagCustomers(t.Context(), mom.ID, []int64{c4}); err != nil {
		t.Fatal(err)
	}
	resp, body = a.postForm(t, "/admin/coupons/"+idStr(cid)+"/grant-tag", url.Values{"tag_id": {idStr(mom.ID)}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "已发放 1 张") || !strings.Contains(body, "优惠券已全部发完") {
		t.Fatalf("last copy: %d %.4000s", resp.StatusCode, body)
	}
	if c, _ := coupon.Get(t.Context(), a.DB, cid); c.Issued != 3 || heldCount(t, a, c3, coupon.TabUnused) != 1 {
		t.Fatalf("after the last copy: issued %d", c.Issued)
	}

	// Delete with a confirm: the links go, the customers stay.
	_, page = a.get(t, "/admin/customers/tags/"+idStr(vip.ID)+"/delete")
	if !strings.Contains(page, "确定删除标签「VIP」吗") {
		t.Fatalf("confirm: %.3000s", page)
	}
	resp, _ = a.postForm(t, "/admin/customers/tags/"+idStr(vip.ID)+"/delete", nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete: %d", resp.StatusCode)
	}
	if _, err := a.DB.TagByID(t.Context(), vip.ID); err == nil {
		t.Fatal("tag still there")
	}
	if got, _ := a.DB.CustomerTags(t.Context(), b.id); len(got) != 0 {
		t.Fatalf("b's tags after delete: %+v", got)
	}
	if _, err := a.DB.CustomerByID(t.Context(), b.id); err != nil {
		t.Fatal(err)
	}
}
