package themes

import (
	"github.com/a-h/templ"

	"github.com/xiaodian/xiaodian/store"
)

// The buyer's orders (我的订单): the list with its status tabs and "load
// more", and one order with its status banner, delivery, packages, lines,
// price breakdown, timeline and actions.

// Order action kinds; the theme says order.page.action.<kind>. Pay,
// Aftersale and Detail are links (GET URL); the others post to URL.
const (
	OrderActionPay     = "pay"     // 去支付
	OrderActionCancel  = "cancel"  // 取消订单 (reason optional)
	OrderActionReceive = "receive" // 确认收货
	OrderActionRebuy   = "rebuy"   // 再次购买
	OrderActionDetail  = "detail"  // 查看详情
)

// OrderAction is a button of an order.
type OrderAction struct {
	Kind    string
	URL     string
	Primary bool // the red button
}

// Post reports whether the action is a form post.
func (a OrderAction) Post() bool {
	return a.Kind == OrderActionCancel || a.Kind == OrderActionReceive || a.Kind == OrderActionRebuy
}

// OrderLineView is a line of an order.
type OrderLineView struct {
	ID           int64
	ProductURL   string
	Title        string
	Spec         string
	Image        string // media key
	Price        store.Fen
	Qty          int
	AftersaleURL string     // 申请售后; "" = none
	Refunded     int        // pieces refunded
	Notes        []PriceRow // the line's own adjustments (member price, line discounts)
}

// OrderCard is an order in the list.
type OrderCard struct {
	ID      int64
	No      string
	URL     string
	Status  string // store.OrderStatus; the theme says order.page.status.<status>
	Lines   []OrderLineView
	Pieces  int
	Payable store.Fen
	Actions []OrderAction
	Back    string // where a posted action returns: the list in its tab
}

// OrderTabLink is one tab of the order list.
type OrderTabLink struct {
	ID     string // store.OrderTab, or "aftersale"; the theme says order.page.tab.<id>
	URL    string
	Active bool
}

// OrderList is one page of order cards; Next is the URL of the next page
// (an htmx request for it gets the OrderList fragment).
type OrderList struct {
	Cards []OrderCard
	Next  string // "" = no more
}

// OrdersPage is the order list.
type OrdersPage struct {
	Page
	BackURL string
	Tabs    []OrderTabLink
	Tab     string
	Notice  string
	Error   string
	List    OrderList
	ShopURL string // 去逛逛 when the tab is empty
}

// OrderPackage is a parcel with its carrier and tracking number.
type OrderPackage struct {
	Carrier    string
	TrackingNo string
	At         string
	Pieces     int
}

// OrderEvent is one row of the order's timeline.
type OrderEvent struct {
	Action string // store log action; the theme says order.page.log.<action> (handlers map unknown ones to "update")
	At     string
}

// OrderInfoRow is a row of the order's facts (order number, times, note).
type OrderInfoRow struct {
	Key   string // the theme says order.page.info.<key>
	Value string
	Copy  bool // draw a 复制 button
}

// CancelReason is a choice of the cancel form's reason select.
type CancelReason struct {
	Value string // already translated
}

// OrderPage is one order.
type OrderPage struct {
	Page
	BackURL     string
	ID          int64
	No          string
	Status      string // store.OrderStatus
	Delivery    string // store.Delivery
	Deadline    int64  // pay deadline, Unix seconds (待付款); 0 = none
	DeadlineAt  string // the deadline formatted
	PickupCode  string // 核销码 (待自提)
	PickupQR    string // the QR image of the code
	ShipName    string
	ShipPhone   string
	ShipAddress string
	Packages    []OrderPackage
	Lines       []OrderLineView
	Goods       store.Fen
	Rows        []PriceRow // adjustments, shipping and the staff's price change
	Payable     store.Fen
	Paid        store.Fen
	Refunded    store.Fen
	Info        []OrderInfoRow
	Timeline    []OrderEvent // newest first
	Actions     []OrderAction
	CancelURL   string // the cancel form; "" = cannot cancel
	Reasons     []CancelReason
	Notice      string
	Error       string
}

// MemberOrderIcon is one icon of the member page's 我的订单 row: an order
// tab (store.OrderTab) or "aftersale", with a count badge (0 = none).
type MemberOrderIcon struct {
	ID    string // the theme says order.page.tab.<id>
	URL   string
	Count int
}

// Orders draws the compiled theme's order list.
func (st *state) Orders(vm OrdersPage) templ.Component { return st.wrap(st.compiled.Orders(vm)) }

// OrderList draws the compiled theme's "load more" fragment of order cards.
func (st *state) OrderList(vm OrderList) templ.Component { return st.wrap(st.compiled.OrderList(vm)) }

// Order draws the compiled theme's order page.
func (st *state) Order(vm OrderPage) templ.Component { return st.wrap(st.compiled.Order(vm)) }
