package alipay

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestVerifyResponse(t *testing.T) {
	_, ali := testKeys(t)
	const method = "alipay.trade.query"
	obj := `{ "code":"10000", "msg":"Success", "out_trade_no":"A1" ,"trade_status":"TRADE_SUCCESS"}`
	sig, err := Sign(ali, []byte(obj))
	if err != nil {
		t.Fatal(err)
	}
	good := fmt.Sprintf(`{"alipay_trade_query_response":%s,"sign":"%s"}`, obj, sig)
	raw, err := verifyResponse(&ali.PublicKey, "", method, []byte(good))
	if err != nil || string(raw) != obj {
		t.Fatalf("good answer: %q %v", raw, err)
	}
	// The sign before the object, other members around: still the object's bytes.
	other := fmt.Sprintf(`{"sign":"%s","alipay_cert_sn":"x","alipay_trade_query_response":%s}`, sig, obj)
	if _, err := verifyResponse(&ali.PublicKey, "", method, []byte(other)); err != nil {
		t.Errorf("reordered answer: %v", err)
	}
	for name, body := range map[string]string{
		"re-spaced object": fmt.Sprintf(`{"alipay_trade_query_response":%s,"sign":"%s"}`, strings.ReplaceAll(obj, " ", ""), sig),
		"other method":     fmt.Sprintf(`{"alipay_trade_close_response":%s,"sign":"%s"}`, obj, sig),
		"unsigned error":   `{"error_response":{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-app-id"}}`,
		"not json":         `<html>502</html>`,
		"trailing":         good + "x",
		"sign not string":  fmt.Sprintf(`{"alipay_trade_query_response":%s,"sign":1}`, obj),
		"signed elsewhere": fmt.Sprintf(`{"alipay_trade_query_response":{"code":"10000"},"other":%s,"sign":"%s"}`, obj, sig),
	} {
		if raw, err := verifyResponse(&ali.PublicKey, "", method, []byte(body)); err == nil {
			t.Errorf("%s: verified %q", name, raw)
		}
	}
	// A signed error_response is read, and becomes an *Error.
	eobj := `{"code":"40004","msg":"Business Failed","sub_code":"ACQ.TRADE_NOT_EXIST","sub_msg":"交易不存在"}`
	esig, _ := Sign(ali, []byte(eobj))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.FormValue("method") == "alipay.trade.close" {
			http.Error(w, "bad gateway", http.StatusBadGateway)
			return
		}
		fmt.Fprintf(w, `{"error_response":%s,"sign":"%s"}`, eobj, esig)
	}))
	defer srv.Close()
	c := testClient(t, srv.URL)
	if _, err := c.Query(context.Background(), "A1"); !IsTradeNotExist(err) {
		t.Errorf("signed error_response: %v", err)
	}
	if err := c.Close(context.Background(), "A1"); err == nil || !strings.Contains(err.Error(), "HTTP 502") {
		t.Errorf("HTTP 502: %v", err)
	}
}

func FuzzVerifyResponse(f *testing.F) {
	_, ali := testKeys(f)
	obj := `{"code":"10000","msg":"Success","out_trade_no":"A1","trade_status":"TRADE_SUCCESS"}`
	sig, err := Sign(ali, []byte(obj))
	if err != nil {
		f.Fatal(err)
	}
	good := fmt.Sprintf(`{"alipay_trade_query_response":%s,"alipay_cert_sn":"sn1","sign":"%s"}`, obj, sig)
	f.Add([]byte(good), "sn1")
	f.Add([]byte(good), "")
	f.Add([]byte(`{"error_response":{"code":"40002","sub_code":"isv.invalid-app-id"}}`), "")
	f.Add([]byte(`{"alipay_trade_query_response":1,"sign":2}`), "x")
	f.Fuzz(func(t *testing.T, body []byte, certSN string) {
		raw, err := verifyResponse(&ali.PublicKey, certSN, "alipay.trade.query", body)
		if err != nil {
			return
		}
		// Only Alipay's own object verifies, wherever it sits in the answer.
		if string(raw) != obj {
			t.Fatalf("verified %q", raw)
		}
	})
}
