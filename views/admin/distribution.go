package admin

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views"
)

// The view models of the distribution back office (分销管理).

// Pct formats basis points as a percentage without trailing zeros:
// 1000 → "10", 1050 → "10.5", 5 → "0.05".
func Pct(bp int) string {
	s := store.Fen(bp).String()
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// DistSettingsForm is the 分销设置 form, values as typed.
type DistSettingsForm struct {
	Enabled        bool
	Levels         string
	Mode           string
	SpendThreshold string
	BindOn         string
	ProtectDays    string
	Rebind         bool
	Base           string
	Rates          [3]string
	SelfPurchase   bool
	SettleDays     string
	WithdrawMin    string
	WithdrawFee    string
	WithdrawDaily  string
	WithdrawVia    []string
	Agents         bool
	Errors         views.FormErrors
}

// DistSettingsFormOf fills the form from stored settings.
func DistSettingsFormOf(s store.DistSettings) DistSettingsForm {
	f := DistSettingsForm{
		Enabled: s.Enabled, Levels: strconv.Itoa(s.Levels), Mode: s.Mode, SpendThreshold: s.SpendThreshold.String(),
		BindOn: s.BindOn, ProtectDays: strconv.Itoa(s.ProtectDays), Rebind: s.Rebind, Base: s.Base,
		SelfPurchase: s.SelfPurchase, SettleDays: strconv.Itoa(s.SettleDays), WithdrawMin: s.WithdrawMin.String(),
		WithdrawFee: Pct(s.WithdrawFeeBP), WithdrawDaily: strconv.Itoa(s.WithdrawDaily), WithdrawVia: s.WithdrawVia,
		Agents: s.Agents,
	}
	for i, r := range s.Rates {
		f.Rates[i] = Pct(r)
	}
	return f
}

func (f DistSettingsForm) offers(m string) bool {
	for _, v := range f.WithdrawVia {
		if v == m {
			return true
		}
	}
	return false
}

// DistQuery is a list's filter as the query string carries it.
type DistQuery struct {
	Path string // the list's address
	Vals url.Values
	Page int
}

// Get is one filter value.
func (q DistQuery) Get(k string) string { return q.Vals.Get(k) }

// With is the list's address with k set to v (page 1).
func (q DistQuery) With(k, v string) string {
	vals := url.Values{}
	for key, vs := range q.Vals {
		vals[key] = vs
	}
	if v == "" {
		vals.Del(k)
	} else {
		vals.Set(k, v)
	}
	vals.Del("page")
	return withQuery(q.Path, vals)
}

// PageURL is the list's address at page p.
func (q DistQuery) PageURL(p int) string {
	vals := url.Values{}
	for key, vs := range q.Vals {
		vals[key] = vs
	}
	vals.Del("page")
	if p > 1 {
		vals.Set("page", strconv.Itoa(p))
	}
	return withQuery(q.Path, vals)
}

// CSVURL is the export address of the filter.
func (q DistQuery) CSVURL() string {
	vals := url.Values{}
	for key, vs := range q.Vals {
		vals[key] = vs
	}
	vals.Del("page")
	return withQuery(q.Path+".csv", vals)
}

// Filtered reports whether any filter narrows the list.
func (q DistQuery) Filtered() bool {
	for k, v := range q.Vals {
		if k != "page" && len(v) > 0 && v[0] != "" {
			return true
		}
	}
	return false
}

// DistributorList is the 分销商 page.
type DistributorList struct {
	Query        DistQuery
	Distributors []store.Distributor
	Total, Pages int
	Levels       []store.DistributorLevel
	Counts       map[string]int
	Mode         string // the shop's distributor mode
	Designate    DesignateForm
}

// DesignateForm names a customer to make a distributor.
type DesignateForm struct {
	Phone  string
	Errors views.FormErrors
}

// DistributorDetail is one distributor with the staff's action forms.
type DistributorDetail struct {
	D           *store.Distributor
	Levels      []store.DistributorLevel
	Ledger      []store.CommissionLedgerEntry
	ReferralLog []ReferralLogRow
	// The forms, each with its own messages.
	StatusReason string
	StatusErrors views.FormErrors
	LevelID      int64
	LevelErrors  views.FormErrors
	AdjustDir    string
	AdjustAmount string
	AdjustReason string
	AdjustErrors views.FormErrors
	RebindPhone  string
	RebindReason string
	RebindErrors views.FormErrors
}

// ReferralLogRow is one binding of the referral log with the phones.
type ReferralLogRow struct {
	store.ReferralLogEntry
	From, To string // phones, "" for none
}

// DistributorURL is a distributor's page.
func DistributorURL(id int64) string { return "/admin/distribution/distributors/" + idStr(id) }

// TreePage is the 推广关系 browser of one root.
type TreePage struct {
	Phone   string // the search
	Root    *store.Distributor
	RootID  int64
	Levels  []int // members per depth
	Depth   int   // the level shown
	Members TreeMembers
	Error   string
}

// TreeMembers is one page of a downline level, or of a member's direct
// referrals when expanded.
type TreeMembers struct {
	ParentID int64
	Depth    int
	Members  []store.TreeMember
	Total    int
	Offset   int
	Limit    int
	Nested   bool // the children of an expanded row
	// Base is the root's level count above ParentID (0 when ParentID is the
	// root): the levels shown are Base + the member's depth. Nest is how
	// many rows were expanded to get here (the indentation).
	Base, Nest int
}

// Level is a member's level below the browser's root.
func (m TreeMembers) Level(t store.TreeMember) int { return m.Base + t.Depth }

// ExpandURL is the address of a member's direct referrals, nested.
func (m TreeMembers) ExpandURL(t store.TreeMember) string {
	return "/admin/distribution/tree/" + idStr(t.ID) + "/members?nested=1&base=" + strconv.Itoa(m.Level(t)) +
		"&nest=" + strconv.Itoa(m.Nest+1)
}

// Indent is the padding of a nested row.
func (m TreeMembers) Indent() string { return "padding-left:" + strconv.Itoa(12+m.Nest*24) + "px" }

// MoreURL is the address of the next page of the members.
func (m TreeMembers) MoreURL() string {
	v := url.Values{}
	v.Set("depth", strconv.Itoa(m.Depth))
	v.Set("offset", strconv.Itoa(m.Offset+m.Limit))
	if m.Nested {
		v.Set("nested", "1")
		v.Set("base", strconv.Itoa(m.Base))
		v.Set("nest", strconv.Itoa(m.Nest))
	}
	return "/admin/distribution/tree/" + idStr(m.ParentID) + "/members?" + v.Encode()
}

// HasMore reports whether a page follows.
func (m TreeMembers) HasMore() bool { return m.Offset+len(m.Members) < m.Total }

// ApplicationList is the 分销申请 page.
type ApplicationList struct {
	Query        DistQuery
	Applications []store.Distributor
	Total, Pages int
	Counts       map[string]int
	RejectID     int64
	RejectReason string
	RejectErrors views.FormErrors
}

// CommissionList is the 佣金记录 page.
type CommissionList struct {
	Query        DistQuery
	Commissions  []store.Commission
	Totals       store.CommissionTotals
	Total, Pages int
}

// WithdrawalList is the 提现管理 page.
type WithdrawalList struct {
	Query        DistQuery
	Withdrawals  []store.Withdrawal
	Total, Pages int
	Counts       map[string]int
	// Payout says which methods a provider can pay out now (渠道打款).
	Payout map[string]bool
	// The action that was refused, with its messages.
	ActionID     int64
	Action       string // reject, paid
	Reason, Ref  string
	ActionErrors views.FormErrors
}

// WithdrawalTabs are the queue's status tabs.
var WithdrawalTabs = []string{store.WithdrawalPending, store.WithdrawalApproved, store.WithdrawalPaying, store.WithdrawalPaid,
	store.WithdrawalRejected, store.WithdrawalFailed}

// RankingPage is the 排行榜.
type RankingPage struct {
	By      string
	Days    int
	Entries []store.RankingEntry
}

// RankingURL is the ranking by by over days.
func RankingURL(by string, days int) string {
	return "/admin/distribution/rankings?by=" + by + "&days=" + strconv.Itoa(days)
}

// LevelForm creates or edits a distributor level, values as typed.
type LevelForm struct {
	ID         int64
	Name       string
	Weight     string
	Rates      [3]string
	Discount   string
	CondSales  string
	CondDirect string
	CondTeam   string
	CondSpend  string
	CondAll    bool
	Errors     views.FormErrors
}

// LevelFormOf fills the form from a stored level.
func LevelFormOf(l *store.DistributorLevel) LevelForm {
	f := LevelForm{ID: l.ID, Name: l.Name, Weight: strconv.Itoa(l.Weight), Discount: Pct(l.DiscountBP),
		CondSales: l.CondSales.String(), CondDirect: strconv.Itoa(l.CondDirect), CondTeam: strconv.Itoa(l.CondTeam),
		CondSpend: l.CondSpend.String(), CondAll: l.CondAll}
	for i, r := range l.Rates {
		f.Rates[i] = Pct(r)
	}
	return f
}

// Action is the form's address.
func (f LevelForm) Action() string {
	if f.ID == 0 {
		return "/admin/distribution/levels/new"
	}
	return "/admin/distribution/levels/" + idStr(f.ID) + "/edit"
}

// AgentList is the 区域代理 page.
type AgentList struct {
	Query        DistQuery
	Agents       []store.Agent
	Total, Pages int
	Now          time.Time
	Enabled      bool // the shop pays agents
}

// AgentForm appoints or edits an agent, values as typed.
type AgentForm struct {
	ID       int64
	Phone    string
	Tier     string
	Region   RegionSelect
	Rate     string
	Expires  string // YYYY-MM-DD
	Active   bool
	Errors   views.FormErrors
	Disabled bool // the shop does not pay agents now (a warning)
}

// Action is the form's address.
func (f AgentForm) Action() string {
	if f.ID == 0 {
		return "/admin/distribution/agents/new"
	}
	return "/admin/distribution/agents/" + idStr(f.ID) + "/edit"
}

// RegionSelect is the province / city / district picker of the agent form.
type RegionSelect struct {
	Province, City, District     string // chosen codes
	Provinces, Cities, Districts []RegionChoice
}

// RegionChoice is one option of the picker.
type RegionChoice struct {
	Code, Name string
}
