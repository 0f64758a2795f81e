// Package points is 积分 as a plugin: customers earn points on the goods
// they pay for (shipping excluded), for signing in (the signin plugin
// credits through PostTx) and for customers who registered through their
// share link; they spend them at checkout (N points = ¥1, at most a share
// of the goods after discounts). Everything moves through one ledger and
// an account's balance is always the sum of its rows.
//
// The rules a shop owner can count on:
//   - Points are earned when the order is paid, on what was paid for the
//     goods (shipping excluded), rounded down.
//   - A refund takes back the earned points in proportion to the goods
//     refunded, and gives back the spent points in the same proportion.
//     The balance never goes below zero: if the customer has already used
//     the points, what is left is taken and the shortfall is recorded on
//     the order (points_orders.short) and in the ledger row's note.
//   - Points spent on an order that is cancelled or times out before
//     payment come back.
//   - With yearly expiry on, points credited in year Y that are still
//     unused at the end of year Y+1 are written off (oldest used first).
//   - While the plugin is switched off nothing is earned, spent or given
//     back; the ledger stays as it is.
package points

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// ID is the plugin's id and the source of its adjustments.
const ID = "points"

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

// Rules are the plugin's settings.
type Rules struct {
	EarnPerYuan int64 // points per ¥1 of goods paid
	PerYuan     int64 // points worth ¥1 at checkout
	MaxPercent  int64 // at most this share (%) of the goods after discounts
	Invite      int64 // points for a customer who registered through you
	Expiry      bool  // yearly expiry
}

// DefaultRules are the rules with nothing set.
var DefaultRules = Rules{EarnPerYuan: 1, PerYuan: 100, MaxPercent: 50, Invite: 100}

// Plugin is the points plugin.
type Plugin struct {
	mu    sync.RWMutex
	rules Rules
	reg   *plugins.Registry
}

// signinID is the 签到 plugin's id (it imports this package, not the
// other way round): 我的积分 links its calendar while it is on.
const signinID = "signin"

// New returns the plugin with the default rules.
func New() *Plugin { return &Plugin{rules: DefaultRules} }

// ID implements plugins.Plugin.
func (*Plugin) ID() string { return ID }

// Name implements plugins.Plugin.
func (*Plugin) Name() string { return "积分" }

// Description implements plugins.Describer.
func (*Plugin) Description() string {
	return "消费得积分、签到与邀请奖励，结算时积分抵现；退款扣回，可设年度过期"
}

// Migrations implements plugins.Migrator.
func (*Plugin) Migrations() fs.FS { return migrations }

// Rules are the rules in use.
func (p *Plugin) Rules() Rules {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.rules
}

// SettingsSchema implements plugins.Configurable.
func (*Plugin) SettingsSchema() []plugins.SettingField {
	d := DefaultRules
	return []plugins.SettingField{
		{Key: "earn_per_yuan", Kind: plugins.FieldText, Label: "points.setting.earn", Help: "points.setting.earn_help",
			Default: strconv.FormatInt(d.EarnPerYuan, 10), Group: "points.setting.group_earn"},
		{Key: "invite", Kind: plugins.FieldText, Label: "points.setting.invite", Help: "points.setting.invite_help",
			Default: strconv.FormatInt(d.Invite, 10)},
		{Key: "per_yuan", Kind: plugins.FieldText, Label: "points.setting.per_yuan", Help: "points.setting.per_yuan_help",
			Default: strconv.FormatInt(d.PerYuan, 10), Group: "points.setting.group_spend"},
		{Key: "max_percent", Kind: plugins.FieldText, Label: "points.setting.max_percent", Help: "points.setting.max_percent_help",
			Default: strconv.FormatInt(d.MaxPercent, 10)},
		{Key: "expiry", Kind: plugins.FieldBool, Label: "points.setting.expiry", Help: "points.setting.expiry_help",
			Group: "points.setting.group_expiry"},
	}
}

// ParseRules reads the settings; a bad value is a field error.
func ParseRules(v plugins.SettingValues) (Rules, error) {
	var ve store.ValidationErrors
	num := func(key string, lo, hi int64, def int64, msg string) int64 {
		s := strings.TrimSpace(v.Get(key))
		if s == "" {
			return def
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < lo || n > hi {
			ve.Add(key, msg, "min", lo, "max", hi)
			return def
		}
		return n
	}
	d := DefaultRules
	r := Rules{
		EarnPerYuan: num("earn_per_yuan", 0, 1000, d.EarnPerYuan, "points.err.range"),
		PerYuan:     num("per_yuan", 1, 10000, d.PerYuan, "points.err.range"),
		MaxPercent:  num("max_percent", 0, 100, d.MaxPercent, "points.err.range"),
		Invite:      num("invite", 0, 100000, d.Invite, "points.err.range"),
		Expiry:      v.Get("expiry") == "1",
	}
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

// Earned is what paying goods worth paid earns: rate points per ¥1,
// rounded down.
func Earned(paid store.Fen, rate int64) int64 {
	if paid <= 0 || rate <= 0 {
		return 0
	}
	return int64(paid) * rate / 100
}

// Register binds the checkout filter, the order events and the invite
// reward.
func (p *Plugin) Register(r *plugins.Registry) error {
	p.reg = r
	if err := plugins.Bind(r, r.Price, ID, plugins.Handler[*plugins.PriceEvent]{ID: "spend",
		Priority: plugins.PricePoints + 10, Func: p.price}); err != nil {
		return err
	}
	if err := plugins.Bind(r, r.Registered, ID, plugins.Handler[*plugins.RegisteredEvent]{ID: "invite",
		Func: func(e *plugins.RegisteredEvent) error {
			if e.Store != nil {
				if err := p.rewardInviter(e.Ctx, e.Store, e.CustomerID); err != nil {
					return err
				}
			}
			return e.Next()
		}}); err != nil {
		return err
	}
	return plugins.Bind(r, r.Order, ID, plugins.Handler[*plugins.OrderEvent]{ID: "order", Func: p.onOrder})
}

func orderRef(id int64) string { return "order:" + strconv.FormatInt(id, 10) }

// onOrder spends the points of a new order, gives them back when it is
// cancelled unpaid, credits the earned points on payment and takes them
// back (and gives back the spent ones) in proportion on refunds.
func (p *Plugin) onOrder(e *plugins.OrderEvent) error {
	if e.Store == nil {
		return e.Next()
	}
	now := e.Store.Now()
	var err error
	switch {
	case e.Action == "create" && e.Quote != nil:
		err = spendTx(e.Ctx, e.Tx, e.OrderEvent, now)
	case e.To == store.StatusCancelled && e.From == store.StatusPendingPayment:
		err = giveBackTx(e.Ctx, e.Tx, e.OrderID, now)
	case e.Action == "pay":
		err = earnTx(e.Ctx, e.Tx, e.OrderID, e.CustomerID, p.Rules().EarnPerYuan, now)
	case e.Action == "refund" && e.RefundGoods > 0:
		err = refundTx(e.Ctx, e.Tx, e.OrderID, e.RefundGoods, now)
	}
	if err != nil {
		return err
	}
	return e.Next()
}

// spendTx takes the points the quote deducted off the balance: the guarded
// debit of PostTx, so two checkouts spending the same points never both
// pass (the second order is refused and rolled back).
func spendTx(ctx context.Context, tx *sql.Tx, e store.OrderEvent, now time.Time) error {
	var spent int64
	for _, a := range e.Quote.Adjustments {
		if a.Source != ID || a.Ref == "" {
			continue
		}
		n, err := strconv.ParseInt(a.Ref, 10, 64)
		if err != nil || n <= 0 {
			return fmt.Errorf("points ref %q", a.Ref)
		}
		spent += n
	}
	if spent == 0 {
		return nil
	}
	_, err := PostTx(ctx, tx, e.CustomerID, -spent, KindSpend, orderRef(e.OrderID), "订单抵扣", now)
	if errors.Is(err, ErrInsufficient) || errors.Is(err, ErrDuplicate) {
		return store.Invalid("items", "points.err.balance")
	}
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO points_orders (order_id, customer_id, spent) VALUES (?, ?, ?)`,
		e.OrderID, e.CustomerID, spent)
	return err
}

// giveBackTx returns the points an unpaid order spent, once.
func giveBackTx(ctx context.Context, tx *sql.Tx, orderID int64, now time.Time) error {
	var customer, spent, spentBack int64
	err := tx.QueryRowContext(ctx, `SELECT customer_id, spent, spent_back FROM points_orders WHERE order_id = ?`,
		orderID).Scan(&customer, &spent, &spentBack)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("points give back: %w", err)
	}
	back := spent - spentBack
	if back <= 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE points_orders SET spent_back = spent WHERE order_id = ?`, orderID); err != nil {
		return fmt.Errorf("points give back: %w", err)
	}
	_, err = PostTx(ctx, tx, customer, back, KindReturn, orderRef(orderID), "订单取消，退回积分", now)
	return err
}

// earnTx credits what the paid order earns: rate points per ¥1 of what
// was paid for the goods (paid less shipping), rounded down.
func earnTx(ctx context.Context, tx *sql.Tx, orderID, customerID, rate int64, now time.Time) error {
	var paid, shipping store.Fen
	var no string
	if err := tx.QueryRowContext(ctx, `SELECT paid_fen, shipping_fen, no FROM orders WHERE id = ?`, orderID).Scan(&paid, &shipping, &no); err != nil {
		return fmt.Errorf("points earn: %w", err)
	}
	base := max(paid-shipping, 0)
	earned := Earned(base, rate)
	if _, err := tx.ExecContext(ctx, `INSERT INTO points_orders (order_id, customer_id, earned, base_fen) VALUES (?, ?, ?, ?)
		ON CONFLICT (order_id) DO UPDATE SET earned = excluded.earned, base_fen = excluded.base_fen`,
		orderID, customerID, earned, int64(base)); err != nil {
		return fmt.Errorf("points earn: %w", err)
	}
	if earned == 0 {
		return nil
	}
	_, err := PostTx(ctx, tx, customerID, earned, KindEarn, orderRef(orderID), "订单 "+no+" 消费得积分", now)
	if errors.Is(err, ErrDuplicate) {
		return nil
	}
	return err
}

// Share is the part of total that refunded of base stands for, rounded
// down (all of it once everything is refunded).
func Share(total int64, refunded, base store.Fen) int64 {
	if base <= 0 || refunded >= base {
		return total
	}
	return total * int64(refunded) / int64(base)
}

// refundTx follows a refund of goods worth goods: the earned points due
// back so far are Share(earned, refunded, base), the spent points due
// back Share(spent, ...); each refund moves the difference with what was
// already moved, so several partial refunds add up exactly. A balance too
// low for the withdrawal gives what is left; the shortfall is recorded.
func refundTx(ctx context.Context, tx *sql.Tx, orderID int64, goods store.Fen, now time.Time) error {
	var customer, spent, spentBack, earned, withdrawn, short int64
	var base, refunded store.Fen
	err := tx.QueryRowContext(ctx, `SELECT customer_id, spent, spent_back, earned, withdrawn, short, base_fen, refunded_fen
		FROM points_orders WHERE order_id = ?`, orderID).Scan(&customer, &spent, &spentBack, &earned, &withdrawn, &short, &base, &refunded)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("points refund: %w", err)
	}
	if base == 0 {
		// Not earned on (the plugin was off at payment, or it earned
		// nothing): the goods paid are still the measure of the refund.
		if err := tx.QueryRowContext(ctx, `SELECT MAX(paid_fen - shipping_fen, 0) FROM orders WHERE id = ?`, orderID).Scan(&base); err != nil {
			return fmt.Errorf("points refund: %w", err)
		}
	}
	refunded += goods
	ref := orderRef(orderID)
	dueBack := Share(spent, refunded, base) - spentBack
	if dueBack > 0 {
		if _, err := PostTx(ctx, tx, customer, dueBack, KindReturn, ref, "订单退款，退回抵扣的积分", now); err != nil {
			return err
		}
		spentBack += dueBack
	}
	due := Share(earned, refunded, base) - withdrawn
	if due > 0 {
		bal, err := BalanceTx(ctx, tx, customer)
		if err != nil {
			return err
		}
		take := min(due, bal)
		if take > 0 {
			note := "订单退款，扣回赠送的积分"
			if take < due {
				note = fmt.Sprintf("订单退款，扣回赠送的积分（应扣 %d，余额不足，差 %d）", due, due-take)
			}
			if _, err := PostTx(ctx, tx, customer, -take, KindWithdraw, ref, note, now); err != nil {
				return err
			}
		}
		withdrawn += due
		short += due - take
	}
	_, err = tx.ExecContext(ctx, `UPDATE points_orders SET spent_back = ?, withdrawn = ?, short = ?, base_fen = ?, refunded_fen = ?
		WHERE order_id = ?`, spentBack, withdrawn, short, int64(base), int64(refunded), orderID)
	return err
}

// rewardInviter credits the inviter of a customer who just registered
// through their share link (the customer's referrer), once per customer.
func (p *Plugin) rewardInviter(ctx context.Context, db *store.DB, customerID int64) error {
	n := p.Rules().Invite
	if n <= 0 {
		return nil
	}
	return db.Write(ctx, func(tx *sql.Tx) error {
		var referrer sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT referrer_id FROM customers WHERE id = ?`, customerID).Scan(&referrer); err != nil {
			return fmt.Errorf("points invite: %w", err)
		}
		if !referrer.Valid || referrer.Int64 == customerID {
			return nil
		}
		_, err := PostTx(ctx, tx, referrer.Int64, n, KindInvite, "customer:"+strconv.FormatInt(customerID, 10), "邀请好友注册", db.Now())
		if errors.Is(err, ErrDuplicate) {
			return nil
		}
		return err
	})
}

// Jobs implements plugins.Jobber: with yearly expiry on, the points of
// two years ago are written off once the year has turned.
func (p *Plugin) Jobs() []plugins.Job {
	return []plugins.Job{{Name: "expiry", Every: time.Hour, Run: func(ctx context.Context, db *store.DB) error {
		if !p.Rules().Expiry {
			return nil
		}
		_, err := ExpireDue(ctx, db)
		return err
	}}}
}

// ExpireDue writes off every year whose points are due now (credited in
// year Y, expired at the end of Y+1), in a transaction per year; years
// already written off are skipped by the ledger's once-only rule.
func ExpireDue(ctx context.Context, db *store.DB) (int64, error) {
	now := db.Now()
	var first sql.NullInt64
	if err := db.Read(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT MIN(at) FROM points_ledger WHERE delta > 0`).Scan(&first)
	}); err != nil || !first.Valid {
		return 0, err
	}
	var total int64
	for y := time.Unix(first.Int64, 0).Local().Year(); y+1 < now.Local().Year(); y++ {
		err := db.Write(ctx, func(tx *sql.Tx) error {
			n, err := ExpireTx(ctx, tx, y, now)
			total += n
			return err
		})
		if err != nil {
			return total, err
		}
	}
	return total, nil
}
