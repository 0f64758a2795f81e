package store

import (
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

const custPassword = "correct horse 1"

// fieldKeys maps each field of a validation error to its message key.
func fieldKeys(err error) map[string]string {
	out := map[string]string{}
	var v ValidationErrors
	var one *ValidationError
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

func mustRegister(t *testing.T, db *DB, phone string) *Customer {
	t.Helper()
	cu, err := db.RegisterCustomer(t.Context(), phone, custPassword)
	if err != nil {
		t.Fatal(err)
	}
	return cu
}

func TestValidatePhone(t *testing.T) {
	tests := []struct {
		in, want, key string
	}{
		{"13800138000", "13800138000", ""},
		{" 138 0013 8000 ", "13800138000", ""},
		{"138-0013-8000", "13800138000", ""},
		{"+86 138 0013 8000", "13800138000", ""},
		{"+8613800138000", "13800138000", ""},
		{"8613800138000", "13800138000", ""},
		{"008613800138000", "13800138000", ""},
		{"(+86) 19912345678", "", "account.phone_invalid"}, // '+' only leads
		{"19912345678", "19912345678", ""},
		{"", "", "validation.required"},
		{"  - ", "", "validation.required"},
		{"12800138000", "", "account.phone_invalid"}, // second digit 2
		{"23800138000", "", "account.phone_invalid"},
		{"1380013800", "", "account.phone_invalid"},   // 10 digits
		{"138001380001", "", "account.phone_invalid"}, // 12 digits
		{"+85213800138000", "", "account.phone_invalid"},
		{"1380013800a", "", "account.phone_invalid"},
		{"１３８００１３８０００", "", "account.phone_invalid"}, // full-width digits
		{"138+00138000", "", "account.phone_invalid"},
		{"+8612800138000", "", "account.phone_invalid"},
	}
	for _, tt := range tests {
		got, err := ValidatePhone(tt.in)
		if got != tt.want || fieldKeys(err)["phone"] != tt.key {
			t.Errorf("ValidatePhone(%q) = %q, %v; want %q, %q", tt.in, got, err, tt.want, tt.key)
		}
	}
}

var mobile = regexp.MustCompile(`^1[3-9]\d{9}$`)

func FuzzValidatePhone(f *testing.F) {
	for _, s := range []string{"13800138000", "+86 138-0013-8000", "8613800138000", "008613800138000", "", "+", "+86", "１", "1\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ValidatePhone(s)
		if err != nil {
			if got != "" {
				t.Fatalf("ValidatePhone(%q) returned %q with an error", s, got)
			}
			if k := fieldKeys(err)["phone"]; k == "" {
				t.Fatalf("ValidatePhone(%q): error %v is not a phone field error", s, err)
			}
			return
		}
		if !mobile.MatchString(got) {
			t.Fatalf("ValidatePhone(%q) = %q, not a mainland mobile number", s, got)
		}
		// The digits of the result are the last 11 digits of the input.
		digits := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, s)
		if !strings.HasSuffix(digits, got) {
			t.Fatalf("ValidatePhone(%q) = %q, not the input's digits", s, got)
		}
		// Normalising is idempotent.
		if again, err := ValidatePhone(got); err != nil || again != got {
			t.Fatalf("ValidatePhone(%q) = %q, %v; want it unchanged", got, again, err)
		}
	})
}

func TestMaskPhone(t *testing.T) {
	for in, want := range map[string]string{"13800138000": "138****8000", "": "", "12": "**", "12345": "***45"} {
		if got := MaskPhone(in); got != want {
			t.Errorf("MaskPhone(%q) = %q, want %q", in, got, want)
		}
	}
	cu := &Customer{Phone: "13912345678"}
	if cu.DisplayName() != "139****5678" {
		t.Errorf("display name without a nickname = %q", cu.DisplayName())
	}
	cu.Nickname = "小明"
	if cu.DisplayName() != "小明" {
		t.Errorf("display name = %q", cu.DisplayName())
	}
}

func TestRegisterCustomer(t *testing.T) {
	db := openTest(t)
	cu, err := db.RegisterCustomer(t.Context(), "+86 138-0013-8000", custPassword)
	if err != nil {
		t.Fatal(err)
	}
	if cu.ID == 0 || cu.Phone != "13800138000" || cu.Stamp == "" {
		t.Fatalf("registered %+v", cu)
	}
	got, err := db.CustomerByID(t.Context(), cu.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Phone != "13800138000" || got.Stamp != cu.Stamp || got.Disabled || got.CreatedAt.IsZero() {
		t.Errorf("read back %+v", got)
	}
	var hash string
	if err := db.r.QueryRowContext(t.Context(), `SELECT password_hash FROM customers WHERE id = ?`, cu.ID).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$") || strings.Contains(hash, custPassword) {
		t.Errorf("password stored as %q", hash)
	}

	tests := []struct {
		name, phone, password string
		want                  map[string]string
	}{
		{"duplicate phone", "13800138000", custPassword, map[string]string{"phone": "account.phone_taken"}},
		{"duplicate, written differently", "+86 13800138000", custPassword, map[string]string{"phone": "account.phone_taken"}},
		{"bad phone", "1234", custPassword, map[string]string{"phone": "account.phone_invalid"}},
		{"short password", "13900139000", "short", map[string]string{"password": "validation.password_short"}},
		{"both", "", "", map[string]string{"phone": "validation.required", "password": "validation.password_short"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := db.RegisterCustomer(t.Context(), tt.phone, tt.password)
			got := fieldKeys(err)
			if len(got) != len(tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			for f, k := range tt.want {
				if got[f] != k {
					t.Errorf("field %s: %q, want %q", f, got[f], k)
				}
			}
		})
	}
	if _, err := db.CustomerByID(t.Context(), 999); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown customer: %v", err)
	}
}

func TestValidateCustomerSignup(t *testing.T) {
	p, err := ValidateCustomerSignup("138 0013 8000", custPassword, custPassword)
	if err != nil || p != "13800138000" {
		t.Fatalf("valid signup: %q, %v", p, err)
	}
	_, err = ValidateCustomerSignup("138", custPassword, "other")
	if k := fieldKeys(err); k["phone"] != "account.phone_invalid" || k["confirm"] != "validation.password_mismatch" {
		t.Errorf("errors %v", k)
	}
	if k := fieldKeys(ValidateNewPassword(strings.Repeat("x", 257), strings.Repeat("x", 257))); k["password"] != "validation.too_long" {
		t.Errorf("long password: %v", k)
	}
}

func TestConcurrentRegistrationOfOnePhone(t *testing.T) {
	db := openTest(t)
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, errs[i] = db.RegisterCustomer(t.Context(), "13700137000", custPassword)
		})
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case fieldKeys(err)["phone"] != "account.phone_taken":
			t.Errorf("a losing registration failed with %v, want account.phone_taken", err)
		}
	}
	var rows int
	if err := db.r.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM customers WHERE phone = '13700137000'`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if won != 1 || rows != 1 {
		t.Errorf("%d registrations succeeded, %d rows; want exactly one", won, rows)
	}
}

func TestAuthenticateCustomer(t *testing.T) {
	db := openTest(t)
	clock := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	db.SetClock(func() time.Time { return clock })
	cu := mustRegister(t, db, "13800138000")
	clock = clock.Add(time.Hour)

	got, err := db.AuthenticateCustomer(t.Context(), "138 0013 8000", custPassword)
	if err != nil || got.ID != cu.ID {
		t.Fatalf("authenticate: %+v, %v", got, err)
	}
	if !got.LastLoginAt.Equal(clock) {
		t.Errorf("last login %v, want %v", got.LastLoginAt, clock)
	}
	for _, tt := range []struct{ name, phone, password string }{
		{"wrong password", "13800138000", "wrong password"},
		{"unknown phone", "13900139000", custPassword},
		{"malformed phone", "not a phone", custPassword},
		{"empty password", "13800138000", ""},
	} {
		if _, err := db.AuthenticateCustomer(t.Context(), tt.phone, tt.password); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("%s: %v, want ErrBadCredentials", tt.name, err)
		}
	}
	if err := db.SetCustomerDisabled(t.Context(), cu.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AuthenticateCustomer(t.Context(), "13800138000", custPassword); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("disabled account: %v, want ErrBadCredentials", err)
	}
	if err := db.SetCustomerDisabled(t.Context(), cu.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AuthenticateCustomer(t.Context(), "13800138000", custPassword); err != nil {
		t.Errorf("re-enabled account: %v", err)
	}
	if err := db.SetCustomerDisabled(t.Context(), 999, true); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown customer: %v", err)
	}
}

// TestAuthenticateCustomerTiming checks that an unknown number costs a
// password hash like a known one: far from the microseconds of a bare
// lookup.
func TestAuthenticateCustomerTiming(t *testing.T) {
	db := openTest(t)
	mustRegister(t, db, "13800138000")
	dummyHash() // made once, outside the measurement
	measure := func(phone string) time.Duration {
		best := time.Hour
		for range 3 {
			start := time.Now()
			db.AuthenticateCustomer(t.Context(), phone, "wrong password")
			best = min(best, time.Since(start))
		}
		return best
	}
	known, unknown := measure("13800138000"), measure("13900139000")
	if unknown < known/3 {
		t.Errorf("an unknown number answers in %v, a known one in %v: the difference tells them apart", unknown, known)
	}
}

func TestUpdateCustomerProfile(t *testing.T) {
	db := openTest(t)
	db.SetClock(func() time.Time { return time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC) })
	cu := mustRegister(t, db, "13800138000")
	if err := db.UpdateCustomerProfile(t.Context(), cu.ID, CustomerProfile{Nickname: "  小明  ", Gender: GenderMale, Birthday: "1990-05-20"}); err != nil {
		t.Fatal(err)
	}
	got, err := db.CustomerByID(t.Context(), cu.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Nickname != "小明" || got.Gender != GenderMale || got.Birthday != "1990-05-20" {
		t.Errorf("saved %+v", got)
	}
	tests := []struct {
		name string
		p    CustomerProfile
		want map[string]string
	}{
		{"all empty is fine", CustomerProfile{}, nil},
		{"nickname of 20 characters", CustomerProfile{Nickname: strings.Repeat("好", 20)}, nil},
		{"nickname too long", CustomerProfile{Nickname: strings.Repeat("好", 21)}, map[string]string{"nickname": "validation.max_len"}},
		{"control character", CustomerProfile{Nickname: "a\u0007b"}, map[string]string{"nickname": "account.nickname_invalid"}},
		{"bidi override", CustomerProfile{Nickname: "a\u202eb"}, map[string]string{"nickname": "account.nickname_invalid"}},
		{"unknown gender", CustomerProfile{Gender: "other"}, map[string]string{"gender": "account.gender_invalid"}},
		{"not a date", CustomerProfile{Birthday: "1990-02-30"}, map[string]string{"birthday": "account.birthday_invalid"}},
		{"other format", CustomerProfile{Birthday: "20/05/1990"}, map[string]string{"birthday": "account.birthday_invalid"}},
		{"in the future", CustomerProfile{Birthday: "2025-03-02"}, map[string]string{"birthday": "account.birthday_range"}},
		{"today", CustomerProfile{Birthday: "2025-03-01"}, nil},
		{"too old", CustomerProfile{Birthday: "1899-12-31"}, map[string]string{"birthday": "account.birthday_range"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := db.UpdateCustomerProfile(t.Context(), cu.ID, tt.p)
			got := fieldKeys(err)
			if len(got) != len(tt.want) || (err != nil && len(tt.want) == 0) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			for f, k := range tt.want {
				if got[f] != k {
					t.Errorf("field %s: %q, want %q", f, got[f], k)
				}
			}
		})
	}
	if err := db.UpdateCustomerProfile(t.Context(), 999, CustomerProfile{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown customer: %v", err)
	}
}

func TestChangeCustomerPassword(t *testing.T) {
	db := openTest(t)
	cu := mustRegister(t, db, "13800138000")
	const next = "another secret 2"
	tests := []struct {
		name, old, new string
		want           map[string]string
	}{
		{"wrong old password", "wrong", next, map[string]string{"old": "account.old_password_wrong"}},
		{"short new password", custPassword, "short", map[string]string{"password": "validation.password_short"}},
		{"unchanged", custPassword, custPassword, map[string]string{"password": "account.password_unchanged"}},
	}
	for _, tt := range tests {
		_, err := db.ChangeCustomerPassword(t.Context(), cu.ID, tt.old, tt.new)
		got := fieldKeys(err)
		for f, k := range tt.want {
			if got[f] != k || len(got) != len(tt.want) {
				t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
			}
		}
	}
	stamp, err := db.ChangeCustomerPassword(t.Context(), cu.ID, custPassword, next)
	if err != nil {
		t.Fatal(err)
	}
	if stamp == cu.Stamp || stamp == "" {
		t.Errorf("the stamp did not change: %q", stamp)
	}
	if got, _ := db.CustomerByID(t.Context(), cu.ID); got.Stamp != stamp {
		t.Errorf("stored stamp %q, returned %q", got.Stamp, stamp)
	}
	if _, err := db.AuthenticateCustomer(t.Context(), cu.Phone, custPassword); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("the old password still works: %v", err)
	}
	if _, err := db.AuthenticateCustomer(t.Context(), cu.Phone, next); err != nil {
		t.Errorf("the new password does not work: %v", err)
	}
	if _, err := db.ChangeCustomerPassword(t.Context(), 999, next, custPassword); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown customer: %v", err)
	}
}

func TestConcurrentPasswordChangesOneWins(t *testing.T) {
	db := openTest(t)
	cu := mustRegister(t, db, "13800138000")
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = db.ChangeCustomerPassword(t.Context(), cu.ID, custPassword, "new password "+strings.Repeat("x", i+1))
		})
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case errors.Is(err, ErrConflict), fieldKeys(err)["old"] == "account.old_password_wrong":
		default:
			t.Errorf("unexpected error %v", err)
		}
	}
	if won != 1 {
		t.Errorf("%d concurrent changes from the same old password succeeded, want 1", won)
	}
}
