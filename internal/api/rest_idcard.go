package api

import "net/http"

// registerIDCardRoutes adds /rest/2.0/ocr/v1/idcard.
// Owner: ID-card work (issue 4).
func (s *Server) registerIDCardRoutes(mux *http.ServeMux) {}
