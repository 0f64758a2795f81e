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

// The back office of distribution (分销管理): the distributor list and the
// staff's actions on one distributor (status, level by hand, designation,
// commission adjustment), applications, the referral tree browser,
// commission records and rankings. Every write is one transaction and
// records the staff actor where the schema keeps one (the commission
// ledger, the referral log, review notes).

// MaxDistReason is the longest reason of a staff action, in characters.
const MaxDistReason = 200

// MaxCommissionAdjust bounds one manual commission adjustment.
const MaxCommissionAdjust Fen = 100_000_00

// Distributor is one distributor row with the customer's and referrer's
// names, as the back office lists them.
type Distributor struct {
	CustomerID    int64
	Phone         string
	Nickname      string
	Status        string
	LevelID       int64
	LevelName     string
	LevelManual   bool
	RealName      string
	ApplyPhone    string
	ApplyNote     string
	ReviewNote    string
	Balance       Fen
	Pending       Fen
	Settled       Fen
	Withdrawn     Fen
	Sales         Fen
	Spend         Fen
	DirectCount   int
	TeamCount     int
	Source        string
	ReferrerID    int64
	ReferrerPhone string
	CreatedAt     time.Time
	ApprovedAt    time.Time
}

// DistributorFilter selects distributors; zero fields do not filter.
type DistributorFilter struct {
	Q          string // phone or nickname contains
	Status     string
	LevelID    int64 // -1: the default level (none)
	Referrer   string
	ReferrerID int64
	Offset     int
	Limit      int
}

const distributorColumns = `d.customer_id, c.phone, c.nickname, d.status, COALESCE(d.level_id, 0), COALESCE(l.name, ''),
	d.level_manual, d.real_name, d.apply_phone, d.apply_note, d.review_note, d.balance_fen, d.pending_fen,
	d.settled_fen, d.withdrawn_fen, d.sales_fen, d.spend_fen, d.direct_count, d.team_count, d.source,
	COALESCE(c.referrer_id, 0), COALESCE(r.phone, ''), d.created_at, d.approved_at`

const distributorFrom = ` FROM distributors d JOIN customers c ON c.id = d.customer_id
	LEFT JOIN distributor_levels l ON l.id = d.level_id AND l.deleted_at IS NULL
	LEFT JOIN customers r ON r.id = c.referrer_id`

func scanDistributor(row scanner) (Distributor, error) {
	var d Distributor
	var created int64
	var approved sql.NullInt64
	err := row.Scan(&d.CustomerID, &d.Phone, &d.Nickname, &d.Status, &d.LevelID, &d.LevelName, &d.LevelManual,
		&d.RealName, &d.ApplyPhone, &d.ApplyNote, &d.ReviewNote, &d.Balance, &d.Pending, &d.Settled, &d.Withdrawn,
		&d.Sales, &d.Spend, &d.DirectCount, &d.TeamCount, &d.Source, &d.ReferrerID, &d.ReferrerPhone, &created, &approved)
	d.CreatedAt, d.ApprovedAt = time.Unix(created, 0), unixTime(approved)
	return d, err
}

func (f DistributorFilter) where() (string, []any) {
	var conds []string
	var args []any
	if q := strings.TrimSpace(f.Q); q != "" {
		conds = append(conds, `(instr(c.phone, ?) > 0 OR instr(c.nickname, ?) > 0)`)
		args = append(args, q, q)
	}
	if f.Status != "" {
		conds = append(conds, `d.status = ?`)
		args = append(args, f.Status)
	}
	switch {
	case f.LevelID > 0:
		conds = append(conds, `d.level_id = ?`)
		args = append(args, f.LevelID)
	case f.LevelID < 0:
		conds = append(conds, `l.id IS NULL`)
	}
	if f.ReferrerID > 0 {
		conds = append(conds, `c.referrer_id = ?`)
		args = append(args, f.ReferrerID)
	}
	if r := strings.TrimSpace(f.Referrer); r != "" {
		conds = append(conds, `(r.phone = ? OR r.nickname = ?)`)
		args = append(args, r, r)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return ` WHERE ` + strings.Join(conds, ` AND `), args
}

// Distributors returns one page of distributors, newest first, and the total.
func (db *DB) Distributors(ctx context.Context, f DistributorFilter) ([]Distributor, int, error) {
	where, args := f.where()
	var total int
	if err := db.r.QueryRowContext(ctx, `SELECT COUNT(*)`+distributorFrom+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("distributors: %w", err)
	}
	if f.Limit <= 0 {
		f.Limit = 20
	}
	var out []Distributor
	err := db.eachDistributor(ctx, where+` ORDER BY d.customer_id DESC LIMIT ? OFFSET ?`,
		append(args, f.Limit, max(f.Offset, 0)), func(d Distributor) error {
			out = append(out, d)
			return nil
		})
	return out, total, err
}

// EachDistributor calls fn for every distributor the filter selects
// (paging ignored), newest first: the CSV export.
func (db *DB) EachDistributor(ctx context.Context, f DistributorFilter, fn func(Distributor) error) error {
	where, args := f.where()
	return db.eachDistributor(ctx, where+` ORDER BY d.customer_id DESC`, args, fn)
}

func (db *DB) eachDistributor(ctx context.Context, tail string, args []any, fn func(Distributor) error) error {
	rows, err := db.r.QueryContext(ctx, `SELECT `+distributorColumns+distributorFrom+tail, args...)
	if err != nil {
		return fmt.Errorf("distributors: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		d, err := scanDistributor(rows)
		if err != nil {
			return fmt.Errorf("distributors: %w", err)
		}
		if err := fn(d); err != nil {
			return err
		}
	}
	return rows.Err()
}

// DistributorByID returns the distributor row of a customer.
func (db *DB) DistributorByID(ctx context.Context, id int64) (*Distributor, error) {
	d, err := scanDistributor(db.r.QueryRowContext(ctx, `SELECT `+distributorColumns+distributorFrom+` WHERE d.customer_id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("distributor %d: %w", id, err)
	}
	return &d, nil
}

// DistributorStatusCounts counts the distributors by status.
func (db *DB) DistributorStatusCounts(ctx context.Context) (map[string]int, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT status, COUNT(*) FROM distributors GROUP BY status`)
	if err != nil {
		return nil, fmt.Errorf("distributor counts: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, err
		}
		out[s] = n
	}
	return out, rows.Err()
}

// CustomerIDByPhone finds a customer by their phone number (as typed: it
// is normalised first); the field is the form's.
func (db *DB) CustomerIDByPhone(ctx context.Context, phone, field string) (int64, error) {
	p, err := ValidatePhone(phone)
	if err != nil {
		return 0, Invalid(field, "distadmin.phone_invalid")
	}
	var id int64
	err = db.r.QueryRowContext(ctx, `SELECT id FROM customers WHERE phone = ?`, p).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, Invalid(field, "distadmin.customer_unknown")
	}
	if err != nil {
		return 0, fmt.Errorf("customer by phone: %w", err)
	}
	return id, nil
}

// checkReason trims and checks a staff reason; required says whether an
// empty one is refused.
func checkReason(reason string, required bool) (string, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" && required {
		return "", Invalid("reason", "dist.reason_required")
	}
	if utf8.RuneCountInString(reason) > MaxDistReason {
		return "", Invalid("reason", "dist.reason_long", "max", MaxDistReason)
	}
	return reason, nil
}

// ErrDistributorState is returned when a distributor is not in a status
// that allows the action.
var ErrDistributorState = fmt.Errorf("%w: the distributor's status does not allow this", ErrConflict)

// SetDistributorDisabled disables an active distributor (a reason is
// required, kept as the review note) or enables a disabled one again.
func (db *DB) SetDistributorDisabled(ctx context.Context, id int64, disabled bool, reason string, actor Actor) error {
	reason, err := checkReason(reason, disabled)
	if err != nil {
		return err
	}
	from, to := DistributorActive, DistributorDisabled
	if !disabled {
		from, to = DistributorDisabled, DistributorActive
	}
	note := reason
	if note != "" {
		note = reason + "（" + string(actor) + "）"
	}
	return db.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE distributors SET status = ?, review_note = ?, updated_at = ?
			WHERE customer_id = ? AND status = ?`, to, note, db.now().Unix(), id, from)
		if err != nil {
			return fmt.Errorf("distributor status: %w", err)
		}
		if k, _ := res.RowsAffected(); k != 1 {
			return ErrDistributorState
		}
		return nil
	})
}

// SetDistributorLevel sets a distributor's level by hand (0: the default
// level); the upgrade job leaves the row alone afterwards.
func (db *DB) SetDistributorLevel(ctx context.Context, id, levelID int64, actor Actor) error {
	return db.Write(ctx, func(tx *sql.Tx) error {
		if levelID != 0 {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM distributor_levels WHERE id = ? AND deleted_at IS NULL`,
				levelID).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return Invalid("level_id", "validation.not_found")
			}
		}
		return execOne(ctx, tx, `UPDATE distributors SET level_id = ?, level_manual = 1, updated_at = ? WHERE customer_id = ?`,
			nullID(levelID), db.now().Unix(), id)
	})
}

// DesignateDistributor makes a customer an active distributor by the
// shop's decision (the manual mode): a new row, or an existing pending,
// rejected or disabled one made active.
func (db *DB) DesignateDistributor(ctx context.Context, customerID int64, actor Actor) error {
	return db.Write(ctx, func(tx *sql.Tx) error {
		now := db.now().Unix()
		st, err := distributorTx(ctx, tx, customerID)
		if err != nil {
			return err
		}
		switch st {
		case "":
			return makeDistributorTx(ctx, tx, customerID, DistManual, now)
		case DistributorActive:
			return Invalid("phone", "distadmin.already_distributor")
		}
		return activateDistributorTx(ctx, tx, customerID, now)
	})
}

// activateDistributorTx makes an existing row active, counting the team
// again (the counters of a row that was not active may be stale).
func activateDistributorTx(ctx context.Context, tx *sql.Tx, id int64, now int64) error {
	n, err := treeNodeTx(ctx, tx, id)
	if err != nil {
		return err
	}
	p := n.prefix()
	return execOne(ctx, tx, `UPDATE distributors SET status = 'active', review_note = '', approved_at = ?1, updated_at = ?1,
		direct_count = (SELECT COUNT(*) FROM customers WHERE referrer_id = ?2),
		team_count = (SELECT COUNT(*) FROM customers WHERE ref_path >= ?3 AND ref_path < ?4)
		WHERE customer_id = ?2`, now, id, p, rangeEnd(p))
}

// AdjustCommission adds delta (negative: takes it away) to a distributor's
// commission balance with a reason: a commission_ledger 'adjust' row in the
// staff member's name. A deduction never takes the balance below zero.
func (db *DB) AdjustCommission(ctx context.Context, id int64, delta Fen, reason string, actor Actor) (Fen, error) {
	reason, err := checkReason(reason, true)
	if err != nil {
		return 0, err
	}
	if delta == 0 || delta > MaxCommissionAdjust || delta < -MaxCommissionAdjust {
		return 0, Invalid("amount", "distadmin.adjust_amount", "max", MaxCommissionAdjust.Yuan())
	}
	var after Fen
	err = db.Write(ctx, func(tx *sql.Tx) error {
		now := db.now().Unix()
		var err error
		after, err = moveCommissionTx(ctx, tx, id, CLedgerAdjust, delta, "staff", 0, reason, actor, now, false)
		if errors.Is(err, ErrInsufficientBalance) {
			return Invalid("amount", "distadmin.adjust_balance")
		}
		if err != nil {
			return err
		}
		verb := "增加"
		if delta < 0 {
			verb = "扣减"
		}
		_, err = db.sendMessageTx(ctx, tx, id, MessageInput{Kind: MessageCommission, Title: "佣金调整",
			Body: fmt.Sprintf("商家%s佣金 ¥%s：%s", verb, abs(delta).String(), reason), Link: "/distributor"})
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("adjust commission: %w", err)
	}
	return after, nil
}

func abs(f Fen) Fen {
	if f < 0 {
		return -f
	}
	return f
}

// CommissionLedgerEntry is one movement of a commission balance.
type CommissionLedgerEntry struct {
	ID        int64
	Kind      string
	Amount    Fen
	Balance   Fen
	RefType   string
	RefID     int64
	Note      string
	Actor     Actor
	CreatedAt time.Time
}

// CommissionLedger returns the latest movements of a distributor's
// commission balance, newest first.
func (db *DB) CommissionLedger(ctx context.Context, id int64, limit int) ([]CommissionLedgerEntry, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, kind, amount_fen, balance_fen, ref_type, ref_id, note, actor, created_at
		FROM commission_ledger WHERE customer_id = ? ORDER BY id DESC LIMIT ?`, id, limit)
	if err != nil {
		return nil, fmt.Errorf("commission ledger: %w", err)
	}
	defer rows.Close()
	var out []CommissionLedgerEntry
	for rows.Next() {
		var e CommissionLedgerEntry
		var at int64
		if err := rows.Scan(&e.ID, &e.Kind, &e.Amount, &e.Balance, &e.RefType, &e.RefID, &e.Note, &e.Actor, &at); err != nil {
			return nil, fmt.Errorf("commission ledger: %w", err)
		}
		e.CreatedAt = time.Unix(at, 0)
		out = append(out, e)
	}
	return out, rows.Err()
}

// ApproveApplication approves a pending application (分销申请): the
// distributor becomes active and is told so in a message.
func (db *DB) ApproveApplication(ctx context.Context, id int64, actor Actor) error {
	return db.Write(ctx, func(tx *sql.Tx) error {
		st, err := distributorTx(ctx, tx, id)
		if err != nil {
			return err
		}
		if st != DistributorPending {
			return ErrDistributorState
		}
		if err := activateDistributorTx(ctx, tx, id, db.now().Unix()); err != nil {
			return err
		}
		_, err = db.sendMessageTx(ctx, tx, id, MessageInput{Kind: MessageSystem, Title: "分销申请已通过",
			Body: "恭喜，您已成为分销商，快去分享商品赚取佣金吧。", Link: "/distributor"})
		return err
	})
}

// RejectApplication refuses a pending application with a reason, which
// the customer is sent; they may apply again.
func (db *DB) RejectApplication(ctx context.Context, id int64, reason string, actor Actor) error {
	reason, err := checkReason(reason, true)
	if err != nil {
		return err
	}
	return db.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE distributors SET status = 'rejected', review_note = ?, updated_at = ?
			WHERE customer_id = ? AND status = 'pending'`, reason, db.now().Unix(), id)
		if err != nil {
			return fmt.Errorf("reject application: %w", err)
		}
		if k, _ := res.RowsAffected(); k != 1 {
			return ErrDistributorState
		}
		_, err = db.sendMessageTx(ctx, tx, id, MessageInput{Kind: MessageSystem, Title: "分销申请未通过",
			Body: "您的分销申请未通过：" + reason, Link: "/distributor"})
		return err
	})
}

// TreeMember is one customer in a distributor's downline.
type TreeMember struct {
	ID          int64
	Phone       string
	Nickname    string
	Depth       int // levels below the root: 1 = a direct referral
	BoundAt     time.Time
	BoundVia    string
	Status      string // the distributor status, "" when they have no row
	DirectCount int
	TeamCount   int
	HasChildren bool
}

// DownlineLevels counts a customer's downline at each depth below them, up
// to maxDepth levels (index ranges on ref_path: fast on a large tree).
func (db *DB) DownlineLevels(ctx context.Context, id int64, maxDepth int) ([]int, error) {
	n, err := treeNodeTx(ctx, db.r, id)
	if err != nil {
		return nil, err
	}
	p := n.prefix()
	var out []int
	for k := 1; k <= maxDepth; k++ {
		var c int
		if err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM customers WHERE ref_depth = ? AND ref_path >= ? AND ref_path < ?`,
			n.depth+k, p, rangeEnd(p)).Scan(&c); err != nil {
			return nil, fmt.Errorf("downline levels: %w", err)
		}
		if c == 0 {
			break
		}
		out = append(out, c)
	}
	return out, nil
}

// Downline returns one page of the customers depth levels below id (1:
// direct referrals), newest binding first, and how many there are.
func (db *DB) Downline(ctx context.Context, id int64, depth, offset, limit int) ([]TreeMember, int, error) {
	n, err := treeNodeTx(ctx, db.r, id)
	if err != nil {
		return nil, 0, err
	}
	depth = max(depth, 1)
	p := n.prefix()
	where, args := ` WHERE c.referrer_id = ?`, []any{id}
	if depth > 1 {
		where, args = ` WHERE c.ref_depth = ? AND c.ref_path >= ? AND c.ref_path < ?`, []any{n.depth + depth, p, rangeEnd(p)}
	}
	var total int
	if err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM customers c`+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("downline: %w", err)
	}
	rows, err := db.r.QueryContext(ctx, `SELECT c.id, c.phone, c.nickname, c.ref_depth, COALESCE(c.bound_at, 0), c.bound_via,
		COALESCE(d.status, ''), COALESCE(d.direct_count, 0), COALESCE(d.team_count, 0),
		EXISTS (SELECT 1 FROM customers k WHERE k.referrer_id = c.id)
		FROM customers c LEFT JOIN distributors d ON d.customer_id = c.id`+where+` ORDER BY c.id DESC LIMIT ? OFFSET ?`,
		append(args, limit, max(offset, 0))...)
	if err != nil {
		return nil, 0, fmt.Errorf("downline: %w", err)
	}
	defer rows.Close()
	var out []TreeMember
	for rows.Next() {
		var m TreeMember
		var bound int64
		if err := rows.Scan(&m.ID, &m.Phone, &m.Nickname, &m.Depth, &bound, &m.BoundVia, &m.Status, &m.DirectCount,
			&m.TeamCount, &m.HasChildren); err != nil {
			return nil, 0, fmt.Errorf("downline: %w", err)
		}
		m.Depth -= n.depth
		if bound > 0 {
			m.BoundAt = time.Unix(bound, 0)
		}
		out = append(out, m)
	}
	return out, total, rows.Err()
}

// Commission is one commission row as the back office lists it.
type Commission struct {
	ID             int64
	OrderID        int64
	OrderNo        string
	RecipientID    int64
	RecipientPhone string
	BuyerPhone     string
	Kind           string
	Level          int
	Base           Fen
	RateBP         int
	Unit           Fen
	Rule           string
	Original       Fen
	Amount         Fen
	Clawed         Fen
	Status         string
	Title          string // the order line's product
	CreatedAt      time.Time
	SettledAt      time.Time
}

// CommissionFilter selects commissions; zero fields do not filter. To is
// exclusive.
type CommissionFilter struct {
	RecipientID int64  // one recipient's (the distributor centre)
	Phone       string // the recipient's
	OrderNo     string
	Status      string
	Kind        string
	From        time.Time
	To          time.Time
	Offset      int
	Limit       int
}

// CommissionTotals sums the commissions a filter selects.
type CommissionTotals struct {
	Count     int
	Pending   Fen
	Settled   Fen
	Cancelled Fen // what was cancelled, at its original amount
	Clawed    Fen
}

func (f CommissionFilter) where() (string, []any) {
	var conds []string
	var args []any
	if f.RecipientID > 0 {
		conds = append(conds, `m.recipient_id = ?`)
		args = append(args, f.RecipientID)
	}
	if p := strings.TrimSpace(f.Phone); p != "" {
		conds = append(conds, `m.recipient_id IN (SELECT id FROM customers WHERE phone = ?)`)
		args = append(args, p)
	}
	if no := strings.TrimSpace(f.OrderNo); no != "" {
		conds = append(conds, `m.order_id IN (SELECT id FROM orders WHERE no = ?)`)
		args = append(args, no)
	}
	if f.Status != "" {
		conds = append(conds, `m.status = ?`)
		args = append(args, f.Status)
	}
	if f.Kind != "" {
		conds = append(conds, `m.kind = ?`)
		args = append(args, f.Kind)
	}
	if !f.From.IsZero() {
		conds = append(conds, `m.created_at >= ?`)
		args = append(args, f.From.Unix())
	}
	if !f.To.IsZero() {
		conds = append(conds, `m.created_at < ?`)
		args = append(args, f.To.Unix())
	}
	if len(conds) == 0 {
		return "", nil
	}
	return ` WHERE ` + strings.Join(conds, ` AND `), args
}

const commissionListColumns = `m.id, m.order_id, o.no, m.recipient_id, rc.phone, bc.phone, m.kind, m.level, m.base_fen,
	m.rate_bp, m.unit_fen, m.rule, m.original_fen, m.amount_fen, m.clawed_fen, m.status, l.title, m.created_at, m.settled_at`

const commissionListFrom = ` FROM commissions m JOIN orders o ON o.id = m.order_id JOIN order_lines l ON l.id = m.line_id
	JOIN customers rc ON rc.id = m.recipient_id JOIN customers bc ON bc.id = m.buyer_id`

// Commissions returns one page of commissions, newest first, with the
// totals of the whole selection.
func (db *DB) Commissions(ctx context.Context, f CommissionFilter) ([]Commission, CommissionTotals, error) {
	where, args := f.where()
	var t CommissionTotals
	if err := db.r.QueryRowContext(ctx, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN status = 'pending' THEN amount_fen END), 0),
		COALESCE(SUM(CASE WHEN status = 'settled' THEN amount_fen END), 0),
		COALESCE(SUM(CASE WHEN status = 'cancelled' THEN original_fen END), 0),
		COALESCE(SUM(clawed_fen), 0) FROM commissions m`+where, args...).
		Scan(&t.Count, &t.Pending, &t.Settled, &t.Cancelled, &t.Clawed); err != nil {
		return nil, t, fmt.Errorf("commissions: %w", err)
	}
	if f.Limit <= 0 {
		f.Limit = 20
	}
	var out []Commission
	err := db.eachCommission(ctx, where+` ORDER BY m.id DESC LIMIT ? OFFSET ?`, append(args, f.Limit, max(f.Offset, 0)),
		func(c Commission) error {
			out = append(out, c)
			return nil
		})
	return out, t, err
}

// EachCommission calls fn for every commission the filter selects (paging
// ignored), newest first: the CSV export.
func (db *DB) EachCommission(ctx context.Context, f CommissionFilter, fn func(Commission) error) error {
	where, args := f.where()
	return db.eachCommission(ctx, where+` ORDER BY m.id DESC`, args, fn)
}

func (db *DB) eachCommission(ctx context.Context, tail string, args []any, fn func(Commission) error) error {
	rows, err := db.r.QueryContext(ctx, `SELECT `+commissionListColumns+commissionListFrom+tail, args...)
	if err != nil {
		return fmt.Errorf("commissions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c Commission
		var created int64
		var settled sql.NullInt64
		if err := rows.Scan(&c.ID, &c.OrderID, &c.OrderNo, &c.RecipientID, &c.RecipientPhone, &c.BuyerPhone, &c.Kind,
			&c.Level, &c.Base, &c.RateBP, &c.Unit, &c.Rule, &c.Original, &c.Amount, &c.Clawed, &c.Status, &c.Title,
			&created, &settled); err != nil {
			return fmt.Errorf("commissions: %w", err)
		}
		c.CreatedAt, c.SettledAt = time.Unix(created, 0), unixTime(settled)
		if err := fn(c); err != nil {
			return err
		}
	}
	return rows.Err()
}

// WithdrawalStatusCounts counts the withdrawals by status (the queue's tabs).
func (db *DB) WithdrawalStatusCounts(ctx context.Context) (map[string]int, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT status, COUNT(*) FROM withdrawals GROUP BY status`)
	if err != nil {
		return nil, fmt.Errorf("withdrawal counts: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, err
		}
		out[s] = n
	}
	return out, rows.Err()
}

// Ranking orders.
const (
	RankSettled = "settled" // commission earned (settled, or in the period: not cancelled)
	RankSales   = "sales"   // promoted sales
	RankTeam    = "team"    // team size (now, whatever the period)
)

// RankingEntry is one distributor of a ranking.
type RankingEntry struct {
	CustomerID int64
	Phone      string
	Nickname   string
	LevelName  string
	Value      int64 // fen for settled and sales, people for team
}

// DistributorRanking returns the top limit distributors by what: over the
// last days days from the commissions (days 0: all time, from the
// counters). The team ranking is always today's team size.
func (db *DB) DistributorRanking(ctx context.Context, what string, days, limit int) ([]RankingEntry, error) {
	var q string
	var args []any
	since := db.now().AddDate(0, 0, -days).Unix()
	const who = ` JOIN customers c ON c.id = x.id LEFT JOIN distributors d ON d.customer_id = x.id
		LEFT JOIN distributor_levels l ON l.id = d.level_id AND l.deleted_at IS NULL`
	switch {
	case what == RankTeam:
		q = `SELECT x.id, c.phone, c.nickname, COALESCE(l.name, ''), x.v FROM (SELECT customer_id AS id, team_count AS v
			FROM distributors WHERE team_count > 0 ORDER BY team_count DESC, customer_id LIMIT ?) x` + who + ` ORDER BY x.v DESC, x.id`
		args = []any{limit}
	case days == 0 && what == RankSales:
		q = `SELECT x.id, c.phone, c.nickname, COALESCE(l.name, ''), x.v FROM (SELECT customer_id AS id, sales_fen AS v
			FROM distributors WHERE sales_fen > 0 ORDER BY sales_fen DESC, customer_id LIMIT ?) x` + who + ` ORDER BY x.v DESC, x.id`
		args = []any{limit}
	case days == 0:
		q = `SELECT x.id, c.phone, c.nickname, COALESCE(l.name, ''), x.v FROM (SELECT customer_id AS id, settled_fen AS v
			FROM distributors WHERE settled_fen > 0 ORDER BY settled_fen DESC, customer_id LIMIT ?) x` + who + ` ORDER BY x.v DESC, x.id`
		args = []any{limit}
	case what == RankSales:
		q = `SELECT x.id, c.phone, c.nickname, COALESCE(l.name, ''), x.v FROM (SELECT recipient_id AS id, SUM(base_fen) AS v
			FROM commissions WHERE kind = 'level' AND level = 1 AND status != 'cancelled' AND created_at >= ?
			GROUP BY recipient_id ORDER BY v DESC, recipient_id LIMIT ?) x` + who + ` ORDER BY x.v DESC, x.id`
		args = []any{since, limit}
	default:
		q = `SELECT x.id, c.phone, c.nickname, COALESCE(l.name, ''), x.v FROM (SELECT recipient_id AS id, SUM(amount_fen) AS v
			FROM commissions WHERE status != 'cancelled' AND created_at >= ?
			GROUP BY recipient_id HAVING v > 0 ORDER BY v DESC, recipient_id LIMIT ?) x` + who + ` ORDER BY x.v DESC, x.id`
		args = []any{since, limit}
	}
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("ranking: %w", err)
	}
	defer rows.Close()
	var out []RankingEntry
	for rows.Next() {
		var e RankingEntry
		if err := rows.Scan(&e.CustomerID, &e.Phone, &e.Nickname, &e.LevelName, &e.Value); err != nil {
			return nil, fmt.Errorf("ranking: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
