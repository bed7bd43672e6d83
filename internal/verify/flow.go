package verify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/faceprint/faceprint/internal/plan"
	"github.com/faceprint/faceprint/internal/vision"
)

// PlanView is what the H5 pages may know about the plan.
type PlanView struct {
	Title              string   `json:"title"`
	ShowTitleBar       bool     `json:"show_title_bar"`
	ConsentText        string   `json:"consent_text"`
	Language           string   `json:"language"`
	IdentityInput      string   `json:"identity_input"`
	CardSides          string   `json:"card_sides"`
	LivenessMode       string   `json:"liveness_mode"`
	AllowNoFlash       bool     `json:"allow_no_flash"`
	AllowVideoFallback bool     `json:"allow_video_fallback"`
	FrameAncestors     []string `json:"frame_ancestors"`
	CompareSource      string   `json:"compare_source"`
}

// View is the session as the H5 pages see it.
type View struct {
	State        string    `json:"state"`
	Step         string    `json:"step"` // next screen: consent, card_front, card_back, confirm, liveness, done
	Plan         PlanView  `json:"plan"`
	AttemptsLeft int       `json:"attempts_left"`
	Passed       bool      `json:"passed"`
	Reason       string    `json:"reason,omitempty"`
	SuccessURL   string    `json:"success_url,omitempty"`
	FailedURL    string    `json:"failed_url,omitempty"`
	Name         string    `json:"name,omitempty"`
	IDNumber     string    `json:"id_number,omitempty"`
	ExpiresAt    time.Time `json:"expires_at"`

	options plan.Options
}

// Options returns the plan options of the session (redirect allow-list etc.).
func (v View) Options() plan.Options { return v.options }

// CardResult is what the H5 page learns about a card photo.
type CardResult struct {
	Accepted bool   `json:"accepted"`
	Reason   string `json:"reason,omitempty"` // blurred, reversed_side, non_idcard, over_exposure, over_dark, other_type_card, risk_copy, risk_screen, expired, unreadable
	Name     string `json:"name,omitempty"`
	IDNumber string `json:"id_number,omitempty"`
}

// IssuedChallenge is a challenge's public part.
type IssuedChallenge struct {
	ID     string          `json:"id"`
	Public json.RawMessage `json:"public"`
}

// Decision is the outcome of a capture.
type Decision struct {
	Passed       bool   `json:"passed"`
	Final        bool   `json:"final"`
	Reason       string `json:"reason,omitempty"`
	AttemptsLeft int    `json:"attempts_left"`
}

func (ss *session) view() View {
	o := ss.plan.Options
	v := View{
		State: ss.rec.State, Plan: PlanView{
			Title: o.Title, ShowTitleBar: o.ShowTitleBar, ConsentText: o.ConsentText, Language: o.Language,
			IdentityInput: o.IdentityInput, CardSides: o.CardSides, LivenessMode: o.Liveness.Mode,
			AllowNoFlash: o.Liveness.AllowNoFlash, AllowVideoFallback: o.AllowVideoFallback,
			FrameAncestors: o.FrameAncestors, CompareSource: o.CompareSource,
		},
		AttemptsLeft: ss.attemptsLeft(), Passed: ss.state() == StatePassed, Reason: ss.data.Reason,
		SuccessURL: ss.data.SuccessURL, FailedURL: ss.data.FailedURL, ExpiresAt: ss.rec.ExpiresAt, options: o,
	}
	if id := ss.identity(); id != nil {
		v.Name, v.IDNumber = id.Name, id.IDNumber
	} else if ss.data.Front != nil {
		v.Name, v.IDNumber = ss.data.Front.Fields.Name, ss.data.Front.Fields.IDCardNumber
	}
	v.Step = ss.nextStep()
	return v
}

func (ss *session) attemptsLeft() int {
	if ss.state().Final() {
		return 0
	}
	return max(0, ss.plan.Options.MaxAttempts-len(ss.data.Attempts))
}

// identity is the identity the decision uses: submitted by the business, or confirmed by the user.
func (ss *session) identity() *Identity {
	if ss.data.Submitted != nil {
		return ss.data.Submitted
	}
	return ss.data.Confirmed
}

func (ss *session) nextStep() string {
	o := ss.plan.Options
	switch st := ss.state(); {
	case st.Final():
		return "done"
	case st == StateCreated:
		return "consent"
	case st == StateStarted && o.IdentityInput == plan.InputOCR && ss.data.Front == nil:
		return "card_front"
	case st == StateStarted && o.IdentityInput == plan.InputOCR && o.CardSides == plan.SidesFrontBack && ss.data.Back == nil:
		return "card_back"
	case st == StateStarted && o.IdentityInput == plan.InputSubmitted:
		return "liveness"
	case st == StateStarted, st == StateOCR:
		return "confirm"
	default:
		return "liveness"
	}
}

// Open returns the session of an H5 entry. Used, expired and unknown tokens
// give a *TokenError (with the failed URL when one is known).
func (s *Service) Open(ctx context.Context, token string) (View, error) {
	ss, err := s.load(ctx, "", token)
	if err != nil {
		return View{}, err
	}
	v := ss.view()
	if st := ss.state(); st == StateExpired || st == StateAbandoned || st == StatePassed || (st == StateFailed && ss.attemptsLeft() == 0) {
		return v, &TokenError{FailedURL: ss.data.FailedURL, State: st}
	}
	return v, nil
}

// View returns the session's current view without any check beyond the token.
func (s *Service) View(ctx context.Context, token string) (View, error) {
	ss, err := s.load(ctx, "", token)
	if err != nil {
		return View{}, err
	}
	return ss.view(), nil
}

func notFinal(ss *session) error {
	if ss.state().Final() {
		return &TokenError{FailedURL: ss.data.FailedURL, State: ss.state()}
	}
	return nil
}

// Start records consent and moves to the first step (without the page's
// details: see StartWithConsent).
func (s *Service) Start(ctx context.Context, token string) (View, error) {
	return s.StartWithConsent(ctx, token, Consent{})
}

// StartWithConsent records the consent the page reports and moves to the first step.
func (s *Service) StartWithConsent(ctx context.Context, token string, c Consent) (View, error) {
	ss, err := s.mutate(ctx, "", token, func(ss *session) error {
		if err := notFinal(ss); err != nil {
			return err
		}
		if ss.state() == StateCreated {
			if ss.plan.Options.IdentityInput == plan.InputSubmitted && ss.data.Submitted == nil {
				return ErrNotReady
			}
			ss.rec.State = string(StateStarted)
			ss.data.ConsentAt = s.now()
			ss.data.Consent = consentRecord(ss, c, s.now())
			ss.data.step("consent", s.now(), 0, 0, "")
			if ss.plan.Options.IdentityInput == plan.InputSubmitted {
				ss.rec.State = string(StateIdentityConfirmed)
			}
		}
		return nil
	})
	if err != nil {
		return View{}, err
	}
	return ss.view(), nil
}

// RecordDiagnostics stores the H5 pre-flight report (bounded to 20 per session).
func (s *Service) RecordDiagnostics(ctx context.Context, token string, d Diagnostics) error {
	d.At = s.now()
	if len(d.UserAgent) > 300 {
		d.UserAgent = d.UserAgent[:300]
	}
	_, err := s.mutate(ctx, "", token, func(ss *session) error {
		if err := notFinal(ss); err != nil {
			return err
		}
		if len(ss.data.Diagnostics) >= 20 {
			return nil
		}
		ss.data.Diagnostics = append(ss.data.Diagnostics, d)
		ss.data.step("diagnostics", d.At, 0, 0, d.Reason)
		return nil
	})
	return err
}

// SubmitCard reads one side of the ID card (身份证识别) and, when accepted, records it.
func (s *Service) SubmitCard(ctx context.Context, token string, side CardSide, image []byte) (CardResult, View, error) {
	ss, err := s.load(ctx, "", token)
	if err != nil {
		return CardResult{}, View{}, err
	}
	if err := notFinal(ss); err != nil {
		return CardResult{}, View{}, err
	}
	o := ss.plan.Options
	if o.IdentityInput != plan.InputOCR || (side != SideFront && side != SideBack) || (side == SideBack && o.CardSides != plan.SidesFrontBack) ||
		(ss.state() != StateStarted && ss.state() != StateOCR) {
		return CardResult{}, ss.view(), ErrWrongState
	}
	if s.Cards == nil {
		return CardResult{}, ss.view(), fmt.Errorf("%w: ID card reader (OCR models not installed)", ErrEngine)
	}
	t0 := s.now()
	reading, err := s.Cards.ReadCard(ctx, image, side)
	took := s.now().Sub(t0)
	if errors.Is(err, vision.ErrBusy) {
		s.stat(ctx, ss.rec.ID, APIIDCard, 18)
		return CardResult{}, ss.view(), errors.Join(ErrBusy, err)
	}
	if err != nil {
		s.stat(ctx, ss.rec.ID, APIIDCard, 282000)
		return CardResult{}, ss.view(), fmt.Errorf("read card: %w", err)
	}
	s.stat(ctx, ss.rec.ID, APIIDCard, reading.ErrorCode)
	res := CardResult{Accepted: true}
	switch {
	case reading.ErrorCode != 0:
		res = CardResult{Reason: "unreadable"}
	case reading.ImageStatus != "" && reading.ImageStatus != "normal":
		res = CardResult{Reason: reading.ImageStatus}
	case o.CardRiskCheck && (reading.RiskType == "copy" || reading.RiskType == "screen" || reading.RiskType == "temporary"):
		res = CardResult{Reason: "risk_" + reading.RiskType}
	case reading.Expired && !o.AllowExpiredCard:
		res = CardResult{Reason: "expired"}
	case side == SideFront && (reading.Fields.Name == "" || reading.Fields.IDCardNumber == ""):
		res = CardResult{Reason: "unreadable"}
	}
	if !res.Accepted {
		ss2, err := s.mutate(ctx, "", token, func(ss *session) error {
			ss.data.step("card_"+string(side), t0, took, reading.ErrorCode, res.Reason)
			s.stepFailed(ss, "card_"+string(side), res.Reason)
			return nil
		})
		if err != nil {
			return res, View{}, err
		}
		return res, ss2.view(), nil
	}
	step := &CardStep{Fields: reading.Fields, ImageStatus: reading.ImageStatus, RiskType: reading.RiskType,
		NumberType: reading.NumberType, Expired: reading.Expired, At: t0, Model: reading.ModelInfo}
	step.ImageKey = "s/" + ss.rec.ID + "/card-" + string(side) + "-" + newID()[:8] + ".jpg"
	if err := s.Blobs.Put(ctx, step.ImageKey, image); err != nil {
		return CardResult{}, View{}, err
	}
	if len(reading.Portrait) > 0 {
		step.PortraitKey = "s/" + ss.rec.ID + "/portrait-" + newID()[:8] + ".jpg"
		if err := s.Blobs.Put(ctx, step.PortraitKey, reading.Portrait); err != nil {
			return CardResult{}, View{}, err
		}
	}
	ss, err = s.mutate(ctx, "", token, func(ss *session) error {
		if ss.state() != StateStarted && ss.state() != StateOCR {
			return ErrWrongState
		}
		if side == SideFront {
			ss.data.Front = step
		} else {
			ss.data.Back = step
		}
		ss.data.step("card_"+string(side), t0, took, 0, "")
		if ss.data.Front != nil && (o.CardSides != plan.SidesFrontBack || ss.data.Back != nil) {
			ss.rec.State = string(StateOCR)
		}
		return nil
	})
	if err != nil {
		return CardResult{}, View{}, err
	}
	if side == SideFront {
		res.Name, res.IDNumber = reading.Fields.Name, reading.Fields.IDCardNumber
	}
	return res, ss.view(), nil
}

// ConfirmIdentity records the name and number the user confirmed (idcard_confirm).
func (s *Service) ConfirmIdentity(ctx context.Context, token, name, idNumber string) (View, error) {
	if err := ValidateIdentity(name, idNumber, 0); err != nil {
		return View{}, err
	}
	ss, err := s.mutate(ctx, "", token, func(ss *session) error {
		if err := notFinal(ss); err != nil {
			return err
		}
		o := ss.plan.Options
		switch {
		case o.IdentityInput == plan.InputSubmitted:
			return ErrWrongState
		case o.IdentityInput == plan.InputOCR && ss.state() != StateOCR && ss.state() != StateIdentityConfirmed:
			return ErrWrongState
		case o.IdentityInput == plan.InputManual && ss.state() != StateStarted && ss.state() != StateIdentityConfirmed:
			return ErrWrongState
		}
		ss.data.Confirmed = &Identity{Name: name, IDNumber: idNumber}
		ss.rec.State = string(StateIdentityConfirmed)
		ss.data.step("confirm", s.now(), 0, 0, "")
		return nil
	})
	if err != nil {
		return View{}, err
	}
	return ss.view(), nil
}

// IssueChallenge issues a fresh liveness challenge (the previous one is void).
// noFlash asks for an action challenge instead of colour flashes, when the plan allows it.
func (s *Service) IssueChallenge(ctx context.Context, token string, noFlash bool) (IssuedChallenge, View, error) {
	if s.Liveness == nil {
		return IssuedChallenge{}, View{}, fmt.Errorf("%w: liveness (face models not installed)", ErrEngine)
	}
	var issued IssuedChallenge
	ss, err := s.mutate(ctx, "", token, func(ss *session) error {
		if err := notFinal(ss); err != nil {
			return err
		}
		if ss.state() != StateIdentityConfirmed && ss.state() != StateLiveness {
			return ErrWrongState
		}
		if ss.data.Challenges >= maxChallenges(ss.plan.Options) {
			// Asking again and again for a challenge that fits a prepared
			// recording is an attack: the session ends.
			ss.data.step("challenge", s.now(), 0, 0, "challenge_limit")
			ss.finish(s.now(), StateFailed, "challenge_limit")
			return nil
		}
		ss.data.Challenges++
		opts := ss.plan.Options.Liveness
		if noFlash && opts.Mode == plan.LivenessFlash && opts.AllowNoFlash {
			opts.Mode, opts.Actions, opts.ActionCount = plan.LivenessAction, []string{"blink", "mouth", "left", "right"}, 2
		}
		if opts.Mode == plan.LivenessNone {
			opts.Mode = plan.LivenessSilent // a face must still be collected for comparison
		}
		ch, err := s.Liveness.NewChallenge(opts, s.now())
		if err != nil {
			return fmt.Errorf("new challenge: %w", err)
		}
		if ch.ID == "" {
			ch.ID = newID()
		}
		ss.data.Challenge = &ch
		ss.rec.State = string(StateLiveness)
		ss.data.step("challenge", s.now(), 0, 0, ch.Mode)
		issued = IssuedChallenge{ID: ch.ID, Public: ch.Public}
		return nil
	})
	if err != nil {
		return IssuedChallenge{}, View{}, err
	}
	if ss.state().Final() {
		return IssuedChallenge{}, ss.view(), &TokenError{FailedURL: ss.data.FailedURL, State: ss.state()}
	}
	return issued, ss.view(), nil
}

// maxChallenges bounds challenges per session: a few per allowed attempt
// (a reload or a camera hiccup may waste one), never unlimited.
func maxChallenges(o plan.Options) int { return 3*o.MaxAttempts + 2 }

// SubmitCapture analyses the capture for the current challenge, compares the
// best frame with the reference, and decides the attempt.
func (s *Service) SubmitCapture(ctx context.Context, token, challengeID string, c Capture) (Decision, View, error) {
	// Claim the challenge first: it is single-use even if analysis fails.
	var ch Challenge
	ss, err := s.mutate(ctx, "", token, func(ss *session) error {
		if err := notFinal(ss); err != nil {
			return err
		}
		if ss.state() != StateLiveness || ss.data.Challenge == nil || ss.data.Challenge.ID != challengeID {
			return ErrWrongState
		}
		if !ss.data.Challenge.ExpiresAt.IsZero() && s.now().After(ss.data.Challenge.ExpiresAt) {
			return fmt.Errorf("%w: challenge expired, ask for a new one", ErrWrongState)
		}
		ch = *ss.data.Challenge
		ss.data.Challenge = nil
		ss.data.DecidingSince = s.now()
		ss.rec.State = string(StateDeciding)
		return nil
	})
	if err != nil {
		return Decision{}, View{}, err
	}
	// From here the work finishes even if the phone drops the connection:
	// otherwise the session would be left in "deciding".
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), decideTimeout)
	defer cancel()
	t0 := s.now()
	att, infraErr := s.judge(ctx, ss, ch, c)
	if infraErr != nil {
		// Overload or an unavailable engine/authority is not the user's
		// failure: no attempt is counted and a new challenge may be asked for.
		_, err := s.mutate(ctx, "", token, func(ss *session) error {
			if ss.state() == StateDeciding {
				ss.rec.State = string(StateIdentityConfirmed)
			}
			ss.data.step("decide", t0, s.now().Sub(t0), att.Code, "infrastructure: "+att.Reason)
			return nil
		})
		if s.Log != nil {
			s.Log.Warn("decision postponed", "session", ss.rec.ID, "reason", att.Reason, "err", infraErr)
		}
		if errors.Is(infraErr, vision.ErrBusy) {
			return Decision{}, View{}, errors.Join(ErrBusy, infraErr, err)
		}
		return Decision{}, View{}, errors.Join(ErrEngine, infraErr, err)
	}
	att.Millis = s.now().Sub(t0).Milliseconds()
	att.At = t0
	att.sanitize()

	var dec Decision
	ss, err = s.mutate(ctx, "", token, func(ss *session) error {
		if ss.state() != StateDeciding {
			return fmt.Errorf("%w: the session changed during the decision (%s)", ErrWrongState, ss.state())
		}
		att.Order = len(ss.data.Attempts) + 1
		ss.data.Attempts = append(ss.data.Attempts, att)
		ss.data.DecidingSince = time.Time{}
		ss.data.step("decide", t0, time.Duration(att.Millis)*time.Millisecond, att.Code, att.Reason)
		switch {
		case att.Passed:
			ss.data.FaceKey = att.FaceKey
			ss.finish(s.now(), StatePassed, "")
		case ss.plan.Options.InvalidateOnFailure || len(ss.data.Attempts) >= ss.plan.Options.MaxAttempts:
			ss.data.FaceKey = att.FaceKey
			ss.finish(s.now(), StateFailed, att.Reason)
		default:
			ss.rec.State = string(StateIdentityConfirmed) // the user may try again
			ss.data.Reason = att.Reason
		}
		if !att.Passed {
			s.stepFailed(ss, "liveness", att.Reason)
		}
		dec = Decision{Passed: att.Passed, Final: ss.state().Final(), Reason: att.Reason, AttemptsLeft: ss.attemptsLeft()}
		return nil
	})
	if err != nil {
		return Decision{}, View{}, err
	}
	return dec, ss.view(), nil
}

// decideTimeout bounds one decision (analysis, reference lookup, comparison).
const decideTimeout = 2 * time.Minute

// abandonedAfter is when a "deciding" session whose request died is given back to the user.
const abandonedAfter = decideTimeout + time.Minute

const codeAuthorityUnavailable = 222361

// judge runs liveness, reference resolution and comparison for one attempt.
// A non-nil error means the decision could not be made (overload, an engine
// or authority failing): the attempt's Code and Reason say which, and it is
// not counted against the user.
func (s *Service) judge(ctx context.Context, ss *session, ch Challenge, c Capture) (Attempt, error) {
	o := ss.plan.Options
	att := Attempt{Threshold: o.SimilarityThreshold, Demoted: len(c.Video) > 0}
	fail := func(code int, reason, msg string) (Attempt, error) {
		att.Passed, att.Code, att.Reason, att.Message = false, code, reason, msg
		return att, nil
	}
	if len(c.Video) > 0 {
		key := "s/" + ss.rec.ID + "/capture-" + newID()[:8] + ".video"
		if err := s.Blobs.Put(ctx, key, c.Video); err == nil {
			att.VideoKey = key
		}
	}
	infra := func(code int, reason string, err error) (Attempt, error) {
		att.Code, att.Reason = code, reason
		return att, err
	}
	out, err := s.Liveness.Analyze(ctx, ch, livenessOptionsFor(o, ch), c)
	if errors.Is(err, vision.ErrBusy) {
		s.stat(ctx, ss.rec.ID, APILiveness, 18)
		return infra(18, "busy", err)
	}
	if err != nil {
		s.stat(ctx, ss.rec.ID, APILiveness, 282000)
		return infra(282000, "liveness_error", err)
	}
	s.stat(ctx, ss.rec.ID, APILiveness, out.ErrorCode)
	att.Checks = append(att.Checks, out.Checks...)
	att.LivenessScore, att.Spoofing = out.LivenessScore, out.Spoofing
	if len(out.BestFrame) > 0 {
		key := "s/" + ss.rec.ID + "/face-" + newID()[:8] + ".jpg"
		if err := s.Blobs.Put(ctx, key, out.BestFrame); err == nil {
			att.FaceKey = key
		}
	}
	if !out.Passed {
		code := out.ErrorCode
		if code == 0 {
			code = 223120
		}
		reason := out.Reason
		if reason == "" {
			reason = "liveness_failed"
		}
		return fail(code, reason, "活体检测未通过")
	}
	if o.CompareSource == plan.CompareNone {
		att.Passed, att.Message = true, "核验成功"
		return att, nil
	}
	ref, refErr := s.reference(ctx, ss, out.BestFrame)
	if refErr != nil || ref.ErrorCode == codeAuthorityUnavailable {
		if refErr == nil {
			refErr = errors.New("authority unavailable")
		}
		s.stat(ctx, ss.rec.ID, APIVerify, codeAuthorityUnavailable)
		return infra(codeAuthorityUnavailable, "authority_unavailable", refErr)
	}
	if ref.ErrorCode != 0 {
		s.stat(ctx, ss.rec.ID, APIVerify, ref.ErrorCode)
		return fail(ref.ErrorCode, referenceReason(ref.ErrorCode), referenceMessage(ref.ErrorCode))
	}
	score := ref.Score
	if !ref.Scored {
		if s.Matcher == nil {
			return infra(2, "compare_unavailable", errors.New("face comparison unavailable (face models not installed)"))
		}
		m, err := matchLive(ctx, s.Matcher, out, ref)
		if errors.Is(err, vision.ErrBusy) {
			s.stat(ctx, ss.rec.ID, APIVerify, 18)
			return infra(18, "busy", err)
		}
		if err != nil {
			s.stat(ctx, ss.rec.ID, APIVerify, 282000)
			return infra(282000, "compare_error", err)
		}
		att.Checks = append(att.Checks, m.Checks...)
		if m.ErrorCode != 0 {
			s.stat(ctx, ss.rec.ID, APIVerify, m.ErrorCode)
			reason, msg := compareFailure(m)
			return fail(m.ErrorCode, reason, msg)
		}
		score = m.Score
	}
	s.stat(ctx, ss.rec.ID, APIVerify, 0)
	att.Score = score
	att.Checks = append(att.Checks, Check{Name: "similarity", Score: score, Threshold: o.SimilarityThreshold, Passed: score >= o.SimilarityThreshold, Reason: reasonIf(score < o.SimilarityThreshold, "face_mismatch")})
	if score < o.SimilarityThreshold {
		return fail(222356, "face_mismatch", "人脸与参考照片不一致")
	}
	att.Passed, att.Message = true, "核验成功"
	return att, nil
}

// compareFailure names why a comparison could not be made, so that a face
// that cannot be compared reliably (223113–223118: blurred, dark, small,
// turned away) does not read as "no face" or as "not the same person". The
// side comes from the matcher's failed check (reference_… or live_…).
func compareFailure(m MatchOutcome) (reason, msg string) {
	ref := false
	for _, c := range m.Checks {
		if !c.Passed && c.Reason != "" {
			// Prefix test without strings: keeps this file's imports as they are.
			ref = len(c.Name) >= len("reference") && c.Name[:len("reference")] == "reference"
			break
		}
	}
	side := "采集人脸"
	if ref {
		side = "参考照片"
	}
	switch m.ErrorCode {
	case 222202:
		return "compare_no_face", "比对图片无法识别人脸"
	case 222203:
		if ref {
			return "reference_photo_invalid", "参考照片无法解析"
		}
		return "capture_invalid", "采集图片无法解析"
	case 223113:
		return "face_quality", side + "：人脸有被遮挡"
	case 223114:
		return "face_quality", side + "：人脸模糊或过小"
	case 223115:
		return "face_quality", side + "：人脸光照不好"
	case 223116:
		return "face_quality", side + "：人脸不完整、角度过大或闭眼"
	}
	return "face_quality", side + "：质量检测未通过"
}

// matchLive compares the capture's face with the reference: a multi-frame
// template when the matcher supports it and the capture has several frames,
// else the best frame alone.
func matchLive(ctx context.Context, m FaceMatcher, out LivenessOutcome, ref Reference) (MatchOutcome, error) {
	reference := ref.Photo
	if sm, ok := m.(SourceMatcher); ok && len(out.BestFrames) > 0 {
		return sm.MatchFramesFrom(ctx, out.BestFrames, reference, ref.Source)
	}
	if fm, ok := m.(FrameMatcher); ok && len(out.BestFrames) > 0 {
		// BestFrames[0] is BestFrame (LivenessOutcome): the stored face
		// leads the template.
		return fm.MatchFrames(ctx, out.BestFrames, reference)
	}
	return m.Match(ctx, out.BestFrame, reference)
}

func reasonIf(c bool, r string) string {
	if c {
		return r
	}
	return ""
}

// livenessOptionsFor returns the plan's liveness options matching the issued
// challenge's mode (a no-flash user got an action challenge).
func livenessOptionsFor(o plan.Options, ch Challenge) plan.LivenessOptions {
	l := o.Liveness
	if ch.Mode != "" && ch.Mode != l.Mode {
		l.Mode = ch.Mode
	}
	return l
}

// reference resolves the plan's compare source to a reference face.
func (s *Service) reference(ctx context.Context, ss *session, live []byte) (Reference, error) {
	o := ss.plan.Options
	switch o.CompareSource {
	case plan.CompareIDCard:
		if ss.data.Front == nil || ss.data.Front.PortraitKey == "" {
			return Reference{ErrorCode: 222350}, nil
		}
		b, err := s.Blobs.Get(ctx, ss.data.Front.PortraitKey)
		return Reference{Photo: b, Source: "idcard"}, err
	case plan.CompareUploaded:
		if ss.data.MatchImageKey == "" {
			return Reference{ErrorCode: 222350}, nil
		}
		b, err := s.Blobs.Get(ctx, ss.data.MatchImageKey)
		return Reference{Photo: b, Source: "uploaded"}, err
	case plan.CompareAuthority, plan.CompareRegistry:
		if s.References == nil {
			return Reference{ErrorCode: codeAuthorityUnavailable}, nil
		}
		id := ss.identity()
		if id == nil {
			return Reference{}, errors.New("no identity to look up")
		}
		return s.References.Reference(ctx, ReferenceRequest{Source: o.CompareSource, Authority: o.Authority, Name: id.Name, IDNumber: id.IDNumber, Live: live, AppID: ss.rec.AppID})
	}
	return Reference{}, fmt.Errorf("unknown compare source %q", o.CompareSource)
}

func referenceReason(code int) string {
	switch code {
	case 222351, 222354, 222360:
		return "identity_mismatch"
	case 222350, 222355:
		return "no_reference_photo"
	case codeAuthorityUnavailable:
		return "authority_unavailable"
	}
	return "reference_error_" + strconv.Itoa(code)
}

func referenceMessage(code int) string {
	switch code {
	case 222351, 222354, 222360:
		return "身份证号与姓名不匹配或该身份证号不存在"
	case 222350, 222355:
		return "参考照片不存在或质量过低"
	case codeAuthorityUnavailable:
		return "权威数据源服务繁忙"
	}
	return "比对失败"
}

// sanitize replaces NaN and ±Inf (which JSON cannot hold) by 0, so a bad
// engine score can never make the session unsavable.
func (a *Attempt) sanitize() {
	for _, p := range []*float64{&a.Score, &a.LivenessScore, &a.Spoofing, &a.Threshold} {
		*p = finite(*p)
	}
	for i := range a.Checks {
		a.Checks[i].Score, a.Checks[i].Threshold = finite(a.Checks[i].Score), finite(a.Checks[i].Threshold)
	}
}

func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}
