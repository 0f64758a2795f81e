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

// Message kinds.
const (
	MessageSystem     = "system"
	MessageOrder      = "order"
	MessageCommission = "commission"
)

// Message limits, in characters.
const (
	MaxMessageTitle = 40
	MaxMessageBody  = 500
)

// MessageInput is a message to send. Link is a local path ("/orders/7") or
// empty; anything else is refused.
type MessageInput struct {
	Kind  string // Message*; "" = MessageSystem
	Title string
	Body  string
	Link  string
}

// Message is an in-site message (站内信) of one customer.
type Message struct {
	ID         int64
	CustomerID int64
	Kind       string
	Title      string
	Body       string
	Link       string // local path; "" = none
	CreatedAt  time.Time
	ReadAt     time.Time // zero = unread
}

// Unread reports whether the customer has not opened the message yet.
func (m Message) Unread() bool { return m.ReadAt.IsZero() }

// validateMessage checks and normalises in: a title of 1 to MaxMessageTitle
// characters, a body of at most MaxMessageBody, a known kind, a local link.
func validateMessage(in MessageInput) (MessageInput, error) {
	in.Title, in.Body, in.Link = strings.TrimSpace(in.Title), strings.TrimSpace(in.Body), strings.TrimSpace(in.Link)
	if in.Kind == "" {
		in.Kind = MessageSystem
	}
	var v ValidationErrors
	switch in.Kind {
	case MessageSystem, MessageOrder, MessageCommission:
	default:
		v.Add("kind", "message.bad_kind")
	}
	if n := utf8.RuneCountInString(in.Title); n == 0 {
		v.Add("title", "validation.required")
	} else if n > MaxMessageTitle {
		v.Add("title", "validation.max_len", "max", MaxMessageTitle)
	}
	if utf8.RuneCountInString(in.Body) > MaxMessageBody {
		v.Add("body", "validation.max_len", "max", MaxMessageBody)
	}
	if in.Link != "" && SafeLink(in.Link) != in.Link {
		v.Add("link", "message.bad_link")
	}
	if len(v) > 0 {
		return in, v
	}
	return in, nil
}

// SendMessage sends a message to the customer and returns its id. An
// invalid message is refused with ValidationErrors and writes nothing.
func (db *DB) SendMessage(ctx context.Context, customerID int64, in MessageInput) (int64, error) {
	var id int64
	err := db.Write(ctx, func(tx *sql.Tx) error {
		var err error
		id, err = db.sendMessageTx(ctx, tx, customerID, in)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("send message: %w", err)
	}
	return id, nil
}

// sendMessageTx sends a message inside the caller's write transaction, so
// it is kept exactly when the event it tells of is (a registration, an
// order, a commission).
func (db *DB) sendMessageTx(ctx context.Context, tx *sql.Tx, customerID int64, in MessageInput) (int64, error) {
	in, err := validateMessage(in)
	if err != nil {
		return 0, err
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO messages (customer_id, kind, title, body, link, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, customerID, in.Kind, in.Title, in.Body, in.Link, db.now().UnixNano())
	if err != nil {
		return 0, fmt.Errorf("insert message: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("insert message: %w", err)
	}
	return id, nil
}

const messageColumns = `id, customer_id, kind, title, body, link, created_at, read_at`

func scanMessage(row interface{ Scan(...any) error }) (Message, error) {
	var m Message
	var created int64
	var read sql.NullInt64
	if err := row.Scan(&m.ID, &m.CustomerID, &m.Kind, &m.Title, &m.Body, &m.Link, &created, &read); err != nil {
		return m, err
	}
	m.CreatedAt = time.Unix(0, created)
	if read.Valid {
		m.ReadAt = time.Unix(0, read.Int64)
	}
	return m, nil
}

// Messages is one page of the customer's messages, newest first, and the
// number of them.
func (db *DB) Messages(ctx context.Context, customerID int64, offset, limit int) ([]Message, int, error) {
	if limit <= 0 || offset < 0 {
		return nil, 0, errors.New("messages: bad page")
	}
	var total int
	if err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM messages WHERE customer_id = ?`, customerID).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("messages: %w", err)
	}
	rows, err := db.r.QueryContext(ctx, `SELECT `+messageColumns+` FROM messages WHERE customer_id = ?
		ORDER BY id DESC LIMIT ? OFFSET ?`, customerID, limit, offset)
	if err != nil {
		return nil, 0, fmt.Errorf("messages: %w", err)
	}
	defer rows.Close()
	var out []Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("messages: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("messages: %w", err)
	}
	return out, total, nil
}

// UnreadMessages is the number of the customer's unread messages.
func (db *DB) UnreadMessages(ctx context.Context, customerID int64) (int, error) {
	var n int
	if err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM messages WHERE customer_id = ? AND read_at IS NULL`,
		customerID).Scan(&n); err != nil {
		return 0, fmt.Errorf("unread messages: %w", err)
	}
	return n, nil
}

// MessageByID is one of the customer's messages; another customer's
// message, like a missing one, is ErrNotFound.
func (db *DB) MessageByID(ctx context.Context, customerID, id int64) (*Message, error) {
	m, err := scanMessage(db.r.QueryRowContext(ctx, `SELECT `+messageColumns+` FROM messages
		WHERE id = ? AND customer_id = ?`, id, customerID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("message %d: %w", id, err)
	}
	return &m, nil
}

// MarkMessageRead marks one of the customer's messages read; one already
// read keeps its time. Another customer's message is ErrNotFound.
func (db *DB) MarkMessageRead(ctx context.Context, customerID, id int64) error {
	return db.Write(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM messages WHERE id = ? AND customer_id = ?`,
			id, customerID).Scan(&n); err != nil {
			return fmt.Errorf("mark message read: %w", err)
		}
		if n == 0 {
			return ErrNotFound
		}
		if _, err := tx.ExecContext(ctx, `UPDATE messages SET read_at = ?
			WHERE id = ? AND customer_id = ? AND read_at IS NULL`, db.now().UnixNano(), id, customerID); err != nil {
			return fmt.Errorf("mark message read: %w", err)
		}
		return nil
	})
}

// MarkAllMessagesRead marks every unread message of the customer read.
func (db *DB) MarkAllMessagesRead(ctx context.Context, customerID int64) error {
	return db.Write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE messages SET read_at = ? WHERE customer_id = ? AND read_at IS NULL`,
			db.now().UnixNano(), customerID); err != nil {
			return fmt.Errorf("mark all messages read: %w", err)
		}
		return nil
	})
}
