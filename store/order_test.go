package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// orderFixture is the cart fixture plus an address for alice.
type orderFixture struct {
	cartFixture
	address int64
}

func newOrderFixture(t *testing.T) orderFixture {
	t.Helper()
	f := orderFixture{cartFixture: newCartFixture(t)}
	f.address = mustAddress(t, f.db, f.alice, nanshan("张三"))
	return f
}

// place orders the given SKU quantities for alice by express.
func (f orderFixture) place(t *testing.T, token string, items ...CheckoutItem) *Order {
	t.Helper()
	o, err := f.db.PlaceOrder(t.Context(), CheckoutInput{CustomerID: f.alice, Items: items,
		Delivery: DeliveryExpress, AddressID: f.address, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func (f orderFixture) stock(t *testing.T, sku int64) (stock, sales int) {
	t.Helper()
	if err := f.db.r.QueryRow(`SELECT stock, sales FROM skus WHERE id = ?`, sku).Scan(&stock, &sales); err != nil {
		t.Fatal(err)
	}
	return stock, sales
}

// payBySandbox starts an attempt and applies a matching notice.
func payNotice(t *testing.T, db *DB, customer, order int64) (PaymentNotice, *Payment) {
	t.Helper()
	p, err := db.StartPayment(t.Context(), customer, order, "sandbox", "")
	if err != nil {
		t.Fatal(err)
	}
	return PaymentNotice{Provider: "sandbox", OutTradeNo: p.OutTradeNo, ProviderTxnID: "TXN" + p.OutTradeNo, Amount: p.Amount}, p
}

func mustPay(t *testing.T, db *DB, customer, order int64) {
	t.Helper()
	n, _ := payNotice(t, db, customer, order)
	if r, _, err := db.ApplyPayment(t.Context(), n); err != nil || r != ApplyPaid {
		t.Fatalf("apply payment = %v, %v", r, err)
	}
}

func TestPlaceOrderReservesStockAndIsIdempotent(t *testing.T) {
	f := newOrderFixture(t)
	ctx := t.Context()
	red, blue := f.skus["红 / L"], f.skus["蓝 / M"]
	o := f.place(t, "tok-1", CheckoutItem{red, 2}, CheckoutItem{blue, 1})
	if o.Status != StatusPendingPayment || o.Goods != 2*6000+6100 || o.Payable != o.Goods || o.Pieces != 3 {
		t.Fatalf("order = %+v", o)
	}
	if o.ShipName != "张三" || o.ShipRegion != "440305" || len(o.Lines) != 2 || o.Lines[0].Paid != 12000 {
		t.Fatalf("snapshot = %+v lines %+v", o, o.Lines)
	}
	if s, _ := f.stock(t, red); s != 8 {
		t.Fatalf("red stock = %d, want 8", s)
	}
	again := f.place(t, "tok-1", CheckoutItem{red, 2}, CheckoutItem{blue, 1})
	if again.ID != o.ID {
		t.Fatalf("same token made a second order %d", again.ID)
	}
	if s, _ := f.stock(t, red); s != 8 {
		t.Fatalf("red stock after double submit = %d, want 8", s)
	}

	// Bad input changes nothing.
	for name, in := range map[string]CheckoutInput{
		"out of stock":   {CustomerID: f.alice, Items: []CheckoutItem{{f.skus["红 / M"], 1}}, AddressID: f.address, Token: "x1"},
		"too many":       {CustomerID: f.alice, Items: []CheckoutItem{{red, 9}}, AddressID: f.address, Token: "x2"},
		"zero qty":       {CustomerID: f.alice, Items: []CheckoutItem{{red, 0}}, AddressID: f.address, Token: "x3"},
		"no address":     {CustomerID: f.alice, Items: []CheckoutItem{{red, 1}}, Token: "x4"},
		"others address": {CustomerID: f.bo, Items: []CheckoutItem{{red, 1}}, AddressID: f.address, Token: "x5"},
		"no token":       {CustomerID: f.alice, Items: []CheckoutItem{{red, 1}}, AddressID: f.address},
		"unknown sku":    {CustomerID: f.alice, Items: []CheckoutItem{{99999, 1}}, AddressID: f.address, Token: "x6"},
	} {
		if _, err := f.db.PlaceOrder(ctx, in); err == nil || fieldsOf(err) == nil || len(fieldsOf(err)) == 0 {
			t.Errorf("%s: err = %v, want a validation error", name, err)
		}
	}
	if s, _ := f.stock(t, red); s != 8 {
		t.Fatalf("red stock after refused orders = %d, want 8", s)
	}
	var n int
	f.db.r.QueryRow(`SELECT COUNT(*) FROM orders`).Scan(&n)
	if n != 1 {
		t.Fatalf("orders = %d, want 1", n)
	}
}

func TestCheckoutFromCartClearsBoughtLines(t *testing.T) {
	f := newOrderFixture(t)
	ctx := t.Context()
	red, blue := f.skus["红 / L"], f.skus["蓝 / M"]
	f.db.AddToCart(ctx, f.alice, red, 1)
	f.db.AddToCart(ctx, f.alice, blue, 1)
	if _, err := f.db.PlaceOrder(ctx, CheckoutInput{CustomerID: f.alice, Items: []CheckoutItem{{red, 1}},
		FromCart: true, AddressID: f.address, Token: "c"}); err != nil {
		t.Fatal(err)
	}
	lines, _ := f.db.CartLines(ctx, f.alice)
	if len(lines) != 1 || lines[0].SKUID != blue {
		t.Fatalf("cart after checkout = %+v", lines)
	}
}

func TestApplyPaymentOnceAndMismatches(t *testing.T) {
	f := newOrderFixture(t)
	ctx := t.Context()
	red := f.skus["红 / L"]
	o := f.place(t, "t", CheckoutItem{red, 3})
	n, p := payNotice(t, f.db, f.alice, o.ID)

	bad := []PaymentNotice{
		{Provider: "sandbox", OutTradeNo: p.OutTradeNo, ProviderTxnID: "T1", Amount: p.Amount - 1},
		{Provider: "sandbox", OutTradeNo: p.OutTradeNo, ProviderTxnID: "T1", Amount: p.Amount, Currency: "USD"},
		{Provider: "wechatpay", OutTradeNo: p.OutTradeNo, ProviderTxnID: "T1", Amount: p.Amount},
		{Provider: "sandbox", OutTradeNo: "nope", ProviderTxnID: "T1", Amount: p.Amount},
		{Provider: "sandbox", OutTradeNo: p.OutTradeNo, Amount: p.Amount},
	}
	for _, b := range bad {
		if _, _, err := f.db.ApplyPayment(ctx, b); !errors.Is(err, ErrPaymentMismatch) {
			t.Fatalf("notice %+v: err = %v, want mismatch", b, err)
		}
	}
	if got, _ := f.db.OrderByID(ctx, o.ID); got.Status != StatusPendingPayment {
		t.Fatalf("status after bad notices = %s", got.Status)
	}

	// One notice replayed 100 times, concurrently, pays once.
	var wg sync.WaitGroup
	results := make(chan ApplyResult, 100)
	for range 100 {
		wg.Go(func() {
			r, _, err := f.db.ApplyPayment(ctx, n)
			if err != nil {
				t.Error(err)
			}
			results <- r
		})
	}
	wg.Wait()
	close(results)
	paid := 0
	for r := range results {
		if r == ApplyPaid {
			paid++
		} else if r != ApplyDuplicate {
			t.Fatalf("result %v", r)
		}
	}
	if paid != 1 {
		t.Fatalf("paid %d times", paid)
	}
	got, _ := f.db.OrderByID(ctx, o.ID)
	if got.Status != StatusToShip || got.Paid != o.Payable || got.PayProvider != "sandbox" {
		t.Fatalf("order after payment = %+v", got)
	}
	if s, sales := f.stock(t, red); s != 7 || sales != 3 {
		t.Fatalf("stock, sales = %d, %d; want 7, 3", s, sales)
	}
	// The same transaction id on another attempt is refused.
	o2 := f.place(t, "t2", CheckoutItem{red, 1})
	_, p2 := payNotice(t, f.db, f.alice, o2.ID)
	if _, _, err := f.db.ApplyPayment(ctx, PaymentNotice{Provider: "sandbox", OutTradeNo: p2.OutTradeNo,
		ProviderTxnID: n.ProviderTxnID, Amount: p2.Amount}); !errors.Is(err, ErrPaymentMismatch) {
		t.Fatalf("reused txn id: %v", err)
	}
}

func TestLatePaymentForCancelledOrder(t *testing.T) {
	f := newOrderFixture(t)
	ctx := t.Context()
	o := f.place(t, "t", CheckoutItem{f.skus["红 / L"], 1})
	n, p := payNotice(t, f.db, f.alice, o.ID)
	if err := f.db.CancelOrder(ctx, f.alice, o.ID, ""); err != nil {
		t.Fatal(err)
	}
	r, _, err := f.db.ApplyPayment(ctx, n)
	if err != nil || r != ApplyLate {
		t.Fatalf("late payment = %v, %v", r, err)
	}
	if got, _ := f.db.OrderByID(ctx, o.ID); got.Status != StatusCancelled {
		t.Fatalf("cancelled order became %s", got.Status)
	}
	if err := f.db.RecordLateRefund(ctx, p.ID, "R1"); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.db.PaymentByID(ctx, p.ID); got.Status != PaymentRefundedLate || got.Refunded != got.Amount {
		t.Fatalf("payment = %+v", got)
	}
	if r, _, _ := f.db.ApplyPayment(ctx, n); r != ApplyDuplicate {
		t.Fatalf("replay after late refund = %v", r)
	}
}

func TestCancelAndTimeoutReleaseStock(t *testing.T) {
	f := newOrderFixture(t)
	ctx := t.Context()
	red := f.skus["红 / L"]
	now := time.Unix(1_800_000_000, 0)
	f.db.SetClock(func() time.Time { return now })

	a := f.place(t, "a", CheckoutItem{red, 2})
	b := f.place(t, "b", CheckoutItem{red, 3})
	if err := f.db.CancelOrder(ctx, f.bo, a.ID, ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("bo cancels alice's order: %v", err)
	}
	if err := f.db.CancelOrder(ctx, f.alice, a.ID, "不想要了"); err != nil {
		t.Fatal(err)
	}
	if err := f.db.CancelOrder(ctx, f.alice, a.ID, ""); !errors.Is(err, ErrOrderState) {
		t.Fatalf("second cancel: %v", err)
	}
	if s, _ := f.stock(t, red); s != 7 {
		t.Fatalf("stock = %d, want 7", s)
	}
	if n, err := f.db.CancelExpiredOrders(ctx, 100); n != 0 || err != nil {
		t.Fatalf("nothing expired yet: %d %v", n, err)
	}
	now = now.Add(31 * time.Minute)
	if _, err := f.db.StartPayment(ctx, f.alice, b.ID, "sandbox", ""); !errors.Is(err, ErrOrderState) {
		t.Fatalf("payment after the deadline: %v", err)
	}
	for range 2 { // idempotent
		if _, err := f.db.CancelExpiredOrders(ctx, 100); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := f.db.OrderByID(ctx, b.ID)
	if got.Status != StatusCancelled || got.Logs[len(got.Logs)-1].Action != "timeout" {
		t.Fatalf("expired order = %s %+v", got.Status, got.Logs)
	}
	if s, _ := f.stock(t, red); s != 10 {
		t.Fatalf("stock = %d, want 10", s)
	}
}

func TestShipInPackagesReceiveAndAutoReceive(t *testing.T) {
	f := newOrderFixture(t)
	ctx := t.Context()
	now := time.Unix(1_800_000_000, 0)
	f.db.SetClock(func() time.Time { return now })
	red, blue := f.skus["红 / L"], f.skus["蓝 / M"]
	o := f.place(t, "t", CheckoutItem{red, 2}, CheckoutItem{blue, 1})
	staff := StaffActor("boss")
	if err := f.db.ShipOrder(ctx, o.ID, staff, ShipInput{Carrier: "顺丰", TrackingNo: "SF1"}); !errors.Is(err, ErrOrderState) {
		t.Fatalf("ship unpaid: %v", err)
	}
	mustPay(t, f.db, f.alice, o.ID)
	if err := f.db.ShipOrder(ctx, o.ID, staff, ShipInput{Carrier: "", TrackingNo: "x y"}); len(fieldsOf(err)) != 2 {
		t.Fatalf("bad ship input: %v", err)
	}
	line0 := o.Lines[0].ID
	if err := f.db.ShipOrder(ctx, o.ID, staff, ShipInput{Carrier: "顺丰", TrackingNo: "SF1",
		Lines: []PackageLine{{line0, 3}}}); fieldsOf(err)["lines"] != "order.ship_too_many" {
		t.Fatalf("ship too many: %v", err)
	}
	if err := f.db.ShipOrder(ctx, o.ID, staff, ShipInput{Carrier: "顺丰", TrackingNo: "SF1",
		Lines: []PackageLine{{line0, 1}}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.db.OrderByID(ctx, o.ID); got.Status != StatusToShip || got.Unshipped() != 2 {
		t.Fatalf("after one package: %s, unshipped %d", got.Status, got.Unshipped())
	}
	if err := f.db.ShipOrder(ctx, o.ID, staff, ShipInput{Carrier: "中通", TrackingNo: "ZT2"}); err != nil {
		t.Fatal(err)
	}
	got, _ := f.db.OrderByID(ctx, o.ID)
	if got.Status != StatusShipped || len(got.Packages) != 2 || got.Packages[1].Lines[0].Qty != 1 {
		t.Fatalf("after second package: %s %+v", got.Status, got.Packages)
	}
	msgs, _, _ := f.db.Messages(ctx, f.alice, 0, 10)
	if len(msgs) == 0 || msgs[0].Kind != MessageOrder {
		t.Fatalf("no shipped message: %+v", msgs)
	}
	if err := f.db.ConfirmReceipt(ctx, f.bo, o.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("bo confirms alice's order: %v", err)
	}

	// Automatic receipt: paused while an after-sale is open.
	f.db.Write(ctx, func(tx *sql.Tx) error { return PauseReceiptTx(ctx, tx, o.ID) })
	now = now.Add(8 * 24 * time.Hour)
	if n, _ := f.db.AutoReceive(ctx, 10); n != 0 {
		t.Fatal("auto receipt while an after-sale is open")
	}
	f.db.Write(ctx, func(tx *sql.Tx) error { return ResumeReceiptTx(ctx, tx, o.ID, 2*24*time.Hour) })
	if n, _ := f.db.AutoReceive(ctx, 10); n != 0 {
		t.Fatal("auto receipt before the paused time was made up")
	}
	now = now.Add(2 * 24 * time.Hour)
	if n, err := f.db.AutoReceive(ctx, 10); n != 1 || err != nil {
		t.Fatalf("auto receive = %d, %v", n, err)
	}
	if got, _ := f.db.OrderByID(ctx, o.ID); got.Status != StatusCompleted || got.CompletedAt.IsZero() {
		t.Fatalf("after auto receipt: %s", got.Status)
	}
}

func TestPickupOrderVerification(t *testing.T) {
	f := newOrderFixture(t)
	ctx := t.Context()
	var store int64
	f.db.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`INSERT INTO pickup_stores (name, detail, created_at, updated_at) VALUES ('南山店', '科技园 1 号', 0, 0)`)
		store, _ = res.LastInsertId()
		return err
	})
	o, err := f.db.PlaceOrder(ctx, CheckoutInput{CustomerID: f.alice, Items: []CheckoutItem{{f.skus["红 / L"], 1}},
		Delivery: DeliveryPickup, PickupStoreID: store, Token: "p"})
	if err != nil {
		t.Fatal(err)
	}
	if o.Delivery != DeliveryPickup || o.Shipping != 0 || o.ShipName != "南山店" {
		t.Fatalf("pickup order = %+v", o)
	}
	mustPay(t, f.db, f.alice, o.ID)
	got, _ := f.db.OrderByID(ctx, o.ID)
	if got.Status != StatusToPickup || len(got.PickupCode) != 12 {
		t.Fatalf("paid pickup order = %s %q", got.Status, got.PickupCode)
	}
	if _, err := f.db.VerifyPickup(ctx, StaffActor("boss"), "000000000000"); fieldsOf(err)["code"] != "order.pickup_code_unknown" {
		t.Fatalf("wrong code: %v", err)
	}
	if v, err := f.db.VerifyPickup(ctx, StaffActor("boss"), got.PickupCode); err != nil || v.Status != StatusCompleted {
		t.Fatalf("verify = %v, %v", v, err)
	}
	if _, err := f.db.VerifyPickup(ctx, StaffActor("boss"), got.PickupCode); fieldsOf(err)["code"] != "order.pickup_code_used" {
		t.Fatalf("second verify: %v", err)
	}
}

func TestVirtualOrderCompletesOnPayment(t *testing.T) {
	f := newOrderFixture(t)
	ctx := t.Context()
	in := clothes(mustCategory(t, f.db, 0, "卡券"))
	in.Title, in.Virtual = "视频会员月卡", true
	id, err := f.db.CreateProduct(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := f.db.ProductByID(ctx, id)
	o, err := f.db.PlaceOrder(ctx, CheckoutInput{CustomerID: f.alice, Items: []CheckoutItem{{p.SKUs[1].ID, 1}}, Token: "v"})
	if err != nil {
		t.Fatal(err)
	}
	if o.Delivery != DeliveryVirtual {
		t.Fatalf("delivery = %s", o.Delivery)
	}
	mustPay(t, f.db, f.alice, o.ID)
	if got, _ := f.db.OrderByID(ctx, o.ID); got.Status != StatusCompleted {
		t.Fatalf("virtual order after payment = %s", got.Status)
	}
}

// credit gives a customer balance through a paid recharge.
func credit(t *testing.T, db *DB, customer int64, amount Fen) {
	t.Helper()
	ctx := t.Context()
	var rid int64
	err := db.Write(ctx, func(tx *sql.Tx) error {
		return tx.QueryRow(`INSERT INTO recharges (no, customer_id, pay_fen, status, created_at)
			VALUES (?, ?, ?, 'pending_payment', 0) RETURNING id`, fmt.Sprint("R", rand.Int64()), customer, amount).Scan(&rid)
	})
	if err != nil {
		t.Fatal(err)
	}
	p, err := db.StartRechargePayment(ctx, customer, rid, "sandbox", "")
	if err != nil {
		t.Fatal(err)
	}
	if r, _, err := db.ApplyPayment(ctx, PaymentNotice{Provider: "sandbox", OutTradeNo: p.OutTradeNo,
		ProviderTxnID: "R" + p.OutTradeNo, Amount: amount}); r != ApplyPaid || err != nil {
		t.Fatalf("recharge = %v %v", r, err)
	}
}

// checkLedger fails unless every customer's balance is the sum of their ledger.
func checkLedger(t *testing.T, db *DB) {
	t.Helper()
	var bad int
	if err := db.r.QueryRow(`SELECT COUNT(*) FROM customers c WHERE balance_fen !=
		COALESCE((SELECT SUM(amount_fen) FROM wallet_ledger l WHERE l.customer_id = c.id), 0)`).Scan(&bad); err != nil {
		t.Fatal(err)
	}
	if bad > 0 {
		t.Fatalf("%d balances differ from their ledger", bad)
	}
}

func TestPayWithBalanceRaces(t *testing.T) {
	f := newOrderFixture(t)
	ctx := t.Context()
	credit(t, f.db, f.alice, 10000)
	a := f.place(t, "a", CheckoutItem{f.skus["红 / L"], 1}) // 60.00
	b := f.place(t, "b", CheckoutItem{f.skus["蓝 / M"], 1}) // 61.00
	errs := make(chan error, 2)
	var wg sync.WaitGroup
	for _, id := range []int64{a.ID, b.ID} {
		wg.Go(func() { errs <- f.db.PayWithBalance(ctx, f.alice, id) })
	}
	wg.Wait()
	close(errs)
	ok := 0
	for err := range errs {
		if err == nil {
			ok++
		} else if fieldsOf(err)["balance"] != "pay.balance_insufficient" {
			t.Fatalf("err = %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d balance payments won, want 1", ok)
	}
	var bal Fen
	f.db.r.QueryRow(`SELECT balance_fen FROM customers WHERE id = ?`, f.alice).Scan(&bal)
	if bal != 4000 && bal != 3900 {
		t.Fatalf("balance = %d", bal)
	}
	checkLedger(t, f.db)
	if err := f.db.PayWithBalance(ctx, f.bo, a.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("bo pays alice's order: %v", err)
	}
}

func TestRepriceOrder(t *testing.T) {
	f := newOrderFixture(t)
	ctx := t.Context()
	o := f.place(t, "t", CheckoutItem{f.skus["红 / L"], 1}, CheckoutItem{f.skus["蓝 / M"], 2}) // 60 + 122
	old, _ := payNotice(t, f.db, f.alice, o.ID)
	staff := StaffActor("boss")
	if err := f.db.RepriceOrder(ctx, o.ID, 10000, staff, ""); fieldsOf(err)["reason"] != "order.reason_required" {
		t.Fatalf("no reason: %v", err)
	}
	if err := f.db.RepriceOrder(ctx, o.ID, 10001, staff, "老客户优惠"); err != nil {
		t.Fatal(err)
	}
	got, _ := f.db.OrderByID(ctx, o.ID)
	var sum Fen
	for _, l := range got.Lines {
		sum += l.Paid
	}
	if got.Payable != 10001 || sum != 10001 || got.Adjust != 10001-18200 {
		t.Fatalf("repriced = payable %d, lines %d, adjust %d", got.Payable, sum, got.Adjust)
	}
	// An attempt started at the old price cannot pay the new one.
	if r, _, err := f.db.ApplyPayment(ctx, old); r != ApplyLate || err != nil {
		t.Fatalf("old attempt = %v %v", r, err)
	}
	mustPay(t, f.db, f.alice, o.ID)
	if err := f.db.RepriceOrder(ctx, o.ID, 5000, staff, "x"); !errors.Is(err, ErrOrderState) {
		t.Fatalf("reprice after payment: %v", err)
	}
}

func TestAllocateSumsToTotal(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		n := 1 + r.IntN(6)
		w := make([]Fen, n)
		for i := range w {
			w[i] = Fen(r.IntN(100000))
		}
		total := Fen(r.IntN(1000000))
		parts := Allocate(total, w)
		var sum Fen
		for _, p := range parts {
			if p < 0 {
				t.Fatalf("negative part %v", parts)
			}
			sum += p
		}
		if sum != total {
			t.Fatalf("Allocate(%d, %v) = %v sums to %d", total, w, parts, sum)
		}
	}
	if got := Allocate(100, []Fen{1, 1, 1}); got[0] != 34 || got[1] != 33 || got[2] != 33 {
		t.Fatalf("Allocate(100, 1,1,1) = %v", got)
	}
}

// TestConcurrentBuyersNeverOversell: 200 buyers race for 50 pieces.
func TestConcurrentBuyersNeverOversell(t *testing.T) {
	f := newOrderFixture(t)
	ctx := t.Context()
	sku := f.skus["红 / L"]
	f.db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`UPDATE skus SET stock = 50 WHERE id = ?`, sku)
		return err
	})
	buyers := make([]int64, 200)
	for i := range buyers {
		buyers[i] = rawCustomer(t, f.db, fmt.Sprintf("1370000%04d", i))
		if _, err := f.db.CreateAddress(ctx, buyers[i], nanshan("买家")); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for _, b := range buyers {
		wg.Go(func() {
			a, _ := f.db.DefaultAddress(ctx, b)
			_, err := f.db.PlaceOrder(ctx, CheckoutInput{CustomerID: b, Items: []CheckoutItem{{sku, 1}},
				AddressID: a.ID, Token: "race"})
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				won++
			} else if len(fieldsOf(err)) == 0 {
				t.Errorf("unexpected error: %v", err)
			}
		})
	}
	wg.Wait()
	var orders int
	f.db.r.QueryRow(`SELECT COUNT(*) FROM orders`).Scan(&orders)
	if s, _ := f.stock(t, sku); won != 50 || orders != 50 || s != 0 {
		t.Fatalf("won %d, orders %d, stock left %d; want 50, 50, 0", won, orders, s)
	}
}

// rawCustomer inserts a customer without hashing a password (fast).
func rawCustomer(t *testing.T, db *DB, phone string) int64 {
	t.Helper()
	var id int64
	err := db.Write(context.Background(), func(tx *sql.Tx) error {
		return tx.QueryRow(`INSERT INTO customers (phone, password_hash, created_at) VALUES (?, 'x', 0) RETURNING id`, phone).Scan(&id)
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}
