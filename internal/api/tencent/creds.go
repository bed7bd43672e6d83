// Package tencent is the Tencent Cloud FaceID (慧眼人脸核身) wire:
// TC3-HMAC-SHA256 signed JSON actions DetectAuth and GetDetectInfoEnhanced
// (API version 2018-03-01) on the same verify sessions as the Baidu wire.
// docs: README "Tencent Cloud FaceID wire".
package tencent

import "github.com/faceprint/faceprint/internal/api/wire"

// Keyring derives every app's SecretId/SecretKey from one server key (wire.Keyring:
// the signature is an HMAC, so the secret is derived, not stored).
type Keyring struct{ Key []byte }

// KeyFromSigningKey is the keyring key of a server signing key.
func KeyFromSigningKey(signKey string) []byte { return wire.KeyFromSigningKey(signKey, "tencent-tc3") }

func (k Keyring) ring() wire.Keyring {
	return wire.Keyring{Key: k.Key, Prefix: "AKIDfp", IDLabel: "secret-id", SecretLabel: "secret-key", SecretLen: 32}
}

// Credentials returns the app's SecretId/SecretKey (AKIDfp<app id>_<20 hex>, 32 characters).
func (k Keyring) Credentials(appID string, generation int) (string, string) {
	return k.ring().Credentials(appID, generation)
}

// AppOf returns the app id of an id this keyring issued.
func (k Keyring) AppOf(id string) (string, bool) { return k.ring().AppOf(id) }
