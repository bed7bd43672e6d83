package app

import (
	"net/http"

	"github.com/faceprint/faceprint/internal/h5"
)

// mountH5 adds the end-user pages (/face/print/) on top of the verify service.
// secret signs the H5 session cookies, so every instance sharing the data
// directory (or the configured signing key) accepts the same browser sessions.
func mountH5(mux *http.ServeMux, a *App, secret []byte) error {
	h5.New(h5.Config{Verify: a.Verify, Clock: a.clock, Log: a.Log, Secret: append([]byte("h5:"), secret...)}).Register(mux)
	return nil
}
