package handlers

import (
	"database/sql"
	"maps"
	"testing"
	"time"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/plugins/coupon"
	"github.com/xiaodian/xiaodian/plugins/fullreduce"
	"github.com/xiaodian/xiaodian/plugins/limited"
	"github.com/xiaodian/xiaodian/plugins/memberlevel"
	"github.com/xiaodian/xiaodian/plugins/nthhalf"
	"github.com/xiaodian/xiaodian/plugins/points"
	"github.com/xiaodian/xiaodian/store"
)

// TestPricingStack places orders through the real pipeline with the
// marketing plugins stacked — 第二件半价 (line stage), 满减 and a coupon
// (discount stage), shipping — and checks every figure to the fen,
// including how each order-level discount is spread over the lines.
func TestPricingStack(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	ctx := t.Context()
	half, ok := a.Plugins.Configurable(nthhalf.ID)
	if !ok {
		t.Fatal("nthhalf is not in the builtin list")
	}
	if err := half.Configure(ctx, plugins.SettingValues{"n": "2", "percent": "50", "categories": idStr(fx.fashion)}); err != nil {
		t.Fatal(err)
	}
	now := a.DB.Now()
	if _, err := fullreduce.SaveOffer(ctx, a.DB, &fullreduce.Offer{Name: "全场满300减30", Kind: fullreduce.KindAmount,
		Mode: fullreduce.ModeReduce, Tiers: []fullreduce.Tier{{Threshold: 30000, Value: 3000}}, Scope: fullreduce.ScopeAll,
		StartsAt: now.Add(-60e9), EndsAt: now.AddDate(0, 0, 1), Status: fullreduce.StatusActive}); err != nil {
		t.Fatal(err)
	}
	b := newBuyer(t, a, fx, custPhone, true)
	cid := saveCoupon(t, a, coupon.Coupon{Name: "满200减20", Kind: coupon.KindAmount, Threshold: 20000, Amount: 2000,
		Scope: coupon.ScopeAll, Validity: coupon.ValidDays, Days: 7, PerUser: 1, Channel: coupon.ChannelCentre})
	b.claim(t, cid)

	blue := skuOf(t, a, fx.dress, "蓝 / S") // ¥120
	milk := skuOf(t, a, fx.milk, "1罐")     // ¥238
	form, _ := b.checkout(t, "/checkout?line="+idStr(blue)+":2&line="+idStr(milk)+":1")
	o := b.place(t, form)

	// Goods ¥240 + ¥238 = ¥478. 第二件半价 takes ¥60 off the dress line
	// (¥418 left); 满300减30 is spread 18000:23800 → 1292 + 1708 fen
	// (largest remainder); the coupon's 满200 counts what is left after 满减
	// (¥388), and its 2000 fen are spread 16708:22092 → 861 + 1139.
	const wantGoods, wantDiscount = 47800, 6000 + 3000 + 2000
	if o.Goods != wantGoods || o.Discount != wantDiscount || o.Payable != wantGoods-wantDiscount+o.Shipping {
		t.Fatalf("goods %d discount %d shipping %d payable %d", o.Goods, o.Discount, o.Shipping, o.Payable)
	}
	wantLine := map[int64]store.Fen{blue: 6000 + 1292 + 861, milk: 1708 + 1139}
	var paid store.Fen
	for _, l := range o.Lines {
		if l.Discount != wantLine[l.SKUID] {
			t.Errorf("line %s discount %d, want %d", l.Title, l.Discount, wantLine[l.SKUID])
		}
		if l.Paid != l.UnitPrice*store.Fen(l.Qty)-l.Discount {
			t.Errorf("line %s paid %d", l.Title, l.Paid)
		}
		paid += l.Paid
	}
	if paid != o.Payable-o.Shipping {
		t.Fatalf("lines pay %d, the order %d without shipping", paid, o.Payable-o.Shipping)
	}
	sources := map[string]store.Fen{}
	for _, adj := range o.Adjustments {
		sources[adj.Source] += adj.Amount
	}
	if sources[nthhalf.ID] != -6000 || sources[fullreduce.ID] != -3000 || sources[coupon.ID] != -2000 {
		t.Fatalf("adjustments by source: %v", sources)
	}

	// The coupon does not go with 满减 when the shop says so: the next
	// order (a second copy would be needed anyway) offers it greyed out.
	if err := a.Plugins.SetEnabled(fullreduce.ID, false); err != nil {
		t.Fatal(err)
	}
	form, _ = b.checkout(t, "/checkout?line="+idStr(milk)+":1&o_coupon=none")
	if o2 := b.place(t, form); o2.Discount != 0 || o2.Goods != 23800 {
		t.Fatalf("with 满减 off and no coupon: goods %d discount %d", o2.Goods, o2.Discount)
	}

	// A V2 member (9.5折) with 第二件半价, 满减 and a coupon: the member
	// price is a line-stage price on each line's goods (¥240 → 1200 off,
	// ¥238 → 1190 off), 第二件半价 after it still takes half a dress (6000);
	// 满300减30 is spread 16800:22610 → 1279 + 1721, the coupon's 2000
	// 15521:20889 → 853 + 1147.
	if err := a.Plugins.SetEnabled(fullreduce.ID, true); err != nil {
		t.Fatal(err)
	}
	v2, err := memberlevel.SaveLevel(ctx, a.DB, &memberlevel.Level{Name: "金卡会员", Threshold: 2000, DiscountPct: 95})
	if err != nil {
		t.Fatal(err)
	}
	if err := memberlevel.SetLevel(ctx, a.DB, b.id, v2, "定价测试", store.StaffActor(testOwner)); err != nil {
		t.Fatal(err)
	}
	cid2 := saveCoupon(t, a, coupon.Coupon{Name: "满200减20 二", Kind: coupon.KindAmount, Threshold: 20000, Amount: 2000,
		Scope: coupon.ScopeAll, Validity: coupon.ValidDays, Days: 7, PerUser: 1, Channel: coupon.ChannelCentre})
	b.claim(t, cid2)
	if err := a.DB.CancelOrder(ctx, b.id, o.ID, ""); err != nil { // the dress's stock back
		t.Fatal(err)
	}
	form, _ = b.checkout(t, "/checkout?line="+idStr(blue)+":2&line="+idStr(milk)+":1")
	o3 := b.place(t, form)
	const wantDiscount3 = 1200 + 1190 + 6000 + 3000 + 2000
	if o3.Goods != wantGoods || o3.Discount != wantDiscount3 || o3.Payable != wantGoods-wantDiscount3+o3.Shipping {
		t.Fatalf("member: goods %d discount %d shipping %d payable %d", o3.Goods, o3.Discount, o3.Shipping, o3.Payable)
	}
	wantLine = map[int64]store.Fen{blue: 1200 + 6000 + 1279 + 853, milk: 1190 + 1721 + 1147}
	paid = 0
	for _, l := range o3.Lines {
		if l.Discount != wantLine[l.SKUID] {
			t.Errorf("member: line %s discount %d, want %d", l.Title, l.Discount, wantLine[l.SKUID])
		}
		paid += l.Paid
	}
	if paid != o3.Payable-o3.Shipping {
		t.Fatalf("member: lines pay %d, the order %d without shipping", paid, o3.Payable-o3.Shipping)
	}
	sources = map[string]store.Fen{}
	for _, adj := range o3.Adjustments {
		sources[adj.Source] += adj.Amount
	}
	if sources[memberlevel.ID] != -2390 || sources[nthhalf.ID] != -6000 || sources[fullreduce.ID] != -3000 || sources[coupon.ID] != -2000 {
		t.Fatalf("member: adjustments by source: %v", sources)
	}
}

// TestPricingEveryStage is one order through every stage of the pipeline
// at once: a V2 member (9.5折) buying a dress (member price) and the milk
// powder, which is in a 限时 8.5折 (the better price wins, they do not
// stack), 满300减30 and a 满200减20 coupon over both lines, 50 yuan of
// points, and shipping — every figure to the fen, each order-level
// discount spread over the lines by largest remainder, the lines summing
// to the order.
func TestPricingEveryStage(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	ctx := t.Context()
	if err := a.Plugins.SetEnabled(nthhalf.ID, false); err != nil {
		t.Fatal(err)
	}
	now := a.DB.Now()
	if _, err := limited.Save(ctx, a.DB, &limited.Discount{Name: "奶粉限时", ProductID: fx.milk, Mode: limited.ModePercent, Value: 85,
		StartsAt: now.Add(-time.Minute), EndsAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := fullreduce.SaveOffer(ctx, a.DB, &fullreduce.Offer{Name: "全场满300减30", Kind: fullreduce.KindAmount,
		Mode: fullreduce.ModeReduce, Tiers: []fullreduce.Tier{{Threshold: 30000, Value: 3000}}, Scope: fullreduce.ScopeAll,
		StartsAt: now.Add(-time.Minute), EndsAt: now.AddDate(0, 0, 1), Status: fullreduce.StatusActive}); err != nil {
		t.Fatal(err)
	}
	// ¥12 for the first piece, ¥2 for each more: ¥16 for three.
	tpl, err := a.DB.CreateShippingTemplate(ctx, store.ShippingTemplateInput{Name: "快递", Method: "piece",
		Default: store.ShippingRuleInput{FirstUnits: "1", FirstFen: "12", ExtraUnits: "1", ExtraFen: "2"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.DB.SetDefaultShippingTemplate(ctx, tpl); err != nil {
		t.Fatal(err)
	}
	b := newBuyer(t, a, fx, custPhone, true)
	b.claim(t, saveCoupon(t, a, coupon.Coupon{Name: "满200减20", Kind: coupon.KindAmount, Threshold: 20000, Amount: 2000,
		Scope: coupon.ScopeAll, Validity: coupon.ValidDays, Days: 7, PerUser: 1, Channel: coupon.ChannelCentre}))
	v2, err := memberlevel.SaveLevel(ctx, a.DB, &memberlevel.Level{Name: "金卡会员", Threshold: 2000, DiscountPct: 95})
	if err != nil {
		t.Fatal(err)
	}
	if err := memberlevel.SetLevel(ctx, a.DB, b.id, v2, "定价测试", store.StaffActor(testOwner)); err != nil {
		t.Fatal(err)
	}
	if err := a.DB.Write(ctx, func(tx *sql.Tx) error {
		_, err := points.PostTx(ctx, tx, b.id, 5000, points.KindAdjust, "staff:test", "定价测试", now)
		return err
	}); err != nil {
		t.Fatal(err)
	}

	blue := skuOf(t, a, fx.dress, "蓝 / S") // ¥120
	milk := skuOf(t, a, fx.milk, "1罐")     // ¥238
	// o_points=1: as many points as the order may take (all 5000 here).
	form, _ := b.checkout(t, "/checkout?line="+idStr(blue)+":2&line="+idStr(milk)+":1&o_points=1")
	o := b.place(t, form)

	// Line stage: the dress at 9.5折 (24000 → 1200 off); the milk at
	// 8.5折 (3570 off) rather than 9.5折 (1190). Lines 22800 + 20230.
	// 满300减30 spread 22800:20230 → 1590 + 1410; the coupon's 2000 over
	// 21210:18820 → 1060 + 940; 5000 fen of points over 20150:17880 →
	// 2649 + 2351. Shipping is left alone by all of them.
	const wantGoods, wantDiscount = 47800, 1200 + 3570 + 3000 + 2000 + 5000
	if o.Goods != wantGoods || o.Discount != wantDiscount || o.Shipping != 1600 || o.Payable != wantGoods-wantDiscount+1600 {
		t.Fatalf("goods %d discount %d shipping %d payable %d", o.Goods, o.Discount, o.Shipping, o.Payable)
	}
	wantLine := map[int64]store.Fen{blue: 1200 + 1590 + 1060 + 2649, milk: 3570 + 1410 + 940 + 2351}
	var paid store.Fen
	for _, l := range o.Lines {
		if l.Discount != wantLine[l.SKUID] {
			t.Errorf("line %s discount %d, want %d", l.Title, l.Discount, wantLine[l.SKUID])
		}
		if l.Paid != l.UnitPrice*store.Fen(l.Qty)-l.Discount {
			t.Errorf("line %s paid %d", l.Title, l.Paid)
		}
		paid += l.Paid
	}
	if paid != o.Payable-o.Shipping {
		t.Fatalf("lines pay %d, the order %d without shipping", paid, o.Payable-o.Shipping)
	}
	sources := map[string]store.Fen{}
	for _, adj := range o.Adjustments {
		if adj.Source != "core" {
			sources[adj.Source] += adj.Amount
		}
	}
	want := map[string]store.Fen{memberlevel.ID: -1200, limited.ID: -3570, fullreduce.ID: -3000, coupon.ID: -2000, points.ID: -5000}
	if !maps.Equal(sources, want) {
		t.Fatalf("adjustments by source: %v, want %v", sources, want)
	}
	if left, err := points.Balance(ctx, a.DB, b.id); err != nil || left != 0 {
		t.Fatalf("points left %d %v", left, err)
	}
}
