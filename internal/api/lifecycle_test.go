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
	"github.com/faceprint/faceprint/internal/receipt"
	"github.com/faceprint/faceprint/internal/store"
	"github.com/faceprint/faceprint/internal/testenv/testclock"
	"github.com/faceprint/faceprint/internal/verify/verifytest"
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

func TestAdminDeletionReceipt(t *testing.T) {
	e := start(t, false, nil, nil)
	o := plan.Defaults()
	o.IdentityInput, o.CompareSource = plan.InputManual, plan.CompareNone
	tok := finish(t, e, e.CreatePlan(o))
	raw, _ := os.ReadFile(filepath.Join(e.DataDir, "admin.token"))
	admin := strings.TrimSpace(string(raw))
	do := func(method, path, body string) (int, []byte) {
		req, _ := http.NewRequest(method, e.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+admin)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	if st, body := do("POST", "/admin/api/deletions", `{"verify_token":"`+tok+`","id_hash":"x"}`); st != 400 {
		t.Fatalf("two selectors: %d %s", st, body)
	}
	if st, _ := do("POST", "/admin/api/deletions", `{"verify_token":"nope"}`); st != 404 {
		t.Fatalf("unknown token: %d", st)
	}
	st, rc := do("POST", "/admin/api/deletions", `{"verify_token":"`+tok+`"}`)
	if st != 200 {
		t.Fatalf("delete: %d %s", st, rc)
	}
	_, kb := do("GET", "/admin/api/receipt-key", "")
	var key struct {
		PublicKey string `json:"public_key"`
	}
	json.Unmarshal(kb, &key)
	pub, err := receipt.ParsePublicKey(key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	r, err := receipt.Verify(rc, pub)
	if err != nil || r.Counts.Sessions != 1 {
		t.Fatalf("receipt: %+v %v", r, err)
	}
	if m := e.Call(rpc+"result/detail", map[string]string{"verify_token": tok}); m["code"] != 283416.0 {
		t.Fatalf("detail after deletion: %v", m)
	}
	// By ID number (in the body): the specimen's other session goes too.
	tok2 := finish(t, e, e.CreatePlan(o))
	st, rc = do("POST", "/admin/api/deletions", `{"id_number":"`+verifytest.SpecimenFront.IDCardNumber+`"}`)
	if r, err := receipt.Verify(rc, pub); st != 200 || err != nil || r.Counts.Sessions != 1 || r.Sessions[0].Already {
		t.Fatalf("by id number: %d %s %v", st, rc, err)
	}
	if m := e.Call(rpc+"result/getall", map[string]string{"verify_token": tok2}); m["code"] != 283416.0 {
		t.Fatalf("getall after deletion: %v", m)
	}
	_, audit := do("GET", "/admin/api/audit", "")
	if !strings.Contains(string(audit), "data.delete") || strings.Contains(string(audit), verifytest.SpecimenFront.IDCardNumber) {
		t.Fatalf("audit: %s", audit)
	}
}
