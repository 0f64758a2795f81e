package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/themes"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// The buyer's orders (我的订单): the list by status tab with "load more",
// one order with its timeline, and the buyer's actions on it (cancel an
// unpaid order, confirm receipt, buy again). Every route needs a customer
// and loads the order through db.OrderForCustomer, so another customer's
// order is the same 404 as one that does not exist.

const (
	ordersPath     = "/orders"
	aftersalesPath = "/aftersales" // the after-sales list (aftersale.go)
	ordersPerPage  = 10
	orderTimeForm  = "2006-01-02 15:04:05"
)

// orderRoutes registers the order pages and actions.
func (h *Handler) orderRoutes(r *gin.Engine) {
	g := r.Group(ordersPath, h.requireCustomer)
	g.GET("", h.wrap(h.ordersPage))
	g.GET("/:id", h.wrap(h.orderPage))
	g.GET("/:id/pickup-qr.png", h.wrap(h.orderPickupQR))
	g.POST("/:id/cancel", h.wrap(h.orderCancel))
	g.POST("/:id/receive", h.wrap(h.orderReceive))
	g.POST("/:id/rebuy", h.wrap(h.orderRebuy))
}

// orderURL is the page of order id.
func orderURL(id int64) string { return ordersPath + "/" + strconv.FormatInt(id, 10) }

// ordersTabURL is the list in one tab.
func ordersTabURL(tab store.OrderTab) string {
	if tab == store.TabAll {
		return ordersPath
	}
	return ordersPath + "?tab=" + string(tab)
}

func orderTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Local().Format(orderTimeForm)
}

// ownOrder loads the customer's order named by the :id parameter.
func (h *Handler) ownOrder(c *gin.Context) (*store.Order, error) {
	id, err := parseID(c.Param("id"))
	if err != nil {
		return nil, fmt.Errorf("order id: %w", store.ErrNotFound)
	}
	return h.db.OrderForCustomer(c.Request.Context(), currentCustomer(c).ID, id)
}

// orderLines is the lines of an order for the theme; withAftersale links
// 申请售后 for each line of a paid order.
func orderLines(o *store.Order, withAftersale bool) []themes.OrderLineView {
	out := make([]themes.OrderLineView, 0, len(o.Lines))
	for _, l := range o.Lines {
		v := themes.OrderLineView{ID: l.ID, ProductURL: productURL(l.ProductID), Title: l.Title, Spec: l.Label,
			Image: l.Image, Price: l.UnitPrice, Qty: l.Qty, Refunded: l.RefundedQty}
		if withAftersale && o.Status.Paid() && l.RefundedQty < l.Qty {
			v.AftersaleURL = orderURL(o.ID) + "/aftersale?line=" + strconv.FormatInt(l.ID, 10)
		}
		out = append(out, v)
	}
	return out
}

// orderActions is what the buyer can do with the order in its status.
func orderActions(o *store.Order, inList bool) []themes.OrderAction {
	base := orderURL(o.ID)
	var a []themes.OrderAction
	switch o.Status {
	case store.StatusPendingPayment:
		a = append(a, themes.OrderAction{Kind: themes.OrderActionCancel, URL: base + "/cancel"},
			themes.OrderAction{Kind: themes.OrderActionPay, URL: payURL(o.No), Primary: true})
	case store.StatusShipped:
		if inList {
			a = append(a, themes.OrderAction{Kind: themes.OrderActionDetail, URL: base})
		}
		a = append(a, themes.OrderAction{Kind: themes.OrderActionReceive, URL: base + "/receive", Primary: true})
	case store.StatusCompleted, store.StatusCancelled, store.StatusClosed:
		if inList {
			a = append(a, themes.OrderAction{Kind: themes.OrderActionDetail, URL: base})
		}
		a = append(a, themes.OrderAction{Kind: themes.OrderActionRebuy, URL: base + "/rebuy", Primary: o.Status == store.StatusCompleted})
	default:
		if inList {
			a = append(a, themes.OrderAction{Kind: themes.OrderActionDetail, URL: base})
		}
	}
	return a
}

// orderCard is an order in the list.
func orderCard(o *store.Order) themes.OrderCard {
	return themes.OrderCard{ID: o.ID, No: o.No, URL: orderURL(o.ID), Status: string(o.Status),
		Lines: orderLines(o, false), Pieces: o.Pieces, Payable: o.Payable, Actions: orderActions(o, true)}
}

// ordersPage is the order list in a tab; an htmx request for a further
// page gets only its cards.
func (h *Handler) ordersPage(c *gin.Context) error {
	ctx := c.Request.Context()
	cu := currentCustomer(c)
	tab := store.ParseOrderTab(c.Query("tab"))
	page := 1
	if p, err := strconv.Atoi(c.Query("page")); err == nil && p > 1 && p < 10000 {
		page = p
	}
	orders, total, err := h.db.CustomerOrders(ctx, cu.ID, tab, (page-1)*ordersPerPage, ordersPerPage)
	if err != nil {
		return err
	}
	var list themes.OrderList
	for i := range orders {
		card := orderCard(&orders[i])
		card.Back = ordersTabURL(tab)
		list.Cards = append(list.Cards, card)
	}
	if page*ordersPerPage < total {
		q := url.Values{"page": {strconv.Itoa(page + 1)}}
		if tab != store.TabAll {
			q.Set("tab", string(tab))
		}
		list.Next = ordersPath + "?" + q.Encode()
	}
	if isHTMX(c) {
		h.render(c, http.StatusOK, h.themes.Theme().OrderList(list))
		return nil
	}
	shell, err := h.accountShell(c, "order.page.title", "")
	if err != nil {
		return err
	}
	vm := themes.OrdersPage{Page: shell, BackURL: "/me", Tab: string(tab), List: list, ShopURL: "/",
		Notice: h.takeNotice(c), Error: h.takeCartError(c)}
	for _, t := range store.OrderTabs {
		vm.Tabs = append(vm.Tabs, themes.OrderTabLink{ID: string(t), URL: ordersTabURL(t), Active: t == tab})
	}
	vm.Tabs = append(vm.Tabs, themes.OrderTabLink{ID: "aftersale", URL: aftersalesPath})
	h.render(c, http.StatusOK, h.themes.Theme().Orders(vm))
	return nil
}

// cancelReasons are the cancel form's choices, in the request's language.
var cancelReasonKeys = []string{"order.page.reason.changed_mind", "order.page.reason.wrong_info",
	"order.page.reason.duplicate", "order.page.reason.better_price", "order.page.reason.other"}

// orderPage is one order.
func (h *Handler) orderPage(c *gin.Context) error {
	ctx := c.Request.Context()
	o, err := h.ownOrder(c)
	if err != nil {
		return err
	}
	shell, err := h.accountShell(c, "order.page.detail", "")
	if err != nil {
		return err
	}
	vm := themes.OrderPage{
		Page: shell, BackURL: ordersPath, ID: o.ID, No: o.No, Status: string(o.Status), Delivery: string(o.Delivery),
		ShipName: o.ShipName, ShipPhone: maskMobile(o.ShipPhone), ShipAddress: o.ShipAddress(),
		Lines: orderLines(o, true), Goods: o.Goods, Payable: o.Payable, Paid: o.Paid, Refunded: o.Refunded,
		Actions: orderActions(o, false), Notice: h.takeNotice(c), Error: h.takeCartError(c),
	}
	if o.Delivery == store.DeliveryPickup {
		vm.ShipPhone = o.ShipPhone // the store's phone
	}
	if o.Status == store.StatusPendingPayment {
		vm.Deadline, vm.DeadlineAt = o.PayDeadline.Unix(), orderTime(o.PayDeadline)
		vm.CancelURL = orderURL(o.ID) + "/cancel"
		for _, k := range cancelReasonKeys {
			vm.Reasons = append(vm.Reasons, themes.CancelReason{Value: i18n.Tc(ctx, k)})
		}
	}
	if o.Status == store.StatusToPickup && o.PickupCode != "" {
		vm.PickupCode, vm.PickupQR = o.PickupCode, orderURL(o.ID)+"/pickup-qr.png"
	}
	pieces := make(map[int64]int)
	for _, p := range o.Packages {
		n := 0
		for _, l := range p.Lines {
			n += l.Qty
			pieces[l.LineID] += l.Qty
		}
		vm.Packages = append(vm.Packages, themes.OrderPackage{Carrier: p.Carrier, TrackingNo: p.TrackingNo, At: orderTime(p.CreatedAt), Pieces: n})
	}
	lineIndex := make(map[int64]int, len(o.Lines))
	for i, l := range o.Lines {
		lineIndex[l.ID] = i
	}
	for _, a := range o.Adjustments {
		i, onLine := lineIndex[a.LineID]
		switch {
		case a.Amount == 0, a.Stage == store.StageShipping && a.Source == "core":
			// nothing, or the shipping row below
		case a.Stage == "manual":
			// the staff's price change: the 改价 row below, never its reason
		case a.LineID != 0 && onLine:
			vm.Lines[i].Notes = append(vm.Lines[i].Notes, themes.PriceRow{Label: a.Label, Amount: a.Amount})
		default:
			vm.Rows = append(vm.Rows, themes.PriceRow{Label: a.Label, Amount: a.Amount})
		}
	}
	if o.Delivery == store.DeliveryExpress {
		row := themes.PriceRow{Label: i18n.Tc(ctx, "order.page.shipping"), Amount: o.Shipping}
		if o.Shipping == 0 {
			row.Text = i18n.Tc(ctx, "order.page.free_shipping")
		}
		vm.Rows = append(vm.Rows, row)
	}
	if o.Adjust != 0 {
		vm.Rows = append(vm.Rows, themes.PriceRow{Label: i18n.Tc(ctx, "order.page.adjust"), Amount: o.Adjust})
	}
	vm.Info = append(vm.Info, themes.OrderInfoRow{Key: "no", Value: o.No, Copy: true},
		themes.OrderInfoRow{Key: "created", Value: orderTime(o.CreatedAt)})
	for _, r := range []struct {
		key string
		at  time.Time
	}{{"paid", o.PaidAt}, {"shipped", o.ShippedAt}, {"completed", o.CompletedAt}, {"cancelled", o.CancelledAt}, {"closed", o.ClosedAt}} {
		if !r.at.IsZero() {
			vm.Info = append(vm.Info, themes.OrderInfoRow{Key: r.key, Value: orderTime(r.at)})
		}
	}
	if o.Note != "" {
		vm.Info = append(vm.Info, themes.OrderInfoRow{Key: "note", Value: o.Note})
	}
	for i := len(o.Logs) - 1; i >= 0; i-- {
		l := o.Logs[i]
		if l.Action == "remark" { // the staff's remark is never shown to the buyer
			continue
		}
		action := l.Action
		if !i18n.Has("order.page.log." + action) {
			action = "update"
		}
		vm.Timeline = append(vm.Timeline, themes.OrderEvent{Action: action, At: orderTime(l.At)})
	}
	h.render(c, http.StatusOK, h.themes.Theme().Order(vm))
	return nil
}

// orderPickupQR draws the pickup order's 核销码 as a QR code for the owner.
func (h *Handler) orderPickupQR(c *gin.Context) error {
	o, err := h.ownOrder(c)
	if err != nil {
		return err
	}
	if o.Status != store.StatusToPickup || o.PickupCode == "" {
		return fmt.Errorf("pickup code: %w", store.ErrNotFound)
	}
	png, err := qrcode.Encode(o.PickupCode, qrcode.Medium, 256)
	if err != nil {
		return fmt.Errorf("pickup qr: %w", err)
	}
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "image/png", png)
	return nil
}

// orderBack is where an action returns: the posted back (a local page,
// e.g. the list) or the order.
func orderBack(c *gin.Context, o *store.Order) string {
	if b := safeShopNext(c.PostForm("back")); b != "" {
		return b
	}
	return orderURL(o.ID)
}

// orderActionDone answers an order action: ErrOrderState (paid, shipped or
// cancelled meanwhile) and refusals are shown on the page it returns to.
func (h *Handler) orderActionDone(c *gin.Context, o *store.Order, err error, doneKey string) error {
	ctx := c.Request.Context()
	switch {
	case err == nil:
		if err := h.setNotice(c, i18n.Tc(ctx, doneKey)); err != nil {
			return err
		}
	case errors.Is(err, store.ErrOrderState):
		if err := h.setCartError(c, i18n.Tc(ctx, "order.page.state_changed")); err != nil {
			return err
		}
	default:
		msgs := validationMessages(c, err)
		if len(msgs) == 0 {
			return err
		}
		if err := h.setCartError(c, msgs[0]); err != nil {
			return err
		}
	}
	redirect(c, orderBack(c, o))
	return nil
}

// orderCancel cancels the buyer's unpaid order with the chosen reason.
func (h *Handler) orderCancel(c *gin.Context) error {
	o, err := h.ownOrder(c)
	if err != nil {
		return err
	}
	err = h.db.CancelOrder(c.Request.Context(), o.CustomerID, o.ID, c.PostForm("reason"))
	return h.orderActionDone(c, o, err, "order.page.cancelled")
}

// orderReceive confirms a shipped order arrived.
func (h *Handler) orderReceive(c *gin.Context) error {
	o, err := h.ownOrder(c)
	if err != nil {
		return err
	}
	err = h.db.ConfirmReceipt(c.Request.Context(), o.CustomerID, o.ID)
	return h.orderActionDone(c, o, err, "order.page.received")
}

// orderRebuy puts the order's lines into the cart (再次购买) and opens it;
// lines that cannot be bought any more are skipped and said so.
func (h *Handler) orderRebuy(c *gin.Context) error {
	ctx := c.Request.Context()
	o, err := h.ownOrder(c)
	if err != nil {
		return err
	}
	added, skipped := 0, 0
	for _, l := range o.Lines {
		err := h.db.AddToCart(ctx, o.CustomerID, l.SKUID, l.Qty)
		var ve *store.ValidationError
		switch {
		case err == nil:
			added++
		case errors.As(err, &ve), errors.Is(err, store.ErrNotFound):
			skipped++
		default:
			return err
		}
	}
	if added == 0 {
		if err := h.setCartError(c, i18n.Tc(ctx, "order.page.rebuy_none")); err != nil {
			return err
		}
		redirect(c, orderBack(c, o))
		return nil
	}
	key := "order.page.rebuy_added"
	if skipped > 0 {
		key = "order.page.rebuy_some"
	}
	if err := h.setNotice(c, i18n.Tc(ctx, key, "n", skipped)); err != nil {
		return err
	}
	redirect(c, cartPath)
	return nil
}
