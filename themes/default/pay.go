package defaulttheme

import (
	"context"

	"github.com/a-h/templ"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/themes"
)

var _ themes.PayTheme = Theme{}

// Pay renders the pay page (收银台).
func (Theme) Pay(vm themes.PayPage) templ.Component { return PayPage(vm) }

// PayResult renders the page after paying.
func (Theme) PayResult(vm themes.PayResultPage) templ.Component { return PayResultPage(vm) }

// SandboxGateway renders the sandbox provider's gateway page.
func (Theme) SandboxGateway(vm themes.SandboxGatewayPage) templ.Component {
	return SandboxGatewayPage(vm)
}

// Wallet renders the wallet page.
func (Theme) Wallet(vm themes.WalletPage) templ.Component { return WalletPage(vm) }

// WalletLedger renders one more page of the ledger.
func (Theme) WalletLedger(vm themes.WalletLedger) templ.Component { return WalletLedgerItems(vm) }

// Recharge renders the recharge page.
func (Theme) Recharge(vm themes.RechargePage) templ.Component { return RechargePage(vm) }

// PayAction renders the page that takes the browser on to a gateway.
func (Theme) PayAction(vm themes.PayActionPage) templ.Component { return PayActionPage(vm) }

// PayPassword renders the payment password form.
func (Theme) PayPassword(vm themes.PayPasswordPage) templ.Component { return PayPasswordPage(vm) }

// hasMethod reports whether ms offers the way to pay id.
func hasMethod(ms []themes.PayMethod, id string) bool {
	for _, m := range ms {
		if m.ID == id {
			return true
		}
	}
	return false
}

// bonusText is a gift amount without needless decimals: "10" or "8.80".
func bonusText(f store.Fen) string {
	if f%100 == 0 {
		return themes.Yuan(f)
	}
	return f.String()
}

// payResultTitle is the result page's heading.
func payResultTitle(ctx context.Context, recharge bool, status string) string {
	switch {
	case recharge && status == themes.PayResultSuccess:
		return themes.T(ctx, "pay.recharge_success")
	case recharge && status == themes.PayResultWaiting:
		return themes.T(ctx, "pay.recharge_waiting")
	case recharge:
		return themes.T(ctx, "pay.recharge_failed")
	case status == themes.PayResultSuccess:
		return themes.T(ctx, "pay.result_success")
	case status == themes.PayResultWaiting:
		return themes.T(ctx, "pay.result_waiting")
	default:
		return themes.T(ctx, "pay.result_failed")
	}
}
