package store

import (
	"strings"
	"unicode/utf8"
)

// SpecDef is one dimension of a product's spec matrix (规格), e.g. 颜色 with
// the values 红, 蓝.
type SpecDef struct {
	Name   string   `json:"name"`
	Values []string `json:"values"`
}

// Limits of the spec matrix.
const (
	MaxSpecs       = 3   // dimensions per product
	MaxSpecValues  = 30  // values per dimension
	MaxSKUs        = 300 // combinations per product
	maxSpecNameLen = 20  // runes
)

// specKeySep joins spec values into a SKU's key; it cannot be typed in a form.
const specKeySep = "\x1f"

// SpecKey is the key of the SKU with these spec values.
func SpecKey(values []string) string { return strings.Join(values, specKeySep) }

// ParseSpecs parses the spec matrix as the back office's text box takes it:
// one dimension per line, "名称: 值1, 值2" — full-width colons and the
// separators ，、/ ; ； are accepted too. Blank lines are skipped, values are
// trimmed and de-duplicated. Errors are *ValidationError on field "specs".
func ParseSpecs(text string) ([]SpecDef, error) {
	var specs []SpecDef
	seen := map[string]bool{}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		// The name ends at the first colon, half- or full-width.
		cut := strings.IndexAny(line, ":：")
		ok := cut >= 0
		var name, vals string
		if ok {
			_, w := utf8.DecodeRuneInString(line[cut:])
			name, vals = strings.TrimSpace(line[:cut]), line[cut+w:]
		}
		if !ok || name == "" {
			return nil, Invalid("specs", "validation.spec_line", "line", clip(line, 30))
		}
		if !utf8.ValidString(line) || utf8.RuneCountInString(name) > maxSpecNameLen {
			return nil, Invalid("specs", "validation.spec_line", "line", clip(line, 30))
		}
		if seen[name] {
			return nil, Invalid("specs", "validation.spec_dup", "name", name)
		}
		seen[name] = true
		def := SpecDef{Name: name}
		vseen := map[string]bool{}
		for _, v := range strings.FieldsFunc(vals, func(r rune) bool {
			return r == ',' || r == '，' || r == '、' || r == ';' || r == '；' || r == '/'
		}) {
			v = strings.TrimSpace(v)
			if v == "" || vseen[v] {
				continue
			}
			if utf8.RuneCountInString(v) > maxSpecNameLen || strings.ContainsAny(v, specKeySep+"\r\t") {
				return nil, Invalid("specs", "validation.spec_line", "line", clip(line, 30))
			}
			vseen[v] = true
			def.Values = append(def.Values, v)
		}
		if len(def.Values) == 0 {
			return nil, Invalid("specs", "validation.spec_no_values", "name", name)
		}
		if len(def.Values) > MaxSpecValues {
			return nil, Invalid("specs", "validation.spec_too_many_values", "max", MaxSpecValues)
		}
		specs = append(specs, def)
	}
	if len(specs) > MaxSpecs {
		return nil, Invalid("specs", "validation.spec_too_many", "max", MaxSpecs)
	}
	if n := matrixSize(specs); n > MaxSKUs {
		return nil, Invalid("specs", "validation.sku_too_many", "max", MaxSKUs)
	}
	return specs, nil
}

// FormatSpecs is the inverse of ParseSpecs, for re-filling the text box.
func FormatSpecs(specs []SpecDef) string {
	var b strings.Builder
	for i, s := range specs {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(s.Name)
		b.WriteString(": ")
		b.WriteString(strings.Join(s.Values, ", "))
	}
	return b.String()
}

func matrixSize(specs []SpecDef) int {
	n := 1
	for _, s := range specs {
		n *= len(s.Values)
		if n > MaxSKUs {
			return n
		}
	}
	return n
}

// Matrix returns every combination of spec values in order (the first
// dimension varies slowest). A product without specs has one empty combination.
func Matrix(specs []SpecDef) [][]string {
	out := [][]string{{}}
	for _, s := range specs {
		next := make([][]string, 0, len(out)*len(s.Values))
		for _, prefix := range out {
			for _, v := range s.Values {
				combo := make([]string, len(prefix), len(prefix)+1)
				copy(combo, prefix)
				next = append(next, append(combo, v))
			}
		}
		out = next
	}
	return out
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}
