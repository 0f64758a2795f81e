package memberlevel

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xiaodian/xiaodian/store"
)

// Level is one member level (会员等级).
type Level struct {
	ID          int64
	Name        string
	Threshold   int64 // growth needed
	DiscountPct int   // percent paid of the goods: 95 = 9.5折, 100 = none
	Perks       []string
	// Rank is the level's place by threshold, 0 for the lowest: its code
	// is "V<Rank>". Filled by the lists.
	Rank int
	// Members is how many customers hold the level (admin list).
	Members int
}

// Code is the level's short name: V0, V1, V2…
func (l *Level) Code() string { return "V" + strconv.Itoa(l.Rank) }

// HasDiscount reports whether the level lowers prices.
func (l *Level) HasDiscount() bool { return l.DiscountPct > 0 && l.DiscountPct < 100 }

// Zhe is the discount in 折: 95 → "9.5", 90 → "9", 100 → "".
func Zhe(pct int) string {
	if pct <= 0 || pct >= 100 {
		return ""
	}
	z := strconv.Itoa(pct / 10)
	if pct%10 != 0 {
		z += "." + strconv.Itoa(pct%10)
	}
	return z
}

// Off is what the level takes off goods costing amount, rounded down to the
// fen.
func (l *Level) Off(amount store.Fen) store.Fen {
	if !l.HasDiscount() || amount <= 0 {
		return 0
	}
	return amount * store.Fen(100-l.DiscountPct) / 100
}

// Limits of a level.
const (
	MaxName      = 20
	MaxThreshold = 1_000_000_000
	MaxPerks     = 8
	MaxPerkLen   = 30
	MaxReason    = 100
	MaxGrowthAdj = 10_000_000
	MaxLevels    = 20
)

func (l *Level) validate() error {
	var v store.ValidationErrors
	l.Name = strings.TrimSpace(l.Name)
	if n := utf8.RuneCountInString(l.Name); n < 1 || n > MaxName {
		v.Add("name", "memberlevel.err.name", "max", MaxName)
	}
	if l.Threshold < 0 || l.Threshold > MaxThreshold {
		v.Add("threshold", "memberlevel.err.threshold", "max", MaxThreshold)
	}
	if l.DiscountPct < 1 || l.DiscountPct > 100 {
		v.Add("discount", "memberlevel.err.discount")
	}
	var perks []string
	for _, p := range l.Perks {
		if p = strings.TrimSpace(p); p != "" {
			perks = append(perks, p)
		}
	}
	l.Perks = perks
	if len(perks) > MaxPerks {
		v.Add("perks", "memberlevel.err.perks", "n", MaxPerks, "max", MaxPerkLen)
	}
	for _, p := range perks {
		if utf8.RuneCountInString(p) > MaxPerkLen {
			v.Add("perks", "memberlevel.err.perks", "n", MaxPerks, "max", MaxPerkLen)
			break
		}
	}
	return v.Err()
}

type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// levelsTx are the levels, lowest threshold first, ranked (without their
// member counts: the price pipeline reads it on every checkout).
func levelsTx(ctx context.Context, q queryer) ([]*Level, error) {
	rows, err := q.QueryContext(ctx, `SELECT l.id, l.name, l.threshold, l.discount_pct, l.perks, 0
		FROM memberlevel_levels l ORDER BY l.threshold`)
	if err != nil {
		return nil, fmt.Errorf("member levels: %w", err)
	}
	defer rows.Close()
	var out []*Level
	for rows.Next() {
		var l Level
		var perks string
		if err := rows.Scan(&l.ID, &l.Name, &l.Threshold, &l.DiscountPct, &perks, &l.Members); err != nil {
			return nil, fmt.Errorf("member levels: %w", err)
		}
		if perks != "" {
			l.Perks = strings.Split(perks, "\n")
		}
		l.Rank = len(out)
		out = append(out, &l)
	}
	return out, rows.Err()
}

// reached is the highest level whose threshold growth reaches, nil for none.
func reached(levels []*Level, growth int64) *Level {
	var out *Level
	for _, l := range levels {
		if l.Threshold <= growth {
			out = l
		}
	}
	return out
}

func byID(levels []*Level, id int64) *Level {
	for _, l := range levels {
		if l.ID == id {
			return l
		}
	}
	return nil
}

// Levels lists the levels, lowest first, with their member counts.
func Levels(ctx context.Context, db *store.DB) ([]*Level, error) {
	var out []*Level
	err := db.Read(ctx, func(tx *sql.Tx) error {
		var err error
		if out, err = levelsTx(ctx, tx); err != nil {
			return err
		}
		for _, l := range out {
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM memberlevel_members WHERE level_id = ?`, l.ID).Scan(&l.Members); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// GetLevel returns one level.
func GetLevel(ctx context.Context, db *store.DB, id int64) (*Level, error) {
	ls, err := Levels(ctx, db)
	if err != nil {
		return nil, err
	}
	if l := byID(ls, id); l != nil {
		return l, nil
	}
	return nil, store.ErrNotFound
}

// SaveLevel creates (ID 0) or updates a level; two levels may not share a
// threshold. Customers whose growth now reaches a higher level move up at
// their next growth change.
func SaveLevel(ctx context.Context, db *store.DB, l *Level) (int64, error) {
	if err := l.validate(); err != nil {
		return 0, err
	}
	id := l.ID
	err := db.Write(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM memberlevel_levels WHERE threshold = ? AND id != ?`, l.Threshold, id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return store.Invalid("threshold", "memberlevel.err.threshold_taken")
		}
		now := db.Now().Unix()
		perks := strings.Join(l.Perks, "\n")
		if id == 0 {
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM memberlevel_levels`).Scan(&n); err != nil {
				return err
			}
			if n >= MaxLevels {
				return store.Invalid("name", "memberlevel.err.too_many", "max", MaxLevels)
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO memberlevel_levels (name, threshold, discount_pct, perks, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?)`, l.Name, l.Threshold, l.DiscountPct, perks, now, now)
			if err != nil {
				return fmt.Errorf("save member level: %w", err)
			}
			id, _ = res.LastInsertId()
			return nil
		}
		res, err := tx.ExecContext(ctx, `UPDATE memberlevel_levels SET name = ?, threshold = ?, discount_pct = ?, perks = ?, updated_at = ?
			WHERE id = ?`, l.Name, l.Threshold, l.DiscountPct, perks, now, id)
		if err != nil {
			return fmt.Errorf("save member level: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return store.ErrNotFound
		}
		return nil
	})
	if err == nil {
		db.BumpCatalogue() // the product page's 会员价 strip
	}
	return id, err
}

// DeleteLevel deletes a level. Its holders are not left without one: each
// moves to the highest remaining level their growth reaches (logged), so
// deleting a level never raises anyone above what they earned.
func DeleteLevel(ctx context.Context, db *store.DB, id int64, actor store.Actor) error {
	defer db.BumpCatalogue()
	return db.Write(ctx, func(tx *sql.Tx) error {
		levels, err := levelsTx(ctx, tx)
		if err != nil {
			return err
		}
		gone := byID(levels, id)
		if gone == nil {
			return store.ErrNotFound
		}
		var rest []*Level
		for _, l := range levels {
			if l.ID != id {
				rest = append(rest, l)
			}
		}
		rows, err := tx.QueryContext(ctx, `SELECT customer_id, growth FROM memberlevel_members WHERE level_id = ?`, id)
		if err != nil {
			return err
		}
		type holder struct{ id, growth int64 }
		var hs []holder
		for rows.Next() {
			var h holder
			if err := rows.Scan(&h.id, &h.growth); err != nil {
				rows.Close()
				return err
			}
			hs = append(hs, h)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		now := db.Now().Unix()
		for _, h := range hs {
			to := reached(rest, h.growth)
			var toID any
			toName := ""
			if to != nil {
				toID, toName = to.ID, to.Name
			}
			if _, err := tx.ExecContext(ctx, `UPDATE memberlevel_members SET level_id = ?, updated_at = ? WHERE customer_id = ?`, toID, now, h.id); err != nil {
				return err
			}
			if err := logLevelTx(ctx, tx, h.id, gone.Name, toName, "等级「"+gone.Name+"」已删除", actor, now); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM memberlevel_levels WHERE id = ?`, id)
		return err
	})
}

func logLevelTx(ctx context.Context, tx *sql.Tx, customerID int64, from, to, reason string, actor store.Actor, now int64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO memberlevel_level_log (customer_id, from_level, to_level, reason, actor, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, customerID, from, to, reason, string(actor), now)
	if err != nil {
		return fmt.Errorf("member level log: %w", err)
	}
	return nil
}

// Member is a customer's standing: growth, level and the next level.
type Member struct {
	CustomerID int64
	Growth     int64
	Level      *Level // nil when the shop has no level the customer reached
	Next       *Level // the next level up, nil at the top
	Levels     []*Level
}

// ToNext is the growth still needed for the next level.
func (m *Member) ToNext() int64 {
	if m.Next == nil {
		return 0
	}
	return max(0, m.Next.Threshold-m.Growth)
}

// Progress is how far the growth is from the level to the next, 0–100.
func (m *Member) Progress() int {
	if m.Next == nil {
		return 100
	}
	var from int64
	if m.Level != nil {
		from = m.Level.Threshold
	}
	span := m.Next.Threshold - from
	if span <= 0 {
		return 100
	}
	p := (m.Growth - from) * 100 / span
	return int(min(100, max(0, p)))
}

// memberTx reads a customer's growth and level. A customer who never had
// a level set (no growth yet, or levels made after their growth) holds the
// highest level their growth reaches.
func memberTx(ctx context.Context, q queryer, customerID int64) (*Member, error) {
	levels, err := levelsTx(ctx, q)
	if err != nil {
		return nil, err
	}
	m := &Member{CustomerID: customerID, Levels: levels}
	var levelID sql.NullInt64
	err = q.QueryRowContext(ctx, `SELECT growth, level_id FROM memberlevel_members WHERE customer_id = ?`, customerID).Scan(&m.Growth, &levelID)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("member: %w", err)
	}
	if levelID.Valid {
		m.Level = byID(levels, levelID.Int64)
	}
	if m.Level == nil {
		m.Level = reached(levels, m.Growth)
	}
	for _, l := range levels {
		if m.Level == nil || l.Threshold > m.Level.Threshold {
			m.Next = l
			break
		}
	}
	return m, nil
}

// MemberOf returns a customer's standing.
func MemberOf(ctx context.Context, db *store.DB, customerID int64) (*Member, error) {
	var m *Member
	err := db.Read(ctx, func(tx *sql.Tx) error {
		var err error
		m, err = memberTx(ctx, tx, customerID)
		return err
	})
	return m, err
}

// Ledger kinds.
const (
	KindOrder  = "order"  // growth of a completed (or paid) order
	KindRefund = "refund" // withdrawn by a refund
	KindManual = "manual" // the back office
)

// addGrowthTx moves a customer's growth by delta with a ledger row, then
// moves them up to the level the new growth reaches (never down). With
// floor, the change is refused (ErrBelowZero) when it would take the
// growth below zero; the guard is in the UPDATE, so racing deductions
// cannot both pass.
func addGrowthTx(ctx context.Context, tx *sql.Tx, now int64, customerID, delta int64, kind, ref, note string, actor store.Actor, floor bool) (int64, error) {
	if _, err := tx.ExecContext(ctx, `INSERT INTO memberlevel_members (customer_id, growth, updated_at) VALUES (?, 0, ?)
		ON CONFLICT (customer_id) DO NOTHING`, customerID, now); err != nil {
		return 0, fmt.Errorf("growth: %w", err)
	}
	guard := ""
	args := []any{delta, now, customerID}
	if floor {
		guard = ` AND growth + ? >= 0`
		args = append(args, delta)
	}
	var after int64
	err := tx.QueryRowContext(ctx, `UPDATE memberlevel_members SET growth = growth + ?, updated_at = ? WHERE customer_id = ?`+guard+`
		RETURNING growth`, args...).Scan(&after)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrBelowZero
	}
	if err != nil {
		return 0, fmt.Errorf("growth: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO memberlevel_ledger (customer_id, delta, balance_after, kind, ref, note, actor, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, customerID, delta, after, kind, ref, note, string(actor), now); err != nil {
		return 0, fmt.Errorf("growth ledger: %w", err)
	}
	if delta > 0 {
		if err := upgradeTx(ctx, tx, customerID, actor, now); err != nil {
			return 0, err
		}
	}
	return after, nil
}

// ErrBelowZero refuses a manual change that would take growth below zero.
var ErrBelowZero = store.Invalid("delta", "memberlevel.err.below_zero")

// upgradeTx moves the customer up to the highest level their growth
// reaches when it is above the level they hold.
func upgradeTx(ctx context.Context, tx *sql.Tx, customerID int64, actor store.Actor, now int64) error {
	levels, err := levelsTx(ctx, tx)
	if err != nil {
		return err
	}
	var growth int64
	var levelID sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT growth, level_id FROM memberlevel_members WHERE customer_id = ?`, customerID).Scan(&growth, &levelID); err != nil {
		return fmt.Errorf("upgrade: %w", err)
	}
	to := reached(levels, growth)
	if to == nil {
		return nil
	}
	var cur *Level
	if levelID.Valid {
		cur = byID(levels, levelID.Int64)
	}
	if cur != nil && cur.Threshold >= to.Threshold {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE memberlevel_members SET level_id = ?, updated_at = ? WHERE customer_id = ?`, to.ID, now, customerID); err != nil {
		return fmt.Errorf("upgrade: %w", err)
	}
	from := ""
	if cur != nil {
		from = cur.Name
	}
	if cur == nil && to.Threshold == 0 {
		return nil // taking the entry level is no upgrade worth a log line
	}
	return logLevelTx(ctx, tx, customerID, from, to.Name, "成长值达到 "+strconv.FormatInt(to.Threshold, 10), actor, now)
}

func validReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	if n := utf8.RuneCountInString(reason); n < 1 || n > MaxReason {
		return "", store.Invalid("reason", "memberlevel.err.reason", "max", MaxReason)
	}
	return reason, nil
}

func customerExistsTx(ctx context.Context, tx *sql.Tx, id int64) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM customers WHERE id = ?`, id).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// SetLevel gives a customer a level by hand, with a reason, logged. It may
// move them down; a later growth credit moves them up again as usual.
func SetLevel(ctx context.Context, db *store.DB, customerID, levelID int64, reason string, actor store.Actor) error {
	reason, err := validReason(reason)
	if err != nil {
		return err
	}
	return db.Write(ctx, func(tx *sql.Tx) error {
		if err := customerExistsTx(ctx, tx, customerID); err != nil {
			return err
		}
		m, err := memberTx(ctx, tx, customerID)
		if err != nil {
			return err
		}
		to := byID(m.Levels, levelID)
		if to == nil {
			return store.Invalid("level_id", "memberlevel.err.level")
		}
		from := ""
		if m.Level != nil {
			from = m.Level.Name
		}
		now := db.Now().Unix()
		if _, err := tx.ExecContext(ctx, `INSERT INTO memberlevel_members (customer_id, growth, level_id, updated_at) VALUES (?, 0, ?, ?)
			ON CONFLICT (customer_id) DO UPDATE SET level_id = excluded.level_id, updated_at = excluded.updated_at`, customerID, to.ID, now); err != nil {
			return err
		}
		return logLevelTx(ctx, tx, customerID, from, to.Name, reason, actor, now)
	})
}

// AdjustGrowth changes a customer's growth by hand (delta ≠ 0), with a
// reason in the ledger; growth never goes below zero this way.
func AdjustGrowth(ctx context.Context, db *store.DB, customerID, delta int64, reason string, actor store.Actor) error {
	var v store.ValidationErrors
	if delta == 0 || delta > MaxGrowthAdj || delta < -MaxGrowthAdj {
		v.Add("delta", "memberlevel.err.delta", "max", MaxGrowthAdj)
	}
	reason, err := validReason(reason)
	if err != nil {
		v.Add("reason", "memberlevel.err.reason", "max", MaxReason)
	}
	if err := v.Err(); err != nil {
		return err
	}
	return db.Write(ctx, func(tx *sql.Tx) error {
		if err := customerExistsTx(ctx, tx, customerID); err != nil {
			return err
		}
		_, err := addGrowthTx(ctx, tx, db.Now().Unix(), customerID, delta, KindManual, "", reason, actor, true)
		return err
	})
}

// Entry is one ledger row.
type Entry struct {
	ID           int64
	Delta        int64
	BalanceAfter int64
	Kind         string
	Ref          string
	Note         string
	At           int64
}

// LevelChange is one row of the level log.
type LevelChange struct {
	From, To, Reason, Actor string
	At                      int64
}

// History is a page of a customer's ledger, newest first, and whether an
// older page follows.
func History(ctx context.Context, db *store.DB, customerID int64, page, size int) ([]Entry, bool, error) {
	page = max(1, page)
	var out []Entry
	err := db.Read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, delta, balance_after, kind, ref, note, created_at FROM memberlevel_ledger
			WHERE customer_id = ? ORDER BY id DESC LIMIT ? OFFSET ?`, customerID, size+1, (page-1)*size)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e Entry
			if err := rows.Scan(&e.ID, &e.Delta, &e.BalanceAfter, &e.Kind, &e.Ref, &e.Note, &e.At); err != nil {
				return err
			}
			out = append(out, e)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, false, fmt.Errorf("growth history: %w", err)
	}
	more := len(out) > size
	if more {
		out = out[:size]
	}
	return out, more, nil
}

// LevelLog is a customer's level changes, newest first.
func LevelLog(ctx context.Context, db *store.DB, customerID int64) ([]LevelChange, error) {
	var out []LevelChange
	err := db.Read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT from_level, to_level, reason, actor, created_at FROM memberlevel_level_log
			WHERE customer_id = ? ORDER BY id DESC LIMIT 50`, customerID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c LevelChange
			if err := rows.Scan(&c.From, &c.To, &c.Reason, &c.Actor, &c.At); err != nil {
				return err
			}
			out = append(out, c)
		}
		return rows.Err()
	})
	return out, err
}

// Stats are the programme's figures for the back office.
type Stats struct {
	Members   int   // customers with growth or a level
	Issued    int64 // growth credited by orders
	Withdrawn int64 // growth withdrawn by refunds
	Manual    int64 // net growth given by hand
	NoLevel   int   // customers below every level
}

// Statistics reads the figures.
func Statistics(ctx context.Context, db *store.DB) (Stats, error) {
	var s Stats
	err := db.Read(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(level_id IS NULL), 0) FROM memberlevel_members`).Scan(&s.Members, &s.NoLevel); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT
			COALESCE(SUM(CASE WHEN kind = 'order' THEN delta END), 0),
			COALESCE(-SUM(CASE WHEN kind = 'refund' THEN delta END), 0),
			COALESCE(SUM(CASE WHEN kind = 'manual' THEN delta END), 0) FROM memberlevel_ledger`).Scan(&s.Issued, &s.Withdrawn, &s.Manual)
	})
	return s, err
}

// FindCustomer finds a customer by phone number or id, for the back
// office's lookup.
func FindCustomer(ctx context.Context, db *store.DB, q string) (int64, error) {
	q = strings.TrimSpace(q)
	if q == "" {
		return 0, store.ErrNotFound
	}
	var id int64
	err := db.Read(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT id FROM customers WHERE phone = ?`, q).Scan(&id)
		if n, perr := strconv.ParseInt(q, 10, 64); errors.Is(err, sql.ErrNoRows) && perr == nil && n > 0 {
			err = tx.QueryRowContext(ctx, `SELECT id FROM customers WHERE id = ?`, n).Scan(&id)
		}
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return 0, store.ErrNotFound
	}
	return id, err
}
