package bench

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xiaodian/xiaodian/store"
)

func msDurations(ms ...float64) []time.Duration {
	out := make([]time.Duration, len(ms))
	for i, m := range ms {
		out[i] = time.Duration(m * float64(time.Millisecond))
	}
	return out
}

func TestPercentile(t *testing.T) {
	hundred := make([]float64, 100)
	for i := range hundred {
		hundred[i] = float64(i + 1)
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one sample", msDurations(7), 99, 7 * time.Millisecond},
		{"median of 1..100", msDurations(hundred...), 50, 50 * time.Millisecond},
		{"p99 of 1..100", msDurations(hundred...), 99, 99 * time.Millisecond},
		{"max of 1..100", msDurations(hundred...), 100, 100 * time.Millisecond},
		{"median of four rounds down the rank", msDurations(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{"p99 of four is the largest", msDurations(1, 2, 3, 4), 99, 4 * time.Millisecond},
		{"tiny p is the smallest", msDurations(1, 2, 3, 4), 0.1, time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("percentile(%v) = %v, want %v", tt.p, got, tt.want)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	tests := []struct {
		name string
		in   sample
		want Result
	}{
		{
			name: "unsorted samples",
			in:   sample{latencies: msDurations(9, 1, 5, 3, 7, 2, 8, 4, 10, 6), errors: 3, elapsed: 2 * time.Second},
			want: Result{Scenario: "x", RPS: 5, P50: 5, P99: 10, Errors: 3},
		},
		{
			name: "two decimals",
			in:   sample{latencies: msDurations(1.234, 1.236, 2.5), elapsed: 3 * time.Second},
			want: Result{Scenario: "x", RPS: 1, P50: 1.24, P99: 2.5},
		},
		{
			name: "rps over a fraction of a second",
			in:   sample{latencies: msDurations(1, 1, 1), elapsed: 700 * time.Millisecond},
			want: Result{Scenario: "x", RPS: 4.29, P50: 1, P99: 1},
		},
		{
			name: "nothing succeeded",
			in:   sample{errors: 12, elapsed: time.Second},
			want: Result{Scenario: "x", Errors: 12},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := summarize("x", tt.in); got != tt.want {
				t.Errorf("summarize = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestWithRatios(t *testing.T) {
	rss := Float2(40)
	results := []Result{
		{Scenario: "static", RPS: 1000},
		{Scenario: "home", RPS: 250},
		{Scenario: "product", RPS: 333},
		{Scenario: IdleMemory, RSSMB: &rss},
	}
	withRatios(results)
	want := []Float2{1, 0.25, 0.33, 0}
	for i, r := range results {
		if r.Ratio != want[i] {
			t.Errorf("%s ratio = %v, want %v", r.Scenario, r.Ratio, want[i])
		}
	}

	noStatic := []Result{{Scenario: "home", RPS: 250}}
	withRatios(noStatic)
	if noStatic[0].Ratio != 0 {
		t.Errorf("ratio without static = %v, want 0", noStatic[0].Ratio)
	}
}

func TestWriteJSON(t *testing.T) {
	rss := Float2(41.5)
	results := []Result{
		{Scenario: "static", RPS: 12345.678, P50: 1.5, P99: 3, Errors: 0, Ratio: 1},
		{Scenario: IdleMemory, RSSMB: &rss},
	}
	var buf bytes.Buffer
	if err := writeJSON(&buf, results); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2:\n%s", len(lines), buf.String())
	}
	wantLines := []string{
		`{"scenario":"static","rps":12345.68,"p50_ms":1.50,"p99_ms":3.00,"errors":0,"ratio":1.00}`,
		`{"scenario":"idle_memory","rps":0.00,"p50_ms":0.00,"p99_ms":0.00,"errors":0,"ratio":0.00,"rss_mb":41.50}`,
	}
	for i, line := range lines {
		if line != wantLines[i] {
			t.Errorf("line %d:\n got %s\nwant %s", i, line, wantLines[i])
		}
	}
}

func TestWriteTable(t *testing.T) {
	rss := Float2(38.25)
	var buf bytes.Buffer
	err := writeTable(&buf, []Result{
		{Scenario: "static", RPS: 20000, P50: 1.2, P99: 4.56, Ratio: 1},
		{Scenario: "home", RPS: 5000, P50: 9.87, P99: 20, Errors: 2, Ratio: 0.25},
		{Scenario: IdleMemory, RSSMB: &rss},
	})
	if err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("got %d lines, want header, 2 rows and idle memory:\n%s", len(lines), out)
	}
	for i, want := range [][]string{
		{"scenario", "rps", "p50", "ms", "p99", "ms", "errors", "ratio"},
		{"static", "20000.00", "1.20", "4.56", "0", "1.00"},
		{"home", "5000.00", "9.87", "20.00", "2", "0.25"},
		{"idle_memory:", "38.25", "MB", "resident"},
	} {
		if got := strings.Fields(lines[i]); !slices.Equal(got, want) {
			t.Errorf("line %d = %q, want fields %q", i, lines[i], want)
		}
	}
}

func TestParseVmRSS(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    float64
		wantErr bool
	}{
		{"status file", "Name:\txiaodian\nVmPeak:\t  900000 kB\nVmRSS:\t   40960 kB\nThreads:\t9\n", 40, false},
		{"missing", "Name:\txiaodian\n", 0, true},
		{"bad unit", "VmRSS:\t 12 pages\n", 0, true},
		{"bad number", "VmRSS:\t x kB\n", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseVmRSS(strings.NewReader(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("got %v MB, want %v", got, tt.want)
			}
		})
	}
}

func TestRSSMBOfThisProcess(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc on this system")
	}
	mb, err := rssMB(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if mb < 1 || mb > 64<<10 {
		t.Errorf("resident memory of the test binary = %v MB, not plausible", mb)
	}
}

func TestParseArgs(t *testing.T) {
	cfg, err := ParseArgs(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.JSON || cfg.Products != 10000 || cfg.Duration != 5*time.Second || cfg.Conns != 64 || cfg.Distributors != 100_000 ||
		cfg.Warmup != time.Second || cfg.DataDir != "" || !slices.Equal(cfg.Scenarios, Scenarios) || cfg.Runner == nil {
		t.Errorf("defaults = %+v", cfg)
	}
	cfg, err = ParseArgs([]string{"--json", "--products", "80", "--duration", "300ms", "--conns", "4", "--scenarios", "home, product", "--data", "/tmp/x"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.JSON || cfg.Products != 80 || cfg.Duration != 300*time.Millisecond || cfg.Conns != 4 ||
		!slices.Equal(cfg.Scenarios, []string{"static", "home", "product"}) || cfg.DataDir != "/tmp/x" {
		t.Errorf("parsed = %+v", cfg)
	}

	cfg, err = ParseArgs([]string{"--scenarios", "checkout_distribution", "--distributors", "500"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.Scenarios, []string{"static", "checkout_distribution", "checkout"}) || cfg.Distributors != 500 {
		t.Errorf("checkout_distribution alone: scenarios %v, %d distributors (checkout is its reference)", cfg.Scenarios, cfg.Distributors)
	}

	for _, args := range [][]string{
		{"--scenarios", "team", "--distributors", "10"},
		{"--scenarios", "home,nope"},
		{"--scenarios", ""},
		{"--conns", "0"},
		{"--duration", "0s"},
		{"--products", "-1"},
		{"--warmup", "-1s"},
		{"extra"},
		{"--nope"},
	} {
		if _, err := ParseArgs(args, io.Discard); err == nil {
			t.Errorf("ParseArgs(%q) accepted", args)
		}
	}
}

func TestCheckLoopback(t *testing.T) {
	for base, ok := range map[string]bool{
		"http://127.0.0.1:8080":  true,
		"http://127.0.0.1":       true,
		"http://localhost:8080":  false,
		"http://10.0.0.1:8080":   false,
		"https://127.0.0.1:8443": false,
		"http://example.com":     false,
	} {
		if err := checkLoopback(base); (err == nil) != ok {
			t.Errorf("checkLoopback(%q) = %v, want ok %v", base, err, ok)
		}
	}
}

func gzipped(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := io.WriteString(zw, s); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestPageServeHTTP(t *testing.T) {
	plain := []byte("<html>商品</html>")
	z := gzipped(t, string(plain))
	p := &Page{Header: http.Header{"Content-Type": {"text/html; charset=utf-8"}, "Vary": {"Accept-Encoding"}}, Plain: plain, Gzipped: z}

	for _, tt := range []struct {
		accept, wantEncoding string
		want                 []byte
	}{
		{"", "", plain},
		{"gzip, deflate, br", "gzip", z},
	} {
		req := httptest.NewRequest(http.MethodGet, "/p/1", nil)
		if tt.accept != "" {
			req.Header.Set("Accept-Encoding", tt.accept)
		}
		rec := httptest.NewRecorder()
		p.ServeHTTP(rec, req)
		res := rec.Result()
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Encoding") != tt.wantEncoding ||
			res.Header.Get("Content-Type") != "text/html; charset=utf-8" || !bytes.Equal(rec.Body.Bytes(), tt.want) {
			t.Errorf("Accept-Encoding %q: status %d, headers %v, body %d bytes", tt.accept, res.StatusCode, res.Header, rec.Body.Len())
		}
	}
	if len(p.Header["Content-Encoding"]) != 0 {
		t.Error("serving changed the stored headers")
	}
}

func TestFetchPageKeepsBothEncodings(t *testing.T) {
	body := strings.Repeat("<p>连衣裙</p>", 100)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		io.WriteString(w, body) // never compressed: fetchPage gzips it
	}))
	defer ts.Close()
	p, err := fetchPage(context.Background(), ts.URL+"/p/1")
	if err != nil {
		t.Fatal(err)
	}
	if string(p.Plain) != body || p.Header.Get("Cache-Control") != "no-cache" || p.Header.Get("Vary") != "Accept-Encoding" ||
		p.Header.Get("Date") != "" || p.Header.Get("Content-Length") != "" {
		t.Errorf("page = headers %v, %d plain bytes", p.Header, len(p.Plain))
	}
	zr, err := gzip.NewReader(bytes.NewReader(p.Gzipped))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(zr); err != nil || string(got) != body {
		t.Errorf("gzipped body inflates to %d bytes, %v", len(got), err)
	}
}

func TestServePageCommand(t *testing.T) {
	p := &Page{Header: http.Header{"Content-Type": {"text/html; charset=utf-8"}}, Plain: []byte("<p>面膜</p>"), Gzipped: gzipped(t, "<p>面膜</p>")}
	file := filepath.Join(t.TempDir(), "page.json")
	if err := p.save(file); err != nil {
		t.Fatal(err)
	}
	addr, err := freeAddr()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Main(ctx, []string{servePageCmd, "--addr", addr, file}, io.Discard, io.Discard) }()
	if err := waitHealthy(ctx, "http://"+addr, done); err != nil {
		cancel()
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + addr + "/p/1") // asks for gzip and inflates
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Error(err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve-page returned %v", err)
	}
	if string(got) != "<p>面膜</p>" || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("served %q with headers %v", got, resp.Header)
	}

	for _, args := range [][]string{
		{servePageCmd, file},
		{servePageCmd, "--addr", "0.0.0.0:0", file},
		{servePageCmd, "--addr", "127.0.0.1:0", filepath.Join(t.TempDir(), "missing.json")},
	} {
		if err := Main(context.Background(), args, io.Discard, io.Discard); err == nil {
			t.Errorf("Main(%q) succeeded", args)
		}
	}
}

func TestLoadCountsErrors(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, "ok")
	}))
	defer ts.Close()
	l := load{base: ts.URL, paths: []string{"/ok", "/missing"}, conns: 2, warmup: 20 * time.Millisecond, duration: 150 * time.Millisecond}
	s, err := l.run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(s.latencies) == 0 || s.errors == 0 || s.firstErr == nil || !strings.Contains(s.firstErr.Error(), "404") {
		t.Errorf("got %d successes, %d errors, first %v", len(s.latencies), s.errors, s.firstErr)
	}
	if s.elapsed < l.duration || s.elapsed > l.duration+time.Second {
		t.Errorf("measured window %v, want about %v", s.elapsed, l.duration)
	}
}

func TestLoadRefusesOtherHosts(t *testing.T) {
	l := load{base: "http://192.0.2.1:80", paths: []string{"/"}, conns: 1, duration: time.Millisecond}
	if _, err := l.run(context.Background()); err == nil {
		t.Error("load against a non-loopback address started")
	}
}

// TestRunEndToEnd benchmarks a tiny demo shop served in-process, then
// checks the prepared folder holds the catalogue size asked for.
func TestRunEndToEnd(t *testing.T) {
	dir := t.TempDir()
	cfg, err := ParseArgs([]string{"--products", "80", "--duration", "300ms", "--conns", "4", "--json",
		"--warmup", "100ms", "--idle", "50ms", "--data", dir, "--distributors", "300", "--flash-buyers", "300", "--flash-units", "20"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Runner = InProcess
	var stdout, stderr bytes.Buffer
	if err := Run(context.Background(), cfg, &stdout, &stderr); err != nil {
		t.Fatalf("Run: %v\nstderr:\n%s", err, stderr.String())
	}
	want := append(slices.Clone(Scenarios), IdleMemory)
	var got []string
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(sc.Bytes(), &fields); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		var r struct {
			Scenario string   `json:"scenario"`
			RPS      float64  `json:"rps"`
			P50      float64  `json:"p50_ms"`
			P99      float64  `json:"p99_ms"`
			Errors   int64    `json:"errors"`
			Ratio    float64  `json:"ratio"`
			RSSMB    *float64 `json:"rss_mb"`

			Via                 string   `json:"via"`
			OrdersPerS          *float64 `json:"orders_per_s"`
			ProductRPSDuring    *float64 `json:"product_rps_during"`
			ProductP99During    *float64 `json:"product_p99_ms_during"`
			ProductErrorsDuring *int64   `json:"product_errors_during"`

			Distributors *int     `json:"distributors"`
			TreeDepth    *int     `json:"tree_depth"`
			VsCheckout   *float64 `json:"vs_checkout"`

			Orders   *int `json:"orders"`
			Units    *int `json:"units"`
			Buyers   *int `json:"buyers"`
			SoldOut  *int `json:"sold_out"`
			Oversold *int `json:"oversold"`
		}
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		got = append(got, r.Scenario)
		wantFields := 6
		if distributing(r.Scenario) {
			wantFields += 2
			if r.Distributors == nil || *r.Distributors != 300 || r.TreeDepth == nil || *r.TreeDepth != treeDepth {
				t.Errorf("%s line %s: want 300 distributors %d levels deep", r.Scenario, sc.Text(), treeDepth)
			}
		}
		switch r.Scenario {
		case "flash_sale":
			wantFields += 5
			if r.Orders == nil || *r.Orders != 20 || r.Units == nil || *r.Units != 20 || r.Buyers == nil || *r.Buyers != 300 ||
				r.SoldOut == nil || *r.SoldOut != 280 || r.Oversold == nil || *r.Oversold != 0 {
				t.Errorf("flash_sale line %s: want 20 orders of 20 units, 280 sold-out answers for 300 buyers", sc.Text())
			}
		case "checkout_distribution":
			wantFields++
			if r.VsCheckout == nil || *r.VsCheckout <= 0 {
				t.Errorf("checkout_distribution line %s has no vs_checkout", sc.Text())
			}
			fallthrough
		case "checkout":
			wantFields += 5
			if r.Via != "store" && r.Via != "http" {
				t.Errorf("checkout via %q", r.Via)
			}
			if r.OrdersPerS == nil || *r.OrdersPerS != r.RPS || r.ProductRPSDuring == nil || *r.ProductRPSDuring <= 0 ||
				r.ProductP99During == nil || *r.ProductP99During <= 0 || r.ProductErrorsDuring == nil || *r.ProductErrorsDuring != 0 {
				t.Errorf("checkout line %s", sc.Text())
			}
		}
		if r.Scenario == IdleMemory {
			wantFields = 7
			if r.RSSMB == nil || *r.RSSMB <= 0 {
				t.Errorf("idle memory line %s has no rss_mb", sc.Text())
			}
		} else if r.RPS <= 0 || r.P50 <= 0 || r.P99 < r.P50 || r.Ratio <= 0 {
			t.Errorf("implausible line %s", sc.Text())
		}
		if len(fields) != wantFields {
			t.Errorf("line %s has %d fields, want %d", sc.Text(), len(fields), wantFields)
		}
		if r.Errors != 0 {
			t.Errorf("%s: %d errors\nstderr:\n%s", r.Scenario, r.Errors, stderr.String())
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("scenarios = %v, want %v", got, want)
	}

	db, err := store.Open(context.Background(), filepath.Join(dir, "xiaodian.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, total, err := db.Products(context.Background(), store.ProductFilter{}); err != nil || total != 80 {
		t.Errorf("the prepared shop has %d products (%v), want 80: does prepare still top up the demo shop to --products?", total, err)
	}
	// The buying scenarios really bought, as signed-in customers.
	var orders, carts int
	if err := db.Write(context.Background(), func(tx *sql.Tx) error {
		if err := tx.QueryRow(`SELECT COUNT(*) FROM orders WHERE checkout_token LIKE 'bench-%'`).Scan(&orders); err != nil {
			return err
		}
		return tx.QueryRow(`SELECT COUNT(*) FROM cart_items c JOIN customers u ON u.id = c.customer_id
			WHERE u.phone LIKE '19900%'`).Scan(&carts)
	}); err != nil {
		t.Fatal(err)
	}
	if orders == 0 || carts == 0 {
		t.Errorf("after the run: %d bench orders, %d cart lines of bench buyers", orders, carts)
	}
	// The referred buyers' orders carry a referrer chain of two or more
	// (the store snapshots up to three ancestors), and their
	// paid orders of the preparation pay the distributors commission.
	var chained, unchained, commissions int
	if err := db.Write(context.Background(), func(tx *sql.Tx) error {
		if err := tx.QueryRow(`SELECT COUNT(*) FILTER (WHERE json_array_length(o.referrer_chain) >= 2),
			COUNT(*) FILTER (WHERE json_array_length(o.referrer_chain) < 2)
			FROM orders o JOIN customers u ON u.id = o.customer_id WHERE u.phone LIKE '19910%'`).Scan(&chained, &unchained); err != nil {
			return err
		}
		return tx.QueryRow(`SELECT COUNT(*) FROM commissions c JOIN customers r ON r.id = c.recipient_id
			WHERE r.phone LIKE '198%' AND c.status = 'pending'`).Scan(&commissions)
	}); err != nil {
		t.Fatal(err)
	}
	if chained <= 4 || unchained != 0 || commissions < 4 {
		t.Errorf("referred buyers' orders: %d with a chain of two or more, %d without; %d pending commissions of bench distributors",
			chained, unchained, commissions)
	}
}

// TestBuyingRequests checks what the buying scenarios send: the form, the
// same-origin headers a browser adds (CrossOriginProtection refuses posts
// without them) and the buyer's own cookie.
func TestBuyingRequests(t *testing.T) {
	type seen struct{ path, cookie, origin, site, htmx, form string }
	got := make(chan seen, 100)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		c, _ := r.Cookie("who")
		s := seen{r.URL.Path, "", r.Header.Get("Origin"), r.Header.Get("Sec-Fetch-Site"), r.Header.Get("HX-Request"), r.PostForm.Encode()}
		if c != nil {
			s.cookie = c.Value
		}
		if r.Method == http.MethodPost {
			select {
			case got <- s:
			default:
			}
		}
		switch r.URL.Path {
		case "/checkout":
			if r.Method == http.MethodGet {
				io.WriteString(w, "确认订单")
				return
			}
			http.Redirect(w, r, "/pay/1", http.StatusSeeOther)
		default:
			io.WriteString(w, "ok")
		}
	}))
	defer ts.Close()
	u, _ := url.Parse(ts.URL)
	jars := make([]http.CookieJar, 2)
	for i := range jars {
		jars[i], _ = cookiejar.New(nil)
		jars[i].SetCookies(u, []*http.Cookie{{Name: "who", Value: fmt.Sprint("buyer", i)}})
	}
	l := addToCartLoad(load{base: ts.URL, conns: 2, duration: 50 * time.Millisecond}, jars, []int64{7, 8})
	s, err := l.run(context.Background())
	if err != nil || s.errors != 0 || len(s.latencies) == 0 {
		t.Fatalf("add_to_cart run: %v, %d errors (%v), %d done", err, s.errors, s.firstErr, len(s.latencies))
	}
	r := <-got
	if r.path != "/cart/add" || !strings.HasPrefix(r.cookie, "buyer") || r.origin != ts.URL || r.site != "same-origin" ||
		r.htmx != "true" || (r.form != "qty=1&sku_id=7" && r.form != "qty=1&sku_id=8") {
		t.Errorf("add to cart sent %+v", r)
	}
	for len(got) > 0 {
		<-got
	}

	ok, err := hasCheckout(context.Background(), ts.URL, jars[0], 7)
	if err != nil || !ok {
		t.Fatalf("hasCheckout = %v, %v", ok, err)
	}
	nf := httptest.NewServer(http.NotFoundHandler())
	defer nf.Close()
	if ok, err := hasCheckout(context.Background(), nf.URL, jars[0], 7); err != nil || ok {
		t.Errorf("hasCheckout on a shop without checkout = %v, %v", ok, err)
	}
	buyers := []buyer{{id: 1, address: 11}, {id: 2, address: 22}}
	run, err := runCheckout(context.Background(), t.TempDir(), ts.URL, 2, 0, 50*time.Millisecond, buyers, jars, []int64{7, 8},
		load{base: ts.URL, paths: []string{"/p/1"}, conns: 1, duration: 50 * time.Millisecond})
	if err != nil || run.via != "http" || run.orders.errors != 0 || len(run.orders.latencies) == 0 || len(run.product.latencies) == 0 {
		t.Fatalf("checkout run = %v via %q, orders %d (%d errors: %v), product pages %d", err, run.via,
			len(run.orders.latencies), run.orders.errors, run.orders.firstErr, len(run.product.latencies))
	}
	checked := false
	for len(got) > 0 && !checked {
		r := <-got
		if r.path != "/checkout" {
			continue
		}
		checked = true
		v, _ := url.ParseQuery(r.form)
		if r.origin != ts.URL || r.site != "same-origin" || v.Get("delivery") != "express" || len(v["line"]) != 2 ||
			!strings.HasPrefix(v.Get("token"), "bench-") || (v.Get("address_id") != "11" && v.Get("address_id") != "22") {
			t.Errorf("checkout sent %+v", r)
		}
	}
	if !checked {
		t.Error("no checkout form posted")
	}
}

func TestCheckoutItems(t *testing.T) {
	skus := []int64{1, 2, 3}
	for n := range 6 {
		items := checkoutItems(skus, 1, n)
		if len(items) != 2 || items[0].SKUID == items[1].SKUID || items[0].Qty != 1 || items[1].Qty < 1 || items[1].Qty > 2 {
			t.Errorf("order %d: %+v", n, items)
		}
	}
	if items := checkoutItems([]int64{9}, 0, 0); len(items) != 1 || items[0].SKUID != 9 {
		t.Errorf("one SKU: %+v", items)
	}
}

func TestGenTree(t *testing.T) {
	const n = 2000
	tr := genTree(n, 1)
	deepest, roots, star := 0, 0, int32(0)
	for i := range n {
		p := tr.parent[i]
		switch {
		case p < 0:
			roots++
			if tr.depth[i] != 0 {
				t.Fatalf("root %d at depth %d", i, tr.depth[i])
			}
		case int(p) >= i:
			t.Fatalf("node %d comes before its referrer %d", i, p)
		case tr.depth[i] != tr.depth[p]+1:
			t.Fatalf("node %d at depth %d under %d at depth %d", i, tr.depth[i], p, tr.depth[p])
		}
		deepest = max(deepest, int(tr.depth[i]))
		star = max(star, tr.direct[i])
	}
	if deepest != treeDepth || roots < 1 || int(star) < n/50 {
		t.Errorf("tree: %d roots, deepest at depth %d (want %d), largest fan-out %d", roots, deepest, treeDepth, star)
	}
	// The counters against a walk up from every node.
	direct, team := make([]int32, n), make([]int32, n)
	for i := range n {
		if p := tr.parent[i]; p >= 0 {
			direct[p]++
		}
		for a := tr.parent[i]; a >= 0; a = tr.parent[a] {
			team[a]++
		}
	}
	if !slices.Equal(direct, tr.direct) || !slices.Equal(team, tr.team) {
		t.Error("direct or team counters differ from the tree")
	}
	if again := genTree(n, 1); !slices.Equal(again.parent, tr.parent) {
		t.Error("the same seed grew another tree")
	}
}

func TestBenchRefCode(t *testing.T) {
	seen := map[string]bool{}
	for i := range 5000 {
		c := benchRefCode(i)
		if !store.ValidRefCode(c) || seen[c] {
			t.Fatalf("code %d = %q: valid %v, seen before %v", i, c, store.ValidRefCode(c), seen[c])
		}
		seen[c] = true
	}
}

// TestPrepareTree writes a small tree to real SQLite and checks it the way
// the store reads it: 30 levels deep, paths and depths following the
// referrers, and the counters equal to what counting finds; a second
// preparation reuses it.
func TestPrepareTree(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "xiaodian.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// A customer already there: the tree's ids follow it.
	if _, err := db.RegisterCustomer(ctx, buyerPhone(0), buyerPassword); err != nil {
		t.Fatal(err)
	}
	const n = 300
	depth, err := prepareTree(ctx, db, n, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if depth != treeDepth {
		t.Errorf("tree depth %d, want %d", depth, treeDepth)
	}
	var count, levels, badPath, badDirect, badTeam, inactive int
	err = db.Write(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRow(`SELECT COUNT(*), COUNT(DISTINCT ref_depth) FROM customers WHERE phone LIKE '198%'`).Scan(&count, &levels); err != nil {
			return err
		}
		if err := tx.QueryRow(`SELECT COUNT(*) FROM customers c LEFT JOIN customers r ON r.id = c.referrer_id
			WHERE c.phone LIKE '198%' AND (CASE WHEN c.referrer_id IS NULL THEN c.ref_path != '/' OR c.ref_depth != 0
				ELSE c.ref_path != r.ref_path || r.id || '/' OR c.ref_depth != r.ref_depth + 1 END)`).Scan(&badPath); err != nil {
			return err
		}
		if err := tx.QueryRow(`SELECT COUNT(*) FROM distributors d JOIN customers c ON c.id = d.customer_id
			WHERE d.direct_count != (SELECT COUNT(*) FROM customers WHERE referrer_id = c.id)`).Scan(&badDirect); err != nil {
			return err
		}
		if err := tx.QueryRow(`SELECT COUNT(*) FROM distributors d JOIN customers c ON c.id = d.customer_id
			WHERE d.team_count != (SELECT COUNT(*) FROM customers WHERE substr(ref_path, 1, length(c.ref_path || c.id || '/')) = c.ref_path || c.id || '/')`).
			Scan(&badTeam); err != nil {
			return err
		}
		return tx.QueryRow(`SELECT COUNT(*) FROM customers c LEFT JOIN distributors d ON d.customer_id = c.id
			WHERE c.phone LIKE '198%' AND (d.status IS NULL OR d.status != 'active')`).Scan(&inactive)
	})
	if err != nil {
		t.Fatal(err)
	}
	if count != n || levels != treeDepth+1 || badPath != 0 || badDirect != 0 || badTeam != 0 || inactive != 0 {
		t.Errorf("%d distributors over %d depths; %d wrong paths, %d wrong direct counts, %d wrong team counts, %d not active",
			count, levels, badPath, badDirect, badTeam, inactive)
	}

	// The store agrees: the root of the chain sees the level-1 team the
	// counters promise.
	dists, err := pickDistributors(ctx, db, 8)
	if err != nil {
		t.Fatal(err)
	}
	deep := false
	for _, d := range dists {
		if _, err := db.AuthenticateCustomer(ctx, d.phone, buyerPassword); err != nil {
			t.Errorf("distributor %s cannot sign in: %v", d.phone, err)
		}
		ds, err := db.DistributorOf(ctx, d.id)
		if err != nil {
			t.Fatal(err)
		}
		levels, all, err := db.TeamCounts(ctx, d.id)
		if err != nil {
			t.Fatal(err)
		}
		if !ds.Active || levels[0] != ds.Direct || all != ds.Team {
			t.Errorf("distributor %d: active %v, direct %d, team %d; team counts %v of %d", d.id, ds.Active, ds.Direct, ds.Team, levels, all)
		}
		if n, err := db.Team(ctx, d.id, 1, 0, 1000); err != nil || len(n) != ds.Direct {
			t.Errorf("distributor %d lists %d direct referrals (%v), counts %d", d.id, len(n), err, ds.Direct)
		}
		if ref, _ := db.CustomerByID(ctx, d.id); ref != nil && strings.HasPrefix(ref.Phone, "198") && ds.Team == 0 {
			deep = true // the bottom of the chain
		}
	}
	if len(dists) != 8 || !deep {
		t.Errorf("picked %d distributors, the bottom of the chain among them: %v", len(dists), deep)
	}
	if _, err := db.AuthenticateCustomer(ctx, distPhone(n-1), buyerPassword); err == nil && !slices.ContainsFunc(dists, func(b buyer) bool { return b.phone == distPhone(n-1) }) {
		t.Error("a distributor nobody signs in as has the bench password")
	}

	if depth, err := prepareTree(ctx, db, n, io.Discard); err != nil || depth != treeDepth {
		t.Errorf("second preparation: depth %d, %v", depth, err)
	}
	if _, err := prepareTree(ctx, db, n+1, io.Discard); err == nil {
		t.Error("a folder with another tree size was reused")
	}
}
