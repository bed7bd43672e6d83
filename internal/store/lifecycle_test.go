package store_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/faceprint/faceprint/internal/store"
	"github.com/faceprint/faceprint/internal/testenv/pgtest"
)

// rawBackends is backends plus a raw connection to the same database, for
// tests that must break the schema underneath the store.
func rawBackends(t *testing.T, fn func(t *testing.T, s store.Store, raw *sql.DB, postgres bool)) {
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "fp.db")
		s, err := store.OpenSQLite(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		fn(t, s, raw, false)
	})
	t.Run("postgres", func(t *testing.T) {
		url := pgtest.URL(t)
		s, err := store.OpenPostgres(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		raw, err := sql.Open("pgx", url)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		fn(t, s, raw, true)
	})
}

func openSession(t *testing.T, s store.Store, id string) *store.SessionRecord {
	t.Helper()
	r := &store.SessionRecord{ID: id, TokenHash: "h-" + id, AppID: "1001", PlanID: "p", PlanVersion: 1, State: "started",
		CreatedAt: t0, ExpiresAt: t0.Add(2 * time.Hour), ResultUntil: t0.Add(74 * time.Hour), ActiveAt: t0, Data: []byte("{}")}
	if err := s.CreateSession(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return r
}

// The outbox row and the state change it reports commit or roll back together.
func TestSessionUpdateAndOutboxAreOneTransaction(t *testing.T) {
	rawBackends(t, func(t *testing.T, s store.Store, raw *sql.DB, postgres bool) {
		ctx := context.Background()
		hook := func(ev string) []store.Webhook {
			return []store.Webhook{{AppID: "1001", SessionID: "s1", Event: ev, EventID: "e-" + ev, URL: "https://biz.example/hook",
				Body: []byte(`{}`), NextAt: t0, CreatedAt: t0}}
		}
		r := openSession(t, s, "s1")

		// Both commit.
		r.State, r.FinishedAt = "passed", t0.Add(time.Minute)
		if err := s.UpdateSessionWithWebhooks(ctx, r, hook("session.finished")); err != nil || r.Rev != 1 {
			t.Fatalf("update: %v rev %d", err, r.Rev)
		}
		if ws, _ := s.ListWebhooks(ctx, "s1", 10); len(ws) != 1 || ws[0].Status != store.WebhookPending || ws[0].EventID != "e-session.finished" {
			t.Fatalf("outbox after commit: %+v", ws)
		}

		// A stale revision: neither the record nor the row is written.
		stale := *r
		stale.Rev, stale.State = 0, "failed"
		if err := s.UpdateSessionWithWebhooks(ctx, &stale, hook("stale")); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("stale update: %v", err)
		}

		// The outbox insert fails after the session update ran: both roll back.
		if postgres {
			mustExecRaw(t, raw, `CREATE FUNCTION fp_boom() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'boom'; END $$ LANGUAGE plpgsql`)
			mustExecRaw(t, raw, `CREATE TRIGGER fp_boom BEFORE INSERT ON webhooks FOR EACH ROW EXECUTE FUNCTION fp_boom()`)
		} else {
			mustExecRaw(t, raw, `CREATE TRIGGER fp_boom BEFORE INSERT ON webhooks BEGIN SELECT RAISE(ABORT, 'boom'); END`)
		}
		r.State = "expired"
		if err := s.UpdateSessionWithWebhooks(ctx, r, hook("boom")); err == nil {
			t.Fatal("update with a failing outbox insert succeeded")
		}
		got, err := s.GetSession(ctx, "s1")
		if err != nil || got.State != "passed" || got.Rev != 1 {
			t.Fatalf("session changed although its event was not queued: %+v %v", got, err)
		}
		if ws, _ := s.ListWebhooks(ctx, "s1", 10); len(ws) != 1 {
			t.Fatalf("outbox after rollbacks: %d rows", len(ws))
		}
	})
}

func mustExecRaw(t *testing.T, db *sql.DB, q string) {
	t.Helper()
	if _, err := db.Exec(q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func TestOpenSessionsDueAndDeliveryHistory(t *testing.T) {
	backends(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		openSession(t, s, "idle")
		fresh := openSession(t, s, "fresh")
		fresh.ActiveAt = t0.Add(30 * time.Minute)
		if err := s.UpdateSession(ctx, fresh); err != nil {
			t.Fatal(err)
		}
		created := openSession(t, s, "created")
		created.State, created.ActiveAt = "created", time.Time{}
		if err := s.UpdateSession(ctx, created); err != nil {
			t.Fatal(err)
		}
		done := openSession(t, s, "done")
		done.State, done.FinishedAt = "passed", t0
		if err := s.UpdateSession(ctx, done); err != nil {
			t.Fatal(err)
		}
		// 25 min in with a 20 min window: only "idle" is due.
		ids, err := s.OpenSessionsDue(ctx, t0.Add(25*time.Minute), t0.Add(5*time.Minute), 10)
		if err != nil || len(ids) != 1 || ids[0] != "idle" {
			t.Fatalf("due at 25 min: %v %v", ids, err)
		}
		// Past the token expiry every open session is due, created ones too.
		ids, _ = s.OpenSessionsDue(ctx, t0.Add(3*time.Hour), t0.Add(3*time.Hour-20*time.Minute), 10)
		if len(ids) != 3 {
			t.Fatalf("due after expiry: %v", ids)
		}

		w := store.Webhook{AppID: "1001", SessionID: "done", Event: "session.finished", EventID: "ev1", URL: "https://biz.example/hook", Body: []byte(`{"a":1}`), NextAt: t0, CreatedAt: t0}
		if err := s.EnqueueWebhook(ctx, w); err != nil {
			t.Fatal(err)
		}
		ws, err := s.ClaimWebhooks(ctx, t0, t0.Add(time.Minute), 10)
		if err != nil || len(ws) != 1 || ws[0].EventID != "ev1" || string(ws[0].Body) != `{"a":1}` {
			t.Fatalf("claim: %+v %v", ws, err)
		}
		if err := s.RetryWebhook(ctx, ws[0].ID, 1, t0.Add(20*time.Second), "status 503"); err != nil {
			t.Fatal(err)
		}
		if err := s.FinishWebhook(ctx, ws[0].ID, t0.Add(time.Minute), ""); err != nil {
			t.Fatal(err)
		}
		if ws, _ := s.ClaimWebhooks(ctx, t0.Add(time.Hour), t0.Add(2*time.Hour), 10); len(ws) != 0 {
			t.Fatalf("a delivered row was claimed again: %+v", ws)
		}
		got, err := s.GetWebhook(ctx, ws[0].ID)
		if err != nil || got.Status != store.WebhookDelivered || got.Attempts != 1 || !got.DoneAt.Equal(t0.Add(time.Minute)) || got.LastError != "status 503" {
			t.Fatalf("delivered row: %+v %v", got, err)
		}
		if n, err := s.DeleteDoneWebhooks(ctx, t0.Add(time.Hour)); err != nil || n != 1 {
			t.Fatalf("history cleanup: %d %v", n, err)
		}
		if _, err := s.GetWebhook(ctx, ws[0].ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("after cleanup: %v", err)
		}
	})
}

func TestSessionsByIDHashAndDataKey(t *testing.T) {
	backends(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		a, b := openSession(t, s, "a"), openSession(t, s, "b")
		openSession(t, s, "c")
		for _, r := range []*store.SessionRecord{a, b} {
			r.IDHash, r.DataKey = "h1", "fp1:wrapped-"+r.ID
			if err := s.UpdateSession(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		ids, err := s.SessionsByIDHash(ctx, "h1", 10)
		if err != nil || len(ids) != 2 {
			t.Fatalf("by hash: %v %v", ids, err)
		}
		if ids, _ := s.SessionsByIDHash(ctx, "", 10); len(ids) != 0 {
			t.Fatalf("the empty hash matched %v", ids)
		}
		got, _ := s.GetSession(ctx, "b")
		if got.DataKey != "fp1:wrapped-b" || got.IDHash != "h1" {
			t.Fatalf("round trip: %+v", got)
		}
	})
}
