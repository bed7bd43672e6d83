// Package h5test has an in-memory stand-in for the verify service, so the H5
// pages and handlers can be tested (in Go and in Chromium) without models.
// The real service is tested end to end in internal/h5/e2e.
package h5test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/faceprint/faceprint/internal/plan"
	"github.com/faceprint/faceprint/internal/verify"
)

// Session is one fake verify session.
type Session struct {
	Plan        verify.PlanView
	Step        string // consent, card_front, card_back, confirm, liveness, done
	MaxAttempts int
	Attempts    int
	Passed      bool
	Reason      string
	SuccessURL  string
	FailedURL   string
	Name        string
	IDNumber    string
	ExpiresAt   time.Time
	Challenge   string
}

// Fake implements h5.Verify in memory.
type Fake struct {
	Clock func() time.Time

	// Card decides a card photo; nil accepts every photo as 张三/110101199003078515.
	Card func(side verify.CardSide, image []byte) verify.CardResult
	// Decide decides a capture; nil passes captures with at least 5 frames or a video.
	Decide func(c verify.Capture) (passed bool, reason string)
	// Public is the challenge shown to the page; nil gives two 1.5 s actions.
	Public json.RawMessage

	mu          sync.Mutex
	sessions    map[string]*Session
	Diagnostics []verify.Diagnostics
	Captures    []verify.Capture
	Cards       [][]byte
	Confirmed   [][2]string
	NoFlash     []bool // the no_flash choice of each challenge request
}

// New returns an empty fake.
func New(clock func() time.Time) *Fake {
	return &Fake{Clock: clock, sessions: map[string]*Session{}}
}

// Add creates a session for token. Zero fields get defaults.
func (f *Fake) Add(token string, s Session) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d := plan.Defaults()
	if s.Plan.IdentityInput == "" {
		s.Plan = verify.PlanView{Title: d.Title, ShowTitleBar: true, ConsentText: d.ConsentText, Language: "zh",
			IdentityInput: plan.InputOCR, CardSides: plan.SidesFront, LivenessMode: plan.LivenessAction, AllowVideoFallback: true}
	}
	if s.Step == "" {
		s.Step = "consent"
	}
	if s.MaxAttempts == 0 {
		s.MaxAttempts = 3
	}
	if s.ExpiresAt.IsZero() {
		s.ExpiresAt = f.Clock().Add(2 * time.Hour)
	}
	f.sessions[token] = &s
}

// Session returns a copy of the session of token.
func (f *Fake) Session(token string) (Session, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.sessions[token]
	if !ok {
		return Session{}, false
	}
	return *s, true
}

func (f *Fake) view(s *Session) verify.View {
	return verify.View{State: s.Step, Step: s.Step, Plan: s.Plan, AttemptsLeft: max(0, s.MaxAttempts-s.Attempts),
		Passed: s.Passed, Reason: s.Reason, SuccessURL: s.SuccessURL, FailedURL: s.FailedURL,
		Name: s.Name, IDNumber: s.IDNumber, ExpiresAt: s.ExpiresAt}
}

// get returns the live session or a token error (like the real service).
func (f *Fake) get(token string) (*Session, error) {
	s, ok := f.sessions[token]
	if !ok {
		return nil, verify.ErrTokenInvalid
	}
	if f.Clock().After(s.ExpiresAt) || s.Step == "done" {
		return s, &verify.TokenError{FailedURL: s.FailedURL}
	}
	return s, nil
}

func (f *Fake) Open(_ context.Context, token string) (verify.View, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.get(token)
	if s == nil {
		return verify.View{}, err
	}
	return f.view(s), err
}

func (f *Fake) Start(_ context.Context, token string) (verify.View, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.get(token)
	if err != nil {
		return verify.View{}, err
	}
	if s.Step == "consent" {
		switch s.Plan.IdentityInput {
		case plan.InputOCR:
			s.Step = "card_front"
		case plan.InputManual:
			s.Step = "confirm"
		default:
			s.Step = "liveness"
		}
	}
	return f.view(s), nil
}

func (f *Fake) RecordDiagnostics(_ context.Context, token string, d verify.Diagnostics) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.get(token); err != nil {
		return err
	}
	f.Diagnostics = append(f.Diagnostics, d)
	return nil
}

func (f *Fake) SubmitCard(_ context.Context, token string, side verify.CardSide, image []byte) (verify.CardResult, verify.View, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.get(token)
	if err != nil {
		return verify.CardResult{}, verify.View{}, err
	}
	if s.Step != "card_"+string(side) {
		return verify.CardResult{}, f.view(s), verify.ErrWrongState
	}
	f.Cards = append(f.Cards, image)
	res := verify.CardResult{Accepted: true, Name: "张三", IDNumber: "110101199003078515"}
	if f.Card != nil {
		res = f.Card(side, image)
	}
	if res.Accepted {
		if side == verify.SideFront {
			s.Name, s.IDNumber = res.Name, res.IDNumber
		}
		if side == verify.SideFront && s.Plan.CardSides == plan.SidesFrontBack {
			s.Step = "card_back"
		} else {
			s.Step = "confirm"
		}
	}
	return res, f.view(s), nil
}

func (f *Fake) ConfirmIdentity(_ context.Context, token, name, idNumber string) (verify.View, error) {
	if err := verify.ValidateIdentity(name, idNumber, 0); err != nil {
		return verify.View{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.get(token)
	if err != nil {
		return verify.View{}, err
	}
	if s.Step != "confirm" {
		return f.view(s), verify.ErrWrongState
	}
	f.Confirmed = append(f.Confirmed, [2]string{name, idNumber})
	s.Name, s.IDNumber, s.Step = name, idNumber, "liveness"
	return f.view(s), nil
}

// DefaultPublic is a short action challenge.
var DefaultPublic = json.RawMessage(`{"mode":"action","steps":[` +
	`{"kind":"action","action":"blink","prompt_zh":"请眨眨眼","prompt_en":"Please blink","ms":1500},` +
	`{"kind":"action","action":"mouth","prompt_zh":"请张张嘴","prompt_en":"Please open your mouth","ms":1500}],` +
	`"capture":{"fps":8,"max_frames":40,"max_ms":6000,"width":640,"height":480}}`)

func (f *Fake) IssueChallenge(_ context.Context, token string, noFlash bool) (verify.IssuedChallenge, verify.View, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.get(token)
	if err != nil {
		return verify.IssuedChallenge{}, verify.View{}, err
	}
	if s.Step != "liveness" {
		return verify.IssuedChallenge{}, f.view(s), verify.ErrWrongState
	}
	f.NoFlash = append(f.NoFlash, noFlash)
	s.Challenge = fmt.Sprintf("ch%d", s.Attempts+1)
	pub := f.Public
	if pub == nil {
		pub = DefaultPublic
	}
	return verify.IssuedChallenge{ID: s.Challenge, Public: pub}, f.view(s), nil
}

func (f *Fake) SubmitCapture(_ context.Context, token, challengeID string, c verify.Capture) (verify.Decision, verify.View, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.get(token)
	if err != nil {
		return verify.Decision{}, verify.View{}, err
	}
	if s.Step != "liveness" || s.Challenge != challengeID {
		return verify.Decision{}, f.view(s), verify.ErrWrongState
	}
	s.Challenge = ""
	f.Captures = append(f.Captures, c)
	passed, reason := len(c.Frames) >= 5 || len(c.Video) > 0, "liveness_failed"
	if f.Decide != nil {
		passed, reason = f.Decide(c)
	}
	s.Attempts++
	switch {
	case passed:
		s.Passed, s.Step, s.Reason = true, "done", ""
	case s.Attempts >= s.MaxAttempts:
		s.Step, s.Reason = "done", reason
	default:
		s.Reason = reason
	}
	d := verify.Decision{Passed: passed, Final: s.Step == "done", Reason: s.Reason, AttemptsLeft: max(0, s.MaxAttempts-s.Attempts)}
	return d, f.view(s), nil
}
