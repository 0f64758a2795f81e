package store

import (
	"fmt"
	"strconv"
	"strings"
)

// Fen is an amount of money in fen (分, 1/100 yuan). Money is never a float.
type Fen int64

// String formats f as yuan with two decimals, e.g. "12.30" or "-0.05".
func (f Fen) String() string {
	sign := ""
	v := int64(f)
	if v < 0 {
		sign = "-"
		v = -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}

// Yuan formats f with the currency sign, e.g. "¥12.30".
func (f Fen) Yuan() string {
	if f < 0 {
		return "-¥" + (-f).String()
	}
	return "¥" + f.String()
}

// MaxPrice is the largest amount accepted from a form: one hundred million yuan.
const MaxPrice Fen = 100_000_000_00

// ParseFen parses a yuan amount typed by a person ("12", "12.3", "12.30",
// "¥1,299.00") into fen without ever going through a float. It refuses
// negative numbers, more than two decimals and amounts above MaxPrice.
func ParseFen(s string) (Fen, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "¥")
	s = strings.TrimPrefix(s, "￥")
	s = strings.ReplaceAll(s, ",", "")
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("parse fen: empty")
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" {
		whole = "0"
	}
	if hasDot && (len(frac) == 0 || len(frac) > 2) {
		return 0, fmt.Errorf("parse fen %q: at most two decimals", s)
	}
	for _, part := range []string{whole, frac} {
		for _, c := range part {
			if c < '0' || c > '9' {
				return 0, fmt.Errorf("parse fen %q: not a number", s)
			}
		}
	}
	if len(whole) > 11 {
		return 0, fmt.Errorf("parse fen %q: too large", s)
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parse fen %q: %w", s, err)
	}
	for len(frac) < 2 {
		frac += "0"
	}
	fr, _ := strconv.ParseInt(frac, 10, 64)
	v := Fen(w*100 + fr)
	if v > MaxPrice {
		return 0, fmt.Errorf("parse fen %q: too large", s)
	}
	return v, nil
}
