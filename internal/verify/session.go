package verify

import (
	"encoding/json"
	"time"
)

// State is a verify session's state (architecture §4).
type State string

const (
	StateCreated           State = "created"
	StateStarted           State = "started"
	StateOCR               State = "ocr" // card read, waiting for confirmation
	StateIdentityConfirmed State = "identity_confirmed"
	StateLiveness          State = "liveness" // challenge issued
	StateDeciding          State = "deciding"
	StatePassed            State = "passed"
	StateFailed            State = "failed"
	StateExpired           State = "expired"   // the token's 2 h validity ended before the session finished
	StateAbandoned         State = "abandoned" // started, then no action for the inactivity window (Service.AbandonAfter)
)

// Final reports whether no further step can change the session.
func (s State) Final() bool {
	return s == StatePassed || s == StateFailed || s == StateExpired || s == StateAbandoned
}

// Identity is a name + ID number pair, submitted by the business or confirmed by the user.
type Identity struct {
	Name     string `json:"name"`
	IDNumber string `json:"idcard_number"`
	CertType int    `json:"idcard_type"`
}

// CardStep is one read card side.
type CardStep struct {
	Fields      IDCardFields `json:"fields"`
	ImageKey    string       `json:"image_key"`
	PortraitKey string       `json:"portrait_key,omitempty"`
	ImageStatus string       `json:"image_status"`
	RiskType    string       `json:"risk_type"`
	NumberType  int          `json:"idcard_number_type"`
	Expired     bool         `json:"expired"`
	At          time.Time    `json:"at"`
	Model       string       `json:"model,omitempty"`
}

// Diagnostics is what the H5 pre-flight found on the user's device.
type Diagnostics struct {
	Reason       string    `json:"reason"` // ok, camera_denied, no_getusermedia, low_resolution, low_fps, webview, insecure_context, no_camera
	Camera       string    `json:"camera,omitempty"`
	GetUserMedia bool      `json:"getusermedia"`
	Width        int       `json:"width,omitempty"`
	Height       int       `json:"height,omitempty"`
	FPS          float64   `json:"fps,omitempty"`
	WebView      string    `json:"webview,omitempty"`
	UserAgent    string    `json:"user_agent,omitempty"`
	Fallback     string    `json:"fallback,omitempty"`
	At           time.Time `json:"at"`
}

// Attempt is one liveness + comparison attempt and everything it decided.
type Attempt struct {
	Order         int       `json:"order"`
	At            time.Time `json:"at"`
	Passed        bool      `json:"passed"`
	Code          int       `json:"code"`
	Message       string    `json:"message"`
	Reason        string    `json:"reason,omitempty"`
	Score         float64   `json:"score"`
	Threshold     float64   `json:"threshold"`
	LivenessScore float64   `json:"liveness_score"`
	Spoofing      float64   `json:"spoofing"`
	FaceKey       string    `json:"face_key,omitempty"`
	VideoKey      string    `json:"video_key,omitempty"`
	FrameKeys     []string  `json:"frame_keys,omitempty"`
	Checks        []Check   `json:"checks"`
	Millis        int64     `json:"millis"`
	Demoted       bool      `json:"is_demote"` // recorded video instead of live capture
}

// StepRecord is the audit trail of a session: every step, when, how long, the outcome.
type StepRecord struct {
	Step   string    `json:"step"`
	At     time.Time `json:"at"`
	Millis int64     `json:"millis"`
	Code   int       `json:"code"`
	Reason string    `json:"reason,omitempty"`
}

// Data is everything a session records, stored as JSON beside the indexed columns.
type Data struct {
	SuccessURL    string         `json:"success_url,omitempty"`
	FailedURL     string         `json:"failed_url,omitempty"`
	ConsentAt     time.Time      `json:"consent_at"`
	Consent       *ConsentRecord `json:"consent,omitempty"` // what the user accepted; kept after the purge (no personal data)
	Submitted     *Identity      `json:"submitted,omitempty"`
	Confirmed     *Identity      `json:"confirmed,omitempty"`
	Front         *CardStep      `json:"front,omitempty"`
	Back          *CardStep      `json:"back,omitempty"`
	MatchImageKey string         `json:"match_image_key,omitempty"`
	Diagnostics   []Diagnostics  `json:"diagnostics,omitempty"`
	Challenge     *Challenge     `json:"challenge,omitempty"`
	Challenges    int            `json:"challenges_issued,omitempty"` // bounded: no fishing for a challenge that fits a recording
	DecidingSince time.Time      `json:"deciding_since"`
	Attempts      []Attempt      `json:"attempts,omitempty"`
	FaceKey       string         `json:"face_key,omitempty"` // the collected face of the final attempt
	Reason        string         `json:"reason,omitempty"`   // final reason code when failed
	Steps         []StepRecord   `json:"steps,omitempty"`
	Deleted       bool           `json:"deleted,omitempty"` // personal data deleted on request (receipt issued), not by retention
}

func (d *Data) step(name string, at time.Time, took time.Duration, code int, reason string) {
	if len(d.Steps) >= 200 {
		return // bounded: a session cannot grow without limit
	}
	d.Steps = append(d.Steps, StepRecord{Step: name, At: at, Millis: took.Milliseconds(), Code: code, Reason: reason})
}

func decodeData(b []byte) (Data, error) {
	var d Data
	if len(b) == 0 {
		return d, nil
	}
	err := json.Unmarshal(b, &d)
	return d, err
}
