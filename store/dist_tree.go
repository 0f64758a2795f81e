package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The referral tree (上下级) and who is a distributor.
//
// Every customer has a path of ancestors (customers.ref_path, "/root/…/referrer/")
// so that the whole downline of a customer is an index range and a binding
// that would close a cycle is seen in the new referrer's path. A binding is
// fixed for ProtectDays; afterwards a new link may rebind when Rebind is on;
// the back office may always rebind, with a reason, but never into a cycle.
// Every binding is a referral_log row.

// Distributor statuses.
const (
	DistributorPending  = "pending"  // applied, awaiting review
	DistributorActive   = "active"   // earns commission, may share
	DistributorRejected = "rejected" // application refused (may apply again)
	DistributorDisabled = "disabled" // switched off by the shop
)

// Binding refusals. They are not failures of the request that carried the
// link: the caller shows nothing, or, in the back office, the message.
var (
	ErrBindSelf      = Invalid("referrer", "dist.bind_self")
	ErrBindCycle     = Invalid("referrer", "dist.bind_cycle")
	ErrBindProtected = Invalid("referrer", "dist.bind_protected")
	ErrBindNotDist   = Invalid("referrer", "dist.bind_not_distributor")
	ErrBindOff       = Invalid("referrer", "dist.off")
)

// MaxBindReason is the longest reason of a staff rebinding, in characters.
const MaxBindReason = 200

type referralContextKey struct{}

// ContextWithReferral carries the referral code a visitor came by into the
// store calls that may bind them (registration, the first order). The
// handlers put it there from the session or the referral cookie.
func ContextWithReferral(ctx context.Context, code string) context.Context {
	if code == "" {
		return ctx
	}
	return context.WithValue(ctx, referralContextKey{}, code)
}

// ReferralFrom returns the referral code ContextWithReferral put in ctx.
func ReferralFrom(ctx context.Context) string {
	s, _ := ctx.Value(referralContextKey{}).(string)
	return s
}

// treeNode is a customer's place in the referral tree.
type treeNode struct {
	id         int64
	referrerID int64
	path       string
	depth      int
	boundAt    int64
}

func treeNodeTx(ctx context.Context, q queryer, id int64) (treeNode, error) {
	n := treeNode{id: id}
	var ref, bound sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT referrer_id, ref_path, ref_depth, bound_at FROM customers WHERE id = ?`, id).
		Scan(&ref, &n.path, &n.depth, &bound)
	if errors.Is(err, sql.ErrNoRows) {
		return n, ErrNotFound
	}
	if err != nil {
		return n, fmt.Errorf("referral tree: %w", err)
	}
	n.referrerID, n.boundAt = ref.Int64, bound.Int64
	return n, nil
}

// prefix is the path every member of the node's downline starts with.
func (n treeNode) prefix() string { return n.path + strconv.FormatInt(n.id, 10) + "/" }

// ancestors returns the node's ancestors nearest first (the referrer, the
// referrer's referrer...).
func (n treeNode) ancestors() []int64 { return pathAncestors(n.path) }

func pathAncestors(path string) []int64 {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	out := make([]int64, 0, len(parts))
	for i := len(parts) - 1; i >= 0; i-- {
		if id, err := strconv.ParseInt(parts[i], 10, 64); err == nil {
			out = append(out, id)
		}
	}
	return out
}

// rangeEnd is the first string after every string that starts with prefix
// (which ends in '/': '0' is the byte after '/').
func rangeEnd(prefix string) string { return prefix[:len(prefix)-1] + "0" }

// distributorTx returns the customer's distributor status ("" when they
// have no row).
func distributorTx(ctx context.Context, q queryer, id int64) (string, error) {
	var st string
	err := q.QueryRowContext(ctx, `SELECT status FROM distributors WHERE customer_id = ?`, id).Scan(&st)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("distributor: %w", err)
	}
	return st, nil
}

// activeDistributorTx reports whether the customer is a distributor now: an
// active row, or no row at all while everyone is one (the row is made the
// first time it is needed). A disabled customer account is never one.
func activeDistributorTx(ctx context.Context, q queryer, s *DistSettings, id int64) (bool, error) {
	var st sql.NullString
	var disabled bool
	err := q.QueryRowContext(ctx, `SELECT d.status, c.disabled FROM customers c
		LEFT JOIN distributors d ON d.customer_id = c.id WHERE c.id = ?`, id).Scan(&st, &disabled)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("distributor: %w", err)
	}
	if disabled {
		return false, nil
	}
	if st.Valid {
		return st.String == DistributorActive, nil
	}
	return s.Mode == DistEveryone, nil
}

// makeDistributorTx makes the customer an active distributor (from source)
// unless they already have a row, counting their team and own completed
// spend as they stand.
func makeDistributorTx(ctx context.Context, tx *sql.Tx, id int64, source string, now int64) error {
	n, err := treeNodeTx(ctx, tx, id)
	if err != nil {
		return err
	}
	p := n.prefix()
	_, err = tx.ExecContext(ctx, `INSERT INTO distributors (customer_id, status, source, direct_count, team_count,
		spend_fen, created_at, approved_at, updated_at)
		VALUES (?1, 'active', ?2,
			(SELECT COUNT(*) FROM customers WHERE referrer_id = ?1),
			(SELECT COUNT(*) FROM customers WHERE ref_path >= ?3 AND ref_path < ?4),
			(SELECT COALESCE(SUM(paid_fen - refunded_fen), 0) FROM orders WHERE customer_id = ?1 AND status = 'completed'),
			?5, ?5, ?5)
		ON CONFLICT (customer_id) DO NOTHING`, id, source, p, rangeEnd(p), now)
	if err != nil {
		return fmt.Errorf("make distributor: %w", err)
	}
	return nil
}

// ensureDistributorTx gives an active distributor of the everyone mode the
// row the counters and balances live on.
func ensureDistributorTx(ctx context.Context, tx *sql.Tx, s *DistSettings, id int64, now int64) error {
	if s.Mode != DistEveryone {
		return nil
	}
	st, err := distributorTx(ctx, tx, id)
	if err != nil || st != "" {
		return err
	}
	return makeDistributorTx(ctx, tx, id, DistEveryone, now)
}

// bindRequest is one attempt to put a customer under a referrer.
type bindRequest struct {
	customerID int64
	referrerID int64
	via        string // BindClick ... BindStaff
	actor      Actor
	reason     string
}

// bindTx binds (or rebinds) the customer under the referrer following the
// rules; staff rebinding skips protection and the Rebind switch but never
// the cycle check. It moves the customer's whole downline with them and
// keeps the team counters of the old and new ancestors. Binding someone to
// whom they are already bound changes nothing.
func bindTx(ctx context.Context, tx *sql.Tx, s *DistSettings, r bindRequest, now int64) error {
	if !s.Enabled {
		return ErrBindOff
	}
	if r.customerID == r.referrerID {
		return ErrBindSelf
	}
	c, err := treeNodeTx(ctx, tx, r.customerID)
	if err != nil {
		return err
	}
	if c.referrerID == r.referrerID {
		return nil
	}
	if c.referrerID != 0 && r.via != BindStaff {
		protected := s.ProtectDays == 0 || now < c.boundAt+int64(s.ProtectDays)*86400
		if protected || !s.Rebind {
			return ErrBindProtected
		}
	}
	var p treeNode
	if r.referrerID != 0 {
		if p, err = treeNodeTx(ctx, tx, r.referrerID); err != nil {
			return err
		}
		// The whole ancestor chain: the new referrer must not be in the
		// customer's own downline.
		if strings.HasPrefix(p.path, c.prefix()) {
			return ErrBindCycle
		}
		ok, err := activeDistributorTx(ctx, tx, s, r.referrerID)
		if err != nil {
			return err
		}
		if !ok {
			return ErrBindNotDist
		}
		if err := ensureDistributorTx(ctx, tx, s, r.referrerID, now); err != nil {
			return err
		}
	}
	newPath := "/"
	if r.referrerID != 0 {
		newPath = p.prefix()
	}
	newDepth := strings.Count(newPath, "/") - 1

	// Move the downline: every path under the customer's old prefix.
	oldPrefix := c.prefix()
	newPrefix := newPath + strconv.FormatInt(c.id, 10) + "/"
	res, err := tx.ExecContext(ctx, `UPDATE customers SET ref_path = ?1 || substr(ref_path, ?2), ref_depth = ref_depth + ?3
		WHERE ref_path >= ?4 AND ref_path < ?5`,
		newPrefix, len(oldPrefix)+1, newDepth-c.depth, oldPrefix, rangeEnd(oldPrefix))
	if err != nil {
		return fmt.Errorf("bind: move downline: %w", err)
	}
	moved, _ := res.RowsAffected()
	var referrer any
	if r.referrerID != 0 {
		referrer = r.referrerID
	}
	if err := execOne(ctx, tx, `UPDATE customers SET referrer_id = ?, ref_path = ?, ref_depth = ?, bound_at = ?, bound_via = ?
		WHERE id = ?`, referrer, newPath, newDepth, now, r.via, c.id); err != nil {
		return fmt.Errorf("bind: %w", err)
	}
	size := moved + 1
	if err := teamCountsTx(ctx, tx, c.referrerID, c.ancestors(), -size, now); err != nil {
		return err
	}
	if err := teamCountsTx(ctx, tx, r.referrerID, pathAncestors(newPath), size, now); err != nil {
		return err
	}
	var from any
	if c.referrerID != 0 {
		from = c.referrerID
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO referral_log (customer_id, from_referrer, to_referrer, via, actor, reason, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, c.id, from, referrer, r.via, string(r.actor), r.reason, now); err != nil {
		return fmt.Errorf("bind: log: %w", err)
	}
	return nil
}

// teamCountsTx adds size to the team of every ancestor and one direct
// referral to the referrer (negative values take them away).
func teamCountsTx(ctx context.Context, tx *sql.Tx, referrerID int64, ancestors []int64, size int64, now int64) error {
	if referrerID == 0 {
		return nil
	}
	one := int64(1)
	if size < 0 {
		one = -1
	}
	if _, err := tx.ExecContext(ctx, `UPDATE distributors SET direct_count = direct_count + ?, updated_at = ? WHERE customer_id = ?`,
		one, now, referrerID); err != nil {
		return fmt.Errorf("team counts: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE distributors SET team_count = team_count + ?, updated_at = ?
		WHERE customer_id IN (`+placeholders(len(ancestors))+`)`,
		append([]any{size, now}, int64Args(ancestors)...)...); err != nil {
		return fmt.Errorf("team counts: %w", err)
	}
	return nil
}

// referrerByCodeTx returns the customer whose referral code is code.
func referrerByCodeTx(ctx context.Context, q queryer, code string) (int64, error) {
	if !ValidRefCode(code) {
		return 0, ErrNotFound
	}
	var id int64
	err := q.QueryRowContext(ctx, `SELECT id FROM customers WHERE ref_code = ?`, code).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotFound
	}
	return id, err
}

// bindByCodeTx binds the customer to the owner of the referral code if the
// trigger via is the shop's (or the customer is already bound and may be
// rebound). Refusals by the rules are nil: a link that cannot bind is just
// a link.
func bindByCodeTx(ctx context.Context, tx *sql.Tx, s *DistSettings, customerID int64, code, via string, now int64) (bool, error) {
	if code == "" || !s.Enabled {
		return false, nil
	}
	ref, err := referrerByCodeTx(ctx, tx, code)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	c, err := treeNodeTx(ctx, tx, customerID)
	if err != nil {
		return false, err
	}
	// The first binding happens on the shop's trigger; a rebinding (after
	// protection, when allowed) on any visit through a new link.
	if c.referrerID == 0 && via != s.BindOn {
		return false, nil
	}
	if c.referrerID == ref {
		return false, nil
	}
	err = bindTx(ctx, tx, s, bindRequest{customerID: customerID, referrerID: ref, via: via, actor: CustomerActor(customerID)}, now)
	var ve *ValidationError
	if errors.As(err, &ve) {
		return false, nil
	}
	return err == nil, err
}

// BindByCode binds the customer to the distributor whose referral code they
// came by, on the trigger via (BindClick from the link middleware and after
// sign-in, BindRegister from registration). It reports whether a binding was
// made; a code that cannot bind is not an error.
func (db *DB) BindByCode(ctx context.Context, customerID int64, code, via string) (bool, error) {
	s := db.DistSettings(ctx)
	if code == "" || !s.Enabled {
		return false, nil
	}
	// Most visits through a link change nothing: look first, on a reader.
	if ref, err := referrerByCodeTx(ctx, db.r, code); err != nil || ref == customerID {
		return false, nil
	} else if n, err := treeNodeTx(ctx, db.r, customerID); err != nil || n.referrerID == ref ||
		(n.referrerID == 0 && via != s.BindOn) || (n.referrerID != 0 && !s.Rebind) {
		return false, nil
	}
	var bound bool
	err := db.Write(ctx, func(tx *sql.Tx) error {
		var err error
		bound, err = bindByCodeTx(ctx, tx, &s, customerID, code, via, db.now().Unix())
		return err
	})
	if err != nil {
		return false, fmt.Errorf("bind: %w", err)
	}
	return bound, nil
}

// Rebind is the back office's binding of a customer under referrerID (0:
// no referrer), with a reason; protection and the Rebind switch do not
// apply, the cycle check does.
func (db *DB) Rebind(ctx context.Context, customerID, referrerID int64, reason string, actor Actor) error {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return Invalid("reason", "dist.reason_required")
	}
	if len([]rune(reason)) > MaxBindReason {
		return Invalid("reason", "dist.reason_long", "max", MaxBindReason)
	}
	s := db.DistSettings(ctx)
	s.Enabled = true // the shop may fix the tree while distribution is off
	return db.Write(ctx, func(tx *sql.Tx) error {
		return bindTx(ctx, tx, &s, bindRequest{customerID: customerID, referrerID: referrerID, via: BindStaff,
			actor: actor, reason: reason}, db.now().Unix())
	})
}

// ReferralLogEntry is one binding in a customer's history.
type ReferralLogEntry struct {
	ID           int64
	CustomerID   int64
	FromReferrer int64
	ToReferrer   int64
	Via          string
	Actor        Actor
	Reason       string
	At           time.Time
}

// ReferralLog returns the bindings of a customer, newest first.
func (db *DB) ReferralLog(ctx context.Context, customerID int64) ([]ReferralLogEntry, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, customer_id, COALESCE(from_referrer, 0), COALESCE(to_referrer, 0),
		via, actor, reason, created_at FROM referral_log WHERE customer_id = ? ORDER BY id DESC LIMIT 100`, customerID)
	if err != nil {
		return nil, fmt.Errorf("referral log: %w", err)
	}
	defer rows.Close()
	var out []ReferralLogEntry
	for rows.Next() {
		var e ReferralLogEntry
		var at int64
		if err := rows.Scan(&e.ID, &e.CustomerID, &e.FromReferrer, &e.ToReferrer, &e.Via, &e.Actor, &e.Reason, &at); err != nil {
			return nil, fmt.Errorf("referral log: %w", err)
		}
		e.At = time.Unix(at, 0)
		out = append(out, e)
	}
	return out, rows.Err()
}

// referrerChainTx is the chain of customers who earn on an order of the
// buyer, nearest first, at most MaxDistLevels long: the buyer's ancestors,
// or with self-purchase (自购返佣) the buyer themself first when they are a
// distributor.
func referrerChainTx(ctx context.Context, tx *sql.Tx, s *DistSettings, buyerID int64) ([]int64, error) {
	n, err := treeNodeTx(ctx, tx, buyerID)
	if err != nil {
		return nil, err
	}
	chain := n.ancestors()
	if s.SelfPurchase {
		ok, err := activeDistributorTx(ctx, tx, s, buyerID)
		if err != nil {
			return nil, err
		}
		if ok {
			chain = append([]int64{buyerID}, chain...)
		}
	}
	if len(chain) > MaxDistLevels {
		chain = chain[:MaxDistLevels]
	}
	return chain, nil
}
