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

// What the distributor centre (H5) reads: the distributor's standing and
// earnings, their commissions, promoted orders, team by level and
// applications. Every read is keyed by the signed-in customer, so a
// customer only ever sees their own.

// DistributorStanding is a customer's standing in the distribution programme.
type DistributorStanding struct {
	CustomerID int64
	Status     string // "" when they have no row (and are not one)
	Active     bool   // a distributor now (an active row, or everyone mode)
	Source     string
	RealName   string
	ReviewNote string
	LevelID    int64
	LevelName  string
	Balance    Fen // 可提现 (may be negative after a claw-back)
	Pending    Fen // 待结算
	Settled    Fen // 累计结算
	Withdrawn  Fen // 已提现
	Sales      Fen // promoted sales
	Spend      Fen // own completed spend
	Direct     int
	Team       int
	Today      Fen // commission earned today (pending or settled)
	ReferrerID int64
	Referrer   string // the referrer's nickname or masked phone
	ApprovedAt time.Time
}

// DisplayName is a customer's nickname, or their masked phone.
func DisplayName(nickname, phone string) string {
	if strings.TrimSpace(nickname) != "" {
		return nickname
	}
	return MaskPhone(phone)
}

// DistributorOf returns the customer's standing, with today's earnings.
// The direct and team sizes are the row's counters (kept by every
// binding): counting a star promoter's thousands of referrals on every
// visit of the centre is what made it slow. Without a row the direct
// referrals are counted.
func (db *DB) DistributorOf(ctx context.Context, customerID int64) (*DistributorStanding, error) {
	s := db.DistSettings(ctx)
	d := &DistributorStanding{CustomerID: customerID}
	var st, source, realName, note, levelName sql.NullString
	var level, approved, ref sql.NullInt64
	var refNick, refPhone sql.NullString
	var disabled bool
	err := db.r.QueryRowContext(ctx, `SELECT d.status, d.source, d.real_name, d.review_note, d.level_id, l.name,
		COALESCE(d.balance_fen, 0), COALESCE(d.pending_fen, 0), COALESCE(d.settled_fen, 0), COALESCE(d.withdrawn_fen, 0),
		COALESCE(d.sales_fen, 0), COALESCE(d.spend_fen, 0), d.approved_at, c.disabled, c.referrer_id, r.nickname, r.phone,
		COALESCE(d.direct_count, 0), COALESCE(d.team_count, 0)
		FROM customers c LEFT JOIN distributors d ON d.customer_id = c.id
		LEFT JOIN distributor_levels l ON l.id = d.level_id AND l.deleted_at IS NULL
		LEFT JOIN customers r ON r.id = c.referrer_id
		WHERE c.id = ?`, customerID).Scan(&st, &source, &realName, &note, &level, &levelName,
		&d.Balance, &d.Pending, &d.Settled, &d.Withdrawn, &d.Sales, &d.Spend, &approved, &disabled, &ref, &refNick, &refPhone,
		&d.Direct, &d.Team)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("distributor: %w", err)
	}
	d.Status, d.Source, d.RealName, d.ReviewNote = st.String, source.String, realName.String, note.String
	d.LevelID, d.LevelName, d.ApprovedAt = level.Int64, levelName.String, unixTime(approved)
	d.ReferrerID, d.Referrer = ref.Int64, DisplayName(refNick.String, refPhone.String)
	d.Active = !disabled && s.Enabled && (d.Status == DistributorActive || (d.Status == "" && s.Mode == DistEveryone))
	if d.Status == "" {
		// No row yet: count the direct referrals as they stand. (Not in the
		// query above: SQLite evaluates a scalar subquery on a constant id
		// up front, even where COALESCE would not need it.)
		if err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM customers WHERE referrer_id = ?`, customerID).Scan(&d.Direct); err != nil {
			return nil, fmt.Errorf("distributor: %w", err)
		}
	}
	if d.Status == "" && d.Active {
		// Everyone mode, no row yet: count the team as it stands.
		n, err := treeNodeTx(ctx, db.r, customerID)
		if err != nil {
			return nil, err
		}
		p := n.prefix()
		if err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM customers WHERE ref_path >= ? AND ref_path < ?`,
			p, rangeEnd(p)).Scan(&d.Team); err != nil {
			return nil, fmt.Errorf("distributor: %w", err)
		}
	}
	if err := db.r.QueryRowContext(ctx, `SELECT COALESCE(SUM(amount_fen), 0) FROM commissions
		WHERE recipient_id = ? AND created_at >= ? AND status != 'cancelled'`, customerID, dayStart(db.now()).Unix()).Scan(&d.Today); err != nil {
		return nil, fmt.Errorf("distributor: %w", err)
	}
	return d, nil
}

// DistributorStatus is whether the customer is a distributor now and
// their row's status ("" for none): the one-row look the distributor
// centre's pages take before drawing.
func (db *DB) DistributorStatus(ctx context.Context, customerID int64) (active bool, status string, err error) {
	s := db.DistSettings(ctx)
	var st sql.NullString
	var disabled bool
	err = db.r.QueryRowContext(ctx, `SELECT d.status, c.disabled FROM customers c
		LEFT JOIN distributors d ON d.customer_id = c.id WHERE c.id = ?`, customerID).Scan(&st, &disabled)
	if errors.Is(err, sql.ErrNoRows) {
		return false, "", ErrNotFound
	}
	if err != nil {
		return false, "", fmt.Errorf("distributor: %w", err)
	}
	active = !disabled && s.Enabled && (st.String == DistributorActive || (!st.Valid && s.Mode == DistEveryone))
	return active, st.String, nil
}

// LevelProgress is the distributor's next level and how far they are.
type LevelProgress struct {
	Name               string
	All                bool
	Sales, NeedSales   Fen
	Direct, NeedDirect int
	Team, NeedTeam     int
	Spend, NeedSpend   Fen
}

// NextLevel returns the lowest level above the distributor's, with the
// conditions and where they stand; nil when there is none.
func (db *DB) NextLevel(ctx context.Context, d *DistributorStanding) (*LevelProgress, error) {
	var weight int
	if d.LevelID > 0 {
		if err := db.r.QueryRowContext(ctx, `SELECT weight FROM distributor_levels WHERE id = ?`, d.LevelID).Scan(&weight); err != nil &&
			!errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("next level: %w", err)
		}
	}
	p := &LevelProgress{Sales: d.Sales, Direct: d.Direct, Team: d.Team, Spend: d.Spend}
	err := db.r.QueryRowContext(ctx, `SELECT name, cond_all, cond_sales_fen, cond_direct, cond_team, cond_spend_fen
		FROM distributor_levels WHERE deleted_at IS NULL AND weight > ? ORDER BY weight LIMIT 1`, weight).
		Scan(&p.Name, &p.All, &p.NeedSales, &p.NeedDirect, &p.NeedTeam, &p.NeedSpend)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("next level: %w", err)
	}
	return p, nil
}

// maskName keeps a name's first character and masks the rest (张**), so a
// distributor sees who bought without learning who they are.
func maskName(s string) string {
	if strings.Contains(s, "****") {
		return s
	}
	r, size := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError {
		return "**"
	}
	return s[:size] + "**"
}

// PromotedOrder is an order the distributor earns on, as they see it.
type PromotedOrder struct {
	OrderID    int64
	No         string
	Buyer      string // masked
	Status     OrderStatus
	Title      string // the first line's title
	Image      string
	Lines      int
	Paid       Fen
	Earned     Fen    // the distributor's commission on it now
	Commission string // the commission's status: pending, settled, cancelled
	CreatedAt  time.Time
}

// PromotedOrders returns one page of the orders the customer earns on,
// newest first, and how many there are.
func (db *DB) PromotedOrders(ctx context.Context, recipientID int64, offset, limit int) ([]PromotedOrder, int, error) {
	var total int
	if err := db.r.QueryRowContext(ctx, `SELECT COUNT(DISTINCT order_id) FROM commissions WHERE recipient_id = ?`, recipientID).
		Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("promoted orders: %w", err)
	}
	rows, err := db.r.QueryContext(ctx, `SELECT o.id, o.no, b.nickname, b.phone, o.status,
		(SELECT title FROM order_lines WHERE order_id = o.id ORDER BY id LIMIT 1),
		(SELECT image FROM order_lines WHERE order_id = o.id ORDER BY id LIMIT 1),
		(SELECT COUNT(*) FROM order_lines WHERE order_id = o.id),
		o.paid_fen - o.refunded_fen, x.earned, x.st, o.created_at
		FROM (SELECT order_id, SUM(amount_fen) AS earned, MIN(status) AS st, MAX(id) AS last FROM commissions
			WHERE recipient_id = ? GROUP BY order_id ORDER BY last DESC LIMIT ? OFFSET ?) x
		JOIN orders o ON o.id = x.order_id JOIN customers b ON b.id = o.customer_id
		ORDER BY x.last DESC`, recipientID, limit, max(offset, 0))
	if err != nil {
		return nil, 0, fmt.Errorf("promoted orders: %w", err)
	}
	defer rows.Close()
	var out []PromotedOrder
	for rows.Next() {
		var p PromotedOrder
		var bn, bp string
		var created int64
		if err := rows.Scan(&p.OrderID, &p.No, &bn, &bp, &p.Status, &p.Title, &p.Image, &p.Lines, &p.Paid,
			&p.Earned, &p.Commission, &created); err != nil {
			return nil, 0, fmt.Errorf("promoted orders: %w", err)
		}
		p.Buyer, p.CreatedAt = maskName(DisplayName(bn, bp)), time.Unix(created, 0)
		out = append(out, p)
	}
	return out, total, rows.Err()
}

// TeamMember is one customer of a distributor's team.
type TeamMember struct {
	ID       int64
	Name     string // nickname or masked phone
	Avatar   string
	Depth    int // 1: direct referral
	BoundAt  time.Time
	IsDist   bool
	Team     int
	Sales    Fen
	JoinedAt time.Time
}

// MaxTeamDepth is the deepest team level the centre lists by itself.
const MaxTeamDepth = 3

// TeamCounts returns how many customers the team has at depths 1..MaxTeamDepth
// and in all.
func (db *DB) TeamCounts(ctx context.Context, customerID int64) (levels [MaxTeamDepth]int, all int, err error) {
	n, err := treeNodeTx(ctx, db.r, customerID)
	if err != nil {
		return levels, 0, err
	}
	p := n.prefix()
	// A distributor's row counts the direct referrals and the whole team;
	// the deeper levels are index ranges.
	var direct, team sql.NullInt64
	rowErr := db.r.QueryRowContext(ctx, `SELECT direct_count, team_count FROM distributors WHERE customer_id = ?`, customerID).
		Scan(&direct, &team)
	for i := range levels {
		if i == 0 && rowErr == nil {
			levels[0] = int(direct.Int64)
			continue
		}
		if err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM customers WHERE ref_depth = ? AND ref_path >= ? AND ref_path < ?`,
			n.depth+1+i, p, rangeEnd(p)).Scan(&levels[i]); err != nil {
			return levels, 0, fmt.Errorf("team counts: %w", err)
		}
	}
	if rowErr == nil {
		return levels, int(team.Int64), nil
	}
	err = db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM customers WHERE ref_path >= ? AND ref_path < ?`, p, rangeEnd(p)).Scan(&all)
	return levels, all, err
}

// Team returns one page of the customer's team members at depth (1 = direct
// referrals), most recently bound first.
func (db *DB) Team(ctx context.Context, customerID int64, depth, offset, limit int) ([]TeamMember, error) {
	n, err := treeNodeTx(ctx, db.r, customerID)
	if err != nil {
		return nil, err
	}
	if depth < 1 {
		depth = 1
	}
	p := n.prefix()
	var rows *sql.Rows
	const cols = `c.id, c.nickname, c.phone, c.avatar, c.ref_depth, COALESCE(c.bound_at, 0), c.created_at,
		d.status IS NOT NULL AND d.status = 'active', COALESCE(d.team_count, 0), COALESCE(d.sales_fen, 0)`
	if depth == 1 {
		rows, err = db.r.QueryContext(ctx, `SELECT `+cols+` FROM customers c LEFT JOIN distributors d ON d.customer_id = c.id
			WHERE c.referrer_id = ? ORDER BY c.id DESC LIMIT ? OFFSET ?`, customerID, limit, max(offset, 0))
	} else {
		rows, err = db.r.QueryContext(ctx, `SELECT `+cols+` FROM customers c LEFT JOIN distributors d ON d.customer_id = c.id
			WHERE c.ref_depth = ? AND c.ref_path >= ? AND c.ref_path < ? ORDER BY c.ref_path, c.id LIMIT ? OFFSET ?`,
			n.depth+depth, p, rangeEnd(p), limit, max(offset, 0))
	}
	if err != nil {
		return nil, fmt.Errorf("team: %w", err)
	}
	defer rows.Close()
	var out []TeamMember
	for rows.Next() {
		var m TeamMember
		var nick, phone string
		var bound, created int64
		if err := rows.Scan(&m.ID, &nick, &phone, &m.Avatar, &m.Depth, &bound, &created, &m.IsDist, &m.Team, &m.Sales); err != nil {
			return nil, fmt.Errorf("team: %w", err)
		}
		m.Depth -= n.depth
		m.Name, m.BoundAt, m.JoinedAt = DisplayName(nick, phone), time.Unix(bound, 0), time.Unix(created, 0)
		out = append(out, m)
	}
	return out, rows.Err()
}

// ApplyInput is the distributor application form.
type ApplyInput struct {
	RealName string
	Phone    string
	Note     string
}

// MaxApplyNote is the longest note of an application, in characters.
const MaxApplyNote = 200

// ApplyDistributor files (or files again, after a rejection) the
// customer's application in the apply mode; in the other modes it answers
// why one cannot apply.
func (db *DB) ApplyDistributor(ctx context.Context, customerID int64, in ApplyInput) error {
	s := db.DistSettings(ctx)
	var v ValidationErrors
	in.RealName, in.Note = strings.TrimSpace(in.RealName), strings.TrimSpace(in.Note)
	if n := utf8.RuneCountInString(in.RealName); n < 2 || n > 30 {
		v.Add("real_name", "withdraw.name")
	}
	phone, err := ValidatePhone(in.Phone)
	if err != nil {
		v.Add("phone", "account.phone_invalid")
	}
	if utf8.RuneCountInString(in.Note) > MaxApplyNote {
		v.Add("note", "dist.reason_long", "max", MaxApplyNote)
	}
	if !s.Enabled || s.Mode != DistApply {
		v.Add("real_name", "dist.apply_closed")
	}
	if err := v.Err(); err != nil {
		return err
	}
	return db.Write(ctx, func(tx *sql.Tx) error {
		now := db.now().Unix()
		st, err := distributorTx(ctx, tx, customerID)
		if err != nil {
			return err
		}
		switch st {
		case DistributorPending:
			return Invalid("real_name", "dist.apply_pending")
		case DistributorActive:
			return Invalid("real_name", "dist.apply_done")
		case DistributorDisabled:
			return Invalid("real_name", "dist.apply_disabled")
		case DistributorRejected:
			return execOne(ctx, tx, `UPDATE distributors SET status = 'pending', real_name = ?, apply_phone = ?, apply_note = ?,
				review_note = '', updated_at = ? WHERE customer_id = ? AND status = 'rejected'`,
				in.RealName, phone, in.Note, now, customerID)
		}
		n, err := treeNodeTx(ctx, tx, customerID)
		if err != nil {
			return err
		}
		p := n.prefix()
		_, err = tx.ExecContext(ctx, `INSERT INTO distributors (customer_id, status, source, real_name, apply_phone, apply_note,
			direct_count, team_count, created_at, updated_at)
			VALUES (?1, 'pending', 'apply', ?2, ?3, ?4, (SELECT COUNT(*) FROM customers WHERE referrer_id = ?1),
			(SELECT COUNT(*) FROM customers WHERE ref_path >= ?5 AND ref_path < ?6), ?7, ?7)`,
			customerID, in.RealName, phone, in.Note, p, rangeEnd(p), now)
		return err
	})
}

// EnsureDistributor gives an everyone-mode distributor their row (the
// centre calls it on the first visit, so balances have a home).
func (db *DB) EnsureDistributor(ctx context.Context, customerID int64) error {
	s := db.DistSettings(ctx)
	if !s.Enabled || s.Mode != DistEveryone {
		return nil
	}
	if st, err := distributorTx(ctx, db.r, customerID); err != nil || st != "" {
		return err
	}
	return db.Write(ctx, func(tx *sql.Tx) error {
		ok, err := activeDistributorTx(ctx, tx, &s, customerID)
		if err != nil || !ok {
			return err
		}
		return ensureDistributorTx(ctx, tx, &s, customerID, db.now().Unix())
	})
}

// ProductCommissionRule is a product's own commission rule (商品佣金).
type ProductCommissionRule struct {
	Mode  string   // CommissionDefault, CommissionOff, CommissionRates, CommissionFixed
	Value [3]int64 // bp per level (rates) or fen per unit per level (fixed)
}

// ProductCommissionRules returns the commission rules of the products.
func (db *DB) ProductCommissionRules(ctx context.Context, ids []int64) (map[int64]ProductCommissionRule, error) {
	out := make(map[int64]ProductCommissionRule, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := db.r.QueryContext(ctx, `SELECT id, commission_mode, commission1, commission2, commission3 FROM products
		WHERE id IN (`+placeholders(len(ids))+`)`, int64Args(ids)...)
	if err != nil {
		return nil, fmt.Errorf("commission rules: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var r ProductCommissionRule
		if err := rows.Scan(&id, &r.Mode, &r.Value[0], &r.Value[1], &r.Value[2]); err != nil {
			return nil, fmt.Errorf("commission rules: %w", err)
		}
		out[id] = r
	}
	return out, rows.Err()
}

// Level1Earning is what one unit at price earns the first level under the
// rule and the shop's rate (what a distributor is told they earn by
// sharing the product; a distributor level's own rates may differ).
func (r ProductCommissionRule) Level1Earning(price Fen, shopRateBP int) Fen {
	switch r.Mode {
	case CommissionOff:
		return 0
	case CommissionFixed:
		return min(Fen(r.Value[0]), price)
	case CommissionRates:
		return price * Fen(r.Value[0]) / 10000
	}
	return price * Fen(shopRateBP) / 10000
}
