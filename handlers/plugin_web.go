package handlers

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing/fstest"

	"github.com/a-h/templ"
	"github.com/gin-gonic/gin"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/static"
	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/themes"
	"github.com/xiaodian/xiaodian/views"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// What plugins bring besides hooks (plugins/web.go): their routes, their
// back-office menu entries, their stylesheets and their jobs. A disabled
// plugin's routes answer 404 and its menu entries are hidden; its jobs do
// not run.

// pluginAssetsPrefix is where the plugins' stylesheets are served.
const pluginAssetsPrefix = "/plugin-assets"

// pluginRoutes registers every plugin's routes: storefront ones on r,
// admin ones on the staff group.
func (h *Handler) pluginRoutes(r *gin.Engine, admin *gin.RouterGroup) {
	h.plugins.Each(func(p plugins.Plugin, _ bool) {
		rt, ok := p.(plugins.Router)
		if !ok {
			return
		}
		id := p.ID()
		for _, route := range rt.Routes() {
			handle := h.pluginHandler(id, route)
			switch route.Area {
			case plugins.Admin:
				admin.Handle(route.Method, strings.TrimPrefix(route.Path, "/admin"), handle)
			case plugins.Account:
				r.Handle(route.Method, route.Path, h.requireCustomer, handle)
			default:
				r.Handle(route.Method, route.Path, handle)
			}
		}
	})
}

// pluginHandler runs one plugin route while its plugin is enabled.
func (h *Handler) pluginHandler(id string, route plugins.Route) gin.HandlerFunc {
	return h.wrap(func(c *gin.Context) error {
		if !h.plugins.Enabled(id) {
			return store.ErrNotFound
		}
		req := &pluginRequest{h: h, c: c, admin: route.Area == plugins.Admin}
		if route.Area != plugins.Admin {
			cu, err := h.loadCustomer(c)
			if err != nil {
				return err
			}
			req.customer = cu
		}
		return route.Handle(req)
	})
}

// pluginMenu is the sidebar entries of the enabled plugins.
func (h *Handler) pluginMenu() []views.MenuItem {
	var out []views.MenuItem
	h.plugins.Each(func(p plugins.Plugin, enabled bool) {
		rt, ok := p.(plugins.Router)
		if !ok || !enabled {
			return
		}
		for _, m := range rt.Menu() {
			out = append(out, views.MenuItem{Href: m.Href, Label: m.Label, Group: m.Group})
		}
	})
	// Entries of one group stay together, in the order the plugins gave.
	sort.SliceStable(out, func(i, j int) bool { return groupRank(out, out[i].Group) < groupRank(out, out[j].Group) })
	return out
}

func groupRank(items []views.MenuItem, group string) int {
	for i, m := range items {
		if m.Group == group {
			return i
		}
	}
	return len(items)
}

// newPluginStyles serves the plugins' stylesheets, content-hashed; nil when
// no plugin has one.
func newPluginStyles(reg *plugins.Registry) (*static.Assets, []string, error) {
	files := map[string][]byte{}
	var names []string
	reg.Each(func(p plugins.Plugin, _ bool) {
		if s, ok := p.(plugins.Styler); ok {
			if css := s.Stylesheet(); len(css) > 0 {
				name := p.ID() + ".css"
				files[name] = css
				names = append(names, name)
			}
		}
	})
	if len(names) == 0 {
		return nil, nil, nil
	}
	fsys := fstest.MapFS{}
	for n, b := range files {
		fsys[n] = &fstest.MapFile{Data: b}
	}
	a, err := static.NewAssets(fsys, pluginAssetsPrefix)
	if err != nil {
		return nil, nil, err
	}
	urls := make([]string, len(names))
	for i, n := range names {
		urls[i] = a.URL(n)
	}
	return a, urls, nil
}

var errNoPluginTheme = errors.New("plugin page: the theme does not draw it")

// pluginRequest is a plugin route's plugins.Request.
type pluginRequest struct {
	h        *Handler
	c        *gin.Context
	admin    bool
	customer *store.Customer
}

var _ plugins.Request = (*pluginRequest)(nil)

func (r *pluginRequest) Context() context.Context  { return r.c.Request.Context() }
func (r *pluginRequest) HTTP() *http.Request       { return r.c.Request }
func (r *pluginRequest) Param(name string) string  { return r.c.Param(name) }
func (r *pluginRequest) Query() url.Values         { return r.c.Request.URL.Query() }
func (r *pluginRequest) Customer() *store.Customer { return r.customer }
func (r *pluginRequest) Store() *store.DB          { return r.h.db }
func (r *pluginRequest) HTMX() bool                { return isHTMX(r.c) }

func (r *pluginRequest) T(key string, args ...any) string {
	return i18n.Tc(r.c.Request.Context(), key, args...)
}

func (r *pluginRequest) Form() url.Values {
	if err := r.c.Request.ParseForm(); err != nil {
		return url.Values{}
	}
	return r.c.Request.PostForm
}

func (r *pluginRequest) Staff() (int64, string) {
	if s := views.Staff(r.c.Request.Context()); s != nil {
		return s.ID, s.Name
	}
	return 0, ""
}

func (r *pluginRequest) Page(status int, p plugins.Page) error {
	if r.admin {
		r.h.render(r.c, status, templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
			return views.Admin(p.Title).Render(templ.WithChildren(ctx, p.Body), w)
		}))
		return nil
	}
	shell, err := r.h.accountShell(r.c, "", "")
	if err != nil {
		return err
	}
	shell.Title = p.Title
	t, ok := r.h.themes.Theme().(themes.PluginTheme)
	if !ok {
		return errNoPluginTheme
	}
	vm := themes.PluginPage{Page: shell, Title: p.Title, BackURL: p.BackURL, Class: p.Class, Body: p.Body}
	if r.customer != nil {
		vm.Notice = r.h.takeNotice(r.c)
	}
	r.h.render(r.c, status, t.PluginPage(vm))
	return nil
}

func (r *pluginRequest) Fragment(status int, c templ.Component) error {
	r.h.render(r.c, status, c)
	return nil
}

func (r *pluginRequest) Redirect(target, notice string) error {
	if notice != "" {
		if r.admin {
			r.h.addFlash(r.c, "success", notice)
		} else if err := r.h.setNotice(r.c, notice); err != nil {
			return err
		}
	}
	redirect(r.c, target)
	return nil
}

func (r *pluginRequest) Notice() string {
	if r.admin {
		return ""
	}
	return r.h.takeNotice(r.c)
}

func (r *pluginRequest) Data(status int, contentType, filename string, body []byte) error {
	if filename != "" {
		r.c.Header("Content-Disposition", `attachment; filename="`+filename+`"`)
	}
	r.c.Data(status, contentType, bytes.Clone(body))
	return nil
}
