package wechat

import (
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Errors a caller may test with errors.Is.
var (
	// ErrDenied: the user refused the consent screen (the callback came
	// back with a state but no code).
	ErrDenied = errors.New("wechat: the user did not authorize")
	// ErrSnapshotUser: WeChat answered for a 快照页 (snapshot page)
	// virtual account — the user is looking at a preview of the page and
	// has not tapped 使用完整服务; its OpenID is not the user's.
	ErrSnapshotUser = errors.New("wechat: snapshot-page virtual account (the user must tap 使用完整服务)")
	// ErrMalformed: an answer or a callback that does not read as the
	// protocol says.
	ErrMalformed = errors.New("wechat: malformed answer")
)

// Error codes this package acts on. WeChat's full list is the 全局返回码
// page of the official account documentation.
const (
	CodeSystemBusy        = -1
	CodeInvalidCredential = 40001 // AppSecret wrong when fetching a token, or the token is invalid
	CodeInvalidGrantType  = 40002
	CodeInvalidOpenID     = 40003
	CodeInvalidAppID      = 40013
	CodeInvalidToken      = 40014
	CodeInvalidCode       = 40029
	CodeInvalidSecret     = 40125
	CodeCodeUsed          = 40163
	CodeIPNotWhitelisted  = 40164
	CodeSecretFrozen      = 40243
	CodeMissingToken      = 41001
	CodeMissingCode       = 41008
	CodeTokenExpired      = 42001
	CodeCodeExpired       = 42003
	CodeDailyQuota        = 45009
	CodeRateLimited       = 45011
	CodeUnauthorized      = 48001
	CodeUserLimited       = 50002
)

// messages say what a code means, in Chinese then English.
var messages = map[int]string{
	CodeSystemBusy:        "微信系统繁忙，请稍后再试 / WeChat is busy, try again later",
	CodeInvalidCredential: "AppSecret 错误，或 access_token 无效 / wrong AppSecret, or an invalid access_token",
	CodeInvalidGrantType:  "不合法的凭证类型 / invalid grant_type",
	CodeInvalidOpenID:     "不合法的 OpenID / invalid OpenID",
	CodeInvalidAppID:      "AppID 不正确 / invalid AppID",
	CodeInvalidToken:      "access_token 无效 / invalid access_token",
	CodeInvalidCode:       "授权码 code 无效（已过期、或不是此 AppID 发出的）/ invalid code (expired, or issued to another AppID)",
	CodeInvalidSecret:     "AppSecret 不正确 / invalid AppSecret",
	CodeCodeUsed:          "授权码 code 已被使用 / the code has already been used",
	CodeIPNotWhitelisted:  "服务器 IP 不在公众号的 IP 白名单中 / the server's IP is not in the account's IP whitelist",
	CodeSecretFrozen:      "AppSecret 已被冻结，请登录公众平台解冻 / the AppSecret is frozen; unfreeze it on mp.weixin.qq.com",
	CodeMissingToken:      "缺少 access_token / missing access_token",
	CodeMissingCode:       "缺少授权码 code / missing code",
	CodeTokenExpired:      "access_token 已过期 / the access_token has expired",
	CodeCodeExpired:       "授权码 code 已超时 / the code has expired",
	CodeDailyQuota:        "接口调用已达今日上限 / the daily API quota is used up",
	CodeRateLimited:       "接口调用过于频繁 / too many API calls, slow down",
	CodeUnauthorized:      "公众号没有此接口的权限（需要认证的服务号）/ the account may not call this API (a verified 服务号 is needed)",
	CodeUserLimited:       "用户受限，可能因违规被封禁 / the user is restricted by WeChat",
}

// APIError is an errcode answer of WeChat. Its text names the operation,
// the code and what it means, the address WeChat saw for 40164 and the
// rid (WeChat's request id, for its support); never a secret, token or code.
type APIError struct {
	Op   string // e.g. "sns/oauth2/access_token"
	Code int
	// IP is the address WeChat saw, when it says (40164).
	IP string
	// RID is WeChat's request id, when it gives one.
	RID string
	// Msg is WeChat's errmsg for a code this package does not know,
	// cleaned of anything that was sent (see newAPIError).
	Msg string
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "wechat %s: errcode %d", e.Op, e.Code)
	if m, ok := messages[e.Code]; ok {
		b.WriteString(": ")
		b.WriteString(m)
	} else if e.Msg != "" {
		b.WriteString(": ")
		b.WriteString(e.Msg)
	}
	if e.IP != "" {
		b.WriteString(" (ip ")
		b.WriteString(e.IP)
		b.WriteString(")")
	}
	if e.RID != "" {
		b.WriteString(" rid ")
		b.WriteString(e.RID)
	}
	return b.String()
}

// Is lets errors.Is(err, &APIError{Code: n}) match by code.
func (e *APIError) Is(target error) bool {
	t, ok := target.(*APIError)
	return ok && t.Code == e.Code && t.Op == ""
}

// ErrorCode returns the errcode of an APIError in err's chain, 0 when
// there is none.
func ErrorCode(err error) int {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return 0
}

var (
	ridPattern = regexp.MustCompile(`\brid: ?([0-9A-Za-z-]{1,64})`)
	ipPattern  = regexp.MustCompile(`\binvalid ip ([0-9A-Fa-f.:]{2,45})`)
)

// newAPIError builds the error of an errcode answer. sent are the values
// of the request (secret, code, tokens): they are cut out of an unknown
// code's errmsg, in case WeChat ever echoes one.
func newAPIError(op string, code int, errmsg string, sent ...string) *APIError {
	e := &APIError{Op: op, Code: code}
	if m := ridPattern.FindStringSubmatch(errmsg); m != nil {
		e.RID = m[1]
	}
	if code == CodeIPNotWhitelisted {
		e.IP = WhitelistIP(errmsg)
	}
	if _, known := messages[code]; !known {
		e.Msg = cleanErrMsg(errmsg, sent)
	}
	return e
}

// WhitelistIP returns the IPv4 or IPv6 address in a 40164 errmsg
// ("invalid ip 203.0.113.7 ipv6 ::ffff:203.0.113.7, not in whitelist
// rid: …"), "" when it names none.
func WhitelistIP(errmsg string) string {
	m := ipPattern.FindStringSubmatch(errmsg)
	if m == nil {
		return ""
	}
	ip := net.ParseIP(m[1])
	if ip == nil {
		return ""
	}
	return ip.String()
}

// cleanErrMsg drops control characters and invalid UTF-8 from msg, then
// replaces every value we sent by "***", then keeps at most 120
// characters (in that order, so that no step can piece a value together).
func cleanErrMsg(msg string, sent []string) string {
	var b strings.Builder
	for _, r := range msg {
		if r == utf8.RuneError || r < 0x20 || r == 0x7f {
			continue
		}
		b.WriteRune(r)
	}
	msg = b.String()
	for _, s := range sent {
		if len(s) >= 4 {
			msg = strings.ReplaceAll(msg, s, "***")
		}
	}
	if n := 0; utf8.RuneCountInString(msg) > 120 {
		for i := range msg {
			if n == 120 {
				msg = msg[:i] + "…"
				break
			}
			n++
		}
	}
	return strings.TrimSpace(msg)
}
