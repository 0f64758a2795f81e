package handlers

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/plugins/alipay/alipaytest"
	"github.com/xiaodian/xiaodian/store"
)

// Alipay end to end at the HTTP level: the real router served at its
// base_url, the back office's settings form, real SQLite, and the fake
// gateway of plugins/alipay/alipaytest, which speaks Alipay's wire protocol
// and signs with keys of its own.

// User agents that pick Alipay's channels: a phone's browser (wap), a
// desktop's (page). Inside WeChat (wechatUA) Alipay is not offered.
const (
	alipayPhoneUA   = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
	alipayDesktopUA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
)

// alipayPrice is the cup's price: fen that a float would lose.
const alipayPrice store.Fen = 123_45

// alipayShop is a shop served at its base_url with Alipay configured
// through the back office against a fake gateway, the owner signed in on
// a, and a signed-in buyer with an address.
type alipayShop struct {
	a       *testApp
	g       *alipaytest.Gateway
	buyer   *testApp
	buyerID int64
	sku     int64
	address int64
}

func newAlipayShop(t *testing.T, mode string) *alipayShop {
	t.Helper()
	a := openServedApp(t, AppConfig{})
	a.setupOwner(t)
	s := &alipayShop{a: a, g: alipaytest.New(t)}
	ctx := t.Context()
	cat, err := a.DB.CreateCategory(ctx, store.CategoryInput{Name: "杂货", Visible: true})
	if err != nil {
		t.Fatal(err)
	}
	pid, err := a.DB.CreateProduct(ctx, store.ProductInput{CategoryID: cat, Title: "保温杯", OnShelf: true,
		SKUs: []store.SKUInput{{Price: alipayPrice, Stock: 50}}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.DB.ProductByID(ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	s.sku = p.SKUs[0].ID
	s.buyer, s.buyerID = addressShopper(t, a, "13800138000")
	s.address, err = a.DB.CreateAddress(ctx, s.buyerID, store.AddressInput{Name: "张三", Phone: "13800138000",
		ProvinceCode: "44", CityCode: "4403", DistrictCode: "440305", Detail: "科技园南区 1 栋 101"})
	if err != nil {
		t.Fatal(err)
	}
	resp, body := alipaySaveSettings(t, a, s.g.Settings(mode))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save alipay settings: %d\n%.600s", resp.StatusCode, body)
	}
	return s
}

// alipaySaveSettings posts values to the back office's 支付宝 form, as
// the owner types them.
func alipaySaveSettings(t *testing.T, a *testApp, v plugins.SettingValues) (*http.Response, string) {
	t.Helper()
	form := url.Values{}
	for k, val := range v {
		form.Set(k, val)
	}
	return a.postForm(t, "/admin/payments/alipay", form)
}

// alipayTestConnection presses 测试连接 and returns the message the page
// it leads to shows.
func alipayTestConnection(t *testing.T, a *testApp) string {
	t.Helper()
	resp, body := a.postForm(t, "/admin/payments/alipay/test", nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/payments/alipay" {
		t.Fatalf("test connection: %d %q %s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	resp, body = a.get(t, "/admin/payments/alipay")
	mustStatus(t, "settings after the test", resp, body, http.StatusOK)
	msg := alipayFlashRe.FindString(body)
	if msg == "" {
		t.Fatal("测试连接 shows no result")
	}
	return html.UnescapeString(msg)
}

// order places an order of qty cups for the buyer.
func (s *alipayShop) order(t *testing.T, qty int) *store.Order {
	t.Helper()
	o, err := s.a.DB.PlaceOrder(t.Context(), store.CheckoutInput{CustomerID: s.buyerID,
		Items: []store.CheckoutItem{{SKUID: s.sku, Qty: qty}}, Delivery: store.DeliveryExpress,
		AddressID: s.address, Token: fmt.Sprintf("ali-%d", time.Now().UnixNano())})
	if err != nil {
		t.Fatal(err)
	}
	if o.Payable != alipayPrice*store.Fen(qty) {
		t.Fatalf("payable %s for %d cups of %s", o.Payable, qty, alipayPrice)
	}
	return o
}

// browse is the buyer's browser asking for u (the shop's or the fake's)
// with user agent ua; a form is POSTed with the Origin of the page that
// holds it. It follows no redirect.
func (s *alipayShop) browse(t *testing.T, method, u string, form url.Values, ua, origin string) (*http.Response, string) {
	t.Helper()
	if strings.HasPrefix(u, "/") {
		u = s.a.srv.URL + u
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("User-Agent", ua)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", origin)
	}
	resp, err := s.buyer.client.Do(req)
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

func (s *alipayShop) gatewayOrigin(t *testing.T) string {
	t.Helper()
	u, err := url.Parse(s.g.URL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Scheme + "://" + u.Host
}

var (
	alipayLinkRe   = regexp.MustCompile(`href="([^"]+)" data-testid="pay-gateway-link"`)
	alipayFormRe   = regexp.MustCompile(`(?s)<form id="pay-gateway-form" method="post" action="([^"]+)"(.*?)</form>`)
	alipayFieldRe  = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)"`)
	alipayTokenRe  = regexp.MustCompile(`name="token" value="([0-9a-f]+)"`)
	alipayAmountRe = regexp.MustCompile(`data-testid="alipay-amount">([^<]*)<`)
)

// startPay chooses 支付宝 on the order's pay page with ua and returns the
// page the shop answers (the link to the gateway, or the form posted to it).
func (s *alipayShop) startPay(t *testing.T, o *store.Order, ua string) (*http.Response, string) {
	t.Helper()
	resp, body := s.browse(t, http.MethodGet, payURL(o.No), nil, ua, "")
	mustStatus(t, "pay page", resp, body, http.StatusOK)
	if !strings.Contains(body, `data-testid="method-alipay"`) || !strings.Contains(body, "支付宝") {
		t.Fatalf("pay page (%s) does not offer 支付宝", ua)
	}
	resp, body = s.browse(t, http.MethodPost, payURL(o.No), url.Values{"method": {"alipay"}}, ua, s.a.srv.URL)
	mustStatus(t, "pay with alipay", resp, body, http.StatusOK)
	return resp, body
}

// openCashier does what the shop's page makes the browser do: follow the
// signed wap.pay link, or post the page.pay form to the gateway. It
// returns the fake's cashier page.
func (s *alipayShop) openCashier(t *testing.T, body, ua string) string {
	t.Helper()
	if m := alipayLinkRe.FindStringSubmatch(body); m != nil {
		resp, cashier := s.browse(t, http.MethodGet, html.UnescapeString(m[1]), nil, ua, "")
		mustStatus(t, "cashier (wap)", resp, cashier, http.StatusOK)
		return cashier
	}
	m := alipayFormRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("the shop's page neither links to the gateway nor posts a form to it:\n%.800s", body)
	}
	fields := url.Values{}
	for _, f := range alipayFieldRe.FindAllStringSubmatch(m[2], -1) {
		fields.Set(html.UnescapeString(f[1]), html.UnescapeString(f[2]))
	}
	resp, cashier := s.browse(t, http.MethodPost, html.UnescapeString(m[1]), fields, ua, s.a.srv.URL)
	mustStatus(t, "cashier (page)", resp, cashier, http.StatusOK)
	return cashier
}

// confirm presses 确认付款 on the cashier and returns where the fake sends
// the browser back.
func (s *alipayShop) confirm(t *testing.T, cashier, ua string) string {
	t.Helper()
	m := alipayTokenRe.FindStringSubmatch(cashier)
	if m == nil || !strings.Contains(cashier, `data-testid="alipay-confirm"`) {
		t.Fatalf("cashier has no 确认付款:\n%.600s", cashier)
	}
	base := strings.TrimSuffix(s.g.URL, "/gateway.do")
	resp, body := s.browse(t, http.MethodPost, base+"/cashier/pay", url.Values{"token": {m[1]}}, ua, s.gatewayOrigin(t))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("确认付款: %d %s", resp.StatusCode, body)
	}
	return resp.Header.Get("Location")
}

// payThroughCashier pays o the whole way with ua: pay page, cashier,
// 确认付款, the notification, back to the result page showing success.
func (s *alipayShop) payThroughCashier(t *testing.T, o *store.Order, ua string) *store.Payment {
	t.Helper()
	_, body := s.startPay(t, o, ua)
	cashier := s.openCashier(t, body, ua)
	back := s.confirm(t, cashier, ua)
	if !strings.HasPrefix(back, s.a.srv.URL+payResultURL(o.No)+"?") {
		t.Fatalf("the fake sent the browser to %q", back)
	}
	resp, result := s.browse(t, http.MethodGet, back, nil, ua, "")
	mustStatus(t, "result page", resp, result, http.StatusOK)
	if !strings.Contains(result, `data-status="success"`) || !strings.Contains(result, o.Payable.String()) {
		t.Fatalf("result page does not show %s paid:\n%.600s", o.Payable, result)
	}
	return alipayPaymentOf(t, s.a, o.ID)
}

// alipayPaymentOf is the order's latest payment attempt.
func alipayPaymentOf(t *testing.T, a *testApp, orderID int64) *store.Payment {
	t.Helper()
	var no string
	if err := a.DB.Write(t.Context(), func(tx *sql.Tx) error {
		return tx.QueryRow(`SELECT out_trade_no FROM payments WHERE order_id = ? ORDER BY id DESC LIMIT 1`, orderID).Scan(&no)
	}); err != nil {
		t.Fatalf("payment of order %d: %v", orderID, err)
	}
	p, err := a.DB.PaymentByOutTradeNo(t.Context(), no)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// alipayColumn reads one column of one payment.
func alipayColumn(t *testing.T, a *testApp, paymentID int64, col string) string {
	t.Helper()
	var v sql.NullString
	if err := a.DB.Write(t.Context(), func(tx *sql.Tx) error {
		return tx.QueryRow(`SELECT CAST(`+col+` AS TEXT) FROM payments WHERE id = ?`, paymentID).Scan(&v)
	}); err != nil {
		t.Fatal(err)
	}
	return v.String
}

// alipayRows dumps every row of the tables a payment callback may touch:
// a refused one must leave the dump as it was.
func alipayRows(t *testing.T, a *testApp) string {
	t.Helper()
	var sb strings.Builder
	err := a.DB.Write(t.Context(), func(tx *sql.Tx) error {
		for _, table := range []string{"orders", "order_logs", "payments", "refunds", "aftersales", "reconcile_log", "wallet_ledger", "skus"} {
			rows, err := tx.Query(`SELECT * FROM ` + table + ` ORDER BY rowid`)
			if err != nil {
				return err
			}
			cols, _ := rows.Columns()
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			for rows.Next() {
				if err := rows.Scan(ptrs...); err != nil {
					rows.Close()
					return err
				}
				fmt.Fprintf(&sb, "%s:", table)
				for i, c := range cols {
					if b, ok := vals[i].([]byte); ok {
						vals[i] = string(b)
					}
					fmt.Fprintf(&sb, " %s=%v", c, vals[i])
				}
				sb.WriteByte('\n')
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return sb.String()
}

// alipayPayLogs counts the order's "pay" log lines.
func alipayPayLogs(t *testing.T, a *testApp, orderID int64) int {
	t.Helper()
	o, err := a.DB.OrderByID(t.Context(), orderID)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, l := range o.Logs {
		if l.Action == "pay" {
			n++
		}
	}
	return n
}

// assertPaid checks that o was paid in full by its Alipay attempt pay,
// through channel, applied by by.
func (s *alipayShop) assertPaid(t *testing.T, o *store.Order, pay *store.Payment, channel, by string) {
	t.Helper()
	got, err := s.a.DB.OrderByID(t.Context(), o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != store.StatusToShip || got.Paid != o.Payable || got.PaymentID != pay.ID || got.PayProvider != "alipay" {
		t.Fatalf("order %s paid %s by payment %d (%s); want to_ship, %s by %d (alipay)",
			got.Status, got.Paid, got.PaymentID, got.PayProvider, o.Payable, pay.ID)
	}
	pay, err = s.a.DB.PaymentByOutTradeNo(t.Context(), pay.OutTradeNo)
	if err != nil {
		t.Fatal(err)
	}
	tr, ok := s.g.Trade(pay.OutTradeNo)
	if !ok || tr.Status != alipaytest.StatusSuccess || tr.Amount != o.Payable {
		t.Fatalf("the fake's trade %+v", tr)
	}
	if pay.Status != store.PaymentPaid || pay.Amount != o.Payable || pay.Channel != channel || pay.ProviderTxnID != tr.TradeNo || pay.Refunded != 0 {
		t.Fatalf("payment %+v; want paid %s by %s, trade_no %s", pay, o.Payable, channel, tr.TradeNo)
	}
	if got := alipayColumn(t, s.a, pay.ID, "applied_by"); got != by {
		t.Fatalf("payments.applied_by = %q, want %q", got, by)
	}
	if n := alipayPayLogs(t, s.a, o.ID); n != 1 {
		t.Fatalf("%d pay logs, want 1", n)
	}
}

// payWithoutNotifying pays the trade at the fake as the payer would, while
// its notification is lost on the way (the fake records the failed
// delivery; Alipay would retry later).
func (s *alipayShop) payWithoutNotifying(t *testing.T, outTradeNo string) {
	t.Helper()
	keep := s.g.Client
	s.g.Client = &http.Client{Transport: alipayLostTransport{}}
	d, err := s.g.Pay(outTradeNo)
	s.g.Client = keep
	if err == nil || d == nil || d.Acked() {
		t.Fatalf("the lost notification arrived: %+v %v", d, err)
	}
	if tr, _ := s.g.Trade(outTradeNo); tr.Status != alipaytest.StatusSuccess {
		t.Fatalf("the fake's trade is %s after paying", tr.Status)
	}
}

type alipayLostTransport struct{}

func (alipayLostTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("notification lost on the way")
}

// openTrade starts paying o with ua and opens the cashier (the trade now
// waits for the buyer at the fake), then leaves it unpaid. It returns the
// attempt and the shop's page that led to the cashier.
func (s *alipayShop) openTrade(t *testing.T, o *store.Order, ua string) (*store.Payment, string) {
	t.Helper()
	_, body := s.startPay(t, o, ua)
	s.openCashier(t, body, ua)
	pay := alipayPaymentOf(t, s.a, o.ID)
	if tr, ok := s.g.Trade(pay.OutTradeNo); !ok || tr.Status != alipaytest.StatusWaitBuyerPay || tr.Amount != o.Payable {
		t.Fatalf("the fake's trade %+v after opening the cashier", tr)
	}
	return pay, body
}

func alipayAcked(t *testing.T, what string, d *alipaytest.Delivery, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if !d.Acked() || d.Body != "success" {
		t.Fatalf("%s: the shop answered %d %q, want 200 \"success\"", what, d.Status, d.Body)
	}
}

// TestAlipaySettingsThroughBackOffice: the fake's settings in 公钥 mode and
// in 公钥证书 mode are accepted by the back office form and 测试连接
// succeeds against the fake in each; a mismatched key is refused beside its
// field with nothing stored (and the running configuration kept); 测试连接
// says clearly when the fake refuses our signature.
func TestAlipaySettingsThroughBackOffice(t *testing.T) {
	a := openServedApp(t, AppConfig{})
	a.setupOwner(t)
	g := alipaytest.New(t)
	ctx := t.Context()

	resp, body := a.get(t, "/admin/payments/alipay")
	mustStatus(t, "settings form", resp, body, http.StatusOK)
	for _, want := range []string{`name="app_id"`, `name="app_private_key"`, `name="key_mode"`, `name="alipay_public_key"`,
		`name="app_cert"`, `name="alipay_cert"`, `name="alipay_root_cert"`, `name="seller_id"`, `name="gateway"`} {
		if !strings.Contains(body, want) {
			t.Errorf("settings form lacks %s", want)
		}
	}
	privateKey := g.Settings(alipaytest.ModePublicKey)["app_private_key"]
	keyPart := privateKey[len(privateKey)/2 : len(privateKey)/2+40] // a piece of the key

	refusals := []struct {
		name, field string
		values      plugins.SettingValues
	}{
		{"the 应用公钥 pasted as the 支付宝公钥", "alipay_public_key", func() plugins.SettingValues {
			v := g.Settings(alipaytest.ModePublicKey)
			v["alipay_public_key"] = g.AppPublicKey()
			return v
		}()},
		{"a private key that is not the app certificate's", "app_cert", func() plugins.SettingValues {
			v := g.Settings(alipaytest.ModeCert)
			v["app_private_key"] = alipaytest.OtherPrivateKey()
			return v
		}()},
	}
	refuse := func(stage string) {
		t.Helper()
		before, err := a.DB.PluginSettings(ctx, "alipay")
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range refusals {
			resp, body := alipaySaveSettings(t, a, r.values)
			mustStatus(t, stage+": "+r.name, resp, body, http.StatusUnprocessableEntity)
			if !strings.Contains(body, `data-testid="error-`+r.field+`"`) {
				t.Errorf("%s: %s: no message beside %s", stage, r.name, r.field)
			}
			if strings.Contains(body, keyPart) {
				t.Errorf("%s: %s: the refused form shows the private key back", stage, r.name)
			}
			after, err := a.DB.PluginSettings(ctx, "alipay")
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(after) != fmt.Sprint(before) {
				t.Fatalf("%s: %s: stored settings changed:\nbefore %v\nafter  %v", stage, r.name, before, after)
			}
		}
	}
	refuse("unconfigured")
	if st, _ := a.DB.PluginSettings(ctx, "alipay"); len(st) != 0 {
		t.Fatalf("refused forms stored %v", st)
	}

	// 公钥模式.
	resp, body = alipaySaveSettings(t, a, g.Settings(alipaytest.ModePublicKey))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save public key mode: %d\n%.600s", resp.StatusCode, body)
	}
	st, err := a.DB.PluginSettings(ctx, "alipay")
	if err != nil || st["app_id"].Value != g.AppID || st["key_mode"].Value != alipaytest.ModePublicKey ||
		st["seller_id"].Value != g.SellerID || st["gateway"].Value != g.URL || !st["app_private_key"].Sealed {
		t.Fatalf("stored %v, %v", st, err)
	}
	if raw := rawPluginSetting(t, a, "alipay", "app_private_key"); !strings.HasPrefix(raw, "v1:") || strings.Contains(raw, keyPart) {
		t.Fatal("the app private key is stored in the clear")
	}
	_, body = a.get(t, "/admin/payments/alipay")
	if strings.Contains(body, keyPart) {
		t.Fatal("the settings form shows the stored private key")
	}
	calls := len(g.Calls())
	msg := alipayTestConnection(t, a)
	if !strings.Contains(msg, "测试通过：连接成功") || !strings.Contains(msg, "公钥模式") || strings.Contains(msg, "公钥证书模式") {
		t.Fatalf("test in public key mode does not report success:\n%s", msg)
	}
	if c := g.Calls(); len(c) != calls+1 || c[calls] != "alipay.trade.query" {
		t.Fatalf("the fake saw %v, want one alipay.trade.query", c[calls:])
	}
	refuse("public key mode")

	// 公钥证书模式.
	resp, body = alipaySaveSettings(t, a, g.Settings(alipaytest.ModeCert))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save cert mode: %d\n%.600s", resp.StatusCode, body)
	}
	if st, _ := a.DB.PluginSettings(ctx, "alipay"); st["key_mode"].Value != alipaytest.ModeCert || st["alipay_root_cert"].Value == "" {
		t.Fatalf("stored %v", st)
	}
	msg = alipayTestConnection(t, a)
	if !strings.Contains(msg, "测试通过：连接成功") || !strings.Contains(msg, "公钥证书模式") {
		t.Fatalf("test in cert mode does not report success:\n%s", msg)
	}
	refuse("cert mode")
	// The refusals left the certificates in use.
	msg = alipayTestConnection(t, a)
	if !strings.Contains(msg, "测试通过：连接成功") || !strings.Contains(msg, "公钥证书模式") {
		t.Fatalf("after refused forms the test does not pass in cert mode:\n%s", msg)
	}

	// Another app's private key: the form cannot tell, the gateway can.
	v := g.Settings(alipaytest.ModePublicKey)
	v["app_private_key"] = alipaytest.OtherPrivateKey()
	resp, body = alipaySaveSettings(t, a, v)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save another key: %d\n%.600s", resp.StatusCode, body)
	}
	msg = alipayTestConnection(t, a)
	if !strings.Contains(msg, "测试失败：") || !strings.Contains(msg, "拒绝了应用签名") || !strings.Contains(msg, "应用私钥与开放平台上传的应用公钥不是一对") {
		t.Fatalf("a refused signature is not reported clearly:\n%s", msg)
	}
	if strings.Contains(msg, "测试通过") {
		t.Fatal("a refused signature is reported as a success")
	}
}

var alipayFlashRe = regexp.MustCompile(`测试(通过|失败)：[^<]*`)

// TestAlipayWapFlow: on a phone the pay page links to the signed
// alipay.trade.wap.pay URL; the cashier's 确认付款 posts the notification
// (answered "success") and sends the payer to the result page showing
// success; the order waits to ship, paid exactly, applied by the notify.
func TestAlipayWapFlow(t *testing.T) {
	s := newAlipayShop(t, alipaytest.ModePublicKey)
	o := s.order(t, 2)

	resp, body := s.startPay(t, o, alipayPhoneUA)
	if !strings.Contains(body, `data-kind="redirect"`) {
		t.Fatalf("phone pay page is not a redirect to the gateway:\n%.600s", body)
	}
	m := alipayLinkRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no link to the gateway")
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q on a signed payment page", cc)
	}
	link, err := url.Parse(html.UnescapeString(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	q := link.Query()
	if link.Scheme+"://"+link.Host+link.Path != s.g.URL || q.Get("method") != "alipay.trade.wap.pay" || q.Get("sign") == "" ||
		q.Get("sign_type") != "RSA2" || q.Get("app_id") != s.g.AppID {
		t.Fatalf("gateway link %s", link)
	}
	if q.Get("notify_url") != s.a.srv.URL+"/pay/notify/alipay" || q.Get("return_url") != s.a.srv.URL+payResultURL(o.No) {
		t.Fatalf("notify_url %q return_url %q", q.Get("notify_url"), q.Get("return_url"))
	}
	var biz struct {
		OutTradeNo  string `json:"out_trade_no"`
		TotalAmount string `json:"total_amount"`
		ProductCode string `json:"product_code"`
	}
	if err := json.Unmarshal([]byte(q.Get("biz_content")), &biz); err != nil {
		t.Fatal(err)
	}
	pay := alipayPaymentOf(t, s.a, o.ID)
	if biz.OutTradeNo != pay.OutTradeNo || biz.TotalAmount != "246.90" || biz.ProductCode != "QUICK_WAP_WAY" {
		t.Fatalf("biz_content %+v for payment %s", biz, pay.OutTradeNo)
	}
	if pay.Status != store.PaymentPending || pay.Channel != "wap" || pay.Amount != o.Payable {
		t.Fatalf("attempt %+v", pay)
	}

	cashier := s.openCashier(t, body, alipayPhoneUA)
	if a := alipayAmountRe.FindStringSubmatch(cashier); a == nil || a[1] != "246.90" {
		t.Fatalf("cashier amount %v", a)
	}
	if got := s.g.Deliveries(); len(got) != 0 {
		t.Fatalf("notified before paying: %+v", got)
	}
	back := s.confirm(t, cashier, alipayPhoneUA)
	d := s.g.Deliveries()
	if len(d) != 1 || d[0].URL != s.a.srv.URL+"/pay/notify/alipay" || d[0].Form.Get("out_trade_no") != pay.OutTradeNo {
		t.Fatalf("deliveries %+v", d)
	}
	alipayAcked(t, "the cashier's notification", &d[0], d[0].Err)
	if !strings.HasPrefix(back, s.a.srv.URL+payResultURL(o.No)+"?") || !strings.Contains(back, "method=alipay.trade.wap.pay.return") {
		t.Fatalf("sent back to %q", back)
	}
	resp, result := s.browse(t, http.MethodGet, back, nil, alipayPhoneUA, "")
	mustStatus(t, "result", resp, result, http.StatusOK)
	if !strings.Contains(result, `data-status="success"`) || !strings.Contains(result, "246.90") {
		t.Fatalf("result page does not show success:\n%.800s", result)
	}
	s.assertPaid(t, o, pay, "wap", store.AppliedByNotify)

	// The order's pay page now leads to its result.
	resp, _ = s.browse(t, http.MethodGet, payURL(o.No), nil, alipayPhoneUA, "")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != payResultURL(o.No) {
		t.Errorf("pay page of the paid order: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// TestAlipayPageFlow: on a desktop the pay page posts the signed
// alipay.trade.page.pay form to the gateway, and its CSP form-action allows
// the gateway's origin; paying at the cashier pays the order.
func TestAlipayPageFlow(t *testing.T) {
	s := newAlipayShop(t, alipaytest.ModeCert)
	o := s.order(t, 2)

	resp, body := s.startPay(t, o, alipayDesktopUA)
	if !strings.Contains(body, `data-kind="form"`) || !strings.Contains(body, `document.getElementById("pay-gateway-form").submit()`) {
		t.Fatalf("desktop pay page does not post a form to the gateway:\n%.600s", body)
	}
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "form-action 'self' "+s.gatewayOrigin(t)+";") {
		t.Fatalf("CSP %q does not allow posting to %s", csp, s.gatewayOrigin(t))
	}
	m := alipayFormRe.FindStringSubmatch(body)
	if m == nil || html.UnescapeString(m[1]) != s.g.URL+"?charset=utf-8" {
		t.Fatalf("form action %v", m)
	}
	fields := map[string]string{}
	for _, f := range alipayFieldRe.FindAllStringSubmatch(m[2], -1) {
		fields[f[1]] = html.UnescapeString(f[2])
	}
	if fields["method"] != "alipay.trade.page.pay" || fields["sign"] == "" || fields["app_cert_sn"] != s.g.AppCertSN() ||
		fields["alipay_root_cert_sn"] != s.g.AlipayRootCertSN() || !strings.Contains(fields["biz_content"], `"total_amount":"246.90"`) ||
		!strings.Contains(fields["biz_content"], `"product_code":"FAST_INSTANT_TRADE_PAY"`) {
		t.Fatalf("form fields %v", fields)
	}
	pay := alipayPaymentOf(t, s.a, o.ID)
	if pay.Channel != "page" {
		t.Fatalf("attempt channel %q", pay.Channel)
	}

	cashier := s.openCashier(t, body, alipayDesktopUA)
	back := s.confirm(t, cashier, alipayDesktopUA)
	d := s.g.Deliveries()
	if len(d) != 1 {
		t.Fatalf("deliveries %+v", d)
	}
	alipayAcked(t, "the cashier's notification", &d[0], d[0].Err)
	if !strings.Contains(back, "method=alipay.trade.page.pay.return") {
		t.Fatalf("sent back to %q", back)
	}
	resp, result := s.browse(t, http.MethodGet, back, nil, alipayDesktopUA, "")
	mustStatus(t, "result", resp, result, http.StatusOK)
	if !strings.Contains(result, `data-status="success"`) {
		t.Fatal("result page does not show success")
	}
	s.assertPaid(t, o, pay, "page", store.AppliedByNotify)
}

// TestAlipayNotOfferedInWeChat: WeChat's browser blocks Alipay, so the pay
// page does not offer it and choosing it anyway is refused, no attempt made.
func TestAlipayNotOfferedInWeChat(t *testing.T) {
	s := newAlipayShop(t, alipaytest.ModePublicKey)
	o := s.order(t, 1)
	resp, body := s.browse(t, http.MethodGet, payURL(o.No), nil, wechatUA, "")
	mustStatus(t, "pay page in WeChat", resp, body, http.StatusOK)
	if strings.Contains(body, `data-testid="method-alipay"`) {
		t.Fatal("the pay page offers 支付宝 inside WeChat")
	}
	resp, body = s.browse(t, http.MethodPost, payURL(o.No), url.Values{"method": {"alipay"}}, wechatUA, s.a.srv.URL)
	mustStatus(t, "pay with alipay in WeChat", resp, body, http.StatusUnprocessableEntity)
	var n int
	s.a.DB.Write(t.Context(), func(tx *sql.Tx) error {
		return tx.QueryRow(`SELECT COUNT(*) FROM payments WHERE order_id = ?`, o.ID).Scan(&n)
	})
	if n != 0 || len(s.g.Calls()) != 0 {
		t.Fatalf("%d attempts and gateway calls %v inside WeChat", n, s.g.Calls())
	}
}

// TestAlipayAftersaleRefunds: 仅退款 on a paid order, approved and refunded
// by staff in the back office, goes back through Alipay at once; the order
// closes when everything is refunded; refunded_fen is exact and the fake
// records each refund once, even when two staff press 退款 at the same
// moment. The trade_status_sync Alipay sends after a refund is answered
// "success" and changes nothing.
func TestAlipayAftersaleRefunds(t *testing.T) {
	s := newAlipayShop(t, alipaytest.ModePublicKey)
	ctx := t.Context()
	o := s.order(t, 2)
	pay := s.payThroughCashier(t, o, alipayPhoneUA)
	s.assertPaid(t, o, pay, "wap", store.AppliedByNotify)
	line := o.Lines[0].ID

	request := func() *store.Aftersale {
		t.Helper()
		resp, body := s.buyer.admMultipart(t, fmt.Sprintf("/orders/%d/aftersale", o.ID), url.Values{"line": {fmt.Sprint(line)},
			"kind": {"refund_only"}, "qty": {"1"}, "reason": {"not_wanted"}}, nil, nil)
		m := aftersaleLocation.FindStringSubmatch(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusSeeOther || m == nil {
			t.Fatalf("仅退款: %d %.600s", resp.StatusCode, body)
		}
		var id int64
		fmt.Sscan(m[1], &id)
		resp, body = s.a.postForm(t, adminAftersaleURL(id)+"/approve", nil)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("approve: %d %s", resp.StatusCode, body)
		}
		as, err := s.a.DB.AftersaleByID(ctx, id)
		if err != nil || as.Status != store.AftersaleApproved || as.Amount != alipayPrice {
			t.Fatalf("approved after-sale %+v, %v", as, err)
		}
		_, body = s.a.get(t, adminAftersaleURL(id))
		if !strings.Contains(body, `data-testid="refund"`) {
			t.Fatal("the back office offers no 退款 for an Alipay order")
		}
		return as
	}
	refunded := func(as *store.Aftersale) store.Refund {
		t.Helper()
		got, err := s.a.DB.AftersaleByID(ctx, as.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != store.AftersaleRefunded || len(got.Refunds) != 1 {
			t.Fatalf("after-sale %s with refunds %+v", got.Status, got.Refunds)
		}
		r := got.Refunds[0]
		tr, _ := s.g.Trade(pay.OutTradeNo)
		if r.Status != store.RefundSucceeded || r.Amount != alipayPrice || r.PaymentID != pay.ID || r.ProviderRefundID != tr.TradeNo {
			t.Fatalf("refund %+v", r)
		}
		n := 0
		for _, fr := range s.g.Refunds() {
			if fr.OutRequestNo == r.OutRefundNo {
				n++
				if fr.OutTradeNo != pay.OutTradeNo || fr.Amount != alipayPrice {
					t.Fatalf("the fake's refund %+v", fr)
				}
			}
		}
		if n != 1 {
			t.Fatalf("the fake made refund %s %d times", r.OutRefundNo, n)
		}
		return r
	}

	// The first cup: refunded at once, the order still to ship.
	first := request()
	resp, body := s.a.postForm(t, adminAftersaleURL(first.ID)+"/refund", url.Values{"restock": {"1"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("refund: %d %s", resp.StatusCode, body)
	}
	_, body = s.a.get(t, resp.Header.Get("Location"))
	if !strings.Contains(body, `data-testid="refunds"`) {
		t.Error("the after-sale page does not list the refund")
	}
	r1 := refunded(first)
	if p, _ := s.a.DB.PaymentByOutTradeNo(ctx, pay.OutTradeNo); p.Refunded != alipayPrice || p.Status != store.PaymentPaid {
		t.Fatalf("payment after one refund %+v", p)
	}
	assertStatus(t, s.a, o.ID, store.StatusToShip)
	if tr, _ := s.g.Trade(pay.OutTradeNo); tr.Refunded != alipayPrice || tr.Status != alipaytest.StatusSuccess {
		t.Fatalf("the fake's trade after one refund %+v", tr)
	}
	before := alipayRows(t, s.a)
	d, err := s.g.NotifyRefund(pay.OutTradeNo, r1.OutRefundNo)
	alipayAcked(t, "trade_status_sync after a partial refund", d, err)
	if after := alipayRows(t, s.a); after != before {
		t.Fatalf("the refund's sync changed rows:\n%s", alipayDiff(before, after))
	}

	// The second cup: two staff press 退款 together; one refund reaches Alipay.
	second := request()
	var wg sync.WaitGroup
	codes := make([]int, 4)
	for i := range codes {
		wg.Go(func() {
			resp, _ := s.a.postForm(t, adminAftersaleURL(second.ID)+"/refund", url.Values{"restock": {"1"}})
			codes[i] = resp.StatusCode
		})
	}
	wg.Wait()
	for i, c := range codes {
		if c != http.StatusSeeOther {
			t.Errorf("racing refund %d answered %d", i, c)
		}
	}
	r2 := refunded(second)
	if len(s.g.Refunds()) != 2 {
		t.Fatalf("the fake made %d refunds, want 2: %+v", len(s.g.Refunds()), s.g.Refunds())
	}
	p, err := s.a.DB.PaymentByOutTradeNo(ctx, pay.OutTradeNo)
	if err != nil || p.Refunded != o.Payable || p.Status != store.PaymentPaid {
		t.Fatalf("payment after refunding everything %+v, %v", p, err)
	}
	assertStatus(t, s.a, o.ID, store.StatusClosed)
	var refundRows int
	s.a.DB.Write(ctx, func(tx *sql.Tx) error {
		return tx.QueryRow(`SELECT COUNT(*) FROM refunds WHERE payment_id = ?`, pay.ID).Scan(&refundRows)
	})
	if refundRows != 2 {
		t.Fatalf("%d refund rows, want 2", refundRows)
	}
	if tr, _ := s.g.Trade(pay.OutTradeNo); tr.Refunded != o.Payable || tr.Status != alipaytest.StatusClosed {
		t.Fatalf("the fake's trade after refunding everything %+v", tr)
	}
	// Alipay's sync of the closing refund (TRADE_CLOSED), and the payment's
	// own notification again (now TRADE_CLOSED): acknowledged, nothing changes.
	before = alipayRows(t, s.a)
	d, err = s.g.NotifyRefund(pay.OutTradeNo, r2.OutRefundNo)
	alipayAcked(t, "trade_status_sync after the full refund", d, err)
	d, err = s.g.Notify(pay.OutTradeNo, alipaytest.TamperNone)
	alipayAcked(t, "TRADE_CLOSED notification", d, err)
	if after := alipayRows(t, s.a); after != before {
		t.Fatalf("the syncs changed rows:\n%s", alipayDiff(before, after))
	}
}

// alipayDiff shows the lines of two row dumps that differ.
func alipayDiff(before, after string) string {
	b, a := strings.Split(before, "\n"), strings.Split(after, "\n")
	seen := map[string]bool{}
	for _, l := range b {
		seen[l] = true
	}
	var out []string
	for _, l := range a {
		if !seen[l] {
			out = append(out, "+ "+l)
		}
	}
	now := map[string]bool{}
	for _, l := range a {
		now[l] = true
	}
	for _, l := range b {
		if !now[l] {
			out = append(out, "- "+l)
		}
	}
	return strings.Join(out, "\n")
}

// TestAlipayNotifyRefusals: notifications that are forged, spoiled or not
// ours are answered "fail" with a 400 and change no row; the genuine one
// is applied, and delivered again it is acknowledged and applied once.
func TestAlipayNotifyRefusals(t *testing.T) {
	s := newAlipayShop(t, alipaytest.ModePublicKey)
	o := s.order(t, 1)
	pay, _ := s.openTrade(t, o, alipayPhoneUA)
	s.payWithoutNotifying(t, pay.OutTradeNo)
	// A trade of the same app that the shop never started.
	const stranger = "20990101000000009999"
	s.g.CreateTrade(stranger, o.Payable, s.a.srv.URL+"/pay/notify/alipay", "")

	before := alipayRows(t, s.a)
	for _, tt := range []struct {
		name   string
		tamper alipaytest.Tamper
		no     string
	}{
		{"wrong signature", alipaytest.TamperSignature, pay.OutTradeNo},
		{"total_amount changed after signing", alipaytest.TamperAfterSigning, pay.OutTradeNo},
		{"wrong amount", alipaytest.TamperAmount, pay.OutTradeNo},
		{"wrong app_id", alipaytest.TamperAppID, pay.OutTradeNo},
		{"wrong seller_id", alipaytest.TamperSellerID, pay.OutTradeNo},
		{"unsigned", alipaytest.TamperUnsigned, pay.OutTradeNo},
		{"unknown out_trade_no", alipaytest.TamperNone, stranger},
	} {
		var d *alipaytest.Delivery
		var err error
		if tt.no == stranger {
			d, err = s.g.Pay(stranger) // pays it and delivers its genuine notification
		} else {
			d, err = s.g.Notify(tt.no, tt.tamper)
		}
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if d.Status != http.StatusBadRequest || d.Body != "fail" {
			t.Errorf("%s: answered %d %q, want 400 \"fail\"", tt.name, d.Status, d.Body)
		}
		if after := alipayRows(t, s.a); after != before {
			t.Fatalf("%s changed rows:\n%s", tt.name, alipayDiff(before, after))
		}
	}
	assertStatus(t, s.a, o.ID, store.StatusPendingPayment)

	// The genuine notification (Alipay's retry) pays the order.
	d, err := s.g.Notify(pay.OutTradeNo, alipaytest.TamperNone)
	alipayAcked(t, "genuine notification", d, err)
	s.assertPaid(t, o, pay, "wap", store.AppliedByNotify)
	// Delivered again: acknowledged, applied once.
	paid := alipayRows(t, s.a)
	for i := range 3 {
		d, err := s.g.Notify(pay.OutTradeNo, alipaytest.TamperNone)
		alipayAcked(t, fmt.Sprintf("duplicate %d", i+1), d, err)
	}
	if after := alipayRows(t, s.a); after != paid {
		t.Fatalf("duplicates changed rows:\n%s", alipayDiff(paid, after))
	}
	s.assertPaid(t, o, pay, "wap", store.AppliedByNotify)
	// A spoiled copy of a notification already applied is still refused.
	d, err = s.g.Notify(pay.OutTradeNo, alipaytest.TamperAmount)
	if err != nil || d.Status != http.StatusBadRequest || d.Body != "fail" {
		t.Fatalf("wrong amount after paying: %+v %v", d, err)
	}
	if after := alipayRows(t, s.a); after != paid {
		t.Fatalf("a spoiled copy changed rows:\n%s", alipayDiff(paid, after))
	}
}

// TestAlipayLostNotification: the payer paid at the cashier but the
// notification never arrived; once the attempt is over two minutes old by
// the shop's clock the reconciliation job asks alipay.trade.query and
// applies it (applied_by "query"), shown on /admin/reconciliation and
// with the 对账补单 badge on /admin/payment-records.
func TestAlipayLostNotification(t *testing.T) {
	s := newAlipayShop(t, alipaytest.ModeCert)
	ctx := t.Context()
	o := s.order(t, 1)
	pay, _ := s.openTrade(t, o, alipayDesktopUA)
	s.payWithoutNotifying(t, pay.OutTradeNo)
	assertStatus(t, s.a, o.ID, store.StatusPendingPayment)

	// Within two minutes the payer may still be paying: nothing asked.
	sum, err := s.a.Handler.Reconcile(ctx)
	if err != nil || sum.Checked != 0 || sum.Paid != 0 {
		t.Fatalf("early reconcile %+v, %v", sum, err)
	}
	for _, c := range s.g.Calls() {
		if c == "alipay.trade.query" {
			t.Fatal("the job queried an attempt younger than two minutes")
		}
	}
	assertStatus(t, s.a, o.ID, store.StatusPendingPayment)

	later := time.Now().Add(reconcileAfter + time.Minute)
	s.a.DB.SetClock(func() time.Time { return later })
	defer s.a.DB.SetClock(time.Now)
	sum, err = s.a.Handler.Reconcile(ctx)
	if err != nil || sum.Checked != 1 || sum.Paid != 1 || sum.Errors != 0 {
		t.Fatalf("reconcile %+v, %v", sum, err)
	}
	if c := s.g.Calls(); c[len(c)-1] != "alipay.trade.query" {
		t.Fatalf("gateway calls %v, want alipay.trade.query last", c)
	}
	s.assertPaid(t, o, pay, "page", store.AppliedByQuery)

	_, body := s.a.get(t, "/admin/reconciliation")
	row := alipayRowWith(body, "finding-row", pay.OutTradeNo)
	if row == "" || !strings.Contains(row, "查询到已支付，已补单") || !strings.Contains(row, o.Payable.String()) {
		t.Fatalf("reconciliation report lacks the finding for %s:\n%s", pay.OutTradeNo, row)
	}
	_, body = s.a.get(t, "/admin/payment-records")
	row = alipayRowWith(body, "payment-row", pay.OutTradeNo)
	if row == "" || !strings.Contains(row, "对账补单") || !strings.Contains(row, o.Payable.String()) {
		t.Fatalf("payment records lack the 对账补单 badge on %s:\n%s", pay.OutTradeNo, row)
	}

	// Alipay's retry arrives at last: acknowledged, nothing changes; the
	// job finds nothing more to do.
	before := alipayRows(t, s.a)
	d, err := s.g.Notify(pay.OutTradeNo, alipaytest.TamperNone)
	alipayAcked(t, "the late retry", d, err)
	if sum, err := s.a.Handler.Reconcile(ctx); err != nil || sum.Checked != 0 {
		t.Fatalf("second reconcile %+v, %v", sum, err)
	}
	if after := alipayRows(t, s.a); after != before {
		t.Fatalf("the retry or the second run changed rows:\n%s", alipayDiff(before, after))
	}
}

// alipayRowWith is the <tr data-testid="testid"> of body that mentions s.
func alipayRowWith(body, testid, s string) string {
	for _, part := range strings.Split(body, `<tr data-testid="`+testid+`"`)[1:] {
		row, _, _ := strings.Cut(part, "</tr>")
		if strings.Contains(row, s) {
			return row
		}
	}
	return ""
}

// TestAlipayLatePayment: the buyer cancels the order, then pays its old
// trade at the cashier: the notification is acknowledged and the money
// sent back in full through Alipay (refunded_late, one refund row). An
// order cancelled before anyone paid has its trade closed at the gateway
// by the reconciliation job.
func TestAlipayLatePayment(t *testing.T) {
	s := newAlipayShop(t, alipaytest.ModePublicKey)
	ctx := t.Context()
	o := s.order(t, 2)
	pay, _ := s.openTrade(t, o, alipayPhoneUA)
	resp, body := s.buyer.postForm(t, fmt.Sprintf("/orders/%d/cancel", o.ID), url.Values{"reason": {"不想要了"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("cancel: %d %s", resp.StatusCode, body)
	}
	assertStatus(t, s.a, o.ID, store.StatusCancelled)

	d, err := s.g.Pay(pay.OutTradeNo)
	alipayAcked(t, "late notification", d, err)
	s.a.Handler.WaitBackground() // the refund goes after the answer
	p, err := s.a.DB.PaymentByOutTradeNo(ctx, pay.OutTradeNo)
	if err != nil || p.Status != store.PaymentRefundedLate || p.Refunded != o.Payable || p.Amount != o.Payable {
		t.Fatalf("late payment %+v, %v", p, err)
	}
	refunds, n, err := s.a.DB.RefundRecords(ctx, store.RefundFilter{Query: pay.OutTradeNo})
	if err != nil || n != 1 || refunds[0].Status != store.RefundSucceeded || refunds[0].Amount != o.Payable {
		t.Fatalf("refunds %+v (%d), %v", refunds, n, err)
	}
	fr := s.g.Refunds()
	if len(fr) != 1 || fr[0].OutTradeNo != pay.OutTradeNo || fr[0].Amount != o.Payable {
		t.Fatalf("the fake's refunds %+v", fr)
	}
	if tr, _ := s.g.Trade(pay.OutTradeNo); tr.Status != alipaytest.StatusClosed || tr.Refunded != o.Payable {
		t.Fatalf("the fake's trade %+v", tr)
	}
	assertStatus(t, s.a, o.ID, store.StatusCancelled)
	// Alipay retries the notification: acknowledged, no second refund.
	before := alipayRows(t, s.a)
	d, err = s.g.Notify(pay.OutTradeNo, alipaytest.TamperNone)
	alipayAcked(t, "retried late notification", d, err)
	s.a.Handler.WaitBackground()
	if len(s.g.Refunds()) != 1 {
		t.Fatalf("refunded again: %+v", s.g.Refunds())
	}
	if after := alipayRows(t, s.a); after != before {
		t.Fatalf("the retry changed rows:\n%s", alipayDiff(before, after))
	}

	// Cancelled before anyone paid: the job closes the trade at Alipay.
	o2 := s.order(t, 1)
	pay2, action2 := s.openTrade(t, o2, alipayDesktopUA)
	if err := s.a.DB.CancelOrder(ctx, s.buyerID, o2.ID, "不想要了"); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(reconcileAfter + time.Minute)
	s.a.DB.SetClock(func() time.Time { return later })
	defer s.a.DB.SetClock(time.Now)
	sum, err := s.a.Handler.Reconcile(ctx)
	if err != nil || sum.Closed != 1 || sum.Errors != 0 || sum.Paid != 0 {
		t.Fatalf("reconcile %+v, %v", sum, err)
	}
	if tr, _ := s.g.Trade(pay2.OutTradeNo); tr.Status != alipaytest.StatusClosed {
		t.Fatalf("the fake's trade is %s, want closed", tr.Status)
	}
	closes := 0
	for _, c := range s.g.Calls() {
		if c == "alipay.trade.close" {
			closes++
		}
	}
	if closes != 1 {
		t.Fatalf("alipay.trade.close called %d times: %v", closes, s.g.Calls())
	}
	if alipayColumn(t, s.a, pay2.ID, "gateway_closed_at") == "" {
		t.Fatal("gateway_closed_at not set")
	}
	_, body = s.a.get(t, "/admin/reconciliation")
	if row := alipayRowWith(body, "finding-row", pay2.OutTradeNo); !strings.Contains(row, "已通知网关关闭") {
		t.Fatalf("the report lacks the closing of %s:\n%s", pay2.OutTradeNo, row)
	}
	// The payer comes back to the cashier with the page left open: the
	// trade is closed there.
	body = s.openCashier(t, action2, alipayDesktopUA)
	if !strings.Contains(body, "交易已关闭") || strings.Contains(body, `data-testid="alipay-confirm"`) {
		t.Fatalf("the fake's cashier still takes the closed trade:\n%.400s", body)
	}
	// Another run finds nothing to close.
	if sum, err := s.a.Handler.Reconcile(ctx); err != nil || sum.Closed != 0 || sum.Checked != 0 {
		t.Fatalf("second reconcile %+v, %v", sum, err)
	}
}
