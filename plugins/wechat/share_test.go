package wechat

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/plugins/wechat/wechattest"
)

const page = "https://shop.example.com/p/42?ref=D8K2#reviews"

func TestShareConfigSignsForTheWeChatClient(t *testing.T) {
	p, fake, clk := newTestPlugin(t)
	cfg, err := p.Provider().ShareConfig(context.Background(), page)
	if err != nil {
		t.Fatal(err)
	}
	if err := fake.CheckShare(cfg, page); err != nil {
		t.Errorf("the fake WeChat client refuses the config: %v", err)
	}
	if cfg.AppID != fake.AppID || cfg.Timestamp != clk.Now().Unix() || len(cfg.NonceStr) != 16 {
		t.Errorf("config %+v", cfg)
	}
	// Signed for another page, it does not verify.
	if err := fake.CheckShare(cfg, "https://shop.example.com/p/43"); err == nil {
		t.Error("a config verified for another page")
	}
}

func TestShareConfigCaches(t *testing.T) {
	p, fake, clk := newTestPlugin(t)
	ctx := context.Background()
	for i := range 5 {
		if _, err := p.Provider().ShareConfig(ctx, page); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if c := fake.Counts(); c.StableTokens != 1 || c.Tickets != 1 {
		t.Fatalf("five signatures fetched %d tokens and %d tickets, want 1 and 1", c.StableTokens, c.Tickets)
	}
	// Still cached just before the margin, fetched again inside it.
	clk.Advance(wechattest.TokenTTL*time.Second - refreshMargin - time.Second)
	if _, err := p.Provider().ShareConfig(ctx, page); err != nil {
		t.Fatal(err)
	}
	if c := fake.Counts(); c.Tickets != 1 {
		t.Fatalf("ticket fetched again %s before its margin", time.Second)
	}
	clk.Advance(2 * time.Second)
	cfg, err := p.Provider().ShareConfig(ctx, page)
	if err != nil {
		t.Fatal(err)
	}
	if c := fake.Counts(); c.StableTokens != 2 || c.Tickets != 2 {
		t.Fatalf("after expiry: %d tokens and %d tickets, want 2 and 2", c.StableTokens, c.Tickets)
	}
	if err := fake.CheckShare(cfg, page); err != nil {
		t.Error(err)
	}
}

func TestShareConfigConcurrentCallersShareOneFetch(t *testing.T) {
	p, fake, _ := newTestPlugin(t)
	const n = 50
	var wg sync.WaitGroup
	errs := make(chan error, n)
	start := make(chan struct{})
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			cfg, err := p.Provider().ShareConfig(context.Background(), page)
			if err == nil {
				err = fake.CheckShare(cfg, page)
			}
			errs <- err
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if c := fake.Counts(); c.StableTokens != 1 || c.Tickets != 1 {
		t.Errorf("%d concurrent callers fetched %d tokens and %d tickets, want 1 and 1", n, c.StableTokens, c.Tickets)
	}
}

func TestTicketRefreshesAStaleToken(t *testing.T) {
	p, fake, clk := newTestPlugin(t)
	ctx := context.Background()
	fake.SetExpiresIn(0, 1200) // tickets last 20 minutes, tokens 2 hours
	if _, err := p.Provider().ShareConfig(ctx, page); err != nil {
		t.Fatal(err)
	}
	// WeChat drops the access token early; the ticket runs out while the
	// token is still cached, and its fetch meets 40001: one new token, one
	// retry.
	fake.ExpireTokens()
	clk.Advance(1200*time.Second - refreshMargin + time.Second)
	cfg, err := p.Provider().ShareConfig(ctx, page)
	if err != nil {
		t.Fatalf("after the token expired early: %v", err)
	}
	if err := fake.CheckShare(cfg, page); err != nil {
		t.Error(err)
	}
	if c := fake.Counts(); c.StableTokens != 2 || c.Tickets != 2 {
		t.Errorf("counts %+v, want 2 stable tokens and 2 tickets", c)
	}
}

func TestTicketRefreshHappensOnce(t *testing.T) {
	// A server that keeps answering 40001 gets one refresh, then the error.
	p, fake, _ := newTestPlugin(t)
	api := newProxy(t, fake.URL())
	api.set("/cgi-bin/ticket/getticket", `{"errcode":40001,"errmsg":"invalid credential, access_token is invalid or not latest rid: 6392f3df-5ec06d49-2fa07bbf"}`)
	v := fake.Settings()
	v[KeyAPIBase] = api.URL
	if err := p.Configure(context.Background(), v); err != nil {
		t.Fatal(err)
	}
	_, err := p.Provider().ShareConfig(context.Background(), page)
	if ErrorCode(err) != CodeInvalidCredential {
		t.Fatalf("error %v, want 40001", err)
	}
	if c := fake.Counts(); c.StableTokens != 2 {
		t.Errorf("%d token fetches, want 2 (the first and one refresh)", c.StableTokens)
	}
}

func TestShareConfigRefusals(t *testing.T) {
	p, fake, _ := newTestPlugin(t)
	ctx := context.Background()
	if _, err := p.Provider().ShareConfig(ctx, "/p/42"); err == nil {
		t.Error("relative page URL signed")
	}
	v := fake.Settings()
	v[KeyShare] = "0"
	if err := p.Configure(ctx, v); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Provider().ShareConfig(ctx, page); !errors.Is(err, plugins.ErrProviderUnavailable) {
		t.Errorf("sharing off: %v", err)
	}
	if _, err := New().Provider().ShareConfig(ctx, page); !errors.Is(err, plugins.ErrProviderUnavailable) {
		t.Errorf("unconfigured: %v", err)
	}
	if c := fake.Counts(); c.StableTokens != 0 || c.Tickets != 0 {
		t.Errorf("refused calls reached WeChat: %+v", c)
	}
}

func TestShareConfigCallerGivesUp(t *testing.T) {
	p, _, _ := newTestPlugin(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.Provider().ShareConfig(ctx, page); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled caller: %v", err)
	}
	// The fetch it started still fills the cache for the next caller.
	if _, err := p.Provider().ShareConfig(context.Background(), page); err != nil {
		t.Error(err)
	}
}

func TestLifetime(t *testing.T) {
	tests := []struct {
		expiresIn int64
		want      time.Duration
	}{
		{7200, 6900 * time.Second},
		{601, 301 * time.Second},
		{600, 300 * time.Second},
		{300, 150 * time.Second},
		{1, 500 * time.Millisecond},
	}
	for _, tt := range tests {
		if got := lifetime(tt.expiresIn); got != tt.want {
			t.Errorf("lifetime(%d) = %v, want %v", tt.expiresIn, got, tt.want)
		}
	}
}
