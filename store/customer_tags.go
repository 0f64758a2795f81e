package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Customer tags (客户标签): labels the shop puts on its customers (新客,
// 老客户, VIP...) to find them again and to reach them as a group (a coupon
// granted to a tag). A tag has a unique name and an optional colour from a
// small palette; a customer carries a tag at most once.

// Tag is one customer tag.
type Tag struct {
	ID        int64
	Name      string
	Color     string // one of TagColors, "" for none
	Customers int    // how many customers carry it (Tags fills it)
	CreatedAt time.Time
}

// TagColors is the palette a tag's colour comes from.
var TagColors = []string{"red", "orange", "gold", "green", "cyan", "blue", "purple", "grey"}

// Limits of tags.
const (
	MaxTagName    = 12   // characters
	MaxTags       = 200  // tags in the shop
	MaxTagBatch   = 1000 // customers tagged or untagged at once
	maxTagsPerRow = 50   // tags shown on one customer (all, in practice)
)

// ParseTagName checks a tag name as typed: spaces around it are dropped,
// inner runs of spaces become one; it must then be 1 to MaxTagName
// characters with no control characters.
func ParseTagName(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", Invalid("name", "tags.err.name_chars")
	}
	name := strings.Join(strings.Fields(s), " ")
	if name == "" {
		return "", Invalid("name", "tags.err.name_empty")
	}
	if utf8.RuneCountInString(name) > MaxTagName {
		return "", Invalid("name", "tags.err.name_long", "max", MaxTagName)
	}
	for _, r := range name {
		if unicode.IsControl(r) || r == unicode.ReplacementChar || !unicode.IsPrint(r) && r != ' ' {
			return "", Invalid("name", "tags.err.name_chars")
		}
	}
	return name, nil
}

// validTag checks a name and colour; the name comes back cleaned.
func validTag(name, color string) (string, error) {
	var v ValidationErrors
	n, err := ParseTagName(name)
	if err != nil {
		v = append(v, err.(*ValidationError))
	}
	if color != "" && !slices.Contains(TagColors, color) {
		v.Add("color", "tags.err.color")
	}
	return n, v.Err()
}

// CreateTag adds a tag; a name already used is refused.
func (db *DB) CreateTag(ctx context.Context, name, color string) (int64, error) {
	name, err := validTag(name, color)
	if err != nil {
		return 0, err
	}
	var id int64
	err = db.Write(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM customer_tags`).Scan(&n); err != nil {
			return fmt.Errorf("create tag: %w", err)
		}
		if n >= MaxTags {
			return Invalid("name", "tags.err.too_many", "max", MaxTags)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO customer_tags (name, color, created_at) VALUES (?, ?, ?)`,
			name, color, db.Now().Unix())
		if isUnique(err) {
			return Invalid("name", "tags.err.name_taken", "name", name)
		}
		if err != nil {
			return fmt.Errorf("create tag: %w", err)
		}
		id, err = res.LastInsertId()
		return err
	})
	return id, err
}

// UpdateTag renames a tag and sets its colour.
func (db *DB) UpdateTag(ctx context.Context, id int64, name, color string) error {
	name, err := validTag(name, color)
	if err != nil {
		return err
	}
	return db.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE customer_tags SET name = ?, color = ? WHERE id = ?`, name, color, id)
		if isUnique(err) {
			return Invalid("name", "tags.err.name_taken", "name", name)
		}
		if err != nil {
			return fmt.Errorf("update tag: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
}

// DeleteTag removes a tag and all its links in one transaction.
func (db *DB) DeleteTag(ctx context.Context, id int64) error {
	return db.Write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM customer_tag_links WHERE tag_id = ?`, id); err != nil {
			return fmt.Errorf("delete tag: %w", err)
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM customer_tags WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("delete tag: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
}

const tagCols = `t.id, t.name, t.color, t.created_at`

func scanTags(rows *sql.Rows, withCount bool) ([]Tag, error) {
	defer rows.Close()
	var out []Tag
	for rows.Next() {
		var t Tag
		var at int64
		dest := []any{&t.ID, &t.Name, &t.Color, &at}
		if withCount {
			dest = append(dest, &t.Customers)
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("tags: %w", err)
		}
		t.CreatedAt = time.Unix(at, 0)
		out = append(out, t)
	}
	return out, rows.Err()
}

// Tags lists every tag by name with how many customers carry it.
func (db *DB) Tags(ctx context.Context) ([]Tag, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+tagCols+`,
		(SELECT COUNT(*) FROM customer_tag_links l WHERE l.tag_id = t.id)
		FROM customer_tags t ORDER BY t.name`)
	if err != nil {
		return nil, fmt.Errorf("tags: %w", err)
	}
	return scanTags(rows, true)
}

// TagByID is one tag with its customer count.
func (db *DB) TagByID(ctx context.Context, id int64) (*Tag, error) {
	return TagTx(ctx, db.r, id)
}

// TagTx is TagByID inside a transaction (for plugins: a coupon granted
// to a tag reads it in its own write).
func TagTx(ctx context.Context, q interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}, id int64) (*Tag, error) {
	var t Tag
	var at int64
	err := q.QueryRowContext(ctx, `SELECT `+tagCols+`,
		(SELECT COUNT(*) FROM customer_tag_links l WHERE l.tag_id = t.id)
		FROM customer_tags t WHERE t.id = ?`, id).Scan(&t.ID, &t.Name, &t.Color, &at, &t.Customers)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("tag: %w", err)
	}
	t.CreatedAt = time.Unix(at, 0)
	return &t, nil
}

// cleanIDs drops non-positive and repeated ids, keeping the order.
func cleanIDs(ids []int64) []int64 {
	out := make([]int64, 0, len(ids))
	seen := make(map[int64]bool, len(ids))
	for _, id := range ids {
		if id > 0 && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// checkBatch refuses an empty or too large batch of customers.
func checkBatch(ids []int64) error {
	if len(ids) == 0 {
		return Invalid("customers", "tags.err.no_customers")
	}
	if len(ids) > MaxTagBatch {
		return Invalid("customers", "tags.err.too_many_customers", "max", MaxTagBatch)
	}
	return nil
}

// tagExistsTx refuses an unknown tag with a message (the tag may have been
// deleted while the form was open).
func tagExistsTx(ctx context.Context, tx *sql.Tx, tagID int64) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM customer_tags WHERE id = ?`, tagID).Scan(&n); err != nil {
		return fmt.Errorf("tag: %w", err)
	}
	if n == 0 {
		return Invalid("tag", "tags.err.unknown")
	}
	return nil
}

// TagCustomers puts the tag on each customer of ids; a customer who has
// it already keeps their link (tagging is idempotent, decided by the
// primary key, so two racing calls make one link). Unknown customers are
// refused and nothing changes. It returns how many links are new.
func (db *DB) TagCustomers(ctx context.Context, tagID int64, customerIDs []int64) (int, error) {
	ids := cleanIDs(customerIDs)
	if err := checkBatch(ids); err != nil {
		return 0, err
	}
	added := 0
	err := db.Write(ctx, func(tx *sql.Tx) error {
		added = 0
		if err := tagExistsTx(ctx, tx, tagID); err != nil {
			return err
		}
		now := db.Now().Unix()
		for _, id := range ids {
			res, err := tx.ExecContext(ctx, `INSERT INTO customer_tag_links (customer_id, tag_id, created_at)
				SELECT id, ?, ? FROM customers WHERE id = ?
				ON CONFLICT (customer_id, tag_id) DO NOTHING`, tagID, now, id)
			if err != nil {
				return fmt.Errorf("tag customers: %w", err)
			}
			n, _ := res.RowsAffected()
			if n == 0 {
				var known int
				if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM customers WHERE id = ?`, id).Scan(&known); err != nil {
					return fmt.Errorf("tag customers: %w", err)
				}
				if known == 0 {
					return Invalid("customers", "tags.err.unknown_customer", "id", id)
				}
			}
			added += int(n)
		}
		return nil
	})
	return added, err
}

// UntagCustomers takes the tag off each customer of ids (those without it
// are left alone); it returns how many links went.
func (db *DB) UntagCustomers(ctx context.Context, tagID int64, customerIDs []int64) (int, error) {
	ids := cleanIDs(customerIDs)
	if err := checkBatch(ids); err != nil {
		return 0, err
	}
	removed := 0
	err := db.Write(ctx, func(tx *sql.Tx) error {
		removed = 0
		if err := tagExistsTx(ctx, tx, tagID); err != nil {
			return err
		}
		for _, id := range ids {
			res, err := tx.ExecContext(ctx, `DELETE FROM customer_tag_links WHERE tag_id = ? AND customer_id = ?`, tagID, id)
			if err != nil {
				return fmt.Errorf("untag customers: %w", err)
			}
			n, _ := res.RowsAffected()
			removed += int(n)
		}
		return nil
	})
	return removed, err
}

// SetCustomerTags makes tagIDs the customer's tags: missing ones are added,
// the others removed, in one transaction. An unknown tag is refused.
func (db *DB) SetCustomerTags(ctx context.Context, customerID int64, tagIDs []int64) error {
	ids := cleanIDs(tagIDs)
	if len(ids) > MaxTags {
		return Invalid("tags", "tags.err.unknown")
	}
	return db.Write(ctx, func(tx *sql.Tx) error {
		var known int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM customers WHERE id = ?`, customerID).Scan(&known); err != nil {
			return fmt.Errorf("set customer tags: %w", err)
		}
		if known == 0 {
			return ErrNotFound
		}
		for _, id := range ids {
			if err := tagExistsTx(ctx, tx, id); err != nil {
				return err
			}
		}
		keep := make([]any, 0, len(ids)+1)
		keep = append(keep, customerID)
		marks := make([]string, len(ids))
		for i, id := range ids {
			keep = append(keep, id)
			marks[i] = "?"
		}
		del := `DELETE FROM customer_tag_links WHERE customer_id = ?`
		if len(ids) > 0 {
			del += ` AND tag_id NOT IN (` + strings.Join(marks, ",") + `)`
		}
		if _, err := tx.ExecContext(ctx, del, keep...); err != nil {
			return fmt.Errorf("set customer tags: %w", err)
		}
		now := db.Now().Unix()
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, `INSERT INTO customer_tag_links (customer_id, tag_id, created_at) VALUES (?, ?, ?)
				ON CONFLICT (customer_id, tag_id) DO NOTHING`, customerID, id, now); err != nil {
				return fmt.Errorf("set customer tags: %w", err)
			}
		}
		return nil
	})
}

// CustomerTags lists a customer's tags by name.
func (db *DB) CustomerTags(ctx context.Context, customerID int64) ([]Tag, error) {
	m, err := db.CustomersTags(ctx, []int64{customerID})
	return m[customerID], err
}

// CustomersTags gives the tags of each customer of ids (for a list page),
// by name.
func (db *DB) CustomersTags(ctx context.Context, customerIDs []int64) (map[int64][]Tag, error) {
	ids := cleanIDs(customerIDs)
	out := make(map[int64][]Tag, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	marks := make([]string, len(ids))
	for i, id := range ids {
		args[i], marks[i] = id, "?"
	}
	rows, err := db.r.QueryContext(ctx, `SELECT l.customer_id, `+tagCols+` FROM customer_tag_links l
		JOIN customer_tags t ON t.id = l.tag_id
		WHERE l.customer_id IN (`+strings.Join(marks, ",")+`) ORDER BY t.name`, args...)
	if err != nil {
		return nil, fmt.Errorf("customers' tags: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var cid, at int64
		var t Tag
		if err := rows.Scan(&cid, &t.ID, &t.Name, &t.Color, &at); err != nil {
			return nil, fmt.Errorf("customers' tags: %w", err)
		}
		t.CreatedAt = time.Unix(at, 0)
		if len(out[cid]) < maxTagsPerRow {
			out[cid] = append(out[cid], t)
		}
	}
	return out, rows.Err()
}

// TagCustomerIDs lists the ids of the customers of a tag, newest customer
// first, a page at a time, with how many there are in all.
func (db *DB) TagCustomerIDs(ctx context.Context, tagID int64, offset, limit int) ([]int64, int, error) {
	var ids []int64
	var total int
	err := db.Read(ctx, func(tx *sql.Tx) error {
		var err error
		ids, total, err = TagCustomerIDsTx(ctx, tx, tagID, offset, limit)
		return err
	})
	return ids, total, err
}

// TagCustomerIDsTx is TagCustomerIDs inside a transaction, so that a
// plugin (the coupon granted to a tag) reads the tag's customers in the
// same write that acts on them.
func TagCustomerIDsTx(ctx context.Context, tx *sql.Tx, tagID int64, offset, limit int) ([]int64, int, error) {
	var total int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM customer_tag_links WHERE tag_id = ?`, tagID).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("tag customers: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT customer_id FROM customer_tag_links WHERE tag_id = ?
		ORDER BY customer_id DESC LIMIT ? OFFSET ?`, tagID, limit, offset)
	if err != nil {
		return nil, 0, fmt.Errorf("tag customers: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, 0, fmt.Errorf("tag customers: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, total, rows.Err()
}
