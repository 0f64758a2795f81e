package handlers

import (
	"context"
	"fmt"

	"github.com/gin-gonic/gin"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/store/demo"
	"github.com/xiaodian/xiaodian/store/media"
)

// loadDemo loads the demo shop into the (empty) catalogue.
func (h *Handler) loadDemo(c *gin.Context) error {
	_, err := LoadDemo(c.Request.Context(), h.db, h.media, h.plugins, demo.Options{})
	return err
}

// LoadDemo loads the demo catalogue into an empty shop, then lets every
// plugin that has a demo (plugins.Demoer) set up its activities over it.
func LoadDemo(ctx context.Context, db *store.DB, ms *media.Store, reg *plugins.Registry, opts demo.Options) (demo.Summary, error) {
	sum, err := demo.Load(ctx, db, ms, opts)
	if err != nil {
		return sum, err
	}
	reg.Each(func(p plugins.Plugin, _ bool) {
		if d, ok := p.(plugins.Demoer); ok && err == nil {
			if derr := d.Demo(ctx, db); derr != nil {
				err = fmt.Errorf("demo of plugin %q: %w", p.ID(), derr)
			}
		}
	})
	if err == nil {
		err = demo.LoadTags(ctx, db)
	}
	return sum, err
}
