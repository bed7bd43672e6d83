package store_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/faceprint/faceprint/internal/store"
	"github.com/faceprint/faceprint/internal/testenv/pgtest"
)

// v1Schema is the DDL the releases before versioned migrations applied at
// every start (internal/store/migrate.go at b4ad147), copied here on purpose:
// it is the fixture for "a database of the previous release", and must not
// follow later edits of migrations/0001_initial.sql.
const v1Schema = `
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
`

// legacyDB is a database as the previous release left it: its schema and some rows.
type legacyDB struct {
	name   string
	driver string
	dsn    string
	open   func(ctx context.Context) (*store.SQL, error)
	ph     func(n int) string // placeholder
}

func legacyBackends(t *testing.T, fn func(t *testing.T, db legacyDB)) {
	t.Run("sqlite", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "fp.db")
		fn(t, legacyDB{name: "sqlite", driver: "sqlite", dsn: "file:" + p,
			open: func(ctx context.Context) (*store.SQL, error) { return store.OpenSQLite(ctx, p) },
			ph:   func(int) string { return "?" }})
	})
	t.Run("postgres", func(t *testing.T) {
		u := pgtest.URL(t)
		fn(t, legacyDB{name: "postgres", driver: "pgx", dsn: u,
			open: func(ctx context.Context) (*store.SQL, error) { return store.OpenPostgres(ctx, u) },
			ph:   func(n int) string { return "$" + string(rune('0'+n)) }})
	})
}

func (l legacyDB) create(t *testing.T) {
	t.Helper()
	db, err := sql.Open(l.driver, l.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r := strings.NewReplacer("{{BLOB}}", "BLOB", "{{ID}}", "INTEGER PRIMARY KEY AUTOINCREMENT")
	if l.name == "postgres" {
		r = strings.NewReplacer("{{BLOB}}", "BYTEA", "{{ID}}", "BIGSERIAL PRIMARY KEY")
	}
	for _, stmt := range strings.Split(r.Replace(v1Schema), ";") {
		if strings.TrimSpace(stmt) == "" {
			continue
		}
		if _, err := db.Exec(stmt); err != nil {
			t.Fatalf("v1 schema: %v", err)
		}
	}
	p := l.ph
	mustExec(t, db, "INSERT INTO apps (id, name, api_key, secret_hash, generation, disabled, qps, rev, created_at, updated_at) VALUES ("+
		p(1)+","+p(2)+","+p(3)+","+p(4)+",1,0,50,3,"+p(5)+","+p(6)+")", "1001", "legacy", "key-legacy", "hash", t0.UnixMilli(), t0.UnixMilli())
	mustExec(t, db, "INSERT INTO kv (ns, key, value, expires_at) VALUES ("+p(1)+","+p(2)+","+p(3)+","+p(4)+")",
		"n", "k", []byte("v"), t0.Add(1e12).UnixMilli())
	mustExec(t, db, "INSERT INTO audit (at, actor, action, target, detail) VALUES ("+p(1)+",'cli','app.create','1001','')", t0.UnixMilli())
}

func mustExec(t *testing.T, db *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// TestAdoptLegacyDatabase opens a database of the previous release: its rows
// are intact, version 1 is recorded without being re-run, later migrations apply.
func TestAdoptLegacyDatabase(t *testing.T) {
	legacyBackends(t, func(t *testing.T, l legacyDB) {
		ctx := context.Background()
		l.create(t)
		s, err := l.open(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		a, err := s.GetApp(ctx, "1001")
		if err != nil || a.Name != "legacy" || a.QPS != 50 || a.Rev != 3 || !a.CreatedAt.Equal(t0) {
			t.Fatalf("legacy app after migration: %+v %v", a, err)
		}
		if v, err := s.GetKV(ctx, "n", "k", t0); err != nil || string(v) != "v" {
			t.Fatalf("legacy kv: %q %v", v, err)
		}
		if au, err := s.ListAudit(ctx, 10); err != nil || len(au) != 1 || au[0].Action != "app.create" {
			t.Fatalf("legacy audit: %+v %v", au, err)
		}
		st, err := s.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		all := store.Migrations()
		if st.Current != len(all) || st.Latest != len(all) || len(st.Pending) != 0 || len(st.Applied) != len(all) {
			t.Fatalf("status after adoption: %+v", st)
		}
		for i, m := range all {
			if st.Applied[i].Version != m.Version || st.Applied[i].Name != m.Name || st.Applied[i].AppliedAt.IsZero() {
				t.Fatalf("applied[%d] = %+v, want %d_%s", i, st.Applied[i], m.Version, m.Name)
			}
		}
		// The store still works for new rows (the AUTOINCREMENT/BIGSERIAL ids continue).
		if err := s.AddAudit(ctx, store.AuditEntry{At: t0, Actor: "cli", Action: "x"}); err != nil {
			t.Fatal(err)
		}
		// Reopening is a no-op.
		s2, err := l.open(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if done, err := s2.Migrate(ctx); err != nil || len(done) != 0 {
			t.Fatalf("second migrate applied %v, %v", done, err)
		}
		s2.Close()
	})
}

// TestFreshDatabaseMigrations: an empty database gets every migration, each recorded once,
// even when several stores open it at the same time (replicas starting together).
func TestFreshDatabaseMigrations(t *testing.T) {
	legacyBackends(t, func(t *testing.T, l legacyDB) {
		ctx := context.Background()
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s, err := l.open(ctx)
				if err == nil {
					s.Close()
				}
				errs[i] = err
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		s, err := l.open(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		st, err := s.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Legacy || st.Current != st.Latest || len(st.Applied) != st.Latest {
			t.Fatalf("fresh status: %+v", st)
		}
	})
}

// TestRefuseNewerDatabase: a database migrated by a newer binary is refused with a clear error.
func TestRefuseNewerDatabase(t *testing.T) {
	legacyBackends(t, func(t *testing.T, l legacyDB) {
		ctx := context.Background()
		s, err := l.open(ctx)
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		db, err := sql.Open(l.driver, l.dsn)
		if err != nil {
			t.Fatal(err)
		}
		mustExec(t, db, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'from_the_future', 0)")
		db.Close()
		_, err = l.open(ctx)
		if !errors.Is(err, store.ErrSchemaTooNew) || !strings.Contains(err.Error(), "version 999") {
			t.Fatalf("newer database opened: %v", err)
		}
	})
}

func TestMigrationsNumbered(t *testing.T) {
	ms := store.Migrations()
	if len(ms) < 2 || ms[0].Name != "initial" {
		t.Fatalf("migrations: %+v", ms)
	}
}

// TestDBErrorCounts: database failures are counted per operation for
// /metrics; answers (not found) are not.
func TestDBErrorCounts(t *testing.T) {
	ctx := context.Background()
	s, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "fp.db"))
	if err != nil {
		t.Fatal(err)
	}
	before := store.ErrorCounts()
	if _, err := s.GetApp(ctx, "missing"); !errors.Is(err, store.ErrNotFound) {
		t.Fatal(err)
	}
	if n := store.ErrorCounts()["get app"]; n != before["get app"] {
		t.Fatalf("a missing row counted as a database error")
	}
	s.Close()
	if _, err := s.GetApp(ctx, "1001"); err == nil {
		t.Fatal("query on a closed store succeeded")
	}
	if n := store.ErrorCounts()["get app"]; n != before["get app"]+1 {
		t.Fatalf("get app errors %d → %d, want +1", before["get app"], n)
	}
}
