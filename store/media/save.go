package media

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"path/filepath"

	"github.com/disintegration/imaging"
)

// jpegQuality is the re-encoding quality: visually lossless for product
// photos at about a third of the size of a camera's own JPEG.
const jpegQuality = 85

// Save reads an uploaded image from r (at most Limits.MaxBytes of it),
// re-encodes it and stores it with its thumbnails. Saving the same bytes
// again returns the same Image and writes nothing. A refused upload yields an
// error wrapping ErrTooLarge, ErrNotImage, ErrTooManyPixels or ErrUnsupported;
// any other error is the server's.
func (s *Store) Save(r io.Reader) (Image, error) {
	data, err := io.ReadAll(io.LimitReader(r, s.limits.MaxBytes+1))
	if err != nil {
		return Image{}, fmt.Errorf("save image: read upload: %w", err)
	}
	if int64(len(data)) > s.limits.MaxBytes {
		return Image{}, fmt.Errorf("save image: over %d bytes: %w", s.limits.MaxBytes, ErrTooLarge)
	}
	img, err := s.decode(data)
	if err != nil {
		return Image{}, fmt.Errorf("save image: %w", err)
	}
	return s.store(img)
}

// SaveImage stores an image built in memory, such as a generated product
// picture, exactly as Save stores a decoded upload.
func (s *Store) SaveImage(img image.Image) (Image, error) {
	if img == nil {
		return Image{}, fmt.Errorf("save image: nil image: %w", ErrNotImage)
	}
	b := img.Bounds()
	if err := s.limits.check(b.Dx(), b.Dy()); err != nil {
		return Image{}, fmt.Errorf("save image of %d×%d: %w", b.Dx(), b.Dy(), err)
	}
	return s.store(img)
}

// store encodes img, names it by its hash and writes it and its thumbnails.
func (s *Store) store(img image.Image) (Image, error) {
	ext := ".jpg"
	if hasAlpha(img) {
		ext = ".png"
	}
	data, err := encode(img, ext)
	if err != nil {
		return Image{}, fmt.Errorf("save image: %w", err)
	}
	// A small file can decode to a pattern no JPEG encoder compresses
	// (a 6000×6000 checkerboard in a few KB of PNG); the limit on disk use
	// per upload must hold after re-encoding too.
	if int64(len(data)) > s.limits.MaxBytes {
		return Image{}, fmt.Errorf("save image: re-encoded to %d bytes: %w", len(data), ErrTooLarge)
	}
	sum := sha256.Sum256(data)
	key := hex.EncodeToString(sum[:16]) + ext
	b := img.Bounds()
	meta := Image{Key: key, Width: b.Dx(), Height: b.Dy(), Bytes: int64(len(data))}

	orig := s.originalPath(key)
	if _, err := os.Stat(orig); err == nil {
		return meta, nil // the original is written last: its thumbnails exist
	} else if !errors.Is(err, os.ErrNotExist) {
		return Image{}, fmt.Errorf("save image: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(orig), 0o755); err != nil {
		return Image{}, fmt.Errorf("save image: %w", err)
	}
	for _, size := range s.sizes {
		if err := writeThumbnail(s.thumbPath(key, size), img, data, ext, size); err != nil {
			return Image{}, fmt.Errorf("save image: %w", err)
		}
	}
	if err := writeFile(orig, data); err != nil {
		return Image{}, fmt.Errorf("save image: %w", err)
	}
	return meta, nil
}

// writeThumbnail writes img scaled down to size pixels wide, keeping its
// aspect ratio, to path. The height is left free so that a tall detail
// picture (详情长图) stays legible at every width. An image already narrow
// enough is never scaled up: its thumbnail is a copy of the original bytes.
func writeThumbnail(path string, img image.Image, orig []byte, ext string, size int) error {
	b := img.Bounds()
	if b.Dx() <= size {
		return writeFile(path, orig)
	}
	data, err := encode(imaging.Fit(img, size, b.Dy(), imaging.Lanczos), ext)
	if err != nil {
		return fmt.Errorf("thumbnail w%d: %w", size, err)
	}
	return writeFile(path, data)
}

// hasAlpha reports whether any pixel of img is not fully opaque. Every
// standard image type answers through its Opaque method.
func hasAlpha(img image.Image) bool {
	if o, ok := img.(interface{ Opaque() bool }); ok {
		return !o.Opaque()
	}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if _, _, _, a := img.At(x, y).RGBA(); a != 0xffff {
				return true
			}
		}
	}
	return false
}

// encode writes img as PNG for ".png" and as JPEG otherwise. Both encoders
// are deterministic, which the content addressing relies on.
func encode(img image.Image, ext string) ([]byte, error) {
	var buf bytes.Buffer
	var err error
	if ext == ".png" {
		err = png.Encode(&buf, img)
	} else {
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: jpegQuality})
	}
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", ext, err)
	}
	return buf.Bytes(), nil
}

// writeFile puts data at path atomically: readers see the old file or the
// whole new one. Two writers of the same content-addressed file simply
// replace identical bytes.
func writeFile(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	return nil
}
