package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// CheckoutItem is one SKU and quantity the buyer wants.
type CheckoutItem struct {
	SKUID int64
	Qty   int
}

// CheckoutInput is what the checkout page submits. Everything else (prices,
// stock, shipping) is read again from the database.
type CheckoutInput struct {
	CustomerID    int64
	Items         []CheckoutItem
	FromCart      bool // remove the bought lines from the cart
	Delivery      Delivery
	AddressID     int64 // express delivery
	PickupStoreID int64 // pickup delivery
	Note          string
	Token         string // the checkout token: one order per token
	// Options are the buyer's choices for the price pipeline's plugins,
	// by key: "coupon" (a coupon of theirs, or "none"), "points" ("1" to
	// spend them), an activity's reference... Each plugin reads its own
	// keys and trusts none of them: it checks every value in the database.
	Options map[string]string
}

// Limits of checkout input.
const (
	MaxNoteLen  = 200
	MaxTokenLen = 64
	// MaxOptions and MaxOptionLen bound CheckoutInput.Options.
	MaxOptions   = 8
	MaxOptionLen = 64
)

// QuoteLine is one line of a quote: the SKU as it is now and what the
// pipeline made of its price.
type QuoteLine struct {
	SKUID      int64
	ProductID  int64
	CategoryID int64
	Title      string
	Label      string
	Image      string
	Code       string
	SKUPrice   Fen // the SKU's price in the catalogue
	UnitPrice  Fen // the price per unit after the line stage (SKU, member or activity price)
	Qty        int
	WeightG    int
	Virtual    bool
	TemplateID int64 // shipping template, 0 = default
	Stock      int
	Status     CartStatus
	Discount   Fen // line and order-level discounts allocated to this line
	// Activity is the marketing plugin whose activity priced the line
	// (flash sale, group buy, bargain), "" for none; the distribution
	// engine pays commission on it only if ActivityCommission.
	Activity           string
	ActivityCommission bool
	// ActivityRef is the activity's own reference (the flash sale's slot,
	// the group, the bargain), stored on the order line for its plugin.
	ActivityRef string
}

// Subtotal is unit price × quantity.
func (l QuoteLine) Subtotal() Fen { return l.UnitPrice * Fen(l.Qty) }

// Payable is what the line costs after its discounts.
func (l QuoteLine) Payable() Fen { return l.Subtotal() - l.Discount }

// QuoteAdjustment is one change the pipeline made. Line is the index of the
// line it applies to, or -1 for the order.
type QuoteAdjustment struct {
	Line   int
	Stage  string
	Source string
	Label  string
	Amount Fen
	// Ref is the source's own reference (the customer's coupon id, the
	// points spent), stored with the order's adjustment so that the
	// plugin finds it again when the order changes.
	Ref string
}

// Price pipeline stages, in order (domain.md, Price pipeline).
const (
	StageLine     = "line"     // SKU price, member or activity price
	StageDiscount = "discount" // order-level offers: 满减, coupons
	StagePoints   = "points"   // points deduction
	StageShipping = "shipping" // shipping fee and free shipping
	StageAfter    = "after"    // anything after shipping
)

// Quote is the priced checkout: the lines, the delivery, every adjustment
// and the totals. The price pipeline's filters refine it in stage order.
type Quote struct {
	CustomerID  int64
	Delivery    Delivery
	Address     *Address     // express delivery
	Pickup      *PickupPlace // pickup delivery
	Region      RegionCodes  // the address's division codes
	Lines       []QuoteLine
	Adjustments []QuoteAdjustment
	Shipping    Fen
	// Undeliverable lists the lines the address cannot receive.
	Undeliverable []int
	// Options are the buyer's choices (CheckoutInput.Options).
	Options map[string]string
	// Choices are what the pipeline's plugins offer the buyer on the
	// checkout page (the coupons to choose from, points to spend).
	Choices []CheckoutChoice
	// Placing is true when the quote is for placing the order (inside its
	// transaction), false for showing the checkout page.
	Placing bool
	// PayWithin, when set, shortens the order's payment window below the
	// shop's setting (a flash sale's 5 minutes); the shorter one wins.
	PayWithin time.Duration

	shippingTemplates map[int64]*ShippingTemplate
	defaultTemplate   int64
}

// PickupPlace is a pickup store as a quote and an order snapshot it.
type PickupPlace struct {
	ID      int64
	Name    string
	Phone   string
	Address string
	Hours   string
	Region  string // district code, for the order's region
}

// CheckoutChoice is one choice a plugin offers on the checkout page: a row
// (优惠券, 积分) that opens a list of options; picking one reloads the
// checkout with Options[Key] = the option's Value.
type CheckoutChoice struct {
	Key     string // the option key, e.g. "coupon"
	Label   string // the row's label, translated
	Summary string // what is chosen now, e.g. "-¥10.00" or "不使用"
	Options []ChoiceOption
	// Toggle makes the row a switch between the first two options (on,
	// off) instead of a list.
	Toggle bool
}

// ChoiceOption is one option of a choice.
type ChoiceOption struct {
	Value    string
	Label    string // e.g. 满100减10
	Detail   string // e.g. the validity; "" for none
	Amount   Fen    // what it saves, 0 for none
	Selected bool
	// Reason says why it cannot be used now; such an option is shown
	// greyed out and cannot be picked.
	Reason string
}

// Option is the buyer's choice for key, "" when none.
func (q *Quote) Option(key string) string { return q.Options[key] }

// Goods is Σ unit price × qty.
func (q *Quote) Goods() Fen {
	var s Fen
	for _, l := range q.Lines {
		s += l.Subtotal()
	}
	return s
}

// Discount is Σ line discounts.
func (q *Quote) Discount() Fen {
	var s Fen
	for _, l := range q.Lines {
		s += l.Discount
	}
	return s
}

// Pieces is Σ qty.
func (q *Quote) Pieces() int {
	n := 0
	for _, l := range q.Lines {
		n += l.Qty
	}
	return n
}

// Payable is goods − discount + shipping.
func (q *Quote) Payable() Fen { return q.Goods() - q.Discount() + q.Shipping }

// Buyable reports whether every line can be bought and delivered.
func (q *Quote) Buyable() bool {
	for _, l := range q.Lines {
		if l.Status != CartOK {
			return false
		}
	}
	return len(q.Lines) > 0 && len(q.Undeliverable) == 0
}

// DiscountLine lowers line i by amount (> 0), at most down to zero, and
// records the adjustment.
func (q *Quote) DiscountLine(i int, stage, source, label string, amount Fen) {
	amount = min(amount, q.Lines[i].Payable())
	if amount <= 0 {
		return
	}
	q.Lines[i].Discount += amount
	q.Adjustments = append(q.Adjustments, QuoteAdjustment{Line: i, Stage: stage, Source: source, Label: label, Amount: -amount})
}

// DiscountOrder lowers the order by amount (> 0, at most what the lines
// cost), spread over the lines in proportion to what they cost by largest
// remainder, and records one order-level adjustment.
func (q *Quote) DiscountOrder(stage, source, label string, amount Fen) {
	weights := make([]Fen, len(q.Lines))
	var total Fen
	for i, l := range q.Lines {
		weights[i] = l.Payable()
		total += weights[i]
	}
	amount = min(amount, total)
	if amount <= 0 {
		return
	}
	for i, share := range Allocate(amount, weights) {
		q.Lines[i].Discount += share
	}
	q.Adjustments = append(q.Adjustments, QuoteAdjustment{Line: -1, Stage: stage, Source: source, Label: label, Amount: -amount})
}

// DiscountLines lowers the lines whose indexes are in lines by amount (> 0,
// at most what they cost), spread over them in proportion to what they
// cost by largest remainder, and records one order-level adjustment with
// ref. It returns the amount taken off. An offer or a coupon whose scope is
// some of the products uses it.
func (q *Quote) DiscountLines(lines []int, stage, source, label, ref string, amount Fen) Fen {
	weights := make([]Fen, len(q.Lines))
	var total Fen
	for _, i := range lines {
		if i >= 0 && i < len(q.Lines) && weights[i] == 0 {
			weights[i] = q.Lines[i].Payable()
			total += weights[i]
		}
	}
	amount = min(amount, total)
	if amount <= 0 {
		return 0
	}
	for i, share := range Allocate(amount, weights) {
		q.Lines[i].Discount += share
	}
	q.Adjustments = append(q.Adjustments, QuoteAdjustment{Line: -1, Stage: stage, Source: source, Label: label, Amount: -amount, Ref: ref})
	return amount
}

// Adjust records an adjustment that changes no line (a shipping offer,
// which lowers Shipping itself).
func (q *Quote) Adjust(a QuoteAdjustment) { q.Adjustments = append(q.Adjustments, a) }

// PriceSKU is the first filter of the pipeline: every line costs its SKU's
// price. Later line-stage filters (member levels, activities) replace
// UnitPrice.
func PriceSKU(q *Quote) {
	for i := range q.Lines {
		q.Lines[i].UnitPrice = q.Lines[i].SKUPrice
	}
}

// PriceShipping is the shipping filter: the fee of the shipping templates
// for the address (nothing for pickup and virtual orders), with the goods
// amount after discounts counting toward free shipping.
func PriceShipping(q *Quote) error {
	q.Shipping, q.Undeliverable = 0, nil
	if q.Delivery != DeliveryExpress {
		return nil
	}
	lines := make([]ShippingLine, len(q.Lines))
	for i, l := range q.Lines {
		lines[i] = ShippingLine{TemplateID: l.TemplateID, Qty: l.Qty, WeightG: l.WeightG, Amount: l.Payable(), Virtual: l.Virtual}
	}
	fee, undeliverable, err := ShippingFee(lines, q.Region, q.shippingTemplates, q.defaultTemplate)
	if err != nil {
		return fmt.Errorf("shipping fee: %w", err)
	}
	q.Shipping, q.Undeliverable = fee, undeliverable
	if fee > 0 {
		q.Adjustments = append(q.Adjustments, QuoteAdjustment{Line: -1, Stage: StageShipping, Source: "core", Label: "运费", Amount: fee})
	}
	return nil
}

// Pricer runs the price pipeline over a quote inside the checkout's
// transaction. The plugin registry is the shop's pricer; with none set the
// store runs the core filters (PriceSKU, PriceShipping).
type Pricer interface {
	PriceQuote(ctx context.Context, tx *sql.Tx, q *Quote) error
}

// SetPricer installs the price pipeline; call it once at start-up.
func (db *DB) SetPricer(p Pricer) { db.pricer = p }

// Admitter admits a checkout to the writer before PlaceOrder opens its
// transaction. An activity with a few units for many buyers (a flash sale)
// answers "sold out" here from memory, so the refused thousands never
// queue for the single writer; the guarded UPDATEs inside the transaction
// stay the truth. Admit returns done, which PlaceOrder calls once when it
// is over, with whether this call placed a new order (false: refused,
// failed, or the token's earlier order returned), so what Admit held can
// be let go.
type Admitter interface {
	Admit(ctx context.Context, in CheckoutInput) (done func(placed bool), err error)
}

// NotAdmitted is PlaceOrder's error when the admission refused the
// checkout before its transaction; Err is why (a validation error).
type NotAdmitted struct{ Err error }

func (e *NotAdmitted) Error() string { return "checkout not admitted: " + e.Err.Error() }
func (e *NotAdmitted) Unwrap() error { return e.Err }

// SetAdmitter installs the checkout admission; call it once at start-up.
func (db *DB) SetAdmitter(a Admitter) { db.admitter = a }

func (db *DB) priceTx(ctx context.Context, tx *sql.Tx, q *Quote) error {
	if db.pricer != nil {
		return db.pricer.PriceQuote(ctx, tx, q)
	}
	PriceSKU(q)
	return PriceShipping(q)
}

func (in *CheckoutInput) validate() error {
	var v ValidationErrors
	if len(in.Items) == 0 {
		v.Add("items", "checkout.nothing")
	}
	if len(in.Items) > MaxCartLines {
		v.Add("items", "checkout.too_many_lines", "max", MaxCartLines)
	}
	seen := make(map[int64]bool, len(in.Items))
	for _, it := range in.Items {
		if it.Qty < 1 || it.Qty > MaxCartQty {
			v.Add("items", "cart.qty_range", "max", MaxCartQty)
			break
		}
		if seen[it.SKUID] {
			v.Add("items", "checkout.duplicate_sku")
			break
		}
		seen[it.SKUID] = true
	}
	switch in.Delivery {
	case DeliveryExpress, DeliveryPickup:
	case "":
		in.Delivery = DeliveryExpress
	default:
		v.Add("delivery", "checkout.delivery_invalid")
	}
	in.Note = strings.TrimSpace(oneLine(in.Note))
	if utf8.RuneCountInString(in.Note) > MaxNoteLen {
		v.Add("note", "checkout.note_too_long", "max", MaxNoteLen)
	}
	if len(in.Token) > MaxTokenLen {
		v.Add("token", "checkout.token_invalid")
	}
	if len(in.Options) > MaxOptions {
		v.Add("items", "checkout.options_invalid")
	}
	for k, val := range in.Options {
		if k == "" || len(k) > MaxOptionLen || len(val) > MaxOptionLen || !utf8.ValidString(val) {
			v.Add("items", "checkout.options_invalid")
			break
		}
	}
	return v.Err()
}

// QuoteCheckout prices a checkout without placing it, for the checkout
// page: lines that cannot be bought and an address that cannot be delivered
// to are reported on the quote (Buyable), not as errors.
func (db *DB) QuoteCheckout(ctx context.Context, in CheckoutInput) (*Quote, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	var q *Quote
	// A read transaction on the reader pool keeps the quote consistent.
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("quote: %w", err)
	}
	defer tx.Rollback()
	q, err = db.quoteTx(ctx, tx, in, false)
	if err != nil {
		return nil, err
	}
	return q, nil
}

// quoteTx loads the lines and the delivery of a checkout and runs the price
// pipeline.
func (db *DB) quoteTx(ctx context.Context, tx *sql.Tx, in CheckoutInput, placing bool) (*Quote, error) {
	q := &Quote{CustomerID: in.CustomerID, Delivery: in.Delivery, Options: in.Options, Placing: placing}
	var templateIDs []int64
	allVirtual := true
	// One query for every SKU of the checkout, in the order asked.
	ids := make([]int64, len(in.Items))
	for i, it := range in.Items {
		ids[i] = it.SKUID
	}
	rows, err := tx.QueryContext(ctx, `SELECT s.id, s.product_id, p.category_id, p.title, s.spec_values,
		CASE WHEN s.image != '' THEN s.image ELSE p.cover END, s.code, s.price_fen, s.weight_g,
		p.is_virtual, COALESCE(p.shipping_template_id, 0), s.stock,
		p.on_shelf = 1 AND p.deleted_at IS NULL AND s.deleted_at IS NULL
		FROM skus s JOIN products p ON p.id = s.product_id WHERE s.id IN (`+placeholders(len(ids))+`)`, int64Args(ids)...)
	if err != nil {
		return nil, fmt.Errorf("quote: %w", err)
	}
	found := make(map[int64]QuoteLine, len(ids))
	for rows.Next() {
		var l QuoteLine
		var live bool
		var specValues string
		if err := rows.Scan(&l.SKUID, &l.ProductID, &l.CategoryID, &l.Title, &specValues, &l.Image, &l.Code, &l.SKUPrice,
			&l.WeightG, &l.Virtual, &l.TemplateID, &l.Stock, &live); err != nil {
			rows.Close()
			return nil, fmt.Errorf("quote: %w", err)
		}
		l.Label = specLabel(specValues)
		if !live {
			l.Status = CartOffShelf
		}
		found[l.SKUID] = l
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("quote: %w", err)
	}
	for _, it := range in.Items {
		l, ok := found[it.SKUID]
		if !ok {
			return nil, Invalid("items", "checkout.sku_unknown")
		}
		l.Qty = it.Qty
		switch {
		case l.Status == CartOffShelf:
		case l.Stock == 0:
			l.Status = CartOutOfStock
		case l.Stock < l.Qty:
			l.Status = CartNotEnoughStock
		default:
			l.Status = CartOK
		}
		if !l.Virtual {
			allVirtual = false
			if l.TemplateID > 0 && !slices.Contains(templateIDs, l.TemplateID) {
				templateIDs = append(templateIDs, l.TemplateID)
			}
		}
		q.Lines = append(q.Lines, l)
	}
	if allVirtual {
		q.Delivery = DeliveryVirtual
	}
	switch q.Delivery {
	case DeliveryExpress:
		if in.AddressID > 0 {
			a, err := scanAddress(tx.QueryRowContext(ctx, `SELECT `+addressColumns+` FROM addresses
				WHERE id = ? AND customer_id = ? AND deleted_at IS NULL`, in.AddressID, in.CustomerID))
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return nil, fmt.Errorf("quote address: %w", err)
			}
			if err == nil {
				q.Address = &a
				q.Region = RegionCodes{Province: a.ProvinceCode, City: a.CityCode, District: a.DistrictCode}
			}
		}
		tpls, def, err := shippingTemplatesTx(ctx, tx, templateIDs)
		if err != nil {
			return nil, err
		}
		q.shippingTemplates, q.defaultTemplate = tpls, def
	case DeliveryPickup:
		if in.PickupStoreID > 0 {
			s, err := pickupStoreTx(ctx, tx, in.PickupStoreID)
			if err != nil && !errors.Is(err, ErrNotFound) {
				return nil, fmt.Errorf("quote pickup store: %w", err)
			}
			if err == nil && s.Active {
				q.Pickup = &PickupPlace{ID: s.ID, Name: s.Name, Phone: s.Phone, Address: s.Full(), Hours: s.Hours, Region: s.District}
			}
		}
	}
	if err := db.priceTx(ctx, tx, q); err != nil {
		return nil, err
	}
	return q, nil
}

// SpecLabel is a SKU's spec values (as stored: a JSON array) in words,
// "红色 / XL".
func SpecLabel(specValues string) string { return specLabel(specValues) }

func specLabel(specValues string) string {
	var values []string
	if err := json.Unmarshal([]byte(specValues), &values); err != nil {
		return ""
	}
	return strings.Join(values, " / ")
}

// PlaceOrder turns a checkout into an order in one transaction: the quote
// is computed again from the database, the stock of every line is reserved
// with a guarded UPDATE, and the order with its lines, adjustments and
// first log row is written. The same checkout token returns the order it
// already made instead of a second one.
func (db *DB) PlaceOrder(ctx context.Context, in CheckoutInput) (*Order, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	if in.Token == "" {
		return nil, Invalid("token", "checkout.token_invalid")
	}
	if id, err := db.orderIDByToken(ctx, db.r, in.CustomerID, in.Token); err == nil {
		return db.OrderForCustomer(ctx, in.CustomerID, id)
	}
	var placed *Order
	var existing int64
	if db.admitter != nil {
		done, err := db.admitter.Admit(ctx, in)
		if err != nil {
			return nil, &NotAdmitted{Err: err}
		}
		defer func() { done(placed != nil) }()
	}
	err := db.Write(ctx, func(tx *sql.Tx) error {
		if id, err := db.orderIDByToken(ctx, tx, in.CustomerID, in.Token); err == nil {
			existing = id // a double submit that raced the first
			return nil
		}
		q, err := db.quoteTx(ctx, tx, in, true)
		if err != nil {
			return err
		}
		placed, err = db.insertOrderTx(ctx, tx, in, q)
		return err
	})
	if err != nil {
		placed = nil // rolled back: nothing was placed
		return nil, err
	}
	if placed == nil {
		return db.OrderForCustomer(ctx, in.CustomerID, existing)
	}
	return placed, nil
}

func (db *DB) orderIDByToken(ctx context.Context, q queryer, customerID int64, token string) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, `SELECT id FROM orders WHERE customer_id = ? AND checkout_token = ?`, customerID, token).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotFound
	}
	return id, err
}

// checkQuote turns what makes a quote unbuyable into messages.
func checkQuote(q *Quote) error {
	var v ValidationErrors
	for _, l := range q.Lines {
		switch l.Status {
		case CartOffShelf:
			v.Add("items", "checkout.line_off_shelf", "title", l.Title)
		case CartOutOfStock:
			v.Add("items", "checkout.line_out_of_stock", "title", l.Title)
		case CartNotEnoughStock:
			v.Add("items", "checkout.line_not_enough", "title", l.Title, "stock", l.Stock)
		}
	}
	switch q.Delivery {
	case DeliveryExpress:
		if q.Address == nil {
			v.Add("address_id", "checkout.address_required")
		}
	case DeliveryPickup:
		if q.Pickup == nil {
			v.Add("pickup_store_id", "checkout.pickup_required")
		}
	}
	for _, i := range q.Undeliverable {
		v.Add("address_id", "checkout.undeliverable", "title", q.Lines[i].Title)
	}
	if q.Payable() < 0 {
		v.Add("items", "checkout.payable_negative")
	}
	return v.Err()
}

// insertOrderTx writes the order of quote q and returns it as written
// (lines, adjustments and first log row included), without reading it back.
func (db *DB) insertOrderTx(ctx context.Context, tx *sql.Tx, in CheckoutInput, q *Quote) (*Order, error) {
	if err := checkQuote(q); err != nil {
		return nil, err
	}
	// Reserve the stock: one guarded UPDATE per SKU, then the products'
	// summaries once per product.
	perProduct := make(map[int64]int, len(q.Lines))
	for _, l := range q.Lines {
		res, err := tx.ExecContext(ctx, `UPDATE skus SET stock = stock - ?1 WHERE id = ?2 AND stock >= ?1`, l.Qty, l.SKUID)
		if err != nil {
			return nil, fmt.Errorf("reserve stock: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return nil, Invalid("items", "checkout.line_not_enough", "title", l.Title, "stock", l.Stock)
		}
		perProduct[l.ProductID] += l.Qty
	}
	for id, n := range perProduct {
		if _, err := tx.ExecContext(ctx, `UPDATE products SET stock = MAX(stock - ?, 0) WHERE id = ?`, n, id); err != nil {
			return nil, fmt.Errorf("reserve stock: %w", err)
		}
	}
	now := db.now()
	window := int64(db.intSetting(ctx, tx, SettingPayMinutes, DefaultPayMinutes)) * 60
	if w := int64(q.PayWithin / time.Second); w > 0 && w < window {
		window = w
	}
	var ship struct {
		name, phone, province, city, district, detail, region string
		pickup                                                any
	}
	switch {
	case q.Address != nil && q.Delivery == DeliveryExpress:
		a := q.Address
		ship.name, ship.phone, ship.province, ship.city, ship.district, ship.detail, ship.region =
			a.Name, a.Phone, a.Province, a.City, a.District, a.Detail, a.DistrictCode
	case q.Pickup != nil && q.Delivery == DeliveryPickup:
		ship.name, ship.phone, ship.detail, ship.region, ship.pickup = q.Pickup.Name, q.Pickup.Phone, q.Pickup.Address, q.Pickup.Region, q.Pickup.ID
	}
	payable := q.Payable()
	orderID, no, err := insertNumberedTx(ctx, tx, now, 6, `INSERT INTO orders (no, customer_id, status, delivery,
		checkout_token, pieces, goods_fen, discount_fen, shipping_fen, payable_fen, note,
		ship_name, ship_phone, ship_province, ship_city, ship_district, ship_detail, ship_region, pickup_store_id,
		pay_deadline, created_at, updated_at)
		VALUES (?, ?, 'pending_payment', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		in.CustomerID, string(q.Delivery), in.Token, q.Pieces(), q.Goods(), q.Discount(), q.Shipping, payable, in.Note,
		ship.name, ship.phone, ship.province, ship.city, ship.district, ship.detail, ship.region, ship.pickup,
		now.Unix()+window, now.Unix(), now.Unix())
	if isUnique(err) {
		return nil, ErrConflict // the same token, committed meanwhile
	}
	if err != nil {
		return nil, fmt.Errorf("insert order: %w", err)
	}
	o := &Order{ID: orderID, No: no, CustomerID: in.CustomerID, Status: StatusPendingPayment, Delivery: q.Delivery,
		Pieces: q.Pieces(), Goods: q.Goods(), Discount: q.Discount(), Shipping: q.Shipping, Payable: payable, Note: in.Note,
		ShipName: ship.name, ShipPhone: ship.phone, ShipProvince: ship.province, ShipCity: ship.city,
		ShipDistrict: ship.district, ShipDetail: ship.detail, ShipRegion: ship.region,
		PayDeadline: time.Unix(now.Unix()+window, 0), CreatedAt: time.Unix(now.Unix(), 0)}
	if q.Pickup != nil && q.Delivery == DeliveryPickup {
		o.PickupStoreID = q.Pickup.ID
	}
	lineIDs := make([]int64, len(q.Lines))
	for i, l := range q.Lines {
		res, err := tx.ExecContext(ctx, `INSERT INTO order_lines (order_id, product_id, sku_id, title, label, image, code,
			unit_price_fen, qty, weight_g, is_virtual, discount_fen, paid_fen, activity, activity_commission, activity_ref)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			orderID, l.ProductID, l.SKUID, l.Title, l.Label, l.Image, l.Code,
			l.UnitPrice, l.Qty, l.WeightG, boolInt(l.Virtual), l.Discount, l.Payable(),
			l.Activity, boolInt(l.Activity == "" || l.ActivityCommission), l.ActivityRef)
		if err != nil {
			return nil, fmt.Errorf("insert order line: %w", err)
		}
		lineIDs[i], _ = res.LastInsertId()
		o.Lines = append(o.Lines, OrderLine{ID: lineIDs[i], OrderID: orderID, ProductID: l.ProductID, SKUID: l.SKUID,
			Title: l.Title, Label: l.Label, Image: l.Image, Code: l.Code, UnitPrice: l.UnitPrice, Qty: l.Qty,
			WeightG: l.WeightG, Virtual: l.Virtual, Discount: l.Discount, Paid: l.Payable()})
	}
	for _, a := range q.Adjustments {
		var lineID any
		if a.Line >= 0 && a.Line < len(lineIDs) {
			lineID = lineIDs[a.Line]
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO order_adjustments (order_id, line_id, stage, source, label, amount_fen, ref)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, orderID, lineID, a.Stage, a.Source, a.Label, a.Amount, a.Ref); err != nil {
			return nil, fmt.Errorf("insert order adjustment: %w", err)
		}
		adj := Adjustment{Stage: a.Stage, Source: a.Source, Label: a.Label, Amount: a.Amount, Ref: a.Ref}
		if id, ok := lineID.(int64); ok {
			adj.LineID = id
		}
		o.Adjustments = append(o.Adjustments, adj)
	}
	actor := CustomerActor(in.CustomerID)
	if err := orderLogTx(ctx, tx, orderID, actor, "create", "", StatusPendingPayment, no, now.Unix()); err != nil {
		return nil, err
	}
	if err := db.fireOrderEvent(ctx, tx, OrderEvent{OrderID: orderID, CustomerID: in.CustomerID, Action: "create",
		To: StatusPendingPayment, Actor: actor, Quote: q, LineIDs: lineIDs}); err != nil {
		return nil, err
	}
	if in.FromCart {
		ids := make([]int64, len(q.Lines))
		for i, l := range q.Lines {
			ids[i] = l.SKUID
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM cart_items WHERE customer_id = ? AND sku_id IN (`+placeholders(len(ids))+`)`,
			append([]any{in.CustomerID}, int64Args(ids)...)...); err != nil {
			return nil, fmt.Errorf("clear cart: %w", err)
		}
	}
	if payable == 0 { // nothing to pay (a free gift): paid at once
		h := orderHead{id: orderID, customerID: in.CustomerID, status: StatusPendingPayment, delivery: q.Delivery}
		if err := db.markOrderPaidTx(ctx, tx, h, 0, "free", now.Unix()); err != nil {
			return nil, err
		}
		return orderTx(ctx, tx, `o.id = ?`, orderID, in.CustomerID)
	}
	o.Logs = []OrderLog{{Actor: actor, Action: "create", To: StatusPendingPayment, Note: no, At: o.CreatedAt}}
	return o, nil
}
