package wechat

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/xiaodian/xiaodian/plugins/wechat/wechattest"
)

// clock is a test clock that only moves when told.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// newTestPlugin returns a plugin configured against a fresh fake server,
// on a test clock.
func newTestPlugin(t *testing.T) (*Plugin, *wechattest.Server, *clock) {
	t.Helper()
	fake := wechattest.New()
	t.Cleanup(fake.Close)
	clk := &clock{t: time.Unix(1_700_000_000, 0)}
	p := New()
	p.now = clk.Now
	if err := p.Configure(context.Background(), fake.Settings()); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	return p, fake, clk
}

// proxy stands in front of the fake and answers chosen paths itself, to
// play answers the fake never gives (malformed, surprising).
type proxy struct {
	mu       sync.Mutex
	override map[string]string // path → raw body answered with 200
	URL      string
}

func newProxy(t *testing.T, target string) *proxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{override: map[string]string{}}
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		body, ok := p.override[r.URL.Path]
		p.mu.Unlock()
		if ok {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, body)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

func (p *proxy) set(path, body string) {
	p.mu.Lock()
	p.override[path] = body
	p.mu.Unlock()
}
