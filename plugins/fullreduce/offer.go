package fullreduce

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xiaodian/xiaodian/store"
)

// Kinds of threshold: what a tier counts.
const (
	KindAmount = "amount" // the goods amount in scope, in fen
	KindPieces = "pieces" // the pieces in scope
)

// Modes of a tier's value.
const (
	ModeReduce   = "reduce"   // 满减: Value fen off
	ModeDiscount = "discount" // 满折: pay Value percent (90 = 9折)
)

// Scopes of an offer.
const (
	ScopeAll        = "all"
	ScopeProducts   = "products"
	ScopeCategories = "categories" // a top category takes in its children
)

// Statuses of an offer.
const (
	StatusActive  = "active"
	StatusStopped = "stopped"
)

// Limits of an offer.
const (
	MaxNameLen  = 30
	MaxTiers    = 5
	MaxScopeIDs = 200
	MaxPieces   = 9999
)

// Tier is one step of an offer: from Threshold (fen or pieces) on, Value
// (fen off, or the percent paid).
type Tier struct {
	Threshold int64 `json:"threshold"`
	Value     int64 `json:"value"`
}

// Offer is a 满减 / 满折 offer.
type Offer struct {
	ID        int64
	Name      string
	Kind      string
	Mode      string
	Tiers     []Tier // thresholds strictly increasing
	Scope     string
	ScopeIDs  []int64 // product or category ids
	StartsAt  time.Time
	EndsAt    time.Time
	Status    string
	CreatedAt time.Time
	UpdatedAt time.Time
	// Stats: the paid orders with its adjustment, what they paid and what
	// the offer took off them. Filled by Offers.
	Orders   int
	Revenue  store.Fen
	Discount store.Fen
}

// Live reports whether o is active and its window holds now.
func (o *Offer) Live(now time.Time) bool {
	return o.Status == StatusActive && !now.Before(o.StartsAt) && now.Before(o.EndsAt)
}

// Reached is the highest tier that measure (fen or pieces) reaches, false
// when it reaches none.
func (o *Offer) Reached(measure int64) (Tier, bool) {
	var best Tier
	ok := false
	for _, t := range o.Tiers {
		if measure >= t.Threshold {
			best, ok = t, true
		}
	}
	return best, ok
}

// DiscountOn is what tier t takes off goods costing payable: Value fen
// (never more than payable), or (100 − percent)% of payable rounded down
// to the fen, so the buyer never pays less than the percent says.
func (o *Offer) DiscountOn(t Tier, payable store.Fen) store.Fen {
	if payable <= 0 {
		return 0
	}
	if o.Mode == ModeDiscount {
		return payable * store.Fen(100-t.Value) / 100
	}
	return min(store.Fen(t.Value), payable)
}

// validate checks o and normalises its text; it does not look at other
// offers (see checkOverlapTx).
func (o *Offer) validate() error {
	var v store.ValidationErrors
	o.Name = strings.TrimSpace(o.Name)
	switch n := utf8.RuneCountInString(o.Name); {
	case n == 0:
		v.Add("name", "validation.required")
	case n > MaxNameLen:
		v.Add("name", "validation.max_len", "max", MaxNameLen)
	}
	if o.Kind != KindAmount && o.Kind != KindPieces {
		v.Add("kind", "fullreduce.err.kind")
	}
	if o.Mode != ModeReduce && o.Mode != ModeDiscount {
		v.Add("mode", "fullreduce.err.mode")
	}
	if o.Status == "" {
		o.Status = StatusActive
	}
	if o.Status != StatusActive && o.Status != StatusStopped {
		v.Add("status", "fullreduce.err.status")
	}
	if err := o.validateTiers(); err != nil {
		v = append(v, err.(*store.ValidationError))
	}
	switch o.Scope {
	case ScopeAll:
		o.ScopeIDs = nil
	case ScopeProducts, ScopeCategories:
		if len(o.ScopeIDs) == 0 {
			v.Add("scope_ids", "fullreduce.err.scope_empty")
		} else if len(o.ScopeIDs) > MaxScopeIDs {
			v.Add("scope_ids", "fullreduce.err.scope_too_many", "max", MaxScopeIDs)
		}
	default:
		v.Add("scope", "fullreduce.err.scope")
	}
	if o.StartsAt.IsZero() {
		v.Add("starts_at", "validation.required")
	}
	if o.EndsAt.IsZero() {
		v.Add("ends_at", "validation.required")
	} else if !o.StartsAt.IsZero() && !o.EndsAt.After(o.StartsAt) {
		v.Add("ends_at", "fullreduce.err.ends_before")
	}
	return v.Err()
}

// validateTiers checks the tiers: 1 to MaxTiers, thresholds and benefits
// strictly increasing (more fen off, or a lower percent paid), every value
// in range, and a reduction below its amount threshold.
func (o *Offer) validateTiers() error {
	if len(o.Tiers) == 0 {
		return store.Invalid("tiers", "fullreduce.err.tiers_empty")
	}
	if len(o.Tiers) > MaxTiers {
		return store.Invalid("tiers", "fullreduce.err.tiers_too_many", "max", MaxTiers)
	}
	for i, t := range o.Tiers {
		if t.Threshold <= 0 || (o.Kind == KindPieces && t.Threshold > MaxPieces) || (o.Kind == KindAmount && store.Fen(t.Threshold) > store.MaxPrice) {
			return store.Invalid("tiers", "fullreduce.err.threshold", "n", i+1)
		}
		switch o.Mode {
		case ModeDiscount:
			if t.Value < 1 || t.Value > 99 {
				return store.Invalid("tiers", "fullreduce.err.percent", "n", i+1)
			}
		default:
			if t.Value <= 0 || store.Fen(t.Value) > store.MaxPrice {
				return store.Invalid("tiers", "fullreduce.err.value", "n", i+1)
			}
			if o.Kind == KindAmount && t.Value >= t.Threshold {
				return store.Invalid("tiers", "fullreduce.err.value_over_threshold", "n", i+1)
			}
		}
		if i == 0 {
			continue
		}
		prev := o.Tiers[i-1]
		if t.Threshold <= prev.Threshold {
			return store.Invalid("tiers", "fullreduce.err.thresholds_increasing")
		}
		if (o.Mode == ModeDiscount && t.Value >= prev.Value) || (o.Mode != ModeDiscount && t.Value <= prev.Value) {
			return store.Invalid("tiers", "fullreduce.err.values_increasing")
		}
	}
	return nil
}
