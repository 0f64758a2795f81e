package themes

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/a-h/templ"

	"github.com/xiaodian/xiaodian/static"
)

// Compiled is a theme built into the binary: its templ components and its
// embedded folder (theme.yaml, assets/, optional sections/).
type Compiled struct {
	Theme Theme
	Files fs.FS
}

var (
	compiledMu sync.RWMutex
	compiled   = map[string]Compiled{}
)

// Register adds a compiled theme; a compiled theme's package calls it from
// init, the way database/sql drivers register, and the program imports that
// package. A nil theme or a duplicate id is a programming error and panics.
func Register(c Compiled) {
	if c.Theme == nil || c.Files == nil {
		panic("themes: Register of a nil theme")
	}
	compiledMu.Lock()
	defer compiledMu.Unlock()
	id := c.Theme.ID()
	if _, dup := compiled[id]; dup {
		panic(fmt.Sprintf("themes: theme %q registered twice", id))
	}
	compiled[id] = c
}

func lookupCompiled(id string) (Compiled, bool) {
	compiledMu.RLock()
	defer compiledMu.RUnlock()
	c, ok := compiled[id]
	return c, ok
}

// Problem is something wrong with a theme folder that the shop works around
// (a broken section override, an unknown parent, a bad setting); the back
// office shows the list.
type Problem struct {
	Theme string // theme id
	File  string // the file at fault, e.g. "data/themes/spring/sections/product_card.html"
	Err   string
}

// String formats the problem for logs and the back office.
func (p Problem) String() string { return p.File + ": " + p.Err }

// Registry holds the installed themes and the active one.
type Registry struct {
	version atomic.Int64
	dataDir string
	active  string
	log     *slog.Logger
	state   atomic.Pointer[state]

	mu       sync.Mutex        // serialises Reload and SetSettings
	values   map[string]string // the shop's own setting values
	loadedFP string            // fingerprint of the theme folders at the last load
}

// NewRegistry loads the themes (compiled ones and folders under
// dataDir/themes) and selects the active one ("" = the default theme). Only
// a missing default theme is an error: everything wrong with a theme folder
// is reported by Problems and worked around.
func NewRegistry(dataDir, active string, log *slog.Logger) (*Registry, error) {
	if log == nil {
		log = slog.Default()
	}
	if active == "" {
		active = DefaultID
	}
	r := &Registry{dataDir: dataDir, active: active, log: log}
	if err := r.Reload(); err != nil {
		return nil, err
	}
	return r, nil
}

// Version changes whenever a theme file or setting changes; page caches key on it.
func (r *Registry) Version() int64 { return r.version.Load() }

// Reload reads the theme folders again (after an edit on disk) and switches
// to the result atomically; pages being rendered finish with the old one.
func (r *Registry) Reload() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	// Taken before reading, so an edit made while loading is seen by Watch.
	r.loadedFP = r.fingerprint()
	st, err := r.load()
	if err != nil {
		return err
	}
	for _, p := range st.problems {
		r.log.Warn("theme problem", "theme", p.Theme, "file", p.File, "err", p.Err)
	}
	r.state.Store(st)
	r.version.Add(1)
	return nil
}

// SetSettings replaces the shop's own values of the active theme's settings
// (the rest keep their defaults) and reloads. A value that does not fit its
// setting's type, or an unknown key, is refused and nothing changes.
func (r *Registry) SetSettings(values map[string]string) error {
	st := r.state.Load()
	for k, v := range values {
		i := slices.IndexFunc(st.schema, func(d SettingDef) bool { return d.Key == k })
		if i < 0 {
			return fmt.Errorf("theme settings: unknown setting %q", k)
		}
		if err := CheckSetting(st.schema[i].Type, v); err != nil {
			return fmt.Errorf("theme settings: %s: %w", k, err)
		}
	}
	r.mu.Lock()
	r.values = maps.Clone(values)
	r.mu.Unlock()
	return r.Reload()
}

// Theme returns the active theme: the compiled theme of the chain, drawing
// each section from its override when the chain has a working one.
func (r *Registry) Theme() Theme { return r.state.Load() }

// Active returns the manifest of the active theme.
func (r *Registry) Active() Manifest { return r.state.Load().layers[0].manifest }

// Settings returns the active theme's settings schema in order and the
// values in force.
func (r *Registry) Settings() ([]SettingDef, map[string]string) {
	st := r.state.Load()
	return slices.Clone(st.schema), maps.Clone(st.settings)
}

// Problems lists what is wrong with the active theme chain, found when it
// was loaded or when an override failed to render.
func (r *Registry) Problems() []Problem {
	st := r.state.Load()
	st.mu.Lock()
	defer st.mu.Unlock()
	return slices.Clone(st.problems)
}

// ServeHTTP serves the assets of the active theme chain: an embedded
// theme's under /theme/<id>/, a folder's under /theme/_data/<id>/.
func (r *Registry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	for _, l := range r.state.Load().layers {
		if l.assets != nil && strings.HasPrefix(req.URL.Path, l.assets.Prefix()+"/") {
			l.assets.ServeHTTP(w, req)
			return
		}
	}
	http.NotFound(w, req)
}

// layer is one theme folder of the active chain.
type layer struct {
	id       string
	source   string // for problems: "data/themes/<id>" or "built-in <id>"
	files    fs.FS
	manifest Manifest
	compiled Theme          // nil for a folder on disk
	assets   *static.Assets // nil without an assets/ folder
}

// state is one loaded theme chain. It implements Theme by rendering its
// compiled theme with itself in the context, where Section, Asset and the
// other helpers find it.
type state struct {
	compiled Theme
	layers   []*layer
	sections map[string]*override
	schema   []SettingDef
	settings map[string]string
	rootCSS  string
	log      *slog.Logger

	mu       sync.Mutex
	problems []Problem
}

func (r *Registry) load() (*state, error) {
	if _, ok := lookupCompiled(DefaultID); !ok {
		return nil, errors.New("themes: the default theme is not compiled in (import github.com/xiaodian/xiaodian/themes/default)")
	}
	st := &state{log: r.log}
	seen := map[string]bool{}
	id := r.active
	if !ValidID(id) {
		st.problem(id, "config", fmt.Sprintf("theme id %q is not valid; using %q", id, DefaultID))
		id = DefaultID
	}
	for id != "" {
		if seen[id] {
			st.problem(id, ManifestFile, "parent chain loops back to "+id)
			id = ""
			if !seen[DefaultID] {
				id = DefaultID
			}
			continue
		}
		seen[id] = true
		layers, parent, err := r.layersOf(st, id)
		if err != nil {
			return nil, err
		}
		if len(layers) == 0 {
			st.problem(id, "data/themes/"+id, fmt.Sprintf("theme %q is not installed", id))
		}
		st.layers = append(st.layers, layers...)
		id = parent
		if id == "" && !seen[DefaultID] {
			id = DefaultID
		}
	}
	for _, l := range st.layers {
		if l.compiled != nil {
			st.compiled = l.compiled
			break
		}
	}
	st.loadSettings(r.values)
	st.loadSections()
	return st, nil
}

// layersOf returns the folders of theme id — on disk first, then embedded —
// and the id of its parent.
func (r *Registry) layersOf(st *state, id string) ([]*layer, string, error) {
	var out []*layer
	c, isCompiled := lookupCompiled(id)
	var builtin Manifest
	if isCompiled {
		m, err := readManifest(c.Files)
		if err != nil {
			// Embedded files: a broken one is a build mistake the tests catch.
			return nil, "", fmt.Errorf("themes: built-in theme %s: %w", id, err)
		}
		builtin = m
	}
	source := filepath.ToSlash(filepath.Join("data", "themes", id))
	dir := filepath.Join(r.dataDir, "themes", id)
	if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
		fsys := os.DirFS(dir)
		m, err := readManifest(fsys)
		switch {
		case errors.Is(err, fs.ErrNotExist) && isCompiled:
			m, err = builtin, nil // an override folder of a built-in theme may skip theme.yaml
		case err == nil && m.ID != id:
			err = fmt.Errorf("%s: id %q does not match the folder name %q", ManifestFile, m.ID, id)
		}
		if err != nil {
			st.problem(id, source+"/"+ManifestFile, err.Error())
		} else {
			out = append(out, &layer{id: id, source: source, files: fsys, manifest: m,
				assets: st.assetsOf(id, source, fsys, "/theme/_data/"+id)})
		}
	}
	if isCompiled {
		out = append(out, &layer{id: id, source: "built-in " + id, files: c.Files, manifest: builtin, compiled: c.Theme,
			assets: st.assetsOf(id, "built-in "+id, c.Files, "/theme/"+id)})
	}
	parent := ""
	for _, l := range out {
		if l.manifest.Parent != "" {
			parent = l.manifest.Parent
			break
		}
	}
	return out, parent, nil
}

func (st *state) assetsOf(id, source string, fsys fs.FS, prefix string) *static.Assets {
	if fi, err := fs.Stat(fsys, "assets"); err != nil || !fi.IsDir() {
		return nil
	}
	sub, err := fs.Sub(fsys, "assets")
	if err == nil {
		var a *static.Assets
		if a, err = static.NewAssets(sub, prefix); err == nil {
			return a
		}
	}
	st.problem(id, source+"/assets", err.Error())
	return nil
}

// loadSettings merges the settings schema along the chain (a child's
// default wins over its parent's) and applies the shop's values.
func (st *state) loadSettings(values map[string]string) {
	st.settings = map[string]string{}
	for i := len(st.layers) - 1; i >= 0; i-- {
		for _, d := range st.layers[i].manifest.Settings {
			if j := slices.IndexFunc(st.schema, func(o SettingDef) bool { return o.Key == d.Key }); j >= 0 {
				st.schema[j] = d
			} else {
				st.schema = append(st.schema, d)
			}
			st.settings[d.Key] = d.Default
		}
	}
	st.settings = st.over(st.settings, values)
	st.rootCSS = st.css(st.settings)
}

// over returns base with the values in values that fit the schema put over
// it; unknown keys and values of the wrong type are left out.
func (st *state) over(base, values map[string]string) map[string]string {
	out := maps.Clone(base)
	for k, v := range values {
		if j := slices.IndexFunc(st.schema, func(o SettingDef) bool { return o.Key == k }); j >= 0 && CheckSetting(st.schema[j].Type, v) == nil {
			out[k] = v
		}
	}
	return out
}

// css is settings as custom properties on :root, in schema order.
func (st *state) css(settings map[string]string) string {
	if len(st.schema) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(":root{")
	for _, d := range st.schema {
		b.WriteString(cssVar(d.Key))
		b.WriteByte(':')
		b.WriteString(settings[d.Key])
		b.WriteByte(';')
	}
	b.WriteString("}")
	return b.String()
}

func (st *state) problem(theme, file, msg string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	p := Problem{Theme: theme, File: file, Err: msg}
	if !slices.Contains(st.problems, p) {
		st.problems = append(st.problems, p)
	}
}

func (st *state) assetURL(name string) string {
	for _, l := range st.layers {
		if l.assets != nil && l.assets.Has(name) {
			return l.assets.URL(name)
		}
	}
	return ""
}

type stateKey struct{}

func stateFrom(ctx context.Context) *state {
	s, _ := ctx.Value(stateKey{}).(*state)
	return s
}

// wrap renders c with the state in the context.
func (st *state) wrap(c templ.Component) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		return c.Render(context.WithValue(ctx, stateKey{}, st), w)
	})
}

func (st *state) ID() string                       { return st.layers[0].id }
func (st *state) Home(vm HomePage) templ.Component { return st.wrap(st.compiled.Home(vm)) }
func (st *state) Categories(vm CategoriesPage) templ.Component {
	return st.wrap(st.compiled.Categories(vm))
}
func (st *state) Category(vm CategoryPage) templ.Component { return st.wrap(st.compiled.Category(vm)) }
func (st *state) Search(vm SearchPage) templ.Component     { return st.wrap(st.compiled.Search(vm)) }
func (st *state) ProductList(vm ProductList) templ.Component {
	return st.wrap(st.compiled.ProductList(vm))
}
func (st *state) Product(vm ProductPage) templ.Component   { return st.wrap(st.compiled.Product(vm)) }
func (st *state) SKUPanel(vm SKUPanel) templ.Component     { return st.wrap(st.compiled.SKUPanel(vm)) }
func (st *state) NotFound(vm NotFoundPage) templ.Component { return st.wrap(st.compiled.NotFound(vm)) }

// Watch reloads the themes whenever a file under dataDir/themes changes,
// checking every interval until ctx ends; development mode runs it so a
// theme author sees an edit on the next page load.
func (r *Registry) Watch(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		r.mu.Lock()
		loaded := r.loadedFP
		r.mu.Unlock()
		if r.fingerprint() == loaded {
			continue
		}
		if err := r.Reload(); err != nil {
			r.log.Error("reload themes", "err", err)
		}
	}
}

// fingerprint sums the names, sizes and times of the files under
// dataDir/themes.
func (r *Registry) fingerprint() string {
	var b strings.Builder
	root := filepath.Join(r.dataDir, "themes")
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // a folder vanishing mid-walk shows up next time
		}
		if info, err := d.Info(); err == nil {
			fmt.Fprintf(&b, "%s|%d|%d\n", path, info.Size(), info.ModTime().UnixNano())
		}
		return nil
	})
	return b.String()
}
