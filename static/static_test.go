package static

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

const testCSS = "body { color: red; }\n/* padding so that gzip pays off */\n.a{margin:0}.b{margin:0}.c{margin:0}.d{margin:0}.e{margin:0}\n"

var testPNG = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01")

func testFS() fstest.MapFS {
	return fstest.MapFS{
		"app.css":          {Data: []byte(testCSS)},
		"js/app.min.js":    {Data: []byte(strings.Repeat("console.log('xiaodian');\n", 20))},
		"img/logo.png":     {Data: testPNG},
		"LICENSE":          {Data: []byte(strings.Repeat("Permission is hereby granted.\n", 10))},
		".hidden":          {Data: []byte("secret")},
		".git/config":      {Data: []byte("secret")},
		"img/.DS_Store":    {Data: []byte("junk")},
		"tiny.txt":         {Data: []byte("x")},
		"theme/theme.yaml": {Data: []byte("id: test\n")},
	}
}

func newTestAssets(t *testing.T, fsys fs.FS, prefix string) *Assets {
	t.Helper()
	a, err := NewAssets(fsys, prefix)
	if err != nil {
		t.Fatalf("NewAssets: %v", err)
	}
	return a
}

func get(t *testing.T, h http.Handler, target string, header map[string]string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func readBody(t *testing.T, resp *http.Response) []byte {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return b
}

func hash10(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])[:10]
}

func TestURLIsContentHashed(t *testing.T) {
	a := newTestAssets(t, testFS(), "/static")
	tests := []struct {
		name string
		want string
	}{
		{"app.css", "/static/app." + hash10([]byte(testCSS)) + ".css"},
		{"/app.css", "/static/app." + hash10([]byte(testCSS)) + ".css"},
		{"js/app.min.js", "/static/js/app.min." + hash10(testFS()["js/app.min.js"].Data) + ".js"},
		{"LICENSE", "/static/LICENSE." + hash10(testFS()["LICENSE"].Data)},
	}
	for _, tt := range tests {
		if got := a.URL(tt.name); got != tt.want {
			t.Errorf("URL(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}

	again := newTestAssets(t, testFS(), "/static")
	if a.URL("app.css") != again.URL("app.css") {
		t.Errorf("URL not stable across loads: %q vs %q", a.URL("app.css"), again.URL("app.css"))
	}

	changed := testFS()
	changed["app.css"] = &fstest.MapFile{Data: []byte(testCSS + ".f{}")}
	b := newTestAssets(t, changed, "/static")
	if a.URL("app.css") == b.URL("app.css") {
		t.Errorf("URL did not change with content: %q", a.URL("app.css"))
	}
	if a.URL("js/app.min.js") != b.URL("js/app.min.js") {
		t.Errorf("URL of an unchanged file changed")
	}

	theme := newTestAssets(t, testFS(), "/theme/default/")
	if got := theme.URL("app.css"); !strings.HasPrefix(got, "/theme/default/app.") {
		t.Errorf("theme URL = %q, want prefix /theme/default/app.", got)
	}
	if theme.Prefix() != "/theme/default" {
		t.Errorf("Prefix() = %q", theme.Prefix())
	}
}

func TestUnknownNameURL(t *testing.T) {
	a := newTestAssets(t, testFS(), "/static")
	if got := a.URL("missing.css"); got != "/static/missing.css" {
		t.Errorf("URL of an unknown name = %q, want the plain path", got)
	}
}

func TestNamesAndHas(t *testing.T) {
	a := newTestAssets(t, testFS(), "/static")
	want := []string{"LICENSE", "app.css", "img/logo.png", "js/app.min.js", "theme/theme.yaml", "tiny.txt"}
	if got := a.Names(); !slices.Equal(got, want) {
		t.Errorf("Names() = %q, want %q (dot-files skipped)", got, want)
	}
	if !a.Has("app.css") || !a.Has("/img/logo.png") || a.Has(".hidden") || a.Has("img") {
		t.Error("Has does not match the files")
	}
}

func TestServeHashedAndPlain(t *testing.T) {
	a := newTestAssets(t, testFS(), "/static")
	tests := []struct {
		target      string
		cache       string
		contentType string
	}{
		{a.URL("app.css"), cacheImmutable, "text/css; charset=utf-8"},
		{"/static/app.css", cacheShort, "text/css; charset=utf-8"},
		{a.URL("js/app.min.js"), cacheImmutable, "text/javascript; charset=utf-8"},
		{a.URL("img/logo.png"), cacheImmutable, "image/png"},
		{a.URL("LICENSE"), cacheImmutable, "text/plain; charset=utf-8"},
		{"/static/LICENSE", cacheShort, "text/plain; charset=utf-8"},
	}
	for _, tt := range tests {
		resp := get(t, a, tt.target, nil)
		body := readBody(t, resp)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: status %d", tt.target, resp.StatusCode)
			continue
		}
		if got := resp.Header.Get("Cache-Control"); got != tt.cache {
			t.Errorf("GET %s: Cache-Control %q, want %q", tt.target, got, tt.cache)
		}
		if got := resp.Header.Get("Content-Type"); got != tt.contentType {
			t.Errorf("GET %s: Content-Type %q, want %q", tt.target, got, tt.contentType)
		}
		if resp.Header.Get("ETag") == "" {
			t.Errorf("GET %s: no ETag", tt.target)
		}
		if resp.Header.Get("Content-Encoding") != "" {
			t.Errorf("GET %s without Accept-Encoding: Content-Encoding %q", tt.target, resp.Header.Get("Content-Encoding"))
		}
		name := strings.TrimPrefix(tt.target, "/static/")
		if f := a.byPath[name]; f == nil || !bytes.Equal(body, f.body) {
			t.Errorf("GET %s: body differs from the file", tt.target)
		}
	}
}

func TestGzip(t *testing.T) {
	a := newTestAssets(t, testFS(), "/static")
	tests := []struct {
		name           string
		asset          string
		acceptEncoding string
		wantGzip       bool
		wantVary       bool
	}{
		{"css gzip", "app.css", "gzip, deflate, br", true, true},
		{"js gzip", "js/app.min.js", "br;q=1.0, gzip;q=0.8", true, true},
		{"star", "app.css", "*", true, true},
		{"no header", "app.css", "", false, true},
		{"refused", "app.css", "gzip;q=0", false, true},
		{"refused despite star", "app.css", "gzip;q=0, *", false, true},
		{"identity only", "app.css", "identity", false, true},
		{"png never gzipped", "img/logo.png", "gzip", false, false},
		{"tiny file not worth it", "tiny.txt", "gzip", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := get(t, a, a.URL(tt.asset), map[string]string{"Accept-Encoding": tt.acceptEncoding})
			body := readBody(t, resp)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			gotGzip := resp.Header.Get("Content-Encoding") == "gzip"
			if gotGzip != tt.wantGzip {
				t.Errorf("Content-Encoding %q, want gzip=%v", resp.Header.Get("Content-Encoding"), tt.wantGzip)
			}
			if gotVary := resp.Header.Get("Vary") == "Accept-Encoding"; gotVary != tt.wantVary {
				t.Errorf("Vary %q, want Accept-Encoding=%v", resp.Header.Get("Vary"), tt.wantVary)
			}
			if gotGzip {
				if resp.Header.Get("Content-Type") != a.byName[tt.asset].contentType {
					t.Errorf("gzip response Content-Type %q", resp.Header.Get("Content-Type"))
				}
				zr, err := gzip.NewReader(bytes.NewReader(body))
				if err != nil {
					t.Fatalf("gzip reader: %v", err)
				}
				body, err = io.ReadAll(zr)
				if err != nil {
					t.Fatalf("gunzip: %v", err)
				}
			}
			if want := a.byName[tt.asset].body; !bytes.Equal(body, want) {
				t.Errorf("decoded body differs from the original (%d vs %d bytes)", len(body), len(want))
			}
		})
	}
}

func TestETagRevalidation(t *testing.T) {
	a := newTestAssets(t, testFS(), "/static")
	plain := get(t, a, "/static/app.css", nil)
	zipped := get(t, a, "/static/app.css", map[string]string{"Accept-Encoding": "gzip"})
	readBody(t, plain)
	readBody(t, zipped)
	etag, gzEtag := plain.Header.Get("ETag"), zipped.Header.Get("ETag")
	if etag == "" || gzEtag == "" || etag == gzEtag {
		t.Fatalf("ETags identity %q gzip %q: want two different, non-empty tags", etag, gzEtag)
	}

	tests := []struct {
		ifNoneMatch string
		gzip        bool
		want        int
	}{
		{etag, false, http.StatusNotModified},
		{gzEtag, true, http.StatusNotModified},
		{"W/" + etag, false, http.StatusNotModified},
		{`"other", ` + etag, false, http.StatusNotModified},
		{`"other"`, false, http.StatusOK},
		{etag, true, http.StatusOK},
	}
	for _, tt := range tests {
		h := map[string]string{"If-None-Match": tt.ifNoneMatch}
		if tt.gzip {
			h["Accept-Encoding"] = "gzip"
		}
		resp := get(t, a, "/static/app.css", h)
		body := readBody(t, resp)
		if resp.StatusCode != tt.want {
			t.Errorf("If-None-Match %s (gzip %v): status %d, want %d", tt.ifNoneMatch, tt.gzip, resp.StatusCode, tt.want)
		}
		if resp.StatusCode == http.StatusNotModified && len(body) != 0 {
			t.Errorf("304 with a body of %d bytes", len(body))
		}
	}
}

func TestNotFound(t *testing.T) {
	a := newTestAssets(t, testFS(), "/static")
	stale := "/static/app.0123456789.css"
	if a.URL("app.css") == stale {
		t.Fatal("test hash collides with the real one")
	}
	for _, target := range []string{
		"/static/missing.css",
		stale,
		"/static/",
		"/static",
		"/static/img",
		"/static/img/",
		"/static/.hidden",
		"/static/.git/config",
		"/static/img/.DS_Store",
		"/other/app.css",
		"/staticapp.css",
		"/",
	} {
		resp := get(t, a, target, nil)
		readBody(t, resp)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", target, resp.StatusCode)
		}
	}
}

func TestPathTraversalRefused(t *testing.T) {
	root := t.TempDir()
	assets := filepath.Join(root, "assets")
	if err := os.MkdirAll(filepath.Join(assets, "css"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile := func(name, data string) {
		t.Helper()
		if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(filepath.Join(root, "secret.txt"), "top secret")
	writeFile(filepath.Join(assets, "css", "site.css"), testCSS)
	writeFile(filepath.Join(assets, "app.css"), testCSS)
	if err := os.Symlink(filepath.Join(root, "secret.txt"), filepath.Join(assets, "link.txt")); err != nil {
		t.Fatal(err)
	}

	a := newTestAssets(t, os.DirFS(assets), "/theme/x")
	if a.Has("link.txt") {
		t.Error("a symlink was loaded as an asset")
	}
	for _, target := range []string{
		"/theme/x/../secret.txt",
		"/theme/x/%2e%2e/secret.txt",
		"/theme/x/%2e%2e%2fsecret.txt",
		"/theme/x/css/../app.css",
		"/theme/x/css/../../secret.txt",
		"/theme/x/./app.css",
		"/theme/x//app.css",
		"/theme/x/css%5c..%5capp.css",
		"/theme/x/link.txt",
		"/theme/x/" + root + "/secret.txt",
	} {
		resp := get(t, a, target, nil)
		body := readBody(t, resp)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", target, resp.StatusCode)
		}
		if bytes.Contains(body, []byte("top secret")) {
			t.Errorf("GET %s leaked the file outside the folder", target)
		}
	}
	if resp := get(t, a, "/theme/x/css/site.css", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("GET a nested file: status %d, want 200", resp.StatusCode)
	}
}

func TestMethods(t *testing.T) {
	a := newTestAssets(t, testFS(), "/static")
	url := a.URL("app.css")

	req := httptest.NewRequest(http.MethodHead, url, nil)
	rec := httptest.NewRecorder()
	a.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
		t.Errorf("HEAD: status %d, body %d bytes; want 200 and no body", rec.Code, rec.Body.Len())
	}
	if rec.Header().Get("Cache-Control") != cacheImmutable {
		t.Errorf("HEAD: Cache-Control %q", rec.Header().Get("Cache-Control"))
	}

	for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
		req := httptest.NewRequest(method, url, nil)
		rec := httptest.NewRecorder()
		a.ServeHTTP(rec, req)
		if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, HEAD" {
			t.Errorf("%s: status %d Allow %q, want 405 with Allow", method, rec.Code, rec.Header().Get("Allow"))
		}
	}
}

func TestNewAssetsErrors(t *testing.T) {
	tests := []struct {
		name   string
		fsys   fs.FS
		prefix string
	}{
		{"empty prefix", testFS(), ""},
		{"root prefix", testFS(), "/"},
		{"relative prefix", testFS(), "static"},
		{"hashed name collides with a plain file", fstest.MapFS{
			"a.css":                             {Data: []byte("x")},
			"a." + hash10([]byte("x")) + ".css": {Data: []byte("y")},
		}, "/static"},
		{"unreadable file", failingFS{fstest.MapFS{"ok.css": {Data: []byte("x")}, "broken.css": {Data: []byte("y")}}}, "/static"},
	}
	for _, tt := range tests {
		if _, err := NewAssets(tt.fsys, tt.prefix); err == nil {
			t.Errorf("%s: NewAssets succeeded, want an error", tt.name)
		}
	}
}

// failingFS refuses to open broken.css, as a file without read permission would.
type failingFS struct{ m fstest.MapFS }

func (f failingFS) Open(name string) (fs.File, error) {
	if name == "broken.css" {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
	}
	return f.m.Open(name)
}

func TestHashedName(t *testing.T) {
	tests := []struct{ name, want string }{
		{"admin.css", "admin.h.css"},
		{"vendor/htmx/htmx.min.js", "vendor/htmx/htmx.min.h.js"},
		{"LICENSE", "LICENSE.h"},
		{"dir.v2/file", "dir.v2/file.h"},
	}
	for _, tt := range tests {
		if got := hashedName(tt.name, "h"); got != tt.want {
			t.Errorf("hashedName(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestAcceptsGzip(t *testing.T) {
	tests := []struct {
		header string
		want   bool
	}{
		{"", false},
		{"gzip", true},
		{"GZIP", true},
		{"x-gzip", true},
		{"deflate, br", false},
		{"br, gzip;q=0.5", true},
		{"gzip;q=0", false},
		{"gzip; q=0.0", false},
		{"*", true},
		{"*;q=0", false},
		{"*;q=0, gzip", true},
		{"gzip;q=0, *;q=1", false},
		{"gzipx", false},
	}
	for _, tt := range tests {
		if got := acceptsGzip(tt.header); got != tt.want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", tt.header, got, tt.want)
		}
	}
}

// TestSharedAssets checks the embedded files that pages link to.
func TestSharedAssets(t *testing.T) {
	pattern := regexp.MustCompile(`^/static/admin\.[0-9a-f]{10}\.css$`)
	if got := URL(AdminCSS); !pattern.MatchString(got) {
		t.Errorf("URL(AdminCSS) = %q, want /static/admin.<10 hex>.css", got)
	}
	if got := URL(HTMX); !regexp.MustCompile(`^/static/vendor/htmx/htmx\.min\.[0-9a-f]{10}\.js$`).MatchString(got) {
		t.Errorf("URL(HTMX) = %q", got)
	}
	for _, name := range []string{AdminCSS, HTMX, "vendor/htmx/LICENSE"} {
		if !Shared().Has(name) {
			t.Errorf("shared assets lack %s", name)
		}
	}
	if Shared().Prefix() != Prefix {
		t.Errorf("Shared().Prefix() = %q, want %q", Shared().Prefix(), Prefix)
	}

	resp := get(t, Handler(), URL(HTMX), map[string]string{"Accept-Encoding": "gzip"})
	body := readBody(t, resp)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("GET htmx: status %d, Content-Encoding %q", resp.StatusCode, resp.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	js, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	onDisk, err := os.ReadFile(filepath.FromSlash(HTMX))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(js, onDisk) || !bytes.Contains(js, []byte("htmx")) {
		t.Error("served htmx differs from static/vendor/htmx/htmx.min.js")
	}
	if !strings.Contains(string(readFileT(t, "vendor/README.md")), versionOf(t, js)) {
		t.Errorf("vendor/README.md does not name the vendored htmx version %s", versionOf(t, js))
	}
}

func readFileT(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.FromSlash(name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// versionOf finds the version string htmx.min.js carries (version:"2.0.x").
func versionOf(t *testing.T, js []byte) string {
	t.Helper()
	m := regexp.MustCompile(`version:"(2\.[0-9]+\.[0-9]+)"`).FindSubmatch(js)
	if m == nil {
		t.Fatal("no htmx 2.x version string in htmx.min.js")
	}
	return string(m[1])
}
