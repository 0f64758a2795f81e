package store

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// sandboxRefund is a provider that always refunds, counting its calls.
func sandboxRefund(calls *atomic.Int32) RefundFunc {
	return func(_ context.Context, _ *Payment, _ Fen, outRefundNo string) (string, error) {
		calls.Add(1)
		return "SBR" + outRefundNo, nil
	}
}

func mustRequest(t *testing.T, db *DB, customer int64, in AftersaleInput) int64 {
	t.Helper()
	if in.Reason == "" {
		in.Reason = "not_wanted"
	}
	id, err := db.RequestAftersale(t.Context(), customer, in)
	if err != nil {
		t.Fatalf("request %+v: %v", in, err)
	}
	return id
}

func mustAftersale(t *testing.T, db *DB, id int64) *Aftersale {
	t.Helper()
	a, err := db.AftersaleByID(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func mustOrder(t *testing.T, db *DB, id int64) *Order {
	t.Helper()
	o, err := db.OrderByID(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func setReturnAddress(t *testing.T, db *DB) {
	t.Helper()
	if err := db.SetReturnAddress(t.Context(), ReturnAddress{Name: "售后部", Phone: "0755-1234567", Address: "深圳市南山区科技园 1 号"}); err != nil {
		t.Fatal(err)
	}
}

func TestRequestAftersaleRules(t *testing.T) {
	f := newOrderFixture(t)
	ctx := t.Context()
	now := time.Unix(1_800_000_000, 0)
	f.db.SetClock(func() time.Time { return now })
	red := f.skus["红 / L"]
	unpaid := f.place(t, "u", CheckoutItem{red, 1})
	o := f.place(t, "t", CheckoutItem{red, 3}) // 3 × 60.00
	mustPay(t, f.db, f.alice, o.ID)
	line := o.Lines[0].ID
	photo := "0123456789abcdef0123456789abcdef.jpg"
	base := AftersaleInput{OrderID: o.ID, LineID: line, Kind: AftersaleRefundOnly, Qty: 1, Reason: "not_wanted"}
	with := func(fn func(*AftersaleInput)) AftersaleInput { in := base; fn(&in); return in }

	for _, tt := range []struct {
		name  string
		in    AftersaleInput
		field string
		key   string
	}{
		{"bad kind", with(func(in *AftersaleInput) { in.Kind = "exchange" }), "kind", "aftersale.kind_invalid"},
		{"zero qty", with(func(in *AftersaleInput) { in.Qty = 0 }), "qty", "aftersale.qty_invalid"},
		{"too many", with(func(in *AftersaleInput) { in.Qty = 4 }), "qty", "aftersale.qty_too_many"},
		{"negative amount", with(func(in *AftersaleInput) { in.Amount = -1 }), "amount", "aftersale.amount_invalid"},
		{"amount over the paid share", with(func(in *AftersaleInput) { in.Amount = 6001 }), "amount", "aftersale.amount_too_much"},
		{"no reason", with(func(in *AftersaleInput) { in.Reason = "" }), "reason", "aftersale.reason_required"},
		{"unknown reason", with(func(in *AftersaleInput) { in.Reason = "because" }), "reason", "aftersale.reason_required"},
		{"long description", with(func(in *AftersaleInput) { in.Description = string(make([]rune, 501)) }), "description", "aftersale.description_too_long"},
		{"bad photo key", with(func(in *AftersaleInput) { in.Photos = []string{"../../etc/passwd"} }), "photos", "aftersale.photo_invalid"},
		{"seven photos", with(func(in *AftersaleInput) { in.Photos = []string{photo, photo, photo, photo, photo, photo, photo} }), "photos", "aftersale.too_many_photos"},
		{"return before shipping", with(func(in *AftersaleInput) { in.Kind = AftersaleReturnRefund }), "kind", "aftersale.return_not_shipped"},
		{"unpaid order", with(func(in *AftersaleInput) { in.OrderID, in.LineID = unpaid.ID, unpaid.Lines[0].ID }), "order", "aftersale.order_not_eligible"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.db.RequestAftersale(ctx, f.alice, tt.in)
			if got := fieldsOf(err)[tt.field]; got != tt.key {
				t.Fatalf("err = %v, want %s on %s", err, tt.key, tt.field)
			}
		})
	}
	// Someone else's order, or a line of another order, does not exist.
	if _, err := f.db.RequestAftersale(ctx, f.bo, base); !errors.Is(err, ErrNotFound) {
		t.Fatalf("bo asks on alice's order: %v", err)
	}
	if _, err := f.db.RequestAftersale(ctx, f.alice, with(func(in *AftersaleInput) { in.LineID = unpaid.Lines[0].ID })); !errors.Is(err, ErrNotFound) {
		t.Fatalf("line of another order: %v", err)
	}
	var n int
	f.db.r.QueryRow(`SELECT COUNT(*) FROM aftersales`).Scan(&n)
	if n != 0 {
		t.Fatalf("%d after-sales after refused requests", n)
	}

	id := mustRequest(t, f.db, f.alice, with(func(in *AftersaleInput) { in.Photos = []string{photo}; in.Description = " 不想要了 " }))
	a := mustAftersale(t, f.db, id)
	if a.Status != AftersaleRequested || a.Amount != 6000 || a.Shipping != 0 || a.Qty != 1 || a.Description != "不想要了" ||
		len(a.Photos) != 1 || a.Title == "" || a.OrderNo != o.No || len(a.Logs) != 1 || a.Logs[0].Action != "request" {
		t.Fatalf("after-sale = %+v", a)
	}
	if got := mustOrder(t, f.db, o.ID); got.OpenAftersales != 1 {
		t.Fatalf("open after-sales = %d", got.OpenAftersales)
	}
	// One open after-sale per line.
	if _, err := f.db.RequestAftersale(ctx, f.alice, base); fieldsOf(err)["line"] != "aftersale.already_open" {
		t.Fatalf("second open after-sale: %v", err)
	}
	// Nothing reached the buyer's inbox or anyone else's.
	f.db.r.QueryRow(`SELECT COUNT(*) FROM messages`).Scan(&n)
	if n != 0 {
		t.Fatalf("%d messages sent", n)
	}

	// A completed order takes after-sales for aftersale.days after completion.
	c := f.place(t, "c", CheckoutItem{red, 1})
	mustPay(t, f.db, f.alice, c.ID)
	if err := f.db.ShipOrder(ctx, c.ID, StaffActor("boss"), ShipInput{Carrier: "顺丰", TrackingNo: "SF1"}); err != nil {
		t.Fatal(err)
	}
	if err := f.db.ConfirmReceipt(ctx, f.alice, c.ID); err != nil {
		t.Fatal(err)
	}
	now = now.Add(7*24*time.Hour + time.Second)
	late := AftersaleInput{OrderID: c.ID, LineID: c.Lines[0].ID, Kind: AftersaleReturnRefund, Qty: 1, Reason: "quality"}
	if _, err := f.db.RequestAftersale(ctx, f.alice, late); fieldsOf(err)["order"] != "aftersale.too_late" {
		t.Fatalf("after 7 days: %v", err)
	}
	if err := f.db.SetSetting(ctx, SettingAftersaleDays, "10"); err != nil {
		t.Fatal(err)
	}
	mustRequest(t, f.db, f.alice, late)
}

func TestAftersaleAmountsAreFairAndAddUp(t *testing.T) {
	f := newOrderFixture(t)
	ctx := t.Context()
	o := f.place(t, "t", CheckoutItem{f.skus["红 / L"], 3})
	if err := f.db.RepriceOrder(ctx, o.ID, 10000, StaffActor("boss"), "优惠"); err != nil {
		t.Fatal(err)
	}
	mustPay(t, f.db, f.alice, o.ID)
	line := o.Lines[0].ID
	staff := StaffActor("boss")
	var calls atomic.Int32
	refund := func(qty int, amount Fen) *Aftersale {
		t.Helper()
		id := mustRequest(t, f.db, f.alice, AftersaleInput{OrderID: o.ID, LineID: line, Kind: AftersaleRefundOnly, Qty: qty, Amount: amount})
		if err := f.db.ApproveAftersale(ctx, id, staff); err != nil {
			t.Fatal(err)
		}
		if err := f.db.RefundAftersale(ctx, id, staff, false, sandboxRefund(&calls)); err != nil {
			t.Fatal(err)
		}
		return mustAftersale(t, f.db, id)
	}
	// 100.00 for 3 pieces: 33.33, then asked for less (10.00), then the last
	// piece takes what is left of the line: 100.00 − 43.33.
	if a := refund(1, 0); a.Amount != 3333 || a.Status != AftersaleRefunded || len(a.Refunds) != 1 ||
		a.Refunds[0].Status != RefundSucceeded || a.Refunds[0].ProviderRefundID != "SBR"+a.Refunds[0].OutRefundNo {
		t.Fatalf("first piece = %+v", a)
	}
	if a := refund(1, 1000); a.Amount != 1000 {
		t.Fatalf("second piece = %d", a.Amount)
	}
	got := mustOrder(t, f.db, o.ID)
	if got.Lines[0].RefundedQty != 2 || got.Lines[0].Refunded != 4333 || got.Refunded != 4333 || got.Status != StatusToShip {
		t.Fatalf("after two refunds: line %+v order refunded %d %s", got.Lines[0], got.Refunded, got.Status)
	}
	if _, err := f.db.RequestAftersale(ctx, f.alice, AftersaleInput{OrderID: o.ID, LineID: line, Kind: AftersaleRefundOnly,
		Qty: 1, Amount: 5668, Reason: "other"}); fieldsOf(err)["amount"] != "aftersale.amount_too_much" {
		t.Fatalf("more than what is left: %v", err)
	}
	if a := refund(1, 0); a.Amount != 5667 {
		t.Fatalf("last piece = %d, want 5667", a.Amount)
	}
	got = mustOrder(t, f.db, o.ID)
	if got.Lines[0].Refunded != 10000 || got.Refunded != 10000 || got.Status != StatusClosed || got.OpenAftersales != 0 {
		t.Fatalf("after the last piece: line %+v order %d %s", got.Lines[0], got.Refunded, got.Status)
	}
	if got.Logs[len(got.Logs)-1].Action != "close" || got.Logs[len(got.Logs)-1].To != StatusClosed {
		t.Fatalf("order log = %+v", got.Logs[len(got.Logs)-1])
	}
	p, _ := f.db.PaymentByID(ctx, got.PaymentID)
	if p.Refunded != 10000 || calls.Load() != 3 {
		t.Fatalf("payment refunded %d, provider calls %d", p.Refunded, calls.Load())
	}
	if _, err := f.db.RequestAftersale(ctx, f.alice, AftersaleInput{OrderID: o.ID, LineID: line, Kind: AftersaleRefundOnly,
		Qty: 1, Reason: "other"}); fieldsOf(err)["order"] != "aftersale.order_not_eligible" {
		t.Fatalf("closed order: %v", err)
	}
}

func TestAftersaleShippingOnlyWithTheLastUnshippedPieces(t *testing.T) {
	f := newOrderFixture(t)
	ctx := t.Context()
	tpl, err := f.db.CreateShippingTemplate(ctx, ShippingTemplateInput{Name: "快递", Method: "piece",
		Default: ShippingRuleInput{FirstUnits: "1", FirstFen: "10", ExtraUnits: "1", ExtraFen: "0"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.db.SetDefaultShippingTemplate(ctx, tpl); err != nil {
		t.Fatal(err)
	}
	red, blue := f.skus["红 / L"], f.skus["蓝 / M"]
	redStock, _ := f.stock(t, red)
	blueStock, _ := f.stock(t, blue)
	o := f.place(t, "t", CheckoutItem{red, 1}, CheckoutItem{blue, 2})
	if o.Shipping != 1000 || o.Payable != 6000+12200+1000 {
		t.Fatalf("order = shipping %d payable %d", o.Shipping, o.Payable)
	}
	mustPay(t, f.db, f.alice, o.ID)
	staff := StaffActor("boss")
	var calls atomic.Int32
	do := func(order, line int64, qty int) *Aftersale {
		t.Helper()
		id := mustRequest(t, f.db, f.alice, AftersaleInput{OrderID: order, LineID: line, Kind: AftersaleRefundOnly, Qty: qty})
		if err := f.db.ApproveAftersale(ctx, id, staff); err != nil {
			t.Fatal(err)
		}
		if err := f.db.RefundAftersale(ctx, id, staff, true, sandboxRefund(&calls)); err != nil {
			t.Fatal(err)
		}
		return mustAftersale(t, f.db, id)
	}
	if a := do(o.ID, o.Lines[0].ID, 1); a.Amount != 6000 || a.Shipping != 0 {
		t.Fatalf("red = %d (+%d)", a.Amount, a.Shipping)
	}
	if a := do(o.ID, o.Lines[1].ID, 1); a.Amount != 6100 || a.Shipping != 0 {
		t.Fatalf("one blue = %d (+%d)", a.Amount, a.Shipping)
	}
	// The last unrefunded piece of an unshipped order brings the shipping.
	if a := do(o.ID, o.Lines[1].ID, 1); a.Amount != 7100 || a.Shipping != 1000 {
		t.Fatalf("last blue = %d (+%d)", a.Amount, a.Shipping)
	}
	got := mustOrder(t, f.db, o.ID)
	if got.Refunded != got.Paid || got.Status != StatusClosed || got.Lines[1].Refunded != 12200 || got.Lines[1].RestockedQty != 2 {
		t.Fatalf("order = refunded %d of %d, %s, line %+v", got.Refunded, got.Paid, got.Status, got.Lines[1])
	}
	if s, sales := f.stock(t, red); s != redStock || sales != 0 {
		t.Fatalf("red stock, sales = %d, %d; want %d, 0", s, sales, redStock)
	}
	if s, sales := f.stock(t, blue); s != blueStock || sales != 0 {
		t.Fatalf("blue stock, sales = %d, %d", s, sales)
	}

	// Once anything shipped, shipping is not refunded.
	o2 := f.place(t, "t2", CheckoutItem{red, 1}, CheckoutItem{blue, 1})
	mustPay(t, f.db, f.alice, o2.ID)
	if err := f.db.ShipOrder(ctx, o2.ID, staff, ShipInput{Carrier: "顺丰", TrackingNo: "SF1",
		Lines: []PackageLine{{o2.Lines[0].ID, 1}}}); err != nil {
		t.Fatal(err)
	}
	do(o2.ID, o2.Lines[1].ID, 1)
	id := mustRequest(t, f.db, f.alice, AftersaleInput{OrderID: o2.ID, LineID: o2.Lines[0].ID, Kind: AftersaleReturnRefund, Qty: 1})
	if a := mustAftersale(t, f.db, id); a.Amount != 6000 || a.Shipping != 0 {
		t.Fatalf("after shipping = %d (+%d)", a.Amount, a.Shipping)
	}
}

func TestAftersaleReturnFlowWithBalance(t *testing.T) {
	f := newOrderFixture(t)
	ctx := t.Context()
	now := time.Unix(1_800_000_000, 0)
	f.db.SetClock(func() time.Time { return now })
	credit(t, f.db, f.alice, 20000)
	red := f.skus["红 / L"]
	o := f.place(t, "t", CheckoutItem{red, 2})
	if err := f.db.PayWithBalance(ctx, f.alice, o.ID); err != nil {
		t.Fatal(err)
	}
	staff := StaffActor("boss")
	if err := f.db.ShipOrder(ctx, o.ID, staff, ShipInput{Carrier: "顺丰", TrackingNo: "SF1"}); err != nil {
		t.Fatal(err)
	}
	shipped := mustOrder(t, f.db, o.ID)
	id := mustRequest(t, f.db, f.alice, AftersaleInput{OrderID: o.ID, LineID: o.Lines[0].ID, Kind: AftersaleReturnRefund,
		Qty: 2, Reason: "quality"})

	// Automatic receipt waits while the after-sale is open.
	now = now.Add(8 * 24 * time.Hour)
	if n, _ := f.db.AutoReceive(ctx, 10); n != 0 {
		t.Fatal("auto receipt while an after-sale is open")
	}

	// Nothing to refund before approval; no return address, no approval.
	if err := f.db.RefundAftersale(ctx, id, staff, true, nil); !errors.Is(err, ErrAftersaleState) {
		t.Fatalf("refund before approval: %v", err)
	}
	if err := f.db.ApproveAftersale(ctx, id, staff); fieldsOf(err)["return_address"] != "aftersale.no_return_address" {
		t.Fatalf("approve without return address: %v", err)
	}
	setReturnAddress(t, f.db)
	if err := f.db.ApproveAftersale(ctx, id, staff); err != nil {
		t.Fatal(err)
	}
	a := mustAftersale(t, f.db, id)
	if a.Status != AftersaleAwaitingReturn || a.ReturnName != "售后部" || a.ReturnAddress != "深圳市南山区科技园 1 号" {
		t.Fatalf("approved return = %+v", a)
	}
	if err := f.db.ConfirmReturn(ctx, id, staff); !errors.Is(err, ErrAftersaleState) {
		t.Fatalf("confirm before the goods were sent: %v", err)
	}
	// Another customer can neither see nor touch it.
	if _, err := f.db.AftersaleForCustomer(ctx, f.bo, id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("bo sees alice's after-sale: %v", err)
	}
	if err := f.db.SubmitReturnShipping(ctx, f.bo, id, "顺丰", "SF9"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("bo submits shipping: %v", err)
	}
	if err := f.db.WithdrawAftersale(ctx, f.bo, id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("bo withdraws: %v", err)
	}
	if err := f.db.SubmitReturnShipping(ctx, f.alice, id, "", "bad no"); len(fieldsOf(err)) != 2 {
		t.Fatalf("bad return shipping: %v", err)
	}
	if err := f.db.SubmitReturnShipping(ctx, f.alice, id, "顺丰", "SF2"); err != nil {
		t.Fatal(err)
	}
	if err := f.db.WithdrawAftersale(ctx, f.alice, id); !errors.Is(err, ErrAftersaleState) {
		t.Fatalf("withdraw after sending the goods: %v", err)
	}
	if err := f.db.ConfirmReturn(ctx, id, staff); err != nil {
		t.Fatal(err)
	}
	// Balance is refunded inside the store: no provider needed.
	if err := f.db.RefundAftersale(ctx, id, staff, true, nil); err != nil {
		t.Fatal(err)
	}
	a = mustAftersale(t, f.db, id)
	if a.Status != AftersaleRefunded || !a.Restock || a.ClosedAt.IsZero() || a.ReturnTracking != "SF2" {
		t.Fatalf("refunded = %+v", a)
	}
	actions := ""
	for _, l := range a.Logs {
		actions += l.Action + " "
	}
	if actions != "request approve ship_back confirm_return refund " {
		t.Fatalf("log = %s", actions)
	}
	var bal Fen
	f.db.r.QueryRow(`SELECT balance_fen FROM customers WHERE id = ?`, f.alice).Scan(&bal)
	if bal != 20000 {
		t.Fatalf("balance = %d, want 20000", bal)
	}
	checkLedger(t, f.db)
	got := mustOrder(t, f.db, o.ID)
	if got.Status != StatusClosed || got.Refunded != 12000 || got.OpenAftersales != 0 {
		t.Fatalf("order = %s refunded %d open %d", got.Status, got.Refunded, got.OpenAftersales)
	}
	if got.AutoReceiveAt.Sub(shipped.AutoReceiveAt) != 8*24*time.Hour {
		t.Fatalf("receipt clock moved by %v, want the 8 days it was paused", got.AutoReceiveAt.Sub(shipped.AutoReceiveAt))
	}
	if s, sales := f.stock(t, red); s != 10 || sales != 0 {
		t.Fatalf("stock, sales = %d, %d; want 10, 0", s, sales)
	}
	if err := f.db.RefundAftersale(ctx, id, staff, true, nil); !errors.Is(err, ErrAftersaleState) {
		t.Fatalf("second refund: %v", err)
	}
}

func TestAftersaleReceiptResumesAfterWithdrawAndReject(t *testing.T) {
	f := newOrderFixture(t)
	ctx := t.Context()
	now := time.Unix(1_800_000_000, 0)
	f.db.SetClock(func() time.Time { return now })
	o := f.place(t, "t", CheckoutItem{f.skus["红 / L"], 2})
	mustPay(t, f.db, f.alice, o.ID)
	staff := StaffActor("boss")
	if err := f.db.ShipOrder(ctx, o.ID, staff, ShipInput{Carrier: "顺丰", TrackingNo: "SF1"}); err != nil {
		t.Fatal(err)
	}
	in := AftersaleInput{OrderID: o.ID, LineID: o.Lines[0].ID, Kind: AftersaleRefundOnly, Qty: 1, Reason: "not_received"}
	first := mustRequest(t, f.db, f.alice, in)
	if err := f.db.RejectAftersale(ctx, first, staff, ""); fieldsOf(err)["reason"] != "aftersale.reject_reason_required" {
		t.Fatalf("reject without reason: %v", err)
	}
	now = now.Add(24 * time.Hour)
	if err := f.db.RejectAftersale(ctx, first, staff, "物流显示已签收"); err != nil {
		t.Fatal(err)
	}
	if a := mustAftersale(t, f.db, first); a.Status != AftersaleRejected || a.RejectReason != "物流显示已签收" {
		t.Fatalf("rejected = %+v", a)
	}
	if got := mustOrder(t, f.db, o.ID); got.OpenAftersales != 0 {
		t.Fatalf("open after reject = %d", got.OpenAftersales)
	}
	// A closed one frees the line for a new request.
	second := mustRequest(t, f.db, f.alice, in)
	if err := f.db.WithdrawAftersale(ctx, f.alice, second); err != nil {
		t.Fatal(err)
	}
	if err := f.db.WithdrawAftersale(ctx, f.alice, second); !errors.Is(err, ErrAftersaleState) {
		t.Fatalf("second withdraw: %v", err)
	}
	if err := f.db.ApproveAftersale(ctx, second, staff); !errors.Is(err, ErrAftersaleState) {
		t.Fatalf("approve a withdrawn one: %v", err)
	}
	// One day paused: receipt comes a day later than the 7 days.
	now = time.Unix(1_800_000_000, 0).Add(7*24*time.Hour + time.Hour)
	if n, _ := f.db.AutoReceive(ctx, 10); n != 0 {
		t.Fatal("auto receipt did not make up the paused day")
	}
	now = now.Add(24 * time.Hour)
	if n, err := f.db.AutoReceive(ctx, 10); n != 1 || err != nil {
		t.Fatalf("auto receive = %d, %v", n, err)
	}

	list, total, err := f.db.CustomerAftersales(ctx, f.alice, 0, 10)
	if err != nil || total != 2 || list[0].ID != second || list[0].Status != AftersaleWithdrawn {
		t.Fatalf("alice's list = %d %+v %v", total, list, err)
	}
	if _, total, _ := f.db.CustomerAftersales(ctx, f.bo, 0, 10); total != 0 {
		t.Fatalf("bo's list = %d", total)
	}
	counts, _ := f.db.AftersaleStatusCounts(ctx)
	if counts[AftersaleRejected] != 1 || counts[AftersaleWithdrawn] != 1 {
		t.Fatalf("counts = %v", counts)
	}
	q, total, _ := f.db.Aftersales(ctx, AftersaleFilter{Status: AftersaleRejected})
	if total != 1 || q[0].ID != first || q[0].Phone != "13800138000" {
		t.Fatalf("queue = %d %+v", total, q)
	}
	if _, total, _ := f.db.Aftersales(ctx, AftersaleFilter{No: o.No}); total != 2 {
		t.Fatalf("by order number = %d", total)
	}
}

func TestConcurrentRefundsRefundOnce(t *testing.T) {
	f := newOrderFixture(t)
	ctx := t.Context()
	staff := StaffActor("boss")
	setReturnAddress(t, f.db)
	red := f.skus["红 / L"]

	// External provider: two staff press 退款 at once; the provider is
	// called once and the money moves once.
	o := f.place(t, "t", CheckoutItem{red, 2})
	mustPay(t, f.db, f.alice, o.ID)
	id := mustRequest(t, f.db, f.alice, AftersaleInput{OrderID: o.ID, LineID: o.Lines[0].ID, Kind: AftersaleRefundOnly, Qty: 2})
	if err := f.db.ApproveAftersale(ctx, id, staff); err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	release := make(chan struct{})
	slow := func(ctx context.Context, p *Payment, amount Fen, no string) (string, error) {
		calls.Add(1)
		<-release
		return "SBR" + no, nil
	}
	errs := make(chan error, 2)
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() { errs <- f.db.RefundAftersale(ctx, id, staff, false, slow) })
	}
	// Whichever lost its race returns at once; then let the provider answer.
	lost := <-errs
	close(release)
	wg.Wait()
	close(errs)
	won := <-errs
	if won != nil || !errors.Is(lost, ErrConflict) || calls.Load() != 1 {
		t.Fatalf("won %v, lost %v, provider calls %d", won, lost, calls.Load())
	}
	// Withdrawing while a refund is under way is impossible, and so is
	// refunding it again.
	if err := f.db.RefundAftersale(ctx, id, staff, false, slow); !errors.Is(err, ErrAftersaleState) {
		t.Fatalf("third refund: %v", err)
	}
	got := mustOrder(t, f.db, o.ID)
	p, _ := f.db.PaymentByID(ctx, got.PaymentID)
	if got.Refunded != 12000 || p.Refunded != 12000 || got.Status != StatusClosed {
		t.Fatalf("order refunded %d, payment %d, %s", got.Refunded, p.Refunded, got.Status)
	}

	// Balance: many concurrent refunds, one credit, the ledger adds up.
	credit(t, f.db, f.alice, 10000)
	b := f.place(t, "b", CheckoutItem{red, 1})
	if err := f.db.PayWithBalance(ctx, f.alice, b.ID); err != nil {
		t.Fatal(err)
	}
	bid := mustRequest(t, f.db, f.alice, AftersaleInput{OrderID: b.ID, LineID: b.Lines[0].ID, Kind: AftersaleRefundOnly, Qty: 1})
	if err := f.db.ApproveAftersale(ctx, bid, staff); err != nil {
		t.Fatal(err)
	}
	var ok atomic.Int32
	for range 10 {
		wg.Go(func() {
			if err := f.db.RefundAftersale(ctx, bid, staff, true, nil); err == nil {
				ok.Add(1)
			} else if !errors.Is(err, ErrConflict) {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	var bal Fen
	f.db.r.QueryRow(`SELECT balance_fen FROM customers WHERE id = ?`, f.alice).Scan(&bal)
	if ok.Load() != 1 || bal != 10000 {
		t.Fatalf("%d refunds succeeded, balance %d", ok.Load(), bal)
	}
	checkLedger(t, f.db)
}

func TestFailedProviderRefundCanBeRetried(t *testing.T) {
	f := newOrderFixture(t)
	ctx := t.Context()
	staff := StaffActor("boss")
	o := f.place(t, "t", CheckoutItem{f.skus["红 / L"], 1})
	mustPay(t, f.db, f.alice, o.ID)
	id := mustRequest(t, f.db, f.alice, AftersaleInput{OrderID: o.ID, LineID: o.Lines[0].ID, Kind: AftersaleRefundOnly, Qty: 1})
	if err := f.db.ApproveAftersale(ctx, id, staff); err != nil {
		t.Fatal(err)
	}
	failing := func(context.Context, *Payment, Fen, string) (string, error) {
		return "", errors.New("provider: insufficient merchant balance")
	}
	if err := f.db.RefundAftersale(ctx, id, staff, false, failing); !errors.Is(err, ErrRefundFailed) {
		t.Fatalf("failed refund: %v", err)
	}
	a := mustAftersale(t, f.db, id)
	if a.Status != AftersaleApproved || len(a.Refunds) != 1 || a.Refunds[0].Status != RefundFailed ||
		a.Logs[len(a.Logs)-1].Action != "refund_failed" {
		t.Fatalf("after failure = %+v", a)
	}
	if got := mustOrder(t, f.db, o.ID); got.Refunded != 0 || got.Status != StatusToShip || got.OpenAftersales != 1 {
		t.Fatalf("order after failure = %d %s %d", got.Refunded, got.Status, got.OpenAftersales)
	}
	var calls atomic.Int32
	if err := f.db.RefundAftersale(ctx, id, staff, false, sandboxRefund(&calls)); err != nil {
		t.Fatal(err)
	}
	a = mustAftersale(t, f.db, id)
	if a.Status != AftersaleRefunded || len(a.Refunds) != 2 || a.Refunds[1].Status != RefundSucceeded {
		t.Fatalf("after retry = %+v", a)
	}
	var n int
	f.db.r.QueryRow(`SELECT COUNT(*) FROM refunds WHERE aftersale_id = ? AND status = 'succeeded'`, id).Scan(&n)
	if n != 1 {
		t.Fatalf("%d succeeded refunds", n)
	}
}

func TestPendingProviderRefundFinishesOnNotice(t *testing.T) {
	f := newOrderFixture(t)
	ctx := t.Context()
	staff := StaffActor("boss")
	red := f.skus["红 / L"]
	before, _ := f.stock(t, red)
	o := f.place(t, "t", CheckoutItem{red, 2})
	mustPay(t, f.db, f.alice, o.ID)
	id := mustRequest(t, f.db, f.alice, AftersaleInput{OrderID: o.ID, LineID: o.Lines[0].ID, Kind: AftersaleRefundOnly, Qty: 1})
	if err := f.db.ApproveAftersale(ctx, id, staff); err != nil {
		t.Fatal(err)
	}
	later := func(_ context.Context, _ *Payment, _ Fen, no string) (string, error) {
		return "P" + no, ErrRefundPending
	}
	if err := f.db.RefundAftersale(ctx, id, staff, true, later); !errors.Is(err, ErrRefundPending) {
		t.Fatalf("pending refund: %v", err)
	}
	a := mustAftersale(t, f.db, id)
	if a.Status != AftersaleApproved || a.Refunds[0].Status != RefundPending || a.Refunds[0].ProviderRefundID == "" {
		t.Fatalf("pending = %+v", a)
	}
	if err := f.db.WithdrawAftersale(ctx, f.alice, id); !errors.Is(err, ErrAftersaleState) {
		t.Fatalf("withdraw during a refund: %v", err)
	}
	if err := f.db.RefundAftersale(ctx, id, staff, true, later); !errors.Is(err, ErrRefundInProgress) {
		t.Fatalf("refund again while pending: %v", err)
	}
	if err := f.db.FinishRefund(ctx, "nope", "x", true); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown refund: %v", err)
	}
	no := a.Refunds[0].OutRefundNo
	for range 2 { // notifications repeat
		if err := f.db.FinishRefund(ctx, no, "P"+no, true); err != nil {
			t.Fatal(err)
		}
	}
	a = mustAftersale(t, f.db, id)
	got := mustOrder(t, f.db, o.ID)
	if a.Status != AftersaleRefunded || got.Refunded != 6000 || got.Status != StatusToShip || got.Lines[0].RestockedQty != 1 {
		t.Fatalf("after notice: %s, order refunded %d %s, line %+v", a.Status, got.Refunded, got.Status, got.Lines[0])
	}
	if s, _ := f.stock(t, red); s != before-1 {
		t.Fatalf("stock = %d, want %d", s, before-1)
	}
	if err := f.db.FinishRefund(ctx, no, "P"+no, false); !errors.Is(err, ErrConflict) {
		t.Fatalf("failure after success: %v", err)
	}
}

// FuzzAftersaleMaxAddsUp: refunding a line in any batches, each at its
// maximum, pays back exactly what the line cost, never a batch below zero.
func FuzzAftersaleMaxAddsUp(f *testing.F) {
	f.Add(int64(10000), 3, []byte{1, 1, 1})
	f.Add(int64(1), 7, []byte{3, 4})
	f.Fuzz(func(t *testing.T, paid int64, qty int, batches []byte) {
		if paid < 0 || paid > int64(MaxPrice) || qty <= 0 || qty > 999 {
			return
		}
		o := &Order{Status: StatusToShip, Shipping: 500, Lines: []OrderLine{{ID: 1, Qty: qty, Paid: Fen(paid), ShippedQty: 0}}}
		var sum, ship Fen
		for _, b := range append(batches, 255) {
			l := &o.Lines[0]
			n := min(int(b)%qty+1, l.Qty-l.RefundedQty)
			if n == 0 {
				break
			}
			goods, shipping := AftersaleMax(o, *l, n)
			if goods < 0 {
				t.Fatalf("negative batch %d", goods)
			}
			l.RefundedQty += n
			l.Refunded += goods
			sum += goods
			ship += shipping
		}
		if o.Lines[0].RefundedQty == qty && (sum != Fen(paid) || ship != 500) {
			t.Fatalf("refunded %d (+%d shipping) of %d", sum, ship, paid)
		}
	})
}

// TestRefundFiresOrderEvent: every refund reaches the order hook with its
// line, pieces and amount, inside the refund's transaction.
func TestRefundFiresOrderEvent(t *testing.T) {
	f := newOrderFixture(t)
	ctx := t.Context()
	var events []OrderEvent
	f.db.SetOrderHook(func(ctx context.Context, tx *sql.Tx, e OrderEvent) error {
		if e.Action == "refund" || e.Action == "close" {
			events = append(events, e)
		}
		return nil
	})
	credit(t, f.db, f.alice, 100000)
	o := f.place(t, "t", CheckoutItem{f.skus["红 / L"], 2})
	if err := f.db.PayWithBalance(ctx, f.alice, o.ID); err != nil {
		t.Fatal(err)
	}
	id, err := f.db.RequestAftersale(ctx, f.alice, AftersaleInput{OrderID: o.ID, LineID: o.Lines[0].ID,
		Kind: AftersaleRefundOnly, Qty: 1, Reason: "not_wanted"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.db.ApproveAftersale(ctx, id, StaffActor("boss")); err != nil {
		t.Fatal(err)
	}
	if err := f.db.RefundAftersale(ctx, id, StaffActor("boss"), true, nil); err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].LineID != o.Lines[0].ID || events[0].Qty != 1 || events[0].Refunded != 6000 {
		t.Fatalf("events = %+v", events)
	}
	if msgs, _, _ := f.db.Messages(ctx, f.alice, 0, 1); len(msgs) != 1 || msgs[0].Title != "退款成功" || msgs[0].Link == "" {
		t.Fatalf("no refund message: %+v", msgs)
	}
	// A hook that fails rolls the refund back.
	id2, err := f.db.RequestAftersale(ctx, f.alice, AftersaleInput{OrderID: o.ID, LineID: o.Lines[0].ID,
		Kind: AftersaleRefundOnly, Qty: 1, Reason: "not_wanted"})
	if err != nil {
		t.Fatal(err)
	}
	f.db.ApproveAftersale(ctx, id2, StaffActor("boss"))
	f.db.SetOrderHook(func(ctx context.Context, tx *sql.Tx, e OrderEvent) error {
		if e.Action == "refund" {
			return errors.New("commission plugin says no")
		}
		return nil
	})
	if err := f.db.RefundAftersale(ctx, id2, StaffActor("boss"), false, nil); err == nil {
		t.Fatal("refund went through a failing hook")
	}
	got, _ := f.db.OrderByID(ctx, o.ID)
	if got.Refunded != 6000 || got.Status != StatusToShip {
		t.Fatalf("after a refused refund: refunded %d, status %s", got.Refunded, got.Status)
	}
	checkLedger(t, f.db)
}
