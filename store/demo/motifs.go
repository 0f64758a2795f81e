package demo

import "math"

// palette colours one item: main is its body, the others details.
type palette struct {
	main   rgb // the body: bottle, fabric, casing
	second rgb // prints, bands, contents, a second colour
	cap    rgb // caps, lids, soles, frames, handles
	label  rgb // labels, screens, small marks
}

// motif draws one kind of item centred on the pen's origin.
type motif func(p pen, c palette)

var (
	metal = hex("#c3c8cf")
	ink   = hex("#26282c")
	paper = hex("#f6f1e7")
	gold  = hex("#d8b26a")
)

// top keeps the part of s above the line v (in p's units).
func (p pen) top(s shape, v float64) shape {
	return s.and(shape{d: func(_, y float64) float64 { return y - p.y(v) }, x0: s.x0, y0: s.y0, x1: s.x1, y1: p.y(v)})
}

func drawDropper(p pen, c palette) {
	p.shadow(0, 0.93, 0.42)
	body := p.box(0, 0.38, 0.4, 0.56, 0.14)
	p.fill(body, p.cyl(c.main, body))
	label := p.box(0, 0.45, 0.41, 0.25, 0).and(body)
	p.fill(label, p.cyl(c.label, body))
	p.solid(p.circle(0, 0.33, 0.07), c.second)
	p.bars(0, 0.5, 0.4, 0.09, 0.02, c.main.darker(0.3), 2, 0.8)
	neck := p.box(0, -0.25, 0.21, 0.09, 0.03)
	p.fill(neck, p.cyl(c.cap, neck))
	bulb := union(p.box(0, -0.55, 0.13, 0.22, 0.12), p.box(0, -0.36, 0.16, 0.05, 0.02))
	p.fill(bulb, p.cyl(c.cap.darker(0.15), bulb))
	p.sheen(p.box(-0.24, 0.3, 0.04, 0.5, 0.04), body, 0.3)
}

func drawPump(p pen, c palette) {
	p.shadow(0, 0.93, 0.45)
	body := p.box(0, 0.33, 0.44, 0.6, 0.2)
	p.fill(body, p.cyl(c.main, body))
	label := p.box(0, 0.42, 0.45, 0.24, 0).and(body)
	p.fill(label, p.cyl(c.label, body))
	p.solid(p.circle(0, 0.32, 0.08), c.second)
	p.bars(0, 0.49, 0.44, 0.09, 0.02, c.main.darker(0.3), 2, 0.8)
	collar := p.box(0, -0.36, 0.17, 0.1, 0.04)
	p.fill(collar, p.cyl(c.cap, collar))
	p.solid(p.box(0, -0.52, 0.05, 0.08, 0.02), c.cap.lighter(0.3))
	head := union(p.box(0.04, -0.64, 0.2, 0.07, 0.05), p.capsule(0.2, -0.66, 0.38, -0.66, 0.035))
	p.fill(head, p.cyl(c.cap, head))
	p.sheen(p.box(-0.27, 0.25, 0.045, 0.5, 0.045), body, 0.28)
}

func drawJar(p pen, c palette) {
	p.shadow(0, 0.93, 0.8)
	body := p.box(0, 0.42, 0.8, 0.5, 0.22)
	p.fill(body, p.cyl(c.main, body))
	label := p.box(0, 0.46, 0.81, 0.2, 0).and(body)
	p.fill(label, p.cyl(c.label, body))
	p.solid(p.circle(0, 0.46, 0.11), c.second)
	lid := p.box(0, -0.2, 0.84, 0.17, 0.07)
	p.fill(lid, p.cyl(c.cap, lid))
	for i := -6; i <= 6; i++ {
		u := float64(i) * 0.12
		p.solidA(p.capsule(u, -0.3, u, -0.1, 0.008), c.cap.darker(0.3), 0.25)
	}
	p.sheen(p.box(-0.5, 0.4, 0.05, 0.38, 0.05), body, 0.25)
}

func drawTube(p pen, c palette) {
	p.shadow(0, 0.93, 0.3)
	body := p.grow(p.poly(-0.38, -0.76, 0.38, -0.76, 0.22, 0.62, -0.22, 0.62), 0.04)
	p.fill(body, p.cyl(c.main, body))
	crimp := p.box(0, -0.8, 0.43, 0.07, 0.015)
	p.solid(crimp, c.main.darker(0.08))
	for i := -4; i <= 4; i++ {
		u := float64(i) * 0.09
		p.solidA(p.capsule(u, -0.85, u, -0.75, 0.008), c.main.darker(0.3), 0.35)
	}
	label := p.box(0, -0.12, 0.5, 0.26, 0).and(body)
	p.fill(label, p.cyl(c.label, body))
	p.solid(p.circle(0, -0.2, 0.07), c.second)
	p.bars(0, -0.02, 0.34, 0.09, 0.02, c.main.darker(0.3), 2, 0.8)
	shoulder := p.box(0, 0.68, 0.2, 0.06, 0.02)
	p.fill(shoulder, p.cyl(c.cap.lighter(0.2), shoulder))
	cap := p.box(0, 0.82, 0.25, 0.12, 0.04)
	p.fill(cap, p.cyl(c.cap, cap))
	p.sheen(p.box(-0.2, 0.0, 0.035, 0.5, 0.035), body, 0.25)
}

func drawLipstick(p pen, c palette) {
	p.shadow(-0.3, 0.93, 0.3)
	p.shadow(0.33, 0.93, 0.3)
	capBody := p.box(0.33, 0.42, 0.25, 0.5, 0.05)
	p.fill(capBody, p.cyl(c.cap, capBody))
	band := p.box(0.33, 0.86, 0.25, 0.05, 0).and(capBody)
	p.fill(band, p.cyl(gold, capBody))
	bullet := p.grow(p.poly(-0.45, -0.06, -0.15, -0.06, -0.15, -0.52, -0.45, -0.72), 0.015)
	p.fill(bullet, p.cyl(c.main, bullet))
	inner := p.box(-0.3, 0.02, 0.2, 0.09, 0.01)
	p.fill(inner, p.cyl(gold, inner))
	base := p.box(-0.3, 0.52, 0.25, 0.41, 0.05)
	p.fill(base, p.cyl(c.cap, base))
	p.fill(p.box(-0.3, 0.14, 0.25, 0.03, 0).and(base), p.cyl(gold, base))
}

func drawCompact(p pen, c palette) {
	p.shadow(0, 0.9, 0.8)
	lid := p.ellipse(0, -0.2, 0.78, 0.52)
	p.fill(lid, p.cyl(c.cap, lid))
	mirror := p.ellipse(0, -0.2, 0.66, 0.42)
	p.fill(mirror, linear(metal.lighter(0.5), metal, mirror, 1, 1))
	p.sheen(p.capsule(-0.3, -0.45, 0.05, 0, 0.05), mirror, 0.5)
	side := union(p.box(0, 0.57, 0.8, 0.15, 0), p.ellipse(0, 0.72, 0.8, 0.24))
	p.fill(side, p.cyl(c.cap, side))
	face := p.ellipse(0, 0.42, 0.8, 0.24)
	p.fill(face, linear(c.main.lighter(0.2), c.main, face, 0, 1))
	p.solidA(p.ellipse(0, 0.42, 0.3, 0.09).outline(0.012*p.s), c.label, 0.8)
}

// drawCanSized is a round tin: hw its half-width, the body from top to bottom.
func drawCanSized(p pen, c palette, hw, top, bottom float64) {
	e := hw * 0.22
	p.shadow(0, bottom+e*0.6, hw+0.02)
	body := union(p.box(0, (top+bottom)/2, hw, (bottom-top)/2, 0), p.ellipse(0, bottom, hw, e))
	p.fill(body, p.cyl(c.main, body))
	h := bottom - top
	b0, b1 := top+0.3*h, top+0.78*h
	band := union(p.box(0, (b0+b1)/2, hw+0.01, (b1-b0)/2, 0), p.ellipse(0, b1, hw+0.01, e)).
		minus(union(p.box(0, b0-0.5, hw+0.02, 0.5, 0), p.ellipse(0, b0, hw+0.02, e))).and(body)
	p.fill(band, p.cyl(c.label, body))
	em := math.Min(0.17, h*0.12)
	p.solid(p.circle(0, b0+0.12*h+em*0.6, em), c.second)
	p.solidA(p.circle(0, b0+0.12*h+em*0.6, em*0.55).outline(0.01*p.s), c.label, 0.9)
	p.bars(0, b1-0.1*h, hw*0.9, 0.08, 0.02, c.main.darker(0.25), 2, 0.8)
	lidSide := union(p.box(0, top-0.03, hw+0.02, 0.05, 0), p.ellipse(0, top+0.02, hw+0.02, e))
	p.fill(lidSide, p.cyl(c.cap, lidSide))
	lidTop := p.ellipse(0, top-0.08, hw+0.02, e)
	p.fill(lidTop, linear(c.cap.lighter(0.3), c.cap.lighter(0.1), lidTop, 0, 1))
	p.solidA(p.ellipse(0, top-0.08, hw*0.7, e*0.7).outline(0.008*p.s), c.cap.darker(0.2), 0.5)
}

func drawCan(p pen, c palette)       { drawCanSized(p, c, 0.58, -0.42, 0.8) }
func drawTeaCan(p pen, c palette)    { drawCanSized(p, c, 0.42, -0.62, 0.82) }
func drawCookieTin(p pen, c palette) { drawCanSized(p, c, 0.82, 0.05, 0.78) }

func drawBox(p pen, c palette) {
	p.shadow(0.06, 0.92, 0.8)
	front := p.poly(-0.62, -0.3, 0.36, -0.3, 0.36, 0.92, -0.62, 0.92)
	topFace := p.poly(-0.62, -0.3, -0.34, -0.54, 0.64, -0.54, 0.36, -0.3)
	side := p.poly(0.36, -0.3, 0.64, -0.54, 0.64, 0.68, 0.36, 0.92)
	p.fill(front, p.shade(c.main, front))
	p.solid(topFace, c.main.lighter(0.3))
	p.fill(side, p.shade(c.main.darker(0.16), side))
	p.solid(p.poly(-0.62, 0.42, 0.36, 0.22, 0.36, 0.42, -0.62, 0.62).and(front), c.second)
	p.solid(p.poly(0.36, 0.22, 0.64, -0.02, 0.64, 0.18, 0.36, 0.42), c.second.darker(0.16))
	p.solid(p.circle(-0.13, -0.02, 0.17), c.label)
	p.solidA(p.circle(-0.13, -0.02, 0.1), c.second, 0.9)
	p.bars(-0.13, 0.74, 0.6, 0.09, 0.022, c.label, 2, 0.9)
}

// drawPouchWith is a stand-up bag; spout adds a screw cap (baby food).
func drawPouchWith(p pen, c palette, spout bool) {
	p.shadow(0, 0.92, 0.58)
	topV := -0.72
	if spout {
		topV = -0.5
		neck := p.box(0, topV-0.12, 0.08, 0.1, 0.02)
		p.fill(neck, p.cyl(c.cap.lighter(0.3), neck))
		cap := p.box(0, topV-0.28, 0.15, 0.1, 0.04)
		p.fill(cap, p.cyl(c.cap, cap))
	}
	body := p.grow(p.poly(-0.5, topV, 0.5, topV, 0.56, 0.86, -0.56, 0.86), 0.05)
	p.fill(body, p.shade(c.main, body))
	p.solid(p.box(0, topV-0.02, 0.55, 0.07, 0.015).and(body), c.main.darker(0.1))
	for i := -6; i <= 6; i++ {
		u := float64(i) * 0.085
		p.solidA(p.capsule(u, topV-0.07, u, topV+0.03, 0.007), c.main.darker(0.35), 0.3)
	}
	win := p.ellipse(0, topV+0.88, 0.34, 0.28)
	p.solid(win, c.label)
	for i, o := range [][2]float64{{-0.14, 0.06}, {0.08, 0.1}, {0, -0.08}, {0.16, -0.05}, {-0.12, -0.1}} {
		k := 0.07 + 0.015*float64(i%2)
		p.fill(p.circle(o[0], topV+0.88+o[1], k).and(win), p.sphere(c.second, p.circle(o[0], topV+0.88+o[1], k)))
	}
	p.bars(0, 0.6, 0.52, 0.1, 0.024, c.label, 2, 0.95)
	p.sheen(p.box(-0.38, 0.1, 0.04, 0.6, 0.04), body, 0.2)
}

func drawPouch(p pen, c palette)      { drawPouchWith(p, c, false) }
func drawSpoutPouch(p pen, c palette) { drawPouchWith(p, c, true) }

func drawBabyBottle(p pen, c palette) {
	p.shadow(0, 0.93, 0.4)
	body := p.box(0, 0.36, 0.38, 0.57, 0.16)
	p.fill(body, p.cyl(c.main.lighter(0.55), body))
	milk := p.box(0, 0.62, 0.4, 0.32, 0).and(body)
	p.fill(milk, p.cyl(c.label, body))
	for i := range 5 {
		v := 0.05 + float64(i)*0.15
		p.solidA(p.capsule(-0.3, v, -0.16, v, 0.012), c.main.darker(0.35), 0.6)
	}
	collar := p.box(0, -0.28, 0.42, 0.1, 0.05)
	p.fill(collar, p.cyl(c.main, collar))
	nipple := union(p.box(0, -0.44, 0.17, 0.08, 0.04), p.box(0, -0.54, 0.09, 0.1, 0.05), p.circle(0, -0.64, 0.11))
	p.fill(nipple, p.cyl(c.second, nipple))
	p.sheen(p.box(-0.23, 0.3, 0.04, 0.46, 0.04), body, 0.4)
}

func drawBib(p pen, c palette) {
	p.shadow(0, 0.92, 0.6)
	ties := union(p.capsule(-0.24, -0.3, -0.5, -0.78, 0.055), p.capsule(0.24, -0.3, 0.5, -0.78, 0.055))
	p.solid(ties, c.main.darker(0.08))
	body := p.circle(0, 0.16, 0.74).minus(p.circle(0, -0.54, 0.32))
	p.fill(body, p.shade(c.main, body))
	for i := range 5 {
		for j := range 6 {
			u := -0.6 + float64(j)*0.24 + 0.12*float64(i%2)
			v := -0.3 + float64(i)*0.22
			p.solidA(p.circle(u, v, 0.045).and(body), c.label, 0.75)
		}
	}
	pocket := p.circle(0, 0.16, 0.74).and(p.box(0, 0.75, 0.8, 0.2, 0))
	p.fill(pocket, p.shade(c.second, pocket))
	p.solidA(p.capsule(-0.64, 0.55, 0.64, 0.55, 0.012).and(body), c.second.darker(0.2), 0.6)
}

func drawShirt(p pen, c palette) {
	p.shadow(0, 0.92, 0.62)
	neck := p.ellipse(0, -0.82, 0.24, 0.15)
	body := p.grow(p.poly(-0.24, -0.8, -0.58, -0.7, -0.95, -0.32, -0.74, -0.1, -0.56, -0.28,
		-0.56, 0.86, 0.56, 0.86, 0.56, -0.28, 0.74, -0.1, 0.95, -0.32, 0.58, -0.7, 0.24, -0.8), 0.03).minus(neck)
	p.fill(body, p.shade(c.main, body))
	p.edge(body, c.main)
	collar := p.ellipse(0, -0.82, 0.29, 0.2).minus(neck).and(p.box(0, -0.7, 0.4, 0.12, 0))
	p.solid(collar, c.main.darker(0.1))
	line := c.main.darker(0.4)
	p.solidA(p.capsule(-0.56, -0.62, -0.56, -0.3, 0.008), line, 0.25)
	p.solidA(p.capsule(0.56, -0.62, 0.56, -0.3, 0.008), line, 0.25)
	p.solidA(p.capsule(-0.86, -0.3, -0.7, -0.16, 0.008), line, 0.3)
	p.solidA(p.capsule(0.86, -0.3, 0.7, -0.16, 0.008), line, 0.3)
	p.solidA(p.capsule(-0.52, 0.78, 0.52, 0.78, 0.008), line, 0.25)
	p.solidA(p.capsule(-0.2, -0.1, -0.32, 0.6, 0.006), line, 0.08)
	p.solid(p.circle(-0.3, -0.42, 0.055), c.second)
}

func drawHoodie(p pen, c palette) {
	p.shadow(0, 0.92, 0.7)
	p.solid(p.ellipse(0, -0.72, 0.36, 0.22), c.main.darker(0.18))
	body := p.grow(p.poly(-0.26, -0.74, -0.6, -0.62, -0.92, 0.66, -0.7, 0.72, -0.6, -0.06,
		-0.58, 0.86, 0.58, 0.86, 0.6, -0.06, 0.7, 0.72, 0.92, 0.66, 0.6, -0.62, 0.26, -0.74), 0.03)
	p.fill(body, p.shade(c.main, body))
	p.edge(body, c.main)
	p.solid(p.ellipse(0, -0.7, 0.2, 0.1), c.main.darker(0.4))
	rib := c.main.darker(0.1)
	p.solid(p.box(0, 0.82, 0.6, 0.06, 0.02).and(body), rib)
	p.solid(p.rbox(-0.81, 0.7, 0.12, 0.05, 0.02, 0.1), rib)
	p.solid(p.rbox(0.81, 0.7, 0.12, 0.05, 0.02, -0.1), rib)
	pocket := p.grow(p.poly(-0.3, 0.3, 0.3, 0.3, 0.42, 0.68, -0.42, 0.68), 0.02)
	p.solid(pocket, c.main.darker(0.06))
	p.solidA(pocket.outline(0.006*p.s), c.main.darker(0.4), 0.3)
	p.solid(p.capsule(-0.08, -0.62, -0.1, -0.22, 0.018), c.label)
	p.solid(p.capsule(0.08, -0.62, 0.1, -0.22, 0.018), c.label)
}

func drawDress(p pen, c palette) {
	p.shadow(0, 0.92, 0.74)
	p.solid(p.capsule(-0.22, -0.62, -0.2, -0.9, 0.03), c.main.darker(0.1))
	p.solid(p.capsule(0.22, -0.62, 0.2, -0.9, 0.03), c.main.darker(0.1))
	dress := p.grow(p.poly(-0.3, -0.62, -0.14, -0.62, 0, -0.5, 0.14, -0.62, 0.3, -0.62, 0.3, -0.1,
		0.78, 0.86, -0.78, 0.86, -0.3, -0.1), 0.03)
	p.fill(dress, p.shade(c.main, dress))
	p.edge(dress, c.main)
	for i := range 9 {
		for j := range 9 {
			u := -0.8 + float64(j)*0.2 + 0.1*float64(i%2)
			v := -0.5 + float64(i)*0.17
			f := p.circle(u, v, 0.04).and(dress)
			p.solid(f, c.second)
			p.solid(p.circle(u, v, 0.014).and(dress), c.label)
		}
	}
	p.solid(p.box(0, -0.1, 0.34, 0.045, 0.01).and(dress), c.second.darker(0.15))
	for _, u := range []float64{-0.45, -0.15, 0.15, 0.45} {
		p.solidA(p.capsule(u*0.5, -0.02, u, 0.84, 0.02), black, 0.05)
	}
}

func drawPants(p pen, c palette) {
	p.shadow(0, 0.92, 0.62)
	legs := p.grow(p.poly(-0.46, -0.86, 0.46, -0.86, 0.6, 0.88, 0.1, 0.88, 0, -0.22, -0.1, 0.88, -0.6, 0.88), 0.02)
	p.fill(legs, p.shade(c.main, legs))
	p.edge(legs, c.main)
	p.solid(p.box(0, -0.8, 0.48, 0.07, 0.02), c.main.darker(0.12))
	for _, u := range []float64{-0.36, -0.1, 0.1, 0.36} {
		p.solid(p.box(u, -0.8, 0.02, 0.08, 0.01), c.main.darker(0.22))
	}
	st := c.label
	p.solidA(p.capsule(0, -0.72, 0, -0.3, 0.008), st, 0.7)
	p.solidA(p.capsule(-0.44, -0.52, -0.22, -0.72, 0.008), st, 0.7)
	p.solidA(p.capsule(0.44, -0.52, 0.22, -0.72, 0.008), st, 0.7)
	p.solidA(p.capsule(-0.58, 0.8, -0.13, 0.8, 0.008), st, 0.6)
	p.solidA(p.capsule(0.58, 0.8, 0.13, 0.8, 0.008), st, 0.6)
	p.solidA(p.capsule(-0.3, -0.1, -0.35, 0.8, 0.03), white, 0.1)
	p.solidA(p.capsule(0.3, -0.1, 0.35, 0.8, 0.03), white, 0.1)
}

func drawShoe(p pen, c palette) {
	p.shadow(0, 0.92, 0.95)
	upper := p.grow(p.poly(-0.9, 0.75, -0.9, 0.3, -0.62, 0.18, -0.38, -0.1, -0.06, -0.1, 0.08, 0.16,
		0.5, 0.36, 0.86, 0.52, 0.92, 0.75), 0.06)
	p.fill(upper, p.shade(c.main, upper))
	p.edge(upper, c.main)
	p.solid(p.rbox(-0.64, 0.08, 0.26, 0.05, 0.05, -0.5), c.main.darker(0.5))
	p.solid(p.grow(p.poly(-0.55, 0.66, -0.25, 0.26, 0.3, 0.42, 0.1, 0.72), 0.03).and(upper), c.second)
	p.solid(p.box(-0.88, 0.38, 0.07, 0.2, 0.05), c.second.darker(0.1))
	p.solidA(p.ellipse(0.78, 0.62, 0.2, 0.14).and(upper), white, 0.18)
	for i := range 4 {
		u, v := -0.24+0.11*float64(i), 0.0+0.08*float64(i)
		p.solid(p.capsule(u-0.07, v+0.05, u+0.07, v-0.05, 0.022), c.label)
	}
	sole := p.box(0.01, 0.82, 0.97, 0.09, 0.08)
	p.fill(sole, p.shade(c.cap, sole))
	p.solidA(p.capsule(-0.92, 0.77, 0.96, 0.77, 0.01), c.cap.darker(0.3), 0.6)
}

func drawBackpack(p pen, c palette) {
	p.shadow(0, 0.92, 0.62)
	strap := c.main.darker(0.3)
	p.solid(p.capsule(-0.5, -0.5, -0.66, 0.55, 0.06), strap)
	p.solid(p.capsule(0.5, -0.5, 0.66, 0.55, 0.06), strap)
	p.solid(p.ring(0, -0.72, 0.15, 0.035).and(p.box(0, -0.8, 0.2, 0.1, 0)), c.cap)
	body := p.box(0, 0.12, 0.6, 0.8, 0.34)
	p.fill(body, p.shade(c.main, body))
	p.solidA(p.ellipse(0, 0.0, 0.52, 0.6).outline(0.008*p.s).and(p.box(0, -0.3, 0.6, 0.3, 0)), c.main.darker(0.4), 0.4)
	pocket := p.box(0, 0.52, 0.45, 0.3, 0.16)
	p.fill(pocket, p.shade(c.main.darker(0.08), pocket))
	p.solid(p.capsule(-0.32, 0.3, 0.32, 0.3, 0.012), c.cap)
	p.solid(p.box(0.26, 0.37, 0.025, 0.06, 0.012), c.second)
	p.solid(p.box(-0.6, 0.15, 0.03, 0.08, 0.01), c.cap)
	p.solid(p.box(0.6, 0.15, 0.03, 0.08, 0.01), c.cap)
	p.solid(p.box(0, -0.22, 0.12, 0.05, 0.02), c.second)
}

func drawSuitcase(p pen, c palette) {
	p.shadow(0, 0.95, 0.58)
	h := c.cap
	p.solid(p.capsule(-0.2, -0.95, -0.2, -0.5, 0.03), metal)
	p.solid(p.capsule(0.2, -0.95, 0.2, -0.5, 0.03), metal)
	p.solid(p.capsule(-0.24, -0.95, 0.24, -0.95, 0.05), h)
	p.solid(p.circle(-0.42, 0.9, 0.07), ink)
	p.solid(p.circle(0.42, 0.9, 0.07), ink)
	body := p.box(0, 0.18, 0.56, 0.7, 0.12)
	p.fill(body, p.cyl(c.main, body))
	for _, u := range []float64{-0.3, 0, 0.3} {
		p.solidA(p.box(u, 0.18, 0.025, 0.62, 0.02), c.main.darker(0.35), 0.35)
		p.solidA(p.box(u+0.04, 0.18, 0.012, 0.62, 0.012), white, 0.25)
	}
	p.solid(p.box(0, -0.55, 0.18, 0.04, 0.03), h)
	p.solid(p.box(0.45, 0.0, 0.05, 0.07, 0.02), h)
}

func drawTote(p pen, c palette) {
	p.shadow(0, 0.92, 0.68)
	handle := c.cap
	p.solid(p.ring(-0.22, -0.3, 0.24, 0.035).and(p.box(-0.22, -0.5, 0.3, 0.22, 0)), handle)
	p.solid(p.ring(0.22, -0.3, 0.24, 0.035).and(p.box(0.22, -0.5, 0.3, 0.22, 0)), handle)
	body := p.grow(p.poly(-0.6, -0.3, 0.6, -0.3, 0.68, 0.88, -0.68, 0.88), 0.02)
	p.fill(body, p.shade(c.main, body))
	p.solid(p.box(0, -0.26, 0.62, 0.05, 0).and(body), c.main.darker(0.08))
	p.solid(p.circle(0, 0.3, 0.22), c.second)
	p.solidA(p.ring(0, 0.3, 0.14, 0.012), c.label, 0.9)
	p.bars(0, 0.68, 0.6, 0.1, 0.022, c.second, 2, 0.9)
}

// drawFruitPile is three fruits; apple gives them a stem and a dented top.
func drawFruitPile(p pen, c palette, apple bool) {
	p.shadow(0, 0.94, 0.85)
	for _, f := range [][3]float64{{-0.42, 0.3, 0.44}, {0.44, 0.32, 0.42}, {0, 0.5, 0.46}} {
		u, v, r := f[0], f[1], f[2]
		var body shape
		if apple {
			body = union(p.circle(u-0.2*r, v, 0.82*r), p.circle(u+0.2*r, v, 0.82*r), p.circle(u, v+0.14*r, 0.84*r))
		} else {
			body = p.circle(u, v, r)
		}
		p.fill(body, p.sphere(c.main, body))
		if apple {
			p.solidA(p.ellipse(u, v-0.62*r, 0.2*r, 0.07*r), c.main.darker(0.4), 0.5)
			p.solid(p.capsule(u, v-0.62*r, u+0.08*r, v-0.98*r, 0.045*r), hex("#6b4a2b"))
			p.solid(p.rbox(u+0.32*r, v-0.86*r, 0.24*r, 0.09*r, 0.09*r, -0.5), c.second)
		} else {
			for i := range 14 {
				a := float64(i) * 2.4
				rr := r * 0.2 * math.Sqrt(float64(i))
				p.solidA(p.circle(u+rr*math.Cos(a), v+rr*math.Sin(a), 0.012*r/0.45).and(body), c.main.darker(0.3), 0.25)
			}
			p.solid(p.circle(u+0.05*r, v-0.82*r, 0.06*r), hex("#5b7a2e"))
			p.solid(p.rbox(u+0.28*r, v-0.9*r, 0.22*r, 0.08*r, 0.08*r, -0.3), c.second)
		}
	}
}

func drawApples(p pen, c palette)  { drawFruitPile(p, c, true) }
func drawOranges(p pen, c palette) { drawFruitPile(p, c, false) }

func drawBerries(p pen, c palette) {
	p.shadow(0, 0.92, 0.76)
	rows := [][]float64{{-0.1, 0.12}, {-0.3, -0.1, 0.1, 0.3}, {-0.5, -0.3, -0.1, 0.1, 0.3, 0.5}, {-0.6, -0.4, -0.2, 0, 0.2, 0.4, 0.6}}
	for i, row := range rows {
		v := -0.46 + float64(i)*0.16
		for j, u := range row {
			r := 0.11 + 0.015*float64((i+j)%3)
			b := p.circle(u, v, r)
			p.fill(b, p.sphere(c.main, b))
			p.solidA(p.circle(u+0.02, v-0.03, 0.03), c.main.darker(0.5), 0.8)
			p.solidA(p.circle(u, v, r), c.main.lighter(0.6), 0.08)
		}
	}
	punnet := p.grow(p.poly(-0.72, 0.08, 0.72, 0.08, 0.6, 0.88, -0.6, 0.88), 0.03)
	p.fill(punnet, p.shade(c.cap, punnet))
	p.solid(p.box(0, 0.08, 0.77, 0.05, 0.03), c.cap.darker(0.12))
	for i := range 5 {
		u := -0.44 + float64(i)*0.22
		p.solidA(p.capsule(u, 0.2, u*0.9, 0.78, 0.015), c.cap.darker(0.25), 0.35)
	}
	p.solid(p.box(0, 0.5, 0.3, 0.14, 0.04), c.label)
	p.bars(0, 0.46, 0.3, 0.09, 0.018, c.main, 2, 0.9)
}
