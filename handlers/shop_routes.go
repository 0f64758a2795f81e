package handlers

import (
	"github.com/gin-gonic/gin"

	// The reference theme registers itself with the themes registry.
	_ "github.com/xiaodian/xiaodian/themes/default"
)

// shopRoutes registers the storefront pages, their theme's assets and the
// stored images. Every anonymous page goes through the page cache
// (h.cached): its answer depends only on the URL, the locale, the catalogue
// and the theme.
func (h *Handler) shopRoutes(r *gin.Engine) {
	r.GET("/media/:key", h.wrap(h.serveMedia))
	r.HEAD("/media/:key", h.wrap(h.serveMedia))
	if h.themes == nil {
		return // a handler set without themes serves no storefront
	}
	pages := []struct {
		path string
		fn   HandlerFunc
	}{
		{"/", h.shopHome},
		{"/c", h.shopCategories},
		{"/c/:id", h.shopCategory},
		{"/search", h.shopSearch},
		{"/p/:id", h.shopProduct},
		{"/p/:id/sku", h.shopSKUPanel},
	}
	for _, p := range pages {
		page := h.cached(p.fn)
		r.GET(p.path, page)
		r.HEAD(p.path, page) // for uptime monitors; HEAD bypasses the cache
	}

	// Customer accounts (account.go): never cached, they are personal.
	h.accountRoutes(r)
	h.socialRoutes(r) // 微信登录 (auth_social.go)
	// Shipping addresses and the region picker (address.go).
	h.addressRoutes(r)
	// The shopping cart (cart.go): personal, never cached.
	h.cartRoutes(r)
	// Favourites and browsing history (favorite.go): personal, never cached.
	h.favoriteRoutes(r)
	// In-site messages (message.go): personal, never cached.
	h.messageRoutes(r)
	// Paying and the wallet (pay.go, wallet.go): personal, never cached.
	h.payRoutes(r)
	h.walletRoutes(r)
	// The checkout and the buyer's orders (checkout.go, order.go).
	h.checkoutRoutes(r)
	h.orderRoutes(r)
	// After-sales (aftersale.go): personal, never cached.
	h.aftersaleRoutes(r)
	// The distributor centre (distributor.go): personal, never cached.
	h.distributorRoutes(r)
	// Promotion tools (promo.go): QR codes, share posters, the
	// distributor's shop page.
	h.promoRoutes(r)

	assets := gin.WrapH(h.themes)
	r.GET("/theme/*path", assets)
	r.HEAD("/theme/*path", assets)
}
