package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/xiaodian/xiaodian/store"
)

// Session keys of a signed-in customer. They live beside sessionStaffKey in
// the same session, independent of it: signing one in or out leaves the
// other alone.
const (
	sessionCustomerKey   = "customer_id"
	sessionCustomerStamp = "customer_stamp" // store.Customer.Stamp at sign-in
)

// ginCustomerKey holds the signed-in *store.Customer in the gin context.
const ginCustomerKey = "customer"

// requireCustomer lets a signed-in customer through and makes them
// available to currentCustomer; a visitor asking for a page is sent to
// /login?next=<the page>, any other request to /login?next=/me. Answers
// behind it are never cached by a browser or proxy.
func (h *Handler) requireCustomer(c *gin.Context) {
	cu, err := h.loadCustomer(c)
	if err != nil {
		h.fail(c, err)
		c.Abort()
		return
	}
	if cu != nil {
		c.Header("Cache-Control", "no-store")
		c.Next()
		return
	}
	next := "/me"
	if c.Request.Method == http.MethodGet || c.Request.Method == http.MethodHead {
		next = c.Request.URL.RequestURI()
		// Inside WeChat a returning WeChat user is signed in without a
		// form (silent 网页授权); a new one is asked once, then bound.
		if u := h.silentLoginURL(c, next); u != "" && !isHTMX(c) {
			redirect(c, u)
			c.Abort()
			return
		}
	}
	redirect(c, "/login?next="+url.QueryEscape(next))
	c.Abort()
}

// currentCustomer returns the customer signed in on this request, or nil.
// Behind requireCustomer it is never nil.
func currentCustomer(c *gin.Context) *store.Customer {
	v, ok := c.Get(ginCustomerKey)
	if !ok {
		return nil
	}
	cu, _ := v.(*store.Customer)
	return cu
}

// loadCustomer reads the session's customer, checks the account is still
// enabled and the session's stamp current (a password change signs out the
// other devices), and remembers it for currentCustomer. A request without a
// session cookie costs no database read. It returns nil for a visitor.
func (h *Handler) loadCustomer(c *gin.Context) (*store.Customer, error) {
	if cu := currentCustomer(c); cu != nil {
		return cu, nil
	}
	if !hasSessionCookie(c) {
		return nil, nil
	}
	sess := h.session(c)
	id, ok := sess.Values[sessionCustomerKey].(int64)
	if !ok {
		return nil, nil
	}
	stamp, _ := sess.Values[sessionCustomerStamp].(string)
	cu, err := h.db.CustomerByID(c.Request.Context(), id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if cu == nil || cu.Disabled || cu.Stamp != stamp {
		return nil, nil
	}
	c.Set(ginCustomerKey, cu)
	return cu, nil
}

// signInCustomer rotates the session id, so an id planted before sign-in is
// worthless after it, and stores the customer in the session (keeping a
// staff sign-in the session may also hold).
func (h *Handler) signInCustomer(c *gin.Context, cu *store.Customer) error {
	sess := h.session(c)
	if err := h.sessions.rotate(c.Request.Context(), sess); err != nil {
		return err
	}
	sess.Values[sessionCustomerKey] = cu.ID
	sess.Values[sessionCustomerStamp] = cu.Stamp
	if err := sess.Save(c.Request, c.Writer); err != nil {
		return err
	}
	c.Set(ginCustomerKey, cu)
	return nil
}

// safeShopNext keeps a post-login target only when it is a local storefront
// path: not another site, not the back office, not an account entry page
// (which would loop).
func safeShopNext(next string) string {
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n\t ") {
		return ""
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return ""
	}
	p := u.Path
	for _, bad := range []string{"/admin", "/login", "/register", "/logout"} {
		if p == bad || strings.HasPrefix(p, bad+"/") {
			return ""
		}
	}
	if strings.HasPrefix(p, "/static/") || strings.HasPrefix(p, "/theme/") || strings.HasPrefix(p, "/media/") {
		return ""
	}
	return next
}
