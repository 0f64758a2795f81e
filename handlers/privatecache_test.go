package handlers

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xiaodian/xiaodian/store"
)

// The private page cache keeps a distributor's centre until the next write
// in the shop, per customer and per day: the second view is served from
// it, a write or a new day draws it again, and no one gets another's page.
func TestPrivatePageCache(t *testing.T) {
	a := newTestApp(t)
	seedShop(t, a)
	pa := a.secondClient(t)
	pa.register(t, "13700000001")
	pb := a.secondClient(t)
	pb.register(t, "13700000002")

	view := func(c *testApp) (string, string) {
		t.Helper()
		resp, body := c.get(t, "/distributor")
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="dist-head"`) {
			t.Fatalf("centre: %d %.2000s", resp.StatusCode, body)
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "private, no-cache" {
			t.Fatalf("Cache-Control %q", cc)
		}
		return body, resp.Header.Get("ETag")
	}
	entries := func() int {
		a.Handler.private.mu.Lock()
		defer a.Handler.private.mu.Unlock()
		return a.Handler.private.lru.Len()
	}
	// The first views may write (a notice taken from the session).
	view(pa)
	view(pb)
	bodyB, _ := view(pb)
	bodyA, tagA := view(pa)
	n := entries()
	if again, tag := view(pa); again != bodyA || tag != tagA || entries() != n {
		t.Fatalf("the second view was drawn again (%d → %d entries)", n, entries())
	}
	if bodyB == bodyA {
		t.Fatal("B was served A's page")
	}
	codeA, _ := a.DB.RefCode(t.Context(), a.customerID(t, "13700000001"))
	if !strings.Contains(bodyA, codeA) {
		t.Fatal("A's centre does not carry A's code")
	}
	// Any write gives a new version: the page is drawn again.
	if err := a.DB.SetReturnAddress(t.Context(), store.ReturnAddress{Name: "售后部", Phone: "0755-86001234", Address: "深圳市南山区科技园"}); err != nil {
		t.Fatal(err)
	}
	view(pa)
	if entries() != n+1 {
		t.Fatalf("after a write: %d entries, want %d", entries(), n+1)
	}
	// So does a new day (today's earnings).
	at := a.DB.Now().Add(24 * time.Hour)
	a.DB.SetClock(func() time.Time { return at })
	view(pa)
	if entries() != n+2 {
		t.Fatalf("on a new day: %d entries, want %d", entries(), n+2)
	}
}
