package handlers

import "github.com/gin-gonic/gin"

// adminRoutes registers the back-office pages behind requireStaff.
func (h *Handler) adminRoutes(g *gin.RouterGroup) {
	products, categories, brands, banners := h.deletables()
	g.GET("", h.wrap(h.adminDashboard))

	g.GET("/products", h.wrap(h.adminProducts))
	g.GET("/products.csv", h.wrap(h.adminProductsCSV))
	g.POST("/products/shelf", h.wrap(h.adminProductsShelf))
	g.GET("/products/new", h.wrap(h.adminProductNew))
	g.POST("/products/new", h.wrap(h.adminProductCreate))
	g.POST("/products/sku-table", h.wrap(h.adminSKUTable))
	g.GET("/products/:id/edit", h.wrap(h.adminProductEdit))
	g.POST("/products/:id/edit", h.wrap(h.adminProductUpdate))
	g.GET("/products/:id/delete", h.wrap(h.confirmDelete(products)))
	g.POST("/products/:id/delete", h.wrap(h.deleteItem(products)))

	g.POST("/uploads", h.wrap(h.upload))
	g.POST("/gallery", h.wrap(h.adminGallery))

	g.GET("/categories", h.wrap(h.adminCategories))
	g.GET("/categories/new", h.wrap(h.adminCategoryNew))
	g.POST("/categories/new", h.wrap(h.adminCategoryCreate))
	g.GET("/categories/:id/edit", h.wrap(h.adminCategoryEdit))
	g.POST("/categories/:id/edit", h.wrap(h.adminCategoryUpdate))
	g.GET("/categories/:id/delete", h.wrap(h.confirmDelete(categories)))
	g.POST("/categories/:id/delete", h.wrap(h.deleteItem(categories)))

	g.GET("/brands", h.wrap(h.adminBrands))
	g.GET("/brands/new", h.wrap(h.adminBrandNew))
	g.POST("/brands/new", h.wrap(h.adminBrandCreate))
	g.GET("/brands/:id/edit", h.wrap(h.adminBrandEdit))
	g.POST("/brands/:id/edit", h.wrap(h.adminBrandUpdate))
	g.GET("/brands/:id/delete", h.wrap(h.confirmDelete(brands)))
	g.POST("/brands/:id/delete", h.wrap(h.deleteItem(brands)))

	g.GET("/banners", h.wrap(h.adminBanners))
	g.GET("/banners/new", h.wrap(h.adminBannerNew))
	g.POST("/banners/new", h.wrap(h.adminBannerCreate))
	g.GET("/banners/:id/delete", h.wrap(h.confirmDelete(banners)))
	g.POST("/banners/:id/delete", h.wrap(h.deleteItem(banners)))

	g.GET("/settings", h.wrap(h.adminSettings))
	g.POST("/settings", h.wrap(h.adminSettingsSave))
	g.POST("/settings/preview", h.wrap(h.adminSettingsPreview))
	g.POST("/settings/defaults", h.wrap(h.adminSettingsDefaults))
	g.POST("/settings/reload-theme", h.wrap(h.adminReloadTheme))

	g.GET("/trade-settings", h.wrap(h.adminTradeSettings))
	g.POST("/trade-settings", h.wrap(h.adminTradeSettingsSave))
	h.adminShippingRoutes(g)

	h.adminWalletRoutes(g) // customers, wallets, recharge packages (admin_wallet.go)
	h.adminAftersaleRoutes(g)
	h.adminOrderRoutes(g)
	h.adminPaymentRoutes(g)      // 支付设置, records, reconciliation (admin_payments.go)
	h.adminDistributionRoutes(g) // 分销管理 (admin_distribution*.go)
	h.adminPayoutRoutes(g)       // withdrawals paid through a provider (payout.go)
	h.adminMarketingRoutes(g)    // 营销工具: the marketing plugins' switches and settings
}
