package flash

import (
	"path/filepath"
	"testing"

	"github.com/xiaodian/xiaodian/store"
)

// The back office's slot and item forms take any text: a refusal is a
// field error, never a panic, and what is accepted is within the limits.
func FuzzForms(f *testing.F) {
	f.Add("10点场", "2026-12-03T10:00", "2026-12-03T12:00", "1", "", "99.90", "100", "1")
	f.Add("", "x", "", "-1", "abc", "1e9", "0", "-5")
	f.Add("很长很长很长很长很长很长很长很长很长很长很长", "2026-12-03T12:00", "2026-12-03T10:00", "99999999999999999999", "3", "0.001", "100001", "100")
	db, err := store.Open(f.Context(), filepath.Join(f.TempDir(), "shop.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	f.Fuzz(func(t *testing.T, name, starts, ends, product, sku, price, stock, perUser string) {
		s, err := parseSale(saleForm{Name: name, StartsAt: starts, EndsAt: ends})
		if err == nil {
			if err := s.validate(); err == nil && (!s.EndsAt.After(s.StartsAt) || s.EndsAt.Sub(s.StartsAt) > MaxWindow) {
				t.Fatalf("accepted window %s – %s", s.StartsAt, s.EndsAt)
			}
		}
		form := itemForm{ProductID: product, SKUID: sku, Price: price, Stock: stock, PerUser: perUser}
		it, err := parseItem(t.Context(), db, &form)
		if err != nil {
			if _, ok := err.(store.ValidationErrors); !ok {
				t.Fatalf("not a field error: %T %v", err, err)
			}
			return
		}
		if err := it.validate(); err == nil && (it.Price <= 0 || it.Stock < 1 || it.Stock > MaxStock || it.PerUser < 0 || it.PerUser > MaxPerUser || it.SKUID <= 0) {
			t.Fatalf("accepted %+v", it)
		}
	})
}
