package handlers

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views/admin"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// adminTradeSettings shows the order rules (交易设置).
func (h *Handler) adminTradeSettings(c *gin.Context) error {
	s := h.db.TradeSettings(c.Request.Context())
	h.render(c, http.StatusOK, admin.TradeSettingsPage(admin.TradeForm{
		PayMinutes: strconv.Itoa(s.PayMinutes), ReceiveDays: strconv.Itoa(s.ReceiveDays), AftersaleDays: strconv.Itoa(s.AftersaleDays)}))
	return nil
}

// adminTradeSettingsSave stores the order rules.
func (h *Handler) adminTradeSettingsSave(c *gin.Context) error {
	ctx := c.Request.Context()
	if err := h.parseAdminForm(c); err != nil {
		return h.formUnreadable(c, err)
	}
	f := admin.TradeForm{PayMinutes: c.PostForm("pay_minutes"), ReceiveDays: c.PostForm("receive_days"),
		AftersaleDays: c.PostForm("aftersale_days")}
	var v store.ValidationErrors
	s := store.TradeSettings{
		PayMinutes:    formInt(f.PayMinutes, "pay_minutes", &v),
		ReceiveDays:   formInt(f.ReceiveDays, "receive_days", &v),
		AftersaleDays: formInt(f.AftersaleDays, "aftersale_days", &v),
	}
	if len(v) == 0 {
		if err := h.db.SaveTradeSettings(ctx, s); !addValidation(&v, err) && err != nil {
			return err
		}
	}
	if len(v) > 0 {
		f.Errors = formErrors(ctx, v)
		h.render(c, http.StatusUnprocessableEntity, admin.TradeSettingsPage(f))
		return nil
	}
	h.addFlash(c, "success", i18n.Tc(ctx, "trade.saved"))
	redirect(c, "/admin/trade-settings")
	return nil
}
