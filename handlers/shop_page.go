package handlers

import (
	"context"
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/themes"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// shopNameSetting is the settings key of the shop's name.
const shopNameSetting = "shop.name"

// shopPage builds the page shell of a storefront page: title, search
// header, tab bar with tab active, and the footer's language links.
func (h *Handler) shopPage(c *gin.Context, title, tab string) (themes.Page, error) {
	ctx := c.Request.Context()
	name, err := h.shopName(ctx)
	if err != nil {
		return themes.Page{}, err
	}
	return themes.Page{
		Title:    title,
		ShopName: name,
		Header:   themes.Header{ShopName: name, SearchURL: "/search"},
		TabBar:   shopTabs(tab),
		Footer:   themes.Footer{ShopName: name, Langs: langLinks(c)},
	}, nil
}

// shopName is the name the owner gave the shop, or the default one.
func (h *Handler) shopName(ctx context.Context) (string, error) {
	name, err := h.db.Setting(ctx, shopNameSetting, "")
	if err != nil {
		return "", err
	}
	if name == "" {
		name = i18n.Tc(ctx, "shop.default_name")
	}
	return name, nil
}

// shopTabs is the bottom tab bar. The cart's count is personal, so it is
// not part of the tab bar: the theme loads it from themes.CartBadgeURL.
func shopTabs(active string) themes.TabBar {
	items := []themes.TabItem{
		{ID: themes.TabHome, URL: "/"},
		{ID: themes.TabCategory, URL: "/c"},
		{ID: themes.TabCart, URL: cartPath},
		{ID: themes.TabMe, URL: "/me"},
	}
	for i := range items {
		items[i].Active = items[i].ID == active
	}
	return themes.TabBar{Items: items}
}

// langLinks are the current page in each language.
func langLinks(c *gin.Context) []themes.LangLink {
	cur := i18n.FromContext(c.Request.Context())
	var out []themes.LangLink
	for _, l := range i18n.Locales() {
		q := c.Request.URL.Query()
		q.Set("lang", string(l))
		out = append(out, themes.LangLink{Name: l.Name(), URL: c.Request.URL.Path + "?" + q.Encode(), Current: l == cur})
	}
	return out
}

// productCard is the list view of a product.
func productCard(p store.Product) themes.ProductCard {
	return themes.ProductCard{
		ID:        p.ID,
		URL:       productURL(p.ID),
		Title:     p.Title,
		Subtitle:  p.Subtitle,
		Image:     p.Cover,
		Price:     p.Price,
		ListPrice: p.ListPrice,
		Sales:     p.Sales,
		Tags:      p.Tags,
		SoldOut:   p.Stock <= 0,
	}
}

func productCards(ps []store.Product) []themes.ProductCard {
	out := make([]themes.ProductCard, len(ps))
	for i, p := range ps {
		out[i] = productCard(p)
	}
	return out
}

func productURL(id int64) string  { return "/p/" + strconv.FormatInt(id, 10) }
func categoryURL(id int64) string { return "/c/" + strconv.FormatInt(id, 10) }

// withQuery is path with the non-empty values of q as its query string.
func withQuery(path string, q url.Values) string {
	for k, v := range q {
		if len(v) == 0 || v[0] == "" {
			delete(q, k)
		}
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// shopNotFound renders the theme's friendly 404 page with hint.
func (h *Handler) shopNotFound(c *gin.Context, hint string) error {
	ctx := c.Request.Context()
	msg := i18n.Tc(ctx, "error.not_found")
	page, err := h.shopPage(c, msg, "")
	if err != nil {
		return err
	}
	h.render(c, 404, h.themes.Theme().NotFound(themes.NotFoundPage{Page: page, Message: msg, Hint: hint, HomeURL: "/"}))
	return nil
}

// shopID reads a positive numeric id from the route.
func shopID(c *gin.Context) (int64, bool) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	return id, err == nil && id > 0
}
