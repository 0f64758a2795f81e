package handlers

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/xiaodian/xiaodian/store"
)

// register signs a new customer up through the form, from the page the
// browser is on (a shared link leaves its code behind).
func (s *e2eSession) register(phone string) {
	s.t.Helper()
	s.do("register "+phone, chromedp.Navigate(s.base+"/register"), chromedp.WaitVisible(css(`[data-testid="register-form"]`)),
		chromedp.SendKeys(css("#f-phone"), phone), chromedp.SendKeys(css("#f-password"), custPassword),
		chromedp.SendKeys(css("#f-confirm"), custPassword))
	s.click("register "+phone, `[data-testid="register-form"] button[type="submit"]`)
	s.do("member page", chromedp.WaitVisible(css(`[data-testid="member-head"]`)))
}

// signIn signs a customer in through the form.
func (s *e2eSession) signIn(phone string) {
	s.t.Helper()
	s.do("login "+phone, chromedp.Navigate(s.base+"/login"), chromedp.WaitVisible(css(`[data-testid="login-form"]`)),
		chromedp.SendKeys(css("#f-phone"), phone), chromedp.SendKeys(css("#f-password"), custPassword))
	s.click("login "+phone, `[data-testid="login-form"] button[type="submit"]`)
	s.do("member page", chromedp.WaitVisible(css(`[data-testid="member-head"]`)))
}

// signOut signs the customer out from the member page.
func (s *e2eSession) signOut() {
	s.t.Helper()
	s.do("member page", chromedp.Navigate(s.base+"/me"), chromedp.WaitVisible(css(`[data-testid="logout"]`)))
	// The button sits under the fixed tab bar: submit its form.
	s.do("logout", chromedp.Submit(css(`.member-logout`)), chromedp.WaitVisible(css(`.tabbar, [data-testid="login-form"], body`)))
	s.poll("signed out", `location.pathname === "/"`)
}

// text returns the text of the first element matching sel.
func (s *e2eSession) text(sel string) string {
	s.t.Helper()
	v, err := chromedp.Run(s.ctx, chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector(%q)?.textContent.trim() ?? ""`, sel)))
	if err != nil {
		s.fail("read "+sel, err)
	}
	return v
}

// refCode reads the signed-in distributor's code from the promotion page.
func (s *e2eSession) refCode() string {
	s.t.Helper()
	s.do("promote", chromedp.Navigate(s.base+"/distributor/promote"), chromedp.WaitVisible(css(`[data-testid="promote-code"]`)))
	v, err := chromedp.Run(s.ctx, chromedp.Evaluate[string](`document.querySelector('[data-testid="promote-code"]').value`))
	if err != nil || !store.ValidRefCode(v) {
		s.fail("referral code", fmt.Errorf("%q %v", v, err))
	}
	return v
}

// TestEndToEndDistribution is issue 5's path in headless Chromium on a
// phone: A becomes a distributor and shares a product link; B opens it,
// registers (bound to A), and shares in turn; C buys through B's link and
// pays; the distributor centres of B (level 1) and A (level 2) show the
// pending commission; the order completes, the settlement job runs; B
// withdraws to the wallet and A asks for a bank withdrawal, which the
// shop approves and marks paid.
func TestEndToEndDistribution(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	a := newTestApp(t)
	fx := seedShop(t, a)
	a.setupOwner(t)
	ctx := t.Context()
	set := store.DefaultDistSettings()
	set.WithdrawVia = []string{store.WithdrawWallet, store.WithdrawBank}
	set.WithdrawMin = 1_00
	if err := a.DB.SaveDistSettings(ctx, set); err != nil {
		t.Fatal(err)
	}
	s := &e2eSession{t: t, ctx: browser(t, 375, 812), base: a.srv.URL, name: "distribution"}
	s.phone()
	const phoneA, phoneB, phoneC = "13700000001", "13700000002", "13700000003"

	// A becomes a distributor (everyone is one) and shares a product.
	s.register(phoneA)
	s.do("centre", chromedp.Navigate(s.base+"/distributor"), chromedp.WaitVisible(css(`[data-testid="dist-head"]`)))
	codeA := s.refCode()
	screenshot(t, s.ctx, "distribution-promote")
	s.signOut()

	// B opens A's link and registers: bound to A.
	s.do("A's link", chromedp.Navigate(fmt.Sprintf("%s/p/%d?ref=%s", s.base, fx.milk, codeA)),
		chromedp.WaitVisible(css(`[data-testid="product-title"]`)))
	s.register(phoneB)
	s.do("B's centre", chromedp.Navigate(s.base+"/distributor"), chromedp.WaitVisible(css(`[data-testid="dist-head"]`)))
	if ref := s.text(`.dc-ref`); !strings.Contains(ref, "****") {
		t.Fatalf("B's centre shows no referrer: %q", ref)
	}
	codeB := s.refCode()
	s.signOut()

	// C buys through B's link and pays with the sandbox.
	s.do("B's link", chromedp.Navigate(fmt.Sprintf("%s/p/%d?ref=%s", s.base, fx.milk, codeB)),
		chromedp.WaitVisible(css(`[data-testid="product-title"]`)))
	s.register(phoneC)
	idC := a.customerID(t, phoneC)
	if _, err := a.DB.CreateAddress(ctx, idC, store.AddressInput{Name: "王五", Phone: phoneC, ProvinceCode: "44", CityCode: "4403",
		DistrictCode: "440305", Detail: "科技园南区 2 栋 202"}); err != nil {
		t.Fatal(err)
	}
	s.do("product", chromedp.Navigate(fmt.Sprintf("%s/p/%d?s0=1罐", s.base, fx.milk)), chromedp.WaitVisible(css(`[data-testid="buy-now"]`)))
	s.htmxClick("buy now", `[data-testid="buy-now"]`)
	s.do("checkout", chromedp.WaitVisible(css(`[data-testid="checkout-address"]`)))
	s.click("submit order", `[data-testid="submit-order"]`)
	s.do("pay page", chromedp.WaitVisible(css(`[data-testid="pay-form"]`)))
	s.poll("sandbox chosen", `document.querySelector('#m-sandbox').checked`)
	s.click("pay", `[data-testid="pay-submit"]`)
	s.do("gateway", chromedp.WaitVisible(css(`[data-testid="sandbox-gateway"]`)))
	s.click("confirm", `[data-testid="sandbox-confirm"]`)
	s.poll("paid", `document.querySelector('[data-testid="pay-result"]')?.dataset.status === "success"`)
	orders, _, err := a.DB.CustomerOrders(ctx, idC, store.TabAll, 0, 10)
	if err != nil || len(orders) != 1 {
		t.Fatalf("C's orders: %d %v", len(orders), err)
	}
	o := orders[0]
	wantB, wantA := o.Lines[0].Paid*1000/10000, o.Lines[0].Paid*500/10000
	s.signOut()

	// B's centre (level 1) and A's (level 2) show the pending commission.
	s.signIn(phoneB)
	s.do("B's centre", chromedp.Navigate(s.base+"/distributor"), chromedp.WaitVisible(css(`[data-testid="dist-pending"]`)))
	if got := s.text(`[data-testid="dist-pending"]`); got != wantB.String() {
		t.Fatalf("B's pending = %s, want %s", got, wantB)
	}
	screenshot(t, s.ctx, "distribution-centre-b")
	// B's poster of the product, drawn on the server with B's QR code.
	poster, err := chromedp.Run(s.ctx, chromedp.Evaluate[string](fmt.Sprintf(`fetch("/p/%d/poster.png").then(async r =>
		r.status + " " + r.headers.get("Content-Type") + " " + (await r.arrayBuffer()).byteLength)`, fx.milk), chromedp.EvalAwaitPromise))
	if err != nil || !strings.HasPrefix(poster, "200 image/png ") {
		t.Fatalf("B's poster: %q %v", poster, err)
	}
	s.do("poster", chromedp.EmulateViewport(750, 1334), chromedp.Navigate(fmt.Sprintf("%s/p/%d/poster.png", s.base, fx.milk)))
	screenshot(t, s.ctx, "distribution-poster")
	s.phone()
	s.do("B's commissions", chromedp.Navigate(s.base+"/distributor/commissions"), chromedp.WaitVisible(css(`[data-testid="commission"]`)))
	screenshot(t, s.ctx, "distribution-commissions")
	s.signOut()
	s.signIn(phoneA)
	s.do("A's centre", chromedp.Navigate(s.base+"/distributor"), chromedp.WaitVisible(css(`[data-testid="dist-pending"]`)))
	if got := s.text(`[data-testid="dist-pending"]`); got != wantA.String() {
		t.Fatalf("A's pending = %s, want %s", got, wantA)
	}
	screenshot(t, s.ctx, "distribution-centre-a")
	s.do("A's team", chromedp.Navigate(s.base+"/distributor/team?level=2"), chromedp.WaitVisible(css(`[data-testid="team-member"]`)))
	screenshot(t, s.ctx, "distribution-team")

	// The order completes; the settlement job runs after the settlement days.
	if err := a.DB.ShipOrder(ctx, o.ID, store.StaffActor(testOwner), store.ShipInput{Carrier: "顺丰速运", TrackingNo: "SF100"}); err != nil {
		t.Fatal(err)
	}
	if err := a.DB.ConfirmReceipt(ctx, idC, o.ID); err != nil {
		t.Fatal(err)
	}
	a.DB.SetClock(func() time.Time { return time.Now().Add(8 * 24 * time.Hour) })
	if err := a.Handler.settleCommissionsJob(ctx); err != nil {
		t.Fatal(err)
	}
	a.DB.SetClock(time.Now)

	// A asks for a bank withdrawal of everything.
	s.do("A withdraws", chromedp.Navigate(s.base+"/distributor/withdraw"), chromedp.WaitVisible(css(`[data-testid="withdraw-form"]`)),
		chromedp.Click(css(`[data-testid="withdraw-method-bank"] input`)),
		chromedp.SendKeys(css("#f-amount"), wantA.String()), chromedp.SendKeys(css("#f-account_name"), "张三"),
		chromedp.SendKeys(css("#f-account_no"), "6222020200112233445"), chromedp.SendKeys(css("#f-bank_name"), "工商银行深圳分行"))
	screenshot(t, s.ctx, "distribution-withdraw")
	s.do("submit", chromedp.Submit(css(`[data-testid="withdraw-form"]`)), chromedp.WaitVisible(css(`[data-testid="withdrawal"]`)))
	if st := s.text(`[data-testid="withdrawal-status"]`); st != "待审核" {
		t.Fatalf("A's withdrawal shows %q", st)
	}
	s.signOut()

	// B withdraws everything to the wallet: instant.
	s.signIn(phoneB)
	s.do("B withdraws", chromedp.Navigate(s.base+"/distributor/withdraw"), chromedp.WaitVisible(css(`[data-testid="withdraw-form"]`)),
		chromedp.Click(css(`[data-testid="withdraw-method-wallet"] input`)), chromedp.SendKeys(css("#f-amount"), wantB.String()))
	s.do("submit", chromedp.Submit(css(`[data-testid="withdraw-form"]`)), chromedp.WaitVisible(css(`[data-testid="withdrawal"]`)))
	screenshot(t, s.ctx, "distribution-withdrawals")
	if b := balance(t, a, a.customerID(t, phoneB)); b != wantB {
		t.Fatalf("B's wallet = %d, want %d", b, wantB)
	}

	// The shop approves A's withdrawal and marks it paid.
	idA := a.customerID(t, phoneA)
	ws, _, err := a.DB.Withdrawals(ctx, store.WithdrawalFilter{CustomerID: idA})
	if err != nil || len(ws) != 1 {
		t.Fatalf("A's withdrawals: %d %v", len(ws), err)
	}
	s.staffApprovesAndPays(a, ws[0])
	w, _ := a.DB.WithdrawalByID(ctx, ws[0].ID)
	if w.Status != store.WithdrawalPaid || w.Net != wantA {
		t.Fatalf("A's withdrawal: %s net %d", w.Status, w.Net)
	}
	d, _ := a.DB.DistributorOf(ctx, idA)
	if d.Balance != 0 || d.Withdrawn != wantA {
		t.Fatalf("A: balance %d withdrawn %d", d.Balance, d.Withdrawn)
	}
}

// staffApprovesAndPays approves a withdrawal in the back office's queue
// (batch approval) and marks it paid with the bank's transfer reference.
func (s *e2eSession) staffApprovesAndPays(a *testApp, w store.Withdrawal) {
	s.t.Helper()
	s.staffSignIn()
	s.do("withdrawals queue", chromedp.Navigate(s.base+"/admin/distribution/withdrawals?status=pending"),
		chromedp.WaitVisible(css(`[data-testid="withdrawal-row"]`)),
		chromedp.Click(css(`[data-testid="withdrawal-row"] [data-testid="select"]`)))
	screenshot(s.t, s.ctx, "distribution-admin-withdrawals")
	s.click("approve", `[data-testid="approve-selected"]`)
	s.do("approved tab", chromedp.Navigate(s.base+"/admin/distribution/withdrawals?status=approved"),
		chromedp.WaitVisible(css(`[data-testid="mark-paid"]`)),
		chromedp.SendKeys(css(`form:has([data-testid="mark-paid"]) input[name="ref"]`), "ICBC20261202001"))
	s.click("mark paid", `[data-testid="mark-paid"]`)
	s.do("paid tab", chromedp.Navigate(s.base+"/admin/distribution/withdrawals?status=paid"),
		chromedp.WaitVisible(css(`[data-testid="withdrawal-row"]`)))
	screenshot(s.t, s.ctx, "distribution-admin-paid")
	if got, _ := a.DB.WithdrawalByID(s.t.Context(), w.ID); got.PayoutRef != "ICBC20261202001" {
		s.t.Fatalf("transfer reference %q", got.PayoutRef)
	}
	s.phone()
}
