package store

import (
	"database/sql"
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// checkWalletLedger fails unless the customer's ledger sums to the balance and
// every row's balance is the running sum.
func checkWalletLedger(t *testing.T, db *DB, customerID int64) Fen {
	t.Helper()
	ctx := t.Context()
	balance, err := db.Wallet(ctx, customerID)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := db.r.QueryContext(ctx, `SELECT amount_fen, balance_fen FROM wallet_ledger WHERE customer_id = ? ORDER BY id`, customerID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var sum Fen
	for i := 0; rows.Next(); i++ {
		var amount, after Fen
		if err := rows.Scan(&amount, &after); err != nil {
			t.Fatal(err)
		}
		sum += amount
		if after != sum || after < 0 {
			t.Fatalf("ledger row %d: balance after %d, running sum %d", i, after, sum)
		}
	}
	if sum != balance {
		t.Fatalf("ledger sums to %d, balance is %d", sum, balance)
	}
	return balance
}

// payRecharge applies a recharge as a payment would, in one transaction.
func payRecharge(t *testing.T, db *DB, rechargeID int64) error {
	t.Helper()
	return db.Write(t.Context(), func(tx *sql.Tx) error {
		return db.applyRechargeTx(t.Context(), tx, rechargeID, 0)
	})
}

func TestRechargePackages(t *testing.T) {
	db, ctx := openTest(t), t.Context()
	for _, tt := range []struct {
		in   RechargePackageInput
		want map[string]string
	}{
		{RechargePackageInput{Pay: 100_00, Bonus: 10_00, Active: true}, map[string]string{}},
		{RechargePackageInput{Pay: 0}, map[string]string{"pay": "wallet.amount_min"}},
		{RechargePackageInput{Pay: MaxRecharge + 1}, map[string]string{"pay": "wallet.amount_max"}},
		{RechargePackageInput{Pay: 100_00, Bonus: -1}, map[string]string{"bonus": "wallet.bonus_negative"}},
		{RechargePackageInput{Pay: 100_00, Bonus: 100_01}, map[string]string{"bonus": "wallet.bonus_too_large"}},
		{RechargePackageInput{Pay: 100_00, Sort: 10_000}, map[string]string{"sort": "wallet.sort_range"}},
	} {
		got := fieldKeys(tt.in.Validate())
		if len(got) != len(tt.want) {
			t.Errorf("%+v: errors %v, want %v", tt.in, got, tt.want)
		}
		for f, k := range tt.want {
			if got[f] != k {
				t.Errorf("%+v: %s %q, want %q", tt.in, f, got[f], k)
			}
		}
	}

	big, err := db.CreateRechargePackage(ctx, RechargePackageInput{Pay: 500_00, Bonus: 80_00, Active: true, Sort: 2})
	if err != nil {
		t.Fatal(err)
	}
	small, err := db.CreateRechargePackage(ctx, RechargePackageInput{Pay: 100_00, Bonus: 10_00, Active: true, Sort: 1})
	if err != nil {
		t.Fatal(err)
	}
	off, err := db.CreateRechargePackage(ctx, RechargePackageInput{Pay: 200_00, Active: false})
	if err != nil {
		t.Fatal(err)
	}
	ids := func(active bool) []int64 {
		ps, err := db.RechargePackages(ctx, active)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, p := range ps {
			out = append(out, p.ID)
		}
		return out
	}
	if got := ids(true); len(got) != 2 || got[0] != small || got[1] != big {
		t.Fatalf("active packages %v, want [%d %d]", got, small, big)
	}
	if got := ids(false); len(got) != 3 {
		t.Fatalf("all packages %v, want 3", got)
	}
	if err := db.UpdateRechargePackage(ctx, off, RechargePackageInput{Pay: 200_00, Bonus: 30_00, Active: true, Sort: 3}); err != nil {
		t.Fatal(err)
	}
	if p, err := db.RechargePackageByID(ctx, off); err != nil || p.Bonus != 30_00 || !p.Active {
		t.Fatalf("updated package %+v, %v", p, err)
	}

	cu := mustRegister(t, db, "13800138001")
	r, err := db.CreateRecharge(ctx, cu.ID, big, 0)
	if err != nil {
		t.Fatal(err)
	}
	if r.Pay != 500_00 || r.Bonus != 80_00 || r.Status != RechargePending || r.No == "" {
		t.Fatalf("recharge %+v", r)
	}
	if err := db.DeleteRechargePackage(ctx, big); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteRechargePackage(ctx, big); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v, want ErrNotFound", err)
	}
	if got := ids(false); len(got) != 2 {
		t.Fatalf("packages after delete %v", got)
	}
	if _, err := db.CreateRecharge(ctx, cu.ID, big, 0); fieldKeys(err)["package"] != "wallet.package_gone" {
		t.Fatalf("recharge of a deleted package: %v", err)
	}
	// The recharge made before the delete still pays what it said.
	if err := payRecharge(t, db, r.ID); err != nil {
		t.Fatal(err)
	}
	if b := checkWalletLedger(t, db, cu.ID); b != 580_00 {
		t.Fatalf("balance %s after 充500送80, want 580.00", b)
	}
}

func TestCreateRechargeCustom(t *testing.T) {
	db, ctx := openTest(t), t.Context()
	cu := mustRegister(t, db, "13800138001")
	for _, tt := range []struct {
		amount Fen
		key    string
	}{
		{MinRecharge - 1, "wallet.amount_min"},
		{0, "wallet.amount_min"},
		{-100, "wallet.amount_min"},
		{MaxRecharge + 1, "wallet.amount_max"},
		{MinRecharge, ""},
		{MaxRecharge, ""},
	} {
		r, err := db.CreateRecharge(ctx, cu.ID, 0, tt.amount)
		if got := fieldKeys(err)["amount"]; got != tt.key {
			t.Errorf("custom %d: %q (%v), want %q", tt.amount, got, err, tt.key)
		}
		if err == nil && (r.Pay != tt.amount || r.Bonus != 0 || r.PackageID != 0) {
			t.Errorf("custom %d: %+v", tt.amount, r)
		}
	}
	r, err := db.CreateRecharge(ctx, cu.ID, 0, 88_00)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := db.RechargeForCustomer(ctx, cu.ID, r.No); err != nil || got.ID != r.ID {
		t.Fatalf("RechargeForCustomer: %+v, %v", got, err)
	}
	other := mustRegister(t, db, "13800138002")
	if _, err := db.RechargeForCustomer(ctx, other.ID, r.No); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another customer's recharge: %v, want ErrNotFound", err)
	}
	if _, err := db.CreateRecharge(ctx, cu.ID, 12345, 0); fieldKeys(err)["package"] != "wallet.package_gone" {
		t.Fatalf("unknown package: %v", err)
	}

	// Paid once only: a second payment of the same recharge is refused
	// (and rolled back), and the ledger holds one credit.
	if err := payRecharge(t, db, r.ID); err != nil {
		t.Fatal(err)
	}
	if err := payRecharge(t, db, r.ID); !errors.Is(err, ErrConflict) {
		t.Fatalf("second payment of a recharge: %v, want ErrConflict", err)
	}
	got, err := db.RechargeByID(ctx, r.ID)
	if err != nil || got.Status != RechargePaid || got.PaidAt.IsZero() {
		t.Fatalf("paid recharge %+v, %v", got, err)
	}
	entries, total, err := db.WalletLedger(ctx, cu.ID, 0, 10)
	if err != nil || total != 1 || entries[0].Kind != LedgerRecharge || entries[0].Amount != 88_00 || entries[0].RefID != r.ID {
		t.Fatalf("ledger %+v (%d), %v", entries, total, err)
	}
}

// TestLedgerSumsToBalance runs random recharges, payments, refunds and
// adjustments; after each, the ledger must sum to the balance.
func TestLedgerSumsToBalance(t *testing.T) {
	db, ctx := openTest(t), t.Context()
	pkg, err := db.CreateRechargePackage(ctx, RechargePackageInput{Pay: 100_00, Bonus: 10_00, Active: true})
	if err != nil {
		t.Fatal(err)
	}
	customers := []int64{mustRegister(t, db, "13800138001").ID, mustRegister(t, db, "13800138002").ID}
	rng := rand.New(rand.NewPCG(1, 2))
	want := map[int64]Fen{}
	now := db.now().Unix()
	for i := range 300 {
		cu := customers[rng.IntN(len(customers))]
		amount := Fen(rng.IntN(20_000) + 1)
		switch op := rng.IntN(5); op {
		case 0: // package recharge
			r, err := db.CreateRecharge(ctx, cu, pkg, 0)
			if err != nil {
				t.Fatal(err)
			}
			if err := payRecharge(t, db, r.ID); err != nil {
				t.Fatal(err)
			}
			want[cu] += 110_00
		case 1: // custom recharge
			r, err := db.CreateRecharge(ctx, cu, 0, amount+MinRecharge)
			if err != nil {
				t.Fatal(err)
			}
			if err := payRecharge(t, db, r.ID); err != nil {
				t.Fatal(err)
			}
			want[cu] += amount + MinRecharge
		case 2: // payment, refused when the balance is short
			err := db.Write(ctx, func(tx *sql.Tx) error {
				_, err := debitWalletTx(ctx, tx, cu, LedgerPayment, amount, "order", int64(i), "", now)
				return err
			})
			switch {
			case want[cu] >= amount && err == nil:
				want[cu] -= amount
			case want[cu] < amount && errors.Is(err, ErrInsufficientBalance):
			default:
				t.Fatalf("step %d: pay %d of %d: %v", i, amount, want[cu], err)
			}
		case 3: // refund
			err := db.Write(ctx, func(tx *sql.Tx) error {
				_, err := creditWalletTx(ctx, tx, cu, LedgerRefund, amount, "order", int64(i), "", now)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			want[cu] += amount
		case 4: // staff adjustment, either way
			if rng.IntN(2) == 0 {
				amount = -amount
			}
			_, err := db.AdjustWallet(ctx, cu, amount, "boss", "盘点")
			switch {
			case want[cu]+amount >= 0 && err == nil:
				want[cu] += amount
			case want[cu]+amount < 0 && fieldKeys(err)["amount"] == "wallet.adjust_insufficient":
			default:
				t.Fatalf("step %d: adjust %d of %d: %v", i, amount, want[cu], err)
			}
		}
		if got := checkWalletLedger(t, db, cu); got != want[cu] {
			t.Fatalf("step %d: balance %d, want %d", i, got, want[cu])
		}
	}
}

// TestConcurrentDebits: two payments that together exceed the balance,
// at the same time: exactly one wins.
func TestConcurrentDebits(t *testing.T) {
	db, ctx := openTest(t), t.Context()
	cu := mustRegister(t, db, "13800138001")
	if _, err := db.AdjustWallet(ctx, cu.ID, 100_00, "boss", "开业"); err != nil {
		t.Fatal(err)
	}
	for round := range 10 {
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range errs {
			wg.Go(func() {
				errs[i] = db.Write(ctx, func(tx *sql.Tx) error {
					_, err := debitWalletTx(ctx, tx, cu.ID, LedgerPayment, 60_00, "order", int64(i), "", time.Now().Unix())
					return err
				})
			})
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, ErrInsufficientBalance):
				t.Fatal(err)
			}
		}
		if won != 1 {
			t.Fatalf("round %d: %d payments won, want 1", round, won)
		}
		if b := checkWalletLedger(t, db, cu.ID); b != 40_00 {
			t.Fatalf("round %d: balance %d, want 40.00", round, b)
		}
		if _, err := db.AdjustWallet(ctx, cu.ID, 60_00, "boss", "补回"); err != nil {
			t.Fatal(err)
		}
	}
}

func TestValidPayPassword(t *testing.T) {
	for pw, want := range map[string]string{
		"135790": "", "802461": "", "000001": "",
		"":        "wallet.pay_password_format",
		"12345":   "wallet.pay_password_format",
		"1234567": "wallet.pay_password_format",
		"12a456":  "wallet.pay_password_format",
		"１２３４５６":  "wallet.pay_password_format",
		"111111":  "wallet.pay_password_simple",
		"123456":  "wallet.pay_password_simple",
		"987654":  "wallet.pay_password_simple",
	} {
		if got := fieldKeys(ValidPayPassword(pw))["pay_password"]; got != want {
			t.Errorf("ValidPayPassword(%q) = %q, want %q", pw, got, want)
		}
	}
}

func TestPayPassword(t *testing.T) {
	db, ctx := openTest(t), t.Context()
	clock := time.Unix(1_800_000_000, 0)
	db.SetClock(func() time.Time { return clock })
	cu := mustRegister(t, db, "13800138001")
	other := mustRegister(t, db, "13800138002")

	if has, err := db.HasPayPassword(ctx, cu.ID); err != nil || has {
		t.Fatalf("new customer has a pay password: %v %v", has, err)
	}
	if err := db.CheckPayPassword(ctx, cu.ID, "135790"); fieldKeys(err)["pay_password"] != "wallet.pay_password_unset" {
		t.Fatalf("check with none set: %v", err)
	}
	if err := db.SetPayPassword(ctx, cu.ID, "wrong-login", "135790"); fieldKeys(err)["login_password"] != "wallet.login_password_wrong" {
		t.Fatalf("set with a wrong login password: %v", err)
	}
	if err := db.SetPayPassword(ctx, cu.ID, custPassword, "123456"); fieldKeys(err)["pay_password"] != "wallet.pay_password_simple" {
		t.Fatalf("set a simple one: %v", err)
	}
	if err := db.SetPayPassword(ctx, cu.ID, custPassword, "135790"); err != nil {
		t.Fatal(err)
	}
	if has, _ := db.HasPayPassword(ctx, cu.ID); !has {
		t.Fatal("pay password not set")
	}
	if err := db.CheckPayPassword(ctx, cu.ID, "135790"); err != nil {
		t.Fatalf("right password: %v", err)
	}

	// Four wrong tries say how many are left; the fifth locks, and then
	// even the right one is refused until the window has passed.
	for i := 1; i <= LoginMaxFailures; i++ {
		err := db.CheckPayPassword(ctx, cu.ID, "000001")
		want := "wallet.pay_password_wrong"
		if i == LoginMaxFailures {
			want = "wallet.pay_password_locked"
		}
		if got := fieldKeys(err)["pay_password"]; got != want {
			t.Fatalf("wrong try %d: %q (%v), want %q", i, got, err, want)
		}
	}
	if err := db.CheckPayPassword(ctx, cu.ID, "135790"); fieldKeys(err)["pay_password"] != "wallet.pay_password_locked" {
		t.Fatalf("right password while locked: %v", err)
	}
	if err := db.SetPayPassword(ctx, cu.ID, custPassword, "246801"); fieldKeys(err)["login_password"] != "wallet.pay_password_locked" {
		t.Fatalf("change while locked: %v", err)
	}
	// Another customer is not locked by it.
	if err := db.SetPayPassword(ctx, other.ID, custPassword, "246801"); err != nil {
		t.Fatalf("another customer: %v", err)
	}
	clock = clock.Add(LoginWindow + time.Second)
	if err := db.CheckPayPassword(ctx, cu.ID, "135790"); err != nil {
		t.Fatalf("right password after the window: %v", err)
	}
	// A success clears the count: four more wrong tries do not lock.
	for range LoginMaxFailures - 1 {
		db.CheckPayPassword(ctx, cu.ID, "000001")
	}
	if err := db.CheckPayPassword(ctx, cu.ID, "135790"); err != nil {
		t.Fatalf("right password after 4 wrong: %v", err)
	}
}

func TestAdjustWalletValidation(t *testing.T) {
	db, ctx := openTest(t), t.Context()
	cu := mustRegister(t, db, "13800138001")
	for _, tt := range []struct {
		amount Fen
		reason string
		field  string
		key    string
	}{
		{0, "x", "amount", "wallet.adjust_zero"},
		{100, " ", "reason", "validation.required"},
		{100, string(make([]rune, MaxAdjustReason+1)), "reason", "validation.max_len"},
		{-1, "扣款", "amount", "wallet.adjust_insufficient"},
		{MaxPrice + 1, "x", "amount", "wallet.amount_max"},
	} {
		if _, err := db.AdjustWallet(ctx, cu.ID, tt.amount, "boss", tt.reason); fieldKeys(err)[tt.field] != tt.key {
			t.Errorf("adjust %d %q: %v, want %s %s", tt.amount, tt.reason, err, tt.field, tt.key)
		}
	}
	if _, err := db.AdjustWallet(ctx, 999, 100, "boss", "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown customer: %v", err)
	}
	after, err := db.AdjustWallet(ctx, cu.ID, 12_34, "boss", "补偿")
	if err != nil || after != 12_34 {
		t.Fatalf("adjust: %d, %v", after, err)
	}
	entries, _, err := db.WalletLedger(ctx, cu.ID, 0, 10)
	if err != nil || len(entries) != 1 || entries[0].Kind != LedgerAdjust || entries[0].Note != "补偿" || entries[0].RefType != "staff:boss" {
		t.Fatalf("ledger %+v, %v", entries, err)
	}
	list, total, err := db.CustomerWallets(ctx, "0138001", 0, 10)
	if err != nil || total != 1 || list[0].Balance != 12_34 {
		t.Fatalf("CustomerWallets: %+v %d %v", list, total, err)
	}
	if _, total, _ := db.CustomerWallets(ctx, "", 0, 10); total != 1 {
		t.Fatalf("all customers: %d", total)
	}
}

// FuzzValidPayPassword: whatever is accepted is six ASCII digits.
func FuzzValidPayPassword(f *testing.F) {
	for _, s := range []string{"135790", "123456", "", "12a456", "１２３４５６", "0000000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, pw string) {
		if ValidPayPassword(pw) != nil {
			return
		}
		if len(pw) != PayPasswordLen {
			t.Fatalf("accepted %q of %d bytes", pw, len(pw))
		}
		for _, c := range []byte(pw) {
			if c < '0' || c > '9' {
				t.Fatalf("accepted %q", pw)
			}
		}
	})
}
