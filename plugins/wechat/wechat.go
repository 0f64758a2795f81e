package wechat

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/xiaodian/xiaodian/plugins"
)

// ID is the plugin's and the login provider's id.
const ID = "wechat"

// Plugin is the WeChat official account (微信公众号) plugin.
type Plugin struct {
	mu       sync.Mutex // serializes Configure
	state    atomic.Pointer[state]
	client   atomic.Pointer[http.Client]
	now      func() time.Time // the clock of the caches; tests move it
	provider *Provider
}

// state is one configuration with its token caches. Configure swaps it
// whole; the caches move over to the new state when the account stays
// the same.
type state struct {
	cfg    *config
	token  *cache // server access_token
	ticket *cache // jsapi_ticket
}

var (
	_ plugins.Plugin           = (*Plugin)(nil)
	_ plugins.Describer        = (*Plugin)(nil)
	_ plugins.Configurable     = (*Plugin)(nil)
	_ plugins.ConnectionTester = (*Plugin)(nil)
	_ plugins.LoginProvider    = (*Provider)(nil)
	_ plugins.ShareSigner      = (*Provider)(nil)
)

// New returns the plugin, not configured.
func New() *Plugin {
	p := &Plugin{now: time.Now}
	p.state.Store(&state{cfg: &config{}, token: &cache{}, ticket: &cache{}})
	p.client.Store(&http.Client{Timeout: 10 * time.Second})
	p.provider = &Provider{p: p}
	return p
}

// ID is "wechat".
func (*Plugin) ID() string { return ID }

// Name is shown in the back office.
func (*Plugin) Name() string { return "微信公众号" }

// Description is the back office's one line about the plugin.
func (*Plugin) Description() string {
	return "在微信内打开商城时用公众号网页授权登录，并为页面签名 JS-SDK 配置以显示分享卡片。"
}

// Register adds the login provider 微信登录.
func (p *Plugin) Register(r *plugins.Registry) error {
	return r.AddLoginProvider(ID, p.provider)
}

// Provider returns the login provider (also a plugins.ShareSigner).
func (p *Plugin) Provider() *Provider { return p.provider }

// SetHTTPClient sets the client that calls WeChat (nil: the default, with
// a 10 s timeout).
func (p *Plugin) SetHTTPClient(c *http.Client) {
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	p.client.Store(c)
}

// SettingsSchema lists the settings.
func (*Plugin) SettingsSchema() []plugins.SettingField { return schema() }

// Configure checks values and swaps them in. Cached tokens are dropped
// when the AppID, the AppSecret or the API address changes.
func (p *Plugin) Configure(_ context.Context, values plugins.SettingValues) error {
	cfg, err := parseConfig(values)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	old := p.state.Load()
	next := &state{cfg: cfg, token: &cache{}, ticket: &cache{}}
	if old.cfg.sameAccount(cfg) {
		next.token, next.ticket = old.token, old.ticket
	}
	p.state.Store(next)
	return nil
}

// AppID is the AppID in use, "" when not configured.
func (p *Plugin) AppID() string { return p.state.Load().cfg.AppID }

// Namespace is the identity namespace of the OpenIDs it signs in,
// "wechat:<AppID>", "" when not configured.
func (p *Plugin) Namespace() string { return plugins.WeChatNamespace(p.AppID()) }

// VerifyFile returns the domain verification file WeChat asks to serve at
// the domain's root when setting 网页授权域名 or JS接口安全域名: its name
// (MP_verify_<code>.txt) and its content, the part of the name between
// "MP_verify_" and ".txt". Both are "" when no file is set. The core serves
// it at /<name>.
func (p *Plugin) VerifyFile() (name, content string) {
	name = p.state.Load().cfg.VerifyFile
	m := verifyFilePattern.FindStringSubmatch(name)
	if m == nil {
		return "", ""
	}
	return name, m[1]
}

// ready returns the state and a client for it, or ErrProviderUnavailable.
func (p *Plugin) ready() (*state, *client, error) {
	st := p.state.Load()
	if !st.cfg.configured() {
		return nil, nil, fmt.Errorf("wechat: not configured: %w", plugins.ErrProviderUnavailable)
	}
	return st, &client{cfg: st.cfg, http: p.client.Load()}, nil
}

// TestConnection fetches a server access_token with the settings in use.
func (p *Plugin) TestConnection(ctx context.Context) (string, error) {
	st, c, err := p.ready()
	if err != nil {
		return "", errors.New("尚未填写 AppID 与 AppSecret / The AppID and AppSecret are not set yet")
	}
	cred, err := c.fetchStableToken(ctx)
	if err != nil {
		return "", connectionError(err)
	}
	st.token.put(cred, p.now())
	return "连接成功：AppID 与 AppSecret 有效 / Connected: the AppID and AppSecret are valid", nil
}

// connectionError is TestConnection's message for the owner.
func connectionError(err error) error {
	var ae *APIError
	if !errors.As(err, &ae) {
		if errors.Is(err, ErrMalformed) {
			return fmt.Errorf("微信服务器的回答无法识别，请检查高级设置中的 API 地址 / WeChat's answer could not be read; check the API address in the advanced settings (%v)", err)
		}
		return fmt.Errorf("无法连接微信服务器，请检查本服务器的网络 / Could not reach WeChat; check this server's network (%v)", err)
	}
	rid := ""
	if ae.RID != "" {
		rid = " (rid " + ae.RID + ")"
	}
	switch ae.Code {
	case CodeIPNotWhitelisted:
		if ae.IP != "" {
			return fmt.Errorf("本服务器的 IP %s 不在公众号的 IP 白名单中：请在 微信公众平台 → 设置与开发 → 基本配置 → IP白名单 中添加 %s / This server's IP %s is not in the official account's IP whitelist: add %s under 设置与开发 → 基本配置 → IP白名单 on mp.weixin.qq.com%s",
				ae.IP, ae.IP, ae.IP, ae.IP, rid)
		}
		return fmt.Errorf("本服务器的 IP 不在公众号的 IP 白名单中：请在 微信公众平台 → 设置与开发 → 基本配置 → IP白名单 中添加本服务器的公网 IP / This server's IP is not in the official account's IP whitelist: add its public IP under 设置与开发 → 基本配置 → IP白名单 on mp.weixin.qq.com%s", rid)
	case CodeInvalidSecret, CodeInvalidCredential:
		return fmt.Errorf("AppSecret 不正确：请到 设置与开发 → 基本配置 核对或重置后重新填写 / The AppSecret is wrong: check or reset it under 设置与开发 → 基本配置 and enter it again%s", rid)
	case CodeInvalidAppID:
		return fmt.Errorf("AppID 不正确：请到 设置与开发 → 基本配置 核对开发者ID(AppID) / The AppID is wrong: check the 开发者ID(AppID) under 设置与开发 → 基本配置%s", rid)
	case CodeSecretFrozen:
		return fmt.Errorf("AppSecret 已被冻结：请登录微信公众平台解冻 / The AppSecret is frozen: unfreeze it on mp.weixin.qq.com%s", rid)
	default:
		return fmt.Errorf("微信返回错误 / WeChat refused: %v", ae)
	}
}

// Provider is 微信登录, the login provider of the plugin, and the signer
// of share cards.
type Provider struct {
	p *Plugin
}

// ID is "wechat": the routes /auth/wechat/start and /auth/wechat/callback.
func (*Provider) ID() string { return ID }

// Name is shown on the sign-in page.
func (*Provider) Name() string { return "微信登录" }

// Namespace is "wechat:<AppID>", "" when not configured.
func (pr *Provider) Namespace() string { return pr.p.Namespace() }

// InWeChat reports a user agent of WeChat's built-in browser. 企业微信's
// browser, which also says MicroMessenger, is left out: it cannot do an
// official account's 网页授权.
func InWeChat(userAgent string) bool {
	return strings.Contains(userAgent, "MicroMessenger") && !strings.Contains(userAgent, "wxwork")
}

// Available reports whether the plugin is configured and the browser is
// WeChat's.
func (pr *Provider) Available(r *http.Request) bool {
	return pr.p.state.Load().cfg.configured() && r != nil && InWeChat(r.UserAgent())
}

// AuthURL builds the 网页授权 link, with its parameters in the order the
// documentation insists on:
// OAUTH_BASE/connect/oauth2/authorize?appid=…&redirect_uri=…&response_type=code&scope=…&state=…#wechat_redirect.
// silent asks for snsapi_base; otherwise the configured scope is asked.
func (pr *Provider) AuthURL(redirectURI, state string, silent bool) (string, error) {
	st, _, err := pr.p.ready()
	if err != nil {
		return "", err
	}
	u, err := url.Parse(redirectURI)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Fragment != "" || len(redirectURI) > maxPageURL {
		return "", errors.New("wechat auth: redirect_uri must be an absolute http(s) URL without a fragment")
	}
	if !statePattern.MatchString(state) {
		return "", errors.New("wechat auth: state must be 1 to 128 letters and digits")
	}
	scope := st.cfg.Scope
	if silent {
		scope = ScopeBase
	}
	return st.cfg.OAuthBase + "/connect/oauth2/authorize?appid=" + url.QueryEscape(st.cfg.AppID) +
		"&redirect_uri=" + url.QueryEscape(redirectURI) +
		"&response_type=code&scope=" + scope +
		"&state=" + state + "#wechat_redirect", nil
}

// Exchange turns the callback's code into the identity. When the user
// granted snsapi_userinfo it also fetches the nickname and avatar; if that
// second call fails with an errcode or on the network, the identity comes
// without a profile (the code is spent: asking the user again would be
// worse), but an answer for another OpenID, or a malformed one, fails.
func (pr *Provider) Exchange(ctx context.Context, code string) (*plugins.Identity, error) {
	st, c, err := pr.p.ready()
	if err != nil {
		return nil, err
	}
	if !codePattern.MatchString(code) {
		return nil, fmt.Errorf("wechat exchange: %w: code", ErrMalformed)
	}
	t, err := c.exchangeCode(ctx, code)
	if err != nil {
		return nil, err
	}
	if t.Snapshot {
		return nil, ErrSnapshotUser
	}
	id := &plugins.Identity{Namespace: plugins.WeChatNamespace(st.cfg.AppID), Subject: t.OpenID, UnionID: t.UnionID}
	if !t.hasScope(ScopeUserInfo) {
		return id, nil
	}
	u, err := c.userInfo(ctx, t)
	switch {
	case err == nil:
	case errors.Is(err, ErrMalformed):
		return nil, err
	default:
		return id, nil
	}
	if u.OpenID != t.OpenID {
		return nil, fmt.Errorf("wechat sns/userinfo: %w: answer for another openid", ErrMalformed)
	}
	id.Nickname, id.AvatarURL = u.Nickname, u.AvatarURL
	if u.UnionID != "" {
		id.UnionID = u.UnionID
	}
	return id, nil
}

// ShareConfig signs the JS-SDK configuration of pageURL (its #fragment is
// dropped). It needs the sharing switch on: otherwise, and when not
// configured, it returns plugins.ErrProviderUnavailable.
func (pr *Provider) ShareConfig(ctx context.Context, pageURL string) (*plugins.ShareConfig, error) {
	st, c, err := pr.p.ready()
	if err != nil {
		return nil, err
	}
	if !st.cfg.Share {
		return nil, fmt.Errorf("wechat share: sharing is off: %w", plugins.ErrProviderUnavailable)
	}
	signURL, err := SignableURL(pageURL)
	if err != nil {
		return nil, err
	}
	ticket, err := pr.p.jsapiTicket(ctx, st, c)
	if err != nil {
		return nil, err
	}
	ts := pr.p.now().Unix()
	nonce := newNonce()
	return &plugins.ShareConfig{AppID: st.cfg.AppID, Timestamp: ts, NonceStr: nonce, Signature: Sign(ticket, nonce, ts, signURL)}, nil
}

// staleToken reports the errcodes that mean the access_token in hand is no
// good any more: refresh it once and try again.
func staleToken(err error) bool {
	switch ErrorCode(err) {
	case CodeInvalidCredential, CodeTokenExpired, CodeInvalidToken:
		return true
	}
	return false
}

// accessToken returns the cached server access_token, fetching it when
// needed.
func (p *Plugin) accessToken(ctx context.Context, st *state, c *client) (string, error) {
	return st.token.get(ctx, p.now, c.fetchStableToken)
}

// jsapiTicket returns the cached jsapi_ticket, fetching it when needed;
// when WeChat says the access_token is stale, the token is fetched again
// once and the ticket asked for again.
func (p *Plugin) jsapiTicket(ctx context.Context, st *state, c *client) (string, error) {
	return st.ticket.get(ctx, p.now, func(ctx context.Context) (credential, error) {
		token, err := p.accessToken(ctx, st, c)
		if err != nil {
			return credential{}, err
		}
		cred, err := c.fetchTicket(ctx, token)
		if staleToken(err) {
			st.token.invalidate(token)
			if token, err = p.accessToken(ctx, st, c); err != nil {
				return credential{}, err
			}
			cred, err = c.fetchTicket(ctx, token)
		}
		return cred, err
	})
}
