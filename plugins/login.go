package plugins

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"sync"
)

// Login providers sign customers in with an outside account (WeChat's
// 网页授权 inside WeChat): a plugin adds one with [Registry.AddLoginProvider]
// from its Register method. The core owns the rest: the state parameter, the
// callback route /auth/<ID>/callback, linking the identity to a phone
// account or creating one, and the session.
//
// An identity is a (namespace, subject) pair: a WeChat OpenID is only unique
// under one AppID, so WeChat's namespace is "wechat:<AppID>"
// ([WeChatNamespace]). A customer has at most one subject per namespace.

// LoginProvider is a way to sign in. Methods may be called concurrently.
type LoginProvider interface {
	// ID names the routes /auth/<ID>/start and /auth/<ID>/callback:
	// lowercase letters, digits, '.', '_' and '-'.
	ID() string
	// Name is shown on the sign-in page, e.g. "微信登录".
	Name() string
	// Namespace is the identity namespace of the accounts it signs in,
	// "" while it is not configured.
	Namespace() string
	// Available reports whether this browser can sign in with it (WeChat's
	// 网页授权 works only inside WeChat) and it is configured.
	Available(r *http.Request) bool
	// AuthURL is where the browser goes to sign in. redirectURI is the
	// absolute callback URL, state an opaque value the callback must bring
	// back; silent asks for the identity only, without a consent screen
	// (snsapi_base), else for the profile too (snsapi_userinfo).
	AuthURL(redirectURI, state string, silent bool) (string, error)
	// Exchange turns the callback's code into the identity, with the
	// profile when the user consented to share it.
	Exchange(ctx context.Context, code string) (*Identity, error)
}

// Identity is who a login provider says the user is.
type Identity struct {
	Namespace string // e.g. "wechat:wx2421b1c4370ec43b"
	Subject   string // the OpenID
	UnionID   string // WeChat's UnionID, when the account is bound to an open platform
	Nickname  string
	AvatarURL string
}

// WeChatNamespace is the identity namespace of OpenIDs under appID.
func WeChatNamespace(appID string) string {
	if appID == "" {
		return ""
	}
	return "wechat:" + appID
}

// ShareSigner is a login provider that also signs the WeChat JS-SDK
// configuration (wx.config) of a page, so that the page can set its share
// card (title, description, image, link).
type ShareSigner interface {
	// ShareConfig signs pageURL (the page's full URL without its #fragment).
	ShareConfig(ctx context.Context, pageURL string) (*ShareConfig, error)
}

// ShareConfig is what wx.config needs.
type ShareConfig struct {
	AppID     string `json:"appId"`
	Timestamp int64  `json:"timestamp"`
	NonceStr  string `json:"nonceStr"`
	Signature string `json:"signature"`
}

type identitiesKey struct{}

// ContextWithIdentities returns ctx carrying the signed-in customer's
// identities by namespace; the core sets it on the requests and contexts it
// hands to payment providers.
func ContextWithIdentities(ctx context.Context, ids map[string]string) context.Context {
	return context.WithValue(ctx, identitiesKey{}, ids)
}

// IdentityFrom returns the customer's subject under namespace (a WeChat
// OpenID), "" when ctx carries none.
func IdentityFrom(ctx context.Context, namespace string) string {
	ids, _ := ctx.Value(identitiesKey{}).(map[string]string)
	if namespace == "" {
		return ""
	}
	return ids[namespace]
}

// PayerNamespacer is a payment provider that pays with the payer's identity
// under a namespace (WeChat Pay JSAPI pays with the OpenID under its AppID).
// When the payer has none and a login provider of that namespace is
// available, the core first gets it (silently, snsapi_base) and then shows
// the pay page again.
type PayerNamespacer interface {
	PayerNamespace() string
}

// loginSet is the registry's login providers.
type loginSet struct {
	mu        sync.RWMutex
	providers map[string]*registeredLogin
}

type registeredLogin struct {
	pluginID string
	provider LoginProvider
}

// AddLoginProvider adds p on behalf of the registered plugin pluginID, whose
// enabled switch then switches p. Call it from the plugin's Register.
func (r *Registry) AddLoginProvider(pluginID string, p LoginProvider) error {
	if p == nil {
		return fmt.Errorf("plugins: login provider for %q: nil", pluginID)
	}
	id := p.ID()
	if !validID(id) {
		return fmt.Errorf("plugins: login provider for %q: invalid id %q", pluginID, id)
	}
	r.mu.Lock()
	reg, ok := r.plugins[pluginID]
	r.mu.Unlock()
	if !ok {
		return fmt.Errorf("plugins: login provider for unknown plugin %q", pluginID)
	}
	ls := &r.logins
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.providers == nil {
		ls.providers = make(map[string]*registeredLogin)
	}
	if _, dup := ls.providers[id]; dup {
		return fmt.Errorf("plugins: duplicate login provider %q", id)
	}
	ls.providers[id] = &registeredLogin{pluginID: pluginID, provider: p}
	r.mu.Lock()
	reg.unbind = append(reg.unbind, func() {
		ls.mu.Lock()
		delete(ls.providers, id)
		ls.mu.Unlock()
	})
	r.mu.Unlock()
	return nil
}

// LoginProviders returns the login providers whose plugin is enabled,
// sorted by id (configured or not: ask Available).
func (r *Registry) LoginProviders() []LoginProvider {
	ls := &r.logins
	ls.mu.RLock()
	var out []LoginProvider
	for _, rl := range ls.providers {
		if r.Enabled(rl.pluginID) {
			out = append(out, rl.provider)
		}
	}
	ls.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].ID() < out[j].ID() })
	return out
}

// LoginProvider returns the login provider id when its plugin is enabled.
func (r *Registry) LoginProvider(id string) (LoginProvider, bool) {
	ls := &r.logins
	ls.mu.RLock()
	rl, ok := ls.providers[id]
	ls.mu.RUnlock()
	if !ok || !r.Enabled(rl.pluginID) {
		return nil, false
	}
	return rl.provider, true
}

// LoginProviderFor returns the enabled login provider whose namespace is ns.
func (r *Registry) LoginProviderFor(ns string) (LoginProvider, bool) {
	if ns == "" {
		return nil, false
	}
	for _, p := range r.LoginProviders() {
		if p.Namespace() == ns {
			return p, true
		}
	}
	return nil, false
}

// ProviderPlugins returns the ids of the plugins that added a payment or a
// login provider, in registration order: the back office's 支付设置 lists
// them.
func (r *Registry) ProviderPlugins() []string {
	owners := map[string]bool{}
	r.payments.mu.RLock()
	for _, rp := range r.payments.providers {
		owners[rp.pluginID] = true
	}
	r.payments.mu.RUnlock()
	r.logins.mu.RLock()
	for _, rl := range r.logins.providers {
		owners[rl.pluginID] = true
	}
	r.logins.mu.RUnlock()
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []string
	for _, reg := range r.order {
		if id := reg.plugin.ID(); owners[id] {
			out = append(out, id)
		}
	}
	return out
}

// Plugin returns the registered plugin id.
func (r *Registry) Plugin(id string) (Plugin, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	reg, ok := r.plugins[id]
	if !ok {
		return nil, false
	}
	return reg.plugin, true
}
