package alipay

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/md5"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"strings"
	"testing"
	"time"
)

// TestDNStringMatchesJava checks the issuer names of dnCases against what
// Java 17's X500Principal.getName() printed for certificates carrying them,
// and the SNs against Alipay's algorithm run in Java on those certificates
// (MD5 of getName() + getSerialNumber(), as AlipaySignature.getCertSN).
func TestDNStringMatchesJava(t *testing.T) {
	java := []struct{ dn, sn string }{
		{"CN=Ant Financial Certification Authority Class 2 R1,OU=Certification Authority,O=Ant Financial,C=CN", "77f94bb723d22f499608aedd0d071820"},
		{"CN=\\ \\ two spaces\\ \\ ,OU=\\#lead,O=a\\,b\\+c\\=d\\<e\\>f\\#g\\;h\\\"i\\\\j", "554c6b5cbbb4907c064a9915f2942088"},
		{"CN=商户_2088@example.com & co.,O=支付宝(中国)网络技术有限公司,C=CN", "086c0904cb19ca7ffa7094b38e3fb3a2"},
		{"CN=b+OU=a,STREET=1 Road,L=杭州,ST=浙江省", "13581e7b4a43b778f367f0f589d4e128"},
		{"CN=Mail CA,1.2.840.113549.1.9.1=#160e6361406578616d706c652e636f6d,2.5.4.5=#13083931333330303030,UID=u1,DC=example", "80b40a00dd73f19919a59cc1af3679df"},
		{"CN=#1c10000000550000006e0000006900000076,OU=N-e\ufffd\\00 \\00B\\00M\\00P,O=Soci\ufffdt\ufffd", "5701f9df540c43996ead5555288be2c6"},
		{"OU=\ufffd|\ufffd\ufffd|\ufffd\ufffd|\ufffd\ufffd|\ufffd\ufffd|\ufffdx|\ud7c0|\ufffd,O=a\ufffdx\ufffd", "0ce31fdc2a800e66222839096ee28149"},
		{"CN=cr\\\r,O=nul\\00here", "3c1ede529623f45d059463124fa825bb"},
	}
	cases := dnCases()
	if len(cases) != len(java) {
		t.Fatalf("%d cases, %d answers", len(cases), len(java))
	}
	app, _ := testKeys(t)
	for i, c := range cases {
		dn, err := dnString(c.name)
		if err != nil || dn != java[i].dn {
			t.Errorf("case %d: dnString = %q, %v; Java %q", i, dn, err, java[i].dn)
		}
		tmpl := &x509.Certificate{SerialNumber: c.serial, RawSubject: c.name, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &app.PublicKey, app)
		if err != nil {
			t.Fatal(err)
		}
		if sn, err := CertSN(der); err != nil || sn != java[i].sn {
			t.Errorf("case %d: CertSN = %s, %v; Java %s", i, sn, err, java[i].sn)
		}
	}
}

// TestRootCertSNProduction computes alipay_root_cert_sn of the production
// alipayRootCert.crt that 支付宝开放平台 hands every app in 公钥证书 mode (an
// SM2 root, Ant Financial R1 sha256WithRSA, Ant Financial E1 ECDSA,
// iTrusChina G3 sha1WithRSA). The SN is the one Alipay's SDKs send for it
// (it appears in their requests) and the one Java computes for the three
// certificates it can parse. The rule is Alipay's 公钥证书 FAQ (这里的 SN 是
// 指什么: https://docs.open.alipay.com/291/106098, the address its copies
// cite; the current opendocs.alipay.com page could not be looked up here),
// which publishes no worked example of its own.
func TestRootCertSNProduction(t *testing.T) {
	b, err := os.ReadFile("testdata/alipayRootCert.crt")
	if err != nil {
		t.Fatal(err)
	}
	const want = "687b59193f3f462dd5336e5abf83c5d8_02941eef3187dddf3d3b83462e1dfcf6"
	if sn, err := RootCertSN(b); err != nil || sn != want {
		t.Errorf("RootCertSN = %s, %v; want %s", sn, err, want)
	}
	// With Windows line ends, as a file saved on a desktop may have.
	if sn, err := RootCertSN(bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n"))); err != nil || sn != want {
		t.Errorf("CRLF bundle: %s, %v", sn, err)
	}
	// The iTrusChina certificate alone (sha1WithRSA, a 20-byte serial).
	ders, err := certificateDERs(b)
	if err != nil || len(ders) != 4 {
		t.Fatalf("%d certificates, %v", len(ders), err)
	}
	if sn, err := CertSN(ders[3]); err != nil || sn != "02941eef3187dddf3d3b83462e1dfcf6" {
		t.Errorf("iTrusChina SN %s, %v", sn, err)
	}
	// crypto/x509 refuses the SM2 certificate; the SN reader does not need it to.
	if _, err := x509.ParseCertificate(ders[0]); err == nil {
		t.Log("crypto/x509 now parses the SM2 root")
	}
	if _, err := CertSN(ders[0]); err != nil {
		t.Errorf("SM2 root: %v", err)
	}
}

func TestRootCertSNFilter(t *testing.T) {
	app, ali := testKeys(t)
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	mk := func(cn string, serial int64, alg x509.SignatureAlgorithm, pub, priv any) []byte {
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn, Country: []string{"CN"}},
			NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), SignatureAlgorithm: alg, IsCA: true, BasicConstraintsValid: true}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, priv)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	}
	sn := func(cn string, serial int64) string {
		sum := md5.Sum([]byte("CN=" + cn + ",C=CN" + big.NewInt(serial).String()))
		return hex.EncodeToString(sum[:])
	}
	r1 := mk("Root R1", 11, x509.SHA256WithRSA, &app.PublicKey, app)
	e1 := mk("Root E1", 12, x509.ECDSAWithSHA256, &ec.PublicKey, ec)
	r2 := mk("Root R2", 13, x509.SHA384WithRSA, &ali.PublicKey, ali)
	bundle := bytes.Join([][]byte{r1, e1, r2}, []byte("\n"))
	if got, err := RootCertSN(bundle); err != nil || got != sn("Root R1", 11)+"_"+sn("Root R2", 13) {
		t.Errorf("RootCertSN = %s, %v", got, err)
	}
	if _, err := RootCertSN(e1); !errors.Is(err, errNoRSARoot) {
		t.Errorf("ECDSA only: %v", err)
	}
	der, _ := pem.Decode(r1)
	if got, err := RootCertSN([]byte(base64.StdEncoding.EncodeToString(der.Bytes))); err != nil || got != sn("Root R1", 11) {
		t.Errorf("bare base64: %s, %v", got, err)
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(app)})
	for name, bad := range map[string][]byte{
		"empty":       nil,
		"garbage":     []byte("not a certificate"),
		"private key": keyPEM,
		"key after":   append(append([]byte{}, r1...), keyPEM...),
		"not DER":     pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("xx")}),
		"huge":        bytes.Repeat([]byte("A"), maxCertBundle+1),
	} {
		if got, err := RootCertSN(bad); err == nil {
			t.Errorf("%s: SN %s", name, got)
		}
	}
}

func TestParseCert(t *testing.T) {
	app, ali := testKeys(t)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(5), Subject: pkix.Name{CommonName: "Test Class 2 R1", Organization: []string{"Test CA"}, Country: []string{"CN"}},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &app.PublicKey, app)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	serial, _ := new(big.Int).SetString("42665449584817792426466611783596028984", 10)
	leafTmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: "支付宝(中国)网络技术有限公司-2088000000000000"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &ali.PublicKey, app)
	if err != nil {
		t.Fatal(err)
	}
	chain := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER}), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})...)
	c, err := ParseCert(chain)
	if err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum([]byte("CN=Test Class 2 R1,O=Test CA,C=CN42665449584817792426466611783596028984"))
	if c.SN != hex.EncodeToString(sum[:]) || !c.PublicKey.Equal(&ali.PublicKey) {
		t.Errorf("ParseCert: SN %s", c.SN)
	}
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &ecKey.PublicKey, app)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseCert(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ecDER})); err == nil || !strings.Contains(err.Error(), "not RSA") {
		t.Errorf("ECDSA certificate: %v", err)
	}
	if _, err := ParseCert([]byte("MIIB")); err == nil {
		t.Error("garbage parsed")
	}
}

func FuzzCertSN(f *testing.F) {
	b, err := os.ReadFile("testdata/alipayRootCert.crt")
	if err != nil {
		f.Fatal(err)
	}
	ders, err := certificateDERs(b)
	if err != nil {
		f.Fatal(err)
	}
	for _, d := range ders {
		f.Add(d)
	}
	for _, c := range dnCases() {
		f.Add(c.name)
	}
	f.Fuzz(func(t *testing.T, der []byte) {
		sn, err := CertSN(der)
		if err == nil && len(sn) != 32 {
			t.Fatalf("SN %q", sn)
		}
		if _, err := dnString(der); err != nil {
			return
		}
	})
}

func FuzzRootCertSN(f *testing.F) {
	b, err := os.ReadFile("testdata/alipayRootCert.crt")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"))
	f.Add([]byte("MIIBszCCAVeg"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sn, err := RootCertSN(data)
		if err != nil {
			return
		}
		for _, part := range strings.Split(sn, "_") {
			if len(part) != 32 {
				t.Fatalf("SN %q", sn)
			}
		}
		_, _ = ParseCert(data)
	})
}
