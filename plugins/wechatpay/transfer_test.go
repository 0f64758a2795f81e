package wechatpay

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/plugins/wechatpay/wechatpaytest"
	"github.com/xiaodian/xiaodian/store"
)

// hasFieldError reports a store.ValidationErrors naming field.
func hasFieldError(err error, field string) bool {
	var ve store.ValidationErrors
	if !errors.As(err, &ve) {
		return false
	}
	for _, e := range ve {
		if e.Field == field {
			return true
		}
	}
	return false
}

const payee = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"

func newPayoutProvider(t *testing.T, timeout time.Duration) (*Provider, *wechatpaytest.Gateway) {
	t.Helper()
	g := wechatpaytest.New(t)
	p := New()
	if err := p.Provider().Start(t.Context(), plugins.PaymentEnv{HTTPClient: &http.Client{Timeout: timeout}}); err != nil {
		t.Fatal(err)
	}
	if err := p.Configure(t.Context(), g.PayoutSettings(wechatpaytest.ModePublicKey)); err != nil {
		t.Fatal(err)
	}
	return p.Provider(), g
}

func payoutReq(no string) plugins.PayoutRequest {
	return plugins.PayoutRequest{OutBillNo: no, Amount: 1234, OpenID: payee, Remark: "六月佣金提现"}
}

func TestPayoutStates(t *testing.T) {
	p, g := newPayoutProvider(t, 5*time.Second)
	ctx := t.Context()
	for _, tc := range []struct {
		mode   wechatpaytest.TransferMode
		reason string
		want   plugins.PayoutState
		text   string
	}{
		{wechatpaytest.TransferWaitConfirm, "", plugins.PayoutAwaitingConfirmation, ""},
		{wechatpaytest.TransferSuccess, "", plugins.PayoutSucceeded, ""},
		{wechatpaytest.TransferProcessing, "", plugins.PayoutPending, ""},
		{wechatpaytest.TransferFail, "OPENID_INVALID", plugins.PayoutFailed, "OpenID 校验失败（OPENID_INVALID）"},
		{wechatpaytest.TransferFail, "SOMETHING_NEW", plugins.PayoutFailed, "转账失败（SOMETHING_NEW）"},
	} {
		g.SetTransferMode(tc.mode, tc.reason)
		no := "PO" + strings.ToUpper(Nonce()[:16])
		res, err := p.Payout(ctx, payoutReq(no))
		if err != nil {
			t.Fatalf("mode %d: %v", tc.mode, err)
		}
		b, _ := g.Bill(no)
		if res.State != tc.want || res.Reason != tc.text || res.ProviderRef != b.TransferBillNo || res.ProviderRef == "" {
			t.Errorf("mode %d: %+v (bill %+v)", tc.mode, res, b)
		}
		if (tc.want == plugins.PayoutAwaitingConfirmation) != (res.PackageInfo != "") || res.PackageInfo != b.PackageInfo {
			t.Errorf("mode %d: package_info %q, bill's %q", tc.mode, res.PackageInfo, b.PackageInfo)
		}
		// What was sent: the settings' scene, report infos and perception.
		if b.SceneID != "1000" || b.ReportInfos["活动名称"] != "分销佣金提现" || b.ReportInfos["奖励说明"] != "分销推广佣金" ||
			b.Perception != "现金奖励" || b.Remark != "六月佣金提现" || b.Amount != 1234 || b.OpenID != payee || b.AppID != g.AppID {
			t.Errorf("bill sent %+v", b)
		}
		q, err := p.QueryPayout(ctx, no)
		if err != nil || q.State != tc.want || q.Amount != 1234 || q.ProviderRef != b.TransferBillNo || q.Reason != tc.text {
			t.Errorf("mode %d: query %+v, %v", tc.mode, q, err)
		}
	}
	g.SetTransferMode(wechatpaytest.TransferWaitConfirm, "")

	// The payee confirms; the same number sent again is the same bill.
	no := "POCONFIRM01"
	first, err := p.Payout(ctx, payoutReq(no))
	if err != nil || first.State != plugins.PayoutAwaitingConfirmation {
		t.Fatalf("%+v %v", first, err)
	}
	again, err := p.Payout(ctx, payoutReq(no))
	if err != nil || again.ProviderRef != first.ProviderRef || again.PackageInfo != first.PackageInfo {
		t.Fatalf("resent: %+v %v, first %+v", again, err, first)
	}
	if q, err := p.QueryPayout(ctx, no); err != nil || q.State != plugins.PayoutAwaitingConfirmation || q.PackageInfo != "" {
		t.Errorf("query while waiting: %+v %v", q, err)
	}
	if err := g.ConfirmTransfer(no); err != nil {
		t.Fatal(err)
	}
	if q, err := p.QueryPayout(ctx, no); err != nil || q.State != plugins.PayoutSucceeded {
		t.Errorf("query after confirmation: %+v %v", q, err)
	}
	for state, want := range map[string]plugins.PayoutState{"TRANSFERING": plugins.PayoutAwaitingConfirmation,
		"ACCEPTED": plugins.PayoutPending, "CANCELING": plugins.PayoutPending, "CANCELLED": plugins.PayoutFailed} {
		if err := g.FinishTransfer(no, state, ""); err != nil {
			t.Fatal(err)
		}
		if q, err := p.QueryPayout(ctx, no); err != nil || q.State != want {
			t.Errorf("%s: %+v %v", state, q, err)
		}
	}
	if err := g.FinishTransfer(no, "NEW_STATE", ""); err != nil {
		t.Fatal(err)
	}
	if q, err := p.QueryPayout(ctx, no); err == nil {
		t.Errorf("an unknown state was taken: %+v", q)
	}

	if _, err := p.QueryPayout(ctx, "PONEVERSENT"); !errors.Is(err, plugins.ErrPayoutNotFound) {
		t.Errorf("unknown number: %v", err)
	}
}

func TestPayoutUnknownOutcomes(t *testing.T) {
	p, g := newPayoutProvider(t, 500*time.Millisecond)
	ctx := t.Context()
	for _, tc := range []struct {
		name     string
		fault    wechatpaytest.TransferFault
		billMade bool
	}{
		{"timeout", wechatpaytest.FaultTimeout, true},
		{"5xx", wechatpaytest.FaultServerError, true},
		{"malformed", wechatpaytest.FaultMalformed, true},
		{"not enough", wechatpaytest.FaultNotEnough, false},
		{"unsigned 502", wechatpaytest.FaultBadGateway, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			no := "POUNK" + strings.ToUpper(Nonce()[:12])
			g.NextTransfer(tc.fault)
			res, err := p.Payout(ctx, payoutReq(no))
			if err == nil {
				t.Fatalf("an unknown outcome answered %+v", res)
			}
			if errors.Is(err, plugins.ErrProviderUnavailable) {
				t.Errorf("the error says nothing was sent: %v", err)
			}
			_, made := g.Bill(no)
			if made != tc.billMade {
				t.Fatalf("bill made %v", made)
			}
			// The core asks again under the same number, and sends it again
			// when the gateway never got it.
			q, err := p.QueryPayout(ctx, no)
			if !tc.billMade {
				if !errors.Is(err, plugins.ErrPayoutNotFound) {
					t.Fatalf("query: %+v %v", q, err)
				}
				if q, err = p.Payout(ctx, payoutReq(no)); err != nil {
					t.Fatal(err)
				}
			}
			if err != nil || q.State != plugins.PayoutAwaitingConfirmation {
				t.Fatalf("query: %+v %v", q, err)
			}
		})
	}
	// Unsigned answers to a query prove nothing: not "not found".
	g.FailNext(500, "SYSTEM_ERROR", "系统繁忙")
	if _, err := p.QueryPayout(ctx, "PONEVERSENT2"); err == nil || errors.Is(err, plugins.ErrPayoutNotFound) {
		t.Errorf("5xx query: %v", err)
	}
}

func TestPayoutRefusals(t *testing.T) {
	p, g := newPayoutProvider(t, 5*time.Second)
	ctx := t.Context()

	// A signed refusal with no bill behind it is a definite no.
	g.NextTransfer(wechatpaytest.FaultRefused)
	res, err := p.Payout(ctx, payoutReq("POREFUSED1"))
	if err != nil || res.State != plugins.PayoutFailed || !strings.Contains(res.Reason, "转账场景未开通") {
		t.Fatalf("%+v %v", res, err)
	}
	// A refusal of a number whose bill exists (sent before with other
	// parameters) is not a failure: the bill's state wins.
	g.SetTransferMode(wechatpaytest.TransferSuccess, "")
	if _, err := p.Payout(ctx, payoutReq("POREPEAT01")); err != nil {
		t.Fatal(err)
	}
	changed := payoutReq("POREPEAT01")
	changed.Amount = 999
	res, err = p.Payout(ctx, changed)
	if err != nil || res.State != plugins.PayoutSucceeded {
		t.Fatalf("refused repeat: %+v %v", res, err)
	}
	// The gateway's own parameter checks are definite too.
	g.FailNext(400, "PARAM_ERROR", "需传入转账场景报备信息，请检查")
	if res, err = p.Payout(ctx, payoutReq("POPARAM001")); err != nil || res.State != plugins.PayoutFailed {
		t.Fatalf("param error: %+v %v", res, err)
	}
	// Codes WeChat does not document as final stay unknown.
	for _, code := range []string{"SYSTEM_ERROR", "FREQUENCY_LIMITED", "SOMETHING_NEW"} {
		g.FailNext(400, code, "x")
		if res, err := p.Payout(ctx, payoutReq("POCODE"+code[:4])); err == nil {
			t.Errorf("%s: %+v", code, res)
		}
	}

	// Requests WeChat would refuse are failed unsent.
	before := countRequests(g, "POST /v3/fund-app")
	for _, req := range []plugins.PayoutRequest{
		{OutBillNo: "PO-DASH-1", Amount: 100, OpenID: payee},
		{OutBillNo: "POZERO", Amount: 0, OpenID: payee},
		{OutBillNo: "PONOOPENID", Amount: 100},
		{OutBillNo: "POBIG", Amount: 200000, OpenID: payee},
	} {
		res, err := p.Payout(ctx, req)
		if err != nil || res.State != plugins.PayoutFailed || res.Reason == "" {
			t.Errorf("%+v: %+v %v", req, res, err)
		}
	}
	if n := countRequests(g, "POST /v3/fund-app"); n != before {
		t.Errorf("%d invalid payouts were sent", n-before)
	}

	// Our signature refused (a wrong key): definite, nothing done.
	bad := New()
	v := g.PayoutSettings(wechatpaytest.ModePublicKey)
	k, _ := rsa.GenerateKey(rand.Reader, 2048)
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	v["mch_private_key"] = pemOf(t, "PRIVATE KEY", der)
	if err := bad.Configure(ctx, v); err != nil {
		t.Fatal(err)
	}
	res, err = bad.Provider().Payout(ctx, payoutReq("POSIGNBAD1"))
	if err != nil || res.State != plugins.PayoutFailed || !strings.Contains(res.Reason, "签名") {
		t.Errorf("refused signature: %+v %v", res, err)
	}
}

func TestPayoutSwitch(t *testing.T) {
	g := wechatpaytest.New(t)
	p := New()
	ctx := t.Context()
	if err := p.Provider().PayoutReady(); !errors.Is(err, plugins.ErrProviderUnavailable) {
		t.Errorf("unconfigured: %v", err)
	}
	if err := p.Configure(ctx, g.Settings(wechatpaytest.ModePublicKey)); err != nil {
		t.Fatal(err)
	}
	err := p.Provider().PayoutReady()
	if err == nil || !strings.Contains(err.Error(), "用于分销提现打款") {
		t.Errorf("payouts off: %v", err)
	}
	if _, err := p.Provider().Payout(ctx, payoutReq("POOFF00001")); !errors.Is(err, plugins.ErrProviderUnavailable) {
		t.Errorf("payout while off: %v", err)
	}
	// Payouts sent before may still be asked about.
	if _, err := p.Provider().QueryPayout(ctx, "POOFF00001"); !errors.Is(err, plugins.ErrPayoutNotFound) {
		t.Errorf("query while off: %v", err)
	}

	r := plugins.NewRegistry()
	if err := r.Register(p); err != nil {
		t.Fatal(err)
	}
	r.StartPayments(ctx, plugins.PaymentEnv{})
	if _, ok := r.Payouter(plugins.PayoutMethodWeChat); ok {
		t.Error("offered while payouts are off")
	}
	if _, ok := r.PayouterForQuery(plugins.PayoutMethodWeChat); !ok {
		t.Error("not offered for queries")
	}
	v := g.PayoutSettings(wechatpaytest.ModePublicKey)
	v["transfer_scene_id"], v["payout_perception"], v["payout_report_infos"] = "1005", "劳务报酬", "岗位类型=推广员\n报酬说明：六月佣金"
	if err := p.Configure(ctx, v); err != nil {
		t.Fatal(err)
	}
	po, ok := r.Payouter(plugins.PayoutMethodWeChat)
	if !ok {
		t.Fatal("not offered with payouts on")
	}
	if _, err := po.Payout(ctx, payoutReq("POSCENE1005")); err != nil {
		t.Fatal(err)
	}
	b, _ := g.Bill("POSCENE1005")
	if b.SceneID != "1005" || b.Perception != "劳务报酬" || b.ReportInfos["岗位类型"] != "推广员" || b.ReportInfos["报酬说明"] != "六月佣金" {
		t.Errorf("bill %+v", b)
	}

	for key, val := range map[string]string{"transfer_scene_id": "10 00", "payout_report_infos": "没有等号",
		"payout_perception": strings.Repeat("奖", 33), "payout": "maybe"} {
		bad := g.PayoutSettings(wechatpaytest.ModePublicKey)
		bad[key] = val
		err := p.Configure(ctx, bad)
		if !hasFieldError(err, key) {
			t.Errorf("%s=%q: %v", key, val, err)
		}
	}
}

func TestParseReportInfos(t *testing.T) {
	for in, want := range map[string]int{
		"活动名称=a\n奖励说明=b": 2, " 活动名称 ： a \n\n 奖励说明:b ": 2, "x=y=z": 1,
		"": -1, "=a": -1, "a=": -1, "a": -1, strings.Repeat("a=b\n", 11): -1,
	} {
		got, key := ParseReportInfos(in)
		if want < 0 && key == "" || want >= 0 && len(got) != want {
			t.Errorf("%q: %v %q", in, got, key)
		}
	}
	if got, _ := ParseReportInfos("x=y=z"); got[0].Type != "x" || got[0].Content != "y=z" {
		t.Errorf("split at the first separator: %+v", got)
	}
}

func FuzzParseReportInfos(f *testing.F) {
	f.Add(defaultReportInfos)
	f.Add("活动名称：a\r\n奖励说明=b")
	f.Fuzz(func(t *testing.T, s string) {
		infos, key := ParseReportInfos(s)
		if key != "" {
			return
		}
		if len(infos) == 0 || len(infos) > 10 {
			t.Fatalf("%d infos", len(infos))
		}
		for _, ri := range infos {
			if ri.Type == "" || ri.Content == "" || strings.ContainsAny(ri.Type, "\n=") {
				t.Fatalf("%+v", ri)
			}
		}
	})
}

// FuzzPayoutAnswers feeds Payout and QueryPayout gateway answers, signed
// or not: nothing panics; an unsigned answer never gives a state (except
// the definite no of a refused signature, 401) nor "not found"; success
// only comes from a signed 2xx answer.
func FuzzPayoutAnswers(f *testing.F) {
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(false, 200, []byte(`{"out_bill_no":"POFUZZ1","transfer_bill_no":"1330","state":"WAIT_USER_CONFIRM","package_info":"p"}`), true, true)
	f.Add(true, 200, []byte(`{"mch_id":"1900007291","out_bill_no":"POFUZZ1","transfer_bill_no":"1330","state":"SUCCESS","transfer_amount":1}`), true, false)
	f.Add(true, 404, []byte(`{"code":"NOT_FOUND","message":"记录不存在"}`), true, false)
	f.Add(false, 400, []byte(`{"code":"INVALID_REQUEST","message":"x"}`), true, false)
	f.Add(false, 401, []byte(`{"code":"SIGN_ERROR","message":"x"}`), false, false)
	f.Fuzz(func(t *testing.T, query bool, status int, body []byte, sign bool, queryAfter bool) {
		if status < 100 || status > 599 {
			status = 200
		}
		calls := 0
		transport := roundTrip(func(r *http.Request) (*http.Response, error) {
			calls++
			b, st := body, status
			if calls > 1 && queryAfter { // a refusal's confirming query finds nothing
				b, st = []byte(`{"code":"NOT_FOUND","message":"记录不存在"}`), 404
			}
			h := http.Header{}
			if sign {
				h, _ = SignResponse(key, "PUB_KEY_ID_FUZZ", time.Now(), Nonce(), b)
			}
			return &http.Response{StatusCode: st, Header: h, Body: io.NopCloser(bytes.NewReader(b)), Request: r}, nil
		})
		c, err := NewClient(Config{MchID: "1900007291", AppID: "wx2421b1c4370ec43b", MchSerialNo: "AB", MchKey: key,
			APIv3Key: []byte(testAPIv3Key), PlatformKeys: map[string]*rsa.PublicKey{"PUB_KEY_ID_FUZZ": &key.PublicKey},
			BaseURL: "https://api.example", HTTPClient: &http.Client{Transport: transport}})
		if err != nil {
			t.Fatal(err)
		}
		reports, _ := ParseReportInfos(defaultReportInfos)
		p := &Provider{}
		p.st.Store(&state{client: c, payout: true, scene: "1000", perception: "现金奖励", reports: reports})
		ctx := context.Background()
		var res *plugins.PayoutResult
		if query {
			res, err = p.QueryPayout(ctx, "POFUZZ1")
		} else {
			res, err = p.Payout(ctx, plugins.PayoutRequest{OutBillNo: "POFUZZ1", Amount: 1, OpenID: payee})
		}
		if (res == nil) == (err == nil) {
			t.Fatalf("result %+v and error %v", res, err)
		}
		if !sign && errors.Is(err, plugins.ErrPayoutNotFound) {
			t.Fatal("unsigned not found taken")
		}
		if res != nil && !sign && !(status == 401 && res.State == plugins.PayoutFailed) {
			t.Fatalf("unsigned status %d gave %+v", status, res)
		}
		if res != nil && res.State == plugins.PayoutSucceeded && !(sign && status >= 200 && status <= 299) {
			t.Fatalf("status %d signed %v: succeeded", status, sign)
		}
	})
}
