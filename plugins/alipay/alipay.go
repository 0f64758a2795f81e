// Package alipay is the Alipay OpenAPI (支付宝开放平台) payment provider,
// written on Go's standard crypto: RSA2 (SHA256WithRSA) with the 公钥 mode
// keys — the app's private key and the Alipay public key.
//
// So far: signing, verification (requests, async notifications, the exact
// bytes of a response's "<method>_response" object), key parsing, yuan ↔
// fen, and the Client: alipay.trade.page.pay (form), alipay.trade.wap.pay
// (signed GET URL), alipay.trade.query, alipay.trade.refund,
// alipay.trade.fastpay.refund.query and alipay.trade.close. The
// plugins.PaymentProvider is not written yet; neither is certificate
// (公钥证书) mode nor any configuration wiring.
package alipay

import (
	"crypto/rsa"
	"net/http"
	"time"
)

// ID is the provider's id.
const ID = "alipay"

// DefaultGateway is Alipay's production gateway.
const DefaultGateway = "https://openapi.alipay.com/gateway.do"

// Config is what the provider needs to talk to Alipay.
type Config struct {
	// AppID is the application's APPID (app_id).
	AppID string
	// PrivateKey is the application's private key (应用私钥).
	PrivateKey *rsa.PrivateKey
	// AlipayPublicKey checks Alipay's signatures (支付宝公钥).
	AlipayPublicKey *rsa.PublicKey
	// Gateway defaults to DefaultGateway (the sandbox is
	// https://openapi-sandbox.dl.alipaydev.com/gateway.do).
	Gateway string
	// SellerID is the merchant's PID (2088...); when set, notifications
	// for another seller are refused.
	SellerID string
	// HTTPClient defaults to a client with a 15 second timeout.
	HTTPClient *http.Client
	// Now defaults to time.Now.
	Now func() time.Time
}
