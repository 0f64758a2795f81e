package handlers

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"io/fs"
	"mime/multipart"
	"net/http"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/store/media"
)

// newAdminApp is newTestApp with the data folder known, so a test can look
// at the stored uploads, and the owner signed in.
func newAdminApp(t *testing.T) (*testApp, string) {
	t.Helper()
	return newAdminAppLimits(t, media.Limits{})
}

// newAdminAppLimits is newAdminApp with upload limits (zero: the defaults).
func newAdminAppLimits(t *testing.T, limits media.Limits) (*testApp, string) {
	t.Helper()
	dir := t.TempDir()
	a := openTestApp(t, AppConfig{DataDir: dir, UploadLimits: limits})
	a.setupOwner(t)
	return a, dir
}

// admFile is one file part of a multipart form.
type admFile struct {
	name string
	data []byte
}

// admMultipart posts fields and files (each as part "file") as a browser
// form would, with extra headers.
func (a *testApp) admMultipart(t *testing.T, path string, fields url.Values, files []admFile, hdr http.Header) (*http.Response, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range fields {
		for _, v := range vs {
			if err := mw.WriteField(k, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, f := range files {
		w, err := mw.CreateFormFile("file", f.name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(f.data)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	h := http.Header{"Content-Type": {mw.FormDataContentType()}, "Origin": {a.srv.URL}}
	for k, v := range hdr {
		h[k] = v
	}
	return a.do(t, http.MethodPost, path, &body, h)
}

// admPost is postForm with extra headers (admHX's, for instance).
func (a *testApp) admPost(t *testing.T, path string, form url.Values, hdr http.Header) (*http.Response, string) {
	t.Helper()
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Origin": {a.srv.URL}}
	for k, v := range hdr {
		h[k] = v
	}
	return a.do(t, http.MethodPost, path, bytes.NewBufferString(form.Encode()), h)
}

// admHX are the headers of an admHX (not boosted) request.
var admHX = http.Header{"Hx-Request": {"true"}}

// admPNG encodes a w×h picture with a colour gradient.
func admPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), 120, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// admBombPNG is a tiny PNG whose header claims w×h pixels: decoding it would
// allocate gigabytes, so it must be refused from the header alone.
func admBombPNG(w, h uint32) []byte {
	var buf bytes.Buffer
	buf.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&buf, binary.BigEndian, uint32(len(data)))
		buf.WriteString(typ)
		buf.Write(data)
		crc := crc32.NewIEEE()
		crc.Write([]byte(typ))
		crc.Write(data)
		binary.Write(&buf, binary.BigEndian, crc.Sum32())
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	chunk("IEND", nil)
	return buf.Bytes()
}

// admStoredFiles counts the files under the shop's uploads folder.
func admStoredFiles(t *testing.T, dataDir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(filepath.Join(dataDir, "uploads"), func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// admImage stores a small picture straight in the media store and returns its key.
func admImage(t *testing.T, a *testApp, w, h int) string {
	t.Helper()
	img, err := a.Media.Save(bytes.NewReader(admPNG(t, w, h)))
	if err != nil {
		t.Fatal(err)
	}
	return img.Key
}

// admCategory creates a category through the store.
func admCategory(t *testing.T, a *testApp, name string, parent int64) int64 {
	t.Helper()
	id, err := a.DB.CreateCategory(t.Context(), store.CategoryInput{Name: name, ParentID: parent, Visible: true})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// admProduct creates a product without specs through the store.
func admProduct(t *testing.T, a *testApp, category int64, title string, price store.Fen, stock int, onShelf bool) int64 {
	t.Helper()
	id, err := a.DB.CreateProduct(t.Context(), store.ProductInput{
		CategoryID: category, Title: title, OnShelf: onShelf,
		SKUs: []store.SKUInput{{Values: []string{}, Price: price, Stock: stock}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// admProductCount is the number of products (not deleted) in the shop.
func admProductCount(t *testing.T, a *testApp) int {
	t.Helper()
	_, n, err := a.DB.Products(t.Context(), store.ProductFilter{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
