package app

import (
	"net/http"
	"strings"
	"time"
)

// observeRequests records each request's latency under its route pattern and
// appends this package's series to the API's own /metrics output.
//
// It sits inside api.Server.Middleware, so the ServeMux below sets
// r.Pattern on the very request it sees.
func (a *App) observeRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		next.ServeHTTP(w, r)
		a.Metrics.ObserveRequest(r.Pattern, time.Since(start))
		// Only after the API's own exposition (it sets this type), never after an error page.
		if r.Pattern == "GET /metrics" && strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain") {
			a.Metrics.WriteText(w)
		}
	})
}
