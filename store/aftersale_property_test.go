package store

import (
	"context"
	"errors"
)

// The after-sales actions of the order property test: request, approve,
// reject, withdraw, send back, confirm the return and refund (with or
// without restocking), picked at random like the order actions. A refusal
// the rules allow (a validation message, or a status that no longer fits)
// is part of the game; anything else fails the sequence.
func init() {
	refundPropActions = append(refundPropActions,
		propAction{"aftersale-request", 8, (*propWorld).requestAftersale},
		propAction{"aftersale-approve", 5, (*propWorld).approveAftersale},
		propAction{"aftersale-reject", 1, (*propWorld).rejectAftersale},
		propAction{"aftersale-withdraw", 1, (*propWorld).withdrawAftersale},
		propAction{"aftersale-send-back", 3, (*propWorld).sendBackAftersale},
		propAction{"aftersale-confirm-return", 3, (*propWorld).confirmReturn},
		propAction{"aftersale-refund", 6, (*propWorld).refundAftersale},
	)
}

// refused reports whether err is a refusal the rules allow.
func refused(err error) bool {
	var one *ValidationError
	var many ValidationErrors
	return errors.As(err, &one) || errors.As(err, &many) || errors.Is(err, ErrConflict) || errors.Is(err, ErrNotFound)
}

func (w *propWorld) allowRefusal(what string, err error) {
	w.t.Helper()
	if err != nil && !refused(err) {
		w.fail("%s: %v", what, err)
	}
	if err != nil {
		w.log("  refused: %v", err)
	}
}

func (w *propWorld) requestAftersale() {
	o, ok := w.pickOrder(StatusToShip, StatusShipped, StatusToPickup, StatusCompleted)
	if !ok {
		return
	}
	full, err := w.db.OrderByID(w.t.Context(), o.id)
	w.noErr("read order", err)
	l := full.Lines[w.rng.IntN(len(full.Lines))]
	left := l.Qty - l.RefundedQty
	if left <= 0 {
		return
	}
	kind := AftersaleRefundOnly
	if o.status == StatusShipped || o.status == StatusCompleted {
		if w.rng.IntN(2) == 0 {
			kind = AftersaleReturnRefund
		}
	}
	in := AftersaleInput{OrderID: o.id, LineID: l.ID, Kind: kind, Qty: 1 + w.rng.IntN(left), Reason: "quality"}
	_, err = w.db.RequestAftersale(w.t.Context(), o.customer, in)
	w.log("  order %d line %d %s qty %d", o.id, l.ID, kind, in.Qty)
	w.allowRefusal("request after-sale", err)
}

// pickAftersale picks an after-sale in one of the statuses.
func (w *propWorld) pickAftersale(want ...AftersaleStatus) (id, customer int64, ok bool) {
	args := make([]any, len(want))
	for i, s := range want {
		args[i] = string(s)
	}
	rows, err := w.db.r.Query(`SELECT id, customer_id FROM aftersales WHERE status IN (`+placeholders(len(want))+`) ORDER BY id`, args...)
	w.noErr("pick after-sale", err)
	defer rows.Close()
	type pick struct{ id, customer int64 }
	var picks []pick
	for rows.Next() {
		var p pick
		w.noErr("pick after-sale", rows.Scan(&p.id, &p.customer))
		picks = append(picks, p)
	}
	if len(picks) == 0 {
		return 0, 0, false
	}
	p := picks[w.rng.IntN(len(picks))]
	w.log("  after-sale %d", p.id)
	return p.id, p.customer, true
}

func (w *propWorld) approveAftersale() {
	id, _, ok := w.pickAftersale(AftersaleRequested)
	if !ok {
		return
	}
	ctx := w.t.Context()
	if a, _ := w.db.ReturnAddress(ctx); a.Address == "" {
		w.noErr("return address", w.db.SetReturnAddress(ctx, ReturnAddress{Name: "售后部", Phone: "0755-86001234", Address: "深圳市南山区科技园 8 栋"}))
	}
	w.allowRefusal("approve", w.db.ApproveAftersale(ctx, id, StaffActor("boss")))
}

func (w *propWorld) rejectAftersale() {
	if id, _, ok := w.pickAftersale(AftersaleRequested); ok {
		w.allowRefusal("reject", w.db.RejectAftersale(w.t.Context(), id, StaffActor("boss"), "不符合售后条件"))
	}
}

func (w *propWorld) withdrawAftersale() {
	if id, customer, ok := w.pickAftersale(AftersaleRequested, AftersaleAwaitingReturn); ok {
		w.allowRefusal("withdraw", w.db.WithdrawAftersale(w.t.Context(), customer, id))
	}
}

func (w *propWorld) sendBackAftersale() {
	if id, customer, ok := w.pickAftersale(AftersaleAwaitingReturn); ok {
		w.allowRefusal("send back", w.db.SubmitReturnShipping(w.t.Context(), customer, id, "顺丰速运", "SF123456"))
	}
}

func (w *propWorld) confirmReturn() {
	if id, _, ok := w.pickAftersale(AftersaleReturned); ok {
		w.allowRefusal("confirm return", w.db.ConfirmReturn(w.t.Context(), id, StaffActor("boss")))
	}
}

func (w *propWorld) refundAftersale() {
	id, _, ok := w.pickAftersale(AftersaleApproved)
	if !ok {
		return
	}
	ctx := w.t.Context()
	before, err := w.db.AftersaleByID(ctx, id)
	w.noErr("read after-sale", err)
	var orderRefunded Fen
	w.noErr("read order", w.db.r.QueryRow(`SELECT refunded_fen FROM orders WHERE id = ?`, before.OrderID).Scan(&orderRefunded))
	restock := w.rng.IntN(2) == 0
	err = w.db.RefundAftersale(ctx, id, StaffActor("boss"), restock, func(ctx context.Context, p *Payment, amount Fen, outNo string) (string, error) {
		return "SBR" + outNo, nil
	})
	w.allowRefusal("refund", err)
	if err != nil {
		return
	}
	after, err := w.db.AftersaleByID(ctx, id)
	w.noErr("read after-sale", err)
	var nowRefunded Fen
	w.noErr("read order", w.db.r.QueryRow(`SELECT refunded_fen FROM orders WHERE id = ?`, before.OrderID).Scan(&nowRefunded))
	if after.Status != AftersaleRefunded || nowRefunded != orderRefunded+before.Amount {
		w.fail("refund of after-sale %d: status %s, order refunded %d → %d, amount %d", id, after.Status,
			orderRefunded, nowRefunded, before.Amount)
	}
}
