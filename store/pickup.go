package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xiaodian/xiaodian/store/division"
)

// Limits of a pickup store's text fields, in characters.
const (
	maxPickupNameLen  = 40
	maxPickupHoursLen = 40
)

// PickupStore is a place where buyers collect their orders (门店自提).
// Province, City and District are division codes ("44", "4403",
// "440305"); Region and Place give their names.
type PickupStore struct {
	ID                   int64
	Name                 string
	Phone                string // mobile or landline, normalised; "" = none
	Province             string
	City                 string
	District             string // "" for a city without districts
	Detail               string // street, building, shop number
	Hours                string // opening hours as typed, e.g. "09:00-21:00"
	Active               bool   // offered at checkout
	Sort                 int    // higher first
	CreatedAt, UpdatedAt time.Time
}

// Place resolves the store's codes to names; the zero Place when the codes
// no longer resolve.
func (s *PickupStore) Place() division.Place {
	p, err := division.Resolve(s.Province, s.City, s.District)
	if err != nil {
		return division.Place{}
	}
	return p
}

// Region is the store's province, city and district in words: "广东省 深圳市
// 南山区". Fields that are not division codes (a row written by hand) are
// shown as they are.
func (s *PickupStore) Region() string {
	if p, err := division.Resolve(s.Province, s.City, s.District); err == nil {
		return p.Text()
	}
	var parts []string
	for _, f := range []string{s.Province, s.City, s.District} {
		if f != "" {
			parts = append(parts, f)
		}
	}
	return strings.Join(parts, " ")
}

// Full is the store's address on one line.
func (s *PickupStore) Full() string { return strings.TrimSpace(s.Region() + " " + s.Detail) }

// PickupStoreInput is what the back office submits for a pickup store.
type PickupStoreInput struct {
	Name         string
	Phone        string
	ProvinceCode string
	CityCode     string
	DistrictCode string
	Detail       string
	Hours        string
	Active       bool
	Sort         int
}

// validate normalises in, reporting errors on the fields name, phone,
// province, city, district, detail and hours.
func (in *PickupStoreInput) validate() error {
	var v ValidationErrors
	in.Name = oneLine(in.Name)
	switch n := utf8.RuneCountInString(in.Name); {
	case n == 0:
		v.Add("name", "validation.required")
	case n > maxPickupNameLen:
		v.Add("name", "validation.max_len", "max", maxPickupNameLen)
	}
	if strings.TrimSpace(in.Phone) == "" {
		in.Phone = ""
	} else if p, err := recipientPhone(in.Phone); err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) {
			v = append(v, ve)
		}
	} else {
		in.Phone = p
	}
	in.ProvinceCode = strings.TrimSpace(in.ProvinceCode)
	in.CityCode = strings.TrimSpace(in.CityCode)
	in.DistrictCode = strings.TrimSpace(in.DistrictCode)
	if _, err := division.Resolve(in.ProvinceCode, in.CityCode, in.DistrictCode); err != nil {
		ai := AddressInput{ProvinceCode: in.ProvinceCode, CityCode: in.CityCode, DistrictCode: in.DistrictCode}
		v.Add(regionField(err), regionKey(ai, err))
	}
	in.Detail = oneLine(in.Detail)
	switch n := utf8.RuneCountInString(in.Detail); {
	case n == 0:
		v.Add("detail", "validation.required")
	case n > MaxDetailLen:
		v.Add("detail", "validation.max_len", "max", MaxDetailLen)
	}
	in.Hours = oneLine(in.Hours)
	if utf8.RuneCountInString(in.Hours) > maxPickupHoursLen {
		v.Add("hours", "validation.max_len", "max", maxPickupHoursLen)
	}
	return v.Err()
}

const pickupCols = `id, name, phone, province, city, district, detail, hours, active, sort, created_at, updated_at`

func scanPickupStore(row scanner) (*PickupStore, error) {
	var s PickupStore
	var created, updated int64
	err := row.Scan(&s.ID, &s.Name, &s.Phone, &s.Province, &s.City, &s.District, &s.Detail, &s.Hours, &s.Active, &s.Sort, &created, &updated)
	if err != nil {
		return nil, err
	}
	s.CreatedAt, s.UpdatedAt = time.Unix(created, 0), time.Unix(updated, 0)
	return &s, nil
}

// PickupStores lists the stores not deleted (only the active ones when
// activeOnly), by sort weight (higher first), then id.
func (db *DB) PickupStores(ctx context.Context, activeOnly bool) ([]*PickupStore, error) {
	q := `SELECT ` + pickupCols + ` FROM pickup_stores WHERE deleted_at IS NULL`
	if activeOnly {
		q += ` AND active = 1`
	}
	rows, err := db.r.QueryContext(ctx, q+` ORDER BY sort DESC, id`)
	if err != nil {
		return nil, fmt.Errorf("pickup stores: %w", err)
	}
	defer rows.Close()
	var out []*PickupStore
	for rows.Next() {
		s, err := scanPickupStore(rows)
		if err != nil {
			return nil, fmt.Errorf("pickup stores: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// PickupStoreByID returns a store that is not deleted (active or not).
func (db *DB) PickupStoreByID(ctx context.Context, id int64) (*PickupStore, error) {
	return pickupStoreTx(ctx, db.r, id)
}

// pickupStoreTx is PickupStoreByID on q (a transaction or the reader).
func pickupStoreTx(ctx context.Context, q queryRower, id int64) (*PickupStore, error) {
	s, err := scanPickupStore(q.QueryRowContext(ctx, `SELECT `+pickupCols+` FROM pickup_stores WHERE id = ? AND deleted_at IS NULL`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("pickup store %d: %w", id, err)
	}
	return s, nil
}

// CreatePickupStore validates and adds a store.
func (db *DB) CreatePickupStore(ctx context.Context, in PickupStoreInput) (int64, error) {
	if err := in.validate(); err != nil {
		return 0, err
	}
	var id int64
	err := db.Write(ctx, func(tx *sql.Tx) error {
		now := db.now().Unix()
		res, err := tx.ExecContext(ctx, `INSERT INTO pickup_stores (name, phone, province, city, district, detail, hours,
			active, sort, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			in.Name, in.Phone, in.ProvinceCode, in.CityCode, in.DistrictCode, in.Detail, in.Hours, boolInt(in.Active), in.Sort, now, now)
		if err != nil {
			return err
		}
		id, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("create pickup store: %w", err)
	}
	return id, nil
}

// UpdatePickupStore replaces a store's fields. Orders keep the address
// they were placed with.
func (db *DB) UpdatePickupStore(ctx context.Context, id int64, in PickupStoreInput) error {
	if err := in.validate(); err != nil {
		return err
	}
	err := db.Write(ctx, func(tx *sql.Tx) error {
		return execOne(ctx, tx, `UPDATE pickup_stores SET name = ?, phone = ?, province = ?, city = ?, district = ?,
			detail = ?, hours = ?, active = ?, sort = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL`,
			in.Name, in.Phone, in.ProvinceCode, in.CityCode, in.DistrictCode, in.Detail, in.Hours, boolInt(in.Active), in.Sort,
			db.now().Unix(), id)
	})
	if err != nil {
		return fmt.Errorf("update pickup store %d: %w", id, err)
	}
	return nil
}

// DeletePickupStore soft-deletes a store: it leaves checkout, and the
// orders that name it keep their snapshot. A store with orders still to be
// paid or collected is refused with a validation error.
func (db *DB) DeletePickupStore(ctx context.Context, id int64) error {
	err := db.Write(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM orders WHERE pickup_store_id = ?
			AND status IN ('pending_payment', 'to_pickup')`, id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return Invalid("id", "pickup.store_in_use", "count", n)
		}
		return execOne(ctx, tx, `UPDATE pickup_stores SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL`, db.now().Unix(), id)
	})
	if err != nil {
		return fmt.Errorf("delete pickup store %d: %w", id, err)
	}
	return nil
}
