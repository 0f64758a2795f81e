// Package builtin holds the list of plugins compiled into xiaodian. It is a
// package of its own because each built-in plugin lives in its own folder
// (plugins/coupon, plugins/wechatpay...) and imports plugins for the
// registry; the list that imports them all cannot live in plugins itself.
package builtin

import (
	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/plugins/alipay"
	"github.com/xiaodian/xiaodian/plugins/bargain"
	"github.com/xiaodian/xiaodian/plugins/coupon"
	"github.com/xiaodian/xiaodian/plugins/distribution"
	"github.com/xiaodian/xiaodian/plugins/flash"
	"github.com/xiaodian/xiaodian/plugins/fullreduce"
	"github.com/xiaodian/xiaodian/plugins/groupbuy"
	"github.com/xiaodian/xiaodian/plugins/limited"
	"github.com/xiaodian/xiaodian/plugins/memberlevel"
	"github.com/xiaodian/xiaodian/plugins/nthhalf"
	"github.com/xiaodian/xiaodian/plugins/points"
	"github.com/xiaodian/xiaodian/plugins/sandbox"
	"github.com/xiaodian/xiaodian/plugins/signin"
	"github.com/xiaodian/xiaodian/plugins/wechat"
	"github.com/xiaodian/xiaodian/plugins/wechatpay"
)

// Plugins returns the plugins compiled into this binary, in load order (the
// pay page lists payment providers in this order). It is the one list a
// forking developer reads and extends, one line per plugin:
//
//	return []plugins.Plugin{
//		coupon.New(), // any value implementing plugins.Plugin
//	}
//
// The registry and its hooks work the same with any of them removed.
func Plugins() []plugins.Plugin {
	return []plugins.Plugin{
		wechatpay.New(),    // 微信支付 API v3: JSAPI, H5, Native
		alipay.New(),       // 支付宝 OpenAPI: 手机网站支付, 电脑网站支付
		wechat.New(),       // 微信公众号: 网页授权 login and share cards
		sandbox.New(),      // 模拟支付: demos only, off in production mode
		distribution.New(), // 分销: commission, levels' discounts
		flash.New(),        // 秒杀: time slots, flash stock, a sold-out answer from memory
		limited.New(),      // 限时折扣: a product's price for a time, with a countdown
		bargain.New(),      // 砍价: friends cut the price of a customer's bargain
		groupbuy.New(),     // 拼团: groups that fill, or are refunded automatically
		nthhalf.New(),      // 第N件X折: the example plugin of docs/plugins.md
		fullreduce.New(),   // 满减 / 满折: tiers by amount or pieces
		coupon.New(),       // 优惠券: coupon centre, grants, best coupon at checkout
		points.New(),       // 积分: earned on payment, spent at checkout, one ledger
		signin.New(),       // 签到: calendar, daily and streak points (through 积分)
		memberlevel.New(),  // 会员等级: growth from spending, levels with a member discount
	}
}
