// Package wechatpay is WeChat Pay API v3 (微信支付 APIv3, 直连商户) on Go's
// standard crypto only, offered to the shop as a plugin: [New] returns the
// plugin (id "wechatpay", name 微信支付) whose provider implements
// plugins.PaymentProvider, PaymentStarter, RefundQuerier, PayerNamespacer
// and Payouter (商家转账, transfer.go). docs/setup/wechatpay.md tells a shop owner how to set it
// up; the fake gateway for tests is package wechatpaytest.
//
// # Protocol
//
//   - Requests carry Authorization: WECHATPAY2-SHA256-RSA2048
//     mchid,nonce_str,signature,timestamp,serial_no — an RSA-SHA256
//     (PKCS #1 v1.5) signature with the merchant key of
//     "METHOD\npath?query\ntimestamp\nnonce\nbody\n" (签名生成,
//     https://pay.weixin.qq.com/doc/v3/merchant/4012365336). With a
//     微信支付公钥 configured they also carry Wechatpay-Serial: its id, so
//     that a merchant migrating from 平台证书 gets answers signed with it.
//   - Answers and callbacks are verified over "timestamp\nnonce\nbody\n"
//     with the key the Wechatpay-Serial header names, a timestamp at most
//     five minutes off (签名验证,
//     https://pay.weixin.qq.com/docs/merchant/development/interface-rules/signature-verification.html).
//     Both kinds of key may be in use at once: a 微信支付公钥 by its id
//     ("PUB_KEY_ID_…") and the downloaded 平台证书 by serial. A 2xx answer
//     must be signed; the gateway signs every answer to a request whose
//     signature it accepted (errors too), so a signed error is verified
//     and reported as an *APIError with Verified set; an unsigned 401
//     SIGN_ERROR means our signature was refused.
//   - JSAPI paySign signs "appId\ntimeStamp\nnonceStr\npackage\n"
//     (https://pay.weixin.qq.com/doc/v3/merchant/4012365339).
//   - Callback resources and 平台证书 are AEAD_AES_256_GCM with the APIv3
//     key, the nonce and the associated data.
//   - 平台证书: GET /v3/certificates, each certificate decrypted with the
//     APIv3 key; the answer is verified with the downloaded certificate its
//     Wechatpay-Serial names (the documented bootstrap, sound because only
//     a holder of the APIv3 key can make certificates that decrypt). They
//     are kept by serial (upper-case hex), expired ones dropped (by the
//     certificate's end or the list's earlier expire_time), refreshed when
//     12 hours old and when an answer or callback names an unknown serial
//     — at most once a minute, concurrent callers sharing one download —
//     and cached in the shop's settings (wechatpay.platform_certs, public
//     data, keyed by 商户号 and gateway URL) so that a restart does not need
//     the network. Refreshing is lazy: the 12-hour refresh starts in the
//     background at the next use (the first download, with no key at all,
//     is waited for).
//   - Client: JSAPI/H5/Native 下单, 查询订单 by out_trade_no, 关闭订单, 申请退款,
//     查询单笔退款; amounts in fen, CNY only; time_expire in +08:00.
//
// # Plugin and provider
//
//   - Settings (SettingsSchema; the keys are the contract with config files
//     and the docs): mch_id, app_id, mch_serial_no, mch_private_key (secret
//     text), apiv3_key (secret), public_key_id, public_key, platform_certs,
//     channel_jsapi, channel_h5, channel_native (on by default), base_url
//     (https, or http for loopback hosts). Configure validates every field
//     with an i18n key (views/i18n/wechatpay.*.json) and swaps the whole
//     configuration in atomically; no credential at all (only switches or
//     defaults) = unconfigured: no channel, every call
//     plugins.ErrProviderUnavailable.
//   - Channel: inside WeChat JSAPI when the payer's OpenID is known
//     (plugins.IdentityFrom under plugins.WeChatNamespace(app_id)), else
//     Native (WeChat's browser cannot pay H5 pages:
//     https://pay.weixin.qq.com/doc/v3/merchant/4012791845; a long-pressed
//     QR code pays); on a phone H5, else Native; on a desktop Native only;
//     channels the owner switched off are never offered. Pay takes
//     req.OpenID, else the identity on ctx, and falls back like Channel.
//     H5's redirect_url is the result page.
//   - VerifyNotify checks the signature first, decrypts, checks mchid (and
//     appid for payments), maps TRANSACTION.SUCCESS to a payment notice and
//     REFUND.SUCCESS/ABNORMAL/CLOSED to a refund notice (succeeded / failed;
//     failed for both ABNORMAL and CLOSED). Amounts are checked by the core
//     (ApplyPayment). Ack answers 204, or {"code":"FAIL",...} with 400
//     (refused) or 500 (the shop failed; the gateway retries).
//   - Refund answers pending; QueryRefund maps PROCESSING/SUCCESS/CLOSED,
//     ABNORMAL and reports found=false for 404 RESOURCE_NOT_EXISTS. Query
//     maps SUCCESS/REFUND to paid, CLOSED/REVOKED/PAYERROR to closed.
//   - TestConnection (测试连接) downloads the 平台证书 when they are used, then
//     queries an order number that cannot exist: a verified answer of any
//     kind means mchid, key and serial were accepted and the platform key
//     checks out. Messages are Chinese, then English after " / ".
//
// # Payouts (商家转账)
//
//   - Settings payout (off by default), transfer_scene_id (1000 现金营销),
//     payout_perception (现金奖励), payout_report_infos ("类型=内容" lines;
//     活动名称 and 奖励说明 by default).
//   - Payout: POST /v3/fund-app/mch-transfer/transfer-bills; ACCEPTED,
//     PROCESSING, CANCELING are pending, WAIT_USER_CONFIRM and TRANSFERING
//     awaiting_confirmation (package_info for requestMerchantTransfer),
//     SUCCESS succeeded, FAIL (fail_reason in Chinese) and CANCELLED failed.
//     Only a signed PARAM_ERROR / INVALID_REQUEST / NO_AUTH or a 401 is a
//     definite no, and a signed one is confirmed by a query (a bill of that
//     number wins); NOT_ENOUGH, SYSTEM_ERROR, FREQUENCY_LIMITED, 5xx, the
//     network and undocumented codes leave the outcome unknown.
//   - QueryPayout: GET …/transfer-bills/out-bill-no/{no}; a signed 404
//     NOT_FOUND is plugins.ErrPayoutNotFound.
//
// # Tests and official vectors
//
// The documentation's test merchant key (apiclient_test_key.pem) and its
// worked examples are checked byte for byte: the request signatures of
// 4012365336 (POST with body) and 4012365334 (GET, empty body), the JSAPI
// paySign of 4012365339, and the 微信支付公钥 verification example of
// signature-verification.html (vectors_test.go). The expected values were
// read as public code quotes those pages and recomputed with the pages'
// openssl commands. The documentation publishes no worked example of
// AES-GCM decryption (callback resource or certificate): that is tested by
// round trips with the fake gateway's independent implementation.
// Everything else runs against wechatpaytest with keys it generates;
// fuzzers: FuzzVerifyNotify, FuzzParseCertificates, FuzzParseCertCache,
// FuzzConfigure, FuzzGatewayAnswers.
//
// # Not done
//
//   - Payouts of 2000 yuan or more (user_name, encrypted with the platform
//     key) and the MCHTRANSFER.BILL.FINISHED callback (the core polls
//     QueryPayout).
//   - 合单/服务商 (partner) modes, 异常退款 (redirecting an ABNORMAL refund),
//     bills, payer_total (discounts) beyond the order total; only CNY.
//   - The AppID is not checked by TestConnection (only 下单 checks that it is
//     bound to the merchant).
//   - JSAPI needs the payer's OpenID: the WeChat sign-in (网页授权, plugin
//     "wechat") configured for the same AppID; the core's pay page gets it
//     silently before showing the methods.
package wechatpay
