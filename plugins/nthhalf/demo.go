package nthhalf

import (
	"context"
	"database/sql"
	"errors"
	"strconv"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/store"
)

// Demo implements plugins.Demoer: 第二件半价 in 美妆护肤 (the home banner's
// 精华第二件半价), saved as the plugin's settings like the back office would.
func (p *Plugin) Demo(ctx context.Context, db *store.DB) error {
	var beauty int64
	err := db.Read(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT id FROM categories WHERE name = '美妆护肤' AND parent_id IS NULL`).Scan(&beauty)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	vals := plugins.SettingValues{"n": "2", "percent": "50", "categories": strconv.FormatInt(beauty, 10)}
	if err := p.Configure(ctx, vals); err != nil {
		return err
	}
	var changes []store.PluginSettingChange
	for _, k := range []string{"n", "percent", "categories"} {
		changes = append(changes, store.PluginSettingChange{Key: k, Value: vals[k]})
	}
	return db.SavePluginSettings(ctx, ID, changes)
}
