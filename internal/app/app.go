package app

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/faceprint/faceprint/internal/admin"
	"github.com/faceprint/faceprint/internal/api"
	"github.com/faceprint/faceprint/internal/api/alibaba"
	"github.com/faceprint/faceprint/internal/api/tencent"
	"github.com/faceprint/faceprint/internal/auth"
	"github.com/faceprint/faceprint/internal/authority"
	"github.com/faceprint/faceprint/internal/blob"
	"github.com/faceprint/faceprint/internal/config"
	"github.com/faceprint/faceprint/internal/console"
	"github.com/faceprint/faceprint/internal/metrics"
	"github.com/faceprint/faceprint/internal/ratelimit"
	"github.com/faceprint/faceprint/internal/receipt"
	"github.com/faceprint/faceprint/internal/seal"
	"github.com/faceprint/faceprint/internal/store"
	"github.com/faceprint/faceprint/internal/verify"
	"github.com/faceprint/faceprint/internal/webhook"
)

// App is a built faceprint server.
type App struct {
	Config config.Config
	Log    *slog.Logger
	Store  *store.SQL
	Blobs  blob.Store
	Auth   *auth.Service
	Verify *verify.Service
	Admin  *admin.Service
	API    *api.Server
	// Registry is the local reference-face registry (compare_source: registry).
	Registry *authority.Registry
	// Webhooks delivers plan callbacks from the outbox (Run starts its loop).
	Webhooks *webhook.Deliverer
	// WebhookSecret is the key callbacks of an app are signed with.
	WebhookSecret func(appID string) string
	// Limiter is this replica's share of the cluster-wide per-app QPS limits
	// (Run heartbeats it into the database's replicas table).
	Limiter *ratelimit.Limiter
	// Metrics are the latency histograms and blob/database error counters
	// appended to /metrics (metrics.go).
	Metrics *metrics.Registry

	engines    *Engines
	ownEngines bool // opened by New (closed by Close), not shared through Options.Engines
	handler    http.Handler
	clock      func() time.Time
}

// Options tune New for tests and embedding.
type Options struct {
	Clock     func() time.Time // default time.Now
	Log       *slog.Logger     // default JSON to stderr at the configured level
	NoEngines bool             // skip loading models (API-only tests)
	Engines   *Engines         // share already loaded engines (tests start many servers)
}

// New builds everything from cfg. Missing models are not an error: the
// affected endpoints answer "unavailable" and /readyz says why.
func New(ctx context.Context, cfg config.Config, o Options) (*App, error) {
	explicitURL := cfg.PublicURL // media URLs use it when set; else the request's Host
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Log == nil {
		o.Log = NewLogger(os.Stderr, cfg.LogLevel)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	st, err := store.Open(ctx, cfg.DB, cfg.SQLitePath())
	if err != nil {
		return nil, err
	}
	a := &App{Config: cfg, Log: o.Log, Store: st, clock: o.Clock, Metrics: metrics.NewRegistry(store.ErrorCounts)}
	fail := func(err error) (*App, error) { a.Close(); return nil, err }

	blobs, err := blob.Open(cfg.BlobURL, cfg.BlobDir)
	if err != nil {
		return fail(err)
	}
	if s3, ok := blobs.(*blob.S3); ok {
		// Fail the start, not the first verification, on a wrong bucket or credentials.
		if err := s3.Check(ctx); err != nil {
			return fail(err)
		}
	}
	// Instrument the storage itself, under the sealing layer: its timings are the store's.
	blobs = blob.Instrumented{Store: blobs, Obs: a.Metrics}
	a.Blobs = blobs
	sealer, err := NewSealer(cfg)
	if err != nil {
		return fail(err)
	}
	if sealer != nil {
		a.Blobs = seal.Blobs{Store: blobs, S: sealer}
	}
	signKey, err := secretFromConfigOrFile(cfg.SigningKey, filepath.Join(cfg.DataDir, "signing.key"))
	if err != nil {
		return fail(err)
	}
	adminTok, err := secretFromConfigOrFile(cfg.AdminToken, filepath.Join(cfg.DataDir, "admin.token"))
	if err != nil {
		return fail(err)
	}
	switch {
	case o.Engines != nil:
		a.engines = o.Engines
	case o.NoEngines:
		a.engines = &Engines{status: map[string]string{"face": "disabled", "idcard": "disabled", "liveness": "disabled"}}
	default:
		a.engines = OpenEngines(EngineConfig{ModelsDir: cfg.ModelsDir, Log: o.Log, Workers: cfg.InferWorkers, QueueWait: cfg.InferQueueWait})
		a.ownEngines = true
	}
	a.Auth = &auth.Service{Store: st, Clock: o.Clock, TokenKey: derive(signKey, "access-token")}
	a.Verify = &verify.Service{Store: st, Blobs: a.Blobs, Clock: o.Clock, Log: o.Log, Seal: sealer, AbandonAfter: cfg.AbandonAfter}
	a.engines.attach(a.Verify)
	refs, registry := newReferences(cfg, st, sealer, o.Clock)
	a.Verify.References, a.Registry = refs, registry
	a.Admin = &admin.Service{Store: st, Auth: a.Auth, Clock: o.Clock, OnPlanChange: a.Verify.ForgetPlan}
	a.Admin.Registry = registry
	a.Admin.WebhookSecret = func(appID string) string { return WebhookSecret(signKey, appID) }
	// Wall-clock time for rates and heartbeats, whatever o.Clock says.
	a.Limiter = ratelimit.New(st, nil, o.Log)
	a.API = &api.Server{
		Auth: a.Auth, Verify: a.Verify, Store: st, Blobs: a.Blobs, Signer: blob.Signer{Key: derive(signKey, "media")},
		Engines: apiEngines(a.engines.API, refs), Admin: a.Admin, Log: o.Log, Clock: o.Clock,
		MaxBodyBytes: cfg.MaxBodyBytes, DefaultQPS: cfg.DefaultQPS, MediaTTL: cfg.MediaTTL,
		AdminTokenHash: auth.Hash(adminTok), Ready: a.engines.Status, PublicURL: strings.TrimRight(explicitURL, "/"),
		Limiter: a.Limiter, TencentKey: tencent.KeyFromSigningKey(signKey), AlibabaKey: alibaba.KeyFromSigningKey(signKey),
	}
	a.WebhookSecret = func(appID string) string { return WebhookSecret(signKey, appID) }
	a.Webhooks = &webhook.Deliverer{Store: st, Clock: o.Clock, Log: o.Log, Secret: a.WebhookSecret,
		Client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	a.API.Webhooks = a.Webhooks
	// Deletion receipts and the no-PII-key ID hash use their own derived keys.
	a.Verify.Receipts, a.Verify.IDHashKey = receipt.NewSigner(signKey), derive(signKey, "id-hash")
	if err := api.SetLivenessSessionKey(derive(signKey, "faceliveness-session")); err != nil {
		return fail(err)
	}
	mux := http.NewServeMux()
	a.API.Register(mux)
	if err := mountH5(mux, a, []byte(signKey)); err != nil {
		return fail(err)
	}
	console.Register(mux)
	a.handler = a.API.Middleware(a.observeRequests(securityHeaders(mux)))
	return a, nil
}

// Handler is the whole HTTP surface.
func (a *App) Handler() http.Handler { return a.handler }

// Close releases the store and the engines (C memory).
func (a *App) Close() error {
	var errs []error
	if a.engines != nil && a.ownEngines {
		errs = append(errs, a.engines.Close())
	}
	if a.Store != nil {
		errs = append(errs, a.Store.Close())
	}
	return errors.Join(errs...)
}

// Run serves until ctx is done, then shuts down gracefully. ready is called with the bound address.
func (a *App) Run(ctx context.Context, ready func(addr string)) error {
	ln, err := net.Listen("tcp", a.Config.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler: a.handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 2 * time.Minute,
		WriteTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10,
		ErrorLog: slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
	}
	// The background loops stop with ctx; Run waits for them so Close never
	// pulls the store from under them.
	bg, stopBG := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); a.purgeLoop(bg) }()
	go func() { defer wg.Done(); a.Webhooks.Run(bg, 2*time.Second) }()
	go func() { defer wg.Done(); a.Limiter.Run(bg) }()
	defer func() { stopBG(); wg.Wait() }()
	errc := make(chan error, 1)
	go func() {
		if a.Config.TLSCert != "" {
			errc <- srv.ServeTLS(ln, a.Config.TLSCert, a.Config.TLSKey)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	if ready != nil {
		ready(ln.Addr().String())
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), a.Config.ShutdownGrace)
	defer cancel()
	a.Log.Info("shutting down", "grace", a.Config.ShutdownGrace.String())
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close() // the grace period ran out: cut the remaining connections
		return err
	}
	return nil
}

// purgeLoop deletes personal data after retention and expired short-lived rows.
func (a *App) purgeLoop(ctx context.Context) {
	t := time.NewTicker(a.Config.PurgeInterval)
	defer t.Stop()
	for {
		n, err := a.Verify.PurgeExpired(ctx, 500)
		if err != nil && ctx.Err() == nil {
			a.Log.Error("purge", "err", err)
		} else if n > 0 {
			a.Log.Info("purged sessions", "count", n)
		}
		now := a.clock()
		_, _ = a.Store.DeleteExpiredKV(ctx, now)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// secretFromConfigOrFile uses the configured value, else reads or creates a
// random one in file (created exclusively, so two processes sharing the data
// dir agree on it).
func secretFromConfigOrFile(v, file string) (string, error) {
	if v != "" {
		if len(v) < 16 {
			return "", fmt.Errorf("configured secrets must be at least 16 characters (%s)", filepath.Base(file))
		}
		return v, nil
	}
	for range 2 {
		if b, err := os.ReadFile(file); err == nil {
			s := strings.TrimSpace(string(b))
			if len(s) < 16 {
				return "", fmt.Errorf("%s holds fewer than 16 characters: fix or remove it", file)
			}
			return s, nil
		}
		buf := make([]byte, 24)
		if _, err := rand.Read(buf); err != nil {
			return "", err
		}
		f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) {
			continue // another process won the race: read its value
		}
		if err != nil {
			return "", fmt.Errorf("create %s: %w", file, err)
		}
		s := hex.EncodeToString(buf)
		_, werr := f.WriteString(s + "\n")
		if err := errors.Join(werr, f.Close()); err != nil {
			return "", fmt.Errorf("write %s: %w", file, err)
		}
		return s, nil
	}
	return "", fmt.Errorf("read %s: it appeared but cannot be read", file)
}

// ReadAdminToken returns the admin token of a data dir (for the CLI).
func ReadAdminToken(dataDir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, "admin.token"))
	return strings.TrimSpace(string(b)), err
}

// NewLogger makes the structured JSON logger.
func NewLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

// securityHeaders adds the headers every response carries.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}

// apiEngines adds reference resolution (person/verify) to the engines the API uses.
func apiEngines(e api.Engines, refs verify.References) api.Engines {
	e.References = refs
	return e
}

// derive gives each use of the signing key its own key.
func derive(key, purpose string) []byte {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

// WebhookSecret is an app's callback signing key, derived from the signing key
// (so every replica agrees and nothing more is stored).
func WebhookSecret(signKey, appID string) string {
	return "whsec_" + hex.EncodeToString(derive(signKey, "webhook\x00"+appID)[:24])
}

// ReadSigningKey returns the signing key a server on this config uses.
func ReadSigningKey(cfg config.Config) (string, error) {
	return secretFromConfigOrFile(cfg.SigningKey, filepath.Join(cfg.DataDir, "signing.key"))
}
