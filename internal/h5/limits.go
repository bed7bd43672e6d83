package h5

import (
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiters are in-memory token buckets per verify token, per client address,
// and for unknown-token page opens per address (link guessing).
type limiters struct {
	mu       sync.Mutex
	lim      Limits
	token    map[string]*bucket
	ip       map[string]*bucket
	badToken map[string]*bucket
	lastGC   time.Time
}

type bucket struct {
	l    *rate.Limiter
	seen time.Time
}

func newLimiters(l Limits) *limiters {
	return &limiters{lim: l, token: map[string]*bucket{}, ip: map[string]*bucket{}, badToken: map[string]*bucket{}}
}

func (ls *limiters) take(m map[string]*bucket, key string, now time.Time, r rate.Limit, burst int) bool {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if now.Sub(ls.lastGC) > time.Minute {
		ls.gc(now)
	}
	b := m[key]
	if b == nil {
		b = &bucket{l: rate.NewLimiter(r, burst)}
		m[key] = b
	}
	b.seen = now
	return b.l.AllowN(now, 1)
}

// gc drops buckets idle long enough to be full again.
func (ls *limiters) gc(now time.Time) {
	ls.lastGC = now
	for _, m := range []map[string]*bucket{ls.token, ls.ip, ls.badToken} {
		for k, b := range m {
			if now.Sub(b.seen) > 10*time.Minute {
				delete(m, k)
			}
		}
	}
}

func (ls *limiters) allowIP(ip string, now time.Time) bool {
	return ls.take(ls.ip, ip, now, rate.Limit(ls.lim.IPRate), ls.lim.IPBurst)
}

func (ls *limiters) allowToken(th string, now time.Time) bool {
	return ls.take(ls.token, th, now, rate.Limit(ls.lim.TokenRate), ls.lim.TokenBurst)
}

func (ls *limiters) allowBadToken(ip string, now time.Time) bool {
	n := ls.lim.BadTokenPerMinute
	return ls.take(ls.badToken, ip, now, rate.Limit(float64(n)/60), n)
}

// clientIP is the TCP peer, or the first X-Forwarded-For hop when the
// operator said a trusted proxy sits in front.
func (h *Handler) clientIP(r *http.Request) string {
	if h.cfg.TrustProxy {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			first, _, _ := strings.Cut(xff, ",")
			return strings.TrimSpace(first)
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
