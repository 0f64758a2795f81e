package handlers

import (
	"database/sql"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xiaodian/xiaodian/plugins/limited"
	"github.com/xiaodian/xiaodian/plugins/memberlevel"
	"github.com/xiaodian/xiaodian/store"
)

// memberLevels creates 普通会员 (0), 银卡会员 (500, 98) and 金卡会员 (2000,
// 95) through the back office's form and returns their ids, lowest first.
func memberLevels(t *testing.T, a *testApp) []int64 {
	t.Helper()
	for _, l := range []url.Values{
		{"name": {"普通会员"}, "threshold": {"0"}, "discount": {"100"}},
		{"name": {"银卡会员"}, "threshold": {"500"}, "discount": {"98"}, "perks": {"生日礼"}},
		{"name": {"金卡会员"}, "threshold": {"2000"}, "discount": {"95"}, "perks": {"包邮券每月1张\r\n生日礼\r\n专属客服"}},
	} {
		if resp, body := a.postForm(t, "/admin/memberlevel/new", l); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("new level %v: %d %.2000s", l, resp.StatusCode, body)
		}
	}
	ls, err := memberlevel.Levels(t.Context(), a.DB)
	if err != nil || len(ls) != 3 {
		t.Fatalf("levels %v %v", ls, err)
	}
	return []int64{ls[0].ID, ls[1].ID, ls[2].ID}
}

// complete pays, ships and receives the order.
func (b *buyer) complete(t *testing.T, o *store.Order) {
	t.Helper()
	b.pay(t, o)
	if err := b.DB.ShipOrder(t.Context(), o.ID, store.StaffActor(testOwner), store.ShipInput{Carrier: "顺丰", TrackingNo: "SF" + idStr(o.ID)}); err != nil {
		t.Fatal(err)
	}
	if err := b.DB.ConfirmReceipt(t.Context(), b.id, o.ID); err != nil {
		t.Fatal(err)
	}
}

func growthOf(t *testing.T, a *testApp, customerID int64) (int64, string) {
	t.Helper()
	m, err := memberlevel.MemberOf(t.Context(), a.DB, customerID)
	if err != nil {
		t.Fatal(err)
	}
	if m.Level == nil {
		return m.Growth, ""
	}
	return m.Growth, m.Level.Code()
}

// ledgerConsistent fails when a customer's growth is not the sum of their
// ledger, or a ledger row's balance_after is not the running sum.
func ledgerConsistent(t *testing.T, a *testApp) {
	t.Helper()
	var bad, badRun int
	if err := a.DB.Read(t.Context(), func(tx *sql.Tx) error {
		if err := tx.QueryRow(`SELECT COUNT(*) FROM memberlevel_members m WHERE growth !=
			COALESCE((SELECT SUM(delta) FROM memberlevel_ledger l WHERE l.customer_id = m.customer_id), 0)`).Scan(&bad); err != nil {
			return err
		}
		return tx.QueryRow(`SELECT COUNT(*) FROM memberlevel_ledger l WHERE balance_after !=
			(SELECT SUM(delta) FROM memberlevel_ledger k WHERE k.customer_id = l.customer_id AND k.id <= l.id)`).Scan(&badRun)
	}); err != nil {
		t.Fatal(err)
	}
	if bad != 0 || badRun != 0 {
		t.Fatalf("growth differs from its ledger: %d balances, %d running rows", bad, badRun)
	}
}

func adjustmentsBy(o *store.Order) map[string]store.Fen {
	out := map[string]store.Fen{}
	for _, a := range o.Adjustments {
		out[a.Source] += a.Amount
	}
	return out
}

// Growth through the real router: credited on completion to the fen's
// yuan, the automatic upgrade, the member price at checkout, a refund
// taking growth back pro rata, the member page.
func TestMemberLevelGrowth(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	a.setupOwner(t)
	ctx := t.Context()
	ids := memberLevels(t, a)
	// The product page names each level's price, the same for everyone.
	visitor := newClientFor(a)
	for _, c := range []*testApp{a, visitor, visitor} {
		if _, page := c.get(t, "/p/"+idStr(fx.milk)); !strings.Contains(page, `data-testid="member-price"`) ||
			!strings.Contains(page, "¥233.24") || !strings.Contains(page, "¥226.10") {
			t.Fatalf("product page strip: %.3000s", page)
		}
	}
	b := newBuyer(t, a, fx, custPhone, true)
	milk := skuOf(t, a, fx.milk, "1罐") // ¥238

	// V0 has no discount; nothing is credited before completion.
	o := b.buyNow(t, milk, 2, "")
	if o.Discount != 0 {
		t.Fatalf("V0 discount %d", o.Discount)
	}
	b.pay(t, o)
	if g, _ := growthOf(t, a, b.id); g != 0 {
		t.Fatalf("growth credited at payment: %d", g)
	}
	if err := a.DB.ShipOrder(ctx, o.ID, store.StaffActor(testOwner), store.ShipInput{Carrier: "顺丰", TrackingNo: "SF1"}); err != nil {
		t.Fatal(err)
	}
	if err := a.DB.ConfirmReceipt(ctx, b.id, o.ID); err != nil {
		t.Fatal(err)
	}
	if g, code := growthOf(t, a, b.id); g != 476 || code != "V0" {
		t.Fatalf("after ¥476: growth %d level %s", g, code)
	}

	// ¥238 more: 714 ≥ 500, up to V1 by itself.
	b.complete(t, b.buyNow(t, milk, 1, ""))
	if g, code := growthOf(t, a, b.id); g != 714 || code != "V1" {
		t.Fatalf("after ¥714: growth %d level %s", g, code)
	}

	// V1 pays 98 %: 2 × ¥238 = 47600, 952 off.
	o = b.buyNow(t, milk, 2, "")
	if o.Discount != 952 || adjustmentsBy(o)[memberlevel.ID] != -952 {
		t.Fatalf("V1 discount %d %v", o.Discount, o.Adjustments)
	}
	found := false
	for _, adj := range o.Adjustments {
		if adj.Source == memberlevel.ID {
			found = adj.Label == "V1会员9.8折" && adj.Ref == idStr(ids[1]) && adj.Stage == store.StageLine
		}
	}
	if !found {
		t.Fatalf("adjustment %+v", o.Adjustments)
	}
	b.complete(t, o)
	// Paid 46648 → 466 growth.
	if g, _ := growthOf(t, a, b.id); g != 714+466 {
		t.Fatalf("after the member order: %d", g)
	}

	// Refund one of the two pieces: half the goods, half the growth back.
	o, _ = a.DB.OrderByID(ctx, o.ID)
	as, err := a.DB.RequestAftersale(ctx, b.id, store.AftersaleInput{OrderID: o.ID, LineID: o.Lines[0].ID, Kind: store.AftersaleRefundOnly,
		Qty: 1, Reason: "not_wanted"})
	if err != nil {
		t.Fatal(err)
	}
	a.postForm(t, adminAftersaleURL(as)+"/approve", nil)
	if resp, _ := a.postForm(t, adminAftersaleURL(as)+"/refund", url.Values{"restock": {"1"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("refund: %d", resp.StatusCode)
	}
	var refunded store.Fen
	a.DB.Read(ctx, func(tx *sql.Tx) error {
		return tx.QueryRow(`SELECT refunded_fen FROM order_lines WHERE id = ?`, o.Lines[0].ID).Scan(&refunded)
	})
	if refunded != 23324 {
		t.Fatalf("refunded %d", refunded)
	}
	// What stays: 466 × (46648 − 23324) / 46648 = 233; 233 withdrawn.
	if g, code := growthOf(t, a, b.id); g != 714+233 || code != "V1" {
		t.Fatalf("after the refund: growth %d level %s", g, code)
	}
	ledgerConsistent(t, a)

	// The member page: the card, the levels, the history.
	resp, page := a.get(t, "/me/level")
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, `data-level="V1"`) || !strings.Contains(page, "银卡会员") ||
		!strings.Contains(page, ">947<") || !strings.Contains(page, "再获得 1053 成长值升级为 V2 金卡会员") ||
		strings.Count(page, `data-testid="history-row"`) != 4 || !strings.Contains(page, "-233") || !strings.Contains(page, "专属客服") {
		t.Fatalf("member page: %d %.6000s", resp.StatusCode, page)
	}
	if _, me := a.get(t, "/me"); !strings.Contains(me, `href="/me/level"`) {
		t.Fatal("no member link")
	}

	// The back office: holders and figures.
	_, list := a.get(t, "/admin/memberlevel")
	if !strings.Contains(list, `data-testid="stat-issued">1180<`) || !strings.Contains(list, `data-testid="stat-withdrawn">233<`) {
		t.Fatalf("admin stats: %.5000s", list)
	}
}

// The member price does not stack with 限时折扣 or the distributor-level
// discount: the better price for the customer wins. Activity lines are
// left alone.
func TestMemberLevelNoStacking(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	a.setupOwner(t)
	ctx := t.Context()
	ids := memberLevels(t, a)
	b := newBuyer(t, a, fx, custPhone, true)
	milk := skuOf(t, a, fx.milk, "1罐") // ¥238
	if err := memberlevel.SetLevel(ctx, a.DB, b.id, ids[2], "测试", store.StaffActor(testOwner)); err != nil {
		t.Fatal(err)
	}
	// V2 alone: 95 % → 1190 off.
	if o := b.buyNow(t, milk, 1, ""); o.Discount != 1190 {
		t.Fatalf("V2: %d", o.Discount)
	}

	// 限时 9.9折 (238 off) is worse than 9.5折: the member price, and no
	// 限时 adjustment (its per-customer count is not used up).
	now := a.DB.Now()
	lid, err := limited.Save(ctx, a.DB, &limited.Discount{Name: "小折扣", ProductID: fx.milk, Mode: limited.ModePercent, Value: 99,
		StartsAt: now.Add(-time.Minute), EndsAt: now.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	o := b.buyNow(t, milk, 1, "")
	if s := adjustmentsBy(o); o.Discount != 1190 || s[memberlevel.ID] != -1190 || s[limited.ID] != 0 {
		t.Fatalf("member beats 限时: %d %v", o.Discount, s)
	}
	// 限时 8.5折 (3570 off) is better: it alone.
	if err := limited.Stop(ctx, a.DB, lid); err != nil {
		t.Fatal(err)
	}
	if _, err := limited.Save(ctx, a.DB, &limited.Discount{Name: "大折扣", ProductID: fx.milk, Mode: limited.ModePercent, Value: 85,
		StartsAt: now.Add(-time.Minute), EndsAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	o = b.buyNow(t, milk, 1, "")
	if s := adjustmentsBy(o); o.Discount != 3570 || s[memberlevel.ID] != 0 || s[limited.ID] != -3570 {
		t.Fatalf("限时 beats member: %d %v", o.Discount, s)
	}
	if err := a.Plugins.SetEnabled(limited.ID, false); err != nil {
		t.Fatal(err)
	}

	// A distributor level with an own-purchase discount of 2 % (476 off):
	// the member price wins; at 8 % (1904 off) the distributor's.
	if err := a.DB.DesignateDistributor(ctx, b.id, store.StaffActor(testOwner)); err != nil && !strings.Contains(err.Error(), "already") {
		var ve *store.ValidationError
		if !errors.As(err, &ve) {
			t.Fatal(err)
		}
	}
	dl, err := a.DB.SaveDistributorLevel(ctx, store.DistributorLevel{Name: "推广达人", Weight: 1, Rates: [3]int{1000, 0, 0}, DiscountBP: 200})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.DB.SetDistributorLevel(ctx, b.id, dl, store.StaffActor(testOwner)); err != nil {
		t.Fatal(err)
	}
	o = b.buyNow(t, milk, 1, "")
	if s := adjustmentsBy(o); o.Discount != 1190 || s[memberlevel.ID] != -1190 || s["distribution"] != 0 {
		t.Fatalf("member beats distributor: %d %v", o.Discount, s)
	}
	if _, err := a.DB.SaveDistributorLevel(ctx, store.DistributorLevel{ID: dl, Name: "推广达人", Weight: 1, Rates: [3]int{1000, 0, 0}, DiscountBP: 800}); err != nil {
		t.Fatal(err)
	}
	o = b.buyNow(t, milk, 1, "")
	if s := adjustmentsBy(o); o.Discount != 1904 || s[memberlevel.ID] != 0 || s["distribution"] != -1904 {
		t.Fatalf("distributor beats member: %d %v", o.Discount, s)
	}

	// A line an activity priced (flash sale, group, bargain) keeps its
	// price; the line beside it gets the member price.
	q := &store.Quote{CustomerID: b.id, Delivery: store.DeliveryPickup, Lines: []store.QuoteLine{
		{SKUID: 1, SKUPrice: 10000, Qty: 1, Status: store.CartOK, Activity: "flash"},
		{SKUID: 2, SKUPrice: 10000, Qty: 2, Status: store.CartOK},
	}}
	if err := a.Plugins.SetEnabled("distribution", false); err != nil {
		t.Fatal(err)
	}
	if err := a.DB.Read(ctx, func(tx *sql.Tx) error { return a.Plugins.PriceQuote(ctx, tx, q) }); err != nil {
		t.Fatal(err)
	}
	if q.Lines[0].Discount != 0 || q.Lines[1].Discount != 1000 || len(q.Adjustments) != 1 || q.Adjustments[0].Line != 1 {
		t.Fatalf("activity line: %+v %+v", q.Lines, q.Adjustments)
	}
}

// The back office: the level form's messages, a customer's level set by
// hand with a reason (logged), growth adjusted, the race of two
// deductions, deleting a held level, and switching the plugin off.
func TestMemberLevelAdmin(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	a.setupOwner(t)
	ctx := t.Context()
	resp, body := a.postForm(t, "/admin/memberlevel/new", url.Values{"name": {""}, "threshold": {"-1"}, "discount": {"150"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="error-name"`) ||
		!strings.Contains(body, `data-testid="error-threshold"`) || !strings.Contains(body, "请填写 1–100 的整数") {
		t.Fatalf("bad form: %d %.3000s", resp.StatusCode, body)
	}
	ids := memberLevels(t, a)
	resp, body = a.postForm(t, "/admin/memberlevel/new", url.Values{"name": {"重复"}, "threshold": {"500"}, "discount": {"90"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "已有等级使用这个成长值门槛") {
		t.Fatalf("duplicate threshold: %d", resp.StatusCode)
	}

	b := newBuyer(t, a, fx, custPhone, true)
	milk := skuOf(t, a, fx.milk, "1罐")
	base := "/admin/memberlevel/customers/" + idStr(b.id)
	if _, page := a.get(t, "/admin/memberlevel/customers?q="+custPhone); !strings.Contains(page, `data-testid="customer-card"`) {
		t.Fatalf("lookup: %.3000s", page)
	}
	resp, body = a.postForm(t, base+"/level", url.Values{"level_id": {idStr(ids[2])}, "reason": {" "}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "请填写原因") {
		t.Fatalf("no reason: %d", resp.StatusCode)
	}
	if _, code := growthOf(t, a, b.id); code == "V2" {
		t.Fatal("level set without a reason")
	}
	if resp, _ = a.postForm(t, base+"/level", url.Values{"level_id": {idStr(ids[2])}, "reason": {"老客户回馈"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("set level: %d", resp.StatusCode)
	}
	if _, code := growthOf(t, a, b.id); code != "V2" {
		t.Fatalf("level %s", code)
	}
	if _, page := a.get(t, "/admin/memberlevel/customers?q="+idStr(b.id)); !strings.Contains(page, "老客户回馈") ||
		!strings.Contains(page, "staff:") {
		t.Fatalf("level log: %.5000s", page)
	}
	// A manual V2 is not taken down by growth below its threshold.
	if resp, _ = a.postForm(t, base+"/growth", url.Values{"delta": {"500"}, "reason": {"活动奖励"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("growth: %d", resp.StatusCode)
	}
	if g, code := growthOf(t, a, b.id); g != 500 || code != "V2" {
		t.Fatalf("after +500: %d %s", g, code)
	}
	resp, body = a.postForm(t, base+"/growth", url.Values{"delta": {"-501"}, "reason": {"纠错"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "扣减后成长值不能小于 0") {
		t.Fatalf("below zero: %d", resp.StatusCode)
	}
	resp, body = a.postForm(t, base+"/growth", url.Values{"delta": {"abc"}, "reason": {"纠错"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "请填写非零整数") {
		t.Fatalf("bad delta: %d", resp.StatusCode)
	}
	// Two deductions of 300 race over 500: one passes.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = memberlevel.AdjustGrowth(ctx, a.DB, b.id, -300, "并发扣减", store.StaffActor(testOwner))
		}()
	}
	wg.Wait()
	if (errs[0] == nil) == (errs[1] == nil) {
		t.Fatalf("race: %v %v", errs[0], errs[1])
	}
	if g, _ := growthOf(t, a, b.id); g != 200 {
		t.Fatalf("after the race: %d", g)
	}
	ledgerConsistent(t, a)
	// The history pages: +500, −300, newest first, one a page.
	p1, more, err := memberlevel.History(ctx, a.DB, b.id, 1, 1)
	if err != nil || len(p1) != 1 || !more || p1[0].Delta != -300 || p1[0].BalanceAfter != 200 {
		t.Fatalf("page 1: %+v %v %v", p1, more, err)
	}
	p2, more, err := memberlevel.History(ctx, a.DB, b.id, 2, 1)
	if err != nil || len(p2) != 1 || more || p2[0].Delta != 500 || p2[0].Note != "活动奖励" {
		t.Fatalf("page 2: %+v %v %v", p2, more, err)
	}

	// Deleting V2 moves its holder to what 200 growth reaches: V0.
	visitor := newClientFor(a)
	if _, page := visitor.get(t, "/p/"+idStr(fx.milk)); !strings.Contains(page, "¥226.10") {
		t.Fatal("no V2 price before deleting it")
	}
	if resp, _ = a.postForm(t, "/admin/memberlevel/"+idStr(ids[2])+"/delete", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete: %d", resp.StatusCode)
	}
	if _, code := growthOf(t, a, b.id); code != "V0" {
		t.Fatalf("after deleting V2: %s", code)
	}
	// The cached product page follows.
	if _, page := visitor.get(t, "/p/"+idStr(fx.milk)); strings.Contains(page, "¥226.10") || !strings.Contains(page, "¥233.24") {
		t.Fatalf("product page after deleting V2: %.3000s", page)
	}
	if err := memberlevel.SetLevel(ctx, a.DB, b.id, ids[1], "测试", store.StaffActor(testOwner)); err != nil {
		t.Fatal(err)
	}
	if o := b.buyNow(t, milk, 1, ""); o.Discount != 476 {
		t.Fatalf("V1: %d", o.Discount)
	}

	// Switched off: normal prices, no page, no growth; back on, it works.
	if err := a.Plugins.SetEnabled(memberlevel.ID, false); err != nil {
		t.Fatal(err)
	}
	o := b.buyNow(t, milk, 1, "")
	if o.Discount != 0 || o.Goods != 23800 {
		t.Fatalf("disabled: %d", o.Discount)
	}
	b.complete(t, o)
	if g, _ := growthOf(t, a, b.id); g != 200 {
		t.Fatalf("growth while disabled: %d", g)
	}
	if resp, _ := a.get(t, "/me/level"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("page while disabled: %d", resp.StatusCode)
	}
	if err := a.Plugins.SetEnabled(memberlevel.ID, true); err != nil {
		t.Fatal(err)
	}
	if o := b.buyNow(t, milk, 1, ""); o.Discount != 476 {
		t.Fatalf("enabled again: %d", o.Discount)
	}
}

// With the setting 订单支付后发放, growth is credited at payment, once:
// the completion later credits nothing more. A bad setting is refused.
func TestMemberLevelCreditOnPay(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	a.setupOwner(t)
	ctx := t.Context()
	b := newBuyer(t, a, fx, custPhone, true)
	if _, page := a.get(t, "/me/level"); !strings.Contains(page, "商家暂未设置会员等级") {
		t.Fatalf("no levels: %.3000s", page)
	}
	memberLevels(t, a)
	ml, ok := a.Plugins.Configurable(memberlevel.ID)
	if !ok {
		t.Fatal("memberlevel is not configurable")
	}
	if err := ml.Configure(ctx, map[string]string{"credit_on": "later", "per_yuan": "1000"}); err == nil {
		t.Fatal("bad settings accepted")
	}
	if err := ml.Configure(ctx, map[string]string{"credit_on": memberlevel.CreditOnPay, "per_yuan": "2"}); err != nil {
		t.Fatal(err)
	}
	milk := skuOf(t, a, fx.milk, "1罐")
	o := b.buyNow(t, milk, 1, "")
	b.pay(t, o)
	if g, code := growthOf(t, a, b.id); g != 476 || code != "V0" {
		t.Fatalf("at payment: %d %s", g, code)
	}
	if err := a.DB.ShipOrder(ctx, o.ID, store.StaffActor(testOwner), store.ShipInput{Carrier: "顺丰", TrackingNo: "SF9"}); err != nil {
		t.Fatal(err)
	}
	if err := a.DB.ConfirmReceipt(ctx, b.id, o.ID); err != nil {
		t.Fatal(err)
	}
	if g, _ := growthOf(t, a, b.id); g != 476 {
		t.Fatalf("credited twice: %d", g)
	}
	ledgerConsistent(t, a)
}
