package builtin

import (
	"testing"

	"github.com/xiaodian/xiaodian/plugins"
)

func TestBuiltinPluginsLoad(t *testing.T) {
	r := plugins.NewRegistry()
	if err := plugins.Load(r, Plugins()); err != nil {
		t.Fatalf("Load(Plugins()): %v", err)
	}
	if got, want := len(r.Plugins()), len(Plugins()); got != want {
		t.Fatalf("registered %d plugins, want %d", got, want)
	}
}
