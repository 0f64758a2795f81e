package store

import (
	"database/sql"
	"slices"
	"testing"
)

func TestEachOrderWalksEveryMatchOnce(t *testing.T) {
	f := newOrderFixture(t)
	ctx := t.Context()
	red := f.skus["红 / L"]
	var want []int64
	for i := range 5 {
		o := f.place(t, string(rune('a'+i)), CheckoutItem{red, 1})
		want = append(want, o.ID)
	}
	slices.Reverse(want)
	defer func(n int) { eachOrderPage = n }(eachOrderPage)
	eachOrderPage = 2
	var got []int64
	err := f.db.EachOrder(ctx, OrderFilter{Status: StatusPendingPayment, Limit: 2, Offset: 3}, func(o *Order) error {
		if len(o.Lines) != 1 {
			t.Errorf("order %d has %d lines", o.ID, len(o.Lines))
		}
		got = append(got, o.ID)
		// An order placed meanwhile shifts the pages; nothing is seen twice.
		if len(got) == 1 {
			f.place(t, "late", CheckoutItem{red, 1})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("walked %v, want %v", got, want)
	}
	n := 0
	f.db.EachOrder(ctx, OrderFilter{Status: StatusToShip}, func(*Order) error { n++; return nil })
	if n != 0 {
		t.Fatalf("to_ship walked %d", n)
	}
}

func TestOrderByPickupCodeAndToDoCounts(t *testing.T) {
	f := newOrderFixture(t)
	ctx := t.Context()
	var store int64
	f.db.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`INSERT INTO pickup_stores (name, detail, created_at, updated_at) VALUES ('南山店', '科技园 1 号', 0, 0)`)
		store, _ = res.LastInsertId()
		return err
	})
	o, err := f.db.PlaceOrder(ctx, CheckoutInput{CustomerID: f.alice, Items: []CheckoutItem{{f.skus["红 / L"], 1}},
		Delivery: DeliveryPickup, PickupStoreID: store, Token: "p"})
	if err != nil {
		t.Fatal(err)
	}
	mustPay(t, f.db, f.alice, o.ID)
	mustPay(t, f.db, f.alice, f.place(t, "e", CheckoutItem{f.skus["红 / L"], 1}).ID)
	paid, _ := f.db.OrderByID(ctx, o.ID)
	got, err := f.db.OrderByPickupCode(ctx, " "+paid.PickupCode+" ")
	if err != nil || got.ID != o.ID || len(got.Lines) != 1 {
		t.Fatalf("by code = %v, %v", got, err)
	}
	for code, key := range map[string]string{"": "order.pickup_code_invalid", "999999999999": "order.pickup_code_unknown"} {
		if _, err := f.db.OrderByPickupCode(ctx, code); fieldsOf(err)["code"] != key {
			t.Errorf("code %q: %v", code, err)
		}
	}
	toShip, toPickup, err := f.db.OrdersToShipCount(ctx)
	if err != nil || toShip != 1 || toPickup != 1 {
		t.Fatalf("to-do = %d, %d, %v", toShip, toPickup, err)
	}
}
