package handlers

import (
	"context"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views/admin"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// The back office of customer tags (客户标签): the tags page (create,
// rename, delete), tagging the customers ticked on the customer list, and
// a customer's own tags on their page. Every POST is on the staff-only
// admin group, behind its CSRF/origin check.

const adminTagsPath = "/admin/customers/tags"

// adminTagRoutes registers the customer tags' back-office pages.
func (h *Handler) adminTagRoutes(g *gin.RouterGroup) {
	tags := h.tagDeletable()
	g.GET("/customers/tags", h.wrap(h.adminTags))
	g.POST("/customers/tags", h.wrap(h.adminTagCreate))
	g.POST("/customers/tags/:id/edit", h.wrap(h.adminTagUpdate))
	g.GET("/customers/tags/:id/delete", h.wrap(h.confirmDelete(tags)))
	g.POST("/customers/tags/:id/delete", h.wrap(h.deleteItem(tags)))
	g.POST("/customers/tag-bulk", h.wrap(h.adminTagBulk))
	g.POST("/customers/:id/tags", h.wrap(h.adminCustomerTags))
}

func (h *Handler) tagDeletable() deletable {
	return deletable{list: adminTagsPath, title: "tags.delete_title", confirm: "tags.delete_confirm", done: "tags.deleted",
		del: h.db.DeleteTag,
		name: func(ctx context.Context, id int64) (string, error) {
			t, err := h.db.TagByID(ctx, id)
			if err != nil {
				return "", err
			}
			return t.Name, nil
		}}
}

func (h *Handler) renderTags(c *gin.Context, status int, d admin.TagsPageData) error {
	var err error
	if d.Tags, err = h.db.Tags(c.Request.Context()); err != nil {
		return err
	}
	h.render(c, status, admin.TagsPage(d))
	return nil
}

// adminTags is the tags page.
func (h *Handler) adminTags(c *gin.Context) error {
	return h.renderTags(c, http.StatusOK, admin.TagsPageData{})
}

// adminTagCreate adds a tag; a refusal draws the page again with the
// message and writes nothing.
func (h *Handler) adminTagCreate(c *gin.Context) error {
	ctx := c.Request.Context()
	name, color := c.PostForm("name"), c.PostForm("color")
	_, err := h.db.CreateTag(ctx, name, color)
	var v store.ValidationErrors
	if err != nil && !addValidation(&v, err) {
		return err
	}
	if len(v) > 0 {
		return h.renderTags(c, http.StatusUnprocessableEntity, admin.TagsPageData{Name: name, Color: color, Errors: formErrors(ctx, v)})
	}
	clean, _ := store.ParseTagName(name)
	h.addFlash(c, "success", i18n.Tc(ctx, "tags.created", "name", clean))
	redirect(c, adminTagsPath)
	return nil
}

// adminTagUpdate renames a tag and sets its colour.
func (h *Handler) adminTagUpdate(c *gin.Context) error {
	ctx := c.Request.Context()
	id, err := adminID(c)
	if err != nil {
		return err
	}
	name := c.PostForm("name")
	err = h.db.UpdateTag(ctx, id, name, c.PostForm("color"))
	var v store.ValidationErrors
	if err != nil && !addValidation(&v, err) {
		return err
	}
	if len(v) > 0 {
		return h.renderTags(c, http.StatusUnprocessableEntity, admin.TagsPageData{EditID: id, EditName: name, EditErrors: formErrors(ctx, v)})
	}
	clean, _ := store.ParseTagName(name)
	h.addFlash(c, "success", i18n.Tc(ctx, "tags.saved", "name", clean))
	redirect(c, adminTagsPath)
	return nil
}

// formIDs reads the positive ids of a repeated form field; anything else
// is dropped.
func formIDs(vals []string) []int64 {
	var out []int64
	for _, s := range vals {
		if id := formID(s); id > 0 {
			out = append(out, id)
		}
	}
	return out
}

// adminTagBulk puts a tag on (action=apply) or takes it off (remove) the
// customers ticked on the customer list.
func (h *Handler) adminTagBulk(c *gin.Context) error {
	ctx := c.Request.Context()
	back := adminBack(c, "/admin/customers")
	tagID := formID(c.PostForm("tag_id"))
	ids := formIDs(c.PostFormArray("customer_id"))
	var n int
	var err error
	action := c.PostForm("action")
	switch {
	case tagID == 0:
		err = store.Invalid("tag", "tags.err.unknown")
	case action == "remove":
		n, err = h.db.UntagCustomers(ctx, tagID, ids)
	default:
		action = "apply"
		n, err = h.db.TagCustomers(ctx, tagID, ids)
	}
	if msg, ok := validationMessage(ctx, err); ok {
		h.addFlash(c, "error", msg)
		redirect(c, back)
		return nil
	}
	if err != nil {
		return err
	}
	tag, err := h.db.TagByID(ctx, tagID)
	if err != nil {
		return err
	}
	if action == "remove" {
		h.addFlash(c, "success", i18n.Tc(ctx, "tags.untagged", "n", n, "name", tag.Name))
	} else {
		h.addFlash(c, "success", i18n.Tc(ctx, "tags.tagged", "n", n, "name", tag.Name))
	}
	redirect(c, back)
	return nil
}

// adminCustomerTags sets a customer's tags from their page.
func (h *Handler) adminCustomerTags(c *gin.Context) error {
	ctx := c.Request.Context()
	id, err := adminID(c)
	if err != nil {
		return err
	}
	page := "/admin/customers/" + strconv.FormatInt(id, 10) + "/wallet"
	err = h.db.SetCustomerTags(ctx, id, formIDs(c.PostFormArray("tag_id")))
	if msg, ok := validationMessage(ctx, err); ok {
		h.addFlash(c, "error", msg)
		redirect(c, page)
		return nil
	}
	if err != nil {
		return err
	}
	h.addFlash(c, "success", i18n.Tc(ctx, "tags.customer_saved"))
	redirect(c, page)
	return nil
}

// customerListTags fills the tag filter and the tags of the customers
// shown on the customer list.
func (h *Handler) customerListTags(ctx context.Context, l *admin.CustomerList) error {
	var err error
	if l.Tags, err = h.db.Tags(ctx); err != nil {
		return err
	}
	ids := make([]int64, len(l.Customers))
	for i, cu := range l.Customers {
		ids[i] = cu.ID
	}
	l.CustomerTags, err = h.db.CustomersTags(ctx, ids)
	return err
}
