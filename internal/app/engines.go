// Package app builds the whole server once: config → store → blobs → engines → services → HTTP.
package app

import (
	"errors"
	"io"
	"log/slog"
	"maps"
	"time"

	"github.com/faceprint/faceprint/internal/api"
	"github.com/faceprint/faceprint/internal/verify"
)

// EngineConfig says where the runtime and models are and how much inference may run at once.
type EngineConfig struct {
	ModelsDir string
	Log       *slog.Logger
	Workers   int           // concurrent inferences (0 = number of CPUs)
	QueueWait time.Duration // how long a request waits for a slot before "busy" (error 18)
}

// Engines are the loaded vision engines and their adapters to the verify session.
type Engines struct {
	API      api.Engines
	Cards    verify.CardReader
	Liveness verify.Liveness
	Matcher  verify.FaceMatcher

	closers []io.Closer
	status  map[string]string
}

// Status reports per engine "ok" or why it is unavailable (for /readyz).
func (e *Engines) Status() map[string]string { return maps.Clone(e.status) }

// attach plugs the engines into a verify service.
func (e *Engines) attach(v *verify.Service) {
	v.Cards, v.Liveness, v.Matcher = e.Cards, e.Liveness, e.Matcher
}

// Close releases every engine (C memory).
func (e *Engines) Close() error {
	var errs []error
	for i := len(e.closers) - 1; i >= 0; i-- {
		errs = append(errs, e.closers[i].Close())
	}
	e.closers = nil
	return errors.Join(errs...)
}
