package handlers

import (
	"context"
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/store/media"
	"github.com/xiaodian/xiaodian/views/admin"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// maxUploadFiles is how many files one request may carry.
const maxUploadFiles = store.MaxImages

// multipartMemory is how much of a multipart body is held in memory; the
// rest of the files goes to temporary files the server removes afterwards.
const multipartMemory = 8 << 20

// uploadFields are the image fields of the back-office forms, each with
// whether it holds several images (a gallery) or one.
var uploadFields = map[string]bool{"images": true, "icon": false, "logo": false, "image": false}

// uploadField reads the picker field a request is for, "images" by default.
func uploadField(c *gin.Context) (field string, multiple bool) {
	field = c.Query("field")
	multiple, ok := uploadFields[field]
	if !ok {
		return "images", true
	}
	return field, multiple
}

// uploadLimit is the largest body a back-office form or upload may have:
// maxUploadFiles images at the media store's limit plus room for the fields.
func (h *Handler) uploadLimit() int64 {
	return h.media.Limits().MaxBytes*maxUploadFiles + 1<<20
}

// parseAdminForm reads a urlencoded or multipart form body under
// uploadLimit. A body over the limit is a validation error on "file".
func (h *Handler) parseAdminForm(c *gin.Context) error {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, h.uploadLimit())
	err := c.Request.ParseMultipartForm(multipartMemory)
	if err == nil || errors.Is(err, http.ErrNotMultipart) {
		return nil
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return store.Invalid("file", "validation.image_too_large", "max", humanBytes(h.media.Limits().MaxBytes))
	}
	return fmt.Errorf("parse form: %w: %v", ErrBadRequest, err)
}

// upload stores the images posted as "file" (the field may repeat). It
// answers JSON {"keys": [...]} to a client that accepts JSON, and otherwise
// the re-rendered picker of the field named by ?field=, holding the images
// posted in that field plus the new ones. A refused file gives 422 and a
// message in the uploader's language.
func (h *Handler) upload(c *gin.Context) error {
	field, multiple := uploadField(c)
	wantJSON := strings.Contains(c.GetHeader("Accept"), "application/json")
	if err := h.parseAdminForm(c); err != nil {
		return h.uploadFailed(c, field, wantJSON, false, err)
	}
	var have []string
	if multiple {
		have = h.cleanImageKeys(c.Request.PostForm[field])
	}
	keys, err := h.saveUploads(c, field, len(have))
	if err == nil && len(keys) == 0 {
		err = store.Invalid(field, "admin.upload_none")
	}
	if err != nil {
		return h.uploadFailed(c, field, wantJSON, true, err)
	}
	if wantJSON {
		c.JSON(http.StatusOK, gin.H{"keys": keys})
		return nil
	}
	p := admin.Picker{Field: field, Multiple: multiple, Keys: keys[len(keys)-1:]}
	if multiple {
		p.Keys = dedupe(append(have, keys...))
	}
	h.render(c, http.StatusOK, admin.PickerView(p))
	return nil
}

// uploadFailed answers a refused upload with 422: JSON {"error": ...}; for
// htmx the picker again, with the images it had, the message and an empty
// file input (or, when the body was not parsed and so the images are not
// known, just the message in the picker's message area); otherwise the
// message alone.
func (h *Handler) uploadFailed(c *gin.Context, field string, wantJSON, parsed bool, err error) error {
	msg, ok := validationMessage(c.Request.Context(), err)
	if !ok {
		return err
	}
	switch {
	case wantJSON:
		c.JSON(http.StatusUnprocessableEntity, gin.H{"error": msg})
	case isHTMX(c) && parsed:
		multiple := uploadFields[field]
		keys := h.cleanImageKeys(c.Request.PostForm[field])
		if !multiple && len(keys) > 1 {
			keys = keys[:1]
		}
		h.render(c, http.StatusUnprocessableEntity, admin.PickerView(admin.Picker{Field: field, Multiple: multiple, Keys: keys, Error: msg}))
	case isHTMX(c):
		c.Header("HX-Retarget", "#"+admin.Picker{Field: field}.ErrorID())
		c.Header("HX-Reswap", "innerHTML")
		h.render(c, http.StatusUnprocessableEntity, admin.UploadError(msg))
	default:
		h.render(c, http.StatusUnprocessableEntity, admin.UploadError(msg))
	}
	return nil
}

// saveUploads stores the files of a parsed form posted as "file" for the
// picker field, which holds have images already. A refused file ends the
// batch with a *store.ValidationError on field naming the file; the files
// saved before it stay on disk, where an unused image costs nothing but space.
func (h *Handler) saveUploads(c *gin.Context, field string, have int) ([]string, error) {
	var files []*multipart.FileHeader
	if mf := c.Request.MultipartForm; mf != nil {
		for _, fh := range mf.File["file"] {
			// An empty file input is posted as a part without name or bytes.
			if fh.Filename == "" && fh.Size == 0 {
				continue
			}
			files = append(files, fh)
		}
	}
	if len(files) > maxUploadFiles || (uploadFields[field] && have+len(files) > store.MaxImages) {
		return nil, store.Invalid(field, "validation.too_many_images", "max", store.MaxImages)
	}
	keys := make([]string, 0, len(files))
	for _, fh := range files {
		img, err := h.saveUpload(fh)
		var refused *media.Error
		if errors.As(err, &refused) {
			return nil, store.Invalid(field, "admin.upload_refused",
				"name", displayFileName(fh.Filename), "reason", h.refusalReason(c.Request.Context(), refused))
		}
		if err != nil {
			return nil, err
		}
		keys = append(keys, img.Key)
	}
	return keys, nil
}

func (h *Handler) saveUpload(fh *multipart.FileHeader) (media.Image, error) {
	f, err := fh.Open()
	if err != nil {
		return media.Image{}, fmt.Errorf("open upload: %w", err)
	}
	defer f.Close()
	img, err := h.media.Save(f)
	if err != nil {
		return media.Image{}, fmt.Errorf("save upload: %w", err)
	}
	return img, nil
}

// refusalReason is the friendly text of a refused image with its limit.
func (h *Handler) refusalReason(ctx context.Context, e *media.Error) string {
	lim := h.media.Limits()
	switch e {
	case media.ErrTooLarge:
		return i18n.Tc(ctx, e.Key, "max", humanBytes(lim.MaxBytes))
	case media.ErrTooManyPixels:
		return i18n.Tc(ctx, e.Key, "max", lim.MaxSide)
	default:
		return i18n.Tc(ctx, e.Key)
	}
}

// displayFileName is the base name of an uploaded file, cut to a length
// that fits a message.
func displayFileName(name string) string {
	name = filepath.Base(strings.ReplaceAll(name, `\`, "/"))
	if utf8.RuneCountInString(name) > 40 {
		name = string([]rune(name)[:40]) + "…"
	}
	return name
}

// humanBytes writes a byte limit as people read it, e.g. "10 MB".
func humanBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", n>>10)
	default:
		return fmt.Sprintf("%d B", n)
	}
}

// cleanImageKeys keeps the posted image keys that name a stored image, each
// once, in order: hidden inputs come back from the browser and may have been
// edited.
func (h *Handler) cleanImageKeys(keys []string) []string {
	var out []string
	for _, k := range keys {
		k = strings.TrimSpace(k)
		if k == "" || slices.Contains(out, k) {
			continue
		}
		if _, err := h.media.Path(k, 0); err != nil {
			continue
		}
		out = append(out, k)
	}
	return out
}

// adminGallery applies a picker button (remove an image, move it one place
// towards the cover) and answers the re-rendered picker, for htmx.
func (h *Handler) adminGallery(c *gin.Context) error {
	field, multiple := uploadField(c)
	if err := h.parseAdminForm(c); err != nil {
		return h.formUnreadable(c, err)
	}
	keys := applyGalleryOp(h.cleanImageKeys(c.PostFormArray(field)), c.PostForm("gallery_op"))
	if !multiple && len(keys) > 1 {
		keys = keys[:1]
	}
	h.render(c, http.StatusOK, admin.PickerView(admin.Picker{Field: field, Multiple: multiple, Keys: keys}))
	return nil
}

// applyGalleryOp applies a picker button's value to keys: "remove:KEY"
// drops the image, "left:KEY" swaps it with the one before. Anything else
// leaves keys as they are.
func applyGalleryOp(keys []string, op string) []string {
	verb, key, ok := strings.Cut(op, ":")
	i := slices.Index(keys, key)
	if !ok || i < 0 {
		return keys
	}
	out := slices.Clone(keys)
	switch verb {
	case "remove":
		return slices.Delete(out, i, i+1)
	case "left":
		if i > 0 {
			out[i-1], out[i] = out[i], out[i-1]
		}
	}
	return out
}

// dedupe drops repeated strings, keeping the first of each.
func dedupe(s []string) []string {
	out := make([]string, 0, len(s))
	for _, v := range s {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}
