package api

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"

	"github.com/faceprint/faceprint/internal/admin"
	"github.com/faceprint/faceprint/internal/receipt"
	"github.com/faceprint/faceprint/internal/store"
	"github.com/faceprint/faceprint/internal/verify"
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

// registerDeletion adds the deletion API (issue #16): delete a session's
// personal data by verify token, or every session of an ID number by its
// keyed hash, and answer with a signed receipt. Tokens and numbers travel in
// the body only, never in a URL that proxies log.
func (s *Server) registerDeletion(h adminHandler, actor string) {
	h("POST /admin/api/deletions", func(w http.ResponseWriter, r *http.Request) (any, error) {
		var in struct {
			VerifyToken string `json:"verify_token"`
			IDHash      string `json:"id_hash"`
			IDNumber    string `json:"id_number"` // hashed at once; for operators who hold the number
		}
		if err := decodeJSON(r.Body, &in); err != nil {
			return nil, err
		}
		n := 0
		for _, v := range []string{in.VerifyToken, in.IDHash, in.IDNumber} {
			if v != "" {
				n++
			}
		}
		if n != 1 {
			return nil, errors.Join(admin.ErrInvalid, errors.New("give exactly one of verify_token, id_hash, id_number"))
		}
		var rc *receipt.Receipt
		var err error
		switch {
		case in.VerifyToken != "":
			rc, err = s.Verify.DeleteByToken(r.Context(), in.VerifyToken)
		case in.IDNumber != "":
			hash := s.Verify.IDHash(in.IDNumber)
			if hash == "" {
				return nil, errors.Join(admin.ErrInvalid, errors.New("no key to hash ID numbers with"))
			}
			rc, err = s.Verify.DeleteByIDHash(r.Context(), hash)
		default:
			rc, err = s.Verify.DeleteByIDHash(r.Context(), in.IDHash)
		}
		switch {
		case errors.Is(err, verify.ErrTokenInvalid):
			return nil, errors.Join(store.ErrNotFound, errors.New("unknown verify token"))
		case errors.Is(err, verify.ErrInvalidInput):
			return nil, errors.Join(admin.ErrInvalid, err)
		case err != nil:
			return nil, err
		}
		s.audit(r, actor, "data.delete", rc.ReceiptID, rc.Scope+" sessions="+strconv.Itoa(rc.Counts.Sessions)+" blobs="+strconv.Itoa(rc.Counts.Blobs))
		return rc, nil
	})
	h("GET /admin/api/receipt-key", func(w http.ResponseWriter, r *http.Request) (any, error) {
		if s.Verify.Receipts == nil {
			return nil, verify.ErrNoReceiptKey
		}
		pub := s.Verify.Receipts.PublicKey()
		return map[string]string{"alg": receipt.Alg, "public_key": s.Verify.Receipts.PublicKeyBase64(), "key_id": receipt.KeyID(pub)}, nil
	})
}

// audit records an admin action; a failure to record is logged, not fatal.
func (s *Server) audit(r *http.Request, actor, action, target, detail string) {
	err := s.Store.AddAudit(r.Context(), store.AuditEntry{At: s.now(), Actor: actor, Action: action, Target: target, Detail: detail})
	if err != nil {
		s.Log.Error("audit", "action", action, "err", err)
	}
}
