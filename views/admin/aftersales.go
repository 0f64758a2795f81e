package admin

import (
	"net/url"
	"strconv"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views"
)

// AftersaleQuery is the after-sale queue's filter: a status tab, an
// after-sale or order number, a page.
type AftersaleQuery struct {
	Status string // "" = all
	No     string
	Page   int
}

// URL is the queue with the query, at page 1 unless page > 1.
func (q AftersaleQuery) URL(page int) string {
	v := url.Values{}
	if q.Status != "" {
		v.Set("status", q.Status)
	}
	if q.No != "" {
		v.Set("q", q.No)
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	return withQuery("/admin/aftersales", v)
}

// Tab is the queue of another status tab, at page 1, keeping the search.
func (q AftersaleQuery) Tab(status string) string {
	q.Status = status
	return q.URL(1)
}

// AftersaleTab is one status tab with its count.
type AftersaleTab struct {
	Status string
	Count  int
}

// AftersalesView is the queue page.
type AftersalesView struct {
	Query AftersaleQuery
	Tabs  []AftersaleTab
	All   int
	Items []store.Aftersale
	Total int
	Pages int
}

// AftersaleDetail is one after-sale with its order and the actions allowed.
type AftersaleDetail struct {
	A                *store.Aftersale
	Order            *store.Order
	HasReturnAddress bool
	CanRefund        bool
	RefundPending    bool
	Restock          bool // the restock box starts ticked
	RejectReason     string
	Errors           views.FormErrors
}

// ReturnAddressForm is the shop's return address (退货地址) form.
type ReturnAddressForm struct {
	Name, Phone, Address string
	Back                 string
	Errors               views.FormErrors
}

func aftersaleBadge(status store.AftersaleStatus) string {
	switch status {
	case store.AftersaleRequested, store.AftersaleReturned:
		return "badge badge-warning"
	case store.AftersaleApproved, store.AftersaleAwaitingReturn:
		return "badge badge-info"
	case store.AftersaleRefunded:
		return "badge badge-success"
	case store.AftersaleRejected:
		return "badge badge-danger"
	}
	return "badge badge-muted"
}
