package themes

import (
	"github.com/a-h/templ"

	"github.com/xiaodian/xiaodian/store"
)

// DistributorTheme draws the distributor centre (分销中心): a theme that
// lacks it falls back to the default theme's pages.
type DistributorTheme interface {
	// DistributorCentre is the centre's home: earnings, menu, level.
	DistributorCentre(DistributorCentrePage) templ.Component
	// DistributorJoin is the page of a customer who is not a distributor
	// (yet): how to become one, the application form or its status.
	DistributorJoin(DistributorJoinPage) templ.Component
	// Commissions is the commission detail (佣金明细) with status tabs.
	Commissions(CommissionsPage) templ.Component
	// CommissionItems is the fragment of one more page of commissions.
	CommissionItems(CommissionList) templ.Component
	// PromotedOrders is 推广订单.
	PromotedOrders(PromotedOrdersPage) templ.Component
	// PromotedOrderItems is the fragment of one more page of promoted orders.
	PromotedOrderItems(PromotedOrderList) templ.Component
	// Team is 我的团队, by level.
	Team(TeamPage) templ.Component
	// TeamItems is the fragment of one more page of team members.
	TeamItems(TeamList) templ.Component
	// Withdraw is the withdrawal form (提现).
	Withdraw(WithdrawPage) templ.Component
	// Withdrawals is the withdrawal records (提现记录).
	Withdrawals(WithdrawalsPage) templ.Component
	// Promote is the promotion tools: share link, QR code, posters.
	Promote(PromotePage) templ.Component
}

// DistributorStats are the figures at the top of the centre.
type DistributorStats struct {
	Balance   store.Fen // 可提现
	Today     store.Fen // 今日收益
	Pending   store.Fen // 待结算
	Settled   store.Fen // 累计结算
	Withdrawn store.Fen // 已提现
	Team      int
	Direct    int
}

// LevelProgressItem is one condition of the next level and where the
// distributor stands on it ("推广销售额 ¥1,200 / ¥5,000").
type LevelProgressItem struct {
	Label   string
	Have    string
	Need    string
	Percent int // 0..100
	Done    bool
}

// DistributorMenuItem is an entry of the centre's menu grid.
type DistributorMenuItem struct {
	Key   string // commissions, orders, team, withdrawals, promote, shop
	Label string
	URL   string
	Badge string
}

// DistributorCentrePage is the distributor centre.
type DistributorCentrePage struct {
	Page
	BackURL     string
	Notice      string
	Name        string
	Avatar      string // image URL, "" = initial
	Initial     string
	LevelName   string // "" = the default level
	Referrer    string // "" = none
	Disabled    bool   // the shop disabled the distributor: shown, withdrawals only
	Stats       DistributorStats
	WithdrawURL string
	Menu        []DistributorMenuItem
	NextLevel   string // the next level's name, "" = none
	AllNeeded   bool   // every condition must hold (else any one)
	Progress    []LevelProgressItem
	ShopURL     string // the distributor shop (/s/CODE)
}

// DistributorJoinPage is the page of a customer who is not a distributor.
type DistributorJoinPage struct {
	Page
	BackURL string
	Notice  string
	// State is "apply" (the form), "pending", "rejected" (with Reason and
	// the form again), "disabled", "purchase" (after the first completed
	// order), "spend" (Have / Need), "manual" (the shop designates) or
	// "off" (distribution switched off).
	State    string
	Reason   string
	Have     store.Fen
	Need     store.Fen
	Action   string
	RealName string
	Phone    string
	Note     string
	Error    string
	Errors   FieldErrors
}

// CommissionTab is a status tab of the commission list.
type CommissionTab struct {
	Key    string // "", pending, settled, cancelled
	Label  string
	URL    string
	Active bool
}

// CommissionItem is one commission as the distributor sees it.
type CommissionItem struct {
	OrderNo  string
	Title    string
	Buyer    string
	Level    string // 一级佣金, 区代佣金...
	Rule     string // "10%" or "¥2.00/件"
	Base     store.Fen
	Amount   store.Fen
	Original store.Fen // when reduced by a refund
	Clawed   store.Fen
	Status   string // pending, settled, cancelled
	At       string
}

// CommissionList is a page of commissions and the link to the next.
type CommissionList struct {
	Items   []CommissionItem
	MoreURL string
}

// CommissionsPage is 佣金明细.
type CommissionsPage struct {
	Page
	BackURL string
	Tabs    []CommissionTab
	Total   int
	Sum     store.Fen
	List    CommissionList
}

// PromotedOrderItem is one order the distributor earns on.
type PromotedOrderItem struct {
	No         string
	Buyer      string
	Title      string
	Image      string // image URL
	Lines      int
	Paid       store.Fen
	Earned     store.Fen
	Status     string // the order's status label
	Commission string // pending, settled, cancelled
	At         string
}

// PromotedOrderList is a page of promoted orders and the link to the next.
type PromotedOrderList struct {
	Items   []PromotedOrderItem
	MoreURL string
}

// PromotedOrdersPage is 推广订单.
type PromotedOrdersPage struct {
	Page
	BackURL string
	Total   int
	List    PromotedOrderList
}

// TeamTab is one level of the team.
type TeamTab struct {
	Depth  int
	Label  string
	Count  int
	URL    string
	Active bool
}

// TeamItem is one member of the team.
type TeamItem struct {
	Name    string
	Avatar  string // image URL, "" = initial
	Initial string
	IsDist  bool
	Team    int
	At      string // when they joined the team
}

// TeamList is a page of team members and the link to the next.
type TeamList struct {
	Items   []TeamItem
	MoreURL string
}

// TeamPage is 我的团队.
type TeamPage struct {
	Page
	BackURL string
	Total   int // the whole team, every depth
	Tabs    []TeamTab
	List    TeamList
}

// WithdrawMethod is a way to withdraw offered by the shop.
type WithdrawMethod struct {
	Key      string // wallet, wechat, alipay, bank
	Label    string
	Note     string // 即时到账，无手续费 / 手续费 1%
	Selected bool
}

// WithdrawPage is the withdrawal form.
type WithdrawPage struct {
	Page
	BackURL     string
	Action      string
	RecordsURL  string
	Balance     store.Fen
	Min         store.Fen
	FeeBP       int
	DailyLimit  int
	Methods     []WithdrawMethod
	Amount      string
	AccountName string
	AccountNo   string
	BankName    string
	Error       string
	Errors      FieldErrors
}

// WithdrawalItem is one withdrawal record.
type WithdrawalItem struct {
	No     string
	Method string // label
	Amount store.Fen
	Fee    store.Fen
	Net    store.Fen
	Status string // pending, approved, paying, paid, rejected, failed
	Note   string // the reason of a rejection
	At     string
	// ConfirmURL answers the parameters of WeChat's in-app confirmation
	// (确认收款) of a payout waiting for the payee; "" = none.
	ConfirmURL string
}

// WithdrawalsPage is 提现记录.
type WithdrawalsPage struct {
	Page
	BackURL string
	Notice  string
	Items   []WithdrawalItem
	MoreURL string
}

// PromoteProduct is a product the distributor can make a poster of.
type PromoteProduct struct {
	Title     string
	Image     string // image URL
	Price     store.Fen
	Earn      store.Fen // level-1 commission on one unit at the shop's rate, 0 = unknown
	URL       string    // the product page with the distributor's ref
	PosterURL string
}

// PromotePage is 推广工具: the distributor's links, QR code and posters.
type PromotePage struct {
	Page
	BackURL  string
	Code     string
	ShopLink string // absolute URL of /s/CODE
	HomeLink string // absolute URL of /?ref=CODE
	QRURL    string // the shop link's QR code image
	Products []PromoteProduct
}

// distTheme is the compiled theme's DistributorTheme, or the default theme's.
func (st *state) distTheme() DistributorTheme {
	if p, ok := st.compiled.(DistributorTheme); ok {
		return p
	}
	c, _ := lookupCompiled(DefaultID)
	return c.Theme.(DistributorTheme)
}

// DistributorCentre draws the distributor centre.
func (st *state) DistributorCentre(vm DistributorCentrePage) templ.Component {
	return st.wrap(st.distTheme().DistributorCentre(vm))
}

// DistributorJoin draws the page of a customer who is not a distributor.
func (st *state) DistributorJoin(vm DistributorJoinPage) templ.Component {
	return st.wrap(st.distTheme().DistributorJoin(vm))
}

// Commissions draws the commission detail.
func (st *state) Commissions(vm CommissionsPage) templ.Component {
	return st.wrap(st.distTheme().Commissions(vm))
}

// CommissionItems draws one more page of commissions.
func (st *state) CommissionItems(vm CommissionList) templ.Component {
	return st.wrap(st.distTheme().CommissionItems(vm))
}

// PromotedOrders draws 推广订单.
func (st *state) PromotedOrders(vm PromotedOrdersPage) templ.Component {
	return st.wrap(st.distTheme().PromotedOrders(vm))
}

// PromotedOrderItems draws one more page of promoted orders.
func (st *state) PromotedOrderItems(vm PromotedOrderList) templ.Component {
	return st.wrap(st.distTheme().PromotedOrderItems(vm))
}

// Team draws 我的团队.
func (st *state) Team(vm TeamPage) templ.Component { return st.wrap(st.distTheme().Team(vm)) }

// TeamItems draws one more page of team members.
func (st *state) TeamItems(vm TeamList) templ.Component { return st.wrap(st.distTheme().TeamItems(vm)) }

// Withdraw draws the withdrawal form.
func (st *state) Withdraw(vm WithdrawPage) templ.Component {
	return st.wrap(st.distTheme().Withdraw(vm))
}

// Withdrawals draws the withdrawal records.
func (st *state) Withdrawals(vm WithdrawalsPage) templ.Component {
	return st.wrap(st.distTheme().Withdrawals(vm))
}

// Promote draws the promotion tools.
func (st *state) Promote(vm PromotePage) templ.Component { return st.wrap(st.distTheme().Promote(vm)) }
