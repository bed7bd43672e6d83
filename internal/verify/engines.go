package verify

import (
	"context"
	"encoding/json"
	"time"

	"github.com/faceprint/faceprint/internal/plan"
)

// The verify session drives the vision engines through these interfaces, so
// it can be tested without models and so each engine stays in its own package.
// internal/app adapts the real engines (internal/idcard, internal/liveness,
// internal/vision/face, internal/authority) to them.

// Component API names, exactly as result/stat reports them.
const (
	APIIDCard   = "身份证识别"
	APILiveness = "h5活体视频分析"
	APIVerify   = "人脸实名认证-V3"
)

// CardSide is "front" (人像面) or "back" (国徽面).
type CardSide string

const (
	SideFront CardSide = "front"
	SideBack  CardSide = "back"
)

// IDCardFields are the fields result/detail returns as idcard_ocr_result.
// A field that was not read is empty, never guessed.
type IDCardFields struct {
	Name           string `json:"name,omitempty"`
	Gender         string `json:"gender,omitempty"`
	Nation         string `json:"nation,omitempty"`
	Birthday       string `json:"birthday,omitempty"`
	Address        string `json:"address,omitempty"`
	IDCardNumber   string `json:"id_card_number,omitempty"`
	IssueAuthority string `json:"issue_authority,omitempty"`
	IssueTime      string `json:"issue_time,omitempty"`
	ExpireTime     string `json:"expire_time,omitempty"`
}

// CardReading is what the card reader saw on one side.
type CardReading struct {
	ErrorCode   int          // 0, or the Baidu OCR error code (216633, 216201, …) counted in 身份证识别 stats
	ImageStatus string       // normal, reversed_side, non_idcard, blurred, over_exposure, over_dark, other_type_card, unknown
	RiskType    string       // normal, copy, temporary, screen, unknown
	NumberType  int          // idcard_number_type (-1…4)
	Expired     bool         // the card's expiry date has passed
	Fields      IDCardFields // only the side's own fields are set
	Portrait    []byte       // JPEG crop of the card portrait (front side), reference for compare_source=idcard
	Raw         json.RawMessage
	ModelInfo   string
}

// CardReader reads one side of a resident ID card photo.
type CardReader interface {
	ReadCard(ctx context.Context, image []byte, side CardSide) (CardReading, error)
}

// Challenge is a liveness challenge issued to one session. Public is what the
// H5 page shows (JSON); Secret stays on the server and is handed back to the
// analyser with the capture.
type Challenge struct {
	ID        string          `json:"id"`
	Mode      string          `json:"mode"`
	Public    json.RawMessage `json:"public"`
	Secret    json.RawMessage `json:"secret"`
	IssuedAt  time.Time       `json:"issued_at"`
	ExpiresAt time.Time       `json:"expires_at"`
}

// Frame is one captured frame with its capture time relative to the start.
type Frame struct {
	AtMillis int64
	Image    []byte // JPEG or PNG
}

// Capture is what the H5 page (or a REST caller) sent for a challenge:
// frames, or a recorded video.
type Capture struct {
	Frames    []Frame
	Video     []byte
	VideoType string // "video/mp4", "video/webm", …
}

// Check is one explained sub-decision. Every check is stored with the session
// so that results and the console can say why a decision was made.
type Check struct {
	Name      string  `json:"name"`
	Score     float64 `json:"score"`
	Threshold float64 `json:"threshold"`
	Passed    bool    `json:"passed"`
	Reason    string  `json:"reason,omitempty"` // reason code when failed
	Model     string  `json:"model,omitempty"`
	Millis    int64   `json:"millis,omitempty"`
}

// LivenessOutcome is the analyser's verdict on a capture.
type LivenessOutcome struct {
	Passed        bool
	ErrorCode     int // 0, or the code counted in h5活体视频分析 stats (216501 no face, 216507 many faces, 216434 failed, 223120…)
	Reason        string
	LivenessScore float64 // 0–1
	Spoofing      float64 // 0–1, higher = more likely an attack
	BestFrame     []byte  // JPEG: sharp, frontal, eyes open; stored as the session's collected face
	// BestFrames are up to 5 face crops (JPEG, best first, BestFrame among
	// them) from different moments of the capture, for a multi-frame
	// template against the reference; nil when the capture had no face.
	BestFrames [][]byte
	Checks     []Check
}

// Liveness issues challenges and analyses captures.
type Liveness interface {
	NewChallenge(opts plan.LivenessOptions, now time.Time) (Challenge, error)
	Analyze(ctx context.Context, ch Challenge, opts plan.LivenessOptions, c Capture) (LivenessOutcome, error)
}

// MatchOutcome is a 1:1 comparison of the collected face with a reference.
type MatchOutcome struct {
	ErrorCode int     // 0, or 222202 no face, 222203 image check fail, 223113… quality
	Score     float64 // 0–100 calibrated: 80 ≈ FAR 1e-4
	Checks    []Check
}

// FaceMatcher compares two face images.
type FaceMatcher interface {
	Match(ctx context.Context, live, reference []byte) (MatchOutcome, error)
}

// FrameMatcher is a FaceMatcher that can compare several live frames (best
// first, from different moments of the capture) with one reference, as a
// quality-weighted template: more genuine pairs pass at the same threshold
// than with the best frame alone (docs/calibration.md). The flow uses it
// when the matcher has it and the liveness outcome carries BestFrames; it
// is a separate interface so that matchers without it keep working.
type FrameMatcher interface {
	MatchFrames(ctx context.Context, live [][]byte, reference []byte) (MatchOutcome, error)
}

// SourceMatcher is a FrameMatcher that prepares the reference for what it
// is: source is the Reference's Source ("idcard" for the card portrait,
// which is de-screened before embedding; docs/calibration.md § ID-card
// portraits).
type SourceMatcher interface {
	MatchFramesFrom(ctx context.Context, live [][]byte, reference []byte, source string) (MatchOutcome, error)
}

// ReferenceRequest asks an authority or registry for the reference face of a person.
type ReferenceRequest struct {
	Source    string // plan.CompareAuthority or plan.CompareRegistry
	Authority string // the plan's authority name
	Name      string
	IDNumber  string
	Live      []byte // the collected face, for authorities that compare themselves
	AppID     string // the app whose registry is searched (compare_source=registry)
}

// Reference is the authority's answer: either a photo to compare against, or
// (for authorities that compare on their side) a score.
type Reference struct {
	ErrorCode int     // 0, 222351 name/number mismatch, 222350/222355 no photo, 222361 authority unavailable
	Photo     []byte  // reference photo, when the authority returns one
	Score     float64 // set when Scored
	Scored    bool    // the authority compared Live itself
	Source    string  // which authority answered
}

// References resolves reference faces from authorities and the local registry.
type References interface {
	Reference(ctx context.Context, req ReferenceRequest) (Reference, error)
}
