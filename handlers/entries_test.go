package handlers

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/plugins/bargain"
	"github.com/xiaodian/xiaodian/plugins/groupbuy"
	"github.com/xiaodian/xiaodian/store"
)

// The home page's row of activity entries (plugins.HomeViewEvent.Entries,
// themes.BlockEntries) and the 拼团专区 / 砍价专区 list pages.

var entryRe = regexp.MustCompile(`data-testid="home-entry" data-id="([a-z]+)"`)

// homeEntries are the ids of the entries on the home page, in order, as
// the client sees it.
func homeEntries(t *testing.T, a *testApp) []string {
	t.Helper()
	resp, page := a.get(t, "/")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("home: %d", resp.StatusCode)
	}
	var ids []string
	for _, m := range entryRe.FindAllStringSubmatch(page, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

func entryJob(t *testing.T, a *testApp, id, name string) plugins.Job {
	t.Helper()
	var job *plugins.Job
	a.Plugins.Each(func(p plugins.Plugin, _ bool) {
		if j, ok := p.(plugins.Jobber); ok && p.ID() == id {
			for _, x := range j.Jobs() {
				if x.Name == name {
					job = &x
				}
			}
		}
	})
	if job == nil {
		t.Fatalf("no job %s/%s", id, name)
	}
	return *job
}

// tees are the 25 T恤 of the fixture, cheapest first.
func tees(t *testing.T, a *testApp) []int64 {
	t.Helper()
	var ids []int64
	err := a.DB.Read(t.Context(), func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(t.Context(), `SELECT id FROM products WHERE title LIKE '纯棉T恤%' ORDER BY price_fen, id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return rows.Err()
	})
	if err != nil || len(ids) != 25 {
		t.Fatalf("tees: %v %d", err, len(ids))
	}
	return ids
}

func saveGroup(t *testing.T, a *testApp, product int64, size int, starts, ends time.Time) int64 {
	t.Helper()
	id, err := groupbuy.Save(t.Context(), a.DB, &groupbuy.Activity{Name: "拼团", ProductID: product, Percent: 80, Size: size,
		Hours: 24, StartsAt: starts, EndsAt: ends})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func saveBargain(t *testing.T, a *testApp, product int64, floor store.Fen, starts, ends time.Time) int64 {
	t.Helper()
	id, err := bargain.Save(t.Context(), a.DB, &bargain.Activity{Name: "砍价", ProductID: product, Floor: floor, Hours: 24, Helpers: 3,
		PerUser: 1, Stock: 10, StartsAt: starts, EndsAt: ends})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func has(ids []string, id string) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// The row shows 签到 always, 拼团 and 砍价 only while an activity is live
// (not before it starts, not once it is stopped), in the plugins' order;
// a plugin switched off at run time takes its entry, and its list page,
// away; checkout still works.
func TestEntriesHomeRow(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	visitor := otherClient(a)
	now := a.DB.Now()

	if got := homeEntries(t, visitor); len(got) != 1 || got[0] != "signin" {
		t.Fatalf("entries of a shop without activities %v, want [signin]", got)
	}
	// Upcoming and stopped activities give no entry.
	saveGroup(t, a, fx.kidsMilk, 3, now.Add(time.Hour), now.Add(48*time.Hour))
	stopped := saveBargain(t, a, fx.kidsMilk, 9900, now.Add(-time.Hour), now.Add(48*time.Hour))
	if err := bargain.Stop(t.Context(), a.DB, stopped); err != nil {
		t.Fatal(err)
	}
	if got := homeEntries(t, visitor); has(got, "groups") || has(got, "bargains") {
		t.Fatalf("entries with nothing live %v", got)
	}

	saveGroup(t, a, fx.milk, 2, now.Add(-time.Minute), now.Add(48*time.Hour))
	bid := saveBargain(t, a, fx.milk, 9900, now.Add(-time.Minute), now.Add(48*time.Hour))
	got := homeEntries(t, visitor)
	if strings.Join(got, ",") != "groups,bargains,signin" {
		t.Fatalf("entries %v, want groups,bargains,signin", got)
	}
	_, page := visitor.get(t, "/")
	for _, want := range []string{`href="/groups"`, `href="/bargains"`, `href="/signin"`, "好友拼团更便宜", "邀请好友砍到底", "每日领积分"} {
		if !strings.Contains(page, want) {
			t.Fatalf("home lacks %q", want)
		}
	}
	// The row sits after the category icons and before the plugins' strips
	// and the product grids.
	nav, row, grid := strings.Index(page, `class="icon-nav`), strings.Index(page, `data-testid="home-entries"`), strings.Index(page, "product-grid")
	if nav < 0 || row < nav || (grid >= 0 && grid < row) {
		t.Fatalf("row at %d, icons at %d, grid at %d", row, nav, grid)
	}
	// A visitor following 签到 is sent to sign in.
	if resp, _ := visitor.get(t, "/signin"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Fatalf("visitor's 签到: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}

	// Stopping the only live 砍价 takes its entry away.
	if err := bargain.Stop(t.Context(), a.DB, bid); err != nil {
		t.Fatal(err)
	}
	if got := homeEntries(t, visitor); has(got, "bargains") || !has(got, "groups") {
		t.Fatalf("entries after the bargain stopped %v", got)
	}
	saveBargain(t, a, fx.dress, 5000, now.Add(-time.Minute), now.Add(48*time.Hour))

	// Switched off at run time: the entry and the list page go.
	a.setupOwner(t)
	if resp, _ := a.postForm(t, "/admin/marketing/"+groupbuy.ID+"/enabled", url.Values{"on": {"0"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("switch off: %d", resp.StatusCode)
	}
	if got := homeEntries(t, visitor); has(got, "groups") || !has(got, "bargains") {
		t.Fatalf("entries with 拼团 off %v", got)
	}
	if resp, _ := visitor.get(t, "/groups"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("/groups while off: %d", resp.StatusCode)
	}
	if resp, _ := a.postForm(t, "/admin/marketing/"+bargain.ID+"/enabled", url.Values{"on": {"0"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("switch off: %d", resp.StatusCode)
	}
	if got := homeEntries(t, visitor); has(got, "bargains") {
		t.Fatalf("entries with 砍价 off %v", got)
	}
	if resp, _ := visitor.get(t, "/bargains"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("/bargains while off: %d", resp.StatusCode)
	}
	if resp, _ := a.postForm(t, "/admin/marketing/signin/enabled", url.Values{"on": {"0"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("switch off: %d", resp.StatusCode)
	}
	if got := homeEntries(t, visitor); len(got) != 0 {
		t.Fatalf("entries with everything off %v", got)
	}
	if _, page := visitor.get(t, "/"); strings.Contains(page, `data-testid="home-entries"`) {
		t.Fatal("an empty row is drawn")
	}
	// The shop still sells, at the full price.
	b := newBuyer(t, otherClient(a), fx, custPhone, true)
	o := b.buyNow(t, skuOf(t, a, fx.milk, "1罐"), 1, "")
	if o.Goods != 23800 || o.Discount != 0 {
		t.Fatalf("order with the tools off: goods %d discount %d", o.Goods, o.Discount)
	}
	// Back on: back on the home page.
	if resp, _ := a.postForm(t, "/admin/marketing/"+groupbuy.ID+"/enabled", url.Values{"on": {"1"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("switch on: %d", resp.StatusCode)
	}
	if got := homeEntries(t, visitor); !has(got, "groups") {
		t.Fatalf("entries with 拼团 back on %v", got)
	}
}

// A visitor's home page is cached; when an activity's window opens (or
// closes) the boundary job bumps the catalogue and the entry appears (or
// goes) without anyone touching the activity.
func TestEntriesCachedHomeFollowsWindows(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	visitor := otherClient(a)
	clock := time.Now().Truncate(time.Second)
	a.DB.SetClock(func() time.Time { return clock })
	t.Cleanup(func() { a.DB.SetClock(time.Now) })

	saveGroup(t, a, fx.milk, 2, clock.Add(time.Minute), clock.Add(10*time.Minute))
	bid := saveBargain(t, a, fx.kidsMilk, 9900, clock.Add(time.Minute), clock.Add(10*time.Minute))
	groups, bargains := entryJob(t, a, groupbuy.ID, "boundaries"), entryJob(t, a, bargain.ID, "boundaries")
	run := func() {
		t.Helper()
		for _, j := range []plugins.Job{groups, bargains} {
			if err := j.Run(context.Background(), a.DB); err != nil {
				t.Fatal(err)
			}
		}
	}
	run() // the jobs remember when they last looked
	if got := homeEntries(t, visitor); has(got, "groups") || has(got, "bargains") {
		t.Fatalf("entries before the start %v", got)
	}
	clock = clock.Add(2 * time.Minute)
	// The cached page is still the one of before the start...
	if got := homeEntries(t, visitor); has(got, "groups") {
		t.Fatalf("the page was not cached: %v", got)
	}
	// ...until the boundary job sees the start.
	run()
	if got := homeEntries(t, visitor); !has(got, "groups") || !has(got, "bargains") {
		t.Fatalf("entries after the start %v", got)
	}
	if _, page := visitor.get(t, "/groups"); !strings.Contains(page, `data-testid="groups-item"`) {
		t.Fatal("/groups lacks the started activity")
	}
	// The 砍价 sells out (the order's transaction does not bump the
	// catalogue): the job notices within its minute; a piece given back
	// brings the entry back.
	setSold := func(expr string) {
		t.Helper()
		if err := a.DB.Write(t.Context(), func(tx *sql.Tx) error {
			_, err := tx.ExecContext(t.Context(), `UPDATE bargain_activities SET sold = `+expr+` WHERE id = ?`, bid)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	setSold("stock")
	if got := homeEntries(t, visitor); !has(got, "bargains") {
		t.Fatalf("the page was not cached: %v", got)
	}
	run()
	if got := homeEntries(t, visitor); has(got, "bargains") || !has(got, "groups") {
		t.Fatalf("entries after the 砍价 sold out %v", got)
	}
	setSold("stock - 1")
	run()
	if got := homeEntries(t, visitor); !has(got, "bargains") {
		t.Fatalf("entries after a piece came back %v", got)
	}
	clock = clock.Add(10 * time.Minute)
	run()
	if got := homeEntries(t, visitor); has(got, "groups") || has(got, "bargains") {
		t.Fatalf("entries after the end %v", got)
	}
	if _, page := visitor.get(t, "/groups"); !strings.Contains(page, `data-testid="groups-empty"`) {
		t.Fatal("/groups after the end is not empty")
	}
}

var itemRe = regexp.MustCompile(`data-testid="(groups|bargains)-item" data-activity="(\d+)"`)

func listed(page string) []string {
	var out []string
	for _, m := range itemRe.FindAllStringSubmatch(page, -1) {
		out = append(out, m[2])
	}
	return out
}

// /groups and /bargains list the live activities only, with their prices,
// tags and buttons; empty states; 20 a page with a link to the next.
func TestEntriesListPages(t *testing.T) {
	a := newTestApp(t)
	fx := seedShop(t, a)
	visitor := otherClient(a)
	now := a.DB.Now()

	for _, path := range []string{"/groups", "/bargains"} {
		resp, page := visitor.get(t, path)
		if resp.StatusCode != http.StatusOK || !strings.Contains(page, `-empty"`) || strings.Contains(page, `-item"`) {
			t.Fatalf("%s empty: %d %.2000s", path, resp.StatusCode, page)
		}
	}

	live := saveGroup(t, a, fx.milk, 3, now.Add(-time.Minute), now.Add(48*time.Hour))
	saveGroup(t, a, fx.kidsMilk, 2, now.Add(time.Hour), now.Add(48*time.Hour)) // upcoming
	ended := saveGroup(t, a, fx.dress, 2, now.Add(-48*time.Hour), now.Add(48*time.Hour))
	if err := groupbuy.Stop(t.Context(), a.DB, ended); err != nil {
		t.Fatal(err)
	}
	saveGroup(t, a, fx.offShelf, 2, now.Add(-time.Minute), now.Add(48*time.Hour)) // off the shelf
	resp, page := visitor.get(t, "/groups")
	if resp.StatusCode != http.StatusOK || strings.Join(listed(page), ",") != idStr(live) {
		t.Fatalf("/groups lists %v, want [%d]", listed(page), live)
	}
	// 进口婴儿奶粉: ¥238 cheapest, 80 % = ¥190.40; two SKUs, so 去开团
	// goes to the product page to choose one.
	for _, want := range []string{"拼团专区", "3人团", "</small>190.40", "¥238.00", "快来开第一个团", `href="/p/` + idStr(fx.milk) + `" data-testid="groups-open"`} {
		if !strings.Contains(page, want) {
			t.Fatalf("/groups lacks %q: %.3000s", want, page)
		}
	}

	blive := saveBargain(t, a, fx.milk, 9900, now.Add(-time.Minute), now.Add(48*time.Hour))
	saveBargain(t, a, fx.kidsMilk, 5000, now.Add(time.Hour), now.Add(48*time.Hour)) // upcoming
	sold := saveBargain(t, a, fx.dress, 5000, now.Add(-time.Minute), now.Add(48*time.Hour))
	if err := a.DB.Write(t.Context(), func(tx *sql.Tx) error {
		_, err := tx.ExecContext(t.Context(), `UPDATE bargain_activities SET sold = stock WHERE id = ?`, sold)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	resp, page = visitor.get(t, "/bargains")
	if resp.StatusCode != http.StatusOK || strings.Join(listed(page), ",") != idStr(blive) {
		t.Fatalf("/bargains lists %v, want [%d]", listed(page), blive)
	}
	for _, want := range []string{"砍价专区", "最低", "</small>99.00", "¥238.00", "3 位好友帮砍", "发起砍价", `href="/bargains/` + idStr(blive) + `" data-testid="bargains-start"`} {
		if !strings.Contains(page, want) {
			t.Fatalf("/bargains lacks %q: %.3000s", want, page)
		}
	}
	// 发起砍价 leads to the activity page (a visitor signs in first).
	if resp, _ := visitor.get(t, "/bargains/"+idStr(blive)); resp.StatusCode != http.StatusSeeOther ||
		!strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Fatalf("visitor's 发起砍价: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}

	// 25 live 拼团 and 砍价 on the T恤 (one SKU each: 去开团 goes straight
	// to the group checkout): 20, then the rest.
	ts := tees(t, a)
	for _, p := range ts {
		saveGroup(t, a, p, 2, now.Add(-time.Minute), now.Add(72*time.Hour))
		saveBargain(t, a, p, 500, now.Add(-time.Minute), now.Add(72*time.Hour))
	}
	for _, path := range []string{"/groups", "/bargains"} {
		_, page := visitor.get(t, path)
		if n := len(listed(page)); n != 20 || !strings.Contains(page, `href="`+path+`?page=2"`) {
			t.Fatalf("%s page 1: %d items, more link %v", path, n, strings.Contains(page, "?page=2"))
		}
		_, page2 := visitor.get(t, path+"?page=2")
		if n := len(listed(page2)); n != 6 || strings.Contains(page2, "?page=3") {
			t.Fatalf("%s page 2: %d items", path, n)
		}
		seen := map[string]bool{}
		for _, id := range append(listed(page), listed(page2)...) {
			if seen[id] {
				t.Fatalf("%s lists %s twice", path, id)
			}
			seen[id] = true
		}
		if resp, _ := visitor.get(t, path+"?page=x"); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("%s?page=x: %d", path, resp.StatusCode)
		}
	}
	_, page = visitor.get(t, "/groups")
	if !strings.Contains(page, `href="/checkout?sku_id=`) || !strings.Contains(page, `o_group=new`) {
		t.Fatal("a single-SKU 拼团 does not go straight to the group checkout")
	}
}
