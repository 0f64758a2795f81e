// Package admin holds the templ pages of the catalogue back office: the
// dashboard, products (list, form, SKU table, gallery), categories, brands
// and banners. Handlers build the view models declared here; the pages read
// only these and the request-wide values of package views.
package admin

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views"
)

// Thumbnail widths the back office asks for; the media store serves the
// nearest declared size.
const (
	thumbSmall = 160
	thumbLarge = 375
)

// Dashboard is the back-office home page.
type Dashboard struct {
	OnShelf    int
	OffShelf   int
	OutOfStock int
	Categories int
	Brands     int
	Banners    int

	// To-do counts.
	ToShip     int // paid express orders waiting to ship
	ToPickup   int // paid pickup orders waiting to be picked up
	Aftersales int // after-sales waiting for the shop
	Unpaid     int // orders waiting for the buyer's payment
}

// ProductQuery is the product list's filter as the query string carries it,
// kept raw so the filter form shows exactly what was asked.
type ProductQuery struct {
	Q        string
	Category string // category id
	Brand    string // brand id
	Shelf    string // "on", "off" or ""
	Tag      string
	Stock    string // "out" for out of stock only
	Sort     string
	Page     int
}

// Values encodes q as a query string, leaving out empty fields and page 1.
func (q ProductQuery) Values() url.Values {
	v := url.Values{}
	for _, kv := range [][2]string{{"q", q.Q}, {"category", q.Category}, {"brand", q.Brand},
		{"shelf", q.Shelf}, {"tag", q.Tag}, {"stock", q.Stock}, {"sort", q.Sort}} {
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
func (q ProductQuery) URL() string { return withQuery("/admin/products", q.Values()) }

// PageURL is the list address for q at another page.
func (q ProductQuery) PageURL(page int) string {
	q.Page = page
	return q.URL()
}

// CSVURL is the export address for q's filter (every page).
func (q ProductQuery) CSVURL() string {
	q.Page = 0
	return withQuery("/admin/products.csv", q.Values())
}

// Filtered reports whether any filter narrows the list.
func (q ProductQuery) Filtered() bool {
	return q.Q != "" || q.Category != "" || q.Brand != "" || q.Shelf != "" || q.Tag != "" || q.Stock != ""
}

func withQuery(path string, v url.Values) string {
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

// ProductList is the products page.
type ProductList struct {
	Query      ProductQuery
	Products   []store.Product
	Total      int
	Pages      int
	Categories []store.Category
	Brands     []store.Brand
}

// SKURow is one row of the SKU table as the form posts it: the spec values
// and the raw text of every input, so a refused form shows what was typed.
type SKURow struct {
	Values    []string
	Price     string
	ListPrice string
	Stock     string
	Code      string
	Weight    string
	Image     string
}

// Label is the row's spec values for display.
func (r SKURow) Label() string { return strings.Join(r.Values, " / ") }

// ValuesJSON encodes the spec values for the row's hidden input.
func (r SKURow) ValuesJSON() string {
	vals := r.Values
	if vals == nil {
		vals = []string{}
	}
	b, _ := json.Marshal(vals)
	return string(b)
}

// ProductForm is the create/edit product page.
type ProductForm struct {
	ID          int64 // 0 for a new product
	CategoryID  int64
	BrandID     int64
	Title       string
	Subtitle    string
	Tags        []string
	Sort        string
	OnShelf     bool
	Virtual     bool
	Images      []string
	Specs       string // the spec matrix text box
	SKUs        []SKURow
	Description string
	Categories  []store.Category
	Brands      []store.Brand
	// ShippingTemplateID is the chosen shipping template, 0 = the default.
	ShippingTemplateID int64
	ShippingTemplates  []*store.ShippingTemplate
	// CommissionMode is the product's commission rule (store.CommissionModes);
	// Commission the three levels as typed: % for own rates, yuan per unit
	// for fixed amounts.
	CommissionMode string
	Commission     [3]string
	Errors         views.FormErrors
}

// Action is the form's address.
func (f ProductForm) Action() string {
	if f.ID == 0 {
		return "/admin/products/new"
	}
	return "/admin/products/" + strconv.FormatInt(f.ID, 10) + "/edit"
}

func (f ProductForm) hasTag(tag string) bool {
	for _, t := range f.Tags {
		if t == tag {
			return true
		}
	}
	return false
}

// Picker is an image field: a gallery of uploaded images kept in hidden
// inputs named Field, an upload button and per-image remove and move
// buttons. Multiple allows several images (first = cover).
type Picker struct {
	Field    string
	Multiple bool
	Keys     []string
	Error    string
}

// ID is the element id of the picker.
func (p Picker) ID() string { return "picker-" + p.Field }

// FileID is the element id of the picker's file input.
func (p Picker) FileID() string { return "file-" + p.Field }

// ErrorID is the element id of the picker's message area.
func (p Picker) ErrorID() string { return "upload-error-" + p.Field }

// UploadURL is where the picker's file input posts with JavaScript on.
func (p Picker) UploadURL() string { return "/admin/uploads?field=" + url.QueryEscape(p.Field) }

// OpURL is where the picker's remove and move buttons post with JavaScript on.
func (p Picker) OpURL() string { return "/admin/gallery?field=" + url.QueryEscape(p.Field) }

// CategoryForm is the create/edit category page.
type CategoryForm struct {
	ID       int64
	ParentID int64
	Name     string
	Icon     string
	Sort     string
	Visible  bool
	Parents  []store.Category // top-level categories other than this one
	// HasChildren hides the parent choice: a parent cannot become a child.
	HasChildren bool
	Errors      views.FormErrors
}

// Action is the form's address.
func (f CategoryForm) Action() string {
	if f.ID == 0 {
		return "/admin/categories/new"
	}
	return "/admin/categories/" + strconv.FormatInt(f.ID, 10) + "/edit"
}

// BrandForm is the create/edit brand page.
type BrandForm struct {
	ID     int64
	Name   string
	Logo   string
	Sort   string
	Errors views.FormErrors
}

// Action is the form's address.
func (f BrandForm) Action() string {
	if f.ID == 0 {
		return "/admin/brands/new"
	}
	return "/admin/brands/" + strconv.FormatInt(f.ID, 10) + "/edit"
}

// BannerForm is the create banner page.
type BannerForm struct {
	Image   string
	Title   string
	Link    string
	Sort    string
	Visible bool
	Errors  views.FormErrors
}

// Confirm is a page asking to confirm a destructive action, the path a
// browser without JavaScript takes to a delete button.
type Confirm struct {
	Title   string
	Message string
	Action  string // where the confirm button posts
	Back    string // where cancel goes
}

// T translates key in the request's locale.
func T(ctx context.Context, key string, args ...any) string { return views.T(ctx, key, args...) }

// idStr formats an id for a form value.
func idStr(id int64) string { return strconv.FormatInt(id, 10) }

// priceRange shows a product's price, or its lowest and highest SKU price.
func priceRange(ctx context.Context, p store.Product) string {
	if p.PriceMax <= p.Price {
		return views.Money(ctx, p.Price)
	}
	return views.Money(ctx, p.Price) + " – " + views.Money(ctx, p.PriceMax)
}

// pageNumbers lists the page links around page: the first, the last and two
// either side, with 0 standing for a gap.
func pageNumbers(page, pages int) []int {
	var out []int
	for i := 1; i <= pages; i++ {
		if i == 1 || i == pages || (i >= page-2 && i <= page+2) {
			out = append(out, i)
		} else if len(out) > 0 && out[len(out)-1] != 0 {
			out = append(out, 0)
		}
	}
	return out
}
