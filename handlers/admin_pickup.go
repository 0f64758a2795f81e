package handlers

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views/admin"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// adminPickupRoutes registers the pickup stores (门店自提) pages.
func (h *Handler) adminPickupRoutes(g *gin.RouterGroup) {
	stores := deletable{list: "/admin/pickup-stores", title: "pickup.delete", confirm: "admin.confirm_delete_named",
		done: "admin.deleted_named", del: h.db.DeletePickupStore,
		name: func(ctx context.Context, id int64) (string, error) {
			s, err := h.db.PickupStoreByID(ctx, id)
			if err != nil {
				return "", err
			}
			return s.Name, nil
		}}
	g.GET("/pickup-stores", h.wrap(h.adminPickupStores))
	g.GET("/pickup-stores/regions", h.wrap(h.adminPickupRegions))
	g.GET("/pickup-stores/new", h.wrap(h.adminPickupNew))
	g.POST("/pickup-stores/new", h.wrap(h.adminPickupCreate))
	g.GET("/pickup-stores/:id/edit", h.wrap(h.adminPickupEdit))
	g.POST("/pickup-stores/:id/edit", h.wrap(h.adminPickupUpdate))
	g.GET("/pickup-stores/:id/delete", h.wrap(h.confirmDelete(stores)))
	g.POST("/pickup-stores/:id/delete", h.wrap(h.deleteItem(stores)))
}

// adminPickupStores lists the pickup stores, inactive ones too.
func (h *Handler) adminPickupStores(c *gin.Context) error {
	stores, err := h.db.PickupStores(c.Request.Context(), false)
	if err != nil {
		return err
	}
	h.render(c, http.StatusOK, admin.PickupListPage(stores))
	return nil
}

// adminPickupRegions redraws the region selects of the store form (htmx).
func (h *Handler) adminPickupRegions(c *gin.Context) error {
	r := admin.NewPickupRegion(c.Query("province"), c.Query("city"), c.Query("district"), nil)
	h.render(c, http.StatusOK, admin.PickupRegionView(r))
	return nil
}

// adminPickupNew shows an empty store form.
func (h *Handler) adminPickupNew(c *gin.Context) error {
	h.render(c, http.StatusOK, admin.PickupFormPage(admin.PickupForm{In: store.PickupStoreInput{Active: true}}))
	return nil
}

// adminPickupEdit shows a stored store's form.
func (h *Handler) adminPickupEdit(c *gin.Context) error {
	id, err := adminID(c)
	if err != nil {
		return err
	}
	s, err := h.db.PickupStoreByID(c.Request.Context(), id)
	if err != nil {
		return err
	}
	in := store.PickupStoreInput{Name: s.Name, Phone: s.Phone, ProvinceCode: s.Province, CityCode: s.City, DistrictCode: s.District,
		Detail: s.Detail, Hours: s.Hours, Active: s.Active, Sort: s.Sort}
	h.render(c, http.StatusOK, admin.PickupFormPage(admin.PickupForm{ID: id, In: in, Sort: strconv.Itoa(s.Sort)}))
	return nil
}

// adminPickupCreate handles the new store form.
func (h *Handler) adminPickupCreate(c *gin.Context) error { return h.submitPickupForm(c, 0) }

// adminPickupUpdate handles a store's edit form.
func (h *Handler) adminPickupUpdate(c *gin.Context) error {
	id, err := adminID(c)
	if err != nil {
		return err
	}
	if _, err := h.db.PickupStoreByID(c.Request.Context(), id); err != nil {
		return err
	}
	return h.submitPickupForm(c, id)
}

// submitPickupForm saves the store form; its 选择 button (JavaScript off)
// only redraws the form with the next region level to choose.
func (h *Handler) submitPickupForm(c *gin.Context, id int64) error {
	ctx := c.Request.Context()
	if err := h.parseAdminForm(c); err != nil {
		return h.formUnreadable(c, err)
	}
	f := admin.PickupForm{ID: id, Sort: strings.TrimSpace(c.PostForm("sort")), In: store.PickupStoreInput{
		Name: c.PostForm("name"), Phone: c.PostForm("phone"), ProvinceCode: c.PostForm("province"), CityCode: c.PostForm("city"),
		DistrictCode: c.PostForm("district"), Detail: c.PostForm("detail"), Hours: c.PostForm("hours"), Active: c.PostForm("active") == "1",
	}}
	if c.PostForm("action") == "choose" {
		h.render(c, http.StatusOK, admin.PickupFormPage(f))
		return nil
	}
	var v store.ValidationErrors
	f.In.Sort = formInt(f.Sort, "sort", &v)
	var err error
	if len(v) == 0 {
		if id == 0 {
			_, err = h.db.CreatePickupStore(ctx, f.In)
		} else {
			err = h.db.UpdatePickupStore(ctx, id, f.In)
		}
		if err != nil && !addValidation(&v, err) {
			return err
		}
	}
	if len(v) > 0 {
		f.Errors = formErrors(ctx, v)
		h.render(c, http.StatusUnprocessableEntity, admin.PickupFormPage(f))
		return nil
	}
	h.addFlash(c, "success", i18n.Tc(ctx, "admin.saved_named", "name", strings.TrimSpace(f.In.Name)))
	redirect(c, "/admin/pickup-stores")
	return nil
}
