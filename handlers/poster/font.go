package poster

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"unicode"

	"golang.org/x/image/font/sfnt"
)

// ErrNoFont is the error when no font able to draw Chinese is found. Its
// message says how to fix it, in Chinese and English.
var ErrNoFont = errors.New("poster: 没有可用的中文字体：请安装 fonts-noto-cjk（apt install fonts-noto-cjk），" +
	"或把 .ttf/.otf/.ttc 字体放进 data/fonts/，或在配置中设置 poster.font / " +
	"no usable CJK font: install fonts-noto-cjk (apt install fonts-noto-cjk), " +
	"put a .ttf/.otf/.ttc font into data/fonts/, or set poster.font")

// probe is the text a font must be able to draw to be used: the poster's
// own words, a price and Latin letters.
const probe = "推荐给你长按识别二维码查看商品详情的小店¥0123456789.ABCabc…"

// systemFonts are the well-known places of CJK fonts, best first. Globs
// are allowed.
var systemFonts = []string{
	// Debian / Ubuntu fonts-noto-cjk
	"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
	"/usr/share/fonts/opentype/noto/NotoSansCJK-*.ttc",
	"/usr/share/fonts/opentype/noto/NotoSerifCJK-*.ttc",
	// Fedora, Arch, Alpine
	"/usr/share/fonts/google-noto-cjk/NotoSansCJK-*.ttc",
	"/usr/share/fonts/noto-cjk/NotoSansCJK-*.ttc",
	"/usr/share/fonts/noto-cjk/NotoSansCJK*.otf",
	"/usr/share/fonts/noto/NotoSansCJK-*.ttc",
	// WenQuanYi, Droid Sans Fallback
	"/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
	"/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
	"/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
	"/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc",
	"/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
	"/usr/share/fonts/truetype/droid/DroidSansFallback.ttf",
	"/usr/share/fonts/google-droid-sans-fonts/DroidSansFallbackFull.ttf",
	// macOS, Windows
	"/System/Library/Fonts/STHeiti Medium.ttc",
	"/System/Library/Fonts/Hiragino Sans GB.ttc",
	"/Library/Fonts/Arial Unicode.ttf",
	`C:\Windows\Fonts\msyh.ttc`,
	`C:\Windows\Fonts\simhei.ttf`,
}

// Font is a parsed CJK font, with its bold sibling when one exists.
type Font struct {
	Path   string // the file
	Family string // e.g. "Noto Sans CJK SC"
	id     string // path, size and time: changes when the file does
	face   *sfnt.Font
	bold   *sfnt.Font // nil = draw bold with the regular face
}

// ID identifies the font file's version, for cache keys.
func (f *Font) ID() string { return f.id }

// Has reports whether the font has a glyph for every printable rune of s.
func (f *Font) Has(s string) bool {
	var b sfnt.Buffer
	for _, r := range s {
		if !hasGlyph(f.face, &b, r) {
			return false
		}
	}
	return true
}

func hasGlyph(f *sfnt.Font, b *sfnt.Buffer, r rune) bool {
	if unicode.IsSpace(r) || !unicode.IsPrint(r) {
		return true
	}
	g, err := f.GlyphIndex(b, r)
	return err == nil && g != 0
}

// Option configures where fonts are looked for.
type Option func(*options)

type options struct {
	fontPath string
	dataDir  string
	system   []string
}

// WithFont uses the font file at path (config key poster.font) and no
// other: a configured font that cannot draw Chinese is an error, not a
// silent fallback.
func WithFont(path string) Option { return func(o *options) { o.fontPath = path } }

// WithDataDir looks in dir/fonts/ for .ttf, .otf and .ttc files before the
// system's fonts.
func WithDataDir(dir string) Option { return func(o *options) { o.dataDir = dir } }

// withSystemFonts replaces the well-known locations (tests).
func withSystemFonts(paths ...string) Option { return func(o *options) { o.system = paths } }

// FindFont finds the font to draw posters with: the configured file, else
// the first usable font in <data>/fonts/, else the first usable one in the
// system's well-known places. The error wraps ErrNoFont.
func FindFont(opts ...Option) (*Font, error) {
	o := options{system: systemFonts}
	for _, fn := range opts {
		fn(&o)
	}
	if o.fontPath != "" {
		f, err := loadFont(o.fontPath)
		if err != nil {
			return nil, fmt.Errorf("poster.font %s: %w: %w", o.fontPath, err, ErrNoFont)
		}
		return f, nil
	}
	var candidates []string
	if o.dataDir != "" {
		for _, ext := range []string{"*.ttf", "*.otf", "*.ttc", "*.TTF", "*.OTF", "*.TTC"} {
			m, _ := filepath.Glob(filepath.Join(o.dataDir, "fonts", ext))
			slices.Sort(m)
			candidates = append(candidates, m...)
		}
	}
	for _, p := range o.system {
		if strings.ContainsAny(p, "*?[") {
			m, _ := filepath.Glob(p)
			slices.Sort(m)
			candidates = append(candidates, m...)
		} else {
			candidates = append(candidates, p)
		}
	}
	for _, p := range candidates {
		if f, err := loadFont(p); err == nil {
			return f, nil
		}
	}
	return nil, ErrNoFont
}

// Status is what the back office shows about the poster font.
type Status struct {
	OK     bool
	Path   string // the font in use
	Family string
	Err    error // why there is none; wraps ErrNoFont
}

// FontStatus reports the font posters would be drawn with, or why there is
// none (a warning for the back office).
func FontStatus(opts ...Option) Status {
	f, err := FindFont(opts...)
	if err != nil {
		return Status{Err: err}
	}
	return Status{OK: true, Path: f.Path, Family: f.Family}
}

// fonts caches parsed files by path, size and modification time, so
// looking for the font on every poster costs a few stats.
var fonts = struct {
	sync.Mutex
	m map[string]*Font
}{m: map[string]*Font{}}

// maxFontBytes bounds a font file (Noto Sans CJK's collection is ~20 MB).
const maxFontBytes = 64 << 20

func loadFont(path string) (*Font, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() || st.Size() > maxFontBytes {
		return nil, fmt.Errorf("not a font file of at most 64 MB")
	}
	id := fmt.Sprintf("%s|%d|%d", path, st.Size(), st.ModTime().UnixNano())
	fonts.Lock()
	defer fonts.Unlock()
	if f, ok := fonts.m[id]; ok {
		return f, nil
	}
	face, family, err := parseCJK(path)
	if err != nil {
		return nil, err
	}
	f := &Font{Path: path, Family: family, id: id, face: face}
	// A Regular file with a Bold sibling (NotoSansCJK-Regular.ttc and
	// NotoSansCJK-Bold.ttc) gives the title and price their weight.
	if dir, base := filepath.Split(path); strings.Contains(base, "Regular") {
		if b, _, err := parseCJK(filepath.Join(dir, strings.Replace(base, "Regular", "Bold", 1))); err == nil {
			f.bold = b
		}
	}
	fonts.m[id] = f
	return f, nil
}

// parseCJK parses a font file or collection and picks its face that
// draws the probe text, preferring Simplified Chinese (SC / CN / GB) and
// proportional faces.
func parseCJK(path string) (*sfnt.Font, string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, "", err
	}
	c, err := sfnt.ParseCollection(data)
	if err != nil {
		return nil, "", fmt.Errorf("parse font: %w", err)
	}
	var b sfnt.Buffer
	var best *sfnt.Font
	bestName, bestScore := "", -1
	for i := range c.NumFonts() {
		f, err := c.Font(i)
		if err != nil {
			continue
		}
		ok := true
		for _, r := range probe {
			if !hasGlyph(f, &b, r) {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		name, _ := f.Name(&b, sfnt.NameIDFamily)
		score := 0
		for _, tag := range []string{" SC", " CN", "GB", "Hei", "YaHei", "Sans"} {
			if strings.Contains(name, tag) {
				score += 2
			}
		}
		if strings.Contains(name, "Mono") {
			score--
		}
		if score > bestScore {
			best, bestName, bestScore = f, name, score
		}
	}
	if best == nil {
		return nil, "", fmt.Errorf("%s cannot draw Chinese", filepath.Base(path))
	}
	return best, bestName, nil
}
