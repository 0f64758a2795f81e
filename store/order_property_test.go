package store

import (
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// The order property test drives random sequences of buyer, staff, payment
// and job actions against one store and checks the order rules after every
// step. Reproduce a failure with the seed it prints:
//
//	go test ./store/ -run TestOrderProperties -order.seed=N
var (
	orderSeed  = flag.Uint64("order.seed", 0, "seed of the order property test (0: a random one)")
	orderSeqs  = flag.Int("order.seqs", 30, "sequences the order property test runs")
	orderSteps = flag.Int("order.steps", 150, "steps per sequence of the order property test")
)

// propAction is one kind of step of the property test. run picks its target
// from the world, performs the action and checks the outcome the rules
// predict from the state before it; the invariants are checked after.
type propAction struct {
	name   string
	weight int
	run    func(w *propWorld)
}

// refundPropActions is the hook for after-sales (售后) and refunds: the
// after-sales work appends its actions here (apply for an after-sale,
// approve, reject, return, refund in part or in full, close the order), each
// checking its own outcome. The invariants below already cover what refunds
// change: refunded_qty and restocked_qty of lines (shipped = qty − refunded
// once shipped; stock + reserved + sold, with restocked pieces back in stock
// and out of sales, stays the initial stock), refunded_fen ≤ paid_fen,
// closed orders (paid_at set), open_aftersales pausing automatic receipt,
// and the wallet ledger for balance refunds.
var refundPropActions []propAction

// orderPropActions are the order actions of the property test.
var orderPropActions = []propAction{
	{"place", 24, (*propWorld).place},
	{"pay-sandbox", 12, (*propWorld).paySandbox},
	{"apply-outstanding", 5, (*propWorld).applyOutstanding},
	{"replay-notice", 3, (*propWorld).replayNotice},
	{"pay-balance", 6, (*propWorld).payBalance},
	{"cancel", 6, (*propWorld).cancel},
	{"expire", 5, (*propWorld).expire},
	{"ship", 12, (*propWorld).ship},
	{"receive", 5, (*propWorld).receive},
	{"auto-receive", 3, (*propWorld).autoReceive},
	{"pickup", 5, (*propWorld).verifyPickup},
	{"reprice", 5, (*propWorld).reprice},
}

// TestOrderProperties runs the sequences; each is its own shop.
func TestOrderProperties(t *testing.T) {
	seed := *orderSeed
	if seed == 0 {
		seed = rand.Uint64()%1_000_000_000 + 1
	}
	seqs, steps := *orderSeqs, *orderSteps
	if testing.Short() {
		seqs = min(seqs, 5)
	}
	actions := append(slices.Clone(orderPropActions), refundPropActions...)
	for i := range seqs {
		s := seed + uint64(i)
		t.Run(fmt.Sprint("seed=", s), func(t *testing.T) {
			w := newPropWorld(t, s)
			defer func() {
				if t.Failed() {
					t.Logf("reproduce: go test ./store/ -run 'TestOrderProperties/seed=%d$' -order.seed=%d -order.seqs=1 -order.steps=%d",
						s, s, steps)
				}
			}()
			w.checkInvariants()
			for step := range steps {
				w.step = step
				a := pickAction(w.rng, actions)
				w.log("%s", a.name)
				a.run(w)
				w.checkInvariants()
			}
		})
	}
}

func pickAction(r *rand.Rand, actions []propAction) propAction {
	total := 0
	for _, a := range actions {
		total += a.weight
	}
	n := r.IntN(total)
	for _, a := range actions {
		if n < a.weight {
			return a
		}
		n -= a.weight
	}
	return actions[len(actions)-1]
}

// propWorld is one shop under test and what the test remembers of it.
type propWorld struct {
	t        *testing.T
	db       *DB
	rng      *rand.Rand
	seed     uint64
	step     int
	now      time.Time
	history  []string
	buyers   []propBuyer
	skus     []int64
	initial  map[int64]int // SKU → stock at the start
	pickup   int64
	orders   []int64
	tokens   map[string]int64 // "customer/token" → the order it made
	nextTok  int
	pending  []PaymentNotice // attempts started, not applied yet
	applied  []PaymentNotice // notices applied, to replay
	payOrder map[string]int64
}

type propBuyer struct {
	id, address int64
}

func newPropWorld(t *testing.T, seed uint64) *propWorld {
	t.Helper()
	db := openTest(t)
	ctx := t.Context()
	w := &propWorld{t: t, db: db, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), seed: seed,
		now: time.Unix(1_800_000_000, 0), initial: map[int64]int{}, tokens: map[string]int64{}, payOrder: map[string]int64{}}
	db.SetClock(func() time.Time { return w.now })

	if _, err := db.CreateShippingTemplate(ctx, ShippingTemplateInput{Name: "全国", Method: "piece",
		Default: ShippingRuleInput{FirstUnits: "1", FirstFen: "8", ExtraUnits: "1", ExtraFen: "2", FreeOverFen: "300"}}); err != nil {
		t.Fatal(err)
	}
	cat := mustCategory(t, db, 0, "服饰")
	for p := range 3 {
		in := ProductInput{CategoryID: cat, Title: fmt.Sprintf("商品%d", p), OnShelf: true,
			Specs: []SpecDef{{"颜色", []string{"红", "蓝"}}}}
		for i, c := range []string{"红", "蓝"} {
			in.SKUs = append(in.SKUs, SKUInput{Values: []string{c}, Price: Fen(1990 + 3333*p + 1001*i), Stock: 3 + w.rng.IntN(25)})
		}
		id, err := db.CreateProduct(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		pr, err := db.ProductByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range pr.SKUs {
			w.skus = append(w.skus, s.ID)
			w.initial[s.ID] = s.Stock
		}
	}
	if err := db.Write(ctx, func(tx *sql.Tx) error {
		return tx.QueryRow(`INSERT INTO pickup_stores (name, detail, created_at, updated_at)
			VALUES ('南山店', '科技园 1 号', 0, 0) RETURNING id`).Scan(&w.pickup)
	}); err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		id := rawCustomer(t, db, fmt.Sprintf("1380000%04d", i))
		w.buyers = append(w.buyers, propBuyer{id: id, address: mustAddress(t, db, id, nanshan(fmt.Sprint("买家", i)))})
	}
	return w
}

func (w *propWorld) log(format string, args ...any) {
	w.history = append(w.history, fmt.Sprintf("%3d %s", w.step, fmt.Sprintf(format, args...)))
}

// fail stops the sequence with the seed, the step and the recent history.
func (w *propWorld) fail(format string, args ...any) {
	w.t.Helper()
	from := max(0, len(w.history)-25)
	w.t.Fatalf("seed %d, step %d: %s\nlast actions:\n%s", w.seed, w.step, fmt.Sprintf(format, args...),
		strings.Join(w.history[from:], "\n"))
}

func (w *propWorld) noErr(what string, err error) {
	w.t.Helper()
	if err != nil {
		w.fail("%s: %v", what, err)
	}
}

// propOrder is the order as the test reads it before acting.
type propOrder struct {
	id, customer int64
	status       OrderStatus
	delivery     Delivery
	payable      Fen
	shipping     Fen
	deadline     int64
	code         string
}

func (w *propWorld) order(id int64) propOrder {
	w.t.Helper()
	o := propOrder{id: id}
	err := w.db.r.QueryRow(`SELECT customer_id, status, delivery, payable_fen, shipping_fen, pay_deadline,
		COALESCE(pickup_code, '') FROM orders WHERE id = ?`, id).
		Scan(&o.customer, &o.status, &o.delivery, &o.payable, &o.shipping, &o.deadline, &o.code)
	w.noErr("read order", err)
	return o
}

// pickOrder picks an order, most of the time one in a wanted status.
func (w *propWorld) pickOrder(want ...OrderStatus) (propOrder, bool) {
	if len(w.orders) == 0 {
		return propOrder{}, false
	}
	if len(want) > 0 && w.rng.IntN(10) < 8 {
		var ids []int64
		rows, err := w.db.r.Query(`SELECT id FROM orders WHERE status IN (`+placeholders(len(want))+`) ORDER BY id`,
			statusArgs(want)...)
		w.noErr("pick order", err)
		for rows.Next() {
			var id int64
			w.noErr("pick order", rows.Scan(&id))
			ids = append(ids, id)
		}
		rows.Close()
		if len(ids) > 0 {
			return w.order(ids[w.rng.IntN(len(ids))]), true
		}
	}
	return w.order(w.orders[w.rng.IntN(len(w.orders))]), true
}

func (w *propWorld) stockOf(sku int64) int {
	w.t.Helper()
	var n int
	w.noErr("stock", w.db.r.QueryRow(`SELECT stock FROM skus WHERE id = ?`, sku).Scan(&n))
	return n
}

func (w *propWorld) place() {
	ctx := w.t.Context()
	b := w.buyers[w.rng.IntN(len(w.buyers))]
	// A double submit: the same token again, whatever the items.
	if w.rng.IntN(6) == 0 {
		var keys []string
		for k := range w.tokens {
			if strings.HasPrefix(k, fmt.Sprint(b.id, "/")) {
				keys = append(keys, k)
			}
		}
		if len(keys) > 0 {
			slices.Sort(keys)
			k := keys[w.rng.IntN(len(keys))]
			before := w.stockSnapshot()
			o, err := w.db.PlaceOrder(ctx, CheckoutInput{CustomerID: b.id, Delivery: DeliveryExpress, AddressID: b.address,
				Items: []CheckoutItem{{w.skus[0], 1}}, Token: strings.SplitN(k, "/", 2)[1]})
			w.log("  double submit %s → %v", k, err)
			w.noErr("double submit", err)
			if o.ID != w.tokens[k] {
				w.fail("double submit of %s made order %d, want %d", k, o.ID, w.tokens[k])
			}
			if after := w.stockSnapshot(); !mapsEqual(before, after) {
				w.fail("double submit moved stock: %v → %v", before, after)
			}
			return
		}
	}
	n := 1 + w.rng.IntN(3)
	idx := w.rng.Perm(len(w.skus))[:n]
	in := CheckoutInput{CustomerID: b.id, Delivery: DeliveryExpress, AddressID: b.address}
	if w.rng.IntN(4) == 0 {
		in.Delivery, in.AddressID, in.PickupStoreID = DeliveryPickup, 0, w.pickup
	}
	enough := true
	for _, i := range idx {
		qty := 1 + w.rng.IntN(4)
		in.Items = append(in.Items, CheckoutItem{w.skus[i], qty})
		if w.stockOf(w.skus[i]) < qty {
			enough = false
		}
	}
	w.nextTok++
	in.Token = fmt.Sprint("tok-", w.nextTok)
	o, err := w.db.PlaceOrder(ctx, in)
	w.log("  %d %s %v → %v", b.id, in.Delivery, in.Items, err)
	if !enough {
		if err == nil || len(fieldsOf(err)) == 0 {
			w.fail("order beyond stock: err = %v", err)
		}
		return
	}
	w.noErr("place order", err)
	if o.Status != StatusPendingPayment || o.Delivery != in.Delivery || len(o.Lines) != len(in.Items) {
		w.fail("placed order = %s %s, %d lines", o.Status, o.Delivery, len(o.Lines))
	}
	if in.Delivery == DeliveryPickup && o.Shipping != 0 {
		w.fail("pickup order with shipping %d", o.Shipping)
	}
	w.orders = append(w.orders, o.ID)
	w.tokens[fmt.Sprint(b.id, "/", in.Token)] = o.ID
	// Again, at once: the same order.
	if w.rng.IntN(4) == 0 {
		again, err := w.db.PlaceOrder(ctx, in)
		w.noErr("immediate double submit", err)
		if again.ID != o.ID {
			w.fail("immediate double submit made order %d, want %d", again.ID, o.ID)
		}
	}
}

func (w *propWorld) stockSnapshot() map[int64]int {
	m := make(map[int64]int, len(w.skus))
	for _, s := range w.skus {
		m[s] = w.stockOf(s)
	}
	return m
}

func mapsEqual(a, b map[int64]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// canPay is whether the store accepts a new attempt for the order now.
func (w *propWorld) canPay(o propOrder) bool {
	return o.status == StatusPendingPayment && o.deadline > w.now.Unix()
}

func (w *propWorld) paySandbox() {
	ctx := w.t.Context()
	o, ok := w.pickOrder(StatusPendingPayment)
	if !ok {
		return
	}
	p, err := w.db.StartPayment(ctx, o.customer, o.id, "sandbox", "")
	w.log("  start payment for %d (%s) → %v", o.id, o.status, err)
	if !w.canPay(o) {
		if !errors.Is(err, ErrOrderState) {
			w.fail("payment started for order %d in %s (deadline %d, now %d): %v", o.id, o.status, o.deadline, w.now.Unix(), err)
		}
		return
	}
	w.noErr("start payment", err)
	if p.Amount != o.payable || p.Status != PaymentPending {
		w.fail("attempt = %+v for payable %d", p, o.payable)
	}
	n := PaymentNotice{Provider: "sandbox", OutTradeNo: p.OutTradeNo, ProviderTxnID: "TXN" + p.OutTradeNo, Amount: p.Amount}
	w.payOrder[n.OutTradeNo] = o.id
	switch w.rng.IntN(5) {
	case 0: // the notice comes later
		w.pending = append(w.pending, n)
		return
	case 1: // a notice for the wrong amount changes nothing
		bad := n
		bad.Amount += Fen(1 + w.rng.IntN(500))
		if w.rng.IntN(2) == 0 {
			bad.Amount = n.Amount - 1
		}
		if _, _, err := w.db.ApplyPayment(ctx, bad); !errors.Is(err, ErrPaymentMismatch) {
			w.fail("wrong amount %d for %d: %v", bad.Amount, n.Amount, err)
		}
		if got := w.order(o.id); got.status != o.status {
			w.fail("a refused notice moved order %d to %s", o.id, got.status)
		}
		w.pending = append(w.pending, n)
		return
	}
	w.apply(n)
	if w.rng.IntN(3) == 0 {
		w.replay(n)
	}
}

// apply applies a notice and checks the result the order's state predicts.
func (w *propWorld) apply(n PaymentNotice) {
	ctx := w.t.Context()
	o := w.order(w.payOrder[n.OutTradeNo])
	r, p, err := w.db.ApplyPayment(ctx, n)
	w.log("  apply %s for %d (%s, payable %d, amount %d) → %v %v", n.OutTradeNo, o.id, o.status, o.payable, n.Amount, r, err)
	w.noErr("apply payment", err)
	w.applied = append(w.applied, n)
	if o.status == StatusPendingPayment && o.payable == n.Amount {
		if r != ApplyPaid {
			w.fail("payment of pending order %d = %v, want paid", o.id, r)
		}
		return
	}
	if r != ApplyLate {
		w.fail("payment of order %d in %s (payable %d, amount %d) = %v, want late", o.id, o.status, o.payable, n.Amount, r)
	}
	// The caller refunds a late payment through the provider at once.
	w.noErr("record late refund", w.db.RecordLateRefund(ctx, p.ID, "R"+n.OutTradeNo))
}

func (w *propWorld) replay(n PaymentNotice) {
	before := w.order(w.payOrder[n.OutTradeNo])
	r, _, err := w.db.ApplyPayment(w.t.Context(), n)
	w.log("  replay %s → %v %v", n.OutTradeNo, r, err)
	if err != nil || r != ApplyDuplicate {
		w.fail("replayed notice = %v, %v; want duplicate", r, err)
	}
	if after := w.order(before.id); after.status != before.status {
		w.fail("a replayed notice moved order %d from %s to %s", before.id, before.status, after.status)
	}
}

func (w *propWorld) applyOutstanding() {
	if len(w.pending) == 0 {
		return
	}
	i := w.rng.IntN(len(w.pending))
	n := w.pending[i]
	w.pending = slices.Delete(w.pending, i, i+1)
	w.apply(n)
}

func (w *propWorld) replayNotice() {
	if len(w.applied) == 0 {
		return
	}
	w.replay(w.applied[w.rng.IntN(len(w.applied))])
}

func (w *propWorld) balance(customer int64) Fen {
	var b Fen
	w.noErr("balance", w.db.r.QueryRow(`SELECT balance_fen FROM customers WHERE id = ?`, customer).Scan(&b))
	return b
}

func (w *propWorld) payBalance() {
	o, ok := w.pickOrder(StatusPendingPayment)
	if !ok {
		return
	}
	if need := o.payable - w.balance(o.customer); need > 0 && w.rng.IntN(4) > 0 {
		credit(w.t, w.db, o.customer, need+Fen(w.rng.IntN(1000)))
	}
	bal := w.balance(o.customer)
	err := w.db.PayWithBalance(w.t.Context(), o.customer, o.id)
	w.log("  balance %d pays %d (%s, payable %d) → %v", bal, o.id, o.status, o.payable, err)
	switch {
	case !w.canPay(o):
		if !errors.Is(err, ErrOrderState) {
			w.fail("balance paid order %d in %s: %v", o.id, o.status, err)
		}
	case bal < o.payable:
		if fieldsOf(err)["balance"] != "pay.balance_insufficient" {
			w.fail("balance %d paid %d: %v", bal, o.payable, err)
		}
	default:
		w.noErr("pay with balance", err)
		if got := w.balance(o.customer); got != bal-o.payable {
			w.fail("balance after paying %d = %d, want %d", o.payable, got, bal-o.payable)
		}
	}
}

func (w *propWorld) cancel() {
	o, ok := w.pickOrder(StatusPendingPayment)
	if !ok {
		return
	}
	who := o.customer
	var err error
	switch w.rng.IntN(8) {
	case 0: // someone else's order: as if it did not exist
		who = w.buyers[w.rng.IntN(len(w.buyers))].id
		err = w.db.CancelOrder(w.t.Context(), who, o.id, "不想要了")
	case 1: // the back office, with a reason
		err = w.db.CancelOrderByStaff(w.t.Context(), o.id, StaffActor("boss"), "缺货")
	default:
		err = w.db.CancelOrder(w.t.Context(), who, o.id, "不想要了")
	}
	w.log("  %d cancels %d (%s) → %v", who, o.id, o.status, err)
	switch {
	case who != o.customer:
		if !errors.Is(err, ErrNotFound) {
			w.fail("customer %d cancelled order %d of %d: %v", who, o.id, o.customer, err)
		}
	case o.status == StatusPendingPayment:
		w.noErr("cancel", err)
	default:
		if !errors.Is(err, ErrOrderState) {
			w.fail("cancelled order %d in %s: %v", o.id, o.status, err)
		}
	}
}

func (w *propWorld) countOrders(where string, args ...any) int {
	w.t.Helper()
	var n int
	w.noErr("count orders", w.db.r.QueryRow(`SELECT COUNT(*) FROM orders WHERE `+where, args...).Scan(&n))
	return n
}

// expire moves the clock and runs the unpaid-orders job.
func (w *propWorld) expire() {
	w.now = w.now.Add(time.Duration(1+w.rng.IntN(40)) * time.Minute)
	due := w.countOrders(`status = 'pending_payment' AND pay_deadline <= ?`, w.now.Unix())
	n, err := w.db.CancelExpiredOrders(w.t.Context(), 100)
	w.log("  clock %s: cancelled %d of %d due → %v", w.now.Format("15:04"), n, due, err)
	w.noErr("cancel expired", err)
	if n != due {
		w.fail("cancelled %d expired orders, %d were due", n, due)
	}
	if left := w.countOrders(`status = 'pending_payment' AND pay_deadline <= ?`, w.now.Unix()); left > 0 {
		w.fail("%d expired orders left", left)
	}
}

func (w *propWorld) ship() {
	ctx := w.t.Context()
	o, ok := w.pickOrder(StatusToShip)
	if !ok {
		return
	}
	in := ShipInput{Carrier: "顺丰", TrackingNo: fmt.Sprint("SF", w.step)}
	var unshipped int
	if o.status == StatusToShip && o.delivery == DeliveryExpress && w.rng.IntN(2) == 0 {
		full, err := w.db.OrderByID(ctx, o.id)
		w.noErr("read order", err)
		unshipped = full.Unshipped()
		for _, l := range full.Lines {
			if n := l.Unshipped(); n > 0 && w.rng.IntN(2) == 0 {
				in.Lines = append(in.Lines, PackageLine{LineID: l.ID, Qty: 1 + w.rng.IntN(n)})
			}
		}
	}
	err := w.db.ShipOrder(ctx, o.id, StaffActor("boss"), in)
	w.log("  ship %d (%s %s) %v → %v", o.id, o.status, o.delivery, in.Lines, err)
	if o.status != StatusToShip || o.delivery != DeliveryExpress {
		if !errors.Is(err, ErrOrderState) {
			w.fail("shipped order %d in %s by %s: %v", o.id, o.status, o.delivery, err)
		}
		return
	}
	var open int
	w.noErr("open after-sales", w.db.r.QueryRow(`SELECT COUNT(*) FROM aftersales WHERE order_id = ?
		AND status IN ('requested', 'approved', 'awaiting_return', 'returned')`, o.id).Scan(&open))
	if open > 0 {
		// Lines with an open after-sale wait; the rest may ship.
		if err != nil && fieldsOf(err)["lines"] != "order.ship_aftersale_open" {
			w.fail("ship with an open after-sale: %v", err)
		}
		return
	}
	w.noErr("ship", err)
	if len(in.Lines) > 0 {
		sent := 0
		for _, l := range in.Lines {
			sent += l.Qty
		}
		want := StatusToShip
		if sent == unshipped {
			want = StatusShipped
		}
		if got := w.order(o.id).status; got != want {
			w.fail("after shipping %d of %d pieces order %d is %s, want %s", sent, unshipped, o.id, got, want)
		}
	} else if got := w.order(o.id).status; got != StatusShipped {
		w.fail("after shipping everything order %d is %s", o.id, got)
	}
}

func (w *propWorld) receive() {
	o, ok := w.pickOrder(StatusShipped)
	if !ok {
		return
	}
	err := w.db.ConfirmReceipt(w.t.Context(), o.customer, o.id)
	w.log("  receive %d (%s) → %v", o.id, o.status, err)
	if o.status == StatusShipped {
		w.noErr("confirm receipt", err)
	} else if !errors.Is(err, ErrOrderState) {
		w.fail("received order %d in %s: %v", o.id, o.status, err)
	}
}

func (w *propWorld) autoReceive() {
	w.now = w.now.Add(time.Duration(w.rng.IntN(10*24)) * time.Hour)
	due := w.countOrders(`status = 'shipped' AND auto_receive_at <= ? AND open_aftersales = 0`, w.now.Unix())
	n, err := w.db.AutoReceive(w.t.Context(), 100)
	w.log("  clock %s: received %d of %d due → %v", w.now.Format("01-02 15:04"), n, due, err)
	w.noErr("auto receive", err)
	if n != due {
		w.fail("received %d orders automatically, %d were due", n, due)
	}
}

func (w *propWorld) verifyPickup() {
	ctx := w.t.Context()
	o, ok := w.pickOrder(StatusToPickup, StatusCompleted)
	if !ok {
		return
	}
	if o.code == "" {
		code := fmt.Sprintf("%012d", w.rng.Int64N(1e12))
		_, err := w.db.VerifyPickup(ctx, StaffActor("clerk"), code)
		w.log("  verify unknown code → %v", err)
		if fieldsOf(err)["code"] != "order.pickup_code_unknown" && w.countOrders(`pickup_code = ?`, code) == 0 {
			w.fail("unknown code %s: %v", code, err)
		}
		return
	}
	got, err := w.db.VerifyPickup(ctx, StaffActor("clerk"), o.code)
	w.log("  verify %d (%s) → %v", o.id, o.status, err)
	if o.status == StatusToPickup {
		w.noErr("verify pickup", err)
		if got.ID != o.id || got.Status != StatusCompleted {
			w.fail("verified order = %d %s", got.ID, got.Status)
		}
	} else if fieldsOf(err)["code"] != "order.pickup_code_used" {
		w.fail("code of order %d in %s verified again: %v", o.id, o.status, err)
	}
}

func (w *propWorld) reprice() {
	o, ok := w.pickOrder(StatusPendingPayment)
	if !ok {
		return
	}
	payable := o.shipping + 1 + Fen(w.rng.Int64N(int64(2*o.payable+100)))
	below := o.shipping > 1 && w.rng.IntN(6) == 0
	if below {
		payable = 1 + Fen(w.rng.Int64N(int64(o.shipping-1))) // 1 … shipping−1
	}
	err := w.db.RepriceOrder(w.t.Context(), o.id, payable, StaffActor("boss"), "老客户")
	w.log("  reprice %d (%s) %d → %d: %v", o.id, o.status, o.payable, payable, err)
	switch {
	case o.status != StatusPendingPayment:
		if !errors.Is(err, ErrOrderState) {
			w.fail("repriced order %d in %s: %v", o.id, o.status, err)
		}
	case below:
		if fieldsOf(err)["payable"] != "order.payable_below_shipping" {
			w.fail("repriced order %d below its shipping %d: %v", o.id, o.shipping, err)
		}
	default:
		w.noErr("reprice", err)
		if got := w.order(o.id).payable; got != payable {
			w.fail("payable after reprice = %d, want %d", got, payable)
		}
	}
}

// paidStatuses are the statuses of an order that was paid (closed: paid,
// then refunded in full).
const paidStatuses = `('to_ship', 'shipped', 'to_pickup', 'grouping', 'completed', 'closed')`

// orderRules are the invariants, each a query counting the rows that break
// it (or a description of what it found).
var orderRules = []struct{ name, query string }{
	{"status is known", `SELECT COUNT(*) FROM orders WHERE status NOT IN ('pending_payment', 'to_ship', 'shipped',
		'to_pickup', 'grouping', 'completed', 'cancelled', 'closed') OR delivery NOT IN ('express', 'pickup', 'virtual')`},
	{"paid_at set iff paid", `SELECT COUNT(*) FROM orders WHERE (paid_at IS NOT NULL) != (status IN ` + paidStatuses + `)`},
	{"paid orders were paid the payable amount", `SELECT COUNT(*) FROM orders WHERE status IN ` + paidStatuses + `
		AND (paid_fen != payable_fen OR (payable_fen > 0 AND payment_id IS NULL))`},
	{"a pending order has no successful payment", `SELECT COUNT(*) FROM orders o WHERE status = 'pending_payment'
		AND (paid_fen != 0 OR payment_id IS NOT NULL OR pay_provider != ''
		OR EXISTS (SELECT 1 FROM payments p WHERE p.order_id = o.id AND p.status = 'paid'))`},
	{"at most one paid payment per order", `SELECT COUNT(*) FROM orders o WHERE
		(SELECT COUNT(*) FROM payments p WHERE p.order_id = o.id AND p.status = 'paid') > 1`},
	{"the order's payment is its paid one", `SELECT COUNT(*) FROM orders o JOIN payments p ON p.id = o.payment_id
		WHERE p.status != 'paid' OR p.order_id != o.id OR p.amount_fen != o.paid_fen OR p.provider != o.pay_provider`},
	{"a paid payment is the order's, or refunded late", `SELECT COUNT(*) FROM payments p JOIN orders o ON o.id = p.order_id
		WHERE p.status = 'paid' AND (o.payment_id IS NULL OR o.payment_id != p.id)`},
	{"no attempt left pending on a cancelled order", `SELECT COUNT(*) FROM payments p JOIN orders o ON o.id = p.order_id
		WHERE o.status = 'cancelled' AND p.status = 'pending'`},
	{"time columns follow the status", `SELECT COUNT(*) FROM orders WHERE
		(cancelled_at IS NOT NULL) != (status = 'cancelled')
		OR (completed_at IS NULL AND status = 'completed')
		OR ((shipped_at IS NULL OR auto_receive_at IS NULL) AND status = 'shipped')
		OR (closed_at IS NULL AND status = 'closed')`},
	{"shipped orders shipped every unrefunded piece", `SELECT COUNT(*) FROM order_lines l JOIN orders o ON o.id = l.order_id
		WHERE (o.status = 'shipped' OR (o.status = 'completed' AND o.delivery = 'express'))
		AND l.shipped_qty + l.refunded_qty < l.qty`},
	{"an order waiting to ship has something to ship", `SELECT COUNT(*) FROM orders o WHERE o.status = 'to_ship'
		AND (SELECT SUM(MAX(0, qty - shipped_qty - refunded_qty)) FROM order_lines l WHERE l.order_id = o.id) = 0`},
	{"only paid express orders ship", `SELECT COUNT(*) FROM order_lines l JOIN orders o ON o.id = l.order_id
		WHERE l.shipped_qty > 0 AND (o.delivery != 'express' OR o.status NOT IN ` + paidStatuses + `)`},
	{"line quantities add up", `SELECT COUNT(*) FROM order_lines WHERE shipped_qty < 0 OR refunded_qty < 0 OR restocked_qty < 0
		OR shipped_qty > qty OR refunded_qty > qty OR restocked_qty > refunded_qty OR refunded_fen > paid_fen`},
	{"packages hold the shipped pieces", `SELECT COUNT(*) FROM order_lines l WHERE l.shipped_qty !=
		COALESCE((SELECT SUM(pl.qty) FROM package_lines pl WHERE pl.line_id = l.id), 0)`},
	{"pickup orders have a code once paid", `SELECT COUNT(*) FROM orders WHERE (pickup_code IS NOT NULL) !=
		(delivery = 'pickup' AND status IN ` + paidStatuses + `)`},
	{"pickup codes are 12 digits", `SELECT COUNT(*) FROM orders WHERE pickup_code IS NOT NULL
		AND (length(pickup_code) != 12 OR pickup_code GLOB '*[^0-9]*')`},
	{"Σ line paid + shipping = payable", `SELECT COUNT(*) FROM orders o WHERE payable_fen !=
		shipping_fen + (SELECT SUM(paid_fen) FROM order_lines l WHERE l.order_id = o.id)`},
	{"payable = goods − discount + shipping + adjust", `SELECT COUNT(*) FROM orders WHERE payable_fen < 0
		OR payable_fen != goods_fen - discount_fen + shipping_fen + adjust_fen`},
	{"goods and pieces are the lines'", `SELECT COUNT(*) FROM orders o WHERE
		goods_fen != (SELECT SUM(unit_price_fen * qty) FROM order_lines l WHERE l.order_id = o.id)
		OR pieces != (SELECT SUM(qty) FROM order_lines l WHERE l.order_id = o.id)
		OR discount_fen != (SELECT SUM(discount_fen) FROM order_lines l WHERE l.order_id = o.id)`},
	{"refunds within what was paid", `SELECT COUNT(*) FROM orders o WHERE refunded_fen < 0 OR refunded_fen > paid_fen
		OR refunded_fen != (SELECT SUM(refunded_fen) FROM order_lines l WHERE l.order_id = o.id)
			+ (SELECT COALESCE(SUM(shipping_fen), 0) FROM aftersales a WHERE a.order_id = o.id AND a.status = 'refunded')`},
	{"shipping is refunded only if nothing shipped", `SELECT COUNT(*) FROM aftersales a WHERE a.status = 'refunded'
		AND a.shipping_fen > 0 AND (SELECT SUM(shipped_qty) FROM order_lines l WHERE l.order_id = a.order_id) > 0`},
	{"refunds are the refunded after-sales", `SELECT COUNT(*) FROM orders o WHERE refunded_fen !=
		COALESCE((SELECT SUM(a.amount_fen) FROM aftersales a WHERE a.order_id = o.id AND a.status = 'refunded'), 0)`},
	{"the paying attempt is refunded as the order", `SELECT COUNT(*) FROM orders o JOIN payments p ON p.id = o.payment_id
		WHERE p.refunded_fen != o.refunded_fen`},
	{"open after-sales pause receipt", `SELECT COUNT(*) FROM orders o WHERE open_aftersales != (SELECT COUNT(*)
		FROM aftersales a WHERE a.order_id = o.id AND a.status IN ('requested', 'approved', 'awaiting_return', 'returned'))`},
	{"refunded pieces are the refunded after-sales' pieces", `SELECT COUNT(*) FROM order_lines l WHERE refunded_qty !=
		COALESCE((SELECT SUM(a.qty) FROM aftersales a WHERE a.line_id = l.id AND a.status = 'refunded'), 0)
		OR restocked_qty != COALESCE((SELECT SUM(a.qty) FROM aftersales a WHERE a.line_id = l.id AND a.status = 'refunded'
			AND a.restock = 1), 0)`},
	{"the last status log is the status", `SELECT COUNT(*) FROM orders o WHERE o.status != COALESCE((SELECT to_status
		FROM order_logs g WHERE g.order_id = o.id AND g.to_status != '' ORDER BY g.id DESC LIMIT 1), '')`},
	{"products sum their SKUs", `SELECT COUNT(*) FROM products p WHERE
		stock != (SELECT SUM(stock) FROM skus s WHERE s.product_id = p.id AND s.deleted_at IS NULL)
		OR sales != (SELECT SUM(sales) FROM skus s WHERE s.product_id = p.id AND s.deleted_at IS NULL)`},
	{"balances are their ledger", `SELECT COUNT(*) FROM customers c WHERE balance_fen < 0 OR balance_fen !=
		COALESCE((SELECT SUM(amount_fen) FROM wallet_ledger l WHERE l.customer_id = c.id), 0)
		OR balance_fen != COALESCE((SELECT balance_fen FROM wallet_ledger l WHERE l.customer_id = c.id ORDER BY id DESC LIMIT 1), 0)`},
	{"balance payments are in the ledger", `SELECT COUNT(*) FROM payments p WHERE p.provider = 'balance' AND p.status = 'paid'
		AND NOT EXISTS (SELECT 1 FROM wallet_ledger l WHERE l.customer_id = p.customer_id AND l.kind = 'payment'
			AND l.ref_type = 'order' AND l.ref_id = p.order_id AND l.amount_fen = -p.amount_fen)`},
}

// orderRulesQuery counts the rows breaking each rule, one column per rule.
var orderRulesQuery = func() string {
	cols := make([]string, len(orderRules))
	for i, r := range orderRules {
		cols[i] = "(" + r.query + ")"
	}
	return "SELECT " + strings.Join(cols, ", ")
}()

// checkInvariants checks every rule against the whole database.
func (w *propWorld) checkInvariants() {
	w.t.Helper()
	// All rules in one query: one round trip per step.
	bad := make([]int, len(orderRules))
	dest := make([]any, len(orderRules))
	for i := range bad {
		dest[i] = &bad[i]
	}
	if err := w.db.r.QueryRow(orderRulesQuery).Scan(dest...); err != nil {
		w.fail("order rules: %v", err)
	}
	for i, r := range orderRules {
		if bad[i] > 0 {
			w.fail("rule %q broken by %d rows\n%s", r.name, bad[i], w.dumpOrders())
		}
	}
	// Every status change in the log is one the state machine allows.
	moves, err := w.db.r.Query(`SELECT DISTINCT from_status, to_status FROM order_logs WHERE from_status != to_status`)
	w.noErr("order logs", err)
	for moves.Next() {
		var from, to OrderStatus
		w.noErr("order logs", moves.Scan(&from, &to))
		if !(from == "" && to == StatusPendingPayment) && !CanTransition(from, to) {
			moves.Close()
			w.fail("the log moved an order from %q to %q", from, to)
		}
	}
	moves.Close()
	w.noErr("order logs", moves.Err())

	// Stock conservation per SKU: what is on hand, what pending orders
	// reserve and what was sold (less what refunds put back) is what there
	// was at the start; sales count the pieces of paid orders, less restocked.
	rows, err := w.db.r.Query(`SELECT s.id, s.stock, s.sales,
		COALESCE((SELECT SUM(l.qty) FROM order_lines l JOIN orders o ON o.id = l.order_id
			WHERE l.sku_id = s.id AND o.status = 'pending_payment'), 0),
		COALESCE((SELECT SUM(l.qty - l.restocked_qty) FROM order_lines l JOIN orders o ON o.id = l.order_id
			WHERE l.sku_id = s.id AND o.status IN ` + paidStatuses + `), 0)
		FROM skus s`)
	w.noErr("stock", err)
	defer rows.Close()
	for rows.Next() {
		var id int64
		var stock, sales, reserved, sold int
		w.noErr("stock", rows.Scan(&id, &stock, &sales, &reserved, &sold))
		initial, ok := w.initial[id]
		if !ok {
			continue
		}
		if stock < 0 || stock+reserved+sold != initial || sales != sold {
			w.fail("SKU %d: stock %d + reserved %d + sold %d != initial %d (sales %d)", id, stock, reserved, sold, initial, sales)
		}
	}
	w.noErr("stock", rows.Err())
}

// dumpOrders describes every order for a failure message.
func (w *propWorld) dumpOrders() string {
	var b strings.Builder
	for _, id := range w.orders {
		o, err := w.db.OrderByID(w.t.Context(), id)
		if err != nil {
			fmt.Fprintf(&b, "order %d: %v\n", id, err)
			continue
		}
		fmt.Fprintf(&b, "order %d %s %s payable %d paid %d shipping %d adjust %d paid_at %v payment %d code %q\n",
			o.ID, o.Status, o.Delivery, o.Payable, o.Paid, o.Shipping, o.Adjust, !o.PaidAt.IsZero(), o.PaymentID, o.PickupCode)
		for _, l := range o.Lines {
			fmt.Fprintf(&b, "    line %d sku %d qty %d shipped %d refunded %d paid %d\n", l.ID, l.SKUID, l.Qty, l.ShippedQty, l.RefundedQty, l.Paid)
		}
	}
	return b.String()
}
