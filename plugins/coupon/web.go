package coupon

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views"
)

// Pages: the coupon centre (/coupons), my coupons (/me/coupons), and the
// back office's coupons (/admin/coupons).

const (
	centrePath = "/coupons"
	minePath   = "/me/coupons"
	adminPath  = "/admin/coupons"
)

// Routes implements plugins.Router.
func (p *Plugin) Routes() []plugins.Route {
	return []plugins.Route{
		{Method: http.MethodGet, Path: centrePath, Area: plugins.Storefront, Handle: p.centre},
		{Method: http.MethodPost, Path: centrePath + "/:id/claim", Area: plugins.Account, Handle: p.claim},
		{Method: http.MethodGet, Path: minePath, Area: plugins.Account, Handle: p.mine},
		{Method: http.MethodGet, Path: adminPath, Area: plugins.Admin, Handle: p.adminList},
		{Method: http.MethodGet, Path: adminPath + "/new", Area: plugins.Admin, Handle: p.adminNew},
		{Method: http.MethodPost, Path: adminPath + "/new", Area: plugins.Admin, Handle: p.adminSave},
		{Method: http.MethodGet, Path: adminPath + "/:id/edit", Area: plugins.Admin, Handle: p.adminEdit},
		{Method: http.MethodPost, Path: adminPath + "/:id/edit", Area: plugins.Admin, Handle: p.adminSave},
		{Method: http.MethodPost, Path: adminPath + "/:id/status", Area: plugins.Admin, Handle: p.adminStatus},
		{Method: http.MethodGet, Path: adminPath + "/:id/grant", Area: plugins.Admin, Handle: p.adminGrantPage},
		{Method: http.MethodPost, Path: adminPath + "/:id/grant", Area: plugins.Admin, Handle: p.adminGrant},
		{Method: http.MethodPost, Path: adminPath + "/:id/grant-tag", Area: plugins.Admin, Handle: p.adminGrantTag},
	}
}

// Menu implements plugins.Router.
func (*Plugin) Menu() []plugins.MenuItem {
	return []plugins.MenuItem{{Href: adminPath, Label: "coupon.menu", Group: "marketing.group"}}
}

func paramID(r plugins.Request) (int64, error) {
	id, err := strconv.ParseInt(r.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, plugins.ErrNotFound
	}
	return id, nil
}

// centre is 领券中心.
func (p *Plugin) centre(r plugins.Request) error {
	var cid int64
	if cu := r.Customer(); cu != nil {
		cid = cu.ID
	}
	items, err := Centre(r.Context(), r.Store(), cid)
	if err != nil {
		return err
	}
	vm := centreView{SignedIn: cid > 0, Now: r.Store().Now(), Items: items}
	return r.Page(http.StatusOK, plugins.Page{Title: r.T("coupon.centre.title"), BackURL: "/", Class: "page-coupons",
		Body: centrePage(vm)})
}

// claim takes one copy; the answer goes back to the centre with a notice.
func (p *Plugin) claim(r plugins.Request) error {
	id, err := paramID(r)
	if err != nil {
		return err
	}
	err = Claim(r.Context(), r.Store(), r.Customer().ID, id)
	if ve, ok := asValidation(err); ok {
		return r.Redirect(centrePath, r.T(ve.Key, ve.Args...))
	}
	if err != nil {
		return err
	}
	return r.Redirect(centrePath, r.T("coupon.centre.claimed"))
}

// mine is 我的优惠券 with its tabs.
func (p *Plugin) mine(r plugins.Request) error {
	tab := r.Query().Get("tab")
	switch tab {
	case TabUsed, TabExpired:
	default:
		tab = TabUnused
	}
	list, counts, err := Mine(r.Context(), r.Store(), r.Customer().ID, tab, 100)
	if err != nil {
		return err
	}
	vm := mineView{Tab: tab, Items: list, Counts: counts, Now: r.Store().Now()}
	return r.Page(http.StatusOK, plugins.Page{Title: r.T("coupon.mine.title"), BackURL: "/me", Class: "page-coupons",
		Body: minePage(vm)})
}

func asValidation(err error) (*store.ValidationError, bool) {
	switch e := err.(type) {
	case *store.ValidationError:
		return e, true
	case store.ValidationErrors:
		if len(e) > 0 {
			return e[0], true
		}
	}
	return nil, false
}

// adminList is the back office's list with the figures.
func (p *Plugin) adminList(r plugins.Request) error {
	items, err := List(r.Context(), r.Store())
	if err != nil {
		return err
	}
	return r.Page(http.StatusOK, plugins.Page{Title: r.T("coupon.admin.title"),
		Body: adminListPage(adminListView{Items: items, Now: r.Store().Now()})})
}

// couponForm is the create / edit form as typed.
type couponForm struct {
	ID                                          int64
	Name, Kind, Threshold, Amount, Percent, Cap string
	Scope, ScopeIDs, Validity, StartsAt, EndsAt string
	Days, Total, PerUser, Channel               string
	ScopeExclude                                bool
	Issued                                      int
	Errors                                      views.FormErrors
}

const formTime = "2006-01-02T15:04"

func formOf(c *Coupon) couponForm {
	f := couponForm{ID: c.ID, Name: c.Name, Kind: c.Kind, Scope: c.Scope, Validity: c.Validity, Channel: c.Channel,
		ScopeExclude: c.ScopeExclude, Issued: c.Issued,
		Threshold: c.Threshold.String(), Amount: c.Amount.String(), Cap: c.Cap.String(),
		Percent: strconv.Itoa(c.Percent), Days: strconv.Itoa(c.Days), Total: strconv.Itoa(c.Total), PerUser: strconv.Itoa(c.PerUser)}
	var ids []string
	for _, id := range c.ScopeIDs {
		ids = append(ids, strconv.FormatInt(id, 10))
	}
	f.ScopeIDs = strings.Join(ids, ",")
	if c.Validity == ValidFixed {
		f.StartsAt, f.EndsAt = c.StartsAt.Local().Format(formTime), c.EndsAt.Local().Format(formTime)
	}
	return f
}

func (p *Plugin) adminNew(r plugins.Request) error {
	now := r.Store().Now()
	c := &Coupon{Kind: KindAmount, Scope: ScopeAll, Validity: ValidDays, Days: 7, PerUser: 1, Channel: ChannelCentre,
		StartsAt: now, EndsAt: now.AddDate(0, 1, 0)}
	f := formOf(c)
	f.Threshold, f.Amount, f.Cap, f.Percent = "", "", "", ""
	f.StartsAt, f.EndsAt = now.Local().Format(formTime), now.AddDate(0, 1, 0).Local().Format(formTime)
	return p.renderForm(r, http.StatusOK, f)
}

func (p *Plugin) adminEdit(r plugins.Request) error {
	id, err := paramID(r)
	if err != nil {
		return err
	}
	c, err := Get(r.Context(), r.Store(), id)
	if err != nil {
		return err
	}
	return p.renderForm(r, http.StatusOK, formOf(c))
}

func (p *Plugin) renderForm(r plugins.Request, status int, f couponForm) error {
	title := r.T("coupon.admin.new")
	if f.ID > 0 {
		title = r.T("coupon.admin.edit")
	}
	return r.Page(status, plugins.Page{Title: title, Body: adminFormPage(title, f)})
}

// adminSave reads, checks and saves the form; a refusal draws it again
// with the messages and writes nothing.
func (p *Plugin) adminSave(r plugins.Request) error {
	var id int64
	if r.Param("id") != "" {
		var err error
		if id, err = paramID(r); err != nil {
			return err
		}
	}
	form := r.Form()
	f := couponForm{ID: id, Name: form.Get("name"), Kind: form.Get("kind"), Threshold: form.Get("threshold"),
		Amount: form.Get("amount"), Percent: form.Get("percent"), Cap: form.Get("cap"), Scope: form.Get("scope"),
		ScopeIDs: form.Get("scope_ids"), Validity: form.Get("validity"), StartsAt: form.Get("starts_at"),
		EndsAt: form.Get("ends_at"), Days: form.Get("days"), Total: form.Get("total"), PerUser: form.Get("per_user"),
		Channel: form.Get("channel"), ScopeExclude: form.Get("scope_exclude") == "1"}
	c, err := parseForm(f)
	if err == nil {
		c.ID = id
		_, err = Save(r.Context(), r.Store(), c)
	}
	if err != nil {
		fe, ok := views.NewFormErrors(r.Context(), err)
		if !ok {
			return err
		}
		f.Errors = fe
		return p.renderForm(r, http.StatusUnprocessableEntity, f)
	}
	return r.Redirect(adminPath, r.T("coupon.admin.saved"))
}

// parseForm turns the typed form into a coupon; bad numbers are field
// errors.
func parseForm(f couponForm) (*Coupon, error) {
	var v store.ValidationErrors
	money := func(field, s string) store.Fen {
		s = strings.TrimSpace(s)
		if s == "" {
			return 0
		}
		fen, err := store.ParseFen(s)
		if err != nil || fen < 0 {
			v.Add(field, "coupon.err.money")
		}
		return fen
	}
	num := func(field, s string, def int) int {
		s = strings.TrimSpace(s)
		if s == "" {
			return def
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			v.Add(field, "coupon.err.number")
		}
		return n
	}
	c := &Coupon{Name: f.Name, Kind: f.Kind, Scope: f.Scope, Validity: f.Validity, Channel: f.Channel,
		ScopeExclude: f.ScopeExclude && f.Scope != ScopeAll}
	c.Threshold, c.Amount, c.Cap = money("threshold", f.Threshold), money("amount", f.Amount), money("cap", f.Cap)
	c.Percent, c.Days = num("percent", f.Percent, 0), num("days", f.Days, 0)
	c.Total, c.PerUser = num("total", f.Total, 0), num("per_user", f.PerUser, 1)
	if c.Kind != KindPercent {
		c.Percent, c.Cap = 0, 0
	}
	if c.Kind != KindAmount {
		c.Amount = 0
	}
	if c.Scope != ScopeAll {
		for _, part := range strings.FieldsFunc(f.ScopeIDs, func(r rune) bool { return r == ',' || r == '，' || r == ' ' || r == '\n' }) {
			id, err := strconv.ParseInt(strings.TrimSpace(part), 10, 64)
			if err != nil || id <= 0 {
				v.Add("scope_ids", "coupon.err.scope_ids")
				break
			}
			c.ScopeIDs = append(c.ScopeIDs, id)
		}
	}
	if c.Validity == ValidFixed {
		var err1, err2 error
		c.StartsAt, err1 = time.ParseInLocation(formTime, strings.TrimSpace(f.StartsAt), time.Local)
		c.EndsAt, err2 = time.ParseInLocation(formTime, strings.TrimSpace(f.EndsAt), time.Local)
		if err1 != nil || err2 != nil {
			v.Add("ends_at", "coupon.err.window")
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return c, nil
}

// adminStatus stops a coupon or starts it again.
func (p *Plugin) adminStatus(r plugins.Request) error {
	id, err := paramID(r)
	if err != nil {
		return err
	}
	status := r.Form().Get("status")
	if err := SetStatus(r.Context(), r.Store(), id, status); err != nil {
		return err
	}
	return r.Redirect(adminPath, r.T("coupon.admin.status_"+status))
}

// grantPage draws the grant page: by phone numbers, or by customer tag.
func (p *Plugin) grantPage(r plugins.Request, status int, vm grantView) error {
	tags, err := r.Store().Tags(r.Context())
	if err != nil {
		return err
	}
	vm.Tags = tags
	return r.Page(status, plugins.Page{Title: r.T("coupon.grant.title"), Body: adminGrantPage(vm)})
}

func (p *Plugin) adminGrantPage(r plugins.Request) error {
	id, err := paramID(r)
	if err != nil {
		return err
	}
	c, err := Get(r.Context(), r.Store(), id)
	if err != nil {
		return err
	}
	return p.grantPage(r, http.StatusOK, grantView{Coupon: c})
}

// adminGrant gives the coupon to the customers of the phone numbers typed.
func (p *Plugin) adminGrant(r plugins.Request) error {
	id, err := paramID(r)
	if err != nil {
		return err
	}
	c, err := Get(r.Context(), r.Store(), id)
	if err != nil {
		return err
	}
	raw := r.Form().Get("phones")
	phones := strings.FieldsFunc(raw, func(r rune) bool { return r == ',' || r == '，' || r == ' ' || r == '\n' || r == '\r' })
	res, err := Grant(r.Context(), r.Store(), id, phones, r.T)
	vm := grantView{Coupon: c, Phones: raw}
	if err != nil {
		fe, ok := views.NewFormErrors(r.Context(), err)
		if !ok {
			return err
		}
		vm.Errors = fe
		return p.grantPage(r, http.StatusUnprocessableEntity, vm)
	}
	if len(res.Skipped) == 0 && !res.SoldOut() {
		return r.Redirect(adminPath, r.T("coupon.grant.done", "n", res.Granted))
	}
	if c, err = Get(r.Context(), r.Store(), id); err != nil {
		return err
	}
	vm.Coupon, vm.Result = c, &res
	return p.grantPage(r, http.StatusOK, vm)
}

// adminGrantTag gives the coupon to every customer of the tag chosen.
func (p *Plugin) adminGrantTag(r plugins.Request) error {
	id, err := paramID(r)
	if err != nil {
		return err
	}
	c, err := Get(r.Context(), r.Store(), id)
	if err != nil {
		return err
	}
	rawTag := strings.TrimSpace(r.Form().Get("tag_id"))
	vm := grantView{Coupon: c, TagID: rawTag}
	tagID, perr := strconv.ParseInt(rawTag, 10, 64)
	var res GrantResult
	if perr != nil || tagID <= 0 {
		err = store.Invalid("tag", "coupon.err.tag_unknown")
	} else {
		res, err = GrantTag(r.Context(), r.Store(), id, tagID)
	}
	if err != nil {
		fe, ok := views.NewFormErrors(r.Context(), err)
		if !ok {
			return err
		}
		vm.TagErrors = fe
		return p.grantPage(r, http.StatusUnprocessableEntity, vm)
	}
	tag, err := r.Store().TagByID(r.Context(), tagID)
	if err != nil {
		return err
	}
	if c, err = Get(r.Context(), r.Store(), id); err != nil {
		return err
	}
	vm.Coupon, vm.TagResult, vm.TagName = c, &res, tag.Name
	return p.grantPage(r, http.StatusOK, vm)
}

// checkoutURL is where 去使用 goes: the shop, to pick something.
func useURL(c *Coupon) string {
	if c.Scope == ScopeCategories && !c.ScopeExclude && len(c.ScopeIDs) > 0 {
		return "/c/" + strconv.FormatInt(c.ScopeIDs[0], 10)
	}
	if c.Scope == ScopeProducts && !c.ScopeExclude && len(c.ScopeIDs) == 1 {
		return "/p/" + strconv.FormatInt(c.ScopeIDs[0], 10)
	}
	return "/"
}

// MemberLinks implements plugins.MemberLinker: 我的优惠券 on the member page.
func (*Plugin) MemberLinks() []plugins.MemberLink {
	return []plugins.MemberLink{{ID: "coupons", Label: "coupon.mine.title", URL: minePath}}
}
