// Package ratelimit enforces each app's QPS limit across all the replicas of
// a cluster.
//
// Design: every replica registers in the database and refreshes its row once
// per HeartbeatInterval; a replica whose row is older than HeartbeatTimeout
// is dead. Each replica enforces limit/N of an app's QPS, N being the live
// replicas it saw at its last heartbeat, with an in-memory token bucket. When a
// replica dies its share is re-spread within about HeartbeatTimeout plus one
// heartbeat; a replica that stops cleanly deletes its row and the others take
// over at their next heartbeat.
//
// Why not a shared counter in the database (one row per app and window)? It
// would be exact whatever the load balancer does, but it costs a database
// write per request, on the hot path of every API call, and on SQLite those
// writes queue behind the single writer. The heartbeat costs one upsert and
// one count per replica per second, whatever the traffic, and a request only
// touches memory. Its price: an app's traffic must be spread roughly evenly
// over the replicas (any round-robin or least-connections balancer does).
// With an uneven spread an app gets less than its limit, never more; while a
// replica joins, the cluster may admit up to (N+1)/N of the limit for one
// heartbeat interval.
//
// Clocks: last_seen is written with each replica's own clock, so replica
// clocks must agree to well within HeartbeatTimeout (NTP does).
//
// A replica that cannot reach the database keeps its last known share (the
// others stop counting it after HeartbeatTimeout): during such a partition
// the cluster may admit up to one extra share, rather than shutting apps out
// or multiplying their limit.
package ratelimit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Defaults of the membership protocol.
const (
	HeartbeatInterval = time.Second
	HeartbeatTimeout  = 3 * time.Second
)

// Membership is where replicas register (store.SQL implements it).
type Membership interface {
	// Heartbeat records that replica id is alive at now and returns the
	// number of replicas seen within timeout, itself included.
	Heartbeat(ctx context.Context, id string, started, now time.Time, timeout time.Duration) (int, error)
	// LeaveCluster removes replica id.
	LeaveCluster(ctx context.Context, id string) error
}

// Limiter is one replica's share of every app's cluster-wide QPS limit. It is
// safe for concurrent use. The zero value is not usable: call New.
type Limiter struct {
	ID       string
	Members  Membership // nil: a lone replica (the whole limit here)
	Clock    func() time.Time
	Log      *slog.Logger
	Interval time.Duration // heartbeat period (default HeartbeatInterval)
	Timeout  time.Duration // heartbeat age after which a replica counts as dead (default HeartbeatTimeout)

	started time.Time
	live    atomic.Int64 // replicas alive at the last heartbeat (≥ 1)

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	qps  int   // the app's cluster-wide limit the bucket was sized for
	live int64 // the replica count it was sized for
	l    *rate.Limiter
}

// New makes a limiter for one replica with a random id. Until Run's first
// heartbeat it counts itself alone.
func New(m Membership, clock func() time.Time, log *slog.Logger) *Limiter {
	if clock == nil {
		clock = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	l := &Limiter{ID: hex.EncodeToString(b), Members: m, Clock: clock, Log: log, started: clock(), buckets: map[string]*bucket{}}
	l.live.Store(1)
	return l
}

// Live is the number of replicas this limiter shares limits with.
func (l *Limiter) Live() int { return int(l.live.Load()) }

// Share is this replica's part of a cluster-wide limit of qps.
func (l *Limiter) Share(qps int) float64 { return float64(qps) / float64(l.live.Load()) }

// Allow reports whether one request of app may go ahead under its
// cluster-wide limit qps (≤ 0: unlimited). It touches memory only.
func (l *Limiter) Allow(app string, qps int) bool {
	if qps <= 0 {
		return true
	}
	n := l.live.Load()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[app]
	if b == nil {
		share := float64(qps) / float64(n)
		b = &bucket{qps: qps, live: n, l: rate.NewLimiter(rate.Limit(share), burst(share))}
		l.buckets[app] = b
	} else if b.qps != qps || b.live != n {
		// Resize in place: the tokens already earned stay, so a re-spread
		// neither refills nor empties the bucket.
		share := float64(qps) / float64(n)
		now := l.Clock()
		b.l.SetLimitAt(now, rate.Limit(share))
		b.l.SetBurstAt(now, burst(share))
		b.qps, b.live = qps, n
	}
	return b.l.AllowN(l.Clock(), 1)
}

// burst allows one second of the share at once, as the per-replica limiter did.
func burst(share float64) int { return max(1, int(math.Ceil(share))) }

// Run heartbeats until ctx ends, then leaves the cluster. With no Membership it returns at once.
func (l *Limiter) Run(ctx context.Context) {
	if l.Members == nil {
		return
	}
	interval, timeout := l.Interval, l.Timeout
	if interval <= 0 {
		interval = HeartbeatInterval
	}
	if timeout <= 0 {
		timeout = HeartbeatTimeout
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		l.beat(ctx, timeout)
		select {
		case <-ctx.Done():
			// A fresh context: ctx is done, and leaving promptly spares the others a timeout.
			lctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			if err := l.Members.LeaveCluster(lctx, l.ID); err != nil {
				l.Log.Warn("rate limit: leave cluster", "replica", l.ID, "err", err)
			}
			cancel()
			return
		case <-t.C:
		}
	}
}

func (l *Limiter) beat(ctx context.Context, timeout time.Duration) {
	hctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	n, err := l.Members.Heartbeat(hctx, l.ID, l.started, l.Clock(), timeout)
	if err != nil {
		if ctx.Err() == nil {
			// Keep the last known count: the database being briefly away
			// must neither multiply the limit nor shut apps out.
			l.Log.Warn("rate limit: heartbeat", "replica", l.ID, "err", err)
		}
		return
	}
	if old := l.live.Swap(int64(n)); old != int64(n) {
		l.Log.Info("rate limit: replicas changed", "replica", l.ID, "live", n, "was", old)
	}
}
