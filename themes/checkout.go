package themes

import (
	"github.com/a-h/templ"

	"github.com/xiaodian/xiaodian/store"
)

// The checkout (确认订单): the delivery switch, the chosen address or pickup
// store, the lines, the price breakdown and the sticky 提交订单 bar, and the
// chooser page of addresses or pickup stores. Every switch is a link to the
// checkout page carrying the choice, so the page works without JavaScript;
// the form posts the lines, the choice and a checkout token (one order per
// token).

// Delivery tab ids of the checkout's switch; the theme says
// checkout.page.delivery.<id>.
const (
	DeliveryExpress = "express" // 快递配送
	DeliveryPickup  = "pickup"  // 门店自提
	DeliveryVirtual = "virtual" // nothing to ship; no switch is drawn
)

// DeliveryTab is one choice of the delivery switch.
type DeliveryTab struct {
	ID     string // DeliveryExpress or DeliveryPickup
	URL    string // the checkout with this delivery
	Active bool
}

// CheckoutAddress is the chosen address card or a pickup store.
type CheckoutAddress struct {
	ID      int64
	Name    string // recipient, or the store's name
	Phone   string // masked mobile, or the store's phone
	Region  string // "广东省 深圳市 南山区"; "" for a store
	Detail  string
	Hours   string // a store's opening hours; "" = none
	Default bool
}

// CheckoutLine is one line to buy.
type CheckoutLine struct {
	ProductURL string
	Title      string
	Spec       string // "" = none
	Image      string // media key; "" = the theme's no-image picture
	Price      store.Fen
	Qty        int
	Problem    string // why it cannot be bought (already translated); "" = fine
	// Notes are the line's own adjustments (member or activity price, a
	// line discount), already counted in Price or in the discounts.
	Notes []PriceRow
}

// PriceRow is one row of a price breakdown: a label and a signed amount
// (negative lowers the price).
type PriceRow struct {
	Label  string
	Amount store.Fen
	Text   string // shown instead of the amount, e.g. 免运费; "" = the amount
}

// CheckoutChoice is a row of the price pipeline's plugins (优惠券, 积分):
// its label and what is chosen, opening the list of options; a Toggle row
// is a switch between its first (on) and second (off) option.
type CheckoutChoice struct {
	Key     string // e.g. "coupon", for test ids
	Label   string
	Summary string
	Toggle  bool
	Options []ChoiceOption
}

// ChoiceOption is one option of a choice: a link to the checkout with it
// chosen, or, with Reason, a greyed-out option that cannot be picked.
type ChoiceOption struct {
	Label    string
	Detail   string
	Amount   store.Fen // what it saves; 0 = none shown
	Selected bool
	Reason   string
	URL      string // "" when it cannot be picked
}

// CheckoutPage is the checkout. The form posts to Action with Hidden (the
// lines, where they came from, the delivery, the address or store and the
// checkout token) and the note.
type CheckoutPage struct {
	Page
	BackURL       string
	Action        string
	Hidden        []HiddenField
	Delivery      string        // DeliveryExpress, DeliveryPickup or DeliveryVirtual
	DeliveryTabs  []DeliveryTab // empty = no switch (no active pickup store, or a virtual order)
	Address       *CheckoutAddress
	ChooseURL     string // the address or store chooser
	NewAddressURL string // add an address and come back, when the customer has none
	Lines         []CheckoutLine
	Pieces        int
	Goods         store.Fen
	Shipping      store.Fen
	Choices       []CheckoutChoice // the plugins' choices (coupon, points), above the price breakdown
	Adjustments   []PriceRow       // the order-level adjustments of the price pipeline (shipping excepted)
	Discount      store.Fen        // Σ discounts, ≥ 0; drawn as 优惠 when no adjustment lists them
	Payable       store.Fen
	Note          string
	MaxNote       int
	Errors        []string // why it cannot be submitted (translated)
	CanSubmit     bool
}

// ChooserItem is one address or pickup store to choose.
type ChooserItem struct {
	Title    string // recipient and phone, or the store's name
	Sub      string // the address
	Extra    string // opening hours; "" = none
	URL      string // the checkout with this choice
	Selected bool
	Default  bool
}

// CheckoutChooserPage lists the customer's addresses (Kind "address") or
// the pickup stores (Kind "pickup") to choose from.
type CheckoutChooserPage struct {
	Page
	Kind    string
	BackURL string
	Items   []ChooserItem
	AddURL  string // add an address and come back; "" = none
}

// Checkout draws the compiled theme's checkout page.
func (st *state) Checkout(vm CheckoutPage) templ.Component { return st.wrap(st.compiled.Checkout(vm)) }

// CheckoutChooser draws the compiled theme's address or store chooser.
func (st *state) CheckoutChooser(vm CheckoutChooserPage) templ.Component {
	return st.wrap(st.compiled.CheckoutChooser(vm))
}
