package store

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func validPickupInput() PickupStoreInput {
	return PickupStoreInput{Name: " 南山旗舰店 ", Phone: "0755-26888888", ProvinceCode: "44", CityCode: "4403", DistrictCode: "440305",
		Detail: "科技园  南区 1 栋 101", Hours: "09:00-21:00", Active: true, Sort: 2}
}

func TestPickupStoreCRUD(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	id, err := db.CreatePickupStore(ctx, validPickupInput())
	if err != nil {
		t.Fatal(err)
	}
	s, err := db.PickupStoreByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "南山旗舰店" || s.Detail != "科技园 南区 1 栋 101" || s.District != "440305" || !s.Active || s.Sort != 2 ||
		s.Region() != "广东省 深圳市 南山区" || s.Full() != "广东省 深圳市 南山区 科技园 南区 1 栋 101" {
		t.Fatalf("stored %+v (%s)", s, s.Full())
	}
	in := validPickupInput()
	in.Name, in.Active, in.Sort, in.Phone = "东城店", false, 5, ""
	in.ProvinceCode, in.CityCode, in.DistrictCode = "11", "1101", "110101"
	other, err := db.CreatePickupStore(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	ids := func(activeOnly bool) []int64 {
		list, err := db.PickupStores(ctx, activeOnly)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, s := range list {
			out = append(out, s.ID)
		}
		return out
	}
	if got := ids(false); !slices.Equal(got, []int64{other, id}) {
		t.Fatalf("all %v", got)
	}
	if got := ids(true); !slices.Equal(got, []int64{id}) {
		t.Fatalf("active %v", got)
	}
	in.Active = true
	if err := db.UpdatePickupStore(ctx, other, in); err != nil {
		t.Fatal(err)
	}
	if got := ids(true); !slices.Equal(got, []int64{other, id}) {
		t.Fatalf("active after update %v", got)
	}
	if err := db.UpdatePickupStore(ctx, 999, in); !errors.Is(err, ErrNotFound) {
		t.Fatalf("update unknown: %v", err)
	}
	// An order still to be collected keeps the store; a completed one does not.
	cust := mustCustomer(t, db, "13800138000")
	res, err := db.w.ExecContext(ctx, `INSERT INTO orders (no, customer_id, status, delivery, checkout_token, pieces, goods_fen,
		payable_fen, pickup_store_id, pay_deadline, created_at, updated_at) VALUES ('N1', ?, 'to_pickup', 'pickup', 't', 1, 100, 100, ?, 0, 0, 0)`,
		cust, other)
	if err != nil {
		t.Fatal(err)
	}
	var ve *ValidationError
	if err := db.DeletePickupStore(ctx, other); !errors.As(err, &ve) || ve.Key != "pickup.store_in_use" {
		t.Fatalf("delete with an open order: %v", err)
	}
	orderID, _ := res.LastInsertId()
	if _, err := db.w.ExecContext(ctx, `UPDATE orders SET status = 'completed' WHERE id = ?`, orderID); err != nil {
		t.Fatal(err)
	}
	if err := db.DeletePickupStore(ctx, other); err != nil {
		t.Fatal(err)
	}
	if _, err := db.PickupStoreByID(ctx, other); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted: %v", err)
	}
	if err := db.DeletePickupStore(ctx, other); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted twice: %v", err)
	}
	if got := ids(false); !slices.Equal(got, []int64{id}) {
		t.Fatalf("after delete %v", got)
	}
}

func TestPickupStoreValidation(t *testing.T) {
	db := openTest(t)
	tests := []struct {
		name  string
		edit  func(in *PickupStoreInput)
		field string
		key   string
	}{
		{"blank name", func(in *PickupStoreInput) { in.Name = " " }, "name", "validation.required"},
		{"long name", func(in *PickupStoreInput) { in.Name = strings.Repeat("店", 41) }, "name", "validation.max_len"},
		{"bad phone", func(in *PickupStoreInput) { in.Phone = "12345" }, "phone", "address.phone_invalid"},
		{"no province", func(in *PickupStoreInput) { in.ProvinceCode = "" }, "province", "address.region_required"},
		{"city elsewhere", func(in *PickupStoreInput) { in.CityCode = "1101" }, "city", "address.region_invalid"},
		{"no district", func(in *PickupStoreInput) { in.DistrictCode = "" }, "district", "address.region_required"},
		{"no detail", func(in *PickupStoreInput) { in.Detail = "" }, "detail", "validation.required"},
		{"long hours", func(in *PickupStoreInput) { in.Hours = strings.Repeat("店", 41) }, "hours", "validation.max_len"},
	}
	for _, tt := range tests {
		in := validPickupInput()
		tt.edit(&in)
		_, err := db.CreatePickupStore(t.Context(), in)
		var v ValidationErrors
		if !errors.As(err, &v) || !slices.ContainsFunc(v, func(e *ValidationError) bool { return e.Field == tt.field && e.Key == tt.key }) {
			t.Errorf("%s: %v, want %s on %s", tt.name, err, tt.key, tt.field)
		}
	}
	if list, _ := db.PickupStores(t.Context(), false); len(list) != 0 {
		t.Fatalf("refused input stored: %v", list)
	}
}

func TestPickupStoreRegionNames(t *testing.T) {
	s := PickupStore{Province: "广东省", City: "深圳市", Detail: "科技园"}
	if got := s.Full(); got != "广东省 深圳市 科技园" {
		t.Errorf("Full() = %q", got)
	}
	s = PickupStore{Detail: "科技园 1 号"}
	if got := s.Full(); got != "科技园 1 号" {
		t.Errorf("Full() = %q", got)
	}
}
