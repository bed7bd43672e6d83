package api

import "net/http"

// registerLivenessRoutes adds /rest/2.0/face/v1/faceliveness/sessioncode|verify
// and /rest/2.0/face/v3/person/verify.
// Owner: liveness work (issue 5).
func (s *Server) registerLivenessRoutes(mux *http.ServeMux) {}
