package app_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faceprint/faceprint/internal/app"
	"github.com/faceprint/faceprint/internal/blob"
	"github.com/faceprint/faceprint/internal/blob/s3test"
	"github.com/faceprint/faceprint/internal/config"
)

func TestMain(m *testing.M) {
	code := m.Run()
	s3test.Stop()
	os.Exit(code)
}

func scaleConfig(t *testing.T, dataDir string) config.Config {
	cfg := config.Defaults()
	cfg.DataDir, cfg.Addr = dataDir, "127.0.0.1:0"
	cfg.SigningKey, cfg.AdminToken = "0123456789abcdef0123", "fedcba9876543210fedc"
	return cfg
}

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// TestS3BlobURL: blob_url s3://… makes the server keep blobs in the bucket,
// where another replica (here a second client) reads them; a wrong bucket fails the start.
func TestS3BlobURL(t *testing.T) {
	u := s3test.URL(t, "")
	cfg := scaleConfig(t, t.TempDir())
	cfg.BlobURL = u
	a, err := app.New(context.Background(), cfg, app.Options{NoEngines: true, Log: quietLog})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if in, ok := a.Blobs.(blob.Instrumented); !ok {
		t.Fatalf("blobs not instrumented: %T", a.Blobs)
	} else if _, ok := in.Store.(*blob.S3); !ok {
		t.Fatalf("blob_url %s gave %T", u, a.Blobs)
	}
	ctx := context.Background()
	if err := a.Blobs.Put(ctx, "s/1/face.jpg", []byte("jpeg")); err != nil {
		t.Fatal(err)
	}
	other, err := blob.NewS3(u)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := other.Get(ctx, "s/1/face.jpg"); err != nil || string(b) != "jpeg" {
		t.Fatalf("second replica reads %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, "blobs", "s")); !os.IsNotExist(err) {
		t.Fatalf("blob written to the local folder too: %v", err)
	}

	bad := scaleConfig(t, t.TempDir())
	bad.BlobURL = strings.Replace(u, s3test.Bucket, "no-such-bucket", 1)
	if _, err := app.New(context.Background(), bad, app.Options{NoEngines: true, Log: quietLog}); err == nil || !strings.Contains(err.Error(), "no-such-bucket") {
		t.Fatalf("start with a missing bucket: %v", err)
	}
}

// TestReplicasShareQPS: two servers on one database see each other through
// their heartbeats (each admits half an app's QPS); when one stops, the other
// takes the whole limit back.
func TestReplicasShareQPS(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	var apps [2]*app.App
	var stops [2]context.CancelFunc
	var wg sync.WaitGroup
	for i := range apps {
		a, err := app.New(ctx, scaleConfig(t, dir), app.Options{NoEngines: true, Log: quietLog})
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		rctx, stop := context.WithCancel(ctx)
		apps[i], stops[i] = a, stop
		wg.Add(1)
		go func() { defer wg.Done(); _ = a.Run(rctx, nil) }()
	}
	defer func() { stops[0](); stops[1](); wg.Wait() }()
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(6 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if cond() {
				return
			}
		}
		t.Fatalf("timed out waiting for %s", what)
	}
	waitFor("2 live replicas", func() bool { return apps[0].Limiter.Live() == 2 && apps[1].Limiter.Live() == 2 })
	if s := apps[0].Limiter.Share(200); s != 100 {
		t.Fatalf("share of 200 QPS with 2 replicas: %v", s)
	}
	stops[1]()
	waitFor("the survivor alone", func() bool { return apps[0].Limiter.Live() == 1 })
}

// TestMetrics: /metrics carries the latency histogram of each route served,
// the blob operations by result and the database errors.
func TestMetrics(t *testing.T) {
	a, err := app.New(context.Background(), scaleConfig(t, t.TempDir()), app.Options{NoEngines: true, Log: quietLog})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	for range 3 {
		resp, err := http.Get(srv.URL + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	ctx := context.Background()
	_, _ = a.Blobs.Get(ctx, "s/none.jpg")               // not_found
	_ = a.Blobs.Put(ctx, "../escape", []byte("x"))      // error
	_ = a.Blobs.Put(ctx, "s/1/face.jpg", []byte("jpg")) // ok
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	out := string(body)
	for _, want := range []string{
		"faceprint_http_requests_total{", // the API's own counters are still there
		`faceprint_http_request_duration_seconds_count{route="GET /healthz"} 3`,
		`faceprint_http_request_duration_seconds_bucket{route="GET /healthz",le="+Inf"} 3`,
		`faceprint_blob_operations_total{op="get",result="not_found"} 1`,
		`faceprint_blob_operations_total{op="put",result="error"} 1`,
		`faceprint_blob_operations_total{op="put",result="ok"} 1`,
		"# TYPE faceprint_db_errors_total counter",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("/metrics lacks %q:\n%s", want, out)
		}
	}
}
