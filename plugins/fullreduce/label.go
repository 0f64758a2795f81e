package fullreduce

import (
	"strconv"
	"strings"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// TierLabel says tier t of o in locale l, e.g. "满100减10", "满2件打9折".
func (o *Offer) TierLabel(l i18n.Locale, t Tier) string {
	threshold := shortYuan(store.Fen(t.Threshold))
	if o.Kind == KindPieces {
		threshold = strconv.FormatInt(t.Threshold, 10)
	}
	if o.Mode == ModeDiscount {
		return i18n.T(l, "fullreduce.label."+o.Kind+"_discount", "threshold", threshold,
			"zhe", zhe(t.Value), "off", strconv.FormatInt(100-t.Value, 10))
	}
	return i18n.T(l, "fullreduce.label."+o.Kind+"_reduce", "threshold", threshold, "value", shortYuan(store.Fen(t.Value)))
}

// TiersLabel says every tier of o, separated by "，".
func (o *Offer) TiersLabel(l i18n.Locale) string {
	parts := make([]string, len(o.Tiers))
	for i, t := range o.Tiers {
		parts[i] = o.TierLabel(l, t)
	}
	return strings.Join(parts, i18n.T(l, "fullreduce.label.sep"))
}

// shortYuan is f in yuan without the sign and without zero decimals:
// 10000 → "100", 9950 → "99.5".
func shortYuan(f store.Fen) string {
	s := f.String()
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// zhe is a percent as 折: 90 → "9", 85 → "8.5", 5 → "0.5".
func zhe(percent int64) string {
	if percent%10 == 0 {
		return strconv.FormatInt(percent/10, 10)
	}
	return strconv.FormatInt(percent/10, 10) + "." + strconv.FormatInt(percent%10, 10)
}
