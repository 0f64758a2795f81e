package handlers

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/gin-gonic/gin"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views/admin"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// adminShippingRoutes registers the shipping templates (运费模板) and the
// pickup stores (门店自提) of the back office.
func (h *Handler) adminShippingRoutes(g *gin.RouterGroup) {
	templates := deletable{list: "/admin/shipping", title: "shipping.delete", confirm: "admin.confirm_delete_named",
		done: "admin.deleted_named", del: h.db.DeleteShippingTemplate,
		name: func(ctx context.Context, id int64) (string, error) {
			t, err := h.db.ShippingTemplateByID(ctx, id)
			if err != nil {
				return "", err
			}
			return t.Name, nil
		}}
	g.GET("/shipping", h.wrap(h.adminShipping))
	g.GET("/shipping/new", h.wrap(h.adminShippingNew))
	g.POST("/shipping/new", h.wrap(h.adminShippingCreate))
	g.GET("/shipping/:id/edit", h.wrap(h.adminShippingEdit))
	g.POST("/shipping/:id/edit", h.wrap(h.adminShippingUpdate))
	g.POST("/shipping/:id/default", h.wrap(h.adminShippingDefault))
	g.GET("/shipping/:id/delete", h.wrap(h.confirmDelete(templates)))
	g.POST("/shipping/:id/delete", h.wrap(h.deleteItem(templates)))
	h.adminPickupRoutes(g)
}

// adminShipping lists the shipping templates.
func (h *Handler) adminShipping(c *gin.Context) error {
	ctx := c.Request.Context()
	tpls, err := h.db.ShippingTemplates(ctx)
	if err != nil {
		return err
	}
	usage, err := h.db.ShippingTemplateUsage(ctx)
	if err != nil {
		return err
	}
	h.render(c, http.StatusOK, admin.ShippingListPage(admin.ShippingList{Templates: tpls, Usage: usage}))
	return nil
}

// adminShippingNew shows the form of a new template, filled with a
// common rule (¥10 for the first piece, ¥5 for each more).
func (h *Handler) adminShippingNew(c *gin.Context) error {
	in := store.ShippingTemplateInput{Method: store.ShippingByPiece,
		Default: store.ShippingRuleInput{FirstUnits: "1", FirstFen: "10", ExtraUnits: "1", ExtraFen: "5"}}
	h.render(c, http.StatusOK, admin.ShippingFormPage(admin.ShippingForm{In: in}))
	return nil
}

// adminShippingEdit shows a stored template's form.
func (h *Handler) adminShippingEdit(c *gin.Context) error {
	id, err := adminID(c)
	if err != nil {
		return err
	}
	t, err := h.db.ShippingTemplateByID(c.Request.Context(), id)
	if err != nil {
		return err
	}
	in := store.ShippingTemplateInput{Name: t.Name, Method: t.Method, Default: shippingRuleInputOf(t.DefaultRule())}
	for _, r := range t.Rules {
		in.Rules = append(in.Rules, shippingRuleInputOf(r))
	}
	h.render(c, http.StatusOK, admin.ShippingFormPage(admin.ShippingForm{ID: id, In: in}))
	return nil
}

// shippingRuleInputOf is a stored rule as its form shows it.
func shippingRuleInputOf(r store.ShippingRule) store.ShippingRuleInput {
	in := store.ShippingRuleInput{Codes: r.Codes, NoDelivery: r.NoDelivery}
	if r.NoDelivery {
		return in
	}
	in.FirstUnits, in.ExtraUnits = strconv.Itoa(r.FirstUnits), strconv.Itoa(r.ExtraUnits)
	in.FirstFen, in.ExtraFen = r.FirstFen.String(), r.ExtraFen.String()
	if r.FreeOverFen > 0 {
		in.FreeOverFen = r.FreeOverFen.String()
	}
	if r.FreeOverPieces > 0 {
		in.FreeOverPieces = strconv.Itoa(r.FreeOverPieces)
	}
	return in
}

// adminShippingCreate handles the new template form.
func (h *Handler) adminShippingCreate(c *gin.Context) error { return h.submitShippingForm(c, 0) }

// adminShippingUpdate handles a template's edit form.
func (h *Handler) adminShippingUpdate(c *gin.Context) error {
	id, err := adminID(c)
	if err != nil {
		return err
	}
	if _, err := h.db.ShippingTemplateByID(c.Request.Context(), id); err != nil {
		return err
	}
	return h.submitShippingForm(c, id)
}

// submitShippingForm applies the button that submitted the template form:
// add_rule and remove_rule.N redraw the form with a rule more or less
// (without JavaScript too); save validates and stores it.
func (h *Handler) submitShippingForm(c *gin.Context, id int64) error {
	ctx := c.Request.Context()
	if err := h.parseAdminForm(c); err != nil {
		return h.formUnreadable(c, err)
	}
	f := admin.ShippingForm{ID: id, In: shippingInputFromRequest(c)}
	action := c.PostForm("action")
	switch {
	case action == "add_rule":
		f.In.Rules = append(f.In.Rules, store.ShippingRuleInput{FirstUnits: "1", ExtraUnits: "1"})
		h.render(c, http.StatusOK, admin.ShippingFormPage(f))
		return nil
	case strings.HasPrefix(action, "remove_rule."):
		if i, err := strconv.Atoi(strings.TrimPrefix(action, "remove_rule.")); err == nil && i >= 0 && i < len(f.In.Rules) {
			f.In.Rules = slices.Delete(f.In.Rules, i, i+1)
		}
		h.render(c, http.StatusOK, admin.ShippingFormPage(f))
		return nil
	}
	var err error
	if id == 0 {
		_, err = h.db.CreateShippingTemplate(ctx, f.In)
	} else {
		err = h.db.UpdateShippingTemplate(ctx, id, f.In)
	}
	var v store.ValidationErrors
	if addValidation(&v, err) {
		f.Errors = formErrors(ctx, v)
		h.render(c, http.StatusUnprocessableEntity, admin.ShippingFormPage(f))
		return nil
	}
	if err != nil {
		return err
	}
	h.addFlash(c, "success", i18n.Tc(ctx, "admin.saved_named", "name", strings.TrimSpace(f.In.Name)))
	redirect(c, "/admin/shipping")
	return nil
}

// shippingInputFromRequest reads the template form: the default rule's
// fields unprefixed, each region rule's under "rule.N." with N listed in
// the repeated hidden field "rule", in the order posted.
func shippingInputFromRequest(c *gin.Context) store.ShippingTemplateInput {
	in := store.ShippingTemplateInput{Name: c.PostForm("name"), Method: c.PostForm("method"), Default: shippingRuleFromRequest(c, "")}
	seen := map[string]bool{}
	for _, n := range c.PostFormArray("rule") {
		if seen[n] || len(in.Rules) > store.MaxShippingRules {
			continue
		}
		seen[n] = true
		p := "rule." + n + "."
		r := shippingRuleFromRequest(c, p)
		r.Codes = append(c.PostFormArray(p+"provinces"), regionTokens(c.PostForm(p+"codes"))...)
		r.NoDelivery = c.PostForm(p+"no_delivery") == "1"
		in.Rules = append(in.Rules, r)
	}
	return in
}

func shippingRuleFromRequest(c *gin.Context, p string) store.ShippingRuleInput {
	return store.ShippingRuleInput{
		FirstUnits: c.PostForm(p + "first_units"), FirstFen: c.PostForm(p + "first_fen"),
		ExtraUnits: c.PostForm(p + "extra_units"), ExtraFen: c.PostForm(p + "extra_fen"),
		FreeOverFen: c.PostForm(p + "free_over_fen"), FreeOverPieces: c.PostForm(p + "free_over_pieces"),
	}
}

// regionTokens reads the free regions field: codes or names separated by
// spaces, commas or 、; each becomes a code when it names one region
// (store.LookupRegion), else stays as typed for the store to refuse.
func regionTokens(s string) []string {
	var out []string
	for _, tok := range strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune(",，、;；", r)
	}) {
		code, _ := store.LookupRegion(tok)
		if !slices.Contains(out, code) {
			out = append(out, code)
		}
	}
	return out
}

// adminShippingDefault makes a template the shop's default.
func (h *Handler) adminShippingDefault(c *gin.Context) error {
	ctx := c.Request.Context()
	id, err := adminID(c)
	if err != nil {
		return err
	}
	t, err := h.db.ShippingTemplateByID(ctx, id)
	if err != nil {
		return err
	}
	if err := h.db.SetDefaultShippingTemplate(ctx, id); err != nil {
		return err
	}
	h.addFlash(c, "success", i18n.Tc(ctx, "shipping.default_set", "name", t.Name))
	redirect(c, "/admin/shipping")
	return nil
}
