package i18n

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

var (
	keyPattern         = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$`)
	placeholderPattern = regexp.MustCompile(`\{([^{}]*)\}`)
	placeholderName    = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
)

// readCatalogueStrict decodes a catalogue file token by token so that duplicate keys,
// which encoding/json would silently collapse, are reported.
func readCatalogueStrict(t *testing.T, l Locale) map[string]string {
	t.Helper()
	m := make(map[string]string)
	entries, err := fs.ReadDir(catalogueFiles, ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() == string(l)+".json" || strings.HasSuffix(e.Name(), "."+string(l)+".json") {
			readCatalogueFileStrict(t, e.Name(), m)
		}
	}
	return m
}

func readCatalogueFileStrict(t *testing.T, name string, m map[string]string) {
	t.Helper()
	l := name
	data, err := catalogueFiles.ReadFile(name)
	if err != nil {
		t.Fatalf("read %s: %v", l, err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("%s: want a JSON object, got %v (%v)", l, tok, err)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("%s: %v", l, err)
		}
		key := tok.(string)
		var value string
		if err := dec.Decode(&value); err != nil {
			t.Fatalf("%s: key %q: value must be a string: %v", l, key, err)
		}
		if _, dup := m[key]; dup {
			t.Errorf("%s: duplicate key %q", l, key)
		}
		m[key] = value
	}
	if _, err := dec.Token(); err != nil {
		t.Fatalf("%s: %v", l, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		t.Errorf("%s: trailing data after the object", l)
	}
}

func placeholders(msg string) []string {
	var names []string
	for _, m := range placeholderPattern.FindAllStringSubmatch(msg, -1) {
		names = append(names, m[1])
	}
	sort.Strings(names)
	return slices.Compact(names)
}

func TestCataloguesAgree(t *testing.T) {
	zh := readCatalogueStrict(t, ZH)
	en := readCatalogueStrict(t, EN)
	if len(zh) < 150 {
		t.Errorf("zh-CN catalogue has %d keys, want at least 150", len(zh))
	}
	for key := range zh {
		if _, ok := en[key]; !ok {
			t.Errorf("key %q is in zh-CN.json but not in en.json", key)
		}
	}
	for key := range en {
		if _, ok := zh[key]; !ok {
			t.Errorf("key %q is in en.json but not in zh-CN.json", key)
		}
	}
	for _, cat := range []struct {
		locale Locale
		msgs   map[string]string
	}{{ZH, zh}, {EN, en}} {
		for key, msg := range cat.msgs {
			if !keyPattern.MatchString(key) {
				t.Errorf("%s: key %q is not of the form area.name", cat.locale, key)
			}
			if strings.TrimSpace(msg) == "" {
				t.Errorf("%s: key %q has an empty message", cat.locale, key)
			}
			for _, name := range placeholders(msg) {
				if !placeholderName.MatchString(name) {
					t.Errorf("%s: key %q has a malformed placeholder {%s}", cat.locale, key, name)
				}
			}
		}
	}
	for key, zhMsg := range zh {
		enMsg, ok := en[key]
		if !ok {
			continue
		}
		if got, want := placeholders(enMsg), placeholders(zhMsg); !slices.Equal(got, want) {
			t.Errorf("key %q: placeholders differ: zh-CN %v, en %v", key, want, got)
		}
	}
}

func TestLoadedCatalogueMatchesFiles(t *testing.T) {
	for _, l := range Locales() {
		want := readCatalogueStrict(t, l)
		if len(catalogues[l]) != len(want) {
			t.Errorf("%s: loaded %d keys, file has %d", l, len(catalogues[l]), len(want))
		}
	}
	keys := Keys()
	if !sort.StringsAreSorted(keys) || len(keys) != len(catalogues[ZH]) {
		t.Errorf("Keys() returned %d keys (sorted=%v), want %d sorted", len(keys), sort.StringsAreSorted(keys), len(catalogues[ZH]))
	}
	if !Has("nav.home") || Has("nav.no_such_key") {
		t.Error("Has does not reflect the catalogue")
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want Locale
	}{
		{"", ZH},
		{"zh", ZH},
		{"zh-CN", ZH},
		{"zh_cn", ZH},
		{"ZH-cn", ZH},
		{"zh-Hans-CN", ZH},
		{"en", EN},
		{"EN", EN},
		{"en-US", EN},
		{"en_GB", EN},
		{" en ", EN},
		{"fr", ZH},
		{"english", ZH},
		{"e", ZH},
	}
	for _, tt := range tests {
		if got := Parse(tt.in); got != tt.want {
			t.Errorf("Parse(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFromAcceptLanguage(t *testing.T) {
	tests := []struct {
		header string
		want   Locale
	}{
		{"", ZH},
		{"*", ZH},
		{"fr-FR,de;q=0.8", ZH},
		{"en-US,en;q=0.9,zh-CN;q=0.8", EN},
		{"zh-CN,zh;q=0.9,en;q=0.8", ZH},
		{"fr, en;q=0.5", EN},
		{"zh;q=0.3, en;q=0.7", EN},
		{"en;q=0, zh;q=0.1", ZH},
		{"en;q=0", ZH},
		{"en_us", EN},
		{"en;q=0.5, zh-TW;q=0.5", EN},
		{"en;q=bogus", EN},
		{"EN-gb ; Q=0.9", EN},
	}
	for _, tt := range tests {
		if got := FromAcceptLanguage(tt.header); got != tt.want {
			t.Errorf("FromAcceptLanguage(%q) = %q, want %q", tt.header, got, tt.want)
		}
	}
}

func TestT(t *testing.T) {
	tests := []struct {
		name   string
		locale Locale
		key    string
		args   []any
		want   string
	}{
		{"plain zh", ZH, "nav.home", nil, "首页"},
		{"plain en", EN, "nav.home", nil, "Home"},
		{"placeholder", ZH, "validation.too_many_attempts", []any{"minutes", 15}, "登录尝试过多，请15分钟后再试"},
		{"placeholder en", EN, "common.page_of", []any{"page", 2, "pages", 9}, "Page 2 of 9"},
		{"args in any order", EN, "common.page_of", []any{"pages", 9, "page", 2}, "Page 2 of 9"},
		{"missing value stays", EN, "common.page_of", []any{"page", 2}, "Page 2 of {pages}"},
		{"no args keeps braces", EN, "shop.sold_count", nil, "{count} sold"},
		{"odd trailing name ignored", EN, "shop.sold_count", []any{"count", 3, "extra"}, "3 sold"},
		{"non-string name ignored", EN, "shop.sold_count", []any{1, 2}, "{count} sold"},
		{"unknown key", EN, "no.such.key", []any{"x", 1}, "no.such.key"},
		{"unknown locale reads zh", Locale("fr"), "nav.cart", nil, "购物车"},
		{"value with braces not re-expanded", EN, "search.results_for", []any{"keyword", "{keyword}"}, "Results for “{keyword}”"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := T(tt.locale, tt.key, tt.args...); got != tt.want {
				t.Errorf("T(%q, %q, %v) = %q, want %q", tt.locale, tt.key, tt.args, got, tt.want)
			}
		})
	}
}

func TestFill(t *testing.T) {
	tests := []struct {
		msg  string
		args []any
		want string
	}{
		{"{a}{b}", []any{"a", 1, "b", 2}, "12"},
		{"x {a", []any{"a", 1}, "x {a"},
		{"} {a} {", []any{"a", "v"}, "} v {"},
		{"{}", []any{"", "empty"}, "empty"},
	}
	for _, tt := range tests {
		if got := fill(tt.msg, tt.args); got != tt.want {
			t.Errorf("fill(%q, %v) = %q, want %q", tt.msg, tt.args, got, tt.want)
		}
	}
}

func TestLocaleName(t *testing.T) {
	if got := ZH.Name(); got != "简体中文" {
		t.Errorf("ZH.Name() = %q", got)
	}
	if got := EN.Name(); got != "English" {
		t.Errorf("EN.Name() = %q", got)
	}
}

func TestContext(t *testing.T) {
	if got := FromContext(context.Background()); got != ZH {
		t.Errorf("FromContext(empty) = %q, want %q", got, ZH)
	}
	//lint:ignore SA1012 FromContext documents that a nil context gives the default.
	if got := FromContext(nil); got != ZH {
		t.Errorf("FromContext(nil) = %q, want %q", got, ZH)
	}
	ctx := WithLocale(context.Background(), EN)
	if got := FromContext(ctx); got != EN {
		t.Errorf("FromContext = %q, want %q", got, EN)
	}
	if got := Tc(ctx, "shop.sold_count", "count", 7); got != "7 sold" {
		t.Errorf("Tc = %q", got)
	}
	if got := Tc(context.Background(), "nav.me"); got != "我的" {
		t.Errorf("Tc default = %q", got)
	}
	// A plain string under another key type must not be mistaken for the locale.
	type otherKey struct{}
	ctx = context.WithValue(context.Background(), otherKey{}, EN)
	if got := FromContext(ctx); got != ZH {
		t.Errorf("FromContext with foreign key = %q, want %q", got, ZH)
	}
}

func TestMoney(t *testing.T) {
	tests := []struct {
		fen  int64
		want string
	}{
		{0, "¥0.00"},
		{1, "¥0.01"},
		{10, "¥0.10"},
		{99, "¥0.99"},
		{100, "¥1.00"},
		{1230, "¥12.30"},
		{123456789, "¥1234567.89"},
		{-5, "-¥0.05"},
		{-1230, "-¥12.30"},
		{math.MaxInt64, "¥92233720368547758.07"},
		{math.MinInt64, "-¥92233720368547758.08"},
	}
	for _, tt := range tests {
		for _, l := range Locales() {
			if got := Money(l, tt.fen); got != tt.want {
				t.Errorf("Money(%s, %d) = %q, want %q", l, tt.fen, got, tt.want)
			}
		}
	}
}

// keyUses find literal catalogue keys in source: the key argument of T and Tc calls,
// bare or qualified (i18n.T, views.T, T inside a templ file; the first argument may
// hold one level of parentheses, as in i18n.FromContext(ctx)); Key fields of struct
// literals; and any literal in the validation and error areas, which store and
// handlers hand around before a view translates them.
var keyUses = []*regexp.Regexp{
	regexp.MustCompile(`(?:^|[^\w])Tc?\(\s*[^,()"]*(?:\([^()]*\))?[^,()"]*,\s*"([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)"`),
	regexp.MustCompile(`\bKey:\s*"([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)"`),
	regexp.MustCompile(`"((?:validation|error)(?:\.[a-z0-9_]+)+)"`),
}

func usedKeys(src string) []string {
	var keys []string
	for _, re := range keyUses {
		for _, m := range re.FindAllStringSubmatch(src, -1) {
			keys = append(keys, m[1])
		}
	}
	sort.Strings(keys)
	return slices.Compact(keys)
}

func TestUsedKeysPattern(t *testing.T) {
	tests := []struct {
		src  string
		want []string
	}{
		{`{ i18n.Tc(ctx, "nav.home") }`, []string{"nav.home"}},
		{`{ T(ctx, "nav.me") }`, []string{"nav.me"}},
		{`views.T(ctx, "shop.hot", "n", 1)`, []string{"shop.hot"}},
		{`i18n.T(loc, "shop.sold_count", "count", n)`, []string{"shop.sold_count"}},
		{`i18n.T(i18n.FromContext(ctx), "nav.cart")`, []string{"nav.cart"}},
		{`i18n.T(h.locale(c), "a.b") + i18n.Tc(ctx,"c.d")`, []string{"a.b", "c.d"}},
		{`&Error{Key: "media.too_big"}`, []string{"media.too_big"}},
		{`v.Add("title", "validation.max_len", "max", 60)`, []string{"validation.max_len"}},
		{`status, key = 404, "error.not_found"`, []string{"error.not_found"}},
		{`i18n.T(l, key)`, nil},
		{`i18n.Money(l, 100)`, nil},
		{`fmt.Sprint(ctx, "nav.home")`, nil},
		{`hooks.On(ctx, "order.created")`, nil},
		{`t.Errorf("T(%q, %q) = %q", l, "x.y", got)`, nil},
		{`"validation" + "errors.Is"`, nil},
	}
	for _, tt := range tests {
		if got := usedKeys(tt.src); !slices.Equal(got, tt.want) {
			t.Errorf("usedKeys(%q) = %q, want %q", tt.src, got, tt.want)
		}
	}
}

// TestKeysUsedInRepoExist scans the module's .go and .templ files for literal keys (see
// keyUses) and fails for any key missing from the catalogue.
func TestKeysUsedInRepoExist(t *testing.T) {
	root := moduleRoot(t)
	self, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	// This package is skipped: its tests use missing keys on purpose.
	missing, scanned, err := missingKeys(root, self)
	if err != nil {
		t.Fatalf("scan repository: %v", err)
	}
	for _, m := range missing {
		t.Errorf("%s, which is not in the catalogue", m)
	}
	t.Logf("scanned %d files under %s", scanned, root)
}

func TestMissingKeysFindsGaps(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{
		"handlers/shop.go":        `msg := i18n.T(loc, "nav.home") + i18n.T(loc, "shop.no_such_key")`,
		"views/page.templ":        `<h1>{ i18n.Tc(ctx, "views.missing") }</h1>`,
		"views/page_templ.go":     `i18n.Tc(ctx, "nav.cart")`,
		"notes.txt":               `i18n.T(loc, "ignored.not_go")`,
		".git/hooks/x.go":         `i18n.T(loc, "ignored.hidden")`,
		"skipme/a.go":             `i18n.T(loc, "ignored.skipped")`,
		"node_modules/pkg/a.go":   `i18n.T(loc, "ignored.node_modules")`,
		"plugins/coupon/token.go": `i18n.T(i18n.FromContext(ctx), "coupon.missing", "n", 1)`,
	}
	for name, src := range files {
		path := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	missing, scanned, err := missingKeys(root, filepath.Join(root, "skipme"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		filepath.FromSlash("handlers/shop.go") + ` uses i18n key "shop.no_such_key"`,
		filepath.FromSlash("plugins/coupon/token.go") + ` uses i18n key "coupon.missing"`,
		filepath.FromSlash("views/page.templ") + ` uses i18n key "views.missing"`,
	}
	sort.Strings(missing)
	if !slices.Equal(missing, want) {
		t.Errorf("missingKeys = %q, want %q", missing, want)
	}
	if scanned != 4 {
		t.Errorf("scanned %d files, want 4", scanned)
	}
}

// missingKeys walks root, skipping hidden, vendored and test-data folders and the
// folder skip, and reports each literal i18n key that is not in the catalogue.
func missingKeys(root, skip string) (missing []string, scanned int, err error) {
	// Plugins bring their own catalogues (plugins/<id>/i18n/*.json, added
	// with MustAdd in their init, which this package's tests do not run).
	pluginKeys := map[string]bool{}
	files, _ := filepath.Glob(filepath.Join(root, "plugins", "*", "i18n", "*."+string(ZH)+".json"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, 0, err
		}
		var m map[string]string
		if err := json.Unmarshal(data, &m); err != nil {
			return nil, 0, fmt.Errorf("%s: %w", f, err)
		}
		for k := range m {
			pluginKeys[k] = true
		}
	}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path == skip || path != root && (strings.HasPrefix(name, ".") || name == "node_modules" || name == "vendor" || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, ".templ") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		scanned++
		for _, key := range usedKeys(string(src)) {
			if !Has(key) && !pluginKeys[key] {
				rel, relErr := filepath.Rel(root, path)
				if relErr != nil {
					rel = path
				}
				missing = append(missing, fmt.Sprintf("%s uses i18n key %q", rel, key))
			}
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("scan %s: %w", root, err)
	}
	return missing, scanned, nil
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the package directory")
		}
		dir = parent
	}
}
