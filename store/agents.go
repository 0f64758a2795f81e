package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Regional agents (区域代理): a customer appointed for a province, city or
// district with a rate and an optional expiry. One active agent per region
// (a unique index); appointing an agent makes them an active distributor
// if they have no distributor row, so the commission has a balance to land
// in.

// AgentTiers lists the agent tiers in the order the back office shows them.
var AgentTiers = []string{AgentProvince, AgentCity, AgentDistrict}

// Agent is one regional agent.
type Agent struct {
	ID         int64
	CustomerID int64
	Phone      string
	Nickname   string
	Tier       string
	RegionCode string
	RegionName string
	RateBP     int
	ExpiresAt  time.Time // zero: no expiry
	Active     bool
	CreatedAt  time.Time
}

// Expired reports whether the agent's term has ended at now.
func (a *Agent) Expired(now time.Time) bool { return !a.ExpiresAt.IsZero() && !now.Before(a.ExpiresAt) }

// AgentInput is the back office's agent form.
type AgentInput struct {
	CustomerID int64
	Tier       string
	RegionCode string // the province, city or district code of the tier
	RateBP     int
	ExpiresAt  time.Time // zero: no expiry
	Active     bool
}

// validate checks the input and returns the region's full name.
func (in *AgentInput) validate() (string, error) {
	var v ValidationErrors
	if in.CustomerID <= 0 {
		v.Add("phone", "distadmin.customer_unknown")
	}
	want := map[string]int{AgentProvince: 2, AgentCity: 4, AgentDistrict: 6}[in.Tier]
	if want == 0 {
		v.Add("tier", "distadmin.agent_tier")
	}
	in.RegionCode = NormalizeRegionCode(in.RegionCode)
	name := ""
	if want > 0 {
		ok := len(in.RegionCode) == want || (want == 6 && len(in.RegionCode) > 6)
		if ok {
			name, ok = regionFullName(in.RegionCode)
		}
		if !ok {
			v.Add("region", "distadmin.agent_region")
		}
	}
	if in.RateBP < 1 || in.RateBP > MaxRateBP {
		v.Add("rate", "distadmin.agent_rate_range")
	}
	return name, v.Err()
}

// regionFullName is "广东省 深圳市 南山区" for a district code, the
// province and city for a city code, the province for a province code.
func regionFullName(code string) (string, bool) {
	var levels []string
	switch {
	case len(code) == 2:
		levels = []string{code}
	case len(code) == 4:
		levels = []string{code[:2], code}
	case len(code) >= 6:
		levels = []string{code[:2], code[:4], code}
	}
	parts := make([]string, 0, len(levels))
	for _, c := range levels {
		name, ok := RegionName(c)
		if !ok {
			return "", false
		}
		parts = append(parts, name)
	}
	return strings.Join(parts, " "), len(parts) > 0
}

const agentColumns = `a.id, a.customer_id, c.phone, c.nickname, a.tier, a.region_code, a.region_name, a.rate_bp,
	a.expires_at, a.active, a.created_at`

func scanAgent(row scanner) (Agent, error) {
	var a Agent
	var exp sql.NullInt64
	var created int64
	err := row.Scan(&a.ID, &a.CustomerID, &a.Phone, &a.Nickname, &a.Tier, &a.RegionCode, &a.RegionName, &a.RateBP,
		&exp, &a.Active, &created)
	a.ExpiresAt, a.CreatedAt = unixTime(exp), time.Unix(created, 0)
	return a, err
}

// AgentFilter selects agents; zero fields do not filter.
type AgentFilter struct {
	Tier   string
	Active string // "1" active, "0" inactive
	Q      string // phone, nickname or region name contains
	Offset int
	Limit  int
}

// Agents returns one page of agents, newest first, and the total.
func (db *DB) Agents(ctx context.Context, f AgentFilter) ([]Agent, int, error) {
	var conds []string
	var args []any
	if f.Tier != "" {
		conds = append(conds, `a.tier = ?`)
		args = append(args, f.Tier)
	}
	switch f.Active {
	case "1":
		conds = append(conds, `a.active = 1`)
	case "0":
		conds = append(conds, `a.active = 0`)
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		conds = append(conds, `(instr(c.phone, ?) > 0 OR instr(c.nickname, ?) > 0 OR instr(a.region_name, ?) > 0)`)
		args = append(args, q, q, q)
	}
	where := ""
	if len(conds) > 0 {
		where = ` WHERE ` + strings.Join(conds, ` AND `)
	}
	const from = ` FROM agents a JOIN customers c ON c.id = a.customer_id`
	var total int
	if err := db.r.QueryRowContext(ctx, `SELECT COUNT(*)`+from+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("agents: %w", err)
	}
	if f.Limit <= 0 {
		f.Limit = 20
	}
	rows, err := db.r.QueryContext(ctx, `SELECT `+agentColumns+from+where+` ORDER BY a.id DESC LIMIT ? OFFSET ?`,
		append(args, f.Limit, max(f.Offset, 0))...)
	if err != nil {
		return nil, 0, fmt.Errorf("agents: %w", err)
	}
	defer rows.Close()
	var out []Agent
	for rows.Next() {
		a, err := scanAgent(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("agents: %w", err)
		}
		out = append(out, a)
	}
	return out, total, rows.Err()
}

// AgentByID returns one agent.
func (db *DB) AgentByID(ctx context.Context, id int64) (*Agent, error) {
	a, err := scanAgent(db.r.QueryRowContext(ctx, `SELECT `+agentColumns+` FROM agents a JOIN customers c ON c.id = a.customer_id
		WHERE a.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("agent %d: %w", id, err)
	}
	return &a, nil
}

// SaveAgent appoints an agent (id 0) or changes one. A region already held
// by another active agent is refused on the region field.
func (db *DB) SaveAgent(ctx context.Context, id int64, in AgentInput) (int64, error) {
	name, err := in.validate()
	if err != nil {
		return 0, err
	}
	var exp any
	if !in.ExpiresAt.IsZero() {
		exp = in.ExpiresAt.Unix()
	}
	err = db.Write(ctx, func(tx *sql.Tx) error {
		now := db.now().Unix()
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM customers WHERE id = ?`, in.CustomerID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return Invalid("phone", "distadmin.customer_unknown")
		}
		if in.Active {
			if err := makeDistributorTx(ctx, tx, in.CustomerID, DistManual, now); err != nil {
				return err
			}
		}
		if id == 0 {
			res, err := tx.ExecContext(ctx, `INSERT INTO agents (customer_id, tier, region_code, region_name, rate_bp, expires_at,
				active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				in.CustomerID, in.Tier, in.RegionCode, name, in.RateBP, exp, boolInt(in.Active), now, now)
			if err != nil {
				return err
			}
			id, err = res.LastInsertId()
			return err
		}
		return execOne(ctx, tx, `UPDATE agents SET customer_id = ?, tier = ?, region_code = ?, region_name = ?, rate_bp = ?,
			expires_at = ?, active = ?, updated_at = ? WHERE id = ?`,
			in.CustomerID, in.Tier, in.RegionCode, name, in.RateBP, exp, boolInt(in.Active), now, id)
	})
	if isUnique(err) {
		return 0, Invalid("region", "distadmin.agent_region_taken")
	}
	if err != nil {
		return 0, fmt.Errorf("save agent: %w", err)
	}
	return id, nil
}
