// Package distribution is the distribution programme (分销) as a plugin on
// the public registry: the commission engine on the order events, and the
// distributor level's own-purchase discount in the price pipeline. The
// rules themselves live in the store (store.DB.DistributionTx), because they
// must hold inside the transaction that changes the order; this plugin is
// what binds them, so switching it off in the back office stops new
// commission and discounts while every recorded commission stays payable.
package distribution

import (
	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/store"
)

// ID is the plugin's id.
const ID = "distribution"

// Plugin is the distribution plugin.
type Plugin struct{}

// New returns the plugin.
func New() *Plugin { return &Plugin{} }

// ID implements plugins.Plugin.
func (*Plugin) ID() string { return ID }

// Name implements plugins.Plugin.
func (*Plugin) Name() string { return "分销" }

// Description implements plugins.Describer.
func (*Plugin) Description() string {
	return "推广员分享商品赚佣金：上下级绑定、1–3 级佣金、结算与提现、分销等级与区域代理"
}

// Register binds the commission engine to the order events and the level
// discount to the price pipeline's activity stage.
func (p *Plugin) Register(r *plugins.Registry) error {
	if err := plugins.Bind(r, r.Order, ID, plugins.Handler[*plugins.OrderEvent]{ID: "commission",
		Func: func(e *plugins.OrderEvent) error {
			if e.Store == nil {
				return e.Next()
			}
			if err := e.Store.DistributionTx(e.Ctx, e.Tx, e.OrderEvent); err != nil {
				return err
			}
			return e.Next()
		}}); err != nil {
		return err
	}
	return plugins.Bind(r, r.Price, ID, plugins.Handler[*plugins.PriceEvent]{ID: "level_discount",
		Priority: plugins.PriceActivity + 50,
		Func: func(e *plugins.PriceEvent) error {
			if err := store.LevelDiscountTx(e.Ctx, e.Tx, e.Quote, ID); err != nil {
				return err
			}
			return e.Next()
		}})
}
