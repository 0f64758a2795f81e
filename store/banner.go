package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// Banner is one slide of the home page carousel.
type Banner struct {
	ID      int64
	Image   string // media key
	Title   string
	Link    string // a storefront path such as /p/12 or /c/3
	Sort    int
	Visible bool
}

// Banners returns the banners by sort weight; all=false only the visible ones.
func (db *DB) Banners(ctx context.Context, all bool) ([]Banner, error) {
	q := `SELECT id, image, title, link, sort, visible FROM banners`
	if !all {
		q += ` WHERE visible = 1`
	}
	rows, err := db.r.QueryContext(ctx, q+` ORDER BY sort DESC, id`)
	if err != nil {
		return nil, fmt.Errorf("banners: %w", err)
	}
	defer rows.Close()
	var out []Banner
	for rows.Next() {
		var b Banner
		if err := rows.Scan(&b.ID, &b.Image, &b.Title, &b.Link, &b.Sort, &b.Visible); err != nil {
			return nil, fmt.Errorf("banners: %w", err)
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// SafeLink keeps a banner link only when it is a local path, so a banner
// can never send shoppers to another site or run script.
func SafeLink(link string) string {
	link = strings.TrimSpace(link)
	if strings.HasPrefix(link, "/") && !strings.HasPrefix(link, "//") && !strings.HasPrefix(link, `/\`) {
		return link
	}
	return ""
}

// CreateBanner adds a banner.
func (db *DB) CreateBanner(ctx context.Context, b Banner) (int64, error) {
	return db.createBanner(ctx, nil, b)
}

// CreateBannerTx adds a banner inside a caller's transaction.
func (db *DB) CreateBannerTx(ctx context.Context, tx *sql.Tx, b Banner) (int64, error) {
	return db.createBanner(ctx, tx, b)
}

func (db *DB) createBanner(ctx context.Context, tx *sql.Tx, b Banner) (int64, error) {
	if strings.TrimSpace(b.Image) == "" {
		return 0, Invalid("image", "validation.required")
	}
	var id int64
	ins := func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO banners (image, title, link, sort, visible) VALUES (?, ?, ?, ?, ?)`,
			b.Image, strings.TrimSpace(b.Title), SafeLink(b.Link), b.Sort, boolInt(b.Visible))
		if err != nil {
			return err
		}
		id, err = res.LastInsertId()
		return err
	}
	var err error
	if tx != nil {
		// The caller commits, then calls BumpCatalogue.
		if err = ins(tx); err != nil {
			return 0, fmt.Errorf("create banner: %w", err)
		}
		return id, nil
	}
	if err = db.Write(ctx, ins); err != nil {
		return 0, fmt.Errorf("create banner: %w", err)
	}
	db.bumpCatalogue()
	return id, nil
}

// DeleteBanner removes a banner.
func (db *DB) DeleteBanner(ctx context.Context, id int64) error {
	err := db.Write(ctx, func(tx *sql.Tx) error {
		return execOne(ctx, tx, `DELETE FROM banners WHERE id = ?`, id)
	})
	if err != nil {
		return fmt.Errorf("delete banner %d: %w", id, err)
	}
	db.bumpCatalogue()
	return nil
}
