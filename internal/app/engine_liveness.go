package app

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"time"

	"github.com/faceprint/faceprint/internal/liveness"
	"github.com/faceprint/faceprint/internal/plan"
	"github.com/faceprint/faceprint/internal/verify"
	"github.com/faceprint/faceprint/internal/vision/face"
)

// OpenLiveness builds the liveness engine on the face engine (which it does
// not own: close the face engine after this one). Recorded videos need
// ffmpeg; without it frame captures still work and videos answer error 2.
func OpenLiveness(f *face.Engine, cfg EngineConfig) (*liveness.Engine, error) {
	if f == nil {
		return nil, errors.New("liveness needs the face engine")
	}
	if _, err := exec.LookPath("ffmpeg"); err != nil && cfg.Log != nil {
		cfg.Log.Warn("ffmpeg not found: recorded liveness videos cannot be analysed (apt-get install ffmpeg)")
	}
	workers := cfg.Workers
	if workers <= 0 {
		workers = 2
	}
	eng, err := liveness.New(f, liveness.Options{Workers: workers})
	if err != nil {
		return nil, fmt.Errorf("open liveness engine: %w", err)
	}
	return eng, nil
}

// LivenessAdapter makes the liveness engine a verify.Liveness.
type LivenessAdapter struct{ Engine *liveness.Engine }

var _ verify.Liveness = LivenessAdapter{}

// NewChallenge issues a challenge for the plan's liveness options.
func (a LivenessAdapter) NewChallenge(opts plan.LivenessOptions, now time.Time) (verify.Challenge, error) {
	return a.Engine.NewChallenge(opts, now)
}

// Analyze judges a capture against its challenge.
func (a LivenessAdapter) Analyze(ctx context.Context, ch verify.Challenge, opts plan.LivenessOptions, c verify.Capture) (verify.LivenessOutcome, error) {
	return a.Engine.Analyze(ctx, ch, opts, c)
}
