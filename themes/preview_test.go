package themes_test

import (
	"context"
	"strings"
	"testing"

	"github.com/xiaodian/xiaodian/themes"
	"github.com/xiaodian/xiaodian/views/i18n"
)

func TestWithSettingsPreviewsOneRender(t *testing.T) {
	r := newRegistry(t, t.TempDir(), "")
	if err := r.SetSettings(map[string]string{"radius": "4px"}); err != nil {
		t.Fatal(err)
	}
	version := r.Version()
	tests := []struct {
		name    string
		preview map[string]string
		want    []string
		notWant []string
	}{
		{"no preview", nil, []string{"--primary:#ee0a24;", "--radius:4px;"}, []string{"#123456"}},
		{"colour over the saved values", map[string]string{"primary": "#123456"},
			[]string{"--primary:#123456;", "--radius:4px;", `name="theme-color" content="#123456"`}, []string{"#ee0a24;"}},
		{"invalid and unknown values ignored", map[string]string{"primary": "red;}", "nope": "#fff", "radius": "2px"},
			[]string{"--primary:#ee0a24;", "--radius:2px;"}, []string{"red;}", "--nope"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := i18n.WithLocale(context.Background(), i18n.ZH)
			if tt.preview != nil {
				ctx = themes.WithSettings(ctx, tt.preview)
			}
			var b strings.Builder
			if err := r.Theme().Search(searchPage(card)).Render(ctx, &b); err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("page lacks %q", w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(b.String(), w) {
					t.Errorf("page has %q", w)
				}
			}
		})
	}
	if _, vals := r.Settings(); vals["primary"] != "#ee0a24" || vals["radius"] != "4px" {
		t.Errorf("a preview changed the settings in force: %v", vals)
	}
	if r.Version() != version {
		t.Errorf("a preview changed the version")
	}
}
