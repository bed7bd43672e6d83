package app

import (
	"context"
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/faceprint/faceprint/internal/verify"
	"github.com/faceprint/faceprint/internal/vision"
	"github.com/faceprint/faceprint/internal/vision/face"
)

// OpenRuntime opens ONNX Runtime from cfg.ModelsDir/lib. The error says
// what is missing and how to install it; the server runs on without the
// vision engines.
func OpenRuntime(cfg EngineConfig) (*vision.Runtime, error) {
	lib := vision.LibPath(cfg.ModelsDir)
	if _, err := os.Stat(lib); err != nil {
		return nil, fmt.Errorf("ONNX Runtime not installed (%s missing; run scripts/fetch-models.sh): %w", lib, vision.ErrNotInstalled)
	}
	rt, err := vision.OpenRuntime(lib)
	if err != nil {
		return nil, fmt.Errorf("open ONNX Runtime: %w", err)
	}
	return rt, nil
}

// faceModelFiles are the files face.Open needs under ModelsDir/face.
var faceModelFiles = []string{"fr_detect.onnx", "fr_landmark.onnx", "fr_feature.onnx", "fr_liveness.onnx", "fr_eye.onnx", "fr_pose.onnx"}

// OpenFace loads the face engine. Workers and QueueWait bound concurrent
// inference (0 workers = number of CPUs).
func OpenFace(rt *vision.Runtime, cfg EngineConfig) (*face.Engine, error) {
	var missing []string
	for _, f := range faceModelFiles {
		if _, err := os.Stat(filepath.Join(cfg.ModelsDir, "face", f)); err != nil {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("face models not installed (%v missing under %s; run scripts/fetch-models.sh): %w",
			missing, filepath.Join(cfg.ModelsDir, "face"), vision.ErrNotInstalled)
	}
	workers := cfg.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	eng, err := face.Open(rt, cfg.ModelsDir, face.Options{Workers: workers, Queue: cfg.QueueWait})
	if err != nil {
		return nil, fmt.Errorf("open face engine: %w", err)
	}
	return eng, nil
}

// FaceMatcher adapts the face engine to verify.FaceMatcher.
type FaceMatcher struct {
	Engine *face.Engine
	// Quality is the quality_control level applied to both faces (LOW when zero:
	// the live face already passed the liveness capture, and ID card
	// portraits are small).
	Quality face.Level
}

// Face comparison check names stored with the session.
const (
	CheckFaceSimilarity   = "face_similarity"
	CheckFaceCosine       = "face_cosine"
	CheckLiveFaceQuality  = "live_face_quality"
	CheckReferenceQuality = "reference_face_quality"
)

// Match compares the largest face of live with the largest face of
// reference. Business failures (no face, undecodable image, poor quality)
// are outcomes with an ErrorCode; the error is for the engine itself
// (busy → wraps vision.ErrBusy, context cancelled, internal failure).
func (m FaceMatcher) Match(ctx context.Context, live, reference []byte) (verify.MatchOutcome, error) {
	start := time.Now()
	if m.Engine == nil {
		return verify.MatchOutcome{}, errors.New("face engine not installed")
	}
	level := m.Quality
	if level == face.LevelNone {
		level = face.LevelLow
	}
	var (
		imgs [2]*image.NRGBA
		res  [2]face.FaceEmbedding
		errs [2]error
	)
	for i, data := range [][]byte{live, reference} {
		img, err := vision.Decode(data, vision.DefaultLimits())
		if err != nil {
			return verify.MatchOutcome{ErrorCode: 222203, Checks: []verify.Check{{
				Name: qualityCheckName(i), Reason: fmt.Sprintf("image check fail: %v", err), Model: m.Engine.ModelVersion(),
			}}}, nil
		}
		imgs[i] = img
	}
	var wg sync.WaitGroup
	for i := range imgs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i], errs[i] = m.Engine.LargestWith(ctx, imgs[i], face.DetectOptions{Quality: true, Pose: level == face.LevelHigh})
		}()
	}
	wg.Wait()
	var out verify.MatchOutcome
	for i, err := range errs {
		if errors.Is(err, face.ErrNoFace) {
			out.ErrorCode = 222202
			out.Checks = append(out.Checks, verify.Check{Name: qualityCheckName(i), Reason: "pic not has face", Model: m.Engine.ModelVersion()})
			continue
		}
		if err != nil {
			return verify.MatchOutcome{}, fmt.Errorf("face match: %w", err)
		}
		is := face.CheckQuality(res[i].Face, level)
		q := res[i].Face.Quality
		out.Checks = append(out.Checks, verify.Check{
			Name: qualityCheckName(i), Score: 1 - q.Blur, Threshold: 1 - face.QualityLimitsFor(level).MaxBlur,
			Passed: is.OK(), Reason: is.Reason, Model: m.Engine.ModelVersion(),
		})
		if !is.OK() && out.ErrorCode == 0 {
			out.ErrorCode = is.Code
		}
	}
	if out.ErrorCode != 0 {
		return out, nil
	}
	cos := face.Cosine(res[0].Embedding, res[1].Embedding)
	out.Score = face.Score(cos)
	millis := time.Since(start).Milliseconds()
	out.Checks = append(out.Checks,
		verify.Check{Name: CheckFaceSimilarity, Score: out.Score, Threshold: 80, Passed: out.Score >= 80, Model: m.Engine.ModelVersion(), Millis: millis},
		verify.Check{Name: CheckFaceCosine, Score: cos, Threshold: cosineAt80, Passed: out.Score >= 80, Model: m.Engine.ModelVersion()},
	)
	return out, nil
}

// cosineAt80 is the raw cosine that maps to score 80 (FAR ≈ 1e-4).
var cosineAt80 = face.CosineForScore(80)

func qualityCheckName(i int) string {
	if i == 0 {
		return CheckLiveFaceQuality
	}
	return CheckReferenceQuality
}
