package alipay

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/store"
)

// signedServer answers every call with obj as "<method>_response", signed
// by Alipay's test key, with extra members after it.
func signedServer(t *testing.T, obj, extra string) *httptest.Server {
	_, ali := testKeys(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sig, err := Sign(ali, []byte(obj))
		if err != nil {
			t.Error(err)
		}
		key := fmt.Sprintf("%s_response", dots(r.FormValue("method")))
		fmt.Fprintf(w, `{"%s":%s%s,"sign":"%s"}`, key, obj, extra, sig)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func dots(s string) string {
	b := []byte(s)
	for i := range b {
		if b[i] == '.' {
			b[i] = '_'
		}
	}
	return string(b)
}

func TestQueryRefundAnswers(t *testing.T) {
	ctx := context.Background()
	pay := &store.Payment{OutTradeNo: "T1", Amount: 1000}
	for _, c := range []struct {
		name   string
		obj    string
		found  bool
		status string
		amount store.Fen
		fails  bool
	}{
		{"success", `{"code":"10000","msg":"Success","trade_no":"2026X","out_trade_no":"T1","out_request_no":"R1","refund_amount":"3.00","refund_status":"REFUND_SUCCESS"}`, true, plugins.RefundSucceeded, 300, false},
		{"not received (bare)", `{"code":"10000","msg":"Success"}`, false, "", 0, false},
		{"not received (numbers)", `{"code":"10000","msg":"Success","out_trade_no":"T1","out_request_no":"R1","trade_no":"2026X"}`, false, "", 0, false},
		{"another status", `{"code":"10000","msg":"Success","out_request_no":"R1","refund_status":"REFUND_PROCESSING"}`, true, plugins.RefundPending, 0, false},
		{"success without amount", `{"code":"10000","msg":"Success","refund_status":"REFUND_SUCCESS"}`, false, "", 0, true},
		{"another refund", `{"code":"10000","msg":"Success","out_request_no":"R9","refund_amount":"3.00","refund_status":"REFUND_SUCCESS"}`, false, "", 0, true},
		{"another trade", `{"code":"10000","msg":"Success","out_trade_no":"T9","refund_amount":"3.00","refund_status":"REFUND_SUCCESS"}`, false, "", 0, true},
		{"no such trade", `{"code":"40004","msg":"Business Failed","sub_code":"ACQ.TRADE_NOT_EXIST","sub_msg":"交易不存在"}`, false, "", 0, true},
		{"system error", `{"code":"20000","msg":"Service Currently Unavailable","sub_code":"isp.unknow-error"}`, false, "", 0, true},
	} {
		srv := signedServer(t, c.obj, "")
		p := testProvider(t, srv.URL)
		n, found, err := p.QueryRefund(ctx, pay, "R1")
		if (err != nil) != c.fails || found != c.found {
			t.Errorf("%s: %+v %v %v", c.name, n, found, err)
			continue
		}
		if found && (n.Status != c.status || n.Amount != c.amount || n.OutRefundNo != "R1" || n.Provider != ID || n.Raw != c.obj) {
			t.Errorf("%s: notice %+v", c.name, n)
		}
	}
	if _, _, err := testProvider(t, "").QueryRefund(ctx, pay, ""); err == nil {
		t.Error("empty refund number sent")
	}
}

func TestAnswerCertSN(t *testing.T) {
	ctx := context.Background()
	app, ali := testKeys(t)
	obj := `{"code":"40004","msg":"Business Failed","sub_code":"ACQ.TRADE_NOT_EXIST","sub_msg":"交易不存在"}`
	for _, c := range []struct {
		name, extra string
		ok          bool
	}{
		{"same SN", `,"alipay_cert_sn":"sn-now"`, true},
		{"no SN", ``, true},
		{"another SN", `,"alipay_cert_sn":"sn-new"`, false},
		{"SN not a string", `,"alipay_cert_sn":1`, false},
	} {
		srv := signedServer(t, obj, c.extra)
		cl := NewClient(Config{AppID: testAppID, PrivateKey: app, AlipayPublicKey: &ali.PublicKey, Gateway: srv.URL,
			AppCertSN: "app-sn", AlipayRootCertSN: "root-sn", AlipayCertSN: "sn-now"})
		_, err := cl.Query(ctx, "T1")
		if IsTradeNotExist(err) != c.ok {
			t.Errorf("%s: %v", c.name, err)
		}
		if c.name == "another SN" && !errors.Is(err, ErrAlipayCertSN) {
			t.Errorf("another SN: %v", err)
		}
	}
	// In public key mode alipay_cert_sn is not looked at.
	srv := signedServer(t, obj, `,"alipay_cert_sn":"whatever"`)
	if _, err := testClient(t, srv.URL).Query(ctx, "T1"); !IsTradeNotExist(err) {
		t.Errorf("public key mode: %v", err)
	}
	// An unsigned ACQ.TRADE_NOT_EXIST proves nothing.
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"alipay_trade_query_response":%s}`, obj)
	}))
	defer plain.Close()
	if err := testClient(t, plain.URL).Close(ctx, "T1"); err == nil || IsTradeNotExist(err) {
		t.Errorf("unsigned TRADE_NOT_EXIST: %v", err)
	}
}
