package handlers

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/themes"
	"github.com/xiaodian/xiaodian/views"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// Sizes of the home page's blocks.
const (
	homeNavIcons = 10 // category icons, five to a row
	homeNewItems = 10 // the 新品 strip
	homeHotItems = 6  // the 热销 grid
)

// shopHome is the home page: banners, category icons, then the 新品, 热销
// and 推荐 product blocks. Uncached it costs the banners, the category tree
// and three product lists.
func (h *Handler) shopHome(c *gin.Context) error {
	ctx := c.Request.Context()
	page, err := h.shopPage(c, "", themes.TabHome)
	if err != nil {
		return err
	}
	banners, err := h.db.Banners(ctx, false)
	if err != nil {
		return err
	}
	cats, err := h.db.Categories(ctx, false)
	if err != nil {
		return err
	}
	newest, _, err := h.db.Products(ctx, store.ProductFilter{Shelf: "on", Tag: store.TagNew, Sort: store.SortNewest, Limit: homeNewItems})
	if err != nil {
		return err
	}
	hot, _, err := h.db.Products(ctx, store.ProductFilter{Shelf: "on", Tag: store.TagHot, Sort: store.SortSales, Limit: homeHotItems})
	if err != nil {
		return err
	}
	recommended, total, err := h.db.Products(ctx, store.ProductFilter{Shelf: "on", Tag: store.TagRecommended, Limit: shopPageSize})
	if err != nil {
		return err
	}

	if len(banners) > 0 {
		page.Share.Image = h.absURL(c, views.ImageURL(banners[0].Image, 375))
	}
	slides := make([]themes.BannerSlide, 0, len(banners))
	for _, b := range banners {
		slides = append(slides, themes.BannerSlide{Image: b.Image, Title: b.Title, URL: store.SafeLink(b.Link)})
	}
	feed := &themes.ProductGrid{
		Title: i18n.Tc(ctx, "shop.recommended"), MoreURL: "/search?tag=" + store.TagRecommended,
		Style: themes.GridTwoColumn, Cards: productCards(recommended),
	}
	if total > shopPageSize {
		feed.Next = "/search?page=2&tag=" + store.TagRecommended
	}
	vm := themes.HomePage{Page: page, Blocks: []themes.HomeBlock{
		{Kind: themes.BlockBanners, Banners: &themes.BannerCarousel{Slides: slides}},
		{Kind: themes.BlockCategoryNav, CategoryNav: &themes.CategoryNav{Items: navIcons(cats, homeNavIcons)}},
		{Kind: themes.BlockProducts, Products: &themes.ProductGrid{
			Title: i18n.Tc(ctx, "shop.new_arrivals"), MoreURL: "/search?sort=" + store.SortNewest + "&tag=" + store.TagNew,
			Style: themes.GridScroll, Cards: productCards(newest),
		}},
		{Kind: themes.BlockProducts, Products: &themes.ProductGrid{
			Title: i18n.Tc(ctx, "shop.hot"), MoreURL: "/search?sort=" + store.SortSales + "&tag=" + store.TagHot,
			Style: themes.GridTwoColumn, Cards: productCards(hot),
		}},
	}}
	if ev, err := h.plugins.ViewHome(ctx); err != nil {
		h.log.Warn("home view hook failed", "err", err) // a plugin's block is not worth a broken home page
	} else {
		// After the category icons, before the product grids: the row
		// of activity entries, then the plugins' blocks.
		var blocks []themes.HomeBlock
		if len(ev.Entries) > 0 {
			row := &themes.EntryRow{}
			for _, e := range ev.Entries {
				if u := store.SafeLink(e.URL); u != "" && e.Title != "" {
					row.Items = append(row.Items, themes.EntryItem{ID: e.ID, Title: e.Title, Hint: e.Hint, URL: u})
				}
			}
			if len(row.Items) > 0 {
				blocks = append(blocks, themes.HomeBlock{Kind: themes.BlockEntries, Entries: row})
			}
		}
		for _, b := range ev.Blocks {
			blocks = append(blocks, themes.HomeBlock{Kind: themes.BlockPlugin, Plugin: b})
		}
		vm.Blocks = slices.Insert(vm.Blocks, 2, blocks...)
	}
	vm.Blocks = append(vm.Blocks, themes.HomeBlock{Kind: themes.BlockProducts, Products: feed})
	h.render(c, http.StatusOK, h.themes.Theme().Home(vm))
	return nil
}

// navIcons picks up to n categories for the icon grid: the top-level ones
// first, then their children when there are fewer than n.
func navIcons(tree []store.Category, n int) []themes.CategoryLink {
	var out []themes.CategoryLink
	add := func(c store.Category) {
		if len(out) < n {
			out = append(out, themes.CategoryLink{ID: c.ID, Name: c.Name, Icon: c.Icon, URL: categoryURL(c.ID)})
		}
	}
	for _, c := range tree {
		add(c)
	}
	for _, c := range tree {
		for _, ch := range c.Children {
			add(ch)
		}
	}
	return out
}

// shopCategories is the category tree page: top categories on the left
// (?top= selects one, else the first), its subcategories on the right.
func (h *Handler) shopCategories(c *gin.Context) error {
	ctx := c.Request.Context()
	page, err := h.shopPage(c, i18n.Tc(ctx, "nav.category"), themes.TabCategory)
	if err != nil {
		return err
	}
	tree, err := h.db.Categories(ctx, false)
	if err != nil {
		return err
	}
	selected := 0
	if top, err := strconv.ParseInt(c.Query("top"), 10, 64); err == nil {
		for i, t := range tree {
			if t.ID == top {
				selected = i
			}
		}
	}
	vm := themes.CategoriesPage{Page: page}
	for i, t := range tree {
		vm.Tops = append(vm.Tops, themes.CategoryLink{
			ID: t.ID, Name: t.Name, Icon: t.Icon, URL: "/c?top=" + strconv.FormatInt(t.ID, 10), Active: i == selected,
		})
	}
	if len(tree) > 0 {
		t := tree[selected]
		vm.Selected = themes.CategoryNode{CategoryLink: themes.CategoryLink{ID: t.ID, Name: t.Name, Icon: t.Icon, URL: categoryURL(t.ID)}}
		for _, ch := range t.Children {
			vm.Selected.Children = append(vm.Selected.Children, themes.CategoryLink{ID: ch.ID, Name: ch.Name, Icon: ch.Icon, URL: categoryURL(ch.ID)})
		}
	}
	h.render(c, http.StatusOK, h.themes.Theme().Categories(vm))
	return nil
}
