package handlers

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/xiaodian/xiaodian/store"
)

// TestCallbackRacesTimeoutJob: a payment callback arriving while the
// unpaid-timeout job cancels the same order leaves one of two consistent
// ends, never a mix: paid (the order waits to ship, its stock sold, no
// refund), or cancelled with the money sent back in full (refunded_late,
// one refund) and the stock released.
func TestCallbackRacesTimeoutJob(t *testing.T) {
	f := newPayFixture(t, AppConfig{})
	ctx := t.Context()
	sp := f.sandboxProvider(t)
	const rounds = 24
	var paid, cancelled int
	for i := range rounds {
		o := f.order(t, 1)
		out := f.startSandbox(t, o.No)
		pay, err := f.a.DB.PaymentByOutTradeNo(ctx, out)
		if err != nil {
			t.Fatal(err)
		}
		// The deadline passed a moment ago: the job may cancel it now. (The
		// sandbox signs on the shop's clock.)
		past := o.PayDeadline.Add(time.Second)
		f.a.DB.SetClock(func() time.Time { return past })
		h, body, err := sp.PaidNotify(pay)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var code int
		wg.Add(2)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				time.Sleep(time.Duration(i%5) * time.Millisecond)
			}
			code = f.notify(t, h, body)
		}()
		go func() {
			defer wg.Done()
			if i%2 == 1 {
				time.Sleep(time.Duration(i%5) * time.Millisecond)
			}
			if _, err := f.a.DB.CancelExpiredOrders(ctx, 100); err != nil {
				t.Error(err)
			}
		}()
		wg.Wait()
		f.a.Handler.WaitBackground()
		f.a.DB.SetClock(time.Now)
		if code != http.StatusOK {
			t.Fatalf("round %d: callback answered %d", i, code)
		}
		got, err := f.a.DB.OrderByID(ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		p, _ := f.a.DB.PaymentByOutTradeNo(ctx, out)
		refunds, n, err := f.a.DB.RefundRecords(ctx, store.RefundFilter{Query: out})
		if err != nil {
			t.Fatal(err)
		}
		switch got.Status {
		case store.StatusToShip:
			paid++
			if got.PaymentID != p.ID || p.Status != store.PaymentPaid || p.Refunded != 0 || n != 0 {
				t.Fatalf("round %d: paid order with payment %+v and %d refunds", i, p, n)
			}
		case store.StatusCancelled:
			cancelled++
			if got.PaymentID != 0 || p.Status != store.PaymentRefundedLate || p.Refunded != p.Amount ||
				n != 1 || refunds[0].Status != store.RefundSucceeded || refunds[0].Amount != p.Amount {
				t.Fatalf("round %d: cancelled order with payment %+v and refunds %+v", i, p, refunds)
			}
		default:
			t.Fatalf("round %d: order %s", i, got.Status)
		}
	}
	// Stock: 50 cups, one sold per paid order, the cancelled ones back.
	o, err := f.a.DB.OrderByID(ctx, f.order(t, 1).ID)
	if err != nil {
		t.Fatal(err)
	}
	prod, err := f.a.DB.ProductByID(ctx, o.Lines[0].ProductID)
	if err != nil {
		t.Fatal(err)
	}
	// One more cup is reserved by the order just placed to find the product.
	if stock := prod.SKUs[0].Stock; stock != 50-paid-1 {
		t.Fatalf("stock %d after %d paid and %d cancelled", stock, paid, cancelled)
	}
	t.Logf("%d paid, %d cancelled and refunded", paid, cancelled)
}
