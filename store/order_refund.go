package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Whole-order refunds and held orders: what an activity that decides after
// payment (a group buy that did not fill) needs from the store. A plugin's
// "paying" order handler may hold a paid order in `grouping` (拼团中)
// instead of sending it to be shipped; the plugin later releases it
// (ReleaseHeldOrderTx) or refunds the whole of it (RefundOrder), which
// closes it, restocks it and fires the order events ("refund" per line,
// then "close") so that commission, coupons and points react as to any
// refund.

// RefundReasonOrder is the reason of a whole-order refund's row in refunds.
const RefundReasonOrder = "order"

// ReleaseHeldOrderTx sends an order held in `grouping` on: to `to_pickup`
// for a pickup order, to `to_ship` otherwise. An order not in grouping is
// ErrOrderState.
func (db *DB) ReleaseHeldOrderTx(ctx context.Context, tx *sql.Tx, orderID int64, actor Actor, action, note string) error {
	h, err := orderHeadTx(ctx, tx, orderID, 0)
	if err != nil {
		return err
	}
	if h.status != StatusGrouping {
		return ErrOrderState
	}
	to := StatusToShip
	if h.delivery == DeliveryPickup {
		to = StatusToPickup
	}
	return db.setOrderStatusTx(ctx, tx, h, to, actor, action, note, db.now().Unix())
}

// refundableStatuses are where a whole-order refund may start: paid,
// nothing shipped.
func refundableWhole(s OrderStatus) bool {
	return s == StatusGrouping || s == StatusToShip || s == StatusToPickup
}

// RefundOrder refunds the whole of a paid order that shipped nothing and
// has no after-sale (a group that did not fill), through its payment's own
// provider, and closes it: every line refunded and restocked, the
// payment's refunded amount, the buyer's message, the order events. A
// balance payment (or nothing paid) is refunded in one transaction. Any
// other provider in two, like RefundAftersale: a pending refund is
// recorded first (so a second caller gets ErrRefundInProgress and refunds
// nothing), refund runs outside any transaction, then the refund is
// applied — or marked failed (ErrRefundFailed; a later call tries again
// under a new number), or left pending (ErrRefundPending) for the
// provider's notification or the reconciliation job (FinishRefund).
// An order already refunded or not refundable is ErrOrderState.
func (db *DB) RefundOrder(ctx context.Context, orderID int64, actor Actor, reason string, refund RefundFunc) error {
	var pay *Payment
	var refundID int64
	var outNo string
	var amount Fen
	done := false
	err := db.Write(ctx, func(tx *sql.Tx) error {
		h, err := orderHeadTx(ctx, tx, orderID, 0)
		if err != nil {
			return err
		}
		var paid, refunded Fen
		var shipped, aftersales int
		var paymentID sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT o.paid_fen, o.refunded_fen, o.payment_id, o.open_aftersales,
			(SELECT COALESCE(SUM(shipped_qty + refunded_qty), 0) FROM order_lines WHERE order_id = o.id)
			FROM orders o WHERE o.id = ?`, h.id).Scan(&paid, &refunded, &paymentID, &aftersales, &shipped); err != nil {
			return fmt.Errorf("refund order: %w", err)
		}
		if !refundableWhole(h.status) || refunded != 0 || shipped != 0 || aftersales != 0 {
			return ErrOrderState
		}
		var open int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM refunds WHERE order_id = ? AND status != 'failed'`, h.id).Scan(&open); err != nil {
			return fmt.Errorf("refund order: %w", err)
		}
		if open > 0 {
			return ErrRefundInProgress
		}
		now := db.now()
		if paid == 0 || !paymentID.Valid {
			if paid > 0 {
				return fmt.Errorf("refund order %d: no payment: %w", h.id, ErrConflict)
			}
			done = true
			return db.applyOrderRefundTx(ctx, tx, h.id, 0, 0, "", actor, reason)
		}
		pay, err = scanPayment(tx.QueryRowContext(ctx, `SELECT `+paymentColumns+` FROM payments WHERE id = ?`, paymentID.Int64))
		if err != nil {
			return err
		}
		amount = paid
		status := RefundPending
		if pay.Provider == ProviderBalance {
			status = RefundSucceeded
		}
		refundID, outNo, err = insertNumberedTx(ctx, tx, now, 8, `INSERT INTO refunds
			(out_refund_no, payment_id, order_id, amount_fen, status, reason, created_at)
			VALUES (?, ?, ?, ?, ?, '`+RefundReasonOrder+`', ?)`, pay.ID, h.id, amount, status, now.Unix())
		if err != nil {
			return fmt.Errorf("refund order: %w", err)
		}
		if pay.Provider == ProviderBalance {
			done = true
			if err := execOne(ctx, tx, `UPDATE refunds SET provider_refund_id = ?, done_at = ? WHERE id = ?`,
				"BALR"+outNo, now.Unix(), refundID); err != nil {
				return fmt.Errorf("refund order: %w", err)
			}
			if _, err := creditWalletTx(ctx, tx, pay.CustomerID, LedgerRefund, amount, "order", h.id, outNo, now.Unix()); err != nil {
				return err
			}
			return db.applyOrderRefundTx(ctx, tx, h.id, pay.ID, amount, outNo, actor, reason)
		}
		return orderLogTx(ctx, tx, h.id, actor, "refund_start", h.status, h.status,
			fmt.Sprintf("%s %s %s", pay.Provider, outNo, amount.Yuan()), now.Unix())
	})
	if err != nil || done {
		return err
	}
	if refund == nil {
		err = fmt.Errorf("no refund for provider %q", pay.Provider)
	}
	var providerID string
	if err == nil {
		providerID, err = refund(ctx, pay, amount, outNo)
	}
	ctx2 := context.WithoutCancel(ctx) // the provider may have moved the money
	switch {
	case errors.Is(err, ErrRefundPending):
		if werr := db.Write(ctx2, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx2, `UPDATE refunds SET provider_refund_id = ? WHERE id = ? AND status = 'pending'`,
				providerID, refundID)
			return err
		}); werr != nil {
			return fmt.Errorf("refund pending: %w", werr)
		}
		return ErrRefundPending
	case err != nil:
		provErr := err
		if werr := db.Write(ctx2, func(tx *sql.Tx) error {
			return db.failOrderRefundTx(ctx2, tx, refundID, orderID, actor, provErr.Error())
		}); werr != nil {
			return fmt.Errorf("%w: %v (and recording it: %v)", ErrRefundFailed, provErr, werr)
		}
		return fmt.Errorf("%w: %v", ErrRefundFailed, provErr)
	}
	return db.Write(ctx2, func(tx *sql.Tx) error { return db.finishOrderRefundTx(ctx2, tx, refundID, providerID, actor) })
}

// failOrderRefundTx marks a pending whole-order refund failed.
func (db *DB) failOrderRefundTx(ctx context.Context, tx *sql.Tx, refundID, orderID int64, actor Actor, why string) error {
	now := db.now().Unix()
	if err := execOne(ctx, tx, `UPDATE refunds SET status = 'failed', done_at = ? WHERE id = ? AND status = 'pending'`,
		now, refundID); err != nil {
		return fmt.Errorf("refund %d is no longer pending: %w", refundID, ErrConflict)
	}
	h, err := orderHeadTx(ctx, tx, orderID, 0)
	if err != nil {
		return err
	}
	return orderLogTx(ctx, tx, orderID, actor, "refund_failed", h.status, h.status, cutRunes(why, MaxReasonLen), now)
}

// finishOrderRefundTx marks a pending whole-order refund succeeded and
// applies it.
func (db *DB) finishOrderRefundTx(ctx context.Context, tx *sql.Tx, refundID int64, providerID string, actor Actor) error {
	var orderID, paymentID int64
	var amount Fen
	var outNo string
	if err := tx.QueryRowContext(ctx, `UPDATE refunds SET status = 'succeeded', provider_refund_id = ?, done_at = ?
		WHERE id = ? AND status = 'pending' AND aftersale_id IS NULL AND reason = '`+RefundReasonOrder+`'
		RETURNING order_id, payment_id, amount_fen, out_refund_no`, providerID, db.now().Unix(), refundID).
		Scan(&orderID, &paymentID, &amount, &outNo); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("refund %d is no longer pending: %w", refundID, ErrConflict)
		}
		return fmt.Errorf("refund: %w", err)
	}
	return db.applyOrderRefundTx(ctx, tx, orderID, paymentID, amount, outNo, actor, "")
}

// applyOrderRefundTx applies a whole-order refund that went through: the
// payment, every line (refunded and restocked), the order, the buyer's
// message, a "refund" order event per line (the shipping with the first)
// and the order's closing.
func (db *DB) applyOrderRefundTx(ctx context.Context, tx *sql.Tx, orderID, paymentID int64, amount Fen, outNo string, actor Actor, reason string) error {
	now := db.now().Unix()
	if amount > 0 {
		if err := execOne(ctx, tx, `UPDATE payments SET refunded_fen = refunded_fen + ?1
			WHERE id = ?2 AND refunded_fen + ?1 <= amount_fen`, amount, paymentID); err != nil {
			return fmt.Errorf("refund payment: %w", ErrConflict)
		}
	}
	h, err := orderHeadTx(ctx, tx, orderID, 0)
	if err != nil {
		return err
	}
	if !refundableWhole(h.status) {
		return ErrOrderState
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, sku_id, product_id, qty, paid_fen FROM order_lines
		WHERE order_id = ? AND refunded_qty = 0 AND shipped_qty = 0 ORDER BY id`, orderID)
	if err != nil {
		return fmt.Errorf("refund order: %w", err)
	}
	type line struct {
		id, sku, product int64
		qty              int
		paid             Fen
	}
	var lines []line
	var goods Fen
	for rows.Next() {
		var l line
		if err := rows.Scan(&l.id, &l.sku, &l.product, &l.qty, &l.paid); err != nil {
			rows.Close()
			return fmt.Errorf("refund order: %w", err)
		}
		lines = append(lines, l)
		goods += l.paid
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("refund order: %w", err)
	}
	if err := execOne(ctx, tx, `UPDATE orders SET refunded_fen = refunded_fen + ?1, updated_at = ?2
		WHERE id = ?3 AND refunded_fen + ?1 <= paid_fen`, amount, now, orderID); err != nil {
		return fmt.Errorf("refund order: %w", ErrConflict)
	}
	shipping := max(0, amount-goods)
	for i, l := range lines {
		if err := execOne(ctx, tx, `UPDATE order_lines SET refunded_qty = qty, refunded_fen = paid_fen, restocked_qty = qty
			WHERE id = ? AND refunded_qty = 0`, l.id); err != nil {
			return fmt.Errorf("refund line: %w", ErrConflict)
		}
		if err := moveStockTx(ctx, tx, l.sku, l.product, l.qty, -l.qty); err != nil {
			return err
		}
		refunded := l.paid
		if i == 0 {
			refunded += shipping
		}
		if amount == 0 {
			refunded = 0
		}
		if err := db.fireOrderEvent(ctx, tx, OrderEvent{OrderID: orderID, CustomerID: h.customerID, Action: "refund",
			From: h.status, To: h.status, Actor: actor, LineID: l.id, Qty: l.qty, Refunded: refunded,
			RefundGoods: min(refunded, l.paid)}); err != nil {
			return err
		}
	}
	note := amount.Yuan()
	if outNo != "" {
		note += " " + outNo
	}
	if reason != "" {
		note += " " + cutRunes(reason, MaxReasonLen)
	}
	if amount > 0 {
		var no string
		if err := tx.QueryRowContext(ctx, `SELECT no FROM orders WHERE id = ?`, orderID).Scan(&no); err != nil {
			return fmt.Errorf("refund order: %w", err)
		}
		if _, err := db.sendMessageTx(ctx, tx, h.customerID, MessageInput{Kind: MessageOrder, Title: "退款成功",
			Body: fmt.Sprintf("订单 %s 已全额退款 ¥%s，原路退回", no, amount.String()),
			Link: fmt.Sprintf("/orders/%d", orderID)}); err != nil {
			return err
		}
	}
	return db.setOrderStatusTx(ctx, tx, h, StatusClosed, actor, "close", note, now)
}
