package memberlevel

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/xiaodian/xiaodian/store"
)

func TestZheAndOff(t *testing.T) {
	for pct, want := range map[int]string{95: "9.5", 98: "9.8", 90: "9", 100: "", 5: "0.5"} {
		if got := Zhe(pct); got != want {
			t.Errorf("Zhe(%d) = %q, want %q", pct, got, want)
		}
	}
	l := &Level{DiscountPct: 95}
	if got := l.Off(23800); got != 1190 {
		t.Fatalf("Off = %d", got)
	}
	if got := (&Level{DiscountPct: 98}).Off(12345); got != 246 { // 246.9 rounded down
		t.Fatalf("Off rounds down: %d", got)
	}
	if got := (&Level{DiscountPct: 100}).Off(10000); got != 0 {
		t.Fatalf("no discount: %d", got)
	}
	if Growth(47699, 1) != 476 || Growth(99, 1) != 0 || Growth(10000, 0) != 0 || Growth(12345, 3) != 370 {
		t.Fatal("Growth")
	}
}

// ApplyBetter keeps the better of its discount and the line-stage ones
// already on the line, never both.
func TestApplyBetter(t *testing.T) {
	mk := func() *store.Quote {
		q := &store.Quote{Lines: []store.QuoteLine{{UnitPrice: 10000, Qty: 1}, {UnitPrice: 10000, Qty: 1}}}
		q.DiscountLine(0, store.StageLine, "limited", "限时9折", 1000)
		return q
	}
	q := mk()
	if ApplyBetter(q, 0, ID, "V2会员9.5折", "1", 500) || q.Lines[0].Discount != 1000 || len(q.Adjustments) != 1 {
		t.Fatalf("worse applied: %+v", q)
	}
	q = mk()
	if !ApplyBetter(q, 0, ID, "V2会员8折", "1", 2000) || q.Lines[0].Discount != 2000 || len(q.Adjustments) != 1 ||
		q.Adjustments[0].Source != ID || q.Adjustments[0].Amount != -2000 || q.Adjustments[0].Ref != "1" {
		t.Fatalf("better not applied alone: %+v", q)
	}
	q = mk()
	if !ApplyBetter(q, 1, ID, "V2会员9.5折", "1", 500) || q.Lines[0].Discount != 1000 || q.Lines[1].Discount != 500 || len(q.Adjustments) != 2 {
		t.Fatalf("other line touched: %+v", q)
	}
}

func TestParseForm(t *testing.T) {
	l, err := ParseForm(0, url.Values{"name": {" 金卡会员 "}, "threshold": {"2000"}, "discount": {"95"}, "perks": {"包邮券每月1张\r\n\r\n生日礼\n"}})
	if err != nil || l.Name != "金卡会员" || l.Threshold != 2000 || l.DiscountPct != 95 || len(l.Perks) != 2 || l.Perks[1] != "生日礼" {
		t.Fatalf("%+v %v", l, err)
	}
	_, err = ParseForm(0, url.Values{"name": {""}, "threshold": {"x"}, "discount": {"0"}, "perks": {strings.Repeat("长", 31)}})
	var ves store.ValidationErrors
	if !errors.As(err, &ves) || len(ves) != 4 {
		t.Fatalf("errors: %v", err)
	}
}

func FuzzParseForm(f *testing.F) {
	f.Add("金卡会员", "2000", "95", "包邮券每月1张\n生日礼")
	f.Add("", "-1", "101", "")
	f.Add("x", "99999999999999999999", "9.5", "\r\n\r\n")
	f.Fuzz(func(t *testing.T, name, threshold, discount, perks string) {
		l, err := ParseForm(0, url.Values{"name": {name}, "threshold": {threshold}, "discount": {discount}, "perks": {perks}})
		if err != nil {
			var ves store.ValidationErrors
			var ve *store.ValidationError
			if !errors.As(err, &ves) && !errors.As(err, &ve) {
				t.Fatalf("not a validation error: %v", err)
			}
			return
		}
		if n := utf8.RuneCountInString(l.Name); n < 1 || n > MaxName || l.Name != strings.TrimSpace(l.Name) {
			t.Fatalf("name %q", l.Name)
		}
		if l.Threshold < 0 || l.Threshold > MaxThreshold || l.DiscountPct < 1 || l.DiscountPct > 100 || len(l.Perks) > MaxPerks {
			t.Fatalf("accepted %+v", l)
		}
		for _, p := range l.Perks {
			if p == "" || strings.ContainsAny(p, "\n") || utf8.RuneCountInString(p) > MaxPerkLen {
				t.Fatalf("perk %q", p)
			}
		}
	})
}
