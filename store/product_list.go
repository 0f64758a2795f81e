package store

import (
	"context"
	"fmt"
	"strings"
)

// Sort orders for product lists.
const (
	SortDefault   = ""           // sort weight, then newest
	SortSales     = "sales"      // best sellers first
	SortPriceAsc  = "price_asc"  // cheapest first
	SortPriceDesc = "price_desc" // dearest first
	SortNewest    = "newest"     // newest first
)

// ProductFilter selects products for a list. Zero values mean "any".
type ProductFilter struct {
	Query      string // substring of title or subtitle (Chinese substrings match)
	CategoryID int64  // a top-level id includes its children
	BrandID    int64
	MinPrice   Fen
	MaxPrice   Fen
	Tag        string
	Shelf      string // "on", "off" or "" for both (the storefront always asks "on")
	OutOfStock bool   // only products with no stock
	Sort       string
	Offset     int
	Limit      int // default 20, at most 200
}

// Products returns one page of products matching f (without SKUs, gallery
// or description) and the total number matching.
func (db *DB) Products(ctx context.Context, f ProductFilter) ([]Product, int, error) {
	where, args := f.where()
	var total int
	if err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM products p WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("products: %w", err)
	}
	if total == 0 {
		return nil, 0, nil
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 20
	}
	limit = min(limit, 200)
	rows, err := db.r.QueryContext(ctx, `SELECT `+productCols+productFrom+` WHERE `+where+` ORDER BY `+f.order()+` LIMIT ? OFFSET ?`,
		append(args, limit, max(f.Offset, 0))...)
	if err != nil {
		return nil, 0, fmt.Errorf("products: %w", err)
	}
	defer rows.Close()
	var out []Product
	for rows.Next() {
		p, err := scanProduct(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("products: %w", err)
		}
		out = append(out, p)
	}
	return out, total, rows.Err()
}

// EachProductSKU calls fn for every live SKU of every product matching f
// (ignoring Offset and Limit), in list order; used by the CSV export.
func (db *DB) EachProductSKU(ctx context.Context, f ProductFilter, fn func(p *Product, s SKU) error) error {
	f.Offset, f.Limit = 0, 200
	for {
		page, _, err := db.Products(ctx, f)
		if err != nil {
			return err
		}
		for i := range page {
			skus, err := db.skus(ctx, page[i].ID)
			if err != nil {
				return err
			}
			for _, s := range skus {
				if err := fn(&page[i], s); err != nil {
					return err
				}
			}
		}
		if len(page) < f.Limit {
			return nil
		}
		f.Offset += f.Limit
	}
}

func (f ProductFilter) where() (string, []any) {
	conds := []string{"p.deleted_at IS NULL"}
	var args []any
	switch f.Shelf {
	case "on":
		conds = append(conds, "p.on_shelf = 1")
	case "off":
		conds = append(conds, "p.on_shelf = 0")
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		// LIKE matches substrings of UTF-8 text, so 奶粉 finds 进口婴儿奶粉.
		// Escape the pattern characters a shopper may type.
		pat := "%" + likeEscaper.Replace(q) + "%"
		conds = append(conds, `(p.title LIKE ? ESCAPE '\' OR p.subtitle LIKE ? ESCAPE '\')`)
		args = append(args, pat, pat)
	}
	if f.CategoryID > 0 {
		// One IN list (not "= ? OR IN ...") so SQLite can walk the
		// (on_shelf, category_id, ...) index instead of scanning products.
		conds = append(conds, "p.category_id IN (SELECT id FROM categories WHERE id = ? OR parent_id = ?)")
		args = append(args, f.CategoryID, f.CategoryID)
	}
	if f.BrandID > 0 {
		conds = append(conds, "p.brand_id = ?")
		args = append(args, f.BrandID)
	}
	if f.MinPrice > 0 {
		conds = append(conds, "p.price_fen >= ?")
		args = append(args, f.MinPrice)
	}
	if f.MaxPrice > 0 {
		conds = append(conds, "p.price_fen <= ?")
		args = append(args, f.MaxPrice)
	}
	if f.Tag != "" {
		conds = append(conds, "p.id IN (SELECT product_id FROM product_tags WHERE tag = ?)")
		args = append(args, f.Tag)
	}
	if f.OutOfStock {
		conds = append(conds, "p.stock = 0")
	}
	return strings.Join(conds, " AND "), args
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

func (f ProductFilter) order() string {
	switch f.Sort {
	case SortSales:
		return "p.sales DESC, p.id DESC"
	case SortPriceAsc:
		return "p.price_fen ASC, p.id DESC"
	case SortPriceDesc:
		return "p.price_fen DESC, p.id DESC"
	case SortNewest:
		return "p.created_at DESC, p.id DESC"
	default:
		return "p.sort DESC, p.id DESC"
	}
}
