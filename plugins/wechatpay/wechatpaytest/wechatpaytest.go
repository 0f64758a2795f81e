// Package wechatpaytest is a fake WeChat Pay API v3 gateway for tests, in
// the manner of net/http/httptest: a local HTTP server that speaks the real
// wire protocol. It is written on the standard library alone and shares no
// code with package wechatpay, so that a mistake in one is not mirrored in
// the other.
//
// Start one with New (closed by the test's cleanup) and configure the
// plugin against it:
//
//	g := wechatpaytest.New(t)
//	err := wechatpay.New().Configure(ctx, g.Settings(wechatpaytest.ModePublicKey))
//
// The gateway generates its keys itself (shared by the gateways of one test
// binary unless WithFreshKeys): the merchant's API key (MchPrivateKeyPEM,
// MchSerialNo), the APIv3 key, a 微信支付公钥 (PublicKeyID, PublicKeyPEM)
// and a self-signed 平台证书 (CertSerial, CertPEM). Settings returns the
// plugin's settings for either kind of platform key or both.
//
// Every /v3/ request must carry a valid WECHATPAY2-SHA256-RSA2048
// Authorization made with the merchant's key for MchID and MchSerialNo, at
// most five minutes old; otherwise the answer is an unsigned 401
// SIGN_ERROR. Every other answer is signed, errors included: with the
// public key when the request's Wechatpay-Serial names it, else with the
// newest 平台证书 (SignWith overrides). The gateway serves:
//
//	POST /v3/pay/transactions/jsapi|h5|native      下单 (prepay_id, h5_url, code_url)
//	GET  /v3/pay/transactions/out-trade-no/{no}     查询订单 (404 ORDER_NOT_EXIST)
//	GET  /v3/pay/transactions/id/{transaction_id}   查询订单 by WeChat's number
//	POST /v3/pay/transactions/out-trade-no/{no}/close  关闭订单 (204)
//	POST /v3/refund/domestic/refunds                申请退款 (PROCESSING)
//	GET  /v3/refund/domestic/refunds/{no}           查询单笔退款 (404 RESOURCE_NOT_EXISTS)
//	GET  /v3/certificates                           平台证书 list, encrypted with the APIv3 key
//	GET  /cgi-bin/mmpayweb-bin/checkmweb            the H5 cashier page (h5_url points here)
//
// with the real request checks (appid and mchid, 6–32 character
// out_trade_no, an https notify_url without query — http is accepted for
// loopback hosts —, amounts in fen, time_expire with a numeric offset,
// payer.openid for JSAPI, scene_info for H5, refunds within what was paid).
//
// A test plays the payer and the gateway's side of callbacks:
//
//   - Pay(outTradeNo, openID) marks the order paid and POSTs
//     TRANSACTION.SUCCESS to the order's notify_url; PayPrepayID (JSAPI) and
//     PayCodeURL (Native) do the same from what the shop showed the payer.
//     MarkPaid only marks it (for queries); Notify delivers (again).
//   - FinishRefund(outRefundNo, "SUCCESS"|"ABNORMAL"|"CLOSED") ends a refund
//     and POSTs REFUND.<status> to the refund's notify_url.
//   - Each returns the Delivery: the request sent and the shop's answer
//     (Status, Response). Redeliver sends a delivery again, byte for byte.
//   - Tampers alter a delivery: WrongSignature, UnknownSerial,
//     StaleTimestamp, BodyChangedAfterSigning, WrongAmount, WrongMchID,
//     WrongAppID, and SignedWith (choose the key).
//
// The H5 page shows the order and a 确认支付 button (data-testid
// "wechatpaytest-confirm"); pressing it marks the order paid, delivers the
// callback and redirects (303) to the redirect_url the shop appended to
// h5_url, so a headless browser can pay end to end.
//
// RotateCertificate adds a new 平台证书 (answers and callbacks signed with
// certificates then use it), DisableCertificates empties the list,
// FailNext makes the next API request fail with the given (signed) error,
// SetClock moves the gateway's clock.
package wechatpaytest

import (
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/xiaodian/xiaodian/plugins"
)

// KeyKind is a kind of gateway key.
type KeyKind int

// Key kinds.
const (
	Auto        KeyKind = iota // the gateway's own choice
	PublicKey                  // the 微信支付公钥 (PublicKeyID)
	Certificate                // the newest 平台证书
)

// Mode is which platform keys Settings configures the plugin with.
type Mode int

// Modes of Settings.
const (
	ModePublicKey    Mode = iota + 1 // 微信支付公钥 only
	ModeCertificates                 // downloaded 平台证书 only
	ModeBoth                         // both (a merchant migrating): callbacks alternate
)

// Gateway is a fake WeChat Pay. Its exported fields are set by New and
// must not be changed.
type Gateway struct {
	URL string // base URL, http://127.0.0.1:port

	MchID            string // 商户号
	AppID            string // the AppID bound to the merchant
	MchSerialNo      string // the merchant API certificate's serial number
	MchPrivateKeyPEM string // apiclient_key.pem (PKCS #8)
	MchKey           *rsa.PrivateKey
	APIv3Key         string // 32 characters
	PublicKeyID      string // "PUB_KEY_ID_…"
	PublicKeyPEM     string // pub_key.pem
	CertSerial       string // the first 平台证书's serial (upper-case hex)
	CertPEM          string

	srv    *httptest.Server
	pubKey *rsa.PrivateKey
	client *http.Client

	mu         sync.Mutex
	now        func() time.Time
	certs      []*platCert // oldest first
	noCerts    bool
	signWith   KeyKind
	mode       Mode
	alternate  int
	failNext   *failure
	orders     map[string]*Order
	refunds    map[string]*Refund
	requests   []string
	deliveries []*Delivery
	fresh      bool

	bills         map[string]*Bill
	transferMode  TransferMode
	transferFail  string
	transferFault TransferFault
	closed        chan struct{} // closed when the test ends: hung answers give up
}

type platCert struct {
	key      *rsa.PrivateKey
	serial   string
	pem      string
	notAfter time.Time
}

type failure struct {
	status        int
	code, message string
}

// Order is what the gateway knows of an order.
type Order struct {
	Kind          string // "jsapi", "h5" or "native"
	AppID, MchID  string
	Description   string
	OutTradeNo    string
	NotifyURL     string
	TimeExpire    string
	Total         int64 // fen
	Currency      string
	OpenID        string // JSAPI: the payer the order was placed for
	ClientIP      string // H5
	PrepayID      string
	H5URL         string
	CodeURL       string
	State         string // NOTPAY, SUCCESS, REFUND, CLOSED
	TransactionID string
	PayerOpenID   string
	SuccessTime   string
	Refunded      int64
}

// Refund is what the gateway knows of a refund.
type Refund struct {
	OutRefundNo   string
	RefundID      string
	OutTradeNo    string
	TransactionID string
	Reason        string
	NotifyURL     string
	Amount        int64  // fen refunded
	Total         int64  // the order's total
	Status        string // PROCESSING, SUCCESS, ABNORMAL, CLOSED
	CreateTime    string
	SuccessTime   string
}

// Delivery is one callback POSTed to the shop and the shop's answer.
type Delivery struct {
	Event    string      // TRANSACTION.SUCCESS, REFUND.SUCCESS, …
	URL      string      // the notify_url
	Header   http.Header // the request's headers
	Body     []byte      // the request's body
	Status   int         // the shop's answer
	Response string
}

// Option changes how New makes a gateway.
type Option func(*Gateway)

// WithFreshKeys makes the gateway generate keys of its own instead of the
// ones shared by the gateways of the test binary.
func WithFreshKeys() Option { return func(g *Gateway) { g.fresh = true } }

// WithMerchant sets the 商户号 and AppID (defaults 1900007291 and
// wx2421b1c4370ec43b, the documentation's examples).
func WithMerchant(mchID, appID string) Option {
	return func(g *Gateway) { g.MchID, g.AppID = mchID, appID }
}

// New starts a gateway, closed when the test ends.
func New(tb testing.TB, opts ...Option) *Gateway {
	tb.Helper()
	g := &Gateway{MchID: "1900007291", AppID: "wx2421b1c4370ec43b", now: time.Now,
		orders: map[string]*Order{}, refunds: map[string]*Refund{}, bills: map[string]*Bill{}, closed: make(chan struct{}),
		client: &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}}
	for _, o := range opts {
		o(g)
	}
	key := func(i int) *rsa.PrivateKey {
		if g.fresh {
			return generate()
		}
		return sharedKey(i)
	}
	g.MchKey = key(0)
	g.pubKey = key(1)
	p8, err := x509.MarshalPKCS8PrivateKey(g.MchKey)
	if err != nil {
		tb.Fatal(err)
	}
	g.MchPrivateKeyPEM = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8}))
	g.MchSerialNo = randomSerial()
	g.APIv3Key = randomAlnum(32)
	g.PublicKeyID = "PUB_KEY_ID_01" + g.MchID + randomDigits(32-2-len(g.MchID))
	pk, err := x509.MarshalPKIXPublicKey(&g.pubKey.PublicKey)
	if err != nil {
		tb.Fatal(err)
	}
	g.PublicKeyPEM = string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pk}))
	first, err := g.newCert(key(2))
	if err != nil {
		tb.Fatal(err)
	}
	g.certs = []*platCert{first}
	g.CertSerial, g.CertPEM = first.serial, first.pem

	mux := http.NewServeMux()
	mux.HandleFunc("/v3/", g.serveAPI)
	mux.HandleFunc(h5Path, g.serveH5)
	g.srv = httptest.NewServer(mux)
	g.URL = g.srv.URL
	tb.Cleanup(g.srv.Close)
	tb.Cleanup(func() { close(g.closed) }) // runs first: hung answers end before Close waits for them
	return g
}

// Close stops the gateway (New's cleanup does it too).
func (g *Gateway) Close() { g.srv.Close() }

// Settings returns the plugin's settings for this gateway (base_url its
// URL, every channel on) with the platform keys of mode. It also chooses
// the key callbacks are signed with: the public key, the certificate, or
// the two in turn.
func (g *Gateway) Settings(mode Mode) plugins.SettingValues {
	g.mu.Lock()
	g.mode = mode
	g.mu.Unlock()
	v := plugins.SettingValues{
		"mch_id": g.MchID, "app_id": g.AppID, "mch_serial_no": g.MchSerialNo,
		"mch_private_key": g.MchPrivateKeyPEM, "apiv3_key": g.APIv3Key,
		"channel_jsapi": "1", "channel_h5": "1", "channel_native": "1", "base_url": g.URL,
	}
	if mode == ModePublicKey || mode == ModeBoth {
		v["public_key_id"], v["public_key"] = g.PublicKeyID, g.PublicKeyPEM
	}
	if mode == ModeCertificates || mode == ModeBoth {
		v["platform_certs"] = "1"
	}
	return v
}

// PayoutSettings is Settings with 用于分销提现打款 switched on (the other
// payout settings left to their defaults: scene 1000 and its report infos).
func (g *Gateway) PayoutSettings(mode Mode) plugins.SettingValues {
	v := g.Settings(mode)
	v["payout"] = "1"
	return v
}

// SetClock replaces the gateway's clock (time.Now by default).
func (g *Gateway) SetClock(now func() time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.now = now
}

// SignWith chooses the key of every answer and callback; Auto restores the
// gateway's choice.
func (g *Gateway) SignWith(k KeyKind) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.signWith = k
}

// RotateCertificate adds a new 平台证书 (with a key of its own) and returns
// its serial; the older ones stay listed.
func (g *Gateway) RotateCertificate() string {
	pc, err := g.newCert(generate())
	if err != nil {
		panic(err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.certs = append(g.certs, pc)
	return pc.serial
}

// DisableCertificates makes /v3/certificates list none (a merchant on the
// public key only); answers are then signed with the public key.
func (g *Gateway) DisableCertificates() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.noCerts = true
}

// FailNext makes the next /v3/ request with a valid signature fail with
// status and the error code and message (signed, like the gateway's
// errors).
func (g *Gateway) FailNext(status int, code, message string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.failNext = &failure{status, code, message}
}

// Requests lists the /v3/ requests received, "METHOD /path?query".
func (g *Gateway) Requests() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.requests...)
}

// Deliveries lists the callbacks delivered, oldest first.
func (g *Gateway) Deliveries() []*Delivery {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]*Delivery(nil), g.deliveries...)
}

// Order returns the order numbered outTradeNo.
func (g *Gateway) Order(outTradeNo string) (Order, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	o := g.orders[outTradeNo]
	if o == nil {
		return Order{}, false
	}
	return *o, true
}

// Refund returns the refund numbered outRefundNo.
func (g *Gateway) Refund(outRefundNo string) (Refund, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	r := g.refunds[outRefundNo]
	if r == nil {
		return Refund{}, false
	}
	return *r, true
}

// ---- keys ----

var keyCache struct {
	mu   sync.Mutex
	keys []*rsa.PrivateKey
}

// sharedKey returns the i-th key shared by the gateways of this binary
// (RSA key generation is slow under the race detector).
func sharedKey(i int) *rsa.PrivateKey {
	keyCache.mu.Lock()
	defer keyCache.mu.Unlock()
	for len(keyCache.keys) <= i {
		keyCache.keys = append(keyCache.keys, generate())
	}
	return keyCache.keys[i]
}

func generate() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}

func (g *Gateway) newCert(key *rsa.PrivateKey) (*platCert, error) {
	sn, _ := new(big.Int).SetString(randomSerial(), 16)
	now := g.clock()
	tmpl := &x509.Certificate{SerialNumber: sn,
		Subject:   pkix.Name{CommonName: "Tenpay.com sign", OrganizationalUnit: []string{"Tenpay.com CA Center"}, Organization: []string{"Tenpay.com"}, Country: []string{"CN"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(5, 0, 0), KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	return &platCert{key: key, serial: strings.ToUpper(sn.Text(16)), notAfter: tmpl.NotAfter,
		pem: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))}, nil
}

func (g *Gateway) clock() time.Time {
	if g.now == nil {
		return time.Now()
	}
	return g.now()
}

// ---- protocol ----

// signature signs the lines of msg with key: SHA256 with RSA, PKCS #1 v1.5,
// base64.
func signature(key *rsa.PrivateKey, parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p)
		b.WriteByte('\n')
	}
	sum := sha256.Sum256([]byte(b.String()))
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, sum[:])
	if err != nil {
		panic(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

// authFields splits an Authorization header.
func authFields(h string) (map[string]string, bool) {
	rest, ok := strings.CutPrefix(h, "WECHATPAY2-SHA256-RSA2048 ")
	if !ok {
		return nil, false
	}
	f := map[string]string{}
	for _, kv := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		uq, err := strconv.Unquote(v)
		if !ok || err != nil || !strings.HasPrefix(v, `"`) {
			return nil, false
		}
		f[k] = uq
	}
	return f, true
}

// checkAuth verifies a request's signature like the gateway does.
func (g *Gateway) checkAuth(r *http.Request, body []byte, now time.Time) string {
	f, ok := authFields(r.Header.Get("Authorization"))
	if !ok {
		return "Authorization 格式错误"
	}
	for _, k := range []string{"mchid", "nonce_str", "signature", "timestamp", "serial_no"} {
		if f[k] == "" {
			return "Authorization 缺少 " + k
		}
	}
	if f["mchid"] != g.MchID {
		return "商户号不存在"
	}
	if f["serial_no"] != g.MchSerialNo {
		return "商户证书序列号有误。请使用签名私钥匹配的证书序列号"
	}
	ts, err := strconv.ParseInt(f["timestamp"], 10, 64)
	if err != nil || now.Sub(time.Unix(ts, 0)).Abs() > 5*time.Minute {
		return "请求的时间戳已过期"
	}
	sig, err := base64.StdEncoding.DecodeString(f["signature"])
	if err != nil {
		return "签名错误"
	}
	var msg strings.Builder
	for _, p := range []string{r.Method, r.URL.RequestURI(), f["timestamp"], f["nonce_str"], string(body)} {
		msg.WriteString(p)
		msg.WriteByte('\n')
	}
	sum := sha256.Sum256([]byte(msg.String()))
	if rsa.VerifyPKCS1v15(&g.MchKey.PublicKey, crypto.SHA256, sum[:], sig) != nil {
		return "签名错误，请检查后再试"
	}
	return ""
}

// signer returns the key and serial that sign with kind (Auto: the public
// key when wantPublic or there are no certificates, else the newest
// certificate). Called with g.mu held.
func (g *Gateway) signer(kind KeyKind, wantPublic bool) (*rsa.PrivateKey, string) {
	if kind == Auto {
		kind = Certificate
		if wantPublic || g.noCerts {
			kind = PublicKey
		}
	}
	if kind == PublicKey {
		return g.pubKey, g.PublicKeyID
	}
	pc := g.certs[len(g.certs)-1]
	return pc.key, pc.serial
}

// signedHeaders are the headers of a signed answer or callback.
func signedHeaders(key *rsa.PrivateKey, serial string, at time.Time, body []byte) http.Header {
	stamp := strconv.FormatInt(at.Unix(), 10)
	nonce := hex.EncodeToString(randomBytes(16))
	h := http.Header{}
	h.Set("Wechatpay-Timestamp", stamp)
	h.Set("Wechatpay-Nonce", nonce)
	h.Set("Wechatpay-Signature", signature(key, stamp, nonce, string(body)))
	h.Set("Wechatpay-Serial", serial)
	h.Set("Wechatpay-Signature-Type", "WECHATPAY2-SHA256-RSA2048")
	return h
}

type resource struct {
	OriginalType   string `json:"original_type,omitempty"`
	Algorithm      string `json:"algorithm"`
	Ciphertext     string `json:"ciphertext"`
	AssociatedData string `json:"associated_data"`
	Nonce          string `json:"nonce"`
}

// encrypt seals plain with the APIv3 key (AEAD_AES_256_GCM).
func (g *Gateway) encrypt(plain []byte, ad, originalType string) resource {
	block, err := aes.NewCipher([]byte(g.APIv3Key))
	if err != nil {
		panic(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	nonce := randomAlnum(12)
	ct := aead.Seal(nil, []byte(nonce), plain, []byte(ad))
	return resource{OriginalType: originalType, Algorithm: "AEAD_AES_256_GCM",
		Ciphertext: base64.StdEncoding.EncodeToString(ct), AssociatedData: ad, Nonce: nonce}
}

// ---- random values ----

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func randomSerial() string {
	b := randomBytes(20)
	b[0] = 0x10 | b[0]&0x6f // 40 hex digits, no leading zero
	return strings.ToUpper(hex.EncodeToString(b))
}

func randomDigits(n int) string {
	b := randomBytes(n)
	for i := range b {
		b[i] = '0' + b[i]%10
	}
	return string(b)
}

const alnum = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

func randomAlnum(n int) string {
	b := randomBytes(n)
	for i := range b {
		b[i] = alnum[int(b[i])%len(alnum)]
	}
	return string(b)
}

// ---- the API ----

var (
	outNoFormat = regexp.MustCompile(`^[0-9A-Za-z_\-|*]{6,32}$`)
	refundNoFmt = regexp.MustCompile(`^[0-9A-Za-z_\-|*@]{1,64}$`)
)

type apiAnswer struct {
	status   int
	body     any    // nil: no body
	raw      []byte // sent as it is instead of body (malformed answers)
	unsigned bool   // sent without the gateway's signature
	hang     bool   // no answer until the client gives up (a timeout)
}

func apiErr(status int, code, msg string) apiAnswer {
	return apiAnswer{status: status, body: map[string]string{"code": code, "message": msg}}
}

func (g *Gateway) serveAPI(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	g.mu.Lock()
	now := g.clock()
	g.requests = append(g.requests, r.Method+" "+r.URL.RequestURI())
	if why := g.checkAuth(r, body, now); why != "" {
		g.mu.Unlock()
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusUnauthorized)
		json.NewEncoder(w).Encode(map[string]string{"code": "SIGN_ERROR", "message": why})
		return
	}
	var a apiAnswer
	if f := g.failNext; f != nil {
		g.failNext = nil
		a = apiErr(f.status, f.code, f.message)
	} else {
		a = g.route(r, body, now)
	}
	var rb []byte
	if a.body != nil {
		rb, _ = json.Marshal(a.body)
	}
	if a.raw != nil {
		rb = a.raw
	}
	key, serial := g.signer(g.signWith, r.Header.Get("Wechatpay-Serial") == g.PublicKeyID)
	g.mu.Unlock()
	if a.hang {
		select {
		case <-r.Context().Done():
		case <-g.closed:
		case <-time.After(time.Minute):
		}
		return
	}
	if !a.unsigned {
		h := signedHeaders(key, serial, now, rb)
		for k, v := range h {
			w.Header()[k] = v
		}
	}
	w.Header().Set("Request-ID", hex.EncodeToString(randomBytes(12)))
	if rb != nil {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	w.WriteHeader(a.status)
	w.Write(rb)
}

// route answers a verified request; called with g.mu held.
func (g *Gateway) route(r *http.Request, body []byte, now time.Time) apiAnswer {
	if a, ok := g.routeTransfer(r, body, now); ok {
		return a
	}
	p := r.URL.Path
	switch {
	case r.Method == http.MethodPost && (p == "/v3/pay/transactions/jsapi" || p == "/v3/pay/transactions/h5" || p == "/v3/pay/transactions/native"):
		return g.prepay(strings.TrimPrefix(p, "/v3/pay/transactions/"), body, now)
	case strings.HasPrefix(p, "/v3/pay/transactions/out-trade-no/"):
		rest := strings.TrimPrefix(p, "/v3/pay/transactions/out-trade-no/")
		if no, ok := strings.CutSuffix(rest, "/close"); ok {
			if r.Method != http.MethodPost {
				return apiErr(405, "METHOD_NOT_ALLOWED", "请求方法不允许")
			}
			return g.close(no, body)
		}
		if r.Method != http.MethodGet {
			return apiErr(405, "METHOD_NOT_ALLOWED", "请求方法不允许")
		}
		if r.URL.Query().Get("mchid") != g.MchID {
			return apiErr(400, "PARAM_ERROR", "mchid 与请求头不一致")
		}
		o := g.orders[rest]
		if o == nil {
			return apiErr(404, "ORDER_NOT_EXIST", "订单不存在")
		}
		return apiAnswer{status: 200, body: g.transaction(o)}
	case r.Method == http.MethodGet && strings.HasPrefix(p, "/v3/pay/transactions/id/"):
		if r.URL.Query().Get("mchid") != g.MchID {
			return apiErr(400, "PARAM_ERROR", "mchid 与请求头不一致")
		}
		id := strings.TrimPrefix(p, "/v3/pay/transactions/id/")
		for _, o := range g.orders {
			if o.TransactionID != "" && o.TransactionID == id {
				return apiAnswer{status: 200, body: g.transaction(o)}
			}
		}
		return apiErr(404, "ORDER_NOT_EXIST", "订单不存在")
	case r.Method == http.MethodPost && p == "/v3/refund/domestic/refunds":
		return g.refund(body, now)
	case r.Method == http.MethodGet && strings.HasPrefix(p, "/v3/refund/domestic/refunds/"):
		rf := g.refunds[strings.TrimPrefix(p, "/v3/refund/domestic/refunds/")]
		if rf == nil {
			return apiErr(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
		}
		return apiAnswer{status: 200, body: g.refundJSON(rf)}
	case r.Method == http.MethodGet && p == "/v3/certificates":
		return g.certificates()
	}
	return apiErr(404, "NOT_FOUND", "无可用的平台服务")
}

type prepayIn struct {
	AppID       string `json:"appid"`
	MchID       string `json:"mchid"`
	Description string `json:"description"`
	OutTradeNo  string `json:"out_trade_no"`
	TimeExpire  string `json:"time_expire"`
	Attach      string `json:"attach"`
	NotifyURL   string `json:"notify_url"`
	Amount      struct {
		Total    int64  `json:"total"`
		Currency string `json:"currency"`
	} `json:"amount"`
	Payer *struct {
		OpenID string `json:"openid"`
	} `json:"payer"`
	SceneInfo *struct {
		PayerClientIP string `json:"payer_client_ip"`
		H5Info        *struct {
			Type string `json:"type"`
		} `json:"h5_info"`
	} `json:"scene_info"`
}

// validNotifyURL is an absolute https URL without query (http for a
// loopback host, where tests run the shop).
func validNotifyURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || len(s) > 255 {
		return false
	}
	if u.Scheme == "https" {
		return true
	}
	ip := net.ParseIP(u.Hostname())
	return u.Scheme == "http" && (u.Hostname() == "localhost" || ip != nil && ip.IsLoopback())
}

func (g *Gateway) prepay(kind string, body []byte, now time.Time) apiAnswer {
	var in prepayIn
	if err := json.Unmarshal(body, &in); err != nil {
		return apiErr(400, "PARAM_ERROR", "输入源“/body”映射到值字段失败")
	}
	switch {
	case in.MchID != g.MchID:
		return apiErr(400, "PARAM_ERROR", "mchid 与请求头中的商户号不一致")
	case in.AppID != g.AppID:
		return apiErr(400, "APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配")
	case in.Description == "" || utf8.RuneCountInString(in.Description) > 127:
		return apiErr(400, "PARAM_ERROR", "description 长度应为 1 到 127")
	case !outNoFormat.MatchString(in.OutTradeNo):
		return apiErr(400, "PARAM_ERROR", "out_trade_no 格式错误")
	case !validNotifyURL(in.NotifyURL):
		return apiErr(400, "PARAM_ERROR", "notify_url 格式错误")
	case in.Amount.Total <= 0:
		return apiErr(400, "PARAM_ERROR", "amount.total 应大于 0")
	case in.Amount.Currency != "" && in.Amount.Currency != "CNY":
		return apiErr(400, "PARAM_ERROR", "amount.currency 只支持 CNY")
	}
	if in.TimeExpire != "" {
		t, err := time.Parse(time.RFC3339, in.TimeExpire)
		if err != nil || strings.HasSuffix(in.TimeExpire, "Z") || !t.After(now) {
			return apiErr(400, "PARAM_ERROR", "time_expire 格式错误")
		}
	}
	o := &Order{Kind: kind, AppID: in.AppID, MchID: in.MchID, Description: in.Description,
		OutTradeNo: in.OutTradeNo, NotifyURL: in.NotifyURL, TimeExpire: in.TimeExpire, Total: in.Amount.Total,
		Currency: "CNY", State: "NOTPAY"}
	switch kind {
	case "jsapi":
		if in.Payer == nil || in.Payer.OpenID == "" {
			return apiErr(400, "PARAM_ERROR", "缺少参数 payer.openid")
		}
		o.OpenID = in.Payer.OpenID
	case "h5":
		if in.SceneInfo == nil || net.ParseIP(in.SceneInfo.PayerClientIP) == nil || in.SceneInfo.H5Info == nil ||
			(in.SceneInfo.H5Info.Type != "Wap" && in.SceneInfo.H5Info.Type != "iOS" && in.SceneInfo.H5Info.Type != "Android") {
			return apiErr(400, "PARAM_ERROR", "scene_info 格式错误")
		}
		o.ClientIP = in.SceneInfo.PayerClientIP
	}
	if old := g.orders[in.OutTradeNo]; old != nil {
		switch {
		case old.State == "SUCCESS" || old.State == "REFUND":
			return apiErr(400, "ORDERPAID", "该订单已支付")
		case old.State == "CLOSED":
			return apiErr(400, "ORDER_CLOSED", "该订单已关闭")
		case old.Total != o.Total || old.Kind != o.Kind || old.Description != o.Description:
			return apiErr(400, "INVALID_REQUEST", "201 商户订单号重复")
		}
		o = old
	} else {
		o.PrepayID = "wx" + now.In(time.FixedZone("CST", 8*3600)).Format("20060102150405") + hex.EncodeToString(randomBytes(10))
		o.CodeURL = "weixin://wxpay/bizpayurl?pr=" + randomAlnum(9)
		o.H5URL = g.URL + h5Path + "?prepay_id=" + o.PrepayID + "&package=" + randomDigits(10)
		g.orders[in.OutTradeNo] = o
	}
	switch kind {
	case "jsapi":
		return apiAnswer{status: 200, body: map[string]string{"prepay_id": o.PrepayID}}
	case "h5":
		return apiAnswer{status: 200, body: map[string]string{"h5_url": o.H5URL}}
	}
	return apiAnswer{status: 200, body: map[string]string{"code_url": o.CodeURL}}
}

func (g *Gateway) close(no string, body []byte) apiAnswer {
	var in struct {
		MchID string `json:"mchid"`
	}
	if json.Unmarshal(body, &in) != nil || in.MchID != g.MchID {
		return apiErr(400, "PARAM_ERROR", "mchid 与请求头不一致")
	}
	o := g.orders[no]
	switch {
	case o == nil:
		return apiErr(404, "ORDER_NOT_EXIST", "订单不存在")
	case o.State == "SUCCESS" || o.State == "REFUND":
		return apiErr(400, "ORDERPAID", "该订单已支付")
	}
	o.State = "CLOSED"
	return apiAnswer{status: 204}
}

// transaction is the 查询订单 answer and the callback's plaintext.
func (g *Gateway) transaction(o *Order) map[string]any {
	tradeType := map[string]string{"jsapi": "JSAPI", "h5": "MWEB", "native": "NATIVE"}[o.Kind]
	desc := map[string]string{"NOTPAY": "订单未支付", "SUCCESS": "支付成功", "REFUND": "转入退款", "CLOSED": "订单已关闭"}[o.State]
	t := map[string]any{"appid": o.AppID, "mchid": o.MchID, "out_trade_no": o.OutTradeNo, "trade_type": tradeType,
		"trade_state": o.State, "trade_state_desc": desc, "attach": "",
		"amount": map[string]any{"total": o.Total, "currency": "CNY"}}
	if o.TransactionID != "" {
		t["transaction_id"] = o.TransactionID
		t["bank_type"] = "OTHERS"
		t["success_time"] = o.SuccessTime
		t["payer"] = map[string]string{"openid": o.PayerOpenID}
		t["amount"] = map[string]any{"total": o.Total, "payer_total": o.Total, "currency": "CNY", "payer_currency": "CNY"}
	}
	return t
}

func (g *Gateway) refund(body []byte, now time.Time) apiAnswer {
	var in struct {
		TransactionID string `json:"transaction_id"`
		OutTradeNo    string `json:"out_trade_no"`
		OutRefundNo   string `json:"out_refund_no"`
		Reason        string `json:"reason"`
		NotifyURL     string `json:"notify_url"`
		Amount        struct {
			Refund   int64  `json:"refund"`
			Total    int64  `json:"total"`
			Currency string `json:"currency"`
		} `json:"amount"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return apiErr(400, "PARAM_ERROR", "输入源“/body”映射到值字段失败")
	}
	if !refundNoFmt.MatchString(in.OutRefundNo) || (in.NotifyURL != "" && !validNotifyURL(in.NotifyURL)) ||
		in.Amount.Currency != "CNY" || utf8.RuneCountInString(in.Reason) > 80 {
		return apiErr(400, "PARAM_ERROR", "参数错误")
	}
	var o *Order
	if in.OutTradeNo != "" {
		o = g.orders[in.OutTradeNo]
	}
	if in.TransactionID != "" {
		if o != nil && o.TransactionID != in.TransactionID {
			return apiErr(400, "INVALID_REQUEST", "transaction_id 与 out_trade_no 不一致")
		}
		for _, cand := range g.orders {
			if cand.TransactionID == in.TransactionID {
				o = cand
			}
		}
	}
	switch {
	case o == nil:
		return apiErr(404, "RESOURCE_NOT_EXISTS", "订单不存在")
	case o.State != "SUCCESS" && o.State != "REFUND":
		return apiErr(400, "INVALID_REQUEST", "订单未支付，不能退款")
	case in.Amount.Total != o.Total:
		return apiErr(400, "PARAM_ERROR", "订单金额与原订单不一致")
	}
	if old := g.refunds[in.OutRefundNo]; old != nil {
		if old.OutTradeNo != o.OutTradeNo || old.Amount != in.Amount.Refund {
			return apiErr(400, "INVALID_REQUEST", "退款单号重复")
		}
		return apiAnswer{status: 200, body: g.refundJSON(old)}
	}
	if in.Amount.Refund <= 0 || o.Refunded+in.Amount.Refund > o.Total {
		return apiErr(400, "INVALID_REQUEST", "申请退款金额超过订单可退金额")
	}
	rf := &Refund{OutRefundNo: in.OutRefundNo, RefundID: "50" + randomDigits(27), OutTradeNo: o.OutTradeNo,
		TransactionID: o.TransactionID, Reason: in.Reason, NotifyURL: in.NotifyURL, Amount: in.Amount.Refund,
		Total: o.Total, Status: "PROCESSING", CreateTime: chinaTime(now)}
	g.refunds[in.OutRefundNo] = rf
	o.Refunded += in.Amount.Refund
	o.State = "REFUND"
	return apiAnswer{status: 200, body: g.refundJSON(rf)}
}

func chinaTime(t time.Time) string {
	return t.In(time.FixedZone("CST", 8*3600)).Format(time.RFC3339)
}

func (g *Gateway) refundJSON(rf *Refund) map[string]any {
	m := map[string]any{"refund_id": rf.RefundID, "out_refund_no": rf.OutRefundNo, "transaction_id": rf.TransactionID,
		"out_trade_no": rf.OutTradeNo, "channel": "ORIGINAL", "user_received_account": "支付用户零钱",
		"create_time": rf.CreateTime, "status": rf.Status, "funds_account": "AVAILABLE",
		"amount": map[string]any{"total": rf.Total, "refund": rf.Amount, "payer_total": rf.Total,
			"payer_refund": rf.Amount, "settlement_refund": rf.Amount, "settlement_total": rf.Total,
			"discount_refund": 0, "currency": "CNY"}}
	if rf.SuccessTime != "" {
		m["success_time"] = rf.SuccessTime
	}
	return m
}

func (g *Gateway) certificates() apiAnswer {
	data := []map[string]any{}
	if !g.noCerts {
		for _, pc := range g.certs {
			data = append(data, map[string]any{"serial_no": pc.serial,
				"effective_time": chinaTime(pc.notAfter.AddDate(-5, 0, 0)), "expire_time": chinaTime(pc.notAfter),
				"encrypt_certificate": g.encrypt([]byte(pc.pem), "certificate", "")})
		}
	}
	return apiAnswer{status: 200, body: map[string]any{"data": data}}
}

// ---- the payer and callbacks ----

// MarkPaid marks the order paid by the payer openID (the JSAPI order's own
// payer when ""), without a callback.
func (g *Gateway) MarkPaid(outTradeNo, openID string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.markPaid(g.orders[outTradeNo], openID)
}

func (g *Gateway) markPaid(o *Order, openID string) error {
	switch {
	case o == nil:
		return errors.New("wechatpaytest: no such order")
	case o.State == "CLOSED":
		return errors.New("wechatpaytest: the order is closed")
	case o.State != "NOTPAY":
		return nil // paid already: the same transaction
	}
	if openID == "" {
		openID = o.OpenID
	}
	if openID == "" {
		openID = "o" + randomAlnum(27)
	}
	o.State, o.PayerOpenID = "SUCCESS", openID
	o.TransactionID = "42000" + randomDigits(23)
	o.SuccessTime = chinaTime(g.clock())
	return nil
}

// Pay marks the order paid by openID and delivers TRANSACTION.SUCCESS to
// its notify_url.
func (g *Gateway) Pay(outTradeNo, openID string, t ...Tamper) (*Delivery, error) {
	if err := g.MarkPaid(outTradeNo, openID); err != nil {
		return nil, err
	}
	return g.Notify(outTradeNo, t...)
}

// PayPrepayID pays the JSAPI order of prepayID (what getBrandWCPayRequest
// carries in package=prepay_id=…) and delivers the callback.
func (g *Gateway) PayPrepayID(prepayID, openID string) (*Delivery, error) {
	return g.payBy(func(o *Order) bool { return o.PrepayID == prepayID }, openID)
}

// PayCodeURL pays the Native order whose QR code carries codeURL and
// delivers the callback.
func (g *Gateway) PayCodeURL(codeURL, openID string) (*Delivery, error) {
	return g.payBy(func(o *Order) bool { return o.CodeURL == codeURL }, openID)
}

func (g *Gateway) payBy(match func(*Order) bool, openID string) (*Delivery, error) {
	g.mu.Lock()
	var found *Order
	for _, o := range g.orders {
		if match(o) {
			found = o
		}
	}
	err := g.markPaid(found, openID)
	g.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return g.Notify(found.OutTradeNo)
}

// Notify delivers TRANSACTION.SUCCESS of a paid order to its notify_url
// (again, when called twice: the same notification id and content).
func (g *Gateway) Notify(outTradeNo string, t ...Tamper) (*Delivery, error) {
	var tp tamper
	for _, f := range t {
		f(&tp)
	}
	g.mu.Lock()
	o := g.orders[outTradeNo]
	if o == nil || o.TransactionID == "" {
		g.mu.Unlock()
		return nil, errors.New("wechatpaytest: no paid order " + outTradeNo)
	}
	plain := g.transaction(o)
	notify := o.NotifyURL
	id := "EV-" + o.TransactionID
	g.mu.Unlock()
	plain["trade_state"], plain["trade_state_desc"] = "SUCCESS", "支付成功"
	if tp.amount != nil {
		plain["amount"] = map[string]any{"total": *tp.amount, "payer_total": *tp.amount, "currency": "CNY", "payer_currency": "CNY"}
	}
	if tp.mchID != nil {
		plain["mchid"] = *tp.mchID
	}
	if tp.appID != nil {
		plain["appid"] = *tp.appID
	}
	return g.deliver(notify, "TRANSACTION.SUCCESS", "transaction", "支付成功", id, plain, tp)
}

// FinishRefund ends the refund with status ("SUCCESS", "ABNORMAL" or
// "CLOSED") and delivers REFUND.<status> to the refund's notify_url (no
// delivery, nil, when the refund had none).
func (g *Gateway) FinishRefund(outRefundNo, status string, t ...Tamper) (*Delivery, error) {
	var tp tamper
	for _, f := range t {
		f(&tp)
	}
	summary := map[string]string{"SUCCESS": "退款成功", "ABNORMAL": "退款异常", "CLOSED": "退款关闭"}[status]
	if summary == "" {
		return nil, fmt.Errorf("wechatpaytest: refund status %q", status)
	}
	g.mu.Lock()
	rf := g.refunds[outRefundNo]
	if rf == nil {
		g.mu.Unlock()
		return nil, errors.New("wechatpaytest: no refund " + outRefundNo)
	}
	rf.Status = status
	if status == "SUCCESS" {
		rf.SuccessTime = chinaTime(g.clock())
	} else if o := g.orders[rf.OutTradeNo]; o != nil {
		o.Refunded -= rf.Amount
	}
	plain := map[string]any{"mchid": g.MchID, "out_trade_no": rf.OutTradeNo, "transaction_id": rf.TransactionID,
		"out_refund_no": rf.OutRefundNo, "refund_id": rf.RefundID, "refund_status": status,
		"user_received_account": "支付用户零钱",
		"amount":                map[string]any{"total": rf.Total, "refund": rf.Amount, "payer_total": rf.Total, "payer_refund": rf.Amount}}
	if rf.SuccessTime != "" {
		plain["success_time"] = rf.SuccessTime
	}
	notify := rf.NotifyURL
	g.mu.Unlock()
	if notify == "" {
		return nil, nil
	}
	if tp.amount != nil {
		plain["amount"] = map[string]any{"total": rf.Total, "refund": *tp.amount, "payer_total": rf.Total, "payer_refund": *tp.amount}
	}
	if tp.mchID != nil {
		plain["mchid"] = *tp.mchID
	}
	return g.deliver(notify, "REFUND."+status, "refund", summary, "EV-"+rf.RefundID+"-"+status, plain, tp)
}

// deliver encrypts plain, signs the notification and POSTs it.
func (g *Gateway) deliver(notifyURL, event, originalType, summary, id string, plain map[string]any, tp tamper) (*Delivery, error) {
	pb, err := json.Marshal(plain)
	if err != nil {
		return nil, err
	}
	g.mu.Lock()
	now := g.clock()
	env := map[string]any{"id": id, "create_time": chinaTime(now), "resource_type": "encrypt-resource",
		"event_type": event, "summary": summary, "resource": g.encrypt(pb, originalType, originalType)}
	kind := tp.key
	if kind == Auto {
		kind = g.signWith
	}
	if kind == Auto {
		switch g.mode {
		case ModeCertificates:
			kind = Certificate
		case ModeBoth:
			g.alternate++
			kind = KeyKind(1 + g.alternate%2)
		default:
			kind = PublicKey
		}
	}
	key, serial := g.signer(kind, false)
	g.mu.Unlock()
	body, err := json.Marshal(env)
	if err != nil {
		return nil, err
	}
	at := now
	if tp.stale {
		at = now.Add(-6 * time.Minute)
	}
	if tp.wrongSig {
		key = g.MchKey
	}
	h := signedHeaders(key, serial, at, body)
	if tp.unknownSerial {
		h.Set("Wechatpay-Serial", "PUB_KEY_ID_0000000000000000000000000000000001")
	}
	if tp.bodyChanged {
		body = bytes.Replace(body, []byte(`"summary":"`), []byte(`"summary":"!`), 1)
	}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "Mozilla/4.0")
	d := &Delivery{Event: event, URL: notifyURL, Header: h, Body: body}
	return g.post(d)
}

// Redeliver POSTs a delivery again, byte for byte (a duplicate).
func (g *Gateway) Redeliver(d *Delivery) (*Delivery, error) {
	return g.post(&Delivery{Event: d.Event, URL: d.URL, Header: d.Header.Clone(), Body: append([]byte(nil), d.Body...)})
}

func (g *Gateway) post(d *Delivery) (*Delivery, error) {
	req, err := http.NewRequest(http.MethodPost, d.URL, bytes.NewReader(d.Body))
	if err != nil {
		return nil, err
	}
	req.Header = d.Header.Clone()
	resp, err := g.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("wechatpaytest: deliver %s: %w", d.Event, err)
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	d.Status, d.Response = resp.StatusCode, string(rb)
	g.mu.Lock()
	g.deliveries = append(g.deliveries, d)
	g.mu.Unlock()
	return d, nil
}

// Tamper alters a delivery.
type Tamper func(*tamper)

type tamper struct {
	wrongSig, unknownSerial, stale, bodyChanged bool
	amount                                      *int64
	mchID, appID                                *string
	key                                         KeyKind
}

// WrongSignature signs the delivery with a key that is not the gateway's.
func WrongSignature() Tamper { return func(t *tamper) { t.wrongSig = true } }

// UnknownSerial names a key serial the shop cannot know.
func UnknownSerial() Tamper { return func(t *tamper) { t.unknownSerial = true } }

// StaleTimestamp signs the delivery six minutes in the past.
func StaleTimestamp() Tamper { return func(t *tamper) { t.stale = true } }

// BodyChangedAfterSigning changes the body after it was signed.
func BodyChangedAfterSigning() Tamper { return func(t *tamper) { t.bodyChanged = true } }

// WrongAmount reports total fen (refund fen for a refund) instead of the
// real amount, properly signed and encrypted.
func WrongAmount(total int64) Tamper { return func(t *tamper) { t.amount = &total } }

// WrongMchID reports another merchant, properly signed and encrypted.
func WrongMchID(mchID string) Tamper { return func(t *tamper) { t.mchID = &mchID } }

// WrongAppID reports another AppID, properly signed and encrypted.
func WrongAppID(appID string) Tamper { return func(t *tamper) { t.appID = &appID } }

// SignedWith signs the delivery with the key of kind k.
func SignedWith(k KeyKind) Tamper { return func(t *tamper) { t.key = k } }
