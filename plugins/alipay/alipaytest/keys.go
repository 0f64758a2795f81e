package alipaytest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"sync"
	"time"
)

// keySet is made once per process: RSA key generation is slow, and every
// gateway of a test binary may share the same keys.
type keySet struct {
	app, alipay, other, ca *rsa.PrivateKey
	ec                     *ecdsa.PrivateKey
	// Certificate mode.
	appCertPEM, rootPEM   []byte
	appCertSN, rootCertSN string
	class2                *x509.Certificate // issues Alipay's certificates
	class2PEM             []byte
}

var (
	keysOnce sync.Once
	keys     *keySet
)

func loadKeys() *keySet {
	keysOnce.Do(func() {
		k := &keySet{}
		for _, p := range []**rsa.PrivateKey{&k.app, &k.alipay, &k.other, &k.ca} {
			key, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			*p = key
		}
		ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		k.ec = ec
		k.makeCerts()
		keys = k
	})
	return keys
}

// caName is the subject of the fake CAs. Their names hold nothing that RFC
// 2253 escapes, so the issuer string of an SN is written here by hand,
// independently of the plugin's name writer: "CN=…,OU=…,O=…,C=CN".
func caName(cn string) pkix.Name {
	return pkix.Name{Country: []string{"CN"}, Organization: []string{"Fake Ant Financial"},
		OrganizationalUnit: []string{"Certification Authority"}, CommonName: cn}
}

func issuerDN(cn string) string {
	return "CN=" + cn + ",OU=Certification Authority,O=Fake Ant Financial,C=CN"
}

// certSN is Alipay's SN: MD5 of the issuer's name and the decimal serial.
func certSN(issuerCN string, serial *big.Int) string {
	sum := md5.Sum([]byte(issuerDN(issuerCN) + serial.String()))
	return hex.EncodeToString(sum[:])
}

func randomSerial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err)
	}
	return n.Add(n, big.NewInt(1))
}

func certPEM(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func (k *keySet) makeCerts() {
	now := time.Now()
	ca := func(cn string, alg x509.SignatureAlgorithm, parent *x509.Certificate, pub, priv any) (*x509.Certificate, []byte, *big.Int) {
		tmpl := &x509.Certificate{SerialNumber: randomSerial(), Subject: caName(cn), NotBefore: now.Add(-time.Hour),
			NotAfter: now.AddDate(10, 0, 0), IsCA: true, BasicConstraintsValid: true,
			KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, SignatureAlgorithm: alg}
		if parent == nil {
			parent = tmpl
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, priv)
		if err != nil {
			panic(err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			panic(err)
		}
		return c, der, tmpl.SerialNumber
	}
	// The root bundle, like alipayRootCert.crt: an RSA root, an ECDSA root
	// (left out of the SN) and a second RSA root.
	r1, r1DER, r1Serial := ca("Fake Ant Financial Certification Authority R1", x509.SHA256WithRSA, nil, &k.ca.PublicKey, k.ca)
	_, e1DER, _ := ca("Fake Ant Financial Certification Authority E1", x509.ECDSAWithSHA256, nil, &k.ec.PublicKey, k.ec)
	_, r2DER, r2Serial := ca("Fake Ant Financial Certification Authority R2", x509.SHA384WithRSA, nil, &k.ca.PublicKey, k.ca)
	k.rootPEM = append(append(certPEM(r1DER), certPEM(e1DER)...), certPEM(r2DER)...)
	k.rootCertSN = certSN("Fake Ant Financial Certification Authority R1", r1Serial) + "_" +
		certSN("Fake Ant Financial Certification Authority R2", r2Serial)
	// The intermediates that issue the app's and Alipay's certificates.
	class1, _, _ := ca("Fake Ant Financial Certification Authority Class 1 R1", x509.SHA256WithRSA, r1, &k.ca.PublicKey, k.ca)
	class2, class2DER, _ := ca("Fake Ant Financial Certification Authority Class 2 R1", x509.SHA256WithRSA, r1, &k.ca.PublicKey, k.ca)
	k.class2, k.class2PEM = class2, certPEM(class2DER)
	appDER, appSerial := k.leaf(class1, "2088000000000001", &k.app.PublicKey)
	k.appCertPEM = certPEM(appDER)
	k.appCertSN = certSN("Fake Ant Financial Certification Authority Class 1 R1", appSerial)
}

// leaf issues a certificate for pub from parent.
func (k *keySet) leaf(parent *x509.Certificate, cn string, pub *rsa.PublicKey) ([]byte, *big.Int) {
	now := time.Now()
	tmpl := &x509.Certificate{SerialNumber: randomSerial(), Subject: pkix.Name{Country: []string{"CN"},
		Organization: []string{"xiaodian test"}, OrganizationalUnit: []string{"Alipay"}, CommonName: cn},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(5, 0, 0), KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, k.ca)
	if err != nil {
		panic(err)
	}
	return der, tmpl.SerialNumber
}

// alipayCert issues a new 支付宝公钥证书 for Alipay's key: the file holds
// the certificate then its issuer, as the real one does.
func (k *keySet) alipayCert() (pemText []byte, sn string) {
	der, serial := k.leaf(k.class2, "支付宝(中国)网络技术有限公司-2088000000000001", &k.alipay.PublicKey)
	return append(certPEM(der), k.class2PEM...), certSN("Fake Ant Financial Certification Authority Class 2 R1", serial)
}

// privatePEM writes a private key as the 密钥工具 does in its PKCS #8
// output, as one line of base64.
func privatePEM(k *rsa.PrivateKey) string {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		panic(err)
	}
	return base64.StdEncoding.EncodeToString(der)
}

// publicPEM writes a public key as the open platform shows 支付宝公钥: one
// line of base64 (PKIX).
func publicPEM(k *rsa.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		panic(fmt.Sprint(err))
	}
	return base64.StdEncoding.EncodeToString(der)
}

// OtherPrivateKey is a private key the gateway does not know, as one line
// of base64 (PKCS #8): settings with it are refused with
// isv.invalid-signature.
func OtherPrivateKey() string { return privatePEM(loadKeys().other) }

// OtherPublicKey is a public key that signs nothing the gateway sends, as
// one line of base64: settings with it as alipay_public_key fail to verify
// every answer.
func OtherPublicKey() string { return publicPEM(&loadKeys().other.PublicKey) }
