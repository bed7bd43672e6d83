// Package tencent is the Tencent Cloud FaceID (慧眼人脸核身) wire:
// TC3-HMAC-SHA256 signed JSON actions DetectAuth and GetDetectInfoEnhanced
// (API version 2018-03-01) on the same verify sessions as the Baidu wire.
// docs: README "Tencent Cloud FaceID wire".
package tencent

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
)

// Keyring derives every app's SecretId/SecretKey from one server key.
//
// TC3 is an HMAC: the server needs the SecretKey itself to check a
// signature, so it cannot be stored as a one-way hash the way the Baidu
// Secret Key is. Deriving it (like the per-app webhook secret) means nothing
// is stored: every replica with the signing key computes the same pair.
// The app's generation is mixed into the SecretKey, so `app rotate-secret`
// and disabling an app also retire the Tencent key; the SecretId stays.
type Keyring struct{ Key []byte }

// KeyFromSigningKey is the keyring key of a server signing key.
func KeyFromSigningKey(signKey string) []byte {
	m := hmac.New(sha256.New, []byte(signKey))
	m.Write([]byte("tencent-tc3"))
	return m.Sum(nil)
}

const idPrefix = "AKIDfp"

func (k Keyring) mac(parts ...string) []byte {
	m := hmac.New(sha256.New, k.Key)
	m.Write([]byte(strings.Join(parts, "\x00")))
	return m.Sum(nil)
}

// idTag authenticates the app id inside a SecretId, so a made-up SecretId
// is refused before any database lookup.
func (k Keyring) idTag(appID string) string {
	return hex.EncodeToString(k.mac("secret-id", appID)[:10])
}

// Credentials returns the app's SecretId (AKIDfp<app id>_<20 hex>) and
// SecretKey (32 characters).
func (k Keyring) Credentials(appID string, generation int) (secretID, secretKey string) {
	secretID = idPrefix + appID + "_" + k.idTag(appID)
	raw := k.mac("secret-key", appID, strconv.Itoa(generation))
	return secretID, base64.RawURLEncoding.EncodeToString(raw)[:32]
}

// AppOf returns the app id of a SecretId this keyring issued.
func (k Keyring) AppOf(secretID string) (string, bool) {
	if len(secretID) > 96 || !strings.HasPrefix(secretID, idPrefix) {
		return "", false
	}
	app, tag, ok := strings.Cut(secretID[len(idPrefix):], "_")
	if !ok || app == "" || len(app) > 32 {
		return "", false
	}
	if !hmac.Equal([]byte(tag), []byte(k.idTag(app))) {
		return "", false
	}
	return app, true
}
