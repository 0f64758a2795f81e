package admin

import (
	"net/url"
	"strconv"
	"time"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views"
)

// PaymentPluginCard is one payment or login plugin on 支付设置.
type PaymentPluginCard struct {
	ID          string
	Name        string
	Description string
	Enabled     bool
	Configured  bool
	Problem     string // why its settings were refused, "" when fine
	NotifyURL   string // the gateway's callback address, for payment providers
	// HasSettings: the plugin has a settings form.
	HasSettings bool
}

// PaymentSettingsList is 支付设置: the wallet and every provider plugin.
type PaymentSettingsList struct {
	Plugins []PaymentPluginCard
	// BaseURLMissing warns that gateways cannot call back without
	// server.base_url.
	BaseURLMissing bool
	// Production is set in production mode (the sandbox is off).
	Production bool
}

// SettingFieldView is one field of a plugin's settings form.
type SettingFieldView struct {
	Key     string
	Kind    string // plugins.FieldKind
	Label   string // translated
	Help    string
	Group   string // starts a section with this heading
	Value   string // non-secret value shown (as typed on a refused form)
	Options []SettingOptionView
	// Locked: set by the config file or environment, not editable here.
	Locked bool
	// Stored: a secret is kept (shown as such, never its value).
	Stored bool
}

// SettingOptionView is a select's choice.
type SettingOptionView struct{ Value, Label string }

// Checked reports a bool field that is on.
func (f SettingFieldView) Checked() bool { return f.Value == "1" }

// PluginSettingsForm is a plugin's settings page.
type PluginSettingsForm struct {
	Card     PaymentPluginCard
	Fields   []SettingFieldView
	Errors   views.FormErrors
	Problem  string // a refusal that names no field
	CanTest  bool
	EnvNames map[string]string // setting key → environment variable, for the locked hint
	// Base is the list the plugin belongs to: /admin/payments (the
	// default) or /admin/marketing.
	Base string
}

// List is the address of the plugin's list.
func (f PluginSettingsForm) List() string {
	if f.Base == "" {
		return "/admin/payments"
	}
	return f.Base
}

// Action is the form's address.
func (f PluginSettingsForm) Action() string { return f.List() + "/" + f.Card.ID }

// PaymentRecordList is 支付记录.
type PaymentRecordList struct {
	Filter    RecordFilter
	Records   []store.PaymentRecord
	Providers []string
	Total     int
	Page      int
	Pages     int
}

// RecordFilter is the filter of the payment and refund records, as typed.
type RecordFilter struct {
	Provider string
	Status   string
	Query    string
	From     string // 2006-01-02
	To       string
}

func (f RecordFilter) values(page int) url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"provider": f.Provider, "status": f.Status, "q": f.Query, "from": f.From, "to": f.To} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	return v
}

// PageURL is the payment records at page p.
func (l PaymentRecordList) PageURL(p int) string {
	return "/admin/payment-records?" + l.Filter.values(p).Encode()
}

// RefundRecordList is 退款记录.
type RefundRecordList struct {
	Filter    RecordFilter
	Records   []store.RefundRecord
	Providers []string
	Total     int
	Page      int
	Pages     int
	// StaleBefore marks pending refunds older than this (the job asks
	// their gateway).
	StaleBefore time.Time
}

// PageURL is the refund records at page p.
func (l RefundRecordList) PageURL(p int) string {
	return "/admin/refund-records?" + l.Filter.values(p).Encode()
}

// ReconcilePage is 对账.
type ReconcilePage struct {
	From, To string // 2006-01-02, as shown
	Report   *store.ReconcileReport
	// Providers in the order the totals are shown.
	Providers []string
	LastRun   string
}

// MarketingItem is one marketing tool of 营销工具.
type MarketingItem struct {
	Card      PaymentPluginCard
	ManageURL string // the tool's own back-office page
}

// MarketingList is 营销工具: every marketing plugin and its switch.
type MarketingList struct {
	Items []MarketingItem
}
