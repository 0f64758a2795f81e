package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// Provider payouts of withdrawals (WeChat 商家转账, Alipay 单笔转账): the
// back office pays an approved withdrawal through the provider of its
// method; the payout job follows the ones whose outcome is not known yet.
// See plugins/payout.go for the protocol and store/withdrawal_payout.go for
// the states.

// payoutRetryAfter is how long a paying withdrawal waits before the job
// asks the gateway about it.
const payoutRetryAfter = 2 * time.Minute

// errNoPayouter is a withdrawal method no provider can pay out now.
var errNoPayouter = errors.New("payout: no provider pays out this method")

// payoutRequest builds the gateway request of a withdrawal.
func (h *Handler) payoutRequest(ctx context.Context, p plugins.Payouter, w *store.Withdrawal) (plugins.PayoutRequest, error) {
	req := plugins.PayoutRequest{OutBillNo: store.PayoutNo(w.No), Amount: w.Net, Remark: "佣金提现"}
	switch w.Method {
	case store.WithdrawWeChat:
		pn, ok := p.(plugins.PayerNamespacer)
		if !ok {
			return req, errNoPayouter
		}
		ids, err := h.db.CustomerIdentities(ctx, w.CustomerID)
		if err != nil {
			return req, err
		}
		req.OpenID = ids[pn.PayerNamespace()]
	case store.WithdrawAlipay:
		req.Account, req.RealName = w.AccountNo, w.AccountName
	}
	return req, nil
}

// outcome reads a gateway answer as the store records it.
func outcome(r *plugins.PayoutResult) store.PayoutOutcome {
	o := store.PayoutOutcome{ProviderRef: r.ProviderRef, PackageInfo: r.PackageInfo}
	switch r.State {
	case plugins.PayoutSucceeded:
		o.Succeeded = true
	case plugins.PayoutFailed:
		o.Failed, o.Reason = true, r.Reason
	}
	return o
}

// payOut sends a paying withdrawal to its provider (again under the same
// number) and records the answer; an unknown outcome stays for the job.
func (h *Handler) payOut(ctx context.Context, p plugins.Payouter, w *store.Withdrawal) error {
	req, err := h.payoutRequest(ctx, p, w)
	if err != nil {
		return err
	}
	r, err := p.Payout(ctx, req)
	if err != nil {
		h.log.Warn("payout outcome unknown", "withdrawal", w.No, "err", err)
		return h.db.TouchPayout(ctx, w.ID)
	}
	if r.Amount > 0 && r.Amount != w.Net {
		h.log.Error("payout amount differs", "withdrawal", w.No, "want", w.Net, "gateway", r.Amount)
		return h.db.TouchPayout(ctx, w.ID)
	}
	return h.db.RecordPayout(ctx, w.ID, outcome(r))
}

// adminPayout pays an approved withdrawal through its method's provider.
func (h *Handler) adminPayout(c *gin.Context) error {
	ctx := c.Request.Context()
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return ErrBadRequest
	}
	w, err := h.db.WithdrawalByID(ctx, id)
	if err != nil {
		return err
	}
	back := c.PostForm("back")
	if back == "" || back[0] != '/' {
		back = "/admin/distribution/withdrawals"
	}
	p, ok := h.plugins.Payouter(w.Method)
	if !ok {
		h.addFlash(c, "error", i18n.Tc(ctx, "payout.unavailable"))
		redirect(c, back)
		return nil
	}
	w, err = h.db.BeginPayout(ctx, id, staffActor(ctx))
	if errors.Is(err, store.ErrWithdrawalState) {
		h.addFlash(c, "error", i18n.Tc(ctx, "payout.state"))
		redirect(c, back)
		return nil
	}
	if err != nil {
		return err
	}
	if err := h.payOut(ctx, p, w); err != nil {
		return err
	}
	w, err = h.db.WithdrawalByID(ctx, id)
	if err != nil {
		return err
	}
	switch w.Status {
	case store.WithdrawalPaid:
		h.addFlash(c, "success", i18n.Tc(ctx, "payout.paid", "no", w.No))
	case store.WithdrawalFailed:
		h.addFlash(c, "error", i18n.Tc(ctx, "payout.failed", "no", w.No, "reason", w.ReviewNote))
	default:
		h.addFlash(c, "success", i18n.Tc(ctx, "payout.sent", "no", w.No))
	}
	redirect(c, back)
	return nil
}

// payoutJob asks the gateways about withdrawals still being paid: a
// number the gateway never received is sent again under the same number.
func (h *Handler) payoutJob(ctx context.Context) error {
	ws, err := h.db.PayingWithdrawals(ctx, time.Now().Add(-payoutRetryAfter), jobBatch)
	if err != nil {
		return err
	}
	for i := range ws {
		w := &ws[i]
		p, ok := h.plugins.PayouterForQuery(w.Method)
		if !ok {
			continue
		}
		r, err := p.QueryPayout(ctx, store.PayoutNo(w.No))
		switch {
		case errors.Is(err, plugins.ErrPayoutNotFound):
			err = h.payOut(ctx, p, w)
		case err != nil:
			h.log.Warn("payout query", "withdrawal", w.No, "err", err)
			err = h.db.TouchPayout(ctx, w.ID)
		case r.State == plugins.PayoutAwaitingConfirmation && r.PackageInfo == "":
			// The query carries no package: sending the same number again
			// answers it.
			err = h.payOut(ctx, p, w)
		default:
			err = h.db.RecordPayout(ctx, w.ID, outcome(r))
		}
		if err != nil {
			return fmt.Errorf("payout %s: %w", w.No, err)
		}
	}
	return nil
}

// adminPayoutRoutes registers the payout of a withdrawal through its
// provider (the withdrawals queue's 渠道打款 button).
func (h *Handler) adminPayoutRoutes(g *gin.RouterGroup) {
	g.POST("/distribution/withdrawals/:id/payout", h.wrap(h.adminPayout))
}

// distConfirmPayout answers the page parameters of WeChat's in-app
// confirmation of the customer's own withdrawal waiting for them.
func (h *Handler) distConfirmPayout(c *gin.Context) error {
	ctx := c.Request.Context()
	c.Header("Cache-Control", "no-store")
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return ErrBadRequest
	}
	w, err := h.db.WithdrawalByID(ctx, id)
	if err != nil || w.CustomerID != currentCustomer(c).ID {
		return store.ErrNotFound
	}
	if w.Status != store.WithdrawalPaying || w.PayoutInfo == "" {
		c.JSON(http.StatusConflict, gin.H{"error": i18n.Tc(ctx, "payout.no_confirm")})
		return nil
	}
	p, ok := h.plugins.PayouterForQuery(w.Method)
	pc, ok2 := p.(plugins.PayoutConfirmer)
	if !ok || !ok2 {
		c.JSON(http.StatusConflict, gin.H{"error": i18n.Tc(ctx, "payout.no_confirm")})
		return nil
	}
	params, err := pc.PayoutConfirmParams(w.PayoutInfo)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, params)
	return nil
}
