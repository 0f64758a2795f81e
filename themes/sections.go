package themes

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/a-h/templ"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// maxSectionBytes bounds a sections/<name>.html file.
const maxSectionBytes = 256 << 10

// Section draws the named section from vm: through the active theme's
// sections/<name>.html override when there is a working one, else through
// compiled. Compiled themes draw every section through it:
//
//	@themes.Section(themes.SectionProductCard, card, productCard)
//
// An override that fails while rendering is reported in Problems and the
// compiled section is drawn instead, so a broken file never breaks a page.
func Section[T any](name string, vm T, compiled func(T) templ.Component) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		if st := stateFrom(ctx); st != nil {
			if o := st.sections[name]; o != nil {
				err := o.render(ctx, w, vm)
				if err == nil {
					return nil
				}
				st.log.Warn("theme section failed, drawing the built-in one", "section", name, "file", o.file, "err", err)
				st.problem(o.theme, o.file, err.Error())
			}
		}
		return compiled(vm).Render(ctx, w)
	})
}

// SectionNames lists every section a theme folder may override.
func SectionNames() []string {
	names := make([]string, 0, len(sectionSamples))
	for n := range sectionSamples {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// override is a parsed sections/<name>.html, one template per locale so that
// the t and money helpers need no per-request cloning.
type override struct {
	theme string
	file  string
	tmpl  map[i18n.Locale]*template.Template
}

func (o *override) render(ctx context.Context, w io.Writer, vm any) error {
	t := o.tmpl[i18n.FromContext(ctx)]
	if t == nil {
		t = o.tmpl[i18n.ZH]
	}
	// Render to a buffer first: a failure half-way must not leave half a
	// section on the page before the compiled one is drawn.
	var buf bytes.Buffer
	if err := templ.FromGoHTML(t, vm).Render(ctx, &buf); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// funcs is the helper list of a section override in locale l: money, yuan,
// cents, t, asset, image, srcset and setting, the same helpers compiled
// themes call as Go functions.
func (st *state) funcs(l i18n.Locale) template.FuncMap {
	return template.FuncMap{
		"money":   func(f store.Fen) string { return i18n.Money(l, int64(f)) },
		"yuan":    Yuan,
		"cents":   Cents,
		"t":       func(key string, args ...any) string { return i18n.T(l, key, args...) },
		"asset":   st.assetURL,
		"image":   Image,
		"srcset":  Srcset,
		"setting": func(key string) string { return st.settings[key] },
	}
}

// loadSections finds, along the chain, the first working override of each
// section. Each file is parsed and then tried on a sample view model, so a
// misspelt field is reported at start instead of on a shopper's page.
func (st *state) loadSections() {
	st.sections = map[string]*override{}
	for _, l := range st.layers {
		entries, err := fs.ReadDir(l.files, "sections")
		if err != nil {
			continue // no sections folder
		}
		for _, e := range entries {
			file := l.source + "/sections/" + e.Name()
			name, ok := strings.CutSuffix(e.Name(), ".html")
			if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
				continue
			}
			if _, known := sectionSamples[name]; !ok || !known {
				st.problem(l.id, file, fmt.Sprintf("unknown section; the sections are %s", strings.Join(SectionNames(), ", ")))
				continue
			}
			if st.sections[name] != nil {
				continue // a layer earlier in the chain already overrides it
			}
			o, err := st.parseOverride(l, name)
			if err != nil {
				st.problem(l.id, file, err.Error())
				continue
			}
			st.sections[name] = o
		}
	}
}

func (st *state) parseOverride(l *layer, name string) (*override, error) {
	p := path.Join("sections", name+".html")
	fi, err := fs.Stat(l.files, p)
	if err != nil {
		return nil, err
	}
	if fi.Size() > maxSectionBytes {
		return nil, fmt.Errorf("larger than %d KiB", maxSectionBytes>>10)
	}
	src, err := fs.ReadFile(l.files, p)
	if err != nil {
		return nil, err
	}
	o := &override{theme: l.id, file: l.source + "/" + p, tmpl: map[i18n.Locale]*template.Template{}}
	for _, loc := range i18n.Locales() {
		t, err := template.New(name).Funcs(st.funcs(loc)).Parse(string(src))
		if err != nil {
			return nil, err
		}
		o.tmpl[loc] = t
	}
	if err := o.tmpl[i18n.ZH].Execute(io.Discard, sectionSamples[name]); err != nil {
		return nil, err
	}
	return o, nil
}

// sectionSamples holds a filled-in view model of each section, to try
// overrides on; its keys are the section names.
var sectionSamples = map[string]any{
	SectionHeader:         Header{ShopName: "小店", BackURL: "/", SearchURL: "/search", Query: "奶粉"},
	SectionTabBar:         TabBar{Items: []TabItem{{ID: TabHome, URL: "/", Active: true}, {ID: TabCategory, URL: "/c"}, {ID: TabCart}}},
	SectionFooter:         Footer{ShopName: "小店", Langs: []LangLink{{Name: "简体中文", URL: "/?lang=zh-CN", Current: true}, {Name: "English", URL: "/?lang=en"}}},
	SectionProductCard:    sampleCard,
	SectionProductGrid:    ProductGrid{Title: "推荐", MoreURL: "/search?tag=recommended", Style: GridTwoColumn, Cards: []ProductCard{sampleCard}, Next: "/search?tag=recommended&page=2"},
	SectionProductGallery: ProductGallery{Title: sampleCard.Title, Images: []string{sampleKey, sampleKey}},
	SectionPriceBlock:     PriceBlock{Price: 8900, PriceMax: 12900, ListPrice: 15900},
	SectionSKUPicker: SKUPanel{
		ProductID: 1, Title: sampleCard.Title, Image: sampleKey, Price: PriceBlock{Price: 8900, ListPrice: 15900}, Stock: 12,
		Specs: []SpecGroup{{Name: "段数", Options: []SpecOption{
			{Value: "1段", Selected: true, URL: "/p/1?s0=1段", FragmentURL: "/p/1/sku?s0=1段"},
			{Value: "2段", Disabled: true, URL: "/p/1?s0=2段", FragmentURL: "/p/1/sku?s0=2段"},
		}}},
		Selected: []string{"1段"}, SKUID: 1, Label: "1段", URL: "/p/1?s0=1段",
	},
	SectionBannerCarousel: BannerCarousel{Slides: []BannerSlide{{Image: sampleKey, Title: "新品上市", URL: "/c/1"}}},
	SectionCategoryNav:    CategoryNav{Items: []CategoryLink{{ID: 1, Name: "母婴", Icon: sampleKey, URL: "/c/1"}}},
}

const sampleKey = "0123456789abcdef0123456789abcdef.jpg"

var sampleCard = ProductCard{
	ID: 1, URL: "/p/1", Title: "进口婴儿奶粉 1段 900g", Subtitle: "新西兰原装进口", Image: sampleKey,
	Price: 8900, ListPrice: 15900, Sales: 1024, Tags: []string{store.TagHot},
}
