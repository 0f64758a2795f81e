// Package alipay is the Alipay OpenAPI (支付宝开放平台) payment provider,
// written on Go's standard crypto: RSA2 (SHA256WithRSA) with the 公钥 mode
// keys — the app's private key and the Alipay public key.
//
// Done:
//   - signing requests and checking signatures: the sorted "key=value"
//     string without sign and empty values (async notifications also
//     without sign_type), and the exact bytes of a response's
//     "<method>_response" object;
//   - PEM / bare base64 key parsing (PKCS #1 and PKCS #8 private keys, PKIX
//     and PKCS #1 public keys), yuan ↔ fen without floating point;
//   - the client: alipay.trade.page.pay (a form POSTed to the gateway),
//     alipay.trade.wap.pay (a signed GET URL), alipay.trade.query,
//     alipay.trade.refund (with alipay.trade.fastpay.refund.query when a
//     refund answers fund_change N), alipay.trade.close;
//   - the plugins.PaymentProvider "alipay" (支付宝): wap on a phone, page on
//     a desktop, never inside WeChat; async notifications verified (the
//     signature first, then app_id and seller_id) and TRADE_SUCCESS /
//     TRADE_FINISHED turned into payment notices; other statuses
//     (WAIT_BUYER_PAY, TRADE_CLOSED) are verified and ignored: VerifyNotify
//     returns an error wrapping ErrIgnored (and plugins.ErrBadNotify, so the
//     core changes nothing) and Ack still answers "success" so that Alipay
//     stops sending it.
//
// Not done yet:
//   - 公钥证书 (certificate) mode: app_cert_sn / alipay_root_cert_sn and
//     the alipay_cert_sn of responses; only the 公钥 (public key) mode is
//     supported;
//   - configuration: the package has no Plugin type and is not in
//     plugins/builtin or any settings page; the keys, app id and seller id
//     are to be wired from the shop's config / back office, then New(Config)
//     registered with Registry.AddPaymentProvider;
//   - refund notifications: none are needed or read. alipay.trade.refund
//     settles at once: fund_change Y is RefundSucceeded; N (a retried
//     number) is confirmed with alipay.trade.fastpay.refund.query, and a
//     refund neither confirms is returned as an error (retry with the same
//     OutRefundNo) — the provider never answers RefundPending. The
//     trade_status_sync Alipay sends after a refund (gmt_refund /
//     out_biz_no) is ignored like the other statuses; the core logs every
//     ignored notification as refused, since plugins has no "nothing to do"
//     kind;
//   - Query reports a fully refunded trade (TRADE_CLOSED) as closed, not
//     paid: it is meant for attempts that never had a callback;
//   - AES content encryption (encrypt_type) of requests and responses.
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
