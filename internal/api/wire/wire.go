// Package wire holds what every vendor wire (Baidu in internal/api, Tencent
// in internal/api/tencent) shares below its own envelope: the bounded body
// read, the per-app request limiter, and the public base URL of links.
// Keeping them here means a new wire cannot forget a limit, and one app's
// QPS budget is counted once whichever wire it calls.
package wire

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"

	"golang.org/x/time/rate"
)

// ErrTooLarge is returned by ReadBody when the body exceeds the limit.
var ErrTooLarge = errors.New("request body too large")

// ReadBody reads at most limit bytes of the request body.
func ReadBody(r *http.Request, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if int64(len(data)) > limit {
		return nil, ErrTooLarge
	}
	return data, nil
}

// Limiter is a token bucket per app (per replica: with N replicas behind a
// balancer the effective limit is N×). The zero value is ready to use.
type Limiter struct {
	mu sync.Mutex
	m  map[string]*rate.Limiter
}

// Allow takes a token from the app's bucket of qps per second (burst qps);
// qps ≤ 0 means unlimited. A changed qps replaces the bucket.
func (l *Limiter) Allow(appID string, qps int) bool {
	if qps <= 0 {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[string]*rate.Limiter{}
	}
	b, ok := l.m[appID]
	if !ok || int(b.Limit()) != qps {
		b = rate.NewLimiter(rate.Limit(qps), qps)
		l.m[appID] = b
	}
	return b.Allow()
}

// PublicBase is the scheme://host links are built on: the configured public
// URL (behind a TLS proxy), else what the client used.
func PublicBase(public string, r *http.Request) string {
	if public != "" {
		return public
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
