package themes

import (
	"github.com/a-h/templ"

	"github.com/xiaodian/xiaodian/store"
)

// After-sales (售后) of a signed-in customer: the request form for one
// order line, the list of the customer's after-sales and one after-sale
// with its timeline. Like the account pages their Page has Header.Hidden
// set and no tab bar; the theme draws a title bar. Kind, status, reason and
// timeline action fields are codes the theme translates
// (aftersale.kind.<k>, aftersale.status.<s>, aftersale.reason.<r>,
// aftersale.log.<action>).

// AftersaleLine is the order line an after-sale is about.
type AftersaleLine struct {
	Title     string
	Spec      string // "红 / L"; "" = none
	Image     string // media key; "" = none
	UnitPrice store.Fen
	Qty       int // pieces bought
}

// AftersaleFormPage is the request form. A refused request shows it again
// with the input kept and Errors beside the fields. Without JavaScript the
// quantity stepper's buttons post the form back (field "step") for the
// amount of the new quantity; photos already uploaded come back as hidden
// "photos" fields and a remove button posts "remove_photo".
type AftersaleFormPage struct {
	Page
	BackURL string
	Action  string // POST: multipart form
	LineID  int64  // hidden field "line"
	Line    AftersaleLine
	// Refusal, when set, is why no after-sale may be asked for now (translated);
	// the theme shows it instead of the form.
	Refusal string

	Kinds  []string // kinds allowed now, field "kind"
	Kind   string
	Qty    int // field "qty"
	MaxQty int
	Amount string // field "amount", as typed; prefilled with MaxAmount
	// MaxAmount is the most that can be refunded for Qty pieces, shipping
	// included; Shipping is the part of it that is shipping (0 = none).
	MaxAmount store.Fen
	Shipping  store.Fen
	// MaxAmounts[i] is MaxAmount for i+1 pieces, for a script that refills
	// the amount when the quantity changes.
	MaxAmounts  []store.Fen
	Reasons     []string // field "reason"
	Reason      string
	Description string // field "description"
	MaxDesc     int
	Photos      []string // media keys already uploaded, fields "photos"
	MaxPhotos   int
	PhotoLimit  string // the size limit of one photo, e.g. "5 MB"
	Error       string // form-level message
	Errors      FieldErrors
}

// AftersaleCard is one after-sale in the customer's list.
type AftersaleCard struct {
	ID     int64
	URL    string
	No     string
	Kind   string
	Status string
	Line   AftersaleLine
	Qty    int // pieces asked about
	Amount store.Fen
	At     string // when it was asked for, formatted
}

// AftersalesPage is the customer's after-sales, newest first.
type AftersalesPage struct {
	Page
	BackURL string
	Notice  string
	Items   []AftersaleCard
	Total   int
	Prev    string
	Next    string
}

// AftersaleStep is one step of an after-sale's timeline.
type AftersaleStep struct {
	Action string // request, approve, reject, withdraw, ship_back, confirm_return, refund, ...
	Note   string // text the buyer may see (a reject reason, a tracking number); "" = none
	At     string
}

// AftersalePage is one after-sale: its status, what it is about, the
// shop's return address and the return parcel form while the goods are
// awaited, the withdraw button while it may be withdrawn, and its timeline
// (oldest first).
type AftersalePage struct {
	Page
	BackURL      string
	Notice       string
	No           string
	Kind         string
	Status       string
	Line         AftersaleLine
	Qty          int
	Amount       store.Fen
	Shipping     store.Fen
	Reason       string
	Description  string
	Photos       []string
	OrderNo      string
	OrderURL     string
	At           string
	RejectReason string

	ReturnName    string // set once a return is approved
	ReturnPhone   string
	ReturnAddress string
	// ShipBackURL, when set, is where the return parcel form posts
	// (fields "carrier", "tracking_no").
	ShipBackURL    string
	Carrier        string
	TrackingNo     string
	ReturnCarrier  string // the parcel the buyer sent
	ReturnTracking string
	Errors         FieldErrors
	// WithdrawURL, when set, is where the withdraw button posts.
	WithdrawURL string
	Steps       []AftersaleStep
}

// AftersaleForm draws the compiled theme's request form.
func (st *state) AftersaleForm(vm AftersaleFormPage) templ.Component {
	return st.wrap(st.compiled.AftersaleForm(vm))
}

// Aftersales draws the compiled theme's list of after-sales.
func (st *state) Aftersales(vm AftersalesPage) templ.Component {
	return st.wrap(st.compiled.Aftersales(vm))
}

// Aftersale draws the compiled theme's after-sale page.
func (st *state) Aftersale(vm AftersalePage) templ.Component {
	return st.wrap(st.compiled.Aftersale(vm))
}
