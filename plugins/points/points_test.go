package points

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/store"
)

// newDB opens a shop with the plugin's tables and n customers.
func newDB(t *testing.T, n int) (*store.DB, []int64) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "shop.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.ApplyMigrations(ctx, ID, New().Migrations(), "migrations"); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	err = db.Write(ctx, func(tx *sql.Tx) error {
		for i := range n {
			var id int64
			if err := tx.QueryRow(`INSERT INTO customers (phone, password_hash, created_at) VALUES (?, 'x', 0) RETURNING id`,
				fmt.Sprintf("1380000%04d", i)).Scan(&id); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return db, ids
}

func post(db *store.DB, c, delta int64, kind, ref string, at time.Time) error {
	return db.Write(context.Background(), func(tx *sql.Tx) error {
		_, err := PostTx(context.Background(), tx, c, delta, kind, ref, "", at)
		return err
	})
}

// ledgerSum is the account's balance and its ledger's sum and last
// balance_after.
func ledgerSum(t *testing.T, db *store.DB, c int64) (bal, sum, last int64) {
	t.Helper()
	err := db.Read(context.Background(), func(tx *sql.Tx) error {
		if err := tx.QueryRow(`SELECT COALESCE((SELECT balance FROM points_accounts WHERE customer_id = ?1), 0),
			COALESCE((SELECT SUM(delta) FROM points_ledger WHERE customer_id = ?1), 0),
			COALESCE((SELECT balance_after FROM points_ledger WHERE customer_id = ?1 ORDER BY id DESC LIMIT 1), 0)`, c).Scan(&bal, &sum, &last); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return
}

// TestLedgerRandomMovesKeepBalances is the property test: any sequence of
// credits, debits (refused past the balance), once-only movements and
// expiries leaves every balance equal to the sum of its ledger, never
// below zero, and each row's balance_after the running sum.
func TestLedgerRandomMovesKeepBalances(t *testing.T) {
	db, ids := newDB(t, 3)
	rng := rand.New(rand.NewPCG(7, 11))
	kinds := []string{KindEarn, KindSpend, KindReturn, KindWithdraw, KindSignin, KindInvite, KindAdjust}
	want := map[int64]int64{}
	at := time.Date(2024, 3, 1, 12, 0, 0, 0, time.Local)
	for i := range 400 {
		c := ids[rng.IntN(len(ids))]
		kind := kinds[rng.IntN(len(kinds))]
		delta := rng.Int64N(300) + 1
		if kind == KindSpend || kind == KindWithdraw || (kind == KindAdjust && rng.IntN(2) == 0) {
			delta = -delta
		}
		ref := fmt.Sprintf("r%d", rng.IntN(60))
		at = at.Add(time.Duration(rng.IntN(72)) * time.Hour)
		err := post(db, c, delta, kind, ref, at)
		switch {
		case err == nil:
			want[c] += delta
		case errors.Is(err, ErrInsufficient):
			if want[c]+delta >= 0 {
				t.Fatalf("move %d: refused %d on %d", i, delta, want[c])
			}
		case errors.Is(err, ErrDuplicate):
		default:
			t.Fatal(err)
		}
		if i%50 == 49 {
			y := at.Year() - 2
			if err := db.Write(context.Background(), func(tx *sql.Tx) error {
				_, err := ExpireTx(context.Background(), tx, y, at)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			for _, c := range ids {
				b, _ := Balance(context.Background(), db, c)
				want[c] = b // the expiry's rows are checked below like any
			}
		}
	}
	for _, c := range ids {
		bal, sum, last := ledgerSum(t, db, c)
		if bal != sum || bal != last || bal != want[c] || bal < 0 {
			t.Errorf("customer %d: balance %d, ledger sum %d, last row %d, expected %d", c, bal, sum, last, want[c])
		}
	}
	if n, err := Mismatches(context.Background(), db); err != nil || n != 0 {
		t.Fatalf("mismatches %d %v", n, err)
	}
	// Every row's balance_after is the running sum of its customer's rows.
	err := db.Read(context.Background(), func(tx *sql.Tx) error {
		var bad int
		if err := tx.QueryRow(`SELECT COUNT(*) FROM points_ledger l WHERE balance_after !=
			(SELECT SUM(delta) FROM points_ledger m WHERE m.customer_id = l.customer_id AND m.id <= l.id)`).Scan(&bad); err != nil {
			return err
		}
		if bad != 0 {
			return fmt.Errorf("%d rows with a wrong balance_after", bad)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Debits racing for the same points: the guarded UPDATE lets as many pass
// as the balance covers, never more.
func TestLedgerRacingDebits(t *testing.T) {
	db, ids := newDB(t, 1)
	c := ids[0]
	if err := post(db, c, 500, KindAdjust, "", time.Now()); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := post(db, c, -200, KindSpend, fmt.Sprint("order:", i), time.Now()); err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			} else if !errors.Is(err, ErrInsufficient) {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if bal, _ := Balance(context.Background(), db, c); ok != 2 || bal != 100 {
		t.Fatalf("%d debits passed, balance %d", ok, bal)
	}
}

// Points credited in year Y are written off at the end of Y+1, oldest
// used first, once.
func TestExpireYear(t *testing.T) {
	db, ids := newDB(t, 2)
	a, b := ids[0], ids[1]
	d := func(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 10, 0, 0, 0, time.Local) }
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(post(db, a, 300, KindEarn, "order:1", d(2024, 5, 1)))
	must(post(db, a, 200, KindEarn, "order:2", d(2025, 2, 1)))
	must(post(db, a, -100, KindSpend, "order:3", d(2025, 6, 1))) // uses 2024's first
	must(post(db, a, -50, KindSpend, "order:4", d(2026, 3, 1)))  // after 2024's expired: no help
	must(post(db, b, 100, KindSignin, "signin:x", d(2024, 12, 31)))
	must(post(db, b, -150+50, KindSpend, "order:5", d(2025, 1, 3))) // all of 2024's used
	now := d(2026, 1, 2)
	db.SetClock(func() time.Time { return now })
	n, err := ExpireDue(context.Background(), db)
	must(err)
	// a: 300 from 2024 less 100 used before the end of 2025 = 200 expire;
	// b: nothing left of 2024. 2025's points are not due until 2027.
	if n != 200 {
		t.Fatalf("expired %d, want 200", n)
	}
	if bal, _ := Balance(context.Background(), db, a); bal != 500-100-50-200 {
		t.Fatalf("a's balance %d", bal)
	}
	if n, _ := ExpireDue(context.Background(), db); n != 0 {
		t.Fatalf("expired again: %d", n)
	}
	now = d(2027, 1, 1)
	n, err = ExpireDue(context.Background(), db)
	must(err)
	// 2025's 200: used by nothing since (the 50 of 2026 came out of... the
	// oldest: 2024's were written off at the end of 2025, so 2026's spend
	// used 2025's): 150 expire.
	if n != 150 {
		t.Fatalf("second year expired %d, want 150", n)
	}
	if c, _ := Mismatches(context.Background(), db); c != 0 {
		t.Fatal("ledger differs from balances")
	}
}

func TestDeduction(t *testing.T) {
	tests := []struct {
		base    store.Fen
		balance int64
		r       Rules
		fen     store.Fen
		pts     int64
	}{
		{10000, 100000, DefaultRules, 5000, 5000}, // the 50 % cap
		{10000, 1234, DefaultRules, 1234, 1234},   // the balance
		{10001, 100000, DefaultRules, 5000, 5000}, // cap rounded down
		{0, 100, DefaultRules, 0, 0},              // nothing to pay
		{10000, 0, DefaultRules, 0, 0},            // no points
		{10000, 15, Rules{PerYuan: 10, MaxPercent: 100}, 150, 15},
		{10000, 7, Rules{PerYuan: 1000, MaxPercent: 100}, 0, 0}, // 7 points are worth 0.7 fen
		{10000, 25, Rules{PerYuan: 1000, MaxPercent: 100}, 2, 20},
		{10000, 999, Rules{PerYuan: 100, MaxPercent: 0}, 0, 0},
	}
	for _, tt := range tests {
		fen, pts := Deduction(tt.base, tt.balance, tt.r)
		if fen != tt.fen || pts != tt.pts || pts > tt.balance {
			t.Errorf("Deduction(%d, %d, %+v) = %d, %d; want %d, %d", tt.base, tt.balance, tt.r, fen, pts, tt.fen, tt.pts)
		}
	}
	if Earned(12399, 1) != 123 || Earned(99, 1) != 0 || Earned(10000, 3) != 300 || Earned(-5, 1) != 0 {
		t.Fatal("Earned")
	}
	if Share(100, 5000, 10000) != 50 || Share(100, 3333, 10000) != 33 || Share(100, 10000, 10000) != 100 || Share(7, 1, 0) != 7 {
		t.Fatal("Share")
	}
}

func TestParseRules(t *testing.T) {
	r, err := ParseRules(plugins.SettingValues{})
	if err != nil || r != DefaultRules {
		t.Fatalf("defaults: %+v %v", r, err)
	}
	r, err = ParseRules(plugins.SettingValues{"earn_per_yuan": "2", "per_yuan": "50", "max_percent": "30", "expiry": "1", "invite": "0"})
	if err != nil || r != (Rules{EarnPerYuan: 2, PerYuan: 50, MaxPercent: 30, Expiry: true}) {
		t.Fatalf("set: %+v %v", r, err)
	}
	p := New()
	for _, bad := range []plugins.SettingValues{{"per_yuan": "0"}, {"max_percent": "101"}, {"earn_per_yuan": "x"}, {"invite": "-1"}} {
		if err := p.Configure(context.Background(), bad); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	if p.Rules() != DefaultRules {
		t.Fatal("a refused setting changed the rules")
	}
}

func TestParseAdjust(t *testing.T) {
	if n, r, err := ParseAdjust(" +100 ", " 补偿 "); err != nil || n != 100 || r != "补偿" {
		t.Fatalf("%d %q %v", n, r, err)
	}
	if n, _, err := ParseAdjust("-50", "扣除"); err != nil || n != -50 {
		t.Fatalf("%d %v", n, err)
	}
	for _, bad := range [][2]string{{"0", "x"}, {"abc", "x"}, {"10", ""}, {"2000000", "x"}, {"1", "a\nb"}} {
		if _, _, err := ParseAdjust(bad[0], bad[1]); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func FuzzParseAdjust(f *testing.F) {
	f.Add("100", "补偿")
	f.Add("-1", "x")
	f.Add("+0", "")
	f.Fuzz(func(t *testing.T, delta, reason string) {
		n, r, err := ParseAdjust(delta, reason)
		if err != nil {
			return
		}
		if n == 0 || n > MaxAdjust || n < -MaxAdjust || r == "" {
			t.Fatalf("accepted %d %q", n, r)
		}
	})
}
