package wechatpaytest

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"
)

// h5Path is the H5 cashier page: h5_url points at it, as the real one
// points at https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb.
const h5Path = "/cgi-bin/mmpayweb-bin/checkmweb"

var h5Page = template.Must(template.New("h5").Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>微信支付</title></head>
<body>
{{if .Paid}}<p data-testid="wechatpaytest-paid">支付成功</p>
{{else if .Order}}<h1>微信支付</h1>
<p data-testid="wechatpaytest-description">{{.Order.Description}}</p>
<p data-testid="wechatpaytest-amount">¥{{.Yuan}}</p>
<form method="post" action="{{.Action}}">
<input type="hidden" name="prepay_id" value="{{.Order.PrepayID}}">
<input type="hidden" name="redirect_url" value="{{.RedirectURL}}">
<button type="submit" data-testid="wechatpaytest-confirm">确认支付</button>
</form>
{{else}}<p data-testid="wechatpaytest-error">{{.Error}}</p>{{end}}
</body></html>
`))

type h5Data struct {
	Order       *Order
	Yuan        string
	Action      string
	RedirectURL string
	Paid        bool
	Error       string
}

// serveH5 is the H5 cashier: GET shows the order and a 确认支付 button;
// POST pays it, delivers the callback and sends the browser to the
// redirect_url the shop appended to h5_url.
func (g *Gateway) serveH5(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	prepayID, redirect := r.Form.Get("prepay_id"), r.Form.Get("redirect_url")
	g.mu.Lock()
	var o *Order
	for _, cand := range g.orders {
		if cand.Kind == "h5" && cand.PrepayID == prepayID {
			c := *cand
			o = &c
		}
	}
	g.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if o == nil {
		w.WriteHeader(http.StatusNotFound)
		h5Page.Execute(w, h5Data{Error: "订单不存在或已过期"})
		return
	}
	switch r.Method {
	case http.MethodGet:
		h5Page.Execute(w, h5Data{Order: o, Yuan: yuan(o.Total), Action: h5Path, RedirectURL: redirect})
	case http.MethodPost:
		if _, err := g.Pay(o.OutTradeNo, ""); err != nil {
			w.WriteHeader(http.StatusConflict)
			h5Page.Execute(w, h5Data{Error: err.Error()})
			return
		}
		if u, err := url.Parse(redirect); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
			http.Redirect(w, r, redirect, http.StatusSeeOther)
			return
		}
		h5Page.Execute(w, h5Data{Paid: true})
	default:
		w.WriteHeader(http.StatusMethodNotAllowed)
	}
}

func yuan(fen int64) string {
	s := strconv.FormatInt(fen/100, 10) + "."
	c := fen % 100
	if c < 10 {
		s += "0"
	}
	return s + strconv.FormatInt(c, 10)
}
