package themes

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ManifestFile is the name of a theme folder's description.
const ManifestFile = "theme.yaml"

// Manifest is a theme folder's theme.yaml.
type Manifest struct {
	ID       string       `yaml:"id"`
	Name     string       `yaml:"name"`
	Version  string       `yaml:"version"`
	Contract int          `yaml:"contract"` // the ContractVersion the theme was written for
	Parent   string       `yaml:"parent"`   // "" = the default theme
	Settings []SettingDef `yaml:"settings"`
}

// Setting types. Each becomes a CSS custom property, so each value is
// checked against its type before it reaches a stylesheet.
const (
	SettingColor  = "color"  // #rgb or #rrggbb
	SettingLength = "length" // 8px, 0.5rem, 50%
	SettingFont   = "font"   // a font-family list of names
)

// SettingDef is one entry of a theme's settings schema. It becomes the CSS
// custom property --<key> (underscores turned into dashes) on :root.
type SettingDef struct {
	Key     string `yaml:"key"`
	Label   string `yaml:"label"`
	Type    string `yaml:"type"`
	Default string `yaml:"default"`
}

var (
	idPattern     = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)
	keyPattern    = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)
	colorPattern  = regexp.MustCompile(`^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)
	lengthPattern = regexp.MustCompile(`^(?:0|\d{1,4}(?:\.\d{1,3})?(?:px|rem|em|%|vw))$`)
	fontPattern   = regexp.MustCompile(`^[\p{L}\p{N} ,'"-]{1,120}$`)
)

// ValidID reports whether id may name a theme (and its folder).
func ValidID(id string) bool { return idPattern.MatchString(id) }

// CheckSetting reports whether value is acceptable for a setting of type typ.
func CheckSetting(typ, value string) error {
	var ok bool
	switch typ {
	case SettingColor:
		ok = colorPattern.MatchString(value)
	case SettingLength:
		ok = lengthPattern.MatchString(value)
	case SettingFont:
		ok = fontPattern.MatchString(value) && strings.Count(value, `"`)%2 == 0 && strings.Count(value, "'")%2 == 0
	default:
		return fmt.Errorf("unknown setting type %q", typ)
	}
	if !ok {
		return fmt.Errorf("%q is not a valid %s", value, typ)
	}
	return nil
}

// readManifest reads and checks fsys's theme.yaml. Unknown keys are errors,
// so a typo does not silently lose a setting.
func readManifest(fsys fs.FS) (Manifest, error) {
	var m Manifest
	data, err := fs.ReadFile(fsys, ManifestFile)
	if err != nil {
		return m, fmt.Errorf("read %s: %w", ManifestFile, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil && !errors.Is(err, io.EOF) {
		return m, fmt.Errorf("parse %s: %w", ManifestFile, err)
	}
	return m, m.check()
}

func (m *Manifest) check() error {
	if !ValidID(m.ID) {
		return fmt.Errorf("%s: id %q must be lowercase letters, digits, - or _", ManifestFile, m.ID)
	}
	if m.Parent != "" && !ValidID(m.Parent) {
		return fmt.Errorf("%s: parent %q is not a theme id", ManifestFile, m.Parent)
	}
	if m.Contract < 1 || m.Contract > ContractVersion {
		return fmt.Errorf("%s: contract %d is not supported (this shop speaks contract %d)", ManifestFile, m.Contract, ContractVersion)
	}
	seen := map[string]bool{}
	for _, s := range m.Settings {
		if !keyPattern.MatchString(s.Key) {
			return fmt.Errorf("%s: setting key %q must be lowercase letters, digits or _", ManifestFile, s.Key)
		}
		if seen[s.Key] {
			return fmt.Errorf("%s: setting %q is declared twice", ManifestFile, s.Key)
		}
		seen[s.Key] = true
		if err := CheckSetting(s.Type, s.Default); err != nil {
			return fmt.Errorf("%s: setting %s: %w", ManifestFile, s.Key, err)
		}
	}
	return nil
}

// cssVar is the custom property of a setting key: "primary_color" → "--primary-color".
func cssVar(key string) string { return "--" + strings.ReplaceAll(key, "_", "-") }
