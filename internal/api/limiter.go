package api

import (
	"github.com/faceprint/faceprint/internal/auth"
	"github.com/faceprint/faceprint/internal/ratelimit"
)

// allow applies the app's QPS limit. The limit is cluster-wide: each replica
// admits its share (limit / live replicas, internal/ratelimit), from memory.
func (s *Server) allow(a *auth.App) bool {
	q := a.QPS
	if q <= 0 {
		q = s.DefaultQPS
	}
	if q <= 0 {
		return true
	}
	s.limOnce.Do(func() {
		if s.Limiter == nil {
			// Wall-clock time, not s.Clock: a rate is about real seconds (tests freeze s.Clock).
			s.Limiter = ratelimit.New(nil, nil, s.Log)
		}
	})
	return s.Limiter.Allow(a.ID, q)
}
