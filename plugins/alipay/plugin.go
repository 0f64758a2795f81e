package alipay

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"

	"github.com/xiaodian/xiaodian/plugins"
)

// Plugin is the 支付宝 plugin: it registers the payment provider and keeps
// its settings.
type Plugin struct {
	provider *Provider
}

var (
	_ plugins.Plugin           = (*Plugin)(nil)
	_ plugins.Describer        = (*Plugin)(nil)
	_ plugins.Configurable     = (*Plugin)(nil)
	_ plugins.ConnectionTester = (*Plugin)(nil)
)

// New returns the plugin, not configured until Configure is given its
// settings.
func New() *Plugin { return &Plugin{provider: &Provider{}} }

// Provider returns the plugin's payment provider.
func (p *Plugin) Provider() *Provider { return p.provider }

// ID is "alipay".
func (*Plugin) ID() string { return ID }

// Name is shown in the back office.
func (*Plugin) Name() string { return "支付宝" }

// Description is the back office's one line about the plugin.
func (*Plugin) Description() string {
	return "支付宝开放平台收款：手机浏览器用手机网站支付，电脑用电脑网站支付（RSA2，公钥或公钥证书模式）；微信内不提供。"
}

// Register adds the payment provider.
func (p *Plugin) Register(r *plugins.Registry) error {
	return r.AddPaymentProvider(ID, p.provider)
}

// Configure checks values and swaps them in at once; on error nothing
// changes. Values without any credential leave the plugin unconfigured.
func (p *Plugin) Configure(_ context.Context, values plugins.SettingValues) error {
	s, err := parseSettings(values)
	if err != nil {
		return err
	}
	if s == nil {
		p.provider.use(nil, false, false, payoutOpts{})
		p.provider.log("alipay not configured")
		return nil
	}
	p.provider.use(&s.cfg, s.wap, s.page, s.payouts)
	mode := ModePublicKey
	if s.cfg.CertMode() {
		mode = ModeCert
	}
	p.provider.log("alipay settings in use", "app_id", s.cfg.AppID, "key_mode", mode, "gateway", s.cfg.Gateway,
		"wap", s.wap, "page", s.page, "seller_id", s.cfg.SellerID != "", "payout", s.payouts.on)
	return nil
}

// log writes an info line (never a secret) when the shop gave a logger.
func (p *Provider) log(msg string, args ...any) {
	if l := p.logger.Load(); l != nil {
		l.Info(msg, args...)
	}
}

// TestConnection asks alipay.trade.query about a number no trade has: a
// signed ACQ.TRADE_NOT_EXIST answer proves that Alipay accepted our
// signature and that its own checks out with the key in use.
func (p *Plugin) TestConnection(ctx context.Context) (string, error) {
	return p.provider.TestConnection(ctx)
}

// TestConnection is the provider's half of Plugin.TestConnection. Messages
// are Chinese, then " / " and English: the core shows them as they are.
func (p *Provider) TestConnection(ctx context.Context) (string, error) {
	st := p.state.Load()
	if st == nil {
		return "", errors.New("未配置：请先填写 APPID、应用私钥和支付宝公钥（或三个证书）并保存 / Not configured: enter the APPID, the app private key and the Alipay public key (or the three certificates) and save")
	}
	cfg := st.client.cfg
	mode := place{"公钥模式", "public key mode"}
	if cfg.CertMode() {
		mode = place{"公钥证书模式", "certificate mode"}
	}
	where := gatewayName(cfg.Gateway)
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	_, err := st.client.Query(ctx, "xiaodian_connection_test_"+hex.EncodeToString(b))
	if err == nil || IsTradeNotExist(err) {
		return fmt.Sprintf("连接成功：%s接受了应用签名，应答的支付宝签名验证通过（APPID %s，%s） / Connected: %s accepted our signature and its answer's signature verifies (APPID %s, %s)",
			where.zh, cfg.AppID, mode.zh, where.en, cfg.AppID, mode.en), nil
	}
	return "", connectionError(err, where, cfg)
}

// place is a text in Chinese and English.
type place struct{ zh, en string }

// gatewayName names the gateway for messages.
func gatewayName(gw string) place {
	switch gw {
	case DefaultGateway:
		return place{"支付宝正式环境", "Alipay (production)"}
	case SandboxGateway:
		return place{"支付宝沙箱环境", "the Alipay sandbox"}
	}
	host := gw
	if u, err := url.Parse(gw); err == nil {
		host = u.Host
	}
	return place{"网关 " + host, "the gateway " + host}
}

// connectionError turns a failed test query into what the owner should do.
func connectionError(err error, where place, cfg Config) error {
	var e *Error
	switch {
	case errors.Is(err, ErrAnswerSignature):
		if cfg.CertMode() {
			return fmt.Errorf("支付宝应答验签失败：支付宝公钥证书（alipayCertPublicKey_RSA2.crt）与此应用不符，请重新下载 / Alipay's answer does not verify: the Alipay public key certificate does not belong to this app, download it again")
		}
		return fmt.Errorf("支付宝应答验签失败：「支付宝公钥」填写有误（请在开放平台「接口加签方式」中复制支付宝公钥，不是应用公钥；正式与沙箱的支付宝公钥也不同） / Alipay's answer does not verify: the Alipay public key is wrong (copy the Alipay public key, not the app public key, from 接口加签方式; production and sandbox keys differ)")
	case errors.Is(err, ErrAlipayCertSN):
		return fmt.Errorf("支付宝已签发新的支付宝公钥证书：请在开放平台下载新的 alipayCertPublicKey_RSA2.crt（和根证书）后重新保存 / Alipay issued a new Alipay public key certificate: download the new alipayCertPublicKey_RSA2.crt (and root certificate) and save again (%v)", err)
	case errors.As(err, &e) && e.Unsigned:
		switch e.SubCode {
		case "isv.invalid-signature":
			return fmt.Errorf("%s拒绝了应用签名：应用私钥与开放平台上传的应用公钥不是一对，或 APPID 填错了应用（%s） / %s refused our signature: the app private key does not match the app public key uploaded to the open platform, or the APPID names another app (%s)", where.zh, e.SubMsg, where.en, e.SubMsg)
		case "isv.invalid-app-id":
			return fmt.Errorf("%s不认识此 APPID：请核对 APPID，并确认正式/沙箱网关与之对应 / %s does not know this APPID: check it, and that the gateway (production or sandbox) is the one it belongs to", where.zh, where.en)
		case "isv.invalid-app-cert-sn", "isv.app-cert-sn-mismatch":
			return fmt.Errorf("%s不认可应用公钥证书：请上传开放平台当前的 appCertPublicKey 证书 / %s refused the app public key certificate: use the current appCertPublicKey certificate", where.zh, where.en)
		case "isv.invalid-alipay-root-cert-sn":
			return fmt.Errorf("%s不认可支付宝根证书：请重新下载 alipayRootCert.crt / %s refused the Alipay root certificate: download alipayRootCert.crt again", where.zh, where.en)
		case "isv.missing-signature-config", "isv.invalid-signature-type":
			return fmt.Errorf("%s：应用的接口加签方式与所选模式不符（%s） / %s: the app's signing method does not match the chosen key mode (%s)", where.zh, e.SubCode, where.en, e.SubCode)
		}
		return fmt.Errorf("%s拒绝了请求（%s %s，%s %s） / %s refused the request (%s %s, %s %s)", where.zh, e.Code, e.Msg, e.SubCode, e.SubMsg, where.en, e.Code, e.Msg, e.SubCode, e.SubMsg)
	case errors.As(err, &e):
		if e.SubCode == "isv.insufficient-isv-permissions" || e.Code == "40006" {
			return fmt.Errorf("签名正确，但应用没有调用交易接口的权限：请签约「手机网站支付」或「电脑网站支付」并上线应用（%s） / Signatures are right, but the app may not call the trade APIs: sign 手机网站支付 or 电脑网站支付 and put the app online (%s)", e.SubCode, e.SubCode)
		}
		return fmt.Errorf("签名正确，但%s答复错误（%s %s，%s %s） / Signatures are right, but %s answered an error (%s %s, %s %s)", where.zh, e.Code, e.Msg, e.SubCode, e.SubMsg, where.en, e.Code, e.Msg, e.SubCode, e.SubMsg)
	}
	return fmt.Errorf("无法完成对%s的请求：%v / The request to %s failed: %v", where.zh, err, where.en, err)
}
