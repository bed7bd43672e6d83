// Package verifytest has fast fake engines for tests of the verify session
// and the API. They never replace the real-engine tests.
package verifytest

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/faceprint/faceprint/internal/plan"
	"github.com/faceprint/faceprint/internal/verify"
	"github.com/faceprint/faceprint/internal/vision"
)

// Card reads every image as the same fictional card.
type Card struct {
	Front, Back verify.IDCardFields
	Status      string // image_status to answer (default normal)
	Risk        string
}

// SpecimenFront is a fictional card front (the number passes GB 11643).
var SpecimenFront = verify.IDCardFields{Name: "柴小明", Gender: "女", Nation: "汉", Birthday: "19960216", Address: "山东省青岛市黄岛区长江路1号", IDCardNumber: "370211199602165828"}

// SpecimenBack is a fictional card back.
var SpecimenBack = verify.IDCardFields{IssueAuthority: "胶南市公安局", IssueTime: "20121103", ExpireTime: "20321103"}

// ReadCard implements verify.CardReader.
func (c *Card) ReadCard(_ context.Context, image []byte, side verify.CardSide) (verify.CardReading, error) {
	st := c.Status
	if st == "" {
		st = "normal"
	}
	r := verify.CardReading{ImageStatus: st, RiskType: c.Risk, NumberType: 1, ModelInfo: "fake"}
	if c.Risk == "" {
		r.RiskType = "normal"
	}
	if side == verify.SideFront {
		r.Fields = c.Front
		r.Portrait = image
	} else {
		r.Fields = c.Back
	}
	r.Raw, _ = json.Marshal(r.Fields)
	return r, nil
}

// Liveness passes or fails every capture.
type Liveness struct {
	Fail   bool
	Reason string
	Busy   bool // answer vision.ErrBusy (overload)
}

// NewChallenge implements verify.Liveness.
func (l *Liveness) NewChallenge(opts plan.LivenessOptions, now time.Time) (verify.Challenge, error) {
	pub, _ := json.Marshal(map[string]any{"mode": opts.Mode, "steps": []map[string]any{{"kind": "hold", "prompt_zh": "请保持不动", "prompt_en": "Hold still", "ms": 1000}},
		"capture": map[string]any{"fps": 10, "max_frames": 20, "max_ms": 3000, "width": 640, "height": 480}})
	return verify.Challenge{Mode: opts.Mode, Public: pub, Secret: json.RawMessage(`{}`), IssuedAt: now, ExpiresAt: now.Add(2 * time.Minute)}, nil
}

// Analyze implements verify.Liveness.
func (l *Liveness) Analyze(_ context.Context, _ verify.Challenge, _ plan.LivenessOptions, c verify.Capture) (verify.LivenessOutcome, error) {
	best := c.Video
	if len(c.Frames) > 0 {
		best = c.Frames[len(c.Frames)/2].Image
	}
	if l.Busy {
		return verify.LivenessOutcome{}, fmt.Errorf("analyse: %w", vision.ErrBusy)
	}
	if l.Fail {
		return verify.LivenessOutcome{ErrorCode: 216434, Reason: l.Reason, LivenessScore: 0.1, Spoofing: 0.9, BestFrame: best,
			Checks: []verify.Check{{Name: "motion", Score: 0.0001, Threshold: 0.01, Reason: l.Reason, Model: "fake"}}}, nil
	}
	// Up to 3 frames, best first, like the real analyser's BestFrames.
	frames := [][]byte{best}
	for i := 0; i < len(c.Frames) && len(frames) < 3; i++ {
		if i != len(c.Frames)/2 {
			frames = append(frames, c.Frames[i].Image)
		}
	}
	return verify.LivenessOutcome{Passed: true, LivenessScore: 0.9673, Spoofing: 0.01, BestFrame: best, BestFrames: frames,
		Checks: []verify.Check{{Name: "motion", Score: 0.05, Threshold: 0.01, Passed: true, Model: "fake"}}}, nil
}

// Matcher answers a fixed score. Frames counts the live frames of the last
// MatchFrames call (0 after Match). RefusedCode, when set, answers that
// quality code for the reference instead of a score.
type Matcher struct {
	Score       float64
	RefusedCode int
	Frames      atomic.Int64
}

// MatchFrames implements verify.FrameMatcher.
func (m *Matcher) MatchFrames(ctx context.Context, live [][]byte, reference []byte) (verify.MatchOutcome, error) {
	out, err := m.Match(ctx, nil, reference)
	m.Frames.Store(int64(len(live)))
	return out, err
}

// Match implements verify.FaceMatcher.
func (m *Matcher) Match(context.Context, []byte, []byte) (verify.MatchOutcome, error) {
	m.Frames.Store(0)
	if m.RefusedCode != 0 {
		return verify.MatchOutcome{ErrorCode: m.RefusedCode, Checks: []verify.Check{{Name: "reference_face_quality", Score: 0.05, Threshold: 0.1, Reason: "face too blurred to compare (blur 0.95, max 0.90)", Model: "fake"}}}, nil
	}
	return verify.MatchOutcome{Score: m.Score, Checks: []verify.Check{{Name: "face_quality", Score: 1, Threshold: 0.5, Passed: true, Model: "fake"}}}, nil
}
