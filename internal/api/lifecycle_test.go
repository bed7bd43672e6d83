package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faceprint/faceprint/internal/auth"
	"github.com/faceprint/faceprint/internal/plan"
	"github.com/faceprint/faceprint/internal/store"
	"github.com/faceprint/faceprint/internal/testenv/testclock"
	"github.com/faceprint/faceprint/internal/webhook"
)

func TestAdminDeliveriesResendAndTestCallback(t *testing.T) {
	var mu sync.Mutex
	var events []string
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		var m map[string]any
		json.Unmarshal(b, &m)
		ty, _ := m["type"].(string)
		events = append(events, ty+" "+r.Header.Get(webhook.EventIDHeader))
	}))
	defer recv.Close()
	clk := testclock.New(time.Now())
	e := start(t, false, clk, nil)
	o := plan.Defaults()
	o.IdentityInput, o.CompareSource, o.CallbackURL = plan.InputManual, plan.CompareNone, recv.URL+"/hook"
	o.CallbackEvents = []string{plan.EventStarted, plan.EventFinished}
	pid := e.CreatePlan(o)
	tok := finish(t, e, pid)
	ctx := context.Background()
	if n, err := e.App.Webhooks.RunOnce(ctx); err != nil || n != 2 {
		t.Fatalf("delivered %d: %v", n, err)
	}
	rec, err := e.App.Store.GetSessionByToken(ctx, auth.Hash(tok))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(filepath.Join(e.DataDir, "admin.token"))
	admin := strings.TrimSpace(string(raw))
	do := func(method, path string) (int, string) {
		req, _ := http.NewRequest(method, e.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+admin)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	st, body := do("GET", "/admin/api/sessions/"+rec.ID+"/deliveries")
	var ws []store.Webhook
	if err := json.Unmarshal([]byte(body), &ws); st != 200 || err != nil || len(ws) != 2 || ws[1].Event != plan.EventFinished || ws[1].Status != store.WebhookDelivered {
		t.Fatalf("deliveries: %d %s", st, body)
	}
	if strings.Contains(body, tok) {
		t.Fatal("the delivery list shows the verify token")
	}
	if st, body := do("POST", "/admin/api/deliveries/"+itoa(ws[1].ID)+"/resend"); st != 200 || !strings.Contains(body, ws[1].EventID) {
		t.Fatalf("resend: %d %s", st, body)
	}
	if n, _ := e.App.Webhooks.RunOnce(ctx); n != 1 {
		t.Fatalf("resent delivered %d", n)
	}
	if st, body := do("POST", "/admin/api/plans/"+pid+"/test-callback"); st != 200 || !strings.Contains(body, `"ok":true`) {
		t.Fatalf("test callback: %d %s", st, body)
	}
	if st, _ := do("GET", "/admin/api/sessions/nope/deliveries"); st != 404 {
		t.Fatalf("unknown session: %d", st)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(events) != 4 || events[2] != plan.EventFinished+" "+ws[1].EventID || !strings.HasPrefix(events[3], "test evt_test_") {
		t.Fatalf("receiver saw %q", events)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
