package handlers

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views/admin"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// 分销等级 (levels CRUD) and 排行榜 (rankings).

const levelsPath = "/admin/distribution/levels"

// adminLevels lists the distributor levels.
func (h *Handler) adminLevels(c *gin.Context) error {
	levels, err := h.db.DistributorLevels(c.Request.Context())
	if err != nil {
		return err
	}
	h.render(c, http.StatusOK, admin.LevelListPage(levels))
	return nil
}

// adminLevelNew shows an empty level form.
func (h *Handler) adminLevelNew(c *gin.Context) error {
	h.render(c, http.StatusOK, admin.LevelFormPage(admin.LevelForm{}))
	return nil
}

// adminLevelEdit shows a level's form.
func (h *Handler) adminLevelEdit(c *gin.Context) error {
	id, err := adminID(c)
	if err != nil {
		return err
	}
	l, err := h.db.DistributorLevelByID(c.Request.Context(), id)
	if err != nil {
		return err
	}
	h.render(c, http.StatusOK, admin.LevelFormPage(admin.LevelFormOf(l)))
	return nil
}

// adminLevelCreate handles the new level form.
func (h *Handler) adminLevelCreate(c *gin.Context) error { return h.submitLevel(c, 0) }

// adminLevelUpdate handles a level's edit form.
func (h *Handler) adminLevelUpdate(c *gin.Context) error {
	id, err := adminID(c)
	if err != nil {
		return err
	}
	if _, err := h.db.DistributorLevelByID(c.Request.Context(), id); err != nil {
		return err
	}
	return h.submitLevel(c, id)
}

func (h *Handler) submitLevel(c *gin.Context, id int64) error {
	ctx := c.Request.Context()
	f := admin.LevelForm{ID: id, Name: c.PostForm("name"), Weight: c.PostForm("weight"),
		Rates:    [3]string{c.PostForm("rate1"), c.PostForm("rate2"), c.PostForm("rate3")},
		Discount: c.PostForm("discount"), CondSales: c.PostForm("cond_sales"), CondDirect: c.PostForm("cond_direct"),
		CondTeam: c.PostForm("cond_team"), CondSpend: c.PostForm("cond_spend"), CondAll: c.PostForm("cond_all") == "1"}
	var v store.ValidationErrors
	l := store.DistributorLevel{ID: id, Name: f.Name, Weight: formInt(f.Weight, "weight", &v),
		DiscountBP: formPercent(f.Discount, "discount", &v), CondSales: formMoney(f.CondSales, "cond_sales", &v),
		CondDirect: formInt(f.CondDirect, "cond_direct", &v), CondTeam: formInt(f.CondTeam, "cond_team", &v),
		CondSpend: formMoney(f.CondSpend, "cond_spend", &v), CondAll: f.CondAll}
	for i := range l.Rates {
		l.Rates[i] = formPercent(f.Rates[i], "rate"+strconv.Itoa(i+1), &v)
	}
	if len(v) == 0 {
		if _, err := h.db.SaveDistributorLevel(ctx, l); err != nil && !addValidation(&v, err) {
			return err
		}
	}
	if len(v) > 0 {
		f.Errors = formErrors(ctx, v)
		h.render(c, http.StatusUnprocessableEntity, admin.LevelFormPage(f))
		return nil
	}
	h.log.Info("distributor level saved", "id", id, "name", strings.TrimSpace(f.Name), "actor", staffActor(ctx))
	h.addFlash(c, "success", i18n.Tc(ctx, "common.saved"))
	redirect(c, levelsPath)
	return nil
}

// adminLevelDelete deletes a level; its members go back to the default.
func (h *Handler) adminLevelDelete(c *gin.Context) error {
	ctx := c.Request.Context()
	id, err := adminID(c)
	if err != nil {
		return err
	}
	l, err := h.db.DistributorLevelByID(ctx, id)
	if err != nil {
		return err
	}
	if err := h.db.DeleteDistributorLevel(ctx, id); err != nil {
		return err
	}
	h.log.Info("distributor level deleted", "id", id, "actor", staffActor(ctx))
	h.addFlash(c, "success", i18n.Tc(ctx, "admin.deleted_named", "name", l.Name))
	redirect(c, levelsPath)
	return nil
}

// rankingLimit is how many distributors a ranking shows.
const rankingLimit = 50

// adminRankings is the 排行榜: by commission, promoted sales or team size,
// over the last 7 or 30 days or all time.
func (h *Handler) adminRankings(c *gin.Context) error {
	p := admin.RankingPage{By: c.Query("by"), Days: 30}
	if p.By != store.RankSales && p.By != store.RankTeam {
		p.By = store.RankSettled
	}
	if d, err := strconv.Atoi(c.Query("days")); err == nil && (d == 0 || d == 7 || d == 30) {
		p.Days = d
	}
	if p.By == store.RankTeam {
		p.Days = 0
	}
	var err error
	if p.Entries, err = h.db.DistributorRanking(c.Request.Context(), p.By, p.Days, rankingLimit); err != nil {
		return err
	}
	h.render(c, http.StatusOK, admin.RankingListPage(p))
	return nil
}
