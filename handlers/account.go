package handlers

import (
	"cmp"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/themes"
	"github.com/xiaodian/xiaodian/views"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// accountRoutes registers the customer account pages: sign-in,
// registration, sign-out and the member pages under /me, which need a
// signed-in customer. None goes through the page cache.
func (h *Handler) accountRoutes(r *gin.Engine) {
	r.GET("/login", h.wrap(h.customerLoginPage))
	r.POST("/login", h.wrap(h.customerLogin))
	r.GET("/register", h.wrap(h.registerPage))
	r.POST("/register", h.wrap(h.register))
	r.POST("/logout", h.wrap(h.customerLogout))
	me := r.Group("/me", h.requireCustomer)
	me.GET("", h.wrap(h.memberPage))
	me.GET("/profile", h.wrap(h.profilePage))
	me.POST("/profile", h.wrap(h.saveProfile))
	me.GET("/password", h.wrap(h.passwordPage))
	me.POST("/password", h.wrap(h.changePassword))
}

// accountShell is the page shell of an account page: the theme draws its own
// title bar instead of the search header, and only the member centre
// (tab = themes.TabMe) shows the tab bar.
func (h *Handler) accountShell(c *gin.Context, titleKey, tab string) (themes.Page, error) {
	page, err := h.shopPage(c, i18n.Tc(c.Request.Context(), titleKey), tab)
	if err != nil {
		return page, err
	}
	page.Header.Hidden = true
	if tab == "" {
		page.TabBar = themes.TabBar{}
	}
	return page, nil
}

// withNext is path carrying next (if any) as its query.
func withNext(path, next string) string {
	if next == "" {
		return path
	}
	return path + "?next=" + url.QueryEscape(next)
}

// loginKeys are the rate-limit keys of a customer sign-in attempt: the
// account (by normalised number, or the input as typed when it is not a
// valid number) and the client address.
func loginKeys(c *gin.Context, phone string) (acct, ip string) {
	p, err := store.ValidatePhone(phone)
	if err != nil {
		p = strings.ToLower(strings.TrimSpace(phone))
	}
	return "customer:" + p, "ip:" + c.ClientIP()
}

// loginBlocked reports the first of the keys that has reached its limit as
// a translated message, or "".
func (h *Handler) loginBlocked(c *gin.Context, acctKey, ipKey string) (string, error) {
	ctx := c.Request.Context()
	for _, lim := range []struct {
		key string
		max int
	}{{acctKey, store.LoginMaxFailures}, {ipKey, store.LoginMaxPerIP}} {
		if lim.key == "" {
			continue
		}
		blocked, wait, err := h.db.LoginBlocked(ctx, lim.key, lim.max)
		if err != nil {
			return "", err
		}
		if blocked {
			return i18n.Tc(ctx, "auth.too_many_attempts", "minutes", int(wait.Minutes()+0.5)), nil
		}
	}
	return "", nil
}

func (h *Handler) loginForm(c *gin.Context, next string) (themes.LoginPage, error) {
	page, err := h.accountShell(c, "account.login_title", "")
	if err != nil {
		return themes.LoginPage{}, err
	}
	return themes.LoginPage{
		Page: page, Action: "/login", Next: next, RegisterURL: withNext("/register", next), BackURL: backURL(next),
		Social: h.socialLogins(c, next),
	}, nil
}

// backURL is where an entry page's back arrow leads: the page the shopper
// came for, unless it needs signing in, else home.
func backURL(next string) string {
	if next == "" || next == "/me" || strings.HasPrefix(next, "/me/") || strings.HasPrefix(next, "/me?") {
		return "/"
	}
	return next
}

// customerLoginPage shows the sign-in form; a signed-in customer goes on
// to where they were heading.
func (h *Handler) customerLoginPage(c *gin.Context) error {
	next := safeShopNext(c.Query("next"))
	if cu, err := h.loadCustomer(c); err != nil || cu != nil {
		if err == nil {
			redirect(c, cmp.Or(next, "/me"))
		}
		return err
	}
	vm, err := h.loginForm(c, next)
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "no-store")
	h.render(c, http.StatusOK, h.themes.Theme().Login(vm))
	return nil
}

// customerLogin signs a customer in with a phone number and password
// (checkCustomerPassword).
func (h *Handler) customerLogin(c *gin.Context) error {
	phone, password := strings.TrimSpace(c.PostForm("phone")), c.PostForm("password")
	vm, err := h.loginForm(c, safeShopNext(c.PostForm("next")))
	if err != nil {
		return err
	}
	vm.Phone = phone
	c.Header("Cache-Control", "no-store")
	cu, refused, err := h.checkCustomerPassword(c, phone, password)
	if err != nil {
		return err
	}
	if refused != nil {
		vm.Errors, vm.Error = refused.errors, refused.message
		h.render(c, refused.status, h.themes.Theme().Login(vm))
		return nil
	}
	if err := h.signInCustomer(c, cu); err != nil {
		return err
	}
	h.bindReferral(c, cu.ID, store.BindClick)
	h.mergeGuestCart(c, cu)
	redirect(c, cmp.Or(vm.Next, "/me"))
	return nil
}

// loginRefusal is why a sign-in was refused: messages beside the fields,
// or one above the form, and the status to answer.
type loginRefusal struct {
	status  int
	errors  themes.FieldErrors
	message string
}

// checkCustomerPassword checks a phone number and password under the same
// limits as staff sign-in: LoginMaxFailures per number and LoginMaxPerIP
// per client address within store.LoginWindow. It returns the customer,
// or the refusal to show.
func (h *Handler) checkCustomerPassword(c *gin.Context, phone, password string) (*store.Customer, *loginRefusal, error) {
	ctx := c.Request.Context()
	var v store.ValidationErrors
	if _, err := store.ValidatePhone(phone); err != nil {
		var ve *store.ValidationError
		errors.As(err, &ve)
		v = append(v, ve)
	}
	if password == "" {
		v.Add("password", "validation.required")
	}
	if len(v) > 0 {
		return nil, &loginRefusal{status: http.StatusUnprocessableEntity, errors: fieldErrors(c, v)}, nil
	}
	acctKey, ipKey := loginKeys(c, phone)
	msg, err := h.loginBlocked(c, acctKey, ipKey)
	if err != nil {
		return nil, nil, err
	}
	if msg != "" {
		return nil, &loginRefusal{status: http.StatusTooManyRequests, message: msg}, nil
	}
	cu, err := h.db.AuthenticateCustomer(ctx, phone, password)
	if errors.Is(err, store.ErrBadCredentials) {
		if err := h.db.RecordLoginFailure(ctx, acctKey, ipKey); err != nil {
			return nil, nil, err
		}
		h.log.Warn("customer login failed", "phone", store.MaskPhone(strings.TrimPrefix(acctKey, "customer:")), "ip", c.ClientIP())
		return nil, &loginRefusal{status: http.StatusUnauthorized, message: i18n.Tc(ctx, "account.bad_credentials")}, nil
	}
	if err != nil {
		return nil, nil, err
	}
	if err := h.db.ClearLoginFailures(ctx, acctKey); err != nil {
		return nil, nil, err
	}
	return cu, nil, nil
}

func (h *Handler) registerForm(c *gin.Context, next string) (themes.RegisterPage, error) {
	page, err := h.accountShell(c, "account.register_title", "")
	if err != nil {
		return themes.RegisterPage{}, err
	}
	return themes.RegisterPage{
		Page: page, Action: "/register", Next: next, MinPasswordLen: store.MinPasswordLen,
		LoginURL: withNext("/login", next), BackURL: backURL(next),
	}, nil
}

// registerPage shows the registration form.
func (h *Handler) registerPage(c *gin.Context) error {
	next := safeShopNext(c.Query("next"))
	if cu, err := h.loadCustomer(c); err != nil || cu != nil {
		if err == nil {
			redirect(c, cmp.Or(next, "/me"))
		}
		return err
	}
	vm, err := h.registerForm(c, next)
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "no-store")
	h.render(c, http.StatusOK, h.themes.Theme().Register(vm))
	return nil
}

// register creates an account and signs it in. A number already registered
// counts against the client address's sign-in budget, so the form cannot be
// used to list the shop's customers quickly.
func (h *Handler) register(c *gin.Context) error {
	ctx := c.Request.Context()
	phone, password := strings.TrimSpace(c.PostForm("phone")), c.PostForm("password")
	vm, err := h.registerForm(c, safeShopNext(c.PostForm("next")))
	if err != nil {
		return err
	}
	vm.Phone = phone
	c.Header("Cache-Control", "no-store")
	ipKey := "ip:" + c.ClientIP()
	msg, err := h.loginBlocked(c, "", ipKey)
	if err != nil {
		return err
	}
	if msg != "" {
		vm.Error = msg
		h.render(c, http.StatusTooManyRequests, h.themes.Theme().Register(vm))
		return nil
	}
	if _, err := store.ValidateCustomerSignup(phone, password, c.PostForm("confirm")); err != nil {
		vm.Errors = fieldErrors(c, err)
		h.render(c, http.StatusUnprocessableEntity, h.themes.Theme().Register(vm))
		return nil
	}
	welcome, err := h.welcomeMessage(ctx)
	if err != nil {
		return err
	}
	cu, err := h.db.RegisterCustomer(withReferral(c), phone, password, welcome)
	var ve *store.ValidationError
	if errors.As(err, &ve) {
		if ve.Key == "account.phone_taken" {
			if err := h.db.RecordLoginFailure(ctx, ipKey); err != nil {
				return err
			}
		}
		vm.Errors = fieldErrors(c, err)
		h.render(c, http.StatusUnprocessableEntity, h.themes.Theme().Register(vm))
		return nil
	}
	if err != nil {
		return err
	}
	h.log.Info("customer registered", "customer", cu.ID)
	if err := h.plugins.CustomerRegistered(ctx, cu.ID); err != nil {
		h.log.Error("registered event", "customer", cu.ID, "err", err)
	}
	if err := h.signInCustomer(c, cu); err != nil {
		return err
	}
	h.mergeGuestCart(c, cu)
	redirect(c, cmp.Or(vm.Next, "/me"))
	return nil
}

// customerLogout signs the customer out. A session that also holds a staff
// sign-in keeps it under a fresh id; otherwise the session is deleted, so
// the visitor is served the cached pages again.
func (h *Handler) customerLogout(c *gin.Context) error {
	if !hasSessionCookie(c) {
		redirect(c, "/")
		return nil
	}
	sess := h.session(c)
	delete(sess.Values, sessionCustomerKey)
	delete(sess.Values, sessionCustomerStamp)
	delete(sess.Values, sessionNoticeKey)
	if _, staff := sess.Values[sessionStaffKey]; staff {
		if err := h.sessions.rotate(c.Request.Context(), sess); err != nil {
			return err
		}
	} else {
		sess.Options.MaxAge = -1
	}
	if err := sess.Save(c.Request, c.Writer); err != nil {
		return err
	}
	redirect(c, "/")
	return nil
}

// fieldErrors translates a validation error into a theme form's field messages.
func fieldErrors(c *gin.Context, err error) themes.FieldErrors {
	fe, _ := views.NewFormErrors(c.Request.Context(), err)
	return themes.FieldErrors(fe)
}
