package fullreduce_test

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xiaodian/xiaodian/handlers"
	"github.com/xiaodian/xiaodian/plugins/builtin"
	"github.com/xiaodian/xiaodian/plugins/fullreduce"
	"github.com/xiaodian/xiaodian/store"
)

// app is the whole shop with the plugin, behind httptest, with a client
// that keeps cookies and does not follow redirects.
type app struct {
	*handlers.App
	srv    *httptest.Server
	client *http.Client
}

func openApp(t *testing.T) *app {
	t.Helper()
	a, err := handlers.OpenApp(context.Background(), handlers.AppConfig{DataDir: t.TempDir(), Mode: "development",
		Theme: "default", Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Plugins: builtin.Plugins()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.HTTP)
	t.Cleanup(func() {
		srv.Close()
		a.Close()
	})
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &app{App: a, srv: srv, client: client}
}

func (a *app) get(t *testing.T, path string) (*http.Response, string) {
	t.Helper()
	return a.do(t, http.MethodGet, path, nil)
}

func (a *app) post(t *testing.T, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	return a.do(t, http.MethodPost, path, form)
}

func (a *app) do(t *testing.T, method, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, a.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", a.srv.URL)
	}
	resp, err := a.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// signIn creates the owner through the setup page, which signs in.
func (a *app) signIn(t *testing.T) {
	t.Helper()
	pw := "correct horse battery"
	resp, body := a.post(t, "/admin/setup", url.Values{"username": {"boss"}, "password": {pw}, "confirm": {pw}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("setup: status %d: %s", resp.StatusCode, body)
	}
}

func offerForm(name string, from time.Time, tiers ...string) url.Values {
	f := url.Values{"name": {name}, "kind": {"amount"}, "mode": {"reduce"}, "scope": {"all"},
		"starts_at": {from.Format("2006-01-02T15:04")}, "ends_at": {from.Add(48 * time.Hour).Format("2006-01-02T15:04")}}
	for i := 0; i+1 < len(tiers); i += 2 {
		f.Set("threshold_"+strconv.Itoa(i/2), tiers[i])
		f.Set("value_"+strconv.Itoa(i/2), tiers[i+1])
	}
	return f
}

func wantRedirect(t *testing.T, resp *http.Response, body, to string) {
	t.Helper()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != to {
		t.Fatalf("status %d, location %q, want 303 to %s: %s", resp.StatusCode, resp.Header.Get("Location"), to, body)
	}
}

func TestAdminPages(t *testing.T) {
	a := openApp(t)
	ctx := context.Background()
	offers := func() []fullreduce.Offer {
		t.Helper()
		o, err := fullreduce.Offers(ctx, a.DB)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}

	// Staff only.
	if resp, _ := a.get(t, "/admin/fullreduce"); resp.StatusCode == http.StatusOK {
		t.Fatal("the list answers a visitor")
	}
	a.signIn(t)
	resp, body := a.get(t, "/admin/fullreduce")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="offers-empty"`) || !strings.Contains(body, "满减满折") {
		t.Fatalf("empty list: status %d: %s", resp.StatusCode, body)
	}
	if resp, body := a.get(t, "/admin/fullreduce/new"); resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="offer-form"`) {
		t.Fatalf("new form: status %d", resp.StatusCode)
	}

	// Create.
	start := time.Now().Add(-time.Hour)
	resp, body = a.post(t, "/admin/fullreduce/new", offerForm("满百减十", start, "100", "10", "200", "30"))
	wantRedirect(t, resp, body, "/admin/fullreduce")
	list := offers()
	if len(list) != 1 || list[0].Name != "满百减十" || list[0].Tiers[1] != (fullreduce.Tier{Threshold: 20000, Value: 3000}) {
		t.Fatalf("offers = %+v", list)
	}
	id := strconv.FormatInt(list[0].ID, 10)
	_, body = a.get(t, "/admin/fullreduce")
	for _, want := range []string{"满百减十", "满100减10，满200减30", "进行中", "全店商品"} {
		if !strings.Contains(body, want) {
			t.Errorf("list lacks %q", want)
		}
	}

	// Refused: overlapping the first, and tiers going down; nothing written,
	// the input kept.
	resp, body = a.post(t, "/admin/fullreduce/new", offerForm("又一个", start.Add(time.Hour), "50", "5"))
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="error-scope"`) || !strings.Contains(body, "满百减十") {
		t.Fatalf("overlap: status %d: %s", resp.StatusCode, body)
	}
	resp, body = a.post(t, "/admin/fullreduce/new", offerForm("下降", start.Add(72*time.Hour), "200", "10", "100", "20"))
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="error-tiers"`) || !strings.Contains(body, `value="下降"`) {
		t.Fatalf("bad tiers: status %d: %s", resp.StatusCode, body)
	}
	resp, body = a.post(t, "/admin/fullreduce/new", offerForm("坏金额", start.Add(72*time.Hour), "1.234", "10"))
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="error-tiers"`) {
		t.Fatalf("bad amount: status %d: %s", resp.StatusCode, body)
	}
	if n := len(offers()); n != 1 {
		t.Fatalf("%d offers after refused forms", n)
	}

	// Edit.
	resp, body = a.get(t, "/admin/fullreduce/"+id+"/edit")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `value="满百减十"`) || !strings.Contains(body, `name="threshold_1" inputmode="decimal" value="200"`) {
		t.Fatalf("edit form: status %d: %s", resp.StatusCode, body)
	}
	resp, body = a.post(t, "/admin/fullreduce/"+id+"/edit", offerForm("满百减十二", start, "100", "12"))
	wantRedirect(t, resp, body, "/admin/fullreduce")
	if list := offers(); len(list) != 1 || list[0].Name != "满百减十二" || len(list[0].Tiers) != 1 || list[0].Tiers[0].Value != 1200 {
		t.Fatalf("after edit: %+v", list)
	}
	if resp, _ := a.get(t, "/admin/fullreduce/999/edit"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown offer: status %d", resp.StatusCode)
	}

	// An order with the offer, paid: the list counts it.
	cat, err := a.DB.CreateCategory(ctx, store.CategoryInput{Name: "分类", Visible: true})
	if err != nil {
		t.Fatal(err)
	}
	pid, err := a.DB.CreateProduct(ctx, store.ProductInput{CategoryID: cat, Title: "商品", OnShelf: true, Virtual: true,
		SKUs: []store.SKUInput{{Price: 12000, Stock: 10}}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.DB.ProductByID(ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	cu, err := a.DB.RegisterCustomer(ctx, "13800138000", "secret password 1")
	if err != nil {
		t.Fatal(err)
	}
	o, err := a.DB.PlaceOrder(ctx, store.CheckoutInput{CustomerID: cu.ID, Token: "t1",
		Items: []store.CheckoutItem{{SKUID: p.SKUs[0].ID, Qty: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	if o.Payable != 10800 {
		t.Fatalf("order payable %d, want 10800 (¥120 − ¥12)", o.Payable)
	}
	_, body = a.get(t, "/admin/fullreduce")
	if !strings.Contains(body, `data-testid="offer-orders">0<`) {
		t.Fatalf("an unpaid order counted: %s", body)
	}
	// Paid as a payment provider would leave it (the payment itself is not
	// this plugin's business).
	if err := a.DB.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE orders SET status = 'to_ship', paid_fen = payable_fen, paid_at = ? WHERE id = ?`,
			time.Now().Unix(), o.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	_, body = a.get(t, "/admin/fullreduce")
	for _, want := range []string{`data-testid="offer-orders">1<`, `data-testid="offer-revenue">¥108.00<`, `data-testid="offer-discount">¥12.00<`} {
		if !strings.Contains(body, want) {
			t.Errorf("list lacks %s", want)
		}
	}

	// The product page shows the badge.
	_, body = a.get(t, "/p/"+strconv.FormatInt(pid, 10))
	if !strings.Contains(body, "满100减12") {
		t.Errorf("product page lacks the badge")
	}

	// Stop.
	resp, body = a.post(t, "/admin/fullreduce/"+id+"/stop", url.Values{})
	wantRedirect(t, resp, body, "/admin/fullreduce")
	if list := offers(); list[0].Status != fullreduce.StatusStopped {
		t.Fatalf("after stop: %+v", list[0])
	}
	_, body = a.get(t, "/admin/fullreduce")
	if !strings.Contains(body, "已停止") || strings.Contains(body, `data-testid="stop-offer"`) {
		t.Errorf("list after stop: %s", body)
	}
	q, err := a.DB.QuoteCheckout(ctx, store.CheckoutInput{CustomerID: cu.ID, Items: []store.CheckoutItem{{SKUID: p.SKUs[0].ID, Qty: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	if q.Discount() != 0 {
		t.Fatalf("discount %d after stop", q.Discount())
	}
}
