package admin

import (
	"context"
	"net/url"

	"github.com/xiaodian/xiaodian/store"
)

// urlQueryEscape escapes s for a query string.
func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// packageName is a recharge package as people say it: 充100送10.
func packageName(ctx context.Context, p store.RechargePackage) string {
	if p.Bonus > 0 {
		return T(ctx, "wallet.admin.package_name_bonus", "pay", p.Pay.String(), "bonus", p.Bonus.String())
	}
	return T(ctx, "wallet.admin.package_name", "pay", p.Pay.String())
}
