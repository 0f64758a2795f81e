package wechatpay

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"sync"
	"testing"
	"time"
)

var (
	keysOnce             sync.Once
	testMchKey, testPlat *rsa.PrivateKey
)

// testKeys returns two RSA keys made once per test binary.
func testKeys(t testing.TB) (mch, plat *rsa.PrivateKey) {
	keysOnce.Do(func() {
		var err error
		if testMchKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if testPlat, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	return testMchKey, testPlat
}

func TestAuthorizationSignsTheMessage(t *testing.T) {
	mch, _ := testKeys(t)
	c := &Config{MchID: "1900000001", MchSerialNo: "5157F09EFDC096DE15EBE81A47057A7232F1B8E1", MchKey: mch}
	ts := time.Unix(1554208460, 0)
	body := []byte(`{"appid":"wx1"}`)
	h, err := c.Authorization("POST", "/v3/pay/transactions/native", body, ts, "593BEC0C930BF1AFEB40B4A08C8FB242")
	if err != nil {
		t.Fatal(err)
	}
	f, ok := ParseAuthorization(h)
	if !ok {
		t.Fatalf("unparsable %q", h)
	}
	if f["mchid"] != "1900000001" || f["timestamp"] != "1554208460" || f["nonce_str"] != "593BEC0C930BF1AFEB40B4A08C8FB242" || f["serial_no"] != c.MchSerialNo {
		t.Fatalf("fields %v", f)
	}
	msg := "POST\n/v3/pay/transactions/native\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n{\"appid\":\"wx1\"}\n"
	if err := VerifySHA256(&mch.PublicKey, []byte(msg), f["signature"]); err != nil {
		t.Fatalf("signature does not cover the documented message: %v", err)
	}
	if err := VerifySHA256(&mch.PublicKey, []byte(msg+"x"), f["signature"]); err == nil {
		t.Fatal("signature verifies another message")
	}
	for _, bad := range []string{"", "Bearer x", AuthSchema + " mchid=1", AuthSchema + ` mchid="1"x`} {
		if _, ok := ParseAuthorization(bad); ok {
			t.Errorf("ParseAuthorization(%q) ok", bad)
		}
	}
}

func TestVerifyMessage(t *testing.T) {
	_, plat := testKeys(t)
	other, _ := testKeys(t)
	keys := map[string]*rsa.PublicKey{"PUB_KEY_ID_0114232134912410000000000000": &plat.PublicKey}
	now := time.Unix(1700000000, 0)
	body := []byte(`{"id":"EV-1"}`)
	sign := func(key *rsa.PrivateKey, serial string, ts time.Time) http.Header {
		h, err := SignResponse(key, serial, ts, "nonce123", body)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	good := sign(plat, "PUB_KEY_ID_0114232134912410000000000000", now)
	if err := VerifyMessage(keys, now, good, body); err != nil {
		t.Fatalf("good message refused: %v", err)
	}
	tests := []struct {
		name string
		h    http.Header
		body []byte
	}{
		{"tampered body", good, []byte(`{"id":"EV-2"}`)},
		{"wrong key", sign(other, "PUB_KEY_ID_0114232134912410000000000000", now), body},
		{"unknown serial", sign(plat, "PUB_KEY_ID_OTHER", now), body},
		{"stale", sign(plat, "PUB_KEY_ID_0114232134912410000000000000", now.Add(-MaxSkew-time.Second)), body},
		{"future", sign(plat, "PUB_KEY_ID_0114232134912410000000000000", now.Add(MaxSkew+time.Second)), body},
		{"no headers", http.Header{}, body},
		{"garbage signature", func() http.Header {
			h := good.Clone()
			h.Set(HeaderSignature, "!!!")
			return h
		}(), body},
		{"other nonce", func() http.Header {
			h := good.Clone()
			h.Set(HeaderNonce, "nonce124")
			return h
		}(), body},
	}
	for _, tt := range tests {
		if err := VerifyMessage(keys, now, tt.h, tt.body); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s: err %v, want ErrBadSignature", tt.name, err)
		}
	}
	// Just inside the window is accepted.
	if err := VerifyMessage(keys, now, sign(plat, "PUB_KEY_ID_0114232134912410000000000000", now.Add(-MaxSkew+time.Second)), body); err != nil {
		t.Errorf("4m59s old refused: %v", err)
	}
}

func TestResourceRoundTrip(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	r, err := EncryptResource(key, "fdasflkja484", "transaction", []byte(`{"a":1}`), "transaction")
	if err != nil {
		t.Fatal(err)
	}
	pt, err := DecryptResource(key, r)
	if err != nil || string(pt) != `{"a":1}` {
		t.Fatalf("got %q, %v", pt, err)
	}
	mut := func(f func(*Resource)) Resource { c := r; f(&c); return c }
	for name, bad := range map[string]Resource{
		"associated data": mut(func(c *Resource) { c.AssociatedData = "refund" }),
		"nonce":           mut(func(c *Resource) { c.Nonce = "fdasflkja485" }),
		"short nonce":     mut(func(c *Resource) { c.Nonce = "x" }),
		"algorithm":       mut(func(c *Resource) { c.Algorithm = "AES" }),
		"not base64":      mut(func(c *Resource) { c.Ciphertext = "%%%" }),
		"cut":             mut(func(c *Resource) { c.Ciphertext = c.Ciphertext[:8] }),
	} {
		if _, err := DecryptResource(key, bad); err == nil {
			t.Errorf("%s: decrypted", name)
		}
	}
	if _, err := DecryptResource([]byte("0123456789abcdef0123456789abcdeX"), r); err == nil {
		t.Error("decrypted with another key")
	}
	if _, err := DecryptResource(key[:16], r); err == nil {
		t.Error("decrypted with a 16-byte key")
	}
}

func TestParseKeys(t *testing.T) {
	mch, plat := testKeys(t)
	p8, _ := x509.MarshalPKCS8PrivateKey(mch)
	k, err := ParsePrivateKey(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8}))
	if err != nil || !k.Equal(mch) {
		t.Fatalf("PKCS8: %v", err)
	}
	k, err = ParsePrivateKey(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(mch)}))
	if err != nil || !k.Equal(mch) {
		t.Fatalf("PKCS1: %v", err)
	}
	if _, err := ParsePrivateKey([]byte("nope")); err == nil {
		t.Error("parsed garbage")
	}
	pk, _ := x509.MarshalPKIXPublicKey(&plat.PublicKey)
	pub, serial, err := ParsePublicKey(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pk}))
	if err != nil || !pub.Equal(&plat.PublicKey) || serial != "" {
		t.Fatalf("public key: %v %q", err, serial)
	}
	sn, _ := new(big.Int).SetString("5157F09EFDC096DE15EBE81A47057A7232F1B8E1", 16)
	tmpl := &x509.Certificate{SerialNumber: sn, Subject: pkix.Name{CommonName: "Tenpay.com Root CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &plat.PublicKey, plat)
	if err != nil {
		t.Fatal(err)
	}
	pub, serial, err = ParsePublicKey(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	if err != nil || !pub.Equal(&plat.PublicKey) || serial != "5157F09EFDC096DE15EBE81A47057A7232F1B8E1" {
		t.Fatalf("certificate: %v %q", err, serial)
	}
}

// An empty body (204 No Content) is signed as an empty last line, and the
// gateway's signature probes (a deliberately wrong signature) are refused.
func TestEmptyBodyAndProbe(t *testing.T) {
	_, plat := testKeys(t)
	keys := map[string]*rsa.PublicKey{"S1": &plat.PublicKey}
	now := time.Unix(1700000000, 0)
	h, err := SignResponse(plat, "S1", now, "n1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifySHA256(&plat.PublicKey, []byte("1700000000\nn1\n\n"), h.Get(HeaderSignature)); err != nil {
		t.Fatalf("empty body not signed as an empty line: %v", err)
	}
	if err := VerifyMessage(keys, now, h, nil); err != nil {
		t.Fatal(err)
	}
	h.Set(HeaderSignature, "WECHATPAY/SIGNTEST/"+h.Get(HeaderSignature))
	if err := VerifyMessage(keys, now, h, nil); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("probe accepted: %v", err)
	}
}
