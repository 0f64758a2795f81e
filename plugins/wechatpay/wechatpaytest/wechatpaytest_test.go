package wechatpaytest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/xiaodian/xiaodian/plugins/wechatpay"
	"github.com/xiaodian/xiaodian/plugins/wechatpay/wechatpaytest"
)

// signedRequest sends a request signed with the gateway's merchant key.
func signedRequest(t *testing.T, g *wechatpaytest.Gateway, method, path, body string, hdr map[string]string) (*http.Response, []byte) {
	t.Helper()
	key, err := wechatpay.ParsePrivateKey([]byte(g.MchPrivateKeyPEM))
	if err != nil {
		t.Fatal(err)
	}
	cfg := wechatpay.Config{MchID: g.MchID, MchSerialNo: g.MchSerialNo, MchKey: key}
	auth, err := cfg.Authorization(method, path, []byte(body), time.Now(), wechatpay.Nonce())
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(method, g.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", auth)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func prepayBody(g *wechatpaytest.Gateway, no, notify, expire string) string {
	b, _ := json.Marshal(map[string]any{"appid": g.AppID, "mchid": g.MchID, "description": "测试", "out_trade_no": no,
		"notify_url": notify, "time_expire": expire, "amount": map[string]any{"total": 100, "currency": "CNY"}})
	return string(b)
}

func TestGatewayChecksRequests(t *testing.T) {
	g := wechatpaytest.New(t)
	// No or a wrong signature: an unsigned 401 SIGN_ERROR.
	resp, err := http.Post(g.URL+"/v3/pay/transactions/native", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 401 || !bytes.Contains(b, []byte(`"SIGN_ERROR"`)) || resp.Header.Get("Wechatpay-Signature") != "" {
		t.Fatalf("unsigned request: %d %s %v", resp.StatusCode, b, resp.Header)
	}
	expire := time.Now().Add(time.Hour).In(time.FixedZone("CST", 8*3600)).Format(time.RFC3339)
	for _, tt := range []struct {
		name, body string
		status     int
		code       string
	}{
		{"good", prepayBody(g, "G000001", "https://shop.example/pay/notify/wechatpay", expire), 200, ""},
		{"same order again", prepayBody(g, "G000001", "https://shop.example/pay/notify/wechatpay", expire), 200, ""},
		{"loopback http notify", prepayBody(g, "G000002", "http://127.0.0.1:8080/pay/notify/wechatpay", ""), 200, ""},
		{"notify with query", prepayBody(g, "G000003", "https://shop.example/n?a=1", ""), 400, "PARAM_ERROR"},
		{"http notify", prepayBody(g, "G000004", "http://shop.example/n", ""), 400, "PARAM_ERROR"},
		{"UTC time_expire", prepayBody(g, "G000005", "https://shop.example/n", time.Now().Add(time.Hour).UTC().Format(time.RFC3339)), 400, "PARAM_ERROR"},
		{"short out_trade_no", prepayBody(g, "G1", "https://shop.example/n", ""), 400, "PARAM_ERROR"},
		{"other appid", strings.Replace(prepayBody(g, "G000006", "https://shop.example/n", ""), g.AppID, "wx0000000000000000", 1), 400, "APPID_MCHID_NOT_MATCH"},
		{"not JSON", "{", 400, "PARAM_ERROR"},
	} {
		resp, b := signedRequest(t, g, "POST", "/v3/pay/transactions/native", tt.body, nil)
		if resp.StatusCode != tt.status || (tt.code != "" && !bytes.Contains(b, []byte(`"`+tt.code+`"`))) ||
			resp.Header.Get("Wechatpay-Signature") == "" {
			t.Errorf("%s: %d %s", tt.name, resp.StatusCode, b)
		}
	}
	if err := g.MarkPaid("G000001", ""); err != nil {
		t.Fatal(err)
	}
	if resp, b := signedRequest(t, g, "POST", "/v3/pay/transactions/native", prepayBody(g, "G000001", "https://shop.example/n", ""), nil); resp.StatusCode != 400 || !bytes.Contains(b, []byte("ORDERPAID")) {
		t.Errorf("paid order placed again: %d %s", resp.StatusCode, b)
	}
	// Answers are signed with the public key when the request names it,
	// else with the certificate.
	resp, _ = signedRequest(t, g, "GET", "/v3/pay/transactions/out-trade-no/G000001?mchid="+g.MchID, "", map[string]string{"Wechatpay-Serial": g.PublicKeyID})
	if resp.Header.Get("Wechatpay-Serial") != g.PublicKeyID {
		t.Errorf("answer signed with %q", resp.Header.Get("Wechatpay-Serial"))
	}
	resp, _ = signedRequest(t, g, "GET", "/v3/pay/transactions/out-trade-no/G000001?mchid="+g.MchID, "", nil)
	if resp.Header.Get("Wechatpay-Serial") != g.CertSerial {
		t.Errorf("answer signed with %q", resp.Header.Get("Wechatpay-Serial"))
	}
}

func TestGatewayCertificatesAndFailedDelivery(t *testing.T) {
	g := wechatpaytest.New(t)
	key, _ := wechatpay.ParsePrivateKey([]byte(g.MchPrivateKeyPEM))
	c, err := wechatpay.NewClient(wechatpay.Config{MchID: g.MchID, AppID: g.AppID, MchSerialNo: g.MchSerialNo, MchKey: key,
		APIv3Key: []byte(g.APIv3Key), DownloadCertificates: true, BaseURL: g.URL})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	certs, err := c.DownloadCertificates(ctx)
	if err != nil || len(certs) != 1 || certs[0].Serial != g.CertSerial || certs[0].PEM != g.CertPEM {
		t.Fatalf("certificates: %+v %v", certs, err)
	}
	second := g.RotateCertificate()
	if certs, err := c.DownloadCertificates(ctx); err != nil || len(certs) != 2 || certs[1].Serial != second {
		t.Fatalf("after rotation: %+v %v", certs, err)
	}
	// A shop that is down: the order is paid, the delivery fails.
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	if _, err := c.PrepayNative(ctx, wechatpay.Order{Description: "d", OutTradeNo: "CB00001", NotifyURL: down.URL + "/n", Total: 5}); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Pay("CB00001", ""); err == nil {
		t.Fatal("delivered to a shop that is down")
	}
	if o, _ := g.Order("CB00001"); o.State != "SUCCESS" || len(o.TransactionID) != 28 {
		t.Fatalf("order %+v", o)
	}
	if len(g.Deliveries()) != 0 {
		t.Fatal("a failed delivery recorded")
	}
	if d, err := g.FinishRefund("NOPE", "SUCCESS"); d != nil || err == nil {
		t.Fatal("finished a refund that does not exist")
	}
}
