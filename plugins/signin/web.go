package signin

import (
	_ "embed"
	"errors"
	"net/http"
	"time"

	"github.com/xiaodian/xiaodian/plugins"
)

const (
	pagePath  = "/signin"
	adminPath = "/admin/signin"
)

//go:embed style.css
var stylesheet []byte

// Stylesheet implements plugins.Styler.
func (*Plugin) Stylesheet() []byte { return stylesheet }

// Routes implements plugins.Router.
func (p *Plugin) Routes() []plugins.Route {
	return []plugins.Route{
		{Method: http.MethodGet, Path: pagePath, Area: plugins.Account, Handle: p.page},
		{Method: http.MethodPost, Path: pagePath, Area: plugins.Account, Handle: p.post},
		{Method: http.MethodGet, Path: adminPath, Area: plugins.Admin, Handle: p.admin},
	}
}

// Menu implements plugins.Router.
func (*Plugin) Menu() []plugins.MenuItem {
	return []plugins.MenuItem{{Href: adminPath, Label: "signin.menu", Group: "marketing.group"}}
}

// MemberLinks implements plugins.MemberLinker: 每日签到 on the member page.
func (*Plugin) MemberLinks() []plugins.MemberLink {
	return []plugins.MemberLink{{ID: "signin", Label: "signin.title", URL: pagePath}}
}

// cell is one day of the calendar.
type cell struct {
	Day    int // 0 = padding
	Signed bool
	Today  bool
	Future bool
}

type pageView struct {
	Month      Month
	Cells      []cell
	PointsOn   bool
	Balance    int64
	NextDay    int   // streak day of the next sign-in
	NextPoints int64 // what it gives
	NextBonus  int64
	Rules      Rules
	Notice     string
	Upcoming   []upcoming // the rest of the cycle's bonuses
}

type upcoming struct {
	In     int // days from the next sign-in
	Day    int
	Points int64
}

func calendar(m Month) []cell {
	first := time.Date(m.Year, m.Month, 1, 0, 0, 0, 0, time.Local)
	days := first.AddDate(0, 1, -1).Day()
	pad := (int(first.Weekday()) + 6) % 7 // weeks start on Monday
	cells := make([]cell, pad, pad+days)
	for d := 1; d <= days; d++ {
		cells = append(cells, cell{Day: d, Signed: m.Signed[d], Today: d == m.Today, Future: d > m.Today})
	}
	return cells
}

func (p *Plugin) view(r plugins.Request) (pageView, error) {
	cid := r.Customer().ID
	m, err := MonthOf(r.Context(), r.Store(), cid, r.Store().Now())
	if err != nil {
		return pageView{}, err
	}
	rules := p.Rules()
	vm := pageView{Month: m, Cells: calendar(m), PointsOn: p.pointsOn(), Rules: rules}
	// The next sign-in (today's, or tomorrow's once today is signed)
	// continues the streak.
	next := m.Streak + 1
	vm.NextDay = rules.DayOf(next)
	daily, bonus := rules.Reward(next)
	vm.NextPoints, vm.NextBonus = daily+bonus, bonus
	for _, b := range rules.Bonuses {
		if b.Day >= vm.NextDay {
			vm.Upcoming = append(vm.Upcoming, upcoming{In: b.Day - vm.NextDay, Day: b.Day, Points: b.Points})
		}
	}
	if vm.PointsOn {
		if vm.Balance, err = pointsBalance(r); err != nil {
			return vm, err
		}
	}
	return vm, nil
}

func (p *Plugin) page(r plugins.Request) error {
	vm, err := p.view(r)
	if err != nil {
		return err
	}
	vm.Notice = r.Notice()
	return r.Page(http.StatusOK, plugins.Page{Title: r.T("signin.title"), BackURL: "/me", Class: "page-signin", Body: signinPage(vm)})
}

// post signs the customer in and goes back to the calendar with what it
// gave.
func (p *Plugin) post(r plugins.Request) error {
	res, err := p.SignIn(r.Context(), r.Store(), r.Customer().ID)
	switch {
	case errors.Is(err, ErrAlready):
		return r.Redirect(pagePath, r.T("signin.already"))
	case err != nil:
		return err
	case res.Points > 0:
		return r.Redirect(pagePath, r.T("signin.done_points", "n", res.Points, "streak", res.Streak))
	default:
		return r.Redirect(pagePath, r.T("signin.done", "streak", res.Streak))
	}
}

type adminView struct {
	Stats    Stats
	Rules    Rules
	PointsOn bool
}

func (p *Plugin) admin(r plugins.Request) error {
	st, err := ShopStats(r.Context(), r.Store(), r.Store().Now())
	if err != nil {
		return err
	}
	return r.Page(http.StatusOK, plugins.Page{Title: r.T("signin.admin.title"),
		Body: adminPage(adminView{Stats: st, Rules: p.Rules(), PointsOn: p.pointsOn()})})
}
