package handlers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/a-h/templ"
	"github.com/gin-gonic/gin"

	"github.com/xiaodian/xiaodian/handlers/poster"
	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/static"
	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/store/media"
	"github.com/xiaodian/xiaodian/themes"
	"github.com/xiaodian/xiaodian/views"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// Options are the dependencies and settings of the HTTP layer.
type Options struct {
	DB      *store.DB
	Media   *media.Store
	Plugins *plugins.Registry
	Themes  *themes.Registry
	Logger  *slog.Logger
	// Mode is "development" or "production".
	Mode string
	// SecureCookies marks cookies Secure (set when served behind TLS).
	SecureCookies bool
	// BaseURL is the shop's public address (server.base_url): payment
	// gateways are told to call back and return there. Empty: the address
	// the request came in on.
	BaseURL string
	// TrustedOrigins may send unsafe requests across origins (e.g. a payment
	// gateway's return page); everything else cross-origin is refused.
	TrustedOrigins []string
	// TrustedProxies are the reverse proxies (IPs or CIDRs) whose
	// X-Forwarded-For is believed; none by default.
	TrustedProxies []string
	// AccessLog logs every request at info level (off in benchmarks).
	AccessLog bool
	// Version is the build version shown in the back office.
	Version string
	// PluginOverrides are the plugin settings from the config file and the
	// environment (locked in the back office).
	PluginOverrides map[string]plugins.SettingValues
	// DataDir is the data folder: share posters are cached under
	// cache/posters/ and fonts looked for in fonts/. "" = no cache.
	DataDir string
	// PosterFont is the posters' font file (poster.font); "" = look for one.
	PosterFont string
}

// Handler holds what every route needs.
type Handler struct {
	db       *store.DB
	media    *media.Store
	plugins  *plugins.Registry
	themes   *themes.Registry
	log      *slog.Logger
	opts     Options
	sessions *sessionStore
	pages    *pageCache
	private  *pageCache // customers' own pages (privateCached)
	pcfg     *pluginConfig
	gateways *http.Client
	// bg counts background work (late-payment refunds); bgSlots bounds it.
	bg      sync.WaitGroup
	bgSlots chan struct{}
	// reconcileMu keeps two reconciliation runs (the job and the back
	// office's 立即对账) from asking about the same attempts at once.
	reconcileMu sync.Mutex
	// posters caches share posters (promo.go), opened on first use.
	posterOnce sync.Once
	posters    *poster.Cache
	// pluginAssets serves the plugins' stylesheets, pluginCSS their URLs.
	pluginAssets *static.Assets
	pluginCSS    []string
}

// New builds the handler set.
func New(ctx context.Context, o Options) (*Handler, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Plugins == nil {
		o.Plugins = plugins.NewRegistry()
	}
	ss, err := newSessionStore(ctx, o.DB, o.SecureCookies)
	if err != nil {
		return nil, fmt.Errorf("handlers: %w", err)
	}
	assets, css, err := newPluginStyles(o.Plugins)
	if err != nil {
		return nil, fmt.Errorf("handlers: plugin stylesheets: %w", err)
	}
	return &Handler{
		db: o.DB, media: o.Media, plugins: o.Plugins, themes: o.Themes, log: o.Logger, opts: o,
		sessions: ss, pages: newPageCache(2000), private: newPrivateCache(),
		pcfg: &pluginConfig{overrides: o.PluginOverrides}, gateways: gatewayClient(),
		bgSlots: make(chan struct{}, 4), pluginAssets: assets, pluginCSS: css,
	}, nil
}

// background runs fn outside the request (which has its answer already),
// at most a few at a time, with a deadline of its own. Work that fails is
// picked up by the reconciliation job.
func (h *Handler) background(fn func(ctx context.Context)) {
	h.bg.Add(1)
	go func() {
		defer h.bg.Done()
		h.bgSlots <- struct{}{}
		defer func() { <-h.bgSlots }()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		defer func() {
			if r := recover(); r != nil {
				h.log.Error("background work panicked", "panic", r)
			}
		}()
		fn(ctx)
	}()
}

// WaitBackground waits for the background work started so far (tests, and
// shutdown).
func (h *Handler) WaitBackground() { h.bg.Wait() }

// HandlerFunc is a gin handler that returns its failure; wrap turns it into
// a gin.HandlerFunc that maps the error to a status and a friendly page.
type HandlerFunc func(c *gin.Context) error

// Error kinds a handler can return besides the store's.
var (
	ErrForbidden  = errors.New("forbidden")
	ErrBadRequest = errors.New("bad request")
)

func (h *Handler) wrap(fn HandlerFunc) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := fn(c); err != nil {
			h.fail(c, err)
		}
	}
}

// fail maps err to a status and renders the error page; internal errors are
// logged with the request id and never shown.
func (h *Handler) fail(c *gin.Context, err error) {
	status, key := http.StatusInternalServerError, "error.internal"
	var ve *store.ValidationError
	var ves store.ValidationErrors
	switch {
	case errors.Is(err, store.ErrNotFound):
		status, key = http.StatusNotFound, "error.not_found"
	case errors.Is(err, ErrForbidden):
		status, key = http.StatusForbidden, "error.forbidden"
	case errors.Is(err, ErrBadRequest):
		status, key = http.StatusBadRequest, "error.bad_request"
	case errors.Is(err, store.ErrConflict):
		status, key = http.StatusConflict, "error.conflict"
	case errors.As(err, &ve):
		status, key = http.StatusUnprocessableEntity, ve.Key
	case errors.As(err, &ves) && len(ves) > 0:
		status, key = http.StatusUnprocessableEntity, ves[0].Key
	case errors.Is(err, context.Canceled):
		c.Status(499)
		return
	default:
		h.log.Error("request failed", "err", err, "method", c.Request.Method, "path", c.Request.URL.Path, "request_id", c.GetString("request_id"))
	}
	msg := i18n.T(i18n.FromContext(c.Request.Context()), key)
	if c.GetHeader("HX-Request") != "" && c.GetHeader("HX-Boosted") == "" {
		// A fragment request shows the message in the flash area.
		c.Header("HX-Retarget", "#flash")
		c.Header("HX-Reswap", "innerHTML")
		h.render(c, status, views.ErrorFragment(msg))
		return
	}
	h.render(c, status, views.ErrorPage(status, msg))
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// render renders comp to a pooled buffer with the request's context, then
// writes status and body, so a rendering failure never sends half a page.
func (h *Handler) render(c *gin.Context, status int, comp templ.Component) {
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	if err := comp.Render(themes.WithStylesheets(c.Request.Context(), h.pluginCSS), buf); err != nil {
		h.log.Error("render failed", "err", err, "path", c.Request.URL.Path)
		c.Data(http.StatusInternalServerError, "text/plain; charset=utf-8", []byte("500 internal error"))
		return
	}
	// Not c.Data: it sets Content-Length to the plain length, which is wrong
	// once the compress middleware or the page cache gzips the body.
	c.Header("Vary", "HX-Request")
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Status(status)
	c.Writer.Write(buf.Bytes())
}

// isHTMX reports whether the request wants a fragment: an htmx request that
// is neither boosted navigation nor a history restore.
func isHTMX(c *gin.Context) bool {
	return c.GetHeader("HX-Request") == "true" && c.GetHeader("HX-Boosted") == "" && c.GetHeader("HX-History-Restore-Request") == ""
}

// redirect sends the browser to url after a POST: HX-Redirect for htmx,
// 303 See Other otherwise.
func redirect(c *gin.Context, url string) {
	if c.GetHeader("HX-Request") == "true" {
		c.Header("HX-Redirect", url)
		c.Status(http.StatusNoContent)
		return
	}
	c.Redirect(http.StatusSeeOther, url)
}

// errNoRoute answers unknown paths with the friendly 404 page.
var errNoRoute = fmt.Errorf("no route: %w", store.ErrNotFound)
