package wechat

import (
	"regexp"
	"strings"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/store"
)

// Setting keys: the contract with the back office form, the config file
// (plugins.wechat.<key>) and the environment (XIAODIAN_PLUGINS_WECHAT_<KEY>).
const (
	KeyAppID      = "app_id"
	KeyAppSecret  = "app_secret"
	KeyScope      = "scope"
	KeyShare      = "share"
	KeyVerifyFile = "verify_file"
	KeyAPIBase    = "api_base"
	KeyOAuthBase  = "oauth_base"
)

// The two scopes of 网页授权.
const (
	// ScopeUserInfo shows a consent screen and yields the nickname and
	// avatar as well as the OpenID.
	ScopeUserInfo = "snsapi_userinfo"
	// ScopeBase is silent and yields the OpenID only.
	ScopeBase = "snsapi_base"
)

// Default endpoints.
const (
	DefaultAPIBase   = "https://api.weixin.qq.com"
	DefaultOAuthBase = "https://open.weixin.qq.com"
)

var (
	appIDPattern      = regexp.MustCompile(`^wx[0-9a-f]{16}$`)
	appSecretPattern  = regexp.MustCompile(`^[0-9a-f]{32}$`)
	verifyFilePattern = regexp.MustCompile(`^MP_verify_([A-Za-z0-9]{1,64})\.txt$`)
)

// config is one validated set of settings.
type config struct {
	AppID      string
	AppSecret  string
	Scope      string // ScopeUserInfo or ScopeBase
	Share      bool
	VerifyFile string // "MP_verify_Ab12Cd34.txt" or ""
	APIBase    string // no trailing slash
	OAuthBase  string // no trailing slash
}

// configured reports whether the account is set: login and sharing work.
func (c *config) configured() bool { return c != nil && c.AppID != "" }

// sameAccount reports whether tokens fetched under c are still good under
// d: same account, same server.
func (c *config) sameAccount(d *config) bool {
	return c != nil && d != nil && c.AppID == d.AppID && c.AppSecret == d.AppSecret && c.APIBase == d.APIBase
}

// schema is the settings form, in order.
func schema() []plugins.SettingField {
	return []plugins.SettingField{
		{Key: KeyAppID, Kind: plugins.FieldText, Label: "wechat.field.app_id", Help: "wechat.help.app_id", Group: "wechat.group.account"},
		{Key: KeyAppSecret, Kind: plugins.FieldSecret, Label: "wechat.field.app_secret", Help: "wechat.help.app_secret"},
		{Key: KeyScope, Kind: plugins.FieldSelect, Label: "wechat.field.scope", Help: "wechat.help.scope", Default: ScopeUserInfo,
			Options: []plugins.SettingOption{
				{Value: ScopeUserInfo, Label: "wechat.scope.userinfo"},
				{Value: ScopeBase, Label: "wechat.scope.base"},
			}},
		{Key: KeyShare, Kind: plugins.FieldBool, Label: "wechat.field.share", Help: "wechat.help.share", Default: "1"},
		{Key: KeyVerifyFile, Kind: plugins.FieldText, Label: "wechat.field.verify_file", Help: "wechat.help.verify_file"},
		{Key: KeyAPIBase, Kind: plugins.FieldText, Label: "wechat.field.api_base", Help: "wechat.help.api_base", Default: DefaultAPIBase, Group: "wechat.group.advanced"},
		{Key: KeyOAuthBase, Kind: plugins.FieldText, Label: "wechat.field.oauth_base", Help: "wechat.help.oauth_base", Default: DefaultOAuthBase},
	}
}

// parseConfig checks values (with the schema's defaults filled in where
// empty) and returns the configuration. AppID, AppSecret and the
// verification file all empty is not an error: the result is then
// unconfigured. A verification file alone is allowed, so that the owner can
// prove the domain to WeChat before entering the account.
func parseConfig(values plugins.SettingValues) (*config, error) {
	v := plugins.WithDefaults(schema(), values)
	get := func(k string) string { return strings.TrimSpace(v.Get(k)) }
	c := &config{
		AppID:      get(KeyAppID),
		AppSecret:  get(KeyAppSecret),
		Scope:      get(KeyScope),
		VerifyFile: get(KeyVerifyFile),
	}
	var errs store.ValidationErrors

	switch {
	case c.AppID == "" && c.AppSecret != "":
		errs.Add(KeyAppID, "wechat.error.app_id_required")
	case c.AppID != "" && !appIDPattern.MatchString(c.AppID):
		errs.Add(KeyAppID, "wechat.error.app_id_format")
	}
	switch {
	case c.AppSecret == "" && c.AppID != "":
		errs.Add(KeyAppSecret, "wechat.error.app_secret_required")
	case c.AppSecret != "" && !appSecretPattern.MatchString(c.AppSecret):
		errs.Add(KeyAppSecret, "wechat.error.app_secret_format")
	}
	if c.Scope != ScopeUserInfo && c.Scope != ScopeBase {
		errs.Add(KeyScope, "wechat.error.scope_invalid")
	}
	switch get(KeyShare) {
	case "1":
		c.Share = true
	case "", "0":
	default:
		errs.Add(KeyShare, "wechat.error.share_invalid")
	}
	if c.VerifyFile != "" && !verifyFilePattern.MatchString(c.VerifyFile) {
		errs.Add(KeyVerifyFile, "wechat.error.verify_file_format")
	}
	var ok bool
	if c.APIBase, ok = parseBase(get(KeyAPIBase)); !ok {
		errs.Add(KeyAPIBase, "wechat.error.api_base_invalid")
	}
	if c.OAuthBase, ok = parseBase(get(KeyOAuthBase)); !ok {
		errs.Add(KeyOAuthBase, "wechat.error.oauth_base_invalid")
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return c, nil
}

// parseBase checks an endpoint: https, or http to a loopback host (the
// tests' fake server); a scheme and host only, no user, query or fragment.
// It returns the base without a trailing slash.
func parseBase(s string) (string, bool) {
	u, ok := plugins.EndpointURL(s, false)
	if !ok {
		return "", false
	}
	return u.Scheme + "://" + u.Host, true
}
