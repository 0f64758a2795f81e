package handlers

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views/admin"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// maxBannerTitle is the longest banner title, in characters.
const maxBannerTitle = 40

// adminBanners lists the carousel slides, hidden ones included.
func (h *Handler) adminBanners(c *gin.Context) error {
	banners, err := h.db.Banners(c.Request.Context(), true)
	if err != nil {
		return err
	}
	h.render(c, http.StatusOK, admin.BannersPage(banners))
	return nil
}

// adminBannerNew shows an empty banner form.
func (h *Handler) adminBannerNew(c *gin.Context) error {
	h.render(c, http.StatusOK, admin.BannerFormPage(admin.BannerForm{Visible: true}))
	return nil
}

// adminBannerCreate handles the banner form. The link must be a path inside
// the shop such as /p/12: a banner never sends shoppers elsewhere.
func (h *Handler) adminBannerCreate(c *gin.Context) error {
	ctx := c.Request.Context()
	if err := h.parseAdminForm(c); err != nil {
		return h.formUnreadable(c, err)
	}
	var v store.ValidationErrors
	f := admin.BannerForm{
		Title: strings.TrimSpace(c.PostForm("title")), Link: strings.TrimSpace(c.PostForm("link")),
		Sort: strings.TrimSpace(c.PostForm("sort")), Visible: c.PostForm("visible") == "1",
	}
	image, pickerOnly, err := h.singleImageForm(c, "image", &v)
	if err != nil {
		return err
	}
	f.Image = image
	if pickerOnly {
		f.Errors = formErrors(ctx, v)
		h.render(c, statusFor(v), admin.BannerFormPage(f))
		return nil
	}
	b := store.Banner{Image: f.Image, Title: f.Title, Link: f.Link, Sort: formInt(f.Sort, "sort", &v), Visible: f.Visible}
	if f.Image == "" {
		v.Add("image", "validation.required")
	}
	if utf8.RuneCountInString(f.Title) > maxBannerTitle {
		v.Add("title", "validation.max_len", "max", maxBannerTitle)
	}
	if f.Link != "" && store.SafeLink(f.Link) == "" {
		v.Add("link", "admin.banner_link_local")
	}
	if len(v) == 0 {
		if _, err := h.db.CreateBanner(ctx, b); err != nil && !addValidation(&v, err) {
			return err
		}
	}
	if len(v) > 0 {
		f.Errors = formErrors(ctx, v)
		h.render(c, http.StatusUnprocessableEntity, admin.BannerFormPage(f))
		return nil
	}
	h.addFlash(c, "success", i18n.Tc(ctx, "admin.banner_saved"))
	redirect(c, "/admin/banners")
	return nil
}
