package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// sessionRow is a session as the memo keeps it.
type sessionRow struct {
	data    []byte
	expires int64
}

// SessionData returns the encoded data of a live session (the caller must
// not modify it). Until the next write it is read from memory.
func (db *DB) SessionData(ctx context.Context, id string) ([]byte, error) {
	now := db.now().Unix()
	version := db.Version()
	if s, ok := db.sessionMemo.get(version, id); ok {
		if s.expires <= now {
			return nil, ErrNotFound
		}
		return s.data, nil
	}
	var s sessionRow
	err := db.r.QueryRowContext(ctx, `SELECT data, expires_at FROM sessions WHERE id = ? AND expires_at > ?`, id, now).Scan(&s.data, &s.expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	db.sessionMemo.put(version, id, s)
	return s.data, nil
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
