package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views/admin"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// 分销申请: the applications waiting for review (distributors in status
// pending), approved or rejected with a reason.

const applicationsPath = "/admin/distribution/applications"

// adminApplications lists the applications of one status (pending first).
func (h *Handler) adminApplications(c *gin.Context) error {
	return h.renderApplications(c, http.StatusOK, admin.ApplicationList{})
}

func (h *Handler) renderApplications(c *gin.Context, status int, l admin.ApplicationList) error {
	ctx := c.Request.Context()
	l.Query = distQuery(c, applicationsPath, "status", "q")
	st := l.Query.Get("status")
	if st != store.DistributorRejected && st != store.DistributorActive {
		st = store.DistributorPending
		l.Query.Vals.Del("status")
	}
	var err error
	l.Applications, l.Total, err = h.db.Distributors(ctx, store.DistributorFilter{Status: st, Q: l.Query.Get("q"),
		Offset: (l.Query.Page - 1) * distPageSize, Limit: distPageSize})
	if err != nil {
		return err
	}
	l.Pages = pages(l.Total)
	if l.Counts, err = h.db.DistributorStatusCounts(ctx); err != nil {
		return err
	}
	h.render(c, status, admin.ApplicationListPage(l))
	return nil
}

// adminApplicationApprove approves an application.
func (h *Handler) adminApplicationApprove(c *gin.Context) error {
	ctx := c.Request.Context()
	id, err := adminID(c)
	if err != nil {
		return err
	}
	err = h.db.ApproveApplication(ctx, id, staffActor(ctx))
	switch {
	case isConflict(err):
		h.addFlash(c, "error", i18n.Tc(ctx, "distadmin.state_changed"))
	case err != nil:
		return err
	default:
		h.log.Info("distributor application approved", "customer_id", id, "actor", staffActor(ctx))
		h.addFlash(c, "success", i18n.Tc(ctx, "distadmin.approved"))
	}
	redirect(c, applicationsPath)
	return nil
}

// adminApplicationReject rejects an application with a reason.
func (h *Handler) adminApplicationReject(c *gin.Context) error {
	ctx := c.Request.Context()
	id, err := adminID(c)
	if err != nil {
		return err
	}
	reason := c.PostForm("reason")
	err = h.db.RejectApplication(ctx, id, reason, staffActor(ctx))
	var v store.ValidationErrors
	switch {
	case addValidation(&v, err):
		return h.renderApplications(c, http.StatusUnprocessableEntity, admin.ApplicationList{RejectID: id, RejectReason: reason,
			RejectErrors: formErrors(ctx, v)})
	case isConflict(err):
		h.addFlash(c, "error", i18n.Tc(ctx, "distadmin.state_changed"))
	case err != nil:
		return err
	default:
		h.log.Info("distributor application rejected", "customer_id", id, "reason", reason, "actor", staffActor(ctx))
		h.addFlash(c, "success", i18n.Tc(ctx, "distadmin.rejected"))
	}
	redirect(c, applicationsPath)
	return nil
}
