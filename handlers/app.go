package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/plugins/builtin"
	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/store/media"
	"github.com/xiaodian/xiaodian/themes"
)

// AppConfig is what it takes to assemble a running shop from a data folder.
type AppConfig struct {
	DataDir        string
	Mode           string
	Theme          string
	SecureCookies  bool
	BaseURL        string // the shop's public address, e.g. https://shop.example.com
	TrustedOrigins []string
	TrustedProxies []string
	AccessLog      bool
	UploadLimits   media.Limits
	ImageSizes     []int
	Version        string
	Logger         *slog.Logger
	// SecretKey seals the secret plugin settings (secrets.key): 64 hex
	// digits or base64 of 32 bytes. Empty: the data folder's secret.key,
	// made on first start.
	SecretKey string
	// PluginConfig holds plugin settings from the config file
	// (plugins.<id>.<key>); Getenv reads XIAODIAN_PLUGINS_<ID>_<KEY>, which
	// win. Both are locked in the back office.
	PluginConfig map[string]map[string]string
	Getenv       func(string) string
	// Plugins are the plugins to load; nil means builtin.Plugins().
	Plugins []plugins.Plugin
	// PosterFont is the share posters' font file (poster.font); "" = look
	// in DataDir/fonts/, then the system's fonts.
	PosterFont string
}

// App is an assembled shop: database, media, themes, plugins and the HTTP
// handler. main serves it; the benchmark harness starts one on a temporary
// folder.
type App struct {
	DB      *store.DB
	Media   *media.Store
	Plugins *plugins.Registry
	Themes  *themes.Registry
	Handler *Handler
	HTTP    http.Handler
}

// DefaultImageSizes are the thumbnail widths made for every upload, the
// sizes the default theme shows images at (list card, full width, 2x).
var DefaultImageSizes = []int{160, 375, 750}

// OpenApp opens the database in cfg.DataDir (creating the folder), applies
// migrations, loads the plugins and themes and builds the router.
func OpenApp(ctx context.Context, cfg AppConfig) (*App, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.UploadLimits == (media.Limits{}) {
		cfg.UploadLimits = media.DefaultLimits()
	}
	if len(cfg.ImageSizes) == 0 {
		cfg.ImageSizes = DefaultImageSizes
	}
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("data folder: %w", err)
	}
	db, err := store.Open(ctx, filepath.Join(cfg.DataDir, "xiaodian.db"))
	if err != nil {
		return nil, err
	}
	app := &App{DB: db}
	fail := func(err error) (*App, error) {
		return nil, errors.Join(err, db.Close())
	}
	key, keySource, err := loadSecretKey(cfg.SecretKey, cfg.DataDir)
	if err != nil {
		return fail(err)
	}
	if err := db.SetSecretKey(key); err != nil {
		return fail(err)
	}
	cfg.Logger.Debug("secret plugin settings sealed", "key", keySource)
	if app.Media, err = media.New(filepath.Join(cfg.DataDir, "uploads"), cfg.UploadLimits, cfg.ImageSizes); err != nil {
		return fail(err)
	}
	app.Plugins = plugins.NewRegistry()
	list := cfg.Plugins
	if list == nil {
		list = builtin.Plugins()
	}
	if err := plugins.Load(app.Plugins, list); err != nil {
		return fail(err)
	}
	if err := applyPluginStates(ctx, db, app.Plugins); err != nil {
		return fail(err)
	}
	if err := migratePlugins(ctx, db, app.Plugins); err != nil {
		return fail(err)
	}
	overrides, err := pluginOverrides(app.Plugins, cfg.PluginConfig, cfg.Getenv)
	if err != nil {
		return fail(err)
	}
	// The registry runs the price pipeline and the order events.
	app.Plugins.SetStore(db)
	db.SetPricer(app.Plugins)
	db.SetOrderHook(app.Plugins.OrderHook())
	db.SetAdmitter(app.Plugins)
	if app.Themes, err = themes.NewRegistry(cfg.DataDir, cfg.Theme, cfg.Logger); err != nil {
		return fail(err)
	}
	if err := applyStoredThemeSettings(ctx, db, app.Themes, cfg.Logger); err != nil {
		return fail(err)
	}
	app.Handler, err = New(ctx, Options{
		DB: db, Media: app.Media, Plugins: app.Plugins, Themes: app.Themes, Logger: cfg.Logger,
		Mode: cfg.Mode, SecureCookies: cfg.SecureCookies, BaseURL: cfg.BaseURL, TrustedOrigins: cfg.TrustedOrigins, TrustedProxies: cfg.TrustedProxies,
		AccessLog: cfg.AccessLog, Version: cfg.Version, PluginOverrides: overrides,
		DataDir: cfg.DataDir, PosterFont: cfg.PosterFont,
	})
	if err != nil {
		return fail(err)
	}
	// Payment providers get their environment, then every plugin its
	// settings.
	app.Handler.startPayments(ctx)
	app.Handler.configurePlugins(ctx)
	app.HTTP = app.Handler.Router()
	return app, nil
}

// Close closes the database.
func (a *App) Close() error { return a.DB.Close() }

// migratePlugins applies the plugins' own migrations, enabled or not: a
// plugin switched on later finds its tables ready.
func migratePlugins(ctx context.Context, db *store.DB, reg *plugins.Registry) error {
	var err error
	reg.Each(func(p plugins.Plugin, _ bool) {
		if m, ok := p.(plugins.Migrator); ok && err == nil {
			err = db.ApplyMigrations(ctx, p.ID(), m.Migrations(), "migrations")
		}
	})
	return err
}
