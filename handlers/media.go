package handlers

import (
	"errors"
	"io/fs"
	"mime"
	"net/http"
	"path/filepath"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/xiaodian/xiaodian/store/media"
)

// maxMediaWidth bounds ?w= of /media/:key.
const maxMediaWidth = 4000

// serveMedia serves a stored image: the original, or with ?w= the
// thumbnail of the smallest declared width at least that wide. Keys are
// content hashes, so every answer is cached for a year as immutable; a bad or
// unknown key is a plain 404.
func (h *Handler) serveMedia(c *gin.Context) error {
	width := 0
	if w := c.Query("w"); w != "" {
		n, err := strconv.Atoi(w)
		if err != nil || n < 0 || n > maxMediaWidth {
			c.String(http.StatusBadRequest, "400 bad width")
			return nil
		}
		width = n
	}
	f, err := h.media.Open(c.Param("key"), width)
	if errors.Is(err, media.ErrBadKey) || errors.Is(err, fs.ErrNotExist) {
		c.String(http.StatusNotFound, "404 image not found")
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	name := filepath.Base(f.Name())
	hd := c.Writer.Header()
	hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	hd.Set("ETag", `"`+name+`"`)
	if ct := mime.TypeByExtension(filepath.Ext(name)); ct != "" {
		hd.Set("Content-Type", ct)
	}
	// ServeContent answers If-None-Match, Range and HEAD.
	http.ServeContent(c.Writer, c.Request, name, time.Time{}, f)
	return nil
}
