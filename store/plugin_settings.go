package store

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// Plugin settings: the values a plugin's back-office form saves. Secret
// values are sealed with AES-256-GCM under the shop's secret key, which
// lives outside the database (SetSecretKey); the associated data binds each
// sealed value to its plugin and key, so a value copied to another row does
// not open.

// SecretKeySize is the length of the shop's secret key.
const SecretKeySize = 32

// ErrNoSecretKey is a secret to seal or open while the shop has no secret
// key.
var ErrNoSecretKey = errors.New("store: no secret key configured")

// ErrSealedValue is a sealed value that does not open with the shop's key
// (the key changed, or the row was tampered with).
var ErrSealedValue = errors.New("store: sealed value does not open with the secret key")

const sealPrefix = "v1:"

// SetSecretKey sets the key that seals secret plugin settings. Call it once,
// right after Open, before any request.
func (db *DB) SetSecretKey(key []byte) error {
	if len(key) != SecretKeySize {
		return fmt.Errorf("secret key: %d bytes, want %d", len(key), SecretKeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return err
	}
	db.sealer = aead
	return nil
}

// HasSecretKey reports whether secrets can be sealed.
func (db *DB) HasSecretKey() bool { return db.sealer != nil }

func sealAD(pluginID, key string) []byte { return []byte(pluginID + "\x00" + key) }

func (db *DB) seal(pluginID, key, plain string) (string, error) {
	if db.sealer == nil {
		return "", ErrNoSecretKey
	}
	nonce := make([]byte, db.sealer.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	ct := db.sealer.Seal(nonce, nonce, []byte(plain), sealAD(pluginID, key))
	return sealPrefix + base64.StdEncoding.EncodeToString(ct), nil
}

func (db *DB) open(pluginID, key, sealed string) (string, error) {
	if db.sealer == nil {
		return "", ErrNoSecretKey
	}
	b64, ok := strings.CutPrefix(sealed, sealPrefix)
	if !ok {
		return "", ErrSealedValue
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(raw) < db.sealer.NonceSize()+db.sealer.Overhead() {
		return "", ErrSealedValue
	}
	n := db.sealer.NonceSize()
	plain, err := db.sealer.Open(nil, raw[:n], raw[n:], sealAD(pluginID, key))
	if err != nil {
		return "", ErrSealedValue
	}
	return string(plain), nil
}

// PluginSetting is one stored value of a plugin's settings.
type PluginSetting struct {
	Value  string // opened when Sealed
	Sealed bool
}

// PluginSettings returns the stored settings of the plugin, sealed values
// opened. A sealed value that does not open is left out and reported in
// the error (wrapping ErrSealedValue or ErrNoSecretKey) alongside the rest.
func (db *DB) PluginSettings(ctx context.Context, pluginID string) (map[string]PluginSetting, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT key, value, sealed FROM plugin_settings WHERE plugin_id = ?`, pluginID)
	if err != nil {
		return nil, fmt.Errorf("plugin settings %s: %w", pluginID, err)
	}
	defer rows.Close()
	out := map[string]PluginSetting{}
	var bad []error
	for rows.Next() {
		var key, value string
		var sealed bool
		if err := rows.Scan(&key, &value, &sealed); err != nil {
			return nil, fmt.Errorf("plugin settings %s: %w", pluginID, err)
		}
		if sealed {
			plain, err := db.open(pluginID, key, value)
			if err != nil {
				bad = append(bad, fmt.Errorf("plugin setting %s.%s: %w", pluginID, key, err))
				continue
			}
			value = plain
		}
		out[key] = PluginSetting{Value: value, Sealed: sealed}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("plugin settings %s: %w", pluginID, err)
	}
	return out, errors.Join(bad...)
}

// PluginSettingChange is one value to store: Sealed values are sealed; an
// empty Value removes the key.
type PluginSettingChange struct {
	Key    string
	Value  string
	Sealed bool
}

// SavePluginSettings stores the changes in one transaction: all or nothing.
func (db *DB) SavePluginSettings(ctx context.Context, pluginID string, changes []PluginSettingChange) error {
	prepared := make([]PluginSettingChange, 0, len(changes))
	for _, c := range changes {
		if c.Sealed && c.Value != "" {
			v, err := db.seal(pluginID, c.Key, c.Value)
			if err != nil {
				return fmt.Errorf("save plugin settings %s: %w", pluginID, err)
			}
			c.Value = v
		}
		prepared = append(prepared, c)
	}
	err := db.Write(ctx, func(tx *sql.Tx) error {
		now := db.now().Unix()
		for _, c := range prepared {
			if c.Value == "" {
				if _, err := tx.ExecContext(ctx, `DELETE FROM plugin_settings WHERE plugin_id = ? AND key = ?`, pluginID, c.Key); err != nil {
					return err
				}
				continue
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO plugin_settings (plugin_id, key, value, sealed, updated_at)
				VALUES (?, ?, ?, ?, ?) ON CONFLICT (plugin_id, key) DO UPDATE
				SET value = excluded.value, sealed = excluded.sealed, updated_at = excluded.updated_at`,
				pluginID, c.Key, c.Value, boolInt(c.Sealed), now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("save plugin settings %s: %w", pluginID, err)
	}
	return nil
}

// PluginStates returns the owner's stored on/off switch of each plugin that
// has one.
func (db *DB) PluginStates(ctx context.Context) (map[string]bool, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT plugin_id, enabled FROM plugin_state`)
	if err != nil {
		return nil, fmt.Errorf("plugin states: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var id string
		var on bool
		if err := rows.Scan(&id, &on); err != nil {
			return nil, fmt.Errorf("plugin states: %w", err)
		}
		out[id] = on
	}
	return out, rows.Err()
}

// SetPluginState stores the owner's switch of a plugin.
func (db *DB) SetPluginState(ctx context.Context, pluginID string, enabled bool) error {
	err := db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO plugin_state (plugin_id, enabled, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (plugin_id) DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at`,
			pluginID, boolInt(enabled), db.now().Unix())
		return err
	})
	if err != nil {
		return fmt.Errorf("set plugin state %s: %w", pluginID, err)
	}
	db.bumpCatalogue() // cached pages may show the plugin's blocks
	return nil
}

// RawPluginSetting returns a stored value as it is in the database (sealed
// values sealed), for audits and tests.
func (db *DB) RawPluginSetting(ctx context.Context, pluginID, key string) (string, error) {
	var v string
	err := db.r.QueryRowContext(ctx, `SELECT value FROM plugin_settings WHERE plugin_id = ? AND key = ?`, pluginID, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	return v, err
}
