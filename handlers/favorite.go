package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/themes"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// Favourites (收藏) and browsing history (浏览记录) of signed-in customers.
// The product page is cached for visitors, so the heart's state is a
// fragment of its own (favoriteState), never part of the page.

const (
	favoritesPath = "/me/favorites"
	historyPath   = "/me/history"
	savedPerPage  = 20
)

// favoriteRoutes registers the heart's fragment and toggle and the two
// member pages. All of it is personal and never cached.
func (h *Handler) favoriteRoutes(r *gin.Engine) {
	r.GET(themes.FavoriteStateURL, noStore, h.wrap(h.favoriteState))
	r.POST(themes.FavoriteToggleURL, noStore, h.wrap(h.favoriteToggle))
	fav := r.Group(favoritesPath, h.requireCustomer)
	fav.GET("", h.wrap(h.favoritesPage))
	fav.POST("/remove", h.wrap(h.favoritesRemove))
	hist := r.Group(historyPath, h.requireCustomer)
	hist.GET("", h.wrap(h.historyPage))
	hist.POST("/clear", h.wrap(h.historyClear))
}

// productParam reads the product id from the query or the form.
func productParam(c *gin.Context) (int64, error) {
	v := c.Query("product")
	if c.Request.Method == http.MethodPost {
		v = c.PostForm("product")
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("favorite product: %w", ErrBadRequest)
	}
	return id, nil
}

// favoriteButton is the heart of product for the request's shopper.
func (h *Handler) favoriteButton(c *gin.Context, product int64) (themes.FavoriteButton, error) {
	b := themes.FavoriteButton{ProductID: product, LoginURL: withNext("/login", productURL(product))}
	cu, err := h.loadCustomer(c)
	if err != nil || cu == nil {
		return b, err
	}
	b.SignedIn = true
	b.On, err = h.db.IsFavorite(c.Request.Context(), cu.ID, product)
	return b, err
}

// favoriteState answers the heart the cached product page loads.
func (h *Handler) favoriteState(c *gin.Context) error {
	id, err := productParam(c)
	if err != nil {
		return err
	}
	b, err := h.favoriteButton(c, id)
	if err != nil {
		return err
	}
	h.render(c, http.StatusOK, h.themes.Theme().FavoriteButton(b))
	return nil
}

// favoriteToggle favourites or unfavourites the posted product. A visitor
// is sent to sign in and back to the product; a customer gets the heart in
// its new state (htmx) or goes back to the product page.
func (h *Handler) favoriteToggle(c *gin.Context) error {
	id, err := productParam(c)
	if err != nil {
		return err
	}
	cu, err := h.loadCustomer(c)
	if err != nil {
		return err
	}
	if cu == nil {
		redirect(c, withNext("/login", productURL(id)))
		return nil
	}
	on, err := h.db.ToggleFavorite(c.Request.Context(), cu.ID, id)
	if err != nil {
		return err // a deleted product is ErrNotFound: the friendly 404
	}
	if !isHTMX(c) {
		redirect(c, productURL(id))
		return nil
	}
	b := themes.FavoriteButton{ProductID: id, SignedIn: true, On: on}
	h.render(c, http.StatusOK, h.themes.Theme().FavoriteButton(b))
	return nil
}

// savedPage reads ?page= (1 when missing or bad) and returns the offset.
func savedPage(c *gin.Context) (page, offset int) {
	page = 1
	if p, err := strconv.Atoi(c.Query("page")); err == nil && p > 1 {
		page = p
	}
	return page, (page - 1) * savedPerPage
}

// pageLinks are the previous and next page of path around page.
func pageLinks(path string, page, total int) (prev, next string) {
	link := func(p int) string {
		if p == 1 {
			return path
		}
		return withQuery(path, url.Values{"page": {strconv.Itoa(p)}})
	}
	if page > 1 {
		prev = link(page - 1)
	}
	if page*savedPerPage < total {
		next = link(page + 1)
	}
	return prev, next
}

// savedCards turns saved products into the theme's cards.
func savedCards(items []store.SavedProduct) []themes.SavedCard {
	out := make([]themes.SavedCard, len(items))
	for i, it := range items {
		out[i] = themes.SavedCard{
			Card: themes.ProductCard{
				ID: it.ProductID, URL: productURL(it.ProductID), Title: it.Title, Subtitle: it.Subtitle,
				Image: it.Cover, Price: it.Price, ListPrice: it.ListPrice, Sales: it.Sales,
				SoldOut: it.OnShelf && it.Stock <= 0,
			},
			OffShelf: !it.OnShelf,
		}
	}
	return out
}

// favoritesPage is the customer's favourites.
func (h *Handler) favoritesPage(c *gin.Context) error {
	cu := currentCustomer(c)
	page, offset := savedPage(c)
	items, total, err := h.db.Favorites(c.Request.Context(), cu.ID, offset, savedPerPage)
	if err != nil {
		return err
	}
	shell, err := h.accountShell(c, "favorite.title", "")
	if err != nil {
		return err
	}
	vm := themes.FavoritesPage{
		Page: shell, BackURL: "/me", Notice: h.takeNotice(c), Cards: savedCards(items), Total: total,
		RemoveURL: favoritesPath + "/remove", ShopURL: "/",
	}
	vm.Prev, vm.Next = pageLinks(favoritesPath, page, total)
	h.render(c, http.StatusOK, h.themes.Theme().Favorites(vm))
	return nil
}

// favoritesRemove removes the posted products (product, repeatable).
func (h *Handler) favoritesRemove(c *gin.Context) error {
	vals := c.PostFormArray("product")
	if len(vals) == 0 || len(vals) > savedPerPage {
		return fmt.Errorf("remove favorites: %w", ErrBadRequest)
	}
	ids := make([]int64, 0, len(vals))
	for _, v := range vals {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return fmt.Errorf("remove favorites: %w", ErrBadRequest)
		}
		ids = append(ids, id)
	}
	if err := h.db.RemoveFavorites(c.Request.Context(), currentCustomer(c).ID, ids); err != nil {
		return err
	}
	if err := h.setNotice(c, i18n.Tc(c.Request.Context(), "favorite.removed")); err != nil {
		return fmt.Errorf("remove favorites: %w", err)
	}
	redirect(c, favoritesPath)
	return nil
}

// historyPage is the customer's browsing history, most recent first.
func (h *Handler) historyPage(c *gin.Context) error {
	cu := currentCustomer(c)
	page, offset := savedPage(c)
	items, total, err := h.db.History(c.Request.Context(), cu.ID, offset, savedPerPage)
	if err != nil {
		return err
	}
	shell, err := h.accountShell(c, "history.title", "")
	if err != nil {
		return err
	}
	vm := themes.HistoryPage{
		Page: shell, BackURL: "/me", Notice: h.takeNotice(c), Cards: savedCards(items), Total: total,
		ClearURL: historyPath + "/clear", ShopURL: "/",
	}
	vm.Prev, vm.Next = pageLinks(historyPath, page, total)
	h.render(c, http.StatusOK, h.themes.Theme().History(vm))
	return nil
}

// historyClear empties the customer's browsing history (清空).
func (h *Handler) historyClear(c *gin.Context) error {
	if err := h.db.ClearHistory(c.Request.Context(), currentCustomer(c).ID); err != nil {
		return err
	}
	if err := h.setNotice(c, i18n.Tc(c.Request.Context(), "history.cleared")); err != nil {
		return fmt.Errorf("clear history: %w", err)
	}
	redirect(c, historyPath)
	return nil
}

// recordView adds the product to the browsing history of the customer
// signed in on this request; visitors leave no trace. A failure is logged:
// the product page matters more than the history.
func (h *Handler) recordView(c *gin.Context, product int64) {
	cu, err := h.loadCustomer(c)
	if err != nil {
		h.log.Warn("record view: load customer", "product", product, "err", err)
		return
	}
	if cu == nil {
		return
	}
	if err := h.db.RecordView(c.Request.Context(), cu.ID, product); err != nil {
		h.log.Warn("record view", "customer", cu.ID, "product", product, "err", err)
	}
}
