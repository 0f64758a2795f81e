package handlers

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/xiaodian/xiaodian/store"
)

type css = chromedp.CSS

// TestEndToEndCatalogue drives the real shop in headless Chromium: the owner
// sets up the shop, signs out and in again, creates a category and a product
// with two specs (2×2 SKUs) and a photo, then a shopper on a 375×812 phone
// opens the product and picks a SKU, and the price and stock follow.
func TestEndToEndCatalogue(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	a := newTestApp(t)
	ctx := browser(t, 1280, 800)
	base := a.srv.URL
	photo := writeTestPhoto(t)
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			screenshot(t, ctx, "e2e-failed")
			t.Fatalf("%s: %v", what, err)
		}
	}
	// click follows a link or submits a form that loads a new page, and waits
	// for it, so the next step never queries the page being unloaded.
	click := func(what, sel string) {
		t.Helper()
		if _, err := chromedp.RunResponse(ctx, chromedp.Click(css(sel))); err != nil {
			screenshot(t, ctx, "e2e-failed")
			t.Fatalf("%s: %v", what, err)
		}
	}
	eval := func(what, js string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js)); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	poll := func(what, js string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(20e9))); err != nil {
			screenshot(t, ctx, "e2e-failed")
			t.Fatalf("waiting for %s: %v", what, err)
		}
	}

	// First run: /admin leads to the setup page; create the owner without the demo shop.
	do("setup",
		chromedp.Navigate(base+"/admin"),
		chromedp.WaitVisible(css(`[data-testid="setup-form"]`)),
		chromedp.SendKeys(css("#username"), testOwner),
		chromedp.SendKeys(css("#password"), testPassword),
		chromedp.SendKeys(css("#confirm"), testPassword),
		chromedp.Click(css(`[data-testid="load-demo"]`)),
	)
	click("setup", `[data-testid="setup-form"] button[type="submit"]`)
	do("dashboard", chromedp.WaitVisible(css(`[data-testid="dashboard-stats"]`)))
	// Sign out and in again.
	click("logout", `[data-testid="logout"]`)
	do("login",
		chromedp.WaitVisible(css(`[data-testid="login-form"]`)),
		chromedp.SendKeys(css("#username"), testOwner),
		chromedp.SendKeys(css("#password"), testPassword),
	)
	click("login", `[data-testid="login-form"] button[type="submit"]`)
	do("dashboard after login", chromedp.WaitVisible(css(`[data-testid="dashboard-stats"]`)))
	do("category",
		chromedp.Navigate(base+"/admin/categories/new"),
		chromedp.WaitVisible(css(`[data-testid="category-form"]`)),
		chromedp.SendKeys(css("#name"), "服饰"),
		chromedp.Click(css(`[data-testid="category-form"] [data-testid="save"]`)),
		chromedp.WaitVisible(css(`[data-testid="category-table"]`)),
	)
	cats, err := a.DB.Categories(context.Background(), true)
	if err != nil || len(cats) != 1 {
		t.Fatalf("category not created: %v %v", cats, err)
	}

	// The product: title, category, a 2×2 spec matrix, SKU prices, a photo.
	do("product form",
		chromedp.Navigate(base+"/admin/products/new"),
		chromedp.WaitVisible(css(`[data-testid="product-form"]`)),
		chromedp.SendKeys(css("#title"), "端到端纯棉T恤"),
		chromedp.SetValue(css("#category_id"), fmt.Sprint(cats[0].ID)),
		chromedp.SendKeys(css("#specs"), "颜色: 红, 蓝\n尺码: M, L"),
		chromedp.Click(css(`[data-testid="regen"]`)),
	)
	poll("4 SKU rows", `document.querySelectorAll('[data-testid="sku-row"]').length === 4`)
	eval("fill SKUs", `(() => {
		const prices = ["59", "69", "79", "89.90"];
		document.querySelectorAll('input[name="sku_price"]').forEach((e, i) => e.value = prices[i]);
		document.querySelectorAll('input[name="sku_stock"]').forEach((e, i) => e.value = String(10 + i));
		const on = document.querySelector('[data-testid="on-shelf"]');
		if (!on.checked) on.click();
		return true;
	})()`)
	do("upload photo", chromedp.SetUploadFiles(css(`input[type="file"][name="file"]`), []string{photo}))
	poll("uploaded photo", `document.querySelectorAll('[data-testid="gallery-item"]').length === 1`)
	screenshot(t, ctx, "e2e-admin-product-form")
	do("save product",
		chromedp.Click(css(`[data-testid="product-form"] [data-testid="save"]`)),
		chromedp.WaitVisible(css(`[data-testid="product-table"]`)),
	)
	screenshot(t, ctx, "e2e-admin-products")
	list, _, err := a.DB.Products(context.Background(), store.ProductFilter{Query: "端到端"})
	if err != nil || len(list) != 1 {
		t.Fatalf("product not saved: %v %v", list, err)
	}
	p, err := a.DB.ProductByID(context.Background(), list[0].ID)
	if err != nil || len(p.SKUs) != 4 || len(p.Images) != 1 || !p.OnShelf {
		t.Fatalf("saved product: %+v %v", p, err)
	}
	want, ok := p.SKUByValues([]string{"蓝", "L"})
	if !ok || want.Price != 8990 {
		t.Fatalf("SKU 蓝/L: %+v", want)
	}

	// A shopper on a phone opens the product and picks 蓝 / L.
	do("phone", chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile))
	do("product page",
		chromedp.Navigate(fmt.Sprintf("%s/p/%d", base, p.ID)),
		chromedp.WaitVisible(css(`[data-testid="buybar"]`)),
	)
	screenshot(t, ctx, "e2e-shop-product")
	do("open SKU picker", chromedp.Click(css(`[data-testid="open-sku"]`)), chromedp.WaitVisible(css(`[data-testid="sku-panel"]`)))
	pick := func(value string) {
		t.Helper()
		// Wait until htmx has processed the (possibly just swapped) option,
		// or the click would follow the plain no-JS link instead.
		poll(value+" ready", `[...document.querySelectorAll('#sku-panel [data-testid="sku-opt"]')].some(e => e.textContent.trim() === "`+value+`" && "htmx-internal-data" in e) && !document.querySelector(".htmx-settling, .htmx-request")`)
		eval("pick "+value, `(() => {
			const o = [...document.querySelectorAll('#sku-panel [data-testid="sku-opt"]')].find(e => e.textContent.trim() === "`+value+`");
			o.click();
			return true;
		})()`)
		poll(value+" selected", `[...document.querySelectorAll('#sku-panel [data-testid="sku-opt"]')].some(e => e.textContent.trim() === "`+value+`" && e.getAttribute("aria-pressed") === "true")`)
	}
	pick("蓝")
	pick("L")
	poll("SKU 蓝/L chosen", fmt.Sprintf(`document.querySelector('#sku-panel').dataset.sku === "%d"`, want.ID))
	price, err := chromedp.Run(ctx, chromedp.Text(css(`[data-testid="sku-price"]`)))
	if err != nil {
		t.Fatal(err)
	}
	stock, err := chromedp.Run(ctx, chromedp.Text(css(`[data-testid="sku-stock"]`)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(strings.Fields(price), ""), "89.90") || !strings.Contains(stock, "13") {
		t.Fatalf("SKU panel shows price %q stock %q, want 89.90 and 13", price, stock)
	}
	screenshot(t, ctx, "e2e-shop-sku-picked")
}

// writeTestPhoto writes a 600×600 JPEG (a gradient with a disc) to a temp file.
func writeTestPhoto(t *testing.T) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 600, 600))
	for y := 0; y < 600; y++ {
		for x := 0; x < 600; x++ {
			c := color.RGBA{uint8(230 - y/6), uint8(200 - x/8), 220, 255}
			if (x-300)*(x-300)+(y-300)*(y-300) < 150*150 {
				c = color.RGBA{40, 90, 200, 255}
			}
			img.Set(x, y, c)
		}
	}
	path := filepath.Join(t.TempDir(), "photo.jpg")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := jpeg.Encode(f, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return path
}
