package handlers

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/themes"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// sessionNoticeKey holds a one-time message for the next storefront page
// (kept apart from the back office's flashes, which share the session).
const sessionNoticeKey = "shop_notice"

// setNotice queues msg for the next storefront page that shows notices.
func (h *Handler) setNotice(c *gin.Context, msg string) error {
	sess := h.session(c)
	sess.Values[sessionNoticeKey] = msg
	return sess.Save(c.Request, c.Writer)
}

// takeNotice removes and returns the queued message, or "".
func (h *Handler) takeNotice(c *gin.Context) string {
	if !hasSessionCookie(c) {
		return ""
	}
	sess := h.session(c)
	msg, _ := sess.Values[sessionNoticeKey].(string)
	if msg == "" {
		return ""
	}
	delete(sess.Values, sessionNoticeKey)
	if err := sess.Save(c.Request, c.Writer); err != nil {
		h.log.Error("save session", "err", err)
	}
	return msg
}

// memberGroups is the member centre's menu: only pages that exist, the
// enabled plugins' entries after 分销中心.
func (h *Handler) memberGroups(ctx context.Context) []themes.MemberGroup {
	services := []themes.MemberEntry{{ID: themes.MemberEntryDistributor, URL: distPath}}
	h.plugins.Each(func(p plugins.Plugin, enabled bool) {
		if ml, ok := p.(plugins.MemberLinker); ok && enabled {
			for _, l := range ml.MemberLinks() {
				services = append(services, themes.MemberEntry{ID: l.ID, URL: l.URL, Label: i18n.Tc(ctx, l.Label)})
			}
		}
	})
	return []themes.MemberGroup{
		{ID: "services", Entries: append(services, []themes.MemberEntry{
			{ID: themes.MemberEntryWallet, URL: walletPath},
			{ID: themes.MemberEntryMessages, URL: messagesPath},
			{ID: themes.MemberEntryFavorites, URL: favoritesPath},
			{ID: themes.MemberEntryHistory, URL: historyPath},
			{ID: themes.MemberEntryAddresses, URL: "/me/addresses"},
		}...)},
		{ID: "settings", Entries: []themes.MemberEntry{
			{ID: themes.MemberEntryProfile, URL: "/me/profile"},
			{ID: themes.MemberEntryPassword, URL: "/me/password"},
		}},
	}
}

// memberPage is the member centre (我的).
func (h *Handler) memberPage(c *gin.Context) error {
	cu := currentCustomer(c)
	page, err := h.accountShell(c, "nav.me", themes.TabMe)
	if err != nil {
		return err
	}
	vm := themes.MemberPage{
		Page:       page,
		Notice:     h.takeNotice(c),
		Name:       cu.DisplayName(),
		Phone:      cu.MaskedPhone(),
		Avatar:     cu.Avatar,
		ProfileURL: "/me/profile",
		Groups:     h.memberGroups(c.Request.Context()),
		LogoutURL:  "/logout",
	}
	balance, err := h.db.Wallet(c.Request.Context(), cu.ID)
	if err != nil {
		return err
	}
	vm.Balance, vm.WalletURL = balance.Yuan(), walletPath
	counts, err := h.db.CustomerOrderCounts(c.Request.Context(), cu.ID)
	if err != nil {
		return err
	}
	vm.OrdersURL = ordersPath
	for _, t := range store.OrderTabs[1:] {
		vm.OrderIcons = append(vm.OrderIcons, themes.MemberOrderIcon{ID: string(t), URL: ordersTabURL(t), Count: counts[t]})
	}
	vm.OrderIcons = append(vm.OrderIcons, themes.MemberOrderIcon{ID: "aftersale", URL: aftersalesPath, Count: counts["aftersale"]})
	if r, _ := utf8.DecodeRuneInString(cu.Nickname); r != utf8.RuneError {
		vm.Initial = strings.ToUpper(string(r))
	}
	h.render(c, http.StatusOK, h.themes.Theme().Member(vm))
	return nil
}

func (h *Handler) profileForm(c *gin.Context, cu *store.Customer) (themes.ProfilePage, error) {
	page, err := h.accountShell(c, "member.profile", "")
	if err != nil {
		return themes.ProfilePage{}, err
	}
	return themes.ProfilePage{
		Page: page, Action: "/me/profile", Phone: cu.MaskedPhone(),
		Nickname: cu.Nickname, Gender: cu.Gender, Birthday: cu.Birthday,
		Genders:     []string{"", store.GenderMale, store.GenderFemale},
		MaxBirthday: h.db.Now().Format(time.DateOnly), MaxNickname: store.MaxNicknameLen,
		BackURL: "/me",
	}, nil
}

// profilePage shows the profile form.
func (h *Handler) profilePage(c *gin.Context) error {
	vm, err := h.profileForm(c, currentCustomer(c))
	if err != nil {
		return err
	}
	h.render(c, http.StatusOK, h.themes.Theme().Profile(vm))
	return nil
}

// saveProfile saves the nickname, gender and birthday.
func (h *Handler) saveProfile(c *gin.Context) error {
	ctx := c.Request.Context()
	cu := currentCustomer(c)
	p := store.CustomerProfile{Nickname: c.PostForm("nickname"), Gender: c.PostForm("gender"), Birthday: c.PostForm("birthday")}
	if err := h.db.UpdateCustomerProfile(ctx, cu.ID, p); err != nil {
		fe := fieldErrors(c, err)
		if fe == nil {
			return err
		}
		vm, err := h.profileForm(c, cu)
		if err != nil {
			return err
		}
		vm.Nickname, vm.Gender, vm.Birthday, vm.Errors = p.Nickname, p.Gender, p.Birthday, fe
		h.render(c, http.StatusUnprocessableEntity, h.themes.Theme().Profile(vm))
		return nil
	}
	if err := h.setNotice(c, i18n.Tc(ctx, "account.profile_saved")); err != nil {
		return err
	}
	redirect(c, "/me")
	return nil
}

func (h *Handler) passwordForm(c *gin.Context) (themes.PasswordPage, error) {
	page, err := h.accountShell(c, "member.password", "")
	if err != nil {
		return themes.PasswordPage{}, err
	}
	return themes.PasswordPage{Page: page, Action: "/me/password", MinPasswordLen: store.MinPasswordLen, BackURL: "/me"}, nil
}

// passwordPage shows the change-password form.
func (h *Handler) passwordPage(c *gin.Context) error {
	vm, err := h.passwordForm(c)
	if err != nil {
		return err
	}
	h.render(c, http.StatusOK, h.themes.Theme().Password(vm))
	return nil
}

// changePassword replaces the password after checking the current one.
// Wrong current passwords count against the same limits as sign-in, so a
// borrowed session cannot be used to guess it. On success this session is
// kept under a fresh id and every other session of the account ends.
func (h *Handler) changePassword(c *gin.Context) error {
	ctx := c.Request.Context()
	cu := currentCustomer(c)
	vm, err := h.passwordForm(c)
	if err != nil {
		return err
	}
	acctKey, ipKey := "customer:"+cu.Phone, "ip:"+c.ClientIP()
	msg, err := h.loginBlocked(c, acctKey, ipKey)
	if err != nil {
		return err
	}
	if msg != "" {
		vm.Error = msg
		h.render(c, http.StatusTooManyRequests, h.themes.Theme().Password(vm))
		return nil
	}
	old, password := c.PostForm("old"), c.PostForm("password")
	var v store.ValidationErrors
	if old == "" {
		v.Add("old", "validation.required")
	}
	var pv store.ValidationErrors
	if errors.As(store.ValidateNewPassword(password, c.PostForm("confirm")), &pv) {
		v = append(v, pv...)
	}
	if len(v) > 0 {
		vm.Errors = fieldErrors(c, v)
		h.render(c, http.StatusUnprocessableEntity, h.themes.Theme().Password(vm))
		return nil
	}
	stamp, err := h.db.ChangeCustomerPassword(ctx, cu.ID, old, password)
	if fe := fieldErrors(c, err); fe != nil {
		if fe["old"] != "" {
			if err := h.db.RecordLoginFailure(ctx, acctKey, ipKey); err != nil {
				return err
			}
		}
		vm.Errors = fe
		h.render(c, http.StatusUnprocessableEntity, h.themes.Theme().Password(vm))
		return nil
	}
	if err != nil {
		return err
	}
	cu.Stamp = stamp
	if err := h.signInCustomer(c, cu); err != nil {
		return err
	}
	if err := h.setNotice(c, i18n.Tc(ctx, "account.password_changed")); err != nil {
		return err
	}
	redirect(c, "/me")
	return nil
}
