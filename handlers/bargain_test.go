package handlers

import (
	"database/sql"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xiaodian/xiaodian/plugins/bargain"
	"github.com/xiaodian/xiaodian/store"
)

// otherClient is the same shop seen from another browser: its own cookies.
func otherClient(a *testApp) *testApp {
	jar, _ := cookiejar.New(nil)
	return &testApp{App: a.App, srv: a.srv, client: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// bargainActivity saves a 砍价 on 进口婴儿奶粉 1罐 (¥238) down to ¥99.
func bargainActivity(t *testing.T, a *testApp, fx shopFixture, helpers, stock int) int64 {
	t.Helper()
	now := a.DB.Now()
	id, err := bargain.Save(t.Context(), a.DB, &bargain.Activity{Name: "奶粉砍价", ProductID: fx.milk, SKUID: skuOf(t, a, fx.milk, "1罐"),
		Floor: 9900, Hours: 24, Helpers: helpers, PerUser: 2, Stock: stock, StartsAt: now.Add(-time.Minute), EndsAt: now.AddDate(0, 0, 3)})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// follow posts form to path, expects a redirect and returns the page it
// leads to.
func (a *testApp) follow(t *testing.T, path string, form url.Values) (string, string) {
	t.Helper()
	resp, body := a.postForm(t, path, form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST %s: %d %.2000s", path, resp.StatusCode, body)
	}
	loc := resp.Header.Get("Location")
	_, page := a.get(t, loc)
	return loc, page
}

func bargainOf(t *testing.T, a *testApp, id int64) *bargain.Bargain {
	t.Helper()
	b, err := bargain.Get(t.Context(), a.DB, id)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func cutsOf(b *bargain.Bargain) store.Fen {
	var s store.Fen
	for _, h := range b.Helps {
		s += h.Cut
	}
	return s
}

// TestBargainStartHelpBuyAndPay: A starts (and cuts first), a visitor is
// sent to sign in, B and C help once each to the floor exactly, nobody
// helps twice or beyond the floor, B cannot buy A's bargain, A buys it at
// the bargained price through checkout and pays; the back office counts it.
func TestBargainStartHelpBuyAndPay(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	aid := bargainActivity(t, a, fx, 3, 5)
	milk := skuOf(t, a, fx.milk, "1罐")

	_, page := a.get(t, "/p/"+idStr(fx.milk))
	if !strings.Contains(page, `data-testid="bargain-bar"`) || !strings.Contains(page, `data-testid="bargain-floor">99.00<`) {
		t.Fatalf("product page bar: %.4000s", page)
	}
	if resp, _ := a.get(t, "/bargains/"+idStr(aid)); resp.StatusCode != http.StatusSeeOther ||
		!strings.Contains(resp.Header.Get("Location"), "/login?next=") {
		t.Fatalf("a visitor starting: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}

	A := newBuyer(t, a, fx, custPhone, true)
	_, page = A.get(t, "/bargains/"+idStr(aid))
	if !strings.Contains(page, `data-testid="bargain-start"`) {
		t.Fatalf("activity page: %.3000s", page)
	}
	loc, page := A.follow(t, "/bargains/"+idStr(aid)+"/start", nil)
	bid := bargainIDFrom(t, loc)
	b := bargainOf(t, a, bid)
	if b.Helped != 1 || b.Price >= 23800 || b.Price <= 9900 || len(b.Helps) != 1 || b.Helps[0].HelperID != A.id {
		t.Fatalf("started with the self cut: %+v", b)
	}
	if !strings.Contains(page, `data-testid="bargain-buy"`) || !strings.Contains(page, `data-testid="bargain-share"`) ||
		strings.Contains(page, `data-testid="bargain-help"`) {
		t.Fatalf("initiator's page: %.4000s", page)
	}
	// Starting again lands on the running one.
	if loc2, _ := A.follow(t, "/bargains/"+idStr(aid)+"/start", nil); loc2 != loc {
		t.Fatalf("a second start: %s, want %s", loc2, loc)
	}
	if resp, _ := A.postForm(t, "/bargain/"+idStr(bid)+"/help", nil); resp.StatusCode != http.StatusSeeOther || bargainOf(t, a, bid).Helped != 1 {
		t.Fatal("the initiator helped themself twice")
	}

	guest := otherClient(a)
	_, page = guest.get(t, "/bargain/"+idStr(bid))
	if !strings.Contains(page, `data-testid="bargain-login"`) || !strings.Contains(page, `/login?next=%2Fbargain%2F`+idStr(bid)) {
		t.Fatalf("visitor's page: %.4000s", page)
	}

	B := newBuyer(t, otherClient(a), fx, "13700000021", true)
	_, page = B.follow(t, "/bargain/"+idStr(bid)+"/help", nil)
	if !strings.Contains(page, "砍价成功") || !strings.Contains(page, `data-testid="bargain-helped"`) {
		t.Fatalf("after B's help: %.4000s", page)
	}
	_, page = B.follow(t, "/bargain/"+idStr(bid)+"/help", nil)
	if !strings.Contains(page, "你已经帮TA砍过了") || bargainOf(t, a, bid).Helped != 2 {
		t.Fatalf("B twice: %.3000s", page)
	}
	// B cannot buy A's bargain.
	if resp, body := B.get(t, "/checkout?sku_id="+idStr(milk)+"&qty=1&o_bargain="+idStr(bid)); resp.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(body, "砍价不存在或不属于你") {
		t.Fatalf("B's checkout of A's bargain: %d", resp.StatusCode)
	}

	C := newBuyer(t, otherClient(a), fx, "13700000022", false)
	C.follow(t, "/bargain/"+idStr(bid)+"/help", nil)
	b = bargainOf(t, a, bid)
	if b.Helped != 3 || b.Price != 9900 || cutsOf(b) != 23800-9900 {
		t.Fatalf("three cuts: price %d, cuts %d, helped %d", b.Price, cutsOf(b), b.Helped)
	}
	for _, h := range b.Helps {
		if h.Cut < 1 {
			t.Fatalf("cut %d", h.Cut)
		}
	}
	D := newBuyer(t, otherClient(a), fx, "13700000023", false)
	if _, page = D.follow(t, "/bargain/"+idStr(bid)+"/help", nil); !strings.Contains(page, "已经砍到底价啦") {
		t.Fatalf("beyond the floor: %.3000s", page)
	}

	// A buys at ¥99.00 through the checkout, and pays.
	form, page := A.checkout(t, bargain.BuyURL(b))
	if form.Get("o_bargain") != idStr(bid) || !strings.Contains(page, "99.00") {
		t.Fatalf("checkout: %v %.3000s", form, page)
	}
	o := A.place(t, form)
	if o.Goods != 9900 || len(o.Lines) != 1 || o.Lines[0].UnitPrice != 9900 || o.Payable != 9900+o.Shipping {
		t.Fatalf("order goods %d payable %d lines %+v", o.Goods, o.Payable, o.Lines)
	}
	var activity, ref string
	var commission bool
	if err := a.DB.Read(t.Context(), func(tx *sql.Tx) error {
		return tx.QueryRow(`SELECT activity, activity_ref, activity_commission FROM order_lines WHERE order_id = ?`, o.ID).
			Scan(&activity, &ref, &commission)
	}); err != nil || activity != bargain.ID || ref != idStr(bid) || commission {
		t.Fatalf("line activity %q ref %q commission %v (the activity pays none) %v", activity, ref, commission, err)
	}
	if b = bargainOf(t, a, bid); b.Status != "bought" || b.OrderID != o.ID {
		t.Fatalf("bargain after the order: %s %d", b.Status, b.OrderID)
	}
	A.pay(t, o)
	if A.status(t, o.ID) != store.StatusToShip {
		t.Fatalf("paid: %s", A.status(t, o.ID))
	}
	// Bought once: a second checkout of it is refused.
	if resp, body := A.get(t, bargain.BuyURL(b)); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "该砍价已购买") {
		t.Fatalf("second purchase: %d", resp.StatusCode)
	}
	_, page = A.get(t, "/me/bargains")
	if !strings.Contains(page, `data-testid="my-bargain"`) || !strings.Contains(page, "已购买") {
		t.Fatalf("my bargains: %.3000s", page)
	}
	_, page = A.get(t, "/me")
	if !strings.Contains(page, `href="/me/bargains"`) {
		t.Fatalf("member page link: %.3000s", page)
	}

	a.setupOwner(t)
	_, list := a.get(t, "/admin/bargain")
	if !strings.Contains(list, `data-testid="stat-started">1<`) || !strings.Contains(list, `data-testid="stat-helps">3<`) ||
		!strings.Contains(list, `data-testid="stat-orders">1<`) || !strings.Contains(list, "¥99.00") {
		t.Fatalf("admin stats: %.5000s", list)
	}
}

func bargainIDFrom(t *testing.T, loc string) int64 {
	t.Helper()
	s, ok := strings.CutPrefix(loc, "/bargain/")
	if !ok {
		t.Fatalf("location %q", loc)
	}
	id, err := parseID(s)
	if err != nil {
		t.Fatalf("location %q", loc)
	}
	return id
}

// Racing checkouts of one bargain make one order; cancelling it makes the
// bargain buyable again, at its current price.
func TestBargainRacingBuysAndCancel(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	aid := bargainActivity(t, a, fx, 5, 5)
	A := newBuyer(t, a, fx, custPhone, true)
	loc, _ := A.follow(t, "/bargains/"+idStr(aid)+"/start", nil)
	bid := bargainIDFrom(t, loc)
	B := newBuyer(t, otherClient(a), fx, "13700000031", false)
	B.follow(t, "/bargain/"+idStr(bid)+"/help", nil)
	b := bargainOf(t, a, bid)
	if b.Helped != 2 || b.AtFloor() {
		t.Fatalf("%+v", b)
	}
	// More than one piece is refused.
	if resp, body := A.get(t, "/checkout?sku_id="+idStr(b.SKUID)+"&qty=2&o_bargain="+idStr(bid)); resp.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(body, "砍价商品每次只能买 1 件") {
		t.Fatalf("qty 2: %d", resp.StatusCode)
	}
	const n = 5
	forms := make([]url.Values, n)
	for i := range forms {
		forms[i], _ = A.checkout(t, bargain.BuyURL(b))
	}
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range forms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, _ := A.postForm(t, checkoutPath, forms[i])
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
	if placed != 1 || A.orderCount(t) != 1 {
		t.Fatalf("%d placed (%v), %d orders", placed, codes, A.orderCount(t))
	}
	act, _ := bargain.GetActivity(t.Context(), a.DB, aid)
	if act.Sold != 1 {
		t.Fatalf("sold %d", act.Sold)
	}
	b = bargainOf(t, a, bid)
	if b.Status != "bought" {
		t.Fatalf("status %s", b.Status)
	}
	if err := a.DB.CancelOrder(t.Context(), A.id, b.OrderID, ""); err != nil {
		t.Fatal(err)
	}
	if b = bargainOf(t, a, bid); b.Status != "open" || b.OrderID != 0 {
		t.Fatalf("after cancelling: %s %d", b.Status, b.OrderID)
	}
	if act, _ = bargain.GetActivity(t.Context(), a.DB, aid); act.Sold != 0 {
		t.Fatalf("sold after cancelling %d", act.Sold)
	}
	o := A.buyNow(t, b.SKUID, 1, "&o_bargain="+idStr(bid))
	if o.Goods != b.Price {
		t.Fatalf("bought again at %d, want %d", o.Goods, b.Price)
	}
	// Bought once more: refused.
	if resp, body := A.get(t, bargain.BuyURL(b)); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "该砍价已购买") {
		t.Fatalf("bought twice: %d", resp.StatusCode)
	}
}

// The same helper racing with themself counts once; helpers racing for the
// last cuts never take more than the gap, and exactly the gap is reached.
func TestBargainHelpRaces(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	ctx := t.Context()
	aid := bargainActivity(t, a, fx, 3, 5)
	owner := newBuyer(t, a, fx, custPhone, false)
	bid, err := bargain.Start(ctx, a.DB, aid, owner.id, false)
	if err != nil {
		t.Fatal(err)
	}
	helper := newBuyer(t, otherClient(a), fx, "13700000041", false)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = bargain.HelpBargain(ctx, a.DB, bid, helper.id)
		}()
	}
	wg.Wait()
	if b := bargainOf(t, a, bid); b.Helped != 1 || len(b.Helps) != 1 {
		t.Fatalf("one helper racing: helped %d, rows %d", b.Helped, len(b.Helps))
	}
	// Six more helpers race for the last two cuts.
	var ids []int64
	for _, p := range []string{"13700000042", "13700000043", "13700000044", "13700000045", "13700000046", "13700000047"} {
		ids = append(ids, newBuyer(t, otherClient(a), fx, p, false).id)
	}
	ok := make([]bool, len(ids))
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := bargain.HelpBargain(ctx, a.DB, bid, id)
			ok[i] = err == nil
		}()
	}
	wg.Wait()
	won := 0
	for _, o := range ok {
		if o {
			won++
		}
	}
	b := bargainOf(t, a, bid)
	if won != 2 || b.Helped != 3 || b.Price != b.Floor || cutsOf(b) != b.Start-b.Floor {
		t.Fatalf("won %d, helped %d, price %d floor %d, cuts %d of %d", won, b.Helped, b.Price, b.Floor, cutsOf(b), b.Start-b.Floor)
	}
}

// A bargain past its time can be neither helped nor bought; switched off,
// the plugin's pages are gone and the shop still sells (at the full price).
func TestBargainExpiryAndSwitchOff(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	aid := bargainActivity(t, a, fx, 4, 5)
	A := newBuyer(t, a, fx, custPhone, true)
	loc, _ := A.follow(t, "/bargains/"+idStr(aid)+"/start", nil)
	bid := bargainIDFrom(t, loc)
	b := bargainOf(t, a, bid)
	form, _ := A.checkout(t, bargain.BuyURL(b)) // drawn before the end
	later := time.Now().Add(25 * time.Hour)
	a.DB.SetClock(func() time.Time { return later })
	defer a.DB.SetClock(time.Now)
	B := newBuyer(t, otherClient(a), fx, "13700000051", false)
	if _, page := B.follow(t, "/bargain/"+idStr(bid)+"/help", nil); !strings.Contains(page, "砍价已过期") {
		t.Fatalf("help after expiry: %.3000s", page)
	}
	if resp, body := A.postForm(t, checkoutPath, form); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "砍价已过期") {
		t.Fatalf("buy after expiry: %d", resp.StatusCode)
	}
	if _, page := A.get(t, "/bargain/"+idStr(bid)); !strings.Contains(page, `data-state="expired"`) || strings.Contains(page, `data-testid="bargain-buy"`) {
		t.Fatalf("expired page: %.3000s", page)
	}
	a.DB.SetClock(time.Now)

	a.setupOwner(t)
	resp, _ := a.postForm(t, "/admin/marketing/bargain/enabled", url.Values{"on": {"0"}})
	if resp.StatusCode != http.StatusSeeOther || a.Plugins.Enabled(bargain.ID) {
		t.Fatalf("switch off: %d", resp.StatusCode)
	}
	if resp, _ := a.get(t, "/bargain/"+idStr(bid)); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("bargain page while off: %d", resp.StatusCode)
	}
	if _, page := a.get(t, "/p/"+idStr(fx.milk)); strings.Contains(page, `data-testid="bargain-bar"`) {
		t.Fatal("product bar while off")
	}
	if _, page := A.get(t, "/me"); strings.Contains(page, `href="/me/bargains"`) {
		t.Fatal("member link while off")
	}
	o := A.buyNow(t, b.SKUID, 1, "")
	if o.Goods != 23800 {
		t.Fatalf("full price while off: %d", o.Goods)
	}
	// A stale bargain option is ignored while the plugin is off.
	if o := A.buyNow(t, skuOf(t, a, fx.kidsMilk, ""), 1, "&o_bargain="+idStr(bid)); o.Discount != 0 {
		t.Fatalf("discount while off: %d", o.Discount)
	}
}

// The back office: a refused form names its fields and writes nothing; a
// good one creates; stop ends it.
func TestBargainAdmin(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	a.setupOwner(t)
	_, page := a.get(t, "/admin/bargain")
	if !strings.Contains(page, `data-testid="bargain-empty"`) || !strings.Contains(page, `href="/admin/bargain"`) {
		t.Fatalf("empty list: %.3000s", page)
	}
	resp, body := a.postForm(t, "/admin/bargain/new", url.Values{"name": {""}, "product_id": {"abc"}, "floor": {"0"},
		"hours": {"0"}, "helpers": {"500"}, "per_user": {"1"}, "stock": {"10"}, "starts_at": {"2026-12-01T10:00"}, "ends_at": {"2026-11-01T10:00"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="error-product_id"`) {
		t.Fatalf("bad form: %d %.3000s", resp.StatusCode, body)
	}
	resp, body = a.postForm(t, "/admin/bargain/new", url.Values{"name": {"砍到底"}, "product_id": {idStr(fx.milk)}, "floor": {"237.99"},
		"hours": {"24"}, "helpers": {"5"}, "per_user": {"1"}, "stock": {"10"}, "starts_at": {"2026-12-01T10:00"}, "ends_at": {"2027-01-01T10:00"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="error-floor"`) {
		t.Fatalf("floor too close to the price: %d %.3000s", resp.StatusCode, body)
	}
	if as, _ := bargain.List(t.Context(), a.DB); len(as) != 0 {
		t.Fatal("a refused form wrote an activity")
	}
	now := a.DB.Now()
	resp, body = a.postForm(t, "/admin/bargain/new", url.Values{"name": {"砍到底"}, "product_id": {idStr(fx.milk)}, "floor": {"99"},
		"hours": {"24"}, "helpers": {"5"}, "per_user": {"1"}, "stock": {"10"}, "commission": {"1"},
		"starts_at": {now.Add(-time.Hour).Local().Format("2006-01-02T15:04")}, "ends_at": {now.Add(48 * time.Hour).Local().Format("2006-01-02T15:04")}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d %.3000s", resp.StatusCode, body)
	}
	as, err := bargain.List(t.Context(), a.DB)
	if err != nil || len(as) != 1 || as[0].Floor != 9900 || !as[0].Commission || as[0].SKUID == 0 {
		t.Fatalf("created %+v %v", as, err)
	}
	if _, page = a.get(t, "/admin/bargain/"+idStr(as[0].ID)+"/edit"); !strings.Contains(page, `value="99.00"`) {
		t.Fatalf("edit form: %.3000s", page)
	}
	if resp, _ = a.postForm(t, "/admin/bargain/"+idStr(as[0].ID)+"/stop", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("stop: %d", resp.StatusCode)
	}
	if _, page = a.get(t, "/p/"+idStr(fx.milk)); strings.Contains(page, `data-testid="bargain-bar"`) {
		t.Fatal("a stopped activity still shows")
	}
}

// The settings: without 自己先砍一刀 a bargain starts uncut; with 仅砍到底价
// 才能购买 it is bought only at the floor.
func TestBargainSettingsFloorOnlyNoSelfHelp(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	aid := bargainActivity(t, a, fx, 2, 5)
	A := newBuyer(t, a, fx, custPhone, true)
	a.setupOwner(t)
	if resp, body := a.postForm(t, "/admin/marketing/bargain", url.Values{"floor_only": {"1"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("settings: %d %.2000s", resp.StatusCode, body)
	}
	loc, page := A.follow(t, "/bargains/"+idStr(aid)+"/start", nil)
	bid := bargainIDFrom(t, loc)
	b := bargainOf(t, a, bid)
	if b.Helped != 0 || b.Price != b.Start {
		t.Fatalf("started with a cut: %+v", b)
	}
	if strings.Contains(page, `data-testid="bargain-buy"`) || !strings.Contains(page, "砍到底价后可购买") {
		t.Fatalf("floor only page: %.3000s", page)
	}
	if resp, body := A.get(t, bargain.BuyURL(b)); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "砍到底价后才能购买") {
		t.Fatalf("bought above the floor: %d", resp.StatusCode)
	}
	for _, p := range []string{"13700000071", "13700000072"} {
		newBuyer(t, otherClient(a), fx, p, false).follow(t, "/bargain/"+idStr(bid)+"/help", nil)
	}
	if b = bargainOf(t, a, bid); !b.AtFloor() || cutsOf(b) != b.Start-b.Floor {
		t.Fatalf("two cuts: %+v", b)
	}
	if o := A.buyNow(t, b.SKUID, 1, "&o_bargain="+idStr(bid)); o.Goods != 9900 {
		t.Fatalf("at the floor: %d", o.Goods)
	}
}
