package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// The distribution property test drives random referral trees and order
// histories (bindings, rebindings that try to close cycles, orders, refunds
// before and after settlement, the settlement job, withdrawals) and checks
// the tree and the money after every step. Reproduce a failure with the
// seed it prints:
//
//	go test ./store/ -run TestDistributionProperties -dist.seed=N
var (
	distSeed  = flag.Uint64("dist.seed", 0, "seed of the distribution property test (0: a random one)")
	distSeqs  = flag.Int("dist.seqs", 8, "sequences the distribution property test runs")
	distSteps = flag.Int("dist.steps", 200, "steps per sequence of the distribution property test")
)

func TestDistributionProperties(t *testing.T) {
	seqs := *distSeqs
	if testing.Short() {
		seqs = 2
	}
	for i := range seqs {
		seed := *distSeed
		if seed == 0 {
			seed = rand.Uint64()
		} else if i > 0 {
			break
		}
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Logf("seed %d", seed)
			w := newDistWorld(t, seed)
			for w.step = 0; w.step < *distSteps; w.step++ {
				pickDistAction(w.rng).run(w)
				w.check()
			}
			var comm, settled, clawed, cancelled, withdrawals, negative int
			w.db.r.QueryRow(`SELECT COUNT(*), COALESCE(SUM(status = 'settled'), 0), COALESCE(SUM(clawed_fen > 0), 0),
				COALESCE(SUM(status = 'cancelled'), 0), (SELECT COUNT(*) FROM withdrawals),
				(SELECT COUNT(*) FROM commission_ledger WHERE balance_fen < 0) FROM commissions`).
				Scan(&comm, &settled, &clawed, &cancelled, &withdrawals, &negative)
			t.Logf("%d commissions: %d settled, %d clawed back, %d cancelled; %d withdrawals; %d negative balances",
				comm, settled, clawed, cancelled, withdrawals, negative)
		})
	}
}

// distAction is one kind of step of the distribution property test.
type distAction struct {
	name   string
	weight int
	run    func(w *distWorld)
}

var distPropActions = []distAction{
	{"bind", 12, (*distWorld).bind},
	{"staff-rebind", 6, (*distWorld).staffRebind},
	{"place", 14, (*distWorld).place},
	{"pay", 12, (*distWorld).pay},
	{"ship", 8, (*distWorld).ship},
	{"receive", 8, (*distWorld).receive},
	{"refund", 10, (*distWorld).refund},
	{"time", 6, (*distWorld).advance},
	{"settle", 8, (*distWorld).settle},
	{"withdraw", 8, (*distWorld).withdraw},
	{"review", 6, (*distWorld).review},
	{"set-level", 3, (*distWorld).setLevel},
}

func pickDistAction(r *rand.Rand) distAction {
	total := 0
	for _, a := range distPropActions {
		total += a.weight
	}
	n := r.IntN(total)
	for _, a := range distPropActions {
		if n < a.weight {
			return a
		}
		n -= a.weight
	}
	return distPropActions[len(distPropActions)-1]
}

// distWorld is one shop with the distribution engine and what the test
// knows of it: the tree as the rules predict it.
type distWorld struct {
	*propWorld
	s        DistSettings
	levelID  int64
	people   []int64
	codes    map[int64]string
	address  map[int64]int64
	ref      map[int64]int64 // the predicted referrer (0: none)
	boundAt  map[int64]int64
	active   map[int64]bool // who is a distributor
	agents   bool           // regional agents appointed
	refunds  atomic.Int32
	discount Fen
}

func newDistWorld(t *testing.T, seed uint64) *distWorld {
	t.Helper()
	p := &propWorld{t: t, db: openTest(t), rng: rand.New(rand.NewPCG(seed, seed^0x2545f4914f6cdd1d)), seed: seed,
		now: time.Unix(1_800_000_000, 0)}
	w := &distWorld{propWorld: p, codes: map[int64]string{}, address: map[int64]int64{}, ref: map[int64]int64{},
		boundAt: map[int64]int64{}, active: map[int64]bool{}}
	db, ctx, r := w.db, t.Context(), w.rng
	db.SetClock(func() time.Time { return w.now })
	db.SetOrderHook(func(ctx context.Context, tx *sql.Tx, e OrderEvent) error { return db.DistributionTx(ctx, tx, e) })
	w.discount = Fen(r.IntN(3) * 333)
	db.SetPricer(testPricer{discount: w.discount, shipping: Fen(r.IntN(2) * 500)})

	s := DefaultDistSettings()
	s.Levels = 1 + r.IntN(3)
	s.Rates = [3]int{500 + r.IntN(2500), r.IntN(2000), r.IntN(1000)}
	s.SelfPurchase = r.IntN(2) == 0
	s.ProtectDays = r.IntN(3)
	s.Rebind = r.IntN(4) > 0
	s.SettleDays = r.IntN(3)
	s.Base = []string{BasePaid, BasePrice}[r.IntN(2)]
	s.WithdrawMin, s.WithdrawFeeBP, s.WithdrawDaily = 100, r.IntN(300), 0
	s.WithdrawVia = []string{WithdrawWallet, WithdrawBank}
	s.Agents = r.IntN(2) == 0
	if r.IntN(3) == 0 {
		s.Mode = []string{DistManual, DistApply}[r.IntN(2)]
	}
	if err := db.SaveDistSettings(ctx, s); err != nil {
		t.Fatal(err)
	}
	w.s = s
	w.t.Logf("settings %+v discount %d", s, w.discount)

	cat := mustCategory(t, db, 0, "服饰")
	id, err := db.CreateProduct(ctx, clothes(cat))
	w.noErr("product", err)
	pr, err := db.ProductByID(ctx, id)
	w.noErr("product", err)
	for _, k := range pr.SKUs {
		w.skus = append(w.skus, k.ID)
	}
	mode := []string{"", "", "", "", "", "", "", "off", "rates", "fixed"}[r.IntN(10)]
	_, err = db.w.Exec(`UPDATE products SET commission_mode = ?, commission1 = ?, commission2 = ?, commission3 = ?`,
		mode, r.IntN(3000), r.IntN(2000), r.IntN(1000))
	w.noErr("product rule", err)
	w.t.Logf("product commission %q", mode)
	_, err = db.w.Exec(`UPDATE skus SET stock = 100000`)
	w.noErr("stock", err)
	for i := range 10 {
		c := rawCustomer(t, db, fmt.Sprintf("1390000%04d", i))
		w.people = append(w.people, c)
		w.address[c] = mustAddress(t, db, c, nanshan(fmt.Sprint("客户", i)))
		code, err := db.RefCode(ctx, c)
		w.noErr("ref code", err)
		w.codes[c] = code
	}
	if r.IntN(2) == 0 {
		lvl := 0
		w.noErr("level", db.w.QueryRow(`INSERT INTO distributor_levels (name, weight, rate1_bp, rate2_bp, rate3_bp, created_at, updated_at)
			VALUES ('金牌', 1, ?, ?, ?, 0, 0) RETURNING id`, 1000+r.IntN(3000), r.IntN(1500), r.IntN(500)).Scan(&lvl))
		w.levelID = int64(lvl)
	}
	for i, tier := range []string{AgentDistrict, AgentCity, AgentProvince} {
		if r.IntN(3) == 0 {
			continue
		}
		code := []string{"440305", "4403", "44"}[i]
		var expires any
		if r.IntN(3) == 0 {
			expires = w.now.Add(time.Duration(r.IntN(72)) * time.Hour).Unix()
		}
		_, err := db.w.Exec(`INSERT INTO agents (customer_id, tier, region_code, rate_bp, expires_at, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, 0, 0)`, w.people[r.IntN(len(w.people))], tier, code, 100+r.IntN(900), expires)
		w.noErr("agent", err)
		w.agents = true
	}
	// Who is a distributor: everyone, or those the shop designated or
	// approved (the others pending or rejected applicants).
	for _, c := range w.people {
		w.active[c] = s.Mode == DistEveryone || r.IntN(3) > 0
		if s.Mode == DistEveryone {
			continue
		}
		status := DistributorActive
		if !w.active[c] {
			if s.Mode == DistManual {
				continue
			}
			status = []string{DistributorPending, DistributorRejected}[r.IntN(2)]
		}
		_, err := db.w.Exec(`INSERT INTO distributors (customer_id, status, source, created_at, updated_at) VALUES (?, ?, ?, 0, 0)`,
			c, status, s.Mode)
		w.noErr("distributor", err)
	}
	// A tree to start from: everyone under someone earlier, most of the time.
	for i, c := range w.people[1:] {
		if up := w.people[r.IntN(i+1)]; r.IntN(5) > 0 && w.active[up] {
			w.ref[c], w.boundAt[c] = up, w.now.Unix()
			ok, err := db.BindByCode(ctx, c, w.codes[w.ref[c]], BindClick)
			w.noErr("tree", err)
			if !ok {
				t.Fatalf("customer %d not bound", c)
			}
		}
	}
	return w
}

// checkTree fails unless the referral tree is a forest consistent with
// itself (see treeError).
func checkTree(t testing.TB, db *DB) {
	t.Helper()
	if err := treeError(db); err != nil {
		t.Fatal(err)
	}
}

// treeError walks referrer_id from every customer to its root: no cycle,
// ref_path and ref_depth are the walk, and every distributor's direct_count
// and team_count are the real counts.
func treeError(db *DB) error {
	rows, err := db.r.Query(`SELECT id, COALESCE(referrer_id, 0), ref_path, ref_depth FROM customers`)
	if err != nil {
		return err
	}
	type node struct {
		ref   int64
		path  string
		depth int
	}
	nodes := map[int64]node{}
	for rows.Next() {
		var id int64
		var n node
		if err := rows.Scan(&id, &n.ref, &n.path, &n.depth); err != nil {
			rows.Close()
			return err
		}
		nodes[id] = n
	}
	rows.Close()
	direct, team := map[int64]int{}, map[int64]int{}
	for id, n := range nodes {
		seen := map[int64]bool{id: true}
		path := "/"
		depth := 0
		for up := n.ref; up != 0; up = nodes[up].ref {
			if seen[up] {
				return fmt.Errorf("customer %d: a cycle through %d", id, up)
			}
			if _, ok := nodes[up]; !ok {
				return fmt.Errorf("customer %d: referrer %d does not exist", id, up)
			}
			seen[up] = true
			path = "/" + strconv.FormatInt(up, 10) + path
			depth++
			team[up]++
		}
		if n.ref != 0 {
			direct[n.ref]++
		}
		if n.path != path || n.depth != depth {
			return fmt.Errorf("customer %d: ref_path %q depth %d, the walk gives %q depth %d", id, n.path, n.depth, path, depth)
		}
	}
	drows, err := db.r.Query(`SELECT customer_id, direct_count, team_count FROM distributors`)
	if err != nil {
		return err
	}
	defer drows.Close()
	for drows.Next() {
		var id int64
		var d, tm int
		if err := drows.Scan(&id, &d, &tm); err != nil {
			return err
		}
		if d != direct[id] || tm != team[id] {
			return fmt.Errorf("distributor %d: direct %d team %d, real %d and %d", id, d, tm, direct[id], team[id])
		}
	}
	return drows.Err()
}

func (w *distWorld) anyone() int64 { return w.people[w.rng.IntN(len(w.people))] }

// inDownline reports whether y is x or under x in the predicted tree.
func (w *distWorld) inDownline(y, x int64) bool {
	for seen := 0; y != 0 && seen <= len(w.people); seen++ {
		if y == x {
			return true
		}
		y = w.ref[y]
	}
	return false
}

// ancestors is the predicted chain of a customer's referrers, nearest first.
func (w *distWorld) ancestors(x int64) []int64 {
	var out []int64
	for up := w.ref[x]; up != 0 && len(out) <= len(w.people); up = w.ref[up] {
		out = append(out, up)
	}
	return out
}

// syncAgents: an appointed agent who earns is given an active distributors
// row with their first commission (there is nowhere else to keep the
// balance), which makes them a distributor.
func (w *distWorld) syncAgents() {
	if !w.agents {
		return
	}
	rows, err := w.db.r.Query(`SELECT d.customer_id FROM distributors d JOIN agents a ON a.customer_id = d.customer_id
		WHERE d.status = 'active' AND d.source = 'agent'`)
	w.noErr("agents", err)
	defer rows.Close()
	for rows.Next() {
		var id int64
		w.noErr("agents", rows.Scan(&id))
		w.active[id] = true
	}
}

func (w *distWorld) bind() {
	w.syncAgents()
	x, y := w.anyone(), w.anyone()
	if w.rng.IntN(3) == 0 && len(w.ancestors(x)) == 0 {
		// Try hard to close a cycle: bind a root under its own downline.
		var down []int64
		for _, c := range w.people {
			if c != x && w.inDownline(c, x) {
				down = append(down, c)
			}
		}
		if len(down) > 0 {
			y = down[w.rng.IntN(len(down))]
		}
	}
	now := w.now.Unix()
	want := x != y && !w.inDownline(y, x) && w.ref[x] != y && w.active[y]
	if want && w.ref[x] != 0 {
		want = w.s.Rebind && w.s.ProtectDays > 0 && now >= w.boundAt[x]+int64(w.s.ProtectDays)*86400
	}
	got, err := w.db.BindByCode(w.t.Context(), x, w.codes[y], BindClick)
	w.noErr("bind", err)
	w.log("bind %d → %d: %v (want %v)", x, y, got, want)
	if got != want {
		w.fail("bind %d under %d = %v, want %v", x, y, got, want)
	}
	if got {
		w.ref[x], w.boundAt[x] = y, now
	}
}

func (w *distWorld) staffRebind() {
	w.syncAgents()
	x, y := w.anyone(), w.anyone()
	if w.rng.IntN(5) == 0 {
		y = 0
	}
	err := w.db.Rebind(w.t.Context(), x, y, "调整", StaffActor("boss"))
	w.log("staff rebind %d → %d: %v", x, y, err)
	switch {
	case x == y:
		if !errors.Is(err, ErrBindSelf) {
			w.fail("self rebind: %v", err)
		}
	case y != 0 && w.inDownline(y, x):
		if !errors.Is(err, ErrBindCycle) {
			w.fail("rebind of %d under its downline %d: %v", x, y, err)
		}
	case y != 0 && w.ref[x] != y && !w.active[y]:
		if !errors.Is(err, ErrBindNotDist) {
			w.fail("rebind of %d under %d, no distributor: %v", x, y, err)
		}
	default:
		w.noErr("staff rebind", err)
		if w.ref[x] != y {
			w.ref[x], w.boundAt[x] = y, w.now.Unix()
		}
	}
}

func (w *distWorld) place() {
	w.syncAgents()
	x := w.anyone()
	var items []CheckoutItem
	for _, i := range w.rng.Perm(3)[:1+w.rng.IntN(2)] {
		items = append(items, CheckoutItem{w.skus[i+1], 1 + w.rng.IntN(3)})
	}
	w.nextTok++
	o, err := w.db.PlaceOrder(w.t.Context(), CheckoutInput{CustomerID: x, Items: items, Delivery: DeliveryExpress,
		AddressID: w.address[x], Token: fmt.Sprint("dp", w.nextTok)})
	w.noErr("place", err)
	w.orders = append(w.orders, o.ID)
	// The chain of the order is the tree now (and the buyer first with
	// self-purchase: everyone is a distributor).
	want := w.ancestors(x)
	if w.s.SelfPurchase && w.active[x] {
		want = append([]int64{x}, want...)
	}
	want = want[:min(len(want), MaxDistLevels)]
	var raw string
	w.noErr("chain", w.db.r.QueryRow(`SELECT referrer_chain FROM orders WHERE id = ?`, o.ID).Scan(&raw))
	var chain []int64
	w.noErr("chain", json.Unmarshal([]byte(raw), &chain))
	w.log("place %d for %d: chain %v", o.ID, x, chain)
	if !slices.Equal(chain, want) && !(len(chain) == 0 && len(want) == 0) {
		w.fail("order %d chain %v, want %v", o.ID, chain, want)
	}
	if w.rng.IntN(5) == 0 && o.Payable-o.Shipping > 100 {
		// 改价 before payment: the base follows what the lines now cost.
		payable := o.Shipping + 1 + Fen(w.rng.Int64N(int64(o.Payable-o.Shipping)))
		w.log("reprice %d: %d → %d", o.ID, o.Payable, payable)
		w.noErr("reprice", w.db.RepriceOrder(w.t.Context(), o.ID, payable, StaffActor("boss"), "议价"))
	}
	if w.rng.IntN(3) > 0 {
		w.log("pay %d", o.ID)
		mustPay(w.t, w.db, x, o.ID)
	}
}

func (w *distWorld) pickWhere(where string, args ...any) (int64, int64, bool) {
	rows, err := w.db.r.Query(`SELECT id, customer_id FROM orders WHERE `+where+` ORDER BY id`, args...)
	w.noErr("pick", err)
	defer rows.Close()
	var ids, cs []int64
	for rows.Next() {
		var id, c int64
		w.noErr("pick", rows.Scan(&id, &c))
		ids, cs = append(ids, id), append(cs, c)
	}
	if len(ids) == 0 {
		return 0, 0, false
	}
	i := w.rng.IntN(len(ids))
	return ids[i], cs[i], true
}

func (w *distWorld) pay() {
	id, c, ok := w.pickWhere(`status = 'pending_payment' AND pay_deadline > ?`, w.now.Unix())
	if !ok {
		return
	}
	w.log("pay %d", id)
	mustPay(w.t, w.db, c, id)
}

func (w *distWorld) ship() {
	id, _, ok := w.pickWhere(`status = 'to_ship' AND open_aftersales = 0`)
	if !ok {
		return
	}
	w.log("ship %d", id)
	w.noErr("ship", w.db.ShipOrder(w.t.Context(), id, StaffActor("boss"), ShipInput{Carrier: "顺丰", TrackingNo: fmt.Sprint("SF", id)}))
}

func (w *distWorld) receive() {
	id, c, ok := w.pickWhere(`status = 'shipped'`)
	if !ok {
		return
	}
	w.log("receive %d", id)
	w.noErr("receive", w.db.ConfirmReceipt(w.t.Context(), c, id))
}

func (w *distWorld) refund() {
	ctx := w.t.Context()
	id, c, ok := w.pickWhere(`status IN ('to_ship', 'shipped', 'completed') AND open_aftersales = 0 AND (completed_at IS NULL OR completed_at > ?)`,
		w.now.Add(-6*24*time.Hour).Unix())
	if !ok {
		return
	}
	o := mustOrder(w.t, w.db, id)
	var lines []OrderLine
	for _, l := range o.Lines {
		if l.Qty > l.RefundedQty {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return
	}
	l := lines[w.rng.IntN(len(lines))]
	qty := 1 + w.rng.IntN(l.Qty-l.RefundedQty)
	goods, shipping := AftersaleMax(o, l, qty)
	var amount Fen
	if w.rng.IntN(2) == 0 && goods+shipping > 1 {
		amount = 1 + Fen(w.rng.Int64N(int64(goods+shipping)))
	}
	aid, err := w.db.RequestAftersale(ctx, c, AftersaleInput{OrderID: id, LineID: l.ID, Kind: AftersaleRefundOnly, Qty: qty,
		Amount: amount, Reason: "not_wanted"})
	w.noErr("request", err)
	w.noErr("approve", w.db.ApproveAftersale(ctx, aid, StaffActor("boss")))
	w.log("refund order %d line %d ×%d %d (max %d+%d)", id, l.ID, qty, amount, goods, shipping)
	if w.rng.IntN(6) == 0 {
		// Left open for a while: settlement must wait for it.
		return
	}
	w.noErr("refund", w.db.RefundAftersale(ctx, aid, StaffActor("boss"), w.rng.IntN(2) == 0, sandboxRefund(&w.refunds)))
}

func (w *distWorld) advance() {
	d := time.Duration(w.rng.IntN(40)) * time.Hour
	w.now = w.now.Add(d)
	w.log("time +%v", d)
	// Finish the after-sales left open, now and then.
	if w.rng.IntN(2) == 0 {
		rows, err := w.db.r.Query(`SELECT id FROM aftersales WHERE status = 'approved'`)
		w.noErr("open after-sales", err)
		var ids []int64
		for rows.Next() {
			var id int64
			rows.Scan(&id)
			ids = append(ids, id)
		}
		rows.Close()
		for _, id := range ids {
			w.noErr("refund", w.db.RefundAftersale(w.t.Context(), id, StaffActor("boss"), false, sandboxRefund(&w.refunds)))
		}
	}
}

func (w *distWorld) settle() {
	n, err := w.db.SettleCommissions(w.t.Context(), 1+w.rng.IntN(20))
	w.noErr("settle", err)
	w.log("settle: %d", n)
}

func (w *distWorld) withdraw() {
	ctx := w.t.Context()
	x := w.anyone()
	var bal Fen
	if err := w.db.r.QueryRow(`SELECT balance_fen FROM distributors WHERE customer_id = ? AND status = 'active'`, x).Scan(&bal); err != nil {
		return
	}
	amount := Fen(100 + w.rng.IntN(3000))
	if bal >= 100 && w.rng.IntN(4) > 0 {
		amount = 100 + Fen(w.rng.Int64N(int64(bal-99)))
	}
	method := []string{WithdrawWallet, WithdrawBank}[w.rng.IntN(2)]
	_, err := w.db.RequestWithdrawal(ctx, WithdrawalInput{CustomerID: x, Method: method, Amount: amount,
		AccountName: "张三", AccountNo: "6222020202020202", BankName: "工商银行"})
	w.log("withdraw %d by %d (%s) of %d: %v", amount, x, method, bal, err)
	switch {
	case amount > bal:
		if validationKey(err) != "withdraw.balance" {
			w.fail("withdrawal of %d from %d: %v", amount, bal, err)
		}
	default:
		w.noErr("withdraw", err)
	}
}

func (w *distWorld) review() {
	ctx := w.t.Context()
	var id int64
	var status string
	if err := w.db.r.QueryRow(`SELECT id, status FROM withdrawals WHERE status IN ('pending', 'approved') ORDER BY random() LIMIT 1`).
		Scan(&id, &status); err != nil {
		return
	}
	switch w.rng.IntN(3) {
	case 0:
		w.log("reject withdrawal %d", id)
		w.noErr("reject", w.db.RejectWithdrawal(ctx, id, "信息有误", StaffActor("boss")))
	case 1:
		w.log("approve withdrawal %d", id)
		_, err := w.db.ApproveWithdrawals(ctx, []int64{id}, StaffActor("boss"))
		w.noErr("approve", err)
	default:
		err := w.db.MarkWithdrawalPaid(ctx, id, "TR", StaffActor("boss"))
		w.log("mark withdrawal %d (%s) paid: %v", id, status, err)
		if (status == WithdrawalApproved) != (err == nil) {
			w.fail("mark %s withdrawal paid: %v", status, err)
		}
	}
}

// check runs the invariants after a step.
func (w *distWorld) check() {
	w.t.Helper()
	if err := treeError(w.db); err != nil {
		w.fail("tree: %v", err)
	}
	for _, x := range w.people {
		var ref int64
		w.noErr("referrer", w.db.r.QueryRow(`SELECT COALESCE(referrer_id, 0) FROM customers WHERE id = ?`, x).Scan(&ref))
		if ref != w.ref[x] {
			w.fail("customer %d: referrer %d, predicted %d", x, ref, w.ref[x])
		}
	}
	if err := distLedgerError(w.db); err != nil {
		w.fail("money: %v", err)
	}
	// The counters: promoted sales are the lines with a level-1 commission,
	// paid less refunded; own spend is the completed orders, paid less refunded.
	var bad int
	w.noErr("counters", w.db.r.QueryRow(`SELECT COUNT(*) FROM distributors d WHERE sales_fen !=
		COALESCE((SELECT SUM(l.paid_fen - l.refunded_fen) FROM commissions c JOIN order_lines l ON l.id = c.line_id
			WHERE c.recipient_id = d.customer_id AND c.kind = 'level' AND c.level = 1), 0)
		OR spend_fen != COALESCE((SELECT SUM(paid_fen - refunded_fen) FROM orders o
			WHERE o.customer_id = d.customer_id AND o.status = 'completed'), 0)`).Scan(&bad))
	if bad > 0 {
		w.fail("%d distributors' sales or spend differ from their orders", bad)
	}
	// Every commission row: within its rate and the configured share, at
	// the remaining share of its line, paid to the order's chain.
	rows, err := w.db.r.Query(`SELECT c.id, c.kind, c.level, c.recipient_id, c.base_fen, c.rate_bp, c.unit_fen, c.rule,
		c.original_fen, c.amount_fen, c.status, l.qty, l.refunded_qty, l.paid_fen, l.refunded_fen, l.unit_price_fen, o.referrer_chain
		FROM commissions c JOIN order_lines l ON l.id = c.line_id JOIN orders o ON o.id = c.order_id`)
	w.noErr("commissions", err)
	defer rows.Close()
	for rows.Next() {
		var id, recipient int64
		var kind, rule, status, chainRaw string
		var level, rate, qty, refQty int
		var base, unit, original, amount, paid, refunded, price Fen
		w.noErr("commissions", rows.Scan(&id, &kind, &level, &recipient, &base, &rate, &unit, &rule, &original, &amount, &status,
			&qty, &refQty, &paid, &refunded, &price, &chainRaw))
		wantBase := paid
		if w.s.Base == BasePrice {
			wantBase = price * Fen(qty)
		}
		if base != wantBase {
			w.fail("commission %d: base %d, want %d", id, base, wantBase)
		}
		if unit == 0 && original > base*Fen(rate)/10000 {
			w.fail("commission %d: %d over %d bp of %d", id, original, rate, base)
		}
		if unit > 0 && original > unit*Fen(qty) {
			w.fail("commission %d: %d over %d × %d", id, original, unit, qty)
		}
		if kind == CommissionLevel {
			if level > w.s.Levels {
				w.fail("commission %d at level %d of %d", id, level, w.s.Levels)
			}
			var chain []int64
			json.Unmarshal([]byte(chainRaw), &chain)
			if level > len(chain) || chain[level-1] != recipient {
				w.fail("commission %d: level %d to %d, chain %v", id, level, recipient, chain)
			}
			if rule == "shop" && rate != w.s.Rates[level-1] {
				w.fail("commission %d: shop rate %d, configured %d", id, rate, w.s.Rates[level-1])
			}
		}
		if status != CommissionCancelled {
			if want := remaining(original, paid, refunded, qty, refQty); amount != want {
				w.fail("commission %d (%s): amount %d, want %d of %d (line paid %d refunded %d)", id, status, amount, want,
					original, paid, refunded)
			}
		}
	}
	w.noErr("commissions", rows.Err())
}

// setLevel puts a distributor in the distributor level (or out of it).
func (w *distWorld) setLevel() {
	if w.levelID == 0 {
		return
	}
	var level any = w.levelID
	if w.rng.IntN(3) == 0 {
		level = nil
	}
	x := w.anyone()
	_, err := w.db.w.Exec(`UPDATE distributors SET level_id = ? WHERE customer_id = ?`, level, x)
	w.noErr("set level", err)
	w.log("level of %d: %v", x, level)
}
