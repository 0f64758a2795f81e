package store

import (
	"errors"
	"testing"
	"time"
)

// savedIDs is the product ids of items, in order.
func savedIDs(items []SavedProduct) []int64 {
	out := make([]int64, len(items))
	for i, it := range items {
		out[i] = it.ProductID
	}
	return out
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// tickingClock makes every reading of db's clock one second later, so
// the order of writes is the order of their times.
func tickingClock(db *DB) {
	t := time.Unix(1_700_000_000, 0)
	db.SetClock(func() time.Time {
		t = t.Add(time.Second)
		return t
	})
}

func TestFavorites(t *testing.T) {
	f := newCartFixture(t)
	db, ctx := f.db, t.Context()
	tickingClock(db)
	cat := mustCategory(t, db, 0, "杂货")
	second, err := db.CreateProduct(ctx, clothes(cat))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []int64{f.product, second} {
		if on, err := db.ToggleFavorite(ctx, f.alice, p); err != nil || !on {
			t.Fatalf("favourite %d: %v %v", p, on, err)
		}
	}
	if on, err := db.ToggleFavorite(ctx, f.bo, second); err != nil || !on {
		t.Fatalf("bo favourites: %v %v", on, err)
	}
	items, total, err := db.Favorites(ctx, f.alice, 0, 10)
	if err != nil || total != 2 || !equalIDs(savedIDs(items), []int64{second, f.product}) {
		t.Fatalf("alice's favourites: %v %d %v", savedIDs(items), total, err)
	}
	if items[0].Title == "" || items[0].Price == 0 || !items[0].OnShelf {
		t.Fatalf("favourite card: %+v", items[0])
	}
	if items, _, _ := db.Favorites(ctx, f.alice, 1, 10); !equalIDs(savedIDs(items), []int64{f.product}) {
		t.Fatalf("second page: %v", savedIDs(items))
	}

	// Toggling again turns it off for alice only.
	if on, err := db.ToggleFavorite(ctx, f.alice, second); err != nil || on {
		t.Fatalf("unfavourite: %v %v", on, err)
	}
	if on, _ := db.IsFavorite(ctx, f.alice, second); on {
		t.Fatal("still a favourite after the second toggle")
	}
	if on, _ := db.IsFavorite(ctx, f.bo, second); !on {
		t.Fatal("bo's favourite went with alice's")
	}

	// Off shelf: kept and marked; deleted: left out and not favourited again.
	if _, err := db.SetOnShelf(ctx, []int64{f.product}, false); err != nil {
		t.Fatal(err)
	}
	if items, _, _ := db.Favorites(ctx, f.alice, 0, 10); len(items) != 1 || items[0].OnShelf {
		t.Fatalf("off-shelf favourite: %+v", items)
	}
	if err := db.DeleteProduct(ctx, second); err != nil {
		t.Fatal(err)
	}
	if items, total, _ := db.Favorites(ctx, f.bo, 0, 10); len(items) != 0 || total != 0 {
		t.Fatalf("deleted favourite listed: %v %d", savedIDs(items), total)
	}
	if _, err := db.ToggleFavorite(ctx, f.alice, second); !errors.Is(err, ErrNotFound) {
		t.Fatalf("favourite a deleted product: %v", err)
	}
	if err := db.RemoveFavorites(ctx, f.alice, []int64{f.product, 9999}); err != nil {
		t.Fatal(err)
	}
	if _, total, _ := db.Favorites(ctx, f.alice, 0, 10); total != 0 {
		t.Fatalf("after remove: %d", total)
	}
}

func TestHistoryNewestFirstCappedAndCleared(t *testing.T) {
	f := newCartFixture(t)
	db, ctx := f.db, t.Context()
	tickingClock(db)
	cat := mustCategory(t, db, 0, "杂货")
	ids := []int64{f.product}
	for len(ids) < MaxHistory+5 {
		id, err := db.CreateProduct(ctx, clothes(cat))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	for _, id := range ids {
		if err := db.RecordView(ctx, f.alice, id); err != nil {
			t.Fatal(err)
		}
	}
	// Viewing an old product again moves it to the top, without a second row.
	if err := db.RecordView(ctx, f.alice, ids[len(ids)-3]); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordView(ctx, f.bo, f.product); err != nil {
		t.Fatal(err)
	}
	items, total, err := db.History(ctx, f.alice, 0, 3)
	if err != nil {
		t.Fatal(err)
	}
	n := len(ids)
	if want := []int64{ids[n-3], ids[n-1], ids[n-2]}; total != MaxHistory || !equalIDs(savedIDs(items), want) {
		t.Fatalf("history: %v (total %d), want %v (total %d)", savedIDs(items), total, want, MaxHistory)
	}
	all, _, _ := db.History(ctx, f.alice, 0, MaxHistory+10)
	if oldest := all[len(all)-1].ProductID; oldest != ids[5] {
		t.Fatalf("oldest kept %d, want %d (the first five trimmed)", oldest, ids[5])
	}
	if items, total, _ := db.History(ctx, f.bo, 0, 10); total != 1 || items[0].ProductID != f.product {
		t.Fatalf("bo's history: %v %d", savedIDs(items), total)
	}
	if err := db.ClearHistory(ctx, f.alice); err != nil {
		t.Fatal(err)
	}
	if _, total, _ := db.History(ctx, f.alice, 0, 10); total != 0 {
		t.Fatalf("after clear: %d", total)
	}
	if _, total, _ := db.History(ctx, f.bo, 0, 10); total != 1 {
		t.Fatalf("clearing alice's history cleared bo's: %d", total)
	}
}
