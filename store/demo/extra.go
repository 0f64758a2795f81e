package demo

import (
	"fmt"
	"math/rand/v2"

	"github.com/xiaodian/xiaodian/store"
)

// Word lists for the generated products of Options.Extra.
var (
	extraAdjectives = []string{"经典", "轻量", "加厚", "简约", "便携", "家用", "新款", "优选", "精选", "大容量", "迷你", "多功能", "升级款", "基础款", "轻奢"}
	extraSuffixes   = []string{"", "", "家庭装", "礼盒装", "2件装", "旗舰款", "青春版", "标准版", "限定款", "Pro"}
	extraSubtitles  = []string{
		"品质之选 放心购买", "限时特惠 库存有限", "热销爆款 好评如潮", "源头工厂 高性价比",
		"新品上市 尝鲜价", "7天无理由退换", "包邮到家 次日送达", "口碑好物 回购率高",
	}
)

// extraItem makes a generated product: a subcategory in turn, a
// hand-written product of it as the model for brand, specs, price range and
// pictures, and a title combined from the word lists. It has 1–6 SKUs.
func extraItem(sub subCat, model *item, rng *rand.Rand) item {
	it := item{
		sub:      sub.name,
		brand:    model.brand,
		draw:     model.draw,
		weight:   model.weight,
		subtitle: extraSubtitles[rng.IntN(len(extraSubtitles))],
		points:   model.points,
		off:      rng.IntN(40) == 0,
	}
	noun := sub.nouns[rng.IntN(len(sub.nouns))]
	it.title = fmt.Sprintf("%s %s%s", model.brand, extraAdjectives[rng.IntN(len(extraAdjectives))], noun)
	if s := extraSuffixes[rng.IntN(len(extraSuffixes))]; s != "" {
		it.title += " " + s
	}
	// Prices in the model's range, ending in .90 or .00.
	factor := 0.6 + rng.Float64()
	yuan := max(int(float64(model.price/100)*factor), 2)
	it.price = fen(yuan)
	if rng.IntN(2) == 0 {
		it.price -= 10
	}
	if rng.IntN(3) == 0 {
		it.list = 120 + 10*rng.IntN(4)
	}
	it.specs = extraSpecs(model.specs, rng)
	for i := range it.specs {
		if it.specs[i].add != nil {
			add := make([]store.Fen, len(it.specs[i].add))
			for k, a := range it.specs[i].add {
				add[k] = store.Fen(float64(a)*factor) / 100 * 100
			}
			it.specs[i].add = add
		}
	}
	switch r := rng.IntN(20); {
	case r < 2:
		it.tags = []string{tHot}
	case r < 4:
		it.tags = []string{tNew}
	case r == 4:
		it.tags = []string{tRec}
	}
	if rng.IntN(30) == 0 {
		it.soldOut = []int{0}
	}
	return it
}

// extraSpecs cuts the model's spec matrix down to at most six SKUs: none,
// one dimension of 2–6 values, or two of 2×2 or 2×3.
func extraSpecs(model []dim, rng *rand.Rand) []dim {
	cut := func(d dim, k int) dim {
		k = min(k, len(d.values))
		out := dim{name: d.name, values: d.values[:k]}
		if d.add != nil {
			out.add = d.add[:k]
		}
		return out
	}
	switch r := rng.IntN(4); {
	case len(model) == 0 || r == 0:
		return nil
	case len(model) >= 2 && r == 3:
		return []dim{cut(model[0], 2), cut(model[1], 2+rng.IntN(2))}
	default:
		return []dim{cut(model[0], 2+rng.IntN(5))}
	}
}
