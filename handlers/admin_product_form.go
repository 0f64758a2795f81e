package handlers

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views/admin"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// maxDescriptionBytes bounds a product description after sanitising.
const maxDescriptionBytes = 200_000

// adminProductNew shows an empty product form.
func (h *Handler) adminProductNew(c *gin.Context) error {
	f := admin.ProductForm{
		CategoryID: formID(c.Query("category")),
		OnShelf:    true,
		SKUs:       []admin.SKURow{{Values: []string{}}},
	}
	return h.renderProductForm(c, http.StatusOK, f)
}

// adminProductEdit shows the form of a stored product.
func (h *Handler) adminProductEdit(c *gin.Context) error {
	id, err := adminID(c)
	if err != nil {
		return err
	}
	p, err := h.db.ProductByID(c.Request.Context(), id)
	if err != nil {
		return err
	}
	f := admin.ProductForm{
		ID: p.ID, CategoryID: p.CategoryID, BrandID: p.BrandID, Title: p.Title, Subtitle: p.Subtitle,
		Tags: p.Tags, Sort: strconv.Itoa(p.Sort), OnShelf: p.OnShelf, Virtual: p.Virtual,
		Images: p.Images, Specs: store.FormatSpecs(p.Specs), SKUs: skuRowsOf(p), Description: p.Description,
		ShippingTemplateID: p.ShippingTemplateID,
	}
	f.CommissionMode, f.Commission = commissionFormOf(p)
	return h.renderProductForm(c, http.StatusOK, f)
}

// adminProductCreate handles the new product form's buttons.
func (h *Handler) adminProductCreate(c *gin.Context) error { return h.submitProductForm(c, 0) }

// adminProductUpdate handles the edit form's buttons.
func (h *Handler) adminProductUpdate(c *gin.Context) error {
	id, err := adminID(c)
	if err != nil {
		return err
	}
	if _, err := h.db.ProductByID(c.Request.Context(), id); err != nil {
		return err
	}
	return h.submitProductForm(c, id)
}

// productFormFromRequest reads the posted form as typed.
func (h *Handler) productFormFromRequest(c *gin.Context, id int64) admin.ProductForm {
	return admin.ProductForm{
		ID:          id,
		CategoryID:  formID(c.PostForm("category_id")),
		BrandID:     formID(c.PostForm("brand_id")),
		Title:       c.PostForm("title"),
		Subtitle:    c.PostForm("subtitle"),
		Tags:        c.PostFormArray("tags"),
		Sort:        strings.TrimSpace(c.PostForm("sort")),
		OnShelf:     c.PostForm("on_shelf") == "1",
		Virtual:     c.PostForm("virtual") == "1",
		Images:      h.cleanImageKeys(c.PostFormArray("images")),
		Specs:       c.PostForm("specs"),
		SKUs:        parseSKURows(c.Request.PostForm),
		Description: c.PostForm("description"),

		ShippingTemplateID: formID(c.PostForm("shipping_template_id")),

		CommissionMode: c.PostForm("commission_mode"),
		Commission:     [3]string{c.PostForm("commission1"), c.PostForm("commission2"), c.PostForm("commission3")},
	}
}

// submitProductForm applies the button that submitted the product form:
// a gallery button or "upload" (JavaScript off) or "build SKU table"
// re-render the form with the change; "save" validates and stores it.
func (h *Handler) submitProductForm(c *gin.Context, id int64) error {
	ctx := c.Request.Context()
	if err := h.parseAdminForm(c); err != nil {
		return h.formUnreadable(c, err)
	}
	f := h.productFormFromRequest(c, id)
	var v store.ValidationErrors

	// Files chosen without JavaScript arrive with whichever button was pressed.
	keys, err := h.saveUploads(c, "images", len(f.Images))
	if err != nil && !addValidation(&v, err) {
		return err
	}
	f.Images = dedupe(append(f.Images, keys...))

	if op := c.PostForm("gallery_op"); op != "" {
		f.Images = applyGalleryOp(f.Images, op)
		return h.renderProductForm(c, statusFor(v), withErrors(ctx, f, v))
	}
	switch c.PostForm("action") {
	case "upload":
		return h.renderProductForm(c, statusFor(v), withErrors(ctx, f, v))
	case "regen":
		specs, err := store.ParseSpecs(f.Specs)
		if err != nil {
			addValidation(&v, err)
		} else {
			f.SKUs, _ = alignSKURows(specs, f.SKUs)
		}
		return h.renderProductForm(c, statusFor(v), withErrors(ctx, f, v))
	}

	in, f := h.productInput(f, &v)
	if len(v) > 0 {
		return h.renderProductForm(c, http.StatusUnprocessableEntity, withErrors(ctx, f, v))
	}
	created := id == 0
	if created {
		id, err = h.db.CreateProduct(ctx, in)
	} else {
		err = h.db.UpdateProduct(ctx, id, in)
	}
	if addValidation(&v, err) {
		return h.renderProductForm(c, http.StatusUnprocessableEntity, withErrors(ctx, f, v))
	}
	if err != nil {
		return err
	}
	if err := h.plugins.ProductSaved.Trigger(&plugins.ProductSavedEvent{ProductID: id, Created: created}); err != nil {
		// The product is saved; a plugin's failure after the commit is only logged.
		h.log.Error("product saved hook", "err", err, "product_id", id)
	}
	key := "product.saved"
	if created {
		key = "product.created"
	}
	h.addFlash(c, "success", i18n.Tc(ctx, key))
	redirect(c, "/admin/products")
	return nil
}

// productInput turns the form into store input, adding to v every problem
// found: the form's own (money format, integers, spec lines, a SKU table
// that no longer matches the specs, which is then rebuilt) and, when there
// are any, the store's checks too, so all messages show at once. It returns
// the form as it should be shown again.
func (h *Handler) productInput(f admin.ProductForm, v *store.ValidationErrors) (store.ProductInput, admin.ProductForm) {
	in := store.ProductInput{
		CategoryID: f.CategoryID, BrandID: f.BrandID, Title: f.Title, Subtitle: f.Subtitle,
		Images: f.Images, Tags: f.Tags, OnShelf: f.OnShelf, Virtual: f.Virtual,
		Sort: formInt(f.Sort, "sort", v), ShippingTemplateID: f.ShippingTemplateID,
	}
	in.CommissionMode, in.Commission = commissionInput(f.CommissionMode, f.Commission, v)
	in.Description = sanitizeDescription(f.Description)
	if len(in.Description) > maxDescriptionBytes {
		v.Add("description", "validation.too_long")
	}
	skusOK := false
	specs, err := store.ParseSpecs(f.Specs)
	if err != nil {
		addValidation(v, err)
	} else {
		in.Specs = specs
		var exact bool
		f.SKUs, exact = alignSKURows(specs, f.SKUs)
		if !exact {
			v.Add("skus", "admin.sku_table_rebuilt")
		} else {
			var sv store.ValidationErrors
			in.SKUs, sv = skuInputs(f.SKUs, f.Images)
			*v = append(*v, sv...)
			skusOK = len(sv) == 0
		}
	}
	if len(*v) > 0 {
		check := in
		if !skusOK {
			// Stand-in SKUs keep the store from repeating the table's errors.
			check.Specs, check.SKUs = nil, []store.SKUInput{{Price: 1}}
		}
		if err := check.Validate(); err != nil {
			addValidation(v, err)
		}
	}
	return in, f
}

// statusFor is 422 when the form has errors, else 200.
func statusFor(v store.ValidationErrors) int {
	if len(v) > 0 {
		return http.StatusUnprocessableEntity
	}
	return http.StatusOK
}

// withErrors attaches the translated messages of v to the form.
func withErrors(ctx context.Context, f admin.ProductForm, v store.ValidationErrors) admin.ProductForm {
	f.Errors = formErrors(ctx, v)
	return f
}

// renderProductForm loads the category and brand choices and renders f.
func (h *Handler) renderProductForm(c *gin.Context, status int, f admin.ProductForm) error {
	ctx := c.Request.Context()
	var err error
	if f.Categories, err = h.db.Categories(ctx, true); err != nil {
		return err
	}
	if f.Brands, err = h.db.Brands(ctx); err != nil {
		return err
	}
	if f.ShippingTemplates, err = h.db.ShippingTemplates(ctx); err != nil {
		return err
	}
	h.render(c, status, admin.ProductFormPage(f))
	return nil
}

// adminSKUTable rebuilds the SKU table from the posted specs for htmx,
// keeping what was typed for the combinations that remain.
func (h *Handler) adminSKUTable(c *gin.Context) error {
	ctx := c.Request.Context()
	if err := h.parseAdminForm(c); err != nil {
		return h.formUnreadable(c, err)
	}
	f := admin.ProductForm{
		Specs:  c.PostForm("specs"),
		Images: h.cleanImageKeys(c.PostFormArray("images")),
		SKUs:   parseSKURows(c.Request.PostForm),
	}
	specs, err := store.ParseSpecs(f.Specs)
	var v store.ValidationErrors
	if err != nil {
		if !addValidation(&v, err) {
			return err
		}
	} else {
		f.SKUs, _ = alignSKURows(specs, f.SKUs)
	}
	h.render(c, statusFor(v), admin.SKUEditor(withErrors(ctx, f, v)))
	return nil
}
