package handlers

import (
	"net/http"
	"strings"
	"testing"
)

func TestMediaServesThumbnails(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	tests := []struct {
		name, path string
		status     int
	}{
		{"original", "/media/" + fx.image, http.StatusOK},
		{"thumbnail", "/media/" + fx.image + "?w=160", http.StatusOK},
		{"width between sizes", "/media/" + fx.image + "?w=200", http.StatusOK},
		{"unknown key", "/media/0123456789abcdef0123456789abcdef.jpg", http.StatusNotFound},
		{"malformed key", "/media/not-a-key.jpg", http.StatusNotFound},
		{"dot dot", "/media/..", http.StatusNotFound},
		{"escaped traversal", "/media/..%2F..%2Fxiaodian.db", http.StatusNotFound},
		{"traversal", "/media/../xiaodian.db", http.StatusNotFound},
		{"bad width", "/media/" + fx.image + "?w=abc", http.StatusBadRequest},
		{"negative width", "/media/" + fx.image + "?w=-5", http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := a.get(t, tt.path)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if tt.status != http.StatusOK {
				if strings.Contains(body, "SQLite") {
					t.Error("served a file outside the media folder")
				}
				return
			}
			if cc := resp.Header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
				t.Errorf("Cache-Control %q", cc)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "image/") {
				t.Errorf("Content-Type %q", ct)
			}
			if resp.Header.Get("ETag") == "" || len(body) == 0 {
				t.Error("no ETag or empty body")
			}
		})
	}

	// The thumbnail is smaller than the original and revalidates with 304.
	_, orig := a.get(t, "/media/"+fx.image)
	resp, thumb := a.get(t, "/media/"+fx.image+"?w=160")
	if len(thumb) >= len(orig) {
		t.Errorf("thumbnail %d bytes, original %d", len(thumb), len(orig))
	}
	resp2, _ := a.do(t, http.MethodGet, "/media/"+fx.image+"?w=160", nil, http.Header{"If-None-Match": {resp.Header.Get("ETag")}})
	if resp2.StatusCode != http.StatusNotModified {
		t.Errorf("conditional request: %d, want 304", resp2.StatusCode)
	}
	if resp.Header.Get("ETag") == a.mediaETag(t, "/media/"+fx.image) {
		t.Error("original and thumbnail share an ETag")
	}
}

func (a *testApp) mediaETag(t *testing.T, path string) string {
	t.Helper()
	resp, _ := a.get(t, path)
	return resp.Header.Get("ETag")
}
