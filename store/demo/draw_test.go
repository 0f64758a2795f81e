package demo

import (
	"image"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
	"unicode/utf8"

	"github.com/xiaodian/xiaodian/store"
)

// TestMain draws the pictures of Load at a third of their size: the race
// detector slows the pixel loops about tenfold. TestPictureSizes covers the
// full size.
func TestMain(m *testing.M) {
	renderScale = 1.0 / 3
	os.Exit(m.Run())
}

var allMotifs = map[string]motif{
	"dropper": drawDropper, "pump": drawPump, "jar": drawJar, "tube": drawTube, "lipstick": drawLipstick,
	"compact": drawCompact, "can": drawCan, "teaCan": drawTeaCan, "cookieTin": drawCookieTin, "box": drawBox,
	"pouch": drawPouch, "spoutPouch": drawSpoutPouch, "babyBottle": drawBabyBottle, "bib": drawBib, "shirt": drawShirt,
	"hoodie": drawHoodie, "dress": drawDress, "pants": drawPants, "shoe": drawShoe, "backpack": drawBackpack,
	"suitcase": drawSuitcase, "tote": drawTote, "apples": drawApples, "oranges": drawOranges, "berries": drawBerries,
	"phone": drawPhone, "charger": drawCharger, "powerbank": drawPowerbank, "headphones": drawHeadphones,
	"earbuds": drawEarbuds, "speaker": drawSpeaker, "cooker": drawCooker, "blender": drawBlender, "kettle": drawKettle,
	"bedding": drawBedding, "pillow": drawPillow, "storageBox": drawStorageBox, "mug": drawMug, "pan": drawPan,
	"yogaMat": drawYogaMat, "dumbbell": drawDumbbell, "ball": drawBall, "tent": drawTent, "flask": drawFlask,
	"lantern": drawLantern, "books": drawBooks, "novel": drawNovel, "pens": drawPens, "notebook": drawNotebook,
	"giftCard": drawGiftCard, "football": drawFootball,
}

// differs counts the pixels of r where a and b differ.
func differs(a, b *image.RGBA, r image.Rectangle) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if a.RGBAAt(x, y) != b.RGBAAt(x, y) {
				n++
			}
		}
	}
	return n
}

func TestMotifsDrawAnItem(t *testing.T) {
	st := categories[0].style
	pal := palette{main: hex("#4f7fd9"), second: hex("#f2c14e"), cap: hex("#2d3340"), label: hex("#fffaf0")}
	const k = 0.2 // 150 pixels a side
	for name, m := range allMotifs {
		t.Run(name, func(t *testing.T) {
			empty := newCanvas(shotSize, shotSize, k)
			backdrop(empty, st, 0, rand.New(rand.NewPCG(1, 2)))
			shot := productShot(st, m, pal, pal, 0, rand.New(rand.NewPCG(1, 2)), k).(*image.RGBA)
			if !shot.Opaque() {
				t.Error("product picture has transparent pixels")
			}
			// The item fills a good part of the middle of the picture and
			// stays clear of the edges.
			b := shot.Bounds()
			mid := image.Rect(b.Dx()/4, b.Dy()/4, b.Dx()*3/4, b.Dy()*3/4)
			if n := differs(shot, empty.img, mid); n < mid.Dx()*mid.Dy()/5 {
				t.Errorf("only %d of %d middle pixels show the item", n, mid.Dx()*mid.Dy())
			}
			edge := image.Rect(0, 0, b.Dx(), b.Dy()/20)
			if n := differs(shot, empty.img, edge); n > 0 {
				t.Errorf("%d pixels drawn along the top edge", n)
			}

			ic := icon(st.color, m, 0.5).(*image.RGBA)
			if ic.RGBAAt(0, 0).A != 0 {
				t.Error("icon corner is not transparent")
			}
			white := 0
			for y := range ic.Bounds().Dy() {
				for x := range ic.Bounds().Dx() {
					if c := ic.RGBAAt(x, y); c.R > 240 && c.G > 240 && c.B > 240 && c.A == 255 {
						white++
					}
				}
			}
			if white < 40 {
				t.Errorf("icon glyph has %d white pixels", white)
			}
		})
	}
}

func TestPictureSizes(t *testing.T) {
	st := categories[4].style
	pal := palette{main: hex("#2a2c31"), second: hex("#5fb3f0"), cap: hex("#2a2d33"), label: hex("#8e7cf0")}
	tests := []struct {
		name string
		img  image.Image
		w, h int
	}{
		{"product", productShot(st, drawPhone, pal, pal, 2, rand.New(rand.NewPCG(1, 1)), 1), shotSize, shotSize},
		{"banner", banner(bannerDefs[1].spec, rand.New(rand.NewPCG(1, 1)), 1), bannerW, bannerH},
		{"icon", icon(st.color, drawPhone, 1), iconSize, iconSize},
		{"logo", logo(st.color, drawPhone, 1), iconSize, iconSize},
		{"small product", productShot(st, drawPhone, pal, pal, 0, rand.New(rand.NewPCG(1, 1)), 1.0/3), shotSize / 3, shotSize / 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if b := tt.img.Bounds(); b.Dx() != tt.w || b.Dy() != tt.h {
				t.Errorf("%v, want %d×%d", b, tt.w, tt.h)
			}
		})
	}
}

func TestPicturesAreDeterministic(t *testing.T) {
	st := categories[2].style
	pal := palette{main: hex("#c8553d"), second: hex("#f2c14e"), cap: hex("#f6f6f3"), label: hex("#f6f6f3")}
	draw := func(seed uint64) *image.RGBA {
		return productShot(st, drawShoe, pal, pal, 3, rand.New(rand.NewPCG(seed, 9)), 0.3).(*image.RGBA)
	}
	a, b, c := draw(1), draw(1), draw(2)
	if n := differs(a, b, a.Bounds()); n != 0 {
		t.Errorf("same seed: %d pixels differ", n)
	}
	if n := differs(a, c, a.Bounds()); n == 0 {
		t.Error("another seed drew the same picture")
	}
}

func TestCatalogue(t *testing.T) {
	if len(categories) != 8 {
		t.Errorf("%d top-level categories, want 8", len(categories))
	}
	subs := map[string]bool{}
	for _, c := range categories {
		if n := len(c.subs); n < 2 || n > 4 {
			t.Errorf("%s: %d subcategories", c.name, n)
		}
		for _, s := range c.subs {
			if subs[s.name] || len(s.nouns) == 0 {
				t.Errorf("subcategory %s repeated or without nouns", s.name)
			}
			subs[s.name] = true
		}
	}
	brandNames := map[string]bool{}
	for _, b := range brands {
		brandNames[b.name] = true
	}
	hasProducts := map[string]bool{}
	titles := map[string]bool{}
	for i := range items {
		it := &items[i]
		t.Run(it.title, func(t *testing.T) {
			if !subs[it.sub] || !brandNames[it.brand] {
				t.Errorf("unknown subcategory %q or brand %q", it.sub, it.brand)
			}
			if titles[it.title] || utf8.RuneCountInString(it.title) > store.MaxTitleLen ||
				utf8.RuneCountInString(it.subtitle) > store.MaxSubtitleLen {
				t.Errorf("title repeated or too long, or subtitle too long")
			}
			titles[it.title] = true
			hasProducts[it.sub] = true
			n := len(combos(it.specs))
			if n < 1 || n > 12 {
				t.Errorf("%d SKUs, want 1–12", n)
			}
			for _, k := range it.soldOut {
				if k >= n {
					t.Errorf("sold-out SKU %d of %d", k, n)
				}
			}
			for _, d := range it.specs {
				if d.add != nil && len(d.add) != len(d.values) {
					t.Errorf("%s: %d prices for %d values", d.name, len(d.add), len(d.values))
				}
			}
			if ci := it.colourDim(); ci >= 0 {
				for _, v := range it.specs[ci].values {
					if _, ok := colourOf[v]; !ok {
						t.Errorf("no colour drawn for %q", v)
					}
				}
			}
			if g := it.galleryLen(); g < 1 || g > 4 {
				t.Errorf("%d pictures", g)
			}
			in := it.input(i+1, 1, 1, make([]string, it.galleryLen()), "", rand.New(rand.NewPCG(1, 1)))
			if err := in.Validate(); err != nil {
				t.Errorf("invalid product input: %v", err)
			}
		})
	}
	for name := range subs {
		if !hasProducts[name] {
			t.Errorf("subcategory %s has no product", name)
		}
	}
	for _, b := range bannerDefs {
		if b.product != "" && !titles[b.product] {
			t.Errorf("banner %q links to unknown product %q", b.title, b.product)
		}
		if len(b.spec.items) != len(b.spec.pals) {
			t.Errorf("banner %q: %d items, %d palettes", b.title, len(b.spec.items), len(b.spec.pals))
		}
	}
}

func TestCombosFollowMatrixOrder(t *testing.T) {
	tests := []struct {
		name string
		dims []dim
	}{
		{"none", nil},
		{"one", []dim{{name: "容量", values: []string{"30ml", "50ml"}}}},
		{"two", []dim{{name: "颜色", values: []string{"白", "黑", "灰"}}, {name: "尺码", values: []string{"M", "L"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var specs []store.SpecDef
			for _, d := range tt.dims {
				specs = append(specs, store.SpecDef{Name: d.name, Values: d.values})
			}
			want := store.Matrix(specs)
			got := combos(tt.dims)
			if len(got) != len(want) {
				t.Fatalf("%d combinations, want %d", len(got), len(want))
			}
			for i, idx := range got {
				var vals []string
				for d, v := range idx {
					vals = append(vals, tt.dims[d].values[v])
				}
				if !slices.Equal(vals, want[i]) && (len(vals) != 0 || len(want[i]) != 0) {
					t.Errorf("combination %d is %v, want %v", i, vals, want[i])
				}
			}
		})
	}
}

func TestListPrice(t *testing.T) {
	tests := []struct {
		price store.Fen
		pct   int
		want  store.Fen
	}{
		{fen(100), 0, 0},
		{fen(100), 100, 0},
		{fen(100), 130, fen(130)},
		{fen(238), 118, fen(281)}, // 280.84 rounds up to whole yuan
		{1990, 150, 3000},         // 29.85 → 30.00
	}
	for _, tt := range tests {
		if got := listPrice(tt.price, tt.pct); got != tt.want {
			t.Errorf("listPrice(%v, %d) = %v, want %v", tt.price, tt.pct, got, tt.want)
		}
	}
}

func TestHex(t *testing.T) {
	if got := hex("#ff8000"); got != (rgb{255, 128, 0}) {
		t.Errorf("hex(#ff8000) = %v", got)
	}
	for _, bad := range []string{"ff8000", "#ff80", "#gg8000"} {
		t.Run(bad, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("hex(%q) did not panic", bad)
				}
			}()
			hex(bad)
		})
	}
}
