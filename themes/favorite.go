package themes

import "github.com/a-h/templ"

// Favourites (收藏) and browsing history (浏览记录) of a signed-in customer.
// The product page is cached for visitors, so it never carries the heart's
// state: it draws a neutral heart that loads FavoriteButton from
// FavoriteStateURL with htmx.

// Favourite URLs: the state fragment (GET, ?product=ID) and the toggle
// (POST, field product).
const (
	FavoriteStateURL  = "/favorites/state"
	FavoriteToggleURL = "/favorites/toggle"
)

// Member page entries of favourites and history.
const (
	MemberEntryFavorites = "favorites"
	MemberEntryHistory   = "history"
)

// FavoriteButton is the heart in the product page's buy bar. A visitor
// (SignedIn false) gets a link to LoginURL; a customer a form posting
// product to FavoriteToggleURL.
type FavoriteButton struct {
	ProductID int64
	SignedIn  bool
	On        bool   // the customer has favourited the product
	LoginURL  string // /login?next=<the product page>
}

// SavedCard is a product in the favourites or the history.
type SavedCard struct {
	Card     ProductCard
	OffShelf bool // drawn greyed with 已下架
}

// FavoritesPage is the customer's favourites: a grid of cards, each with a
// remove form posting product to RemoveURL.
type FavoritesPage struct {
	Page
	BackURL   string
	Notice    string
	Cards     []SavedCard
	Total     int
	RemoveURL string
	Next      string // next page; "" = none
	Prev      string // previous page; "" = first
	ShopURL   string // where the empty state sends the shopper
}

// HistoryPage is the customer's browsing history, most recent first, with a
// clear-all form posting to ClearURL.
type HistoryPage struct {
	Page
	BackURL  string
	Notice   string
	Cards    []SavedCard
	Total    int
	ClearURL string
	Next     string
	Prev     string
	ShopURL  string
}

// Favorites draws the compiled theme's favourites page with the active section overrides.
func (st *state) Favorites(vm FavoritesPage) templ.Component {
	return st.wrap(st.compiled.Favorites(vm))
}

// History draws the compiled theme's browsing history page.
func (st *state) History(vm HistoryPage) templ.Component { return st.wrap(st.compiled.History(vm)) }

// FavoriteButton draws the compiled theme's heart fragment.
func (st *state) FavoriteButton(vm FavoriteButton) templ.Component {
	return st.wrap(st.compiled.FavoriteButton(vm))
}
