package verify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/faceprint/faceprint/internal/blob"
	"github.com/faceprint/faceprint/internal/receipt"
	"github.com/faceprint/faceprint/internal/store"
)

// ErrNoReceiptKey is returned when deletions are asked for but no receipt signer is configured.
var ErrNoReceiptKey = errors.New("deletion receipts unavailable: no receipt signing key")

// maxDeleteSessions bounds one deletion by ID number (a person has few sessions).
const maxDeleteSessions = 1000

// IDHash is the keyed hash that names an ID number in deletion requests and
// in the sessions table: HMAC-SHA256 under the PII key (the seal's index
// key), or, without a PII key, under IDHashKey (derived from the signing
// key). "" when neither is configured.
func (s *Service) IDHash(number string) string {
	n := strings.ToUpper(strings.TrimSpace(number))
	if n == "" {
		return ""
	}
	if s.Seal != nil {
		return s.Seal.Tag("idnumber\x00" + n)
	}
	if len(s.IDHashKey) == 0 {
		return ""
	}
	m := hmac.New(sha256.New, s.IDHashKey)
	m.Write([]byte("idnumber\x00" + n))
	return hex.EncodeToString(m.Sum(nil))
}

// DeleteByToken deletes the personal data of a verify token's session and
// returns a signed receipt. The session then answers as purged (283416).
func (s *Service) DeleteByToken(ctx context.Context, token string) (*receipt.Receipt, error) {
	if s.Receipts == nil {
		return nil, ErrNoReceiptKey
	}
	ss, err := s.load(ctx, "", token)
	if err != nil {
		return nil, err
	}
	return s.deleteSessions(ctx, &receipt.Receipt{Scope: "session"}, []string{ss.rec.ID})
}

// DeleteByIDHash deletes the personal data of every session of an ID number
// (named by IDHash) and returns a signed receipt; zero sessions is a valid answer.
func (s *Service) DeleteByIDHash(ctx context.Context, idHash string) (*receipt.Receipt, error) {
	if s.Receipts == nil {
		return nil, ErrNoReceiptKey
	}
	idHash = strings.ToLower(strings.TrimSpace(idHash))
	if len(idHash) != 64 {
		return nil, fmt.Errorf("%w: id_hash must be 64 hex characters", ErrInvalidInput)
	}
	if _, err := hex.DecodeString(idHash); err != nil {
		return nil, fmt.Errorf("%w: id_hash must be 64 hex characters", ErrInvalidInput)
	}
	ids, err := s.Store.SessionsByIDHash(ctx, idHash, maxDeleteSessions)
	if err != nil {
		return nil, err
	}
	return s.deleteSessions(ctx, &receipt.Receipt{Scope: "id_hash", IDHash: idHash}, ids)
}

func (s *Service) deleteSessions(ctx context.Context, r *receipt.Receipt, ids []string) (*receipt.Receipt, error) {
	r.ReceiptID, r.IssuedAt, r.Sessions = "rcpt_"+newID(), s.now().UTC(), []receipt.Session{}
	r.Kept = "session id, state, timestamps, step names and attempt scores, aggregate error counts, the consent record; no name, ID number, image or video"
	for _, id := range ids {
		rs, err := s.deleteOne(ctx, id)
		if err != nil {
			// No receipt for a partial deletion: the caller retries (deletion is idempotent).
			return nil, fmt.Errorf("delete session %s: %w", id, err)
		}
		r.Sessions = append(r.Sessions, rs)
		r.Counts.Sessions++
		r.Counts.Blobs += rs.Blobs
	}
	if err := s.Receipts.Sign(r); err != nil {
		return nil, err
	}
	return r, nil
}

// deleteOne removes a session's blobs and personal fields now, whatever its
// retention window, and closes it if it was still open (without events: the
// business asked for the deletion, or the person did through it).
func (s *Service) deleteOne(ctx context.Context, id string) (receipt.Session, error) {
	for range 5 {
		rec, err := s.Store.GetSession(ctx, id)
		if err != nil {
			return receipt.Session{}, err
		}
		rs := receipt.Session{SessionID: rec.ID, AppID: rec.AppID, State: rec.State, Already: rec.Purged, CreatedAt: rec.CreatedAt, Fields: []string{}}
		d, err := s.decodeRecord(rec)
		if err != nil {
			d = Data{Reason: "unreadable"}
			rs.Fields = append(rs.Fields, "unreadable_record")
		}
		kept, keys, fields := scrub(d)
		rs.Fields = append(rs.Fields, fields...)
		if err := s.Blobs.DeletePrefix(ctx, "s/"+id+"/"); err != nil && !errors.Is(err, blob.ErrNotFound) {
			return rs, err
		}
		rs.Blobs = keys
		kept.Deleted = true
		raw, _ := json.Marshal(kept)
		s.shred(rec, raw)
		rec.Purged, rec.IDHash = true, ""
		if !State(rec.State).Final() {
			rec.State, rec.FinishedAt = string(StateExpired), s.now()
		}
		err = s.Store.UpdateSession(ctx, rec)
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		return rs, err
	}
	return receipt.Session{}, ErrBusy
}

// scrub keeps what a purged session may keep and reports what it dropped:
// the number of blobs the record referenced and the personal fields it held.
func scrub(d Data) (kept Data, blobs int, fields []string) {
	kept = Data{Reason: d.Reason, Steps: d.Steps, ConsentAt: d.ConsentAt, Consent: d.Consent, Deleted: d.Deleted}
	keys := map[string]bool{}
	add := func(k string) {
		if k != "" {
			keys[k] = true
		}
	}
	has := func(cond bool, name string) {
		if cond {
			fields = append(fields, name)
		}
	}
	has(d.Submitted != nil, "identity_submitted")
	has(d.Confirmed != nil, "identity_confirmed")
	has(d.Front != nil, "id_card_front")
	has(d.Back != nil, "id_card_back")
	has(d.SuccessURL != "" || d.FailedURL != "", "redirect_urls")
	has(len(d.Diagnostics) > 0, "device_diagnostics")
	for _, c := range []*CardStep{d.Front, d.Back} {
		if c != nil {
			add(c.ImageKey)
			add(c.PortraitKey)
		}
	}
	add(d.MatchImageKey)
	add(d.FaceKey)
	for _, a := range d.Attempts {
		add(a.FaceKey)
		add(a.VideoKey)
		for _, k := range a.FrameKeys {
			add(k)
		}
		a.FaceKey, a.VideoKey, a.FrameKeys = "", "", nil
		kept.Attempts = append(kept.Attempts, a)
	}
	has(len(keys) > 0, "images_and_videos")
	return kept, len(keys), fields
}
