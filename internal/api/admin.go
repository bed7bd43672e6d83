package api

import (
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/faceprint/faceprint/internal/admin"
	"github.com/faceprint/faceprint/internal/auth"
	"github.com/faceprint/faceprint/internal/plan"
	"github.com/faceprint/faceprint/internal/store"
)

// The admin API (/admin/api/...) mirrors the CLI's app, plan and registry
// commands for operators running several replicas on PostgreSQL. It is
// protected by a bearer token whose hash is configured at start.

func (s *Server) registerAdmin(mux *http.ServeMux) {
	if s.AdminTokenHash == "" || s.Admin == nil {
		return
	}
	h := func(pattern string, f func(w http.ResponseWriter, r *http.Request) (any, error)) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
			if subtle.ConstantTimeCompare([]byte(auth.Hash(tok)), []byte(s.AdminTokenHash)) != 1 {
				writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "admin token required"})
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, 16<<20)
			v, err := f(w, r)
			switch {
			case errors.Is(err, store.ErrNotFound):
				writeJSON(w, http.StatusNotFound, map[string]string{"error": err.Error()})
			case errors.Is(err, admin.ErrInvalid):
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			case err != nil:
				s.Log.Error("admin", "path", r.URL.Path, "err", err)
				writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal error"})
			default:
				writeJSON(w, http.StatusOK, v)
			}
		})
	}
	const actor = "admin-api"
	h("GET /admin/api/apps", func(w http.ResponseWriter, r *http.Request) (any, error) { return s.Admin.ListApps(r.Context()) })
	h("POST /admin/api/apps", func(w http.ResponseWriter, r *http.Request) (any, error) {
		var in struct {
			Name string `json:"name"`
			QPS  int    `json:"qps"`
		}
		if err := decodeJSON(r.Body, &in); err != nil {
			return nil, err
		}
		return s.Admin.CreateApp(r.Context(), actor, in.Name, in.QPS)
	})
	h("GET /admin/api/apps/{id}", func(w http.ResponseWriter, r *http.Request) (any, error) {
		return s.Admin.ShowApp(r.Context(), r.PathValue("id"))
	})
	h("POST /admin/api/apps/{id}/rotate-secret", func(w http.ResponseWriter, r *http.Request) (any, error) {
		return s.Admin.RotateSecret(r.Context(), actor, r.PathValue("id"))
	})
	h("GET /admin/api/apps/{id}/webhook-secret", func(w http.ResponseWriter, r *http.Request) (any, error) {
		return s.Admin.AppWebhookSecret(r.Context(), r.PathValue("id"))
	})
	h("GET /admin/api/apps/{id}/tencent-credentials", func(w http.ResponseWriter, r *http.Request) (any, error) {
		if len(s.TencentKey) == 0 {
			return nil, errors.New("tencent credentials unavailable: no signing key")
		}
		a, err := s.Store.GetApp(r.Context(), r.PathValue("id"))
		if err != nil {
			return nil, err
		}
		return TencentCredentials(s.TencentKey, a), nil
	})
	h("POST /admin/api/apps/{id}/disable", func(w http.ResponseWriter, r *http.Request) (any, error) {
		return s.Admin.SetDisabled(r.Context(), actor, r.PathValue("id"), true)
	})
	h("POST /admin/api/apps/{id}/enable", func(w http.ResponseWriter, r *http.Request) (any, error) {
		return s.Admin.SetDisabled(r.Context(), actor, r.PathValue("id"), false)
	})
	h("GET /admin/api/plans", func(w http.ResponseWriter, r *http.Request) (any, error) {
		return s.Admin.ListPlans(r.Context(), r.URL.Query().Get("app"))
	})
	h("POST /admin/api/plans", func(w http.ResponseWriter, r *http.Request) (any, error) {
		var in struct {
			AppID   string          `json:"app_id"`
			Name    string          `json:"name"`
			Options json.RawMessage `json:"options"`
		}
		if err := decodeJSON(r.Body, &in); err != nil {
			return nil, err
		}
		o := plan.Defaults()
		if len(in.Options) > 0 {
			var err error
			if o, err = admin.ParseOptions(in.Options, o); err != nil {
				return nil, err
			}
		}
		return s.Admin.CreatePlan(r.Context(), actor, in.AppID, in.Name, o)
	})
	h("GET /admin/api/plans/{id}", func(w http.ResponseWriter, r *http.Request) (any, error) {
		return s.Admin.ShowPlan(r.Context(), r.PathValue("id"))
	})
	h("POST /admin/api/plans/{id}", func(w http.ResponseWriter, r *http.Request) (any, error) {
		var in struct {
			Name     string          `json:"name"`
			Disabled *bool           `json:"disabled"`
			Options  json.RawMessage `json:"options"`
		}
		if err := decodeJSON(r.Body, &in); err != nil {
			return nil, err
		}
		return s.Admin.UpdatePlanFields(r.Context(), actor, r.PathValue("id"), in.Name, in.Disabled, in.Options)
	})
	h("GET /admin/api/registry", func(w http.ResponseWriter, r *http.Request) (any, error) {
		return s.Admin.ListRegistry(r.Context(), r.URL.Query().Get("app"))
	})
	h("POST /admin/api/registry", func(w http.ResponseWriter, r *http.Request) (any, error) {
		var in struct {
			AppID    string `json:"app_id"`
			Name     string `json:"name"`
			IDNumber string `json:"id_number"`
			Photo    string `json:"photo"` // base64
		}
		if err := decodeJSON(r.Body, &in); err != nil {
			return nil, err
		}
		photo, err := base64.StdEncoding.DecodeString(in.Photo)
		if err != nil {
			return nil, errors.Join(admin.ErrInvalid, errors.New("photo must be base64"))
		}
		return map[string]bool{"ok": true}, s.Admin.Enrol(r.Context(), actor, in.AppID, in.Name, in.IDNumber, photo)
	})
	// The ID number travels in the body, never in a URL that proxies log.
	h("POST /admin/api/registry/delete", func(w http.ResponseWriter, r *http.Request) (any, error) {
		var in struct {
			AppID    string `json:"app_id"`
			IDNumber string `json:"id_number"`
		}
		if err := decodeJSON(r.Body, &in); err != nil {
			return nil, err
		}
		return map[string]bool{"ok": true}, s.Admin.Unenrol(r.Context(), actor, in.AppID, in.IDNumber)
	})
	h("GET /admin/api/sessions", func(w http.ResponseWriter, r *http.Request) (any, error) {
		return s.Verify.Summaries(r.Context(), r.URL.Query().Get("app"), 100)
	})
	s.registerLifecycle(h, actor)
	s.registerDeletion(h, actor)
	h("GET /admin/api/audit", func(w http.ResponseWriter, r *http.Request) (any, error) { return s.Store.ListAudit(r.Context(), 200) })
	h("POST /admin/api/purge", func(w http.ResponseWriter, r *http.Request) (any, error) {
		n, err := s.Verify.PurgeExpired(r.Context(), 1000)
		return map[string]int{"purged": n}, err
	})
}

func decodeJSON(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errors.Join(admin.ErrInvalid, err)
	}
	return nil
}
