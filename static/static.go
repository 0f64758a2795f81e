// Package static serves the embedded assets shared by every page (htmx, the back-office
// stylesheet) under content-hashed names, and offers the same machinery to themes.
//
// Each file is read once at start, hashed (the first 10 hex digits of its SHA-256) and,
// for text types, gzipped ahead of time. A page links to URL("admin.css"), which gives
// "/static/admin.3f9a1c2b7e.css"; that name is served with a one-year immutable cache
// header, so a changed file simply gets a new URL. The plain name stays reachable with a
// short cache for hand-written links.
package static

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Names of the shared assets, for URL.
const (
	AdminCSS = "admin.css"
	HTMX     = "vendor/htmx/htmx.min.js"
	// WxShare sets the WeChat share card of a storefront page.
	WxShare = "wxshare.js"
)

// Prefix is the URL path under which Handler serves the shared assets.
const Prefix = "/static"

// Cache-Control values for hashed and plain names.
const (
	cacheImmutable = "public, max-age=31536000, immutable"
	cacheShort     = "public, max-age=300"
)

//go:embed admin.css wxshare.js vendor/htmx/htmx.min.js vendor/htmx/LICENSE
var files embed.FS

var shared = mustNewAssets(files, Prefix)

func mustNewAssets(fsys fs.FS, prefix string) *Assets {
	a, err := NewAssets(fsys, prefix)
	if err != nil {
		// The files are embedded: failing here is a build mistake the tests catch.
		panic(err)
	}
	return a
}

// URL returns the content-hashed URL of a shared asset, such as
// URL(AdminCSS) == "/static/admin.3f9a1c2b7e.css". See Assets.URL for unknown names.
func URL(name string) string { return shared.URL(name) }

// Handler serves the shared assets under Prefix; mount it for GET and HEAD on
// "/static/*path".
func Handler() http.Handler { return shared }

// Shared returns the shared asset set, for callers that need Has or Names.
func Shared() *Assets { return shared }

// asset is one file, ready to serve.
type asset struct {
	name        string // slash-separated path inside the FS, e.g. "vendor/htmx/htmx.min.js"
	hashedName  string // name with the hash before the last extension
	contentType string
	body        []byte
	gz          []byte // gzipped body, nil when gzip does not pay off
	etag        string // strong ETag of body; gz uses etag with a -gz suffix
}

// Assets serves the files of one fs.FS under a URL prefix, each by its plain name and
// by a content-hashed name. An Assets is read-only after NewAssets and safe for
// concurrent use.
type Assets struct {
	prefix string
	byName map[string]*asset
	byPath map[string]*asset // request path below prefix → asset, by plain and hashed name
	// strict makes URL panic for an unknown name. It is on in test binaries so that a
	// mistyped asset name fails the tests instead of shipping a broken link.
	strict bool
}

// NewAssets reads every regular file of fsys (skipping dot-files and dot-folders) and
// serves them under prefix, which must start with "/" ("/static", "/theme/default").
func NewAssets(fsys fs.FS, prefix string) (*Assets, error) {
	prefix = strings.TrimRight(prefix, "/")
	if !strings.HasPrefix(prefix, "/") {
		return nil, fmt.Errorf("new assets: prefix %q must start with / and name a folder", prefix)
	}
	a := &Assets{
		prefix: prefix,
		byName: make(map[string]*asset),
		byPath: make(map[string]*asset),
	}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if name != "." && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil // folders, and symlinks that could point outside fsys
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		return a.add(name, body)
	})
	if err != nil {
		return nil, fmt.Errorf("new assets %s: %w", prefix, err)
	}
	return a, nil
}

func (a *Assets) add(name string, body []byte) error {
	sum := sha256.Sum256(body)
	hexSum := hex.EncodeToString(sum[:])
	ct := contentType(name, body)
	f := &asset{
		name:        name,
		hashedName:  hashedName(name, hexSum[:10]),
		contentType: ct,
		body:        body,
		etag:        `"` + hexSum[:20] + `"`,
	}
	if compressible(ct) {
		gz, err := gzipBytes(body)
		if err != nil {
			return fmt.Errorf("gzip %s: %w", name, err)
		}
		if len(gz) < len(body) {
			f.gz = gz
		}
	}
	for _, p := range []string{f.name, f.hashedName} {
		if other, ok := a.byPath[p]; ok && other != f {
			return fmt.Errorf("add %s: path %s is also taken by %s", name, p, other.name)
		}
	}
	a.byName[name] = f
	a.byPath[f.name] = f
	a.byPath[f.hashedName] = f
	return nil
}

// hashedName puts hash before the last extension of the file name:
// "vendor/app.min.js" → "vendor/app.min.<hash>.js", "LICENSE" → "LICENSE.<hash>".
func hashedName(name, hash string) string {
	dir, file := path.Split(name)
	ext := path.Ext(file)
	if ext == file { // ".env"-like names have no base; treat as no extension
		ext = ""
	}
	return dir + strings.TrimSuffix(file, ext) + "." + hash + ext
}

// Prefix returns the URL prefix the assets are served under, without a trailing slash.
func (a *Assets) Prefix() string { return a.prefix }

// Has reports whether name (a path inside the FS, such as "admin.css") is an asset.
func (a *Assets) Has(name string) bool {
	_, ok := a.byName[strings.TrimPrefix(name, "/")]
	return ok
}

// Names returns the asset names, sorted.
func (a *Assets) Names() []string {
	names := make([]string, 0, len(a.byName))
	for n := range a.byName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// URL returns the content-hashed URL of the named asset, e.g. "/static/admin.3f9a1c2b7e.css".
// For an unknown name it returns the plain prefix + "/" + name, which will answer 404,
// except in test binaries, where it panics so that the test naming it fails.
func (a *Assets) URL(name string) string {
	name = strings.TrimPrefix(name, "/")
	f, ok := a.byName[name]
	if !ok {
		if a.strict {
			panic(fmt.Sprintf("static: unknown asset %q under %s", name, a.prefix))
		}
		return a.prefix + "/" + name
	}
	return a.prefix + "/" + f.hashedName
}

// ServeHTTP serves GET and HEAD requests for prefix + "/" + name, plain or hashed.
// Hashed names are cached for a year as immutable, plain names briefly; text types are
// sent gzipped to clients that accept it. Unknown names, folders and paths with ".."
// or other unclean segments answer 404.
func (a *Assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}
	name, ok := strings.CutPrefix(r.URL.Path, a.prefix+"/")
	if !ok || !fs.ValidPath(name) || name == "." || strings.Contains(name, "\\") {
		http.NotFound(w, r)
		return
	}
	f, ok := a.byPath[name]
	if !ok {
		http.NotFound(w, r)
		return
	}

	h := w.Header()
	if name == f.hashedName {
		h.Set("Cache-Control", cacheImmutable)
	} else {
		h.Set("Cache-Control", cacheShort)
	}
	h.Set("Content-Type", f.contentType)
	h.Set("X-Content-Type-Options", "nosniff")
	body, etag := f.body, f.etag
	if f.gz != nil {
		h.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Get("Accept-Encoding")) {
			h.Set("Content-Encoding", "gzip")
			body, etag = f.gz, strings.TrimSuffix(f.etag, `"`)+`-gz"`
		}
	}
	h.Set("ETag", etag)
	// ServeContent answers If-None-Match, Range and HEAD; a zero time sends no Last-Modified.
	http.ServeContent(w, r, f.name, time.Time{}, bytes.NewReader(body))
}

// acceptsGzip reports whether an Accept-Encoding header admits gzip with a q above 0,
// by name or through "*".
func acceptsGzip(header string) bool {
	star := false
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		if coding != "gzip" && coding != "x-gzip" && coding != "*" {
			continue
		}
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				if parsed, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					q = parsed
				}
			}
		}
		if coding == "*" {
			star = q > 0
			continue
		}
		return q > 0 // an explicit gzip entry wins over "*"
	}
	return star
}

// contentTypes fixes the types of the files we ship, so that they do not depend on the
// host's mime tables.
var contentTypes = map[string]string{
	".css":   "text/css; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".mjs":   "text/javascript; charset=utf-8",
	".json":  "application/json",
	".map":   "application/json",
	".html":  "text/html; charset=utf-8",
	".txt":   "text/plain; charset=utf-8",
	".md":    "text/markdown; charset=utf-8",
	".svg":   "image/svg+xml",
	".png":   "image/png",
	".jpg":   "image/jpeg",
	".jpeg":  "image/jpeg",
	".gif":   "image/gif",
	".webp":  "image/webp",
	".avif":  "image/avif",
	".ico":   "image/x-icon",
	".woff":  "font/woff",
	".woff2": "font/woff2",
	".ttf":   "font/ttf",
	".otf":   "font/otf",
	".xml":   "application/xml",
	".yaml":  "text/yaml; charset=utf-8",
	".yml":   "text/yaml; charset=utf-8",
}

func contentType(name string, body []byte) string {
	ext := strings.ToLower(path.Ext(name))
	if ct, ok := contentTypes[ext]; ok {
		return ct
	}
	if ct := mime.TypeByExtension(ext); ext != "" && ct != "" {
		return ct
	}
	return http.DetectContentType(body)
}

// compressible reports whether a content type is text-like and worth gzipping.
func compressible(ct string) bool {
	mediaType, _, _ := strings.Cut(ct, ";")
	switch {
	case strings.HasPrefix(mediaType, "text/"),
		strings.HasSuffix(mediaType, "+xml"),
		strings.HasSuffix(mediaType, "/xml"),
		strings.HasSuffix(mediaType, "json"),
		strings.HasSuffix(mediaType, "javascript"),
		mediaType == "image/x-icon",
		mediaType == "font/ttf", mediaType == "font/otf":
		return true
	}
	return false
}

func gzipBytes(body []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(body); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
