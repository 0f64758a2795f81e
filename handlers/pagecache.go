package handlers

import (
	"bytes"
	"compress/gzip"
	"container/list"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"

	"github.com/xiaodian/xiaodian/views/i18n"
)

// pageCache keeps rendered storefront pages for anonymous visitors, already
// gzipped, keyed by URL, locale, theme and the catalogue version: any write
// that may change what the storefront shows bumps the version, so a stale
// page is never served. It is a small LRU bounded by entries and by bytes.
type pageCache struct {
	mu       sync.Mutex
	max      int
	maxBytes int
	bytes    int
	entries  map[string]*list.Element
	lru      *list.List
}

type cachedPage struct {
	key     string
	status  int
	ctype   string
	etag    string
	plain   []byte
	gzipped []byte
}

// pageCacheBytes bounds the memory the page cache holds.
const pageCacheBytes = 24 << 20

// newPrivateCache is the cache of customers' own pages: smaller, so the
// storefront's shared pages are not pushed out by them.
func newPrivateCache() *pageCache {
	return &pageCache{max: 4096, maxBytes: 8 << 20, entries: map[string]*list.Element{}, lru: list.New()}
}

func newPageCache(max int) *pageCache {
	return &pageCache{max: max, maxBytes: pageCacheBytes, entries: map[string]*list.Element{}, lru: list.New()}
}

func (p *cachedPage) size() int { return len(p.key) + len(p.plain) + len(p.gzipped) }

func (pc *pageCache) get(key string) *cachedPage {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if el, ok := pc.entries[key]; ok {
		pc.lru.MoveToFront(el)
		return el.Value.(*cachedPage)
	}
	return nil
}

func (pc *pageCache) put(p *cachedPage) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if el, ok := pc.entries[p.key]; ok {
		pc.bytes += p.size() - el.Value.(*cachedPage).size()
		el.Value = p
		pc.lru.MoveToFront(el)
	} else {
		pc.entries[p.key] = pc.lru.PushFront(p)
		pc.bytes += p.size()
	}
	for pc.lru.Len() > 1 && (pc.lru.Len() > pc.max || pc.bytes > pc.maxBytes) {
		old := pc.lru.Back()
		pc.lru.Remove(old)
		op := old.Value.(*cachedPage)
		delete(pc.entries, op.key)
		pc.bytes -= op.size()
	}
}

// captureWriter records a handler's response instead of sending it.
type captureWriter struct {
	gin.ResponseWriter
	buf    bytes.Buffer
	status int
}

func (w *captureWriter) Write(b []byte) (int, error)       { return w.buf.Write(b) }
func (w *captureWriter) WriteString(s string) (int, error) { return w.buf.WriteString(s) }
func (w *captureWriter) WriteHeader(code int)              { w.status = code }
func (w *captureWriter) WriteHeaderNow()                   {}
func (w *captureWriter) Status() int                       { return w.status }
func (w *captureWriter) Size() int                         { return w.buf.Len() }
func (w *captureWriter) Written() bool                     { return w.buf.Len() > 0 }

// cached serves a GET page from the page cache when the visitor is anonymous
// (no session cookie); otherwise, or on a miss, it runs fn. Only 200 answers
// are kept. fn must depend on nothing but the URL, the locale and the catalogue.
// A request for a theme preview (?theme_preview=) is drawn with the preview's
// settings and neither served from nor kept in the cache.
func (h *Handler) cached(fn HandlerFunc) gin.HandlerFunc {
	inner := h.wrap(fn)
	return func(c *gin.Context) {
		if c.Query(themePreviewParam) != "" {
			h.applyThemePreview(c)
			inner(c)
			return
		}
		if c.Request.Method != http.MethodGet || hasSessionCookie(c) || c.Query("lang") != "" {
			inner(c)
			return
		}
		key := h.pageKey(c)
		if p := h.pages.get(key); p != nil {
			h.servePage(c, p, false)
			return
		}
		p := capture(c, inner, key, gzip.BestCompression)
		if p.status == http.StatusOK {
			h.pages.put(p)
		}
		h.servePage(c, p, false)
	}
}

// capture runs inner with its answer recorded, and returns it as a page
// (gzipped at level) under key.
func capture(c *gin.Context, inner gin.HandlerFunc, key string, level int) *cachedPage {
	orig := c.Writer
	cw := &captureWriter{ResponseWriter: orig, status: http.StatusOK}
	if gw, ok := orig.(*gzipWriter); ok {
		cw.ResponseWriter = gw.ResponseWriter
	}
	c.Writer = cw
	inner(c)
	c.Writer = orig
	p := &cachedPage{key: key, status: cw.status, ctype: cw.Header().Get("Content-Type"), plain: bytes.Clone(cw.buf.Bytes())}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, level)
	zw.Write(p.plain)
	zw.Close()
	p.gzipped = gz.Bytes()
	sum := sha256.Sum256(p.plain)
	p.etag = `"` + hex.EncodeToString(sum[:8]) + `"`
	return p
}

// privateCached serves a signed-in customer's own GET page (分销中心, 我的团队)
// from the private page cache, keyed by the customer, the URL, the locale,
// the day and the store's Version: any write transaction in the shop gives
// a new version, so a kept page is exact — it is what drawing the page now
// would give. The route must run after requireCustomer, and fn must depend
// only on the customer, the URL, the locale and the database. Pages are
// drawn afresh on a miss and kept only when 200.
func (h *Handler) privateCached(fn HandlerFunc) gin.HandlerFunc {
	inner := h.wrap(fn)
	return func(c *gin.Context) {
		cu := currentCustomer(c)
		if c.Request.Method != http.MethodGet || cu == nil || c.Query("lang") != "" || c.Query(themePreviewParam) != "" {
			inner(c)
			return
		}
		// The version is read before drawing: a write that lands while the
		// page is drawn makes a new version, and this entry is never used.
		var b strings.Builder
		b.WriteString("c")
		b.WriteString(itoa(cu.ID))
		b.WriteByte('|')
		b.WriteString(strconv.FormatUint(h.db.Version(), 10))
		b.WriteByte('|')
		b.WriteString(h.db.Now().Format("20060102"))
		b.WriteByte('|')
		b.WriteString(h.pageKey(c))
		key := b.String()
		if p := h.private.get(key); p != nil {
			h.servePage(c, p, true)
			return
		}
		p := capture(c, inner, key, gzip.BestSpeed)
		if p.status == http.StatusOK && !c.IsAborted() {
			h.private.put(p)
		}
		h.servePage(c, p, true)
	}
}

func (h *Handler) pageKey(c *gin.Context) string {
	var b strings.Builder
	// A referral code (?ref=) changes nothing on the page: one entry
	// serves every distributor's link.
	if q := c.Request.URL.Query(); q.Has("ref") {
		q.Del("ref")
		b.WriteString(c.Request.URL.Path)
		if len(q) > 0 {
			b.WriteByte('?')
			b.WriteString(q.Encode())
		}
	} else {
		b.WriteString(c.Request.URL.RequestURI())
	}
	b.WriteByte('|')
	b.WriteString(string(i18n.FromContext(c.Request.Context())))
	b.WriteByte('|')
	b.WriteString(c.GetHeader("HX-Request"))
	b.WriteString(c.GetHeader("HX-Boosted"))
	b.WriteString(c.GetHeader("HX-History-Restore-Request"))
	b.WriteByte('|')
	b.WriteString(itoa(h.db.CatalogueVersion()))
	if h.themes != nil {
		b.WriteByte('|')
		b.WriteString(itoa(h.themes.Version()))
	}
	return b.String()
}

// servePage writes a cached page, gzipped when the client accepts it, with
// an ETag for conditional requests; a private page is marked so no shared
// cache keeps it.
func (h *Handler) servePage(c *gin.Context, p *cachedPage, private bool) {
	w := c.Writer
	gw, compressing := w.(*gzipWriter)
	if compressing {
		gw.bypassed = true
		w = gw.ResponseWriter
	}
	hd := w.Header()
	hd.Set("Content-Type", p.ctype)
	hd.Set("ETag", p.etag)
	hd.Set("Vary", "Accept-Encoding, HX-Request")
	if private {
		hd.Set("Cache-Control", "private, no-cache")
	} else {
		hd.Set("Cache-Control", "no-cache")
	}
	if match := c.GetHeader("If-None-Match"); match != "" && match == p.etag {
		hd.Del("Content-Encoding")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := p.plain
	if strings.Contains(c.GetHeader("Accept-Encoding"), "gzip") {
		hd.Set("Content-Encoding", "gzip")
		body = p.gzipped
	} else {
		hd.Del("Content-Encoding")
	}
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(p.status)
	w.Write(body)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
