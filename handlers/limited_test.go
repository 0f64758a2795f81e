package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xiaodian/xiaodian/plugins/limited"
)

// The limited-time discount through the real router: its price at
// checkout with the per-customer limit, the product page's bar, the
// overlap rule, the back office, and the end of its window.
func TestLimitedDiscount(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	ctx := t.Context()
	now := a.DB.Now()
	id, err := limited.Save(ctx, a.DB, &limited.Discount{Name: "奶粉限时", ProductID: fx.milk, Mode: limited.ModePercent, Value: 85,
		PerUser: 2, StartsAt: now.Add(-time.Minute), EndsAt: now.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := limited.Save(ctx, a.DB, &limited.Discount{Name: "重叠", ProductID: fx.milk, Mode: limited.ModeOff, Value: 100,
		StartsAt: now.Add(30 * time.Minute), EndsAt: now.Add(2 * time.Hour)}); err == nil {
		t.Fatal("an overlapping discount on the same product was saved")
	}

	_, page := a.get(t, "/p/"+idStr(fx.milk))
	if !strings.Contains(page, `data-testid="limited-bar"`) || !strings.Contains(page, "限时8.5折") || !strings.Contains(page, "202.30") {
		t.Fatalf("product page bar: %.4000s", page)
	}

	b := newBuyer(t, a, fx, custPhone, true)
	milk := skuOf(t, a, fx.milk, "1罐")
	// ¥238 × 3 with a limit of 2: two pieces at 85 % (35.70 off each).
	o := b.buyNow(t, milk, 3, "")
	if o.Goods != 3*23800 || o.Discount != 2*3570 {
		t.Fatalf("goods %d discount %d", o.Goods, o.Discount)
	}
	// The limit is used up: the next piece is at the full price.
	if o2 := b.buyNow(t, milk, 1, ""); o2.Discount != 0 {
		t.Fatalf("beyond the limit: discount %d", o2.Discount)
	}
	// Cancelling gives the pieces back to the limit.
	if err := a.DB.CancelOrder(ctx, b.id, o.ID, ""); err != nil {
		t.Fatal(err)
	}
	if o3 := b.buyNow(t, milk, 1, ""); o3.Discount != 3570 {
		t.Fatalf("after cancelling: discount %d", o3.Discount)
	}

	a.setupOwner(t)
	_, list := a.get(t, "/admin/limited")
	if !strings.Contains(list, `data-testid="limited-row"`) || !strings.Contains(list, "进行中") {
		t.Fatalf("admin list: %.3000s", list)
	}
	resp, body := a.postForm(t, "/admin/limited/new", url.Values{"name": {"x"}, "product_id": {"abc"}, "mode": {"percent"},
		"value": {"120"}, "starts_at": {"2026-12-01T10:00"}, "ends_at": {"2026-11-01T10:00"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="error-product_id"`) {
		t.Fatalf("bad form: %d %.2000s", resp.StatusCode, body)
	}
	resp, _ = a.postForm(t, "/admin/limited/"+idStr(id)+"/stop", nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("stop: %d", resp.StatusCode)
	}
	if _, page = a.get(t, "/p/"+idStr(fx.milk)); strings.Contains(page, `data-testid="limited-bar"`) {
		t.Fatal("a stopped discount still shows")
	}
	if o4 := b.buyNow(t, milk, 1, ""); o4.Discount != 0 {
		t.Fatalf("stopped: discount %d", o4.Discount)
	}
}
