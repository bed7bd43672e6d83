package wire

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
)

// Keyring derives every app's vendor key pair (an id naming the app and an
// HMAC secret) from one server key, for wires whose signatures are HMACs:
// the server needs the secret itself, so it is derived, not stored, and
// every replica with the signing key computes the same pair. The app's
// generation is mixed into the secret, so `app rotate-secret` retires it;
// the id stays.
type Keyring struct {
	Key         []byte
	Prefix      string // id prefix, e.g. "AKIDfp"
	IDLabel     string // HMAC label of the id's tag
	SecretLabel string // HMAC label of the secret
	SecretLen   int    // secret length in characters (≤ 43)
}

// KeyFromSigningKey derives a wire's keyring key from the server signing
// key under its own label, so the wires' secrets are unrelated.
func KeyFromSigningKey(signKey, label string) []byte {
	m := hmac.New(sha256.New, []byte(signKey))
	m.Write([]byte(label))
	return m.Sum(nil)
}

func (k Keyring) mac(parts ...string) []byte {
	m := hmac.New(sha256.New, k.Key)
	m.Write([]byte(strings.Join(parts, "\x00")))
	return m.Sum(nil)
}

// idTag authenticates the app id inside an id, so a made-up id is refused
// before any database lookup.
func (k Keyring) idTag(appID string) string {
	return hex.EncodeToString(k.mac(k.IDLabel, appID)[:10])
}

// Credentials returns the app's id (<prefix><app id>_<20 hex>) and secret.
func (k Keyring) Credentials(appID string, generation int) (id, secret string) {
	id = k.Prefix + appID + "_" + k.idTag(appID)
	raw := k.mac(k.SecretLabel, appID, strconv.Itoa(generation))
	return id, base64.RawURLEncoding.EncodeToString(raw)[:k.SecretLen]
}

// AppOf returns the app id of an id this keyring issued.
func (k Keyring) AppOf(id string) (string, bool) {
	if len(id) > 96 || !strings.HasPrefix(id, k.Prefix) {
		return "", false
	}
	app, tag, ok := strings.Cut(id[len(k.Prefix):], "_")
	if !ok || app == "" || len(app) > 32 {
		return "", false
	}
	if !hmac.Equal([]byte(tag), []byte(k.idTag(app))) {
		return "", false
	}
	return app, true
}
