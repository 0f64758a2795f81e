package limited

import (
	"context"
	"database/sql"
	_ "embed"
	"net/http"
	"strconv"
	"strings"
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

const adminPath = "/admin/limited"

// Routes implements plugins.Router: the back office's discounts.
func (p *Plugin) Routes() []plugins.Route {
	return []plugins.Route{
		{Method: http.MethodGet, Path: adminPath, Area: plugins.Admin, Handle: p.list},
		{Method: http.MethodGet, Path: adminPath + "/new", Area: plugins.Admin, Handle: p.edit},
		{Method: http.MethodPost, Path: adminPath + "/new", Area: plugins.Admin, Handle: p.save},
		{Method: http.MethodGet, Path: adminPath + "/:id/edit", Area: plugins.Admin, Handle: p.edit},
		{Method: http.MethodPost, Path: adminPath + "/:id/edit", Area: plugins.Admin, Handle: p.save},
		{Method: http.MethodPost, Path: adminPath + "/:id/stop", Area: plugins.Admin, Handle: p.stop},
	}
}

// Menu implements plugins.Router.
func (*Plugin) Menu() []plugins.MenuItem {
	return []plugins.MenuItem{{Href: adminPath, Label: "limited.menu", Group: "marketing.group"}}
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

func (p *Plugin) list(r plugins.Request) error {
	ds, err := List(r.Context(), r.Store())
	if err != nil {
		return err
	}
	return r.Page(http.StatusOK, plugins.Page{Title: r.T("limited.admin.title"), Body: adminList(ds, r.Store().Now())})
}

const formTime = "2006-01-02T15:04"

func (p *Plugin) edit(r plugins.Request) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	now := r.Store().Now()
	f := formView{Mode: ModePercent, PerUser: "0", StartsAt: now.Local().Format(formTime), EndsAt: now.Add(72 * time.Hour).Local().Format(formTime)}
	if id > 0 {
		d, err := Get(r.Context(), r.Store(), id)
		if err != nil {
			return err
		}
		f = formView{ID: d.ID, Name: d.Name, ProductID: strconv.FormatInt(d.ProductID, 10), Mode: d.Mode,
			PerUser: strconv.Itoa(d.PerUser), StartsAt: d.StartsAt.Local().Format(formTime), EndsAt: d.EndsAt.Local().Format(formTime)}
		if d.Mode == ModeOff {
			f.Value = store.Fen(d.Value).String()
		} else {
			f.Value = strconv.FormatInt(d.Value, 10)
		}
	}
	return p.form(r, http.StatusOK, f)
}

func (p *Plugin) form(r plugins.Request, status int, f formView) error {
	title := r.T("limited.admin.new")
	if f.ID > 0 {
		title = r.T("limited.admin.edit")
	}
	return r.Page(status, plugins.Page{Title: title, Body: adminForm(title, f)})
}

// parse turns the form into a discount; a bad number is a field error.
func parse(f formView) (*Discount, error) {
	var v store.ValidationErrors
	d := &Discount{ID: f.ID, Name: f.Name, Mode: f.Mode}
	var err error
	if d.ProductID, err = strconv.ParseInt(strings.TrimSpace(f.ProductID), 10, 64); err != nil {
		v.Add("product_id", "limited.err.product")
	}
	switch f.Mode {
	case ModeOff:
		fen, err := store.ParseFen(strings.TrimSpace(f.Value))
		if err != nil {
			v.Add("value", "limited.err.off")
		}
		d.Value = int64(fen)
	default:
		if d.Value, err = strconv.ParseInt(strings.TrimSpace(f.Value), 10, 64); err != nil {
			v.Add("value", "limited.err.percent")
		}
	}
	if s := strings.TrimSpace(f.PerUser); s != "" {
		if d.PerUser, err = strconv.Atoi(s); err != nil {
			v.Add("per_user", "limited.err.per_user")
		}
	}
	var e1, e2 error
	d.StartsAt, e1 = time.ParseInLocation(formTime, strings.TrimSpace(f.StartsAt), time.Local)
	d.EndsAt, e2 = time.ParseInLocation(formTime, strings.TrimSpace(f.EndsAt), time.Local)
	if e1 != nil || e2 != nil {
		v.Add("ends_at", "limited.err.window")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return d, nil
}

func (p *Plugin) save(r plugins.Request) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	form := r.Form()
	f := formView{ID: id, Name: form.Get("name"), ProductID: form.Get("product_id"), Mode: form.Get("mode"), Value: form.Get("value"),
		PerUser: form.Get("per_user"), StartsAt: form.Get("starts_at"), EndsAt: form.Get("ends_at")}
	d, err := parse(f)
	if err == nil {
		_, err = Save(r.Context(), r.Store(), d)
	}
	if err != nil {
		fe, ok := views.NewFormErrors(r.Context(), err)
		if !ok {
			return err
		}
		f.Errors = fe
		return p.form(r, http.StatusUnprocessableEntity, f)
	}
	return r.Redirect(adminPath, r.T("limited.admin.saved"))
}

func (p *Plugin) stop(r plugins.Request) error {
	id, err := idParam(r)
	if err != nil || id == 0 {
		return plugins.ErrNotFound
	}
	if err := Stop(r.Context(), r.Store(), id); err != nil {
		return err
	}
	return r.Redirect(adminPath, r.T("limited.admin.stopped"))
}

// lastEdge is the last time the boundary job looked.
var lastEdge atomic.Int64

// Jobs implements plugins.Jobber: when a discount starts or ends, cached
// product pages are refreshed (the catalogue version is bumped).
func (*Plugin) Jobs() []plugins.Job {
	return []plugins.Job{{Name: "boundaries", Every: time.Minute, Run: func(ctx context.Context, db *store.DB) error {
		now := db.Now().Unix()
		from := lastEdge.Swap(now)
		if from == 0 {
			return nil
		}
		var n int
		err := db.Read(ctx, func(tx *sql.Tx) error {
			return tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM limited_discounts WHERE status = 'active'
				AND ((starts_at > ? AND starts_at <= ?) OR (ends_at > ? AND ends_at <= ?))`, from, now, from, now).Scan(&n)
		})
		if err == nil && n > 0 {
			db.BumpCatalogue()
		}
		return err
	}}}
}

// Demo implements plugins.Demoer: two products of 数码家电 at 8.5折 and
// 直降 ¥50 for a week, two per customer.
func (*Plugin) Demo(ctx context.Context, db *store.DB) error {
	var ids []int64
	err := db.Read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT p.id FROM products p JOIN categories c ON c.id = p.category_id
			JOIN categories t ON t.id = c.parent_id WHERE t.name = '数码家电' AND p.on_shelf = 1 ORDER BY p.id LIMIT 2`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return rows.Err()
	})
	if err != nil {
		return err
	}
	now := db.Now()
	for i, id := range ids {
		d := &Discount{Name: "数码周限时折扣", ProductID: id, Mode: ModePercent, Value: 85, PerUser: 2,
			StartsAt: now.Add(-time.Minute), EndsAt: now.AddDate(0, 0, 7)}
		if i == 1 {
			d.Mode, d.Value = ModeOff, 5000
		}
		if _, err := Save(ctx, db, d); err != nil {
			return err
		}
	}
	return nil
}
