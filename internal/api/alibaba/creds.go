// Package alibaba is the Alibaba Cloud 实人认证 (Cloudauth, API version
// 2019-03-07) wire: the RPC-style actions InitFaceVerify and
// DescribeFaceVerify, signed with ACS3-HMAC-SHA256 (the SDKs' default) or
// the legacy HMAC-SHA1 query signature, on the same verify sessions as the
// Baidu and Tencent wires. docs: README "Alibaba Cloud 实人认证 wire".
package alibaba

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
)

// Keyring derives every app's AccessKeyId/AccessKeySecret from one server key.
//
// Both Alibaba signatures are HMACs: the server needs the secret itself, so
// it cannot be stored one-way like the Baidu Secret Key. Deriving it (as the
// Tencent wire does) means nothing is stored and every replica agrees. The
// app's generation is mixed into the secret, so `app rotate-secret` retires
// it; the AccessKeyId stays.
type Keyring struct{ Key []byte }

// KeyFromSigningKey is the keyring key of a server signing key. The label
// differs from the Tencent one, so the two wires' secrets are unrelated.
func KeyFromSigningKey(signKey string) []byte {
	m := hmac.New(sha256.New, []byte(signKey))
	m.Write([]byte("alibaba-acs"))
	return m.Sum(nil)
}

// idPrefix mimics Alibaba's "LTAI" AccessKeyIds, marked as faceprint's.
const idPrefix = "LTAIfp"

func (k Keyring) mac(parts ...string) []byte {
	m := hmac.New(sha256.New, k.Key)
	m.Write([]byte(strings.Join(parts, "\x00")))
	return m.Sum(nil)
}

// idTag authenticates the app id inside an AccessKeyId, so a made-up id is
// refused before any database lookup.
func (k Keyring) idTag(appID string) string {
	return hex.EncodeToString(k.mac("access-key-id", appID)[:10])
}

// Credentials returns the app's AccessKeyId (LTAIfp<app id>_<20 hex>) and
// AccessKeySecret (30 characters, Alibaba's length).
func (k Keyring) Credentials(appID string, generation int) (accessKeyID, accessKeySecret string) {
	accessKeyID = idPrefix + appID + "_" + k.idTag(appID)
	raw := k.mac("access-key-secret", appID, strconv.Itoa(generation))
	return accessKeyID, base64.RawURLEncoding.EncodeToString(raw)[:30]
}

// AppOf returns the app id of an AccessKeyId this keyring issued.
func (k Keyring) AppOf(accessKeyID string) (string, bool) {
	if len(accessKeyID) > 96 || !strings.HasPrefix(accessKeyID, idPrefix) {
		return "", false
	}
	app, tag, ok := strings.Cut(accessKeyID[len(idPrefix):], "_")
	if !ok || app == "" || len(app) > 32 {
		return "", false
	}
	if !hmac.Equal([]byte(tag), []byte(k.idTag(app))) {
		return "", false
	}
	return app, true
}

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
