package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views/admin"
)

// adminDashboard shows the catalogue counts and quick links.
func (h *Handler) adminDashboard(c *gin.Context) error {
	ctx := c.Request.Context()
	var d admin.Dashboard
	for _, q := range []struct {
		f   store.ProductFilter
		out *int
	}{
		{store.ProductFilter{Shelf: "on", Limit: 1}, &d.OnShelf},
		{store.ProductFilter{Shelf: "off", Limit: 1}, &d.OffShelf},
		{store.ProductFilter{OutOfStock: true, Limit: 1}, &d.OutOfStock},
	} {
		_, n, err := h.db.Products(ctx, q.f)
		if err != nil {
			return err
		}
		*q.out = n
	}
	cats, err := h.db.Categories(ctx, true)
	if err != nil {
		return err
	}
	for _, c := range cats {
		d.Categories += 1 + len(c.Children)
	}
	brands, err := h.db.Brands(ctx)
	if err != nil {
		return err
	}
	d.Brands = len(brands)
	banners, err := h.db.Banners(ctx, true)
	if err != nil {
		return err
	}
	d.Banners = len(banners)
	h.render(c, http.StatusOK, admin.DashboardPage(d))
	return nil
}
