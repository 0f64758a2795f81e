package demo

import (
	"testing"

	"github.com/xiaodian/xiaodian/store"
)

func TestLoadShipping(t *testing.T) {
	db := openDB(t)
	if _, err := Load(t.Context(), db, openMedia(t, t.TempDir()), Options{Seed: 1}); err != nil {
		t.Fatal(err)
	}
	tpls, err := db.ShippingTemplates(t.Context())
	if err != nil || len(tpls) != 1 || !tpls[0].IsDefault || len(tpls[0].Rules) != 1 {
		t.Fatalf("templates %v %v", tpls, err)
	}
	// Guangzhou: ¥10 + 2 × ¥5; Xinjiang: ¥20 + 2 × ¥10; free over ¥99 except in Xinjiang.
	for _, tt := range []struct {
		region store.RegionCodes
		amount store.Fen
		want   store.Fen
	}{
		{store.RegionCodes{Province: "44", City: "4401", District: "440106"}, 3000, 2000},
		{store.RegionCodes{Province: "44", City: "4401", District: "440106"}, 9900, 0},
		{store.RegionCodes{Province: "65", City: "6501", District: "650102"}, 9900, 4000},
	} {
		fee, _, err := store.ShippingFee([]store.ShippingLine{{Qty: 3, Amount: tt.amount}}, tt.region,
			map[int64]*store.ShippingTemplate{tpls[0].ID: tpls[0]}, tpls[0].ID)
		if err != nil || fee != tt.want {
			t.Errorf("%v %d: fee %d %v, want %d", tt.region, tt.amount, fee, err, tt.want)
		}
	}
	stores, err := db.PickupStores(t.Context(), true)
	if err != nil || len(stores) != 1 || stores[0].Region() != "广东省 深圳市 南山区" {
		t.Fatalf("pickup stores %v %v", stores, err)
	}
}
