package media

import (
	"bytes"
	"compress/zlib"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// testSizes are the thumbnail widths most tests declare.
var testSizes = []int{160, 375, 750}

func newTestStore(t testing.TB, limits Limits, sizes ...int) (*Store, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "uploads")
	s, err := New(dir, limits, sizes)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s, dir
}

// picture draws a w×h gradient with some detail, so encoders cannot shrink it
// to nothing; with alpha, the left half fades out.
func picture(w, h int, alpha bool) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			a := uint8(255)
			if alpha && x < w/2 {
				a = uint8(x * 255 / max(w/2, 1))
			}
			img.SetNRGBA(x, y, color.NRGBA{
				R: uint8(x * 255 / w), G: uint8(y * 255 / h), B: uint8((x ^ y) & 0xff), A: a,
			})
		}
	}
	return img
}

func jpegBytes(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatalf("encode jpeg: %v", err)
	}
	return buf.Bytes()
}

func pngBytes(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatalf("encode png: %v", err)
	}
	return buf.Bytes()
}

// gifBytes encodes a two-colour w×h GIF; with transparent, colour 0 is
// transparent.
func gifBytes(t testing.TB, w, h int, transparent bool) []byte {
	t.Helper()
	first := color.Color(color.RGBA{200, 30, 30, 255})
	if transparent {
		first = color.RGBA{}
	}
	img := image.NewPaletted(image.Rect(0, 0, w, h), color.Palette{first, color.RGBA{30, 30, 200, 255}})
	for y := range h {
		for x := range w {
			img.SetColorIndex(x, y, uint8((x/10+y/10)%2))
		}
	}
	var buf bytes.Buffer
	if err := gif.Encode(&buf, img, nil); err != nil {
		t.Fatalf("encode gif: %v", err)
	}
	return buf.Bytes()
}

// withOrientation inserts an EXIF APP1 segment carrying the orientation tag
// right after the SOI marker of a JPEG.
func withOrientation(t testing.TB, jpg []byte, orientation uint16) []byte {
	t.Helper()
	tiff := []byte{'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, // header, IFD at 8, one entry
		0x01, 0x12, 0, 3, 0, 0, 0, 1, byte(orientation >> 8), byte(orientation), 0, 0, // SHORT orientation
		0, 0, 0, 0} // no next IFD
	payload := append([]byte("Exif\x00\x00"), tiff...)
	segment := []byte{0xff, 0xe1, 0, 0}
	binary.BigEndian.PutUint16(segment[2:], uint16(len(payload)+2))
	segment = append(segment, payload...)
	out := append([]byte{}, jpg[:2]...)
	out = append(out, segment...)
	return append(out, jpg[2:]...)
}

// pngChunk frames one PNG chunk with its CRC.
func pngChunk(typ string, data []byte) []byte {
	out := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	out = append(out, typ...)
	out = append(out, data...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(append([]byte(typ), data...)))
}

// pngBomb is a well-formed PNG header claiming w×h RGB pixels followed by a
// tiny IDAT: a decoder trusting it would allocate w×h×3 bytes.
func pngBomb(t testing.TB, w, h uint32) []byte {
	t.Helper()
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 2, 0, 0, 0) // 8-bit RGB, no interlace
	var idat bytes.Buffer
	zw := zlib.NewWriter(&idat)
	if _, err := zw.Write(make([]byte, 64)); err != nil {
		t.Fatalf("zlib: %v", err)
	}
	if err := zw.Close(); err != nil {
		t.Fatalf("zlib: %v", err)
	}
	out := []byte("\x89PNG\r\n\x1a\n")
	out = append(out, pngChunk("IHDR", ihdr)...)
	out = append(out, pngChunk("IDAT", idat.Bytes())...)
	return append(out, pngChunk("IEND", nil)...)
}

// webpFile wraps chunks (each "FOURCC"+payload) in a RIFF WEBP container.
func webpFile(chunks ...[]byte) []byte {
	var body []byte
	body = append(body, "WEBP"...)
	for _, c := range chunks {
		body = binary.LittleEndian.AppendUint32(append(body, c[:4]...), uint32(len(c)-4))
		body = append(body, c[4:]...)
		if len(c)%2 == 1 {
			body = append(body, 0)
		}
	}
	out := binary.LittleEndian.AppendUint32([]byte("RIFF"), uint32(len(body)))
	return append(out, body...)
}

// vp8xChunk declares a w×h canvas with the given feature flags.
func vp8xChunk(flags byte, w, h int) []byte {
	c := append([]byte("VP8X"), flags, 0, 0, 0)
	c = append(c, byte(w-1), byte((w-1)>>8), byte((w-1)>>16))
	return append(c, byte(h-1), byte((h-1)>>8), byte((h-1)>>16))
}

// vp8lHeader is the start of a lossless frame of w×h pixels.
func vp8lHeader(w, h int) []byte {
	bits := uint32(w-1) | uint32(h-1)<<14
	return binary.LittleEndian.AppendUint32([]byte("VP8L\x2f"), bits)
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// storedFiles lists the names of the regular files under dir.
func storedFiles(t testing.TB, dir string) []string {
	t.Helper()
	var names []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			names = append(names, d.Name())
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", dir, err)
	}
	sort.Strings(names)
	return names
}

// checkStored verifies the original and every thumbnail of img on disk.
func checkStored(t testing.TB, dir string, img Image, sizes []int) {
	t.Helper()
	if !keyPattern.MatchString(img.Key) {
		t.Fatalf("key %q does not match %v", img.Key, keyPattern)
	}
	base, ext := img.Key[:32], img.Key[32:]
	wantFormat := map[string]string{".jpg": "jpeg", ".png": "png"}[ext]
	orig := filepath.Join(dir, base[:2], img.Key)
	data, err := os.ReadFile(orig)
	if err != nil {
		t.Fatalf("original: %v", err)
	}
	if int64(len(data)) != img.Bytes {
		t.Errorf("Bytes = %d, file has %d", img.Bytes, len(data))
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:16]) != base {
		t.Errorf("key %s is not the hash of the stored bytes", img.Key)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("decode original: %v", err)
	}
	if format != wantFormat || cfg.Width != img.Width || cfg.Height != img.Height {
		t.Errorf("original is %s %d×%d, want %s %d×%d", format, cfg.Width, cfg.Height, wantFormat, img.Width, img.Height)
	}
	for _, size := range sizes {
		name := filepath.Join(dir, base[:2], base+"_w"+strconv.Itoa(size)+ext)
		f, err := os.Open(name)
		if err != nil {
			t.Fatalf("thumbnail w%d: %v", size, err)
		}
		tc, tformat, err := image.DecodeConfig(f)
		f.Close()
		if err != nil {
			t.Fatalf("decode thumbnail w%d: %v", size, err)
		}
		wantW := min(size, img.Width)
		if tformat != wantFormat || tc.Width != wantW {
			t.Errorf("thumbnail w%d is %s %d wide, want %s %d wide", size, tformat, tc.Width, wantFormat, wantW)
		}
		// Same aspect ratio, to the pixel.
		if d := tc.Height*img.Width - img.Height*tc.Width; tc.Height < 1 || d > img.Width || -d > img.Width {
			t.Errorf("thumbnail w%d is %d×%d, original %d×%d", size, tc.Width, tc.Height, img.Width, img.Height)
		}
	}
	for _, name := range storedFiles(t, dir) {
		if strings.HasPrefix(name, ".tmp-") {
			t.Errorf("temporary file %s left behind", name)
		}
	}
}
