package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// ErrInsufficientBalance is returned when a wallet debit would take the
// balance below zero; nothing is changed.
var ErrInsufficientBalance = errors.New("store: insufficient balance")

// Wallet ledger kinds: why the balance moved.
const (
	LedgerRecharge      = "recharge"       // money paid in through a provider
	LedgerRechargeBonus = "recharge_bonus" // the gift of a recharge package (充值送)
	LedgerPayment       = "payment"        // an order paid by balance
	LedgerRefund        = "refund"         // a refund of a balance payment
	LedgerAdjust        = "adjust"         // a staff adjustment, with a reason
	LedgerCommission    = "commission"     // commission withdrawn to the wallet
	LedgerWithdrawal    = "withdrawal"     // wallet money withdrawn
)

// creditWalletTx adds amount (> 0) to the customer's balance and appends the
// ledger row, in tx. It returns the balance after the change.
func creditWalletTx(ctx context.Context, tx *sql.Tx, customerID int64, kind string, amount Fen, refType string, refID int64, note string, now int64) (Fen, error) {
	if amount <= 0 {
		return 0, fmt.Errorf("credit wallet: amount %d is not positive", amount)
	}
	return moveWalletTx(ctx, tx, customerID, kind, amount, refType, refID, note, now)
}

// debitWalletTx takes amount (> 0) from the customer's balance with one
// guarded UPDATE and appends the ledger row, in tx. A balance that would go
// negative is ErrInsufficientBalance and changes nothing.
func debitWalletTx(ctx context.Context, tx *sql.Tx, customerID int64, kind string, amount Fen, refType string, refID int64, note string, now int64) (Fen, error) {
	if amount <= 0 {
		return 0, fmt.Errorf("debit wallet: amount %d is not positive", amount)
	}
	return moveWalletTx(ctx, tx, customerID, kind, -amount, refType, refID, note, now)
}

// moveWalletTx changes the balance by delta (guarded so it never goes below
// zero) and records the movement; the two always happen together.
func moveWalletTx(ctx context.Context, tx *sql.Tx, customerID int64, kind string, delta Fen, refType string, refID int64, note string, now int64) (Fen, error) {
	var after Fen
	err := tx.QueryRowContext(ctx, `UPDATE customers SET balance_fen = balance_fen + ?1
		WHERE id = ?2 AND balance_fen + ?1 >= 0 RETURNING balance_fen`, delta, customerID).Scan(&after)
	if errors.Is(err, sql.ErrNoRows) {
		var exists bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM customers WHERE id = ?)`, customerID).Scan(&exists); err != nil {
			return 0, fmt.Errorf("wallet: %w", err)
		}
		if !exists {
			return 0, ErrNotFound
		}
		return 0, ErrInsufficientBalance
	}
	if err != nil {
		return 0, fmt.Errorf("wallet: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO wallet_ledger
		(customer_id, kind, amount_fen, balance_fen, ref_type, ref_id, note, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, customerID, kind, delta, after, refType, refID, note, now); err != nil {
		return 0, fmt.Errorf("wallet ledger: %w", err)
	}
	return after, nil
}
