package handlers

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/themes"
	"github.com/xiaodian/xiaodian/views"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// The checkout (确认订单). GET /checkout shows the lines — the selected
// lines of the cart (?from=cart) or one SKU bought at once
// (?sku_id=ID&qty=N) — with the delivery, the address or pickup store and
// the quote's prices; every choice is a link carrying the checkout's query,
// so the page works without JavaScript. The form posts the lines as
// line=SKU:QTY, the choice, the note and a checkout token made when the page
// was drawn: a double submit finds the order the first one made.

const (
	checkoutPath   = "/checkout"
	checkoutChoose = checkoutPath + "/choose"
)

// checkoutRoutes registers the checkout; it needs a customer (a guest is
// sent to sign in and comes back) and is never cached.
func (h *Handler) checkoutRoutes(r *gin.Engine) {
	g := r.Group(checkoutPath, h.requireCustomer)
	g.GET("", h.wrap(h.checkoutPage))
	g.POST("", h.wrap(h.checkoutSubmit))
	g.GET("/choose", h.wrap(h.checkoutChooser))
}

// checkoutForm is the checkout's input as the query or the form carries it.
type checkoutForm struct {
	items    []store.CheckoutItem
	fromCart bool
	delivery store.Delivery // "" = express
	address  int64
	pickup   int64
	// options are the price pipeline's choices (store.CheckoutInput.Options),
	// carried as o_<key>=<value>.
	options map[string]string
}

// optionPrefix starts the name of a checkout option's field.
const optionPrefix = "o_"

// Limits of the checkout form.
const maxCheckoutLineLen = 40

// parseCheckoutForm reads the lines and the choice: from=cart, or line=SKU:QTY
// (repeatable), or sku_id (or sku) with qty (buy now, qty 1 when missing).
// A malformed value is ErrBadRequest; quantities outside 1..MaxCartQty are
// refused by parseQty. With from=cart and no lines the caller loads the cart.
func parseCheckoutForm(v url.Values) (checkoutForm, error) {
	var f checkoutForm
	bad := func(what string) (checkoutForm, error) {
		return checkoutForm{}, fmt.Errorf("checkout %s: %w", what, ErrBadRequest)
	}
	f.fromCart = v.Get("from") == "cart"
	lines := v["line"]
	if len(lines) > store.MaxCartLines {
		return bad("lines")
	}
	seen := make(map[int64]bool, len(lines))
	for _, l := range lines {
		if len(l) > maxCheckoutLineLen {
			return bad("line")
		}
		sku, qty, ok := strings.Cut(l, ":")
		if !ok {
			return bad("line")
		}
		id, err := parseID(sku)
		if err != nil {
			return bad("line sku")
		}
		n, err := parseQty(qty)
		if err != nil {
			return bad("line qty")
		}
		if seen[id] {
			return bad("duplicate line")
		}
		seen[id] = true
		f.items = append(f.items, store.CheckoutItem{SKUID: id, Qty: n})
	}
	if sku := cmpOr(v.Get("sku_id"), v.Get("sku")); sku != "" && len(lines) == 0 {
		id, err := parseID(sku)
		if err != nil {
			return bad("sku")
		}
		n := 1
		if q := v.Get("qty"); q != "" {
			if n, err = parseQty(q); err != nil {
				return bad("qty")
			}
		}
		f.items = []store.CheckoutItem{{SKUID: id, Qty: n}}
		f.fromCart = false
	}
	if len(f.items) == 0 && !f.fromCart {
		return bad("nothing")
	}
	switch d := store.Delivery(v.Get("delivery")); d {
	case "", store.DeliveryExpress:
		f.delivery = store.DeliveryExpress
	case store.DeliveryPickup:
		f.delivery = d
	default:
		return bad("delivery")
	}
	var err error
	if f.address, err = optionalID(v.Get("address_id")); err != nil {
		return bad("address")
	}
	if f.pickup, err = optionalID(v.Get("pickup_store_id")); err != nil {
		return bad("pickup store")
	}
	for k, vals := range v {
		key, ok := strings.CutPrefix(k, optionPrefix)
		if !ok {
			continue
		}
		if key == "" || len(key) > store.MaxOptionLen || len(vals) != 1 || len(vals[0]) > store.MaxOptionLen ||
			len(f.options) >= store.MaxOptions {
			return bad("option")
		}
		if f.options == nil {
			f.options = map[string]string{}
		}
		f.options[key] = vals[0]
	}
	return f, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// parseID reads a positive id: digits only, at most 18 of them.
func parseID(s string) (int64, error) {
	if s == "" || len(s) > 18 {
		return 0, ErrBadRequest
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, ErrBadRequest
		}
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, ErrBadRequest
	}
	return id, nil
}

// optionalID is parseID where "" (and "0") means none.
func optionalID(s string) (int64, error) {
	if s == "" || s == "0" {
		return 0, nil
	}
	return parseID(s)
}

// query is the checkout's query for links: the lines (or from=cart) and
// the choice, with extra values set over it.
func (f checkoutForm) query(extra ...string) url.Values {
	q := url.Values{}
	if f.fromCart {
		q.Set("from", "cart")
	} else {
		for _, it := range f.items {
			q.Add("line", fmt.Sprintf("%d:%d", it.SKUID, it.Qty))
		}
	}
	if f.delivery == store.DeliveryPickup {
		q.Set("delivery", string(store.DeliveryPickup))
	}
	if f.address > 0 {
		q.Set("address_id", strconv.FormatInt(f.address, 10))
	}
	if f.pickup > 0 {
		q.Set("pickup_store_id", strconv.FormatInt(f.pickup, 10))
	}
	for k, v := range f.options {
		q.Set(optionPrefix+k, v)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i+1] == "" {
			q.Del(extra[i])
		} else {
			q.Set(extra[i], extra[i+1])
		}
	}
	return q
}

func (f checkoutForm) url(extra ...string) string {
	return checkoutPath + "?" + f.query(extra...).Encode()
}

// newCheckoutToken is a random token for one checkout page.
func newCheckoutToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("checkout token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// cartItems is the selected lines of the customer's cart that can be bought.
func (h *Handler) cartItems(c *gin.Context, customerID int64) ([]store.CheckoutItem, error) {
	lines, err := h.db.CartLines(c.Request.Context(), customerID)
	if err != nil {
		return nil, err
	}
	var items []store.CheckoutItem
	for _, l := range lines {
		if l.Selected && l.Available() && len(items) < store.MaxCartLines {
			items = append(items, store.CheckoutItem{SKUID: l.SKUID, Qty: l.Qty})
		}
	}
	return items, nil
}

// resolve fills the lines of a checkout from the cart and picks the default
// address or the first pickup store when none was chosen. It returns the
// active pickup stores; pickup falls back to express without any.
func (h *Handler) resolveCheckout(c *gin.Context, cu *store.Customer, f *checkoutForm) ([]*store.PickupStore, error) {
	ctx := c.Request.Context()
	if f.fromCart && len(f.items) == 0 {
		items, err := h.cartItems(c, cu.ID)
		if err != nil {
			return nil, err
		}
		f.items = items
	}
	stores, err := h.db.PickupStores(ctx, true)
	if err != nil {
		return nil, err
	}
	if len(stores) == 0 {
		f.delivery = store.DeliveryExpress
	}
	switch f.delivery {
	case store.DeliveryPickup:
		if f.pickup == 0 {
			f.pickup = stores[0].ID
		}
	default:
		if f.address == 0 {
			a, err := h.db.DefaultAddress(ctx, cu.ID)
			switch {
			case err == nil:
				f.address = a.ID
			case !errors.Is(err, store.ErrNotFound):
				return nil, err
			}
		}
	}
	return stores, nil
}

func (f checkoutForm) input(customerID int64) store.CheckoutInput {
	in := store.CheckoutInput{CustomerID: customerID, Items: f.items, FromCart: f.fromCart, Delivery: f.delivery,
		Options: f.options}
	if f.delivery == store.DeliveryPickup {
		in.PickupStoreID = f.pickup
	} else {
		in.AddressID = f.address
	}
	return in
}

// checkoutPage shows the checkout. An htmx request (the product page's
// 立即购买 inside the add-to-cart form) is told to load it as a page.
func (h *Handler) checkoutPage(c *gin.Context) error {
	if isHTMX(c) {
		redirect(c, c.Request.URL.RequestURI())
		return nil
	}
	f, err := parseCheckoutForm(c.Request.URL.Query())
	if err != nil {
		return err
	}
	cu := currentCustomer(c)
	stores, err := h.resolveCheckout(c, cu, &f)
	if err != nil {
		return err
	}
	if len(f.items) == 0 { // nothing selected in the cart
		if err := h.setCartError(c, i18n.Tc(c.Request.Context(), "checkout.nothing")); err != nil {
			return err
		}
		redirect(c, cartPath)
		return nil
	}
	token, err := newCheckoutToken()
	if err != nil {
		return err
	}
	return h.renderCheckout(c, http.StatusOK, f, stores, "", token, nil)
}

// checkoutSubmit places the order and goes to the payment page; a refusal
// draws the checkout again with 422 and the reasons.
func (h *Handler) checkoutSubmit(c *gin.Context) error {
	if err := c.Request.ParseForm(); err != nil {
		return fmt.Errorf("checkout form: %w", ErrBadRequest)
	}
	form := c.Request.PostForm
	f, err := parseCheckoutForm(form)
	if err != nil {
		return err
	}
	if len(f.items) == 0 {
		return fmt.Errorf("checkout lines: %w", ErrBadRequest)
	}
	cu := currentCustomer(c)
	in := f.input(cu.ID)
	in.Note, in.Token = form.Get("note"), form.Get("token")
	o, err := h.db.PlaceOrder(withReferral(c), in)
	if err == nil {
		redirect(c, payURL(o.No))
		return nil
	}
	var ve *store.ValidationError
	var ves store.ValidationErrors
	if !errors.As(err, &ve) && !errors.As(err, &ves) {
		return err
	}
	if na := (*store.NotAdmitted)(nil); errors.As(err, &na) {
		// Refused before the transaction (sold out): a light page, no
		// quote, so a rush of refusals stays cheap.
		return h.checkoutRefused(c, validationMessages(c, err))
	}
	stores, rerr := h.db.PickupStores(c.Request.Context(), true)
	if rerr != nil {
		return rerr
	}
	token := in.Token
	if token == "" || len(token) > store.MaxTokenLen {
		if token, rerr = newCheckoutToken(); rerr != nil {
			return rerr
		}
	}
	return h.renderCheckout(c, http.StatusUnprocessableEntity, f, stores, in.Note, token, err)
}

// checkoutRefused draws the refusal page with 422; its way back is the
// page the checkout came from, when that is one of the shop's.
func (h *Handler) checkoutRefused(c *gin.Context, messages []string) error {
	shell, err := h.accountShell(c, "checkout.page.title", "")
	if err != nil {
		return err
	}
	t, ok := h.themes.Theme().(themes.PluginTheme)
	if !ok {
		return errNoPluginTheme
	}
	back := ""
	if u, err := url.Parse(c.Request.Referer()); err == nil && u.Host == c.Request.Host && strings.HasPrefix(u.Path, "/") {
		back = u.RequestURI()
	}
	shell.Title = i18n.Tc(c.Request.Context(), "checkout.page.title")
	h.render(c, http.StatusUnprocessableEntity, t.PluginPage(themes.PluginPage{Page: shell, Title: shell.Title, BackURL: cmpOr(back, "/"),
		Body: views.Refused(messages, back)}))
	return nil
}

// validationMessages translates a validation error into its messages.
func validationMessages(c *gin.Context, err error) []string {
	ctx := c.Request.Context()
	var ve *store.ValidationError
	var ves store.ValidationErrors
	var out []string
	switch {
	case errors.As(err, &ves):
		for _, e := range ves {
			out = append(out, i18n.Tc(ctx, e.Key, e.Args...))
		}
	case errors.As(err, &ve):
		out = append(out, i18n.Tc(ctx, ve.Key, ve.Args...))
	}
	return out
}

// renderCheckout quotes the checkout and draws it with the reasons it cannot
// be submitted (placeErr's first, then the quote's).
func (h *Handler) renderCheckout(c *gin.Context, status int, f checkoutForm, stores []*store.PickupStore, note, token string, placeErr error) error {
	ctx := c.Request.Context()
	cu := currentCustomer(c)
	page, err := h.accountShell(c, "checkout.page.title", "")
	if err != nil {
		return err
	}
	vm := themes.CheckoutPage{
		Page: page, BackURL: cartPath, Action: checkoutPath, Note: note, MaxNote: store.MaxNoteLen,
		Delivery: string(f.delivery),
	}
	msgs := validationMessages(c, placeErr)
	q, err := h.db.QuoteCheckout(ctx, f.input(cu.ID))
	var ve *store.ValidationError
	var ves store.ValidationErrors
	switch {
	case err == nil:
	case errors.As(err, &ve) || errors.As(err, &ves):
		if placeErr == nil {
			msgs = append(msgs, validationMessages(c, err)...)
		}
		status = http.StatusUnprocessableEntity
	default:
		return err
	}
	if q != nil {
		if !f.fromCart && len(q.Lines) == 1 { // bought at once: back to the product
			vm.BackURL = productURL(q.Lines[0].ProductID)
		}
		vm.Delivery = string(q.Delivery)
		if q.Delivery != store.DeliveryVirtual && len(stores) > 0 {
			for _, d := range []store.Delivery{store.DeliveryExpress, store.DeliveryPickup} {
				vm.DeliveryTabs = append(vm.DeliveryTabs, themes.DeliveryTab{
					ID: string(d), URL: f.url("delivery", string(d)), Active: q.Delivery == d,
				})
			}
		}
		switch q.Delivery {
		case store.DeliveryExpress:
			vm.ChooseURL = checkoutChoose + "?" + f.query().Encode()
			if a := q.Address; a != nil {
				vm.Address = &themes.CheckoutAddress{ID: a.ID, Name: a.Name, Phone: maskMobile(a.Phone),
					Region: a.Region(), Detail: a.Detail, Default: a.IsDefault}
			} else {
				vm.NewAddressURL = addressesPath + "/new?back=" + url.QueryEscape(f.url("address_id", ""))
				if placeErr == nil {
					msgs = append(msgs, i18n.Tc(ctx, "checkout.address_required"))
				}
			}
		case store.DeliveryPickup:
			vm.ChooseURL = checkoutChoose + "?" + f.query().Encode()
			if p := q.Pickup; p != nil {
				vm.Address = &themes.CheckoutAddress{ID: p.ID, Name: p.Name, Phone: p.Phone, Detail: p.Address, Hours: p.Hours}
			} else if placeErr == nil {
				msgs = append(msgs, i18n.Tc(ctx, "checkout.pickup_required"))
			}
		}
		undeliverable := make(map[int]bool, len(q.Undeliverable))
		for _, i := range q.Undeliverable {
			undeliverable[i] = true
		}
		for i, l := range q.Lines {
			line := themes.CheckoutLine{ProductURL: productURL(l.ProductID), Title: l.Title, Spec: l.Label,
				Image: l.Image, Price: l.UnitPrice, Qty: l.Qty}
			switch l.Status {
			case store.CartOffShelf:
				line.Problem = i18n.Tc(ctx, "checkout.line_off_shelf", "title", l.Title)
			case store.CartOutOfStock:
				line.Problem = i18n.Tc(ctx, "checkout.line_out_of_stock", "title", l.Title)
			case store.CartNotEnoughStock:
				line.Problem = i18n.Tc(ctx, "checkout.line_not_enough", "title", l.Title, "stock", l.Stock)
			}
			if line.Problem == "" && undeliverable[i] {
				line.Problem = i18n.Tc(ctx, "checkout.undeliverable", "title", l.Title)
			}
			if line.Problem != "" && placeErr == nil {
				msgs = append(msgs, line.Problem)
			}
			vm.Lines = append(vm.Lines, line)
		}
		for _, a := range q.Adjustments {
			switch {
			case a.Amount == 0, a.Stage == store.StageShipping && a.Source == "core":
				// nothing, or the 配送费 row
			case a.Line >= 0 && a.Line < len(vm.Lines):
				vm.Lines[a.Line].Notes = append(vm.Lines[a.Line].Notes, themes.PriceRow{Label: a.Label, Amount: a.Amount})
			default:
				vm.Adjustments = append(vm.Adjustments, themes.PriceRow{Label: a.Label, Amount: a.Amount})
			}
		}
		for _, ch := range q.Choices {
			row := themes.CheckoutChoice{Key: ch.Key, Label: ch.Label, Summary: ch.Summary, Toggle: ch.Toggle}
			for _, o := range ch.Options {
				if o.Selected && f.options[ch.Key] == "" {
					// The form posts the choice shown, so the order is
					// placed at the price on the page (or refused).
					if f.options == nil {
						f.options = map[string]string{}
					}
					f.options[ch.Key] = o.Value
				}
				opt := themes.ChoiceOption{Label: o.Label, Detail: o.Detail, Amount: o.Amount, Selected: o.Selected, Reason: o.Reason}
				if o.Reason == "" {
					opt.URL = f.url(optionPrefix+ch.Key, o.Value)
				}
				row.Options = append(row.Options, opt)
			}
			vm.Choices = append(vm.Choices, row)
		}
		vm.Pieces, vm.Goods, vm.Shipping, vm.Discount, vm.Payable = q.Pieces(), q.Goods(), q.Shipping, q.Discount(), q.Payable()
		vm.CanSubmit = q.Buyable() && len(msgs) == 0 &&
			(q.Delivery != store.DeliveryExpress || q.Address != nil) && (q.Delivery != store.DeliveryPickup || q.Pickup != nil)
	}
	vm.Errors = msgs
	vm.Hidden = checkoutHidden(f, token)
	h.render(c, status, h.themes.Theme().Checkout(vm))
	return nil
}

// checkoutHidden is the form's hidden fields: the lines, where they came
// from, the delivery and its choice, and the token.
func checkoutHidden(f checkoutForm, token string) []themes.HiddenField {
	var hidden []themes.HiddenField
	for _, it := range f.items {
		hidden = append(hidden, themes.HiddenField{Name: "line", Value: fmt.Sprintf("%d:%d", it.SKUID, it.Qty)})
	}
	if f.fromCart {
		hidden = append(hidden, themes.HiddenField{Name: "from", Value: "cart"})
	}
	hidden = append(hidden, themes.HiddenField{Name: "delivery", Value: string(f.delivery)})
	if f.delivery == store.DeliveryPickup {
		hidden = append(hidden, themes.HiddenField{Name: "pickup_store_id", Value: strconv.FormatInt(f.pickup, 10)})
	} else {
		hidden = append(hidden, themes.HiddenField{Name: "address_id", Value: strconv.FormatInt(f.address, 10)})
	}
	for _, k := range slices.Sorted(maps.Keys(f.options)) {
		hidden = append(hidden, themes.HiddenField{Name: optionPrefix + k, Value: f.options[k]})
	}
	return append(hidden, themes.HiddenField{Name: "token", Value: token})
}

// maskMobile masks a mainland mobile number; a landline is shown as is.
func maskMobile(phone string) string {
	if len(phone) == 11 && phone[0] == '1' {
		return store.MaskPhone(phone)
	}
	return phone
}

// checkoutChooser lists the customer's addresses, or the pickup stores,
// each a link back to the checkout with that choice.
func (h *Handler) checkoutChooser(c *gin.Context) error {
	ctx := c.Request.Context()
	f, err := parseCheckoutForm(c.Request.URL.Query())
	if err != nil {
		return err
	}
	cu := currentCustomer(c)
	titleKey := "checkout.page.choose_address"
	if f.delivery == store.DeliveryPickup {
		titleKey = "checkout.page.choose_pickup"
	}
	page, err := h.accountShell(c, titleKey, "")
	if err != nil {
		return err
	}
	vm := themes.CheckoutChooserPage{Page: page, Kind: string(f.delivery), BackURL: f.url()}
	if f.delivery == store.DeliveryPickup {
		stores, err := h.db.PickupStores(ctx, true)
		if err != nil {
			return err
		}
		for i, s := range stores {
			vm.Items = append(vm.Items, themes.ChooserItem{Title: s.Name, Sub: s.Full(), Extra: s.Hours,
				URL: f.url("pickup_store_id", strconv.FormatInt(s.ID, 10)), Selected: s.ID == f.pickup || (f.pickup == 0 && i == 0)})
		}
	} else {
		list, err := h.db.Addresses(ctx, cu.ID)
		if err != nil {
			return err
		}
		for _, a := range list {
			vm.Items = append(vm.Items, themes.ChooserItem{Title: a.Name + "  " + maskMobile(a.Phone), Sub: a.Full(),
				URL: f.url("address_id", strconv.FormatInt(a.ID, 10)), Selected: a.ID == f.address || (f.address == 0 && a.IsDefault),
				Default: a.IsDefault})
		}
		if len(list) < store.MaxAddresses {
			vm.AddURL = addressesPath + "/new?back=" + url.QueryEscape(f.url("address_id", ""))
		}
	}
	h.render(c, http.StatusOK, h.themes.Theme().CheckoutChooser(vm))
	return nil
}
