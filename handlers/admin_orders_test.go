package handlers

import (
	"bytes"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"image"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xiaodian/xiaodian/store"
)

// orderFx is a shop with one product (two SKUs), two buyers with an
// address each and a pickup store, the owner signed in; orders are made
// with the store API exactly as checkout and the payment notice do.
type orderFx struct {
	a               *testApp
	alice, bo       int64
	aliceAddr       int64
	boAddr          int64
	red, blue       int64 // SKUs of 纯棉T恤: 红 ¥59 (code TS-RED), 蓝 ¥69 (code TS-BLUE)
	pickupStore     int64
	nextToken       int
	aliceP, boPhone string
}

func newOrderFx(t *testing.T) *orderFx {
	t.Helper()
	a := newTestApp(t)
	a.setupOwner(t)
	ctx := t.Context()
	f := &orderFx{a: a, aliceP: "13800138000", boPhone: "13900139000"}
	cat, err := a.DB.CreateCategory(ctx, store.CategoryInput{Name: "服饰", Visible: true})
	if err != nil {
		t.Fatal(err)
	}
	img := image.NewRGBA(image.Rect(0, 0, 200, 200))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = 228, 57, 60, 255
	}
	photo, err := a.Media.SaveImage(img)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := a.DB.CreateProduct(ctx, store.ProductInput{
		CategoryID: cat, Title: "纯棉T恤", OnShelf: true, Images: []string{photo.Key},
		Specs: []store.SpecDef{{Name: "颜色", Values: []string{"红", "蓝"}}},
		SKUs: []store.SKUInput{
			{Values: []string{"红"}, Price: 5900, Stock: 100, Code: "TS-RED", WeightG: 200},
			{Values: []string{"蓝"}, Price: 6900, Stock: 100, Code: "TS-BLUE", WeightG: 200},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.DB.ProductByID(ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range p.SKUs {
		switch s.Label() {
		case "红":
			f.red = s.ID
		case "蓝":
			f.blue = s.ID
		}
	}
	for _, c := range []struct {
		phone, name string
		id, addr    *int64
	}{{f.aliceP, "张三", &f.alice, &f.aliceAddr}, {f.boPhone, "李四", &f.bo, &f.boAddr}} {
		cust, err := a.DB.RegisterCustomer(ctx, c.phone, custPassword)
		if err != nil {
			t.Fatal(err)
		}
		*c.id = cust.ID
		*c.addr, err = a.DB.CreateAddress(ctx, cust.ID, store.AddressInput{Name: c.name, Phone: c.phone,
			ProvinceCode: "44", CityCode: "4403", DistrictCode: "440305", Detail: "科技园南区 1 栋 101"})
		if err != nil {
			t.Fatal(err)
		}
	}
	f.pickupStore, err = a.DB.CreatePickupStore(ctx, store.PickupStoreInput{Name: "南山店", Phone: "0755-86000000",
		ProvinceCode: "44", CityCode: "4403", DistrictCode: "440305", Detail: "科技园 1 号", Hours: "09:00-21:00", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// place orders items for the customer by express delivery.
func (f *orderFx) place(t *testing.T, customer int64, items ...store.CheckoutItem) *store.Order {
	t.Helper()
	addr := f.aliceAddr
	if customer == f.bo {
		addr = f.boAddr
	}
	f.nextToken++
	o, err := f.a.DB.PlaceOrder(t.Context(), store.CheckoutInput{CustomerID: customer, Items: items,
		Delivery: store.DeliveryExpress, AddressID: addr, Note: "请用纸箱", Token: fmt.Sprint("tok-", f.nextToken)})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// placePickup orders items for alice for pickup at the store.
func (f *orderFx) placePickup(t *testing.T, items ...store.CheckoutItem) *store.Order {
	t.Helper()
	f.nextToken++
	o, err := f.a.DB.PlaceOrder(t.Context(), store.CheckoutInput{CustomerID: f.alice, Items: items,
		Delivery: store.DeliveryPickup, PickupStoreID: f.pickupStore, Token: fmt.Sprint("tok-", f.nextToken)})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// pay pays the order through the sandbox: an attempt and its notice.
func (f *orderFx) pay(t *testing.T, o *store.Order) *store.Order {
	t.Helper()
	ctx := t.Context()
	p, err := f.a.DB.StartPayment(ctx, o.CustomerID, o.ID, "sandbox", "")
	if err != nil {
		t.Fatal(err)
	}
	r, _, err := f.a.DB.ApplyPayment(ctx, store.PaymentNotice{Provider: "sandbox", OutTradeNo: p.OutTradeNo,
		ProviderTxnID: "TXN" + p.OutTradeNo, Amount: p.Amount})
	if err != nil || r != store.ApplyPaid {
		t.Fatalf("pay %s: %v %v", o.No, r, err)
	}
	return f.order(t, o.ID)
}

func (f *orderFx) order(t *testing.T, id int64) *store.Order {
	t.Helper()
	o, err := f.a.DB.OrderByID(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// setCreated moves an order's creation time (for the date filter).
func (f *orderFx) setCreated(t *testing.T, id int64, at time.Time) {
	t.Helper()
	err := f.a.DB.Write(t.Context(), func(tx *sql.Tx) error {
		_, err := tx.Exec(`UPDATE orders SET created_at = ? WHERE id = ?`, at.Unix(), id)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

var orderRowNo = regexp.MustCompile(`data-testid="order-row" data-no="([0-9A-Za-z]+)"`)

// listedOrders are the order numbers on a list page, in order.
func listedOrders(body string) []string {
	var out []string
	for _, m := range orderRowNo.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

func TestAdminOrderListTabsAndFilters(t *testing.T) {
	f := newOrderFx(t)
	a := f.a
	pending := f.place(t, f.alice, store.CheckoutItem{SKUID: f.red, Qty: 1})
	toShip := f.pay(t, f.place(t, f.alice, store.CheckoutItem{SKUID: f.blue, Qty: 2}))
	boOrder := f.pay(t, f.place(t, f.bo, store.CheckoutItem{SKUID: f.red, Qty: 1}, store.CheckoutItem{SKUID: f.blue, Qty: 1}))
	cancelled := f.place(t, f.bo, store.CheckoutItem{SKUID: f.red, Qty: 3})
	if err := a.DB.CancelOrder(t.Context(), f.bo, cancelled.ID, ""); err != nil {
		t.Fatal(err)
	}
	pickup := f.pay(t, f.placePickup(t, store.CheckoutItem{SKUID: f.red, Qty: 1}))
	day := func(s string) time.Time {
		d, _ := time.ParseInLocation("2006-01-02 15:04", s, time.Local)
		return d
	}
	f.setCreated(t, pending.ID, day("2026-03-01 09:00"))
	f.setCreated(t, toShip.ID, day("2026-03-02 23:59"))
	f.setCreated(t, boOrder.ID, day("2026-03-03 00:00"))

	tests := []struct {
		query string
		want  []string
	}{
		{"", []string{pickup.No, cancelled.No, boOrder.No, toShip.No, pending.No}},
		{"?status=pending_payment", []string{pending.No}},
		{"?status=to_ship", []string{boOrder.No, toShip.No}},
		{"?status=to_pickup", []string{pickup.No}},
		{"?status=cancelled", []string{cancelled.No}},
		{"?status=shipped", nil},
		{"?status=bogus", []string{pickup.No, cancelled.No, boOrder.No, toShip.No, pending.No}},
		{"?no=" + toShip.No, []string{toShip.No}},
		{"?phone=13900", []string{cancelled.No, boOrder.No}},
		{"?status=to_ship&phone=13900", []string{boOrder.No}},
		{"?product=T恤&status=pending_payment", []string{pending.No}},
		{"?product=没有这个", nil},
		{"?from=2026-03-02&to=2026-03-02", []string{toShip.No}},
		{"?from=2026-03-01&to=2026-03-03", []string{boOrder.No, toShip.No, pending.No}},
		{"?to=not-a-date&from=2026-03-03", []string{pickup.No, cancelled.No, boOrder.No}},
	}
	for _, tt := range tests {
		resp, body := a.get(t, "/admin/orders"+tt.query)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d", tt.query, resp.StatusCode)
		}
		if got := listedOrders(body); !slices.Equal(got, tt.want) {
			t.Errorf("%s: orders %v, want %v", tt.query, got, tt.want)
		}
	}

	// Tabs with counts; the filter is kept in the tab links.
	_, body := a.get(t, "/admin/orders?phone=13900")
	for _, want := range []string{
		`data-testid="tab-all">全部<span class="count">5</span>`,
		`data-testid="tab-pending_payment">待付款<span class="count">1</span>`,
		`data-testid="tab-to_ship">待发货<span class="count">2</span>`,
		`data-testid="tab-to_pickup">待自提<span class="count">1</span>`,
		`data-testid="tab-cancelled">已取消<span class="count">1</span>`,
		`href="/admin/orders?phone=13900&amp;status=to_ship"`,
		`value="13900"`,
		`href="/admin/orders.csv?phone=13900"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("list page lacks %s", want)
		}
	}
	// Rows show buyer, lines with thumbnails and amounts.
	_, body = a.get(t, "/admin/orders?status=to_ship&phone=13900")
	for _, want := range []string{f.boPhone, "纯棉T恤", "¥128.00", "待发货", "快递", `class="thumb"`} {
		if !strings.Contains(body, want) {
			t.Errorf("row lacks %q", want)
		}
	}
}

func TestAdminOrderListPagination(t *testing.T) {
	f := newOrderFx(t)
	var nos []string
	for range orderPageSize + 3 {
		nos = append(nos, f.place(t, f.alice, store.CheckoutItem{SKUID: f.red, Qty: 1}).No)
	}
	slices.Reverse(nos)
	_, body := f.a.get(t, "/admin/orders?status=pending_payment")
	if got := listedOrders(body); !slices.Equal(got, nos[:orderPageSize]) {
		t.Fatalf("page 1: %d orders", len(got))
	}
	if !strings.Contains(body, `href="/admin/orders?page=2&amp;status=pending_payment"`) {
		t.Error("page 1 has no link to page 2 keeping the tab")
	}
	_, body = f.a.get(t, "/admin/orders?status=pending_payment&page=2")
	if got := listedOrders(body); !slices.Equal(got, nos[orderPageSize:]) {
		t.Fatalf("page 2: %v", got)
	}
	if resp, _ := f.a.get(t, "/admin/orders?status=pending_payment&page=9"); resp.StatusCode != http.StatusSeeOther ||
		resp.Header.Get("Location") != "/admin/orders?page=2&status=pending_payment" {
		t.Errorf("page past the end: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestAdminOrdersCSV(t *testing.T) {
	f := newOrderFx(t)
	two := f.pay(t, f.place(t, f.bo, store.CheckoutItem{SKUID: f.red, Qty: 2}, store.CheckoutItem{SKUID: f.blue, Qty: 1}))
	f.place(t, f.alice, store.CheckoutItem{SKUID: f.red, Qty: 1})

	resp, body := f.a.get(t, "/admin/orders.csv?phone=13900")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("export: %d %s", resp.StatusCode, resp.Header)
	}
	if !strings.HasPrefix(body, "\uFEFF") {
		t.Fatal("no byte order mark")
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 {
		t.Fatalf("rows = %d, want header + 2 lines: %q", len(rows), rows)
	}
	head := rows[0]
	col := func(name string) int {
		i := slices.Index(head, name)
		if i < 0 {
			t.Fatalf("no column %q in %q", name, head)
		}
		return i
	}
	for i, want := range []struct{ spec, code, unit, qty, linePaid string }{
		{"红", "TS-RED", "59.00", "2", "118.00"},
		{"蓝", "TS-BLUE", "69.00", "1", "69.00"},
	} {
		r := rows[i+1]
		if r[col("订单号")] != "\t"+two.No || r[col("状态")] != "待发货" || r[col("收货人")] != "李四" ||
			r[col("规格")] != want.spec || r[col("SKU 编码")] != want.code || r[col("单价(元)")] != want.unit ||
			r[col("数量")] != want.qty || r[col("商品实付(元)")] != want.linePaid ||
			r[col("订单实付(元)")] != two.Paid.String() || r[col("买家留言")] != "请用纸箱" {
			t.Errorf("row %d = %q", i+1, r)
		}
	}
}

func TestAdminOrderDetail(t *testing.T) {
	f := newOrderFx(t)
	o := f.pay(t, f.place(t, f.alice, store.CheckoutItem{SKUID: f.red, Qty: 2}))
	resp, body := f.a.get(t, fmt.Sprint("/admin/orders/", o.ID))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("detail: %d", resp.StatusCode)
	}
	for _, want := range []string{o.No, "待发货", f.aliceP, "张三", "科技园南区 1 栋 101", "TS-RED", "请用纸箱",
		`data-testid="payment"`, "已支付", `data-action="create"`, `data-action="pay"`, `data-testid="ship-form"`,
		`data-testid="remark-form"`, `data-testid="print-slip"`, "¥118.00"} {
		if !strings.Contains(body, want) {
			t.Errorf("detail lacks %q", want)
		}
	}
	for _, unwanted := range []string{`data-testid="reprice-form"`, `data-testid="cancel-form"`} {
		if strings.Contains(body, unwanted) {
			t.Errorf("paid order offers %s", unwanted)
		}
	}
	if resp, _ := f.a.get(t, "/admin/orders/99999"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown order: %d", resp.StatusCode)
	}
	if resp, _ := f.a.get(t, "/admin/orders/abc"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("bad id: %d", resp.StatusCode)
	}

	// The remark is saved and logged.
	path := fmt.Sprint("/admin/orders/", o.ID)
	if resp, _ := f.a.postForm(t, path+"/remark", url.Values{"remark": {"老客户，多送一双袜子"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("remark: %d", resp.StatusCode)
	}
	if got := f.order(t, o.ID); got.Remark != "老客户，多送一双袜子" {
		t.Errorf("remark = %q", got.Remark)
	}
	resp, body = f.a.postForm(t, path+"/remark", url.Values{"remark": {strings.Repeat("长", 501)}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="error-remark"`) {
		t.Errorf("long remark: %d", resp.StatusCode)
	}
	_, body = f.a.get(t, path)
	if !strings.Contains(body, `data-action="remark"`) || !strings.Contains(body, "店员 "+testOwner) {
		t.Error("timeline lacks the remark by the owner")
	}
}

func TestAdminOrderReprice(t *testing.T) {
	f := newOrderFx(t)
	o := f.place(t, f.alice, store.CheckoutItem{SKUID: f.red, Qty: 2})
	path := fmt.Sprint("/admin/orders/", o.ID)
	_, body := f.a.get(t, path)
	if !strings.Contains(body, `data-testid="reprice-form"`) || !strings.Contains(body, `data-testid="cancel-form"`) {
		t.Fatal("pending order offers no reprice or cancel")
	}
	tests := []struct {
		form  url.Values
		field string
		msg   string
	}{
		{url.Values{"payable": {"100"}, "reason": {" "}}, "reason", "请填写原因"},
		{url.Values{"payable": {"abc"}, "reason": {"老客户"}}, "payable", "请输入正确的金额"},
		{url.Values{"payable": {"1.234"}, "reason": {"老客户"}}, "payable", ""},
		{url.Values{"payable": {"0"}, "reason": {"老客户"}}, "payable", "请填写大于 0 的金额"},
		{url.Values{"payable": {"100"}, "reason": {strings.Repeat("因", 201)}}, "reason", "原因最多 200 个字"},
	}
	for _, tt := range tests {
		resp, body := f.a.postForm(t, path+"/reprice", tt.form)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="error-`+tt.field+`"`) ||
			!strings.Contains(body, tt.msg) {
			t.Errorf("%v: status %d, want 422 with a message beside %s", tt.form, resp.StatusCode, tt.field)
		}
		if !strings.Contains(body, `value="`+tt.form.Get("payable")+`"`) {
			t.Errorf("%v: the typed amount is not kept", tt.form)
		}
	}
	if got := f.order(t, o.ID); got.Payable != 11800 {
		t.Fatalf("refused reprices changed the order: %s", got.Payable)
	}
	resp, _ := f.a.postForm(t, path+"/reprice", url.Values{"payable": {"99.50"}, "reason": {"老客户优惠"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != path {
		t.Fatalf("reprice: %d", resp.StatusCode)
	}
	got := f.order(t, o.ID)
	if got.Payable != 9950 || got.Adjust != -1850 {
		t.Fatalf("after reprice: payable %s adjust %s", got.Payable, got.Adjust)
	}
	_, body = f.a.get(t, path)
	for _, want := range []string{"订单已改价", "老客户优惠", "−¥18.50", `data-action="reprice"`, "¥99.50"} {
		if !strings.Contains(body, want) {
			t.Errorf("after reprice the page lacks %q", want)
		}
	}
	// A paid order cannot be repriced: a flash, nothing changed.
	f.pay(t, got)
	resp, _ = f.a.postForm(t, path+"/reprice", url.Values{"payable": {"1"}, "reason": {"x"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("reprice of a paid order: %d", resp.StatusCode)
	}
	if _, body := f.a.get(t, path); !strings.Contains(body, "订单状态已变化") {
		t.Error("no flash for the refused reprice")
	}
	if got := f.order(t, o.ID); got.Payable != 9950 {
		t.Errorf("paid order repriced to %s", got.Payable)
	}
}

func TestAdminOrderCancel(t *testing.T) {
	f := newOrderFx(t)
	o := f.place(t, f.alice, store.CheckoutItem{SKUID: f.red, Qty: 2})
	path := fmt.Sprint("/admin/orders/", o.ID)
	resp, body := f.a.postForm(t, path+"/cancel", url.Values{"reason": {""}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="error-reason"`) {
		t.Fatalf("cancel without reason: %d", resp.StatusCode)
	}
	if resp, _ := f.a.postForm(t, path+"/cancel", url.Values{"reason": {"买家要求"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("cancel: %d", resp.StatusCode)
	}
	got := f.order(t, o.ID)
	if got.Status != store.StatusCancelled {
		t.Fatalf("status %s", got.Status)
	}
	_, body = f.a.get(t, path)
	if !strings.Contains(body, "买家要求") || !strings.Contains(body, "待付款 → 已取消") || strings.Contains(body, `data-testid="cancel-form"`) {
		t.Error("cancelled order page: no reason, no transition, or still offers cancel")
	}
	// Cancelling again is refused with a flash.
	f.a.postForm(t, path+"/cancel", url.Values{"reason": {"again"}})
	if _, body := f.a.get(t, path); !strings.Contains(body, "订单状态已变化") {
		t.Error("no flash for cancelling twice")
	}
}

func TestAdminOrderShipPartialThenRest(t *testing.T) {
	f := newOrderFx(t)
	o := f.pay(t, f.place(t, f.alice, store.CheckoutItem{SKUID: f.red, Qty: 2}, store.CheckoutItem{SKUID: f.blue, Qty: 1}))
	red, blue := o.Lines[0].ID, o.Lines[1].ID
	path := fmt.Sprint("/admin/orders/", o.ID)
	qty := func(r, b string) url.Values {
		return url.Values{fmt.Sprint("qty_", red): {r}, fmt.Sprint("qty_", blue): {b}}
	}
	with := func(v url.Values, kv ...string) url.Values {
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	bad := []struct {
		form  url.Values
		field string
	}{
		{with(qty("2", "1"), "carrier", "顺丰速运", "tracking_no", ""), "tracking_no"},
		{with(qty("2", "1"), "carrier", "顺丰速运", "tracking_no", "SF 123"), "tracking_no"},
		{with(qty("2", "1"), "carrier", "other", "carrier_other", "", "tracking_no", "SF123"), "carrier"},
		{with(qty("3", "1"), "carrier", "顺丰速运", "tracking_no", "SF123"), "lines"},
		{with(qty("0", "0"), "carrier", "顺丰速运", "tracking_no", "SF123"), "lines"},
		{with(qty("x", "1"), "carrier", "顺丰速运", "tracking_no", "SF123"), "lines"},
	}
	for _, tt := range bad {
		resp, body := f.a.postForm(t, path+"/ship", tt.form)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="error-`+tt.field+`"`) {
			t.Errorf("%v: status %d, want 422 beside %s", tt.form, resp.StatusCode, tt.field)
		}
	}
	if got := f.order(t, o.ID); len(got.Packages) != 0 || got.Status != store.StatusToShip {
		t.Fatalf("refused shipments changed the order: %+v", got.Packages)
	}

	// One red piece in a first package.
	resp, _ := f.a.postForm(t, path+"/ship", with(qty("1", "0"), "carrier", "顺丰速运", "tracking_no", "SF1001"))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("partial ship: %d", resp.StatusCode)
	}
	got := f.order(t, o.ID)
	if got.Status != store.StatusToShip || len(got.Packages) != 1 || got.Lines[0].ShippedQty != 1 || got.Unshipped() != 2 {
		t.Fatalf("after partial ship: %s %+v", got.Status, got.Packages)
	}
	_, body := f.a.get(t, path)
	if !strings.Contains(body, "SF1001") || !strings.Contains(body, `data-action="ship_part"`) ||
		!strings.Contains(body, `name="qty_`+fmt.Sprint(red)+`" value="1"`) {
		t.Error("page after the partial ship lacks the package, the log or the remaining quantity")
	}
	// The rest, with a carrier typed in.
	resp, _ = f.a.postForm(t, path+"/ship", with(qty("1", "1"), "carrier", "other", "carrier_other", "德邦快递", "tracking_no", "DB2002"))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("ship rest: %d", resp.StatusCode)
	}
	got = f.order(t, o.ID)
	if got.Status != store.StatusShipped || len(got.Packages) != 2 || got.Packages[1].Carrier != "德邦快递" || got.Unshipped() != 0 {
		t.Fatalf("after shipping the rest: %s %+v", got.Status, got.Packages)
	}
	_, body = f.a.get(t, path)
	if strings.Contains(body, `data-testid="ship-form"`) || !strings.Contains(body, "待发货 → 待收货") {
		t.Error("shipped order still offers shipping or lacks the transition")
	}
	// Shipping again is refused.
	f.a.postForm(t, path+"/ship", with(qty("1", "0"), "carrier", "顺丰速运", "tracking_no", "SF9"))
	if got := f.order(t, o.ID); len(got.Packages) != 2 {
		t.Error("a shipped order took another package")
	}
}

func TestAdminShipImport(t *testing.T) {
	f := newOrderFx(t)
	good := f.pay(t, f.place(t, f.alice, store.CheckoutItem{SKUID: f.red, Qty: 2}))
	good2 := f.pay(t, f.place(t, f.bo, store.CheckoutItem{SKUID: f.blue, Qty: 1}))
	pending := f.place(t, f.alice, store.CheckoutItem{SKUID: f.red, Qty: 1})
	badTracking := f.pay(t, f.place(t, f.bo, store.CheckoutItem{SKUID: f.red, Qty: 1}))

	// The template lists the orders waiting to ship, numbers kept as text.
	resp, tpl := f.a.get(t, "/admin/orders/ship-template.csv")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(tpl, "\uFEFF订单号,快递公司,快递单号") {
		t.Fatalf("template: %d %q", resp.StatusCode, tpl[:min(len(tpl), 80)])
	}
	for _, o := range []*store.Order{good, good2, badTracking} {
		if !strings.Contains(tpl, "\t"+o.No) {
			t.Errorf("template lacks %s", o.No)
		}
	}
	if strings.Contains(tpl, pending.No) {
		t.Error("template lists an unpaid order")
	}

	file := "\uFEFF订单号,快递公司,快递单号\r\n" +
		"\t" + good.No + ",顺丰速运,SF100\r\n" +
		"'" + good2.No + ",中通快递,ZT200,ignored column\r\n" +
		"\r\n" +
		"20990101000000000000,圆通速递,YT1\r\n" +
		pending.No + ",圆通速递,YT2\r\n" +
		good.No + ",圆通速递,YT3\r\n" +
		badTracking.No + ",圆通速递,YT 4\r\n" +
		"12345,韵达快递\r\n" +
		",韵达快递,YD5\r\n"
	resp, body := f.a.admMultipart(t, "/admin/orders/ship-import", nil, []admFile{{"ship.csv", []byte(file)}}, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("import: %d %s", resp.StatusCode, body)
	}
	if !strings.Contains(body, "发货 2 单，跳过 6 行") {
		t.Errorf("summary missing: %s", body)
	}
	rowRe := regexp.MustCompile(`(?s)data-testid="import-row" data-line="(\d+)">.*?</tr>`)
	outcome := map[string]string{}
	for _, m := range rowRe.FindAllStringSubmatch(body, -1) {
		outcome[m[1]] = m[0]
	}
	for line, want := range map[string]string{
		"2":  `data-testid="row-shipped"`,
		"3":  `data-testid="row-shipped"`,
		"5":  "订单不存在",
		"6":  "订单状态为“待付款”，不能发货",
		"7":  "订单号在文件中重复",
		"8":  "快递单号只能包含字母、数字和短横线",
		"9":  "缺少列",
		"10": "缺少订单号",
	} {
		if !strings.Contains(outcome[line], want) {
			t.Errorf("line %s: want %q in %q", line, want, outcome[line])
		}
	}
	for _, o := range []*store.Order{good, good2} {
		if got := f.order(t, o.ID); got.Status != store.StatusShipped || len(got.Packages) != 1 {
			t.Errorf("%s not shipped: %s", o.No, got.Status)
		}
	}
	if got := f.order(t, good.ID); got.Packages[0].TrackingNo != "SF100" || got.Packages[0].Carrier != "顺丰速运" {
		t.Errorf("package = %+v", got.Packages[0])
	}
	if got := f.order(t, badTracking.ID); got.Status != store.StatusToShip {
		t.Errorf("bad tracking shipped anyway")
	}

	// Whole-file refusals: 422 with the message beside the field.
	for name, data := range map[string][]byte{
		"gbk":   {0xb6, 0xa9, 0xb5, 0xa5, ',', 'a', '\n'},
		"empty": []byte("订单号,快递公司,快递单号\n"),
		"large": bytes.Repeat([]byte("1,a,b\n"), maxShipCSVBytes/6+10),
	} {
		resp, body := f.a.admMultipart(t, "/admin/orders/ship-import", nil, []admFile{{"x.csv", data}}, nil)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="error-file"`) {
			t.Errorf("%s: status %d", name, resp.StatusCode)
		}
	}
	resp, body = f.a.admMultipart(t, "/admin/orders/ship-import", url.Values{"x": {"1"}}, nil, nil)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "请选择要上传的 CSV 文件") {
		t.Errorf("no file: %d", resp.StatusCode)
	}
}

func TestParseShipCSV(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []shipCSVRow
		wantErr string
	}{
		{"no header", "A1,顺丰,SF1\nA2,中通,ZT2", []shipCSVRow{{Line: 1, No: "A1", Carrier: "顺丰", TrackingNo: "SF1"}, {Line: 2, No: "A2", Carrier: "中通", TrackingNo: "ZT2"}}, ""},
		{"bom and header", "\uFEFF订单号,快递公司,快递单号\r\nA1,顺丰,SF1\r\n", []shipCSVRow{{Line: 2, No: "A1", Carrier: "顺丰", TrackingNo: "SF1"}}, ""},
		{"english header", "Order No,Carrier,Tracking\nA1,SF,1", []shipCSVRow{{Line: 2, No: "A1", Carrier: "SF", TrackingNo: "1"}}, ""},
		{"excel text", "=\"A1\",顺丰, SF1 ", []shipCSVRow{{Line: 1, No: "A1", Carrier: "顺丰", TrackingNo: "SF1"}}, ""},
		{"quoted", "\"A1\",\"顺丰, 速运\",SF1", []shipCSVRow{{Line: 1, No: "A1", Carrier: "顺丰, 速运", TrackingNo: "SF1"}}, ""},
		{"bad rows", "A1,顺丰\nA/1,顺丰,1\nA2,,1\nA3,顺丰,\nA4,a,b\nA4,a,c", []shipCSVRow{
			{Line: 1, No: "A1", Carrier: "顺丰", Err: "orders.import_row_columns"},
			{Line: 2, No: "A/1", Carrier: "顺丰", TrackingNo: "1", Err: "orders.import_row_no_invalid"},
			{Line: 3, No: "A2", TrackingNo: "1", Err: "order.carrier_required"},
			{Line: 4, No: "A3", Carrier: "顺丰", Err: "order.tracking_required"},
			{Line: 5, No: "A4", Carrier: "a", TrackingNo: "b"},
			{Line: 6, No: "A4", Carrier: "a", TrackingNo: "c", Err: "orders.import_row_duplicate"},
		}, ""},
		{"empty", "", nil, "orders.import_empty"},
		{"only header", "订单号,快递公司,快递单号", nil, "orders.import_empty"},
		{"not utf8", "\xff\xfe1,2,3", nil, "orders.import_not_utf8"},
		{"too many rows", strings.Repeat("A1,b,c\n", maxShipCSVRows+1), nil, "orders.import_too_many_rows"},
		{"too large", strings.Repeat("x", maxShipCSVBytes+1), nil, "orders.import_too_large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseShipCSV(strings.NewReader(tt.in))
			if tt.wantErr != "" {
				var ve *store.ValidationError
				if !errorsAs(err, &ve) || ve.Key != tt.wantErr {
					t.Fatalf("err = %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("rows = %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func FuzzParseShipCSV(f *testing.F) {
	for _, s := range []string{"A1,顺丰,SF1\n", "\uFEFF订单号,快递公司,快递单号\r\nA1,b,c", "\"a,b\nc", "=\"1\",'2,3", ",,,\n\n", "a\"b,c"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := parseShipCSV(bytes.NewReader(data))
		if err != nil {
			var ve *store.ValidationError
			if !errorsAs(err, &ve) {
				t.Fatalf("non-validation error %v", err)
			}
			return
		}
		if len(rows) == 0 || len(rows) > maxShipCSVRows {
			t.Fatalf("%d rows", len(rows))
		}
		prev := 0
		for _, r := range rows {
			if r.Line <= prev {
				t.Fatalf("line numbers not increasing: %d after %d", r.Line, prev)
			}
			prev = r.Line
			if r.Err == "" && (!validOrderNo(r.No) || r.Carrier == "" || r.TrackingNo == "") {
				t.Fatalf("accepted a bad row %+v", r)
			}
		}
	})
}

func TestAdminPackingSlips(t *testing.T) {
	f := newOrderFx(t)
	o1 := f.pay(t, f.place(t, f.alice, store.CheckoutItem{SKUID: f.red, Qty: 2}, store.CheckoutItem{SKUID: f.blue, Qty: 1}))
	o2 := f.pay(t, f.place(t, f.bo, store.CheckoutItem{SKUID: f.blue, Qty: 3}))
	for _, q := range []string{fmt.Sprintf("ids=%d,%d", o1.ID, o2.ID), fmt.Sprintf("ids=%d&ids=%d&ids=99999", o1.ID, o2.ID)} {
		resp, body := f.a.get(t, "/admin/orders/print?"+q)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", q, resp.StatusCode)
		}
		if n := strings.Count(body, `data-testid="slip"`); n != 2 {
			t.Errorf("%s: %d slips", q, n)
		}
		for _, want := range []string{o1.No, o2.No, "发货单", "张三", "李四", "科技园南区 1 栋 101", "TS-RED", "TS-BLUE",
			"请用纸箱", f.aliceP, `data-testid="slip-line"`} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: slips lack %q", q, want)
			}
		}
	}
	if resp, _ := f.a.get(t, "/admin/orders/print"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("no ids: %d", resp.StatusCode)
	}
	if resp, _ := f.a.get(t, "/admin/orders/print?ids=99999"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown ids: %d", resp.StatusCode)
	}
	// The list has the print button for ticked rows.
	_, body := f.a.get(t, "/admin/orders")
	if !strings.Contains(body, `action="/admin/orders/print"`) || !strings.Contains(body, `name="ids" value="`+fmt.Sprint(o1.ID)+`" form="bulk-form"`) {
		t.Error("list lacks the print form")
	}
}

func TestAdminPickupVerify(t *testing.T) {
	f := newOrderFx(t)
	o := f.pay(t, f.placePickup(t, store.CheckoutItem{SKUID: f.blue, Qty: 2}))
	if o.PickupCode == "" {
		t.Fatal("no pickup code")
	}
	if resp, body := f.a.get(t, "/admin/pickup-verify"); resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="verify-form"`) {
		t.Fatalf("page: %d", resp.StatusCode)
	}
	for code, msg := range map[string]string{"000000000000": "核销码不存在", " ": "请输入正确的核销码"} {
		resp, body := f.a.postForm(t, "/admin/pickup-verify", url.Values{"code": {code}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="error-code"`) || !strings.Contains(body, msg) {
			t.Errorf("code %q: %d, want %q beside the field", code, resp.StatusCode, msg)
		}
	}
	// The right code, pasted with spaces, shows the order and the confirm button.
	spaced := o.PickupCode[:4] + " " + o.PickupCode[4:8] + " " + o.PickupCode[8:]
	resp, body := f.a.postForm(t, "/admin/pickup-verify", url.Values{"code": {spaced}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("lookup: %d", resp.StatusCode)
	}
	for _, want := range []string{o.No, "南山店", f.aliceP, `data-testid="verify-line"`, `data-testid="confirm-verify"`} {
		if !strings.Contains(body, want) {
			t.Errorf("lookup lacks %q", want)
		}
	}
	if got := f.order(t, o.ID); got.Status != store.StatusToPickup {
		t.Fatal("looking up verified the order")
	}
	resp, body = f.a.postForm(t, "/admin/pickup-verify/confirm", url.Values{"code": {o.PickupCode}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="verify-done"`) || !strings.Contains(body, "核销成功") {
		t.Fatalf("confirm: %d", resp.StatusCode)
	}
	if got := f.order(t, o.ID); got.Status != store.StatusCompleted {
		t.Fatalf("status after verify: %s", got.Status)
	}
	// A used code: the message beside the field, both on lookup and confirm.
	for _, path := range []string{"/admin/pickup-verify", "/admin/pickup-verify/confirm"} {
		resp, body := f.a.postForm(t, path, url.Values{"code": {o.PickupCode}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "该核销码已使用或订单不可核销") ||
			strings.Contains(body, `data-testid="confirm-verify"`) {
			t.Errorf("%s with a used code: %d", path, resp.StatusCode)
		}
	}
}

func TestAdminOrdersNeedStaff(t *testing.T) {
	f := newOrderFx(t)
	o := f.place(t, f.alice, store.CheckoutItem{SKUID: f.red, Qty: 1})
	shopper := newClientFor(f.a)
	if resp, body := shopper.customerLogin(t, f.aliceP, custPassword); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("customer login: %d %s", resp.StatusCode, body)
	}
	for _, path := range []string{"/admin/orders", "/admin/orders.csv", fmt.Sprint("/admin/orders/", o.ID),
		"/admin/orders/print?ids=1", "/admin/pickup-verify", "/admin/orders/ship-template.csv"} {
		resp, _ := shopper.get(t, path)
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/admin/login") {
			t.Errorf("customer GET %s: %d %s", path, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	for _, path := range []string{fmt.Sprint("/admin/orders/", o.ID, "/cancel"), "/admin/pickup-verify/confirm"} {
		resp, _ := shopper.postForm(t, path, url.Values{"reason": {"x"}, "code": {"1"}})
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("customer POST %s: %d", path, resp.StatusCode)
		}
	}
	if got := f.order(t, o.ID); got.Status != store.StatusPendingPayment {
		t.Error("a customer cancelled through the back office")
	}
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }
