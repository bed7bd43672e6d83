// Package loadgen drives a Baidu-compatible faceprint server with concurrent
// keep-alive connections and reports throughput, latency percentiles and
// answers by error code. `faceprint bench api` is its command line.
package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/faceprint/faceprint/client"
)

// Operations the generator can drive.
const (
	OpGenerate = "generate" // verifyToken/generate
	OpDetail   = "detail"   // result/detail
	OpBoth     = "both"     // alternate the two on every connection
)

// Config says what to hammer and how hard.
type Config struct {
	URL         string // server base URL, e.g. http://127.0.0.1:8080
	APIKey      string
	SecretKey   string
	PlanID      string
	Op          string        // OpGenerate, OpDetail or OpBoth
	Concurrency int           // connections, one request in flight on each
	Duration    time.Duration // measured time
	Warmup      time.Duration // unmeasured time before it (connections, caches)
	// DetailToken is the verify_token result/detail asks for; empty means a
	// fresh one is generated, so result/detail answers "not finished".
	DetailToken string
	Timeout     time.Duration // per request; 0 = 10 s
}

// OpStats are the numbers for one operation.
type OpStats struct {
	Op        string         `json:"op"`
	Requests  int            `json:"requests"`   // completed in the measured window
	OK        int            `json:"ok"`         // success:true
	Answered  int            `json:"answered"`   // success:false business answers (by code in Codes)
	Errors    int            `json:"errors"`     // transport errors, non-200, gateway error_code, bad JSON
	PerSecond float64        `json:"per_second"` // Requests / measured seconds
	P50       time.Duration  `json:"p50_ns"`
	P95       time.Duration  `json:"p95_ns"`
	P99       time.Duration  `json:"p99_ns"`
	Max       time.Duration  `json:"max_ns"`
	Codes     map[string]int `json:"codes"` // "0" ok, "283xxx" business, "error_code:18" gateway, "http:502", "transport"
}

// Report is the result of one run.
type Report struct {
	URL         string        `json:"url"`
	Op          string        `json:"op"`
	Concurrency int           `json:"concurrency"`
	Duration    time.Duration `json:"duration_ns"`
	Ops         []OpStats     `json:"ops"`
	FirstError  string        `json:"first_error,omitempty"`
	Host        HostStats     `json:"host"`
}

// HostStats put the figures in context: on a shared machine the load
// average says more about p99 than the server does.
type HostStats struct {
	CPUs          int     `json:"cpus"`
	LoadAvgBefore float64 `json:"loadavg_before"` // 1-minute load average (Linux; -1 elsewhere)
	LoadAvgAfter  float64 `json:"loadavg_after"`
	GeneratorCPU  float64 `json:"generator_cpu_seconds"` // CPU this process spent (the generator's own cost)
}

// Validate checks the config and fills defaults.
func (c *Config) Validate() error {
	switch {
	case c.URL == "":
		return errors.New("loadgen: --url is required")
	case c.APIKey == "" || c.SecretKey == "":
		return errors.New("loadgen: --api-key and --secret-key are required")
	case c.PlanID == "" && (c.Op != OpDetail || c.DetailToken == ""):
		return errors.New("loadgen: --plan is required")
	case c.Concurrency < 1:
		return errors.New("loadgen: concurrency must be at least 1")
	case c.Duration <= 0:
		return errors.New("loadgen: duration must be positive")
	}
	switch c.Op {
	case OpGenerate, OpDetail, OpBoth:
	case "":
		c.Op = OpBoth
	default:
		return fmt.Errorf("loadgen: unknown op %q (generate, detail or both)", c.Op)
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	c.URL = strings.TrimRight(c.URL, "/")
	return nil
}

// sample is one measured request.
type sample struct {
	lat  time.Duration
	code string // "0" for success
	kind int    // kindOK, kindAnswered, kindError
}

const (
	kindOK = iota
	kindAnswered
	kindError
)

// Run fetches an access token, then keeps cfg.Concurrency requests in flight
// for cfg.Warmup+cfg.Duration and reports on the measured part.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	tr := &http.Transport{
		Proxy:               nil, // loopback benchmarks must not go through a proxy
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        cfg.Concurrency * 2,
		MaxIdleConnsPerHost: cfg.Concurrency * 2,
		MaxConnsPerHost:     cfg.Concurrency,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: cfg.Timeout}

	sdk := client.New(cfg.URL, cfg.APIKey, cfg.SecretKey, client.WithHTTPClient(hc))
	tok, err := sdk.AccessToken(ctx)
	if err != nil {
		return nil, fmt.Errorf("loadgen: fetch access token: %w", err)
	}
	detailToken := cfg.DetailToken
	if detailToken == "" && cfg.Op != OpGenerate {
		if detailToken, err = sdk.GenerateVerifyToken(ctx, client.GenerateRequest{PlanID: cfg.PlanID}); err != nil {
			return nil, fmt.Errorf("loadgen: generate the verify_token for result/detail: %w", err)
		}
	}

	q := "?access_token=" + url.QueryEscape(tok)
	genURL := cfg.URL + client.PathGenerate + q
	detURL := cfg.URL + client.PathResultDetail + q
	genBody, _ := json.Marshal(map[string]string{"plan_id": cfg.PlanID})
	detBody, _ := json.Marshal(map[string]string{"verify_token": detailToken})

	var (
		mu       sync.Mutex
		results  = map[string][]sample{}
		firstErr string
	)
	host := HostStats{CPUs: runtime.NumCPU(), LoadAvgBefore: loadAvg()}
	cpu0 := processCPU()
	start := time.Now()
	measureFrom := start.Add(cfg.Warmup)
	end := measureFrom.Add(cfg.Duration)
	runCtx, cancel := context.WithDeadline(ctx, end.Add(cfg.Timeout))
	defer cancel()

	var wg sync.WaitGroup
	for w := range cfg.Concurrency {
		wg.Go(func() {
			local := map[string][]sample{}
			var localErr string
			for i := w; ; i++ {
				op := cfg.Op
				if op == OpBoth {
					op = []string{OpGenerate, OpDetail}[i%2]
				}
				u, body := genURL, genBody
				if op == OpDetail {
					u, body = detURL, detBody
				}
				t0 := time.Now()
				if !t0.Before(end) || runCtx.Err() != nil {
					break
				}
				s, errText := do(runCtx, hc, u, body)
				s.lat = time.Since(t0)
				if s.code == "transport" {
					time.Sleep(time.Millisecond) // a dead server must not turn the generator into a spin loop
				}
				if t0.Before(measureFrom) || t0.Add(s.lat).After(end) {
					continue // warmup, or finished after the window
				}
				local[op] = append(local[op], s)
				if errText != "" && localErr == "" {
					localErr = errText
				}
			}
			mu.Lock()
			for op, ss := range local {
				results[op] = append(results[op], ss...)
			}
			if firstErr == "" {
				firstErr = localErr
			}
			mu.Unlock()
		})
	}
	wg.Wait()

	host.LoadAvgAfter, host.GeneratorCPU = loadAvg(), processCPU()-cpu0
	rep := &Report{URL: cfg.URL, Op: cfg.Op, Concurrency: cfg.Concurrency, Duration: cfg.Duration, FirstError: firstErr, Host: host}
	for _, op := range []string{OpGenerate, OpDetail} {
		if ss, ok := results[op]; ok {
			rep.Ops = append(rep.Ops, summarize(op, ss, cfg.Duration))
		}
	}
	return rep, nil
}

// do sends one request and classifies the answer without decoding the
// happy path (the generator shares the CPU with the server it measures).
func do(ctx context.Context, hc *http.Client, u string, body []byte) (sample, string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return sample{code: "transport", kind: kindError}, err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return sample{code: "transport", kind: kindError}, err.Error()
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if err != nil {
		return sample{code: "transport", kind: kindError}, err.Error()
	}
	if resp.StatusCode != http.StatusOK {
		return sample{code: "http:" + strconv.Itoa(resp.StatusCode), kind: kindError}, fmt.Sprintf("HTTP %d: %.200s", resp.StatusCode, data)
	}
	if bytes.Contains(data, []byte(`"success":true`)) {
		return sample{code: "0", kind: kindOK}, ""
	}
	var env struct {
		Success   *bool  `json:"success"`
		Code      int    `json:"code"`
		ErrorCode *int   `json:"error_code"`
		Message   string `json:"message"`
		ErrorMsg  string `json:"error_msg"`
	}
	if err := json.Unmarshal(data, &env); err != nil {
		return sample{code: "bad-json", kind: kindError}, fmt.Sprintf("bad JSON: %.200s", data)
	}
	switch {
	case env.ErrorCode != nil && *env.ErrorCode != 0:
		return sample{code: "error_code:" + strconv.Itoa(*env.ErrorCode), kind: kindError},
			fmt.Sprintf("error_code %d: %s", *env.ErrorCode, env.ErrorMsg)
	case env.Success != nil && *env.Success:
		return sample{code: "0", kind: kindOK}, ""
	case env.Success != nil:
		return sample{code: strconv.Itoa(env.Code), kind: kindAnswered}, ""
	}
	return sample{code: "bad-json", kind: kindError}, fmt.Sprintf("unexpected answer: %.200s", data)
}

func summarize(op string, ss []sample, window time.Duration) OpStats {
	st := OpStats{Op: op, Requests: len(ss), Codes: map[string]int{}}
	lats := make([]time.Duration, len(ss))
	for i, s := range ss {
		lats[i] = s.lat
		st.Codes[s.code]++
		switch s.kind {
		case kindOK:
			st.OK++
		case kindAnswered:
			st.Answered++
		default:
			st.Errors++
		}
	}
	slices.Sort(lats)
	st.P50, st.P95, st.P99 = percentile(lats, 50), percentile(lats, 95), percentile(lats, 99)
	if len(lats) > 0 {
		st.Max = lats[len(lats)-1]
	}
	st.PerSecond = float64(len(ss)) / window.Seconds()
	return st
}

// percentile uses the nearest-rank method on sorted latencies.
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := (p*len(sorted) + 99) / 100 // ceil(p/100 * n)
	return sorted[max(rank, 1)-1]
}

// WriteText prints the report as a small table.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "faceprint bench api: %s, %d connections, %s measured\n", r.URL, r.Concurrency, r.Duration)
	fmt.Fprintf(&b, "%-9s %9s %10s %9s %9s %9s %9s %8s  %s\n", "op", "requests", "req/s", "p50", "p95", "p99", "max", "errors", "answers by code")
	for _, o := range r.Ops {
		codes := make([]string, 0, len(o.Codes))
		for c, n := range o.Codes {
			codes = append(codes, fmt.Sprintf("%s×%d", c, n))
		}
		slices.Sort(codes)
		fmt.Fprintf(&b, "%-9s %9d %10.0f %9s %9s %9s %9s %8d  %s\n", o.Op, o.Requests, o.PerSecond,
			ms(o.P50), ms(o.P95), ms(o.P99), ms(o.Max), o.Errors, strings.Join(codes, " "))
	}
	h := r.Host
	fmt.Fprintf(&b, "host: %d CPUs, load average %.1f → %.1f, generator used %.1f CPU-s\n", h.CPUs, h.LoadAvgBefore, h.LoadAvgAfter, h.GeneratorCPU)
	if r.FirstError != "" {
		fmt.Fprintf(&b, "first error: %s\n", r.FirstError)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// loadAvg reads the 1-minute load average (-1 when unavailable).
func loadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return -1
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return -1
	}
	return v
}

func ms(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 2, 64) + "ms" }
