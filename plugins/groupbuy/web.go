package groupbuy

import (
	"context"
	"crypto/rand"
	"database/sql"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
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
	groupPath  = "/group/"
	minePath   = "/me/groups"
	adminPath  = "/admin/groupbuy"
	groupsPath = adminPath + "/groups"
)

// GroupURL is a group's page, for sharing.
func GroupURL(id int64) string { return groupPath + strconv.FormatInt(id, 10) }

// Routes implements plugins.Router.
func (p *Plugin) Routes() []plugins.Route {
	return []plugins.Route{
		{Method: http.MethodGet, Path: groupPath + ":id", Area: plugins.Storefront, Handle: p.groupPage},
		{Method: http.MethodGet, Path: zonePath, Area: plugins.Storefront, Handle: p.zone},
		{Method: http.MethodGet, Path: minePath, Area: plugins.Account, Handle: p.mine},
		{Method: http.MethodGet, Path: adminPath, Area: plugins.Admin, Handle: p.list},
		{Method: http.MethodGet, Path: adminPath + "/new", Area: plugins.Admin, Handle: p.edit},
		{Method: http.MethodPost, Path: adminPath + "/new", Area: plugins.Admin, Handle: p.save},
		{Method: http.MethodGet, Path: adminPath + "/:id/edit", Area: plugins.Admin, Handle: p.edit},
		{Method: http.MethodPost, Path: adminPath + "/:id/edit", Area: plugins.Admin, Handle: p.save},
		{Method: http.MethodPost, Path: adminPath + "/:id/stop", Area: plugins.Admin, Handle: p.stop},
		{Method: http.MethodGet, Path: groupsPath, Area: plugins.Admin, Handle: p.groups},
	}
}

// Menu implements plugins.Router.
func (*Plugin) Menu() []plugins.MenuItem {
	return []plugins.MenuItem{{Href: adminPath, Label: "groupbuy.menu", Group: "marketing.group"}}
}

// MemberLinks implements plugins.MemberLinker: 我的拼团.
func (*Plugin) MemberLinks() []plugins.MemberLink {
	return []plugins.MemberLink{{ID: "groups", Label: "groupbuy.mine.title", URL: minePath}}
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

// skuOption is a SKU to choose on the group page.
type skuOption struct {
	ID    int64
	Label string
	Price store.Fen
	Group store.Fen
	Stock int
}

func skusOf(ctx context.Context, db *store.DB, a *Activity) ([]skuOption, string, string, error) {
	var out []skuOption
	var title, cover string
	err := db.Read(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT p.title, COALESCE((SELECT image FROM product_images WHERE product_id = p.id
			ORDER BY position LIMIT 1), '') FROM products p WHERE p.id = ?`, a.ProductID).Scan(&title, &cover); err != nil {
			return err
		}
		var err error
		out, err = skusTx(ctx, tx, a)
		return err
	})
	return out, title, cover, err
}

// skusTx are the activity's product's SKUs at the group price.
func skusTx(ctx context.Context, tx *sql.Tx, a *Activity) ([]skuOption, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, spec_values, price_fen, stock FROM skus WHERE product_id = ? AND deleted_at IS NULL
		ORDER BY id`, a.ProductID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []skuOption
	for rows.Next() {
		var s skuOption
		var specs string
		if err := rows.Scan(&s.ID, &specs, &s.Price, &s.Stock); err != nil {
			return nil, err
		}
		var vals []string
		_ = json.Unmarshal([]byte(specs), &vals)
		s.Label = strings.Join(vals, " ")
		s.Group = a.Price(s.Price)
		out = append(out, s)
	}
	return out, rows.Err()
}

// groupView is the group page.
type groupView struct {
	G        *Group
	Now      time.Time
	SKUs     []skuOption
	Title    string
	Cover    string
	Mine     bool // the visitor has a seat
	SignedIn bool
}

func (p *Plugin) groupPage(r plugins.Request) error {
	id, err := idParam(r)
	if err != nil || id == 0 {
		return plugins.ErrNotFound
	}
	g, err := GroupByID(r.Context(), r.Store(), id)
	if err != nil {
		return err
	}
	vm := groupView{G: g, Now: r.Store().Now()}
	if vm.SKUs, vm.Title, vm.Cover, err = skusOf(r.Context(), r.Store(), g.Activity); err != nil {
		return err
	}
	if cu := r.Customer(); cu != nil {
		vm.SignedIn = true
		for _, m := range g.Seats {
			if m.CustomerID == cu.ID {
				vm.Mine = true
			}
		}
	}
	return r.Page(http.StatusOK, plugins.Page{Title: r.T("groupbuy.page.title"), BackURL: "/p/" + strconv.FormatInt(g.Activity.ProductID, 10),
		Class: "page-group", Body: groupPage(vm)})
}

func (p *Plugin) mine(r plugins.Request) error {
	items, err := Mine(r.Context(), r.Store(), r.Customer().ID)
	if err != nil {
		return err
	}
	return r.Page(http.StatusOK, plugins.Page{Title: r.T("groupbuy.mine.title"), BackURL: "/me", Class: "page-group",
		Body: minePage(items, r.Store().Now())})
}

func (p *Plugin) list(r plugins.Request) error {
	rows, err := List(r.Context(), r.Store())
	if err != nil {
		return err
	}
	totals, err := Totals(r.Context(), r.Store())
	if err != nil {
		return err
	}
	return r.Page(http.StatusOK, plugins.Page{Title: r.T("groupbuy.admin.title"), Body: adminList(rows, totals, r.Store().Now())})
}

func (p *Plugin) groups(r plugins.Request) error {
	var aid int64
	if s := r.Query().Get("activity"); s != "" {
		var err error
		if aid, err = strconv.ParseInt(s, 10, 64); err != nil || aid <= 0 {
			return plugins.ErrNotFound
		}
	}
	status := r.Query().Get("status")
	switch status {
	case "", "open", "succeeded", "failed":
	default:
		status = ""
	}
	gs, err := AdminGroups(r.Context(), r.Store(), aid, status)
	if err != nil {
		return err
	}
	return r.Page(http.StatusOK, plugins.Page{Title: r.T("groupbuy.admin.groups"), Body: adminGroups(gs, aid, status)})
}

const formTime = "2006-01-02T15:04"

// formView is the activity form as typed.
type formView struct {
	ID                                                               int64
	Name, ProductID, Percent, Size, Hours, PerUser, StartsAt, EndsAt string
	Fill, Commission                                                 bool
	Errors                                                           views.FormErrors
}

func (p *Plugin) edit(r plugins.Request) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	now := r.Store().Now()
	f := formView{Percent: "80", Size: "2", Hours: "24", PerUser: "0", StartsAt: now.Local().Format(formTime),
		EndsAt: now.Add(7 * 24 * time.Hour).Local().Format(formTime)}
	if id > 0 {
		a, err := Get(r.Context(), r.Store(), id)
		if err != nil {
			return err
		}
		f = formView{ID: a.ID, Name: a.Name, ProductID: strconv.FormatInt(a.ProductID, 10), Percent: strconv.FormatInt(a.Percent, 10),
			Size: strconv.Itoa(a.Size), Hours: strconv.Itoa(a.Hours), PerUser: strconv.Itoa(a.PerUser), Fill: a.Fill,
			Commission: a.Commission, StartsAt: a.StartsAt.Local().Format(formTime), EndsAt: a.EndsAt.Local().Format(formTime)}
	}
	return p.form(r, http.StatusOK, f)
}

func (p *Plugin) form(r plugins.Request, status int, f formView) error {
	title := r.T("groupbuy.admin.new")
	if f.ID > 0 {
		title = r.T("groupbuy.admin.edit")
	}
	return r.Page(status, plugins.Page{Title: title, Body: adminForm(title, f)})
}

// Parse turns the typed form into an activity; a bad number is a field
// error naming the field.
func Parse(f formView) (*Activity, error) {
	var v store.ValidationErrors
	a := &Activity{ID: f.ID, Name: f.Name, Fill: f.Fill, Commission: f.Commission}
	num := func(s, field, key string, args ...any) int64 {
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil || n < 0 || n > 1<<31 {
			v.Add(field, key, args...)
			return 0
		}
		return n
	}
	a.ProductID = num(f.ProductID, "product_id", "groupbuy.err.product")
	a.Percent = num(f.Percent, "percent", "groupbuy.err.percent")
	a.Size = int(num(f.Size, "size", "groupbuy.err.size", "max", MaxSize))
	a.Hours = int(num(f.Hours, "hours", "groupbuy.err.hours", "max", MaxHours))
	if strings.TrimSpace(f.PerUser) != "" {
		a.PerUser = int(num(f.PerUser, "per_user", "groupbuy.err.per_user"))
	}
	var e1, e2 error
	a.StartsAt, e1 = time.ParseInLocation(formTime, strings.TrimSpace(f.StartsAt), time.Local)
	a.EndsAt, e2 = time.ParseInLocation(formTime, strings.TrimSpace(f.EndsAt), time.Local)
	if e1 != nil || e2 != nil {
		v.Add("ends_at", "groupbuy.err.window")
	}
	// The rules too, so that every bad field is named at once.
	var rules store.ValidationErrors
	if err := a.validate(); err != nil && !errors.As(err, &rules) {
		return nil, err
	}
	for _, e := range rules {
		if !hasField(v, e.Field) {
			v = append(v, e)
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return a, nil
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
	f := formView{ID: id, Name: form.Get("name"), ProductID: form.Get("product_id"), Percent: form.Get("percent"),
		Size: form.Get("size"), Hours: form.Get("hours"), PerUser: form.Get("per_user"), StartsAt: form.Get("starts_at"),
		EndsAt: form.Get("ends_at"), Fill: form.Get("fill") == "1", Commission: form.Get("commission") == "1"}
	a, err := Parse(f)
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
	return r.Redirect(adminPath, r.T("groupbuy.admin.saved"))
}

func (p *Plugin) stop(r plugins.Request) error {
	id, err := idParam(r)
	if err != nil || id == 0 {
		return plugins.ErrNotFound
	}
	if err := Stop(r.Context(), r.Store(), id); err != nil {
		return err
	}
	return r.Redirect(adminPath, r.T("groupbuy.admin.stopped"))
}

// Jobs implements plugins.Jobber: groups whose time ran out fail (or, with
// 模拟成团, succeed) and the orders without a seat are refunded; when an
// activity starts or ends, cached pages are refreshed.
func (p *Plugin) Jobs() []plugins.Job {
	return []plugins.Job{{Name: "expire", Every: 30 * time.Second, Run: func(ctx context.Context, db *store.DB) error {
		_, err := p.Sweep(ctx, db)
		return err
	}}, {Name: "boundaries", Every: time.Minute, Run: boundaries}}
}

// Sweep decides the groups whose time ran out and refunds the orders
// waiting for a refund; it returns how many orders it refunded. Each
// group is decided by a guarded UPDATE and each refund is recorded before
// the provider is asked, so two sweeps at once do everything once.
func (p *Plugin) Sweep(ctx context.Context, db *store.DB) (int, error) {
	now := db.Now().Unix()
	var expired []int64
	err := db.Read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id FROM groupbuy_groups WHERE status = 'open' AND expires_at <= ? ORDER BY id LIMIT 200`, now)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return err
			}
			expired = append(expired, id)
		}
		return rows.Err()
	})
	if err != nil {
		return 0, err
	}
	for _, id := range expired {
		if err := db.Write(ctx, func(tx *sql.Tx) error { return expireTx(ctx, tx, db, id) }); err != nil {
			return 0, fmt.Errorf("expire group %d: %w", id, err)
		}
	}
	if len(expired) > 0 {
		db.BumpCatalogue()
	}
	var orders []int64
	err = db.Read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT order_id FROM groupbuy_members WHERE status = 'refund' ORDER BY id LIMIT 200`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return err
			}
			orders = append(orders, id)
		}
		return rows.Err()
	})
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, id := range orders {
		err := db.RefundOrder(ctx, id, store.SystemActor, "拼团失败", p.refundFunc)
		switch {
		case err == nil:
			n++
		case errors.Is(err, store.ErrRefundInProgress), errors.Is(err, store.ErrRefundPending):
			// another sweep, the provider's notification or the
			// reconciliation job finishes it
		case errors.Is(err, store.ErrOrderState):
			// closed meanwhile (an after-sale): nothing left to refund
			if werr := db.Write(ctx, func(tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, `UPDATE groupbuy_members SET status = 'refunded' WHERE order_id = ? AND status = 'refund'
					AND (SELECT status FROM orders WHERE id = ?) = 'closed'`, id, id)
				return err
			}); werr != nil {
				errs = append(errs, werr)
			}
		default:
			errs = append(errs, fmt.Errorf("refund group order %d: %w", id, err))
		}
	}
	return n, errors.Join(errs...)
}

// expireTx decides one group whose time ran out.
func expireTx(ctx context.Context, tx *sql.Tx, db *store.DB, groupID int64) error {
	var fill bool
	err := tx.QueryRowContext(ctx, `SELECT a.fill_at_expiry FROM groupbuy_groups g JOIN groupbuy_activities a ON a.id = g.activity_id
		WHERE g.id = ? AND g.status = 'open'`, groupID).Scan(&fill)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // decided meanwhile
	}
	if err != nil {
		return err
	}
	if fill {
		return completeTx(ctx, tx, db, groupID, true, 0)
	}
	res, err := tx.ExecContext(ctx, `UPDATE groupbuy_groups SET status = 'failed', done_at = ? WHERE id = ? AND status = 'open'`,
		db.Now().Unix(), groupID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return nil
	}
	_, err = tx.ExecContext(ctx, `UPDATE groupbuy_members SET status = 'refund' WHERE group_id = ? AND status = 'joined'`, groupID)
	return err
}

// refundFunc sends a refund through the payment's own provider (found even
// when the owner switched it off: its payments stay refundable). An
// unknown outcome leaves the refund pending for the reconciliation job;
// only the gateway's definite no fails it.
func (p *Plugin) refundFunc(ctx context.Context, pay *store.Payment, amount store.Fen, outRefundNo string) (string, error) {
	if p.reg == nil {
		return "", fmt.Errorf("no registry: %w", store.ErrRefundPending)
	}
	prov, ok := p.reg.PaymentProviderForNotify(pay.Provider)
	if !ok {
		return "", fmt.Errorf("payment provider %q not running: %w", pay.Provider, store.ErrRefundPending)
	}
	res, err := prov.Refund(ctx, plugins.RefundRequest{Payment: pay, OutRefundNo: outRefundNo, Amount: amount, Reason: "拼团失败"})
	switch {
	case errors.Is(err, plugins.ErrRefundRefused):
		return "", err
	case err != nil:
		return "", fmt.Errorf("%w: %v", store.ErrRefundPending, err)
	}
	switch res.Status {
	case plugins.RefundSucceeded:
		return res.ProviderRefundID, nil
	case plugins.RefundPending:
		return res.ProviderRefundID, store.ErrRefundPending
	}
	return res.ProviderRefundID, fmt.Errorf("refund %s %s: %w", outRefundNo, res.Status, plugins.ErrRefundRefused)
}

// Demo implements plugins.Demoer: a 2人团 at 80 % on the best-selling
// product of the demo catalogue not in a 限时折扣, a 秒杀 nor a 砍价, with a group
// opened by a demo customer (小美, who cannot sign in: her password is
// random) and waiting for a second member, and a 3人团 at 70 % on the
// next one, so that the 拼团专区 has a choice. The demo group holds no
// order of its own: whoever joins it completes it and their order goes on
// to be shipped.
func (*Plugin) Demo(ctx context.Context, db *store.DB) error {
	var products []int64
	err := db.Read(ctx, func(tx *sql.Tx) error {
		// Away from the 限时折扣, 秒杀 and 砍价 demos, when those plugins
		// are compiled in.
		q := `SELECT p.id FROM products p WHERE p.on_shelf = 1 AND p.deleted_at IS NULL AND p.is_virtual = 0`
		for table, cond := range map[string]string{"limited_discounts": ` AND p.id NOT IN (SELECT product_id FROM limited_discounts WHERE status = 'active')`,
			"flash_items":        ` AND p.id NOT IN (SELECT product_id FROM flash_items)`,
			"bargain_activities": ` AND p.id NOT IN (SELECT product_id FROM bargain_activities)`} {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, table).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				q += cond
			}
		}
		rows, err := tx.QueryContext(ctx, q+` ORDER BY p.sales DESC, p.id LIMIT 2`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return err
			}
			products = append(products, id)
		}
		return rows.Err()
	})
	if err != nil {
		return err
	}
	if len(products) == 0 {
		return nil
	}
	productID := products[0]
	if len(products) > 1 {
		now := db.Now()
		if _, err := Save(ctx, db, &Activity{Name: "三人成团享7折", ProductID: products[1], Percent: 70, Size: 3, Hours: 24, PerUser: 5,
			StartsAt: now.Add(-time.Minute), EndsAt: now.AddDate(0, 0, 10)}); err != nil {
			return err
		}
	}
	now := db.Now()
	aid, err := Save(ctx, db, &Activity{Name: "好物2人拼", ProductID: productID, Percent: 80, Size: 2, Hours: 24, PerUser: 5,
		StartsAt: now.Add(-time.Minute), EndsAt: now.AddDate(0, 0, 14)})
	if err != nil {
		return err
	}
	secret := make([]byte, 16)
	if _, err := rand.Read(secret); err != nil {
		return err
	}
	cu, err := db.RegisterCustomer(ctx, demoLeaderPhone, hex.EncodeToString(secret))
	if err != nil {
		return err
	}
	if err := db.UpdateCustomerProfile(ctx, cu.ID, store.CustomerProfile{Nickname: "小美"}); err != nil {
		return err
	}
	err = db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO groupbuy_groups (activity_id, leader_id, size, members, status, created_at, expires_at)
			VALUES (?, ?, 2, 1, 'open', ?, ?)`, aid, cu.ID, now.Unix(), now.Add(20*time.Hour).Unix())
		return err
	})
	if err == nil {
		db.BumpCatalogue()
	}
	return err
}

// demoLeaderPhone is the demo group's leader.
const demoLeaderPhone = "13900009901"
