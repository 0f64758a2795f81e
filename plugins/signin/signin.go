// Package signin is 签到 as a plugin: a customer signs in once a day on a
// calendar page and gets the daily points, plus a bonus on given days of
// a streak (by default day 3 +10 and day 7 +30, the streak's cycle being
// the longest rule's day: after day 7 it starts again at day 1). The
// points are credited through the points plugin's ledger (points.PostTx)
// in the same transaction as the day's row. While the points plugin is
// switched off, signing in still works and keeps the streak, but shows
// and gives no points.
package signin

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/plugins/points"
	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// ID is the plugin's id.
const ID = "signin"

//go:embed migrations/*.sql
var migrations embed.FS

//go:embed i18n/*.json
var messages embed.FS

func init() {
	sub, err := fs.Sub(messages, "i18n")
	if err != nil {
		panic(err)
	}
	i18n.MustAdd(sub)
}

// Bonus is a streak rule: on day Day of the streak, Points more.
type Bonus struct {
	Day    int
	Points int64
}

// Rules are the rewards.
type Rules struct {
	Daily   int64
	Bonuses []Bonus // by day, ascending
}

// Cycle is the streak's cycle: the longest rule's day (0 = no cycle).
func (r Rules) Cycle() int {
	if len(r.Bonuses) == 0 {
		return 0
	}
	return r.Bonuses[len(r.Bonuses)-1].Day
}

// DayOf is the day within the cycle of streak day n (1-based).
func (r Rules) DayOf(n int) int {
	if c := r.Cycle(); c > 0 {
		return (n-1)%c + 1
	}
	return n
}

// Reward is what signing in on streak day n gives: the daily points and
// the bonus of that day of the cycle.
func (r Rules) Reward(n int) (daily, bonus int64) {
	d := r.DayOf(n)
	for _, b := range r.Bonuses {
		if b.Day == d {
			bonus += b.Points
		}
	}
	return r.Daily, bonus
}

// DefaultRules are 5 points a day, day 3 +10, day 7 +30.
var DefaultRules = Rules{Daily: 5, Bonuses: []Bonus{{3, 10}, {7, 30}}}

// MaxBonusDay bounds a bonus rule's day.
const MaxBonusDay = 31

// ParseBonuses reads "3:10, 7:30" (day:points, by commas, spaces or new
// lines); "" is no bonus.
func ParseBonuses(s string) ([]Bonus, error) {
	var out []Bonus
	seen := map[int]bool{}
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '，' || r == ' ' || r == '\n' || r == '\r' || r == '\t' }) {
		d, p, ok := strings.Cut(f, ":")
		if !ok {
			d, p, ok = strings.Cut(f, "：")
		}
		day, err1 := strconv.Atoi(d)
		pts, err2 := strconv.ParseInt(p, 10, 64)
		if !ok || err1 != nil || err2 != nil || day < 1 || day > MaxBonusDay || pts < 1 || pts > 100000 || seen[day] {
			return nil, store.Invalid("bonuses", "signin.err.bonuses", "max", MaxBonusDay)
		}
		seen[day] = true
		out = append(out, Bonus{day, pts})
	}
	if len(out) > 10 {
		return nil, store.Invalid("bonuses", "signin.err.bonuses", "max", MaxBonusDay)
	}
	slices.SortFunc(out, func(a, b Bonus) int { return a.Day - b.Day })
	return out, nil
}

// FormatBonuses writes bonuses as ParseBonuses reads them.
func FormatBonuses(bs []Bonus) string {
	parts := make([]string, len(bs))
	for i, b := range bs {
		parts[i] = strconv.Itoa(b.Day) + ":" + strconv.FormatInt(b.Points, 10)
	}
	return strings.Join(parts, ",")
}

// Plugin is the sign-in plugin.
type Plugin struct {
	mu    sync.RWMutex
	rules Rules
	reg   *plugins.Registry
}

// New returns the plugin with the default rules.
func New() *Plugin { return &Plugin{rules: DefaultRules} }

// ID implements plugins.Plugin.
func (*Plugin) ID() string { return ID }

// Name implements plugins.Plugin.
func (*Plugin) Name() string { return "签到" }

// Description implements plugins.Describer.
func (*Plugin) Description() string {
	return "每日签到日历，签到送积分，连续签到额外奖励"
}

// Migrations implements plugins.Migrator.
func (*Plugin) Migrations() fs.FS { return migrations }

// Register keeps the registry, to know whether the points plugin is on.
func (p *Plugin) Register(r *plugins.Registry) error {
	p.reg = r
	return plugins.Bind(r, r.HomeView, ID, plugins.Handler[*plugins.HomeViewEvent]{ID: "entry", Priority: -20, Func: p.entry})
}

// entry is the home page's 签到 tile, for everyone: a visitor is sent to
// sign in first (the page is an Account route).
func (p *Plugin) entry(e *plugins.HomeViewEvent) error {
	hint := i18n.Tc(e.Ctx, "signin.entry.hint")
	if p.pointsOn() {
		hint = i18n.Tc(e.Ctx, "signin.entry.hint_points")
	}
	e.Entries = append(e.Entries, plugins.HomeEntry{ID: "signin", Title: i18n.Tc(e.Ctx, "signin.entry.title"), Hint: hint, URL: pagePath})
	return e.Next()
}

// pointsOn reports whether sign-ins give points now.
func (p *Plugin) pointsOn() bool { return p.reg != nil && p.reg.Enabled(points.ID) }

// Rules are the rules in use.
func (p *Plugin) Rules() Rules {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.rules
}

// SettingsSchema implements plugins.Configurable.
func (*Plugin) SettingsSchema() []plugins.SettingField {
	return []plugins.SettingField{
		{Key: "daily", Kind: plugins.FieldText, Label: "signin.setting.daily", Help: "signin.setting.daily_help",
			Default: strconv.FormatInt(DefaultRules.Daily, 10)},
		{Key: "bonuses", Kind: plugins.FieldText, Label: "signin.setting.bonuses", Help: "signin.setting.bonuses_help",
			Default: FormatBonuses(DefaultRules.Bonuses)},
	}
}

// ParseRules reads the settings.
func ParseRules(v plugins.SettingValues) (Rules, error) {
	var ve store.ValidationErrors
	r := Rules{Daily: DefaultRules.Daily}
	if s := strings.TrimSpace(v.Get("daily")); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 || n > 100000 {
			ve.Add("daily", "signin.err.daily", "max", 100000)
		}
		r.Daily = n
	}
	bs, err := ParseBonuses(v.Get("bonuses"))
	if err != nil {
		var e *store.ValidationError
		if errors.As(err, &e) {
			ve = append(ve, e)
		}
	}
	r.Bonuses = bs
	if err := ve.Err(); err != nil {
		return Rules{}, err
	}
	return r, nil
}

// Configure implements plugins.Configurable.
func (p *Plugin) Configure(_ context.Context, v plugins.SettingValues) error {
	r, err := ParseRules(v)
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.rules = r
	p.mu.Unlock()
	return nil
}

// Day is a calendar date in the shop's time zone, "2006-01-02".
func Day(t time.Time) string { return t.Local().Format(time.DateOnly) }

// Result is what a sign-in did.
type Result struct {
	Signed bool // false: already signed in today
	Streak int
	Points int64 // daily + bonus, 0 while points are off
	Bonus  int64
}

// ErrAlready is returned by SignIn when the customer signed in today.
var ErrAlready = errors.New("signin: already signed in today")

// SignIn signs the customer in for today: the day's row (its primary key
// decides a double sign-in: two at once give one row and one reward) and
// the points, in one transaction. It returns ErrAlready the second time.
func (p *Plugin) SignIn(ctx context.Context, db *store.DB, customerID int64) (Result, error) {
	now := db.Now()
	today := Day(now)
	yesterday := Day(now.Local().AddDate(0, 0, -1))
	rules := p.Rules()
	give := p.pointsOn()
	var res Result
	err := db.Write(ctx, func(tx *sql.Tx) error {
		var prev int
		err := tx.QueryRowContext(ctx, `SELECT streak FROM signin_days WHERE customer_id = ? AND day = ?`, customerID, yesterday).Scan(&prev)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("signin: %w", err)
		}
		res.Streak = prev + 1
		if give {
			daily, bonus := rules.Reward(res.Streak)
			res.Points, res.Bonus = daily+bonus, bonus
		}
		r, err := tx.ExecContext(ctx, `INSERT INTO signin_days (customer_id, day, streak, points, bonus, at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (customer_id, day) DO NOTHING`, customerID, today, res.Streak, res.Points, res.Bonus, now.Unix())
		if err != nil {
			return fmt.Errorf("signin: %w", err)
		}
		if n, _ := r.RowsAffected(); n != 1 {
			return ErrAlready
		}
		res.Signed = true
		if res.Points > 0 {
			note := fmt.Sprintf("%s 签到", today)
			if res.Bonus > 0 {
				note = fmt.Sprintf("%s 签到，连续 %d 天额外 +%d", today, res.Streak, res.Bonus)
			}
			if _, err := points.PostTx(ctx, tx, customerID, res.Points, points.KindSignin, "signin:"+today, note, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Result{}, err
	}
	return res, nil
}

// Month is a customer's sign-ins of one month.
type Month struct {
	Year      int
	Month     time.Month
	Signed    map[int]bool // by day of month
	Today     int          // day of month of today
	SignedNow bool         // signed in today
	Streak    int          // the run up to today (or yesterday, if not yet today)
	Total     int          // days signed in, ever
}

// MonthOf reads the customer's sign-ins of the month of now.
func MonthOf(ctx context.Context, db *store.DB, customerID int64, now time.Time) (Month, error) {
	now = now.Local()
	m := Month{Year: now.Year(), Month: now.Month(), Signed: map[int]bool{}, Today: now.Day()}
	prefix := now.Format("2006-01-")
	err := db.Read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT day FROM signin_days WHERE customer_id = ? AND day >= ? AND day < ?`,
			customerID, prefix+"01", prefix+"99")
		if err != nil {
			return err
		}
		for rows.Next() {
			var d string
			if err := rows.Scan(&d); err != nil {
				rows.Close()
				return err
			}
			n, _ := strconv.Atoi(strings.TrimPrefix(d, prefix))
			m.Signed[n] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		var s sql.NullInt64
		err = tx.QueryRowContext(ctx, `SELECT streak FROM signin_days WHERE customer_id = ? AND day IN (?, ?) ORDER BY day DESC LIMIT 1`,
			customerID, Day(now), Day(now.AddDate(0, 0, -1))).Scan(&s)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		m.Streak = int(s.Int64)
		return tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM signin_days WHERE customer_id = ?`, customerID).Scan(&m.Total)
	})
	if err != nil {
		return m, fmt.Errorf("signin month: %w", err)
	}
	m.SignedNow = m.Signed[m.Today]
	return m, nil
}

// Stats are the back office's figures.
type Stats struct {
	Today, Yesterday int
	Month            int   // sign-ins this month
	Customers        int   // who ever signed in
	Points           int64 // given in all
	Longest          int   // the longest streak
}

// ShopStats reads the figures as of now.
func ShopStats(ctx context.Context, db *store.DB, now time.Time) (Stats, error) {
	var s Stats
	now = now.Local()
	err := db.Read(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT
			COALESCE(SUM(day = ?1), 0), COALESCE(SUM(day = ?2), 0), COALESCE(SUM(day >= ?3 AND day <= ?1), 0),
			COUNT(DISTINCT customer_id), COALESCE(SUM(points), 0), COALESCE(MAX(streak), 0) FROM signin_days`,
			Day(now), Day(now.AddDate(0, 0, -1)), now.Format("2006-01-")+"01").Scan(
			&s.Today, &s.Yesterday, &s.Month, &s.Customers, &s.Points, &s.Longest)
	})
	if err != nil {
		return s, fmt.Errorf("signin stats: %w", err)
	}
	return s, nil
}

// Demo implements plugins.Demoer: the points demo's customers have signed
// in on most of the last days, the first one on each of the last six (the
// seventh, with its bonus, is today's to take).
func (p *Plugin) Demo(ctx context.Context, db *store.DB) error {
	now := db.Now()
	rules := p.Rules()
	pattern := [][]int{{6, 5, 4, 3, 2, 1}, {9, 8, 5, 4, 3, 1}, {2, 1}}
	for i, ph := range points.DemoPhones {
		id, err := points.DemoCustomer(ctx, db, ph)
		if err != nil {
			return err
		}
		err = db.Write(ctx, func(tx *sql.Tx) error {
			streak := 0
			last := -1
			for _, ago := range pattern[i] {
				if last >= 0 && ago == last-1 {
					streak++
				} else {
					streak = 1
				}
				last = ago
				at := now.AddDate(0, 0, -ago)
				daily, bonus := rules.Reward(streak)
				day := Day(at)
				if _, err := tx.ExecContext(ctx, `INSERT INTO signin_days (customer_id, day, streak, points, bonus, at) VALUES (?, ?, ?, ?, ?, ?)`,
					id, day, streak, daily+bonus, bonus, at.Unix()); err != nil {
					return err
				}
				if daily+bonus > 0 {
					if _, err := points.PostTx(ctx, tx, id, daily+bonus, points.KindSignin, "signin:"+day, day+" 签到", at); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func pointsBalance(r plugins.Request) (int64, error) {
	return points.Balance(r.Context(), r.Store(), r.Customer().ID)
}
