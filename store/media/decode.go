package media

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"

	"github.com/disintegration/imaging"
	"golang.org/x/image/riff"
	"golang.org/x/image/vp8"
	"golang.org/x/image/vp8l"
	"golang.org/x/image/webp"
)

// Input formats, as sniffed from the first bytes.
const (
	formatJPEG = "jpeg"
	formatPNG  = "png"
	formatGIF  = "gif"
	formatWebP = "webp"
)

// sniff names the format of data from its magic bytes: one of the formats
// above, ErrUnsupported for an image format we refuse, ErrNotImage for
// anything else. The decoders are then called directly rather than through
// image.Decode, whose registry also holds the BMP and TIFF decoders that
// imaging registers.
func sniff(data []byte) (string, error) {
	switch {
	case bytes.HasPrefix(data, []byte("\xff\xd8\xff")):
		return formatJPEG, nil
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return formatPNG, nil
	case bytes.HasPrefix(data, []byte("GIF87a")), bytes.HasPrefix(data, []byte("GIF89a")):
		return formatGIF, nil
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		return formatWebP, nil
	case len(data) >= 26 && string(data[:2]) == "BM" && string(data[6:10]) == "\x00\x00\x00\x00",
		bytes.HasPrefix(data, []byte("II*\x00")), bytes.HasPrefix(data, []byte("MM\x00*")),
		len(data) >= 12 && string(data[4:8]) == "ftyp",    // HEIC, AVIF
		bytes.HasPrefix(data, []byte("\x00\x00\x01\x00")), // ICO
		bytes.HasPrefix(data, []byte("8BPS")):             // Photoshop
		return "", ErrUnsupported
	}
	return "", ErrNotImage
}

// decode validates data and decodes it upright. The dimensions are checked
// against the limits from the header alone, before the decoder allocates the
// pixels.
func (s *Store) decode(data []byte) (image.Image, error) {
	format, err := sniff(data)
	if err != nil {
		return nil, err
	}
	var frame image.Point
	if format == formatWebP {
		// Before DecodeConfig, which fails on the WebP features x/image
		// lacks: those are reported as unsupported, not as broken.
		if frame, err = s.webpFrame(data); err != nil {
			return nil, err
		}
	}
	cfg, err := guard(func() (image.Config, error) { return decodeConfig(format, data) })
	if err != nil {
		return nil, fmt.Errorf("read %s header: %w: %w", format, ErrNotImage, err)
	}
	if err := s.limits.check(cfg.Width, cfg.Height); err != nil {
		return nil, fmt.Errorf("%s of %d×%d: %w", format, cfg.Width, cfg.Height, err)
	}
	if format == formatWebP && frame != image.Pt(cfg.Width, cfg.Height) {
		return nil, fmt.Errorf("webp frame %v on a %d×%d canvas: %w", frame, cfg.Width, cfg.Height, ErrNotImage)
	}
	img, err := guard(func() (image.Image, error) { return decodeFull(format, data) })
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w: %w", format, ErrNotImage, err)
	}
	// A decoder disagreeing with its own header must not slip past the
	// limits either.
	if b := img.Bounds(); s.limits.check(b.Dx(), b.Dy()) != nil {
		return nil, fmt.Errorf("decode %s: %w: decoded %v but header said %d×%d",
			format, ErrNotImage, b, cfg.Width, cfg.Height)
	}
	return img, nil
}

func decodeConfig(format string, data []byte) (image.Config, error) {
	r := bytes.NewReader(data)
	switch format {
	case formatJPEG:
		return jpeg.DecodeConfig(r)
	case formatPNG:
		return png.DecodeConfig(r)
	case formatGIF:
		return gif.DecodeConfig(r)
	case formatWebP:
		return webp.DecodeConfig(r)
	}
	return image.Config{}, fmt.Errorf("unknown format %q", format)
}

// decodeFull decodes a whole image; for an animated GIF, its first frame.
func decodeFull(format string, data []byte) (image.Image, error) {
	r := bytes.NewReader(data)
	switch format {
	case formatJPEG:
		// Phones store pictures sideways plus an EXIF orientation tag.
		return imaging.Decode(r, imaging.AutoOrientation(true))
	case formatPNG:
		return png.Decode(r)
	case formatGIF:
		return gif.Decode(r)
	case formatWebP:
		return webp.Decode(r)
	}
	return nil, fmt.Errorf("unknown format %q", format)
}

// guard runs a decoder and turns a panic into an error: these decoders read
// hostile bytes, and a crash there must not take the shop down.
func guard[T any](fn func() (T, error)) (v T, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("decoder panic: %v", p)
		}
	}()
	return fn()
}

// WebP chunk names.
var (
	fourccVP8  = riff.FourCC{'V', 'P', '8', ' '}
	fourccVP8L = riff.FourCC{'V', 'P', '8', 'L'}
	fourccVP8X = riff.FourCC{'V', 'P', '8', 'X'}
	fourccALPH = riff.FourCC{'A', 'L', 'P', 'H'}
)

// vp8xAlphaOnly is the only VP8X feature set the x/image decoder accepts.
const vp8xAlphaOnly = 1 << 4

// webpFrame returns the size of the frame a WebP file really holds, checked
// against the limits. For an extended (VP8X) file, webp.DecodeConfig reports
// the canvas size but webp.Decode allocates by the frame header without
// comparing the two, so a file could declare a 1×1 canvas over a
// 16383×16383 frame (400 MB) or an alpha plane of the wrong size; decode
// compares this size with the canvas.
func (s *Store) webpFrame(data []byte) (image.Point, error) {
	w, h, err := webpFrameSize(data)
	if err != nil {
		return image.Point{}, fmt.Errorf("read webp frame: %w", err)
	}
	if err := s.limits.check(w, h); err != nil {
		return image.Point{}, fmt.Errorf("webp frame of %d×%d: %w", w, h, err)
	}
	return image.Pt(w, h), nil
}

// webpFrameSize walks the RIFF chunks up to the first frame and returns its
// size from the frame header.
func webpFrameSize(data []byte) (w, h int, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: parser panic: %v", ErrNotImage, p)
		}
	}()
	_, chunks, err := riff.NewReader(bytes.NewReader(data))
	if err != nil {
		return 0, 0, fmt.Errorf("%w: %w", ErrNotImage, err)
	}
	for {
		id, n, chunk, err := chunks.Next()
		if errors.Is(err, io.EOF) {
			return 0, 0, fmt.Errorf("%w: no frame", ErrNotImage)
		}
		if err != nil {
			return 0, 0, fmt.Errorf("%w: %w", ErrNotImage, err)
		}
		switch id {
		case fourccVP8X:
			var flags [1]byte
			if _, err := io.ReadFull(chunk, flags[:]); err != nil {
				return 0, 0, fmt.Errorf("%w: %w", ErrNotImage, err)
			}
			// x/image refuses files declaring animation, ICC, EXIF or XMP.
			if flags[0] != vp8xAlphaOnly {
				return 0, 0, fmt.Errorf("webp features %#x: %w", flags[0], ErrUnsupported)
			}
		case fourccALPH:
			// Sized by the canvas, which must then equal the frame.
		case fourccVP8:
			if int32(n) < 0 {
				return 0, 0, fmt.Errorf("%w: chunk length %d", ErrNotImage, n)
			}
			d := vp8.NewDecoder()
			d.Init(chunk, int(n))
			fh, err := d.DecodeFrameHeader()
			if err != nil {
				return 0, 0, fmt.Errorf("%w: %w", ErrNotImage, err)
			}
			return fh.Width, fh.Height, nil
		case fourccVP8L:
			c, err := vp8l.DecodeConfig(chunk)
			if err != nil {
				return 0, 0, fmt.Errorf("%w: %w", ErrNotImage, err)
			}
			return c.Width, c.Height, nil
		default:
			return 0, 0, fmt.Errorf("%w: unexpected chunk %q", ErrNotImage, id[:])
		}
	}
}
