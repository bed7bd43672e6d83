package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL driver "pgx"
	_ "modernc.org/sqlite"             // SQLite driver "sqlite" (pure Go: no second C toolchain dependency)

	"github.com/faceprint/faceprint/internal/plan"
)

type dialect int

const (
	sqlite dialect = iota
	postgres
)

// SQL implements Store on SQLite or PostgreSQL through database/sql.
type SQL struct {
	d     dialect
	read  *sql.DB
	write *sql.DB // SQLite allows one writer: a single-connection pool avoids SQLITE_BUSY storms

	inserts     chan sessionInsert // SQLite group commit of new sessions (batch.go)
	batcherDone chan struct{}
}

// OpenSQLite opens (creating if needed) the SQLite database file at path, in
// WAL mode, and applies the pending migrations.
func OpenSQLite(ctx context.Context, path string) (*SQL, error) { return openSQLite(ctx, path, true) }

func openSQLite(ctx context.Context, path string, migrate bool) (*SQL, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(ON)&_txlock=immediate"
	w, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	w.SetMaxOpenConns(1)
	r, err := sql.Open("sqlite", dsn)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8)
	s := &SQL{d: sqlite, read: r, write: w}
	if migrate {
		if err := s.migrate(ctx); err != nil {
			s.Close()
			return nil, err
		}
	}
	s.startBatcher()
	return s, nil
}

// OpenPostgres connects to PostgreSQL (a postgres:// URL) and applies the pending migrations.
func OpenPostgres(ctx context.Context, url string) (*SQL, error) { return openPostgres(ctx, url, true) }

func openPostgres(ctx context.Context, url string, migrate bool) (*SQL, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	db.SetMaxOpenConns(32)
	db.SetMaxIdleConns(32)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s := &SQL{d: postgres, read: db, write: db}
	if err := s.Ping(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect postgres: %w", err)
	}
	if migrate {
		if err := s.migrate(ctx); err != nil {
			db.Close()
			return nil, err
		}
	}
	return s, nil
}

// Open chooses the backend: a postgres:// or postgresql:// URL, else a SQLite file path.
func Open(ctx context.Context, dbURL, sqlitePath string) (*SQL, error) {
	return open(ctx, dbURL, sqlitePath, true)
}

// OpenUnmigrated opens like Open but leaves the schema alone (faceprint
// migrate status|up): the caller runs Status or Migrate itself.
func OpenUnmigrated(ctx context.Context, dbURL, sqlitePath string) (*SQL, error) {
	return open(ctx, dbURL, sqlitePath, false)
}

func open(ctx context.Context, dbURL, sqlitePath string, migrate bool) (*SQL, error) {
	if strings.HasPrefix(dbURL, "postgres://") || strings.HasPrefix(dbURL, "postgresql://") {
		return openPostgres(ctx, dbURL, migrate)
	}
	if dbURL != "" {
		sqlitePath = strings.TrimPrefix(dbURL, "sqlite://")
	}
	return openSQLite(ctx, sqlitePath, migrate)
}

// Close stops the batcher and closes the pools.
func (s *SQL) Close() error {
	if s.inserts != nil {
		close(s.inserts)
		<-s.batcherDone
		s.inserts = nil
	}
	err := s.read.Close()
	if s.write != s.read {
		err = errors.Join(err, s.write.Close())
	}
	return err
}

// Ping checks the connection.
func (s *SQL) Ping(ctx context.Context) error { return s.read.PingContext(ctx) }

// Dialect names the backend ("sqlite" or "postgres").
func (s *SQL) Dialect() string {
	if s.d == postgres {
		return "postgres"
	}
	return "sqlite"
}

// q rewrites ? placeholders to $n for PostgreSQL.
func (s *SQL) q(query string) string {
	if s.d != postgres {
		return query
	}
	var b strings.Builder
	n := 0
	for _, c := range query {
		if c == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

func (s *SQL) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return s.write.ExecContext(ctx, s.q(query), args...)
}

func (s *SQL) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return s.read.QueryRowContext(ctx, s.q(query), args...)
}

func (s *SQL) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return s.read.QueryContext(ctx, s.q(query), args...)
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func isUnique(err error) bool {
	if err == nil {
		return false
	}
	m := err.Error()
	return strings.Contains(m, "UNIQUE constraint") || strings.Contains(m, "duplicate key") || strings.Contains(m, "SQLSTATE 23505")
}

func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// --- apps and tokens ---

const appCols = "id, name, api_key, secret_hash, generation, disabled, qps, rev, created_at, updated_at"

func scanApp(sc interface{ Scan(...any) error }) (*App, error) {
	var a App
	var dis int
	var c, u int64
	if err := sc.Scan(&a.ID, &a.Name, &a.APIKey, &a.SecretHash, &a.Generation, &dis, &a.QPS, &a.Rev, &c, &u); err != nil {
		return nil, notFound(err)
	}
	a.Disabled, a.CreatedAt, a.UpdatedAt = dis != 0, fromMS(c), fromMS(u)
	return &a, nil
}

func (s *SQL) CreateApp(ctx context.Context, a *App) error {
	_, err := s.exec(ctx, "INSERT INTO apps ("+appCols+") VALUES (?,?,?,?,?,?,?,?,?,?)",
		a.ID, a.Name, a.APIKey, a.SecretHash, a.Generation, b2i(a.Disabled), a.QPS, a.Rev, ms(a.CreatedAt), ms(a.UpdatedAt))
	if isUnique(err) {
		return ErrConflict
	}
	return wrap("create app", err)
}

func (s *SQL) GetApp(ctx context.Context, id string) (*App, error) {
	a, err := scanApp(s.queryRow(ctx, "SELECT "+appCols+" FROM apps WHERE id = ?", id))
	return a, wrap("get app", err)
}

func (s *SQL) GetAppByAPIKey(ctx context.Context, key string) (*App, error) {
	a, err := scanApp(s.queryRow(ctx, "SELECT "+appCols+" FROM apps WHERE api_key = ?", key))
	return a, wrap("get app by key", err)
}

func (s *SQL) ListApps(ctx context.Context) ([]App, error) {
	rows, err := s.query(ctx, "SELECT "+appCols+" FROM apps ORDER BY created_at, id")
	if err != nil {
		return nil, wrap("list apps", err)
	}
	defer rows.Close()
	var out []App
	for rows.Next() {
		a, err := scanApp(rows)
		if err != nil {
			return nil, wrap("list apps", err)
		}
		out = append(out, *a)
	}
	return out, wrap("list apps", rows.Err())
}

func (s *SQL) UpdateApp(ctx context.Context, a *App) error {
	res, err := s.exec(ctx, "UPDATE apps SET name=?, secret_hash=?, generation=?, disabled=?, qps=?, rev=?, updated_at=? WHERE id=? AND rev=?",
		a.Name, a.SecretHash, a.Generation, b2i(a.Disabled), a.QPS, a.Rev+1, ms(a.UpdatedAt), a.ID, a.Rev)
	if err != nil {
		return wrap("update app", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, gerr := s.GetApp(ctx, a.ID); gerr != nil {
			return fmt.Errorf("update app: %w", ErrNotFound)
		}
		return fmt.Errorf("update app: %w", ErrConflict)
	}
	a.Rev++
	return nil
}

func affected(op string, res sql.Result, err error) error {
	if err != nil {
		return wrap(op, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%s: %w", op, ErrNotFound)
	}
	return nil
}

func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	countError(op, err)
	return fmt.Errorf("%s: %w", op, err)
}

// --- plans ---

func (s *SQL) CreatePlan(ctx context.Context, p *plan.Plan) error {
	opts, err := json.Marshal(p.Options)
	if err != nil {
		return fmt.Errorf("encode plan: %w", err)
	}
	_, err = s.exec(ctx, "INSERT INTO plans (id, version, app_id, name, disabled, options, created_at) VALUES (?,?,?,?,?,?,?)",
		p.ID, p.Version, p.AppID, p.Name, b2i(p.Disabled), string(opts), ms(p.CreatedAt))
	if isUnique(err) {
		return ErrConflict
	}
	return wrap("create plan", err)
}

const planCols = "id, version, app_id, name, disabled, options, created_at"

func scanPlan(sc interface{ Scan(...any) error }) (*plan.Plan, error) {
	var p plan.Plan
	var dis int
	var opts string
	var c int64
	if err := sc.Scan(&p.ID, &p.Version, &p.AppID, &p.Name, &dis, &opts, &c); err != nil {
		return nil, notFound(err)
	}
	if err := json.Unmarshal([]byte(opts), &p.Options); err != nil {
		return nil, fmt.Errorf("decode plan options: %w", err)
	}
	p.Disabled, p.CreatedAt = dis != 0, fromMS(c)
	return &p, nil
}

func (s *SQL) GetPlan(ctx context.Context, id string) (*plan.Plan, error) {
	p, err := scanPlan(s.queryRow(ctx, "SELECT "+planCols+" FROM plans WHERE id = ? ORDER BY version DESC LIMIT 1", id))
	return p, wrap("get plan", err)
}

func (s *SQL) GetPlanVersion(ctx context.Context, id string, v int) (*plan.Plan, error) {
	p, err := scanPlan(s.queryRow(ctx, "SELECT "+planCols+" FROM plans WHERE id = ? AND version = ?", id, v))
	return p, wrap("get plan version", err)
}

func (s *SQL) ListPlans(ctx context.Context, appID string) ([]plan.Plan, error) {
	q := "SELECT " + planCols + " FROM plans p WHERE version = (SELECT MAX(version) FROM plans q WHERE q.id = p.id)"
	args := []any{}
	if appID != "" {
		q += " AND app_id = ?"
		args = append(args, appID)
	}
	rows, err := s.query(ctx, q+" ORDER BY created_at, id", args...)
	if err != nil {
		return nil, wrap("list plans", err)
	}
	defer rows.Close()
	var out []plan.Plan
	for rows.Next() {
		p, err := scanPlan(rows)
		if err != nil {
			return nil, wrap("list plans", err)
		}
		out = append(out, *p)
	}
	return out, wrap("list plans", rows.Err())
}

// --- sessions ---

const sessCols = "id, token_hash, app_id, plan_id, plan_version, state, rev, created_at, expires_at, finished_at, result_until, purged, active_at, id_hash, data_key, data"

func scanSession(sc interface{ Scan(...any) error }) (*SessionRecord, error) {
	var r SessionRecord
	var c, e, f, u, act int64
	var purged int
	var data string
	if err := sc.Scan(&r.ID, &r.TokenHash, &r.AppID, &r.PlanID, &r.PlanVersion, &r.State, &r.Rev, &c, &e, &f, &u, &purged, &act, &r.IDHash, &r.DataKey, &data); err != nil {
		return nil, notFound(err)
	}
	r.CreatedAt, r.ExpiresAt, r.FinishedAt, r.ResultUntil, r.ActiveAt = fromMS(c), fromMS(e), fromMS(f), fromMS(u), fromMS(act)
	r.Purged, r.Data = purged != 0, []byte(data)
	return &r, nil
}

func (s *SQL) CreateSession(ctx context.Context, r *SessionRecord) error {
	if s.inserts != nil {
		return s.createSessionBatched(ctx, r)
	}
	return s.insertSession(ctx, s.write, r)
}

// execer is a pool or a transaction.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func (s *SQL) insertSession(ctx context.Context, db execer, r *SessionRecord) error {
	_, err := db.ExecContext(ctx, s.q("INSERT INTO sessions ("+sessCols+") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"),
		r.ID, r.TokenHash, r.AppID, r.PlanID, r.PlanVersion, r.State, r.Rev, ms(r.CreatedAt), ms(r.ExpiresAt), ms(r.FinishedAt), ms(r.ResultUntil), b2i(r.Purged), ms(r.ActiveAt), r.IDHash, r.DataKey, string(r.Data))
	if isUnique(err) {
		return ErrConflict
	}
	return wrap("create session", err)
}

func (s *SQL) GetSession(ctx context.Context, id string) (*SessionRecord, error) {
	r, err := scanSession(s.queryRow(ctx, "SELECT "+sessCols+" FROM sessions WHERE id = ?", id))
	return r, wrap("get session", err)
}

func (s *SQL) GetSessionByToken(ctx context.Context, h string) (*SessionRecord, error) {
	r, err := scanSession(s.queryRow(ctx, "SELECT "+sessCols+" FROM sessions WHERE token_hash = ?", h))
	return r, wrap("get session", err)
}

func (s *SQL) UpdateSession(ctx context.Context, r *SessionRecord) error {
	return s.UpdateSessionWithWebhooks(ctx, r, nil)
}

const updateSessionSQL = "UPDATE sessions SET state=?, rev=?, expires_at=?, finished_at=?, result_until=?, purged=?, active_at=?, id_hash=?, data_key=?, data=? WHERE id=? AND rev=?"

func (s *SQL) updateSessionArgs(r *SessionRecord) []any {
	return []any{r.State, r.Rev + 1, ms(r.ExpiresAt), ms(r.FinishedAt), ms(r.ResultUntil), b2i(r.Purged), ms(r.ActiveAt), r.IDHash, r.DataKey, string(r.Data), r.ID, r.Rev}
}

func (s *SQL) UpdateSessionWithWebhooks(ctx context.Context, r *SessionRecord, hooks []Webhook) error {
	if len(hooks) == 0 {
		// No outbox rows: one statement is atomic on its own.
		res, err := s.exec(ctx, updateSessionSQL, s.updateSessionArgs(r)...)
		if err != nil {
			return wrap("update session", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("update session: %w", ErrConflict)
		}
		r.Rev++
		return nil
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return wrap("update session", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	res, err := tx.ExecContext(ctx, s.q(updateSessionSQL), s.updateSessionArgs(r)...)
	if err != nil {
		return wrap("update session", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("update session: %w", ErrConflict)
	}
	for _, w := range hooks {
		if err := s.insertWebhook(ctx, tx, w); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return wrap("update session: commit", err)
	}
	r.Rev++
	return nil
}

func (s *SQL) OpenSessionsDue(ctx context.Context, now, idleBefore time.Time, limit int) ([]string, error) {
	// finished_at = 0 selects open sessions through sessions_open; the state
	// test also skips rows that older releases marked expired without a finish time.
	rows, err := s.query(ctx, `SELECT id FROM sessions WHERE finished_at = 0
		AND state NOT IN ('passed', 'failed', 'expired', 'abandoned')
		AND (expires_at < ? OR (state <> 'created' AND active_at > 0 AND active_at < ?))
		ORDER BY expires_at LIMIT ?`, ms(now), ms(idleBefore), limit)
	if err != nil {
		return nil, wrap("open sessions due", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, wrap("open sessions due", err)
		}
		ids = append(ids, id)
	}
	return ids, wrap("open sessions due", rows.Err())
}

func (s *SQL) SessionsToPurge(ctx context.Context, now time.Time, limit int) ([]string, error) {
	rows, err := s.query(ctx, "SELECT id FROM sessions WHERE purged = 0 AND result_until > 0 AND result_until < ? ORDER BY result_until LIMIT ?", ms(now), limit)
	if err != nil {
		return nil, wrap("sessions to purge", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, wrap("sessions to purge", err)
		}
		ids = append(ids, id)
	}
	return ids, wrap("sessions to purge", rows.Err())
}

func (s *SQL) SessionsByIDHash(ctx context.Context, idHash string, limit int) ([]string, error) {
	if idHash == "" {
		return nil, nil // "" marks sessions without a known number: never a match
	}
	rows, err := s.query(ctx, "SELECT id FROM sessions WHERE id_hash = ? ORDER BY created_at LIMIT ?", idHash, limit)
	if err != nil {
		return nil, wrap("sessions by id hash", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, wrap("sessions by id hash", err)
		}
		ids = append(ids, id)
	}
	return ids, wrap("sessions by id hash", rows.Err())
}

func (s *SQL) ListSessions(ctx context.Context, appID string, limit int) ([]SessionRecord, error) {
	rows, err := s.query(ctx, "SELECT "+sessCols+" FROM sessions WHERE app_id = ? ORDER BY created_at DESC LIMIT ?", appID, limit)
	if err != nil {
		return nil, wrap("list sessions", err)
	}
	defer rows.Close()
	var out []SessionRecord
	for rows.Next() {
		r, err := scanSession(rows)
		if err != nil {
			return nil, wrap("list sessions", err)
		}
		out = append(out, *r)
	}
	return out, wrap("list sessions", rows.Err())
}

// --- stats ---

func (s *SQL) AddStat(ctx context.Context, sessionID, api string, code int) error {
	_, err := s.exec(ctx, `INSERT INTO session_stats (session_id, api, error_code, count) VALUES (?,?,?,1)
		ON CONFLICT (session_id, api, error_code) DO UPDATE SET count = session_stats.count + 1`, sessionID, api, code)
	return wrap("add stat", err)
}

func (s *SQL) Stats(ctx context.Context, sessionID string) ([]Stat, error) {
	rows, err := s.query(ctx, "SELECT api, error_code, count FROM session_stats WHERE session_id = ? ORDER BY api, error_code", sessionID)
	if err != nil {
		return nil, wrap("stats", err)
	}
	defer rows.Close()
	var out []Stat
	for rows.Next() {
		var st Stat
		if err := rows.Scan(&st.API, &st.ErrorCode, &st.Count); err != nil {
			return nil, wrap("stats", err)
		}
		out = append(out, st)
	}
	return out, wrap("stats", rows.Err())
}

// --- registry ---

// registryKey is the row key of a registry entry (the ID number is stored
// beside it; with a PII key the caller passes a keyed tag instead of the number).
func registryKey(appID, idNumber string) string {
	h := sha256.Sum256([]byte(appID + "\x00" + strings.ToUpper(idNumber)))
	return hex.EncodeToString(h[:])
}

func (s *SQL) PutRegistryEntry(ctx context.Context, e RegistryEntry) error {
	_, err := s.exec(ctx, `INSERT INTO registry (key, app_id, id_number, name, photo, created_at) VALUES (?,?,?,?,?,?)
		ON CONFLICT (key) DO UPDATE SET name = excluded.name, photo = excluded.photo, id_number = excluded.id_number, created_at = excluded.created_at`,
		registryKey(e.AppID, e.IDNumber), e.AppID, strings.ToUpper(e.IDNumber), e.Name, e.Photo, ms(e.CreatedAt))
	return wrap("put registry entry", err)
}

func (s *SQL) GetRegistryEntry(ctx context.Context, appID, idNumber string) (RegistryEntry, error) {
	var e RegistryEntry
	var c int64
	err := s.queryRow(ctx, "SELECT app_id, id_number, name, photo, created_at FROM registry WHERE key = ?", registryKey(appID, idNumber)).
		Scan(&e.AppID, &e.IDNumber, &e.Name, &e.Photo, &c)
	e.CreatedAt = fromMS(c)
	return e, wrap("get registry entry", notFound(err))
}

func (s *SQL) DeleteRegistryEntry(ctx context.Context, appID, idNumber string) error {
	res, err := s.exec(ctx, "DELETE FROM registry WHERE key = ?", registryKey(appID, idNumber))
	return affected("delete registry entry", res, err)
}

func (s *SQL) ListRegistryEntries(ctx context.Context, appID string, limit int) ([]RegistryEntry, error) {
	rows, err := s.query(ctx, "SELECT app_id, id_number, name, created_at FROM registry WHERE app_id = ? ORDER BY created_at LIMIT ?", appID, limit)
	if err != nil {
		return nil, wrap("list registry", err)
	}
	defer rows.Close()
	var out []RegistryEntry
	for rows.Next() {
		var e RegistryEntry
		var c int64
		if err := rows.Scan(&e.AppID, &e.IDNumber, &e.Name, &c); err != nil {
			return nil, wrap("list registry", err)
		}
		e.CreatedAt = fromMS(c)
		out = append(out, e)
	}
	return out, wrap("list registry", rows.Err())
}

// --- short-lived keys ---

func (s *SQL) PutKV(ctx context.Context, ns, key string, value []byte, expires time.Time) error {
	// An expired leftover with the same key is replaced; a live one is a conflict.
	_, err := s.exec(ctx, `INSERT INTO kv (ns, key, value, expires_at) VALUES (?,?,?,?)
		ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at WHERE kv.expires_at < ?`,
		ns, key, value, ms(expires), time.Now().UnixMilli())
	if err != nil {
		return wrap("put kv", err)
	}
	// Confirm the row is ours (the conditional update may have skipped).
	var got []byte
	var exp int64
	if err := s.write.QueryRowContext(ctx, s.q("SELECT value, expires_at FROM kv WHERE ns = ? AND key = ?"), ns, key).Scan(&got, &exp); err != nil {
		return wrap("put kv", err)
	}
	if exp != ms(expires) || string(got) != string(value) {
		return fmt.Errorf("put kv: %w", ErrConflict)
	}
	return nil
}

func (s *SQL) TakeKV(ctx context.Context, ns, key string, now time.Time) ([]byte, error) {
	var v []byte
	var exp int64
	err := s.write.QueryRowContext(ctx, s.q("DELETE FROM kv WHERE ns = ? AND key = ? RETURNING value, expires_at"), ns, key).Scan(&v, &exp)
	if err != nil {
		return nil, wrap("take kv", notFound(err))
	}
	if exp < ms(now) {
		return nil, fmt.Errorf("take kv: %w", ErrNotFound)
	}
	return v, nil
}

func (s *SQL) GetKV(ctx context.Context, ns, key string, now time.Time) ([]byte, error) {
	var v []byte
	err := s.queryRow(ctx, "SELECT value FROM kv WHERE ns = ? AND key = ? AND expires_at >= ?", ns, key, ms(now)).Scan(&v)
	return v, wrap("get kv", notFound(err))
}

func (s *SQL) DeleteExpiredKV(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.exec(ctx, "DELETE FROM kv WHERE expires_at < ?", ms(now))
	if err != nil {
		return 0, wrap("delete expired kv", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// --- audit ---

func (s *SQL) AddAudit(ctx context.Context, e AuditEntry) error {
	_, err := s.exec(ctx, "INSERT INTO audit (at, actor, action, target, detail) VALUES (?,?,?,?,?)", ms(e.At), e.Actor, e.Action, e.Target, e.Detail)
	return wrap("add audit", err)
}

func (s *SQL) ListAudit(ctx context.Context, limit int) ([]AuditEntry, error) {
	rows, err := s.query(ctx, "SELECT at, actor, action, target, detail FROM audit ORDER BY id DESC LIMIT ?", limit)
	if err != nil {
		return nil, wrap("list audit", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var at int64
		if err := rows.Scan(&at, &e.Actor, &e.Action, &e.Target, &e.Detail); err != nil {
			return nil, wrap("list audit", err)
		}
		e.At = fromMS(at)
		out = append(out, e)
	}
	return out, wrap("list audit", rows.Err())
}
