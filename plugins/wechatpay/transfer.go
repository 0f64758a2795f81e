package wechatpay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/store"
)

// 商家转账 (the version with the payee's confirmation, 2025):
// POST /v3/fund-app/mch-transfer/transfer-bills (发起转账,
// https://pay.weixin.qq.com/doc/v3/merchant/4012716434) and
// GET /v3/fund-app/mch-transfer/transfer-bills/out-bill-no/{out_bill_no}
// (商户单号查询转账单). Both are signed and verified like every other call.

// Transfer bill states.
const (
	BillAccepted        = "ACCEPTED"          // 转账已受理
	BillProcessing      = "PROCESSING"        // 锁定资金中 (may wait for the merchant's balance)
	BillWaitUserConfirm = "WAIT_USER_CONFIRM" // 待收款用户确认
	BillTransfering     = "TRANSFERING"       // 转账中: the payee may open the confirmation again
	BillSuccess         = "SUCCESS"
	BillFail            = "FAIL"
	BillCanceling       = "CANCELING"
	BillCancelled       = "CANCELLED"
)

// DefaultTransferScene is 现金营销, the scene every merchant is given first.
const DefaultTransferScene = "1000"

// Transfer is a 发起转账 request.
type Transfer struct {
	OutBillNo  string
	SceneID    string // transfer_scene_id
	OpenID     string // the payee under the AppID
	Amount     int64  // fen
	Remark     string // transfer_remark, at most 32 characters
	NotifyURL  string // "" for none
	Perception string // user_recv_perception, "" for the scene's default
	// ReportInfos are transfer_scene_report_infos: the scene's required
	// info_type / info_content pairs (现金营销: 活动名称, 奖励说明).
	ReportInfos []ReportInfo
}

// ReportInfo is one transfer_scene_report_infos entry.
type ReportInfo struct {
	Type    string `json:"info_type"`
	Content string `json:"info_content"`
}

// TransferBill is the gateway's answer about a transfer (发起转账 and the
// query share the fields they have).
type TransferBill struct {
	MchID          string `json:"mch_id,omitempty"`
	OutBillNo      string `json:"out_bill_no"`
	TransferBillNo string `json:"transfer_bill_no"`
	AppID          string `json:"appid,omitempty"`
	State          string `json:"state"`
	Amount         int64  `json:"transfer_amount,omitempty"`
	OpenID         string `json:"openid,omitempty"`
	FailReason     string `json:"fail_reason,omitempty"`
	PackageInfo    string `json:"package_info,omitempty"`
	CreateTime     string `json:"create_time,omitempty"`
	UpdateTime     string `json:"update_time,omitempty"`

	raw []byte // the verified answer
}

// billNo is WeChat's out_bill_no: letters and digits only, at most 32.
var billNo = regexp.MustCompile(`^[0-9A-Za-z]{1,32}$`)

// ValidBillNo reports whether s may be an out_bill_no.
func ValidBillNo(s string) bool { return billNo.MatchString(s) }

// checkTransfer says what is wrong with t in Chinese, "" when nothing.
func checkTransfer(t Transfer) string {
	switch {
	case !ValidBillNo(t.OutBillNo):
		return "商户单号须为 1–32 位字母或数字"
	case t.Amount <= 0:
		return "转账金额须大于 0"
	case t.Amount >= 2000*100:
		// The payee's name is then required, encrypted with the platform
		// key: not supported here.
		return "单笔 2000 元及以上须校验收款人姓名，暂不支持，请拆分或人工打款"
	case t.OpenID == "" || len(t.OpenID) > 64:
		return "缺少收款用户的 OpenID"
	case t.SceneID == "" || len(t.SceneID) > 36:
		return "缺少转账场景ID"
	case t.Remark == "":
		return "缺少转账备注"
	case len(t.ReportInfos) == 0:
		return "缺少转账场景报备信息"
	}
	return ""
}

// Transfer sends 发起转账; the same OutBillNo sent again is the same bill,
// answered with its state (and package_info while it waits for the payee).
func (c *Client) Transfer(ctx context.Context, t Transfer) (*TransferBill, error) {
	if why := checkTransfer(t); why != "" {
		return nil, errors.New("wechatpay: transfer: " + why)
	}
	in := struct {
		AppID       string       `json:"appid"`
		OutBillNo   string       `json:"out_bill_no"`
		SceneID     string       `json:"transfer_scene_id"`
		OpenID      string       `json:"openid"`
		Amount      int64        `json:"transfer_amount"`
		Remark      string       `json:"transfer_remark"`
		NotifyURL   string       `json:"notify_url,omitempty"`
		Perception  string       `json:"user_recv_perception,omitempty"`
		ReportInfos []ReportInfo `json:"transfer_scene_report_infos"`
	}{c.cfg.AppID, t.OutBillNo, t.SceneID, t.OpenID, t.Amount, truncateRunes(t.Remark, 32), t.NotifyURL,
		t.Perception, t.ReportInfos}
	var raw json.RawMessage
	if err := c.do(ctx, http.MethodPost, "/v3/fund-app/mch-transfer/transfer-bills", in, &raw); err != nil {
		return nil, err
	}
	b, err := parseBill(raw, t.OutBillNo)
	if err != nil {
		return nil, fmt.Errorf("wechatpay: transfer: %w", err)
	}
	return b, nil
}

// QueryTransfer asks about our bill number; the gateway answers 404
// NOT_FOUND for a number it does not know.
func (c *Client) QueryTransfer(ctx context.Context, outBillNo string) (*TransferBill, error) {
	if !ValidBillNo(outBillNo) {
		return nil, errors.New("wechatpay: transfer query: bad out_bill_no")
	}
	var raw json.RawMessage
	p := "/v3/fund-app/mch-transfer/transfer-bills/out-bill-no/" + url.PathEscape(outBillNo)
	if err := c.do(ctx, http.MethodGet, p, nil, &raw); err != nil {
		return nil, err
	}
	b, err := parseBill(raw, outBillNo)
	if err != nil {
		return nil, fmt.Errorf("wechatpay: transfer query: %w", err)
	}
	if b.MchID != "" && b.MchID != c.cfg.MchID {
		return nil, errors.New("wechatpay: transfer query: the bill is another merchant's")
	}
	return b, nil
}

// parseBill reads a verified answer about the bill numbered outBillNo.
func parseBill(raw []byte, outBillNo string) (*TransferBill, error) {
	var b TransferBill
	if err := json.Unmarshal(raw, &b); err != nil {
		return nil, fmt.Errorf("malformed answer: %w", err)
	}
	if b.OutBillNo != outBillNo {
		return nil, errors.New("the answer is about another bill")
	}
	if b.TransferBillNo == "" || len(b.TransferBillNo) > 64 || b.State == "" {
		return nil, errors.New("the answer has no bill number or state")
	}
	if b.Amount < 0 || b.Amount > int64(store.MaxPrice) || len(b.PackageInfo) > 4096 || len(b.FailReason) > 128 {
		return nil, errors.New("malformed answer")
	}
	b.raw = raw
	return &b, nil
}

// payoutResult maps a bill to the payout states; an unknown state is an
// error (the outcome stays unknown).
func payoutResult(b *TransferBill) (*plugins.PayoutResult, error) {
	res := &plugins.PayoutResult{ProviderRef: b.TransferBillNo, Amount: store.Fen(b.Amount), Raw: string(b.raw)}
	switch b.State {
	case BillSuccess:
		res.State = plugins.PayoutSucceeded
	case BillAccepted, BillProcessing, BillCanceling:
		res.State = plugins.PayoutPending
	case BillWaitUserConfirm, BillTransfering:
		res.State, res.PackageInfo = plugins.PayoutAwaitingConfirmation, b.PackageInfo
	case BillFail:
		res.State, res.Reason = plugins.PayoutFailed, FailReasonText(b.FailReason)
	case BillCancelled:
		res.State, res.Reason = plugins.PayoutFailed, "转账已撤销"
	default:
		return nil, fmt.Errorf("wechatpay: transfer %s: unknown state %q", b.OutBillNo, b.State)
	}
	return res, nil
}

// failReasons are the documented fail_reason codes of a failed bill.
var failReasons = map[string]string{
	"ACCOUNT_FROZEN":                         "收款用户账户被冻结",
	"REAL_NAME_CHECK_FAIL":                   "收款用户未实名认证",
	"NAME_NOT_CORRECT":                       "收款用户姓名校验失败",
	"OPENID_INVALID":                         "OpenID 校验失败",
	"TRANSFER_QUOTA_EXCEED":                  "超过用户单笔收款额度",
	"DAY_RECEIVED_QUOTA_EXCEED":              "超过用户单日收款额度",
	"MONTH_RECEIVED_QUOTA_EXCEED":            "超过用户单月收款额度",
	"DAY_RECEIVED_COUNT_EXCEED":              "超过用户单日收款次数",
	"PRODUCT_AUTH_CHECK_FAIL":                "商户未开通商家转账或权限校验失败",
	"OVERDUE_CLOSE":                          "用户逾期未确认收款，转账已关闭",
	"ID_CARD_NOT_CORRECT":                    "收款用户身份证校验失败",
	"ACCOUNT_NOT_EXIST":                      "收款用户账户不存在",
	"TRANSFER_RISK":                          "转账存在风险，已被拦截",
	"REALNAME_ACCOUNT_RECEIVED_QUOTA_EXCEED": "收款用户实名账户收款额度已满",
	"RECEIVE_ACCOUNT_NOT_PERMMIT":            "收款用户未开启收款权限",
	"PAYEE_ACCOUNT_ABNORMAL":                 "收款用户账户异常",
	"PAYER_ACCOUNT_ABNORMAL":                 "商户账户异常",
	"TRANSFER_SCENE_UNAVAILABLE":             "转账场景暂不可用",
	"TRANSFER_SCENE_INVALID":                 "转账场景无效",
	"TRANSFER_REMARK_SET_FAIL":               "转账备注设置失败",
	"RECEIVE_ACCOUNT_NOT_CONFIGURE":          "收款用户未配置收款账户",
	"BLOCK_B2C_USERLIMITAMOUNT_BSRULE_MONTH": "超过用户当月收款限额",
	"BLOCK_B2C_USERLIMITAMOUNT_MONTH":        "超过用户当月收款限额",
	"MERCHANT_REJECT":                        "商户拒绝了转账",
	"MERCHANT_NOT_CONFIRM":                   "商户未确认转账",
}

// FailReasonText is a fail_reason in Chinese (the code itself, for one not
// documented).
func FailReasonText(code string) string {
	if s, ok := failReasons[code]; ok {
		return s + "（" + code + "）"
	}
	if code == "" {
		return "转账失败"
	}
	return "转账失败（" + code + "）"
}

// refusedTransfer reports a 发起转账 error that is WeChat's definite no:
// a signed 4xx PARAM_ERROR, INVALID_REQUEST or NO_AUTH, or 401 (it refused
// our signature and did nothing). Everything else leaves the outcome
// unknown: SYSTEM_ERROR, FREQUENCY_LIMITED, 5xx, the network, NOT_ENOUGH
// (the documentation says to recharge and retry under the same number: the
// bill may exist, locking funds) and any code it does not document ("如果
// 发起转账接口遇到新的错误码，请务必不要换单重试").
func refusedTransfer(err error) bool {
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status < 400 || ae.Status > 499 {
		return false
	}
	if ae.Status == http.StatusUnauthorized {
		return true
	}
	switch ae.Code {
	case "PARAM_ERROR", "INVALID_REQUEST", "NO_AUTH":
		return ae.Verified
	}
	return false
}

// truncateRunes cuts s to at most n characters.
func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

// ParseReportInfos reads the payout_report_infos setting: one
// "信息类型=信息内容" (or "：" / ":") pair a line, blank lines skipped. It
// answers the i18n key of the fault, "" when good.
func ParseReportInfos(s string) ([]ReportInfo, string) {
	var out []ReportInfo
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		i := strings.IndexAny(line, "=:：")
		if i <= 0 {
			return nil, "wechatpay.err_report_infos"
		}
		_, w := firstRune(line[i:])
		typ, content := strings.TrimSpace(line[:i]), strings.TrimSpace(line[i+w:])
		if typ == "" || content == "" || len([]rune(typ)) > 32 || len([]rune(content)) > 64 {
			return nil, "wechatpay.err_report_infos"
		}
		out = append(out, ReportInfo{Type: typ, Content: content})
	}
	if len(out) == 0 || len(out) > 10 {
		return nil, "wechatpay.err_report_infos"
	}
	return out, ""
}

func firstRune(s string) (rune, int) {
	for _, r := range s {
		return r, len(string(r))
	}
	return 0, 0
}

// PayoutMethod is plugins.PayoutMethodWeChat: to the payee's 零钱.
func (*Provider) PayoutMethod() string { return plugins.PayoutMethodWeChat }

// PayoutReady is nil when the provider is configured and the owner switched
// 用于分销提现打款 on.
func (p *Provider) PayoutReady() error {
	_, err := p.payoutState()
	return err
}

// payoutState is the configuration in use when it may pay out.
func (p *Provider) payoutState() (*state, error) {
	st := p.st.Load()
	switch {
	case st == nil:
		return nil, fmt.Errorf("微信支付尚未配置: %w", plugins.ErrProviderUnavailable)
	case !st.payout:
		return nil, fmt.Errorf("微信支付未开启「用于分销提现打款」: %w", plugins.ErrProviderUnavailable)
	}
	return st, nil
}

// defaultRemark is the transfer_remark when the request has none.
const defaultRemark = "佣金提现"

// Payout sends 发起转账 to req.OpenID with the configured scene, report
// infos and perception. A bill waiting for the payee answers
// awaiting_confirmation with its package_info. A signed refusal
// (PARAM_ERROR, INVALID_REQUEST, NO_AUTH) is confirmed by a query first —
// an earlier send under the same number may have made the bill (the
// settings changed since, say) — and is failed only when the gateway knows
// no such bill; a refused signature is failed at once. A request the
// gateway would refuse (no OpenID, 2000 yuan or more) is failed unsent.
func (p *Provider) Payout(ctx context.Context, req plugins.PayoutRequest) (*plugins.PayoutResult, error) {
	st, err := p.payoutState()
	if err != nil {
		return nil, fmt.Errorf("wechatpay payout: %w", err)
	}
	remark := strings.TrimSpace(req.Remark)
	if remark == "" {
		remark = defaultRemark
	}
	t := Transfer{OutBillNo: req.OutBillNo, SceneID: st.scene, OpenID: req.OpenID, Amount: int64(req.Amount),
		Remark: remark, NotifyURL: req.NotifyURL, Perception: st.perception, ReportInfos: st.reports}
	if why := checkTransfer(t); why != "" {
		return &plugins.PayoutResult{State: plugins.PayoutFailed, Reason: why}, nil
	}
	b, err := st.client.Transfer(ctx, t)
	if refusedTransfer(err) {
		return st.confirmRefusal(ctx, req.OutBillNo, err)
	}
	if err != nil {
		return nil, err
	}
	if b.Amount != 0 && b.Amount != t.Amount {
		return nil, fmt.Errorf("wechatpay payout %s: the bill is of %d fen, asked %d", req.OutBillNo, b.Amount, t.Amount)
	}
	return payoutResult(b)
}

// confirmRefusal turns a refused 发起转账 into failed, unless the gateway
// knows a bill of that number (then its state is the answer). A refused
// signature needs no query: nothing was done, and the query would be
// refused too.
func (st *state) confirmRefusal(ctx context.Context, outBillNo string, refusal error) (*plugins.PayoutResult, error) {
	var ae *APIError
	errors.As(refusal, &ae)
	reason := "微信支付拒绝了转账：" + ae.Message + "（" + ae.Code + "）"
	if ae.Status == http.StatusUnauthorized {
		reason = "微信支付拒绝了请求签名，未发起转账（" + ae.Code + "）"
		return &plugins.PayoutResult{State: plugins.PayoutFailed, Reason: reason}, nil
	}
	b, err := st.client.QueryTransfer(ctx, outBillNo)
	switch {
	case isNotFound(err):
		return &plugins.PayoutResult{State: plugins.PayoutFailed, Reason: reason}, nil
	case err != nil:
		return nil, fmt.Errorf("wechatpay payout %s: refused (%v), and the query failed: %w", outBillNo, refusal, err)
	}
	return payoutResult(b)
}

// isNotFound reports the gateway's signed 404 NOT_FOUND: no such bill.
func isNotFound(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Verified && ae.Status == http.StatusNotFound && ae.Code == "NOT_FOUND"
}

// QueryPayout asks the gateway about the bill numbered outBillNo, whether
// or not payouts are switched on now. A signed 404 NOT_FOUND is
// plugins.ErrPayoutNotFound. The query carries no package_info: a bill
// waiting for the payee gets it from Payout again under the same number.
func (p *Provider) QueryPayout(ctx context.Context, outBillNo string) (*plugins.PayoutResult, error) {
	st, err := p.ready()
	if err != nil {
		return nil, err
	}
	b, err := st.client.QueryTransfer(ctx, outBillNo)
	if isNotFound(err) {
		return nil, fmt.Errorf("wechatpay payout %s: %w", outBillNo, plugins.ErrPayoutNotFound)
	}
	if err != nil {
		return nil, err
	}
	return payoutResult(b)
}

// PayoutConfirmParams answers what WeixinJSBridge's requestMerchantTransfer
// takes for a bill waiting for the payee: mchId, appId and package.
func (p *Provider) PayoutConfirmParams(packageInfo string) (map[string]string, error) {
	st := p.st.Load()
	if st == nil {
		return nil, fmt.Errorf("微信支付尚未配置: %w", plugins.ErrProviderUnavailable)
	}
	if packageInfo == "" {
		return nil, errors.New("wechatpay: no package to confirm")
	}
	return map[string]string{"mchId": st.client.cfg.MchID, "appId": st.client.cfg.AppID, "package": packageInfo}, nil
}

var _ plugins.PayoutConfirmer = (*Provider)(nil)
