// Package poster draws the share poster of a product (分享海报): a
// 750×1334 PNG for phones with the product's picture, title and price, a
// QR code of the sharer's link and the sharer's avatar and name, in
// Chinese. It knows nothing of HTTP or the database: the caller decodes
// the pictures and passes the texts. Cache keeps drawn posters on disk.
package poster

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/disintegration/imaging"
	qrcode "github.com/skip2/go-qrcode"
	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"

	"github.com/xiaodian/xiaodian/store"
)

// Size of a poster, the usual phone share picture.
const (
	Width  = 750
	Height = 1334
)

// Version changes whenever the layout does, so cached posters are redrawn.
const Version = 3

// Input is what a poster shows.
type Input struct {
	Image     image.Image // the product's picture; nil = a plain panel
	Title     string
	Subtitle  string // drawn in grey under a one-line title; "" = none
	Price     store.Fen
	ListPrice store.Fen // 划线价, struck through; 0 or ≤ Price = none
	URL       string    // what the QR code opens: the product page with ?ref=
	Name      string    // the sharer's name
	Avatar    image.Image
	// The texts; "" = the Chinese default.
	Tagline string // beside the name: 推荐给你
	Hint    string // beside the QR code: 长按识别二维码
	SubHint string // under it: 查看商品详情
	Shop    string // the shop's name, under the hints; "" = none
}

// Renderer draws posters with one font.
type Renderer struct {
	font *Font
}

// New finds the font (see FindFont) and returns a renderer; the error
// wraps ErrNoFont when there is none.
func New(opts ...Option) (*Renderer, error) {
	f, err := FindFont(opts...)
	if err != nil {
		return nil, err
	}
	return &Renderer{font: f}, nil
}

// NewWithFont returns a renderer drawing with f.
func NewWithFont(f *Font) *Renderer { return &Renderer{font: f} }

// Font is the renderer's font.
func (r *Renderer) Font() *Font { return r.font }

// Render draws a poster with the font FindFont finds.
func Render(in Input, opts ...Option) ([]byte, error) {
	r, err := New(opts...)
	if err != nil {
		return nil, err
	}
	return r.Render(in)
}

// Colours of the poster.
var (
	red      = color.RGBA{0xee, 0x0a, 0x24, 0xff}
	redLight = color.RGBA{0xff, 0x60, 0x34, 0xff}
	ink      = color.RGBA{0x22, 0x22, 0x22, 0xff}
	grey     = color.RGBA{0x99, 0x99, 0x99, 0xff}
	greyDark = color.RGBA{0x66, 0x66, 0x66, 0xff}
	panel    = color.RGBA{0xf7, 0xf8, 0xfa, 0xff}
	page     = color.RGBA{0xf4, 0xf4, 0xf6, 0xff}
	line     = color.RGBA{0xe5, 0xe5, 0xe8, 0xff}
	white    = color.RGBA{0xff, 0xff, 0xff, 0xff}
)

// Layout, in pixels of the 750×1334 poster.
const (
	cardX, cardY, cardW, cardH = 32, 184, Width - 64, Height - 184 - 24
	pad                        = 32
	imgX, imgY, imgSize        = cardX + pad, cardY + pad, cardW - 2*pad
	avatarSize                 = 104
	qrSize                     = 196
)

// Render draws the poster and encodes it as PNG.
func (r *Renderer) Render(in Input) ([]byte, error) {
	if in.URL == "" {
		return nil, fmt.Errorf("poster: no URL for the QR code")
	}
	def := func(s, d string) string {
		if strings.TrimSpace(s) == "" {
			return d
		}
		return s
	}
	in.Tagline = def(in.Tagline, "推荐给你一件好物")
	in.Hint = def(in.Hint, "长按识别二维码")
	in.SubHint = def(in.SubHint, "查看商品详情")
	in.Name = def(in.Name, "好友")

	regular, bold := r.font.face, r.font.bold
	if bold == nil {
		bold = regular
	}
	faces := map[string]font.Face{}
	face := func(f *sfnt.Font, size float64) (font.Face, error) {
		k := fmt.Sprintf("%p/%g", f, size)
		if fc, ok := faces[k]; ok {
			return fc, nil
		}
		fc, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
		if err != nil {
			return nil, fmt.Errorf("poster: font face: %w", err)
		}
		faces[k] = fc
		return fc, nil
	}
	defer func() {
		for _, f := range faces {
			f.Close()
		}
	}()

	dst := image.NewRGBA(image.Rect(0, 0, Width, Height))
	draw.Draw(dst, dst.Bounds(), image.NewUniform(page), image.Point{}, draw.Src)
	gradient(dst, dst.Bounds(), red, redLight)
	fillRounded(dst, image.Rect(cardX, cardY, cardX+cardW, cardY+cardH), 24, white)

	// The sharer: avatar, name and tagline on the red band.
	av := image.Rect(48, 52, 48+avatarSize, 52+avatarSize)
	fillCircle(dst, av.Inset(-4), color.NRGBA{0xff, 0xff, 0xff, 0xcc})
	if in.Avatar != nil {
		fillCircleImage(dst, av, imaging.Fill(in.Avatar, avatarSize, avatarSize, imaging.Center, imaging.Lanczos))
	} else {
		fillCircle(dst, av, discColour(in.Name))
		fc, err := face(bold, 48)
		if err != nil {
			return nil, err
		}
		initial := r.printable(initialOf(in.Name))
		w := font.MeasureString(fc, initial).Ceil()
		drawText(dst, fc, white, av.Min.X+(avatarSize-w)/2, av.Min.Y+avatarSize/2+17, initial)
	}
	nameFace, err := face(bold, 34)
	if err != nil {
		return nil, err
	}
	tagFace, err := face(regular, 26)
	if err != nil {
		return nil, err
	}
	textX := av.Max.X + 28
	drawText(dst, nameFace, white, textX, 96, ellipsize(nameFace, r.printable(in.Name), Width-textX-48))
	drawText(dst, tagFace, color.RGBA{0xff, 0xf0, 0xe8, 0xff}, textX, 140, ellipsize(tagFace, r.printable(in.Tagline), Width-textX-48))

	// The product's picture, fitted into a square panel.
	box := image.Rect(imgX, imgY, imgX+imgSize, imgY+imgSize)
	pic := image.NewRGBA(image.Rect(0, 0, imgSize, imgSize))
	draw.Draw(pic, pic.Bounds(), image.NewUniform(panel), image.Point{}, draw.Src)
	if in.Image != nil {
		fit := imaging.Fit(in.Image, imgSize, imgSize, imaging.Lanczos)
		b := fit.Bounds()
		at := image.Pt((imgSize-b.Dx())/2, (imgSize-b.Dy())/2)
		draw.Draw(pic, b.Sub(b.Min).Add(at), fit, b.Min, draw.Over)
	}
	drawRounded(dst, box, 16, pic)

	// Title: two lines, wrapped per character, … when cut.
	titleFace, err := face(bold, 34)
	if err != nil {
		return nil, err
	}
	titleY := box.Max.Y + 56
	lines := wrap(titleFace, r.printable(in.Title), imgSize, 2)
	for i, l := range lines {
		drawText(dst, titleFace, ink, imgX, titleY+i*50, l)
	}
	if sub := r.printable(in.Subtitle); len(lines) < 2 && sub != "" {
		subFace, err := face(regular, 28)
		if err != nil {
			return nil, err
		}
		drawText(dst, subFace, grey, imgX, titleY+48, ellipsize(subFace, sub, imgSize))
	}

	// Price: a small ¥, the yuan large, the fen small, then the list price.
	priceY := titleY + 50 + 78
	small, err := face(bold, 34)
	if err != nil {
		return nil, err
	}
	big, err := face(bold, 60)
	if err != nil {
		return nil, err
	}
	yuan, cents, _ := strings.Cut(in.Price.String(), ".")
	x := imgX
	x = drawText(dst, small, red, x, priceY, "¥") + 4
	x = drawText(dst, big, red, x, priceY, yuan)
	if cents != "00" {
		x = drawText(dst, small, red, x, priceY, "."+cents)
	}
	if in.ListPrice > in.Price {
		lp, err := face(regular, 28)
		if err != nil {
			return nil, err
		}
		x += 20
		end := drawText(dst, lp, grey, x, priceY, "¥"+strings.TrimSuffix(in.ListPrice.String(), ".00"))
		fillRect(dst, image.Rect(x, priceY-10, end, priceY-8), grey)
	}

	// A dashed rule, then the QR code with its hints.
	ruleY := priceY + 34
	for dx := cardX + pad; dx < cardX+cardW-pad; dx += 16 {
		fillRect(dst, image.Rect(dx, ruleY, min(dx+8, cardX+cardW-pad), ruleY+2), line)
	}
	qrBox := image.Rect(cardX+cardW-pad-qrSize, ruleY+26, cardX+cardW-pad, ruleY+26+qrSize)
	if err := drawQR(dst, qrBox, in.URL); err != nil {
		return nil, err
	}
	hintFace, err := face(bold, 32)
	if err != nil {
		return nil, err
	}
	subFace, err := face(regular, 26)
	if err != nil {
		return nil, err
	}
	hintW := qrBox.Min.X - imgX - 24
	midY := qrBox.Min.Y + qrSize/2
	drawText(dst, hintFace, ink, imgX, midY-18, ellipsize(hintFace, r.printable(in.Hint), hintW))
	drawText(dst, subFace, greyDark, imgX, midY+26, ellipsize(subFace, r.printable(in.SubHint), hintW))
	if in.Shop != "" {
		shopFace, err := face(regular, 24)
		if err != nil {
			return nil, err
		}
		drawText(dst, shopFace, grey, imgX, midY+78, ellipsize(shopFace, r.printable(in.Shop), hintW))
	}

	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.DefaultCompression}).Encode(&buf, dst); err != nil {
		return nil, fmt.Errorf("poster: encode: %w", err)
	}
	return buf.Bytes(), nil
}

// printable is s without the runes the font has no glyph for (an emoji in
// a nickname), so the poster never shows a tofu box; line breaks become
// spaces.
func (r *Renderer) printable(s string) string {
	var b sfnt.Buffer
	var out strings.Builder
	for _, c := range s {
		switch {
		case c == '\n' || c == '\r' || c == '\t':
			out.WriteRune(' ')
		case !unicode.IsPrint(c):
		case hasGlyph(r.font.face, &b, c):
			out.WriteRune(c)
		}
	}
	return strings.TrimSpace(out.String())
}

// wrap breaks s into at most n lines of at most width pixels. Chinese
// breaks between any two characters; a Latin word is kept whole when the
// line has room before it. A cut last line ends in "…".
func wrap(f font.Face, s string, width, n int) []string {
	runes := []rune(s)
	var lines []string
	for len(runes) > 0 && len(lines) < n {
		// Leading spaces of a continuation line are dropped.
		for len(runes) > 0 && runes[0] == ' ' && len(lines) > 0 {
			runes = runes[1:]
		}
		i, w := 0, fixed.Int26_6(0)
		for i < len(runes) {
			adv, ok := f.GlyphAdvance(runes[i])
			if !ok {
				adv = 0
			}
			if (w + adv).Ceil() > width {
				break
			}
			w += adv
			i++
		}
		if i == 0 && len(runes) > 0 {
			i = 1 // a glyph wider than the line still moves on
		}
		if i < len(runes) && isWordRune(runes[i]) && i > 0 && isWordRune(runes[i-1]) {
			// Do not split a Latin word: break after its last space or
			// CJK character, if that keeps most of the line.
			for j := i - 1; j > i/2; j-- {
				if !isWordRune(runes[j]) {
					i = j + 1
					break
				}
			}
		}
		lines = append(lines, string(runes[:i]))
		runes = runes[i:]
	}
	if len(runes) > 0 && len(lines) > 0 {
		last := len(lines) - 1
		lines[last] = ellipsize(f, lines[last]+string(runes), width)
	}
	for i := range lines {
		lines[i] = strings.TrimRight(lines[i], " ")
	}
	return lines
}

func isWordRune(r rune) bool {
	return r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

// ellipsize cuts s to width pixels, ending in "…" when cut.
func ellipsize(f font.Face, s string, width int) string {
	if font.MeasureString(f, s).Ceil() <= width {
		return s
	}
	runes := []rune(s)
	for len(runes) > 0 {
		runes = runes[:len(runes)-1]
		t := strings.TrimRight(string(runes), " ") + "…"
		if font.MeasureString(f, t).Ceil() <= width {
			return t
		}
	}
	return "…"
}

// drawText draws s with its baseline at y and returns where it ends.
func drawText(dst draw.Image, f font.Face, c color.Color, x, y int, s string) int {
	d := font.Drawer{Dst: dst, Src: image.NewUniform(c), Face: f, Dot: fixed.P(x, y)}
	d.DrawString(s)
	return d.Dot.X.Ceil()
}

// initialOf is the first letter of name, upper-cased, for the avatar disc.
func initialOf(name string) string {
	for _, r := range name {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return string(unicode.ToUpper(r))
		}
	}
	return "?"
}

// discColour picks the disc's colour from the name, so a person keeps theirs.
func discColour(name string) color.RGBA {
	palette := []color.RGBA{
		{0xff, 0x97, 0x1a, 0xff}, {0x07, 0xc1, 0x60, 0xff}, {0x19, 0x89, 0xfa, 0xff},
		{0x72, 0x32, 0xdd, 0xff}, {0xf5, 0x6c, 0x6c, 0xff}, {0x00, 0xa2, 0xae, 0xff},
	}
	h := fnv.New32a()
	h.Write([]byte(name))
	return palette[h.Sum32()%uint32(len(palette))]
}

// drawQR draws the QR code of u filling box, in whole pixels per module
// (crisp, and it compresses well); the white card is its quiet zone.
func drawQR(dst *image.RGBA, box image.Rectangle, u string) error {
	q, err := qrcode.New(u, qrcode.Medium)
	if err != nil {
		return fmt.Errorf("poster: qr code: %w", err)
	}
	q.DisableBorder = true
	bm := q.Bitmap()
	n := len(bm)
	if n == 0 {
		return fmt.Errorf("poster: empty qr code")
	}
	m := max(box.Dx()/n, 1)
	off := box.Min.Add(image.Pt((box.Dx()-m*n)/2, (box.Dy()-m*n)/2))
	for y, row := range bm {
		for x, on := range row {
			if on {
				fillRect(dst, image.Rect(off.X+x*m, off.Y+y*m, off.X+(x+1)*m, off.Y+(y+1)*m), ink)
			}
		}
	}
	return nil
}

// faceFor is f's regular face at size points (72 dpi: points are pixels).
func faceFor(f *Font, size float64) (font.Face, error) {
	return opentype.NewFace(f.face, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
}

// measure is the width of s in whole pixels.
func measure(f font.Face, s string) int { return font.MeasureString(f, s).Ceil() }
