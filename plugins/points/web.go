package points

import (
	"context"
	"database/sql"
	_ "embed"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views"
)

// Pages: 我的积分 (/me/points) and the back office's accounts
// (/admin/points), each customer's ledger and the manual adjustment.

const (
	minePath  = "/me/points"
	adminPath = "/admin/points"
	pageSize  = 20
)

//go:embed style.css
var stylesheet []byte

// Stylesheet implements plugins.Styler.
func (*Plugin) Stylesheet() []byte { return stylesheet }

// Routes implements plugins.Router.
func (p *Plugin) Routes() []plugins.Route {
	return []plugins.Route{
		{Method: http.MethodGet, Path: minePath, Area: plugins.Account, Handle: p.mine},
		{Method: http.MethodGet, Path: adminPath, Area: plugins.Admin, Handle: p.adminList},
		{Method: http.MethodGet, Path: adminPath + "/customers/:id", Area: plugins.Admin, Handle: p.adminCustomer},
		{Method: http.MethodPost, Path: adminPath + "/customers/:id/adjust", Area: plugins.Admin, Handle: p.adminAdjust},
	}
}

// Menu implements plugins.Router.
func (*Plugin) Menu() []plugins.MenuItem {
	return []plugins.MenuItem{{Href: adminPath, Label: "points.menu", Group: "marketing.group"}}
}

// MemberLinks implements plugins.MemberLinker: 我的积分 on the member page.
func (*Plugin) MemberLinks() []plugins.MemberLink {
	return []plugins.MemberLink{{ID: "points", Label: "points.mine.title", URL: minePath}}
}

// pageOf reads ?page= (1 for anything else).
func pageOf(r plugins.Request) int {
	n, err := strconv.Atoi(r.Query().Get("page"))
	if err != nil || n < 1 || n > 100000 {
		return 1
	}
	return n
}

type mineView struct {
	Balance int64
	Entries []Entry
	Page    int
	More    bool
	Rules   Rules
	Signin  bool // the 签到 plugin is on
}

func (p *Plugin) mine(r plugins.Request) error {
	cid := r.Customer().ID
	page := pageOf(r)
	bal, err := Balance(r.Context(), r.Store(), cid)
	if err != nil {
		return err
	}
	entries, total, err := History(r.Context(), r.Store(), cid, (page-1)*pageSize, pageSize)
	if err != nil {
		return err
	}
	vm := mineView{Balance: bal, Entries: entries, Page: page, More: page*pageSize < total, Rules: p.Rules(),
		Signin: p.reg != nil && p.reg.Enabled(signinID)}
	return r.Page(http.StatusOK, plugins.Page{Title: r.T("points.mine.title"), BackURL: "/me", Class: "page-points", Body: minePage(vm)})
}

type adminListView struct {
	Stats   Stats
	Holders []Holder
	Q       string
	Page    int
	More    bool
}

func (p *Plugin) adminList(r plugins.Request) error {
	q := strings.TrimSpace(r.Query().Get("q"))
	if utf8.RuneCountInString(q) > 20 {
		q = ""
	}
	page := pageOf(r)
	st, err := ShopStats(r.Context(), r.Store())
	if err != nil {
		return err
	}
	hs, total, err := Holders(r.Context(), r.Store(), q, (page-1)*pageSize, pageSize)
	if err != nil {
		return err
	}
	vm := adminListView{Stats: st, Holders: hs, Q: q, Page: page, More: page*pageSize < total}
	return r.Page(http.StatusOK, plugins.Page{Title: r.T("points.admin.title"), Body: adminListPage(vm)})
}

type adminCustomerView struct {
	CustomerID int64
	Phone      string
	Nickname   string
	Balance    int64
	Entries    []Entry
	Page       int
	More       bool
	Delta      string
	Reason     string
	Errors     views.FormErrors
	Notice     string
}

func customerTx(ctx context.Context, db *store.DB, id int64) (phone, nickname string, err error) {
	err = db.Read(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT phone, nickname FROM customers WHERE id = ?`, id).Scan(&phone, &nickname)
	})
	if errors.Is(err, sql.ErrNoRows) {
		err = plugins.ErrNotFound
	}
	return phone, nickname, err
}

func (p *Plugin) customerView(r plugins.Request) (adminCustomerView, error) {
	id, err := strconv.ParseInt(r.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return adminCustomerView{}, plugins.ErrNotFound
	}
	vm := adminCustomerView{CustomerID: id, Page: pageOf(r)}
	if vm.Phone, vm.Nickname, err = customerTx(r.Context(), r.Store(), id); err != nil {
		return vm, err
	}
	if vm.Balance, err = Balance(r.Context(), r.Store(), id); err != nil {
		return vm, err
	}
	var total int
	if vm.Entries, total, err = History(r.Context(), r.Store(), id, (vm.Page-1)*pageSize, pageSize); err != nil {
		return vm, err
	}
	vm.More = vm.Page*pageSize < total
	return vm, nil
}

func (p *Plugin) adminCustomer(r plugins.Request) error {
	vm, err := p.customerView(r)
	if err != nil {
		return err
	}
	vm.Notice = r.Notice()
	return r.Page(http.StatusOK, plugins.Page{Title: r.T("points.admin.customer"), Body: adminCustomerPage(vm)})
}

// MaxAdjust bounds one manual adjustment.
const MaxAdjust = 1_000_000

// ParseAdjust reads the adjustment form: a signed whole number of points
// (not 0, at most MaxAdjust either way) and a reason of 1–50 characters.
func ParseAdjust(delta, reason string) (int64, string, error) {
	var v store.ValidationErrors
	n, err := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(delta), "+"), 10, 64)
	if err != nil || n == 0 || n > MaxAdjust || n < -MaxAdjust {
		v.Add("delta", "points.err.delta", "max", MaxAdjust)
	}
	reason = strings.TrimSpace(reason)
	if reason == "" || utf8.RuneCountInString(reason) > 50 || !utf8.ValidString(reason) || strings.ContainsAny(reason, "\r\n") {
		v.Add("reason", "points.err.reason", "max", 50)
	}
	if err := v.Err(); err != nil {
		return 0, "", err
	}
	return n, reason, nil
}

// Adjust moves points on a customer's account by staff, with the reason
// and who did it in the ledger; a debit past the balance is refused.
func Adjust(ctx context.Context, db *store.DB, customerID, delta int64, reason, staff string) error {
	return db.Write(ctx, func(tx *sql.Tx) error {
		_, err := PostTx(ctx, tx, customerID, delta, KindAdjust, "staff:"+staff, reason, db.Now())
		if errors.Is(err, ErrInsufficient) {
			return store.Invalid("delta", "points.err.below_zero")
		}
		return err
	})
}

func (p *Plugin) adminAdjust(r plugins.Request) error {
	vm, err := p.customerView(r)
	if err != nil {
		return err
	}
	vm.Delta, vm.Reason = r.Form().Get("delta"), r.Form().Get("reason")
	delta, reason, err := ParseAdjust(vm.Delta, vm.Reason)
	if err == nil {
		_, staff := r.Staff()
		err = Adjust(r.Context(), r.Store(), vm.CustomerID, delta, reason, staff)
	}
	if err != nil {
		fe, ok := views.NewFormErrors(r.Context(), err)
		if !ok {
			return err
		}
		vm.Errors = fe
		return r.Page(http.StatusUnprocessableEntity, plugins.Page{Title: r.T("points.admin.customer"), Body: adminCustomerPage(vm)})
	}
	return r.Redirect(adminPath+"/customers/"+strconv.FormatInt(vm.CustomerID, 10), r.T("points.admin.adjusted"))
}

func storeFen(n int64) store.Fen { return store.Fen(n) }
