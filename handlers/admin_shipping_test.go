package handlers

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xiaodian/xiaodian/store"
)

// shippingForm is a valid template form: ¥10 first piece, ¥5 each more,
// free over ¥99; Xinjiang and Tibet (provinces) plus Shenzhen (by name)
// ¥20 + ¥10, and Nanshan district (by code) not delivered.
func shippingForm(name string) url.Values {
	return url.Values{
		"name": {name}, "method": {"piece"}, "action": {"save"},
		"first_units": {"1"}, "first_fen": {"10"}, "extra_units": {"1"}, "extra_fen": {"5"}, "free_over_fen": {"99"},
		"rule":             {"0", "1"},
		"rule.0.provinces": {"65", "54"}, "rule.0.codes": {"深圳市"},
		"rule.0.first_units": {"1"}, "rule.0.first_fen": {"20"}, "rule.0.extra_units": {"1"}, "rule.0.extra_fen": {"10"},
		"rule.1.codes": {"440305"}, "rule.1.no_delivery": {"1"},
	}
}

func TestAdminShippingTemplates(t *testing.T) {
	a, _ := newAdminApp(t)
	ctx := t.Context()
	resp, body := a.get(t, "/admin/shipping")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "还没有运费模板") || !strings.Contains(body, `href="/admin/shipping"`) {
		t.Fatalf("empty list: %d", resp.StatusCode)
	}
	if resp, body := a.get(t, "/admin/shipping/new"); resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="template-form"`) {
		t.Fatalf("new form: %d", resp.StatusCode)
	}

	// Create: the first template becomes the default.
	resp, body = a.postForm(t, "/admin/shipping/new", shippingForm("全国通用"))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	list, err := a.DB.ShippingTemplates(ctx)
	if err != nil || len(list) != 1 {
		t.Fatalf("templates %v %v", list, err)
	}
	tpl := list[0]
	if !tpl.IsDefault || tpl.FirstFen != 1000 || tpl.FreeOverFen != 9900 || len(tpl.Rules) != 2 ||
		!slices.Equal(tpl.Rules[0].Codes, []string{"65", "54", "4403"}) || tpl.Rules[0].ExtraFen != 1000 ||
		!tpl.Rules[1].NoDelivery || !slices.Equal(tpl.Rules[1].Codes, []string{"440305"}) {
		t.Fatalf("stored %+v", tpl)
	}
	_, body = a.get(t, "/admin/shipping")
	for _, want := range []string{"全国通用", `data-testid="default-badge"`, "新疆维吾尔自治区", "广东省 深圳市", "广东省 深圳市 南山区", "不配送", "满 ¥99.00 包邮"} {
		if !strings.Contains(body, want) {
			t.Errorf("list lacks %q", want)
		}
	}
	id := strconv.FormatInt(tpl.ID, 10)
	_, body = a.get(t, "/admin/shipping/"+id+"/edit")
	if !strings.Contains(body, `value="深圳市(4403)"`) || !strings.Contains(body, `value="南山区(440305)"`) || !strings.Contains(body, `value="99.00"`) {
		t.Error("edit form does not show the stored rules")
	}

	// Refused forms keep the input and say what is wrong, beside the field.
	for _, tt := range []struct {
		name  string
		edit  func(url.Values)
		field string
		msg   string
	}{
		{"blank name", func(f url.Values) { f.Set("name", " ") }, "name", "此项为必填项"},
		{"zero units", func(f url.Values) { f.Set("first_units", "0") }, "first_units", "请填写大于 0 的整数"},
		{"bad money", func(f url.Values) { f.Set("extra_fen", "5.001") }, "extra_fen", "请输入正确的金额"},
		{"rule without regions", func(f url.Values) { f.Del("rule.0.provinces"); f.Del("rule.0.codes") }, "rule.0.codes", "请至少选择一个地区"},
		{"unknown region", func(f url.Values) { f.Set("rule.0.codes", "火星") }, "rule.0.codes", "无法识别的地区“火星”"},
		{"region twice", func(f url.Values) { f.Set("rule.1.codes", "新疆") }, "rule.1.codes", "已在规则 1 中设置过"},
		{"rule fee", func(f url.Values) { f.Set("rule.0.first_fen", "") }, "rule.0.first_fen", "此项为必填项"},
	} {
		f := shippingForm("模板二")
		tt.edit(f)
		resp, body := a.postForm(t, "/admin/shipping/new", f)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="error-`+tt.field+`"`) || !strings.Contains(body, tt.msg) {
			i := strings.Index(body, "error-")
			t.Errorf("%s: %d, want 422 with %q on %s: %s", tt.name, resp.StatusCode, tt.msg, tt.field, body[max(i, 0):min(len(body), max(i, 0)+300)])
		}
		if !strings.Contains(body, `value="模板二"`) && tt.field != "name" {
			t.Errorf("%s: the input is lost", tt.name)
		}
	}

	// Adding and removing rules redraws the form without saving.
	f := shippingForm("模板二")
	f.Set("action", "add_rule")
	resp, body = a.postForm(t, "/admin/shipping/new", f)
	if resp.StatusCode != http.StatusOK || strings.Count(body, `data-testid="region-rule"`) != 3 {
		t.Fatalf("add rule: %d, %d rules", resp.StatusCode, strings.Count(body, `data-testid="region-rule"`))
	}
	f.Set("action", "remove_rule.0")
	resp, body = a.postForm(t, "/admin/shipping/new", f)
	if resp.StatusCode != http.StatusOK || strings.Count(body, `data-testid="region-rule"`) != 1 || !strings.Contains(body, `value="南山区(440305)"`) {
		t.Fatalf("remove rule: %d", resp.StatusCode)
	}
	if list, _ := a.DB.ShippingTemplates(ctx); len(list) != 1 {
		t.Fatal("a redraw saved the template")
	}

	// Edit: by weight, no region rules.
	f = shippingForm("全国通用（重量）")
	f.Set("method", "weight")
	f.Set("first_units", "1000")
	f.Set("extra_units", "500")
	f.Del("rule")
	if resp, body := a.postForm(t, "/admin/shipping/"+id+"/edit", f); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", resp.StatusCode, body)
	}
	if got, _ := a.DB.ShippingTemplateByID(ctx, tpl.ID); got.Method != store.ShippingByWeight || got.FirstUnits != 1000 || len(got.Rules) != 0 {
		t.Fatalf("edited %+v", got)
	}
	if resp, _ := a.postForm(t, "/admin/shipping/999/edit", f); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("edit unknown: %d", resp.StatusCode)
	}

	// A second template; the default cannot be deleted.
	if resp, _ := a.postForm(t, "/admin/shipping/new", shippingForm("偏远地区")); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create second: %d", resp.StatusCode)
	}
	list, _ = a.DB.ShippingTemplates(ctx)
	second := list[1]
	if second.IsDefault {
		t.Fatal("the second template became the default")
	}
	sid := strconv.FormatInt(second.ID, 10)
	resp, _ = a.postForm(t, "/admin/shipping/"+id+"/delete", nil)
	if _, err := a.DB.ShippingTemplateByID(ctx, tpl.ID); resp.StatusCode != http.StatusSeeOther || err != nil {
		t.Fatalf("delete default: %d %v", resp.StatusCode, err)
	}
	if _, body := a.get(t, "/admin/shipping"); !strings.Contains(body, "默认运费模板不能删除") {
		t.Error("no refusal message for the default")
	}

	// The product form offers the templates and saves the choice.
	cat := admCategory(t, a, "服装", 0)
	_, body = a.get(t, "/admin/products/new")
	if !strings.Contains(body, `name="shipping_template_id"`) || !strings.Contains(body, "偏远地区") {
		t.Fatal("product form lacks the template choice")
	}
	pf := skuForm(cat, "羽绒服", "", [][]string{{}}, "299")
	pf.Set("shipping_template_id", sid)
	if resp, body := a.postForm(t, "/admin/products/new", pf); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("product: %d %s", resp.StatusCode, body)
	}
	products, _, err := a.DB.Products(ctx, store.ProductFilter{Limit: 10})
	if err != nil || len(products) != 1 || products[0].ShippingTemplateID != second.ID {
		t.Fatalf("product %v %v", products, err)
	}
	pid := strconv.FormatInt(products[0].ID, 10)
	if _, body := a.get(t, "/admin/products/"+pid+"/edit"); !strings.Contains(body, `<option value="`+sid+`" selected>`) {
		t.Error("product edit form does not show the chosen template")
	}
	pf.Set("shipping_template_id", "999")
	if resp, body := a.postForm(t, "/admin/products/"+pid+"/edit", pf); resp.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(body, `data-testid="error-shipping_template_id"`) {
		t.Fatalf("unknown template: %d", resp.StatusCode)
	}

	// In use: refused with the count; made default then the other deletable.
	resp, _ = a.postForm(t, "/admin/shipping/"+sid+"/delete", nil)
	if _, err := a.DB.ShippingTemplateByID(ctx, second.ID); resp.StatusCode != http.StatusSeeOther || err != nil {
		t.Fatalf("delete used: %d %v", resp.StatusCode, err)
	}
	if _, body := a.get(t, "/admin/shipping"); !strings.Contains(body, "还有 1 个商品在使用该运费模板") {
		t.Error("no refusal message for a template in use")
	}
	if resp, _ := a.postForm(t, "/admin/shipping/"+sid+"/default", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("set default: %d", resp.StatusCode)
	}
	if _, body := a.get(t, "/admin/shipping"); !strings.Contains(body, "已将“偏远地区”设为默认运费模板") {
		t.Error("no flash for the new default")
	}
	if resp, body := a.get(t, "/admin/shipping/"+id+"/delete"); resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="confirm"`) {
		t.Fatalf("confirm page: %d", resp.StatusCode)
	}
	resp, _ = a.postForm(t, "/admin/shipping/"+id+"/delete", nil)
	if _, err := a.DB.ShippingTemplateByID(ctx, tpl.ID); resp.StatusCode != http.StatusSeeOther || err == nil {
		t.Fatalf("delete: %d %v", resp.StatusCode, err)
	}
	if resp, _ := a.get(t, "/admin/shipping/"+id+"/edit"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("deleted template's form: %d", resp.StatusCode)
	}
}

func TestAdminShippingNeedsStaff(t *testing.T) {
	a := newTestApp(t)
	for _, path := range []string{"/admin/shipping", "/admin/shipping/new", "/admin/pickup-stores", "/admin/pickup-stores/new"} {
		if resp, _ := a.get(t, path); resp.StatusCode != http.StatusSeeOther && resp.StatusCode != http.StatusFound {
			t.Errorf("%s: %d without a staff session", path, resp.StatusCode)
		}
	}
	if resp, _ := a.postForm(t, "/admin/shipping/new", shippingForm("偷偷")); resp.StatusCode < 300 || resp.StatusCode == http.StatusUnprocessableEntity {
		t.Errorf("anonymous create: %d", resp.StatusCode)
	}
}

func FuzzRegionTokens(f *testing.F) {
	f.Add("深圳市(4403) 南山区(440305)，广东、110000;火星")
	f.Add("\x00 ,,, 朝阳区")
	f.Fuzz(func(t *testing.T, s string) {
		codes := regionTokens(s)
		for i, c := range codes {
			if c == "" || slices.Contains(codes[:i], c) {
				t.Fatalf("regionTokens(%q) = %q", s, codes)
			}
		}
	})
}
