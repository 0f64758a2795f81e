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

// adminCategories shows the category tree.
func (h *Handler) adminCategories(c *gin.Context) error {
	tree, err := h.db.Categories(c.Request.Context(), true)
	if err != nil {
		return err
	}
	h.render(c, http.StatusOK, admin.CategoriesPage(tree))
	return nil
}

// adminCategoryNew shows an empty category form; ?parent= preselects the parent.
func (h *Handler) adminCategoryNew(c *gin.Context) error {
	return h.renderCategoryForm(c, http.StatusOK, admin.CategoryForm{ParentID: formID(c.Query("parent")), Visible: true})
}

// adminCategoryEdit shows a stored category's form.
func (h *Handler) adminCategoryEdit(c *gin.Context) error {
	id, err := adminID(c)
	if err != nil {
		return err
	}
	cat, err := h.db.CategoryByID(c.Request.Context(), id)
	if err != nil {
		return err
	}
	return h.renderCategoryForm(c, http.StatusOK, admin.CategoryForm{
		ID: cat.ID, ParentID: cat.ParentID, Name: cat.Name, Icon: cat.Icon, Sort: strconv.Itoa(cat.Sort), Visible: cat.Visible,
	})
}

// adminCategoryCreate handles the new category form.
func (h *Handler) adminCategoryCreate(c *gin.Context) error { return h.submitCategoryForm(c, 0) }

// adminCategoryUpdate handles a category's edit form.
func (h *Handler) adminCategoryUpdate(c *gin.Context) error {
	id, err := adminID(c)
	if err != nil {
		return err
	}
	if _, err := h.db.CategoryByID(c.Request.Context(), id); err != nil {
		return err
	}
	return h.submitCategoryForm(c, id)
}

func (h *Handler) submitCategoryForm(c *gin.Context, id int64) error {
	ctx := c.Request.Context()
	if err := h.parseAdminForm(c); err != nil {
		return h.formUnreadable(c, err)
	}
	var v store.ValidationErrors
	f := admin.CategoryForm{
		ID: id, ParentID: formID(c.PostForm("parent_id")), Name: c.PostForm("name"),
		Sort: strings.TrimSpace(c.PostForm("sort")), Visible: c.PostForm("visible") == "1",
	}
	icon, pickerOnly, err := h.singleImageForm(c, "icon", &v)
	if err != nil {
		return err
	}
	f.Icon = icon
	if pickerOnly {
		f.Errors = formErrors(ctx, v)
		return h.renderCategoryForm(c, statusFor(v), f)
	}
	in := store.CategoryInput{ParentID: f.ParentID, Name: f.Name, Icon: f.Icon, Sort: formInt(f.Sort, "sort", &v), Visible: f.Visible}
	if len(v) == 0 {
		if id == 0 {
			_, err = h.db.CreateCategory(ctx, in)
		} else {
			err = h.db.UpdateCategory(ctx, id, in)
		}
		if err != nil && !addValidation(&v, err) {
			return err
		}
	}
	if len(v) > 0 {
		f.Errors = formErrors(ctx, v)
		return h.renderCategoryForm(c, http.StatusUnprocessableEntity, f)
	}
	h.addFlash(c, "success", i18n.Tc(ctx, "admin.saved_named", "name", strings.TrimSpace(f.Name)))
	redirect(c, "/admin/categories")
	return nil
}

// renderCategoryForm fills the parent choices (top-level categories other
// than f's own) and renders f.
func (h *Handler) renderCategoryForm(c *gin.Context, status int, f admin.CategoryForm) error {
	tree, err := h.db.Categories(c.Request.Context(), true)
	if err != nil {
		return err
	}
	for _, t := range tree {
		if t.ID == f.ID {
			f.HasChildren = len(t.Children) > 0
			continue
		}
		t.Children = nil
		f.Parents = append(f.Parents, t)
	}
	h.render(c, status, admin.CategoryFormPage(f))
	return nil
}
