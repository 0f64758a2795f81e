package fullreduce

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/store"
)

// The plugin's own SQL: the offers and what they brought. Writes go through
// store.DB.Write, pages read through store.DB.Read, and the price pipeline
// reads through the checkout's transaction.

const offerCols = `o.id, o.name, o.kind, o.mode, o.tiers, o.scope, o.scope_ids, o.starts_at, o.ends_at,
	o.status, o.created_at, o.updated_at`

type scanner interface{ Scan(dest ...any) error }

// scanOffer scans a row of offerCols (then extra) into o.
func scanOffer(row scanner, o *Offer, extra ...any) error {
	var tiers, ids string
	var starts, ends, created, updated int64
	dest := append([]any{&o.ID, &o.Name, &o.Kind, &o.Mode, &tiers, &o.Scope, &ids, &starts, &ends,
		&o.Status, &created, &updated}, extra...)
	if err := row.Scan(dest...); err != nil {
		return err
	}
	if err := json.Unmarshal([]byte(tiers), &o.Tiers); err != nil {
		return fmt.Errorf("offer %d tiers: %w", o.ID, err)
	}
	if err := json.Unmarshal([]byte(ids), &o.ScopeIDs); err != nil {
		return fmt.Errorf("offer %d scope: %w", o.ID, err)
	}
	o.StartsAt, o.EndsAt = time.Unix(starts, 0), time.Unix(ends, 0)
	o.CreatedAt, o.UpdatedAt = time.Unix(created, 0), time.Unix(updated, 0)
	return nil
}

// scanOffers scans every row of offerCols.
func scanOffers(rows *sql.Rows) ([]Offer, error) {
	defer rows.Close()
	var out []Offer
	for rows.Next() {
		var o Offer
		if err := scanOffer(rows, &o); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// Offers lists every offer, newest first, with its stats.
func Offers(ctx context.Context, db *store.DB) ([]Offer, error) {
	var out []Offer
	err := db.Read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+offerCols+`,
			COALESCE(s.orders, 0), COALESCE(s.revenue_fen, 0), COALESCE(s.discount_fen, 0)
			FROM fullreduce_offers o LEFT JOIN fullreduce_offer_stats s ON s.offer_id = o.id
			ORDER BY o.id DESC`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var o Offer
			if err := scanOffer(rows, &o, &o.Orders, &o.Revenue, &o.Discount); err != nil {
				return err
			}
			out = append(out, o)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("fullreduce offers: %w", err)
	}
	return out, nil
}

// OfferByID is one offer; store.ErrNotFound when there is none.
func OfferByID(ctx context.Context, db *store.DB, id int64) (*Offer, error) {
	var o Offer
	err := db.Read(ctx, func(tx *sql.Tx) error {
		return scanOffer(tx.QueryRowContext(ctx, `SELECT `+offerCols+` FROM fullreduce_offers o WHERE o.id = ?`, id), &o)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("fullreduce offer: %w", err)
	}
	return &o, nil
}

// SaveOffer creates o (o.ID == 0) or replaces offer o.ID, and returns its
// id. It refuses, with store.ValidationErrors, bad input, unknown products
// or categories, and an active offer sharing a product with another active
// offer in an overlapping window; then nothing is written.
func SaveOffer(ctx context.Context, db *store.DB, o *Offer) (int64, error) {
	if err := o.validate(); err != nil {
		return 0, err
	}
	o.ScopeIDs = dedupe(o.ScopeIDs)
	tiers, _ := json.Marshal(o.Tiers)
	ids, _ := json.Marshal(nonNil(o.ScopeIDs))
	id := o.ID
	err := db.Write(ctx, func(tx *sql.Tx) error {
		if err := checkScopeIDsTx(ctx, tx, o); err != nil {
			return err
		}
		if o.Status == StatusActive {
			if err := checkOverlapTx(ctx, tx, o); err != nil {
				return err
			}
		}
		now := db.Now().Unix()
		if id == 0 {
			res, err := tx.ExecContext(ctx, `INSERT INTO fullreduce_offers (name, kind, mode, tiers, scope, scope_ids,
				starts_at, ends_at, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				o.Name, o.Kind, o.Mode, string(tiers), o.Scope, string(ids), o.StartsAt.Unix(), o.EndsAt.Unix(), o.Status, now, now)
			if err != nil {
				return err
			}
			id, err = res.LastInsertId()
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE fullreduce_offers SET name = ?, kind = ?, mode = ?, tiers = ?, scope = ?,
			scope_ids = ?, starts_at = ?, ends_at = ?, status = ?, updated_at = ? WHERE id = ?`,
			o.Name, o.Kind, o.Mode, string(tiers), o.Scope, string(ids), o.StartsAt.Unix(), o.EndsAt.Unix(), o.Status, now, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return store.ErrNotFound
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("save fullreduce offer: %w", err)
	}
	db.BumpCatalogue() // product pages show the offer's badge
	return id, nil
}

// StopOffer stops offer id for good; store.ErrNotFound when there is none.
func StopOffer(ctx context.Context, db *store.DB, id int64) error {
	if err := plugins.StopActivity(ctx, db, "fullreduce_offers", id); err != nil {
		return fmt.Errorf("stop fullreduce offer: %w", err)
	}
	return nil
}

// liveOffersTx are the active offers whose window holds now, oldest first.
func liveOffersTx(ctx context.Context, tx *sql.Tx, now time.Time) ([]Offer, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+offerCols+` FROM fullreduce_offers o
		WHERE o.status = 'active' AND o.starts_at <= ? AND o.ends_at > ? ORDER BY o.id`, now.Unix(), now.Unix())
	if err != nil {
		return nil, fmt.Errorf("live fullreduce offers: %w", err)
	}
	out, err := scanOffers(rows)
	if err != nil {
		return nil, fmt.Errorf("live fullreduce offers: %w", err)
	}
	return out, nil
}

// checkScopeIDsTx refuses products or categories that do not exist.
func checkScopeIDsTx(ctx context.Context, tx *sql.Tx, o *Offer) error {
	var query string
	switch o.Scope {
	case ScopeProducts:
		query = `SELECT COUNT(*) FROM products WHERE deleted_at IS NULL AND id IN (` + marks(len(o.ScopeIDs)) + `)`
	case ScopeCategories:
		query = `SELECT COUNT(*) FROM categories WHERE id IN (` + marks(len(o.ScopeIDs)) + `)`
	default:
		return nil
	}
	var n int
	if err := tx.QueryRowContext(ctx, query, args(o.ScopeIDs)...).Scan(&n); err != nil {
		return err
	}
	if n != len(o.ScopeIDs) {
		key := "fullreduce.err.scope_unknown_products"
		if o.Scope == ScopeCategories {
			key = "fullreduce.err.scope_unknown_categories"
		}
		return store.ValidationErrors{{Field: "scope_ids", Key: key}}
	}
	return nil
}

// checkOverlapTx refuses o when another active offer whose window
// overlaps o's may take in one of o's products: a product is in at most
// one active offer.
func checkOverlapTx(ctx context.Context, tx *sql.Tx, o *Offer) error {
	rows, err := tx.QueryContext(ctx, `SELECT `+offerCols+` FROM fullreduce_offers o
		WHERE o.status = 'active' AND o.id != ? AND o.starts_at < ? AND o.ends_at > ?`,
		o.ID, o.EndsAt.Unix(), o.StartsAt.Unix())
	if err != nil {
		return err
	}
	others, err := scanOffers(rows)
	if err != nil {
		return err
	}
	if len(others) == 0 {
		return nil
	}
	cats, err := categoryTreeTx(ctx, tx)
	if err != nil {
		return err
	}
	for _, other := range others {
		hit, err := overlaps(ctx, tx, cats, o, &other)
		if err != nil {
			return err
		}
		if hit {
			return store.ValidationErrors{{Field: "scope", Key: "fullreduce.err.overlap", Args: []any{"name", other.Name}}}
		}
	}
	return nil
}

// overlaps reports whether a and b may take in the same product.
func overlaps(ctx context.Context, tx *sql.Tx, cats categoryTree, a, b *Offer) (bool, error) {
	if a.Scope == ScopeAll || b.Scope == ScopeAll {
		return true, nil
	}
	if a.Scope == b.Scope {
		if a.Scope == ScopeCategories {
			return intersects(cats.expand(a.ScopeIDs), cats.expand(b.ScopeIDs)), nil
		}
		return intersects(a.ScopeIDs, b.ScopeIDs), nil
	}
	products, categories := a.ScopeIDs, b.ScopeIDs
	if a.Scope == ScopeCategories {
		products, categories = b.ScopeIDs, a.ScopeIDs
	}
	in := cats.expand(categories)
	var n int
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM products WHERE id IN (`+marks(len(products))+`)
		AND category_id IN (`+marks(len(in))+`)`, append(args(products), args(in)...)...).Scan(&n)
	return n > 0, err
}

// categoryTree maps a category to its parent (0 for a top category).
type categoryTree map[int64]int64

func categoryTreeTx(ctx context.Context, tx *sql.Tx) (categoryTree, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, COALESCE(parent_id, 0) FROM categories`)
	if err != nil {
		return nil, fmt.Errorf("categories: %w", err)
	}
	defer rows.Close()
	t := categoryTree{}
	for rows.Next() {
		var id, parent int64
		if err := rows.Scan(&id, &parent); err != nil {
			return nil, fmt.Errorf("categories: %w", err)
		}
		t[id] = parent
	}
	return t, rows.Err()
}

// expand is ids with the children of each (the tree has two levels).
func (t categoryTree) expand(ids []int64) []int64 {
	out := slices.Clone(ids)
	for id, parent := range t {
		if parent != 0 && slices.Contains(ids, parent) && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// in reports whether category cat falls in the categories ids (itself or
// its parent).
func (t categoryTree) in(cat int64, ids []int64) bool {
	return slices.Contains(ids, cat) || (t[cat] != 0 && slices.Contains(ids, t[cat]))
}

func intersects(a, b []int64) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
}

func dedupe(ids []int64) []int64 {
	var out []int64
	for _, id := range ids {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

func nonNil(ids []int64) []int64 {
	if ids == nil {
		return []int64{}
	}
	return ids
}

func marks(n int) string {
	if n == 0 {
		return "NULL"
	}
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

func args(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}
