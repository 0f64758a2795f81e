package handlers

import "github.com/gin-gonic/gin"

// shopRoutes registers the storefront pages.
func (h *Handler) shopRoutes(r *gin.Engine) {
}
