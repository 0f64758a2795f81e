// Package media validates, re-encodes and stores uploaded images and serves
// their thumbnails.
//
// An upload is checked from its header first (format, width, height) so a
// decompression bomb is refused before any pixel memory is allocated, then
// decoded, turned upright by its EXIF orientation, and re-encoded: JPEG at
// quality 85, or PNG when it has transparency. Re-encoding drops every byte
// of metadata (GPS position, camera serial) along the way. The file is named
// by the sha256 of the re-encoded bytes, so the same picture saved twice is
// stored once:
//
//	dir/ab/ab12…cd.jpg         the original (key "ab12…cd.jpg")
//	dir/ab/ab12…cd_w375.jpg    one thumbnail per declared width
//
// Every file is written to a temporary name and renamed into place, and the
// original is written after its thumbnails, so a reader never sees half a
// file and an original on disk always has its thumbnails.
package media

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"sync"
)

// Limits bound what Save accepts.
type Limits struct {
	MaxBytes  int64 // size of the upload and of the re-encoded original
	MaxPixels int   // width × height
	MaxSide   int   // width and height each
}

// DefaultLimits returns 10 MiB, 40 megapixels and 8000 px a side.
func DefaultLimits() Limits {
	return Limits{MaxBytes: 10 << 20, MaxPixels: 40_000_000, MaxSide: 8000}
}

// check reports ErrTooManyPixels unless a w×h image fits the limits. The
// product is taken in int64 so a forged header cannot overflow it.
func (l Limits) check(w, h int) error {
	if w <= 0 || h <= 0 {
		return ErrNotImage
	}
	if w > l.MaxSide || h > l.MaxSide || int64(w)*int64(h) > int64(l.MaxPixels) {
		return ErrTooManyPixels
	}
	return nil
}

// Image describes a stored original.
type Image struct {
	Key    string // 32 hex digits of the sha256 of the stored bytes plus ".jpg" or ".png"
	Width  int    // after EXIF orientation
	Height int
	Bytes  int64 // size of the stored original
}

// Store keeps images under one directory. It is safe for concurrent use,
// also by several processes sharing the directory.
type Store struct {
	dir    string
	limits Limits
	sizes  []int // ascending, unique

	// regen serialises the rare on-demand thumbnail generation in Path so a
	// burst of requests for a missing size decodes the original once.
	regen sync.Mutex
}

// New opens (creating it if needed) the image directory dir with the given
// limits and thumbnail widths. Widths are sorted and deduplicated; each must
// be between 1 and limits.MaxSide.
func New(dir string, limits Limits, sizes []int) (*Store, error) {
	if dir == "" {
		return nil, errors.New("new media store: empty directory")
	}
	if limits.MaxBytes <= 0 || limits.MaxPixels <= 0 || limits.MaxSide <= 0 {
		return nil, fmt.Errorf("new media store: limits must be positive, got %+v", limits)
	}
	sorted := slices.Clone(sizes)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	for _, s := range sorted {
		if s <= 0 || s > limits.MaxSide {
			return nil, fmt.Errorf("new media store: thumbnail width %d outside 1..%d", s, limits.MaxSide)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("new media store: %w", err)
	}
	return &Store{dir: filepath.Clean(dir), limits: limits, sizes: sorted}, nil
}

// Sizes returns the declared thumbnail widths in ascending order.
func (s *Store) Sizes() []int { return slices.Clone(s.sizes) }

// Limits returns the limits the store enforces, for the {max} arguments of
// the error messages.
func (s *Store) Limits() Limits { return s.limits }

// keyPattern is the only shape of key Path accepts: it has no separator and
// no dot segment, so a key can never name a file outside the store.
var keyPattern = regexp.MustCompile(`^[0-9a-f]{32}\.(jpg|png)$`)

// Path returns the file of the image key: the original for width 0 (or
// less), otherwise the thumbnail of the smallest declared width ≥ width, or
// of the largest one when width exceeds them all (the original when no
// widths are declared). A thumbnail missing on disk, say after the theme
// declared a new width, is made from the original first. The error is
// ErrBadKey for a malformed key and wraps fs.ErrNotExist for an unknown one.
func (s *Store) Path(key string, width int) (string, error) {
	if !keyPattern.MatchString(key) {
		return "", fmt.Errorf("image path %q: %w", key, ErrBadKey)
	}
	orig := s.originalPath(key)
	size := s.pick(width)
	if size == 0 {
		if _, err := os.Stat(orig); err != nil {
			return "", fmt.Errorf("image path: %w", err)
		}
		return orig, nil
	}
	thumb := s.thumbPath(key, size)
	_, err := os.Stat(thumb)
	if err == nil {
		return thumb, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("image path: %w", err)
	}
	if err := s.regenerate(key, size); err != nil {
		return "", fmt.Errorf("image path: %w", err)
	}
	return thumb, nil
}

// Open opens the file Path returns.
func (s *Store) Open(key string, width int) (*os.File, error) {
	p, err := s.Path(key, width)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("open image: %w", err)
	}
	return f, nil
}

// pick maps a requested width to a declared one, 0 meaning the original.
func (s *Store) pick(width int) int {
	if width <= 0 || len(s.sizes) == 0 {
		return 0
	}
	for _, size := range s.sizes {
		if size >= width {
			return size
		}
	}
	return s.sizes[len(s.sizes)-1]
}

// originalPath and thumbPath expect a key that matched keyPattern.
func (s *Store) originalPath(key string) string {
	return filepath.Join(s.dir, key[:2], key)
}

func (s *Store) thumbPath(key string, size int) string {
	base, ext := key[:32], key[32:]
	return filepath.Join(s.dir, key[:2], base+"_w"+strconv.Itoa(size)+ext)
}

// regenerate makes the missing size-wide thumbnail of key from its original.
func (s *Store) regenerate(key string, size int) error {
	s.regen.Lock()
	defer s.regen.Unlock()
	thumb := s.thumbPath(key, size)
	if _, err := os.Stat(thumb); err == nil {
		return nil // made by the request we waited for
	}
	data, err := os.ReadFile(s.originalPath(key))
	if err != nil {
		return fmt.Errorf("regenerate thumbnail: %w", err)
	}
	img, err := s.decode(data)
	if err != nil {
		return fmt.Errorf("regenerate thumbnail %s: %w", key, err)
	}
	if err := writeThumbnail(thumb, img, data, key[32:], size); err != nil {
		return fmt.Errorf("regenerate thumbnail: %w", err)
	}
	return nil
}
