package app

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/faceprint/faceprint/internal/idcard"
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
// reference: MatchFrames with one frame.
func (m FaceMatcher) Match(ctx context.Context, live, reference []byte) (verify.MatchOutcome, error) {
	return m.MatchFrames(ctx, [][]byte{live}, reference)
}

// maxTemplateFrames bounds the live frames embedded per comparison (the
// liveness analyser hands over at most 5).
const maxTemplateFrames = 5

// CheckFaceTemplate records how many live frames made the template.
const CheckFaceTemplate = "face_template"

// MatchFrames compares a quality-weighted template of the live frames (best
// first) with the reference face. Frames that cannot be compared reliably
// (no face, too small, blurred, dark, turned away, eyes closed) are dropped;
// the template is the weighted mean of the rest (face.Template). On the
// East Asian set a template of several photos accepted 98.9 % of genuine
// pairs at 80 where single photos accepted 93.0 % (docs/calibration.md).
//
// Business failures (no face, undecodable image, a face that cannot be
// compared) are outcomes with an ErrorCode and a check saying why; the error
// is for the engine itself (busy → wraps vision.ErrBusy, context cancelled,
// internal failure).
func (m FaceMatcher) MatchFrames(ctx context.Context, live [][]byte, reference []byte) (verify.MatchOutcome, error) {
	return m.MatchFramesFrom(ctx, live, reference, "")
}

// SourceIDCard is the compare source (verify's Reference.Source) of an
// ID-card portrait reference.
const SourceIDCard = "idcard"

// isCardPortrait reports whether img has the size of the portrait the
// idcard reader cuts from a card (the portrait box of the rectified card,
// 270×330). verify.FaceMatcher does not say where the reference came from;
// the size is how the matcher recognises the reader's crop without a
// change to the verify flow. A photo of that exact size from another
// source is only median-filtered, which moves its scores by about a point
// (docs/calibration.md, "ID-card portraits").
func isCardPortrait(img *image.NRGBA) bool {
	pb := idcard.PortraitBox
	return img.Rect.Dx() == int(pb.X1-pb.X0) && img.Rect.Dy() == int(pb.Y1-pb.Y0)
}

// The verify flow finds these by type assertion: keep them implemented.
var (
	_ verify.FrameMatcher  = FaceMatcher{}
	_ verify.SourceMatcher = FaceMatcher{}
)

// MatchFramesFrom is MatchFrames for a caller that knows where the
// reference came from: source is the compare source ("idcard", "uploaded",
// "authority", …; verify's Reference.Source), or "" to let the matcher
// recognise the idcard reader's portrait by its size. An ID-card portrait
// (a small printed photo, photographed with the card) is median-filtered
// before detection (face.CardPortraitPreprocess): on generated cards with
// real photos as portraits it raised genuine scores without raising
// impostor ones. Other references are used as they are.
func (m FaceMatcher) MatchFramesFrom(ctx context.Context, live [][]byte, reference []byte, source string) (verify.MatchOutcome, error) {
	start := time.Now()
	if m.Engine == nil {
		return verify.MatchOutcome{}, errors.New("face engine not installed")
	}
	model := m.Engine.ModelVersion()
	level := m.Quality
	if level == face.LevelNone {
		level = face.LevelLow
	}
	if len(live) > maxTemplateFrames {
		live = live[:maxTemplateFrames]
	}
	var frames []*image.NRGBA
	var dropped []string
	for i, data := range live {
		img, err := vision.Decode(data, vision.DefaultLimits())
		if err != nil {
			dropped = append(dropped, fmt.Sprintf("frame %d: image check fail: %v", i+1, err))
			continue
		}
		frames = append(frames, img)
	}
	if len(frames) == 0 {
		reason := "image check fail: no live frame"
		if len(dropped) > 0 {
			reason = dropped[0]
		}
		return verify.MatchOutcome{ErrorCode: 222203, Checks: []verify.Check{{Name: CheckLiveFaceQuality, Reason: reason, Model: model}}}, nil
	}
	refImg, err := vision.Decode(reference, vision.DefaultLimits())
	if err != nil {
		return verify.MatchOutcome{ErrorCode: 222203, Checks: []verify.Check{{
			Name: CheckReferenceQuality, Reason: fmt.Sprintf("image check fail: %v", err), Model: model,
		}}}, nil
	}
	if source == SourceIDCard || source == "" && isCardPortrait(refImg) {
		refImg = face.CardPortraitPreprocess(refImg)
	}

	// Reference and frames are measured concurrently; the engine's gate
	// bounds how many run at once. Pose is measured so that a turned face is
	// refused with its reason rather than scored low.
	imgs := append([]*image.NRGBA{refImg}, frames...)
	res := make([]face.FaceEmbedding, len(imgs))
	errs := make([]error, len(imgs))
	var wg sync.WaitGroup
	for i := range imgs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i], errs[i] = m.Engine.LargestWith(ctx, imgs[i], face.DetectOptions{Quality: true, Pose: true})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil && !errors.Is(err, face.ErrNoFace) {
			return verify.MatchOutcome{}, fmt.Errorf("face match: %w", err)
		}
	}

	var out verify.MatchOutcome
	// The reference: one photo, nothing to fall back on.
	if errors.Is(errs[0], face.ErrNoFace) {
		out.ErrorCode = 222202
		out.Checks = append(out.Checks, verify.Check{Name: CheckReferenceQuality, Reason: "pic not has face", Model: model})
	} else {
		is := comparable(res[0].Face, level, false)
		out.Checks = append(out.Checks, qualityCheck(CheckReferenceQuality, res[0].Face, level, is, model))
		if !is.OK() {
			out.ErrorCode = is.Code
		}
	}

	// The live frames: keep those that can be compared, weighted by quality.
	var (
		embs      []face.Embedding
		weights   []float64
		firstIss  face.Issue
		bestFrame = -1
	)
	for i := 1; i < len(imgs); i++ {
		if errors.Is(errs[i], face.ErrNoFace) {
			dropped = append(dropped, fmt.Sprintf("frame %d: no face", i))
			if firstIss.OK() {
				firstIss = face.Issue{Code: 222202, Reason: "pic not has face"}
			}
			continue
		}
		if is := comparable(res[i].Face, level, true); !is.OK() {
			dropped = append(dropped, fmt.Sprintf("frame %d: %s", i, is.Reason))
			if firstIss.OK() {
				firstIss = is
			}
			continue
		}
		if bestFrame < 0 {
			bestFrame = i
		}
		embs = append(embs, res[i].Embedding)
		weights = append(weights, face.FrameWeight(res[i].Face))
	}
	liveCheck := verify.Check{Name: CheckLiveFaceQuality, Model: model, Passed: len(embs) > 0,
		Score: float64(len(embs)), Threshold: 1, Reason: strings.Join(dropped, "; ")}
	if bestFrame > 0 {
		q := res[bestFrame].Face.Quality
		liveCheck.Score, liveCheck.Threshold = 1-q.Blur, 1-maxBlur(level)
	}
	if len(embs) == 0 {
		liveCheck.Reason = firstIss.Reason + " (" + liveCheck.Reason + ")"
		out.Checks = append([]verify.Check{liveCheck}, out.Checks...)
		if out.ErrorCode == 0 {
			out.ErrorCode = firstIss.Code
		}
		return out, nil
	}
	out.Checks = append([]verify.Check{liveCheck}, out.Checks...)
	if out.ErrorCode != 0 {
		return out, nil
	}

	tpl := face.Template(embs, weights)
	cos := face.Cosine(tpl, res[0].Embedding)
	out.Score = face.Score(cos)
	cosAt80 := face.CosineForScore(80)
	millis := time.Since(start).Milliseconds()
	out.Checks = append(out.Checks,
		verify.Check{Name: CheckFaceSimilarity, Score: out.Score, Threshold: 80, Passed: out.Score >= 80, Model: model, Millis: millis},
		verify.Check{Name: CheckFaceCosine, Score: cos, Threshold: cosAt80, Passed: out.Score >= 80, Model: model},
	)
	if len(live) > 1 {
		// The single best frame's score, for the record: shows what the
		// template added.
		one := face.Score(face.Cosine(res[bestFrame].Embedding, res[0].Embedding))
		out.Checks = append(out.Checks, verify.Check{Name: CheckFaceTemplate, Score: float64(len(embs)), Threshold: 1, Passed: true, Model: model,
			Reason: fmt.Sprintf("template of %d of %d frames; best frame alone scores %.1f", len(embs), len(live), one)})
	}
	return out, nil
}

// comparable applies the comparability gates, then quality_control when
// the matcher was configured above LOW.
func comparable(f face.Face, level face.Level, live bool) face.Issue {
	if is := face.CheckComparable(f, face.DefaultCompareLimits, live); !is.OK() {
		return is
	}
	if level > face.LevelLow {
		return face.CheckQuality(f, level)
	}
	return face.Issue{}
}

// maxBlur is the blur limit comparable applies at level.
func maxBlur(level face.Level) float64 {
	b := face.DefaultCompareLimits.MaxBlur
	if level > face.LevelLow {
		b = math.Min(b, face.QualityLimitsFor(level).MaxBlur)
	}
	return b
}

func qualityCheck(name string, f face.Face, level face.Level, is face.Issue, model string) verify.Check {
	return verify.Check{
		Name: name, Score: 1 - f.Quality.Blur, Threshold: 1 - maxBlur(level),
		Passed: is.OK(), Reason: is.Reason, Model: model,
	}
}

func qualityCheckName(i int) string {
	if i == 0 {
		return CheckLiveFaceQuality
	}
	return CheckReferenceQuality
}
