package flash

import (
	"context"
	"database/sql"
	_ "embed"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views"
)

//go:embed style.css
var stylesheet []byte

// Stylesheet implements plugins.Styler.
func (*Plugin) Stylesheet() []byte { return stylesheet }

const (
	pagePath  = "/flash"
	adminPath = "/admin/flash"
)

// Routes implements plugins.Router: the storefront's 秒杀 page and the
// back office's slots.
func (p *Plugin) Routes() []plugins.Route {
	return []plugins.Route{
		{Method: http.MethodGet, Path: pagePath, Area: plugins.Storefront, Handle: p.page},
		{Method: http.MethodGet, Path: adminPath, Area: plugins.Admin, Handle: p.list},
		{Method: http.MethodGet, Path: adminPath + "/new", Area: plugins.Admin, Handle: p.editSale},
		{Method: http.MethodPost, Path: adminPath + "/new", Area: plugins.Admin, Handle: p.saveSale},
		{Method: http.MethodGet, Path: adminPath + "/:id", Area: plugins.Admin, Handle: p.detail},
		{Method: http.MethodGet, Path: adminPath + "/:id/edit", Area: plugins.Admin, Handle: p.editSale},
		{Method: http.MethodPost, Path: adminPath + "/:id/edit", Area: plugins.Admin, Handle: p.saveSale},
		{Method: http.MethodPost, Path: adminPath + "/:id/stop", Area: plugins.Admin, Handle: p.stop},
		{Method: http.MethodPost, Path: adminPath + "/:id/items", Area: plugins.Admin, Handle: p.saveItem},
		{Method: http.MethodPost, Path: adminPath + "/:id/items/:item", Area: plugins.Admin, Handle: p.saveItem},
		{Method: http.MethodPost, Path: adminPath + "/:id/items/:item/remove", Area: plugins.Admin, Handle: p.removeItem},
	}
}

// Menu implements plugins.Router.
func (*Plugin) Menu() []plugins.MenuItem {
	return []plugins.MenuItem{{Href: adminPath, Label: "flash.menu", Group: "marketing.group"}}
}

func param(r plugins.Request, name string) (int64, error) {
	if r.Param(name) == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(r.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, plugins.ErrNotFound
	}
	return id, nil
}

// page is the storefront's 秒杀: a tab per slot of the coming day, the
// chosen one's items with their prices and sold shares.
func (p *Plugin) page(r plugins.Request) error {
	now := r.Store().Now()
	sales, err := Schedule(r.Context(), r.Store(), now, now.Add(24*time.Hour))
	if err != nil {
		return err
	}
	vm := pageView{Now: now, Sales: sales}
	if len(sales) > 0 {
		vm.Current = sales[0]
		if id, err := strconv.ParseInt(r.Query().Get("s"), 10, 64); err == nil {
			for _, s := range sales {
				if s.ID == id {
					vm.Current = s
				}
			}
		}
	}
	return r.Page(http.StatusOK, plugins.Page{Title: r.T("flash.title"), BackURL: "/", Class: "page-flash", Body: flashPage(vm)})
}

// BuyURL is the checkout of one unit of an item at its flash price.
func BuyURL(it *Item) string {
	return "/checkout?sku_id=" + strconv.FormatInt(it.SKUID, 10) + "&qty=1&o_" + OptionKey + "=" + strconv.FormatInt(it.ID, 10)
}

func (p *Plugin) list(r plugins.Request) error {
	sales, err := Sales(r.Context(), r.Store())
	if err != nil {
		return err
	}
	return r.Page(http.StatusOK, plugins.Page{Title: r.T("flash.admin.title"), Body: adminList(sales, r.Store().Now())})
}

const formTime = "2006-01-02T15:04"

func (p *Plugin) editSale(r plugins.Request) error {
	id, err := param(r, "id")
	if err != nil {
		return err
	}
	now := r.Store().Now().Truncate(time.Hour).Add(time.Hour)
	f := saleForm{StartsAt: now.Local().Format(formTime), EndsAt: now.Add(2 * time.Hour).Local().Format(formTime)}
	if id > 0 {
		s, err := GetSale(r.Context(), r.Store(), id)
		if err != nil {
			return err
		}
		f = saleForm{ID: s.ID, Name: s.Name, StartsAt: s.StartsAt.Local().Format(formTime), EndsAt: s.EndsAt.Local().Format(formTime)}
	}
	return p.saleForm(r, http.StatusOK, f)
}

func (p *Plugin) saleForm(r plugins.Request, status int, f saleForm) error {
	title := r.T("flash.admin.new")
	if f.ID > 0 {
		title = r.T("flash.admin.edit")
	}
	return r.Page(status, plugins.Page{Title: title, Body: adminSaleForm(title, f)})
}

// parseSale turns the slot form into a slot.
func parseSale(f saleForm) (*Sale, error) {
	s := &Sale{ID: f.ID, Name: f.Name}
	var e1, e2 error
	s.StartsAt, e1 = time.ParseInLocation(formTime, strings.TrimSpace(f.StartsAt), time.Local)
	s.EndsAt, e2 = time.ParseInLocation(formTime, strings.TrimSpace(f.EndsAt), time.Local)
	if e1 != nil || e2 != nil {
		var v store.ValidationErrors
		v.Add("ends_at", "flash.err.window")
		return nil, v.Err()
	}
	return s, nil
}

func (p *Plugin) saveSale(r plugins.Request) error {
	id, err := param(r, "id")
	if err != nil {
		return err
	}
	form := r.Form()
	f := saleForm{ID: id, Name: form.Get("name"), StartsAt: form.Get("starts_at"), EndsAt: form.Get("ends_at")}
	s, err := parseSale(f)
	if err == nil {
		id, err = SaveSale(r.Context(), r.Store(), s)
	}
	if err != nil {
		fe, ok := views.NewFormErrors(r.Context(), err)
		if !ok {
			return err
		}
		f.Errors = fe
		return p.saleForm(r, http.StatusUnprocessableEntity, f)
	}
	return r.Redirect(adminPath+"/"+strconv.FormatInt(id, 10), r.T("flash.admin.saved"))
}

func (p *Plugin) detail(r plugins.Request) error {
	id, err := param(r, "id")
	if err != nil || id == 0 {
		return plugins.ErrNotFound
	}
	return p.drawDetail(r, http.StatusOK, id, itemForm{PerUser: "1", Commission: false})
}

func (p *Plugin) drawDetail(r plugins.Request, status int, id int64, f itemForm) error {
	s, err := GetSale(r.Context(), r.Store(), id)
	if errors.Is(err, store.ErrNotFound) {
		return plugins.ErrNotFound
	}
	if err != nil {
		return err
	}
	return r.Page(status, plugins.Page{Title: s.Name, Body: adminDetail(s, r.Store().Now(), f)})
}

// skuChoice is one SKU of the product an item form names.
type skuChoice struct {
	ID    int64
	Label string
	Price store.Fen
	Stock int
}

func skusOf(ctx context.Context, db *store.DB, productID int64) ([]skuChoice, error) {
	var out []skuChoice
	err := db.Read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT s.id, s.spec_values, s.price_fen, s.stock FROM skus s JOIN products p ON p.id = s.product_id
			WHERE s.product_id = ? AND s.deleted_at IS NULL AND p.deleted_at IS NULL AND p.is_virtual = 0 ORDER BY s.id`, productID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c skuChoice
			var specs string
			if err := rows.Scan(&c.ID, &specs, &c.Price, &c.Stock); err != nil {
				return err
			}
			c.Label = store.SpecLabel(specs)
			out = append(out, c)
		}
		return rows.Err()
	})
	return out, err
}

// parseItem turns the item form into an item. A product with several
// SKUs needs one chosen: the form comes back with them to choose from.
func parseItem(ctx context.Context, db *store.DB, f *itemForm) (*Item, error) {
	var v store.ValidationErrors
	it := &Item{ID: f.ID, SaleID: f.SaleID, Commission: f.Commission}
	productID, err := strconv.ParseInt(strings.TrimSpace(f.ProductID), 10, 64)
	if f.ID == 0 && (err != nil || productID <= 0) {
		v.Add("product_id", "flash.err.product")
	}
	if s := strings.TrimSpace(f.SKUID); s != "" {
		if it.SKUID, err = strconv.ParseInt(s, 10, 64); err != nil || it.SKUID <= 0 {
			v.Add("sku_id", "flash.err.sku")
		}
	} else if productID > 0 {
		skus, err := skusOf(ctx, db, productID)
		if err != nil {
			return nil, err
		}
		f.SKUs = skus
		switch len(skus) {
		case 0:
			v.Add("product_id", "flash.err.product")
		case 1:
			it.SKUID = skus[0].ID
		default:
			v.Add("sku_id", "flash.err.choose_sku")
		}
	}
	if it.Price, err = store.ParseFen(strings.TrimSpace(f.Price)); err != nil {
		v.Add("price", "flash.err.price")
	}
	if it.Stock, err = strconv.Atoi(strings.TrimSpace(f.Stock)); err != nil {
		v.Add("stock", "flash.err.stock", "max", MaxStock)
	}
	if s := strings.TrimSpace(f.PerUser); s != "" {
		if it.PerUser, err = strconv.Atoi(s); err != nil {
			v.Add("per_user", "flash.err.per_user", "max", MaxPerUser)
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return it, nil
}

func (p *Plugin) saveItem(r plugins.Request) error {
	saleID, err := param(r, "id")
	if err != nil || saleID == 0 {
		return plugins.ErrNotFound
	}
	itemID, err := param(r, "item")
	if err != nil {
		return err
	}
	form := r.Form()
	f := itemForm{ID: itemID, SaleID: saleID, ProductID: form.Get("product_id"), SKUID: form.Get("sku_id"), Price: form.Get("price"),
		Stock: form.Get("stock"), PerUser: form.Get("per_user"), Commission: form.Get("commission") == "1"}
	it, err := parseItem(r.Context(), r.Store(), &f)
	if err == nil {
		_, err = SaveItem(r.Context(), r.Store(), it)
	}
	if errors.Is(err, store.ErrNotFound) {
		return plugins.ErrNotFound
	}
	if err != nil {
		fe, ok := views.NewFormErrors(r.Context(), err)
		if !ok {
			return err
		}
		f.Errors = fe
		return p.drawDetail(r, http.StatusUnprocessableEntity, saleID, f)
	}
	return r.Redirect(adminPath+"/"+strconv.FormatInt(saleID, 10), r.T("flash.admin.item_saved"))
}

func (p *Plugin) removeItem(r plugins.Request) error {
	saleID, err := param(r, "id")
	if err != nil || saleID == 0 {
		return plugins.ErrNotFound
	}
	itemID, err := param(r, "item")
	if err != nil || itemID == 0 {
		return plugins.ErrNotFound
	}
	back := adminPath + "/" + strconv.FormatInt(saleID, 10)
	err = RemoveItem(r.Context(), r.Store(), saleID, itemID)
	var ve *store.ValidationError
	switch {
	case errors.As(err, &ve):
		return r.Redirect(back, r.T(ve.Key, ve.Args...))
	case errors.Is(err, store.ErrNotFound):
		return plugins.ErrNotFound
	case err != nil:
		return err
	}
	return r.Redirect(back, r.T("flash.admin.item_removed"))
}

func (p *Plugin) stop(r plugins.Request) error {
	id, err := param(r, "id")
	if err != nil || id == 0 {
		return plugins.ErrNotFound
	}
	if err := StopSale(r.Context(), r.Store(), id); errors.Is(err, store.ErrNotFound) {
		return plugins.ErrNotFound
	} else if err != nil {
		return err
	}
	return r.Redirect(adminPath, r.T("flash.admin.stopped"))
}
