package themes

import (
	"github.com/a-h/templ"

	"github.com/xiaodian/xiaodian/store"
)

// Paying and the wallet (余额): the pay page of an order (收银台), the
// sandbox provider's gateway page, the result page, the wallet with its
// ledger, recharge (充值送) and the payment password (支付密码).

// PayTheme renders the paying and wallet pages. It is an interface of its
// own so that themes written before it keep compiling: a compiled theme that
// does not implement it has these pages drawn by the default theme.
type PayTheme interface {
	// Pay is the pay page of an order: choose 余额 or a provider.
	Pay(PayPage) templ.Component
	// PayResult is the page after paying: success, waiting or failed.
	PayResult(PayResultPage) templ.Component
	// SandboxGateway is the sandbox provider's "gateway" (模拟支付).
	SandboxGateway(SandboxGatewayPage) templ.Component
	// Wallet is the balance and its ledger.
	Wallet(WalletPage) templ.Component
	// WalletLedger is the fragment of one more page of the ledger.
	WalletLedger(WalletLedger) templ.Component
	// Recharge is the recharge page: packages and a custom amount.
	Recharge(RechargePage) templ.Component
	// PayPassword sets or changes the payment password.
	PayPassword(PayPasswordPage) templ.Component
	// PayAction takes the browser on to a gateway: another site, a form
	// posted to it, a QR code to scan, or WeChat's in-app payment.
	PayAction(PayActionPage) templ.Component
}

// Pay method ids besides the providers' ids.
const PayMethodBalance = "balance"

// MemberEntryWallet is the member page entry of the wallet (我的余额).
const MemberEntryWallet = "wallet"

// PayMethod is one way to pay on the pay page.
type PayMethod struct {
	ID       string // PayMethodBalance or a provider id (the theme may pick an icon by it)
	Name     string // display name
	Note     string // a line under the name, e.g. the balance, already formatted
	Disabled bool   // shown but not selectable (balance too low)
}

// PayPage is the pay page (收银台) of an unpaid order. The form posts
// method and, for the balance, pay_password to Action.
type PayPage struct {
	Page
	BackURL  string
	Action   string
	OrderNo  string
	Amount   store.Fen
	Summary  string // e.g. "T恤 等 3 件"
	Deadline string // when the order closes unpaid, formatted; "" = none
	// DeadlineUnix is the same as Unix seconds, for a countdown script.
	DeadlineUnix int64
	Methods      []PayMethod
	Selected     string // the method checked
	Balance      store.Fen
	// HasPayPassword is false when the balance cannot be used yet: the page
	// links to PasswordURL instead of asking for it.
	HasPayPassword bool
	PasswordURL    string // set the payment password, coming back here
	RechargeURL    string
	Notice         string // a one-time message, e.g. the PIN was just set
	Error          string // shown above the form
	Errors         FieldErrors
}

// Pay result statuses.
const (
	PayResultSuccess = "success"
	PayResultWaiting = "waiting" // the gateway has not called back yet
	PayResultFailed  = "failed"  // cancelled by the payer or the order closed
)

// PayResultPage is the page after paying an order or a recharge.
type PayResultPage struct {
	Page
	Status     string // PayResult*
	Recharge   bool   // a recharge, not an order
	No         string // the order's or recharge's number
	Amount     store.Fen
	Credited   store.Fen // a recharge: what the balance received (paid + gift)
	PrimaryURL string    // the order (or the wallet for a recharge)
	RetryURL   string    // pay again; "" = not possible
	RefreshURL string    // waiting: this page, to look again
	HomeURL    string
}

// SandboxGatewayPage is the sandbox provider's gateway: what would be
// WeChat's or Alipay's page. ConfirmAction takes a POST.
type SandboxGatewayPage struct {
	Page
	ShopName      string
	OutTradeNo    string
	Subject       string
	Amount        store.Fen
	ConfirmAction string
	CancelURL     string
}

// LedgerItem is one row of the wallet ledger.
type LedgerItem struct {
	Kind    string // store.Ledger*; the theme picks the label wallet.kind.<kind>
	Note    string
	Amount  store.Fen // + in, − out
	Balance store.Fen // after
	At      string
}

// WalletLedger is a page of ledger rows with the link to the next.
type WalletLedger struct {
	Items   []LedgerItem
	MoreURL string // the next page's fragment; "" = no more
}

// WalletPage is the wallet (我的余额).
type WalletPage struct {
	Page
	BackURL        string
	Notice         string
	Balance        store.Fen
	RechargeURL    string
	PasswordURL    string
	HasPayPassword bool
	Ledger         WalletLedger
	Total          int // ledger rows in all
}

// RechargeOption is a recharge package (充100送10).
type RechargeOption struct {
	ID    int64
	Pay   store.Fen
	Bonus store.Fen
}

// RechargePage is the recharge form: package (package_id) or custom
// amount (amount), paid through Provider.
type RechargePage struct {
	Page
	BackURL  string
	Action   string
	Balance  store.Fen
	Packages []RechargeOption
	Selected int64  // the package checked; 0 = custom
	Amount   string // the custom amount as typed
	Min, Max store.Fen
	// Provider is the name of the way the recharge is paid; "" = none is
	// available, and the form cannot be sent.
	Provider string
	Error    string
	Errors   FieldErrors
}

// PayPasswordPage sets (HasPassword false) or changes the payment password:
// the login password, the new six digits twice (login_password,
// pay_password, confirm). Next is carried in a hidden field.
type PayPasswordPage struct {
	Page
	BackURL     string
	Action      string
	HasPassword bool
	Next        string
	Error       string
	Errors      FieldErrors
}

// PayAction kinds (plugins.Pay*), repeated here so themes need not import
// the plugins package.
const (
	PayActionRedirect = "redirect"
	PayActionForm     = "form"
	PayActionQR       = "qr"
	PayActionJSAPI    = "jsapi"
)

// PayField is a hidden field of a form posted to a gateway.
type PayField struct {
	Name, Value string
}

// PayActionPage takes the browser on to a gateway. Kind says how:
// redirect (go to URL), form (post Fields to URL, at once when scripts
// run), qr (show QRImage, a data: URL of the code of URL, to scan with the
// phone) or jsapi (call WeixinJSBridge's getBrandWCPayRequest with
// JSAPIParams, a JSON object, then go to ResultURL).
type PayActionPage struct {
	Page
	Kind        string // PayAction*
	Provider    string // the provider's name
	Amount      store.Fen
	URL         string
	Fields      []PayField
	QRImage     string
	JSAPIParams string
	ResultURL   string // where to look when done (or "already paid")
	BackURL     string // choose another way
}

// payTheme is the compiled theme's PayTheme, or the default theme's.
func (st *state) payTheme() PayTheme {
	if p, ok := st.compiled.(PayTheme); ok {
		return p
	}
	c, _ := lookupCompiled(DefaultID)
	return c.Theme.(PayTheme)
}

// Pay draws the pay page.
func (st *state) Pay(vm PayPage) templ.Component { return st.wrap(st.payTheme().Pay(vm)) }

// PayResult draws the result page.
func (st *state) PayResult(vm PayResultPage) templ.Component {
	return st.wrap(st.payTheme().PayResult(vm))
}

// SandboxGateway draws the sandbox gateway page.
func (st *state) SandboxGateway(vm SandboxGatewayPage) templ.Component {
	return st.wrap(st.payTheme().SandboxGateway(vm))
}

// Wallet draws the wallet page.
func (st *state) Wallet(vm WalletPage) templ.Component { return st.wrap(st.payTheme().Wallet(vm)) }

// WalletLedger draws a page of ledger rows.
func (st *state) WalletLedger(vm WalletLedger) templ.Component {
	return st.wrap(st.payTheme().WalletLedger(vm))
}

// Recharge draws the recharge page.
func (st *state) Recharge(vm RechargePage) templ.Component {
	return st.wrap(st.payTheme().Recharge(vm))
}

// PayAction draws the page that takes the browser on to a gateway.
func (st *state) PayAction(vm PayActionPage) templ.Component {
	return st.wrap(st.payTheme().PayAction(vm))
}

// PayPassword draws the payment password form.
func (st *state) PayPassword(vm PayPasswordPage) templ.Component {
	return st.wrap(st.payTheme().PayPassword(vm))
}
