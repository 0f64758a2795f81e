package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// After-sales (售后): per order line and quantity, a refund only (仅退款) or
// a return and refund (退货退款), see domain.md. The life of one:
//
//	refund_only:   requested → approved → refunded
//	return_refund: requested → awaiting_return → returned → approved → refunded
//
// approved means "ready to refund": staff approval of a refund only, or
// staff confirming the returned goods arrived (ConfirmReturn). Any open
// one may end rejected (staff) or withdrawn (the buyer). While an after-sale
// is open the order's automatic receipt waits.

// AftersaleKind is what the buyer asks for.
type AftersaleKind string

// After-sale kinds.
const (
	AftersaleRefundOnly   AftersaleKind = "refund_only"   // 仅退款
	AftersaleReturnRefund AftersaleKind = "return_refund" // 退货退款
)

// AftersaleKinds lists the kinds in the order the form shows them.
var AftersaleKinds = []AftersaleKind{AftersaleRefundOnly, AftersaleReturnRefund}

// AftersaleStatus is where an after-sale is in its life.
type AftersaleStatus string

// After-sale statuses.
const (
	AftersaleRequested      AftersaleStatus = "requested"       // 待审核
	AftersaleApproved       AftersaleStatus = "approved"        // 待退款
	AftersaleAwaitingReturn AftersaleStatus = "awaiting_return" // 待买家退货
	AftersaleReturned       AftersaleStatus = "returned"        // 买家已寄回
	AftersaleRefunded       AftersaleStatus = "refunded"        // 已退款
	AftersaleRejected       AftersaleStatus = "rejected"        // 已拒绝
	AftersaleWithdrawn      AftersaleStatus = "withdrawn"       // 已撤销
)

// AftersaleStatuses lists every status in the order the back office's tabs
// show them.
var AftersaleStatuses = []AftersaleStatus{AftersaleRequested, AftersaleAwaitingReturn, AftersaleReturned,
	AftersaleApproved, AftersaleRefunded, AftersaleRejected, AftersaleWithdrawn}

// Open reports whether the after-sale is still being handled.
func (s AftersaleStatus) Open() bool {
	switch s {
	case AftersaleRequested, AftersaleApproved, AftersaleAwaitingReturn, AftersaleReturned:
		return true
	}
	return false
}

// AftersaleReasons are the reason keys a buyer picks from; the label is the
// i18n key "aftersale.reason.<key>".
var AftersaleReasons = []string{"not_wanted", "wrong_item", "damaged", "quality", "not_as_described",
	"missing_parts", "not_received", "other"}

// After-sale settings the back office edits: the shop's return address
// (the after-sales period is a trade setting, SettingAftersaleDays).
const (
	SettingReturnName       = "aftersale.return_name"
	SettingReturnPhone      = "aftersale.return_phone"
	SettingReturnAddress    = "aftersale.return_address"
	MaxAftersalePhotos      = 6
	MaxAftersaleDescription = 500
)

// AftersaleInput is a buyer's request for one order line.
type AftersaleInput struct {
	OrderID     int64
	LineID      int64
	Kind        AftersaleKind
	Qty         int
	Amount      Fen // 0 = the most that can be refunded
	Reason      string
	Description string
	Photos      []string // media keys
}

// Aftersale is one after-sale with what the pages show of its order line.
type Aftersale struct {
	ID             int64
	No             string
	OrderID        int64
	OrderNo        string
	LineID         int64
	CustomerID     int64
	Kind           AftersaleKind
	Status         AftersaleStatus
	Qty            int
	Amount         Fen // asked for, shipping included
	Shipping       Fen // the part of Amount that is shipping
	Reason         string
	Description    string
	Photos         []string
	ReturnName     string
	ReturnPhone    string
	ReturnAddress  string
	ReturnCarrier  string
	ReturnTracking string
	RejectReason   string
	Restock        bool
	CreatedAt      time.Time
	UpdatedAt      time.Time
	ClosedAt       time.Time

	// The order line, as snapshotted at checkout.
	Title     string
	Label     string
	Image     string
	UnitPrice Fen
	LineQty   int
	// Phone is the buyer's account phone.
	Phone string

	Logs    []AftersaleLog // detail reads only
	Refunds []Refund       // detail reads only
}

// AftersaleLog is one step of an after-sale's history.
type AftersaleLog struct {
	ID     int64
	Actor  Actor
	Action string // request, withdraw, approve, reject, ship_back, confirm_return, refund_start, refund_failed, refund
	From   AftersaleStatus
	To     AftersaleStatus
	Note   string
	At     time.Time
}

// Refund is money going back through a payment's provider.
type Refund struct {
	ID               int64
	OutRefundNo      string
	PaymentID        int64
	Amount           Fen
	Status           string // pending, succeeded, failed
	ProviderRefundID string
	Reason           string
	CreatedAt        time.Time
	DoneAt           time.Time
}

// Refund statuses.
const (
	RefundPending   = "pending"
	RefundSucceeded = "succeeded"
	RefundFailed    = "failed"
)

// RefundFunc asks a payment's provider to refund amount of payment p under
// our refund number outRefundNo, and returns the provider's refund id. It
// runs outside any transaction. Balance payments never need one.
type RefundFunc func(ctx context.Context, p *Payment, amount Fen, outRefundNo string) (providerRefundID string, err error)

// ErrAftersaleState is returned when an action does not fit the
// after-sale's current status; nothing is changed.
var ErrAftersaleState = fmt.Errorf("%w: the after-sale's status does not allow this", ErrConflict)

// ErrRefundInProgress is returned when a refund of the after-sale is already
// under way (or done).
var ErrRefundInProgress = fmt.Errorf("%w: a refund of this after-sale is under way", ErrConflict)

// AftersaleLimits is what a buyer may still ask for on one line of an
// order, for the request form.
type AftersaleLimits struct {
	// MaxQty is how many pieces of the line are not yet refunded.
	MaxQty int
	// Kinds are the kinds the order allows now.
	Kinds []AftersaleKind
	// Refusal is why no after-sale may be opened ("" = one may): an i18n key.
	Refusal string
}

// lineValue is what was paid for the first n pieces of a line (of qty,
// paid in all): proportional, rounded down, so the last pieces take the
// remainder and the whole line adds up to exactly paid.
func lineValue(paid Fen, qty, n int) Fen {
	if n >= qty {
		return paid
	}
	if n <= 0 || qty <= 0 {
		return 0
	}
	v, _ := mulDiv(paid, Fen(n), Fen(qty))
	return v
}

// AftersaleMax returns the most a request for qty pieces of line may ask
// for: the goods part (what was paid for the refunded pieces so far plus
// these, less what the line already refunded) and the shipping part (the
// order's shipping, when nothing of the order shipped and these are the
// order's last unrefunded pieces).
func AftersaleMax(o *Order, line OrderLine, qty int) (goods, shipping Fen) {
	goods = max(0, lineValue(line.Paid, line.Qty, line.RefundedQty+qty)-line.Refunded)
	shipped, left := 0, 0
	for _, l := range o.Lines {
		shipped += l.ShippedQty
		left += l.Qty - l.RefundedQty
	}
	if shipped == 0 && o.Status != StatusShipped && o.Status != StatusCompleted && left == qty {
		shipping = o.Shipping
	}
	return goods, shipping
}

// aftersaleRefusal says why the order takes no after-sale now, or "".
func (db *DB) aftersaleRefusal(ctx context.Context, q queryer, o *Order) string {
	switch o.Status {
	case StatusToShip, StatusShipped, StatusToPickup:
		return ""
	case StatusCompleted:
		days := db.TradeSettings(ctx).AftersaleDays // 0: none once completed
		if !o.CompletedAt.IsZero() && !db.now().Before(o.CompletedAt.Add(time.Duration(days)*24*time.Hour)) {
			return "aftersale.too_late"
		}
		return ""
	}
	return "aftersale.order_not_eligible"
}

func aftersaleKinds(o *Order) []AftersaleKind {
	kinds := []AftersaleKind{AftersaleRefundOnly}
	shipped := o.Status == StatusCompleted || o.Status == StatusShipped
	for _, l := range o.Lines {
		shipped = shipped || l.ShippedQty > 0
	}
	if shipped {
		kinds = append(kinds, AftersaleReturnRefund)
	}
	return kinds
}

// AftersaleLimitsFor returns what the buyer may ask for on line of order o
// (one the buyer owns, loaded with OrderForCustomer).
func (db *DB) AftersaleLimitsFor(ctx context.Context, o *Order, line OrderLine) AftersaleLimits {
	return AftersaleLimits{MaxQty: line.Qty - line.RefundedQty, Kinds: aftersaleKinds(o),
		Refusal: db.aftersaleRefusal(ctx, db.r, o)}
}

var photoKey = regexp.MustCompile(`^[0-9a-f]{32}\.(jpg|png)$`)

func (in *AftersaleInput) validate() error {
	var v ValidationErrors
	if !slices.Contains(AftersaleKinds, in.Kind) {
		v.Add("kind", "aftersale.kind_invalid")
	}
	if in.Qty <= 0 || in.Qty > MaxCartQty {
		v.Add("qty", "aftersale.qty_invalid")
	}
	if in.Amount < 0 || in.Amount > MaxPrice {
		v.Add("amount", "aftersale.amount_invalid")
	}
	if !slices.Contains(AftersaleReasons, in.Reason) {
		v.Add("reason", "aftersale.reason_required")
	}
	in.Description = strings.TrimSpace(in.Description)
	if utf8.RuneCountInString(in.Description) > MaxAftersaleDescription {
		v.Add("description", "aftersale.description_too_long", "max", MaxAftersaleDescription)
	}
	if len(in.Photos) > MaxAftersalePhotos {
		v.Add("photos", "aftersale.too_many_photos", "max", MaxAftersalePhotos)
	}
	for _, k := range in.Photos {
		if !photoKey.MatchString(k) {
			v.Add("photos", "aftersale.photo_invalid")
			break
		}
	}
	return v.Err()
}

// RequestAftersale opens an after-sale on one line of the customer's order
// and returns its id. Someone else's order is ErrNotFound.
func (db *DB) RequestAftersale(ctx context.Context, customerID int64, in AftersaleInput) (int64, error) {
	if customerID <= 0 {
		return 0, ErrNotFound
	}
	if err := in.validate(); err != nil {
		return 0, err
	}
	if in.Photos == nil {
		in.Photos = []string{}
	}
	photos, _ := json.Marshal(in.Photos)
	var id int64
	err := db.Write(ctx, func(tx *sql.Tx) error {
		o, err := orderTx(ctx, tx, `o.id = ?`, in.OrderID, customerID)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(o.Lines, func(l OrderLine) bool { return l.ID == in.LineID })
		if i < 0 {
			return ErrNotFound
		}
		line := o.Lines[i]
		if key := db.aftersaleRefusal(ctx, tx, o); key != "" {
			return Invalid("order", key)
		}
		if !slices.Contains(aftersaleKinds(o), in.Kind) {
			return Invalid("kind", "aftersale.return_not_shipped")
		}
		if left := line.Qty - line.RefundedQty; in.Qty > left {
			return Invalid("qty", "aftersale.qty_too_many", "max", left)
		}
		var open bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM aftersales WHERE line_id = ?
			AND status IN ('requested', 'approved', 'awaiting_return', 'returned'))`, line.ID).Scan(&open); err != nil {
			return fmt.Errorf("request after-sale: %w", err)
		}
		if open {
			return Invalid("line", "aftersale.already_open")
		}
		goods, shipping := AftersaleMax(o, line, in.Qty)
		amount := in.Amount
		if amount == 0 {
			amount = goods + shipping
		}
		if amount > goods+shipping {
			return Invalid("amount", "aftersale.amount_too_much", "max", (goods + shipping).Yuan())
		}
		shipPart := max(0, amount-goods)
		now := db.now()
		id, _, err = insertNumberedTx(ctx, tx, now, 6, `INSERT INTO aftersales
			(no, order_id, line_id, customer_id, kind, status, qty, amount_fen, shipping_fen, reason,
			 description, photos, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, 'requested', ?, ?, ?, ?, ?, ?, ?, ?)`,
			o.ID, line.ID, customerID, string(in.Kind), in.Qty, amount, shipPart, in.Reason,
			in.Description, string(photos), now.Unix(), now.Unix())
		if err != nil {
			return fmt.Errorf("request after-sale: %w", err)
		}
		if err := PauseReceiptTx(ctx, tx, o.ID); err != nil {
			return fmt.Errorf("request after-sale: %w", err)
		}
		return aftersaleLogTx(ctx, tx, id, CustomerActor(customerID), "request", "", AftersaleRequested,
			fmt.Sprintf("%s ×%d %s", line.Title, in.Qty, amount.Yuan()), now.Unix())
	})
	if err != nil {
		return 0, err
	}
	return id, nil
}

func aftersaleLogTx(ctx context.Context, tx *sql.Tx, id int64, actor Actor, action string, from, to AftersaleStatus, note string, now int64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO aftersale_logs (aftersale_id, actor, action, from_status, to_status, note, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, id, string(actor), action, string(from), string(to), note, now)
	if err != nil {
		return fmt.Errorf("after-sale log: %w", err)
	}
	return nil
}

// aftersaleHead is what the actions need to know before changing one.
type aftersaleHead struct {
	id, orderID, lineID, customerID int64
	kind                            AftersaleKind
	status                          AftersaleStatus
	qty                             int
	amount, shipping                Fen
	created                         int64
}

func aftersaleHeadTx(ctx context.Context, tx *sql.Tx, id, customerID int64) (aftersaleHead, error) {
	var h aftersaleHead
	q := `SELECT id, order_id, line_id, customer_id, kind, status, qty, amount_fen, shipping_fen, created_at
		FROM aftersales WHERE id = ?`
	args := []any{id}
	if customerID > 0 {
		q += ` AND customer_id = ?`
		args = append(args, customerID)
	}
	err := tx.QueryRowContext(ctx, q, args...).Scan(&h.id, &h.orderID, &h.lineID, &h.customerID, &h.kind,
		&h.status, &h.qty, &h.amount, &h.shipping, &h.created)
	if errors.Is(err, sql.ErrNoRows) {
		return h, ErrNotFound
	}
	if err != nil {
		return h, fmt.Errorf("after-sale: %w", err)
	}
	return h, nil
}

// moveAftersaleTx changes an after-sale from h.status to `to` with one
// guarded UPDATE (no refund may be under way), sets extra columns, writes
// the log and, when it closes, resumes the order's automatic receipt.
func (db *DB) moveAftersaleTx(ctx context.Context, tx *sql.Tx, h aftersaleHead, to AftersaleStatus, actor Actor, action, note string, set string, args ...any) error {
	now := db.now().Unix()
	q := `UPDATE aftersales SET status = ?, updated_at = ?`
	all := []any{string(to), now}
	if !to.Open() {
		q += `, closed_at = ?`
		all = append(all, now)
	}
	if set != "" {
		q += `, ` + set
		all = append(all, args...)
	}
	q += ` WHERE id = ? AND status = ? AND NOT EXISTS (SELECT 1 FROM refunds
		WHERE aftersale_id = ? AND status != 'failed')`
	all = append(all, h.id, string(h.status), h.id)
	if err := execOne(ctx, tx, q, all...); err != nil {
		if errors.Is(err, ErrNotFound) {
			return ErrAftersaleState
		}
		return fmt.Errorf("after-sale: %w", err)
	}
	if !to.Open() {
		if err := ResumeReceiptTx(ctx, tx, h.orderID, time.Duration(now-h.created)*time.Second); err != nil {
			return fmt.Errorf("after-sale: %w", err)
		}
	}
	return aftersaleLogTx(ctx, tx, h.id, actor, action, h.status, to, note, now)
}

// aftersaleAction loads the after-sale (the customer's own when
// customerID > 0), checks its status is one of from, and applies fn.
func (db *DB) aftersaleAction(ctx context.Context, id, customerID int64, from []AftersaleStatus, fn func(tx *sql.Tx, h aftersaleHead) error) error {
	if customerID < 0 {
		return ErrNotFound
	}
	return db.Write(ctx, func(tx *sql.Tx) error {
		h, err := aftersaleHeadTx(ctx, tx, id, customerID)
		if err != nil {
			return err
		}
		if !slices.Contains(from, h.status) {
			return ErrAftersaleState
		}
		return fn(tx, h)
	})
}

// WithdrawAftersale is the buyer giving up an open after-sale (before its
// goods went back and while no refund is under way).
func (db *DB) WithdrawAftersale(ctx context.Context, customerID, id int64) error {
	if customerID <= 0 {
		return ErrNotFound
	}
	return db.aftersaleAction(ctx, id, customerID,
		[]AftersaleStatus{AftersaleRequested, AftersaleApproved, AftersaleAwaitingReturn},
		func(tx *sql.Tx, h aftersaleHead) error {
			return db.moveAftersaleTx(ctx, tx, h, AftersaleWithdrawn, CustomerActor(customerID), "withdraw", "", "")
		})
}

// SubmitReturnShipping records the parcel the buyer sent the goods back in.
func (db *DB) SubmitReturnShipping(ctx context.Context, customerID, id int64, carrier, tracking string) error {
	if customerID <= 0 {
		return ErrNotFound
	}
	in, err := validateReturnParcel(carrier, tracking)
	if err != nil {
		return err
	}
	return db.aftersaleAction(ctx, id, customerID, []AftersaleStatus{AftersaleAwaitingReturn},
		func(tx *sql.Tx, h aftersaleHead) error {
			return db.moveAftersaleTx(ctx, tx, h, AftersaleReturned, CustomerActor(customerID), "ship_back",
				in.Carrier+" "+in.TrackingNo, `return_carrier = ?, return_tracking = ?`, in.Carrier, in.TrackingNo)
		})
}

// validateReturnParcel checks the carrier and tracking number of a return
// parcel (fields "carrier" and "tracking_no").
func validateReturnParcel(carrier, tracking string) (ShipInput, error) {
	in := ShipInput{Carrier: strings.TrimSpace(oneLine(carrier)), TrackingNo: strings.TrimSpace(oneLine(tracking))}
	var v ValidationErrors
	if in.Carrier == "" {
		v.Add("carrier", "aftersale.carrier_required")
	} else if utf8.RuneCountInString(in.Carrier) > MaxCarrierLen {
		v.Add("carrier", "aftersale.carrier_too_long", "max", MaxCarrierLen)
	}
	if in.TrackingNo == "" {
		v.Add("tracking_no", "aftersale.tracking_required")
	} else if len(in.TrackingNo) > MaxTrackingLen || strings.ContainsFunc(in.TrackingNo, func(r rune) bool {
		return !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r == '-')
	}) {
		v.Add("tracking_no", "aftersale.tracking_invalid")
	}
	return in, v.Err()
}

// ReturnAddress is where buyers send goods back.
type ReturnAddress struct {
	Name    string
	Phone   string
	Address string
}

// ReturnAddress reads the shop's return address from the settings.
func (db *DB) ReturnAddress(ctx context.Context) (ReturnAddress, error) {
	var a ReturnAddress
	var err error
	for key, p := range map[string]*string{SettingReturnName: &a.Name, SettingReturnPhone: &a.Phone, SettingReturnAddress: &a.Address} {
		if *p, err = db.Setting(ctx, key, ""); err != nil {
			return a, err
		}
	}
	return a, nil
}

// SetReturnAddress validates and stores the shop's return address (fields
// return_name, return_phone, return_address).
func (db *DB) SetReturnAddress(ctx context.Context, a ReturnAddress) error {
	a.Name, a.Phone, a.Address = strings.TrimSpace(oneLine(a.Name)), strings.TrimSpace(oneLine(a.Phone)), strings.TrimSpace(oneLine(a.Address))
	var v ValidationErrors
	if a.Name == "" {
		v.Add("return_name", "validation.required")
	} else if utf8.RuneCountInString(a.Name) > 30 {
		v.Add("return_name", "validation.max_len", "max", 30)
	}
	if a.Phone == "" {
		v.Add("return_phone", "validation.required")
	} else if len(a.Phone) > 20 || strings.ContainsFunc(a.Phone, func(r rune) bool { return !(r >= '0' && r <= '9' || r == '-' || r == '+' || r == ' ') }) {
		v.Add("return_phone", "aftersale.phone_invalid")
	}
	if a.Address == "" {
		v.Add("return_address", "validation.required")
	} else if utf8.RuneCountInString(a.Address) > 120 {
		v.Add("return_address", "validation.max_len", "max", 120)
	}
	if err := v.Err(); err != nil {
		return err
	}
	return db.Write(ctx, func(tx *sql.Tx) error {
		for key, val := range map[string]string{SettingReturnName: a.Name, SettingReturnPhone: a.Phone, SettingReturnAddress: a.Address} {
			if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)
				ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, val); err != nil {
				return fmt.Errorf("return address: %w", err)
			}
		}
		return nil
	})
}

// ErrNoReturnAddress is returned when a return is approved before the shop
// set its return address.
var ErrNoReturnAddress = Invalid("return_address", "aftersale.no_return_address")

// ApproveAftersale accepts a request: a refund only becomes ready to
// refund; a return waits for the goods, at the shop's return address.
func (db *DB) ApproveAftersale(ctx context.Context, id int64, actor Actor) error {
	addr, err := db.ReturnAddress(ctx)
	if err != nil {
		return err
	}
	return db.aftersaleAction(ctx, id, 0, []AftersaleStatus{AftersaleRequested}, func(tx *sql.Tx, h aftersaleHead) error {
		if h.kind == AftersaleRefundOnly {
			return db.moveAftersaleTx(ctx, tx, h, AftersaleApproved, actor, "approve", "", "")
		}
		if addr.Name == "" || addr.Address == "" {
			return ErrNoReturnAddress
		}
		return db.moveAftersaleTx(ctx, tx, h, AftersaleAwaitingReturn, actor, "approve",
			joinNonEmpty(" ", addr.Name, addr.Phone, addr.Address),
			`return_name = ?, return_phone = ?, return_address = ?`, addr.Name, addr.Phone, addr.Address)
	})
}

// RejectAftersale refuses an open after-sale with a reason the buyer sees.
func (db *DB) RejectAftersale(ctx context.Context, id int64, actor Actor, reason string) error {
	reason = strings.TrimSpace(oneLine(reason))
	if reason == "" {
		return Invalid("reason", "aftersale.reject_reason_required")
	}
	if utf8.RuneCountInString(reason) > MaxReasonLen {
		return Invalid("reason", "aftersale.reject_reason_too_long", "max", MaxReasonLen)
	}
	return db.aftersaleAction(ctx, id, 0,
		[]AftersaleStatus{AftersaleRequested, AftersaleAwaitingReturn, AftersaleReturned},
		func(tx *sql.Tx, h aftersaleHead) error {
			return db.moveAftersaleTx(ctx, tx, h, AftersaleRejected, actor, "reject", reason, `reject_reason = ?`, reason)
		})
}

// ConfirmReturn is the shop confirming the returned goods arrived: the
// after-sale is ready to refund.
func (db *DB) ConfirmReturn(ctx context.Context, id int64, actor Actor) error {
	return db.aftersaleAction(ctx, id, 0, []AftersaleStatus{AftersaleReturned}, func(tx *sql.Tx, h aftersaleHead) error {
		return db.moveAftersaleTx(ctx, tx, h, AftersaleApproved, actor, "confirm_return", "", "")
	})
}

// ErrRefundFailed wraps the provider's error when a refund did not go
// through; the after-sale stays ready to refund.
var ErrRefundFailed = errors.New("store: the refund failed at the payment provider")

// ErrRefundPending is what a RefundFunc returns (wrapped or not, with the
// provider's refund id) when the provider accepted the refund but finishes
// it later: the refund stays pending until FinishRefund applies the
// provider's word. RefundAftersale then returns ErrRefundPending too.
var ErrRefundPending = errors.New("store: the refund is being processed by the payment provider")

// RefundAftersale refunds an approved after-sale. A balance payment (or
// nothing to pay back) is refunded in one transaction. Any other provider
// is refunded in two: the first records a pending refund (two concurrent
// calls refund once), then refund runs outside any transaction, then the
// second applies the refund — or, when the provider failed, marks the
// refund failed and leaves the after-sale refundable again (ErrRefundFailed).
func (db *DB) RefundAftersale(ctx context.Context, id int64, actor Actor, restock bool, refund RefundFunc) error {
	var pay *Payment
	var refundID int64
	var outNo string
	var refundAmount Fen
	done := false
	err := db.Write(ctx, func(tx *sql.Tx) error {
		h, err := aftersaleHeadTx(ctx, tx, id, 0)
		if err != nil {
			return err
		}
		if h.status != AftersaleApproved {
			return ErrAftersaleState
		}
		var pending int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM refunds WHERE aftersale_id = ? AND status != 'failed'`, h.id).Scan(&pending); err != nil {
			return err
		}
		if pending > 0 {
			return ErrRefundInProgress
		}
		// The restock choice is kept for the second transaction, which may
		// come from the provider's notification.
		if _, err := tx.ExecContext(ctx, `UPDATE aftersales SET restock = ? WHERE id = ?`, boolInt(restock), h.id); err != nil {
			return fmt.Errorf("refund: %w", err)
		}
		var paymentID sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT payment_id FROM orders WHERE id = ?`, h.orderID).Scan(&paymentID); err != nil {
			return fmt.Errorf("refund: %w", err)
		}
		now := db.now()
		if h.amount == 0 || !paymentID.Valid {
			if h.amount > 0 {
				return fmt.Errorf("refund: order %d has no payment: %w", h.orderID, ErrConflict)
			}
			done = true
			return db.applyRefundTx(ctx, tx, h, actor, restock, 0, "")
		}
		pay, err = scanPayment(tx.QueryRowContext(ctx, `SELECT `+paymentColumns+` FROM payments WHERE id = ?`, paymentID.Int64))
		if err != nil {
			return err
		}
		status := RefundPending
		if pay.Provider == ProviderBalance {
			status = RefundSucceeded
		}
		refundID, outNo, err = insertNumberedTx(ctx, tx, now, 8, `INSERT INTO refunds
			(out_refund_no, payment_id, order_id, aftersale_id, amount_fen, status, reason, created_at)
			VALUES (?, ?, ?, ?, ?, ?, 'aftersale', ?)`, pay.ID, h.orderID, h.id, h.amount, status, now.Unix())
		if err != nil {
			return fmt.Errorf("refund: %w", err)
		}
		refundAmount = h.amount
		if pay.Provider == ProviderBalance {
			done = true
			if err := execOne(ctx, tx, `UPDATE refunds SET provider_refund_id = ?, done_at = ? WHERE id = ?`,
				"BALR"+outNo, now.Unix(), refundID); err != nil {
				return fmt.Errorf("refund: %w", err)
			}
			if _, err := creditWalletTx(ctx, tx, pay.CustomerID, LedgerRefund, h.amount, "aftersale", h.id, outNo, now.Unix()); err != nil {
				return err
			}
			return db.applyRefundTx(ctx, tx, h, actor, restock, pay.ID, outNo)
		}
		return aftersaleLogTx(ctx, tx, h.id, actor, "refund_start", h.status, h.status,
			fmt.Sprintf("%s %s %s", pay.Provider, outNo, h.amount.Yuan()), now.Unix())
	})
	if err != nil || done {
		return err
	}
	if refund == nil {
		err = fmt.Errorf("no refund for provider %q", pay.Provider)
	}
	var providerID string
	if err == nil {
		providerID, err = refund(ctx, pay, refundAmount, outNo)
	}
	// The second transaction must run even if the request was cancelled
	// meanwhile: the provider may have moved the money.
	ctx2 := context.WithoutCancel(ctx)
	switch {
	case errors.Is(err, ErrRefundPending):
		werr := db.Write(ctx2, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx2, `UPDATE refunds SET provider_refund_id = ? WHERE id = ? AND status = 'pending'`,
				providerID, refundID); err != nil {
				return err
			}
			return aftersaleLogTx(ctx2, tx, id, actor, "refund_pending", AftersaleApproved, AftersaleApproved, outNo, db.now().Unix())
		})
		if werr != nil {
			return fmt.Errorf("refund pending: %w", werr)
		}
		return ErrRefundPending
	case err != nil:
		provErr := err
		werr := db.Write(ctx2, func(tx *sql.Tx) error { return db.failRefundTx(ctx2, tx, refundID, id, actor, provErr.Error()) })
		if werr != nil {
			return fmt.Errorf("%w: %v (and recording it: %v)", ErrRefundFailed, provErr, werr)
		}
		return fmt.Errorf("%w: %v", ErrRefundFailed, provErr)
	}
	return db.Write(ctx2, func(tx *sql.Tx) error { return db.finishRefundTx(ctx2, tx, refundID, providerID, actor) })
}

// failRefundTx marks a pending refund failed; the after-sale stays approved.
func (db *DB) failRefundTx(ctx context.Context, tx *sql.Tx, refundID, aftersaleID int64, actor Actor, why string) error {
	now := db.now().Unix()
	if err := execOne(ctx, tx, `UPDATE refunds SET status = 'failed', done_at = ? WHERE id = ? AND status = 'pending'`,
		now, refundID); err != nil {
		return fmt.Errorf("refund %d is no longer pending: %w", refundID, ErrConflict)
	}
	return aftersaleLogTx(ctx, tx, aftersaleID, actor, "refund_failed", AftersaleApproved, AftersaleApproved,
		cutRunes(why, MaxReasonLen), now)
}

// finishRefundTx marks a pending refund succeeded and applies it.
func (db *DB) finishRefundTx(ctx context.Context, tx *sql.Tx, refundID int64, providerID string, actor Actor) error {
	var aftersaleID, paymentID int64
	var outNo string
	if err := tx.QueryRowContext(ctx, `UPDATE refunds SET status = 'succeeded', provider_refund_id = ?, done_at = ?
		WHERE id = ? AND status = 'pending' AND aftersale_id IS NOT NULL RETURNING aftersale_id, payment_id, out_refund_no`,
		providerID, db.now().Unix(), refundID).Scan(&aftersaleID, &paymentID, &outNo); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("refund %d is no longer pending: %w", refundID, ErrConflict)
		}
		return fmt.Errorf("refund: %w", err)
	}
	h, err := aftersaleHeadTx(ctx, tx, aftersaleID, 0)
	if err != nil {
		return err
	}
	var restock bool
	if err := tx.QueryRowContext(ctx, `SELECT restock FROM aftersales WHERE id = ?`, aftersaleID).Scan(&restock); err != nil {
		return fmt.Errorf("refund: %w", err)
	}
	return db.applyRefundTx(ctx, tx, h, actor, restock, paymentID, outNo)
}

// FinishRefund applies a provider's later word on a pending refund (its
// refund notification, or the reconciliation job's query). For an
// after-sale, succeeded applies the refund like RefundAftersale does,
// otherwise the refund is marked failed and the after-sale is refundable
// again; for a whole-order refund (RefundOrder) the order is refunded and
// closed, or the refund failed and may be tried again; for a late payment's refund (BeginLateRefund) the attempt becomes
// refunded_late, or the refund failed and is tried again later. A refund already finished the same way
// is a no-op (notifications repeat); an unknown number is ErrNotFound.
func (db *DB) FinishRefund(ctx context.Context, outRefundNo, providerRefundID string, succeeded bool) error {
	return db.Write(ctx, func(tx *sql.Tx) error {
		var id int64
		var aftersaleID, orderID sql.NullInt64
		var status, reason string
		err := tx.QueryRowContext(ctx, `SELECT id, aftersale_id, order_id, status, reason FROM refunds WHERE out_refund_no = ?`, outRefundNo).
			Scan(&id, &aftersaleID, &orderID, &status, &reason)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("finish refund: %w", err)
		}
		switch {
		case status == RefundSucceeded && succeeded, status == RefundFailed && !succeeded:
			return nil
		case status != RefundPending:
			return fmt.Errorf("refund %s is %s: %w", outRefundNo, status, ErrConflict)
		case !aftersaleID.Valid && reason == RefundReasonOrder && succeeded:
			return db.finishOrderRefundTx(ctx, tx, id, providerRefundID, SystemActor)
		case !aftersaleID.Valid && reason == RefundReasonOrder:
			return db.failOrderRefundTx(ctx, tx, id, orderID.Int64, SystemActor, "provider: refund failed")
		case !aftersaleID.Valid:
			return db.finishLateRefundTx(ctx, tx, id, providerRefundID, succeeded)
		case succeeded:
			return db.finishRefundTx(ctx, tx, id, providerRefundID, SystemActor)
		default:
			return db.failRefundTx(ctx, tx, id, aftersaleID.Int64, SystemActor, "provider: refund failed")
		}
	})
}

func cutRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// applyRefundTx applies a refund that went through: the payment, the line,
// the order, the optional restock, the after-sale, the receipt clock and,
// when everything is refunded, the order's closing.
func (db *DB) applyRefundTx(ctx context.Context, tx *sql.Tx, h aftersaleHead, actor Actor, restock bool, paymentID int64, outNo string) error {
	now := db.now().Unix()
	if h.amount > 0 {
		if err := execOne(ctx, tx, `UPDATE payments SET refunded_fen = refunded_fen + ?1
			WHERE id = ?2 AND refunded_fen + ?1 <= amount_fen`, h.amount, paymentID); err != nil {
			return fmt.Errorf("refund payment: %w", ErrConflict)
		}
	}
	goods := h.amount - h.shipping
	restocked := 0
	if restock {
		restocked = h.qty
	}
	var skuID, productID int64
	if err := tx.QueryRowContext(ctx, `UPDATE order_lines SET refunded_qty = refunded_qty + ?1, refunded_fen = refunded_fen + ?2,
		restocked_qty = restocked_qty + ?3
		WHERE id = ?4 AND refunded_qty + ?1 <= qty AND refunded_fen + ?2 <= paid_fen
		RETURNING sku_id, product_id`, h.qty, goods, restocked, h.lineID).Scan(&skuID, &productID); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("refund line: %w", ErrConflict)
		}
		return fmt.Errorf("refund line: %w", err)
	}
	if err := execOne(ctx, tx, `UPDATE orders SET refunded_fen = refunded_fen + ?1, updated_at = ?2
		WHERE id = ?3 AND refunded_fen + ?1 <= paid_fen`, h.amount, now, h.orderID); err != nil {
		return fmt.Errorf("refund order: %w", ErrConflict)
	}
	if restock {
		if err := moveStockTx(ctx, tx, skuID, productID, h.qty, -h.qty); err != nil {
			return err
		}
	}
	if err := execOne(ctx, tx, `UPDATE aftersales SET status = 'refunded', restock = ?, closed_at = ?, updated_at = ?
		WHERE id = ? AND status = 'approved'`, boolInt(restock), now, now, h.id); err != nil {
		return ErrAftersaleState
	}
	if err := ResumeReceiptTx(ctx, tx, h.orderID, time.Duration(now-h.created)*time.Second); err != nil {
		return fmt.Errorf("refund: %w", err)
	}
	note := h.amount.Yuan()
	if outNo != "" {
		note += " " + outNo
	}
	if restock {
		note += fmt.Sprintf(" +%d", h.qty)
	}
	if err := aftersaleLogTx(ctx, tx, h.id, actor, "refund", AftersaleApproved, AftersaleRefunded, note, now); err != nil {
		return err
	}
	oh, err := orderHeadTx(ctx, tx, h.orderID, 0)
	if err != nil {
		return err
	}
	var left int
	var paid, refunded Fen
	if err := tx.QueryRowContext(ctx, `SELECT (SELECT COALESCE(SUM(qty - refunded_qty), 0) FROM order_lines WHERE order_id = o.id),
		o.paid_fen, o.refunded_fen FROM orders o WHERE o.id = ?`, h.orderID).Scan(&left, &paid, &refunded); err != nil {
		return fmt.Errorf("refund: %w", err)
	}
	var no string
	if err := tx.QueryRowContext(ctx, `SELECT no FROM aftersales WHERE id = ?`, h.id).Scan(&no); err != nil {
		return fmt.Errorf("refund: %w", err)
	}
	orderNote := fmt.Sprintf("%s %s", no, h.amount.Yuan())
	if _, err := db.sendMessageTx(ctx, tx, h.customerID, MessageInput{Kind: MessageOrder, Title: "退款成功",
		Body: fmt.Sprintf("售后单 %s 已退款 ¥%s，原路退回", no, h.amount.String()),
		Link: fmt.Sprintf("/aftersales/%d", h.id)}); err != nil {
		return err
	}
	// Plugins (commission, points) see every refund with its line and amount.
	if err := db.fireOrderEvent(ctx, tx, OrderEvent{OrderID: h.orderID, CustomerID: oh.customerID, Action: "refund",
		From: oh.status, To: oh.status, Actor: actor, LineID: h.lineID, Qty: h.qty, Refunded: h.amount, RefundGoods: h.amount - h.shipping}); err != nil {
		return err
	}
	if (left == 0 || refunded >= paid) && CanTransition(oh.status, StatusClosed) {
		return db.setOrderStatusTx(ctx, tx, oh, StatusClosed, actor, "close", orderNote, now)
	}
	if err := orderLogTx(ctx, tx, h.orderID, actor, "refund", oh.status, oh.status, orderNote, now); err != nil {
		return err
	}
	// The refund may have taken the last pieces left to ship.
	_, err = db.ShippedIfDoneTx(ctx, tx, h.orderID, actor, orderNote, now)
	return err
}
