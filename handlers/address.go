package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/store/division"
	"github.com/xiaodian/xiaodian/themes"
	"github.com/xiaodian/xiaodian/views"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// addressesPath is the customer's address list.
const addressesPath = "/me/addresses"

// regionsPath answers the region picker's htmx requests.
const regionsPath = "/regions"

// addressRoutes registers the customer's address pages, every one behind
// requireCustomer, and the public region picker fragment.
func (h *Handler) addressRoutes(r *gin.Engine) {
	r.GET(regionsPath, h.wrap(h.regionPicker))
	g := r.Group(addressesPath, h.requireCustomer)
	g.GET("", h.wrap(h.addressList))
	g.GET("/new", h.wrap(h.addressNew))
	g.POST("/new", h.wrap(h.addressCreate))
	g.GET("/:id/edit", h.wrap(h.addressEdit))
	g.POST("/:id/edit", h.wrap(h.addressUpdate))
	g.POST("/:id/delete", h.wrap(h.addressDelete))
	g.POST("/:id/default", h.wrap(h.addressSetDefault))
}

// addressList is the customer's addresses, the default first.
func (h *Handler) addressList(c *gin.Context) error {
	ctx := c.Request.Context()
	cu := currentCustomer(c)
	list, err := h.db.Addresses(ctx, cu.ID)
	if err != nil {
		return err
	}
	page, err := h.accountShell(c, "address.title", "")
	if err != nil {
		return err
	}
	vm := themes.AddressesPage{Page: page, Notice: h.takeNotice(c), Max: store.MaxAddresses, BackURL: "/me"}
	for _, a := range list {
		vm.Addresses = append(vm.Addresses, addressCard(a))
	}
	if len(list) < store.MaxAddresses {
		vm.NewURL = addressesPath + "/new"
	}
	h.render(c, http.StatusOK, h.themes.Theme().Addresses(vm))
	return nil
}

// addressNew shows an empty address form; the customer's first address
// will be the default whatever the box says.
func (h *Handler) addressNew(c *gin.Context) error {
	ctx := c.Request.Context()
	list, err := h.db.Addresses(ctx, currentCustomer(c).ID)
	if err != nil {
		return err
	}
	f := addressFormState{back: safeShopNext(c.Query("back")), first: len(list) == 0}
	if len(list) >= store.MaxAddresses {
		f.errs.Add("address", "address.too_many", "max", store.MaxAddresses)
	}
	return h.renderAddressForm(c, http.StatusOK, f)
}

// addressEdit shows one of the customer's addresses in the form; another
// customer's id is the friendly 404 page.
func (h *Handler) addressEdit(c *gin.Context) error {
	a, err := h.ownAddress(c)
	if err != nil || a == nil {
		return err
	}
	return h.renderAddressForm(c, http.StatusOK, addressFormState{
		id: a.ID, isDefault: a.IsDefault, back: safeShopNext(c.Query("back")),
		in: store.AddressInput{Name: a.Name, Phone: a.Phone, ProvinceCode: a.ProvinceCode, CityCode: a.CityCode,
			DistrictCode: a.DistrictCode, Detail: a.Detail},
	})
}

// addressCreate saves the new-address form.
func (h *Handler) addressCreate(c *gin.Context) error {
	return h.submitAddressForm(c, nil)
}

// addressUpdate saves an address's edit form.
func (h *Handler) addressUpdate(c *gin.Context) error {
	a, err := h.ownAddress(c)
	if err != nil || a == nil {
		return err
	}
	return h.submitAddressForm(c, a)
}

// submitAddressForm handles a post of the address form: the picker's
// 选择 button only redraws the form with the next region level to choose;
// anything else saves, and a refusal redraws it with 422 and the messages
// beside the fields.
func (h *Handler) submitAddressForm(c *gin.Context, a *store.Address) error {
	ctx := c.Request.Context()
	cu := currentCustomer(c)
	if err := c.Request.ParseForm(); err != nil {
		return fmt.Errorf("address form: %w (%v)", ErrBadRequest, err)
	}
	in, action, back := parseAddressForm(c.Request.PostForm)
	f := addressFormState{in: in, back: back}
	if a != nil {
		f.id, f.isDefault = a.ID, a.IsDefault
	} else {
		list, err := h.db.Addresses(ctx, cu.ID)
		if err != nil {
			return err
		}
		f.first = len(list) == 0
	}
	if action == addressActionChoose {
		return h.renderAddressForm(c, http.StatusOK, f)
	}
	var err error
	if a == nil {
		_, err = h.db.CreateAddress(ctx, cu.ID, in)
	} else {
		err = h.db.UpdateAddress(ctx, cu.ID, a.ID, in)
	}
	if errors.Is(err, store.ErrNotFound) {
		// Deleted in another tab between the page and the post.
		return h.shopNotFound(c, "")
	}
	if err != nil {
		if !addValidation(&f.errs, err) {
			return err
		}
		return h.renderAddressForm(c, http.StatusUnprocessableEntity, f)
	}
	if err := h.setNotice(c, i18n.Tc(ctx, "address.saved")); err != nil {
		return err
	}
	redirect(c, addressReturn(back))
	return nil
}

// addressDelete deletes one of the customer's addresses.
func (h *Handler) addressDelete(c *gin.Context) error {
	return h.addressAction(c, h.db.DeleteAddress, "address.deleted")
}

// addressSetDefault makes one of the customer's addresses the default.
func (h *Handler) addressSetDefault(c *gin.Context) error {
	return h.addressAction(c, h.db.SetDefaultAddress, "address.default_set")
}

// addressAction runs a one-click change on the customer's address :id and
// returns to the list with a notice; another customer's id is a 404 and
// changes nothing (the store's queries carry the owner).
func (h *Handler) addressAction(c *gin.Context, do func(ctx context.Context, customerID, id int64) error, notice string) error {
	ctx := c.Request.Context()
	id, ok := shopID(c)
	if !ok {
		return h.shopNotFound(c, "")
	}
	err := do(ctx, currentCustomer(c).ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return h.shopNotFound(c, "")
	}
	if err != nil {
		return err
	}
	if err := h.setNotice(c, i18n.Tc(ctx, notice)); err != nil {
		return err
	}
	redirect(c, addressesPath)
	return nil
}

// ownAddress loads the customer's address :id. When there is none (a bad
// id, another customer's, a deleted one) it renders the 404 page and returns
// nil, nil.
func (h *Handler) ownAddress(c *gin.Context) (*store.Address, error) {
	id, ok := shopID(c)
	if !ok {
		return nil, h.shopNotFound(c, "")
	}
	a, err := h.db.AddressByID(c.Request.Context(), currentCustomer(c).ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, h.shopNotFound(c, "")
	}
	return a, err
}

// regionPicker answers the picker's htmx request: the three selects for
// ?province=&city=&district=, a level dropped when it does not belong to the
// one above (the province changed, so the old city goes). The data never
// changes while the binary runs, so browsers may keep the answer.
func (h *Handler) regionPicker(c *gin.Context) error {
	q := c.Request.URL.Query()
	c.Header("Cache-Control", "public, max-age=86400")
	h.render(c, http.StatusOK, h.themes.Theme().RegionPicker(regionPickerFor(q.Get("province"), q.Get("city"), q.Get("district"))))
	return nil
}

// addressCard is the list view of an address.
func addressCard(a store.Address) themes.AddressCard {
	base := addressesPath + "/" + strconv.FormatInt(a.ID, 10)
	phone := a.Phone
	if len(phone) == 11 && phone[0] == '1' {
		phone = store.MaskPhone(phone)
	}
	return themes.AddressCard{
		ID: a.ID, Name: a.Name, Phone: phone, Region: a.Region(), Detail: a.Detail, IsDefault: a.IsDefault,
		EditURL: base + "/edit", DeleteURL: base + "/delete", DefaultURL: base + "/default",
	}
}

// addressFormState is what the address form shows.
type addressFormState struct {
	id        int64 // 0 = a new address
	in        store.AddressInput
	back      string
	isDefault bool // the stored address is the default
	first     bool // a new address that will be the customer's first
	errs      store.ValidationErrors
}

// renderAddressForm draws the form with status. The "address" error (too
// many addresses) goes above the form, region errors beside the picker,
// the rest beside their fields.
func (h *Handler) renderAddressForm(c *gin.Context, status int, f addressFormState) error {
	ctx := c.Request.Context()
	titleKey := "address.new_title"
	if f.id != 0 {
		titleKey = "address.edit"
	}
	page, err := h.accountShell(c, titleKey, "")
	if err != nil {
		return err
	}
	errs := themes.FieldErrors{}
	if fe, ok := views.NewFormErrors(ctx, f.errs); ok {
		errs = themes.FieldErrors(fe)
	}
	vm := themes.AddressFormPage{
		Page:         page,
		Editing:      f.id != 0,
		Action:       addressesPath + "/new",
		Back:         f.back,
		Name:         f.in.Name,
		Phone:        f.in.Phone,
		Detail:       f.in.Detail,
		Region:       regionPickerFor(f.in.ProvinceCode, f.in.CityCode, f.in.DistrictCode),
		IsDefault:    f.in.IsDefault,
		DefaultFixed: f.isDefault || f.first,
		Error:        errs["address"],
		Errors:       errs,
		BackURL:      addressReturn(f.back),
	}
	if f.id != 0 {
		base := addressesPath + "/" + strconv.FormatInt(f.id, 10)
		vm.Action, vm.DeleteURL = base+"/edit", base+"/delete"
	}
	for _, k := range []string{"province", "city", "district"} {
		if errs[k] != "" {
			vm.Region.Errors = themes.FieldErrors{k: errs[k]}
			break
		}
	}
	h.render(c, status, h.themes.Theme().AddressForm(vm))
	return nil
}

// addressActionChoose is the value of the form's "action" button that only
// refreshes the region picker (browsers without JavaScript).
const addressActionChoose = "choose"

// parseAddressForm reads the address form: the input, the pressed button's
// action and the local page to return to.
func parseAddressForm(form url.Values) (in store.AddressInput, action, back string) {
	in = store.AddressInput{
		Name:         form.Get("name"),
		Phone:        form.Get("phone"),
		ProvinceCode: form.Get("province"),
		CityCode:     form.Get("city"),
		DistrictCode: form.Get("district"),
		Detail:       form.Get("detail"),
		IsDefault:    form.Get("is_default") != "",
	}
	return in, form.Get("action"), safeShopNext(form.Get("back"))
}

// regionPickerFor builds the picker for the chosen codes: every province;
// the chosen province's cities; the chosen city's districts. A code that
// does not belong to the level above is dropped, and a level with a single
// choice (the 市辖区 of a municipality) is chosen by itself.
func regionPickerFor(province, city, district string) themes.RegionPicker {
	r := themes.RegionPicker{URL: regionsPath, Choose: addressActionChoose}
	var ok bool
	r.Provinces, ok = regionOptions(division.Provinces(), province)
	if !ok {
		return r
	}
	cities := division.Cities(province)
	if len(cities) == 1 {
		city = cities[0].Code
	}
	r.Cities, ok = regionOptions(cities, city)
	if !ok {
		return r
	}
	districts := division.Districts(city)
	if len(districts) == 1 {
		district = districts[0].Code
	}
	r.Districts, _ = regionOptions(districts, district)
	return r
}

// regionOptions marks code selected among regions; found reports whether
// it was there.
func regionOptions(regions []division.Region, code string) (opts []themes.RegionOption, found bool) {
	opts = make([]themes.RegionOption, len(regions))
	for i, rg := range regions {
		opts[i] = themes.RegionOption{Code: rg.Code, Name: rg.Name, Selected: code != "" && rg.Code == code}
		found = found || opts[i].Selected
	}
	return opts, found
}

// addressReturn is where the form goes back to: the page it was opened
// from (already checked by safeShopNext), or the list.
func addressReturn(back string) string {
	if back != "" {
		return back
	}
	return addressesPath
}
