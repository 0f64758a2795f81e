package demo

import "testing"

// The demo tags reach the customers: on a shop without customers the demo
// makes four, and every tag has someone.
func TestLoadTags(t *testing.T) {
	db := openDB(t)
	if err := LoadTags(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	tags, err := db.Tags(t.Context())
	if err != nil || len(tags) != len(demoTags) {
		t.Fatalf("tags %+v %v", tags, err)
	}
	for _, tg := range tags {
		if tg.Customers == 0 {
			t.Errorf("tag %s has no customers", tg.Name)
		}
	}
	list, total, err := db.CustomerWallets(t.Context(), "", 0, 10)
	if err != nil || total != len(demoTagCustomers) || list[0].Nickname == "" {
		t.Fatalf("customers %+v %d %v", list, total, err)
	}
}
