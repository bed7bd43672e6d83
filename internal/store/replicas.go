package store

import (
	"context"
	"fmt"
	"time"
)

// Replica membership for the cluster-wide per-app QPS limit
// (internal/ratelimit): one row per running server, refreshed every
// heartbeat; a row not refreshed within the timeout is a dead replica.

// Heartbeat records that replica id is alive at now and returns how many
// replicas (itself included) were seen within timeout before now. Rows dead
// for a minute are deleted on the way, so the table stays as small as the cluster.
func (s *SQL) Heartbeat(ctx context.Context, id string, started, now time.Time, timeout time.Duration) (int, error) {
	if _, err := s.exec(ctx, `INSERT INTO replicas (id, started_at, last_seen) VALUES (?,?,?)
		ON CONFLICT (id) DO UPDATE SET last_seen = excluded.last_seen`, id, ms(started), ms(now)); err != nil {
		return 0, wrap("heartbeat", err)
	}
	if _, err := s.exec(ctx, "DELETE FROM replicas WHERE last_seen < ?", ms(now.Add(-time.Minute))); err != nil {
		return 0, wrap("heartbeat: forget dead replicas", err)
	}
	var n int
	// The write pool: on SQLite its one connection has just written this row (PostgreSQL's autocommit write is visible to any connection).
	if err := s.write.QueryRowContext(ctx, s.q("SELECT COUNT(*) FROM replicas WHERE last_seen >= ?"), ms(now.Add(-timeout))).Scan(&n); err != nil {
		return 0, wrap("heartbeat: count replicas", err)
	}
	if n < 1 {
		return 0, fmt.Errorf("heartbeat: own row of %s not found", id)
	}
	return n, nil
}

// LeaveCluster removes replica id at shutdown, so the others take over its share at their next heartbeat.
func (s *SQL) LeaveCluster(ctx context.Context, id string) error {
	_, err := s.exec(ctx, "DELETE FROM replicas WHERE id = ?", id)
	return wrap("leave cluster", err)
}
