-- Deletion by ID number (issue #16): sessions carry a keyed hash of the ID
-- number (HMAC under the PII key), never the number, so every session of a
-- person can be found and deleted. The purge clears it with the rest.
ALTER TABLE sessions ADD COLUMN id_hash TEXT NOT NULL DEFAULT '';
CREATE INDEX sessions_id_hash ON sessions (id_hash);
