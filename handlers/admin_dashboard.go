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
	// To-do counts: orders to ship or hand over, after-sales to handle.
	if d.ToShip, d.ToPickup, err = h.db.OrdersToShipCount(ctx); err != nil {
		return err
	}
	counts, err := h.db.OrderStatusCounts(ctx)
	if err != nil {
		return err
	}
	d.Unpaid = counts[store.StatusPendingPayment]
	as, err := h.db.AftersaleStatusCounts(ctx)
	if err != nil {
		return err
	}
	d.Aftersales = as[store.AftersaleRequested] + as[store.AftersaleReturned] + as[store.AftersaleApproved]
	h.render(c, http.StatusOK, admin.DashboardPage(d))
	return nil
}
