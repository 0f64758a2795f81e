package handlers

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/xiaodian/xiaodian/store"
)

// TestDistributionThroughLinks: A shares a product; B opens the link and
// registers (bound to A); C registers through B's link and buys; the
// centres of B (level 1) and A (level 2) show the pending commission.
func TestDistributionThroughLinks(t *testing.T) {
	a := openTestApp(t, AppConfig{DataDir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))})
	fx := seedShop(t, a)
	ctx := t.Context()

	pa := a.secondClient(t)
	pa.register(t, "13700000001")
	idA := a.customerID(t, "13700000001")
	resp, body := pa.get(t, "/distributor")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="dist-head"`) {
		t.Fatalf("A centre: %d %s", resp.StatusCode, body)
	}
	codeA, _ := a.DB.RefCode(ctx, idA)

	pb := a.secondClient(t)
	if resp, _ := pb.get(t, fmt.Sprintf("/p/%d?ref=%s", fx.milk, codeA)); resp.StatusCode != http.StatusOK {
		t.Fatalf("product through A's link: %d", resp.StatusCode)
	}
	pb.register(t, "13700000002")
	idB := a.customerID(t, "13700000002")
	if d, _ := a.DB.DistributorOf(ctx, idB); d.ReferrerID != idA {
		t.Fatalf("B's referrer = %d, want A %d", d.ReferrerID, idA)
	}
	codeB, _ := a.DB.RefCode(ctx, idB)

	pc := a.secondClient(t)
	pc.get(t, "/?ref="+codeB)
	pc.register(t, "13700000003")
	idC := a.customerID(t, "13700000003")
	// A later link of A's does not take C from B (bound for ever by default).
	pc.get(t, "/?ref="+codeA)
	if d, _ := a.DB.DistributorOf(ctx, idC); d.ReferrerID != idB {
		t.Fatalf("C's referrer = %d, want B %d", d.ReferrerID, idB)
	}
	addr, err := a.DB.CreateAddress(ctx, idC, store.AddressInput{Name: "张三", Phone: "13700000003", ProvinceCode: "44",
		CityCode: "4403", DistrictCode: "440305", Detail: "科技园 1 栋"})
	if err != nil {
		t.Fatal(err)
	}
	sku := skuOf(t, a, fx.milk, "1罐")
	o, err := a.DB.PlaceOrder(ctx, store.CheckoutInput{CustomerID: idC, Items: []store.CheckoutItem{{SKUID: sku, Qty: 2}},
		Delivery: store.DeliveryExpress, AddressID: addr, Token: "t1"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.DB.StartPayment(ctx, idC, o.ID, "sandbox", "")
	if err != nil {
		t.Fatal(err)
	}
	if r, _, err := a.DB.ApplyPayment(ctx, store.PaymentNotice{Provider: "sandbox", OutTradeNo: p.OutTradeNo,
		ProviderTxnID: "T" + p.OutTradeNo, Amount: p.Amount}); err != nil || r != store.ApplyPaid {
		t.Fatalf("pay: %v %v", r, err)
	}
	paid := o.Lines[0].Paid
	wantB, wantA := paid*1000/10000, paid*500/10000
	_, body = pb.get(t, "/distributor")
	if !strings.Contains(body, `data-testid="dist-pending">`+wantB.String()+`<`) {
		t.Fatalf("B's centre does not show pending %s", wantB)
	}
	_, body = pa.get(t, "/distributor")
	if !strings.Contains(body, `data-testid="dist-pending">`+wantA.String()+`<`) {
		t.Fatalf("A's centre does not show pending %s", wantA)
	}
	_, body = pb.get(t, "/distributor/commissions")
	if strings.Count(body, `data-testid="commission"`) != 1 {
		t.Fatal("B's commission list")
	}
	_, body = pa.get(t, "/distributor/team?level=2")
	if strings.Count(body, `data-testid="team-member"`) != 1 {
		t.Fatal("A's second level should list C")
	}
	_, body = pb.get(t, "/distributor/orders")
	if !strings.Contains(body, o.No) {
		t.Fatal("B's promoted orders lack the order")
	}

	// Completed, settled after 7 days: B withdraws to the wallet.
	if err := a.DB.ShipOrder(ctx, o.ID, store.StaffActor("boss"), store.ShipInput{Carrier: "顺丰", TrackingNo: "SF1"}); err != nil {
		t.Fatal(err)
	}
	if err := a.DB.ConfirmReceipt(ctx, idC, o.ID); err != nil {
		t.Fatal(err)
	}
	a.DB.SetClock(func() time.Time { return time.Now().Add(8 * 24 * time.Hour) })
	if err := a.Handler.settleCommissionsJob(ctx); err != nil {
		t.Fatal(err)
	}
	a.DB.SetClock(time.Now) // the sessions keep to the real clock
	resp, body = pb.postForm(t, "/distributor/withdraw", url.Values{"amount": {"0.01"}, "method": {"wallet"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "最低提现") {
		t.Fatalf("withdraw below the minimum: %d", resp.StatusCode)
	}
	if wantB < 10_00 {
		if err := a.DB.SaveDistSettings(ctx, func() store.DistSettings { s := store.DefaultDistSettings(); s.WithdrawMin = 1; return s }()); err != nil {
			t.Fatal(err)
		}
	}
	resp, _ = pb.postForm(t, "/distributor/withdraw", url.Values{"amount": {wantB.String()}, "method": {"wallet"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("withdraw to wallet: %d", resp.StatusCode)
	}
	if b, _ := a.DB.Wallet(ctx, idB); b != wantB {
		t.Fatalf("B's wallet = %d, want %d", b, wantB)
	}
	resp, body = pb.postForm(t, "/distributor/withdraw", url.Values{"amount": {"10"}, "method": {"wallet"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "可提现佣金不足") {
		t.Fatalf("withdraw of an empty balance: %d", resp.StatusCode)
	}
}

// TestDistributorOnlyPages: in the apply mode a customer who has not been
// approved has no shop page, sees the application form in the centre,
// and can apply once.
func TestDistributorOnlyPages(t *testing.T) {
	a := newTestApp(t)
	ctx := t.Context()
	set := store.DefaultDistSettings()
	set.Mode = store.DistApply
	if err := a.DB.SaveDistSettings(ctx, set); err != nil {
		t.Fatal(err)
	}
	p := a.secondClient(t)
	p.register(t, "13700000009")
	id := a.customerID(t, "13700000009")
	code, _ := a.DB.RefCode(ctx, id)
	if resp, _ := p.get(t, "/s/"+code); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("shop page of a customer who is not a distributor: %d", resp.StatusCode)
	}
	_, body := p.get(t, "/distributor/team")
	if !strings.Contains(body, `data-testid="dist-apply-form"`) {
		t.Fatal("the team page of a non-distributor should offer the application")
	}
	resp, body := p.postForm(t, "/distributor/apply", url.Values{"real_name": {"张"}, "phone": {"13700000009"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "真实姓名") {
		t.Fatalf("a one-character name: %d", resp.StatusCode)
	}
	if resp, _ := p.postForm(t, "/distributor/apply", url.Values{"real_name": {"张三"}, "phone": {"13700000009"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("apply: %d", resp.StatusCode)
	}
	_, body = p.get(t, "/distributor")
	if !strings.Contains(body, `data-testid="dist-join-pending"`) {
		t.Fatal("the centre should say the application is pending")
	}
	if resp, _ := p.postForm(t, "/distributor/apply", url.Values{"real_name": {"张三"}, "phone": {"13700000009"}}); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("a second application: %d", resp.StatusCode)
	}
	if err := a.DB.ApproveApplication(ctx, id, store.StaffActor("boss")); err != nil {
		t.Fatal(err)
	}
	if resp, _ := p.get(t, "/s/"+code); resp.StatusCode != http.StatusOK {
		t.Fatalf("shop page of an approved distributor: %d", resp.StatusCode)
	}
}
