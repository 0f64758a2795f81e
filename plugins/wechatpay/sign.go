package wechatpay

import (
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// DefaultBaseURL is the gateway's address.
const DefaultBaseURL = "https://api.mch.weixin.qq.com"

// AuthSchema is the scheme of the Authorization header.
const AuthSchema = "WECHATPAY2-SHA256-RSA2048"

// Headers the gateway signs its responses and callbacks with.
const (
	HeaderTimestamp = "Wechatpay-Timestamp"
	HeaderNonce     = "Wechatpay-Nonce"
	HeaderSignature = "Wechatpay-Signature"
	HeaderSerial    = "Wechatpay-Serial"
)

// MaxSkew is how far a signed response's or callback's timestamp may be
// from our clock.
const MaxSkew = 5 * time.Minute

// ErrBadSignature is a response or callback whose signature does not verify
// (missing headers, unknown serial, wrong signature, stale timestamp).
var ErrBadSignature = errors.New("wechatpay: bad signature")

// ErrUnknownSerial is a response or callback signed with a key we do not
// know (Wechatpay-Serial names neither a configured 微信支付公钥 nor a
// downloaded 平台证书). It wraps ErrBadSignature.
var ErrUnknownSerial = fmt.Errorf("%w: unknown serial", ErrBadSignature)

// Errors of the PEM parsers, for precise messages to the owner.
var (
	ErrNoPEM        = errors.New("wechatpay: no PEM block")
	ErrNotRSA       = errors.New("wechatpay: key is not RSA")
	ErrWrongPEMType = errors.New("wechatpay: wrong kind of PEM block")
)

// Config is a merchant's keys and settings.
type Config struct {
	MchID       string          // 商户号
	AppID       string          // the 公众号/小程序/应用 AppID bound to the merchant
	MchSerialNo string          // serial number of the merchant's API certificate
	MchKey      *rsa.PrivateKey // the merchant's API private key (apiclient_key.pem)
	APIv3Key    []byte          // the 32-byte APIv3 key
	// PlatformKeys are the gateway's keys given by hand, by serial: a
	// 微信支付公钥 id ("PUB_KEY_ID_…") or a 平台证书 serial number.
	PlatformKeys map[string]*rsa.PublicKey
	// PublicKeyID, when set, is sent as the Wechatpay-Serial header of every
	// request: while a merchant migrates from 平台证书 to 微信支付公钥 the
	// gateway then signs its answers with the public key.
	PublicKeyID string
	// DownloadCertificates downloads the 平台证书 from /v3/certificates
	// (decrypted with the APIv3 key) and refreshes them; both kinds of keys
	// may be in use at once.
	DownloadCertificates bool
	BaseURL              string       // DefaultBaseURL when ""
	HTTPClient           *http.Client // a client with a 15 s timeout when nil
	Now                  func() time.Time
}

// Check reports a Config that cannot work.
func (c *Config) Check() error {
	switch {
	case c.MchID == "" || c.AppID == "" || c.MchSerialNo == "":
		return errors.New("wechatpay: mchid, appid and merchant serial number are required")
	case c.MchKey == nil:
		return errors.New("wechatpay: merchant private key missing")
	case len(c.APIv3Key) != 32:
		return fmt.Errorf("wechatpay: APIv3 key has %d bytes, want 32", len(c.APIv3Key))
	case len(c.PlatformKeys) == 0 && !c.DownloadCertificates:
		return errors.New("wechatpay: no platform key (平台证书 or 微信支付公钥)")
	}
	return nil
}

// lines joins the parts, each followed by "\n": the shape of every signed
// message of API v3.
func lines(parts ...string) []byte {
	var b bytes.Buffer
	for _, p := range parts {
		b.WriteString(p)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// SignSHA256 signs msg with RSA-SHA256 (PKCS #1 v1.5) and returns base64.
func SignSHA256(key *rsa.PrivateKey, msg []byte) (string, error) {
	sum := sha256.Sum256(msg)
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// VerifySHA256 checks a base64 RSA-SHA256 signature of msg.
func VerifySHA256(pub *rsa.PublicKey, msg []byte, sig64 string) error {
	sig, err := base64.StdEncoding.DecodeString(sig64)
	if err != nil || len(sig) != pub.Size() {
		return ErrBadSignature
	}
	sum := sha256.Sum256(msg)
	if rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig) != nil {
		return ErrBadSignature
	}
	return nil
}

// Nonce returns a random 32-character string.
func Nonce() string {
	b := make([]byte, 16)
	rand.Read(b)
	return strings.ToUpper(hex.EncodeToString(b))
}

// Authorization builds the Authorization header of a request: method, the
// URL's path with its query (e.g. "/v3/pay/transactions/native"), body ""
// for a GET.
func (c *Config) Authorization(method, pathQuery string, body []byte, ts time.Time, nonce string) (string, error) {
	stamp := strconv.FormatInt(ts.Unix(), 10)
	sig, err := SignSHA256(c.MchKey, lines(method, pathQuery, stamp, nonce, string(body)))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf(`%s mchid="%s",nonce_str="%s",signature="%s",timestamp="%s",serial_no="%s"`,
		AuthSchema, c.MchID, nonce, sig, stamp, c.MchSerialNo), nil
}

// ParseAuthorization splits an Authorization header into its fields; ok is
// false when it is not a WECHATPAY2-SHA256-RSA2048 header.
func ParseAuthorization(h string) (map[string]string, bool) {
	rest, ok := strings.CutPrefix(h, AuthSchema+" ")
	if !ok {
		return nil, false
	}
	out := make(map[string]string)
	for _, kv := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok || len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
			return nil, false
		}
		out[k] = v[1 : len(v)-1]
	}
	return out, true
}

// VerifyMessage checks the gateway's signature headers over body: the serial
// must name a known platform key, the signature must verify, and the
// timestamp must be within MaxSkew of now. The signature is checked before
// anything else of the body is trusted. Every failure wraps ErrBadSignature
// (an unknown serial wraps ErrUnknownSerial).
func VerifyMessage(keys map[string]*rsa.PublicKey, now time.Time, h http.Header, body []byte) error {
	return verifyMessage(func(serial string) *rsa.PublicKey { return keys[serial] }, now, h, body)
}

// verifyMessage is VerifyMessage with the keys found by lookup.
func verifyMessage(lookup func(serial string) *rsa.PublicKey, now time.Time, h http.Header, body []byte) error {
	bad := func(why string) error { return fmt.Errorf("%w: %s", ErrBadSignature, why) }
	stamp, nonce, sig, serial := h.Get(HeaderTimestamp), h.Get(HeaderNonce), h.Get(HeaderSignature), h.Get(HeaderSerial)
	if stamp == "" || nonce == "" || sig == "" || serial == "" {
		return bad("missing signature headers")
	}
	if len(stamp) > 12 || len(nonce) > 64 || len(serial) > 128 || len(sig) > 1024 {
		return bad("oversized headers")
	}
	pub := lookup(serial)
	if pub == nil {
		return fmt.Errorf("%w %s", ErrUnknownSerial, strconv.Quote(serial))
	}
	if err := VerifySHA256(pub, lines(stamp, nonce, string(body)), sig); err != nil {
		return bad("wrong signature")
	}
	ts, err := strconv.ParseInt(stamp, 10, 64)
	if err != nil {
		return bad("malformed timestamp")
	}
	if d := now.Sub(time.Unix(ts, 0)); d > MaxSkew || d < -MaxSkew {
		return fmt.Errorf("%w: %w", ErrBadSignature, errStale)
	}
	return nil
}

// errStale is a signed message whose timestamp is too far from our clock.
var errStale = errors.New("stale timestamp")

// signed reports whether h carries the gateway's signature headers.
func signed(h http.Header) bool { return h.Get(HeaderSignature) != "" }

// NormalizeSerial returns the form serials are kept in: a 平台证书 serial
// (hex) in upper case without leading zeros, anything else (a 微信支付公钥
// id) unchanged.
func NormalizeSerial(s string) string {
	if s == "" || len(s) > 64 {
		return s
	}
	n, ok := new(big.Int).SetString(s, 16)
	if !ok || n.Sign() <= 0 {
		return s
	}
	return strings.ToUpper(n.Text(16))
}

// SignResponse returns the headers the gateway adds to a response or
// callback: body signed with key (whose serial is serial) at ts.
// The gateway side of VerifyMessage, for tests and fakes.
func SignResponse(key *rsa.PrivateKey, serial string, ts time.Time, nonce string, body []byte) (http.Header, error) {
	stamp := strconv.FormatInt(ts.Unix(), 10)
	sig, err := SignSHA256(key, lines(stamp, nonce, string(body)))
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	h.Set(HeaderTimestamp, stamp)
	h.Set(HeaderNonce, nonce)
	h.Set(HeaderSignature, sig)
	h.Set(HeaderSerial, serial)
	return h, nil
}

// Resource is the encrypted part of a callback.
type Resource struct {
	Algorithm      string `json:"algorithm"`
	Ciphertext     string `json:"ciphertext"`
	AssociatedData string `json:"associated_data"`
	OriginalType   string `json:"original_type"`
	Nonce          string `json:"nonce"`
}

// AlgorithmAESGCM is the only algorithm callbacks use.
const AlgorithmAESGCM = "AEAD_AES_256_GCM"

// DecryptResource opens a callback resource with the APIv3 key:
// AES-256-GCM, the 12-byte nonce, the associated data, a base64 ciphertext
// ending with the 16-byte tag.
func DecryptResource(apiV3Key []byte, r Resource) ([]byte, error) {
	if r.Algorithm != AlgorithmAESGCM {
		return nil, fmt.Errorf("wechatpay: resource algorithm %q", r.Algorithm)
	}
	ct, err := base64.StdEncoding.DecodeString(r.Ciphertext)
	if err != nil {
		return nil, errors.New("wechatpay: resource ciphertext is not base64")
	}
	aead, err := newGCM(apiV3Key)
	if err != nil {
		return nil, err
	}
	if len(r.Nonce) != aead.NonceSize() {
		return nil, errors.New("wechatpay: resource nonce must have 12 bytes")
	}
	pt, err := aead.Open(nil, []byte(r.Nonce), ct, []byte(r.AssociatedData))
	if err != nil {
		return nil, errors.New("wechatpay: resource does not decrypt")
	}
	return pt, nil
}

// EncryptResource seals plaintext like the gateway does (for tests and
// fakes); nonce must have 12 bytes.
func EncryptResource(apiV3Key []byte, nonce, associatedData string, plaintext []byte, originalType string) (Resource, error) {
	aead, err := newGCM(apiV3Key)
	if err != nil {
		return Resource{}, err
	}
	if len(nonce) != aead.NonceSize() {
		return Resource{}, errors.New("wechatpay: nonce must have 12 bytes")
	}
	ct := aead.Seal(nil, []byte(nonce), plaintext, []byte(associatedData))
	return Resource{Algorithm: AlgorithmAESGCM, Ciphertext: base64.StdEncoding.EncodeToString(ct),
		AssociatedData: associatedData, OriginalType: originalType, Nonce: nonce}, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("wechatpay: APIv3 key has %d bytes, want 32", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// ParsePrivateKey reads the merchant's RSA key from PEM (PKCS #8
// "PRIVATE KEY", as apiclient_key.pem, or PKCS #1 "RSA PRIVATE KEY").
func ParsePrivateKey(pemBytes []byte) (*rsa.PrivateKey, error) {
	blk, _ := pem.Decode(pemBytes)
	if blk == nil {
		return nil, ErrNoPEM
	}
	switch blk.Type {
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("wechatpay: private key: %w", err)
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, ErrNotRSA
		}
		return rk, nil
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("wechatpay: private key: %w", err)
		}
		return k, nil
	}
	return nil, fmt.Errorf("%w: %q is not a private key", ErrWrongPEMType, blk.Type)
}

// ParsePublicKey reads a platform key from PEM: a 微信支付公钥
// ("PUBLIC KEY", pub_key.pem) or a 平台证书 ("CERTIFICATE"), whose serial
// number (upper-case hex) is returned too ("" for a bare public key).
func ParsePublicKey(pemBytes []byte) (pub *rsa.PublicKey, certSerial string, err error) {
	blk, _ := pem.Decode(pemBytes)
	if blk == nil {
		return nil, "", ErrNoPEM
	}
	var k any
	switch blk.Type {
	case "PUBLIC KEY":
		k, err = x509.ParsePKIXPublicKey(blk.Bytes)
	case "CERTIFICATE":
		var cert *x509.Certificate
		cert, err = x509.ParseCertificate(blk.Bytes)
		if err == nil {
			k, certSerial = cert.PublicKey, strings.ToUpper(cert.SerialNumber.Text(16))
		}
	default:
		return nil, "", fmt.Errorf("%w: %q is not a public key or certificate", ErrWrongPEMType, blk.Type)
	}
	if err != nil {
		return nil, "", fmt.Errorf("wechatpay: public key: %w", err)
	}
	rk, ok := k.(*rsa.PublicKey)
	if !ok {
		return nil, "", ErrNotRSA
	}
	return rk, certSerial, nil
}
