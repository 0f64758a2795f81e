package handlers

import (
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/xiaodian/xiaodian/static"
)

// Router builds the gin engine with every route, wrapped in Go's
// cross-origin protection: an unsafe request (POST, PUT, DELETE...) that a
// browser marks as coming from another site is refused before any handler
// runs, so no form needs a token.
func (h *Handler) Router() http.Handler {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	// Only the configured reverse proxies may set X-Forwarded-For; without
	// this gin believes any client, and the per-IP login limit could be
	// dodged with a forged header.
	if err := r.SetTrustedProxies(h.opts.TrustedProxies); err != nil {
		h.log.Warn("ignoring trusted proxies", "err", err)
		_ = r.SetTrustedProxies(nil)
	}
	r.Use(h.recoverer(), requestID)
	if h.opts.AccessLog {
		r.Use(h.accessLog)
	}
	r.Use(securityHeaders, compress, h.locale, h.captureReferral)

	r.GET("/healthz", h.wrap(h.healthz))
	r.HEAD("/healthz", h.wrap(h.healthz))
	r.GET(static.Prefix+"/*filepath", gin.WrapH(static.Handler()))
	r.HEAD(static.Prefix+"/*filepath", gin.WrapH(static.Handler()))

	h.shopRoutes(r)

	r.GET("/admin/setup", h.wrap(h.setupPage))
	r.POST("/admin/setup", h.wrap(h.setup))
	r.GET("/admin/login", h.wrap(h.loginPage))
	r.POST("/admin/login", h.wrap(h.login))
	admin := r.Group("/admin", h.requireStaff)
	admin.POST("/logout", h.wrap(h.logout))
	h.adminRoutes(admin)
	if h.pluginAssets != nil {
		r.GET(pluginAssetsPrefix+"/*filepath", gin.WrapH(h.pluginAssets))
		r.HEAD(pluginAssetsPrefix+"/*filepath", gin.WrapH(h.pluginAssets))
	}
	h.pluginRoutes(r, admin)

	r.GET("/wechat/share-config", h.wrap(h.shareConfig))

	r.NoRoute(h.wrap(func(c *gin.Context) error {
		if c.Request.Method == http.MethodGet && h.serveVerifyFile(c) {
			return nil
		}
		if strings.HasPrefix(c.Request.URL.Path, "/admin") || h.themes == nil {
			return errNoRoute
		}
		return h.shopNotFound(c, "")
	}))

	cop := http.NewCrossOriginProtection()
	for _, o := range h.opts.TrustedOrigins {
		if err := cop.AddTrustedOrigin(o); err != nil {
			h.log.Warn("ignoring trusted origin", "origin", o, "err", err)
		}
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.log.Warn("cross-origin request refused", "method", r.Method, "path", r.URL.Path, "origin", r.Header.Get("Origin"))
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte("403 cross-origin request refused / 请求来源不被允许"))
	}))
	return cop.Handler(r)
}

// healthz answers 200 when the database answers.
func (h *Handler) healthz(c *gin.Context) error {
	if err := h.db.Ping(c.Request.Context()); err != nil {
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "unavailable"})
		return nil
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"status": "ok", "version": h.opts.Version, "time": time.Now().UTC().Format(time.RFC3339)})
	return nil
}
