package handlers

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views/admin"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// The payment records (支付记录), refund records (退款记录) and the
// reconciliation report (对账) of the back office.

const adminRecordsPerPage = 30

// recordProviders are the provider ids the filters offer: the wallet and
// every registered payment provider.
func (h *Handler) recordProviders() []string {
	ids := []string{store.ProviderBalance}
	for _, pid := range h.plugins.ProviderPlugins() {
		if _, ok := h.plugins.PaymentProviderForNotify(pid); ok {
			ids = append(ids, pid)
		}
	}
	return ids
}

// recordFilter reads the filter bar: unknown providers and statuses are
// dropped, dates are the shop's local days.
func recordFilter(c *gin.Context, providers, statuses []string) (admin.RecordFilter, time.Time, time.Time) {
	f := admin.RecordFilter{Query: strings.TrimSpace(c.Query("q"))}
	if len(f.Query) > 64 {
		f.Query = f.Query[:64]
	}
	if p := c.Query("provider"); contains(providers, p) {
		f.Provider = p
	}
	if s := c.Query("status"); contains(statuses, s) {
		f.Status = s
	}
	var from, to time.Time
	if d, err := time.ParseInLocation("2006-01-02", c.Query("from"), time.Local); err == nil {
		f.From, from = c.Query("from"), d
	}
	if d, err := time.ParseInLocation("2006-01-02", c.Query("to"), time.Local); err == nil {
		f.To, to = c.Query("to"), d.AddDate(0, 0, 1) // the whole last day
	}
	return f, from, to
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func pageOf(c *gin.Context) int {
	if p, err := strconv.Atoi(c.Query("page")); err == nil && p > 1 {
		return p
	}
	return 1
}

// adminPaymentRecords lists the payment attempts.
func (h *Handler) adminPaymentRecords(c *gin.Context) error {
	providers := h.recordProviders()
	f, from, to := recordFilter(c, providers, []string{store.PaymentPending, store.PaymentPaid, store.PaymentClosed, store.PaymentRefundedLate})
	page := pageOf(c)
	l := admin.PaymentRecordList{Filter: f, Providers: providers, Page: page}
	var err error
	l.Records, l.Total, err = h.db.PaymentRecords(c.Request.Context(), store.PaymentFilter{
		Provider: f.Provider, Status: f.Status, Query: f.Query, From: from, To: to,
		Offset: (page - 1) * adminRecordsPerPage, Limit: adminRecordsPerPage,
	})
	if err != nil {
		return err
	}
	l.Pages = (l.Total + adminRecordsPerPage - 1) / adminRecordsPerPage
	h.render(c, http.StatusOK, admin.PaymentRecordsPage(l))
	return nil
}

// adminRefundRecords lists the refunds.
func (h *Handler) adminRefundRecords(c *gin.Context) error {
	providers := h.recordProviders()
	f, from, to := recordFilter(c, providers, []string{store.RefundPending, store.RefundSucceeded, store.RefundFailed})
	page := pageOf(c)
	l := admin.RefundRecordList{Filter: f, Providers: providers, Page: page, StaleBefore: h.db.Now().Add(-reconcileAfter)}
	var err error
	l.Records, l.Total, err = h.db.RefundRecords(c.Request.Context(), store.RefundFilter{
		Provider: f.Provider, Status: f.Status, Query: f.Query, From: from, To: to,
		Offset: (page - 1) * adminRecordsPerPage, Limit: adminRecordsPerPage,
	})
	if err != nil {
		return err
	}
	l.Pages = (l.Total + adminRecordsPerPage - 1) / adminRecordsPerPage
	h.render(c, http.StatusOK, admin.RefundRecordsPage(l))
	return nil
}

// adminReconciliation is the reconciliation report, the last 7 days by
// default.
func (h *Handler) adminReconciliation(c *gin.Context) error {
	now := h.db.Now().In(time.Local)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.Local)
	from, to := today.AddDate(0, 0, -6), today.AddDate(0, 0, 1)
	if d, err := time.ParseInLocation("2006-01-02", c.Query("from"), time.Local); err == nil {
		from = d
	}
	if d, err := time.ParseInLocation("2006-01-02", c.Query("to"), time.Local); err == nil {
		to = d.AddDate(0, 0, 1)
	}
	if !to.After(from) || to.Sub(from) > 366*24*time.Hour {
		from, to = today.AddDate(0, 0, -6), today.AddDate(0, 0, 1)
	}
	rep, err := h.db.ReconcileReportOf(c.Request.Context(), from, to, now.Add(-reconcileAfter), time.Local, 200)
	if err != nil {
		return err
	}
	p := admin.ReconcilePage{From: from.Format("2006-01-02"), To: to.AddDate(0, 0, -1).Format("2006-01-02"), Report: rep}
	for id := range rep.Totals {
		p.Providers = append(p.Providers, id)
	}
	sort.Strings(p.Providers)
	h.render(c, http.StatusOK, admin.ReconciliationPage(p))
	return nil
}

// adminReconcileRun runs the reconciliation now.
func (h *Handler) adminReconcileRun(c *gin.Context) error {
	ctx := c.Request.Context()
	s, err := h.Reconcile(ctx)
	if err != nil {
		return err
	}
	h.addFlash(c, "success", i18n.Tc(ctx, "payments.reconciled", "checked", s.Checked, "paid", s.Paid,
		"closed", s.Closed, "refunds", s.Refunds, "late", s.LateRefunds, "errors", s.Errors))
	redirect(c, "/admin/reconciliation")
	return nil
}
