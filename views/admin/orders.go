package admin

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// OrderQuery is the order list's filter as the query string carries it.
type OrderQuery struct {
	Status  string // an order status, "" for all
	No      string
	Phone   string
	Product string
	From    string // 2006-01-02
	To      string // 2006-01-02, inclusive
	Page    int
}

// Values encodes q as a query string, leaving out empty fields and page 1.
func (q OrderQuery) Values() url.Values {
	v := url.Values{}
	for _, kv := range [][2]string{{"status", q.Status}, {"no", q.No}, {"phone", q.Phone},
		{"product", q.Product}, {"from", q.From}, {"to", q.To}} {
		if kv[1] != "" {
			v.Set(kv[0], kv[1])
		}
	}
	if q.Page > 1 {
		v.Set("page", strconv.Itoa(q.Page))
	}
	return v
}

// URL is the list address for q.
func (q OrderQuery) URL() string { return withQuery("/admin/orders", q.Values()) }

// PageURL is the list address for q at another page.
func (q OrderQuery) PageURL(page int) string {
	q.Page = page
	return q.URL()
}

// TabURL is the list address for q's filter in another status tab.
func (q OrderQuery) TabURL(status string) string {
	q.Status, q.Page = status, 0
	return q.URL()
}

// CSVURL is the export address for q's filter (every page).
func (q OrderQuery) CSVURL() string {
	q.Page = 0
	return withQuery("/admin/orders.csv", q.Values())
}

// Filtered reports whether a filter other than the tab narrows the list.
func (q OrderQuery) Filtered() bool {
	return q.No != "" || q.Phone != "" || q.Product != "" || q.From != "" || q.To != ""
}

// OrderTabs are the status tabs of the order list, after 全部.
var OrderTabs = []store.OrderStatus{store.StatusPendingPayment, store.StatusToShip, store.StatusToPickup,
	store.StatusShipped, store.StatusCompleted, store.StatusCancelled, store.StatusClosed}

// OrderList is the orders page.
type OrderList struct {
	Query  OrderQuery
	Orders []store.Order
	Total  int
	Pages  int
	Counts map[store.OrderStatus]int
}

// AllCount is the number of orders in every status.
func (l OrderList) AllCount() int {
	n := 0
	for _, c := range l.Counts {
		n += c
	}
	return n
}

// Tabs are the status tabs to show: the fixed ones, and 拼团中 while any
// order is grouping.
func (l OrderList) Tabs() []store.OrderStatus {
	tabs := OrderTabs
	if l.Counts[store.StatusGrouping] > 0 {
		tabs = append([]store.OrderStatus{tabs[0], store.StatusGrouping}, tabs[1:]...)
	}
	return tabs
}

// Carriers are the express companies the ship form offers; anything else
// is typed in.
var Carriers = []string{"顺丰速运", "中通快递", "圆通速递", "韵达快递", "申通快递", "EMS", "京东物流", "极兔速递"}

// ShipForm is the ship form of an order as posted.
type ShipForm struct {
	Carrier      string // one of Carriers, or "other"
	CarrierOther string
	TrackingNo   string
	Qty          map[int64]string // line id → pieces in this package
	Errors       views.FormErrors
}

// CarrierSelected reports whether option c is the chosen carrier.
func (f ShipForm) CarrierSelected(c string) bool { return f.Carrier == c }

// QtyOf is the quantity typed for a line, or what is left to ship.
func (f ShipForm) QtyOf(l store.OrderLine) string {
	if s, ok := f.Qty[l.ID]; ok {
		return s
	}
	return strconv.Itoa(l.Unshipped())
}

// OrderDetail is one order's page with its action forms.
type OrderDetail struct {
	Order    *store.Order
	Payments []store.Payment

	RepricePayable string
	RepriceReason  string
	RepriceErrors  views.FormErrors

	CancelReason string
	CancelErrors views.FormErrors

	Ship ShipForm

	Remark       string
	RemarkErrors views.FormErrors
}

// CanReprice, CanCancel and CanShip say which actions fit the order.
func (d OrderDetail) CanReprice() bool { return d.Order.Status == store.StatusPendingPayment }

// CanCancel reports whether staff may cancel the order.
func (d OrderDetail) CanCancel() bool { return d.Order.Status == store.StatusPendingPayment }

// CanShip reports whether the order waits for a package.
func (d OrderDetail) CanShip() bool {
	return d.Order.Status == store.StatusToShip && d.Order.Delivery == store.DeliveryExpress && d.Order.Unshipped() > 0
}

// LineTitle is a line's title for a line id (packages list line ids).
func (d OrderDetail) LineTitle(id int64) string {
	for _, l := range d.Order.Lines {
		if l.ID == id {
			return joinDot(l.Title, l.Label)
		}
	}
	return "#" + idStr(id)
}

// ShipImportRow is one row of a batch-ship result.
type ShipImportRow struct {
	Line       int
	No         string
	Carrier    string
	TrackingNo string
	Shipped    bool
	Reason     string // why it was skipped, in words
}

// ShipImport is the batch ship page: the upload form and, after an upload,
// the result per row.
type ShipImport struct {
	Rows    []ShipImportRow
	Done    bool // a file was processed
	Shipped int
	Skipped int
	Errors  views.FormErrors
}

// PickupVerify is the pickup counter page.
type PickupVerify struct {
	Code   string
	Order  *store.Order // the order of the code, shown before confirming
	Done   *store.Order // the order just verified
	Errors views.FormErrors
}

// PackingSlips is the print view of one or more orders.
type PackingSlips struct {
	ShopName string
	Orders   []*store.Order
	Printed  time.Time
}

// OrderStatusLabel is the words for an order status.
func OrderStatusLabel(ctx context.Context, s store.OrderStatus) string {
	return keyOr(ctx, "orders.status."+string(s), string(s))
}

// DeliveryLabel is the words for a delivery method.
func DeliveryLabel(ctx context.Context, d store.Delivery) string {
	return keyOr(ctx, "orders.delivery."+string(d), string(d))
}

// ActionLabel is the words for an order log action.
func ActionLabel(ctx context.Context, action string) string {
	return keyOr(ctx, "orders.action."+action, action)
}

// ActorLabel is who an actor is, in words: 系统, 买家, or 店员 name.
func ActorLabel(ctx context.Context, a string) string {
	switch {
	case a == string(store.SystemActor):
		return T(ctx, "orders.actor.system")
	case strings.HasPrefix(a, "customer:"):
		return T(ctx, "orders.actor.customer")
	case strings.HasPrefix(a, "staff:"):
		return T(ctx, "orders.actor.staff", "name", strings.TrimPrefix(a, "staff:"))
	case a == "core":
		return T(ctx, "orders.actor.core")
	}
	return a
}

// PaymentStatusLabel is the words for a payment attempt's status.
func PaymentStatusLabel(ctx context.Context, s string) string {
	return keyOr(ctx, "orders.payment_status."+s, s)
}

// ProviderLabel is the words for a payment provider.
func ProviderLabel(ctx context.Context, p string) string {
	if p == "" {
		return "—"
	}
	return keyOr(ctx, "orders.provider."+p, p)
}

func keyOr(ctx context.Context, key, fallback string) string {
	if i18n.Has(key) {
		return T(ctx, key)
	}
	return fallback
}

// statusBadge is the badge class of an order status.
func statusBadge(s store.OrderStatus) string {
	switch s {
	case store.StatusPendingPayment:
		return "badge badge-warning"
	case store.StatusToShip, store.StatusToPickup, store.StatusGrouping:
		return "badge badge-danger"
	case store.StatusShipped:
		return "badge badge-info"
	case store.StatusCompleted:
		return "badge badge-success"
	}
	return "badge badge-muted"
}

// dateTime formats a time for the back office; the zero time is a dash.
func dateTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.Format("2006-01-02 15:04")
}

func joinDot(a, b string) string {
	if b == "" {
		return a
	}
	return a + " · " + b
}

// signedMoney shows an adjustment with its sign.
func signedMoney(ctx context.Context, f store.Fen) string {
	if f > 0 {
		return "+" + views.Money(ctx, f)
	}
	if f < 0 {
		return "−" + views.Money(ctx, -f)
	}
	return views.Money(ctx, 0)
}

// LineSummary is a line in a few words: title, spec and n pieces.
func LineSummary(l store.OrderLine, n int) string {
	return joinDot(l.Title, l.Label) + " ×" + strconv.Itoa(n)
}
