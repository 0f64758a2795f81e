package handlers

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views"
	"github.com/xiaodian/xiaodian/views/admin"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// The back office's after-sales (售后): the queue with status tabs, one
// after-sale with its photos, order and timeline and the actions its status
// allows, and the shop's return address.

const adminAftersalesPath = "/admin/aftersales"

// adminAftersalePerPage is the queue's page size.
const adminAftersalePerPage = 20

// adminAftersaleRoutes registers the after-sale pages of the back office.
func (h *Handler) adminAftersaleRoutes(g *gin.RouterGroup) {
	g.GET("/aftersales", h.wrap(h.adminAftersales))
	g.GET("/aftersales/return-address", h.wrap(h.adminReturnAddress))
	g.POST("/aftersales/return-address", h.wrap(h.adminReturnAddressSave))
	g.GET("/aftersales/:id", h.wrap(h.adminAftersale))
	g.POST("/aftersales/:id/approve", h.wrap(h.adminAftersaleApprove))
	g.POST("/aftersales/:id/reject", h.wrap(h.adminAftersaleReject))
	g.POST("/aftersales/:id/confirm-return", h.wrap(h.adminAftersaleConfirmReturn))
	g.POST("/aftersales/:id/refund", h.wrap(h.adminAftersaleRefund))
}

func adminAftersaleURL(id int64) string { return adminAftersalesPath + "/" + strconv.FormatInt(id, 10) }

// staffActor is the signed-in staff member as the logs record them.
func staffActor(ctx context.Context) store.Actor {
	s := views.Staff(ctx)
	if s == nil {
		return store.SystemActor
	}
	return store.StaffActor(s.Username)
}

// adminAftersales is the queue: one tab per status with its count.
func (h *Handler) adminAftersales(c *gin.Context) error {
	ctx := c.Request.Context()
	q := admin.AftersaleQuery{Status: c.Query("status"), No: strings.TrimSpace(c.Query("q")), Page: 1}
	if !validAftersaleStatus(q.Status) {
		q.Status = ""
	}
	if p, err := strconv.Atoi(c.Query("page")); err == nil && p > 1 {
		q.Page = p
	}
	if len(q.No) > 40 {
		q.No = q.No[:40]
	}
	items, total, err := h.db.Aftersales(ctx, store.AftersaleFilter{Status: store.AftersaleStatus(q.Status), No: q.No,
		Offset: (q.Page - 1) * adminAftersalePerPage, Limit: adminAftersalePerPage})
	if err != nil {
		return err
	}
	counts, err := h.db.AftersaleStatusCounts(ctx)
	if err != nil {
		return err
	}
	v := admin.AftersalesView{Query: q, Items: items, Total: total,
		Pages: (total + adminAftersalePerPage - 1) / adminAftersalePerPage}
	for _, s := range store.AftersaleStatuses {
		v.Tabs = append(v.Tabs, admin.AftersaleTab{Status: string(s), Count: counts[s]})
		v.All += counts[s]
	}
	h.render(c, http.StatusOK, admin.AftersalesPage(v))
	return nil
}

func validAftersaleStatus(s string) bool {
	for _, st := range store.AftersaleStatuses {
		if string(st) == s {
			return true
		}
	}
	return false
}

// adminAftersale shows one after-sale with the actions its status allows.
func (h *Handler) adminAftersale(c *gin.Context) error {
	id, err := adminID(c)
	if err != nil {
		return err
	}
	return h.renderAdminAftersale(c, http.StatusOK, id, "", nil)
}

func (h *Handler) renderAdminAftersale(c *gin.Context, status int, id int64, rejectReason string, v store.ValidationErrors) error {
	ctx := c.Request.Context()
	a, err := h.db.AftersaleByID(ctx, id)
	if err != nil {
		return err
	}
	o, err := h.db.OrderByID(ctx, a.OrderID)
	if err != nil {
		return err
	}
	addr, err := h.db.ReturnAddress(ctx)
	if err != nil {
		return err
	}
	d := admin.AftersaleDetail{A: a, Order: o, RejectReason: rejectReason, Errors: formErrors(ctx, v),
		HasReturnAddress: addr.Name != "" && addr.Address != "",
		Restock:          a.Kind == store.AftersaleReturnRefund || shippedNone(o, a.LineID)}
	for _, r := range a.Refunds {
		if r.Status == store.RefundPending {
			d.RefundPending = true
		}
	}
	d.CanRefund = a.Status == store.AftersaleApproved && !d.RefundPending &&
		(o.PayProvider == "" || o.PayProvider == store.ProviderBalance || h.refundVia(c, o.PayProvider) != nil)
	h.render(c, status, admin.AftersaleDetailPage(d))
	return nil
}

// shippedNone reports whether nothing of the order line was shipped (a
// refund then puts the pieces back on the shelf by default).
func shippedNone(o *store.Order, lineID int64) bool {
	for _, l := range o.Lines {
		if l.ID == lineID {
			return l.ShippedQty == 0
		}
	}
	return false
}

// adminAftersaleAction runs a one-click action and returns to the
// after-sale with a flash; a status that changed meanwhile is a warning.
func (h *Handler) adminAftersaleAction(c *gin.Context, do func(ctx context.Context, id int64) error, done string) error {
	ctx := c.Request.Context()
	id, err := adminID(c)
	if err != nil {
		return err
	}
	if _, err := h.db.AftersaleByID(ctx, id); err != nil {
		return err
	}
	err = do(ctx, id)
	var msg string
	switch {
	case err == nil:
		h.addFlash(c, "success", i18n.Tc(ctx, done))
	case errors.Is(err, store.ErrRefundPending):
		h.addFlash(c, "info", i18n.Tc(ctx, "aftersale.refund_pending_flash"))
	case errors.Is(err, store.ErrRefundFailed):
		h.log.Warn("refund failed", "aftersale", id, "err", err)
		h.addFlash(c, "error", i18n.Tc(ctx, "aftersale.refund_failed_flash", "error", providerMessage(err)))
	case errors.Is(err, store.ErrConflict):
		h.addFlash(c, "warning", i18n.Tc(ctx, "aftersale.state_changed"))
	default:
		var ok bool
		if msg, ok = validationMessage(ctx, err); !ok {
			return err
		}
		h.addFlash(c, "error", msg)
	}
	redirect(c, adminAftersaleURL(id))
	return nil
}

// providerMessage is the provider's part of a failed refund's error.
func providerMessage(err error) string {
	s := err.Error()
	if i := strings.Index(s, store.ErrRefundFailed.Error()+": "); i >= 0 {
		s = s[i+len(store.ErrRefundFailed.Error())+2:]
	}
	if r := []rune(s); len(r) > 120 {
		s = string(r[:120]) + "…"
	}
	return s
}

func (h *Handler) adminAftersaleApprove(c *gin.Context) error {
	return h.adminAftersaleAction(c, func(ctx context.Context, id int64) error {
		return h.db.ApproveAftersale(ctx, id, staffActor(ctx))
	}, "aftersale.approved_flash")
}

func (h *Handler) adminAftersaleConfirmReturn(c *gin.Context) error {
	return h.adminAftersaleAction(c, func(ctx context.Context, id int64) error {
		return h.db.ConfirmReturn(ctx, id, staffActor(ctx))
	}, "aftersale.confirmed_flash")
}

// adminAftersaleReject refuses an after-sale; a missing reason shows the
// page again with 422 and the message beside the field.
func (h *Handler) adminAftersaleReject(c *gin.Context) error {
	ctx := c.Request.Context()
	id, err := adminID(c)
	if err != nil {
		return err
	}
	if _, err := h.db.AftersaleByID(ctx, id); err != nil {
		return err
	}
	reason := c.PostForm("reason")
	err = h.db.RejectAftersale(ctx, id, staffActor(ctx), reason)
	var v store.ValidationErrors
	if addValidation(&v, err) {
		return h.renderAdminAftersale(c, http.StatusUnprocessableEntity, id, reason, v)
	}
	return h.adminAftersaleAction(c, func(context.Context, int64) error { return err }, "aftersale.rejected_flash")
}

// adminAftersaleRefund refunds an approved after-sale through the order's
// payment provider, putting the pieces back in stock when asked.
func (h *Handler) adminAftersaleRefund(c *gin.Context) error {
	restock := c.PostForm("restock") == "1"
	return h.adminAftersaleAction(c, func(ctx context.Context, id int64) error {
		a, err := h.db.AftersaleByID(ctx, id)
		if err != nil {
			return err
		}
		o, err := h.db.OrderByID(ctx, a.OrderID)
		if err != nil {
			return err
		}
		var refund store.RefundFunc
		if o.PayProvider != "" && o.PayProvider != store.ProviderBalance {
			if refund = h.refundVia(c, o.PayProvider); refund == nil {
				return store.Invalid("refund", "aftersale.no_refund_provider", "provider", o.PayProvider)
			}
		}
		return h.db.RefundAftersale(ctx, id, staffActor(ctx), restock, refund)
	}, "aftersale.refunded_flash")
}

// refundVia is how money goes back through the order's payment provider
// (see refundFunc), told where to send a refund notification. nil when the
// provider is unknown. Balance payments need none: the store refunds them
// to the wallet itself.
func (h *Handler) refundVia(c *gin.Context, provider string) store.RefundFunc {
	if provider == "" || provider == store.ProviderBalance {
		return nil
	}
	return h.refundFunc(c.Request.Context(), provider, h.absURL(c, payNotifyPath+provider))
}

// adminReturnAddress shows the shop's return address form.
func (h *Handler) adminReturnAddress(c *gin.Context) error {
	a, err := h.db.ReturnAddress(c.Request.Context())
	if err != nil {
		return err
	}
	h.render(c, http.StatusOK, admin.ReturnAddressPage(admin.ReturnAddressForm{Name: a.Name, Phone: a.Phone,
		Address: a.Address, Back: safeNext(c.Query("back"))}))
	return nil
}

// adminReturnAddressSave stores the shop's return address.
func (h *Handler) adminReturnAddressSave(c *gin.Context) error {
	ctx := c.Request.Context()
	f := admin.ReturnAddressForm{Name: c.PostForm("return_name"), Phone: c.PostForm("return_phone"),
		Address: c.PostForm("return_address"), Back: safeNext(c.PostForm("back"))}
	err := h.db.SetReturnAddress(ctx, store.ReturnAddress{Name: f.Name, Phone: f.Phone, Address: f.Address})
	var v store.ValidationErrors
	if addValidation(&v, err) {
		f.Errors = formErrors(ctx, v)
		h.render(c, http.StatusUnprocessableEntity, admin.ReturnAddressPage(f))
		return nil
	}
	if err != nil {
		return err
	}
	h.addFlash(c, "success", i18n.Tc(ctx, "aftersale.return_address_saved"))
	back := f.Back
	if !strings.HasPrefix(back, "/admin/") {
		back = adminAftersalesPath
	}
	redirect(c, back)
	return nil
}
