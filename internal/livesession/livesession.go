// Package livesession issues and consumes the session codes of Baidu's H5
// video liveness (faceliveness/sessioncode → faceliveness/verify).
//
// A session id is stateless: the session's content signed with an HMAC key
// that every replica shares. Single use is enforced twice: an in-process set
// of used nonces (cheap, catches replays at once) and, when a Claimer is
// given, a claim in the shared database (catches replays across replicas).
// The HTTP wires only parse parameters and call this package.
package livesession

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/faceprint/faceprint/internal/store"
)

// TTL is how long a session code is valid (Baidu: 5 minutes).
const TTL = 5 * time.Minute

// maxIDLen bounds a session id before any work is done on it.
const maxIDLen = 1024

// maxUsed bounds the in-process used set; beyond it the oldest entries
// are dropped (the database claim still refuses their replays).
const maxUsed = 1 << 20

// Session is the signed content of a session id. The short JSON keys are
// the wire format of ids already issued: do not rename them.
type Session struct {
	App     string `json:"a"`
	Type    int    `json:"t"` // 0 voice digits, 1 actions
	Code    string `json:"c"`
	Nonce   string `json:"n"`
	Expires int64  `json:"e"`
}

// Errors of Open and Consume; their texts are shown to API clients.
var (
	ErrInvalid = errors.New("session_id invalid")
	ErrExpired = errors.New("session_id expired")
	ErrUsed    = errors.New("session_id already used")
)

// Claimer records a nonce as used until a time, in storage shared by all
// replicas. It returns ErrUsed when the nonce was claimed before.
type Claimer interface {
	Claim(ctx context.Context, nonce string, until time.Time) error
}

// Service signs and opens session ids. The zero value is not usable; use
// New or NewRandom.
type Service struct {
	mu        sync.Mutex
	key       []byte
	used      map[string]time.Time // nonce → expiry
	nextPurge time.Time
}

// New returns a service with a shared key (≥ 32 bytes).
func New(key []byte) (*Service, error) {
	s := &Service{used: map[string]time.Time{}}
	if err := s.SetKey(key); err != nil {
		return nil, err
	}
	return s, nil
}

// NewRandom returns a service with a random key: ids only open in this
// process (single-instance use and tests).
func NewRandom() *Service {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		panic("livesession: no randomness for the session key: " + err.Error())
	}
	s, _ := New(k)
	return s
}

// Default is the process-wide service the wires use unless given their own.
// Its key is random until SetKey: the app derives a shared one from the
// signing key at start-up.
var Default = NewRandom()

// SetKey replaces the HMAC key (≥ 32 bytes). Ids signed with the old key
// stop opening.
func (s *Service) SetKey(key []byte) error {
	if len(key) < 32 {
		return errors.New("livesession: session key must be at least 32 bytes")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.key = append([]byte(nil), key...)
	return nil
}

// Issue signs a new session for app with a random nonce, valid for TTL.
func (s *Service) Issue(app string, typ int, code string, now time.Time) (string, Session) {
	nonce := make([]byte, 12)
	if _, err := rand.Read(nonce); err != nil {
		panic("livesession: no randomness for a nonce: " + err.Error())
	}
	v := Session{App: app, Type: typ, Code: code, Nonce: hex.EncodeToString(nonce), Expires: now.Add(TTL).Unix()}
	return s.Sign(v), v
}

// Sign returns the id of v: base64url(JSON) "." base64url(HMAC).
func (s *Service) Sign(v Session) string {
	payload, _ := json.Marshal(v)
	p := base64.RawURLEncoding.EncodeToString(payload)
	return p + "." + s.mac(p)
}

func (s *Service) mac(p string) string {
	s.mu.Lock()
	key := s.key
	s.mu.Unlock()
	m := hmac.New(sha256.New, key)
	m.Write([]byte("faceliveness-session\n" + p))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Open checks an id's signature (constant time), app and expiry, and marks
// it used in this process: a second Open of the same id is ErrUsed.
func (s *Service) Open(id, app string, now time.Time) (Session, error) {
	var v Session
	p, sig, ok := strings.Cut(id, ".")
	if !ok || len(id) > maxIDLen || !hmac.Equal([]byte(sig), []byte(s.mac(p))) {
		return v, ErrInvalid
	}
	data, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil || json.Unmarshal(data, &v) != nil || v.App != app {
		return Session{}, ErrInvalid
	}
	exp := time.Unix(v.Expires, 0)
	if now.After(exp) {
		return v, ErrExpired
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.purge(now)
	if _, seen := s.used[v.Nonce]; seen {
		return v, ErrUsed
	}
	s.used[v.Nonce] = exp
	return v, nil
}

// purge drops expired nonces, at most once a second (a full scan on every
// call made each verify O(live sessions)). Past maxUsed live nonces it drops
// some at random (map order) to stay bounded: the database claim still
// refuses their replays. Called with s.mu held.
func (s *Service) purge(now time.Time) {
	if now.Before(s.nextPurge) && len(s.used) < maxUsed {
		return
	}
	s.nextPurge = now.Add(time.Second)
	for n, e := range s.used {
		if now.After(e) {
			delete(s.used, n)
		}
	}
	for n := range s.used {
		if len(s.used) < maxUsed {
			break
		}
		delete(s.used, n)
	}
}

// Consume opens an id and, with a Claimer, claims its nonce in shared
// storage so that no other replica accepts it again. Errors other than
// ErrInvalid/ErrExpired/ErrUsed come from the Claimer's storage.
func (s *Service) Consume(ctx context.Context, c Claimer, id, app string, now time.Time) (Session, error) {
	v, err := s.Open(id, app, now)
	if err != nil || c == nil {
		return v, err
	}
	if err := c.Claim(ctx, v.Nonce, time.Unix(v.Expires, 0)); err != nil {
		if errors.Is(err, ErrUsed) {
			return v, ErrUsed
		}
		return v, fmt.Errorf("livesession: claim: %w", err)
	}
	return v, nil
}

// KV is the part of store.Store a StoreClaimer needs.
type KV interface {
	PutKV(ctx context.Context, ns, key string, value []byte, expires time.Time) error
}

// StoreClaimer claims nonces in the store's short-lived KV namespace
// "faceliveness" (the namespace ids issued before this package used).
type StoreClaimer struct{ KV KV }

// Claim implements Claimer: a key that exists (store.ErrConflict) is ErrUsed.
func (c StoreClaimer) Claim(ctx context.Context, nonce string, until time.Time) error {
	// A random value: the store tells "my row" from "a row already there"
	// by value and expiry, so a constant value made a replay (same nonce,
	// same expiry) look like the first claim.
	err := c.KV.PutKV(ctx, "faceliveness", nonce, claimValue(), until)
	if errors.Is(err, store.ErrConflict) {
		return ErrUsed
	}
	return err
}

// claimValue is 16 random bytes identifying one claim.
func claimValue() []byte {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic("livesession: no randomness: " + err.Error())
	}
	return b
}
