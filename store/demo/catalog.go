package demo

import "github.com/xiaodian/xiaodian/store"

// The demo shop's content. Brand names are invented.

// topCat is a top-level category with its look and its subcategories.
type topCat struct {
	name  string
	style style
	glyph motif
	note  string // a closing line for the descriptions of its products
	subs  []subCat
}

// subCat is a subcategory; nouns feed the titles of generated products.
type subCat struct {
	name  string
	glyph motif
	nouns []string
}

// brandDef is a brand and the look of its logo.
type brandDef struct {
	name  string
	color string
	glyph motif
}

// dim is one spec dimension; add, when set, is the price each value adds.
type dim struct {
	name   string
	values []string
	add    []store.Fen
}

// item is one product of the demo shop.
type item struct {
	sub      string // subcategory name
	brand    string
	title    string
	subtitle string
	points   []string // selling points: "标题：说明"
	draw     motif
	specs    []dim
	price    store.Fen // of the first SKU; dims may add to it
	list     int       // list price as a percentage of the price; 0 = none
	weight   int       // grams
	tags     []string
	colors   []string // body colours, one gallery picture each; else taken from a 颜色 spec
	second   string   // detail colour overrides
	cap      string
	label    string
	images   int   // gallery size when no colours drive it (default 2)
	soldOut  []int // SKU positions with no stock
	sort     int
	off      bool // off shelf
	virtual  bool
}

const (
	tNew = store.TagNew
	tHot = store.TagHot
	tRec = store.TagRecommended
)

func fen(yuan int) store.Fen { return store.Fen(yuan) * 100 }

// colourOf gives the colour drawn for a colour spec value.
var colourOf = map[string]string{
	"白": "#f4f4f2", "黑": "#2c2d31", "灰": "#a3a6ad", "藏青": "#27345a", "燕麦": "#dccbaa",
	"浅蓝": "#a9c8e8", "深蓝": "#34507f", "蓝色碎花": "#8fb3e0", "黄色碎花": "#f2d27a", "白灰": "#e6e6e3",
	"奶白": "#f6efe2", "雾蓝": "#9fb8d0", "樱粉": "#f2b8c6", "正红": "#c8202e", "豆沙": "#b96a6f",
	"枫叶棕": "#9b4a32", "奶茶色": "#c99a7c", "象牙白": "#f1e3cf", "自然色": "#e5c3a0", "曜石黑": "#2a2c31",
	"星河银": "#d5d8de", "远峰蓝": "#7a9cc6", "月白": "#eef0ee", "雾灰": "#b9bcc0", "豆绿": "#a9c5a0",
	"米白": "#f1ebe0", "墨绿": "#2f5d4b", "紫": "#8f7ad1", "蓝": "#4f86d9", "绿": "#5aa36b",
	"红": "#d9443a", "银": "#cfd3d8", "薄荷绿": "#9ad6c0", "珊瑚橙": "#f08a5d", "星光白": "#f2f1ee",
	"深空灰": "#55585f", "棕": "#8a5a3c", "卡其": "#c6a77b",
}

var categories = []topCat{
	{
		name: "母婴", glyph: drawBabyBottle,
		note: "温馨提示：请根据宝宝月龄选择合适的产品，使用前请仔细阅读包装说明。",
		style: style{color: hex("#ef7d9a"), bgTop: hex("#fdf1f4"), bgBottom: hex("#f7dbe3"),
			mains:  []rgb{hex("#f5a3b8"), hex("#9fcbee"), hex("#f4dfb8"), hex("#a9dcc8")},
			second: hex("#7cc3e8"), cap: hex("#fbfbfb"), label: hex("#fffaf2")},
		subs: []subCat{
			{"奶粉", drawCan, []string{"婴儿配方奶粉", "儿童成长奶粉", "羊奶粉", "有机奶粉"}},
			{"纸尿裤", drawBox, []string{"纸尿裤", "拉拉裤", "夜用纸尿裤", "成长裤"}},
			{"辅食", drawSpoutPouch, []string{"婴儿米粉", "果泥", "磨牙饼干", "肉松"}},
			{"喂养用品", drawBib, []string{"奶瓶", "围兜", "吸管杯", "辅食碗"}},
		},
	},
	{
		name: "美妆护肤", glyph: drawDropper,
		note: "温馨提示：初次使用请先在耳后或手腕内侧试用，如有不适请停止使用。",
		style: style{color: hex("#b47fd1"), bgTop: hex("#f8f2fb"), bgBottom: hex("#eadcf4"),
			mains:  []rgb{hex("#e9b7c9"), hex("#f3eee6"), hex("#d9a77c"), hex("#a58ddc")},
			second: hex("#d4a05a"), cap: hex("#f7f5f2"), label: hex("#fffdf8")},
		subs: []subCat{
			{"面部护肤", drawPump, []string{"精华液", "保湿乳液", "爽肤水", "面霜", "眼霜"}},
			{"彩妆", drawLipstick, []string{"口红", "唇釉", "气垫粉底", "眉笔", "腮红"}},
			{"身体护理", drawTube, []string{"沐浴露", "身体乳", "护手霜", "磨砂膏"}},
		},
	},
	{
		name: "服饰鞋包", glyph: drawShirt,
		note: "尺码说明：平铺测量，误差 1–2 cm 属正常范围；不同显示器色差请以实物为准。",
		style: style{color: hex("#4f7fd9"), bgTop: hex("#f2f5fa"), bgBottom: hex("#dfe6f3"),
			mains:  []rgb{hex("#5d7fc9"), hex("#e9e4da"), hex("#c8553d"), hex("#3a3d44")},
			second: hex("#f2c14e"), cap: hex("#f6f6f3"), label: hex("#f6f6f3")},
		subs: []subCat{
			{"女装", drawDress, []string{"连衣裙", "针织开衫", "半身裙", "衬衫", "卫衣"}},
			{"男装", drawHoodie, []string{"短袖T恤", "Polo衫", "休闲衬衫", "连帽卫衣", "夹克"}},
			{"鞋靴", drawShoe, []string{"跑步鞋", "板鞋", "帆布鞋", "休闲鞋", "短靴"}},
			{"箱包", drawBackpack, []string{"双肩包", "托特包", "斜挎包", "行李箱", "钱包"}},
		},
	},
	{
		name: "食品生鲜", glyph: drawApples,
		note: "储存方式：请置于阴凉干燥处，开封后请尽快食用；生鲜产品收货后请及时冷藏。",
		style: style{color: hex("#f29b38"), bgTop: hex("#fff8ee"), bgBottom: hex("#fde4c3"),
			mains:  []rgb{hex("#e8533f"), hex("#f6a13a"), hex("#7bb661"), hex("#8c5a3c")},
			second: hex("#6fae4f"), cap: hex("#c99f6e"), label: hex("#fff8ea")},
		subs: []subCat{
			{"休闲零食", drawPouch, []string{"坚果", "牛肉干", "薯片", "饼干", "果干"}},
			{"新鲜水果", drawOranges, []string{"苹果", "脐橙", "蓝莓", "猕猴桃", "芒果"}},
			{"茶饮冲调", drawTeaCan, []string{"绿茶", "红茶", "速溶咖啡", "花草茶", "燕麦片"}},
		},
	},
	{
		name: "数码家电", glyph: drawHeadphones,
		note: "售后服务：全国联保，支持 7 天无理由退货（激活后除外），15 天内质量问题可换新。",
		style: style{color: hex("#4a5a78"), bgTop: hex("#eff2f7"), bgBottom: hex("#d8dee9"),
			mains:  []rgb{hex("#2f3440"), hex("#d5d8de"), hex("#6a8fc2"), hex("#f4f4f2")},
			second: hex("#5fb3f0"), cap: hex("#2a2d33"), label: hex("#8e7cf0")},
		subs: []subCat{
			{"手机通讯", drawPhone, []string{"智能手机", "充电宝", "快充充电器", "数据线", "手机壳"}},
			{"耳机音箱", drawEarbuds, []string{"蓝牙耳机", "头戴式耳机", "蓝牙音箱", "降噪耳机"}},
			{"厨房电器", drawKettle, []string{"电饭煲", "电热水壶", "榨汁杯", "空气炸锅", "养生壶"}},
		},
	},
	{
		name: "家居日用", glyph: drawMug,
		note: "温馨提示：布艺产品首次使用前建议清洗，请按照洗涤标签说明护理。",
		style: style{color: hex("#d39a60"), bgTop: hex("#fcf6ef"), bgBottom: hex("#f1e2cf"),
			mains:  []rgb{hex("#e4d3bc"), hex("#9cb8a4"), hex("#c98f6b"), hex("#a7b9cf")},
			second: hex("#9cb8a4"), cap: hex("#b98552"), label: hex("#fffaf3")},
		subs: []subCat{
			{"床品布艺", drawBedding, []string{"四件套", "枕头", "夏凉被", "毛巾", "抱枕"}},
			{"收纳清洁", drawStorageBox, []string{"收纳箱", "洗衣凝珠", "衣架", "拖把", "垃圾袋"}},
			{"餐厨用品", drawPan, []string{"炒锅", "马克杯", "保鲜盒", "砧板", "碗碟套装"}},
		},
	},
	{
		name: "运动户外", glyph: drawDumbbell,
		note: "温馨提示：运动前请充分热身，户外活动请关注天气并注意安全。",
		style: style{color: hex("#1ea597"), bgTop: hex("#edf8f6"), bgBottom: hex("#cdebe6"),
			mains:  []rgb{hex("#23a393"), hex("#f0643c"), hex("#3e4a5a"), hex("#8bc34a")},
			second: hex("#f0a33c"), cap: hex("#2d3340"), label: hex("#fff3d6")},
		subs: []subCat{
			{"健身器材", drawYogaMat, []string{"瑜伽垫", "哑铃", "弹力带", "跳绳", "筋膜枪"}},
			{"球类运动", drawBall, []string{"篮球", "足球", "羽毛球拍", "乒乓球拍", "排球"}},
			{"户外露营", drawTent, []string{"帐篷", "露营灯", "保温杯", "折叠椅", "睡袋"}},
		},
	},
	{
		name: "图书文具", glyph: drawNotebook,
		note: "温馨提示：图书类商品如有缺页、倒装等印刷问题，可联系客服免费换新。",
		style: style{color: hex("#4e9a6f"), bgTop: hex("#f1f8f2"), bgBottom: hex("#d7eadd"),
			mains:  []rgb{hex("#4e9a6f"), hex("#e0a458"), hex("#5b6ee1"), hex("#d9644a")},
			second: hex("#f2c14e"), cap: hex("#d9644a"), label: hex("#fffaf0")},
		subs: []subCat{
			{"童书绘本", drawBooks, []string{"绘本", "科普百科", "拼音识字卡", "立体书"}},
			{"文学小说", drawNovel, []string{"长篇小说", "散文集", "诗集", "短篇小说集"}},
			{"文具礼品", drawPens, []string{"笔记本", "中性笔", "便利贴", "手账套装", "礼品卡"}},
		},
	},
}

var brands = []brandDef{
	{"贝乐芽", "#ef7d9a", drawBabyBottle},
	{"植愈集", "#b47fd1", drawDropper},
	{"素棉", "#8a9bb8", drawShirt},
	{"行者纪", "#4f7fd9", drawShoe},
	{"山野仓", "#8c5a3c", drawPouch},
	{"田园小铺", "#6fae4f", drawApples},
	{"星途科技", "#3b4b63", drawPhone},
	{"暖居", "#d39a60", drawKettle},
	{"木屿", "#9cb8a4", drawBedding},
	{"跃动力", "#1ea597", drawBall},
	{"青简书房", "#4e9a6f", drawNovel},
	{"拾光礼物", "#e0a458", drawGiftCard},
}

// bannerDef is a home page banner and where it leads.
type bannerDef struct {
	title    string
	product  string // title of the product it links to; "" links to category
	category int    // index in categories
	spec     bannerSpec
}

func pal(main, second, cap, label string) palette {
	return palette{main: hex(main), second: hex(second), cap: hex(cap), label: hex(label)}
}

var bannerDefs = []bannerDef{
	{
		title: "母婴好物节 · 进口奶粉限时特惠", product: "进口婴儿奶粉 3段 800g",
		spec: bannerSpec{from: hex("#ee6f96"), to: hex("#ffc4d6"), glyph: drawBabyBottle,
			items: []motif{drawCan, drawBabyBottle, drawBox},
			pals: []palette{pal("#f5a3b8", "#ffd166", "#fbfbfb", "#fffaf2"), pal("#9fcbee", "#f3dcb5", "#fbfbfb", "#fffaf2"),
				pal("#9fcbee", "#f5a3b8", "#fbfbfb", "#fffaf2")}},
	},
	{
		title: "星途 X5 5G 新品首发", product: "星途 X5 5G 智能手机",
		spec: bannerSpec{from: hex("#27324a"), to: hex("#5f7fb0"), glyph: drawPhone,
			items: []motif{drawPhone, drawEarbuds, drawHeadphones},
			pals: []palette{pal("#2a2c31", "#5fb3f0", "#2a2d33", "#8e7cf0"), pal("#f2f1ee", "#5fb3f0", "#9aa0a8", "#8e7cf0"),
				pal("#d5d8de", "#5fb3f0", "#2a2d33", "#8e7cf0")}},
	},
	{
		title: "山野好味 · 坚果零食满 99 减 10", category: 3,
		spec: bannerSpec{from: hex("#f08a24"), to: hex("#ffd27a"), glyph: drawApples,
			items: []motif{drawPouch, drawTeaCan, drawCookieTin},
			pals: []palette{pal("#8c5a3c", "#c99f6e", "#c99f6e", "#fff8ea"), pal("#5a8f4e", "#d8b26a", "#d8b26a", "#fff8ea"),
				pal("#3c5fa8", "#f2c14e", "#d8b26a", "#fff8ea")}},
	},
	{
		title: "植愈集补水季 · 精华第二件半价", category: 1,
		spec: bannerSpec{from: hex("#9f74d4"), to: hex("#f1c9e2"), glyph: drawDropper,
			items: []motif{drawDropper, drawJar, drawLipstick},
			pals: []palette{pal("#d9a77c", "#d4a05a", "#f3eee6", "#fffdf8"), pal("#e9b7c9", "#d4a05a", "#f7f5f2", "#fffdf8"),
				pal("#c8202e", "#d4a05a", "#2a2a2e", "#fffdf8")}},
	},
}
