package alipay

import (
	"errors"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/store"
)

// Setting keys: the contract with config files (plugins.alipay.<key>), the
// environment (XIAODIAN_PLUGINS_ALIPAY_<KEY>) and docs/setup/alipay.md.
const (
	KeyAppID           = "app_id"
	KeyAppPrivateKey   = "app_private_key"
	KeyKeyMode         = "key_mode"
	KeyAlipayPublicKey = "alipay_public_key"
	KeyAppCert         = "app_cert"
	KeyAlipayCert      = "alipay_cert"
	KeyAlipayRootCert  = "alipay_root_cert"
	KeySellerID        = "seller_id"
	KeyChannelWap      = "channel_wap"
	KeyChannelPage     = "channel_page"
	KeyGateway         = "gateway"

	// Payouts (单笔转账到支付宝账户, distributor withdrawals).
	KeyPayout      = "payout"
	KeyPayoutTitle = "payout_title"
)

// defaultPayoutTitle is the transfer's order_title while none is set.
const defaultPayoutTitle = "佣金提现"

// Key modes (接口加签方式).
const (
	ModePublicKey = "public_key" // 公钥
	ModeCert      = "cert"       // 公钥证书
)

// minKeyBits is the smallest RSA key RSA2 takes.
const minKeyBits = 2048

var (
	appIDPattern    = regexp.MustCompile(`^[0-9]{8,32}$`)
	sellerIDPattern = regexp.MustCompile(`^2088[0-9]{12}$`)
)

// credentialKeys are the settings whose values make the plugin configured;
// the others have defaults.
var credentialKeys = []string{KeyAppID, KeyAppPrivateKey, KeyAlipayPublicKey, KeyAppCert, KeyAlipayCert, KeyAlipayRootCert, KeySellerID}

// SettingsSchema lists the settings in the order the form shows them.
func (*Plugin) SettingsSchema() []plugins.SettingField { return schema() }

func schema() []plugins.SettingField {
	return []plugins.SettingField{
		{Key: KeyAppID, Kind: plugins.FieldText, Label: "alipay.app_id", Help: "alipay.app_id_help", Group: "alipay.group_app"},
		{Key: KeyAppPrivateKey, Kind: plugins.FieldSecretText, Label: "alipay.app_private_key", Help: "alipay.app_private_key_help"},
		{Key: KeyKeyMode, Kind: plugins.FieldSelect, Label: "alipay.key_mode", Help: "alipay.key_mode_help", Default: ModePublicKey,
			Options: []plugins.SettingOption{
				{Value: ModePublicKey, Label: "alipay.key_mode_public_key"},
				{Value: ModeCert, Label: "alipay.key_mode_cert"},
			}},
		{Key: KeyAlipayPublicKey, Kind: plugins.FieldTextarea, Label: "alipay.alipay_public_key", Help: "alipay.alipay_public_key_help"},
		{Key: KeyAppCert, Kind: plugins.FieldTextarea, Label: "alipay.app_cert", Help: "alipay.app_cert_help", Group: "alipay.group_cert"},
		{Key: KeyAlipayCert, Kind: plugins.FieldTextarea, Label: "alipay.alipay_cert", Help: "alipay.alipay_cert_help"},
		{Key: KeyAlipayRootCert, Kind: plugins.FieldTextarea, Label: "alipay.alipay_root_cert", Help: "alipay.alipay_root_cert_help"},
		{Key: KeySellerID, Kind: plugins.FieldText, Label: "alipay.seller_id", Help: "alipay.seller_id_help", Group: "alipay.group_more"},
		{Key: KeyChannelWap, Kind: plugins.FieldBool, Label: "alipay.channel_wap", Help: "alipay.channel_wap_help", Default: "1"},
		{Key: KeyChannelPage, Kind: plugins.FieldBool, Label: "alipay.channel_page", Help: "alipay.channel_page_help", Default: "1"},
		{Key: KeyGateway, Kind: plugins.FieldText, Label: "alipay.gateway", Help: "alipay.gateway_help", Default: DefaultGateway},
		{Key: KeyPayout, Kind: plugins.FieldBool, Label: "alipay.payout", Help: "alipay.payout_help", Group: "alipay.group_payout"},
		{Key: KeyPayoutTitle, Kind: plugins.FieldText, Label: "alipay.payout_title", Help: "alipay.payout_title_help", Default: defaultPayoutTitle},
	}
}

// settings is a checked configuration.
type settings struct {
	cfg       Config
	wap, page bool
	payouts   payoutOpts
}

// parseSettings checks values. It returns nil settings and no error when
// no credential is set (not configured), and store.ValidationErrors naming
// each field at fault otherwise.
func parseSettings(values plugins.SettingValues) (*settings, error) {
	get := func(k string) string { return strings.TrimSpace(values.Get(k)) }
	empty := true
	for _, k := range credentialKeys {
		if get(k) != "" {
			empty = false
		}
	}
	if empty {
		return nil, nil
	}
	var errs store.ValidationErrors
	s := &settings{}
	cfg := &s.cfg

	switch id := get(KeyAppID); {
	case id == "":
		errs.Add(KeyAppID, "alipay.err_app_id_required")
	case !appIDPattern.MatchString(id):
		errs.Add(KeyAppID, "alipay.err_app_id_digits")
	default:
		cfg.AppID = id
	}

	if pk := get(KeyAppPrivateKey); pk == "" {
		errs.Add(KeyAppPrivateKey, "alipay.err_private_key_required")
	} else if k, err := ParsePrivateKey([]byte(pk)); err != nil {
		if _, perr := ParsePublicKey([]byte(pk)); perr == nil {
			errs.Add(KeyAppPrivateKey, "alipay.err_private_key_is_public")
		} else {
			errs.Add(KeyAppPrivateKey, "alipay.err_private_key_parse")
		}
	} else if k.N.BitLen() < minKeyBits {
		errs.Add(KeyAppPrivateKey, "alipay.err_private_key_size")
	} else {
		cfg.PrivateKey = k
	}

	mode := get(KeyKeyMode)
	if mode == "" {
		mode = ModePublicKey
	}
	switch mode {
	case ModePublicKey:
		checkPublicKey(get(KeyAlipayPublicKey), cfg, &errs)
	case ModeCert:
		checkCerts(get(KeyAppCert), get(KeyAlipayCert), get(KeyAlipayRootCert), cfg, &errs)
	default:
		errs.Add(KeyKeyMode, "alipay.err_key_mode")
	}

	if id := get(KeySellerID); id != "" {
		if !sellerIDPattern.MatchString(id) {
			errs.Add(KeySellerID, "alipay.err_seller_id")
		}
		cfg.SellerID = id
	}

	var ok bool
	if s.wap, ok = plugins.SettingBool(values.Get(KeyChannelWap)); !ok {
		errs.Add(KeyChannelWap, "alipay.err_bool")
	}
	if s.page, ok = plugins.SettingBool(values.Get(KeyChannelPage)); !ok {
		errs.Add(KeyChannelPage, "alipay.err_bool")
	}
	if !s.wap && !s.page {
		errs.Add(KeyChannelPage, "alipay.err_channels_none")
	}

	if s.payouts.on, ok = plugins.SettingBool(values.Get(KeyPayout)); !ok {
		errs.Add(KeyPayout, "alipay.err_bool")
	} else if s.payouts.on && mode != ModeCert {
		// Alipay's fund APIs take 公钥证书 mode only.
		errs.Add(KeyPayout, "alipay.err_payout_needs_cert")
	}
	s.payouts.title = get(KeyPayoutTitle)
	if s.payouts.title == "" {
		s.payouts.title = defaultPayoutTitle
	}
	if utf8.RuneCountInString(s.payouts.title) > 64 {
		errs.Add(KeyPayoutTitle, "alipay.err_payout_title")
	}

	gw := get(KeyGateway)
	if gw == "" {
		gw = DefaultGateway
	}
	if !validGateway(gw) {
		errs.Add(KeyGateway, "alipay.err_gateway")
	}
	cfg.Gateway = gw

	if err := errs.Err(); err != nil {
		return nil, err
	}
	return s, nil
}

// checkPublicKey reads the 支付宝公钥 of public key mode.
func checkPublicKey(text string, cfg *Config, errs *store.ValidationErrors) {
	if text == "" {
		errs.Add(KeyAlipayPublicKey, "alipay.err_alipay_public_key_required")
		return
	}
	pub, err := ParsePublicKey([]byte(text))
	switch {
	case err != nil:
		if _, perr := ParsePrivateKey([]byte(text)); perr == nil {
			errs.Add(KeyAlipayPublicKey, "alipay.err_alipay_public_key_is_private")
		} else if _, cerr := ParseCert([]byte(text)); cerr == nil {
			errs.Add(KeyAlipayPublicKey, "alipay.err_alipay_public_key_is_cert")
		} else {
			errs.Add(KeyAlipayPublicKey, "alipay.err_alipay_public_key_parse")
		}
	case pub.N.BitLen() < minKeyBits:
		errs.Add(KeyAlipayPublicKey, "alipay.err_alipay_public_key_size")
	case cfg.PrivateKey != nil && pub.Equal(&cfg.PrivateKey.PublicKey):
		// The 应用公钥 pasted where the 支付宝公钥 goes: the commonest mistake.
		errs.Add(KeyAlipayPublicKey, "alipay.err_alipay_public_key_is_app")
	default:
		cfg.AlipayPublicKey = pub
	}
}

// checkCerts reads the three certificates of 公钥证书 mode.
func checkCerts(appText, alipayText, rootText string, cfg *Config, errs *store.ValidationErrors) {
	var app *Cert
	if appText == "" {
		errs.Add(KeyAppCert, "alipay.err_app_cert_required")
	} else if c, err := ParseCert([]byte(appText)); err != nil {
		errs.Add(KeyAppCert, "alipay.err_app_cert_parse")
	} else if cfg.PrivateKey != nil && !c.PublicKey.Equal(&cfg.PrivateKey.PublicKey) {
		errs.Add(KeyAppCert, "alipay.err_app_cert_mismatch")
	} else {
		app = c
		cfg.AppCertSN = c.SN
	}

	if alipayText == "" {
		errs.Add(KeyAlipayCert, "alipay.err_alipay_cert_required")
	} else if c, err := ParseCert([]byte(alipayText)); err != nil {
		errs.Add(KeyAlipayCert, "alipay.err_alipay_cert_parse")
	} else if c.PublicKey.N.BitLen() < minKeyBits {
		errs.Add(KeyAlipayCert, "alipay.err_alipay_cert_parse")
	} else if (app != nil && c.SN == app.SN) || (cfg.PrivateKey != nil && c.PublicKey.Equal(&cfg.PrivateKey.PublicKey)) {
		errs.Add(KeyAlipayCert, "alipay.err_alipay_cert_is_app")
	} else {
		cfg.AlipayPublicKey = c.PublicKey
		cfg.AlipayCertSN = c.SN
	}

	if rootText == "" {
		errs.Add(KeyAlipayRootCert, "alipay.err_root_cert_required")
	} else if sn, err := RootCertSN([]byte(rootText)); errors.Is(err, errNoRSARoot) {
		errs.Add(KeyAlipayRootCert, "alipay.err_root_cert_no_rsa")
	} else if err != nil {
		errs.Add(KeyAlipayRootCert, "alipay.err_root_cert_parse")
	} else {
		cfg.AlipayRootCertSN = sn
	}
}

// validGateway accepts an absolute https URL (with its path) without query
// or fragment, or http to a loopback host (a local test gateway).
func validGateway(s string) bool {
	_, ok := plugins.EndpointURL(s, true)
	return ok
}
