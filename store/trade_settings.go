package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
)

// SettingAftersaleDays is how many days after completion an after-sale can
// still be requested.
const SettingAftersaleDays = "aftersale.days"

// DefaultAftersaleDays is the after-sales window of domain.md.
const DefaultAftersaleDays = 7

// TradeSettings are the owner's order rules (交易设置).
type TradeSettings struct {
	PayMinutes    int // unpaid orders are cancelled after this many minutes
	ReceiveDays   int // shipped orders are received automatically after this many days
	AftersaleDays int // after-sales can be requested this many days after completion
}

// Bounds of the trade settings.
const (
	MinPayMinutes, MaxPayMinutes       = 5, 1440
	MinReceiveDays, MaxReceiveDays     = 1, 30
	MinAftersaleDays, MaxAftersaleDays = 0, 30
)

// TradeSettings returns the order rules in force.
func (db *DB) TradeSettings(ctx context.Context) TradeSettings {
	return TradeSettings{
		PayMinutes:    db.intSetting(ctx, db.r, SettingPayMinutes, DefaultPayMinutes),
		ReceiveDays:   db.intSetting(ctx, db.r, SettingReceiveDays, DefaultReceiveDays),
		AftersaleDays: db.nonNegativeSetting(ctx, SettingAftersaleDays, DefaultAftersaleDays),
	}
}

// nonNegativeSetting reads an integer setting that may be 0, or def.
func (db *DB) nonNegativeSetting(ctx context.Context, key string, def int) int {
	var v string
	if err := db.r.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v); err != nil {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return def
	}
	return n
}

// Validate checks every rule is within its bounds.
func (s TradeSettings) Validate() error {
	var v ValidationErrors
	if s.PayMinutes < MinPayMinutes || s.PayMinutes > MaxPayMinutes {
		v.Add("pay_minutes", "trade.range", "min", MinPayMinutes, "max", MaxPayMinutes)
	}
	if s.ReceiveDays < MinReceiveDays || s.ReceiveDays > MaxReceiveDays {
		v.Add("receive_days", "trade.range", "min", MinReceiveDays, "max", MaxReceiveDays)
	}
	if s.AftersaleDays < MinAftersaleDays || s.AftersaleDays > MaxAftersaleDays {
		v.Add("aftersale_days", "trade.range", "min", MinAftersaleDays, "max", MaxAftersaleDays)
	}
	return v.Err()
}

// SaveTradeSettings stores the order rules. They apply to orders placed,
// shipped or completed from now on.
func (db *DB) SaveTradeSettings(ctx context.Context, s TradeSettings) error {
	if err := s.Validate(); err != nil {
		return err
	}
	err := db.Write(ctx, func(tx *sql.Tx) error {
		for key, n := range map[string]int{SettingPayMinutes: s.PayMinutes, SettingReceiveDays: s.ReceiveDays,
			SettingAftersaleDays: s.AftersaleDays} {
			if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)
				ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, strconv.Itoa(n)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("save trade settings: %w", err)
	}
	return nil
}
