package wechatpay

import (
	"context"
	"crypto/rsa"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/plugins/wechatpay/wechatpaytest"
	"github.com/xiaodian/xiaodian/store"
)

const (
	uaWeChat  = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN"
	uaPhone   = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"
	uaDesktop = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
)

// gatewayConfig is a Config for the fake gateway g with the platform keys
// of mode.
func gatewayConfig(t testing.TB, g *wechatpaytest.Gateway, mode wechatpaytest.Mode) Config {
	t.Helper()
	mch, err := ParsePrivateKey([]byte(g.MchPrivateKeyPEM))
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{MchID: g.MchID, AppID: g.AppID, MchSerialNo: g.MchSerialNo, MchKey: mch,
		APIv3Key: []byte(g.APIv3Key), BaseURL: g.URL}
	if mode == wechatpaytest.ModePublicKey || mode == wechatpaytest.ModeBoth {
		pub, _, err := ParsePublicKey([]byte(g.PublicKeyPEM))
		if err != nil {
			t.Fatal(err)
		}
		cfg.PlatformKeys = map[string]*rsa.PublicKey{g.PublicKeyID: pub}
		cfg.PublicKeyID = g.PublicKeyID
	}
	cfg.DownloadCertificates = mode == wechatpaytest.ModeCertificates || mode == wechatpaytest.ModeBoth
	return cfg
}

// newTestClient is a client of a fresh fake gateway.
func newTestClient(t *testing.T, mode wechatpaytest.Mode) (*Client, *wechatpaytest.Gateway) {
	t.Helper()
	g := wechatpaytest.New(t)
	c, err := NewClient(gatewayConfig(t, g, mode))
	if err != nil {
		t.Fatal(err)
	}
	return c, g
}

// configured returns the plugin configured against g with mode, started
// with env.
func configured(t *testing.T, g *wechatpaytest.Gateway, mode wechatpaytest.Mode, env plugins.PaymentEnv) *Plugin {
	t.Helper()
	p := New()
	if err := p.Provider().Start(context.Background(), env); err != nil {
		t.Fatal(err)
	}
	if err := p.Configure(context.Background(), g.Settings(mode)); err != nil {
		t.Fatalf("configure: %v", err)
	}
	return p
}

// testDB opens a shop database in a temp dir.
func testDB(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "shop.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// shop is the shop's notify endpoint: it hands callbacks to the provider
// like handlers/pay.go does and answers with Ack.
type shop struct {
	srv *httptest.Server
	p   *Provider

	mu   sync.Mutex
	got  []*plugins.Notification
	errs []error
}

func newShop(t *testing.T, p *Provider) *shop {
	s := &shop{p: p}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, plugins.MaxNotifyBody))
		n, err := p.VerifyNotify(r.Context(), r, body)
		s.mu.Lock()
		if err == nil {
			s.got = append(s.got, n)
		} else {
			s.errs = append(s.errs, err)
		}
		s.mu.Unlock()
		status, ct, b := p.Ack(err)
		if ct != "" {
			w.Header().Set("Content-Type", ct)
		}
		w.WriteHeader(status)
		w.Write(b)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *shop) notifyURL() string { return s.srv.URL + "/pay/notify/wechatpay" }

func (s *shop) last() (*plugins.Notification, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n *plugins.Notification
	var err error
	if len(s.got) > 0 {
		n = s.got[len(s.got)-1]
	}
	if len(s.errs) > 0 {
		err = s.errs[len(s.errs)-1]
	}
	return n, err
}

func (s *shop) count() (ok, refused int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.got), len(s.errs)
}

// countRequests counts the gateway's requests starting with prefix.
func countRequests(g *wechatpaytest.Gateway, prefix string) int {
	n := 0
	for _, r := range g.Requests() {
		if len(r) >= len(prefix) && r[:len(prefix)] == prefix {
			n++
		}
	}
	return n
}

// testClock is a clock a test moves by hand, shared by the provider and
// the fake gateway.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newTestClock() *testClock { return &testClock{now: time.Now()} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// clocked returns the plugin configured against g with mode, the
// provider and the gateway both on clock.
func clocked(t *testing.T, g *wechatpaytest.Gateway, mode wechatpaytest.Mode, clock *testClock) *Plugin {
	t.Helper()
	g.SetClock(clock.Now)
	p := New()
	p.Provider().now = clock.Now
	if err := p.Configure(context.Background(), g.Settings(mode)); err != nil {
		t.Fatal(err)
	}
	return p
}
