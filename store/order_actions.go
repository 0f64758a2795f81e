package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Order rules the owner can change in settings (keys and defaults).
const (
	SettingPayMinutes  = "order.pay_minutes"  // unpaid orders are cancelled after this
	SettingReceiveDays = "order.receive_days" // shipped orders are received automatically after this

	DefaultPayMinutes  = 30
	DefaultReceiveDays = 7
)

// ErrOrderState is returned when an action does not fit the order's current
// status (it was paid, cancelled or shipped meanwhile); nothing is changed.
var ErrOrderState = fmt.Errorf("%w: the order's status does not allow this", ErrConflict)

// OrderEvent describes a change of an order, handed to the order hook inside
// the transaction that makes it.
type OrderEvent struct {
	OrderID    int64
	CustomerID int64
	Action     string // create, paying, pay, cancel, timeout, reprice, ship, receive, pickup, refund, close
	From, To   OrderStatus
	Actor      Actor
	// For a refund: the order line, the pieces and the amount refunded
	// (commission and points are reduced in proportion).
	LineID      int64
	Qty         int
	Refunded    Fen
	RefundGoods Fen // the part of Refunded that was for the goods (shipping excluded)
	// For "create": the quote the order was placed from (its options and
	// adjustments with their refs) and the ids of its lines, in the
	// quote's order.
	Quote   *Quote
	LineIDs []int64
	// For "paying" (fired inside the payment's transaction just before
	// the order moves to its paid status, From and To both still
	// pending_payment): a handler sets *Hold to keep the order in
	// grouping (拼团中) until it calls ReleaseHeldOrderTx or RefundOrder.
	// Virtual orders are never held.
	Hold *bool
}

// OrderHook runs inside the transaction of every order change: an error
// rolls the whole change back. The plugin registry's order events hang here.
type OrderHook func(ctx context.Context, tx *sql.Tx, e OrderEvent) error

// SetOrderHook installs the order hook; call it once at start-up.
func (db *DB) SetOrderHook(h OrderHook) { db.orderHook = h }

func (db *DB) fireOrderEvent(ctx context.Context, tx *sql.Tx, e OrderEvent) error {
	if db.orderHook == nil {
		return nil
	}
	if err := db.orderHook(ctx, tx, e); err != nil {
		return fmt.Errorf("order hook %s: %w", e.Action, err)
	}
	return nil
}

// intSetting reads a positive integer setting, or def.
func (db *DB) intSetting(ctx context.Context, q queryer, key string, def int) int {
	var v string
	if err := q.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v); err != nil {
		return def
	}
	var n int
	if _, err := fmt.Sscanf(v, "%d", &n); err != nil || n <= 0 {
		return def
	}
	return n
}

// orderHead is what the actions need to know of an order before changing it.
type orderHead struct {
	id, customerID int64
	status         OrderStatus
	delivery       Delivery
	payable        Fen
	deadline       int64
}

func orderHeadTx(ctx context.Context, tx *sql.Tx, id, customerID int64) (orderHead, error) {
	var h orderHead
	q := `SELECT id, customer_id, status, delivery, payable_fen, pay_deadline FROM orders WHERE id = ?`
	args := []any{id}
	if customerID > 0 {
		q += ` AND customer_id = ?`
		args = append(args, customerID)
	}
	err := tx.QueryRowContext(ctx, q, args...).Scan(&h.id, &h.customerID, &h.status, &h.delivery, &h.payable, &h.deadline)
	if errors.Is(err, sql.ErrNoRows) {
		return h, ErrNotFound
	}
	if err != nil {
		return h, fmt.Errorf("order: %w", err)
	}
	return h, nil
}

// statusTimeColumn is the column that records when an order reached a status.
var statusTimeColumn = map[OrderStatus]string{
	StatusCompleted: "completed_at",
	StatusCancelled: "cancelled_at",
	StatusClosed:    "closed_at",
	StatusShipped:   "shipped_at",
}

// setOrderStatusTx moves an order from → to with one guarded UPDATE, sets
// the time column of the new status, writes the order log and fires the
// order hook. It is the only place an order's status changes.
func (db *DB) setOrderStatusTx(ctx context.Context, tx *sql.Tx, h orderHead, to OrderStatus, actor Actor, action, note string, now int64) error {
	if !CanTransition(h.status, to) {
		return fmt.Errorf("%w (%s → %s)", ErrOrderState, h.status, to)
	}
	set := `status = ?, updated_at = ?`
	args := []any{string(to), now}
	if col := statusTimeColumn[to]; col != "" {
		set += `, ` + col + ` = ?`
		args = append(args, now)
	}
	res, err := tx.ExecContext(ctx, `UPDATE orders SET `+set+` WHERE id = ? AND status = ?`,
		append(args, h.id, string(h.status))...)
	if err != nil {
		return fmt.Errorf("order status: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrOrderState
	}
	if err := orderLogTx(ctx, tx, h.id, actor, action, h.status, to, note, now); err != nil {
		return err
	}
	return db.fireOrderEvent(ctx, tx, OrderEvent{OrderID: h.id, CustomerID: h.customerID,
		Action: action, From: h.status, To: to, Actor: actor})
}

func orderLogTx(ctx context.Context, tx *sql.Tx, orderID int64, actor Actor, action string, from, to OrderStatus, note string, now int64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO order_logs (order_id, actor, action, from_status, to_status, note, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, orderID, string(actor), action, string(from), string(to), note, now)
	if err != nil {
		return fmt.Errorf("order log: %w", err)
	}
	return nil
}

// moveStockTx changes a SKU's stock (and its product's summary) by delta
// pieces and its sales by salesDelta. A decrease is guarded so stock never
// goes below zero: ErrOutOfStock.
func moveStockTx(ctx context.Context, tx *sql.Tx, skuID, productID int64, delta, salesDelta int) error {
	res, err := tx.ExecContext(ctx, `UPDATE skus SET stock = stock + ?1, sales = sales + ?2
		WHERE id = ?3 AND stock + ?1 >= 0`, delta, salesDelta, skuID)
	if err != nil {
		return fmt.Errorf("stock: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrOutOfStock
	}
	if _, err := tx.ExecContext(ctx, `UPDATE products SET stock = MAX(stock + ?, 0), sales = MAX(sales + ?, 0) WHERE id = ?`,
		delta, salesDelta, productID); err != nil {
		return fmt.Errorf("stock: %w", err)
	}
	return nil
}

// ErrOutOfStock is returned when a SKU has fewer pieces than asked for.
var ErrOutOfStock = errors.New("store: out of stock")

// releaseStockTx gives back the stock an unpaid order reserved.
func releaseStockTx(ctx context.Context, tx *sql.Tx, orderID int64) error {
	rows, err := tx.QueryContext(ctx, `SELECT sku_id, product_id, qty FROM order_lines WHERE order_id = ?`, orderID)
	if err != nil {
		return fmt.Errorf("release stock: %w", err)
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
			return fmt.Errorf("release stock: %w", err)
		}
		lines = append(lines, l)
	}
	rows.Close()
	for _, l := range lines {
		if err := moveStockTx(ctx, tx, l.sku, l.product, l.qty, 0); err != nil {
			return fmt.Errorf("release stock: %w", err)
		}
	}
	return nil
}

// MaxReasonLen bounds reasons and notes typed into order actions.
const MaxReasonLen = 200

func cleanReason(field, s string, required bool) (string, error) {
	s = strings.TrimSpace(oneLine(s))
	if required && s == "" {
		return "", Invalid(field, "order.reason_required")
	}
	if utf8.RuneCountInString(s) > MaxReasonLen {
		return "", Invalid(field, "order.reason_too_long", "max", MaxReasonLen)
	}
	return s, nil
}

// CancelOrder cancels the customer's unpaid order and releases its stock.
func (db *DB) CancelOrder(ctx context.Context, customerID, orderID int64, reason string) error {
	reason, err := cleanReason("reason", reason, false)
	if err != nil {
		return err
	}
	return db.Write(ctx, func(tx *sql.Tx) error {
		h, err := orderHeadTx(ctx, tx, orderID, customerID)
		if err != nil {
			return err
		}
		return db.cancelTx(ctx, tx, h, CustomerActor(customerID), "cancel", reason)
	})
}

// CancelOrderByStaff cancels an unpaid order from the back office.
func (db *DB) CancelOrderByStaff(ctx context.Context, orderID int64, actor Actor, reason string) error {
	reason, err := cleanReason("reason", reason, true)
	if err != nil {
		return err
	}
	return db.Write(ctx, func(tx *sql.Tx) error {
		h, err := orderHeadTx(ctx, tx, orderID, 0)
		if err != nil {
			return err
		}
		return db.cancelTx(ctx, tx, h, actor, "cancel", reason)
	})
}

func (db *DB) cancelTx(ctx context.Context, tx *sql.Tx, h orderHead, actor Actor, action, note string) error {
	if h.status != StatusPendingPayment {
		return ErrOrderState
	}
	now := db.now().Unix()
	if err := db.setOrderStatusTx(ctx, tx, h, StatusCancelled, actor, action, note, now); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE payments SET status = 'closed' WHERE order_id = ? AND status = 'pending'`, h.id); err != nil {
		return fmt.Errorf("close payments: %w", err)
	}
	return releaseStockTx(ctx, tx, h.id)
}

// CancelExpiredOrders cancels up to limit unpaid orders whose payment
// deadline has passed, each in its own small transaction, and returns how
// many it cancelled. It is idempotent and safe to stop at any point: an
// order paid or cancelled meanwhile is left alone.
func (db *DB) CancelExpiredOrders(ctx context.Context, limit int) (int, error) {
	ids, err := db.idsWhere(ctx, `SELECT id FROM orders WHERE status = 'pending_payment' AND pay_deadline <= ? ORDER BY pay_deadline LIMIT ?`,
		db.now().Unix(), limit)
	if err != nil {
		return 0, fmt.Errorf("expired orders: %w", err)
	}
	n := 0
	for _, id := range ids {
		if ctx.Err() != nil {
			return n, ctx.Err()
		}
		err := db.Write(ctx, func(tx *sql.Tx) error {
			h, err := orderHeadTx(ctx, tx, id, 0)
			if err != nil {
				return err
			}
			if h.status != StatusPendingPayment || h.deadline > db.now().Unix() {
				return nil // paid or cancelled meanwhile
			}
			n++
			return db.cancelTx(ctx, tx, h, SystemActor, "timeout", "")
		})
		if err != nil {
			return n, fmt.Errorf("cancel expired order %d: %w", id, err)
		}
	}
	return n, nil
}

func (db *DB) idsWhere(ctx context.Context, query string, args ...any) ([]int64, error) {
	rows, err := db.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// RepriceOrder changes what the buyer pays for an unpaid order (改价). The
// goods part (payable minus shipping) is spread over the lines by largest
// remainder; the change is an adjustment and a log row with the reason.
func (db *DB) RepriceOrder(ctx context.Context, orderID int64, payable Fen, actor Actor, reason string) error {
	reason, err := cleanReason("reason", reason, true)
	if err != nil {
		return err
	}
	if payable <= 0 {
		return Invalid("payable", "order.payable_positive")
	}
	return db.Write(ctx, func(tx *sql.Tx) error {
		o, err := orderTx(ctx, tx, `o.id = ?`, orderID, 0)
		if err != nil {
			return err
		}
		if o.Status != StatusPendingPayment {
			return ErrOrderState
		}
		goods := payable - o.Shipping
		if goods < 0 {
			return Invalid("payable", "order.payable_below_shipping", "shipping", o.Shipping.Yuan())
		}
		weights := make([]Fen, len(o.Lines))
		for i, l := range o.Lines {
			weights[i] = l.Subtotal()
		}
		shares := Allocate(goods, weights)
		for i, l := range o.Lines {
			if _, err := tx.ExecContext(ctx, `UPDATE order_lines SET paid_fen = ? WHERE id = ?`, shares[i], l.ID); err != nil {
				return fmt.Errorf("reprice: %w", err)
			}
		}
		delta := payable - o.Payable
		now := db.now().Unix()
		res, err := tx.ExecContext(ctx, `UPDATE orders SET payable_fen = ?, adjust_fen = adjust_fen + ?, updated_at = ?
			WHERE id = ? AND status = 'pending_payment'`, payable, delta, now, o.ID)
		if err != nil {
			return fmt.Errorf("reprice: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrOrderState
		}
		// Attempts started at the old price can no longer pay this order.
		if _, err := tx.ExecContext(ctx, `UPDATE payments SET status = 'closed' WHERE order_id = ? AND status = 'pending'`, o.ID); err != nil {
			return fmt.Errorf("reprice: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO order_adjustments (order_id, stage, source, label, amount_fen)
			VALUES (?, 'manual', ?, ?, ?)`, o.ID, string(actor), reason, delta); err != nil {
			return fmt.Errorf("reprice: %w", err)
		}
		note := fmt.Sprintf("%s → %s: %s", o.Payable.Yuan(), payable.Yuan(), reason)
		if err := orderLogTx(ctx, tx, o.ID, actor, "reprice", o.Status, o.Status, note, now); err != nil {
			return err
		}
		return db.fireOrderEvent(ctx, tx, OrderEvent{OrderID: o.ID, CustomerID: o.CustomerID, Action: "reprice",
			From: o.Status, To: o.Status, Actor: actor})
	})
}

// Allocate splits total over parts in proportion to weights by largest
// remainder, so the parts always sum to total (rounding down, the leftover
// fen going to the largest remainders, ties to the earlier part). With no
// positive weight it splits evenly.
func Allocate(total Fen, weights []Fen) []Fen {
	out := make([]Fen, len(weights))
	if len(weights) == 0 {
		return out
	}
	var sum Fen
	for _, w := range weights {
		if w > 0 {
			sum += w
		}
	}
	if sum == 0 {
		weights = make([]Fen, len(weights))
		for i := range weights {
			weights[i] = 1
		}
		sum = Fen(len(weights))
	}
	rems := make([]Fen, len(weights))
	var given Fen
	for i, w := range weights {
		if w <= 0 {
			continue
		}
		// total*w can overflow for absurd amounts; split the product.
		q, r := mulDiv(total, w, sum)
		out[i], rems[i] = q, r
		given += q
	}
	for left := total - given; left > 0; left-- {
		best := -1
		for i := range rems {
			if weights[i] > 0 && (best < 0 || rems[i] > rems[best]) {
				best = i
			}
		}
		out[best]++
		rems[best] = -1
	}
	return out
}

// mulDiv returns a*b/c and its remainder without overflowing for the
// amounts of a shop (a, b, c ≥ 0, c > 0).
func mulDiv(a, b, c Fen) (Fen, Fen) {
	q := (a / c) * b
	r := (a % c) * b
	return q + r/c, r % c
}

// ShipInput is one package the back office ships.
type ShipInput struct {
	Carrier    string
	TrackingNo string
	// Lines and quantities in this package; empty ships everything left.
	Lines []PackageLine
}

// Limits of shipping input.
const (
	MaxCarrierLen  = 30
	MaxTrackingLen = 40
)

func (in *ShipInput) validate() error {
	var v ValidationErrors
	in.Carrier = strings.TrimSpace(oneLine(in.Carrier))
	in.TrackingNo = strings.TrimSpace(oneLine(in.TrackingNo))
	if in.Carrier == "" {
		v.Add("carrier", "order.carrier_required")
	} else if utf8.RuneCountInString(in.Carrier) > MaxCarrierLen {
		v.Add("carrier", "order.carrier_too_long", "max", MaxCarrierLen)
	}
	if in.TrackingNo == "" {
		v.Add("tracking_no", "order.tracking_required")
	} else if len(in.TrackingNo) > MaxTrackingLen || strings.ContainsFunc(in.TrackingNo, func(r rune) bool {
		return !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r == '-')
	}) {
		v.Add("tracking_no", "order.tracking_invalid")
	}
	for _, l := range in.Lines {
		if l.Qty < 0 || l.Qty > MaxCartQty {
			v.Add("lines", "order.ship_qty_invalid")
			break
		}
	}
	return v.Err()
}

// ShipOrder ships one package of a paid express order. The order becomes
// shipped (待收货) when nothing is left to ship, and is then received
// automatically after the receipt days unless an after-sale is open.
func (db *DB) ShipOrder(ctx context.Context, orderID int64, actor Actor, in ShipInput) error {
	if err := in.validate(); err != nil {
		return err
	}
	return db.Write(ctx, func(tx *sql.Tx) error { return db.shipTx(ctx, tx, orderID, actor, in) })
}

func (db *DB) shipTx(ctx context.Context, tx *sql.Tx, orderID int64, actor Actor, in ShipInput) error {
	o, err := orderTx(ctx, tx, `o.id = ?`, orderID, 0)
	if err != nil {
		return err
	}
	if o.Status != StatusToShip || o.Delivery != DeliveryExpress {
		return ErrOrderState
	}
	want := make(map[int64]int)
	if len(in.Lines) == 0 {
		for _, l := range o.Lines {
			if n := l.Unshipped(); n > 0 {
				want[l.ID] = n
			}
		}
	} else {
		for _, pl := range in.Lines {
			if pl.Qty > 0 {
				want[pl.LineID] += pl.Qty
			}
		}
	}
	if len(want) == 0 {
		return Invalid("lines", "order.ship_nothing")
	}
	// A line whose after-sale is being handled waits until it is settled:
	// shipping it would change what the after-sale may refund.
	ids := make([]int64, 0, len(want))
	for id := range want {
		ids = append(ids, id)
	}
	var open int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM aftersales WHERE line_id IN (`+placeholders(len(ids))+`)
		AND status IN ('requested', 'approved', 'awaiting_return', 'returned')`, int64Args(ids)...).Scan(&open); err != nil {
		return fmt.Errorf("ship: %w", err)
	}
	if open > 0 {
		return Invalid("lines", "order.ship_aftersale_open")
	}
	now := db.now().Unix()
	res, err := tx.ExecContext(ctx, `INSERT INTO packages (order_id, carrier, tracking_no, created_at, created_by)
		VALUES (?, ?, ?, ?, ?)`, o.ID, in.Carrier, in.TrackingNo, now, string(actor))
	if err != nil {
		return fmt.Errorf("ship: %w", err)
	}
	pkgID, _ := res.LastInsertId()
	left := 0
	for _, l := range o.Lines {
		n := want[l.ID]
		delete(want, l.ID)
		if n > l.Unshipped() {
			return Invalid("lines", "order.ship_too_many", "title", l.Title)
		}
		left += l.Unshipped() - n
		if n == 0 {
			continue
		}
		if err := execOne(ctx, tx, `UPDATE order_lines SET shipped_qty = shipped_qty + ?1
			WHERE id = ?2 AND shipped_qty + refunded_qty + ?1 <= qty`, n, l.ID); err != nil {
			return Invalid("lines", "order.ship_too_many", "title", l.Title)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO package_lines (package_id, line_id, qty) VALUES (?, ?, ?)`, pkgID, l.ID, n); err != nil {
			return fmt.Errorf("ship: %w", err)
		}
	}
	if len(want) > 0 {
		return Invalid("lines", "order.ship_unknown_line")
	}
	note := in.Carrier + " " + in.TrackingNo
	if left > 0 {
		return orderLogTx(ctx, tx, o.ID, actor, "ship_part", o.Status, o.Status, note, now)
	}
	h := orderHead{id: o.ID, customerID: o.CustomerID, status: o.Status, delivery: o.Delivery}
	if err := db.markShippedTx(ctx, tx, h, actor, "ship", note, now); err != nil {
		return err
	}
	_, err = db.sendMessageTx(ctx, tx, o.CustomerID, MessageInput{Kind: MessageOrder,
		Title: "订单已发货", Body: fmt.Sprintf("订单 %s 已发货：%s", o.No, note), Link: fmt.Sprintf("/orders/%d", o.ID)})
	return err
}

// markShippedTx moves an order whose every piece is shipped or refunded to
// shipped (待收货) and starts the automatic receipt clock.
func (db *DB) markShippedTx(ctx context.Context, tx *sql.Tx, h orderHead, actor Actor, action, note string, now int64) error {
	days := db.intSetting(ctx, tx, SettingReceiveDays, DefaultReceiveDays)
	if _, err := tx.ExecContext(ctx, `UPDATE orders SET auto_receive_at = ? WHERE id = ?`,
		now+int64(days)*86400, h.id); err != nil {
		return fmt.Errorf("ship: %w", err)
	}
	return db.setOrderStatusTx(ctx, tx, h, StatusShipped, actor, action, note, now)
}

// ShippedIfDoneTx moves an order waiting to ship to shipped when a refund
// took its last unshipped pieces and the rest has shipped; it reports
// whether it did.
func (db *DB) ShippedIfDoneTx(ctx context.Context, tx *sql.Tx, orderID int64, actor Actor, note string, now int64) (bool, error) {
	h, err := orderHeadTx(ctx, tx, orderID, 0)
	if err != nil || h.status != StatusToShip {
		return false, err
	}
	var left, shipped int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(MAX(0, qty - shipped_qty - refunded_qty)), 0),
		COALESCE(SUM(shipped_qty), 0) FROM order_lines WHERE order_id = ?`, orderID).Scan(&left, &shipped); err != nil {
		return false, fmt.Errorf("shipped if done: %w", err)
	}
	if left > 0 || shipped == 0 {
		return false, nil
	}
	return true, db.markShippedTx(ctx, tx, h, actor, "ship_rest_refunded", note, now)
}

// ConfirmReceipt is the buyer confirming a shipped order arrived.
func (db *DB) ConfirmReceipt(ctx context.Context, customerID, orderID int64) error {
	return db.Write(ctx, func(tx *sql.Tx) error {
		h, err := orderHeadTx(ctx, tx, orderID, customerID)
		if err != nil {
			return err
		}
		if h.status != StatusShipped {
			return ErrOrderState
		}
		return db.setOrderStatusTx(ctx, tx, h, StatusCompleted, CustomerActor(customerID), "receive", "", db.now().Unix())
	})
}

// AutoReceive completes up to limit shipped orders whose receipt time has
// come and that have no open after-sale, each in its own transaction, and
// returns how many. Idempotent and safe to stop at any point.
func (db *DB) AutoReceive(ctx context.Context, limit int) (int, error) {
	ids, err := db.idsWhere(ctx, `SELECT id FROM orders WHERE status = 'shipped' AND auto_receive_at <= ?
		AND open_aftersales = 0 ORDER BY auto_receive_at LIMIT ?`, db.now().Unix(), limit)
	if err != nil {
		return 0, fmt.Errorf("auto receive: %w", err)
	}
	n := 0
	for _, id := range ids {
		if ctx.Err() != nil {
			return n, ctx.Err()
		}
		err := db.Write(ctx, func(tx *sql.Tx) error {
			var status OrderStatus
			var at sql.NullInt64
			var open int
			if err := tx.QueryRowContext(ctx, `SELECT status, auto_receive_at, open_aftersales FROM orders WHERE id = ?`, id).
				Scan(&status, &at, &open); err != nil {
				return err
			}
			if status != StatusShipped || open > 0 || !at.Valid || at.Int64 > db.now().Unix() {
				return nil
			}
			h, err := orderHeadTx(ctx, tx, id, 0)
			if err != nil {
				return err
			}
			n++
			return db.setOrderStatusTx(ctx, tx, h, StatusCompleted, SystemActor, "auto_receive", "", db.now().Unix())
		})
		if err != nil {
			return n, fmt.Errorf("auto receive %d: %w", id, err)
		}
	}
	return n, nil
}

// PauseReceiptTx counts an after-sale opened on the order: while any is
// open, automatic receipt waits.
func PauseReceiptTx(ctx context.Context, tx *sql.Tx, orderID int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE orders SET open_aftersales = open_aftersales + 1 WHERE id = ?`, orderID)
	return err
}

// ResumeReceiptTx counts an after-sale closed after being open for paused;
// the receipt clock is pushed back by that time, so it resumes where it
// stopped.
func ResumeReceiptTx(ctx context.Context, tx *sql.Tx, orderID int64, paused time.Duration) error {
	_, err := tx.ExecContext(ctx, `UPDATE orders SET open_aftersales = MAX(open_aftersales - 1, 0),
		auto_receive_at = CASE WHEN auto_receive_at IS NULL THEN NULL ELSE auto_receive_at + ? END
		WHERE id = ?`, int64(paused/time.Second), orderID)
	return err
}

// VerifyPickup checks a verification code (核销码) at the pickup store and
// completes the order it belongs to.
func (db *DB) VerifyPickup(ctx context.Context, actor Actor, code string) (*Order, error) {
	code = strings.TrimSpace(code)
	if code == "" || len(code) > 20 {
		return nil, Invalid("code", "order.pickup_code_invalid")
	}
	var id int64
	err := db.Write(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT id FROM orders WHERE pickup_code = ?`, code).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return Invalid("code", "order.pickup_code_unknown")
		}
		if err != nil {
			return err
		}
		h, err := orderHeadTx(ctx, tx, id, 0)
		if err != nil {
			return err
		}
		if h.status != StatusToPickup {
			return Invalid("code", "order.pickup_code_used")
		}
		return db.setOrderStatusTx(ctx, tx, h, StatusCompleted, actor, "pickup", code, db.now().Unix())
	})
	if err != nil {
		return nil, err
	}
	return db.OrderByID(ctx, id)
}

// SetOrderRemark replaces the staff remark of an order (never shown to the buyer).
func (db *DB) SetOrderRemark(ctx context.Context, orderID int64, actor Actor, remark string) error {
	remark = strings.TrimSpace(remark)
	if utf8.RuneCountInString(remark) > 500 {
		return Invalid("remark", "order.remark_too_long", "max", 500)
	}
	return db.Write(ctx, func(tx *sql.Tx) error {
		if err := execOne(ctx, tx, `UPDATE orders SET remark = ?, updated_at = ? WHERE id = ?`, remark, db.now().Unix(), orderID); err != nil {
			return err
		}
		var status OrderStatus
		if err := tx.QueryRowContext(ctx, `SELECT status FROM orders WHERE id = ?`, orderID).Scan(&status); err != nil {
			return err
		}
		return orderLogTx(ctx, tx, orderID, actor, "remark", status, status, remark, db.now().Unix())
	})
}
