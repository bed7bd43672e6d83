package store

import (
	"context"
	"fmt"
)

// SQLite has one writer. Under many concurrent verifyToken/generate calls,
// committing each new session alone makes them queue behind one another;
// the batcher commits the sessions waiting at that moment in one
// transaction (group commit), which cuts the tail latency by the batch size.

type sessionInsert struct {
	rec  *SessionRecord
	done chan error
}

const maxBatch = 64

// startBatcher runs the group-commit loop until Close.
func (s *SQL) startBatcher() {
	s.inserts = make(chan sessionInsert, maxBatch*4)
	s.batcherDone = make(chan struct{})
	go func() {
		defer close(s.batcherDone)
		for first := range s.inserts {
			batch := []sessionInsert{first}
		drain:
			for len(batch) < maxBatch {
				select {
				case in, ok := <-s.inserts:
					if !ok {
						break drain
					}
					batch = append(batch, in)
				default:
					break drain
				}
			}
			s.commitBatch(batch)
		}
	}()
}

func (s *SQL) commitBatch(batch []sessionInsert) {
	ctx := context.Background() // each caller's own context is honoured while it waits
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		for _, in := range batch {
			in.done <- wrap("create session", err)
		}
		return
	}
	errs := make([]error, len(batch))
	for i, in := range batch {
		errs[i] = s.insertSession(ctx, tx, in.rec)
	}
	if err := tx.Commit(); err != nil {
		for _, in := range batch {
			in.done <- wrap("create session", err)
		}
		return
	}
	for i, in := range batch {
		in.done <- errs[i]
	}
}

// createSessionBatched queues the insert for the next group commit.
func (s *SQL) createSessionBatched(ctx context.Context, r *SessionRecord) error {
	in := sessionInsert{rec: r, done: make(chan error, 1)}
	select {
	case s.inserts <- in:
	case <-ctx.Done():
		return fmt.Errorf("create session: %w", ctx.Err())
	}
	select {
	case err := <-in.done:
		return err
	case <-ctx.Done():
		// The row may still be committed; the caller never saw its token, so it is unreachable.
		return fmt.Errorf("create session: %w", ctx.Err())
	}
}
