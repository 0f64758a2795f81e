package handlers

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views/admin"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// The distribution back office (分销管理): settings, distributors and their
// actions, the referral tree, applications, commissions, withdrawals,
// rankings, levels and regional agents. Each page group has its own
// admin_distribution_*.go file; this one registers them and holds the
// settings page.

// distPageSize is the rows on one page of the distribution lists.
const distPageSize = 20

// adminDistributionRoutes registers the distribution back office.
func (h *Handler) adminDistributionRoutes(g *gin.RouterGroup) {
	d := g.Group("/distribution")
	d.GET("", func(c *gin.Context) { c.Redirect(http.StatusFound, "/admin/distribution/distributors") })
	d.GET("/settings", h.wrap(h.adminDistSettings))
	d.POST("/settings", h.wrap(h.adminDistSettingsSave))

	d.GET("/distributors", h.wrap(h.adminDistributors))
	d.GET("/distributors.csv", h.wrap(h.adminDistributorsCSV))
	d.POST("/distributors/designate", h.wrap(h.adminDesignate))
	d.GET("/distributors/:id", h.wrap(h.adminDistributor))
	d.POST("/distributors/:id/status", h.wrap(h.adminDistributorStatus))
	d.POST("/distributors/:id/level", h.wrap(h.adminDistributorLevel))
	d.POST("/distributors/:id/adjust", h.wrap(h.adminDistributorAdjust))
	d.POST("/distributors/:id/rebind", h.wrap(h.adminDistributorRebind))

	d.GET("/tree", h.wrap(h.adminDistTree))
	d.GET("/tree/:id/members", h.wrap(h.adminDistTreeMembers))

	d.GET("/applications", h.wrap(h.adminApplications))
	d.POST("/applications/:id/approve", h.wrap(h.adminApplicationApprove))
	d.POST("/applications/:id/reject", h.wrap(h.adminApplicationReject))

	d.GET("/commissions", h.wrap(h.adminCommissions))
	d.GET("/commissions.csv", h.wrap(h.adminCommissionsCSV))

	d.GET("/withdrawals", h.wrap(h.adminWithdrawals))
	d.GET("/withdrawals.csv", h.wrap(h.adminWithdrawalsCSV))
	d.POST("/withdrawals/approve", h.wrap(h.adminWithdrawalsApprove))
	d.POST("/withdrawals/:id/reject", h.wrap(h.adminWithdrawalReject))
	d.POST("/withdrawals/:id/paid", h.wrap(h.adminWithdrawalPaid))

	d.GET("/rankings", h.wrap(h.adminRankings))

	d.GET("/levels", h.wrap(h.adminLevels))
	d.GET("/levels/new", h.wrap(h.adminLevelNew))
	d.POST("/levels/new", h.wrap(h.adminLevelCreate))
	d.GET("/levels/:id/edit", h.wrap(h.adminLevelEdit))
	d.POST("/levels/:id/edit", h.wrap(h.adminLevelUpdate))
	d.POST("/levels/:id/delete", h.wrap(h.adminLevelDelete))

	d.GET("/agents", h.wrap(h.adminAgents))
	d.GET("/agents/new", h.wrap(h.adminAgentNew))
	d.POST("/agents/new", h.wrap(h.adminAgentCreate))
	d.GET("/agents/region", h.wrap(h.adminAgentRegion))
	d.GET("/agents/:id/edit", h.wrap(h.adminAgentEdit))
	d.POST("/agents/:id/edit", h.wrap(h.adminAgentUpdate))
}

// formPercent reads a percentage as typed ("10", "2.5") into basis points
// (two decimals at most); empty is 0.
func formPercent(s, field string, v *store.ValidationErrors) int {
	s = strings.TrimSuffix(strings.TrimSpace(s), "%")
	if s == "" {
		return 0
	}
	f, err := store.ParseFen(s)
	if err != nil || f > 100_00 {
		v.Add(field, "distadmin.percent")
		return 0
	}
	return int(f)
}

// formMoney reads a yuan amount; empty is 0.
func formMoney(s, field string, v *store.ValidationErrors) store.Fen {
	if strings.TrimSpace(s) == "" {
		return 0
	}
	f, err := store.ParseFen(s)
	if err != nil {
		v.Add(field, "validation.money")
	}
	return f
}

// distQuery reads a list's filter: the keys listed, clipped, and the page.
func distQuery(c *gin.Context, path string, keys ...string) admin.DistQuery {
	q := admin.DistQuery{Path: path, Vals: url.Values{}, Page: 1}
	for _, k := range keys {
		s := strings.TrimSpace(c.Query(k))
		if r := []rune(s); len(r) > 40 {
			s = string(r[:40])
		}
		if s != "" {
			q.Vals.Set(k, s)
		}
	}
	if p, err := strconv.Atoi(c.Query("page")); err == nil && p > 1 {
		q.Page = p
	}
	return q
}

func pages(total int) int { return (total + distPageSize - 1) / distPageSize }

// adminDistSettings shows the distribution rules (分销设置).
func (h *Handler) adminDistSettings(c *gin.Context) error {
	h.render(c, http.StatusOK, admin.DistSettingsPage(admin.DistSettingsFormOf(h.db.DistSettings(c.Request.Context()))))
	return nil
}

// adminDistSettingsSave validates and stores the distribution rules;
// nothing is saved when any field is wrong.
func (h *Handler) adminDistSettingsSave(c *gin.Context) error {
	ctx := c.Request.Context()
	if err := h.parseAdminForm(c); err != nil {
		return h.formUnreadable(c, err)
	}
	f := admin.DistSettingsForm{
		Enabled: c.PostForm("enabled") != "", Levels: c.PostForm("levels"), Mode: c.PostForm("mode"),
		SpendThreshold: c.PostForm("spend_threshold"), BindOn: c.PostForm("bind_on"), ProtectDays: c.PostForm("protect_days"),
		Rebind: c.PostForm("rebind") != "", Base: c.PostForm("base"),
		Rates:        [3]string{c.PostForm("rate1"), c.PostForm("rate2"), c.PostForm("rate3")},
		SelfPurchase: c.PostForm("self_purchase") != "", SettleDays: c.PostForm("settle_days"),
		WithdrawMin: c.PostForm("withdraw_min"), WithdrawFee: c.PostForm("withdraw_fee_bp"),
		WithdrawDaily: c.PostForm("withdraw_daily"), WithdrawVia: c.PostFormArray("withdraw_via"), Agents: c.PostForm("agents") != "",
	}
	var v store.ValidationErrors
	s := store.DistSettings{
		Enabled: f.Enabled, Levels: formInt(f.Levels, "levels", &v), Mode: f.Mode,
		SpendThreshold: formMoney(f.SpendThreshold, "spend_threshold", &v), BindOn: f.BindOn,
		ProtectDays: formInt(f.ProtectDays, "protect_days", &v), Rebind: f.Rebind, Base: f.Base,
		SelfPurchase: f.SelfPurchase, SettleDays: formInt(f.SettleDays, "settle_days", &v),
		WithdrawMin: formMoney(f.WithdrawMin, "withdraw_min", &v), WithdrawFeeBP: formPercent(f.WithdrawFee, "withdraw_fee_bp", &v),
		WithdrawDaily: formInt(f.WithdrawDaily, "withdraw_daily", &v), WithdrawVia: f.WithdrawVia, Agents: f.Agents,
	}
	for i := range s.Rates {
		s.Rates[i] = formPercent(f.Rates[i], "rate"+strconv.Itoa(i+1), &v)
	}
	if err := s.Validate(); err != nil {
		addValidation(&v, err)
	}
	if len(v) == 0 {
		if err := h.db.SaveDistSettings(ctx, s); err != nil && !addValidation(&v, err) {
			return err
		}
	}
	if len(v) > 0 {
		f.Errors = formErrors(ctx, v)
		h.render(c, http.StatusUnprocessableEntity, admin.DistSettingsPage(f))
		return nil
	}
	h.log.Info("distribution settings saved", "actor", staffActor(ctx))
	h.addFlash(c, "success", i18n.Tc(ctx, "distadmin.settings_saved"))
	redirect(c, "/admin/distribution/settings")
	return nil
}

// csvStart writes the headers and the byte order mark of a CSV download
// and returns its writer; false when the client went away.
func csvStart(c *gin.Context, name string) (*csv.Writer, bool) {
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="`+name+"-"+time.Now().Format("20060102")+`.csv"`)
	c.Header("Cache-Control", "no-store")
	c.Status(http.StatusOK)
	if _, err := c.Writer.WriteString("\uFEFF"); err != nil {
		return nil, false
	}
	w := csv.NewWriter(c.Writer)
	w.UseCRLF = true
	return w, true
}

// csvEnd flushes a CSV download and logs a failure (the status is sent).
func (h *Handler) csvEnd(c *gin.Context, w *csv.Writer, err error) {
	w.Flush()
	if err == nil {
		err = w.Error()
	}
	if err != nil {
		h.log.Error("csv export", "path", c.FullPath(), "err", err, "request_id", c.GetString("request_id"))
	}
}

// commissionFormOf shows a product's commission rule in the product form.
func commissionFormOf(p *store.Product) (string, [3]string) {
	var out [3]string
	for i, n := range p.Commission {
		switch p.CommissionMode {
		case store.CommissionRates:
			out[i] = admin.Pct(int(n))
		case store.CommissionFixed:
			out[i] = store.Fen(n).String()
		}
	}
	return p.CommissionMode, out
}

// commissionInput reads the product form's commission rule: percentages
// for own rates, yuan per unit for fixed amounts.
func commissionInput(mode string, raw [3]string, v *store.ValidationErrors) (string, [3]int64) {
	var out [3]int64
	for i, s := range raw {
		field := "commission" + strconv.Itoa(i+1)
		switch mode {
		case store.CommissionRates:
			out[i] = int64(formPercent(s, field, v))
		case store.CommissionFixed:
			out[i] = int64(formMoney(s, field, v))
		}
	}
	return mode, out
}
