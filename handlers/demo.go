package handlers

import (
	"github.com/gin-gonic/gin"

	"github.com/xiaodian/xiaodian/store/demo"
)

// loadDemo loads the demo shop into the (empty) catalogue.
func (h *Handler) loadDemo(c *gin.Context) error {
	_, err := demo.Load(c.Request.Context(), h.db, h.media, demo.Options{})
	return err
}
