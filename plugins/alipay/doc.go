// Package alipay is the 支付宝 (Alipay OpenAPI) payment plugin, written on
// Go's standard crypto: RSA2 (SHA256WithRSA) in 公钥 (public key) mode or
// 公钥证书 (public key certificate) mode.
//
// The plugin: New() is the plugins.Plugin "alipay" (支付宝), a Describer, a
// Configurable and a ConnectionTester; Register adds its Provider, a
// plugins.PaymentProvider, PaymentStarter (it takes the shop's HTTP client)
// and RefundQuerier. docs/setup/alipay.md tells a shop owner how to get
// each setting.
//
// Settings (SettingsSchema; keys are the contract with config files, the
// environment and the docs): app_id, app_private_key (secret; PEM or the
// bare base64 of the 密钥工具, PKCS #1 or #8, RSA ≥ 2048 bits), key_mode
// (public_key | cert), alipay_public_key (public_key mode), app_cert,
// alipay_cert, alipay_root_cert (cert mode: the .crt files' text),
// seller_id (optional PID: notifications for another seller are refused),
// channel_wap and channel_page (default on), gateway (default production;
// https, or http to a loopback host). Configure checks every field and
// returns store.ValidationErrors naming each fault with an alipay.err_*
// message key (views/i18n/alipay.*.json): app_id not digits, a key that
// does not parse, a public key given as the private key or the reverse,
// the 应用公钥 pasted as the 支付宝公钥, a short key, a certificate whose
// key is not the app private key's, the app certificate given as Alipay's,
// a root bundle without an RSA-signed certificate, a bad PID, no channel,
// a bad gateway. On error nothing changes; good values replace the whole
// configuration at once (one immutable client behind an atomic pointer).
// Values without any credential leave the plugin idle: Channel answers
// false and every call returns plugins.ErrProviderUnavailable.
//
// Protocol:
//   - requests: the sorted "key=value" string (without sign and empty
//     values) signed with the app private key; in cert mode app_cert_sn and
//     alipay_root_cert_sn are added (and signed) on every request;
//   - answers: the signature is checked over the exact bytes of the
//     "<method>_response" (or "error_response") object; an unsigned answer
//     is an *Error with Unsigned set and is trusted for nothing (so an
//     unsigned ACQ.TRADE_NOT_EXIST is not taken as "no such trade"); in
//     cert mode an answer whose alipay_cert_sn is not the configured
//     certificate's SN is refused (ErrAlipayCertSN: Alipay issued a new
//     certificate; the owner downloads it — the plugin does not fetch it
//     with alipay.open.app.alipaycert.download as the SDKs do). An answer
//     without alipay_cert_sn is accepted when its signature verifies;
//   - SNs (CertSN, RootCertSN, ParseCert): MD5 of the issuer name as Java's
//     X500Principal.getName() writes it (RFC 2253, Java's escaping, Java's
//     decoding of every string type as UTF-8) and the decimal serial; the
//     root SN joins those of the bundle's certificates whose signature
//     algorithm is RSA (OID under 1.2.840.113549.1.1), in file order. The
//     name writer was checked against Java 17 on crafted names, and the
//     production alipayRootCert.crt gives the SN Alipay's SDKs send;
//   - async notifications (VerifyNotify): signature first (sign and
//     sign_type left out), then app_id and seller_id; TRADE_SUCCESS /
//     TRADE_FINISHED become payment notices; WAIT_BUYER_PAY, TRADE_CLOSED
//     and the trade_status_sync sent after a refund (gmt_refund /
//     out_biz_no) are verified and ignored: VerifyNotify returns an error
//     wrapping ErrIgnored (and plugins.ErrNotifyIgnored, so the core changes
//     nothing) and Ack still answers "success" so that Alipay stops;
//   - the synchronous return (VerifyReturn): the query string Alipay
//     appends to return_url, verified like a notification; it only says the
//     payer came back, not that the money arrived.
//
// Payments: Channel is wap (手机网站支付, alipay.trade.wap.pay, a signed
// GET URL) on a phone and page (电脑网站支付, alipay.trade.page.pay, a form
// POSTed to the gateway) elsewhere, the other when the owner switched one
// off, and none inside WeChat (which blocks Alipay). Query
// (alipay.trade.query) reports TRADE_SUCCESS / TRADE_FINISHED as paid and
// TRADE_CLOSED (unpaid and expired, or fully refunded) as closed. Refund
// (alipay.trade.refund) settles at once: fund_change Y is succeeded; N (a
// number sent before) is confirmed with alipay.trade.fastpay.refund.query,
// and a refund neither confirms is an error, to be retried with the same
// number; the provider never answers RefundPending. QueryRefund maps
// refund_status REFUND_SUCCESS to succeeded, an answer without refund
// status (Alipay's documented "not found") to found=false, any other
// status to pending, and an unknown trade to an error. Close
// (alipay.trade.close) treats a trade the payer never opened as closed.
// TestConnection queries a number no trade has: a signed ACQ.TRADE_NOT_EXIST
// proves both signatures; the refusals (isv.invalid-signature,
// isv.invalid-app-id, the certificate SNs, a failing answer signature, a
// network error) each get a message in Chinese, then " / " and English.
//
// Official test vectors: the 自行实现签名 page's request example (its
// 待签名字符串) and the 异步通知 example's fields and sign string are tests
// (the pages publish no key, so no signature of theirs can be checked); the
// 公钥证书 documentation gives the SN rule in words and no worked example —
// the SN tests use the production root bundle and Java's own output instead.
//
// The fake gateway for tests is the sub-package alipaytest.
//
// Refund errors that are Alipay's definite no (a signed business failure,
// a refused request) wrap plugins.ErrRefundRefused; the rest (20000,
// ACQ.SYSTEM_ERROR, the network) leave the outcome unknown and the core
// keeps the refund pending for the reconciliation job.
//
// Payouts (transfer.go): the Provider is a plugins.Payouter for
// withdrawals to Alipay, with settings payout (公钥证书 mode only: Configure
// refuses it in 公钥 mode with alipay.err_payout_needs_cert) and
// payout_title. Payout calls alipay.fund.trans.uni.transfer
// (TRANS_ACCOUNT_NO_PWD, DIRECT_TRANSFER, payee ALIPAY_LOGON_ID with name):
// SUCCESS succeeded, DEALING pending, FAIL failed. A signed 40004 with a
// documented payee / balance / limit sub_code (PAYEE_NOT_EXIST,
// PAYEE_USER_INFO_ERROR, BALANCE_IS_NOT_ENOUGH, EXCEED_LIMIT_*, …) or a
// refused request is a definite no, confirmed by a query when signed;
// 20000, SYSTEM_ERROR, PAYMENT_INFO_INCONSISTENCY, other codes and the
// network leave the outcome unknown. QueryPayout calls
// alipay.fund.trans.common.query (INIT/DEALING/UNKNOWN pending,
// FAIL/REFUND/CLOSED failed); ORDER_NOT_EXIST is plugins.ErrPayoutNotFound.
//
// Not done: AES content encryption (encrypt_type); downloading a re-issued
// Alipay certificate; refund notifications (none are needed: refunds settle
// synchronously).
package alipay
