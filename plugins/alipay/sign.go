package alipay

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/xiaodian/xiaodian/store"
)

// Canonical returns the string Alipay signs for a set of parameters: the
// parameters sorted by name, "name=value" joined by '&', values raw (not
// URL-escaped), leaving out "sign", empty values and the names in skip
// (async notifications also leave out "sign_type").
func Canonical(params url.Values, skip ...string) string {
	keys := make([]string, 0, len(params))
outer:
	for k, v := range params {
		if k == "sign" || len(v) == 0 || v[0] == "" {
			continue
		}
		for _, s := range skip {
			if k == s {
				continue outer
			}
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(params.Get(k))
	}
	return b.String()
}

// Sign returns the base64 RSA2 (SHA256WithRSA, PKCS #1 v1.5) signature of
// content.
func Sign(key *rsa.PrivateKey, content []byte) (string, error) {
	if key == nil {
		return "", errors.New("alipay: no private key")
	}
	sum := sha256.Sum256(content)
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", fmt.Errorf("alipay: sign: %w", err)
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// Verify checks the base64 RSA2 signature sig of content with pub.
func Verify(pub *rsa.PublicKey, content []byte, sig string) error {
	if pub == nil {
		return errors.New("alipay: no public key")
	}
	raw, err := base64.StdEncoding.DecodeString(sig)
	if err != nil || len(raw) == 0 || len(raw) > 1024 {
		return errors.New("alipay: malformed signature")
	}
	sum := sha256.Sum256(content)
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], raw); err != nil {
		return errors.New("alipay: wrong signature")
	}
	return nil
}

// SignParams signs params (sign_type included, as for requests) and sets
// their "sign".
func SignParams(key *rsa.PrivateKey, params url.Values) error {
	sig, err := Sign(key, []byte(Canonical(params)))
	if err != nil {
		return err
	}
	params.Set("sign", sig)
	return nil
}

// VerifyNotifyParams checks the signature of an async notification's
// parameters: sign and sign_type are left out of the signed string. Each
// parameter must appear once.
func VerifyNotifyParams(pub *rsa.PublicKey, params url.Values) error {
	for k, v := range params {
		if len(v) != 1 {
			return fmt.Errorf("alipay: parameter %q repeated", k)
		}
	}
	if t := params.Get("sign_type"); t != "RSA2" {
		return fmt.Errorf("alipay: sign_type %q, want RSA2", t)
	}
	sig := params.Get("sign")
	if sig == "" {
		return errors.New("alipay: unsigned")
	}
	return Verify(pub, []byte(Canonical(params, "sign_type")), sig)
}

// ParsePrivateKey reads an RSA private key: PEM ("RSA PRIVATE KEY" PKCS #1
// or "PRIVATE KEY" PKCS #8) or the bare base64 DER the Alipay key tool
// prints (PKCS #8 or PKCS #1).
func ParsePrivateKey(data []byte) (*rsa.PrivateKey, error) {
	der, err := keyDER(data)
	if err != nil {
		return nil, err
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("alipay: private key: %w", err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("alipay: private key is not RSA")
	}
	return rk, nil
}

// ParsePublicKey reads an RSA public key: PEM "PUBLIC KEY" (PKIX), "RSA
// PUBLIC KEY" (PKCS #1) or the bare base64 DER shown as 支付宝公钥.
func ParsePublicKey(data []byte) (*rsa.PublicKey, error) {
	der, err := keyDER(data)
	if err != nil {
		return nil, err
	}
	if k, err := x509.ParsePKCS1PublicKey(der); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("alipay: public key: %w", err)
	}
	rk, ok := k.(*rsa.PublicKey)
	if !ok {
		return nil, errors.New("alipay: public key is not RSA")
	}
	return rk, nil
}

// keyDER returns the DER of a PEM block, or of bare base64 text.
func keyDER(data []byte) ([]byte, error) {
	if block, _ := pem.Decode(data); block != nil {
		return block.Bytes, nil
	}
	s := strings.Join(strings.Fields(string(data)), "")
	der, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(der) == 0 {
		return nil, errors.New("alipay: key is neither PEM nor base64")
	}
	return der, nil
}

// ParseYuan reads an amount in yuan as Alipay writes it ("0.01", "12",
// "12.5") into fen, without floating point. It refuses signs, more than two
// decimals, empty parts and amounts above store.MaxPrice.
func ParseYuan(s string) (store.Fen, error) {
	whole, frac, dot := strings.Cut(s, ".")
	if whole == "" || len(whole) > 12 || (dot && (frac == "" || len(frac) > 2)) {
		return 0, fmt.Errorf("alipay: bad amount %q", s)
	}
	var fen int64
	for _, c := range whole {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("alipay: bad amount %q", s)
		}
		fen = fen*10 + int64(c-'0')
	}
	fen *= 100
	if len(frac) == 1 {
		frac += "0"
	}
	if frac != "" {
		for _, c := range frac {
			if c < '0' || c > '9' {
				return 0, fmt.Errorf("alipay: bad amount %q", s)
			}
		}
		fen += int64(frac[0]-'0')*10 + int64(frac[1]-'0')
	}
	if fen > int64(store.MaxPrice) {
		return 0, fmt.Errorf("alipay: amount %q too large", s)
	}
	return store.Fen(fen), nil
}

// FormatYuan writes fen as yuan with two decimals ("0.01"); f must not be
// negative.
func FormatYuan(f store.Fen) string {
	return fmt.Sprintf("%d.%02d", int64(f)/100, int64(f)%100)
}
