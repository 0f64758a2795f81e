package alipay

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/store"
)

// 单笔转账到支付宝账户: alipay.fund.trans.uni.transfer (product_code
// TRANS_ACCOUNT_NO_PWD, biz_scene DIRECT_TRANSFER, the payee by
// ALIPAY_LOGON_ID and real name) and alipay.fund.trans.common.query. Alipay
// takes them in 公钥证书 mode only. Its rules for the outcome: a dropped
// call, code 20000 or sub_code SYSTEM_ERROR is to be queried and, when the
// query finds nothing, sent again unchanged under the same out_biz_no; a
// retried number is answered idempotently.

// Transfer product and scene.
const (
	ProductTransfer = "TRANS_ACCOUNT_NO_PWD"
	SceneDirect     = "DIRECT_TRANSFER"
)

// Fund order statuses (uni.transfer answers SUCCESS, DEALING or FAIL; the
// query also INIT, REFUND — a bank's 退票, the money came back — CLOSED
// and UNKNOWN).
const (
	FundSuccess = "SUCCESS"
	FundDealing = "DEALING"
	FundFail    = "FAIL"
	FundInit    = "INIT"
	FundRefund  = "REFUND"
	FundClosed  = "CLOSED"
	FundUnknown = "UNKNOWN"
)

// minTransfer is the smallest transfer Alipay takes: 0.1 yuan.
const minTransfer store.Fen = 10

// FundTransfer is a uni.transfer request.
type FundTransfer struct {
	OutBizNo string
	Amount   store.Fen
	Account  string // the payee's logon id (phone or e-mail)
	RealName string // checked by Alipay against the account
	Title    string // order_title, in the payee's bill
	Remark   string
}

// FundOrder is Alipay's answer about a transfer (uni.transfer and the
// query share the fields they have).
type FundOrder struct {
	OutBizNo       string `json:"out_biz_no"`
	OrderID        string `json:"order_id"`
	PayFundOrderID string `json:"pay_fund_order_id"`
	Status         string `json:"status"`
	TransDate      string `json:"trans_date"`
	TransAmount    string `json:"trans_amount"`
	ErrorCode      string `json:"error_code"`
	FailReason     string `json:"fail_reason"`
	// Raw is the verified answer object.
	Raw string `json:"-"`
}

var outBizNo = regexp.MustCompile(`^[0-9A-Za-z_]{1,64}$`)

// checkTransfer says what is wrong with t in Chinese, "" when nothing.
func checkTransfer(t FundTransfer) string {
	switch {
	case !outBizNo.MatchString(t.OutBizNo):
		return "商户转账单号须为 1–64 位字母、数字或下划线"
	case t.Amount < minTransfer:
		return "单笔转账金额不能低于 0.1 元"
	case t.Amount > store.MaxPrice:
		return "转账金额超出范围"
	case t.Account == "" || len(t.Account) > 100:
		return "缺少收款人的支付宝账号"
	case t.RealName == "" || len([]rune(t.RealName)) > 50:
		return "缺少收款人的真实姓名"
	}
	return ""
}

// Transfer calls alipay.fund.trans.uni.transfer.
func (c *Client) Transfer(ctx context.Context, t FundTransfer) (*FundOrder, error) {
	if why := checkTransfer(t); why != "" {
		return nil, errors.New("alipay transfer: " + why)
	}
	type payee struct {
		Identity     string `json:"identity"`
		IdentityType string `json:"identity_type"`
		Name         string `json:"name"`
	}
	biz := struct {
		OutBizNo    string `json:"out_biz_no"`
		TransAmount string `json:"trans_amount"`
		ProductCode string `json:"product_code"`
		BizScene    string `json:"biz_scene"`
		OrderTitle  string `json:"order_title,omitempty"`
		PayeeInfo   payee  `json:"payee_info"`
		Remark      string `json:"remark,omitempty"`
	}{t.OutBizNo, FormatYuan(t.Amount), ProductTransfer, SceneDirect, truncate(t.Title, 64),
		payee{t.Account, "ALIPAY_LOGON_ID", t.RealName}, truncate(t.Remark, 200)}
	var o FundOrder
	raw, err := c.call(ctx, "alipay.fund.trans.uni.transfer", biz, &o)
	if err != nil {
		return nil, err
	}
	if o.OutBizNo != t.OutBizNo {
		return nil, fmt.Errorf("alipay transfer: answer for %q, asked %q", o.OutBizNo, t.OutBizNo)
	}
	o.Raw = string(raw)
	return &o, nil
}

// TransferQuery calls alipay.fund.trans.common.query for our number. A
// number Alipay does not know answers an error for which IsOrderNotExist
// is true.
func (c *Client) TransferQuery(ctx context.Context, no string) (*FundOrder, error) {
	if !outBizNo.MatchString(no) {
		return nil, errors.New("alipay transfer query: bad out_biz_no")
	}
	biz := map[string]string{"out_biz_no": no, "product_code": ProductTransfer, "biz_scene": SceneDirect}
	var o FundOrder
	raw, err := c.call(ctx, "alipay.fund.trans.common.query", biz, &o)
	if err != nil {
		return nil, err
	}
	if o.OutBizNo != no {
		return nil, fmt.Errorf("alipay transfer query: answer for %q, asked %q", o.OutBizNo, no)
	}
	o.Raw = string(raw)
	return &o, nil
}

// IsOrderNotExist reports Alipay saying, in a signed answer, that it knows
// no transfer of that number.
func IsOrderNotExist(err error) bool {
	var e *Error
	return errors.As(err, &e) && !e.Unsigned && e.SubCode == "ORDER_NOT_EXIST"
}

// refusedCodes are the uni.transfer sub_codes that are Alipay's definite
// no: the payee, the payer's balance or permissions, the limits, the
// request itself. Any other business failure leaves the outcome unknown
// (a code Alipay did not document here must not make the shop pay twice).
var refusedCodes = map[string]string{
	"PAYEE_NOT_EXIST":                  "收款账号不存在",
	"PAYEE_USER_INFO_ERROR":            "收款人姓名与支付宝账号不符",
	"PAYEE_ACCOUNT_STATUS_ERROR":       "收款账号状态异常",
	"PAYEE_ACC_OCUPIED":                "收款账号被多个支付宝账户使用，请改用其他账号",
	"PAYEE_CERT_INFO_ERROR":            "收款人证件信息有误",
	"PAYEE_NOT_RELNAME_CERTIFY":        "收款账号未实名认证",
	"PAYEE_USERINFO_STATUS_ERROR":      "收款账号状态异常",
	"PAYEE_TRUSTEESHIP_ACC_OVER_LIMIT": "收款人托管账户额度已满",
	"PAYER_BALANCE_NOT_ENOUGH":         "支付宝账户余额不足",
	"BALANCE_IS_NOT_ENOUGH":            "支付宝账户余额不足",
	"PAYER_STATUS_ERROR":               "付款账号状态异常",
	"PAYER_USER_INFO_ERROR":            "付款方用户信息有误",
	"PAYER_CERTIFY_CHECK_FAIL":         "付款方人行认证受限",
	"PAYER_PERMLIMIT_CHECK_FAILURE":    "付款方权限校验不通过",
	"PAYER_NOT_EXIST":                  "付款账号不存在",
	"PERMIT_CHECK_PERM_IDENTITY_THEFT": "收款账号存在身份冒用风险",
	"PERMIT_NON_BANK_LIMIT_PAYEE":      "收款账号的余额支付额度已满",
	"EXCEED_LIMIT_SM_AMOUNT":           "超过单笔转账限额",
	"EXCEED_LIMIT_SM_MIN_AMOUNT":       "低于单笔最低转账金额",
	"EXCEED_LIMIT_DM_AMOUNT":           "超过单日转账限额",
	"EXCEED_LIMIT_MM_AMOUNT":           "超过单月转账限额",
	"EXCEED_LIMIT_PERSONAL_SM_AMOUNT":  "超过转给个人的单笔限额",
	"EXCEED_LIMIT_UNRN_DM_AMOUNT":      "收款账号未实名，超过其单日收款限额",
	"PRODUCT_NOT_SIGN":                 "未签约「转账到支付宝账户」",
	"INVALID_PARAMETER":                "参数有误",
	"MONEY_PAY_CLOSED":                 "付款账号余额支付功能已关闭",
	"NO_ACCOUNT_RECEIVE_PERMISSION":    "收款账号无收款权限",
}

// refusal reports whether err is Alipay's definite no to uni.transfer, and
// its reason in Chinese: a signed 40004 with a sub_code of refusedCodes, a
// signed 40001–40003 (the request itself refused: 缺少参数, 非法参数,
// 权限不足), or an unsigned isv.invalid-signature / isv.invalid-app-id /
// certificate SN refusal (nothing was done). 20000, SYSTEM_ERROR, the
// network and any other code leave the outcome unknown.
func refusal(err error) (reason string, ok bool) {
	var e *Error
	if !errors.As(err, &e) || e.SubCode == "SYSTEM_ERROR" || e.Code == "20000" {
		return "", false
	}
	text := e.SubMsg
	if text == "" {
		text = e.Msg
	}
	if e.Unsigned {
		switch e.SubCode {
		case "isv.invalid-signature", "isv.invalid-app-id", "isv.invalid-app-cert-sn", "isv.invalid-alipay-root-cert-sn":
			return "支付宝拒绝了请求，未转账：" + text + "（" + e.SubCode + "）", true
		}
		return "", false
	}
	switch e.Code {
	case "40001", "40002", "40003":
		return "支付宝拒绝了请求：" + text + "（" + e.SubCode + "）", true
	case "40004":
		if r, ok := refusedCodes[e.SubCode]; ok {
			return r + "（" + e.SubCode + "）", true
		}
	}
	return "", false
}

// fundResult maps a fund order to the payout states; an unknown status is
// an error (the outcome stays unknown).
func fundResult(o *FundOrder) (*plugins.PayoutResult, error) {
	res := &plugins.PayoutResult{ProviderRef: o.OrderID, Raw: o.Raw}
	if o.TransAmount != "" {
		amt, err := ParseYuan(o.TransAmount)
		if err != nil || amt <= 0 {
			return nil, fmt.Errorf("alipay transfer %s: bad trans_amount %q", o.OutBizNo, o.TransAmount)
		}
		res.Amount = amt
	}
	switch o.Status {
	case FundSuccess:
		res.State = plugins.PayoutSucceeded
	case FundDealing, FundInit, FundUnknown:
		res.State = plugins.PayoutPending
	case FundFail, FundRefund, FundClosed:
		res.State = plugins.PayoutFailed
		res.Reason = failText(o)
	default:
		return nil, fmt.Errorf("alipay transfer %s: unknown status %q", o.OutBizNo, o.Status)
	}
	return res, nil
}

// failText is the reason of a failed fund order in Chinese.
func failText(o *FundOrder) string {
	r := strings.TrimSpace(o.FailReason)
	if r == "" {
		r = refusedCodes[o.ErrorCode]
	}
	switch {
	case r == "" && o.Status == FundRefund:
		r = "银行退票，款项已退回"
	case r == "":
		r = "转账失败"
	}
	if o.ErrorCode != "" {
		r += "（" + o.ErrorCode + "）"
	}
	return truncate(r, 200)
}

// PayoutMethod is plugins.PayoutMethodAlipay.
func (*Provider) PayoutMethod() string { return plugins.PayoutMethodAlipay }

// PayoutReady is nil when the provider is configured in 公钥证书 mode and
// the owner switched 用于分销提现打款 on.
func (p *Provider) PayoutReady() error {
	_, err := p.payoutState()
	return err
}

// payoutState is the configuration in use when it may pay out.
func (p *Provider) payoutState() (*state, error) {
	st := p.state.Load()
	switch {
	case st == nil:
		return nil, fmt.Errorf("支付宝尚未配置: %w", plugins.ErrProviderUnavailable)
	case !st.payouts.on:
		return nil, fmt.Errorf("支付宝未开启「用于分销提现打款」: %w", plugins.ErrProviderUnavailable)
	case !st.client.cfg.CertMode():
		return nil, fmt.Errorf("支付宝转账接口要求公钥证书模式，当前为公钥模式，无法打款: %w", plugins.ErrProviderUnavailable)
	}
	return st, nil
}

// Payout calls alipay.fund.trans.uni.transfer to req.Account (a logon id)
// with req.RealName. A definite no (see refusal) is confirmed by a query
// when Alipay signed it — an earlier send under the same number may have
// made the order — and is failed only when Alipay knows no such order. A
// request Alipay would refuse (under 0.1 yuan, no account or name) is
// failed unsent.
func (p *Provider) Payout(ctx context.Context, req plugins.PayoutRequest) (*plugins.PayoutResult, error) {
	st, err := p.payoutState()
	if err != nil {
		return nil, fmt.Errorf("alipay payout: %w", err)
	}
	t := FundTransfer{OutBizNo: req.OutBillNo, Amount: req.Amount, Account: strings.TrimSpace(req.Account),
		RealName: strings.TrimSpace(req.RealName), Title: st.payouts.title, Remark: req.Remark}
	if why := checkTransfer(t); why != "" {
		return &plugins.PayoutResult{State: plugins.PayoutFailed, Reason: why}, nil
	}
	o, err := st.client.Transfer(ctx, t)
	if reason, ok := refusal(err); ok {
		var e *Error
		if errors.As(err, &e) && e.Unsigned {
			return &plugins.PayoutResult{State: plugins.PayoutFailed, Reason: reason}, nil
		}
		q, qerr := st.client.TransferQuery(ctx, req.OutBillNo)
		switch {
		case IsOrderNotExist(qerr):
			return &plugins.PayoutResult{State: plugins.PayoutFailed, Reason: reason}, nil
		case qerr != nil:
			return nil, fmt.Errorf("alipay payout %s: refused (%v), and the query failed: %w", req.OutBillNo, err, qerr)
		}
		return fundResult(q)
	}
	if err != nil {
		return nil, err
	}
	res, err := fundResult(o)
	if err == nil && res.Amount != 0 && res.Amount != req.Amount {
		return nil, fmt.Errorf("alipay payout %s: the order is of %s, asked %s", req.OutBillNo, FormatYuan(res.Amount), FormatYuan(req.Amount))
	}
	if err == nil && res.Amount == 0 {
		res.Amount = req.Amount // uni.transfer does not repeat the amount
	}
	return res, err
}

// QueryPayout calls alipay.fund.trans.common.query, whether or not payouts
// are switched on now. Alipay's signed ORDER_NOT_EXIST is
// plugins.ErrPayoutNotFound.
func (p *Provider) QueryPayout(ctx context.Context, outBillNo string) (*plugins.PayoutResult, error) {
	st, err := p.current()
	if err != nil {
		return nil, err
	}
	o, err := st.client.TransferQuery(ctx, outBillNo)
	if IsOrderNotExist(err) {
		return nil, fmt.Errorf("alipay payout %s: %w", outBillNo, plugins.ErrPayoutNotFound)
	}
	if err != nil {
		return nil, err
	}
	return fundResult(o)
}
