package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"
)

// OrderStatus is where an order is in its life (domain.md, Orders).
type OrderStatus string

// Order statuses.
const (
	StatusPendingPayment OrderStatus = "pending_payment" // 待付款
	StatusToShip         OrderStatus = "to_ship"         // 待发货
	StatusShipped        OrderStatus = "shipped"         // 待收货
	StatusToPickup       OrderStatus = "to_pickup"       // 待自提
	StatusGrouping       OrderStatus = "grouping"        // 拼团中
	StatusCompleted      OrderStatus = "completed"       // 已完成
	StatusCancelled      OrderStatus = "cancelled"       // 已取消
	StatusClosed         OrderStatus = "closed"          // 已关闭: everything refunded
)

// OrderStatuses lists every status in the order the back office shows them.
var OrderStatuses = []OrderStatus{StatusPendingPayment, StatusGrouping, StatusToShip, StatusToPickup,
	StatusShipped, StatusCompleted, StatusCancelled, StatusClosed}

// transitions is the order state machine: the only moves the store makes.
// Every status change goes through setOrderStatusTx, which refuses the rest.
var transitions = map[OrderStatus][]OrderStatus{
	StatusPendingPayment: {StatusToShip, StatusToPickup, StatusGrouping, StatusCompleted, StatusCancelled},
	StatusGrouping:       {StatusToShip, StatusToPickup, StatusClosed},
	StatusToShip:         {StatusShipped, StatusClosed},
	StatusToPickup:       {StatusCompleted, StatusClosed},
	StatusShipped:        {StatusCompleted, StatusClosed},
	StatusCompleted:      {StatusClosed},
	StatusCancelled:      {},
	StatusClosed:         {},
}

// CanTransition reports whether the state machine allows from → to.
func CanTransition(from, to OrderStatus) bool {
	return slices.Contains(transitions[from], to)
}

// Final reports whether no further status change is possible.
func (s OrderStatus) Final() bool { return len(transitions[s]) == 0 }

// Paid reports whether an order in this status has been paid for.
func (s OrderStatus) Paid() bool {
	switch s {
	case StatusToShip, StatusShipped, StatusToPickup, StatusGrouping, StatusCompleted:
		return true
	}
	return false
}

// Delivery is how an order reaches the buyer.
type Delivery string

// Deliveries.
const (
	DeliveryExpress Delivery = "express" // shipped by a carrier to the address
	DeliveryPickup  Delivery = "pickup"  // picked up at a store with a verification code
	DeliveryVirtual Delivery = "virtual" // nothing to ship: completed on payment
)

// Actor is who did something to an order, as the order log records it.
type Actor string

// SystemActor is the background jobs.
const SystemActor Actor = "system"

// CustomerActor is the buyer with the given id.
func CustomerActor(id int64) Actor { return Actor(fmt.Sprintf("customer:%d", id)) }

// StaffActor is the back-office user with the given name.
func StaffActor(name string) Actor { return Actor("staff:" + name) }

// Order is an order with everything snapshotted at checkout.
type Order struct {
	ID         int64
	No         string
	CustomerID int64
	Status     OrderStatus
	Delivery   Delivery
	Pieces     int
	Goods      Fen // Σ unit price × qty
	Discount   Fen // all discounts, ≥ 0
	Shipping   Fen
	Adjust     Fen // the admin's price change (改价), + or −
	Payable    Fen // goods − discount + shipping + adjust
	Paid       Fen
	Refunded   Fen
	Note       string // the buyer's note
	Remark     string // the staff's remark, never shown to the buyer

	ShipName, ShipPhone                              string
	ShipProvince, ShipCity, ShipDistrict, ShipDetail string
	ShipRegion                                       string // district code
	PickupStoreID                                    int64
	PickupCode                                       string // 核销码, set when a pickup order is paid

	PaymentID      int64
	PayProvider    string
	PayDeadline    time.Time
	CreatedAt      time.Time
	PaidAt         time.Time
	ShippedAt      time.Time
	AutoReceiveAt  time.Time
	OpenAftersales int
	CompletedAt    time.Time
	CancelledAt    time.Time
	ClosedAt       time.Time

	// Phone is the buyer's account phone (back-office lists only).
	Phone string

	Lines       []OrderLine
	Adjustments []Adjustment
	Logs        []OrderLog
	Packages    []Package
}

// ShipAddress is the snapshotted address (or pickup store) on one line.
func (o *Order) ShipAddress() string {
	return joinNonEmpty(" ", o.ShipProvince, o.ShipCity, o.ShipDistrict, o.ShipDetail)
}

// Unshipped is how many pieces are still to be shipped (refunded ones
// excepted).
func (o *Order) Unshipped() int {
	n := 0
	for _, l := range o.Lines {
		n += l.Unshipped()
	}
	return n
}

// OrderLine is one SKU of an order.
type OrderLine struct {
	ID           int64
	OrderID      int64
	ProductID    int64
	SKUID        int64
	Title        string
	Label        string
	Image        string
	Code         string
	UnitPrice    Fen
	Qty          int
	WeightG      int
	Virtual      bool
	Discount     Fen // this line's share of every discount
	Paid         Fen // what the buyer pays for the line, shipping excluded
	ShippedQty   int
	RefundedQty  int
	Refunded     Fen
	RestockedQty int
}

// Subtotal is unit price × quantity.
func (l OrderLine) Subtotal() Fen { return l.UnitPrice * Fen(l.Qty) }

// Unshipped is how many pieces of the line are neither shipped nor refunded.
func (l OrderLine) Unshipped() int { return max(0, l.Qty-l.ShippedQty-l.RefundedQty) }

// Adjustment is one step of the price pipeline that changed the amount.
type Adjustment struct {
	ID     int64
	LineID int64 // 0 for an order-level adjustment
	Stage  string
	Source string // "core", a plugin id, or a staff actor
	Label  string
	Amount Fen    // negative lowers the price
	Ref    string // the source's own reference (QuoteAdjustment.Ref)
}

// OrderLog is one row of an order's history.
type OrderLog struct {
	ID     int64
	Actor  Actor
	Action string
	From   OrderStatus
	To     OrderStatus
	Note   string
	At     time.Time
}

// Package is one parcel of an order, with the lines and quantities in it.
type Package struct {
	ID         int64
	Carrier    string
	TrackingNo string
	CreatedAt  time.Time
	CreatedBy  string
	Lines      []PackageLine
}

// PackageLine is how many pieces of an order line went into a package.
type PackageLine struct {
	LineID int64
	Qty    int
}

func joinNonEmpty(sep string, parts ...string) string {
	out := ""
	for _, p := range parts {
		if p == "" {
			continue
		}
		if out != "" {
			out += sep
		}
		out += p
	}
	return out
}

func unixTime(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.Unix(v.Int64, 0)
}

const orderColumns = `o.id, o.no, o.customer_id, o.status, o.delivery, o.pieces, o.goods_fen,
	o.discount_fen, o.shipping_fen, o.adjust_fen, o.payable_fen, o.paid_fen, o.refunded_fen,
	o.note, o.remark, o.ship_name, o.ship_phone, o.ship_province, o.ship_city, o.ship_district,
	o.ship_detail, o.ship_region, COALESCE(o.pickup_store_id, 0), COALESCE(o.pickup_code, ''),
	COALESCE(o.payment_id, 0), o.pay_provider, o.pay_deadline, o.created_at, o.paid_at,
	o.shipped_at, o.auto_receive_at, o.open_aftersales, o.completed_at, o.cancelled_at,
	o.closed_at, c.phone`

const orderFrom = ` FROM orders o JOIN customers c ON c.id = o.customer_id`

func scanOrder(row interface{ Scan(...any) error }) (Order, error) {
	var o Order
	var deadline, created int64
	var paid, shipped, autoReceive, completed, cancelled, closed sql.NullInt64
	err := row.Scan(&o.ID, &o.No, &o.CustomerID, &o.Status, &o.Delivery, &o.Pieces, &o.Goods,
		&o.Discount, &o.Shipping, &o.Adjust, &o.Payable, &o.Paid, &o.Refunded,
		&o.Note, &o.Remark, &o.ShipName, &o.ShipPhone, &o.ShipProvince, &o.ShipCity, &o.ShipDistrict,
		&o.ShipDetail, &o.ShipRegion, &o.PickupStoreID, &o.PickupCode,
		&o.PaymentID, &o.PayProvider, &deadline, &created, &paid,
		&shipped, &autoReceive, &o.OpenAftersales, &completed, &cancelled,
		&closed, &o.Phone)
	if err != nil {
		return o, err
	}
	o.PayDeadline, o.CreatedAt = time.Unix(deadline, 0), time.Unix(created, 0)
	o.PaidAt, o.ShippedAt, o.AutoReceiveAt = unixTime(paid), unixTime(shipped), unixTime(autoReceive)
	o.CompletedAt, o.CancelledAt, o.ClosedAt = unixTime(completed), unixTime(cancelled), unixTime(closed)
	return o, nil
}

// orderTx loads one order with its lines, adjustments, logs and packages.
// customerID > 0 restricts it to that customer's orders (ErrNotFound for
// anyone else's).
func orderTx(ctx context.Context, q queryer, where string, arg any, customerID int64) (*Order, error) {
	query := `SELECT ` + orderColumns + orderFrom + ` WHERE ` + where
	args := []any{arg}
	if customerID > 0 {
		query += ` AND o.customer_id = ?`
		args = append(args, customerID)
	}
	o, err := scanOrder(q.QueryRowContext(ctx, query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("order: %w", err)
	}
	if err := loadOrderDetails(ctx, q, []*Order{&o}, true); err != nil {
		return nil, err
	}
	return &o, nil
}

// queryer is what reads need: the reader pool or a transaction.
type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

const orderLineColumns = `id, order_id, product_id, sku_id, title, label, image, code,
	unit_price_fen, qty, weight_g, is_virtual, discount_fen, paid_fen, shipped_qty,
	refunded_qty, refunded_fen, restocked_qty`

func scanOrderLine(row interface{ Scan(...any) error }) (OrderLine, error) {
	var l OrderLine
	err := row.Scan(&l.ID, &l.OrderID, &l.ProductID, &l.SKUID, &l.Title, &l.Label, &l.Image, &l.Code,
		&l.UnitPrice, &l.Qty, &l.WeightG, &l.Virtual, &l.Discount, &l.Paid, &l.ShippedQty,
		&l.RefundedQty, &l.Refunded, &l.RestockedQty)
	return l, err
}

// loadOrderDetails fills the lines of orders, and with full also their
// adjustments, logs and packages.
func loadOrderDetails(ctx context.Context, q queryer, orders []*Order, full bool) error {
	if len(orders) == 0 {
		return nil
	}
	byID := make(map[int64]*Order, len(orders))
	ids := make([]int64, len(orders))
	for i, o := range orders {
		byID[o.ID] = o
		ids[i] = o.ID
	}
	in := placeholders(len(ids))
	args := int64Args(ids)

	rows, err := q.QueryContext(ctx, `SELECT `+orderLineColumns+` FROM order_lines
		WHERE order_id IN (`+in+`) ORDER BY id`, args...)
	if err != nil {
		return fmt.Errorf("order lines: %w", err)
	}
	for rows.Next() {
		l, err := scanOrderLine(rows)
		if err != nil {
			rows.Close()
			return fmt.Errorf("order lines: %w", err)
		}
		o := byID[l.OrderID]
		o.Lines = append(o.Lines, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("order lines: %w", err)
	}
	if !full {
		return nil
	}

	rows, err = q.QueryContext(ctx, `SELECT id, order_id, COALESCE(line_id, 0), stage, source, label, amount_fen, ref
		FROM order_adjustments WHERE order_id IN (`+in+`) ORDER BY id`, args...)
	if err != nil {
		return fmt.Errorf("order adjustments: %w", err)
	}
	for rows.Next() {
		var a Adjustment
		var orderID int64
		if err := rows.Scan(&a.ID, &orderID, &a.LineID, &a.Stage, &a.Source, &a.Label, &a.Amount, &a.Ref); err != nil {
			rows.Close()
			return fmt.Errorf("order adjustments: %w", err)
		}
		byID[orderID].Adjustments = append(byID[orderID].Adjustments, a)
	}
	rows.Close()

	rows, err = q.QueryContext(ctx, `SELECT id, order_id, actor, action, from_status, to_status, note, created_at
		FROM order_logs WHERE order_id IN (`+in+`) ORDER BY id`, args...)
	if err != nil {
		return fmt.Errorf("order logs: %w", err)
	}
	for rows.Next() {
		var l OrderLog
		var orderID, at int64
		if err := rows.Scan(&l.ID, &orderID, &l.Actor, &l.Action, &l.From, &l.To, &l.Note, &at); err != nil {
			rows.Close()
			return fmt.Errorf("order logs: %w", err)
		}
		l.At = time.Unix(at, 0)
		byID[orderID].Logs = append(byID[orderID].Logs, l)
	}
	rows.Close()

	rows, err = q.QueryContext(ctx, `SELECT p.id, p.order_id, p.carrier, p.tracking_no, p.created_at, p.created_by,
		pl.line_id, pl.qty
		FROM packages p JOIN package_lines pl ON pl.package_id = p.id
		WHERE p.order_id IN (`+in+`) ORDER BY p.id, pl.line_id`, args...)
	if err != nil {
		return fmt.Errorf("order packages: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p Package
		var orderID, at int64
		var pl PackageLine
		if err := rows.Scan(&p.ID, &orderID, &p.Carrier, &p.TrackingNo, &at, &p.CreatedBy, &pl.LineID, &pl.Qty); err != nil {
			return fmt.Errorf("order packages: %w", err)
		}
		o := byID[orderID]
		if n := len(o.Packages); n > 0 && o.Packages[n-1].ID == p.ID {
			o.Packages[n-1].Lines = append(o.Packages[n-1].Lines, pl)
			continue
		}
		p.CreatedAt = time.Unix(at, 0)
		p.Lines = []PackageLine{pl}
		o.Packages = append(o.Packages, p)
	}
	return rows.Err()
}

func placeholders(n int) string {
	if n == 0 {
		return ""
	}
	b := make([]byte, 0, 2*n)
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '?')
	}
	return string(b)
}

// OrderByID returns the order with everything about it (back office).
func (db *DB) OrderByID(ctx context.Context, id int64) (*Order, error) {
	return orderTx(ctx, db.r, `o.id = ?`, id, 0)
}

// OrderByNo returns the order with the given number (back office).
func (db *DB) OrderByNo(ctx context.Context, no string) (*Order, error) {
	return orderTx(ctx, db.r, `o.no = ?`, no, 0)
}

// OrderForCustomer returns the customer's own order; anyone else's is
// ErrNotFound, exactly like an order that does not exist.
func (db *DB) OrderForCustomer(ctx context.Context, customerID, id int64) (*Order, error) {
	if customerID <= 0 {
		return nil, ErrNotFound
	}
	return orderTx(ctx, db.r, `o.id = ?`, id, customerID)
}

// OrderForCustomerByNo is OrderForCustomer by order number.
func (db *DB) OrderForCustomerByNo(ctx context.Context, customerID int64, no string) (*Order, error) {
	if customerID <= 0 {
		return nil, ErrNotFound
	}
	return orderTx(ctx, db.r, `o.no = ?`, no, customerID)
}

// OrderTab is a tab of the buyer's order list.
type OrderTab string

// The buyer's order tabs.
const (
	TabAll       OrderTab = "all"
	TabUnpaid    OrderTab = "unpaid"     // 待付款
	TabToShip    OrderTab = "to_ship"    // 待发货 (and 待自提, 拼团中)
	TabToReceive OrderTab = "to_receive" // 待收货
	TabCompleted OrderTab = "completed"  // 已完成
)

// OrderTabs lists the tabs in the order the storefront shows them.
var OrderTabs = []OrderTab{TabAll, TabUnpaid, TabToShip, TabToReceive, TabCompleted}

func (t OrderTab) statuses() []OrderStatus {
	switch t {
	case TabUnpaid:
		return []OrderStatus{StatusPendingPayment}
	case TabToShip:
		return []OrderStatus{StatusToShip, StatusToPickup, StatusGrouping}
	case TabToReceive:
		return []OrderStatus{StatusShipped}
	case TabCompleted:
		return []OrderStatus{StatusCompleted}
	}
	return nil
}

// ParseOrderTab returns the tab named s, or TabAll.
func ParseOrderTab(s string) OrderTab {
	t := OrderTab(s)
	if slices.Contains(OrderTabs, t) {
		return t
	}
	return TabAll
}

func statusArgs(ss []OrderStatus) []any {
	args := make([]any, len(ss))
	for i, s := range ss {
		args[i] = string(s)
	}
	return args
}

// CustomerOrders returns one page of the customer's orders in a tab, newest
// first, with their lines, and how many there are in all.
func (db *DB) CustomerOrders(ctx context.Context, customerID int64, tab OrderTab, offset, limit int) ([]Order, int, error) {
	where := ` WHERE o.customer_id = ?`
	args := []any{customerID}
	if ss := tab.statuses(); ss != nil {
		where += ` AND o.status IN (` + placeholders(len(ss)) + `)`
		args = append(args, statusArgs(ss)...)
	}
	return db.orderPage(ctx, where, args, offset, limit)
}

func (db *DB) orderPage(ctx context.Context, where string, args []any, offset, limit int) ([]Order, int, error) {
	var total int
	if err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM orders o`+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("orders: %w", err)
	}
	if limit <= 0 {
		limit = 20
	}
	rows, err := db.r.QueryContext(ctx, `SELECT `+orderColumns+orderFrom+where+
		` ORDER BY o.id DESC LIMIT ? OFFSET ?`, append(args, limit, max(offset, 0))...)
	if err != nil {
		return nil, 0, fmt.Errorf("orders: %w", err)
	}
	defer rows.Close()
	var out []Order
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("orders: %w", err)
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("orders: %w", err)
	}
	ptrs := make([]*Order, len(out))
	for i := range out {
		ptrs[i] = &out[i]
	}
	if err := loadOrderDetails(ctx, db.r, ptrs, false); err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// CustomerOrderCounts counts the customer's orders per tab (TabAll excluded)
// and their open after-sales under the key "aftersale", for the member page.
func (db *DB) CustomerOrderCounts(ctx context.Context, customerID int64) (map[OrderTab]int, error) {
	counts := make(map[OrderTab]int)
	rows, err := db.r.QueryContext(ctx, `SELECT status, COUNT(*) FROM orders WHERE customer_id = ? GROUP BY status`, customerID)
	if err != nil {
		return nil, fmt.Errorf("order counts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var s OrderStatus
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, fmt.Errorf("order counts: %w", err)
		}
		for _, t := range OrderTabs[1:] {
			if slices.Contains(t.statuses(), s) {
				counts[t] += n
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("order counts: %w", err)
	}
	var open int
	if err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM aftersales WHERE customer_id = ?
		AND status IN ('requested', 'approved', 'awaiting_return', 'returned')`, customerID).Scan(&open); err != nil {
		return nil, fmt.Errorf("order counts: %w", err)
	}
	counts["aftersale"] = open
	return counts, nil
}

// OrderFilter selects orders in the back office. Zero fields do not filter.
type OrderFilter struct {
	Status  OrderStatus
	No      string    // order number, exact or prefix
	Phone   string    // buyer's account phone or the recipient's phone, substring
	Product string    // product title, substring
	From    time.Time // created at or after
	To      time.Time // created before
	Offset  int
	Limit   int
}

// Orders returns one page of orders for the back office, newest first, with
// their lines, and the total matching the filter.
func (db *DB) Orders(ctx context.Context, f OrderFilter) ([]Order, int, error) {
	where := ` WHERE 1 = 1`
	var args []any
	if f.Status != "" {
		where += ` AND o.status = ?`
		args = append(args, string(f.Status))
	}
	if f.No != "" {
		where += ` AND o.no LIKE ? ESCAPE '\'`
		args = append(args, likeEscaper.Replace(f.No)+"%")
	}
	if f.Phone != "" {
		where += ` AND (o.ship_phone LIKE ? ESCAPE '\' OR o.customer_id IN (SELECT id FROM customers WHERE phone LIKE ? ESCAPE '\'))`
		p := "%" + likeEscaper.Replace(f.Phone) + "%"
		args = append(args, p, p)
	}
	if f.Product != "" {
		where += ` AND o.id IN (SELECT order_id FROM order_lines WHERE title LIKE ? ESCAPE '\')`
		args = append(args, "%"+likeEscaper.Replace(f.Product)+"%")
	}
	if !f.From.IsZero() {
		where += ` AND o.created_at >= ?`
		args = append(args, f.From.Unix())
	}
	if !f.To.IsZero() {
		where += ` AND o.created_at < ?`
		args = append(args, f.To.Unix())
	}
	// The phone filter is a sub-query, so the count needs no join.
	return db.orderPage(ctx, where, args, f.Offset, f.Limit)
}

// OrderStatusCounts counts all orders per status (the back office's tabs).
func (db *DB) OrderStatusCounts(ctx context.Context) (map[OrderStatus]int, error) {
	counts := make(map[OrderStatus]int)
	rows, err := db.r.QueryContext(ctx, `SELECT status, COUNT(*) FROM orders GROUP BY status`)
	if err != nil {
		return nil, fmt.Errorf("order status counts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var s OrderStatus
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, fmt.Errorf("order status counts: %w", err)
		}
		counts[s] = n
	}
	return counts, rows.Err()
}
