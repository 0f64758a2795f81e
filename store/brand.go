package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Brand is a product brand.
type Brand struct {
	ID       int64
	Name     string
	Logo     string // media key
	Sort     int
	Products int // products not deleted
}

// BrandInput is what the back office submits for a brand.
type BrandInput struct {
	Name string
	Logo string
	Sort int
}

func (in *BrandInput) validate() error {
	var v ValidationErrors
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" {
		v.Add("name", "validation.required")
	} else if utf8.RuneCountInString(in.Name) > 40 {
		v.Add("name", "validation.max_len", "max", 40)
	}
	return v.Err()
}

// Brands lists all brands by sort weight (higher first), then name.
func (db *DB) Brands(ctx context.Context) ([]Brand, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT b.id, b.name, b.logo, b.sort,
		(SELECT COUNT(*) FROM products p WHERE p.brand_id = b.id AND p.deleted_at IS NULL)
		FROM brands b ORDER BY b.sort DESC, b.name`)
	if err != nil {
		return nil, fmt.Errorf("brands: %w", err)
	}
	defer rows.Close()
	var out []Brand
	for rows.Next() {
		var b Brand
		if err := rows.Scan(&b.ID, &b.Name, &b.Logo, &b.Sort, &b.Products); err != nil {
			return nil, fmt.Errorf("brands: %w", err)
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// BrandByID returns one brand.
func (db *DB) BrandByID(ctx context.Context, id int64) (*Brand, error) {
	var b Brand
	err := db.r.QueryRowContext(ctx, `SELECT id, name, logo, sort FROM brands WHERE id = ?`, id).Scan(&b.ID, &b.Name, &b.Logo, &b.Sort)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("brand %d: %w", id, err)
	}
	return &b, nil
}

// CreateBrand adds a brand; a duplicate name is a validation error.
func (db *DB) CreateBrand(ctx context.Context, in BrandInput) (int64, error) {
	if err := in.validate(); err != nil {
		return 0, err
	}
	var id int64
	err := db.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO brands (name, logo, sort, created_at) VALUES (?, ?, ?, ?)`,
			in.Name, in.Logo, in.Sort, db.now().Unix())
		if isUnique(err) {
			return Invalid("name", "validation.duplicate")
		}
		if err != nil {
			return err
		}
		id, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("create brand: %w", err)
	}
	db.bumpCatalogue()
	return id, nil
}

// UpdateBrand replaces a brand's fields.
func (db *DB) UpdateBrand(ctx context.Context, id int64, in BrandInput) error {
	if err := in.validate(); err != nil {
		return err
	}
	err := db.Write(ctx, func(tx *sql.Tx) error {
		err := execOne(ctx, tx, `UPDATE brands SET name = ?, logo = ?, sort = ? WHERE id = ?`, in.Name, in.Logo, in.Sort, id)
		if isUnique(err) {
			return Invalid("name", "validation.duplicate")
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("update brand %d: %w", id, err)
	}
	db.bumpCatalogue()
	return nil
}

// DeleteBrand removes a brand no product uses.
func (db *DB) DeleteBrand(ctx context.Context, id int64) error {
	err := db.Write(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM products WHERE brand_id = ?`, id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return Invalid("id", "validation.brand_in_use")
		}
		return execOne(ctx, tx, `DELETE FROM brands WHERE id = ?`, id)
	})
	if err != nil {
		return fmt.Errorf("delete brand %d: %w", id, err)
	}
	db.bumpCatalogue()
	return nil
}
