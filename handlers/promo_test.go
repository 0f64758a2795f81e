package handlers

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xiaodian/xiaodian/handlers/poster"
	"github.com/xiaodian/xiaodian/store"
)

// signedInCode registers phone (signing the client in), gives it a
// nickname and returns its referral code.
func signedInCode(t *testing.T, a *testApp, phone, nickname string) string {
	t.Helper()
	a.register(t, phone)
	cu, err := a.DB.AuthenticateCustomer(t.Context(), phone, custPassword)
	if err != nil {
		t.Fatal(err)
	}
	if nickname != "" {
		if err := a.DB.UpdateCustomerProfile(t.Context(), cu.ID, store.CustomerProfile{Nickname: nickname}); err != nil {
			t.Fatal(err)
		}
	}
	code, err := a.DB.RefCode(t.Context(), cu.ID)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

func TestProductPoster(t *testing.T) {
	if _, err := poster.FindFont(); errors.Is(err, poster.ErrNoFont) {
		t.Skip("no CJK font on this machine (apt install fonts-noto-cjk)")
	}
	a := newTestApp(t)
	fx := seedShop(t, a)
	path := "/p/" + idStr(fx.milk) + "/poster.png"
	// A visitor is sent to sign in.
	if resp, _ := a.get(t, path); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Fatalf("visitor: status %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	signedInCode(t, a, "13800138000", "小花")
	resp, body := a.get(t, path)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("poster: status %d, type %q: %.200s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	img, err := png.Decode(strings.NewReader(body))
	if err != nil {
		t.Fatalf("poster does not decode: %v", err)
	}
	if img.Bounds().Size() != image.Pt(poster.Width, poster.Height) {
		t.Errorf("poster size %v", img.Bounds().Size())
	}
	if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "private") {
		t.Errorf("Cache-Control %q, want private", cc)
	}
	// Cached on disk, and the ETag answers 304.
	files, _ := filepath.Glob(filepath.Join(a.Handler.opts.DataDir, "cache", "posters", "*.png"))
	if len(files) != 1 {
		t.Errorf("%d cached posters, want 1", len(files))
	}
	resp, _ = a.do(t, http.MethodGet, path, nil, http.Header{"If-None-Match": {resp.Header.Get("ETag")}})
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: status %d, want 304", resp.StatusCode)
	}
	again, body2 := a.get(t, path)
	if again.StatusCode != http.StatusOK || body2 != body {
		t.Error("second poster differs from the cached one")
	}
	// Off-shelf and unknown products have none.
	for _, id := range []int64{fx.offShelf, 999999} {
		if resp, _ := a.get(t, "/p/"+idStr(id)+"/poster.png"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("poster of product %d: status %d, want 404", id, resp.StatusCode)
		}
	}
}

func TestProductPosterWithoutFont(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "not-a-font.ttf")
	os.WriteFile(bad, []byte("nope"), 0o644)
	a := openTestApp(t, AppConfig{DataDir: dir, PosterFont: bad})
	fx := seedShop(t, a)
	signedInCode(t, a, "13800138000", "")
	resp, body := a.get(t, "/p/"+idStr(fx.milk)+"/poster.png")
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("status %d, type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if !strings.Contains(body, "中文字体") {
		t.Errorf("error page does not say a font is missing:\n%s", body)
	}
	if st := a.Handler.PosterFontStatus(); st.OK || !errors.Is(st.Err, poster.ErrNoFont) {
		t.Errorf("PosterFontStatus = %+v", st)
	}
	// The back office warns, saying how to fix it.
	a.setupOwner(t)
	_, page := a.get(t, "/admin/settings")
	if !strings.Contains(page, `data-testid="poster-font-missing"`) || !strings.Contains(page, "fonts-noto-cjk") {
		t.Error("settings page does not warn about the missing poster font")
	}
}

func TestQRCode(t *testing.T) {
	a := newTestApp(t)
	get := func(u string) *http.Response {
		resp, _ := a.get(t, "/qr?u="+url.QueryEscape(u))
		return resp
	}
	host := strings.TrimPrefix(a.srv.URL, "http://")
	for _, u := range []string{"/p/1", "/p/1?s0=%E7%BA%A2", a.srv.URL + "/c/2", "/"} {
		resp := get(u)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" {
			t.Errorf("qr of %s: status %d, type %q", u, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age") {
			t.Errorf("qr of %s: Cache-Control %q", u, cc)
		}
	}
	for _, u := range []string{
		"https://evil.example.com/p/1", "//evil.example.com/p/1", "http://" + host + "@evil.example.com/",
		"javascript:alert(1)", "ftp://" + host + "/p/1", "p/1", "/\\evil.example.com", "/admin/orders",
		"", "/p/1#top", "/" + strings.Repeat("a", 600),
	} {
		if resp := get(u); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("qr of %q: status %d, want 400", u, resp.StatusCode)
		}
	}
	if resp, _ := a.get(t, "/qr?u=/p/1&s=5000"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("huge qr: status %d", resp.StatusCode)
	}
	// A customer's code is private (it carries their ref=).
	signedInCode(t, a, "13800138000", "")
	resp := get("/p/1?ref=OTHERCDE")
	if cc := resp.Header.Get("Cache-Control"); resp.StatusCode != http.StatusOK || !strings.Contains(cc, "private") {
		t.Errorf("customer's qr: status %d, Cache-Control %q", resp.StatusCode, cc)
	}
}

func TestShopPathAndRef(t *testing.T) {
	if got := withRef(stripRef("http://x/p/1?ref=AAAA&s0=1"), "BBBBBBBB"); got != "http://x/p/1?ref=BBBBBBBB&s0=1" {
		t.Errorf("ref link %q", got)
	}
}

func TestDistributorShop(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	code := signedInCode(t, a, "13800138000", "小花")
	// The visitor's view: a fresh client without the owner's session.
	v := &testApp{App: a.App, srv: a.srv, client: &http.Client{CheckRedirect: a.client.CheckRedirect}}
	resp, body := v.get(t, "/s/"+code)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("shop page: status %d", resp.StatusCode)
	}
	for _, want := range []string{"小花的小店", `data-testid="dshop-head"`, "纯棉T恤", `og:title" content="小花的小店"`, `href="/s/` + code + `"`} {
		if !strings.Contains(body, want) {
			t.Errorf("shop page lacks %q", want)
		}
	}
	if !strings.Contains(body, `?ref=`+code+`"`) || strings.Contains(body, `href="/p/`+idStr(fx.dress)+`"`) {
		t.Errorf("product links do not keep ref=%s", code)
	}
	// Sorted dearest first, the 奶粉 leads, its link with ref=.
	_, sorted := v.get(t, "/s/"+code+"?sort="+store.SortPriceDesc)
	if !strings.Contains(sorted, `href="/p/`+idStr(fx.milk)+`?ref=`+code+`"`) || strings.Contains(sorted, `href="/p/`+idStr(fx.milk)+`"`) {
		t.Errorf("sorted shop page: no ref link to the 奶粉")
	}
	if strings.Contains(body, "停售的老款奶粉") {
		t.Error("off-shelf product listed")
	}
	// "Load more" pages stay in the shop and keep ref too.
	if !strings.Contains(body, `/s/`+code+`?page=2`) {
		t.Error("no next page in the shop")
	}
	resp, frag := v.do(t, http.MethodGet, "/s/"+code+"?page=2", nil, http.Header{"HX-Request": {"true"}})
	if resp.StatusCode != http.StatusOK || strings.Contains(frag, "<html") || !strings.Contains(frag, "?ref="+code) {
		t.Errorf("next page fragment: status %d\n%.300s", resp.StatusCode, frag)
	}
	// Unknown and malformed codes are the friendly 404.
	for _, c := range []string{"ZZZZZZZZ", "nope", strings.Repeat("A", 40)} {
		resp, body := v.get(t, "/s/"+c)
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "小店不存在") {
			t.Errorf("/s/%s: status %d", c, resp.StatusCode)
		}
	}
	if bytes.Contains([]byte(body), []byte("13800138000")) {
		t.Error("the owner's phone number is on their shop page")
	}
}
