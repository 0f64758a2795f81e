package alipay_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/plugins/alipay"
	"github.com/xiaodian/xiaodian/plugins/alipay/alipaytest"
	"github.com/xiaodian/xiaodian/store"
)

// payouter is the provider configured against g with payouts on; gateway
// calls time out after timeout.
func payouter(t *testing.T, g *alipaytest.Gateway, timeout time.Duration) *alipay.Provider {
	t.Helper()
	p := alipay.New()
	if err := p.Provider().Start(t.Context(), plugins.PaymentEnv{HTTPClient: &http.Client{Timeout: timeout}}); err != nil {
		t.Fatal(err)
	}
	if err := p.Configure(t.Context(), g.PayoutSettings()); err != nil {
		t.Fatal(err)
	}
	if err := p.Provider().PayoutReady(); err != nil {
		t.Fatal(err)
	}
	return p.Provider()
}

func transferReq(no string, amount store.Fen) plugins.PayoutRequest {
	return plugins.PayoutRequest{OutBillNo: no, Amount: amount, Account: alipaytest.DefaultPayeeAccount,
		RealName: alipaytest.DefaultPayeeName, Remark: "六月佣金"}
}

func TestPayoutStates(t *testing.T) {
	g := alipaytest.New(t)
	p := payouter(t, g, 5*time.Second)
	ctx := t.Context()

	res, err := p.Payout(ctx, transferReq("APO001", 1234))
	o, _ := g.FundOrder("APO001")
	if err != nil || res.State != plugins.PayoutSucceeded || res.ProviderRef != o.OrderID || res.Amount != 1234 {
		t.Fatalf("%+v %v", res, err)
	}
	if o.Amount != 1234 || o.Account != alipaytest.DefaultPayeeAccount || o.RealName != "张三" || o.Title != "佣金提现" || o.Remark != "六月佣金" {
		t.Errorf("order sent %+v", o)
	}
	// The same number again is the same order, paid once.
	if again, err := p.Payout(ctx, transferReq("APO001", 1234)); err != nil || again.ProviderRef != res.ProviderRef {
		t.Errorf("resent: %+v %v", again, err)
	}
	g.SetTransferMode(alipaytest.TransferDealing)
	if res, err := p.Payout(ctx, transferReq("APO002", 500)); err != nil || res.State != plugins.PayoutPending {
		t.Errorf("dealing: %+v %v", res, err)
	}
	for _, tc := range []struct {
		status, code, reason string
		want                 plugins.PayoutState
		text                 string
	}{
		{"DEALING", "", "", plugins.PayoutPending, ""},
		{"SUCCESS", "", "", plugins.PayoutSucceeded, ""},
		{"FAIL", "PAYEE_ACCOUNT_STATUS_ERROR", "", plugins.PayoutFailed, "收款账号状态异常（PAYEE_ACCOUNT_STATUS_ERROR）"},
		{"REFUND", "", "", plugins.PayoutFailed, "银行退票，款项已退回"},
		{"FAIL", "X", "账户已注销", plugins.PayoutFailed, "账户已注销（X）"},
	} {
		if err := g.FinishTransfer("APO002", tc.status, tc.code, tc.reason); err != nil {
			t.Fatal(err)
		}
		q, err := p.QueryPayout(ctx, "APO002")
		if err != nil || q.State != tc.want || q.Reason != tc.text || q.Amount != 500 {
			t.Errorf("%s: %+v %v", tc.status, q, err)
		}
	}
	if err := g.FinishTransfer("APO002", "WHATEVER", "", ""); err != nil {
		t.Fatal(err)
	}
	if q, err := p.QueryPayout(ctx, "APO002"); err == nil {
		t.Errorf("unknown status taken: %+v", q)
	}
	if _, err := p.QueryPayout(ctx, "APONEVER"); !errors.Is(err, plugins.ErrPayoutNotFound) {
		t.Errorf("never sent: %v", err)
	}
}

func TestPayoutRefusals(t *testing.T) {
	g := alipaytest.New(t)
	p := payouter(t, g, 5*time.Second)
	ctx := t.Context()
	g.AddPayee("13800000000", "李四")
	g.SetBalance(10000)
	for _, tc := range []struct {
		req  plugins.PayoutRequest
		want string
	}{
		{plugins.PayoutRequest{OutBillNo: "APOR1", Amount: 100, Account: "nobody@example.com", RealName: "王五"}, "PAYEE_NOT_EXIST"},
		{plugins.PayoutRequest{OutBillNo: "APOR2", Amount: 100, Account: "13800000000", RealName: "李五"}, "PAYEE_USER_INFO_ERROR"},
		{plugins.PayoutRequest{OutBillNo: "APOR3", Amount: 10001, Account: "13800000000", RealName: "李四"}, "BALANCE_IS_NOT_ENOUGH"},
		{plugins.PayoutRequest{OutBillNo: "APOR4", Amount: 9, Account: "13800000000", RealName: "李四"}, "0.1 元"},
		{plugins.PayoutRequest{OutBillNo: "APOR5", Amount: 100, Account: "13800000000"}, "真实姓名"},
		{plugins.PayoutRequest{OutBillNo: "APO-6", Amount: 100, Account: "13800000000", RealName: "李四"}, "单号"},
	} {
		res, err := p.Payout(ctx, tc.req)
		if err != nil || res.State != plugins.PayoutFailed || !strings.Contains(res.Reason, tc.want) {
			t.Errorf("%+v: %+v %v", tc.req, res, err)
		}
	}
	// A number sent before with other parameters: Alipay's
	// PAYMENT_INFO_INCONSISTENCY is no definite no (the first may have
	// paid); the query tells.
	if _, err := p.Payout(ctx, transferReq("APOREP", 100)); err != nil {
		t.Fatal(err)
	}
	if res, err := p.Payout(ctx, transferReq("APOREP", 200)); err == nil {
		t.Errorf("PAYMENT_INFO_INCONSISTENCY answered %+v", res)
	}
	if q, err := p.QueryPayout(ctx, "APOREP"); err != nil || q.State != plugins.PayoutSucceeded || q.Amount != 100 {
		t.Errorf("query: %+v %v", q, err)
	}
	// Sent again after the balance ran out: the same order, not a new one.
	g.SetBalance(0)
	if res, err := p.Payout(ctx, transferReq("APOREP", 100)); err != nil || res.State != plugins.PayoutSucceeded {
		t.Errorf("resent after the balance ran out: %+v %v", res, err)
	}
}

func TestPayoutUnknownOutcomes(t *testing.T) {
	g := alipaytest.New(t)
	p := payouter(t, g, 500*time.Millisecond)
	ctx := t.Context()
	for _, tc := range []struct {
		name  string
		fault alipaytest.TransferFault
		made  bool
	}{
		{"timeout", alipaytest.FaultTimeout, true},
		{"20000", alipaytest.FaultUnavailable, true},
		{"SYSTEM_ERROR", alipaytest.FaultSystemError, true},
		{"malformed", alipaytest.FaultMalformed, true},
		{"502", alipaytest.FaultBadGateway, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			no := "APOU" + strings.ToUpper(strings.ReplaceAll(tc.name, "_", ""))
			g.NextTransfer(tc.fault)
			if res, err := p.Payout(ctx, transferReq(no, 300)); err == nil {
				t.Fatalf("unknown outcome answered %+v", res)
			}
			if _, made := g.FundOrder(no); made != tc.made {
				t.Fatalf("order made %v", made)
			}
			q, err := p.QueryPayout(ctx, no)
			if !tc.made {
				if !errors.Is(err, plugins.ErrPayoutNotFound) {
					t.Fatalf("query: %+v %v", q, err)
				}
				q, err = p.Payout(ctx, transferReq(no, 300))
			}
			if err != nil || q.State != plugins.PayoutSucceeded {
				t.Fatalf("%+v %v", q, err)
			}
		})
	}
	// Paid once whatever happened to the answers.
	if n := len(g.Calls()); n == 0 {
		t.Fatal("no calls")
	}
}

func TestPayoutNeedsCertMode(t *testing.T) {
	g := alipaytest.New(t)
	ctx := t.Context()
	v := g.Settings(alipaytest.ModePublicKey)
	v["payout"] = "1"
	p := alipay.New()
	err := p.Configure(ctx, v)
	var ve store.ValidationErrors
	if !errors.As(err, &ve) || ve[0].Field != "payout" || ve[0].Key != "alipay.err_payout_needs_cert" {
		t.Fatalf("payout in public key mode: %v", err)
	}
	// A provider built in public key mode with payouts on anyway refuses
	// in Chinese, sending nothing.
	if err := p.Configure(ctx, g.Settings(alipaytest.ModePublicKey)); err != nil {
		t.Fatal(err)
	}
	if err := p.Provider().PayoutReady(); err == nil || !strings.Contains(err.Error(), "用于分销提现打款") {
		t.Errorf("payouts off: %v", err)
	}
	if _, err := p.Provider().Payout(ctx, transferReq("APOPK1", 100)); !errors.Is(err, plugins.ErrProviderUnavailable) {
		t.Errorf("payout while off: %v", err)
	}
	r := plugins.NewRegistry()
	if err := r.Register(p); err != nil {
		t.Fatal(err)
	}
	r.StartPayments(ctx, plugins.PaymentEnv{})
	if _, ok := r.Payouter(plugins.PayoutMethodAlipay); ok {
		t.Error("offered with payouts off")
	}
	if err := p.Configure(ctx, g.PayoutSettings()); err != nil {
		t.Fatal(err)
	}
	if po, ok := r.Payouter(plugins.PayoutMethodAlipay); !ok || po.PayoutMethod() != "alipay" {
		t.Error("not offered in certificate mode with payouts on")
	}
	bad := g.PayoutSettings()
	bad["payout_title"] = strings.Repeat("佣", 65)
	if err := p.Configure(ctx, bad); !errors.As(err, &ve) || ve[0].Field != "payout_title" {
		t.Errorf("long title: %v", err)
	}
}
