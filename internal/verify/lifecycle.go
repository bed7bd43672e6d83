package verify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/faceprint/faceprint/internal/plan"
	"github.com/faceprint/faceprint/internal/store"
)

// DefaultAbandonAfter is the inactivity window after which a started session
// is abandoned: long enough for a user to fetch their ID card or switch
// phones, short enough that the business learns of a drop-out the same hour.
const DefaultAbandonAfter = 20 * time.Minute

// Callback is the body of the session.finished event, the callback that
// existed before lifecycle events: its fields and its "event" value are
// unchanged, Type and EventID were added. The verify token itself is never
// stored in clear, so the body names it by its SHA-256 (hex): the business
// hashes the tokens it issued to match.
type Callback struct {
	Event             string    `json:"event"` // "verify.finished" (kept for existing receivers)
	Type              string    `json:"type"`  // "session.finished", like the other lifecycle events
	EventID           string    `json:"event_id"`
	VerifyTokenSHA256 string    `json:"verify_token_sha256"`
	AppID             string    `json:"app_id"`
	PlanID            string    `json:"plan_id"`
	Passed            bool      `json:"passed"`
	Reason            string    `json:"reason,omitempty"`
	Score             float64   `json:"score"`
	Attempts          int       `json:"attempts"`
	FinishedAt        time.Time `json:"finished_at"`
}

// Event is the body of the other lifecycle events (session.started,
// session.step_failed, session.abandoned, session.expired).
type Event struct {
	Event             string    `json:"event"` // the lifecycle event name
	Type              string    `json:"type"`  // the same name
	EventID           string    `json:"event_id"`
	VerifyTokenSHA256 string    `json:"verify_token_sha256"`
	AppID             string    `json:"app_id"`
	PlanID            string    `json:"plan_id"`
	State             string    `json:"state"`
	Step              string    `json:"step,omitempty"`   // step_failed: which step (card_front, card_back, liveness)
	Reason            string    `json:"reason,omitempty"` // why the step failed or the session closed
	Attempts          int       `json:"attempts"`
	LastStep          string    `json:"last_step,omitempty"` // abandoned/expired: the last step the user completed
	LastActiveAt      time.Time `json:"last_active_at,omitzero"`
	At                time.Time `json:"at"`
}

// emit queues an event on the session when the plan wants it; save commits
// it with the record, so the event exists if and only if the change does.
func (s *Service) emit(ss *session, event string, body any) {
	if !ss.plan.Options.WantsEvent(event) {
		return
	}
	raw, err := json.Marshal(body)
	if err != nil {
		panic("verify: event body: " + err.Error()) // the bodies are plain structs
	}
	now := s.now()
	ss.events = append(ss.events, store.Webhook{AppID: ss.rec.AppID, SessionID: ss.rec.ID, Event: event, EventID: eventID(body),
		URL: ss.plan.Options.CallbackURL, Body: raw, NextAt: now, CreatedAt: now})
}

func eventID(body any) string {
	switch b := body.(type) {
	case Callback:
		return b.EventID
	case Event:
		return b.EventID
	}
	return ""
}

// event builds a lifecycle event body for the session's current state.
func (s *Service) event(ss *session, name string) Event {
	return Event{Event: name, Type: name, EventID: newID(), VerifyTokenSHA256: ss.rec.TokenHash, AppID: ss.rec.AppID, PlanID: ss.rec.PlanID,
		State: string(ss.state()), Attempts: len(ss.data.Attempts), At: s.now()}
}

// stepFailed queues session.step_failed for a refused card side or a failed attempt.
func (s *Service) stepFailed(ss *session, step, reason string) {
	if !ss.plan.Options.WantsEvent(plan.EventStepFailed) {
		return
	}
	e := s.event(ss, plan.EventStepFailed)
	e.Step, e.Reason = step, reason
	s.emit(ss, plan.EventStepFailed, e)
}

// transitionEvents queues the events of the state change since load.
func (s *Service) transitionEvents(ss *session) {
	from, to := ss.loaded, ss.state()
	if from == to || from.Final() {
		return
	}
	if from == StateCreated && !to.Final() {
		s.emit(ss, plan.EventStarted, s.event(ss, plan.EventStarted))
	}
	switch to {
	case StatePassed, StateFailed:
		score := 0.0
		if a := ss.lastAttempt(); a != nil {
			score = round4(a.Score)
		}
		s.emit(ss, plan.EventFinished, Callback{Event: "verify.finished", Type: plan.EventFinished, EventID: newID(),
			VerifyTokenSHA256: ss.rec.TokenHash, AppID: ss.rec.AppID, PlanID: ss.rec.PlanID, Passed: to == StatePassed,
			Reason: ss.data.Reason, Score: score, Attempts: len(ss.data.Attempts), FinishedAt: ss.rec.FinishedAt})
	case StateAbandoned, StateExpired:
		name := plan.EventAbandoned
		if to == StateExpired {
			name = plan.EventExpired
		}
		e := s.event(ss, name)
		e.Reason, e.LastStep, e.LastActiveAt, e.At = ss.data.Reason, ss.lastUserStep(), ss.rec.ActiveAt, ss.rec.FinishedAt
		s.emit(ss, name, e)
	}
}

// lastUserStep names the last step recorded before the session was closed.
func (ss *session) lastUserStep() string {
	for i := len(ss.data.Steps) - 1; i >= 0; i-- {
		if st := ss.data.Steps[i].Step; st != "abandon" && st != "expire" {
			return st
		}
	}
	return ""
}

func (s *Service) abandonAfter() time.Duration {
	if s.AbandonAfter == 0 {
		return DefaultAbandonAfter
	}
	return s.AbandonAfter
}

// closeIfDue moves an open session whose token expired, or that the user
// left idle for the inactivity window, to its final state, recording why.
// Abandoned wins when the idle window ran out before the token did (the user
// walked away); expired otherwise (the link was never finished in its 2 h).
func (s *Service) closeIfDue(ss *session) bool {
	st, now := ss.state(), s.now()
	if st.Final() || (st == StateDeciding && now.Sub(ss.data.DecidingSince) <= abandonedAfter) {
		return false // a decision in flight ends the session itself
	}
	idleEnd := time.Time{}
	if w := s.abandonAfter(); w > 0 && st != StateCreated && !ss.rec.ActiveAt.IsZero() {
		idleEnd = ss.rec.ActiveAt.Add(w)
	}
	// The session ends when it became due, not when a query or the loop
	// noticed: its result window and events do not depend on the loop's timing.
	switch {
	case !idleEnd.IsZero() && idleEnd.Before(now) && !idleEnd.After(ss.rec.ExpiresAt):
		ss.data.step("abandon", idleEnd, 0, 0, "inactive")
		ss.finish(idleEnd, StateAbandoned, "abandoned")
	case now.After(ss.rec.ExpiresAt):
		ss.data.step("expire", ss.rec.ExpiresAt, 0, 0, "token_expired")
		ss.finish(ss.rec.ExpiresAt, StateExpired, "token_expired")
	default:
		return false
	}
	return true
}

// CloseDue closes (abandons or expires) up to batch open sessions that are
// due, queuing their events; the retention loop calls it before purging. It
// returns how many it closed.
func (s *Service) CloseDue(ctx context.Context, batch int) (int, error) {
	now := s.now()
	idleBefore := time.Time{} // abandonment off: only expiry
	if w := s.abandonAfter(); w > 0 {
		idleBefore = now.Add(-w)
	}
	ids, err := s.Store.OpenSessionsDue(ctx, now, idleBefore, batch)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, id := range ids {
		closed, err := s.closeOne(ctx, id)
		if err != nil {
			errs = append(errs, fmt.Errorf("close %s: %w", id, err))
			continue
		}
		if closed {
			n++
		}
	}
	return n, errors.Join(errs...)
}

func (s *Service) closeOne(ctx context.Context, id string) (bool, error) {
	for range 5 {
		rec, err := s.Store.GetSession(ctx, id)
		if err != nil {
			return false, err
		}
		ss, err := s.open(ctx, rec)
		if errors.Is(err, errUnreadable) {
			// Nothing to tell the business about a row nobody can read: close
			// it without events and let the purge drop it at once.
			now := s.now()
			rec.State, rec.FinishedAt, rec.ResultUntil = string(StateExpired), now, now.Add(-time.Millisecond)
			err = s.Store.UpdateSession(ctx, rec)
			if errors.Is(err, store.ErrConflict) {
				continue
			}
			return err == nil, err
		}
		if err != nil {
			return false, err
		}
		if !s.closeIfDue(ss) {
			return false, nil // a step meanwhile made it live again, or another replica closed it
		}
		err = s.save(ctx, ss)
		if errors.Is(err, ErrBusy) {
			continue
		}
		return err == nil, err
	}
	return false, ErrBusy
}

// Deliveries lists a session's callback deliveries (console).
func (s *Service) Deliveries(ctx context.Context, sessionID string) ([]store.Webhook, error) {
	if _, err := s.Store.GetSession(ctx, sessionID); err != nil {
		return nil, err
	}
	return s.Store.ListWebhooks(ctx, sessionID, 200)
}
