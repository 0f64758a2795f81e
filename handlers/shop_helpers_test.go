package handlers

import (
	"fmt"
	"image"
	"image/color"
	"strings"
	"testing"

	"github.com/xiaodian/xiaodian/store"
)

// shopFixture is a small catalogue made with the store API.
type shopFixture struct {
	babyTop, formula, fashion, hidden int64 // categories
	brandA, brandB                    int64
	milk, kidsMilk, offShelf, deleted int64 // products in formula
	dress                             int64 // 颜色 × 尺码 in fashion
	image                             string
}

// seedShop creates the catalogue:
//
//	母婴 ▸ 奶粉: 进口婴儿奶粉 (brand A, ¥238/¥450, 2罐 sold out), 儿童成长奶粉
//	             (brand B, ¥198), an off-shelf and a deleted 奶粉
//	服饰: 法式连衣裙 (红/蓝 × S/M, 红M sold out) and 25 T恤 priced ¥10..¥34
//	隐藏分类 (invisible)
func seedShop(t *testing.T, a *testApp) shopFixture {
	t.Helper()
	ctx := t.Context()
	var fx shopFixture
	must := func(id int64, err error) int64 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	img := image.NewRGBA(image.Rect(0, 0, 400, 400))
	for i := range img.Pix {
		img.Pix[i] = 200
	}
	img.Set(3, 3, color.RGBA{R: 255, A: 255})
	saved, err := a.Media.SaveImage(img)
	if err != nil {
		t.Fatal(err)
	}
	fx.image = saved.Key

	fx.babyTop = must(a.DB.CreateCategory(ctx, store.CategoryInput{Name: "母婴", Visible: true, Sort: 9}))
	fx.formula = must(a.DB.CreateCategory(ctx, store.CategoryInput{Name: "奶粉", ParentID: fx.babyTop, Visible: true}))
	fx.fashion = must(a.DB.CreateCategory(ctx, store.CategoryInput{Name: "服饰", Visible: true}))
	fx.hidden = must(a.DB.CreateCategory(ctx, store.CategoryInput{Name: "隐藏分类", Visible: false}))
	fx.brandA = must(a.DB.CreateBrand(ctx, store.BrandInput{Name: "贝乐芽"}))
	fx.brandB = must(a.DB.CreateBrand(ctx, store.BrandInput{Name: "星途"}))

	cans := []store.SpecDef{{Name: "规格", Values: []string{"1罐", "2罐"}}}
	fx.milk = must(a.DB.CreateProduct(ctx, store.ProductInput{
		CategoryID: fx.formula, BrandID: fx.brandA, Title: "进口婴儿奶粉 3段", Subtitle: "新西兰原装",
		Description: "<p>奶源好</p>", Specs: cans, Images: []string{fx.image}, OnShelf: true,
		Tags: []string{store.TagRecommended, store.TagHot, store.TagNew},
		SKUs: []store.SKUInput{
			{Values: []string{"1罐"}, Price: 23800, ListPrice: 28100, Stock: 10},
			{Values: []string{"2罐"}, Price: 45000, Stock: 0},
		},
	}))
	fx.kidsMilk = must(a.DB.CreateProduct(ctx, store.ProductInput{
		CategoryID: fx.formula, BrandID: fx.brandB, Title: "儿童成长奶粉", OnShelf: true,
		Tags: []string{store.TagRecommended}, SKUs: []store.SKUInput{{Price: 19800, Stock: 5}},
	}))
	fx.offShelf = must(a.DB.CreateProduct(ctx, store.ProductInput{
		CategoryID: fx.formula, BrandID: fx.brandA, Title: "停售的老款奶粉", OnShelf: false,
		Tags: []string{store.TagRecommended, store.TagHot, store.TagNew}, SKUs: []store.SKUInput{{Price: 9900, Stock: 5}},
	}))
	fx.deleted = must(a.DB.CreateProduct(ctx, store.ProductInput{
		CategoryID: fx.formula, Title: "删除的奶粉", OnShelf: true, SKUs: []store.SKUInput{{Price: 9900, Stock: 5}},
	}))
	if err := a.DB.DeleteProduct(ctx, fx.deleted); err != nil {
		t.Fatal(err)
	}
	fx.dress = must(a.DB.CreateProduct(ctx, store.ProductInput{
		CategoryID: fx.fashion, Title: "法式连衣裙", OnShelf: true, Images: []string{fx.image},
		Specs: []store.SpecDef{{Name: "颜色", Values: []string{"红", "蓝"}}, {Name: "尺码", Values: []string{"S", "M"}}},
		SKUs: []store.SKUInput{
			{Values: []string{"红", "S"}, Price: 10000, Stock: 5},
			{Values: []string{"红", "M"}, Price: 11000, Stock: 0},
			{Values: []string{"蓝", "S"}, Price: 12000, Stock: 3},
			{Values: []string{"蓝", "M"}, Price: 13000, ListPrice: 15000, Stock: 7},
		},
	}))
	for i := range 25 {
		must(a.DB.CreateProduct(ctx, store.ProductInput{
			CategoryID: fx.fashion, Title: fmt.Sprintf("纯棉T恤 %02d号", i), OnShelf: true,
			SKUs: []store.SKUInput{{Price: store.Fen(1000 + 100*i), Stock: 1}},
		}))
	}
	return fx
}

// cards returns the product ids of the cards in a page, in order.
func cards(body string) []string {
	var ids []string
	for _, part := range strings.Split(body, `data-testid="product-card" data-id="`)[1:] {
		id, _, _ := strings.Cut(part, `"`)
		ids = append(ids, id)
	}
	return ids
}

func idStr(id int64) string { return fmt.Sprint(id) }
