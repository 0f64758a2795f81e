package bargain

import (
	"context"
	"database/sql"
	_ "embed"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views"
)

//go:embed style.css
var stylesheet []byte

// Stylesheet implements plugins.Styler.
func (*Plugin) Stylesheet() []byte { return stylesheet }

// Pages: the 砍价专区 (/bargains, zone.go), an activity (/bargains/<id>, where a bargain starts), a bargain
// (/bargain/<id>, the page the initiator shares), 我的砍价 (/me/bargains)
// and the back office's activities (/admin/bargain).
const (
	activityPath = "/bargains/"
	bargainPath  = "/bargain/"
	minePath     = "/me/bargains"
	adminPath    = "/admin/bargain"
)

// Routes implements plugins.Router.
func (p *Plugin) Routes() []plugins.Route {
	return []plugins.Route{
		{Method: http.MethodGet, Path: zonePath, Area: plugins.Storefront, Handle: p.zone},
		{Method: http.MethodGet, Path: activityPath + ":id", Area: plugins.Account, Handle: p.activity},
		{Method: http.MethodPost, Path: activityPath + ":id/start", Area: plugins.Account, Handle: p.start},
		{Method: http.MethodGet, Path: bargainPath + ":id", Area: plugins.Storefront, Handle: p.bargain},
		{Method: http.MethodPost, Path: bargainPath + ":id/help", Area: plugins.Account, Handle: p.help},
		{Method: http.MethodGet, Path: minePath, Area: plugins.Account, Handle: p.mine},
		{Method: http.MethodGet, Path: adminPath, Area: plugins.Admin, Handle: p.adminList},
		{Method: http.MethodGet, Path: adminPath + "/new", Area: plugins.Admin, Handle: p.edit},
		{Method: http.MethodPost, Path: adminPath + "/new", Area: plugins.Admin, Handle: p.save},
		{Method: http.MethodGet, Path: adminPath + "/:id/edit", Area: plugins.Admin, Handle: p.edit},
		{Method: http.MethodPost, Path: adminPath + "/:id/edit", Area: plugins.Admin, Handle: p.save},
		{Method: http.MethodPost, Path: adminPath + "/:id/stop", Area: plugins.Admin, Handle: p.stop},
	}
}

// Menu implements plugins.Router.
func (*Plugin) Menu() []plugins.MenuItem {
	return []plugins.MenuItem{{Href: adminPath, Label: "bargain.menu", Group: "marketing.group"}}
}

// MemberLinks implements plugins.MemberLinker: 我的砍价 on the member page.
func (*Plugin) MemberLinks() []plugins.MemberLink {
	return []plugins.MemberLink{{ID: "bargains", Label: "bargain.mine.title", URL: minePath}}
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

func asValidation(err error) (*store.ValidationError, bool) {
	var ve *store.ValidationError
	var ves store.ValidationErrors
	switch {
	case errors.As(err, &ves) && len(ves) > 0:
		return ves[0], true
	case errors.As(err, &ve):
		return ve, true
	}
	return nil, false
}

// activity is where a bargain starts; a customer with one running is
// sent to it.
func (p *Plugin) activity(r plugins.Request) error {
	id, err := idParam(r)
	if err != nil || id == 0 {
		return plugins.ErrNotFound
	}
	a, err := GetActivity(r.Context(), r.Store(), id)
	if err != nil {
		return err
	}
	now := r.Store().Now()
	var running int64
	var started int
	err = r.Store().Read(r.Context(), func(tx *sql.Tx) error {
		err := tx.QueryRowContext(r.Context(), `SELECT id FROM bargains WHERE activity_id = ? AND customer_id = ? AND status = 'open'
			AND expires_at > ? ORDER BY id DESC LIMIT 1`, id, r.Customer().ID, now.Unix()).Scan(&running)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		return tx.QueryRowContext(r.Context(), `SELECT COUNT(*) FROM bargains WHERE activity_id = ? AND customer_id = ?`,
			id, r.Customer().ID).Scan(&started)
	})
	if err != nil {
		return err
	}
	if running > 0 {
		return r.Redirect(bargainPath+strconv.FormatInt(running, 10), "")
	}
	vm := activityView{A: a, Now: now, SelfHelp: p.SelfHelp()}
	switch {
	case !a.Live(now):
		vm.Reason = "bargain.err.not_live"
	case a.Sold >= a.Stock:
		vm.Reason = "bargain.err.sold_out"
	case started >= a.PerUser:
		vm.Reason = "bargain.err.per_user_done"
	}
	return r.Page(http.StatusOK, plugins.Page{Title: r.T("bargain.title"), BackURL: "/p/" + strconv.FormatInt(a.ProductID, 10),
		Class: "page-bargain", Body: activityPage(vm)})
}

func (p *Plugin) start(r plugins.Request) error {
	id, err := idParam(r)
	if err != nil || id == 0 {
		return plugins.ErrNotFound
	}
	bid, err := Start(r.Context(), r.Store(), id, r.Customer().ID, p.SelfHelp())
	if ve, ok := asValidation(err); ok {
		return r.Redirect(activityPath+strconv.FormatInt(id, 10), r.T(ve.Key, ve.Args...))
	}
	if err != nil {
		return err
	}
	return r.Redirect(bargainPath+strconv.FormatInt(bid, 10), r.T("bargain.started"))
}

// bargain is the shared page: anyone may look; a signed-in friend helps.
func (p *Plugin) bargain(r plugins.Request) error {
	id, err := idParam(r)
	if err != nil || id == 0 {
		return plugins.ErrNotFound
	}
	b, err := Get(r.Context(), r.Store(), id)
	if err != nil {
		return err
	}
	vm := bargainView{B: b, Now: r.Store().Now(), FloorOnly: p.FloorOnly(), SelfHelp: p.SelfHelp(), BuyURL: BuyURL(b),
		ActivityID: b.ActivityID,
		LoginURL:   "/login?next=" + url.QueryEscape(bargainPath+strconv.FormatInt(b.ID, 10))}
	if a, err := GetActivity(r.Context(), r.Store(), b.ActivityID); err == nil {
		vm.Hours = a.Hours
	} else {
		return err
	}
	if cu := r.Customer(); cu != nil {
		vm.ViewerID = cu.ID
		for _, h := range b.Helps {
			if h.HelperID == cu.ID && cu.ID != b.CustomerID {
				vm.Helped, vm.MyCut = true, h.Cut
			}
		}
	}
	return r.Page(http.StatusOK, plugins.Page{Title: r.T("bargain.page_title"), BackURL: "/",
		Class: "page-bargain", Body: bargainPage(vm)})
}

func (p *Plugin) help(r plugins.Request) error {
	id, err := idParam(r)
	if err != nil || id == 0 {
		return plugins.ErrNotFound
	}
	cut, err := HelpBargain(r.Context(), r.Store(), id, r.Customer().ID)
	target := bargainPath + strconv.FormatInt(id, 10)
	if ve, ok := asValidation(err); ok {
		return r.Redirect(target, r.T(ve.Key, ve.Args...))
	}
	if errors.Is(err, store.ErrConflict) {
		return r.Redirect(target, r.T("bargain.err.busy"))
	}
	if err != nil {
		return err
	}
	return r.Redirect(target, r.T("bargain.helped_notice", "amount", cut.String()))
}

func (p *Plugin) mine(r plugins.Request) error {
	items, err := Mine(r.Context(), r.Store(), r.Customer().ID)
	if err != nil {
		return err
	}
	return r.Page(http.StatusOK, plugins.Page{Title: r.T("bargain.mine.title"), BackURL: "/me", Class: "page-bargain",
		Body: minePage(mineView{Items: items, Now: r.Store().Now()})})
}

func (p *Plugin) adminList(r plugins.Request) error {
	as, err := List(r.Context(), r.Store())
	if err != nil {
		return err
	}
	return r.Page(http.StatusOK, plugins.Page{Title: r.T("bargain.admin.title"), Body: adminList(as, r.Store().Now())})
}

const formTime = "2006-01-02T15:04"

func (p *Plugin) edit(r plugins.Request) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	now := r.Store().Now()
	f := formView{Hours: "24", Helpers: "5", PerUser: "1", Stock: "100",
		StartsAt: now.Local().Format(formTime), EndsAt: now.Add(7 * 24 * time.Hour).Local().Format(formTime)}
	if id > 0 {
		a, err := GetActivity(r.Context(), r.Store(), id)
		if err != nil {
			return err
		}
		f = formView{ID: a.ID, Name: a.Name, ProductID: strconv.FormatInt(a.ProductID, 10), SKUID: strconv.FormatInt(a.SKUID, 10),
			Floor: a.Floor.String(), Hours: strconv.Itoa(a.Hours), Helpers: strconv.Itoa(a.Helpers), PerUser: strconv.Itoa(a.PerUser),
			Stock: strconv.Itoa(a.Stock), Commission: a.Commission,
			StartsAt: a.StartsAt.Local().Format(formTime), EndsAt: a.EndsAt.Local().Format(formTime)}
		if a.Start > 0 {
			f.Start = a.Start.String()
		}
	}
	return p.form(r, http.StatusOK, f)
}

func (p *Plugin) form(r plugins.Request, status int, f formView) error {
	title := r.T("bargain.admin.new")
	if f.ID > 0 {
		title = r.T("bargain.admin.edit")
	}
	return r.Page(status, plugins.Page{Title: title, Body: adminForm(title, f)})
}

// Parse turns the back office's form into an activity; a malformed value
// is a field error (the rules are checked by Save).
func Parse(f url.Values, id int64) (*Activity, error) {
	var v store.ValidationErrors
	a := &Activity{ID: id, Name: f.Get("name"), Commission: f.Get("commission") == "1"}
	num := func(key, msg string, args ...any) int64 {
		s := strings.TrimSpace(f.Get(key))
		if s == "" {
			return 0
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 || n > 1<<31 {
			v.Add(key, msg, args...)
			return 0
		}
		return n
	}
	money := func(key, msg string) store.Fen {
		s := strings.TrimSpace(f.Get(key))
		if s == "" {
			return 0
		}
		fen, err := store.ParseFen(s)
		if err != nil || fen < 0 {
			v.Add(key, msg)
			return 0
		}
		return fen
	}
	if a.ProductID = num("product_id", "bargain.err.product"); a.ProductID == 0 && v.Err() == nil {
		v.Add("product_id", "bargain.err.product")
	}
	a.SKUID = num("sku_id", "bargain.err.sku")
	a.Start = money("start", "bargain.err.start")
	a.Floor = money("floor", "bargain.err.floor")
	a.Hours = int(num("hours", "bargain.err.hours", "max", MaxHours))
	a.Helpers = int(num("helpers", "bargain.err.helpers", "max", MaxHelpers))
	a.PerUser = int(num("per_user", "bargain.err.per_user", "max", MaxPerUser))
	a.Stock = int(num("stock", "bargain.err.stock", "max", MaxStock))
	var e1, e2 error
	a.StartsAt, e1 = time.ParseInLocation(formTime, strings.TrimSpace(f.Get("starts_at")), time.Local)
	a.EndsAt, e2 = time.ParseInLocation(formTime, strings.TrimSpace(f.Get("ends_at")), time.Local)
	if e1 != nil || e2 != nil {
		v.Add("ends_at", "bargain.err.window")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return a, nil
}

func (p *Plugin) save(r plugins.Request) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	form := r.Form()
	f := formView{ID: id, Name: form.Get("name"), ProductID: form.Get("product_id"), SKUID: form.Get("sku_id"), Start: form.Get("start"),
		Floor: form.Get("floor"), Hours: form.Get("hours"), Helpers: form.Get("helpers"), PerUser: form.Get("per_user"),
		Stock: form.Get("stock"), Commission: form.Get("commission") == "1", StartsAt: form.Get("starts_at"), EndsAt: form.Get("ends_at")}
	a, err := Parse(form, id)
	if err == nil {
		_, err = Save(r.Context(), r.Store(), a)
	}
	if err != nil {
		fe, ok := views.NewFormErrors(r.Context(), err)
		if !ok {
			return err
		}
		f.Errors = fe
		return p.form(r, http.StatusUnprocessableEntity, f)
	}
	return r.Redirect(adminPath, r.T("bargain.admin.saved"))
}

func (p *Plugin) stop(r plugins.Request) error {
	id, err := idParam(r)
	if err != nil || id == 0 {
		return plugins.ErrNotFound
	}
	if err := Stop(r.Context(), r.Store(), id); err != nil {
		return err
	}
	return r.Redirect(adminPath, r.T("bargain.admin.stopped"))
}

// lastEdge is the last time the boundary job looked.
var lastEdge atomic.Int64

// Jobs implements plugins.Jobber: when an activity starts or ends, or
// sells out (or gets a piece back), cached pages are refreshed (the
// catalogue version is bumped): the product page's bar and the home page's
// entry follow.
func (*Plugin) Jobs() []plugins.Job {
	return []plugins.Job{{Name: "boundaries", Every: time.Minute, Run: func(ctx context.Context, db *store.DB) error {
		now := db.Now().Unix()
		from := lastEdge.Swap(now)
		var n int
		var live string
		err := db.Read(ctx, func(tx *sql.Tx) error {
			if err := tx.QueryRowContext(ctx, `SELECT COALESCE(group_concat(id), '') FROM (SELECT a.id FROM bargain_activities a
				JOIN products p ON p.id = a.product_id JOIN skus s ON s.id = a.sku_id WHERE `+liveWhere+` ORDER BY a.id)`,
				now, now).Scan(&live); err != nil {
				return err
			}
			if from == 0 {
				return nil
			}
			return tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM bargain_activities WHERE status = 'active'
				AND ((starts_at > ? AND starts_at <= ?) OR (ends_at > ? AND ends_at <= ?))`, from, now, from, now).Scan(&n)
		})
		if err != nil {
			return err
		}
		liveMu.Lock()
		before, seen := lastLive[db]
		lastLive[db] = live
		liveMu.Unlock()
		if n > 0 || (seen && before != live) {
			db.BumpCatalogue()
		}
		return nil
	}}}
}

// lastLive is, per shop, the live activities with stock the boundary job
// saw last (their ids), to notice one selling out.
var (
	liveMu   sync.Mutex
	lastLive = map[*store.DB]string{}
)
