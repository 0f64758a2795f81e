package handlers

import (
	"cmp"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/themes"
	"github.com/xiaodian/xiaodian/views"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// shopProduct is the product page. The spec choice comes from ?s0=&s1=...
// (one value per spec dimension), so picking values works without
// JavaScript; an off-shelf or deleted product gets the theme's 404 page.
func (h *Handler) shopProduct(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := h.shelfProduct(c)
	if errors.Is(err, store.ErrNotFound) {
		return h.shopNotFound(c, i18n.Tc(ctx, "product.off_shelf_hint"))
	}
	if err != nil {
		return err
	}
	page, err := h.shopPage(c, p.Title, "")
	if err != nil {
		return err
	}
	page.Description = p.Subtitle
	page.Share = themes.ShareCard{Title: p.Title, Description: cmp.Or(p.Subtitle, page.ShopName)}
	if p.Cover != "" {
		page.Share.Image = h.absURL(c, views.ImageURL(p.Cover, 375))
	}
	page.Header.Hidden = true
	page.TabBar = themes.TabBar{}
	ev, err := h.plugins.ViewProduct(c.Request.Context(), p.ID)
	if err != nil {
		// A plugin's badge is not worth a broken product page.
		h.log.Warn("product view hook failed", "product", p.ID, "err", err)
	}
	h.recordView(c, p.ID)
	sel, chosen := specChoice(c, p)
	panel := skuPanel(p, sel)
	panel.Open = chosen
	images := p.Images
	if len(images) == 0 && p.Cover != "" {
		images = []string{p.Cover}
	}
	vm := themes.ProductPage{
		Page:        page,
		ID:          p.ID,
		Title:       p.Title,
		Subtitle:    p.Subtitle,
		Category:    themes.CategoryLink{ID: p.CategoryID, Name: p.CategoryName, URL: categoryURL(p.CategoryID)},
		Brand:       p.BrandName,
		Gallery:     themes.ProductGallery{Title: p.Title, Images: images},
		Price:       panel.Price,
		Sales:       p.Sales,
		Tags:        p.Tags,
		Badges:      ev.Badges,
		Blocks:      ev.Blocks,
		SKU:         panel,
		Description: p.Description,
		HomeURL:     "/",
	}
	h.render(c, http.StatusOK, h.themes.Theme().Product(vm))
	return nil
}

// shopSKUPanel answers a spec choice made with htmx with the SKU panel
// fragment; a plain request is sent to the product page with that choice.
func (h *Handler) shopSKUPanel(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := h.shelfProduct(c)
	if errors.Is(err, store.ErrNotFound) {
		return h.shopNotFound(c, i18n.Tc(ctx, "product.off_shelf_hint"))
	}
	if err != nil {
		return err
	}
	sel, _ := specChoice(c, p)
	panel := skuPanel(p, sel)
	if !isHTMX(c) {
		c.Redirect(http.StatusSeeOther, panel.URL)
		return nil
	}
	h.render(c, http.StatusOK, h.themes.Theme().SKUPanel(panel))
	return nil
}

// shelfProduct loads the product of the route, or ErrNotFound when it does
// not exist, is deleted or is off shelf.
func (h *Handler) shelfProduct(c *gin.Context) (*store.Product, error) {
	id, ok := shopID(c)
	if !ok {
		return nil, store.ErrNotFound
	}
	p, err := h.db.ProductByID(c.Request.Context(), id)
	if err != nil {
		return nil, err
	}
	if !p.OnShelf {
		return nil, store.ErrNotFound
	}
	return p, nil
}

// specChoice reads ?s0=&s1=... into one value per spec dimension ("" = not
// chosen); a value the product does not have is ignored. chosen reports
// whether any s parameter was given.
func specChoice(c *gin.Context, p *store.Product) (sel []string, chosen bool) {
	sel = make([]string, len(p.Specs))
	for i, s := range p.Specs {
		v, ok := c.GetQuery("s" + strconv.Itoa(i))
		if ok {
			chosen = true
		}
		if slices.Contains(s.Values, v) {
			sel[i] = v
		}
	}
	return sel, chosen
}

// skuPanel builds the SKU picker for the choice sel. A value is disabled
// when no SKU in stock has it together with the values chosen in the other
// dimensions; the price and stock are those of the SKUs that still match.
func skuPanel(p *store.Product, sel []string) themes.SKUPanel {
	panel := themes.SKUPanel{ProductID: p.ID, Title: p.Title, Image: p.Cover, Selected: sel, URL: choiceURL(productURL(p.ID), sel)}
	matches := func(s store.SKU, skip int) bool {
		for j, v := range sel {
			if j != skip && v != "" && (j >= len(s.Values) || s.Values[j] != v) {
				return false
			}
		}
		return true
	}
	for i, spec := range p.Specs {
		g := themes.SpecGroup{Name: spec.Name}
		for _, v := range spec.Values {
			available := false
			for _, s := range p.SKUs {
				if s.Stock > 0 && i < len(s.Values) && s.Values[i] == v && matches(s, i) {
					available = true
					break
				}
			}
			next := slices.Clone(sel)
			if sel[i] == v {
				next[i] = ""
			} else {
				next[i] = v
			}
			g.Options = append(g.Options, themes.SpecOption{
				Value: v, Selected: sel[i] == v, Disabled: !available,
				URL:         choiceURL(productURL(p.ID), next),
				FragmentURL: choiceURL(productURL(p.ID)+"/sku", next),
			})
		}
		panel.Specs = append(panel.Specs, g)
		if sel[i] == "" {
			panel.Missing = append(panel.Missing, spec.Name)
		}
	}

	var cheapest *store.SKU
	for i := range p.SKUs {
		s := &p.SKUs[i]
		if !matches(*s, -1) {
			continue
		}
		panel.Stock += s.Stock
		if s.Image != "" && panel.Image == p.Cover && slices.ContainsFunc(sel, func(v string) bool { return v != "" }) {
			panel.Image = s.Image // e.g. the picture of the colour chosen so far
		}
		if cheapest == nil || s.Price < cheapest.Price {
			cheapest = s
		}
		panel.Price.PriceMax = max(panel.Price.PriceMax, s.Price)
	}
	if cheapest == nil {
		// The choice matches no SKU: show the product's own range.
		panel.Price = themes.PriceBlock{Price: p.Price, PriceMax: p.PriceMax, ListPrice: p.ListPrice}
		panel.Stock = p.Stock
	} else {
		panel.Price.Price, panel.Price.ListPrice = cheapest.Price, cheapest.ListPrice
	}
	if len(panel.Missing) == 0 {
		if s, ok := p.SKUByValues(sel); ok {
			panel.SKUID, panel.Label, panel.Stock = s.ID, s.Label(), s.Stock
			panel.Price = themes.PriceBlock{Price: s.Price, ListPrice: s.ListPrice}
			if s.Image != "" {
				panel.Image = s.Image
			}
		}
	}
	panel.SoldOut = panel.Stock <= 0
	return panel
}

// choiceURL is path with the chosen values as s0, s1...
func choiceURL(path string, sel []string) string {
	q := url.Values{}
	for i, v := range sel {
		if v != "" {
			q.Set("s"+strconv.Itoa(i), v)
		}
	}
	return withQuery(path, q)
}
