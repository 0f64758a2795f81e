package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// sessionStaffKey holds the signed-in staff id in the session.
const sessionStaffKey = "staff_id"

// requireStaff lets signed-in staff through; it sends everyone else to the
// setup page (no owner yet) or the login page.
func (h *Handler) requireStaff(c *gin.Context) {
	ctx := c.Request.Context()
	if hasSessionCookie(c) {
		if id, ok := h.session(c).Values[sessionStaffKey].(int64); ok {
			s, err := h.db.StaffByID(ctx, id)
			if err == nil && !s.Disabled {
				ctx = views.WithStaff(ctx, s)
				ctx = views.WithFlash(ctx, h.takeFlashes(c))
				ctx = views.WithPluginMenu(ctx, h.pluginMenu())
				c.Request = c.Request.WithContext(ctx)
				c.Header("Cache-Control", "no-store")
				c.Next()
				return
			}
		}
	}
	has, err := h.db.HasOwner(ctx)
	if err != nil {
		h.fail(c, err)
		c.Abort()
		return
	}
	target := "/admin/login?next=" + url.QueryEscape(c.Request.URL.RequestURI())
	if !has {
		target = "/admin/setup"
	}
	if c.Request.Method != http.MethodGet {
		h.fail(c, ErrForbidden)
		c.Abort()
		return
	}
	redirect(c, target)
	c.Abort()
}

// setupPage shows the first-run owner form while no staff account exists.
func (h *Handler) setupPage(c *gin.Context) error {
	ctx := c.Request.Context()
	has, err := h.db.HasOwner(ctx)
	if err != nil {
		return err
	}
	if has {
		c.Redirect(http.StatusSeeOther, "/admin/login")
		return nil
	}
	empty, err := h.catalogueEmpty(c)
	if err != nil {
		return err
	}
	h.render(c, http.StatusOK, views.SetupPage(views.SetupForm{OfferDemo: empty, LoadDemo: empty}))
	return nil
}

// setup creates the owner, signs them in and optionally loads the demo shop.
func (h *Handler) setup(c *gin.Context) error {
	ctx := c.Request.Context()
	f := views.SetupForm{Username: strings.TrimSpace(c.PostForm("username")), LoadDemo: c.PostForm("demo") == "1"}
	if err := store.ValidateCredentials(f.Username, c.PostForm("password"), c.PostForm("confirm")); err != nil {
		fe, _ := views.NewFormErrors(ctx, err)
		f.Errors = fe
		f.OfferDemo, _ = h.catalogueEmpty(c)
		h.render(c, http.StatusUnprocessableEntity, views.SetupPage(f))
		return nil
	}
	owner, err := h.db.CreateOwner(ctx, f.Username, c.PostForm("password"))
	if errors.Is(err, store.ErrConflict) {
		// Someone finished the setup first: this form is no longer valid.
		return ErrForbidden
	}
	if err != nil {
		return err
	}
	if err := h.signIn(c, owner); err != nil {
		return err
	}
	if f.LoadDemo {
		if empty, _ := h.catalogueEmpty(c); empty {
			if err := h.loadDemo(c); err != nil {
				h.log.Error("load demo shop", "err", err)
				h.addFlash(c, "error", i18n.Tc(ctx, "auth.demo_failed"))
			} else {
				h.addFlash(c, "success", i18n.Tc(ctx, "auth.demo_loaded"))
			}
		}
	}
	h.addFlash(c, "success", i18n.Tc(ctx, "auth.welcome", "name", owner.Name))
	redirect(c, "/admin")
	return nil
}

func (h *Handler) catalogueEmpty(c *gin.Context) (bool, error) {
	_, total, err := h.db.Products(c.Request.Context(), store.ProductFilter{Limit: 1})
	if err != nil {
		return false, err
	}
	cats, err := h.db.Categories(c.Request.Context(), true)
	return total == 0 && len(cats) == 0, err
}

// loginPage shows the staff login form.
func (h *Handler) loginPage(c *gin.Context) error {
	has, err := h.db.HasOwner(c.Request.Context())
	if err != nil {
		return err
	}
	if !has {
		c.Redirect(http.StatusSeeOther, "/admin/setup")
		return nil
	}
	h.render(c, http.StatusOK, views.LoginPage(views.LoginForm{Next: safeNext(c.Query("next"))}))
	return nil
}

// login checks the credentials under a per-account and per-IP limit.
func (h *Handler) login(c *gin.Context) error {
	ctx := c.Request.Context()
	f := views.LoginForm{Username: strings.TrimSpace(c.PostForm("username")), Next: safeNext(c.PostForm("next"))}
	acctKey, ipKey := "staff:"+strings.ToLower(f.Username), "ip:"+c.ClientIP()
	for _, lim := range []struct {
		key string
		max int
	}{{acctKey, store.LoginMaxFailures}, {ipKey, store.LoginMaxPerIP}} {
		blocked, wait, err := h.db.LoginBlocked(ctx, lim.key, lim.max)
		if err != nil {
			return err
		}
		if blocked {
			f.Error = i18n.Tc(ctx, "auth.too_many_attempts", "minutes", int(wait.Minutes()+0.5))
			h.render(c, http.StatusTooManyRequests, views.LoginPage(f))
			return nil
		}
	}
	s, err := h.db.AuthenticateStaff(ctx, f.Username, c.PostForm("password"))
	if errors.Is(err, store.ErrBadCredentials) {
		if err := h.db.RecordLoginFailure(ctx, acctKey, ipKey); err != nil {
			return err
		}
		h.log.Warn("staff login failed", "username", f.Username, "ip", c.ClientIP())
		f.Error = i18n.Tc(ctx, "auth.bad_credentials")
		h.render(c, http.StatusUnauthorized, views.LoginPage(f))
		return nil
	}
	if err != nil {
		return err
	}
	if err := h.db.ClearLoginFailures(ctx, acctKey); err != nil {
		return err
	}
	if err := h.signIn(c, s); err != nil {
		return err
	}
	next := f.Next
	if next == "" {
		next = "/admin"
	}
	redirect(c, next)
	return nil
}

// signIn rotates the session id and stores the staff id in it.
func (h *Handler) signIn(c *gin.Context, s *store.Staff) error {
	sess := h.session(c)
	if err := h.sessions.rotate(c.Request.Context(), sess); err != nil {
		return err
	}
	sess.Values[sessionStaffKey] = s.ID
	return sess.Save(c.Request, c.Writer)
}

// logout ends the staff sign-in. A session that also holds a customer
// sign-in (the owner testing the shop in the same browser) keeps it under a
// fresh id; otherwise the session is deleted.
func (h *Handler) logout(c *gin.Context) error {
	sess := h.session(c)
	delete(sess.Values, sessionStaffKey)
	delete(sess.Values, "flash")
	if _, customer := sess.Values[sessionCustomerKey]; customer {
		if err := h.sessions.rotate(c.Request.Context(), sess); err != nil {
			return err
		}
	} else {
		sess.Options.MaxAge = -1
	}
	if err := sess.Save(c.Request, c.Writer); err != nil {
		return err
	}
	redirect(c, "/admin/login")
	return nil
}

// safeNext keeps a post-login target only when it is a local back-office path.
func safeNext(next string) string {
	if strings.HasPrefix(next, "/admin") && !strings.HasPrefix(next, "//") && !strings.ContainsAny(next, "\\\r\n") {
		return next
	}
	return ""
}
