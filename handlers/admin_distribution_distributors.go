package handlers

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views"
	"github.com/xiaodian/xiaodian/views/admin"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// The 分销商 list and one distributor's page with the staff's actions.

var distributorStatuses = []string{store.DistributorActive, store.DistributorPending, store.DistributorDisabled, store.DistributorRejected}

// distributorFilter reads the list's filter from the query string.
func (h *Handler) distributorFilter(c *gin.Context) (admin.DistQuery, store.DistributorFilter) {
	q := distQuery(c, "/admin/distribution/distributors", "q", "status", "level", "referrer")
	f := store.DistributorFilter{Q: q.Get("q"), Referrer: q.Get("referrer"), Offset: (q.Page - 1) * distPageSize, Limit: distPageSize}
	if s := q.Get("status"); slices.Contains(distributorStatuses, s) {
		f.Status = s
	} else {
		q.Vals.Del("status")
	}
	switch lv := q.Get("level"); lv {
	case "":
	case "default":
		f.LevelID = -1
	default:
		f.LevelID = formID(lv)
	}
	return q, f
}

// adminDistributors is the 分销商 list.
func (h *Handler) adminDistributors(c *gin.Context) error {
	return h.renderDistributors(c, http.StatusOK, admin.DesignateForm{})
}

func (h *Handler) renderDistributors(c *gin.Context, status int, des admin.DesignateForm) error {
	ctx := c.Request.Context()
	q, f := h.distributorFilter(c)
	l := admin.DistributorList{Query: q, Designate: des, Mode: h.db.DistSettings(ctx).Mode}
	var err error
	if l.Distributors, l.Total, err = h.db.Distributors(ctx, f); err != nil {
		return err
	}
	l.Pages = pages(l.Total)
	if l.Levels, err = h.db.DistributorLevels(ctx); err != nil {
		return err
	}
	if l.Counts, err = h.db.DistributorStatusCounts(ctx); err != nil {
		return err
	}
	h.render(c, status, admin.DistributorListPage(l))
	return nil
}

// adminDistributorsCSV exports the distributors the filter selects.
func (h *Handler) adminDistributorsCSV(c *gin.Context) error {
	ctx := c.Request.Context()
	_, f := h.distributorFilter(c)
	w, ok := csvStart(c, "distributors")
	if !ok {
		return nil
	}
	t := func(k string) string { return i18n.Tc(ctx, k) }
	w.Write([]string{t("distadmin.phone"), t("distadmin.nickname"), t("common.status"), t("distadmin.level"),
		t("distadmin.referrer"), t("distadmin.direct"), t("distadmin.team"), t("distadmin.pending"), t("distadmin.balance"),
		t("distadmin.settled"), t("distadmin.withdrawn"), t("distadmin.sales"), t("distadmin.joined")})
	err := h.db.EachDistributor(ctx, f, func(d store.Distributor) error {
		level := d.LevelName
		if level == "" {
			level = t("distadmin.level_default")
		}
		return w.Write([]string{"\t" + d.Phone, csvText(d.Nickname), t("distadmin.status." + d.Status), csvText(level),
			d.ReferrerPhone, strconv.Itoa(d.DirectCount), strconv.Itoa(d.TeamCount), d.Pending.String(), d.Balance.String(),
			d.Settled.String(), d.Withdrawn.String(), d.Sales.String(), d.CreatedAt.Local().Format("2006-01-02 15:04:05")})
	})
	h.csvEnd(c, w, err)
	return nil
}

// adminDesignate makes the customer with the posted phone a distributor.
func (h *Handler) adminDesignate(c *gin.Context) error {
	ctx := c.Request.Context()
	f := admin.DesignateForm{Phone: strings.TrimSpace(c.PostForm("phone"))}
	id, err := h.db.CustomerIDByPhone(ctx, f.Phone, "phone")
	if err == nil {
		err = h.db.DesignateDistributor(ctx, id, staffActor(ctx))
	}
	var v store.ValidationErrors
	if addValidation(&v, err) {
		f.Errors = formErrors(ctx, v)
		return h.renderDistributors(c, http.StatusUnprocessableEntity, f)
	}
	if err != nil {
		return err
	}
	h.log.Info("distributor designated", "customer_id", id, "actor", staffActor(ctx))
	h.addFlash(c, "success", i18n.Tc(ctx, "distadmin.designated", "phone", f.Phone))
	redirect(c, admin.DistributorURL(id))
	return nil
}

// distributorDetail loads a distributor's page model.
func (h *Handler) distributorDetail(c *gin.Context) (admin.DistributorDetail, error) {
	ctx := c.Request.Context()
	id, err := adminID(c)
	if err != nil {
		return admin.DistributorDetail{}, err
	}
	d := admin.DistributorDetail{}
	if d.D, err = h.db.DistributorByID(ctx, id); err != nil {
		return d, err
	}
	d.LevelID = d.D.LevelID
	if d.Levels, err = h.db.DistributorLevels(ctx); err != nil {
		return d, err
	}
	if d.Ledger, err = h.db.CommissionLedger(ctx, id, 50); err != nil {
		return d, err
	}
	log, err := h.db.ReferralLog(ctx, id)
	if err != nil {
		return d, err
	}
	phones := map[int64]string{}
	phone := func(id int64) string {
		if id == 0 {
			return ""
		}
		if p, ok := phones[id]; ok {
			return p
		}
		if cu, err := h.db.CustomerByID(ctx, id); err == nil {
			phones[id] = cu.Phone
		}
		return phones[id]
	}
	for _, e := range log {
		d.ReferralLog = append(d.ReferralLog, admin.ReferralLogRow{ReferralLogEntry: e, From: phone(e.FromReferrer), To: phone(e.ToReferrer)})
	}
	return d, nil
}

// adminDistributor shows one distributor.
func (h *Handler) adminDistributor(c *gin.Context) error {
	d, err := h.distributorDetail(c)
	if err != nil {
		return err
	}
	h.render(c, http.StatusOK, admin.DistributorDetailPage(d))
	return nil
}

// distributorAction runs one of the page's forms: a flash and back on
// success, the page again with 422 and the messages beside that form's
// fields on a validation error, a flash on a status conflict.
func (h *Handler) distributorAction(c *gin.Context, done string, act func(d *admin.DistributorDetail) error,
	fill func(d *admin.DistributorDetail, fe views.FormErrors)) error {
	ctx := c.Request.Context()
	d, err := h.distributorDetail(c)
	if err != nil {
		return err
	}
	back := admin.DistributorURL(d.D.CustomerID)
	err = act(&d)
	var v store.ValidationErrors
	switch {
	case err == nil:
		h.addFlash(c, "success", i18n.Tc(ctx, done))
		redirect(c, back)
		return nil
	case addValidation(&v, err):
		fill(&d, formErrors(ctx, v))
		h.render(c, http.StatusUnprocessableEntity, admin.DistributorDetailPage(d))
		return nil
	case isConflict(err):
		h.addFlash(c, "error", i18n.Tc(ctx, "distadmin.state_changed"))
		redirect(c, back)
		return nil
	}
	return err
}

// adminDistributorStatus disables (with a reason) or enables a distributor.
func (h *Handler) adminDistributorStatus(c *gin.Context) error {
	ctx := c.Request.Context()
	disabled, reason := c.PostForm("disabled") == "1", c.PostForm("reason")
	done := "distadmin.enabled_done"
	if disabled {
		done = "distadmin.disabled_done"
	}
	return h.distributorAction(c, done, func(d *admin.DistributorDetail) error {
		d.StatusReason = reason
		err := h.db.SetDistributorDisabled(ctx, d.D.CustomerID, disabled, reason, staffActor(ctx))
		if err == nil {
			h.log.Info("distributor status", "customer_id", d.D.CustomerID, "disabled", disabled, "reason", reason, "actor", staffActor(ctx))
		}
		return err
	}, func(d *admin.DistributorDetail, fe views.FormErrors) { d.StatusErrors = fe })
}

// adminDistributorLevel sets a distributor's level by hand.
func (h *Handler) adminDistributorLevel(c *gin.Context) error {
	ctx := c.Request.Context()
	level := formID(c.PostForm("level_id"))
	return h.distributorAction(c, "distadmin.level_set", func(d *admin.DistributorDetail) error {
		d.LevelID = level
		err := h.db.SetDistributorLevel(ctx, d.D.CustomerID, level, staffActor(ctx))
		if err == nil {
			h.log.Info("distributor level set", "customer_id", d.D.CustomerID, "level_id", level, "actor", staffActor(ctx))
		}
		return err
	}, func(d *admin.DistributorDetail, fe views.FormErrors) { d.LevelErrors = fe })
}

// adminDistributorAdjust adds to or takes from a commission balance with a
// reason (a ledger row in the staff member's name).
func (h *Handler) adminDistributorAdjust(c *gin.Context) error {
	ctx := c.Request.Context()
	dir, raw, reason := c.PostForm("direction"), strings.TrimSpace(c.PostForm("amount")), c.PostForm("reason")
	return h.distributorAction(c, "distadmin.adjusted", func(d *admin.DistributorDetail) error {
		d.AdjustDir, d.AdjustAmount, d.AdjustReason = dir, raw, reason
		amount, err := store.ParseFen(raw)
		if err != nil || amount == 0 {
			return store.Invalid("amount", "distadmin.adjust_amount", "max", store.MaxCommissionAdjust.Yuan())
		}
		if dir == "deduct" {
			amount = -amount
		}
		_, err = h.db.AdjustCommission(ctx, d.D.CustomerID, amount, reason, staffActor(ctx))
		return err
	}, func(d *admin.DistributorDetail, fe views.FormErrors) {
		if msg, ok := fe["reason"]; ok {
			fe["adjust_reason"] = msg
		}
		d.AdjustErrors = fe
	})
}

// adminDistributorRebind binds the distributor under another referrer (a
// phone; empty: none) with a reason; a cycle is refused with the message.
func (h *Handler) adminDistributorRebind(c *gin.Context) error {
	ctx := c.Request.Context()
	phone, reason := strings.TrimSpace(c.PostForm("referrer")), c.PostForm("reason")
	return h.distributorAction(c, "distadmin.rebound", func(d *admin.DistributorDetail) error {
		d.RebindPhone, d.RebindReason = phone, reason
		var to int64
		if phone != "" {
			var err error
			if to, err = h.db.CustomerIDByPhone(ctx, phone, "referrer"); err != nil {
				return err
			}
		}
		err := h.db.Rebind(ctx, d.D.CustomerID, to, reason, staffActor(ctx))
		if errors.Is(err, store.ErrNotFound) {
			return store.Invalid("referrer", "distadmin.customer_unknown")
		}
		return err
	}, func(d *admin.DistributorDetail, fe views.FormErrors) {
		if msg, ok := fe["reason"]; ok {
			fe["rebind_reason"] = msg
		}
		d.RebindErrors = fe
	})
}
