package bargain

import (
	"math/rand/v2"
	"net/url"
	"testing"

	"github.com/xiaodian/xiaodian/store"
)

// For random gaps and helper counts the cuts always sum exactly to the gap,
// each at least 1 fen, and no cut leaves the rest unreachable.
func TestCutsSumExactlyToTheGap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		helpers := 1 + rng.IntN(MaxHelpers)
		var gap store.Fen
		switch rng.IntN(3) {
		case 0: // tight: about one fen per helper
			gap = store.Fen(helpers + rng.IntN(3))
		case 1:
			gap = store.Fen(helpers) + store.Fen(rng.Int64N(10000))
		default:
			gap = store.Fen(helpers) + store.Fen(rng.Int64N(int64(store.MaxPrice)))
		}
		left := gap
		var sum store.Fen
		for k := range helpers {
			c := Cut(rng, left, helpers-k)
			if c < 1 {
				t.Fatalf("gap %d helpers %d: cut %d of %d is %d", gap, helpers, k+1, helpers, c)
			}
			left -= c
			sum += c
			if left < store.Fen(helpers-k-1) {
				t.Fatalf("gap %d helpers %d: after cut %d only %d fen left for %d helpers", gap, helpers, k+1, left, helpers-k-1)
			}
		}
		if sum != gap || left != 0 {
			t.Fatalf("gap %d helpers %d: cuts sum to %d", gap, helpers, sum)
		}
	}
}

func TestCutEdges(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	if c := Cut(rng, 0, 3); c != 0 {
		t.Fatalf("nothing left: %d", c)
	}
	if c := Cut(rng, 500, 1); c != 500 {
		t.Fatalf("the last helper takes the rest: %d", c)
	}
	if c := Cut(rng, 3, 3); c != 1 {
		t.Fatalf("one fen each: %d", c)
	}
	// The cuts vary.
	seen := map[store.Fen]bool{}
	for range 50 {
		seen[Cut(rng, 10000, 5)] = true
	}
	if len(seen) < 10 {
		t.Fatalf("cuts barely vary: %v", seen)
	}
}

func form(kv ...string) url.Values {
	v := url.Values{"name": {"好友砍价"}, "product_id": {"3"}, "floor": {"9.90"}, "hours": {"24"}, "helpers": {"5"},
		"per_user": {"1"}, "stock": {"10"}, "starts_at": {"2026-12-01T10:00"}, "ends_at": {"2026-12-08T10:00"}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

func fieldsOf(err error) map[string]bool {
	out := map[string]bool{}
	if ves, ok := err.(store.ValidationErrors); ok {
		for _, e := range ves {
			out[e.Field] = true
		}
	}
	if ve, ok := err.(*store.ValidationError); ok {
		out[ve.Field] = true
	}
	return out
}

func TestParseAndValidate(t *testing.T) {
	a, err := Parse(form("start", "59.00", "commission", "1"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if a.Floor != 990 || a.Start != 5900 || a.Helpers != 5 || !a.Commission || a.validate() != nil {
		t.Fatalf("%+v %v", a, a.validate())
	}
	for _, c := range []struct {
		kv    []string
		field string
	}{
		{[]string{"product_id", "abc"}, "product_id"},
		{[]string{"product_id", ""}, "product_id"},
		{[]string{"floor", "x"}, "floor"},
		{[]string{"floor", "0"}, "floor"},
		{[]string{"start", "5.00"}, "start"},   // below the floor
		{[]string{"start", "9.93"}, "helpers"}, // 3 fen for 5 helpers
		{[]string{"hours", "0"}, "hours"},
		{[]string{"hours", "721"}, "hours"},
		{[]string{"helpers", "0"}, "helpers"},
		{[]string{"helpers", "101"}, "helpers"},
		{[]string{"per_user", "0"}, "per_user"},
		{[]string{"stock", "-1"}, "stock"},
		{[]string{"name", " "}, "name"},
		{[]string{"ends_at", "2026-11-01T10:00"}, "ends_at"},
		{[]string{"starts_at", "soon"}, "ends_at"},
	} {
		a, err := Parse(form(c.kv...), 0)
		if err == nil {
			err = a.validate()
		}
		if !fieldsOf(err)[c.field] {
			t.Errorf("%v: want an error on %s, got %v", c.kv, c.field, err)
		}
	}
}

// FuzzParse: any form either parses into an activity or names its fields;
// it never panics, and validate never lets a gap below 1 fen per helper
// through.
func FuzzParse(f *testing.F) {
	f.Add("好友砍价", "3", "", "59.00", "9.90", "24", "5", "1", "10", "2026-12-01T10:00", "2026-12-08T10:00")
	f.Add("", "x", "-1", "abc", "0", "0", "0", "0", "-5", "", "")
	f.Add("n", "99999999999999999999", "1", "1e9", "0.001", "1000000", "1", "1", "1", "2026-12-01T10:00", "2026-12-01T10:00")
	f.Fuzz(func(t *testing.T, name, product, sku, start, floor, hours, helpers, perUser, stock, starts, ends string) {
		v := url.Values{"name": {name}, "product_id": {product}, "sku_id": {sku}, "start": {start}, "floor": {floor}, "hours": {hours},
			"helpers": {helpers}, "per_user": {perUser}, "stock": {stock}, "starts_at": {starts}, "ends_at": {ends}}
		a, err := Parse(v, 0)
		if err != nil {
			if len(fieldsOf(err)) == 0 {
				t.Fatalf("an error naming no field: %v", err)
			}
			return
		}
		if a.validate() == nil {
			if a.Floor < 1 || a.Helpers < 1 || (a.Start > 0 && a.Start-a.Floor < store.Fen(a.Helpers)) || !a.EndsAt.After(a.StartsAt) {
				t.Fatalf("validated a bad activity: %+v", a)
			}
		}
	})
}
