package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// Payment is one payment attempt through one provider.
type Payment struct {
	ID            int64
	OutTradeNo    string // our number, sent to the provider
	Purpose       string // "order" or "recharge"
	OrderID       int64
	RechargeID    int64
	CustomerID    int64
	Provider      string
	Channel       string
	Amount        Fen
	Currency      string
	Status        string // pending, paid, closed, refunded_late
	ProviderTxnID string
	Refunded      Fen
	CreatedAt     time.Time
	PaidAt        time.Time
}

// Payment purposes and statuses.
const (
	PurposeOrder    = "order"
	PurposeRecharge = "recharge"

	PaymentPending      = "pending"
	PaymentPaid         = "paid"
	PaymentClosed       = "closed"
	PaymentRefundedLate = "refunded_late"

	// ProviderBalance is the wallet balance, paid inside the store.
	ProviderBalance = "balance"
)

// PaymentNotice is a provider's verified word that a payment succeeded. The
// provider's plugin builds it only after checking the signature.
type PaymentNotice struct {
	Provider      string
	OutTradeNo    string
	ProviderTxnID string
	Amount        Fen
	Currency      string // "" means CNY
	Raw           string // the verified notification, kept for audit
	// AppliedBy says how the word came: AppliedByNotify (the gateway's
	// callback, the default) or AppliedByQuery (the reconciliation job).
	AppliedBy string
}

// How a payment was applied.
const (
	AppliedByNotify = "notify"
	AppliedByQuery  = "query"
)

// ApplyResult says what ApplyPayment did.
type ApplyResult int

// Results of ApplyPayment.
const (
	// ApplyPaid: the order (or recharge) is now paid.
	ApplyPaid ApplyResult = iota + 1
	// ApplyDuplicate: this notice was applied before; nothing changed.
	ApplyDuplicate
	// ApplyLate: the money arrived but the order can no longer take it
	// (cancelled, paid by another attempt, or repriced): the payment is
	// recorded and the caller must refund it through the provider, then call
	// RecordLateRefund.
	ApplyLate
)

// ErrPaymentMismatch is a notice that does not match any attempt (unknown
// number, other provider, wrong amount or currency); nothing is changed.
var ErrPaymentMismatch = errors.New("store: payment notice does not match the attempt")

const paymentColumns = `id, out_trade_no, purpose, COALESCE(order_id, 0), COALESCE(recharge_id, 0), customer_id,
	provider, channel, amount_fen, currency, status, COALESCE(provider_txn_id, ''), refunded_fen, created_at, paid_at`

func scanPayment(row interface{ Scan(...any) error }) (*Payment, error) {
	var p Payment
	var created int64
	var paid sql.NullInt64
	err := row.Scan(&p.ID, &p.OutTradeNo, &p.Purpose, &p.OrderID, &p.RechargeID, &p.CustomerID,
		&p.Provider, &p.Channel, &p.Amount, &p.Currency, &p.Status, &p.ProviderTxnID, &p.Refunded, &created, &paid)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("payment: %w", err)
	}
	p.CreatedAt, p.PaidAt = time.Unix(created, 0), unixTime(paid)
	return &p, nil
}

// PaymentByOutTradeNo returns the attempt with our number no.
func (db *DB) PaymentByOutTradeNo(ctx context.Context, no string) (*Payment, error) {
	return scanPayment(db.r.QueryRowContext(ctx, `SELECT `+paymentColumns+` FROM payments WHERE out_trade_no = ?`, no))
}

// PaymentByID returns the attempt with the given id.
func (db *DB) PaymentByID(ctx context.Context, id int64) (*Payment, error) {
	return scanPayment(db.r.QueryRowContext(ctx, `SELECT `+paymentColumns+` FROM payments WHERE id = ?`, id))
}

// OrderPayments returns every payment attempt of an order, newest first.
func (db *DB) OrderPayments(ctx context.Context, orderID int64) ([]Payment, error) {
	return db.paymentsWhere(ctx, `order_id = ? ORDER BY id DESC`, orderID)
}

// newNumber returns a number for people and providers: the time to the
// second and random digits, e.g. "20261122153005" + "483920".
func newNumber(now time.Time, digits int) string {
	n, _ := rand.Int(rand.Reader, big.NewInt(int64Pow10(digits)))
	return now.Format("20060102150405") + fmt.Sprintf("%0*d", digits, n.Int64())
}

func int64Pow10(n int) int64 {
	p := int64(1)
	for range n {
		p *= 10
	}
	return p
}

// insertNumberedTx runs an INSERT whose first argument is a fresh number,
// retrying with a new one on the (rare) collision.
func insertNumberedTx(ctx context.Context, tx *sql.Tx, now time.Time, digits int, query string, args ...any) (int64, string, error) {
	for range 5 {
		no := newNumber(now, digits)
		res, err := tx.ExecContext(ctx, query, append([]any{no}, args...)...)
		if isUnique(err) {
			continue
		}
		if err != nil {
			return 0, "", err
		}
		id, _ := res.LastInsertId()
		return id, no, nil
	}
	return 0, "", fmt.Errorf("%w: no free number", ErrConflict)
}

// StartPayment creates a payment attempt for the customer's unpaid order
// through provider. The amount is the order's payable amount now.
func (db *DB) StartPayment(ctx context.Context, customerID, orderID int64, provider, channel string) (*Payment, error) {
	var id int64
	err := db.Write(ctx, func(tx *sql.Tx) error {
		h, err := orderHeadTx(ctx, tx, orderID, customerID)
		if err != nil {
			return err
		}
		now := db.now()
		if h.status != StatusPendingPayment || h.deadline <= now.Unix() {
			return ErrOrderState
		}
		id, _, err = insertNumberedTx(ctx, tx, now, 8, `INSERT INTO payments
			(out_trade_no, purpose, order_id, customer_id, provider, channel, amount_fen, status, created_at)
			VALUES (?, 'order', ?, ?, ?, ?, ?, 'pending', ?)`, h.id, customerID, provider, channel, h.payable, now.Unix())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("start payment: %w", err)
	}
	return db.PaymentByID(ctx, id)
}

// StartRechargePayment creates a payment attempt for the customer's unpaid
// recharge through provider.
func (db *DB) StartRechargePayment(ctx context.Context, customerID, rechargeID int64, provider, channel string) (*Payment, error) {
	var id int64
	err := db.Write(ctx, func(tx *sql.Tx) error {
		var amount Fen
		var status string
		err := tx.QueryRowContext(ctx, `SELECT pay_fen, status FROM recharges WHERE id = ? AND customer_id = ?`,
			rechargeID, customerID).Scan(&amount, &status)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if status != "pending_payment" {
			return ErrConflict
		}
		now := db.now()
		id, _, err = insertNumberedTx(ctx, tx, now, 8, `INSERT INTO payments
			(out_trade_no, purpose, recharge_id, customer_id, provider, channel, amount_fen, status, created_at)
			VALUES (?, 'recharge', ?, ?, ?, ?, ?, 'pending', ?)`, rechargeID, customerID, provider, channel, amount, now.Unix())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("start recharge payment: %w", err)
	}
	return db.PaymentByID(ctx, id)
}

// ApplyPayment applies a verified payment notice, all effects in one
// transaction. It is idempotent on the provider's transaction id; a notice
// whose number, provider, amount or currency does not match its attempt is
// ErrPaymentMismatch and changes nothing.
func (db *DB) ApplyPayment(ctx context.Context, n PaymentNotice) (ApplyResult, *Payment, error) {
	if n.Currency == "" {
		n.Currency = "CNY"
	}
	if n.ProviderTxnID == "" || n.OutTradeNo == "" {
		return 0, nil, ErrPaymentMismatch
	}
	var result ApplyResult
	var paymentID int64
	err := db.Write(ctx, func(tx *sql.Tx) error {
		p, err := scanPayment(tx.QueryRowContext(ctx, `SELECT `+paymentColumns+` FROM payments WHERE out_trade_no = ?`, n.OutTradeNo))
		if errors.Is(err, ErrNotFound) {
			return ErrPaymentMismatch
		}
		if err != nil {
			return err
		}
		paymentID = p.ID
		if p.Provider != n.Provider || p.Amount != n.Amount || p.Currency != n.Currency {
			return ErrPaymentMismatch
		}
		if p.ProviderTxnID != "" {
			if p.ProviderTxnID == n.ProviderTxnID {
				result = ApplyDuplicate
				return nil
			}
			return ErrPaymentMismatch // one attempt, two different transactions
		}
		by := n.AppliedBy
		if by != AppliedByQuery {
			by = AppliedByNotify
		}
		result, err = db.applyPaymentTx(ctx, tx, p, n.ProviderTxnID, n.Raw, by)
		return err
	})
	if err != nil {
		if isUnique(err) { // the transaction id was used by another attempt
			return 0, nil, ErrPaymentMismatch
		}
		return 0, nil, err
	}
	p, err := db.PaymentByID(ctx, paymentID)
	return result, p, err
}

// applyPaymentTx records the attempt as paid and pays what it was for.
func (db *DB) applyPaymentTx(ctx context.Context, tx *sql.Tx, p *Payment, txnID, raw, appliedBy string) (ApplyResult, error) {
	now := db.now().Unix()
	// The attempt may have been closed (order cancelled or repriced) — the
	// money still arrived, so it is recorded as paid either way.
	if err := execOne(ctx, tx, `UPDATE payments SET status = 'paid', provider_txn_id = ?, paid_at = ?, raw = ?, applied_by = ?
		WHERE id = ? AND provider_txn_id IS NULL`, txnID, now, raw, appliedBy, p.ID); err != nil {
		return 0, err
	}
	if p.Purpose == PurposeRecharge {
		if err := db.applyRechargeTx(ctx, tx, p.RechargeID, p.ID); err != nil {
			if errors.Is(err, ErrConflict) {
				return ApplyLate, nil
			}
			return 0, err
		}
		return ApplyPaid, nil
	}
	h, err := orderHeadTx(ctx, tx, p.OrderID, 0)
	if err != nil {
		return 0, err
	}
	if h.status != StatusPendingPayment || h.payable != p.Amount {
		if err := orderLogTx(ctx, tx, h.id, SystemActor, "late_payment", h.status, h.status,
			fmt.Sprintf("%s %s %s", p.Provider, txnID, p.Amount.Yuan()), now); err != nil {
			return 0, err
		}
		return ApplyLate, nil
	}
	if err := db.markOrderPaidTx(ctx, tx, h, p.ID, p.Provider, now); err != nil {
		return 0, err
	}
	return ApplyPaid, nil
}

// markOrderPaidTx moves a paid order on: virtual orders complete, pickup
// orders get their verification code, the rest wait to be shipped. The
// reserved stock becomes sold.
func (db *DB) markOrderPaidTx(ctx context.Context, tx *sql.Tx, h orderHead, paymentID int64, provider string, now int64) error {
	to := StatusToShip
	switch h.delivery {
	case DeliveryVirtual:
		to = StatusCompleted
	case DeliveryPickup:
		to = StatusToPickup
	}
	var pid any
	if paymentID > 0 {
		pid = paymentID
	}
	res, err := tx.ExecContext(ctx, `UPDATE orders SET paid_fen = payable_fen, paid_at = ?, payment_id = ?, pay_provider = ?
		WHERE id = ? AND status = 'pending_payment'`, now, pid, provider, h.id)
	if err != nil {
		return fmt.Errorf("mark paid: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrOrderState
	}
	if h.delivery == DeliveryPickup {
		if err := setPickupCodeTx(ctx, tx, h.id); err != nil {
			return err
		}
	}
	rows, err := tx.QueryContext(ctx, `SELECT sku_id, product_id, qty FROM order_lines WHERE order_id = ?`, h.id)
	if err != nil {
		return fmt.Errorf("mark paid: %w", err)
	}
	type line struct {
		sku, product int64
		qty          int
	}
	var lines []line
	for rows.Next() {
		var l line
		if err := rows.Scan(&l.sku, &l.product, &l.qty); err != nil {
			rows.Close()
			return fmt.Errorf("mark paid: %w", err)
		}
		lines = append(lines, l)
	}
	rows.Close()
	for _, l := range lines {
		if err := moveStockTx(ctx, tx, l.sku, l.product, 0, l.qty); err != nil {
			return fmt.Errorf("mark paid: %w", err)
		}
	}
	// A plugin may hold the paid order in grouping (拼团中) until its
	// activity decides (a group buy that must fill first).
	if to != StatusCompleted {
		hold := false
		if err := db.fireOrderEvent(ctx, tx, OrderEvent{OrderID: h.id, CustomerID: h.customerID, Action: "paying",
			From: h.status, To: h.status, Actor: SystemActor, Hold: &hold}); err != nil {
			return err
		}
		if hold {
			to = StatusGrouping
		}
	}
	note := provider
	if err := db.setOrderStatusTx(ctx, tx, h, to, SystemActor, "pay", note, now); err != nil {
		return err
	}
	return nil
}

// setPickupCodeTx gives a paid pickup order its 12-digit verification code.
func setPickupCodeTx(ctx context.Context, tx *sql.Tx, orderID int64) error {
	for range 5 {
		n, _ := rand.Int(rand.Reader, big.NewInt(int64Pow10(12)))
		code := fmt.Sprintf("%012d", n.Int64())
		_, err := tx.ExecContext(ctx, `UPDATE orders SET pickup_code = ? WHERE id = ?`, code, orderID)
		if isUnique(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("pickup code: %w", err)
		}
		return nil
	}
	return fmt.Errorf("pickup code: %w", ErrConflict)
}

// RecordLateRefund records that a late payment (ApplyLate) was refunded in
// full through its provider: BeginLateRefund and FinishRefund in one go.
func (db *DB) RecordLateRefund(ctx context.Context, paymentID int64, providerRefundID string) error {
	lr, err := db.BeginLateRefund(ctx, paymentID)
	if err != nil {
		return err
	}
	return db.FinishRefund(ctx, lr.OutRefundNo, providerRefundID, true)
}

// PayWithBalance pays the customer's unpaid order from their wallet
// balance, in one transaction: the attempt, the debit with its ledger row
// and the order's payment. The caller checks the payment password first.
func (db *DB) PayWithBalance(ctx context.Context, customerID, orderID int64) error {
	return db.Write(ctx, func(tx *sql.Tx) error {
		h, err := orderHeadTx(ctx, tx, orderID, customerID)
		if err != nil {
			return err
		}
		now := db.now()
		if h.status != StatusPendingPayment || h.deadline <= now.Unix() {
			return ErrOrderState
		}
		id, no, err := insertNumberedTx(ctx, tx, now, 8, `INSERT INTO payments
			(out_trade_no, purpose, order_id, customer_id, provider, amount_fen, status, created_at)
			VALUES (?, 'order', ?, ?, 'balance', ?, 'pending', ?)`, h.id, customerID, h.payable, now.Unix())
		if err != nil {
			return fmt.Errorf("pay with balance: %w", err)
		}
		if _, err := debitWalletTx(ctx, tx, customerID, LedgerPayment, h.payable, "order", h.id, "", now.Unix()); err != nil {
			if errors.Is(err, ErrInsufficientBalance) {
				return Invalid("balance", "pay.balance_insufficient")
			}
			return err
		}
		if err := execOne(ctx, tx, `UPDATE payments SET status = 'paid', provider_txn_id = ?, paid_at = ? WHERE id = ?`,
			"BAL"+no, now.Unix(), id); err != nil {
			return err
		}
		return db.markOrderPaidTx(ctx, tx, h, id, ProviderBalance, now.Unix())
	})
}

// applyRechargeTx credits a paid recharge to the wallet: the amount paid and,
// for a package, its bonus, as two ledger rows. A recharge that is no longer
// waiting for payment is ErrConflict.
func (db *DB) applyRechargeTx(ctx context.Context, tx *sql.Tx, rechargeID, paymentID int64) error {
	now := db.now().Unix()
	var customerID int64
	var pay, bonus Fen
	err := tx.QueryRowContext(ctx, `UPDATE recharges SET status = 'paid', payment_id = ?, paid_at = ?
		WHERE id = ? AND status = 'pending_payment' RETURNING customer_id, pay_fen, bonus_fen`,
		paymentID, now, rechargeID).Scan(&customerID, &pay, &bonus)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrConflict
	}
	if err != nil {
		return fmt.Errorf("recharge: %w", err)
	}
	if _, err := creditWalletTx(ctx, tx, customerID, LedgerRecharge, pay, "recharge", rechargeID, "", now); err != nil {
		return err
	}
	if bonus > 0 {
		if _, err := creditWalletTx(ctx, tx, customerID, LedgerRechargeBonus, bonus, "recharge", rechargeID, "", now); err != nil {
			return err
		}
	}
	return nil
}
