package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views"
	"github.com/xiaodian/xiaodian/views/admin"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// adminID reads the :id path parameter; anything but a positive integer is
// a page that does not exist.
func adminID(c *gin.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("id %q: %w", c.Param("id"), store.ErrNotFound)
	}
	return id, nil
}

// formID reads an optional id from a form or query value: 0 when empty or
// not a positive integer.
func formID(s string) int64 {
	id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || id < 0 {
		return 0
	}
	return id
}

// formInt reads an optional integer field: empty is 0, anything else that
// is not an integer adds "validation.integer" on field to v.
func formInt(s, field string, v *store.ValidationErrors) int {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		v.Add(field, "validation.integer")
		return 0
	}
	return n
}

// addValidation appends the field errors in err to v and reports whether
// err was a validation error at all.
func addValidation(v *store.ValidationErrors, err error) bool {
	var one *store.ValidationError
	var many store.ValidationErrors
	switch {
	case errors.As(err, &many):
		*v = append(*v, many...)
	case errors.As(err, &one):
		*v = append(*v, one)
	default:
		return false
	}
	return true
}

// validationMessage is the translated message of the first field error in
// err; ok is false when err is not a validation error.
func validationMessage(ctx context.Context, err error) (string, bool) {
	var v store.ValidationErrors
	if !addValidation(&v, err) || len(v) == 0 {
		return "", false
	}
	return i18n.Tc(ctx, v[0].Key, v[0].Args...), true
}

// adminBack is the local back-office address a form asked to return to,
// or fallback.
func adminBack(c *gin.Context, fallback string) string {
	if back := safeNext(c.PostForm("back")); back != "" {
		return back
	}
	return fallback
}

// formErrors translates v for a form, nil when there is nothing to say.
func formErrors(ctx context.Context, v store.ValidationErrors) views.FormErrors {
	if len(v) == 0 {
		return nil
	}
	fe, _ := views.NewFormErrors(ctx, v)
	return fe
}

// singleImageForm applies the image picker of a one-image form (category
// icon, brand logo, banner image) and returns the image the form holds now:
// a file posted with the form replaces it, the picker's remove button
// clears it. pickerOnly reports that the pressed button was the picker's
// (or the upload was refused), so the form is shown again rather than
// saved. A refused file is added to v.
func (h *Handler) singleImageForm(c *gin.Context, field string, v *store.ValidationErrors) (key string, pickerOnly bool, err error) {
	keys := h.cleanImageKeys([]string{c.PostForm(field)})
	if op := c.PostForm("gallery_op"); op != "" {
		return firstKey(applyGalleryOp(keys, op)), true, nil
	}
	saved, err := h.saveUploads(c, field, 0)
	if err != nil {
		if !addValidation(v, err) {
			return "", false, err
		}
		return firstKey(keys), true, nil
	}
	if len(saved) > 0 {
		keys = saved[len(saved)-1:]
	}
	return firstKey(keys), c.PostForm("action") == "upload", nil
}

func firstKey(keys []string) string {
	if len(keys) == 0 {
		return ""
	}
	return keys[0]
}

// formUnreadable answers a form body parseAdminForm refused: over the size
// limit is a 422 page saying how large an image may be, anything else the
// error as it is.
func (h *Handler) formUnreadable(c *gin.Context, err error) error {
	msg, ok := validationMessage(c.Request.Context(), err)
	if !ok {
		return err
	}
	h.render(c, http.StatusUnprocessableEntity, views.ErrorPage(http.StatusUnprocessableEntity, msg))
	return nil
}

// deletable describes a back-office resource deleted by id: a confirm page
// for browsers without JavaScript, then the delete with a flash.
type deletable struct {
	list    string // the list page, e.g. "/admin/brands"
	title   string // i18n key of the confirm page's title
	confirm string // i18n key of the question; {name} is the item's name
	done    string // i18n key of the success flash; {name} as above
	// name looks the item up (ErrNotFound for a wrong id) and returns its
	// name for the messages.
	name func(ctx context.Context, id int64) (string, error)
	del  func(ctx context.Context, id int64) error
}

// confirmDelete renders the confirm page of d.
func (h *Handler) confirmDelete(d deletable) HandlerFunc {
	return func(c *gin.Context) error {
		ctx := c.Request.Context()
		id, err := adminID(c)
		if err != nil {
			return err
		}
		name, err := d.name(ctx, id)
		if err != nil {
			return err
		}
		h.render(c, http.StatusOK, admin.ConfirmPage(admin.Confirm{
			Title:   i18n.Tc(ctx, d.title),
			Message: i18n.Tc(ctx, d.confirm, "name", name),
			Action:  d.list + "/" + strconv.FormatInt(id, 10) + "/delete",
			Back:    d.list,
		}))
		return nil
	}
}

// deleteItem deletes the item of d; a refusal of the store (still in use)
// comes back as an error flash, nothing changed.
func (h *Handler) deleteItem(d deletable) HandlerFunc {
	return func(c *gin.Context) error {
		ctx := c.Request.Context()
		id, err := adminID(c)
		if err != nil {
			return err
		}
		name, err := d.name(ctx, id)
		if err != nil {
			return err
		}
		err = d.del(ctx, id)
		if msg, ok := validationMessage(ctx, err); ok {
			h.addFlash(c, "error", msg)
			redirect(c, d.list)
			return nil
		}
		if err != nil {
			return err
		}
		h.addFlash(c, "success", i18n.Tc(ctx, d.done, "name", name))
		redirect(c, adminBack(c, d.list))
		return nil
	}
}

// The deletable resources of the catalogue back office.
func (h *Handler) deletables() (products, categories, brands, banners deletable) {
	products = deletable{list: "/admin/products", title: "admin.delete_product", confirm: "admin.confirm_delete_product",
		done: "admin.product_deleted", del: h.db.DeleteProduct,
		name: func(ctx context.Context, id int64) (string, error) {
			p, err := h.db.ProductByID(ctx, id)
			if err != nil {
				return "", err
			}
			return p.Title, nil
		}}
	categories = deletable{list: "/admin/categories", title: "admin.delete_category", confirm: "admin.confirm_delete_named",
		done: "admin.deleted_named", del: h.db.DeleteCategory,
		name: func(ctx context.Context, id int64) (string, error) {
			c, err := h.db.CategoryByID(ctx, id)
			if err != nil {
				return "", err
			}
			return c.Name, nil
		}}
	brands = deletable{list: "/admin/brands", title: "admin.delete_brand", confirm: "admin.confirm_delete_named",
		done: "admin.deleted_named", del: h.db.DeleteBrand,
		name: func(ctx context.Context, id int64) (string, error) {
			b, err := h.db.BrandByID(ctx, id)
			if err != nil {
				return "", err
			}
			return b.Name, nil
		}}
	banners = deletable{list: "/admin/banners", title: "admin.delete_banner", confirm: "admin.confirm_delete_banner",
		done: "common.deleted", del: h.db.DeleteBanner,
		name: func(ctx context.Context, id int64) (string, error) { return "", nil }}
	return
}
