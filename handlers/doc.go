// Package handlers is xiaodian's HTTP layer: the gin router, its middleware
// and one file per area (setup and login, the catalogue back office, the
// storefront). Handlers are thin: parse the request, call the store, render a
// view model through a templ component.
package handlers
