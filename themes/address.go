package themes

import "github.com/a-h/templ"

// The address pages: the customer's shipping addresses (收货地址) with the
// province / city / district picker. Like the account pages their Page has
// Header.Hidden set and no tab bar; the theme draws a title bar.

// AddressCard is one address in the list.
type AddressCard struct {
	ID         int64
	Name       string // recipient
	Phone      string // masked for a mobile number, e.g. 138****8000
	Region     string // "广东省 深圳市 南山区"
	Detail     string
	IsDefault  bool
	EditURL    string
	DeleteURL  string // POST here to delete
	DefaultURL string // POST here to make it the default
}

// AddressesPage lists the customer's addresses, the default first.
type AddressesPage struct {
	Page
	Notice    string // a one-time message, e.g. after saving
	Addresses []AddressCard
	NewURL    string // the new-address form; "" when the customer holds Max already
	Max       int    // how many addresses a customer may keep
	BackURL   string
}

// RegionOption is one choice of a region select.
type RegionOption struct {
	Code     string
	Name     string
	Selected bool
}

// RegionPicker is the three selects of an address's region. With htmx,
// changing the province or the city fetches URL (carrying the three
// selects' values) for a new picker with the next level filled; without
// JavaScript a submit button named "action" with the value Choose posts the
// form back for the same. Cities is empty until a province is chosen,
// Districts until a city is.
type RegionPicker struct {
	URL       string // GET: the picker fragment for ?province=&city=&district=
	Choose    string // the value of the no-JavaScript button
	Provinces []RegionOption
	Cities    []RegionOption
	Districts []RegionOption
	Errors    FieldErrors // "province", "city", "district"
}

// AddressFormPage is the new-address and edit-address form. A failed save
// shows it again with the input kept and Errors beside the fields.
type AddressFormPage struct {
	Page
	Editing      bool   // an existing address (the title reads 编辑) rather than a new one
	Action       string // where the form posts
	Back         string // a storefront path to return to after saving, carried in a hidden field; "" = the list
	Name         string
	Phone        string
	Detail       string
	Region       RegionPicker
	IsDefault    bool   // the default box is ticked
	DefaultFixed bool   // the address is (or, being the first, will be) the default: the box is shown ticked and cannot be cleared
	Error        string // a form-level message (e.g. too many addresses), shown above the form
	Errors       FieldErrors
	DeleteURL    string // POST here to delete; "" for a new address
	BackURL      string
}

func (st *state) Addresses(vm AddressesPage) templ.Component {
	return st.wrap(st.compiled.Addresses(vm))
}
func (st *state) AddressForm(vm AddressFormPage) templ.Component {
	return st.wrap(st.compiled.AddressForm(vm))
}
func (st *state) RegionPicker(vm RegionPicker) templ.Component {
	return st.wrap(st.compiled.RegionPicker(vm))
}
