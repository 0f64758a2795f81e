package alipaytest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// request builds a signed OpenAPI request of method with biz.
func request(g *Gateway, method, biz string, cert bool) url.Values {
	v := url.Values{"app_id": {g.AppID}, "method": {method}, "format": {"JSON"}, "charset": {"utf-8"},
		"sign_type": {"RSA2"}, "timestamp": {time.Now().In(shanghai).Format(timeLayout)}, "version": {"1.0"},
		"biz_content": {biz}}
	if cert {
		v.Set("app_cert_sn", g.AppCertSN())
		v.Set("alipay_root_cert_sn", g.AlipayRootCertSN())
	}
	v.Set("sign", rsa2Sign(g.keys.app, []byte(signString(v, false))))
	return v
}

// call POSTs v and returns the answer's members, raw.
func call(t *testing.T, g *Gateway, v url.Values) map[string]json.RawMessage {
	t.Helper()
	resp, err := http.PostForm(g.URL, v)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		t.Fatalf("answer %s: %v", b, err)
	}
	return top
}

func subCode(t *testing.T, raw json.RawMessage) string {
	var st struct {
		Code    string `json:"code"`
		SubCode string `json:"sub_code"`
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatal(err)
	}
	if st.SubCode == "" {
		return st.Code
	}
	return st.SubCode
}

// verified checks the answer's sign over the exact bytes of key's object.
func verified(t *testing.T, g *Gateway, top map[string]json.RawMessage, key string) bool {
	t.Helper()
	var sig string
	if err := json.Unmarshal(top["sign"], &sig); err != nil {
		return false
	}
	return rsa2Verify(&g.keys.alipay.PublicKey, top[key], sig) == nil
}

func TestGatewayChecksRequests(t *testing.T) {
	g := New(t)
	const key = "alipay_trade_query_response"
	biz := `{"out_trade_no":"G1"}`
	// A good request: a signed business error for an unknown trade.
	top := call(t, g, request(g, "alipay.trade.query", biz, false))
	if subCode(t, top[key]) != "ACQ.TRADE_NOT_EXIST" || !verified(t, g, top, key) || top["alipay_cert_sn"] != nil {
		t.Errorf("good request: %v", top)
	}
	top = call(t, g, request(g, "alipay.trade.query", biz, true))
	if !verified(t, g, top, key) || string(top["alipay_cert_sn"]) != `"`+g.AlipayCertSN()+`"` {
		t.Errorf("certificate mode: %v", top)
	}
	bad := func(change func(url.Values)) url.Values {
		v := request(g, "alipay.trade.query", biz, false)
		change(v)
		return v
	}
	for name, c := range map[string]struct {
		v         url.Values
		key, code string
	}{
		"changed after signing": {bad(func(v url.Values) { v.Set("biz_content", `{"out_trade_no":"G2"}`) }), key, "isv.invalid-signature"},
		"another app":           {bad(func(v url.Values) { v.Set("app_id", "2021000000000999") }), "error_response", "isv.invalid-app-id"},
		"old timestamp":         {bad(func(v url.Values) { v.Set("timestamp", "2020-01-01 00:00:00") }), key, "isv.invalid-timestamp"},
		"no sign":               {bad(func(v url.Values) { v.Del("sign") }), key, "isv.missing-signature"},
		"wrong app cert SN": {func() url.Values {
			v := request(g, "alipay.trade.query", biz, true)
			v.Set("app_cert_sn", "0123")
			return v
		}(), key, "isv.invalid-app-cert-sn"},
		"wrong root SN": {func() url.Values {
			v := request(g, "alipay.trade.query", biz, true)
			v.Set("alipay_root_cert_sn", "0123")
			return v
		}(), key, "isv.invalid-alipay-root-cert-sn"},
	} {
		top := call(t, g, c.v)
		if subCode(t, top[c.key]) != c.code || top["sign"] != nil {
			t.Errorf("%s: %v", name, top)
		}
	}
	// Signed by a stranger.
	v := request(g, "alipay.trade.query", biz, false)
	v.Set("sign", rsa2Sign(g.keys.other, []byte(signString(v, false))))
	if top := call(t, g, v); subCode(t, top[key]) != "isv.invalid-signature" {
		t.Errorf("stranger's signature: %v", top)
	}
}

func TestGatewayRefunds(t *testing.T) {
	g := New(t)
	shop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "success") }))
	defer shop.Close()
	g.CreateTrade("G1", 1000, shop.URL, "")
	if d, err := g.Pay("G1"); err != nil || !d.Acked() {
		t.Fatalf("pay: %+v %v", d, err)
	}
	const key = "alipay_trade_refund_response"
	refund := func(no, amount string) string {
		top := call(t, g, request(g, "alipay.trade.refund", `{"out_trade_no":"G1","out_request_no":"`+no+`","refund_amount":"`+amount+`"}`, false))
		if !verified(t, g, top, key) {
			t.Fatalf("unsigned refund answer %v", top)
		}
		var a struct {
			FundChange string `json:"fund_change"`
		}
		json.Unmarshal(top[key], &a)
		return subCode(t, top[key]) + "/" + a.FundChange
	}
	for _, c := range []struct{ no, amount, want string }{
		{"R1", "4.00", "10000/Y"},
		{"R1", "4.00", "10000/N"},
		{"R1", "5.00", "ACQ.DISCORDANT_REPEAT_REQUEST/"},
		{"R2", "6.01", "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL/"},
		{"R2", "6.00", "10000/Y"},
		{"R3", "0.01", "ACQ.TRADE_STATUS_ERROR/"},
	} {
		if got := refund(c.no, c.amount); got != c.want {
			t.Errorf("refund %s %s: %s, want %s", c.no, c.amount, got, c.want)
		}
	}
	if tr, _ := g.Trade("G1"); tr.Status != StatusClosed || tr.Refunded != 1000 || len(g.Refunds()) != 2 {
		t.Errorf("after a full refund: %+v", tr)
	}
}

func TestGatewayNotifications(t *testing.T) {
	g := New(t)
	var got []url.Values
	shop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		got = append(got, r.PostForm)
		io.WriteString(w, "success")
	}))
	defer shop.Close()
	g.CreateTrade("G1", 1234, shop.URL, "")
	if _, err := g.Notify("G1", TamperNone); err == nil {
		t.Error("notified an unpaid trade")
	}
	if _, err := g.Pay("G1"); err != nil {
		t.Fatal(err)
	}
	check := func(v url.Values) error {
		return rsa2Verify(&g.keys.alipay.PublicKey, []byte(signString(v, true)), v.Get("sign"))
	}
	if err := check(got[0]); err != nil || got[0].Get("total_amount") != "12.34" || got[0].Get("notify_type") != "trade_status_sync" {
		t.Errorf("notification %v: %v", got[0], err)
	}
	for tamper, verifies := range map[Tamper]bool{TamperNone: true, TamperAmount: true, TamperAppID: true, TamperSellerID: true,
		TamperSignature: false, TamperAfterSigning: false, TamperUnsigned: false} {
		if _, err := g.Notify("G1", tamper); err != nil {
			t.Fatal(err)
		}
		if err := check(got[len(got)-1]); (err == nil) != verifies {
			t.Errorf("tamper %d: %v", tamper, err)
		}
	}
	ret, err := g.ReturnParams("G1")
	if err != nil || check(ret) != nil || ret.Get("method") != "alipay.trade.page.pay.return" {
		t.Errorf("return params %v: %v", ret, err)
	}
	if n := len(g.Deliveries()); n != 8 {
		t.Errorf("%d deliveries", n)
	}
}

func TestCashierRefusesBadRequests(t *testing.T) {
	g := New(t)
	biz := `{"out_trade_no":"G1","total_amount":"1.00","subject":"s","product_code":"QUICK_WAP_WAY"}`
	v := request(g, "alipay.trade.wap.pay", biz, false)
	resp, err := http.Get(g.URL + "?" + v.Encode())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "确认付款") {
		t.Fatalf("wap cashier: %d %s", resp.StatusCode, b)
	}
	v.Set("biz_content", strings.Replace(biz, "1.00", "0.01", 1))
	resp, err = http.Get(g.URL + "?" + v.Encode())
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(b), "invalid-signature") {
		t.Errorf("tampered wap request: %d %s", resp.StatusCode, b)
	}
	resp, err = http.PostForm(strings.TrimSuffix(g.URL, "/gateway.do")+"/cashier/pay", url.Values{"token": {"nope"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("unknown token: %d", resp.StatusCode)
	}
}
