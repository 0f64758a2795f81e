package defaulttheme

import (
	"github.com/a-h/templ"

	"github.com/xiaodian/xiaodian/themes"
)

// DistributorShop renders a distributor's shop page (微店).
func (Theme) DistributorShop(vm themes.DistributorShopPage) templ.Component {
	return DistributorShopPage(vm)
}
