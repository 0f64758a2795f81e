package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Withdrawals (提现) of commission. The amount leaves the commission balance
// when the distributor asks (one guarded UPDATE: two requests racing for one
// balance cannot both take it); to the wallet it is paid at once without a
// fee, other methods wait for the shop: approve then mark paid (or pay
// through a provider), or reject, which returns the amount. Every move is a
// commission_ledger row.

// Withdrawal statuses.
const (
	WithdrawalPending  = "pending"  // 待审核
	WithdrawalApproved = "approved" // 待打款
	WithdrawalPaying   = "paying"   // sent to a provider, outcome awaited
	WithdrawalPaid     = "paid"     // 已打款
	WithdrawalRejected = "rejected" // 已驳回: the amount returned
	WithdrawalFailed   = "failed"   // the provider refused: the amount returned
)

// Withdrawal is one request to take commission out.
type Withdrawal struct {
	ID          int64
	No          string
	CustomerID  int64
	Method      string
	Amount      Fen
	Fee         Fen
	Net         Fen
	AccountName string
	AccountNo   string
	BankName    string
	Status      string
	ReviewNote  string
	PayoutRef   string
	PayoutInfo  string
	CreatedAt   time.Time
	ReviewedAt  time.Time
	ReviewedBy  string
	PaidAt      time.Time

	Phone, Nickname string // the distributor's (lists)
}

// WithdrawalInput is a distributor's request.
type WithdrawalInput struct {
	CustomerID  int64
	Method      string
	Amount      Fen
	AccountName string // real name (bank, Alipay)
	AccountNo   string // card number or Alipay account
	BankName    string
}

// MaxWithdrawal is the most one withdrawal may take.
const MaxWithdrawal Fen = 50_000_00

var (
	bankCardRe = regexp.MustCompile(`^[0-9]{12,19}$`)
	alipayRe   = regexp.MustCompile(`^(1[3-9][0-9]{9}|[^@\s]{1,64}@[^@\s]{1,255})$`)
)

// validate checks the request against the rules; the fee is computed here.
func (in *WithdrawalInput) validate(s *DistSettings) (fee Fen, err error) {
	var v ValidationErrors
	in.AccountName = strings.TrimSpace(in.AccountName)
	in.AccountNo = strings.ReplaceAll(strings.TrimSpace(in.AccountNo), " ", "")
	in.BankName = strings.TrimSpace(in.BankName)
	if !s.Offers(in.Method) {
		v.Add("method", "withdraw.method_invalid")
	}
	switch {
	case in.Amount < s.WithdrawMin:
		v.Add("amount", "withdraw.min", "min", s.WithdrawMin.String())
	case in.Amount > MaxWithdrawal:
		v.Add("amount", "withdraw.max", "max", MaxWithdrawal.String())
	}
	name := utf8.RuneCountInString(in.AccountName)
	switch in.Method {
	case WithdrawBank:
		if name < 2 || name > 30 {
			v.Add("account_name", "withdraw.name")
		}
		if !bankCardRe.MatchString(in.AccountNo) {
			v.Add("account_no", "withdraw.card")
		}
		if n := utf8.RuneCountInString(in.BankName); n < 2 || n > 40 {
			v.Add("bank_name", "withdraw.bank")
		}
	case WithdrawAlipay:
		if name < 2 || name > 30 {
			v.Add("account_name", "withdraw.name")
		}
		if !alipayRe.MatchString(in.AccountNo) {
			v.Add("account_no", "withdraw.alipay")
		}
		in.BankName = ""
	default:
		in.AccountName, in.AccountNo, in.BankName = "", "", ""
	}
	if in.Method != WithdrawWallet {
		fee = in.Amount * Fen(s.WithdrawFeeBP) / 10000
	}
	return fee, v.Err()
}

// dayStart is the start of the shop's day of t (time.Local is the shop's
// timezone).
func dayStart(t time.Time) time.Time {
	y, m, d := t.In(time.Local).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.Local)
}

// RequestWithdrawal takes the amount from the distributor's commission
// balance and records the request; to the wallet it is paid at once.
func (db *DB) RequestWithdrawal(ctx context.Context, in WithdrawalInput) (*Withdrawal, error) {
	s := db.DistSettings(ctx)
	fee, err := in.validate(&s)
	if err != nil {
		return nil, err
	}
	var id int64
	err = db.Write(ctx, func(tx *sql.Tx) error {
		now := db.now()
		st, err := distributorTx(ctx, tx, in.CustomerID)
		if err != nil {
			return err
		}
		if st != DistributorActive && st != DistributorDisabled {
			return Invalid("amount", "withdraw.not_distributor")
		}
		if s.WithdrawDaily > 0 {
			var today int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM withdrawals WHERE customer_id = ? AND created_at >= ?
				AND status NOT IN ('rejected', 'failed')`, in.CustomerID, dayStart(now).Unix()).Scan(&today); err != nil {
				return err
			}
			if today >= s.WithdrawDaily {
				return Invalid("amount", "withdraw.daily", "max", s.WithdrawDaily)
			}
		}
		status := WithdrawalPending
		if in.Method == WithdrawWallet {
			status = WithdrawalPaid
		}
		var no string
		id, no, err = insertNumberedTx(ctx, tx, now, 6, `INSERT INTO withdrawals (no, customer_id, method, amount_fen, fee_fen,
			net_fen, account_name, account_no, bank_name, status, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, in.CustomerID, in.Method, in.Amount, fee, in.Amount-fee,
			in.AccountName, in.AccountNo, in.BankName, status, now.Unix(), now.Unix())
		if err != nil {
			return err
		}
		if _, err := moveCommissionTx(ctx, tx, in.CustomerID, CLedgerWithdraw, -in.Amount, "withdrawal", id,
			"提现 "+no, CustomerActor(in.CustomerID), now.Unix(), false); err != nil {
			if errors.Is(err, ErrInsufficientBalance) {
				return Invalid("amount", "withdraw.balance")
			}
			return err
		}
		if in.Method == WithdrawWallet {
			return db.payWithdrawalTx(ctx, tx, id, no, in.CustomerID, in.Amount, in.Amount, "", now.Unix())
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("withdraw: %w", err)
	}
	return db.withdrawalByID(ctx, db.r, id)
}

// payWithdrawalTx marks a withdrawal paid; to the wallet it credits the
// balance in the same transaction.
func (db *DB) payWithdrawalTx(ctx context.Context, tx *sql.Tx, id int64, no string, customerID int64, amount, net Fen, ref string, now int64) error {
	if err := execOne(ctx, tx, `UPDATE withdrawals SET status = 'paid', paid_at = ?, payout_ref = ?, updated_at = ?
		WHERE id = ? AND status IN ('pending', 'approved', 'paying', 'paid')`, now, ref, now, id); err != nil {
		return ErrConflict
	}
	var method string
	if err := tx.QueryRowContext(ctx, `SELECT method FROM withdrawals WHERE id = ?`, id).Scan(&method); err != nil {
		return err
	}
	if method == WithdrawWallet {
		if _, err := creditWalletTx(ctx, tx, customerID, LedgerCommission, net, "withdrawal", id, "佣金提现 "+no, now); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE distributors SET withdrawn_fen = withdrawn_fen + ?, updated_at = ? WHERE customer_id = ?`,
		amount, now, customerID); err != nil {
		return err
	}
	_, err := db.sendMessageTx(ctx, tx, customerID, MessageInput{Kind: MessageCommission, Title: "提现已到账",
		Body: fmt.Sprintf("提现 %s 已打款 ¥%s", no, net.String()), Link: "/distributor/withdrawals"})
	return err
}

// ErrWithdrawalState is returned when a withdrawal is not in a status that
// allows the action (another staff member acted meanwhile).
var ErrWithdrawalState = fmt.Errorf("%w: the withdrawal's status does not allow this", ErrConflict)

// withdrawalHead is what the review actions need.
type withdrawalHead struct {
	id, customerID int64
	no, status     string
	method         string
	amount, net    Fen
}

func withdrawalHeadTx(ctx context.Context, tx *sql.Tx, id int64) (withdrawalHead, error) {
	var h withdrawalHead
	err := tx.QueryRowContext(ctx, `SELECT id, customer_id, no, status, method, amount_fen, net_fen FROM withdrawals WHERE id = ?`, id).
		Scan(&h.id, &h.customerID, &h.no, &h.status, &h.method, &h.amount, &h.net)
	if errors.Is(err, sql.ErrNoRows) {
		return h, ErrNotFound
	}
	return h, err
}

// ApproveWithdrawals approves pending withdrawals (batch approval) and
// returns how many it approved; ones no longer pending are skipped.
func (db *DB) ApproveWithdrawals(ctx context.Context, ids []int64, actor Actor) (int, error) {
	n := 0
	err := db.Write(ctx, func(tx *sql.Tx) error {
		now := db.now().Unix()
		for _, id := range ids {
			res, err := tx.ExecContext(ctx, `UPDATE withdrawals SET status = 'approved', reviewed_at = ?, reviewed_by = ?, updated_at = ?
				WHERE id = ? AND status = 'pending'`, now, string(actor), now, id)
			if err != nil {
				return err
			}
			k, _ := res.RowsAffected()
			n += int(k)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("approve withdrawals: %w", err)
	}
	return n, nil
}

// RejectWithdrawal refuses a pending or approved withdrawal with a reason
// and returns the amount to the commission balance.
func (db *DB) RejectWithdrawal(ctx context.Context, id int64, reason string, actor Actor) error {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return Invalid("reason", "withdraw.reason_required")
	}
	if utf8.RuneCountInString(reason) > 200 {
		return Invalid("reason", "withdraw.reason_long", "max", 200)
	}
	return db.Write(ctx, func(tx *sql.Tx) error {
		return db.returnWithdrawalTx(ctx, tx, id, WithdrawalRejected, reason, actor, []string{WithdrawalPending, WithdrawalApproved})
	})
}

// returnWithdrawalTx ends a withdrawal unpaid (rejected or failed) and
// gives the amount back.
func (db *DB) returnWithdrawalTx(ctx context.Context, tx *sql.Tx, id int64, to, reason string, actor Actor, from []string) error {
	h, err := withdrawalHeadTx(ctx, tx, id)
	if err != nil {
		return err
	}
	now := db.now().Unix()
	res, err := tx.ExecContext(ctx, `UPDATE withdrawals SET status = ?, review_note = ?, reviewed_at = ?, reviewed_by = ?, updated_at = ?
		WHERE id = ? AND status IN (`+placeholders(len(from))+`)`,
		append([]any{to, reason, now, string(actor), now, id}, stringArgs(from)...)...)
	if err != nil {
		return err
	}
	if k, _ := res.RowsAffected(); k != 1 {
		return ErrWithdrawalState
	}
	if _, err := moveCommissionTx(ctx, tx, h.customerID, CLedgerWithdrawReturn, h.amount, "withdrawal", id,
		"提现 "+h.no+" 退回："+reason, actor, now, true); err != nil {
		return err
	}
	_, err = db.sendMessageTx(ctx, tx, h.customerID, MessageInput{Kind: MessageCommission, Title: "提现未通过",
		Body: fmt.Sprintf("提现 %s（¥%s）未通过：%s。金额已退回佣金余额", h.no, h.amount.String(), reason), Link: "/distributor/withdrawals"})
	return err
}

// MarkWithdrawalPaid records that the shop paid an approved withdrawal by
// hand (a bank transfer), with its reference.
func (db *DB) MarkWithdrawalPaid(ctx context.Context, id int64, ref string, actor Actor) error {
	ref = strings.TrimSpace(ref)
	if utf8.RuneCountInString(ref) > 64 {
		return Invalid("ref", "withdraw.ref_long", "max", 64)
	}
	return db.Write(ctx, func(tx *sql.Tx) error {
		h, err := withdrawalHeadTx(ctx, tx, id)
		if err != nil {
			return err
		}
		if h.status != WithdrawalApproved {
			return ErrWithdrawalState
		}
		now := db.now().Unix()
		if _, err := tx.ExecContext(ctx, `UPDATE withdrawals SET reviewed_by = CASE WHEN reviewed_by = '' THEN ? ELSE reviewed_by END
			WHERE id = ?`, string(actor), id); err != nil {
			return err
		}
		return db.payWithdrawalTx(ctx, tx, id, h.no, h.customerID, h.amount, h.net, ref, now)
	})
}

const withdrawalColumns = `w.id, w.no, w.customer_id, w.method, w.amount_fen, w.fee_fen, w.net_fen, w.account_name,
	w.account_no, w.bank_name, w.status, w.review_note, w.payout_ref, w.payout_info, w.created_at, w.reviewed_at,
	w.reviewed_by, w.paid_at, c.phone, c.nickname`

func scanWithdrawal(row interface{ Scan(...any) error }) (Withdrawal, error) {
	var w Withdrawal
	var created int64
	var reviewed, paid sql.NullInt64
	err := row.Scan(&w.ID, &w.No, &w.CustomerID, &w.Method, &w.Amount, &w.Fee, &w.Net, &w.AccountName,
		&w.AccountNo, &w.BankName, &w.Status, &w.ReviewNote, &w.PayoutRef, &w.PayoutInfo, &created, &reviewed,
		&w.ReviewedBy, &paid, &w.Phone, &w.Nickname)
	w.CreatedAt, w.ReviewedAt, w.PaidAt = time.Unix(created, 0), unixTime(reviewed), unixTime(paid)
	return w, err
}

func (db *DB) withdrawalByID(ctx context.Context, q queryer, id int64) (*Withdrawal, error) {
	w, err := scanWithdrawal(q.QueryRowContext(ctx, `SELECT `+withdrawalColumns+` FROM withdrawals w
		JOIN customers c ON c.id = w.customer_id WHERE w.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("withdrawal: %w", err)
	}
	return &w, nil
}

// WithdrawalByID returns one withdrawal (back office).
func (db *DB) WithdrawalByID(ctx context.Context, id int64) (*Withdrawal, error) {
	return db.withdrawalByID(ctx, db.r, id)
}

// WithdrawalFilter selects withdrawals; zero fields do not filter.
type WithdrawalFilter struct {
	CustomerID int64
	Status     string
	Method     string
	Offset     int
	Limit      int
}

// Withdrawals returns one page of withdrawals, newest first, and the total.
func (db *DB) Withdrawals(ctx context.Context, f WithdrawalFilter) ([]Withdrawal, int, error) {
	where := ` WHERE 1 = 1`
	var args []any
	if f.CustomerID > 0 {
		where += ` AND w.customer_id = ?`
		args = append(args, f.CustomerID)
	}
	if f.Status != "" {
		where += ` AND w.status = ?`
		args = append(args, f.Status)
	}
	if f.Method != "" {
		where += ` AND w.method = ?`
		args = append(args, f.Method)
	}
	var total int
	if err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM withdrawals w`+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("withdrawals: %w", err)
	}
	if f.Limit <= 0 {
		f.Limit = 20
	}
	rows, err := db.r.QueryContext(ctx, `SELECT `+withdrawalColumns+` FROM withdrawals w JOIN customers c ON c.id = w.customer_id`+
		where+` ORDER BY w.id DESC LIMIT ? OFFSET ?`, append(args, f.Limit, max(f.Offset, 0))...)
	if err != nil {
		return nil, 0, fmt.Errorf("withdrawals: %w", err)
	}
	defer rows.Close()
	var out []Withdrawal
	for rows.Next() {
		w, err := scanWithdrawal(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("withdrawals: %w", err)
		}
		out = append(out, w)
	}
	return out, total, rows.Err()
}
