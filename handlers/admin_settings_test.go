package handlers

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// anonGet fetches path as a visitor without cookies, the requests the page
// cache serves.
func (a *testApp) anonGet(t *testing.T, path string) string {
	t.Helper()
	resp, err := http.Get(a.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d", path, resp.StatusCode)
	}
	return string(b)
}

// settingsForm is a complete settings form: the shop name and every theme
// setting at its default, with changes over it.
func settingsForm(name string, changes map[string]string) url.Values {
	f := url.Values{"name": {name}}
	for k, v := range map[string]string{"primary": "#ee0a24", "primary_light": "#ff6034", "accent": "#ff976a", "page_bg": "#f5f6f8", "radius": "10px"} {
		f.Set("theme."+k, v)
	}
	for k, v := range changes {
		f.Set("theme."+k, v)
	}
	return f
}

func TestSettingsShopNameReachesTheCachedStorefront(t *testing.T) {
	a := newTestApp(t)
	a.setupOwner(t)
	if home := a.anonGet(t, "/"); !strings.Contains(home, "<span>小店</span>") {
		t.Fatal("home lacks the default shop name")
	}
	a.anonGet(t, "/") // served from the page cache now

	resp, body := a.postForm(t, "/admin/settings", settingsForm(" 春天小铺 ", nil))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/settings" {
		t.Fatalf("save: status %d: %s", resp.StatusCode, body)
	}
	home := a.anonGet(t, "/")
	if !strings.Contains(home, "<span>春天小铺</span>") || strings.Contains(home, "<span>小店</span>") {
		t.Error("the cached home page still shows the old shop name")
	}
	_, page := a.get(t, "/admin/settings")
	for _, want := range []string{`value="春天小铺"`, "设置已保存", `data-testid="theme-preview"`, `name="theme.primary"`, `type="color"`} {
		if !strings.Contains(page, want) {
			t.Errorf("settings page lacks %q", want)
		}
	}
	if stored, _ := a.DB.Setting(t.Context(), themeSettingsKey("default"), "?"); stored != "{}" {
		t.Errorf("theme settings at their defaults stored as %q, want {}", stored)
	}
}

func TestSettingsRefusesBadInput(t *testing.T) {
	tests := []struct {
		name  string
		form  url.Values
		field string // data-testid="error-<field>"
		kept  string // the refused input shown again
	}{
		{"invalid colour", settingsForm("春天小铺", map[string]string{"primary": "red"}), "theme.primary", `value="red"`},
		{"colour breaking out of the style", settingsForm("春天小铺", map[string]string{"accent": "#fff;}</style>"}), "theme.accent", `value="#fff;}&lt;/style&gt;"`},
		{"length without a unit", settingsForm("春天小铺", map[string]string{"radius": "8"}), "theme.radius", `value="8"`},
		{"empty shop name", settingsForm("  ", map[string]string{"primary": "#123456"}), "name", `value="#123456"`},
		{"shop name too long", settingsForm(strings.Repeat("店", shopNameMax+1), nil), "name", strings.Repeat("店", shopNameMax+1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newTestApp(t)
			a.setupOwner(t)
			version := a.Themes.Version()
			resp, body := a.postForm(t, "/admin/settings", tt.form)
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", resp.StatusCode)
			}
			if !strings.Contains(body, `data-testid="error-`+tt.field+`"`) || !strings.Contains(body, tt.kept) {
				t.Errorf("the form does not show the message beside %s with the input kept", tt.field)
			}
			for _, key := range []string{shopNameSetting, themeSettingsKey("default")} {
				if v, _ := a.DB.Setting(t.Context(), key, ""); v != "" {
					t.Errorf("%s stored as %q", key, v)
				}
			}
			if _, vals := a.Themes.Settings(); vals["primary"] != "#ee0a24" || a.Themes.Version() != version {
				t.Errorf("the theme settings changed: %v", vals)
			}
		})
	}
}

func TestThemeSettingsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	a := openTestAppAt(t, dir)
	a.setupOwner(t)
	resp, body := a.postForm(t, "/admin/settings", settingsForm("春天小铺", map[string]string{"primary": "#123456", "radius": "4px"}))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: status %d: %s", resp.StatusCode, body)
	}
	if home := a.anonGet(t, "/"); !strings.Contains(home, "--primary:#123456;") {
		t.Fatal("the saved colour is not on the storefront")
	}

	restarted := openTestAppAt(t, dir)
	home := restarted.anonGet(t, "/")
	for _, want := range []string{"--primary:#123456;", "--radius:4px;", "--accent:#ff976a;", "<span>春天小铺</span>"} {
		if !strings.Contains(home, want) {
			t.Errorf("after a restart the storefront lacks %q", want)
		}
	}

	// A stored value the theme no longer accepts is dropped at start; the
	// others still apply.
	if err := a.DB.SetSetting(t.Context(), themeSettingsKey("default"), `{"primary":"red","radius":"6px","gone":"#fff"}`); err != nil {
		t.Fatal(err)
	}
	again := openTestAppAt(t, dir)
	if _, vals := again.Themes.Settings(); vals["primary"] != "#ee0a24" || vals["radius"] != "6px" {
		t.Errorf("stored settings with bad values applied as %v", vals)
	}
	if err := a.DB.SetSetting(t.Context(), themeSettingsKey("default"), `not json`); err != nil {
		t.Fatal(err)
	}
	openTestAppAt(t, dir) // starts with the defaults
}

var previewSrc = regexp.MustCompile(`src="/\?theme_preview=([0-9a-f]+)"`)

func TestThemePreviewAppliesOnlyWithItsToken(t *testing.T) {
	a := newTestApp(t)
	a.setupOwner(t)
	a.anonGet(t, "/") // cached with the saved settings

	resp, body := a.do(t, http.MethodPost, "/admin/settings/preview",
		strings.NewReader(settingsForm("春天小铺", map[string]string{"primary": "#123456", "accent": "bad"}).Encode()),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Origin": {a.srv.URL}, "HX-Request": {"true"}})
	m := previewSrc.FindStringSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil || strings.Contains(body, "<html") {
		t.Fatalf("preview: status %d, want a frame fragment: %s", resp.StatusCode, body)
	}
	token := m[1]

	tests := []struct {
		name    string
		get     func(path string) string
		path    string
		preview bool
	}{
		{"staff with the token", func(p string) string { _, b := a.get(t, p); return b }, "/?theme_preview=" + token, true},
		{"staff on another page with the token", func(p string) string { _, b := a.get(t, p); return b }, "/c?theme_preview=" + token, true},
		{"staff without the token", func(p string) string { _, b := a.get(t, p); return b }, "/", false},
		{"staff with an unknown token", func(p string) string { _, b := a.get(t, p); return b }, "/?theme_preview=0123abcd", false},
		{"visitor with the token", func(p string) string { return a.anonGet(t, p) }, "/?theme_preview=" + token, false},
		{"visitor without the token", func(p string) string { return a.anonGet(t, p) }, "/", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := tt.get(tt.path)
			if got := strings.Contains(page, "--primary:#123456;"); got != tt.preview {
				t.Errorf("previewed colour shown: %v, want %v", got, tt.preview)
			}
			if !strings.Contains(page, "--accent:#ff976a;") {
				t.Error("the invalid accent reached the page")
			}
		})
	}
	if _, vals := a.Themes.Settings(); vals["primary"] != "#ee0a24" {
		t.Errorf("a preview changed the saved settings: %v", vals)
	}
	if v, _ := a.DB.Setting(t.Context(), themeSettingsKey("default"), ""); v != "" {
		t.Errorf("a preview stored %q", v)
	}
}

func TestSettingsRoutesRefuseVisitors(t *testing.T) {
	a := newTestApp(t)
	a.setupOwner(t)
	// The same shop through a browser without the owner's cookie.
	jar, _ := cookiejar.New(nil)
	visitor := &testApp{App: a.App, srv: a.srv, client: &http.Client{Jar: jar, CheckRedirect: a.client.CheckRedirect}}
	for _, path := range []string{"/admin/settings", "/admin/settings/preview", "/admin/settings/defaults", "/admin/settings/reload-theme"} {
		resp, _ := visitor.postForm(t, path, settingsForm("黑客小店", map[string]string{"primary": "#000000"}))
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("POST %s by a visitor: status %d, want 403", path, resp.StatusCode)
		}
	}
	if resp, _ := visitor.get(t, "/admin/settings"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/admin/login") {
		t.Errorf("GET by a visitor: status %d to %q, want the login page", resp.StatusCode, resp.Header.Get("Location"))
	}
	if v, _ := a.DB.Setting(t.Context(), shopNameSetting, ""); v != "" {
		t.Errorf("a visitor stored the shop name %q", v)
	}
	if _, vals := a.Themes.Settings(); vals["primary"] != "#ee0a24" {
		t.Errorf("a visitor changed the theme: %v", vals)
	}
}

func TestRestoreThemeDefaults(t *testing.T) {
	a := newTestApp(t)
	a.setupOwner(t)
	if resp, body := a.postForm(t, "/admin/settings", settingsForm("春天小铺", map[string]string{"page_bg": "#ffffff"})); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: status %d: %s", resp.StatusCode, body)
	}
	resp, _ := a.postForm(t, "/admin/settings/defaults", settingsForm("别的名字", map[string]string{"page_bg": "#000000"}))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("restore: status %d", resp.StatusCode)
	}
	if _, vals := a.Themes.Settings(); vals["page_bg"] != "#f5f6f8" {
		t.Errorf("page_bg = %q after restoring the defaults", vals["page_bg"])
	}
	if v, _ := a.DB.Setting(t.Context(), themeSettingsKey("default"), ""); v != "{}" {
		t.Errorf("stored theme settings %q, want {}", v)
	}
	if v, _ := a.DB.Setting(t.Context(), shopNameSetting, ""); v != "春天小铺" {
		t.Errorf("restoring the theme defaults changed the shop name to %q", v)
	}
	if home := a.anonGet(t, "/"); !strings.Contains(home, "--page-bg:#f5f6f8;") {
		t.Error("the storefront does not show the default background")
	}
}

func TestThemeProblemsCard(t *testing.T) {
	dir := t.TempDir()
	a := openTestAppAt(t, dir)
	a.setupOwner(t)
	if _, page := a.get(t, "/admin/settings"); !strings.Contains(page, `data-testid="no-problems"`) {
		t.Fatal("a clean theme should show the no-problems line")
	}

	sections := filepath.Join(dir, "themes", "default", "sections")
	if err := os.MkdirAll(sections, 0o755); err != nil {
		t.Fatal(err)
	}
	broken := filepath.Join(sections, "product_card.html")
	if err := os.WriteFile(broken, []byte(`<div>{{ .NoSuchField }}</div>`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, page := a.get(t, "/admin/settings")
	if !strings.Contains(page, `data-testid="no-problems"`) {
		t.Fatal("the edit showed up before the theme was reloaded")
	}
	resp, _ := a.postForm(t, "/admin/settings/reload-theme", nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("reload: status %d", resp.StatusCode)
	}
	_, page = a.get(t, "/admin/settings")
	for _, want := range []string{`data-testid="theme-problem"`, "data/themes/default/sections/product_card.html", "NoSuchField", "仍有 1 个问题"} {
		if !strings.Contains(page, want) {
			t.Errorf("problems card lacks %q", want)
		}
	}
	if strings.Contains(page, `data-testid="no-problems"`) {
		t.Error("the no-problems line is shown beside a problem")
	}

	if err := os.Remove(broken); err != nil {
		t.Fatal(err)
	}
	a.postForm(t, "/admin/settings/reload-theme", nil)
	if _, page = a.get(t, "/admin/settings"); !strings.Contains(page, `data-testid="no-problems"`) {
		t.Error("the problem stayed after the file was fixed and the theme reloaded")
	}
}
