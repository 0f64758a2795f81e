// Package fullreduce is the 满减 / 满折 plugin: offers with tiers by goods
// amount or by pieces over a scope (the whole shop, some products or some
// categories) and a time window, taken off the order in the price
// pipeline's discount stage. A product is in at most one active offer: an
// offer overlapping another is refused when it is saved. It is built from
// the public registry alone (hooks, routes, menu, migrations, i18n).
package fullreduce

import (
	"context"
	"database/sql"
	"embed"
	"io/fs"
	"time"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// ID is the plugin's id, the source of its order adjustments.
const ID = "fullreduce"

//go:embed migrations/*.sql
var migrations embed.FS

//go:embed i18n/*.json
var catalogue embed.FS

func init() {
	sub, err := fs.Sub(catalogue, "i18n")
	if err != nil {
		panic(err)
	}
	i18n.MustAdd(sub)
}

// Plugin is the 满减 / 满折 plugin.
type Plugin struct{}

// New returns the plugin.
func New() *Plugin { return &Plugin{} }

// ID implements plugins.Plugin.
func (*Plugin) ID() string { return ID }

// Name implements plugins.Plugin.
func (*Plugin) Name() string { return "满减满折" }

// Description implements plugins.Describer.
func (*Plugin) Description() string {
	return "满额或满件阶梯优惠：满100减10、满2件打9折，按全店、商品或分类，限时生效"
}

// Migrations implements plugins.Migrator.
func (*Plugin) Migrations() fs.FS { return migrations }

// Register binds the price filter at the discount stage and the badge on
// product pages.
func (p *Plugin) Register(r *plugins.Registry) error {
	if err := plugins.Bind(r, r.Price, ID, plugins.Handler[*plugins.PriceEvent]{ID: "price",
		Priority: plugins.PriceDiscount + 10,
		Func: func(e *plugins.PriceEvent) error {
			now := time.Now()
			if e.Store != nil {
				now = e.Store.Now()
			}
			if err := PriceTx(e.Ctx, e.Tx, e.Quote, now); err != nil {
				return err
			}
			return e.Next()
		}}); err != nil {
		return err
	}
	return plugins.Bind(r, r.ProductView, ID, plugins.Handler[*plugins.ProductViewEvent]{ID: "badge",
		Func: func(e *plugins.ProductViewEvent) error {
			if e.Store != nil {
				b, err := Badge(e.Ctx, e.Store, e.ProductID)
				if err != nil {
					return err
				}
				if b != "" {
					e.Badges = append(e.Badges, b)
				}
			}
			return e.Next()
		}})
}

// Badge is the product page's badge for product id: the first tier of the
// live offer it is in ("满100减10"), "" for none.
func Badge(ctx context.Context, db *store.DB, productID int64) (string, error) {
	var badge string
	err := db.Read(ctx, func(tx *sql.Tx) error {
		offers, err := liveOffersTx(ctx, tx, db.Now())
		if err != nil || len(offers) == 0 {
			return err
		}
		var cat int64
		if err := tx.QueryRowContext(ctx, `SELECT category_id FROM products WHERE id = ?`, productID).Scan(&cat); err != nil {
			return err
		}
		cats, err := categoryTreeTx(ctx, tx)
		if err != nil {
			return err
		}
		line := store.QuoteLine{ProductID: productID, CategoryID: cat}
		for _, o := range offers {
			if o.covers(cats, line) && len(o.Tiers) > 0 {
				badge = o.TierLabel(i18n.ZH, o.Tiers[0])
				return nil
			}
		}
		return nil
	})
	return badge, err
}
