package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/plugins/sandbox"
	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views"
	"github.com/xiaodian/xiaodian/views/admin"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// 支付设置: the payment and login plugins (WeChat Pay, Alipay, the WeChat
// official account, the sandbox) with their switches, and each one's
// settings form drawn from its schema, with 测试连接.

// maxSettingLen is the longest value a settings field takes (a PEM
// certificate chain fits with room to spare).
const maxSettingLen = 16000

func (h *Handler) adminPaymentRoutes(g *gin.RouterGroup) {
	g.GET("/payments", h.wrap(h.adminPaymentSettings))
	g.GET("/payments/:plugin", h.wrap(h.adminPluginSettings))
	g.POST("/payments/:plugin", h.wrap(h.adminPluginSettingsSave))
	g.POST("/payments/:plugin/enabled", h.wrap(h.adminPluginSwitch))
	g.POST("/payments/:plugin/test", h.wrap(h.adminPluginTest))
	g.GET("/payment-records", h.wrap(h.adminPaymentRecords))
	g.GET("/refund-records", h.wrap(h.adminRefundRecords))
	g.GET("/reconciliation", h.wrap(h.adminReconciliation))
	g.POST("/reconciliation/run", h.wrap(h.adminReconcileRun))
}

// providerCard describes a provider plugin for the list and its form.
func (h *Handler) providerCard(ctx context.Context, id string) (admin.PaymentPluginCard, bool) {
	p, ok := h.plugins.Plugin(id)
	if !ok {
		return admin.PaymentPluginCard{}, false
	}
	card := admin.PaymentPluginCard{ID: id, Name: p.Name(), Enabled: h.plugins.Enabled(id)}
	if d, ok := p.(plugins.Describer); ok {
		card.Description = d.Description()
	}
	st := h.pcfg.statusOf(id)
	card.Configured = st.Configured
	_, card.HasSettings = p.(plugins.Configurable)
	if !card.HasSettings {
		card.Configured = true // nothing to set (the sandbox)
	}
	if st.Err != nil {
		card.Problem = settingsProblem(ctx, st.Err)
	}
	if registered, started := h.plugins.PaymentProviderStarted(id); registered && !started {
		card.Problem = i18n.Tc(ctx, "payments.not_started")
		if h.opts.Mode == "production" && id == sandbox.ID {
			card.Problem = i18n.Tc(ctx, "payments.sandbox_production")
		}
	}
	if _, isPay := h.plugins.PaymentProviderForNotify(id); isPay {
		card.NotifyURL = h.notifyURL(id)
		if card.NotifyURL == "" {
			card.NotifyURL = payNotifyPath + id
		}
	}
	return card, true
}

// settingsProblem is what the owner reads about refused settings: the
// messages of the fields at fault, or the error's text (plugins keep
// secrets out of their errors).
func settingsProblem(ctx context.Context, err error) string {
	if errors.Is(err, store.ErrSealedValue) || errors.Is(err, store.ErrNoSecretKey) {
		return i18n.Tc(ctx, "payments.settings_unreadable")
	}
	if fe, ok := views.NewFormErrors(ctx, err); ok {
		var parts []string
		for k, v := range fe {
			parts = append(parts, k+": "+v)
		}
		return i18n.Tc(ctx, "payments.settings_refused", "msg", strings.Join(parts, "; "))
	}
	return i18n.Tc(ctx, "payments.settings_refused", "msg", err.Error())
}

// adminPaymentSettings is 支付设置.
func (h *Handler) adminPaymentSettings(c *gin.Context) error {
	ctx := c.Request.Context()
	l := admin.PaymentSettingsList{BaseURLMissing: h.opts.BaseURL == "", Production: h.opts.Mode == "production"}
	for _, id := range h.plugins.ProviderPlugins() {
		if card, ok := h.providerCard(ctx, id); ok {
			l.Plugins = append(l.Plugins, card)
		}
	}
	h.render(c, http.StatusOK, admin.PaymentSettingsPage(l))
	return nil
}

// providerPlugin is the route's provider plugin with settings.
func (h *Handler) providerPlugin(c *gin.Context) (plugins.Configurable, admin.PaymentPluginCard, error) {
	id := c.Param("plugin")
	ids := h.plugins.ProviderPlugins()
	if settingsBase(c) == marketingPath {
		ids = h.marketingPlugins()
	}
	for _, pid := range ids {
		if pid != id {
			continue
		}
		cfg, ok := h.plugins.Configurable(id)
		card, _ := h.providerCard(c.Request.Context(), id)
		if !ok {
			return nil, card, fmt.Errorf("plugin %q has no settings: %w", id, store.ErrNotFound)
		}
		return cfg, card, nil
	}
	return nil, admin.PaymentPluginCard{}, fmt.Errorf("provider plugin %q: %w", id, store.ErrNotFound)
}

// pluginSettingsForm builds the form of cfg: stored values (never a secret's),
// locked ones, and typed ones (on a refused form).
func (h *Handler) pluginSettingsForm(ctx context.Context, cfg plugins.Configurable, card admin.PaymentPluginCard, typed plugins.SettingValues) admin.PluginSettingsForm {
	f := admin.PluginSettingsForm{Card: card, EnvNames: map[string]string{}}
	_, f.CanTest = cfg.(plugins.ConnectionTester)
	vals, stored, _ := h.pluginValues(ctx, cfg)
	locked := h.pcfg.overrides[cfg.ID()]
	for _, sf := range cfg.SettingsSchema() {
		v := admin.SettingFieldView{
			Key: sf.Key, Kind: string(sf.Kind), Label: labelOr(ctx, sf.Label), Help: labelOr(ctx, sf.Help),
			Group: labelOr(ctx, sf.Group),
		}
		for _, o := range sf.Options {
			v.Options = append(v.Options, admin.SettingOptionView{Value: o.Value, Label: labelOr(ctx, o.Label)})
		}
		_, v.Locked = locked[sf.Key]
		if sf.Kind.Secret() {
			_, s := stored[sf.Key]
			v.Stored = s || v.Locked
		} else {
			v.Value = vals[sf.Key]
			if t, ok := typed[sf.Key]; ok && !v.Locked {
				v.Value = t
			}
		}
		f.Fields = append(f.Fields, v)
		f.EnvNames[sf.Key] = envName(cfg.ID(), sf.Key)
	}
	return f
}

func labelOr(ctx context.Context, key string) string {
	if key == "" || !i18n.Has(key) {
		return key
	}
	return i18n.Tc(ctx, key)
}

// adminPluginSettings is a provider plugin's settings form.
func (h *Handler) adminPluginSettings(c *gin.Context) error {
	cfg, card, err := h.providerPlugin(c)
	if err != nil {
		return err
	}
	f := h.pluginSettingsForm(c.Request.Context(), cfg, card, nil)
	f.Base = settingsBase(c)
	h.render(c, http.StatusOK, admin.PluginSettingsPage(f))
	return nil
}

// adminPluginSettingsSave checks the typed settings with the plugin and,
// when it accepts them, stores them (secrets sealed). A refused form shows
// the plugin's messages beside the fields and changes nothing.
func (h *Handler) adminPluginSettingsSave(c *gin.Context) error {
	ctx := c.Request.Context()
	cfg, card, err := h.providerPlugin(c)
	if err != nil {
		return err
	}
	h.pcfg.saveMu.Lock()
	defer h.pcfg.saveMu.Unlock()
	_, stored, serr := h.pluginValues(ctx, cfg)
	if stored == nil {
		return serr
	}
	locked := h.pcfg.overrides[cfg.ID()]
	typed := plugins.SettingValues{}
	next := plugins.SettingValues{}
	var changes []store.PluginSettingChange
	var v store.ValidationErrors
	for _, sf := range cfg.SettingsSchema() {
		if lv, ok := locked[sf.Key]; ok {
			next[sf.Key] = lv
			continue
		}
		raw := c.PostForm(sf.Key)
		if len(raw) > maxSettingLen {
			v.Add(sf.Key, "payments.value_too_long")
			continue
		}
		val := normaliseSetting(sf.Kind, raw)
		switch sf.Kind {
		case plugins.FieldSecret, plugins.FieldSecretText:
			old, had := stored[sf.Key]
			switch {
			case c.PostForm("clear_"+sf.Key) == "1":
				val = ""
			case val == "" && had:
				val = old.Value // empty keeps the stored secret
			}
		case plugins.FieldSelect:
			if val != "" && !hasOption(sf.Options, val) {
				v.Add(sf.Key, "payments.option_invalid")
			}
			typed[sf.Key] = val
		default:
			typed[sf.Key] = val
		}
		next[sf.Key] = val
		changes = append(changes, store.PluginSettingChange{Key: sf.Key, Value: val, Sealed: sf.Kind.Secret()})
	}
	refuse := func(err error) error {
		f := h.pluginSettingsForm(ctx, cfg, card, typed)
		f.Base = settingsBase(c)
		if fe, ok := views.NewFormErrors(ctx, err); ok {
			f.Errors = fe
		} else {
			f.Problem = settingsProblem(ctx, err)
		}
		h.render(c, http.StatusUnprocessableEntity, admin.PluginSettingsPage(f))
		return nil
	}
	if len(v) > 0 {
		return refuse(v)
	}
	vals := plugins.WithDefaults(cfg.SettingsSchema(), next)
	if err := cfg.Configure(ctx, vals); err != nil {
		return refuse(err)
	}
	if err := h.db.SavePluginSettings(ctx, cfg.ID(), changes); err != nil {
		// The plugin runs with what it was given; put back what is stored.
		if old, _, _ := h.pluginValues(ctx, cfg); old != nil {
			_ = cfg.Configure(ctx, old)
		}
		return err
	}
	h.pcfg.setStatus(cfg.ID(), pluginStatus{Configured: anySet(cfg.SettingsSchema(), vals), At: h.db.Now()})
	// Names of what changed, never values.
	var keys []string
	for _, ch := range changes {
		keys = append(keys, ch.Key)
	}
	h.log.Info("plugin settings saved", "plugin", cfg.ID(), "keys", strings.Join(keys, ","), "staff", staffName(ctx))
	h.addFlash(c, "success", i18n.Tc(ctx, "payments.saved", "name", card.Name))
	redirect(c, settingsBase(c)+"/"+cfg.ID())
	return nil
}

// normaliseSetting trims what a form sends: one-line values lose their
// spaces, multi-line ones their Windows line ends, bools become "1"/"0".
func normaliseSetting(kind plugins.FieldKind, raw string) string {
	switch kind {
	case plugins.FieldBool:
		if raw == "" {
			return "0"
		}
		return boolSetting(raw)
	case plugins.FieldTextarea, plugins.FieldSecretText:
		s := strings.TrimSpace(strings.ReplaceAll(raw, "\r\n", "\n"))
		if s != "" {
			s += "\n"
		}
		return s
	}
	return strings.TrimSpace(raw)
}

func hasOption(opts []plugins.SettingOption, v string) bool {
	for _, o := range opts {
		if o.Value == v {
			return true
		}
	}
	return false
}

func staffName(ctx context.Context) string {
	if s := views.Staff(ctx); s != nil {
		return s.Username
	}
	return ""
}

// adminPluginSwitch switches a provider plugin on or off and remembers it.
func (h *Handler) adminPluginSwitch(c *gin.Context) error {
	ctx := c.Request.Context()
	id := c.Param("plugin")
	card, ok := h.providerCard(ctx, id)
	if !ok {
		return fmt.Errorf("plugin %q: %w", id, store.ErrNotFound)
	}
	on := c.PostForm("on") == "1"
	if err := h.db.SetPluginState(ctx, id, on); err != nil {
		return err
	}
	if err := h.plugins.SetEnabled(id, on); err != nil {
		return err
	}
	h.log.Info("plugin switched", "plugin", id, "on", on, "staff", staffName(ctx))
	key := "payments.switched_off"
	if on {
		key = "payments.switched_on"
	}
	h.addFlash(c, "success", i18n.Tc(ctx, key, "name", card.Name))
	redirect(c, "/admin/payments")
	return nil
}

// adminPluginTest calls the gateway with the saved settings.
func (h *Handler) adminPluginTest(c *gin.Context) error {
	ctx := c.Request.Context()
	cfg, card, err := h.providerPlugin(c)
	if err != nil {
		return err
	}
	t, ok := cfg.(plugins.ConnectionTester)
	if !ok {
		return fmt.Errorf("plugin %q cannot test: %w", cfg.ID(), store.ErrNotFound)
	}
	switch {
	case !card.Configured:
		h.addFlash(c, "error", i18n.Tc(ctx, "payments.test_unconfigured"))
	default:
		tctx, cancel := context.WithTimeout(ctx, 2*gatewayTimeout)
		msg, err := t.TestConnection(tctx)
		cancel()
		if err != nil {
			h.log.Warn("connection test failed", "plugin", cfg.ID(), "err", err)
			h.addFlash(c, "error", i18n.Tc(ctx, "payments.test_failed", "msg", err.Error()))
		} else {
			h.addFlash(c, "success", i18n.Tc(ctx, "payments.test_ok", "msg", msg))
		}
	}
	redirect(c, "/admin/payments/"+cfg.ID())
	return nil
}
