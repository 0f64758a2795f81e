package handlers

import (
	"compress/gzip"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/xiaodian/xiaodian/views"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// recoverer turns a panic into a logged 500.
func (h *Handler) recoverer() gin.HandlerFunc {
	return gin.CustomRecovery(func(c *gin.Context, err any) {
		h.log.Error("panic", "err", err, "path", c.Request.URL.Path, "request_id", c.GetString("request_id"))
		c.AbortWithStatus(http.StatusInternalServerError)
	})
}

// requestID tags each request with an id, echoed in X-Request-Id and logs.
func requestID(c *gin.Context) {
	b := make([]byte, 8)
	rand.Read(b)
	id := hex.EncodeToString(b)
	c.Set("request_id", id)
	c.Header("X-Request-Id", id)
	c.Next()
}

// accessLog logs one line per request through slog. Query strings are left
// out: they may carry codes and tokens.
func (h *Handler) accessLog(c *gin.Context) {
	start := time.Now()
	c.Next()
	h.log.Info("request", "method", c.Request.Method, "path", c.Request.URL.Path, "status", c.Writer.Status(),
		"bytes", c.Writer.Size(), "ms", time.Since(start).Milliseconds(), "request_id", c.GetString("request_id"))
}

// securityHeaders sets the headers every page carries.
func securityHeaders(c *gin.Context) {
	hd := c.Writer.Header()
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "SAMEORIGIN")
	hd.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	// Inline scripts are limited to the small page scripts of the themes;
	// the one script from another origin is WeChat's JS-SDK, which
	// static/wxshare.js loads inside WeChat only (the share card).
	hd.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline' https://res.wx.qq.com; frame-ancestors 'self'; form-action 'self'; base-uri 'self'")
	c.Next()
}

// localeCookie remembers the shopper's language choice.
const localeCookie = "xd_lang"

// locale picks the request's language: ?lang= (remembered in a cookie),
// then the cookie, then zh-CN.
func (h *Handler) locale(c *gin.Context) {
	l := i18n.ZH
	if q := c.Query("lang"); q != "" {
		l = i18n.Parse(q)
		http.SetCookie(c.Writer, &http.Cookie{Name: localeCookie, Value: string(l), Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: h.opts.SecureCookies})
	} else if ck, err := c.Request.Cookie(localeCookie); err == nil {
		l = i18n.Parse(ck.Value)
	}
	ctx := i18n.WithLocale(c.Request.Context(), l)
	ctx = views.WithPath(ctx, c.Request.URL.Path)
	c.Request = c.Request.WithContext(ctx)
	c.Next()
}

// gzipWriter compresses a response for clients that accept gzip.
type gzipWriter struct {
	gin.ResponseWriter
	zw       *gzip.Writer
	bypassed bool // the handler wrote already-compressed bytes itself
}

// Write compresses b. A Content-Length a handler set is for the plain body,
// so it is dropped before the headers go out.
func (g *gzipWriter) Write(b []byte) (int, error) {
	if !g.Written() {
		g.Header().Del("Content-Length")
	}
	return g.zw.Write(b)
}

func (g *gzipWriter) WriteString(s string) (int, error) { return g.Write([]byte(s)) }

var gzipPool = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
	return zw
}}

// compress gzips text responses of handlers that have not compressed their
// body themselves (the page cache and static assets send stored gzip bytes).
func compress(c *gin.Context) {
	if !strings.Contains(c.GetHeader("Accept-Encoding"), "gzip") || c.Request.Method == http.MethodHead ||
		strings.HasPrefix(c.Request.URL.Path, "/static/") || strings.HasPrefix(c.Request.URL.Path, "/media/") ||
		strings.HasPrefix(c.Request.URL.Path, "/theme/") || strings.HasPrefix(c.Request.URL.Path, pluginAssetsPrefix+"/") {
		c.Next()
		return
	}
	zw := gzipPool.Get().(*gzip.Writer)
	zw.Reset(c.Writer)
	gw := &gzipWriter{ResponseWriter: c.Writer, zw: zw}
	c.Writer = gw
	c.Header("Content-Encoding", "gzip")
	c.Header("Vary", "Accept-Encoding")
	c.Next()
	if gw.bypassed || gw.Size() <= 0 {
		// Nothing went through the compressor: no gzip header, no footer.
		if !gw.bypassed {
			gw.Header().Del("Content-Encoding")
		}
		zw.Reset(io.Discard)
	}
	zw.Close()
	gzipPool.Put(zw)
}
