-- The schema of every release before versioned migrations, unchanged, so a
-- database created by one of them is adopted as version 1 (see migrate.go).
-- {{BLOB}} and {{ID}} are replaced per dialect.
CREATE TABLE IF NOT EXISTS apps (
	id TEXT PRIMARY KEY, name TEXT NOT NULL, api_key TEXT NOT NULL UNIQUE, secret_hash TEXT NOT NULL,
	generation INTEGER NOT NULL, disabled INTEGER NOT NULL, qps INTEGER NOT NULL, rev INTEGER NOT NULL,
	created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS plans (
	id TEXT NOT NULL, version INTEGER NOT NULL, app_id TEXT NOT NULL, name TEXT NOT NULL,
	disabled INTEGER NOT NULL, options TEXT NOT NULL, created_at BIGINT NOT NULL,
	PRIMARY KEY (id, version));
CREATE TABLE IF NOT EXISTS sessions (
	id TEXT PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE, app_id TEXT NOT NULL, plan_id TEXT NOT NULL,
	plan_version INTEGER NOT NULL, state TEXT NOT NULL, rev INTEGER NOT NULL,
	created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, finished_at BIGINT NOT NULL,
	result_until BIGINT NOT NULL, purged INTEGER NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS sessions_purge ON sessions (purged, result_until);
CREATE INDEX IF NOT EXISTS sessions_app ON sessions (app_id, created_at);
CREATE TABLE IF NOT EXISTS session_stats (
	session_id TEXT NOT NULL, api TEXT NOT NULL, error_code INTEGER NOT NULL, count INTEGER NOT NULL,
	PRIMARY KEY (session_id, api, error_code));
CREATE TABLE IF NOT EXISTS registry (
	key TEXT PRIMARY KEY, app_id TEXT NOT NULL, id_number TEXT NOT NULL, name TEXT NOT NULL,
	photo {{BLOB}} NOT NULL, created_at BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS registry_app ON registry (app_id, created_at);
CREATE TABLE IF NOT EXISTS kv (
	ns TEXT NOT NULL, key TEXT NOT NULL, value {{BLOB}} NOT NULL, expires_at BIGINT NOT NULL,
	PRIMARY KEY (ns, key));
CREATE TABLE IF NOT EXISTS webhooks (
	id {{ID}}, app_id TEXT NOT NULL, url TEXT NOT NULL, body TEXT NOT NULL, attempts INTEGER NOT NULL,
	next_at BIGINT NOT NULL, created_at BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS webhooks_due ON webhooks (next_at);
CREATE TABLE IF NOT EXISTS audit (
	id {{ID}}, at BIGINT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
	target TEXT NOT NULL, detail TEXT NOT NULL);
