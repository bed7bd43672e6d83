// Package console serves the operator console: static pages that read the
// token-protected admin API (apps, plans, sessions with every check, audit).
package console

import (
	"io/fs"
	"net/http"

	"github.com/faceprint/faceprint/web"
)

// Register mounts the console at /console/.
func Register(mux *http.ServeMux) {
	sub, err := fs.Sub(web.Console, "console")
	if err != nil {
		panic(err) // the embedded folder is part of the binary
	}
	files := http.StripPrefix("/console/", http.FileServer(http.FS(sub)))
	mux.Handle("GET /console/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	}))
}
