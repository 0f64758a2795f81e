package themes

import "github.com/a-h/templ"

// The distributor's shop (微店, 万店同源): the shop's catalogue under a
// distributor's name at /s/<code>, every link on it carrying their
// referral code, so what a visitor buys from there is theirs.

// ShopOwner is the distributor a shop page belongs to.
type ShopOwner struct {
	Name    string // nickname, or the masked phone number
	Avatar  string // media key; "" = Initial on a coloured disc
	Initial string // first character of the name
	Code    string // referral code
}

// DistributorShopPage is a distributor's shop: their header (avatar, name
// and 的小店), then the catalogue with sort tabs and "load more". The
// card, sort and "load more" URLs already carry the referral code.
type DistributorShopPage struct {
	Page
	Owner   ShopOwner
	Title   string // e.g. 小花的小店
	Tagline string // a line under the title, e.g. 精选好物 · 小店官方发货
	Filters ListFilters
	List    ProductList
}

// DistributorShop draws the distributor's shop page.
func (st *state) DistributorShop(vm DistributorShopPage) templ.Component {
	return st.wrap(st.compiled.DistributorShop(vm))
}
