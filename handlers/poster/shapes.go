package poster

import (
	"image"
	"image/color"
	"image/draw"
	"math"
)

// fillRect paints r with c.
func fillRect(dst draw.Image, r image.Rectangle, c color.Color) {
	draw.Draw(dst, r, image.NewUniform(c), image.Point{}, draw.Over)
}

// gradient paints r from top (at its top) to bottom (at its bottom).
func gradient(dst *image.RGBA, r image.Rectangle, top, bottom color.RGBA) {
	h := r.Dy()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		t := float64(y-r.Min.Y) / float64(max(h-1, 1))
		mix := func(a, b uint8) uint8 { return uint8(math.Round(float64(a) + (float64(b)-float64(a))*t)) }
		c := color.RGBA{mix(top.R, bottom.R), mix(top.G, bottom.G), mix(top.B, bottom.B), 0xff}
		draw.Draw(dst, image.Rect(r.Min.X, y, r.Max.X, y+1), image.NewUniform(c), image.Point{}, draw.Src)
	}
}

// roundMask is an anti-aliased rounded rectangle (a circle when the radius
// is half the side) as an alpha mask.
type roundMask struct {
	r      image.Rectangle
	radius float64
}

func (m roundMask) ColorModel() color.Model { return color.AlphaModel }
func (m roundMask) Bounds() image.Rectangle { return m.r }

func (m roundMask) At(x, y int) color.Color {
	if !(image.Point{x, y}.In(m.r)) {
		return color.Alpha{}
	}
	// Distance from the pixel's centre to the nearest corner centre,
	// clamped so the straight edges are fully inside.
	px, py := float64(x)+0.5, float64(y)+0.5
	minX, minY := float64(m.r.Min.X)+m.radius, float64(m.r.Min.Y)+m.radius
	maxX, maxY := float64(m.r.Max.X)-m.radius, float64(m.r.Max.Y)-m.radius
	dx := math.Max(math.Max(minX-px, px-maxX), 0)
	dy := math.Max(math.Max(minY-py, py-maxY), 0)
	d := math.Hypot(dx, dy) - m.radius
	switch {
	case d <= -0.5:
		return color.Alpha{0xff}
	case d >= 0.5:
		return color.Alpha{}
	}
	return color.Alpha{uint8(math.Round((0.5 - d) * 0xff))}
}

// rounded draws src (src's point sp at r.Min) into r with corners of the
// given radius. Only the corner squares go through the mask; the rest takes
// draw's fast paths.
func rounded(dst draw.Image, r image.Rectangle, radius int, src image.Image, sp image.Point) {
	radius = min(radius, r.Dx()/2, r.Dy()/2)
	m := roundMask{r, float64(radius)}
	part := func(q image.Rectangle, masked bool) {
		if q.Empty() {
			return
		}
		at := sp.Add(q.Min.Sub(r.Min))
		if masked {
			draw.DrawMask(dst, q, src, at, m, q.Min, draw.Over)
		} else {
			draw.Draw(dst, q, src, at, draw.Over)
		}
	}
	x0, x1, x2, x3 := r.Min.X, r.Min.X+radius, r.Max.X-radius, r.Max.X
	y0, y1, y2, y3 := r.Min.Y, r.Min.Y+radius, r.Max.Y-radius, r.Max.Y
	part(image.Rect(x0, y1, x3, y2), false) // the middle band
	part(image.Rect(x1, y0, x2, y1), false) // top and bottom between the corners
	part(image.Rect(x1, y2, x2, y3), false)
	part(image.Rect(x0, y0, x1, y1), true)
	part(image.Rect(x2, y0, x3, y1), true)
	part(image.Rect(x0, y2, x1, y3), true)
	part(image.Rect(x2, y2, x3, y3), true)
}

// fillRounded paints a rounded rectangle.
func fillRounded(dst draw.Image, r image.Rectangle, radius int, c color.Color) {
	rounded(dst, r, radius, image.NewUniform(c), image.Point{})
}

// drawRounded draws src (from its origin) into r with rounded corners.
func drawRounded(dst draw.Image, r image.Rectangle, radius int, src image.Image) {
	rounded(dst, r, radius, src, src.Bounds().Min)
}

// fillCircle paints the disc inscribed in r.
func fillCircle(dst draw.Image, r image.Rectangle, c color.Color) {
	fillRounded(dst, r, r.Dx()/2, c)
}

// fillCircleImage draws src (the size of r) cropped to the disc inscribed in r.
func fillCircleImage(dst draw.Image, r image.Rectangle, src image.Image) {
	drawRounded(dst, r, r.Dx()/2, src)
}
