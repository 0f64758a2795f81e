package alipaytest

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/xiaodian/xiaodian/store"
)

// 单笔转账到支付宝账户: alipay.fund.trans.uni.transfer and
// alipay.fund.trans.common.query, signed like every other answer. The
// gateway takes them in 公钥证书 mode only (a request without app_cert_sn
// gets a signed 40004 isv.certificate-mode-required: the fake's own code,
// the plugin refuses before sending).
//
// Payees must be known (AddPayee; DefaultPayeeAccount / DefaultPayeeName
// is): an unknown account is PAYEE_NOT_EXIST, a wrong name
// PAYEE_USER_INFO_ERROR, more than the balance (SetBalance, 1,000,000
// yuan at first) BALANCE_IS_NOT_ENOUGH — signed 40004 answers, no order
// made. A new order ends as SetTransferMode says (TransferSuccess first;
// TransferDealing stays DEALING); FinishTransfer ends one any way. A
// repeated out_biz_no answers the same order. NextTransfer spoils the
// next answer: the order is made but the answer is lost (FaultTimeout: no
// answer until the client gives up; FaultUnavailable: a signed 20000;
// FaultSystemError: a signed 40004 SYSTEM_ERROR; FaultMalformed: a 200
// that is not JSON), or no order is made (FaultBadGateway: HTTP 502).
// The query answers a signed 40004 ORDER_NOT_EXIST for a number it never
// received.

// The payee every gateway knows.
const (
	DefaultPayeeAccount = "payee@example.com"
	DefaultPayeeName    = "张三"
)

// TransferMode is how new orders end.
type TransferMode int

// Transfer modes.
const (
	TransferSuccess TransferMode = iota // SUCCESS at once (余额 transfers are instant)
	TransferDealing                     // stays DEALING
)

// TransferFault spoils the answer to the next uni.transfer.
type TransferFault int

// Transfer faults.
const (
	FaultNone        TransferFault = iota
	FaultTimeout                   // order made; no answer until the client gives up
	FaultUnavailable               // order made; a signed code 20000
	FaultSystemError               // order made; a signed 40004 SYSTEM_ERROR
	FaultMalformed                 // order made; a 200 that is not JSON
	FaultBadGateway                // no order; HTTP 502
)

// Transfer is a fund order the gateway keeps.
type Transfer struct {
	OutBizNo       string
	OrderID        string
	PayFundOrderID string
	Amount         store.Fen
	Account        string
	RealName       string
	Title          string
	Remark         string
	Status         string // SUCCESS, DEALING, FAIL, REFUND, …
	ErrorCode      string
	FailReason     string
	TransDate      string
}

// AddPayee makes an Alipay account known, with its real name.
func (g *Gateway) AddPayee(account, realName string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.payees[account] = realName
}

// SetBalance sets the merchant's balance transfers are paid from.
func (g *Gateway) SetBalance(f store.Fen) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.balance = f
}

// SetTransferMode chooses how new orders end.
func (g *Gateway) SetTransferMode(m TransferMode) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.transferMode = m
}

// NextTransfer spoils the answer to the next uni.transfer.
func (g *Gateway) NextTransfer(f TransferFault) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.transferFault = f
}

// FundOrder returns the order numbered outBizNo.
func (g *Gateway) FundOrder(outBizNo string) (Transfer, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	t := g.transfers[outBizNo]
	if t == nil {
		return Transfer{}, false
	}
	return *t, true
}

// FinishTransfer sets an order's status (SUCCESS; FAIL or REFUND with an
// error code and reason; DEALING).
func (g *Gateway) FinishTransfer(outBizNo, status, errorCode, failReason string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	t := g.transfers[outBizNo]
	if t == nil {
		return errors.New("alipaytest: no transfer " + outBizNo)
	}
	t.Status, t.ErrorCode, t.FailReason = status, errorCode, failReason
	return nil
}

func (g *Gateway) serveTransfer(w http.ResponseWriter, r *http.Request, v url.Values, key string, str func(string) string) {
	if v.Get("app_cert_sn") == "" {
		g.businessError(w, v, key, "isv.certificate-mode-required", "转账接口仅支持公钥证书方式")
		return
	}
	g.mu.Lock()
	fault := g.transferFault
	g.transferFault = FaultNone
	if fault == FaultBadGateway {
		g.mu.Unlock()
		http.Error(w, "502 Bad Gateway", http.StatusBadGateway)
		return
	}
	no := str("out_biz_no")
	amount, err := parseYuan(str("trans_amount"))
	payee, _ := g.biz(v)["payee_info"].(map[string]any)
	account, _ := payee["identity"].(string)
	name, _ := payee["name"].(string)
	var sub, msg string
	switch {
	case no == "" || len(no) > 64:
		sub, msg = "INVALID_PARAMETER", "out_biz_no 无效"
	case err != nil || amount < 10:
		sub, msg = "EXCEED_LIMIT_SM_MIN_AMOUNT", "单笔最低转账金额0.1元"
	case str("product_code") != "TRANS_ACCOUNT_NO_PWD" || str("biz_scene") != "DIRECT_TRANSFER":
		sub, msg = "INVALID_PARAMETER", "product_code 或 biz_scene 无效"
	case payee["identity_type"] != "ALIPAY_LOGON_ID" || name == "":
		sub, msg = "INVALID_PARAMETER", "payee_info 无效"
	}
	t := g.transfers[no]
	switch {
	case sub != "":
	case t != nil && (t.Amount != amount || t.Account != account):
		sub, msg = "PAYMENT_INFO_INCONSISTENCY", "两次请求商户单号一样，但是参数不一致"
	case t != nil:
	case g.payees[account] == "":
		sub, msg = "PAYEE_NOT_EXIST", "收款账号不存在"
	case g.payees[account] != name:
		sub, msg = "PAYEE_USER_INFO_ERROR", "支付宝账号和姓名不匹配，请确认姓名是否正确"
	case amount > g.balance:
		sub, msg = "BALANCE_IS_NOT_ENOUGH", "付款方余额不足"
	default:
		g.seq++
		now := time.Now().In(shanghai).Format(timeLayout)
		t = &Transfer{OutBizNo: no, OrderID: "20261202110070000006" + randomDigits(12), PayFundOrderID: "20261202110070001506" + randomDigits(12),
			Amount: amount, Account: account, RealName: name, Title: str("order_title"), Remark: str("remark"),
			Status: "SUCCESS", TransDate: now}
		if g.transferMode == TransferDealing {
			t.Status = "DEALING"
		}
		g.balance -= amount
		g.transfers[no] = t
	}
	var tr Transfer
	if t != nil {
		tr = *t
	}
	g.mu.Unlock()
	if sub != "" {
		g.businessError(w, v, key, sub, msg)
		return
	}
	switch fault {
	case FaultTimeout:
		select {
		case <-r.Context().Done():
		case <-g.closed:
		case <-time.After(time.Minute):
		}
		return
	case FaultUnavailable:
		g.answer(w, v, key, true, kv{"code", "20000"}, kv{"msg", "Service Currently Unavailable"}, kv{"sub_code", "isp.unknow-error"}, kv{"sub_msg", "系统繁忙"})
		return
	case FaultSystemError:
		g.businessError(w, v, key, "SYSTEM_ERROR", "系统繁忙")
		return
	case FaultMalformed:
		w.Write([]byte(`{"` + key + `":{"code":"10000"`))
		return
	}
	g.answer(w, v, key, true, kv{"code", "10000"}, kv{"msg", "Success"}, kv{"out_biz_no", tr.OutBizNo},
		kv{"order_id", tr.OrderID}, kv{"pay_fund_order_id", tr.PayFundOrderID}, kv{"status", tr.Status}, kv{"trans_date", tr.TransDate})
}

func (g *Gateway) serveTransferQuery(w http.ResponseWriter, v url.Values, key string, str func(string) string) {
	if v.Get("app_cert_sn") == "" {
		g.businessError(w, v, key, "isv.certificate-mode-required", "转账接口仅支持公钥证书方式")
		return
	}
	g.mu.Lock()
	t := g.transfers[str("out_biz_no")]
	var tr Transfer
	if t != nil {
		tr = *t
	}
	g.mu.Unlock()
	if t == nil {
		g.businessError(w, v, key, "ORDER_NOT_EXIST", "转账订单不存在")
		return
	}
	m := []kv{{"code", "10000"}, {"msg", "Success"}, {"order_id", tr.OrderID}, {"pay_fund_order_id", tr.PayFundOrderID},
		{"out_biz_no", tr.OutBizNo}, {"trans_amount", yuan(tr.Amount)}, {"status", tr.Status}, {"pay_date", tr.TransDate},
		{"order_fee", "0.00"}}
	if tr.ErrorCode != "" {
		m = append(m, kv{"error_code", tr.ErrorCode})
	}
	if tr.FailReason != "" {
		m = append(m, kv{"fail_reason", tr.FailReason})
	}
	g.answer(w, v, key, true, m...)
}

// biz decodes biz_content (checked to be JSON already).
func (g *Gateway) biz(v url.Values) map[string]any {
	return decodeBiz(v.Get("biz_content"))
}

func randomDigits(n int) string {
	var b strings.Builder
	for _, c := range randomHex(n) {
		b.WriteByte(byte('0' + c%10))
		if b.Len() == n {
			break
		}
	}
	return b.String()
}

func decodeBiz(s string) map[string]any {
	var m map[string]any
	_ = json.Unmarshal([]byte(s), &m)
	return m
}
