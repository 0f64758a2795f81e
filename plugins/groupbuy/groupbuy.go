// Package groupbuy is the group buy (拼团) as a plugin. An activity puts
// a product at a group price (a percent of each SKU's price) for groups of
// a size; a customer opens a group by paying for an order at the group
// price, others join it by paying; a paid group order waits in grouping
// (拼团中) until its group is full, when every order of the group goes on
// to be shipped. A group still short when its time runs out is refunded
// in full through each payment's own provider (or, with 模拟成团, the shop
// fills it and it succeeds). Seats are taken in the payment's
// transaction with a guarded UPDATE: two payments racing for the last
// seat, one joins and the other order is refunded.
package groupbuy

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// ID is the plugin's id, the source of its adjustments and the Activity
// of the lines it prices.
const ID = "groupbuy"

// OptionKey is the checkout option: o_group=new opens a group,
// o_group=<group id> joins one.
const OptionKey = "group"

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

// Activity is one product's group buy.
type Activity struct {
	ID         int64
	Name       string
	ProductID  int64
	Product    string // the product's title, for lists
	Percent    int64  // the group price is Percent % of each SKU's price
	Size       int
	Hours      int
	PerUser    int // pieces per customer at the group price, 0 = no limit
	Fill       bool
	Commission bool
	StartsAt   time.Time
	EndsAt     time.Time
	Status     string
}

// Live reports whether new groups may be opened at now.
func (a *Activity) Live(now time.Time) bool {
	return a.Status == "active" && !now.Before(a.StartsAt) && now.Before(a.EndsAt)
}

// Price is the group price of a unit at price: the discount is rounded
// down to the fen.
func (a *Activity) Price(price store.Fen) store.Fen {
	return price - a.Off(price)
}

// Off is what one unit at price saves at the group price.
func (a *Activity) Off(price store.Fen) store.Fen {
	return price * store.Fen(100-a.Percent) / 100
}

// Label is the group in words: 3人团.
func (a *Activity) Label(ctx context.Context) string {
	return i18n.Tc(ctx, "groupbuy.label", "n", a.Size)
}

// Limits of an activity.
const (
	MaxName     = 30
	MaxSize     = 50
	MaxHours    = 720
	MaxPerUser  = 999
	listLimit   = 500
	groupsShown = 5
)

func (a *Activity) validate() error {
	var v store.ValidationErrors
	a.Name = strings.TrimSpace(a.Name)
	if n := utf8.RuneCountInString(a.Name); n < 1 || n > MaxName {
		v.Add("name", "groupbuy.err.name", "max", MaxName)
	}
	if a.ProductID <= 0 {
		v.Add("product_id", "groupbuy.err.product")
	}
	if a.Percent < 1 || a.Percent > 99 {
		v.Add("percent", "groupbuy.err.percent")
	}
	if a.Size < 2 || a.Size > MaxSize {
		v.Add("size", "groupbuy.err.size", "max", MaxSize)
	}
	if a.Hours < 1 || a.Hours > MaxHours {
		v.Add("hours", "groupbuy.err.hours", "max", MaxHours)
	}
	if a.PerUser < 0 || a.PerUser > MaxPerUser {
		v.Add("per_user", "groupbuy.err.per_user")
	}
	if a.StartsAt.IsZero() || !a.EndsAt.After(a.StartsAt) {
		v.Add("ends_at", "groupbuy.err.window")
	}
	return v.Err()
}

const activityCols = `a.id, a.name, a.product_id, p.title, a.percent, a.size, a.hours, a.per_user, a.fill_at_expiry,
	a.commission, a.starts_at, a.ends_at, a.status`

type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func activitiesTx(ctx context.Context, q queryer, where string, args ...any) ([]*Activity, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+activityCols+` FROM groupbuy_activities a JOIN products p ON p.id = a.product_id
		WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("group buy activities: %w", err)
	}
	defer rows.Close()
	var out []*Activity
	for rows.Next() {
		var a Activity
		var starts, ends int64
		if err := rows.Scan(&a.ID, &a.Name, &a.ProductID, &a.Product, &a.Percent, &a.Size, &a.Hours, &a.PerUser, &a.Fill,
			&a.Commission, &starts, &ends, &a.Status); err != nil {
			return nil, fmt.Errorf("group buy activities: %w", err)
		}
		a.StartsAt, a.EndsAt = time.Unix(starts, 0), time.Unix(ends, 0)
		out = append(out, &a)
	}
	return out, rows.Err()
}

func activityTx(ctx context.Context, q queryer, id int64) (*Activity, error) {
	as, err := activitiesTx(ctx, q, `a.id = ?`, id)
	if err != nil {
		return nil, err
	}
	if len(as) == 0 {
		return nil, store.ErrNotFound
	}
	return as[0], nil
}

// liveTx is the live activity on a product at now, nil for none.
func liveTx(ctx context.Context, q queryer, now time.Time, productID int64) (*Activity, error) {
	as, err := activitiesTx(ctx, q, `a.product_id = ? AND a.status = 'active' AND a.starts_at <= ? AND a.ends_at > ?
		ORDER BY a.id LIMIT 1`, productID, now.Unix(), now.Unix())
	if err != nil || len(as) == 0 {
		return nil, err
	}
	return as[0], nil
}

// Save creates (ID 0) or updates an activity. An active activity whose
// window overlaps another active one on the same product is refused.
func Save(ctx context.Context, db *store.DB, a *Activity) (int64, error) {
	if err := a.validate(); err != nil {
		return 0, err
	}
	if a.Status == "" {
		a.Status = "active"
	}
	id := a.ID
	err := db.Write(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM products WHERE id = ? AND deleted_at IS NULL`, a.ProductID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return store.Invalid("product_id", "groupbuy.err.product")
		}
		if a.Status == "active" {
			if clash, err := plugins.ActivityOverlapTx(ctx, tx, "groupbuy_activities", a.ProductID, id, a.StartsAt, a.EndsAt); err != nil || clash {
				if err != nil {
					return err
				}
				return store.Invalid("product_id", "groupbuy.err.overlap")
			}
		}
		now := db.Now().Unix()
		if id == 0 {
			res, err := tx.ExecContext(ctx, `INSERT INTO groupbuy_activities (name, product_id, percent, size, hours, per_user,
				fill_at_expiry, commission, starts_at, ends_at, status, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, a.Name, a.ProductID, a.Percent, a.Size, a.Hours, a.PerUser,
				a.Fill, a.Commission, a.StartsAt.Unix(), a.EndsAt.Unix(), a.Status, now, now)
			if err != nil {
				return fmt.Errorf("save group buy: %w", err)
			}
			id, _ = res.LastInsertId()
			return nil
		}
		// Open groups keep the size they were opened with.
		res, err := tx.ExecContext(ctx, `UPDATE groupbuy_activities SET name = ?, product_id = ?, percent = ?, size = ?, hours = ?,
			per_user = ?, fill_at_expiry = ?, commission = ?, starts_at = ?, ends_at = ?, status = ?, updated_at = ? WHERE id = ?`,
			a.Name, a.ProductID, a.Percent, a.Size, a.Hours, a.PerUser, a.Fill, a.Commission, a.StartsAt.Unix(), a.EndsAt.Unix(),
			a.Status, now, id)
		if err != nil {
			return fmt.Errorf("save group buy: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return store.ErrNotFound
		}
		return nil
	})
	if err == nil {
		db.BumpCatalogue()
	}
	return id, err
}

// Stop ends an activity now: no new group opens; open groups run to
// their end.
func Stop(ctx context.Context, db *store.DB, id int64) error {
	return plugins.StopActivity(ctx, db, "groupbuy_activities", id)
}

// Get returns one activity.
func Get(ctx context.Context, db *store.DB, id int64) (*Activity, error) {
	var out *Activity
	err := db.Read(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = activityTx(ctx, tx, id)
		return err
	})
	return out, err
}

// Stats are an activity's figures.
type Stats struct {
	Opened, Open, Succeeded, Failed int
	Orders                          int       // paid group orders
	Revenue                         store.Fen // what the orders of succeeded groups paid for their group lines
	Refunded                        int       // orders refunded
}

// Row is an activity with its figures, for the back office.
type Row struct {
	*Activity
	Stats
}

// StatsOf are the figures of one activity, or of all for 0.
func statsTx(ctx context.Context, q queryer, activityID int64) (Stats, error) {
	var s Stats
	err := q.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(*) FILTER (WHERE status = 'open'),
		COUNT(*) FILTER (WHERE status = 'succeeded'), COUNT(*) FILTER (WHERE status = 'failed')
		FROM groupbuy_groups WHERE ?1 = 0 OR activity_id = ?1`, activityID).Scan(&s.Opened, &s.Open, &s.Succeeded, &s.Failed)
	if err != nil {
		return s, fmt.Errorf("group buy stats: %w", err)
	}
	err = q.QueryRowContext(ctx, `SELECT COUNT(*) FILTER (WHERE m.status IN ('joined', 'refund', 'refunded')),
		COALESCE(SUM(m.amount_fen) FILTER (WHERE m.status = 'joined' AND g.status = 'succeeded'), 0),
		COUNT(*) FILTER (WHERE m.status = 'refunded')
		FROM groupbuy_members m LEFT JOIN groupbuy_groups g ON g.id = m.group_id
		WHERE ?1 = 0 OR m.activity_id = ?1`, activityID).Scan(&s.Orders, &s.Revenue, &s.Refunded)
	if err != nil {
		return s, fmt.Errorf("group buy stats: %w", err)
	}
	return s, nil
}

// Totals are the figures of every activity.
func Totals(ctx context.Context, db *store.DB) (Stats, error) {
	var s Stats
	err := db.Read(ctx, func(tx *sql.Tx) error {
		var err error
		s, err = statsTx(ctx, tx, 0)
		return err
	})
	return s, err
}

// List is every activity, newest first, with its figures.
func List(ctx context.Context, db *store.DB) ([]Row, error) {
	var out []Row
	err := db.Read(ctx, func(tx *sql.Tx) error {
		as, err := activitiesTx(ctx, tx, `1 ORDER BY a.id DESC LIMIT `+strconv.Itoa(listLimit))
		if err != nil {
			return err
		}
		for _, a := range as {
			s, err := statsTx(ctx, tx, a.ID)
			if err != nil {
				return err
			}
			out = append(out, Row{Activity: a, Stats: s})
		}
		return nil
	})
	return out, err
}

// Member is one seat of a group, for the group page.
type Member struct {
	CustomerID int64
	Name       string
	Avatar     string
	Leader     bool
	JoinedAt   time.Time
}

// Group is one group with its members.
type Group struct {
	ID         int64
	ActivityID int64
	LeaderID   int64
	Leader     string
	Size       int
	Members    int
	Status     string // open, succeeded, failed
	FilledBy   bool   // 模拟成团
	CreatedAt  time.Time
	ExpiresAt  time.Time
	Seats      []Member
	Activity   *Activity
}

// Left is how many seats are still free.
func (g *Group) Left() int { return max(0, g.Size-g.Members) }

// Joinable reports whether someone may still take a seat at now.
func (g *Group) Joinable(now time.Time) bool {
	return g.Status == "open" && now.Before(g.ExpiresAt) && g.Members < g.Size
}

const groupCols = `g.id, g.activity_id, g.leader_id, COALESCE(NULLIF(c.nickname, ''), c.phone), g.size, g.members, g.status,
	g.filled_by_shop, g.created_at, g.expires_at`

func groupsTx(ctx context.Context, q queryer, where string, args ...any) ([]*Group, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+groupCols+` FROM groupbuy_groups g JOIN customers c ON c.id = g.leader_id
		WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("groups: %w", err)
	}
	defer rows.Close()
	var out []*Group
	for rows.Next() {
		var g Group
		var created, expires int64
		if err := rows.Scan(&g.ID, &g.ActivityID, &g.LeaderID, &g.Leader, &g.Size, &g.Members, &g.Status, &g.FilledBy,
			&created, &expires); err != nil {
			return nil, fmt.Errorf("groups: %w", err)
		}
		g.Leader = displayName(g.Leader)
		g.CreatedAt, g.ExpiresAt = time.Unix(created, 0), time.Unix(expires, 0)
		out = append(out, &g)
	}
	return out, rows.Err()
}

// displayName masks a phone number used as a name: 138****8000.
func displayName(s string) string {
	if len(s) == 11 && strings.Trim(s, "0123456789") == "" {
		return s[:3] + "****" + s[7:]
	}
	return s
}

// GroupByID is a group with its members and activity.
func GroupByID(ctx context.Context, db *store.DB, id int64) (*Group, error) {
	var g *Group
	err := db.Read(ctx, func(tx *sql.Tx) error {
		gs, err := groupsTx(ctx, tx, `g.id = ?`, id)
		if err != nil {
			return err
		}
		if len(gs) == 0 {
			return store.ErrNotFound
		}
		g = gs[0]
		if g.Activity, err = activityTx(ctx, tx, g.ActivityID); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT m.customer_id, COALESCE(NULLIF(c.nickname, ''), c.phone), c.avatar, m.joined_at
			FROM groupbuy_members m JOIN customers c ON c.id = m.customer_id
			WHERE m.group_id = ? AND m.status IN ('joined', 'refund', 'refunded') ORDER BY m.joined_at, m.id`, id)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var m Member
			var at sql.NullInt64
			if err := rows.Scan(&m.CustomerID, &m.Name, &m.Avatar, &at); err != nil {
				return err
			}
			m.Name, m.Leader, m.JoinedAt = displayName(m.Name), m.CustomerID == g.LeaderID, time.Unix(at.Int64, 0)
			g.Seats = append(g.Seats, m)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if len(g.Seats) == 0 || !g.Seats[0].Leader { // a group the demo opened without an order
			var m Member
			if err := tx.QueryRowContext(ctx, `SELECT id, COALESCE(NULLIF(nickname, ''), phone), avatar FROM customers WHERE id = ?`,
				g.LeaderID).Scan(&m.CustomerID, &m.Name, &m.Avatar); err != nil {
				return err
			}
			m.Name, m.Leader, m.JoinedAt = displayName(m.Name), true, g.CreatedAt
			g.Seats = append([]Member{m}, g.Seats...)
		}
		return nil
	})
	return g, err
}

// OpenGroups are the groups of an activity one may still join at now,
// the closest to full first.
func openGroupsTx(ctx context.Context, q queryer, activityID int64, now time.Time, limit int) ([]*Group, error) {
	return groupsTx(ctx, q, `g.activity_id = ? AND g.status = 'open' AND g.expires_at > ? AND g.members < g.size
		ORDER BY g.size - g.members, g.expires_at LIMIT ?`, activityID, now.Unix(), limit)
}

// AdminGroups are the groups of every activity (or of one), newest first.
func AdminGroups(ctx context.Context, db *store.DB, activityID int64, status string) ([]*Group, error) {
	where, args := `1`, []any{}
	if activityID > 0 {
		where += ` AND g.activity_id = ?`
		args = append(args, activityID)
	}
	if status != "" {
		where += ` AND g.status = ?`
		args = append(args, status)
	}
	var out []*Group
	err := db.Read(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = groupsTx(ctx, tx, where+` ORDER BY g.id DESC LIMIT `+strconv.Itoa(listLimit), args...)
		return err
	})
	return out, err
}

// MyGroup is one of a customer's group orders.
type MyGroup struct {
	OrderID  int64
	Status   string // the member's
	Group    *Group // nil while unpaid
	Activity *Activity
}

// Mine are the customer's group orders, newest first.
func Mine(ctx context.Context, db *store.DB, customerID int64) ([]MyGroup, error) {
	var out []MyGroup
	err := db.Read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT order_id, status, COALESCE(group_id, 0), activity_id FROM groupbuy_members
			WHERE customer_id = ? AND status != 'cancelled' ORDER BY id DESC LIMIT 100`, customerID)
		if err != nil {
			return err
		}
		type raw struct {
			order, group, activity int64
			status                 string
		}
		var rs []raw
		for rows.Next() {
			var r raw
			if err := rows.Scan(&r.order, &r.status, &r.group, &r.activity); err != nil {
				rows.Close()
				return err
			}
			rs = append(rs, r)
		}
		rows.Close()
		for _, r := range rs {
			m := MyGroup{OrderID: r.order, Status: r.status}
			if m.Activity, err = activityTx(ctx, tx, r.activity); err != nil {
				return err
			}
			if r.group > 0 {
				gs, err := groupsTx(ctx, tx, `g.id = ?`, r.group)
				if err != nil {
					return err
				}
				if len(gs) > 0 {
					m.Group = gs[0]
				}
			}
			out = append(out, m)
		}
		return nil
	})
	return out, err
}

// heldTx is how many pieces the customer holds in the activity: group
// orders placed and not cancelled nor refunded.
func heldTx(ctx context.Context, q queryer, customerID, activityID int64) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COALESCE(SUM(qty), 0) FROM groupbuy_members
		WHERE customer_id = ? AND activity_id = ? AND status IN ('pending', 'joined')`, customerID, activityID).Scan(&n)
	return n, err
}

// Plugin is the group buy plugin.
type Plugin struct {
	reg *plugins.Registry // for the payment providers that refund
}

// New returns the plugin.
func New() *Plugin { return &Plugin{} }

// ID implements plugins.Plugin.
func (*Plugin) ID() string { return ID }

// Name implements plugins.Plugin.
func (*Plugin) Name() string { return "拼团" }

// Description implements plugins.Describer.
func (*Plugin) Description() string {
	return "开团、参团，满员后发货；到时未成团自动原路退款，可选模拟成团"
}

// Migrations implements plugins.Migrator.
func (*Plugin) Migrations() fs.FS { return migrations }

// Register binds the group price, the order handler, the home page's
// entry and the product block.
func (p *Plugin) Register(r *plugins.Registry) error {
	p.reg = r
	// Before the other activity prices (限时折扣 at +10): a group line is
	// priced by the group alone.
	if err := plugins.Bind(r, r.Price, ID, plugins.Handler[*plugins.PriceEvent]{ID: "price",
		Priority: plugins.PriceActivity + 5, Func: p.price}); err != nil {
		return err
	}
	if err := plugins.Bind(r, r.Order, ID, plugins.Handler[*plugins.OrderEvent]{ID: "order", Func: p.onOrder}); err != nil {
		return err
	}
	if err := plugins.Bind(r, r.HomeView, ID, plugins.Handler[*plugins.HomeViewEvent]{ID: "entry",
		Priority: entryPriority, Func: p.entry}); err != nil {
		return err
	}
	return plugins.Bind(r, r.ProductView, ID, plugins.Handler[*plugins.ProductViewEvent]{ID: "block", Func: p.block})
}

// parseOption reads o_group: 0 for "new", the group's id, or ok false.
func parseOption(s string) (int64, bool) {
	if s == "new" {
		return 0, true
	}
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0 && strconv.FormatInt(id, 10) == s
}

// price gives the first line of a product in a live activity the group
// price, when the buyer chose to open or join a group; it checks the
// group and the per-customer limit in the database.
func (p *Plugin) price(e *plugins.PriceEvent) error {
	q := e.Quote
	opt := q.Option(OptionKey)
	if opt == "" || e.Store == nil {
		return e.Next()
	}
	want, ok := parseOption(opt)
	if !ok {
		return store.Invalid("items", "groupbuy.err.group")
	}
	now := e.Store.Now()
	for i, l := range q.Lines {
		if l.Status != store.CartOK || l.Activity != "" {
			continue
		}
		a, err := liveTx(e.Ctx, e.Tx, now, l.ProductID)
		if err != nil {
			return err
		}
		if want > 0 {
			// Joining an open group is allowed until it closes, even if
			// the activity stopped meanwhile.
			gs, err := groupsTx(e.Ctx, e.Tx, `g.id = ?`, want)
			if err != nil {
				return err
			}
			if len(gs) == 0 {
				return store.Invalid("items", "groupbuy.err.group")
			}
			g := gs[0]
			if a, err = activityTx(e.Ctx, e.Tx, g.ActivityID); err != nil {
				return err
			}
			if a.ProductID != l.ProductID {
				continue
			}
			if !g.Joinable(now) {
				return store.Invalid("items", "groupbuy.err.closed")
			}
			var in int
			if err := e.Tx.QueryRowContext(e.Ctx, `SELECT COUNT(*) FROM groupbuy_members WHERE group_id = ? AND customer_id = ?
				AND status = 'joined'`, g.ID, q.CustomerID).Scan(&in); err != nil {
				return err
			}
			if in > 0 {
				return store.Invalid("items", "groupbuy.err.member")
			}
		}
		if a == nil {
			continue
		}
		if a.PerUser > 0 {
			had := 0
			if q.CustomerID > 0 {
				if had, err = heldTx(e.Ctx, e.Tx, q.CustomerID, a.ID); err != nil {
					return err
				}
			}
			if had+l.Qty > a.PerUser {
				return store.Invalid("items", "groupbuy.err.limit", "n", a.PerUser)
			}
		}
		before := len(q.Adjustments)
		q.DiscountLine(i, store.StageLine, ID, i18n.Tc(e.Ctx, "groupbuy.adjustment", "n", a.Size), a.Off(l.UnitPrice)*store.Fen(l.Qty))
		if len(q.Adjustments) > before {
			q.Adjustments[len(q.Adjustments)-1].Ref = strconv.FormatInt(a.ID, 10)
		}
		q.Lines[i].Activity = ID
		q.Lines[i].ActivityCommission = a.Commission
		q.Lines[i].ActivityRef = strconv.FormatInt(a.ID, 10) + ":" + strconv.FormatInt(want, 10)
		return e.Next() // one group line per order
	}
	return store.Invalid("items", "groupbuy.err.none")
}

// onOrder records the group order when it is placed, takes its seat when
// it is paid, forgets it when it is cancelled unpaid, and marks it
// refunded when it is closed.
func (p *Plugin) onOrder(e *plugins.OrderEvent) error {
	if e.Store == nil {
		return e.Next()
	}
	var err error
	switch {
	case e.Action == "create" && e.Quote != nil:
		err = createTx(e.Ctx, e.Tx, e.Store, e.OrderEvent)
	case e.Action == "paying" && e.Hold != nil:
		err = payingTx(e.Ctx, e.Tx, e.Store, e.OrderID, e.Hold)
	case e.To == store.StatusCancelled:
		_, err = e.Tx.ExecContext(e.Ctx, `UPDATE groupbuy_members SET status = 'cancelled' WHERE order_id = ? AND status = 'pending'`, e.OrderID)
	case e.Action == "close":
		err = closedTx(e.Ctx, e.Tx, e.OrderID)
	}
	if err != nil {
		return err
	}
	return e.Next()
}

func createTx(ctx context.Context, tx *sql.Tx, db *store.DB, e store.OrderEvent) error {
	for i, l := range e.Quote.Lines {
		if l.Activity != ID || i >= len(e.LineIDs) {
			continue
		}
		act, group, ok := strings.Cut(l.ActivityRef, ":")
		aid, err1 := strconv.ParseInt(act, 10, 64)
		gid, err2 := strconv.ParseInt(group, 10, 64)
		if !ok || err1 != nil || err2 != nil {
			return fmt.Errorf("group buy ref %q", l.ActivityRef)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO groupbuy_members (order_id, activity_id, customer_id, want_group, qty,
			amount_fen, status, created_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?)`, e.OrderID, aid, e.CustomerID, gid, l.Qty,
			l.Payable(), db.Now().Unix()); err != nil {
			return fmt.Errorf("group buy member: %w", err)
		}
	}
	return nil
}

// payingTx takes the paid order's seat, inside the payment's transaction:
// a new group for a leader, or one guarded UPDATE on the group joined. The
// order is held in grouping, unless its seat filled the group: then every
// order of the group goes on. Without a seat (the group filled or closed
// meanwhile, the activity ended before the leader paid) the order is held
// for the job to refund.
func payingTx(ctx context.Context, tx *sql.Tx, db *store.DB, orderID int64, hold *bool) error {
	var memberID, activityID, customerID, want int64
	err := tx.QueryRowContext(ctx, `SELECT id, activity_id, customer_id, want_group FROM groupbuy_members
		WHERE order_id = ? AND status = 'pending'`, orderID).Scan(&memberID, &activityID, &customerID, &want)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // not a group order
	}
	if err != nil {
		return fmt.Errorf("group buy: %w", err)
	}
	*hold = true
	now := db.Now()
	a, err := activityTx(ctx, tx, activityID)
	if err != nil {
		return err
	}
	noSeat := func() error {
		_, err := tx.ExecContext(ctx, `UPDATE groupbuy_members SET status = 'refund' WHERE id = ?`, memberID)
		return err
	}
	defer db.BumpCatalogue() // the product page lists the open groups
	if want == 0 {
		if !a.Live(now) {
			return noSeat()
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO groupbuy_groups (activity_id, leader_id, size, members, status, created_at, expires_at)
			VALUES (?, ?, ?, 1, 'open', ?, ?)`, a.ID, customerID, a.Size, now.Unix(), now.Add(time.Duration(a.Hours)*time.Hour).Unix())
		if err != nil {
			return fmt.Errorf("open group: %w", err)
		}
		gid, _ := res.LastInsertId()
		_, err = tx.ExecContext(ctx, `UPDATE groupbuy_members SET status = 'joined', group_id = ?, joined_at = ? WHERE id = ?`,
			gid, now.Unix(), memberID)
		return err
	}
	var in int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM groupbuy_members WHERE group_id = ? AND customer_id = ? AND status = 'joined'`,
		want, customerID).Scan(&in); err != nil {
		return err
	}
	if in > 0 {
		return noSeat()
	}
	var members, size int
	err = tx.QueryRowContext(ctx, `UPDATE groupbuy_groups SET members = members + 1
		WHERE id = ? AND activity_id = ? AND status = 'open' AND members < size AND expires_at > ? RETURNING members, size`,
		want, a.ID, now.Unix()).Scan(&members, &size)
	if errors.Is(err, sql.ErrNoRows) {
		return noSeat()
	}
	if err != nil {
		return fmt.Errorf("join group: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE groupbuy_members SET status = 'joined', group_id = ?, joined_at = ? WHERE id = ?`,
		want, now.Unix(), memberID); err != nil {
		return err
	}
	if members < size {
		return nil
	}
	*hold = false // this order goes on with the others
	return completeTx(ctx, tx, db, want, false, orderID)
}

// completeTx marks an open group succeeded and sends its held orders on
// (except skip, the order being paid).
func completeTx(ctx context.Context, tx *sql.Tx, db *store.DB, groupID int64, byShop bool, skip int64) error {
	now := db.Now().Unix()
	res, err := tx.ExecContext(ctx, `UPDATE groupbuy_groups SET status = 'succeeded', filled_by_shop = ?, done_at = ?
		WHERE id = ? AND status = 'open'`, byShop, now, groupID)
	if err != nil {
		return fmt.Errorf("complete group: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return nil // already decided
	}
	rows, err := tx.QueryContext(ctx, `SELECT m.order_id FROM groupbuy_members m JOIN orders o ON o.id = m.order_id
		WHERE m.group_id = ? AND m.status = 'joined' AND o.status = 'grouping' AND m.order_id != ? ORDER BY m.id`, groupID, skip)
	if err != nil {
		return err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	note := fmt.Sprintf("group %d", groupID)
	if byShop {
		note += " filled by the shop"
	}
	for _, id := range ids {
		if err := db.ReleaseHeldOrderTx(ctx, tx, id, store.SystemActor, "group_done", note); err != nil {
			return err
		}
	}
	return nil
}

// closedTx: a closed group order is refunded; a seat of an open group is
// given back.
func closedTx(ctx context.Context, tx *sql.Tx, orderID int64) error {
	var id, group int64
	var status string
	err := tx.QueryRowContext(ctx, `SELECT id, COALESCE(group_id, 0), status FROM groupbuy_members WHERE order_id = ?`, orderID).
		Scan(&id, &group, &status)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	switch status {
	case "refund":
		_, err = tx.ExecContext(ctx, `UPDATE groupbuy_members SET status = 'refunded' WHERE id = ?`, id)
	case "joined":
		var open int
		if err = tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM groupbuy_groups WHERE id = ? AND status = 'open'`, group).Scan(&open); err != nil || open == 0 {
			return err
		}
		if _, err = tx.ExecContext(ctx, `UPDATE groupbuy_groups SET members = members - 1 WHERE id = ? AND members > 0`, group); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE groupbuy_members SET status = 'refunded' WHERE id = ?`, id)
	}
	return err
}

// blockView is what the product page block shows.
type blockView struct {
	Activity *Activity
	Price    store.Fen // the group price of the cheapest SKU
	Full     store.Fen
	SKU      int64       // the cheapest SKU, bought by the button
	SKUs     []skuOption // to choose from when there are several
	Groups   []*Group
	Now      time.Time
}

// block is the product page's 拼团 card: the group price, 去开团, and the
// open groups to join with their countdowns.
func (p *Plugin) block(e *plugins.ProductViewEvent) error {
	if e.Store == nil {
		return e.Next()
	}
	now := e.Store.Now()
	var vm *blockView
	err := e.Store.Read(e.Ctx, func(tx *sql.Tx) error {
		a, err := liveTx(e.Ctx, tx, now, e.ProductID)
		if err != nil || a == nil {
			return err
		}
		v := &blockView{Activity: a, Now: now}
		err = tx.QueryRowContext(e.Ctx, `SELECT id, price_fen FROM skus WHERE product_id = ? AND deleted_at IS NULL
			ORDER BY price_fen, id LIMIT 1`, e.ProductID).Scan(&v.SKU, &v.Full)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		v.Price = a.Price(v.Full)
		if v.SKUs, err = skusTx(e.Ctx, tx, a); err != nil {
			return err
		}
		if v.Groups, err = openGroupsTx(e.Ctx, tx, a.ID, now, groupsShown); err != nil {
			return err
		}
		vm = v
		return nil
	})
	if err != nil {
		return err
	}
	if vm != nil {
		e.Blocks = append(e.Blocks, productBlock(*vm))
	}
	return e.Next()
}
