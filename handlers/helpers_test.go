package handlers

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// testApp is a real shop on a temporary data folder behind httptest.
type testApp struct {
	*App
	srv    *httptest.Server
	client *http.Client // with a cookie jar; does not follow redirects
}

// newTestApp opens a fresh shop in t.TempDir() and serves it.
func newTestApp(t *testing.T) *testApp {
	t.Helper()
	return openTestApp(t, AppConfig{DataDir: t.TempDir()})
}

// openTestAppAt serves the shop in dir (a second App on the same folder
// sees what the first stored).
func openTestAppAt(t *testing.T, dir string) *testApp {
	t.Helper()
	return openTestApp(t, AppConfig{DataDir: dir})
}

// openTestApp opens the shop cfg describes (development mode, the default
// theme, a silent log unless cfg says otherwise) behind httptest, with a
// client that keeps cookies and does not follow redirects.
func openTestApp(t *testing.T, cfg AppConfig) *testApp {
	t.Helper()
	if cfg.Mode == "" {
		cfg.Mode = "development"
	}
	if cfg.Theme == "" {
		cfg.Theme = "default"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	app, err := OpenApp(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(app.HTTP)
	t.Cleanup(func() {
		srv.Close()
		app.Close()
	})
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &testApp{App: app, srv: srv, client: client}
}

// openServedApp is openTestApp with server.base_url set to the test
// server's own address, as a shop behind its public URL: gateways get
// absolute notify URLs even for calls made outside a request (refunds, the
// reconciliation job).
func openServedApp(t *testing.T, cfg AppConfig) *testApp {
	t.Helper()
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	if cfg.Mode == "" {
		cfg.Mode = "development"
	}
	if cfg.Theme == "" {
		cfg.Theme = "default"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	srv := httptest.NewUnstartedServer(nil)
	cfg.BaseURL = "http://" + srv.Listener.Addr().String()
	app, err := OpenApp(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = app.HTTP
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		app.Handler.WaitBackground()
		app.Close()
	})
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &testApp{App: app, srv: srv, client: client}
}

// get fetches path and returns the response and its body.
func (a *testApp) get(t *testing.T, path string) (*http.Response, string) {
	t.Helper()
	return a.do(t, http.MethodGet, path, nil, nil)
}

// postForm posts form values as a same-origin browser would.
func (a *testApp) postForm(t *testing.T, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	return a.do(t, http.MethodPost, path, strings.NewReader(form.Encode()), http.Header{
		"Content-Type": {"application/x-www-form-urlencoded"},
		"Origin":       {a.srv.URL},
	})
}

func (a *testApp) do(t *testing.T, method, path string, body io.Reader, hdr http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, a.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := a.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// testOwner and testPassword are the credentials setupOwner creates.
const (
	testOwner    = "boss"
	testPassword = "correct horse battery"
)

// setupOwner creates the owner through the setup page, which also signs the
// client in.
func (a *testApp) setupOwner(t *testing.T) {
	t.Helper()
	resp, body := a.postForm(t, "/admin/setup", url.Values{"username": {testOwner}, "password": {testPassword}, "confirm": {testPassword}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("setup: status %d: %s", resp.StatusCode, body)
	}
}

func newJar() (http.CookieJar, error) { return cookiejar.New(nil) }
