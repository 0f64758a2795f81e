package store

import (
	"context"
	"database/sql"
	"errors"
	"sync/atomic"
	"testing"
)

// A "paying" handler holds a paid order in grouping; ReleaseHeldOrderTx
// sends it on. Virtual orders and orders nobody holds go on at once.
func TestHeldOrderAndRelease(t *testing.T) {
	f := newOrderFixture(t)
	ctx := t.Context()
	var paying []OrderEvent
	f.db.SetOrderHook(func(ctx context.Context, tx *sql.Tx, e OrderEvent) error {
		if e.Action == "paying" {
			paying = append(paying, e)
			if e.From != StatusPendingPayment || e.To != StatusPendingPayment || e.Hold == nil {
				t.Errorf("paying event %+v", e)
			}
			*e.Hold = true
		}
		return nil
	})
	o := f.place(t, "t1", CheckoutItem{f.skus["红 / L"], 1})
	mustPay(t, f.db, f.alice, o.ID)
	if got := mustOrder(t, f.db, o.ID); got.Status != StatusGrouping || got.Paid != o.Payable {
		t.Fatalf("held: %s paid %d", got.Status, got.Paid)
	}
	if len(paying) != 1 {
		t.Fatalf("paying events %d", len(paying))
	}
	if err := f.db.Write(ctx, func(tx *sql.Tx) error {
		return f.db.ReleaseHeldOrderTx(ctx, tx, o.ID, SystemActor, "group_done", "")
	}); err != nil {
		t.Fatal(err)
	}
	if got := mustOrder(t, f.db, o.ID); got.Status != StatusToShip {
		t.Fatalf("released: %s", got.Status)
	}
	if err := f.db.Write(ctx, func(tx *sql.Tx) error {
		return f.db.ReleaseHeldOrderTx(ctx, tx, o.ID, SystemActor, "group_done", "")
	}); !errors.Is(err, ErrOrderState) {
		t.Fatalf("release twice: %v", err)
	}
}

// RefundOrder through a provider: a failure leaves the order as it was and
// a failed refund row; the retry refunds once, closes the order, restocks
// and fires refund then close; a second call is refused. A refund the
// provider finishes later is closed by FinishRefund.
func TestRefundOrderWhole(t *testing.T) {
	f := newOrderFixture(t)
	ctx := t.Context()
	var actions []string
	f.db.SetOrderHook(func(ctx context.Context, tx *sql.Tx, e OrderEvent) error {
		switch e.Action {
		case "paying":
			*e.Hold = true
		case "refund", "close":
			actions = append(actions, e.Action)
		}
		return nil
	})
	sku := f.skus["红 / L"]
	stock0, _ := f.stock(t, sku)
	o := f.place(t, "t1", CheckoutItem{sku, 2})
	mustPay(t, f.db, f.alice, o.ID)

	boom := errors.New("gateway says no")
	err := f.db.RefundOrder(ctx, o.ID, SystemActor, "test", func(context.Context, *Payment, Fen, string) (string, error) { return "", boom })
	if !errors.Is(err, ErrRefundFailed) {
		t.Fatalf("failed refund: %v", err)
	}
	if got := mustOrder(t, f.db, o.ID); got.Status != StatusGrouping || got.Refunded != 0 {
		t.Fatalf("after a failed refund: %s %d", got.Status, got.Refunded)
	}
	var calls atomic.Int32
	if err := f.db.RefundOrder(ctx, o.ID, SystemActor, "test", sandboxRefund(&calls)); err != nil {
		t.Fatal(err)
	}
	got := mustOrder(t, f.db, o.ID)
	if got.Status != StatusClosed || got.Refunded != got.Paid || got.Lines[0].RefundedQty != 2 || calls.Load() != 1 {
		t.Fatalf("refunded: %s %d/%d %+v", got.Status, got.Refunded, got.Paid, got.Lines[0])
	}
	if s, _ := f.stock(t, sku); s != stock0 {
		t.Fatalf("stock %d, was %d", s, stock0)
	}
	if len(actions) != 2 || actions[0] != "refund" || actions[1] != "close" {
		t.Fatalf("events %v", actions)
	}
	if err := f.db.RefundOrder(ctx, o.ID, SystemActor, "test", sandboxRefund(&calls)); !errors.Is(err, ErrOrderState) || calls.Load() != 1 {
		t.Fatalf("refund twice: %v, %d calls", err, calls.Load())
	}

	// Pending at the provider: a second caller is told so; FinishRefund closes it.
	o2 := f.place(t, "t2", CheckoutItem{sku, 1})
	mustPay(t, f.db, f.alice, o2.ID)
	var outNo string
	err = f.db.RefundOrder(ctx, o2.ID, SystemActor, "", func(_ context.Context, _ *Payment, _ Fen, no string) (string, error) {
		outNo = no
		return "P1", ErrRefundPending
	})
	if !errors.Is(err, ErrRefundPending) {
		t.Fatalf("pending: %v", err)
	}
	if err := f.db.RefundOrder(ctx, o2.ID, SystemActor, "", sandboxRefund(&calls)); !errors.Is(err, ErrRefundInProgress) {
		t.Fatalf("while pending: %v", err)
	}
	if err := f.db.FinishRefund(ctx, outNo, "P1", true); err != nil {
		t.Fatal(err)
	}
	if got := mustOrder(t, f.db, o2.ID); got.Status != StatusClosed || got.Refunded != got.Paid {
		t.Fatalf("finished: %s %d", got.Status, got.Refunded)
	}
	if err := f.db.FinishRefund(ctx, outNo, "P1", true); err != nil {
		t.Fatalf("repeated notification: %v", err)
	}
	p, err := f.db.PaymentByID(ctx, got.PaymentID)
	if err != nil || p.Refunded != p.Amount || p.Status != PaymentPaid {
		t.Fatalf("payment %+v %v", p, err)
	}

	// An order that was shipped is not refundable as a whole.
	f.db.SetOrderHook(nil)
	o3 := f.place(t, "t3", CheckoutItem{sku, 1})
	mustPay(t, f.db, f.alice, o3.ID)
	if err := f.db.ShipOrder(ctx, o3.ID, StaffActor("boss"), ShipInput{Carrier: "顺丰速运", TrackingNo: "SF1234567890"}); err != nil {
		t.Fatal(err)
	}
	if err := f.db.RefundOrder(ctx, o3.ID, SystemActor, "", sandboxRefund(&calls)); !errors.Is(err, ErrOrderState) {
		t.Fatalf("shipped: %v", err)
	}
	checkLedger(t, f.db)
}
