package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xiaodian/xiaodian/handlers"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(file, []byte("server:\n  addr: \":7000\"\ndata: ./from-file\nlog:\n  level: debug\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	newFS := func(args ...string) *flag.FlagSet {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.String("config", "", "")
		fs.String("data", "./data", "")
		fs.String("addr", ":8080", "")
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		return fs
	}
	// Defaults alone.
	cfg, err := loadConfig(newFS("--config", ""), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Server.Addr != ":8080" || cfg.Data != "./data" || cfg.Mode != "development" || len(cfg.Uploads.Sizes) == 0 {
		t.Fatalf("defaults: %+v", cfg)
	}
	// File over defaults, env over file, flags over env.
	cfg, err = loadConfig(newFS("--config", file), env(map[string]string{"XIAODIAN_DATA": "./from-env", "XIAODIAN_LOG_FORMAT": "json"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Server.Addr != ":7000" || cfg.Data != "./from-env" || cfg.Log.Level != "debug" || cfg.Log.Format != "json" {
		t.Fatalf("file+env: %+v", cfg)
	}
	cfg, err = loadConfig(newFS("--config", file, "--data", "./from-flag", "--addr", ":9000"), env(map[string]string{"XIAODIAN_DATA": "./from-env"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Server.Addr != ":9000" || cfg.Data != "./from-flag" {
		t.Fatalf("flags: %+v", cfg)
	}
	// A named file that is missing, or a bad mode, is an error.
	if _, err := loadConfig(newFS("--config", filepath.Join(dir, "nope.yaml")), env(nil)); err == nil {
		t.Fatal("missing config file accepted")
	}
	if _, err := loadConfig(newFS(), env(map[string]string{"XIAODIAN_MODE": "staging"})); err == nil {
		t.Fatal("bad mode accepted")
	}
}

// TestConfigPluginsAndSecrets: config.example.yaml loads as shipped, and
// with its plugin section filled in the values reach the shop's plugins
// (bools as the form stores them); a bad timezone is refused.
func TestConfigPluginsAndSecrets(t *testing.T) {
	fs := func(args ...string) *flag.FlagSet {
		f := flag.NewFlagSet("t", flag.ContinueOnError)
		f.String("config", "", "")
		if err := f.Parse(args); err != nil {
			t.Fatal(err)
		}
		return f
	}
	if _, err := loadConfig(fs("--config", "config.example.yaml"), env(nil)); err != nil {
		t.Fatalf("config.example.yaml: %v", err)
	}
	example, err := os.ReadFile("config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// Uncomment the plugin example, as an owner would.
	filled := strings.ReplaceAll(string(example), "\n#  ", "\n  ")
	file := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(file, []byte(filled), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(fs("--config", file), env(nil))
	if err != nil {
		t.Fatalf("filled example: %v", err)
	}
	wx := cfg.Plugins["wechatpay"]
	if wx["mch_id"] != "1900000109" || wx["mch_private_key"] != "file:/etc/xiaodian/apiclient_key.pem" || cfg.Plugins["alipay"]["key_mode"] != "public_key" {
		t.Fatalf("plugins %v", cfg.Plugins)
	}
	if got := wx["platform_certs"]; got != "0" && got != "false" {
		t.Fatalf("platform_certs %q", got)
	}
	if _, err := loadConfig(fs(), env(map[string]string{"XIAODIAN_TIMEZONE": "Mars/Olympus"})); err == nil {
		t.Fatal("a bad timezone accepted")
	}
}

func TestCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the demo shop")
	}
	ctx := context.Background()
	data := t.TempDir()
	cmd := func(stdin string, args ...string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, args, env(map[string]string{"XIAODIAN_LOG_LEVEL": "error"}), strings.NewReader(stdin), &out, io.Discard)
		return out.String(), err
	}
	if out, err := cmd("", "version"); err != nil || !strings.HasPrefix(out, "xiaodian ") {
		t.Fatalf("version: %q %v", out, err)
	}
	if _, err := cmd("", "frobnicate"); err == nil {
		t.Fatal("unknown command accepted")
	}
	if out, err := cmd("", "migrate", "--data", data); err != nil || !strings.Contains(out, "up to date") {
		t.Fatalf("migrate: %q %v", out, err)
	}
	if out, err := cmd("", "demo", "--data", data); err != nil || !strings.Contains(out, "demo shop loaded") {
		t.Fatalf("demo: %q %v", out, err)
	}
	// A second demo refuses politely and changes nothing.
	if out, err := cmd("", "demo", "--data", data); err != nil || !strings.Contains(out, "Nothing was changed") {
		t.Fatalf("second demo: %q %v", out, err)
	}
	// admin passwd needs an existing account and two equal passwords.
	if _, err := cmd("new password 1\nnew password 1\n", "admin", "passwd", "--data", data, "boss"); err == nil {
		t.Fatal("passwd for a missing account accepted")
	}
	app, err := handlers.OpenApp(ctx, handlers.AppConfig{DataDir: data, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.DB.CreateOwner(ctx, "boss", "old password"); err != nil {
		t.Fatal(err)
	}
	app.Close()
	if _, err := cmd("new password 1\nnew password 2\n", "admin", "passwd", "--data", data, "boss"); err == nil {
		t.Fatal("two different passwords accepted")
	}
	if _, err := cmd("short\nshort\n", "admin", "passwd", "--data", data, "boss"); err == nil {
		t.Fatal("a short password accepted")
	}
	if out, err := cmd("new password 1\nnew password 1\n", "admin", "passwd", "--data", data, "boss"); err != nil || !strings.Contains(out, "changed") {
		t.Fatalf("passwd: %q %v", out, err)
	}
	app, err = handlers.OpenApp(ctx, handlers.AppConfig{DataDir: data, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	if _, err := app.DB.AuthenticateStaff(ctx, "boss", "new password 1"); err != nil {
		t.Fatalf("new password does not work: %v", err)
	}
	if _, err := os.Stat("data"); err == nil {
		t.Fatal("a command wrote into ./data instead of --data")
	}
}
