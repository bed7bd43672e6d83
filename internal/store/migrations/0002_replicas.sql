-- Live replicas, for the cluster-wide per-app QPS limit (internal/ratelimit):
-- each replica upserts its row every second; rows older than the timeout are dead.
CREATE TABLE replicas (
	id TEXT PRIMARY KEY, started_at BIGINT NOT NULL, last_seen BIGINT NOT NULL);
CREATE INDEX replicas_seen ON replicas (last_seen);
