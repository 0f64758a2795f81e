// Package bargain is 砍价 as a plugin: an activity on one SKU with a start
// price, a floor price and a number of helpers. A customer starts a
// bargain and shares its page; each signed-in friend cuts once, by a
// random amount, and the cuts of the configured number of helpers add up
// exactly to the gap between the start and the floor. The initiator buys
// at the current price (or only at the floor, a setting) before the
// bargain expires, through the normal checkout: the checkout option
// o_bargain=<id> pins the line's price from the database, and the order's
// creation marks the bargain bought inside the order's transaction.
package bargain

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// ID is the plugin's id, the Activity of the order lines it prices.
const ID = "bargain"

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

// Cut is the next helper's cut when left is still to cut and helpersLeft
// helpers (this one included) are to come: random, at least 1 fen, at most
// about twice the average of what is left, and always leaving at least 1
// fen for each helper after this one; the last helper takes exactly the
// rest. With left ≥ helpersLeft ≥ 1 the cuts of all the helpers sum to
// the gap.
func Cut(rng *rand.Rand, left store.Fen, helpersLeft int) store.Fen {
	if left <= 0 {
		return 0
	}
	if helpersLeft <= 1 {
		return left
	}
	most := left - store.Fen(helpersLeft-1) // leaves 1 fen for each of the others
	hi := min(most, max(2*left/store.Fen(helpersLeft), 1))
	if hi <= 1 {
		return 1
	}
	return 1 + store.Fen(rng.Int64N(int64(hi)))
}

// Activity is one 砍价 activity.
type Activity struct {
	ID         int64
	Name       string
	ProductID  int64
	SKUID      int64
	Product    string // the product's title
	Image      string // the product's cover
	SKUPrice   store.Fen
	Start      store.Fen // 0 = the SKU's price
	Floor      store.Fen
	Hours      int
	Helpers    int
	PerUser    int
	Stock      int
	Sold       int
	Commission bool
	StartsAt   time.Time
	EndsAt     time.Time
	Status     string
	// Figures, filled by List.
	Started int
	Helps   int
	Orders  int
	Revenue store.Fen
}

// StartPrice is the price a bargain starts from now.
func (a *Activity) StartPrice() store.Fen {
	if a.Start > 0 {
		return a.Start
	}
	return a.SKUPrice
}

// Live reports whether new bargains may start at now.
func (a *Activity) Live(now time.Time) bool {
	return a.Status == "active" && !now.Before(a.StartsAt) && now.Before(a.EndsAt)
}

// Limits of an activity.
const (
	MaxName    = 30
	MaxHours   = 720
	MaxHelpers = 100
	MaxPerUser = 99
	MaxStock   = 100000
)

func (a *Activity) validate() error {
	var v store.ValidationErrors
	a.Name = strings.TrimSpace(a.Name)
	if n := utf8.RuneCountInString(a.Name); n < 1 || n > MaxName {
		v.Add("name", "bargain.err.name", "max", MaxName)
	}
	if a.ProductID <= 0 {
		v.Add("product_id", "bargain.err.product")
	}
	if a.Floor < 1 || a.Floor > store.MaxPrice {
		v.Add("floor", "bargain.err.floor")
	}
	if a.Start < 0 || a.Start > store.MaxPrice || (a.Start > 0 && a.Start <= a.Floor) {
		v.Add("start", "bargain.err.start")
	}
	if a.Hours < 1 || a.Hours > MaxHours {
		v.Add("hours", "bargain.err.hours", "max", MaxHours)
	}
	if a.Helpers < 1 || a.Helpers > MaxHelpers {
		v.Add("helpers", "bargain.err.helpers", "max", MaxHelpers)
	} else if a.Start > 0 && a.Start-a.Floor < store.Fen(a.Helpers) {
		v.Add("helpers", "bargain.err.gap")
	}
	if a.PerUser < 1 || a.PerUser > MaxPerUser {
		v.Add("per_user", "bargain.err.per_user", "max", MaxPerUser)
	}
	if a.Stock < 0 || a.Stock > MaxStock {
		v.Add("stock", "bargain.err.stock", "max", MaxStock)
	}
	if a.StartsAt.IsZero() || !a.EndsAt.After(a.StartsAt) {
		v.Add("ends_at", "bargain.err.window")
	}
	return v.Err()
}

type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

const activityCols = `a.id, a.name, a.product_id, a.sku_id, p.title, p.cover, s.price_fen, a.start_fen, a.floor_fen, a.hours,
	a.helpers, a.per_user, a.stock, a.sold, a.commission, a.starts_at, a.ends_at, a.status`

func activitiesTx(ctx context.Context, q queryer, where string, args ...any) ([]*Activity, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+activityCols+` FROM bargain_activities a JOIN products p ON p.id = a.product_id
		JOIN skus s ON s.id = a.sku_id WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("bargain activities: %w", err)
	}
	defer rows.Close()
	var out []*Activity
	for rows.Next() {
		var a Activity
		var starts, ends int64
		if err := rows.Scan(&a.ID, &a.Name, &a.ProductID, &a.SKUID, &a.Product, &a.Image, &a.SKUPrice, &a.Start, &a.Floor, &a.Hours,
			&a.Helpers, &a.PerUser, &a.Stock, &a.Sold, &a.Commission, &starts, &ends, &a.Status); err != nil {
			return nil, fmt.Errorf("bargain activities: %w", err)
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

// liveOnProductTx is the live activity on a product with stock left, nil
// for none.
func liveOnProductTx(ctx context.Context, q queryer, now time.Time, productID int64) (*Activity, error) {
	as, err := activitiesTx(ctx, q, `a.product_id = ? AND a.status = 'active' AND a.starts_at <= ? AND a.ends_at > ?
		AND a.sold < a.stock ORDER BY a.id LIMIT 1`, productID, now.Unix(), now.Unix())
	if err != nil || len(as) == 0 {
		return nil, err
	}
	return as[0], nil
}

// Save creates (ID 0) or updates an activity. The SKU is the product's
// cheapest one when SKUID is 0; an active activity whose window overlaps
// another active one on the same product is refused.
func Save(ctx context.Context, db *store.DB, a *Activity) (int64, error) {
	if err := a.validate(); err != nil {
		return 0, err
	}
	if a.Status == "" {
		a.Status = "active"
	}
	id := a.ID
	err := db.Write(ctx, func(tx *sql.Tx) error {
		var price store.Fen
		var err error
		if a.SKUID == 0 {
			err = tx.QueryRowContext(ctx, `SELECT s.id, s.price_fen FROM skus s JOIN products p ON p.id = s.product_id
				WHERE p.id = ? AND p.deleted_at IS NULL AND s.deleted_at IS NULL ORDER BY s.price_fen, s.id LIMIT 1`, a.ProductID).Scan(&a.SKUID, &price)
		} else {
			err = tx.QueryRowContext(ctx, `SELECT s.price_fen FROM skus s JOIN products p ON p.id = s.product_id
				WHERE s.id = ? AND p.id = ? AND p.deleted_at IS NULL AND s.deleted_at IS NULL`, a.SKUID, a.ProductID).Scan(&price)
		}
		if errors.Is(err, sql.ErrNoRows) {
			if a.SKUID == 0 {
				return store.Invalid("product_id", "bargain.err.product")
			}
			return store.Invalid("sku_id", "bargain.err.sku")
		}
		if err != nil {
			return err
		}
		if a.Start == 0 && price-a.Floor < store.Fen(a.Helpers) {
			return store.Invalid("floor", "bargain.err.floor_above", "price", price.String())
		}
		var n int
		if a.Status == "active" {
			if clash, err := plugins.ActivityOverlapTx(ctx, tx, "bargain_activities", a.ProductID, id, a.StartsAt, a.EndsAt); err != nil || clash {
				if err != nil {
					return err
				}
				return store.Invalid("product_id", "bargain.err.overlap")
			}
		}
		now := db.Now().Unix()
		if id == 0 {
			res, err := tx.ExecContext(ctx, `INSERT INTO bargain_activities (name, product_id, sku_id, start_fen, floor_fen, hours, helpers,
				per_user, stock, commission, starts_at, ends_at, status, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, a.Name, a.ProductID, a.SKUID, a.Start, a.Floor, a.Hours, a.Helpers,
				a.PerUser, a.Stock, a.Commission, a.StartsAt.Unix(), a.EndsAt.Unix(), a.Status, now, now)
			if err != nil {
				return fmt.Errorf("save bargain activity: %w", err)
			}
			id, _ = res.LastInsertId()
			return nil
		}
		if err := tx.QueryRowContext(ctx, `SELECT sold FROM bargain_activities WHERE id = ?`, id).Scan(&n); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return store.ErrNotFound
			}
			return err
		}
		if a.Stock < n {
			return store.Invalid("stock", "bargain.err.stock_sold", "sold", n)
		}
		_, err = tx.ExecContext(ctx, `UPDATE bargain_activities SET name = ?, product_id = ?, sku_id = ?, start_fen = ?, floor_fen = ?,
			hours = ?, helpers = ?, per_user = ?, stock = ?, commission = ?, starts_at = ?, ends_at = ?, status = ?, updated_at = ?
			WHERE id = ?`, a.Name, a.ProductID, a.SKUID, a.Start, a.Floor, a.Hours, a.Helpers, a.PerUser, a.Stock, a.Commission,
			a.StartsAt.Unix(), a.EndsAt.Unix(), a.Status, now, id)
		if err != nil {
			return fmt.Errorf("save bargain activity: %w", err)
		}
		return nil
	})
	if err == nil {
		db.BumpCatalogue() // the product page shows it
	}
	return id, err
}

// Stop ends an activity now: no bargain starts any more; the bargains in
// progress keep their time.
func Stop(ctx context.Context, db *store.DB, id int64) error {
	return plugins.StopActivity(ctx, db, "bargain_activities", id)
}

// GetActivity returns one activity.
func GetActivity(ctx context.Context, db *store.DB, id int64) (*Activity, error) {
	var out *Activity
	err := db.Read(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = activityTx(ctx, tx, id)
		return err
	})
	return out, err
}

// List is every activity, newest first, with its figures: bargains
// started, helps, paid orders and their revenue.
func List(ctx context.Context, db *store.DB) ([]*Activity, error) {
	var out []*Activity
	err := db.Read(ctx, func(tx *sql.Tx) error {
		var err error
		if out, err = activitiesTx(ctx, tx, `1 ORDER BY a.id DESC LIMIT 500`); err != nil {
			return err
		}
		for _, a := range out {
			if err := statsTx(ctx, tx, a); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

func statsTx(ctx context.Context, tx *sql.Tx, a *Activity) error {
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(helped), 0) FROM bargains WHERE activity_id = ?`, a.ID).
		Scan(&a.Started, &a.Helps); err != nil {
		return fmt.Errorf("bargain stats: %w", err)
	}
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(DISTINCT o.id), COALESCE(SUM(l.paid_fen), 0) FROM order_lines l
		JOIN orders o ON o.id = l.order_id JOIN bargains b ON b.id = CAST(l.activity_ref AS INTEGER)
		WHERE l.activity = ? AND b.activity_id = ? AND o.paid_at IS NOT NULL`, ID, a.ID).Scan(&a.Orders, &a.Revenue); err != nil {
		return fmt.Errorf("bargain stats: %w", err)
	}
	return nil
}

// Bargain is one customer's bargain.
type Bargain struct {
	ID         int64
	ActivityID int64
	CustomerID int64
	SKUID      int64
	ProductID  int64
	Title      string
	Image      string
	SKULabel   string
	Start      store.Fen
	Floor      store.Fen
	Price      store.Fen
	Helpers    int
	Helped     int
	Status     string // open, bought
	OrderID    int64
	ExpiresAt  time.Time
	CreatedAt  time.Time
	Initiator  string // the initiator's nickname or masked phone
	Avatar     string // the initiator's avatar (media key), "" for none
	Helps      []Help // filled by Get
}

// Help is one helper's cut.
type Help struct {
	HelperID int64
	Name     string
	Avatar   string
	Cut      store.Fen
	At       time.Time
}

// Expired reports whether the bargain's time is over at now.
func (b *Bargain) Expired(now time.Time) bool { return !now.Before(b.ExpiresAt) }

// Cut is how much has been cut so far.
func (b *Bargain) Cut() store.Fen { return b.Start - b.Price }

// Percent is the part of the gap cut, 0–100.
func (b *Bargain) Percent() int {
	if b.Start <= b.Floor {
		return 100
	}
	return int((b.Start - b.Price) * 100 / (b.Start - b.Floor))
}

// AtFloor reports whether the floor is reached.
func (b *Bargain) AtFloor() bool { return b.Price <= b.Floor }

// State is the bargain's state at now: bought, expired, floor, open.
func (b *Bargain) State(now time.Time) string {
	switch {
	case b.Status == "bought":
		return "bought"
	case b.Expired(now):
		return "expired"
	case b.AtFloor():
		return "floor"
	}
	return "open"
}

func displayName(nickname, phone string) string {
	if strings.TrimSpace(nickname) != "" {
		return nickname
	}
	return store.MaskPhone(phone)
}

const bargainCols = `b.id, b.activity_id, b.customer_id, b.sku_id, s.product_id, p.title,
	CASE WHEN s.image != '' THEN s.image ELSE p.cover END, s.spec_values, b.start_fen, b.floor_fen, b.price_fen, b.helpers, b.helped,
	b.status, COALESCE(b.order_id, 0), b.expires_at, b.created_at, c.nickname, c.phone, c.avatar`

func bargainsTx(ctx context.Context, q queryer, where string, args ...any) ([]*Bargain, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+bargainCols+` FROM bargains b JOIN skus s ON s.id = b.sku_id
		JOIN products p ON p.id = s.product_id JOIN customers c ON c.id = b.customer_id WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("bargains: %w", err)
	}
	defer rows.Close()
	var out []*Bargain
	for rows.Next() {
		var b Bargain
		var specs, nick, phone string
		var exp, created int64
		if err := rows.Scan(&b.ID, &b.ActivityID, &b.CustomerID, &b.SKUID, &b.ProductID, &b.Title, &b.Image, &specs, &b.Start, &b.Floor,
			&b.Price, &b.Helpers, &b.Helped, &b.Status, &b.OrderID, &exp, &created, &nick, &phone, &b.Avatar); err != nil {
			return nil, fmt.Errorf("bargains: %w", err)
		}
		b.SKULabel = specLabel(specs)
		b.ExpiresAt, b.CreatedAt = time.Unix(exp, 0), time.Unix(created, 0)
		b.Initiator = displayName(nick, phone)
		out = append(out, &b)
	}
	return out, rows.Err()
}

// specLabel turns a SKU's spec values (a JSON array of strings) into
// "红色 / XL".
func specLabel(specs string) string {
	specs = strings.TrimSpace(specs)
	if len(specs) < 2 || specs[0] != '[' {
		return ""
	}
	var parts []string
	for _, p := range strings.Split(specs[1:len(specs)-1], ",") {
		if s, err := strconv.Unquote(strings.TrimSpace(p)); err == nil && s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, " / ")
}

func bargainTx(ctx context.Context, q queryer, id int64) (*Bargain, error) {
	bs, err := bargainsTx(ctx, q, `b.id = ?`, id)
	if err != nil {
		return nil, err
	}
	if len(bs) == 0 {
		return nil, store.ErrNotFound
	}
	return bs[0], nil
}

// Get returns a bargain with its helpers, latest first.
func Get(ctx context.Context, db *store.DB, id int64) (*Bargain, error) {
	var out *Bargain
	err := db.Read(ctx, func(tx *sql.Tx) error {
		var err error
		if out, err = bargainTx(ctx, tx, id); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT h.helper_id, c.nickname, c.phone, c.avatar, h.cut_fen, h.created_at FROM bargain_helps h
			JOIN customers c ON c.id = h.helper_id WHERE h.bargain_id = ? ORDER BY h.id DESC LIMIT 200`, id)
		if err != nil {
			return fmt.Errorf("bargain helps: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var h Help
			var nick, phone string
			var at int64
			if err := rows.Scan(&h.HelperID, &nick, &phone, &h.Avatar, &h.Cut, &at); err != nil {
				return fmt.Errorf("bargain helps: %w", err)
			}
			h.Name, h.At = displayName(nick, phone), time.Unix(at, 0)
			out.Helps = append(out.Helps, h)
		}
		return rows.Err()
	})
	return out, err
}

// Mine is the customer's bargains, newest first.
func Mine(ctx context.Context, db *store.DB, customerID int64) ([]*Bargain, error) {
	var out []*Bargain
	err := db.Read(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = bargainsTx(ctx, tx, `b.customer_id = ? ORDER BY b.id DESC LIMIT 100`, customerID)
		return err
	})
	return out, err
}

// Start starts a bargain of the customer's on the activity, or returns
// the one of theirs still running. With selfHelp the initiator makes the
// first cut (自己先砍一刀).
func Start(ctx context.Context, db *store.DB, activityID, customerID int64, selfHelp bool) (int64, error) {
	var id int64
	err := db.Write(ctx, func(tx *sql.Tx) error {
		now := db.Now()
		a, err := activityTx(ctx, tx, activityID)
		if err != nil {
			return err
		}
		if !a.Live(now) {
			return store.Invalid("activity", "bargain.err.not_live")
		}
		if a.Sold >= a.Stock {
			return store.Invalid("activity", "bargain.err.sold_out")
		}
		err = tx.QueryRowContext(ctx, `SELECT id FROM bargains WHERE activity_id = ? AND customer_id = ? AND status = 'open'
			AND expires_at > ? ORDER BY id DESC LIMIT 1`, activityID, customerID, now.Unix()).Scan(&id)
		if err == nil {
			return nil // theirs, still running
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM bargains WHERE activity_id = ? AND customer_id = ?`,
			activityID, customerID).Scan(&n); err != nil {
			return err
		}
		if n >= a.PerUser {
			return store.Invalid("activity", "bargain.err.per_user_reached", "n", a.PerUser)
		}
		start := a.StartPrice()
		if start-a.Floor < store.Fen(a.Helpers) {
			return store.Invalid("activity", "bargain.err.not_live")
		}
		expires := min(now.Add(time.Duration(a.Hours)*time.Hour).Unix(), a.EndsAt.Unix())
		res, err := tx.ExecContext(ctx, `INSERT INTO bargains (activity_id, customer_id, sku_id, start_fen, floor_fen, price_fen, helpers,
			expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, a.ID, customerID, a.SKUID, start, a.Floor, start, a.Helpers,
			expires, now.Unix())
		if err != nil {
			return fmt.Errorf("start bargain: %w", err)
		}
		id, _ = res.LastInsertId()
		if selfHelp {
			_, err = cutTx(ctx, tx, id, customerID, now)
		}
		return err
	})
	return id, err
}

// Help is a customer's cut of another's bargain: once per helper (the
// unique index decides a double help), while it runs and until the floor.
func HelpBargain(ctx context.Context, db *store.DB, bargainID, helperID int64) (store.Fen, error) {
	var cut store.Fen
	err := db.Write(ctx, func(tx *sql.Tx) error {
		var owner int64
		if err := tx.QueryRowContext(ctx, `SELECT customer_id FROM bargains WHERE id = ?`, bargainID).Scan(&owner); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return store.ErrNotFound
			}
			return err
		}
		if owner == helperID {
			return store.Invalid("bargain", "bargain.err.own")
		}
		var err error
		cut, err = cutTx(ctx, tx, bargainID, helperID, db.Now())
		return err
	})
	return cut, err
}

// cutTx makes helper's cut of the bargain. The cut is drawn from what is
// left of the gap and the helpers still to come, read in this
// transaction; the price is lowered by a guarded UPDATE on the number of
// helps, so two helpers racing for the last cut never take more than the
// gap.
func cutTx(ctx context.Context, tx *sql.Tx, bargainID, helperID int64, now time.Time) (store.Fen, error) {
	var price, floor store.Fen
	var helpers, helped int
	var status string
	var expires int64
	if err := tx.QueryRowContext(ctx, `SELECT price_fen, floor_fen, helpers, helped, status, expires_at FROM bargains WHERE id = ?`,
		bargainID).Scan(&price, &floor, &helpers, &helped, &status, &expires); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return 0, store.ErrNotFound
		}
		return 0, err
	}
	switch {
	case status != "open":
		return 0, store.Invalid("bargain", "bargain.err.bought")
	case now.Unix() >= expires:
		return 0, store.Invalid("bargain", "bargain.err.expired")
	case helped >= helpers || price <= floor:
		return 0, store.Invalid("bargain", "bargain.err.done")
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM bargain_helps WHERE bargain_id = ? AND helper_id = ?`, bargainID, helperID).
		Scan(&n); err != nil {
		return 0, err
	}
	if n > 0 {
		return 0, store.Invalid("bargain", "bargain.err.helped")
	}
	cut := Cut(rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())), price-floor, helpers-helped)
	if _, err := tx.ExecContext(ctx, `INSERT INTO bargain_helps (bargain_id, helper_id, cut_fen, created_at) VALUES (?, ?, ?, ?)`,
		bargainID, helperID, cut, now.Unix()); err != nil {
		if strings.Contains(err.Error(), "UNIQUE") {
			return 0, store.Invalid("bargain", "bargain.err.helped")
		}
		return 0, fmt.Errorf("bargain help: %w", err)
	}
	res, err := tx.ExecContext(ctx, `UPDATE bargains SET price_fen = price_fen - ?1, helped = helped + 1
		WHERE id = ?2 AND helped = ?3 AND status = 'open' AND price_fen - ?1 >= floor_fen`, cut, bargainID, helped)
	if err != nil {
		return 0, fmt.Errorf("bargain help: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return 0, store.ErrConflict
	}
	return cut, nil
}
