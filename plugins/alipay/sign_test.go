package alipay

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"net/url"
	"sync"
	"testing"

	"github.com/xiaodian/xiaodian/store"
)

var (
	keysOnce          sync.Once
	appKey, alipayKey *rsa.PrivateKey
)

// testKeys returns two 2048-bit keys made once per test binary: the app's
// and Alipay's.
func testKeys(t testing.TB) (*rsa.PrivateKey, *rsa.PrivateKey) {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		if appKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if alipayKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	return appKey, alipayKey
}

// TestCanonicalRequestExample is the worked example of Alipay's 自行实现签名
// page (筛选并排序, 拼接): the request parameters and the 待签名字符串 it
// gives for them (https://docs.open.alipay.com/291/106118, the address its
// copies cite). Its sign value belongs to a key the page does not publish,
// so only the string is checked.
func TestCanonicalRequestExample(t *testing.T) {
	biz := `{"button":[{"actionParam":"ZFB_HFCZ","actionType":"out","name":"话费充值"},{"name":"查询","subButton":[{"actionParam":"ZFB_YECX","actionType":"out","name":"余额查询"},{"actionParam":"ZFB_LLCX","actionType":"out","name":"流量查询"},{"actionParam":"ZFB_HFCX","actionType":"out","name":"话费查询"}]},{"actionParam":"http://m.alipay.com","actionType":"link","name":"最新优惠"}]}`
	v := url.Values{
		"app_id": {"2014072300007148"}, "method": {"alipay.mobile.public.menu.add"}, "charset": {"GBK"},
		"sign_type": {"RSA2"}, "timestamp": {"2014-07-24 03:07:50"}, "biz_content": {biz},
		"sign":    {"e9zEAe4TTQ4LPLQvETPoLGXTiURcxiAKfMVQ6Hrrsx2hmyIEGvSfAQzbLxHrhyZ48wOJXTsD4FPnt+YGdK57+fP1BCbf9rIVycfjhYCqlFhbTu9pFnZgT55W+xbAFb9y7vL0MyAxwXUXvZtQVqEwW7pURtKilbcBTEW7TAxzgro="},
		"version": {"1.0"},
	}
	want := "app_id=2014072300007148&biz_content=" + biz + "&charset=GBK&method=alipay.mobile.public.menu.add&sign_type=RSA2&timestamp=2014-07-24 03:07:50&version=1.0"
	if got := Canonical(v); got != want {
		t.Errorf("request canonical:\n got %s\nwant %s", got, want)
	}
}

func TestCanonical(t *testing.T) {
	// The notification example of Alipay's 异步通知 / 异步通知验签 docs (its
	// fields and the string they sign; the page's current address could not
	// be looked up here). Its sign is a placeholder: no signature to check.
	v := url.Values{
		"total_amount": {"2.00"}, "buyer_id": {"2088102116773037"}, "body": {"大乐透2.1"},
		"trade_no": {"2016071921001003030200089909"}, "refund_fee": {"0.00"},
		"notify_time": {"2016-07-19 14:10:49"}, "subject": {"大乐透2.1"}, "sign_type": {"RSA2"},
		"charset": {"utf-8"}, "notify_type": {"trade_status_sync"}, "out_trade_no": {"0719141034-6418"},
		"gmt_close": {"2016-07-19 14:10:46"}, "gmt_payment": {"2016-07-19 14:10:47"},
		"trade_status": {"TRADE_SUCCESS"}, "version": {"1.0"}, "sign": {"xxx"},
		"gmt_create": {"2016-07-19 14:10:44"}, "app_id": {"2015102700040153"},
		"seller_id": {"2088102119685838"}, "notify_id": {"4a91b7a78a503640467525113fb7d8bg8e"},
		"empty": {""},
	}
	want := "app_id=2015102700040153&body=大乐透2.1&buyer_id=2088102116773037&charset=utf-8" +
		"&gmt_close=2016-07-19 14:10:46&gmt_create=2016-07-19 14:10:44&gmt_payment=2016-07-19 14:10:47" +
		"&notify_id=4a91b7a78a503640467525113fb7d8bg8e&notify_time=2016-07-19 14:10:49" +
		"&notify_type=trade_status_sync&out_trade_no=0719141034-6418&refund_fee=0.00" +
		"&seller_id=2088102119685838&subject=大乐透2.1&total_amount=2.00" +
		"&trade_no=2016071921001003030200089909&trade_status=TRADE_SUCCESS&version=1.0"
	if got := Canonical(v, "sign_type"); got != want {
		t.Errorf("notify canonical:\n got %s\nwant %s", got, want)
	}
	if got := Canonical(url.Values{"b": {"2"}, "a": {"1"}, "sign_type": {"RSA2"}, "sign": {"s"}}); got != "a=1&b=2&sign_type=RSA2" {
		t.Errorf("request canonical: %s", got)
	}
}

func TestSignVerify(t *testing.T) {
	app, ali := testKeys(t)
	v := url.Values{"app_id": {"2021"}, "sign_type": {"RSA2"}, "total_amount": {"0.01"}, "subject": {"测试 & 商品"}}
	sig, err := Sign(ali, []byte(Canonical(v, "sign_type")))
	if err != nil {
		t.Fatal(err)
	}
	v.Set("sign", sig)
	if err := VerifyNotifyParams(&ali.PublicKey, v); err != nil {
		t.Fatalf("good notify: %v", err)
	}
	if err := VerifyNotifyParams(&app.PublicKey, v); err == nil {
		t.Error("verified with the wrong key")
	}
	tampered := url.Values{}
	for k, vs := range v {
		tampered[k] = append([]string(nil), vs...)
	}
	tampered.Set("total_amount", "100.00")
	if err := VerifyNotifyParams(&ali.PublicKey, tampered); err == nil {
		t.Error("verified a tampered amount")
	}
	tampered = url.Values{}
	for k, vs := range v {
		tampered[k] = append([]string(nil), vs...)
	}
	tampered.Add("total_amount", "100.00")
	if err := VerifyNotifyParams(&ali.PublicKey, tampered); err == nil {
		t.Error("verified a repeated parameter")
	}
	for _, bad := range []string{"", "!!!", base64.StdEncoding.EncodeToString([]byte("short"))} {
		v.Set("sign", bad)
		if err := VerifyNotifyParams(&ali.PublicKey, v); err == nil {
			t.Errorf("verified sign %q", bad)
		}
	}
	// A request: sign_type is signed.
	req := url.Values{"app_id": {"2021"}, "sign_type": {"RSA2"}}
	if err := SignParams(app, req); err != nil {
		t.Fatal(err)
	}
	if err := Verify(&app.PublicKey, []byte("app_id=2021&sign_type=RSA2"), req.Get("sign")); err != nil {
		t.Errorf("request signature: %v", err)
	}
}

func TestParseKeys(t *testing.T) {
	app, _ := testKeys(t)
	pkcs1 := x509.MarshalPKCS1PrivateKey(app)
	pkcs8, err := x509.MarshalPKCS8PrivateKey(app)
	if err != nil {
		t.Fatal(err)
	}
	pkix, err := x509.MarshalPKIXPublicKey(&app.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"pkcs1 pem":  pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: pkcs1}),
		"pkcs8 pem":  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}),
		"pkcs8 bare": []byte(base64.StdEncoding.EncodeToString(pkcs8) + "\n"),
		"pkcs1 bare": []byte(base64.StdEncoding.EncodeToString(pkcs1)),
	} {
		k, err := ParsePrivateKey(data)
		if err != nil || !k.Equal(app) {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, data := range map[string][]byte{
		"pkix pem":  pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pkix}),
		"pkix bare": []byte(base64.StdEncoding.EncodeToString(pkix)),
		"pkcs1 pem": pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&app.PublicKey)}),
	} {
		k, err := ParsePublicKey(data)
		if err != nil || !k.Equal(&app.PublicKey) {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, bad := range []string{"", "not a key", base64.StdEncoding.EncodeToString([]byte("garbage"))} {
		if _, err := ParsePrivateKey([]byte(bad)); err == nil {
			t.Errorf("private key %q parsed", bad)
		}
		if _, err := ParsePublicKey([]byte(bad)); err == nil {
			t.Errorf("public key %q parsed", bad)
		}
	}
}

func TestYuan(t *testing.T) {
	for _, c := range []struct {
		in  string
		fen store.Fen
	}{{"0.01", 1}, {"1", 100}, {"1.5", 150}, {"12.34", 1234}, {"0", 0}, {"100000000.00", store.MaxPrice}} {
		got, err := ParseYuan(c.in)
		if err != nil || got != c.fen {
			t.Errorf("ParseYuan(%q) = %d, %v; want %d", c.in, got, err, c.fen)
		}
	}
	for _, bad := range []string{"", ".", "1.", ".5", "0.001", "1.234", "-1", "+1", "1e2", "1,00", " 1", "1.0a", "100000000.01", "99999999999999"} {
		if got, err := ParseYuan(bad); err == nil {
			t.Errorf("ParseYuan(%q) = %d, want error", bad, got)
		}
	}
	for fen, want := range map[store.Fen]string{1: "0.01", 100: "1.00", 1234: "12.34", 0: "0.00"} {
		if got := FormatYuan(fen); got != want {
			t.Errorf("FormatYuan(%d) = %s", fen, got)
		}
	}
}
