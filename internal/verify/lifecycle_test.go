package verify_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faceprint/faceprint/internal/auth"
	"github.com/faceprint/faceprint/internal/plan"
	"github.com/faceprint/faceprint/internal/store"
	"github.com/faceprint/faceprint/internal/verify"
	"github.com/faceprint/faceprint/internal/verify/verifytest"
	"github.com/faceprint/faceprint/internal/webhook"
)

// receiver is a business endpoint that is down (503) until up is set, checks
// every signature and dedupes by event id, as the README tells receivers to.
type receiver struct {
	t      *testing.T
	secret string
	mu     sync.Mutex
	up     bool
	hits   int                       // every request, refused ones too
	refuse int                       // requests answered 503
	events map[string]map[string]any // event_id → body, after dedupe
	dups   int                       // deliveries of an event id already received
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.hits++
	if !rc.up {
		rc.refuse++
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	sig := r.Header.Get(webhook.Header)
	ts, _, _ := strings.Cut(strings.TrimPrefix(sig, "t="), ",")
	sec, _ := strconv.ParseInt(ts, 10, 64)
	if want := webhook.Sign(rc.secret, time.Unix(sec, 0), body); sig == "" || sig != want {
		rc.t.Errorf("bad signature %q on %s", sig, body)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		rc.t.Errorf("body %s: %v", body, err)
	}
	id, _ := m["event_id"].(string)
	if id == "" || r.Header.Get(webhook.EventIDHeader) != id {
		rc.t.Errorf("event id missing or header differs: %q %q", id, r.Header.Get(webhook.EventIDHeader))
	}
	if _, ok := rc.events[id]; ok {
		rc.dups++
	} else {
		rc.events[id] = m
	}
	w.WriteHeader(http.StatusNoContent)
}

func (rc *receiver) byType() map[string][]map[string]any {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := map[string][]map[string]any{}
	for _, m := range rc.events {
		ty, _ := m["type"].(string)
		out[ty] = append(out[ty], m)
	}
	return out
}

func TestLifecycleEventsAreDeliveredThroughAnOutage(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	rc := &receiver{t: t, secret: "whsec_test_0123456789", events: map[string]map[string]any{}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	pid := f.plan(t, func(o *plan.Options) {
		o.IdentityInput, o.CompareSource, o.MaxAttempts = plan.InputManual, plan.CompareNone, 3
		o.CallbackURL, o.CallbackEvents = srv.URL+"/hook", plan.AllEvents
	})
	lv := f.svc.Liveness.(*verifytest.Liveness)

	// 1. started, one failed attempt, then passed.
	passed := confirmed(t, f, pid, "")
	lv.Fail, lv.Reason = true, "liveness_failed"
	if dec := liveness(t, f, passed); dec.Passed || dec.Final {
		t.Fatalf("first attempt: %+v", dec)
	}
	lv.Fail = false
	if dec := liveness(t, f, passed); !dec.Passed {
		t.Fatalf("second attempt: %+v", dec)
	}
	// 2. started, then idle: abandoned by the background loop.
	idle := confirmed(t, f, pid, "")
	// 3. never opened: expired by the background loop.
	never, _ := f.svc.Generate(ctx, f.appID, pid, "", "")

	if _, err := f.svc.GetAll(ctx, f.appID, idle, noURL); !errors.Is(err, verify.ErrNotFinished) {
		t.Fatalf("getall of a live session: %v", err)
	}
	f.clk.Add(verify.DefaultAbandonAfter + time.Minute)
	if _, err := f.svc.PurgeExpired(ctx, 100); err != nil {
		t.Fatal(err)
	}
	rec, _ := f.st.GetSessionByToken(ctx, auth.Hash(idle))
	if rec.State != string(verify.StateAbandoned) {
		t.Fatalf("idle session is %s after the loop", rec.State)
	}
	g, err := f.svc.GetAll(ctx, f.appID, idle, noURL)
	if err != nil || g.State != "abandoned" || g.Reason != "abandoned" || g.VerifyCount != 0 {
		t.Fatalf("getall of the abandoned session: %+v %v", g, err)
	}
	if _, err := f.svc.Detail(ctx, f.appID, idle); !errors.Is(err, verify.ErrTokenInvalid) {
		t.Fatalf("detail of an abandoned session without attempts: %v", err)
	}
	if _, err := f.svc.Start(ctx, idle); err == nil {
		t.Fatal("an abandoned session was started again")
	}
	f.clk.Add(2 * time.Hour)
	if _, err := f.svc.PurgeExpired(ctx, 100); err != nil {
		t.Fatal(err)
	}
	rec, _ = f.st.GetSessionByToken(ctx, auth.Hash(never))
	if rec.State != string(verify.StateExpired) || !rec.FinishedAt.Equal(rec.ExpiresAt) {
		t.Fatalf("never-opened session: %s finished %v", rec.State, rec.FinishedAt)
	}
	if g, err := f.svc.GetAll(ctx, f.appID, never, noURL); err != nil || g.State != "expired" || g.Reason != "token_expired" {
		t.Fatalf("getall of the expired session: %+v %v", g, err)
	}

	// The receiver is down for the first rounds: every event is retried with backoff.
	d := &webhook.Deliverer{Store: f.st, Secret: func(string) string { return rc.secret }, Client: srv.Client(), Clock: f.clk.Now,
		Log: discardLog()}
	for round := range 12 {
		if round == 4 {
			rc.mu.Lock()
			rc.up = true
			rc.mu.Unlock()
		}
		if _, err := d.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		f.clk.Add(5 * time.Minute) // beyond the backoff of the first attempts
	}
	got := rc.byType()
	want := map[string]int{plan.EventStarted: 2, plan.EventStepFailed: 1, plan.EventFinished: 1, plan.EventAbandoned: 1, plan.EventExpired: 1}
	for ev, n := range want {
		if len(got[ev]) != n {
			t.Errorf("%s delivered %d times, want %d", ev, len(got[ev]), n)
		}
	}
	if len(rc.events) != 6 || rc.dups != 0 {
		t.Errorf("%d distinct events, %d duplicates", len(rc.events), rc.dups)
	}
	if rc.refuse < 6 {
		t.Errorf("the outage refused only %d deliveries", rc.refuse)
	}
	// session.finished keeps the callback's fields and event value.
	fin := got[plan.EventFinished][0]
	if fin["event"] != "verify.finished" || fin["passed"] != true || fin["attempts"] != float64(2) || fin["verify_token_sha256"] != auth.Hash(passed) {
		t.Errorf("finished body: %v", fin)
	}
	if sf := got[plan.EventStepFailed][0]; sf["step"] != "liveness" || sf["reason"] != "liveness_failed" {
		t.Errorf("step_failed body: %v", sf)
	}
	if ab := got[plan.EventAbandoned][0]; ab["last_step"] != "confirm" || ab["state"] != "abandoned" {
		t.Errorf("abandoned body: %v", ab)
	}

	// The console lists the deliveries with their history, and a re-send
	// keeps the event id, so the receiver dedupes it.
	ws, err := f.svc.Deliveries(ctx, rec.ID)
	if err != nil || len(ws) != 1 || ws[0].Status != store.WebhookDelivered || ws[0].Attempts == 0 || ws[0].LastError == "" {
		t.Fatalf("deliveries of the expired session: %+v %v", ws, err)
	}
	c, err := d.Resend(ctx, ws[0].ID)
	if err != nil || c.EventID != ws[0].EventID {
		t.Fatalf("resend: %+v %v", c, err)
	}
	if n, err := d.RunOnce(ctx); err != nil || n != 1 || rc.dups != 1 {
		t.Fatalf("resent: %d %v dups %d", n, err, rc.dups)
	}
	if ws, _ := f.svc.Deliveries(ctx, rec.ID); len(ws) != 2 {
		t.Fatalf("history after resend: %d rows", len(ws))
	}
	tr := d.SendTest(ctx, f.appID, pid, srv.URL+"/hook", "evt_test_1")
	if !tr.OK || tr.Status != http.StatusNoContent || rc.byType()["test"] == nil {
		t.Fatalf("test event: %+v", tr)
	}
}

// Plans without callback_events get session.finished only, as before.
func TestDefaultPlanGetsFinishedOnly(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	pid := f.plan(t, func(o *plan.Options) {
		o.IdentityInput, o.CompareSource, o.CallbackURL = plan.InputManual, plan.CompareNone, "https://biz.example/hook"
	})
	tok := confirmed(t, f, pid, "")
	liveness(t, f, tok)
	idle := confirmed(t, f, pid, "")
	f.clk.Add(3 * time.Hour)
	f.svc.PurgeExpired(ctx, 10)
	for _, tk := range []string{tok, idle} {
		rec, _ := f.st.GetSessionByToken(ctx, auth.Hash(tk))
		ws, _ := f.st.ListWebhooks(ctx, rec.ID, 10)
		want := 0
		if tk == tok {
			want = 1
		}
		if len(ws) != want || (want == 1 && ws[0].Event != plan.EventFinished) {
			t.Errorf("%s: %+v", rec.State, ws)
		}
	}
}

func discardLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func noURL(key string) string { return "/media/" + key }
