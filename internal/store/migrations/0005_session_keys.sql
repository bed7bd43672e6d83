-- Per-session data keys (issue #16, crypto-shredding): with a PII key, each
-- session's record is encrypted under its own random key, stored here wrapped
-- (sealed) under the PII key. The purge and the deletion API blank it, so
-- copies of the session's ciphertext made before (exports, replicas of the
-- data column) can no longer be opened, not even with the PII key.
ALTER TABLE sessions ADD COLUMN data_key TEXT NOT NULL DEFAULT '';
