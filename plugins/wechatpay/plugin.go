package wechatpay

import (
	"context"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/store"
)

// Setting keys: the contract with the shop's config file
// (plugins.wechatpay.<key>), its environment (XIAODIAN_PLUGINS_WECHATPAY_<KEY>)
// and docs/setup/wechatpay.md.
const (
	KeyMchID         = "mch_id"
	KeyAppID         = "app_id"
	KeyMchSerialNo   = "mch_serial_no"
	KeyMchPrivateKey = "mch_private_key"
	KeyAPIv3Key      = "apiv3_key"
	KeyPublicKeyID   = "public_key_id"
	KeyPublicKey     = "public_key"
	KeyPlatformCerts = "platform_certs"
	KeyChannelJSAPI  = "channel_jsapi"
	KeyChannelH5     = "channel_h5"
	KeyChannelNative = "channel_native"
	KeyBaseURL       = "base_url"

	// Payouts (商家转账, distributor withdrawals).
	KeyPayout            = "payout"
	KeyTransferSceneID   = "transfer_scene_id"
	KeyPayoutPerception  = "payout_perception"
	KeyPayoutReportInfos = "payout_report_infos"
)

// Payout defaults: the scene 现金营销 and its two report infos.
const (
	defaultPerception  = "现金奖励"
	defaultReportInfos = "活动名称=分销佣金提现\n奖励说明=分销推广佣金"
)

// Plugin offers WeChat Pay to the shop: it registers the provider and
// configures it from the back office's settings.
type Plugin struct {
	provider *Provider
}

var (
	_ plugins.Plugin           = (*Plugin)(nil)
	_ plugins.Describer        = (*Plugin)(nil)
	_ plugins.Configurable     = (*Plugin)(nil)
	_ plugins.ConnectionTester = (*Plugin)(nil)
)

// New returns the plugin, not configured.
func New() *Plugin { return &Plugin{provider: &Provider{}} }

// ID is "wechatpay".
func (*Plugin) ID() string { return ID }

// Name is shown in the back office's plugin list.
func (*Plugin) Name() string { return "微信支付" }

// Description is the back office's one line about the plugin.
func (*Plugin) Description() string {
	return "微信支付 APIv3：微信内 JSAPI、手机浏览器 H5、电脑扫码 Native，支持退款与对账查询。"
}

// Register adds the provider.
func (p *Plugin) Register(r *plugins.Registry) error {
	return r.AddPaymentProvider(ID, p.provider)
}

// Provider returns the plugin's payment provider.
func (p *Plugin) Provider() *Provider { return p.provider }

// SettingsSchema lists the merchant's settings.
func (*Plugin) SettingsSchema() []plugins.SettingField {
	return []plugins.SettingField{
		{Key: KeyMchID, Kind: plugins.FieldText, Label: "wechatpay.mch_id", Help: "wechatpay.mch_id_help", Group: "wechatpay.group_merchant"},
		{Key: KeyAppID, Kind: plugins.FieldText, Label: "wechatpay.app_id", Help: "wechatpay.app_id_help"},
		{Key: KeyMchSerialNo, Kind: plugins.FieldText, Label: "wechatpay.mch_serial_no", Help: "wechatpay.mch_serial_no_help"},
		{Key: KeyMchPrivateKey, Kind: plugins.FieldSecretText, Label: "wechatpay.mch_private_key", Help: "wechatpay.mch_private_key_help"},
		{Key: KeyAPIv3Key, Kind: plugins.FieldSecret, Label: "wechatpay.apiv3_key", Help: "wechatpay.apiv3_key_help"},
		{Key: KeyPublicKeyID, Kind: plugins.FieldText, Label: "wechatpay.public_key_id", Help: "wechatpay.public_key_id_help", Group: "wechatpay.group_platform"},
		{Key: KeyPublicKey, Kind: plugins.FieldTextarea, Label: "wechatpay.public_key", Help: "wechatpay.public_key_help"},
		{Key: KeyPlatformCerts, Kind: plugins.FieldBool, Label: "wechatpay.platform_certs", Help: "wechatpay.platform_certs_help"},
		{Key: KeyChannelJSAPI, Kind: plugins.FieldBool, Label: "wechatpay.channel_jsapi", Help: "wechatpay.channel_jsapi_help", Default: "1", Group: "wechatpay.group_channels"},
		{Key: KeyChannelH5, Kind: plugins.FieldBool, Label: "wechatpay.channel_h5", Help: "wechatpay.channel_h5_help", Default: "1"},
		{Key: KeyChannelNative, Kind: plugins.FieldBool, Label: "wechatpay.channel_native", Help: "wechatpay.channel_native_help", Default: "1"},
		{Key: KeyPayout, Kind: plugins.FieldBool, Label: "wechatpay.payout", Help: "wechatpay.payout_help", Group: "wechatpay.group_payout"},
		{Key: KeyTransferSceneID, Kind: plugins.FieldText, Label: "wechatpay.transfer_scene_id", Help: "wechatpay.transfer_scene_id_help", Default: DefaultTransferScene},
		{Key: KeyPayoutPerception, Kind: plugins.FieldText, Label: "wechatpay.payout_perception", Help: "wechatpay.payout_perception_help", Default: defaultPerception},
		{Key: KeyPayoutReportInfos, Kind: plugins.FieldTextarea, Label: "wechatpay.payout_report_infos", Help: "wechatpay.payout_report_infos_help", Default: defaultReportInfos},
		{Key: KeyBaseURL, Kind: plugins.FieldText, Label: "wechatpay.base_url", Help: "wechatpay.base_url_help", Default: DefaultBaseURL, Group: "wechatpay.group_advanced"},
	}
}

// Configure checks the values and swaps the whole configuration in; on
// error it changes nothing. Values without any merchant credential (all
// empty, or only switches and defaults) leave the plugin unconfigured: no
// channel is offered and every call answers plugins.ErrProviderUnavailable.
func (p *Plugin) Configure(_ context.Context, values plugins.SettingValues) error {
	return p.provider.Configure(values)
}

// Configure is Plugin.Configure (see there).
func (p *Provider) Configure(values plugins.SettingValues) error {
	v := make(plugins.SettingValues, len(values))
	for k, val := range values {
		v[k] = strings.TrimSpace(val)
	}
	if unconfigured(v) {
		p.st.Store(nil)
		return nil
	}
	cfg, st, err := parseSettings(v)
	if err != nil {
		return err
	}
	c, err := p.newClient(cfg)
	if err != nil {
		return err // parseSettings checked everything Check does
	}
	st.client = c
	p.st.Store(st)
	return nil
}

// unconfigured reports values without any merchant credential: switches
// and the gateway address alone (defaults, or a form saved empty) are no
// configuration.
func unconfigured(v plugins.SettingValues) bool {
	for _, k := range []string{KeyMchID, KeyAppID, KeyMchSerialNo, KeyMchPrivateKey, KeyAPIv3Key, KeyPublicKeyID, KeyPublicKey} {
		if v[k] != "" {
			return false
		}
	}
	return true
}

var (
	digits      = regexp.MustCompile(`^[0-9]{1,32}$`)
	appIDFormat = regexp.MustCompile(`^wx[0-9A-Za-z]{16}$`)
	pubKeyID    = regexp.MustCompile(`^PUB_KEY_ID_[0-9A-Za-z_]{1,64}$`)
)

// parseSettings validates trimmed values; every field at fault is named
// with an i18n key (views/i18n/wechatpay.*.json).
func parseSettings(v plugins.SettingValues) (Config, *state, error) {
	var errs store.ValidationErrors
	var cfg Config
	st := &state{}

	cfg.MchID = v[KeyMchID]
	switch {
	case cfg.MchID == "":
		errs.Add(KeyMchID, "wechatpay.err_required")
	case !digits.MatchString(cfg.MchID):
		errs.Add(KeyMchID, "wechatpay.err_mch_id")
	}

	cfg.AppID = v[KeyAppID]
	switch {
	case cfg.AppID == "":
		errs.Add(KeyAppID, "wechatpay.err_required")
	case !appIDFormat.MatchString(cfg.AppID):
		errs.Add(KeyAppID, "wechatpay.err_app_id")
	}

	serial := strings.ToUpper(strings.NewReplacer(" ", "", ":", "").Replace(v[KeyMchSerialNo]))
	switch {
	case serial == "":
		errs.Add(KeyMchSerialNo, "wechatpay.err_required")
	case !isHex(serial) || len(serial) > 64:
		errs.Add(KeyMchSerialNo, "wechatpay.err_serial")
	}
	cfg.MchSerialNo = serial

	if s := v[KeyMchPrivateKey]; s == "" {
		errs.Add(KeyMchPrivateKey, "wechatpay.err_required")
	} else if k, key := privateKey(s); key != "" {
		errs.Add(KeyMchPrivateKey, key)
	} else {
		cfg.MchKey = k
	}

	if s := v[KeyAPIv3Key]; s == "" {
		errs.Add(KeyAPIv3Key, "wechatpay.err_required")
	} else if len(s) != 32 {
		errs.Add(KeyAPIv3Key, "wechatpay.err_apiv3_len", "n", len(s))
	} else {
		cfg.APIv3Key = []byte(s)
	}

	id, pubPEM := v[KeyPublicKeyID], v[KeyPublicKey]
	if id != "" && !pubKeyID.MatchString(id) {
		errs.Add(KeyPublicKeyID, "wechatpay.err_public_key_id")
	}
	if pubPEM != "" && id == "" {
		errs.Add(KeyPublicKeyID, "wechatpay.err_public_key_id_required")
	}
	if id != "" && pubPEM == "" {
		errs.Add(KeyPublicKey, "wechatpay.err_public_key_required")
	}
	if pubPEM != "" {
		pub, key := publicKey(pubPEM)
		switch {
		case key != "":
			errs.Add(KeyPublicKey, key)
		case cfg.MchKey != nil && pub.Equal(&cfg.MchKey.PublicKey):
			errs.Add(KeyPublicKey, "wechatpay.err_public_key_is_merchant")
		case id != "" && pubKeyID.MatchString(id):
			cfg.PlatformKeys = map[string]*rsa.PublicKey{id: pub}
			cfg.PublicKeyID = id
		}
	}

	flags := map[string]*bool{KeyPlatformCerts: &cfg.DownloadCertificates,
		KeyChannelJSAPI: &st.jsapi, KeyChannelH5: &st.h5, KeyChannelNative: &st.native, KeyPayout: &st.payout}
	for _, k := range []string{KeyPlatformCerts, KeyChannelJSAPI, KeyChannelH5, KeyChannelNative, KeyPayout} {
		b, ok := plugins.SettingBool(v[k])
		if !ok {
			errs.Add(k, "wechatpay.err_bool")
		}
		*flags[k] = b
	}
	if pubPEM == "" && id == "" && !cfg.DownloadCertificates {
		errs.Add(KeyPublicKey, "wechatpay.err_no_platform_key")
	}
	if !st.jsapi && !st.h5 && !st.native {
		errs.Add(KeyChannelJSAPI, "wechatpay.err_no_channel")
	}

	parsePayoutSettings(v, st, &errs)

	cfg.BaseURL = v[KeyBaseURL]
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if !validBaseURL(cfg.BaseURL) {
		errs.Add(KeyBaseURL, "wechatpay.err_base_url")
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")

	if err := errs.Err(); err != nil {
		return Config{}, nil, err
	}
	st.ns = plugins.WeChatNamespace(cfg.AppID)
	return cfg, st, nil
}

var sceneID = regexp.MustCompile(`^[0-9A-Za-z_]{1,36}$`)

// parsePayoutSettings reads the 商家转账 settings (defaults where empty);
// they are checked whether or not payouts are switched on.
func parsePayoutSettings(v plugins.SettingValues, st *state, errs *store.ValidationErrors) {
	st.scene = v[KeyTransferSceneID]
	if st.scene == "" {
		st.scene = DefaultTransferScene
	}
	if !sceneID.MatchString(st.scene) {
		errs.Add(KeyTransferSceneID, "wechatpay.err_transfer_scene")
	}
	st.perception = v[KeyPayoutPerception]
	if st.perception == "" {
		st.perception = defaultPerception
	}
	if utf8.RuneCountInString(st.perception) > 32 {
		errs.Add(KeyPayoutPerception, "wechatpay.err_payout_perception")
	}
	infos := v[KeyPayoutReportInfos]
	if infos == "" {
		infos = defaultReportInfos
	}
	var key string
	if st.reports, key = ParseReportInfos(infos); key != "" {
		errs.Add(KeyPayoutReportInfos, key)
	}
}

func isHex(s string) bool {
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// privateKey parses the merchant's key or answers the i18n key saying why
// it does not.
func privateKey(s string) (*rsa.PrivateKey, string) {
	k, err := ParsePrivateKey([]byte(s))
	switch {
	case errors.Is(err, ErrNoPEM):
		return nil, "wechatpay.err_pem"
	case errors.Is(err, ErrWrongPEMType):
		if blk, _ := pem.Decode([]byte(s)); blk != nil && blk.Type == "CERTIFICATE" {
			return nil, "wechatpay.err_private_key_is_cert"
		}
		return nil, "wechatpay.err_private_key_type"
	case errors.Is(err, ErrNotRSA):
		return nil, "wechatpay.err_not_rsa"
	case err != nil:
		return nil, "wechatpay.err_private_key_parse"
	case k.N.BitLen() < 2048:
		return nil, "wechatpay.err_key_weak"
	}
	return k, ""
}

// publicKey parses the 微信支付公钥 (pub_key.pem) or answers the i18n key
// saying why it does not.
func publicKey(s string) (*rsa.PublicKey, string) {
	blk, _ := pem.Decode([]byte(s))
	switch {
	case blk == nil:
		return nil, "wechatpay.err_pem"
	case blk.Type == "CERTIFICATE":
		return nil, "wechatpay.err_public_key_is_cert"
	case blk.Type != "PUBLIC KEY":
		return nil, "wechatpay.err_public_key_type"
	}
	k, _, err := ParsePublicKey([]byte(s))
	switch {
	case errors.Is(err, ErrNotRSA):
		return nil, "wechatpay.err_not_rsa"
	case err != nil:
		return nil, "wechatpay.err_public_key_parse"
	case k.N.BitLen() < 2048:
		return nil, "wechatpay.err_key_weak"
	}
	return k, ""
}

// validBaseURL accepts https URLs without path, query or credentials, and
// http ones for loopback hosts (local test gateways).
func validBaseURL(s string) bool {
	_, ok := plugins.EndpointURL(s, false)
	return ok
}

// TestConnection checks the settings in use against the gateway: with
// 平台证书 it downloads them first, then it asks about an order number that
// cannot exist. A verified answer (ORDER_NOT_EXIST, or any other) means the
// merchant id, key and serial were accepted and the platform key checks
// out. The messages are shown as they are: Chinese, then English after " / ".
func (p *Plugin) TestConnection(ctx context.Context) (string, error) {
	return p.provider.TestConnection(ctx)
}

// connError is a failed test: Error is the owner's message.
type connError struct {
	msg string
	err error
}

func (e *connError) Error() string { return e.msg }
func (e *connError) Unwrap() error { return e.err }

func fail(err error, zh, en string, args ...any) error {
	return &connError{msg: fmt.Sprintf(zh+" / "+en, args...), err: err}
}

// TestConnection is Plugin.TestConnection (see there).
func (p *Provider) TestConnection(ctx context.Context) (string, error) {
	st := p.st.Load()
	if st == nil {
		return "", fail(plugins.ErrProviderUnavailable, "微信支付尚未配置", "WeChat Pay is not configured")
	}
	c := st.client
	zhNote, enNote := "", ""
	if c.certs != nil {
		if err := c.certs.refresh(ctx, c, true); err != nil {
			return "", certFailure(err)
		}
		n := len(c.certs.list())
		if n == 0 && len(c.cfg.PlatformKeys) == 0 {
			return "", fail(nil, "微信支付没有返回可用的平台证书（该商户号可能只使用微信支付公钥，请填写微信支付公钥及其ID）",
				"WeChat Pay returned no usable platform certificate (the merchant may use the WeChat Pay public key only: enter it and its ID)")
		}
		zhNote, enNote = fmt.Sprintf("已下载 %d 张平台证书；", n), fmt.Sprintf("%d platform certificate(s) downloaded; ", n)
	}
	serial, err := c.probe(ctx)
	var ae *APIError
	if errors.As(err, &ae) && !ae.Verified && ae.Code == "ORDER_NOT_EXIST" {
		// Not expected (the gateway signs its answers to accepted
		// requests), but it proves the merchant's signature was accepted.
		return fmt.Sprintf("连接部分成功：%s商户号 %s 的请求签名已被接受，但应答未带签名，微信支付公钥/平台证书未能核对 / "+
			"Partly connected: %smerchant %s's request signature was accepted, but the answer was not signed, so the WeChat Pay key could not be checked",
			zhNote, c.cfg.MchID, enNote, c.cfg.MchID), nil
	}
	if err != nil {
		return "", probeFailure(err, c.cfg.BaseURL)
	}
	zhKey, enKey := "平台证书 "+serial, "platform certificate "+serial
	if strings.HasPrefix(serial, "PUB_KEY_ID_") {
		zhKey, enKey = "微信支付公钥 "+serial, "WeChat Pay public key "+serial
	}
	return fmt.Sprintf("连接成功：%s商户号 %s 的请求签名已被接受，应答已用%s验签（AppID 在首次下单时核对） / "+
		"Connected: %smerchant %s's request signature was accepted and the answer verified with the %s (the AppID is checked at the first payment)",
		zhNote, c.cfg.MchID, zhKey, enNote, c.cfg.MchID, enKey), nil
}

// probe queries an order number that cannot exist and answers the serial
// of the key that signed the (verified) answer.
func (c *Client) probe(ctx context.Context) (string, error) {
	no := "XDTEST" + strings.ToLower(Nonce()[:20])
	a, err := c.send(ctx, "GET", "/v3/pay/transactions/out-trade-no/"+no+"?mchid="+url.QueryEscape(c.cfg.MchID), nil)
	if err != nil {
		return "", err
	}
	err = c.check(ctx, a, c.verify)
	var ae *APIError
	if err == nil || errors.As(err, &ae) && ae.Verified {
		return NormalizeSerial(a.header.Get(HeaderSerial)), nil
	}
	return "", err
}

func certFailure(err error) error {
	var ae *APIError
	switch {
	case errors.Is(err, ErrCertDecrypt):
		return fail(err, "平台证书解密失败：APIv3密钥不正确", "The platform certificates do not decrypt: the APIv3 key is wrong")
	case errors.As(err, &ae) && (ae.Status == 401 || ae.Code == "SIGN_ERROR"):
		return signRefused(err, ae)
	case errors.As(err, &ae):
		return fail(err, "下载平台证书失败：微信支付返回 %d %s：%s", "Downloading the platform certificates failed: WeChat Pay answered %d %s: %s",
			ae.Status, ae.Code, ae.Message, ae.Status, ae.Code, ae.Message)
	case errors.Is(err, ErrUnknownSerial) && strings.Contains(err.Error(), "PUB_KEY_ID_"):
		return fail(err, "平台证书列表由未配置的密钥签名（%v）：该商户号可能已改用微信支付公钥，请填写微信支付公钥及其ID",
			"The platform certificate list is signed with a key that is not configured (%v): the merchant may have moved to the WeChat Pay public key; enter it and its ID",
			err, err)
	case errors.Is(err, ErrBadSignature):
		return fail(err, "平台证书应答验签失败", "The platform certificates answer's signature does not verify")
	}
	return fail(err, "下载平台证书失败：%v", "Downloading the platform certificates failed: %v", err, err)
}

func signRefused(err error, ae *APIError) error {
	return fail(err, "微信支付拒绝了请求签名（%s）：请核对商户号、商户API证书序列号与商户API私钥 apiclient_key.pem 是否属于同一张商户API证书",
		"WeChat Pay refused our request signature (%s): check that the merchant ID, the merchant API certificate serial number and the private key apiclient_key.pem belong to the same certificate",
		ae.Message, ae.Message)
}

func probeFailure(err error, base string) error {
	var ae *APIError
	switch {
	case errors.As(err, &ae) && (ae.Status == 401 || ae.Code == "SIGN_ERROR"):
		return signRefused(err, ae)
	case errors.As(err, &ae):
		return fail(err, "微信支付返回 %d %s：%s", "WeChat Pay answered %d %s: %s",
			ae.Status, ae.Code, ae.Message, ae.Status, ae.Code, ae.Message)
	case errors.Is(err, ErrUnknownSerial):
		return fail(err, "应答由未配置的密钥签名：%v。若为 PUB_KEY_ID_ 开头，请填写该微信支付公钥及其ID；否则请勾选自动下载平台证书",
			"The answer is signed with a key that is not configured: %v. If it starts with PUB_KEY_ID_, enter that WeChat Pay public key and its ID; otherwise switch on the platform certificate download",
			err, err)
	case errors.Is(err, errStale):
		return fail(err, "应答时间与本机时钟相差超过5分钟，请校准服务器时间", "The answer's time is more than 5 minutes off this server's clock: fix the server's time")
	case errors.Is(err, ErrBadSignature):
		return fail(err, "应答验签失败：微信支付公钥（或平台证书）与其ID不符，请重新下载 pub_key.pem 并核对公钥ID",
			"The answer's signature does not verify: the WeChat Pay public key (or platform certificate) does not match its ID; download pub_key.pem again and check the ID")
	}
	return fail(err, "无法连接微信支付（%s）：%v", "Cannot reach WeChat Pay (%s): %v", base, err, base, err)
}
