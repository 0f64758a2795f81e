package demo

import "math"

// pen draws in an item's own coordinates: the origin is the centre of the
// item, one unit is s pixels, v grows downwards, and an item fits roughly in
// −1..1 both ways with its base near v = 0.92. The same motif thus draws a
// 750-pixel product shot, a banner decoration and a 160-pixel icon glyph.
type pen struct {
	c      *canvas
	cx, cy float64 // the origin, in design pixels
	s      float64 // design pixels per unit
	flat   bool    // an icon glyph: no shading, shadows or highlights
}

func (p pen) x(u float64) float64 { return p.cx + u*p.s }
func (p pen) y(v float64) float64 { return p.cy + v*p.s }

func (p pen) circle(u, v, r float64) shape { return circlePx(p.x(u), p.y(v), r*p.s) }

func (p pen) ellipse(u, v, a, b float64) shape {
	return ellipsePx(p.x(u), p.y(v), a*p.s, b*p.s)
}

// box is a rectangle of half-size hw×hh centred on (u, v), corners rounded by r.
func (p pen) box(u, v, hw, hh, r float64) shape {
	return boxPx(p.x(u), p.y(v), hw*p.s, hh*p.s, r*p.s, 0)
}

// rbox is box turned by angle radians (clockwise on screen).
func (p pen) rbox(u, v, hw, hh, r, angle float64) shape {
	return boxPx(p.x(u), p.y(v), hw*p.s, hh*p.s, r*p.s, angle)
}

func (p pen) capsule(u0, v0, u1, v1, r float64) shape {
	return capsulePx(p.x(u0), p.y(v0), p.x(u1), p.y(v1), r*p.s)
}

// poly is the polygon through the points u0, v0, u1, v1, ...
func (p pen) poly(pts ...float64) shape {
	px := make([]float64, len(pts))
	for i := 0; i+1 < len(pts); i += 2 {
		px[i], px[i+1] = p.x(pts[i]), p.y(pts[i+1])
	}
	return polyPx(px)
}

// ring is a circle's outline of half-thickness t.
func (p pen) ring(u, v, r, t float64) shape { return p.circle(u, v, r).outline(t * p.s) }

func (p pen) grow(s shape, r float64) shape { return s.grow(r * p.s) }

// fill paints s; fillA with an opacity.
func (p pen) fill(s shape, pt paint)                 { p.c.fill(s, pt, 1) }
func (p pen) fillA(s shape, pt paint, a float64)     { p.c.fill(s, pt, a) }
func (p pen) solid(s shape, col rgb)                 { p.c.fill(s, solid(col), 1) }
func (p pen) solidA(s shape, col rgb, alpha float64) { p.c.fill(s, solid(col), alpha) }

// cyl shades col as a cylinder standing upright across the width of s: a
// specular band left of centre, a faint rim light on the right, darker edges.
func (p pen) cyl(col rgb, s shape) paint {
	if p.flat {
		return solid(col)
	}
	x0, w := s.x0, math.Max(s.x1-s.x0, 1)
	return columns(x0, w, func(t float64) rgb { return cylShade(col, t) })
}

// columns is a paint that depends only on x, computed once per pixel column
// of the span x0..x0+w and remembered: the shading costs two exp calls.
// (With k ≤ 1 each image column falls in its own design pixel.)
func columns(x0, w float64, f func(t float64) rgb) paint {
	cache := make([]rgb, int(w)+3)
	done := make([]bool, len(cache))
	return func(x, _ float64) rgb {
		i := int(x - x0 + 1)
		if i < 0 || i >= len(cache) {
			return f((x - x0) / w)
		}
		if !done[i] {
			cache[i], done[i] = f((x-x0)/w), true
		}
		return cache[i]
	}
}

// hcyl is cyl for a cylinder lying down: shading across the height of s.
func (p pen) hcyl(col rgb, s shape) paint {
	if p.flat {
		return solid(col)
	}
	y0, h := s.y0, math.Max(s.y1-s.y0, 1)
	return func(_, y float64) rgb { return cylShade(col, (y-y0)/h) }
}

func cylShade(col rgb, t float64) rgb {
	hl := 0.42*math.Exp(-sq((t-0.28)/0.09)) + 0.10*math.Exp(-sq((t-0.8)/0.07))
	dk := 0.24 * math.Pow(math.Abs(2*t-1), 2.5)
	return mix(mix(col, white, hl), black, dk)
}

// shade lights col from above: a touch lighter at the top of s, darker at
// its foot. For flat faces: boxes, fabric, covers.
func (p pen) shade(col rgb, s shape) paint {
	if p.flat {
		return solid(col)
	}
	y0, h := s.y0, math.Max(s.y1-s.y0, 1)
	return func(_, y float64) rgb {
		t := clamp01((y - y0) / h)
		return mix(col.lighter(0.10*(1-t)), black, 0.12*t)
	}
}

// sphere shades col as a ball lit from the upper left.
func (p pen) sphere(col rgb, s shape) paint {
	if p.flat {
		return solid(col)
	}
	cx, cy := (s.x0+s.x1)/2, (s.y0+s.y1)/2
	r := math.Max((s.x1-s.x0)/2, 1)
	hx, hy := cx-0.38*r, cy-0.42*r
	return func(x, y float64) rgb {
		h := math.Hypot(x-hx, y-hy) / r
		e := math.Hypot(x-cx, y-cy) / r
		return mix(mix(col, white, 0.55*math.Exp(-sq(h/0.32))), black, 0.32*smooth(0.45, 1.05, e))
	}
}

// linear blends a to b across s along the direction (dx, dy).
func linear(a, b rgb, s shape, dx, dy float64) paint {
	n := math.Hypot(dx, dy)
	dx, dy = dx/n, dy/n
	cx, cy := (s.x0+s.x1)/2, (s.y0+s.y1)/2
	half := math.Max(math.Abs(dx)*(s.x1-s.x0)+math.Abs(dy)*(s.y1-s.y0), 1) / 2
	return func(x, y float64) rgb {
		t := clamp01(((x-cx)*dx+(y-cy)*dy)/(2*half) + 0.5)
		return mix(a, b, t)
	}
}

// shadow lays the soft contact shadow of an item whose base, hw units wide
// on each side, rests at (u, v).
func (p pen) shadow(u, v, hw float64) {
	if p.flat {
		return
	}
	p.c.glow(p.ellipse(u, v, hw*1.05, hw*0.14), black, 0.16, 0.16*hw*p.s)
	p.c.glow(p.ellipse(u, v-0.01, hw*0.9, hw*0.06), black, 0.22, 0.05*hw*p.s)
}

// edge draws a faint line around s so that a pale item still stands out
// from a pale background.
func (p pen) edge(s shape, col rgb) {
	if p.flat {
		return
	}
	p.c.fill(s.outline(0.7/p.c.k), solid(col.darker(0.4)), 0.2)
}

// sheen lays a soft white reflection over s, kept inside clip.
func (p pen) sheen(s, clip shape, alpha float64) {
	if p.flat {
		return
	}
	p.c.fill(s.and(clip), solid(white), alpha)
}

// bars draws n rounded strokes, the second and later ones shorter, in col:
// the lines of text on a label, seen from too far to read.
func (p pen) bars(u, v, w, gap, r float64, col rgb, n int, alpha float64) {
	for i := range n {
		hw := w / 2
		if i > 0 {
			hw *= 0.72 - 0.12*float64(i-1)
		}
		yy := v + float64(i)*gap
		p.solidA(p.capsule(u-hw, yy, u+hw, yy, r), col, alpha)
	}
}

func sq(x float64) float64 { return x * x }

// at is a pen whose origin is (u, v) of p and whose unit is k of p's: for
// drawing an item inside another picture, smaller or off-centre.
func (p pen) at(u, v, k float64) pen {
	return pen{c: p.c, cx: p.x(u), cy: p.y(v), s: p.s * k, flat: p.flat}
}
