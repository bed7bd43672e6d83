package api

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// metrics counts requests per route pattern and status class and sums their
// durations, exposed at /metrics in the Prometheus text format (no client
// library needed for a handful of counters).
type metrics struct {
	mu    sync.Mutex
	count map[[2]string]uint64
	secs  map[[2]string]float64
}

func (m *metrics) observe(pattern string, status int, d time.Duration) {
	if pattern == "" {
		pattern = "unmatched"
	}
	k := [2]string{pattern, fmt.Sprintf("%dxx", status/100)}
	m.mu.Lock()
	if m.count == nil {
		m.count, m.secs = map[[2]string]uint64{}, map[[2]string]float64{}
	}
	m.count[k]++
	m.secs[k] += d.Seconds()
	m.mu.Unlock()
}

func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	s.metrics.mu.Lock()
	keys := make([][2]string, 0, len(s.metrics.count))
	for k := range s.metrics.count {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i][0]+keys[i][1] < keys[j][0]+keys[j][1] })
	var b strings.Builder
	b.WriteString("# HELP faceprint_http_requests_total HTTP requests by route and status class.\n# TYPE faceprint_http_requests_total counter\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "faceprint_http_requests_total{route=%q,status=%q} %d\n", k[0], k[1], s.metrics.count[k])
	}
	b.WriteString("# HELP faceprint_http_request_seconds_total Time spent serving requests by route and status class.\n# TYPE faceprint_http_request_seconds_total counter\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "faceprint_http_request_seconds_total{route=%q,status=%q} %g\n", k[0], k[1], s.metrics.secs[k])
	}
	s.metrics.mu.Unlock()
	if s.Ready != nil {
		b.WriteString("# HELP faceprint_engine_ready Whether an engine is loaded (1) or not (0).\n# TYPE faceprint_engine_ready gauge\n")
		st := s.Ready()
		names := make([]string, 0, len(st))
		for n := range st {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			v := 0
			if st[n] == "ok" {
				v = 1
			}
			fmt.Fprintf(&b, "faceprint_engine_ready{engine=%q} %d\n", n, v)
		}
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	_, _ = w.Write([]byte(b.String()))
}
