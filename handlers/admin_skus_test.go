package handlers

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views/admin"
)

func TestParseSKURows(t *testing.T) {
	form := url.Values{
		"sku_values":     {`["红","S"]`, `not json`, `[1,2]`, `[]`},
		"sku_price":      {" 12.50 ", "3"},
		"sku_list_price": {"20"},
		"sku_stock":      {"7", "", "1"},
		"sku_code":       {"A-1"},
		"sku_weight":     {"300"},
		"sku_image":      {"k.jpg"},
	}
	rows := parseSKURows(form)
	if len(rows) != 4 {
		t.Fatalf("%d rows, want 4", len(rows))
	}
	want := admin.SKURow{Values: []string{"红", "S"}, Price: "12.50", ListPrice: "20", Stock: "7", Code: "A-1", Weight: "300", Image: "k.jpg"}
	if !slices.Equal(rows[0].Values, want.Values) || rows[0].Price != want.Price || rows[0].ListPrice != want.ListPrice ||
		rows[0].Stock != want.Stock || rows[0].Code != want.Code || rows[0].Weight != want.Weight || rows[0].Image != want.Image {
		t.Errorf("row 0 = %+v, want %+v", rows[0], want)
	}
	if rows[1].Values != nil || rows[2].Values != nil || rows[1].Price != "3" || rows[3].Price != "" || rows[3].Values == nil {
		t.Errorf("rows 1-3 = %+v", rows[1:])
	}
}

func TestAlignSKURows(t *testing.T) {
	specs := []store.SpecDef{{Name: "颜色", Values: []string{"红", "蓝"}}, {Name: "尺码", Values: []string{"S", "M"}}}
	tests := []struct {
		name      string
		rows      []admin.SKURow
		wantExact bool
		wantPrice []string
	}{
		{"exact, reordered", []admin.SKURow{
			{Values: []string{"蓝", "M"}, Price: "4"}, {Values: []string{"红", "S"}, Price: "1"},
			{Values: []string{"红", "M"}, Price: "2"}, {Values: []string{"蓝", "S"}, Price: "3"},
		}, true, []string{"1", "2", "3", "4"}},
		{"one missing", []admin.SKURow{
			{Values: []string{"红", "S"}, Price: "1"}, {Values: []string{"红", "M"}, Price: "2"}, {Values: []string{"蓝", "S"}, Price: "3"},
		}, false, []string{"1", "2", "3", ""}},
		{"a spec added keeps the old prices", []admin.SKURow{
			{Values: []string{"红"}, Price: "10"}, {Values: []string{"蓝"}, Price: "20"},
		}, false, []string{"10", "10", "20", "20"}},
		{"duplicate rows", []admin.SKURow{
			{Values: []string{"红", "S"}, Price: "1"}, {Values: []string{"红", "S"}, Price: "1"},
			{Values: []string{"红", "M"}, Price: "2"}, {Values: []string{"蓝", "S"}, Price: "3"},
		}, false, []string{"1", "2", "3", ""}},
		{"no rows", nil, false, []string{"", "", "", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, exact := alignSKURows(specs, tt.rows)
			if exact != tt.wantExact {
				t.Errorf("exact = %v, want %v", exact, tt.wantExact)
			}
			var prices []string
			for i, r := range out {
				prices = append(prices, r.Price)
				if want := store.Matrix(specs)[i]; !slices.Equal(r.Values, want) {
					t.Errorf("row %d values %v, want %v", i, r.Values, want)
				}
			}
			if !slices.Equal(prices, tt.wantPrice) {
				t.Errorf("prices %q, want %q", prices, tt.wantPrice)
			}
		})
	}
}

func TestSKUInputs(t *testing.T) {
	rows := []admin.SKURow{
		{Values: []string{"a"}, Price: "12.30", ListPrice: "15", Stock: "3", Weight: "250", Image: "k1.jpg", Code: "X"},
		{Values: []string{"b"}, Price: "12.345", ListPrice: "abc", Stock: "-1", Weight: "1.5"},
		{Values: []string{"c"}, Price: "", ListPrice: "5", Stock: "", Image: "gone.jpg"},
		{Values: []string{"d"}, Price: "10", ListPrice: "9"},
	}
	in, v := skuInputs(rows, []string{"k1.jpg"})
	want0 := store.SKUInput{Values: []string{"a"}, Price: 1230, ListPrice: 1500, Stock: 3, WeightG: 250, Image: "k1.jpg", Code: "X"}
	if got := in[0]; got.Price != want0.Price || got.ListPrice != want0.ListPrice || got.Stock != want0.Stock ||
		got.WeightG != want0.WeightG || got.Image != want0.Image || got.Code != want0.Code {
		t.Errorf("row 0 = %+v, want %+v", got, want0)
	}
	if in[2].Image != "" {
		t.Errorf("an image outside the gallery was kept: %q", in[2].Image)
	}
	got := map[string]string{}
	for _, e := range v {
		got[e.Field] = e.Key
	}
	wantErr := map[string]string{
		"sku.1.price":      "validation.money",
		"sku.1.list_price": "validation.money",
		"sku.1.stock":      "validation.non_negative",
		"sku.1.weight":     "validation.integer",
		"sku.2.price":      "validation.required",
		"sku.3.list_price": "validation.list_price_below_price",
	}
	if len(got) != len(wantErr) {
		t.Errorf("errors %v, want %v", got, wantErr)
	}
	for f, k := range wantErr {
		if got[f] != k {
			t.Errorf("%s: %q, want %q", f, got[f], k)
		}
	}
}

// FuzzSKUTable feeds arbitrary SKU table posts through the parser, the
// alignment and the conversion: none may panic, and the output must stay
// shaped like the table.
func FuzzSKUTable(f *testing.F) {
	f.Add(`["红","S"]|["红","M"]`, "12.30|99", "1|2", "10||x", "A|B", "100|-1", "颜色: 红\n尺码: S, M")
	f.Add(`[]`, "1.2.3", "", "", "", "", "")
	f.Add(`null|{"a":1}|[1]|"x"`, "¥1,299.00|１２|9999999999999", "||", "99999999999999999999", "\x00", "1e9", "a: b, c\nd: e")
	f.Add(`["\u001f"]`, "0.01", "0", "0", strings.Repeat("码", 50), "0", "规格: \u001f")
	f.Fuzz(func(t *testing.T, values, prices, lists, stocks, codes, weights, specText string) {
		form := url.Values{
			skuValuesField:    strings.Split(values, "|"),
			skuPriceField:     strings.Split(prices, "|"),
			skuListPriceField: strings.Split(lists, "|"),
			skuStockField:     strings.Split(stocks, "|"),
			skuCodeField:      strings.Split(codes, "|"),
			skuWeightField:    strings.Split(weights, "|"),
			skuImageField:     {"k.jpg"},
		}
		rows := parseSKURows(form)
		if len(rows) > store.MaxSKUs+1 || len(rows) > len(form[skuValuesField]) {
			t.Fatalf("%d rows from %d posted", len(rows), len(form[skuValuesField]))
		}
		if specs, err := store.ParseSpecs(specText); err == nil {
			rows, _ = alignSKURows(specs, rows)
			if len(rows) != len(store.Matrix(specs)) {
				t.Fatalf("aligned %d rows for %d combinations", len(rows), len(store.Matrix(specs)))
			}
		}
		in, v := skuInputs(rows, []string{"k.jpg"})
		if len(in) != len(rows) {
			t.Fatalf("%d inputs for %d rows", len(in), len(rows))
		}
		bad := map[int]bool{}
		for _, e := range v {
			parts := strings.SplitN(e.Field, ".", 3)
			if len(parts) != 3 || parts[0] != "sku" {
				t.Fatalf("error on field %q", e.Field)
			}
			n, err := strconv.Atoi(parts[1])
			if err != nil || n < 0 || n >= len(rows) {
				t.Fatalf("error on field %q for %d rows", e.Field, len(rows))
			}
			bad[n] = true
		}
		for i, s := range in {
			if s.Price < 0 || s.Price > store.MaxPrice || s.ListPrice < 0 || s.ListPrice > store.MaxPrice || s.Stock < 0 || s.WeightG < 0 {
				t.Fatalf("row %d out of range: %+v", i, s)
			}
			if !bad[i] && s.ListPrice > 0 && s.ListPrice < s.Price {
				t.Fatalf("row %d list price below price without an error: %+v", i, s)
			}
		}
	})
}
