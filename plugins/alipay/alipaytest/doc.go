// Package alipaytest is a fake Alipay OpenAPI gateway for tests, in the
// manner of net/http/httptest: a local server that speaks the real wire
// protocol, so that the shop's handlers, the back office settings form and
// a headless browser can be tested against it end to end.
//
// It makes its own keys and certificates (once per test binary): the app's
// key pair, Alipay's key pair, a stranger's, and for 公钥证书 mode a root
// bundle like alipayRootCert.crt (two RSA roots and an ECDSA root), the
// app's certificate and Alipay's (with its issuer, as
// alipayCertPublicKey_RSA2.crt holds it). Its signing code is its own, not
// the plugin's, so the two check each other.
//
//	g := alipaytest.New(t)                  // starts; stops with the test
//	err := plugin.Configure(ctx, g.Settings(alipaytest.ModeCert))
//
// Settings(mode) returns every setting (app_id, app_private_key, key_mode,
// alipay_public_key or app_cert / alipay_cert / alipay_root_cert,
// seller_id, both channels, gateway = g.URL), ready for Configure or for
// the back office form.
//
// What it serves at g.URL (…/gateway.do):
//   - every request is checked as Alipay does: app_id (else an unsigned
//     isv.invalid-app-id), charset, format, sign_type RSA2, version, a
//     timestamp within 15 minutes, in certificate mode app_cert_sn and
//     alipay_root_cert_sn (isv.invalid-app-cert-sn,
//     isv.invalid-alipay-root-cert-sn), and the RSA2 signature with the
//     app's public key (else an unsigned isv.invalid-signature whose sub_msg
//     shows the string it verified);
//   - alipay.trade.query, alipay.trade.refund (out_request_no makes a retry
//     the same refund, fund_change N; a full refund closes the trade),
//     alipay.trade.fastpay.refund.query (REFUND_SUCCESS, or code 10000 and
//     no refund data for a refund it does not know) and alipay.trade.close,
//     answered in Alipay's JSON shape, {"<method>_response":{…},"sign":…}
//     signed over the object's exact bytes, with alipay_cert_sn for a
//     request of certificate mode; business errors (ACQ.TRADE_NOT_EXIST,
//     ACQ.TRADE_STATUS_ERROR, ACQ.REFUND_AMT_NOT_EQUAL_TOTAL,
//     ACQ.DISCORDANT_REPEAT_REQUEST) are signed 40004 answers;
//   - the cashier: alipay.trade.wap.pay (a GET with the signed parameters)
//     and alipay.trade.page.pay (a POSTed form) open the trade and show a
//     small HTML page (data-testid alipay-cashier, alipay-amount, …) whose
//     确认付款 button (data-testid alipay-confirm) POSTs to /cashier/pay:
//     the trade is paid, its TRADE_SUCCESS notification (the documented
//     form fields, notify_type trade_status_sync, signed without sign_type)
//     is POSTed to the request's notify_url, and the browser is redirected
//     (303) to return_url with the signed return parameters (method
//     alipay.trade.page.pay.return or alipay.trade.wap.pay.return). A
//     refused request shows an error page (data-testid alipay-error).
//
// What tests can do besides:
//   - CreateTrade opens a trade without the cashier; Pay pays it and
//     delivers the notification, returning the shop's answer (a Delivery:
//     status, body, Acked);
//   - Notify delivers the notification of a paid trade again, genuine
//     (TamperNone: a duplicate) or spoiled: TamperSignature (signed by a
//     stranger), TamperAfterSigning (total_amount changed after signing),
//     TamperAmount, TamperAppID, TamperSellerID (signed by Alipay, but
//     wrong), TamperUnsigned;
//   - NotifyRefund delivers the trade_status_sync Alipay sends after a
//     refund; ReturnParams gives a paid trade's signed return parameters;
//   - Trade, Trades, Refunds, Deliveries and Calls show what happened;
//     ReissueAlipayCert issues a new Alipay certificate for the same key
//     (answers then carry another alipay_cert_sn);
//   - AppPublicKey, OtherPrivateKey and OtherPublicKey give keys for
//     settings that must be refused.
//
// It keeps no clock of its own (trades never expire) and knows nothing of
// AES content encryption.
package alipaytest
