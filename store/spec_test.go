package store

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseSpecs(t *testing.T) {
	got, err := ParseSpecs("颜色：红，蓝、 红\n\n尺码: S, M,L\n")
	if err != nil {
		t.Fatal(err)
	}
	want := []SpecDef{{"颜色", []string{"红", "蓝"}}, {"尺码", []string{"S", "M", "L"}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v", got)
	}
	if m := Matrix(got); len(m) != 6 || !reflect.DeepEqual(m[0], []string{"红", "S"}) || !reflect.DeepEqual(m[5], []string{"蓝", "L"}) {
		t.Fatalf("matrix %v", m)
	}
	back, err := ParseSpecs(FormatSpecs(got))
	if err != nil || !reflect.DeepEqual(back, got) {
		t.Fatalf("round trip: %v %v", back, err)
	}
	if m := Matrix(nil); len(m) != 1 || len(m[0]) != 0 {
		t.Fatalf("empty matrix %v", m)
	}
	for _, bad := range []string{"颜色", ":红", "颜色: ,，", "颜色: 红\n颜色: 蓝", "a:1\nb:1\nc:1\nd:1",
		"a:" + manyValues(31), "a:1,2,3,4,5,6,7\nb:1,2,3,4,5,6,7\nc:1,2,3,4,5,6,7"} {
		_, err := ParseSpecs(bad)
		var ve *ValidationError
		if !errors.As(err, &ve) {
			t.Errorf("ParseSpecs(%q) = %v, want validation error", bad, err)
		}
	}
}

// FuzzParseSpecs checks that whatever is accepted respects every limit and
// round-trips through FormatSpecs.
func FuzzParseSpecs(f *testing.F) {
	for _, s := range []string{"颜色：红，蓝", "尺码: S, M, L\n颜色: 黑", "a:b/c;d", "\x1f:\x1f", "规格:500g/袋"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		specs, err := ParseSpecs(s)
		if err != nil {
			return
		}
		if len(specs) > MaxSpecs || matrixSize(specs) > MaxSKUs {
			t.Fatalf("limits broken: %v", specs)
		}
		for _, d := range specs {
			if d.Name == "" || len(d.Values) == 0 {
				t.Fatalf("empty part: %v", specs)
			}
			for _, v := range d.Values {
				if v == "" || strings.Contains(v, specKeySep) {
					t.Fatalf("bad value %q", v)
				}
			}
		}
		back, err := ParseSpecs(FormatSpecs(specs))
		if err != nil || !reflect.DeepEqual(back, specs) {
			t.Fatalf("round trip of %q: %v %v", s, back, err)
		}
	})
}

func manyValues(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("v")
		b.WriteString(strings.Repeat("x", i%5))
		b.WriteByte(byte('a' + i/5))
	}
	return b.String()
}
