package api

import "net/http"

// registerFaceRoutes adds /rest/2.0/face/v3/detect and /match.
// Owner: vision-engine work (issue 3).
func (s *Server) registerFaceRoutes(mux *http.ServeMux) {}
