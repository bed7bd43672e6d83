package app

import "github.com/faceprint/faceprint/internal/vision/face"

// openLiveness loads the liveness engine on top of the face engine.
func (e *Engines) openLiveness(f *face.Engine, cfg EngineConfig) {
	l, err := OpenLiveness(f, cfg)
	if err != nil {
		e.status["liveness"] = err.Error()
		cfg.Log.Warn("liveness engine unavailable", "err", err)
		return
	}
	e.closers = append(e.closers, l)
	e.status["liveness"] = "ok"
	e.API.Liveness = l
	e.Liveness = LivenessAdapter{Engine: l}
}
