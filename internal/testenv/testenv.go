// Package testenv starts real faceprint servers for tests: a SQLite file or a
// fresh PostgreSQL database, the real engines when the models are installed,
// and an httptest listener on loopback.
package testenv

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faceprint/faceprint/internal/app"
	"github.com/faceprint/faceprint/internal/config"
	"github.com/faceprint/faceprint/internal/plan"
	"github.com/faceprint/faceprint/internal/testenv/pgtest"
)

// Options choose the backend and engines.
type Options struct {
	Postgres  bool             // a fresh database on FACEPRINT_TEST_PG_URL instead of SQLite
	NoEngines bool             // API-only: skip the models
	Engines   bool             // require the real engines (skip/fail when not installed)
	Clock     func() time.Time // injected clock (default time.Now)
	Config    func(*config.Config)
}

// Env is a running server with one app and one plan.
type Env struct {
	T         testing.TB
	App       *app.App
	Server    *httptest.Server
	URL       string
	AppID     string
	APIKey    string
	SecretKey string
	PlanID    string
	DataDir   string
	DBURL     string

	tokOnce sync.Once
	token   string
}

// InCI reports whether tests run under CI, where missing set-up is a failure, not a skip.
func InCI() bool { return os.Getenv("CI") != "" }

// SkipOrFail skips the test outside CI and fails it in CI.
func SkipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	pgtest.SkipOrFail(t, format, args...)
}

// RepoRoot finds the module root (the folder with go.mod).
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// ModelsDir is FACEPRINT_MODELS_DIR or the repo's models/.
func ModelsDir() string {
	if d := os.Getenv("FACEPRINT_MODELS_DIR"); d != "" {
		return d
	}
	return filepath.Join(RepoRoot(), "models")
}

var (
	enginesOnce sync.Once
	engines     *app.Engines
)

// SharedEngines loads the real engines once per test process.
func SharedEngines() *app.Engines {
	enginesOnce.Do(func() {
		engines = app.OpenEngines(app.EngineConfig{ModelsDir: ModelsDir(), Log: app.NewLogger(io.Discard, "error")})
	})
	return engines
}

// PostgresURL returns a fresh database on the test PostgreSQL server (see pgtest).
func PostgresURL(t testing.TB) string { return pgtest.URL(t) }

// Start runs a server for the test with an app and a default plan
// (manual identity input, no comparison, silent liveness unless engines are off).
func Start(t testing.TB, o Options) *Env {
	t.Helper()
	cfg := config.Defaults()
	cfg.DataDir = t.TempDir()
	cfg.Addr = "127.0.0.1:0"
	cfg.LogLevel = "error"
	cfg.ModelsDir = ModelsDir()
	if o.Postgres {
		cfg.DB = PostgresURL(t)
	}
	if o.Config != nil {
		o.Config(&cfg)
	}
	ao := app.Options{Clock: o.Clock, Log: app.NewLogger(io.Discard, "error"), NoEngines: o.NoEngines}
	if !o.NoEngines {
		ao.Engines = SharedEngines()
		if o.Engines {
			for name, st := range ao.Engines.Status() {
				if st != "ok" {
					SkipOrFail(t, "engine %s: %s (run scripts/fetch-models.sh)", name, st)
				}
			}
		}
	}
	a, err := app.New(context.Background(), cfg, ao)
	if err != nil {
		t.Fatalf("app.New: %v", err)
	}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(func() { srv.Close(); a.Close() })
	e := &Env{T: t, App: a, Server: srv, URL: srv.URL, DataDir: cfg.DataDir, DBURL: cfg.DB}
	n, err := a.Admin.CreateApp(context.Background(), "test", "testenv", 0)
	if err != nil {
		t.Fatal(err)
	}
	e.AppID, e.APIKey, e.SecretKey = n.AppID, n.APIKey, n.SecretKey
	opts := plan.Defaults()
	opts.IdentityInput, opts.CompareSource, opts.Liveness.Mode = plan.InputManual, plan.CompareNone, plan.LivenessSilent
	e.PlanID = e.CreatePlan(opts)
	return e
}

// CreatePlan creates a plan for the env's app and returns its id.
func (e *Env) CreatePlan(o plan.Options) string {
	e.T.Helper()
	p, err := e.App.Admin.CreatePlan(context.Background(), "test", e.AppID, "plan", o)
	if err != nil {
		e.T.Fatalf("create plan: %v", err)
	}
	return p.ID
}

// AccessToken fetches (once) an OAuth token the way the SDKs do.
func (e *Env) AccessToken() string {
	e.T.Helper()
	e.tokOnce.Do(func() {
		resp, err := http.PostForm(e.URL+"/oauth/2.0/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {e.APIKey}, "client_secret": {e.SecretKey}})
		if err != nil {
			e.T.Fatal(err)
		}
		defer resp.Body.Close()
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
			e.T.Fatalf("token: %v", err)
		}
		e.token = tok.AccessToken
	})
	return e.token
}

// Call POSTs body (marshalled unless already []byte/string) to path?access_token=… and decodes the JSON answer.
func (e *Env) Call(path string, body any) map[string]any {
	e.T.Helper()
	raw := e.CallRaw(path, body)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		e.T.Fatalf("%s: not JSON: %s", path, raw)
	}
	return m
}

// CallRaw is Call returning the raw body.
func (e *Env) CallRaw(path string, body any) []byte {
	e.T.Helper()
	var b []byte
	switch v := body.(type) {
	case []byte:
		b = v
	case string:
		b = []byte(v)
	default:
		var err error
		if b, err = json.Marshal(v); err != nil {
			e.T.Fatal(err)
		}
	}
	u := e.URL + path
	if !strings.Contains(path, "access_token=") {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		u += sep + "access_token=" + url.QueryEscape(e.AccessToken())
	}
	resp, err := http.Post(u, "application/json", bytes.NewReader(b))
	if err != nil {
		e.T.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		e.T.Fatal(err)
	}
	return out
}

// Generate creates a verify token for plan (default: the env's plan).
func (e *Env) Generate(planID string) string {
	e.T.Helper()
	if planID == "" {
		planID = e.PlanID
	}
	m := e.Call("/rpc/2.0/brain/solution/faceprint/verifyToken/generate", map[string]any{"plan_id": planID})
	res, _ := m["result"].(map[string]any)
	tok, _ := res["verify_token"].(string)
	if tok == "" {
		e.T.Fatalf("generate: %v", m)
	}
	return tok
}

// H5URL is the entry link for a verify token.
func (e *Env) H5URL(token string) string {
	return fmt.Sprintf("%s/face/print/?token=%s", e.URL, url.QueryEscape(token))
}
