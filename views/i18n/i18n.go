// Package i18n holds every user-facing string of the storefront and the back office.
//
// The catalogues are flat key → message maps in zh-CN.json (the default) and en.json,
// embedded in the binary and parsed once at start. A message may carry named
// placeholders such as {count}, filled by T from name/value pairs:
//
//	i18n.T(i18n.EN, "shop.sold_count", "count", 12) // "12 sold"
//
// Templ components read the request's locale from the context with Tc.
package i18n

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

// Locale names a supported language; its value is a BCP 47 tag usable in <html lang>.
type Locale string

// The supported locales. ZH is the default.
const (
	ZH Locale = "zh-CN"
	EN Locale = "en"
)

// Each locale's catalogue is zh-CN.json (or en.json) plus any number of
// area files named <area>.<locale>.json (admin.zh-CN.json, shop.en.json...),
// so that each area of the code keeps its own strings; a key may appear in
// only one file.
//
//go:embed *.json
var catalogueFiles embed.FS

// catalogues maps each supported locale to its messages; read-only after init.
var catalogues = mustLoad()

func mustLoad() map[Locale]map[string]string {
	cats := make(map[Locale]map[string]string, 2)
	for _, l := range Locales() {
		m, err := loadCatalogue(l)
		if err != nil {
			// The files are embedded: a broken one is a build mistake the tests catch.
			panic(err)
		}
		cats[l] = m
	}
	return cats
}

func loadCatalogue(l Locale) (map[string]string, error) {
	entries, err := fs.ReadDir(catalogueFiles, ".")
	if err != nil {
		return nil, fmt.Errorf("load catalogue %s: %w", l, err)
	}
	m := map[string]string{}
	found := false
	for _, e := range entries {
		name := e.Name()
		if name != string(l)+".json" && !strings.HasSuffix(name, "."+string(l)+".json") {
			continue
		}
		found = true
		data, err := catalogueFiles.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("load catalogue %s: %w", name, err)
		}
		var part map[string]string
		if err := json.Unmarshal(data, &part); err != nil {
			return nil, fmt.Errorf("parse catalogue %s: %w", name, err)
		}
		for k, v := range part {
			if _, dup := m[k]; dup {
				return nil, fmt.Errorf("catalogue %s: key %q defined twice", name, k)
			}
			m[k] = v
		}
	}
	if !found {
		return nil, fmt.Errorf("load catalogue %s: no file", l)
	}
	return m, nil
}

// MustAdd adds the catalogue files of fsys (<area>.zh-CN.json and
// <area>.en.json at its root) to the embedded ones. A plugin calls it from
// its package's init, before any request is served; a key defined twice
// or a broken file panics, like a broken embedded file.
func MustAdd(fsys fs.FS) {
	for _, l := range Locales() {
		entries, err := fs.ReadDir(fsys, ".")
		if err != nil {
			panic(fmt.Errorf("i18n: add catalogue: %w", err))
		}
		for _, e := range entries {
			name := e.Name()
			if !strings.HasSuffix(name, "."+string(l)+".json") {
				continue
			}
			data, err := fs.ReadFile(fsys, name)
			if err != nil {
				panic(fmt.Errorf("i18n: add catalogue %s: %w", name, err))
			}
			var part map[string]string
			if err := json.Unmarshal(data, &part); err != nil {
				panic(fmt.Errorf("i18n: parse catalogue %s: %w", name, err))
			}
			for k, v := range part {
				if _, dup := catalogues[l][k]; dup {
					panic(fmt.Errorf("i18n: catalogue %s: key %q defined twice", name, k))
				}
				catalogues[l][k] = v
			}
		}
	}
}

// Locales returns the supported locales, the default first.
func Locales() []Locale { return []Locale{ZH, EN} }

// Name returns the locale's name in its own language, for a language switcher.
func (l Locale) Name() string { return T(l, "lang."+l.short()) }

func (l Locale) short() string {
	if l == EN {
		return "en"
	}
	return "zh"
}

// Parse turns a locale string such as "zh", "zh_CN", "zh-Hans" or "en-US" into a
// supported Locale. Anything unknown, including "", gives ZH.
func Parse(s string) Locale {
	s = strings.ToLower(strings.TrimSpace(strings.ReplaceAll(s, "_", "-")))
	primary, _, _ := strings.Cut(s, "-")
	switch primary {
	case "en":
		return EN
	default:
		return ZH
	}
}

// FromAcceptLanguage picks the supported locale the client prefers most from an
// Accept-Language header ("en-US,en;q=0.9,zh-CN;q=0.8"). Ranges with q=0 are refused,
// equal weights keep the header's order, and no supported match gives ZH.
func FromAcceptLanguage(header string) Locale {
	best, bestQ := ZH, 0.0
	for _, part := range strings.Split(header, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		tag = strings.ToLower(strings.TrimSpace(tag))
		primary, _, _ := strings.Cut(strings.ReplaceAll(tag, "_", "-"), "-")
		if primary != "zh" && primary != "en" {
			continue
		}
		q := quality(params)
		if q > bestQ {
			best, bestQ = Parse(tag), q
		}
	}
	return best
}

// quality reads the q parameter of one Accept-Language range; a missing or malformed
// q counts as 1, as browsers mean it.
func quality(params string) float64 {
	for _, p := range strings.Split(params, ";") {
		name, value, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok || strings.TrimSpace(strings.ToLower(name)) != "q" {
			continue
		}
		q, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil || q < 0 || q > 1 {
			return 1
		}
		return q
	}
	return 1
}

// Has reports whether key is in the catalogue.
func Has(key string) bool {
	_, ok := catalogues[ZH][key]
	return ok
}

// Keys returns every catalogue key, sorted.
func Keys() []string {
	keys := make([]string, 0, len(catalogues[ZH]))
	for k := range catalogues[ZH] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// T returns the message for key in locale l with its {name} placeholders filled from
// args, given as name/value pairs: T(l, "common.total_count", "count", 3). Values are
// formatted with fmt.Sprint; a placeholder without a value is left as written, and a
// trailing name without a value is ignored. An unknown locale reads the zh-CN
// catalogue; an unknown key returns the key itself so the gap is visible on the page.
func T(l Locale, key string, args ...any) string {
	msg, ok := catalogues[l][key]
	if !ok {
		msg, ok = catalogues[ZH][key]
		if !ok {
			return key
		}
	}
	if len(args) < 2 || !strings.Contains(msg, "{") {
		return msg
	}
	return fill(msg, args)
}

// fill replaces each {name} in msg with the value paired with name in args.
func fill(msg string, args []any) string {
	var b strings.Builder
	b.Grow(len(msg) + 16)
	for {
		open := strings.IndexByte(msg, '{')
		if open < 0 {
			break
		}
		end := strings.IndexByte(msg[open:], '}')
		if end < 0 {
			break
		}
		end += open
		b.WriteString(msg[:open])
		if v, ok := lookupArg(msg[open+1:end], args); ok {
			b.WriteString(v)
		} else {
			b.WriteString(msg[open : end+1])
		}
		msg = msg[end+1:]
	}
	b.WriteString(msg)
	return b.String()
}

func lookupArg(name string, args []any) (string, bool) {
	for i := 0; i+1 < len(args); i += 2 {
		if n, ok := args[i].(string); ok && n == name {
			return fmt.Sprint(args[i+1]), true
		}
	}
	return "", false
}

// localeKey is the context key of the request's locale.
type localeKey struct{}

// WithLocale returns a copy of ctx carrying locale l.
func WithLocale(ctx context.Context, l Locale) context.Context {
	return context.WithValue(ctx, localeKey{}, l)
}

// FromContext returns the locale stored by WithLocale, or ZH when there is none.
func FromContext(ctx context.Context) Locale {
	if ctx == nil {
		return ZH
	}
	if l, ok := ctx.Value(localeKey{}).(Locale); ok && l != "" {
		return l
	}
	return ZH
}

// Tc is T in the locale carried by ctx, for templ components: { i18n.Tc(ctx, "nav.home") }.
func Tc(ctx context.Context, key string, args ...any) string {
	return T(FromContext(ctx), key, args...)
}

// Money formats an amount in fen as yuan with two decimals and the ¥ sign, "¥12.30",
// and a leading minus for negative amounts, "-¥0.05". It uses integer arithmetic only.
// Both locales write prices the same way; l is taken so a later locale can differ.
func Money(l Locale, fen int64) string {
	sign := ""
	u := uint64(fen)
	if fen < 0 {
		sign = "-"
		u = -u // two's complement: correct even for math.MinInt64
	}
	frac := u % 100
	b := make([]byte, 0, 24)
	b = append(b, sign...)
	b = append(b, "¥"...)
	b = strconv.AppendUint(b, u/100, 10)
	b = append(b, '.', byte('0'+frac/10), byte('0'+frac%10))
	return string(b)
}
