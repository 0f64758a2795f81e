package store

import (
	"errors"
	"strings"
	"sync"
	"testing"
)

func mustTagCustomer(t *testing.T, db *DB, phone string) int64 {
	t.Helper()
	cu, err := db.RegisterCustomer(t.Context(), phone, "secret123")
	if err != nil {
		t.Fatal(err)
	}
	return cu.ID
}

func TestTagNamesUniqueAndValidated(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	id, err := db.CreateTag(ctx, "  V I P  ", "gold")
	if err != nil {
		t.Fatal(err)
	}
	tag, err := db.TagByID(ctx, id)
	if err != nil || tag.Name != "V I P" || tag.Color != "gold" {
		t.Fatalf("tag %+v %v", tag, err)
	}
	if _, err := db.CreateTag(ctx, "V I P", ""); validationKey(err) != "tags.err.name_taken" {
		t.Fatalf("duplicate name: %v", err)
	}
	for name, key := range map[string]string{
		"":    "tags.err.name_empty",
		"   ": "tags.err.name_empty",
		"一二三四五六七八九十十一十二十三": "tags.err.name_long",
		"a\x00b": "tags.err.name_chars",
	} {
		if _, err := db.CreateTag(ctx, name, ""); validationKey(err) != key {
			t.Errorf("name %q: %v, want %s", name, err, key)
		}
	}
	if _, err := db.CreateTag(ctx, "新客", "pink"); validationKey(err) != "tags.err.color" {
		t.Fatalf("bad colour: %v", err)
	}
	if _, err := db.CreateTag(ctx, "十二个字十二个字十二个字", ""); err != nil {
		t.Fatalf("12 characters: %v", err)
	}
	other, err := db.CreateTag(ctx, "老客户", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.UpdateTag(ctx, other, "V I P", ""); validationKey(err) != "tags.err.name_taken" {
		t.Fatalf("rename to a used name: %v", err)
	}
	if err := db.UpdateTag(ctx, other, "老顾客", "blue"); err != nil {
		t.Fatal(err)
	}
	if err := db.UpdateTag(ctx, 9999, "x", ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("rename unknown: %v", err)
	}
	tags, err := db.Tags(ctx)
	if err != nil || len(tags) != 3 {
		t.Fatalf("tags %+v %v", tags, err)
	}
}

func TestTaggingIdempotentAndDeleteCascades(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	a, b := mustTagCustomer(t, db, "13800000001"), mustTagCustomer(t, db, "13800000002")
	vip, _ := db.CreateTag(ctx, "VIP", "gold")
	mom, _ := db.CreateTag(ctx, "宝妈", "")
	if n, err := db.TagCustomers(ctx, vip, []int64{a, b, a}); err != nil || n != 2 {
		t.Fatalf("tag: %d %v", n, err)
	}
	if n, err := db.TagCustomers(ctx, vip, []int64{a, b}); err != nil || n != 0 {
		t.Fatalf("tag again: %d %v", n, err)
	}
	if _, err := db.TagCustomers(ctx, mom, []int64{a}); err != nil {
		t.Fatal(err)
	}
	// An unknown customer refuses the whole batch.
	if _, err := db.TagCustomers(ctx, mom, []int64{b, 99999}); validationKey(err) != "tags.err.unknown_customer" {
		t.Fatalf("unknown customer: %v", err)
	}
	if got, _ := db.CustomerTags(ctx, b); len(got) != 1 {
		t.Fatalf("a refused batch changed b's tags: %+v", got)
	}
	if _, err := db.TagCustomers(ctx, 12345, []int64{a}); validationKey(err) != "tags.err.unknown" {
		t.Fatalf("unknown tag: %v", err)
	}
	if _, err := db.TagCustomers(ctx, vip, nil); validationKey(err) != "tags.err.no_customers" {
		t.Fatalf("no customers: %v", err)
	}
	got, err := db.CustomerTags(ctx, a)
	if err != nil || len(got) != 2 || got[0].Name != "VIP" || got[1].Name != "宝妈" {
		t.Fatalf("a's tags %+v %v", got, err)
	}
	ids, total, err := db.TagCustomerIDs(ctx, vip, 0, 1)
	if err != nil || total != 2 || len(ids) != 1 || ids[0] != b {
		t.Fatalf("customers of vip: %v %d %v", ids, total, err)
	}
	list, n, err := db.CustomerWalletsTagged(ctx, "", mom, 0, 10)
	if err != nil || n != 1 || list[0].ID != a {
		t.Fatalf("filtered list %+v %d %v", list, n, err)
	}
	if n, err := db.UntagCustomers(ctx, vip, []int64{b, b}); err != nil || n != 1 {
		t.Fatalf("untag: %d %v", n, err)
	}
	if n, err := db.UntagCustomers(ctx, vip, []int64{b}); err != nil || n != 0 {
		t.Fatalf("untag again: %d %v", n, err)
	}
	if err := db.SetCustomerTags(ctx, b, []int64{mom, vip}); err != nil {
		t.Fatal(err)
	}
	if err := db.SetCustomerTags(ctx, b, []int64{mom}); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.CustomerTags(ctx, b); len(got) != 1 || got[0].ID != mom {
		t.Fatalf("b's tags after set: %+v", got)
	}
	if err := db.SetCustomerTags(ctx, b, []int64{mom, 4242}); validationKey(err) != "tags.err.unknown" {
		t.Fatalf("set unknown tag: %v", err)
	}

	// Deleting a tag removes its links, and only its links.
	if err := db.DeleteTag(ctx, mom); err != nil {
		t.Fatal(err)
	}
	var links int
	if err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM customer_tag_links WHERE tag_id = ?`, mom).Scan(&links); err != nil || links != 0 {
		t.Fatalf("links left: %d %v", links, err)
	}
	if got, _ := db.CustomerTags(ctx, a); len(got) != 1 || got[0].ID != vip {
		t.Fatalf("a's tags after delete: %+v", got)
	}
	if err := db.DeleteTag(ctx, mom); !errors.Is(err, ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
	tags, _ := db.Tags(ctx)
	if len(tags) != 1 || tags[0].Customers != 1 {
		t.Fatalf("tags after delete %+v", tags)
	}
}

func TestTaggingRaceMakesOneLink(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	a := mustTagCustomer(t, db, "13800000001")
	vip, _ := db.CreateTag(ctx, "VIP", "")
	const n = 8
	var wg sync.WaitGroup
	added := make([]int, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			added[i], errs[i] = db.TagCustomers(ctx, vip, []int64{a})
		}()
	}
	wg.Wait()
	sum := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		sum += added[i]
	}
	var links int
	if err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM customer_tag_links`).Scan(&links); err != nil {
		t.Fatal(err)
	}
	if sum != 1 || links != 1 {
		t.Fatalf("racing tags: %d reported new, %d links", sum, links)
	}
}

func TestTagBatchLimit(t *testing.T) {
	db := openTest(t)
	vip, _ := db.CreateTag(t.Context(), "VIP", "")
	ids := make([]int64, MaxTagBatch+1)
	for i := range ids {
		ids[i] = int64(i + 1)
	}
	if _, err := db.TagCustomers(t.Context(), vip, ids); validationKey(err) != "tags.err.too_many_customers" {
		t.Fatalf("too many: %v", err)
	}
}

func FuzzParseTagName(f *testing.F) {
	for _, s := range []string{"", " VIP ", "宝妈", "a\tb", "十二个字十二个字十二个字x", "\xff", "a\u200bb", strings.Repeat("新", 13)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		name, err := ParseTagName(s)
		if err != nil {
			if validationKey(err) == "" {
				t.Fatalf("%q: not a validation error: %v", s, err)
			}
			return
		}
		if name == "" || name != strings.TrimSpace(name) || strings.Contains(name, "  ") {
			t.Fatalf("%q → %q", s, name)
		}
		if n := len([]rune(name)); n > MaxTagName {
			t.Fatalf("%q → %d characters", s, n)
		}
		if again, err := ParseTagName(name); err != nil || again != name {
			t.Fatalf("not stable: %q → %q %v", name, again, err)
		}
	})
}
