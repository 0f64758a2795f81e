package main

import (
	"context"
	"fmt"
	"os"

	"github.com/xiaodian/xiaodian/store"
)

func main() {
	ctx := context.Background()
	db, err := store.Open(ctx, os.Args[1])
	if err != nil {
		panic(err)
	}
	defer db.Close()
	must := func(err error) {
		if err != nil {
			panic(err)
		}
	}
	cu, err := db.RegisterCustomer(ctx, "13800138000", "password123")
	must(err)
	cat, err := db.CreateCategory(ctx, store.CategoryInput{Name: "茶叶", Visible: true})
	must(err)
	pid, err := db.CreateProduct(ctx, store.ProductInput{CategoryID: cat, Title: "明前龙井 250g", OnShelf: true, SKUs: []store.SKUInput{{Price: 128_88, Stock: 50}}})
	must(err)
	p, _ := db.ProductByID(ctx, pid)
	addr, err := db.CreateAddress(ctx, cu.ID, store.AddressInput{Name: "张三", Phone: "13800138000", ProvinceCode: "44", CityCode: "4403", DistrictCode: "440305", Detail: "科技园 1 栋"})
	must(err)
	place := func(tok string) *store.Order {
		o, err := db.PlaceOrder(ctx, store.CheckoutInput{CustomerID: cu.ID, Items: []store.CheckoutItem{{SKUID: p.SKUs[0].ID, Qty: 1}}, Delivery: store.DeliveryExpress, AddressID: addr, Token: tok})
		must(err)
		return o
	}
	for i, prov := range []string{"wechatpay", "alipay", "wechatpay"} {
		o := place(fmt.Sprint("t", i))
		pay, err := db.StartPayment(ctx, cu.ID, o.ID, prov, "native")
		must(err)
		n := store.PaymentNotice{Provider: prov, OutTradeNo: pay.OutTradeNo, ProviderTxnID: "4200001" + pay.OutTradeNo, Amount: pay.Amount}
		if i == 2 {
			n.AppliedBy = store.AppliedByQuery
		}
		_, _, err = db.ApplyPayment(ctx, n)
		must(err)
		if i == 2 {
			must(db.LogReconcile(ctx, store.ReconcileEntry{Provider: prov, PaymentID: pay.ID, Kind: store.ReconcilePaidByQuery, Amount: pay.Amount, Note: n.ProviderTxnID}))
		}
	}
	o := place("late")
	pay, err := db.StartPayment(ctx, cu.ID, o.ID, "alipay", "wap")
	must(err)
	must(db.CancelOrder(ctx, cu.ID, o.ID, "不要了"))
	_, _, err = db.ApplyPayment(ctx, store.PaymentNotice{Provider: "alipay", OutTradeNo: pay.OutTradeNo, ProviderTxnID: "2026120222001" + pay.OutTradeNo, Amount: pay.Amount})
	must(err)
	lr, err := db.BeginLateRefund(ctx, pay.ID)
	must(err)
	must(db.FinishRefund(ctx, lr.OutRefundNo, "2026120222001"+pay.OutTradeNo, true))
	must(db.LogReconcile(ctx, store.ReconcileEntry{Provider: "alipay", PaymentID: pay.ID, RefundID: lr.RefundID, Kind: store.ReconcileLateRefunded, Amount: lr.Amount}))
	o2 := place("pending")
	_, err = db.StartPayment(ctx, cu.ID, o2.ID, "wechatpay", "h5")
	must(err)
	fmt.Println("seeded")
}
