package points

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/xiaodian/xiaodian/store"
)

// Kinds of ledger rows.
const (
	KindEarn     = "earn"
	KindSpend    = "spend"
	KindReturn   = "return"
	KindWithdraw = "withdraw"
	KindSignin   = "signin"
	KindInvite   = "invite"
	KindAdjust   = "adjust"
	KindExpire   = "expire"
)

// ErrDuplicate is returned by Post when a once-only movement (an order's
// earning, a day's sign-in...) is already in the ledger.
var ErrDuplicate = errors.New("points: already recorded")

// ErrInsufficient is returned by Post when a debit is more than the
// balance.
var ErrInsufficient = errors.New("points: balance too low")

// Entry is one ledger row.
type Entry struct {
	ID           int64
	CustomerID   int64
	Delta        int64
	BalanceAfter int64
	Kind         string
	Ref          string
	Note         string
	At           time.Time
}

// PostTx moves delta points (+ credit, − debit) on the customer's account
// inside tx and writes the ledger row; it returns the balance after. A
// debit is one guarded UPDATE (balance >= its size): two debits racing
// for the same points never both pass, the loser gets ErrInsufficient. A
// once-only kind (earn, spend, invite, expire, signin) with a ref already
// in the ledger gets ErrDuplicate and changes nothing. It is the one way
// points move; other plugins (签到) credit through it.
func PostTx(ctx context.Context, tx *sql.Tx, customerID, delta int64, kind, ref, note string, at time.Time) (int64, error) {
	if delta == 0 {
		return 0, errors.New("points: zero movement")
	}
	if customerID <= 0 {
		return 0, errors.New("points: no customer")
	}
	switch kind {
	case KindEarn, KindSpend, KindInvite, KindExpire, KindSignin:
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM points_ledger WHERE customer_id = ? AND kind = ? AND ref = ?`,
			customerID, kind, ref).Scan(&n); err != nil {
			return 0, fmt.Errorf("points ledger: %w", err)
		}
		if n > 0 {
			return 0, ErrDuplicate
		}
	}
	now := at.Unix()
	if _, err := tx.ExecContext(ctx, `INSERT INTO points_accounts (customer_id, balance, updated_at) VALUES (?, 0, ?)
		ON CONFLICT (customer_id) DO NOTHING`, customerID, now); err != nil {
		return 0, fmt.Errorf("points account: %w", err)
	}
	var after int64
	err := tx.QueryRowContext(ctx, `UPDATE points_accounts SET balance = balance + ?1, updated_at = ?2
		WHERE customer_id = ?3 AND balance + ?1 >= 0 RETURNING balance`, delta, now, customerID).Scan(&after)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrInsufficient
	}
	if err != nil {
		return 0, fmt.Errorf("points account: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO points_ledger (customer_id, delta, balance_after, kind, ref, note, at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, customerID, delta, after, kind, ref, note, now); err != nil {
		return 0, fmt.Errorf("points ledger: %w", err)
	}
	return after, nil
}

// Credit adds points to a customer's account in a transaction of its own.
func Credit(ctx context.Context, db *store.DB, customerID, points int64, kind, ref, note string) (int64, error) {
	var after int64
	err := db.Write(ctx, func(tx *sql.Tx) error {
		var err error
		after, err = PostTx(ctx, tx, customerID, points, kind, ref, note, db.Now())
		return err
	})
	return after, err
}

// BalanceTx is the customer's balance (0 with no account).
func BalanceTx(ctx context.Context, tx *sql.Tx, customerID int64) (int64, error) {
	var b int64
	err := tx.QueryRowContext(ctx, `SELECT balance FROM points_accounts WHERE customer_id = ?`, customerID).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("points balance: %w", err)
	}
	return b, nil
}

// Balance is the customer's balance.
func Balance(ctx context.Context, db *store.DB, customerID int64) (int64, error) {
	var b int64
	err := db.Read(ctx, func(tx *sql.Tx) error {
		var err error
		b, err = BalanceTx(ctx, tx, customerID)
		return err
	})
	return b, err
}

// History is a page of the customer's ledger, newest first, and the
// number of rows in all.
func History(ctx context.Context, db *store.DB, customerID int64, offset, limit int) ([]Entry, int, error) {
	var out []Entry
	var total int
	err := db.Read(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM points_ledger WHERE customer_id = ?`, customerID).Scan(&total); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, customer_id, delta, balance_after, kind, ref, note, at FROM points_ledger
			WHERE customer_id = ? ORDER BY id DESC LIMIT ? OFFSET ?`, customerID, limit, max(offset, 0))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e Entry
			var at int64
			if err := rows.Scan(&e.ID, &e.CustomerID, &e.Delta, &e.BalanceAfter, &e.Kind, &e.Ref, &e.Note, &at); err != nil {
				return err
			}
			e.At = time.Unix(at, 0)
			out = append(out, e)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, 0, fmt.Errorf("points history: %w", err)
	}
	return out, total, nil
}

// Mismatches counts the accounts whose balance is not the sum of their
// ledger rows (0 in a sound shop; the tests check it).
func Mismatches(ctx context.Context, db *store.DB) (int, error) {
	var n int
	err := db.Read(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM points_accounts a WHERE a.balance !=
			COALESCE((SELECT SUM(delta) FROM points_ledger l WHERE l.customer_id = a.customer_id), 0)`).Scan(&n)
	})
	return n, err
}

// Stats are the shop's points figures.
type Stats struct {
	Issued    int64 // earned, signed in, invited, adjusted up
	Spent     int64 // at checkout, net of points given back
	Withdrawn int64 // taken back by refunds
	Expired   int64
	Adjusted  int64 // net staff adjustments
	Balance   int64 // held by customers now
	Holders   int
}

// ShopStats are the shop's figures over the whole ledger.
func ShopStats(ctx context.Context, db *store.DB) (Stats, error) {
	var s Stats
	err := db.Read(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT
			COALESCE(SUM(CASE WHEN kind IN ('earn', 'signin', 'invite') OR (kind = 'adjust' AND delta > 0) THEN delta END), 0),
			COALESCE(-SUM(CASE WHEN kind IN ('spend', 'return') THEN delta END), 0),
			COALESCE(-SUM(CASE WHEN kind = 'withdraw' THEN delta END), 0),
			COALESCE(-SUM(CASE WHEN kind = 'expire' THEN delta END), 0),
			COALESCE(SUM(CASE WHEN kind = 'adjust' THEN delta END), 0)
			FROM points_ledger`).Scan(&s.Issued, &s.Spent, &s.Withdrawn, &s.Expired, &s.Adjusted); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(balance), 0), COUNT(*) FROM points_accounts WHERE balance > 0`).Scan(&s.Balance, &s.Holders)
	})
	if err != nil {
		return s, fmt.Errorf("points stats: %w", err)
	}
	return s, nil
}

// Holder is a customer's account for the back office.
type Holder struct {
	CustomerID int64
	Phone      string
	Nickname   string
	Balance    int64
	UpdatedAt  time.Time
}

// Holders is a page of the accounts, the largest balance first; q filters
// by phone.
func Holders(ctx context.Context, db *store.DB, q string, offset, limit int) ([]Holder, int, error) {
	var out []Holder
	var total int
	like := "%" + q + "%"
	err := db.Read(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM points_accounts a JOIN customers c ON c.id = a.customer_id
			WHERE c.phone LIKE ?`, like).Scan(&total); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT a.customer_id, c.phone, c.nickname, a.balance, a.updated_at
			FROM points_accounts a JOIN customers c ON c.id = a.customer_id WHERE c.phone LIKE ?
			ORDER BY a.balance DESC, a.customer_id LIMIT ? OFFSET ?`, like, limit, max(offset, 0))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var h Holder
			var at int64
			if err := rows.Scan(&h.CustomerID, &h.Phone, &h.Nickname, &h.Balance, &at); err != nil {
				return err
			}
			h.UpdatedAt = time.Unix(at, 0)
			out = append(out, h)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, 0, fmt.Errorf("points holders: %w", err)
	}
	return out, total, nil
}

// ExpireTx writes off, for every customer, what is left of the points
// credited in year y (and before) at the end of year y+1. Debits use the
// oldest points first, so what is left of them is the credits up to the
// end of y less every debit up to the end of y+1 (earlier expiries
// included), at most the balance now. One ledger row per customer, ref
// "year:y", once. It returns the points written off.
func ExpireTx(ctx context.Context, tx *sql.Tx, y int, now time.Time) (int64, error) {
	endY := time.Date(y+1, 1, 1, 0, 0, 0, 0, time.Local).Unix()
	endNext := time.Date(y+2, 1, 1, 0, 0, 0, 0, time.Local).Unix()
	ref := fmt.Sprintf("year:%d", y)
	rows, err := tx.QueryContext(ctx, `SELECT a.customer_id, a.balance,
		COALESCE((SELECT SUM(delta) FROM points_ledger l WHERE l.customer_id = a.customer_id AND l.delta > 0 AND l.at < ?1), 0),
		COALESCE((SELECT -SUM(delta) FROM points_ledger l WHERE l.customer_id = a.customer_id AND l.delta < 0
			AND ((l.kind != 'expire' AND l.at < ?2) OR (l.kind = 'expire' AND l.ref < ?3))), 0)
		FROM points_accounts a WHERE a.balance > 0 AND NOT EXISTS (SELECT 1 FROM points_ledger x
			WHERE x.customer_id = a.customer_id AND x.kind = 'expire' AND x.ref = ?3)`, endY, endNext, ref)
	if err != nil {
		return 0, fmt.Errorf("points expiry: %w", err)
	}
	type due struct{ customer, points int64 }
	var dues []due
	for rows.Next() {
		var c, bal, credits, debits int64
		if err := rows.Scan(&c, &bal, &credits, &debits); err != nil {
			rows.Close()
			return 0, fmt.Errorf("points expiry: %w", err)
		}
		if left := min(credits-debits, bal); left > 0 {
			dues = append(dues, due{c, left})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("points expiry: %w", err)
	}
	var total int64
	for _, d := range dues {
		if _, err := PostTx(ctx, tx, d.customer, -d.points, KindExpire, ref, fmt.Sprintf("%d 年获得的积分到期", y), now); err != nil {
			return 0, err
		}
		total += d.points
	}
	return total, nil
}
