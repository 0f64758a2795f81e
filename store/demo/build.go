package demo

import (
	"fmt"
	"html"
	"math/rand/v2"
	"strings"

	"github.com/xiaodian/xiaodian/store"
)

// colourDim returns the index of the item's colour dimension, or -1.
func (it *item) colourDim() int {
	for i, d := range it.specs {
		if d.name == "颜色" || d.name == "色号" {
			return i
		}
	}
	return -1
}

// bodyColours are the colours of the item's gallery pictures, in order:
// one per value of its colour spec when it has one, else its own colours,
// else one picked from the category's.
func (it *item) bodyColours(st style, rng *rand.Rand) []rgb {
	if ci := it.colourDim(); ci >= 0 {
		var out []rgb
		for _, v := range it.specs[ci].values {
			if h, ok := colourOf[v]; ok {
				out = append(out, hex(h))
			} else {
				out = append(out, st.mains[len(out)%len(st.mains)])
			}
		}
		return out
	}
	if len(it.colors) > 0 {
		out := make([]rgb, len(it.colors))
		for i, h := range it.colors {
			out[i] = hex(h)
		}
		return out
	}
	return []rgb{st.mains[rng.IntN(len(st.mains))]}
}

// galleryLen is how many pictures the item's gallery holds (1–4).
func (it *item) galleryLen() int {
	n := it.images
	if it.colourDim() >= 0 {
		n = len(it.specs[it.colourDim()].values)
	}
	if n <= 0 {
		n = 2
	}
	return min(n, 4)
}

// palette is the item's palette with body colour main.
func (it *item) palette(st style, main rgb) palette {
	pick := func(h string, def rgb) rgb {
		if h == "" {
			return def
		}
		return hex(h)
	}
	return palette{main: main, second: pick(it.second, st.second), cap: pick(it.cap, st.cap), label: pick(it.label, st.label)}
}

// combos enumerates the spec matrix as value indexes, in store.Matrix order
// (the first dimension varies slowest).
func combos(dims []dim) [][]int {
	out := [][]int{{}}
	for _, d := range dims {
		next := make([][]int, 0, len(out)*len(d.values))
		for _, prefix := range out {
			for i := range d.values {
				next = append(next, append(append(make([]int, 0, len(prefix)+1), prefix...), i))
			}
		}
		out = next
	}
	return out
}

// listPrice is price raised by pct percent and rounded up to whole yuan;
// 0 when pct is 0.
func listPrice(price store.Fen, pct int) store.Fen {
	if pct <= 100 {
		return 0
	}
	lp := price * store.Fen(pct) / 100
	return (lp + 99) / 100 * 100
}

// input turns the item into the product form's input. no numbers the SKU
// codes; gallery holds its pictures, the picture of colour i at index i.
func (it *item) input(no int, catID, brandID int64, gallery []string, note string, rng *rand.Rand) store.ProductInput {
	in := store.ProductInput{
		CategoryID:  catID,
		BrandID:     brandID,
		Title:       it.title,
		Subtitle:    it.subtitle,
		Description: description(it, note),
		Images:      gallery,
		Tags:        it.tags,
		OnShelf:     !it.off,
		Virtual:     it.virtual,
		Sort:        it.sort,
	}
	for _, d := range it.specs {
		in.Specs = append(in.Specs, store.SpecDef{Name: d.name, Values: d.values})
	}
	ci := it.colourDim()
	soldOut := map[int]bool{}
	for _, i := range it.soldOut {
		soldOut[i] = true
	}
	for k, idx := range combos(it.specs) {
		s := store.SKUInput{Price: it.price, Code: fmt.Sprintf("XD-%04d-%02d", no, k+1), WeightG: it.weight}
		for d, v := range idx {
			s.Values = append(s.Values, it.specs[d].values[v])
			if it.specs[d].add != nil {
				s.Price += it.specs[d].add[v]
			}
		}
		s.ListPrice = listPrice(s.Price, it.list)
		switch {
		case soldOut[k]:
			s.Stock = 0
		case it.virtual:
			s.Stock = 9999
		default:
			s.Stock = 12 + rng.IntN(380)
		}
		if ci >= 0 && idx[ci] < len(gallery) {
			s.Image = gallery[idx[ci]]
		}
		in.SKUs = append(in.SKUs, s)
	}
	return in
}

// description writes the product page text as simple HTML: the subtitle,
// the selling points, the specifications and the category's note.
func description(it *item, note string) string {
	var b strings.Builder
	esc := html.EscapeString
	fmt.Fprintf(&b, "<p>%s。</p>", esc(it.subtitle))
	if len(it.points) > 0 {
		b.WriteString("<p><strong>产品亮点</strong></p><ul>")
		for _, pt := range it.points {
			head, text, ok := strings.Cut(pt, "：")
			if ok {
				fmt.Fprintf(&b, "<li><strong>%s</strong>：%s</li>", esc(head), esc(text))
			} else {
				fmt.Fprintf(&b, "<li>%s</li>", esc(pt))
			}
		}
		b.WriteString("</ul>")
	}
	b.WriteString("<p><strong>规格参数</strong></p><ul>")
	fmt.Fprintf(&b, "<li>品牌：%s</li>", esc(it.brand))
	for _, d := range it.specs {
		fmt.Fprintf(&b, "<li>%s：%s</li>", esc(d.name), esc(strings.Join(d.values, " / ")))
	}
	if it.weight > 0 {
		fmt.Fprintf(&b, "<li>毛重：约 %s</li>", weightText(it.weight))
	}
	b.WriteString("</ul>")
	if note != "" {
		fmt.Fprintf(&b, "<p>%s</p>", esc(note))
	}
	return b.String()
}

func weightText(g int) string {
	if g >= 1000 {
		return fmt.Sprintf("%d.%d kg", g/1000, g%1000/100)
	}
	return fmt.Sprintf("%d g", g)
}
