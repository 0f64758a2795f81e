package alipaytest

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"sort"
	"strings"
)

// The gateway's own reading of Alipay's signing rules, kept apart from the
// plugin's so that each checks the other.

// signString is "k=v&…" of the non-empty parameters sorted by name,
// without sign (and without sign_type when notify is set: notifications
// and returns leave it out, requests sign it).
func signString(v url.Values, notify bool) string {
	var keys []string
	for k := range v {
		if k == "sign" || (notify && k == "sign_type") || v.Get(k) == "" {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + v.Get(k)
	}
	return strings.Join(parts, "&")
}

func rsa2Sign(key *rsa.PrivateKey, msg []byte) string {
	h := sha256.Sum256(msg)
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, h[:])
	if err != nil {
		panic(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

func rsa2Verify(pub *rsa.PublicKey, msg []byte, sig string) error {
	raw, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		return errors.New("sign is not base64")
	}
	h := sha256.Sum256(msg)
	return rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], raw)
}

// kv is a member of an answer object: answers keep Alipay's order (code
// and msg first), which a map would lose.
type kv struct {
	k string
	v any
}

// object writes the members as compact JSON without HTML escaping, as the
// gateway does.
func object(members ...kv) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range members {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(marshal(m.k))
		b.WriteByte(':')
		b.Write(marshal(m.v))
	}
	b.WriteByte('}')
	return b.Bytes()
}

func marshal(v any) []byte {
	if raw, ok := v.(json.RawMessage); ok {
		return raw
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}
