package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The commission rules of domain.md (Distribution), case by case, with the
// amounts in fen worked out by hand. The SKUs of the fixture cost 60.00
// (红 / L) and 61.00 (蓝 / M); the tree is c ← a ← b ← alice unless a case
// says otherwise; the shop's rates are 10 % and 5 % (and 2 % for a third
// level where three are paid).

// testPricer is a price pipeline for the tests: SKU prices, an activity on
// some SKUs, an order-level discount (a coupon) spread over the lines, and
// a flat shipping fee on top of the templates'.
type testPricer struct {
	discount Fen
	shipping Fen
	activity map[int64]bool // SKU → whether its activity pays commission
}

func (p testPricer) PriceQuote(_ context.Context, _ *sql.Tx, q *Quote) error {
	PriceSKU(q)
	for i, l := range q.Lines {
		if pays, ok := p.activity[l.SKUID]; ok {
			q.Lines[i].Activity, q.Lines[i].ActivityCommission = "flash_sale", pays
		}
	}
	if p.discount > 0 {
		q.DiscountOrder(StageDiscount, "coupon", "优惠券", p.discount)
	}
	if err := PriceShipping(q); err != nil {
		return err
	}
	if p.shipping > 0 && q.Delivery == DeliveryExpress {
		q.Shipping += p.shipping
	}
	return nil
}

// ctFixture is the distribution fixture with a third referrer c, the
// customers' names for the messages, and addresses for every buyer.
type ctFixture struct {
	distFixture
	c       int64
	names   map[int64]string
	addr    map[int64]int64
	refunds atomic.Int32
	tok     int
}

// newCTFixture opens the store with the settings s and registers a, b and c
// (bound into c ← a ← b ← alice when tree is true; the binding happens
// under the everyone mode, then s is saved).
func newCTFixture(t *testing.T, s DistSettings, tree bool) *ctFixture {
	t.Helper()
	f := &ctFixture{distFixture: distFixture{orderFixture: newOrderFixture(t)}, names: map[int64]string{}, addr: map[int64]int64{}}
	now := time.Unix(1_800_000_000, 0)
	f.now = &now
	f.db.SetClock(func() time.Time { return *f.now })
	f.db.SetOrderHook(func(ctx context.Context, tx *sql.Tx, e OrderEvent) error { return f.db.DistributionTx(ctx, tx, e) })
	if _, err := f.db.w.Exec(`UPDATE skus SET stock = 1000`); err != nil {
		t.Fatal(err)
	}
	f.c = mustRegister(t, f.db, "13500135000").ID
	f.a = mustRegister(t, f.db, "13700137000").ID
	f.b = mustRegister(t, f.db, "13600136000").ID
	f.names = map[int64]string{f.alice: "alice", f.bo: "bo", f.a: "a", f.b: "b", f.c: "c"}
	f.addr[f.alice] = f.address
	if tree {
		f.save(t, DefaultDistSettings())
		for _, p := range [][2]int64{{f.a, f.c}, {f.b, f.a}, {f.alice, f.b}} {
			if !f.bind(t, p[0], p[1], BindClick) {
				t.Fatalf("%s not bound to %s", f.names[p[0]], f.names[p[1]])
			}
		}
	}
	f.save(t, s)
	return f
}

func (f *ctFixture) save(t *testing.T, s DistSettings) {
	t.Helper()
	if err := f.db.SaveDistSettings(t.Context(), s); err != nil {
		t.Fatal(err)
	}
}

func (f *ctFixture) exec(t *testing.T, q string, args ...any) {
	t.Helper()
	if _, err := f.db.w.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// customer registers one more customer under a name.
func (f *ctFixture) customer(t *testing.T, name, phone string) int64 {
	t.Helper()
	id := mustRegister(t, f.db, phone).ID
	f.names[id] = name
	return id
}

// setDist gives the customer a distributors row with status (as the
// application review or the back office would).
func (f *ctFixture) setDist(t *testing.T, id int64, status, source string) {
	t.Helper()
	f.exec(t, `INSERT INTO distributors (customer_id, status, source, created_at, updated_at) VALUES (?, ?, ?, 0, 0)
		ON CONFLICT (customer_id) DO UPDATE SET status = excluded.status`, id, status, source)
}

func (f *ctFixture) setProduct(t *testing.T, mode string, c1, c2, c3 int64) {
	t.Helper()
	f.exec(t, `UPDATE products SET commission_mode = ?, commission1 = ?, commission2 = ?, commission3 = ? WHERE id = ?`,
		mode, c1, c2, c3, f.product)
}

// level creates a distributor level with the rates and puts the members in it.
func (f *ctFixture) level(t *testing.T, weight int, rates [3]int, members ...int64) int64 {
	t.Helper()
	var id int64
	if err := f.db.w.QueryRow(`INSERT INTO distributor_levels (name, weight, rate1_bp, rate2_bp, rate3_bp, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, 0, 0) RETURNING id`, fmt.Sprint("L", weight), weight, rates[0], rates[1], rates[2]).Scan(&id); err != nil {
		t.Fatal(err)
	}
	for _, m := range members {
		f.exec(t, `UPDATE distributors SET level_id = ? WHERE customer_id = ?`, id, m)
	}
	return id
}

// agent appoints a regional agent.
func (f *ctFixture) agent(t *testing.T, who int64, tier, code string, bp int, expires any) int64 {
	t.Helper()
	var id int64
	if err := f.db.w.QueryRow(`INSERT INTO agents (customer_id, tier, region_code, rate_bp, expires_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, 0, 0) RETURNING id`, who, tier, code, bp, expires).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// placeFor places an order of the items for a customer (given an address
// on first use) through ctx (which may carry a referral code).
func (f *ctFixture) placeFor(t *testing.T, ctx context.Context, who int64, items ...CheckoutItem) *Order {
	t.Helper()
	if f.addr[who] == 0 {
		f.addr[who] = mustAddress(t, f.db, who, nanshan(f.names[who]))
	}
	f.tok++
	o, err := f.db.PlaceOrder(ctx, CheckoutInput{CustomerID: who, Items: items, Delivery: DeliveryExpress,
		AddressID: f.addr[who], Token: fmt.Sprint("ct-", f.tok)})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// buy places and pays an order.
func (f *ctFixture) buy(t *testing.T, who int64, items ...CheckoutItem) *Order {
	t.Helper()
	o := f.placeFor(t, t.Context(), who, items...)
	mustPay(t, f.db, who, o.ID)
	return mustOrder(t, f.db, o.ID)
}

// complete ships the order and confirms its receipt.
func (f *ctFixture) complete(t *testing.T, o *Order) {
	t.Helper()
	if err := f.db.ShipOrder(t.Context(), o.ID, StaffActor("boss"), ShipInput{Carrier: "顺丰", TrackingNo: fmt.Sprint("SF", o.ID)}); err != nil {
		t.Fatal(err)
	}
	if err := f.db.ConfirmReceipt(t.Context(), o.CustomerID, o.ID); err != nil {
		t.Fatal(err)
	}
}

// settle lets the settlement days pass and runs the job.
func (f *ctFixture) settle(t *testing.T) int {
	t.Helper()
	s := f.db.DistSettings(t.Context())
	*f.now = f.now.Add(time.Duration(s.SettleDays)*24*time.Hour + time.Second)
	n, err := f.db.SettleCommissions(t.Context(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// refund refunds qty pieces of the order's line i (amount 0: the most)
// through an approved refund-only after-sale.
func (f *ctFixture) refund(t *testing.T, o *Order, i, qty int, amount Fen) {
	t.Helper()
	id := mustRequest(t, f.db, o.CustomerID, AftersaleInput{OrderID: o.ID, LineID: o.Lines[i].ID, Kind: AftersaleRefundOnly,
		Qty: qty, Amount: amount})
	if err := f.db.ApproveAftersale(t.Context(), id, StaffActor("boss")); err != nil {
		t.Fatal(err)
	}
	if err := f.db.RefundAftersale(t.Context(), id, StaffActor("boss"), false, sandboxRefund(&f.refunds)); err != nil {
		t.Fatal(err)
	}
}

// earned returns the order's live commissions (not cancelled), summed over
// the lines, by "name:kind:level".
func (f *ctFixture) earned(t *testing.T, order int64) map[string]Fen {
	t.Helper()
	rows, err := f.db.r.Query(`SELECT recipient_id, kind, level, SUM(amount_fen) FROM commissions
		WHERE order_id = ? AND status != 'cancelled' GROUP BY recipient_id, kind, level`, order)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]Fen{}
	for rows.Next() {
		var id int64
		var kind string
		var level int
		var amount Fen
		if err := rows.Scan(&id, &kind, &level, &amount); err != nil {
			t.Fatal(err)
		}
		out[fmt.Sprintf("%s:%s:%d", f.names[id], kind, level)] = amount
	}
	return out
}

func (f *ctFixture) wantEarned(t *testing.T, order int64, want map[string]Fen) {
	t.Helper()
	if want == nil {
		want = map[string]Fen{}
	}
	if got := f.earned(t, order); !maps.Equal(got, want) {
		t.Fatalf("commissions = %v, want %v", got, want)
	}
	checkDistLedgers(t, f.db)
}

// dist reads a distributor's money columns.
type distMoney struct{ balance, pending, settled, withdrawn Fen }

func (f *ctFixture) money(t *testing.T, id int64) distMoney {
	t.Helper()
	var m distMoney
	if err := f.db.r.QueryRow(`SELECT balance_fen, pending_fen, settled_fen, withdrawn_fen FROM distributors WHERE customer_id = ?`, id).
		Scan(&m.balance, &m.pending, &m.settled, &m.withdrawn); err != nil {
		t.Fatalf("distributor %s: %v", f.names[id], err)
	}
	return m
}

func (f *ctFixture) referrer(t *testing.T, id int64) (int64, string) {
	t.Helper()
	var ref sql.NullInt64
	var via string
	if err := f.db.r.QueryRow(`SELECT referrer_id, bound_via FROM customers WHERE id = ?`, id).Scan(&ref, &via); err != nil {
		t.Fatal(err)
	}
	return ref.Int64, via
}

// checkDistLedgers fails unless the distribution money reconciles: every
// commission balance is the sum of its ledger (row by row), pending_fen is
// Σ pending commissions, settled_fen and Σ settle − Σ clawback are Σ settled
// commissions, Σ clawback is Σ clawed_fen, and the wallet balances are their
// ledgers.
func checkDistLedgers(t testing.TB, db *DB) {
	t.Helper()
	if err := distLedgerError(db); err != nil {
		t.Fatal(err)
	}
}

func distLedgerError(db *DB) error {
	q := func(query string) (int, error) {
		var n int
		err := db.r.QueryRow(query).Scan(&n)
		return n, err
	}
	checks := []struct{ what, query string }{
		{"balance ≠ Σ ledger", `SELECT COUNT(*) FROM distributors d WHERE balance_fen !=
			COALESCE((SELECT SUM(amount_fen) FROM commission_ledger l WHERE l.customer_id = d.customer_id), 0)`},
		{"ledger row's balance ≠ running sum", `SELECT COUNT(*) FROM commission_ledger l WHERE balance_fen !=
			(SELECT SUM(amount_fen) FROM commission_ledger m WHERE m.customer_id = l.customer_id AND m.id <= l.id)`},
		{"ledger for a customer without a distributor row", `SELECT COUNT(*) FROM commission_ledger l
			WHERE NOT EXISTS (SELECT 1 FROM distributors d WHERE d.customer_id = l.customer_id)`},
		{"commission for a recipient without a distributor row", `SELECT COUNT(*) FROM commissions c
			WHERE NOT EXISTS (SELECT 1 FROM distributors d WHERE d.customer_id = c.recipient_id)`},
		{"pending_fen ≠ Σ pending", `SELECT COUNT(*) FROM distributors d WHERE pending_fen !=
			COALESCE((SELECT SUM(amount_fen) FROM commissions c WHERE c.recipient_id = d.customer_id AND c.status = 'pending'), 0)`},
		{"settled_fen ≠ Σ settled", `SELECT COUNT(*) FROM distributors d WHERE settled_fen !=
			COALESCE((SELECT SUM(amount_fen) FROM commissions c WHERE c.recipient_id = d.customer_id AND c.status = 'settled'), 0)`},
		{"Σ settle − Σ clawback ≠ Σ settled", `SELECT COUNT(*) FROM distributors d WHERE
			COALESCE((SELECT SUM(amount_fen) FROM commission_ledger l WHERE l.customer_id = d.customer_id AND l.kind IN ('settle', 'clawback')), 0) !=
			COALESCE((SELECT SUM(amount_fen) FROM commissions c WHERE c.recipient_id = d.customer_id AND c.status = 'settled'), 0)`},
		{"Σ clawback ≠ −Σ clawed_fen", `SELECT COUNT(*) FROM distributors d WHERE
			COALESCE((SELECT SUM(amount_fen) FROM commission_ledger l WHERE l.customer_id = d.customer_id AND l.kind = 'clawback'), 0) !=
			-COALESCE((SELECT SUM(clawed_fen) FROM commissions c WHERE c.recipient_id = d.customer_id), 0)`},
		{"withdrawn_fen ≠ Σ paid withdrawals", `SELECT COUNT(*) FROM distributors d WHERE withdrawn_fen !=
			COALESCE((SELECT SUM(amount_fen) FROM withdrawals w WHERE w.customer_id = d.customer_id AND w.status = 'paid'), 0)`},
		{"Σ withdraw + Σ withdraw_return ≠ −Σ unreturned withdrawals", `SELECT COUNT(*) FROM distributors d WHERE
			COALESCE((SELECT SUM(amount_fen) FROM commission_ledger l WHERE l.customer_id = d.customer_id AND l.kind IN ('withdraw', 'withdraw_return')), 0) !=
			-COALESCE((SELECT SUM(amount_fen) FROM withdrawals w WHERE w.customer_id = d.customer_id AND w.status NOT IN ('rejected', 'failed')), 0)`},
		{"a cancelled commission with an amount", `SELECT COUNT(*) FROM commissions WHERE status = 'cancelled' AND amount_fen != 0`},
		{"a commission line over its base", `SELECT COUNT(*) FROM (SELECT line_id, MAX(base_fen) AS base, SUM(original_fen) AS total
			FROM commissions GROUP BY line_id) WHERE total > base`},
		{"wallet balance ≠ Σ wallet ledger", `SELECT COUNT(*) FROM customers c WHERE balance_fen !=
			COALESCE((SELECT SUM(amount_fen) FROM wallet_ledger l WHERE l.customer_id = c.id), 0)`},
	}
	for _, c := range checks {
		n, err := q(c.query)
		if err != nil {
			return fmt.Errorf("%s: %w", c.what, err)
		}
		if n > 0 {
			return fmt.Errorf("%s: %d rows", c.what, n)
		}
	}
	return nil
}

func TestCommissionTable(t *testing.T) {
	red, blue := "红 / L", "蓝 / M"
	three := func(s *DistSettings) { s.Levels, s.Rates = 3, [3]int{1000, 500, 200} }
	tests := []struct {
		name     string
		settings func(*DistSettings)
		pricer   *testPricer
		prep     func(t *testing.T, f *ctFixture)
		buyer    string // "alice" when empty
		items    map[string]int
		want     map[string]Fen
	}{
		{name: "two levels (the default)", items: map[string]int{red: 2},
			want: map[string]Fen{"b:level:1": 1200, "a:level:2": 600}},
		{name: "one level", settings: func(s *DistSettings) { s.Levels = 1 }, items: map[string]int{red: 2},
			want: map[string]Fen{"b:level:1": 1200}},
		{name: "three levels", settings: three, items: map[string]int{red: 2},
			want: map[string]Fen{"b:level:1": 1200, "a:level:2": 600, "c:level:3": 240}},
		{name: "two levels leave the third referrer out", settings: func(s *DistSettings) { s.Rates = [3]int{1000, 500, 200} },
			items: map[string]int{red: 2}, want: map[string]Fen{"b:level:1": 1200, "a:level:2": 600}},
		{name: "rates round down per line", items: map[string]int{red: 1, blue: 1},
			// 6000 → 600 / 300; 6100 → 610 / 305
			want: map[string]Fen{"b:level:1": 1210, "a:level:2": 605}},
		{name: "self-purchase off: a distributor's own order pays their referrers", buyer: "b", items: map[string]int{red: 2},
			want: map[string]Fen{"a:level:1": 1200, "c:level:2": 600}},
		{name: "self-purchase on: the distributor earns level 1, their referrer level 2", buyer: "b",
			settings: func(s *DistSettings) { s.SelfPurchase = true }, items: map[string]int{red: 2},
			want: map[string]Fen{"b:level:1": 1200, "a:level:2": 600}},
		{name: "self-purchase on, three levels", buyer: "b",
			settings: func(s *DistSettings) { three(s); s.SelfPurchase = true }, items: map[string]int{red: 2},
			want: map[string]Fen{"b:level:1": 1200, "a:level:2": 600, "c:level:3": 240}},
		{name: "self-purchase on, the buyer not a distributor", buyer: "alice",
			settings: func(s *DistSettings) { s.SelfPurchase = true; s.Mode = DistManual },
			prep: func(t *testing.T, f *ctFixture) {
				f.setDist(t, f.b, DistributorActive, DistManual)
				f.setDist(t, f.a, DistributorActive, DistManual)
			},
			items: map[string]int{red: 2}, want: map[string]Fen{"b:level:1": 1200, "a:level:2": 600}},
		{name: "product: fixed fen per unit per level", prep: func(t *testing.T, f *ctFixture) { f.setProduct(t, "fixed", 300, 100, 0) },
			items: map[string]int{red: 2}, want: map[string]Fen{"b:level:1": 600, "a:level:2": 200}},
		{name: "product: fixed amounts never pay more than the base",
			prep:  func(t *testing.T, f *ctFixture) { f.setProduct(t, "fixed", 5000, 3000, 0) },
			items: map[string]int{red: 1}, want: map[string]Fen{"b:level:1": 5000, "a:level:2": 1000}},
		{name: "product: own rates", prep: func(t *testing.T, f *ctFixture) { f.setProduct(t, "rates", 2000, 1000, 0) },
			items: map[string]int{red: 2}, want: map[string]Fen{"b:level:1": 2400, "a:level:2": 1200}},
		{name: "product: opted out", prep: func(t *testing.T, f *ctFixture) { f.setProduct(t, "off", 0, 0, 0) },
			items: map[string]int{red: 2}, want: nil},
		{name: "distributor level replaces the shop's rates for its member",
			prep:  func(t *testing.T, f *ctFixture) { f.level(t, 1, [3]int{2000, 800, 0}, f.b) },
			items: map[string]int{red: 2}, want: map[string]Fen{"b:level:1": 2400, "a:level:2": 600}},
		{name: "distributor level at the second level",
			prep:  func(t *testing.T, f *ctFixture) { f.level(t, 1, [3]int{2000, 800, 0}, f.a) },
			items: map[string]int{red: 2}, want: map[string]Fen{"b:level:1": 1200, "a:level:2": 960}},
		{name: "a deleted distributor level falls back to the shop's rates",
			prep: func(t *testing.T, f *ctFixture) {
				id := f.level(t, 1, [3]int{2000, 800, 0}, f.b)
				f.exec(t, `UPDATE distributor_levels SET deleted_at = 1 WHERE id = ?`, id)
			},
			items: map[string]int{red: 2}, want: map[string]Fen{"b:level:1": 1200, "a:level:2": 600}},
		{name: "a product's own rates beat the distributor level",
			prep: func(t *testing.T, f *ctFixture) {
				f.level(t, 1, [3]int{2000, 800, 0}, f.b)
				f.setProduct(t, "rates", 300, 200, 0)
			},
			items: map[string]int{red: 2}, want: map[string]Fen{"b:level:1": 360, "a:level:2": 240}},
		{name: "the base is what was paid after a coupon", pricer: &testPricer{discount: 1000},
			// 18100 less 1000 by largest remainder: 11337 and 5763.
			items: map[string]int{red: 2, blue: 1}, want: map[string]Fen{"b:level:1": 1133 + 576, "a:level:2": 566 + 288}},
		{name: "base option: SKU price × qty, whatever the coupon", pricer: &testPricer{discount: 1000},
			settings: func(s *DistSettings) { s.Base = BasePrice },
			items:    map[string]int{red: 2, blue: 1}, want: map[string]Fen{"b:level:1": 1200 + 610, "a:level:2": 600 + 305}},
		{name: "shipping is not in the base", pricer: &testPricer{shipping: 800},
			items: map[string]int{red: 2}, want: map[string]Fen{"b:level:1": 1200, "a:level:2": 600}},
		{name: "an activity that pays no commission", pricer: &testPricer{activity: map[int64]bool{}},
			prep: func(t *testing.T, f *ctFixture) {
				f.db.SetPricer(testPricer{activity: map[int64]bool{f.skus[blue]: false}})
			},
			items: map[string]int{red: 2, blue: 1}, want: map[string]Fen{"b:level:1": 1200, "a:level:2": 600}},
		{name: "an activity that pays commission",
			prep: func(t *testing.T, f *ctFixture) {
				f.db.SetPricer(testPricer{activity: map[int64]bool{f.skus[blue]: true}})
			},
			items: map[string]int{red: 2, blue: 1}, want: map[string]Fen{"b:level:1": 1810, "a:level:2": 905}},
		{name: "regional agents nested: each tier earns the difference",
			settings: func(s *DistSettings) { s.Agents = true },
			prep: func(t *testing.T, f *ctFixture) {
				f.agent(t, f.customer(t, "district", "13100131001"), AgentDistrict, "440305", 300, nil)
				f.agent(t, f.customer(t, "city", "13100131002"), AgentCity, "4403", 500, nil)
				f.agent(t, f.customer(t, "province", "13100131003"), AgentProvince, "44", 800, nil)
			},
			items: map[string]int{red: 2},
			want: map[string]Fen{"b:level:1": 1200, "a:level:2": 600,
				"district:agent:1": 360, "city:agent:2": 240, "province:agent:3": 360}},
		{name: "regional agents: an expired city agent earns nothing, the province the rest",
			settings: func(s *DistSettings) { s.Agents = true },
			prep: func(t *testing.T, f *ctFixture) {
				f.agent(t, f.customer(t, "district", "13100131001"), AgentDistrict, "440305", 300, nil)
				f.agent(t, f.customer(t, "city", "13100131002"), AgentCity, "4403", 500, f.now.Unix())
				f.agent(t, f.customer(t, "province", "13100131003"), AgentProvince, "44", 800, f.now.Add(time.Hour).Unix())
			},
			items: map[string]int{red: 2},
			want:  map[string]Fen{"b:level:1": 1200, "a:level:2": 600, "district:agent:1": 360, "province:agent:3": 600}},
		{name: "regional agents: a lower tier with a higher rate leaves nothing above it",
			settings: func(s *DistSettings) { s.Agents = true },
			prep: func(t *testing.T, f *ctFixture) {
				f.agent(t, f.customer(t, "district", "13100131001"), AgentDistrict, "440305", 600, nil)
				f.agent(t, f.customer(t, "city", "13100131002"), AgentCity, "4403", 500, nil)
				f.agent(t, f.customer(t, "province", "13100131003"), AgentProvince, "44", 800, nil)
			},
			items: map[string]int{red: 2},
			want:  map[string]Fen{"b:level:1": 1200, "a:level:2": 600, "district:agent:1": 720, "province:agent:3": 240}},
		{name: "regional agents: none in the delivery region",
			settings: func(s *DistSettings) { s.Agents = true },
			prep: func(t *testing.T, f *ctFixture) {
				f.agent(t, f.customer(t, "district", "13100131001"), AgentDistrict, "440306", 300, nil)
				f.agent(t, f.customer(t, "province", "13100131003"), AgentProvince, "45", 800, nil)
			},
			items: map[string]int{red: 2}, want: map[string]Fen{"b:level:1": 1200, "a:level:2": 600}},
		{name: "regional agents: switched off",
			prep: func(t *testing.T, f *ctFixture) {
				f.agent(t, f.customer(t, "district", "13100131001"), AgentDistrict, "440305", 300, nil)
			},
			items: map[string]int{red: 2}, want: map[string]Fen{"b:level:1": 1200, "a:level:2": 600}},
		{name: "regional agents: an agent with no referrer chain still earns",
			settings: func(s *DistSettings) { s.Agents = true },
			buyer:    "bo",
			prep: func(t *testing.T, f *ctFixture) {
				f.agent(t, f.customer(t, "city", "13100131002"), AgentCity, "4403", 500, nil)
			},
			items: map[string]int{red: 2}, want: map[string]Fen{"city:agent:2": 600}},
		{name: "regional agents: never more than the base",
			settings: func(s *DistSettings) { s.Agents = true },
			prep: func(t *testing.T, f *ctFixture) {
				f.agent(t, f.customer(t, "province", "13100131003"), AgentProvince, "44", 9500, nil)
			},
			items: map[string]int{red: 1}, want: map[string]Fen{"b:level:1": 600, "a:level:2": 300, "province:agent:3": 5100}},
		{name: "distribution off", settings: func(s *DistSettings) { s.Enabled = false }, items: map[string]int{red: 2}, want: nil},
		{name: "a disabled distributor earns nothing, the next level still earns its own",
			prep:  func(t *testing.T, f *ctFixture) { f.setDist(t, f.b, DistributorDisabled, DistEveryone) },
			items: map[string]int{red: 2}, want: map[string]Fen{"a:level:2": 600}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := DefaultDistSettings()
			if tt.settings != nil {
				tt.settings(&s)
			}
			f := newCTFixture(t, s, true)
			if tt.pricer != nil {
				f.db.SetPricer(*tt.pricer)
			}
			if tt.prep != nil {
				tt.prep(t, f)
			}
			buyer := f.alice
			for id, n := range f.names {
				if n == tt.buyer {
					buyer = id
				}
			}
			var items []CheckoutItem
			labels := slices.Sorted(maps.Keys(tt.items)) // 红 before 蓝, as the comments count
			for _, l := range labels {
				items = append(items, CheckoutItem{f.skus[l], tt.items[l]})
			}
			o := f.buy(t, buyer, items...)
			f.wantEarned(t, o.ID, tt.want)
			// The base of every row is its line's paid amount (or price × qty).
			for _, l := range o.Lines {
				base := l.Paid
				if s.Base == BasePrice {
					base = l.UnitPrice * Fen(l.Qty)
				}
				var bad int
				f.db.r.QueryRow(`SELECT COUNT(*) FROM commissions WHERE line_id = ? AND base_fen != ?`, l.ID, base).Scan(&bad)
				if bad > 0 {
					t.Fatalf("line %d: commission base is not %d", l.ID, base)
				}
			}
			if tt.pricer != nil && tt.pricer.discount > 0 {
				if o.Lines[0].Paid != 11337 || o.Lines[1].Paid != 5763 {
					t.Fatalf("lines paid %d and %d, want 11337 and 5763", o.Lines[0].Paid, o.Lines[1].Paid)
				}
			}
			if tt.pricer != nil && tt.pricer.shipping > 0 && o.Shipping != 800 {
				t.Fatalf("shipping = %d, want 800", o.Shipping)
			}
			// The whole lifecycle: completed, settled, everything in the balances.
			f.complete(t, o)
			f.settle(t)
			var pending int
			f.db.r.QueryRow(`SELECT COUNT(*) FROM commissions WHERE status = 'pending'`).Scan(&pending)
			if pending > 0 {
				t.Fatalf("%d commissions still pending after settlement", pending)
			}
			for key, amount := range tt.want {
				name := strings.SplitN(key, ":", 2)[0]
				for id, n := range f.names {
					if n == name && !strings.Contains(key, ":level:") {
						if m := f.money(t, id); m.balance != amount {
							t.Fatalf("%s's balance %d, want %d", name, m.balance, amount)
						}
					}
				}
			}
			checkDistLedgers(t, f.db)
		})
	}
}

// TestDistributorModes: who is a distributor, by each mode, and that only
// an active distributor can be a referrer and earn.
func TestDistributorModes(t *testing.T) {
	red := "红 / L"
	t.Run("everyone", func(t *testing.T) {
		f := newCTFixture(t, DefaultDistSettings(), false)
		if !f.bind(t, f.alice, f.b, BindClick) {
			t.Fatal("alice not bound to b")
		}
		o := f.buy(t, f.alice, CheckoutItem{f.skus[red], 1})
		f.wantEarned(t, o.ID, map[string]Fen{"b:level:1": 600})
		var source string
		f.db.r.QueryRow(`SELECT source FROM distributors WHERE customer_id = ?`, f.b).Scan(&source)
		if source != DistEveryone {
			t.Fatalf("b's source = %q", source)
		}
	})
	t.Run("after_purchase: a distributor once their first order is completed", func(t *testing.T) {
		s := DefaultDistSettings()
		s.Mode = DistAfterPurchase
		f := newCTFixture(t, s, false)
		if f.bind(t, f.alice, f.b, BindClick) {
			t.Fatal("alice bound to b, who bought nothing")
		}
		ob := f.buy(t, f.b, CheckoutItem{f.skus[red], 1})
		if f.bind(t, f.alice, f.b, BindClick) {
			t.Fatal("alice bound to b, whose order is only paid")
		}
		f.complete(t, ob)
		if st, _ := distributorTx(t.Context(), f.db.r, f.b); st != DistributorActive {
			t.Fatalf("b after a completed order: %q", st)
		}
		if !f.bind(t, f.alice, f.b, BindClick) {
			t.Fatal("alice not bound to b")
		}
		o := f.buy(t, f.alice, CheckoutItem{f.skus[red], 1})
		f.wantEarned(t, o.ID, map[string]Fen{"b:level:1": 600})
		// alice is no distributor until her own order completes.
		if f.bind(t, f.bo, f.alice, BindClick) {
			t.Fatal("bo bound to alice")
		}
		f.complete(t, o)
		if !f.bind(t, f.bo, f.alice, BindClick) {
			t.Fatal("bo not bound to alice after her completed order")
		}
	})
	t.Run("spend: a distributor once the completed spend reaches the threshold", func(t *testing.T) {
		s := DefaultDistSettings()
		s.Mode, s.SpendThreshold = DistSpend, 120_00
		f := newCTFixture(t, s, false)
		o1 := f.buy(t, f.b, CheckoutItem{f.skus[red], 1})
		f.complete(t, o1)
		if f.bind(t, f.alice, f.b, BindClick) {
			t.Fatal("b a distributor at 60.00 of 120.00")
		}
		o2 := f.buy(t, f.b, CheckoutItem{f.skus[red], 1})
		if f.bind(t, f.alice, f.b, BindClick) {
			t.Fatal("b a distributor with a paid, not completed order")
		}
		f.complete(t, o2)
		if !f.bind(t, f.alice, f.b, BindClick) {
			t.Fatal("b no distributor at 120.00")
		}
		var spend Fen
		f.db.r.QueryRow(`SELECT spend_fen FROM distributors WHERE customer_id = ?`, f.b).Scan(&spend)
		if spend != 120_00 {
			t.Fatalf("b's spend = %d", spend)
		}
		// Kept once reached: a refund below the threshold changes nothing.
		f.refund(t, o2, 0, 1, 0)
		f.db.r.QueryRow(`SELECT spend_fen FROM distributors WHERE customer_id = ?`, f.b).Scan(&spend)
		if st, _ := distributorTx(t.Context(), f.db.r, f.b); st != DistributorActive || spend != 60_00 {
			t.Fatalf("b after a refund: %q, spend %d", st, spend)
		}
		o := f.buy(t, f.alice, CheckoutItem{f.skus[red], 1})
		f.wantEarned(t, o.ID, map[string]Fen{"b:level:1": 600})
	})
	t.Run("apply: pending and rejected applicants are no referrers and earn nothing", func(t *testing.T) {
		s := DefaultDistSettings()
		s.Mode = DistApply
		f := newCTFixture(t, s, false)
		for _, st := range []string{"", DistributorPending, DistributorRejected} {
			if st != "" {
				f.setDist(t, f.b, st, DistApply)
			}
			if f.bind(t, f.alice, f.b, BindClick) {
				t.Fatalf("alice bound to b (%q)", st)
			}
		}
		f.setDist(t, f.b, DistributorActive, DistApply)
		f.setDist(t, f.a, DistributorActive, DistApply)
		if !f.bind(t, f.b, f.a, BindClick) || !f.bind(t, f.alice, f.b, BindClick) {
			t.Fatal("not bound to approved distributors")
		}
		// a's approval is withdrawn (back to pending): level 2 earns nothing,
		// and it does not move up to anyone else.
		f.setDist(t, f.a, DistributorPending, DistApply)
		o := f.buy(t, f.alice, CheckoutItem{f.skus[red], 2})
		f.wantEarned(t, o.ID, map[string]Fen{"b:level:1": 1200})
		f.setDist(t, f.b, DistributorRejected, DistApply)
		o2 := f.buy(t, f.alice, CheckoutItem{f.skus[red], 2})
		f.wantEarned(t, o2.ID, nil)
	})
	t.Run("manual: only designated distributors", func(t *testing.T) {
		s := DefaultDistSettings()
		s.Mode = DistManual
		f := newCTFixture(t, s, false)
		o0 := f.buy(t, f.b, CheckoutItem{f.skus[red], 1})
		f.complete(t, o0)
		if f.bind(t, f.alice, f.b, BindClick) {
			t.Fatal("alice bound to undesignated b")
		}
		f.setDist(t, f.b, DistributorActive, DistManual)
		if !f.bind(t, f.alice, f.b, BindClick) {
			t.Fatal("alice not bound to designated b")
		}
		o := f.buy(t, f.alice, CheckoutItem{f.skus[red], 1})
		f.wantEarned(t, o.ID, map[string]Fen{"b:level:1": 600})
	})
}

// TestBindingTriggers: the first binding happens on the shop's trigger only.
func TestBindingTriggers(t *testing.T) {
	red := "红 / L"
	register := func(t *testing.T, f *ctFixture, code, phone string) int64 {
		t.Helper()
		c, err := f.db.RegisterCustomer(ContextWithReferral(t.Context(), code), phone, "secret123")
		if err != nil {
			t.Fatal(err)
		}
		f.names[c.ID] = phone
		return c.ID
	}
	for _, trigger := range BindTriggers {
		t.Run(trigger, func(t *testing.T) {
			s := DefaultDistSettings()
			s.BindOn = trigger
			f := newCTFixture(t, s, false)
			code := f.code(t, f.b)
			// A visit through the link.
			clicked := f.bind(t, f.alice, f.b, BindClick)
			if clicked != (trigger == BindClick) {
				t.Fatalf("click bound = %v", clicked)
			}
			// Registering through the link.
			newbie := register(t, f, code, "13300133000")
			ref, via := f.referrer(t, newbie)
			wantVia := map[string]string{BindClick: BindClick, BindRegister: BindRegister}[trigger]
			if (ref == f.b) != (wantVia != "") || via != wantVia {
				t.Fatalf("registration: referrer %d via %q, want b via %q", ref, via, wantVia)
			}
			// The first order placed through the link.
			first := f.customer(t, "first", "13300133001")
			o := f.placeFor(t, ContextWithReferral(t.Context(), code), first, CheckoutItem{f.skus[red], 1})
			ref, via = f.referrer(t, first)
			if (ref == f.b) != (trigger == BindFirstOrder) {
				t.Fatalf("first order: referrer %d via %q", ref, via)
			}
			mustPay(t, f.db, first, o.ID)
			want := map[string]Fen(nil)
			if trigger == BindFirstOrder {
				want = map[string]Fen{"b:level:1": 600}
				if via != BindFirstOrder {
					t.Fatalf("bound via %q", via)
				}
			}
			f.wantEarned(t, o.ID, want)
			// A second order through another link binds no one.
			late := f.customer(t, "late", "13300133002")
			o1 := f.placeFor(t, t.Context(), late, CheckoutItem{f.skus[red], 1})
			f.placeFor(t, ContextWithReferral(t.Context(), code), late, CheckoutItem{f.skus[red], 1})
			if ref, _ := f.referrer(t, late); ref != 0 {
				t.Fatalf("bound on a second order (first %d)", o1.ID)
			}
			// Bad codes bind nothing and fail nothing.
			register(t, f, "nope", "13300133003")
			if ok, err := f.db.BindByCode(t.Context(), f.bo, "ZZZZZZZZ", trigger); ok || err != nil {
				t.Fatalf("unknown code: %v %v", ok, err)
			}
		})
	}
}

// TestBindingRules: never to oneself, never into one's own downline
// (whole ancestor chain), protection and rebinding, and the order keeps
// the chain of its creation.
func TestBindingRules(t *testing.T) {
	ctx := t.Context()
	t.Run("self and cycles", func(t *testing.T) {
		f := newCTFixture(t, DefaultDistSettings(), true)
		if f.bind(t, f.b, f.b, BindClick) {
			t.Fatal("bound to self")
		}
		f.exec(t, `UPDATE customers SET referrer_id = NULL, ref_path = '/', ref_depth = 0 WHERE id = ?`, f.c) // c is a root
		s := f.db.DistSettings(ctx)
		s.Rebind, s.ProtectDays = true, 1
		f.save(t, s)
		*f.now = f.now.Add(48 * time.Hour)
		for _, down := range []int64{f.a, f.b, f.alice} {
			if f.bind(t, f.c, down, BindClick) {
				t.Fatalf("c bound under its downline %s", f.names[down])
			}
			if err := f.db.Rebind(ctx, f.c, down, "test", StaffActor("boss")); !errors.Is(err, ErrBindCycle) {
				t.Fatalf("staff rebind of c under %s: %v", f.names[down], err)
			}
			if err := f.db.Rebind(ctx, f.a, down, "test", StaffActor("boss")); down != f.a && !errors.Is(err, ErrBindCycle) {
				t.Fatalf("staff rebind of a under %s: %v", f.names[down], err)
			}
		}
		if err := f.db.Rebind(ctx, f.a, f.a, "test", StaffActor("boss")); !errors.Is(err, ErrBindSelf) {
			t.Fatalf("staff rebind to self: %v", err)
		}
		if err := f.db.Rebind(ctx, f.b, f.c, " ", StaffActor("boss")); err == nil {
			t.Fatal("staff rebind without a reason")
		}
		checkTree(t, f.db)
	})
	tests := []struct {
		name    string
		protect int
		rebind  bool
		after   time.Duration
		want    bool
	}{
		{"protected for ever", 0, true, 3000 * 24 * time.Hour, false},
		{"within protection", 30, true, 30*24*time.Hour - time.Second, false},
		{"after protection, rebinding on", 30, true, 30 * 24 * time.Hour, true},
		{"after protection, rebinding off", 30, false, 31 * 24 * time.Hour, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := DefaultDistSettings()
			s.ProtectDays, s.Rebind = tt.protect, tt.rebind
			f := newCTFixture(t, s, true)
			// An order placed, then the staff move alice under c before it
			// is paid: the order keeps the chain of its creation.
			o := f.placeFor(t, ctx, f.alice, CheckoutItem{f.skus["红 / L"], 2})
			if err := f.db.Rebind(ctx, f.alice, f.c, "客户要求", StaffActor("boss")); err != nil {
				t.Fatal(err)
			}
			mustPay(t, f.db, f.alice, o.ID)
			f.wantEarned(t, o.ID, map[string]Fen{"b:level:1": 1200, "a:level:2": 600})
			if err := f.db.Rebind(ctx, f.alice, f.b, "改回", StaffActor("boss")); err != nil {
				t.Fatal(err)
			}
			*f.now = f.now.Add(tt.after)
			if got := f.bind(t, f.alice, f.c, BindClick); got != tt.want {
				t.Fatalf("rebound = %v, want %v", got, tt.want)
			}
			ref, _ := f.referrer(t, f.alice)
			if (ref == f.c) != tt.want {
				t.Fatalf("referrer %s", f.names[ref])
			}
			o2 := f.buy(t, f.alice, CheckoutItem{f.skus["红 / L"], 2})
			want := map[string]Fen{"b:level:1": 1200, "a:level:2": 600}
			if tt.want {
				want = map[string]Fen{"c:level:1": 1200}
			}
			f.wantEarned(t, o2.ID, want)
			// The staff may always rebind, with a reason, and it is logged.
			if err := f.db.Rebind(ctx, f.alice, f.a, "客户要求", StaffActor("boss")); err != nil {
				t.Fatal(err)
			}
			log, _ := f.db.ReferralLog(ctx, f.alice)
			if len(log) == 0 || log[0].Via != BindStaff || log[0].ToReferrer != f.a || log[0].Reason != "客户要求" {
				t.Fatalf("log = %+v", log)
			}
			checkTree(t, f.db)
		})
	}
}

// TestCommissionLifecycle: pending at payment, reduced pro rata by partial
// refunds (rounded down), cancelled by a full refund, settled after the
// settlement days with no after-sale open, clawed back after settlement
// through the ledger (the balance may go negative, netted later).
func TestCommissionLifecycle(t *testing.T) {
	red := "红 / L"
	t.Run("partial refunds reduce pro rata, rounded down", func(t *testing.T) {
		f := newCTFixture(t, DefaultDistSettings(), true)
		f.db.SetPricer(testPricer{discount: 1001})
		o := f.buy(t, f.alice, CheckoutItem{f.skus[red], 3})
		if o.Lines[0].Paid != 16999 {
			t.Fatalf("paid %d", o.Lines[0].Paid)
		}
		f.wantEarned(t, o.ID, map[string]Fen{"b:level:1": 1699, "a:level:2": 849})
		f.refund(t, o, 0, 1, 0) // 5666 back, 11333 left
		// 1699 × 11333 / 16999 = 1132.7; 849 × 11333 / 16999 = 566.0
		f.wantEarned(t, o.ID, map[string]Fen{"b:level:1": 1132, "a:level:2": 566})
		if m := f.money(t, f.b); m.pending != 1132 {
			t.Fatalf("b's pending %d", m.pending)
		}
		f.refund(t, o, 0, 1, 1) // one fen for the second piece: 11332 left
		// 1699 × 11332 / 16999 = 1132.6; 849 × 11332 / 16999 = 565.97
		f.wantEarned(t, o.ID, map[string]Fen{"b:level:1": 1132, "a:level:2": 565})
		f.complete(t, o)
		f.settle(t)
		if m := f.money(t, f.b); m.balance != 1132 || m.pending != 0 || m.settled != 1132 {
			t.Fatalf("b = %+v", m)
		}
		if m := f.money(t, f.a); m.balance != 565 {
			t.Fatalf("a = %+v", m)
		}
		checkDistLedgers(t, f.db)
	})
	t.Run("a full refund before settlement cancels", func(t *testing.T) {
		f := newCTFixture(t, DefaultDistSettings(), true)
		o := f.buy(t, f.alice, CheckoutItem{f.skus[red], 2})
		f.refund(t, o, 0, 2, 0)
		if got := mustOrder(t, f.db, o.ID); got.Status != StatusClosed {
			t.Fatalf("order %s", got.Status)
		}
		f.wantEarned(t, o.ID, nil)
		var n int
		f.db.r.QueryRow(`SELECT COUNT(*) FROM commissions WHERE order_id = ? AND status = 'cancelled' AND amount_fen = 0
			AND cancelled_at IS NOT NULL`, o.ID).Scan(&n)
		if n != 2 {
			t.Fatalf("%d cancelled commissions, want 2", n)
		}
		if m := f.money(t, f.b); m != (distMoney{}) {
			t.Fatalf("b = %+v", m)
		}
		if f.settle(t) != 0 {
			t.Fatal("settled a cancelled commission")
		}
	})
	t.Run("a full refund of a completed order before settlement cancels", func(t *testing.T) {
		f := newCTFixture(t, DefaultDistSettings(), true)
		o := f.buy(t, f.alice, CheckoutItem{f.skus[red], 2})
		f.complete(t, o)
		f.refund(t, o, 0, 2, 0)
		f.wantEarned(t, o.ID, nil)
		if f.settle(t) != 0 {
			t.Fatal("settled a refunded commission")
		}
		if m := f.money(t, f.b); m != (distMoney{}) {
			t.Fatalf("b = %+v", m)
		}
	})
	t.Run("settlement waits for the days and for open after-sales", func(t *testing.T) {
		f := newCTFixture(t, DefaultDistSettings(), true)
		o := f.buy(t, f.alice, CheckoutItem{f.skus[red], 2}, CheckoutItem{f.skus["蓝 / M"], 1})
		f.complete(t, o)
		*f.now = f.now.Add(7*24*time.Hour - time.Second)
		if n, _ := f.db.SettleCommissions(t.Context(), 100); n != 0 {
			t.Fatal("settled before 7 days")
		}
		*f.now = f.now.Add(-6 * 24 * time.Hour)
		id := mustRequest(t, f.db, f.alice, AftersaleInput{OrderID: o.ID, LineID: o.Lines[0].ID, Kind: AftersaleReturnRefund, Qty: 1})
		*f.now = f.now.Add(6*24*time.Hour + 2*time.Second)
		if n, _ := f.db.SettleCommissions(t.Context(), 100); n != 2 {
			t.Fatalf("settled %d, want the other line's 2", n)
		}
		if err := f.db.WithdrawAftersale(t.Context(), f.alice, id); err != nil {
			t.Fatal(err)
		}
		if n, _ := f.db.SettleCommissions(t.Context(), 100); n != 2 {
			t.Fatalf("settled %d after the after-sale closed, want 2", n)
		}
		if m := f.money(t, f.b); m.balance != 1810 || m.settled != 1810 || m.pending != 0 {
			t.Fatalf("b = %+v", m)
		}
		checkDistLedgers(t, f.db)
	})
	t.Run("a refund after settlement claws back; the balance may go negative and is netted", func(t *testing.T) {
		s := DefaultDistSettings()
		s.SettleDays = 1
		s.WithdrawVia = []string{WithdrawWallet, WithdrawBank}
		f := newCTFixture(t, s, true)
		o := f.buy(t, f.alice, CheckoutItem{f.skus[red], 2})
		f.complete(t, o)
		if f.settle(t) != 2 {
			t.Fatal("not settled")
		}
		if m := f.money(t, f.b); m.balance != 1200 || m.settled != 1200 {
			t.Fatalf("b = %+v", m)
		}
		if _, err := f.db.RequestWithdrawal(t.Context(), WithdrawalInput{CustomerID: f.b, Method: WithdrawWallet, Amount: 1000}); err != nil {
			t.Fatal(err)
		}
		if w := checkWalletLedger(t, f.db, f.b); w != 1000 {
			t.Fatalf("b's wallet %d", w)
		}
		f.refund(t, o, 0, 1, 0) // half back: 600 and 300 clawed back
		if m := f.money(t, f.b); m.balance != -400 || m.settled != 600 || m.withdrawn != 1000 {
			t.Fatalf("b after half the refund = %+v", m)
		}
		f.refund(t, o, 0, 1, 0)
		f.wantEarned(t, o.ID, map[string]Fen{"b:level:1": 0, "a:level:2": 0})
		if m := f.money(t, f.b); m.balance != -1000 || m.settled != 0 {
			t.Fatalf("b after the whole refund = %+v", m)
		}
		if m := f.money(t, f.a); m.balance != 0 || m.settled != 0 {
			t.Fatalf("a after the whole refund = %+v", m)
		}
		var clawed Fen
		var rows int
		f.db.r.QueryRow(`SELECT COUNT(*), SUM(amount_fen) FROM commission_ledger WHERE customer_id = ? AND kind = 'clawback'`, f.b).Scan(&rows, &clawed)
		if rows != 2 || clawed != -1200 {
			t.Fatalf("b's claw-backs: %d rows, %d", rows, clawed)
		}
		// A withdrawal from a negative balance is refused.
		if _, err := f.db.RequestWithdrawal(t.Context(), WithdrawalInput{CustomerID: f.b, Method: WithdrawWallet, Amount: 1000}); validationKey(err) != "withdraw.balance" {
			t.Fatalf("withdrawal from a negative balance: %v", err)
		}
		// The next commission nets against what is owed.
		o2 := f.buy(t, f.alice, CheckoutItem{f.skus[red], 3})
		f.complete(t, o2)
		f.settle(t)
		if m := f.money(t, f.b); m.balance != 800 || m.settled != 1800 {
			t.Fatalf("b after the next order = %+v", m)
		}
		checkDistLedgers(t, f.db)
	})
}

// TestWithdrawals: the amount leaves when requested, the minimum, the fee,
// the daily limit, rejection returns, marked paid counts as withdrawn.
func TestWithdrawals(t *testing.T) {
	s := DefaultDistSettings()
	s.WithdrawFeeBP, s.WithdrawDaily = 100, 2
	f := newCTFixture(t, s, true)
	ctx := t.Context()
	o := f.buy(t, f.alice, CheckoutItem{f.skus["红 / L"], 10}) // b earns 6000
	f.complete(t, o)
	f.settle(t)
	bank := WithdrawalInput{CustomerID: f.b, Method: WithdrawBank, Amount: 2001, AccountName: "张三", AccountNo: "6222020202020202", BankName: "工商银行"}
	if _, err := f.db.RequestWithdrawal(ctx, WithdrawalInput{CustomerID: f.b, Method: WithdrawWallet, Amount: 999}); validationKey(err) != "withdraw.min" {
		t.Fatalf("under the minimum: %v", err)
	}
	if _, err := f.db.RequestWithdrawal(ctx, WithdrawalInput{CustomerID: f.b, Method: WithdrawAlipay, Amount: 1000}); err == nil {
		t.Fatal("a method not offered")
	}
	if _, err := f.db.RequestWithdrawal(ctx, WithdrawalInput{CustomerID: f.alice, Method: WithdrawWallet, Amount: 1000}); err == nil {
		t.Fatal("alice has no commission")
	}
	w1, err := f.db.RequestWithdrawal(ctx, bank)
	if err != nil {
		t.Fatal(err)
	}
	if w1.Fee != 20 || w1.Net != 1981 || w1.Status != WithdrawalPending {
		t.Fatalf("withdrawal = %+v", w1)
	}
	if m := f.money(t, f.b); m.balance != 6000-2001 {
		t.Fatalf("b = %+v", m)
	}
	w2, err := f.db.RequestWithdrawal(ctx, bank)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.RequestWithdrawal(ctx, bank); validationKey(err) != "withdraw.daily" {
		t.Fatalf("third today: %v", err)
	}
	if err := f.db.RejectWithdrawal(ctx, w2.ID, "账户有误", StaffActor("boss")); err != nil {
		t.Fatal(err)
	}
	if err := f.db.RejectWithdrawal(ctx, w2.ID, "again", StaffActor("boss")); !errors.Is(err, ErrWithdrawalState) {
		t.Fatalf("second rejection: %v", err)
	}
	if n, err := f.db.ApproveWithdrawals(ctx, []int64{w1.ID, w2.ID}, StaffActor("boss")); n != 1 || err != nil {
		t.Fatalf("approve = %d, %v", n, err)
	}
	if err := f.db.MarkWithdrawalPaid(ctx, w1.ID, "TR1", StaffActor("boss")); err != nil {
		t.Fatal(err)
	}
	if err := f.db.MarkWithdrawalPaid(ctx, w1.ID, "TR1", StaffActor("boss")); !errors.Is(err, ErrWithdrawalState) {
		t.Fatalf("paid twice: %v", err)
	}
	if m := f.money(t, f.b); m.balance != 6000-2001 || m.withdrawn != 2001 {
		t.Fatalf("b = %+v", m)
	}
	checkDistLedgers(t, f.db)
}

// TestDistributorCounters: promoted sales (the level-1 base of paid orders,
// refunds taken off) and own completed spend, whenever the distributors row
// is made and however the refunds go.
func TestDistributorCounters(t *testing.T) {
	counters := func(t *testing.T, f *ctFixture, id int64) (sales, spend Fen) {
		t.Helper()
		if err := f.db.r.QueryRow(`SELECT sales_fen, spend_fen FROM distributors WHERE customer_id = ?`, id).Scan(&sales, &spend); err != nil {
			t.Fatal(err)
		}
		return sales, spend
	}
	t.Run("promoted sales lose every refund, with or without level-1 commission", func(t *testing.T) {
		f := newCTFixture(t, DefaultDistSettings(), true)
		f.setProduct(t, "fixed", 0, 100, 0) // level 1 earns nothing on this product
		o := f.buy(t, f.alice, CheckoutItem{f.skus["红 / L"], 2})
		f.refund(t, o, 0, 1, 0)
		if sales, _ := counters(t, f, f.b); sales != 0 && sales != 6000 {
			t.Fatalf("b's promoted sales after half a refund: %d", sales)
		}
		f.refund(t, o, 0, 1, 0)
		if sales, _ := counters(t, f, f.b); sales != 0 {
			t.Fatalf("b's promoted sales after a full refund: %d", sales)
		}
		f.setProduct(t, "", 0, 0, 0)
		o2 := f.buy(t, f.alice, CheckoutItem{f.skus["红 / L"], 2})
		if sales, _ := counters(t, f, f.b); sales != 12000 {
			t.Fatalf("b's promoted sales: %d", sales)
		}
		f.refund(t, o2, 0, 1, 0)
		if sales, _ := counters(t, f, f.b); sales != 6000 {
			t.Fatalf("b's promoted sales after a refund: %d", sales)
		}
	})
	t.Run("promoted sales lose a refund after the commission was cancelled", func(t *testing.T) {
		s := DefaultDistSettings()
		s.Rates = [3]int{1, 0, 0} // 0.01 %: one fen on 100.00
		f := newCTFixture(t, s, true)
		o := f.buy(t, f.alice, CheckoutItem{f.skus["红 / L"], 2}) // 12000: 1 fen
		f.wantEarned(t, o.ID, map[string]Fen{"b:level:1": 1})
		f.refund(t, o, 0, 1, 0) // 1 × 6000 / 12000 rounds to 0: cancelled
		f.wantEarned(t, o.ID, nil)
		f.refund(t, o, 0, 1, 0)
		if sales, _ := counters(t, f, f.b); sales != 0 {
			t.Fatalf("b's promoted sales after a full refund: %d", sales)
		}
	})
	t.Run("own spend counts orders completed before the distributors row", func(t *testing.T) {
		f := newCTFixture(t, DefaultDistSettings(), false)
		o := f.buy(t, f.b, CheckoutItem{f.skus["红 / L"], 1})
		f.complete(t, o)
		if !f.bind(t, f.alice, f.b, BindClick) { // b's row is made now
			t.Fatal("not bound")
		}
		if _, spend := counters(t, f, f.b); spend != 6000 {
			t.Fatalf("b's spend %d, want 6000", spend)
		}
	})
	t.Run("own spend loses an order closed after completion", func(t *testing.T) {
		f := newCTFixture(t, DefaultDistSettings(), true)
		f.db.SetPricer(testPricer{shipping: 800})
		o := f.buy(t, f.b, CheckoutItem{f.skus["红 / L"], 1})
		f.complete(t, o)
		if _, spend := counters(t, f, f.b); spend != 6800 {
			t.Fatalf("b's spend %d, want 6800", spend)
		}
		f.refund(t, o, 0, 1, 0) // the goods back, the order closed; shipping kept by the shop
		if got := mustOrder(t, f.db, o.ID); got.Status != StatusClosed {
			t.Fatalf("order %s", got.Status)
		}
		if _, spend := counters(t, f, f.b); spend != 0 {
			t.Fatalf("b's spend %d after the order closed, want 0", spend)
		}
	})
}
