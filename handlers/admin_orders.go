package handlers

import (
	"encoding/csv"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views"
	"github.com/xiaodian/xiaodian/views/admin"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// adminOrderRoutes registers the order back office: list, export, detail
// and its actions, batch shipping, packing slips and pickup verification.
func (h *Handler) adminOrderRoutes(g *gin.RouterGroup) {
	g.GET("/orders", h.wrap(h.adminOrders))
	g.GET("/orders.csv", h.wrap(h.adminOrdersCSV))
	g.GET("/orders/print", h.wrap(h.adminPackingSlips))
	g.GET("/orders/ship-import", h.wrap(h.adminShipImportPage))
	g.POST("/orders/ship-import", h.wrap(h.adminShipImport))
	g.GET("/orders/ship-template.csv", h.wrap(h.adminShipTemplate))
	g.GET("/orders/:id", h.wrap(h.adminOrder))
	g.POST("/orders/:id/remark", h.wrap(h.adminOrderRemark))
	g.POST("/orders/:id/reprice", h.wrap(h.adminOrderReprice))
	g.POST("/orders/:id/cancel", h.wrap(h.adminOrderCancel))
	g.POST("/orders/:id/ship", h.wrap(h.adminOrderShip))

	g.GET("/pickup-verify", h.wrap(h.adminPickupVerifyPage))
	g.POST("/pickup-verify", h.wrap(h.adminPickupLookup))
	g.POST("/pickup-verify/confirm", h.wrap(h.adminPickupConfirm))
}

// orderPageSize is the number of orders on one page of the list.
const orderPageSize = 20

// filterDate is the layout of the list's date filters.
const filterDate = "2006-01-02"

// orderQuery reads the order list's filter from the query string, dropping
// what the list does not offer.
func orderQuery(c *gin.Context) admin.OrderQuery {
	q := admin.OrderQuery{Page: 1}
	if s := store.OrderStatus(c.Query("status")); slices.Contains(store.OrderStatuses, s) {
		q.Status = string(s)
	}
	clip := func(s string, n int) string {
		s = strings.TrimSpace(s)
		if r := []rune(s); len(r) > n {
			s = string(r[:n])
		}
		return s
	}
	q.No = clip(c.Query("no"), 40)
	q.Phone = clip(c.Query("phone"), 20)
	q.Product = clip(c.Query("product"), 60)
	for _, d := range []struct {
		key string
		to  *string
	}{{"from", &q.From}, {"to", &q.To}} {
		if s := strings.TrimSpace(c.Query(d.key)); s != "" {
			if _, err := time.ParseInLocation(filterDate, s, time.Local); err == nil {
				*d.to = s
			}
		}
	}
	if p, err := strconv.Atoi(c.Query("page")); err == nil && p > 1 {
		q.Page = p
	}
	return q
}

// orderFilter is the store filter of a list query (one page of it); the
// "to" date is inclusive.
func orderFilter(q admin.OrderQuery) store.OrderFilter {
	f := store.OrderFilter{
		Status:  store.OrderStatus(q.Status),
		No:      q.No,
		Phone:   q.Phone,
		Product: q.Product,
		Offset:  (max(q.Page, 1) - 1) * orderPageSize,
		Limit:   orderPageSize,
	}
	if t, err := time.ParseInLocation(filterDate, q.From, time.Local); err == nil {
		f.From = t
	}
	if t, err := time.ParseInLocation(filterDate, q.To, time.Local); err == nil {
		f.To = t.AddDate(0, 0, 1)
	}
	return f
}

// adminOrders is the order list.
func (h *Handler) adminOrders(c *gin.Context) error {
	ctx := c.Request.Context()
	q := orderQuery(c)
	orders, total, err := h.db.Orders(ctx, orderFilter(q))
	if err != nil {
		return err
	}
	pages := (total + orderPageSize - 1) / orderPageSize
	if len(orders) == 0 && q.Page > pages && pages > 0 {
		c.Redirect(http.StatusSeeOther, q.PageURL(pages))
		return nil
	}
	counts, err := h.db.OrderStatusCounts(ctx)
	if err != nil {
		return err
	}
	h.render(c, http.StatusOK, admin.OrderListPage(admin.OrderList{
		Query: q, Orders: orders, Total: total, Pages: pages, Counts: counts,
	}))
	return nil
}

// adminOrdersCSV streams the orders matching the list's filter, one row per
// order line, amounts in yuan, with a UTF-8 byte order mark for Excel. The
// order number starts with a tab so a spreadsheet keeps its 20 digits as
// text instead of rounding them (the batch-ship import trims it again).
func (h *Handler) adminOrdersCSV(c *gin.Context) error {
	ctx := c.Request.Context()
	f := orderFilter(orderQuery(c))
	name := "orders-" + time.Now().Format("20060102") + ".csv"
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="`+name+`"`)
	c.Header("Cache-Control", "no-store")
	c.Status(http.StatusOK)
	if _, err := c.Writer.WriteString("\uFEFF"); err != nil {
		return nil // the client went away
	}
	w := csv.NewWriter(c.Writer)
	w.UseCRLF = true
	t := func(key string) string { return i18n.Tc(ctx, key) }
	w.Write([]string{
		t("orders.order_no"), t("orders.created_at"), t("common.status"), t("orders.col_delivery"),
		t("orders.buyer"), t("orders.recipient_name"), t("orders.phone"), t("orders.address"),
		t("orders.col_goods"), t("orders.spec"), t("orders.sku_code"), t("orders.csv_unit_price"),
		t("orders.qty"), t("orders.shipped_qty"), t("orders.refunded_qty"), t("orders.csv_line_paid"),
		t("orders.csv_shipping"), t("orders.csv_payable"), t("orders.csv_paid"), t("orders.paid_at"),
		t("orders.buyer_note"), t("orders.remark"),
	})
	err := h.db.EachOrder(ctx, f, func(o *store.Order) error {
		paidAt := ""
		if !o.PaidAt.IsZero() {
			paidAt = o.PaidAt.Format("2006-01-02 15:04:05")
		}
		for _, l := range o.Lines {
			err := w.Write([]string{
				"\t" + o.No, o.CreatedAt.Format("2006-01-02 15:04:05"), admin.OrderStatusLabel(ctx, o.Status),
				admin.DeliveryLabel(ctx, o.Delivery), o.Phone, csvText(o.ShipName), csvText(o.ShipPhone),
				csvText(o.ShipAddress()), csvText(l.Title), csvText(l.Label), csvText(l.Code), l.UnitPrice.String(),
				strconv.Itoa(l.Qty), strconv.Itoa(l.ShippedQty), strconv.Itoa(l.RefundedQty), l.Paid.String(),
				o.Shipping.String(), o.Payable.String(), o.Paid.String(), paidAt,
				csvText(o.Note), csvText(o.Remark),
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	w.Flush()
	if err == nil {
		err = w.Error()
	}
	if err != nil {
		h.log.Error("order export", "err", err, "request_id", c.GetString("request_id"))
	}
	return nil
}

// orderDetail loads an order's page model.
func (h *Handler) orderDetail(c *gin.Context) (admin.OrderDetail, error) {
	ctx := c.Request.Context()
	id, err := adminID(c)
	if err != nil {
		return admin.OrderDetail{}, err
	}
	o, err := h.db.OrderByID(ctx, id)
	if err != nil {
		return admin.OrderDetail{}, err
	}
	pays, err := h.db.OrderPayments(ctx, id)
	if err != nil {
		return admin.OrderDetail{}, err
	}
	return admin.OrderDetail{Order: o, Payments: pays, Remark: o.Remark, RepricePayable: o.Payable.String(),
		Ship: admin.ShipForm{Carrier: admin.Carriers[0]}}, nil
}

// adminOrder shows one order.
func (h *Handler) adminOrder(c *gin.Context) error {
	d, err := h.orderDetail(c)
	if err != nil {
		return err
	}
	h.render(c, http.StatusOK, admin.OrderDetailPage(d))
	return nil
}

// orderAction runs an action from the detail page: on success a flash and
// back to the order; a validation error re-renders the page with 422 and
// the messages beside the form's fields (fill puts them in place); a
// status conflict is a flash saying the order changed meanwhile.
func (h *Handler) orderAction(c *gin.Context, done string, act func(d *admin.OrderDetail) error, fill func(d *admin.OrderDetail, fe views.FormErrors)) error {
	ctx := c.Request.Context()
	d, err := h.orderDetail(c)
	if err != nil {
		return err
	}
	back := "/admin/orders/" + strconv.FormatInt(d.Order.ID, 10)
	err = act(&d)
	var v store.ValidationErrors
	switch {
	case err == nil:
		h.addFlash(c, "success", i18n.Tc(ctx, done))
		redirect(c, back)
		return nil
	case addValidation(&v, err):
		fill(&d, formErrors(ctx, v))
		h.render(c, http.StatusUnprocessableEntity, admin.OrderDetailPage(d))
		return nil
	case isConflict(err):
		h.addFlash(c, "error", i18n.Tc(ctx, "orders.state_changed"))
		redirect(c, back)
		return nil
	}
	return err
}

// adminOrderRemark saves the staff remark.
func (h *Handler) adminOrderRemark(c *gin.Context) error {
	remark := c.PostForm("remark")
	return h.orderAction(c, "orders.remark_saved", func(d *admin.OrderDetail) error {
		d.Remark = remark
		return h.db.SetOrderRemark(c.Request.Context(), d.Order.ID, staffActor(c.Request.Context()), remark)
	}, func(d *admin.OrderDetail, fe views.FormErrors) { d.RemarkErrors = fe })
}

// adminOrderReprice changes what the buyer pays for an unpaid order.
func (h *Handler) adminOrderReprice(c *gin.Context) error {
	raw, reason := strings.TrimSpace(c.PostForm("payable")), c.PostForm("reason")
	return h.orderAction(c, "orders.repriced", func(d *admin.OrderDetail) error {
		d.RepricePayable, d.RepriceReason = raw, reason
		if d.Order.Status != store.StatusPendingPayment {
			return store.ErrOrderState
		}
		var v store.ValidationErrors
		payable, err := store.ParseFen(raw)
		if err != nil || raw == "" {
			v.Add("payable", "validation.money")
		}
		if strings.TrimSpace(reason) == "" {
			v.Add("reason", "order.reason_required")
		}
		if len(v) > 0 {
			return v.Err()
		}
		return h.db.RepriceOrder(c.Request.Context(), d.Order.ID, payable, staffActor(c.Request.Context()), reason)
	}, func(d *admin.OrderDetail, fe views.FormErrors) { d.RepriceErrors = fe })
}

// adminOrderCancel cancels an unpaid order with a reason.
func (h *Handler) adminOrderCancel(c *gin.Context) error {
	reason := c.PostForm("reason")
	return h.orderAction(c, "orders.cancelled", func(d *admin.OrderDetail) error {
		d.CancelReason = reason
		return h.db.CancelOrderByStaff(c.Request.Context(), d.Order.ID, staffActor(c.Request.Context()), reason)
	}, func(d *admin.OrderDetail, fe views.FormErrors) { d.CancelErrors = fe })
}

// adminPackingSlips prints the packing slips of the orders in ids (comma
// separated, or repeated as the list's checkboxes send them).
func (h *Handler) adminPackingSlips(c *gin.Context) error {
	ctx := c.Request.Context()
	var ids []int64
	for _, v := range c.QueryArray("ids") {
		for s := range strings.SplitSeq(v, ",") {
			if id := formID(s); id > 0 && !slices.Contains(ids, id) && len(ids) < maxSlips {
				ids = append(ids, id)
			}
		}
	}
	if len(ids) == 0 {
		h.addFlash(c, "warning", i18n.Tc(ctx, "orders.none_selected"))
		redirect(c, "/admin/orders")
		return nil
	}
	name, err := h.shopName(ctx)
	if err != nil {
		return err
	}
	p := admin.PackingSlips{ShopName: name, Printed: time.Now()}
	for _, id := range ids {
		o, err := h.db.OrderByID(ctx, id)
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return err
		}
		p.Orders = append(p.Orders, o)
	}
	if len(p.Orders) == 0 {
		return store.ErrNotFound
	}
	h.render(c, http.StatusOK, admin.PackingSlipsPage(p))
	return nil
}

// maxSlips bounds one print run.
const maxSlips = 200

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

func isConflict(err error) bool { return errors.Is(err, store.ErrConflict) }
