package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Schema changes are ordered, numbered migrations embedded in the binary
// (migrations/NNNN_name.sql), recorded in schema_migrations. Each one runs in
// its own transaction together with its schema_migrations row, so a crash
// leaves the database at a whole version; every transaction holds the
// migration lock (a PostgreSQL advisory lock, or SQLite's write lock through
// BEGIN IMMEDIATE), so replicas starting together apply each step once.
//
// Migrations only go forward. A binary refuses a database whose version is
// newer than its own newest migration: an older replica would otherwise
// write rows the newer schema does not expect (a rolling upgrade runs the new
// binary first, and old replicas stop at their next restart instead of
// corrupting data).

//go:embed migrations/*.sql
var migrationFS embed.FS

// Migration is one embedded schema step.
type Migration struct {
	Version int
	Name    string
	sql     string // with {{BLOB}} / {{ID}} placeholders
}

// AppliedMigration is a schema_migrations row.
type AppliedMigration struct {
	Version   int       `json:"version"`
	Name      string    `json:"name"`
	AppliedAt time.Time `json:"applied_at"`
}

// MigrationStatus is where a database stands against this binary.
type MigrationStatus struct {
	Current int                `json:"current"` // highest applied version (0: empty database)
	Latest  int                `json:"latest"`  // newest migration this binary carries
	Applied []AppliedMigration `json:"applied"`
	Pending []Migration        `json:"-"`
	// Legacy is true for a database made before versioning (tables, no schema_migrations).
	Legacy bool `json:"legacy,omitempty"`
}

// ErrSchemaTooNew is returned when the database was migrated by a newer binary.
var ErrSchemaTooNew = errors.New("database schema is newer than this binary")

// migrationLockKey is the PostgreSQL advisory lock key (the same key the
// pre-versioning releases used, so an old and a new replica starting
// together still serialise).
const migrationLockKey = 4242

// Migrations returns the embedded migrations in order. It panics on a
// malformed file name or a gap in the numbering: both are build mistakes that
// the package tests catch.
func Migrations() []Migration {
	ents, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		panic(err)
	}
	var ms []Migration
	for _, e := range ents {
		n := e.Name()
		num, name, ok := strings.Cut(strings.TrimSuffix(n, ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || name == "" {
			panic(fmt.Sprintf("store: migration file %q is not NNNN_name.sql", n))
		}
		b, err := migrationFS.ReadFile(path.Join("migrations", n))
		if err != nil {
			panic(err)
		}
		ms = append(ms, Migration{Version: v, Name: name, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i, m := range ms {
		if m.Version != i+1 {
			panic(fmt.Sprintf("store: migrations must be numbered 1, 2, 3… without gaps; found %d at position %d", m.Version, i+1))
		}
	}
	return ms
}

// statements turns a migration into dialect-specific statements.
func (m Migration) statements(d dialect) []string {
	r := strings.NewReplacer("{{BLOB}}", "BLOB", "{{ID}}", "INTEGER PRIMARY KEY AUTOINCREMENT")
	if d == postgres {
		r = strings.NewReplacer("{{BLOB}}", "BYTEA", "{{ID}}", "BIGSERIAL PRIMARY KEY")
	}
	// Drop comment lines first, so a ';' in a comment cannot split a statement.
	var b strings.Builder
	for _, line := range strings.Split(m.sql, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "--") {
			b.WriteString(line + "\n")
		}
	}
	var out []string
	for _, stmt := range strings.Split(r.Replace(b.String()), ";") {
		if s := strings.TrimSpace(stmt); s != "" {
			out = append(out, s)
		}
	}
	return out
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`

// lockTx starts a transaction holding the migration lock.
func (s *SQL) lockTx(ctx context.Context) (*sql.Tx, error) {
	// On SQLite the write pool opens transactions with BEGIN IMMEDIATE
	// (_txlock=immediate), which takes the database's write lock at once,
	// across processes too.
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	if s.d == postgres {
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", migrationLockKey); err != nil {
			tx.Rollback() //nolint:errcheck
			return nil, err
		}
	}
	return tx, nil
}

// tableExists reports whether a table is in the database (current schema on PostgreSQL).
func (s *SQL) tableExists(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, table string) (bool, error) {
	var n int
	query := "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?"
	if s.d == postgres {
		query = "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1"
	}
	err := q.QueryRowContext(ctx, query, table).Scan(&n)
	return n > 0, err
}

// readStatus reads the applied migrations inside tx (or the read pool).
func (s *SQL) readStatus(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}) (MigrationStatus, error) {
	all := Migrations()
	st := MigrationStatus{Latest: len(all)}
	has, err := s.tableExists(ctx, q, "schema_migrations")
	if err != nil {
		return st, err
	}
	if has {
		rows, err := q.QueryContext(ctx, "SELECT version, name, applied_at FROM schema_migrations ORDER BY version")
		if err != nil {
			return st, err
		}
		defer rows.Close()
		for rows.Next() {
			var a AppliedMigration
			var at int64
			if err := rows.Scan(&a.Version, &a.Name, &at); err != nil {
				return st, err
			}
			a.AppliedAt = fromMS(at)
			st.Applied = append(st.Applied, a)
			st.Current = max(st.Current, a.Version)
		}
		if err := rows.Err(); err != nil {
			return st, err
		}
	}
	if st.Current == 0 {
		// The releases before versioning applied migration 1 at every start;
		// their databases have its tables but no schema_migrations rows.
		if st.Legacy, err = s.tableExists(ctx, q, "apps"); err != nil {
			return st, err
		}
	}
	if st.Current < len(all) {
		st.Pending = all[st.Current:]
	}
	return st, nil
}

// Status reports the database's schema version without changing anything.
func (s *SQL) Status(ctx context.Context) (MigrationStatus, error) {
	st, err := s.readStatus(ctx, s.read)
	return st, wrap("migration status", err)
}

// Migrate applies the pending migrations, one transaction each, and returns
// those it applied (another replica may have applied some meanwhile).
func (s *SQL) Migrate(ctx context.Context) ([]AppliedMigration, error) {
	var done []AppliedMigration
	for {
		a, more, err := s.migrateOne(ctx)
		if err != nil {
			return done, err
		}
		if a != nil {
			done = append(done, *a)
		}
		if !more {
			return done, nil
		}
	}
}

// migrateOne applies (or, for a legacy database, records) the next migration
// in one locked transaction. It re-reads the version under the lock, so a
// step another process finished meanwhile is not applied twice.
func (s *SQL) migrateOne(ctx context.Context) (*AppliedMigration, bool, error) {
	tx, err := s.lockTx(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("migrate: lock: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck
	if _, err := tx.ExecContext(ctx, createMigrationsTable); err != nil {
		return nil, false, fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	st, err := s.readStatus(ctx, tx)
	if err != nil {
		return nil, false, fmt.Errorf("migrate: read version: %w", err)
	}
	if st.Current > st.Latest {
		return nil, false, fmt.Errorf("%w: the database is at schema version %d, this faceprint knows versions up to %d; "+
			"run a faceprint at least as new as the one that migrated it", ErrSchemaTooNew, st.Current, st.Latest)
	}
	if len(st.Pending) == 0 {
		return nil, false, wrap("migrate: commit", tx.Commit())
	}
	m := st.Pending[0]
	if !(st.Legacy && m.Version == 1) {
		for _, stmt := range m.statements(s.d) {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return nil, false, fmt.Errorf("migrate: %04d_%s: %w (in %.60q)", m.Version, m.Name, err, stmt)
			}
		}
	}
	a := AppliedMigration{Version: m.Version, Name: m.Name, AppliedAt: time.Now().UTC().Truncate(time.Millisecond)}
	if _, err := tx.ExecContext(ctx, s.q("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?,?,?)"),
		a.Version, a.Name, ms(a.AppliedAt)); err != nil {
		return nil, false, fmt.Errorf("migrate: record %04d_%s: %w", m.Version, m.Name, err)
	}
	if err := tx.Commit(); err != nil {
		return nil, false, fmt.Errorf("migrate: commit %04d_%s: %w", m.Version, m.Name, err)
	}
	return &a, len(st.Pending) > 1, nil
}

// migrate brings the schema up to date at open.
func (s *SQL) migrate(ctx context.Context) error {
	_, err := s.Migrate(ctx)
	return err
}
