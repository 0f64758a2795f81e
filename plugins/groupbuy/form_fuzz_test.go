package groupbuy

import (
	"errors"
	"testing"

	"github.com/xiaodian/xiaodian/store"
)

// FuzzParse: the back office's activity form never panics, and what it
// accepts obeys the rules; a refusal is always field errors.
func FuzzParse(f *testing.F) {
	f.Add("2人团", "12", "80", "2", "24", "0", "2026-12-01T10:00", "2026-12-08T10:00")
	f.Add("", "abc", "120", "1", "0", "-1", "x", "")
	f.Add("名", "9223372036854775807", "99", "50", "720", "999", "2026-12-01T10:00", "2026-12-01T10:00")
	f.Fuzz(func(t *testing.T, name, product, percent, size, hours, perUser, starts, ends string) {
		a, err := Parse(formView{Name: name, ProductID: product, Percent: percent, Size: size, Hours: hours, PerUser: perUser,
			StartsAt: starts, EndsAt: ends})
		if err != nil {
			var v store.ValidationErrors
			if !errors.As(err, &v) || len(v) == 0 {
				t.Fatalf("not field errors: %v", err)
			}
			return
		}
		if a.Percent < 1 || a.Percent > 99 || a.Size < 2 || a.Size > MaxSize || a.Hours < 1 || a.Hours > MaxHours ||
			a.PerUser < 0 || a.PerUser > MaxPerUser || !a.EndsAt.After(a.StartsAt) || a.ProductID <= 0 || a.Name == "" {
			t.Fatalf("accepted %+v", a)
		}
	})
}

func TestPrice(t *testing.T) {
	a := &Activity{Percent: 85}
	for _, c := range []struct{ price, want store.Fen }{{19800, 16830}, {1, 1}, {99, 85}, {0, 0}} {
		if got := a.Price(c.price); got != c.want {
			t.Errorf("Price(%d) = %d, want %d", c.price, got, c.want)
		}
	}
	for in, want := range map[string]string{"137****0021": "21", "小美": "小", "": "?", "Amy": "A"} {
		if got := initial(in); got != want {
			t.Errorf("initial(%q) = %q, want %q", in, got, want)
		}
	}
	if id, ok := parseOption("new"); !ok || id != 0 {
		t.Error("new")
	}
	for _, bad := range []string{"", "0", "-1", "01", "1x", "new2"} {
		if _, ok := parseOption(bad); ok {
			t.Errorf("parseOption(%q) accepted", bad)
		}
	}
}
