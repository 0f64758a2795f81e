package handlers

import (
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/store/division"
	"github.com/xiaodian/xiaodian/themes"
)

const addrPassword = "address secret 1"

// addressShopper registers phone through the store API and returns a client
// of a's server with its own cookie jar, signed in through POST /login.
func addressShopper(t *testing.T, a *testApp, phone string) (*testApp, int64) {
	t.Helper()
	cu, err := a.DB.RegisterCustomer(t.Context(), phone, addrPassword)
	if err != nil {
		t.Fatal(err)
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	u := &testApp{App: a.App, srv: a.srv, client: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	resp, body := u.postForm(t, "/login", url.Values{"phone": {phone}, "password": {addrPassword}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login %s: %d %s", phone, resp.StatusCode, body)
	}
	return u, cu.ID
}

// addressForm is a valid form for 广东省 深圳市 南山区.
func addressForm(name string) url.Values {
	return url.Values{"name": {name}, "phone": {"13912345678"}, "province": {"44"}, "city": {"4403"},
		"district": {"440305"}, "detail": {"科技园南区 1 栋 101"}}
}

// addressIDs are the ids of the address cards of a list page, in order.
func addressIDs(body string) []string {
	var ids []string
	for _, part := range strings.Split(body, `data-testid="address" data-id="`)[1:] {
		id, _, _ := strings.Cut(part, `"`)
		ids = append(ids, id)
	}
	return ids
}

func mustStatus(t *testing.T, what string, resp *http.Response, body string, want int) {
	t.Helper()
	if resp.StatusCode != want {
		t.Fatalf("%s: status %d, want %d: %.400s", what, resp.StatusCode, want, body)
	}
}

func TestAddressPagesNeedSignIn(t *testing.T) {
	a := newTestApp(t)
	resp, _ := a.get(t, "/me/addresses")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login?next=%2Fme%2Faddresses") {
		t.Fatalf("anonymous list: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, _ = a.postForm(t, "/me/addresses/new", addressForm("匿名"))
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Fatalf("anonymous post: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestAddressLifecycle(t *testing.T) {
	a := newTestApp(t)
	u, id := addressShopper(t, a, "13800138001")

	resp, body := u.get(t, "/me/addresses")
	mustStatus(t, "empty list", resp, body, http.StatusOK)
	if !strings.Contains(body, `data-testid="addresses-empty"`) || !strings.Contains(body, `href="/me/addresses/new"`) {
		t.Fatal("empty list lacks its hint or the new button")
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}

	resp, body = u.get(t, "/me/addresses/new")
	mustStatus(t, "new form", resp, body, http.StatusOK)
	for _, want := range []string{`data-testid="region-picker"`, `<option value="44">广东省</option>`, `hx-get="/regions"`,
		`name="is_default" value="1" checked disabled`} {
		if !strings.Contains(body, want) {
			t.Errorf("new form lacks %s", want)
		}
	}

	resp, body = u.postForm(t, "/me/addresses/new", addressForm("张三"))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/me/addresses" {
		t.Fatalf("create: %d %q %s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	list, err := a.DB.Addresses(t.Context(), id)
	if err != nil || len(list) != 1 {
		t.Fatalf("stored %v %v", list, err)
	}
	first := list[0]
	if first.Province != "广东省" || first.District != "南山区" || !first.IsDefault {
		t.Fatalf("stored %+v", first)
	}

	resp, body = u.get(t, "/me/addresses")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("address list: %d", resp.StatusCode)
	}
	for _, want := range []string{`data-testid="notice"`, "张三", "139****5678", "广东省 深圳市 南山区", `data-testid="default-badge"`,
		fmt.Sprintf(`action="/me/addresses/%d/delete"`, first.ID), fmt.Sprintf(`href="/me/addresses/%d/edit"`, first.ID)} {
		if !strings.Contains(body, want) {
			t.Errorf("list lacks %s", want)
		}
	}
	if strings.Contains(body, "13912345678") {
		t.Error("list shows the whole mobile number")
	}

	// A second address, then make it the default from the list.
	f := addressForm("李四")
	f.Set("province", "11")
	f.Set("city", "1101")
	f.Set("district", "110108")
	f.Set("phone", "010-88886666")
	resp, body = u.postForm(t, "/me/addresses/new", f)
	mustStatus(t, "second create", resp, body, http.StatusSeeOther)
	list, _ = a.DB.Addresses(t.Context(), id)
	second := list[1]
	if second.Region() != "北京市 海淀区" || second.IsDefault {
		t.Fatalf("second %+v", second)
	}
	resp, body = u.postForm(t, fmt.Sprintf("/me/addresses/%d/default", second.ID), nil)
	mustStatus(t, "set default", resp, body, http.StatusSeeOther)
	_, body = u.get(t, "/me/addresses")
	if ids := addressIDs(body); len(ids) != 2 || ids[0] != fmt.Sprint(second.ID) {
		t.Fatalf("the default comes first: %v", ids)
	}
	if !strings.Contains(body, "010-88886666") {
		t.Error("a landline is shown as it is")
	}

	// Edit the first: the form shows what is stored; the post saves it.
	resp, body = u.get(t, fmt.Sprintf("/me/addresses/%d/edit", first.ID))
	mustStatus(t, "edit form", resp, body, http.StatusOK)
	for _, want := range []string{`value="张三"`, `<option value="4403" selected>深圳市</option>`,
		`<option value="440305" selected>南山区</option>`, "科技园南区 1 栋 101</textarea>"} {
		if !strings.Contains(body, want) {
			t.Errorf("edit form lacks %s", want)
		}
	}
	f = addressForm("张三丰")
	f.Set("is_default", "1")
	resp, body = u.postForm(t, fmt.Sprintf("/me/addresses/%d/edit", first.ID), f)
	mustStatus(t, "update", resp, body, http.StatusSeeOther)
	got, _ := a.DB.AddressByID(t.Context(), id, first.ID)
	if got.Name != "张三丰" || !got.IsDefault {
		t.Fatalf("updated %+v", got)
	}

	// Delete the default: the other one takes over.
	resp, body = u.postForm(t, fmt.Sprintf("/me/addresses/%d/delete", first.ID), nil)
	mustStatus(t, "delete", resp, body, http.StatusSeeOther)
	list, _ = a.DB.Addresses(t.Context(), id)
	if len(list) != 1 || list[0].ID != second.ID || !list[0].IsDefault {
		t.Fatalf("after delete %+v", list)
	}
	resp, _ = u.get(t, fmt.Sprintf("/me/addresses/%d/edit", first.ID))
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("edit of a deleted address: %d", resp.StatusCode)
	}
}

func TestAddressFormRefusals(t *testing.T) {
	a := newTestApp(t)
	u, id := addressShopper(t, a, "13800138001")
	tests := []struct {
		name   string
		change map[string]string
		errors []string // data-testid="error-<field>" expected
		kept   []string // input echoed back
	}{
		{"blank name", map[string]string{"name": "  "}, []string{"name"}, []string{"科技园南区 1 栋 101"}},
		{"bad phone", map[string]string{"phone": "12345"}, []string{"phone"}, []string{`value="12345"`}},
		{"district of another city", map[string]string{"city": "4401"}, []string{"district"}, []string{`<option value="4401" selected>广州市</option>`}},
		{"no region", map[string]string{"province": "", "city": "", "district": ""}, []string{"province"}, nil},
		{"short detail", map[string]string{"detail": "1栋"}, []string{"detail"}, []string{">1栋</textarea>"}},
		{"everything", map[string]string{"name": "", "phone": "", "district": "", "detail": ""}, []string{"name", "phone", "district", "detail"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := addressForm("王五")
			for k, v := range tt.change {
				f.Set(k, v)
			}
			resp, body := u.postForm(t, "/me/addresses/new", f)
			mustStatus(t, "refused form", resp, body, http.StatusUnprocessableEntity)
			for _, field := range tt.errors {
				if !strings.Contains(body, `data-testid="error-`+field+`"`) {
					t.Errorf("no message beside %s", field)
				}
			}
			for _, want := range tt.kept {
				if !strings.Contains(body, want) {
					t.Errorf("input not kept: %s", want)
				}
			}
		})
	}
	if list, _ := a.DB.Addresses(t.Context(), id); len(list) != 0 {
		t.Fatalf("refused forms stored %+v", list)
	}
}

// Without JavaScript the 选择 button posts the form back and gets the next
// level to choose, nothing saved and the typed fields kept.
func TestAddressPickerWithoutJavaScript(t *testing.T) {
	a := newTestApp(t)
	u, id := addressShopper(t, a, "13800138001")
	f := url.Values{"name": {"赵六"}, "detail": {"某路 8 号"}, "province": {"44"}, "action": {"choose"}}
	resp, body := u.postForm(t, "/me/addresses/new", f)
	mustStatus(t, "choose province", resp, body, http.StatusOK)
	if !strings.Contains(body, `<option value="4403">深圳市</option>`) || strings.Contains(body, "南山区") ||
		!strings.Contains(body, `value="赵六"`) || strings.Contains(body, `data-testid="error-`) {
		t.Fatalf("after choosing the province: %.2000s", body)
	}
	f.Set("city", "4403")
	_, body = u.postForm(t, "/me/addresses/new", f)
	if !strings.Contains(body, `<option value="440305">南山区</option>`) {
		t.Fatal("choosing the city did not list its districts")
	}
	if !strings.Contains(body, `<noscript>`) || !strings.Contains(body, `value="choose"`) {
		t.Fatal("no 选择 button for browsers without JavaScript")
	}
	if list, _ := a.DB.Addresses(t.Context(), id); len(list) != 0 {
		t.Fatalf("choosing saved %+v", list)
	}
}

func TestRegionPickerFragment(t *testing.T) {
	a := newTestApp(t)
	hx := http.Header{"HX-Request": {"true"}}
	tests := []struct {
		name, query string
		want, not   []string
	}{
		{"province only", "province=44", []string{`<option value="44" selected>广东省</option>`, `<option value="4403">深圳市</option>`},
			[]string{"南山区", "<html"}},
		{"province and city", "province=44&city=4403", []string{`<option value="4403" selected>深圳市</option>`, `<option value="440305">南山区</option>`}, nil},
		{"province changed: the old city goes", "province=11&city=4403&district=440305",
			[]string{`<option value="1101" selected>市辖区</option>`, `<option value="110101">东城区</option>`}, []string{"深圳市", "南山区"}},
		{"unknown province", "province=99", []string{`<option value="44">广东省</option>`}, []string{" selected>"}},
		{"nothing", "", []string{`name="city"`, `disabled`}, []string{" selected>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := a.do(t, http.MethodGet, "/regions?"+tt.query, nil, hx)
			mustStatus(t, "regions", resp, body, http.StatusOK)
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("lacks %s", w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(body, n) {
					t.Errorf("has %s", n)
				}
			}
		})
	}
}

// Customer B can neither see nor change customer A's address: every route
// with A's id answers 404 and A's address stays as it was.
func TestAddressIDOR(t *testing.T) {
	a := newTestApp(t)
	ua, idA := addressShopper(t, a, "13800138001")
	ub, idB := addressShopper(t, a, "13800138002")
	resp, body := ua.postForm(t, "/me/addresses/new", addressForm("甲的收件人"))
	mustStatus(t, "A creates", resp, body, http.StatusSeeOther)
	resp, body = ub.postForm(t, "/me/addresses/new", addressForm("乙的收件人"))
	mustStatus(t, "B creates", resp, body, http.StatusSeeOther)
	listA, _ := a.DB.Addresses(t.Context(), idA)
	before := listA[0]
	path := fmt.Sprintf("/me/addresses/%d", before.ID)

	attempts := []struct {
		method, path string
		form         url.Values
	}{
		{http.MethodGet, path + "/edit", nil},
		{http.MethodPost, path + "/edit", addressForm("乙改的")},
		{http.MethodPost, path + "/delete", nil},
		{http.MethodPost, path + "/default", nil},
	}
	for _, at := range attempts {
		var resp *http.Response
		var body string
		if at.method == http.MethodGet {
			resp, body = ub.get(t, at.path)
		} else {
			resp, body = ub.postForm(t, at.path, at.form)
		}
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("B %s %s: %d", at.method, at.path, resp.StatusCode)
		}
		if strings.Contains(body, "甲的收件人") {
			t.Errorf("B %s %s shows A's address", at.method, at.path)
		}
	}
	_, body = ub.get(t, "/me/addresses")
	if strings.Contains(body, "甲的收件人") || len(addressIDs(body)) != 1 {
		t.Error("B's list shows A's address")
	}
	after, err := a.DB.AddressByID(t.Context(), idA, before.ID)
	if err != nil || *after != before {
		t.Fatalf("A's address changed: %+v %v", after, err)
	}
	if listB, _ := a.DB.Addresses(t.Context(), idB); len(listB) != 1 || !listB[0].IsDefault {
		t.Fatalf("B's addresses %+v", listB)
	}
}

func TestAddressLimitAndBack(t *testing.T) {
	a := newTestApp(t)
	u, id := addressShopper(t, a, "13800138001")
	// A local page to return to is kept; another site is not.
	resp, body := u.get(t, "/me/addresses/new?back=/c")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `name="back" value="/c"`) {
		t.Fatal("back not carried")
	}
	f := addressForm("回去")
	f.Set("back", "/c")
	resp, _ = u.postForm(t, "/me/addresses/new", f)
	if resp.Header.Get("Location") != "/c" {
		t.Fatalf("back: %q", resp.Header.Get("Location"))
	}
	f.Set("back", "https://evil.example/")
	resp, _ = u.postForm(t, "/me/addresses/new", f)
	if resp.Header.Get("Location") != "/me/addresses" {
		t.Fatalf("foreign back: %q", resp.Header.Get("Location"))
	}
	for i := 2; i < store.MaxAddresses; i++ {
		if _, err := a.DB.CreateAddress(t.Context(), id, store.AddressInput{Name: fmt.Sprint("收件人", i), Phone: "13912345678",
			ProvinceCode: "44", CityCode: "4403", DistrictCode: "440305", Detail: "科技园南区 1 栋"}); err != nil {
			t.Fatal(err)
		}
	}
	_, body = u.get(t, "/me/addresses")
	if strings.Contains(body, `data-testid="new-address"`) || !strings.Contains(body, `data-testid="address-limit"`) {
		t.Fatal("a full list still offers a new address")
	}
	resp, body = u.postForm(t, "/me/addresses/new", addressForm("第二十一个"))
	mustStatus(t, "21st address", resp, body, http.StatusUnprocessableEntity)
	if !strings.Contains(body, `data-testid="form-error"`) || !strings.Contains(body, "20") {
		t.Fatal("no message about the limit")
	}
}

// FuzzAddressForm feeds the address form parser any query string: it never
// panics, the picker it draws has at most one choice per level, and input
// the store accepts always resolves to the names it stores.
func FuzzAddressForm(f *testing.F) {
	f.Add("name=%E5%BC%A0&phone=13800138000&province=44&city=4403&district=440305&detail=%E7%A7%91%E6%8A%80%E5%9B%AD%201%20%E6%A0%8B")
	f.Add("province=11&city=1101&district=110101&action=choose&back=/c")
	f.Add("province=44&city=4419&district=441900003&phone=0769-22223333&name=x&detail=aaaaa&is_default=1")
	f.Add("province=%00&city=&district=;&back=//evil")
	f.Fuzz(func(t *testing.T, query string) {
		form, _ := url.ParseQuery(query)
		in, _, back := parseAddressForm(form)
		if back != "" && (!strings.HasPrefix(back, "/") || strings.HasPrefix(back, "//")) {
			t.Fatalf("back %q is not a local path", back)
		}
		picker := regionPickerFor(in.ProvinceCode, in.CityCode, in.DistrictCode)
		for _, level := range [][]themes.RegionOption{picker.Provinces, picker.Cities, picker.Districts} {
			n := 0
			for _, o := range level {
				if o.Selected {
					n++
				}
			}
			if n > 1 {
				t.Fatalf("%d choices selected in one level", n)
			}
		}
		norm, place, err := store.ValidateAddress(in)
		if err != nil {
			return
		}
		got, err := division.Resolve(norm.ProvinceCode, norm.CityCode, norm.DistrictCode)
		if err != nil || got != place {
			t.Fatalf("accepted %+v does not resolve: %+v %v", norm, got, err)
		}
	})
}
