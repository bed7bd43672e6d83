package vision

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestGateBoundsConcurrencyAndTimesOut(t *testing.T) {
	g := NewGate(2, 30*time.Millisecond)
	var running, peak atomic.Int32
	release := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- g.Do(context.Background(), func(context.Context) error {
				n := running.Add(1)
				for {
					p := peak.Load()
					if n <= p || peak.CompareAndSwap(p, n) {
						break
					}
				}
				<-release
				running.Add(-1)
				return nil
			})
		}()
	}
	// The third job cannot start within 30 ms while two hold the slots.
	err := <-errs
	if !errors.Is(err, ErrBusy) {
		t.Fatalf("first finished job: %v, want ErrBusy", err)
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("job: %v", err)
		}
	}
	if peak.Load() != 2 {
		t.Errorf("peak concurrency %d, want 2", peak.Load())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	g2 := NewGate(1, 0)
	hold := make(chan struct{})
	go g2.Do(context.Background(), func(context.Context) error { <-hold; return nil })
	time.Sleep(10 * time.Millisecond)
	if err := g2.Do(ctx, func(context.Context) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled wait: %v", err)
	}
	close(hold)
}
