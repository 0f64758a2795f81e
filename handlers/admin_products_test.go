package handlers

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/store"
)

// skuForm is a product form for a category with a spec matrix and one SKU
// table row per combination, every row priced price.
func skuForm(category int64, title, specs string, combos [][]string, price string) url.Values {
	f := url.Values{
		"category_id": {strconv.FormatInt(category, 10)},
		"title":       {title},
		"subtitle":    {"纯棉 舒适"},
		"tags":        {store.TagNew, store.TagHot},
		"sort":        {"5"},
		"on_shelf":    {"1"},
		"specs":       {specs},
		"description": {"<p>好衣服</p>"},
		"action":      {"save"},
	}
	for i, c := range combos {
		vals := `["` + strings.Join(c, `","`) + `"]`
		if len(c) == 0 {
			vals = "[]"
		}
		f.Add("sku_values", vals)
		f.Add("sku_price", price)
		f.Add("sku_list_price", "")
		f.Add("sku_stock", strconv.Itoa(10+i))
		f.Add("sku_code", "C"+strconv.Itoa(i))
		f.Add("sku_weight", "200")
		f.Add("sku_image", "")
	}
	return f
}

// productByTitle finds the one product with this title.
func productByTitle(t *testing.T, a *testApp, title string) *store.Product {
	t.Helper()
	list, _, err := a.DB.Products(t.Context(), store.ProductFilter{Query: title})
	if err != nil || len(list) != 1 {
		t.Fatalf("product %q: %d found, err %v", title, len(list), err)
	}
	p, err := a.DB.ProductByID(t.Context(), list[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAdminProductCreateAndEditSpecs(t *testing.T) {
	a, _ := newAdminApp(t)
	cat := admCategory(t, a, "服装", 0)
	var mu sync.Mutex
	var events []plugins.ProductSavedEvent
	a.Plugins.ProductSaved.BindFunc(func(e *plugins.ProductSavedEvent) error {
		mu.Lock()
		events = append(events, plugins.ProductSavedEvent{ProductID: e.ProductID, Created: e.Created})
		mu.Unlock()
		return e.Next()
	})

	resp, body := a.get(t, "/admin/products/new")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="product-form"`) {
		t.Fatalf("new form: %d", resp.StatusCode)
	}
	combos := [][]string{{"红", "S"}, {"红", "M"}, {"蓝", "S"}, {"蓝", "M"}}
	resp, body = a.postForm(t, "/admin/products/new", skuForm(cat, "纯棉T恤", "颜色: 红, 蓝\n尺码: S, M", combos, "99.90"))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/products" {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	p := productByTitle(t, a, "纯棉T恤")
	if len(p.SKUs) != 4 || len(p.Specs) != 2 || p.Price != 9990 || p.Stock != 10+11+12+13 || !p.OnShelf || p.Sort != 5 {
		t.Fatalf("created product: %+v", p)
	}
	if !slices.Equal(p.Tags, []string{store.TagNew, store.TagHot}) || p.Subtitle != "纯棉 舒适" {
		t.Fatalf("tags %v subtitle %q", p.Tags, p.Subtitle)
	}
	_, body = a.get(t, "/admin/products")
	if !strings.Contains(body, "商品已创建") || !strings.Contains(body, "纯棉T恤") {
		t.Fatal("list after create lacks the flash or the product")
	}

	edit := "/admin/products/" + strconv.FormatInt(p.ID, 10) + "/edit"
	resp, body = a.get(t, edit)
	if resp.StatusCode != http.StatusOK || strings.Count(body, `data-testid="sku-row"`) != 4 || !strings.Contains(body, "颜色: 红, 蓝") {
		t.Fatalf("edit form: %d, rows %d", resp.StatusCode, strings.Count(body, `data-testid="sku-row"`))
	}

	// Dropping 蓝 keeps the 红 SKUs (same ids) and retires the 蓝 ones.
	kept := map[string]int64{}
	for _, s := range p.SKUs {
		kept[s.Key()] = s.ID
	}
	form := skuForm(cat, "纯棉T恤", "颜色: 红\n尺码: S, M", combos[:2], "89")
	resp, body = a.postForm(t, edit, form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("update: %d %s", resp.StatusCode, body)
	}
	p2, err := a.DB.ProductByID(t.Context(), p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(p2.SKUs) != 2 || p2.Price != 8900 {
		t.Fatalf("after edit: %d SKUs, price %d", len(p2.SKUs), p2.Price)
	}
	for _, s := range p2.SKUs {
		if s.Values[0] != "红" || kept[s.Key()] != s.ID {
			t.Errorf("SKU %v has id %d, want the old id %d", s.Values, s.ID, kept[s.Key()])
		}
	}
	mu.Lock()
	defer mu.Unlock()
	want := []plugins.ProductSavedEvent{{ProductID: p.ID, Created: true}, {ProductID: p.ID}}
	if len(events) != 2 || events[0].ProductID != want[0].ProductID || !events[0].Created || events[1].Created {
		t.Fatalf("ProductSaved events: %+v", events)
	}
}

func TestAdminProductValidation(t *testing.T) {
	a, _ := newAdminApp(t)
	cat := admCategory(t, a, "食品", 0)
	form := skuForm(cat, "", "规格: 大, 小", [][]string{{"大"}, {"小"}}, "12.345")
	resp, body := a.postForm(t, "/admin/products/new", form)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad form: %d", resp.StatusCode)
	}
	for _, want := range []string{`data-testid="error-title"`, `data-testid="error-sku.0.price"`, "请输入正确的金额，最多两位小数", "12.345", `data-testid="form-errors"`} {
		if !strings.Contains(body, want) {
			t.Errorf("refused form lacks %q", want)
		}
	}
	if n := admProductCount(t, a); n != 0 {
		t.Fatalf("a refused form created %d products", n)
	}

	// The same in English, and an edit that fails leaves the product alone.
	id := admProduct(t, a, cat, "饼干", 500, 3, true)
	a.get(t, "/admin?lang=en")
	form = skuForm(cat, "饼干 改", "", [][]string{{}}, "1.2.3")
	resp, body = a.postForm(t, "/admin/products/"+strconv.FormatInt(id, 10)+"/edit", form)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Enter a valid amount") || !strings.Contains(body, "饼干 改") {
		t.Fatalf("bad edit: %d", resp.StatusCode)
	}
	p, err := a.DB.ProductByID(t.Context(), id)
	if err != nil || p.Title != "饼干" || p.Price != 500 {
		t.Fatalf("refused edit changed the product: %+v %v", p, err)
	}
	// A table that no longer matches the specs is rebuilt, not saved.
	form = skuForm(cat, "饼干", "口味: 甜, 咸", [][]string{{}}, "5")
	resp, body = a.postForm(t, "/admin/products/"+strconv.FormatInt(id, 10)+"/edit", form)
	if resp.StatusCode != http.StatusUnprocessableEntity || strings.Count(body, `data-testid="sku-row"`) != 2 || !strings.Contains(body, `data-testid="error-skus"`) {
		t.Fatalf("mismatched table: %d, %d rows", resp.StatusCode, strings.Count(body, `data-testid="sku-row"`))
	}
	if strings.Count(body, `name="sku_price" value="5"`) != 2 {
		t.Error("rebuilt rows did not keep the price typed for the product without specs")
	}
}

func TestAdminProductDescriptionSanitised(t *testing.T) {
	a, _ := newAdminApp(t)
	cat := admCategory(t, a, "书籍", 0)
	img := admImage(t, a, 20, 20)
	form := skuForm(cat, "好书", "", [][]string{{}}, "30")
	form.Set("description", `<p onclick="steal()">介绍</p><script>alert(1)</script><strong>重点</strong>`+
		`<img src="x" onerror="alert(2)"><img src="/media/`+img+`?w=375" alt="图"><a href="javascript:alert(3)">坏链接</a>`+
		`<a href="https://example.com/">外链</a><style>body{}</style><table><tr><td>参数</td></tr></table>`)
	resp, body := a.postForm(t, "/admin/products/new", form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	d := productByTitle(t, a, "好书").Description
	for _, bad := range []string{"<script", "alert(", "onerror", "onclick", "javascript:", "<style", `src="x"`} {
		if strings.Contains(d, bad) {
			t.Errorf("description keeps %q: %s", bad, d)
		}
	}
	for _, good := range []string{"<strong>重点</strong>", `src="/media/` + img + `?w=375"`, `rel="nofollow`, "<td>参数</td>", "<p>介绍</p>"} {
		if !strings.Contains(d, good) {
			t.Errorf("description lost %q: %s", good, d)
		}
	}
}

func TestAdminBulkShelf(t *testing.T) {
	a, _ := newAdminApp(t)
	cat := admCategory(t, a, "日用", 0)
	p1 := admProduct(t, a, cat, "毛巾", 1000, 5, true)
	p2 := admProduct(t, a, cat, "牙刷", 500, 5, true)
	p3 := admProduct(t, a, cat, "香皂", 300, 5, true)
	shelf := func(id int64) bool {
		t.Helper()
		p, err := a.DB.ProductByID(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		return p.OnShelf
	}
	ids := func(ids ...int64) []string {
		var s []string
		for _, id := range ids {
			s = append(s, strconv.FormatInt(id, 10))
		}
		return s
	}
	resp, _ := a.postForm(t, "/admin/products/shelf", url.Values{"ids": ids(p1, p2), "on": {"0"}, "back": {"/admin/products?q=x"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/products?q=x" {
		t.Fatalf("bulk off: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if shelf(p1) || shelf(p2) || !shelf(p3) {
		t.Fatal("bulk off shelf changed the wrong products")
	}
	_, body := a.get(t, "/admin/products")
	if !strings.Contains(body, "已下架 2 件商品") {
		t.Error("no flash after bulk off shelf")
	}
	resp, _ = a.postForm(t, "/admin/products/shelf", url.Values{"ids[]": ids(p1), "on": {"1"}, "back": {"https://evil.example/"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/products" || !shelf(p1) {
		t.Fatalf("bulk on with ids[]: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	// The row toggle answers htmx with the row.
	resp, body = a.admPost(t, "/admin/products/shelf", url.Values{"ids": ids(p3), "on": {"0"}, "row": {"1"}}, admHX)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="shelf-off"`) || strings.Contains(body, "<html") || shelf(p3) {
		t.Fatalf("row toggle: %d %s", resp.StatusCode, body)
	}
	_, body = a.get(t, "/admin/products?shelf=off")
	if strings.Count(body, `data-testid="product-row"`) != 2 {
		t.Errorf("shelf=off lists %d rows, want 2", strings.Count(body, `data-testid="product-row"`))
	}
	// Nothing ticked: a warning, nothing changes.
	resp, _ = a.postForm(t, "/admin/products/shelf", url.Values{"on": {"1"}})
	if resp.StatusCode != http.StatusSeeOther || shelf(p2) {
		t.Fatalf("empty bulk: %d", resp.StatusCode)
	}
}

func TestAdminProductListFilters(t *testing.T) {
	a, _ := newAdminApp(t)
	top := admCategory(t, a, "数码", 0)
	child := admCategory(t, a, "手机", top)
	other := admCategory(t, a, "家居", 0)
	admProduct(t, a, child, "国产手机", 199900, 0, true)
	admProduct(t, a, top, "耳机", 29900, 4, false)
	admProduct(t, a, other, "台灯", 9900, 8, true)
	for i := range 21 {
		admProduct(t, a, other, "杯子"+strconv.Itoa(i), 1000, 1, true)
	}
	rows := func(path string) int {
		t.Helper()
		resp, body := a.get(t, path)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		return strings.Count(body, `data-testid="product-row"`)
	}
	tests := []struct {
		path string
		want int
	}{
		{"/admin/products", 20},
		{"/admin/products?page=2", 4},
		{"/admin/products?category=" + strconv.FormatInt(top, 10), 2},
		{"/admin/products?category=" + strconv.FormatInt(child, 10), 1},
		{"/admin/products?q=" + url.QueryEscape("手机"), 1},
		{"/admin/products?shelf=off", 1},
		{"/admin/products?stock=out", 1},
		{"/admin/products?q=nothing-like-this", 0},
	}
	for _, tt := range tests {
		if got := rows(tt.path); got != tt.want {
			t.Errorf("%s: %d rows, want %d", tt.path, got, tt.want)
		}
	}
	resp, _ := a.get(t, "/admin/products?page=9&shelf=on")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/products?page=2&shelf=on" {
		t.Errorf("page past the end: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, body := a.get(t, "/admin")
	for _, want := range []string{`data-testid="stat-on-shelf"`, ">23<", ">1<"} {
		if !strings.Contains(body, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
}

func TestAdminProductsCSV(t *testing.T) {
	a, _ := newAdminApp(t)
	cat := admCategory(t, a, "服装", 0)
	combos := [][]string{{"红", "S"}, {"红", "M"}, {"蓝", "S"}, {"蓝", "M"}}
	if resp, body := a.postForm(t, "/admin/products/new", skuForm(cat, "纯棉T恤", "颜色: 红, 蓝\n尺码: S, M", combos, "99.90")); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	admProduct(t, a, cat, "=HYPERLINK(1)", 1234, 7, false)

	resp, body := a.get(t, "/admin/products.csv")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("export: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if !strings.HasPrefix(body, "\uFEFF") {
		t.Fatal("export does not start with a UTF-8 BOM")
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1+4+1 {
		t.Fatalf("%d records, want a header and 5 SKU rows:\n%s", len(recs), body)
	}
	if want := []string{"商品ID", "标题", "分类", "品牌", "规格", "SKU编码", "售价(元)", "划线价(元)", "库存", "重量(克)", "是否上架"}; !slices.Equal(recs[0], want) {
		t.Errorf("header %q, want %q", recs[0], want)
	}
	var shirt, formula int
	for _, r := range recs[1:] {
		switch r[1] {
		case "纯棉T恤":
			shirt++
			if r[2] != "服装" || r[6] != "99.90" || r[10] != "是" || r[9] != "200" {
				t.Errorf("shirt row %q", r)
			}
		case "'=HYPERLINK(1)":
			formula++
			if r[4] != "" || r[6] != "12.34" || r[8] != "7" || r[10] != "否" {
				t.Errorf("plain row %q", r)
			}
		default:
			t.Errorf("unexpected row %q", r)
		}
	}
	if shirt != 4 || formula != 1 {
		t.Errorf("%d shirt rows and %d others", shirt, formula)
	}
	// The export follows the list's filter.
	_, body = a.get(t, "/admin/products.csv?shelf=off")
	if recs, _ := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\uFEFF"))).ReadAll(); len(recs) != 2 {
		t.Errorf("filtered export has %d records, want 2", len(recs))
	}
}

func TestAdminStaffOnly(t *testing.T) {
	a, _ := newAdminApp(t)
	cat := admCategory(t, a, "服装", 0)
	anon := newClientFor(a)
	resp, _ := anon.postForm(t, "/admin/products/new", skuForm(cat, "偷偷上架", "", [][]string{{}}, "1"))
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("anonymous create: %d", resp.StatusCode)
	}
	for _, path := range []string{"/admin/products", "/admin/products.csv", "/admin/categories"} {
		resp, _ = anon.get(t, path)
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/admin/login") {
			t.Errorf("anonymous GET %s: %d %s", path, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	resp, _ = anon.admMultipart(t, "/admin/uploads", nil, []admFile{{"a.png", admPNG(t, 8, 8)}}, nil)
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("anonymous upload: %d", resp.StatusCode)
	}
	if n := admProductCount(t, a); n != 0 {
		t.Fatalf("anonymous requests created %d products", n)
	}
}

func TestAdminProductDelete(t *testing.T) {
	a, _ := newAdminApp(t)
	cat := admCategory(t, a, "服装", 0)
	id := admProduct(t, a, cat, "旧款", 100, 1, true)
	path := "/admin/products/" + strconv.FormatInt(id, 10) + "/delete"
	resp, body := a.get(t, path)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="confirm-delete"`) || !strings.Contains(body, "旧款") {
		t.Fatalf("confirm page: %d", resp.StatusCode)
	}
	resp, _ = a.admPost(t, path, url.Values{"back": {"/admin/products?page=2"}}, admHX)
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("HX-Redirect") != "/admin/products?page=2" {
		t.Fatalf("htmx delete: %d %q", resp.StatusCode, resp.Header.Get("HX-Redirect"))
	}
	if _, err := a.DB.ProductByID(t.Context(), id); err == nil {
		t.Fatal("deleted product still loads")
	}
	resp, _ = a.postForm(t, path, nil)
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("second delete: %d", resp.StatusCode)
	}
}

func TestAdminProductFormButtons(t *testing.T) {
	a, _ := newAdminApp(t)
	cat := admCategory(t, a, "服装", 0)
	k1, k2 := admImage(t, a, 30, 20), admImage(t, a, 20, 30)

	// Without JavaScript: "build SKU table" re-renders the form with the
	// combinations, keeping the price typed for 红.
	form := skuForm(cat, "", "颜色: 红", [][]string{{"红"}}, "15")
	form.Set("specs", "颜色: 红, 蓝\n尺码: S")
	form.Set("action", "regen")
	resp, body := a.postForm(t, "/admin/products/new", form)
	if resp.StatusCode != http.StatusOK || strings.Count(body, `data-testid="sku-row"`) != 2 || !strings.Contains(body, `name="sku_price" value="15"`) {
		t.Fatalf("regen: %d, %d rows", resp.StatusCode, strings.Count(body, `data-testid="sku-row"`))
	}
	if strings.Contains(body, `data-testid="error-title"`) {
		t.Error("regen validated the form")
	}
	// The same through htmx answers just the editor.
	resp, body = a.admPost(t, "/admin/products/sku-table", url.Values{
		"specs": {"尺码: S, M, L"}, "sku_values": {`[]`}, "sku_price": {"8"}, "images": {k1},
	}, admHX)
	if resp.StatusCode != http.StatusOK || strings.Count(body, `data-testid="sku-row"`) != 3 || strings.Contains(body, "<html") || !strings.Contains(body, k1) {
		t.Fatalf("sku-table: %d %s", resp.StatusCode, body)
	}
	resp, body = a.admPost(t, "/admin/products/sku-table", url.Values{"specs": {"没有冒号"}}, admHX)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="error-specs"`) {
		t.Fatalf("bad specs: %d", resp.StatusCode)
	}

	// Gallery buttons: move the second image to the front, then remove one;
	// a key that is not a stored image is dropped.
	resp, body = a.admPost(t, "/admin/gallery?field=images", url.Values{"images": {k1, k2, "../../etc/passwd"}, "gallery_op": {"left:" + k2}}, admHX)
	if resp.StatusCode != http.StatusOK || strings.Index(body, k2) > strings.Index(body, k1) || strings.Contains(body, "passwd") {
		t.Fatalf("move left: %d %s", resp.StatusCode, body)
	}
	form = skuForm(cat, "两张图", "", [][]string{{}}, "9")
	form["images"] = []string{k1, k2}
	form.Set("gallery_op", "remove:"+k1)
	resp, body = a.postForm(t, "/admin/products/new", form)
	if resp.StatusCode != http.StatusOK || strings.Contains(body, `value="`+k1+`"`) || !strings.Contains(body, `value="`+k2+`"`) {
		t.Fatalf("remove without JS: %d", resp.StatusCode)
	}
	// Saving keeps the gallery order, the first image being the cover, and a
	// SKU image from the gallery.
	form.Del("gallery_op")
	form["images"] = []string{k2, k1}
	form.Set("sku_image", k1)
	if resp, body := a.postForm(t, "/admin/products/new", form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save with images: %d %s", resp.StatusCode, body)
	}
	p := productByTitle(t, a, "两张图")
	if !slices.Equal(p.Images, []string{k2, k1}) || p.Cover != k2 || p.SKUs[0].Image != k1 {
		t.Fatalf("images %v cover %s sku image %s", p.Images, p.Cover, p.SKUs[0].Image)
	}
}
