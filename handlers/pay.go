package handlers

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/plugins/sandbox"
	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/themes"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// Paying: the pay page of an order (收银台) with the wallet balance and the
// payment providers, the providers' callbacks, the sandbox's gateway page
// and the result page. Every callback — a real gateway's, or the sandbox's
// built by its gateway page — goes through handleNotify: the provider
// verifies it, then db.ApplyPayment applies it; money that arrives for an
// order that can no longer take it is refunded through the provider.

const (
	payPath       = "/pay/"
	payResultPath = "/pay/result/"
	payNotifyPath = "/pay/notify/"
	payTimeForm   = "01-02 15:04"
)

// payRoutes registers the pay pages and the callback endpoint. The
// callback is a gateway's server-to-server POST: no session, no customer.
func (h *Handler) payRoutes(r *gin.Engine) {
	r.POST(payNotifyPath+":provider", h.wrap(h.payNotify))
	g := r.Group("/pay", h.requireCustomer, h.withIdentities)
	g.GET("/result/:no", h.wrap(h.payResultPage))
	g.GET("/sandbox/:no", h.wrap(h.sandboxGatewayPage))
	g.POST("/sandbox/:no", h.wrap(h.sandboxConfirm))
	g.GET("/:no", h.wrap(h.payPage))
	g.POST("/:no", h.wrap(h.pay))
}

// payURL is the pay page of the order numbered no.
func payURL(no string) string { return payPath + url.PathEscape(no) }

// payResultURL is the result page of an order or (numbers starting with R)
// a recharge.
func payResultURL(no string) string { return payResultPath + url.PathEscape(no) }

// isRechargeNo tells a recharge number (R2026...) from an order number.
func isRechargeNo(no string) bool { return strings.HasPrefix(no, "R") }

// startPayments gives the providers their environment, once (see
// plugins.Registry.StartPayments); every payment route calls it first.
func (h *Handler) startPayments(ctx context.Context) {
	h.plugins.StartPayments(context.WithoutCancel(ctx), plugins.PaymentEnv{DB: h.db, Mode: h.opts.Mode, Logger: h.log, HTTPClient: h.gateways})
}

// payProviders are the providers that can take a payment from this browser,
// with the channel each would use.
func (h *Handler) payProviders(c *gin.Context) ([]plugins.PaymentProvider, map[string]string) {
	h.startPayments(c.Request.Context())
	var out []plugins.PaymentProvider
	channels := map[string]string{}
	for _, p := range h.plugins.PaymentProviders() {
		if ch, ok := p.Channel(c.Request); ok {
			out = append(out, p)
			channels[p.ID()] = ch
		}
	}
	return out, channels
}

// absURL makes path absolute for the gateways' notify and return
// addresses: on server.base_url when it is set (always set it in
// production: the Host header is the client's word), else on the origin
// the request came to.
func (h *Handler) absURL(c *gin.Context, path string) string {
	if h.opts.BaseURL != "" {
		return strings.TrimRight(h.opts.BaseURL, "/") + path
	}
	scheme := "http"
	if c.Request.TLS != nil || h.opts.SecureCookies {
		scheme = "https"
	}
	return scheme + "://" + c.Request.Host + path
}

// orderSummary is "T恤 等 3 件" for the pay page.
func orderSummary(ctx context.Context, o *store.Order) string {
	if len(o.Lines) == 0 {
		return ""
	}
	n := 0
	for _, l := range o.Lines {
		n += l.Qty
	}
	title := []rune(o.Lines[0].Title)
	if len(title) > 16 {
		title = append(title[:16], '…')
	}
	if len(o.Lines) == 1 {
		return i18n.Tc(ctx, "pay.summary_one", "title", string(title), "n", n)
	}
	return i18n.Tc(ctx, "pay.summary_many", "title", string(title), "n", n)
}

// payForm builds the pay page of the customer's unpaid order.
func (h *Handler) payForm(c *gin.Context, o *store.Order, selected string) (themes.PayPage, error) {
	ctx := c.Request.Context()
	cu := currentCustomer(c)
	shell, err := h.accountShell(c, "pay.title", "")
	if err != nil {
		return themes.PayPage{}, err
	}
	balance, err := h.db.Wallet(ctx, cu.ID)
	if err != nil {
		return themes.PayPage{}, err
	}
	hasPw, err := h.db.HasPayPassword(ctx, cu.ID)
	if err != nil {
		return themes.PayPage{}, err
	}
	vm := themes.PayPage{
		Page: shell, BackURL: orderURL(o.ID), Action: payURL(o.No), OrderNo: o.No,
		Amount: o.Payable, Summary: orderSummary(ctx, o), Balance: balance, HasPayPassword: hasPw,
		PasswordURL: withNext("/me/wallet/password", payURL(o.No)), RechargeURL: rechargePath,
	}
	if !o.PayDeadline.IsZero() {
		vm.Deadline = o.PayDeadline.Local().Format(payTimeForm)
		vm.DeadlineUnix = o.PayDeadline.Unix()
	}
	enough := balance >= o.Payable
	note := i18n.Tc(ctx, "pay.balance_available", "amount", themes.Money(ctx, balance))
	if !enough {
		note = i18n.Tc(ctx, "pay.balance_short", "amount", themes.Money(ctx, balance))
	}
	vm.Methods = append(vm.Methods, themes.PayMethod{
		ID: themes.PayMethodBalance, Name: i18n.Tc(ctx, "pay.method_balance"), Note: note, Disabled: !enough,
	})
	providers, _ := h.payProviders(c)
	for _, p := range providers {
		vm.Methods = append(vm.Methods, themes.PayMethod{ID: p.ID(), Name: p.Name()})
	}
	vm.Selected = selected
	if vm.Selected == "" || (vm.Selected == themes.PayMethodBalance && !enough) {
		vm.Selected = ""
		for _, m := range vm.Methods {
			if !m.Disabled {
				vm.Selected = m.ID
				break
			}
		}
	}
	return vm, nil
}

// payableOrder returns the signed-in customer's order numbered by the
// route; someone else's is the friendly 404.
func (h *Handler) payableOrder(c *gin.Context) (*store.Order, error) {
	no := c.Param("no")
	if no == "" || len(no) > 64 {
		return nil, fmt.Errorf("order number: %w", store.ErrNotFound)
	}
	return h.db.OrderForCustomerByNo(c.Request.Context(), currentCustomer(c).ID, no)
}

// orderPayable reports whether the order still takes a payment: unpaid and
// before its deadline (the timeout job cancels it soon after).
func (h *Handler) orderPayable(o *store.Order) bool {
	return o.Status == store.StatusPendingPayment && (o.PayDeadline.IsZero() || h.db.Now().Before(o.PayDeadline))
}

// payPage is the pay page of an unpaid order; any other order goes to its
// result page.
func (h *Handler) payPage(c *gin.Context) error {
	o, err := h.payableOrder(c)
	if err != nil {
		return err
	}
	if !h.orderPayable(o) {
		c.Redirect(http.StatusSeeOther, payResultURL(o.No))
		return nil
	}
	if u := h.openIDRedirect(c, payURL(o.No)); u != "" {
		c.Redirect(http.StatusSeeOther, u)
		return nil
	}
	vm, err := h.payForm(c, o, c.Query("method"))
	if err != nil {
		return err
	}
	vm.Notice = h.takeNotice(c)
	h.render(c, http.StatusOK, h.themes.Theme().(themes.PayTheme).Pay(vm))
	return nil
}

// pay starts paying the order with the chosen method: the balance pays at
// once (after the payment password), a provider answers where the browser
// goes next.
func (h *Handler) pay(c *gin.Context) error {
	ctx := c.Request.Context()
	cu := currentCustomer(c)
	o, err := h.payableOrder(c)
	if err != nil {
		return err
	}
	if !h.orderPayable(o) {
		redirect(c, payResultURL(o.No))
		return nil
	}
	method := c.PostForm("method")
	again := func(status int, err error) error {
		vm, ferr := h.payForm(c, o, method)
		if ferr != nil {
			return ferr
		}
		vm.Errors = fieldErrors(c, err)
		if vm.Errors == nil {
			vm.Error = i18n.Tc(ctx, "pay.failed_try_again")
		} else if msg := vm.Errors["balance"] + vm.Errors["method"]; msg != "" {
			vm.Error = msg
		}
		h.render(c, status, h.themes.Theme().(themes.PayTheme).Pay(vm))
		return nil
	}
	if method == themes.PayMethodBalance {
		if err := h.db.CheckPayPassword(ctx, cu.ID, c.PostForm("pay_password")); err != nil {
			if fieldErrors(c, err) != nil {
				return again(http.StatusUnprocessableEntity, err)
			}
			return err
		}
		err := h.db.PayWithBalance(ctx, cu.ID, o.ID)
		switch {
		case errors.Is(err, store.ErrOrderState):
			redirect(c, payResultURL(o.No))
			return nil
		case fieldErrors(c, err) != nil:
			return again(http.StatusUnprocessableEntity, err)
		case err != nil:
			return err
		}
		redirect(c, payResultURL(o.No))
		return nil
	}
	h.startPayments(ctx)
	p, ok := h.plugins.PaymentProvider(method)
	var channel string
	if ok {
		channel, ok = p.Channel(c.Request)
	}
	if !ok {
		return again(http.StatusUnprocessableEntity, store.Invalid("method", "pay.choose_method_error"))
	}
	pay, err := h.db.StartPayment(ctx, cu.ID, o.ID, p.ID(), channel)
	if errors.Is(err, store.ErrOrderState) {
		redirect(c, payResultURL(o.No))
		return nil
	}
	if err != nil {
		return err
	}
	shop, err := h.shopName(ctx)
	if err != nil {
		return err
	}
	return h.followPayAction(c, p, plugins.PayRequest{
		Payment: pay, Subject: shop + " - " + orderSummary(ctx, o), ShopName: shop,
		NotifyURL: h.absURL(c, payNotifyPath+p.ID()), ReturnURL: h.absURL(c, payResultURL(o.No)),
		CancelURL: h.absURL(c, payURL(o.No)), ExpiresAt: o.PayDeadline,
		ClientIP: c.ClientIP(), UserAgent: c.Request.UserAgent(),
	}, payURL(o.No), payResultURL(o.No))
}

// followPayAction asks the provider to take the payment and sends the
// browser where it says: a local page by redirect; another site through a
// page that follows the link (a form's redirect to another origin would
// break the pages' CSP form-action 'self'); a form posted to the gateway
// (its origin is allowed to that page's form-action); a QR code; or
// WeChat's in-app payment.
func (h *Handler) followPayAction(c *gin.Context, p plugins.PaymentProvider, req plugins.PayRequest, backURL, resultURL string) error {
	ctx := c.Request.Context()
	if pn, ok := p.(plugins.PayerNamespacer); ok && req.OpenID == "" {
		req.OpenID = plugins.IdentityFrom(ctx, pn.PayerNamespace())
	}
	action, err := p.Pay(ctx, req)
	if err != nil {
		return fmt.Errorf("pay through %s: %w", p.ID(), err)
	}
	if action.Kind == plugins.PayRedirect && localPath(action.URL) {
		redirect(c, action.URL)
		return nil
	}
	shell, err := h.accountShell(c, "pay.title", "")
	if err != nil {
		return err
	}
	vm := themes.PayActionPage{
		Page: shell, Kind: action.Kind, Provider: p.Name(), Amount: req.Payment.Amount,
		URL: action.URL, ResultURL: resultURL, BackURL: backURL,
	}
	switch action.Kind {
	case plugins.PayRedirect:
		if !webURL(action.URL) {
			return fmt.Errorf("pay through %s: redirect to %q", p.ID(), action.URL)
		}
	case plugins.PayForm:
		u, err := url.Parse(action.URL)
		if err != nil || !webURL(action.URL) {
			return fmt.Errorf("pay through %s: form action %q", p.ID(), action.URL)
		}
		for _, name := range slices.Sorted(maps.Keys(action.Fields)) {
			vm.Fields = append(vm.Fields, themes.PayField{Name: name, Value: action.Fields[name]})
		}
		c.Header("Content-Security-Policy", strings.Replace(c.Writer.Header().Get("Content-Security-Policy"),
			"form-action 'self'", "form-action 'self' "+u.Scheme+"://"+u.Host, 1))
	case plugins.PayQR:
		png, err := qrcode.Encode(action.URL, qrcode.Medium, 440)
		if err != nil {
			return fmt.Errorf("pay through %s: qr: %w", p.ID(), err)
		}
		vm.QRImage = "data:image/png;base64," + base64.StdEncoding.EncodeToString(png)
	case plugins.PayJSAPI:
		b, err := json.Marshal(action.Params)
		if err != nil {
			return err
		}
		vm.JSAPIParams = string(b)
	default:
		return fmt.Errorf("pay through %s: unknown action %q", p.ID(), action.Kind)
	}
	c.Header("Cache-Control", "no-store")
	h.render(c, http.StatusOK, h.themes.Theme().(themes.PayTheme).PayAction(vm))
	return nil
}

// localPath reports whether u is a path of this site.
func localPath(u string) bool {
	return strings.HasPrefix(u, "/") && !strings.HasPrefix(u, "//") && !strings.HasPrefix(u, "/\\")
}

// webURL reports whether u is an absolute http(s) URL.
func webURL(u string) bool {
	pu, err := url.Parse(u)
	return err == nil && (pu.Scheme == "https" || pu.Scheme == "http") && pu.Host != ""
}

// sandboxPayment is the customer's pending sandbox attempt of the route,
// with the provider; the sandbox switched off (or in production) is 404.
func (h *Handler) sandboxPayment(c *gin.Context) (*sandbox.Provider, *store.Payment, error) {
	h.startPayments(c.Request.Context())
	p, ok := h.plugins.PaymentProvider(sandbox.ID)
	sp, isSandbox := p.(*sandbox.Provider)
	if !ok || !isSandbox {
		return nil, nil, fmt.Errorf("sandbox: %w", store.ErrNotFound)
	}
	pay, err := h.db.PaymentByOutTradeNo(c.Request.Context(), c.Param("no"))
	if err != nil {
		return nil, nil, err
	}
	if pay.CustomerID != currentCustomer(c).ID || pay.Provider != sandbox.ID {
		return nil, nil, fmt.Errorf("sandbox payment: %w", store.ErrNotFound)
	}
	return sp, pay, nil
}

// paymentResultURL is the result page of what pay was for.
func (h *Handler) paymentResultURL(ctx context.Context, pay *store.Payment) (string, error) {
	if pay.Purpose == store.PurposeRecharge {
		r, err := h.db.RechargeByID(ctx, pay.RechargeID)
		if err != nil {
			return "", err
		}
		return payResultURL(r.No), nil
	}
	o, err := h.db.OrderByID(ctx, pay.OrderID)
	if err != nil {
		return "", err
	}
	return payResultURL(o.No), nil
}

// paymentCancelURL is where the gateway's 取消 leads: the pay page of the
// order again, or the recharge page.
func (h *Handler) paymentCancelURL(ctx context.Context, pay *store.Payment) (string, error) {
	if pay.Purpose == store.PurposeRecharge {
		return rechargePath, nil
	}
	o, err := h.db.OrderByID(ctx, pay.OrderID)
	if err != nil {
		return "", err
	}
	return payURL(o.No), nil
}

// sandboxGatewayPage is the sandbox's gateway: the amount, the shop, 确认支付
// and 取消.
func (h *Handler) sandboxGatewayPage(c *gin.Context) error {
	ctx := c.Request.Context()
	_, pay, err := h.sandboxPayment(c)
	if err != nil {
		return err
	}
	if pay.Status != store.PaymentPending {
		u, err := h.paymentResultURL(ctx, pay)
		if err != nil {
			return err
		}
		c.Redirect(http.StatusSeeOther, u)
		return nil
	}
	shell, err := h.accountShell(c, "pay.sandbox_title", "")
	if err != nil {
		return err
	}
	cancel, err := h.paymentCancelURL(ctx, pay)
	if err != nil {
		return err
	}
	subject := i18n.Tc(ctx, "pay.subject_recharge")
	if pay.Purpose == store.PurposeOrder {
		o, err := h.db.OrderByID(ctx, pay.OrderID)
		if err != nil {
			return err
		}
		subject = i18n.Tc(ctx, "pay.subject_order", "no", o.No)
	}
	vm := themes.SandboxGatewayPage{
		Page: shell, ShopName: shell.ShopName, OutTradeNo: pay.OutTradeNo, Subject: subject,
		Amount: pay.Amount, ConfirmAction: sandbox.GatewayPath + pay.OutTradeNo, CancelURL: cancel,
	}
	h.render(c, http.StatusOK, h.themes.Theme().(themes.PayTheme).SandboxGateway(vm))
	return nil
}

// sandboxConfirm is the payer pressing 确认支付: the sandbox signs the
// callback a gateway would send, and it goes through the same notify code
// as any gateway's.
func (h *Handler) sandboxConfirm(c *gin.Context) error {
	ctx := c.Request.Context()
	sp, pay, err := h.sandboxPayment(c)
	if err != nil {
		return err
	}
	header, body, err := sp.PaidNotify(pay)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, payNotifyPath+sandbox.ID, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header = header
	if err := h.handleNotify(ctx, sp, req, body); err != nil {
		return err
	}
	u, err := h.paymentResultURL(ctx, pay)
	if err != nil {
		return err
	}
	redirect(c, u)
	return nil
}

// payResultPage says how paying an order or a recharge went.
func (h *Handler) payResultPage(c *gin.Context) error {
	ctx := c.Request.Context()
	cu := currentCustomer(c)
	no := c.Param("no")
	shell, err := h.accountShell(c, "pay.result_title", "")
	if err != nil {
		return err
	}
	vm := themes.PayResultPage{Page: shell, No: no, HomeURL: "/", RefreshURL: payResultURL(no)}
	if isRechargeNo(no) {
		r, err := h.db.RechargeForCustomer(ctx, cu.ID, no)
		if err != nil {
			return err
		}
		vm.Recharge, vm.Amount, vm.Credited, vm.PrimaryURL = true, r.Pay, r.Total(), walletPath
		switch r.Status {
		case store.RechargePaid:
			vm.Status = themes.PayResultSuccess
		case store.RechargePending:
			vm.Status = themes.PayResultWaiting
			vm.RetryURL = rechargePath
		default:
			vm.Status, vm.RetryURL = themes.PayResultFailed, rechargePath
		}
	} else {
		o, err := h.db.OrderForCustomerByNo(ctx, cu.ID, no)
		if err != nil {
			return err
		}
		vm.Amount, vm.PrimaryURL = o.Payable, orderURL(o.ID)
		switch {
		case h.orderPayable(o):
			vm.Status, vm.RetryURL = themes.PayResultWaiting, payURL(o.No)
		case o.PaymentID != 0 || !o.PaidAt.IsZero():
			vm.Status, vm.Amount = themes.PayResultSuccess, o.Paid
		default:
			vm.Status = themes.PayResultFailed
		}
	}
	if vm.Status == themes.PayResultWaiting {
		c.Header("Refresh", "3")
	}
	h.render(c, http.StatusOK, h.themes.Theme().(themes.PayTheme).PayResult(vm))
	return nil
}
