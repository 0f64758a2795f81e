package themes

import "github.com/a-h/templ"

// Signing in with an outside account (微信登录 inside WeChat): the sign-in
// page offers the providers available to the browser (LoginPage.Social), and
// a new outside account is linked to a phone account on the bind page.

// SocialLogin is a sign-in button for an outside account.
type SocialLogin struct {
	ID   string // the provider's id, e.g. "wechat"
	Name string // e.g. "微信登录"
	URL  string // GET: starts the provider's sign-in, carrying Next
}

// AccountBindPage links a new outside account (a WeChat user the shop has
// not seen) to a phone account: sign in to an existing one with its
// password, or register a new one.
type AccountBindPage struct {
	Page
	Provider       string // the outside account's kind, e.g. "微信"
	Nickname       string // its nickname, "" when not shared
	Next           string
	LoginAction    string // POST phone + password: link to this existing account
	RegisterAction string // POST phone + password + confirm: create an account
	Mode           string // "login" or "register": the form shown
	SwitchURL      string // the bind page with the other form
	Phone          string
	Error          string
	Errors         FieldErrors
	MinPasswordLen int
	CancelURL      string
}

// SocialTheme renders the bind page. A compiled theme that does not
// implement it has the page drawn by the default theme.
type SocialTheme interface {
	AccountBind(AccountBindPage) templ.Component
}

// socialTheme is the compiled theme's SocialTheme, or the default theme's.
func (st *state) socialTheme() SocialTheme {
	if p, ok := st.compiled.(SocialTheme); ok {
		return p
	}
	c, _ := lookupCompiled(DefaultID)
	return c.Theme.(SocialTheme)
}

// AccountBind draws the bind page.
func (st *state) AccountBind(vm AccountBindPage) templ.Component {
	return st.wrap(st.socialTheme().AccountBind(vm))
}
