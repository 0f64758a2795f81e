package fullreduce

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views"
)

// formTime is the layout of a datetime-local input, in the shop's zone.
const formTime = "2006-01-02T15:04"

// OfferForm is the offer form as typed, with its messages.
type OfferForm struct {
	ID       int64
	Name     string
	Kind     string
	Mode     string
	Scope    string
	ScopeIDs string // ids separated by commas or spaces
	StartsAt string
	EndsAt   string
	// Thresholds and Values are the tier rows: yuan or pieces; yuan off or
	// the percent paid.
	Thresholds [MaxTiers]string
	Values     [MaxTiers]string
	Errors     views.FormErrors
}

// Action is where the form posts.
func (f OfferForm) Action() string {
	if f.ID == 0 {
		return "/admin/fullreduce/new"
	}
	return "/admin/fullreduce/" + strconv.FormatInt(f.ID, 10) + "/edit"
}

// newForm is the form of a new offer: 满减 by amount over the shop, from
// now for a week.
func newForm(now time.Time) OfferForm {
	start := now.In(time.Local).Truncate(time.Minute)
	return OfferForm{Kind: KindAmount, Mode: ModeReduce, Scope: ScopeAll,
		StartsAt: start.Format(formTime), EndsAt: start.AddDate(0, 0, 7).Format(formTime)}
}

// formOf is the form showing offer o.
func formOf(o *Offer) OfferForm {
	f := OfferForm{ID: o.ID, Name: o.Name, Kind: o.Kind, Mode: o.Mode, Scope: o.Scope,
		StartsAt: o.StartsAt.In(time.Local).Format(formTime), EndsAt: o.EndsAt.In(time.Local).Format(formTime)}
	ids := make([]string, len(o.ScopeIDs))
	for i, id := range o.ScopeIDs {
		ids[i] = strconv.FormatInt(id, 10)
	}
	f.ScopeIDs = strings.Join(ids, ",")
	for i, t := range o.Tiers {
		if i >= MaxTiers {
			break
		}
		if o.Kind == KindPieces {
			f.Thresholds[i] = strconv.FormatInt(t.Threshold, 10)
		} else {
			f.Thresholds[i] = shortYuan(store.Fen(t.Threshold))
		}
		if o.Mode == ModeDiscount {
			f.Values[i] = strconv.FormatInt(t.Value, 10)
		} else {
			f.Values[i] = shortYuan(store.Fen(t.Value))
		}
	}
	return f
}

// readForm reads the posted form into f.
func readForm(id int64, v url.Values) OfferForm {
	f := OfferForm{ID: id, Name: v.Get("name"), Kind: v.Get("kind"), Mode: v.Get("mode"), Scope: v.Get("scope"),
		ScopeIDs: strings.TrimSpace(v.Get("scope_ids")), StartsAt: v.Get("starts_at"), EndsAt: v.Get("ends_at")}
	for i := range MaxTiers {
		f.Thresholds[i] = strings.TrimSpace(v.Get("threshold_" + strconv.Itoa(i)))
		f.Values[i] = strings.TrimSpace(v.Get("value_" + strconv.Itoa(i)))
	}
	return f
}

// offer parses f into an offer; the errors are what cannot be parsed (the
// offer's own rules are checked by SaveOffer).
func (f OfferForm) offer() (*Offer, store.ValidationErrors) {
	var v store.ValidationErrors
	o := &Offer{ID: f.ID, Name: f.Name, Kind: f.Kind, Mode: f.Mode, Scope: f.Scope}
	for i := range MaxTiers {
		if f.Thresholds[i] == "" && f.Values[i] == "" {
			continue
		}
		var t Tier
		var ok bool
		if t.Threshold, ok = parseMeasure(f.Thresholds[i], f.Kind == KindPieces); !ok {
			v.Add("tiers", "fullreduce.err.threshold", "n", i+1)
			break
		}
		if t.Value, ok = parseMeasure(f.Values[i], f.Mode == ModeDiscount); !ok {
			v.Add("tiers", "fullreduce.err.value", "n", i+1)
			break
		}
		o.Tiers = append(o.Tiers, t)
	}
	if f.Scope != ScopeAll {
		for _, s := range strings.FieldsFunc(f.ScopeIDs, func(r rune) bool { return r == ',' || r == '，' || r == ' ' || r == '\n' }) {
			id, err := strconv.ParseInt(s, 10, 64)
			if err != nil || id <= 0 {
				v.Add("scope_ids", "fullreduce.err.scope_ids")
				break
			}
			o.ScopeIDs = append(o.ScopeIDs, id)
		}
	}
	var err error
	if f.StartsAt != "" {
		if o.StartsAt, err = time.ParseInLocation(formTime, f.StartsAt, time.Local); err != nil {
			v.Add("starts_at", "fullreduce.err.time")
		}
	}
	if f.EndsAt != "" {
		if o.EndsAt, err = time.ParseInLocation(formTime, f.EndsAt, time.Local); err != nil {
			v.Add("ends_at", "fullreduce.err.time")
		}
	}
	return o, v
}

// parseMeasure parses a whole number (pieces, percent) or a yuan amount
// into fen, never through a float.
func parseMeasure(s string, whole bool) (int64, bool) {
	if whole {
		n, err := strconv.ParseInt(s, 10, 64)
		return n, err == nil
	}
	f, err := store.ParseFen(s)
	return int64(f), err == nil
}
