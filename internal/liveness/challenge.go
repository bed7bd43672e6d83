package liveness

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"slices"
	"time"

	"github.com/faceprint/faceprint/internal/plan"
	"github.com/faceprint/faceprint/internal/verify"
)

// Step kinds of the public challenge (the H5 page renders them).
const (
	KindAction = "action"
	KindFlash  = "flash"
	KindHold   = "hold"
	KindFar    = "far"
	KindNear   = "near"
)

// Step timings. Actions get 3 s (blinks last 40–500 ms, a head turn about
// 1 s, the rest is reaction time); flashes 600 ms, so at 10 fps each colour
// is seen on about five frames after the screen and camera latency.
const (
	leadInMillis   = 1500
	actionMillis   = 3000
	flashMillis    = 600
	holdMillis     = 3000
	nearFarMillis  = 2500
	minFlashes     = 4
	maxFlashes     = 6
	captureFPS     = 10
	captureMaxMS   = 15000
	captureMaxFrms = 80
	// challengeGrace is how long after the capture window a challenge can
	// still be answered (upload over a slow mobile network).
	challengeGrace = 2 * time.Minute
)

// Step is one public step of a challenge.
type Step struct {
	Kind     string `json:"kind"`
	Action   string `json:"action,omitempty"`
	Color    string `json:"color,omitempty"`
	PromptZH string `json:"prompt_zh,omitempty"`
	PromptEN string `json:"prompt_en,omitempty"`
	Millis   int    `json:"ms"`
}

// CaptureSpec tells the page how to capture.
type CaptureSpec struct {
	FPS       int `json:"fps"`
	MaxFrames int `json:"max_frames"`
	MaxMillis int `json:"max_ms"`
	Width     int `json:"width"`
	Height    int `json:"height"`
}

// Public is the part of a challenge the H5 page sees (verify.Challenge.Public).
type Public struct {
	Mode    string      `json:"mode"`
	Steps   []Step      `json:"steps"`
	Capture CaptureSpec `json:"capture"`
}

// Secret is what the server keeps to judge the answer (verify.Challenge.Secret).
// It repeats the steps so a tampered Public cannot change the judgement.
type Secret struct {
	Nonce   string   `json:"nonce"`
	Mode    string   `json:"mode"`
	Actions []string `json:"actions,omitempty"` // expected order (action mode)
	Colors  []string `json:"colors,omitempty"`  // flashed colours in order (flash mode)
	Steps   []Step   `json:"steps"`
}

// Window is the time span of a step relative to the capture start.
type Window struct{ From, To int64 }

// Windows returns each step's [from, to) span in milliseconds.
func (s Secret) Windows() []Window {
	w := make([]Window, len(s.Steps))
	var t int64
	for i, st := range s.Steps {
		w[i] = Window{t, t + int64(st.Millis)}
		t += int64(st.Millis)
	}
	return w
}

// TotalMillis is the length of all steps.
func (s Secret) TotalMillis() int64 {
	var t int64
	for _, st := range s.Steps {
		t += int64(st.Millis)
	}
	return t
}

var prompts = map[string][2]string{
	"blink":   {"请眨眨眼", "Please blink"},
	"mouth":   {"请张张嘴", "Please open your mouth"},
	"left":    {"请缓慢向左转头", "Please turn your head slowly to the left"},
	"right":   {"请缓慢向右转头", "Please turn your head slowly to the right"},
	"up":      {"请缓慢抬头", "Please raise your head slowly"},
	"down":    {"请缓慢低头", "Please lower your head slowly"},
	KindHold:  {"请保持不动", "Hold still"},
	KindFar:   {"请离远一点", "Please move a little farther away"},
	KindNear:  {"请靠近一点", "Please move closer"},
	"lead-in": {"请正对屏幕", "Please face the screen"},
	// silent mode judges natural change of the face (face_change): looking
	// at the screen and blinking as usual is what it needs, not stillness
	"silent": {"请正对屏幕，自然眨眼", "Look at the screen and blink as usual"},
}

// flashPalette holds saturated colours whose reflections differ in chroma;
// consecutive flashes always differ.
var flashPalette = []string{"#FF0000", "#00FF00", "#0000FF", "#FFFF00", "#FF00FF", "#00FFFF"}

func step(kind, key string, ms int) Step {
	p := prompts[key]
	return Step{Kind: kind, PromptZH: p[0], PromptEN: p[1], Millis: ms}
}

// ErrBadOptions is returned for liveness options a challenge cannot be made from.
var ErrBadOptions = errors.New("liveness: invalid options")

// NewChallenge issues a random challenge for the plan's liveness options.
// rnd is crypto/rand.Reader in production; tests may pass a deterministic reader.
func NewChallenge(opts plan.LivenessOptions, now time.Time, rnd io.Reader) (verify.Challenge, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	id, err := randHex(rnd, 16)
	if err != nil {
		return verify.Challenge{}, err
	}
	nonce, err := randHex(rnd, 16)
	if err != nil {
		return verify.Challenge{}, err
	}
	sec := Secret{Nonce: nonce, Mode: opts.Mode}
	switch opts.Mode {
	case plan.LivenessAction:
		pool := slices.Clone(opts.Actions)
		if len(pool) == 0 {
			pool = []string{"blink", "mouth", "left", "right"}
		}
		for _, a := range pool {
			if !slices.Contains(plan.AllActions, a) {
				return verify.Challenge{}, fmt.Errorf("%w: unknown action %q", ErrBadOptions, a)
			}
		}
		n := opts.ActionCount
		if n <= 0 {
			n = min(2, len(pool))
		}
		if n > len(pool) {
			return verify.Challenge{}, fmt.Errorf("%w: action_count %d > %d actions", ErrBadOptions, n, len(pool))
		}
		if err := shuffle(rnd, pool); err != nil {
			return verify.Challenge{}, err
		}
		sec.Actions = pool[:n]
		sec.Steps = append(sec.Steps, step(KindHold, "lead-in", leadInMillis))
		for _, a := range sec.Actions {
			s := step(KindAction, a, actionMillis)
			s.Action = a
			sec.Steps = append(sec.Steps, s)
		}
	case plan.LivenessFlash:
		k, err := randInt(rnd, maxFlashes-minFlashes+1)
		if err != nil {
			return verify.Challenge{}, err
		}
		sec.Steps = append(sec.Steps, step(KindHold, KindHold, leadInMillis))
		prev := -1
		for range minFlashes + k {
			c, err := randInt(rnd, len(flashPalette)-1)
			if err != nil {
				return verify.Challenge{}, err
			}
			if prev >= 0 && c >= prev { // skip the previous colour
				c++
			}
			prev = c
			sec.Colors = append(sec.Colors, flashPalette[c])
			sec.Steps = append(sec.Steps, Step{Kind: KindFlash, Color: flashPalette[c], Millis: flashMillis})
		}
		sec.Steps = append(sec.Steps, step(KindHold, KindHold, 1000))
	case plan.LivenessSilent:
		sec.Steps = []Step{step(KindHold, "silent", holdMillis)}
	case plan.LivenessNearFar:
		sec.Steps = []Step{step(KindFar, KindFar, nearFarMillis), step(KindNear, KindNear, nearFarMillis)}
	default:
		return verify.Challenge{}, fmt.Errorf("%w: mode %q has no challenge", ErrBadOptions, opts.Mode)
	}
	pub := Public{Mode: opts.Mode, Steps: sec.Steps, Capture: CaptureSpec{
		FPS: captureFPS, MaxFrames: captureMaxFrms, MaxMillis: captureMaxMS, Width: 640, Height: 480,
	}}
	pj, err := json.Marshal(pub)
	if err != nil {
		return verify.Challenge{}, fmt.Errorf("liveness: marshal public: %w", err)
	}
	sj, err := json.Marshal(sec)
	if err != nil {
		return verify.Challenge{}, fmt.Errorf("liveness: marshal secret: %w", err)
	}
	return verify.Challenge{
		ID: id, Mode: opts.Mode, Public: pj, Secret: sj,
		IssuedAt:  now,
		ExpiresAt: now.Add(time.Duration(captureMaxMS)*time.Millisecond + challengeGrace),
	}, nil
}

// ParseSecret decodes a challenge's secret.
func ParseSecret(ch verify.Challenge) (Secret, error) {
	var s Secret
	if err := json.Unmarshal(ch.Secret, &s); err != nil {
		return Secret{}, fmt.Errorf("liveness: challenge secret: %w", err)
	}
	if s.Mode == "" || len(s.Steps) == 0 {
		return Secret{}, errors.New("liveness: challenge secret is empty")
	}
	return s, nil
}

// ActionSecret builds the secret of an order-only action challenge (no
// timing), used for REST video uploads answering a session code.
func ActionSecret(nonce string, actions []string) Secret {
	s := Secret{Nonce: nonce, Mode: plan.LivenessAction, Actions: actions}
	for _, a := range actions {
		st := step(KindAction, a, actionMillis)
		st.Action = a
		s.Steps = append(s.Steps, st)
	}
	return s
}

func randHex(r io.Reader, n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("liveness: random: %w", err)
	}
	return hex.EncodeToString(b), nil
}

func randInt(r io.Reader, n int) (int, error) {
	if n <= 1 {
		return 0, nil
	}
	v, err := rand.Int(r, big.NewInt(int64(n)))
	if err != nil {
		return 0, fmt.Errorf("liveness: random: %w", err)
	}
	return int(v.Int64()), nil
}

// shuffle is a Fisher–Yates shuffle driven by r.
func shuffle(r io.Reader, s []string) error {
	for i := len(s) - 1; i > 0; i-- {
		j, err := randInt(r, i+1)
		if err != nil {
			return err
		}
		s[i], s[j] = s[j], s[i]
	}
	return nil
}

// FlashSecret builds the secret of a flash challenge with these colours and
// the standard timing (lead-in hold, 600 ms per colour, closing hold).
func FlashSecret(nonce string, colors []string) Secret {
	s := Secret{Nonce: nonce, Mode: plan.LivenessFlash, Colors: colors}
	s.Steps = append(s.Steps, step(KindHold, KindHold, leadInMillis))
	for _, c := range colors {
		s.Steps = append(s.Steps, Step{Kind: KindFlash, Color: c, Millis: flashMillis})
	}
	s.Steps = append(s.Steps, step(KindHold, KindHold, 1000))
	return s
}

// SilentSecret and NearFarSecret build order-only secrets for recorded videos.
func SilentSecret(nonce string) Secret {
	return Secret{Nonce: nonce, Mode: plan.LivenessSilent, Steps: []Step{step(KindHold, "silent", holdMillis)}}
}

// NearFarSecret: far, then near.
func NearFarSecret(nonce string) Secret {
	return Secret{Nonce: nonce, Mode: plan.LivenessNearFar, Steps: []Step{step(KindFar, KindFar, nearFarMillis), step(KindNear, KindNear, nearFarMillis)}}
}
