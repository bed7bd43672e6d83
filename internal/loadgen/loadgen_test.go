package loadgen

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeServer answers like faceprint: generate succeeds, detail answers a
// business code, every third generate gets a QPS gateway error.
func fakeServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var gens atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch r.URL.Path {
		case "/oauth/2.0/token":
			io.WriteString(w, `{"access_token":"24.abc","expires_in":2592000,"scope":"public brain_all_scope"}`)
			return
		}
		if r.URL.Query().Get("access_token") != "24.abc" {
			io.WriteString(w, `{"error_code":110,"error_msg":"Access token invalid or no longer valid"}`)
			return
		}
		switch {
		case strings.HasSuffix(r.URL.Path, "/verifyToken/generate"):
			if !bytes.Contains(body, []byte(`"plan_id":"p1"`)) {
				io.WriteString(w, `{"success":false,"result":null,"code":283435,"message":"方案不存在。Plan not exist.","log_id":"1"}`)
				return
			}
			if gens.Add(1)%3 == 2 { // the setup generate is #1
				io.WriteString(w, `{"error_code":18,"error_msg":"Open api qps request limit reached"}`)
				return
			}
			io.WriteString(w, `{"success":true,"result":{"verify_token":"Yz9rWITm4vak16PBAh5x8oG7"},"log_id":"1814798895"}`)
		case strings.HasSuffix(r.URL.Path, "/result/detail"):
			if !bytes.Contains(body, []byte(`"verify_token":"Yz9rWITm4vak16PBAh5x8oG7"`)) {
				http.Error(w, "bad token", http.StatusBadRequest)
				return
			}
			io.WriteString(w, `{"success":false,"result":null,"code":283460,"message":"认证未完成","log_id":"2"}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &gens
}

func TestRunBoth(t *testing.T) {
	srv, _ := fakeServer(t)
	rep, err := Run(context.Background(), Config{URL: srv.URL + "/", APIKey: "ak", SecretKey: "sk", PlanID: "p1",
		Op: OpBoth, Concurrency: 4, Duration: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Ops) != 2 || rep.Ops[0].Op != OpGenerate || rep.Ops[1].Op != OpDetail {
		t.Fatalf("ops = %+v", rep.Ops)
	}
	g, d := rep.Ops[0], rep.Ops[1]
	if g.Requests < 2 || g.OK == 0 || g.Errors == 0 || g.Codes["error_code:18"] != g.Errors || g.OK+g.Errors != g.Requests {
		t.Fatalf("generate = %+v", g)
	}
	if d.Answered != d.Requests || d.Codes["283460"] != d.Requests || d.Errors != 0 {
		t.Fatalf("detail = %+v", d)
	}
	if !(g.P50 > 0 && g.P50 <= g.P95 && g.P95 <= g.P99 && g.P99 <= g.Max) {
		t.Fatalf("percentiles not ordered: %+v", g)
	}
	if g.PerSecond != float64(g.Requests)/0.5 {
		t.Fatalf("rate = %v for %d requests", g.PerSecond, g.Requests)
	}
	if !strings.Contains(rep.FirstError, "error_code 18") {
		t.Fatalf("first error = %q", rep.FirstError)
	}
	var out strings.Builder
	if err := rep.WriteText(&out); err != nil || !strings.Contains(out.String(), "error_code:18×") {
		t.Fatalf("text report: %v\n%s", err, out.String())
	}
}

func TestRunBadKeysFails(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"error":"invalid_client","error_description":"unknown client id"}`)
	}))
	defer srv.Close()
	_, err := Run(context.Background(), Config{URL: srv.URL, APIKey: "x", SecretKey: "y", PlanID: "p",
		Op: OpGenerate, Concurrency: 1, Duration: time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "unknown client id") {
		t.Fatalf("err = %v", err)
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []Config{
		{APIKey: "a", SecretKey: "b", PlanID: "p", Concurrency: 1, Duration: time.Second},
		{URL: "u", PlanID: "p", Concurrency: 1, Duration: time.Second},
		{URL: "u", APIKey: "a", SecretKey: "b", Concurrency: 1, Duration: time.Second},
		{URL: "u", APIKey: "a", SecretKey: "b", PlanID: "p", Duration: time.Second},
		{URL: "u", APIKey: "a", SecretKey: "b", PlanID: "p", Concurrency: 1, Duration: time.Second, Op: "delete"},
	} {
		if err := c.Validate(); err == nil {
			t.Fatalf("accepted %+v", c)
		}
	}
	c := Config{URL: "u/", APIKey: "a", SecretKey: "b", Op: OpDetail, DetailToken: "t", Concurrency: 1, Duration: time.Second}
	if err := c.Validate(); err != nil || c.URL != "u" || c.Timeout != 10*time.Second {
		t.Fatalf("detail with token: %v %+v", err, c)
	}
}

func TestPercentile(t *testing.T) {
	var lats []time.Duration
	for i := 1; i <= 100; i++ {
		lats = append(lats, time.Duration(i)*time.Millisecond)
	}
	if percentile(lats, 50) != 50*time.Millisecond || percentile(lats, 99) != 99*time.Millisecond || percentile(lats, 100) != 100*time.Millisecond {
		t.Fatal("nearest rank wrong")
	}
	if percentile(nil, 50) != 0 || percentile(lats[:1], 99) != time.Millisecond {
		t.Fatal("edge cases wrong")
	}
}
