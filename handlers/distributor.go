package handlers

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/themes"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// The distributor centre (分销中心, H5) and the capture of referral links.
//
// A link with ?ref=CODE (any storefront URL) leaves the code in a cookie
// for refCookieDays; a signed-in customer is bound at once when the shop
// binds on the first visit, a visitor when they sign in or register, and on
// the first order when the shop binds then (the code reaches the store
// through store.ContextWithReferral). The store decides what binds.

const (
	distPath          = "/distributor"
	refCookie         = "xd_ref"
	refCookieDays     = 30
	distListLimit     = 20
	distPromoProducts = 10
)

// distributorRoutes registers the distributor centre; personal pages, the
// centre and the team kept per distributor until the next write.
func (h *Handler) distributorRoutes(r *gin.Engine) {
	g := r.Group(distPath, h.requireCustomer)
	g.GET("", h.privateCached(h.distCentre))
	g.POST("/apply", h.wrap(h.distApply))
	g.GET("/commissions", h.wrap(h.distCommissions))
	g.GET("/orders", h.wrap(h.distOrders))
	g.GET("/team", h.privateCached(h.distTeam))
	g.GET("/withdraw", h.wrap(h.distWithdrawPage))
	g.POST("/withdraw", h.wrap(h.distWithdraw))
	g.GET("/withdrawals", h.wrap(h.distWithdrawals))
	g.GET("/withdrawals/:id/confirm", h.wrap(h.distConfirmPayout))
	g.GET("/promote", h.wrap(h.distPromote))
}

// captureReferral keeps the referral code of a storefront link in a cookie
// and binds a signed-in customer when the shop binds on the first visit.
func (h *Handler) captureReferral(c *gin.Context) {
	code := strings.ToUpper(strings.TrimSpace(c.Query("ref")))
	if code == "" || c.Request.Method != http.MethodGet || strings.HasPrefix(c.Request.URL.Path, "/admin") ||
		!store.ValidRefCode(code) {
		c.Next()
		return
	}
	if old, _ := c.Cookie(refCookie); old != code {
		http.SetCookie(c.Writer, &http.Cookie{Name: refCookie, Value: code, Path: "/", MaxAge: refCookieDays * 86400,
			HttpOnly: true, Secure: h.opts.SecureCookies, SameSite: http.SameSiteLaxMode})
	}
	if hasSessionCookie(c) {
		if cu, err := h.loadCustomer(c); err == nil && cu != nil {
			if _, err := h.db.BindByCode(c.Request.Context(), cu.ID, code, store.BindClick); err != nil {
				h.log.Warn("bind referral", "customer", cu.ID, "err", err)
			}
		}
	}
	c.Next()
}

// referralCode is the code of the link the visitor last came by, or "".
func referralCode(c *gin.Context) string {
	code := c.Query("ref")
	if !store.ValidRefCode(code) {
		code, _ = c.Cookie(refCookie)
	}
	if !store.ValidRefCode(code) {
		return ""
	}
	return code
}

// withReferral carries the visitor's referral code into the store calls
// that may bind them (registration, the first order).
func withReferral(c *gin.Context) context.Context {
	return store.ContextWithReferral(c.Request.Context(), referralCode(c))
}

// bindReferral binds a customer who just signed in or registered to the
// distributor whose link they came by, on each trigger in vias. A binding
// that fails is logged: it never fails the sign-in.
func (h *Handler) bindReferral(c *gin.Context, customerID int64, vias ...string) {
	code := referralCode(c)
	if code == "" {
		return
	}
	for _, via := range vias {
		if _, err := h.db.BindByCode(c.Request.Context(), customerID, code, via); err != nil {
			h.log.Warn("bind referral", "customer", customerID, "via", via, "err", err)
		}
	}
}

// distShell is the page shell of a distributor centre page.
func (h *Handler) distShell(c *gin.Context, titleKey string) (themes.Page, themes.DistributorTheme, error) {
	shell, err := h.accountShell(c, titleKey, "")
	if err != nil {
		return shell, nil, err
	}
	t, ok := h.themes.Theme().(themes.DistributorTheme)
	if !ok {
		return shell, nil, errors.New("distributor centre: the theme does not draw it")
	}
	return shell, t, nil
}

// distributor is the signed-in customer's standing; with ok false the
// page was answered with the join page.
func (h *Handler) distributor(c *gin.Context) (*store.DistributorStanding, bool, error) {
	ctx := c.Request.Context()
	cu := currentCustomer(c)
	d, err := h.db.DistributorOf(ctx, cu.ID)
	if err != nil {
		return nil, false, err
	}
	if d.Active && d.Status == "" {
		if err := h.db.EnsureDistributor(ctx, cu.ID); err != nil {
			return nil, false, err
		}
	}
	if d.Active || d.Status == store.DistributorDisabled {
		return d, true, nil
	}
	return d, false, h.distJoin(c, d, http.StatusOK, nil)
}

// isDistributor is the quick check of the centre's lists: ok false when
// the page was answered with the join page.
func (h *Handler) isDistributor(c *gin.Context) (bool, error) {
	active, status, err := h.db.DistributorStatus(c.Request.Context(), currentCustomer(c).ID)
	if err != nil {
		return false, err
	}
	if (active && status != "") || status == store.DistributorDisabled {
		return true, nil
	}
	_, ok, err := h.distributor(c) // makes the row, or draws the join page
	return ok, err
}

// distJoin draws the page of a customer who is not a distributor.
func (h *Handler) distJoin(c *gin.Context, d *store.DistributorStanding, status int, form *themes.DistributorJoinPage) error {
	ctx := c.Request.Context()
	shell, t, err := h.distShell(c, "distc.join_title")
	if err != nil {
		return err
	}
	s := h.db.DistSettings(ctx)
	vm := themes.DistributorJoinPage{Page: shell, BackURL: "/me", Notice: h.takeNotice(c), Action: distPath + "/apply"}
	if form != nil {
		vm.RealName, vm.Phone, vm.Note, vm.Errors, vm.Error = form.RealName, form.Phone, form.Note, form.Errors, form.Error
	} else {
		vm.Phone = currentCustomer(c).Phone
	}
	switch {
	case !s.Enabled:
		vm.State = "off"
	case d.Status == store.DistributorPending:
		vm.State = "pending"
	case d.Status == store.DistributorDisabled:
		vm.State = "disabled"
	case s.Mode == store.DistApply && d.Status == store.DistributorRejected:
		vm.State, vm.Reason = "rejected", d.ReviewNote
	case s.Mode == store.DistApply:
		vm.State = "apply"
	case s.Mode == store.DistAfterPurchase:
		vm.State = "purchase"
	case s.Mode == store.DistSpend:
		vm.State, vm.Have, vm.Need = "spend", d.Spend, s.SpendThreshold
	default:
		vm.State = "manual"
	}
	h.render(c, status, t.DistributorJoin(vm))
	return nil
}

// distApply files the application of the apply mode.
func (h *Handler) distApply(c *gin.Context) error {
	ctx := c.Request.Context()
	cu := currentCustomer(c)
	in := store.ApplyInput{RealName: c.PostForm("real_name"), Phone: strings.TrimSpace(c.PostForm("phone")), Note: c.PostForm("note")}
	err := h.db.ApplyDistributor(ctx, cu.ID, in)
	if err == nil {
		if err := h.setNotice(c, i18n.Tc(ctx, "distc.applied")); err != nil {
			return err
		}
		redirect(c, distPath)
		return nil
	}
	var ve *store.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	d, derr := h.db.DistributorOf(ctx, cu.ID)
	if derr != nil {
		return derr
	}
	form := &themes.DistributorJoinPage{RealName: in.RealName, Phone: in.Phone, Note: in.Note, Errors: fieldErrors(c, err)}
	return h.distJoin(c, d, http.StatusUnprocessableEntity, form)
}

// distCentre is the centre's home.
func (h *Handler) distCentre(c *gin.Context) error {
	d, ok, err := h.distributor(c)
	if err != nil || !ok {
		return err
	}
	ctx := c.Request.Context()
	cu := currentCustomer(c)
	shell, t, err := h.distShell(c, "distc.title")
	if err != nil {
		return err
	}
	code, err := h.db.RefCode(ctx, cu.ID)
	if err != nil {
		return err
	}
	vm := themes.DistributorCentrePage{
		Page: shell, BackURL: "/me", Notice: h.takeNotice(c), Name: cu.DisplayName(), Initial: initial(cu.DisplayName()),
		LevelName: d.LevelName, Referrer: d.Referrer, Disabled: d.Status == store.DistributorDisabled,
		Stats: themes.DistributorStats{Balance: d.Balance, Today: d.Today, Pending: d.Pending, Settled: d.Settled,
			Withdrawn: d.Withdrawn, Team: d.Team, Direct: d.Direct},
		WithdrawURL: distPath + "/withdraw", ShopURL: "/s/" + code,
	}
	if d.ReferrerID == 0 {
		vm.Referrer = ""
	}
	if cu.Avatar != "" {
		vm.Avatar = themes.Image(cu.Avatar, themes.ImageSmall)
	}
	T := func(k string, args ...any) string { return i18n.Tc(ctx, k, args...) }
	vm.Menu = []themes.DistributorMenuItem{
		{Key: "commissions", Label: T("distc.commissions"), URL: distPath + "/commissions"},
		{Key: "orders", Label: T("distc.orders"), URL: distPath + "/orders"},
		{Key: "team", Label: T("distc.team"), URL: distPath + "/team", Badge: strconv.Itoa(d.Team)},
		{Key: "withdrawals", Label: T("distc.withdrawals"), URL: distPath + "/withdrawals"},
		{Key: "promote", Label: T("distc.promote"), URL: distPath + "/promote"},
		{Key: "shop", Label: T("distc.my_shop"), URL: vm.ShopURL},
	}
	next, err := h.db.NextLevel(ctx, d)
	if err != nil {
		return err
	}
	if next != nil {
		vm.NextLevel, vm.AllNeeded = next.Name, next.All
		add := func(label string, have, need int64, money bool) {
			if need <= 0 {
				return
			}
			it := themes.LevelProgressItem{Label: label, Percent: int(min(100, have*100/need)), Done: have >= need}
			if money {
				it.Have, it.Need = store.Fen(have).String(), store.Fen(need).String()
			} else {
				it.Have, it.Need = strconv.FormatInt(have, 10), strconv.FormatInt(need, 10)
			}
			vm.Progress = append(vm.Progress, it)
		}
		add(T("distc.cond_sales"), int64(next.Sales), int64(next.NeedSales), true)
		add(T("distc.cond_direct"), int64(next.Direct), int64(next.NeedDirect), false)
		add(T("distc.cond_team"), int64(next.Team), int64(next.NeedTeam), false)
		add(T("distc.cond_spend"), int64(next.Spend), int64(next.NeedSpend), true)
	}
	h.render(c, http.StatusOK, t.DistributorCentre(vm))
	return nil
}

// initial is the first character of a name, for an avatar without a picture.
func initial(name string) string {
	for _, r := range name {
		return string(r)
	}
	return ""
}

// listPage reads the 1-based page number of a list.
func listPage(c *gin.Context) int {
	if p, err := strconv.Atoi(c.Query("page")); err == nil && p > 1 && p < 10_000 {
		return p
	}
	return 1
}

// commissionLevelLabel is how a commission row is called in the centre.
func commissionLevelLabel(ctx context.Context, m store.Commission) string {
	if m.Kind == store.CommissionAgent {
		return i18n.Tc(ctx, "distc.agent_commission")
	}
	return i18n.Tc(ctx, "distc.level_commission", "level", m.Level)
}

// commissionRuleLabel shows the rate or the fixed amount of a commission.
func commissionRuleLabel(ctx context.Context, m store.Commission) string {
	if m.Unit > 0 {
		return i18n.Tc(ctx, "distc.per_unit", "amount", m.Unit.String())
	}
	return strconv.FormatFloat(float64(m.RateBP)/100, 'f', -1, 64) + "%"
}

// distCommissions is 佣金明细; with htmx and a page it is one more page.
func (h *Handler) distCommissions(c *gin.Context) error {
	if ok, err := h.isDistributor(c); err != nil || !ok {
		return err
	}
	ctx := c.Request.Context()
	status := c.Query("status")
	switch status {
	case "", store.CommissionPending, store.CommissionSettled, store.CommissionCancelled:
	default:
		status = ""
	}
	page := listPage(c)
	items, totals, err := h.db.Commissions(ctx, store.CommissionFilter{RecipientID: currentCustomer(c).ID, Status: status,
		Offset: (page - 1) * distListLimit, Limit: distListLimit})
	total, sum := totals.Count, totals.Pending+totals.Settled
	if err != nil {
		return err
	}
	base := distPath + "/commissions?status=" + status
	var list themes.CommissionList
	for _, m := range items {
		list.Items = append(list.Items, themes.CommissionItem{OrderNo: m.OrderNo, Title: m.Title, Buyer: store.MaskPhone(m.BuyerPhone),
			Level: commissionLevelLabel(ctx, m), Rule: commissionRuleLabel(ctx, m), Base: m.Base, Amount: m.Amount,
			Original: m.Original, Clawed: m.Clawed, Status: m.Status, At: messageTime(m.CreatedAt)})
	}
	if page*distListLimit < total {
		list.MoreURL = base + "&page=" + strconv.Itoa(page+1)
	}
	shell, t, err := h.distShell(c, "distc.commissions")
	if err != nil {
		return err
	}
	if isHTMX(c) && page > 1 {
		h.render(c, http.StatusOK, t.CommissionItems(list))
		return nil
	}
	vm := themes.CommissionsPage{Page: shell, BackURL: distPath, Total: total, Sum: sum, List: list}
	for _, k := range []string{"", store.CommissionPending, store.CommissionSettled, store.CommissionCancelled} {
		label := i18n.Tc(ctx, "distc.tab_all")
		if k != "" {
			label = i18n.Tc(ctx, "distc.status."+k)
		}
		vm.Tabs = append(vm.Tabs, themes.CommissionTab{Key: k, Label: label, URL: distPath + "/commissions?status=" + k, Active: k == status})
	}
	h.render(c, http.StatusOK, t.Commissions(vm))
	return nil
}

// distOrders is 推广订单.
func (h *Handler) distOrders(c *gin.Context) error {
	if ok, err := h.isDistributor(c); err != nil || !ok {
		return err
	}
	ctx := c.Request.Context()
	page := listPage(c)
	orders, total, err := h.db.PromotedOrders(ctx, currentCustomer(c).ID, (page-1)*distListLimit, distListLimit)
	if err != nil {
		return err
	}
	var list themes.PromotedOrderList
	for _, o := range orders {
		it := themes.PromotedOrderItem{No: o.No, Buyer: o.Buyer, Title: o.Title, Lines: o.Lines, Paid: o.Paid, Earned: o.Earned,
			Status: i18n.Tc(ctx, "order.status."+string(o.Status)), Commission: o.Commission, At: messageTime(o.CreatedAt)}
		if o.Image != "" {
			it.Image = themes.Image(o.Image, themes.ImageSmall)
		}
		list.Items = append(list.Items, it)
	}
	if page*distListLimit < total {
		list.MoreURL = distPath + "/orders?page=" + strconv.Itoa(page+1)
	}
	shell, t, err := h.distShell(c, "distc.orders")
	if err != nil {
		return err
	}
	if isHTMX(c) && page > 1 {
		h.render(c, http.StatusOK, t.PromotedOrderItems(list))
		return nil
	}
	h.render(c, http.StatusOK, t.PromotedOrders(themes.PromotedOrdersPage{Page: shell, BackURL: distPath, Total: total, List: list}))
	return nil
}

// distTeam is 我的团队 by level.
func (h *Handler) distTeam(c *gin.Context) error {
	if ok, err := h.isDistributor(c); err != nil || !ok {
		return err
	}
	ctx := c.Request.Context()
	cu := currentCustomer(c)
	depth, _ := strconv.Atoi(c.Query("level"))
	if depth < 1 || depth > store.MaxTeamDepth {
		depth = 1
	}
	page := listPage(c)
	members, err := h.db.Team(ctx, cu.ID, depth, (page-1)*distListLimit, distListLimit+1)
	if err != nil {
		return err
	}
	var list themes.TeamList
	if len(members) > distListLimit {
		members = members[:distListLimit]
		list.MoreURL = distPath + "/team?level=" + strconv.Itoa(depth) + "&page=" + strconv.Itoa(page+1)
	}
	for _, m := range members {
		it := themes.TeamItem{Name: m.Name, Initial: initial(m.Name), IsDist: m.IsDist, Team: m.Team, At: messageTime(m.BoundAt)}
		if m.Avatar != "" {
			it.Avatar = themes.Image(m.Avatar, themes.ImageSmall)
		}
		list.Items = append(list.Items, it)
	}
	shell, t, err := h.distShell(c, "distc.team")
	if err != nil {
		return err
	}
	if isHTMX(c) && page > 1 {
		h.render(c, http.StatusOK, t.TeamItems(list))
		return nil
	}
	levels, all, err := h.db.TeamCounts(ctx, cu.ID)
	if err != nil {
		return err
	}
	vm := themes.TeamPage{Page: shell, BackURL: distPath, Total: all, List: list}
	for i, n := range levels {
		vm.Tabs = append(vm.Tabs, themes.TeamTab{Depth: i + 1, Label: i18n.Tc(ctx, "distc.team_level", "level", i+1), Count: n,
			URL: distPath + "/team?level=" + strconv.Itoa(i+1), Active: i+1 == depth})
	}
	h.render(c, http.StatusOK, t.Team(vm))
	return nil
}

// withdrawForm is the withdrawal page with what was typed.
func (h *Handler) withdrawForm(c *gin.Context, d *store.DistributorStanding) (themes.WithdrawPage, themes.DistributorTheme, error) {
	ctx := c.Request.Context()
	shell, t, err := h.distShell(c, "distc.withdraw_title")
	if err != nil {
		return themes.WithdrawPage{}, nil, err
	}
	s := h.db.DistSettings(ctx)
	vm := themes.WithdrawPage{Page: shell, BackURL: distPath, Action: distPath + "/withdraw", RecordsURL: distPath + "/withdrawals",
		Balance: d.Balance, Min: s.WithdrawMin, FeeBP: s.WithdrawFeeBP, DailyLimit: s.WithdrawDaily}
	method := c.PostForm("method")
	if !s.Offers(method) {
		method = s.WithdrawVia[0]
	}
	for _, m := range store.WithdrawMethods {
		if !s.Offers(m) {
			continue
		}
		note := i18n.Tc(ctx, "distc.fee", "fee", feePercent(s.WithdrawFeeBP))
		if m == store.WithdrawWallet || s.WithdrawFeeBP == 0 {
			note = i18n.Tc(ctx, "distc.no_fee")
		}
		if m == store.WithdrawWallet {
			note = i18n.Tc(ctx, "distc.instant") + " · " + note
		}
		vm.Methods = append(vm.Methods, themes.WithdrawMethod{Key: m, Label: i18n.Tc(ctx, "distc.method."+m), Note: note, Selected: m == method})
	}
	vm.Amount = strings.TrimSpace(c.PostForm("amount"))
	vm.AccountName, vm.AccountNo, vm.BankName = c.PostForm("account_name"), c.PostForm("account_no"), c.PostForm("bank_name")
	return vm, t, nil
}

// feePercent shows a fee in basis points as a percentage ("1", "0.6").
func feePercent(bp int) string { return strconv.FormatFloat(float64(bp)/100, 'f', -1, 64) }

// distWithdrawPage is the withdrawal form.
func (h *Handler) distWithdrawPage(c *gin.Context) error {
	d, ok, err := h.distributor(c)
	if err != nil || !ok {
		return err
	}
	vm, t, err := h.withdrawForm(c, d)
	if err != nil {
		return err
	}
	h.render(c, http.StatusOK, t.Withdraw(vm))
	return nil
}

// distWithdraw takes a withdrawal request.
func (h *Handler) distWithdraw(c *gin.Context) error {
	d, ok, err := h.distributor(c)
	if err != nil || !ok {
		return err
	}
	ctx := c.Request.Context()
	vm, t, err := h.withdrawForm(c, d)
	if err != nil {
		return err
	}
	amount, perr := store.ParseFen(vm.Amount)
	if perr != nil || amount <= 0 {
		vm.Errors = themes.FieldErrors{"amount": i18n.Tc(ctx, "distc.amount_invalid")}
		h.render(c, http.StatusUnprocessableEntity, t.Withdraw(vm))
		return nil
	}
	w, err := h.db.RequestWithdrawal(ctx, store.WithdrawalInput{CustomerID: d.CustomerID, Method: c.PostForm("method"), Amount: amount,
		AccountName: vm.AccountName, AccountNo: vm.AccountNo, BankName: vm.BankName})
	var ve *store.ValidationError
	if errors.As(err, &ve) {
		vm.Errors = fieldErrors(c, err)
		h.render(c, http.StatusUnprocessableEntity, t.Withdraw(vm))
		return nil
	}
	if err != nil {
		return err
	}
	msg := i18n.Tc(ctx, "distc.withdraw_requested", "amount", w.Amount.String())
	if w.Status == store.WithdrawalPaid {
		msg = i18n.Tc(ctx, "distc.withdraw_to_wallet", "amount", w.Net.String())
	}
	if err := h.setNotice(c, msg); err != nil {
		return err
	}
	redirect(c, distPath+"/withdrawals")
	return nil
}

// distWithdrawals is 提现记录.
func (h *Handler) distWithdrawals(c *gin.Context) error {
	if ok, err := h.isDistributor(c); err != nil || !ok {
		return err
	}
	ctx := c.Request.Context()
	page := listPage(c)
	items, total, err := h.db.Withdrawals(ctx, store.WithdrawalFilter{CustomerID: currentCustomer(c).ID,
		Offset: (page - 1) * distListLimit, Limit: distListLimit})
	if err != nil {
		return err
	}
	shell, t, err := h.distShell(c, "distc.withdrawals")
	if err != nil {
		return err
	}
	vm := themes.WithdrawalsPage{Page: shell, BackURL: distPath, Notice: h.takeNotice(c)}
	for _, w := range items {
		it := themes.WithdrawalItem{No: w.No, Method: i18n.Tc(ctx, "distc.method."+w.Method), Amount: w.Amount,
			Fee: w.Fee, Net: w.Net, Status: w.Status, Note: w.ReviewNote, At: messageTime(w.CreatedAt)}
		if w.Status == store.WithdrawalPaying && w.PayoutInfo != "" {
			it.ConfirmURL = distPath + "/withdrawals/" + strconv.FormatInt(w.ID, 10) + "/confirm"
		}
		vm.Items = append(vm.Items, it)
	}
	if page*distListLimit < total {
		vm.MoreURL = distPath + "/withdrawals?page=" + strconv.Itoa(page+1)
	}
	h.render(c, http.StatusOK, t.Withdrawals(vm))
	return nil
}

// distPromote is 推广工具: the shop link, its QR code and product posters.
func (h *Handler) distPromote(c *gin.Context) error {
	if ok, err := h.isDistributor(c); err != nil || !ok {
		return err
	}
	ctx := c.Request.Context()
	code, err := h.db.RefCode(ctx, currentCustomer(c).ID)
	if err != nil {
		return err
	}
	shell, t, err := h.distShell(c, "distc.promote")
	if err != nil {
		return err
	}
	s := h.db.DistSettings(ctx)
	vm := themes.PromotePage{Page: shell, BackURL: distPath, Code: code, ShopLink: h.absURL(c, "/s/"+code),
		HomeLink: h.absURL(c, "/?ref="+code), QRURL: "/qr?u=" + "/s/" + code}
	products, _, err := h.db.Products(ctx, store.ProductFilter{Shelf: "on", Sort: store.SortSales, Limit: distPromoProducts})
	if err != nil {
		return err
	}
	ids := make([]int64, len(products))
	for i, p := range products {
		ids[i] = p.ID
	}
	rules, err := h.db.ProductCommissionRules(ctx, ids)
	if err != nil {
		return err
	}
	for _, p := range products {
		pp := themes.PromoteProduct{Title: p.Title, Price: p.Price, URL: "/p/" + strconv.FormatInt(p.ID, 10) + "?ref=" + code,
			PosterURL: "/p/" + strconv.FormatInt(p.ID, 10) + "/poster.png"}
		if p.Cover != "" {
			pp.Image = themes.Image(p.Cover, themes.ImageSmall)
		}
		if s.Enabled {
			pp.Earn = rules[p.ID].Level1Earning(p.Price, s.Rates[0])
		}
		vm.Products = append(vm.Products, pp)
	}
	h.render(c, http.StatusOK, t.Promote(vm))
	return nil
}
