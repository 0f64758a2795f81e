package handlers

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/themes"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// Product list limits of the storefront.
const (
	shopPageSize  = 20
	shopMaxPage   = 100 // deeper pages are refused: nobody scrolls 2,000 products
	maxQueryRunes = 50
)

// listQuery is the query string of a product list page: what to search,
// filter and sort, and which page. Filters the shopper typed are kept as
// typed so the form shows them again.
type listQuery struct {
	q     string
	tag   string
	sort  string
	brand int64
	min   string
	max   string
	page  int
}

var listSorts = []string{store.SortDefault, store.SortSales, store.SortPriceAsc, store.SortPriceDesc, store.SortNewest}

func parseListQuery(c *gin.Context) listQuery {
	lq := listQuery{
		q:    strings.TrimSpace(c.Query("q")),
		tag:  c.Query("tag"),
		sort: c.Query("sort"),
		min:  strings.TrimSpace(c.Query("min")),
		max:  strings.TrimSpace(c.Query("max")),
		page: 1,
	}
	if utf8.RuneCountInString(lq.q) > maxQueryRunes {
		lq.q = string([]rune(lq.q)[:maxQueryRunes])
	}
	if !slices.Contains(store.Tags, lq.tag) {
		lq.tag = ""
	}
	if !slices.Contains(listSorts, lq.sort) {
		lq.sort = store.SortDefault
	}
	if b, err := strconv.ParseInt(c.Query("brand"), 10, 64); err == nil && b > 0 {
		lq.brand = b
	}
	if p, err := strconv.Atoi(c.Query("page")); err == nil && p > 1 {
		lq.page = min(p, shopMaxPage)
	}
	for _, s := range []*string{&lq.min, &lq.max} {
		if utf8.RuneCountInString(*s) > 20 {
			*s = string([]rune(*s)[:20])
		}
	}
	return lq
}

// url is the list at path with this query; page 1 is left out.
func (lq listQuery) url(path string) string {
	q := url.Values{"q": {lq.q}, "tag": {lq.tag}, "sort": {lq.sort}, "min": {lq.min}, "max": {lq.max}}
	if lq.brand > 0 {
		q.Set("brand", strconv.FormatInt(lq.brand, 10))
	}
	if lq.page > 1 {
		q.Set("page", strconv.Itoa(lq.page))
	}
	return withQuery(path, q)
}

// filter turns the query into a store filter. A price the shopper typed
// that cannot be read is left out, with a message saying so.
func (lq listQuery) filter(ctx context.Context) (store.ProductFilter, string) {
	f := store.ProductFilter{
		Shelf: "on", Query: lq.q, Tag: lq.tag, Sort: lq.sort, BrandID: lq.brand,
		Offset: (lq.page - 1) * shopPageSize, Limit: shopPageSize,
	}
	var lo, hi store.Fen
	var err error
	if lq.min != "" {
		if lo, err = store.ParseFen(lq.min); err != nil {
			return f, i18n.Tc(ctx, "shop.price_invalid")
		}
	}
	if lq.max != "" {
		if hi, err = store.ParseFen(lq.max); err != nil {
			return f, i18n.Tc(ctx, "shop.price_invalid")
		}
	}
	if lo > 0 && hi > 0 && lo > hi {
		return f, i18n.Tc(ctx, "validation.price_range")
	}
	f.MinPrice, f.MaxPrice = lo, hi
	return f, ""
}

// productList runs f and builds one page of the list at path.
func (h *Handler) productList(ctx context.Context, path string, lq listQuery, f store.ProductFilter, empty string) (themes.ProductList, error) {
	items, total, err := h.db.Products(ctx, f)
	if err != nil {
		return themes.ProductList{}, err
	}
	l := themes.ProductList{Cards: productCards(items), Total: total, Page: lq.page, Empty: empty}
	if lq.page*shopPageSize < total && lq.page < shopMaxPage {
		next := lq
		next.page++
		l.Next = next.url(path)
	}
	if lq.page > 1 {
		prev := lq
		prev.page--
		l.Prev = prev.url(path)
	}
	return l, nil
}

// listFilters builds the sort tabs and the filter panel of the list at path.
func listFilters(path string, lq listQuery, brands []store.Brand, priceErr string) themes.ListFilters {
	base := lq
	base.page = 1
	with := func(sort string) string {
		q := base
		q.sort = sort
		return q.url(path)
	}
	price := themes.SortTab{ID: themes.SortTabPrice, URL: with(store.SortPriceAsc)}
	switch lq.sort {
	case store.SortPriceAsc:
		price = themes.SortTab{ID: themes.SortTabPrice, URL: with(store.SortPriceDesc), Active: true, Dir: "asc"}
	case store.SortPriceDesc:
		price = themes.SortTab{ID: themes.SortTabPrice, URL: with(store.SortPriceAsc), Active: true, Dir: "desc"}
	}
	f := themes.ListFilters{
		Action: path,
		Sorts: []themes.SortTab{
			{ID: themes.SortTabDefault, URL: with(store.SortDefault), Active: lq.sort == store.SortDefault},
			{ID: themes.SortTabSales, URL: with(store.SortSales), Active: lq.sort == store.SortSales},
			price,
			{ID: themes.SortTabNewest, URL: with(store.SortNewest), Active: lq.sort == store.SortNewest},
		},
		MinPrice: lq.min,
		MaxPrice: lq.max,
		Error:    priceErr,
		Active:   lq.brand > 0 || lq.min != "" || lq.max != "",
	}
	for _, kv := range [][2]string{{"q", lq.q}, {"tag", lq.tag}, {"sort", lq.sort}} {
		if kv[1] != "" {
			f.Hidden = append(f.Hidden, themes.HiddenField{Name: kv[0], Value: kv[1]})
		}
	}
	for _, b := range brands {
		if b.Products > 0 || b.ID == lq.brand {
			f.Brands = append(f.Brands, themes.BrandOption{ID: b.ID, Name: b.Name, Selected: b.ID == lq.brand})
		}
	}
	reset := listQuery{q: lq.q, tag: lq.tag, sort: lq.sort, page: 1}
	f.ResetURL = reset.url(path)
	return f
}

// shopCategory is a category's product list with sort, brand and price
// filters and "load more". An htmx request gets only the next cards.
func (h *Handler) shopCategory(c *gin.Context) error {
	ctx := c.Request.Context()
	id, ok := shopID(c)
	if !ok {
		return h.shopNotFound(c, i18n.Tc(ctx, "shop.category_gone"))
	}
	lq := parseListQuery(c)
	lq.q, lq.tag = "", ""
	path := c.Request.URL.Path
	f, priceErr := lq.filter(ctx)
	f.CategoryID = id
	if isHTMX(c) {
		l, err := h.productList(ctx, path, lq, f, "")
		if err != nil {
			return err
		}
		h.render(c, http.StatusOK, h.themes.Theme().ProductList(l))
		return nil
	}
	tree, err := h.db.Categories(ctx, false)
	if err != nil {
		return err
	}
	cat, top, found := findCategory(tree, id)
	if !found {
		return h.shopNotFound(c, i18n.Tc(ctx, "shop.category_gone"))
	}
	page, err := h.shopPage(c, cat.Name, themes.TabCategory)
	if err != nil {
		return err
	}
	page.Header.BackURL = "/c?top=" + strconv.FormatInt(top.ID, 10)
	brands, err := h.db.Brands(ctx)
	if err != nil {
		return err
	}
	l, err := h.productList(ctx, path, lq, f, i18n.Tc(ctx, "category.empty"))
	if err != nil {
		return err
	}
	vm := themes.CategoryPage{
		Page:     page,
		Category: themes.CategoryLink{ID: cat.ID, Name: cat.Name, Icon: cat.Icon, URL: categoryURL(cat.ID)},
		Filters:  listFilters(path, lq, brands, priceErr),
		List:     l,
	}
	if len(top.Children) > 0 {
		vm.Children = append(vm.Children, themes.CategoryLink{ID: top.ID, Name: i18n.Tc(ctx, "common.all"), URL: categoryURL(top.ID), Active: top.ID == id})
		for _, ch := range top.Children {
			vm.Children = append(vm.Children, themes.CategoryLink{ID: ch.ID, Name: ch.Name, Icon: ch.Icon, URL: categoryURL(ch.ID), Active: ch.ID == id})
		}
	}
	h.render(c, http.StatusOK, h.themes.Theme().Category(vm))
	return nil
}

// findCategory finds id among the visible categories and returns it with its
// top-level category (itself when it is one).
func findCategory(tree []store.Category, id int64) (cat, top store.Category, ok bool) {
	for _, t := range tree {
		if t.ID == id {
			return t, t, true
		}
		for _, ch := range t.Children {
			if ch.ID == id {
				return ch, t, true
			}
		}
	}
	return store.Category{}, store.Category{}, false
}

// shopSearch finds products whose title or subtitle contains the words
// (Chinese substrings match), with the same filters as a category; ?tag=
// lists the new, hot or recommended products.
func (h *Handler) shopSearch(c *gin.Context) error {
	ctx := c.Request.Context()
	lq := parseListQuery(c)
	path := c.Request.URL.Path
	f, priceErr := lq.filter(ctx)
	if isHTMX(c) {
		l, err := h.productList(ctx, path, lq, f, "")
		if err != nil {
			return err
		}
		h.render(c, http.StatusOK, h.themes.Theme().ProductList(l))
		return nil
	}
	heading := ""
	switch {
	case lq.q != "":
		heading = i18n.Tc(ctx, "search.results_for", "keyword", lq.q)
	case lq.tag != "":
		heading = i18n.Tc(ctx, "product.tag."+lq.tag)
	}
	title := heading
	if title == "" {
		title = i18n.Tc(ctx, "search.results")
	}
	page, err := h.shopPage(c, title, "")
	if err != nil {
		return err
	}
	page.Header.BackURL = "/"
	page.Header.Query = lq.q
	vm := themes.SearchPage{Page: page, Query: lq.q, Heading: heading}
	if heading == "" {
		vm.Hint = i18n.Tc(ctx, "shop.search_hint")
		h.render(c, http.StatusOK, h.themes.Theme().Search(vm))
		return nil
	}
	brands, err := h.db.Brands(ctx)
	if err != nil {
		return err
	}
	if vm.List, err = h.productList(ctx, path, lq, f, i18n.Tc(ctx, "search.no_results")); err != nil {
		return err
	}
	vm.Filters = listFilters(path, lq, brands, priceErr)
	h.render(c, http.StatusOK, h.themes.Theme().Search(vm))
	return nil
}
