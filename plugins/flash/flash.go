// Package flash is the flash sale (秒杀) as a plugin: time slots (场次)
// in which SKUs sell at a flash price from their own flash stock, with a
// per-customer limit and a five-minute payment window.
//
// Never overselling is the database's job: a guarded UPDATE of the item's
// sold count inside the order's transaction, and a CHECK behind it. Being
// fast when thousands of buyers race for a hundred units is the job of the
// admission gate (gate.go): the units are counted in memory too, and a
// checkout that finds none left is answered "sold out" before it ever
// queues for the single writer.
package flash

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

// ID is the plugin's id, the lines' activity and the adjustments' source.
const ID = "flash"

// OptionKey is the checkout option naming the flash item bought: the
// product page's 立即抢购 carries o_flash=<item id>.
const OptionKey = "flash"

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

// Sale is one time slot (场次).
type Sale struct {
	ID       int64
	Name     string
	StartsAt time.Time
	EndsAt   time.Time
	Status   string // active, stopped
	Items    []*Item
}

// Live reports whether the slot is on at now.
func (s *Sale) Live(now time.Time) bool {
	return s.Status == "active" && !now.Before(s.StartsAt) && now.Before(s.EndsAt)
}

// State is upcoming, live, ended or stopped at now.
func (s *Sale) State(now time.Time) string {
	switch {
	case s.Status != "active":
		return "stopped"
	case now.Before(s.StartsAt):
		return "upcoming"
	case !now.Before(s.EndsAt):
		return "ended"
	}
	return "live"
}

// Item is one SKU of a slot at its flash price.
type Item struct {
	ID         int64
	SaleID     int64
	ProductID  int64
	SKUID      int64
	Price      store.Fen // the flash price of one unit
	Stock      int       // flash units on offer
	Sold       int       // units of orders not cancelled
	PerUser    int       // units per customer; 0 = no limit
	Commission bool      // whether distribution commission is paid

	// From the catalogue, for pages.
	Title    string
	Label    string // the SKU's specs
	Image    string
	SKUPrice store.Fen
	SKUStock int

	// The slot's window and state, for the storefront.
	StartsAt, EndsAt time.Time
	SaleStatus       string

	// Orders and Revenue are the paid orders and what they paid for the
	// item; filled for the back office.
	Orders  int
	Revenue store.Fen
}

// Left is how many flash units are still on offer.
func (it *Item) Left() int { return max(0, it.Stock-it.Sold) }

// Percent is how much of the flash stock is sold, 0–100.
func (it *Item) Percent() int {
	if it.Stock <= 0 {
		return 0
	}
	return min(100, it.Sold*100/it.Stock)
}

// Live reports whether the item can be bought at now.
func (it *Item) Live(now time.Time) bool {
	return it.SaleStatus == "active" && !now.Before(it.StartsAt) && now.Before(it.EndsAt)
}

// Limits of the forms.
const (
	MaxName    = 20
	MaxStock   = 100_000
	MaxPerUser = 99
	// MaxWindow is the longest slot.
	MaxWindow = 31 * 24 * time.Hour
)

func (s *Sale) validate() error {
	var v store.ValidationErrors
	s.Name = strings.TrimSpace(s.Name)
	if n := utf8.RuneCountInString(s.Name); n < 1 || n > MaxName {
		v.Add("name", "flash.err.name", "max", MaxName)
	}
	switch {
	case s.StartsAt.IsZero() || !s.EndsAt.After(s.StartsAt):
		v.Add("ends_at", "flash.err.window")
	case s.EndsAt.Sub(s.StartsAt) > MaxWindow:
		v.Add("ends_at", "flash.err.window_long", "days", int(MaxWindow/(24*time.Hour)))
	}
	return v.Err()
}

func (it *Item) validate() error {
	var v store.ValidationErrors
	if it.SKUID <= 0 {
		v.Add("sku_id", "flash.err.sku")
	}
	if it.Price <= 0 || it.Price > store.MaxPrice {
		v.Add("price", "flash.err.price")
	}
	if it.Stock < 1 || it.Stock > MaxStock {
		v.Add("stock", "flash.err.stock", "max", MaxStock)
	}
	if it.PerUser < 0 || it.PerUser > MaxPerUser {
		v.Add("per_user", "flash.err.per_user", "max", MaxPerUser)
	}
	return v.Err()
}

type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

const saleCols = `id, name, starts_at, ends_at, status`

func salesTx(ctx context.Context, q queryer, where string, args ...any) ([]*Sale, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+saleCols+` FROM flash_sales WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("flash sales: %w", err)
	}
	defer rows.Close()
	var out []*Sale
	for rows.Next() {
		var s Sale
		var starts, ends int64
		if err := rows.Scan(&s.ID, &s.Name, &starts, &ends, &s.Status); err != nil {
			return nil, fmt.Errorf("flash sales: %w", err)
		}
		s.StartsAt, s.EndsAt = time.Unix(starts, 0), time.Unix(ends, 0)
		out = append(out, &s)
	}
	return out, rows.Err()
}

const itemCols = `i.id, i.sale_id, i.product_id, i.sku_id, i.price_fen, i.stock, i.sold, i.per_user, i.commission,
	p.title, s.spec_values, CASE WHEN s.image != '' THEN s.image ELSE p.cover END, s.price_fen, s.stock,
	f.starts_at, f.ends_at, f.status`

const itemFrom = ` FROM flash_items i JOIN flash_sales f ON f.id = i.sale_id
	JOIN skus s ON s.id = i.sku_id JOIN products p ON p.id = i.product_id `

func itemsTx(ctx context.Context, q queryer, where string, args ...any) ([]*Item, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+itemCols+itemFrom+`WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("flash items: %w", err)
	}
	defer rows.Close()
	var out []*Item
	for rows.Next() {
		var it Item
		var specs string
		var starts, ends int64
		if err := rows.Scan(&it.ID, &it.SaleID, &it.ProductID, &it.SKUID, &it.Price, &it.Stock, &it.Sold, &it.PerUser,
			&it.Commission, &it.Title, &specs, &it.Image, &it.SKUPrice, &it.SKUStock, &starts, &ends, &it.SaleStatus); err != nil {
			return nil, fmt.Errorf("flash items: %w", err)
		}
		it.Label = store.SpecLabel(specs)
		it.StartsAt, it.EndsAt = time.Unix(starts, 0), time.Unix(ends, 0)
		out = append(out, &it)
	}
	return out, rows.Err()
}

// itemTx is one item with its slot, or store.ErrNotFound.
func itemTx(ctx context.Context, q queryer, id int64) (*Item, error) {
	items, err := itemsTx(ctx, q, `i.id = ?`, id)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, store.ErrNotFound
	}
	return items[0], nil
}

// SaveSale creates (ID 0) or updates a slot. Moving a slot's window onto
// another active slot that sells one of its SKUs is refused.
func SaveSale(ctx context.Context, db *store.DB, s *Sale) (int64, error) {
	if err := s.validate(); err != nil {
		return 0, err
	}
	if s.Status == "" {
		s.Status = "active"
	}
	id := s.ID
	err := db.Write(ctx, func(tx *sql.Tx) error {
		now := db.Now().Unix()
		if id == 0 {
			res, err := tx.ExecContext(ctx, `INSERT INTO flash_sales (name, starts_at, ends_at, status, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?)`, s.Name, s.StartsAt.Unix(), s.EndsAt.Unix(), s.Status, now, now)
			if err != nil {
				return fmt.Errorf("save flash sale: %w", err)
			}
			id, _ = res.LastInsertId()
			return nil
		}
		res, err := tx.ExecContext(ctx, `UPDATE flash_sales SET name = ?, starts_at = ?, ends_at = ?, updated_at = ? WHERE id = ?`,
			s.Name, s.StartsAt.Unix(), s.EndsAt.Unix(), now, id)
		if err != nil {
			return fmt.Errorf("save flash sale: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return store.ErrNotFound
		}
		var clash int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM flash_items a JOIN flash_items b ON b.sku_id = a.sku_id AND b.sale_id != a.sale_id
			JOIN flash_sales o ON o.id = b.sale_id
			WHERE a.sale_id = ? AND o.status = 'active' AND o.starts_at < ? AND o.ends_at > ?`,
			id, s.EndsAt.Unix(), s.StartsAt.Unix()).Scan(&clash); err != nil {
			return err
		}
		if clash > 0 {
			return store.Invalid("ends_at", "flash.err.overlap")
		}
		return nil
	})
	if err == nil {
		forgetAll(db)
		db.BumpCatalogue()
	}
	return id, err
}

// StopSale ends a slot now; its unpaid orders stay payable until their
// window closes.
func StopSale(ctx context.Context, db *store.DB, id int64) error {
	err := plugins.StopActivity(ctx, db, "flash_sales", id)
	if err == nil {
		forgetAll(db)
	}
	return err
}

// SaveItem adds an item to a slot (ID 0) or updates one. The SKU must be
// live and dearer than the flash price, in no other active slot whose
// window overlaps; the flash stock cannot fall below what is sold.
func SaveItem(ctx context.Context, db *store.DB, it *Item) (int64, error) {
	if err := it.validate(); err != nil {
		return 0, err
	}
	id := it.ID
	err := db.Write(ctx, func(tx *sql.Tx) error {
		sales, err := salesTx(ctx, tx, `id = ?`, it.SaleID)
		if err != nil {
			return err
		}
		if len(sales) == 0 {
			return store.ErrNotFound
		}
		sale := sales[0]
		var productID int64
		var price store.Fen
		err = tx.QueryRowContext(ctx, `SELECT s.product_id, s.price_fen FROM skus s JOIN products p ON p.id = s.product_id
			WHERE s.id = ? AND s.deleted_at IS NULL AND p.deleted_at IS NULL AND p.is_virtual = 0`, it.SKUID).Scan(&productID, &price)
		if errors.Is(err, sql.ErrNoRows) {
			return store.Invalid("sku_id", "flash.err.sku")
		}
		if err != nil {
			return err
		}
		if it.Price >= price {
			return store.Invalid("price", "flash.err.price_above", "price", price.String())
		}
		var clash int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM flash_items i JOIN flash_sales f ON f.id = i.sale_id
			WHERE i.sku_id = ? AND i.id != ? AND f.status = 'active' AND f.starts_at < ? AND f.ends_at > ?`,
			it.SKUID, id, sale.EndsAt.Unix(), sale.StartsAt.Unix()).Scan(&clash); err != nil {
			return err
		}
		if clash > 0 {
			return store.Invalid("sku_id", "flash.err.sku_taken")
		}
		if id == 0 {
			res, err := tx.ExecContext(ctx, `INSERT INTO flash_items (sale_id, product_id, sku_id, price_fen, stock, per_user, commission, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, it.SaleID, productID, it.SKUID, it.Price, it.Stock, it.PerUser, boolInt(it.Commission), db.Now().Unix())
			if err != nil {
				return fmt.Errorf("save flash item: %w", err)
			}
			id, _ = res.LastInsertId()
			return nil
		}
		var sold int
		if err := tx.QueryRowContext(ctx, `SELECT sold FROM flash_items WHERE id = ? AND sale_id = ? AND sku_id = ?`,
			id, it.SaleID, it.SKUID).Scan(&sold); errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		} else if err != nil {
			return err
		}
		if it.Stock < sold {
			return store.Invalid("stock", "flash.err.stock_sold", "sold", sold)
		}
		_, err = tx.ExecContext(ctx, `UPDATE flash_items SET price_fen = ?, stock = ?, per_user = ?, commission = ? WHERE id = ?`,
			it.Price, it.Stock, it.PerUser, boolInt(it.Commission), id)
		return err
	})
	if err == nil {
		forgetAll(db)
		db.BumpCatalogue()
	}
	return id, err
}

// RemoveItem takes an item out of its slot; an item already bought cannot
// be removed (set its stock to what is sold instead).
func RemoveItem(ctx context.Context, db *store.DB, saleID, id int64) error {
	err := db.Write(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM flash_buys WHERE item_id = ?`, id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return store.Invalid("item", "flash.err.item_bought")
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM flash_items WHERE id = ? AND sale_id = ?`, id, saleID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return store.ErrNotFound
		}
		return nil
	})
	if err == nil {
		forgetAll(db)
		db.BumpCatalogue()
	}
	return err
}

// GetSale is one slot with its items and what they sold.
func GetSale(ctx context.Context, db *store.DB, id int64) (*Sale, error) {
	var out *Sale
	err := db.Read(ctx, func(tx *sql.Tx) error {
		sales, err := salesTx(ctx, tx, `id = ?`, id)
		if err != nil {
			return err
		}
		if len(sales) == 0 {
			return store.ErrNotFound
		}
		out = sales[0]
		if out.Items, err = itemsTx(ctx, tx, `i.sale_id = ? ORDER BY i.id`, id); err != nil {
			return err
		}
		return statsTx(ctx, tx, out.Items)
	})
	return out, err
}

// statsTx fills the items' paid orders and revenue.
func statsTx(ctx context.Context, tx *sql.Tx, items []*Item) error {
	for _, it := range items {
		var revenue int64
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(DISTINCT o.id), COALESCE(SUM(l.paid_fen), 0) FROM flash_buys b
			JOIN orders o ON o.id = b.order_id JOIN order_lines l ON l.order_id = o.id AND l.activity = ? AND l.activity_ref = ?
			WHERE b.item_id = ? AND o.paid_at IS NOT NULL`, ID, strconv.FormatInt(it.ID, 10), it.ID).Scan(&it.Orders, &revenue); err != nil {
			return fmt.Errorf("flash stats: %w", err)
		}
		it.Revenue = store.Fen(revenue)
	}
	return nil
}

// Sales is every slot, newest start first, with its items.
func Sales(ctx context.Context, db *store.DB) ([]*Sale, error) {
	var out []*Sale
	err := db.Read(ctx, func(tx *sql.Tx) error {
		var err error
		if out, err = salesTx(ctx, tx, `1 ORDER BY starts_at DESC, id DESC LIMIT 200`); err != nil {
			return err
		}
		for _, s := range out {
			if s.Items, err = itemsTx(ctx, tx, `i.sale_id = ? ORDER BY i.id`, s.ID); err != nil {
				return err
			}
			if err := statsTx(ctx, tx, s.Items); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// Schedule is what the storefront's 秒杀 page shows: the active slots that
// have not ended and start before until (the live one first), with their
// items.
func Schedule(ctx context.Context, db *store.DB, now, until time.Time) ([]*Sale, error) {
	var out []*Sale
	err := db.Read(ctx, func(tx *sql.Tx) error {
		var err error
		if out, err = salesTx(ctx, tx, `status = 'active' AND ends_at > ? AND starts_at < ? ORDER BY starts_at, id LIMIT 12`,
			now.Unix(), until.Unix()); err != nil {
			return err
		}
		for _, s := range out {
			if s.Items, err = itemsTx(ctx, tx, `i.sale_id = ? AND p.on_shelf = 1 AND p.deleted_at IS NULL ORDER BY i.id`, s.ID); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// ForProduct is the item of a product live at now, or else the next one
// to start within a day; nil when there is neither.
func ForProduct(ctx context.Context, db *store.DB, productID int64, now time.Time) (*Item, error) {
	var out *Item
	err := db.Read(ctx, func(tx *sql.Tx) error {
		items, err := itemsTx(ctx, tx, `i.product_id = ? AND f.status = 'active' AND f.ends_at > ? AND f.starts_at < ?
			ORDER BY f.starts_at, i.price_fen LIMIT 1`, productID, now.Unix(), now.Add(24*time.Hour).Unix())
		if err != nil {
			return err
		}
		if len(items) > 0 {
			out = items[0]
		}
		return nil
	})
	return out, err
}

// boughtTx is how many units of the item the customer holds (orders not
// cancelled).
func boughtTx(ctx context.Context, q queryer, itemID, customerID int64) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COALESCE(SUM(qty), 0) FROM flash_buys WHERE item_id = ? AND customer_id = ? AND status = 'held'`,
		itemID, customerID).Scan(&n)
	return n, err
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
