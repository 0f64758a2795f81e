package themes

import (
	"github.com/a-h/templ"

	"github.com/xiaodian/xiaodian/store"
)

// The shopping cart (购物车): the page, its list fragment that htmx swaps
// after every action, the badge on the cart tab and the toast after adding
// from the product page. The cart count is personal, so cached pages never
// carry it: they load the badge with htmx (CartBadgeURL).

// CartBadgeURL answers the cart badge fragment; themes load it on page load.
const CartBadgeURL = "/cart/badge"

// CartLine is one line of the cart.
type CartLine struct {
	SKUID      int64
	ProductURL string
	Title      string
	Spec       string // e.g. "红 / M"; "" = none
	Image      string // media key; "" = the theme's no-image picture
	Price      store.Fen
	Qty        int
	Stock      int
	Selected   bool
	Available  bool
	Status     string // store.CartStatus; the theme says cart.status.<status>
	DecQty     int    // the quantity the − button posts; 0 = the button is disabled
	IncQty     int    // the quantity the + button posts; 0 = disabled
}

// CartView is the cart's list and its sticky total bar. Every action is a
// form posting to one of the URLs with the line's sku_id: QtyURL takes qty,
// SelectURL takes on (1 or 0) and, for every line at once, all=1.
type CartView struct {
	Lines       []CartLine
	AllSelected bool
	Total       store.Fen // of the selected lines that can be bought
	Pieces      int       // pieces counted in Total
	Notice      string    // a one-time message, e.g. "已加入购物车"
	Error       string    // why the last action was refused
	QtyURL      string
	RemoveURL   string
	SelectURL   string
	ShopURL     string // "去逛逛" when the cart is empty
	Count       int    // pieces in the cart, for the out-of-band badge update
}

// CartPage is the cart page.
type CartPage struct {
	Page
	Cart CartView
}

// CartBadge is the count on the cart tab; 0 draws nothing.
type CartBadge struct {
	Count int
}

// CartToast answers adding to the cart with htmx: a short message and the
// new badge, both swapped out of band.
type CartToast struct {
	Message string
	Error   bool
	Badge   CartBadge
}

// Cart draws the compiled theme's cart page with the active section overrides.
func (st *state) Cart(vm CartPage) templ.Component { return st.wrap(st.compiled.Cart(vm)) }

// CartList draws the compiled theme's cart list fragment.
func (st *state) CartList(vm CartView) templ.Component { return st.wrap(st.compiled.CartList(vm)) }

// CartBadge draws the compiled theme's cart badge fragment.
func (st *state) CartBadge(vm CartBadge) templ.Component { return st.wrap(st.compiled.CartBadge(vm)) }

// CartToast draws the compiled theme's add-to-cart answer.
func (st *state) CartToast(vm CartToast) templ.Component { return st.wrap(st.compiled.CartToast(vm)) }
