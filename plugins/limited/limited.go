// Package limited is the limited-time discount (限时折扣) as a plugin: a
// product at a percent of its price, or so much off each unit, between two
// times, with a per-customer limit of discounted pieces (beyond it the
// pieces cost the full price). The product page shows the offer with a
// countdown to its end. The discount is a line-stage price in the
// pipeline, so 满减 and coupons still apply on top; a product is in at
// most one live discount at a time.
package limited

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// ID is the plugin's id and the source of its adjustments.
const ID = "limited"

//go:embed migrations/*.sql
var migrations embed.FS

//go:embed i18n/*.json
var messages embed.FS

func init() {
	sub, err := fs.Sub(messages, "i18n")
	if err != nil {
		panic(err)
	}
	i18n.MustAdd(sub)
}

// Modes of a discount.
const (
	ModePercent = "percent" // pays Value % of the price
	ModeOff     = "off"     // Value fen off each unit
)

// Discount is one product's limited-time discount.
type Discount struct {
	ID        int64
	Name      string
	ProductID int64
	Product   string // the product's title, for lists
	Mode      string
	Value     int64
	PerUser   int
	StartsAt  time.Time
	EndsAt    time.Time
	Status    string
	// Orders and Pieces are the paid orders and pieces sold at the
	// discount; filled by List.
	Orders int
	Pieces int
}

// Live reports whether d applies at now.
func (d *Discount) Live(now time.Time) bool {
	return d.Status == "active" && !now.Before(d.StartsAt) && now.Before(d.EndsAt)
}

// Off is what one unit at price saves, rounded down to the fen.
func (d *Discount) Off(price store.Fen) store.Fen {
	switch d.Mode {
	case ModePercent:
		return price * store.Fen(100-d.Value) / 100
	case ModeOff:
		return min(price, store.Fen(d.Value))
	}
	return 0
}

// Label is the offer in words: 限时8.5折, 限时直降¥10.
func (d *Discount) Label(ctx context.Context) string {
	if d.Mode == ModePercent {
		z := strconv.FormatInt(d.Value/10, 10)
		if d.Value%10 != 0 {
			z += "." + strconv.FormatInt(d.Value%10, 10)
		}
		return i18n.Tc(ctx, "limited.label_percent", "zhe", z, "pct", d.Value)
	}
	return i18n.Tc(ctx, "limited.label_off", "amount", store.Fen(d.Value).String())
}

// MaxName is the longest name.
const MaxName = 30

func (d *Discount) validate() error {
	var v store.ValidationErrors
	d.Name = strings.TrimSpace(d.Name)
	if n := utf8.RuneCountInString(d.Name); n < 1 || n > MaxName {
		v.Add("name", "limited.err.name", "max", MaxName)
	}
	if d.ProductID <= 0 {
		v.Add("product_id", "limited.err.product")
	}
	switch d.Mode {
	case ModePercent:
		if d.Value < 1 || d.Value > 99 {
			v.Add("value", "limited.err.percent")
		}
	case ModeOff:
		if d.Value < 1 || store.Fen(d.Value) > store.MaxPrice {
			v.Add("value", "limited.err.off")
		}
	default:
		v.Add("mode", "limited.err.mode")
	}
	if d.PerUser < 0 || d.PerUser > 999 {
		v.Add("per_user", "limited.err.per_user")
	}
	if d.StartsAt.IsZero() || !d.EndsAt.After(d.StartsAt) {
		v.Add("ends_at", "limited.err.window")
	}
	return v.Err()
}

const cols = `d.id, d.name, d.product_id, p.title, d.mode, d.value, d.per_user, d.starts_at, d.ends_at, d.status`

type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func listTx(ctx context.Context, q queryer, where string, args ...any) ([]*Discount, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+cols+` FROM limited_discounts d JOIN products p ON p.id = d.product_id WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("limited discounts: %w", err)
	}
	defer rows.Close()
	var out []*Discount
	for rows.Next() {
		var d Discount
		var starts, ends int64
		if err := rows.Scan(&d.ID, &d.Name, &d.ProductID, &d.Product, &d.Mode, &d.Value, &d.PerUser, &starts, &ends, &d.Status); err != nil {
			return nil, fmt.Errorf("limited discounts: %w", err)
		}
		d.StartsAt, d.EndsAt = time.Unix(starts, 0), time.Unix(ends, 0)
		out = append(out, &d)
	}
	return out, rows.Err()
}

// liveTx are the discounts live at now on the given products, by product.
func liveTx(ctx context.Context, q queryer, now time.Time, productIDs []int64) (map[int64]*Discount, error) {
	out := map[int64]*Discount{}
	if len(productIDs) == 0 {
		return out, nil
	}
	args := []any{now.Unix(), now.Unix()}
	for _, id := range productIDs {
		args = append(args, id)
	}
	ds, err := listTx(ctx, q, `d.status = 'active' AND d.starts_at <= ? AND d.ends_at > ? AND d.product_id IN (`+
		strings.TrimSuffix(strings.Repeat("?,", len(productIDs)), ",")+`) ORDER BY d.id`, args...)
	if err != nil {
		return nil, err
	}
	for _, d := range ds {
		if _, ok := out[d.ProductID]; !ok {
			out[d.ProductID] = d
		}
	}
	return out, nil
}

// Save creates (ID 0) or updates a discount. An active discount whose
// window overlaps another active one on the same product is refused.
func Save(ctx context.Context, db *store.DB, d *Discount) (int64, error) {
	if err := d.validate(); err != nil {
		return 0, err
	}
	if d.Status == "" {
		d.Status = "active"
	}
	id := d.ID
	err := db.Write(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM products WHERE id = ? AND deleted_at IS NULL`, d.ProductID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return store.Invalid("product_id", "limited.err.product")
		}
		if d.Status == "active" {
			if clash, err := plugins.ActivityOverlapTx(ctx, tx, "limited_discounts", d.ProductID, id, d.StartsAt, d.EndsAt); err != nil || clash {
				if err != nil {
					return err
				}
				return store.Invalid("product_id", "limited.err.overlap")
			}
		}
		now := db.Now().Unix()
		if id == 0 {
			res, err := tx.ExecContext(ctx, `INSERT INTO limited_discounts (name, product_id, mode, value, per_user, starts_at, ends_at,
				status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, d.Name, d.ProductID, d.Mode, d.Value, d.PerUser,
				d.StartsAt.Unix(), d.EndsAt.Unix(), d.Status, now, now)
			if err != nil {
				return fmt.Errorf("save limited discount: %w", err)
			}
			id, _ = res.LastInsertId()
			return nil
		}
		res, err := tx.ExecContext(ctx, `UPDATE limited_discounts SET name = ?, product_id = ?, mode = ?, value = ?, per_user = ?,
			starts_at = ?, ends_at = ?, status = ?, updated_at = ? WHERE id = ?`, d.Name, d.ProductID, d.Mode, d.Value, d.PerUser,
			d.StartsAt.Unix(), d.EndsAt.Unix(), d.Status, now, id)
		if err != nil {
			return fmt.Errorf("save limited discount: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return store.ErrNotFound
		}
		return nil
	})
	if err == nil {
		db.BumpCatalogue() // the product page shows it
	}
	return id, err
}

// Stop ends a discount now.
func Stop(ctx context.Context, db *store.DB, id int64) error {
	return plugins.StopActivity(ctx, db, "limited_discounts", id)
}

// Get returns one discount.
func Get(ctx context.Context, db *store.DB, id int64) (*Discount, error) {
	var out *Discount
	err := db.Read(ctx, func(tx *sql.Tx) error {
		ds, err := listTx(ctx, tx, `d.id = ?`, id)
		if err != nil {
			return err
		}
		if len(ds) == 0 {
			return store.ErrNotFound
		}
		out = ds[0]
		return nil
	})
	return out, err
}

// List is every discount, newest first, with what it sold.
func List(ctx context.Context, db *store.DB) ([]*Discount, error) {
	var out []*Discount
	err := db.Read(ctx, func(tx *sql.Tx) error {
		var err error
		if out, err = listTx(ctx, tx, `1 ORDER BY d.id DESC LIMIT 500`); err != nil {
			return err
		}
		for _, d := range out {
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(DISTINCT o.id), COALESCE(SUM(l.qty), 0) FROM order_adjustments a
				JOIN order_lines l ON l.id = a.line_id JOIN orders o ON o.id = a.order_id
				WHERE a.source = ? AND a.ref = ? AND o.paid_at IS NOT NULL`, ID, strconv.FormatInt(d.ID, 10)).Scan(&d.Orders, &d.Pieces); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// boughtTx is how many pieces the customer holds at discount d: lines of
// their orders not cancelled.
func boughtTx(ctx context.Context, tx *sql.Tx, customerID, discountID int64) (int, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(l.qty), 0) FROM order_adjustments a
		JOIN order_lines l ON l.id = a.line_id JOIN orders o ON o.id = a.order_id
		WHERE a.source = ? AND a.ref = ? AND o.customer_id = ? AND o.status != 'cancelled'`,
		ID, strconv.FormatInt(discountID, 10), customerID).Scan(&n)
	return n, err
}

// Plugin is the limited-time discount plugin.
type Plugin struct{}

// New returns the plugin.
func New() *Plugin { return &Plugin{} }

// ID implements plugins.Plugin.
func (*Plugin) ID() string { return ID }

// Name implements plugins.Plugin.
func (*Plugin) Name() string { return "限时折扣" }

// Description implements plugins.Describer.
func (*Plugin) Description() string {
	return "指定商品在限定时间内打折或直降，可限购，商品页显示倒计时"
}

// Migrations implements plugins.Migrator.
func (*Plugin) Migrations() fs.FS { return migrations }

// Register binds the price at the activity stage and the product block.
func (p *Plugin) Register(r *plugins.Registry) error {
	if err := plugins.Bind(r, r.Price, ID, plugins.Handler[*plugins.PriceEvent]{ID: "price",
		Priority: plugins.PriceActivity + 10, Func: p.price}); err != nil {
		return err
	}
	return plugins.Bind(r, r.ProductView, ID, plugins.Handler[*plugins.ProductViewEvent]{ID: "block", Func: p.block})
}

// price lowers each line of a product in a live discount; pieces beyond
// the customer's limit cost the full price.
func (p *Plugin) price(e *plugins.PriceEvent) error {
	q := e.Quote
	var ids []int64
	for _, l := range q.Lines {
		if l.Status == store.CartOK && l.Activity == "" {
			ids = append(ids, l.ProductID)
		}
	}
	now := time.Now()
	if e.Store != nil {
		now = e.Store.Now()
	}
	live, err := liveTx(e.Ctx, e.Tx, now, ids)
	if err != nil || len(live) == 0 {
		if err != nil {
			return err
		}
		return e.Next()
	}
	used := map[int64]int{} // pieces already counted in this quote, by discount
	for i, l := range q.Lines {
		d := live[l.ProductID]
		if d == nil || l.Status != store.CartOK || l.Activity != "" {
			continue
		}
		pieces := l.Qty
		if d.PerUser > 0 {
			had := 0
			if q.CustomerID > 0 {
				if had, err = boughtTx(e.Ctx, e.Tx, q.CustomerID, d.ID); err != nil {
					return fmt.Errorf("limited discount: %w", err)
				}
			}
			pieces = max(0, min(l.Qty, d.PerUser-had-used[d.ID]))
		}
		used[d.ID] += pieces
		if pieces == 0 {
			continue
		}
		before := len(q.Adjustments)
		q.DiscountLine(i, store.StageLine, ID, d.Label(e.Ctx), d.Off(l.UnitPrice)*store.Fen(pieces))
		if len(q.Adjustments) > before {
			q.Adjustments[len(q.Adjustments)-1].Ref = strconv.FormatInt(d.ID, 10)
		}
	}
	return e.Next()
}

// block is the product page's 限时折扣 bar with the countdown.
func (p *Plugin) block(e *plugins.ProductViewEvent) error {
	if e.Store == nil {
		return e.Next()
	}
	var d *Discount
	var price store.Fen
	err := e.Store.Read(e.Ctx, func(tx *sql.Tx) error {
		live, err := liveTx(e.Ctx, tx, e.Store.Now(), []int64{e.ProductID})
		if err != nil {
			return err
		}
		d = live[e.ProductID]
		if d == nil {
			return nil
		}
		return tx.QueryRowContext(e.Ctx, `SELECT COALESCE(MIN(price_fen), 0) FROM skus WHERE product_id = ? AND deleted_at IS NULL`,
			e.ProductID).Scan(&price)
	})
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if d != nil {
		e.Blocks = append(e.Blocks, productBar(d, price-d.Off(price), price))
	}
	return e.Next()
}
