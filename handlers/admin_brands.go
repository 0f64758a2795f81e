package handlers

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views/admin"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// adminBrands lists the brands.
func (h *Handler) adminBrands(c *gin.Context) error {
	brands, err := h.db.Brands(c.Request.Context())
	if err != nil {
		return err
	}
	h.render(c, http.StatusOK, admin.BrandsPage(brands))
	return nil
}

// adminBrandNew shows an empty brand form.
func (h *Handler) adminBrandNew(c *gin.Context) error {
	h.render(c, http.StatusOK, admin.BrandFormPage(admin.BrandForm{}))
	return nil
}

// adminBrandEdit shows a stored brand's form.
func (h *Handler) adminBrandEdit(c *gin.Context) error {
	id, err := adminID(c)
	if err != nil {
		return err
	}
	b, err := h.db.BrandByID(c.Request.Context(), id)
	if err != nil {
		return err
	}
	h.render(c, http.StatusOK, admin.BrandFormPage(admin.BrandForm{ID: b.ID, Name: b.Name, Logo: b.Logo, Sort: strconv.Itoa(b.Sort)}))
	return nil
}

// adminBrandCreate handles the new brand form.
func (h *Handler) adminBrandCreate(c *gin.Context) error { return h.submitBrandForm(c, 0) }

// adminBrandUpdate handles a brand's edit form.
func (h *Handler) adminBrandUpdate(c *gin.Context) error {
	id, err := adminID(c)
	if err != nil {
		return err
	}
	if _, err := h.db.BrandByID(c.Request.Context(), id); err != nil {
		return err
	}
	return h.submitBrandForm(c, id)
}

func (h *Handler) submitBrandForm(c *gin.Context, id int64) error {
	ctx := c.Request.Context()
	if err := h.parseAdminForm(c); err != nil {
		return h.formUnreadable(c, err)
	}
	var v store.ValidationErrors
	f := admin.BrandForm{ID: id, Name: c.PostForm("name"), Sort: strings.TrimSpace(c.PostForm("sort"))}
	logo, pickerOnly, err := h.singleImageForm(c, "logo", &v)
	if err != nil {
		return err
	}
	f.Logo = logo
	if pickerOnly {
		f.Errors = formErrors(ctx, v)
		h.render(c, statusFor(v), admin.BrandFormPage(f))
		return nil
	}
	in := store.BrandInput{Name: f.Name, Logo: f.Logo, Sort: formInt(f.Sort, "sort", &v)}
	if len(v) == 0 {
		if id == 0 {
			_, err = h.db.CreateBrand(ctx, in)
		} else {
			err = h.db.UpdateBrand(ctx, id, in)
		}
		if err != nil && !addValidation(&v, err) {
			return err
		}
	}
	if len(v) > 0 {
		f.Errors = formErrors(ctx, v)
		h.render(c, http.StatusUnprocessableEntity, admin.BrandFormPage(f))
		return nil
	}
	h.addFlash(c, "success", i18n.Tc(ctx, "admin.saved_named", "name", strings.TrimSpace(f.Name)))
	redirect(c, "/admin/brands")
	return nil
}
