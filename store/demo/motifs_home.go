package demo

import "math"

// Motifs of electronics, home, sports and books.

// phoneBack and phoneFront draw a phone centred on (u, v).
func phoneBack(p pen, c palette, u, v float64) {
	frame := p.box(u, v, 0.42, 0.86, 0.11)
	p.fill(frame, p.cyl(c.main, frame))
	cam := p.box(u-0.18, v-0.58, 0.16, 0.2, 0.07)
	p.fill(cam, p.shade(c.main.darker(0.2), cam))
	for _, dv := range []float64{-0.1, 0.1} {
		p.solid(p.circle(u-0.2, v-0.58+dv, 0.068), c.main.darker(0.5))
		p.solid(p.circle(u-0.2, v-0.58+dv, 0.05), ink)
		p.solidA(p.circle(u-0.215, v-0.6+dv, 0.015), white, 0.7)
	}
	p.solid(p.circle(u-0.06, v-0.68, 0.02), paper)
	p.solidA(p.circle(u, v+0.08, 0.07).outline(0.01*p.s), white, 0.4)
}

func phoneFront(p pen, c palette, u, v float64) {
	frame := p.box(u, v, 0.42, 0.86, 0.11)
	p.fill(frame, p.cyl(c.main, frame))
	screen := p.box(u, v, 0.385, 0.825, 0.08)
	p.fill(screen, linear(c.second, c.label, screen, 0.4, 1))
	p.solidA(p.circle(u+0.12, v-0.22, 0.32).and(screen), white, 0.22)
	p.solidA(p.circle(u-0.22, v+0.34, 0.28).and(screen), c.second.lighter(0.4), 0.45)
	p.solid(p.circle(u, v-0.74, 0.028), ink)
	p.solidA(p.capsule(u-0.12, v-0.52, u+0.12, v-0.52, 0.04), white, 0.9)
	for i := range 4 {
		p.solidA(p.box(u-0.24+0.16*float64(i), v+0.66, 0.055, 0.055, 0.02), white, 0.85)
	}
	p.solidA(p.box(u-0.24+0.16, v+0.1, 0.13, 0.13, 0.04), white, 0.3)
	p.solid(p.capsule(u+0.43, v-0.4, u+0.43, v-0.22, 0.012), c.main.darker(0.2))
}

func drawPhone(p pen, c palette) {
	p.shadow(0, 0.93, 0.82)
	phoneBack(p, c, -0.3, -0.05)
	phoneFront(p, c, 0.3, 0.06)
}

func drawCharger(p pen, c palette) {
	p.shadow(0, 0.93, 0.46)
	for _, u := range []float64{-0.14, 0.14} {
		prong := p.box(u, -0.42, 0.04, 0.16, 0.015)
		p.fill(prong, p.cyl(metal, prong))
	}
	body := p.box(0, 0.32, 0.46, 0.6, 0.16)
	p.fill(body, p.cyl(c.main, body))
	p.solid(p.box(0, 0.62, 0.16, 0.045, 0.02), ink)
	p.solid(p.box(0, 0.77, 0.11, 0.04, 0.03), ink)
	p.solidA(p.ring(0, 0.18, 0.1, 0.012), c.second, 0.8)
	p.sheen(p.box(-0.25, 0.3, 0.04, 0.46, 0.04), body, 0.25)
}

func drawPowerbank(p pen, c palette) {
	p.shadow(0, 0.93, 0.5)
	body := p.box(0, 0.05, 0.46, 0.87, 0.16)
	p.fill(body, p.cyl(c.main, body))
	p.solid(p.box(0, -0.25, 0.47, 0.04, 0).and(body), c.second)
	for i := range 4 {
		p.solid(p.circle(-0.15+0.1*float64(i), 0.62, 0.022), c.second.lighter(0.2*float64(i)))
	}
	p.solid(p.box(0, -0.77, 0.12, 0.03, 0.02), ink)
	p.sheen(p.box(-0.25, 0.05, 0.04, 0.7, 0.04), body, 0.2)
}

func drawHeadphones(p pen, c palette) {
	p.shadow(0, 0.93, 0.78)
	band := p.top(p.ring(0, 0.12, 0.66, 0.06), 0.12)
	p.fill(band, p.shade(c.main, band))
	p.solid(p.top(p.ring(0, 0.12, 0.6, 0.035), -0.3), c.main.darker(0.3))
	for _, s := range []float64{-1, 1} {
		slider := p.box(s*0.66, 0.18, 0.035, 0.12, 0.015)
		p.fill(slider, p.cyl(metal, slider))
		cup := p.box(s*0.66, 0.54, 0.17, 0.36, 0.16)
		p.fill(cup, p.cyl(c.main, cup))
		p.solid(p.box(s*0.48, 0.54, 0.06, 0.32, 0.05), c.main.darker(0.4))
		p.solid(p.box(s*0.72, 0.54, 0.03, 0.18, 0.02), c.second)
	}
}

func drawEarbuds(p pen, c palette) {
	p.shadow(0, 0.93, 0.66)
	box := p.box(0, 0.5, 0.62, 0.42, 0.36)
	p.fill(box, p.shade(c.main, box))
	p.solidA(p.capsule(-0.62, 0.28, 0.62, 0.28, 0.008).and(box), black, 0.18)
	p.solid(p.circle(0, 0.64, 0.025), c.second)
	for _, s := range []float64{-1, 1} {
		u := s * 0.3
		stem := p.capsule(u, -0.38, u+s*0.05, 0.0, 0.065)
		p.fill(stem, p.cyl(c.main, stem))
		head := p.circle(u, -0.42, 0.17)
		p.fill(head, p.sphere(c.main, head))
		p.solid(p.circle(u-s*0.12, -0.44, 0.06), c.main.darker(0.3))
	}
}

func drawSpeaker(p pen, c palette) {
	p.shadow(0, 0.93, 0.46)
	body := p.box(0, 0.2, 0.44, 0.72, 0.36)
	p.fill(body, p.cyl(c.main, body))
	grille := p.box(0, 0.26, 0.36, 0.48, 0.3)
	for i := range 16 {
		for j := range 10 {
			u := -0.33 + float64(j)*0.073
			v := -0.2 + float64(i)*0.062
			p.solidA(p.circle(u, v, 0.016).and(grille), c.main.darker(0.5), 0.55)
		}
	}
	p.solid(p.box(0, 0.84, 0.44, 0.05, 0).and(body), c.second)
	p.solid(p.box(0, -0.4, 0.24, 0.05, 0.03), c.cap)
	for _, u := range []float64{-0.12, 0, 0.12} {
		p.solid(p.circle(u, -0.4, 0.02), c.label)
	}
	p.solid(p.box(0.46, 0.0, 0.03, 0.3, 0.02), c.second)
}

func drawCooker(p pen, c palette) {
	p.shadow(0, 0.93, 0.8)
	for _, u := range []float64{-0.55, 0.55} {
		p.solid(p.box(u, 0.9, 0.08, 0.04, 0.02), ink)
	}
	body := p.box(0, 0.45, 0.78, 0.45, 0.16)
	p.fill(body, p.cyl(c.main, body))
	lid := p.top(p.ellipse(0, 0.04, 0.74, 0.4), 0.04)
	p.fill(lid, p.cyl(c.main.darker(0.04), lid))
	p.solid(p.capsule(-0.77, 0.04, 0.77, 0.04, 0.014), c.cap)
	p.solid(p.capsule(-0.2, -0.36, 0.2, -0.36, 0.06), c.cap)
	panel := p.box(0, 0.46, 0.32, 0.18, 0.07)
	p.fill(panel, p.shade(c.cap, panel))
	p.solid(p.box(0, 0.4, 0.17, 0.05, 0.02), c.second)
	for _, u := range []float64{-0.15, 0, 0.15} {
		p.solid(p.circle(u, 0.55, 0.025), c.label)
	}
}

func drawBlender(p pen, c palette) {
	p.shadow(0, 0.93, 0.42)
	jar := p.box(0, -0.1, 0.36, 0.62, 0.1)
	juice := p.box(0, 0.14, 0.37, 0.38, 0).and(jar)
	p.fill(juice, p.cyl(c.second, jar))
	p.fillA(jar, p.cyl(white, jar), 0.3)
	p.solid(p.box(0, 0.46, 0.14, 0.02, 0.01), ink)
	base := p.box(0, 0.72, 0.4, 0.21, 0.07)
	p.fill(base, p.cyl(c.main, base))
	p.solid(p.circle(0, 0.7, 0.05), c.label)
	lid := p.box(0, -0.76, 0.38, 0.08, 0.04)
	p.fill(lid, p.cyl(c.main, lid))
	p.solid(p.top(p.ring(0.18, -0.84, 0.1, 0.025), -0.84), c.main)
	p.sheen(p.box(-0.22, -0.1, 0.04, 0.5, 0.04), jar, 0.45)
}

func drawKettle(p pen, c palette) {
	p.shadow(0, 0.93, 0.66)
	handle := p.box(0.56, 0.1, 0.2, 0.44, 0.16).minus(p.box(0.56, 0.1, 0.09, 0.32, 0.07))
	p.solid(handle, c.cap)
	spout := p.grow(p.poly(-0.45, -0.12, -0.8, -0.42, -0.74, -0.48, -0.4, -0.34), 0.03)
	p.fill(spout, p.shade(c.main, spout))
	body := p.grow(p.poly(-0.42, -0.5, 0.36, -0.5, 0.5, 0.8, -0.56, 0.8), 0.06)
	p.fill(body, p.cyl(c.main, body))
	p.solid(p.box(-0.03, 0.88, 0.66, 0.05, 0.03), c.cap)
	p.solid(p.box(-0.03, -0.6, 0.14, 0.05, 0.04), c.cap)
	win := p.box(0.26, 0.18, 0.05, 0.36, 0.04)
	p.solidA(win, c.second, 0.8)
	p.sheen(p.box(-0.3, 0.15, 0.04, 0.5, 0.04), body, 0.3)
}

func drawBedding(p pen, c palette) {
	p.shadow(0, 0.93, 0.84)
	cols := []rgb{c.main.darker(0.08), c.second, c.main}
	for i, v := range []float64{0.74, 0.42, 0.1} {
		hw := 0.82 - 0.03*float64(i)
		l := p.box(0, v, hw, 0.16, 0.12)
		p.fill(l, p.shade(cols[i], l))
		p.solidA(p.capsule(-hw+0.1, v-0.1, hw-0.1, v-0.1, 0.02), white, 0.35)
		p.solidA(p.capsule(-hw+0.06, v+0.05, hw-0.06, v+0.05, 0.006), c.label, 0.5)
	}
	pillow := p.box(0, -0.27, 0.64, 0.22, 0.2)
	p.fill(pillow, p.shade(c.main.lighter(0.6), pillow))
	p.solidA(p.capsule(-0.5, -0.24, 0.5, -0.24, 0.015), black, 0.05)
	p.solid(p.box(0.62, 0.44, 0.04, 0.07, 0.01), c.label)
}

func drawPillow(p pen, c palette) {
	p.shadow(0, 0.93, 0.88)
	body := p.box(0, 0.35, 0.9, 0.56, 0.34).minus(p.ellipse(0, -0.28, 0.4, 0.18))
	p.fill(body, p.shade(c.main, body))
	p.solidA(p.box(0, 0.35, 0.82, 0.48, 0.28).outline(0.006*p.s).and(body), c.main.darker(0.4), 0.3)
	p.solid(p.box(0.76, 0.68, 0.06, 0.1, 0.02), c.second)
	p.solidA(p.capsule(-0.6, 0.05, -0.3, 0.0, 0.04), white, 0.25)
}

func drawStorageBox(p pen, c palette) {
	p.shadow(0, 0.93, 0.82)
	p.solid(p.poly(-0.72, -0.36, 0.72, -0.36, 0.66, 0.0, -0.66, 0.0), c.main.darker(0.3))
	p.fill(p.box(-0.3, -0.3, 0.26, 0.11, 0.07), p.shade(c.second, p.box(-0.3, -0.3, 0.26, 0.11, 0.07)))
	p.fill(p.box(0.26, -0.32, 0.3, 0.1, 0.07), p.shade(c.second.lighter(0.35), p.box(0.26, -0.32, 0.3, 0.1, 0.07)))
	front := p.grow(p.poly(-0.76, -0.14, 0.76, -0.14, 0.66, 0.86, -0.66, 0.86), 0.03)
	p.fill(front, p.shade(c.main, front))
	p.solid(p.box(0, -0.14, 0.79, 0.04, 0.02), c.main.lighter(0.2))
	p.solid(p.capsule(-0.16, 0.12, 0.16, 0.12, 0.055), c.main.darker(0.4))
	p.solid(p.box(0, 0.5, 0.22, 0.12, 0.02), c.label)
	p.bars(0, 0.46, 0.24, 0.08, 0.015, c.main.darker(0.2), 2, 0.9)
}

func drawMug(p pen, c palette) {
	p.shadow(-0.08, 0.93, 0.56)
	handle := p.box(0.46, 0.25, 0.24, 0.28, 0.2).minus(p.box(0.46, 0.25, 0.12, 0.16, 0.1))
	p.solid(handle, c.main.darker(0.12))
	body := p.box(-0.1, 0.26, 0.5, 0.64, 0.1)
	p.fill(body, p.cyl(c.main, body))
	foot := p.box(-0.1, 0.82, 0.5, 0.1, 0).and(body)
	p.fill(foot, p.cyl(c.cap, body))
	p.solid(p.ellipse(-0.1, -0.38, 0.5, 0.09), c.main.darker(0.3))
	p.solid(p.ellipse(-0.1, -0.36, 0.45, 0.07), c.second)
	p.sheen(p.box(-0.35, 0.2, 0.04, 0.46, 0.04), body, 0.3)
}

func drawPan(p pen, c palette) {
	p.shadow(-0.12, 0.86, 0.78)
	handle := p.capsule(0.4, 0.28, 1.0, -0.1, 0.075)
	p.fill(handle, p.shade(c.cap, handle))
	p.solid(p.circle(0.46, 0.24, 0.03), metal)
	rim := p.ellipse(-0.2, 0.46, 0.72, 0.38)
	p.fill(rim, p.shade(c.main.darker(0.2), rim))
	top := p.ellipse(-0.2, 0.38, 0.72, 0.36)
	p.fill(top, p.shade(c.main, top))
	inner := p.ellipse(-0.2, 0.4, 0.62, 0.29)
	p.fill(inner, p.sphere(c.main.lighter(0.12), inner))
	p.solidA(p.ellipse(-0.2, 0.4, 0.4, 0.18).outline(0.006*p.s), white, 0.12)
}

func drawYogaMat(p pen, c palette) {
	p.shadow(0.05, 0.93, 0.78)
	block := p.poly(0.1, 0.34, 0.7, 0.34, 0.7, 0.92, 0.1, 0.92)
	p.fill(block, p.shade(c.second, block))
	p.solid(p.poly(0.1, 0.34, 0.24, 0.24, 0.84, 0.24, 0.7, 0.34), c.second.lighter(0.3))
	p.solid(p.poly(0.7, 0.34, 0.84, 0.24, 0.84, 0.82, 0.7, 0.92), c.second.darker(0.15))
	body := union(p.box(-0.3, 0.1, 0.32, 0.72, 0), p.ellipse(-0.3, 0.82, 0.32, 0.08))
	p.fill(body, p.cyl(c.main, body))
	end := p.ellipse(-0.3, -0.62, 0.32, 0.08)
	p.solid(end, c.main.lighter(0.2))
	for k := 1; k <= 4; k++ {
		f := 1 - 0.2*float64(k)
		p.solidA(p.ellipse(-0.3+0.01*float64(k), -0.62, 0.32*f, 0.08*f).outline(0.005*p.s), c.main.darker(0.3), 0.6)
	}
	for _, v := range []float64{-0.25, 0.45} {
		p.fill(p.box(-0.3, v, 0.33, 0.035, 0).and(body), p.cyl(c.cap, body))
	}
}

func drawDumbbell(p pen, c palette) {
	p.shadow(0, 0.93, 0.86)
	one := func(v, k float64, col rgb) {
		q := p.at(0, v, k)
		bar := q.capsule(-0.75, 0, 0.75, 0, 0.05)
		q.fill(bar, q.hcyl(metal, bar))
		for _, s := range []float64{-1, 1} {
			for i, w := range [][2]float64{{0.4, 0.36}, {0.53, 0.31}, {0.65, 0.24}} {
				plate := q.box(s*w[0], 0, 0.055, w[1], 0.04)
				q.fill(plate, q.hcyl(col.darker(0.06*float64(i)), plate))
			}
			collar := q.box(s*0.32, 0, 0.03, 0.1, 0.02)
			q.fill(collar, q.hcyl(metal, collar))
		}
	}
	one(-0.1, 0.85, c.main.darker(0.1))
	one(0.55, 1, c.main)
}

func drawBall(p pen, c palette) {
	p.shadow(0, 0.94, 0.6)
	ball := p.circle(0, 0.14, 0.78)
	p.fill(ball, p.sphere(c.main, ball))
	seam := c.cap
	if p.flat {
		seam = c.label
	}
	for _, s := range []shape{
		p.capsule(-0.8, 0.14, 0.8, 0.14, 0.018),
		p.capsule(0, -0.66, 0, 0.94, 0.018),
		p.ring(-1.0, 0.14, 0.74, 0.018),
		p.ring(1.0, 0.14, 0.74, 0.018),
	} {
		p.solidA(s.and(ball), seam, 0.85)
	}
}

func drawTent(p pen, c palette) {
	p.shadow(0, 0.9, 0.98)
	p.solidA(p.capsule(-0.02, -0.6, -1.0, 0.86, 0.005), ink, 0.35)
	p.solidA(p.capsule(0.02, -0.6, 1.0, 0.86, 0.005), ink, 0.35)
	body := p.grow(p.poly(-0.92, 0.86, 0, -0.62, 0.92, 0.86), 0.02)
	p.fill(body, p.shade(c.main, body))
	p.solid(p.poly(0, -0.62, 0.92, 0.86, 0.42, 0.86), c.main.darker(0.15))
	p.solid(p.poly(-0.92, 0.86, -0.8, 0.86, 0, -0.48, 0, -0.62).and(body), c.second)
	p.solid(p.poly(-0.3, 0.86, 0, 0.12, 0.2, 0.86), c.main.darker(0.5))
	p.solid(p.poly(0, 0.12, 0.2, 0.86, 0.34, 0.86), c.main.lighter(0.15))
	p.solid(p.capsule(0, -0.62, 0, -0.78, 0.02), c.cap)
}

func drawFlask(p pen, c palette) {
	p.shadow(0, 0.93, 0.34)
	body := p.box(0, 0.2, 0.32, 0.73, 0.16)
	p.fill(body, p.cyl(c.main, body))
	p.fill(p.box(0, 0.86, 0.33, 0.07, 0).and(body), p.cyl(metal, body))
	neck := p.box(0, -0.56, 0.25, 0.06, 0.02)
	p.fill(neck, p.cyl(metal, neck))
	p.solid(p.top(p.ring(0, -0.86, 0.11, 0.026), -0.82), c.cap)
	cap := p.box(0, -0.72, 0.27, 0.14, 0.06)
	p.fill(cap, p.cyl(c.cap, cap))
	p.solidA(p.circle(0, 0.0, 0.06), c.second, 0.9)
	p.sheen(p.box(-0.17, 0.2, 0.035, 0.55, 0.035), body, 0.25)
}

func drawLantern(p pen, c palette) {
	p.shadow(0, 0.93, 0.42)
	if !p.flat {
		p.c.glow(p.circle(0, 0.15, 0.3), c.label, 0.35, 0.45*p.s)
	}
	p.solid(p.top(p.ring(0, -0.5, 0.22, 0.03), -0.5), c.cap)
	glass := p.box(0, 0.15, 0.3, 0.42, 0.06)
	p.fill(glass, linear(c.label.lighter(0.7), c.label, glass, 0, 1))
	p.solidA(p.circle(0, 0.1, 0.12), white, 0.9)
	for _, u := range []float64{-0.3, 0.3} {
		p.solid(p.capsule(u, -0.28, u, 0.58, 0.03), c.main)
	}
	p.solidA(p.capsule(0, -0.28, 0, 0.58, 0.012), c.main, 0.6)
	topCap := p.grow(p.poly(-0.18, -0.55, 0.18, -0.55, 0.38, -0.3, -0.38, -0.3), 0.03)
	p.fill(topCap, p.shade(c.main, topCap))
	base := p.box(0, 0.74, 0.38, 0.18, 0.06)
	p.fill(base, p.shade(c.main, base))
	p.solid(p.circle(0.2, 0.74, 0.035), c.second)
}

func drawBooks(p pen, c palette) {
	p.shadow(0, 0.93, 0.82)
	cols := []rgb{c.second, c.main, c.cap, c.main.lighter(0.3)}
	v := 0.92
	for i, th := range []float64{0.2, 0.17, 0.22, 0.16} {
		hw := 0.76 - 0.05*float64(i)
		u := 0.04 * float64(1-2*(i%2))
		v -= th
		b := p.box(u, v+th/2, hw, th/2-0.005, 0.03)
		p.fill(b, p.shade(cols[i], b))
		p.solidA(p.box(u-hw+0.1, v+th/2, 0.025, th/2-0.01, 0), c.label, 0.8)
		p.solidA(p.box(u+hw-0.1, v+th/2, 0.025, th/2-0.01, 0), c.label, 0.8)
		p.solidA(p.capsule(u-hw*0.45, v+th/2, u+hw*0.45, v+th/2, 0.025), c.label, 0.85)
	}
	cover := p.rbox(0.12, -0.44, 0.4, 0.46, 0.03, 0.1)
	p.fill(cover, p.shade(c.label, cover))
	p.solid(p.circle(0.2, -0.62, 0.13).and(cover), c.second)
	p.solid(p.poly(-0.3, -0.1, -0.05, -0.42, 0.15, -0.2, 0.32, -0.36, 0.6, -0.02).and(cover), c.main)
}

func drawNovel(p pen, c palette) {
	p.shadow(0.05, 0.94, 0.62)
	p.solid(p.poly(0.5, -0.82, 0.62, -0.74, 0.62, 0.94, 0.5, 0.88), paper.darker(0.05))
	for i := range 6 {
		u := 0.52 + 0.018*float64(i)
		p.solidA(p.capsule(u, -0.78+0.012*float64(i), u, 0.9, 0.003), ink, 0.12)
	}
	cover := p.box(0, 0.03, 0.5, 0.85, 0.02)
	p.fill(cover, p.shade(c.main, cover))
	p.solid(p.circle(0.15, -0.1, 0.16), c.second)
	p.solid(p.poly(-0.5, 0.45, -0.15, 0.05, 0.1, 0.32, 0.3, 0.14, 0.5, 0.4, 0.5, 0.88, -0.5, 0.88).and(cover), c.main.darker(0.25))
	p.solidA(p.poly(-0.5, 0.6, -0.2, 0.35, 0.2, 0.62, 0.5, 0.5, 0.5, 0.88, -0.5, 0.88).and(cover), c.main.darker(0.45), 0.8)
	p.bars(0, -0.58, 0.56, 0.12, 0.03, c.label, 2, 0.95)
	p.solidA(p.box(-0.47, 0.03, 0.025, 0.85, 0).and(cover), black, 0.18)
}

func drawPens(p pen, c palette) {
	cols := []rgb{c.main, c.second, c.cap}
	const a = 0.7
	sin, cos := math.Sincos(a)
	for i, col := range cols {
		u, v := -0.05+0.3*float64(i-1), 0.2+0.14*float64(i-1)
		p.c.glow(p.rbox(u+0.03, v+0.06, 0.06, 0.82, 0.06, a), black, 0.18, 0.03*p.s)
		// Along the pen: d units from its centre towards the tip (lower left).
		at := func(d float64) (float64, float64) { return u - sin*d, v + cos*d }
		tu, tv := at(0.86)
		p.solid(p.rbox(tu, tv, 0.02, 0.06, 0.02, a), metal)
		gu, gv := at(0.62)
		body := p.rbox(u, v, 0.065, 0.8, 0.06, a)
		p.fill(body, p.cyl(col, body))
		p.solid(p.rbox(gu, gv, 0.068, 0.18, 0.05, a), ink.lighter(0.2))
		cu, cv := at(-0.5)
		ou, ov := cu+cos*0.06, cv+sin*0.06
		p.solid(p.rbox(ou, ov, 0.02, 0.22, 0.02, a), metal)
		eu, ev := at(-0.8)
		p.solid(p.rbox(eu, ev, 0.05, 0.05, 0.03, a), col.darker(0.3))
	}
}

func drawNotebook(p pen, c palette) {
	p.shadow(0.03, 0.93, 0.64)
	p.solid(p.box(0.04, 0.06, 0.6, 0.86, 0.05), paper)
	cover := p.box(0, 0.03, 0.6, 0.86, 0.06)
	p.fill(cover, p.shade(c.main, cover))
	p.solidA(p.box(-0.54, 0.03, 0.02, 0.86, 0).and(cover), black, 0.2)
	p.solidA(p.box(0, -0.2, 0.3, 0.16, 0.03).outline(0.007*p.s), c.main.darker(0.4), 0.5)
	p.solid(p.box(0.42, 0.03, 0.028, 0.87, 0.01), c.second)
	p.solid(p.poly(-0.12, 0.86, -0.02, 0.86, -0.02, 0.98, -0.07, 0.94, -0.12, 0.98), c.second)
}

func drawGiftCard(p pen, c palette) {
	p.shadow(0, 0.85, 0.9)
	back := p.rbox(0.14, -0.02, 0.78, 0.48, 0.08, 0.16)
	p.fill(back, linear(c.second.lighter(0.2), c.second, back, 1, 1))
	front := p.rbox(-0.08, 0.2, 0.78, 0.48, 0.08, -0.1)
	p.fill(front, linear(c.main.lighter(0.15), c.main.darker(0.15), front, 1, 1))
	p.solidA(p.circle(-0.5, 0.3, 0.3).and(front), white, 0.12)
	p.solidA(p.circle(0.4, 0.55, 0.4).and(front), white, 0.08)
	p.solid(p.rbox(0.28, 0.17, 0.055, 0.6, 0, -0.1).and(front), c.cap)
	p.solid(p.rbox(-0.06, 0.16, 0.8, 0.05, 0, -0.1).and(front), c.cap)
	p.solid(p.rbox(0.16, -0.02, 0.15, 0.07, 0.07, -0.5), c.cap.darker(0.1))
	p.solid(p.rbox(0.42, -0.06, 0.15, 0.07, 0.07, 0.4), c.cap.darker(0.1))
	p.solid(p.circle(0.28, -0.02, 0.06), c.cap)
	p.solid(p.circle(-0.56, 0.42, 0.08), c.label)
}

// drawFootball is a ball with a black pentagon in the middle and five more
// turning away round the edge.
func drawFootball(p pen, c palette) {
	p.shadow(0, 0.94, 0.6)
	ball := p.circle(0, 0.14, 0.78)
	p.fill(ball, p.sphere(c.main, ball))
	patch := c.cap
	if p.flat {
		patch = c.label
	}
	pentagon := func(u, v, r, turn float64) []float64 {
		pts := make([]float64, 0, 10)
		for i := range 5 {
			a := turn + float64(i)*2*math.Pi/5
			pts = append(pts, u+r*math.Sin(a), v-r*math.Cos(a))
		}
		return pts
	}
	mid := pentagon(0, 0.14, 0.24, 0)
	p.solid(p.grow(p.poly(mid...), 0.02), patch)
	for i := range 5 {
		a := float64(i) * 2 * math.Pi / 5
		u, v := 0.72*math.Sin(a), 0.14-0.72*math.Cos(a)
		p.solidA(p.capsule(mid[2*i], mid[2*i+1], 0.5*math.Sin(a), 0.14-0.5*math.Cos(a), 0.014).and(ball), patch, 0.8)
		p.solid(p.grow(p.poly(pentagon(u, v, 0.2, a+math.Pi)...), 0.02).and(ball), patch)
	}
}
