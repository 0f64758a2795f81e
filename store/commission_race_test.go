package store

import (
	"maps"
	"sync"
	"testing"
)

// TestWithdrawalsRaceForOneBalance: withdrawals racing for one balance pay
// once; the ledger never goes below zero.
func TestWithdrawalsRaceForOneBalance(t *testing.T) {
	s := DefaultDistSettings()
	s.WithdrawDaily = 0
	f := newCTFixture(t, s, true)
	o := f.buy(t, f.alice, CheckoutItem{f.skus["红 / L"], 2}) // b earns 1200
	f.complete(t, o)
	f.settle(t)
	for round := range 5 {
		bal := f.money(t, f.b).balance
		if bal < 1000 {
			break
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok := 0
		for i := range 8 {
			method := WithdrawWallet
			if i%2 == 1 {
				method = WithdrawBank
			}
			wg.Go(func() {
				_, err := f.db.RequestWithdrawal(t.Context(), WithdrawalInput{CustomerID: f.b, Method: method, Amount: 1000,
					AccountName: "张三", AccountNo: "6222020202020202", BankName: "工商银行"})
				switch {
				case err == nil:
					mu.Lock()
					ok++
					mu.Unlock()
				case validationKey(err) != "withdraw.balance":
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if ok != 1 {
			t.Fatalf("round %d: %d withdrawals of 1000 from %d went through", round, ok, bal)
		}
		if m := f.money(t, f.b); m.balance != bal-1000 {
			t.Fatalf("round %d: balance %d, want %d", round, m.balance, bal-1000)
		}
		checkDistLedgers(t, f.db)
		// Reject the bank ones so the next round has money again.
		ws, _, _ := f.db.Withdrawals(t.Context(), WithdrawalFilter{CustomerID: f.b, Status: WithdrawalPending})
		for _, w := range ws {
			if err := f.db.RejectWithdrawal(t.Context(), w.ID, "重试", StaffActor("boss")); err != nil {
				t.Fatal(err)
			}
		}
	}
	checkWalletLedger(t, f.db, f.b)
}

// TestRefundRacesSettlement: a refund racing the settlement job, in many
// rounds, leaves the commissions and the ledger consistent whichever wins:
// cancelled or reduced before settlement, clawed back after it.
func TestRefundRacesSettlement(t *testing.T) {
	s := DefaultDistSettings()
	s.SettleDays = 0
	f := newCTFixture(t, s, true)
	for round := range 12 {
		o := f.buy(t, f.alice, CheckoutItem{f.skus["红 / L"], 2})
		f.complete(t, o)
		qty := 1 + round%2
		id := mustRequest(t, f.db, f.alice, AftersaleInput{OrderID: o.ID, LineID: o.Lines[0].ID, Kind: AftersaleRefundOnly, Qty: qty})
		if err := f.db.ApproveAftersale(t.Context(), id, StaffActor("boss")); err != nil {
			t.Fatal(err)
		}
		// The after-sale is open: settlement must leave the line alone
		// until the refund is through, whatever the order of the two.
		*f.now = f.now.Add(1)
		var wg sync.WaitGroup
		wg.Go(func() {
			if err := f.db.RefundAftersale(t.Context(), id, StaffActor("boss"), false, sandboxRefund(&f.refunds)); err != nil {
				t.Error(err)
			}
		})
		for range 3 {
			wg.Go(func() {
				if _, err := f.db.SettleCommissions(t.Context(), 100); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if _, err := f.db.SettleCommissions(t.Context(), 100); err != nil {
			t.Fatal(err)
		}
		want := map[string]Fen{"b:level:1": 600, "a:level:2": 300}
		if qty == 2 {
			want = nil
		}
		f.wantEarned(t, o.ID, want)
		var clawed int
		f.db.r.QueryRow(`SELECT COUNT(*) FROM commissions WHERE order_id = ? AND clawed_fen > 0`, o.ID).Scan(&clawed)
		if clawed > 0 {
			t.Fatalf("round %d: settled while the after-sale was open (%d clawed back)", round, clawed)
		}
		// And a refund after settlement racing the job: clawed back once.
		o2 := f.buy(t, f.alice, CheckoutItem{f.skus["红 / L"], 2})
		f.complete(t, o2)
		id2 := mustRequest(t, f.db, f.alice, AftersaleInput{OrderID: o2.ID, LineID: o2.Lines[0].ID, Kind: AftersaleRefundOnly, Qty: qty})
		// Withdrawn and opened again: the job may settle in between.
		if err := f.db.WithdrawAftersale(t.Context(), f.alice, id2); err != nil {
			t.Fatal(err)
		}
		var settled int
		wg.Go(func() {
			n, err := f.db.SettleCommissions(t.Context(), 100)
			if err != nil {
				t.Error(err)
			}
			settled = n
		})
		wg.Go(func() {
			id3, err := f.db.RequestAftersale(t.Context(), f.alice, AftersaleInput{OrderID: o2.ID, LineID: o2.Lines[0].ID,
				Kind: AftersaleRefundOnly, Qty: qty, Reason: "not_wanted"})
			if err != nil {
				t.Error(err)
				return
			}
			if err := f.db.ApproveAftersale(t.Context(), id3, StaffActor("boss")); err != nil {
				t.Error(err)
				return
			}
			if err := f.db.RefundAftersale(t.Context(), id3, StaffActor("boss"), false, sandboxRefund(&f.refunds)); err != nil {
				t.Error(err)
			}
		})
		wg.Wait()
		f.settle(t)
		got := f.earned(t, o2.ID)
		maps.DeleteFunc(got, func(_ string, v Fen) bool { return v == 0 }) // settled, then clawed back in full
		if !maps.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Fatalf("round %d: commissions %v, want %v", round, got, want)
		}
		checkDistLedgers(t, f.db)
		t.Logf("round %d: the job settled %d first", round, settled)
	}
	checkDistLedgers(t, f.db)
}
