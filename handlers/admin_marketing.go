package handlers

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views/admin"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// 营销工具 (/admin/marketing): every marketing plugin with its switch and
// its generated settings form. A marketing plugin is any plugin that is
// neither a payment nor a login provider (those live in 支付设置); the
// switch takes effect at once and is kept across restarts.

const marketingPath = "/admin/marketing"

func (h *Handler) adminMarketingRoutes(g *gin.RouterGroup) {
	g.GET("/marketing", h.wrap(h.adminMarketing))
	g.GET("/marketing/:plugin", h.wrap(h.adminPluginSettings))
	g.POST("/marketing/:plugin", h.wrap(h.adminPluginSettingsSave))
	g.POST("/marketing/:plugin/enabled", h.wrap(h.adminMarketingSwitch))
}

// settingsBase is the list a plugin settings page belongs to.
func settingsBase(c *gin.Context) string {
	if strings.HasPrefix(c.Request.URL.Path, marketingPath) {
		return marketingPath
	}
	return "/admin/payments"
}

// marketingPlugins are the ids of the marketing plugins, in load order.
func (h *Handler) marketingPlugins() []string {
	providers := map[string]bool{}
	for _, id := range h.plugins.ProviderPlugins() {
		providers[id] = true
	}
	var out []string
	h.plugins.Each(func(p plugins.Plugin, _ bool) {
		if !providers[p.ID()] {
			out = append(out, p.ID())
		}
	})
	return out
}

func (h *Handler) adminMarketing(c *gin.Context) error {
	ctx := c.Request.Context()
	var list admin.MarketingList
	for _, id := range h.marketingPlugins() {
		card, _ := h.providerCard(ctx, id)
		p, _ := h.plugins.Plugin(id)
		it := admin.MarketingItem{Card: card}
		if rt, ok := p.(plugins.Router); ok {
			if m := rt.Menu(); len(m) > 0 {
				it.ManageURL = m[0].Href
			}
		}
		list.Items = append(list.Items, it)
	}
	h.render(c, http.StatusOK, admin.MarketingPage(list))
	return nil
}

func (h *Handler) adminMarketingSwitch(c *gin.Context) error {
	ctx := c.Request.Context()
	id := c.Param("plugin")
	found := false
	for _, m := range h.marketingPlugins() {
		found = found || m == id
	}
	p, ok := h.plugins.Plugin(id)
	if !found || !ok {
		return fmt.Errorf("marketing plugin %q: %w", id, store.ErrNotFound)
	}
	on := c.PostForm("on") == "1"
	if err := h.db.SetPluginState(ctx, id, on); err != nil {
		return err
	}
	if err := h.plugins.SetEnabled(id, on); err != nil {
		return err
	}
	h.db.BumpCatalogue() // badges and prices on cached pages change
	h.log.Info("plugin switched", "plugin", id, "on", on, "staff", staffName(ctx))
	key := "payments.switched_off"
	if on {
		key = "payments.switched_on"
	}
	h.addFlash(c, "success", i18n.Tc(ctx, key, "name", p.Name()))
	redirect(c, marketingPath)
	return nil
}
