package demo

import (
	"image"
	"math"
)

// The pictures are drawn with signed distance functions: every shape is a
// function giving, for a pixel centre, its distance to the shape's outline
// (negative inside). The coverage of a pixel is then 0.5 − distance clamped to
// 0..1, which anti-aliases every edge for free, and a soft edge (shadows,
// glows) is the same function read through a wider ramp. No font, no
// supersampling and no second pass are needed.

// rgb is a colour with channels in 0..255.
type rgb struct{ r, g, b float64 }

var (
	white = rgb{255, 255, 255}
	black = rgb{0, 0, 0}
)

// hex parses "#rrggbb"; the colours are constants of this package, so a
// malformed one is a programming error.
func hex(s string) rgb {
	if len(s) != 7 || s[0] != '#' {
		panic("demo: bad colour " + s)
	}
	v := func(i int) float64 {
		n := 0
		for _, c := range s[i : i+2] {
			n *= 16
			switch {
			case c >= '0' && c <= '9':
				n += int(c - '0')
			case c >= 'a' && c <= 'f':
				n += int(c-'a') + 10
			case c >= 'A' && c <= 'F':
				n += int(c-'A') + 10
			default:
				panic("demo: bad colour " + s)
			}
		}
		return float64(n)
	}
	return rgb{v(1), v(3), v(5)}
}

// mix blends a towards b by t (0 = a, 1 = b).
func mix(a, b rgb, t float64) rgb {
	return rgb{a.r + (b.r-a.r)*t, a.g + (b.g-a.g)*t, a.b + (b.b-a.b)*t}
}

func (c rgb) lighter(t float64) rgb { return mix(c, white, t) }
func (c rgb) darker(t float64) rgb  { return mix(c, black, t) }

func clamp01(v float64) float64 { return math.Max(0, math.Min(1, v)) }

// smooth is smoothstep from e0 to e1 (e0 > e1 gives a falling ramp).
func smooth(e0, e1, x float64) float64 {
	t := clamp01((x - e0) / (e1 - e0))
	return t * t * (3 - 2*t)
}

// canvas is an RGBA picture being painted; Pix is premultiplied, so painting
// over a transparent background (category icons) works like painting over
// an opaque one.
//
// Pictures are designed in design pixels (a product picture is 750 wide)
// and rendered at k image pixels per design pixel: shapes and paints work
// in design pixels, and fill and glow sample them at each image pixel's
// centre. k is 1 in production; it may be lower, never higher.
type canvas struct {
	img *image.RGBA
	k   float64
}

// newCanvas makes a transparent canvas of w×h design pixels.
func newCanvas(w, h int, k float64) *canvas {
	pw, ph := max(int(math.Round(float64(w)*k)), 1), max(int(math.Round(float64(h)*k)), 1)
	return &canvas{img: image.NewRGBA(image.Rect(0, 0, pw, ph)), k: k}
}

// w and h are the canvas size in design pixels.
func (c *canvas) w() float64 { return float64(c.img.Rect.Dx()) / c.k }
func (c *canvas) h() float64 { return float64(c.img.Rect.Dy()) / c.k }

// blend paints col over pixel (x, y) with opacity a.
func (c *canvas) blend(x, y int, col rgb, a float64) {
	if a <= 0 {
		return
	}
	if a > 1 {
		a = 1
	}
	i := y*c.img.Stride + x*4
	p := c.img.Pix[i : i+4 : i+4]
	k := 1 - a
	p[0] = uint8(col.r*a + float64(p[0])*k + 0.5)
	p[1] = uint8(col.g*a + float64(p[1])*k + 0.5)
	p[2] = uint8(col.b*a + float64(p[2])*k + 0.5)
	p[3] = uint8(255*a + float64(p[3])*k + 0.5)
}

// paint gives the colour of a shape at a pixel centre.
type paint func(x, y float64) rgb

func solid(col rgb) paint { return func(float64, float64) rgb { return col } }

// shape is a signed distance function in design pixels with its bounding box.
type shape struct {
	d              func(x, y float64) float64
	x0, y0, x1, y1 float64
}

// span is the bounding box of s, widened by pad image pixels and clipped
// to the canvas, in image pixels.
func (c *canvas) span(s shape, pad float64) (x0, y0, x1, y1 int) {
	x0 = max(int(math.Floor(s.x0*c.k-pad)), 0)
	y0 = max(int(math.Floor(s.y0*c.k-pad)), 0)
	x1 = min(int(math.Ceil(s.x1*c.k+pad)), c.img.Rect.Dx())
	y1 = min(int(math.Ceil(s.y1*c.k+pad)), c.img.Rect.Dy())
	return
}

// fill paints s with p at opacity alpha, anti-aliased over one image pixel.
func (c *canvas) fill(s shape, p paint, alpha float64) {
	x0, y0, x1, y1 := c.span(s, 1)
	for y := y0; y < y1; y++ {
		fy := (float64(y) + 0.5) / c.k
		for x := x0; x < x1; x++ {
			fx := (float64(x) + 0.5) / c.k
			d := s.d(fx, fy) * c.k
			if d >= 0.5 {
				continue
			}
			c.blend(x, y, p(fx, fy), math.Min(0.5-d, 1)*alpha)
		}
	}
}

// glow paints s in col with an edge softened over blur design pixels on
// each side: shadows, highlights and halos.
func (c *canvas) glow(s shape, col rgb, alpha, blur float64) {
	x0, y0, x1, y1 := c.span(s, blur*c.k+1)
	for y := y0; y < y1; y++ {
		fy := (float64(y) + 0.5) / c.k
		for x := x0; x < x1; x++ {
			fx := (float64(x) + 0.5) / c.k
			d := s.d(fx, fy)
			if d >= blur {
				continue
			}
			c.blend(x, y, col, smooth(blur, -blur, d)*alpha)
		}
	}
}

// Shape constructors, in design pixels.

func circlePx(cx, cy, r float64) shape {
	return shape{
		d:  func(x, y float64) float64 { return math.Hypot(x-cx, y-cy) - r },
		x0: cx - r, y0: cy - r, x1: cx + r, y1: cy + r,
	}
}

// ellipsePx uses the usual first-order approximation of the distance to an
// ellipse, exact enough for one pixel of anti-aliasing.
func ellipsePx(cx, cy, a, b float64) shape {
	return shape{
		d: func(x, y float64) float64 {
			px, py := (x-cx)/a, (y-cy)/b
			k0 := math.Hypot(px, py)
			k1 := math.Hypot(px/a, py/b)
			if k1 == 0 {
				return -math.Min(a, b)
			}
			return k0 * (k0 - 1) / k1
		},
		x0: cx - a, y0: cy - b, x1: cx + a, y1: cy + b,
	}
}

// boxPx is a rectangle of half-size hw×hh centred on (cx, cy) with corners
// rounded by r, rotated by angle radians.
func boxPx(cx, cy, hw, hh, r, angle float64) shape {
	r = math.Min(r, math.Min(hw, hh))
	sin, cos := math.Sincos(-angle)
	ext := math.Hypot(hw, hh)
	if angle == 0 {
		sin, cos = 0, 1
	}
	s := shape{
		d: func(x, y float64) float64 {
			px, py := x-cx, y-cy
			px, py = px*cos-py*sin, px*sin+py*cos
			qx, qy := math.Abs(px)-hw+r, math.Abs(py)-hh+r
			return math.Hypot(math.Max(qx, 0), math.Max(qy, 0)) + math.Min(math.Max(qx, qy), 0) - r
		},
		x0: cx - hw, y0: cy - hh, x1: cx + hw, y1: cy + hh,
	}
	if angle != 0 {
		s.x0, s.y0, s.x1, s.y1 = cx-ext, cy-ext, cx+ext, cy+ext
	}
	return s
}

// capsulePx is the segment (ax, ay)–(bx, by) thickened by r.
func capsulePx(ax, ay, bx, by, r float64) shape {
	ex, ey := bx-ax, by-ay
	ee := ex*ex + ey*ey
	return shape{
		d: func(x, y float64) float64 {
			wx, wy := x-ax, y-ay
			t := 0.0
			if ee > 0 {
				t = clamp01((wx*ex + wy*ey) / ee)
			}
			return math.Hypot(wx-ex*t, wy-ey*t) - r
		},
		x0: math.Min(ax, bx) - r, y0: math.Min(ay, by) - r,
		x1: math.Max(ax, bx) + r, y1: math.Max(ay, by) + r,
	}
}

// polyPx is the polygon through pts (x0, y0, x1, y1, ...), any winding.
func polyPx(pts []float64) shape {
	n := len(pts) / 2
	s := shape{x0: math.Inf(1), y0: math.Inf(1), x1: math.Inf(-1), y1: math.Inf(-1)}
	for i := range n {
		s.x0, s.x1 = math.Min(s.x0, pts[2*i]), math.Max(s.x1, pts[2*i])
		s.y0, s.y1 = math.Min(s.y0, pts[2*i+1]), math.Max(s.y1, pts[2*i+1])
	}
	s.d = func(x, y float64) float64 {
		dx, dy := x-pts[0], y-pts[1]
		d := dx*dx + dy*dy
		sign := 1.0
		for i, j := 0, n-1; i < n; j, i = i, i+1 {
			vix, viy := pts[2*i], pts[2*i+1]
			ex, ey := pts[2*j]-vix, pts[2*j+1]-viy
			wx, wy := x-vix, y-viy
			t := clamp01((wx*ex + wy*ey) / (ex*ex + ey*ey))
			bx, by := wx-ex*t, wy-ey*t
			d = math.Min(d, bx*bx+by*by)
			c1, c2, c3 := y >= viy, y < viy+ey, ex*wy > ey*wx
			if (c1 && c2 && c3) || (!c1 && !c2 && !c3) {
				sign = -sign
			}
		}
		return sign * math.Sqrt(d)
	}
	return s
}

// Combinators.

func union(shapes ...shape) shape {
	s := shapes[0]
	for _, o := range shapes[1:] {
		a, b := s.d, o.d
		s = shape{
			d:  func(x, y float64) float64 { return math.Min(a(x, y), b(x, y)) },
			x0: math.Min(s.x0, o.x0), y0: math.Min(s.y0, o.y0),
			x1: math.Max(s.x1, o.x1), y1: math.Max(s.y1, o.y1),
		}
	}
	return s
}

// minus cuts o out of s.
func (s shape) minus(o shape) shape {
	a, b := s.d, o.d
	return shape{d: func(x, y float64) float64 { return math.Max(a(x, y), -b(x, y)) }, x0: s.x0, y0: s.y0, x1: s.x1, y1: s.y1}
}

// and keeps the part of s inside o.
func (s shape) and(o shape) shape {
	a, b := s.d, o.d
	return shape{
		d:  func(x, y float64) float64 { return math.Max(a(x, y), b(x, y)) },
		x0: math.Max(s.x0, o.x0), y0: math.Max(s.y0, o.y0),
		x1: math.Min(s.x1, o.x1), y1: math.Min(s.y1, o.y1),
	}
}

// grow pushes the outline of s out by r pixels, rounding its corners.
func (s shape) grow(r float64) shape {
	a := s.d
	return shape{d: func(x, y float64) float64 { return a(x, y) - r }, x0: s.x0 - r, y0: s.y0 - r, x1: s.x1 + r, y1: s.y1 + r}
}

// outline is the band of width 2t around the outline of s.
func (s shape) outline(t float64) shape {
	a := s.d
	return shape{d: func(x, y float64) float64 { return math.Abs(a(x, y)) - t }, x0: s.x0 - t, y0: s.y0 - t, x1: s.x1 + t, y1: s.y1 + t}
}
