// Package alibaba is the Alibaba Cloud 实人认证 (Cloudauth, API version
// 2019-03-07) wire: the RPC-style actions InitFaceVerify and
// DescribeFaceVerify, signed with ACS3-HMAC-SHA256 (the SDKs' default) or
// the legacy HMAC-SHA1 query signature, on the same verify sessions as the
// Baidu and Tencent wires. docs: README "Alibaba Cloud 实人认证 wire".
package alibaba

import "github.com/faceprint/faceprint/internal/api/wire"

// Keyring derives every app's AccessKeyId/AccessKeySecret from one server key (wire.Keyring:
// the signature is an HMAC, so the secret is derived, not stored).
type Keyring struct{ Key []byte }

// KeyFromSigningKey is the keyring key of a server signing key.
func KeyFromSigningKey(signKey string) []byte { return wire.KeyFromSigningKey(signKey, "alibaba-acs") }

func (k Keyring) ring() wire.Keyring {
	return wire.Keyring{Key: k.Key, Prefix: "LTAIfp", IDLabel: "access-key-id", SecretLabel: "access-key-secret", SecretLen: 30}
}

// Credentials returns the app's AccessKeyId/AccessKeySecret (LTAIfp<app id>_<20 hex>, 30 characters).
func (k Keyring) Credentials(appID string, generation int) (string, string) {
	return k.ring().Credentials(appID, generation)
}

// AppOf returns the app id of an id this keyring issued.
func (k Keyring) AppOf(id string) (string, bool) { return k.ring().AppOf(id) }

// CredentialsView is what `faceprint app alibaba-credentials` shows: the
// app's AccessKeyId/AccessKeySecret and its enabled plans, whose ids are the
// SceneIds.
func CredentialsView(k Keyring, appID string, generation int, planIDs []string) map[string]any {
	id, secret := k.Credentials(appID, generation)
	if planIDs == nil {
		planIDs = []string{}
	}
	return map[string]any{"app_id": appID, "access_key_id": id, "access_key_secret": secret, "api_version": Version, "scene_ids": planIDs}
}
