package plugins

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"sort"
	"strings"
)

// Settings: a plugin that has settings (a payment provider's merchant keys,
// a marketing tool's rules) implements [Configurable]. The back office draws
// the form from SettingsSchema, the core keeps the values — secrets sealed
// with the shop's secret key, never shown again, never logged — and hands
// them to Configure at start and after every save. Values may also come
// from the shop's config file or environment (plugins.<id>.<key>, or
// XIAODIAN_PLUGINS_<ID>_<KEY>); those win over the back office's and the
// form shows them locked.

// FieldKind is how a setting is edited and kept.
type FieldKind string

// Field kinds.
const (
	FieldText     FieldKind = "text"     // one line
	FieldTextarea FieldKind = "textarea" // several lines
	FieldSelect   FieldKind = "select"   // one of Options
	FieldBool     FieldKind = "bool"     // "1" or "" (a checkbox)
	// FieldSecret is one line (an API key) and FieldSecretText several (a
	// PEM private key): both are sealed at rest and never shown again; the
	// form keeps the stored value when the field is left empty.
	FieldSecret     FieldKind = "secret"
	FieldSecretText FieldKind = "secret_text"
)

// Secret reports whether values of kind k are sealed and never shown.
func (k FieldKind) Secret() bool { return k == FieldSecret || k == FieldSecretText }

// SettingField is one setting of a plugin.
type SettingField struct {
	// Key names the value: lowercase letters, digits and '_', unique within
	// the plugin, e.g. "mch_id".
	Key  string
	Kind FieldKind
	// Label and Help are i18n keys, or literal text when the catalogue has
	// no such key (for plugins outside this repository). Help may be "".
	Label string
	Help  string
	// Default is the value used while nothing is stored.
	Default string
	// Options are a select's choices.
	Options []SettingOption
	// Group starts a new section of the form with this heading (i18n key or
	// text) at this field; "" continues the current one.
	Group string
}

// SettingOption is one choice of a select.
type SettingOption struct {
	Value string
	Label string // i18n key or text
}

// SettingValues are a plugin's settings by key. A key with no value is
// absent or "".
type SettingValues map[string]string

// Get returns the value of key, "" when none.
func (v SettingValues) Get(key string) string { return v[key] }

// Configurable is a plugin with settings.
type Configurable interface {
	Plugin
	// SettingsSchema lists the settings in the order the form shows them.
	SettingsSchema() []SettingField
	// Configure checks values and, when they are good, starts using them;
	// on error it changes nothing and keeps what it used before. A
	// store.ValidationError or store.ValidationErrors names the fields at
	// fault (Field = the setting's Key) with an i18n key as the message.
	// Values that leave the plugin unconfigured (all empty) are not an
	// error: the plugin then stays idle (a payment provider offers no
	// channel). Called at start with the stored values and again whenever
	// they change; it must be safe to call while other methods run.
	Configure(ctx context.Context, values SettingValues) error
}

// ConnectionTester is a Configurable plugin that can check its settings
// against the remote service (a gateway's query API): the back office's
// 测试连接 button.
type ConnectionTester interface {
	// TestConnection calls the service with the settings in use. It answers
	// a short message for the owner on success, and an error whose text
	// says what went wrong (never a secret) otherwise.
	TestConnection(ctx context.Context) (string, error)
}

var settingKey = regexp.MustCompile(`^[a-z0-9_]{1,40}$`)

// CheckSchema reports a malformed schema: bad or repeated keys, unknown
// kinds, a select without options. Registration refuses such a plugin.
func CheckSchema(fields []SettingField) error {
	seen := make(map[string]bool, len(fields))
	for _, f := range fields {
		if !settingKey.MatchString(f.Key) {
			return fmt.Errorf("setting key %q: want lowercase letters, digits and '_'", f.Key)
		}
		if seen[f.Key] {
			return fmt.Errorf("setting key %q: repeated", f.Key)
		}
		seen[f.Key] = true
		switch f.Kind {
		case FieldText, FieldTextarea, FieldBool, FieldSecret, FieldSecretText:
		case FieldSelect:
			if len(f.Options) == 0 {
				return fmt.Errorf("setting %q: a select needs options", f.Key)
			}
		default:
			return fmt.Errorf("setting %q: unknown kind %q", f.Key, f.Kind)
		}
	}
	return nil
}

// WithDefaults returns values with the schema's defaults filled in where
// values has nothing, and without keys the schema does not know.
func WithDefaults(fields []SettingField, values SettingValues) SettingValues {
	out := make(SettingValues, len(fields))
	for _, f := range fields {
		if v, ok := values[f.Key]; ok && v != "" {
			out[f.Key] = v
		} else if f.Default != "" {
			out[f.Key] = f.Default
		}
	}
	return out
}

// Configurables returns the registered plugins that have settings, in
// registration order.
func (r *Registry) Configurables() []Configurable {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []Configurable
	for _, reg := range r.order {
		if c, ok := reg.plugin.(Configurable); ok {
			out = append(out, c)
		}
	}
	return out
}

// Configurable returns the registered plugin id when it has settings.
func (r *Registry) Configurable(id string) (Configurable, bool) {
	r.mu.RLock()
	reg, ok := r.plugins[id]
	r.mu.RUnlock()
	if !ok {
		return nil, false
	}
	c, ok := reg.plugin.(Configurable)
	return c, ok
}

// SortedKeys returns the keys of v in order (for logs that must name what
// changed without showing values).
func (v SettingValues) SortedKeys() []string {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// SettingBool reads a FieldBool value: "1" (what the back office stores
// for a ticked box), "true", "yes" and "on" are on; "", "0", "false", "no"
// and "off" are off; ok is false for anything else.
func SettingBool(v string) (on, ok bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes", "on":
		return true, true
	case "", "0", "false", "no", "off":
		return false, true
	}
	return false, false
}

// EndpointURL checks a remote service's address given in a setting (a
// gateway's base URL): absolute https — or http to a loopback host, for a
// local test gateway — without credentials, query or fragment; a path only
// when withPath (Alipay's /gateway.do).
func EndpointURL(s string, withPath bool) (*url.URL, bool) {
	if s == "" || len(s) > 300 {
		return nil, false
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" || u.ForceQuery {
		return nil, false
	}
	if !withPath && u.Path != "" && u.Path != "/" {
		return nil, false
	}
	switch u.Scheme {
	case "https":
		return u, true
	case "http":
		if h := u.Hostname(); h == "localhost" {
			return u, true
		} else if ip := net.ParseIP(h); ip != nil && ip.IsLoopback() {
			return u, true
		}
	}
	return nil, false
}
