package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// load is one closed-loop run: conns workers, each with its own keep-alive
// connection, send requests back to back: GET requests rotating over paths,
// or what send does.
type load struct {
	base     string // http://127.0.0.1:port
	paths    []string
	conns    int
	warmup   time.Duration // run but not measured
	duration time.Duration // measured
	// send, when set, replaces the GETs of paths: the n-th request of
	// worker w through its client.
	send func(ctx context.Context, client *http.Client, w, n int) error
	// jars, when set, holds worker w's cookies (a signed-in phone).
	jars []http.CookieJar
}

// grace bounds a request still in flight when the run ends.
const grace = 10 * time.Second

// run sends the requests and returns what was measured. Failed requests
// (transport errors and non-2xx answers) are counted, not fatal; the first
// one is kept in the sample for the log.
func (l load) run(ctx context.Context) (sample, error) {
	if err := checkLoopback(l.base); err != nil {
		return sample{}, err
	}
	if (len(l.paths) == 0 && l.send == nil) || l.conns < 1 {
		return sample{}, fmt.Errorf("load %s: nothing to request", l.base)
	}
	if l.jars != nil && len(l.jars) < l.conns {
		return sample{}, fmt.Errorf("load %s: %d cookie jars for %d connections", l.base, len(l.jars), l.conns)
	}
	urls := make([]string, len(l.paths))
	for i, p := range l.paths {
		urls[i] = l.base + p
	}
	return closedLoop(ctx, l.conns, l.warmup, l.duration, func(w int) (func(ctx context.Context, n int) error, func()) {
		client, cleanup := l.client(w)
		do := func(ctx context.Context, n int) error {
			if l.send != nil {
				return l.send(ctx, client, w, n)
			}
			return get(ctx, client, urls[(w+n)%len(urls)])
		}
		return do, cleanup
	})
}

// client is worker w's phone: its own keep-alive connection (and cookie
// jar, when the load has jars). cleanup closes the connection.
func (l load) client(w int) (*http.Client, func()) {
	tr := &http.Transport{
		Proxy:               nil, // only ever 127.0.0.1
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        l.conns,
		MaxIdleConnsPerHost: l.conns,
		IdleConnTimeout:     90 * time.Second,
		// Compression stays on: the transport asks for gzip and inflates the
		// answer, as a phone's browser does.
		DisableCompression: false,
	}
	client := &http.Client{
		Transport: tr,
		// A redirect is an answer to measure (and a non-2xx), not to follow.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	if l.jars != nil {
		client.Jar = l.jars[w]
	}
	return client, tr.CloseIdleConnections
}

// closedLoop runs conns workers for warmup + duration; worker w calls its
// do (made by setup, with cleanup run at its end) back to back with n = 0,
// 1, 2, … and the calls that succeed inside the measured window are the
// sample's latencies. Errors are counted, the first one kept.
func closedLoop(ctx context.Context, conns int, warmup, duration time.Duration,
	setup func(w int) (do func(ctx context.Context, n int) error, cleanup func())) (sample, error) {
	start := time.Now()
	measureFrom := start.Add(warmup)
	end := measureFrom.Add(duration)
	// The request context outlives the run by a grace period so requests
	// in flight at the end finish normally, but nothing hangs forever.
	rctx, cancel := context.WithDeadline(ctx, end.Add(grace))
	defer cancel()

	// Sized for ~50k requests a second per connection share; append grows
	// the rare busier worker.
	expect := int(duration.Seconds()*50000)/conns + 1024
	workers := make([]worker, conns)
	var wg sync.WaitGroup
	for i := range workers {
		workers[i].latencies = make([]time.Duration, 0, expect)
		do, cleanup := setup(i)
		wg.Add(1)
		go func(w *worker) {
			defer wg.Done()
			defer cleanup()
			w.loop(rctx, do, measureFrom, end)
		}(&workers[i])
	}
	wg.Wait()
	elapsed := time.Since(measureFrom)
	if err := ctx.Err(); err != nil {
		return sample{}, fmt.Errorf("load: %w", err)
	}
	n := 0
	for i := range workers {
		n += len(workers[i].latencies)
	}
	s := sample{latencies: make([]time.Duration, 0, n), elapsed: elapsed}
	for i := range workers {
		s.latencies = append(s.latencies, workers[i].latencies...)
		s.errors += workers[i].errors
		if s.firstErr == nil {
			s.firstErr = workers[i].firstErr
		}
	}
	return s, nil
}

// worker is one simulated phone: one connection, one request at a time.
type worker struct {
	latencies []time.Duration
	errors    int64
	firstErr  error
}

func (w *worker) loop(ctx context.Context, do func(ctx context.Context, n int) error, measureFrom, end time.Time) {
	for n := 0; ; n++ {
		t0 := time.Now()
		if !t0.Before(end) || ctx.Err() != nil {
			return
		}
		err := do(ctx, n)
		d := time.Since(t0)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			w.errors++
			if w.firstErr == nil {
				w.firstErr = err
			}
			continue
		}
		if !t0.Before(measureFrom) {
			w.latencies = append(w.latencies, d)
		}
	}
}

// get requests u and reads the whole (inflated) body.
func get(ctx context.Context, client *http.Client, u string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", userAgent)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	_, cerr := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	if cerr != nil {
		return fmt.Errorf("GET %s: read body: %w", u, cerr)
	}
	return nil
}

// userAgent is a phone's, so the storefront renders its usual mobile page.
const userAgent = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 xiaodian-bench"

// checkLoopback refuses any target but 127.0.0.1: the benchmark must never
// load someone else's server.
func checkLoopback(base string) error {
	u, err := url.Parse(base)
	if err != nil {
		return fmt.Errorf("target %q: %w", base, err)
	}
	if u.Scheme != "http" || u.Hostname() != "127.0.0.1" {
		return errors.New("target " + base + ": the benchmark only requests http://127.0.0.1")
	}
	return nil
}
