package poster

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/disintegration/imaging"
)

// testFont is the system CJK font (CI installs fonts-noto-cjk); the tests
// that draw are skipped without one.
func testFont(t testing.TB) *Font {
	t.Helper()
	f, err := FindFont()
	if errors.Is(err, ErrNoFont) {
		t.Skip("no CJK font on this machine (apt install fonts-noto-cjk)")
	}
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func sampleInput() Input {
	return Input{
		Image:     imaging.New(800, 600, color.RGBA{0x40, 0x90, 0xd0, 0xff}),
		Title:     "进口婴儿配方奶粉 3段 800g",
		Price:     29900,
		ListPrice: 35900,
		URL:       "https://shop.example.com/p/12?ref=ABCD2345",
		Name:      "张小花",
	}
}

func decode(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("poster is not a PNG: %v", err)
	}
	return img
}

// darkPixels counts the pixels of r darker than mid grey.
func darkPixels(img image.Image, r image.Rectangle) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := color.GrayModel.Convert(img.At(x, y)).(color.Gray)
			if c.Y < 0x80 {
				n++
			}
		}
	}
	return n
}

func TestRender(t *testing.T) {
	r := NewWithFont(testFont(t))
	b, err := r.Render(sampleInput())
	if err != nil {
		t.Fatal(err)
	}
	img := decode(t, b)
	if got := img.Bounds().Size(); got != image.Pt(Width, Height) {
		t.Fatalf("size %v, want %dx%d", got, Width, Height)
	}
	if len(b) > 400<<10 {
		t.Errorf("poster of %d KB, want a small PNG", len(b)>>10)
	}
	// The title's band under the picture holds drawn characters.
	title := image.Rect(imgX, imgY+imgSize+20, imgX+imgSize, imgY+imgSize+70)
	if n := darkPixels(img, title); n < 500 {
		t.Errorf("title band has %d dark pixels: no text drawn", n)
	}
	// And the price is red.
	price := image.Rect(imgX, imgY+imgSize+120, imgX+200, imgY+imgSize+190)
	reds := 0
	for y := price.Min.Y; y < price.Max.Y; y++ {
		for x := price.Min.X; x < price.Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			if r>>8 > 0xc0 && g>>8 < 0x60 && b>>8 < 0x60 {
				reds++
			}
		}
	}
	if reds < 300 {
		t.Errorf("price band has %d red pixels", reds)
	}
}

func TestRenderWithoutPictures(t *testing.T) {
	r := NewWithFont(testFont(t))
	in := sampleInput()
	in.Image, in.ListPrice, in.Name = nil, 0, ""
	b, err := r.Render(in)
	if err != nil {
		t.Fatal(err)
	}
	decode(t, b)
	in.URL = ""
	if _, err := r.Render(in); err == nil {
		t.Error("a poster without a link was drawn")
	}
}

func TestWrapLongChineseTitle(t *testing.T) {
	r := NewWithFont(testFont(t))
	fc, err := faceFor(r.font, 34)
	if err != nil {
		t.Fatal(err)
	}
	defer fc.Close()
	title := strings.Repeat("好", 80)
	lines := wrap(fc, title, imgSize, 2)
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2: %q", len(lines), lines)
	}
	if !strings.HasSuffix(lines[1], "…") {
		t.Errorf("cut title ends %q, want …", lines[1])
	}
	if strings.HasSuffix(lines[0], "…") || len([]rune(lines[0])) < 10 {
		t.Errorf("first line %q: want a full line of characters", lines[0])
	}
	for _, l := range lines {
		if w := measure(fc, l); w > imgSize {
			t.Errorf("line %q is %d px wide, more than %d", l, w, imgSize)
		}
	}
	// A short title is left whole; Latin words are not split.
	if got := wrap(fc, "短标题", imgSize, 2); len(got) != 1 || got[0] != "短标题" {
		t.Errorf("short title wrapped to %q", got)
	}
	words := wrap(fc, strings.Repeat("organic ", 12), imgSize, 2)
	for _, w := range strings.Fields(strings.TrimSuffix(words[0], "…")) {
		if w != "organic" {
			t.Errorf("word split on the first line: %q", words[0])
		}
	}
}

func TestPrintableDropsMissingGlyphs(t *testing.T) {
	r := NewWithFont(testFont(t))
	if got := r.printable("小花🌸\n好"); got != "小花 好" {
		t.Errorf("printable = %q", got)
	}
	if !r.font.Has("推荐给你") || r.font.Has("🌸") {
		t.Error("Has does not tell which glyphs the font has")
	}
}

func TestNoFont(t *testing.T) {
	dir := t.TempDir()
	// A file that is not a font, and a font directory without fonts.
	os.MkdirAll(filepath.Join(dir, "fonts"), 0o755)
	os.WriteFile(filepath.Join(dir, "fonts", "broken.ttf"), []byte("not a font"), 0o644)
	_, err := FindFont(WithDataDir(dir), withSystemFonts(filepath.Join(dir, "missing.ttc")))
	if !errors.Is(err, ErrNoFont) {
		t.Fatalf("err = %v, want ErrNoFont", err)
	}
	for _, want := range []string{"fonts-noto-cjk", "data/fonts", "poster.font", "中文字体"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q does not mention %s", err, want)
		}
	}
	if _, err := Render(sampleInput(), WithFont(filepath.Join(dir, "fonts", "broken.ttf"))); !errors.Is(err, ErrNoFont) {
		t.Errorf("configured broken font: err = %v, want ErrNoFont", err)
	}
	if st := FontStatus(WithDataDir(dir), withSystemFonts()); st.OK || !errors.Is(st.Err, ErrNoFont) {
		t.Errorf("FontStatus = %+v", st)
	}
}

func TestFontFromDataDir(t *testing.T) {
	sys := testFont(t)
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "fonts"), 0o755)
	data, err := os.ReadFile(sys.Path)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "fonts", "mine"+filepath.Ext(sys.Path))
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := FindFont(WithDataDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	if f.Path != p {
		t.Errorf("font %s, want the data folder's %s", f.Path, p)
	}
	if st := FontStatus(WithDataDir(dir)); !st.OK || st.Family == "" {
		t.Errorf("FontStatus = %+v", st)
	}
}

func TestCache(t *testing.T) {
	r := NewWithFont(testFont(t))
	c, err := NewCache(filepath.Join(t.TempDir(), "posters"), 0)
	if err != nil {
		t.Fatal(err)
	}
	var renders atomic.Int32
	render := func() ([]byte, error) {
		renders.Add(1)
		return r.Render(sampleInput())
	}
	key := Key{ProductID: 12, Updated: time.Unix(1700000000, 0), Price: 29900, Code: "ABCD2345", URL: sampleInput().URL, Font: r.Font().ID()}
	var wg sync.WaitGroup
	got := make([][]byte, 8)
	for i := range got {
		wg.Go(func() {
			b, err := c.Get(key, render)
			if err != nil {
				t.Error(err)
			}
			got[i] = b
		})
	}
	wg.Wait()
	again, err := c.Get(key, render)
	if err != nil {
		t.Fatal(err)
	}
	if n := renders.Load(); n != 1 {
		t.Errorf("%d renders for one key, want 1", n)
	}
	for _, b := range got {
		if !bytes.Equal(b, again) {
			t.Fatal("a cache hit differs from the drawn poster")
		}
	}
	// Any changed input is another poster.
	key.Price = 19900
	if _, err := c.Get(key, render); err != nil {
		t.Fatal(err)
	}
	if n := renders.Load(); n != 2 {
		t.Errorf("changed price: %d renders, want 2", n)
	}
}

func TestCacheEvictsOldest(t *testing.T) {
	dir := t.TempDir()
	c, err := NewCache(dir, 1000)
	if err != nil {
		t.Fatal(err)
	}
	blob := bytes.Repeat([]byte{1}, 300)
	for i := range 6 {
		if _, err := c.Get(Key{ProductID: int64(i)}, func() ([]byte, error) { return blob, nil }); err != nil {
			t.Fatal(err)
		}
		// Distinct modification times, oldest first.
		p := filepath.Join(dir, Key{ProductID: int64(i)}.Hash()+".png")
		at := time.Now().Add(time.Duration(i-10) * time.Minute)
		os.Chtimes(p, at, at)
	}
	entries, _ := os.ReadDir(dir)
	var total int
	for _, e := range entries {
		info, _ := e.Info()
		total += int(info.Size())
		if strings.HasPrefix(e.Name(), ".tmp-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
	if total > 1000 {
		t.Errorf("cache holds %d bytes, bound 1000", total)
	}
	if _, err := os.Stat(filepath.Join(dir, Key{ProductID: 5}.Hash()+".png")); err != nil {
		t.Errorf("newest poster evicted: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, Key{ProductID: 0}.Hash()+".png")); err == nil {
		t.Error("oldest poster kept")
	}
}

func BenchmarkRender(b *testing.B) {
	r := NewWithFont(testFont(b))
	in := sampleInput()
	in.Title = strings.Repeat("进口奶粉", 20)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Render(in); err != nil {
			b.Fatal(err)
		}
	}
}
