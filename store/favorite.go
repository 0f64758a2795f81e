package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// MaxHistory is the number of products a customer's browsing history keeps.
const MaxHistory = 200

// SavedProduct is a product in a customer's favourites or browsing history,
// as it is now. Deleted products are left out; an off-shelf one is kept and
// marked, so the customer sees why it cannot be bought.
type SavedProduct struct {
	ProductID int64
	Title     string
	Subtitle  string
	Cover     string // media key; "" = none
	Price     Fen
	ListPrice Fen
	Sales     int
	Stock     int
	OnShelf   bool
	At        int64 // when it was favourited or last viewed, Unix nanoseconds
}

const savedColumns = `p.id, p.title, p.subtitle, p.cover, p.price_fen, p.list_price_fen, p.sales, p.stock, p.on_shelf`

// ToggleFavorite favourites the product for the customer, or unfavourites it
// when it already was; on reports the new state. A deleted or missing
// product cannot be favourited (ErrNotFound), though it can be removed.
func (db *DB) ToggleFavorite(ctx context.Context, customerID, productID int64) (on bool, err error) {
	err = db.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM favorites WHERE customer_id = ? AND product_id = ?`, customerID, productID)
		if err != nil {
			return fmt.Errorf("toggle favorite: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("toggle favorite: %w", err)
		} else if n > 0 {
			return nil
		}
		res, err = tx.ExecContext(ctx, `INSERT INTO favorites (customer_id, product_id, created_at)
			SELECT ?, id, ? FROM products WHERE id = ? AND deleted_at IS NULL`, customerID, db.now().UnixNano(), productID)
		if err != nil {
			return fmt.Errorf("toggle favorite: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("toggle favorite: %w", err)
		} else if n == 0 {
			return ErrNotFound
		}
		on = true
		return nil
	})
	return on, err
}

// IsFavorite reports whether the customer has favourited the product.
func (db *DB) IsFavorite(ctx context.Context, customerID, productID int64) (bool, error) {
	var n int
	if err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM favorites WHERE customer_id = ? AND product_id = ?`,
		customerID, productID).Scan(&n); err != nil {
		return false, fmt.Errorf("is favorite: %w", err)
	}
	return n > 0, nil
}

// Favorites is one page of the customer's favourites, newest first, and the
// number of them (deleted products are not counted).
func (db *DB) Favorites(ctx context.Context, customerID int64, offset, limit int) ([]SavedProduct, int, error) {
	items, total, err := db.savedProducts(ctx, "favorites", "created_at", customerID, offset, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("favorites: %w", err)
	}
	return items, total, nil
}

// RemoveFavorites removes the products from the customer's favourites;
// products that were not there are ignored.
func (db *DB) RemoveFavorites(ctx context.Context, customerID int64, productIDs []int64) error {
	if len(productIDs) == 0 {
		return nil
	}
	return db.Write(ctx, func(tx *sql.Tx) error {
		args := append([]any{customerID}, int64Args(productIDs)...)
		if _, err := tx.ExecContext(ctx, `DELETE FROM favorites WHERE customer_id = ? AND product_id IN (?`+
			strings.Repeat(",?", len(productIDs)-1)+`)`, args...); err != nil {
			return fmt.Errorf("remove favorites: %w", err)
		}
		return nil
	})
}

// RecordView puts the product at the top of the customer's browsing history
// and trims the history to its newest MaxHistory products.
func (db *DB) RecordView(ctx context.Context, customerID, productID int64) error {
	return db.Write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO browsing_history (customer_id, product_id, viewed_at)
			VALUES (?, ?, ?) ON CONFLICT (customer_id, product_id) DO UPDATE SET viewed_at = excluded.viewed_at`,
			customerID, productID, db.now().UnixNano()); err != nil {
			return fmt.Errorf("record view: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM browsing_history WHERE customer_id = ? AND product_id NOT IN (
			SELECT product_id FROM browsing_history WHERE customer_id = ?
			ORDER BY viewed_at DESC, product_id DESC LIMIT ?)`, customerID, customerID, MaxHistory); err != nil {
			return fmt.Errorf("trim history: %w", err)
		}
		return nil
	})
}

// History is one page of the customer's browsing history, most recent first,
// and the number of products in it (deleted products are not counted).
func (db *DB) History(ctx context.Context, customerID int64, offset, limit int) ([]SavedProduct, int, error) {
	items, total, err := db.savedProducts(ctx, "browsing_history", "viewed_at", customerID, offset, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("history: %w", err)
	}
	return items, total, nil
}

// ClearHistory empties the customer's browsing history.
func (db *DB) ClearHistory(ctx context.Context, customerID int64) error {
	return db.Write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM browsing_history WHERE customer_id = ?`, customerID); err != nil {
			return fmt.Errorf("clear history: %w", err)
		}
		return nil
	})
}

// savedProducts pages through table (favorites or browsing_history, named
// by the callers above, never by user input), newest at first.
func (db *DB) savedProducts(ctx context.Context, table, at string, customerID int64, offset, limit int) ([]SavedProduct, int, error) {
	if limit <= 0 || offset < 0 {
		return nil, 0, errors.New("bad page")
	}
	from := ` FROM ` + table + ` s JOIN products p ON p.id = s.product_id
		WHERE s.customer_id = ? AND p.deleted_at IS NULL`
	var total int
	if err := db.r.QueryRowContext(ctx, `SELECT COUNT(*)`+from, customerID).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := db.r.QueryContext(ctx, `SELECT `+savedColumns+`, s.`+at+from+`
		ORDER BY s.`+at+` DESC, s.product_id DESC LIMIT ? OFFSET ?`, customerID, limit, offset)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []SavedProduct
	for rows.Next() {
		var sp SavedProduct
		if err := rows.Scan(&sp.ProductID, &sp.Title, &sp.Subtitle, &sp.Cover, &sp.Price, &sp.ListPrice,
			&sp.Sales, &sp.Stock, &sp.OnShelf, &sp.At); err != nil {
			return nil, 0, err
		}
		out = append(out, sp)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	return out, total, nil
}
