package alipay

import (
	"encoding/asn1"
	"math/big"
	"unicode/utf16"
)

// dnCase is an issuer name built by hand, with the serial number of the
// certificate that carries it.
type dnCase struct {
	name   []byte
	serial *big.Int
}

// Attribute types used by the cases.
var (
	oidC      = asn1.ObjectIdentifier{2, 5, 4, 6}
	oidO      = asn1.ObjectIdentifier{2, 5, 4, 10}
	oidOU     = asn1.ObjectIdentifier{2, 5, 4, 11}
	oidCN     = asn1.ObjectIdentifier{2, 5, 4, 3}
	oidL      = asn1.ObjectIdentifier{2, 5, 4, 7}
	oidST     = asn1.ObjectIdentifier{2, 5, 4, 8}
	oidStreet = asn1.ObjectIdentifier{2, 5, 4, 9}
	oidSerial = asn1.ObjectIdentifier{2, 5, 4, 5}
	oidEmail  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}
	oidDC     = asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 25}
	oidUID    = asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 1}
)

// av is an attribute whose value has the ASN.1 string tag tag.
func av(oid asn1.ObjectIdentifier, tag int, value string) attribute {
	b := []byte(value)
	switch tag {
	case asn1.TagBMPString:
		b = nil
		for _, u := range utf16.Encode([]rune(value)) {
			b = append(b, byte(u>>8), byte(u))
		}
	case asn1.TagT61String:
		b = nil
		for _, r := range value {
			b = append(b, byte(r)) // Latin-1 only
		}
	case 28: // UniversalString, UTF-32BE
		b = nil
		for _, r := range value {
			b = append(b, byte(r>>24), byte(r>>16), byte(r>>8), byte(r))
		}
	}
	return attribute{Type: oid, Value: asn1.RawValue{Class: asn1.ClassUniversal, Tag: tag, Bytes: b}}
}

// name marshals RDNs, each a SET of attributes, first RDN first.
func name(rdns ...[]attribute) []byte {
	seq := make([]rdnSET, len(rdns))
	for i, r := range rdns {
		seq[i] = r
	}
	b, err := asn1.Marshal(seq)
	if err != nil {
		panic(err)
	}
	return b
}

func one(a attribute) []attribute { return []attribute{a} }

const (
	tagUTF8  = asn1.TagUTF8String
	tagPrint = asn1.TagPrintableString
	tagIA5   = asn1.TagIA5String
)

func dnCases() []dnCase {
	serial := func(s string) *big.Int {
		n, ok := new(big.Int).SetString(s, 10)
		if !ok {
			panic(s)
		}
		return n
	}
	return []dnCase{
		// The shape of Alipay's issuers.
		{name(one(av(oidC, tagPrint, "CN")), one(av(oidO, tagUTF8, "Ant Financial")), one(av(oidOU, tagUTF8, "Certification Authority")),
			one(av(oidCN, tagUTF8, "Ant Financial Certification Authority Class 2 R1"))), serial("42665449584817792426466611783596028984")},
		// Characters RFC 2253 and Java escape.
		{name(one(av(oidO, tagUTF8, `a,b+c=d<e>f#g;h"i\j`)), one(av(oidOU, tagUTF8, "#lead")), one(av(oidCN, tagUTF8, "  two spaces  "))), serial("1")},
		// Chinese text, and characters Java leaves alone.
		{name(one(av(oidC, tagPrint, "CN")), one(av(oidO, tagUTF8, "支付宝(中国)网络技术有限公司")), one(av(oidCN, tagUTF8, "商户_2088@example.com & co."))), serial("20191112")},
		// A multi-valued RDN, then L, ST, STREET.
		{name(one(av(oidST, tagUTF8, "浙江省")), one(av(oidL, tagUTF8, "杭州")), one(av(oidStreet, tagUTF8, "1 Road")), []attribute{av(oidOU, tagUTF8, "a"), av(oidCN, tagUTF8, "b")}), serial("255")},
		// Types without an RFC 2253 keyword come out as OID=#hex; DC and UID have one.
		{name(one(av(oidDC, tagIA5, "example")), one(av(oidUID, tagUTF8, "u1")), one(av(oidSerial, tagPrint, "91330000")), one(av(oidEmail, tagIA5, "ca@example.com")), one(av(oidCN, tagUTF8, "Mail CA"))), serial("18446744073709551617")},
		// T61String and BMPString are text; UniversalString is written as hex.
		{name(one(av(oidO, asn1.TagT61String, "Société")), one(av(oidOU, asn1.TagBMPString, "中文 BMP")), one(av(oidCN, 28, "Univ"))), serial("7")},
		// Malformed UTF-8: truncated sequences, a surrogate, an overlong form, stray bytes.
		{name(one(av(oidO, tagUTF8, "a\xe4\xb8x\xf0\x9f\x98")), one(av(oidOU, tagUTF8, "\xed\xa0\x80|\xc0\xaf|\xff\xfe|\xe0\x80|\xf4\x90|\xed\xa0x|\xed\x9f\x80|\xf0\x90\x80"))), serial("3")},
		// NUL, a trailing CR.
		{name(one(av(oidO, tagUTF8, "nul\x00here")), one(av(oidCN, tagUTF8, "cr\r"))), serial("99")},
	}
}
