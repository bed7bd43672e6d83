-- Session lifecycle (issue #16): every session reaches a final state, and
-- lifecycle events go through the webhook outbox in the same transaction as
-- the state change that causes them.
--
-- sessions.active_at: the last time the user did something, so the background
-- loop can tell an abandoned session (started, then idle) from a live one.
ALTER TABLE sessions ADD COLUMN active_at BIGINT NOT NULL DEFAULT 0;
-- Open sessions are the ones with finished_at = 0; the loop scans only those.
CREATE INDEX sessions_open ON sessions (finished_at, expires_at);
-- Outbox rows are kept after delivery (status delivered/failed) so the
-- console can list a session's deliveries and re-send one; the delivery
-- history is not personal data (the body names the token by its hash).
ALTER TABLE webhooks ADD COLUMN session_id TEXT NOT NULL DEFAULT '';
ALTER TABLE webhooks ADD COLUMN event TEXT NOT NULL DEFAULT '';
ALTER TABLE webhooks ADD COLUMN event_id TEXT NOT NULL DEFAULT '';
ALTER TABLE webhooks ADD COLUMN status TEXT NOT NULL DEFAULT 'pending';
ALTER TABLE webhooks ADD COLUMN done_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE webhooks ADD COLUMN last_error TEXT NOT NULL DEFAULT '';
DROP INDEX webhooks_due;
CREATE INDEX webhooks_pending ON webhooks (status, next_at);
CREATE INDEX webhooks_session ON webhooks (session_id, id);
-- The history cleanup deletes finished rows by age (done_at is 0 while pending).
CREATE INDEX webhooks_done ON webhooks (done_at);
