package handlers

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/xiaodian/xiaodian/plugins/coupon"
	"github.com/xiaodian/xiaodian/store"
)

// The coupons plugin through the real router: the coupon centre, the
// claim and its limits, the best coupon at checkout, its use inside the
// order's transaction, its return on cancellation, the back office, and
// the shop with the plugin switched off.

func saveCoupon(t *testing.T, a *testApp, c coupon.Coupon) int64 {
	t.Helper()
	id, err := coupon.Save(t.Context(), a.DB, &c)
	if err != nil {
		t.Fatalf("save coupon %q: %v", c.Name, err)
	}
	return id
}

// claim claims coupon id in the centre and returns the notice shown.
func (b *buyer) claim(t *testing.T, id int64) string {
	t.Helper()
	resp, body := b.postForm(t, "/coupons/"+idStr(id)+"/claim", nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/coupons" {
		t.Fatalf("claim: %d %q %.1000s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	_, page := b.get(t, "/coupons")
	_, notice, _ := strings.Cut(page, `data-testid="notice"`)
	notice, _, _ = strings.Cut(notice, "</p>")
	return notice
}

func heldCount(t *testing.T, a *testApp, customerID int64, status string) int {
	t.Helper()
	list, counts, err := coupon.Mine(t.Context(), a.DB, customerID, status, 100)
	if err != nil {
		t.Fatal(err)
	}
	_ = list
	return counts[status]
}

func TestCouponClaimBestAtCheckoutUseAndReturn(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	b := newBuyer(t, a, fx, custPhone, true)
	big := saveCoupon(t, a, coupon.Coupon{Name: "满200减30", Kind: coupon.KindAmount, Threshold: 20000, Amount: 3000,
		Scope: coupon.ScopeAll, Validity: coupon.ValidDays, Days: 7, PerUser: 1, Channel: coupon.ChannelCentre})
	small := saveCoupon(t, a, coupon.Coupon{Name: "无门槛5元", Kind: coupon.KindAmount, Amount: 500,
		Scope: coupon.ScopeAll, Validity: coupon.ValidDays, Days: 7, PerUser: 1, Channel: coupon.ChannelCentre})
	fashionOnly := saveCoupon(t, a, coupon.Coupon{Name: "服饰9折", Kind: coupon.KindPercent, Percent: 90,
		Scope: coupon.ScopeCategories, ScopeIDs: []int64{fx.fashion}, Validity: coupon.ValidDays, Days: 7, PerUser: 1,
		Channel: coupon.ChannelCentre})

	_, centre := b.get(t, "/coupons")
	if strings.Count(centre, `data-testid="coupon-card"`) != 3 || !strings.Contains(centre, "满200减30") {
		t.Fatalf("centre: %.3000s", centre)
	}
	for _, id := range []int64{big, small, fashionOnly} {
		if n := b.claim(t, id); !strings.Contains(n, "领取成功") {
			t.Fatalf("claim %d: notice %q", id, n)
		}
	}
	if n := b.claim(t, big); !strings.Contains(n, "每人限领 1 张") {
		t.Fatalf("second claim: notice %q", n)
	}
	if got := heldCount(t, a, b.id, coupon.TabUnused); got != 3 {
		t.Fatalf("held %d, want 3", got)
	}

	// 进口婴儿奶粉 ¥238: 满200减30 saves the most; the 服饰 coupon is out of scope.
	milk := skuOf(t, a, fx.milk, "1罐")
	form, page := b.checkout(t, "/checkout?sku_id="+idStr(milk)+"&qty=1")
	if !strings.Contains(page, `data-testid="choice-coupon"`) || !strings.Contains(page, "-¥30.00") ||
		!strings.Contains(page, "订单中没有适用商品") {
		t.Fatalf("checkout choices: %.6000s", page)
	}
	if form.Get("o_coupon") == "" {
		t.Fatalf("the chosen coupon is not posted: %v", form)
	}
	o := b.place(t, form)
	if o.Discount != 3000 || o.Payable != 23800-3000+o.Shipping {
		t.Fatalf("order discount %d payable %d shipping %d", o.Discount, o.Payable, o.Shipping)
	}
	if got := heldCount(t, a, b.id, coupon.TabUsed); got != 1 {
		t.Fatalf("used %d, want 1", got)
	}

	// The next checkout no longer offers it; choosing none is honoured.
	_, page = b.checkout(t, "/checkout?sku_id="+idStr(milk)+"&qty=1")
	if strings.Contains(page, "满200减30") {
		t.Fatal("a used coupon is offered again")
	}
	form, _ = b.checkout(t, "/checkout?sku_id="+idStr(milk)+"&qty=1&o_coupon=none")
	if o2 := b.place(t, form); o2.Discount != 0 {
		t.Fatalf("no coupon chosen, discount %d", o2.Discount)
	}

	// Cancelling the unpaid order gives the coupon back.
	resp, body := b.postForm(t, orderURL(o.ID)+"/cancel", url.Values{})
	if resp.StatusCode >= 400 {
		t.Fatalf("cancel: %d %.1000s", resp.StatusCode, body)
	}
	if got := heldCount(t, a, b.id, coupon.TabUnused); got != 3 {
		t.Fatalf("after cancel unused %d, want 3", got)
	}
	c, err := coupon.Get(t.Context(), a.DB, big)
	if err != nil || c.Used != 0 || c.Issued != 1 {
		t.Fatalf("coupon after cancel: %+v %v", c, err)
	}

	_, mine := b.get(t, "/me/coupons")
	if strings.Count(mine, `data-testid="my-coupon"`) != 3 {
		t.Fatalf("my coupons: %.3000s", mine)
	}
	_, me := b.get(t, "/me")
	if !strings.Contains(me, `href="/me/coupons"`) {
		t.Fatal("no 我的优惠券 on the member page")
	}
}

// Two checkouts racing with the same coupon: one order uses it, the other
// is refused and nothing of it is written.
func TestCouponRacingCheckoutsUseItOnce(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	b := newBuyer(t, a, fx, custPhone, true)
	id := saveCoupon(t, a, coupon.Coupon{Name: "无门槛20元", Kind: coupon.KindAmount, Amount: 2000,
		Scope: coupon.ScopeAll, Validity: coupon.ValidDays, Days: 7, PerUser: 1, Channel: coupon.ChannelCentre})
	b.claim(t, id)
	milk := skuOf(t, a, fx.milk, "1罐")
	const n = 6
	forms := make([]url.Values, n)
	for i := range forms {
		forms[i], _ = b.checkout(t, "/checkout?sku_id="+idStr(milk)+"&qty=1")
		if forms[i].Get("o_coupon") == "" {
			t.Fatal("no coupon chosen")
		}
	}
	before := b.orderCount(t)
	var wg sync.WaitGroup
	codes := make([]int, n)
	for i := range forms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, _ := b.postForm(t, checkoutPath, forms[i])
			codes[i] = resp.StatusCode
		}()
	}
	wg.Wait()
	placed := 0
	for _, c := range codes {
		switch c {
		case http.StatusSeeOther:
			placed++
		case http.StatusUnprocessableEntity:
		default:
			t.Fatalf("status %d", c)
		}
	}
	if placed != 1 || b.orderCount(t) != before+1 {
		t.Fatalf("%d placed (%v), orders %d → %d", placed, codes, before, b.orderCount(t))
	}
	c, err := coupon.Get(t.Context(), a.DB, id)
	if err != nil || c.Used != 1 {
		t.Fatalf("coupon used %d, %v", c.Used, err)
	}
}

// Claims racing for one customer's only copy: one wins.
func TestCouponRacingClaimsKeepTheLimit(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	b := newBuyer(t, a, fx, custPhone, false)
	id := saveCoupon(t, a, coupon.Coupon{Name: "限量券", Kind: coupon.KindAmount, Amount: 500, Total: 3,
		Scope: coupon.ScopeAll, Validity: coupon.ValidDays, Days: 7, PerUser: 2, Channel: coupon.ChannelCentre})
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = coupon.Claim(t.Context(), a.DB, b.id, id)
		}()
	}
	wg.Wait()
	if got := heldCount(t, a, b.id, coupon.TabUnused); got != 2 {
		t.Fatalf("held %d, want the per-customer limit 2", got)
	}
	other := newBuyer(t, a, fx, "13700000002", false)
	if err := coupon.Claim(t.Context(), a.DB, other.id, id); err != nil {
		t.Fatalf("third copy: %v", err)
	}
	err := coupon.Claim(t.Context(), a.DB, other.id, id)
	var ve *store.ValidationError
	if !errorsAs(err, &ve) || ve.Key != "coupon.err.gone" {
		t.Fatalf("fourth copy of 3: %v", err)
	}
}

func TestCouponAdminCreateGrantStopAndSwitchOff(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	b := newBuyer(t, a, fx, custPhone, true)
	a.setupOwner(t) // the same client: the buyer's jar now also holds the staff sign-in

	_, list := a.get(t, "/admin/coupons")
	if !strings.Contains(list, `data-testid="coupons-empty"`) || !strings.Contains(list, `href="/admin/coupons"`) {
		t.Fatalf("admin list: %.2000s", list)
	}
	bad := url.Values{"name": {""}, "kind": {"amount"}, "amount": {"abc"}, "scope": {"all"}, "validity": {"days"},
		"days": {"0"}, "per_user": {"1"}, "channel": {"grant"}}
	resp, body := a.postForm(t, "/admin/coupons/new", bad)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="error-amount"`) {
		t.Fatalf("bad form: %d %.2000s", resp.StatusCode, body)
	}
	if items, _ := coupon.List(t.Context(), a.DB); len(items) != 0 {
		t.Fatal("a refused form wrote a coupon")
	}
	good := url.Values{"name": {"老客回馈"}, "kind": {"amount"}, "threshold": {"100"}, "amount": {"15"}, "scope": {"all"},
		"validity": {"days"}, "days": {"30"}, "total": {"0"}, "per_user": {"1"}, "channel": {"grant"}}
	resp, body = a.postForm(t, "/admin/coupons/new", good)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d %.2000s", resp.StatusCode, body)
	}
	items, err := coupon.List(t.Context(), a.DB)
	if err != nil || len(items) != 1 || items[0].Coupon.Threshold != 10000 || items[0].Coupon.Amount != 1500 {
		t.Fatalf("created: %+v %v", items, err)
	}
	id := items[0].Coupon.ID
	resp, body = a.postForm(t, "/admin/coupons/"+idStr(id)+"/grant", url.Values{"phones": {custPhone + "\n13900000999\nabc"}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "已发放 1 张") || !strings.Contains(body, "没有这个客户") ||
		!strings.Contains(body, "手机号格式不对") {
		t.Fatalf("grant: %d %.3000s", resp.StatusCode, body)
	}
	if got := heldCount(t, a, b.id, coupon.TabUnused); got != 1 {
		t.Fatalf("granted copies %d", got)
	}
	// A granted coupon is not in the centre.
	_, centre := a.get(t, "/coupons")
	if strings.Contains(centre, "老客回馈") {
		t.Fatal("a grant-only coupon is in the centre")
	}

	// Paid with the coupon: the list counts the order and its revenue.
	milk := skuOf(t, a, fx.milk, "1罐")
	o := b.buyNow(t, milk, 1, "")
	if o.Discount != 1500 {
		t.Fatalf("discount %d", o.Discount)
	}
	b.pay(t, o)
	_, list = a.get(t, "/admin/coupons")
	if !strings.Contains(list, `data-testid="coupon-orders">1<`) || !strings.Contains(list, "¥"+o.Payable.String()) {
		t.Fatalf("stats: %.4000s", list)
	}

	resp, _ = a.postForm(t, "/admin/coupons/"+idStr(id)+"/status", url.Values{"status": {"stopped"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("stop: %d", resp.StatusCode)
	}
	if c, _ := coupon.Get(t.Context(), a.DB, id); c.Status != "stopped" {
		t.Fatalf("status %q", c.Status)
	}

	// Switched off: its pages are gone, checkout has no coupon row, the
	// shop still sells.
	_, tools := a.get(t, "/admin/marketing")
	if !strings.Contains(tools, `data-testid="marketing-coupon"`) || !strings.Contains(tools, `href="/admin/marketing/coupon"`) {
		t.Fatalf("marketing tools: %.3000s", tools)
	}
	_, settings := a.get(t, "/admin/marketing/coupon")
	if !strings.Contains(settings, `data-testid="setting-stack"`) {
		t.Fatalf("coupon settings: %.3000s", settings)
	}
	resp, _ = a.postForm(t, "/admin/marketing/coupon/enabled", url.Values{"on": {"0"}})
	if resp.StatusCode != http.StatusSeeOther || a.Plugins.Enabled(coupon.ID) {
		t.Fatalf("switch off: %d, enabled %v", resp.StatusCode, a.Plugins.Enabled(coupon.ID))
	}
	if resp, _ := a.get(t, "/coupons"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("centre while off: %d", resp.StatusCode)
	}
	form, page := b.checkout(t, "/checkout?sku_id="+idStr(skuOf(t, a, fx.kidsMilk, ""))+"&qty=1")
	if strings.Contains(page, `data-testid="choice-coupon"`) {
		t.Fatal("a coupon row while the plugin is off")
	}
	if o := b.place(t, form); o.Discount != 0 {
		t.Fatalf("discount while off: %d", o.Discount)
	}
	_, list = a.get(t, "/admin")
	if strings.Contains(list, `href="/admin/coupons"`) {
		t.Fatal("the menu lists a switched-off plugin")
	}
}

// A new-user coupon reaches a customer when they register, once.
func TestCouponNewUserGift(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	saveCoupon(t, a, coupon.Coupon{Name: "新人礼", Kind: coupon.KindAmount, Threshold: 5000, Amount: 1000,
		Scope: coupon.ScopeAll, Validity: coupon.ValidDays, Days: 30, PerUser: 1, Channel: coupon.ChannelNewUser})
	b := newBuyer(t, a, fx, custPhone, false)
	if got := heldCount(t, a, b.id, coupon.TabUnused); got != 1 {
		t.Fatalf("new customer holds %d coupons, want 1", got)
	}
	if _, err := coupon.GiveNewUser(t.Context(), a.DB, b.id); err != nil {
		t.Fatal(err)
	}
	if got := heldCount(t, a, b.id, coupon.TabUnused); got != 1 {
		t.Fatalf("a second gift: %d", got)
	}
}

// The plugins' stylesheets: linked from every storefront page, cached for
// long, gzipped once.
func TestPluginStylesheetServedOnce(t *testing.T) {
	a := newTestApp(t)
	_, page := a.get(t, "/coupons")
	_, rest, ok := strings.Cut(page, `href="/plugin-assets/coupon.`)
	if !ok {
		t.Fatalf("no plugin stylesheet linked: %.2000s", page)
	}
	href := "/plugin-assets/coupon." + rest[:strings.Index(rest, `"`)]
	resp, body := a.do(t, http.MethodGet, href, nil, http.Header{"Accept-Encoding": {"gzip"}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
		t.Fatalf("GET %s: %d %q", href, resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
	zr, err := gzip.NewReader(strings.NewReader(body))
	if err != nil {
		t.Fatalf("not gzipped: %v", err)
	}
	css, err := io.ReadAll(zr)
	if err != nil || !strings.Contains(string(css), ".cp-card") {
		t.Fatalf("stylesheet after one gunzip (gzipped twice?): %.200q %v", css, err)
	}
}
