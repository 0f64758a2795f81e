package memberlevel

import (
	"context"
	_ "embed"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views"
)

//go:embed style.css
var stylesheet []byte

// Stylesheet implements plugins.Styler.
func (*Plugin) Stylesheet() []byte { return stylesheet }

const (
	minePath  = "/me/level"
	adminPath = "/admin/memberlevel"
	pageSize  = 20
)

// Routes implements plugins.Router.
func (p *Plugin) Routes() []plugins.Route {
	return []plugins.Route{
		{Method: http.MethodGet, Path: minePath, Area: plugins.Account, Handle: p.mine},
		{Method: http.MethodGet, Path: adminPath, Area: plugins.Admin, Handle: p.adminList},
		{Method: http.MethodGet, Path: adminPath + "/new", Area: plugins.Admin, Handle: p.edit},
		{Method: http.MethodPost, Path: adminPath + "/new", Area: plugins.Admin, Handle: p.save},
		{Method: http.MethodGet, Path: adminPath + "/:id/edit", Area: plugins.Admin, Handle: p.edit},
		{Method: http.MethodPost, Path: adminPath + "/:id/edit", Area: plugins.Admin, Handle: p.save},
		{Method: http.MethodPost, Path: adminPath + "/:id/delete", Area: plugins.Admin, Handle: p.delete},
		{Method: http.MethodGet, Path: adminPath + "/customers", Area: plugins.Admin, Handle: p.customer},
		{Method: http.MethodPost, Path: adminPath + "/customers/:id/level", Area: plugins.Admin, Handle: p.setLevel},
		{Method: http.MethodPost, Path: adminPath + "/customers/:id/growth", Area: plugins.Admin, Handle: p.adjustGrowth},
	}
}

// Menu implements plugins.Router.
func (*Plugin) Menu() []plugins.MenuItem {
	return []plugins.MenuItem{{Href: adminPath, Label: "memberlevel.menu", Group: "marketing.group"}}
}

func idParam(r plugins.Request) (int64, error) {
	if r.Param("id") == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(r.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, plugins.ErrNotFound
	}
	return id, nil
}

func staffActor(r plugins.Request) store.Actor {
	_, name := r.Staff()
	return store.StaffActor(name)
}

// mine is 会员等级: the level card, the levels and the growth history.
func (p *Plugin) mine(r plugins.Request) error {
	cu := r.Customer()
	m, err := MemberOf(r.Context(), r.Store(), cu.ID)
	if err != nil {
		return err
	}
	page, _ := strconv.Atoi(r.Query().Get("page"))
	page = max(1, min(page, 10000))
	entries, more, err := History(r.Context(), r.Store(), cu.ID, page, pageSize)
	if err != nil {
		return err
	}
	vm := mineView{Member: m, Entries: entries, Page: page, More: more, PerYuan: p.perYuan.Load(), OnPay: p.onPay.Load()}
	if r.HTMX() && page > 1 {
		return r.Fragment(http.StatusOK, historyRows(vm))
	}
	return r.Page(http.StatusOK, plugins.Page{Title: r.T("memberlevel.mine.title"), BackURL: "/me", Class: "page-memberlevel",
		Body: minePage(vm)})
}

func (p *Plugin) adminList(r plugins.Request) error {
	ls, err := Levels(r.Context(), r.Store())
	if err != nil {
		return err
	}
	st, err := Statistics(r.Context(), r.Store())
	if err != nil {
		return err
	}
	return r.Page(http.StatusOK, plugins.Page{Title: r.T("memberlevel.admin.title"), Body: adminList(ls, st, r.Notice())})
}

func (p *Plugin) edit(r plugins.Request) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	f := formView{Discount: "100"}
	if id > 0 {
		l, err := GetLevel(r.Context(), r.Store(), id)
		if err != nil {
			return err
		}
		f = formView{ID: l.ID, Name: l.Name, Threshold: strconv.FormatInt(l.Threshold, 10), Discount: strconv.Itoa(l.DiscountPct),
			Perks: strings.Join(l.Perks, "\n")}
	}
	return p.form(r, http.StatusOK, f)
}

func (p *Plugin) form(r plugins.Request, status int, f formView) error {
	title := r.T("memberlevel.admin.new")
	if f.ID > 0 {
		title = r.T("memberlevel.admin.edit")
	}
	return r.Page(status, plugins.Page{Title: title, Body: adminForm(title, f)})
}

// ParseForm turns the level form into a level; a bad number is a field
// error. It is the parser of outside input the fuzz test runs.
func ParseForm(id int64, form url.Values) (*Level, error) {
	var v store.ValidationErrors
	l := &Level{ID: id, Name: form.Get("name")}
	th, err := strconv.ParseInt(strings.TrimSpace(form.Get("threshold")), 10, 64)
	if err != nil || th < 0 || th > MaxThreshold {
		v.Add("threshold", "memberlevel.err.threshold", "max", MaxThreshold)
	}
	l.Threshold = th
	d := strings.TrimSpace(form.Get("discount"))
	if d == "" {
		d = "100"
	}
	pct, err := strconv.Atoi(d)
	if err != nil || pct < 1 || pct > 100 {
		v.Add("discount", "memberlevel.err.discount")
	}
	l.DiscountPct = pct
	l.Perks = strings.Split(strings.ReplaceAll(form.Get("perks"), "\r\n", "\n"), "\n")
	if err := l.validate(); err != nil {
		var ves store.ValidationErrors
		if errors.As(err, &ves) {
			for _, e := range ves {
				if !hasField(v, e.Field) {
					v = append(v, e)
				}
			}
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return l, nil
}

func hasField(v store.ValidationErrors, field string) bool {
	for _, e := range v {
		if e.Field == field {
			return true
		}
	}
	return false
}

func (p *Plugin) save(r plugins.Request) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	form := r.Form()
	f := formView{ID: id, Name: form.Get("name"), Threshold: form.Get("threshold"), Discount: form.Get("discount"), Perks: form.Get("perks")}
	l, err := ParseForm(id, form)
	if err == nil {
		_, err = SaveLevel(r.Context(), r.Store(), l)
	}
	if err != nil {
		fe, ok := views.NewFormErrors(r.Context(), err)
		if !ok {
			return err
		}
		f.Errors = fe
		return p.form(r, http.StatusUnprocessableEntity, f)
	}
	return r.Redirect(adminPath, r.T("memberlevel.admin.saved"))
}

func (p *Plugin) delete(r plugins.Request) error {
	id, err := idParam(r)
	if err != nil || id == 0 {
		return plugins.ErrNotFound
	}
	if err := DeleteLevel(r.Context(), r.Store(), id, staffActor(r)); err != nil {
		return err
	}
	return r.Redirect(adminPath, r.T("memberlevel.admin.deleted"))
}

// customer is the lookup: a customer's growth, level, ledger and level log,
// with the forms to change them.
func (p *Plugin) customer(r plugins.Request) error {
	q := strings.TrimSpace(r.Query().Get("q"))
	vm := customerView{Query: q, Notice: r.Notice()}
	if q != "" {
		if err := p.fillCustomer(r.Context(), r.Store(), q, &vm); err != nil {
			return err
		}
	}
	return r.Page(http.StatusOK, plugins.Page{Title: r.T("memberlevel.admin.customers"), Body: adminCustomer(vm)})
}

func (p *Plugin) fillCustomer(ctx context.Context, db *store.DB, q string, vm *customerView) error {
	id, err := FindCustomer(ctx, db, q)
	if errors.Is(err, store.ErrNotFound) {
		vm.NotFound = true
		return nil
	}
	if err != nil {
		return err
	}
	cu, err := db.CustomerByID(ctx, id)
	if err != nil {
		return err
	}
	vm.Customer = cu
	if vm.Member, err = MemberOf(ctx, db, id); err != nil {
		return err
	}
	if vm.Entries, _, err = History(ctx, db, id, 1, 50); err != nil {
		return err
	}
	vm.Log, err = LevelLog(ctx, db, id)
	return err
}

func (p *Plugin) customerAgain(r plugins.Request, id int64, err error, level, growth views.FormErrors) error {
	fe, ok := views.NewFormErrors(r.Context(), err)
	if !ok {
		return err
	}
	vm := customerView{Query: strconv.FormatInt(id, 10), LevelErrors: level, GrowthErrors: growth, Form: r.Form()}
	if level != nil {
		vm.LevelErrors = fe
	} else {
		vm.GrowthErrors = fe
	}
	if err := p.fillCustomer(r.Context(), r.Store(), vm.Query, &vm); err != nil {
		return err
	}
	return r.Page(http.StatusUnprocessableEntity, plugins.Page{Title: r.T("memberlevel.admin.customers"), Body: adminCustomer(vm)})
}

func customerURL(id int64) string {
	return adminPath + "/customers?q=" + strconv.FormatInt(id, 10)
}

func (p *Plugin) setLevel(r plugins.Request) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	levelID, _ := strconv.ParseInt(r.Form().Get("level_id"), 10, 64)
	err = SetLevel(r.Context(), r.Store(), id, levelID, r.Form().Get("reason"), staffActor(r))
	if err != nil {
		return p.customerAgain(r, id, err, views.FormErrors{}, nil)
	}
	return r.Redirect(customerURL(id), r.T("memberlevel.admin.level_set"))
}

func (p *Plugin) adjustGrowth(r plugins.Request) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	delta, perr := strconv.ParseInt(strings.TrimSpace(strings.TrimPrefix(r.Form().Get("delta"), "+")), 10, 64)
	if perr != nil {
		delta = 0
	}
	err = AdjustGrowth(r.Context(), r.Store(), id, delta, r.Form().Get("reason"), staffActor(r))
	if err != nil {
		return p.customerAgain(r, id, err, nil, views.FormErrors{})
	}
	return r.Redirect(customerURL(id), r.T("memberlevel.admin.growth_saved"))
}
