// Package defaulttheme is xiaodian's reference storefront theme: every page
// and section of the themes contract in templ, with its stylesheet and small
// images embedded. Importing the package registers it with the themes
// registry (themes.Register); another compiled theme embeds Theme and
// overrides only the pages it changes, and a theme folder may replace single
// sections with sections/<name>.html files.
package defaulttheme

import (
	"context"
	"embed"
	"io/fs"
	"strconv"
	"strings"

	"github.com/a-h/templ"

	"github.com/xiaodian/xiaodian/themes"
)

//go:embed theme.yaml assets
var files embed.FS

// Files is the theme folder: theme.yaml and assets/.
var Files fs.FS = files

func init() {
	themes.Register(themes.Compiled{Theme: Theme{}, Files: Files})
}

// Theme implements themes.Theme with the components of this package.
type Theme struct{}

// ID is "default".
func (Theme) ID() string { return themes.DefaultID }

// Home renders the home page.
func (Theme) Home(vm themes.HomePage) templ.Component { return HomePage(vm) }

// Categories renders the category tree page.
func (Theme) Categories(vm themes.CategoriesPage) templ.Component { return CategoriesPage(vm) }

// Category renders a category's product list.
func (Theme) Category(vm themes.CategoryPage) templ.Component { return CategoryPage(vm) }

// Search renders the search results page.
func (Theme) Search(vm themes.SearchPage) templ.Component { return SearchPage(vm) }

// ProductList renders the "load more" fragment of a product list.
func (Theme) ProductList(vm themes.ProductList) templ.Component { return ProductListItems(vm) }

// Product renders the product page.
func (Theme) Product(vm themes.ProductPage) templ.Component { return ProductPage(vm) }

// SKUPanel renders the SKU picker fragment with out-of-band updates of the
// page's price block and choice summaries.
func (Theme) SKUPanel(vm themes.SKUPanel) templ.Component { return SKUPanelFragment(vm) }

// NotFound renders the storefront's 404 page.
func (Theme) NotFound(vm themes.NotFoundPage) templ.Component { return NotFoundPage(vm) }

// Login renders the customer sign-in page.
func (Theme) Login(vm themes.LoginPage) templ.Component { return LoginPage(vm) }

// Register renders the customer registration page.
func (Theme) Register(vm themes.RegisterPage) templ.Component { return RegisterPage(vm) }

// AccountBind draws the page linking a new WeChat user to a phone account.
func (Theme) AccountBind(vm themes.AccountBindPage) templ.Component { return AccountBindPage(vm) }

// Member renders the member centre.
func (Theme) Member(vm themes.MemberPage) templ.Component { return MemberPage(vm) }

// Profile renders the profile form.
func (Theme) Profile(vm themes.ProfilePage) templ.Component { return ProfilePage(vm) }

// Password renders the change-password form.
func (Theme) Password(vm themes.PasswordPage) templ.Component { return PasswordPage(vm) }

// Addresses renders the customer's address list.
func (Theme) Addresses(vm themes.AddressesPage) templ.Component { return AddressesPage(vm) }

// AddressForm renders the new-address and edit-address form.
func (Theme) AddressForm(vm themes.AddressFormPage) templ.Component { return AddressFormPage(vm) }

// RegionPicker renders the region selects fragment.
func (Theme) RegionPicker(vm themes.RegionPicker) templ.Component { return RegionPicker(vm) }

func docTitle(p themes.Page) string {
	switch {
	case p.Title == "":
		return p.ShopName
	case p.ShopName == "" || p.Title == p.ShopName:
		return p.Title
	default:
		return p.Title + " - " + p.ShopName
	}
}

// shareTitle is the share card's title: the page's own, or the title with
// the shop's name.
func shareTitle(p themes.Page) string {
	if p.Share.Title != "" {
		return p.Share.Title
	}
	return docTitle(p)
}

// shareDescription is the share card's line under the title.
func shareDescription(p themes.Page) string {
	if p.Share.Description != "" {
		return p.Share.Description
	}
	if p.Description != "" {
		return p.Description
	}
	return p.ShopName
}

func itoa(n int) string { return strconv.Itoa(n) }

func bodyClass(page string, p themes.Page) string {
	c := page
	if len(p.TabBar.Items) > 0 {
		c += " has-tabbar"
	}
	return c
}

func hasTag(tags []string, tag string) bool {
	for _, t := range tags {
		if t == tag {
			return true
		}
	}
	return false
}

func joinNames(names []string) string { return strings.Join(names, " ") }

func loadingAttr(i int) string {
	if i == 0 {
		return "eager"
	}
	return "lazy"
}

func sortArrow(s themes.SortTab) string {
	switch s.Dir {
	case "asc":
		return "is-asc"
	case "desc":
		return "is-desc"
	}
	return ""
}

func brandValue(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

func anyBrand(bs []themes.BrandOption) bool {
	for _, b := range bs {
		if b.Selected {
			return true
		}
	}
	return false
}

// skuSummary is the choice in words: the chosen values, or what is still to
// choose.
func skuSummary(ctx context.Context, s themes.SKUPanel) string {
	switch {
	case len(s.Specs) == 0:
		return themes.T(ctx, "product.spec_default")
	case s.SKUID != 0:
		return s.Label
	default:
		return themes.T(ctx, "product.please_select_named", "name", joinNames(s.Missing))
	}
}

func int64s(n int64) string { return strconv.FormatInt(n, 10) }

func boolString(b bool) string { return strconv.FormatBool(b) }

// Cart renders the shopping cart page.
func (Theme) Cart(vm themes.CartPage) templ.Component { return CartPage(vm) }

// CartList renders the cart's list fragment with the badge out of band.
func (Theme) CartList(vm themes.CartView) templ.Component { return CartList(vm) }

// CartBadge renders the cart tab's count.
func (Theme) CartBadge(vm themes.CartBadge) templ.Component { return cartBadge(vm, false) }

// CartToast renders the answer to an add to the cart.
func (Theme) CartToast(vm themes.CartToast) templ.Component { return CartToast(vm) }

// Favorites renders the customer's favourites.
func (Theme) Favorites(vm themes.FavoritesPage) templ.Component { return FavoritesPage(vm) }

// History renders the customer's browsing history.
func (Theme) History(vm themes.HistoryPage) templ.Component { return HistoryPage(vm) }

// FavoriteButton renders the product page's heart in its state.
func (Theme) FavoriteButton(vm themes.FavoriteButton) templ.Component { return FavoriteButton(vm) }

// Messages renders the customer's inbox.
func (Theme) Messages(vm themes.MessagesPage) templ.Component { return MessagesPage(vm) }

// Message renders one in-site message.
func (Theme) Message(vm themes.MessagePage) templ.Component { return MessagePage(vm) }

// MessageBadge renders the unread count of the member page's 消息通知 entry.
func (Theme) MessageBadge(vm themes.MessageBadge) templ.Component { return messageBadge(vm) }

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

// Checkout renders the checkout page.
func (Theme) Checkout(vm themes.CheckoutPage) templ.Component { return CheckoutPage(vm) }

// CheckoutChooser renders the checkout's address or pickup store chooser.
func (Theme) CheckoutChooser(vm themes.CheckoutChooserPage) templ.Component {
	return CheckoutChooserPage(vm)
}

// Orders renders the buyer's order list.
func (Theme) Orders(vm themes.OrdersPage) templ.Component { return OrdersPage(vm) }

// OrderList renders the "load more" fragment of order cards.
func (Theme) OrderList(vm themes.OrderList) templ.Component { return OrderListItems(vm) }

// Order renders one of the buyer's orders.
func (Theme) Order(vm themes.OrderPage) templ.Component { return OrderPage(vm) }
