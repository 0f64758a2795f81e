package handlers

import "github.com/gin-gonic/gin"

// adminRoutes registers the back-office pages behind requireStaff.
func (h *Handler) adminRoutes(g *gin.RouterGroup) {
}
