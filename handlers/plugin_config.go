package handlers

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/store"
)

// Plugin settings come from three places, later ones winning: the schema's
// defaults, the back office's stored values (secrets sealed), and the
// config file or environment (plugins.<id>.<key>, XIAODIAN_PLUGINS_<ID>_<KEY>),
// which the back office shows locked. A config or environment value
// "file:/path" is read from that file (a PEM key is easier to keep in a
// file than in a variable).

// secretKeyFile is the data folder's file holding the key that seals
// secret plugin settings when the config names none.
const secretKeyFile = "secret.key"

// loadSecretKey returns the key that seals secret plugin settings: the
// configured one (64 hex digits or base64 of 32 bytes), else the one kept
// in the data folder, made on first use with mode 0600.
func loadSecretKey(configured, dataDir string) ([]byte, string, error) {
	if configured != "" {
		k, err := parseSecretKey(configured)
		if err != nil {
			return nil, "", fmt.Errorf("secrets.key: %w", err)
		}
		return k, "config", nil
	}
	path := filepath.Join(dataDir, secretKeyFile)
	b, err := os.ReadFile(path)
	if err == nil {
		k, err := parseSecretKey(strings.TrimSpace(string(b)))
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", path, err)
		}
		return k, path, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, "", fmt.Errorf("secret key: %w", err)
	}
	k := make([]byte, store.SecretKeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, "", err
	}
	// O_EXCL: two processes starting at once must not write two keys.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return loadSecretKey("", dataDir)
	}
	if err != nil {
		return nil, "", fmt.Errorf("secret key: %w", err)
	}
	_, werr := f.WriteString(hex.EncodeToString(k) + "\n")
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return nil, "", fmt.Errorf("secret key: %w", werr)
	}
	return k, path, nil
}

func parseSecretKey(s string) ([]byte, error) {
	if k, err := hex.DecodeString(s); err == nil && len(k) == store.SecretKeySize {
		return k, nil
	}
	if k, err := base64.StdEncoding.DecodeString(s); err == nil && len(k) == store.SecretKeySize {
		return k, nil
	}
	return nil, fmt.Errorf("want %d bytes as 64 hex digits or base64", store.SecretKeySize)
}

// envName is the environment variable of a plugin setting.
func envName(pluginID, key string) string {
	r := strings.NewReplacer(".", "_", "-", "_")
	return "XIAODIAN_PLUGINS_" + strings.ToUpper(r.Replace(pluginID)) + "_" + strings.ToUpper(key)
}

// pluginOverrides resolves the config file's and the environment's values
// for every configurable plugin: the environment wins over the file, and
// "file:" values are read. Bool values are normalised to "1" / "0".
func pluginOverrides(reg *plugins.Registry, fromConfig map[string]map[string]string, getenv func(string) string) (map[string]plugins.SettingValues, error) {
	out := map[string]plugins.SettingValues{}
	for _, c := range reg.Configurables() {
		id := c.ID()
		vals := plugins.SettingValues{}
		file := lowerKeys(fromConfig[id])
		for _, f := range c.SettingsSchema() {
			v, ok := file[f.Key]
			if getenv != nil {
				if e := getenv(envName(id, f.Key)); e != "" {
					v, ok = e, true
				}
			}
			if !ok || v == "" {
				continue
			}
			if path, isFile := strings.CutPrefix(v, "file:"); isFile {
				b, err := os.ReadFile(path)
				if err != nil {
					return nil, fmt.Errorf("plugins.%s.%s: %w", id, f.Key, err)
				}
				v = strings.TrimRight(string(b), "\r\n")
				if f.Kind == plugins.FieldSecretText || f.Kind == plugins.FieldTextarea {
					v += "\n"
				}
			}
			if f.Kind == plugins.FieldBool {
				v = boolSetting(v)
			}
			vals[f.Key] = v
		}
		if len(vals) > 0 {
			out[id] = vals
		}
	}
	return out, nil
}

func lowerKeys(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[strings.ToLower(k)] = v
	}
	return out
}

// boolSetting reads a config or form value as a bool setting: "1" or "0".
func boolSetting(v string) string {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes", "on":
		return "1"
	}
	return "0"
}

// pluginConfig is what the core knows of each configurable plugin: the
// locked values from config and environment, and how its last Configure
// went.
type pluginConfig struct {
	overrides map[string]plugins.SettingValues

	mu     sync.Mutex
	status map[string]pluginStatus
	// saveMu makes saving settings one at a time: check, store, apply.
	saveMu sync.Mutex
}

// pluginStatus is how configuring a plugin went.
type pluginStatus struct {
	Configured bool  // some value is set and Configure accepted them
	Err        error // Configure refused the stored values (or they did not open)
	At         time.Time
}

func (pc *pluginConfig) setStatus(id string, s pluginStatus) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if pc.status == nil {
		pc.status = map[string]pluginStatus{}
	}
	pc.status[id] = s
}

func (pc *pluginConfig) statusOf(id string) pluginStatus {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	return pc.status[id]
}

// pluginValues returns the values c runs with (defaults, stored, then
// locked), and the stored ones on their own.
func (h *Handler) pluginValues(ctx context.Context, c plugins.Configurable) (plugins.SettingValues, map[string]store.PluginSetting, error) {
	stored, err := h.db.PluginSettings(ctx, c.ID())
	if stored == nil {
		return nil, nil, err
	}
	vals := plugins.SettingValues{}
	for k, s := range stored {
		vals[k] = s.Value
	}
	for k, v := range h.pcfg.overrides[c.ID()] {
		vals[k] = v
	}
	return plugins.WithDefaults(c.SettingsSchema(), vals), stored, err
}

// anySet reports whether values set anything beyond the schema's defaults.
func anySet(fields []plugins.SettingField, values plugins.SettingValues) bool {
	for _, f := range fields {
		if v := values[f.Key]; v != "" && v != f.Default {
			return true
		}
	}
	return false
}

// configurePlugins hands every configurable plugin its values; a plugin
// that refuses them is logged (names of the fields, never values) and stays
// as it was: unconfigured at start.
func (h *Handler) configurePlugins(ctx context.Context) {
	for _, c := range h.plugins.Configurables() {
		vals, _, err := h.pluginValues(ctx, c)
		if vals == nil {
			h.log.Error("plugin settings unreadable", "plugin", c.ID(), "err", err)
			h.pcfg.setStatus(c.ID(), pluginStatus{Err: err, At: h.db.Now()})
			continue
		}
		if err != nil {
			h.log.Error("plugin settings partly unreadable", "plugin", c.ID(), "err", err)
		}
		cerr := c.Configure(ctx, vals)
		if cerr != nil {
			h.log.Error("plugin refused its settings", "plugin", c.ID(), "err", cerr)
		}
		h.pcfg.setStatus(c.ID(), pluginStatus{Configured: cerr == nil && anySet(c.SettingsSchema(), vals), Err: errors.Join(err, cerr), At: h.db.Now()})
	}
}

// applyPluginStates applies the owner's stored on/off switches.
func applyPluginStates(ctx context.Context, db *store.DB, reg *plugins.Registry) error {
	states, err := db.PluginStates(ctx)
	if err != nil {
		return err
	}
	for id, on := range states {
		if reg.Enabled(id) != on {
			// A plugin no longer compiled in keeps its row, harmlessly.
			_ = reg.SetEnabled(id, on)
		}
	}
	return nil
}

// gatewayClient is the HTTP client providers call gateways with: a gateway
// that does not answer must not hold a request (or a job) for long.
func gatewayClient() *http.Client {
	return &http.Client{Timeout: 15 * time.Second}
}
