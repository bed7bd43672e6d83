package api

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"

	"github.com/faceprint/faceprint/internal/admin"
	"github.com/faceprint/faceprint/internal/store"
)

// adminHandler is the signature registerAdmin's token-checking wrapper takes.
type adminHandler func(pattern string, f func(w http.ResponseWriter, r *http.Request) (any, error))

// registerLifecycle adds the callback delivery routes (issue #16): a
// session's deliveries, re-sending one, and a signed test event to a plan's
// callback URL.
func (s *Server) registerLifecycle(h adminHandler, actor string) {
	h("GET /admin/api/sessions/{id}/deliveries", func(w http.ResponseWriter, r *http.Request) (any, error) {
		return s.Verify.Deliveries(r.Context(), r.PathValue("id"))
	})
	h("POST /admin/api/deliveries/{id}/resend", func(w http.ResponseWriter, r *http.Request) (any, error) {
		if s.Webhooks == nil {
			return nil, errors.New("webhook deliverer not configured")
		}
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil {
			return nil, errors.Join(admin.ErrInvalid, errors.New("delivery id must be a number"))
		}
		c, err := s.Webhooks.Resend(r.Context(), id)
		if err != nil {
			return nil, err
		}
		s.audit(r, actor, "webhook.resend", c.SessionID, c.Event+" "+c.EventID)
		return map[string]any{"ok": true, "event_id": c.EventID}, nil
	})
	h("POST /admin/api/plans/{id}/test-callback", func(w http.ResponseWriter, r *http.Request) (any, error) {
		if s.Webhooks == nil {
			return nil, errors.New("webhook deliverer not configured")
		}
		p, err := s.Store.GetPlan(r.Context(), r.PathValue("id"))
		if err != nil {
			return nil, err
		}
		if p.Options.CallbackURL == "" {
			return nil, errors.Join(admin.ErrInvalid, errors.New("the plan has no callback_url"))
		}
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		res := s.Webhooks.SendTest(r.Context(), p.AppID, p.ID, p.Options.CallbackURL, "evt_test_"+hex.EncodeToString(b))
		s.audit(r, actor, "webhook.test", p.ID, strconv.Itoa(res.Status))
		return res, nil
	})
}

// audit records an admin action; a failure to record is logged, not fatal.
func (s *Server) audit(r *http.Request, actor, action, target, detail string) {
	err := s.Store.AddAudit(r.Context(), store.AuditEntry{At: s.now(), Actor: actor, Action: action, Target: target, Detail: detail})
	if err != nil {
		s.Log.Error("audit", "action", action, "err", err)
	}
}
