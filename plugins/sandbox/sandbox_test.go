package sandbox

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/store"
)

func openDB(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func started(t *testing.T, db *store.DB) *Provider {
	t.Helper()
	p := &Provider{}
	if err := p.Start(t.Context(), plugins.PaymentEnv{DB: db, Mode: "development"}); err != nil {
		t.Fatal(err)
	}
	return p
}

func testKey() ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
}

func request(h http.Header) *http.Request {
	r, _ := http.NewRequest(http.MethodPost, "/pay/notify/sandbox", nil)
	r.Header = h
	return r
}

func TestPaidNotifyVerifies(t *testing.T) {
	db := openDB(t)
	p := started(t, db)
	pay := &store.Payment{OutTradeNo: "P1", Amount: 12_34, Currency: "CNY"}
	h, body, err := p.PaidNotify(pay)
	if err != nil {
		t.Fatal(err)
	}
	n, err := p.VerifyNotify(t.Context(), request(h), body)
	if err != nil {
		t.Fatal(err)
	}
	if n.Kind != plugins.NotifyPayment || n.Payment.OutTradeNo != "P1" || n.Payment.Amount != 12_34 ||
		n.Payment.Currency != "CNY" || n.Payment.Provider != ID || n.Payment.ProviderTxnID == "" || n.Payment.Raw != string(body) {
		t.Fatalf("notice %+v", n.Payment)
	}

	// The key is kept: a provider started later on the same shop verifies
	// what the first one signed.
	again := started(t, db)
	if _, err := again.VerifyNotify(t.Context(), request(h), body); err != nil {
		t.Fatalf("a restarted provider refuses the first one's callback: %v", err)
	}
	// Another shop's key does not.
	other := started(t, openDB(t))
	if _, err := other.VerifyNotify(t.Context(), request(h), body); !errors.Is(err, plugins.ErrBadNotify) {
		t.Fatalf("another shop's provider: %v, want ErrBadNotify", err)
	}
}

func TestVerifyRefuses(t *testing.T) {
	key := testKey()
	pub := key.Public().(ed25519.PublicKey)
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"id":"1","event_type":"TRANSACTION.SUCCESS","out_trade_no":"P1","transaction_id":"T1","amount":{"total":100,"currency":"CNY"}}`)
	good := SignAt(key, now, "n1", body)
	if _, err := Verify(pub, now, good, body); err != nil {
		t.Fatalf("good callback refused: %v", err)
	}
	with := func(k, v string) http.Header { h := good.Clone(); h.Set(k, v); return h }
	sign := func(ts time.Time, b string) (http.Header, []byte) { return SignAt(key, ts, "n2", []byte(b)), []byte(b) }
	tests := []struct {
		name string
		h    http.Header
		body []byte
	}{
		{"no signature", with(HeaderSignature, ""), body},
		{"no nonce", with(HeaderNonce, ""), body},
		{"other nonce", with(HeaderNonce, "n2"), body},
		{"other timestamp", with(HeaderTimestamp, "1800000001"), body},
		{"garbage signature", with(HeaderSignature, "!!!"), body},
		{"changed body", good, []byte(strings.Replace(string(body), `"total":100`, `"total":1`, 1))},
		{"signed by another key", SignAt(ed25519.NewKeyFromSeed([]byte(strings.Repeat("k", ed25519.SeedSize))), now, "n1", body), body},
	}
	// stale and future timestamps, validly signed
	h, b := sign(now.Add(-MaxSkew-time.Second), string(body))
	tests = append(tests, struct {
		name string
		h    http.Header
		body []byte
	}{"stale", h, b})
	h, b = sign(now.Add(MaxSkew+time.Second), string(body))
	tests = append(tests, struct {
		name string
		h    http.Header
		body []byte
	}{"from the future", h, b})
	for _, bad := range []string{
		`{}`, `not json`, `{"event_type":"TRANSACTION.SUCCESS","out_trade_no":"P1","transaction_id":"T1","amount":{"total":0,"currency":"CNY"}}`,
		`{"event_type":"TRANSACTION.SUCCESS","out_trade_no":"P1","transaction_id":"T1","amount":{"total":-5,"currency":"CNY"}}`,
		`{"event_type":"OTHER","out_trade_no":"P1","transaction_id":"T1","amount":{"total":5,"currency":"CNY"}}`,
		`{"event_type":"TRANSACTION.SUCCESS","out_trade_no":"","transaction_id":"T1","amount":{"total":5,"currency":"CNY"}}`,
		`{"event_type":"TRANSACTION.SUCCESS","out_trade_no":"P1","transaction_id":"T1","amount":{"total":5,"currency":"CNY"},"extra":1}`,
		`{"event_type":"TRANSACTION.SUCCESS","out_trade_no":"P1","transaction_id":"T1","amount":{"total":5,"currency":"CNY"}} {}`,
	} {
		h, b := sign(now, bad)
		tests = append(tests, struct {
			name string
			h    http.Header
			body []byte
		}{"body " + bad, h, b})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if n, err := Verify(pub, now, tt.h, tt.body); !errors.Is(err, plugins.ErrBadNotify) {
				t.Fatalf("accepted (%v, %v), want ErrBadNotify", n, err)
			}
		})
	}
}

func TestRefusedInProduction(t *testing.T) {
	db := openDB(t)
	p := &Provider{}
	err := p.Start(t.Context(), plugins.PaymentEnv{DB: db, Mode: "production"})
	if !errors.Is(err, plugins.ErrProviderUnavailable) {
		t.Fatalf("Start in production: %v, want ErrProviderUnavailable", err)
	}
	if _, ok := p.Channel(request(http.Header{})); ok {
		t.Error("offered in production")
	}
	pay := &store.Payment{OutTradeNo: "P1", Amount: 100, Currency: "CNY"}
	if _, err := p.Pay(t.Context(), plugins.PayRequest{Payment: pay}); !errors.Is(err, plugins.ErrProviderUnavailable) {
		t.Errorf("Pay in production: %v", err)
	}
	if _, _, err := p.PaidNotify(pay); !errors.Is(err, plugins.ErrProviderUnavailable) {
		t.Errorf("PaidNotify in production: %v", err)
	}
	if _, err := p.Refund(t.Context(), plugins.RefundRequest{Payment: pay, Amount: 1}); !errors.Is(err, plugins.ErrProviderUnavailable) {
		t.Errorf("Refund in production: %v", err)
	}
	// A callback signed by the development key is refused too.
	dev := started(t, db)
	h, body, err := dev.PaidNotify(pay)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.VerifyNotify(t.Context(), request(h), body); !errors.Is(err, plugins.ErrProviderUnavailable) {
		t.Errorf("VerifyNotify in production: %v", err)
	}

	// Through the registry: the provider is left out.
	r := plugins.NewRegistry()
	if err := plugins.Load(r, []plugins.Plugin{New()}); err != nil {
		t.Fatal(err)
	}
	r.StartPayments(t.Context(), plugins.PaymentEnv{DB: db, Mode: "production"})
	if got := r.PaymentProviders(); len(got) != 0 {
		t.Errorf("production registry offers %d providers", len(got))
	}
	if _, ok := r.PaymentProviderForNotify(ID); ok {
		t.Error("production registry takes sandbox callbacks")
	}
}

func TestAck(t *testing.T) {
	p := &Provider{}
	for _, tt := range []struct {
		err  error
		want int
	}{
		{nil, 200},
		{plugins.ErrBadNotify, 400},
		{store.ErrPaymentMismatch, 400},
		{errors.New("disk full"), 500},
	} {
		if got, ct, body := p.Ack(tt.err); got != tt.want || ct != "application/json" || len(body) == 0 {
			t.Errorf("Ack(%v) = %d %q %q, want %d", tt.err, got, ct, body, tt.want)
		}
	}
}

// FuzzVerify feeds the notify parser anything: it never panics, and it
// accepts nothing the key did not sign.
func FuzzVerify(f *testing.F) {
	key := testKey()
	pub := key.Public().(ed25519.PublicKey)
	now := time.Unix(1_800_000_000, 0)
	f.Add("1800000000", "n", "AAAA", []byte(`{"event_type":"TRANSACTION.SUCCESS"}`), false)
	f.Add("", "", "", []byte{}, true)
	f.Add("1800000000", "nonce", "", []byte(`{"id":"1","event_type":"REFUND.SUCCESS","out_trade_no":"P1","transaction_id":"T1","out_refund_no":"R1","amount":{"total":100,"currency":"CNY"}}`), true)
	f.Fuzz(func(t *testing.T, stamp, nonce, sig string, body []byte, signIt bool) {
		h := http.Header{}
		h.Set(HeaderTimestamp, stamp)
		h.Set(HeaderNonce, nonce)
		h.Set(HeaderSignature, sig)
		if signIt {
			h = SignAt(key, now, nonce, body)
		}
		n, err := Verify(pub, now, h, body)
		if err != nil {
			if !errors.Is(err, plugins.ErrBadNotify) {
				t.Fatalf("error not ErrBadNotify: %v", err)
			}
			return
		}
		if sig, _ := base64.StdEncoding.DecodeString(h.Get(HeaderSignature)); !ed25519.Verify(pub, message(h.Get(HeaderTimestamp), h.Get(HeaderNonce), body), sig) {
			t.Fatal("accepted an unsigned callback")
		}
		switch n.Kind {
		case plugins.NotifyPayment:
			if n.Payment.Amount <= 0 || n.Payment.OutTradeNo == "" {
				t.Fatalf("accepted %+v", n.Payment)
			}
		case plugins.NotifyRefund:
			if n.Refund.Amount <= 0 || n.Refund.OutRefundNo == "" {
				t.Fatalf("accepted %+v", n.Refund)
			}
		default:
			t.Fatalf("kind %q", n.Kind)
		}
	})
}
