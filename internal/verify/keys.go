package verify

import (
	"crypto/rand"
	"fmt"

	"github.com/faceprint/faceprint/internal/seal"
	"github.com/faceprint/faceprint/internal/store"
)

// Per-session data keys (envelope encryption). With a PII key, a session's
// record is sealed under its own random key, and that key is stored beside
// it wrapped under the PII key. The purge and the deletion API blank the
// wrapped key (crypto-shredding): any copy of the session's ciphertext made
// before — an export, a replica or backup of the data without the key
// column — can no longer be opened, not even with the PII key. What the
// purge keeps is sealed under the PII key itself.
//
// Blobs (images, videos) stay sealed under the PII key by seal.Blobs: the
// media URLs are served outside this package, which would need the session
// key; they are deleted, not shredded.

// newDataKey draws a session key; it returns the key wrapped for storage and
// a sealer for the record. Without a PII key it returns "" and nil (plain).
func (s *Service) newDataKey() (string, *seal.Sealer, error) {
	if s.Seal == nil {
		return "", nil, nil
	}
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return "", nil, fmt.Errorf("session key: %w", err)
	}
	sl, err := seal.New(k)
	if err != nil {
		return "", nil, fmt.Errorf("session key: %w", err)
	}
	return string(s.Seal.Seal(k)), sl, nil
}

// sealerFor returns the sealer of a record's data: its session key when it
// has one, else the PII key (records from before session keys, and purged ones).
func (s *Service) sealerFor(rec *store.SessionRecord) (*seal.Sealer, error) {
	if rec.DataKey == "" {
		return s.Seal, nil
	}
	if s.Seal == nil {
		return nil, fmt.Errorf("%w: the session key is wrapped under a PII key that is not configured", errUnreadable)
	}
	k, err := s.Seal.Open([]byte(rec.DataKey))
	if err != nil {
		return nil, fmt.Errorf("%w: unwrap session key: %w", errUnreadable, err)
	}
	sl, err := seal.New(k)
	if err != nil {
		return nil, fmt.Errorf("%w: session key: %w", errUnreadable, err)
	}
	return sl, nil
}

// decodeRecord opens and parses a record's data.
func (s *Service) decodeRecord(rec *store.SessionRecord) (Data, error) {
	sl, err := s.sealerFor(rec)
	if err != nil {
		return Data{}, err
	}
	plain, err := sl.Open(rec.Data)
	if err != nil {
		return Data{}, err
	}
	return decodeData(plain)
}

// shred replaces a record's data with kept, sealed under the PII key, and
// destroys the session key.
func (s *Service) shred(rec *store.SessionRecord, kept []byte) {
	rec.Data, rec.DataKey = s.Seal.Seal(kept), ""
}
