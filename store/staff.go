package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Staff is a back-office account.
type Staff struct {
	ID          int64
	Username    string
	Name        string
	Role        string // "owner" for now; roles come with later issues
	Disabled    bool
	CreatedAt   time.Time
	LastLoginAt time.Time
}

// MinPasswordLen is the shortest password accepted for any account.
const MinPasswordLen = 8

// ValidateCredentials checks a new username and password.
func ValidateCredentials(username, password, confirm string) error {
	var v ValidationErrors
	username = strings.TrimSpace(username)
	switch {
	case username == "":
		v.Add("username", "validation.required")
	case utf8.RuneCountInString(username) > 32 || strings.ContainsAny(username, " \t\r\n"):
		v.Add("username", "validation.username")
	}
	if utf8.RuneCountInString(password) < MinPasswordLen {
		v.Add("password", "validation.password_short", "min", MinPasswordLen)
	} else if len(password) > 256 {
		v.Add("password", "validation.too_long")
	}
	if confirm != password {
		v.Add("confirm", "validation.password_mismatch")
	}
	return v.Err()
}

// HasOwner reports whether any staff account exists.
func (db *DB) HasOwner(ctx context.Context) (bool, error) {
	var n int
	if err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM staff`).Scan(&n); err != nil {
		return false, fmt.Errorf("has owner: %w", err)
	}
	return n > 0, nil
}

// CreateOwner creates the first staff account. It refuses with ErrConflict
// once any staff account exists, so the setup page cannot be replayed.
func (db *DB) CreateOwner(ctx context.Context, username, password string) (*Staff, error) {
	if err := ValidateCredentials(username, password, password); err != nil {
		return nil, err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return nil, err
	}
	username = strings.TrimSpace(username)
	now := db.now()
	var id int64
	err = db.Write(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM staff`).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return ErrConflict
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO staff (username, name, password_hash, role, created_at)
			VALUES (?, ?, ?, 'owner', ?)`, username, username, hash, now.Unix())
		if err != nil {
			return err
		}
		id, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create owner: %w", err)
	}
	return &Staff{ID: id, Username: username, Name: username, Role: "owner", CreatedAt: now}, nil
}

// StaffByID returns one staff account.
func (db *DB) StaffByID(ctx context.Context, id int64) (*Staff, error) {
	return db.staffWhere(ctx, `id = ?`, id)
}

// StaffByUsername returns one staff account.
func (db *DB) StaffByUsername(ctx context.Context, username string) (*Staff, error) {
	return db.staffWhere(ctx, `username = ?`, strings.TrimSpace(username))
}

func (db *DB) staffWhere(ctx context.Context, where string, arg any) (*Staff, error) {
	var s Staff
	var created int64
	var last sql.NullInt64
	err := db.r.QueryRowContext(ctx, `SELECT id, username, name, role, disabled, created_at, last_login_at
		FROM staff WHERE `+where, arg).Scan(&s.ID, &s.Username, &s.Name, &s.Role, &s.Disabled, &created, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("staff: %w", err)
	}
	s.CreatedAt = time.Unix(created, 0)
	if last.Valid {
		s.LastLoginAt = time.Unix(last.Int64, 0)
	}
	return &s, nil
}

// ErrBadCredentials is returned by AuthenticateStaff for a wrong username or
// password (deliberately the same error for both).
var ErrBadCredentials = errors.New("store: bad credentials")

// AuthenticateStaff checks a username and password and records the login.
// It takes the same time whether or not the account exists.
func (db *DB) AuthenticateStaff(ctx context.Context, username, password string) (*Staff, error) {
	var id int64
	var hash string
	var disabled bool
	err := db.r.QueryRowContext(ctx, `SELECT id, password_hash, disabled FROM staff WHERE username = ?`,
		strings.TrimSpace(username)).Scan(&id, &hash, &disabled)
	if errors.Is(err, sql.ErrNoRows) {
		CheckPassword(dummyHash(), password)
		return nil, ErrBadCredentials
	}
	if err != nil {
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	if !CheckPassword(hash, password) || disabled {
		return nil, ErrBadCredentials
	}
	err = db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE staff SET last_login_at = ? WHERE id = ?`, db.now().Unix(), id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	return db.StaffByID(ctx, id)
}

// SetStaffPassword replaces a staff account's password (the `admin passwd` command).
func (db *DB) SetStaffPassword(ctx context.Context, username, password string) error {
	if err := ValidateCredentials(username, password, password); err != nil {
		return err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	return db.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE staff SET password_hash = ? WHERE username = ?`, hash, strings.TrimSpace(username))
		if err != nil {
			return fmt.Errorf("set password: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		// Sign every session of this account out: their data is opaque here,
		// so drop them all; staff simply log in again.
		_, err = tx.ExecContext(ctx, `DELETE FROM sessions`)
		return err
	})
}

// LoginWindow and LoginMaxFailures bound password guessing: at most
// LoginMaxFailures failed attempts per key within LoginWindow.
const (
	LoginWindow      = 15 * time.Minute
	LoginMaxFailures = 5
	LoginMaxPerIP    = 20
)

// LoginBlocked reports whether any of keys has reached its failure limit
// (limit applies to every key) and how long until the oldest failure in the
// window expires.
func (db *DB) LoginBlocked(ctx context.Context, key string, limit int) (bool, time.Duration, error) {
	since := db.now().Add(-LoginWindow).Unix()
	var n int
	var oldest sql.NullInt64
	err := db.r.QueryRowContext(ctx, `SELECT COUNT(*), MIN(at) FROM login_failures WHERE key = ? AND at > ?`, key, since).Scan(&n, &oldest)
	if err != nil {
		return false, 0, fmt.Errorf("login blocked: %w", err)
	}
	if n < limit {
		return false, 0, nil
	}
	wait := time.Unix(oldest.Int64, 0).Add(LoginWindow).Sub(db.now())
	return true, max(wait, time.Minute), nil
}

// RecordLoginFailure counts one failed attempt for each key and forgets
// attempts older than the window.
func (db *DB) RecordLoginFailure(ctx context.Context, keys ...string) error {
	now := db.now()
	return db.Write(ctx, func(tx *sql.Tx) error {
		for _, k := range keys {
			if _, err := tx.ExecContext(ctx, `INSERT INTO login_failures (key, at) VALUES (?, ?)`, k, now.Unix()); err != nil {
				return fmt.Errorf("record login failure: %w", err)
			}
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE at <= ?`, now.Add(-LoginWindow).Unix())
		return err
	})
}

// ClearLoginFailures forgets the failures of key after a successful login.
func (db *DB) ClearLoginFailures(ctx context.Context, key string) error {
	return db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE key = ?`, key)
		return err
	})
}
