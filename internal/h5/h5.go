// Package h5 serves the end-user verification pages (/face/print/) and the
// token-bound JSON API they call. It holds no domain logic: every decision is
// made by the verify service behind the Verify interface.
package h5

import (
	"crypto/rand"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/faceprint/faceprint/web"
)

// Config configures the H5 handlers.
type Config struct {
	Verify Verify
	Clock  func() time.Time
	Log    *slog.Logger

	// Secret signs the session cookies. Instances behind one load balancer
	// need the same secret; when nil a random one is made (single instance).
	Secret []byte

	// TrustProxy makes the rate limiter key on the first X-Forwarded-For
	// address instead of the TCP peer. Only set it behind a proxy you run.
	TrustProxy bool

	Limits Limits
}

// Limits bound what one client may send. Zero fields take the defaults.
type Limits struct {
	CardBytes     int64 // one ID-card photo (default 8 MiB)
	FrameBytes    int64 // one liveness frame (default 512 KiB)
	Frames        int   // frames per capture (default 150)
	VideoBytes    int64 // recorded-video fallback (default 24 MiB)
	VideoChunk    int64 // one video chunk (default 1 MiB)
	BufferedBytes int64 // all captures being uploaded, all sessions (default 768 MiB)

	TokenRate         float64 // requests per second per token (default 40, burst TokenBurst)
	TokenBurst        int     // default 300
	IPRate            float64 // requests per second per client address (default 200)
	IPBurst           int     // default 2000
	BadTokenPerMinute int     // unknown-token page opens per address per minute (default 30)
}

func (l *Limits) normalize() {
	def := func(p *int64, v int64) {
		if *p <= 0 {
			*p = v
		}
	}
	defI := func(p *int, v int) {
		if *p <= 0 {
			*p = v
		}
	}
	def(&l.CardBytes, 8<<20)
	def(&l.FrameBytes, 512<<10)
	defI(&l.Frames, 150)
	def(&l.VideoBytes, 24<<20)
	def(&l.VideoChunk, 1<<20)
	def(&l.BufferedBytes, 768<<20)
	if l.TokenRate <= 0 {
		l.TokenRate = 40
	}
	defI(&l.TokenBurst, 300)
	if l.IPRate <= 0 {
		l.IPRate = 200
	}
	defI(&l.IPBurst, 2000)
	defI(&l.BadTokenPerMinute, 30)
}

// Handler serves the H5 pages and API.
type Handler struct {
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
	secret  []byte
	page    *template.Template
	assets  *assets
	limits  *limiters
	uploads *uploads
	devices *devices
}

// New builds the handler. It panics only on a broken embedded asset tree,
// which is a build error.
func New(cfg Config) *Handler {
	cfg.Limits.normalize()
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	secret := cfg.Secret
	if len(secret) == 0 {
		secret = make([]byte, 32)
		rand.Read(secret) //nolint:errcheck // crypto/rand never fails on supported platforms
	}
	root, err := fs.Sub(web.H5, "h5")
	if err != nil {
		panic(err)
	}
	page := template.Must(template.ParseFS(root, "page.html"))
	a, err := loadAssets(root)
	if err != nil {
		panic(err)
	}
	return &Handler{
		cfg:     cfg,
		log:     cfg.Log.With("component", "h5"),
		now:     cfg.Clock,
		secret:  secret,
		page:    page,
		assets:  a,
		limits:  newLimiters(cfg.Limits),
		uploads: newUploads(cfg.Limits),
		devices: newDevices(),
	}
}

// Base is the path prefix of every H5 route.
const Base = "/face/print/"

// Register mounts the H5 routes on mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /face/print", func(w http.ResponseWriter, r *http.Request) {
		u := *r.URL
		u.Path = Base
		http.Redirect(w, r, u.RequestURI(), http.StatusMovedPermanently)
	})
	mux.HandleFunc("GET /face/print/{$}", h.entry)
	mux.HandleFunc("GET /face/print/static/{version}/{file}", h.static)
	// The app icon at stable addresses: browsers ask for /favicon.ico on their
	// own, and a 404 there is noise in every log and a blank tab icon.
	mux.HandleFunc("GET /favicon.ico", h.icon)
	mux.HandleFunc("GET /face/print/static/icon.svg", h.icon)

	mux.HandleFunc("GET /face/print/api/state", h.api(h.apiState))
	mux.HandleFunc("GET /face/print/api/result", h.api(h.apiState))
	mux.HandleFunc("POST /face/print/api/start", h.apiMove(h.apiStart))
	mux.HandleFunc("POST /face/print/api/diagnostics", h.api(h.apiDiagnostics))
	mux.HandleFunc("GET /face/print/api/handoff", h.api(h.apiHandoff))
	mux.HandleFunc("POST /face/print/api/ping", h.api(h.apiPing))
	mux.HandleFunc("POST /face/print/api/card", h.apiMove(h.apiCard))
	mux.HandleFunc("POST /face/print/api/confirm", h.apiMove(h.apiConfirm))
	mux.HandleFunc("POST /face/print/api/challenge", h.apiMove(h.apiChallenge))
	mux.HandleFunc("PUT /face/print/api/frame", h.apiMove(h.apiFrame))
	mux.HandleFunc("PUT /face/print/api/video", h.apiMove(h.apiVideo))
	mux.HandleFunc("POST /face/print/api/capture", h.apiMove(h.apiCapture))
}
