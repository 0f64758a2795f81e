package wechatpay

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"testing"
	"time"
)

// Official test vectors. WeChat Pay's documentation works its examples
// with a test merchant key that it publishes ("apiclient_test_key.pem",
// merchant 1900007291, certificate serial
// 408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB):
//   - https://pay.weixin.qq.com/doc/v3/merchant/4012365339 (JSAPI调起支付签名)
//   - https://pay.weixin.qq.com/docs/partner/development/generate-turitup-signature-verification/jsapi-transfer-payment-signature.html
//
// The pages print the key as PKCS #8 ("BEGIN PRIVATE KEY") or PKCS #1
// ("BEGIN RSA PRIVATE KEY", the 小程序调起支付签名 page); it is the same
// key. RSASSA-PKCS1-v1_5 is deterministic, so the signatures the pages
// print must come out byte for byte. Each expected value was also
// recomputed with the pages' own command (openssl dgst -sha256 -sign
// apiclient_test_key.pem | openssl base64 -A).
const testOfficialKeyPKCS1 = `-----BEGIN RSA PRIVATE KEY-----
MIIEogIBAAKCAQEAptpm+qvIDCh/9wjU26SQCK26ogYkBhDrYxnAaw2JbbBsp1oD
bHKk+1r381NeBUG2HEFAuU+Fr72u5ot3yKdzoF/FajAzQNKnm569/D3upKoi8mYB
aST15Uig8j8qoUW1U217LL0jEHlSnHV3lcaDTXqDpTRR4Bfz9IqOgJgFZ8/oTfEo
mSrjrLYef81Eyxr7ZIMQXEKKEK7V4UXKS0+/fDsiG/cXidhzt8UbTL9vqXqxM2+I
DImyO+FAc/tkBG55LmzxPto1Nq0WbnZzRM/wTzrd0I/8NlevxtFbphg4evlHjFNI
7+GrqR87ViEwuAJJ9Je5QQjct5YJfFRWiZ5CMQIDAQABAoIBAGBi/GhEgezcHIg1
ltlHaFlLGuxsRbUnYwM9phVxnXk7GJlYe2/TjpERjPkIqOC6hBwwadZjJORP3FCc
Mtc8PKRhjuZ377O7vU0915x2nnyLOGL1IE2AJ3iLi0ZFzTea0FPgg+5lWHM00s9F
YI6qPcGtS41M+xtMWwZiYE3TBBRibHiY8ugGyaNAhiMKehyW05uApjlIF55wwCGx
BkyESJpGRR/6853iHke6Ge+xVcMa9QmQdoH0QqL/8kT28PL568mJJr0Ow/83t4+d
Pe70YPzKAxgUnaDsHJqO+b8qH69AEs8rTI5h2Mon6pH+bJT66KUoiXhn+Kf+4LSs
henRP10CgYEA1QJSfuFOWVRjrg3N/rAIc/Ak84BTZavbyrkqBSuoTs9i/nMI/hOz
VxpDntg7Bx2Tctl6sZO3GioTxKdc/YYaTKci1TKBbeginpsqEQVgwkMCy8HpvUmR
fyAMqLwZC4h9+j+NiZtuoFJDTCgv+WYbasX+kWYEUM21bnSYuO7yEQsCgYEAyIdP
r9uzqPgzN34Tmx+CNTa16VjhBh+zkBtXRLDLhWBeIYxoYNJARD98Pb1XZdvpkZZW
Sk7MfaKo2/DomzyyyB/MbHWwAdFi3yb4y7uMJfyC1MzdUSNN3Vp579hJxHkJ+nN4
Ys76yfcEeVOLnvUT1Z0KKCdIWRdT1Lgi+X1itzMCgYBJUXlPzwGG4fNFj97d0X23
Wmt9nSgXkOYgi0eZbAOMzPmIF9R6kBFk49dur4Lx2g5Ms+r1gKC/0sfnIqxxX11i
EQ1+UNoYGJUB/uql3TIG68XkmKR50P7RwRhaZBRC0gJ6xrFTMjsL2ATuC88niyvY
vrn3FiRaI9RVZrDCxwxvLQKBgEXW4okEAqGBuAzGqztmkOnJoTehDdYdKmOxMgap
cGiGdKJIjX3THDDoz3ONQyglnEZpTqpYoV3MTfU0BT8zt6x9bqwDnQY1D7NalmIW
cqw0Mri8lQQSQKcsQLWo5aA466G/n5kCL1Qx5OwAjesRvhOyuvvbGpZ0ymyWqQ+t
fLkDAoGATcul1L8y5D/wNVP1GXbXMZfBsFP3bbqy8c+Ashm6g8OLm2mGNntd5Z6h
1KkID7Yksh+dZ6t7XaPBtGACXX5Eryr537JVvdX8hAVCp5HVtaN/9VBVP8Ka2e4s
VS/xeNgOMQ7uzhRPBJ8HiTmdI1nHhDnYQpGiBgQn0Z5RAkSvFMk=
-----END RSA PRIVATE KEY-----
`

const (
	officialMchID  = "1900007291"
	officialSerial = "408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB"
	officialStamp  = 1554208460
	officialNonce  = "593BEC0C930BF1AFEB40B4A08C8FB242"
)

// officialKeys returns the test key as PKCS #1 and as PKCS #8 PEM.
func officialKeys(t *testing.T) []*rsa.PrivateKey {
	t.Helper()
	k1, err := ParsePrivateKey([]byte(testOfficialKeyPKCS1))
	if err != nil {
		t.Fatal(err)
	}
	p8, err := x509.MarshalPKCS8PrivateKey(k1)
	if err != nil {
		t.Fatal(err)
	}
	k8, err := ParsePrivateKey(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8}))
	if err != nil {
		t.Fatal(err)
	}
	return []*rsa.PrivateKey{k1, k8}
}

func TestOfficialRequestSignatures(t *testing.T) {
	tests := []struct {
		source, method, pathQuery, body, want string
	}{
		{
			// 签名生成（请求参数在 body 中）: the JSAPI 下单 example.
			source:    "https://pay.weixin.qq.com/doc/v3/merchant/4012365336",
			method:    "POST",
			pathQuery: "/v3/pay/transactions/jsapi",
			body:      `{"appid":"wxd678efh567hg6787","mchid":"1900007291","description":"Image形象店-深圳腾大-QQ公仔","out_trade_no":"1217752501201407033233368018","notify_url":"https://www.weixin.qq.com/wxpay/pay.php","amount":{"total":100,"currency":"CNY"},"payer":{"openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"}}`,
			want:      "jnks4dlrPw3ZX+ozVvSK39oa0t7OMBsg83BHAwd8BRdUFiVaQNTLTvci+wURgP1OQBbKYhFGvt7iqYpDSTQkp7Uq1sltaQKyncCyrA1g88m5bsKERQfPyT0ahSwKTYJ1CAn9QiJuSJRq1QsQs07eehbU/k9BCS51jTyc1Jpsi2H77HF9f/BnjXAOP3/sPObg6V5Ee4EzwLox684hhuMuIwHo7D8KFk3LIHOKDcNI4It1aCXydFWNpNK+SG86VUDe5kwoDpw4Ulqfu9z8OFDGbDs9TCxEv8iqQzbpxOlEVoOe2kalSYM5kApQb3nZcxdUtoE0liJGW3RGUNE0t4v01A==",
		},
		{
			// 签名生成（请求参数在路径中）: 查询单笔退款, an empty body.
			source:    "https://pay.weixin.qq.com/doc/v3/merchant/4012365334",
			method:    "GET",
			pathQuery: "/v3/refund/domestic/refunds/123123123123",
			want:      "Lc9VXxmeonkdV8Xk9tmigQFLhl0vRWTerdmoRu01aAnYwIrD/5nsSwE1WlmZGLRlAFTNQ3QsMa0+VRDlJp1Wp5p0nO8EK68b5sJBbjouxaFciIfq1zfDWWz+jqhcMoKXI1A6dPm1AW7D4d30WsMTNzp6g23OXakIsh9LO3lUmwvTuE0BY8ncf6tNGk4wKmvXwERd/ZpoQY3MAVKz+Nakwc+2XBmzT66KcUehU5kr4IvGa/lEU5RZb/q00zP9VLdBhC/jQSX3X1UcJLCtEc4gTmib4tnmAT+bHF/e17ZAuxDNcx6rqT8gNEXqaJGG+1OflMSTU2tpyG65G4dMKdFcoA==",
		},
	}
	for _, key := range officialKeys(t) {
		c := &Config{MchID: officialMchID, MchSerialNo: officialSerial, MchKey: key}
		for _, tt := range tests {
			var body []byte
			if tt.body != "" {
				body = []byte(tt.body)
			}
			h, err := c.Authorization(tt.method, tt.pathQuery, body, time.Unix(officialStamp, 0), officialNonce)
			if err != nil {
				t.Fatal(err)
			}
			// The page prints the whole header, fields in this order.
			want := `WECHATPAY2-SHA256-RSA2048 mchid="1900007291",nonce_str="593BEC0C930BF1AFEB40B4A08C8FB242",signature="` +
				tt.want + `",timestamp="1554208460",serial_no="408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB"`
			if h != want {
				t.Errorf("%s (%s %s):\n got %s\nwant %s", tt.source, tt.method, tt.pathQuery, h, want)
			}
		}
	}
}

func TestOfficialJSAPIPaySign(t *testing.T) {
	// JSAPI调起支付签名: appId wx2421b1c4370ec43b, the documentation's
	// prepay_id, timestamp and nonce.
	// https://pay.weixin.qq.com/doc/v3/merchant/4012365339
	const want = "mI35pfNEQV6777ke/1T+LJLQDNTm7yeoUJH+j/adPGhmCCi0PbgkvYQTRcXH0uibcLVtvFLdGLpmoYO9FV6lBBsTAjuhh5YOvQi0e2g3e0yytitiNET9FEuqM0pjnKfRW4K6LIZDdbWJv9KhZUx3DrJa5TL7OJ7VdADVivxVySIlPVKjGwuCXzuXSJes0UcILgWQUMyha5/3nYofuHtS7r+KYyMuxD+oJ9VM1Qdxk4UIG59CP5Y3wtYIFybyF3bdu1caHTRRX+DLyMXyYA/IrTmiW01c4RPjpHBX5Dk1sZyY1zVsWNsvMHr2e1NTWtBxKJ+qk5N61J7caYoepHFaxw=="
	for _, key := range officialKeys(t) {
		c := &Client{cfg: Config{AppID: "wx2421b1c4370ec43b", MchKey: key}}
		p, err := c.jsapiParams("wx201410272009395522657a690389285100", time.Unix(officialStamp, 0), officialNonce)
		if err != nil {
			t.Fatal(err)
		}
		if p["paySign"] != want || p["package"] != "prepay_id=wx201410272009395522657a690389285100" ||
			p["timeStamp"] != "1554208460" || p["nonceStr"] != officialNonce || p["signType"] != "RSA" || p["appId"] != "wx2421b1c4370ec43b" {
			t.Errorf("JSAPI params %v", p)
		}
	}
}

// TestOfficialResponseVerification verifies the documentation's example
// answer (a Native 下单 answer signed with a 微信支付公钥):
// https://pay.weixin.qq.com/docs/merchant/development/interface-rules/signature-verification.html
// The page prints the headers and body; the public key is the one that
// page pairs with them (as public code quotes it); the signature verifies
// with it, which no other key could make happen.
func TestOfficialResponseVerification(t *testing.T) {
	const pubPEM = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwXNI6sdlknHBnK8Fu2U6
Cwor9qY747jP8KAfeBMeveEt1TqaHkLfaSD07trZLhGpfs8/AHqjhgSMO1O10YQW
OrrJ4hjIWPKqxbgrYMkBQc+mwdiWp4W3ByCqxBRagCveCXRWCmuJYovl9H/bsDI0
iGbpVtEOghJtfciisYSgxcLufUDTRkvwxjIBK1pCRjk33jJ5YTBWTHMRtMAOcFLN
F6hdEYdX8SPsgHHeLZ5Lv2T/686w1xtgCHef/sd4uSfWmyzsalQdHG/e4IyYmrhx
+O3VBoNDzE3nx23bFeV/RVNCG7cV6VhmYokJNHa/erIPkEmEFID6A5wQOXuxUkmJ
WwIDAQAB
-----END PUBLIC KEY-----
`
	pub, _, err := ParsePublicKey([]byte(pubPEM))
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set("Wechatpay-Nonce", "d824f2e086d3c1df967785d13fcd22ef")
	h.Set("Wechatpay-Signature", "mfI1CPqvBrgcXfgXMFjdNIhBf27ACE2YyeWsWV9ZI7T7RU0vHvbQpu9Z32ogzc+k8ZC5n3kz7h70eWKjgqNdKQF0eRp8mVKlmfzMLBVHbssB9jEZEDXThOX1XFqX7s7ymia1hoHQxQagPGzkdWxtlZPZ4ZPvr1RiqkgAu6Is8MZgXXrRoBKqjmSdrP1N7uxzJ/cjfSiis9FiLjuADoqmQ1P7p2N876YPAol7Rn0+GswwAwxldbdLrmVSjfytfSBJFqTMHn4itojgxSWWN1byuckQt8hSTEv/Lg97QoeGniYP17T80pJeQyL3b+295FPHSO2AtvCgyIbKMZ0BALilAA==")
	h.Set("Wechatpay-Timestamp", "1722850421")
	h.Set("Wechatpay-Serial", "PUB_KEY_ID_0000000000000024101100397200000006")
	body := []byte(`{"code_url":"weixin://wxpay/bizpayurl?pr=JyC91EIz1"}`)
	keys := map[string]*rsa.PublicKey{"PUB_KEY_ID_0000000000000024101100397200000006": pub}
	now := time.Unix(1722850421, 0).Add(time.Minute)
	if err := VerifyMessage(keys, now, h, body); err != nil {
		t.Fatalf("the documentation's answer does not verify: %v", err)
	}
	// The verification string is "timestamp\nnonce\nbody\n": any other
	// layout, or any change of the body, fails.
	for _, b := range [][]byte{[]byte(`{"code_url":"weixin://wxpay/bizpayurl?pr=JyC91EIz2"}`), append(body, '\n'), body[:len(body)-1]} {
		if err := VerifyMessage(keys, now, h, b); err == nil {
			t.Errorf("body %q verified", b)
		}
	}
	if err := VerifySHA256(pub, []byte("1722850421\nd824f2e086d3c1df967785d13fcd22ef\n"+string(body)), h.Get(HeaderSignature)); err == nil {
		t.Error("verified without the final newline")
	}
}
