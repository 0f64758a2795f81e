package bench

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// Page is one response held in memory, plain and gzipped, with the headers
// it was served with: the static scenario serves a product page this way,
// the ceiling no dynamic page can beat.
type Page struct {
	Header  http.Header
	Plain   []byte
	Gzipped []byte
}

// headers a copied page must not replay: they describe one transfer.
var transferHeaders = []string{"Content-Length", "Content-Encoding", "Transfer-Encoding", "Date", "Connection", "Keep-Alive"}

// fetchPage requests u once plain and once asking for gzip, and keeps both
// bodies as the server sent them (gzipping the plain one here if the server
// did not compress).
func fetchPage(ctx context.Context, u string) (*Page, error) {
	// Compression off: the transport neither asks for gzip nor inflates.
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{Proxy: nil, DisableCompression: true}}
	defer client.CloseIdleConnections()
	fetch := func(acceptEncoding string) (*http.Response, []byte, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, nil, err
		}
		req.Header.Set("User-Agent", userAgent)
		if acceptEncoding != "" {
			req.Header.Set("Accept-Encoding", acceptEncoding)
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, nil, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return nil, nil, err
		}
		if resp.StatusCode != http.StatusOK {
			return nil, nil, fmt.Errorf("GET %s: %s", u, resp.Status)
		}
		return resp, body, nil
	}
	resp, plain, err := fetch("")
	if err != nil {
		return nil, fmt.Errorf("fetch page: %w", err)
	}
	p := &Page{Header: resp.Header.Clone(), Plain: plain}
	for _, h := range transferHeaders {
		p.Header.Del(h)
	}
	if !strings.Contains(p.Header.Get("Vary"), "Accept-Encoding") {
		p.Header.Add("Vary", "Accept-Encoding")
	}
	zresp, zbody, err := fetch("gzip")
	if err != nil {
		return nil, fmt.Errorf("fetch page: %w", err)
	}
	if zresp.Header.Get("Content-Encoding") == "gzip" {
		p.Gzipped = zbody
		return p, nil
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(plain)
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("fetch page: gzip: %w", err)
	}
	p.Gzipped = buf.Bytes()
	return p, nil
}

// ServeHTTP writes the page from memory, gzipped when the client accepts
// it, whatever the path.
func (p *Page) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	for k, v := range p.Header {
		h[k] = v
	}
	body := p.Plain
	if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		h.Set("Content-Encoding", "gzip")
		body = p.Gzipped
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

// save writes the page to a file for a "bench serve-page" child.
func (p *Page) save(file string) error {
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("save page: %w", err)
	}
	if err := os.WriteFile(file, b, 0o600); err != nil {
		return fmt.Errorf("save page: %w", err)
	}
	return nil
}

func loadPage(file string) (*Page, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("load page: %w", err)
	}
	var p Page
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("load page %s: %w", file, err)
	}
	if len(p.Plain) == 0 || len(p.Gzipped) == 0 {
		return nil, fmt.Errorf("load page %s: empty page", file)
	}
	return &p, nil
}

// servePageCmd is the internal "xiaodian bench serve-page --addr ADDR FILE"
// command the ChildProcess runner starts for the static scenario.
const servePageCmd = "serve-page"

// servePage serves the page saved in a file on a 127.0.0.1 address until
// ctx ends (SIGTERM, in the child).
func servePage(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("xiaodian bench "+servePageCmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "", "address to listen on, 127.0.0.1:PORT")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 || *addr == "" {
		return fmt.Errorf("usage: xiaodian bench %s --addr 127.0.0.1:PORT FILE", servePageCmd)
	}
	if err := checkLoopback("http://" + *addr); err != nil {
		return fmt.Errorf("serve page: %w", err)
	}
	p, err := loadPage(fs.Arg(0))
	if err != nil {
		return err
	}
	// The start-up health check must not be cut short by the end of ctx: a
	// stop that comes while it is still polling is honoured just below.
	srv, err := serveHTTP(context.WithoutCancel(ctx), *addr, p)
	if err != nil {
		return fmt.Errorf("serve page: %w", err)
	}
	<-ctx.Done()
	if err := srv.Stop(); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("serve page: %w", err)
	}
	return nil
}
