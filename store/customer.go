package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Customer is a storefront account, identified by a mainland mobile number.
type Customer struct {
	ID       int64
	Phone    string // 11 digits, as normalised by ValidatePhone
	Nickname string
	Avatar   string // media key, or ""
	Gender   string // "", GenderMale or GenderFemale
	Birthday string // YYYY-MM-DD, or ""
	Disabled bool
	// Stamp changes whenever the password changes. A session keeps the stamp
	// it was signed in with, so changing the password signs out every other
	// device holding an older one.
	Stamp       string
	CreatedAt   time.Time
	LastLoginAt time.Time
}

// The genders a profile may state; "" means not stated.
const (
	GenderMale   = "male"
	GenderFemale = "female"
)

// MaxNicknameLen is the longest nickname, in characters.
const MaxNicknameLen = 20

// MaskedPhone shows the phone number with its middle four digits hidden
// (138****8000), as member pages and order lists display it.
func (c *Customer) MaskedPhone() string { return MaskPhone(c.Phone) }

// DisplayName is the nickname, or the masked phone number without one.
func (c *Customer) DisplayName() string {
	if c.Nickname != "" {
		return c.Nickname
	}
	return c.MaskedPhone()
}

// MaskPhone hides the middle four digits of an 11-digit number; anything
// else is masked but for its last two characters.
func MaskPhone(phone string) string {
	if len(phone) == 11 {
		return phone[:3] + "****" + phone[7:]
	}
	if len(phone) <= 2 {
		return strings.Repeat("*", len(phone))
	}
	return strings.Repeat("*", len(phone)-2) + phone[len(phone)-2:]
}

// ValidatePhone normalises a mainland mobile number and checks it: spaces,
// dashes, dots and brackets are dropped, a leading +86, 0086 or 86 country
// code is removed, and what is left must be 11 digits matching
// ^1[3-9]\d{9}$. It returns the 11 digits.
func ValidatePhone(phone string) (string, error) {
	var b strings.Builder
	for i, r := range strings.TrimSpace(phone) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')' || r == '\u00a0' || r == '\u3000':
		default:
			return "", Invalid("phone", "account.phone_invalid")
		}
	}
	s := b.String()
	switch {
	case s == "":
		return "", Invalid("phone", "validation.required")
	case strings.HasPrefix(s, "+86"):
		s = s[3:]
	case strings.HasPrefix(s, "0086") && len(s) == 15:
		s = s[4:]
	case strings.HasPrefix(s, "86") && len(s) == 13:
		s = s[2:]
	}
	if len(s) != 11 || s[0] != '1' || s[1] < '3' || s[1] > '9' {
		return "", Invalid("phone", "account.phone_invalid")
	}
	for i := 2; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", Invalid("phone", "account.phone_invalid")
		}
	}
	return s, nil
}

// validNewPassword adds field's error when password is unfit as a password.
func validNewPassword(v *ValidationErrors, field, password string) {
	if utf8.RuneCountInString(password) < MinPasswordLen {
		v.Add(field, "validation.password_short", "min", MinPasswordLen)
	} else if len(password) > 256 {
		v.Add(field, "validation.too_long")
	}
}

// ValidateCustomerSignup checks a registration form and returns the
// normalised phone number.
func ValidateCustomerSignup(phone, password, confirm string) (string, error) {
	var v ValidationErrors
	p, err := ValidatePhone(phone)
	if err != nil {
		var ve *ValidationError
		errors.As(err, &ve)
		v = append(v, ve)
	}
	validNewPassword(&v, "password", password)
	if confirm != password {
		v.Add("confirm", "validation.password_mismatch")
	}
	return p, v.Err()
}

// ValidateNewPassword checks a replacement password and its confirmation.
func ValidateNewPassword(password, confirm string) error {
	var v ValidationErrors
	validNewPassword(&v, "password", password)
	if confirm != password {
		v.Add("confirm", "validation.password_mismatch")
	}
	return v.Err()
}

// RegisterCustomer creates an account. A phone number already registered
// gives a validation error on "phone" (account.phone_taken), also when two
// registrations of one number race. The welcome messages, if any, are sent
// in the same transaction: an invalid one fails the registration.
func (db *DB) RegisterCustomer(ctx context.Context, phone, password string, welcome ...MessageInput) (*Customer, error) {
	return db.registerCustomer(ctx, phone, password, "", nil, welcome)
}

// registerCustomer creates the account, with its nickname and an outside
// identity linked when given, and sends the welcome messages, all in one
// transaction.
func (db *DB) registerCustomer(ctx context.Context, phone, password, nickname string, id *Identity, welcome []MessageInput) (*Customer, error) {
	p, err := ValidateCustomerSignup(phone, password, password)
	if err != nil {
		return nil, err
	}
	// Hash outside the write transaction: argon2 takes tens of milliseconds
	// and the single writer must not wait on it.
	hash, err := HashPassword(password)
	if err != nil {
		return nil, err
	}
	now := db.now()
	var cid int64
	err = db.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO customers (phone, password_hash, nickname, created_at, last_login_at)
			VALUES (?, ?, ?, ?, ?)`, p, hash, nickname, now.Unix(), now.Unix())
		if isUnique(err) {
			return Invalid("phone", "account.phone_taken")
		}
		if err != nil {
			return err
		}
		if cid, err = res.LastInsertId(); err != nil {
			return err
		}
		if id != nil {
			if err := db.linkIdentityTx(ctx, tx, cid, *id); err != nil {
				return err
			}
		}
		// A visitor who came by a share link is bound now when the shop
		// binds on registration, or on the first visit (they were a guest).
		if code := ReferralFrom(ctx); code != "" {
			s := distSettingsTx(ctx, tx)
			if s.BindOn == BindRegister || s.BindOn == BindClick {
				if _, err := bindByCodeTx(ctx, tx, &s, cid, code, s.BindOn, now.Unix()); err != nil {
					return err
				}
			}
		}
		for _, m := range welcome {
			if _, err := db.sendMessageTx(ctx, tx, cid, m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("register customer: %w", err)
	}
	return &Customer{ID: cid, Phone: p, Nickname: nickname, Stamp: stampOf(hash), CreatedAt: now, LastLoginAt: now}, nil
}

// stampOf derives a session stamp from a password hash: it changes with the
// hash and reveals nothing usable about it.
func stampOf(hash string) string {
	sum := sha256.Sum256([]byte("xiaodian-session-stamp:" + hash))
	return hex.EncodeToString(sum[:8])
}

// AuthenticateCustomer checks a phone number and password and records the
// login. An unknown or malformed number takes as long as a wrong password,
// and a disabled account is refused with the same ErrBadCredentials.
func (db *DB) AuthenticateCustomer(ctx context.Context, phone, password string) (*Customer, error) {
	p, perr := ValidatePhone(phone)
	var id int64
	var hash string
	var disabled bool
	err := sql.ErrNoRows
	if perr == nil {
		err = db.r.QueryRowContext(ctx, `SELECT id, password_hash, disabled FROM customers WHERE phone = ?`, p).
			Scan(&id, &hash, &disabled)
	}
	if errors.Is(err, sql.ErrNoRows) {
		CheckPassword(dummyHash(), password)
		return nil, ErrBadCredentials
	}
	if err != nil {
		return nil, fmt.Errorf("authenticate customer: %w", err)
	}
	if !CheckPassword(hash, password) || disabled {
		return nil, ErrBadCredentials
	}
	err = db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE customers SET last_login_at = ? WHERE id = ?`, db.now().Unix(), id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("authenticate customer: %w", err)
	}
	return db.CustomerByID(ctx, id)
}

// CustomerByID returns one customer, disabled or not.
func (db *DB) CustomerByID(ctx context.Context, id int64) (*Customer, error) {
	version := db.Version()
	if c, ok := db.customerMemo.get(version, id); ok {
		return &c, nil
	}
	var c Customer
	var hash string
	var created int64
	var last sql.NullInt64
	err := db.r.QueryRowContext(ctx, `SELECT id, phone, password_hash, nickname, avatar, gender, birthday, disabled,
		created_at, last_login_at FROM customers WHERE id = ?`, id).
		Scan(&c.ID, &c.Phone, &hash, &c.Nickname, &c.Avatar, &c.Gender, &c.Birthday, &c.Disabled, &created, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("customer: %w", err)
	}
	c.Stamp = stampOf(hash)
	c.CreatedAt = time.Unix(created, 0)
	if last.Valid {
		c.LastLoginAt = time.Unix(last.Int64, 0)
	}
	db.customerMemo.put(version, id, c)
	return &c, nil
}

// CustomerProfile is what a customer may edit about themselves.
type CustomerProfile struct {
	Nickname string
	Gender   string // "", GenderMale or GenderFemale
	Birthday string // YYYY-MM-DD, or ""
}

// Validate checks and normalises the profile in place.
func (p *CustomerProfile) Validate(now time.Time) error {
	var v ValidationErrors
	p.Nickname = strings.TrimSpace(p.Nickname)
	switch {
	case utf8.RuneCountInString(p.Nickname) > MaxNicknameLen:
		v.Add("nickname", "validation.max_len", "max", MaxNicknameLen)
	case !utf8.ValidString(p.Nickname) || strings.ContainsFunc(p.Nickname, func(r rune) bool {
		return unicode.IsControl(r) || unicode.Is(unicode.Cf, r)
	}):
		v.Add("nickname", "account.nickname_invalid")
	}
	switch p.Gender {
	case "", GenderMale, GenderFemale:
	default:
		v.Add("gender", "account.gender_invalid")
	}
	p.Birthday = strings.TrimSpace(p.Birthday)
	if p.Birthday != "" {
		d, err := time.Parse(time.DateOnly, p.Birthday)
		today := now.Format(time.DateOnly)
		switch {
		case err != nil:
			v.Add("birthday", "account.birthday_invalid")
		case d.Year() < 1900 || p.Birthday > today:
			v.Add("birthday", "account.birthday_range")
		}
	}
	return v.Err()
}

// UpdateCustomerProfile saves a customer's nickname, gender and birthday.
func (db *DB) UpdateCustomerProfile(ctx context.Context, id int64, p CustomerProfile) error {
	if err := p.Validate(db.now()); err != nil {
		return err
	}
	return db.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE customers SET nickname = ?, gender = ?, birthday = ? WHERE id = ?`,
			p.Nickname, p.Gender, p.Birthday, id)
		if err != nil {
			return fmt.Errorf("update customer profile: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
}

// ChangeCustomerPassword replaces a customer's password after checking the
// current one: a wrong one is a validation error on "old"
// (account.old_password_wrong). It returns the account's new Stamp, which
// every older session lacks.
func (db *DB) ChangeCustomerPassword(ctx context.Context, id int64, old, password string) (string, error) {
	var v ValidationErrors
	validNewPassword(&v, "password", password)
	if err := v.Err(); err != nil {
		return "", err
	}
	var hash string
	err := db.r.QueryRowContext(ctx, `SELECT password_hash FROM customers WHERE id = ?`, id).Scan(&hash)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("change customer password: %w", err)
	}
	if !CheckPassword(hash, old) {
		return "", Invalid("old", "account.old_password_wrong")
	}
	if old == password {
		return "", Invalid("password", "account.password_unchanged")
	}
	newHash, err := HashPassword(password)
	if err != nil {
		return "", err
	}
	err = db.Write(ctx, func(tx *sql.Tx) error {
		// Guarded on the hash just checked: of two concurrent changes made
		// with the same old password, only one succeeds.
		res, err := tx.ExecContext(ctx, `UPDATE customers SET password_hash = ? WHERE id = ? AND password_hash = ?`,
			newHash, id, hash)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrConflict
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("change customer password: %w", err)
	}
	return stampOf(newHash), nil
}

// SetCustomerDisabled disables or re-enables an account. A disabled
// customer cannot sign in, and their open sessions stop working.
func (db *DB) SetCustomerDisabled(ctx context.Context, id int64, disabled bool) error {
	return db.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE customers SET disabled = ? WHERE id = ?`, disabled, id)
		if err != nil {
			return fmt.Errorf("set customer disabled: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
}
