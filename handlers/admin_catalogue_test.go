package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/xiaodian/xiaodian/store"
)

func TestAdminCategories(t *testing.T) {
	a, _ := newAdminApp(t)
	resp, body := a.get(t, "/admin/categories")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="new-category"`) {
		t.Fatalf("empty list: %d", resp.StatusCode)
	}
	// A top-level category with an icon uploaded along with the form.
	resp, body = a.admMultipart(t, "/admin/categories/new", url.Values{"name": {"服装"}, "sort": {"9"}, "visible": {"1"}},
		[]admFile{{"icon.png", admPNG(t, 32, 32)}}, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/categories" {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	tree, err := a.DB.Categories(t.Context(), true)
	if err != nil || len(tree) != 1 || tree[0].Icon == "" || tree[0].Sort != 9 || !tree[0].Visible {
		t.Fatalf("tree %+v %v", tree, err)
	}
	top := tree[0].ID
	resp, body = a.get(t, "/admin/categories/new?parent="+strconv.FormatInt(top, 10))
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `value="`+strconv.FormatInt(top, 10)+`" selected`) {
		t.Fatalf("new child form: %d", resp.StatusCode)
	}
	resp, _ = a.postForm(t, "/admin/categories/new", url.Values{"name": {"T恤"}, "parent_id": {strconv.FormatInt(top, 10)}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create child: %d", resp.StatusCode)
	}
	tree, _ = a.DB.Categories(t.Context(), true)
	if len(tree) != 1 || len(tree[0].Children) != 1 || tree[0].Children[0].Visible {
		t.Fatalf("tree after child %+v", tree)
	}
	child := tree[0].Children[0].ID

	// Refusals: no name, a bad sort, a grandchild.
	for _, form := range []url.Values{
		{"name": {""}},
		{"name": {"鞋"}, "sort": {"abc"}},
		{"name": {"短袖"}, "parent_id": {strconv.FormatInt(child, 10)}},
	} {
		resp, body = a.postForm(t, "/admin/categories/new", form)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="form-errors"`) {
			t.Errorf("form %v: %d", form, resp.StatusCode)
		}
	}
	// Edit keeps the icon unless removed; the remove button re-renders first.
	edit := "/admin/categories/" + strconv.FormatInt(top, 10) + "/edit"
	icon := tree[0].Icon
	resp, body = a.postForm(t, edit, url.Values{"name": {"服饰"}, "icon": {icon}, "sort": {"3"}, "visible": {"1"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", resp.StatusCode, body)
	}
	if c, _ := a.DB.CategoryByID(t.Context(), top); c.Name != "服饰" || c.Icon != icon || c.Sort != 3 {
		t.Fatalf("edited %+v", c)
	}
	resp, body = a.postForm(t, edit, url.Values{"name": {"服饰"}, "icon": {icon}, "gallery_op": {"remove:" + icon}})
	if resp.StatusCode != http.StatusOK || strings.Contains(body, `value="`+icon+`"`) {
		t.Fatalf("remove icon: %d", resp.StatusCode)
	}

	// Deleting a category with products or children is refused with the store's message.
	admProduct(t, a, child, "白T恤", 4900, 3, true)
	for _, id := range []int64{child, top} {
		resp, _ = a.postForm(t, "/admin/categories/"+strconv.FormatInt(id, 10)+"/delete", nil)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("delete %d: %d", id, resp.StatusCode)
		}
		_, body = a.get(t, "/admin/categories")
		if !strings.Contains(body, "该分类下还有子分类或商品，无法删除") {
			t.Errorf("delete %d: no refusal message", id)
		}
	}
	if tree, _ = a.DB.Categories(t.Context(), true); len(tree) != 1 || len(tree[0].Children) != 1 {
		t.Fatalf("refused deletes removed categories: %+v", tree)
	}
	if n := strings.Count(body, `<td class="num">1</td>`); n != 2 {
		t.Errorf("category list shows a count of 1 product %d times, want 2 (child and parent)", n)
	}
	empty := admCategory(t, a, "空分类", 0)
	resp, body = a.get(t, "/admin/categories/"+strconv.FormatInt(empty, 10)+"/delete")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "空分类") {
		t.Fatalf("confirm: %d", resp.StatusCode)
	}
	resp, _ = a.postForm(t, "/admin/categories/"+strconv.FormatInt(empty, 10)+"/delete", nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete empty: %d", resp.StatusCode)
	}
	if _, err := a.DB.CategoryByID(t.Context(), empty); err == nil {
		t.Fatal("empty category survived its delete")
	}
}

func TestAdminBrands(t *testing.T) {
	a, _ := newAdminApp(t)
	resp, _ := a.postForm(t, "/admin/brands/new", url.Values{"name": {"小米"}, "sort": {"2"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d", resp.StatusCode)
	}
	resp, body := a.postForm(t, "/admin/brands/new", url.Values{"name": {"小米"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="error-name"`) || !strings.Contains(body, "名称已存在") {
		t.Fatalf("duplicate: %d", resp.StatusCode)
	}
	brands, err := a.DB.Brands(t.Context())
	if err != nil || len(brands) != 1 {
		t.Fatalf("brands %v %v", brands, err)
	}
	id := strconv.FormatInt(brands[0].ID, 10)
	resp, _ = a.admMultipart(t, "/admin/brands/"+id+"/edit", url.Values{"name": {"小米科技"}, "sort": {"1"}},
		[]admFile{{"logo.png", admPNG(t, 64, 32)}}, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: %d", resp.StatusCode)
	}
	b, _ := a.DB.BrandByID(t.Context(), brands[0].ID)
	if b.Name != "小米科技" || b.Logo == "" {
		t.Fatalf("edited %+v", b)
	}
	_, body = a.get(t, "/admin/brands")
	if !strings.Contains(body, "小米科技") || !strings.Contains(body, b.Logo) {
		t.Fatal("list lacks the brand or its logo")
	}
	// A brand in use is kept.
	cat := admCategory(t, a, "手机", 0)
	pid, err := a.DB.CreateProduct(t.Context(), store.ProductInput{CategoryID: cat, BrandID: b.ID, Title: "手机",
		SKUs: []store.SKUInput{{Values: []string{}, Price: 100}}})
	if err != nil {
		t.Fatal(err)
	}
	resp, _ = a.postForm(t, "/admin/brands/"+id+"/delete", nil)
	if _, err := a.DB.BrandByID(t.Context(), b.ID); resp.StatusCode != http.StatusSeeOther || err != nil {
		t.Fatalf("delete of a used brand: %d %v", resp.StatusCode, err)
	}
	_, body = a.get(t, "/admin/brands")
	if !strings.Contains(body, "该品牌下还有商品，无法删除") {
		t.Error("no refusal message")
	}
	if err := a.DB.DeleteProduct(t.Context(), pid); err != nil {
		t.Fatal(err)
	}
	other, _ := a.DB.CreateBrand(t.Context(), store.BrandInput{Name: "无名"})
	resp, _ = a.postForm(t, "/admin/brands/"+strconv.FormatInt(other, 10)+"/delete", nil)
	if _, err := a.DB.BrandByID(t.Context(), other); resp.StatusCode != http.StatusSeeOther || err == nil {
		t.Fatalf("delete unused brand: %d %v", resp.StatusCode, err)
	}
}

func TestAdminBanners(t *testing.T) {
	a, _ := newAdminApp(t)
	img := admImage(t, a, 75, 30)
	for _, tt := range []struct {
		form  url.Values
		field string
	}{
		{url.Values{"image": {img}, "link": {"https://evil.example/"}}, "link"},
		{url.Values{"image": {img}, "link": {"//evil.example/"}}, "link"},
		{url.Values{"link": {"/p/1"}}, "image"},
		{url.Values{"image": {"not-a-key.jpg"}, "link": {"/p/1"}}, "image"},
	} {
		resp, body := a.postForm(t, "/admin/banners/new", tt.form)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="error-`+tt.field+`"`) {
			t.Errorf("form %v: %d, want an error on %s", tt.form, resp.StatusCode, tt.field)
		}
	}
	resp, body := a.postForm(t, "/admin/banners/new", url.Values{"image": {img}, "title": {"新品上市"}, "link": {"/p/12"}, "sort": {"4"}, "visible": {"1"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	banners, err := a.DB.Banners(t.Context(), true)
	if err != nil || len(banners) != 1 || banners[0].Link != "/p/12" || banners[0].Title != "新品上市" || !banners[0].Visible {
		t.Fatalf("banners %+v %v", banners, err)
	}
	_, body = a.get(t, "/admin/banners")
	if !strings.Contains(body, "新品上市") || !strings.Contains(body, "/p/12") {
		t.Fatal("list lacks the banner")
	}
	resp, _ = a.postForm(t, "/admin/banners/"+strconv.FormatInt(banners[0].ID, 10)+"/delete", nil)
	if banners, _ = a.DB.Banners(t.Context(), true); resp.StatusCode != http.StatusSeeOther || len(banners) != 0 {
		t.Fatalf("delete: %d, %d left", resp.StatusCode, len(banners))
	}
}
