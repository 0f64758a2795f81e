package handlers

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views/admin"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// 佣金记录 and 提现管理: the commission rows with their totals, and the
// withdrawal queue (batch approve, reject with a reason, mark paid with
// the transfer reference), each with a CSV export.

const withdrawalsPath = "/admin/distribution/withdrawals"

// commissionFilter reads the commission list's filter.
func commissionFilter(c *gin.Context) (admin.DistQuery, store.CommissionFilter) {
	q := distQuery(c, "/admin/distribution/commissions", "phone", "no", "status", "kind", "from", "to")
	f := store.CommissionFilter{Phone: q.Get("phone"), OrderNo: q.Get("no"), Offset: (q.Page - 1) * distPageSize, Limit: distPageSize}
	if s := q.Get("status"); slices.Contains([]string{store.CommissionPending, store.CommissionSettled, store.CommissionCancelled}, s) {
		f.Status = s
	} else {
		q.Vals.Del("status")
	}
	if k := q.Get("kind"); k == store.CommissionLevel || k == store.CommissionAgent {
		f.Kind = k
	} else {
		q.Vals.Del("kind")
	}
	if t, err := time.ParseInLocation(filterDate, q.Get("from"), time.Local); err == nil {
		f.From = t
	} else {
		q.Vals.Del("from")
	}
	if t, err := time.ParseInLocation(filterDate, q.Get("to"), time.Local); err == nil {
		f.To = t.AddDate(0, 0, 1)
	} else {
		q.Vals.Del("to")
	}
	return q, f
}

// adminCommissions is the 佣金记录 list.
func (h *Handler) adminCommissions(c *gin.Context) error {
	q, f := commissionFilter(c)
	l := admin.CommissionList{Query: q}
	var err error
	if l.Commissions, l.Totals, err = h.db.Commissions(c.Request.Context(), f); err != nil {
		return err
	}
	l.Total, l.Pages = l.Totals.Count, pages(l.Totals.Count)
	h.render(c, http.StatusOK, admin.CommissionListPage(l))
	return nil
}

// adminCommissionsCSV exports the commissions the filter selects.
func (h *Handler) adminCommissionsCSV(c *gin.Context) error {
	ctx := c.Request.Context()
	_, f := commissionFilter(c)
	w, ok := csvStart(c, "commissions")
	if !ok {
		return nil
	}
	t := func(k string) string { return i18n.Tc(ctx, k) }
	w.Write([]string{t("distadmin.created_at"), t("distadmin.order_no"), t("distadmin.recipient"), t("distadmin.buyer"),
		t("distadmin.goods"), t("distadmin.kind"), t("distadmin.col_level"), t("distadmin.base_amount"), t("distadmin.rule"),
		t("distadmin.original"), t("distadmin.amount"), t("distadmin.clawed"), t("common.status"), t("distadmin.settled_at")})
	err := h.db.EachCommission(ctx, f, func(m store.Commission) error {
		settled := ""
		if !m.SettledAt.IsZero() {
			settled = m.SettledAt.Local().Format("2006-01-02 15:04:05")
		}
		return w.Write([]string{m.CreatedAt.Local().Format("2006-01-02 15:04:05"), "\t" + m.OrderNo, "\t" + m.RecipientPhone,
			"\t" + m.BuyerPhone, csvText(m.Title), t("distadmin.ckind." + m.Kind), strconv.Itoa(m.Level), m.Base.String(),
			admin.CommissionRuleText(ctx, m), m.Original.String(), m.Amount.String(), m.Clawed.String(),
			t("distadmin.cstatus." + m.Status), settled})
	})
	h.csvEnd(c, w, err)
	return nil
}

// withdrawalFilter reads the queue's tab and method.
func withdrawalFilter(c *gin.Context) (admin.DistQuery, store.WithdrawalFilter) {
	q := distQuery(c, withdrawalsPath, "status", "method")
	f := store.WithdrawalFilter{Offset: (q.Page - 1) * distPageSize, Limit: distPageSize}
	if s := q.Get("status"); slices.Contains(admin.WithdrawalTabs, s) {
		f.Status = s
	} else {
		q.Vals.Del("status")
	}
	if m := q.Get("method"); slices.Contains(store.WithdrawMethods, m) {
		f.Method = m
	} else {
		q.Vals.Del("method")
	}
	return q, f
}

// adminWithdrawals is the 提现管理 queue.
func (h *Handler) adminWithdrawals(c *gin.Context) error {
	return h.renderWithdrawals(c, http.StatusOK, admin.WithdrawalList{})
}

func (h *Handler) renderWithdrawals(c *gin.Context, status int, l admin.WithdrawalList) error {
	ctx := c.Request.Context()
	var f store.WithdrawalFilter
	l.Query, f = withdrawalFilter(c)
	var err error
	if l.Withdrawals, l.Total, err = h.db.Withdrawals(ctx, f); err != nil {
		return err
	}
	l.Pages = pages(l.Total)
	if l.Counts, err = h.db.WithdrawalStatusCounts(ctx); err != nil {
		return err
	}
	l.Payout = map[string]bool{}
	for _, m := range []string{store.WithdrawWeChat, store.WithdrawAlipay} {
		_, l.Payout[m] = h.plugins.Payouter(m)
	}
	h.render(c, status, admin.WithdrawalListPage(l))
	return nil
}

// maxWithdrawalExport bounds one payout file.
const maxWithdrawalExport = 10_000

// adminWithdrawalsCSV exports the tab's withdrawals for the bank payout:
// name, card, bank, net amount and number first.
func (h *Handler) adminWithdrawalsCSV(c *gin.Context) error {
	ctx := c.Request.Context()
	_, f := withdrawalFilter(c)
	f.Offset, f.Limit = 0, maxWithdrawalExport
	list, _, err := h.db.Withdrawals(ctx, f)
	if err != nil {
		return err
	}
	w, ok := csvStart(c, "withdrawals")
	if !ok {
		return nil
	}
	t := func(k string) string { return i18n.Tc(ctx, k) }
	w.Write([]string{t("distadmin.account_name"), t("distadmin.account_no"), t("distadmin.bank_name"), t("distadmin.net"),
		t("distadmin.withdrawal_no"), t("distadmin.amount"), t("distadmin.fee"), t("distadmin.method"), t("common.status"),
		t("distadmin.phone"), t("distadmin.created_at")})
	for _, x := range list {
		if err = w.Write([]string{csvText(x.AccountName), "\t" + x.AccountNo, csvText(x.BankName), x.Net.String(), "\t" + x.No,
			x.Amount.String(), x.Fee.String(), t("distadmin.method." + x.Method), t("distadmin.wstatus." + x.Status),
			"\t" + x.Phone, x.CreatedAt.Local().Format("2006-01-02 15:04:05")}); err != nil {
			break
		}
	}
	h.csvEnd(c, w, err)
	return nil
}

// adminWithdrawalsApprove approves the ticked pending withdrawals.
func (h *Handler) adminWithdrawalsApprove(c *gin.Context) error {
	ctx := c.Request.Context()
	var ids []int64
	for _, s := range c.PostFormArray("ids") {
		if id := formID(s); id > 0 && !slices.Contains(ids, id) && len(ids) < 500 {
			ids = append(ids, id)
		}
	}
	back := adminBack(c, withdrawalsPath)
	if len(ids) == 0 {
		h.addFlash(c, "warning", i18n.Tc(ctx, "distadmin.none_selected"))
		redirect(c, back)
		return nil
	}
	n, err := h.db.ApproveWithdrawals(ctx, ids, staffActor(ctx))
	if err != nil {
		return err
	}
	h.addFlash(c, "success", i18n.Tc(ctx, "distadmin.withdrawals_approved", "count", n))
	redirect(c, back)
	return nil
}

// withdrawalAction runs reject or mark paid on one withdrawal: a flash on
// success or conflict, the queue with the message on a validation error.
func (h *Handler) withdrawalAction(c *gin.Context, action, done string, act func(id int64) error, l admin.WithdrawalList) error {
	ctx := c.Request.Context()
	id, err := adminID(c)
	if err != nil {
		return err
	}
	err = act(id)
	var v store.ValidationErrors
	back := adminBack(c, withdrawalsPath)
	switch {
	case err == nil:
		h.addFlash(c, "success", i18n.Tc(ctx, done))
	case addValidation(&v, err):
		l.ActionID, l.Action, l.ActionErrors = id, action, formErrors(ctx, v)
		return h.renderWithdrawals(c, http.StatusUnprocessableEntity, l)
	case isConflict(err):
		h.addFlash(c, "error", i18n.Tc(ctx, "distadmin.state_changed"))
	default:
		return err
	}
	redirect(c, back)
	return nil
}

// adminWithdrawalReject refuses a withdrawal; the amount goes back.
func (h *Handler) adminWithdrawalReject(c *gin.Context) error {
	ctx := c.Request.Context()
	reason := c.PostForm("reason")
	return h.withdrawalAction(c, "reject", "distadmin.withdrawal_rejected", func(id int64) error {
		return h.db.RejectWithdrawal(ctx, id, reason, staffActor(ctx))
	}, admin.WithdrawalList{Reason: reason})
}

// adminWithdrawalPaid records the transfer of an approved withdrawal.
func (h *Handler) adminWithdrawalPaid(c *gin.Context) error {
	ctx := c.Request.Context()
	ref := c.PostForm("ref")
	return h.withdrawalAction(c, "paid", "distadmin.withdrawal_paid", func(id int64) error {
		return h.db.MarkWithdrawalPaid(ctx, id, ref, staffActor(ctx))
	}, admin.WithdrawalList{Ref: ref})
}
