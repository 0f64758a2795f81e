package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Category is a node of the two-level category tree.
type Category struct {
	ID       int64
	ParentID int64 // 0 for a top-level category
	Name     string
	Icon     string // media key
	Sort     int
	Visible  bool
	Children []Category
	Products int // products on shelf in this category (and its children, for a parent)
}

// CategoryInput is what the back office submits for a category.
type CategoryInput struct {
	ParentID int64
	Name     string
	Icon     string
	Sort     int
	Visible  bool
}

func (in *CategoryInput) validate() error {
	var v ValidationErrors
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" {
		v.Add("name", "validation.required")
	} else if utf8.RuneCountInString(in.Name) > 20 {
		v.Add("name", "validation.max_len", "max", 20)
	}
	return v.Err()
}

// Categories returns every category as a tree ordered by sort weight (higher
// first) then id, with on-shelf product counts. hidden=false leaves out
// invisible categories.
func (db *DB) Categories(ctx context.Context, hidden bool) ([]Category, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT c.id, COALESCE(c.parent_id, 0), c.name, c.icon, c.sort, c.visible,
		(SELECT COUNT(*) FROM products p WHERE p.category_id = c.id AND p.on_shelf = 1 AND p.deleted_at IS NULL)
		FROM categories c ORDER BY c.sort DESC, c.id`)
	if err != nil {
		return nil, fmt.Errorf("categories: %w", err)
	}
	defer rows.Close()
	var all []Category
	for rows.Next() {
		var c Category
		if err := rows.Scan(&c.ID, &c.ParentID, &c.Name, &c.Icon, &c.Sort, &c.Visible, &c.Products); err != nil {
			return nil, fmt.Errorf("categories: %w", err)
		}
		if c.Visible || hidden {
			all = append(all, c)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("categories: %w", err)
	}
	var tree []Category
	for _, c := range all {
		if c.ParentID == 0 {
			tree = append(tree, c)
		}
	}
	for i := range tree {
		for _, c := range all {
			if c.ParentID == tree[i].ID {
				tree[i].Children = append(tree[i].Children, c)
				tree[i].Products += c.Products
			}
		}
	}
	return tree, nil
}

// CategoryByID returns one category (without children).
func (db *DB) CategoryByID(ctx context.Context, id int64) (*Category, error) {
	var c Category
	err := db.r.QueryRowContext(ctx, `SELECT id, COALESCE(parent_id, 0), name, icon, sort, visible FROM categories WHERE id = ?`, id).
		Scan(&c.ID, &c.ParentID, &c.Name, &c.Icon, &c.Sort, &c.Visible)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("category %d: %w", id, err)
	}
	return &c, nil
}

// checkParent enforces the two-level tree: the parent must exist and be top-level.
func checkParent(ctx context.Context, tx *sql.Tx, selfID, parentID int64) error {
	if parentID == 0 {
		if selfID != 0 {
			return nil
		}
		return nil
	}
	if parentID == selfID {
		return Invalid("parent_id", "validation.category_parent")
	}
	var grand sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT parent_id FROM categories WHERE id = ?`, parentID).Scan(&grand)
	if errors.Is(err, sql.ErrNoRows) {
		return Invalid("parent_id", "validation.category_parent")
	}
	if err != nil {
		return err
	}
	if grand.Valid {
		return Invalid("parent_id", "validation.category_depth")
	}
	if selfID != 0 {
		var kids int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM categories WHERE parent_id = ?`, selfID).Scan(&kids); err != nil {
			return err
		}
		if kids > 0 {
			return Invalid("parent_id", "validation.category_depth")
		}
	}
	return nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// CreateCategory adds a category and returns its id.
func (db *DB) CreateCategory(ctx context.Context, in CategoryInput) (int64, error) {
	if err := in.validate(); err != nil {
		return 0, err
	}
	var id int64
	err := db.Write(ctx, func(tx *sql.Tx) error {
		if err := checkParent(ctx, tx, 0, in.ParentID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO categories (parent_id, name, icon, sort, visible, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`, nullID(in.ParentID), in.Name, in.Icon, in.Sort, boolInt(in.Visible), db.now().Unix())
		if err != nil {
			return err
		}
		id, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("create category: %w", err)
	}
	db.bumpCatalogue()
	return id, nil
}

// UpdateCategory replaces a category's fields.
func (db *DB) UpdateCategory(ctx context.Context, id int64, in CategoryInput) error {
	if err := in.validate(); err != nil {
		return err
	}
	err := db.Write(ctx, func(tx *sql.Tx) error {
		if err := checkParent(ctx, tx, id, in.ParentID); err != nil {
			return err
		}
		return execOne(ctx, tx, `UPDATE categories SET parent_id = ?, name = ?, icon = ?, sort = ?, visible = ? WHERE id = ?`,
			nullID(in.ParentID), in.Name, in.Icon, in.Sort, boolInt(in.Visible), id)
	})
	if err != nil {
		return fmt.Errorf("update category %d: %w", id, err)
	}
	db.bumpCatalogue()
	return nil
}

// DeleteCategory removes an empty category. One that still holds products
// (even deleted ones, which orders may point at) or children is refused.
func (db *DB) DeleteCategory(ctx context.Context, id int64) error {
	err := db.Write(ctx, func(tx *sql.Tx) error {
		var kids, products int
		if err := tx.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM categories WHERE parent_id = ?),
			(SELECT COUNT(*) FROM products WHERE category_id = ?)`, id, id).Scan(&kids, &products); err != nil {
			return err
		}
		if kids > 0 || products > 0 {
			return Invalid("id", "validation.category_not_empty")
		}
		return execOne(ctx, tx, `DELETE FROM categories WHERE id = ?`, id)
	})
	if err != nil {
		return fmt.Errorf("delete category %d: %w", id, err)
	}
	db.bumpCatalogue()
	return nil
}
