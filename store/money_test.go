package store

import "testing"

func TestParseFen(t *testing.T) {
	tests := []struct {
		in   string
		want Fen
		ok   bool
	}{
		{"12", 1200, true},
		{"12.3", 1230, true},
		{"12.30", 1230, true},
		{"0.01", 1, true},
		{".5", 50, true},
		{"¥1,299.00", 129900, true},
		{" ￥ 8.8 ", 880, true},
		{"1000000000", 100000000000, false},
		{"100000000", 10000000000, true},
		{"12.345", 0, false},
		{"12.", 0, false},
		{"-1", 0, false},
		{"1e3", 0, false},
		{"", 0, false},
		{"abc", 0, false},
		{"0.1.2", 0, false},
		{"99999999999999999999", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseFen(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("ParseFen(%q) err = %v, want ok=%v", tt.in, err, tt.ok)
			continue
		}
		if tt.ok && got != tt.want {
			t.Errorf("ParseFen(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestFenString(t *testing.T) {
	for f, want := range map[Fen]string{0: "0.00", 5: "0.05", 1230: "12.30", -5: "-0.05", 100000: "1000.00"} {
		if got := f.String(); got != want {
			t.Errorf("Fen(%d).String() = %q, want %q", f, got, want)
		}
	}
	if got := Fen(-1230).Yuan(); got != "-¥12.30" {
		t.Errorf("Yuan = %q", got)
	}
}

// FuzzParseFen checks that any accepted input round-trips through String
// and stays within the accepted range.
func FuzzParseFen(f *testing.F) {
	for _, s := range []string{"12", "12.30", "¥1,299.00", ".5", "-1", "1e3", "0.001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseFen(s)
		if err != nil {
			return
		}
		if v < 0 || v > MaxPrice {
			t.Fatalf("ParseFen(%q) = %d out of range", s, v)
		}
		back, err := ParseFen(v.String())
		if err != nil || back != v {
			t.Fatalf("round trip %q -> %d -> %q -> %d (%v)", s, v, v.String(), back, err)
		}
	})
}
