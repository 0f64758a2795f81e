// Command xiaodian is a self-hosted distribution mall (微商城分销系统) in one
// binary: the mobile storefront, the back office and the database.
//
//	xiaodian                      start the shop (same as "serve")
//	xiaodian serve --addr :8080 --data ./data
//	xiaodian demo --data ./data   load the demo shop into an empty database
//	xiaodian admin passwd NAME    set a staff password (read twice from stdin)
//	xiaodian migrate              apply database migrations and exit
//	xiaodian bench [--json]       benchmark the storefront on a temporary shop
//	xiaodian version
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // the shop's timezone works on machines without zoneinfo

	"github.com/spf13/viper"

	"github.com/xiaodian/xiaodian/handlers"
	"github.com/xiaodian/xiaodian/handlers/bench"
	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/store/demo"
	"github.com/xiaodian/xiaodian/store/media"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "xiaodian:", err)
		os.Exit(1)
	}
}

// Config is every setting, read once from config.yaml, XIAODIAN_* variables
// and flags (see config.example.yaml).
type Config struct {
	Server struct {
		Addr            string        `mapstructure:"addr"`
		BaseURL         string        `mapstructure:"base_url"`
		TrustedOrigins  []string      `mapstructure:"trusted_origins"`
		TrustedProxies  []string      `mapstructure:"trusted_proxies"`
		ShutdownTimeout time.Duration `mapstructure:"shutdown_timeout"`
	} `mapstructure:"server"`
	Data string `mapstructure:"data"`
	Mode string `mapstructure:"mode"`
	// Timezone is the shop's clock for the times people read (deadlines,
	// order times, daily reports).
	Timezone string `mapstructure:"timezone"`
	Log      struct {
		Level  string `mapstructure:"level"`
		Format string `mapstructure:"format"`
		Access bool   `mapstructure:"access"`
	} `mapstructure:"log"`
	Uploads struct {
		MaxMB         int   `mapstructure:"max_mb"`
		MaxMegapixels int   `mapstructure:"max_megapixels"`
		Sizes         []int `mapstructure:"sizes"`
	} `mapstructure:"uploads"`
	Theme struct {
		Active string `mapstructure:"active"`
	} `mapstructure:"theme"`
	Poster struct {
		// Font is the CJK font file share posters are drawn with; "" =
		// the first one in <data>/fonts/, else the system's.
		Font string `mapstructure:"font"`
	} `mapstructure:"poster"`
	Secrets struct {
		Key string `mapstructure:"key"`
	} `mapstructure:"secrets"`
	// Plugins are plugin settings by plugin id and key (plugins.wechatpay.mch_id).
	Plugins map[string]map[string]string `mapstructure:"plugins"`
	// getenv reads XIAODIAN_PLUGINS_<ID>_<KEY> once the plugins are known.
	getenv func(string) string
}

// loadConfig reads the configuration: defaults, then config.yaml (or the
// file named by --config), then XIAODIAN_* variables, then flags.
func loadConfig(fs *flag.FlagSet, getenv func(string) string) (*Config, error) {
	v := viper.New()
	v.SetDefault("server.addr", ":8080")
	v.SetDefault("server.base_url", "")
	v.SetDefault("server.trusted_origins", []string{})
	v.SetDefault("server.trusted_proxies", []string{})
	v.SetDefault("server.shutdown_timeout", "10s")
	v.SetDefault("data", "./data")
	v.SetDefault("mode", "development")
	v.SetDefault("timezone", "Asia/Shanghai")
	v.SetDefault("log.level", "info")
	v.SetDefault("log.format", "text")
	v.SetDefault("log.access", true)
	v.SetDefault("uploads.max_mb", 10)
	v.SetDefault("uploads.max_megapixels", 40)
	v.SetDefault("uploads.sizes", handlers.DefaultImageSizes)
	v.SetDefault("theme.active", "default")
	v.SetDefault("poster.font", "")
	v.SetDefault("secrets.key", "")

	file := ""
	if f := fs.Lookup("config"); f != nil {
		file = f.Value.String()
	}
	if file == "" {
		file = getenv("XIAODIAN_CONFIG")
	}
	if file != "" {
		v.SetConfigFile(file)
	} else {
		v.SetConfigName("config")
		v.SetConfigType("yaml")
		v.AddConfigPath(".")
	}
	if err := v.ReadInConfig(); err != nil {
		var nf viper.ConfigFileNotFoundError
		if file != "" || !errors.As(err, &nf) {
			return nil, fmt.Errorf("config: %w", err)
		}
	}
	// Environment: XIAODIAN_SERVER_ADDR for server.addr, and so on. Bound
	// explicitly through getenv so tests control the environment.
	for _, key := range v.AllKeys() {
		name := "XIAODIAN_" + strings.ToUpper(strings.NewReplacer(".", "_").Replace(key))
		if val := getenv(name); val != "" {
			v.Set(key, val)
		}
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "addr":
			v.Set("server.addr", f.Value.String())
		case "data":
			v.Set("data", f.Value.String())
		}
	})
	var cfg Config
	if err := v.Unmarshal(&cfg); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	cfg.getenv = getenv
	if cfg.Timezone != "" && cfg.Timezone != "Local" {
		loc, err := time.LoadLocation(cfg.Timezone)
		if err != nil {
			return nil, fmt.Errorf("config: timezone %q: %w", cfg.Timezone, err)
		}
		time.Local = loc
	}
	if cfg.Mode != "development" && cfg.Mode != "production" {
		return nil, fmt.Errorf("config: mode must be development or production, not %q", cfg.Mode)
	}
	return &cfg, nil
}

func newLogger(cfg *Config, w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.Log.Level)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func appConfig(cfg *Config, log *slog.Logger) handlers.AppConfig {
	limits := media.DefaultLimits()
	if cfg.Uploads.MaxMB > 0 {
		limits.MaxBytes = int64(cfg.Uploads.MaxMB) << 20
	}
	if cfg.Uploads.MaxMegapixels > 0 {
		limits.MaxPixels = cfg.Uploads.MaxMegapixels * 1_000_000
	}
	return handlers.AppConfig{
		DataDir: cfg.Data, Mode: cfg.Mode, Theme: cfg.Theme.Active,
		SecureCookies: strings.HasPrefix(cfg.Server.BaseURL, "https://"), BaseURL: cfg.Server.BaseURL,
		TrustedOrigins: cfg.Server.TrustedOrigins, TrustedProxies: cfg.Server.TrustedProxies, AccessLog: cfg.Log.Access,
		UploadLimits: limits, ImageSizes: cfg.Uploads.Sizes, Version: version, Logger: log,
		SecretKey: cfg.Secrets.Key, PluginConfig: cfg.Plugins, Getenv: cfg.getenv,
		PosterFont: cfg.Poster.Font,
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("xiaodian "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.String("config", "", "configuration file (default ./config.yaml if present)")
	fs.String("data", "./data", "data folder (database, uploads, theme overrides)")
	switch cmd {
	case "serve":
		fs.String("addr", ":8080", "address to listen on")
	case "demo":
		fs.Int("extra", 0, "also generate this many extra products (for benchmarks)")
	case "bench":
		return bench.Main(ctx, args, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "xiaodian", version)
		return nil
	case "migrate", "admin":
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	default:
		return fmt.Errorf("unknown command %q\n%s", cmd, usage)
	}
	sub := ""
	if cmd == "admin" && len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:] // "admin passwd --data DIR NAME"
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := loadConfig(fs, getenv)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	switch cmd {
	case "serve":
		return serve(ctx, cfg, log)
	case "demo":
		extra := fs.Lookup("extra").Value.(flag.Getter).Get().(int)
		return loadDemo(ctx, cfg, log, extra, stdout)
	case "migrate":
		app, err := handlers.OpenApp(ctx, appConfig(cfg, log))
		if err != nil {
			return err
		}
		defer app.Close()
		names, err := app.DB.Migrations(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "database %s is up to date: %d migrations applied\n", filepath.Join(cfg.Data, "xiaodian.db"), len(names))
		return nil
	case "admin":
		return adminCmd(ctx, cfg, log, append([]string{sub}, fs.Args()...), stdin, stdout)
	}
	return nil
}

const usage = `usage: xiaodian [command] [flags]

commands:
  serve    start the shop (the default)       --addr :8080 --data ./data --config config.yaml
  demo     load the demo shop into an empty database   --data ./data [--extra N]
  admin    staff accounts: "admin passwd [--data DIR] USERNAME" (password read twice from stdin)
  migrate  apply database migrations and exit
  bench    benchmark the storefront on a temporary demo shop   [--json]
  version  print the version`

func serve(ctx context.Context, cfg *Config, log *slog.Logger) error {
	app, err := handlers.OpenApp(ctx, appConfig(cfg, log))
	if err != nil {
		return err
	}
	defer app.Close()
	ln, err := net.Listen("tcp", cfg.Server.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler:           app.HTTP,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    1 << 20,
	}
	has, err := app.DB.HasOwner(ctx)
	if err != nil {
		return err
	}
	log.Info("xiaodian is serving", "addr", ln.Addr().String(), "data", cfg.Data, "mode", cfg.Mode, "version", version)
	if !has {
		log.Info("first run: open /admin to create the owner account (and load the demo shop)", "url", "http://"+displayAddr(ln.Addr())+"/admin")
	}
	// Start-up (migrations, theme parsing, asset hashing) leaves garbage the
	// runtime would hand back to the OS only slowly; return it now so an idle
	// shop stays small.
	debug.FreeOSMemory()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	go app.Handler.RunJobs(ctx)
	if cfg.Mode == "development" {
		// Pick up edits of theme folders under data/themes without a restart.
		go app.Themes.Watch(ctx, 2*time.Second)
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), cfg.Server.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	app.Handler.WaitBackground() // late-payment refunds under way
	return nil
}

func displayAddr(a net.Addr) string {
	s := a.String()
	if strings.HasPrefix(s, "[::]:") || strings.HasPrefix(s, "0.0.0.0:") {
		return "localhost:" + s[strings.LastIndex(s, ":")+1:]
	}
	return s
}

func loadDemo(ctx context.Context, cfg *Config, log *slog.Logger, extra int, stdout io.Writer) error {
	app, err := handlers.OpenApp(ctx, appConfig(cfg, log))
	if err != nil {
		return err
	}
	defer app.Close()
	start := time.Now()
	sum, err := handlers.LoadDemo(ctx, app.DB, app.Media, app.Plugins, demo.Options{Extra: extra})
	if errors.Is(err, demo.ErrNotEmpty) {
		fmt.Fprintln(stdout, "The database already holds a catalogue; the demo shop is only loaded into an empty one. Nothing was changed.")
		fmt.Fprintln(stdout, "数据库中已有商品数据，演示店铺只能加载到空数据库中，未做任何修改。")
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "demo shop loaded in %s: %d categories, %d brands, %d products, %d SKUs, %d banners\n",
		time.Since(start).Round(time.Millisecond), sum.Categories, sum.Brands, sum.Products, sum.SKUs, sum.Banners)
	return nil
}

func adminCmd(ctx context.Context, cfg *Config, log *slog.Logger, args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) != 2 || args[0] != "passwd" {
		return fmt.Errorf("usage: xiaodian admin passwd USERNAME (the new password is read from stdin, twice)")
	}
	app, err := handlers.OpenApp(ctx, appConfig(cfg, log))
	if err != nil {
		return err
	}
	defer app.Close()
	if _, err := app.DB.StaffByUsername(ctx, args[1]); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("no staff account %q", args[1])
		}
		return err
	}
	in := bufio.NewScanner(stdin)
	fmt.Fprint(stdout, "new password: ")
	in.Scan()
	pw := in.Text()
	fmt.Fprint(stdout, "\nagain: ")
	in.Scan()
	if in.Text() != pw {
		return fmt.Errorf("the two passwords differ; nothing changed")
	}
	fmt.Fprintln(stdout)
	if err := app.DB.SetStaffPassword(ctx, args[1], pw); err != nil {
		var ve store.ValidationErrors
		if errors.As(err, &ve) {
			return fmt.Errorf("password refused: at least %d characters", store.MinPasswordLen)
		}
		return err
	}
	fmt.Fprintf(stdout, "password of %q changed; their sessions were signed out\n", args[1])
	return nil
}
