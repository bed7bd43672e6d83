package blob

import (
	"context"
	"errors"
	"time"
)

// Observer receives one record per blob operation (internal/metrics implements it).
type Observer interface {
	ObserveBlob(op, result string, d time.Duration)
}

// Instrumented reports every operation of Store to Obs: "ok", "not_found"
// (an answer, not a failure) or "error", with its duration.
type Instrumented struct {
	Store
	Obs Observer
}

func (s Instrumented) observe(op string, start time.Time, err error) {
	res := "ok"
	switch {
	case errors.Is(err, ErrNotFound):
		res = "not_found"
	case err != nil:
		res = "error"
	}
	s.Obs.ObserveBlob(op, res, time.Since(start))
}

// Put implements Store.
func (s Instrumented) Put(ctx context.Context, key string, data []byte) error {
	start := time.Now()
	err := s.Store.Put(ctx, key, data)
	s.observe("put", start, err)
	return err
}

// Get implements Store.
func (s Instrumented) Get(ctx context.Context, key string) ([]byte, error) {
	start := time.Now()
	b, err := s.Store.Get(ctx, key)
	s.observe("get", start, err)
	return b, err
}

// DeletePrefix implements Store.
func (s Instrumented) DeletePrefix(ctx context.Context, prefix string) error {
	start := time.Now()
	err := s.Store.DeletePrefix(ctx, prefix)
	s.observe("delete_prefix", start, err)
	return err
}
