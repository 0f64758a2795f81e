package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/plugins/sandbox"
	"github.com/xiaodian/xiaodian/store"
)

// payFixture is a shop with one ¥100 product and a signed-in buyer.
type payFixture struct {
	a       *testApp
	buyer   *testApp
	buyerID int64
	sku     int64
	address int64
}

const payPIN = "135790"

func newPayFixture(t *testing.T, cfg AppConfig) payFixture {
	t.Helper()
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	a := openTestApp(t, cfg)
	ctx := t.Context()
	cat, err := a.DB.CreateCategory(ctx, store.CategoryInput{Name: "杂货", Visible: true})
	if err != nil {
		t.Fatal(err)
	}
	pid, err := a.DB.CreateProduct(ctx, store.ProductInput{CategoryID: cat, Title: "保温杯", OnShelf: true,
		SKUs: []store.SKUInput{{Price: 100_00, Stock: 50}}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.DB.ProductByID(ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	f := payFixture{a: a, sku: p.SKUs[0].ID}
	f.buyer, f.buyerID = addressShopper(t, a, "13800138000")
	f.address, err = a.DB.CreateAddress(ctx, f.buyerID, store.AddressInput{Name: "张三", Phone: "13800138000",
		ProvinceCode: "44", CityCode: "4403", DistrictCode: "440305", Detail: "科技园南区 1 栋 101"})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// order places an order of qty cups for the buyer.
func (f payFixture) order(t *testing.T, qty int) *store.Order {
	t.Helper()
	o, err := f.a.DB.PlaceOrder(t.Context(), store.CheckoutInput{CustomerID: f.buyerID,
		Items: []store.CheckoutItem{{SKUID: f.sku, Qty: qty}}, Delivery: store.DeliveryExpress,
		AddressID: f.address, Token: fmt.Sprintf("tok-%d", time.Now().UnixNano())})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// fund gives the buyer balance and a payment PIN.
func (f payFixture) fund(t *testing.T, amount store.Fen) {
	t.Helper()
	if _, err := f.a.DB.AdjustWallet(t.Context(), f.buyerID, amount, "boss", "测试"); err != nil {
		t.Fatal(err)
	}
	if err := f.a.DB.SetPayPassword(t.Context(), f.buyerID, addrPassword, payPIN); err != nil {
		t.Fatal(err)
	}
}

func (f payFixture) status(t *testing.T, orderID int64) store.OrderStatus {
	t.Helper()
	o, err := f.a.DB.OrderByID(t.Context(), orderID)
	if err != nil {
		t.Fatal(err)
	}
	return o.Status
}

// ledgerSum fails unless the buyer's ledger sums to the balance.
func (f payFixture) ledgerSum(t *testing.T) store.Fen {
	t.Helper()
	balance, err := f.a.DB.Wallet(t.Context(), f.buyerID)
	if err != nil {
		t.Fatal(err)
	}
	rows, total, err := f.a.DB.WalletLedger(t.Context(), f.buyerID, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var sum store.Fen
	for _, r := range rows {
		sum += r.Amount
	}
	if sum != balance || total != len(rows) {
		t.Fatalf("ledger sums to %s over %d rows, balance %s", sum, total, balance)
	}
	return balance
}

// startSandbox chooses 模拟支付 on the pay page and returns the attempt's
// out_trade_no from the gateway redirect.
func (f payFixture) startSandbox(t *testing.T, no string) string {
	t.Helper()
	resp, body := f.buyer.postForm(t, "/pay/"+no, url.Values{"method": {"sandbox"}})
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, sandbox.GatewayPath) {
		t.Fatalf("pay by sandbox: %d %q %s", resp.StatusCode, loc, body)
	}
	return strings.TrimPrefix(loc, sandbox.GatewayPath)
}

// sandboxProvider is the app's running sandbox provider.
func (f payFixture) sandboxProvider(t *testing.T) *sandbox.Provider {
	t.Helper()
	f.a.Handler.startPayments(t.Context())
	p, ok := f.a.Plugins.PaymentProvider(sandbox.ID)
	if !ok {
		t.Fatal("sandbox not running")
	}
	return p.(*sandbox.Provider)
}

// notify posts a callback to /pay/notify/sandbox as the gateway would
// (server to server: no Origin, no cookies).
func (f payFixture) notify(t *testing.T, h http.Header, body []byte) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, f.a.srv.URL+"/pay/notify/sandbox", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = h.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestPayPageOfAnotherCustomerIsNotFound(t *testing.T) {
	f := newPayFixture(t, AppConfig{})
	o := f.order(t, 1)
	out := f.startSandbox(t, o.No)
	other, _ := addressShopper(t, f.a, "13900139000")
	for _, tt := range []struct{ method, path string }{
		{http.MethodGet, "/pay/" + o.No},
		{http.MethodPost, "/pay/" + o.No},
		{http.MethodGet, "/pay/result/" + o.No},
		{http.MethodGet, "/pay/sandbox/" + out},
		{http.MethodPost, "/pay/sandbox/" + out},
	} {
		var resp *http.Response
		var body string
		if tt.method == http.MethodGet {
			resp, body = other.get(t, tt.path)
		} else {
			resp, body = other.postForm(t, tt.path, url.Values{"method": {"balance"}, "pay_password": {payPIN}})
		}
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s %s by another customer: %d, want 404", tt.method, tt.path, resp.StatusCode)
		}
		if strings.Contains(body, o.No) {
			t.Errorf("%s %s shows the order number to another customer", tt.method, tt.path)
		}
	}
	if got := f.status(t, o.ID); got != store.StatusPendingPayment {
		t.Fatalf("order %s after another customer's tries, want pending", got)
	}
	// A visitor is sent to sign in.
	resp, _ := newTestAppClient(f.a).get(t, "/pay/"+o.No)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Errorf("visitor: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// pluginsEnv is the payment environment of db in mode.
func pluginsEnv(db *store.DB, mode string) plugins.PaymentEnv {
	return plugins.PaymentEnv{DB: db, Mode: mode}
}

// newTestAppClient is a fresh visitor of a's server.
func newTestAppClient(a *testApp) *testApp {
	jar, _ := newJar()
	return &testApp{App: a.App, srv: a.srv, client: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func TestPayWithBalance(t *testing.T) {
	f := newPayFixture(t, AppConfig{})
	o := f.order(t, 1)
	if _, err := f.a.DB.AdjustWallet(t.Context(), f.buyerID, 150_00, "boss", "测试"); err != nil {
		t.Fatal(err)
	}
	resp, body := f.buyer.get(t, "/pay/"+o.No)
	mustStatus(t, "pay page", resp, body, http.StatusOK)
	for _, want := range []string{`data-testid="method-balance"`, `data-testid="method-sandbox"`, "¥150.00", `data-testid="set-pay-password"`} {
		if !strings.Contains(body, want) {
			t.Errorf("pay page lacks %s", want)
		}
	}
	// No PIN yet: refused, nothing paid.
	resp, body = f.buyer.postForm(t, "/pay/"+o.No, url.Values{"method": {"balance"}, "pay_password": {payPIN}})
	mustStatus(t, "pay without a PIN", resp, body, http.StatusUnprocessableEntity)
	if !strings.Contains(body, `data-testid="error-pay_password"`) {
		t.Error("no message beside the PIN")
	}
	// Set it through the form, coming back to the pay page.
	resp, body = f.buyer.postForm(t, "/me/wallet/password", url.Values{"login_password": {addrPassword},
		"pay_password": {payPIN}, "confirm": {payPIN}, "next": {"/pay/" + o.No}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/pay/"+o.No {
		t.Fatalf("set PIN: %d %q %s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	resp, body = f.buyer.postForm(t, "/pay/"+o.No, url.Values{"method": {"balance"}, "pay_password": {"000001"}})
	mustStatus(t, "wrong PIN", resp, body, http.StatusUnprocessableEntity)
	if f.status(t, o.ID) != store.StatusPendingPayment || f.ledgerSum(t) != 150_00 {
		t.Fatal("a wrong PIN paid")
	}
	resp, body = f.buyer.postForm(t, "/pay/"+o.No, url.Values{"method": {"balance"}, "pay_password": {payPIN}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/pay/result/"+o.No {
		t.Fatalf("pay: %d %q %s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	if got := f.status(t, o.ID); got != store.StatusToShip {
		t.Fatalf("order %s, want to_ship", got)
	}
	if b := f.ledgerSum(t); b != 150_00-o.Payable {
		t.Fatalf("balance %s after paying %s", b, o.Payable)
	}
	resp, body = f.buyer.get(t, "/pay/result/"+o.No)
	mustStatus(t, "result", resp, body, http.StatusOK)
	if !strings.Contains(body, `data-status="success"`) {
		t.Error("result page does not say success")
	}
	// A paid order's pay page leads to its result; paying again is refused.
	resp, _ = f.buyer.get(t, "/pay/"+o.No)
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("pay page of a paid order: %d", resp.StatusCode)
	}
	f.buyer.postForm(t, "/pay/"+o.No, url.Values{"method": {"balance"}, "pay_password": {payPIN}})
	if b := f.ledgerSum(t); b != 150_00-o.Payable {
		t.Fatalf("paid twice: balance %s", b)
	}
}

// TestConcurrentBalancePayments: two orders that together exceed the
// balance, paid at the same moment: exactly one is paid.
func TestConcurrentBalancePayments(t *testing.T) {
	f := newPayFixture(t, AppConfig{})
	f.fund(t, 150_00)
	orders := []*store.Order{f.order(t, 1), f.order(t, 1)}
	codes := make([]int, len(orders))
	var wg sync.WaitGroup
	for i, o := range orders {
		wg.Go(func() {
			resp, _ := f.buyer.postForm(t, "/pay/"+o.No, url.Values{"method": {"balance"}, "pay_password": {payPIN}})
			codes[i] = resp.StatusCode
		})
	}
	wg.Wait()
	paid := 0
	for i, o := range orders {
		if f.status(t, o.ID) == store.StatusToShip {
			paid++
			if codes[i] != http.StatusSeeOther {
				t.Errorf("paid order answered %d", codes[i])
			}
		} else if codes[i] != http.StatusUnprocessableEntity {
			t.Errorf("unpaid order answered %d, want 422", codes[i])
		}
	}
	if paid != 1 {
		t.Fatalf("%d orders paid, want exactly 1", paid)
	}
	if b := f.ledgerSum(t); b != 50_00 {
		t.Fatalf("balance %s, want 50.00", b)
	}
}

func TestPayPINRateLimited(t *testing.T) {
	f := newPayFixture(t, AppConfig{})
	f.fund(t, 500_00)
	o := f.order(t, 1)
	for i := range store.LoginMaxFailures {
		resp, body := f.buyer.postForm(t, "/pay/"+o.No, url.Values{"method": {"balance"}, "pay_password": {"000001"}})
		mustStatus(t, fmt.Sprintf("wrong PIN %d", i+1), resp, body, http.StatusUnprocessableEntity)
	}
	resp, body := f.buyer.postForm(t, "/pay/"+o.No, url.Values{"method": {"balance"}, "pay_password": {payPIN}})
	mustStatus(t, "right PIN while locked", resp, body, http.StatusUnprocessableEntity)
	if !strings.Contains(body, "分钟后再试") {
		t.Error("locked PIN does not say when to try again")
	}
	if f.status(t, o.ID) != store.StatusPendingPayment || f.ledgerSum(t) != 500_00 {
		t.Fatal("paid while locked")
	}
}

func TestSandboxPayment(t *testing.T) {
	f := newPayFixture(t, AppConfig{})
	o := f.order(t, 2)
	out := f.startSandbox(t, o.No)
	resp, body := f.buyer.get(t, "/pay/sandbox/"+out)
	mustStatus(t, "gateway", resp, body, http.StatusOK)
	if !strings.Contains(body, o.Payable.String()) || !strings.Contains(body, `data-testid="sandbox-confirm"`) {
		t.Fatalf("gateway page lacks the amount or the button")
	}
	resp, body = f.buyer.postForm(t, "/pay/sandbox/"+out, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/pay/result/"+o.No {
		t.Fatalf("confirm: %d %q %s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	if got := f.status(t, o.ID); got != store.StatusToShip {
		t.Fatalf("order %s after the sandbox paid", got)
	}
	pay, err := f.a.DB.PaymentByOutTradeNo(t.Context(), out)
	if err != nil || pay.Status != store.PaymentPaid || pay.ProviderTxnID == "" {
		t.Fatalf("payment %+v, %v", pay, err)
	}
	// Pressing 确认支付 again changes nothing.
	resp, _ = f.buyer.postForm(t, "/pay/sandbox/"+out, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("second confirm: %d", resp.StatusCode)
	}
}

// TestSandboxCallbackReplayed: the gateway's callback delivered 100 times
// pays once.
func TestSandboxCallbackReplayed(t *testing.T) {
	f := newPayFixture(t, AppConfig{})
	o := f.order(t, 3)
	out := f.startSandbox(t, o.No)
	pay, err := f.a.DB.PaymentByOutTradeNo(t.Context(), out)
	if err != nil {
		t.Fatal(err)
	}
	h, body, err := f.sandboxProvider(t).PaidNotify(pay)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		if code := f.notify(t, h, body); code != http.StatusOK {
			t.Fatalf("delivery %d: %d", i, code)
		}
	}
	got, err := f.a.DB.OrderByID(t.Context(), o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != store.StatusToShip || got.Paid != o.Payable || got.PaymentID != pay.ID {
		t.Fatalf("order after 100 callbacks: %s paid %s payment %d", got.Status, got.Paid, got.PaymentID)
	}
	pays := 0
	for _, l := range got.Logs {
		if l.Action == "pay" {
			pays++
		}
	}
	if pays != 1 {
		t.Fatalf("%d pay logs, want 1", pays)
	}
	p, err := f.a.DB.ProductByID(t.Context(), got.Lines[0].ProductID)
	if err != nil {
		t.Fatal(err)
	}
	if p.SKUs[0].Stock != 50-3 {
		t.Fatalf("stock %d, want 47", p.SKUs[0].Stock)
	}
}

// TestSandboxCallbackRefusals: a callback with a wrong signature, a wrong
// amount, a stale timestamp or an unknown number changes nothing.
func TestSandboxCallbackRefusals(t *testing.T) {
	f := newPayFixture(t, AppConfig{})
	o := f.order(t, 1)
	out := f.startSandbox(t, o.No)
	pay, err := f.a.DB.PaymentByOutTradeNo(t.Context(), out)
	if err != nil {
		t.Fatal(err)
	}
	sp := f.sandboxProvider(t)
	good, goodBody, err := sp.PaidNotify(pay)
	if err != nil {
		t.Fatal(err)
	}
	signed := func(mutate func(*sandbox.Body)) (http.Header, []byte) {
		var b sandbox.Body
		if err := json.Unmarshal(goodBody, &b); err != nil {
			t.Fatal(err)
		}
		mutate(&b)
		body, _ := json.Marshal(b)
		h, err := sp.Sign(body)
		if err != nil {
			t.Fatal(err)
		}
		return h, body
	}
	cheap, cheapBody := signed(func(b *sandbox.Body) { b.Amount.Total = 1 })
	usd, usdBody := signed(func(b *sandbox.Body) { b.Amount.Currency = "USD" })
	unknown, unknownBody := signed(func(b *sandbox.Body) { b.OutTradeNo = "99999999999999999999" })
	tampered := bytes.Replace(goodBody, []byte(`"total":`+fmt.Sprint(int64(pay.Amount))), []byte(`"total":1`), 1)
	forged := good.Clone()
	forged.Set(sandbox.HeaderSignature, strings.Repeat("A", 86)+"==")

	for _, tt := range []struct {
		name string
		h    http.Header
		body []byte
		want int
	}{
		{"wrong signature", forged, goodBody, http.StatusBadRequest},
		{"body changed after signing", good, tampered, http.StatusBadRequest},
		{"no signature", http.Header{"Content-Type": {"application/json"}}, goodBody, http.StatusBadRequest},
		{"wrong amount", cheap, cheapBody, http.StatusBadRequest},
		{"wrong currency", usd, usdBody, http.StatusBadRequest},
		{"unknown out_trade_no", unknown, unknownBody, http.StatusBadRequest},
	} {
		if code := f.notify(t, tt.h, tt.body); code != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, code, tt.want)
		}
	}
	// Stale: the good callback, delivered six minutes later.
	now := time.Now()
	f.a.DB.SetClock(func() time.Time { return now.Add(6 * time.Minute) })
	if code := f.notify(t, good, goodBody); code != http.StatusBadRequest {
		t.Errorf("stale callback: %d, want 400", code)
	}
	f.a.DB.SetClock(time.Now)

	if got := f.status(t, o.ID); got != store.StatusPendingPayment {
		t.Fatalf("order %s after refused callbacks", got)
	}
	if p, _ := f.a.DB.PaymentByOutTradeNo(t.Context(), out); p.Status != store.PaymentPending || p.ProviderTxnID != "" {
		t.Fatalf("payment %+v after refused callbacks", p)
	}
	// The genuine one still works.
	if code := f.notify(t, good, goodBody); code != http.StatusOK {
		t.Fatalf("genuine callback: %d", code)
	}
	if got := f.status(t, o.ID); got != store.StatusToShip {
		t.Fatalf("order %s after the genuine callback", got)
	}
	// An unknown provider is 404.
	req, _ := http.NewRequest(http.MethodPost, f.a.srv.URL+"/pay/notify/nosuch", bytes.NewReader(goodBody))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown provider: %d", resp.StatusCode)
	}
}

// TestLatePaymentRefunded: money arriving for a cancelled order goes back
// through the provider and is recorded.
func TestLatePaymentRefunded(t *testing.T) {
	f := newPayFixture(t, AppConfig{})
	o := f.order(t, 1)
	out := f.startSandbox(t, o.No)
	if err := f.a.DB.CancelOrder(t.Context(), f.buyerID, o.ID, "不要了"); err != nil {
		t.Fatal(err)
	}
	pay, err := f.a.DB.PaymentByOutTradeNo(t.Context(), out)
	if err != nil {
		t.Fatal(err)
	}
	h, body, err := f.sandboxProvider(t).PaidNotify(pay)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if code := f.notify(t, h, body); code != http.StatusOK {
			t.Fatalf("late callback: %d", code)
		}
	}
	f.a.Handler.WaitBackground() // the refund is sent after the answer
	pay, err = f.a.DB.PaymentByOutTradeNo(t.Context(), out)
	if err != nil {
		t.Fatal(err)
	}
	if pay.Status != store.PaymentRefundedLate || pay.Refunded != pay.Amount {
		t.Fatalf("late payment %+v, want refunded_late in full", pay)
	}
	if got := f.status(t, o.ID); got != store.StatusCancelled {
		t.Fatalf("order %s, want cancelled", got)
	}
}

func TestSandboxRefusedInProduction(t *testing.T) {
	f := newPayFixture(t, AppConfig{Mode: "production"})
	o := f.order(t, 1)
	resp, body := f.buyer.get(t, "/pay/"+o.No)
	mustStatus(t, "pay page", resp, body, http.StatusOK)
	if strings.Contains(body, `data-testid="method-sandbox"`) {
		t.Error("production pay page offers the sandbox")
	}
	resp, body = f.buyer.postForm(t, "/pay/"+o.No, url.Values{"method": {"sandbox"}})
	mustStatus(t, "pay by sandbox in production", resp, body, http.StatusUnprocessableEntity)
	// A payment attempt made anyway (by a development instance on the same
	// data, say) is not paid by a sandbox callback.
	pay, err := f.a.DB.StartPayment(t.Context(), f.buyerID, o.ID, sandbox.ID, "page")
	if err != nil {
		t.Fatal(err)
	}
	dev := &sandbox.Provider{}
	if err := dev.Start(t.Context(), pluginsEnv(f.a.DB, "development")); err != nil {
		t.Fatal(err)
	}
	h, b, err := dev.PaidNotify(pay)
	if err != nil {
		t.Fatal(err)
	}
	if code := f.notify(t, h, b); code != http.StatusNotFound {
		t.Errorf("sandbox callback in production: %d, want 404", code)
	}
	resp, _ = f.buyer.get(t, "/pay/sandbox/"+pay.OutTradeNo)
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("sandbox gateway in production: %d, want 404", resp.StatusCode)
	}
	if got := f.status(t, o.ID); got != store.StatusPendingPayment {
		t.Fatalf("order %s in production after a sandbox callback", got)
	}
	resp, body = f.buyer.get(t, "/me/wallet/recharge")
	mustStatus(t, "recharge page", resp, body, http.StatusOK)
	if !strings.Contains(body, "暂无可用的在线支付方式") {
		t.Error("production recharge page does not say no provider is available")
	}
}

func TestRechargeThroughSandbox(t *testing.T) {
	f := newPayFixture(t, AppConfig{})
	ctx := t.Context()
	pkg, err := f.a.DB.CreateRechargePackage(ctx, store.RechargePackageInput{Pay: 100_00, Bonus: 10_00, Active: true})
	if err != nil {
		t.Fatal(err)
	}
	resp, body := f.buyer.get(t, "/me/wallet/recharge")
	mustStatus(t, "recharge page", resp, body, http.StatusOK)
	if !strings.Contains(body, `data-testid="recharge-package"`) || !strings.Contains(body, "送10元") {
		t.Fatal("recharge page lacks the package")
	}
	for _, bad := range []url.Values{
		{"package_id": {"0"}, "amount": {"0.5"}},
		{"package_id": {"0"}, "amount": {"abc"}},
		{"package_id": {"0"}, "amount": {""}},
		{"package_id": {"0"}, "amount": {"50000.01"}},
		{"package_id": {"99999"}},
	} {
		resp, body := f.buyer.postForm(t, "/me/wallet/recharge", bad)
		mustStatus(t, fmt.Sprint("recharge ", bad), resp, body, http.StatusUnprocessableEntity)
	}
	resp, body = f.buyer.postForm(t, "/me/wallet/recharge", url.Values{"package_id": {fmt.Sprint(pkg)}})
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, sandbox.GatewayPath) {
		t.Fatalf("recharge: %d %q %s", resp.StatusCode, loc, body)
	}
	resp, body = f.buyer.get(t, loc)
	mustStatus(t, "recharge gateway", resp, body, http.StatusOK)
	resp, _ = f.buyer.postForm(t, loc, nil)
	result := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(result, "/pay/result/R") {
		t.Fatalf("confirm recharge: %d %q", resp.StatusCode, result)
	}
	resp, body = f.buyer.get(t, result)
	mustStatus(t, "recharge result", resp, body, http.StatusOK)
	if !strings.Contains(body, `data-status="success"`) || !strings.Contains(body, "¥110.00") {
		t.Error("recharge result does not say 110.00 arrived")
	}
	if b := f.ledgerSum(t); b != 110_00 {
		t.Fatalf("balance %s after 充100送10", b)
	}
	// A custom amount.
	resp, _ = f.buyer.postForm(t, "/me/wallet/recharge", url.Values{"package_id": {"0"}, "amount": {"12.34"}})
	loc = resp.Header.Get("Location")
	f.buyer.postForm(t, loc, nil)
	if b := f.ledgerSum(t); b != 122_34 {
		t.Fatalf("balance %s after a custom 12.34", b)
	}
	resp, body = f.buyer.get(t, "/me/wallet")
	mustStatus(t, "wallet", resp, body, http.StatusOK)
	if !strings.Contains(body, "122.34") || strings.Count(body, `data-testid="ledger-row"`) != 3 {
		t.Errorf("wallet page: balance or 3 ledger rows missing")
	}
}

func TestWalletLedgerLoadsMore(t *testing.T) {
	f := newPayFixture(t, AppConfig{})
	for i := range walletLedgerLimit + 5 {
		if _, err := f.a.DB.AdjustWallet(t.Context(), f.buyerID, store.Fen(i+1), "boss", fmt.Sprintf("第%d笔", i+1)); err != nil {
			t.Fatal(err)
		}
	}
	resp, body := f.buyer.get(t, "/me/wallet")
	mustStatus(t, "wallet", resp, body, http.StatusOK)
	if n := strings.Count(body, `data-testid="ledger-row"`); n != walletLedgerLimit {
		t.Fatalf("first page has %d rows", n)
	}
	if !strings.Contains(body, `hx-get="/me/wallet/ledger?page=2"`) {
		t.Fatal("no load-more link")
	}
	resp, body = f.buyer.do(t, http.MethodGet, "/me/wallet/ledger?page=2", nil, http.Header{"Hx-Request": {"true"}})
	mustStatus(t, "ledger page 2", resp, body, http.StatusOK)
	if n := strings.Count(body, `data-testid="ledger-row"`); n != 5 || strings.Contains(body, "<html") || !strings.Contains(body, "第1笔") {
		t.Fatalf("page 2 fragment: %d rows", n)
	}
}

func TestPayPasswordForm(t *testing.T) {
	f := newPayFixture(t, AppConfig{})
	for _, tt := range []struct {
		form  url.Values
		field string
	}{
		{url.Values{"login_password": {""}, "pay_password": {payPIN}, "confirm": {payPIN}}, "login_password"},
		{url.Values{"login_password": {"wrong"}, "pay_password": {payPIN}, "confirm": {payPIN}}, "login_password"},
		{url.Values{"login_password": {addrPassword}, "pay_password": {"12345"}, "confirm": {"12345"}}, "pay_password"},
		{url.Values{"login_password": {addrPassword}, "pay_password": {"123456"}, "confirm": {"123456"}}, "pay_password"},
		{url.Values{"login_password": {addrPassword}, "pay_password": {payPIN}, "confirm": {"135791"}}, "confirm"},
	} {
		resp, body := f.buyer.postForm(t, "/me/wallet/password", tt.form)
		mustStatus(t, fmt.Sprint(tt.form), resp, body, http.StatusUnprocessableEntity)
		if !strings.Contains(body, `data-testid="error-`+tt.field+`"`) {
			t.Errorf("%v: no message beside %s", tt.form, tt.field)
		}
	}
	// An outside next is dropped.
	resp, _ := f.buyer.postForm(t, "/me/wallet/password", url.Values{"login_password": {addrPassword},
		"pay_password": {payPIN}, "confirm": {payPIN}, "next": {"https://evil.example/"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/me/wallet" {
		t.Fatalf("save: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if err := f.a.DB.CheckPayPassword(t.Context(), f.buyerID, payPIN); err != nil {
		t.Fatalf("PIN not saved: %v", err)
	}
}

func TestAdminWalletAndPackages(t *testing.T) {
	f := newPayFixture(t, AppConfig{})
	f.a.setupOwner(t)
	resp, body := f.a.get(t, "/admin/customers?phone=0138000")
	mustStatus(t, "customers", resp, body, http.StatusOK)
	if !strings.Contains(body, "13800138000") {
		t.Fatal("customer list lacks the buyer")
	}
	if resp, body := f.a.get(t, "/admin/customers?phone=99999"); resp.StatusCode != 200 || strings.Contains(body, "13800138000") {
		t.Error("search by another number finds the buyer")
	}
	path := fmt.Sprintf("/admin/customers/%d/wallet", f.buyerID)
	resp, body = f.a.postForm(t, path, url.Values{"direction": {"add"}, "amount": {"88.8"}, "reason": {"补偿"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("adjust: %d %s", resp.StatusCode, body)
	}
	for _, bad := range []url.Values{
		{"direction": {"deduct"}, "amount": {"100"}, "reason": {"扣"}},
		{"direction": {"add"}, "amount": {"x"}, "reason": {"扣"}},
		{"direction": {"add"}, "amount": {"1"}, "reason": {""}},
	} {
		resp, body := f.a.postForm(t, path, bad)
		mustStatus(t, fmt.Sprint("adjust ", bad), resp, body, http.StatusUnprocessableEntity)
	}
	if b := f.ledgerSum(t); b != 88_80 {
		t.Fatalf("balance %s after +88.80 and refused changes", b)
	}
	resp, body = f.a.get(t, path)
	mustStatus(t, "wallet page", resp, body, http.StatusOK)
	if !strings.Contains(body, "补偿") || !strings.Contains(body, "88.80") {
		t.Error("admin wallet page lacks the adjustment")
	}
	// The buyer cannot reach it.
	if resp, _ := f.buyer.get(t, path); resp.StatusCode == http.StatusOK {
		t.Error("a customer opened the back office's wallet page")
	}

	resp, body = f.a.postForm(t, "/admin/recharge-packages/new", url.Values{"pay": {"100"}, "bonus": {"10"}, "sort": {"1"}, "active": {"1"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("new package: %d %s", resp.StatusCode, body)
	}
	resp, body = f.a.postForm(t, "/admin/recharge-packages/new", url.Values{"pay": {"100"}, "bonus": {"200"}})
	mustStatus(t, "package with a gift over the amount", resp, body, http.StatusUnprocessableEntity)
	pkgs, err := f.a.DB.RechargePackages(t.Context(), false)
	if err != nil || len(pkgs) != 1 || pkgs[0].Pay != 100_00 || pkgs[0].Bonus != 10_00 || !pkgs[0].Active {
		t.Fatalf("packages %+v, %v", pkgs, err)
	}
	id := pkgs[0].ID
	resp, body = f.a.postForm(t, fmt.Sprintf("/admin/recharge-packages/%d/edit", id), url.Values{"pay": {"200"}, "bonus": {"30"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit package: %d %s", resp.StatusCode, body)
	}
	if p, _ := f.a.DB.RechargePackageByID(t.Context(), id); p.Pay != 200_00 || p.Active {
		t.Fatalf("edited package %+v", p)
	}
	resp, body = f.a.get(t, "/admin/recharge-packages")
	mustStatus(t, "packages", resp, body, http.StatusOK)
	resp, _ = f.a.postForm(t, fmt.Sprintf("/admin/recharge-packages/%d/delete", id), nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete package: %d", resp.StatusCode)
	}
	if pkgs, _ := f.a.DB.RechargePackages(t.Context(), false); len(pkgs) != 0 {
		t.Fatal("deleted package still listed")
	}
}

// TestPayAfterDeadline: an unpaid order past its deadline (before the
// timeout job has cancelled it) cannot be paid, and its result page says so.
func TestPayAfterDeadline(t *testing.T) {
	f := newPayFixture(t, AppConfig{})
	f.fund(t, 500_00)
	o := f.order(t, 1)
	later := o.PayDeadline.Add(time.Minute)
	f.a.DB.SetClock(func() time.Time { return later })
	resp, _ := f.buyer.get(t, "/pay/"+o.No)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/pay/result/"+o.No {
		t.Fatalf("pay page after the deadline: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, _ = f.buyer.postForm(t, "/pay/"+o.No, url.Values{"method": {"balance"}, "pay_password": {payPIN}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("paying after the deadline: %d", resp.StatusCode)
	}
	if f.status(t, o.ID) != store.StatusPendingPayment || f.ledgerSum(t) != 500_00 {
		t.Fatal("paid after the deadline")
	}
	resp, body := f.buyer.get(t, "/pay/result/"+o.No)
	mustStatus(t, "result", resp, body, http.StatusOK)
	if !strings.Contains(body, `data-status="failed"`) || strings.Contains(body, `data-testid="result-retry"`) {
		t.Error("result after the deadline is not a failure without retry")
	}
}

// actionProvider is a provider whose Pay answers a fixed action, standing
// in for WeChat Pay and Alipay.
type actionProvider struct {
	id     string
	action plugins.PayAction
}

func (p *actionProvider) ID() string                           { return p.id }
func (p *actionProvider) Name() string                         { return "网关" + p.id }
func (p *actionProvider) Channel(*http.Request) (string, bool) { return "h5", true }
func (p *actionProvider) Pay(context.Context, plugins.PayRequest) (*plugins.PayAction, error) {
	a := p.action
	return &a, nil
}
func (p *actionProvider) VerifyNotify(context.Context, *http.Request, []byte) (*plugins.Notification, error) {
	return nil, plugins.ErrBadNotify
}
func (p *actionProvider) Ack(error) (int, string, []byte) { return 400, "text/plain", []byte("fail") }
func (p *actionProvider) Refund(context.Context, plugins.RefundRequest) (*plugins.RefundResult, error) {
	return nil, errors.New("no")
}
func (p *actionProvider) Query(context.Context, *store.Payment) (*plugins.QueryResult, error) {
	return &plugins.QueryResult{}, nil
}
func (p *actionProvider) Close(context.Context, *store.Payment) error { return nil }

type actionPlugin struct{ providers []*actionProvider }

func (*actionPlugin) ID() string   { return "gateways" }
func (*actionPlugin) Name() string { return "gateways" }
func (ap *actionPlugin) Register(r *plugins.Registry) error {
	for _, p := range ap.providers {
		if err := r.AddPaymentProvider("gateways", p); err != nil {
			return err
		}
	}
	return nil
}

// TestPayActions: every kind of gateway answer reaches the browser — a
// local redirect, another site, a form posted to the gateway (allowed by
// that page's CSP), a QR code and WeChat's in-app payment.
func TestPayActions(t *testing.T) {
	f := newPayFixture(t, AppConfig{})
	err := f.a.Plugins.Register(&actionPlugin{providers: []*actionProvider{
		{id: "local", action: plugins.PayAction{Kind: plugins.PayRedirect, URL: "/pay/sandbox/x"}},
		{id: "away", action: plugins.PayAction{Kind: plugins.PayRedirect, URL: "https://wx.tenpay.com/h5?prepay_id=1"}},
		{id: "evil", action: plugins.PayAction{Kind: plugins.PayRedirect, URL: "javascript:alert(1)"}},
		{id: "form", action: plugins.PayAction{Kind: plugins.PayForm, URL: "https://openapi.alipay.com/gateway.do",
			Fields: map[string]string{"sign": "abc", "biz_content": `{"out_trade_no":"1"}`}}},
		{id: "qr", action: plugins.PayAction{Kind: plugins.PayQR, URL: "weixin://wxpay/bizpayurl?pr=abc"}},
		{id: "jsapi", action: plugins.PayAction{Kind: plugins.PayJSAPI, Params: map[string]string{"appId": "wx1", "package": "prepay_id=1"}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	o := f.order(t, 1)
	pay := func(method string) (*http.Response, string) {
		return f.buyer.postForm(t, "/pay/"+o.No, url.Values{"method": {method}})
	}
	resp, _ := pay("local")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/pay/sandbox/x" {
		t.Errorf("local redirect: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body := pay("away")
	mustStatus(t, "redirect away", resp, body, http.StatusOK)
	if !strings.Contains(body, `href="https://wx.tenpay.com/h5?prepay_id=1"`) || !strings.Contains(body, `data-kind="redirect"`) {
		t.Error("redirect page lacks the gateway link")
	}
	resp, _ = pay("evil")
	if resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("javascript: redirect answered %d", resp.StatusCode)
	}
	resp, body = pay("form")
	mustStatus(t, "form", resp, body, http.StatusOK)
	if !strings.Contains(body, `action="https://openapi.alipay.com/gateway.do"`) || !strings.Contains(body, `name="sign" value="abc"`) {
		t.Error("form page lacks the gateway form")
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' https://openapi.alipay.com;") {
		t.Errorf("form page CSP %q does not allow the gateway", csp)
	}
	resp, body = pay("qr")
	mustStatus(t, "qr", resp, body, http.StatusOK)
	if !strings.Contains(body, `src="data:image/png;base64,`) || strings.Contains(body, "weixin://") {
		t.Error("qr page lacks the code image (or shows the raw link)")
	}
	resp, body = pay("jsapi")
	mustStatus(t, "jsapi", resp, body, http.StatusOK)
	if !strings.Contains(body, `data-params="{&#34;appId&#34;:&#34;wx1&#34;,&#34;package&#34;:&#34;prepay_id=1&#34;}"`) {
		t.Error("jsapi page lacks the parameters")
	}
	if got := f.status(t, o.ID); got != store.StatusPendingPayment {
		t.Fatalf("order %s after starting payments", got)
	}
}

// TestRefundThroughProvider: after-sales refunds go through the payment's
// provider; refund callbacks for refunds the shop never made are refused,
// those of late-payment refunds acknowledged.
func TestRefundThroughProvider(t *testing.T) {
	f := newPayFixture(t, AppConfig{})
	ctx := t.Context()
	o := f.order(t, 1)
	out := f.startSandbox(t, o.No)
	f.buyer.postForm(t, "/pay/sandbox/"+out, nil)
	pay, err := f.a.DB.PaymentByOutTradeNo(ctx, out)
	if err != nil || pay.Status != store.PaymentPaid {
		t.Fatalf("payment %+v, %v", pay, err)
	}
	if f.a.Handler.refundFunc(ctx, "nosuch", "") != nil {
		t.Error("a refund function for an unknown provider")
	}
	refund := f.a.Handler.refundFunc(ctx, sandbox.ID, "")
	if id, err := refund(ctx, pay, 10_00, "R1"); err != nil || id != "SBRR1" {
		t.Fatalf("sandbox refund: %q, %v", id, err)
	}
	if _, err := refund(ctx, pay, pay.Amount+1, "R2"); err == nil {
		t.Error("refunded more than was paid")
	}

	sp := f.sandboxProvider(t)
	notice := func(outRefundNo string) (http.Header, []byte) {
		body := []byte(`{"id":"1","event_type":"REFUND.SUCCESS","out_trade_no":"` + out + `","transaction_id":"SB` + out +
			`","out_refund_no":"` + outRefundNo + `","refund_id":"SBR1","amount":{"total":1000,"currency":"CNY"}}`)
		h, err := sp.Sign(body)
		if err != nil {
			t.Fatal(err)
		}
		return h, body
	}
	h, b := notice("99999999")
	if code := f.notify(t, h, b); code != http.StatusBadRequest {
		t.Errorf("refund callback for no refund: %d, want 400", code)
	}
	h, b = notice("L" + out)
	if code := f.notify(t, h, b); code != http.StatusBadRequest {
		t.Errorf("refund callback of a late-payment refund never made: %d, want 400", code)
	}
}

// TestAbsURLPrefersBaseURL: with server.base_url set, the gateways' callback
// addresses never come from the request's Host header.
func TestAbsURLPrefersBaseURL(t *testing.T) {
	h := &Handler{opts: Options{BaseURL: "https://shop.example.com/"}}
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	c.Request = httptest.NewRequest(http.MethodGet, "http://evil.example/pay/1", nil)
	if got := h.absURL(c, "/pay/notify/sandbox"); got != "https://shop.example.com/pay/notify/sandbox" {
		t.Fatalf("absURL = %q", got)
	}
	h.opts.BaseURL = ""
	if got := h.absURL(c, "/x"); got != "http://evil.example/x" {
		t.Fatalf("absURL without base_url = %q", got)
	}
}
