package alipay

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xiaodian/xiaodian/store"
)

// shanghai is China Standard Time (no daylight saving): Alipay's clock.
var shanghai = time.FixedZone("CST", 8*3600)

// timeLayout is Alipay's timestamp layout.
const timeLayout = "2006-01-02 15:04:05"

// maxResponse is the largest gateway answer read.
const maxResponse = 1 << 20

// Product codes.
const (
	ProductPage = "FAST_INSTANT_TRADE_PAY" // alipay.trade.page.pay
	ProductWap  = "QUICK_WAP_WAY"          // alipay.trade.wap.pay
)

// Trade statuses.
const (
	TradeWaitBuyerPay = "WAIT_BUYER_PAY"
	TradeClosed       = "TRADE_CLOSED"
	TradeSuccess      = "TRADE_SUCCESS"
	TradeFinished     = "TRADE_FINISHED"
)

// Client calls the Alipay OpenAPI gateway. It is safe for concurrent use.
type Client struct {
	cfg Config
}

// NewClient returns a client for cfg, filling in the defaults.
func NewClient(cfg Config) *Client {
	if cfg.Gateway == "" {
		cfg.Gateway = DefaultGateway
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Client{cfg: cfg}
}

// Error is a gateway answer other than code 10000 (接口调用成功). Unsigned
// is set when Alipay did not sign it (it leaves errors such as a bad app_id
// or a bad request signature unsigned): such an answer says why a call
// failed but proves nothing.
type Error struct {
	Method   string
	Code     string
	Msg      string
	SubCode  string
	SubMsg   string
	Unsigned bool
}

func (e *Error) Error() string {
	if e.Unsigned {
		return fmt.Sprintf("alipay %s: unsigned answer (code %q %q, sub_code %q %q)", e.Method, e.Code, e.Msg, e.SubCode, e.SubMsg)
	}
	return fmt.Sprintf("alipay %s: %s %s (%s %s)", e.Method, e.Code, e.Msg, e.SubCode, e.SubMsg)
}

// IsTradeNotExist reports whether err is the gateway saying, in a signed
// answer, that it knows no such trade (ACQ.TRADE_NOT_EXIST: the payer never
// opened the cashier).
func IsTradeNotExist(err error) bool {
	var e *Error
	return errors.As(err, &e) && !e.Unsigned && e.SubCode == "ACQ.TRADE_NOT_EXIST"
}

// ErrAnswerSignature is an answer whose signature does not verify with the
// Alipay public key in use.
var ErrAnswerSignature = errors.New("alipay: the answer's signature does not verify with the Alipay public key")

// ErrAlipayCertSN is an answer of certificate mode whose alipay_cert_sn is
// not the SN of the configured 支付宝公钥证书: Alipay issued a new one.
var ErrAlipayCertSN = errors.New("alipay: the answer names another Alipay certificate (alipay_cert_sn)")

// params returns the signed request parameters of method with biz as
// biz_content.
func (c *Client) params(method string, biz any, notifyURL, returnURL string) (url.Values, error) {
	if c.cfg.AppID == "" || c.cfg.PrivateKey == nil {
		return nil, errors.New("alipay: app id or private key not configured")
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(biz); err != nil {
		return nil, fmt.Errorf("alipay %s: %w", method, err)
	}
	v := url.Values{}
	v.Set("app_id", c.cfg.AppID)
	v.Set("method", method)
	v.Set("format", "JSON")
	v.Set("charset", "utf-8")
	v.Set("sign_type", "RSA2")
	v.Set("timestamp", c.cfg.Now().In(shanghai).Format(timeLayout))
	v.Set("version", "1.0")
	v.Set("biz_content", strings.TrimSuffix(b.String(), "\n"))
	if notifyURL != "" {
		v.Set("notify_url", notifyURL)
	}
	if returnURL != "" {
		v.Set("return_url", returnURL)
	}
	if c.cfg.CertMode() {
		v.Set("app_cert_sn", c.cfg.AppCertSN)
		v.Set("alipay_root_cert_sn", c.cfg.AlipayRootCertSN)
	}
	if err := SignParams(c.cfg.PrivateKey, v); err != nil {
		return nil, err
	}
	return v, nil
}

// TradePay describes a page or wap payment.
type TradePay struct {
	OutTradeNo string
	Amount     store.Fen
	Subject    string
	NotifyURL  string
	ReturnURL  string
	QuitURL    string    // wap: where 取消 leads
	TimeExpire time.Time // zero: Alipay's default
}

type payBiz struct {
	OutTradeNo  string `json:"out_trade_no"`
	TotalAmount string `json:"total_amount"`
	Subject     string `json:"subject"`
	ProductCode string `json:"product_code"`
	TimeExpire  string `json:"time_expire,omitempty"`
	QuitURL     string `json:"quit_url,omitempty"`
}

func (c *Client) payParams(method, product string, p TradePay) (url.Values, error) {
	if p.OutTradeNo == "" || len(p.OutTradeNo) > 64 {
		return nil, fmt.Errorf("alipay %s: bad out_trade_no %q", method, p.OutTradeNo)
	}
	if p.Amount <= 0 || p.Amount > store.MaxPrice {
		return nil, fmt.Errorf("alipay %s: amount %d out of range", method, p.Amount)
	}
	biz := payBiz{
		OutTradeNo: p.OutTradeNo, TotalAmount: FormatYuan(p.Amount),
		Subject: truncate(p.Subject, 256), ProductCode: product,
	}
	if biz.Subject == "" {
		biz.Subject = p.OutTradeNo
	}
	if !p.TimeExpire.IsZero() {
		biz.TimeExpire = p.TimeExpire.In(shanghai).Format(timeLayout)
	}
	if product == ProductWap {
		biz.QuitURL = p.QuitURL
	}
	return c.params(method, biz, p.NotifyURL, p.ReturnURL)
}

// PagePay builds alipay.trade.page.pay (电脑网站支付): the browser POSTs
// fields to action.
func (c *Client) PagePay(p TradePay) (action string, fields map[string]string, err error) {
	v, err := c.payParams("alipay.trade.page.pay", ProductPage, p)
	if err != nil {
		return "", nil, err
	}
	fields = make(map[string]string, len(v))
	for k := range v {
		fields[k] = v.Get(k)
	}
	return c.cfg.Gateway + "?charset=utf-8", fields, nil
}

// WapPayURL builds alipay.trade.wap.pay (手机网站支付) as a signed GET URL.
func (c *Client) WapPayURL(p TradePay) (string, error) {
	v, err := c.payParams("alipay.trade.wap.pay", ProductWap, p)
	if err != nil {
		return "", err
	}
	return c.cfg.Gateway + "?" + v.Encode(), nil
}

// status is the common part of every response.
type status struct {
	Code    string `json:"code"`
	Msg     string `json:"msg"`
	SubCode string `json:"sub_code"`
	SubMsg  string `json:"sub_msg"`
}

// call POSTs method to the gateway, checks the signature of the answer
// (the exact bytes of its "<method>_response" object) and decodes it into
// out when its code is 10000; it returns the verified object.
func (c *Client) call(ctx context.Context, method string, biz, out any) (json.RawMessage, error) {
	v, err := c.params(method, biz, "", "")
	if err != nil {
		return nil, err
	}
	if c.cfg.AlipayPublicKey == nil {
		return nil, errors.New("alipay: Alipay public key not configured")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.Gateway, strings.NewReader(v.Encode()))
	if err != nil {
		return nil, fmt.Errorf("alipay %s: %w", method, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=utf-8")
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("alipay %s: %w", method, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return nil, fmt.Errorf("alipay %s: %w", method, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("alipay %s: HTTP %d", method, resp.StatusCode)
	}
	if len(body) > maxResponse {
		return nil, fmt.Errorf("alipay %s: answer too large", method)
	}
	raw, err := verifyResponse(c.cfg.AlipayPublicKey, c.cfg.AlipayCertSN, method, body)
	if err != nil {
		return nil, err
	}
	var st status
	if err := json.Unmarshal(raw, &st); err != nil {
		return nil, fmt.Errorf("alipay %s: malformed answer: %w", method, err)
	}
	if st.Code != "10000" {
		return nil, &Error{Method: method, Code: st.Code, Msg: st.Msg, SubCode: st.SubCode, SubMsg: st.SubMsg}
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return nil, fmt.Errorf("alipay %s: malformed answer: %w", method, err)
	}
	return raw, nil
}

// verifyResponse returns the "<method>_response" (or "error_response")
// object of a gateway answer once its "sign" checks out over its exact
// bytes. certSN, when set (certificate mode), must be the answer's
// alipay_cert_sn if it has one. An unsigned answer is returned as an
// *Error with Unsigned set.
func verifyResponse(pub *rsa.PublicKey, certSN, method string, body []byte) (json.RawMessage, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, fmt.Errorf("alipay %s: malformed answer: %w", method, err)
	}
	raw, ok := top[strings.ReplaceAll(method, ".", "_")+"_response"]
	if !ok {
		raw, ok = top["error_response"]
	}
	if !ok {
		return nil, fmt.Errorf("alipay %s: answer without a response object", method)
	}
	sig, err := topString(top, "sign")
	if err != nil {
		return nil, fmt.Errorf("alipay %s: malformed sign", method)
	}
	if sig == "" {
		var st status
		_ = json.Unmarshal(raw, &st)
		return nil, &Error{Method: method, Code: st.Code, Msg: st.Msg, SubCode: st.SubCode, SubMsg: st.SubMsg, Unsigned: true}
	}
	if err := Verify(pub, raw, sig); err != nil {
		return nil, fmt.Errorf("alipay %s: %w", method, ErrAnswerSignature)
	}
	if certSN != "" {
		got, err := topString(top, "alipay_cert_sn")
		if err != nil {
			return nil, fmt.Errorf("alipay %s: malformed alipay_cert_sn", method)
		}
		if got != "" && got != certSN {
			return nil, fmt.Errorf("alipay %s: %w: %q, configured %q", method, ErrAlipayCertSN, got, certSN)
		}
	}
	return raw, nil
}

// topString reads the string member name of an answer, "" when absent.
func topString(top map[string]json.RawMessage, name string) (string, error) {
	m, ok := top[name]
	if !ok {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(m, &s); err != nil {
		return "", err
	}
	return s, nil
}

// Trade is what alipay.trade.query says about a trade.
type Trade struct {
	TradeNo      string `json:"trade_no"`
	OutTradeNo   string `json:"out_trade_no"`
	TradeStatus  string `json:"trade_status"`
	TotalAmount  string `json:"total_amount"`
	BuyerLogonID string `json:"buyer_logon_id"`
}

// Query calls alipay.trade.query for our number outTradeNo. A trade the
// payer never opened answers an error for which IsTradeNotExist is true.
func (c *Client) Query(ctx context.Context, outTradeNo string) (*Trade, error) {
	var t Trade
	_, err := c.call(ctx, "alipay.trade.query", map[string]string{"out_trade_no": outTradeNo}, &t)
	if err != nil {
		return nil, err
	}
	if t.OutTradeNo != outTradeNo {
		return nil, fmt.Errorf("alipay query: answer for %q, asked %q", t.OutTradeNo, outTradeNo)
	}
	return &t, nil
}

// TradeRefund asks for Amount of trade OutTradeNo back; OutRequestNo
// makes retries one refund.
type TradeRefund struct {
	OutTradeNo   string
	OutRequestNo string
	Amount       store.Fen
	Reason       string
}

// RefundAnswer is what alipay.trade.refund answers.
type RefundAnswer struct {
	TradeNo    string `json:"trade_no"`
	OutTradeNo string `json:"out_trade_no"`
	FundChange string `json:"fund_change"` // "Y": this call moved money
	RefundFee  string `json:"refund_fee"`  // refunded so far in the trade
}

// Refund calls alipay.trade.refund.
func (c *Client) Refund(ctx context.Context, r TradeRefund) (*RefundAnswer, error) {
	if r.OutTradeNo == "" || r.OutRequestNo == "" || len(r.OutRequestNo) > 64 {
		return nil, errors.New("alipay refund: missing numbers")
	}
	if r.Amount <= 0 || r.Amount > store.MaxPrice {
		return nil, fmt.Errorf("alipay refund: amount %d out of range", r.Amount)
	}
	biz := map[string]string{
		"out_trade_no":   r.OutTradeNo,
		"refund_amount":  FormatYuan(r.Amount),
		"out_request_no": r.OutRequestNo,
	}
	if r.Reason != "" {
		biz["refund_reason"] = truncate(r.Reason, 256)
	}
	var a RefundAnswer
	if _, err := c.call(ctx, "alipay.trade.refund", biz, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// RefundState is what alipay.trade.fastpay.refund.query answers.
type RefundState struct {
	TradeNo      string `json:"trade_no"`
	OutTradeNo   string `json:"out_trade_no"`
	OutRequestNo string `json:"out_request_no"`
	RefundAmount string `json:"refund_amount"`
	// RefundStatus is "REFUND_SUCCESS" once the money is back; empty when
	// the refund was not received or failed.
	RefundStatus string `json:"refund_status"`
	// Raw is the verified answer object.
	Raw string `json:"-"`
}

// RefundQuery calls alipay.trade.fastpay.refund.query. Code 10000 only
// says the query worked: a refund Alipay does not know (never received, or
// refused) answers without refund_status.
func (c *Client) RefundQuery(ctx context.Context, outTradeNo, outRequestNo string) (*RefundState, error) {
	var s RefundState
	biz := map[string]string{"out_trade_no": outTradeNo, "out_request_no": outRequestNo}
	raw, err := c.call(ctx, "alipay.trade.fastpay.refund.query", biz, &s)
	if err != nil {
		return nil, err
	}
	s.Raw = string(raw)
	return &s, nil
}

// Close calls alipay.trade.close. A trade the payer never opened has
// nothing to close: that is not an error.
func (c *Client) Close(ctx context.Context, outTradeNo string) error {
	var out struct{}
	_, err := c.call(ctx, "alipay.trade.close", map[string]string{"out_trade_no": outTradeNo}, &out)
	if IsTradeNotExist(err) {
		return nil
	}
	return err
}

// truncate cuts s to at most n runes.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n])
}
