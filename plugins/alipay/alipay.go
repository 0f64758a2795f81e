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

// SandboxGateway is the 沙箱 (sandbox) gateway.
const SandboxGateway = "https://openapi-sandbox.dl.alipaydev.com/gateway.do"

// Config is what the provider needs to talk to Alipay.
type Config struct {
	// AppID is the application's APPID (app_id).
	AppID string
	// PrivateKey is the application's private key (应用私钥).
	PrivateKey *rsa.PrivateKey
	// AlipayPublicKey checks Alipay's signatures (支付宝公钥, or the key of
	// the 支付宝公钥证书 in certificate mode).
	AlipayPublicKey *rsa.PublicKey
	// AppCertSN and AlipayRootCertSN are sent on every request in 公钥证书
	// (certificate) mode, which AppCertSN != "" selects; AlipayCertSN is
	// the SN answers must carry (see CertSN, RootCertSN).
	AppCertSN        string
	AlipayRootCertSN string
	AlipayCertSN     string
	// Gateway defaults to DefaultGateway (the sandbox is SandboxGateway).
	Gateway string
	// SellerID is the merchant's PID (2088...); when set, notifications
	// for another seller are refused.
	SellerID string
	// HTTPClient defaults to a client with a 15 second timeout.
	HTTPClient *http.Client
	// Now defaults to time.Now.
	Now func() time.Time
}

// CertMode reports whether cfg is in 公钥证书 (certificate) mode.
func (cfg Config) CertMode() bool { return cfg.AppCertSN != "" }
