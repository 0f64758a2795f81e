// Package wechat is the WeChat official account (微信公众号) plugin: the
// 网页授权 sign-in of the H5 shop opened inside WeChat, and the JS-SDK
// configuration signature so that shared pages show a proper card. It
// speaks the protocols directly on net/http, encoding/json and
// crypto/sha1.
//
// [New] returns the plugin (id "wechat", name 微信公众号): a
// plugins.Configurable with a plugins.ConnectionTester (测试连接), whose
// Register adds the login provider 微信登录 (id "wechat"), which is also a
// plugins.ShareSigner.
//
// Done:
//   - Settings (keys app_id, app_secret, scope, share, verify_file, and
//     api_base, oauth_base under 高级设置), each checked with a message of
//     its own; Configure swaps the configuration atomically and keeps the
//     cached tokens unless the AppID, the AppSecret or the API address
//     changes. AppID, AppSecret and verification file all empty leave the
//     plugin idle; the verification file alone may be set, to prove the
//     domain before the account is entered. The bases must be https, or
//     http to a loopback host (the tests' fake).
//   - 网页授权 (Wechat_webpage_authorization): AuthURL builds
//     /connect/oauth2/authorize?appid=…&redirect_uri=…&response_type=code&scope=…&state=…#wechat_redirect
//     in the documented order (state 1–128 letters and digits; silent →
//     snsapi_base, else the configured scope). ParseCallback reads the
//     callback (a state without a code is ErrDenied). Exchange calls
//     /sns/oauth2/access_token, refuses a 快照页 virtual account
//     (is_snapshotuser, ErrSnapshotUser), and when snsapi_userinfo was
//     granted /sns/userinfo (lang=zh_CN) for the nickname, avatar and
//     UnionID; an errcode or a network failure there gives the identity
//     without a profile, an answer for another OpenID fails. OpenIDs and
//     UnionIDs must be 6–64 of [A-Za-z0-9_-], nicknames valid UTF-8 of at
//     most 64 characters (control characters dropped), avatars http(s).
//   - Server access_token: POST /cgi-bin/stable_token (getStableAccessToken)
//     in its normal mode, never force_refresh. Unlike GET /cgi-bin/token,
//     it does not invalidate the token another holder of the AppSecret
//     (a second shop instance, a tool) is using, and WeChat answers the
//     same token until five minutes before its end. The jsapi_ticket comes
//     from /cgi-bin/ticket/getticket?type=jsapi. Both are cached until five
//     minutes before expires_in (half the life when that is shorter than
//     ten minutes); concurrent callers share one fetch, which runs apart
//     from the caller's cancellation within 30 s. A ticket fetch that meets
//     40001, 42001 or 40014 drops that token, fetches one again and retries
//     once.
//   - ShareConfig signs sha1("jsapi_ticket=…&noncestr=…&timestamp=…&url=…")
//     over the page URL cut at '#' and kept byte for byte ([SignableURL]
//     refuses anything but absolute http(s)); [Sign] is tested with the
//     worked example of appendix 1 of the JS-SDK documentation, both its
//     current (url …?params=value, 0f9de62f…) and its older (f4d90daf…)
//     text — read in verbatim copies, the official page not being in our
//     search index.
//   - Errors: errcode answers become *APIError naming the operation, the
//     code and its meaning in Chinese and English (40029, 40163, 40125,
//     40164 with the IP WeChat saw, …) and WeChat's rid; an unknown code's
//     errmsg is kept without the values we sent; transport errors lose the
//     request URL, whose query holds the secret or a token. TestConnection
//     answers plain Chinese / English messages (IP 白名单, wrong AppSecret
//     or AppID, frozen secret, unreachable).
//   - Available: configured and a WeChat user agent (MicroMessenger);
//     企业微信 (wxwork) is left out, it cannot do an official account's
//     网页授权.
//   - VerifyFile returns the MP_verify_<code>.txt name and its content for
//     the core to serve at /<name>.
//   - Tests run against wechattest, a fake of both servers; fuzz tests
//     cover every parser of outside input (the JSON answers, the callback,
//     errmsg, page URLs, the settings).
//
// Not done:
//   - The core's part: the /auth/wechat routes, linking an identity to a
//     phone account, serving the verification file, rendering wx.config
//     and the share card (the lead's handlers).
//   - refresh_token of the user's access_token (not needed: the profile is
//     read once at sign-in) and /sns/auth.
//   - No official example exists for 网页授权 or the token APIs beyond
//     sample JSON shapes; those are tested against the fake only.
//   - The cache lives in the process: several shop instances each hold the
//     (shared) stable token and fetch their own ticket.
package wechat
