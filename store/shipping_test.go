package store

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// Regions used by the tests.
var (
	shenzhenNanshan  = RegionCodes{"440000", "440300", "440305"}
	guangzhouTianhe  = RegionCodes{"440000", "440100", "440106"}
	beijingDongcheng = RegionCodes{"110000", "110100", "110101"}
	xinjiangUrumqi   = RegionCodes{"650000", "650100", "650102"}
)

// feeTemplates: 1 is the default (by piece: ¥10 first piece, ¥5 each
// extra, free over ¥99; Xinjiang ¥20 + ¥10 per 2 pieces, never free; Tibet
// not delivered; Shenzhen free over 3 pieces; Nanshan district ¥1 flat); 2
// is by weight (¥8 for the first 1000 g, ¥3 per 500 g more).
func feeTemplates() map[int64]*ShippingTemplate {
	return map[int64]*ShippingTemplate{
		1: {ID: 1, Method: ShippingByPiece, FirstUnits: 1, FirstFen: 1000, ExtraUnits: 1, ExtraFen: 500, FreeOverFen: 9900, IsDefault: true,
			Rules: []ShippingRule{
				{ID: 11, Codes: []string{"650000"}, FirstUnits: 1, FirstFen: 2000, ExtraUnits: 2, ExtraFen: 1000},
				{ID: 12, Codes: []string{"540000"}, NoDelivery: true},
				{ID: 13, Codes: []string{"440300"}, FirstUnits: 1, FirstFen: 1000, ExtraUnits: 1, ExtraFen: 500, FreeOverPieces: 3},
				{ID: 14, Codes: []string{"110000", "440305"}, FirstUnits: 1, FirstFen: 100, ExtraUnits: 1, ExtraFen: 0},
			}},
		2: {ID: 2, Method: ShippingByWeight, FirstUnits: 1000, FirstFen: 800, ExtraUnits: 500, ExtraFen: 300},
	}
}

func TestShippingFee(t *testing.T) {
	tpls := feeTemplates()
	line := func(tpl int64, qty, weight int, amount Fen) ShippingLine {
		return ShippingLine{TemplateID: tpl, Qty: qty, WeightG: weight, Amount: amount}
	}
	tests := []struct {
		name      string
		lines     []ShippingLine
		region    RegionCodes
		defaultID int64
		fee       Fen
		undeliv   []int
	}{
		{"no lines", nil, guangzhouTianhe, 1, 0, nil},
		{"one piece default", []ShippingLine{line(0, 1, 0, 1000)}, guangzhouTianhe, 1, 1000, nil},
		{"three pieces", []ShippingLine{line(0, 3, 0, 3000)}, guangzhouTianhe, 1, 2000, nil},
		{"pieces summed over lines", []ShippingLine{line(0, 2, 0, 2000), line(1, 2, 0, 2000)}, guangzhouTianhe, 1, 2500, nil},
		{"free at exactly 99", []ShippingLine{line(0, 1, 0, 9900)}, guangzhouTianhe, 1, 0, nil},
		{"not free at 98.99", []ShippingLine{line(0, 1, 0, 9899)}, guangzhouTianhe, 1, 1000, nil},
		{"free over amount summed", []ShippingLine{line(0, 1, 0, 5000), line(0, 1, 0, 4900)}, guangzhouTianhe, 1, 0, nil},
		{"unknown template goes to default", []ShippingLine{line(99, 2, 0, 100)}, guangzhouTianhe, 1, 1500, nil},
		{"virtual ignored", []ShippingLine{{Qty: 5, Amount: 100, Virtual: true}, line(0, 1, 0, 100)}, guangzhouTianhe, 1, 1000, nil},
		{"only virtual", []ShippingLine{{Qty: 5, Amount: 100, Virtual: true}}, guangzhouTianhe, 1, 0, nil},
		{"no default: free", []ShippingLine{line(0, 3, 0, 100)}, guangzhouTianhe, 0, 0, nil},
		{"default id missing: free", []ShippingLine{line(0, 3, 0, 100)}, guangzhouTianhe, 7, 0, nil},
		{"no default, own template still charges", []ShippingLine{line(0, 3, 0, 100), line(2, 1, 500, 100)}, guangzhouTianhe, 0, 800, nil},
		// Province rule: Xinjiang ¥20 first piece, ¥10 per 2 more, never free.
		{"province rule 1", []ShippingLine{line(0, 1, 0, 100)}, xinjiangUrumqi, 1, 2000, nil},
		{"province rule 2", []ShippingLine{line(0, 2, 0, 100)}, xinjiangUrumqi, 1, 3000, nil},
		{"province rule 3", []ShippingLine{line(0, 3, 0, 100)}, xinjiangUrumqi, 1, 3000, nil},
		{"province rule 4", []ShippingLine{line(0, 4, 0, 100)}, xinjiangUrumqi, 1, 4000, nil},
		{"province rule ignores template's free amount", []ShippingLine{line(0, 1, 0, 100000)}, xinjiangUrumqi, 1, 2000, nil},
		// City rule (Shenzhen) vs district rule (Nanshan) vs province (Guangdong: none, default).
		{"city rule", []ShippingLine{line(0, 2, 0, 100)}, RegionCodes{"440000", "440300", "440304"}, 1, 1500, nil},
		{"city rule free over pieces", []ShippingLine{line(0, 2, 0, 100), line(0, 1, 0, 100)}, RegionCodes{"440000", "440300", "440304"}, 1, 0, nil},
		{"district beats city", []ShippingLine{line(0, 5, 0, 100)}, shenzhenNanshan, 1, 100, nil},
		{"province code in a mixed rule", []ShippingLine{line(0, 5, 0, 100)}, beijingDongcheng, 1, 100, nil},
		// No delivery (Tibet): indexes of that template's lines only.
		{"no delivery", []ShippingLine{line(2, 1, 100, 100), {Qty: 1, Virtual: true}, line(0, 1, 0, 100), line(99, 1, 0, 100)},
			RegionCodes{"540000", "540100", "540102"}, 1, 800, []int{2, 3}},
		// Weight: ¥8 first 1000 g, ¥3 per started 500 g.
		{"weight zero", []ShippingLine{line(2, 1, 0, 100)}, guangzhouTianhe, 1, 800, nil},
		{"weight 1000", []ShippingLine{line(2, 2, 500, 100)}, guangzhouTianhe, 1, 800, nil},
		{"weight 1001", []ShippingLine{line(2, 1, 1001, 100)}, guangzhouTianhe, 1, 1100, nil},
		{"weight 1500", []ShippingLine{line(2, 3, 500, 100)}, guangzhouTianhe, 1, 1100, nil},
		{"weight 1501", []ShippingLine{line(2, 1, 1501, 100)}, guangzhouTianhe, 1, 1400, nil},
		{"weight summed", []ShippingLine{line(2, 2, 600, 100), line(2, 1, 1300, 100)}, guangzhouTianhe, 1, 1700, nil},
		// Two templates: two groups, summed.
		{"two groups", []ShippingLine{line(0, 2, 0, 100), line(2, 1, 2000, 100)}, guangzhouTianhe, 1, 1500 + 1400, nil},
		{"two groups, one free", []ShippingLine{line(0, 2, 0, 10000), line(2, 1, 2000, 100)}, guangzhouTianhe, 1, 1400, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fee, undeliv, err := ShippingFee(tt.lines, tt.region, tpls, tt.defaultID)
			if err != nil {
				t.Fatal(err)
			}
			if fee != tt.fee || !slices.Equal(undeliv, tt.undeliv) {
				t.Errorf("fee %d undeliverable %v, want %d %v", fee, undeliv, tt.fee, tt.undeliv)
			}
		})
	}
}

func TestShippingFeeErrors(t *testing.T) {
	tpls := feeTemplates()
	bad := map[int64]*ShippingTemplate{1: {ID: 1, Method: ShippingByPiece, FirstUnits: 1, ExtraUnits: 0, ExtraFen: 100}}
	tests := []struct {
		name  string
		lines []ShippingLine
		tpls  map[int64]*ShippingTemplate
	}{
		{"zero qty", []ShippingLine{{Qty: 0}}, tpls},
		{"negative weight", []ShippingLine{{Qty: 1, WeightG: -1, TemplateID: 2}}, tpls},
		{"negative amount", []ShippingLine{{Qty: 1, Amount: -1}}, tpls},
		{"huge qty", []ShippingLine{{Qty: maxShippingLineQty + 1}}, tpls},
		{"extra units 0", []ShippingLine{{Qty: 3}}, bad},
		{"too large", []ShippingLine{{Qty: maxShippingLineQty, WeightG: maxShippingLineWeight, TemplateID: 2}}, tpls},
	}
	for _, tt := range tests {
		if fee, _, err := ShippingFee(tt.lines, guangzhouTianhe, tt.tpls, 1); err == nil {
			t.Errorf("%s: fee %d, want an error", tt.name, fee)
		}
	}
}

func FuzzShippingFee(f *testing.F) {
	f.Add(int64(0), 1, 0, int64(100), int64(2), 3, 500, int64(10000), false, "440305", 1, 1000, 1, 500, int64(9900), 0)
	f.Add(int64(7), 1_000_000_000, 1_000_000_000, int64(1<<62), int64(0), 1, 0, int64(0), true, "650000", 1, 0, 1, 0, int64(0), 5)
	f.Fuzz(func(t *testing.T, tplA int64, qtyA, weightA int, amountA int64, tplB int64, qtyB, weightB int, amountB int64, virtB bool,
		code string, firstUnits, firstFen, extraUnits, extraFen int, freeOver int64, freePieces int) {
		tpls := feeTemplates()
		tpls[3] = &ShippingTemplate{ID: 3, Method: ShippingByWeight, FirstUnits: firstUnits, FirstFen: Fen(firstFen),
			ExtraUnits: extraUnits, ExtraFen: Fen(extraFen), FreeOverFen: Fen(freeOver), FreeOverPieces: freePieces,
			Rules: []ShippingRule{{Codes: []string{code}, FirstUnits: extraUnits, FirstFen: Fen(extraFen), ExtraUnits: firstUnits, ExtraFen: Fen(firstFen)}}}
		lines := []ShippingLine{
			{TemplateID: tplA, Qty: qtyA, WeightG: weightA, Amount: Fen(amountA)},
			{TemplateID: tplB, Qty: qtyB, WeightG: weightB, Amount: Fen(amountB), Virtual: virtB},
			{TemplateID: 3, Qty: qtyA, WeightG: weightB, Amount: Fen(amountB)},
		}
		region := RegionCodes{code[:min(len(code), 2)] + "0000", code, code}
		fee, undeliv, err := ShippingFee(lines, region, tpls, 1)
		if err != nil {
			return
		}
		if fee < 0 || fee > MaxPrice {
			t.Fatalf("fee %d", fee)
		}
		if !slices.IsSorted(undeliv) {
			t.Fatalf("undeliverable %v", undeliv)
		}
		for _, i := range undeliv {
			if i < 0 || i >= len(lines) || lines[i].Virtual {
				t.Fatalf("undeliverable %v", undeliv)
			}
		}
		// Bounded, valid input always has a fee.
		if tplA == 0 && qtyA >= 1 && qtyA <= 1000 && weightA >= 0 && weightA <= 100_000 && amountA >= 0 && amountA <= int64(MaxPrice) {
			if _, _, err := ShippingFee(lines[:1], region, feeTemplates(), 1); err != nil {
				t.Fatalf("bounded input refused: %v", err)
			}
		}
	})
}

func validTemplateInput() ShippingTemplateInput {
	return ShippingTemplateInput{Name: "全国包邮模板", Method: ShippingByPiece,
		Default: ShippingRuleInput{FirstUnits: "1", FirstFen: "10", ExtraUnits: "1", ExtraFen: "5", FreeOverFen: "99"},
		Rules: []ShippingRuleInput{
			{Codes: []string{"650000", "540000"}, FirstUnits: "1", FirstFen: "20.5", ExtraUnits: "2", ExtraFen: "10"},
			{Codes: []string{"150000"}, NoDelivery: true},
		}}
}

func TestShippingTemplateCRUD(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	id, err := db.CreateShippingTemplate(ctx, validTemplateInput())
	if err != nil {
		t.Fatal(err)
	}
	got, err := db.ShippingTemplateByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if !got.IsDefault || got.Name != "全国包邮模板" || got.FirstFen != 1000 || got.ExtraFen != 500 || got.FreeOverFen != 9900 ||
		len(got.Rules) != 2 || !slices.Equal(got.Rules[0].Codes, []string{"65", "54"}) || got.Rules[0].FirstFen != 2050 ||
		got.Rules[0].ExtraUnits != 2 || !got.Rules[1].NoDelivery || got.Rules[1].FirstUnits != 1 {
		t.Fatalf("stored %+v", got)
	}
	in := validTemplateInput()
	in.Name, in.Method = "重货", ShippingByWeight
	in.Default.FirstUnits, in.Default.ExtraUnits = "1000", "500"
	in.Rules = in.Rules[:1]
	second, err := db.CreateShippingTemplate(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := db.ShippingTemplateByID(ctx, second); s.IsDefault || len(s.Rules) != 1 {
		t.Fatalf("second %+v", s)
	}
	// The loader: the default plus the asked ids; unknown ids are left out.
	tpls, def, err := shippingTemplatesTx(ctx, db.r, []int64{second, 0, 999})
	if err != nil || def != id || len(tpls) != 2 || tpls[second].Method != ShippingByWeight {
		t.Fatalf("loader %v %d %v", tpls, def, err)
	}
	fee, undeliv, err := ShippingFee([]ShippingLine{{Qty: 2, Amount: 100}, {TemplateID: second, Qty: 1, WeightG: 1600, Amount: 100}},
		xinjiangUrumqi, tpls, def)
	// Template 1 in Xinjiang: ¥20.50 + ⌈1/2⌉×¥10; template 2 in Xinjiang: first 1 g ¥20.50 + ⌈1599/2⌉×¥10.
	if err != nil || fee != 3050+2050+800*1000 || len(undeliv) != 0 {
		t.Fatalf("fee %d %v %v", fee, undeliv, err)
	}
	// Update replaces the rules.
	in.Rules = nil
	if err := db.UpdateShippingTemplate(ctx, second, in); err != nil {
		t.Fatal(err)
	}
	if s, _ := db.ShippingTemplateByID(ctx, second); len(s.Rules) != 0 || s.Name != "重货" {
		t.Fatalf("updated %+v", s)
	}
	if err := db.UpdateShippingTemplate(ctx, 999, in); !errors.Is(err, ErrNotFound) {
		t.Fatalf("update unknown: %v", err)
	}
	// The default cannot be deleted; another becomes default.
	var ve *ValidationError
	if err := db.DeleteShippingTemplate(ctx, id); !errors.As(err, &ve) || ve.Key != "shipping.default_undeletable" {
		t.Fatalf("delete default: %v", err)
	}
	if err := db.SetDefaultShippingTemplate(ctx, second); err != nil {
		t.Fatal(err)
	}
	if err := db.SetDefaultShippingTemplate(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Fatalf("default unknown: %v", err)
	}
	list, err := db.ShippingTemplates(ctx)
	if err != nil || len(list) != 2 || list[0].ID != second || !list[0].IsDefault || list[1].IsDefault {
		t.Fatalf("list %v %v", list, err)
	}
	// In use by a product: refused; after the product is deleted: soft-deleted.
	cat := mustCategory(t, db, 0, "服装")
	pid, err := db.CreateProduct(ctx, ProductInput{CategoryID: cat, Title: "T 恤", ShippingTemplateID: id,
		SKUs: []SKUInput{{Values: []string{}, Price: 100}}})
	if err != nil {
		t.Fatal(err)
	}
	if use, _ := db.ShippingTemplateUsage(ctx); use[id] != 1 {
		t.Fatalf("usage %v", use)
	}
	if err := db.DeleteShippingTemplate(ctx, id); !errors.As(err, &ve) || ve.Key != "shipping.template_in_use" {
		t.Fatalf("delete used: %v", err)
	}
	if err := db.DeleteProduct(ctx, pid); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteShippingTemplate(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ShippingTemplateByID(ctx, id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted: %v", err)
	}
	if err := db.DeleteShippingTemplate(ctx, id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted twice: %v", err)
	}
	if tpls, def, _ := shippingTemplatesTx(ctx, db.r, []int64{id}); len(tpls) != 1 || def != second {
		t.Fatalf("loader after delete %v %d", tpls, def)
	}
}

func TestShippingTemplateValidation(t *testing.T) {
	db := openTest(t)
	tests := []struct {
		name   string
		edit   func(in *ShippingTemplateInput)
		fields []string
	}{
		{"blank name", func(in *ShippingTemplateInput) { in.Name = "  " }, []string{"name"}},
		{"long name", func(in *ShippingTemplateInput) { in.Name = string(make([]rune, 41)) }, []string{"name"}},
		{"method", func(in *ShippingTemplateInput) { in.Method = "volume" }, []string{"method"}},
		{"units zero", func(in *ShippingTemplateInput) { in.Default.FirstUnits = "0" }, []string{"first_units"}},
		{"units text", func(in *ShippingTemplateInput) { in.Default.ExtraUnits = "两" }, []string{"extra_units"}},
		{"units missing", func(in *ShippingTemplateInput) { in.Default.ExtraUnits = "" }, []string{"extra_units"}},
		{"fee missing", func(in *ShippingTemplateInput) { in.Default.FirstFen = "" }, []string{"first_fen"}},
		{"fee negative", func(in *ShippingTemplateInput) { in.Default.ExtraFen = "-1" }, []string{"extra_fen"}},
		{"fee three decimals", func(in *ShippingTemplateInput) { in.Default.FreeOverFen = "1.001" }, []string{"free_over_fen"}},
		{"free pieces negative", func(in *ShippingTemplateInput) { in.Default.FreeOverPieces = "-2" }, []string{"free_over_pieces"}},
		{"rule without codes", func(in *ShippingTemplateInput) { in.Rules[0].Codes = nil }, []string{"rule.0.codes"}},
		{"rule unknown code", func(in *ShippingTemplateInput) { in.Rules[0].Codes = []string{"999999"} }, []string{"rule.0.codes"}},
		{"rule code twice", func(in *ShippingTemplateInput) { in.Rules[1].Codes = []string{"650000"} }, []string{"rule.1.codes"}},
		{"rule fee", func(in *ShippingTemplateInput) { in.Rules[0].FirstFen = "abc"; in.Rules[0].ExtraUnits = "0" },
			[]string{"rule.0.first_fen", "rule.0.extra_units"}},
		{"too many rules", func(in *ShippingTemplateInput) {
			in.Rules = make([]ShippingRuleInput, MaxShippingRules+1)
			for i := range in.Rules {
				in.Rules[i] = ShippingRuleInput{Codes: []string{"110000"}, NoDelivery: true}
			}
		}, []string{"rules"}},
	}
	for _, tt := range tests {
		in := validTemplateInput()
		tt.edit(&in)
		_, err := db.CreateShippingTemplate(t.Context(), in)
		var v ValidationErrors
		if !errors.As(err, &v) {
			t.Errorf("%s: %v, want validation errors", tt.name, err)
			continue
		}
		for _, f := range tt.fields {
			if !slices.ContainsFunc(v, func(e *ValidationError) bool { return e.Field == f }) {
				t.Errorf("%s: no error on %s in %v", tt.name, f, v)
			}
		}
	}
	if list, _ := db.ShippingTemplates(t.Context()); len(list) != 0 {
		t.Fatalf("refused input stored: %v", list)
	}
}

func TestRegionName(t *testing.T) {
	for _, tt := range []struct {
		code, name, label string
		ok                bool
	}{
		{"440000", "广东省", "广东省", true},
		{"44", "广东省", "广东省", true},
		{"4403", "深圳市", "广东省 深圳市", true},
		{"1101", "市辖区", "北京市", true},
		{"441900", "东莞市", "广东省 东莞市", true},
		{"440300", "深圳市", "广东省 深圳市", true},
		{"440305", "南山区", "广东省 深圳市 南山区", true},
		{"110101", "东城区", "北京市 东城区", true},
		{"999999", "", "999999", false},
		{"4", "", "4", false},
		{"440399", "", "440399", false},
	} {
		name, ok := RegionName(tt.code)
		if name != tt.name || ok != tt.ok || regionLabel(tt.code) != tt.label {
			t.Errorf("%s: %q %v %q", tt.code, name, ok, regionLabel(tt.code))
		}
	}
}

func FuzzShippingTemplateInput(f *testing.F) {
	f.Add("模板", "piece", "1", "10", "1", "5.5", "99", "", "44 4403 440305 440000", "2")
	f.Add("", "weight", "-1", "¥1,000.00", "0", "x", "1.001", "-3", "999999 \x00", "99999999999")
	f.Fuzz(func(t *testing.T, name, method, fu, ff, eu, ef, fo, fp, codes, ruleUnits string) {
		in := ShippingTemplateInput{Name: name, Method: method,
			Default: ShippingRuleInput{FirstUnits: fu, FirstFen: ff, ExtraUnits: eu, ExtraFen: ef, FreeOverFen: fo, FreeOverPieces: fp},
			Rules:   []ShippingRuleInput{{Codes: strings.Fields(codes), FirstUnits: ruleUnits, FirstFen: ef, ExtraUnits: fu, ExtraFen: ff}}}
		tpl, err := in.validate()
		if err != nil {
			return
		}
		for _, r := range append(tpl.Rules, tpl.DefaultRule()) {
			if err := r.check(); err != nil {
				t.Fatalf("valid input, bad rule: %v", err)
			}
			for _, c := range r.Codes {
				if _, ok := RegionName(c); !ok {
					t.Fatalf("unknown code %q kept", c)
				}
			}
		}
	})
}

func TestLookupRegion(t *testing.T) {
	for _, tt := range []struct {
		token, code string
		ok          bool
	}{
		{"4403", "4403", true},
		{"440300", "4403", true},
		{"深圳市(4403)", "4403", true},
		{"深圳市", "4403", true},
		{"深圳", "4403", true},
		{"广东", "44", true},
		{"新疆", "65", true},
		{"南山", "南山", false},
		{"东莞", "4419", true},
		{"朝阳区", "朝阳区", false}, // Beijing and Changchun
		{"北京", "11", true},
		{"火星", "火星", false},
		{"9999", "9999", false},
	} {
		code, ok := LookupRegion(tt.token)
		if code != tt.code || ok != tt.ok {
			t.Errorf("%s: %s %v, want %s %v", tt.token, code, ok, tt.code, tt.ok)
		}
	}
}
