package api

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/faceprint/faceprint/internal/auth"
)

// handleToken is POST/GET /oauth/2.0/token (client_credentials), params from
// the query or a form body, as the official SDKs send them (wire-reference §1).
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "invalid_request", "error_description": "method not allowed"})
		return
	}
	params := url.Values{}
	for k, v := range r.URL.Query() {
		params[k] = v
	}
	if r.Method == http.MethodPost {
		body, err := ReadBody(r, 64<<10)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": "malformed request body"})
			return
		}
		for _, k := range []string{"grant_type", "client_id", "client_secret"} {
			if params.Get(k) == "" {
				if v, ok, err := body.String(k); ok && err == nil {
					params.Set(k, v)
				}
			}
		}
	}
	if params.Get("grant_type") != "client_credentials" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type", "error_description": "The authorization grant type is not supported"})
		return
	}
	id, secret := params.Get("client_id"), params.Get("client_secret")
	if id == "" || secret == "" || len(id) > 128 || len(secret) > 128 {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client", "error_description": "unknown client id"})
		return
	}
	iss, err := s.Auth.IssueToken(r.Context(), id, secret)
	switch {
	case errors.Is(err, auth.ErrUnknownClient):
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client", "error_description": "unknown client id"})
	case errors.Is(err, auth.ErrBadSecret):
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client", "error_description": "Client authentication failed"})
	case err != nil:
		s.Log.Error("issue token", "log_id", LogID(r), "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "temporarily_unavailable", "error_description": "service temporarily unavailable"})
	default:
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, iss)
	}
}
