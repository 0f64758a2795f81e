package handlers

import (
	"net/http"
	"net/url"
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
