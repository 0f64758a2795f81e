package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// SessionData returns the encoded data of a live session.
func (db *DB) SessionData(ctx context.Context, id string) ([]byte, error) {
	var data []byte
	err := db.r.QueryRowContext(ctx, `SELECT data FROM sessions WHERE id = ? AND expires_at > ?`, id, db.now().Unix()).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	return data, nil
}

// SaveSession stores (or replaces) a session's data until expires.
func (db *DB) SaveSession(ctx context.Context, id string, data []byte, expires time.Time) error {
	return db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sessions (id, data, expires_at) VALUES (?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at`,
			id, data, expires.Unix())
		if err != nil {
			return fmt.Errorf("save session: %w", err)
		}
		return nil
	})
}

// DeleteSession removes a session (logout, or rotation at login).
func (db *DB) DeleteSession(ctx context.Context, id string) error {
	return db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id = ?`, id)
		return err
	})
}

// PurgeSessions deletes expired sessions and returns how many went.
func (db *DB) PurgeSessions(ctx context.Context) (int64, error) {
	var n int64
	err := db.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ?`, db.now().Unix())
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}
