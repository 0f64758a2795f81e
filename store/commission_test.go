package store

import (
	"context"
	"database/sql"
	"testing"
	"time"
)

// distFixture is the order fixture with the distribution engine on the
// order hook (as the distribution plugin binds it) and a tree
// a ← b ← alice (alice buys through b, whose referrer is a).
type distFixture struct {
	orderFixture
	a, b int64
	now  *time.Time
}

func newDistFixture(t *testing.T, s DistSettings) distFixture {
	t.Helper()
	f := distFixture{orderFixture: newOrderFixture(t)}
	now := time.Unix(1_800_000_000, 0)
	f.now = &now
	f.db.SetClock(func() time.Time { return *f.now })
	f.db.SetOrderHook(func(ctx context.Context, tx *sql.Tx, e OrderEvent) error { return f.db.DistributionTx(ctx, tx, e) })
	if err := f.db.SaveDistSettings(t.Context(), s); err != nil {
		t.Fatal(err)
	}
	f.a = mustRegister(t, f.db, "13700137000").ID
	f.b = mustRegister(t, f.db, "13600136000").ID
	f.bind(t, f.b, f.a, BindClick)
	f.bind(t, f.alice, f.b, BindClick)
	return f
}

func (f distFixture) code(t *testing.T, id int64) string {
	t.Helper()
	c, err := f.db.RefCode(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (f distFixture) bind(t *testing.T, who, to int64, via string) bool {
	t.Helper()
	ok, err := f.db.BindByCode(t.Context(), who, f.code(t, to), via)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func (f distFixture) commissions(t *testing.T, order int64) map[int64]Fen {
	t.Helper()
	rows, err := f.db.r.Query(`SELECT recipient_id, SUM(amount_fen) FROM commissions WHERE order_id = ? AND status != 'cancelled'
		GROUP BY recipient_id`, order)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int64]Fen{}
	for rows.Next() {
		var id int64
		var f Fen
		rows.Scan(&id, &f)
		out[id] = f
	}
	return out
}

func TestCommissionTwoLevelsSettle(t *testing.T) {
	f := newDistFixture(t, DefaultDistSettings())
	ctx := t.Context()
	o := f.place(t, "t1", CheckoutItem{f.skus["红 / L"], 2})
	var chain string
	f.db.r.QueryRow(`SELECT referrer_chain FROM orders WHERE id = ?`, o.ID).Scan(&chain)
	mustPay(t, f.db, f.alice, o.ID)
	got := f.commissions(t, o.ID)
	paid := mustOrder(t, f.db, o.ID).Lines[0].Paid
	if got[f.b] != paid*1000/10000 || got[f.a] != paid*500/10000 {
		t.Fatalf("chain %s paid %d: commissions %v", chain, paid, got)
	}
	if err := f.db.ShipOrder(ctx, o.ID, StaffActor("boss"), ShipInput{Carrier: "顺丰", TrackingNo: "SF1"}); err != nil {
		t.Fatal(err)
	}
	if err := f.db.ConfirmReceipt(ctx, f.alice, o.ID); err != nil {
		t.Fatal(err)
	}
	if n, _ := f.db.SettleCommissions(ctx, 10); n != 0 {
		t.Fatal("settled before the settlement days")
	}
	*f.now = f.now.Add(7*24*time.Hour + time.Second)
	if n, err := f.db.SettleCommissions(ctx, 10); n != 2 || err != nil {
		t.Fatalf("settle = %d, %v", n, err)
	}
	var bal Fen
	f.db.r.QueryRow(`SELECT balance_fen FROM distributors WHERE customer_id = ?`, f.b).Scan(&bal)
	if bal != got[f.b] {
		t.Fatalf("b's balance %d, want %d", bal, got[f.b])
	}
}
