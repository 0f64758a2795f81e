// Package nthhalf is the example marketing plugin of docs/plugins.md:
// "第 N 件 X 折" — in the categories the shop picks, every Nth unit of a
// line costs Percent % of its price (by default the 2nd at half price,
// 第二件半价). It is small on purpose: one settings schema (drawn as a
// form in 营销工具), one filter in the price pipeline's line stage, and
// nothing else; the registry does the rest (the switch, the settings
// storage, the adjustment on the order).
package nthhalf

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/store"
)

// ID is the plugin's id.
const ID = "nthhalf"

// rule is the plugin's settings, parsed.
type rule struct {
	n          int     // every nth unit
	percent    int     // costs percent % of the unit price
	categories []int64 // in these categories (and their subcategories); none = nowhere
}

// Plugin is the 第 N 件 X 折 plugin.
type Plugin struct {
	mu   sync.RWMutex
	rule rule
}

// New returns the plugin.
func New() *Plugin { return &Plugin{rule: rule{n: 2, percent: 50}} }

// ID implements plugins.Plugin.
func (*Plugin) ID() string { return ID }

// Name implements plugins.Plugin.
func (*Plugin) Name() string { return "第N件X折" }

// Description implements plugins.Describer.
func (*Plugin) Description() string {
	return "指定分类内，同一商品每买 N 件，第 N 件按 X 折计价（默认第二件半价）——插件开发示例，见 docs/plugins.md"
}

// SettingsSchema implements plugins.Configurable: the back office draws
// this form and keeps the values.
func (*Plugin) SettingsSchema() []plugins.SettingField {
	return []plugins.SettingField{
		{Key: "n", Kind: plugins.FieldText, Label: "第几件优惠", Help: "2 = 第二件，3 = 第三件", Default: "2"},
		{Key: "percent", Kind: plugins.FieldText, Label: "该件按原价的百分之几", Help: "50 = 半价", Default: "50"},
		{Key: "categories", Kind: plugins.FieldText, Label: "参与的分类 ID", Help: "逗号分隔；大类包含其子类"},
	}
}

// Configure implements plugins.Configurable: it checks the values and
// starts using them, or refuses and keeps the old ones.
func (p *Plugin) Configure(_ context.Context, v plugins.SettingValues) error {
	var errs store.ValidationErrors
	n, err := strconv.Atoi(strings.TrimSpace(v.Get("n")))
	if err != nil || n < 2 || n > 10 {
		errs = append(errs, &store.ValidationError{Field: "n", Key: "请填写 2–10"})
	}
	pct, err := strconv.Atoi(strings.TrimSpace(v.Get("percent")))
	if err != nil || pct < 0 || pct > 99 {
		errs = append(errs, &store.ValidationError{Field: "percent", Key: "请填写 0–99"})
	}
	var cats []int64
	for _, s := range strings.FieldsFunc(v.Get("categories"), func(r rune) bool { return r == ',' || r == '，' || r == ' ' }) {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			errs = append(errs, &store.ValidationError{Field: "categories", Key: "请填写分类 ID，用逗号分隔"})
			break
		}
		cats = append(cats, id)
	}
	if len(errs) > 0 {
		return errs
	}
	p.mu.Lock()
	p.rule = rule{n: n, percent: pct, categories: cats}
	p.mu.Unlock()
	return nil
}

// Register binds the filter in the line stage, after the activity prices
// (a flash sale's line is left alone) and before the order-level offers.
func (p *Plugin) Register(r *plugins.Registry) error {
	return plugins.Bind(r, r.Price, ID, plugins.Handler[*plugins.PriceEvent]{ID: "price",
		Priority: plugins.PriceActivity + 80, Func: func(e *plugins.PriceEvent) error {
			if err := p.price(e.Ctx, e.Tx, e.Quote); err != nil {
				return err
			}
			return e.Next()
		}})
}

// Discount is what every nth unit saves on a line of qty units at unit:
// qty/n units, each (100 − percent) % off, rounded down to the fen.
func Discount(unit store.Fen, qty, n, percent int) store.Fen {
	if n < 2 || qty < n {
		return 0
	}
	return store.Fen(qty/n) * unit * store.Fen(100-percent) / 100
}

func (p *Plugin) price(ctx context.Context, tx *sql.Tx, q *store.Quote) error {
	p.mu.RLock()
	ru := p.rule
	p.mu.RUnlock()
	if len(ru.categories) == 0 {
		return nil
	}
	label := fmt.Sprintf("第%d件%s", ru.n, zhe(ru.percent))
	for i, l := range q.Lines {
		if l.Status != store.CartOK || l.Activity != "" || l.Qty < ru.n {
			continue
		}
		var parent int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(parent_id, 0) FROM categories WHERE id = ?`, l.CategoryID).
			Scan(&parent); err != nil && err != sql.ErrNoRows {
			return fmt.Errorf("nthhalf: %w", err)
		}
		if !slices.Contains(ru.categories, l.CategoryID) && !slices.Contains(ru.categories, parent) {
			continue
		}
		q.DiscountLine(i, store.StageLine, ID, label, Discount(l.UnitPrice, l.Qty, ru.n, ru.percent))
	}
	return nil
}

// zhe names the price of the discounted unit: 50 → 半价, 80 → 8折, 0 → 免费.
func zhe(percent int) string {
	switch {
	case percent == 50:
		return "半价"
	case percent == 0:
		return "免费"
	case percent%10 == 0:
		return strconv.Itoa(percent/10) + "折"
	}
	return strconv.FormatFloat(float64(percent)/10, 'f', -1, 64) + "折"
}
