package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/xiaodian/xiaodian/handlers"
)

// Server is a running server under test: the shop or the static page.
type Server struct {
	// URL is http://127.0.0.1:port, without a trailing slash.
	URL string
	// PID is the process whose resident memory is reported as idle memory.
	PID int
	// Stop shuts the server down and waits for it.
	Stop func() error
}

// Runner starts the servers under test, each returning once it answers:
// the shop on a prepared data folder, and the static ceiling, one page
// served from memory. Server messages (warnings and errors) go to log.
type Runner interface {
	Shop(ctx context.Context, dataDir string, log io.Writer) (*Server, error)
	Page(ctx context.Context, p *Page, log io.Writer) (*Server, error)
}

// ChildProcess is the Runner of the command line: it runs this executable
// again, as "serve" for the shop and as "bench serve-page" for the static
// page, each on a free port of 127.0.0.1. The shop then runs as it does in
// production with memory of its own, and the ceiling runs in a process of
// its own too, so the load generator shares the CPUs with both alike.
var ChildProcess Runner = childProcess{}

// InProcess is a Runner that serves from this process: the shop with
// handlers.OpenApp and an http.Server, the page with an http.Server. For
// tests, which cannot re-execute the test binary; its idle memory is this
// whole process's.
var InProcess Runner = inProcess{}

type childProcess struct{}

func (childProcess) Shop(ctx context.Context, dataDir string, log io.Writer) (*Server, error) {
	return startChild(ctx, log, func(addr string) []string { return []string{"serve", "--addr", addr, "--data", dataDir} })
}

func (childProcess) Page(ctx context.Context, p *Page, log io.Writer) (*Server, error) {
	dir, err := os.MkdirTemp("", "xiaodian-bench-page-")
	if err != nil {
		return nil, fmt.Errorf("start page server: %w", err)
	}
	defer os.RemoveAll(dir) // the child has read it once it answers
	file := filepath.Join(dir, "page.json")
	if err := p.save(file); err != nil {
		return nil, err
	}
	return startChild(ctx, log, func(addr string) []string { return []string{"bench", servePageCmd, "--addr", addr, file} })
}

// startChild runs this executable with args(addr) for a free 127.0.0.1
// address and waits for it to answer /healthz.
func startChild(ctx context.Context, log io.Writer, args func(addr string) []string) (*Server, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("start server: %w", err)
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, args(addr)...)
	cmd.Env = append(os.Environ(), "XIAODIAN_LOG_ACCESS=false", "XIAODIAN_LOG_LEVEL=warn")
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start server: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() error {
		select {
		case err := <-exited:
			return fmt.Errorf("server exited early: %w", errOrExit(err))
		default:
		}
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			cmd.Process.Kill()
		}
		select {
		case err := <-exited:
			if err != nil {
				return fmt.Errorf("stop server: %w", err)
			}
			return nil
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			<-exited
			return errors.New("stop server: no exit 15s after SIGTERM; killed")
		}
	}
	srv := &Server{URL: "http://" + addr, PID: cmd.Process.Pid, Stop: stop}
	if err := waitHealthy(ctx, srv.URL, exited); err != nil {
		return nil, errors.Join(err, stop())
	}
	return srv, nil
}

// errOrExit names a clean exit, which Wait reports as nil.
func errOrExit(err error) error {
	if err == nil {
		return errors.New("exit status 0")
	}
	return err
}

type inProcess struct{}

func (inProcess) Shop(ctx context.Context, dataDir string, log io.Writer) (*Server, error) {
	app, err := handlers.OpenApp(ctx, handlers.AppConfig{
		DataDir: dataDir, Mode: "development", AccessLog: false,
		Logger: slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		return nil, fmt.Errorf("start server: %w", err)
	}
	srv, err := serveHTTP(ctx, "127.0.0.1:0", app.HTTP)
	if err != nil {
		return nil, errors.Join(err, app.Close())
	}
	stop := srv.Stop
	srv.Stop = func() error { return errors.Join(stop(), app.Close()) }
	return srv, nil
}

func (inProcess) Page(ctx context.Context, p *Page, log io.Writer) (*Server, error) {
	return serveHTTP(ctx, "127.0.0.1:0", p)
}

// serveHTTP serves h on addr from this process until Stop.
func serveHTTP(ctx context.Context, addr string, h http.Handler) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("start server: %w", err)
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	stop := func() error {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := hs.Shutdown(sctx)
		if serr := <-served; !errors.Is(serr, http.ErrServerClosed) {
			err = errors.Join(err, serr)
		}
		if err != nil {
			return fmt.Errorf("stop server: %w", err)
		}
		return nil
	}
	srv := &Server{URL: "http://" + ln.Addr().String(), PID: os.Getpid(), Stop: stop}
	if err := waitHealthy(ctx, srv.URL, nil); err != nil {
		return nil, errors.Join(err, stop())
	}
	return srv, nil
}

// freeAddr finds a free port on 127.0.0.1. Another process could take it
// before the server binds it; the server then fails to start and says so.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("free port: %w", err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		return "", fmt.Errorf("free port: %w", err)
	}
	return addr, nil
}

// waitHealthy polls base/healthz until it answers 200, the process exits
// (exited receives) or a minute passes.
func waitHealthy(ctx context.Context, base string, exited <-chan error) error {
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{Proxy: nil}}
	defer client.CloseIdleConnections()
	deadline := time.Now().Add(time.Minute)
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/healthz", nil)
		if err != nil {
			return fmt.Errorf("health check: %w", err)
		}
		if resp, err := client.Do(req); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("health check: %s/healthz did not answer 200 within a minute", base)
		}
		select {
		case err := <-exited:
			return fmt.Errorf("server exited before answering: %w", errOrExit(err))
		case <-ctx.Done():
			return fmt.Errorf("health check: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// rssMB reads a process's resident memory from /proc (Linux).
func rssMB(pid int) (float64, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, fmt.Errorf("resident memory: %w", err)
	}
	defer f.Close()
	return parseVmRSS(f)
}

// parseVmRSS finds the "VmRSS:  1234 kB" line of a /proc/PID/status file and
// returns it in MiB.
func parseVmRSS(r io.Reader) (float64, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) != 2 || fields[1] != "kB" {
			return 0, fmt.Errorf("resident memory: unexpected line %q", sc.Text())
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("resident memory: %w", err)
		}
		return float64(kb) / 1024, nil
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("resident memory: %w", err)
	}
	return 0, errors.New("resident memory: no VmRSS line")
}
