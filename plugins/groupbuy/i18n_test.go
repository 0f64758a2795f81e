package groupbuy_test

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/xiaodian/xiaodian/views/i18n"
)

// TestCatalogues: both languages have the same keys, and they are loaded.
func TestCatalogues(t *testing.T) {
	keys := func(name string) map[string]string {
		b, err := os.ReadFile("i18n/" + name)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	zh, en := keys("groupbuy.zh-CN.json"), keys("groupbuy.en.json")
	for k := range zh {
		if _, ok := en[k]; !ok {
			t.Errorf("%s missing in en", k)
		}
		if got := i18n.T(i18n.ZH, k); got != zh[k] {
			t.Errorf("%s = %q, not loaded", k, got)
		}
	}
	for k := range en {
		if _, ok := zh[k]; !ok {
			t.Errorf("%s missing in zh-CN", k)
		}
	}
}
