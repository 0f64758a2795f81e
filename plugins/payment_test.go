package plugins

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/xiaodian/xiaodian/store"
)

// fakeProvider is a provider that counts its starts.
type fakeProvider struct {
	id     string
	starts int
	fail   bool
}

func (p *fakeProvider) ID() string                           { return p.id }
func (p *fakeProvider) Name() string                         { return p.id }
func (p *fakeProvider) Channel(*http.Request) (string, bool) { return "page", true }
func (p *fakeProvider) Pay(context.Context, PayRequest) (*PayAction, error) {
	return &PayAction{Kind: PayRedirect, URL: "/"}, nil
}
func (p *fakeProvider) VerifyNotify(context.Context, *http.Request, []byte) (*Notification, error) {
	return nil, ErrBadNotify
}
func (p *fakeProvider) Ack(error) (int, string, []byte) { return 200, "text/plain", nil }
func (p *fakeProvider) Refund(context.Context, RefundRequest) (*RefundResult, error) {
	return &RefundResult{Status: RefundSucceeded}, nil
}
func (p *fakeProvider) Query(context.Context, *store.Payment) (*QueryResult, error) {
	return &QueryResult{}, nil
}
func (p *fakeProvider) Close(context.Context, *store.Payment) error { return nil }
func (p *fakeProvider) Start(context.Context, PaymentEnv) error {
	p.starts++
	if p.fail {
		return errors.New("no keys")
	}
	return nil
}

// payPlugin adds its providers.
type payPlugin struct {
	id        string
	providers []PaymentProvider
}

func (p *payPlugin) ID() string   { return p.id }
func (p *payPlugin) Name() string { return p.id }
func (p *payPlugin) Register(r *Registry) error {
	for _, pp := range p.providers {
		if err := r.AddPaymentProvider(p.id, pp); err != nil {
			return err
		}
	}
	return nil
}

func TestPaymentProviders(t *testing.T) {
	r := NewRegistry()
	good, broken := &fakeProvider{id: "good"}, &fakeProvider{id: "broken", fail: true}
	if err := Load(r, []Plugin{&payPlugin{id: "pay", providers: []PaymentProvider{good, broken}}}); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []*payPlugin{
		{id: "dup", providers: []PaymentProvider{&fakeProvider{id: "good"}}},
		{id: "reserved", providers: []PaymentProvider{&fakeProvider{id: "balance"}}},
		{id: "malformed", providers: []PaymentProvider{&fakeProvider{id: "Bad Id"}}},
		{id: "half", providers: []PaymentProvider{&fakeProvider{id: "first"}, nil}},
	} {
		if err := r.Register(bad); err == nil {
			t.Errorf("plugin %q registered", bad.id)
		}
	}
	if _, ok := r.PaymentProviderForNotify("first"); ok {
		t.Error("a failed registration left its provider behind")
	}
	if err := r.AddPaymentProvider("nobody", &fakeProvider{id: "x"}); err == nil {
		t.Error("a provider was added for an unknown plugin")
	}

	if len(r.PaymentProviders()) != 0 {
		t.Fatal("providers offered before they started")
	}
	if _, ok := r.PaymentProviderForNotify("good"); ok {
		t.Fatal("callbacks taken before the provider started")
	}
	r.StartPayments(t.Context(), PaymentEnv{Mode: "development"})
	r.StartPayments(t.Context(), PaymentEnv{Mode: "development"})
	if good.starts != 1 || broken.starts != 1 {
		t.Errorf("started %d and %d times, want once", good.starts, broken.starts)
	}
	ids := func() []string {
		var out []string
		for _, p := range r.PaymentProviders() {
			out = append(out, p.ID())
		}
		return out
	}
	if got := ids(); len(got) != 1 || got[0] != "good" {
		t.Fatalf("providers %v, want [good]", got)
	}
	if _, ok := r.PaymentProvider("broken"); ok {
		t.Error("a provider that failed to start is offered")
	}

	if err := r.SetEnabled("pay", false); err != nil {
		t.Fatal(err)
	}
	if got := ids(); len(got) != 0 {
		t.Errorf("disabled plugin's providers offered: %v", got)
	}
	if _, ok := r.PaymentProvider("good"); ok {
		t.Error("disabled provider takes new payments")
	}
	if p, ok := r.PaymentProviderForNotify("good"); !ok || p != good {
		t.Error("disabled provider's callbacks are no longer handled")
	}
	if err := r.SetEnabled("pay", true); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.PaymentProvider("good"); !ok {
		t.Error("re-enabled provider not offered")
	}
}
