package store

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// mustCustomer registers a customer with phone.
func mustCustomer(t *testing.T, db *DB, phone string) int64 {
	t.Helper()
	cu, err := db.RegisterCustomer(t.Context(), phone, "secret password 1")
	if err != nil {
		t.Fatal(err)
	}
	return cu.ID
}

// nanshan is a valid address in 广东省 深圳市 南山区.
func nanshan(name string) AddressInput {
	return AddressInput{Name: name, Phone: "13800138000", ProvinceCode: "44", CityCode: "4403", DistrictCode: "440305",
		Detail: "科技园南区 1 栋 101"}
}

func mustAddress(t *testing.T, db *DB, customer int64, in AddressInput) int64 {
	t.Helper()
	id, err := db.CreateAddress(t.Context(), customer, in)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// defaults returns the ids of the customer's default addresses.
func defaults(t *testing.T, db *DB, customer int64) []int64 {
	t.Helper()
	as, err := db.Addresses(t.Context(), customer)
	if err != nil {
		t.Fatal(err)
	}
	var out []int64
	for _, a := range as {
		if a.IsDefault {
			out = append(out, a.ID)
		}
	}
	return out
}

func fieldsOf(err error) map[string]string {
	var v ValidationErrors
	var one *ValidationError
	out := map[string]string{}
	switch {
	case errors.As(err, &v):
		for _, e := range v {
			out[e.Field] = e.Key
		}
	case errors.As(err, &one):
		out[one.Field] = one.Key
	}
	return out
}

func TestValidateAddress(t *testing.T) {
	ok := nanshan("张三")
	with := func(f func(*AddressInput)) AddressInput {
		in := ok
		f(&in)
		return in
	}
	tests := []struct {
		name   string
		in     AddressInput
		fields map[string]string // field → key; nil = valid
	}{
		{"valid", ok, nil},
		{"landline", with(func(in *AddressInput) { in.Phone = "0755-26888888" }), nil},
		{"landline with extension", with(func(in *AddressInput) { in.Phone = "(010) 88886666-123" }), nil},
		{"mobile with +86", with(func(in *AddressInput) { in.Phone = "+86 138 0013 8000" }), nil},
		{"municipality", with(func(in *AddressInput) { in.ProvinceCode, in.CityCode, in.DistrictCode = "11", "1101", "110105" }), nil},
		{"20-rune name", with(func(in *AddressInput) { in.Name = strings.Repeat("张", 20) }), nil},
		{"blank name", with(func(in *AddressInput) { in.Name = " \t " }), map[string]string{"name": "validation.required"}},
		{"long name", with(func(in *AddressInput) { in.Name = strings.Repeat("张", 21) }), map[string]string{"name": "validation.max_len"}},
		{"no phone", with(func(in *AddressInput) { in.Phone = "" }), map[string]string{"phone": "validation.required"}},
		{"bad phone", with(func(in *AddressInput) { in.Phone = "12345" }), map[string]string{"phone": "address.phone_invalid"}},
		{"landline without area code", with(func(in *AddressInput) { in.Phone = "26888888" }), map[string]string{"phone": "address.phone_invalid"}},
		{"mobile with a letter", with(func(in *AddressInput) { in.Phone = "1380013800a" }), map[string]string{"phone": "address.phone_invalid"}},
		{"no province", with(func(in *AddressInput) { in.ProvinceCode = "" }), map[string]string{"province": "address.region_required"}},
		{"no district", with(func(in *AddressInput) { in.DistrictCode = "" }), map[string]string{"district": "address.region_required"}},
		{"district of another city", with(func(in *AddressInput) { in.CityCode = "4401" }), map[string]string{"district": "address.region_invalid"}},
		{"city of another province", with(func(in *AddressInput) { in.ProvinceCode = "11" }), map[string]string{"city": "address.region_invalid"}},
		{"short detail", with(func(in *AddressInput) { in.Detail = "1栋" }), map[string]string{"detail": "validation.min_len"}},
		{"long detail", with(func(in *AddressInput) { in.Detail = strings.Repeat("路", 121) }), map[string]string{"detail": "validation.max_len"}},
		{"detail of control characters", with(func(in *AddressInput) { in.Detail = "\x00\x01\n\r\t  " }), map[string]string{"detail": "validation.required"}},
		{"everything wrong", AddressInput{}, map[string]string{"name": "validation.required", "phone": "validation.required",
			"province": "address.region_required", "detail": "validation.required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ValidateAddress(tt.in)
			got := fieldsOf(err)
			if tt.fields == nil {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.fields) {
				t.Fatalf("errors %v, want %v", got, tt.fields)
			}
		})
	}
}

func TestValidateAddressNormalises(t *testing.T) {
	in, place, err := ValidateAddress(AddressInput{Name: "  李\u3000四 ", Phone: "(0755) 2688 8888", ProvinceCode: " 44",
		CityCode: "4403 ", DistrictCode: "440305", Detail: "科技园\n南区  1 栋"})
	if err != nil {
		t.Fatal(err)
	}
	if in.Name != "李 四" || in.Phone != "0755-26888888" || in.Detail != "科技园 南区 1 栋" || place.District.Name != "南山区" {
		t.Fatalf("normalised to %+v, %+v", in, place)
	}
}

func TestAddressCRUDStoresNamesFromData(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	a := mustCustomer(t, db, "13900000001")
	id := mustAddress(t, db, a, nanshan("张三"))
	got, err := db.AddressByID(ctx, a, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.Province != "广东省" || got.City != "深圳市" || got.District != "南山区" || !got.IsDefault ||
		got.Region() != "广东省 深圳市 南山区" || got.Full() != "广东省 深圳市 南山区 科技园南区 1 栋 101" {
		t.Fatalf("stored %+v", got)
	}
	in := nanshan("张三丰")
	in.ProvinceCode, in.CityCode, in.DistrictCode = "11", "1101", "110108"
	if err := db.UpdateAddress(ctx, a, id, in); err != nil {
		t.Fatal(err)
	}
	got, _ = db.AddressByID(ctx, a, id)
	if got.Name != "张三丰" || got.Region() != "北京市 海淀区" || got.City != "市辖区" || !got.IsDefault {
		t.Fatalf("updated %+v", got)
	}
	if d, err := db.DefaultAddress(ctx, a); err != nil || d.ID != id {
		t.Fatalf("default %+v %v", d, err)
	}
	if err := db.DeleteAddress(ctx, a, id); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddressByID(ctx, a, id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted address: %v", err)
	}
	if _, err := db.DefaultAddress(ctx, a); !errors.Is(err, ErrNotFound) {
		t.Fatalf("default after deleting the only address: %v", err)
	}
	if as, _ := db.Addresses(ctx, a); len(as) != 0 {
		t.Fatalf("list after delete %+v", as)
	}
	if err := db.DeleteAddress(ctx, a, id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	if err := db.UpdateAddress(ctx, a, id, in); !errors.Is(err, ErrNotFound) {
		t.Fatalf("update of a deleted address: %v", err)
	}
}

func TestAddressOwnership(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	a := mustCustomer(t, db, "13900000001")
	b := mustCustomer(t, db, "13900000002")
	aID := mustAddress(t, db, a, nanshan("A 的收件人"))
	mustAddress(t, db, a, nanshan("A 的第二个"))
	bID := mustAddress(t, db, b, nanshan("B 的收件人"))

	if _, err := db.AddressByID(ctx, b, aID); !errors.Is(err, ErrNotFound) {
		t.Errorf("B reads A's address: %v", err)
	}
	if err := db.UpdateAddress(ctx, b, aID, nanshan("B 改的")); !errors.Is(err, ErrNotFound) {
		t.Errorf("B updates A's address: %v", err)
	}
	if err := db.DeleteAddress(ctx, b, aID); !errors.Is(err, ErrNotFound) {
		t.Errorf("B deletes A's address: %v", err)
	}
	if err := db.SetDefaultAddress(ctx, b, aID); !errors.Is(err, ErrNotFound) {
		t.Errorf("B sets A's address as default: %v", err)
	}
	got, err := db.AddressByID(ctx, a, aID)
	if err != nil || got.Name != "A 的收件人" || !got.IsDefault {
		t.Fatalf("A's address after B's attempts: %+v %v", got, err)
	}
	if ds := defaults(t, db, b); len(ds) != 1 || ds[0] != bID {
		t.Fatalf("B's defaults %v", ds)
	}
	bs, _ := db.Addresses(ctx, b)
	if len(bs) != 1 || bs[0].ID != bID {
		t.Fatalf("B lists %+v", bs)
	}
}

func TestAddressDefaultRules(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	c := mustCustomer(t, db, "13900000001")
	first := mustAddress(t, db, c, nanshan("一"))
	second := mustAddress(t, db, c, nanshan("二"))
	if ds := defaults(t, db, c); len(ds) != 1 || ds[0] != first {
		t.Fatalf("the first address is the default: %v", ds)
	}
	in := nanshan("三")
	in.IsDefault = true
	third := mustAddress(t, db, c, in)
	if ds := defaults(t, db, c); len(ds) != 1 || ds[0] != third {
		t.Fatalf("created as default: %v", ds)
	}
	as, _ := db.Addresses(ctx, c)
	if len(as) != 3 || as[0].ID != third || as[1].ID != second || as[2].ID != first {
		t.Fatalf("order: default first, then newest: %+v", as)
	}
	// Unticking the default on its edit form keeps it the default.
	if err := db.UpdateAddress(ctx, c, third, nanshan("三")); err != nil {
		t.Fatal(err)
	}
	if ds := defaults(t, db, c); len(ds) != 1 || ds[0] != third {
		t.Fatalf("after an edit without the default box: %v", ds)
	}
	if err := db.SetDefaultAddress(ctx, c, first); err != nil {
		t.Fatal(err)
	}
	if ds := defaults(t, db, c); len(ds) != 1 || ds[0] != first {
		t.Fatalf("set default: %v", ds)
	}
	// Deleting the default promotes the newest remaining address.
	if err := db.DeleteAddress(ctx, c, first); err != nil {
		t.Fatal(err)
	}
	if ds := defaults(t, db, c); len(ds) != 1 || ds[0] != third {
		t.Fatalf("after deleting the default: %v", ds)
	}
	// Deleting one that is not the default leaves the default alone.
	if err := db.DeleteAddress(ctx, c, second); err != nil {
		t.Fatal(err)
	}
	if ds := defaults(t, db, c); len(ds) != 1 || ds[0] != third {
		t.Fatalf("after deleting another: %v", ds)
	}
	if err := db.SetDefaultAddress(ctx, c, first); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a deleted address as default: %v", err)
	}
}

func TestAddressLimit(t *testing.T) {
	db := openTest(t)
	c := mustCustomer(t, db, "13900000001")
	var last int64
	for i := range MaxAddresses {
		last = mustAddress(t, db, c, nanshan(fmt.Sprint("收件人", i)))
	}
	_, err := db.CreateAddress(t.Context(), c, nanshan("多一个"))
	if got := fieldsOf(err); got["address"] != "address.too_many" {
		t.Fatalf("21st address: %v", err)
	}
	if err := db.DeleteAddress(t.Context(), c, last); err != nil {
		t.Fatal(err)
	}
	mustAddress(t, db, c, nanshan("删一个后再加"))
}

func TestConcurrentCreatesKeepOneDefault(t *testing.T) {
	db := openTest(t)
	c := mustCustomer(t, db, "13900000001")
	var wg sync.WaitGroup
	errs := make(chan error, MaxAddresses+5)
	for i := range MaxAddresses + 5 {
		wg.Go(func() {
			in := nanshan(fmt.Sprint("并发", i))
			in.IsDefault = i%3 == 0
			_, err := db.CreateAddress(t.Context(), c, in)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	refused := 0
	for err := range errs {
		if fieldsOf(err)["address"] == "address.too_many" {
			refused++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	as, err := db.Addresses(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != MaxAddresses || refused != 5 {
		t.Fatalf("%d addresses, %d refused", len(as), refused)
	}
	if ds := defaults(t, db, c); len(ds) != 1 {
		t.Fatalf("%d defaults after concurrent creates", len(ds))
	}
}

func FuzzValidateAddress(f *testing.F) {
	f.Add("张三", "13800138000", "44", "4403", "440305", "科技园南区 1 栋")
	f.Add("", "0755-26888888", "11", "1101", "110101", "\x00\xff")
	f.Add("李四", "(010)88886666-1", "50", "5002", "500229", "城口县某街道某号")
	f.Fuzz(func(t *testing.T, name, phone, p, c, d, detail string) {
		in, place, err := ValidateAddress(AddressInput{Name: name, Phone: phone, ProvinceCode: p, CityCode: c, DistrictCode: d, Detail: detail})
		if err != nil {
			if len(fieldsOf(err)) == 0 {
				t.Fatalf("not a validation error: %v", err)
			}
			return
		}
		if place.Province.Code != in.ProvinceCode || place.City.Code != in.CityCode || place.District.Code != in.DistrictCode {
			t.Fatalf("place %+v for %+v", place, in)
		}
		if again, _, err := ValidateAddress(in); err != nil || again != in {
			t.Fatalf("normalised input does not validate to itself: %+v %v", again, err)
		}
	})
}
