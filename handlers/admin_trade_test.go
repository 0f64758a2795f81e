package handlers

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/xiaodian/xiaodian/store"
)

func TestTradeSettings(t *testing.T) {
	a := newTestApp(t)
	a.setupOwner(t)
	ctx := t.Context()

	resp, body := a.get(t, "/admin/trade-settings")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `value="30"`) || !strings.Contains(body, `value="7"`) {
		t.Fatalf("GET: status %d, defaults not shown", resp.StatusCode)
	}
	for _, tt := range []struct {
		form  url.Values
		field string
	}{
		{url.Values{"pay_minutes": {"4"}, "receive_days": {"7"}, "aftersale_days": {"7"}}, "pay_minutes"},
		{url.Values{"pay_minutes": {"30"}, "receive_days": {"31"}, "aftersale_days": {"7"}}, "receive_days"},
		{url.Values{"pay_minutes": {"30"}, "receive_days": {"7"}, "aftersale_days": {"-1"}}, "aftersale_days"},
		{url.Values{"pay_minutes": {"半小时"}, "receive_days": {"7"}, "aftersale_days": {"7"}}, "pay_minutes"},
	} {
		resp, body := a.postForm(t, "/admin/trade-settings", tt.form)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="error-`+tt.field+`"`) {
			t.Errorf("%v: status %d, no message beside %s", tt.form, resp.StatusCode, tt.field)
		}
	}
	if got := a.DB.TradeSettings(ctx); got != (store.TradeSettings{PayMinutes: 30, ReceiveDays: 7, AftersaleDays: 7}) {
		t.Fatalf("refused forms changed the settings: %+v", got)
	}
	resp, _ = a.postForm(t, "/admin/trade-settings", url.Values{"pay_minutes": {"15"}, "receive_days": {"10"}, "aftersale_days": {"0"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: status %d, want a redirect", resp.StatusCode)
	}
	if got := a.DB.TradeSettings(ctx); got != (store.TradeSettings{PayMinutes: 15, ReceiveDays: 10, AftersaleDays: 0}) {
		t.Fatalf("saved settings = %+v", got)
	}
}

// TestDashboardToDo: the dashboard counts the orders and after-sales
// waiting for the shop.
func TestDashboardToDo(t *testing.T) {
	f := newOrderFx(t)
	f.pay(t, f.place(t, f.alice, store.CheckoutItem{SKUID: f.red, Qty: 1}))
	f.pay(t, f.place(t, f.bo, store.CheckoutItem{SKUID: f.blue, Qty: 1}))
	f.place(t, f.alice, store.CheckoutItem{SKUID: f.blue, Qty: 1})
	f.pay(t, f.placePickup(t, store.CheckoutItem{SKUID: f.red, Qty: 1}))
	_, body := f.a.get(t, "/admin")
	for testid, want := range map[string]string{"stat-to-ship": "2", "stat-to-pickup": "1", "stat-unpaid": "1", "stat-aftersales": "0"} {
		re := regexp.MustCompile(`data-testid="` + testid + `"[^>]*>\s*<div class="stat-label">[^<]*</div>\s*<div class="stat-value">(\d+)</div>`)
		m := re.FindStringSubmatch(body)
		if m == nil || m[1] != want {
			t.Errorf("%s = %v, want %s", testid, m, want)
		}
	}
}
