package store

import (
	"errors"
	"strings"

	"github.com/mattn/go-sqlite3"
)

// ErrNotFound is returned when the requested row does not exist.
var ErrNotFound = errors.New("store: not found")

// ErrConflict is returned when a write would violate a uniqueness rule or a
// guarded update lost its race.
var ErrConflict = errors.New("store: conflict")

// ValidationError is bad input the user can fix. Field names the form field;
// Key is an i18n message key with optional Args (name/value pairs).
type ValidationError struct {
	Field string
	Key   string
	Args  []any
}

func (e *ValidationError) Error() string {
	return "store: invalid " + e.Field + ": " + e.Key
}

// Invalid builds a *ValidationError.
func Invalid(field, key string, args ...any) error {
	return &ValidationError{Field: field, Key: key, Args: args}
}

// ValidationErrors collects several field errors of one form.
type ValidationErrors []*ValidationError

func (v ValidationErrors) Error() string {
	parts := make([]string, len(v))
	for i, e := range v {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

// Add appends a field error.
func (v *ValidationErrors) Add(field, key string, args ...any) {
	*v = append(*v, &ValidationError{Field: field, Key: key, Args: args})
}

// Err returns v as an error, or nil when it is empty.
func (v ValidationErrors) Err() error {
	if len(v) == 0 {
		return nil
	}
	return v
}

// isUnique reports whether err is a SQLite UNIQUE or PRIMARY KEY violation.
func isUnique(err error) bool {
	var se sqlite3.Error
	if errors.As(err, &se) {
		return se.ExtendedCode == sqlite3.ErrConstraintUnique || se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey
	}
	return false
}

// Unwrap exposes the field errors, so errors.As finds a *ValidationError in
// a ValidationErrors.
func (v ValidationErrors) Unwrap() []error {
	out := make([]error, len(v))
	for i, e := range v {
		out[i] = e
	}
	return out
}
