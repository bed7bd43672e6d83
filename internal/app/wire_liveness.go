package app

import "github.com/faceprint/faceprint/internal/vision/face"

// openLiveness loads the liveness engine on top of the face engine.
func (e *Engines) openLiveness(f *face.Engine, cfg EngineConfig) {
	e.status["liveness"] = "not wired yet"
}
