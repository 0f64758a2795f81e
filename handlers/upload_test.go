package handlers

import (
	"bytes"
	"encoding/json"
	"image"
	"image/png"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/xiaodian/xiaodian/store/media"
)

func TestUploadStoresImages(t *testing.T) {
	a, dir := newAdminApp(t)
	old := admImage(t, a, 12, 12)

	// JSON clients get the keys.
	resp, body := a.admMultipart(t, "/admin/uploads", nil, []admFile{{"a.png", admPNG(t, 40, 30)}, {"b.png", admPNG(t, 30, 40)}},
		http.Header{"Accept": {"application/json"}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("upload: %d %s", resp.StatusCode, body)
	}
	var got struct{ Keys []string }
	if err := json.Unmarshal([]byte(body), &got); err != nil || len(got.Keys) != 2 {
		t.Fatalf("upload answer %s: %v", body, err)
	}
	for _, k := range got.Keys {
		if _, err := a.Media.Path(k, 0); err != nil {
			t.Errorf("uploaded %s is not stored: %v", k, err)
		}
	}

	// htmx gets the picker: the images it had, then the new one, each with
	// its hidden input and remove button.
	resp, body = a.admMultipart(t, "/admin/uploads?field=images", url.Values{"images": {old}},
		[]admFile{{"c.png", admPNG(t, 50, 50)}}, admHX)
	if resp.StatusCode != http.StatusOK || strings.Contains(body, "<html") {
		t.Fatalf("htmx upload: %d %s", resp.StatusCode, body)
	}
	if strings.Count(body, `name="images"`) != 2 || strings.Count(body, `class="gallery-remove"`) != 2 || !strings.Contains(body, `value="`+old+`"`) {
		t.Fatalf("picker fragment: %s", body)
	}
	// A one-image field keeps only the new image.
	resp, body = a.admMultipart(t, "/admin/uploads?field=icon", url.Values{"icon": {old}}, []admFile{{"d.png", admPNG(t, 16, 16)}}, admHX)
	if resp.StatusCode != http.StatusOK || strings.Count(body, `name="icon"`) != 1 || strings.Contains(body, old) {
		t.Fatalf("icon upload: %d %s", resp.StatusCode, body)
	}
	if n := admStoredFiles(t, dir); n == 0 {
		t.Fatal("no files stored")
	}
}

func TestUploadRefusals(t *testing.T) {
	a, dir := newAdminApp(t)
	before := admStoredFiles(t, dir)
	tests := []struct {
		name string
		file admFile
		hdr  http.Header
		want []string
	}{
		{"text file", admFile{"notes.txt", []byte("这不是图片 just text\n")}, nil, []string{"图片格式不支持", "notes.txt", `data-testid="upload-error"`}},
		{"decompression bomb", admFile{"bomb.png", admBombPNG(100000, 100000)}, nil, []string{"图片像素过大", "8000", `data-testid="upload-error"`}},
		{"bomb, htmx", admFile{"bomb.png", admBombPNG(100000, 100000)}, admHX, []string{"图片像素过大", `data-testid="error-images"`, `id="picker-images"`}},
		{"text file, JSON", admFile{"x.txt", []byte("plain")}, http.Header{"Accept": {"application/json"}}, []string{`{"error":"`, "x.txt"}},
		{"empty file", admFile{"empty.png", nil}, nil, []string{"图片格式不支持", "empty.png"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := a.admMultipart(t, "/admin/uploads", nil, []admFile{tt.file}, tt.hdr)
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			for _, want := range tt.want {
				if !strings.Contains(body, want) {
					t.Errorf("answer lacks %q: %s", want, body)
				}
			}
		})
	}
	if after := admStoredFiles(t, dir); after != before {
		t.Fatalf("refused uploads stored %d files", after-before)
	}
	// No file at all, and more files than a gallery holds.
	resp, _ := a.admMultipart(t, "/admin/uploads", nil, nil, nil)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("no file: %d", resp.StatusCode)
	}
	var many []admFile
	for range 10 {
		many = append(many, admFile{"p.png", admPNG(t, 4, 4)})
	}
	resp, body := a.admMultipart(t, "/admin/uploads", nil, many, nil)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "最多上传 9 张图片") {
		t.Fatalf("ten files: %d %s", resp.StatusCode, body)
	}
	if after := admStoredFiles(t, dir); after != before {
		t.Fatalf("refused uploads stored %d files", after-before)
	}
}

func TestUploadWithFormWithoutJS(t *testing.T) {
	a, _ := newAdminApp(t)
	cat := admCategory(t, a, "服装", 0)
	// The gallery's upload button submits the whole form with its files.
	form := skuForm(cat, "", "", [][]string{{}}, "")
	form.Set("action", "upload")
	resp, body := a.admMultipart(t, "/admin/products/new", form, []admFile{{"a.png", admPNG(t, 20, 20)}}, nil)
	if resp.StatusCode != http.StatusOK || strings.Count(body, `data-testid="gallery-item"`) != 1 || strings.Contains(body, `data-testid="error-title"`) {
		t.Fatalf("upload button: %d, %d items", resp.StatusCode, strings.Count(body, `data-testid="gallery-item"`))
	}
	// A refused file is reported beside the gallery and nothing is saved.
	form = skuForm(cat, "带图商品", "", [][]string{{}}, "10")
	resp, body = a.admMultipart(t, "/admin/products/new", form, []admFile{{"bad.txt", []byte("nope")}}, nil)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="error-images"`) || !strings.Contains(body, "bad.txt") {
		t.Fatalf("bad file with save: %d", resp.StatusCode)
	}
	if n := admProductCount(t, a); n != 0 {
		t.Fatalf("%d products saved with a refused file", n)
	}
	// Saving with a good file stores it as the cover.
	resp, body = a.admMultipart(t, "/admin/products/new", form, []admFile{{"good.png", admPNG(t, 20, 20)}}, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save with file: %d %s", resp.StatusCode, body)
	}
	if p := productByTitle(t, a, "带图商品"); len(p.Images) != 1 || p.Cover == "" {
		t.Fatalf("images %v cover %q", p.Images, p.Cover)
	}
}

func TestUploadTooLarge(t *testing.T) {
	a, dir := newAdminAppLimits(t, media.Limits{MaxBytes: 4 << 10, MaxPixels: 1 << 20, MaxSide: 1000})
	before := admStoredFiles(t, dir)
	// One file over the media limit inside an acceptable body.
	noise := image.NewGray(image.Rect(0, 0, 120, 120))
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range noise.Pix {
		noise.Pix[i] = uint8(rng.Uint32())
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, noise); err != nil {
		t.Fatal(err)
	}
	big := buf.Bytes()
	if len(big) <= 4<<10 {
		t.Fatalf("test image is only %d bytes", len(big))
	}
	resp, body := a.admMultipart(t, "/admin/uploads", nil, []admFile{{"big.png", big}}, nil)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "4 KB") {
		t.Fatalf("big file: %d %s", resp.StatusCode, body)
	}
	// A body over the request limit (9 × 4 KiB + 1 MiB) is cut off.
	huge := bytes.Repeat([]byte("x"), 2<<20)
	resp, body = a.admMultipart(t, "/admin/uploads", nil, []admFile{{"huge.png", huge}}, http.Header{"Accept": {"application/json"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "图片太大") {
		t.Fatalf("huge body: %d %s", resp.StatusCode, body)
	}
	// htmx: a refused file gives the picker back with its images and the
	// message; an unreadable body, the message for the picker's message area.
	if after := admStoredFiles(t, dir); after != before {
		t.Fatalf("refused uploads stored %d files", after-before)
	}
	kept := admImage(t, a, 10, 10)
	before = admStoredFiles(t, dir)
	resp, body = a.admMultipart(t, "/admin/uploads?field=images", url.Values{"images": {kept}}, []admFile{{"big.png", big}}, admHX)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `value="`+kept+`"`) || !strings.Contains(body, `data-testid="error-images"`) {
		t.Fatalf("htmx big file: %d %s", resp.StatusCode, body)
	}
	resp, body = a.admMultipart(t, "/admin/uploads?field=logo", nil, []admFile{{"huge.png", huge}}, admHX)
	if resp.StatusCode != http.StatusUnprocessableEntity || resp.Header.Get("HX-Retarget") != "#upload-error-logo" || !strings.Contains(body, "图片太大") {
		t.Fatalf("htmx huge body: %d %q %s", resp.StatusCode, resp.Header.Get("HX-Retarget"), body)
	}
	if after := admStoredFiles(t, dir); after != before {
		t.Fatalf("refused uploads stored %d files", after-before)
	}
}
