// Package verify is the verify session: the state machine from verify token
// to decision, its records (steps, checks, stats) and the retention purge.
// The API and H5 layers call it; it calls the engines through the interfaces
// in engines.go and persists through internal/store and internal/blob.
package verify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/faceprint/faceprint/internal/auth"
	"github.com/faceprint/faceprint/internal/blob"
	"github.com/faceprint/faceprint/internal/plan"
	"github.com/faceprint/faceprint/internal/receipt"
	"github.com/faceprint/faceprint/internal/seal"
	"github.com/faceprint/faceprint/internal/store"
)

// TokenTTL is how long a verify token can be used (2 h, as Baidu documents).
const TokenTTL = 2 * time.Hour

// Errors the API layer maps to Baidu codes (see api/rpc.go for the table).
var (
	ErrPlanNotFound    = errors.New("plan not found")
	ErrTokenInvalid    = errors.New("verify token invalid or expired")
	ErrNotFinished     = errors.New("verification not finished")
	ErrResultExpired   = errors.New("verification result expired")
	ErrVerifyFailed    = errors.New("verification did not pass")
	ErrWrongState      = errors.New("this step is not possible in the session's current state")
	ErrInvalidIdentity = errors.New("name or ID number invalid")
	ErrInvalidInput    = errors.New("invalid input")
	ErrBusy            = errors.New("session is being updated, try again")
	ErrEngine          = errors.New("engine unavailable")
	ErrNotReady        = errors.New("the business has not submitted the identity yet (idcard/submit)")
)

// TokenError carries the redirect a refused H5 entry may still use.
type TokenError struct {
	FailedURL string
	State     State
}

func (e *TokenError) Error() string { return ErrTokenInvalid.Error() }
func (e *TokenError) Unwrap() error { return ErrTokenInvalid }

// Service runs verify sessions.
type Service struct {
	Store store.Store
	Blobs blob.Store
	Clock func() time.Time
	Log   *slog.Logger

	Cards      CardReader  // nil: OCR unavailable
	Liveness   Liveness    // nil: liveness unavailable
	Matcher    FaceMatcher // nil: comparison unavailable
	References References  // nil: authorities unavailable

	// Seal encrypts session records at rest when a PII key is configured (nil: plain).
	Seal *seal.Sealer

	// AbandonAfter is the inactivity window after which a started session is
	// abandoned (0: DefaultAbandonAfter; negative: never, sessions only expire).
	AbandonAfter time.Duration

	// Receipts signs deletion receipts (nil: the deletion API is off).
	Receipts *receipt.Signer
	// IDHashKey keys IDHash when no PII key (Seal) is configured.
	IDHashKey []byte

	plans planCache
}

func (s *Service) now() time.Time { return s.Clock() }

// session is a loaded session with its plan version and decoded data.
type session struct {
	rec  *store.SessionRecord
	plan *plan.Plan
	data Data

	loaded State           // the state as read: save derives the transition's events from it
	events []store.Webhook // outbox rows save commits together with the record
}

func (ss *session) state() State { return State(ss.rec.State) }

func newID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b)
}

// Generate creates a verify session for a plan of app and returns its token.
func (s *Service) Generate(ctx context.Context, appID, planID, successURL, failedURL string) (string, error) {
	p, err := s.latestPlan(ctx, planID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (p.AppID != appID || p.Disabled)) {
		return "", ErrPlanNotFound
	}
	if err != nil {
		return "", err
	}
	now := s.now()
	d := Data{SuccessURL: successURL, FailedURL: failedURL}
	d.step("generate", now, 0, 0, "")
	raw, _ := json.Marshal(d)
	wrapped, sl, err := s.newDataKey()
	if err != nil {
		return "", err
	}
	raw = sl.Seal(raw)
	for range 3 {
		token := auth.RandomToken(24)
		rec := &store.SessionRecord{
			ID: newID(), TokenHash: auth.Hash(token), AppID: appID, PlanID: p.ID, PlanVersion: p.Version,
			State: string(StateCreated), CreatedAt: now, ExpiresAt: now.Add(TokenTTL),
			ResultUntil: now.Add(TokenTTL + time.Duration(p.Options.RetentionHours)*time.Hour), Data: raw, DataKey: wrapped,
		}
		err := s.Store.CreateSession(ctx, rec)
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return "", err
		}
		return token, nil
	}
	return "", errors.New("generate: could not draw a unique token")
}

// load reads the session of a token. appID "" skips the ownership check (H5).
func (s *Service) load(ctx context.Context, appID, token string) (*session, error) {
	if token == "" || len(token) > 128 {
		return nil, ErrTokenInvalid
	}
	rec, err := s.Store.GetSessionByToken(ctx, auth.Hash(token))
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrTokenInvalid
	}
	if err != nil {
		return nil, err
	}
	if appID != "" && rec.AppID != appID {
		return nil, ErrTokenInvalid // a token of another app looks like an unknown one
	}
	ss, err := s.open(ctx, rec)
	if err != nil {
		return nil, err
	}
	switch {
	case s.closeIfDue(ss):
		// Expired or abandoned: closed here too, not only by the background
		// loop, so the answer does not depend on when the loop last ran.
		_ = s.save(ctx, ss) // best effort: a concurrent writer may have won; the loop retries
	case ss.state() == StateDeciding && s.now().Sub(ss.data.DecidingSince) > abandonedAfter:
		// The request that was deciding died (crash, deploy): give the user the step back, uncounted.
		ss.rec.State = string(StateIdentityConfirmed)
		ss.data.DecidingSince = time.Time{}
		ss.data.step("decide", s.now(), 0, 0, "abandoned")
		_ = s.save(ctx, ss)
	}
	return ss, nil
}

// open decodes a stored record with its plan version.
func (s *Service) open(ctx context.Context, rec *store.SessionRecord) (*session, error) {
	p, err := s.planVersion(ctx, rec.PlanID, rec.PlanVersion)
	if err != nil {
		return nil, fmt.Errorf("plan of session: %w", err)
	}
	d, err := s.decodeRecord(rec)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errUnreadable, err)
	}
	return &session{rec: rec, plan: p, data: d, loaded: State(rec.State)}, nil
}

// errUnreadable marks a record whose data cannot be decoded (e.g. sealed
// with a key no longer configured).
var errUnreadable = errors.New("decode session")

func (s *Service) save(ctx context.Context, ss *session) error {
	s.transitionEvents(ss)
	if id := ss.identity(); id != nil && !ss.rec.Purged {
		ss.rec.IDHash = s.IDHash(id.IDNumber) // deletion by ID number finds the session
	}
	raw, err := json.Marshal(ss.data)
	if err != nil {
		return fmt.Errorf("encode session: %w", err)
	}
	sl, err := s.sealerFor(ss.rec)
	if err != nil {
		return err
	}
	ss.rec.Data = sl.Seal(raw)
	err = s.Store.UpdateSessionWithWebhooks(ctx, ss.rec, ss.events)
	if errors.Is(err, store.ErrConflict) {
		return ErrBusy
	}
	if err != nil {
		return err
	}
	// Committed: the events are queued; the state they describe is now the loaded one.
	ss.events, ss.loaded = nil, ss.state()
	return nil
}

// mutate loads a session, applies fn, and saves, retrying on concurrent updates.
func (s *Service) mutate(ctx context.Context, appID, token string, fn func(*session) error) (*session, error) {
	for range 5 {
		ss, err := s.load(ctx, appID, token)
		if err != nil {
			return nil, err
		}
		if err := fn(ss); err != nil {
			return ss, err
		}
		if !ss.state().Final() {
			ss.rec.ActiveAt = s.now() // a step by the user or the business: the session is alive
		}
		err = s.save(ctx, ss)
		if errors.Is(err, ErrBusy) {
			continue
		}
		return ss, err
	}
	return nil, ErrBusy
}

func (s *Service) stat(ctx context.Context, sessionID, api string, code int) {
	if err := s.Store.AddStat(ctx, sessionID, api, code); err != nil && s.Log != nil {
		s.Log.Error("record stat", "session", sessionID, "api", api, "err", err)
	}
}

// finish moves a session to a final state and starts its result window.
func (ss *session) finish(now time.Time, st State, reason string) {
	ss.rec.State = string(st)
	ss.rec.FinishedAt = now
	ss.rec.ResultUntil = now.Add(time.Duration(ss.plan.Options.RetentionHours) * time.Hour)
	ss.data.Reason = reason
	ss.data.Challenge = nil
}

// --- business API (idcard/submit, uploadMatchImage) ---

// SubmitIdentity records the identity for 指定用户身份核验 plans (idcard/submit).
func (s *Service) SubmitIdentity(ctx context.Context, appID, token, name, idNumber string, certType int) error {
	if err := ValidateIdentity(name, idNumber, certType); err != nil {
		return err
	}
	_, err := s.mutate(ctx, appID, token, func(ss *session) error {
		if ss.state().Final() {
			return ErrTokenInvalid
		}
		if ss.plan.Options.IdentityInput != plan.InputSubmitted || (ss.state() != StateCreated && ss.state() != StateStarted) {
			return ErrWrongState
		}
		ss.data.Submitted = &Identity{Name: name, IDNumber: idNumber, CertType: certType}
		ss.data.step("idcard_submit", s.now(), 0, 0, "")
		return nil
	})
	return err
}

// UploadMatchImage stores the reference image for compare_source=uploaded plans.
func (s *Service) UploadMatchImage(ctx context.Context, appID, token string, image []byte) error {
	ss, err := s.load(ctx, appID, token)
	if err != nil {
		return err
	}
	if ss.state().Final() {
		return ErrTokenInvalid
	}
	if ss.plan.Options.CompareSource != plan.CompareUploaded || ss.state() == StateDeciding {
		return ErrWrongState
	}
	// One reference per session: a new upload replaces the previous file.
	key := "s/" + ss.rec.ID + "/match.jpg"
	if err := s.Blobs.Put(ctx, key, image); err != nil {
		return err
	}
	_, err = s.mutate(ctx, appID, token, func(ss *session) error {
		if ss.state().Final() {
			return ErrTokenInvalid
		}
		ss.data.MatchImageKey = key
		ss.data.step("upload_match_image", s.now(), 0, 0, "")
		return nil
	})
	return err
}
