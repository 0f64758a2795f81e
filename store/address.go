package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/xiaodian/xiaodian/store/division"
)

// MaxAddresses is how many addresses one customer may keep.
const MaxAddresses = 20

// Limits of an address's free-text fields, in characters.
const (
	MaxRecipientLen = 20
	MinDetailLen    = 5
	MaxDetailLen    = 120
)

// Address is a customer's shipping address. The region names are copied
// from the division data when the address is saved, so an order that
// snapshots the address keeps the names of its day.
type Address struct {
	ID           int64
	CustomerID   int64
	Name         string // recipient
	Phone        string // mobile (11 digits) or landline (0755-12345678)
	ProvinceCode string
	CityCode     string
	DistrictCode string
	Province     string
	City         string
	District     string
	Detail       string // street, building, room
	IsDefault    bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Region is the address's province, city and district in words, leaving out
// the stand-in city level of a municipality: "广东省 深圳市 南山区",
// "北京市 东城区".
func (a *Address) Region() string {
	return division.Place{
		Province: division.Region{Code: a.ProvinceCode, Name: a.Province},
		City:     division.Region{Code: a.CityCode, Name: a.City},
		District: division.Region{Code: a.DistrictCode, Name: a.District},
	}.Text()
}

// Full is the address on one line, as a parcel label shows it.
func (a *Address) Full() string { return a.Region() + " " + a.Detail }

// AddressInput is what the address form submits. The region is given by
// codes only; the names stored come from the division data.
type AddressInput struct {
	Name         string
	Phone        string
	ProvinceCode string
	CityCode     string
	DistrictCode string
	Detail       string
	IsDefault    bool // make it the default; false leaves the default as it is
}

// ValidateAddress checks in and returns it normalised (spaces collapsed,
// the phone number in its canonical form) with the region it names. Every
// field's error is reported, under the form's field names: name, phone,
// province, city, district, detail.
func ValidateAddress(in AddressInput) (AddressInput, division.Place, error) {
	var v ValidationErrors
	in.Name = oneLine(in.Name)
	switch n := utf8.RuneCountInString(in.Name); {
	case n == 0:
		v.Add("name", "validation.required")
	case n > MaxRecipientLen:
		v.Add("name", "validation.max_len", "max", MaxRecipientLen)
	}
	phone, err := recipientPhone(in.Phone)
	var ve *ValidationError
	if errors.As(err, &ve) {
		v = append(v, ve)
	}
	in.Phone = phone
	in.ProvinceCode = strings.TrimSpace(in.ProvinceCode)
	in.CityCode = strings.TrimSpace(in.CityCode)
	in.DistrictCode = strings.TrimSpace(in.DistrictCode)
	place, err := division.Resolve(in.ProvinceCode, in.CityCode, in.DistrictCode)
	if err != nil {
		v.Add(regionField(err), regionKey(in, err))
	}
	in.Detail = oneLine(in.Detail)
	switch n := utf8.RuneCountInString(in.Detail); {
	case n == 0:
		v.Add("detail", "validation.required")
	case n < MinDetailLen:
		v.Add("detail", "validation.min_len", "min", MinDetailLen)
	case n > MaxDetailLen:
		v.Add("detail", "validation.max_len", "max", MaxDetailLen)
	}
	return in, place, v.Err()
}

// regionField is the form field a division.Resolve error belongs to.
func regionField(err error) string {
	switch {
	case errors.Is(err, division.ErrProvince):
		return "province"
	case errors.Is(err, division.ErrCity):
		return "city"
	default:
		return "district"
	}
}

// regionKey is "please choose" for a level left empty, "not valid" for a
// code that is not there.
func regionKey(in AddressInput, err error) string {
	code := in.DistrictCode
	switch {
	case errors.Is(err, division.ErrProvince):
		code = in.ProvinceCode
	case errors.Is(err, division.ErrCity):
		code = in.CityCode
	}
	if code == "" {
		return "address.region_required"
	}
	return "address.region_invalid"
}

// oneLine drops invalid UTF-8 and control characters and collapses runs of
// white space into one space, so a field is one tidy line.
func oneLine(s string) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// recipientPhone accepts a mainland mobile number (as ValidatePhone does)
// or a landline with its area code — 0755-12345678, 010 8888 6666, with an
// optional extension after a dash — and returns it normalised: the 11
// digits, or area code, number and extension joined by dashes.
func recipientPhone(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", Invalid("phone", "validation.required")
	}
	if p, err := ValidatePhone(s); err == nil {
		return p, nil
	}
	if p, ok := parseLandline(s); ok {
		return p, nil
	}
	return "", Invalid("phone", "address.phone_invalid")
}

// parseLandline parses "0AA(A)-NNNNNNN(N)[-EXT]". Spaces are ignored and
// brackets around the area code stand for the first dash; without either,
// the area code is told by its first digits.
func parseLandline(s string) (string, bool) {
	s = strings.NewReplacer("（", "(", "）", ")", "－", "-", " ", "", "\u3000", "", "\u00a0", "").Replace(s)
	s = strings.Replace(strings.TrimPrefix(s, "("), ")", "-", 1)
	var groups []string
	for _, g := range strings.Split(s, "-") {
		for _, r := range g {
			if r < '0' || r > '9' {
				return "", false
			}
		}
		groups = append(groups, g)
	}
	if len(groups) == 1 {
		// Written without separators: a 3- or 4-digit area code is
		// ambiguous, so take 010 and 02X as three digits, the rest as four.
		g := groups[0]
		n := 4
		if strings.HasPrefix(g, "010") || strings.HasPrefix(g, "02") {
			n = 3
		}
		if len(g) <= n {
			return "", false
		}
		groups = []string{g[:n], g[n:]}
	}
	if len(groups) < 2 || len(groups) > 3 {
		return "", false
	}
	area, num := groups[0], groups[1]
	if len(area) < 3 || len(area) > 4 || area[0] != '0' || area[1] == '0' {
		return "", false
	}
	if len(num) < 7 || len(num) > 8 || num[0] < '2' {
		return "", false
	}
	if len(groups) == 3 && (groups[2] == "" || len(groups[2]) > 6) {
		return "", false
	}
	return strings.Join(groups, "-"), true
}

const addressColumns = `id, customer_id, name, phone, province_code, city_code, district_code,
	province, city, district, detail, is_default, created_at, updated_at`

func scanAddress(row interface{ Scan(...any) error }) (Address, error) {
	var a Address
	var def int
	var created, updated int64
	err := row.Scan(&a.ID, &a.CustomerID, &a.Name, &a.Phone, &a.ProvinceCode, &a.CityCode, &a.DistrictCode,
		&a.Province, &a.City, &a.District, &a.Detail, &def, &created, &updated)
	a.IsDefault = def != 0
	a.CreatedAt = time.Unix(created, 0)
	a.UpdatedAt = time.Unix(updated, 0)
	return a, err
}

// Addresses lists a customer's addresses: the default first, then the
// newest.
func (db *DB) Addresses(ctx context.Context, customerID int64) ([]Address, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+addressColumns+` FROM addresses
		WHERE customer_id = ? AND deleted_at IS NULL ORDER BY is_default DESC, id DESC`, customerID)
	if err != nil {
		return nil, fmt.Errorf("addresses: %w", err)
	}
	defer rows.Close()
	var out []Address
	for rows.Next() {
		a, err := scanAddress(rows)
		if err != nil {
			return nil, fmt.Errorf("addresses: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("addresses: %w", err)
	}
	return out, nil
}

// AddressByID returns one of the customer's addresses. Another customer's
// address, or a deleted one, is ErrNotFound: ownership is part of the query.
func (db *DB) AddressByID(ctx context.Context, customerID, id int64) (*Address, error) {
	a, err := scanAddress(db.r.QueryRowContext(ctx, `SELECT `+addressColumns+` FROM addresses
		WHERE id = ? AND customer_id = ? AND deleted_at IS NULL`, id, customerID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("address %d: %w", id, err)
	}
	return &a, nil
}

// DefaultAddress returns the customer's default address; ErrNotFound when
// they have none.
func (db *DB) DefaultAddress(ctx context.Context, customerID int64) (*Address, error) {
	a, err := scanAddress(db.r.QueryRowContext(ctx, `SELECT `+addressColumns+` FROM addresses
		WHERE customer_id = ? AND deleted_at IS NULL AND is_default = 1 LIMIT 1`, customerID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("default address: %w", err)
	}
	return &a, nil
}

// CreateAddress saves a new address for the customer. The first address
// becomes the default, as does one created with IsDefault; a customer
// already holding MaxAddresses gets a validation error on "address".
func (db *DB) CreateAddress(ctx context.Context, customerID int64, in AddressInput) (int64, error) {
	in, place, err := ValidateAddress(in)
	if err != nil {
		return 0, err
	}
	var id int64
	err = db.Write(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM addresses WHERE customer_id = ? AND deleted_at IS NULL`,
			customerID).Scan(&n); err != nil {
			return err
		}
		if n >= MaxAddresses {
			return Invalid("address", "address.too_many", "max", MaxAddresses)
		}
		now := db.now().Unix()
		res, err := tx.ExecContext(ctx, `INSERT INTO addresses (customer_id, name, phone, province_code, city_code,
			district_code, province, city, district, detail, is_default, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)`,
			customerID, in.Name, in.Phone, place.Province.Code, place.City.Code, place.District.Code,
			place.Province.Name, place.City.Name, place.District.Name, in.Detail, now, now)
		if err != nil {
			return err
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		if n == 0 || in.IsDefault {
			return makeDefaultAddress(ctx, tx, customerID, id, now)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("create address: %w", err)
	}
	return id, nil
}

// UpdateAddress replaces the fields of one of the customer's addresses.
// IsDefault makes it the default; leaving it false does not take the
// default away (a customer always has one while they have addresses).
func (db *DB) UpdateAddress(ctx context.Context, customerID, id int64, in AddressInput) error {
	in, place, err := ValidateAddress(in)
	if err != nil {
		return err
	}
	err = db.Write(ctx, func(tx *sql.Tx) error {
		now := db.now().Unix()
		err := execOne(ctx, tx, `UPDATE addresses SET name = ?, phone = ?, province_code = ?, city_code = ?,
			district_code = ?, province = ?, city = ?, district = ?, detail = ?, updated_at = ?
			WHERE id = ? AND customer_id = ? AND deleted_at IS NULL`,
			in.Name, in.Phone, place.Province.Code, place.City.Code, place.District.Code,
			place.Province.Name, place.City.Name, place.District.Name, in.Detail, now, id, customerID)
		if err != nil || !in.IsDefault {
			return err
		}
		return makeDefaultAddress(ctx, tx, customerID, id, now)
	})
	if err != nil {
		return fmt.Errorf("update address %d: %w", id, err)
	}
	return nil
}

// SetDefaultAddress makes one of the customer's addresses the default and
// the others not.
func (db *DB) SetDefaultAddress(ctx context.Context, customerID, id int64) error {
	err := db.Write(ctx, func(tx *sql.Tx) error {
		return makeDefaultAddress(ctx, tx, customerID, id, db.now().Unix())
	})
	if err != nil {
		return fmt.Errorf("set default address %d: %w", id, err)
	}
	return nil
}

// DeleteAddress removes one of the customer's addresses (softly: orders keep
// their own copy). Deleting the default makes the newest remaining address
// the default.
func (db *DB) DeleteAddress(ctx context.Context, customerID, id int64) error {
	err := db.Write(ctx, func(tx *sql.Tx) error {
		var def int
		err := tx.QueryRowContext(ctx, `SELECT is_default FROM addresses WHERE id = ? AND customer_id = ? AND deleted_at IS NULL`,
			id, customerID).Scan(&def)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		now := db.now().Unix()
		if err := execOne(ctx, tx, `UPDATE addresses SET deleted_at = ?, is_default = 0, updated_at = ? WHERE id = ?`,
			now, now, id); err != nil {
			return err
		}
		if def == 0 {
			return nil
		}
		_, err = tx.ExecContext(ctx, `UPDATE addresses SET is_default = 1, updated_at = ?
			WHERE id = (SELECT id FROM addresses WHERE customer_id = ? AND deleted_at IS NULL ORDER BY id DESC LIMIT 1)`,
			now, customerID)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete address %d: %w", id, err)
	}
	return nil
}

// makeDefaultAddress marks address id of the customer as the default and clears
// the flag on the customer's others; ErrNotFound when the address is not
// the customer's or is deleted.
func makeDefaultAddress(ctx context.Context, tx *sql.Tx, customerID, id, now int64) error {
	if err := execOne(ctx, tx, `UPDATE addresses SET is_default = 1, updated_at = ?
		WHERE id = ? AND customer_id = ? AND deleted_at IS NULL`, now, id, customerID); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE addresses SET is_default = 0, updated_at = ?
		WHERE customer_id = ? AND id <> ? AND is_default = 1`, now, customerID, id)
	return err
}
