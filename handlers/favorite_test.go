package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/xiaodian/xiaodian/store"
)

// favoriteState fetches the heart fragment of product.
func (a *testApp) favoriteState(t *testing.T, product int64) string {
	t.Helper()
	resp, body := a.get(t, "/favorites/state?product="+idStr(product))
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("favourite state: status %d, Cache-Control %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
	return body
}

// savedItems returns the product ids of the items of a favourites or history page.
func savedItems(t *testing.T, a *testApp, path string) []string {
	t.Helper()
	resp, body := a.get(t, path)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d", path, resp.StatusCode)
	}
	var ids []string
	for _, part := range strings.Split(body, `data-testid="saved-item" data-id="`)[1:] {
		id, _, _ := strings.Cut(part, `"`)
		ids = append(ids, id)
	}
	return ids
}

func TestFavoriteToggle(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	alice := newClientFor(a)
	alice.register(t, custPhone)
	bo := newClientFor(a)
	bo.register(t, "13900139000")

	if got := alice.favoriteState(t, fx.milk); !strings.Contains(got, `data-state="off"`) {
		t.Fatalf("initial state: %s", got)
	}
	tests := []struct {
		name  string
		state string
		items []string
	}{
		{"on", "on", []string{idStr(fx.milk)}},
		{"off again", "off", nil},
		{"on once more", "on", []string{idStr(fx.milk)}},
	}
	for _, tt := range tests {
		resp, body := alice.htmxPost(t, "/favorites/toggle", url.Values{"product": {idStr(fx.milk)}})
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-state="`+tt.state+`"`) {
			t.Fatalf("%s: status %d: %s", tt.name, resp.StatusCode, body)
		}
		if got := alice.favoriteState(t, fx.milk); !strings.Contains(got, `data-state="`+tt.state+`"`) {
			t.Fatalf("%s: state %s", tt.name, got)
		}
		if got := savedItems(t, alice, "/me/favorites"); fmt.Sprint(got) != fmt.Sprint(tt.items) {
			t.Fatalf("%s: favourites %v, want %v", tt.name, got, tt.items)
		}
	}

	// Without JavaScript the toggle is a form that comes back to the product.
	resp, _ := alice.postForm(t, "/favorites/toggle", url.Values{"product": {idStr(fx.dress)}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/p/"+idStr(fx.dress) {
		t.Fatalf("plain toggle: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if got := savedItems(t, alice, "/me/favorites"); fmt.Sprint(got) != fmt.Sprint([]string{idStr(fx.dress), idStr(fx.milk)}) {
		t.Fatalf("alice's favourites: %v", got)
	}
	// Bo's list is his own.
	if got := savedItems(t, bo, "/me/favorites"); len(got) != 0 {
		t.Fatalf("bo sees alice's favourites: %v", got)
	}
	if got := bo.favoriteState(t, fx.milk); !strings.Contains(got, `data-state="off"`) {
		t.Fatalf("bo's heart: %s", got)
	}
	if resp, _ := bo.postForm(t, "/me/favorites/remove", url.Values{"product": {idStr(fx.milk)}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("bo's remove: %d", resp.StatusCode)
	}
	if got := savedItems(t, alice, "/me/favorites"); len(got) != 2 {
		t.Fatalf("bo removed alice's favourite: %v", got)
	}

	// An off-shelf favourite is kept and marked; removing takes it away.
	if _, err := a.DB.SetOnShelf(t.Context(), []int64{fx.dress}, false); err != nil {
		t.Fatal(err)
	}
	if _, body := alice.get(t, "/me/favorites"); strings.Count(body, `data-testid="off-shelf"`) != 1 {
		t.Fatalf("off-shelf favourite not marked: %s", body)
	}
	resp, _ = alice.postForm(t, "/me/favorites/remove", url.Values{"product": {idStr(fx.dress)}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/me/favorites" {
		t.Fatalf("remove: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if got := savedItems(t, alice, "/me/favorites"); fmt.Sprint(got) != fmt.Sprint([]string{idStr(fx.milk)}) {
		t.Fatalf("after remove: %v", got)
	}
	// A deleted product cannot be favourited.
	if resp, _ := alice.htmxPost(t, "/favorites/toggle", url.Values{"product": {idStr(fx.deleted)}}); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("favourite a deleted product: %d", resp.StatusCode)
	}
}

func TestFavoriteVisitor(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	login := "/login?next=%2Fp%2F" + idStr(fx.milk)
	if got := a.favoriteState(t, fx.milk); !strings.Contains(got, `href="`+login+`"`) || strings.Contains(got, "data-state=\"o") {
		t.Fatalf("visitor's heart: %s", got)
	}
	resp, _ := a.postForm(t, "/favorites/toggle", url.Values{"product": {idStr(fx.milk)}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != login {
		t.Fatalf("visitor's toggle: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	for _, path := range []string{"/me/favorites", "/me/history"} {
		resp, _ := a.get(t, path)
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login?next=") {
			t.Fatalf("visitor's %s: %d %q", path, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	if resp, _ := a.get(t, "/favorites/state?product=x"); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("bad product: %d", resp.StatusCode)
	}
}

func TestFavoriteCrossOriginToggleRefused(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	a.register(t, custPhone)
	for _, hdr := range []http.Header{
		{"Origin": {"https://evil.example"}},
		{"Sec-Fetch-Site": {"cross-site"}},
	} {
		hdr.Set("Content-Type", "application/x-www-form-urlencoded")
		for _, path := range []string{"/favorites/toggle", "/me/favorites/remove", "/me/history/clear"} {
			resp, _ := a.do(t, http.MethodPost, path, strings.NewReader(url.Values{"product": {idStr(fx.milk)}}.Encode()), hdr)
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("cross-origin POST %s: %d, want 403", path, resp.StatusCode)
			}
		}
	}
	if got := savedItems(t, a, "/me/favorites"); len(got) != 0 {
		t.Fatalf("a cross-origin toggle favourited: %v", got)
	}
}

func TestBrowsingHistory(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	// Visitors leave no trace, and their product page still comes from the
	// page cache without any favourite state in it.
	page := a.anonGet(t, "/p/"+idStr(fx.milk))
	if a.anonGet(t, "/p/"+idStr(fx.milk)) != page {
		t.Fatal("the cached product page changed")
	}
	_, heart, _ := strings.Cut(page, `class="buybar-fav"`)
	heart, _, _ = strings.Cut(heart, "</form>")
	if !strings.Contains(heart, `hx-get="/favorites/state?product=`+idStr(fx.milk)+`"`) ||
		strings.Contains(heart, "data-state=") || strings.Contains(heart, "is-on") {
		t.Fatalf("cached product page carries a favourite state: %s", heart)
	}
	alice := newClientFor(a)
	alice.register(t, custPhone)
	cu, err := a.DB.AuthenticateCustomer(t.Context(), custPhone, custPassword)
	if err != nil {
		t.Fatal(err)
	}
	if a.anonGet(t, "/p/"+idStr(fx.dress)) == "" {
		t.Fatal("empty product page")
	}
	if _, total, _ := a.DB.History(t.Context(), cu.ID, 0, 10); total != 0 {
		t.Fatalf("a visitor's views were recorded: %d", total)
	}
	if got := savedItems(t, alice, "/me/history"); len(got) != 0 {
		t.Fatalf("new customer's history: %v", got)
	}

	for _, id := range []int64{fx.milk, fx.dress, fx.kidsMilk, fx.milk} {
		if resp, _ := alice.get(t, "/p/"+idStr(id)); resp.StatusCode != http.StatusOK {
			t.Fatalf("product %d: %d", id, resp.StatusCode)
		}
	}
	want := []string{idStr(fx.milk), idStr(fx.kidsMilk), idStr(fx.dress)}
	if got := savedItems(t, alice, "/me/history"); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("history %v, want %v", got, want)
	}
	// A signed-in customer's page is never stored in the cache.
	if again := a.anonGet(t, "/p/"+idStr(fx.milk)); again != page {
		t.Fatal("the customer's visit changed the visitors' cached page")
	}

	// Capped at store.MaxHistory.
	cat, err := a.DB.CreateCategory(t.Context(), store.CategoryInput{Name: "杂货", Visible: true})
	if err != nil {
		t.Fatal(err)
	}
	var last int64
	for range store.MaxHistory {
		if last, err = a.DB.CreateProduct(t.Context(), store.ProductInput{CategoryID: cat, Title: "袜子", OnShelf: true,
			SKUs: []store.SKUInput{{Price: 500, Stock: 1}}}); err != nil {
			t.Fatal(err)
		}
		if resp, _ := alice.get(t, "/p/"+idStr(last)); resp.StatusCode != http.StatusOK {
			t.Fatalf("product %d: %d", last, resp.StatusCode)
		}
	}
	items, total, err := a.DB.History(t.Context(), cu.ID, 0, store.MaxHistory+10)
	if err != nil || total != store.MaxHistory || items[0].ProductID != last {
		t.Fatalf("history after %d more views: total %d, err %v", store.MaxHistory, total, err)
	}
	if _, body := alice.get(t, "/me/history"); !strings.Contains(body, `data-testid="next-page"`) {
		t.Fatal("a full history has no next page")
	}

	// 清空.
	resp, _ := alice.postForm(t, "/me/history/clear", nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/me/history" {
		t.Fatalf("clear: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, body := alice.get(t, "/me/history"); !strings.Contains(body, `data-testid="history-empty"`) {
		t.Fatalf("after 清空: %s", body)
	}
}

func TestMemberPageLinksFavoritesAndHistory(t *testing.T) {
	a := newTestApp(t)
	a.register(t, custPhone)
	_, body := a.get(t, "/me")
	for _, want := range []string{`href="/me/favorites" data-testid="member-favorites"`, `href="/me/history" data-testid="member-history"`, "我的收藏", "浏览记录"} {
		if !strings.Contains(body, want) {
			t.Errorf("member page lacks %s", want)
		}
	}
}
