package handlers

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views/admin"
)

// The SKU table of the product form posts one value per row for each of
// these fields, in row order; sku_values holds the row's spec values as a
// JSON array of strings.
const (
	skuValuesField    = "sku_values"
	skuPriceField     = "sku_price"
	skuListPriceField = "sku_list_price"
	skuStockField     = "sku_stock"
	skuCodeField      = "sku_code"
	skuWeightField    = "sku_weight"
	skuImageField     = "sku_image"
)

// parseSKURows reads the SKU table's parallel arrays from a posted form.
// A missing cell reads as empty and malformed spec values as none; rows
// past store.MaxSKUs are dropped (such a table cannot match any matrix).
func parseSKURows(form url.Values) []admin.SKURow {
	vals := form[skuValuesField]
	n := min(len(vals), store.MaxSKUs+1)
	cell := func(name string, i int) string {
		if col := form[name]; i < len(col) {
			return strings.TrimSpace(col[i])
		}
		return ""
	}
	rows := make([]admin.SKURow, n)
	for i := range n {
		var values []string
		if err := json.Unmarshal([]byte(vals[i]), &values); err != nil || len(values) > store.MaxSpecs {
			values = nil
		}
		rows[i] = admin.SKURow{
			Values:    values,
			Price:     cell(skuPriceField, i),
			ListPrice: cell(skuListPriceField, i),
			Stock:     cell(skuStockField, i),
			Code:      cell(skuCodeField, i),
			Weight:    cell(skuWeightField, i),
			Image:     cell(skuImageField, i),
		}
	}
	return rows
}

// alignSKURows lays rows out as the SKU table of specs: one row per
// combination in store.Matrix order. A combination keeps the row posted for
// it; a new one starts from the row of a combination it extends (a value
// added as a new spec keeps the price and weight typed before) or empty.
// exact reports whether rows already were exactly the table, so nothing was
// added or dropped.
func alignSKURows(specs []store.SpecDef, rows []admin.SKURow) (out []admin.SKURow, exact bool) {
	want := store.Matrix(specs)
	byKey := make(map[string]admin.SKURow, len(rows))
	for _, r := range rows {
		byKey[store.SpecKey(r.Values)] = r
	}
	exact = len(rows) == len(want) && len(byKey) == len(rows)
	out = make([]admin.SKURow, len(want))
	for i, combo := range want {
		if r, ok := byKey[store.SpecKey(combo)]; ok {
			r.Values = combo
			out[i] = r
			continue
		}
		exact = false
		out[i] = admin.SKURow{Values: combo}
		for _, r := range rows {
			if len(r.Values) < len(combo) && subset(r.Values, combo) {
				out[i].Price, out[i].ListPrice, out[i].Weight = r.Price, r.ListPrice, r.Weight
				break
			}
		}
	}
	return out, exact
}

func subset(small, big []string) bool {
	for _, v := range small {
		if !slices.Contains(big, v) {
			return false
		}
	}
	return true
}

// skuInputs converts the table's rows into store input, checking what the
// store cannot see in parsed numbers: the money format (at most two
// decimals, through store.ParseFen), integers, and a list price not below
// the price. Errors are on fields "sku.N.price" and so on, N being the row.
// An image that is not in the gallery falls back to the cover.
func skuInputs(rows []admin.SKURow, images []string) ([]store.SKUInput, store.ValidationErrors) {
	var v store.ValidationErrors
	out := make([]store.SKUInput, len(rows))
	for i, r := range rows {
		f := fmt.Sprintf("sku.%d.", i)
		in := store.SKUInput{Values: r.Values, Code: r.Code}
		if r.Price == "" {
			v.Add(f+"price", "validation.required")
		} else if p, err := store.ParseFen(r.Price); err != nil {
			v.Add(f+"price", "validation.money")
		} else {
			in.Price = p
		}
		if r.ListPrice != "" {
			lp, err := store.ParseFen(r.ListPrice)
			switch {
			case err != nil:
				v.Add(f+"list_price", "validation.money")
			case lp > 0 && in.Price > 0 && lp < in.Price:
				v.Add(f+"list_price", "validation.list_price_below_price")
			default:
				in.ListPrice = lp
			}
		}
		in.Stock = skuCount(r.Stock, f+"stock", &v)
		in.WeightG = skuCount(r.Weight, f+"weight", &v)
		if slices.Contains(images, r.Image) {
			in.Image = r.Image
		}
		out[i] = in
	}
	return out, v
}

// skuCount reads a count cell (stock, grams): empty is 0, otherwise a
// whole number not below 0.
func skuCount(s, field string, v *store.ValidationErrors) int {
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	switch {
	case err != nil:
		v.Add(field, "validation.integer")
		return 0
	case n < 0:
		v.Add(field, "validation.non_negative")
		return 0
	}
	return n
}

// skuRowsOf is the SKU table of a stored product, in matrix order.
func skuRowsOf(p *store.Product) []admin.SKURow {
	combos := store.Matrix(p.Specs)
	rows := make([]admin.SKURow, len(combos))
	for i, combo := range combos {
		rows[i] = admin.SKURow{Values: combo}
		s, ok := p.SKUByValues(combo)
		if !ok {
			continue
		}
		rows[i].Price = s.Price.String()
		if s.ListPrice > 0 {
			rows[i].ListPrice = s.ListPrice.String()
		}
		rows[i].Stock = strconv.Itoa(s.Stock)
		rows[i].Code = s.Code
		if s.WeightG > 0 {
			rows[i].Weight = strconv.Itoa(s.WeightG)
		}
		rows[i].Image = s.Image
	}
	return rows
}
