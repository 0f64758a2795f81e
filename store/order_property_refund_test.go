package store

import (
	"errors"
	"fmt"
	"sync/atomic"
)

// The after-sales actions of the order property test (see refundPropActions):
// buyers ask for refunds (only, or with a return) on lines of paid orders,
// withdraw them; staff approve, reject, confirm returns and refund, with or
// without restocking, through a sandbox provider or the balance.
func init() {
	refundPropActions = append(refundPropActions,
		propAction{"aftersale-request", 8, (*propWorld).aftersaleRequest},
		propAction{"aftersale-approve", 5, (*propWorld).aftersaleApprove},
		propAction{"aftersale-return", 3, (*propWorld).aftersaleReturn},
		propAction{"aftersale-refund", 6, (*propWorld).aftersaleRefund},
		propAction{"aftersale-close", 2, (*propWorld).aftersaleClose},
	)
}

// aftersaleRefusedErr is whether err is a refusal the rules allow (the
// order, the line or the after-sale does not allow it): a validation error
// or a conflict, never anything else.
func aftersaleRefusedErr(err error) bool {
	return err != nil && (len(fieldsOf(err)) > 0 || errors.Is(err, ErrConflict))
}

func (w *propWorld) pickAftersale(status ...AftersaleStatus) (id, customer int64, kind AftersaleKind, ok bool) {
	args := make([]any, len(status))
	for i, s := range status {
		args[i] = string(s)
	}
	rows, err := w.db.r.Query(`SELECT id, customer_id, kind FROM aftersales WHERE status IN (`+placeholders(len(status))+`) ORDER BY id`, args...)
	w.noErr("pick after-sale", err)
	type a struct {
		id, customer int64
		kind         AftersaleKind
	}
	var all []a
	for rows.Next() {
		var x a
		w.noErr("pick after-sale", rows.Scan(&x.id, &x.customer, &x.kind))
		all = append(all, x)
	}
	rows.Close()
	if len(all) == 0 {
		return 0, 0, "", false
	}
	x := all[w.rng.IntN(len(all))]
	return x.id, x.customer, x.kind, true
}

func (w *propWorld) aftersaleRequest() {
	o, ok := w.pickOrder(StatusToShip, StatusShipped, StatusToPickup, StatusCompleted)
	if !ok {
		return
	}
	full, err := w.db.OrderByID(w.t.Context(), o.id)
	w.noErr("read order", err)
	l := full.Lines[w.rng.IntN(len(full.Lines))]
	kind := AftersaleRefundOnly
	if w.rng.IntN(2) == 0 {
		kind = AftersaleReturnRefund
	}
	qty := 1 + w.rng.IntN(max(1, l.Qty-l.RefundedQty))
	id, err := w.db.RequestAftersale(w.t.Context(), o.customer, AftersaleInput{OrderID: o.id, LineID: l.ID, Kind: kind,
		Qty: qty, Reason: "not_wanted"})
	w.log("  request %s ×%d on order %d (%s) line %d (qty %d shipped %d refunded %d) → %d %v",
		kind, qty, o.id, o.status, l.ID, l.Qty, l.ShippedQty, l.RefundedQty, id, err)
	if err != nil && !aftersaleRefusedErr(err) {
		w.fail("request after-sale: %v", err)
	}
}

func (w *propWorld) aftersaleApprove() {
	id, _, _, ok := w.pickAftersale(AftersaleRequested)
	if !ok {
		return
	}
	var err error
	if w.rng.IntN(4) == 0 {
		err = w.db.RejectAftersale(w.t.Context(), id, StaffActor("boss"), "不符合售后条件")
		w.log("  reject after-sale %d → %v", id, err)
	} else {
		err = w.db.ApproveAftersale(w.t.Context(), id, StaffActor("boss"))
		w.log("  approve after-sale %d → %v", id, err)
	}
	w.noErr("approve or reject after-sale", err)
}

func (w *propWorld) aftersaleReturn() {
	if id, customer, _, ok := w.pickAftersale(AftersaleAwaitingReturn); ok {
		err := w.db.SubmitReturnShipping(w.t.Context(), customer, id, "顺丰", fmt.Sprint("SFR", w.step))
		w.log("  return parcel of after-sale %d → %v", id, err)
		w.noErr("submit return", err)
	}
	if id, _, _, ok := w.pickAftersale(AftersaleReturned); ok {
		err := w.db.ConfirmReturn(w.t.Context(), id, StaffActor("boss"))
		w.log("  confirm return of after-sale %d → %v", id, err)
		w.noErr("confirm return", err)
	}
}

func (w *propWorld) aftersaleRefund() {
	id, _, _, ok := w.pickAftersale(AftersaleApproved)
	if !ok {
		return
	}
	restock := w.rng.IntN(2) == 0
	err := w.db.RefundAftersale(w.t.Context(), id, StaffActor("boss"), restock, sandboxRefund(new(atomic.Int32)))
	w.log("  refund after-sale %d (restock %v) → %v", id, restock, err)
	if err != nil && !aftersaleRefusedErr(err) {
		w.fail("refund after-sale: %v", err)
	}
}

func (w *propWorld) aftersaleClose() {
	id, customer, _, ok := w.pickAftersale(AftersaleRequested, AftersaleAwaitingReturn, AftersaleApproved)
	if !ok {
		return
	}
	err := w.db.WithdrawAftersale(w.t.Context(), customer, id)
	w.log("  withdraw after-sale %d → %v", id, err)
	if err != nil && !aftersaleRefusedErr(err) {
		w.fail("withdraw after-sale: %v", err)
	}
}
