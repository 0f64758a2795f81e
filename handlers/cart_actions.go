package handlers

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/themes"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// cartAdd adds the posted SKU and quantity from the product page. With htmx
// it answers a toast and the new badge; without, it goes to the cart, which
// shows the outcome.
func (h *Handler) cartAdd(c *gin.Context) error {
	ctx := c.Request.Context()
	sku, err := formSKU(c)
	if err != nil {
		return err
	}
	qty, err := parseQty(c.PostForm("qty"))
	if err == nil {
		err = h.addToCart(c, sku, qty)
	}
	msg, err := h.cartRefusal(c, err)
	if err != nil {
		return err
	}
	if !isHTMX(c) {
		if msg != "" {
			if err := h.setCartError(c, msg); err != nil {
				return err
			}
		} else if err := h.setNotice(c, i18n.Tc(ctx, "cart.added")); err != nil {
			return err
		}
		redirect(c, cartPath)
		return nil
	}
	n, err := h.cartCount(c)
	if err != nil {
		return err
	}
	toast := themes.CartToast{Message: msg, Error: msg != "", Badge: themes.CartBadge{Count: n}}
	if msg == "" {
		toast.Message = i18n.Tc(ctx, "cart.added")
	}
	h.render(c, http.StatusOK, h.themes.Theme().CartToast(toast))
	return nil
}

// addToCart adds to the customer's cart, or to the guest's in the session
// (with the same rules, checked by the store).
func (h *Handler) addToCart(c *gin.Context, sku int64, qty int) error {
	ctx := c.Request.Context()
	cu, err := h.loadCustomer(c)
	if err != nil {
		return err
	}
	if cu != nil {
		return h.db.AddToCart(ctx, cu.ID, sku, qty)
	}
	lines := h.guestCart(c)
	i := slices.IndexFunc(lines, func(g store.GuestLine) bool { return g.SKUID == sku })
	had := 0
	if i >= 0 {
		had = lines[i].Qty
	} else if len(lines) >= store.MaxCartLines {
		return store.Invalid("sku_id", "cart.too_many", "max", store.MaxCartLines)
	}
	if err := h.db.CheckCartQty(ctx, sku, had, had+qty); err != nil {
		return err
	}
	if i >= 0 {
		lines[i].Qty += qty
		lines[i].Selected = true
	} else {
		lines = append([]store.GuestLine{{SKUID: sku, Qty: qty, Selected: true}}, lines...)
	}
	return h.saveGuestCart(c, lines)
}

// cartQty sets a line's quantity (the stepper's − and +).
func (h *Handler) cartQty(c *gin.Context) error {
	sku, err := formSKU(c)
	if err != nil {
		return err
	}
	qty, err := parseQty(c.PostForm("qty"))
	if err != nil {
		return h.cartDone(c, err)
	}
	cu, err := h.loadCustomer(c)
	if err != nil {
		return err
	}
	if cu != nil {
		return h.cartDone(c, h.db.SetCartQty(c.Request.Context(), cu.ID, sku, qty))
	}
	lines := h.guestCart(c)
	i := slices.IndexFunc(lines, func(g store.GuestLine) bool { return g.SKUID == sku })
	if i < 0 {
		return h.cartDone(c, nil)
	}
	if err := h.db.CheckCartQty(c.Request.Context(), sku, lines[i].Qty, qty); err != nil {
		return h.cartDone(c, err)
	}
	lines[i].Qty = qty
	return h.cartDone(c, h.saveGuestCart(c, lines))
}

// cartRemove removes the posted lines (sku_id, repeatable).
func (h *Handler) cartRemove(c *gin.Context) error {
	ids, err := formSKUs(c)
	if err != nil {
		return err
	}
	cu, err := h.loadCustomer(c)
	if err != nil {
		return err
	}
	if cu != nil {
		return h.cartDone(c, h.db.RemoveCartItems(c.Request.Context(), cu.ID, ids))
	}
	lines := slices.DeleteFunc(h.guestCart(c), func(g store.GuestLine) bool { return slices.Contains(ids, g.SKUID) })
	return h.cartDone(c, h.saveGuestCart(c, lines))
}

// cartSelect selects (on=1) or unselects the posted lines, or every line
// with all=1.
func (h *Handler) cartSelect(c *gin.Context) error {
	on := c.PostForm("on") == "1"
	var ids []int64
	if c.PostForm("all") != "1" {
		var err error
		if ids, err = formSKUs(c); err != nil {
			return err
		}
	}
	cu, err := h.loadCustomer(c)
	if err != nil {
		return err
	}
	if cu != nil {
		return h.cartDone(c, h.db.SelectCartItems(c.Request.Context(), cu.ID, ids, on))
	}
	lines := h.guestCart(c)
	for i := range lines {
		if ids == nil || slices.Contains(ids, lines[i].SKUID) {
			lines[i].Selected = on
		}
	}
	return h.cartDone(c, h.saveGuestCart(c, lines))
}

// formSKUs reads the posted sku_id values (at least one).
func formSKUs(c *gin.Context) ([]int64, error) {
	vals := c.PostFormArray("sku_id")
	if len(vals) == 0 || len(vals) > store.MaxCartLines {
		return nil, fmt.Errorf("cart sku_id: %w", ErrBadRequest)
	}
	ids := make([]int64, 0, len(vals))
	for _, v := range vals {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return nil, fmt.Errorf("cart sku_id: %w", ErrBadRequest)
		}
		ids = append(ids, id)
	}
	return ids, nil
}
