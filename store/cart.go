package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Cart limits: the most pieces of one SKU in a cart, and the most lines.
const (
	MaxCartQty   = 999
	MaxCartLines = 100
)

// CartStatus tells whether a cart line can be bought as it stands.
type CartStatus string

// Cart line statuses.
const (
	CartOK             CartStatus = "ok"
	CartOffShelf       CartStatus = "off_shelf"        // the product is off shelf or deleted, or the SKU gone
	CartOutOfStock     CartStatus = "out_of_stock"     // the SKU has no stock
	CartNotEnoughStock CartStatus = "not_enough_stock" // fewer in stock than the line's quantity
)

// GuestLine is a line of a guest's cart, kept in their session.
type GuestLine struct {
	SKUID    int64
	Qty      int
	Selected bool
}

// CartLine is a cart line with the SKU and product as they are now: the
// price is always the current one.
type CartLine struct {
	SKUID     int64
	ProductID int64
	Title     string
	Label     string // spec values, e.g. "红 / M"; "" for a product without specs
	Image     string // the SKU's picture, or the product cover
	Price     Fen
	Stock     int
	Qty       int
	Selected  bool
	Status    CartStatus
}

// Available reports whether the line can be bought as it stands.
func (l CartLine) Available() bool { return l.Status == CartOK }

// Subtotal is price × quantity.
func (l CartLine) Subtotal() Fen { return l.Price * Fen(l.Qty) }

// CartTotal is the amount and the number of pieces of the selected lines
// that can be bought; unavailable lines never count.
func CartTotal(lines []CartLine) (total Fen, pieces int) {
	for _, l := range lines {
		if l.Selected && l.Available() {
			total += l.Subtotal()
			pieces += l.Qty
		}
	}
	return total, pieces
}

// cartSKU is what the cart needs to know of a SKU.
type cartSKU struct {
	line CartLine
	live bool // the SKU and product exist and the product is on shelf
}

const cartSKUColumns = `s.id, s.product_id, p.title, s.spec_values,
	CASE WHEN s.image != '' THEN s.image ELSE p.cover END, s.price_fen, s.stock,
	p.on_shelf = 1 AND p.deleted_at IS NULL AND s.deleted_at IS NULL`

func scanCartSKU(row interface{ Scan(...any) error }, extra ...any) (cartSKU, error) {
	var cs cartSKU
	var vals string
	l := &cs.line
	dest := append([]any{&l.SKUID, &l.ProductID, &l.Title, &vals, &l.Image, &l.Price, &l.Stock, &cs.live}, extra...)
	if err := row.Scan(dest...); err != nil {
		return cs, err
	}
	var values []string
	if err := json.Unmarshal([]byte(vals), &values); err != nil {
		return cs, fmt.Errorf("sku %d values: %w", l.SKUID, err)
	}
	l.Label = strings.Join(values, " / ")
	return cs, nil
}

// status sets the line's status from its SKU and quantity.
func (cs *cartSKU) status() CartLine {
	l := cs.line
	switch {
	case !cs.live:
		l.Status = CartOffShelf
	case l.Stock <= 0:
		l.Status = CartOutOfStock
	case l.Qty > l.Stock:
		l.Status = CartNotEnoughStock
	default:
		l.Status = CartOK
	}
	return l
}

type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// cartSKUByID loads one SKU for the cart; a missing one is ErrNotFound.
func cartSKUByID(ctx context.Context, q queryRower, skuID int64) (cartSKU, error) {
	cs, err := scanCartSKU(q.QueryRowContext(ctx, `SELECT `+cartSKUColumns+`
		FROM skus s JOIN products p ON p.id = s.product_id WHERE s.id = ?`, skuID))
	if errors.Is(err, sql.ErrNoRows) {
		return cs, ErrNotFound
	}
	if err != nil {
		return cs, fmt.Errorf("cart sku %d: %w", skuID, err)
	}
	return cs, nil
}

// checkCartQty validates qty as the new quantity of skuID in a cart that
// held had of it: increases must fit the stock, every quantity 1..MaxCartQty.
func checkCartQty(ctx context.Context, q queryRower, skuID int64, had, qty int) error {
	if qty < 1 {
		return Invalid("qty", "cart.qty_invalid")
	}
	if qty > MaxCartQty {
		return Invalid("qty", "cart.qty_max", "max", MaxCartQty)
	}
	cs, err := cartSKUByID(ctx, q, skuID)
	if errors.Is(err, ErrNotFound) || err == nil && !cs.live {
		return Invalid("sku_id", "cart.unavailable")
	}
	if err != nil {
		return err
	}
	if qty > had && qty > cs.line.Stock {
		if cs.line.Stock <= 0 {
			return Invalid("qty", "cart.out_of_stock")
		}
		return Invalid("qty", "cart.not_enough_stock", "stock", cs.line.Stock)
	}
	return nil
}

// CheckCartQty validates qty as the new quantity of skuID in a guest's cart
// that held had pieces of it, with the rules AddToCart and SetCartQty apply.
func (db *DB) CheckCartQty(ctx context.Context, skuID int64, had, qty int) error {
	return checkCartQty(ctx, db.r, skuID, had, qty)
}

// CartLines is the customer's cart, the most recently added first.
func (db *DB) CartLines(ctx context.Context, customerID int64) ([]CartLine, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+cartSKUColumns+`, c.qty, c.selected
		FROM cart_items c JOIN skus s ON s.id = c.sku_id JOIN products p ON p.id = s.product_id
		WHERE c.customer_id = ? ORDER BY c.added_at DESC, c.sku_id DESC`, customerID)
	if err != nil {
		return nil, fmt.Errorf("cart lines: %w", err)
	}
	defer rows.Close()
	var out []CartLine
	for rows.Next() {
		var qty int
		var sel bool
		cs, err := scanCartSKU(rows, &qty, &sel)
		if err != nil {
			return nil, fmt.Errorf("cart lines: %w", err)
		}
		cs.line.Qty, cs.line.Selected = qty, sel
		out = append(out, cs.status())
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cart lines: %w", err)
	}
	return out, nil
}

// CartLinesFor is a guest's cart in the order of lines; lines whose SKU no
// longer exists at all are left out.
func (db *DB) CartLinesFor(ctx context.Context, lines []GuestLine) ([]CartLine, error) {
	if len(lines) == 0 {
		return nil, nil
	}
	args := make([]any, len(lines))
	for i, g := range lines {
		args[i] = g.SKUID
	}
	rows, err := db.r.QueryContext(ctx, `SELECT `+cartSKUColumns+`
		FROM skus s JOIN products p ON p.id = s.product_id
		WHERE s.id IN (?`+strings.Repeat(",?", len(lines)-1)+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("guest cart lines: %w", err)
	}
	defer rows.Close()
	found := map[int64]cartSKU{}
	for rows.Next() {
		cs, err := scanCartSKU(rows)
		if err != nil {
			return nil, fmt.Errorf("guest cart lines: %w", err)
		}
		found[cs.line.SKUID] = cs
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("guest cart lines: %w", err)
	}
	var out []CartLine
	for _, g := range lines {
		cs, ok := found[g.SKUID]
		if !ok {
			continue
		}
		cs.line.Qty, cs.line.Selected = g.Qty, g.Selected
		out = append(out, cs.status())
	}
	return out, nil
}

// CartCount is the number of pieces in the customer's cart, for the badge.
func (db *DB) CartCount(ctx context.Context, customerID int64) (int, error) {
	var n int
	if err := db.r.QueryRowContext(ctx, `SELECT COALESCE(SUM(qty), 0) FROM cart_items WHERE customer_id = ?`,
		customerID).Scan(&n); err != nil {
		return 0, fmt.Errorf("cart count: %w", err)
	}
	return n, nil
}

// AddToCart adds qty pieces of skuID to the customer's cart (to the pieces
// already there) and selects the line. It refuses a quantity below 1, a
// total above MaxCartQty or the stock, an off-shelf or deleted SKU, and a
// new line beyond MaxCartLines, with a *ValidationError.
func (db *DB) AddToCart(ctx context.Context, customerID, skuID int64, qty int) error {
	if qty < 1 || qty > MaxCartQty {
		return Invalid("qty", "cart.qty_invalid")
	}
	return db.Write(ctx, func(tx *sql.Tx) error {
		var had, lines int
		err := tx.QueryRowContext(ctx, `SELECT qty FROM cart_items WHERE customer_id = ? AND sku_id = ?`,
			customerID, skuID).Scan(&had)
		if errors.Is(err, sql.ErrNoRows) {
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM cart_items WHERE customer_id = ?`,
				customerID).Scan(&lines); err != nil {
				return fmt.Errorf("add to cart: %w", err)
			}
			if lines >= MaxCartLines {
				return Invalid("sku_id", "cart.too_many", "max", MaxCartLines)
			}
		} else if err != nil {
			return fmt.Errorf("add to cart: %w", err)
		}
		if err := checkCartQty(ctx, tx, skuID, had, had+qty); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO cart_items (customer_id, sku_id, qty, selected, added_at)
			VALUES (?, ?, ?, 1, ?)
			ON CONFLICT (customer_id, sku_id) DO UPDATE SET qty = excluded.qty, selected = 1`,
			customerID, skuID, had+qty, db.now().UnixNano()); err != nil {
			return fmt.Errorf("add to cart: %w", err)
		}
		return nil
	})
}

// SetCartQty sets the quantity of the customer's line of skuID. Lowering a
// quantity is always allowed; raising it must fit the stock. A line the
// customer does not have is ErrNotFound.
func (db *DB) SetCartQty(ctx context.Context, customerID, skuID int64, qty int) error {
	return db.Write(ctx, func(tx *sql.Tx) error {
		var had int
		err := tx.QueryRowContext(ctx, `SELECT qty FROM cart_items WHERE customer_id = ? AND sku_id = ?`,
			customerID, skuID).Scan(&had)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("set cart qty: %w", err)
		}
		if err := checkCartQty(ctx, tx, skuID, had, qty); err != nil {
			return err
		}
		if err := execOne(ctx, tx, `UPDATE cart_items SET qty = ? WHERE customer_id = ? AND sku_id = ?`,
			qty, customerID, skuID); err != nil {
			return fmt.Errorf("set cart qty: %w", err)
		}
		return nil
	})
}

// RemoveCartItems deletes the customer's lines of the given SKUs; ids the
// customer has no line of are ignored.
func (db *DB) RemoveCartItems(ctx context.Context, customerID int64, skuIDs []int64) error {
	if len(skuIDs) == 0 {
		return nil
	}
	return db.Write(ctx, func(tx *sql.Tx) error {
		args := append([]any{customerID}, int64Args(skuIDs)...)
		if _, err := tx.ExecContext(ctx, `DELETE FROM cart_items WHERE customer_id = ? AND sku_id IN (?`+
			strings.Repeat(",?", len(skuIDs)-1)+`)`, args...); err != nil {
			return fmt.Errorf("remove cart items: %w", err)
		}
		return nil
	})
}

// SelectCartItems selects (on) or unselects the customer's lines of the
// given SKUs, or all their lines when skuIDs is nil.
func (db *DB) SelectCartItems(ctx context.Context, customerID int64, skuIDs []int64, on bool) error {
	query := `UPDATE cart_items SET selected = ? WHERE customer_id = ?`
	args := []any{boolInt(on), customerID}
	if skuIDs != nil {
		if len(skuIDs) == 0 {
			return nil
		}
		query += ` AND sku_id IN (?` + strings.Repeat(",?", len(skuIDs)-1) + `)`
		args = append(args, int64Args(skuIDs)...)
	}
	return db.Write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, query, args...); err != nil {
			return fmt.Errorf("select cart items: %w", err)
		}
		return nil
	})
}

// MergeCart adds a guest's cart to the customer's at sign-in: quantities of
// the same SKU are summed and capped at MaxCartQty and the stock (but never
// below 1, so a sold-out line still shows as such); SKUs that are gone are
// dropped, and so are lines beyond MaxCartLines.
func (db *DB) MergeCart(ctx context.Context, customerID int64, guest []GuestLine) error {
	if len(guest) == 0 {
		return nil
	}
	return db.Write(ctx, func(tx *sql.Tx) error {
		var lines int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM cart_items WHERE customer_id = ?`,
			customerID).Scan(&lines); err != nil {
			return fmt.Errorf("merge cart: %w", err)
		}
		now := db.now().UnixNano()
		// The guest's list is newest first; insert oldest first so the
		// merged cart keeps that order.
		for i := len(guest) - 1; i >= 0; i-- {
			g := guest[i]
			if g.Qty < 1 {
				continue
			}
			cs, err := cartSKUByID(ctx, tx, g.SKUID)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return fmt.Errorf("merge cart: %w", err)
			}
			var had int
			err = tx.QueryRowContext(ctx, `SELECT qty FROM cart_items WHERE customer_id = ? AND sku_id = ?`,
				customerID, g.SKUID).Scan(&had)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				if lines >= MaxCartLines {
					continue
				}
				lines++
			case err != nil:
				return fmt.Errorf("merge cart: %w", err)
			}
			qty := min(had+g.Qty, MaxCartQty)
			if cs.line.Stock > 0 {
				qty = min(qty, max(cs.line.Stock, had))
			}
			qty = max(qty, 1)
			now++
			if _, err := tx.ExecContext(ctx, `INSERT INTO cart_items (customer_id, sku_id, qty, selected, added_at)
				VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (customer_id, sku_id) DO UPDATE SET qty = excluded.qty,
					selected = MAX(selected, excluded.selected)`,
				customerID, g.SKUID, qty, boolInt(g.Selected), now); err != nil {
				return fmt.Errorf("merge cart: %w", err)
			}
		}
		return nil
	})
}

func int64Args(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}
