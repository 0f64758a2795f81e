// Package bench is "xiaodian bench": it prepares a demo shop in a data
// folder, starts the shop as a child process on 127.0.0.1, measures its idle
// memory, then loads a few storefront pages with a closed-loop generator
// (one keep-alive connection per simulated phone, gzip on) and reports each
// scenario's throughput and latency against the machine's ceiling: the same
// product page served from memory.
package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"
)

// Scenarios are the scenario names in the order they run. static runs
// first: it is the ceiling the others are compared to. add_to_cart and
// checkout are signed-in buyers: adding to their carts, and placing orders
// while phones load product pages. checkout_distribution is checkout by
// buyers bound two levels under distributors, right after checkout, which
// it is compared to; distributor_centre and team are signed-in
// distributors of a large referral tree opening 分销中心 and 我的团队.
var Scenarios = []string{"static", "home", "category", "search", "product", "add_to_cart", "checkout",
	"checkout_distribution", "distributor_centre", "team", "flash_sale"}

// buying reports whether a scenario needs the bench buyers.
func buying(name string) bool {
	return name == "add_to_cart" || name == "checkout" || name == "checkout_distribution"
}

// distributing reports whether a scenario needs the referral tree.
func distributing(name string) bool {
	return name == "checkout_distribution" || name == "distributor_centre" || name == "team"
}

// withRequired adds the scenarios the asked ones are measured against:
// static (every ratio) and, for checkout_distribution, checkout.
func withRequired(scenarios []string) []string {
	if slices.Contains(scenarios, "checkout_distribution") && !slices.Contains(scenarios, "checkout") {
		scenarios = append(scenarios, "checkout")
	}
	if len(scenarios) > 0 && !slices.Contains(scenarios, "static") {
		scenarios = append([]string{"static"}, scenarios...)
	}
	return scenarios
}

// Config is one benchmark run.
type Config struct {
	JSON     bool          // one JSON object per line instead of a table
	Products int           // catalogue size: the demo shop plus generated products
	Duration time.Duration // measured time per scenario
	Warmup   time.Duration // unmeasured time before each scenario's measurement
	Idle     time.Duration // how long the server idles before its memory is read
	Conns    int           // concurrent connections (simulated phones)
	// Distributors is the referral tree's size for the distribution
	// scenarios: that many active distributors, treeDepth levels deep.
	Distributors int
	// FlashBuyers and FlashUnits are the flash_sale scenario's buyers
	// (each tries once) and the units on offer.
	FlashBuyers, FlashUnits int
	Scenarios               []string // which of Scenarios to run, run in Scenarios' order
	DataDir                 string   // prepared folder to keep and reuse; "" for a temporary one
	Runner                  Runner   // starts the servers; ChildProcess from the command line
}

// ParseArgs reads the command line of "xiaodian bench" into a Config that
// runs the shop as a child process. Usage errors are printed to stderr.
func ParseArgs(args []string, stderr io.Writer) (Config, error) {
	cfg := Config{Runner: ChildProcess}
	fs := flag.NewFlagSet("xiaodian bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.BoolVar(&cfg.JSON, "json", false, "print one JSON object per line per scenario")
	fs.IntVar(&cfg.Products, "products", 10000, "products in the shop: the demo shop plus generated ones")
	fs.DurationVar(&cfg.Duration, "duration", 5*time.Second, "measured time per scenario")
	fs.DurationVar(&cfg.Warmup, "warmup", time.Second, "unmeasured warm-up before each scenario")
	fs.DurationVar(&cfg.Idle, "idle", 2*time.Second, "idle time before the server's memory is read")
	fs.IntVar(&cfg.Conns, "conns", 64, "concurrent keep-alive connections")
	fs.IntVar(&cfg.Distributors, "distributors", 100_000, "distributors in the referral tree of the distribution scenarios")
	fs.IntVar(&cfg.FlashBuyers, "flash-buyers", 5000, "buyers of the flash_sale scenario, each trying once")
	fs.IntVar(&cfg.FlashUnits, "flash-units", 100, "units on offer in the flash_sale scenario")
	scen := fs.String("scenarios", strings.Join(Scenarios, ","), "comma-separated scenarios to run (static always runs: it is the ceiling every ratio is taken against; checkout_distribution brings checkout, its reference)")
	fs.StringVar(&cfg.DataDir, "data", "", "data folder to prepare once and reuse (default: a temporary folder, removed at the end)")
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("bench: unexpected argument %q", fs.Arg(0))
	}
	for _, s := range strings.Split(*scen, ",") {
		if s = strings.TrimSpace(s); s != "" {
			cfg.Scenarios = append(cfg.Scenarios, s)
		}
	}
	cfg.Scenarios = withRequired(cfg.Scenarios)
	return cfg, cfg.validate()
}

func (cfg *Config) validate() error {
	switch {
	case cfg.Products < 1:
		return errors.New("bench: --products must be at least 1")
	case cfg.Duration <= 0:
		return errors.New("bench: --duration must be positive")
	case cfg.Warmup < 0 || cfg.Idle < 0:
		return errors.New("bench: --warmup and --idle cannot be negative")
	case cfg.Conns < 1:
		return errors.New("bench: --conns must be at least 1")
	case slices.ContainsFunc(cfg.Scenarios, distributing) && cfg.Distributors < 2*treeDepth+cfg.Conns:
		return fmt.Errorf("bench: --distributors must be at least %d (a tree %d levels deep and one signed-in distributor per connection)",
			2*treeDepth+cfg.Conns, treeDepth)
	case len(cfg.Scenarios) == 0:
		return errors.New("bench: no scenario to run")
	case cfg.Runner == nil:
		return errors.New("bench: no runner")
	}
	for _, s := range cfg.Scenarios {
		if !slices.Contains(Scenarios, s) {
			return fmt.Errorf("bench: unknown scenario %q (known: %s)", s, strings.Join(Scenarios, ", "))
		}
	}
	return nil
}

// Main runs "xiaodian bench" with its command-line arguments: results go to
// stdout, progress and server warnings to stderr. "bench serve-page" is the
// static scenario's server, which the benchmark starts itself.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == servePageCmd {
		return servePage(ctx, args[1:], stderr)
	}
	cfg, err := ParseArgs(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	return Run(ctx, cfg, stdout, stderr)
}

// Run prepares the shop, starts it with cfg.Runner, runs the scenarios and
// writes the report to stdout (progress to stderr). The servers are stopped
// and a temporary data folder removed before Run returns.
func Run(ctx context.Context, cfg Config, stdout, stderr io.Writer) (err error) {
	cfg.Scenarios = withRequired(cfg.Scenarios)
	if err := cfg.validate(); err != nil {
		return err
	}
	dir := cfg.DataDir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "xiaodian-bench-"); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		defer func() {
			if rerr := os.RemoveAll(dir); rerr != nil {
				err = errors.Join(err, fmt.Errorf("bench: %w", rerr))
			}
		}()
	}
	plan := plan{products: cfg.Products}
	if slices.ContainsFunc(cfg.Scenarios, buying) {
		plan.buyers = cfg.Conns
	}
	if slices.ContainsFunc(cfg.Scenarios, distributing) {
		plan.distributors, plan.signedIn = cfg.Distributors, cfg.Conns
	}
	if slices.Contains(cfg.Scenarios, "flash_sale") {
		plan.flashBuyers, plan.flashUnits = cfg.FlashBuyers, cfg.FlashUnits
	}
	t, err := prepare(ctx, dir, plan, stderr)
	if err != nil {
		return err
	}

	srv, err := cfg.Runner.Shop(ctx, dir, stderr)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	defer func() {
		if serr := srv.Stop(); serr != nil {
			err = errors.Join(err, fmt.Errorf("bench: %w", serr))
		}
	}()
	if err := checkLoopback(srv.URL); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	idle, err := idleMemory(ctx, srv.PID, cfg.Idle)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "bench: server pid %d at %s, %.2f MB resident after %s idle\n", srv.PID, srv.URL, float64(*idle.RSSMB), cfg.Idle)
	for _, g := range []struct {
		who    string
		people []buyer
		jars   *[]http.CookieJar
	}{{"buyers", t.buyers, &t.jars}, {"distributors", t.dists, &t.distJars}, {"referred buyers", t.distBuyers, &t.distBuyerJars}} {
		if len(g.people) == 0 {
			continue
		}
		start := time.Now()
		if *g.jars, err = signIn(ctx, srv.URL, g.people); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "bench: %d %s signed in in %s\n", len(*g.jars), g.who, time.Since(start).Round(time.Millisecond))
	}

	var results []Result
	for _, name := range Scenarios {
		if !slices.Contains(cfg.Scenarios, name) {
			continue
		}
		r, err := runScenario(ctx, cfg, dir, name, srv.URL, t, stderr)
		if err != nil {
			return err
		}
		results = append(results, r)
	}
	withRatios(results)
	withVsCheckout(results)
	results = append(results, idle)
	if cfg.JSON {
		return writeJSON(stdout, results)
	}
	return writeTable(stdout, results)
}

// idleMemory lets the server idle, then reads its resident memory.
func idleMemory(ctx context.Context, pid int, idle time.Duration) (Result, error) {
	select {
	case <-ctx.Done():
		return Result{}, fmt.Errorf("bench: %w", ctx.Err())
	case <-time.After(idle):
	}
	mb, err := rssMB(pid)
	if err != nil {
		return Result{}, fmt.Errorf("bench: %w", err)
	}
	rss := round2(mb)
	return Result{Scenario: IdleMemory, RSSMB: &rss}, nil
}

// runScenario measures one scenario; static first fetches a product page
// from the shop and has the runner serve it from memory.
func runScenario(ctx context.Context, cfg Config, dir, name, base string, t targets, stderr io.Writer) (res Result, err error) {
	l := load{base: base, conns: cfg.Conns, warmup: cfg.Warmup, duration: cfg.Duration}
	switch name {
	case "static":
		p, err := fetchPage(ctx, base+t.products[0])
		if err != nil {
			return Result{}, fmt.Errorf("bench: static: %w", err)
		}
		ps, err := cfg.Runner.Page(ctx, p, stderr)
		if err != nil {
			return Result{}, fmt.Errorf("bench: static: %w", err)
		}
		defer func() {
			if serr := ps.Stop(); serr != nil {
				err = errors.Join(err, fmt.Errorf("bench: static: %w", serr))
			}
		}()
		l.base, l.paths = ps.URL, t.products[:1]
	case "home":
		l.paths = []string{"/"}
	case "category":
		l.paths = t.categories
	case "search":
		l.paths = t.searches
	case "product":
		l.paths = t.products
	case "add_to_cart":
		l = addToCartLoad(l, t.jars, t.skus)
	case "checkout":
		return checkoutScenario(ctx, cfg, dir, base, name, t.buyers, t.jars, t, stderr)
	case "checkout_distribution":
		r, err := checkoutScenario(ctx, cfg, dir, base, name, t.distBuyers, t.distBuyerJars, t, stderr)
		r.Distributors, r.TreeDepth = &t.treeSize, &t.treeDepth
		return r, err
	case "distributor_centre":
		l = distLoad(l, t.distJars, []string{distCentrePath})
	case "team":
		l = distLoad(l, t.distJars, teamPaths)
	case "flash_sale":
		return flashScenario(ctx, cfg, dir, base, t.flash, stderr)
	}
	s, err := l.run(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("bench: %s: %w", name, err)
	}
	r := summarize(name, s)
	if distributing(name) {
		r.Distributors, r.TreeDepth = &t.treeSize, &t.treeDepth
	}
	fmt.Fprintf(stderr, "bench: %-8s %10.2f rps  p50 %.2f ms  p99 %.2f ms  %d errors\n", name, r.RPS, r.P50, r.P99, r.Errors)
	if s.firstErr != nil {
		fmt.Fprintf(stderr, "bench: %s: first error: %v\n", name, s.firstErr)
	}
	return r, nil
}

// checkoutScenario measures the orders the buyers place (name is checkout
// or checkout_distribution) and the product pages served meanwhile.
func checkoutScenario(ctx context.Context, cfg Config, dir, base, name string, buyers []buyer, jars []http.CookieJar,
	t targets, stderr io.Writer) (Result, error) {
	pl := load{base: base, paths: t.products, conns: cfg.Conns, warmup: cfg.Warmup, duration: cfg.Duration}
	run, err := runCheckout(ctx, dir, base, cfg.Conns, cfg.Warmup, cfg.Duration, buyers, jars, t.skus, pl)
	if err != nil {
		return Result{}, fmt.Errorf("bench: %s: %w", name, err)
	}
	r := summarize(name, run.orders)
	p := summarize("product", run.product)
	ordersPerS, productRPS, productP99 := r.RPS, p.RPS, p.P99
	r.Via, r.OrdersPerS, r.ProductRPSDuring, r.ProductP99During = run.via, &ordersPerS, &productRPS, &productP99
	r.ProductErrorsDuring = &p.Errors
	fmt.Fprintf(stderr, "bench: %-8s %10.2f orders/s via %s  p50 %.2f ms  p99 %.2f ms  %d errors; product pages meanwhile %.2f rps, p99 %.2f ms, %d errors\n",
		name, r.RPS, r.Via, r.P50, r.P99, r.Errors, p.RPS, p.P99, p.Errors)
	for what, err := range map[string]error{name: run.orders.firstErr, "product pages during " + name: run.product.firstErr} {
		if err != nil {
			fmt.Fprintf(stderr, "bench: %s: first error: %v\n", what, err)
		}
	}
	return r, nil
}
