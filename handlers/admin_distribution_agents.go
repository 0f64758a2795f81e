package handlers

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views/admin"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// 区域代理: regional agents, each a customer (by phone) for a province,
// city or district chosen with the division picker, a rate and an expiry.

const agentsPath = "/admin/distribution/agents"

// adminAgents lists the agents.
func (h *Handler) adminAgents(c *gin.Context) error {
	ctx := c.Request.Context()
	q := distQuery(c, agentsPath, "q", "tier", "active")
	f := store.AgentFilter{Q: q.Get("q"), Active: q.Get("active"), Offset: (q.Page - 1) * distPageSize, Limit: distPageSize}
	if t := q.Get("tier"); slices.Contains(store.AgentTiers, t) {
		f.Tier = t
	} else {
		q.Vals.Del("tier")
	}
	l := admin.AgentList{Query: q, Now: time.Now(), Enabled: h.db.DistSettings(ctx).Agents}
	var err error
	if l.Agents, l.Total, err = h.db.Agents(ctx, f); err != nil {
		return err
	}
	l.Pages = pages(l.Total)
	h.render(c, http.StatusOK, admin.AgentListPage(l))
	return nil
}

// regionSelect builds the picker for the chosen codes (a code that does not
// belong to the level above is dropped; a single choice is taken).
func regionSelect(province, city, district string) admin.RegionSelect {
	p := regionPickerFor(province, city, district)
	var r admin.RegionSelect
	for _, o := range p.Provinces {
		r.Provinces = append(r.Provinces, admin.RegionChoice{Code: o.Code, Name: o.Name})
		if o.Selected {
			r.Province = o.Code
		}
	}
	for _, o := range p.Cities {
		r.Cities = append(r.Cities, admin.RegionChoice{Code: o.Code, Name: o.Name})
		if o.Selected {
			r.City = o.Code
		}
	}
	for _, o := range p.Districts {
		r.Districts = append(r.Districts, admin.RegionChoice{Code: o.Code, Name: o.Name})
		if o.Selected {
			r.District = o.Code
		}
	}
	return r
}

// regionOf splits an agent's region code into the picker's choices.
func regionOf(code string) admin.RegionSelect {
	var p, ci, d string
	switch {
	case len(code) >= 6:
		p, ci, d = code[:2], code[:4], code
	case len(code) == 4:
		p, ci = code[:2], code
	case len(code) == 2:
		p = code
	}
	return regionSelect(p, ci, d)
}

// adminAgentRegion re-renders the picker (htmx, on a change).
func (h *Handler) adminAgentRegion(c *gin.Context) error {
	f := admin.AgentForm{Tier: c.Query("tier"),
		Region: regionSelect(c.Query("province"), c.Query("city"), c.Query("district"))}
	c.Header("Vary", "HX-Request")
	h.render(c, http.StatusOK, admin.AgentRegionPicker(f))
	return nil
}

// adminAgentNew shows an empty agent form.
func (h *Handler) adminAgentNew(c *gin.Context) error {
	f := admin.AgentForm{Tier: store.AgentCity, Active: true, Region: regionSelect("", "", ""),
		Disabled: !h.db.DistSettings(c.Request.Context()).Agents}
	h.render(c, http.StatusOK, admin.AgentFormPage(f))
	return nil
}

// adminAgentEdit shows an agent's form.
func (h *Handler) adminAgentEdit(c *gin.Context) error {
	id, err := adminID(c)
	if err != nil {
		return err
	}
	a, err := h.db.AgentByID(c.Request.Context(), id)
	if err != nil {
		return err
	}
	f := admin.AgentForm{ID: a.ID, Phone: a.Phone, Tier: a.Tier, Region: regionOf(a.RegionCode), Rate: admin.Pct(a.RateBP),
		Active: a.Active, Disabled: !h.db.DistSettings(c.Request.Context()).Agents}
	if !a.ExpiresAt.IsZero() {
		f.Expires = a.ExpiresAt.Local().AddDate(0, 0, -1).Format(filterDate)
	}
	h.render(c, http.StatusOK, admin.AgentFormPage(f))
	return nil
}

// adminAgentCreate handles the new agent form.
func (h *Handler) adminAgentCreate(c *gin.Context) error { return h.submitAgent(c, 0) }

// adminAgentUpdate handles an agent's edit form.
func (h *Handler) adminAgentUpdate(c *gin.Context) error {
	id, err := adminID(c)
	if err != nil {
		return err
	}
	if _, err := h.db.AgentByID(c.Request.Context(), id); err != nil {
		return err
	}
	return h.submitAgent(c, id)
}

func (h *Handler) submitAgent(c *gin.Context, id int64) error {
	ctx := c.Request.Context()
	f := admin.AgentForm{ID: id, Phone: strings.TrimSpace(c.PostForm("phone")), Tier: c.PostForm("tier"),
		Region: regionSelect(c.PostForm("province"), c.PostForm("city"), c.PostForm("district")),
		Rate:   c.PostForm("rate"), Expires: strings.TrimSpace(c.PostForm("expires")), Active: c.PostForm("active") == "1",
		Disabled: !h.db.DistSettings(ctx).Agents}
	if c.PostForm("action") == "region" { // the picker without JavaScript
		h.render(c, http.StatusOK, admin.AgentFormPage(f))
		return nil
	}
	var v store.ValidationErrors
	in := store.AgentInput{Tier: f.Tier, RateBP: formPercent(f.Rate, "rate", &v), Active: f.Active}
	switch f.Tier {
	case store.AgentProvince:
		in.RegionCode = f.Region.Province
	case store.AgentCity:
		in.RegionCode = f.Region.City
	case store.AgentDistrict:
		in.RegionCode = f.Region.District
	}
	if f.Expires != "" {
		t, err := time.ParseInLocation(filterDate, f.Expires, time.Local)
		if err != nil {
			v.Add("expires", "distadmin.date_invalid")
		} else {
			in.ExpiresAt = t.AddDate(0, 0, 1) // through the whole day
		}
	}
	cid, err := h.db.CustomerIDByPhone(ctx, f.Phone, "phone")
	if !addValidation(&v, err) && err != nil {
		return err
	}
	in.CustomerID = cid
	if len(v) == 0 {
		if _, err := h.db.SaveAgent(ctx, id, in); err != nil && !addValidation(&v, err) {
			return err
		}
	}
	if len(v) > 0 {
		f.Errors = formErrors(ctx, v)
		h.render(c, http.StatusUnprocessableEntity, admin.AgentFormPage(f))
		return nil
	}
	h.log.Info("agent saved", "id", id, "customer_id", cid, "region", in.RegionCode, "actor", staffActor(ctx))
	h.addFlash(c, "success", i18n.Tc(ctx, "common.saved"))
	redirect(c, agentsPath)
	return nil
}
