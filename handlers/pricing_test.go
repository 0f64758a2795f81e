package handlers

import (
	"testing"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/plugins/coupon"
	"github.com/xiaodian/xiaodian/plugins/fullreduce"
	"github.com/xiaodian/xiaodian/plugins/nthhalf"
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
}
