// Package wechatpay implements WeChat Pay API v3 (微信支付 APIv3) on Go's
// standard crypto only.
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
//
// Not there yet: the payment provider; 平台证书 download and refresh; wiring of the keys from the
// shop's config or back office.
package wechatpay
