package wechatpay

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/plugins/wechatpay/wechatpaytest"
)

// testCert makes a self-signed certificate of key (RSA, or ECDSA when
// key is nil) valid until notAfter.
func testCert(t testing.TB, serial string, notAfter time.Time, rsaKey bool) []byte {
	t.Helper()
	sn, _ := new(big.Int).SetString(serial, 16)
	tmpl := &x509.Certificate{SerialNumber: sn, Subject: pkix.Name{CommonName: "Tenpay.com sign"},
		NotBefore: notAfter.AddDate(-5, 0, 0), NotAfter: notAfter}
	var der []byte
	var err error
	if rsaKey {
		_, plat := testKeys(t)
		der, err = x509.CreateCertificate(rand.Reader, tmpl, tmpl, &plat.PublicKey, plat)
	} else {
		ek, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		der, err = x509.CreateCertificate(rand.Reader, tmpl, tmpl, &ek.PublicKey, ek)
	}
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

type listItem struct {
	serial, expire string
	pem            []byte
	key            string
}

func certsBody(t testing.TB, items ...listItem) []byte {
	t.Helper()
	var data []map[string]any
	for _, it := range items {
		key := it.key
		if key == "" {
			key = testAPIv3Key
		}
		res, err := EncryptResource([]byte(key), "61f9c719728a", "certificate", it.pem, "")
		if err != nil {
			t.Fatal(err)
		}
		data = append(data, map[string]any{"serial_no": it.serial, "effective_time": "2024-01-01T00:00:00+08:00",
			"expire_time": it.expire, "encrypt_certificate": res})
	}
	b, _ := json.Marshal(map[string]any{"data": data})
	return b
}

const testAPIv3Key = "0123456789abcdef0123456789abcdef"

func TestParseCertificates(t *testing.T) {
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	later := now.AddDate(1, 0, 0)
	const sn = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
	good := testCert(t, sn, later, true)
	certs, err := ParseCertificates([]byte(testAPIv3Key), certsBody(t, listItem{serial: sn, expire: "2027-03-01T00:00:00+08:00", pem: good}), now)
	if err != nil || len(certs) != 1 || certs[0].Serial != sn || !certs[0].NotAfter.Equal(time.Date(2027, 3, 1, 0, 0, 0, 0, chinaTime)) {
		t.Fatalf("good list: %+v %v", certs, err)
	}
	// A lower-case serial_no is the same serial.
	if certs, err := ParseCertificates([]byte(testAPIv3Key), certsBody(t, listItem{serial: strings.ToLower(sn), pem: good}), now); err != nil || len(certs) != 1 {
		t.Fatalf("lower case serial: %v", err)
	}
	// Expired certificates are dropped: by the certificate's end, or by
	// an earlier expire_time (WeChat moves it forward before a rotation).
	for name, it := range map[string]listItem{
		"expired certificate": {serial: "01AB", pem: testCert(t, "01AB", now.Add(-time.Hour), true)},
		"expire_time passed":  {serial: sn, expire: now.Add(-time.Minute).Format(time.RFC3339), pem: good},
	} {
		if certs, err := ParseCertificates([]byte(testAPIv3Key), certsBody(t, it), now); err != nil || len(certs) != 0 {
			t.Errorf("%s: %+v %v", name, certs, err)
		}
	}
	many := make([]listItem, maxCertificates+1)
	for i := range many {
		many[i] = listItem{serial: sn, pem: good}
	}
	for name, tt := range map[string]struct {
		body []byte
		want error
	}{
		"wrong APIv3 key":  {certsBody(t, listItem{serial: sn, pem: good, key: "ffffffffffffffffffffffffffffffff"}), ErrCertDecrypt},
		"serial mismatch":  {certsBody(t, listItem{serial: "ABCDEF", pem: good}), nil},
		"bad serial":       {certsBody(t, listItem{serial: "xyz", pem: good}), nil},
		"not a PEM":        {certsBody(t, listItem{serial: sn, pem: []byte("hello")}), nil},
		"ECDSA":            {certsBody(t, listItem{serial: "0ABC", pem: testCert(t, "0ABC", later, false)}), nil},
		"too many":         {certsBody(t, many...), nil},
		"trailing data":    {append(certsBody(t, listItem{serial: sn, pem: good}), []byte(`{}`)...), nil},
		"not JSON":         {[]byte(`<html>`), nil},
		"no encrypt field": {[]byte(`{"data":[{"serial_no":"AB"}]}`), nil},
	} {
		certs, err := ParseCertificates([]byte(testAPIv3Key), tt.body, now)
		if err == nil || certs != nil || (tt.want != nil && !errors.Is(err, tt.want)) {
			t.Errorf("%s: %+v %v", name, certs, err)
		}
	}
	if certs, err := ParseCertificates([]byte(testAPIv3Key), []byte(`{"data":[]}`), now); err != nil || len(certs) != 0 {
		t.Errorf("empty list: %v", err)
	}
}

func TestCertCache(t *testing.T) {
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	const sn = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
	pc, err := parseCertPEM(testCert(t, sn, now.AddDate(1, 0, 0), true))
	if err != nil {
		t.Fatal(err)
	}
	raw := certCacheJSON("1900007291", DefaultBaseURL, now.Add(-time.Hour), []*PlatformCert{pc})
	certs, fetched, ok := ParseCertCache(raw, "1900007291", DefaultBaseURL, now)
	if !ok || len(certs) != 1 || certs[0].Serial != sn || !fetched.Equal(now.Add(-time.Hour)) || !certs[0].Key.Equal(pc.Key) {
		t.Fatalf("round trip: %+v %v %v", certs, fetched, ok)
	}
	for name, c := range map[string]struct {
		raw           []byte
		mch, base     string
		at            time.Time
		wantOK        bool
		wantCertCount int
	}{
		"another merchant": {raw, "1900000002", DefaultBaseURL, now, false, 0},
		"another gateway":  {raw, "1900007291", "http://127.0.0.1:1234", now, false, 0},
		"from the future":  {raw, "1900007291", DefaultBaseURL, now.Add(-2 * time.Hour), false, 0},
		"expired since":    {raw, "1900007291", DefaultBaseURL, now.AddDate(2, 0, 0), true, 0},
		"garbage":          {[]byte("{"), "1900007291", DefaultBaseURL, now, false, 0},
		"empty":            {nil, "1900007291", DefaultBaseURL, now, false, 0},
	} {
		certs, _, ok := ParseCertCache(c.raw, c.mch, c.base, c.at)
		if ok != c.wantOK || len(certs) != c.wantCertCount {
			t.Errorf("%s: %d certs, ok %v", name, len(certs), ok)
		}
	}
}

// capture is a notify endpoint that keeps the callbacks without reading
// them, so that a test can hand them to the provider itself.
func capture(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
	t.Cleanup(srv.Close)
	return srv
}

func TestCertificatesDownloadedCachedAndReused(t *testing.T) {
	db := testDB(t)
	env := plugins.PaymentEnv{DB: db}
	g := wechatpaytest.New(t)
	p := configured(t, g, wechatpaytest.ModeCertificates, env).Provider()
	s := newShop(t, p)
	ctx := context.Background()
	if _, err := p.Pay(ctx, payReq(s, testPayment("C000001", 300, ChannelNative), uaDesktop)); err != nil {
		t.Fatal(err)
	}
	if n := countRequests(g, "GET /v3/certificates"); n != 1 {
		t.Fatalf("%d downloads", n)
	}
	raw, err := db.Setting(ctx, CertCacheSetting, "")
	if err != nil || !strings.Contains(raw, `"serial_no":"`+g.CertSerial+`"`) || !strings.Contains(raw, `"mch_id":"`+g.MchID+`"`) ||
		strings.Contains(raw, "PRIVATE") {
		t.Fatalf("cache %s %v", raw, err)
	}
	// A restart verifies callbacks from the cache, without the network.
	p2 := configured(t, g, wechatpaytest.ModeCertificates, env).Provider()
	s2 := newShop(t, p2)
	if _, err := p2.Pay(ctx, payReq(s2, testPayment("C000002", 300, ChannelNative), uaDesktop)); err != nil {
		t.Fatal(err)
	}
	if d, err := g.Pay("C000002", ""); err != nil || d.Status != http.StatusNoContent {
		t.Fatalf("callback after restart: %+v %v", d, err)
	}
	if n := countRequests(g, "GET /v3/certificates"); n != 1 {
		t.Fatalf("%d downloads after a restart", n)
	}
	// Another gateway (base URL) does not use this cache.
	g2 := wechatpaytest.New(t)
	p3 := configured(t, g2, wechatpaytest.ModeCertificates, env).Provider()
	s3 := newShop(t, p3)
	if _, err := p3.Pay(ctx, payReq(s3, testPayment("C000003", 300, ChannelNative), uaDesktop)); err != nil {
		t.Fatal(err)
	}
	if n := countRequests(g2, "GET /v3/certificates"); n != 1 {
		t.Fatalf("other gateway: %d downloads", n)
	}
}

func TestCertificateRotation(t *testing.T) {
	clock := newTestClock()
	g := wechatpaytest.New(t)
	p := clocked(t, g, wechatpaytest.ModeCertificates, clock).Provider()
	s := newShop(t, p)
	ctx := context.Background()
	if _, err := p.Pay(ctx, payReq(s, testPayment("T000001", 300, ChannelNative), uaDesktop)); err != nil {
		t.Fatal(err)
	}
	// WeChat adds a new certificate and signs with it. Within a minute of
	// the last download the callback is refused without a download (the
	// gateway retries it)...
	newSerial := g.RotateCertificate()
	g.SignWith(wechatpaytest.Certificate)
	if err := g.MarkPaid("T000001", ""); err != nil {
		t.Fatal(err)
	}
	clock.Advance(30 * time.Second)
	if d, err := g.Notify("T000001"); err != nil || d.Status != http.StatusBadRequest {
		t.Fatalf("callback within the minute: %+v %v", d, err)
	}
	if n := countRequests(g, "GET /v3/certificates"); n != 1 {
		t.Fatalf("%d downloads", n)
	}
	// ... and after it, the unknown serial makes the shop download the
	// list again and the callback is applied.
	clock.Advance(31 * time.Second)
	d, err := g.Notify("T000001")
	if err != nil || d.Status != http.StatusNoContent || d.Header.Get("Wechatpay-Serial") != newSerial {
		t.Fatalf("callback with the new certificate: %d %s %v", d.Status, d.Response, err)
	}
	if n := countRequests(g, "GET /v3/certificates"); n != 2 {
		t.Fatalf("%d downloads", n)
	}
	if certs := p.Client().certs.list(); len(certs) != 2 {
		t.Fatalf("%d certificates kept", len(certs))
	}
	// Another unknown serial right away is refused without a download.
	if d, err := g.Notify("T000001", wechatpaytest.UnknownSerial()); err != nil || d.Status != http.StatusBadRequest {
		t.Fatalf("unknown serial: %+v %v", d, err)
	}
	if n := countRequests(g, "GET /v3/certificates"); n != 2 {
		t.Fatalf("%d downloads after a rate-limited refresh", n)
	}
}

func TestConcurrentVerificationsShareOneDownload(t *testing.T) {
	g := wechatpaytest.New(t)
	// The first provider only places the order; its callback goes to a
	// capture so that a second, fresh provider can verify it.
	p1 := configured(t, g, wechatpaytest.ModePublicKey, plugins.PaymentEnv{}).Provider()
	notify := capture(t)
	req := payReq(&shop{srv: notify}, testPayment("S000001", 300, ChannelNative), uaDesktop)
	if _, err := p1.Pay(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	g.SignWith(wechatpaytest.Certificate)
	d, err := g.Pay("S000001", "")
	if err != nil {
		t.Fatal(err)
	}
	p := configured(t, g, wechatpaytest.ModeCertificates, plugins.PaymentEnv{}).Provider()
	before := countRequests(g, "GET /v3/certificates")
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = p.Client().ParseNotify(context.Background(), d.Header, d.Body)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("caller %d: %v", i, err)
		}
	}
	if n := countRequests(g, "GET /v3/certificates") - before; n != 1 {
		t.Fatalf("%d downloads for 8 concurrent callers", n)
	}
}

func TestCertificatesRefreshedAfterTwelveHours(t *testing.T) {
	clock := newTestClock()
	g := wechatpaytest.New(t)
	pr := clocked(t, g, wechatpaytest.ModeCertificates, clock).Provider()
	s := newShop(t, pr)
	ctx := context.Background()
	pay := func(no string) {
		t.Helper()
		if _, err := pr.Pay(ctx, payReq(s, testPayment(no, 1, ChannelNative), uaDesktop)); err != nil {
			t.Fatal(err)
		}
	}
	pay("TW00001")
	clock.Advance(time.Hour)
	pay("TW00002")
	if n := countRequests(g, "GET /v3/certificates"); n != 1 {
		t.Fatalf("%d downloads within 12 hours", n)
	}
	clock.Advance(CertRefreshInterval)
	pay("TW00003") // starts the refresh in the background
	// Join it (or, when it has not begun yet, do it): either way one more.
	if err := pr.Client().certs.refresh(ctx, pr.Client(), false); err != nil && !errors.Is(err, errRateLimited) {
		t.Fatal(err)
	}
	if n := countRequests(g, "GET /v3/certificates"); n != 2 {
		t.Fatalf("%d downloads after 13 hours", n)
	}
}

func FuzzParseCertificates(f *testing.F) {
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	const sn = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
	f.Add(certsBody(f, listItem{serial: sn, pem: testCert(f, sn, now.AddDate(1, 0, 0), true)}))
	f.Add([]byte(`{"data":[]}`))
	f.Add([]byte(`{"data":[{"serial_no":"AB","encrypt_certificate":{"algorithm":"AEAD_AES_256_GCM","nonce":"61f9c719728a","ciphertext":"AAAA"}}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		certs, err := ParseCertificates([]byte(testAPIv3Key), body, now)
		if err != nil && certs != nil {
			t.Fatal("certificates with an error")
		}
		for _, pc := range certs {
			if pc.Key == nil || !now.Before(pc.NotAfter) || pc.Serial == "" {
				t.Fatalf("bad certificate %+v", pc)
			}
		}
	})
}

func FuzzParseCertCache(f *testing.F) {
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	pc, err := parseCertPEM(testCert(f, "ABCD", now.AddDate(1, 0, 0), true))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(certCacheJSON("1900007291", DefaultBaseURL, now, []*PlatformCert{pc}))
	f.Add([]byte(`{"mch_id":"1900007291","base_url":"https://api.mch.weixin.qq.com","fetched_at":"2026-01-01T00:00:00Z","certs":[{"certificate":"x"}]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		certs, _, ok := ParseCertCache(raw, "1900007291", DefaultBaseURL, now)
		if !ok && certs != nil {
			t.Fatal("certificates from a refused cache")
		}
		for _, c := range certs {
			if c.Key == nil || !now.Before(c.NotAfter) {
				t.Fatalf("bad certificate %+v", c)
			}
		}
	})
}
