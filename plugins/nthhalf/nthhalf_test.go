package nthhalf

import (
	"context"
	"testing"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/store"
)

func TestDiscount(t *testing.T) {
	for _, tt := range []struct {
		unit        store.Fen
		qty, n, pct int
		want        store.Fen
	}{
		{unit: 10000, qty: 1, n: 2, pct: 50, want: 0},
		{unit: 10000, qty: 2, n: 2, pct: 50, want: 5000},
		{unit: 10000, qty: 3, n: 2, pct: 50, want: 5000},
		{unit: 10000, qty: 4, n: 2, pct: 50, want: 10000},
		{unit: 9999, qty: 2, n: 2, pct: 50, want: 4999}, // rounded down to the fen
		{unit: 8000, qty: 3, n: 3, pct: 50, want: 4000}, // buy 2, the 3rd at half price
		{unit: 8000, qty: 6, n: 3, pct: 0, want: 16000},
		{unit: 8000, qty: 5, n: 3, pct: 80, want: 1600},
	} {
		if got := Discount(tt.unit, tt.qty, tt.n, tt.pct); got != tt.want {
			t.Errorf("Discount(%d, %d, %d, %d) = %d, want %d", tt.unit, tt.qty, tt.n, tt.pct, got, tt.want)
		}
	}
}

func TestConfigureRefusesAndKeeps(t *testing.T) {
	p := New()
	ctx := context.Background()
	if err := p.Configure(ctx, plugins.SettingValues{"n": "3", "percent": "50", "categories": "7, 9"}); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []plugins.SettingValues{
		{"n": "1", "percent": "50"}, {"n": "2", "percent": "100"}, {"n": "2", "percent": "50", "categories": "7,x"},
	} {
		if err := p.Configure(ctx, bad); err == nil {
			t.Errorf("accepted %v", bad)
		}
	}
	if p.rule.n != 3 || len(p.rule.categories) != 2 {
		t.Fatalf("a refusal changed the rule: %+v", p.rule)
	}
}
