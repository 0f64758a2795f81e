package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"unicode/utf8"
)

// Identities: a customer's accounts elsewhere (a WeChat OpenID under one
// AppID, namespace "wechat:<AppID>"), each linked to one phone account; and
// every customer's referral code, carried by the links they share.

// Identity is an outside account linked to a customer.
type Identity struct {
	Namespace string
	Subject   string
	UnionID   string
	Nickname  string
}

// ErrIdentityTaken is linking an identity that belongs to another customer,
// or a second identity of one namespace to a customer.
var ErrIdentityTaken = errors.New("store: identity linked to another account")

func (i Identity) valid() bool {
	ok := func(s string, n int) bool { return s != "" && len(s) <= n && utf8.ValidString(s) }
	return ok(i.Namespace, 80) && ok(i.Subject, 128) && len(i.UnionID) <= 128 && utf8.ValidString(i.UnionID)
}

// CustomerByIdentity returns the customer the identity is linked to.
func (db *DB) CustomerByIdentity(ctx context.Context, namespace, subject string) (*Customer, error) {
	var id int64
	err := db.r.QueryRowContext(ctx, `SELECT customer_id FROM customer_identities WHERE namespace = ? AND subject = ?`,
		namespace, subject).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("customer by identity: %w", err)
	}
	return db.CustomerByID(ctx, id)
}

// CustomerIdentities returns the customer's subjects by namespace.
func (db *DB) CustomerIdentities(ctx context.Context, customerID int64) (map[string]string, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT namespace, subject FROM customer_identities WHERE customer_id = ?`, customerID)
	if err != nil {
		return nil, fmt.Errorf("customer identities: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var ns, sub string
		if err := rows.Scan(&ns, &sub); err != nil {
			return nil, fmt.Errorf("customer identities: %w", err)
		}
		out[ns] = sub
	}
	return out, rows.Err()
}

// LinkIdentity links the identity to the customer. Linking it again to the
// same customer only refreshes the nickname; an identity of another
// customer, or a second one of the namespace, is ErrIdentityTaken.
func (db *DB) LinkIdentity(ctx context.Context, customerID int64, id Identity) error {
	if !id.valid() {
		return fmt.Errorf("link identity: malformed identity: %w", ErrConflict)
	}
	err := db.Write(ctx, func(tx *sql.Tx) error { return db.linkIdentityTx(ctx, tx, customerID, id) })
	if err != nil {
		return fmt.Errorf("link identity: %w", err)
	}
	return nil
}

func (db *DB) linkIdentityTx(ctx context.Context, tx *sql.Tx, customerID int64, id Identity) error {
	var owner int64
	err := tx.QueryRowContext(ctx, `SELECT customer_id FROM customer_identities WHERE namespace = ? AND subject = ?`,
		id.Namespace, id.Subject).Scan(&owner)
	switch {
	case err == nil && owner != customerID:
		return ErrIdentityTaken
	case err == nil:
		_, err := tx.ExecContext(ctx, `UPDATE customer_identities SET nickname = ?, union_id = ?, last_login_at = ?
			WHERE namespace = ? AND subject = ?`, cutRunes(id.Nickname, 64), id.UnionID, db.now().Unix(), id.Namespace, id.Subject)
		return err
	case !errors.Is(err, sql.ErrNoRows):
		return err
	}
	now := db.now().Unix()
	_, err = tx.ExecContext(ctx, `INSERT INTO customer_identities (customer_id, namespace, subject, union_id, nickname, created_at, last_login_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, customerID, id.Namespace, id.Subject, id.UnionID, cutRunes(id.Nickname, 64), now, now)
	if isUnique(err) {
		return ErrIdentityTaken // the customer has another subject in this namespace, or a racing link won
	}
	return err
}

// RegisterCustomerWithIdentity creates an account (like RegisterCustomer)
// and links the identity to it in the same transaction: both or neither.
// The account's nickname is the identity's when it has one.
func (db *DB) RegisterCustomerWithIdentity(ctx context.Context, phone, password string, id Identity, welcome ...MessageInput) (*Customer, error) {
	if !id.valid() {
		return nil, fmt.Errorf("register with identity: malformed identity: %w", ErrConflict)
	}
	return db.registerCustomer(ctx, phone, password, cutRunes(id.Nickname, MaxNicknameLen), &id, welcome)
}

// TouchIdentity records a sign-in through the identity.
func (db *DB) TouchIdentity(ctx context.Context, namespace, subject string) error {
	return db.Write(ctx, func(tx *sql.Tx) error {
		now := db.now().Unix()
		if _, err := tx.ExecContext(ctx, `UPDATE customer_identities SET last_login_at = ? WHERE namespace = ? AND subject = ?`,
			now, namespace, subject); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE customers SET last_login_at = ?
			WHERE id = (SELECT customer_id FROM customer_identities WHERE namespace = ? AND subject = ?)`, now, namespace, subject)
		return err
	})
}

// refAlphabet is the referral code alphabet: digits and upper-case letters
// without 0, O, 1, I and L, which people misread.
const refAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// RefCodeLen is the length of a referral code.
const RefCodeLen = 8

func newRefCode() string {
	b := make([]byte, RefCodeLen)
	rand.Read(b)
	for i := range b {
		b[i] = refAlphabet[int(b[i])%len(refAlphabet)]
	}
	return string(b)
}

// RefCode returns the customer's referral code, giving them one the first
// time.
func (db *DB) RefCode(ctx context.Context, customerID int64) (string, error) {
	var code sql.NullString
	err := db.r.QueryRowContext(ctx, `SELECT ref_code FROM customers WHERE id = ?`, customerID).Scan(&code)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("ref code: %w", err)
	}
	if code.Valid {
		return code.String, nil
	}
	err = db.Write(ctx, func(tx *sql.Tx) error {
		// Another request may have given one meanwhile.
		if err := tx.QueryRowContext(ctx, `SELECT ref_code FROM customers WHERE id = ?`, customerID).Scan(&code); err != nil {
			return err
		}
		if code.Valid {
			return nil
		}
		for range 8 {
			c := newRefCode()
			_, err := tx.ExecContext(ctx, `UPDATE customers SET ref_code = ? WHERE id = ?`, c, customerID)
			if isUnique(err) {
				continue
			}
			if err != nil {
				return err
			}
			code = sql.NullString{String: c, Valid: true}
			return nil
		}
		return fmt.Errorf("no free referral code: %w", ErrConflict)
	})
	if err != nil {
		return "", fmt.Errorf("ref code: %w", err)
	}
	return code.String, nil
}

// ValidRefCode reports whether s has the shape of a referral code.
func ValidRefCode(s string) bool {
	if len(s) != RefCodeLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		found := false
		for j := 0; j < len(refAlphabet); j++ {
			if s[i] == refAlphabet[j] {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// CustomerByRefCode returns the customer whose referral code is code.
func (db *DB) CustomerByRefCode(ctx context.Context, code string) (*Customer, error) {
	if !ValidRefCode(code) {
		return nil, ErrNotFound
	}
	var id int64
	err := db.r.QueryRowContext(ctx, `SELECT id FROM customers WHERE ref_code = ?`, code).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("customer by ref code: %w", err)
	}
	return db.CustomerByID(ctx, id)
}
