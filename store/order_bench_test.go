package store

import (
	"database/sql"
	"fmt"
	"sync/atomic"
	"testing"
)

// BenchmarkPlaceOrder places orders of two SKUs from parallel buyers.
func BenchmarkPlaceOrder(b *testing.B) {
	db, err := Open(b.Context(), b.TempDir()+"/bench.db")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := b.Context()
	var cat int64
	db.Write(ctx, func(tx *sql.Tx) error {
		return tx.QueryRow(`INSERT INTO categories (name, created_at) VALUES ('c', 0) RETURNING id`).Scan(&cat)
	})
	id, err := db.CreateProduct(ctx, clothes(cat))
	if err != nil {
		b.Fatal(err)
	}
	db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`UPDATE skus SET stock = 100000000 WHERE product_id = ?`, id)
		return err
	})
	p, _ := db.ProductByID(ctx, id)
	const buyers = 64
	ids := make([]int64, buyers)
	addrs := make([]int64, buyers)
	for i := range ids {
		db.Write(ctx, func(tx *sql.Tx) error {
			return tx.QueryRow(`INSERT INTO customers (phone, password_hash, created_at) VALUES (?, 'x', 0) RETURNING id`,
				fmt.Sprintf("1370000%04d", i)).Scan(&ids[i])
		})
		if addrs[i], err = db.CreateAddress(ctx, ids[i], nanshan("买家")); err != nil {
			b.Fatal(err)
		}
	}
	var n atomic.Int64
	b.SetParallelism(buyers / 2)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			c := int(i % buyers)
			_, err := db.PlaceOrder(ctx, CheckoutInput{CustomerID: ids[c], AddressID: addrs[c], Token: fmt.Sprint(i),
				Items: []CheckoutItem{{p.SKUs[1].ID, 1}, {p.SKUs[2].ID, 2}}})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "orders/s")
}
