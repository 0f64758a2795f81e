package alipay

import (
	"fmt"
	"net/url"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/store"
)

// Return is what the synchronous return (同步跳转) to return_url says:
// the query string Alipay appends when it sends the payer's browser back
// after page or wap pay. It is signed like a notification, but it only
// tells that the payer came back: whether the money arrived is for the
// async notification or alipay.trade.query to say (Alipay's docs: 不能依赖
// 前台回跳).
type Return struct {
	Method     string // alipay.trade.page.pay.return or alipay.trade.wap.pay.return
	OutTradeNo string
	TradeNo    string
	Amount     store.Fen
	Timestamp  string // Alipay's time of the redirect, "2006-01-02 15:04:05" (UTC+8)
}

// VerifyReturn checks the signature of the return parameters q (sign and
// sign_type left out of the signed string), then app_id and, when
// configured, seller_id, and reads them. Alipay's docs forbid a return_url
// with a query of its own (return_url 地址后不可带自定义参数): own names the
// shop's parameters of a return_url that has one anyway, left out of the
// check. Every failure wraps plugins.ErrBadNotify.
func (p *Provider) VerifyReturn(q url.Values, own ...string) (*Return, error) {
	st, err := p.current()
	if err != nil {
		return nil, err
	}
	if len(own) > 0 {
		c := make(url.Values, len(q))
		for k, v := range q {
			c[k] = v
		}
		for _, k := range own {
			delete(c, k)
		}
		q = c
	}
	cfg := &st.client.cfg
	bad := func(why string) error { return fmt.Errorf("alipay return: %s: %w", why, plugins.ErrBadNotify) }
	if len(q) > 64 {
		return nil, bad("too many parameters")
	}
	if err := VerifyNotifyParams(cfg.AlipayPublicKey, q); err != nil {
		return nil, bad(err.Error())
	}
	if q.Get("app_id") != cfg.AppID {
		return nil, bad("another app_id")
	}
	if cfg.SellerID != "" && q.Get("seller_id") != cfg.SellerID {
		return nil, bad("another seller_id")
	}
	r := &Return{Method: q.Get("method"), OutTradeNo: q.Get("out_trade_no"), TradeNo: q.Get("trade_no"), Timestamp: q.Get("timestamp")}
	if r.Method != "alipay.trade.page.pay.return" && r.Method != "alipay.trade.wap.pay.return" {
		return nil, bad("method " + r.Method)
	}
	if r.OutTradeNo == "" || len(r.OutTradeNo) > 64 || r.TradeNo == "" || len(r.TradeNo) > 64 {
		return nil, bad("missing numbers")
	}
	if r.Amount, err = ParseYuan(q.Get("total_amount")); err != nil || r.Amount <= 0 {
		return nil, bad("bad total_amount")
	}
	return r, nil
}
