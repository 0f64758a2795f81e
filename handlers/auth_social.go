package handlers

import (
	"cmp"
	"crypto/rand"
	"crypto/subtle"
	"encoding/gob"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/themes"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// Signing in with an outside account (微信登录, 网页授权 inside WeChat):
//
//	/auth/<provider>/start?next=…[&silent=1] → the provider's page → /auth/<provider>/callback?code=…&state=…
//
// The state is random, kept in the session, checked once and good for ten
// minutes. A known identity signs its customer in; a signed-in customer
// gets it linked; an unknown one is kept in the session while the bind page
// links it to an existing phone account (with its password) or a new one.
// Inside WeChat, pages that need a customer first try a silent sign-in
// (snsapi_base: no consent screen) and ask for the profile only for a
// WeChat user the shop has not seen.

const (
	sessionSocialState   = "social_state"
	sessionSocialPending = "social_pending"
	// socialStateTTL is how long a sign-in may take at the provider.
	socialStateTTL = 10 * time.Minute
	// socialPendingTTL is how long the bind page waits for the customer.
	socialPendingTTL = 30 * time.Minute
	bindPath         = "/auth/bind"
)

// socialState is a sign-in under way.
type socialState struct {
	Provider string
	State    string
	Next     string
	Silent   bool
	At       int64
}

// pendingIdentity is an outside account waiting on the bind page.
type pendingIdentity struct {
	Provider  string
	Namespace string
	Subject   string
	UnionID   string
	Nickname  string
	At        int64
}

func init() {
	gob.Register(socialState{})
	gob.Register(pendingIdentity{})
}

func (h *Handler) socialRoutes(r *gin.Engine) {
	r.GET("/auth/:provider/start", h.wrap(h.socialStart))
	r.GET("/auth/:provider/callback", h.wrap(h.socialCallback))
	r.GET(bindPath, h.wrap(h.socialBindPage))
	r.POST(bindPath+"/login", h.wrap(h.socialBindLogin))
	r.POST(bindPath+"/register", h.wrap(h.socialBindRegister))
}

// socialLogins are the sign-in buttons for this browser.
func (h *Handler) socialLogins(c *gin.Context, next string) []themes.SocialLogin {
	var out []themes.SocialLogin
	for _, p := range h.plugins.LoginProviders() {
		if p.Available(c.Request) {
			out = append(out, themes.SocialLogin{ID: p.ID(), Name: p.Name(), URL: socialStartURL(p.ID(), next, false)})
		}
	}
	return out
}

func socialStartURL(provider, next string, silent bool) string {
	v := url.Values{}
	if next != "" {
		v.Set("next", next)
	}
	if silent {
		v.Set("silent", "1")
	}
	u := "/auth/" + url.PathEscape(provider) + "/start"
	if len(v) > 0 {
		u += "?" + v.Encode()
	}
	return u
}

// silentLoginURL is where requireCustomer sends a visitor inside WeChat:
// the silent sign-in of the first available provider, "" when none.
func (h *Handler) silentLoginURL(c *gin.Context, next string) string {
	for _, p := range h.plugins.LoginProviders() {
		if p.Available(c.Request) {
			return socialStartURL(p.ID(), safeShopNext(next), true)
		}
	}
	return ""
}

const stateAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func newState() string {
	b := make([]byte, 32)
	rand.Read(b)
	for i := range b {
		b[i] = stateAlphabet[int(b[i])%len(stateAlphabet)]
	}
	return string(b)
}

// socialStart sends the browser to the provider's sign-in.
func (h *Handler) socialStart(c *gin.Context) error {
	next := safeShopNext(c.Query("next"))
	p, ok := h.plugins.LoginProvider(c.Param("provider"))
	if !ok || !p.Available(c.Request) {
		redirect(c, withNext("/login", next))
		return nil
	}
	st := socialState{Provider: p.ID(), State: newState(), Next: next, Silent: c.Query("silent") == "1", At: h.db.Now().Unix()}
	u, err := p.AuthURL(h.absURL(c, "/auth/"+p.ID()+"/callback"), st.State, st.Silent)
	if err != nil {
		return fmt.Errorf("%s sign-in: %w", p.ID(), err)
	}
	sess := h.session(c)
	sess.Values[sessionSocialState] = st
	if err := sess.Save(c.Request, c.Writer); err != nil {
		return err
	}
	c.Header("Cache-Control", "no-store")
	c.Redirect(http.StatusFound, u)
	return nil
}

// socialFail ends a sign-in that did not work: back to the sign-in page
// with the message.
func (h *Handler) socialFail(c *gin.Context, key, next string) error {
	h.addFlash(c, "error", i18n.Tc(c.Request.Context(), key))
	redirect(c, withNext("/login", next))
	return nil
}

// socialCallback is the provider sending the browser back.
func (h *Handler) socialCallback(c *gin.Context) error {
	ctx := c.Request.Context()
	c.Header("Cache-Control", "no-store")
	p, ok := h.plugins.LoginProvider(c.Param("provider"))
	if !ok {
		return fmt.Errorf("login provider %q: %w", c.Param("provider"), store.ErrNotFound)
	}
	if !hasSessionCookie(c) {
		return h.socialFail(c, "social.expired", "")
	}
	sess := h.session(c)
	st, _ := sess.Values[sessionSocialState].(socialState)
	delete(sess.Values, sessionSocialState) // a state is good once
	if err := sess.Save(c.Request, c.Writer); err != nil {
		return err
	}
	got := c.Query("state")
	if st.State == "" || st.Provider != p.ID() || len(got) != len(st.State) ||
		subtle.ConstantTimeCompare([]byte(got), []byte(st.State)) != 1 ||
		h.db.Now().Sub(time.Unix(st.At, 0)) > socialStateTTL {
		return h.socialFail(c, "social.expired", st.Next)
	}
	code := c.Query("code")
	if code == "" {
		// The user said no (WeChat sends no code then).
		if st.Silent {
			redirect(c, cmp.Or(st.Next, "/"))
			return nil
		}
		return h.socialFail(c, "social.cancelled", st.Next)
	}
	if len(code) > 512 || strings.ContainsAny(code, " \t\r\n") {
		return h.socialFail(c, "social.failed", st.Next)
	}
	id, err := p.Exchange(ctx, code)
	if err != nil || id == nil || id.Namespace == "" || id.Namespace != p.Namespace() || id.Subject == "" {
		h.log.Warn("outside sign-in failed", "provider", p.ID(), "err", err)
		return h.socialFail(c, "social.failed", st.Next)
	}
	ident := store.Identity{Namespace: id.Namespace, Subject: id.Subject, UnionID: id.UnionID, Nickname: id.Nickname}
	cu, err := h.loadCustomer(c)
	if err != nil {
		return err
	}
	if cu != nil {
		// Signed in already (the pay page asking for the OpenID): link.
		err := h.db.LinkIdentity(ctx, cu.ID, ident)
		if errors.Is(err, store.ErrIdentityTaken) {
			h.log.Warn("identity linked to another customer", "provider", p.ID(), "customer", cu.ID)
			h.addFlash(c, "error", i18n.Tc(ctx, "social.taken"))
		} else if err != nil {
			return err
		}
		redirect(c, cmp.Or(st.Next, "/me"))
		return nil
	}
	known, err := h.db.CustomerByIdentity(ctx, id.Namespace, id.Subject)
	switch {
	case err == nil && !known.Disabled:
		if err := h.db.TouchIdentity(ctx, id.Namespace, id.Subject); err != nil {
			return err
		}
		if err := h.signInCustomer(c, known); err != nil {
			return err
		}
		h.bindReferral(c, known.ID, store.BindClick)
		h.mergeGuestCart(c, known)
		redirect(c, cmp.Or(st.Next, "/me"))
		return nil
	case err == nil:
		return h.socialFail(c, "account.bad_credentials", st.Next)
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	if st.Silent {
		// A WeChat user the shop has not seen: ask for the profile (the
		// consent screen) before the bind page.
		redirect(c, socialStartURL(p.ID(), st.Next, false))
		return nil
	}
	sess.Values[sessionSocialPending] = pendingIdentity{Provider: p.ID(), Namespace: id.Namespace, Subject: id.Subject,
		UnionID: id.UnionID, Nickname: id.Nickname, At: h.db.Now().Unix()}
	if err := sess.Save(c.Request, c.Writer); err != nil {
		return err
	}
	redirect(c, withNext(bindPath, st.Next))
	return nil
}

// pendingBind is the identity waiting on the bind page, if still fresh.
func (h *Handler) pendingBind(c *gin.Context) (pendingIdentity, bool) {
	if !hasSessionCookie(c) {
		return pendingIdentity{}, false
	}
	pi, ok := h.session(c).Values[sessionSocialPending].(pendingIdentity)
	if !ok || h.db.Now().Sub(time.Unix(pi.At, 0)) > socialPendingTTL {
		return pendingIdentity{}, false
	}
	return pi, true
}

func (h *Handler) bindForm(c *gin.Context, pi pendingIdentity, next, mode string) (themes.AccountBindPage, error) {
	page, err := h.accountShell(c, "social.bind_title", "")
	if err != nil {
		return themes.AccountBindPage{}, err
	}
	other := "register"
	if mode == "register" {
		other = "login"
	}
	sw := url.Values{"mode": {other}}
	if next != "" {
		sw.Set("next", next)
	}
	return themes.AccountBindPage{
		Page: page, Provider: i18n.Tc(c.Request.Context(), "social.wechat"), Nickname: pi.Nickname, Next: next,
		LoginAction: bindPath + "/login", RegisterAction: bindPath + "/register", Mode: mode,
		SwitchURL: bindPath + "?" + sw.Encode(), MinPasswordLen: store.MinPasswordLen, CancelURL: withNext("/login", next),
	}, nil
}

func (h *Handler) renderBind(c *gin.Context, status int, vm themes.AccountBindPage) {
	c.Header("Cache-Control", "no-store")
	h.render(c, status, h.themes.Theme().(themes.SocialTheme).AccountBind(vm))
}

// socialBindPage asks a new WeChat user for their phone account.
func (h *Handler) socialBindPage(c *gin.Context) error {
	next := safeShopNext(c.Query("next"))
	pi, ok := h.pendingBind(c)
	if !ok {
		redirect(c, withNext("/login", next))
		return nil
	}
	mode := "login"
	if c.Query("mode") == "register" {
		mode = "register"
	}
	vm, err := h.bindForm(c, pi, next, mode)
	if err != nil {
		return err
	}
	h.renderBind(c, http.StatusOK, vm)
	return nil
}

// finishBind links the pending identity to cu (inside the registration's
// transaction for a new account, here for an existing one), signs cu in
// and goes on.
func (h *Handler) finishBind(c *gin.Context, cu *store.Customer, next string) error {
	sess := h.session(c)
	delete(sess.Values, sessionSocialPending)
	if err := h.signInCustomer(c, cu); err != nil {
		return err
	}
	h.bindReferral(c, cu.ID, store.BindClick)
	h.mergeGuestCart(c, cu)
	h.addFlash(c, "success", i18n.Tc(c.Request.Context(), "social.linked"))
	redirect(c, cmp.Or(next, "/me"))
	return nil
}

// socialBindLogin links the pending identity to an existing account whose
// password the customer knows, under the sign-in limits.
func (h *Handler) socialBindLogin(c *gin.Context) error {
	ctx := c.Request.Context()
	next := safeShopNext(c.PostForm("next"))
	pi, ok := h.pendingBind(c)
	if !ok {
		return h.socialFail(c, "social.expired", next)
	}
	phone, password := strings.TrimSpace(c.PostForm("phone")), c.PostForm("password")
	vm, err := h.bindForm(c, pi, next, "login")
	if err != nil {
		return err
	}
	vm.Phone = phone
	cu, refused, err := h.checkCustomerPassword(c, phone, password)
	if err != nil {
		return err
	}
	if refused != nil {
		vm.Errors, vm.Error = refused.errors, refused.message
		h.renderBind(c, refused.status, vm)
		return nil
	}
	err = h.db.LinkIdentity(ctx, cu.ID, store.Identity{Namespace: pi.Namespace, Subject: pi.Subject, UnionID: pi.UnionID, Nickname: pi.Nickname})
	if errors.Is(err, store.ErrIdentityTaken) {
		vm.Error = i18n.Tc(ctx, "social.taken_self")
		h.renderBind(c, http.StatusConflict, vm)
		return nil
	}
	if err != nil {
		return err
	}
	h.log.Info("identity linked", "provider", pi.Provider, "customer", cu.ID)
	return h.finishBind(c, cu, next)
}

// socialBindRegister creates an account with the pending identity linked,
// in one transaction.
func (h *Handler) socialBindRegister(c *gin.Context) error {
	ctx := c.Request.Context()
	next := safeShopNext(c.PostForm("next"))
	pi, ok := h.pendingBind(c)
	if !ok {
		return h.socialFail(c, "social.expired", next)
	}
	phone, password := strings.TrimSpace(c.PostForm("phone")), c.PostForm("password")
	vm, err := h.bindForm(c, pi, next, "register")
	if err != nil {
		return err
	}
	vm.Phone = phone
	ipKey := "ip:" + c.ClientIP()
	msg, err := h.loginBlocked(c, "", ipKey)
	if err != nil {
		return err
	}
	if msg != "" {
		vm.Error = msg
		h.renderBind(c, http.StatusTooManyRequests, vm)
		return nil
	}
	if _, err := store.ValidateCustomerSignup(phone, password, c.PostForm("confirm")); err != nil {
		vm.Errors = fieldErrors(c, err)
		h.renderBind(c, http.StatusUnprocessableEntity, vm)
		return nil
	}
	welcome, err := h.welcomeMessage(ctx)
	if err != nil {
		return err
	}
	cu, err := h.db.RegisterCustomerWithIdentity(withReferral(c), phone, password,
		store.Identity{Namespace: pi.Namespace, Subject: pi.Subject, UnionID: pi.UnionID, Nickname: pi.Nickname}, welcome)
	var ve *store.ValidationError
	switch {
	case errors.As(err, &ve):
		if ve.Key == "account.phone_taken" {
			if err := h.db.RecordLoginFailure(ctx, ipKey); err != nil {
				return err
			}
		}
		vm.Errors = fieldErrors(c, err)
		h.renderBind(c, http.StatusUnprocessableEntity, vm)
		return nil
	case errors.Is(err, store.ErrIdentityTaken):
		vm.Error = i18n.Tc(ctx, "social.taken")
		h.renderBind(c, http.StatusConflict, vm)
		return nil
	case err != nil:
		return err
	}
	h.log.Info("customer registered", "customer", cu.ID, "provider", pi.Provider)
	if err := h.plugins.CustomerRegistered(ctx, cu.ID); err != nil {
		h.log.Error("registered event", "customer", cu.ID, "err", err)
	}
	return h.finishBind(c, cu, next)
}

// withIdentities puts the signed-in customer's outside identities on the
// request's context, where payment providers find the payer's OpenID
// (plugins.IdentityFrom).
func (h *Handler) withIdentities(c *gin.Context) {
	if cu := currentCustomer(c); cu != nil {
		ids, err := h.db.CustomerIdentities(c.Request.Context(), cu.ID)
		if err != nil {
			h.log.Warn("customer identities", "err", err)
		} else if len(ids) > 0 {
			c.Request = c.Request.WithContext(plugins.ContextWithIdentities(c.Request.Context(), ids))
		}
	}
	c.Next()
}

// inWeChat reports WeChat's built-in browser.
func inWeChat(c *gin.Context) bool { return strings.Contains(c.Request.UserAgent(), "MicroMessenger") }

// sessionOpenIDTried marks, per namespace, that the pay page already sent
// the customer for their OpenID once in this session: a failed link (the
// WeChat account belongs to another customer) must not loop.
const sessionOpenIDTried = "openid_tried:"

// openIDRedirect is where the pay page inside WeChat sends a customer who
// has no OpenID yet under the namespace a provider pays with (WeChat Pay
// JSAPI): the silent sign-in, which links it and comes back to next. "" when
// nothing is missing or nothing can get it.
func (h *Handler) openIDRedirect(c *gin.Context, next string) string {
	if !inWeChat(c) {
		return ""
	}
	ctx := c.Request.Context()
	for _, p := range h.plugins.PaymentProviders() {
		pn, ok := p.(plugins.PayerNamespacer)
		if !ok {
			continue
		}
		ns := pn.PayerNamespace()
		if ns == "" || plugins.IdentityFrom(ctx, ns) != "" {
			continue
		}
		lp, ok := h.plugins.LoginProviderFor(ns)
		if !ok || !lp.Available(c.Request) {
			continue
		}
		sess := h.session(c)
		if tried, _ := sess.Values[sessionOpenIDTried+ns].(bool); tried {
			continue
		}
		sess.Values[sessionOpenIDTried+ns] = true
		if err := sess.Save(c.Request, c.Writer); err != nil {
			h.log.Warn("save session", "err", err)
			return ""
		}
		return socialStartURL(lp.ID(), next, true)
	}
	return ""
}
