package app

import "net/http"

// mountH5 adds the end-user pages (wired once internal/h5 speaks the verify service's types).
func mountH5(mux *http.ServeMux, a *App, secret []byte) error {
	_, _, _ = mux, a, secret
	return nil
}
