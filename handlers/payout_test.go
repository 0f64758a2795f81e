package handlers

import (
	"database/sql"
	"net/http"
	"strconv"
	"testing"

	"github.com/xiaodian/xiaodian/plugins/alipay/alipaytest"
	"github.com/xiaodian/xiaodian/store"
)

// fundedDistributor gives the customer a settled commission balance, with
// its ledger row (the engine's own tests cover how commission settles).
func fundedDistributor(t *testing.T, a *testApp, customerID int64, amount store.Fen) {
	t.Helper()
	if err := a.DB.EnsureDistributor(t.Context(), customerID); err != nil {
		t.Fatal(err)
	}
	err := a.DB.Write(t.Context(), func(tx *sql.Tx) error {
		if _, err := tx.Exec(`UPDATE distributors SET balance_fen = balance_fen + ?1, settled_fen = settled_fen + ?1
			WHERE customer_id = ?2`, amount, customerID); err != nil {
			return err
		}
		_, err := tx.Exec(`INSERT INTO commission_ledger (customer_id, kind, amount_fen, balance_fen, created_at)
			SELECT customer_id, 'adjust', ?, balance_fen, 0 FROM distributors WHERE customer_id = ?`, amount, customerID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestAlipayPayoutOfAWithdrawal(t *testing.T) {
	s := newAlipayShop(t, "cert")
	a, ctx := s.a, t.Context()
	resp, body := alipaySaveSettings(t, a, s.g.PayoutSettings())
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("payout settings: %d %.400s", resp.StatusCode, body)
	}
	set := store.DefaultDistSettings()
	set.WithdrawVia = []string{store.WithdrawAlipay, store.WithdrawBank}
	set.WithdrawFeeBP = 100
	if err := a.DB.SaveDistSettings(ctx, set); err != nil {
		t.Fatal(err)
	}
	fundedDistributor(t, a, s.buyerID, 200_00)
	request := func(account, name string) *store.Withdrawal {
		w, err := a.DB.RequestWithdrawal(ctx, store.WithdrawalInput{CustomerID: s.buyerID, Method: store.WithdrawAlipay,
			Amount: 50_00, AccountName: name, AccountNo: account})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.DB.ApproveWithdrawals(ctx, []int64{w.ID}, store.StaffActor("boss")); err != nil {
			t.Fatal(err)
		}
		return w
	}
	payout := func(w *store.Withdrawal) *store.Withdrawal {
		resp, body := a.postForm(t, "/admin/distribution/withdrawals/"+strconv.FormatInt(w.ID, 10)+"/payout", nil)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("payout: %d %.300s", resp.StatusCode, body)
		}
		got, err := a.DB.WithdrawalByID(ctx, w.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}

	// Paid: the payee gets the amount after the fee.
	w := payout(request(alipaytest.DefaultPayeeAccount, alipaytest.DefaultPayeeName))
	if w.Status != store.WithdrawalPaid || w.Net != 49_50 {
		t.Fatalf("after payout: %s net %d", w.Status, w.Net)
	}
	if _, ok := s.g.FundOrder(store.PayoutNo(w.No)); !ok {
		t.Fatal("the gateway has no transfer")
	}
	// A payee Alipay does not know: failed, the amount returns.
	w = payout(request("nobody@example.com", "李四"))
	if w.Status != store.WithdrawalFailed || w.ReviewNote == "" {
		t.Fatalf("unknown payee: %s %q", w.Status, w.ReviewNote)
	}
	d, _ := a.DB.DistributorOf(ctx, s.buyerID)
	if d.Balance != 150_00 {
		t.Fatalf("balance = %d, want 150_00 (one paid, one returned)", d.Balance)
	}
	// The answer is lost: paying, then the job finds it paid, once.
	s.g.NextTransfer(alipaytest.FaultTimeout)
	w = payout(request(alipaytest.DefaultPayeeAccount, alipaytest.DefaultPayeeName))
	if w.Status != store.WithdrawalPaying {
		t.Fatalf("lost answer: %s", w.Status)
	}
	a.DB.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`UPDATE withdrawals SET updated_at = updated_at - 600 WHERE id = ?`, w.ID)
		return err
	})
	if err := a.Handler.payoutJob(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := a.DB.WithdrawalByID(ctx, w.ID); got.Status != store.WithdrawalPaid {
		t.Fatalf("after the job: %s", got.Status)
	}
	d, _ = a.DB.DistributorOf(ctx, s.buyerID)
	if d.Balance != 100_00 || d.Withdrawn != 100_00 {
		t.Fatalf("balance %d withdrawn %d", d.Balance, d.Withdrawn)
	}
}
