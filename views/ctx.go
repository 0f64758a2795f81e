// Package views holds the back office's templ components and the UI atoms
// shared with the storefront (forms, tables, pagination, flash messages),
// plus the typed getters for the request-wide values a component may read
// from its context.
package views

import (
	"context"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views/i18n"
)

type ctxKey int

const (
	staffKey ctxKey = iota
	flashKey
	pathKey
	menuKey
)

// WithPluginMenu stores the sidebar entries of the enabled plugins, which
// the sidebar shows after the distribution group.
func WithPluginMenu(ctx context.Context, items []MenuItem) context.Context {
	return context.WithValue(ctx, menuKey, items)
}

// Menu is the sidebar of this request: AdminMenu with the enabled
// plugins' entries after the distribution group.
func Menu(ctx context.Context) []MenuItem {
	extra, _ := ctx.Value(menuKey).([]MenuItem)
	if len(extra) == 0 {
		return AdminMenu
	}
	at := len(AdminMenu)
	for i, m := range AdminMenu {
		if m.Group == "distadmin.group" {
			at = i + 1
		}
	}
	out := make([]MenuItem, 0, len(AdminMenu)+len(extra))
	out = append(out, AdminMenu[:at]...)
	out = append(out, extra...)
	return append(out, AdminMenu[at:]...)
}

// Flash is a one-time message shown at the top of the next page.
type Flash struct {
	Kind    string // "success", "error", "info"
	Message string
}

// WithStaff stores the signed-in staff account.
func WithStaff(ctx context.Context, s *store.Staff) context.Context {
	return context.WithValue(ctx, staffKey, s)
}

// Staff returns the signed-in staff account, or nil.
func Staff(ctx context.Context) *store.Staff {
	s, _ := ctx.Value(staffKey).(*store.Staff)
	return s
}

// WithFlash stores the flash messages to show on this page.
func WithFlash(ctx context.Context, f []Flash) context.Context {
	return context.WithValue(ctx, flashKey, f)
}

// Flashes returns the flash messages to show on this page.
func Flashes(ctx context.Context) []Flash {
	f, _ := ctx.Value(flashKey).([]Flash)
	return f
}

// WithPath stores the request path (for active menu items).
func WithPath(ctx context.Context, p string) context.Context {
	return context.WithValue(ctx, pathKey, p)
}

// Path returns the request path.
func Path(ctx context.Context) string {
	p, _ := ctx.Value(pathKey).(string)
	return p
}

// T translates key in the request's locale.
func T(ctx context.Context, key string, args ...any) string { return i18n.Tc(ctx, key, args...) }

// Locale returns the request's locale.
func Locale(ctx context.Context) i18n.Locale { return i18n.FromContext(ctx) }

// Money formats fen for display, e.g. ¥12.30.
func Money(ctx context.Context, f store.Fen) string {
	return i18n.Money(i18n.FromContext(ctx), int64(f))
}
