package alipaytest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/store"
)

// Settings modes.
const (
	ModePublicKey = "public_key" // 公钥模式
	ModeCert      = "cert"       // 公钥证书模式
)

// Default identities of a gateway.
const (
	DefaultAppID    = "2021000000000001"
	DefaultSellerID = "2088000000000001"
)

// Trade statuses, as Alipay names them.
const (
	StatusWaitBuyerPay = "WAIT_BUYER_PAY"
	StatusSuccess      = "TRADE_SUCCESS"
	StatusClosed       = "TRADE_CLOSED"
)

// shanghai is Alipay's clock (UTC+8).
var shanghai = time.FixedZone("CST", 8*3600)

const timeLayout = "2006-01-02 15:04:05"

// maxSkew is how far a request's timestamp may be from the gateway's clock.
const maxSkew = 15 * time.Minute

// Trade is a trade the gateway keeps.
type Trade struct {
	OutTradeNo string
	TradeNo    string // Alipay's number, set once paid
	Amount     store.Fen
	Subject    string
	Status     string // StatusWaitBuyerPay, StatusSuccess, StatusClosed
	Method     string // alipay.trade.page.pay or alipay.trade.wap.pay; "" for CreateTrade
	NotifyURL  string
	ReturnURL  string
	Refunded   store.Fen
	PaidAt     time.Time
	token      string // the cashier page's handle
}

// Refund is a refund the gateway made.
type Refund struct {
	OutTradeNo   string
	OutRequestNo string
	Amount       store.Fen
	Reason       string
	At           time.Time
}

// Delivery is one notification POSTed to a notify_url and what the shop
// answered.
type Delivery struct {
	OutTradeNo string
	URL        string
	Form       url.Values // as sent, sign included
	Status     int        // the shop's HTTP status; 0 when the POST failed
	Body       string     // the shop's answer, "success" when it took it
	Err        error      // the POST failed
}

// Acked reports whether the shop answered "success", which stops Alipay's
// retries.
func (d *Delivery) Acked() bool {
	return d.Err == nil && d.Status == http.StatusOK && strings.TrimSpace(d.Body) == "success"
}

// Gateway is a fake Alipay OpenAPI gateway on a local httptest.Server.
type Gateway struct {
	// URL is the gateway endpoint (…/gateway.do), the "gateway" setting.
	URL string
	// AppID and SellerID are the app and the merchant PID it knows.
	AppID    string
	SellerID string
	// Client POSTs notifications; its default times out after 10 seconds
	// and follows no redirect.
	Client *http.Client

	srv  *httptest.Server
	keys *keySet

	mu         sync.Mutex
	trades     map[string]*Trade
	refunds    []Refund
	deliveries []Delivery
	calls      []string
	seq        int
	alipayCert atomic.Pointer[issued] // the 支付宝公钥证书 in use

	payees        map[string]string // account → real name
	balance       store.Fen
	transfers     map[string]*Transfer
	transferMode  TransferMode
	transferFault TransferFault
	closed        chan struct{} // closed when the test ends: hung answers give up
}

// issued is a 支付宝公钥证书 and its SN.
type issued struct {
	pem []byte
	sn  string
}

// New starts a gateway; it stops when the test ends. The keys and
// certificates are made once per test binary.
func New(t testing.TB) *Gateway {
	t.Helper()
	k := loadKeys()
	g := &Gateway{AppID: DefaultAppID, SellerID: DefaultSellerID, keys: k, trades: map[string]*Trade{},
		payees: map[string]string{DefaultPayeeAccount: DefaultPayeeName}, balance: 100000000, transfers: map[string]*Transfer{},
		closed: make(chan struct{}),
		Client: &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}}
	c, sn := k.alipayCert()
	g.alipayCert.Store(&issued{c, sn})
	mux := http.NewServeMux()
	mux.HandleFunc("/gateway.do", g.serveGateway)
	mux.HandleFunc("/cashier/pay", g.serveConfirm)
	g.srv = httptest.NewServer(mux)
	g.URL = g.srv.URL + "/gateway.do"
	t.Cleanup(g.srv.Close)
	t.Cleanup(func() { close(g.closed) }) // runs first: hung answers end before Close waits for them
	return g
}

// PayoutSettings is Settings in ModeCert (the fund APIs take no other)
// with 用于分销提现打款 switched on.
func (g *Gateway) PayoutSettings() plugins.SettingValues {
	v := g.Settings(ModeCert)
	v["payout"] = "1"
	return v
}

// Settings returns values ready for the plugin's Configure against this
// gateway, in ModePublicKey or ModeCert, both channels on.
func (g *Gateway) Settings(mode string) plugins.SettingValues {
	g.mu.Lock()
	defer g.mu.Unlock()
	v := plugins.SettingValues{
		"app_id":          g.AppID,
		"app_private_key": privatePEM(g.keys.app),
		"key_mode":        mode,
		"seller_id":       g.SellerID,
		"channel_wap":     "1",
		"channel_page":    "1",
		"gateway":         g.URL,
	}
	switch mode {
	case ModePublicKey:
		v["alipay_public_key"] = publicPEM(&g.keys.alipay.PublicKey)
	case ModeCert:
		v["app_cert"] = string(g.keys.appCertPEM)
		v["alipay_cert"] = string(g.alipayCert.Load().pem)
		v["alipay_root_cert"] = string(g.keys.rootPEM)
	default:
		panic("alipaytest: unknown mode " + mode)
	}
	return v
}

// AppPublicKey is the app's public key (应用公钥) as one line of base64:
// what an owner pastes by mistake where the Alipay public key goes.
func (g *Gateway) AppPublicKey() string { return publicPEM(&g.keys.app.PublicKey) }

// AppCertSN, AlipayRootCertSN and AlipayCertSN are the SNs the gateway
// expects and sends in certificate mode, computed on its own.
func (g *Gateway) AppCertSN() string        { return g.keys.appCertSN }
func (g *Gateway) AlipayRootCertSN() string { return g.keys.rootCertSN }
func (g *Gateway) AlipayCertSN() string     { return g.alipayCert.Load().sn }

// ReissueAlipayCert issues a new 支付宝公钥证书 for the same key, as Alipay
// does when one expires: answers then carry its SN, which settings made
// before no longer match. Settings(ModeCert) gives the new one.
func (g *Gateway) ReissueAlipayCert() {
	c, sn := g.keys.alipayCert()
	g.alipayCert.Store(&issued{c, sn})
}

// CreateTrade adds a trade waiting for the buyer, as the cashier does when
// the payer opens it.
func (g *Gateway) CreateTrade(outTradeNo string, amount store.Fen, notifyURL, returnURL string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.trades[outTradeNo] = &Trade{OutTradeNo: outTradeNo, Amount: amount, Subject: outTradeNo, Status: StatusWaitBuyerPay,
		NotifyURL: notifyURL, ReturnURL: returnURL, token: randomHex(16)}
}

// Trade returns a copy of the trade numbered outTradeNo.
func (g *Gateway) Trade(outTradeNo string) (Trade, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	tr, ok := g.trades[outTradeNo]
	if !ok {
		return Trade{}, false
	}
	return *tr, true
}

// Refunds lists the refunds made, oldest first.
func (g *Gateway) Refunds() []Refund {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]Refund(nil), g.refunds...)
}

// Deliveries lists the notifications delivered, oldest first.
func (g *Gateway) Deliveries() []Delivery {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]Delivery(nil), g.deliveries...)
}

// Calls lists the methods requested, refused ones included, oldest first.
func (g *Gateway) Calls() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.calls...)
}

// Pay marks the trade paid, as the 确认付款 button does, and delivers the
// TRADE_SUCCESS notification to its notify_url. A trade already paid is
// notified again (Alipay's retry).
func (g *Gateway) Pay(outTradeNo string) (*Delivery, error) {
	g.mu.Lock()
	tr, ok := g.trades[outTradeNo]
	if !ok {
		g.mu.Unlock()
		return nil, fmt.Errorf("alipaytest: no trade %q", outTradeNo)
	}
	if err := g.payLocked(tr); err != nil {
		g.mu.Unlock()
		return nil, err
	}
	form := g.notifyFormLocked(tr)
	g.mu.Unlock()
	return g.deliver(tr.OutTradeNo, tr.NotifyURL, g.sealNotify(form, TamperNone))
}

func (g *Gateway) payLocked(tr *Trade) error {
	switch tr.Status {
	case StatusSuccess:
		return nil
	case StatusWaitBuyerPay:
	default:
		return fmt.Errorf("alipaytest: trade %q is %s", tr.OutTradeNo, tr.Status)
	}
	if tr.NotifyURL == "" {
		return fmt.Errorf("alipaytest: trade %q has no notify_url", tr.OutTradeNo)
	}
	g.seq++
	now := time.Now().In(shanghai)
	tr.TradeNo = now.Format("20060102") + "22001" + fmt.Sprintf("%015d", g.seq)
	tr.Status, tr.PaidAt = StatusSuccess, now
	return nil
}

// Tamper is how Notify spoils a notification.
type Tamper int

// Tampers.
const (
	TamperNone         Tamper = iota // the genuine notification again (a duplicate)
	TamperSignature                  // signed with a key that is not Alipay's
	TamperAfterSigning               // total_amount changed after signing
	TamperAmount                     // signed by Alipay, but for 0.01 more than the trade
	TamperAppID                      // signed by Alipay, but for another app_id
	TamperSellerID                   // signed by Alipay, but for another seller_id
	TamperUnsigned                   // without sign
)

// Notify delivers the notification of the paid trade outTradeNo, spoiled
// as t says, to its notify_url, and returns what the shop answered.
func (g *Gateway) Notify(outTradeNo string, t Tamper) (*Delivery, error) {
	g.mu.Lock()
	tr, ok := g.trades[outTradeNo]
	if !ok || tr.TradeNo == "" {
		g.mu.Unlock()
		return nil, fmt.Errorf("alipaytest: no paid trade %q", outTradeNo)
	}
	form := g.notifyFormLocked(tr)
	g.mu.Unlock()
	return g.deliver(tr.OutTradeNo, tr.NotifyURL, g.sealNotify(form, t))
}

// NotifyRefund delivers the trade_status_sync Alipay sends after the refund
// outRequestNo of the trade (gmt_refund, refund_fee, out_biz_no set).
func (g *Gateway) NotifyRefund(outTradeNo, outRequestNo string) (*Delivery, error) {
	g.mu.Lock()
	tr, ok := g.trades[outTradeNo]
	var found *Refund
	for i := range g.refunds {
		if g.refunds[i].OutTradeNo == outTradeNo && g.refunds[i].OutRequestNo == outRequestNo {
			found = &g.refunds[i]
		}
	}
	if !ok || found == nil {
		g.mu.Unlock()
		return nil, fmt.Errorf("alipaytest: no refund %q of %q", outRequestNo, outTradeNo)
	}
	form := g.notifyFormLocked(tr)
	form.Set("gmt_refund", found.At.In(shanghai).Format("2006-01-02 15:04:05.000"))
	form.Set("refund_fee", yuan(tr.Refunded))
	form.Set("out_biz_no", outRequestNo)
	if tr.Status == StatusClosed {
		form.Set("gmt_close", found.At.In(shanghai).Format(timeLayout))
	}
	g.mu.Unlock()
	return g.deliver(tr.OutTradeNo, tr.NotifyURL, g.sealNotify(form, TamperNone))
}

// ReturnParams are the signed parameters Alipay appends to return_url when
// it sends the payer back after paying the trade.
func (g *Gateway) ReturnParams(outTradeNo string) (url.Values, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	tr, ok := g.trades[outTradeNo]
	if !ok || tr.TradeNo == "" {
		return nil, fmt.Errorf("alipaytest: no paid trade %q", outTradeNo)
	}
	return g.returnParamsLocked(tr), nil
}

func (g *Gateway) returnParamsLocked(tr *Trade) url.Values {
	method := tr.Method
	if method == "" {
		method = "alipay.trade.page.pay"
	}
	v := url.Values{
		"charset": {"utf-8"}, "out_trade_no": {tr.OutTradeNo}, "method": {method + ".return"},
		"total_amount": {yuan(tr.Amount)}, "trade_no": {tr.TradeNo}, "auth_app_id": {g.AppID},
		"version": {"1.0"}, "app_id": {g.AppID}, "sign_type": {"RSA2"}, "seller_id": {g.SellerID},
		"timestamp": {time.Now().In(shanghai).Format(timeLayout)},
	}
	v.Set("sign", rsa2Sign(g.keys.alipay, []byte(signString(v, true))))
	return v
}

// notifyFormLocked is the TRADE_SUCCESS notification of a paid trade, as
// Alipay documents its fields, unsigned.
func (g *Gateway) notifyFormLocked(tr *Trade) url.Values {
	amount := yuan(tr.Amount)
	status := tr.Status
	if status == StatusWaitBuyerPay {
		status = StatusSuccess
	}
	return url.Values{
		"gmt_create": {tr.PaidAt.Add(-5 * time.Second).Format(timeLayout)}, "charset": {"utf-8"},
		"gmt_payment": {tr.PaidAt.Format(timeLayout)}, "notify_time": {time.Now().In(shanghai).Format(timeLayout)},
		"subject": {tr.Subject}, "buyer_id": {"2088102177846875"}, "buyer_logon_id": {"159****5620"},
		"invoice_amount": {amount}, "version": {"1.0"}, "notify_id": {"2026" + randomHex(15)},
		"fund_bill_list": {`[{"amount":"` + amount + `","fundChannel":"ALIPAYACCOUNT"}]`},
		"notify_type":    {"trade_status_sync"}, "out_trade_no": {tr.OutTradeNo}, "total_amount": {amount},
		"trade_status": {status}, "trade_no": {tr.TradeNo}, "auth_app_id": {g.AppID},
		"receipt_amount": {amount}, "point_amount": {"0.00"}, "buyer_pay_amount": {amount},
		"app_id": {g.AppID}, "sign_type": {"RSA2"}, "seller_id": {g.SellerID},
	}
}

// sealNotify signs form as Alipay does (sign_type left out), spoiled as t
// says.
func (g *Gateway) sealNotify(form url.Values, t Tamper) url.Values {
	key := g.keys.alipay
	switch t {
	case TamperSignature:
		key = g.keys.other
	case TamperAmount:
		fen, _ := parseYuan(form.Get("total_amount"))
		form.Set("total_amount", yuan(fen+1))
	case TamperAppID:
		form.Set("app_id", "2021999999999999")
		form.Set("auth_app_id", "2021999999999999")
	case TamperSellerID:
		form.Set("seller_id", "2088999999999999")
	}
	if t != TamperUnsigned {
		form.Set("sign", rsa2Sign(key, []byte(signString(form, true))))
	}
	if t == TamperAfterSigning {
		fen, _ := parseYuan(form.Get("total_amount"))
		form.Set("total_amount", yuan(fen+100))
	}
	return form
}

// deliver POSTs form to notifyURL and records the shop's answer.
func (g *Gateway) deliver(outTradeNo, notifyURL string, form url.Values) (*Delivery, error) {
	d := Delivery{OutTradeNo: outTradeNo, URL: notifyURL, Form: form}
	req, err := http.NewRequest(http.MethodPost, notifyURL, strings.NewReader(form.Encode()))
	if err == nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		req.Header.Set("User-Agent", "Mozilla/4.0")
		var resp *http.Response
		if resp, err = g.Client.Do(req); err == nil {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			d.Status, d.Body = resp.StatusCode, string(b)
		}
	}
	d.Err = err
	g.mu.Lock()
	g.deliveries = append(g.deliveries, d)
	g.mu.Unlock()
	return &d, err
}

// serveGateway answers gateway.do: the OpenAPI methods (POSTed forms,
// JSON answers) and the cashier of page pay (a POSTed form) and wap pay (a
// GET).
func (g *Gateway) serveGateway(w http.ResponseWriter, r *http.Request) {
	var v url.Values
	switch r.Method {
	case http.MethodGet:
		v = r.URL.Query()
	case http.MethodPost:
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		v = r.PostForm
	default:
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	method := v.Get("method")
	g.mu.Lock()
	g.calls = append(g.calls, method)
	g.mu.Unlock()
	cashier := method == "alipay.trade.page.pay" || method == "alipay.trade.wap.pay"
	if r.Method == http.MethodGet && method != "alipay.trade.wap.pay" {
		http.Error(w, "GET serves alipay.trade.wap.pay only", http.StatusBadRequest)
		return
	}
	respKey := strings.ReplaceAll(method, ".", "_") + "_response"
	if method == "" {
		respKey = "error_response"
	}
	if subCode, why := g.checkRequest(v); subCode != "" {
		if cashier {
			cashierError(w, subCode, why)
			return
		}
		key := respKey
		if subCode == "isv.invalid-app-id" {
			key = "error_response"
		}
		g.answer(w, v, key, false, kv{"code", "40002"}, kv{"msg", "Invalid Arguments"}, kv{"sub_code", subCode}, kv{"sub_msg", why})
		return
	}
	var biz map[string]any
	if err := json.Unmarshal([]byte(v.Get("biz_content")), &biz); err != nil {
		if cashier {
			cashierError(w, "isv.invalid-biz-content", "biz_content 不是 JSON")
			return
		}
		g.answer(w, v, respKey, true, kv{"code", "40002"}, kv{"msg", "Invalid Arguments"}, kv{"sub_code", "isv.invalid-parameter"}, kv{"sub_msg", "biz_content 不是 JSON"})
		return
	}
	str := func(k string) string { s, _ := biz[k].(string); return s }
	switch method {
	case "alipay.trade.page.pay", "alipay.trade.wap.pay":
		g.serveCashier(w, v, method, str)
	case "alipay.trade.query":
		g.serveQuery(w, v, respKey, str("out_trade_no"))
	case "alipay.trade.refund":
		g.serveRefund(w, v, respKey, str)
	case "alipay.trade.fastpay.refund.query":
		g.serveRefundQuery(w, v, respKey, str("out_trade_no"), str("out_request_no"))
	case "alipay.trade.close":
		g.serveClose(w, v, respKey, str("out_trade_no"))
	case "alipay.fund.trans.uni.transfer":
		g.serveTransfer(w, r, v, respKey, str)
	case "alipay.fund.trans.common.query":
		g.serveTransferQuery(w, v, respKey, str)
	default:
		g.answer(w, v, "error_response", false, kv{"code", "40004"}, kv{"msg", "Business Failed"}, kv{"sub_code", "isv.invalid-method"}, kv{"sub_msg", "不存在的方法名"})
	}
}

// checkRequest checks the common parameters and the signature; it returns
// the sub_code of Alipay's refusal, "" when the request is good.
func (g *Gateway) checkRequest(v url.Values) (subCode, why string) {
	for k, vs := range v {
		if len(vs) != 1 {
			return "isv.invalid-parameter", k + " 重复"
		}
	}
	if v.Get("app_id") != g.AppID {
		return "isv.invalid-app-id", "无效的AppID参数"
	}
	for k, want := range map[string]string{"format": "JSON", "charset": "utf-8", "sign_type": "RSA2", "version": "1.0"} {
		if got := v.Get(k); !strings.EqualFold(got, want) && !(k == "format" && got == "") {
			return "isv.invalid-parameter", fmt.Sprintf("%s 应为 %s", k, want)
		}
	}
	ts, err := time.ParseInLocation(timeLayout, v.Get("timestamp"), shanghai)
	if err != nil {
		return "isv.invalid-timestamp", "timestamp 格式错误"
	}
	if d := time.Since(ts); d > maxSkew || d < -maxSkew {
		return "isv.invalid-timestamp", "timestamp 与网关时间相差太多"
	}
	if sn := v.Get("app_cert_sn"); sn != "" || v.Get("alipay_root_cert_sn") != "" {
		if sn != g.keys.appCertSN {
			return "isv.invalid-app-cert-sn", "应用公钥证书SN(app_cert_sn)无效"
		}
		if v.Get("alipay_root_cert_sn") != g.keys.rootCertSN {
			return "isv.invalid-alipay-root-cert-sn", "支付宝根证书SN(alipay_root_cert_sn)无效"
		}
	}
	if v.Get("sign") == "" {
		return "isv.missing-signature", "缺少签名参数"
	}
	msg := signString(v, false)
	if rsa2Verify(&g.keys.app.PublicKey, []byte(msg), v.Get("sign")) != nil {
		return "isv.invalid-signature", "验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配，网关生成的验签字符串为：" + msg
	}
	return "", ""
}

// answer writes {"<key>":{members},"sign":"…"} (with alipay_cert_sn for a
// request of certificate mode), signed over the object's exact bytes.
func (g *Gateway) answer(w http.ResponseWriter, req url.Values, key string, sign bool, members ...kv) {
	obj := object(members...)
	top := []kv{{key, json.RawMessage(obj)}}
	if req.Get("app_cert_sn") != "" {
		top = append(top, kv{"alipay_cert_sn", g.AlipayCertSN()})
	}
	if sign {
		top = append(top, kv{"sign", rsa2Sign(g.keys.alipay, obj)})
	}
	w.Header().Set("Content-Type", "text/html;charset=utf-8")
	w.Write(object(top...))
}

func (g *Gateway) businessError(w http.ResponseWriter, req url.Values, key, subCode, subMsg string) {
	g.answer(w, req, key, true, kv{"code", "40004"}, kv{"msg", "Business Failed"}, kv{"sub_code", subCode}, kv{"sub_msg", subMsg})
}

func (g *Gateway) serveQuery(w http.ResponseWriter, req url.Values, key, outTradeNo string) {
	g.mu.Lock()
	tr, ok := g.trades[outTradeNo]
	var t Trade
	if ok {
		t = *tr
	}
	g.mu.Unlock()
	if !ok {
		g.businessError(w, req, key, "ACQ.TRADE_NOT_EXIST", "交易不存在")
		return
	}
	m := []kv{{"code", "10000"}, {"msg", "Success"}}
	if t.TradeNo != "" {
		m = append(m, kv{"trade_no", t.TradeNo})
	}
	m = append(m, kv{"out_trade_no", t.OutTradeNo}, kv{"buyer_logon_id", "159****5620"}, kv{"trade_status", t.Status},
		kv{"total_amount", yuan(t.Amount)})
	if t.TradeNo != "" {
		m = append(m, kv{"buyer_pay_amount", yuan(t.Amount)}, kv{"point_amount", "0.00"}, kv{"invoice_amount", yuan(t.Amount)},
			kv{"send_pay_date", t.PaidAt.Format(timeLayout)}, kv{"receipt_amount", yuan(t.Amount)},
			kv{"buyer_user_id", "2088102177846875"})
	}
	g.answer(w, req, key, true, m...)
}

func (g *Gateway) serveRefund(w http.ResponseWriter, req url.Values, key string, str func(string) string) {
	outTradeNo, outRequestNo := str("out_trade_no"), str("out_request_no")
	if outRequestNo == "" {
		outRequestNo = outTradeNo
	}
	amount, err := parseYuan(str("refund_amount"))
	if err != nil || amount <= 0 {
		g.answer(w, req, key, true, kv{"code", "40002"}, kv{"msg", "Invalid Arguments"}, kv{"sub_code", "isv.invalid-parameter"}, kv{"sub_msg", "refund_amount 无效"})
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	tr, ok := g.trades[outTradeNo]
	if !ok {
		g.businessError(w, req, key, "ACQ.TRADE_NOT_EXIST", "交易不存在")
		return
	}
	change := "Y"
	var seen *Refund
	for i := range g.refunds {
		if g.refunds[i].OutTradeNo == outTradeNo && g.refunds[i].OutRequestNo == outRequestNo {
			seen = &g.refunds[i]
		}
	}
	switch {
	case seen != nil && seen.Amount != amount:
		g.businessError(w, req, key, "ACQ.DISCORDANT_REPEAT_REQUEST", "请求信息不一致")
		return
	case seen != nil:
		change = "N"
	case tr.Status != StatusSuccess:
		g.businessError(w, req, key, "ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
		return
	case tr.Refunded+amount > tr.Amount:
		g.businessError(w, req, key, "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限")
		return
	default:
		tr.Refunded += amount
		g.refunds = append(g.refunds, Refund{OutTradeNo: outTradeNo, OutRequestNo: outRequestNo, Amount: amount, Reason: str("refund_reason"), At: time.Now()})
		if tr.Refunded == tr.Amount {
			tr.Status = StatusClosed
		}
	}
	g.answer(w, req, key, true, kv{"code", "10000"}, kv{"msg", "Success"}, kv{"trade_no", tr.TradeNo}, kv{"out_trade_no", outTradeNo},
		kv{"buyer_logon_id", "159****5620"}, kv{"fund_change", change}, kv{"refund_fee", yuan(tr.Refunded)},
		kv{"gmt_refund_pay", time.Now().In(shanghai).Format(timeLayout)}, kv{"buyer_user_id", "2088102177846875"})
}

func (g *Gateway) serveRefundQuery(w http.ResponseWriter, req url.Values, key, outTradeNo, outRequestNo string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	tr, ok := g.trades[outTradeNo]
	if !ok {
		g.businessError(w, req, key, "ACQ.TRADE_NOT_EXIST", "交易不存在")
		return
	}
	for _, rf := range g.refunds {
		if rf.OutTradeNo == outTradeNo && rf.OutRequestNo == outRequestNo {
			g.answer(w, req, key, true, kv{"code", "10000"}, kv{"msg", "Success"}, kv{"trade_no", tr.TradeNo},
				kv{"out_trade_no", outTradeNo}, kv{"out_request_no", outRequestNo}, kv{"total_amount", yuan(tr.Amount)},
				kv{"refund_amount", yuan(rf.Amount)}, kv{"refund_status", "REFUND_SUCCESS"},
				kv{"gmt_refund_pay", rf.At.In(shanghai).Format(timeLayout)})
			return
		}
	}
	// A refund Alipay does not know: code 10000 and no refund data.
	g.answer(w, req, key, true, kv{"code", "10000"}, kv{"msg", "Success"})
}

func (g *Gateway) serveClose(w http.ResponseWriter, req url.Values, key, outTradeNo string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	tr, ok := g.trades[outTradeNo]
	switch {
	case !ok:
		g.businessError(w, req, key, "ACQ.TRADE_NOT_EXIST", "交易不存在")
	case tr.Status != StatusWaitBuyerPay:
		g.businessError(w, req, key, "ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
	default:
		tr.Status = StatusClosed
		g.answer(w, req, key, true, kv{"code", "10000"}, kv{"msg", "Success"}, kv{"out_trade_no", outTradeNo})
	}
}

var cashierPage = template.Must(template.New("cashier").Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>支付宝 - 网上支付 安全快速！（模拟收银台）</title></head>
<body data-testid="alipay-cashier">
<h1>支付宝收银台（测试）</h1>
<p data-testid="alipay-subject">{{.Subject}}</p>
<p>订单号 <span data-testid="alipay-out-trade-no">{{.OutTradeNo}}</span></p>
<p>应付 ¥<span data-testid="alipay-amount">{{.Amount}}</span></p>
{{if .Payable}}<form method="post" action="/cashier/pay">
<input type="hidden" name="token" value="{{.Token}}">
<button type="submit" data-testid="alipay-confirm">确认付款</button>
</form>{{else}}<p data-testid="alipay-status">{{.Status}}</p>{{end}}
</body></html>
`))

// serveCashier opens (or reopens) the trade of a page or wap pay request
// and shows the cashier.
func (g *Gateway) serveCashier(w http.ResponseWriter, v url.Values, method string, str func(string) string) {
	product := map[string]string{"alipay.trade.page.pay": "FAST_INSTANT_TRADE_PAY", "alipay.trade.wap.pay": "QUICK_WAP_WAY"}[method]
	outTradeNo := str("out_trade_no")
	amount, err := parseYuan(str("total_amount"))
	switch {
	case outTradeNo == "" || len(outTradeNo) > 64:
		cashierError(w, "isv.invalid-parameter", "out_trade_no 无效")
		return
	case err != nil || amount <= 0 || amount > 100000000*100:
		cashierError(w, "isv.invalid-parameter", "total_amount 无效")
		return
	case str("subject") == "":
		cashierError(w, "isv.missing-parameter", "缺少 subject")
		return
	case str("product_code") != product:
		cashierError(w, "isv.invalid-parameter", "product_code 应为 "+product)
		return
	}
	g.mu.Lock()
	tr, ok := g.trades[outTradeNo]
	if ok && tr.Amount != amount {
		g.mu.Unlock()
		cashierError(w, "ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改")
		return
	}
	if !ok {
		tr = &Trade{OutTradeNo: outTradeNo, Amount: amount, Status: StatusWaitBuyerPay, token: randomHex(16)}
		g.trades[outTradeNo] = tr
	}
	if tr.Status == StatusWaitBuyerPay {
		tr.Subject, tr.Method, tr.NotifyURL, tr.ReturnURL = str("subject"), method, v.Get("notify_url"), v.Get("return_url")
	}
	data := struct {
		Subject, OutTradeNo, Amount, Token, Status string
		Payable                                    bool
	}{tr.Subject, tr.OutTradeNo, yuan(tr.Amount), tr.token, map[string]string{StatusSuccess: "该订单已支付", StatusClosed: "交易已关闭"}[tr.Status],
		tr.Status == StatusWaitBuyerPay}
	g.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = cashierPage.Execute(w, data)
}

// serveConfirm is the 确认付款 button: the trade is paid, the notification
// delivered, and the browser sent to return_url with the signed return
// parameters.
func (g *Gateway) serveConfirm(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	token := r.PostFormValue("token")
	g.mu.Lock()
	var tr *Trade
	for _, t := range g.trades {
		if token != "" && t.token == token {
			tr = t
		}
	}
	if tr == nil {
		g.mu.Unlock()
		cashierError(w, "ACQ.TRADE_NOT_EXIST", "交易不存在")
		return
	}
	wasPaid := tr.Status == StatusSuccess
	if err := g.payLocked(tr); err != nil {
		g.mu.Unlock()
		cashierError(w, "ACQ.TRADE_STATUS_ERROR", err.Error())
		return
	}
	form := g.notifyFormLocked(tr)
	back := tr.ReturnURL
	ret := g.returnParamsLocked(tr)
	g.mu.Unlock()
	if !wasPaid {
		// A failed delivery is recorded; Alipay would retry it later.
		_, _ = g.deliver(tr.OutTradeNo, tr.NotifyURL, g.sealNotify(form, TamperNone))
	}
	if back == "" {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>支付成功</title></head><body><p data-testid="alipay-paid">支付成功</p></body></html>`)
		return
	}
	sep := "?"
	if strings.Contains(back, "?") {
		sep = "&"
	}
	http.Redirect(w, r, back+sep+ret.Encode(), http.StatusSeeOther)
}

func cashierError(w http.ResponseWriter, code, why string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusBadRequest)
	fmt.Fprintf(w, `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>支付宝 - 错误</title></head><body><p>抱歉，支付遇到问题</p><p data-testid="alipay-error">错误代码 %s</p><p>%s</p></body></html>`,
		template.HTMLEscapeString(code), template.HTMLEscapeString(why))
}

// yuan writes fen as Alipay's yuan amount ("12.34").
func yuan(f store.Fen) string { return fmt.Sprintf("%d.%02d", int64(f)/100, int64(f)%100) }

// parseYuan reads "12.34", "12.3" or "12".
func parseYuan(s string) (store.Fen, error) {
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(frac) > 2 || strings.ContainsAny(s, "+- ") {
		return 0, errors.New("bad amount")
	}
	for len(frac) < 2 {
		frac += "0"
	}
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil {
		return 0, errors.New("bad amount")
	}
	return store.Fen(n), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Trades lists copies of the trades, by number.
func (g *Gateway) Trades() []Trade {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []Trade
	for _, t := range g.trades {
		out = append(out, *t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].OutTradeNo < out[j].OutTradeNo })
	return out
}
