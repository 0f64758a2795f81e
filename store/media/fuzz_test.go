package media

import (
	"bytes"
	"errors"
	"image"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// FuzzSave feeds arbitrary bytes to Save. It must never panic; a refusal
// must be one of the package's errors; a success must leave an original and
// thumbnails that decode and respect the limits.
//
//	go test -run '^$' -fuzz FuzzSave ./store/media/
func FuzzSave(f *testing.F) {
	limits := Limits{MaxBytes: 1 << 20, MaxPixels: 1 << 20, MaxSide: 2048}
	sizes := []int{16, 64}

	t := f
	for _, seed := range [][]byte{
		jpegBytes(t, picture(40, 30, false)),
		withOrientation(t, jpegBytes(t, picture(40, 30, false)), 6),
		pngBytes(t, picture(30, 20, false)),
		pngBytes(t, picture(30, 20, true)),
		gifBytes(t, 30, 20, true),
		pngBomb(t, 100000, 100000),
		webpFile(vp8xChunk(1<<4, 1, 1), append([]byte("ALPH"), 0, 0), vp8lHeader(2, 2)),
		[]byte("not an image"),
	} {
		f.Add(seed)
	}
	webps, err := filepath.Glob(filepath.Join("testdata", "*.webp"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range webps {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		s, err := New(dir, limits, sizes)
		if err != nil {
			t.Fatal(err)
		}
		img, err := s.Save(bytes.NewReader(data))
		if err != nil {
			var me *Error
			if !errors.As(err, &me) {
				t.Fatalf("Save failed with an unclassified error: %v", err)
			}
			return
		}
		if img.Width > limits.MaxSide || img.Height > limits.MaxSide || img.Width*img.Height > limits.MaxPixels {
			t.Fatalf("stored %d×%d beyond the limits", img.Width, img.Height)
		}
		if img.Bytes > limits.MaxBytes {
			t.Fatalf("stored %d bytes beyond the limit", img.Bytes)
		}
		checkDecodes(t, s, img.Key, 0, img.Width, img.Height)
		for _, size := range sizes {
			wantW := min(size, img.Width)
			cfg := checkDecodes(t, s, img.Key, size, wantW, -1)
			if cfg.Height > img.Height {
				t.Fatalf("thumbnail w%d is taller (%d) than the original (%d)", size, cfg.Height, img.Height)
			}
		}
	})
}

// checkDecodes fully decodes the file Path gives for key and width and
// checks its size (a negative h is not checked).
func checkDecodes(t *testing.T, s *Store, key string, width, w, h int) image.Config {
	t.Helper()
	p, err := s.Path(key, width)
	if err != nil {
		t.Fatalf("Path(%s, %d): %v", key, width, err)
	}
	if width > 0 && filepath.Base(p) != key[:32]+"_w"+strconv.Itoa(width)+key[32:] {
		t.Fatalf("Path(%s, %d) = %s", key, width, p)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("stored file %s does not decode: %v", p, err)
	}
	b := m.Bounds()
	if b.Dx() != w || (h >= 0 && b.Dy() != h) {
		t.Fatalf("%s is %d×%d, want %d×%d", p, b.Dx(), b.Dy(), w, h)
	}
	return image.Config{Width: b.Dx(), Height: b.Dy()}
}
