package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"text/tabwriter"
	"time"
)

// Float2 is a number written with exactly two decimals in JSON (1.00, not 1),
// so the lines read the same as the table.
type Float2 float64

// MarshalJSON writes f rounded to two decimals.
func (f Float2) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil, fmt.Errorf("bench: %v is not a JSON number", v)
	}
	return strconv.AppendFloat(nil, v, 'f', 2, 64), nil
}

// Result is one line of the report: a scenario's throughput and latency, or
// the server's idle memory (scenario "idle_memory", RSSMB set, the rest 0).
// The JSON field set is a stable interface: add fields, never rename them.
type Result struct {
	Scenario string  `json:"scenario"`
	RPS      Float2  `json:"rps"`
	P50      Float2  `json:"p50_ms"`
	P99      Float2  `json:"p99_ms"`
	Errors   int64   `json:"errors"`
	Ratio    Float2  `json:"ratio"`
	RSSMB    *Float2 `json:"rss_mb,omitempty"`

	// checkout only: how the orders were placed ("store": straight through
	// the store, "http": the storefront's checkout form), orders per second
	// (the rps), and the product pages phones loaded meanwhile.
	Via                 string  `json:"via,omitempty"`
	OrdersPerS          *Float2 `json:"orders_per_s,omitempty"`
	ProductRPSDuring    *Float2 `json:"product_rps_during,omitempty"`
	ProductP99During    *Float2 `json:"product_p99_ms_during,omitempty"`
	ProductErrorsDuring *int64  `json:"product_errors_during,omitempty"`

	// The distribution scenarios: the referral tree's size and depth;
	// checkout_distribution also its throughput over checkout's, measured
	// in the same run.
	Distributors *int    `json:"distributors,omitempty"`
	TreeDepth    *int    `json:"tree_depth,omitempty"`
	VsCheckout   *Float2 `json:"vs_checkout,omitempty"`

	// flash_sale: the orders created, the units on offer, the buyers (one
	// attempt each), the sold-out answers and the units sold beyond the
	// offer (always 0).
	Orders   *int `json:"orders,omitempty"`
	Units    *int `json:"units,omitempty"`
	Buyers   *int `json:"buyers,omitempty"`
	SoldOut  *int `json:"sold_out,omitempty"`
	Oversold *int `json:"oversold,omitempty"`
}

// IdleMemory is the scenario name of the idle memory line.
const IdleMemory = "idle_memory"

// sample is what one scenario's load run measured.
type sample struct {
	latencies []time.Duration // successful requests inside the measured window
	errors    int64           // failed requests, warm-up included
	elapsed   time.Duration   // length of the measured window
	firstErr  error           // the first failure, for the log
}

// percentile returns the nearest-rank p-th percentile (0 < p <= 100) of
// sorted: the smallest value with at least p% of the samples at or below it.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// summarize turns a sample into a result; ratio is left for the caller.
// It sorts s.latencies in place.
func summarize(name string, s sample) Result {
	slices.Sort(s.latencies)
	r := Result{Scenario: name, Errors: s.errors}
	if s.elapsed > 0 {
		r.RPS = round2(float64(len(s.latencies)) / s.elapsed.Seconds())
	}
	r.P50 = round2(ms(percentile(s.latencies, 50)))
	r.P99 = round2(ms(percentile(s.latencies, 99)))
	return r
}

// withRatios sets every result's ratio to its rps over the static
// scenario's (0 when static did not run).
func withRatios(results []Result) {
	var ceiling Float2
	for _, r := range results {
		if r.Scenario == "static" {
			ceiling = r.RPS
		}
	}
	for i := range results {
		if ceiling > 0 && results[i].Scenario != IdleMemory {
			results[i].Ratio = round2(float64(results[i].RPS / ceiling))
		}
	}
}

// withVsCheckout sets checkout_distribution's vs_checkout to its rps over
// checkout's (left out when checkout did not run or served nothing).
func withVsCheckout(results []Result) {
	var checkout Float2
	for _, r := range results {
		if r.Scenario == "checkout" {
			checkout = r.RPS
		}
	}
	for i := range results {
		if results[i].Scenario == "checkout_distribution" && checkout > 0 {
			v := round2(float64(results[i].RPS / checkout))
			results[i].VsCheckout = &v
		}
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func round2(v float64) Float2 { return Float2(math.Round(v*100) / 100) }

// writeJSON writes one JSON object per line.
func writeJSON(w io.Writer, results []Result) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, r := range results {
		if err := enc.Encode(r); err != nil {
			return fmt.Errorf("write json: %w", err)
		}
	}
	return nil
}

// writeTable writes the scenarios as an aligned table, then the idle memory
// line.
func writeTable(w io.Writer, results []Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\trps\tp50 ms\tp99 ms\terrors\tratio\t")
	var idle []Result
	for _, r := range results {
		if r.Scenario == IdleMemory {
			idle = append(idle, r)
			continue
		}
		fmt.Fprintf(tw, "%s\t%.2f\t%.2f\t%.2f\t%d\t%.2f\t\n", r.Scenario, r.RPS, r.P50, r.P99, r.Errors, r.Ratio)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	for _, r := range results {
		if r.OrdersPerS == nil || r.ProductRPSDuring == nil || r.ProductP99During == nil {
			continue
		}
		if _, err := fmt.Fprintf(w, "%s: %.2f orders/s via %s; product pages meanwhile %.2f rps, p99 %.2f ms\n",
			r.Scenario, float64(*r.OrdersPerS), r.Via, float64(*r.ProductRPSDuring), float64(*r.ProductP99During)); err != nil {
			return fmt.Errorf("write table: %w", err)
		}
	}
	for _, r := range results {
		if r.VsCheckout == nil {
			continue
		}
		if _, err := fmt.Fprintf(w, "%s: %.2f of checkout's orders/s\n", r.Scenario, float64(*r.VsCheckout)); err != nil {
			return fmt.Errorf("write table: %w", err)
		}
	}
	for _, r := range idle {
		if r.RSSMB == nil {
			continue
		}
		if _, err := fmt.Fprintf(w, "%s: %.2f MB resident\n", IdleMemory, float64(*r.RSSMB)); err != nil {
			return fmt.Errorf("write table: %w", err)
		}
	}
	return nil
}
