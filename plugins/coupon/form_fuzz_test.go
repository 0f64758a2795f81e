package coupon

import (
	"testing"
)

// FuzzParseForm: whatever the back office's coupon form posts, parsing
// never panics, and what it accepts (and validate then accepts) has no
// negative amount and a known kind, scope, validity and channel.
func FuzzParseForm(f *testing.F) {
	f.Add("满100减10", "amount", "100", "10", "", "", "all", "", "days", "", "", "7", "0", "1", "centre", false)
	f.Add("折扣", "percent", "0", "", "85", "20.5", "categories", "3,4", "fixed", "2026-12-01T10:00", "2026-12-31T10:00", "", "100", "2", "grant", true)
	f.Add("x", "shipping", "-1", "1e9", "abc", "0.001", "products", "1,,x", "days", "", "", "-3", "9999999999", "0", "x", false)
	f.Fuzz(func(t *testing.T, name, kind, threshold, amount, percent, cap, scope, ids, validity, starts, ends, days, total, perUser, channel string, exclude bool) {
		c, err := parseForm(couponForm{Name: name, Kind: kind, Threshold: threshold, Amount: amount, Percent: percent, Cap: cap,
			Scope: scope, ScopeIDs: ids, Validity: validity, StartsAt: starts, EndsAt: ends, Days: days, Total: total,
			PerUser: perUser, Channel: channel, ScopeExclude: exclude})
		if err != nil {
			return
		}
		if err := c.validate(); err != nil {
			return
		}
		if c.Threshold < 0 || c.Amount < 0 || c.Cap < 0 || c.Total < 0 || c.PerUser < 1 {
			t.Fatalf("accepted negative figures: %+v", c)
		}
		switch c.Kind {
		case KindAmount, KindPercent, KindShipping:
		default:
			t.Fatalf("accepted kind %q", c.Kind)
		}
		if c.Scope != ScopeAll && len(c.ScopeIDs) == 0 {
			t.Fatalf("accepted scope %q without ids", c.Scope)
		}
		for _, id := range c.ScopeIDs {
			if id <= 0 {
				t.Fatalf("accepted scope id %d", id)
			}
		}
	})
}
