// Package wechattest is a fake of WeChat's official account servers for
// tests, in the manner of net/http/httptest: one local HTTP server that
// plays both open.weixin.qq.com (the 网页授权 page) and api.weixin.qq.com
// (the APIs the wechat plugin calls), speaking their wire protocol.
//
//	fake := wechattest.New()
//	defer fake.Close()
//	fake.SetUser(wechattest.User{OpenID: "o6_bmjrPTlm6_2sgVt7hMZOPfL2M", Nickname: "小明"})
//	p := wechat.New()
//	p.Configure(ctx, fake.Settings())
//
// The browser side: GET /connect/oauth2/authorize checks appid (the
// fake's), the order of the parameters (appid, redirect_uri,
// response_type=code, scope, state, as the documentation insists),
// redirect_uri (absolute http(s); its host must be the 网页授权域名 when
// SetAuthDomain set one), scope (snsapi_base or snsapi_userinfo) and state
// (at most 128 letters and digits), then redirects (302) straight back to
// redirect_uri?code=CODE&state=STATE as if the user agreed — or, after
// Deny(true), to redirect_uri?state=STATE as if the user refused a
// snsapi_userinfo screen. A request it refuses gets 400 with WeChat's
// error number and text (10003 redirect_uri 域名与后台配置不一致, …).
// Each code yields the User set by SetUser at the time of the redirect;
// NewCode mints one without a browser.
//
// The API side, each answer in WeChat's JSON with errcode/errmsg on error:
//   - GET /sns/oauth2/access_token: appid (40013), secret (40125),
//     grant_type=authorization_code (40002), code: unknown or of another
//     AppID 40029, already used 40163 — each code works once. The answer
//     carries unionid only for snsapi_userinfo, and is_snapshotuser 1 for a
//     User with Snapshot set.
//   - GET /sns/userinfo: the user access_token (40001 unknown), openid
//     (40003), the snsapi_userinfo scope (48001).
//   - POST /cgi-bin/stable_token (JSON; 43002 for another method): normal
//     mode answers the current token while it is valid, force_refresh
//     replaces it. GET /cgi-bin/token: the older API, a new token each time
//     (a separate pool, as WeChat keeps them apart).
//   - GET /cgi-bin/ticket/getticket?type=jsapi: needs a valid access_token
//     of either pool (40001 otherwise); answers the current ticket.
//
// Switches and counters: SetExpiresIn sets the expires_in of tokens and
// tickets (7200 s by default); ExpireTokens makes every access token issued so
// far answer 40001, as when WeChat drops them early; DenyIP makes the token
// APIs answer 40164 naming that address; Counts tells how many tokens,
// tickets, code exchanges and profiles were fetched, so tests can prove
// caching and refreshing. CheckShare verifies a signed JS-SDK
// configuration as the WeChat client would.
package wechattest

import (
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/xiaodian/xiaodian/plugins"
)

// User is who a code signs in.
type User struct {
	OpenID    string
	UnionID   string // "" when the account is bound to no open platform
	Nickname  string
	AvatarURL string
	// Snapshot makes the code answer is_snapshotuser 1 (a 快照页 virtual
	// account).
	Snapshot bool
}

// Counts are the fetches the server answered successfully.
type Counts struct {
	StableTokens int // POST /cgi-bin/stable_token
	Tokens       int // GET /cgi-bin/token
	Tickets      int // GET /cgi-bin/ticket/getticket
	Exchanges    int // GET /sns/oauth2/access_token
	UserInfos    int // GET /sns/userinfo
}

// TokenTTL is the default expires_in of access tokens and tickets, in
// seconds.
const TokenTTL = 7200

// Server is the fake. Its methods are safe for concurrent use.
type Server struct {
	srv *httptest.Server

	// AppID and AppSecret are the account the server accepts, made up by
	// New.
	AppID     string
	AppSecret string

	mu         sync.Mutex
	user       User
	deny       bool
	authDomain string
	deniedIP   string
	codes      map[string]*grant
	userTokens map[string]*grant // user access_token → its grant
	valid      map[string]bool   // server access tokens still good
	stable     string            // the current stable token
	ticket     string
	tokenTTL   int
	ticketTTL  int
	counts     Counts
}

type grant struct {
	appID string
	user  User
	scope string
	used  bool
}

// New starts a server with a fresh AppID and AppSecret and a default user.
func New() *Server {
	s := &Server{
		AppID:      "wx" + randomHex(8),
		AppSecret:  randomHex(16),
		user:       User{OpenID: "o" + randomToken(27), Nickname: "微信用户", AvatarURL: "https://thirdwx.qlogo.cn/mmopen/test/132"},
		codes:      make(map[string]*grant),
		userTokens: make(map[string]*grant),
		valid:      make(map[string]bool),
		ticket:     randomToken(86),
		tokenTTL:   TokenTTL,
		ticketTTL:  TokenTTL,
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/connect/oauth2/authorize", s.authorize)
	mux.HandleFunc("/sns/oauth2/access_token", s.oauthToken)
	mux.HandleFunc("/sns/userinfo", s.userInfo)
	mux.HandleFunc("/cgi-bin/stable_token", s.stableToken)
	mux.HandleFunc("/cgi-bin/token", s.legacyToken)
	mux.HandleFunc("/cgi-bin/ticket/getticket", s.getTicket)
	s.srv = httptest.NewServer(mux)
	return s
}

// URL is the server's base URL (http://127.0.0.1:port), for both api_base
// and oauth_base.
func (s *Server) URL() string { return s.srv.URL }

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// Settings configures the wechat plugin against this server: its AppID
// and AppSecret, snsapi_userinfo, sharing on, both bases at URL.
func (s *Server) Settings() plugins.SettingValues {
	return plugins.SettingValues{
		"app_id":     s.AppID,
		"app_secret": s.AppSecret,
		"scope":      "snsapi_userinfo",
		"share":      "1",
		"api_base":   s.URL(),
		"oauth_base": s.URL(),
	}
}

// SetUser sets who the codes issued from now on sign in.
func (s *Server) SetUser(u User) {
	s.mu.Lock()
	s.user = u
	s.mu.Unlock()
}

// Deny makes the authorize page act as if the user refused (true) or
// agreed (false, the default). A snsapi_base request is never refused: it
// shows no screen.
func (s *Server) Deny(deny bool) {
	s.mu.Lock()
	s.deny = deny
	s.mu.Unlock()
}

// SetAuthDomain sets the 网页授权域名: the host (with its port, if any)
// redirect_uri must have; "" accepts any.
func (s *Server) SetAuthDomain(host string) {
	s.mu.Lock()
	s.authDomain = host
	s.mu.Unlock()
}

// DenyIP makes the token APIs refuse with 40164 naming ip, as WeChat does
// for a server outside the IP whitelist; "" lifts it.
func (s *Server) DenyIP(ip string) {
	s.mu.Lock()
	s.deniedIP = ip
	s.mu.Unlock()
}

// SetExpiresIn sets the expires_in (seconds) of the access tokens and of
// the tickets answered from now on; 0 keeps the current value.
func (s *Server) SetExpiresIn(token, ticket int) {
	s.mu.Lock()
	if token > 0 {
		s.tokenTTL = token
	}
	if ticket > 0 {
		s.ticketTTL = ticket
	}
	s.mu.Unlock()
}

// ExpireTokens invalidates every server access token issued so far: they
// answer 40001 from now on.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	clear(s.valid)
	s.stable = ""
	s.mu.Unlock()
}

// Counts returns the fetch counters.
func (s *Server) Counts() Counts {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts
}

// Ticket returns the current jsapi_ticket.
func (s *Server) Ticket() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ticket
}

// NewCode mints a code for u with scope, as the authorize page would.
func (s *Server) NewCode(u User, scope string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.newCodeLocked(u, scope)
}

func (s *Server) newCodeLocked(u User, scope string) string {
	code := randomToken(32)
	s.codes[code] = &grant{appID: s.AppID, user: u, scope: scope}
	return code
}

// CheckShare verifies a JS-SDK configuration for pageURL as the WeChat
// client does: the AppID, then the signature over the current ticket and
// the URL without its fragment.
func (s *Server) CheckShare(cfg *plugins.ShareConfig, pageURL string) error {
	if cfg == nil {
		return fmt.Errorf("no config")
	}
	if cfg.AppID != s.AppID {
		return fmt.Errorf("invalid appid %q", cfg.AppID)
	}
	if i := strings.IndexByte(pageURL, '#'); i >= 0 {
		pageURL = pageURL[:i]
	}
	str := "jsapi_ticket=" + s.Ticket() + "&noncestr=" + cfg.NonceStr + "&timestamp=" + strconv.FormatInt(cfg.Timestamp, 10) + "&url=" + pageURL
	sum := sha1.Sum([]byte(str))
	if hex.EncodeToString(sum[:]) != cfg.Signature {
		return fmt.Errorf("invalid signature")
	}
	return nil
}

var statePattern = regexp.MustCompile(`^[A-Za-z0-9]{0,128}$`)

// authorize is the 网页授权 page.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	fail := func(code int, msg string) {
		http.Error(w, fmt.Sprintf("%d %s", code, msg), http.StatusBadRequest)
	}
	if r.Method != http.MethodGet {
		fail(10001, "method not allowed")
		return
	}
	// The documentation asks for exactly this order.
	var names []string
	for _, kv := range strings.Split(r.URL.RawQuery, "&") {
		k, _, _ := strings.Cut(kv, "=")
		names = append(names, k)
	}
	if strings.Join(names, ",") != "appid,redirect_uri,response_type,scope,state" {
		fail(10001, "parameters out of order: "+strings.Join(names, ","))
		return
	}
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case q.Get("appid") == "":
		fail(10012, "appid不能为空")
		return
	case q.Get("appid") != s.AppID:
		fail(10016, "appid 无效")
		return
	case q.Get("response_type") != "code":
		fail(10001, "response_type 必须为 code")
		return
	case q.Get("scope") == "":
		fail(10010, "scope不能为空")
		return
	case q.Get("scope") != "snsapi_base" && q.Get("scope") != "snsapi_userinfo":
		fail(10005, "此公众号并没有这些scope的权限")
		return
	case !statePattern.MatchString(q.Get("state")):
		fail(10001, "state 参数错误")
		return
	}
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if q.Get("redirect_uri") == "" {
		fail(10011, "redirect_uri不能为空")
		return
	}
	if err != nil || (redirect.Scheme != "http" && redirect.Scheme != "https") || redirect.Host == "" {
		fail(10003, "redirect_uri 参数错误")
		return
	}
	if s.authDomain != "" && redirect.Host != s.authDomain {
		fail(10003, "redirect_uri域名与后台配置不一致")
		return
	}
	back := redirect.Query()
	if !(s.deny && q.Get("scope") == "snsapi_userinfo") {
		back.Set("code", s.newCodeLocked(s.user, q.Get("scope")))
	}
	back.Set("state", q.Get("state"))
	redirect.RawQuery = back.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

// answer writes v as JSON.
func answer(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	json.NewEncoder(w).Encode(v)
}

// refuse writes an errcode answer as WeChat does: HTTP 200, errcode,
// errmsg with a rid.
func refuse(w http.ResponseWriter, code int, msg string) {
	answer(w, map[string]any{"errcode": code, "errmsg": msg + ", rid: " + randomHex(4) + "-" + randomHex(4) + "-" + randomHex(4)})
}

func (s *Server) oauthToken(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case q.Get("appid") != s.AppID:
		refuse(w, 40013, "invalid appid")
		return
	case q.Get("secret") != s.AppSecret:
		refuse(w, 40125, "invalid appsecret")
		return
	case q.Get("grant_type") != "authorization_code":
		refuse(w, 40002, "invalid grant_type")
		return
	}
	g := s.codes[q.Get("code")]
	switch {
	case q.Get("code") == "":
		refuse(w, 41008, "missing code")
		return
	case g == nil || g.appID != q.Get("appid"):
		refuse(w, 40029, "invalid code")
		return
	case g.used:
		refuse(w, 40163, "code been used")
		return
	}
	g.used = true
	s.counts.Exchanges++
	token := randomToken(88)
	s.userTokens[token] = g
	a := map[string]any{
		"access_token":  token,
		"expires_in":    TokenTTL,
		"refresh_token": randomToken(88),
		"openid":        g.user.OpenID,
		"scope":         g.scope,
	}
	if g.scope == "snsapi_userinfo" && g.user.UnionID != "" {
		a["unionid"] = g.user.UnionID
	}
	if g.user.Snapshot {
		a["is_snapshotuser"] = 1
	}
	answer(w, a)
}

func (s *Server) userInfo(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.userTokens[q.Get("access_token")]
	switch {
	case g == nil:
		refuse(w, 40001, "invalid credential, access_token is invalid or not latest")
		return
	case q.Get("openid") != g.user.OpenID:
		refuse(w, 40003, "invalid openid")
		return
	case g.scope != "snsapi_userinfo":
		refuse(w, 48001, "api unauthorized")
		return
	}
	s.counts.UserInfos++
	a := map[string]any{
		"openid":     g.user.OpenID,
		"nickname":   g.user.Nickname,
		"sex":        0,
		"province":   "",
		"city":       "",
		"country":    "",
		"headimgurl": g.user.AvatarURL,
		"privilege":  []string{},
	}
	if g.user.UnionID != "" {
		a["unionid"] = g.user.UnionID
	}
	answer(w, a)
}

// checkAccount answers the refusals common to both token APIs; it reports
// whether it refused.
func (s *Server) checkAccount(w http.ResponseWriter, grantType, appID, secret string) bool {
	switch {
	case s.deniedIP != "":
		refuse(w, 40164, "invalid ip "+s.deniedIP+" ipv6 ::ffff:"+s.deniedIP+", not in whitelist")
	case grantType != "client_credential":
		refuse(w, 40002, "invalid grant_type")
	case appID != s.AppID:
		refuse(w, 40013, "invalid appid")
	case secret != s.AppSecret:
		refuse(w, 40125, "invalid appsecret")
	default:
		return false
	}
	return true
}

func (s *Server) stableToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		refuse(w, 43002, "require POST method")
		return
	}
	var body struct {
		GrantType    string `json:"grant_type"`
		AppID        string `json:"appid"`
		Secret       string `json:"secret"`
		ForceRefresh bool   `json:"force_refresh"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 4096)).Decode(&body); err != nil {
		refuse(w, 47001, "data format error")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.checkAccount(w, body.GrantType, body.AppID, body.Secret) {
		return
	}
	if body.ForceRefresh || s.stable == "" || !s.valid[s.stable] {
		delete(s.valid, s.stable)
		s.stable = randomToken(136)
		s.valid[s.stable] = true
	}
	s.counts.StableTokens++
	answer(w, map[string]any{"access_token": s.stable, "expires_in": s.tokenTTL})
}

func (s *Server) legacyToken(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.checkAccount(w, q.Get("grant_type"), q.Get("appid"), q.Get("secret")) {
		return
	}
	token := randomToken(136)
	s.valid[token] = true
	s.counts.Tokens++
	answer(w, map[string]any{"access_token": token, "expires_in": s.tokenTTL})
}

func (s *Server) getTicket(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case q.Get("access_token") == "":
		refuse(w, 41001, "access_token missing")
		return
	case !s.valid[q.Get("access_token")]:
		refuse(w, 40001, "invalid credential, access_token is invalid or not latest")
		return
	case q.Get("type") != "jsapi":
		refuse(w, 40097, "invalid args")
		return
	}
	s.counts.Tickets++
	answer(w, map[string]any{"errcode": 0, "errmsg": "ok", "ticket": s.ticket, "expires_in": s.ticketTTL})
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

const tokenChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"

func randomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = tokenChars[int(b[i])%len(tokenChars)]
	}
	return string(b)
}
