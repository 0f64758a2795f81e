// Package wechatpay implements WeChat Pay API v3 (微信支付 APIv3) on Go's
// standard crypto only, and offers it as a payment provider
// (plugins.PaymentProvider, id "wechatpay", name 微信支付).
//
// Done:
//   - Request signing: the Authorization header
//     WECHATPAY2-SHA256-RSA2048 mchid,nonce_str,signature,timestamp,serial_no,
//     an RSA-SHA256 (PKCS #1 v1.5) signature with the merchant key of
//     "METHOD\npath?query\ntimestamp\nnonce\nbody\n".
//   - Verification of responses and callbacks (Wechatpay-Timestamp, -Nonce,
//     -Signature, -Serial over "timestamp\nnonce\nbody\n"): an unknown serial
//     is refused, a timestamp more than five minutes off is refused. The keys
//     are given in Config.PlatformKeys by serial: 平台证书 serial numbers or
//     微信支付公钥 ids ("PUB_KEY_ID_…").
//   - Decryption of callback resources (AEAD_AES_256_GCM with the APIv3 key,
//     nonce and associated_data), PEM helpers for the keys and certificates.
//   - Client: JSAPI/H5/Native 下单 (/v3/pay/transactions/jsapi|h5|native,
//     answering prepay_id, h5_url, code_url), 查询订单 by out_trade_no, 关闭订单,
//     申请退款 (/v3/refund/domestic/refunds); amounts in fen, currency CNY.
//     Every 2xx answer is verified like a callback before it is read.
//   - Provider ([New]): Channel answers jsapi inside WeChat when
//     Provider.OpenIDFrom finds the user's OpenID, h5 on a phone (also
//     inside WeChat without an OpenID), native on a desktop; Pay answers the
//     WeixinJSBridge parameters (paySign by the merchant key), a redirect to
//     h5_url (with redirect_url = the result page) or the code_url as a QR;
//     VerifyNotify checks the signature first, decrypts, checks mchid (and
//     appid for payments) and maps TRANSACTION.SUCCESS to a payment notice
//     and REFUND.SUCCESS/ABNORMAL/CLOSED to a refund notice (succeeded /
//     failed); Ack answers 204, or {"code":"FAIL",...} with 400 (refused)
//     or 500 (the shop failed); Refund (pending until its callback), Query
//     (SUCCESS/REFUND paid; CLOSED/REVOKED/PAYERROR closed) and Close.
//   - Tests run against a local fake gateway that checks the request
//     signatures with the merchant's public key and signs its answers and
//     callbacks with a generated platform key; FuzzVerifyNotify.
//
// Not there yet:
//   - 平台证书 download (/v3/certificates, decrypting the certificates with the
//     APIv3 key) and periodic refresh: the platform keys must be given in
//     Config.PlatformKeys (a 微信支付公钥 does not expire, which is the
//     simpler choice).
//   - Wiring: no plugin wrapper, not in plugins/builtin, no settings page;
//     the keys are not read from the shop's config or back office, and
//     OpenIDFrom (网页授权 for JSAPI) is not set by anyone yet; until it is,
//     a payer inside WeChat is offered H5, which WeChat may refuse inside its
//     own browser.
//   - No test vector from the official documentation: the signing is checked
//     against the documented message layout with keys generated in the tests.
//   - Not handled: 合单/服务商 modes, 异常退款, bills, the payer_total
//     (discounts) beyond the order total; only CNY.
package wechatpay
