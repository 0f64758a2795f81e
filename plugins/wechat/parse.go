package wechat

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on what WeChat's answers may hold.
const (
	maxBody      = 64 << 10
	maxTokenLen  = 2048 // the documentation asks to keep room for 512
	maxIDLen     = 64   // OpenIDs and UnionIDs are 28 characters today
	maxNickname  = 64   // runes
	maxAvatarURL = 1024
	maxExpiresIn = 7 * 24 * 3600
)

var (
	idPattern    = regexp.MustCompile(`^[A-Za-z0-9_-]{6,64}$`)
	codePattern  = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)
	statePattern = regexp.MustCompile(`^[A-Za-z0-9]{1,128}$`)
)

// status is the errcode/errmsg pair of every answer (absent or 0 on
// success).
type status struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// decode reads one JSON object from body into v and reports its status.
func decode(body []byte, v any) (status, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return status{}, fmt.Errorf("%w: not a JSON object", ErrMalformed)
	}
	var st status
	if err := json.Unmarshal(body, &st); err != nil {
		return status{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if st.ErrCode != 0 {
		return st, nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return status{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return st, nil
}

// validToken checks an access token or ticket: printable ASCII, no space.
func validToken(s string) bool {
	if s == "" || len(s) > maxTokenLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}

func validExpiry(n int64) bool { return n > 0 && n <= maxExpiresIn }

// credential is a server access_token or a jsapi_ticket with its life.
type credential struct {
	Value     string
	ExpiresIn int64 // seconds
}

// parseStableToken reads the answer of /cgi-bin/stable_token (and of
// /cgi-bin/token, which has the same shape).
func parseStableToken(body []byte) (credential, status, error) {
	var a struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	st, err := decode(body, &a)
	if err != nil || st.ErrCode != 0 {
		return credential{}, st, err
	}
	if !validToken(a.AccessToken) || !validExpiry(a.ExpiresIn) {
		return credential{}, st, fmt.Errorf("%w: access_token or expires_in out of range", ErrMalformed)
	}
	return credential{a.AccessToken, a.ExpiresIn}, st, nil
}

// parseTicket reads the answer of /cgi-bin/ticket/getticket.
func parseTicket(body []byte) (credential, status, error) {
	var a struct {
		Ticket    string `json:"ticket"`
		ExpiresIn int64  `json:"expires_in"`
	}
	st, err := decode(body, &a)
	if err != nil || st.ErrCode != 0 {
		return credential{}, st, err
	}
	if !validToken(a.Ticket) || !validExpiry(a.ExpiresIn) {
		return credential{}, st, fmt.Errorf("%w: ticket or expires_in out of range", ErrMalformed)
	}
	return credential{a.Ticket, a.ExpiresIn}, st, nil
}

// oauthToken is the answer of /sns/oauth2/access_token.
type oauthToken struct {
	AccessToken string
	OpenID      string
	UnionID     string
	Scopes      []string
	Snapshot    bool
}

// hasScope reports whether the user granted scope.
func (t *oauthToken) hasScope(scope string) bool {
	for _, s := range t.Scopes {
		if s == scope {
			return true
		}
	}
	return false
}

func parseOAuthToken(body []byte) (*oauthToken, status, error) {
	var a struct {
		AccessToken    string `json:"access_token"`
		ExpiresIn      int64  `json:"expires_in"`
		RefreshToken   string `json:"refresh_token"`
		OpenID         string `json:"openid"`
		Scope          string `json:"scope"`
		IsSnapshotUser int    `json:"is_snapshotuser"`
		UnionID        string `json:"unionid"`
	}
	st, err := decode(body, &a)
	if err != nil || st.ErrCode != 0 {
		return nil, st, err
	}
	if !validToken(a.AccessToken) {
		return nil, st, fmt.Errorf("%w: access_token out of range", ErrMalformed)
	}
	if !idPattern.MatchString(a.OpenID) {
		return nil, st, fmt.Errorf("%w: openid out of range", ErrMalformed)
	}
	if a.UnionID != "" && !idPattern.MatchString(a.UnionID) {
		return nil, st, fmt.Errorf("%w: unionid out of range", ErrMalformed)
	}
	if len(a.Scope) > 256 {
		return nil, st, fmt.Errorf("%w: scope out of range", ErrMalformed)
	}
	t := &oauthToken{AccessToken: a.AccessToken, OpenID: a.OpenID, UnionID: a.UnionID, Snapshot: a.IsSnapshotUser == 1}
	for _, s := range strings.Split(a.Scope, ",") {
		if s = strings.TrimSpace(s); s != "" {
			t.Scopes = append(t.Scopes, s)
		}
	}
	return t, st, nil
}

// userInfo is the part of /sns/userinfo's answer that is kept.
type userInfo struct {
	OpenID    string
	UnionID   string
	Nickname  string
	AvatarURL string
}

func parseUserInfo(body []byte) (*userInfo, status, error) {
	var a struct {
		OpenID     string `json:"openid"`
		Nickname   string `json:"nickname"`
		HeadImgURL string `json:"headimgurl"`
		UnionID    string `json:"unionid"`
	}
	st, err := decode(body, &a)
	if err != nil || st.ErrCode != 0 {
		return nil, st, err
	}
	if !idPattern.MatchString(a.OpenID) {
		return nil, st, fmt.Errorf("%w: openid out of range", ErrMalformed)
	}
	if a.UnionID != "" && !idPattern.MatchString(a.UnionID) {
		return nil, st, fmt.Errorf("%w: unionid out of range", ErrMalformed)
	}
	nick, ok := cleanNickname(a.Nickname)
	if !ok {
		return nil, st, fmt.Errorf("%w: nickname out of range", ErrMalformed)
	}
	avatar, ok := cleanAvatar(a.HeadImgURL)
	if !ok {
		return nil, st, fmt.Errorf("%w: headimgurl out of range", ErrMalformed)
	}
	return &userInfo{OpenID: a.OpenID, UnionID: a.UnionID, Nickname: nick, AvatarURL: avatar}, st, nil
}

// cleanNickname drops control and format characters and surrounding
// space; it refuses invalid UTF-8 and more than maxNickname runes.
func cleanNickname(s string) (string, bool) {
	if !utf8.ValidString(s) || len(s) > 4*maxNickname {
		return "", false
	}
	var b strings.Builder
	n := 0
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) && r != '\u200d' {
			continue // keep the zero-width joiner of emoji sequences
		}
		b.WriteRune(r)
		n++
	}
	if n > maxNickname {
		return "", false
	}
	return strings.TrimSpace(b.String()), true
}

// cleanAvatar accepts "" or an absolute http(s) URL without user info.
func cleanAvatar(s string) (string, bool) {
	if s == "" {
		return "", true
	}
	if len(s) > maxAvatarURL || strings.ContainsAny(s, " \t\r\n\"'<>\\") {
		return "", false
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return "", false
	}
	return s, true
}

// Callback is what the browser brings back to redirect_uri.
type Callback struct {
	Code  string
	State string
}

// ParseCallback reads the query of the 网页授权 callback
// (redirect_uri?code=CODE&state=STATE). A state without a code means the
// user refused: ErrDenied. The state must be what AuthURL accepts (1 to
// 128 letters and digits) and the code letters, digits, '-' or '_'; the
// caller still compares the state with the one it issued.
func ParseCallback(q url.Values) (Callback, error) {
	if len(q["code"]) > 1 || len(q["state"]) > 1 {
		return Callback{}, fmt.Errorf("%w: repeated callback parameters", ErrMalformed)
	}
	cb := Callback{Code: q.Get("code"), State: q.Get("state")}
	if !statePattern.MatchString(cb.State) {
		return Callback{}, fmt.Errorf("%w: callback state", ErrMalformed)
	}
	if cb.Code == "" {
		return Callback{}, ErrDenied
	}
	if !codePattern.MatchString(cb.Code) {
		return Callback{}, fmt.Errorf("%w: callback code", ErrMalformed)
	}
	return cb, nil
}
