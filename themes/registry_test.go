package themes_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/a-h/templ"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/themes"
	_ "github.com/xiaodian/xiaodian/themes/default"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// writeFiles writes name → content under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func newRegistry(t *testing.T, dataDir, active string) *themes.Registry {
	t.Helper()
	r, err := themes.NewRegistry(dataDir, active, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func render(t *testing.T, c templ.Component, l i18n.Locale) string {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(i18n.WithLocale(context.Background(), l), &buf); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// searchPage is a results page with one card.
func searchPage(card themes.ProductCard) themes.SearchPage {
	return themes.SearchPage{
		Page:    themes.Page{Title: "奶粉", ShopName: "小店", Header: themes.Header{SearchURL: "/search"}},
		Query:   "奶粉",
		Heading: "“奶粉”的搜索结果",
		List:    themes.ProductList{Cards: []themes.ProductCard{card}, Total: 1, Page: 1},
	}
}

var card = themes.ProductCard{ID: 7, URL: "/p/7", Title: "进口婴儿奶粉", Price: 8950, ListPrice: 9900, Sales: 3, Tags: []string{store.TagHot}}

func TestDefaultThemeRenders(t *testing.T) {
	r := newRegistry(t, t.TempDir(), "")
	if p := r.Problems(); len(p) != 0 {
		t.Fatalf("problems with the built-in theme: %v", p)
	}
	html := render(t, r.Theme().Search(searchPage(card)), i18n.ZH)
	for _, want := range []string{`data-testid="product-card" data-id="7"`, "进口婴儿奶粉", "<b>89</b><small>.50</small></span>", "¥99.00", "/theme/default/shop.", ":root{--primary:#ee0a24;"} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if r.Theme().ID() != "default" || r.Active().Contract != themes.ContractVersion {
		t.Errorf("active theme %q contract %d", r.Theme().ID(), r.Active().Contract)
	}
}

func TestOverrideReplacesProductCard(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"themes/default/sections/product_card.html": `<div class="my-card" data-id="{{.ID}}">{{.Title}} {{money .Price}} {{t "shop.sold_count" "count" .Sales}}<img src="{{image .Image 375}}"><link href="{{asset "shop.css"}}"></div>`,
	})
	r := newRegistry(t, dir, "default")
	if p := r.Problems(); len(p) != 0 {
		t.Fatalf("problems: %v", p)
	}
	html := render(t, r.Theme().Search(searchPage(card)), i18n.ZH)
	if !strings.Contains(html, `<div class="my-card" data-id="7">进口婴儿奶粉 ¥89.50 已售 3 件`) {
		t.Errorf("override not drawn:\n%s", html)
	}
	if strings.Contains(html, `data-testid="product-card"`) {
		t.Error("compiled card drawn as well as the override")
	}
	if !strings.Contains(html, `<link href="/theme/default/shop.`) {
		t.Error("asset helper does not resolve the theme's files")
	}
	// The helpers follow the request's locale.
	if html := render(t, r.Theme().Search(searchPage(card)), i18n.EN); !strings.Contains(html, "3 sold") {
		t.Error("t helper ignores the locale")
	}
}

func TestBrokenOverrideFallsBack(t *testing.T) {
	tests := []struct {
		name, src string
	}{
		{"parse error", `<div>{{if .Title}}</div>`},
		{"unknown field", `<div>{{.Price.Yuan}}{{.NoSuchField}}</div>`},
		{"unknown helper", `<div>{{shout .Title}}</div>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{"themes/default/sections/product_card.html": tt.src})
			r := newRegistry(t, dir, "default")
			probs := r.Problems()
			if len(probs) != 1 || !strings.HasSuffix(probs[0].File, "sections/product_card.html") {
				t.Fatalf("problems = %v, want one for the product card", probs)
			}
			html := render(t, r.Theme().Search(searchPage(card)), i18n.ZH)
			if !strings.Contains(html, `data-testid="product-card" data-id="7"`) {
				t.Error("the compiled card should be drawn instead")
			}
		})
	}
}

func TestOverrideFailingAtRenderFallsBack(t *testing.T) {
	dir := t.TempDir()
	// Fine on the sample card (which has a tag), fails on a card without one.
	writeFiles(t, dir, map[string]string{"themes/default/sections/product_card.html": `<div class="tagged">{{index .Tags 0}}</div>`})
	r := newRegistry(t, dir, "default")
	if p := r.Problems(); len(p) != 0 {
		t.Fatalf("problems at load: %v", p)
	}
	untagged := card
	untagged.Tags = nil
	html := render(t, r.Theme().Search(searchPage(untagged)), i18n.ZH)
	if strings.Contains(html, `class="tagged"`) || !strings.Contains(html, `data-testid="product-card"`) {
		t.Error("a failing override should give way to the compiled card, without half its output")
	}
	if p := r.Problems(); len(p) != 1 {
		t.Errorf("problems after the failure = %v, want one", p)
	}
	if html := render(t, r.Theme().Search(searchPage(card)), i18n.ZH); !strings.Contains(html, `<div class="tagged">hot</div>`) {
		t.Error("the override should still draw the cards it can")
	}
}

func TestEveryOverrideIsDrawn(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{}
	for _, name := range themes.SectionNames() {
		files["themes/default/sections/"+name+".html"] = `<i data-o="` + name + `"></i>`
	}
	writeFiles(t, dir, files)
	r := newRegistry(t, dir, "default")
	if p := r.Problems(); len(p) != 0 {
		t.Fatalf("problems: %v", p)
	}
	page := themes.Page{ShopName: "小店", Header: themes.Header{SearchURL: "/search"},
		TabBar: themes.TabBar{Items: []themes.TabItem{{ID: themes.TabHome, URL: "/", Active: true}}}}
	home := themes.HomePage{Page: page, Blocks: []themes.HomeBlock{
		{Kind: themes.BlockBanners, Banners: &themes.BannerCarousel{Slides: []themes.BannerSlide{{Image: "k.jpg"}}}},
		{Kind: themes.BlockCategoryNav, CategoryNav: &themes.CategoryNav{Items: []themes.CategoryLink{{ID: 1, Name: "母婴", URL: "/c/1"}}}},
		{Kind: themes.BlockProducts, Products: &themes.ProductGrid{Cards: []themes.ProductCard{card}}},
	}}
	product := themes.ProductPage{Page: page, ID: 1, Title: "奶粉", Gallery: themes.ProductGallery{Images: []string{"k.jpg"}}}
	html := render(t, r.Theme().Home(home), i18n.ZH) + render(t, r.Theme().Product(product), i18n.ZH) +
		render(t, r.Theme().ProductList(themes.ProductList{Cards: []themes.ProductCard{card}}), i18n.ZH)
	for _, name := range themes.SectionNames() {
		if !strings.Contains(html, `<i data-o="`+name+`"></i>`) {
			t.Errorf("section %s is not drawn through its override", name)
		}
	}
}

func TestChildThemeSettingsAndAssets(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"themes/spring/theme.yaml": `id: spring
name: 春日
version: 0.1.0
contract: 1
parent: default
settings:
  - key: primary
    label: 主色
    type: color
    default: "#07c160"
  - key: banner_height
    type: length
    default: 180px
`,
		"themes/spring/assets/spring.css": `.banner{height:var(--banner-height)}`,
	})
	r := newRegistry(t, dir, "spring")
	if p := r.Problems(); len(p) != 0 {
		t.Fatalf("problems: %v", p)
	}
	html := render(t, r.Theme().Search(searchPage(card)), i18n.ZH)
	if !strings.Contains(html, "--primary:#07c160;") || !strings.Contains(html, "--banner-height:180px;") || !strings.Contains(html, "--radius:10px;") {
		t.Errorf("settings not merged along the chain: %s", html[:min(len(html), 900)])
	}
	if r.Theme().ID() != "spring" {
		t.Errorf("active theme %q", r.Theme().ID())
	}

	// The child's own assets are served next to the parent's.
	srv := httptest.NewServer(r)
	defer srv.Close()
	for path, want := range map[string]int{
		"/theme/_data/spring/spring.css": http.StatusOK,
		"/theme/default/shop.css":        http.StatusOK,
		"/theme/_data/spring/../x":       http.StatusNotFound,
		"/theme/other/shop.css":          http.StatusNotFound,
	} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s: status %d, want %d", path, resp.StatusCode, want)
		}
	}

	// The shop's own values win over the defaults; bad ones are refused.
	v := r.Version()
	if err := r.SetSettings(map[string]string{"primary": "red;}body{display:none"}); err == nil {
		t.Error("a value that is not a colour was accepted")
	}
	if err := r.SetSettings(map[string]string{"no_such": "#fff"}); err == nil {
		t.Error("an unknown setting was accepted")
	}
	if err := r.SetSettings(map[string]string{"primary": "#123456"}); err != nil {
		t.Fatal(err)
	}
	if r.Version() == v {
		t.Error("Version should change with the settings")
	}
	if html := render(t, r.Theme().Search(searchPage(card)), i18n.ZH); !strings.Contains(html, "--primary:#123456;") {
		t.Error("the shop's value is not applied")
	}
}

func TestBadThemeFoldersFallBack(t *testing.T) {
	tests := []struct {
		name   string
		active string
		files  map[string]string
		want   string // in the problem
	}{
		{"not installed", "nosuch", nil, "not installed"},
		{"invalid id", "../etc", nil, "not valid"},
		{"newer contract", "future", map[string]string{"themes/future/theme.yaml": "id: future\ncontract: 99\n"}, "contract 99"},
		{"id mismatch", "shop", map[string]string{"themes/shop/theme.yaml": "id: other\ncontract: 1\n"}, "does not match"},
		{"typo in a key", "shop", map[string]string{"themes/shop/theme.yaml": "id: shop\ncontract: 1\nsetings: []\n"}, "setings"},
		{"bad setting", "shop", map[string]string{"themes/shop/theme.yaml": "id: shop\ncontract: 1\nsettings:\n  - key: primary\n    type: color\n    default: red\n"}, "not a valid color"},
		{"unknown section", "default", map[string]string{"themes/default/sections/prodcut_card.html": "<b></b>"}, "unknown section"},
		{"parent loop", "a", map[string]string{
			"themes/a/theme.yaml": "id: a\ncontract: 1\nparent: b\n",
			"themes/b/theme.yaml": "id: b\ncontract: 1\nparent: a\n",
		}, "loops"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, tt.files)
			r := newRegistry(t, dir, tt.active)
			probs := r.Problems()
			found := false
			for _, p := range probs {
				found = found || strings.Contains(p.String(), tt.want)
			}
			if !found {
				t.Errorf("problems %v, want one mentioning %q", probs, tt.want)
			}
			// The shop still renders with the compiled default theme.
			html := render(t, r.Theme().Search(searchPage(card)), i18n.ZH)
			if !strings.Contains(html, `data-testid="product-card"`) {
				t.Error("the default theme should draw the page")
			}
		})
	}
}

func TestReloadPicksUpChanges(t *testing.T) {
	dir := t.TempDir()
	r := newRegistry(t, dir, "default")
	v := r.Version()
	writeFiles(t, dir, map[string]string{"themes/default/sections/price_block.html": `<p class="mine">{{money .Price}}</p>`})
	if err := r.Reload(); err != nil {
		t.Fatal(err)
	}
	if r.Version() == v {
		t.Error("Reload should change Version")
	}
	html := render(t, r.Theme().Product(themes.ProductPage{ID: 1, Price: themes.PriceBlock{Price: 100}}), i18n.ZH)
	if !strings.Contains(html, `<p class="mine">¥1.00</p>`) {
		t.Error("the new override is not used after Reload")
	}
}

func TestSettingValues(t *testing.T) {
	tests := []struct {
		typ, value string
		ok         bool
	}{
		{themes.SettingColor, "#fff", true},
		{themes.SettingColor, "#ee0a24", true},
		{themes.SettingColor, "red", false},
		{themes.SettingColor, "#ee0a24;}", false},
		{themes.SettingLength, "8px", true},
		{themes.SettingLength, "0", true},
		{themes.SettingLength, "1.5rem", true},
		{themes.SettingLength, "8", false},
		{themes.SettingLength, "8px}</style>", false},
		{themes.SettingFont, `"PingFang SC", sans-serif`, true},
		{themes.SettingFont, `x</style><script>`, false},
		{"weird", "x", false},
	}
	for _, tt := range tests {
		if err := themes.CheckSetting(tt.typ, tt.value); (err == nil) != tt.ok {
			t.Errorf("CheckSetting(%q, %q) = %v, want ok %v", tt.typ, tt.value, err, tt.ok)
		}
	}
}

func TestPriceParts(t *testing.T) {
	tests := []struct {
		fen         store.Fen
		yuan, cents string
	}{
		{8950, "89", ".50"}, {100, "1", ""}, {5, "0", ".05"}, {123456, "1234", ".56"},
	}
	for _, tt := range tests {
		if y, c := themes.Yuan(tt.fen), themes.Cents(tt.fen); y != tt.yuan || c != tt.cents {
			t.Errorf("%d fen: %q %q, want %q %q", tt.fen, y, c, tt.yuan, tt.cents)
		}
	}
}

func TestWatchReloadsOnChange(t *testing.T) {
	dir := t.TempDir()
	r := newRegistry(t, dir, "default")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		r.Watch(ctx, 5*time.Millisecond)
		close(done)
	}()
	defer func() {
		cancel()
		<-done
	}()
	v := r.Version()
	writeFiles(t, dir, map[string]string{"themes/default/sections/footer.html": `<footer class="mine"></footer>`})
	deadline := time.Now().Add(5 * time.Second)
	for r.Version() == v {
		if time.Now().After(deadline) {
			t.Fatal("Watch did not reload after a file changed")
		}
		time.Sleep(5 * time.Millisecond)
	}
	html := render(t, r.Theme().NotFound(themes.NotFoundPage{Message: "x"}), i18n.ZH)
	if !strings.Contains(html, `<footer class="mine">`) {
		t.Error("the new footer is not drawn after the reload")
	}
}
