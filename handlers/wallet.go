package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/themes"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// The wallet (余额) of a signed-in customer: the balance and its ledger,
// recharge (充值, with the packages 充值送) paid through an online provider,
// and the payment password (支付密码) that guards paying with the balance.

const (
	walletPath        = "/me/wallet"
	walletLedgerPath  = "/me/wallet/ledger"
	rechargePath      = "/me/wallet/recharge"
	payPasswordPath   = "/me/wallet/password"
	walletLedgerLimit = 20
)

// walletRoutes registers the wallet pages; all personal, never cached.
func (h *Handler) walletRoutes(r *gin.Engine) {
	g := r.Group(walletPath, h.requireCustomer, h.withIdentities)
	g.GET("", h.wrap(h.walletPage))
	g.GET("/ledger", h.wrap(h.walletLedger))
	g.GET("/recharge", h.wrap(h.rechargePage))
	g.POST("/recharge", h.wrap(h.recharge))
	g.GET("/password", h.wrap(h.payPasswordPage))
	g.POST("/password", h.wrap(h.savePayPassword))
}

// ledgerPage reads a page of the ledger (page from the query, 1-based).
func (h *Handler) ledgerPage(c *gin.Context) (themes.WalletLedger, int, error) {
	page := 1
	if p, err := strconv.Atoi(c.Query("page")); err == nil && p > 1 && p < 10_000 {
		page = p
	}
	entries, total, err := h.db.WalletLedger(c.Request.Context(), currentCustomer(c).ID, (page-1)*walletLedgerLimit, walletLedgerLimit)
	if err != nil {
		return themes.WalletLedger{}, 0, err
	}
	var l themes.WalletLedger
	for _, e := range entries {
		l.Items = append(l.Items, themes.LedgerItem{
			Kind: e.Kind, Note: e.Note, Amount: e.Amount, Balance: e.Balance, At: messageTime(e.CreatedAt),
		})
	}
	if page*walletLedgerLimit < total {
		l.MoreURL = walletLedgerPath + "?page=" + strconv.Itoa(page+1)
	}
	return l, total, nil
}

// walletPage is 我的余额.
func (h *Handler) walletPage(c *gin.Context) error {
	ctx := c.Request.Context()
	cu := currentCustomer(c)
	balance, err := h.db.Wallet(ctx, cu.ID)
	if err != nil {
		return err
	}
	hasPw, err := h.db.HasPayPassword(ctx, cu.ID)
	if err != nil {
		return err
	}
	ledger, total, err := h.ledgerPage(c)
	if err != nil {
		return err
	}
	shell, err := h.accountShell(c, "wallet.title", "")
	if err != nil {
		return err
	}
	vm := themes.WalletPage{
		Page: shell, BackURL: "/me", Notice: h.takeNotice(c), Balance: balance,
		RechargeURL: rechargePath, PasswordURL: payPasswordPath, HasPayPassword: hasPw,
		Ledger: ledger, Total: total,
	}
	h.render(c, http.StatusOK, h.themes.Theme().(themes.PayTheme).Wallet(vm))
	return nil
}

// walletLedger is the fragment of one more page of the ledger; without
// htmx it is the wallet page at that page.
func (h *Handler) walletLedger(c *gin.Context) error {
	if !isHTMX(c) {
		return h.walletPage(c)
	}
	ledger, _, err := h.ledgerPage(c)
	if err != nil {
		return err
	}
	h.render(c, http.StatusOK, h.themes.Theme().(themes.PayTheme).WalletLedger(ledger))
	return nil
}

// rechargeProvider is the provider recharges are paid through: the first
// one that serves this browser.
func (h *Handler) rechargeProvider(c *gin.Context) (plugins.PaymentProvider, string) {
	providers, channels := h.payProviders(c)
	if len(providers) == 0 {
		return nil, ""
	}
	return providers[0], channels[providers[0].ID()]
}

// rechargeForm builds the recharge page.
func (h *Handler) rechargeForm(c *gin.Context) (themes.RechargePage, error) {
	ctx := c.Request.Context()
	shell, err := h.accountShell(c, "wallet.recharge_title", "")
	if err != nil {
		return themes.RechargePage{}, err
	}
	balance, err := h.db.Wallet(ctx, currentCustomer(c).ID)
	if err != nil {
		return themes.RechargePage{}, err
	}
	pkgs, err := h.db.RechargePackages(ctx, true)
	if err != nil {
		return themes.RechargePage{}, err
	}
	vm := themes.RechargePage{
		Page: shell, BackURL: walletPath, Action: rechargePath, Balance: balance,
		Min: store.MinRecharge, Max: store.MaxRecharge,
	}
	for _, p := range pkgs {
		vm.Packages = append(vm.Packages, themes.RechargeOption{ID: p.ID, Pay: p.Pay, Bonus: p.Bonus})
	}
	if len(vm.Packages) > 0 {
		vm.Selected = vm.Packages[0].ID
	}
	if p, _ := h.rechargeProvider(c); p != nil {
		vm.Provider = p.Name()
	}
	return vm, nil
}

// rechargePage is the recharge form.
func (h *Handler) rechargePage(c *gin.Context) error {
	vm, err := h.rechargeForm(c)
	if err != nil {
		return err
	}
	h.render(c, http.StatusOK, h.themes.Theme().(themes.PayTheme).Recharge(vm))
	return nil
}

// recharge creates the recharge (a package, or a custom amount) and starts
// paying it through the provider.
func (h *Handler) recharge(c *gin.Context) error {
	ctx := c.Request.Context()
	cu := currentCustomer(c)
	vm, err := h.rechargeForm(c)
	if err != nil {
		return err
	}
	pkgID, _ := strconv.ParseInt(c.PostForm("package_id"), 10, 64)
	amountText := strings.TrimSpace(c.PostForm("amount"))
	vm.Selected, vm.Amount = pkgID, amountText
	again := func(err error) error {
		vm.Errors = fieldErrors(c, err)
		h.render(c, http.StatusUnprocessableEntity, h.themes.Theme().(themes.PayTheme).Recharge(vm))
		return nil
	}
	p, channel := h.rechargeProvider(c)
	if p == nil {
		vm.Error = i18n.Tc(ctx, "wallet.no_provider")
		h.render(c, http.StatusUnprocessableEntity, h.themes.Theme().(themes.PayTheme).Recharge(vm))
		return nil
	}
	var amount store.Fen
	if pkgID <= 0 {
		pkgID = 0
		if amountText == "" {
			return again(store.Invalid("amount", "wallet.amount_required"))
		}
		if amount, err = store.ParseFen(amountText); err != nil {
			return again(store.Invalid("amount", "wallet.amount_invalid"))
		}
	}
	r, err := h.db.CreateRecharge(ctx, cu.ID, pkgID, amount)
	if fieldErrors(c, err) != nil {
		return again(err)
	}
	if err != nil {
		return err
	}
	pay, err := h.db.StartRechargePayment(ctx, cu.ID, r.ID, p.ID(), channel)
	if err != nil {
		return err
	}
	shop, err := h.shopName(ctx)
	if err != nil {
		return err
	}
	return h.followPayAction(c, p, plugins.PayRequest{
		Payment: pay, Subject: i18n.Tc(ctx, "pay.subject_recharge"), ShopName: shop,
		NotifyURL: h.absURL(c, payNotifyPath+p.ID()), ReturnURL: h.absURL(c, payResultURL(r.No)),
		CancelURL: h.absURL(c, rechargePath), ClientIP: c.ClientIP(), UserAgent: c.Request.UserAgent(),
	}, rechargePath, payResultURL(r.No))
}

// payPasswordForm builds the payment password form; next (a local path)
// is where saving leads, e.g. back to a pay page.
func (h *Handler) payPasswordForm(c *gin.Context, next string) (themes.PayPasswordPage, error) {
	shell, err := h.accountShell(c, "wallet.pay_password", "")
	if err != nil {
		return themes.PayPasswordPage{}, err
	}
	has, err := h.db.HasPayPassword(c.Request.Context(), currentCustomer(c).ID)
	if err != nil {
		return themes.PayPasswordPage{}, err
	}
	back := walletPath
	if next = safeShopNext(next); next != "" {
		back = next
	}
	return themes.PayPasswordPage{
		Page: shell, BackURL: back, Action: payPasswordPath, HasPassword: has, Next: next,
	}, nil
}

// payPasswordPage shows the payment password form.
func (h *Handler) payPasswordPage(c *gin.Context) error {
	vm, err := h.payPasswordForm(c, c.Query("next"))
	if err != nil {
		return err
	}
	h.render(c, http.StatusOK, h.themes.Theme().(themes.PayTheme).PayPassword(vm))
	return nil
}

// savePayPassword sets or replaces the payment password after checking the
// login password; wrong login passwords count against the payment
// password's limit.
func (h *Handler) savePayPassword(c *gin.Context) error {
	ctx := c.Request.Context()
	cu := currentCustomer(c)
	vm, err := h.payPasswordForm(c, c.PostForm("next"))
	if err != nil {
		return err
	}
	login, pw, confirm := c.PostForm("login_password"), c.PostForm("pay_password"), c.PostForm("confirm")
	var v store.ValidationErrors
	if login == "" {
		v.Add("login_password", "validation.required")
	}
	var pwErr *store.ValidationError
	if errors.As(store.ValidPayPassword(pw), &pwErr) {
		v = append(v, pwErr)
	} else if confirm != pw {
		v.Add("confirm", "wallet.pay_password_mismatch")
	}
	if err := v.Err(); err != nil {
		vm.Errors = fieldErrors(c, err)
		h.render(c, http.StatusUnprocessableEntity, h.themes.Theme().(themes.PayTheme).PayPassword(vm))
		return nil
	}
	err = h.db.SetPayPassword(ctx, cu.ID, login, pw)
	if fe := fieldErrors(c, err); fe != nil {
		vm.Errors = fe
		h.render(c, http.StatusUnprocessableEntity, h.themes.Theme().(themes.PayTheme).PayPassword(vm))
		return nil
	}
	if err != nil {
		return err
	}
	if err := h.setNotice(c, i18n.Tc(ctx, "wallet.pay_password_saved")); err != nil {
		return err
	}
	if vm.Next != "" {
		redirect(c, vm.Next)
		return nil
	}
	redirect(c, walletPath)
	return nil
}
