package handlers

import (
	"database/sql"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xiaodian/xiaodian/plugins/coupon"
	"github.com/xiaodian/xiaodian/plugins/fullreduce"
	"github.com/xiaodian/xiaodian/plugins/points"
	"github.com/xiaodian/xiaodian/plugins/signin"
	"github.com/xiaodian/xiaodian/store"
)

// The 积分 and 签到 plugins through the real router: points earned on
// payment, spent at checkout to the fen (with 满减 and a coupon), given
// back on cancellation, taken back on refunds, the expiry job, racing
// checkouts and sign-ins, and the shop with either plugin switched off.

func pointsBalance(t *testing.T, a *testApp, customerID int64) int64 {
	t.Helper()
	b, err := points.Balance(t.Context(), a.DB, customerID)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func givePoints(t *testing.T, a *testApp, customerID, n int64) {
	t.Helper()
	if _, err := points.Credit(t.Context(), a.DB, customerID, n, points.KindAdjust, "staff:test", "test"); err != nil {
		t.Fatal(err)
	}
}

func pointsLedgerSound(t *testing.T, a *testApp) {
	t.Helper()
	if n, err := points.Mismatches(t.Context(), a.DB); err != nil || n != 0 {
		t.Fatalf("%d accounts differ from their ledger (%v)", n, err)
	}
}

func pointsAdjustment(o *store.Order) (fen store.Fen, ref string) {
	for _, adj := range o.Adjustments {
		if adj.Source == points.ID {
			fen += -adj.Amount
			ref = adj.Ref
		}
	}
	return fen, ref
}

func TestPointsEarnOnPayAndMyPoints(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	b := newBuyer(t, a, fx, custPhone, true)
	_, me := b.get(t, "/me")
	if !strings.Contains(me, `href="/me/points"`) || !strings.Contains(me, `href="/signin"`) {
		t.Fatal("no 我的积分 / 签到 on the member page")
	}
	milk := skuOf(t, a, fx.milk, "1罐")
	o := b.buyNow(t, milk, 1, "")
	if got := pointsBalance(t, a, b.id); got != 0 {
		t.Fatalf("points before payment: %d", got)
	}
	b.pay(t, o)
	paid, err := a.DB.OrderByID(t.Context(), o.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := int64(paid.Paid-paid.Shipping) / 100 // 1 point per ¥1 of goods, shipping excluded
	if want != 238 || pointsBalance(t, a, b.id) != want {
		t.Fatalf("earned %d, want %d (paid %d shipping %d)", pointsBalance(t, a, b.id), want, paid.Paid, paid.Shipping)
	}
	resp, page := b.get(t, "/me/points")
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, `data-testid="points-balance">238<`) ||
		!strings.Contains(page, `data-kind="earn"`) || !strings.Contains(page, "+238") || !strings.Contains(page, "积分规则") {
		t.Fatalf("my points: %d %.3000s", resp.StatusCode, page)
	}
	// Paying twice is impossible; a second payment event would not earn
	// twice either (the ledger's once-only rule): the balance stays.
	pointsLedgerSound(t, a)

	// The rate is a setting: 2 points per ¥1 on the next order.
	a.setupOwner(t)
	resp, body := a.postForm(t, "/admin/marketing/points", url.Values{"earn_per_yuan": {"2"}, "per_yuan": {"100"},
		"max_percent": {"50"}, "invite": {"100"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("settings: %d %.2000s", resp.StatusCode, body)
	}
	resp, body = a.postForm(t, "/admin/marketing/points", url.Values{"earn_per_yuan": {"x"}, "per_yuan": {"0"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "请填") {
		t.Fatalf("bad settings: %d", resp.StatusCode)
	}
	kids := b.buyNow(t, skuOf(t, a, fx.kidsMilk, ""), 1, "&o_points=0")
	b.pay(t, kids)
	if got := pointsBalance(t, a, b.id); got != 238+2*198 {
		t.Fatalf("balance %d after a ¥198 order at 2 points per ¥1", got)
	}

	// The back office lists the account and its ledger; an adjustment
	// needs a reason and cannot go below zero.
	_, list := a.get(t, "/admin/points")
	if !strings.Contains(list, `data-testid="points-holder"`) || !strings.Contains(list, custPhone) {
		t.Fatalf("admin list: %.3000s", list)
	}
	detail := "/admin/points/customers/" + idStr(b.id)
	resp, body = a.postForm(t, detail+"/adjust", url.Values{"delta": {"50"}, "reason": {""}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="error-reason"`) {
		t.Fatalf("adjust without reason: %d", resp.StatusCode)
	}
	resp, body = a.postForm(t, detail+"/adjust", url.Values{"delta": {"-100000"}, "reason": {"扣除"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "小于 0") {
		t.Fatalf("adjust below zero: %d", resp.StatusCode)
	}
	resp, _ = a.postForm(t, detail+"/adjust", url.Values{"delta": {"-34"}, "reason": {"客服补差"}})
	if resp.StatusCode != http.StatusSeeOther || pointsBalance(t, a, b.id) != 600 {
		t.Fatalf("adjust: %d, balance %d", resp.StatusCode, pointsBalance(t, a, b.id))
	}
	_, body = a.get(t, detail)
	if !strings.Contains(body, "客服补差") || !strings.Contains(body, "后台调整") {
		t.Fatalf("ledger: %.3000s", body)
	}
	_, list = a.get(t, "/admin/points")
	if !strings.Contains(list, `data-testid="points-issued"`) || !regexp.MustCompile(`data-testid="points-issued">.*?stat-value">634<`).MatchString(list) {
		t.Fatalf("stats: %.4000s", list)
	}
	pointsLedgerSound(t, a)
}

// Points spent at checkout on top of 满减 and a coupon: the deduction is
// half of what is left after them, spread over the lines by largest
// remainder to the fen; the order is charged exactly that.
func TestPointsSpendAtCheckoutStacked(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	now := a.DB.Now()
	if _, err := fullreduce.SaveOffer(t.Context(), a.DB, &fullreduce.Offer{Name: "全场满300减30", Kind: fullreduce.KindAmount,
		Mode: fullreduce.ModeReduce, Tiers: []fullreduce.Tier{{Threshold: 30000, Value: 3000}}, Scope: fullreduce.ScopeAll,
		StartsAt: now.Add(-time.Minute), EndsAt: now.AddDate(0, 0, 1), Status: fullreduce.StatusActive}); err != nil {
		t.Fatal(err)
	}
	b := newBuyer(t, a, fx, custPhone, true)
	cid := saveCoupon(t, a, coupon.Coupon{Name: "满200减20", Kind: coupon.KindAmount, Threshold: 20000, Amount: 2000,
		Scope: coupon.ScopeAll, Validity: coupon.ValidDays, Days: 7, PerUser: 2, Channel: coupon.ChannelCentre})
	b.claim(t, cid)
	b.claim(t, cid)
	givePoints(t, a, b.id, 100000)

	blue := skuOf(t, a, fx.dress, "蓝 / S") // ¥120
	milk := skuOf(t, a, fx.milk, "1罐")     // ¥238
	cart := "/checkout?line=" + idStr(blue) + ":2&line=" + idStr(milk) + ":1"
	// Without points: what each line pays after 满减 and the coupon.
	form, page := b.checkout(t, cart)
	if !strings.Contains(page, `data-testid="choice-points"`) || !strings.Contains(page, `data-testid="choice-points-on"`) {
		t.Fatalf("no points switch: %.5000s", page)
	}
	if form.Get("o_points") != "0" {
		t.Fatalf("points are on before the buyer chose them: %v", form)
	}
	plain := b.place(t, form)
	if resp, body := b.postForm(t, orderURL(plain.ID)+"/cancel", url.Values{}); resp.StatusCode >= 400 {
		t.Fatalf("cancel: %d %.500s", resp.StatusCode, body)
	}
	before := map[int64]store.Fen{}
	var left store.Fen
	for _, l := range plain.Lines {
		before[l.SKUID] = l.Paid
		left += l.Paid
	}
	// 47800 − 3000 (满减) − 2000 (coupon) = 42800; half of it: ¥214.00.
	if left != 42800 {
		t.Fatalf("goods after 满减 and coupon %d", left)
	}
	const wantFen = 21400
	form, page = b.checkout(t, cart+"&o_points="+points.OptionAll)
	if !strings.Contains(page, "抵扣¥214.00 (用 21400 积分)") || form.Get("o_points") == "" {
		t.Fatalf("points offer: %.5000s", page)
	}
	o := b.place(t, form)
	fen, ref := pointsAdjustment(o)
	if fen != wantFen || ref != "21400" || o.Discount != 3000+2000+wantFen || o.Payable != 47800-3000-2000-wantFen+o.Shipping {
		t.Fatalf("points %d (%q), discount %d, payable %d, shipping %d", fen, ref, o.Discount, o.Payable, o.Shipping)
	}
	// The deduction is spread 28000-ish : 14800-ish by largest remainder.
	weights := []store.Fen{before[blue], before[milk]}
	shares := store.Allocate(wantFen, weights)
	for _, l := range o.Lines {
		want := before[blue] - shares[0]
		if l.SKUID == milk {
			want = before[milk] - shares[1]
		}
		if l.Paid != want {
			t.Errorf("line %s pays %d, want %d", l.Title, l.Paid, want)
		}
	}
	if got := pointsBalance(t, a, b.id); got != 100000-21400 {
		t.Fatalf("balance %d after spending", got)
	}
	// Paid: the earning is on what was paid for the goods.
	b.pay(t, o)
	if got := pointsBalance(t, a, b.id); got != 100000-21400+int64(o.Payable-o.Shipping)/100 {
		t.Fatalf("balance %d after payment (payable %d)", got, o.Payable)
	}
	pointsLedgerSound(t, a)
}

// Cancelling (or the timeout of) an unpaid order gives its points back.
func TestPointsCancelGivesSpentBack(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	b := newBuyer(t, a, fx, custPhone, true)
	givePoints(t, a, b.id, 5000)
	milk := skuOf(t, a, fx.milk, "1罐")
	o := b.buyNow(t, milk, 1, "&o_points=1")
	if fen, _ := pointsAdjustment(o); fen != 5000 || pointsBalance(t, a, b.id) != 0 {
		t.Fatalf("spent %d, balance %d", fen, pointsBalance(t, a, b.id))
	}
	// Nothing left: the next checkout offers nothing and refuses a stale choice.
	_, page := b.checkout(t, "/checkout?sku_id="+idStr(milk)+"&qty=1")
	if strings.Contains(page, `data-testid="choice-points"`) {
		t.Fatal("a points row with no points")
	}
	if resp, body := b.postForm(t, orderURL(o.ID)+"/cancel", url.Values{}); resp.StatusCode >= 400 {
		t.Fatalf("cancel: %d %.500s", resp.StatusCode, body)
	}
	if got := pointsBalance(t, a, b.id); got != 5000 {
		t.Fatalf("after cancel %d, want 5000", got)
	}
	// Cancelling again changes nothing; the timeout path fires the same
	// event (To=cancelled From=pending_payment).
	b.postForm(t, orderURL(o.ID)+"/cancel", url.Values{})
	o2 := b.buyNow(t, milk, 1, "&o_points=1")
	a.DB.SetClock(func() time.Time { return time.Now().Add(2 * time.Hour) })
	if _, err := a.DB.CancelExpiredOrders(t.Context(), 100); err != nil {
		t.Fatal(err)
	}
	if st := b.status(t, o2.ID); st != store.StatusCancelled || pointsBalance(t, a, b.id) != 5000 {
		t.Fatalf("timeout: %s, balance %d", st, pointsBalance(t, a, b.id))
	}
	entries, _, _ := points.History(t.Context(), a.DB, b.id, 0, 20)
	kinds := ""
	for _, e := range entries {
		kinds += e.Kind + " "
	}
	if kinds != "return spend return spend adjust " {
		t.Fatalf("ledger kinds %q", kinds)
	}
	pointsLedgerSound(t, a)
}

// A refund takes back the earned points in proportion to the goods
// refunded and gives back the spent points likewise; when the customer has
// already used them, what is left is taken and the shortfall recorded.
func TestPointsRefundWithdrawsProRata(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	b := newBuyer(t, a, fx, custPhone, true)
	own := newClientFor(a)
	own.setupOwner(t)
	givePoints(t, a, b.id, 1000)
	blue := skuOf(t, a, fx.dress, "蓝 / S") // ¥120
	o := b.buyNow(t, blue, 3, "&o_points=1")
	// ¥360 of goods, 1000 points = ¥10 off: ¥350 paid for the goods.
	if fen, _ := pointsAdjustment(o); fen != 1000 {
		t.Fatalf("points off %d", fen)
	}
	b.pay(t, o)
	if got := pointsBalance(t, a, b.id); got != 350 {
		t.Fatalf("balance after paying %d, want 350 earned", got)
	}
	refund := func(qty int) {
		t.Helper()
		o, err := a.DB.OrderByID(t.Context(), o.ID)
		if err != nil {
			t.Fatal(err)
		}
		id, err := a.DB.RequestAftersale(t.Context(), b.id, store.AftersaleInput{OrderID: o.ID, LineID: o.Lines[0].ID,
			Kind: store.AftersaleRefundOnly, Qty: qty, Reason: "not_wanted"})
		if err != nil {
			t.Fatal(err)
		}
		own.postForm(t, adminAftersaleURL(id)+"/approve", nil)
		if resp, _ := own.postForm(t, adminAftersaleURL(id)+"/refund", url.Values{"restock": {"1"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("refund: %d", resp.StatusCode)
		}
		if as, _ := a.DB.AftersaleByID(t.Context(), id); as.Status != store.AftersaleRefunded {
			t.Fatalf("after-sale %s", as.Status)
		}
	}
	// One piece of three: a third of the 350 earned (116) goes, a third of
	// the 1000 spent (333) comes back.
	refund(1)
	if got := pointsBalance(t, a, b.id); got != 350-116+333 {
		t.Fatalf("after refunding 1 of 3: %d", got)
	}
	// The customer spends nearly everything, then the rest is refunded:
	// 234 earned are due back but only what is left can be taken.
	if err := points.Adjust(t.Context(), a.DB, b.id, -560, "兑换礼品", "boss"); err != nil {
		t.Fatal(err)
	}
	refund(2)
	// Spent points back first (667 more: all 1000), then 234 earned taken
	// out of 7 + 667 = 674 → 440 left, no shortfall.
	if got := pointsBalance(t, a, b.id); got != 7+667-234 {
		t.Fatalf("after refunding the rest: %d", got)
	}
	var earned, withdrawn, short, spentBack int64
	a.DB.Read(t.Context(), func(tx *sql.Tx) error {
		return tx.QueryRow(`SELECT earned, withdrawn, short, spent_back FROM points_orders WHERE order_id = ?`, o.ID).Scan(&earned, &withdrawn, &short, &spentBack)
	})
	if earned != 350 || withdrawn != 350 || short != 0 || spentBack != 1000 {
		t.Fatalf("order points: earned %d withdrawn %d short %d back %d", earned, withdrawn, short, spentBack)
	}
	pointsLedgerSound(t, a)

	// A shortfall: earned points already gone when the refund comes.
	o2 := b.buyNow(t, skuOf(t, a, fx.kidsMilk, ""), 1, "&o_points=0")
	b.pay(t, o2)
	bal := pointsBalance(t, a, b.id) // 440 + 198
	if err := points.Adjust(t.Context(), a.DB, b.id, -(bal - 50), "兑换礼品", "boss"); err != nil {
		t.Fatal(err)
	}
	o = o2
	refund(1)
	if got := pointsBalance(t, a, b.id); got != 0 {
		t.Fatalf("after a refund past the balance: %d", got)
	}
	a.DB.Read(t.Context(), func(tx *sql.Tx) error {
		return tx.QueryRow(`SELECT withdrawn, short FROM points_orders WHERE order_id = ?`, o2.ID).Scan(&withdrawn, &short)
	})
	if withdrawn != 198 || short != 148 {
		t.Fatalf("withdrawn %d short %d", withdrawn, short)
	}
	entries, _, _ := points.History(t.Context(), a.DB, b.id, 0, 1)
	if entries[0].Kind != points.KindWithdraw || entries[0].Delta != -50 || !strings.Contains(entries[0].Note, "差 148") {
		t.Fatalf("last row %+v", entries[0])
	}
	pointsLedgerSound(t, a)
}

// The expiry job: off by default; switched on, the points of two years
// ago are written off once, in the ledger.
func TestPointsExpiryJob(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	b := newBuyer(t, a, fx, custPhone, false)
	p, ok := a.Plugins.Configurable(points.ID)
	if !ok {
		t.Fatal("points is not in the builtin list")
	}
	job := p.(*points.Plugin).Jobs()[0]
	y := time.Now().Year()
	a.DB.SetClock(func() time.Time { return time.Date(y-2, 6, 1, 12, 0, 0, 0, time.Local) })
	givePoints(t, a, b.id, 300)
	a.DB.SetClock(func() time.Time { return time.Date(y-1, 6, 1, 12, 0, 0, 0, time.Local) })
	givePoints(t, a, b.id, 200)
	a.DB.SetClock(time.Now)
	if err := job.Run(t.Context(), a.DB); err != nil || pointsBalance(t, a, b.id) != 500 {
		t.Fatalf("expiry while off: %v, balance %d", err, pointsBalance(t, a, b.id))
	}
	a.setupOwner(t)
	if resp, body := a.postForm(t, "/admin/marketing/points", url.Values{"expiry": {"1"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("settings: %d %.2000s", resp.StatusCode, body)
	}
	for range 2 {
		if err := job.Run(t.Context(), a.DB); err != nil {
			t.Fatal(err)
		}
	}
	if got := pointsBalance(t, a, b.id); got != 200 {
		t.Fatalf("balance after expiry %d, want last year's 200", got)
	}
	st, _ := points.ShopStats(t.Context(), a.DB)
	if st.Expired != 300 {
		t.Fatalf("stats expired %d", st.Expired)
	}
	_, page := b.get(t, "/me/points")
	if !strings.Contains(page, `data-kind="expire"`) || !strings.Contains(page, "-300") {
		t.Fatalf("my points: %.3000s", page)
	}
	pointsLedgerSound(t, a)
}

// Checkouts racing to spend the same points: one order is placed, the
// others are refused and write nothing.
func TestPointsRacingCheckoutsSpendOnce(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	b := newBuyer(t, a, fx, custPhone, true)
	givePoints(t, a, b.id, 5000)
	milk := skuOf(t, a, fx.milk, "1罐")
	const n = 6
	forms := make([]url.Values, n)
	for i := range forms {
		forms[i], _ = b.checkout(t, "/checkout?sku_id="+idStr(milk)+"&qty=1&o_points=5000")
		if forms[i].Get("o_points") != "5000" {
			t.Fatalf("form %v", forms[i])
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
	if placed != 1 || b.orderCount(t) != before+1 || pointsBalance(t, a, b.id) != 0 {
		t.Fatalf("%d placed (%v), orders %d → %d, balance %d", placed, codes, before, b.orderCount(t), pointsBalance(t, a, b.id))
	}
	// A refused checkout says why (posted again: the winner's token
	// would just lead to its order).
	lost := 0
	for i, c := range codes {
		if c == http.StatusUnprocessableEntity {
			lost = i
		}
	}
	resp, body := b.postForm(t, checkoutPath, forms[lost])
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "积分余额已变化") {
		t.Fatalf("stale points: %d %.3000s", resp.StatusCode, body)
	}
	pointsLedgerSound(t, a)
}

// A customer who registers through a share link earns the inviter points.
func TestPointsInviteReward(t *testing.T) {
	a := newTestApp(t)
	pa := a.secondClient(t)
	pa.register(t, "13700000001")
	idA := a.customerID(t, "13700000001")
	code, err := a.DB.RefCode(t.Context(), idA)
	if err != nil {
		t.Fatal(err)
	}
	pb := a.secondClient(t)
	pb.get(t, "/?ref="+code)
	pb.register(t, "13700000002")
	if got := pointsBalance(t, a, idA); got != points.DefaultRules.Invite {
		t.Fatalf("inviter has %d points", got)
	}
	pc := a.secondClient(t)
	pc.register(t, "13700000003") // no link: nobody is rewarded
	if got := pointsBalance(t, a, idA); got != points.DefaultRules.Invite {
		t.Fatalf("inviter has %d points after an unrelated registration", got)
	}
}

// Signing in: once a day (two at once give one reward), a streak with
// its bonus on day 3, the calendar showing the signed days.
func TestSigninStreakAndRacing(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	b := newBuyer(t, a, fx, custPhone, false)
	day := time.Date(2026, 12, 1, 9, 0, 0, 0, time.Local)
	a.DB.SetClock(func() time.Time { return day })
	_, page := b.get(t, "/signin")
	if !strings.Contains(page, `data-testid="signin-button"`) || !strings.Contains(page, "签到领 5 积分") ||
		!strings.Contains(page, "2026年12月") {
		t.Fatalf("sign-in page: %.4000s", page)
	}
	var wg sync.WaitGroup
	codes := make([]int, 8)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, _ := b.postForm(t, "/signin", nil)
			codes[i] = resp.StatusCode
		}()
	}
	wg.Wait()
	for _, c := range codes {
		if c != http.StatusSeeOther {
			t.Fatalf("sign-in statuses %v", codes)
		}
	}
	if got := pointsBalance(t, a, b.id); got != 5 {
		t.Fatalf("%d points after 8 sign-ins at once, want 5", got)
	}
	_, page = b.get(t, "/signin")
	if !strings.Contains(page, `data-testid="signin-done"`) || strings.Count(page, `data-testid="signin-day-signed"`) != 1 ||
		!strings.Contains(page, `data-testid="signin-streak">1<`) {
		t.Fatalf("after signing in: %.4000s", page)
	}
	for i := 1; i <= 2; i++ {
		day = day.AddDate(0, 0, 1)
		if resp, _ := b.postForm(t, "/signin", nil); resp.StatusCode != http.StatusSeeOther {
			t.Fatal("sign-in")
		}
	}
	// Day 3 of the streak: 5 + 10.
	if got := pointsBalance(t, a, b.id); got != 5+5+15 {
		t.Fatalf("balance after 3 days %d", got)
	}
	_, page = b.get(t, "/signin")
	if !strings.Contains(page, "获得 15 积分") || !strings.Contains(page, `data-testid="signin-streak">3<`) {
		t.Fatalf("day 3: %.4000s", page)
	}
	// A day missed: the streak starts again.
	day = day.AddDate(0, 0, 2)
	b.postForm(t, "/signin", nil)
	_, page = b.get(t, "/signin")
	if !strings.Contains(page, `data-testid="signin-streak">1<`) || strings.Count(page, `data-testid="signin-day-signed"`) != 4 {
		t.Fatalf("after a gap: %.4000s", page)
	}
	st, _ := signin.ShopStats(t.Context(), a.DB, day)
	if st.Today != 1 || st.Points != 30 || st.Longest != 3 || st.Month != 4 {
		t.Fatalf("stats %+v", st)
	}
	a.setupOwner(t)
	if _, body := a.get(t, "/admin/signin"); !strings.Contains(body, `data-testid="signin-points"`) {
		t.Fatalf("admin: %.2000s", body)
	}
	// The rewards are settings: a bad rule is refused, a good one used
	// from the next sign-in (day 2 of the streak now gives 10 + 20).
	resp, body := a.postForm(t, "/admin/marketing/signin", url.Values{"daily": {"10"}, "bonuses": {"2:20,x"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "天数:积分") {
		t.Fatalf("bad bonuses: %d %.2000s", resp.StatusCode, body)
	}
	if resp, _ := a.postForm(t, "/admin/marketing/signin", url.Values{"daily": {"10"}, "bonuses": {"2:20"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save bonuses: %d", resp.StatusCode)
	}
	before := pointsBalance(t, a, b.id)
	day = day.AddDate(0, 0, 1)
	b.postForm(t, "/signin", nil)
	if got := pointsBalance(t, a, b.id) - before; got != 30 {
		t.Fatalf("day 2 with the new rules gave %d", got)
	}
	pointsLedgerSound(t, a)
}

// 我的积分 pages its ledger; another customer's account is not reachable.
func TestPointsHistoryPages(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	b := newBuyer(t, a, fx, custPhone, false)
	for range 25 {
		givePoints(t, a, b.id, 1)
	}
	_, page := b.get(t, "/me/points")
	if strings.Count(page, `data-testid="points-row"`) != 20 || !strings.Contains(page, `href="/me/points?page=2"`) {
		t.Fatalf("page 1: %.3000s", page)
	}
	_, page = b.get(t, "/me/points?page=2")
	if strings.Count(page, `data-testid="points-row"`) != 5 || !strings.Contains(page, `data-testid="points-prev"`) {
		t.Fatalf("page 2: %.3000s", page)
	}
	other := newBuyer(t, newClientFor(a), fx, "13900139000", false)
	_, page = other.get(t, "/me/points")
	if !strings.Contains(page, `data-testid="points-balance">0<`) || strings.Contains(page, `data-testid="points-row"`) {
		t.Fatalf("another customer sees: %.2000s", page)
	}
	if resp, _ := other.get(t, "/admin/points/customers/"+idStr(b.id)); resp.StatusCode == http.StatusOK {
		t.Fatal("a customer reaches the back office's points")
	}
}

// Either plugin switched off at run time: the shop still sells; sign-in
// without points records the day and gives nothing.
func TestPointsAndSigninSwitchedOff(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	b := newBuyer(t, a, fx, custPhone, true)
	a.setupOwner(t) // the buyer's client now also holds the staff sign-in
	givePoints(t, a, b.id, 5000)
	milk := skuOf(t, a, fx.milk, "1罐")

	if resp, _ := a.postForm(t, "/admin/marketing/points/enabled", url.Values{"on": {"0"}}); resp.StatusCode != http.StatusSeeOther || a.Plugins.Enabled(points.ID) {
		t.Fatal("switch points off")
	}
	if resp, _ := b.get(t, "/me/points"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("my points while off: %d", resp.StatusCode)
	}
	form, page := b.checkout(t, "/checkout?sku_id="+idStr(milk)+"&qty=1&o_points=1")
	if strings.Contains(page, `data-testid="choice-points"`) {
		t.Fatal("a points row while the plugin is off")
	}
	o := b.place(t, form)
	if fen, _ := pointsAdjustment(o); fen != 0 || o.Discount != 0 {
		t.Fatalf("points spent while off: %d", fen)
	}
	b.pay(t, o)
	if got := pointsBalance(t, a, b.id); got != 5000 {
		t.Fatalf("balance %d while off", got)
	}
	_, page = b.get(t, "/signin")
	if strings.Contains(page, "积分") && strings.Contains(page, `data-testid="signin-balance"`) {
		t.Fatalf("sign-in shows points while they are off: %.3000s", page)
	}
	if resp, _ := b.postForm(t, "/signin", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatal("sign-in while points are off")
	}
	_, page = b.get(t, "/signin")
	if !strings.Contains(page, `data-testid="signin-done"`) || !strings.Contains(page, "签到成功，已连续签到 1 天") || pointsBalance(t, a, b.id) != 5000 {
		t.Fatalf("sign-in without points: %.3000s", page)
	}
	if _, body := a.get(t, "/admin/signin"); !strings.Contains(body, `data-testid="signin-points-off"`) {
		t.Fatal("the back office does not say points are off")
	}

	// Points back on, sign-in off.
	a.postForm(t, "/admin/marketing/points/enabled", url.Values{"on": {"1"}})
	if resp, _ := a.postForm(t, "/admin/marketing/signin/enabled", url.Values{"on": {"0"}}); resp.StatusCode != http.StatusSeeOther || a.Plugins.Enabled(signin.ID) {
		t.Fatal("switch sign-in off")
	}
	if resp, _ := b.get(t, "/signin"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("sign-in while off: %d", resp.StatusCode)
	}
	if _, me := b.get(t, "/me"); strings.Contains(me, `href="/signin"`) {
		t.Fatal("the member page links a switched-off sign-in")
	}
	if _, mine := b.get(t, "/me/points"); strings.Contains(mine, `href="/signin"`) {
		t.Fatal("我的积分 links a switched-off sign-in")
	}
	o = b.buyNow(t, skuOf(t, a, fx.kidsMilk, ""), 1, "&o_points=1")
	if fen, _ := pointsAdjustment(o); fen != 5000 { // all 5000 points: under half of ¥198
		t.Fatalf("points with sign-in off: %d", fen)
	}
	pointsLedgerSound(t, a)
}
