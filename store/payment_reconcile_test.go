package store

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestLateRefundLifecycle: a late payment's refund is recorded pending
// once (racing callers: one wins), finishes the attempt refunded_late, and
// after a failure the next try gets a new number.
func TestLateRefundLifecycle(t *testing.T) {
	f := newOrderFixture(t)
	ctx := t.Context()
	o := f.place(t, "t", CheckoutItem{f.skus["红 / L"], 1})
	n, p := payNotice(t, f.db, f.alice, o.ID)
	if err := f.db.CancelOrder(ctx, f.alice, o.ID, ""); err != nil {
		t.Fatal(err)
	}
	if r, _, err := f.db.ApplyPayment(ctx, n); err != nil || r != ApplyLate {
		t.Fatalf("late payment = %v, %v", r, err)
	}
	if late, err := f.db.UnrefundedLatePayments(ctx, time.Now().Add(time.Hour), 10); err != nil || len(late) != 1 || late[0].ID != p.ID {
		t.Fatalf("unrefunded late payments %v, %v", late, err)
	}
	var wins atomic.Int32
	var lr *LateRefund
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := f.db.BeginLateRefund(ctx, p.ID)
			switch {
			case err == nil:
				wins.Add(1)
				mu.Lock()
				lr = got
				mu.Unlock()
			case !errors.Is(err, ErrConflict):
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 || lr.OutRefundNo != "L"+p.OutTradeNo || lr.Amount != p.Amount {
		t.Fatalf("%d winners, refund %+v", wins.Load(), lr)
	}
	if late, _ := f.db.UnrefundedLatePayments(ctx, time.Now().Add(time.Hour), 10); len(late) != 0 {
		t.Fatal("a late payment with a pending refund is listed as unrefunded")
	}
	if err := f.db.FinishRefund(ctx, lr.OutRefundNo, "WX1", false); err != nil {
		t.Fatal(err)
	}
	if late, _ := f.db.UnrefundedLatePayments(ctx, time.Now().Add(time.Hour), 10); len(late) != 1 {
		t.Fatal("a late payment whose refund failed is not listed again")
	}
	lr2, err := f.db.BeginLateRefund(ctx, p.ID)
	if err != nil || lr2.OutRefundNo != "L"+p.OutTradeNo+"-2" {
		t.Fatalf("second try %+v, %v", lr2, err)
	}
	if err := f.db.FinishRefund(ctx, lr2.OutRefundNo, "WX2", true); err != nil {
		t.Fatal(err)
	}
	if err := f.db.FinishRefund(ctx, lr2.OutRefundNo, "WX2", true); err != nil {
		t.Fatalf("repeated notification: %v", err)
	}
	got, _ := f.db.PaymentByID(ctx, p.ID)
	if got.Status != PaymentRefundedLate || got.Refunded != got.Amount {
		t.Fatalf("payment %+v", got)
	}
	if _, err := f.db.BeginLateRefund(ctx, p.ID); !errors.Is(err, ErrConflict) {
		t.Fatalf("refunding a refunded payment: %v", err)
	}
	// The order's own payment is never a late payment.
	o2 := f.place(t, "t2", CheckoutItem{f.skus["红 / L"], 1})
	n2, p2 := payNotice(t, f.db, f.alice, o2.ID)
	if r, _, err := f.db.ApplyPayment(ctx, n2); err != nil || r != ApplyPaid {
		t.Fatal(r, err)
	}
	if _, err := f.db.BeginLateRefund(ctx, p2.ID); !errors.Is(err, ErrConflict) {
		t.Fatalf("late refund of an order's own payment: %v", err)
	}
}

// TestPaymentsToCheck: pending attempts are checked after a while, with a
// growing pause between checks; closed ones until the gateway is told.
func TestPaymentsToCheck(t *testing.T) {
	f := newOrderFixture(t)
	ctx := t.Context()
	now := time.Now()
	f.db.SetClock(func() time.Time { return now })
	o := f.place(t, "t", CheckoutItem{f.skus["红 / L"], 1})
	_, p := payNotice(t, f.db, f.alice, o.ID)
	due := func() []Payment {
		t.Helper()
		ps, err := f.db.PaymentsToCheck(ctx, now.Add(-2*time.Minute), 10)
		if err != nil {
			t.Fatal(err)
		}
		return ps
	}
	if len(due()) != 0 {
		t.Fatal("a fresh attempt is due")
	}
	now = now.Add(3 * time.Minute)
	if ps := due(); len(ps) != 1 || ps[0].ID != p.ID {
		t.Fatalf("due %v", ps)
	}
	if err := f.db.MarkPaymentChecked(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	if len(due()) != 0 {
		t.Fatal("due again right after a check")
	}
	now = now.Add(3 * time.Minute)
	if len(due()) != 1 {
		t.Fatal("not due again after the pause")
	}
	closed, err := f.db.MarkPaymentClosed(ctx, p.ID)
	if err != nil || !closed {
		t.Fatal(closed, err)
	}
	got, _ := f.db.PaymentByID(ctx, p.ID)
	if got.Status != PaymentClosed {
		t.Fatalf("status %s", got.Status)
	}
	now = now.Add(time.Hour)
	if len(due()) != 0 {
		t.Fatal("an attempt the gateway closed is due")
	}
	// An order cancelled on our side: its attempt is closed but the gateway
	// was not told; it is due until it is.
	o2 := f.place(t, "t2", CheckoutItem{f.skus["红 / L"], 1})
	_, p2 := payNotice(t, f.db, f.alice, o2.ID)
	if err := f.db.CancelOrder(ctx, f.alice, o2.ID, ""); err != nil {
		t.Fatal(err)
	}
	now = now.Add(3 * time.Minute)
	if ps := due(); len(ps) != 1 || ps[0].ID != p2.ID || ps[0].Status != PaymentClosed {
		t.Fatalf("due %v", ps)
	}
	if _, err := f.db.MarkPaymentClosed(ctx, p2.ID); err != nil {
		t.Fatal(err)
	}
	if len(due()) != 0 {
		t.Fatal("still due after the gateway was told")
	}
}

func TestIdentitiesAndRefCodes(t *testing.T) {
	f := newOrderFixture(t)
	ctx := t.Context()
	id := Identity{Namespace: "wechat:wx1", Subject: "oA", Nickname: "小明"}
	if err := f.db.LinkIdentity(ctx, f.alice, id); err != nil {
		t.Fatal(err)
	}
	if err := f.db.LinkIdentity(ctx, f.alice, id); err != nil {
		t.Fatalf("linking again: %v", err)
	}
	if err := f.db.LinkIdentity(ctx, f.bo, id); !errors.Is(err, ErrIdentityTaken) {
		t.Fatalf("someone else's identity: %v", err)
	}
	if err := f.db.LinkIdentity(ctx, f.alice, Identity{Namespace: "wechat:wx1", Subject: "oB"}); !errors.Is(err, ErrIdentityTaken) {
		t.Fatalf("a second OpenID of the AppID: %v", err)
	}
	if err := f.db.LinkIdentity(ctx, f.alice, Identity{Namespace: "wechat:wx2", Subject: "oA"}); err != nil {
		t.Fatalf("another AppID: %v", err)
	}
	if c, err := f.db.CustomerByIdentity(ctx, "wechat:wx1", "oA"); err != nil || c.ID != f.alice {
		t.Fatalf("by identity: %v, %v", c, err)
	}
	if ids, _ := f.db.CustomerIdentities(ctx, f.alice); len(ids) != 2 || ids["wechat:wx1"] != "oA" {
		t.Fatalf("identities %v", ids)
	}
	// A registration whose phone is taken links nothing.
	_, err := f.db.RegisterCustomerWithIdentity(ctx, "13800138000", "password1", Identity{Namespace: "wechat:wx1", Subject: "oC"})
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Key != "account.phone_taken" {
		t.Fatalf("taken phone: %v", err)
	}
	if _, err := f.db.CustomerByIdentity(ctx, "wechat:wx1", "oC"); !errors.Is(err, ErrNotFound) {
		t.Fatal("a failed registration linked its identity")
	}
	c, err := f.db.RegisterCustomerWithIdentity(ctx, "13700137000", "password1", Identity{Namespace: "wechat:wx1", Subject: "oC", Nickname: "一个很长很长很长很长很长很长很长很长的昵称"})
	if err != nil || c.Nickname == "" {
		t.Fatalf("register with identity: %+v, %v", c, err)
	}
	// Referral codes: one per customer, stable, even when asked at once.
	codes := make(chan string, 10)
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, err := f.db.RefCode(ctx, c.ID)
			if err != nil {
				t.Error(err)
			}
			codes <- code
		}()
	}
	wg.Wait()
	close(codes)
	first := ""
	for code := range codes {
		if first == "" {
			first = code
		}
		if code != first || !ValidRefCode(code) {
			t.Fatalf("codes differ or malformed: %q %q", code, first)
		}
	}
	if other, _ := f.db.RefCode(ctx, f.alice); other == first {
		t.Fatal("two customers share a code")
	}
	if got, err := f.db.CustomerByRefCode(ctx, first); err != nil || got.ID != c.ID {
		t.Fatalf("by code: %v, %v", got, err)
	}
	for _, bad := range []string{"", "abcdefgh", "ABCDEFG0", "ABCDEFGHI"} {
		if ValidRefCode(bad) {
			t.Errorf("ValidRefCode(%q)", bad)
		}
	}
}
