package media

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

func TestSave(t *testing.T) {
	tests := []struct {
		name       string
		data       func(t *testing.T) []byte
		wantExt    string
		wantW      int
		wantH      int
		wantShrunk bool // whether the largest thumbnail is narrower than the original
	}{
		{"jpeg photo", func(t *testing.T) []byte { return jpegBytes(t, picture(800, 600, false)) }, ".jpg", 800, 600, true},
		{"opaque png becomes jpeg", func(t *testing.T) []byte { return pngBytes(t, picture(640, 480, false)) }, ".jpg", 640, 480, false},
		{"transparent png stays png", func(t *testing.T) []byte { return pngBytes(t, picture(500, 300, true)) }, ".png", 500, 300, false},
		{"gif", func(t *testing.T) []byte { return gifBytes(t, 400, 200, false) }, ".jpg", 400, 200, false},
		{"transparent gif", func(t *testing.T) []byte { return gifBytes(t, 400, 200, true) }, ".png", 400, 200, false},
		{"lossy webp", func(t *testing.T) []byte { return readTestdata(t, "blue-purple-pink.lossy.webp") }, ".jpg", 150, 100, false},
		{"lossless webp", func(t *testing.T) []byte { return readTestdata(t, "gopher-doc.8bpp.lossless.webp") }, ".jpg", 75, 100, false},
		{"webp with alpha", func(t *testing.T) []byte { return readTestdata(t, "yellow_rose.lossy-with-alpha.webp") }, ".png", 400, 301, false},
		{"smaller than every thumbnail", func(t *testing.T) []byte { return jpegBytes(t, picture(100, 80, false)) }, ".jpg", 100, 80, false},
		{"tall detail picture", func(t *testing.T) []byte { return jpegBytes(t, picture(300, 2000, false)) }, ".jpg", 300, 2000, false},
		{"exif orientation 6 turns it upright", func(t *testing.T) []byte {
			return withOrientation(t, jpegBytes(t, picture(40, 20, false)), 6)
		}, ".jpg", 20, 40, false},
		{"exif orientation 3 keeps the size", func(t *testing.T) []byte {
			return withOrientation(t, jpegBytes(t, picture(40, 20, false)), 3)
		}, ".jpg", 40, 20, false},
		{"wide photo", func(t *testing.T) []byte { return jpegBytes(t, picture(1600, 900, false)) }, ".jpg", 1600, 900, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, dir := newTestStore(t, DefaultLimits(), testSizes...)
			img, err := s.Save(bytes.NewReader(tt.data(t)))
			if err != nil {
				t.Fatalf("Save: %v", err)
			}
			if ext := img.Key[32:]; ext != tt.wantExt || img.Width != tt.wantW || img.Height != tt.wantH {
				t.Fatalf("Save = %s %d×%d, want %s %d×%d", ext, img.Width, img.Height, tt.wantExt, tt.wantW, tt.wantH)
			}
			checkStored(t, dir, img, testSizes)
			if got := len(storedFiles(t, dir)); got != 1+len(testSizes) {
				t.Errorf("%d files stored, want %d", got, 1+len(testSizes))
			}
			big, err := os.Stat(filepath.Join(dir, img.Key[:2], img.Key[:32]+"_w750"+tt.wantExt))
			if err != nil {
				t.Fatal(err)
			}
			if shrunk := big.Size() != img.Bytes; shrunk != tt.wantShrunk {
				t.Errorf("w750 thumbnail re-encoded = %v, want %v", shrunk, tt.wantShrunk)
			}
		})
	}
}

func TestSaveOrientationMovesPixels(t *testing.T) {
	// Left half red, right half blue; orientation 6 means "rotate 90° clockwise
	// to display", so red must end up on top.
	src := image.NewNRGBA(image.Rect(0, 0, 64, 32))
	for y := range 32 {
		for x := range 64 {
			c := color.NRGBA{220, 20, 20, 255}
			if x >= 32 {
				c = color.NRGBA{20, 20, 220, 255}
			}
			src.SetNRGBA(x, y, c)
		}
	}
	s, _ := newTestStore(t, DefaultLimits())
	img, err := s.Save(bytes.NewReader(withOrientation(t, jpegBytes(t, src), 6)))
	if err != nil {
		t.Fatal(err)
	}
	f, err := s.Open(img.Key, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, _, err := image.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	top, bottom := got.At(16, 8), got.At(16, 56)
	if r, _, b, _ := top.RGBA(); r < b {
		t.Errorf("top pixel %v is not red", top)
	}
	if r, _, b, _ := bottom.RGBA(); b < r {
		t.Errorf("bottom pixel %v is not blue", bottom)
	}
}

func TestSaveRefuses(t *testing.T) {
	small := Limits{MaxBytes: 64 << 10, MaxPixels: 40_000_000, MaxSide: 8000}
	tests := []struct {
		name   string
		limits Limits
		data   func(t *testing.T) []byte
		want   *Error
	}{
		{"text file", DefaultLimits(), func(*testing.T) []byte { return []byte("hello, 小店\n") }, ErrNotImage},
		{"empty upload", DefaultLimits(), func(*testing.T) []byte { return nil }, ErrNotImage},
		{"svg", DefaultLimits(), func(*testing.T) []byte { return []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`) }, ErrNotImage},
		{"truncated jpeg", DefaultLimits(), func(t *testing.T) []byte {
			b := jpegBytes(t, picture(300, 200, false))
			return b[:len(b)/2]
		}, ErrNotImage},
		{"jpeg header only", DefaultLimits(), func(*testing.T) []byte { return []byte("\xff\xd8\xff\xe0") }, ErrNotImage},
		{"truncated png", DefaultLimits(), func(t *testing.T) []byte {
			b := pngBytes(t, picture(300, 200, true))
			return b[:len(b)-40]
		}, ErrNotImage},
		{"png bomb 100000×100000", DefaultLimits(), func(t *testing.T) []byte { return pngBomb(t, 100000, 100000) }, ErrTooManyPixels},
		{"png bomb 2^31-1 square", DefaultLimits(), func(t *testing.T) []byte { return pngBomb(t, 1<<31-1, 1<<31-1) }, ErrNotImage},
		{"side over MaxSide", DefaultLimits(), func(t *testing.T) []byte { return pngBytes(t, image.NewGray(image.Rect(0, 0, 8001, 1))) }, ErrTooManyPixels},
		{"pixels over MaxPixels", Limits{MaxBytes: 10 << 20, MaxPixels: 10_000, MaxSide: 8000},
			func(t *testing.T) []byte { return pngBytes(t, picture(200, 100, false)) }, ErrTooManyPixels},
		{"upload over MaxBytes", Limits{MaxBytes: 1024, MaxPixels: 40_000_000, MaxSide: 8000},
			func(t *testing.T) []byte { return jpegBytes(t, picture(300, 200, false)) }, ErrTooLarge},
		{"re-encoded over MaxBytes", small, func(t *testing.T) []byte {
			// A one-pixel checkerboard: tiny as PNG, huge as JPEG.
			img := image.NewGray(image.Rect(0, 0, 1000, 1000))
			for i := range img.Pix {
				if (i%1000+i/1000)%2 == 0 {
					img.Pix[i] = 0xff
				}
			}
			b := pngBytes(t, img)
			if int64(len(b)) > small.MaxBytes {
				t.Fatalf("checkerboard png is %d bytes, over the limit already", len(b))
			}
			return b
		}, ErrTooLarge},
		{"bmp", DefaultLimits(), func(t *testing.T) []byte {
			var buf bytes.Buffer
			if err := bmp.Encode(&buf, picture(10, 10, false)); err != nil {
				t.Fatal(err)
			}
			return buf.Bytes()
		}, ErrUnsupported},
		{"tiff", DefaultLimits(), func(t *testing.T) []byte {
			var buf bytes.Buffer
			if err := tiff.Encode(&buf, picture(10, 10, false), nil); err != nil {
				t.Fatal(err)
			}
			return buf.Bytes()
		}, ErrUnsupported},
		{"heic", DefaultLimits(), func(*testing.T) []byte { return []byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic") }, ErrUnsupported},
		{"animated webp", DefaultLimits(), func(*testing.T) []byte {
			return webpFile(vp8xChunk(1<<1, 10, 10), append([]byte("ANIM"), make([]byte, 6)...))
		}, ErrUnsupported},
		{"webp 1×1 canvas over a 16383×16383 frame", DefaultLimits(), func(*testing.T) []byte {
			return webpFile(vp8xChunk(1<<4, 1, 1), append([]byte("ALPH"), 0, 0), vp8lHeader(16383, 16383))
		}, ErrTooManyPixels},
		{"webp canvas and frame disagree", DefaultLimits(), func(*testing.T) []byte {
			return webpFile(vp8xChunk(1<<4, 1, 1), append([]byte("ALPH"), 0, 0), vp8lHeader(2, 2))
		}, ErrNotImage},
		{"webp without frame", DefaultLimits(), func(*testing.T) []byte { return webpFile() }, ErrNotImage},
		{"truncated webp", DefaultLimits(), func(t *testing.T) []byte {
			b := readTestdata(t, "blue-purple-pink.lossy.webp")
			return b[:len(b)/2]
		}, ErrNotImage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, dir := newTestStore(t, tt.limits, testSizes...)
			img, err := s.Save(bytes.NewReader(tt.data(t)))
			if !errors.Is(err, tt.want) {
				t.Fatalf("Save = %+v, %v; want %v", img, err, tt.want)
			}
			var me *Error
			if !errors.As(err, &me) || me != tt.want {
				t.Errorf("errors.As gives %v, want %v", me, tt.want)
			}
			if files := storedFiles(t, dir); len(files) != 0 {
				t.Errorf("refused upload left files: %v", files)
			}
		})
	}
}

func TestSaveBombAllocatesLittle(t *testing.T) {
	s, _ := newTestStore(t, DefaultLimits(), testSizes...)
	bomb := pngBomb(t, 100000, 100000)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := s.Save(bytes.NewReader(bomb))
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrTooManyPixels) {
		t.Fatalf("Save = %v, want ErrTooManyPixels", err)
	}
	// The pixels would take 30 GB; reading the header takes a few KB.
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Errorf("refusing the bomb allocated %d bytes", n)
	}
}

func TestSaveImage(t *testing.T) {
	offset := image.NewNRGBA(image.Rect(10, 10, 410, 210))
	copy(offset.Pix, picture(400, 200, false).Pix)
	tests := []struct {
		name    string
		img     image.Image
		wantExt string
		wantW   int
		wantH   int
		wantErr *Error
	}{
		{"opaque drawing", picture(900, 900, false), ".jpg", 900, 900, nil},
		{"transparent drawing", picture(300, 300, true), ".png", 300, 300, nil},
		{"origin not at zero", offset, ".jpg", 400, 200, nil},
		{"nil", nil, "", 0, 0, ErrNotImage},
		{"empty", image.NewRGBA(image.Rectangle{}), "", 0, 0, ErrNotImage},
		{"unbounded", image.NewUniform(color.White), "", 0, 0, ErrTooManyPixels},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, dir := newTestStore(t, DefaultLimits(), testSizes...)
			img, err := s.SaveImage(tt.img)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("SaveImage = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("SaveImage: %v", err)
			}
			if img.Key[32:] != tt.wantExt || img.Width != tt.wantW || img.Height != tt.wantH {
				t.Fatalf("SaveImage = %+v, want %s %d×%d", img, tt.wantExt, tt.wantW, tt.wantH)
			}
			checkStored(t, dir, img, testSizes)
		})
	}
}

func TestSaveIsIdempotent(t *testing.T) {
	s, dir := newTestStore(t, DefaultLimits(), testSizes...)
	data := jpegBytes(t, picture(1000, 700, false))
	first, err := s.Save(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	orig := filepath.Join(dir, first.Key[:2], first.Key)
	before, err := os.Stat(orig)
	if err != nil {
		t.Fatal(err)
	}
	second, err := s.Save(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if first != second {
		t.Errorf("second Save = %+v, first %+v", second, first)
	}
	after, err := os.Stat(orig)
	if err != nil {
		t.Fatal(err)
	}
	if !after.ModTime().Equal(before.ModTime()) || !os.SameFile(before, after) {
		t.Error("second Save rewrote the original")
	}
	if files := storedFiles(t, dir); len(files) != 1+len(testSizes) {
		t.Errorf("files after two saves: %v", files)
	}
	// A different picture gets a different key.
	other, err := s.Save(bytes.NewReader(jpegBytes(t, picture(1000, 701, false))))
	if err != nil {
		t.Fatal(err)
	}
	if other.Key == first.Key {
		t.Error("two different pictures share a key")
	}
}

func TestSaveConcurrentSameImage(t *testing.T) {
	s, dir := newTestStore(t, DefaultLimits(), testSizes...)
	data := pngBytes(t, picture(500, 300, true))
	const n = 8
	results := make([]Image, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { results[i], errs[i] = s.Save(bytes.NewReader(data)) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("Save %d: %v", i, errs[i])
		}
		if results[i] != results[0] {
			t.Errorf("Save %d = %+v, Save 0 = %+v", i, results[i], results[0])
		}
	}
	checkStored(t, dir, results[0], testSizes)
	if files := storedFiles(t, dir); len(files) != 1+len(testSizes) {
		t.Errorf("files after concurrent saves: %v", files)
	}
}

func TestPath(t *testing.T) {
	s, dir := newTestStore(t, DefaultLimits(), testSizes...)
	img, err := s.Save(bytes.NewReader(jpegBytes(t, picture(1200, 800, false))))
	if err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(dir, img.Key[:2], img.Key[:32])
	tests := []struct {
		width int
		want  string
	}{
		{-5, base + ".jpg"},
		{0, base + ".jpg"},
		{1, base + "_w160.jpg"},
		{160, base + "_w160.jpg"},
		{161, base + "_w375.jpg"},
		{375, base + "_w375.jpg"},
		{750, base + "_w750.jpg"},
		{5000, base + "_w750.jpg"},
	}
	for _, tt := range tests {
		got, err := s.Path(img.Key, tt.width)
		if err != nil || got != tt.want {
			t.Errorf("Path(%d) = %q, %v; want %q", tt.width, got, err, tt.want)
		}
	}

	f, err := s.Open(img.Key, 200)
	if err != nil {
		t.Fatal(err)
	}
	cfg, _, err := image.DecodeConfig(f)
	f.Close()
	if err != nil || cfg.Width != 375 {
		t.Errorf("Open(key, 200) gives a %d-wide image, %v; want 375", cfg.Width, err)
	}

	unknown := "0123456789abcdef0123456789abcdef.jpg"
	for _, width := range []int{0, 300} {
		if _, err := s.Path(unknown, width); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Path(unknown, %d) = %v, want fs.ErrNotExist", width, err)
		}
	}
	if files := storedFiles(t, dir); len(files) != 1+len(testSizes) {
		t.Errorf("Path of an unknown key changed the files: %v", files)
	}

	bare, bareDir := newTestStore(t, DefaultLimits())
	img2, err := bare.Save(bytes.NewReader(jpegBytes(t, picture(500, 400, false))))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := bare.Path(img2.Key, 300); err != nil || got != filepath.Join(bareDir, img2.Key[:2], img2.Key) {
		t.Errorf("Path with no declared sizes = %q, %v; want the original", got, err)
	}
}

func TestPathRefusesBadKeys(t *testing.T) {
	s, _ := newTestStore(t, DefaultLimits(), testSizes...)
	// A real file one level up, which a traversal would reach.
	if err := os.WriteFile(filepath.Join(filepath.Dir(s.dir), "secret.jpg"), []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	keys := []string{
		"",
		"..",
		"../secret.jpg",
		"../../etc/passwd",
		"/etc/passwd",
		`..\..\secret.jpg`,
		"0123456789abcdef0123456789abcdef.jpg/../../secret.jpg",
		"01/0123456789abcdef0123456789abcdef.jpg",
		"0123456789ABCDEF0123456789ABCDEF.jpg",
		"0123456789abcdef0123456789abcdef.jpeg",
		"0123456789abcdef0123456789abcdef.gif",
		"0123456789abcdef0123456789abcdef.JPG",
		"0123456789abcdef0123456789abcde.jpg",
		"0123456789abcdef0123456789abcdef0.jpg",
		"0123456789abcdef0123456789abcdef.jpg\n",
		"0123456789abcdef0123456789abcdef.jpg\x00",
		"0123456789abcdef0123456789abcdef_w160.jpg",
		"0123456789abcdef0123456789abcdef..jpg",
		"%2e%2e%2fsecret.jpg",
	}
	for _, key := range keys {
		for _, width := range []int{0, 160} {
			if p, err := s.Path(key, width); !errors.Is(err, ErrBadKey) {
				t.Errorf("Path(%q, %d) = %q, %v; want ErrBadKey", key, width, p, err)
			}
			if f, err := s.Open(key, width); !errors.Is(err, ErrBadKey) {
				if f != nil {
					f.Close()
				}
				t.Errorf("Open(%q, %d) = %v; want ErrBadKey", key, width, err)
			}
		}
	}
}

func TestPathMakesMissingThumbnail(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "uploads")
	old, err := New(dir, DefaultLimits(), []int{160})
	if err != nil {
		t.Fatal(err)
	}
	img, err := old.Save(bytes.NewReader(jpegBytes(t, picture(1000, 500, false))))
	if err != nil {
		t.Fatal(err)
	}
	// The theme now declares a 300 px width the upload predates.
	s, err := New(dir, DefaultLimits(), []int{160, 300})
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(dir, img.Key[:2], img.Key[:32]+"_w300.jpg")
	if _, err := os.Stat(want); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("w300 exists before it was asked for: %v", err)
	}
	const n = 6
	paths := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { paths[i], errs[i] = s.Path(img.Key, 250) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil || paths[i] != want {
			t.Fatalf("Path = %q, %v; want %q", paths[i], errs[i], want)
		}
	}
	checkStored(t, dir, img, []int{160, 300})
}

func TestNew(t *testing.T) {
	good := DefaultLimits()
	tests := []struct {
		name      string
		dir       string
		limits    Limits
		sizes     []int
		wantSizes []int
		wantErr   bool
	}{
		{"sizes sorted and deduplicated", "a/b/uploads", good, []int{750, 160, 375, 160}, []int{160, 375, 750}, false},
		{"no sizes", "uploads", good, nil, []int{}, false},
		{"empty dir", "", good, nil, nil, true},
		{"zero limits", "uploads", Limits{}, nil, nil, true},
		{"negative bytes", "uploads", Limits{MaxBytes: -1, MaxPixels: 1, MaxSide: 1}, nil, nil, true},
		{"zero size", "uploads", good, []int{0, 160}, nil, true},
		{"size over MaxSide", "uploads", good, []int{8001}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := tt.dir
			if dir != "" {
				dir = filepath.Join(t.TempDir(), dir)
			}
			s, err := New(dir, tt.limits, tt.sizes)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("New succeeded, want an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Sizes(); !slices.Equal(got, tt.wantSizes) {
				t.Errorf("Sizes = %v, want %v", got, tt.wantSizes)
			}
			if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
				t.Errorf("directory not created: %v", err)
			}
			if s.Limits() != tt.limits {
				t.Errorf("Limits = %+v, want %+v", s.Limits(), tt.limits)
			}
		})
	}

	s, _ := newTestStore(t, good, 160, 375)
	s.Sizes()[0] = 1
	if got := s.Sizes(); got[0] != 160 {
		t.Errorf("changing the Sizes result changed the store: %v", got)
	}
}

func TestErrorsAreDistinctAndFriendly(t *testing.T) {
	all := []*Error{ErrTooLarge, ErrNotImage, ErrTooManyPixels, ErrUnsupported, ErrBadKey}
	seen := map[string]bool{}
	for i, e := range all {
		if e.Key == "" || e.En == "" || e.Zh == "" {
			t.Errorf("%v lacks a key or a translation: %+v", e, *e)
		}
		if seen[e.Zh] || seen[e.En] {
			t.Errorf("%v repeats another error's text", e)
		}
		seen[e.Zh], seen[e.En] = true, true
		for j, other := range all {
			if i != j && errors.Is(e, other) {
				t.Errorf("errors.Is(%v, %v) = true", e, other)
			}
		}
	}
}
