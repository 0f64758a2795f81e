package handlers

import (
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/store/media"
	"github.com/xiaodian/xiaodian/themes"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// After-sales (售后) of signed-in customers: the request form of an order
// line, the list of the customer's after-sales and one after-sale, where
// the buyer sends the return parcel's number or withdraws. Everything is
// personal and never cached; another customer's order or after-sale is the
// friendly 404.

// Customer photo uploads are smaller than the back office's.
const (
	aftersalePhotoMaxBytes = 5 << 20
	aftersaleBodyLimit     = store.MaxAftersalePhotos*aftersalePhotoMaxBytes + 1<<20
)

// aftersaleRoutes registers the buyer's after-sale pages.
func (h *Handler) aftersaleRoutes(r *gin.Engine) {
	o := r.Group(ordersPath, h.requireCustomer)
	o.GET("/:id/aftersale", h.wrap(h.aftersaleNew))
	o.POST("/:id/aftersale", h.wrap(h.aftersaleCreate))
	g := r.Group(aftersalesPath, h.requireCustomer)
	g.GET("", h.wrap(h.aftersalesPage))
	g.GET("/:id", h.wrap(h.aftersalePage))
	g.POST("/:id/withdraw", h.wrap(h.aftersaleWithdraw))
	g.POST("/:id/return", h.wrap(h.aftersaleShipBack))
}

func aftersaleURL(id int64) string { return aftersalesPath + "/" + strconv.FormatInt(id, 10) }

func aftersaleFormURL(orderID int64) string { return orderURL(orderID) + "/aftersale" }

// aftersaleForm is the request form being filled in.
type aftersaleForm struct {
	in     store.AftersaleInput
	amount string // as typed
	errs   store.ValidationErrors
}

// ownOrderLine loads the customer's order :id and its line lineID (the
// only line when lineID is 0 and there is one). Anything else renders the
// 404 page and returns nils.
func (h *Handler) ownOrderLine(c *gin.Context, lineID int64) (*store.Order, *store.OrderLine, error) {
	id, ok := shopID(c)
	if !ok {
		return nil, nil, h.shopNotFound(c, "")
	}
	o, err := h.db.OrderForCustomer(c.Request.Context(), currentCustomer(c).ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, h.shopNotFound(c, "")
	}
	if err != nil {
		return nil, nil, err
	}
	for i := range o.Lines {
		if o.Lines[i].ID == lineID || (lineID == 0 && len(o.Lines) == 1) {
			return o, &o.Lines[i], nil
		}
	}
	return nil, nil, h.shopNotFound(c, "")
}

// aftersaleNew shows the request form, prefilled with every piece not yet
// refunded and the most that can be refunded for them.
func (h *Handler) aftersaleNew(c *gin.Context) error {
	lineID, _ := strconv.ParseInt(c.Query("line"), 10, 64)
	o, line, err := h.ownOrderLine(c, lineID)
	if err != nil || o == nil {
		return err
	}
	lim := h.db.AftersaleLimitsFor(c.Request.Context(), o, *line)
	f := aftersaleForm{in: store.AftersaleInput{OrderID: o.ID, LineID: line.ID, Kind: lim.Kinds[0], Qty: max(lim.MaxQty, 1)}}
	return h.renderAftersaleForm(c, http.StatusOK, o, *line, lim, f, true)
}

// aftersaleCreate handles a post of the request form: the stepper and the
// photo remove buttons only redraw the form (keeping the photos uploaded
// with it); anything else asks for the after-sale.
func (h *Handler) aftersaleCreate(c *gin.Context) error {
	ctx := c.Request.Context()
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, aftersaleBodyLimit)
	var f aftersaleForm
	if err := c.Request.ParseMultipartForm(multipartMemory); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		var tooBig *http.MaxBytesError
		if !errors.As(err, &tooBig) {
			return fmt.Errorf("after-sale form: %w: %v", ErrBadRequest, err)
		}
		f.errs.Add("photos", "aftersale.photo_too_large", "max", humanBytes(aftersalePhotoMaxBytes))
	}
	// The line is in the action's query too, for a body too large to read.
	lineID, _ := strconv.ParseInt(c.PostForm("line"), 10, 64)
	if lineID == 0 {
		lineID, _ = strconv.ParseInt(c.Query("line"), 10, 64)
	}
	o, line, err := h.ownOrderLine(c, lineID)
	if err != nil || o == nil {
		return err
	}
	lim := h.db.AftersaleLimitsFor(ctx, o, *line)
	parsed, badAmount := parseAftersaleForm(c.Request.PostForm)
	parsed.errs = f.errs
	f = parsed
	f.in.OrderID, f.in.LineID = o.ID, line.ID
	photos := h.cleanImageKeys(c.PostFormArray("photos"))
	if rm := c.PostForm("remove_photo"); rm != "" {
		photos = deleteString(photos, rm)
	}
	if len(f.errs) == 0 {
		saved, err := h.saveAftersalePhotos(c, len(photos))
		if err != nil && !addValidation(&f.errs, err) {
			return err
		}
		photos = append(photos, saved...)
	}
	f.in.Photos = photos
	step := c.PostForm("step")
	if step != "" || c.PostForm("remove_photo") != "" || len(f.errs) > 0 {
		resetAmount := false
		if n, err := strconv.Atoi(step); err == nil {
			f.in.Qty, resetAmount = n, true
		}
		status := http.StatusOK
		if len(f.errs) > 0 {
			status = http.StatusUnprocessableEntity
		}
		return h.renderAftersaleForm(c, status, o, *line, lim, f, resetAmount)
	}
	if badAmount {
		f.errs.Add("amount", "aftersale.amount_invalid")
		return h.renderAftersaleForm(c, http.StatusUnprocessableEntity, o, *line, lim, f, false)
	}
	id, err := h.db.RequestAftersale(ctx, currentCustomer(c).ID, f.in)
	if errors.Is(err, store.ErrNotFound) {
		return h.shopNotFound(c, "")
	}
	if err != nil {
		if !addValidation(&f.errs, err) {
			return err
		}
		return h.renderAftersaleForm(c, http.StatusUnprocessableEntity, o, *line, lim, f, false)
	}
	if err := h.setNotice(c, i18n.Tc(ctx, "aftersale.requested")); err != nil {
		return err
	}
	redirect(c, aftersaleURL(id))
	return nil
}

// parseAftersaleForm reads the request form's fields; badAmount reports an
// amount that is typed but not a positive yuan amount (an empty one means
// the most that can be refunded).
func parseAftersaleForm(form url.Values) (f aftersaleForm, badAmount bool) {
	qty, _ := strconv.Atoi(strings.TrimSpace(form.Get("qty")))
	f.in = store.AftersaleInput{Kind: store.AftersaleKind(form.Get("kind")), Qty: qty,
		Reason: form.Get("reason"), Description: form.Get("description")}
	f.amount = strings.TrimSpace(form.Get("amount"))
	if f.amount != "" {
		amount, err := store.ParseFen(f.amount)
		if err != nil || amount <= 0 {
			return f, true
		}
		f.in.Amount = amount
	}
	return f, false
}

func deleteString(s []string, v string) []string {
	out := s[:0:0]
	for _, x := range s {
		if x != v {
			out = append(out, x)
		}
	}
	return out
}

// saveAftersalePhotos stores the photos posted as "file" with the form,
// which holds have photos already: at most MaxAftersalePhotos in all, each
// at most aftersalePhotoMaxBytes and a real image. A refused file is a
// validation error on "photos" naming it.
func (h *Handler) saveAftersalePhotos(c *gin.Context, have int) ([]string, error) {
	var files []*multipart.FileHeader
	if mf := c.Request.MultipartForm; mf != nil {
		for _, fh := range mf.File["file"] {
			if fh.Filename == "" && fh.Size == 0 {
				continue
			}
			files = append(files, fh)
		}
	}
	if have+len(files) > store.MaxAftersalePhotos {
		return nil, store.Invalid("photos", "aftersale.too_many_photos", "max", store.MaxAftersalePhotos)
	}
	keys := make([]string, 0, len(files))
	for _, fh := range files {
		if fh.Size > aftersalePhotoMaxBytes {
			return keys, store.Invalid("photos", "aftersale.photo_refused", "name", displayFileName(fh.Filename),
				"reason", i18n.Tc(c.Request.Context(), "aftersale.photo_too_large", "max", humanBytes(aftersalePhotoMaxBytes)))
		}
		img, err := h.saveUpload(fh)
		var refused *media.Error
		if errors.As(err, &refused) {
			return keys, store.Invalid("photos", "aftersale.photo_refused", "name", displayFileName(fh.Filename),
				"reason", h.refusalReason(c.Request.Context(), refused))
		}
		if err != nil {
			return keys, err
		}
		keys = append(keys, img.Key)
	}
	return keys, nil
}

func aftersaleLineView(title, label, image string, price store.Fen, qty int) themes.AftersaleLine {
	return themes.AftersaleLine{Title: title, Spec: label, Image: image, UnitPrice: price, Qty: qty}
}

// renderAftersaleForm draws the request form; resetAmount refills the
// amount with the maximum for the quantity.
func (h *Handler) renderAftersaleForm(c *gin.Context, status int, o *store.Order, line store.OrderLine, lim store.AftersaleLimits, f aftersaleForm, resetAmount bool) error {
	ctx := c.Request.Context()
	shell, err := h.accountShell(c, "aftersale.request_title", "")
	if err != nil {
		return err
	}
	vm := themes.AftersaleFormPage{
		Page: shell, BackURL: orderURL(o.ID), Action: aftersaleFormURL(o.ID) + "?line=" + strconv.FormatInt(line.ID, 10), LineID: line.ID,
		Line:  aftersaleLineView(line.Title, line.Label, line.Image, line.UnitPrice, line.Qty),
		Kinds: kindStrings(lim.Kinds), Kind: string(f.in.Kind), MaxQty: lim.MaxQty,
		Reasons: store.AftersaleReasons, Reason: f.in.Reason, Description: f.in.Description,
		MaxDesc: store.MaxAftersaleDescription, Photos: f.in.Photos, MaxPhotos: store.MaxAftersalePhotos,
		PhotoLimit: humanBytes(aftersalePhotoMaxBytes), Errors: fieldErrors(c, f.errs),
	}
	if lim.Refusal != "" {
		vm.Refusal = i18n.Tc(ctx, lim.Refusal)
	} else if lim.MaxQty == 0 {
		vm.Refusal = i18n.Tc(ctx, "aftersale.nothing_left")
	}
	vm.Qty = min(max(f.in.Qty, 1), max(lim.MaxQty, 1))
	for n := 1; n <= lim.MaxQty; n++ {
		goods, ship := store.AftersaleMax(o, line, n)
		vm.MaxAmounts = append(vm.MaxAmounts, goods+ship)
		if n == vm.Qty {
			vm.MaxAmount, vm.Shipping = goods+ship, ship
		}
	}
	vm.Amount = f.amount
	if resetAmount || vm.Amount == "" {
		vm.Amount = vm.MaxAmount.String()
	}
	if vm.Errors["order"] != "" {
		vm.Error = vm.Errors["order"]
	} else if vm.Errors["line"] != "" {
		vm.Error = vm.Errors["line"]
	}
	h.render(c, status, h.themes.Theme().AftersaleForm(vm))
	return nil
}

func kindStrings(ks []store.AftersaleKind) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = string(k)
	}
	return out
}

// aftersalesPage is the customer's after-sales, newest first.
func (h *Handler) aftersalesPage(c *gin.Context) error {
	ctx := c.Request.Context()
	page, offset := savedPage(c)
	items, total, err := h.db.CustomerAftersales(ctx, currentCustomer(c).ID, offset, savedPerPage)
	if err != nil {
		return err
	}
	shell, err := h.accountShell(c, "aftersale.list_title", "")
	if err != nil {
		return err
	}
	vm := themes.AftersalesPage{Page: shell, BackURL: "/me", Notice: h.takeNotice(c), Total: total}
	for _, a := range items {
		vm.Items = append(vm.Items, themes.AftersaleCard{
			ID: a.ID, URL: aftersaleURL(a.ID), No: a.No, Kind: string(a.Kind), Status: string(a.Status),
			Line: aftersaleLineView(a.Title, a.Label, a.Image, a.UnitPrice, a.LineQty), Qty: a.Qty,
			Amount: a.Amount, At: messageTime(a.CreatedAt),
		})
	}
	vm.Prev, vm.Next = pageLinks(aftersalesPath, page, total)
	h.render(c, http.StatusOK, h.themes.Theme().Aftersales(vm))
	return nil
}

// ownAftersale loads the customer's after-sale :id, or renders the 404
// page and returns nil.
func (h *Handler) ownAftersale(c *gin.Context) (*store.Aftersale, error) {
	id, ok := shopID(c)
	if !ok {
		return nil, h.shopNotFound(c, "")
	}
	a, err := h.db.AftersaleForCustomer(c.Request.Context(), currentCustomer(c).ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, h.shopNotFound(c, "")
	}
	return a, err
}

// aftersalePage shows one of the customer's after-sales.
func (h *Handler) aftersalePage(c *gin.Context) error {
	a, err := h.ownAftersale(c)
	if err != nil || a == nil {
		return err
	}
	return h.renderAftersale(c, http.StatusOK, a, "", "", nil)
}

func (h *Handler) renderAftersale(c *gin.Context, status int, a *store.Aftersale, carrier, tracking string, verr error) error {
	shell, err := h.accountShell(c, "aftersale.detail_title", "")
	if err != nil {
		return err
	}
	vm := themes.AftersalePage{
		Page: shell, BackURL: aftersalesPath, Notice: h.takeNotice(c), No: a.No, Kind: string(a.Kind),
		Status: string(a.Status), Line: aftersaleLineView(a.Title, a.Label, a.Image, a.UnitPrice, a.LineQty),
		Qty: a.Qty, Amount: a.Amount, Shipping: a.Shipping, Reason: a.Reason, Description: a.Description,
		Photos: a.Photos, OrderNo: a.OrderNo, OrderURL: orderURL(a.OrderID), At: messageTime(a.CreatedAt),
		RejectReason: a.RejectReason, ReturnName: a.ReturnName, ReturnPhone: a.ReturnPhone,
		ReturnAddress: a.ReturnAddress, ReturnCarrier: a.ReturnCarrier, ReturnTracking: a.ReturnTracking,
		Carrier: carrier, TrackingNo: tracking,
	}
	if verr != nil {
		vm.Errors = fieldErrors(c, verr)
	}
	if a.Status == store.AftersaleAwaitingReturn {
		vm.ShipBackURL = aftersaleURL(a.ID) + "/return"
	}
	if withdrawable(a) {
		vm.WithdrawURL = aftersaleURL(a.ID) + "/withdraw"
	}
	for _, l := range a.Logs {
		step := themes.AftersaleStep{Action: l.Action, At: messageTime(l.At)}
		switch l.Action {
		case "reject", "ship_back":
			step.Note = l.Note
		case "refund_start", "refund_failed", "refund_pending":
			continue // the provider's side of a refund is the shop's business
		}
		vm.Steps = append(vm.Steps, step)
	}
	h.render(c, status, h.themes.Theme().Aftersale(vm))
	return nil
}

// withdrawable reports whether the buyer may still withdraw a: before the
// goods went back and while no refund is under way.
func withdrawable(a *store.Aftersale) bool {
	switch a.Status {
	case store.AftersaleRequested, store.AftersaleApproved, store.AftersaleAwaitingReturn:
	default:
		return false
	}
	for _, r := range a.Refunds {
		if r.Status != store.RefundFailed {
			return false
		}
	}
	return true
}

// aftersaleWithdraw is the buyer withdrawing an after-sale.
func (h *Handler) aftersaleWithdraw(c *gin.Context) error {
	ctx := c.Request.Context()
	id, ok := shopID(c)
	if !ok {
		return h.shopNotFound(c, "")
	}
	err := h.db.WithdrawAftersale(ctx, currentCustomer(c).ID, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return h.shopNotFound(c, "")
	case errors.Is(err, store.ErrConflict):
		err = h.setNotice(c, i18n.Tc(ctx, "aftersale.state_changed"))
	case err == nil:
		err = h.setNotice(c, i18n.Tc(ctx, "aftersale.withdrawn"))
	}
	if err != nil {
		return err
	}
	redirect(c, aftersaleURL(id))
	return nil
}

// aftersaleShipBack records the return parcel; a refused number shows the
// page again with 422 and the messages beside the fields.
func (h *Handler) aftersaleShipBack(c *gin.Context) error {
	ctx := c.Request.Context()
	a, err := h.ownAftersale(c)
	if err != nil || a == nil {
		return err
	}
	carrier, tracking := c.PostForm("carrier"), c.PostForm("tracking_no")
	err = h.db.SubmitReturnShipping(ctx, currentCustomer(c).ID, a.ID, carrier, tracking)
	var v store.ValidationErrors
	switch {
	case errors.Is(err, store.ErrNotFound):
		return h.shopNotFound(c, "")
	case errors.Is(err, store.ErrConflict):
		err = h.setNotice(c, i18n.Tc(ctx, "aftersale.state_changed"))
	case addValidation(&v, err):
		return h.renderAftersale(c, http.StatusUnprocessableEntity, a, carrier, tracking, v)
	case err == nil:
		err = h.setNotice(c, i18n.Tc(ctx, "aftersale.shipped_back"))
	}
	if err != nil {
		return err
	}
	redirect(c, aftersaleURL(a.ID))
	return nil
}
