package handlers

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/xiaodian/xiaodian/store"
)

// TestEndToEndAdminOrders signs in as the owner in a real browser at a
// desktop size and walks the order back office: the list, an order's
// detail, a batch-ship import and the packing slips, with screenshots.
func TestEndToEndAdminOrders(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	f := newOrderFx(t)
	ctx := browser(t, 1280, 900)
	base := f.a.srv.URL
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			screenshot(t, ctx, "e2e-failed")
			t.Fatalf("%s: %v", what, err)
		}
	}
	click := func(what, sel string) {
		t.Helper()
		if _, err := chromedp.RunResponse(ctx, chromedp.Click(css(sel))); err != nil {
			screenshot(t, ctx, "e2e-failed")
			t.Fatalf("%s: %v", what, err)
		}
	}

	// Orders in every state worth seeing.
	red, blue := store.CheckoutItem{SKUID: f.red, Qty: 2}, store.CheckoutItem{SKUID: f.blue, Qty: 1}
	f.place(t, f.alice, red)
	detail := f.pay(t, f.place(t, f.alice, red, blue))
	toImport := f.pay(t, f.place(t, f.bo, blue))
	f.pay(t, f.place(t, f.bo, store.CheckoutItem{SKUID: f.red, Qty: 1}))
	pickup := f.pay(t, f.placePickup(t, blue))
	if err := f.a.DB.SetOrderRemark(t.Context(), detail.ID, store.StaffActor(testOwner), "老客户，多送一双袜子"); err != nil {
		t.Fatal(err)
	}

	do("login",
		chromedp.Navigate(base+"/admin/login"),
		chromedp.WaitVisible(css(`[data-testid="login-form"]`)),
		chromedp.SendKeys(css("#username"), testOwner),
		chromedp.SendKeys(css("#password"), testPassword),
	)
	click("login", `[data-testid="login-form"] button[type="submit"]`)
	do("list",
		chromedp.Navigate(base+"/admin/orders"),
		chromedp.WaitVisible(css(`[data-testid="order-table"]`)),
	)
	screenshot(t, ctx, "admin-orders-list")

	do("detail", chromedp.Navigate(fmt.Sprint(base, "/admin/orders/", detail.ID)),
		chromedp.WaitVisible(css(`[data-testid="ship-form"]`)),
		chromedp.SendKeys(css("#tracking_no"), "SF1234567890"),
		chromedp.SetValue(css(fmt.Sprint(`input[name="qty_`, detail.Lines[1].ID, `"]`)), "0"),
	)
	click("ship part", `[data-testid="ship-submit"]`)
	do("after ship", chromedp.WaitVisible(css(`[data-testid="packages"]`)))
	screenshot(t, ctx, "admin-order-detail")
	fullShot(t, ctx, "admin-order-detail-full")

	csvPath := filepath.Join(t.TempDir(), "ship.csv")
	data := "订单号,快递公司,快递单号\n" + toImport.No + ",中通快递,ZT778899\n20990101000000000000,圆通速递,YT1\n" + detail.No + ",韵达快递,YD 1\n"
	if err := os.WriteFile(csvPath, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	do("import", chromedp.Navigate(base+"/admin/orders/ship-import"),
		chromedp.WaitVisible(css(`[data-testid="ship-import-form"]`)),
		chromedp.SetUploadFiles(css(`#file`), []string{csvPath}),
	)
	click("import submit", `[data-testid="import-submit"]`)
	do("import result", chromedp.WaitVisible(css(`[data-testid="import-result"]`)))
	screenshot(t, ctx, "admin-orders-import")

	do("slips", chromedp.Navigate(fmt.Sprint(base, "/admin/orders/print?ids=", detail.ID, ",", toImport.ID)),
		chromedp.WaitVisible(css(`[data-testid="slip"]`)))
	screenshot(t, ctx, "admin-packing-slip")
	fullShot(t, ctx, "admin-packing-slip-full")

	do("pickup", chromedp.Navigate(base+"/admin/pickup-verify"),
		chromedp.WaitVisible(css(`[data-testid="verify-form"]`)),
		chromedp.SendKeys(css("#code"), pickup.PickupCode),
	)
	click("lookup", `[data-testid="lookup"]`)
	do("pickup order", chromedp.WaitVisible(css(`[data-testid="confirm-verify"]`)))
	screenshot(t, ctx, "admin-pickup-verify")
	click("confirm", `[data-testid="confirm-verify"]`)
	do("verified", chromedp.WaitVisible(css(`[data-testid="verify-done"]`)))
	if got := f.order(t, pickup.ID); got.Status != store.StatusCompleted {
		t.Errorf("pickup order after verification: %s", got.Status)
	}
}

// fullShot saves the whole page, not only the viewport, among the artefacts.
func fullShot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	img, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(artifactDir(t), name+".png"), img, 0o644); err != nil {
		t.Fatal(err)
	}
}
