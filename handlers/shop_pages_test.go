package handlers

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/store"
)

func TestShopHome(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	if _, err := a.DB.CreateBanner(t.Context(), store.Banner{Image: fx.image, Title: "开学季", Link: "/c/" + idStr(fx.fashion), Visible: true}); err != nil {
		t.Fatal(err)
	}
	resp, body := a.get(t, "/")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("home: status %d", resp.StatusCode)
	}
	for _, want := range []string{"进口婴儿奶粉 3段", "儿童成长奶粉", "母婴", `alt="开学季"`, `href="/c/` + idStr(fx.fashion) + `"`, "新品", "热销", "推荐"} {
		if !strings.Contains(body, want) {
			t.Errorf("home lacks %q", want)
		}
	}
	for _, unwanted := range []string{"停售的老款奶粉", "删除的奶粉", "隐藏分类"} {
		if strings.Contains(body, unwanted) {
			t.Errorf("home shows %q", unwanted)
		}
	}
	if strings.Contains(body, `aria-disabled="true"`) || !strings.Contains(body, `href="/cart"`) {
		t.Error("every tab should be a link now that their pages exist")
	}
}

func TestShopCategoryTree(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	_, body := a.get(t, "/c?top="+idStr(fx.babyTop))
	if !strings.Contains(body, `href="/c/`+idStr(fx.formula)+`"`) || !strings.Contains(body, `cat-side-item is-active" href="/c?top=`+idStr(fx.babyTop)) {
		t.Errorf("category tree does not show 母婴 selected with 奶粉 inside:\n%s", body)
	}
	if strings.Contains(body, "隐藏分类") {
		t.Error("hidden category listed")
	}
}

func TestShopSearch(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	resp, body := a.get(t, "/search?q="+url.QueryEscape("奶粉"))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	got := cards(body)
	slices.Sort(got)
	want := []string{idStr(fx.milk), idStr(fx.kidsMilk)}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("search 奶粉 found %v, want %v", got, want)
	}
	if !strings.Contains(body, `value="奶粉"`) {
		t.Error("search box does not keep the words")
	}
	_, body = a.get(t, "/search?q="+url.QueryEscape("火星车"))
	if len(cards(body)) != 0 || !strings.Contains(body, "没有找到相关商品") {
		t.Error("empty search should say nothing was found")
	}
	_, body = a.get(t, "/search")
	if !strings.Contains(body, `data-testid="search-hint"`) {
		t.Error("search without words should show the hint")
	}
	_, body = a.get(t, "/search?tag=hot")
	if got := cards(body); !slices.Equal(got, []string{idStr(fx.milk)}) {
		t.Errorf("tag=hot lists %v", got)
	}
}

func TestShopCategoryFilters(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	formula := "/c/" + idStr(fx.formula)
	tests := []struct {
		name    string
		query   string
		want    []string // card ids in order; nil = do not check order, only the set
		message string
	}{
		{"all", "", []string{idStr(fx.kidsMilk), idStr(fx.milk)}, ""},
		{"brand", "?brand=" + idStr(fx.brandA), []string{idStr(fx.milk)}, ""},
		{"price range", "?min=200&max=300", []string{idStr(fx.milk)}, ""},
		{"max only", "?max=" + url.QueryEscape("¥199"), []string{idStr(fx.kidsMilk)}, ""},
		{"price ascending", "?sort=price_asc", []string{idStr(fx.kidsMilk), idStr(fx.milk)}, ""},
		{"price descending", "?sort=price_desc", []string{idStr(fx.milk), idStr(fx.kidsMilk)}, ""},
		{"bad price ignored", "?min=abc", []string{idStr(fx.kidsMilk), idStr(fx.milk)}, "价格区间填写有误"},
		{"too many decimals", "?max=1.234", []string{idStr(fx.kidsMilk), idStr(fx.milk)}, "价格区间填写有误"},
		{"min above max", "?min=300&max=200", []string{idStr(fx.kidsMilk), idStr(fx.milk)}, "最低价不能高于最高价"},
		{"unknown sort", "?sort=drop+table", []string{idStr(fx.kidsMilk), idStr(fx.milk)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := a.get(t, formula+tt.query)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if got := cards(body); !slices.Equal(got, tt.want) {
				t.Errorf("cards %v, want %v", got, tt.want)
			}
			if tt.message != "" && !strings.Contains(body, tt.message) {
				t.Errorf("missing message %q", tt.message)
			}
			if tt.message == "" && strings.Contains(body, `data-testid="filter-error"`) {
				t.Error("unexpected filter message")
			}
		})
	}
	// The top category lists its children's products and offers them as chips.
	_, body := a.get(t, "/c/"+idStr(fx.babyTop))
	if len(cards(body)) != 2 || !strings.Contains(body, `class="chip" href="/c/`+idStr(fx.formula)+`"`) {
		t.Errorf("top category page: cards %v", cards(body))
	}
	// Sorting by sales is a tab; the price tab toggles direction.
	_, body = a.get(t, formula+"?sort=price_asc")
	if !strings.Contains(body, `href="/c/`+idStr(fx.formula)+`?sort=price_desc"`) {
		t.Error("active ascending price tab should link to descending")
	}
	for _, path := range []string{"/c/" + idStr(fx.hidden), "/c/999999", "/c/abc"} {
		if resp, body := a.get(t, path); resp.StatusCode != http.StatusNotFound || !strings.Contains(body, `data-testid="not-found"`) {
			t.Errorf("%s: status %d, want the theme's 404", path, resp.StatusCode)
		}
	}
}

func TestShopLoadMore(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	path := "/c/" + idStr(fx.fashion) + "?sort=price_asc"
	_, body := a.get(t, path)
	first := cards(body)
	if len(first) != shopPageSize {
		t.Fatalf("first page has %d cards, want %d", len(first), shopPageSize)
	}
	next := "/c/" + idStr(fx.fashion) + "?page=2&amp;sort=price_asc"
	if !strings.Contains(body, `hx-get="`+next+`"`) || !strings.Contains(body, `href="`+next+`"`) || !strings.Contains(body, `hx-trigger="revealed, click"`) {
		t.Fatalf("first page lacks the load-more trigger and link for %s", next)
	}

	page2 := "/c/" + idStr(fx.fashion) + "?page=2&sort=price_asc"
	resp, frag := a.do(t, http.MethodGet, page2, nil, http.Header{"Hx-Request": {"true"}})
	if resp.StatusCode != http.StatusOK || strings.Contains(frag, "<html") {
		t.Fatalf("htmx page 2: status %d, want a fragment, got %.200s", resp.StatusCode, frag)
	}
	second := cards(frag)
	if len(second) != 26-shopPageSize || strings.Contains(frag, `data-testid="load-more"`) || !strings.Contains(frag, "没有更多了") {
		t.Errorf("fragment: %d cards, want %d and the end of the list", len(second), 26-shopPageSize)
	}
	for _, id := range second {
		if slices.Contains(first, id) {
			t.Errorf("product %s on both pages", id)
		}
	}
	// Without htmx the same URL is a whole page, with a way back.
	_, full := a.get(t, page2)
	if !strings.Contains(full, "<html") || !slices.Equal(cards(full), second) || !strings.Contains(full, `class="prev-page"`) {
		t.Error("plain request for page 2 should be the whole page with the same cards")
	}
	// A cached fragment does not leak into the full page or back.
	_, again := a.do(t, http.MethodGet, page2, nil, http.Header{"Hx-Request": {"true"}})
	if strings.Contains(again, "<html") {
		t.Error("cache served the full page to an htmx request")
	}
}

func TestShopProductSKUPicker(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	p := "/p/" + idStr(fx.dress)
	hx := http.Header{"Hx-Request": {"true"}}
	esc := func(s string) string { return url.QueryEscape(s) }

	_, body := a.get(t, p)
	for _, want := range []string{"法式连衣裙", `data-testid="sku-panel" data-sku="0"`, "请选择颜色 尺码", "¥</small><b>100</b>", "¥</small><b>130</b>", `hx-get="/p/` + idStr(fx.dress) + `/sku?s0=` + esc("红") + `"`} {
		if !strings.Contains(body, want) {
			t.Errorf("product page lacks %q", want)
		}
	}
	if strings.Contains(body, `id="sku-open" class="sheet-toggle" checked`) {
		t.Error("the picker should start closed")
	}

	tests := []struct {
		query, price, stock string
		sku                 bool
		disabled            []string // values drawn disabled
	}{
		{"?s0=" + esc("蓝") + "&s1=M", "<b>130</b>", "仅剩 7 件", true, nil},
		{"?s0=" + esc("红") + "&s1=S", "<b>100</b>", "仅剩 5 件", true, []string{"M"}},
		{"?s0=" + esc("红") + "&s1=M", "<b>110</b>", "缺货", true, nil},
		{"?s0=" + esc("红"), "<b>100</b>", "库存 5 件", false, []string{"M"}},
		{"?s1=M", "<b>130</b>", "库存 7 件", false, []string{"红"}},
		{"?s0=" + esc("紫"), "<b>100</b>", "库存 15 件", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			resp, frag := a.do(t, http.MethodGet, p+"/sku"+tt.query, nil, hx)
			if resp.StatusCode != http.StatusOK || strings.Contains(frag, "<html") {
				t.Fatalf("fragment: status %d", resp.StatusCode)
			}
			_, page := a.get(t, p+tt.query)
			for name, b := range map[string]string{"fragment": frag, "page": page} {
				panel := b[strings.Index(b, `data-testid="sku-panel"`):]
				if !strings.Contains(panel, tt.price) || !strings.Contains(panel, tt.stock) {
					t.Errorf("%s: want price %s and %q in the panel", name, tt.price, tt.stock)
				}
				if got := !strings.Contains(panel, `data-sku="0"`); got != tt.sku {
					t.Errorf("%s: complete choice = %v, want %v", name, got, tt.sku)
				}
				for _, v := range tt.disabled {
					if !strings.Contains(panel, `aria-disabled="true" data-testid="sku-opt">`+v+`<`) {
						t.Errorf("%s: value %s should be disabled", name, v)
					}
				}
			}
			if !strings.Contains(frag, `id="price-block" hx-swap-oob="true"`) {
				t.Error("fragment should update the page's price out of band")
			}
			if !strings.Contains(page, `class="sheet-toggle" checked`) {
				t.Error("a choice made without JavaScript should show the picker open")
			}
		})
	}

	// Without htmx the fragment URL sends the browser to the page.
	resp, _ := a.get(t, p+"/sku?s0="+esc("蓝"))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != p+"?s0="+esc("蓝") {
		t.Errorf("plain fragment request: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// A product without specs has its single SKU chosen from the start.
	_, body = a.get(t, "/p/"+idStr(fx.kidsMilk))
	if strings.Contains(body, `data-sku="0"`) || !strings.Contains(body, "默认规格") {
		t.Error("product without specs should have its SKU chosen")
	}
}

func TestShopProductNotFound(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	for _, path := range []string{"/p/" + idStr(fx.offShelf), "/p/" + idStr(fx.deleted), "/p/999999", "/p/x", "/p/" + idStr(fx.offShelf) + "/sku"} {
		resp, body := a.get(t, path)
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(body, `data-testid="not-found"`) || !strings.Contains(body, "该商品已下架") {
			t.Errorf("%s: status %d, want the theme's 404 page", path, resp.StatusCode)
		}
	}
	// Taking a product off shelf takes its (cached) page down at once.
	if _, body := a.get(t, "/p/"+idStr(fx.milk)); !strings.Contains(body, "进口婴儿奶粉") {
		t.Fatal("product page missing")
	}
	if _, err := a.DB.SetOnShelf(t.Context(), []int64{fx.milk}, false); err != nil {
		t.Fatal(err)
	}
	if resp, _ := a.get(t, "/p/"+idStr(fx.milk)); resp.StatusCode != http.StatusNotFound {
		t.Errorf("off-shelf product still served: %d", resp.StatusCode)
	}
}

func TestShopProductPage(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	a.Plugins.ProductView.BindFunc(func(e *plugins.ProductViewEvent) error {
		e.Badges = append(e.Badges, "包邮")
		return e.Next()
	})
	_, body := a.get(t, "/p/"+idStr(fx.milk))
	for _, want := range []string{
		"进口婴儿奶粉 3段", "新西兰原装", "<p>奶源好</p>", "贝乐芽", `class="badge">包邮<`,
		`s class="list-price">¥281.00<`, `src="/media/` + fx.image + `?w=750"`, `href="/c/` + idStr(fx.formula) + `"`,
		`data-testid="buybar"`, "选择规格",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("product page lacks %q", want)
		}
	}
	if !strings.Contains(body, `data-testid="cart-add"`) || strings.Contains(body, "立即购买") {
		t.Error("the picker should add to the cart, and there is no checkout yet")
	}
}

func TestShopEnglish(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	_, body := a.get(t, "/?lang=en")
	if !strings.Contains(body, `<html lang="en">`) || !strings.Contains(body, "Recommended") || !strings.Contains(body, "Search products") {
		t.Error("?lang=en should give the English home page")
	}
	// The choice is remembered, and the footer offers the way back.
	_, body = a.get(t, "/c/"+idStr(fx.formula))
	if !strings.Contains(body, "Featured") || !strings.Contains(body, `href="/c/`+idStr(fx.formula)+`?lang=zh-CN"`) {
		t.Error("the category page should be English with a link back to Chinese")
	}
	_, body = a.get(t, "/p/"+idStr(fx.dress))
	if !strings.Contains(body, "Select options") || !strings.Contains(body, "Please select 颜色 尺码") {
		t.Errorf("product page not in English")
	}
}

func TestShopPageCache(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	// Every anonymous storefront page goes through the page cache, which
	// answers with an ETag.
	for _, path := range []string{"/", "/c", "/c/" + idStr(fx.formula), "/search?q=" + url.QueryEscape("奶粉"), "/p/" + idStr(fx.milk)} {
		resp, _ := a.get(t, path)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("ETag") == "" {
			t.Errorf("%s: status %d, ETag %q: not served through the page cache", path, resp.StatusCode, resp.Header.Get("ETag"))
		}
	}
	p := "/p/" + idStr(fx.kidsMilk)
	resp, body := a.get(t, p)
	if !strings.Contains(body, "<b>198</b>") {
		t.Fatal("price missing")
	}
	resp2, _ := a.do(t, http.MethodGet, p, nil, http.Header{"If-None-Match": {resp.Header.Get("ETag")}})
	if resp2.StatusCode != http.StatusNotModified {
		t.Errorf("conditional request: %d, want 304", resp2.StatusCode)
	}
	in := store.ProductInput{CategoryID: fx.formula, BrandID: fx.brandB, Title: "儿童成长奶粉", OnShelf: true,
		SKUs: []store.SKUInput{{Price: 17600, Stock: 5}}}
	if err := a.DB.UpdateProduct(t.Context(), fx.kidsMilk, in); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{p, "/c/" + idStr(fx.formula)} {
		_, body = a.get(t, path)
		if !strings.Contains(body, "<b>176</b>") || strings.Contains(body, "<b>198</b>") {
			t.Errorf("%s: the new price is not shown after the update", path)
		}
	}
}

func TestShopHead(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	for _, path := range []string{"/", "/p/" + idStr(fx.milk)} {
		resp, body := a.do(t, http.MethodHead, path, nil, nil)
		if resp.StatusCode != http.StatusOK || body != "" {
			t.Errorf("HEAD %s: status %d, %d bytes", path, resp.StatusCode, len(body))
		}
	}
}

func TestShopThemeAssets(t *testing.T) {
	a := newTestApp(t)
	_, body := a.get(t, "/")
	_, rest, ok := strings.Cut(body, `<link rel="stylesheet" href="`)
	css, _, _ := strings.Cut(rest, `"`)
	if !ok || !strings.HasPrefix(css, "/theme/default/shop.") {
		t.Fatalf("no theme stylesheet linked: %q", css)
	}
	resp, sheet := a.get(t, css)
	if resp.StatusCode != http.StatusOK || !strings.Contains(sheet, ".product-grid") || resp.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
		t.Errorf("%s: status %d, Cache-Control %q", css, resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
	if resp, _ := a.get(t, "/theme/default/../../xiaodian.db"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("theme assets escaped their folder: %d", resp.StatusCode)
	}
}
