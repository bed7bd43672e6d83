package store

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"sync/atomic"
)

// dbErrors counts the database errors of each store operation, for
// /metrics. Process-wide like the connection pools' own statistics: every
// store of a process talks to the same database.
var dbErrors sync.Map // op → *atomic.Int64

// countError records err unless it is an answer rather than a failure
// (missing row, lost optimistic race, a caller that went away).
func countError(op string, err error) {
	if err == nil || errors.Is(err, ErrNotFound) || errors.Is(err, ErrConflict) || errors.Is(err, sql.ErrNoRows) ||
		errors.Is(err, context.Canceled) || errors.Is(err, ErrSchemaTooNew) {
		return
	}
	c, ok := dbErrors.Load(op)
	if !ok {
		c, _ = dbErrors.LoadOrStore(op, new(atomic.Int64))
	}
	c.(*atomic.Int64).Add(1)
}

// ErrorCounts returns the database errors counted so far, per store operation.
func ErrorCounts() map[string]int64 {
	out := map[string]int64{}
	dbErrors.Range(func(k, v any) bool {
		out[k.(string)] = v.(*atomic.Int64).Load()
		return true
	})
	return out
}
