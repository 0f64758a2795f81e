package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/store/demo"
)

// With the demo shop's every marketing tool in use, each one switched off
// at run time leaves the shop selling: the home page, the product pages of
// the activities, and a checkout at the plain price, paid; switched on
// again, the tools are back.
func TestEveryMarketingPluginSwitchedOff(t *testing.T) {
	a := newTestApp(t)
	ctx := t.Context()
	if _, err := LoadDemo(ctx, a.DB, a.Media, a.Plugins, demo.Options{Seed: 1}); err != nil {
		t.Fatal(err)
	}
	a.setupOwner(t)
	ids := a.Handler.marketingPlugins()
	if len(ids) < 8 {
		t.Fatalf("marketing plugins %v", ids)
	}
	_, home := a.get(t, "/")
	if !strings.Contains(home, `data-testid="flash-strip"`) {
		t.Fatalf("the demo home has no flash strip: %.2000s", home)
	}
	for _, id := range ids {
		if resp, _ := a.postForm(t, "/admin/marketing/"+id+"/enabled", url.Values{"on": {"0"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("switch %s off: %d", id, resp.StatusCode)
		}
	}
	b := newClientFor(a)
	const phone = "13900139021"
	b.register(t, phone)
	cid := a.customerID(t, phone)
	addr, err := a.DB.CreateAddress(ctx, cid, store.AddressInput{Name: "赵六", Phone: phone, ProvinceCode: "44", CityCode: "4403",
		DistrictCode: "440305", Detail: "科技园 6 栋", IsDefault: true})
	if err != nil {
		t.Fatal(err)
	}
	if resp, home := b.get(t, "/"); resp.StatusCode != http.StatusOK || strings.Contains(home, `data-testid="flash-strip"`) {
		t.Fatalf("home with the tools off: %d", resp.StatusCode)
	}
	products, _, err := a.DB.Products(ctx, store.ProductFilter{})
	if err != nil {
		t.Fatal(err)
	}
	bought := 0
	for _, p := range products {
		if resp, _ := b.get(t, "/p/"+idStr(p.ID)); resp.StatusCode != http.StatusOK {
			t.Fatalf("product %d with the tools off: %d", p.ID, resp.StatusCode)
		}
		full, err := a.DB.ProductByID(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if bought >= 6 || full.Virtual || len(full.SKUs) == 0 || full.SKUs[0].Stock == 0 {
			continue
		}
		sku := full.SKUs[0]
		buyer := &buyer{testApp: b, id: cid, address: addr}
		o := buyer.buyNow(t, sku.ID, 1, "")
		if o.Goods != sku.Price || o.Discount != 0 {
			t.Fatalf("product %d with the tools off: goods %d (SKU ¥%d) discount %d", p.ID, o.Goods, sku.Price, o.Discount)
		}
		buyer.pay(t, o)
		bought++
	}
	if bought == 0 {
		t.Fatal("nothing bought")
	}
	for _, id := range ids {
		if resp, _ := a.postForm(t, "/admin/marketing/"+id+"/enabled", url.Values{"on": {"1"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("switch %s on: %d", id, resp.StatusCode)
		}
	}
	if _, home := b.get(t, "/"); !strings.Contains(home, `data-testid="flash-strip"`) {
		t.Fatal("the flash strip did not come back")
	}
}
