package app

import (
	"net/http"

	"github.com/faceprint/faceprint/internal/h5"
)

// mountH5 adds the end-user pages. The cookie secret is the signing key, so
// replicas that share it accept each other's H5 sessions.
func mountH5(mux *http.ServeMux, a *App, secret []byte) error {
	h5.New(h5.Config{Verify: a.Verify, Clock: a.clock, Log: a.Log, Secret: secret}).Register(mux)
	return nil
}
