package handlers

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

// FuzzShopPath: whatever /qr?u= receives, what it makes a QR code of is a
// path of this shop — never another host, never the back office.
func FuzzShopPath(f *testing.F) {
	for _, s := range []string{"/p/12?s0=红", "http://shop.example/s/ABCDEFGH", "https://evil.example/", "//evil.example/x",
		"/admin/orders", "/p/../admin", "javascript:alert(1)", "/%2e%2e/admin", "http://shop.example@evil.example/", "/?ref=X"} {
		f.Add(s)
	}
	h := &Handler{}
	f.Fuzz(func(t *testing.T, u string) {
		c, _ := gin.CreateTestContext(httptest.NewRecorder())
		c.Request = httptest.NewRequest("GET", "http://shop.example/qr", nil)
		out, ok := h.shopPath(c, u)
		if !ok {
			return
		}
		pu, err := url.Parse(out)
		if err != nil || pu.Scheme != "" || pu.Host != "" || !strings.HasPrefix(out, "/") || strings.HasPrefix(out, "//") {
			t.Fatalf("shopPath(%q) = %q: not a path of the shop", u, out)
		}
		if p, _ := url.PathUnescape(pu.Path); strings.HasPrefix(p, "/admin") || strings.Contains(p, "/../") {
			t.Fatalf("shopPath(%q) = %q: the back office", u, out)
		}
	})
}
