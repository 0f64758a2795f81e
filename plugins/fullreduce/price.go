package fullreduce

import (
	"context"
	"database/sql"
	"slices"
	"strconv"
	"time"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// PriceTx is the price filter: for each live offer, the buyable lines in
// its scope that no activity priced are counted (goods amount after the
// earlier discounts, or pieces); the highest tier they reach takes its
// discount off them, spread over them by largest remainder, as one
// order-level adjustment whose ref is the offer's id.
func PriceTx(ctx context.Context, tx *sql.Tx, q *store.Quote, now time.Time) error {
	offers, err := liveOffersTx(ctx, tx, now)
	if err != nil || len(offers) == 0 {
		return err
	}
	var cats categoryTree
	for _, o := range offers {
		if o.Scope == ScopeCategories {
			if cats, err = categoryTreeTx(ctx, tx); err != nil {
				return err
			}
			break
		}
	}
	taken := make([]bool, len(q.Lines)) // a line is in one offer at most
	for _, o := range offers {
		var lines []int
		var amount store.Fen
		var pieces int64
		for i, l := range q.Lines {
			if taken[i] || l.Status != store.CartOK || l.Activity != "" || !o.covers(cats, l) {
				continue
			}
			lines = append(lines, i)
			amount += l.Payable()
			pieces += int64(l.Qty)
		}
		measure := int64(amount)
		if o.Kind == KindPieces {
			measure = pieces
		}
		t, ok := o.Reached(measure)
		if !ok {
			continue
		}
		off := o.DiscountOn(t, amount)
		if off <= 0 {
			continue
		}
		label := o.TierLabel(i18n.ZH, t)
		if q.DiscountLines(lines, store.StageDiscount, ID, label, strconv.FormatInt(o.ID, 10), off) > 0 {
			for _, i := range lines {
				taken[i] = true
			}
		}
	}
	return nil
}

// covers reports whether line l is in o's scope.
func (o *Offer) covers(cats categoryTree, l store.QuoteLine) bool {
	switch o.Scope {
	case ScopeAll:
		return true
	case ScopeProducts:
		return slices.Contains(o.ScopeIDs, l.ProductID)
	case ScopeCategories:
		return cats.in(l.CategoryID, o.ScopeIDs)
	}
	return false
}
