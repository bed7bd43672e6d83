package verify

import (
	"context"
	"encoding/json"
	"time"

	"github.com/faceprint/faceprint/internal/store"
)

// Callback is the JSON body POSTed to the plan's callback_url when a session
// ends. The verify token itself is never stored in clear, so the body names it
// by its SHA-256 (hex): the business hashes the tokens it issued to match.
type Callback struct {
	Event             string    `json:"event"` // "verify.finished"
	VerifyTokenSHA256 string    `json:"verify_token_sha256"`
	AppID             string    `json:"app_id"`
	PlanID            string    `json:"plan_id"`
	Passed            bool      `json:"passed"`
	Reason            string    `json:"reason,omitempty"`
	Score             float64   `json:"score"`
	Attempts          int       `json:"attempts"`
	FinishedAt        time.Time `json:"finished_at"`
}

// notify queues the plan's callback for a session that just ended.
func (s *Service) notify(ctx context.Context, ss *session, last Attempt) {
	u := ss.plan.Options.CallbackURL
	if u == "" {
		return
	}
	body, _ := json.Marshal(Callback{Event: "verify.finished", VerifyTokenSHA256: ss.rec.TokenHash, AppID: ss.rec.AppID, PlanID: ss.rec.PlanID,
		Passed: ss.state() == StatePassed, Reason: ss.data.Reason, Score: round4(last.Score), Attempts: len(ss.data.Attempts), FinishedAt: ss.rec.FinishedAt})
	now := s.now()
	if err := s.Store.EnqueueWebhook(ctx, store.Webhook{AppID: ss.rec.AppID, URL: u, Body: body, NextAt: now, CreatedAt: now}); err != nil && s.Log != nil {
		s.Log.Error("queue callback", "session", ss.rec.ID, "err", err)
	}
}
