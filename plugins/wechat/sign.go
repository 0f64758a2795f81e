package wechat

import (
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// maxPageURL bounds the page URLs ShareConfig signs.
const maxPageURL = 2048

// Sign is the JS-SDK signature (附录1 of the JS-SDK documentation): the
// lowercase hex SHA-1 of
// "jsapi_ticket=TICKET&noncestr=NONCE&timestamp=TS&url=URL", the four fields
// in ASCII order with their raw values, not URL-escaped. pageURL is the
// page's URL without its #fragment.
func Sign(ticket, nonce string, timestamp int64, pageURL string) string {
	s := "jsapi_ticket=" + ticket + "&noncestr=" + nonce + "&timestamp=" + strconv.FormatInt(timestamp, 10) + "&url=" + pageURL
	sum := sha1.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// SignableURL returns pageURL as it is signed: cut at the first '#', and
// refused unless it is an absolute http:// or https:// URL (lowercase
// scheme) with a host, at most
// 2048 bytes, without spaces or control characters. The rest is kept
// byte for byte: WeChat signs what the page's location.href says, so it
// must not be re-encoded.
func SignableURL(pageURL string) (string, error) {
	if i := strings.IndexByte(pageURL, '#'); i >= 0 {
		pageURL = pageURL[:i]
	}
	if pageURL == "" || len(pageURL) > maxPageURL {
		return "", fmt.Errorf("wechat share: page URL empty or longer than %d bytes", maxPageURL)
	}
	for i := 0; i < len(pageURL); i++ {
		if c := pageURL[i]; c <= ' ' || c == 0x7f {
			return "", fmt.Errorf("wechat share: page URL has a space or control character")
		}
	}
	u, err := url.Parse(pageURL)
	if err != nil {
		return "", fmt.Errorf("wechat share: page URL: %w", err)
	}
	// location.href spells the scheme in lowercase; so must we.
	lower := strings.HasPrefix(pageURL, "https://") || strings.HasPrefix(pageURL, "http://")
	if !lower || u.Host == "" || u.User != nil || u.Opaque != "" {
		return "", fmt.Errorf("wechat share: page URL must be an absolute http(s) URL")
	}
	return pageURL, nil
}

const nonceChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// newNonce returns 16 random letters and digits.
func newNonce() string {
	b := make([]byte, 16)
	rand.Read(b) // crypto/rand.Read never fails
	for i := range b {
		b[i] = nonceChars[int(b[i])%len(nonceChars)]
	}
	return string(b)
}
