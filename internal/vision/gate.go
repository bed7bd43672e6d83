package vision

import (
	"context"
	"errors"
	"time"
)

// ErrBusy means the work waited longer than the gate's queue deadline for a
// free worker. The REST layer answers it with error 18 (QPS limit reached).
var ErrBusy = errors.New("vision: all workers busy")

// Gate bounds how many inference jobs run at once (ORT sessions use their
// own threads; more concurrent jobs than cores only adds latency) and how
// long a job may wait for its turn.
type Gate struct {
	slots chan struct{}
	queue time.Duration
}

// NewGate allows workers concurrent jobs (at least 1); a job that cannot
// start within queue gets ErrBusy (queue ≤ 0 means wait as long as ctx allows).
func NewGate(workers int, queue time.Duration) *Gate {
	if workers < 1 {
		workers = 1
	}
	return &Gate{slots: make(chan struct{}, workers), queue: queue}
}

// Workers is the number of jobs that may run at once.
func (g *Gate) Workers() int { return cap(g.slots) }

// Do runs fn when a worker slot is free. It returns ErrBusy when the wait
// exceeds the queue deadline, ctx.Err() when ctx ends first, else fn's error.
func (g *Gate) Do(ctx context.Context, fn func(context.Context) error) error {
	select {
	case g.slots <- struct{}{}:
	default:
		var timeout <-chan time.Time
		if g.queue > 0 {
			t := time.NewTimer(g.queue)
			defer t.Stop()
			timeout = t.C
		}
		select {
		case g.slots <- struct{}{}:
		case <-timeout:
			return ErrBusy
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	defer func() { <-g.slots }()
	return fn(ctx)
}
