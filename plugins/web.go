package plugins

import (
	"context"
	"io/fs"
	"net/http"
	"net/url"
	"time"

	"github.com/a-h/templ"

	"github.com/xiaodian/xiaodian/store"
)

// What a plugin may bring besides hooks, each an optional interface the
// core looks for at start-up: its own tables (Migrator), background jobs
// (Jobber), storefront and back-office pages (Router) and a stylesheet for its storefront blocks and
// pages (Styler). Its strings in both languages it adds to the catalogue
// in its package's init, with i18n.MustAdd. The marketing tools in plugins/ are built from these
// alone; docs/plugins.md walks through one.

// Migrator is a plugin with tables of its own: numbered .sql files in the
// "migrations" folder of Migrations(), applied once each at start-up (the
// plugin enabled or not) and recorded under "<id>/<file>".
type Migrator interface {
	Migrations() fs.FS
}

// Job is a plugin's background job: Run is called every Every (and once
// at start) while the plugin is enabled. It must be idempotent and work in
// small transactions: the process may stop at any point.
type Job struct {
	Name  string // unique within the plugin; logged as "<id>/<name>"
	Every time.Duration
	Run   func(ctx context.Context, db *store.DB) error
}

// Jobber is a plugin with background jobs.
type Jobber interface {
	Jobs() []Job
}

// Styler is a plugin with a stylesheet for its storefront blocks and
// pages; every storefront page links it (content-hashed, cached for long).
// It should use the theme's CSS custom properties (--primary, --price...)
// so that it follows the theme.
type Styler interface {
	Stylesheet() []byte
}

// Area is where a route lives.
type Area int

// Areas of a route.
const (
	// Storefront routes are under the shop's root, e.g. "/coupons".
	Storefront Area = iota
	// Account routes are storefront routes for signed-in customers: a
	// visitor is sent to sign in first.
	Account
	// Admin routes are under /admin and need a staff sign-in.
	Admin
)

// Route is one page or action of a plugin. Path is gin's syntax
// ("/coupons/:id/claim"); an Admin route's path is under /admin. Only GET
// and POST are served; a POST from another site is refused before Handle
// runs, as every unsafe request is.
type Route struct {
	Method string
	Path   string
	Area   Area
	Handle func(Request) error
}

// MenuItem is a back-office sidebar entry a Router adds.
type MenuItem struct {
	Href  string // e.g. "/admin/coupons"
	Label string // i18n key
	Group string // i18n key of the sidebar group, e.g. "marketing.group"
}

// Router is a plugin with pages. Routes of a disabled plugin answer 404;
// its menu entries are hidden.
type Router interface {
	Routes() []Route
	Menu() []MenuItem
}

// Page is a whole page a route answers with: in the storefront the
// theme's shell (a top bar with Title and a back arrow to BackURL), in the
// back office the admin shell with Title in the top bar.
type Page struct {
	Title   string
	BackURL string
	// Class is added to the storefront page's body class, for the plugin's
	// stylesheet.
	Class string
	Body  templ.Component
}

// Request is what a plugin's route gets: the request, who is signed in,
// the shop's database and the ways to answer. The core has already
// checked the origin of a POST and, for Account and Admin routes, the
// sign-in.
type Request interface {
	Context() context.Context
	HTTP() *http.Request
	// Param is a path parameter of the route.
	Param(name string) string
	// Query and Form are the query string and the posted form.
	Query() url.Values
	Form() url.Values
	// Customer is the signed-in customer, nil for a visitor.
	Customer() *store.Customer
	// Staff is the signed-in staff member's id and name on Admin routes.
	Staff() (id int64, name string)
	// Store is the shop's database.
	Store() *store.DB
	// T translates key in the request's language.
	T(key string, args ...any) string
	// HTMX reports whether this is an htmx request for a fragment.
	HTMX() bool

	// Page answers with a whole page.
	Page(status int, p Page) error
	// Fragment answers an htmx request with c alone.
	Fragment(status int, c templ.Component) error
	// Redirect sends the browser to target (HX-Redirect for htmx), with a
	// one-time notice shown there ("" for none).
	Redirect(target, notice string) error
	// Notice is the one-time notice a Redirect left, taken once.
	Notice() string
	// Data answers with raw bytes (a CSV export).
	Data(status int, contentType, filename string, body []byte) error
}

// ErrNotFound answers 404 from a route.
var ErrNotFound = store.ErrNotFound

// MemberLink is an entry a plugin adds to the member page (我的).
type MemberLink struct {
	ID    string // also picks the theme's icon, e.g. "coupons"
	Label string // i18n key
	URL   string
}

// MemberLinker is a plugin with member page entries, shown while it is
// enabled.
type MemberLinker interface {
	MemberLinks() []MemberLink
}

// Demoer is a plugin that shows itself in the demo shop: Demo runs once
// after the demo catalogue is loaded into an empty shop, and sets up the
// plugin's activities over it (reading the catalogue through db).
type Demoer interface {
	Demo(ctx context.Context, db *store.DB) error
}
