package store

import (
	"errors"
	"testing"
)

// Bugs the order property test found, each kept as a minimal test.

// A payment that paid its order is not late: recording a late refund for it
// leaves the order paid with its money given back.
func TestRecordLateRefundRefusesTheOrdersPayment(t *testing.T) {
	f := newOrderFixture(t)
	o := f.place(t, "t", CheckoutItem{f.skus["红 / L"], 1})
	mustPay(t, f.db, f.alice, o.ID)
	got, _ := f.db.OrderByID(t.Context(), o.ID)
	if err := f.db.RecordLateRefund(t.Context(), got.PaymentID, "R1"); !errors.Is(err, ErrConflict) {
		t.Fatalf("late refund of the payment that paid the order: %v, want ErrConflict", err)
	}
}
