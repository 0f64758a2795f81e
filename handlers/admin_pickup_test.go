package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

func pickupForm(name string) url.Values {
	return url.Values{"name": {name}, "phone": {"(0755) 2688 8888"}, "province": {"44"}, "city": {"4403"}, "district": {"440305"},
		"detail": {"科技园南区 1 栋 101"}, "hours": {"09:00-21:00"}, "sort": {"3"}, "active": {"1"}, "action": {"save"}}
}

func TestAdminPickupStores(t *testing.T) {
	a, _ := newAdminApp(t)
	ctx := t.Context()
	if resp, body := a.get(t, "/admin/pickup-stores"); resp.StatusCode != http.StatusOK || !strings.Contains(body, "还没有自提门店") {
		t.Fatalf("empty list: %d", resp.StatusCode)
	}
	if resp, body := a.get(t, "/admin/pickup-stores/new"); resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="store-form"`) {
		t.Fatalf("new form: %d", resp.StatusCode)
	}
	resp, body := a.postForm(t, "/admin/pickup-stores/new", pickupForm("南山店"))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	stores, err := a.DB.PickupStores(ctx, false)
	if err != nil || len(stores) != 1 {
		t.Fatalf("stores %v %v", stores, err)
	}
	s := stores[0]
	if s.Name != "南山店" || s.Phone != "0755-26888888" || s.District != "440305" || !s.Active || s.Sort != 3 {
		t.Fatalf("stored %+v", s)
	}
	_, body = a.get(t, "/admin/pickup-stores")
	for _, want := range []string{"南山店", "广东省 深圳市 南山区 科技园南区 1 栋 101", "0755-26888888", "09:00-21:00", "营业中"} {
		if !strings.Contains(body, want) {
			t.Errorf("list lacks %q", want)
		}
	}
	id := strconv.FormatInt(s.ID, 10)
	if _, body := a.get(t, "/admin/pickup-stores/"+id+"/edit"); !strings.Contains(body, `<option value="440305" selected>南山区</option>`) {
		t.Error("edit form does not show the district")
	}

	// Refused forms: 422 with the message beside the field, input kept.
	for _, tt := range []struct {
		name  string
		edit  func(url.Values)
		field string
		msg   string
	}{
		{"blank name", func(f url.Values) { f.Set("name", "") }, "name", "此项为必填项"},
		{"bad phone", func(f url.Values) { f.Set("phone", "123") }, "phone", "手机号"},
		{"no district", func(f url.Values) { f.Del("district") }, "district", ""},
		{"no detail", func(f url.Values) { f.Set("detail", " ") }, "detail", "此项为必填项"},
		{"bad sort", func(f url.Values) { f.Set("sort", "前面") }, "sort", "请输入整数"},
	} {
		f := pickupForm("福田店")
		tt.edit(f)
		resp, body := a.postForm(t, "/admin/pickup-stores/new", f)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="error-`+tt.field+`"`) || !strings.Contains(body, tt.msg) {
			t.Errorf("%s: %d, want 422 with %q on %s", tt.name, resp.StatusCode, tt.msg, tt.field)
		}
		if tt.field != "name" && !strings.Contains(body, `value="福田店"`) {
			t.Errorf("%s: the input is lost", tt.name)
		}
	}

	// The region selects: a new province drops the city and district.
	resp, body = a.get(t, "/admin/pickup-stores/regions?province=11&city=4403&district=440305")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `<option value="1101">`) || strings.Contains(body, "selected>深圳市") ||
		strings.Contains(body, "南山区") {
		t.Fatalf("regions: %d %s", resp.StatusCode, body)
	}
	// Without JavaScript, 选择 redraws the form with the next level.
	f := pickupForm("福田店")
	f.Del("district")
	f.Set("action", "choose")
	if resp, body := a.postForm(t, "/admin/pickup-stores/new", f); resp.StatusCode != http.StatusOK || !strings.Contains(body, "福田区") {
		t.Fatalf("choose: %d", resp.StatusCode)
	}

	// Edit: inactive, in 东莞 (whose third level is towns).
	f = pickupForm("东莞店")
	f.Del("active")
	f.Set("city", "4419")
	f.Set("district", "441900004")
	resp, body = a.postForm(t, "/admin/pickup-stores/"+id+"/edit", f)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", resp.StatusCode, body)
	}
	got, _ := a.DB.PickupStoreByID(ctx, s.ID)
	if got.Name != "东莞店" || got.Active || got.City != "4419" {
		t.Fatalf("edited %+v", got)
	}
	if active, _ := a.DB.PickupStores(ctx, true); len(active) != 0 {
		t.Fatal("an inactive store is offered")
	}
	if _, body := a.get(t, "/admin/pickup-stores"); !strings.Contains(body, "已停用") {
		t.Error("list does not say inactive")
	}
	if resp, _ := a.postForm(t, "/admin/pickup-stores/999/edit", f); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("edit unknown: %d", resp.StatusCode)
	}

	// Delete: confirm page, then gone.
	if resp, body := a.get(t, "/admin/pickup-stores/"+id+"/delete"); resp.StatusCode != http.StatusOK || !strings.Contains(body, "东莞店") {
		t.Fatalf("confirm: %d", resp.StatusCode)
	}
	resp, _ = a.postForm(t, "/admin/pickup-stores/"+id+"/delete", nil)
	if _, err := a.DB.PickupStoreByID(ctx, s.ID); resp.StatusCode != http.StatusSeeOther || err == nil {
		t.Fatalf("delete: %d %v", resp.StatusCode, err)
	}
	if _, body := a.get(t, "/admin/pickup-stores"); !strings.Contains(body, "已删除“东莞店”") {
		t.Error("no flash after delete")
	}
}
