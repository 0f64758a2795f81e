package handlers

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/plugins/wechatpay"
	"github.com/xiaodian/xiaodian/plugins/wechatpay/wechatpaytest"
	"github.com/xiaodian/xiaodian/store"
)

// WeChat Pay end to end over HTTP: the back office's settings form and
// 测试连接, the three channels through the pay page, the callbacks of the
// fake gateway (wechatpaytest) to /pay/notify/wechatpay, refunds of
// after-sales, refusals, and the reconciliation job. The shop is served at
// its base_url (openServedApp) so that refunds and the job send absolute
// notify URLs.

// User agents that pick the channels (wechatUA, inside WeChat, is in
// auth_social_test.go).
const (
	desktopUA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
	phoneUA   = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)

// wxPrice is the product's price: odd fen, so that a yuan/fen slip shows.
const wxPrice store.Fen = 128_88

// wxShop is a served shop with WeChat Pay configured through the back
// office against a fake gateway, a ¥128.88 product and a signed-in buyer
// with an address.
type wxShop struct {
	a       *testApp // the owner, signed in to the back office
	g       *wechatpaytest.Gateway
	buyer   *testApp
	buyerID int64
	sku     int64
	address int64
}

func newWxShop(t *testing.T, mode wechatpaytest.Mode) *wxShop {
	t.Helper()
	a := openServedApp(t, AppConfig{})
	a.setupOwner(t)
	s := &wxShop{a: a, g: wechatpaytest.New(t)}
	if resp, body := saveWeChatPay(t, a, s.g.Settings(mode)); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save wechatpay settings: %d\n%.600s", resp.StatusCode, body)
	}
	ctx := t.Context()
	cat, err := a.DB.CreateCategory(ctx, store.CategoryInput{Name: "茶叶", Visible: true})
	if err != nil {
		t.Fatal(err)
	}
	pid, err := a.DB.CreateProduct(ctx, store.ProductInput{CategoryID: cat, Title: "明前龙井 250g", OnShelf: true,
		SKUs: []store.SKUInput{{Price: wxPrice, Stock: 50}}})
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
	return s
}

// saveWeChatPay posts every field of the plugin's form: v's value, or
// empty (a switch unticked, a text cleared).
func saveWeChatPay(t *testing.T, a *testApp, v plugins.SettingValues) (*http.Response, string) {
	t.Helper()
	form := url.Values{}
	for _, f := range wechatpay.New().SettingsSchema() {
		form.Set(f.Key, v[f.Key])
	}
	return a.postForm(t, "/admin/payments/wechatpay", form)
}

// order places an order of qty for customer (the buyer when 0).
func (s *wxShop) order(t *testing.T, customer, address int64, qty int) *store.Order {
	t.Helper()
	if customer == 0 {
		customer, address = s.buyerID, s.address
	}
	o, err := s.a.DB.PlaceOrder(t.Context(), store.CheckoutInput{CustomerID: customer,
		Items: []store.CheckoutItem{{SKUID: s.sku, Qty: qty}}, Delivery: store.DeliveryExpress,
		AddressID: address, Token: fmt.Sprintf("wx-%d", time.Now().UnixNano())})
	if err != nil {
		t.Fatal(err)
	}
	if o.Payable != wxPrice*store.Fen(qty)+o.Shipping {
		t.Fatalf("payable %s for %d × %s + shipping %s", o.Payable, qty, wxPrice, o.Shipping)
	}
	return o
}

// browse sends a request from c's browser with the user agent ua: u is a
// path of the shop or an absolute URL; a form is posted same-origin.
func browse(t *testing.T, c *testApp, ua, method, u string, form url.Values) (*http.Response, string) {
	t.Helper()
	if strings.HasPrefix(u, "/") {
		u = c.srv.URL + u
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
		req.Header.Set("Origin", req.URL.Scheme+"://"+req.URL.Host)
	}
	resp, err := c.client.Do(req)
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

// startPay opens the pay page with ua, checks it offers 微信支付, and
// chooses it; the answer is the page that takes the browser on.
func (s *wxShop) startPay(t *testing.T, c *testApp, ua string, o *store.Order) string {
	t.Helper()
	resp, body := browse(t, c, ua, http.MethodGet, "/pay/"+o.No, nil)
	mustStatus(t, "pay page", resp, body, http.StatusOK)
	if !strings.Contains(body, `data-testid="method-wechatpay"`) {
		t.Fatalf("pay page (%s) does not offer 微信支付", ua)
	}
	resp, body = browse(t, c, ua, http.MethodPost, "/pay/"+o.No, url.Values{"method": {"wechatpay"}})
	mustStatus(t, "pay with wechatpay", resp, body, http.StatusOK)
	return body
}

// attempt is the order's newest payment attempt.
func (s *wxShop) attempt(t *testing.T, orderID int64) *store.Payment {
	t.Helper()
	pays, err := s.a.DB.OrderPayments(t.Context(), orderID)
	if err != nil || len(pays) == 0 {
		t.Fatalf("payments of order %d: %d, %v", orderID, len(pays), err)
	}
	return &pays[0]
}

// record is the back office's record of the attempt numbered out.
func (s *wxShop) record(t *testing.T, out string) store.PaymentRecord {
	t.Helper()
	recs, n, err := s.a.DB.PaymentRecords(t.Context(), store.PaymentFilter{Query: out})
	if err != nil || n != 1 {
		t.Fatalf("payment record %s: %d, %v", out, n, err)
	}
	return recs[0]
}

// refunds are the order's refunds, newest first.
func (s *wxShop) refunds(t *testing.T, orderNo string) []store.RefundRecord {
	t.Helper()
	recs, _, err := s.a.DB.RefundRecords(t.Context(), store.RefundFilter{Query: orderNo, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// payNative chooses 微信支付 on a desktop and pays the QR code at the fake;
// the order is then paid and its attempt returned.
func (s *wxShop) payNative(t *testing.T, o *store.Order) *store.Payment {
	t.Helper()
	body := s.startPay(t, s.buyer, desktopUA, o)
	if !strings.Contains(body, `data-kind="qr"`) {
		t.Fatalf("desktop pay action is not a QR code:\n%.600s", body)
	}
	pay := s.attempt(t, o.ID)
	fo, ok := s.g.Order(pay.OutTradeNo)
	if !ok {
		t.Fatalf("the fake has no order %s", pay.OutTradeNo)
	}
	d, err := s.g.PayCodeURL(fo.CodeURL, "")
	if err != nil || d.Status != http.StatusNoContent {
		t.Fatalf("pay the code: %v %+v", err, d)
	}
	if got := s.orderNow(t, o.ID); got.Status != store.StatusToShip || got.Paid != o.Payable {
		t.Fatalf("order %s paid %s after the callback", got.Status, got.Paid)
	}
	return s.attempt(t, o.ID)
}

func (s *wxShop) orderNow(t *testing.T, id int64) *store.Order {
	t.Helper()
	o, err := s.a.DB.OrderByID(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// later moves the shop's clock past the reconciliation delay (restored at
// the end of the test).
func (s *wxShop) later(t *testing.T, d time.Duration) {
	t.Helper()
	s.a.DB.SetClock(func() time.Time { return time.Now().Add(d) })
	t.Cleanup(func() { s.a.DB.SetClock(time.Now) })
}

// flash is the back-office page's flash of kind after a redirect.
func flash(t *testing.T, a *testApp, path, kind string) string {
	t.Helper()
	resp, body := a.get(t, path)
	mustStatus(t, path, resp, body, http.StatusOK)
	m := regexp.MustCompile(`<div class="flash flash-` + kind + `" role="status">([^<]*)</div>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("%s shows no %s flash:\n%s", path, kind, flashes(body))
	}
	return html.UnescapeString(m[1])
}

func flashes(body string) string {
	return strings.Join(regexp.MustCompile(`<div class="flash[^"]*"[^>]*>[^<]*</div>`).FindAllString(body, -1), "\n")
}

// priceHTML is how the theme's Price component writes an amount.
func priceHTML(f store.Fen) string {
	return fmt.Sprintf("<b>%d</b><small>.%02d</small>", f/100, f%100)
}

// TestWeChatPaySettingsAndConnectionTest: the fake's settings are accepted
// by the back-office form in 微信支付公钥 mode and in 平台证书 mode, secrets
// sealed; 测试连接 reports success against the fake in both (naming the key
// that verified the answer), and a clear failure when the fake refuses our
// signature (the private key of another merchant certificate).
func TestWeChatPaySettingsAndConnectionTest(t *testing.T) {
	a := openServedApp(t, AppConfig{})
	a.setupOwner(t)
	g := wechatpaytest.New(t)
	const form = "/admin/payments/wechatpay"

	resp, body := a.get(t, form)
	mustStatus(t, "form", resp, body, http.StatusOK)
	for _, k := range []string{"mch_id", "app_id", "mch_serial_no", "mch_private_key", "apiv3_key", "public_key_id", "public_key", "platform_certs"} {
		if !strings.Contains(body, `name="`+k+`"`) {
			t.Errorf("form lacks %s", k)
		}
	}
	// 测试连接 before anything is saved.
	a.postForm(t, form+"/test", nil)
	if msg := flash(t, a, form, "error"); !strings.Contains(msg, "请先保存设置") {
		t.Errorf("test while unconfigured: %q", msg)
	}

	// 微信支付公钥.
	resp, body = saveWeChatPay(t, a, g.Settings(wechatpaytest.ModePublicKey))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != form {
		t.Fatalf("save public-key settings: %d %q\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	if msg := flash(t, a, form, "success"); !strings.Contains(msg, "微信支付") {
		t.Errorf("saved flash %q", msg)
	}
	for _, k := range []string{"mch_private_key", "apiv3_key"} {
		raw := rawPluginSetting(t, a, "wechatpay", k)
		if !strings.HasPrefix(raw, "v1:") || strings.Contains(raw, "PRIVATE KEY") || strings.Contains(raw, g.APIv3Key) {
			t.Errorf("%s stored as %.20q…, want sealed", k, raw)
		}
	}
	keyLine := strings.Split(g.MchPrivateKeyPEM, "\n")[1] // a line of the key itself
	if _, body := a.get(t, form); strings.Contains(body, g.APIv3Key) || strings.Contains(body, keyLine) {
		t.Error("the form shows a stored secret")
	}
	resp, _ = a.postForm(t, form+"/test", nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != form {
		t.Fatalf("test: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	msg := flash(t, a, form, "success")
	if !strings.HasPrefix(msg, "测试通过：连接成功") || !strings.Contains(msg, "商户号 "+g.MchID) ||
		!strings.Contains(msg, "微信支付公钥 "+g.PublicKeyID) {
		t.Errorf("public-key test: %q", msg)
	}
	if !hasRequest(g, "GET /v3/pay/transactions/out-trade-no/XDTEST") {
		t.Errorf("the test did not query the gateway: %v", g.Requests())
	}

	// 平台证书 only: the public key fields cleared, the download switched on.
	resp, body = saveWeChatPay(t, a, g.Settings(wechatpaytest.ModeCertificates))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save certificate settings: %d\n%s", resp.StatusCode, body)
	}
	if st, err := a.DB.PluginSettings(t.Context(), "wechatpay"); err != nil || st["public_key_id"].Value != "" || st["public_key"].Value != "" {
		t.Errorf("public key still stored: %q %v", st["public_key_id"].Value, err)
	}
	a.postForm(t, form+"/test", nil)
	msg = flash(t, a, form, "success")
	if !strings.HasPrefix(msg, "测试通过：连接成功：已下载 1 张平台证书") || !strings.Contains(msg, "平台证书 "+g.CertSerial) {
		t.Errorf("certificate test: %q", msg)
	}
	if !hasRequest(g, "GET /v3/certificates") {
		t.Errorf("the certificates were not downloaded: %v", g.Requests())
	}

	// The private key of another certificate: the form takes it (only the
	// gateway can tell), 测试连接 says the signature was refused.
	other := wechatpaytest.New(t, wechatpaytest.WithFreshKeys())
	for _, mode := range []wechatpaytest.Mode{wechatpaytest.ModePublicKey, wechatpaytest.ModeCertificates} {
		v := g.Settings(mode)
		v["mch_private_key"] = other.MchPrivateKeyPEM
		if resp, body := saveWeChatPay(t, a, v); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("save with another key: %d\n%s", resp.StatusCode, body)
		}
		a.postForm(t, form+"/test", nil)
		msg := flash(t, a, form, "error")
		if !strings.HasPrefix(msg, "测试失败：微信支付拒绝了请求签名") || !strings.Contains(msg, "apiclient_key.pem") ||
			strings.Contains(msg, "测试通过") || strings.Contains(msg, strings.Split(other.MchPrivateKeyPEM, "\n")[1]) {
			t.Errorf("mode %d, another merchant key: %q", mode, msg)
		}
	}
}

func hasRequest(g *wechatpaytest.Gateway, prefix string) bool {
	for _, r := range g.Requests() {
		if strings.HasPrefix(r, prefix) {
			return true
		}
	}
	return false
}

var qrSrc = regexp.MustCompile(`<img class="pay-qr" src="(data:image/png;base64,[^"]+)"`)

// TestWeChatPayNative: on a desktop the pay page shows the QR code of the
// fake's code_url; paying it delivers the callback, and the order is 待发货
// with exactly what was paid, applied by the notification — with either
// kind of platform key.
func TestWeChatPayNative(t *testing.T) {
	for _, tt := range []struct {
		name string
		mode wechatpaytest.Mode
	}{{"public key", wechatpaytest.ModePublicKey}, {"platform certificates", wechatpaytest.ModeCertificates}} {
		t.Run(tt.name, func(t *testing.T) {
			s := newWxShop(t, tt.mode)
			o := s.order(t, 0, 0, 2)
			body := s.startPay(t, s.buyer, desktopUA, o)
			if !strings.Contains(body, `data-kind="qr"`) || !strings.Contains(body, `data-testid="pay-done"`) {
				t.Fatalf("pay action is not the QR page:\n%.800s", body)
			}
			pay := s.attempt(t, o.ID)
			if pay.Provider != "wechatpay" || pay.Channel != wechatpay.ChannelNative || pay.Status != store.PaymentPending || pay.Amount != o.Payable {
				t.Fatalf("attempt %+v", pay)
			}
			fo, ok := s.g.Order(pay.OutTradeNo)
			if !ok || fo.Kind != "native" || fo.Total != int64(o.Payable) || fo.NotifyURL != s.a.srv.URL+"/pay/notify/wechatpay" ||
				fo.State != "NOTPAY" || !strings.HasPrefix(fo.Description, "小店 - ") || !strings.Contains(fo.Description, o.Lines[0].Title) {
				t.Fatalf("the fake's order %+v", fo)
			}
			// The image is the QR code of the fake's code_url, nothing else.
			png, err := qrcode.Encode(fo.CodeURL, qrcode.Medium, 440)
			if err != nil {
				t.Fatal(err)
			}
			m := qrSrc.FindStringSubmatch(body)
			if m == nil || m[1] != "data:image/png;base64,"+base64.StdEncoding.EncodeToString(png) {
				t.Fatalf("the QR image is not the code_url %s", fo.CodeURL)
			}

			d, err := s.g.PayCodeURL(fo.CodeURL, "")
			if err != nil {
				t.Fatal(err)
			}
			if d.Status != http.StatusNoContent || d.Response != "" || d.URL != fo.NotifyURL {
				t.Fatalf("callback answered %d %q at %s", d.Status, d.Response, d.URL)
			}
			paid, _ := s.g.Order(pay.OutTradeNo)
			got := s.orderNow(t, o.ID)
			if got.Status != store.StatusToShip || got.Paid != o.Payable || got.PaymentID != pay.ID || got.PayProvider != "wechatpay" {
				t.Fatalf("order %s paid %s payment %d by %q", got.Status, got.Paid, got.PaymentID, got.PayProvider)
			}
			rec := s.record(t, pay.OutTradeNo)
			if rec.Status != store.PaymentPaid || rec.AppliedBy != store.AppliedByNotify || rec.ProviderTxnID != paid.TransactionID || rec.Amount != o.Payable {
				t.Fatalf("payment record %+v", rec)
			}
			resp, body := browse(t, s.buyer, desktopUA, http.MethodGet, "/pay/result/"+o.No, nil)
			mustStatus(t, "result", resp, body, http.StatusOK)
			if !strings.Contains(body, `data-status="success"`) || !strings.Contains(body, priceHTML(o.Payable)) {
				t.Error("the result page does not say paid")
			}
			if _, body := s.buyer.get(t, fmt.Sprintf("/orders/%d", o.ID)); !strings.Contains(body, "待发货") {
				t.Error("the order page does not say 待发货")
			}
		})
	}
}

var (
	gatewayLink = regexp.MustCompile(`id="pay-gateway-link" href="([^"]+)"`)
	hiddenInput = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)
	formAction  = regexp.MustCompile(`<form method="post" action="([^"]+)">`)
)

// TestWeChatPayH5: on a phone the shop's page leads to the fake's h5_url
// with our result page as redirect_url; there 确认支付 delivers the
// callback and sends the browser back to the result page, which says paid.
func TestWeChatPayH5(t *testing.T) {
	s := newWxShop(t, wechatpaytest.ModePublicKey)
	o := s.order(t, 0, 0, 1)
	body := s.startPay(t, s.buyer, phoneUA, o)
	m := gatewayLink.FindStringSubmatch(body)
	if !strings.Contains(body, `data-kind="redirect"`) || m == nil {
		t.Fatalf("phone pay action is not a link to the gateway:\n%.800s", body)
	}
	link, err := url.Parse(html.UnescapeString(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	pay := s.attempt(t, o.ID)
	fo, _ := s.g.Order(pay.OutTradeNo)
	resultURL := s.a.srv.URL + "/pay/result/" + o.No
	if pay.Channel != wechatpay.ChannelH5 || fo.Kind != "h5" || fo.ClientIP != "127.0.0.1" || fo.Total != int64(o.Payable) {
		t.Fatalf("attempt %s, the fake's order %+v", pay.Channel, fo)
	}
	if !strings.HasPrefix(link.String(), fo.H5URL+"&") || link.Query().Get("redirect_url") != resultURL {
		t.Fatalf("link %s, want the h5_url %s with redirect_url %s", link, fo.H5URL, resultURL)
	}

	// The fake's cashier.
	resp, page := browse(t, s.buyer, phoneUA, http.MethodGet, link.String(), nil)
	mustStatus(t, "fake's H5 page", resp, page, http.StatusOK)
	if !strings.Contains(page, `data-testid="wechatpaytest-confirm"`) || !strings.Contains(page, "¥"+o.Payable.String()) {
		t.Fatalf("the fake's page:\n%s", page)
	}
	form := url.Values{}
	for _, f := range hiddenInput.FindAllStringSubmatch(page, -1) {
		form.Set(f[1], html.UnescapeString(f[2]))
	}
	action := formAction.FindStringSubmatch(page)
	if action == nil || form.Get("redirect_url") != resultURL {
		t.Fatalf("the fake's form: %v %v", action, form)
	}
	if got := s.orderNow(t, o.ID); got.Status != store.StatusPendingPayment {
		t.Fatalf("order %s before 确认支付", got.Status)
	}
	resp, _ = browse(t, s.buyer, phoneUA, http.MethodPost, s.g.URL+action[1], form)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != resultURL {
		t.Fatalf("确认支付: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	ds := s.g.Deliveries()
	if len(ds) != 1 || ds[0].Event != "TRANSACTION.SUCCESS" || ds[0].Status != http.StatusNoContent {
		t.Fatalf("deliveries %+v", ds)
	}
	resp, body = browse(t, s.buyer, phoneUA, http.MethodGet, resp.Header.Get("Location"), nil)
	mustStatus(t, "result page", resp, body, http.StatusOK)
	if !strings.Contains(body, `data-status="success"`) || !strings.Contains(body, priceHTML(o.Payable)) {
		t.Fatalf("the result page does not say paid:\n%.800s", body)
	}
	got := s.orderNow(t, o.ID)
	if got.Status != store.StatusToShip || got.Paid != o.Payable {
		t.Fatalf("order %s paid %s", got.Status, got.Paid)
	}
	if rec := s.record(t, pay.OutTradeNo); rec.AppliedBy != store.AppliedByNotify || rec.Status != store.PaymentPaid {
		t.Fatalf("payment record %+v", rec)
	}
}

var jsapiParams = regexp.MustCompile(`id="pay-jsapi" data-params="([^"]+)"`)

// TestWeChatPayJSAPI: inside WeChat, a customer whose OpenID under the
// AppID is linked gets the getBrandWCPayRequest parameters, signed with the
// merchant key; paying the prepay_id pays the order. A customer without an
// OpenID is offered Native (WeChat's browser refuses H5 pages).
func TestWeChatPayJSAPI(t *testing.T) {
	s := newWxShop(t, wechatpaytest.ModePublicKey)
	ctx := t.Context()
	const openID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
	if err := s.a.DB.LinkIdentity(ctx, s.buyerID, store.Identity{Namespace: plugins.WeChatNamespace(s.g.AppID), Subject: openID}); err != nil {
		t.Fatal(err)
	}
	o := s.order(t, 0, 0, 1)
	body := s.startPay(t, s.buyer, wechatUA, o)
	m := jsapiParams.FindStringSubmatch(body)
	if !strings.Contains(body, `data-kind="jsapi"`) || m == nil {
		t.Fatalf("WeChat pay action is not JSAPI:\n%.800s", body)
	}
	var p map[string]string
	if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &p); err != nil {
		t.Fatal(err)
	}
	pay := s.attempt(t, o.ID)
	fo, _ := s.g.Order(pay.OutTradeNo)
	if pay.Channel != wechatpay.ChannelJSAPI || fo.Kind != "jsapi" || fo.OpenID != openID || fo.Total != int64(o.Payable) {
		t.Fatalf("attempt %s, the fake's order %+v", pay.Channel, fo)
	}
	if p["appId"] != s.g.AppID || p["package"] != "prepay_id="+fo.PrepayID || p["signType"] != "RSA" || p["nonceStr"] == "" || p["timeStamp"] == "" {
		t.Fatalf("getBrandWCPayRequest params %v", p)
	}
	sig, err := base64.StdEncoding.DecodeString(p["paySign"])
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(p["appId"] + "\n" + p["timeStamp"] + "\n" + p["nonceStr"] + "\n" + p["package"] + "\n"))
	if err := rsa.VerifyPKCS1v15(&s.g.MchKey.PublicKey, crypto.SHA256, sum[:], sig); err != nil {
		t.Fatalf("paySign does not verify with the merchant key: %v", err)
	}
	d, err := s.g.PayPrepayID(strings.TrimPrefix(p["package"], "prepay_id="), "")
	if err != nil || d.Status != http.StatusNoContent {
		t.Fatalf("pay the prepay_id: %v %+v", err, d)
	}
	got := s.orderNow(t, o.ID)
	paid, _ := s.g.Order(pay.OutTradeNo)
	if got.Status != store.StatusToShip || got.Paid != o.Payable || paid.PayerOpenID != openID {
		t.Fatalf("order %s paid %s by %q", got.Status, got.Paid, paid.PayerOpenID)
	}
	if rec := s.record(t, pay.OutTradeNo); rec.AppliedBy != store.AppliedByNotify || rec.ProviderTxnID != paid.TransactionID {
		t.Fatalf("payment record %+v", rec)
	}

	// Another customer inside WeChat, no OpenID: Native, paid by the code.
	other, otherID := addressShopper(t, s.a, "13900139000")
	addr, err := s.a.DB.CreateAddress(ctx, otherID, store.AddressInput{Name: "李四", Phone: "13900139000",
		ProvinceCode: "44", CityCode: "4403", DistrictCode: "440305", Detail: "科技园南区 2 栋 202"})
	if err != nil {
		t.Fatal(err)
	}
	o2 := s.order(t, otherID, addr, 1)
	body = s.startPay(t, other, wechatUA, o2)
	if !strings.Contains(body, `data-kind="qr"`) || qrSrc.FindString(body) == "" {
		t.Fatalf("inside WeChat without an OpenID, not Native:\n%.800s", body)
	}
	pay2 := s.attempt(t, o2.ID)
	fo2, _ := s.g.Order(pay2.OutTradeNo)
	if pay2.Channel != wechatpay.ChannelNative || fo2.Kind != "native" {
		t.Fatalf("attempt %s, the fake's order %s", pay2.Channel, fo2.Kind)
	}
	if d, err := s.g.PayCodeURL(fo2.CodeURL, ""); err != nil || d.Status != http.StatusNoContent {
		t.Fatalf("pay the code: %v %+v", err, d)
	}
	if got := s.orderNow(t, o2.ID); got.Status != store.StatusToShip || got.Paid != o2.Payable {
		t.Fatalf("second order %s paid %s", got.Status, got.Paid)
	}
}

// wxState is what a refused callback must leave as it was.
type wxState struct {
	orderStatus       store.OrderStatus
	orderPaid         store.Fen
	paymentID         int64
	payStatus, payTxn string
	payments, refunds int
	payLogs, stock    int
}

func (s *wxShop) state(t *testing.T, orderID, paymentID int64) wxState {
	t.Helper()
	o := s.orderNow(t, orderID)
	st := wxState{orderStatus: o.Status, orderPaid: o.Paid, paymentID: o.PaymentID}
	for _, l := range o.Logs {
		if l.Action == "pay" {
			st.payLogs++
		}
	}
	pay, err := s.a.DB.PaymentByID(t.Context(), paymentID)
	if err != nil {
		t.Fatal(err)
	}
	st.payStatus, st.payTxn = pay.Status, pay.ProviderTxnID
	if err := s.a.DB.Write(t.Context(), func(tx *sql.Tx) error {
		return tx.QueryRow(`SELECT (SELECT COUNT(*) FROM payments), (SELECT COUNT(*) FROM refunds),
			(SELECT stock FROM skus WHERE id = ?)`, s.sku).Scan(&st.payments, &st.refunds, &st.stock)
	}); err != nil {
		t.Fatal(err)
	}
	return st
}

// TestWeChatPayCallbackRefusals: callbacks that fail a check — the body
// changed after signing, a wrong signature, an unknown serial, a key the
// shop was not given, a timestamp six minutes old, another amount, another
// merchant or AppID, an order number the shop never made — are answered
// 400 FAIL and change nothing. Then the true callback pays once; its
// duplicates (the same bytes, or the same notification again) are answered
// 204 and change nothing either.
func TestWeChatPayCallbackRefusals(t *testing.T) {
	s := newWxShop(t, wechatpaytest.ModePublicKey)
	o := s.order(t, 0, 0, 1)
	if body := s.startPay(t, s.buyer, desktopUA, o); !strings.Contains(body, `data-kind="qr"`) {
		t.Fatal("no QR code")
	}
	pay := s.attempt(t, o.ID)
	if err := s.g.MarkPaid(pay.OutTradeNo, ""); err != nil {
		t.Fatal(err)
	}
	before := s.state(t, o.ID, pay.ID)
	if before.orderStatus != store.StatusPendingPayment || before.payStatus != store.PaymentPending || before.refunds != 0 {
		t.Fatalf("before: %+v", before)
	}
	for _, tt := range []struct {
		name   string
		tamper wechatpaytest.Tamper
	}{
		{"body changed after signing", wechatpaytest.BodyChangedAfterSigning()},
		{"wrong signature", wechatpaytest.WrongSignature()},
		{"unknown serial", wechatpaytest.UnknownSerial()},
		{"signed with a certificate the shop does not use", wechatpaytest.SignedWith(wechatpaytest.Certificate)},
		{"stale timestamp", wechatpaytest.StaleTimestamp()},
		{"amount one fen short", wechatpaytest.WrongAmount(int64(o.Payable) - 1)},
		{"amount in yuan", wechatpaytest.WrongAmount(int64(o.Payable) / 100)},
		{"another merchant", wechatpaytest.WrongMchID("1900000109")},
		{"another AppID", wechatpaytest.WrongAppID("wx8888888888888888")},
	} {
		d, err := s.g.Notify(pay.OutTradeNo, tt.tamper)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if d.Status != http.StatusBadRequest || !strings.Contains(d.Response, `"code":"FAIL"`) {
			t.Errorf("%s: answered %d %s, want 400 FAIL", tt.name, d.Status, d.Response)
		}
		if after := s.state(t, o.ID, pay.ID); after != before {
			t.Errorf("%s changed %+v into %+v", tt.name, before, after)
		}
	}

	// A paid order the shop never made, signed properly.
	c := merchantClient(t, s.g)
	if _, err := c.PrepayNative(t.Context(), wechatpay.Order{Description: "别家的订单", OutTradeNo: "XD20990101000001",
		NotifyURL: s.a.srv.URL + "/pay/notify/wechatpay", Total: int64(o.Payable)}); err != nil {
		t.Fatal(err)
	}
	d, err := s.g.Pay("XD20990101000001", "")
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != http.StatusBadRequest || !strings.Contains(d.Response, `"code":"FAIL"`) {
		t.Errorf("unknown out_trade_no: answered %d %s, want 400 FAIL", d.Status, d.Response)
	}
	if after := s.state(t, o.ID, pay.ID); after != before {
		t.Errorf("unknown out_trade_no changed %+v into %+v", before, after)
	}

	// The true callback, then duplicates.
	d, err = s.g.Notify(pay.OutTradeNo)
	if err != nil || d.Status != http.StatusNoContent {
		t.Fatalf("true callback: %v %+v", err, d)
	}
	paid := s.state(t, o.ID, pay.ID)
	fo, _ := s.g.Order(pay.OutTradeNo)
	want := before
	want.orderStatus, want.orderPaid, want.paymentID = store.StatusToShip, o.Payable, pay.ID
	want.payStatus, want.payTxn, want.payLogs = store.PaymentPaid, fo.TransactionID, before.payLogs+1
	if paid != want {
		t.Fatalf("after the true callback %+v, want %+v", paid, want)
	}
	again, err := s.g.Redeliver(d)
	if err != nil {
		t.Fatal(err)
	}
	if again.Status != http.StatusNoContent {
		t.Errorf("redelivered: %d %s", again.Status, again.Response)
	}
	if d, err := s.g.Notify(pay.OutTradeNo); err != nil || d.Status != http.StatusNoContent {
		t.Errorf("notified again: %v %+v", err, d)
	}
	s.a.Handler.WaitBackground()
	if after := s.state(t, o.ID, pay.ID); after != paid {
		t.Errorf("duplicates changed %+v into %+v", paid, after)
	}
}

// merchantClient is a WeChat Pay client of the fake's merchant, for
// placing orders the shop knows nothing of.
func merchantClient(t *testing.T, g *wechatpaytest.Gateway) *wechatpay.Client {
	t.Helper()
	key, err := wechatpay.ParsePrivateKey([]byte(g.MchPrivateKeyPEM))
	if err != nil {
		t.Fatal(err)
	}
	pub, _, err := wechatpay.ParsePublicKey([]byte(g.PublicKeyPEM))
	if err != nil {
		t.Fatal(err)
	}
	c, err := wechatpay.NewClient(wechatpay.Config{MchID: g.MchID, AppID: g.AppID, MchSerialNo: g.MchSerialNo, MchKey: key,
		APIv3Key: []byte(g.APIv3Key), PublicKeyID: g.PublicKeyID, PlatformKeys: map[string]*rsa.PublicKey{g.PublicKeyID: pub},
		BaseURL: g.URL})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestWeChatPayLostCallback: the payer paid at the gateway but no callback
// came. Before the delay the job leaves the attempt alone; past it the job
// asks the gateway and applies the payment like the callback, recorded as
// applied by query and reported in 对账. The callback arriving after all
// changes nothing.
func TestWeChatPayLostCallback(t *testing.T) {
	s := newWxShop(t, wechatpaytest.ModePublicKey)
	ctx := t.Context()
	o := s.order(t, 0, 0, 3)
	s.startPay(t, s.buyer, desktopUA, o)
	pay := s.attempt(t, o.ID)
	if err := s.g.MarkPaid(pay.OutTradeNo, ""); err != nil {
		t.Fatal(err)
	}
	sum, err := s.a.Handler.Reconcile(ctx)
	if err != nil || sum.Checked != 0 || sum.Paid != 0 {
		t.Fatalf("reconcile at once: %+v %v", sum, err)
	}
	if got := s.orderNow(t, o.ID); got.Status != store.StatusPendingPayment {
		t.Fatalf("order %s before the delay", got.Status)
	}

	s.later(t, 3*time.Minute)
	sum, err = s.a.Handler.Reconcile(ctx)
	if err != nil || sum.Checked != 1 || sum.Paid != 1 || sum.Errors != 0 {
		t.Fatalf("reconcile: %+v %v", sum, err)
	}
	fo, _ := s.g.Order(pay.OutTradeNo)
	got := s.orderNow(t, o.ID)
	if got.Status != store.StatusToShip || got.Paid != o.Payable || got.PaymentID != pay.ID {
		t.Fatalf("order %s paid %s payment %d", got.Status, got.Paid, got.PaymentID)
	}
	rec := s.record(t, pay.OutTradeNo)
	if rec.AppliedBy != store.AppliedByQuery || rec.ProviderTxnID != fo.TransactionID || rec.Status != store.PaymentPaid {
		t.Fatalf("payment record %+v", rec)
	}
	resp, body := s.a.get(t, "/admin/reconciliation")
	mustStatus(t, "reconciliation", resp, body, http.StatusOK)
	row := findingRow(body, pay.OutTradeNo)
	if !strings.Contains(row, "查询到已支付，已补单") || !strings.Contains(row, fo.TransactionID) || !strings.Contains(row, o.Payable.String()) {
		t.Fatalf("no paid_by_query finding for %s:\n%s", pay.OutTradeNo, row)
	}
	rep, err := s.a.DB.ReconcileReportOf(ctx, time.Now().Add(-time.Hour), time.Now().Add(time.Hour), time.Now(), time.Local, 10)
	if err != nil || len(rep.Findings) != 1 || rep.Findings[0].Kind != store.ReconcilePaidByQuery || rep.Findings[0].Amount != o.Payable {
		t.Fatalf("findings %+v %v", rep, err)
	}
	if total := rep.Totals["wechatpay"]; total.ByQuery != 1 || total.PaidAmount != o.Payable {
		t.Errorf("totals %+v", total)
	}

	st := s.state(t, o.ID, pay.ID)
	d, err := s.g.Notify(pay.OutTradeNo)
	if err != nil || d.Status != http.StatusNoContent {
		t.Fatalf("the late callback: %v %+v", err, d)
	}
	s.a.Handler.WaitBackground()
	if after := s.state(t, o.ID, pay.ID); after != st || after.refunds != 0 {
		t.Fatalf("the late callback changed %+v into %+v", st, after)
	}
}

// findingRow is the reconciliation report's row of the attempt numbered out.
func findingRow(body, out string) string {
	for _, row := range strings.Split(body, `<tr data-testid="finding-row">`)[1:] {
		row, _, _ = strings.Cut(row, "</tr>")
		if strings.Contains(row, out) {
			return row
		}
	}
	return ""
}

// cancel cancels the buyer's unpaid order from its page.
func (s *wxShop) cancel(t *testing.T, o *store.Order) {
	t.Helper()
	resp, body := s.buyer.postForm(t, fmt.Sprintf("/orders/%d/cancel", o.ID), url.Values{"reason": {"不想要了"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("cancel: %d %.400s", resp.StatusCode, body)
	}
	if got := s.orderNow(t, o.ID); got.Status != store.StatusCancelled {
		t.Fatalf("order %s after cancelling", got.Status)
	}
}

// TestWeChatPayLatePayment: the order is cancelled, then the payer pays the
// old attempt. The callback is acknowledged, the whole amount goes back
// through the gateway under one refund (pending: WeChat answers
// PROCESSING), the refund callback finishes it — the attempt refunded_late
// — and the order stays cancelled. Duplicates start no second refund.
func TestWeChatPayLatePayment(t *testing.T) {
	s := newWxShop(t, wechatpaytest.ModePublicKey)
	o := s.order(t, 0, 0, 1)
	s.startPay(t, s.buyer, desktopUA, o)
	pay := s.attempt(t, o.ID)
	fo, _ := s.g.Order(pay.OutTradeNo)
	s.cancel(t, o)

	d, err := s.g.PayCodeURL(fo.CodeURL, "")
	if err != nil || d.Status != http.StatusNoContent {
		t.Fatalf("late callback: %v %+v", err, d)
	}
	s.a.Handler.WaitBackground()
	refunds := s.refunds(t, o.No)
	if len(refunds) != 1 {
		t.Fatalf("%d refunds, want 1", len(refunds))
	}
	r := refunds[0]
	if r.OutRefundNo != "L"+pay.OutTradeNo || r.Amount != o.Payable || r.Status != store.RefundPending || r.AftersaleID != 0 {
		t.Fatalf("late refund %+v", r)
	}
	fr, ok := s.g.Refund(r.OutRefundNo)
	if !ok || fr.Amount != int64(o.Payable) || fr.Status != "PROCESSING" || fr.NotifyURL != s.a.srv.URL+"/pay/notify/wechatpay" {
		t.Fatalf("the fake's refund %+v", fr)
	}
	if p, _ := s.a.DB.PaymentByID(t.Context(), pay.ID); p.Status != store.PaymentPaid || p.Refunded != 0 {
		t.Fatalf("payment %s refunded %s while the refund is pending", p.Status, p.Refunded)
	}
	if again, err := s.g.Redeliver(d); err != nil || again.Status != http.StatusNoContent {
		t.Fatalf("redelivered: %v %+v", err, again)
	}
	s.a.Handler.WaitBackground()

	rd, err := s.g.FinishRefund(r.OutRefundNo, "SUCCESS")
	if err != nil || rd.Status != http.StatusNoContent {
		t.Fatalf("refund callback: %v %+v", err, rd)
	}
	p, _ := s.a.DB.PaymentByID(t.Context(), pay.ID)
	if p.Status != store.PaymentRefundedLate || p.Refunded != o.Payable {
		t.Fatalf("payment %s refunded %s", p.Status, p.Refunded)
	}
	refunds = s.refunds(t, o.No)
	if len(refunds) != 1 || refunds[0].Status != store.RefundSucceeded || refunds[0].ProviderRefundID != fr.RefundID {
		t.Fatalf("refunds %+v", refunds)
	}
	if got := s.orderNow(t, o.ID); got.Status != store.StatusCancelled || got.Paid != 0 || got.PaymentID != 0 {
		t.Fatalf("order %s paid %s payment %d", got.Status, got.Paid, got.PaymentID)
	}
	if fo, _ := s.g.Order(pay.OutTradeNo); fo.Refunded != int64(o.Payable) {
		t.Fatalf("the fake refunded %d", fo.Refunded)
	}
}

// TestWeChatPayLateRefundResent: a late payment's refund the gateway never
// took (it failed with SYSTEM_ERROR) stays pending; the job asks the
// gateway, which knows no such refund, and sends it again under the same
// number; its callback finishes it.
func TestWeChatPayLateRefundResent(t *testing.T) {
	s := newWxShop(t, wechatpaytest.ModePublicKey)
	ctx := t.Context()
	o := s.order(t, 0, 0, 1)
	s.startPay(t, s.buyer, desktopUA, o)
	pay := s.attempt(t, o.ID)
	s.cancel(t, o)
	s.g.FailNext(http.StatusInternalServerError, "SYSTEM_ERROR", "系统超时")
	if d, err := s.g.Pay(pay.OutTradeNo, ""); err != nil || d.Status != http.StatusNoContent {
		t.Fatalf("late callback: %v %+v", err, d)
	}
	s.a.Handler.WaitBackground()
	no := "L" + pay.OutTradeNo
	if _, ok := s.g.Refund(no); ok {
		t.Fatal("the gateway took the refund it failed")
	}
	if rs := s.refunds(t, o.No); len(rs) != 1 || rs[0].OutRefundNo != no || rs[0].Status != store.RefundPending {
		t.Fatalf("refunds %+v", rs)
	}
	if sum, err := s.a.Handler.Reconcile(ctx); err != nil || sum.Refunds != 0 || sum.LateRefunds != 0 {
		t.Fatalf("reconcile at once: %+v %v", sum, err)
	}

	s.later(t, 3*time.Minute)
	sum, err := s.a.Handler.Reconcile(ctx)
	if err != nil || sum.Refunds != 1 || sum.Errors != 0 {
		t.Fatalf("reconcile: %+v %v", sum, err)
	}
	fr, ok := s.g.Refund(no)
	if !ok || fr.Amount != int64(o.Payable) || fr.Status != "PROCESSING" {
		t.Fatalf("the fake's refund after resending: %+v %v", fr, ok)
	}
	if rs := s.refunds(t, o.No); len(rs) != 1 || rs[0].Status != store.RefundPending {
		t.Fatalf("refunds after resending %+v", rs)
	}
	if d, err := s.g.FinishRefund(no, "SUCCESS"); err != nil || d.Status != http.StatusNoContent {
		t.Fatalf("refund callback: %v %+v", err, d)
	}
	p, _ := s.a.DB.PaymentByID(ctx, pay.ID)
	if p.Status != store.PaymentRefundedLate || p.Refunded != o.Payable {
		t.Fatalf("payment %s refunded %s", p.Status, p.Refunded)
	}
	rep, err := s.a.DB.ReconcileReportOf(ctx, time.Now().Add(-time.Hour), time.Now().Add(time.Hour), time.Now(), time.Local, 10)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, f := range rep.Findings {
		kinds[f.Kind]++
	}
	if kinds[store.ReconcileLateRefundFailed] != 1 || kinds[store.ReconcileRefundResent] != 1 {
		t.Errorf("findings %v", kinds)
	}
}

// TestWeChatPayCancelledAttemptClosed: an order cancelled on our side has
// its attempt closed at the gateway by the job, so the old QR code can no
// longer be paid.
func TestWeChatPayCancelledAttemptClosed(t *testing.T) {
	s := newWxShop(t, wechatpaytest.ModePublicKey)
	ctx := t.Context()
	o := s.order(t, 0, 0, 1)
	s.startPay(t, s.buyer, desktopUA, o)
	pay := s.attempt(t, o.ID)
	s.cancel(t, o)
	if p, _ := s.a.DB.PaymentByID(ctx, pay.ID); p.Status != store.PaymentClosed {
		t.Fatalf("attempt %s after cancelling", p.Status)
	}
	if fo, _ := s.g.Order(pay.OutTradeNo); fo.State != "NOTPAY" {
		t.Fatalf("the fake's order %s before the job", fo.State)
	}
	s.later(t, 3*time.Minute)
	sum, err := s.a.Handler.Reconcile(ctx)
	if err != nil || sum.Closed != 1 || sum.Paid != 0 || sum.Errors != 0 {
		t.Fatalf("reconcile: %+v %v", sum, err)
	}
	fo, _ := s.g.Order(pay.OutTradeNo)
	if fo.State != "CLOSED" || !hasRequest(s.g, "POST /v3/pay/transactions/out-trade-no/"+pay.OutTradeNo+"/close") {
		t.Fatalf("the fake's order %s; requests %v", fo.State, s.g.Requests())
	}
	if _, err := s.g.PayCodeURL(fo.CodeURL, ""); err == nil {
		t.Fatal("the closed order was paid")
	}
	if sum, err := s.a.Handler.Reconcile(ctx); err != nil || sum.Checked != 0 {
		t.Errorf("second run checked again: %+v %v", sum, err)
	}
	if got := s.orderNow(t, o.ID); got.Status != store.StatusCancelled {
		t.Fatalf("order %s", got.Status)
	}
	rep, err := s.a.DB.ReconcileReportOf(ctx, time.Now().Add(-time.Hour), time.Now().Add(time.Hour), time.Now(), time.Local, 10)
	if err != nil || len(rep.Findings) != 1 || rep.Findings[0].Kind != store.ReconcileGatewayClosed {
		t.Fatalf("findings %+v %v", rep, err)
	}
}

// anyFlash is the page's flash after a redirect, with its kind.
func anyFlash(t *testing.T, a *testApp, path string) (kind, msg string) {
	t.Helper()
	resp, body := a.get(t, path)
	mustStatus(t, path, resp, body, http.StatusOK)
	m := regexp.MustCompile(`<div class="flash flash-([a-z]+)" role="status">([^<]*)</div>`).FindStringSubmatch(body)
	if m == nil {
		return "", ""
	}
	return m[1], html.UnescapeString(m[2])
}

// requestRefund has the buyer ask for 仅退款 of all of the order's line and
// staff approve it.
func (s *wxShop) requestRefund(t *testing.T, o *store.Order) *store.Aftersale {
	t.Helper()
	l := o.Lines[0]
	form := url.Values{"kind": {"refund_only"}, "qty": {fmt.Sprint(l.Qty)}, "reason": {"not_wanted"}, "line": {fmt.Sprint(l.ID)}}
	resp, body := s.buyer.admMultipart(t, fmt.Sprintf("/orders/%d/aftersale", o.ID), form, nil, nil)
	m := aftersaleLocation.FindStringSubmatch(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || m == nil {
		t.Fatalf("request 仅退款: %d %.400s", resp.StatusCode, body)
	}
	var id int64
	fmt.Sscan(m[1], &id)
	if resp, _ := s.a.postForm(t, adminAftersaleURL(id)+"/approve", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("approve: %d", resp.StatusCode)
	}
	if kind, msg := anyFlash(t, s.a, adminAftersaleURL(id)); kind != "success" || msg != "已同意" {
		t.Fatalf("approve flash %s %q", kind, msg)
	}
	as := s.aftersale(t, id)
	if as.Status != store.AftersaleApproved || as.Amount != o.Paid {
		t.Fatalf("after-sale %s for %s of %s paid", as.Status, as.Amount, o.Paid)
	}
	return as
}

func (s *wxShop) aftersale(t *testing.T, id int64) *store.Aftersale {
	t.Helper()
	as, err := s.a.DB.AftersaleByID(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return as
}

// staffRefund presses 退款 on the after-sale and answers the flash and
// the newest refund.
func (s *wxShop) staffRefund(t *testing.T, o *store.Order, as *store.Aftersale) (kind, msg string, r store.RefundRecord) {
	t.Helper()
	resp, _ := s.a.postForm(t, adminAftersaleURL(as.ID)+"/refund", url.Values{"restock": {"1"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != adminAftersaleURL(as.ID) {
		t.Fatalf("refund: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	kind, msg = anyFlash(t, s.a, adminAftersaleURL(as.ID))
	if rs := s.refunds(t, o.No); len(rs) > 0 {
		r = rs[0]
	}
	return kind, msg, r
}

// refundPending checks a refund sent and pending at the gateway: our row,
// the fake's PROCESSING refund of the after-sale's amount, the page saying
// so, and nothing refunded yet.
func (s *wxShop) refundPending(t *testing.T, o *store.Order, as *store.Aftersale, kind, msg string, r store.RefundRecord) wechatpaytest.Refund {
	t.Helper()
	if kind != "info" || msg != "退款已提交，等待支付渠道处理" {
		t.Fatalf("refund flash %s %q", kind, msg)
	}
	if r.Status != store.RefundPending || r.AftersaleID != as.ID || r.Amount != as.Amount || r.Provider != "wechatpay" {
		t.Fatalf("refund %+v", r)
	}
	fr, ok := s.g.Refund(r.OutRefundNo)
	if !ok || fr.Status != "PROCESSING" || fr.Amount != int64(as.Amount) || fr.OutTradeNo != s.attempt(t, o.ID).OutTradeNo ||
		fr.NotifyURL != s.a.srv.URL+"/pay/notify/wechatpay" {
		t.Fatalf("the fake's refund %+v", fr)
	}
	if r.ProviderRefundID != fr.RefundID {
		t.Errorf("refund id %q, the gateway's %q", r.ProviderRefundID, fr.RefundID)
	}
	_, body := s.a.get(t, adminAftersaleURL(as.ID))
	if !strings.Contains(body, "退款已提交，等待支付渠道处理") || strings.Contains(body, `data-testid="refund"`) {
		t.Error("the after-sale page does not show the refund pending, or offers 退款 again")
	}
	if got := s.aftersale(t, as.ID); got.Status != store.AftersaleApproved {
		t.Fatalf("after-sale %s while the refund is pending", got.Status)
	}
	if p, _ := s.a.DB.PaymentByID(t.Context(), s.attempt(t, o.ID).ID); p.Refunded != 0 {
		t.Fatalf("payment refunded %s while the refund is pending", p.Refunded)
	}
	return fr
}

// refunded checks an after-sale refunded in full: the order closed, the
// payment's refunded_fen exactly what was paid.
func (s *wxShop) refunded(t *testing.T, o *store.Order, as *store.Aftersale) {
	t.Helper()
	if got := s.aftersale(t, as.ID); got.Status != store.AftersaleRefunded {
		t.Fatalf("after-sale %s", got.Status)
	}
	got := s.orderNow(t, o.ID)
	if got.Status != store.StatusClosed || got.Refunded != o.Paid {
		t.Fatalf("order %s refunded %s of %s", got.Status, got.Refunded, o.Paid)
	}
	if p, _ := s.a.DB.PaymentByID(t.Context(), got.PaymentID); p.Refunded != o.Paid || p.Status != store.PaymentPaid {
		t.Fatalf("payment %s refunded %s of %s", p.Status, p.Refunded, o.Paid)
	}
	if fo, _ := s.g.Order(s.attempt(t, o.ID).OutTradeNo); fo.Refunded != int64(o.Paid) {
		t.Fatalf("the fake refunded %d of %d", fo.Refunded, o.Paid)
	}
}

// TestWeChatPayAftersaleRefund: the buyer asks for 仅退款 of a paid order,
// staff approve and refund it from the back office; WeChat answers
// PROCESSING and the refund stays pending (pressing 退款 again sends
// nothing) until the REFUND.SUCCESS callback: the after-sale refunded, the
// order closed, the payment's refunded_fen exact. The callback again changes
// nothing. Callbacks are signed by the public key and the certificate in
// turn (a merchant migrating).
func TestWeChatPayAftersaleRefund(t *testing.T) {
	s := newWxShop(t, wechatpaytest.ModeBoth)
	o := s.order(t, 0, 0, 2)
	s.payNative(t, o)
	o = s.orderNow(t, o.ID)
	as := s.requestRefund(t, o)
	kind, msg, r := s.staffRefund(t, o, as)
	s.refundPending(t, o, as, kind, msg, r)

	if kind, _, _ := s.staffRefund(t, o, as); kind == "success" || kind == "info" {
		t.Errorf("退款 pressed again while pending: %s", kind)
	}
	if rs := s.refunds(t, o.No); len(rs) != 1 {
		t.Fatalf("%d refunds after pressing 退款 twice", len(rs))
	}

	d, err := s.g.FinishRefund(r.OutRefundNo, "SUCCESS")
	if err != nil || d.Status != http.StatusNoContent || d.Event != "REFUND.SUCCESS" {
		t.Fatalf("refund callback: %v %+v", err, d)
	}
	s.refunded(t, o, as)
	rs := s.refunds(t, o.No)
	if len(rs) != 1 || rs[0].Status != store.RefundSucceeded {
		t.Fatalf("refunds %+v", rs)
	}
	if again, err := s.g.Redeliver(d); err != nil || again.Status != http.StatusNoContent {
		t.Fatalf("redelivered refund callback: %v %+v", err, again)
	}
	s.refunded(t, o, as)
	if _, body := s.buyer.get(t, fmt.Sprintf("/aftersales/%d", as.ID)); !strings.Contains(body, "退款成功") {
		t.Error("the buyer's after-sale page does not say 退款成功")
	}
}

// TestWeChatPayRefundFailedThenRetried: REFUND.ABNORMAL and REFUND.CLOSED
// each mark the refund failed, leaving the after-sale approved and
// refundable; the third refund succeeds, and the money went back once.
func TestWeChatPayRefundFailedThenRetried(t *testing.T) {
	s := newWxShop(t, wechatpaytest.ModePublicKey)
	o := s.order(t, 0, 0, 1)
	s.payNative(t, o)
	o = s.orderNow(t, o.ID)
	as := s.requestRefund(t, o)
	var numbers []string
	for _, end := range []string{"ABNORMAL", "CLOSED"} {
		kind, msg, r := s.staffRefund(t, o, as)
		s.refundPending(t, o, as, kind, msg, r)
		numbers = append(numbers, r.OutRefundNo)
		d, err := s.g.FinishRefund(r.OutRefundNo, end)
		if err != nil || d.Status != http.StatusNoContent || d.Event != "REFUND."+end {
			t.Fatalf("%s callback: %v %+v", end, err, d)
		}
		if rs := s.refunds(t, o.No); rs[0].OutRefundNo != r.OutRefundNo || rs[0].Status != store.RefundFailed {
			t.Fatalf("after %s: refund %+v", end, rs[0])
		}
		if got := s.aftersale(t, as.ID); got.Status != store.AftersaleApproved {
			t.Fatalf("after %s: after-sale %s", end, got.Status)
		}
		if got := s.orderNow(t, o.ID); got.Status != store.StatusToShip || got.Refunded != 0 {
			t.Fatalf("after %s: order %s refunded %s", end, got.Status, got.Refunded)
		}
		if _, body := s.a.get(t, adminAftersaleURL(as.ID)); !strings.Contains(body, `data-testid="refund"`) {
			t.Fatalf("after %s: 退款 not offered again", end)
		}
	}
	kind, msg, r := s.staffRefund(t, o, as)
	s.refundPending(t, o, as, kind, msg, r)
	numbers = append(numbers, r.OutRefundNo)
	if numbers[0] == numbers[1] || numbers[1] == numbers[2] || numbers[0] == numbers[2] {
		t.Fatalf("refund numbers reused: %v", numbers)
	}
	if d, err := s.g.FinishRefund(r.OutRefundNo, "SUCCESS"); err != nil || d.Status != http.StatusNoContent {
		t.Fatalf("refund callback: %v %+v", err, d)
	}
	s.refunded(t, o, as)
	statuses := map[string]int{}
	for _, r := range s.refunds(t, o.No) {
		statuses[r.Status]++
	}
	if statuses[store.RefundFailed] != 2 || statuses[store.RefundSucceeded] != 1 || len(statuses) != 2 {
		t.Fatalf("refund statuses %v", statuses)
	}
}

// TestWeChatPayRefundReconciled: a pending refund whose callback never
// arrives in a form the shop can trust (the one delivered carries a wrong
// signature: refused, nothing changes) is finished by the job's refund
// query once it is old enough; the true callback later changes nothing.
func TestWeChatPayRefundReconciled(t *testing.T) {
	s := newWxShop(t, wechatpaytest.ModePublicKey)
	ctx := t.Context()
	o := s.order(t, 0, 0, 1)
	s.payNative(t, o)
	o = s.orderNow(t, o.ID)
	as := s.requestRefund(t, o)
	kind, msg, r := s.staffRefund(t, o, as)
	s.refundPending(t, o, as, kind, msg, r)

	d, err := s.g.FinishRefund(r.OutRefundNo, "SUCCESS", wechatpaytest.WrongSignature())
	if err != nil || d.Status != http.StatusBadRequest {
		t.Fatalf("forged refund callback: %v %+v", err, d)
	}
	if rs := s.refunds(t, o.No); len(rs) != 1 || rs[0].Status != store.RefundPending {
		t.Fatalf("refunds after a forged callback %+v", rs)
	}
	if sum, err := s.a.Handler.Reconcile(ctx); err != nil || sum.Refunds != 0 {
		t.Fatalf("reconcile at once: %+v %v", sum, err)
	}
	if got := s.aftersale(t, as.ID); got.Status != store.AftersaleApproved {
		t.Fatalf("after-sale %s before the job", got.Status)
	}

	s.later(t, 3*time.Minute)
	sum, err := s.a.Handler.Reconcile(ctx)
	if err != nil || sum.Refunds != 1 || sum.Errors != 0 {
		t.Fatalf("reconcile: %+v %v", sum, err)
	}
	s.refunded(t, o, as)
	if rs := s.refunds(t, o.No); len(rs) != 1 || rs[0].Status != store.RefundSucceeded {
		t.Fatalf("refunds %+v", rs)
	}
	rep, err := s.a.DB.ReconcileReportOf(ctx, time.Now().Add(-time.Hour), time.Now().Add(time.Hour), time.Now(), time.Local, 10)
	if err != nil || len(rep.Findings) != 1 || rep.Findings[0].Kind != store.ReconcileRefundSucceeded || rep.Findings[0].Amount != as.Amount {
		t.Fatalf("findings %+v %v", rep, err)
	}
	if d, err := s.g.FinishRefund(r.OutRefundNo, "SUCCESS"); err != nil || d.Status != http.StatusNoContent {
		t.Fatalf("the true callback, late: %v %+v", err, d)
	}
	s.refunded(t, o, as)
}

// TestWeChatPayAftersaleRefundSystemError: WeChat's 申请退款 answering 500
// SYSTEM_ERROR (系统超时) does not say the refund failed — its
// documentation asks to retry with the same out_refund_no — so the refund
// must stay pending for the job to ask about and send again under the same
// number, never be retried under a new one.
func TestWeChatPayAftersaleRefundSystemError(t *testing.T) {
	s := newWxShop(t, wechatpaytest.ModePublicKey)
	ctx := t.Context()
	o := s.order(t, 0, 0, 1)
	s.payNative(t, o)
	o = s.orderNow(t, o.ID)
	as := s.requestRefund(t, o)
	s.g.FailNext(http.StatusInternalServerError, "SYSTEM_ERROR", "系统超时")
	_, _, r := s.staffRefund(t, o, as)
	if r.Status != store.RefundPending {
		t.Fatalf("refund %s after SYSTEM_ERROR, want pending", r.Status)
	}
	s.later(t, 3*time.Minute)
	if sum, err := s.a.Handler.Reconcile(ctx); err != nil || sum.Refunds != 1 {
		t.Fatalf("reconcile: %+v %v", sum, err)
	}
	if fr, ok := s.g.Refund(r.OutRefundNo); !ok || fr.Status != "PROCESSING" {
		t.Fatalf("not sent again under %s: %+v", r.OutRefundNo, fr)
	}
	if d, err := s.g.FinishRefund(r.OutRefundNo, "SUCCESS"); err != nil || d.Status != http.StatusNoContent {
		t.Fatalf("refund callback: %v %+v", err, d)
	}
	s.refunded(t, o, as)
}
