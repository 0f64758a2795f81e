package wechatpay

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
)

// maxResponse is the largest gateway answer read.
const maxResponse = 1 << 20

// defaultHTTPClient calls the gateway when neither the Config nor the
// shop's environment gives a client.
var defaultHTTPClient = &http.Client{Timeout: 15 * time.Second}

// chinaTime is the zone of the gateway's times (time_expire is sent in it).
var chinaTime = time.FixedZone("CST", 8*3600)

// APIError is the gateway's answer to a refused request. Verified says the
// answer carried the gateway's signature and it checked out. The
// documentation says the gateway signs its answer to every request whose
// signature it accepted, that signed answers are to be verified and that a
// 2xx answer without a signature is forged
// (https://pay.weixin.qq.com/wiki/doc/apiv3_partner/wechatpay/wechatpay3_3.shtml,
// https://wechatpay-api.gitbook.io/wechatpay-api-v3/ren-zheng/qian-ming-he-zheng-shu);
// it does not single out 4xx answers, so an error is verified when it is
// signed and an unsigned one (the 401 for a refused signature) is kept
// unverified.
type APIError struct {
	Status   int
	Code     string `json:"code"`
	Message  string `json:"message"`
	Verified bool   `json:"-"`
}

func (e *APIError) Error() string {
	return fmt.Sprintf("wechatpay: HTTP %d %s: %s", e.Status, e.Code, e.Message)
}

// IsAPIError reports whether err is the gateway's answer with the given
// code (any code when code is "").
func IsAPIError(err error, code string) bool {
	var ae *APIError
	return errors.As(err, &ae) && (code == "" || ae.Code == code)
}

// Client calls the gateway with a Config.
type Client struct {
	cfg   Config
	certs *certStore // downloaded 平台证书; nil unless cfg.DownloadCertificates
}

// NewClient returns a client; cfg must pass Check. With
// cfg.DownloadCertificates it downloads the 平台证书 when it first needs
// them and keeps them in memory only (the plugin also caches them in the
// shop's database).
func NewClient(cfg Config) (*Client, error) {
	return newClient(cfg, nil)
}

// newClient is NewClient with the certificate store to use (shared across
// configurations of the same merchant); nil makes a new one when needed.
func newClient(cfg Config, certs *certStore) (*Client, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = defaultHTTPClient
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	keys := make(map[string]*rsa.PublicKey, len(cfg.PlatformKeys))
	for serial, k := range cfg.PlatformKeys {
		if k != nil {
			keys[NormalizeSerial(serial)] = k
		}
	}
	cfg.PlatformKeys = keys
	c := &Client{cfg: cfg}
	if cfg.DownloadCertificates {
		if certs == nil {
			certs = newCertStore(cfg.MchID, cfg.BaseURL, nil, nil)
		}
		c.certs = certs
	}
	return c, nil
}

// key finds the gateway's key named by a Wechatpay-Serial header: a key
// given by hand, else a downloaded 平台证书 that has not expired.
func (c *Client) key(serial string) *rsa.PublicKey {
	serial = NormalizeSerial(serial)
	if k := c.cfg.PlatformKeys[serial]; k != nil {
		return k
	}
	if c.certs != nil {
		return c.certs.key(serial, c.cfg.Now())
	}
	return nil
}

// verify checks a signed answer or callback against the known keys. When
// its serial is unknown and 平台证书 are downloaded, they are downloaded
// again (at most once a minute, concurrent callers sharing one download)
// and the check repeated.
func (c *Client) verify(ctx context.Context, h http.Header, body []byte) error {
	err := verifyMessage(c.key, c.cfg.Now(), h, body)
	if !errors.Is(err, ErrUnknownSerial) || c.certs == nil {
		return err
	}
	// Check again even when the refresh was refused as too soon: another
	// caller may just have downloaded the certificate.
	rerr := c.certs.refresh(ctx, c, false)
	err = verifyMessage(c.key, c.cfg.Now(), h, body)
	if err != nil && rerr != nil {
		return fmt.Errorf("%w (certificates: %v)", err, rerr)
	}
	return err
}

// answer is a gateway's raw answer.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// send sends a signed request (in != nil: its JSON body) and reads the
// answer, unverified.
func (c *Client) send(ctx context.Context, method, pathQuery string, in any) (*answer, error) {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return nil, err
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, c.cfg.BaseURL+pathQuery, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	auth, err := c.cfg.Authorization(method, req.URL.RequestURI(), body, c.cfg.Now(), Nonce())
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", auth)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.cfg.PublicKeyID != "" {
		req.Header.Set(HeaderSerial, c.cfg.PublicKeyID)
	}
	req.Header.Set("User-Agent", "xiaodian-wechatpay/1")
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("wechatpay: %s %s: %w", method, pathQuery, err)
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return nil, fmt.Errorf("wechatpay: %s %s: %w", method, pathQuery, err)
	}
	return &answer{status: resp.StatusCode, header: resp.Header, body: rb}, nil
}

// check verifies an answer: a 2xx answer must be signed; any other answer
// is verified when it is signed and returned as an *APIError.
func (c *Client) check(ctx context.Context, a *answer, verify func(context.Context, http.Header, []byte) error) error {
	ok := a.status >= 200 && a.status <= 299
	if !ok && !signed(a.header) {
		e := &APIError{Status: a.status}
		_ = json.Unmarshal(a.body, e)
		return e
	}
	if err := verify(ctx, a.header, a.body); err != nil {
		if !ok {
			return fmt.Errorf("HTTP %d answer: %w", a.status, err)
		}
		return err
	}
	if !ok {
		e := &APIError{Status: a.status, Verified: true}
		_ = json.Unmarshal(a.body, e)
		return e
	}
	return nil
}

// do sends a signed request and verifies the answer before decoding a 2xx
// one into out.
func (c *Client) do(ctx context.Context, method, pathQuery string, in, out any) error {
	c.maybeRefresh(ctx)
	a, err := c.send(ctx, method, pathQuery, in)
	if err != nil {
		return err
	}
	if err := c.check(ctx, a, c.verify); err != nil {
		var ae *APIError
		if errors.As(err, &ae) {
			return err
		}
		return fmt.Errorf("wechatpay: %s %s: response: %w", method, pathQuery, err)
	}
	if out == nil || len(a.body) == 0 {
		return nil
	}
	if err := json.Unmarshal(a.body, out); err != nil {
		return fmt.Errorf("wechatpay: %s %s: response: %w", method, pathQuery, err)
	}
	return nil
}

// maybeRefresh starts a refresh of the 平台证书 when they are due (none
// yet, or 12 hours old).
func (c *Client) maybeRefresh(ctx context.Context) {
	if c.certs != nil {
		c.certs.maybeRefresh(ctx, c)
	}
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
		b.TimeExpire = o.TimeExpire.In(chinaTime).Format(time.RFC3339)
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

	raw []byte // the verified answer, set by QueryRefund
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

// QueryRefund asks the gateway about our refund number (查询单笔退款,
// GET /v3/refund/domestic/refunds/{out_refund_no}); the gateway answers
// 404 RESOURCE_NOT_EXISTS for a number it does not know.
func (c *Client) QueryRefund(ctx context.Context, outRefundNo string) (*Refund, error) {
	if outRefundNo == "" || len(outRefundNo) > 64 {
		return nil, errors.New("wechatpay: refund query: bad out_refund_no")
	}
	var raw json.RawMessage
	if err := c.do(ctx, http.MethodGet, "/v3/refund/domestic/refunds/"+url.PathEscape(outRefundNo), nil, &raw); err != nil {
		return nil, err
	}
	var rf Refund
	if err := json.Unmarshal(raw, &rf); err != nil {
		return nil, fmt.Errorf("wechatpay: refund query: %w", err)
	}
	if rf.OutRefundNo != outRefundNo || rf.RefundID == "" {
		return nil, errors.New("wechatpay: refund query: the answer is about another refund")
	}
	rf.raw = raw
	return &rf, nil
}
