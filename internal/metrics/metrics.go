// Package metrics holds the Prometheus series that sit below the HTTP
// counters of internal/api: request latency histograms per route, blob store
// operations and database errors. It writes the text exposition format
// itself (a client library would be the only dependency for a few series).
package metrics

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"sync"
	"time"
)

// LatencyBuckets are the upper bounds (seconds) of the latency histograms:
// from a cached result read (ms) to a full ID card read or video analysis (s).
var LatencyBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// Histogram is a cumulative-bucket histogram, safe for concurrent use.
type Histogram struct {
	mu     sync.Mutex
	bounds []float64
	counts []uint64 // per bucket, not cumulative; the last is +Inf
	sum    float64
	n      uint64
}

// NewHistogram makes a histogram with the given ascending upper bounds.
func NewHistogram(bounds []float64) *Histogram {
	return &Histogram{bounds: bounds, counts: make([]uint64, len(bounds)+1)}
}

// Observe adds one value.
func (h *Histogram) Observe(v float64) {
	i := sort.SearchFloat64s(h.bounds, v) // first bound ≥ v: Prometheus buckets are "le"
	h.mu.Lock()
	h.counts[i]++
	h.sum += v
	h.n++
	h.mu.Unlock()
}

// write prints the histogram's series with the given labels (`k="v",…` or "").
func (h *Histogram) write(w io.Writer, name, labels string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	sep := ""
	if labels != "" {
		sep = ","
	}
	var cum uint64
	for i, b := range h.bounds {
		cum += h.counts[i]
		fmt.Fprintf(w, "%s_bucket{%s%sle=%q} %d\n", name, labels, sep, formatFloat(b), cum)
	}
	cum += h.counts[len(h.bounds)]
	fmt.Fprintf(w, "%s_bucket{%s%sle=\"+Inf\"} %d\n", name, labels, sep, cum)
	fmt.Fprintf(w, "%s_sum{%s} %g\n%s_count{%s} %d\n", name, labels, h.sum, name, labels, h.n)
}

func formatFloat(v float64) string {
	if math.IsInf(v, 1) {
		return "+Inf"
	}
	return fmt.Sprintf("%g", v)
}

// Registry is one process' series.
type Registry struct {
	mu        sync.Mutex
	routes    map[string]*Histogram   // HTTP route pattern → latency
	blobTime  map[string]*Histogram   // blob op → latency
	blobCount map[[2]string]uint64    // (op, result) → count
	dbErrors  func() map[string]int64 // store op → errors (read at exposition)
}

// NewRegistry makes an empty registry; dbErrors (may be nil) reports the database errors per operation.
func NewRegistry(dbErrors func() map[string]int64) *Registry {
	return &Registry{routes: map[string]*Histogram{}, blobTime: map[string]*Histogram{}, blobCount: map[[2]string]uint64{}, dbErrors: dbErrors}
}

func (r *Registry) hist(m map[string]*Histogram, key string) *Histogram {
	r.mu.Lock()
	defer r.mu.Unlock()
	h := m[key]
	if h == nil {
		h = NewHistogram(LatencyBuckets)
		m[key] = h
	}
	return h
}

// ObserveRequest records one HTTP request's duration under its route pattern
// (never the raw path, which may carry tokens and would explode the series).
func (r *Registry) ObserveRequest(route string, d time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	r.hist(r.routes, route).Observe(d.Seconds())
}

// ObserveBlob records one blob store operation: result is "ok", "not_found" or "error".
func (r *Registry) ObserveBlob(op, result string, d time.Duration) {
	r.hist(r.blobTime, op).Observe(d.Seconds())
	r.mu.Lock()
	r.blobCount[[2]string{op, result}]++
	r.mu.Unlock()
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// WriteText writes every series in the Prometheus text format.
func (r *Registry) WriteText(w io.Writer) {
	r.mu.Lock()
	routes, blobTime := make(map[string]*Histogram, len(r.routes)), make(map[string]*Histogram, len(r.blobTime))
	for k, v := range r.routes {
		routes[k] = v
	}
	for k, v := range r.blobTime {
		blobTime[k] = v
	}
	counts := make([][2]string, 0, len(r.blobCount))
	for k := range r.blobCount {
		counts = append(counts, k)
	}
	sort.Slice(counts, func(i, j int) bool { return counts[i][0]+"\x00"+counts[i][1] < counts[j][0]+"\x00"+counts[j][1] })
	countVals := make([]uint64, len(counts))
	for i, k := range counts {
		countVals[i] = r.blobCount[k]
	}
	r.mu.Unlock()

	io.WriteString(w, "# HELP faceprint_http_request_duration_seconds HTTP request latency by route.\n# TYPE faceprint_http_request_duration_seconds histogram\n")
	for _, k := range sortedKeys(routes) {
		routes[k].write(w, "faceprint_http_request_duration_seconds", fmt.Sprintf("route=%q", k))
	}
	io.WriteString(w, "# HELP faceprint_blob_operations_total Blob store operations by result (ok, not_found, error).\n# TYPE faceprint_blob_operations_total counter\n")
	for i, k := range counts {
		fmt.Fprintf(w, "faceprint_blob_operations_total{op=%q,result=%q} %d\n", k[0], k[1], countVals[i])
	}
	io.WriteString(w, "# HELP faceprint_blob_operation_duration_seconds Blob store operation latency.\n# TYPE faceprint_blob_operation_duration_seconds histogram\n")
	for _, k := range sortedKeys(blobTime) {
		blobTime[k].write(w, "faceprint_blob_operation_duration_seconds", fmt.Sprintf("op=%q", k))
	}
	if r.dbErrors != nil {
		io.WriteString(w, "# HELP faceprint_db_errors_total Database errors by store operation (not found and conflicts are not errors).\n# TYPE faceprint_db_errors_total counter\n")
		errs := r.dbErrors()
		for _, k := range sortedKeys(errs) {
			fmt.Fprintf(w, "faceprint_db_errors_total{op=%q} %d\n", k, errs[k])
		}
	}
}

// String is WriteText into a string (tests, debugging).
func (r *Registry) String() string {
	var b strings.Builder
	r.WriteText(&b)
	return b.String()
}
