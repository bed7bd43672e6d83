// Package api is the Baidu-compatible HTTP surface: the OAuth token endpoint,
// the faceprint solution RPCs, the component REST APIs, signed media and the
// admin API.
package api

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/faceprint/faceprint/internal/admin"
	"github.com/faceprint/faceprint/internal/api/alibaba"
	"github.com/faceprint/faceprint/internal/api/tencent"
	"github.com/faceprint/faceprint/internal/api/wire"
	"github.com/faceprint/faceprint/internal/auth"
	"github.com/faceprint/faceprint/internal/blob"
	"github.com/faceprint/faceprint/internal/livesession"
	"github.com/faceprint/faceprint/internal/ratelimit"
	"github.com/faceprint/faceprint/internal/store"
	"github.com/faceprint/faceprint/internal/verify"
	"github.com/faceprint/faceprint/internal/webhook"
)

type ctxKey int

const (
	ctxLogID ctxKey = iota
	ctxApp
	ctxCode // *int: the Baidu error code the response carried (for logs)
)

// setCode records the response's error code for the request log.
func setCode(r *http.Request, code int) {
	if p, ok := r.Context().Value(ctxCode).(*int); ok {
		*p = code
	}
}

// quietRoute is true for probes and static files, which are not logged one by one.
func quietRoute(pattern string) bool {
	switch pattern {
	case "GET /healthz", "GET /readyz", "GET /metrics":
		return true
	}
	return strings.Contains(pattern, "/static/") || strings.HasPrefix(pattern, "GET /console/")
}

// LogID returns the request's log id (set by the middleware; 0 outside it).
func LogID(r *http.Request) uint64 {
	v, _ := r.Context().Value(ctxLogID).(uint64)
	return v
}

// AppFrom returns the authenticated app of a REST/RPC request.
func AppFrom(ctx context.Context) *auth.App {
	a, _ := ctx.Value(ctxApp).(*auth.App)
	return a
}

// Server serves the API.
type Server struct {
	Auth    *auth.Service
	Verify  *verify.Service
	Store   store.Store
	Blobs   blob.Store
	Signer  blob.Signer
	Engines Engines
	Admin   *admin.Service
	// Webhooks re-sends deliveries and sends test events (admin API); nil disables those routes' actions.
	Webhooks *webhook.Deliverer
	Log      *slog.Logger
	Clock    func() time.Time

	// MaxBodyBytes bounds every request body (images arrive base64 in JSON).
	MaxBodyBytes int64
	// DefaultQPS is the per-app request limit when the app sets none.
	DefaultQPS int
	// MediaTTL is how long signed media URLs stay valid.
	MediaTTL time.Duration
	// AdminTokenHash protects /admin/api (auth.Hash of the token); empty disables the admin API.
	AdminTokenHash string
	// PublicURL, when set, is the base of media URLs (behind a TLS proxy); else the request's Host is used.
	PublicURL string
	// Ready reports engine availability for /readyz.
	Ready func() map[string]string
	// TencentKey derives the apps' Tencent Cloud SecretId/SecretKey
	// (tencent.KeyFromSigningKey); empty: the Tencent FaceID wire is off.
	TencentKey []byte
	// AlibabaKey derives the apps' Alibaba Cloud AccessKeyId/AccessKeySecret
	// (alibaba.KeyFromSigningKey); empty: the Alibaba 实人认证 wire is off.
	AlibabaKey []byte
	// LiveSessions issues and consumes faceliveness session codes; nil:
	// livesession.Default (keyed by SetLivenessSessionKey).
	LiveSessions *livesession.Service

	// Limiter enforces per-app QPS across the cluster (limiter.go), for
	// every wire; nil: a lone-replica limiter is made on first use.
	Limiter *ratelimit.Limiter
	limOnce sync.Once

	metrics metrics
}

func (s *Server) now() time.Time { return s.Clock() }

// NewLogID draws a random positive 53-bit id (safe as a JSON number in JS clients).
func NewLogID() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return binary.BigEndian.Uint64(b[:])&(1<<53-1) | 1<<50
}

// Handler returns the API's routes with the common middleware.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	s.Register(mux)
	return s.Middleware(mux)
}

// Register adds every API route to mux.
func (s *Server) Register(mux *http.ServeMux) {
	mux.HandleFunc("/oauth/2.0/token", s.handleToken)
	s.registerRPC(mux)
	s.registerFaceRoutes(mux)
	s.registerIDCardRoutes(mux)
	s.registerLivenessRoutes(mux)
	s.registerTencent(mux)
	// Unknown APIs and wrong methods answer in Baidu's JSON, not net/http's text.
	unsupported := func(w http.ResponseWriter, r *http.Request) { WriteRestError(w, r, CodeUnsupported, "") }
	mux.HandleFunc("/rpc/2.0/", unsupported)
	mux.HandleFunc("/rest/2.0/", unsupported)
	mux.HandleFunc("GET /media/{key...}", s.handleMedia)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, map[string]string{"status": "ok"}) })
	mux.HandleFunc("GET /readyz", s.handleReady)
	mux.HandleFunc("GET /metrics", s.handleMetrics)
	s.registerAdmin(mux)
}

// Middleware assigns a log id, recovers panics, and logs one line per request (no PII: path and status only).
func (s *Server) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := NewLogID()
		code := new(int)
		ctx := context.WithValue(context.WithValue(r.Context(), ctxLogID, id), ctxCode, code)
		r = r.WithContext(ctx)
		w.Header().Set("X-Log-Id", strconv.FormatUint(id, 10))
		sw := &statusWriter{ResponseWriter: w, status: 200}
		start := time.Now()
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.Log.Error("panic", "log_id", id, "route", r.Pattern, "panic", p)
				if !sw.wrote {
					sw.status = 500
					WriteRestError(sw, r, CodeInternal, "")
				}
			}
			took := time.Since(start)
			s.metrics.observe(r.Pattern, sw.status, took)
			if quietRoute(r.Pattern) && sw.status < 500 {
				return
			}
			// The route pattern, never the raw path or query: those may carry tokens.
			lvl := slog.LevelInfo
			switch {
			case sw.status >= 500 || *code == CodeInternal || *code == CodeServiceError:
				lvl = slog.LevelError
			case *code != 0:
				lvl = slog.LevelWarn
			}
			s.Log.Log(ctx, lvl, "request", "log_id", id, "route", r.Pattern, "status", sw.status, "code", *code, "ms", took.Milliseconds())
		}()
		next.ServeHTTP(sw, r)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(c int) {
	w.status, w.wrote = c, true
	w.ResponseWriter.WriteHeader(c)
}
func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// accessToken reads access_token from the query (first value, cut at a second '?') or the JSON body.
func accessToken(r *http.Request, body Body) string {
	if t := r.URL.Query().Get("access_token"); t != "" {
		return auth.CleanToken(t)
	}
	if t, ok, err := body.String("access_token"); ok && err == nil {
		return auth.CleanToken(t)
	}
	return ""
}

// authenticate checks the token and the app's QPS; on failure it writes the REST error and returns nil.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, body Body) *auth.App {
	tok := accessToken(r, body)
	if tok == "" && isBCESigned(r) {
		s.refuseBCESigned(w, r)
		return nil
	}
	app, err := s.Auth.Authenticate(r.Context(), tok)
	switch {
	case errors.Is(err, auth.ErrTokenMissing):
		WriteRestError(w, r, CodeInvalidToken, "")
		return nil
	case errors.Is(err, auth.ErrTokenExpired):
		WriteRestError(w, r, CodeTokenExpired, "")
		return nil
	case errors.Is(err, auth.ErrTokenInvalid):
		WriteRestError(w, r, CodeTokenInvalid, "")
		return nil
	case err != nil:
		s.Log.Error("authenticate", "log_id", LogID(r), "err", err)
		WriteRestError(w, r, CodeUnavailable, "")
		return nil
	}
	if !s.allow(app) {
		WriteRestError(w, r, CodeQPSLimit, "")
		return nil
	}
	return app
}

// isBCESigned reports a request signed with Baidu Cloud's AK/SK scheme
// (Authorization: bce-auth-v1/{ak}/{timestamp}/{expires}/{headers}/{signature}).
func isBCESigned(r *http.Request) bool {
	return strings.HasPrefix(strings.TrimSpace(r.Header.Get("Authorization")), "bce-auth-v1/")
}

// refuseBCESigned answers a BCE-signed request with 14 "IAM Certification
// failed", as Baidu answers a signature it cannot verify.
//
// The official SDKs sign with BCE only after the OAuth token fetch failed,
// in practice because the Secret Key is wrong (they read invalid_client as
// "perhaps an IAM key", wire-reference §5.1). This server keeps only a hash
// of the Secret Key, so it can never check a BCE signature: 14 tells the
// integrator "your credentials are refused", where 100 "Invalid parameter"
// sent them looking for a bad request field. The operator gets a hint with
// the app id when the signing key is a known API Key; the header itself
// (key, signature) is never logged.
func (s *Server) refuseBCESigned(w http.ResponseWriter, r *http.Request) {
	appID := ""
	parts := strings.SplitN(strings.TrimSpace(r.Header.Get("Authorization")), "/", 3)
	if len(parts) == 3 && parts[1] != "" && len(parts[1]) <= 128 && s.Auth != nil && s.Auth.Store != nil {
		if a, err := s.Auth.Store.GetAppByAPIKey(r.Context(), parts[1]); err == nil {
			appID = a.ID
		}
	}
	if s.Log != nil {
		s.Log.Warn("BCE-signed request refused (14 IAM Certification failed): AK/SK signing is not supported; "+
			"the client SDK signs this way after its OAuth token request was refused, most likely a wrong Secret Key",
			"log_id", LogID(r), "route", r.Pattern, "app_id", appID, "api_key_known", appID != "")
	}
	WriteRestError(w, r, CodeIAMFailed, "")
}

// RESTHandler handles an authenticated REST call with its sniffed body.
type RESTHandler func(w http.ResponseWriter, r *http.Request, app *auth.App, body Body)

// handleREST registers an authenticated /rest/2.0 endpoint: body limit and
// sniffing, access_token check (errors 100/110/111), per-app QPS limit (18).
func (s *Server) handleREST(mux *http.ServeMux, pattern string, h RESTHandler) {
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		body, err := ReadBody(r, s.MaxBodyBytes)
		if errors.Is(err, ErrBodyTooLarge) {
			WriteRestError(w, r, CodeImageSize, "request body too large")
			return
		}
		if err != nil {
			// Authenticate from the query alone so a bad body still reports token errors first.
			if s.authenticate(w, r, Body{}) == nil {
				return
			}
			WriteRestError(w, r, CodeInvalidParam, "invalid param: body is not JSON or a form")
			return
		}
		app := s.authenticate(w, r, body)
		if app == nil {
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), ctxApp, app))
		h(w, r, app, body)
	})
}

func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	out := map[string]any{"status": "ok"}
	status := 200
	if err := s.Store.Ping(r.Context()); err != nil {
		out["status"], out["store"] = "unavailable", "unreachable"
		status = 503
	} else {
		out["store"] = "ok"
	}
	if s.Ready != nil {
		out["engines"] = s.Ready()
	}
	writeJSON(w, status, out)
}

// MediaURL returns the signed URL path of a blob ("/media/<key>?e=&s=").
func (s *Server) MediaURL(r *http.Request, key string) string {
	base := s.PublicURL
	if base == "" {
		base = externalBase(r)
	}
	return base + "/media/" + key + "?" + s.Signer.Sign(key, s.now().Add(s.MediaTTL))
}

// externalBase is the scheme://host the client used.
func externalBase(r *http.Request) string { return wire.PublicBase("", r) }

func (s *Server) handleMedia(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	q := r.URL.Query()
	if !blob.ValidKey(key) || !s.Signer.Verify(key, q.Get("e"), q.Get("s"), s.now()) {
		http.Error(w, "forbidden: invalid or expired signature", http.StatusForbidden)
		return
	}
	b, err := s.Blobs.Get(r.Context(), key)
	if errors.Is(err, blob.ErrNotFound) {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	if err != nil {
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	}
	ct := http.DetectContentType(b)
	if strings.HasSuffix(key, ".video") && !strings.HasPrefix(ct, "video/") {
		ct = "video/mp4"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "private, max-age=300")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'none'")
	_, _ = w.Write(b)
}

// registerTencent mounts the Tencent Cloud FaceID and Alibaba Cloud
// 实人认证 wires at POST / (where both vendors' SDKs send every action),
// each when its key is configured; an Alibaba call is told apart by its
// x-acs-action header or Action parameter.
func (s *Server) registerTencent(mux *http.ServeMux) {
	var tc, ali http.Handler
	if len(s.TencentKey) > 0 {
		tc = &tencent.Handler{
			Verify: s.Verify, Store: s.Store, Blobs: s.Blobs, Keys: tencent.Keyring{Key: s.TencentKey},
			Clock: s.Clock, Log: s.Log, MaxBodyBytes: s.MaxBodyBytes, Allow: s.allow,
			H5Base: func(r *http.Request) string { return wire.PublicBase(s.PublicURL, r) },
		}
	}
	if len(s.AlibabaKey) > 0 {
		ali = &alibaba.Handler{
			Verify: s.Verify, Store: s.Store, Blobs: s.Blobs, Keys: alibaba.Keyring{Key: s.AlibabaKey},
			Clock: s.Clock, Log: s.Log, MaxBodyBytes: s.MaxBodyBytes, Allow: s.allow,
			H5Base:   func(r *http.Request) string { return wire.PublicBase(s.PublicURL, r) },
			MediaURL: s.MediaURL,
		}
	}
	if tc == nil && ali == nil {
		return
	}
	mux.HandleFunc("POST /{$}", func(w http.ResponseWriter, r *http.Request) {
		switch {
		case ali != nil && alibaba.Is(r):
			ali.ServeHTTP(w, r)
		case tc != nil:
			tc.ServeHTTP(w, r)
		default:
			http.NotFound(w, r)
		}
	})
}

// TencentCredentials is an app's Tencent Cloud SecretId/SecretKey (admin API and CLI).
func TencentCredentials(key []byte, a *store.App) map[string]string {
	id, sk := tencent.Keyring{Key: key}.Credentials(a.ID, a.Generation)
	return map[string]string{"app_id": a.ID, "secret_id": id, "secret_key": sk, "action_version": tencent.Version, "service": tencent.Service}
}
