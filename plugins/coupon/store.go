package coupon

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xiaodian/xiaodian/store"
)

// Kinds of coupon.
const (
	KindAmount   = "amount"   // 满 X 减 Y
	KindPercent  = "percent"  // 满 X 打 N 折, with a cap
	KindShipping = "shipping" // 免运费 (满 X)
)

// Scopes of a coupon.
const (
	ScopeAll        = "all"
	ScopeProducts   = "products"
	ScopeCategories = "categories"
)

// Validity modes.
const (
	ValidFixed = "fixed" // from StartsAt to EndsAt
	ValidDays  = "days"  // Days days from the claim
)

// Channels: how customers get a coupon.
const (
	ChannelCentre  = "centre"  // claimed in the coupon centre (领券中心)
	ChannelGrant   = "grant"   // given by the shop (back office)
	ChannelNewUser = "newuser" // given on registration (新人券)
	ChannelOrder   = "order"   // given when an order is paid (下单返券)
)

// Coupon is one coupon the shop issues.
type Coupon struct {
	ID           int64
	Name         string
	Kind         string
	Threshold    store.Fen
	Amount       store.Fen
	Percent      int // the buyer pays Percent % (85 = 8.5折)
	Cap          store.Fen
	Scope        string
	ScopeExclude bool
	ScopeIDs     []int64
	Validity     string
	StartsAt     time.Time
	EndsAt       time.Time
	Days         int
	Total        int // 0 = unlimited
	Issued       int
	Used         int
	PerUser      int
	Channel      string
	Status       string // active, stopped
	CreatedAt    time.Time
}

// Left is how many copies can still be issued, -1 for unlimited.
func (c *Coupon) Left() int {
	if c.Total == 0 {
		return -1
	}
	return max(0, c.Total-c.Issued)
}

// Claimable reports whether copies can be issued now.
func (c *Coupon) Claimable(now time.Time) bool {
	if c.Status != "active" || c.Left() == 0 {
		return false
	}
	return c.Validity != ValidFixed || now.Before(c.EndsAt)
}

// covers reports whether a line of product in category (whose parent
// category is parent, 0 for none) is in the scope: a top-level category
// covers its subcategories.
func (c *Coupon) covers(productID, categoryID, parent int64) bool {
	var in bool
	switch c.Scope {
	case ScopeProducts:
		in = slices.Contains(c.ScopeIDs, productID)
	case ScopeCategories:
		in = slices.Contains(c.ScopeIDs, categoryID) || parent > 0 && slices.Contains(c.ScopeIDs, parent)
	default:
		return true
	}
	return in != c.ScopeExclude
}

// discount is what the coupon takes off base (Σ payable of the lines in
// scope), 0 when base is under the threshold. Shipping coupons take
// nothing here: the shipping filter removes the fee.
func (c *Coupon) discount(base store.Fen) store.Fen {
	if base <= 0 || base < c.Threshold {
		return 0
	}
	switch c.Kind {
	case KindAmount:
		return min(c.Amount, base)
	case KindPercent:
		off := base * store.Fen(100-c.Percent) / 100 // rounded down to the fen
		if c.Cap > 0 {
			off = min(off, c.Cap)
		}
		return off
	}
	return 0
}

const couponCols = `id, name, kind, threshold_fen, amount_fen, percent, cap_fen, scope, scope_exclude, scope_ids,
	validity, starts_at, ends_at, days, total, issued, used, per_user, channel, status, created_at`

type scanner interface{ Scan(dest ...any) error }

func scanCoupon(s scanner) (*Coupon, error) {
	var c Coupon
	var ids string
	var starts, ends, created int64
	if err := s.Scan(&c.ID, &c.Name, &c.Kind, &c.Threshold, &c.Amount, &c.Percent, &c.Cap, &c.Scope, &c.ScopeExclude, &ids,
		&c.Validity, &starts, &ends, &c.Days, &c.Total, &c.Issued, &c.Used, &c.PerUser, &c.Channel, &c.Status, &created); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(ids), &c.ScopeIDs); err != nil {
		return nil, fmt.Errorf("coupon %d scope: %w", c.ID, err)
	}
	c.StartsAt, c.EndsAt, c.CreatedAt = time.Unix(starts, 0), time.Unix(ends, 0), time.Unix(created, 0)
	return &c, nil
}

type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func couponTx(ctx context.Context, q queryer, id int64) (*Coupon, error) {
	c, err := scanCoupon(q.QueryRowContext(ctx, `SELECT `+couponCols+` FROM coupons WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	return c, err
}

func couponsTx(ctx context.Context, q queryer, where string, args ...any) ([]*Coupon, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+couponCols+` FROM coupons WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("coupons: %w", err)
	}
	defer rows.Close()
	var out []*Coupon
	for rows.Next() {
		c, err := scanCoupon(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Limits of the coupon form.
const (
	MaxName     = 30
	MaxScopeIDs = 200
	MaxDays     = 3650
	MaxTotal    = 10_000_000
	MaxPerUser  = 100
)

// validate checks a coupon as the form gives it.
func (c *Coupon) validate() error {
	var v store.ValidationErrors
	c.Name = strings.TrimSpace(c.Name)
	if n := utf8.RuneCountInString(c.Name); n < 1 || n > MaxName {
		v.Add("name", "coupon.err.name", "max", MaxName)
	}
	switch c.Kind {
	case KindAmount:
		if c.Amount <= 0 {
			v.Add("amount", "coupon.err.amount")
		} else if c.Threshold > 0 && c.Amount >= c.Threshold {
			v.Add("amount", "coupon.err.amount_threshold")
		}
	case KindPercent:
		if c.Percent < 1 || c.Percent > 99 {
			v.Add("percent", "coupon.err.percent")
		}
	case KindShipping:
	default:
		v.Add("kind", "coupon.err.kind")
	}
	if c.Threshold < 0 || c.Cap < 0 {
		v.Add("threshold", "coupon.err.money")
	}
	switch c.Scope {
	case ScopeAll:
		c.ScopeIDs, c.ScopeExclude = nil, false
	case ScopeProducts, ScopeCategories:
		if len(c.ScopeIDs) == 0 {
			v.Add("scope_ids", "coupon.err.scope_ids")
		} else if len(c.ScopeIDs) > MaxScopeIDs {
			v.Add("scope_ids", "coupon.err.scope_too_many", "max", MaxScopeIDs)
		}
	default:
		v.Add("scope", "coupon.err.scope")
	}
	switch c.Validity {
	case ValidFixed:
		if c.StartsAt.IsZero() || c.EndsAt.IsZero() || !c.EndsAt.After(c.StartsAt) {
			v.Add("ends_at", "coupon.err.window")
		}
	case ValidDays:
		if c.Days < 1 || c.Days > MaxDays {
			v.Add("days", "coupon.err.days", "max", MaxDays)
		}
	default:
		v.Add("validity", "coupon.err.validity")
	}
	if c.Total < 0 || c.Total > MaxTotal {
		v.Add("total", "coupon.err.total", "max", MaxTotal)
	}
	if c.PerUser < 1 || c.PerUser > MaxPerUser {
		v.Add("per_user", "coupon.err.per_user", "max", MaxPerUser)
	}
	switch c.Channel {
	case ChannelCentre, ChannelGrant, ChannelNewUser, ChannelOrder:
	default:
		v.Add("channel", "coupon.err.channel")
	}
	return v.Err()
}

// Save creates (ID 0) or updates a coupon; on a refusal nothing is
// written. An update cannot lower Total below what was issued.
func Save(ctx context.Context, db *store.DB, c *Coupon) (int64, error) {
	defer db.BumpCatalogue() // the strips on cached pages
	if err := c.validate(); err != nil {
		return 0, err
	}
	ids, err := json.Marshal(orEmpty(c.ScopeIDs))
	if err != nil {
		return 0, err
	}
	now := db.Now().Unix()
	var starts, ends int64
	if c.Validity == ValidFixed {
		starts, ends = c.StartsAt.Unix(), c.EndsAt.Unix()
	}
	id := c.ID
	err = db.Write(ctx, func(tx *sql.Tx) error {
		if id == 0 {
			res, err := tx.ExecContext(ctx, `INSERT INTO coupons (name, kind, threshold_fen, amount_fen, percent, cap_fen, scope,
				scope_exclude, scope_ids, validity, starts_at, ends_at, days, total, per_user, channel, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				c.Name, c.Kind, c.Threshold, c.Amount, c.Percent, c.Cap, c.Scope, c.ScopeExclude, string(ids),
				c.Validity, starts, ends, c.Days, c.Total, c.PerUser, c.Channel, now, now)
			if err != nil {
				return fmt.Errorf("save coupon: %w", err)
			}
			id, _ = res.LastInsertId()
			return nil
		}
		old, err := couponTx(ctx, tx, id)
		if err != nil {
			return err
		}
		if c.Total > 0 && c.Total < old.Issued {
			return store.Invalid("total", "coupon.err.total_below_issued", "issued", old.Issued)
		}
		_, err = tx.ExecContext(ctx, `UPDATE coupons SET name = ?, kind = ?, threshold_fen = ?, amount_fen = ?, percent = ?,
			cap_fen = ?, scope = ?, scope_exclude = ?, scope_ids = ?, validity = ?, starts_at = ?, ends_at = ?, days = ?,
			total = ?, per_user = ?, channel = ?, updated_at = ? WHERE id = ?`,
			c.Name, c.Kind, c.Threshold, c.Amount, c.Percent, c.Cap, c.Scope, c.ScopeExclude, string(ids),
			c.Validity, starts, ends, c.Days, c.Total, c.PerUser, c.Channel, now, id)
		if err != nil {
			return fmt.Errorf("save coupon: %w", err)
		}
		return nil
	})
	return id, err
}

func orEmpty(ids []int64) []int64 {
	if ids == nil {
		return []int64{}
	}
	return ids
}

// SetStatus stops (or starts again) a coupon: a stopped coupon cannot be
// claimed or granted; copies already held stay usable.
func SetStatus(ctx context.Context, db *store.DB, id int64, status string) error {
	defer db.BumpCatalogue()
	if status != "active" && status != "stopped" {
		return store.Invalid("status", "coupon.err.status")
	}
	return db.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE coupons SET status = ?, updated_at = ? WHERE id = ?`, status, db.Now().Unix(), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return store.ErrNotFound
		}
		return nil
	})
}

// Get returns one coupon.
func Get(ctx context.Context, db *store.DB, id int64) (c *Coupon, err error) {
	err = db.Read(ctx, func(tx *sql.Tx) error {
		c, err = couponTx(ctx, tx, id)
		return err
	})
	return c, err
}

// issueTx gives customerID one copy of coupon c from source, inside tx:
// refused when the coupon is stopped, over, past its window, or the
// customer already holds PerUser copies. The guarded UPDATE of issued is
// what keeps Total: two claims racing for the last copy never both win.
func issueTx(ctx context.Context, tx *sql.Tx, c *Coupon, customerID int64, source string, now time.Time) error {
	if !c.Claimable(now) {
		if c.Left() == 0 {
			return store.Invalid("coupon", "coupon.err.gone")
		}
		return store.Invalid("coupon", "coupon.err.not_claimable")
	}
	held, err := heldCountTx(ctx, tx, c, customerID)
	if err != nil {
		return err
	}
	if held >= c.PerUser {
		return store.Invalid("coupon", "coupon.err.limit", "n", c.PerUser)
	}
	res, err := tx.ExecContext(ctx, `UPDATE coupons SET issued = issued + 1 WHERE id = ? AND status = 'active'
		AND (total = 0 OR issued < total)`, c.ID)
	if err != nil {
		return fmt.Errorf("issue coupon: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return store.Invalid("coupon", "coupon.err.gone")
	}
	from, to := now, now.AddDate(0, 0, c.Days)
	if c.Validity == ValidFixed {
		from, to = c.StartsAt, c.EndsAt
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO customer_coupons (coupon_id, customer_id, valid_from, valid_to, source, claimed_at)
		VALUES (?, ?, ?, ?, ?, ?)`, c.ID, customerID, from.Unix(), to.Unix(), source, now.Unix()); err != nil {
		return fmt.Errorf("issue coupon: %w", err)
	}
	c.Issued++
	return nil
}

// heldCountTx is how many copies of c the customer holds (used or not).
func heldCountTx(ctx context.Context, tx *sql.Tx, c *Coupon, customerID int64) (int, error) {
	var held int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM customer_coupons WHERE coupon_id = ? AND customer_id = ?`,
		c.ID, customerID).Scan(&held); err != nil {
		return 0, fmt.Errorf("issue coupon: %w", err)
	}
	return held, nil
}

// Claim is a customer taking a coupon in the coupon centre.
func Claim(ctx context.Context, db *store.DB, customerID, couponID int64) error {
	return db.Write(ctx, func(tx *sql.Tx) error {
		c, err := couponTx(ctx, tx, couponID)
		if err != nil {
			return err
		}
		if c.Channel != ChannelCentre {
			return store.Invalid("coupon", "coupon.err.not_claimable")
		}
		return issueTx(ctx, tx, c, customerID, ChannelCentre, db.Now())
	})
}

// GrantResult is what a grant did.
type GrantResult struct {
	Granted int
	Limited int      // customers who already held PerUser copies: skipped
	Skipped []string // "phone: reason"
	Left    int      // copies left afterwards, -1 for unlimited
}

// SoldOut reports whether the grant gave the last copy.
func (g GrantResult) SoldOut() bool { return g.Left == 0 }

// MaxGrant is the most customers one grant reaches.
const MaxGrant = 1000

// grantTx gives one copy of c to each customer of ids (repeats counted
// once), inside tx: the one path of every back-office grant (by phone, by
// tag). A customer already at the per-user limit is skipped and returned
// in limited; when the coupon runs out before everyone has one the error
// is coupon.err.gone and the caller's transaction rolls back: a grant is
// all or nothing on Total.
func grantTx(ctx context.Context, tx *sql.Tx, c *Coupon, ids []int64, now time.Time) (granted int, limited []int64, err error) {
	seen := make(map[int64]bool, len(ids))
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		// At the limit is a skip even when the coupon has run out: it asks
		// for no copy.
		held, err := heldCountTx(ctx, tx, c, id)
		if err != nil {
			return 0, nil, err
		}
		if held >= c.PerUser {
			limited = append(limited, id)
			continue
		}
		if err := issueTx(ctx, tx, c, id, ChannelGrant, now); err != nil {
			var ve *store.ValidationError
			if errors.As(err, &ve) && ve.Key == "coupon.err.limit" {
				limited = append(limited, id)
				continue
			}
			return 0, nil, err
		}
		granted++
	}
	return granted, limited, nil
}

// Grant gives one copy to each customer (by phone number) in one
// transaction; a customer the coupon cannot reach (unknown number, limit
// reached) is skipped and named. No copy is given when the coupon runs
// out before everyone has one: the grant is all or nothing on Total.
func Grant(ctx context.Context, db *store.DB, couponID int64, phones []string, tr func(key string, args ...any) string) (GrantResult, error) {
	var out GrantResult
	if len(phones) == 0 {
		return out, store.Invalid("phones", "coupon.err.phones")
	}
	if len(phones) > MaxGrant {
		return out, store.Invalid("phones", "coupon.err.phones_too_many", "max", MaxGrant)
	}
	err := db.Write(ctx, func(tx *sql.Tx) error {
		out = GrantResult{}
		c, err := couponTx(ctx, tx, couponID)
		if err != nil {
			return err
		}
		var ids []int64
		phoneOf := map[int64]string{}
		for _, raw := range phones {
			phone, err := store.ValidatePhone(raw)
			if err != nil {
				out.Skipped = append(out.Skipped, raw+": "+tr("coupon.grant.bad_phone"))
				continue
			}
			var id int64
			err = tx.QueryRowContext(ctx, `SELECT id FROM customers WHERE phone = ?`, phone).Scan(&id)
			if errors.Is(err, sql.ErrNoRows) {
				out.Skipped = append(out.Skipped, phone+": "+tr("coupon.grant.unknown"))
				continue
			}
			if err != nil {
				return err
			}
			ids = append(ids, id)
			phoneOf[id] = phone
		}
		granted, limited, err := grantTx(ctx, tx, c, ids, db.Now())
		if err != nil {
			return err
		}
		out.Granted, out.Limited, out.Left = granted, len(limited), c.Left()
		for _, id := range limited {
			out.Skipped = append(out.Skipped, phoneOf[id]+": "+tr("coupon.err.limit", "n", c.PerUser))
		}
		return nil
	})
	return out, err
}

// GrantTag gives one copy to every customer of a customer tag, in one
// transaction, by the same rules as Grant. A tag of more than MaxGrant
// customers is refused whole (split it into smaller tags): the grant stays
// one all-or-nothing transaction.
func GrantTag(ctx context.Context, db *store.DB, couponID, tagID int64) (GrantResult, error) {
	var out GrantResult
	err := db.Write(ctx, func(tx *sql.Tx) error {
		out = GrantResult{}
		c, err := couponTx(ctx, tx, couponID)
		if err != nil {
			return err
		}
		tag, err := store.TagTx(ctx, tx, tagID)
		if errors.Is(err, store.ErrNotFound) {
			return store.Invalid("tag", "coupon.err.tag_unknown")
		}
		if err != nil {
			return err
		}
		if tag.Customers == 0 {
			return store.Invalid("tag", "coupon.err.tag_empty", "name", tag.Name)
		}
		if tag.Customers > MaxGrant {
			return store.Invalid("tag", "coupon.err.tag_too_big", "name", tag.Name, "n", tag.Customers, "max", MaxGrant)
		}
		ids, _, err := store.TagCustomerIDsTx(ctx, tx, tagID, 0, MaxGrant)
		if err != nil {
			return err
		}
		left := c.Left()
		granted, limited, err := grantTx(ctx, tx, c, ids, db.Now())
		var ve *store.ValidationError
		if errors.As(err, &ve) && ve.Key == "coupon.err.gone" && left >= 0 {
			return store.Invalid("tag", "coupon.err.tag_not_enough", "name", tag.Name, "n", tag.Customers, "left", left)
		}
		if err != nil {
			return err
		}
		out.Granted, out.Limited, out.Left = granted, len(limited), c.Left()
		return nil
	})
	return out, err
}

// issueChannelTx gives customerID one copy of every active coupon of
// channel (new-user gifts, order rewards) that can still reach them.
func issueChannelTx(ctx context.Context, tx *sql.Tx, channel string, customerID int64, now time.Time) (int, error) {
	cs, err := couponsTx(ctx, tx, `channel = ? AND status = 'active' ORDER BY id`, channel)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range cs {
		err := issueTx(ctx, tx, c, customerID, channel, now)
		var ve *store.ValidationError
		switch {
		case err == nil:
			n++
		case errors.As(err, &ve):
			// over, out of its window or already held: nothing to give
		default:
			return n, err
		}
	}
	return n, nil
}

// Held is a customer's copy of a coupon.
type Held struct {
	ID        int64
	Coupon    *Coupon
	Status    string // unused, used
	ValidFrom time.Time
	ValidTo   time.Time
	OrderID   int64
	UsedAt    time.Time
}

// State is how the copy stands at now: unused, used, expired or
// upcoming (not valid yet).
func (h *Held) State(now time.Time) string {
	switch {
	case h.Status == "used":
		return "used"
	case !now.Before(h.ValidTo):
		return "expired"
	case now.Before(h.ValidFrom):
		return "upcoming"
	}
	return "unused"
}

func heldTx(ctx context.Context, q queryer, where string, args ...any) ([]*Held, error) {
	rows, err := q.QueryContext(ctx, `SELECT h.id, h.status, h.valid_from, h.valid_to, COALESCE(h.order_id, 0), COALESCE(h.used_at, 0),
		`+prefixed("c.", couponCols)+` FROM customer_coupons h JOIN coupons c ON c.id = h.coupon_id WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("customer coupons: %w", err)
	}
	defer rows.Close()
	var out []*Held
	cache := map[int64]*Coupon{}
	for rows.Next() {
		var h Held
		var from, to, used int64
		var c Coupon
		var ids string
		var starts, ends, created int64
		if err := rows.Scan(&h.ID, &h.Status, &from, &to, &h.OrderID, &used,
			&c.ID, &c.Name, &c.Kind, &c.Threshold, &c.Amount, &c.Percent, &c.Cap, &c.Scope, &c.ScopeExclude, &ids,
			&c.Validity, &starts, &ends, &c.Days, &c.Total, &c.Issued, &c.Used, &c.PerUser, &c.Channel, &c.Status, &created); err != nil {
			return nil, fmt.Errorf("customer coupons: %w", err)
		}
		if cc, ok := cache[c.ID]; ok {
			h.Coupon = cc
		} else {
			if err := json.Unmarshal([]byte(ids), &c.ScopeIDs); err != nil {
				return nil, fmt.Errorf("coupon %d scope: %w", c.ID, err)
			}
			c.StartsAt, c.EndsAt, c.CreatedAt = time.Unix(starts, 0), time.Unix(ends, 0), time.Unix(created, 0)
			h.Coupon, cache[c.ID] = &c, &c
		}
		h.ValidFrom, h.ValidTo = time.Unix(from, 0), time.Unix(to, 0)
		if used > 0 {
			h.UsedAt = time.Unix(used, 0)
		}
		out = append(out, &h)
	}
	return out, rows.Err()
}

func prefixed(p, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = p + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

// usableTx are the customer's copies valid at now and not used, soonest
// to expire first.
func usableTx(ctx context.Context, q queryer, customerID int64, now time.Time) ([]*Held, error) {
	return heldTx(ctx, q, `h.customer_id = ? AND h.status = 'unused' AND h.valid_to > ? AND h.valid_from <= ?
		ORDER BY h.valid_to, h.id`, customerID, now.Unix(), now.Unix())
}

// Tabs of 我的优惠券.
const (
	TabUnused  = "unused"
	TabUsed    = "used"
	TabExpired = "expired"
)

// Mine lists the customer's copies on a tab, at most limit.
func Mine(ctx context.Context, db *store.DB, customerID int64, tab string, limit int) (out []*Held, counts map[string]int, err error) {
	now := db.Now().Unix()
	err = db.Read(ctx, func(tx *sql.Tx) error {
		counts = map[string]int{}
		var u, d, e int
		if err := tx.QueryRowContext(ctx, `SELECT
			COALESCE(SUM(status = 'unused' AND valid_to > ?), 0), COALESCE(SUM(status = 'used'), 0),
			COALESCE(SUM(status = 'unused' AND valid_to <= ?), 0) FROM customer_coupons WHERE customer_id = ?`,
			now, now, customerID).Scan(&u, &d, &e); err != nil {
			return err
		}
		counts[TabUnused], counts[TabUsed], counts[TabExpired] = u, d, e
		switch tab {
		case TabUsed:
			out, err = heldTx(ctx, tx, `h.customer_id = ? AND h.status = 'used' ORDER BY h.used_at DESC, h.id DESC LIMIT ?`, customerID, limit)
		case TabExpired:
			out, err = heldTx(ctx, tx, `h.customer_id = ? AND h.status = 'unused' AND h.valid_to <= ? ORDER BY h.valid_to DESC, h.id DESC LIMIT ?`,
				customerID, now, limit)
		default:
			out, err = heldTx(ctx, tx, `h.customer_id = ? AND h.status = 'unused' AND h.valid_to > ? ORDER BY h.valid_to, h.id LIMIT ?`,
				customerID, now, limit)
		}
		return err
	})
	return out, counts, err
}

// CentreItem is a coupon of the coupon centre and how the customer stands.
type CentreItem struct {
	Coupon *Coupon
	Held   int // copies the customer holds (0 for a visitor)
}

// Centre lists the coupons customers can claim now.
func Centre(ctx context.Context, db *store.DB, customerID int64) (out []CentreItem, err error) {
	now := db.Now()
	err = db.Read(ctx, func(tx *sql.Tx) error {
		cs, err := couponsTx(ctx, tx, `channel = 'centre' AND status = 'active' AND (validity = 'days' OR ends_at > ?)
			ORDER BY id DESC LIMIT 100`, now.Unix())
		if err != nil {
			return err
		}
		held := map[int64]int{}
		if customerID > 0 {
			rows, err := tx.QueryContext(ctx, `SELECT coupon_id, COUNT(*) FROM customer_coupons WHERE customer_id = ? GROUP BY coupon_id`, customerID)
			if err != nil {
				return err
			}
			for rows.Next() {
				var id int64
				var n int
				if err := rows.Scan(&id, &n); err != nil {
					rows.Close()
					return err
				}
				held[id] = n
			}
			rows.Close()
		}
		for _, c := range cs {
			out = append(out, CentreItem{Coupon: c, Held: held[c.ID]})
		}
		return nil
	})
	return out, err
}

// Stats are a coupon's figures for the back office.
type Stats struct {
	Issued  int
	Used    int
	Orders  int       // paid orders that used it
	Revenue store.Fen // what those orders paid
	Saved   store.Fen // what it took off them
}

// AdminItem is a coupon with its figures.
type AdminItem struct {
	Coupon *Coupon
	Stats  Stats
}

// List is every coupon, newest first, with its figures.
func List(ctx context.Context, db *store.DB) (out []AdminItem, err error) {
	err = db.Read(ctx, func(tx *sql.Tx) error {
		cs, err := couponsTx(ctx, tx, `1 ORDER BY id DESC LIMIT 500`)
		if err != nil {
			return err
		}
		stats := map[int64]Stats{}
		rows, err := tx.QueryContext(ctx, `SELECT h.coupon_id, COUNT(DISTINCT o.id), COALESCE(SUM(o.payable_fen), 0),
			COALESCE(SUM(-a.amount_fen), 0)
			FROM customer_coupons h JOIN orders o ON o.id = h.order_id
			LEFT JOIN order_adjustments a ON a.order_id = o.id AND a.source = ? AND a.ref = CAST(h.id AS TEXT)
			WHERE h.status = 'used' AND o.paid_at IS NOT NULL GROUP BY h.coupon_id`, ID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			var s Stats
			if err := rows.Scan(&id, &s.Orders, &s.Revenue, &s.Saved); err != nil {
				rows.Close()
				return err
			}
			stats[id] = s
		}
		rows.Close()
		for _, c := range cs {
			s := stats[c.ID]
			s.Issued, s.Used = c.Issued, c.Used
			out = append(out, AdminItem{Coupon: c, Stats: s})
		}
		return nil
	})
	return out, err
}
