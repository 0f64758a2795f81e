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

// Product tags: a fixed vocabulary.
const (
	TagNew         = "new"
	TagHot         = "hot"
	TagRecommended = "recommended"
)

// Tags lists the product tags in display order.
var Tags = []string{TagNew, TagHot, TagRecommended}

// SKU is one purchasable combination of spec values (规格) of a product.
type SKU struct {
	ID        int64
	ProductID int64
	Values    []string // in the order of Product.Specs; empty for a product without specs
	Price     Fen
	ListPrice Fen // 划线价; 0 = none
	Stock     int
	Code      string
	WeightG   int
	Image     string // media key; "" = the product cover
	Sales     int
}

// Key is the SKU's spec key (see SpecKey).
func (s SKU) Key() string { return SpecKey(s.Values) }

// Label is the spec values for display, e.g. "红 / M".
func (s SKU) Label() string { return strings.Join(s.Values, " / ") }

// Product is a catalogue entry with its spec matrix and SKUs.
type Product struct {
	ID           int64
	CategoryID   int64
	CategoryName string
	BrandID      int64
	BrandName    string
	Title        string
	Subtitle     string
	Description  string // sanitised HTML
	Specs        []SpecDef
	SKUs         []SKU    // live SKUs, loaded by ProductByID only
	Images       []string // gallery media keys, cover first; loaded by ProductByID only
	Tags         []string
	Cover        string
	OnShelf      bool
	Virtual      bool
	Sort         int
	Sales        int
	Price        Fen // lowest SKU price
	PriceMax     Fen // highest SKU price
	ListPrice    Fen // list price of the lowest-priced SKU
	Stock        int // sum of live SKU stock
	CreatedAt    time.Time
	UpdatedAt    time.Time
	// ShippingTemplateID is the product's shipping template; 0 = the
	// shop's default.
	ShippingTemplateID int64
	// CommissionMode and Commission are the product's commission rule
	// (CommissionDefault...): bp per level, or fen per unit per level.
	// Loaded by ProductByID only.
	CommissionMode string
	Commission     [3]int64
}

// HasTag reports whether p carries tag.
func (p *Product) HasTag(tag string) bool { return slices.Contains(p.Tags, tag) }

// SKUByValues returns the live SKU with these spec values.
func (p *Product) SKUByValues(values []string) (SKU, bool) {
	key := SpecKey(values)
	for _, s := range p.SKUs {
		if s.Key() == key {
			return s, true
		}
	}
	return SKU{}, false
}

// SKUInput is one row of the SKU table of the product form.
type SKUInput struct {
	Values    []string
	Price     Fen
	ListPrice Fen
	Stock     int
	Code      string
	WeightG   int
	Image     string
}

// ProductInput is what the back office submits for a product. Description
// must already be sanitised (the handler runs it through the HTML policy).
type ProductInput struct {
	CategoryID  int64
	BrandID     int64
	Title       string
	Subtitle    string
	Description string
	Specs       []SpecDef
	SKUs        []SKUInput
	Images      []string
	Tags        []string
	OnShelf     bool
	Virtual     bool
	Sort        int
	// ShippingTemplateID is the product's shipping template; 0 = the
	// shop's default template.
	ShippingTemplateID int64
	// CommissionMode and Commission are the product's commission rule
	// (CommissionDefault...): bp per level for CommissionRates, fen per
	// unit per level for CommissionFixed.
	CommissionMode string
	Commission     [3]int64
}

// Limits of a product.
const (
	MaxTitleLen    = 60
	MaxSubtitleLen = 120
	MaxImages      = 9
	MaxStock       = 10_000_000
)

// Validate checks the input and normalises it: trims text, requires exactly
// one SKU row per combination of the spec matrix, and checks every amount.
// SKU row errors are reported on fields "sku.N.price" and so on.
func (in *ProductInput) Validate() error {
	var v ValidationErrors
	in.Title = strings.TrimSpace(in.Title)
	in.Subtitle = strings.TrimSpace(in.Subtitle)
	switch n := utf8.RuneCountInString(in.Title); {
	case n == 0:
		v.Add("title", "validation.required")
	case n > MaxTitleLen:
		v.Add("title", "validation.max_len", "max", MaxTitleLen)
	}
	if utf8.RuneCountInString(in.Subtitle) > MaxSubtitleLen {
		v.Add("subtitle", "validation.max_len", "max", MaxSubtitleLen)
	}
	if in.CategoryID <= 0 {
		v.Add("category_id", "validation.required")
	}
	if len(in.Images) > MaxImages {
		v.Add("images", "validation.too_many_images", "max", MaxImages)
	}
	in.validateCommission(&v)
	var tags []string
	for _, t := range in.Tags {
		if slices.Contains(Tags, t) && !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	in.Tags = tags
	if len(in.Specs) > MaxSpecs || matrixSize(in.Specs) > MaxSKUs {
		v.Add("specs", "validation.sku_too_many", "max", MaxSKUs)
		return v
	}
	want := Matrix(in.Specs)
	byKey := map[string]int{}
	for i, s := range in.SKUs {
		byKey[SpecKey(s.Values)] = i
	}
	if len(in.SKUs) != len(want) || len(byKey) != len(want) {
		v.Add("skus", "validation.sku_matrix")
		return v
	}
	ordered := make([]SKUInput, 0, len(want))
	for _, combo := range want {
		i, ok := byKey[SpecKey(combo)]
		if !ok {
			v.Add("skus", "validation.sku_matrix")
			return v
		}
		ordered = append(ordered, in.SKUs[i])
	}
	in.SKUs = ordered
	for i := range in.SKUs {
		s := &in.SKUs[i]
		s.Code = strings.TrimSpace(s.Code)
		f := fmt.Sprintf("sku.%d.", i)
		if s.Price <= 0 || s.Price > MaxPrice {
			v.Add(f+"price", "validation.price")
		}
		if s.ListPrice < 0 || s.ListPrice > MaxPrice {
			v.Add(f+"list_price", "validation.price")
		}
		if s.Stock < 0 || s.Stock > MaxStock {
			v.Add(f+"stock", "validation.stock")
		}
		if s.WeightG < 0 || s.WeightG > 1_000_000 {
			v.Add(f+"weight", "validation.weight")
		}
		if utf8.RuneCountInString(s.Code) > 40 {
			v.Add(f+"code", "validation.max_len", "max", 40)
		}
	}
	return v.Err()
}

// CreateProduct validates and inserts a product with its SKUs.
func (db *DB) CreateProduct(ctx context.Context, in ProductInput) (int64, error) {
	if err := in.Validate(); err != nil {
		return 0, err
	}
	var id int64
	err := db.Write(ctx, func(tx *sql.Tx) error {
		var err error
		id, err = insertProduct(ctx, tx, in, db.now())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("create product: %w", err)
	}
	db.bumpCatalogue()
	return id, nil
}

// CreateProductTx inserts a validated product inside a caller's transaction
// (the demo loader creates a whole shop in one).
func (db *DB) CreateProductTx(ctx context.Context, tx *sql.Tx, in ProductInput) (int64, error) {
	if err := in.Validate(); err != nil {
		return 0, err
	}
	return insertProduct(ctx, tx, in, db.now())
}

func checkRefs(ctx context.Context, tx *sql.Tx, in ProductInput) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM categories WHERE id = ?`, in.CategoryID).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return Invalid("category_id", "validation.required")
	}
	if in.BrandID != 0 {
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM brands WHERE id = ?`, in.BrandID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return Invalid("brand_id", "validation.not_found")
		}
	}
	if in.ShippingTemplateID != 0 {
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM shipping_templates WHERE id = ? AND deleted_at IS NULL`, in.ShippingTemplateID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return Invalid("shipping_template_id", "validation.not_found")
		}
	}
	return nil
}

func insertProduct(ctx context.Context, tx *sql.Tx, in ProductInput, now time.Time) (int64, error) {
	if err := checkRefs(ctx, tx, in); err != nil {
		return 0, err
	}
	specs, _ := json.Marshal(nonNilSpecs(in.Specs))
	res, err := tx.ExecContext(ctx, `INSERT INTO products (category_id, brand_id, title, subtitle, description, specs,
		cover, on_shelf, is_virtual, sort, shipping_template_id, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		in.CategoryID, nullID(in.BrandID), in.Title, in.Subtitle, in.Description, string(specs),
		first(in.Images), boolInt(in.OnShelf), boolInt(in.Virtual), in.Sort, nullID(in.ShippingTemplateID), now.Unix(), now.Unix())
	if err != nil {
		return 0, err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, err
	}
	if err := writeProductChildren(ctx, tx, id, in); err != nil {
		return 0, err
	}
	return id, nil
}

// UpdateProduct replaces a product's fields. SKUs are matched by spec key:
// a kept combination keeps its id (and sales), a new one is inserted, and a
// removed one is soft-deleted.
func (db *DB) UpdateProduct(ctx context.Context, id int64, in ProductInput) error {
	if err := in.Validate(); err != nil {
		return err
	}
	err := db.Write(ctx, func(tx *sql.Tx) error {
		if err := checkRefs(ctx, tx, in); err != nil {
			return err
		}
		specs, _ := json.Marshal(nonNilSpecs(in.Specs))
		err := execOne(ctx, tx, `UPDATE products SET category_id = ?, brand_id = ?, title = ?, subtitle = ?,
			description = ?, specs = ?, cover = ?, on_shelf = ?, is_virtual = ?, sort = ?, shipping_template_id = ?,
			updated_at = ? WHERE id = ? AND deleted_at IS NULL`,
			in.CategoryID, nullID(in.BrandID), in.Title, in.Subtitle, in.Description, string(specs), first(in.Images),
			boolInt(in.OnShelf), boolInt(in.Virtual), in.Sort, nullID(in.ShippingTemplateID), db.now().Unix(), id)
		if err != nil {
			return err
		}
		return writeProductChildren(ctx, tx, id, in)
	})
	if err != nil {
		return fmt.Errorf("update product %d: %w", id, err)
	}
	db.bumpCatalogue()
	return nil
}

// writeProductChildren replaces images and tags, upserts SKUs by key and
// refreshes the denormalised price and stock columns.
func writeProductChildren(ctx context.Context, tx *sql.Tx, id int64, in ProductInput) error {
	if err := writeCommissionRuleTx(ctx, tx, id, in); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM product_images WHERE product_id = ?`, id); err != nil {
		return err
	}
	for i, img := range in.Images {
		if _, err := tx.ExecContext(ctx, `INSERT INTO product_images (product_id, position, image) VALUES (?, ?, ?)`, id, i, img); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM product_tags WHERE product_id = ?`, id); err != nil {
		return err
	}
	for _, t := range in.Tags {
		if _, err := tx.ExecContext(ctx, `INSERT INTO product_tags (product_id, tag) VALUES (?, ?)`, id, t); err != nil {
			return err
		}
	}
	existing := map[string]int64{}
	rows, err := tx.QueryContext(ctx, `SELECT id, spec_key FROM skus WHERE product_id = ? AND deleted_at IS NULL`, id)
	if err != nil {
		return err
	}
	for rows.Next() {
		var sid int64
		var key string
		if err := rows.Scan(&sid, &key); err != nil {
			rows.Close()
			return err
		}
		existing[key] = sid
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	now := time.Now().Unix()
	for pos, s := range in.SKUs {
		key := SpecKey(s.Values)
		vals, _ := json.Marshal(nonNilStrings(s.Values))
		if sid, ok := existing[key]; ok {
			delete(existing, key)
			if _, err := tx.ExecContext(ctx, `UPDATE skus SET spec_values = ?, price_fen = ?, list_price_fen = ?, stock = ?,
				code = ?, weight_g = ?, image = ?, position = ? WHERE id = ?`,
				string(vals), s.Price, s.ListPrice, s.Stock, s.Code, s.WeightG, s.Image, pos, sid); err != nil {
				return err
			}
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO skus (product_id, spec_key, spec_values, price_fen, list_price_fen,
			stock, code, weight_g, image, position) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, key, string(vals), s.Price, s.ListPrice, s.Stock, s.Code, s.WeightG, s.Image, pos); err != nil {
			return err
		}
	}
	for _, sid := range existing {
		if _, err := tx.ExecContext(ctx, `UPDATE skus SET deleted_at = ? WHERE id = ?`, now, sid); err != nil {
			return err
		}
	}
	return refreshProductSummary(ctx, tx, id)
}

// refreshProductSummary recomputes the denormalised price and stock columns
// of a product from its live SKUs.
func refreshProductSummary(ctx context.Context, tx *sql.Tx, id int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE products SET
		price_fen = COALESCE((SELECT MIN(price_fen) FROM skus WHERE product_id = products.id AND deleted_at IS NULL), 0),
		price_max_fen = COALESCE((SELECT MAX(price_fen) FROM skus WHERE product_id = products.id AND deleted_at IS NULL), 0),
		list_price_fen = COALESCE((SELECT list_price_fen FROM skus WHERE product_id = products.id AND deleted_at IS NULL
			ORDER BY price_fen, position LIMIT 1), 0),
		stock = COALESCE((SELECT SUM(stock) FROM skus WHERE product_id = products.id AND deleted_at IS NULL), 0)
		WHERE id = ?`, id)
	return err
}

// SetOnShelf puts products on or off shelf and returns how many changed.
func (db *DB) SetOnShelf(ctx context.Context, ids []int64, on bool) (int, error) {
	var n int
	err := db.Write(ctx, func(tx *sql.Tx) error {
		for _, id := range ids {
			res, err := tx.ExecContext(ctx, `UPDATE products SET on_shelf = ?, updated_at = ? WHERE id = ? AND on_shelf <> ? AND deleted_at IS NULL`,
				boolInt(on), db.now().Unix(), id, boolInt(on))
			if err != nil {
				return err
			}
			k, _ := res.RowsAffected()
			n += int(k)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("set on shelf: %w", err)
	}
	db.bumpCatalogue()
	return n, nil
}

// DeleteProduct soft-deletes a product: it leaves the shelf and every list,
// but stays in the database for the orders that point at it.
func (db *DB) DeleteProduct(ctx context.Context, id int64) error {
	err := db.Write(ctx, func(tx *sql.Tx) error {
		return execOne(ctx, tx, `UPDATE products SET deleted_at = ?, on_shelf = 0 WHERE id = ? AND deleted_at IS NULL`, db.now().Unix(), id)
	})
	if err != nil {
		return fmt.Errorf("delete product %d: %w", id, err)
	}
	db.bumpCatalogue()
	return nil
}

const productCols = `p.id, p.category_id, COALESCE(c.name, ''), COALESCE(p.brand_id, 0), COALESCE(b.name, ''),
	p.title, p.subtitle, p.specs, p.cover, p.on_shelf, p.is_virtual, p.sort, p.sales,
	p.price_fen, p.price_max_fen, p.list_price_fen, p.stock, p.created_at, p.updated_at,
	(SELECT group_concat(tag) FROM product_tags t WHERE t.product_id = p.id), COALESCE(p.shipping_template_id, 0)`

const productFrom = ` FROM products p LEFT JOIN categories c ON c.id = p.category_id LEFT JOIN brands b ON b.id = p.brand_id `

type scanner interface{ Scan(dest ...any) error }

func scanProduct(row scanner) (Product, error) {
	var p Product
	var specs string
	var tags sql.NullString
	var created, updated int64
	err := row.Scan(&p.ID, &p.CategoryID, &p.CategoryName, &p.BrandID, &p.BrandName, &p.Title, &p.Subtitle, &specs,
		&p.Cover, &p.OnShelf, &p.Virtual, &p.Sort, &p.Sales, &p.Price, &p.PriceMax, &p.ListPrice, &p.Stock,
		&created, &updated, &tags, &p.ShippingTemplateID)
	if err != nil {
		return p, err
	}
	if err := json.Unmarshal([]byte(specs), &p.Specs); err != nil {
		return p, fmt.Errorf("product %d specs: %w", p.ID, err)
	}
	if tags.Valid && tags.String != "" {
		p.Tags = strings.Split(tags.String, ",")
		slices.SortFunc(p.Tags, func(a, b string) int { return slices.Index(Tags, a) - slices.Index(Tags, b) })
	}
	p.CreatedAt, p.UpdatedAt = time.Unix(created, 0), time.Unix(updated, 0)
	return p, nil
}

// ProductByID returns a product (not deleted) with its description, gallery
// and live SKUs.
func (db *DB) ProductByID(ctx context.Context, id int64) (*Product, error) {
	p, err := scanProduct(db.r.QueryRowContext(ctx, `SELECT `+productCols+productFrom+` WHERE p.id = ? AND p.deleted_at IS NULL`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("product %d: %w", id, err)
	}
	if err := db.r.QueryRowContext(ctx, `SELECT description FROM products WHERE id = ?`, id).Scan(&p.Description); err != nil {
		return nil, fmt.Errorf("product %d: %w", id, err)
	}
	rows, err := db.r.QueryContext(ctx, `SELECT image FROM product_images WHERE product_id = ? ORDER BY position`, id)
	if err != nil {
		return nil, fmt.Errorf("product %d images: %w", id, err)
	}
	for rows.Next() {
		var img string
		if err := rows.Scan(&img); err != nil {
			rows.Close()
			return nil, err
		}
		p.Images = append(p.Images, img)
	}
	rows.Close()
	if p.SKUs, err = db.skus(ctx, id); err != nil {
		return nil, err
	}
	if err := db.productCommissionRule(ctx, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

func (db *DB) skus(ctx context.Context, productID int64) ([]SKU, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, spec_values, price_fen, list_price_fen, stock, code, weight_g, image, sales
		FROM skus WHERE product_id = ? AND deleted_at IS NULL ORDER BY position, id`, productID)
	if err != nil {
		return nil, fmt.Errorf("skus of %d: %w", productID, err)
	}
	defer rows.Close()
	var out []SKU
	for rows.Next() {
		s := SKU{ProductID: productID}
		var vals string
		if err := rows.Scan(&s.ID, &vals, &s.Price, &s.ListPrice, &s.Stock, &s.Code, &s.WeightG, &s.Image, &s.Sales); err != nil {
			return nil, fmt.Errorf("skus of %d: %w", productID, err)
		}
		if err := json.Unmarshal([]byte(vals), &s.Values); err != nil {
			return nil, fmt.Errorf("sku %d values: %w", s.ID, err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

func nonNilSpecs(s []SpecDef) []SpecDef {
	if s == nil {
		return []SpecDef{}
	}
	return s
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// SetSalesTx sets a product's sales count and spreads it over its live SKUs.
// Orders keep the count from then on; the demo loader uses this to give its
// products a believable history.
func (db *DB) SetSalesTx(ctx context.Context, tx *sql.Tx, productID int64, sales int) error {
	if sales < 0 {
		return Invalid("sales", "validation.stock")
	}
	if _, err := tx.ExecContext(ctx, `UPDATE products SET sales = ? WHERE id = ?`, sales, productID); err != nil {
		return fmt.Errorf("set sales %d: %w", productID, err)
	}
	// The first SKU takes the remainder so the SKUs sum to the product.
	_, err := tx.ExecContext(ctx, `UPDATE skus SET sales = ? / (SELECT COUNT(*) FROM skus s WHERE s.product_id = ? AND s.deleted_at IS NULL)
		+ CASE WHEN id = (SELECT MIN(id) FROM skus s WHERE s.product_id = ? AND s.deleted_at IS NULL)
			THEN ? % (SELECT COUNT(*) FROM skus s WHERE s.product_id = ? AND s.deleted_at IS NULL) ELSE 0 END
		WHERE product_id = ? AND deleted_at IS NULL`, sales, productID, productID, sales, productID, productID)
	if err != nil {
		return fmt.Errorf("set sales %d: %w", productID, err)
	}
	return nil
}

// BumpCatalogue marks the storefront's cached pages stale; call it after
// committing a transaction that used the *Tx helpers.
func (db *DB) BumpCatalogue() { db.bumpCatalogue() }
