package themes

import (
	"context"

	"github.com/a-h/templ"
)

// Plugin pages: a marketing plugin's storefront page (coupon centre, my
// coupons, a group's share page) is the plugin's own component inside the
// theme's page shell. A theme that lacks PluginTheme falls back to the
// default theme's shell.

// PluginPage is a plugin's storefront page.
type PluginPage struct {
	Page
	Title   string // the top bar's title
	BackURL string // "" = no back arrow
	Class   string // added to the body class, for the plugin's stylesheet
	Notice  string // a one-time notice, "" for none
	Body    templ.Component
}

// PluginTheme draws plugin pages.
type PluginTheme interface {
	PluginPage(PluginPage) templ.Component
}

func (st *state) pluginTheme() PluginTheme {
	if p, ok := st.compiled.(PluginTheme); ok {
		return p
	}
	c, _ := lookupCompiled(DefaultID)
	return c.Theme.(PluginTheme)
}

// PluginPage draws a plugin's page in the theme's shell.
func (st *state) PluginPage(vm PluginPage) templ.Component {
	return st.wrap(st.pluginTheme().PluginPage(vm))
}

type stylesheetsKey struct{}

// WithStylesheets returns ctx carrying the URLs of the plugins'
// stylesheets, which every storefront page links after the theme's.
func WithStylesheets(ctx context.Context, urls []string) context.Context {
	if len(urls) == 0 {
		return ctx
	}
	return context.WithValue(ctx, stylesheetsKey{}, urls)
}

// Stylesheets are the plugins' stylesheets to link (WithStylesheets).
func Stylesheets(ctx context.Context) []string {
	s, _ := ctx.Value(stylesheetsKey{}).([]string)
	return s
}
