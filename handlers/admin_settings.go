package handlers

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/themes"
	"github.com/xiaodian/xiaodian/views/admin"
	"github.com/xiaodian/xiaodian/views/i18n"
)

const (
	// shopNameMax is the longest shop name, in characters: it has to fit
	// the storefront's top bar on a phone.
	shopNameMax = 20
	// settingsFormMax bounds the body of the settings form.
	settingsFormMax = 64 << 10
	// themePreviewParam is the storefront query parameter naming a preview.
	themePreviewParam = "theme_preview"
	// sessionThemePreview holds the staff member's current themePreview.
	sessionThemePreview = "theme_preview"
	// themePreviewTTL is how long a preview link keeps working.
	themePreviewTTL = 30 * time.Minute
)

// themePreview is a set of unsaved theme settings kept in the staff
// session: the storefront draws with them when a request names Token.
type themePreview struct {
	Token   string
	Values  map[string]string
	Expires time.Time
}

func init() {
	gob.Register(themePreview{})
}

// themeSettingsKey is the settings key holding theme id's values as a JSON object.
func themeSettingsKey(id string) string { return "theme." + id + ".settings" }

// adminSettings shows the shop and theme settings with the values in force.
func (h *Handler) adminSettings(c *gin.Context) error {
	ctx := c.Request.Context()
	name, err := h.shopName(ctx)
	if err != nil {
		return err
	}
	_, values := h.themes.Settings()
	h.render(c, http.StatusOK, admin.SettingsPage(h.settingsForm(name, values)))
	return nil
}

// settingsForm is the page showing name and the theme values in values.
func (h *Handler) settingsForm(name string, values map[string]string) admin.SettingsForm {
	m := h.themes.Active()
	f := admin.SettingsForm{ShopName: name, ThemeName: m.Name, ThemeVersion: m.Version, PreviewURL: "/"}
	defs, _ := h.themes.Settings()
	for _, d := range defs {
		f.Fields = append(f.Fields, admin.ThemeField{Key: d.Key, Label: d.Label, Type: d.Type, Default: d.Default, Value: values[d.Key]})
	}
	for _, p := range h.themes.Problems() {
		f.Problems = append(f.Problems, admin.ThemeProblem{File: p.File, Err: p.Err})
	}
	if st := h.PosterFontStatus(); st.OK {
		f.PosterFont = admin.PosterFont{OK: true, Family: st.Family, Path: st.Path}
	} else {
		f.PosterFont = admin.PosterFont{Problem: st.Err.Error()}
	}
	return f
}

// postedThemeValues reads the theme fields of the settings form: an empty
// field is left out (its default applies), a value that does not fit its
// setting's type is added to v.
func (h *Handler) postedThemeValues(c *gin.Context, v *store.ValidationErrors) (posted, valid map[string]string) {
	posted, valid = map[string]string{}, map[string]string{}
	defs, _ := h.themes.Settings()
	for _, d := range defs {
		field := admin.ThemeField{Key: d.Key}.Name()
		val := strings.TrimSpace(c.PostForm(field))
		posted[d.Key] = val
		if val == "" || val == d.Default {
			continue // stored as nothing, so a new default of the theme applies
		}
		if err := themes.CheckSetting(d.Type, val); err != nil {
			if v != nil {
				v.Add(field, "admin.theme_invalid_"+settingKind(d.Type), "default", d.Default)
			}
			continue
		}
		valid[d.Key] = val
	}
	return posted, valid
}

// settingKind names the message family of a setting type.
func settingKind(typ string) string {
	switch typ {
	case themes.SettingColor, themes.SettingLength, themes.SettingFont:
		return typ
	}
	return "value"
}

// readSettingsForm parses a bounded urlencoded body.
func readSettingsForm(c *gin.Context) error {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, settingsFormMax)
	if err := c.Request.ParseForm(); err != nil {
		return fmt.Errorf("settings form: %w: %v", ErrBadRequest, err)
	}
	return nil
}

// adminSettingsSave saves the shop name and the theme settings. The theme
// registry checks the values before anything is stored; a refused form is
// shown again with 422, its input kept and the preview showing it.
func (h *Handler) adminSettingsSave(c *gin.Context) error {
	ctx := c.Request.Context()
	if err := readSettingsForm(c); err != nil {
		return err
	}
	var v store.ValidationErrors
	name := strings.TrimSpace(c.PostForm("name"))
	switch {
	case name == "":
		v.Add("name", "validation.required")
	case utf8.RuneCountInString(name) > shopNameMax:
		v.Add("name", "validation.max_len", "max", shopNameMax)
	}
	posted, values := h.postedThemeValues(c, &v)
	id := h.themes.Active().ID
	_, before := h.themes.Settings()
	var applied bool
	if len(v) == 0 {
		if err := h.themes.SetSettings(values); err != nil {
			h.log.Warn("theme settings refused", "err", err)
			v.Add("theme", "admin.theme_settings_refused")
		} else {
			applied = true
		}
	}
	if len(v) > 0 {
		f := h.settingsForm(c.PostForm("name"), posted)
		f.Errors = formErrors(ctx, v)
		if token, err := h.saveThemePreview(c, values); err == nil {
			f.PreviewURL = previewURL(token)
		} else {
			h.log.Warn("theme preview", "err", err)
		}
		h.render(c, http.StatusUnprocessableEntity, admin.SettingsPage(f))
		return nil
	}
	if err := h.storeSettings(ctx, name, id, values); err != nil {
		if applied {
			if rerr := h.themes.SetSettings(before); rerr != nil {
				err = errors.Join(err, rerr)
			}
		}
		return err
	}
	h.addFlash(c, "success", i18n.Tc(ctx, "admin.settings_saved"))
	redirect(c, "/admin/settings")
	return nil
}

// storeSettings stores the shop name and theme id's values.
func (h *Handler) storeSettings(ctx context.Context, name, id string, values map[string]string) error {
	data, err := json.Marshal(values)
	if err != nil {
		return fmt.Errorf("encode theme settings: %w", err)
	}
	if err := h.db.SetSetting(ctx, shopNameSetting, name); err != nil {
		return err
	}
	return h.db.SetSetting(ctx, themeSettingsKey(id), string(data))
}

// adminSettingsDefaults puts the active theme's settings back to the
// defaults of its theme.yaml; the shop name stays.
func (h *Handler) adminSettingsDefaults(c *gin.Context) error {
	ctx := c.Request.Context()
	if err := h.themes.SetSettings(nil); err != nil {
		return err
	}
	if err := h.db.SetSetting(ctx, themeSettingsKey(h.themes.Active().ID), "{}"); err != nil {
		return err
	}
	h.addFlash(c, "success", i18n.Tc(ctx, "admin.theme_defaults_restored"))
	redirect(c, "/admin/settings")
	return nil
}

// adminReloadTheme reads the theme folders again, after a file was edited
// on disk, and shows what is still wrong.
func (h *Handler) adminReloadTheme(c *gin.Context) error {
	ctx := c.Request.Context()
	if err := h.themes.Reload(); err != nil {
		return err
	}
	if n := len(h.themes.Problems()); n > 0 {
		h.addFlash(c, "warning", i18n.Tc(ctx, "admin.theme_reloaded_problems", "count", n))
	} else {
		h.addFlash(c, "success", i18n.Tc(ctx, "admin.theme_reloaded"))
	}
	redirect(c, "/admin/settings")
	return nil
}

// adminSettingsPreview keeps the form's unsaved theme values as the staff
// member's preview and answers the preview frame pointing at it. Values
// that do not fit are left out: the preview shows what saving would keep.
func (h *Handler) adminSettingsPreview(c *gin.Context) error {
	if err := readSettingsForm(c); err != nil {
		return err
	}
	_, values := h.postedThemeValues(c, nil)
	token, err := h.saveThemePreview(c, values)
	if err != nil {
		return err
	}
	h.render(c, http.StatusOK, admin.PreviewFrame(previewURL(token)))
	return nil
}

// saveThemePreview stores values as the session's preview under a new
// token, replacing the previous one.
func (h *Handler) saveThemePreview(c *gin.Context, values map[string]string) (string, error) {
	b := make([]byte, 16)
	rand.Read(b)
	p := themePreview{Token: hex.EncodeToString(b), Values: values, Expires: time.Now().Add(themePreviewTTL)}
	sess := h.session(c)
	sess.Values[sessionThemePreview] = p
	if err := sess.Save(c.Request, c.Writer); err != nil {
		return "", fmt.Errorf("save theme preview: %w", err)
	}
	return p.Token, nil
}

func previewURL(token string) string { return "/?" + themePreviewParam + "=" + token }

// applyThemePreview puts the session's preview settings into the request's
// context when the request names them by their token and they have not
// expired; any other request is left alone. The page cache never sees
// such requests.
func (h *Handler) applyThemePreview(c *gin.Context) {
	token := c.Query(themePreviewParam)
	if token == "" || !hasSessionCookie(c) {
		return
	}
	p, ok := h.session(c).Values[sessionThemePreview].(themePreview)
	if !ok || time.Now().After(p.Expires) || subtle.ConstantTimeCompare([]byte(p.Token), []byte(token)) != 1 {
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Request = c.Request.WithContext(themes.WithSettings(c.Request.Context(), p.Values))
}

// applyStoredThemeSettings gives the theme registry the values stored for
// its active theme. A stored value the theme no longer accepts (its
// theme.yaml changed) is logged and dropped; the rest still apply.
func applyStoredThemeSettings(ctx context.Context, db *store.DB, reg *themes.Registry, log *slog.Logger) error {
	key := themeSettingsKey(reg.Active().ID)
	raw, err := db.Setting(ctx, key, "")
	if err != nil || raw == "" {
		return err
	}
	var stored map[string]string
	if err := json.Unmarshal([]byte(raw), &stored); err != nil {
		log.Warn("ignoring stored theme settings", "key", key, "err", err)
		return nil
	}
	defs, _ := reg.Settings()
	values := map[string]string{}
	for k, v := range stored {
		i := slices.IndexFunc(defs, func(d themes.SettingDef) bool { return d.Key == k })
		if i < 0 || themes.CheckSetting(defs[i].Type, v) != nil {
			log.Warn("ignoring stored theme setting", "key", key, "setting", k, "value", v)
			continue
		}
		values[k] = v
	}
	if err := reg.SetSettings(values); err != nil {
		log.Warn("ignoring stored theme settings", "key", key, "err", err)
	}
	return nil
}
