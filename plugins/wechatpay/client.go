package wechatpay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// maxResponse is the largest gateway answer read.
const maxResponse = 1 << 20

// APIError is the gateway's answer to a refused request.
type APIError struct {
	Status  int
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *APIError) Error() string {
	return fmt.Sprintf("wechatpay: HTTP %d %s: %s", e.Status, e.Code, e.Message)
}

// Client calls the gateway with a Config.
type Client struct {
	cfg Config
}

// NewClient returns a client; cfg must pass Check.
func NewClient(cfg Config) (*Client, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = http.DefaultClient
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Client{cfg: cfg}, nil
}

// do sends a signed request (in != nil: its JSON body) and, for a 2xx
// answer, verifies the gateway's signature before decoding it into out.
func (c *Client) do(ctx context.Context, method, pathQuery string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, c.cfg.BaseURL+pathQuery, bytes.NewReader(body))
	if err != nil {
		return err
	}
	auth, err := c.cfg.Authorization(method, req.URL.RequestURI(), body, c.cfg.Now(), Nonce())
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", auth)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", "xiaodian-wechatpay/1")
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("wechatpay: %s %s: %w", method, pathQuery, err)
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return fmt.Errorf("wechatpay: %s %s: %w", method, pathQuery, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := &APIError{Status: resp.StatusCode}
		_ = json.Unmarshal(rb, e)
		return e
	}
	if err := VerifyMessage(c.cfg.PlatformKeys, c.cfg.Now(), resp.Header, rb); err != nil {
		return fmt.Errorf("wechatpay: %s %s: response: %w", method, pathQuery, err)
	}
	if out == nil || len(rb) == 0 {
		return nil
	}
	if err := json.Unmarshal(rb, out); err != nil {
		return fmt.Errorf("wechatpay: %s %s: response: %w", method, pathQuery, err)
	}
	return nil
}

// Amount is an order's amount in fen.
type Amount struct {
	Total         int64  `json:"total"`
	Currency      string `json:"currency,omitempty"`
	PayerTotal    int64  `json:"payer_total,omitempty"`
	PayerCurrency string `json:"payer_currency,omitempty"`
}

// Order is a 下单 request.
type Order struct {
	Description string
	OutTradeNo  string
	TimeExpire  time.Time // zero: the gateway's default
	NotifyURL   string
	Total       int64  // fen
	Currency    string // "CNY" when ""
	OpenID      string // JSAPI: the payer
	ClientIP    string // H5: the payer's IP
}

type prepayBody struct {
	AppID       string    `json:"appid"`
	MchID       string    `json:"mchid"`
	Description string    `json:"description"`
	OutTradeNo  string    `json:"out_trade_no"`
	TimeExpire  string    `json:"time_expire,omitempty"`
	NotifyURL   string    `json:"notify_url"`
	Amount      Amount    `json:"amount"`
	Payer       *payer    `json:"payer,omitempty"`
	SceneInfo   *sceneInf `json:"scene_info,omitempty"`
}

type payer struct {
	OpenID string `json:"openid"`
}

type sceneInf struct {
	PayerClientIP string  `json:"payer_client_ip"`
	H5Info        *h5Info `json:"h5_info,omitempty"`
}

type h5Info struct {
	Type string `json:"type"`
}

func (c *Client) prepayBody(o Order) (prepayBody, error) {
	if o.OutTradeNo == "" || len(o.OutTradeNo) > 32 {
		return prepayBody{}, errors.New("wechatpay: out_trade_no must have 1 to 32 characters")
	}
	if o.Total <= 0 {
		return prepayBody{}, errors.New("wechatpay: amount must be positive")
	}
	if o.Description == "" {
		return prepayBody{}, errors.New("wechatpay: description required")
	}
	cur := o.Currency
	if cur == "" {
		cur = "CNY"
	}
	b := prepayBody{AppID: c.cfg.AppID, MchID: c.cfg.MchID, Description: o.Description,
		OutTradeNo: o.OutTradeNo, NotifyURL: o.NotifyURL, Amount: Amount{Total: o.Total, Currency: cur}}
	if !o.TimeExpire.IsZero() {
		b.TimeExpire = o.TimeExpire.Format(time.RFC3339)
	}
	return b, nil
}

// PrepayJSAPI places a JSAPI order (the payer's OpenID is required) and
// returns its prepay_id.
func (c *Client) PrepayJSAPI(ctx context.Context, o Order) (string, error) {
	b, err := c.prepayBody(o)
	if err != nil {
		return "", err
	}
	if o.OpenID == "" {
		return "", errors.New("wechatpay: JSAPI needs the payer's openid")
	}
	b.Payer = &payer{OpenID: o.OpenID}
	var out struct {
		PrepayID string `json:"prepay_id"`
	}
	if err := c.do(ctx, http.MethodPost, "/v3/pay/transactions/jsapi", b, &out); err != nil {
		return "", err
	}
	if out.PrepayID == "" {
		return "", errors.New("wechatpay: jsapi: no prepay_id")
	}
	return out.PrepayID, nil
}

// PrepayH5 places an H5 order (the payer's IP is required) and returns the
// h5_url the phone browser goes to.
func (c *Client) PrepayH5(ctx context.Context, o Order) (string, error) {
	b, err := c.prepayBody(o)
	if err != nil {
		return "", err
	}
	if o.ClientIP == "" {
		return "", errors.New("wechatpay: H5 needs the payer's IP")
	}
	b.SceneInfo = &sceneInf{PayerClientIP: o.ClientIP, H5Info: &h5Info{Type: "Wap"}}
	var out struct {
		H5URL string `json:"h5_url"`
	}
	if err := c.do(ctx, http.MethodPost, "/v3/pay/transactions/h5", b, &out); err != nil {
		return "", err
	}
	if out.H5URL == "" {
		return "", errors.New("wechatpay: h5: no h5_url")
	}
	return out.H5URL, nil
}

// PrepayNative places a Native order and returns the code_url to show as a
// QR code.
func (c *Client) PrepayNative(ctx context.Context, o Order) (string, error) {
	b, err := c.prepayBody(o)
	if err != nil {
		return "", err
	}
	var out struct {
		CodeURL string `json:"code_url"`
	}
	if err := c.do(ctx, http.MethodPost, "/v3/pay/transactions/native", b, &out); err != nil {
		return "", err
	}
	if out.CodeURL == "" {
		return "", errors.New("wechatpay: native: no code_url")
	}
	return out.CodeURL, nil
}

// Trade states of a Transaction.
const (
	TradeSuccess    = "SUCCESS"
	TradeRefund     = "REFUND"
	TradeNotPay     = "NOTPAY"
	TradeClosed     = "CLOSED"
	TradeRevoked    = "REVOKED"
	TradeUserPaying = "USERPAYING"
	TradePayError   = "PAYERROR"
)

// Transaction is an order as the gateway tells it (查询订单, and the
// decrypted TRANSACTION.SUCCESS callback).
type Transaction struct {
	AppID          string `json:"appid"`
	MchID          string `json:"mchid"`
	OutTradeNo     string `json:"out_trade_no"`
	TransactionID  string `json:"transaction_id"`
	TradeType      string `json:"trade_type"`
	TradeState     string `json:"trade_state"`
	TradeStateDesc string `json:"trade_state_desc"`
	SuccessTime    string `json:"success_time"`
	Payer          struct {
		OpenID string `json:"openid"`
	} `json:"payer"`
	Amount Amount `json:"amount"`

	raw []byte // the verified answer, set by QueryByOutTradeNo
}

// QueryByOutTradeNo asks the gateway about our order number.
func (c *Client) QueryByOutTradeNo(ctx context.Context, outTradeNo string) (*Transaction, error) {
	if outTradeNo == "" {
		return nil, errors.New("wechatpay: query: no out_trade_no")
	}
	var t Transaction
	p := "/v3/pay/transactions/out-trade-no/" + url.PathEscape(outTradeNo) + "?mchid=" + url.QueryEscape(c.cfg.MchID)
	var raw json.RawMessage
	if err := c.do(ctx, http.MethodGet, p, nil, &raw); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(raw, &t); err != nil {
		return nil, fmt.Errorf("wechatpay: query: %w", err)
	}
	t.raw = raw
	if t.OutTradeNo != outTradeNo || t.MchID != c.cfg.MchID {
		return nil, errors.New("wechatpay: query: the answer is about another order")
	}
	return &t, nil
}

// CloseOrder closes an unpaid order (the gateway answers 204).
func (c *Client) CloseOrder(ctx context.Context, outTradeNo string) error {
	if outTradeNo == "" {
		return errors.New("wechatpay: close: no out_trade_no")
	}
	p := "/v3/pay/transactions/out-trade-no/" + url.PathEscape(outTradeNo) + "/close"
	return c.do(ctx, http.MethodPost, p, map[string]string{"mchid": c.cfg.MchID}, nil)
}

// RefundOrder is a 申请退款 request.
type RefundOrder struct {
	TransactionID string // the gateway's number, or
	OutTradeNo    string // ours
	OutRefundNo   string
	Reason        string
	NotifyURL     string
	Refund        int64 // fen
	Total         int64 // the order's total, fen
	Currency      string
}

// Refund statuses.
const (
	RefundSuccess    = "SUCCESS"
	RefundClosed     = "CLOSED"
	RefundProcessing = "PROCESSING"
	RefundAbnormal   = "ABNORMAL"
)

// Refund is the gateway's answer about a refund (申请退款 and the decrypted
// refund callback; the callback calls the status refund_status).
type Refund struct {
	MchID         string `json:"mchid,omitempty"`
	RefundID      string `json:"refund_id"`
	OutRefundNo   string `json:"out_refund_no"`
	TransactionID string `json:"transaction_id"`
	OutTradeNo    string `json:"out_trade_no"`
	Status        string `json:"status,omitempty"`
	RefundStatus  string `json:"refund_status,omitempty"`
	SuccessTime   string `json:"success_time,omitempty"`
	Amount        struct {
		Total    int64  `json:"total"`
		Refund   int64  `json:"refund"`
		Currency string `json:"currency,omitempty"`
	} `json:"amount"`
}

// Refund asks for a refund; the same OutRefundNo retried is one refund.
func (c *Client) Refund(ctx context.Context, r RefundOrder) (*Refund, error) {
	if r.OutRefundNo == "" || (r.TransactionID == "" && r.OutTradeNo == "") {
		return nil, errors.New("wechatpay: refund: numbers missing")
	}
	if r.Refund <= 0 || r.Refund > r.Total {
		return nil, fmt.Errorf("wechatpay: refund: amount %d out of range", r.Refund)
	}
	cur := r.Currency
	if cur == "" {
		cur = "CNY"
	}
	type amt struct {
		Refund   int64  `json:"refund"`
		Total    int64  `json:"total"`
		Currency string `json:"currency"`
	}
	in := struct {
		TransactionID string `json:"transaction_id,omitempty"`
		OutTradeNo    string `json:"out_trade_no,omitempty"`
		OutRefundNo   string `json:"out_refund_no"`
		Reason        string `json:"reason,omitempty"`
		NotifyURL     string `json:"notify_url,omitempty"`
		Amount        amt    `json:"amount"`
	}{r.TransactionID, r.OutTradeNo, r.OutRefundNo, r.Reason, r.NotifyURL, amt{r.Refund, r.Total, cur}}
	var out Refund
	if err := c.do(ctx, http.MethodPost, "/v3/refund/domestic/refunds", in, &out); err != nil {
		return nil, err
	}
	if out.OutRefundNo != r.OutRefundNo || out.RefundID == "" {
		return nil, errors.New("wechatpay: refund: the answer is about another refund")
	}
	return &out, nil
}
