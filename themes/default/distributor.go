package defaulttheme

import (
	"strconv"

	"github.com/a-h/templ"

	"github.com/xiaodian/xiaodian/themes"
)

var _ themes.DistributorTheme = Theme{}

// DistributorCentre renders the distributor centre.
func (Theme) DistributorCentre(vm themes.DistributorCentrePage) templ.Component {
	return DistributorCentrePage(vm)
}

// DistributorJoin renders the page of a customer who is not a distributor.
func (Theme) DistributorJoin(vm themes.DistributorJoinPage) templ.Component {
	return DistributorJoinPage(vm)
}

// Commissions renders the commission detail.
func (Theme) Commissions(vm themes.CommissionsPage) templ.Component { return CommissionsPage(vm) }

// CommissionItems renders one more page of commissions.
func (Theme) CommissionItems(vm themes.CommissionList) templ.Component { return CommissionItems(vm) }

// PromotedOrders renders 推广订单.
func (Theme) PromotedOrders(vm themes.PromotedOrdersPage) templ.Component {
	return PromotedOrdersPage(vm)
}

// PromotedOrderItems renders one more page of promoted orders.
func (Theme) PromotedOrderItems(vm themes.PromotedOrderList) templ.Component {
	return PromotedOrderItems(vm)
}

// Team renders 我的团队.
func (Theme) Team(vm themes.TeamPage) templ.Component { return TeamPage(vm) }

// TeamItems renders one more page of team members.
func (Theme) TeamItems(vm themes.TeamList) templ.Component { return TeamItems(vm) }

// Withdraw renders the withdrawal form.
func (Theme) Withdraw(vm themes.WithdrawPage) templ.Component { return WithdrawPage(vm) }

// Withdrawals renders the withdrawal records.
func (Theme) Withdrawals(vm themes.WithdrawalsPage) templ.Component { return WithdrawalsPage(vm) }

// Promote renders the promotion tools.
func (Theme) Promote(vm themes.PromotePage) templ.Component { return PromotePage(vm) }

// feePercent shows a fee in basis points as a percentage ("1", "0.6").
func feePercent(bp int) string {
	s := strconv.FormatFloat(float64(bp)/100, 'f', 2, 64)
	for s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	if s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	return s
}

func intString(n int) string { return strconv.Itoa(n) }
