package alipay

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/xiaodian/xiaodian/plugins"
)

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// FuzzPayoutAnswers feeds Payout and QueryPayout the gateway's answer
// object (obj, signed or not, as the answer to the method called; a
// refusal's confirming query finds nothing): nothing panics, an unsigned
// answer never gives a state other than the failure of a refused request
// signature nor "not found", and success only comes from a signed 10000.
// 1024-bit keys keep the RSA work small.
func FuzzPayoutAnswers(f *testing.F) {
	app, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		f.Fatal(err)
	}
	ali, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(false, []byte(`{"code":"10000","msg":"Success","out_biz_no":"FZ1","order_id":"2026","status":"SUCCESS"}`), true)
	f.Add(true, []byte(`{"code":"10000","msg":"Success","out_biz_no":"FZ1","order_id":"2026","status":"FAIL","trans_amount":"1.00","error_code":"PAYEE_NOT_EXIST"}`), true)
	f.Add(false, []byte(`{"code":"40004","msg":"Business Failed","sub_code":"PAYEE_NOT_EXIST","sub_msg":"收款账号不存在"}`), true)
	f.Add(true, []byte(`{"code":"40004","msg":"Business Failed","sub_code":"ORDER_NOT_EXIST","sub_msg":"x"}`), false)
	f.Add(false, []byte(`{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-signature"}`), false)
	f.Fuzz(func(t *testing.T, query bool, obj []byte, sign bool) {
		calls := 0
		transport := roundTripFunc(func(r *http.Request) (*http.Response, error) {
			calls++
			if err := r.ParseForm(); err != nil {
				return nil, err
			}
			method := r.PostForm.Get("method")
			o := obj
			if calls > 1 {
				o = []byte(`{"code":"40004","msg":"Business Failed","sub_code":"ORDER_NOT_EXIST","sub_msg":"转账订单不存在"}`)
			}
			body := fmt.Sprintf(`{"%s_response":%s`, strings.ReplaceAll(method, ".", "_"), o)
			if sign {
				sig, _ := Sign(ali, o)
				body += `,"sign":"` + sig + `"`
			}
			body += "}"
			return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(bytes.NewReader([]byte(body))), Request: r}, nil
		})
		p := &Provider{}
		p.use(&Config{AppID: "2021000000000001", PrivateKey: app, AlipayPublicKey: &ali.PublicKey, AppCertSN: "a", AlipayRootCertSN: "r",
			Gateway: "https://gw.example/gateway.do", HTTPClient: &http.Client{Transport: transport}}, true, true, payoutOpts{on: true, title: "t"})
		ctx := context.Background()
		var res *plugins.PayoutResult
		if query {
			res, err = p.QueryPayout(ctx, "FZ1")
		} else {
			res, err = p.Payout(ctx, plugins.PayoutRequest{OutBillNo: "FZ1", Amount: 100, Account: "a@example.com", RealName: "张三"})
		}
		if (res == nil) == (err == nil) {
			t.Fatalf("result %+v and error %v", res, err)
		}
		if !sign && errors.Is(err, plugins.ErrPayoutNotFound) {
			t.Fatal("unsigned not found taken")
		}
		if res != nil && !sign && res.State != plugins.PayoutFailed {
			t.Fatalf("unsigned answer gave %+v", res)
		}
		if res != nil && res.State == plugins.PayoutSucceeded && !sign {
			t.Fatal("unsigned success")
		}
	})
}
