package ratelimit_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/faceprint/faceprint/internal/ratelimit"
	"github.com/faceprint/faceprint/internal/store"
	"github.com/faceprint/faceprint/internal/testenv/pgtest"
)

// TestLoneReplicaExact: without membership the whole limit is local, a token
// bucket of one second's burst (deterministic on a fake clock).
func TestLoneReplicaExact(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	l := ratelimit.New(nil, func() time.Time { return now }, nil)
	allowed := 0
	for range 2000 { // 2 s of fake time, one request per millisecond
		if l.Allow("app", 100) {
			allowed++
		}
		now = now.Add(time.Millisecond)
	}
	if allowed < 299 || allowed > 301 { // burst 100 + 2 s × 100
		t.Fatalf("allowed %d in 2 s at 100 QPS, want 300", allowed)
	}
	if !l.Allow("other", 0) {
		t.Fatal("qps 0 must mean unlimited")
	}
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// crashable is a replica's view of the database that can "crash": its
// heartbeats stop and it never leaves cleanly, as when the process is killed.
type crashable struct {
	ratelimit.Membership
	dead atomic.Bool
}

var errDead = errors.New("replica killed")

func (c *crashable) Heartbeat(ctx context.Context, id string, started, now time.Time, timeout time.Duration) (int, error) {
	if c.dead.Load() {
		return 0, errDead
	}
	return c.Membership.Heartbeat(ctx, id, started, now, timeout)
}

func (c *crashable) LeaveCluster(ctx context.Context, id string) error {
	if c.dead.Load() {
		return errDead
	}
	return c.Membership.LeaveCluster(ctx, id)
}

// replica is one limiter with its own database connection pool and offered load.
type replica struct {
	lim     *ratelimit.Limiter
	db      *crashable
	allowed atomic.Int64
	stopped atomic.Bool
}

// TestClusterQPS: three limiters sharing one real database hold an app to
// 100 QPS in total; after one is killed (heartbeats stop, no clean leave) the
// two others take over its share within seconds and again admit 100 QPS.
func TestClusterQPS(t *testing.T) {
	if testing.Short() {
		t.Skip("takes ~15 s of wall time")
	}
	t.Run("sqlite", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "fp.db")
		clusterQPS(t, func() (*store.SQL, error) { return store.OpenSQLite(context.Background(), p) })
	})
	t.Run("postgres", func(t *testing.T) {
		u := pgtest.URL(t)
		clusterQPS(t, func() (*store.SQL, error) { return store.OpenPostgres(context.Background(), u) })
	})
}

func clusterQPS(t *testing.T, open func() (*store.SQL, error)) {
	const qps = 100
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	rs := make([]*replica, 3)
	for i := range rs {
		s, err := open()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		r := &replica{db: &crashable{Membership: s}}
		r.lim = ratelimit.New(r.db, nil, quiet)
		rs[i] = r
		wg.Add(2)
		go func() { defer wg.Done(); r.lim.Run(ctx) }()
		// Offered load far above the limit: ~1000 requests/s per replica.
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && !r.stopped.Load() {
				if r.lim.Allow("app1", qps) {
					r.allowed.Add(1)
				}
				time.Sleep(time.Millisecond)
			}
		}()
	}
	waitLive := func(want int, who []*replica) time.Duration {
		t.Helper()
		start := time.Now()
		for time.Since(start) < 10*time.Second {
			ok := true
			for _, r := range who {
				ok = ok && r.lim.Live() == want
			}
			if ok {
				return time.Since(start)
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("replicas did not converge on %d live within 10 s", want)
		return 0
	}
	// measure counts admissions over a window, after a settling second that
	// drains the bursts and lets buckets resize.
	measure := func(who []*replica, window time.Duration) float64 {
		time.Sleep(time.Second)
		var before int64
		for _, r := range who {
			before += r.allowed.Load()
		}
		time.Sleep(window)
		var after int64
		for _, r := range who {
			after += r.allowed.Load()
		}
		return float64(after-before) / window.Seconds()
	}

	waitLive(3, rs)
	total := measure(rs, 3*time.Second)
	t.Logf("3 replicas: %.1f QPS in total (limit %d; each enforces %.1f)", total, qps, rs[0].lim.Share(qps))
	if total < qps*0.9 || total > qps*1.1 {
		t.Fatalf("3 replicas admitted %.1f QPS, want %d ± 10 %%", total, qps)
	}

	// Kill replica 3: no more heartbeats, no load, no clean leave.
	killed := time.Now()
	rs[2].db.dead.Store(true)
	rs[2].stopped.Store(true)
	took := waitLive(2, rs[:2])
	t.Logf("re-spread %.2f s after the kill (heartbeat %v, timeout %v)", time.Since(killed).Seconds(), ratelimit.HeartbeatInterval, ratelimit.HeartbeatTimeout)
	if took > ratelimit.HeartbeatTimeout+2*ratelimit.HeartbeatInterval {
		t.Fatalf("re-spread took %v", took)
	}
	total = measure(rs[:2], 3*time.Second)
	t.Logf("2 survivors: %.1f QPS in total", total)
	if total < qps*0.9 || total > qps*1.1 {
		t.Fatalf("2 survivors admitted %.1f QPS, want %d ± 10 %%", total, qps)
	}
}

// TestCleanLeave: a replica that stops cleanly hands its share over at the others' next heartbeat.
func TestCleanLeave(t *testing.T) {
	s, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "fp.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a, b := ratelimit.New(s, nil, quiet), ratelimit.New(s, nil, quiet)
	a.Interval, b.Interval = 100*time.Millisecond, 100*time.Millisecond
	actx, acancel := context.WithCancel(context.Background())
	bctx, bcancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); a.Run(actx) }()
	go func() { defer wg.Done(); b.Run(bctx) }()
	defer func() { acancel(); wg.Wait() }()
	deadline := time.Now().Add(5 * time.Second)
	for a.Live() != 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if a.Live() != 2 || a.Share(100) != 50 {
		t.Fatalf("a sees %d replicas", a.Live())
	}
	bcancel()
	start := time.Now()
	for a.Live() != 1 && time.Since(start) < 5*time.Second {
		time.Sleep(10 * time.Millisecond)
	}
	if a.Live() != 1 || time.Since(start) > time.Second {
		t.Fatalf("after a clean leave a sees %d replicas after %v (want 1 well before the 3 s timeout)", a.Live(), time.Since(start))
	}
}

// BenchmarkAllow is the per-request cost: memory only, no database.
func BenchmarkAllow(b *testing.B) {
	l := ratelimit.New(nil, nil, quiet)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			l.Allow("app", 1_000_000_000)
		}
	})
}
