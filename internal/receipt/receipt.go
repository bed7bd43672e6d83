// Package receipt signs and verifies deletion receipts: the proof an operator
// hands to a data subject or an auditor that a session's personal data was
// deleted, what was deleted and when. Receipts are signed with Ed25519 under
// a key derived from the server's signing key, so anyone holding the public
// key (GET /admin/api/receipt-key, or `faceprint receipt verify` next to the
// data dir) can check one without being able to forge one.
package receipt

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Alg names the signature scheme in every receipt.
const Alg = "Ed25519"

// ErrInvalid is returned for a receipt whose signature does not verify.
var ErrInvalid = errors.New("receipt signature does not verify")

// Session is what was deleted for one session.
type Session struct {
	SessionID string    `json:"session_id"`
	AppID     string    `json:"app_id"`
	State     string    `json:"state"`   // the state the session was in
	Blobs     int       `json:"blobs"`   // images and videos deleted
	Fields    []string  `json:"fields"`  // personal fields cleared from the record
	Already   bool      `json:"already"` // it had been purged before: nothing personal was left
	CreatedAt time.Time `json:"created_at"`
}

// Receipt is a signed deletion receipt.
type Receipt struct {
	ReceiptID string    `json:"receipt_id"`
	IssuedAt  time.Time `json:"issued_at"`
	// Scope is "session" (one verify token) or "id_hash" (every session of an
	// ID number, named by its keyed hash, never the number).
	Scope    string    `json:"scope"`
	IDHash   string    `json:"id_hash,omitempty"`
	Sessions []Session `json:"sessions"`
	Counts   Counts    `json:"counts"`
	Kept     string    `json:"kept"` // what stays, in words (aggregate counts, scores, the consent record)

	Alg       string `json:"alg"`
	KeyID     string `json:"key_id"` // hex SHA-256 of the public key, first 16 bytes
	Signature string `json:"signature,omitempty"`
}

// Counts totals a receipt.
type Counts struct {
	Sessions int `json:"sessions"`
	Blobs    int `json:"blobs"`
}

// Signer holds the receipt key pair.
type Signer struct {
	priv ed25519.PrivateKey
}

// NewSigner derives the receipt key from the server's signing key: the same
// on every replica, nothing more to store, and unrelated to the key's other uses.
func NewSigner(signingKey string) *Signer {
	m := hmac.New(sha256.New, []byte(signingKey))
	m.Write([]byte("deletion-receipt\x00ed25519"))
	return &Signer{priv: ed25519.NewKeyFromSeed(m.Sum(nil))}
}

// PublicKey returns the verification key.
func (s *Signer) PublicKey() ed25519.PublicKey { return s.priv.Public().(ed25519.PublicKey) }

// PublicKeyBase64 returns the verification key, base64 (standard encoding).
func (s *Signer) PublicKeyBase64() string { return base64.StdEncoding.EncodeToString(s.PublicKey()) }

// KeyID names a public key in receipts.
func KeyID(pub ed25519.PublicKey) string {
	h := sha256.Sum256(pub)
	return hex.EncodeToString(h[:16])
}

// payload is the signed byte string: the receipt's JSON without the signature.
func payload(r Receipt) ([]byte, error) {
	r.Signature = ""
	return json.Marshal(r)
}

// Sign fills in the algorithm, key id and signature.
func (s *Signer) Sign(r *Receipt) error {
	r.Alg, r.KeyID, r.Signature = Alg, KeyID(s.PublicKey()), ""
	p, err := payload(*r)
	if err != nil {
		return fmt.Errorf("sign receipt: %w", err)
	}
	r.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(s.priv, p))
	return nil
}

// Verify parses a receipt and checks its signature with pub. Unknown fields
// are refused: a field added after signing is tampering too.
func Verify(data []byte, pub ed25519.PublicKey) (Receipt, error) {
	var r Receipt
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return r, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if r.Alg != Alg || r.KeyID != KeyID(pub) {
		return r, fmt.Errorf("%w: signed with another key or scheme (%s %s)", ErrInvalid, r.Alg, r.KeyID)
	}
	sig, err := base64.StdEncoding.DecodeString(r.Signature)
	if err != nil {
		return r, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	p, err := payload(r)
	if err != nil {
		return r, err
	}
	if !ed25519.Verify(pub, p, sig) {
		return r, ErrInvalid
	}
	return r, nil
}

// ParsePublicKey reads a base64 Ed25519 public key.
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, errors.New("public key must be 32 bytes, base64")
	}
	return ed25519.PublicKey(b), nil
}
