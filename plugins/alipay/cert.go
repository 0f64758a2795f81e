package alipay

import (
	"crypto/md5"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"unicode/utf8"
)

// 公钥证书 (certificate) mode. Alipay names a certificate by its own "SN":
// the MD5 of the issuer's distinguished name followed by the certificate's
// serial number in decimal (支付宝开放平台「公钥证书」: 解析 X.509 证书文件，获取
// 证书签发机构名称 name 以及证书内置序列号 serialNumber；将 name 与 serialNumber
// 拼接成字符串，再对该字符串做 MD5 计算). Its SDKs take "name" from Java's
// X500Principal.getName(), the RFC 2253 string, so that is what dnString
// writes. Requests carry app_cert_sn (the app's certificate) and
// alipay_root_cert_sn (the root bundle's RSA-signed certificates); answers
// carry alipay_cert_sn (the certificate whose key signed them).

// maxCertBundle bounds the PEM text read for a certificate or bundle.
const maxCertBundle = 64 << 10

// rsaSignatureOID is the prefix of the RSA signature algorithms (PKCS #1:
// sha1WithRSAEncryption 1.2.840.113549.1.1.5, sha256WithRSAEncryption
// ...1.11): the root bundle's SN keeps the certificates whose signature
// algorithm starts with it, as the SDKs do (they test the dotted string).
const rsaSignatureOID = "1.2.840.113549.1.1"

// errNoRSARoot is a root bundle without an RSA-signed certificate.
var errNoRSARoot = errors.New("alipay: root bundle has no RSA-signed certificate")

// rawCertificate is the part of an X.509 certificate the SN needs, read
// without parsing the key (the root bundle holds an SM2 certificate that
// crypto/x509 refuses).
type rawCertificate struct {
	TBS struct {
		Version int `asn1:"optional,explicit,default:0,tag:0"`
		Serial  *big.Int
		SigAlg  pkix.AlgorithmIdentifier
		Issuer  asn1.RawValue
		// The rest of the TBSCertificate is not read: encoding/asn1
		// allows trailing elements of a SEQUENCE.
	}
	SigAlg pkix.AlgorithmIdentifier
	Sig    asn1.BitString
}

// attribute is one AttributeTypeAndValue of a name, its value kept raw.
type attribute struct {
	Type  asn1.ObjectIdentifier
	Value asn1.RawValue
}

// rdnSET is a RelativeDistinguishedName (the "SET" suffix makes
// encoding/asn1 read a SET).
type rdnSET []attribute

func parseRawCertificate(der []byte) (*rawCertificate, error) {
	var c rawCertificate
	rest, err := asn1.Unmarshal(der, &c)
	if err != nil {
		return nil, fmt.Errorf("alipay: certificate: %w", err)
	}
	if len(rest) != 0 {
		return nil, errors.New("alipay: certificate: trailing data")
	}
	if c.TBS.Serial == nil {
		return nil, errors.New("alipay: certificate: no serial number")
	}
	return &c, nil
}

// CertSN returns Alipay's SN of the DER certificate der (app_cert_sn,
// alipay_cert_sn): hex MD5 of the issuer's RFC 2253 name as Java writes it
// and the serial number in decimal.
func CertSN(der []byte) (string, error) {
	c, err := parseRawCertificate(der)
	if err != nil {
		return "", err
	}
	return certSN(c)
}

func certSN(c *rawCertificate) (string, error) {
	dn, err := dnString(c.TBS.Issuer.FullBytes)
	if err != nil {
		return "", err
	}
	sum := md5.Sum([]byte(dn + c.TBS.Serial.String()))
	return hex.EncodeToString(sum[:]), nil
}

// RootCertSN returns alipay_root_cert_sn of the root bundle (alipayRootCert.crt,
// several PEM certificates): the SNs of the certificates signed with an RSA
// algorithm, in the file's order, joined by '_'. The others (Alipay's bundle
// holds an SM2 and an ECDSA root) are left out.
func RootCertSN(bundle []byte) (string, error) {
	ders, err := certificateDERs(bundle)
	if err != nil {
		return "", err
	}
	var sns []string
	for _, der := range ders {
		c, err := parseRawCertificate(der)
		if err != nil {
			return "", err
		}
		if !strings.HasPrefix(c.SigAlg.Algorithm.String(), rsaSignatureOID) {
			continue
		}
		sn, err := certSN(c)
		if err != nil {
			return "", err
		}
		sns = append(sns, sn)
	}
	if len(sns) == 0 {
		return "", errNoRSARoot
	}
	return strings.Join(sns, "_"), nil
}

// certificateDERs returns the certificates of PEM text (or of one bare
// base64 certificate), in order.
func certificateDERs(data []byte) ([][]byte, error) {
	if len(data) > maxCertBundle {
		return nil, errors.New("alipay: certificate file too large")
	}
	var ders [][]byte
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("alipay: PEM block %q is not a certificate", block.Type)
		}
		ders = append(ders, block.Bytes)
	}
	if len(ders) == 0 {
		s := strings.Join(strings.Fields(string(data)), "")
		der, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(der) == 0 {
			return nil, errors.New("alipay: no certificate (want the PEM text of the .crt file)")
		}
		ders = append(ders, der)
	}
	return ders, nil
}

// Cert is a certificate of 公钥证书 mode: its SN and RSA key.
type Cert struct {
	SN        string
	PublicKey *rsa.PublicKey
	Cert      *x509.Certificate
}

// ParseCert reads the first certificate of a .crt file (appCertPublicKey_….crt,
// or alipayCertPublicKey_RSA2.crt, which also holds the issuing chain):
// its SN and its RSA public key.
func ParseCert(data []byte) (*Cert, error) {
	ders, err := certificateDERs(data)
	if err != nil {
		return nil, err
	}
	raw, err := parseRawCertificate(ders[0])
	if err != nil {
		return nil, err
	}
	sn, err := certSN(raw)
	if err != nil {
		return nil, err
	}
	c, err := x509.ParseCertificate(ders[0])
	if err != nil {
		return nil, fmt.Errorf("alipay: certificate: %w", err)
	}
	pub, ok := c.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, errors.New("alipay: certificate key is not RSA")
	}
	return &Cert{SN: sn, PublicKey: pub, Cert: c}, nil
}

// rfc2253Keywords are the attribute types Java's RFC 2253 writer names by
// keyword; it writes every other type as its dotted OID and the value as
// '#' and the hex of its DER.
var rfc2253Keywords = map[string]string{
	"2.5.4.3":                    "CN",
	"2.5.4.6":                    "C",
	"2.5.4.7":                    "L",
	"2.5.4.8":                    "ST",
	"2.5.4.9":                    "STREET",
	"2.5.4.10":                   "O",
	"2.5.4.11":                   "OU",
	"0.9.2342.19200300.100.1.1":  "UID",
	"0.9.2342.19200300.100.1.25": "DC",
}

// dnString writes the DER Name der as java.security X500Principal.getName()
// does (RFC 2253): the RDNs last first, joined by ','; the attributes of a
// multi-valued RDN joined by '+'; string values with ',', '=', '+', '<',
// '>', '#', ';', '"' and '\' escaped by '\', NUL as "\00", and leading or
// trailing spaces (and CRs) escaped.
func dnString(der []byte) (string, error) {
	var rdns []rdnSET
	rest, err := asn1.Unmarshal(der, &rdns)
	if err != nil {
		return "", fmt.Errorf("alipay: certificate issuer: %w", err)
	}
	if len(rest) != 0 {
		return "", errors.New("alipay: certificate issuer: trailing data")
	}
	var b strings.Builder
	for i := len(rdns) - 1; i >= 0; i-- {
		if i < len(rdns)-1 {
			b.WriteByte(',')
		}
		for j, a := range rdns[i] {
			if j > 0 {
				b.WriteByte('+')
			}
			oid := a.Type.String()
			kw, known := rfc2253Keywords[oid]
			s, isString := derString(a.Value)
			if !known || !isString {
				if kw == "" {
					kw = oid
				}
				b.WriteString(kw)
				b.WriteString("=#")
				b.WriteString(hex.EncodeToString(a.Value.FullBytes))
				continue
			}
			b.WriteString(kw)
			b.WriteByte('=')
			b.WriteString(escapeRFC2253(s))
		}
	}
	return b.String(), nil
}

// derString decodes the value types Java's writer prints as text
// (PrintableString, T61String, IA5String, GeneralString, BMPString,
// UTF8String). Java decodes the bytes of all of them as UTF-8, even a
// BMPString's UTF-16: so does derString, to get the same name.
func derString(v asn1.RawValue) (string, bool) {
	if v.Class != asn1.ClassUniversal || v.IsCompound {
		return "", false
	}
	switch v.Tag {
	case asn1.TagUTF8String, asn1.TagPrintableString, asn1.TagIA5String,
		asn1.TagT61String, asn1.TagGeneralString, asn1.TagBMPString:
		return decodeUTF8Java(v.Bytes), true
	}
	return "", false
}

// decodeUTF8Java decodes UTF-8 as Java's decoder does: each maximal
// ill-formed subpart (a truncated sequence, or a stray byte) becomes one
// U+FFFD, and so does an encoded surrogate.
func decodeUTF8Java(b []byte) string {
	var s strings.Builder
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r != utf8.RuneError || n > 1 {
			s.WriteRune(r)
			i += n
			continue
		}
		s.WriteRune(utf8.RuneError)
		i += illFormedLen(b[i:])
	}
	return s.String()
}

// illFormedLen is the length of the maximal ill-formed subpart at the start
// of b, which does not start a valid sequence: the lead byte and the
// continuation bytes that could still have completed it.
func illFormedLen(b []byte) int {
	var need int
	lo, hi := byte(0x80), byte(0xBF)
	switch c := b[0]; {
	case c >= 0xC2 && c <= 0xDF:
		need = 1
	case c == 0xE0:
		need, lo = 2, 0xA0
	case c >= 0xE1 && c <= 0xEF:
		// Java takes an encoded surrogate (ED A0..BF xx) as one
		// malformed sequence, so 0xED continues like the others.
		need = 2
	case c == 0xF0:
		need, lo = 3, 0x90
	case c == 0xF4:
		need, hi = 3, 0x8F
	case c >= 0xF1 && c <= 0xF3:
		need = 3
	default:
		return 1
	}
	n := 1
	for ; n <= need && n < len(b); n++ {
		if b[n] < lo || b[n] > hi {
			break
		}
		lo, hi = 0x80, 0xBF
	}
	return n
}

func escapeRFC2253(s string) string {
	const escapees = ",=+<>#;\"\\"
	var r []rune
	for _, c := range s {
		switch {
		case strings.ContainsRune(escapees, c):
			r = append(r, '\\', c)
		case c == 0:
			r = append(r, '\\', '0', '0')
		default:
			r = append(r, c)
		}
	}
	isSpace := func(c rune) bool { return c == ' ' || c == '\r' }
	lead := 0
	for lead < len(r) && isSpace(r[lead]) {
		lead++
	}
	trail := len(r) - 1
	for trail >= 0 && isSpace(r[trail]) {
		trail--
	}
	var b strings.Builder
	for i, c := range r {
		if i < lead || i > trail {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}
