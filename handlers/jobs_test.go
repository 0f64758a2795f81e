package handlers

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xiaodian/xiaodian/store"
)

// syncBuffer is a log sink the jobs may write to from their goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestOrderJobs runs the cancel-unpaid and auto-receive jobs against a real
// database with the store's clock moved past the deadlines; more orders than
// one batch are due, so the jobs must call the store again.
func TestOrderJobs(t *testing.T) {
	var logs syncBuffer
	a := openTestApp(t, AppConfig{DataDir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	ctx := t.Context()
	now := time.Unix(1_800_000_000, 0)
	var mu sync.Mutex
	a.DB.SetClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }

	cat, err := a.DB.CreateCategory(ctx, store.CategoryInput{Name: "服饰", Visible: true})
	if err != nil {
		t.Fatal(err)
	}
	const stock = 1000
	pid, err := a.DB.CreateProduct(ctx, store.ProductInput{CategoryID: cat, Title: "T恤", OnShelf: true,
		SKUs: []store.SKUInput{{Price: 1000, Stock: stock}}})
	if err != nil {
		t.Fatal(err)
	}
	sku := skuOf(t, a, pid, "")
	cu, err := a.DB.RegisterCustomer(ctx, "13800138000", custPassword)
	if err != nil {
		t.Fatal(err)
	}
	addr, err := a.DB.CreateAddress(ctx, cu.ID, store.AddressInput{Name: "张三", Phone: "13800138000",
		ProvinceCode: "44", CityCode: "4403", DistrictCode: "440305", Detail: "科技园南区 1 栋 101"})
	if err != nil {
		t.Fatal(err)
	}
	place := func(token string) *store.Order {
		t.Helper()
		o, err := a.DB.PlaceOrder(ctx, store.CheckoutInput{CustomerID: cu.ID, Items: []store.CheckoutItem{{SKUID: sku, Qty: 1}},
			Delivery: store.DeliveryExpress, AddressID: addr, Token: token})
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	pay := func(o *store.Order) {
		t.Helper()
		p, err := a.DB.StartPayment(ctx, cu.ID, o.ID, "sandbox", "")
		if err != nil {
			t.Fatal(err)
		}
		if r, _, err := a.DB.ApplyPayment(ctx, store.PaymentNotice{Provider: "sandbox", OutTradeNo: p.OutTradeNo,
			ProviderTxnID: "T" + p.OutTradeNo, Amount: p.Amount}); r != store.ApplyPaid || err != nil {
			t.Fatalf("pay = %v, %v", r, err)
		}
	}

	const unpaid, shipped = jobBatch + 50, jobBatch + 3
	for i := range unpaid {
		place(fmt.Sprint("unpaid-", i))
	}
	var ship []*store.Order
	for i := range shipped {
		o := place(fmt.Sprint("ship-", i))
		pay(o)
		if err := a.DB.ShipOrder(ctx, o.ID, store.StaffActor("boss"), store.ShipInput{Carrier: "顺丰", TrackingNo: fmt.Sprint("SF", i)}); err != nil {
			t.Fatal(err)
		}
		ship = append(ship, o)
	}
	kept := place("paid-in-time")
	jobs := map[string]job{}
	for _, j := range a.Handler.jobs() {
		jobs[j.name] = j
	}
	if jobs["cancel-unpaid"].every != time.Minute || jobs["auto-receive"].every != 10*time.Minute {
		t.Fatalf("job intervals: %+v", jobs)
	}

	// Nothing is due yet.
	for _, name := range []string{"cancel-unpaid", "auto-receive"} {
		if err := jobs[name].run(ctx); err != nil {
			t.Fatal(err)
		}
	}
	counts, _ := a.DB.OrderStatusCounts(ctx)
	if counts[store.StatusPendingPayment] != unpaid+1 || counts[store.StatusShipped] != shipped {
		t.Fatalf("before the deadlines: %v", counts)
	}

	pay(kept)
	advance(time.Duration(store.DefaultPayMinutes)*time.Minute + time.Second)
	for range 2 { // idempotent
		if err := jobs["cancel-unpaid"].run(ctx); err != nil {
			t.Fatal(err)
		}
	}
	counts, _ = a.DB.OrderStatusCounts(ctx)
	if counts[store.StatusCancelled] != unpaid || counts[store.StatusPendingPayment] != 0 || counts[store.StatusToShip] != 1 {
		t.Fatalf("after cancel-unpaid: %v", counts)
	}
	p, _ := a.DB.ProductByID(ctx, pid)
	if got := p.SKUs[0].Stock; got != stock-shipped-1 {
		t.Fatalf("stock after cancel-unpaid = %d, want %d", got, stock-shipped-1)
	}
	if !strings.Contains(logs.String(), fmt.Sprintf(`msg="cancelled unpaid orders" count=%d`, unpaid)) {
		t.Errorf("no count in the log:\n%s", logs.String())
	}

	// Received automatically once the receipt days passed; an order with an
	// open after-sale waits.
	if err := a.DB.Write(ctx, func(tx *sql.Tx) error { return store.PauseReceiptTx(ctx, tx, ship[0].ID) }); err != nil {
		t.Fatal(err)
	}
	advance(time.Duration(store.DefaultReceiveDays)*24*time.Hour - time.Hour)
	if err := jobs["auto-receive"].run(ctx); err != nil {
		t.Fatal(err)
	}
	if counts, _ = a.DB.OrderStatusCounts(ctx); counts[store.StatusShipped] != shipped {
		t.Fatalf("auto-receive before the receipt days: %v", counts)
	}
	advance(2 * time.Hour)
	if err := jobs["auto-receive"].run(ctx); err != nil {
		t.Fatal(err)
	}
	counts, _ = a.DB.OrderStatusCounts(ctx)
	if counts[store.StatusCompleted] != shipped-1 || counts[store.StatusShipped] != 1 {
		t.Fatalf("after auto-receive: %v", counts)
	}
	if o, _ := a.DB.OrderByID(ctx, ship[0].ID); o.Status != store.StatusShipped {
		t.Fatalf("order with an open after-sale = %s", o.Status)
	}
	if !strings.Contains(logs.String(), fmt.Sprintf(`msg="received shipped orders automatically" count=%d`, shipped-1)) {
		t.Errorf("no count in the log:\n%s", logs.String())
	}
}

func TestDrainBatchesStopsOnShortBatch(t *testing.T) {
	for _, tt := range []struct {
		batches []int
		want    int
		calls   int
	}{
		{[]int{0}, 0, 1},
		{[]int{jobBatch - 1}, jobBatch - 1, 1},
		{[]int{jobBatch, jobBatch, 7}, 2*jobBatch + 7, 3},
		{[]int{jobBatch, 0}, jobBatch, 2},
	} {
		calls := 0
		got, err := drainBatches(t.Context(), func(_ context.Context, limit int) (int, error) {
			if limit != jobBatch {
				t.Fatalf("limit %d", limit)
			}
			calls++
			return tt.batches[calls-1], nil
		})
		if err != nil || got != tt.want || calls != tt.calls {
			t.Errorf("batches %v: got %d in %d calls (%v), want %d in %d", tt.batches, got, calls, err, tt.want, tt.calls)
		}
	}
}
