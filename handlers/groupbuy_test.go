package handlers

import (
	"database/sql"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/plugins/groupbuy"
	"github.com/xiaodian/xiaodian/store"
)

// groupPlugin is the app's running group buy plugin.
func groupPlugin(t *testing.T, a *testApp) *groupbuy.Plugin {
	t.Helper()
	var gp *groupbuy.Plugin
	a.Plugins.Each(func(p plugins.Plugin, _ bool) {
		if v, ok := p.(*groupbuy.Plugin); ok {
			gp = v
		}
	})
	if gp == nil {
		t.Fatal("groupbuy not registered")
	}
	return gp
}

func groupActivity(t *testing.T, a *testApp, product int64, size int, fill bool) int64 {
	t.Helper()
	now := a.DB.Now()
	id, err := groupbuy.Save(t.Context(), a.DB, &groupbuy.Activity{Name: "奶粉拼团", ProductID: product, Percent: 80, Size: size,
		Hours: 24, PerUser: 3, Fill: fill, StartsAt: now.Add(-time.Minute), EndsAt: now.Add(72 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// groupOf is the group the customer's paid order took a seat in.
func groupOf(t *testing.T, a *testApp, orderID int64) int64 {
	t.Helper()
	var id int64
	if err := a.DB.Read(t.Context(), func(tx *sql.Tx) error {
		return tx.QueryRowContext(t.Context(), `SELECT COALESCE(group_id, 0) FROM groupbuy_members WHERE order_id = ?`, orderID).Scan(&id)
	}); err != nil {
		t.Fatal(err)
	}
	return id
}

// checkRefunded checks a whole-order refund: the order closed with
// everything refunded, its payment refunded in full, one succeeded refund
// row of the order's amount, the stock back.
func checkRefunded(t *testing.T, a *testApp, orderID int64) {
	t.Helper()
	o, err := a.DB.OrderByID(t.Context(), orderID)
	if err != nil {
		t.Fatal(err)
	}
	if o.Status != store.StatusClosed || o.Refunded != o.Paid || o.Paid == 0 {
		t.Fatalf("order %d: %s paid %d refunded %d", orderID, o.Status, o.Paid, o.Refunded)
	}
	for _, l := range o.Lines {
		if l.RefundedQty != l.Qty || l.Refunded != l.Paid || l.RestockedQty != l.Qty {
			t.Fatalf("line %+v", l)
		}
	}
	p, err := a.DB.PaymentByID(t.Context(), o.PaymentID)
	if err != nil {
		t.Fatal(err)
	}
	if p.Refunded != p.Amount || p.Amount != o.Paid {
		t.Fatalf("payment %d: amount %d refunded %d", p.ID, p.Amount, p.Refunded)
	}
	var n int
	var sum store.Fen
	if err := a.DB.Read(t.Context(), func(tx *sql.Tx) error {
		return tx.QueryRowContext(t.Context(), `SELECT COUNT(*), COALESCE(SUM(amount_fen), 0) FROM refunds
			WHERE order_id = ? AND status = 'succeeded' AND reason = ?`, orderID, store.RefundReasonOrder).Scan(&n, &sum)
	}); err != nil {
		t.Fatal(err)
	}
	if n != 1 || sum != o.Paid {
		t.Fatalf("refund rows of order %d: %d, %d", orderID, n, sum)
	}
}

func stockOf(t *testing.T, a *testApp, sku int64) int {
	t.Helper()
	var n int
	if err := a.DB.Read(t.Context(), func(tx *sql.Tx) error {
		return tx.QueryRowContext(t.Context(), `SELECT stock FROM skus WHERE id = ?`, sku).Scan(&n)
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// Open and join: the leader's order waits in grouping, the second
// member's payment fills the group and both orders go to be shipped; the
// group page, my groups, the product block and the back office show it.
func TestGroupBuyOpenAndJoin(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	aid := groupActivity(t, a, fx.kidsMilk, 2, false)
	sku := skuOf(t, a, fx.kidsMilk, "")

	_, page := a.get(t, "/p/"+idStr(fx.kidsMilk))
	if !strings.Contains(page, `data-testid="groupbuy-block"`) || !strings.Contains(page, "2人团") || !strings.Contains(page, "158.40") {
		t.Fatalf("product block: %.4000s", page)
	}

	leader := newBuyer(t, a, fx, custPhone, true)
	o1 := leader.buyNow(t, sku, 1, "&o_group=new")
	if o1.Discount != 3960 || o1.Goods != 19800 {
		t.Fatalf("group price: goods %d discount %d", o1.Goods, o1.Discount)
	}
	leader.pay(t, o1)
	if s := leader.status(t, o1.ID); s != store.StatusGrouping {
		t.Fatalf("leader's order: %s", s)
	}
	gid := groupOf(t, a, o1.ID)
	if gid == 0 {
		t.Fatal("no group opened")
	}
	_, page = leader.get(t, groupbuy.GroupURL(gid))
	if !strings.Contains(page, `data-status="open"`) || !strings.Contains(page, "还差 1 人成团") || !strings.Contains(page, `data-testid="group-share"`) {
		t.Fatalf("group page (leader): %.4000s", page)
	}
	_, od := leader.get(t, "/orders/"+idStr(o1.ID))
	if !strings.Contains(od, "拼团中") {
		t.Fatalf("order page: %.3000s", od)
	}
	_, mine := leader.get(t, "/me/groups")
	if !strings.Contains(mine, `data-testid="my-group"`) || !strings.Contains(mine, "拼团中") {
		t.Fatalf("my groups: %.3000s", mine)
	}
	// The product page lists the open group.
	_, page = a.secondClient(t).get(t, "/p/"+idStr(fx.kidsMilk))
	if !strings.Contains(page, `data-testid="groupbuy-group"`) || !strings.Contains(page, groupbuy.GroupURL(gid)) {
		t.Fatalf("open group on the product page: %.4000s", page)
	}

	// The leader cannot join their own group.
	resp, body := leader.get(t, "/checkout?sku_id="+idStr(sku)+"&qty=1&o_group="+idStr(gid))
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "你已经在这个团里了") {
		t.Fatalf("leader joins own group: %d %.2000s", resp.StatusCode, body)
	}
	// A group that does not exist, and a malformed option.
	if resp, _ := leader.get(t, "/checkout?sku_id="+idStr(sku)+"&qty=1&o_group=99999"); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("unknown group: %d", resp.StatusCode)
	}
	if resp, _ := leader.get(t, "/checkout?sku_id="+idStr(sku)+"&qty=1&o_group=x1"); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad option: %d", resp.StatusCode)
	}

	member := newBuyer(t, a.secondClient(t), fx, "13800138001", true)
	_, page = member.get(t, groupbuy.GroupURL(gid))
	if !strings.Contains(page, `data-testid="group-join"`) {
		t.Fatalf("group page (visitor): %.3000s", page)
	}
	// An unpaid join holds no seat: cancelled, the group still waits.
	o0 := member.buyNow(t, sku, 1, "&o_group="+idStr(gid))
	if err := a.DB.CancelOrder(t.Context(), member.id, o0.ID, ""); err != nil {
		t.Fatal(err)
	}
	o2 := member.buyNow(t, sku, 1, "&o_group="+idStr(gid))
	member.pay(t, o2)
	if s1, s2 := leader.status(t, o1.ID), member.status(t, o2.ID); s1 != store.StatusToShip || s2 != store.StatusToShip {
		t.Fatalf("after the group filled: %s %s", s1, s2)
	}
	_, page = member.get(t, groupbuy.GroupURL(gid))
	if !strings.Contains(page, `data-status="succeeded"`) || !strings.Contains(page, "拼团成功") {
		t.Fatalf("group page (done): %.3000s", page)
	}
	// A third customer may no longer join.
	third := newBuyer(t, a.secondClient(t), fx, "13800138002", true)
	resp, body = third.get(t, "/checkout?sku_id="+idStr(sku)+"&qty=1&o_group="+idStr(gid))
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "已满员或已结束") {
		t.Fatalf("join a full group: %d %.2000s", resp.StatusCode, body)
	}

	a.setupOwner(t)
	_, list := a.get(t, "/admin/groupbuy")
	if !strings.Contains(list, `data-testid="groupbuy-row"`) || !strings.Contains(list, "¥316.80") {
		t.Fatalf("admin list: %.4000s", list)
	}
	_, groups := a.get(t, "/admin/groupbuy/groups?activity="+idStr(aid))
	if !strings.Contains(groups, `data-testid="groupbuy-group-row"`) || !strings.Contains(groups, "拼团成功") {
		t.Fatalf("admin groups: %.3000s", groups)
	}
	resp, body = a.postForm(t, "/admin/groupbuy/new", url.Values{"name": {""}, "product_id": {"abc"}, "percent": {"120"},
		"size": {"1"}, "hours": {"0"}, "starts_at": {"2026-12-01T10:00"}, "ends_at": {"2026-11-01T10:00"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="error-product_id"`) ||
		!strings.Contains(body, "拼团价请填 1–99") || !strings.Contains(body, "成团人数请填 2–50") || !strings.Contains(body, "成团时限请填") {
		t.Fatalf("bad form: %d %.3000s", resp.StatusCode, body)
	}
	resp, body = a.postForm(t, "/admin/groupbuy/new", url.Values{"name": {"重叠"}, "product_id": {idStr(fx.kidsMilk)}, "percent": {"90"},
		"size": {"3"}, "hours": {"2"}, "starts_at": {time.Now().Format("2006-01-02T15:04")},
		"ends_at": {time.Now().Add(time.Hour).Format("2006-01-02T15:04")}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "已有拼团活动") {
		t.Fatalf("overlap: %d %.3000s", resp.StatusCode, body)
	}
	resp, _ = a.postForm(t, "/admin/groupbuy/"+idStr(aid)+"/stop", nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("stop: %d", resp.StatusCode)
	}
	if _, page = a.secondClient(t).get(t, "/p/"+idStr(fx.kidsMilk)); strings.Contains(page, `data-testid="groupbuy-block"`) {
		t.Fatal("a stopped activity still shows")
	}
}

// A group short when its time runs out: every paid order is refunded
// through its provider and closed, the stock comes back, the group page
// says so; running the sweep again (or two at once) changes nothing.
func TestGroupBuyExpiryRefunds(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	groupActivity(t, a, fx.kidsMilk, 3, false)
	sku := skuOf(t, a, fx.kidsMilk, "")
	stock := stockOf(t, a, sku)
	leader := newBuyer(t, a, fx, custPhone, true)
	o1 := leader.buyNow(t, sku, 1, "&o_group=new")
	leader.pay(t, o1)
	gid := groupOf(t, a, o1.ID)
	member := newBuyer(t, a.secondClient(t), fx, "13800138001", true)
	o2 := member.buyNow(t, sku, 2, "&o_group="+idStr(gid))
	member.pay(t, o2)
	if s := member.status(t, o2.ID); s != store.StatusGrouping {
		t.Fatalf("member's order: %s", s)
	}
	gp := groupPlugin(t, a)
	if n, err := gp.Sweep(t.Context(), a.DB); err != nil || n != 0 {
		t.Fatalf("sweep before expiry: %d %v", n, err)
	}
	a.DB.SetClock(func() time.Time { return time.Now().Add(25 * time.Hour) })
	defer a.DB.SetClock(time.Now)
	var wg sync.WaitGroup
	counts := make([]int, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := gp.Sweep(t.Context(), a.DB)
			if err != nil {
				t.Error(err)
			}
			counts[i] = n
		}()
	}
	wg.Wait()
	if counts[0]+counts[1] != 2 {
		t.Fatalf("refunded %v", counts)
	}
	checkRefunded(t, a, o1.ID)
	checkRefunded(t, a, o2.ID)
	if got := stockOf(t, a, sku); got != stock {
		t.Fatalf("stock %d, was %d", got, stock)
	}
	if n, err := gp.Sweep(t.Context(), a.DB); err != nil || n != 0 {
		t.Fatalf("second sweep: %d %v", n, err)
	}
	checkRefunded(t, a, o1.ID)
	_, page := member.get(t, groupbuy.GroupURL(gid))
	if !strings.Contains(page, `data-status="failed"`) || !strings.Contains(page, "拼团失败已退款") {
		t.Fatalf("failed group page: %.3000s", page)
	}
	msgs, _, _ := member.inbox(t)
	if len(msgs) == 0 {
		t.Fatal("no refund message")
	}
}

// 模拟成团: at expiry the shop fills the group and its orders go on.
func TestGroupBuyFillAtExpiry(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	groupActivity(t, a, fx.kidsMilk, 3, true)
	sku := skuOf(t, a, fx.kidsMilk, "")
	leader := newBuyer(t, a, fx, custPhone, true)
	o1 := leader.buyNow(t, sku, 1, "&o_group=new")
	leader.pay(t, o1)
	gid := groupOf(t, a, o1.ID)
	a.DB.SetClock(func() time.Time { return time.Now().Add(25 * time.Hour) })
	defer a.DB.SetClock(time.Now)
	if n, err := groupPlugin(t, a).Sweep(t.Context(), a.DB); err != nil || n != 0 {
		t.Fatalf("sweep: %d %v", n, err)
	}
	if s := leader.status(t, o1.ID); s != store.StatusToShip {
		t.Fatalf("filled by the shop: %s", s)
	}
	_, page := leader.get(t, groupbuy.GroupURL(gid))
	if !strings.Contains(page, `data-status="succeeded"`) {
		t.Fatalf("group page: %.3000s", page)
	}
}

// Two payments race for the last seat: exactly one joins (the group
// completes), the other order is refunded automatically.
func TestGroupBuyLastSeatRace(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	groupActivity(t, a, fx.kidsMilk, 2, false)
	sku := skuOf(t, a, fx.kidsMilk, "")
	leader := newBuyer(t, a, fx, custPhone, true)
	o1 := leader.buyNow(t, sku, 1, "&o_group=new")
	leader.pay(t, o1)
	gid := groupOf(t, a, o1.ID)
	b1 := newBuyer(t, a.secondClient(t), fx, "13800138001", true)
	b2 := newBuyer(t, a.secondClient(t), fx, "13800138002", true)
	orders := []*store.Order{b1.buyNow(t, sku, 1, "&o_group="+idStr(gid)), b2.buyNow(t, sku, 1, "&o_group="+idStr(gid))}
	buyers := []*buyer{b1, b2}
	var pays []*store.Payment
	for i, o := range orders {
		p, err := a.DB.StartPayment(t.Context(), buyers[i].id, o.ID, "sandbox", "")
		if err != nil {
			t.Fatal(err)
		}
		pays = append(pays, p)
	}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, p := range pays {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			r, _, err := a.DB.ApplyPayment(t.Context(), store.PaymentNotice{Provider: "sandbox", OutTradeNo: p.OutTradeNo,
				ProviderTxnID: "TXN" + p.OutTradeNo, Amount: p.Amount})
			if err != nil || r != store.ApplyPaid {
				t.Errorf("pay: %v %v", r, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	var joined, waiting []int64
	for _, o := range orders {
		switch s := b1.status(t, o.ID); s {
		case store.StatusToShip:
			joined = append(joined, o.ID)
		case store.StatusGrouping:
			waiting = append(waiting, o.ID)
		default:
			t.Fatalf("order %d: %s", o.ID, s)
		}
	}
	if len(joined) != 1 || len(waiting) != 1 || leader.status(t, o1.ID) != store.StatusToShip {
		t.Fatalf("joined %v waiting %v", joined, waiting)
	}
	g, err := groupbuy.GroupByID(t.Context(), a.DB, gid)
	if err != nil || g.Members != 2 || g.Status != "succeeded" || len(g.Seats) != 2 {
		t.Fatalf("group: %+v %v", g, err)
	}
	if n, err := groupPlugin(t, a).Sweep(t.Context(), a.DB); err != nil || n != 1 {
		t.Fatalf("sweep: %d %v", n, err)
	}
	checkRefunded(t, a, waiting[0])
}

// Switched off at run time: no block, no group page, the group option is
// ignored and the shop still sells; switched back on, the groups are there.
func TestGroupBuyDisabled(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	groupActivity(t, a, fx.kidsMilk, 2, false)
	sku := skuOf(t, a, fx.kidsMilk, "")
	b := newBuyer(t, a, fx, custPhone, true)
	o1 := b.buyNow(t, sku, 1, "&o_group=new")
	b.pay(t, o1)
	gid := groupOf(t, a, o1.ID)

	a.setupOwner(t)
	resp, _ := a.postForm(t, "/admin/marketing/groupbuy/enabled", url.Values{"on": {"0"}})
	if resp.StatusCode != http.StatusSeeOther || a.Plugins.Enabled(groupbuy.ID) {
		t.Fatalf("switch off: %d", resp.StatusCode)
	}
	if resp, _ := a.get(t, groupbuy.GroupURL(gid)); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("group page while off: %d", resp.StatusCode)
	}
	if _, page := a.secondClient(t).get(t, "/p/"+idStr(fx.kidsMilk)); strings.Contains(page, `data-testid="groupbuy-block"`) {
		t.Fatal("block while off")
	}
	o2 := b.buyNow(t, sku, 1, "&o_group=new")
	if o2.Discount != 0 {
		t.Fatalf("group price while off: %d", o2.Discount)
	}
	b.pay(t, o2)
	if s := b.status(t, o2.ID); s != store.StatusToShip {
		t.Fatalf("plain order while off: %s", s)
	}
	resp, _ = a.postForm(t, "/admin/marketing/groupbuy/enabled", url.Values{"on": {"1"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("switch on: %d", resp.StatusCode)
	}
	if resp, _ := a.get(t, groupbuy.GroupURL(gid)); resp.StatusCode != http.StatusOK {
		t.Fatalf("group page back on: %d", resp.StatusCode)
	}
}

// A group order paid from the wallet is refunded to the wallet, with its
// ledger row, when the group fails; the line records whether the activity
// pays commission.
func TestGroupBuyBalanceRefund(t *testing.T) {
	f := newPayFixture(t, AppConfig{})
	ctx := t.Context()
	p, err := f.a.DB.ProductByID(ctx, mustProductOf(t, f))
	if err != nil {
		t.Fatal(err)
	}
	now := f.a.DB.Now()
	if _, err := groupbuy.Save(ctx, f.a.DB, &groupbuy.Activity{Name: "杯子拼团", ProductID: p.ID, Percent: 75, Size: 2, Hours: 1,
		Commission: true, StartsAt: now.Add(-time.Minute), EndsAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	o, err := f.a.DB.PlaceOrder(ctx, store.CheckoutInput{CustomerID: f.buyerID, Items: []store.CheckoutItem{{SKUID: f.sku, Qty: 1}},
		Delivery: store.DeliveryExpress, AddressID: f.address, Token: "tok-group", Options: map[string]string{"group": "new"}})
	if err != nil {
		t.Fatal(err)
	}
	if o.Payable != 75_00+o.Shipping {
		t.Fatalf("payable %d", o.Payable)
	}
	var activity string
	var commission bool
	if err := f.a.DB.Read(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT activity, activity_commission FROM order_lines WHERE order_id = ?`, o.ID).Scan(&activity, &commission)
	}); err != nil || activity != groupbuy.ID || !commission {
		t.Fatalf("line activity %q commission %v %v", activity, commission, err)
	}
	f.fund(t, 200_00)
	if err := f.a.DB.PayWithBalance(ctx, f.buyerID, o.ID); err != nil {
		t.Fatal(err)
	}
	if s := f.status(t, o.ID); s != store.StatusGrouping {
		t.Fatalf("paid: %s", s)
	}
	f.a.DB.SetClock(func() time.Time { return time.Now().Add(2 * time.Hour) })
	defer f.a.DB.SetClock(time.Now)
	if n, err := groupPlugin(t, f.a).Sweep(ctx, f.a.DB); err != nil || n != 1 {
		t.Fatalf("sweep: %d %v", n, err)
	}
	checkRefunded(t, f.a, o.ID)
	if b := f.ledgerSum(t); b != 200_00 {
		t.Fatalf("balance %d after the refund", b)
	}
}

func mustProductOf(t *testing.T, f payFixture) int64 {
	t.Helper()
	var id int64
	if err := f.a.DB.Read(t.Context(), func(tx *sql.Tx) error {
		return tx.QueryRowContext(t.Context(), `SELECT product_id FROM skus WHERE id = ?`, f.sku).Scan(&id)
	}); err != nil {
		t.Fatal(err)
	}
	return id
}
