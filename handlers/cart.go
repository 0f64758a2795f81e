package handlers

import (
	"encoding/gob"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/themes"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// cartPath is the cart page; its actions post to cartPath + "/add" and so on.
const cartPath = "/cart"

// sessionCartKey holds a guest's cart, []store.GuestLine newest first.
const sessionCartKey = "cart"

func init() {
	gob.Register([]store.GuestLine{})
}

// cartRoutes registers the cart. It is personal: never cached, and a
// guest's writes keep the cart in their session. Every action answers a
// plain form post with a redirect and an htmx one with a fragment.
func (h *Handler) cartRoutes(r *gin.Engine) {
	g := r.Group(cartPath, noStore)
	g.GET("", h.wrap(h.cartPage))
	g.GET("/badge", h.wrap(h.cartBadge))
	g.POST("/add", h.wrap(h.cartAdd))
	g.POST("/qty", h.wrap(h.cartQty))
	g.POST("/remove", h.wrap(h.cartRemove))
	g.POST("/select", h.wrap(h.cartSelect))
}

// noStore keeps answers out of browser and proxy caches.
func noStore(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	c.Next()
}

// parseQty reads a quantity typed or posted: digits only (spaces around
// allowed), 1 to store.MaxCartQty.
func parseQty(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 4 {
		return 0, store.Invalid("qty", "cart.qty_invalid")
	}
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, store.Invalid("qty", "cart.qty_invalid")
		}
		n = n*10 + int(r-'0')
	}
	if n < 1 || n > store.MaxCartQty {
		return 0, store.Invalid("qty", "cart.qty_invalid")
	}
	return n, nil
}

// formSKU reads the posted sku_id; a malformed one is a bad request.
func formSKU(c *gin.Context) (int64, error) {
	id, err := strconv.ParseInt(c.PostForm("sku_id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("cart sku_id: %w", ErrBadRequest)
	}
	return id, nil
}

// guestCart is the guest cart in the session. Without a session cookie it
// costs no database read (and sees a cart saved earlier in this request).
func (h *Handler) guestCart(c *gin.Context) []store.GuestLine {
	lines, _ := h.session(c).Values[sessionCartKey].([]store.GuestLine)
	return lines
}

// saveGuestCart stores the guest cart in the session (creating it).
func (h *Handler) saveGuestCart(c *gin.Context, lines []store.GuestLine) error {
	if len(lines) == 0 && !hasSessionCookie(c) {
		return nil
	}
	sess := h.session(c)
	if len(lines) == 0 {
		delete(sess.Values, sessionCartKey)
	} else {
		sess.Values[sessionCartKey] = lines
	}
	if err := sess.Save(c.Request, c.Writer); err != nil {
		return fmt.Errorf("save guest cart: %w", err)
	}
	return nil
}

// mergeGuestCart moves a guest cart into the customer's cart at sign-in. A
// failure is logged, not shown: it must not stop the sign-in.
func (h *Handler) mergeGuestCart(c *gin.Context, cu *store.Customer) {
	guest := h.guestCart(c)
	if len(guest) == 0 {
		return
	}
	if err := h.db.MergeCart(c.Request.Context(), cu.ID, guest); err != nil {
		h.log.Error("merge guest cart", "customer", cu.ID, "err", err)
		return
	}
	if err := h.saveGuestCart(c, nil); err != nil {
		h.log.Error("clear guest cart", "customer", cu.ID, "err", err)
	}
}

// cartLines loads the cart of the customer signed in, or of the guest.
func (h *Handler) cartLines(c *gin.Context) ([]store.CartLine, error) {
	cu, err := h.loadCustomer(c)
	if err != nil {
		return nil, err
	}
	if cu != nil {
		return h.db.CartLines(c.Request.Context(), cu.ID)
	}
	return h.db.CartLinesFor(c.Request.Context(), h.guestCart(c))
}

// cartCount is the number of pieces in the cart, for the badge.
func (h *Handler) cartCount(c *gin.Context) (int, error) {
	cu, err := h.loadCustomer(c)
	if err != nil {
		return 0, err
	}
	if cu != nil {
		return h.db.CartCount(c.Request.Context(), cu.ID)
	}
	n := 0
	for _, g := range h.guestCart(c) {
		n += g.Qty
	}
	return n, nil
}

// cartBadge answers the badge fragment a page loads on the cart tab.
func (h *Handler) cartBadge(c *gin.Context) error {
	n, err := h.cartCount(c)
	if err != nil {
		return err
	}
	h.render(c, http.StatusOK, h.themes.Theme().CartBadge(themes.CartBadge{Count: n}))
	return nil
}

// cartView builds the list and total from the lines; amounts are computed
// here on the server, never taken from the page.
func cartView(lines []store.CartLine) themes.CartView {
	v := themes.CartView{
		QtyURL: cartPath + "/qty", RemoveURL: cartPath + "/remove", SelectURL: cartPath + "/select", ShopURL: "/",
	}
	avail := 0
	selected := 0
	for _, l := range lines {
		v.Count += l.Qty
		line := themes.CartLine{
			SKUID: l.SKUID, ProductURL: productURL(l.ProductID), Title: l.Title, Spec: l.Label, Image: l.Image,
			Price: l.Price, Qty: l.Qty, Stock: l.Stock, Selected: l.Selected, Available: l.Available(), Status: string(l.Status),
		}
		if l.Qty > 1 && l.Status != store.CartOffShelf {
			line.DecQty = min(l.Qty-1, max(l.Stock, 1))
		}
		if l.Available() && l.Qty < min(l.Stock, store.MaxCartQty) {
			line.IncQty = l.Qty + 1
		}
		if l.Available() {
			avail++
			if l.Selected {
				selected++
			}
		}
		v.Lines = append(v.Lines, line)
	}
	v.AllSelected = avail > 0 && selected == avail
	v.Total, v.Pieces = store.CartTotal(lines)
	return v
}

// cartPage is the cart.
func (h *Handler) cartPage(c *gin.Context) error {
	lines, err := h.cartLines(c)
	if err != nil {
		return err
	}
	page, err := h.shopPage(c, i18n.Tc(c.Request.Context(), "cart.title"), themes.TabCart)
	if err != nil {
		return err
	}
	page.Header.Hidden = true
	v := cartView(lines)
	v.Notice = h.takeNotice(c)
	v.Error = h.takeCartError(c)
	h.render(c, http.StatusOK, h.themes.Theme().Cart(themes.CartPage{Page: page, Cart: v}))
	return nil
}

// sessionCartErrorKey holds why the last plain-form cart action was refused.
const sessionCartErrorKey = "cart_error"

// setCartError queues msg (if any) for the cart page's next view.
func (h *Handler) setCartError(c *gin.Context, msg string) error {
	if msg == "" {
		return nil
	}
	sess := h.session(c)
	sess.Values[sessionCartErrorKey] = msg
	if err := sess.Save(c.Request, c.Writer); err != nil {
		return fmt.Errorf("save cart error: %w", err)
	}
	return nil
}

// takeCartError removes and returns the queued refusal, if any.
func (h *Handler) takeCartError(c *gin.Context) string {
	if !hasSessionCookie(c) {
		return ""
	}
	sess := h.session(c)
	msg, _ := sess.Values[sessionCartErrorKey].(string)
	if msg == "" {
		return ""
	}
	delete(sess.Values, sessionCartErrorKey)
	if err := sess.Save(c.Request, c.Writer); err != nil {
		h.log.Error("save session", "err", err)
	}
	return msg
}

// cartDone answers a cart action on the cart page: the list fragment for
// htmx, else a redirect to the cart. A refusal (a *store.ValidationError)
// is shown above the list; other errors go to h.fail.
func (h *Handler) cartDone(c *gin.Context, actionErr error) error {
	msg, err := h.cartRefusal(c, actionErr)
	if err != nil {
		return err
	}
	if !isHTMX(c) {
		if err := h.setCartError(c, msg); err != nil {
			return err
		}
		redirect(c, cartPath)
		return nil
	}
	lines, err := h.cartLines(c)
	if err != nil {
		return err
	}
	v := cartView(lines)
	v.Error = msg
	h.render(c, http.StatusOK, h.themes.Theme().CartList(v))
	return nil
}

// cartRefusal turns a validation error into its message; a line that is
// not in this cart (another customer's, or removed in another tab) is
// ignored like a stale page; any other error is returned.
func (h *Handler) cartRefusal(c *gin.Context, err error) (string, error) {
	var ve *store.ValidationError
	switch {
	case err == nil, errors.Is(err, store.ErrNotFound):
		return "", nil
	case errors.As(err, &ve):
		return i18n.Tc(c.Request.Context(), ve.Key, ve.Args...), nil
	}
	return "", err
}
