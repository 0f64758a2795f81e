package signin

import (
	"context"
	"testing"

	"github.com/xiaodian/xiaodian/plugins"
)

func TestReward(t *testing.T) {
	r := DefaultRules
	want := map[int][2]int64{1: {5, 0}, 2: {5, 0}, 3: {5, 10}, 6: {5, 0}, 7: {5, 30}, 8: {5, 0}, 10: {5, 10}, 14: {5, 30}}
	for n, w := range want {
		if d, b := r.Reward(n); d != w[0] || b != w[1] {
			t.Errorf("day %d: %d + %d, want %v", n, d, b, w)
		}
	}
	if (Rules{Daily: 2}).DayOf(40) != 40 {
		t.Fatal("no cycle without bonuses")
	}
}

func TestParseBonuses(t *testing.T) {
	bs, err := ParseBonuses(" 7:30，3：10\n14:100 ")
	if err != nil || FormatBonuses(bs) != "3:10,7:30,14:100" {
		t.Fatalf("%v %v", bs, err)
	}
	if bs, err := ParseBonuses(""); err != nil || len(bs) != 0 {
		t.Fatalf("empty: %v %v", bs, err)
	}
	for _, bad := range []string{"3", "0:5", "32:5", "3:0", "3:5,3:6", "a:b", "3:-1"} {
		if _, err := ParseBonuses(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	p := New()
	if err := p.Configure(context.Background(), plugins.SettingValues{"daily": "-1", "bonuses": "7:30"}); err == nil {
		t.Fatal("negative daily accepted")
	}
	if err := p.Configure(context.Background(), plugins.SettingValues{"daily": "3", "bonuses": "2:4"}); err != nil || p.Rules().Daily != 3 || p.Rules().Cycle() != 2 {
		t.Fatalf("configure: %v %+v", err, p.Rules())
	}
}

func FuzzParseBonuses(f *testing.F) {
	f.Add("3:10,7:30")
	f.Add("1:1 2:2")
	f.Add("::,")
	f.Fuzz(func(t *testing.T, s string) {
		bs, err := ParseBonuses(s)
		if err != nil {
			return
		}
		again, err := ParseBonuses(FormatBonuses(bs))
		if err != nil || FormatBonuses(again) != FormatBonuses(bs) {
			t.Fatalf("%q → %v → %v %v", s, bs, again, err)
		}
		for i, b := range bs {
			if b.Day < 1 || b.Day > MaxBonusDay || b.Points < 1 || (i > 0 && bs[i-1].Day >= b.Day) {
				t.Fatalf("%q gave %v", s, bs)
			}
		}
	})
}
