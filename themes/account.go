package themes

import "github.com/a-h/templ"

// The account pages: sign-in, registration, the member page (我的) and the
// customer's own settings. Their Page usually has Header.Hidden set: the
// theme draws a title bar with a back arrow instead of the search header.

// FieldErrors maps a form field's name to its translated message.
type FieldErrors map[string]string

// LoginPage is the customer sign-in form (phone number and password).
type LoginPage struct {
	Page
	Action      string // where the form posts
	Phone       string // as typed, kept after a failed attempt
	Next        string // where to go after signing in, carried in a hidden field; "" = the member page
	Error       string // bad credentials or too many attempts, shown above the form
	Errors      FieldErrors
	RegisterURL string // the registration page, carrying Next
	BackURL     string
	// Social are the outside accounts this browser can sign in with (微信登录
	// inside WeChat), shown above the form.
	Social []SocialLogin
}

// RegisterPage is the registration form.
type RegisterPage struct {
	Page
	Action         string
	Phone          string
	Next           string
	Error          string // shown above the form, e.g. too many attempts
	Errors         FieldErrors
	MinPasswordLen int
	LoginURL       string // the sign-in page, carrying Next
	BackURL        string
}

// Member page entry ids; the theme picks the label (member.<id>) and icon.
const (
	MemberEntryDistributor = "distributor" // 分销中心
	MemberEntryAddresses   = "addresses"
	MemberEntryProfile     = "profile"
	MemberEntryPassword    = "password"
)

// MemberEntry is one row of the member page's menu. Only pages that exist
// are listed.
type MemberEntry struct {
	ID  string // MemberEntry*, or a plugin's entry id
	URL string
	// Label is a plugin entry's label, already translated; "" = the
	// theme's member.<ID>.
	Label string
}

// MemberGroup is a titled card of entries.
type MemberGroup struct {
	ID      string // names the card's title, member.group.<id>
	Entries []MemberEntry
}

// MemberPage is the member centre (我的).
type MemberPage struct {
	Page
	Notice     string // a one-time message, e.g. after saving the profile
	Name       string // nickname, or the masked phone number
	Phone      string // masked, e.g. 138****8000
	Avatar     string // media key; "" = the theme's no-image picture
	Initial    string // first character of the nickname, drawn when there is no avatar; "" = none
	ProfileURL string
	Groups     []MemberGroup
	LogoutURL  string // POST here to sign out
	// The 我的订单 row (order.go): 全部订单 and one icon per tab with its count.
	OrdersURL  string // "" = no row
	OrderIcons []MemberOrderIcon
	// The assets strip under the header: the wallet balance (余额), formatted
	// in yuan, linking to WalletURL; "" = no strip.
	Balance   string
	WalletURL string
}

// ProfilePage edits the nickname, gender and birthday.
type ProfilePage struct {
	Page
	Action      string
	Phone       string // masked, read-only
	Nickname    string
	Gender      string // "", store.GenderMale or store.GenderFemale
	Genders     []string
	Birthday    string // YYYY-MM-DD or ""
	MaxBirthday string // today, the date input's max
	MaxNickname int
	Errors      FieldErrors
	BackURL     string
}

// PasswordPage changes the password: the current one, the new one twice.
type PasswordPage struct {
	Page
	Action         string
	Error          string // too many wrong attempts, shown above the form
	Errors         FieldErrors
	MinPasswordLen int
	BackURL        string
}

func (st *state) Login(vm LoginPage) templ.Component       { return st.wrap(st.compiled.Login(vm)) }
func (st *state) Register(vm RegisterPage) templ.Component { return st.wrap(st.compiled.Register(vm)) }
func (st *state) Member(vm MemberPage) templ.Component     { return st.wrap(st.compiled.Member(vm)) }
func (st *state) Profile(vm ProfilePage) templ.Component   { return st.wrap(st.compiled.Profile(vm)) }
func (st *state) Password(vm PasswordPage) templ.Component { return st.wrap(st.compiled.Password(vm)) }
