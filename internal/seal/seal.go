// Package seal encrypts personal data at rest (session records, images) with
// AES-256-GCM when the operator configures a key. Sealed values carry a
// prefix, so data written before a key was set stays readable.
package seal

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/faceprint/faceprint/internal/blob"
)

var prefix = []byte("fp1:")

// Sealer seals and opens values. A nil *Sealer passes data through unchanged.
type Sealer struct {
	aead   cipher.AEAD
	tagKey []byte
}

// ParseKey accepts 32 bytes as 64 hex characters or standard base64.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if b, err := hex.DecodeString(s); err == nil && len(b) == 32 {
		return b, nil
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(b) == 32 {
		return b, nil
	}
	return nil, errors.New("pii key must be 32 bytes, as 64 hex characters or base64")
}

// New makes a Sealer from a 32-byte key.
func New(key []byte) (*Sealer, error) {
	if len(key) != 32 {
		return nil, errors.New("pii key must be 32 bytes")
	}
	// Derive the cipher key so the configured key is never used directly.
	k := sha256.Sum256(append([]byte("faceprint pii v1\x00"), key...))
	block, err := aes.NewCipher(k[:])
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	t := sha256.Sum256(append([]byte("faceprint index v1\x00"), key...))
	return &Sealer{aead: aead, tagKey: t[:]}, nil
}

// Tag is a keyed, deterministic stand-in for a value that must stay
// searchable (an ID number as a lookup key): HMAC-SHA256, hex. A nil Sealer
// returns the value itself.
func (s *Sealer) Tag(v string) string {
	if s == nil {
		return v
	}
	m := hmac.New(sha256.New, s.tagKey)
	m.Write([]byte(v))
	return hex.EncodeToString(m.Sum(nil))
}

// Seal encrypts plain into text ("fp1:" + base64 of nonce and ciphertext), so
// sealed values fit text columns too. A nil Sealer returns plain.
func (s *Sealer) Seal(plain []byte) []byte {
	if s == nil {
		return plain
	}
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	ct := s.aead.Seal(nonce, nonce, plain, prefix)
	out := make([]byte, len(prefix)+base64.StdEncoding.EncodedLen(len(ct)))
	copy(out, prefix)
	base64.StdEncoding.Encode(out[len(prefix):], ct)
	return out
}

// Open decrypts a sealed value; unsealed values are returned as they are.
func (s *Sealer) Open(data []byte) ([]byte, error) {
	if len(data) < len(prefix) || string(data[:len(prefix)]) != string(prefix) {
		return data, nil
	}
	if s == nil {
		return nil, errors.New("data is encrypted but no pii key is configured")
	}
	rest, err := base64.StdEncoding.DecodeString(string(data[len(prefix):]))
	if err != nil {
		return nil, fmt.Errorf("sealed value corrupt: %w", err)
	}
	n := s.aead.NonceSize()
	if len(rest) < n {
		return nil, errors.New("sealed value truncated")
	}
	plain, err := s.aead.Open(nil, rest[:n], rest[n:], prefix)
	if err != nil {
		return nil, fmt.Errorf("open sealed value: %w", err)
	}
	return plain, nil
}

// Blobs wraps a blob store so every object is sealed at rest.
type Blobs struct {
	blob.Store
	S *Sealer
}

// Put seals and stores.
func (b Blobs) Put(ctx context.Context, key string, data []byte) error {
	return b.Store.Put(ctx, key, b.S.Seal(data))
}

// Get loads and opens.
func (b Blobs) Get(ctx context.Context, key string) ([]byte, error) {
	d, err := b.Store.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	return b.S.Open(d)
}
