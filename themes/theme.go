// Package themes is the storefront's theme contract and registry.
//
// The storefront is made of named sections (header, tab bar, footer, product
// card, product grid, gallery, price block, SKU picker, banner carousel,
// category icon nav), each drawn from a view-model struct declared in this
// file, and of pages and fragments that a Theme renders from page view
// models. The view models are the whole contract: no section queries the
// database, and the only helpers a section may use are the fixed list below
// (money, t, asset, image). ContractVersion changes whenever a view model
// loses or changes a field, so a theme folder can say which contract it was
// written against.
//
// A theme comes in two layers. A compiled theme (themes/default is the
// reference) implements Theme in templ and registers itself with Register. A
// theme folder — embedded in the binary for a compiled theme, or on disk under
// data/themes/<id>/ — holds theme.yaml (id, name, version, contract, parent,
// settings with defaults), assets/ (css, images) and optional
// sections/<name>.html files: html/template files that replace one compiled
// section and receive the same view model. The Registry resolves the active
// theme in the order data/themes/<id>/ → the embedded theme → its parent → the
// default theme; a broken override is reported (Registry.Problems) and the
// compiled section is drawn instead.
package themes

import (
	"context"
	"maps"
	"strings"

	"github.com/a-h/templ"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// ContractVersion is the version of the view models below. A theme folder
// declares the contract it was written for in theme.yaml; one written for a
// newer contract than this binary knows is refused.
const ContractVersion = 1

// DefaultID is the id of the reference theme every lookup ends with.
const DefaultID = "default"

// Theme renders every storefront page and fragment. Pages are whole
// documents; fragments (ProductList, SKUPanel) answer htmx requests.
type Theme interface {
	// ID is the theme's identifier, e.g. "default".
	ID() string
	// Home is the home page: an ordered list of blocks. A kind the theme
	// does not draw (a newer one, e.g. BlockEntries for an older theme) is
	// skipped.
	Home(HomePage) templ.Component
	// Categories is the category tree page (分类).
	Categories(CategoriesPage) templ.Component
	// Category is the product list of one category.
	Category(CategoryPage) templ.Component
	// Search is the search results page.
	Search(SearchPage) templ.Component
	// ProductList is the fragment of one more page of a product list ("load more").
	ProductList(ProductList) templ.Component
	// Product is the product page.
	Product(ProductPage) templ.Component
	// SKUPanel is the fragment of the SKU picker after a spec value was chosen.
	SKUPanel(SKUPanel) templ.Component
	// NotFound is the friendly page for a missing or off-shelf product or category.
	NotFound(NotFoundPage) templ.Component
	// Login is the customer sign-in page (account.go).
	Login(LoginPage) templ.Component
	// Register is the customer registration page.
	Register(RegisterPage) templ.Component
	// Member is the member centre (我的).
	Member(MemberPage) templ.Component
	// Profile is the customer's profile form.
	Profile(ProfilePage) templ.Component
	// Password is the customer's change-password form.
	Password(PasswordPage) templ.Component
	// Addresses is the customer's address list (address.go).
	Addresses(AddressesPage) templ.Component
	// AddressForm is the new-address and edit-address form.
	AddressForm(AddressFormPage) templ.Component
	// RegionPicker is the fragment of the province / city / district selects.
	RegionPicker(RegionPicker) templ.Component
	// Cart is the shopping cart page (cart.go).
	Cart(CartPage) templ.Component
	// CartList is the fragment of the cart's list and total bar, with the
	// badge updated out of band.
	CartList(CartView) templ.Component
	// CartBadge is the fragment of the count on the cart tab.
	CartBadge(CartBadge) templ.Component
	// CartToast is the fragment answering an add to the cart.
	CartToast(CartToast) templ.Component
	// Favorites is the customer's favourites page (favorite.go).
	Favorites(FavoritesPage) templ.Component
	// History is the customer's browsing history page.
	History(HistoryPage) templ.Component
	// FavoriteButton is the fragment of the product page's heart.
	FavoriteButton(FavoriteButton) templ.Component
	// Messages is the customer's inbox of in-site messages (message.go).
	Messages(MessagesPage) templ.Component
	// Message is one in-site message.
	Message(MessagePage) templ.Component
	// MessageBadge is the fragment of the unread count on the member page.
	MessageBadge(MessageBadge) templ.Component
	// Checkout is the checkout page (确认订单, checkout.go).
	Checkout(CheckoutPage) templ.Component
	// CheckoutChooser is the checkout's address or pickup store chooser.
	CheckoutChooser(CheckoutChooserPage) templ.Component
	// Orders is the buyer's order list with its status tabs (order.go).
	Orders(OrdersPage) templ.Component
	// OrderList is the fragment of one more page of order cards.
	OrderList(OrderList) templ.Component
	// Order is one of the buyer's orders.
	Order(OrderPage) templ.Component
	// AftersaleForm is the after-sale request form of one order line (aftersale.go).
	AftersaleForm(AftersaleFormPage) templ.Component
	// Aftersales is the customer's list of after-sales.
	Aftersales(AftersalesPage) templ.Component
	// Aftersale is one after-sale with its timeline.
	Aftersale(AftersalePage) templ.Component
	// DistributorShop is a distributor's shop page (微店, promo.go).
	DistributorShop(DistributorShopPage) templ.Component
}

// Section names: the parts of a page a theme folder may replace with
// sections/<name>.html. Each receives the view model named beside it.
const (
	SectionHeader         = "header"          // Header
	SectionTabBar         = "tab_bar"         // TabBar
	SectionFooter         = "footer"          // Footer
	SectionProductCard    = "product_card"    // ProductCard
	SectionProductGrid    = "product_grid"    // ProductGrid
	SectionProductGallery = "product_gallery" // ProductGallery
	SectionPriceBlock     = "price_block"     // PriceBlock
	SectionSKUPicker      = "sku_picker"      // SKUPanel
	SectionBannerCarousel = "banner_carousel" // BannerCarousel
	SectionCategoryNav    = "category_nav"    // CategoryNav
)

// Tab ids of the bottom tab bar; the theme picks the label (nav.<id>) and icon.
const (
	TabHome     = "home"
	TabCategory = "category"
	TabCart     = "cart"
	TabMe       = "me"
)

// Page is the shell every full page shares: document title, header, tab bar
// and footer. Text fields hold display text, already translated; id and kind
// fields hold codes the theme translates.
type Page struct {
	Title       string // document title; the layout appends the shop name
	Description string // meta description; "" = none
	ShopName    string
	// Share is how the page looks when shared (the og: tags, which the
	// WeChat share card reads); "" fields fall back to the title and
	// description.
	Share  ShareCard
	Header Header
	TabBar TabBar // no items = no tab bar (the product page has a buy bar instead)
	Footer Footer
}

// ShareCard is a page's share card.
type ShareCard struct {
	Title       string
	Description string
	Image       string // absolute URL of the picture, "" = the shop's logo
}

// Header is the sticky top bar: back arrow, shop name and search box.
type Header struct {
	Hidden    bool   // the page draws its own top (the product page floats buttons over the gallery)
	ShopName  string // shown when there is no back arrow
	BackURL   string // "" = no back arrow, show the shop name
	SearchURL string // where the search form submits (GET, field q)
	Query     string // the words already searched for
}

// TabBar is the bottom navigation.
type TabBar struct {
	Items []TabItem
}

// TabItem is one tab. A tab whose page does not exist yet has no URL and is
// drawn disabled, never as a dead link.
type TabItem struct {
	ID     string // TabHome, TabCategory, TabCart, TabMe
	URL    string // "" = not available yet
	Active bool
}

// Footer is the bottom of the page: shop name and language switch.
type Footer struct {
	ShopName string
	Langs    []LangLink
}

// LangLink switches the storefront's language.
type LangLink struct {
	Name    string // the language's name in its own language, e.g. "English"
	URL     string // the current page with ?lang=
	Current bool
}

// ProductCard is a product in a list.
type ProductCard struct {
	ID        int64
	URL       string
	Title     string
	Subtitle  string
	Image     string    // media key of the cover; "" = none
	Price     store.Fen // lowest SKU price
	ListPrice store.Fen // 划线价; 0 = none
	Sales     int
	Tags      []string // store.TagNew, TagHot, TagRecommended
	SoldOut   bool
}

// Grid styles of a ProductGrid.
const (
	GridTwoColumn = "grid"   // the classic 2-column cards
	GridScroll    = "scroll" // one row that scrolls sideways
)

// ProductGrid is a titled list of product cards, e.g. a home block.
type ProductGrid struct {
	Title   string // "" = no heading
	MoreURL string // "查看全部" link; "" = none
	Style   string // GridTwoColumn or GridScroll
	Cards   []ProductCard
	Next    string // URL of the next page of this feed (see ProductList.Next); "" = none
}

// BannerCarousel is the home page's swipeable banners.
type BannerCarousel struct {
	Slides []BannerSlide
}

// BannerSlide is one banner.
type BannerSlide struct {
	Image string // media key
	Title string
	URL   string // a storefront path; "" = not a link
}

// CategoryNav is the grid of category icons on the home page.
type CategoryNav struct {
	Items []CategoryLink
}

// CategoryLink is a category to link to.
type CategoryLink struct {
	ID     int64
	Name   string
	Icon   string // media key; "" = the theme's no-image picture
	URL    string
	Active bool
}

// Home block kinds.
const (
	BlockBanners     = "banners"
	BlockCategoryNav = "category_nav"
	BlockProducts    = "products"
	BlockPlugin      = "plugin" // a plugin's block (the home.block slot)
	// BlockEntries is the row of activity entries the plugins add (拼团,
	// 砍价, 签到...: the home.entries slot). A theme that does not draw
	// it skips the block, as it skips any kind it does not know.
	BlockEntries = "entries"
)

// EntryRow is the home page's row of activity entries, in order; the
// handler leaves the block out when there are none.
type EntryRow struct {
	Items []EntryItem
}

// EntryItem is one activity entry. ID picks the theme's icon (a theme
// falls back to a generic one for an id it does not know); Title and Hint
// are display text.
type EntryItem struct {
	ID    string // e.g. "groups", "bargains", "flash", "signin", "coupons"
	Title string
	Hint  string // "" = none
	URL   string
}

// HomeBlock is one block of the home page; the field named by Kind is set.
type HomeBlock struct {
	Kind        string
	Banners     *BannerCarousel
	CategoryNav *CategoryNav
	Products    *ProductGrid
	// Plugin is a plugin's block (BlockPlugin): a coupon strip, a flash
	// sale with its countdown, drawn as the plugin made it.
	Plugin templ.Component
	// Entries is the row of activity entries (BlockEntries).
	Entries *EntryRow
}

// HomePage is the home page.
type HomePage struct {
	Page
	Blocks []HomeBlock
}

// CategoryNode is a category with its children, for the category tree page.
type CategoryNode struct {
	CategoryLink
	Children []CategoryLink
}

// CategoriesPage is the classic 分类 page: top categories on the left, the
// selected one's subcategories on the right.
type CategoriesPage struct {
	Page
	Tops     []CategoryLink // Active marks the selected one
	Selected CategoryNode   // the selected top category and its children
}

// Sort tab ids; the price tab toggles between ascending and descending.
const (
	SortTabDefault = "default"
	SortTabSales   = "sales"
	SortTabPrice   = "price"
	SortTabNewest  = "newest"
)

// SortTab is one tab of the sort bar.
type SortTab struct {
	ID     string // SortTabDefault, SortTabSales, SortTabPrice, SortTabNewest
	URL    string
	Active bool
	Dir    string // "asc" or "desc" for the active price tab, else ""
}

// BrandOption is a brand in the filter panel.
type BrandOption struct {
	ID       int64
	Name     string
	Selected bool
}

// ListFilters is the sort bar and filter panel of a product list. The
// filter form submits with GET to Action, carrying Hidden as hidden fields.
type ListFilters struct {
	Action   string
	Hidden   []HiddenField
	Sorts    []SortTab
	Brands   []BrandOption
	MinPrice string // as the shopper typed it
	MaxPrice string
	Error    string // why the price range was ignored; "" = fine
	Active   bool   // a brand or price filter is applied
	ResetURL string
}

// HiddenField is a name/value pair a form carries along.
type HiddenField struct {
	Name  string
	Value string
}

// ProductList is one page of a product list. Next is the URL of the next
// page: an htmx request for it gets the ProductList fragment (cards and a new
// "load more" trigger), a plain one the whole page.
type ProductList struct {
	Cards []ProductCard
	Total int
	Page  int
	Next  string // "" = no more
	Prev  string // previous page for browsers without JavaScript; "" = first page
	Empty string // message when there are no cards
}

// CategoryPage is the product list of one category.
type CategoryPage struct {
	Page
	Category CategoryLink
	Children []CategoryLink // subcategory chips: "全部" (the top category) first, then its children
	Filters  ListFilters
	List     ProductList
}

// SearchPage is the search results page.
type SearchPage struct {
	Page
	Query   string
	Heading string // e.g. “奶粉”的搜索结果, or the tag's name
	Hint    string // shown instead of a list when nothing was searched for
	Filters ListFilters
	List    ProductList
}

// ProductGallery is the swipeable picture gallery of a product.
type ProductGallery struct {
	Title  string   // alt text
	Images []string // media keys, cover first
}

// PriceBlock is a price with its list price.
type PriceBlock struct {
	Price     store.Fen
	PriceMax  store.Fen // > Price draws a range
	ListPrice store.Fen // 划线价; 0 = none
}

// SpecOption is one value of a spec dimension in the SKU picker. Choosing it
// goes to URL (the product page with that choice, for browsers without
// JavaScript) or, with htmx, fetches FragmentURL (the SKUPanel fragment).
type SpecOption struct {
	Value       string
	Selected    bool
	Disabled    bool // no SKU with stock has this value together with the other choices
	URL         string
	FragmentURL string
}

// SpecGroup is one spec dimension (规格) with its values.
type SpecGroup struct {
	Name    string
	Options []SpecOption
}

// SKUPanel is the SKU picker: spec values per dimension and what the current
// choice costs. SKUID is set once every dimension is chosen and the
// combination exists.
type SKUPanel struct {
	ProductID int64
	Title     string
	Image     string // the chosen SKU's picture, or the cover
	Price     PriceBlock
	Stock     int // of the chosen SKU, else of the whole product
	Specs     []SpecGroup
	Selected  []string // chosen value per dimension, "" = not chosen
	Missing   []string // names of the dimensions still to choose
	SKUID     int64
	Label     string // the chosen values, e.g. "红 / M"
	SoldOut   bool   // the chosen SKU, or the whole product, has no stock
	Open      bool   // draw the picker open (a choice was just made without JavaScript)
	URL       string // the product page carrying this choice
}

// ProductPage is the product page.
type ProductPage struct {
	Page
	ID       int64
	Title    string
	Subtitle string
	Category CategoryLink
	Brand    string
	Gallery  ProductGallery
	Price    PriceBlock
	Sales    int
	Tags     []string // store.TagNew, TagHot, TagRecommended
	Badges   []string // display text from plugins (the product.badges slot)
	// Blocks are plugins' blocks under the title (the product.below_price
	// slot): a coupon strip, a flash sale's countdown.
	Blocks      []templ.Component
	SKU         SKUPanel
	Description string // sanitised HTML
	HomeURL     string
}

// NotFoundPage is the friendly 404 page of the storefront.
type NotFoundPage struct {
	Page
	Message string
	Hint    string
	HomeURL string
}

// Image widths the storefront asks for; the media store makes a thumbnail of
// each (handlers.DefaultImageSizes).
const (
	ImageSmall  = 160 // icons, the SKU picker's picture
	ImageMedium = 375 // list cards, full width at 1x
	ImageLarge  = 750 // full width at 2x
)

// The helpers below are the fixed list a section may use besides its view
// model. Compiled themes call them from templ; sections/<name>.html files
// reach the same functions under the names money, yuan, cents, t, asset,
// image, srcset and setting.

// T translates key in the request's locale, filling {name} placeholders
// from name/value pairs.
func T(ctx context.Context, key string, args ...any) string { return i18n.Tc(ctx, key, args...) }

// Money formats fen as "¥12.30".
func Money(ctx context.Context, f store.Fen) string {
	return i18n.Money(i18n.FromContext(ctx), int64(f))
}

// Yuan is the whole-yuan part of an amount, "12" of ¥12.30, for prices drawn
// with a large yuan and small fen.
func Yuan(f store.Fen) string {
	s := f.String()
	y, _, _ := strings.Cut(s, ".")
	return y
}

// Cents is the fen part with its point, ".30" of ¥12.30, or "" for a whole amount.
func Cents(f store.Fen) string {
	_, c, _ := strings.Cut(f.String(), ".")
	if c == "00" {
		return ""
	}
	return "." + c
}

// Image is the URL of the media key at the given width (one of the Image*
// sizes); "" for an empty key.
func Image(key string, width int) string { return views.ImageURL(key, width) }

// Srcset is the srcset of a full-width picture: the medium and large thumbnails.
func Srcset(key string) string {
	if key == "" {
		return ""
	}
	return views.ImageURL(key, ImageMedium) + " 375w, " + views.ImageURL(key, ImageLarge) + " 750w"
}

// Asset is the content-hashed URL of a file in the active theme's assets/
// folder, looked up along the theme chain. Unknown names give "".
func Asset(ctx context.Context, name string) string {
	if s := stateFrom(ctx); s != nil {
		return s.assetURL(name)
	}
	return ""
}

// Setting is the value of a theme setting (theme.yaml settings, with the
// shop's own values over the defaults, and WithSettings' over those); ""
// when unknown.
func Setting(ctx context.Context, key string) string {
	if s := stateFrom(ctx); s != nil {
		if p, ok := ctx.Value(previewKey{}).(map[string]string); ok {
			return s.over(s.settings, p)[key]
		}
		return s.settings[key]
	}
	return ""
}

// RootCSS is the theme settings as CSS custom properties on :root, e.g.
// ":root{--primary:#ee0a24;--radius:8px}", for a <style> element in the layout.
func RootCSS(ctx context.Context) string {
	if s := stateFrom(ctx); s != nil {
		if p, ok := ctx.Value(previewKey{}).(map[string]string); ok {
			return s.css(s.over(s.settings, p))
		}
		return s.rootCSS
	}
	return ""
}

type previewKey struct{}

// WithSettings returns ctx carrying values to draw over the active theme's
// settings in force: what is rendered with it shows them through Setting and
// RootCSS, nothing is stored and other requests are untouched. The back
// office's live preview of unsaved settings uses it. Unknown keys and values
// that do not fit their setting's type are ignored. (Section overrides'
// setting helper still sees the settings in force.)
func WithSettings(ctx context.Context, values map[string]string) context.Context {
	return context.WithValue(ctx, previewKey{}, maps.Clone(values))
}
