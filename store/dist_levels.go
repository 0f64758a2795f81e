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

// Distributor levels (分销等级): rates that replace the shop's for their
// members, an own-purchase discount, and upgrade conditions the job
// UpgradeDistributorLevels applies. Levels are soft-deleted: commissions
// name the level they were computed by.

// DistributorLevel is one distributor level.
type DistributorLevel struct {
	ID         int64
	Name       string
	Weight     int
	Rates      [3]int // bp per level
	DiscountBP int
	CondSales  Fen
	CondDirect int
	CondTeam   int
	CondSpend  Fen
	CondAll    bool
	Members    int // active distributors at the level (lists)
	CreatedAt  time.Time
}

// HasConditions reports whether the level has any upgrade condition; a
// level without one is only given by hand.
func (l *DistributorLevel) HasConditions() bool {
	return l.CondSales > 0 || l.CondDirect > 0 || l.CondTeam > 0 || l.CondSpend > 0
}

// Limits of a distributor level.
const (
	MaxLevelName   = 20
	MaxLevelWeight = 999
	MaxLevelCount  = 1_000_000
)

// validate checks a level and normalises its name.
func (l *DistributorLevel) validate() error {
	var v ValidationErrors
	l.Name = strings.TrimSpace(l.Name)
	switch n := utf8.RuneCountInString(l.Name); {
	case n == 0:
		v.Add("name", "validation.required")
	case n > MaxLevelName:
		v.Add("name", "validation.max_len", "max", MaxLevelName)
	}
	if l.Weight < 1 || l.Weight > MaxLevelWeight {
		v.Add("weight", "dist.range", "min", 1, "max", MaxLevelWeight)
	}
	total := 0
	for i, r := range l.Rates {
		if r < 0 || r > MaxRateBP {
			v.Add(fmt.Sprintf("rate%d", i+1), "dist.rate_range")
		}
		total += r
	}
	if total > MaxRateBP {
		v.Add("rate1", "dist.rates_total")
	}
	if l.DiscountBP < 0 || l.DiscountBP >= MaxRateBP {
		v.Add("discount", "distadmin.discount_range")
	}
	if l.CondSales < 0 || l.CondSales > MaxPrice {
		v.Add("cond_sales", "validation.money")
	}
	if l.CondSpend < 0 || l.CondSpend > MaxPrice {
		v.Add("cond_spend", "validation.money")
	}
	if l.CondDirect < 0 || l.CondDirect > MaxLevelCount {
		v.Add("cond_direct", "dist.range", "min", 0, "max", MaxLevelCount)
	}
	if l.CondTeam < 0 || l.CondTeam > MaxLevelCount {
		v.Add("cond_team", "dist.range", "min", 0, "max", MaxLevelCount)
	}
	return v.Err()
}

const levelColumns = `l.id, l.name, l.weight, l.rate1_bp, l.rate2_bp, l.rate3_bp, l.discount_bp, l.cond_sales_fen,
	l.cond_direct, l.cond_team, l.cond_spend_fen, l.cond_all, l.created_at,
	(SELECT COUNT(*) FROM distributors d WHERE d.level_id = l.id AND d.status = 'active')`

func scanLevel(row scanner) (DistributorLevel, error) {
	var l DistributorLevel
	var created int64
	err := row.Scan(&l.ID, &l.Name, &l.Weight, &l.Rates[0], &l.Rates[1], &l.Rates[2], &l.DiscountBP, &l.CondSales,
		&l.CondDirect, &l.CondTeam, &l.CondSpend, &l.CondAll, &created, &l.Members)
	l.CreatedAt = time.Unix(created, 0)
	return l, err
}

// DistributorLevels returns the levels, lowest weight first.
func (db *DB) DistributorLevels(ctx context.Context) ([]DistributorLevel, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+levelColumns+` FROM distributor_levels l WHERE l.deleted_at IS NULL ORDER BY l.weight`)
	if err != nil {
		return nil, fmt.Errorf("distributor levels: %w", err)
	}
	defer rows.Close()
	var out []DistributorLevel
	for rows.Next() {
		l, err := scanLevel(rows)
		if err != nil {
			return nil, fmt.Errorf("distributor levels: %w", err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// DistributorLevelByID returns one level.
func (db *DB) DistributorLevelByID(ctx context.Context, id int64) (*DistributorLevel, error) {
	l, err := scanLevel(db.r.QueryRowContext(ctx, `SELECT `+levelColumns+` FROM distributor_levels l WHERE l.id = ? AND l.deleted_at IS NULL`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("distributor level %d: %w", id, err)
	}
	return &l, nil
}

// SaveDistributorLevel creates the level (l.ID 0) or updates it; two
// levels may not share a weight.
func (db *DB) SaveDistributorLevel(ctx context.Context, l DistributorLevel) (int64, error) {
	if err := l.validate(); err != nil {
		return 0, err
	}
	id := l.ID
	err := db.Write(ctx, func(tx *sql.Tx) error {
		now := db.now().Unix()
		args := []any{l.Name, l.Weight, l.Rates[0], l.Rates[1], l.Rates[2], l.DiscountBP, l.CondSales, l.CondDirect,
			l.CondTeam, l.CondSpend, boolInt(l.CondAll), now}
		if id == 0 {
			res, err := tx.ExecContext(ctx, `INSERT INTO distributor_levels (name, weight, rate1_bp, rate2_bp, rate3_bp,
				discount_bp, cond_sales_fen, cond_direct, cond_team, cond_spend_fen, cond_all, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, append(args, now)...)
			if err != nil {
				return err
			}
			id, err = res.LastInsertId()
			return err
		}
		return execOne(ctx, tx, `UPDATE distributor_levels SET name = ?, weight = ?, rate1_bp = ?, rate2_bp = ?, rate3_bp = ?,
			discount_bp = ?, cond_sales_fen = ?, cond_direct = ?, cond_team = ?, cond_spend_fen = ?, cond_all = ?, updated_at = ?
			WHERE id = ? AND deleted_at IS NULL`, append(args, id)...)
	})
	if isUnique(err) {
		return 0, Invalid("weight", "distadmin.level_weight_taken")
	}
	if err != nil {
		return 0, fmt.Errorf("save distributor level: %w", err)
	}
	db.bumpCatalogue()
	return id, nil
}

// DeleteDistributorLevel soft-deletes a level; its members go back to the
// default level (the shop's rates).
func (db *DB) DeleteDistributorLevel(ctx context.Context, id int64) error {
	err := db.Write(ctx, func(tx *sql.Tx) error {
		now := db.now().Unix()
		if err := execOne(ctx, tx, `UPDATE distributor_levels SET deleted_at = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL`,
			now, now, id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE distributors SET level_id = NULL, level_manual = 0, updated_at = ? WHERE level_id = ?`, now, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete distributor level %d: %w", id, err)
	}
	db.bumpCatalogue()
	return nil
}

// UpgradeDistributorLevels moves up to limit active distributors to the
// highest level whose upgrade conditions they meet, when it is above their
// level now; it never moves anyone down and leaves levels set by hand
// alone. It returns how many it moved; the job calls again while it gets a
// full batch. One transaction per call.
func (db *DB) UpgradeDistributorLevels(ctx context.Context, limit int) (int, error) {
	levels, err := db.DistributorLevels(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	err = db.Write(ctx, func(tx *sql.Tx) error {
		now := db.now().Unix()
		for i := len(levels) - 1; i >= 0 && n < limit; i-- {
			l := levels[i]
			var conds []string
			var args []any
			for _, c := range []struct {
				col string
				min int64
			}{{"sales_fen", int64(l.CondSales)}, {"direct_count", int64(l.CondDirect)}, {"team_count", int64(l.CondTeam)},
				{"spend_fen", int64(l.CondSpend)}} {
				if c.min > 0 {
					conds = append(conds, "d."+c.col+" >= ?")
					args = append(args, c.min)
				}
			}
			if len(conds) == 0 {
				continue
			}
			join := " OR "
			if l.CondAll {
				join = " AND "
			}
			res, err := tx.ExecContext(ctx, `UPDATE distributors SET level_id = ?, updated_at = ? WHERE customer_id IN (
				SELECT d.customer_id FROM distributors d LEFT JOIN distributor_levels cur ON cur.id = d.level_id AND cur.deleted_at IS NULL
				WHERE d.status = 'active' AND d.level_manual = 0 AND COALESCE(cur.weight, 0) < ? AND (`+strings.Join(conds, join)+`)
				ORDER BY d.customer_id LIMIT ?)`, append(append([]any{l.ID, now, l.Weight}, args...), limit-n)...)
			if err != nil {
				return err
			}
			k, _ := res.RowsAffected()
			n += int(k)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("upgrade distributor levels: %w", err)
	}
	return n, nil
}
