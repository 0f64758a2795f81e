package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
)

// Distribution (分销) settings: who is a distributor, how customers are
// bound to their referrer, how commission is computed and settled, and how
// it is withdrawn. They are kept as one JSON value under the settings key
// SettingDistribution, read inside every transaction that applies them.

// SettingDistribution is the settings key of the distribution rules.
const SettingDistribution = "distribution"

// Who becomes a distributor (DistSettings.Mode).
const (
	DistEveryone      = "everyone"       // every customer
	DistAfterPurchase = "after_purchase" // after their first completed order
	DistSpend         = "spend"          // once their completed spend reaches SpendThreshold
	DistApply         = "apply"          // by an application the shop approves
	DistManual        = "manual"         // only those the shop designates
)

// DistModes lists the distributor modes in the order the back office shows them.
var DistModes = []string{DistEveryone, DistAfterPurchase, DistSpend, DistApply, DistManual}

// When a customer is bound to the distributor whose link they came by
// (DistSettings.BindOn), and the other ways a binding is made.
const (
	BindClick      = "click"       // on the first visit while unbound (guests: at sign-in)
	BindRegister   = "register"    // when the account is created
	BindFirstOrder = "first_order" // when the first order is placed
	BindStaff      = "staff"       // the back office's rebinding
)

// BindTriggers lists the binding triggers in the order the back office shows them.
var BindTriggers = []string{BindClick, BindRegister, BindFirstOrder}

// Commission bases (DistSettings.Base).
const (
	BasePaid  = "paid"  // what the buyer paid for the line after every discount, shipping excluded
	BasePrice = "price" // SKU price × quantity
)

// Withdrawal methods.
const (
	WithdrawWallet = "wallet" // to the wallet balance at once, no fee
	WithdrawWeChat = "wechat"
	WithdrawAlipay = "alipay"
	WithdrawBank   = "bank"
)

// WithdrawMethods lists the withdrawal methods in the order they are offered.
var WithdrawMethods = []string{WithdrawWallet, WithdrawWeChat, WithdrawAlipay, WithdrawBank}

// MaxDistLevels is the most levels of referrers commission is paid to.
const MaxDistLevels = 3

// DistSettings are the shop's distribution rules.
type DistSettings struct {
	Enabled        bool     `json:"enabled"`
	Levels         int      `json:"levels"`          // 1..3 levels of referrers earn commission
	Mode           string   `json:"mode"`            // DistEveryone ...
	SpendThreshold Fen      `json:"spend_threshold"` // DistSpend: lifetime completed spend ≥ this
	BindOn         string   `json:"bind_on"`         // BindClick, BindRegister, BindFirstOrder
	ProtectDays    int      `json:"protect_days"`    // a binding is fixed this long (0: for ever)
	Rebind         bool     `json:"rebind"`          // after protection, a new link may rebind
	Base           string   `json:"base"`            // BasePaid, BasePrice
	Rates          [3]int   `json:"rates"`           // bp per level
	SelfPurchase   bool     `json:"self_purchase"`   // 自购返佣: a distributor's own order pays them level 1
	SettleDays     int      `json:"settle_days"`     // days after receipt before commission settles
	WithdrawMin    Fen      `json:"withdraw_min"`
	WithdrawFeeBP  int      `json:"withdraw_fee_bp"` // fee on withdrawals other than to the wallet
	WithdrawDaily  int      `json:"withdraw_daily"`  // withdrawals per day (0: no limit)
	WithdrawVia    []string `json:"withdraw_via"`    // offered methods
	Agents         bool     `json:"agents"`          // regional agents earn commission
}

// DefaultDistSettings are the rules of domain.md: two levels, everyone a
// distributor, bound on the first visit and for ever, 10 % and 5 %, settled
// 7 days after receipt, withdrawals from ¥10 with no fee, three a day.
func DefaultDistSettings() DistSettings {
	return DistSettings{
		Enabled: true, Levels: 2, Mode: DistEveryone, SpendThreshold: 100_00, BindOn: BindClick,
		Base: BasePaid, Rates: [3]int{1000, 500, 0}, SettleDays: 7,
		WithdrawMin: 10_00, WithdrawDaily: 3, WithdrawVia: []string{WithdrawWallet, WithdrawBank},
	}
}

// Bounds of the settings.
const (
	MaxProtectDays   = 3650
	MaxSettleDays    = 90
	MaxWithdrawFeeBP = 5000
	MaxWithdrawDaily = 100
	MaxWithdrawMin   = 100_000_00
	MaxRateBP        = 10000
)

// Validate checks the settings: the i18n keys name what is wrong.
func (s *DistSettings) Validate() error {
	var v ValidationErrors
	if s.Levels < 1 || s.Levels > MaxDistLevels {
		v.Add("levels", "dist.levels_range", "max", MaxDistLevels)
	}
	if !slices.Contains(DistModes, s.Mode) {
		v.Add("mode", "dist.mode_invalid")
	}
	if s.Mode == DistSpend && s.SpendThreshold <= 0 {
		v.Add("spend_threshold", "dist.spend_threshold")
	}
	if !slices.Contains(BindTriggers, s.BindOn) {
		v.Add("bind_on", "dist.bind_invalid")
	}
	if s.ProtectDays < 0 || s.ProtectDays > MaxProtectDays {
		v.Add("protect_days", "dist.range", "min", 0, "max", MaxProtectDays)
	}
	if s.Base != BasePaid && s.Base != BasePrice {
		v.Add("base", "dist.base_invalid")
	}
	total := 0
	for i, r := range s.Rates {
		if r < 0 || r > MaxRateBP {
			v.Add(fmt.Sprintf("rate%d", i+1), "dist.rate_range")
		}
		if i < s.Levels {
			total += r
		}
	}
	if total > MaxRateBP {
		v.Add("rate1", "dist.rates_total")
	}
	if s.SettleDays < 0 || s.SettleDays > MaxSettleDays {
		v.Add("settle_days", "dist.range", "min", 0, "max", MaxSettleDays)
	}
	if s.WithdrawMin < 1 || s.WithdrawMin > MaxWithdrawMin {
		v.Add("withdraw_min", "dist.withdraw_min")
	}
	if s.WithdrawFeeBP < 0 || s.WithdrawFeeBP > MaxWithdrawFeeBP {
		v.Add("withdraw_fee_bp", "dist.range", "min", 0, "max", MaxWithdrawFeeBP/100)
	}
	if s.WithdrawDaily < 0 || s.WithdrawDaily > MaxWithdrawDaily {
		v.Add("withdraw_daily", "dist.range", "min", 0, "max", MaxWithdrawDaily)
	}
	if len(s.WithdrawVia) == 0 {
		v.Add("withdraw_via", "dist.withdraw_via")
	}
	for _, m := range s.WithdrawVia {
		if !slices.Contains(WithdrawMethods, m) {
			v.Add("withdraw_via", "dist.withdraw_via")
			break
		}
	}
	return v.Err()
}

// ActiveRates are the shop's rates of the levels that earn (the rest 0).
func (s *DistSettings) ActiveRates() [3]int {
	var r [3]int
	copy(r[:s.Levels], s.Rates[:s.Levels])
	return r
}

// Offers reports whether withdrawals by method are offered.
func (s *DistSettings) Offers(method string) bool { return slices.Contains(s.WithdrawVia, method) }

// DistSettings returns the distribution rules in force (kept in memory
// between changes; transactions read them afresh).
func (db *DB) DistSettings(ctx context.Context) DistSettings {
	if s := db.distSettings.Load(); s != nil {
		return s.clone()
	}
	s := distSettingsTx(ctx, db.r)
	db.distSettings.Store(&s)
	return s.clone()
}

// clone copies the settings, so a caller changing its copy's slice leaves
// the cached one alone.
func (s *DistSettings) clone() DistSettings {
	c := *s
	c.WithdrawVia = append([]string(nil), s.WithdrawVia...)
	return c
}

func distSettingsTx(ctx context.Context, q queryer) DistSettings {
	s := DefaultDistSettings()
	var raw string
	err := q.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, SettingDistribution).Scan(&raw)
	if err != nil {
		return s
	}
	var stored DistSettings
	if json.Unmarshal([]byte(raw), &stored) != nil || stored.Validate() != nil {
		return s // a damaged value: the defaults, never half a rule set
	}
	return stored
}

// SaveDistSettings stores the distribution rules after validating them.
// They apply to orders paid and bindings made from now on.
func (db *DB) SaveDistSettings(ctx context.Context, s DistSettings) error {
	if err := s.Validate(); err != nil {
		return err
	}
	raw, err := json.Marshal(s)
	if err != nil {
		return err
	}
	err = db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, SettingDistribution, string(raw))
		return err
	})
	db.distSettings.Store(nil)
	if err != nil {
		return fmt.Errorf("save distribution settings: %w", err)
	}
	db.bumpCatalogue()
	return nil
}
