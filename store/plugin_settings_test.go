package store

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestSealedPluginSettings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "test.db")
	open := func() *DB {
		db, err := Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	db := open()
	ctx := t.Context()
	if err := db.SavePluginSettings(ctx, "p", []PluginSettingChange{{Key: "k", Value: "v", Sealed: true}}); !errors.Is(err, ErrNoSecretKey) {
		t.Fatalf("sealing without a key: %v", err)
	}
	if err := db.SetSecretKey(make([]byte, 16)); err == nil {
		t.Fatal("a 16-byte key accepted")
	}
	key := bytes.Repeat([]byte{7}, SecretKeySize)
	if err := db.SetSecretKey(key); err != nil {
		t.Fatal(err)
	}
	err := db.SavePluginSettings(ctx, "p", []PluginSettingChange{
		{Key: "mch", Value: "1900000109"}, {Key: "secret", Value: "t0p-s3cret", Sealed: true}, {Key: "pem", Value: "-----BEGIN-----\nabc\n", Sealed: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := db.RawPluginSetting(ctx, "p", "secret")
	if !strings.HasPrefix(raw, sealPrefix) || strings.Contains(raw, "s3cret") {
		t.Fatalf("stored %q", raw)
	}
	got, err := db.PluginSettings(ctx, "p")
	if err != nil || got["secret"] != (PluginSetting{Value: "t0p-s3cret", Sealed: true}) || got["mch"].Value != "1900000109" || got["pem"].Value != "-----BEGIN-----\nabc\n" {
		t.Fatalf("read back %v, %v", got, err)
	}
	// A sealed value moved to another key (or plugin) does not open there.
	if _, err := db.w.ExecContext(ctx, `UPDATE plugin_settings SET value = ? WHERE plugin_id = 'p' AND key = 'pem'`, raw); err != nil {
		t.Fatal(err)
	}
	got, err = db.PluginSettings(ctx, "p")
	if !errors.Is(err, ErrSealedValue) || got["pem"].Value != "" || got["secret"].Value != "t0p-s3cret" {
		t.Fatalf("swapped row: %v, %v", got, err)
	}
	// Another key opens nothing, and says so.
	other := open()
	if err := other.SetSecretKey(bytes.Repeat([]byte{8}, SecretKeySize)); err != nil {
		t.Fatal(err)
	}
	if got, err := other.PluginSettings(ctx, "p"); !errors.Is(err, ErrSealedValue) || got["secret"].Value != "" || got["mch"].Value != "1900000109" {
		t.Fatalf("other key: %v, %v", got, err)
	}
	// Empty removes.
	if err := db.SavePluginSettings(ctx, "p", []PluginSettingChange{{Key: "secret", Sealed: true}, {Key: "pem", Sealed: true}}); err != nil {
		t.Fatal(err)
	}
	if got, err := db.PluginSettings(ctx, "p"); err != nil || len(got) != 1 {
		t.Fatalf("after removing: %v, %v", got, err)
	}
}

func TestPluginStates(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := db.SetPluginState(ctx, "coupon", i%2 == 0); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if err := db.SetPluginState(ctx, "coupon", false); err != nil {
		t.Fatal(err)
	}
	st, err := db.PluginStates(ctx)
	if err != nil || len(st) != 1 || st["coupon"] {
		t.Fatalf("states %v, %v", st, err)
	}
}
