package wechatpaytest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// 商家转账 (the payee-confirmation version): POST
// /v3/fund-app/mch-transfer/transfer-bills and GET
// /v3/fund-app/mch-transfer/transfer-bills/out-bill-no/{out_bill_no},
// signed like every other answer.
//
// A new bill ends as SetTransferMode says (default TransferWaitConfirm:
// WAIT_USER_CONFIRM with a package_info, as the real gateway answers);
// ConfirmTransfer plays the payee accepting it, FinishTransfer ends a bill
// any way. NextTransfer spoils the answer to the next 发起转账: the bill is
// made but the answer is lost (FaultTimeout: no answer until the client
// gives up; FaultServerError: a signed 500 SYSTEM_ERROR; FaultMalformed: a
// signed 200 that is not a bill), or the request is refused and no bill is
// made (FaultRefused: a signed 400 INVALID_REQUEST; FaultNotEnough: a
// signed 403 NOT_ENOUGH; FaultBadGateway: an unsigned 502 page). The query
// answers 404 NOT_FOUND for a number it never received.

// TransferMode is how new bills end.
type TransferMode int

// Transfer modes.
const (
	TransferWaitConfirm TransferMode = iota // WAIT_USER_CONFIRM with package_info
	TransferSuccess                         // SUCCESS at once (免确认)
	TransferProcessing                      // stays PROCESSING (funds being locked)
	TransferFail                            // FAIL with the mode's fail_reason
)

// TransferFault spoils the answer to the next 发起转账.
type TransferFault int

// Transfer faults.
const (
	FaultNone        TransferFault = iota
	FaultTimeout                   // bill made; no answer until the client gives up
	FaultServerError               // bill made; a signed 500 SYSTEM_ERROR
	FaultMalformed                 // bill made; a signed 200 that is not a bill
	FaultRefused                   // no bill; a signed 400 INVALID_REQUEST
	FaultNotEnough                 // no bill; a signed 403 NOT_ENOUGH (recharge, same number)
	FaultBadGateway                // no bill; an unsigned 502 HTML page
)

// Bill is what the gateway knows of a transfer bill.
type Bill struct {
	OutBillNo      string
	TransferBillNo string
	AppID          string
	SceneID        string
	OpenID         string
	Amount         int64 // fen
	Remark         string
	NotifyURL      string
	Perception     string
	ReportInfos    map[string]string // info_type → info_content
	State          string            // ACCEPTED … CANCELLED
	FailReason     string
	PackageInfo    string
	CreateTime     string
	UpdateTime     string
}

var billNoFormat = regexp.MustCompile(`^[0-9A-Za-z]{1,32}$`)

// SetTransferMode chooses how new bills end; failReason is the fail_reason
// of TransferFail ("" for ACCOUNT_FROZEN).
func (g *Gateway) SetTransferMode(m TransferMode, failReason string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if failReason == "" {
		failReason = "ACCOUNT_FROZEN"
	}
	g.transferMode, g.transferFail = m, failReason
}

// NextTransfer spoils the answer to the next 发起转账.
func (g *Gateway) NextTransfer(f TransferFault) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.transferFault = f
}

// Bill returns the bill numbered outBillNo.
func (g *Gateway) Bill(outBillNo string) (Bill, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	b := g.bills[outBillNo]
	if b == nil {
		return Bill{}, false
	}
	c := *b
	c.ReportInfos = map[string]string{}
	for k, v := range b.ReportInfos {
		c.ReportInfos[k] = v
	}
	return c, true
}

// ConfirmTransfer plays the payee accepting a bill waiting for them
// (WAIT_USER_CONFIRM or TRANSFERING): it succeeds.
func (g *Gateway) ConfirmTransfer(outBillNo string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	b := g.bills[outBillNo]
	switch {
	case b == nil:
		return errors.New("wechatpaytest: no bill " + outBillNo)
	case b.State != "WAIT_USER_CONFIRM" && b.State != "TRANSFERING":
		return fmt.Errorf("wechatpaytest: bill %s is %s", outBillNo, b.State)
	}
	g.setBillState(b, "SUCCESS", "")
	return nil
}

// FinishTransfer sets a bill's state (SUCCESS, FAIL with failReason,
// CANCELLED, or any other state name to stay in).
func (g *Gateway) FinishTransfer(outBillNo, state, failReason string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	b := g.bills[outBillNo]
	if b == nil {
		return errors.New("wechatpaytest: no bill " + outBillNo)
	}
	g.setBillState(b, state, failReason)
	return nil
}

// setBillState is called with g.mu held.
func (g *Gateway) setBillState(b *Bill, state, failReason string) {
	b.State, b.FailReason, b.UpdateTime = state, "", chinaTime(g.clock())
	if state == "FAIL" {
		b.FailReason = failReason
	}
	if state != "WAIT_USER_CONFIRM" && state != "TRANSFERING" {
		b.PackageInfo = ""
	}
}

type transferIn struct {
	AppID       string `json:"appid"`
	OutBillNo   string `json:"out_bill_no"`
	SceneID     string `json:"transfer_scene_id"`
	OpenID      string `json:"openid"`
	UserName    string `json:"user_name"`
	Amount      int64  `json:"transfer_amount"`
	Remark      string `json:"transfer_remark"`
	NotifyURL   string `json:"notify_url"`
	Perception  string `json:"user_recv_perception"`
	ReportInfos []struct {
		Type    string `json:"info_type"`
		Content string `json:"info_content"`
	} `json:"transfer_scene_report_infos"`
}

// transfer answers 发起转账; called with g.mu held.
func (g *Gateway) transfer(body []byte, now time.Time) apiAnswer {
	fault := g.transferFault
	g.transferFault = FaultNone
	switch fault {
	case FaultRefused:
		return apiErr(400, "INVALID_REQUEST", "转账场景未开通，请前往商户平台申请")
	case FaultNotEnough:
		return apiErr(403, "NOT_ENOUGH", "商户运营账户资金不足，充值后可以原单号发起重试，请勿更换商户单号")
	case FaultBadGateway:
		return apiAnswer{status: 502, raw: []byte("<html><body>502 Bad Gateway</body></html>"), unsigned: true}
	}
	var in transferIn
	if err := json.Unmarshal(body, &in); err != nil {
		return apiErr(400, "PARAM_ERROR", "输入源“/body”映射到值字段失败")
	}
	switch {
	case in.AppID != g.AppID:
		return apiErr(400, "INVALID_REQUEST", "appid 与商户号不匹配")
	case !billNoFormat.MatchString(in.OutBillNo):
		return apiErr(400, "PARAM_ERROR", "商户单号格式错误")
	case in.SceneID == "":
		return apiErr(400, "PARAM_ERROR", "转账场景ID必填")
	case in.OpenID == "":
		return apiErr(400, "PARAM_ERROR", "收款用户OpenID必填")
	case in.Amount <= 0:
		return apiErr(400, "PARAM_ERROR", "转账金额必须大于0")
	case in.Amount >= 200000 && in.UserName == "":
		return apiErr(400, "PARAM_ERROR", "转账金额>=2000元时，收款用户姓名必填")
	case in.Remark == "" || utf8.RuneCountInString(in.Remark) > 32:
		return apiErr(400, "PARAM_ERROR", "转账备注长度不正确")
	case in.NotifyURL != "" && !validNotifyURL(in.NotifyURL):
		return apiErr(400, "PARAM_ERROR", "通知地址不正确")
	case len(in.ReportInfos) == 0:
		return apiErr(400, "PARAM_ERROR", "需传入转账场景报备信息，请检查")
	}
	infos := map[string]string{}
	for _, ri := range in.ReportInfos {
		if ri.Type == "" || ri.Content == "" {
			return apiErr(400, "PARAM_ERROR", "转账场景报备信息不完整")
		}
		infos[ri.Type] = ri.Content
	}
	if in.SceneID == "1000" && (infos["活动名称"] == "" || infos["奖励说明"] == "") {
		return apiErr(400, "PARAM_ERROR", "需传入转账场景报备信息，请检查")
	}
	b := g.bills[in.OutBillNo]
	if b != nil {
		if b.Amount != in.Amount || b.OpenID != in.OpenID {
			return apiErr(400, "INVALID_REQUEST", "商户单号重复，且请求参数与原单不一致")
		}
	} else {
		b = &Bill{OutBillNo: in.OutBillNo, TransferBillNo: "1330" + randomDigits(30), AppID: in.AppID,
			SceneID: in.SceneID, OpenID: in.OpenID, Amount: in.Amount, Remark: in.Remark, NotifyURL: in.NotifyURL,
			Perception: in.Perception, ReportInfos: infos, State: "ACCEPTED", CreateTime: chinaTime(now)}
		g.bills[in.OutBillNo] = b
		switch g.transferMode {
		case TransferSuccess:
			g.setBillState(b, "SUCCESS", "")
		case TransferProcessing:
			g.setBillState(b, "PROCESSING", "")
		case TransferFail:
			g.setBillState(b, "FAIL", g.transferFail)
		default:
			g.setBillState(b, "WAIT_USER_CONFIRM", "")
			b.PackageInfo = "ABBQO+oYAAABAAAAAAAk+" + randomAlnum(40) + "=="
		}
	}
	switch fault {
	case FaultTimeout:
		return apiAnswer{status: 200, hang: true}
	case FaultServerError:
		return apiErr(500, "SYSTEM_ERROR", "系统繁忙，请稍后重试")
	case FaultMalformed:
		return apiAnswer{status: 200, raw: []byte(`{"out_bill_no":"` + b.OutBillNo + `","state":`)}
	}
	a := map[string]any{"out_bill_no": b.OutBillNo, "transfer_bill_no": b.TransferBillNo,
		"create_time": b.CreateTime, "state": b.State}
	if b.PackageInfo != "" {
		a["package_info"] = b.PackageInfo
	}
	if b.FailReason != "" {
		a["fail_reason"] = b.FailReason
	}
	return apiAnswer{status: 200, body: a}
}

// queryBill answers 商户单号查询转账单; called with g.mu held.
func (g *Gateway) queryBill(no string) apiAnswer {
	b := g.bills[no]
	if b == nil {
		return apiErr(404, "NOT_FOUND", "记录不存在")
	}
	a := map[string]any{"mch_id": g.MchID, "out_bill_no": b.OutBillNo, "transfer_bill_no": b.TransferBillNo,
		"appid": b.AppID, "state": b.State, "transfer_amount": b.Amount, "transfer_remark": b.Remark,
		"openid": b.OpenID, "create_time": b.CreateTime, "update_time": b.UpdateTime}
	if b.FailReason != "" {
		a["fail_reason"] = b.FailReason
	}
	return apiAnswer{status: 200, body: a}
}

// routeTransfer answers the 商家转账 paths, ok false for other paths.
func (g *Gateway) routeTransfer(r *http.Request, body []byte, now time.Time) (apiAnswer, bool) {
	const base = "/v3/fund-app/mch-transfer/transfer-bills"
	p := r.URL.Path
	switch {
	case p == base && r.Method == http.MethodPost:
		return g.transfer(body, now), true
	case strings.HasPrefix(p, base+"/out-bill-no/") && r.Method == http.MethodGet:
		return g.queryBill(strings.TrimPrefix(p, base+"/out-bill-no/")), true
	}
	return apiAnswer{}, false
}
