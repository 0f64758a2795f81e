package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Payouts through a provider (WeChat 商家转账, Alipay 单笔转账) of approved
// withdrawals. The withdrawal goes approved → paying before anything is
// sent, under the payout number PayoutNo (the same number for every try, so
// the gateway pays it at most once); the gateway's answer, or the job's
// later query, ends it paid or failed (the amount returns to the balance).
// An answer the shop does not know leaves it paying for the job.

// PayoutNo is the number a withdrawal is paid out under at the gateway.
func PayoutNo(withdrawalNo string) string { return "W" + withdrawalNo }

// BeginPayout marks an approved withdrawal of a provider method as being
// paid by the provider and returns it; only one request wins it.
func (db *DB) BeginPayout(ctx context.Context, id int64, actor Actor) (*Withdrawal, error) {
	err := db.Write(ctx, func(tx *sql.Tx) error {
		now := db.now().Unix()
		res, err := tx.ExecContext(ctx, `UPDATE withdrawals SET status = 'paying', reviewed_by = CASE WHEN reviewed_by = ''
			THEN ? ELSE reviewed_by END, updated_at = ? WHERE id = ? AND status = 'approved' AND method IN ('wechat', 'alipay')`,
			string(actor), now, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrWithdrawalState
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("begin payout: %w", err)
	}
	return db.withdrawalByID(ctx, db.r, id)
}

// PayoutOutcome is what became of a payout, as the core reads the gateway.
type PayoutOutcome struct {
	Succeeded   bool
	Failed      bool
	Reason      string // the gateway's reason of a failure
	ProviderRef string
	PackageInfo string // WeChat's package for the payee's confirmation
}

// RecordPayout applies a payout's outcome to a paying withdrawal: paid,
// failed (the amount returns), or still paying with the gateway's reference
// and the payee's confirmation package. A withdrawal no longer paying is
// left alone.
func (db *DB) RecordPayout(ctx context.Context, id int64, o PayoutOutcome) error {
	return db.Write(ctx, func(tx *sql.Tx) error {
		h, err := withdrawalHeadTx(ctx, tx, id)
		if err != nil {
			return err
		}
		if h.status != WithdrawalPaying {
			return nil
		}
		now := db.now().Unix()
		switch {
		case o.Succeeded:
			return db.payWithdrawalTx(ctx, tx, id, h.no, h.customerID, h.amount, h.net, o.ProviderRef, now)
		case o.Failed:
			reason := strings.TrimSpace(o.Reason)
			if reason == "" {
				reason = "打款失败"
			}
			if utf8.RuneCountInString(reason) > 200 {
				reason = string([]rune(reason)[:200])
			}
			return db.returnWithdrawalTx(ctx, tx, id, WithdrawalFailed, reason, SystemActor, []string{WithdrawalPaying})
		}
		_, err = tx.ExecContext(ctx, `UPDATE withdrawals SET payout_ref = CASE WHEN ? != '' THEN ? ELSE payout_ref END,
			payout_info = ?, updated_at = ? WHERE id = ? AND status = 'paying'`,
			o.ProviderRef, o.ProviderRef, o.PackageInfo, now, id)
		return err
	})
}

// PayingWithdrawals returns withdrawals being paid by a provider whose last
// change is older than before (the job asks the gateway about them).
func (db *DB) PayingWithdrawals(ctx context.Context, before time.Time, limit int) ([]Withdrawal, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+withdrawalColumns+` FROM withdrawals w JOIN customers c ON c.id = w.customer_id
		WHERE w.status = 'paying' AND w.updated_at <= ? ORDER BY w.updated_at LIMIT ?`, before.Unix(), limit)
	if err != nil {
		return nil, fmt.Errorf("paying withdrawals: %w", err)
	}
	defer rows.Close()
	var out []Withdrawal
	for rows.Next() {
		w, err := scanWithdrawal(rows)
		if err != nil {
			return nil, fmt.Errorf("paying withdrawals: %w", err)
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// TouchPayout records that the job asked about a paying withdrawal, so it
// waits before asking again.
func (db *DB) TouchPayout(ctx context.Context, id int64) error {
	return db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE withdrawals SET updated_at = ? WHERE id = ? AND status = 'paying'`, db.now().Unix(), id)
		return err
	})
}
