package handlers

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/xiaodian/xiaodian/plugins"
)

// Sharing: every storefront page carries its share card in og: tags and
// loads static/wxshare.js, which inside WeChat asks /wechat/share-config to
// sign the page's JS-SDK configuration. The answer also carries the link
// to share: the page with the signed-in customer's referral code (?ref=),
// so the card a customer shares brings the visitors back as theirs.

// shareConfig answers the JS-SDK configuration of a page of this shop.
func (h *Handler) shareConfig(c *gin.Context) error {
	c.Header("Cache-Control", "no-store")
	page := c.Query("url")
	if !h.ownPageURL(c, page) {
		c.JSON(http.StatusBadRequest, gin.H{"error": "url"})
		return nil
	}
	var signer plugins.ShareSigner
	for _, p := range h.plugins.LoginProviders() {
		if s, ok := p.(plugins.ShareSigner); ok && p.Available(c.Request) {
			signer = s
			break
		}
	}
	if signer == nil {
		c.JSON(http.StatusNotFound, gin.H{"error": "unavailable"})
		return nil
	}
	cfg, err := signer.ShareConfig(c.Request.Context(), page)
	if err != nil {
		h.log.Warn("share config", "err", err)
		c.JSON(http.StatusServiceUnavailable, gin.H{"error": "unavailable"})
		return nil
	}
	link := page
	cu, err := h.loadCustomer(c)
	if err != nil {
		return err
	}
	if cu != nil {
		code, err := h.db.RefCode(c.Request.Context(), cu.ID)
		if err != nil {
			return err
		}
		link = withRef(page, code)
	}
	c.JSON(http.StatusOK, gin.H{
		"appId": cfg.AppID, "timestamp": cfg.Timestamp, "nonceStr": cfg.NonceStr, "signature": cfg.Signature, "link": link,
	})
	return nil
}

// ownPageURL reports whether u is an absolute http(s) URL of this shop
// (server.base_url's host, or the host the request came to) and not an
// account or back-office page.
func (h *Handler) ownPageURL(c *gin.Context, u string) bool {
	if len(u) > 2048 {
		return false
	}
	pu, err := url.Parse(u)
	if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.User != nil || pu.Fragment != "" {
		return false
	}
	host := c.Request.Host
	if h.opts.BaseURL != "" {
		if bu, err := url.Parse(h.opts.BaseURL); err == nil {
			host = bu.Host
		}
	}
	if !strings.EqualFold(pu.Host, host) {
		return false
	}
	return !strings.HasPrefix(pu.Path, "/admin")
}

// withRef is u with its ref parameter set to code (replacing another
// sharer's).
func withRef(u, code string) string {
	pu, err := url.Parse(u)
	if err != nil {
		return u
	}
	q := pu.Query()
	q.Set("ref", code)
	pu.RawQuery = q.Encode()
	return pu.String()
}

// domainVerifier is a plugin that serves a domain verification file at the
// site's root (the MP_verify_*.txt WeChat asks for before it allows
// 网页授权 and JS-SDK on a domain).
type domainVerifier interface {
	VerifyFile() (name, content string)
}

var verifyFileName = regexp.MustCompile(`^MP_verify_[A-Za-z0-9]{1,64}\.txt$`)

// serveVerifyFile answers /MP_verify_….txt when a plugin has that file;
// it reports whether it did.
func (h *Handler) serveVerifyFile(c *gin.Context) bool {
	name := strings.TrimPrefix(c.Request.URL.Path, "/")
	if !verifyFileName.MatchString(name) {
		return false
	}
	for _, info := range h.plugins.Plugins() {
		if !info.Enabled {
			continue
		}
		p, _ := h.plugins.Plugin(info.ID)
		if v, ok := p.(domainVerifier); ok {
			if n, content := v.VerifyFile(); n != "" && n == name {
				c.Header("Cache-Control", "no-cache")
				c.Data(http.StatusOK, "text/plain; charset=utf-8", []byte(content))
				return true
			}
		}
	}
	return false
}
