package fullreduce

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views"
)

// Routes implements plugins.Router: the back office's offer pages.
func (p *Plugin) Routes() []plugins.Route {
	return []plugins.Route{
		{Method: http.MethodGet, Path: "/admin/fullreduce", Area: plugins.Admin, Handle: p.list},
		{Method: http.MethodGet, Path: "/admin/fullreduce/new", Area: plugins.Admin, Handle: p.newOffer},
		{Method: http.MethodPost, Path: "/admin/fullreduce/new", Area: plugins.Admin, Handle: p.save},
		{Method: http.MethodGet, Path: "/admin/fullreduce/:id/edit", Area: plugins.Admin, Handle: p.edit},
		{Method: http.MethodPost, Path: "/admin/fullreduce/:id/edit", Area: plugins.Admin, Handle: p.save},
		{Method: http.MethodPost, Path: "/admin/fullreduce/:id/stop", Area: plugins.Admin, Handle: p.stop},
	}
}

// Menu implements plugins.Router.
func (*Plugin) Menu() []plugins.MenuItem {
	return []plugins.MenuItem{{Href: "/admin/fullreduce", Label: "fullreduce.menu", Group: "marketing.group"}}
}

func (p *Plugin) list(req plugins.Request) error {
	db := req.Store()
	offers, err := Offers(req.Context(), db)
	if err != nil {
		return err
	}
	return req.Page(http.StatusOK, plugins.Page{Title: req.T("fullreduce.title"), Body: ListPage(offers, db.Now())})
}

func (p *Plugin) newOffer(req plugins.Request) error {
	db := req.Store()
	return p.form(req, http.StatusOK, newForm(db.Now()))
}

func (p *Plugin) edit(req plugins.Request) error {
	o, err := p.offerOf(req)
	if err != nil {
		return err
	}
	return p.form(req, http.StatusOK, formOf(o))
}

// save creates or updates an offer; a refused form comes back with 422,
// nothing written.
func (p *Plugin) save(req plugins.Request) error {
	db := req.Store()
	var id int64
	status := StatusActive
	if req.Param("id") != "" {
		old, err := p.offerOf(req)
		if err != nil {
			return err
		}
		id, status = old.ID, old.Status
	}
	f := readForm(id, req.Form())
	o, perr := f.offer()
	o.Status = status
	var err error
	if len(perr) > 0 {
		if verr := o.validate(); verr != nil {
			perr = append(perr, verr.(store.ValidationErrors)...)
		}
		err = perr
	} else {
		_, err = SaveOffer(req.Context(), db, o)
	}
	if err != nil {
		fe, ok := views.NewFormErrors(req.Context(), err)
		if !ok {
			return err
		}
		f.Errors = fe
		return p.form(req, http.StatusUnprocessableEntity, f)
	}
	return req.Redirect("/admin/fullreduce", req.T("fullreduce.saved"))
}

func (p *Plugin) stop(req plugins.Request) error {
	o, err := p.offerOf(req)
	if err != nil {
		return err
	}
	if err := StopOffer(req.Context(), req.Store(), o.ID); err != nil {
		return err
	}
	return req.Redirect("/admin/fullreduce", req.T("fullreduce.stopped_notice", "name", o.Name))
}

func (p *Plugin) form(req plugins.Request, status int, f OfferForm) error {
	title := req.T("fullreduce.new")
	if f.ID != 0 {
		title = req.T("fullreduce.edit")
	}
	return req.Page(status, plugins.Page{Title: title, Body: FormPage(title, f)})
}

// offerOf is the offer of the route's :id.
func (p *Plugin) offerOf(req plugins.Request) (*Offer, error) {
	id, err := strconv.ParseInt(req.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return nil, plugins.ErrNotFound
	}
	o, err := OfferByID(req.Context(), req.Store(), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, plugins.ErrNotFound
	}
	return o, err
}
