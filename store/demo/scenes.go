package demo

import (
	"image"
	"math"
	"math/rand/v2"
)

// Picture sizes.
const (
	shotSize   = 750 // product pictures, square
	bannerW    = 750
	bannerH    = 300
	iconSize   = 160 // category icons and brand logos
	iconRadius = 76
)

// style is the look of a top-level category: its colour and the palette its
// product pictures are drawn in.
type style struct {
	color    rgb   // icons, accents
	bgTop    rgb   // product picture background, top
	bgBottom rgb   // and bottom
	mains    []rgb // body colours for items that have no colour of their own
	second   rgb
	cap      rgb
	label    rgb
}

// backdrop paints the soft studio background of a product picture: a
// vertical gradient, a glow behind the item, and in some variants a large
// pale disc or a tabletop.
func backdrop(c *canvas, st style, kind int, rng *rand.Rand) {
	w, h := c.w(), c.h()
	gx := w * (0.42 + 0.16*rng.Float64())
	gy := h * (0.34 + 0.1*rng.Float64())
	gr := w * 0.55
	table := h * 0.74
	// The glow is a Gaussian, which is separable: exp(-(dx²+dy²)/r²) is a
	// column factor times a row factor, so no exp per pixel.
	pw, ph := c.img.Rect.Dx(), c.img.Rect.Dy()
	colG := make([]float64, pw)
	for x := range colG {
		colG[x] = math.Exp(-sq(((float64(x)+0.5)/c.k - gx) / gr))
	}
	for y := range ph {
		fy := (float64(y) + 0.5) / c.k
		row := mix(st.bgTop, st.bgBottom, fy/h)
		if kind == 2 && fy > table {
			row = row.darker(0.06 * smooth(table, table+40, fy))
		}
		rowG := 0.55 * math.Exp(-sq((fy-gy)/gr))
		pix := c.img.Pix[y*c.img.Stride : y*c.img.Stride+pw*4]
		for x := range pw {
			g := rowG * colG[x]
			pix[x*4] = uint8(row.r + (255-row.r)*g + 0.5)
			pix[x*4+1] = uint8(row.g + (255-row.g)*g + 0.5)
			pix[x*4+2] = uint8(row.b + (255-row.b)*g + 0.5)
			pix[x*4+3] = 255
		}
	}
	switch kind {
	case 1:
		c.glow(circlePx(w/2, h*0.46, w*0.36), st.color.lighter(0.55), 0.35, 6)
	case 2:
		c.glow(ellipsePx(w/2, table, w*0.7, 3), white, 0.25, 6)
	}
	// A few faint bokeh dots keep the flat colour from looking empty.
	for range 5 {
		x, y := rng.Float64()*w, rng.Float64()*h*0.6
		c.glow(circlePx(x, y, 8+rng.Float64()*30), white, 0.12+0.1*rng.Float64(), 10)
	}
}

// productShot draws one gallery picture of an item at scale k. variant
// picks the composition: 0 the hero shot, 1 a close-up, 2 the item on a
// podium, 3 two of it side by side (pal2 colours the second).
func productShot(st style, m motif, pal, pal2 palette, variant int, rng *rand.Rand, k float64) image.Image {
	c := newCanvas(shotSize, shotSize, k)
	bg := []int{0, 1, 2, 1}[variant%4]
	backdrop(c, st, bg, rng)
	jit := func(k float64) float64 { return (rng.Float64() - 0.5) * k }
	switch variant % 4 {
	case 0:
		m(pen{c: c, cx: 375 + jit(10), cy: 360, s: 225}, pal)
	case 1:
		m(pen{c: c, cx: 375 + jit(30), cy: 372, s: 282}, pal)
	case 2:
		podium(c, st, 375, 575, 250)
		m(pen{c: c, cx: 375, cy: 575 - 0.93*190, s: 190}, pal)
	default:
		m(pen{c: c, cx: 500, cy: 372, s: 165}, pal2)
		m(pen{c: c, cx: 262, cy: 420, s: 175}, pal)
	}
	return c.img
}

// podium is a shallow round pedestal whose top centre is (cx, top).
func podium(c *canvas, st style, cx, top, r float64) {
	face := st.bgBottom.lighter(0.35)
	c.glow(ellipsePx(cx, top+0.28*r, r*1.1, r*0.2), black, 0.12, 0.12*r)
	side := union(boxPx(cx, top+0.12*r, r, 0.12*r, 0, 0), ellipsePx(cx, top+0.24*r, r, r*0.22))
	c.fill(side, func(x, _ float64) rgb { return cylShade(face.darker(0.05), (x-cx+r)/(2*r)) }, 1)
	c.fill(ellipsePx(cx, top, r, r*0.22), solid(face.lighter(0.3)), 1)
}

// icon draws a category glyph at scale k: the motif flat in white on a
// disc of col, over a transparent background.
func icon(col rgb, m motif, k float64) image.Image {
	c := newCanvas(iconSize, iconSize, k)
	drawBadge(c, col, m)
	return c.img
}

// logo draws a brand mark at scale k: a badge like an icon on a white tile.
func logo(col rgb, m motif, k float64) image.Image {
	c := newCanvas(iconSize, iconSize, k)
	for i := range c.img.Pix {
		c.img.Pix[i] = 255
	}
	drawBadge(c, col, m)
	return c.img
}

func drawBadge(c *canvas, col rgb, m motif) {
	mid := float64(iconSize) / 2
	disc := circlePx(mid, mid, iconRadius)
	c.fill(disc, linear(col.lighter(0.25), col.darker(0.08), disc, 0.3, 1), 1)
	m(pen{c: c, cx: mid, cy: mid + 2, s: 44, flat: true}, palette{
		main:   white,
		second: mix(white, col, 0.3),
		cap:    white,
		label:  col,
	})
}

// bannerSpec is one home page slide: two colour fields and up to three
// items standing on a podium.
type bannerSpec struct {
	from, to rgb
	glyph    motif // drawn white in the badge on the left
	items    []motif
	pals     []palette
}

// banner draws a 750×300 slide at scale k: a diagonal colour split, a
// badge, rings and dots on the left, the items on a podium on the right.
func banner(b bannerSpec, rng *rand.Rand, k float64) image.Image {
	c := newCanvas(bannerW, bannerH, k)
	all := boxPx(bannerW/2, bannerH/2, bannerW/2, bannerH/2, 0, 0)
	c.fill(all, linear(b.from, b.to, all, 1, 0.4), 1)
	c.fill(polyPx([]float64{430, 0, 750, 0, 750, 300, 330, 300}), linear(b.to.lighter(0.25), b.to.lighter(0.05), all, 0, 1), 1)
	c.glow(circlePx(120, 60, 150), white, 0.14, 4)
	c.fill(circlePx(210, 250, 90).outline(10), solid(white), 0.22)
	c.fill(circlePx(40, 230, 40), solid(b.to.lighter(0.3)), 0.6)
	for i := range 5 {
		for j := range 4 {
			c.fill(circlePx(250+float64(i)*18, 40+float64(j)*18, 3.2), solid(white), 0.55)
		}
	}
	for range 10 {
		x, y := 20+rng.Float64()*360, 20+rng.Float64()*260
		c.fill(boxPx(x, y, 6, 2.5, 2, rng.Float64()*math.Pi), solid(white), 0.5)
	}
	burst := make([]float64, 0, 48)
	for i := range 24 {
		a := float64(i) * math.Pi / 12
		r := 78.0
		if i%2 == 1 {
			r = 66
		}
		burst = append(burst, 150+r*math.Cos(a), 150+r*math.Sin(a))
	}
	c.glow(circlePx(154, 156, 70), black, 0.12, 12)
	c.fill(polyPx(burst), solid(white), 0.95)
	c.fill(circlePx(150, 150, 52), linear(b.from.lighter(0.1), b.from.darker(0.1), circlePx(150, 150, 52), 1, 1), 1)
	c.fill(circlePx(150, 150, 44).outline(1.5), solid(white), 0.8)
	if b.glyph != nil {
		b.glyph(pen{c: c, cx: 150, cy: 152, s: 31, flat: true}, palette{main: white, second: mix(white, b.from, 0.3), cap: white, label: b.from})
	}
	podium(c, style{bgBottom: b.to}, 560, 248, 165)
	place := [][3]float64{{560, 250, 100}, {445, 262, 70}, {675, 262, 70}}
	for _, i := range []int{1, 2, 0} {
		if i >= len(b.items) {
			continue
		}
		pl := place[i]
		b.items[i](pen{c: c, cx: pl[0], cy: pl[1] - 0.93*pl[2], s: pl[2]}, b.pals[i])
	}
	return c.img
}
