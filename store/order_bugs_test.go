package store

import (
	"errors"
	"sync/atomic"
	"testing"
)

// Bugs the order property test and its author found in the store, each a
// minimal failing test, skipped until fixed (the bench helper's report
// describes the fixes). Delete the t.Skip line with the fix.

// A payment that paid its order is not late: recording a late refund for it
// leaves the order paid with its money given back.
func TestRecordLateRefundRefusesTheOrdersPayment(t *testing.T) {
	t.Skip("known bug, see the bench helper report: delete this line with the fix")
	f := newOrderFixture(t)
	o := f.place(t, "t", CheckoutItem{f.skus["红 / L"], 1})
	mustPay(t, f.db, f.alice, o.ID)
	got, _ := f.db.OrderByID(t.Context(), o.ID)
	if err := f.db.RecordLateRefund(t.Context(), got.PaymentID, "R1"); !errors.Is(err, ErrConflict) {
		t.Fatalf("late refund of the payment that paid the order: %v, want ErrConflict", err)
	}
}

// A partly shipped order whose shipped piece is refunded keeps a piece to
// ship, but Unshipped counts the refund against the unshipped pieces: the
// order stays to_ship for ever (ShipOrder says order.ship_nothing, it is
// not closed, nothing receives it).
func TestPartlyShippedOrderWithARefundCanStillShip(t *testing.T) {
	t.Skip("known bug, see the bench helper report: delete this line with the fix")
	f := newOrderFixture(t)
	ctx := t.Context()
	if err := f.db.SetReturnAddress(ctx, ReturnAddress{Name: "售后", Phone: "13800138000", Address: "深圳"}); err != nil {
		t.Fatal(err)
	}
	o := f.place(t, "t", CheckoutItem{f.skus["红 / L"], 2})
	mustPay(t, f.db, f.alice, o.ID)
	line := o.Lines[0].ID
	staff := StaffActor("boss")
	// One piece of two goes out; the buyer gets that one refunded (it
	// arrived broken) while the other is still to ship.
	if err := f.db.ShipOrder(ctx, o.ID, staff, ShipInput{Carrier: "顺丰", TrackingNo: "SF1", Lines: []PackageLine{{line, 1}}}); err != nil {
		t.Fatal(err)
	}
	id, err := f.db.RequestAftersale(ctx, f.alice, AftersaleInput{OrderID: o.ID, LineID: line, Kind: AftersaleRefundOnly, Qty: 1, Reason: "damaged"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.db.ApproveAftersale(ctx, id, staff); err != nil {
		t.Fatal(err)
	}
	if err := f.db.RefundAftersale(ctx, id, staff, false, sandboxRefund(new(atomic.Int32))); err != nil {
		t.Fatal(err)
	}
	got, _ := f.db.OrderByID(ctx, o.ID)
	t.Logf("after the refund: %s, line shipped %d refunded %d of %d, unshipped %d", got.Status, got.Lines[0].ShippedQty, got.Lines[0].RefundedQty, got.Lines[0].Qty, got.Unshipped())
	// The second piece was paid for and never sent: the shop must be able to ship it.
	if err := f.db.ShipOrder(ctx, o.ID, staff, ShipInput{Carrier: "顺丰", TrackingNo: "SF2"}); err != nil {
		t.Fatalf("shipping the piece left: %v (the order stays %s for ever)", err, got.Status)
	}
}
