package plugins

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
)

// fakePayouter is a provider that pays out by one method.
type fakePayouter struct {
	fakeProvider
	method string
	ready  atomic.Bool
}

func (p *fakePayouter) PayoutMethod() string { return p.method }
func (p *fakePayouter) PayoutReady() error {
	if !p.ready.Load() {
		return errors.New("未开启提现打款")
	}
	return nil
}
func (p *fakePayouter) Payout(context.Context, PayoutRequest) (*PayoutResult, error) {
	return &PayoutResult{State: PayoutSucceeded}, nil
}
func (p *fakePayouter) QueryPayout(context.Context, string) (*PayoutResult, error) {
	return nil, ErrPayoutNotFound
}

func TestPayouter(t *testing.T) {
	r := NewRegistry()
	wx := &fakePayouter{fakeProvider: fakeProvider{id: "wx"}, method: PayoutMethodWeChat}
	wx2 := &fakePayouter{fakeProvider: fakeProvider{id: "wx2"}, method: PayoutMethodWeChat}
	ali := &fakePayouter{fakeProvider: fakeProvider{id: "ali", fail: true}, method: PayoutMethodAlipay}
	plain := &fakeProvider{id: "plain"}
	if err := Load(r, []Plugin{
		&payPlugin{id: "first", providers: []PaymentProvider{wx, plain}},
		&payPlugin{id: "second", providers: []PaymentProvider{wx2, ali}},
	}); err != nil {
		t.Fatal(err)
	}
	wx.ready.Store(true)
	wx2.ready.Store(true)
	ali.ready.Store(true)
	if _, ok := r.Payouter(PayoutMethodWeChat); ok {
		t.Fatal("a payouter before the providers started")
	}
	r.StartPayments(t.Context(), PaymentEnv{Mode: "development"})

	got := func(method string, forQuery bool) PaymentProvider {
		t.Helper()
		find := r.Payouter
		if forQuery {
			find = r.PayouterForQuery
		}
		po, ok := find(method)
		if !ok {
			return nil
		}
		return po.(PaymentProvider)
	}
	if p := got(PayoutMethodWeChat, false); p != wx {
		t.Errorf("wechat payouter %v, want the first plugin's", p)
	}
	if p := got(PayoutMethodAlipay, false); p != nil {
		t.Errorf("a provider that failed to start pays out: %v", p)
	}
	if p := got("bank", false); p != nil {
		t.Errorf("unknown method served by %v", p)
	}

	wx.ready.Store(false) // the owner switched wx's payouts off
	if p := got(PayoutMethodWeChat, false); p != wx2 {
		t.Errorf("with wx's payouts off: %v, want wx2", p)
	}
	if p := got(PayoutMethodWeChat, true); p != wx {
		t.Errorf("query lookup %v, want wx (payouts sent before must end)", p)
	}
	if err := r.SetEnabled("second", false); err != nil {
		t.Fatal(err)
	}
	if p := got(PayoutMethodWeChat, false); p != nil {
		t.Errorf("a disabled plugin pays out: %v", p)
	}
	if p := got(PayoutMethodWeChat, true); p != wx {
		t.Errorf("query lookup with second disabled: %v", p)
	}
	wx.ready.Store(true)
	if p := got(PayoutMethodWeChat, false); p != wx {
		t.Errorf("wx switched on again: %v", p)
	}
}
