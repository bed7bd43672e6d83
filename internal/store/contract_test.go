package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/faceprint/faceprint/internal/plan"
	"github.com/faceprint/faceprint/internal/store"
	"github.com/faceprint/faceprint/internal/testenv/pgtest"
)

// backends runs the contract suite on every backend: a SQLite file and a real PostgreSQL database.
func backends(t *testing.T, fn func(t *testing.T, s store.Store)) {
	t.Run("sqlite", func(t *testing.T) {
		s, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "fp.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		fn(t, s)
	})
	t.Run("postgres", func(t *testing.T) {
		s, err := store.OpenPostgres(context.Background(), pgtest.URL(t))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		fn(t, s)
	})
}

var t0 = time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)

func TestApps(t *testing.T) {
	backends(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		a := &store.App{ID: "1001", Name: "a", APIKey: "key1", SecretHash: "h", Generation: 1, CreatedAt: t0, UpdatedAt: t0}
		if err := s.CreateApp(ctx, a); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateApp(ctx, &store.App{ID: "1002", APIKey: "key1", CreatedAt: t0}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("duplicate api key: %v", err)
		}
		got, err := s.GetAppByAPIKey(ctx, "key1")
		if err != nil || got.ID != "1001" || got.SecretHash != "h" || !got.CreatedAt.Equal(t0) {
			t.Fatalf("%+v %v", got, err)
		}
		stale := *got
		got.Disabled, got.Generation = true, 2
		if err := s.UpdateApp(ctx, got); err != nil || got.Rev != 1 {
			t.Fatal(err)
		}
		stale.SecretHash = "old"
		if err := s.UpdateApp(ctx, &stale); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("stale app update accepted: %v", err)
		}
		if g, _ := s.GetApp(ctx, "1001"); !g.Disabled || g.Generation != 2 {
			t.Fatalf("update lost: %+v", g)
		}
		if _, err := s.GetApp(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing app: %v", err)
		}
		if err := s.UpdateApp(ctx, &store.App{ID: "nope"}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("update missing: %v", err)
		}
		if apps, _ := s.ListApps(ctx); len(apps) != 1 {
			t.Fatalf("list: %d", len(apps))
		}
	})
}

func TestPlanVersions(t *testing.T) {
	backends(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		o := plan.Defaults()
		p := &plan.Plan{ID: "77", AppID: "1001", Name: "p", Version: 1, CreatedAt: t0, Options: o}
		if err := s.CreatePlan(ctx, p); err != nil {
			t.Fatal(err)
		}
		if err := s.CreatePlan(ctx, p); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("same version twice: %v", err)
		}
		p2 := *p
		p2.Version, p2.Options.SimilarityThreshold = 2, 85
		if err := s.CreatePlan(ctx, &p2); err != nil {
			t.Fatal(err)
		}
		latest, _ := s.GetPlan(ctx, "77")
		v1, _ := s.GetPlanVersion(ctx, "77", 1)
		if latest.Version != 2 || latest.Options.SimilarityThreshold != 85 || v1.Options.SimilarityThreshold != 80 {
			t.Fatalf("versions: %+v %+v", latest, v1)
		}
		if ps, _ := s.ListPlans(ctx, "1001"); len(ps) != 1 || ps[0].Version != 2 {
			t.Fatalf("list: %+v", ps)
		}
		if _, err := s.GetPlan(ctx, "78"); !errors.Is(err, store.ErrNotFound) {
			t.Fatal(err)
		}
	})
}

func TestSessionsOptimisticUpdatesStatsAndPurgeList(t *testing.T) {
	backends(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		r := &store.SessionRecord{ID: "s1", TokenHash: "tk", AppID: "1001", PlanID: "77", PlanVersion: 1, State: "created",
			CreatedAt: t0, ExpiresAt: t0.Add(2 * time.Hour), ResultUntil: t0.Add(74 * time.Hour), Data: []byte(`{"a":"张三"}`)}
		if err := s.CreateSession(ctx, r); err != nil {
			t.Fatal(err)
		}
		a, _ := s.GetSessionByToken(ctx, "tk")
		b, _ := s.GetSession(ctx, "s1")
		a.State = "started"
		if err := s.UpdateSession(ctx, a); err != nil || a.Rev != 1 {
			t.Fatalf("update: %v rev %d", err, a.Rev)
		}
		b.State = "failed"
		if err := s.UpdateSession(ctx, b); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("stale update accepted: %v", err)
		}
		got, _ := s.GetSession(ctx, "s1")
		if got.State != "started" || string(got.Data) != `{"a":"张三"}` {
			t.Fatalf("%+v", got)
		}
		// Concurrent stat increments are all counted.
		var wg sync.WaitGroup
		for range 20 {
			wg.Add(1)
			go func() { defer wg.Done(); _ = s.AddStat(ctx, "s1", "身份证识别", 0) }()
		}
		wg.Wait()
		_ = s.AddStat(ctx, "s1", "h5活体视频分析", 216434)
		st, _ := s.Stats(ctx, "s1")
		if len(st) != 2 || st[1].Count != 20 && st[0].Count != 20 {
			t.Fatalf("stats %+v", st)
		}
		ids, _ := s.SessionsToPurge(ctx, t0.Add(75*time.Hour), 10)
		if len(ids) != 1 || ids[0] != "s1" {
			t.Fatalf("purge list %v", ids)
		}
		got.Purged = true
		if err := s.UpdateSession(ctx, got); err != nil {
			t.Fatal(err)
		}
		if ids, _ := s.SessionsToPurge(ctx, t0.Add(75*time.Hour), 10); len(ids) != 0 {
			t.Fatalf("purged session listed again: %v", ids)
		}
		if err := s.CreateSession(ctx, &store.SessionRecord{ID: "s2", TokenHash: "tk", Data: []byte("{}")}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("duplicate token hash: %v", err)
		}
	})
}

func TestRegistryKVAudit(t *testing.T) {
	backends(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		e := store.RegistryEntry{AppID: "1001", IDNumber: "11010119900307803x", Name: "张三", Photo: []byte{0xff, 0xd8, 0, 1}, CreatedAt: t0}
		if err := s.PutRegistryEntry(ctx, e); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetRegistryEntry(ctx, "1001", "11010119900307803X")
		if err != nil || got.Name != "张三" || string(got.Photo) != string(e.Photo) {
			t.Fatalf("%+v %v", got, err)
		}
		e.Name = "张三丰"
		_ = s.PutRegistryEntry(ctx, e)
		if l, _ := s.ListRegistryEntries(ctx, "1001", 10); len(l) != 1 || l[0].Name != "张三丰" {
			t.Fatalf("upsert: %+v", l)
		}
		if _, err := s.GetRegistryEntry(ctx, "1002", "11010119900307803X"); !errors.Is(err, store.ErrNotFound) {
			t.Fatal("registry leaks across apps")
		}
		if err := s.DeleteRegistryEntry(ctx, "1001", "11010119900307803X"); err != nil {
			t.Fatal(err)
		}

		now := time.Now()
		if err := s.PutKV(ctx, "sc", "k", []byte("v1"), now.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := s.PutKV(ctx, "sc", "k", []byte("v2"), now.Add(time.Minute)); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("live key overwritten: %v", err)
		}
		if v, err := s.GetKV(ctx, "sc", "k", now); err != nil || string(v) != "v1" {
			t.Fatalf("get: %s %v", v, err)
		}
		// Single use under concurrency: exactly one taker wins.
		var wins sync.WaitGroup
		var mu sync.Mutex
		n := 0
		for range 8 {
			wins.Add(1)
			go func() {
				defer wins.Done()
				if _, err := s.TakeKV(ctx, "sc", "k", now); err == nil {
					mu.Lock()
					n++
					mu.Unlock()
				}
			}()
		}
		wins.Wait()
		if n != 1 {
			t.Fatalf("%d takers won", n)
		}
		_ = s.PutKV(ctx, "sc", "old", []byte("x"), now.Add(-time.Second))
		if _, err := s.TakeKV(ctx, "sc", "old", now); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("expired take: %v", err)
		}
		if err := s.PutKV(ctx, "sc", "old2", []byte("x"), now.Add(-time.Second)); err != nil {
			t.Fatal(err)
		}
		if err := s.PutKV(ctx, "sc", "old2", []byte("y"), now.Add(time.Minute)); err != nil {
			t.Fatalf("expired key not replaceable: %v", err)
		}
		if err := s.AddAudit(ctx, store.AuditEntry{At: t0, Actor: "cli", Action: "app.create", Target: "1001"}); err != nil {
			t.Fatal(err)
		}
		if l, _ := s.ListAudit(ctx, 10); len(l) != 1 || l[0].Action != "app.create" {
			t.Fatalf("audit %+v", l)
		}
	})
}

func TestWebhookClaimsAreExclusive(t *testing.T) {
	backends(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		for i := range 30 {
			if err := s.EnqueueWebhook(ctx, store.Webhook{AppID: "1001", URL: "https://biz.example/hook", Body: []byte(fmt.Sprint(i)), NextAt: t0, CreatedAt: t0}); err != nil {
				t.Fatal(err)
			}
		}
		var mu sync.Mutex
		seen := map[int64]int{}
		var wg sync.WaitGroup
		for range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ws, err := s.ClaimWebhooks(ctx, t0, t0.Add(time.Hour), 10)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				for _, w := range ws {
					seen[w.ID]++
				}
				mu.Unlock()
			}()
		}
		wg.Wait()
		for id, n := range seen {
			if n > 1 {
				t.Errorf("webhook %d claimed %d times", id, n)
			}
		}
		if len(seen) != 30 {
			t.Errorf("claimed %d of 30", len(seen))
		}
		if ws, _ := s.ClaimWebhooks(ctx, t0.Add(time.Minute), t0.Add(2*time.Hour), 10); len(ws) != 0 {
			t.Errorf("leased rows claimed again: %d", len(ws))
		}
	})
}

func TestConcurrentSessionCreatesAreAllDurableAndUnique(t *testing.T) {
	backends(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		var wg sync.WaitGroup
		errs := make([]error, 100)
		for i := range 100 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				tok := fmt.Sprintf("tok%d", i)
				if i == 99 {
					tok = "tok0" // a duplicate token hash: exactly one of the two must fail
				}
				errs[i] = s.CreateSession(ctx, &store.SessionRecord{ID: fmt.Sprintf("c%d", i), TokenHash: tok, AppID: "a", PlanID: "p", State: "created", Data: []byte("{}")})
			}()
		}
		wg.Wait()
		failed := 0
		for i, err := range errs {
			if err != nil {
				if !errors.Is(err, store.ErrConflict) {
					t.Fatalf("create %d: %v", i, err)
				}
				failed++
			}
		}
		if failed != 1 {
			t.Fatalf("%d conflicts, want 1", failed)
		}
		for i := range 99 {
			if _, err := s.GetSessionByToken(ctx, fmt.Sprintf("tok%d", i)); err != nil {
				t.Fatalf("session %d lost: %v", i, err)
			}
		}
	})
}
