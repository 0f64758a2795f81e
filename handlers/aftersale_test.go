package handlers

import (
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/xiaodian/xiaodian/store"
)

// aftersaleFixture is a shop with a catalogue, a signed-in buyer with an
// address, a second buyer and staff signed in on the main client.
type aftersaleFixture struct {
	a          *testApp // staff
	buyer, bo  *testApp
	buyerID    int64
	address    int64
	shop       shopFixture
	dressRedS  int64 // SKU ¥100.00, stock 5
	dressBlueM int64 // SKU ¥130.00, stock 7
}

func newAftersaleFixture(t *testing.T) aftersaleFixture {
	t.Helper()
	a := newTestApp(t)
	a.setupOwner(t)
	f := aftersaleFixture{a: a, shop: seedShop(t, a)}
	f.buyer = newClientFor(a)
	f.buyer.register(t, custPhone)
	f.bo = newClientFor(a)
	f.bo.register(t, "13900139000")
	ctx := t.Context()
	cu, err := a.DB.AuthenticateCustomer(ctx, custPhone, custPassword)
	if err != nil {
		t.Fatal(err)
	}
	f.buyerID = cu.ID
	f.address, err = a.DB.CreateAddress(ctx, cu.ID, store.AddressInput{Name: "张三", Phone: custPhone,
		ProvinceCode: "44", CityCode: "4403", DistrictCode: "440305", Detail: "科技园南区 1 栋 101"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.DB.ProductByID(ctx, f.shop.dress)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range p.SKUs {
		switch s.Label() {
		case "红 / S":
			f.dressRedS = s.ID
		case "蓝 / M":
			f.dressBlueM = s.ID
		}
	}
	return f
}

// order places and pays an order for the buyer (sandbox) and returns it.
func (f aftersaleFixture) order(t *testing.T, token string, items ...store.CheckoutItem) *store.Order {
	t.Helper()
	ctx := t.Context()
	o, err := f.a.DB.PlaceOrder(ctx, store.CheckoutInput{CustomerID: f.buyerID, Items: items,
		Delivery: store.DeliveryExpress, AddressID: f.address, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.a.DB.StartPayment(ctx, f.buyerID, o.ID, "sandbox", "")
	if err != nil {
		t.Fatal(err)
	}
	if r, _, err := f.a.DB.ApplyPayment(ctx, store.PaymentNotice{Provider: "sandbox", OutTradeNo: p.OutTradeNo,
		ProviderTxnID: "T" + p.OutTradeNo, Amount: p.Amount}); err != nil || r != store.ApplyPaid {
		t.Fatalf("pay: %v %v", r, err)
	}
	o, err = f.a.DB.OrderByID(ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func (f aftersaleFixture) balance(t *testing.T) store.Fen {
	t.Helper()
	var b store.Fen
	if err := f.a.DB.Write(t.Context(), func(tx *sql.Tx) error {
		return tx.QueryRow(`SELECT balance_fen FROM customers WHERE id = ?`, f.buyerID).Scan(&b)
	}); err != nil {
		t.Fatal(err)
	}
	return b
}

var aftersaleLocation = regexp.MustCompile(`^/aftersales/(\d+)$`)

// request posts the request form and returns the new after-sale's id.
func (f aftersaleFixture) request(t *testing.T, o *store.Order, line int64, form url.Values) int64 {
	t.Helper()
	form.Set("line", fmt.Sprint(line))
	resp, body := f.buyer.admMultipart(t, fmt.Sprintf("/orders/%d/aftersale", o.ID), form, nil, nil)
	m := aftersaleLocation.FindStringSubmatch(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || m == nil {
		t.Fatalf("request: %d %s", resp.StatusCode, body)
	}
	var id int64
	fmt.Sscan(m[1], &id)
	return id
}

func TestAftersaleRequestForm(t *testing.T) {
	f := newAftersaleFixture(t)
	o := f.order(t, "t1", store.CheckoutItem{SKUID: f.dressRedS, Qty: 2})
	line := o.Lines[0].ID
	path := fmt.Sprintf("/orders/%d/aftersale", o.ID)

	resp, body := f.buyer.get(t, fmt.Sprintf("%s?line=%d", path, line))
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="aftersale-form"`) {
		t.Fatalf("form: %d %s", resp.StatusCode, body)
	}
	// Prefilled with both pieces and their whole price; nothing shipped yet,
	// so a return is not offered.
	for _, want := range []string{`name="qty" type="number" inputmode="numeric" min="1" max="2" value="2"`, `value="200.00" data-testid="amount"`,
		`data-max-amounts="10000,20000"`, `data-testid="kind-refund_only"`} {
		if !strings.Contains(body, want) {
			t.Errorf("form lacks %s", want)
		}
	}
	if strings.Contains(body, "kind-return_refund") {
		t.Error("return offered before shipping")
	}
	// The stepper without JavaScript: the form comes back with one piece.
	resp, body = f.buyer.admMultipart(t, path, url.Values{"line": {fmt.Sprint(line)}, "kind": {"refund_only"}, "qty": {"2"},
		"amount": {"200.00"}, "step": {"1"}}, nil, nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `value="100.00" data-testid="amount"`) {
		t.Fatalf("step: %d", resp.StatusCode)
	}

	tests := []struct {
		name  string
		form  url.Values
		field string
		msg   string
	}{
		{"no reason", url.Values{"kind": {"refund_only"}, "qty": {"1"}}, "reason", "请选择退款原因"},
		{"too much", url.Values{"kind": {"refund_only"}, "qty": {"1"}, "amount": {"100.01"}, "reason": {"quality"}}, "amount", "退款金额不能超过 ¥100.00"},
		{"bad amount", url.Values{"kind": {"refund_only"}, "qty": {"1"}, "amount": {"1.234"}, "reason": {"quality"}}, "amount", "请输入正确的金额"},
		{"too many", url.Values{"kind": {"refund_only"}, "qty": {"3"}, "reason": {"quality"}}, "qty", "最多可退 2 件"},
		{"return before shipping", url.Values{"kind": {"return_refund"}, "qty": {"1"}, "reason": {"quality"}}, "kind", "商品尚未发货"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.form.Set("line", fmt.Sprint(line))
			resp, body := f.buyer.admMultipart(t, path, tt.form, nil, nil)
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="error-`+tt.field+`"`) ||
				!strings.Contains(body, tt.msg) {
				t.Fatalf("%d, want 422 with %q on %s", resp.StatusCode, tt.msg, tt.field)
			}
		})
	}

	// Photos: a real picture is kept across a refused post; a file that is
	// no picture is refused by name.
	resp, body = f.buyer.admMultipart(t, path, url.Values{"line": {fmt.Sprint(line)}, "kind": {"refund_only"}, "qty": {"1"}},
		[]admFile{{"broken.png", admPNG(t, 30, 30)}}, nil)
	keys := regexp.MustCompile(`name="photos" value="([0-9a-f]{32}\.(?:jpg|png))"`).FindStringSubmatch(body)
	if resp.StatusCode != http.StatusUnprocessableEntity || keys == nil {
		t.Fatalf("photo kept: %d", resp.StatusCode)
	}
	resp, body = f.buyer.admMultipart(t, path, url.Values{"line": {fmt.Sprint(line)}}, []admFile{{"notes.png", []byte("not a picture")}}, nil)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "notes.png") {
		t.Fatalf("bad photo: %d", resp.StatusCode)
	}

	id := f.request(t, o, line, url.Values{"kind": {"refund_only"}, "qty": {"1"}, "amount": {"80"}, "reason": {"not_wanted"},
		"description": {"买重了"}, "photos": {keys[1]}})
	a, err := f.a.DB.AftersaleByID(t.Context(), id)
	if err != nil || a.Amount != 8000 || a.Qty != 1 || len(a.Photos) != 1 || a.Description != "买重了" {
		t.Fatalf("after-sale = %+v %v", a, err)
	}
	resp, body = f.buyer.get(t, aftersaleURL(id))
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-status="requested"`) || !strings.Contains(body, "¥80.00") ||
		!strings.Contains(body, `data-testid="withdraw"`) {
		t.Fatalf("detail: %d", resp.StatusCode)
	}
	// A second request on the same line is refused while this one is open.
	resp, body = f.buyer.admMultipart(t, path, url.Values{"line": {fmt.Sprint(line)}, "kind": {"refund_only"}, "qty": {"1"}, "reason": {"other"}}, nil, nil)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "这件商品已有进行中的售后") {
		t.Fatalf("second request: %d", resp.StatusCode)
	}
	resp, body = f.buyer.get(t, aftersalesPath)
	if resp.StatusCode != http.StatusOK || strings.Count(body, `data-testid="aftersale"`) != 1 {
		t.Fatalf("list: %d", resp.StatusCode)
	}
	// Withdraw.
	resp, _ = f.buyer.postForm(t, aftersaleURL(id)+"/withdraw", nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("withdraw: %d", resp.StatusCode)
	}
	if _, body = f.buyer.get(t, aftersaleURL(id)); !strings.Contains(body, `data-status="withdrawn"`) || strings.Contains(body, `data-testid="withdraw"`) {
		t.Fatal("withdrawn after-sale still offers withdrawing")
	}
}

func TestAftersaleOfAnotherCustomer(t *testing.T) {
	f := newAftersaleFixture(t)
	o := f.order(t, "t1", store.CheckoutItem{SKUID: f.dressRedS, Qty: 1})
	line := o.Lines[0].ID
	id := f.request(t, o, line, url.Values{"kind": {"refund_only"}, "qty": {"1"}, "reason": {"other"}})
	for _, p := range []string{fmt.Sprintf("/orders/%d/aftersale?line=%d", o.ID, line), aftersaleURL(id), "/aftersales/x",
		fmt.Sprintf("/orders/%d/aftersale?line=999", o.ID)} {
		if resp, _ := f.bo.get(t, p); resp.StatusCode != http.StatusNotFound {
			t.Errorf("bo GET %s: %d, want 404", p, resp.StatusCode)
		}
	}
	if resp, _ := f.bo.admMultipart(t, fmt.Sprintf("/orders/%d/aftersale", o.ID), url.Values{"line": {fmt.Sprint(line)},
		"kind": {"refund_only"}, "qty": {"1"}, "reason": {"other"}}, nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("bo requests on alice's order: %d", resp.StatusCode)
	}
	for _, p := range []string{aftersaleURL(id) + "/withdraw", aftersaleURL(id) + "/return"} {
		if resp, _ := f.bo.postForm(t, p, url.Values{"carrier": {"顺丰"}, "tracking_no": {"SF1"}}); resp.StatusCode != http.StatusNotFound {
			t.Errorf("bo POST %s: %d, want 404", p, resp.StatusCode)
		}
	}
	if _, body := f.bo.get(t, aftersalesPath); strings.Contains(body, `data-testid="aftersale"`) {
		t.Error("bo's list shows alice's after-sale")
	}
	if a, _ := f.a.DB.AftersaleByID(t.Context(), id); a.Status != store.AftersaleRequested {
		t.Fatalf("status after bo's attempts = %s", a.Status)
	}
	// Signed out: sent to sign in.
	anon := newClientFor(f.a)
	if resp, _ := anon.get(t, aftersaleURL(id)); resp.StatusCode != http.StatusSeeOther ||
		!strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Errorf("anonymous: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	// Staff pages need staff.
	if resp, _ := f.buyer.get(t, adminAftersaleURL(id)); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("buyer opens the back office: %d", resp.StatusCode)
	}
}

func TestAdminAftersaleReturnFlow(t *testing.T) {
	f := newAftersaleFixture(t)
	ctx := t.Context()
	o := f.order(t, "t1", store.CheckoutItem{SKUID: f.dressBlueM, Qty: 2})
	if err := f.a.DB.ShipOrder(ctx, o.ID, store.StaffActor("boss"), store.ShipInput{Carrier: "顺丰", TrackingNo: "SF1"}); err != nil {
		t.Fatal(err)
	}
	id := f.request(t, o, o.Lines[0].ID, url.Values{"kind": {"return_refund"}, "qty": {"2"}, "reason": {"quality"}})

	resp, body := f.a.get(t, "/admin/aftersales")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="aftersale-row"`) ||
		!regexp.MustCompile(`data-testid="tab-requested">[^<]*<span class="count">1<`).MatchString(body) {
		t.Fatalf("queue: %d", resp.StatusCode)
	}
	if _, body = f.a.get(t, "/admin/aftersales?status=refunded"); strings.Contains(body, `data-testid="aftersale-row"`) {
		t.Error("refunded tab shows a requested after-sale")
	}
	// No return address yet: approval is refused with a message.
	resp, _ = f.a.postForm(t, adminAftersaleURL(id)+"/approve", nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("approve: %d", resp.StatusCode)
	}
	if _, body = f.a.get(t, adminAftersaleURL(id)); !strings.Contains(body, "请先设置退货地址") || !strings.Contains(body, `data-status="requested"`) {
		t.Fatal("approval without return address")
	}
	resp, body = f.a.postForm(t, "/admin/aftersales/return-address", url.Values{"return_name": {""}, "return_phone": {"abc"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "请输入正确的电话") {
		t.Fatalf("bad return address: %d", resp.StatusCode)
	}
	resp, _ = f.a.postForm(t, "/admin/aftersales/return-address", url.Values{"return_name": {"售后部"}, "return_phone": {"0755-1234567"},
		"return_address": {"深圳市南山区科技园 1 号"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save return address: %d", resp.StatusCode)
	}
	if st, _ := f.a.DB.ReturnAddress(ctx); st.Name != "售后部" {
		t.Fatalf("return address = %+v", st)
	}
	f.a.postForm(t, adminAftersaleURL(id)+"/approve", nil)

	// The buyer sees the address and sends the parcel's number.
	resp, body = f.buyer.get(t, aftersaleURL(id))
	if !strings.Contains(body, `data-testid="return-address"`) || !strings.Contains(body, "深圳市南山区科技园 1 号") ||
		!strings.Contains(body, `data-testid="ship-back-form"`) {
		t.Fatalf("awaiting return page: %d", resp.StatusCode)
	}
	resp, body = f.buyer.postForm(t, aftersaleURL(id)+"/return", url.Values{"carrier": {"顺丰"}, "tracking_no": {"SF 1"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="error-tracking_no"`) {
		t.Fatalf("bad tracking: %d", resp.StatusCode)
	}
	resp, _ = f.buyer.postForm(t, aftersaleURL(id)+"/return", url.Values{"carrier": {"顺丰"}, "tracking_no": {"SF123"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("ship back: %d", resp.StatusCode)
	}
	// Reject needs a reason.
	resp, body = f.a.postForm(t, adminAftersaleURL(id)+"/reject", url.Values{"reason": {" "}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "请填写拒绝原因") {
		t.Fatalf("reject without reason: %d", resp.StatusCode)
	}
	f.a.postForm(t, adminAftersaleURL(id)+"/confirm-return", nil)
	_, body = f.a.get(t, adminAftersaleURL(id))
	if !strings.Contains(body, `data-status="approved"`) || !strings.Contains(body, `data-testid="refund"`) ||
		!strings.Contains(body, `name="restock" value="1" checked`) || !strings.Contains(body, "SF123") {
		t.Fatal("confirmed return page")
	}
	stockBefore := skuStock(t, f.a, f.dressBlueM)
	resp, _ = f.a.postForm(t, adminAftersaleURL(id)+"/refund", url.Values{"restock": {"1"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("refund: %d", resp.StatusCode)
	}
	a, _ := f.a.DB.AftersaleByID(ctx, id)
	got, _ := f.a.DB.OrderByID(ctx, o.ID)
	if a.Status != store.AftersaleRefunded || a.Refunds[0].ProviderRefundID != "SBR"+a.Refunds[0].OutRefundNo ||
		got.Status != store.StatusClosed || got.Refunded != 26000 || skuStock(t, f.a, f.dressBlueM) != stockBefore+2 {
		t.Fatalf("after refund: %s %+v, order %s %d", a.Status, a.Refunds, got.Status, got.Refunded)
	}
	if _, body = f.buyer.get(t, aftersaleURL(id)); !strings.Contains(body, `data-status="refunded"`) || !strings.Contains(body, "¥260.00") {
		t.Fatal("buyer's refunded page")
	}
	// Refunding twice is refused with a warning and changes nothing.
	f.a.postForm(t, adminAftersaleURL(id)+"/refund", nil)
	if got2, _ := f.a.DB.OrderByID(ctx, o.ID); got2.Refunded != 26000 {
		t.Fatalf("refunded twice: %d", got2.Refunded)
	}
}

func TestAdminRefundToBalance(t *testing.T) {
	f := newAftersaleFixture(t)
	ctx := t.Context()
	// Recharge ¥500 and pay a ¥100 order with the balance.
	var rid int64
	if err := f.a.DB.Write(ctx, func(tx *sql.Tx) error {
		return tx.QueryRow(`INSERT INTO recharges (no, customer_id, pay_fen, status, created_at)
			VALUES ('R1', ?, 50000, 'pending_payment', 0) RETURNING id`, f.buyerID).Scan(&rid)
	}); err != nil {
		t.Fatal(err)
	}
	p, err := f.a.DB.StartRechargePayment(ctx, f.buyerID, rid, "sandbox", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.a.DB.ApplyPayment(ctx, store.PaymentNotice{Provider: "sandbox", OutTradeNo: p.OutTradeNo,
		ProviderTxnID: "R" + p.OutTradeNo, Amount: 50000}); err != nil {
		t.Fatal(err)
	}
	o, err := f.a.DB.PlaceOrder(ctx, store.CheckoutInput{CustomerID: f.buyerID, Items: []store.CheckoutItem{{SKUID: f.dressRedS, Qty: 1}},
		Delivery: store.DeliveryExpress, AddressID: f.address, Token: "b"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.a.DB.PayWithBalance(ctx, f.buyerID, o.ID); err != nil {
		t.Fatal(err)
	}
	if b := f.balance(t); b != 40000 {
		t.Fatalf("balance after paying = %d", b)
	}
	id := f.request(t, o, o.Lines[0].ID, url.Values{"kind": {"refund_only"}, "qty": {"1"}, "reason": {"not_wanted"}})
	f.a.postForm(t, adminAftersaleURL(id)+"/approve", nil)
	resp, _ := f.a.postForm(t, adminAftersaleURL(id)+"/refund", url.Values{"restock": {"1"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("refund: %d", resp.StatusCode)
	}
	if b := f.balance(t); b != 50000 {
		t.Fatalf("balance after refund = %d, want 50000", b)
	}
	if a, _ := f.a.DB.AftersaleByID(ctx, id); a.Status != store.AftersaleRefunded {
		t.Fatalf("status = %s", a.Status)
	}
	var bad int
	f.a.DB.Write(ctx, func(tx *sql.Tx) error {
		return tx.QueryRow(`SELECT COUNT(*) FROM customers c WHERE balance_fen !=
			COALESCE((SELECT SUM(amount_fen) FROM wallet_ledger l WHERE l.customer_id = c.id), 0)`).Scan(&bad)
	})
	if bad != 0 {
		t.Fatal("ledger differs from balances")
	}
}

func skuStock(t *testing.T, a *testApp, sku int64) int {
	t.Helper()
	var n int
	if err := a.DB.Write(t.Context(), func(tx *sql.Tx) error {
		return tx.QueryRow(`SELECT stock FROM skus WHERE id = ?`, sku).Scan(&n)
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// FuzzParseAftersaleForm: whatever a browser posts, the parsed request
// has a non-negative amount and keeps at most the photos allowed.
func FuzzParseAftersaleForm(f *testing.F) {
	f.Add("refund_only", "1", "1.00", "quality", "x", "1")
	f.Add("return_refund", "-1", "¥1,000", "", "", "99")
	f.Add("", "abc", "1e9", "other", strings.Repeat("长", 600), "")
	f.Fuzz(func(t *testing.T, kind, qty, amount, reason, desc, step string) {
		form := url.Values{"kind": {kind}, "qty": {qty}, "amount": {amount}, "reason": {reason},
			"description": {desc}, "step": {step}}
		fm, amountErr := parseAftersaleForm(form)
		if fm.in.Amount < 0 || (amountErr && fm.in.Amount != 0) {
			t.Fatalf("amount %q parsed to %d (error %v)", amount, fm.in.Amount, amountErr)
		}
		if fm.in.Kind != store.AftersaleKind(kind) || fm.in.Reason != reason {
			t.Fatalf("fields changed: %+v", fm.in)
		}
	})
}

func TestAdminRefundWithoutProvider(t *testing.T) {
	f := newAftersaleFixture(t)
	ctx := t.Context()
	o, err := f.a.DB.PlaceOrder(ctx, store.CheckoutInput{CustomerID: f.buyerID, Items: []store.CheckoutItem{{SKUID: f.dressRedS, Qty: 1}},
		Delivery: store.DeliveryExpress, AddressID: f.address, Token: "n"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.a.DB.StartPayment(ctx, f.buyerID, o.ID, "gone", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.a.DB.ApplyPayment(ctx, store.PaymentNotice{Provider: "gone", OutTradeNo: p.OutTradeNo,
		ProviderTxnID: "G" + p.OutTradeNo, Amount: p.Amount}); err != nil {
		t.Fatal(err)
	}
	id := f.request(t, o, o.Lines[0].ID, url.Values{"kind": {"refund_only"}, "qty": {"1"}, "reason": {"other"}})
	f.a.postForm(t, adminAftersaleURL(id)+"/approve", nil)
	if _, body := f.a.get(t, adminAftersaleURL(id)); strings.Contains(body, `data-testid="refund"`) || !strings.Contains(body, "gone 暂不支持自动退款") {
		t.Fatal("refund offered for an unknown provider")
	}
	resp, _ := f.a.postForm(t, adminAftersaleURL(id)+"/refund", nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("refund: %d", resp.StatusCode)
	}
	a, _ := f.a.DB.AftersaleByID(ctx, id)
	if a.Status != store.AftersaleApproved || len(a.Refunds) != 0 {
		t.Fatalf("after refusing: %s %+v", a.Status, a.Refunds)
	}
}
