package alibaba

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Alibaba's documented legacy RPC signing example (DescribeRegions,
// AccessKeySecret "testsecret").
func TestV1SignatureDocumentedExample(t *testing.T) {
	p := map[string]string{
		"Timestamp": "2016-02-23T12:46:24Z", "Format": "XML", "AccessKeyId": "testid", "Action": "DescribeRegions",
		"SignatureMethod": "HMAC-SHA1", "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
		"Version": "2014-05-26", "SignatureVersion": "1.0", "Signature": "ignored",
	}
	if got, want := v1Signature("testsecret", "GET", p), "OLeaidS1JvxuMvnyHOwuJ+uX5qY="; got != want {
		t.Fatalf("v1 signature %s, want %s", got, want)
	}
}

// The V3 golden value is what the official SDK's own signer
// (@alicloud/openapi-core utils.getAuthorization, 1.x shipped with
// @alicloud/cloudauth20190307@3.5.0) computes for this request: non-ASCII,
// spaces, parentheses and * in the query, a form body.
func TestV3SignatureMatchesSDK(t *testing.T) {
	body := []byte("Model=LIVENESS&FaceContrastPicture=abc%2B%2F%3D")
	q := url.Values{"SceneId": {"1000000006"}, "CertName": {"张三 (x)*"}, "OuterOrderNo": {"e0c34a77f5ac40a5aa5e6ed20c35****"}}
	r, _ := http.NewRequest("POST", "http://127.0.0.1:8080/?"+q.Encode(), strings.NewReader(string(body)))
	r.Host = "127.0.0.1:8080"
	for k, v := range map[string]string{
		"x-acs-version": "2019-03-07", "x-acs-action": "InitFaceVerify", "user-agent": "ua", "x-acs-date": "2023-10-26T10:22:32Z",
		"x-acs-signature-nonce": "3156853299f313e23d1673dc12e1703d", "accept": "application/json",
		"content-type": "application/x-www-form-urlencoded", "x-acs-content-sha256": sha256hex(body),
	} {
		r.Header.Set(k, v)
	}
	if sha256hex(body) != "bf4e8f7ad6dbcf322b5efd7ed9833d6d54b2f8492d762026041f692f1f68db34" {
		t.Fatal("payload hash")
	}
	auth := "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=content-type;host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=9bec9b2d6b2f326422eec7298b77e1b005b9aaae8c68ba15b5b8d983b1b45100"
	a, err := parseV3(auth)
	if err != nil || a.AccessKeyID != "YourAccessKeyId" {
		t.Fatalf("parse: %+v %v", a, err)
	}
	query := map[string]string{}
	singleValues(r.URL.Query(), query)
	got, err := v3Signature("YourAccessKeySecret", r, a, query, body)
	if err != nil || got != a.Signature {
		t.Fatalf("v3 signature %s (%v), want %s", got, err, a.Signature)
	}
	// Leaving a required header out of SignedHeaders is refused, not signed.
	a.SignedHeaders = []string{"content-type", "host", "x-acs-action", "x-acs-content-sha256", "x-acs-date", "x-acs-version"}
	if _, err := v3Signature("YourAccessKeySecret", r, a, query, body); err == nil {
		t.Error("a signature without x-acs-signature-nonce was accepted")
	}
}

func TestParseV3Malformed(t *testing.T) {
	for _, h := range []string{
		"", "ACS3-HMAC-SHA256", "HMAC-SHA1 Credential=a,SignedHeaders=host,Signature=" + strings.Repeat("0", 64),
		"ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host,Signature=00",
		"ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host,Signature=" + strings.Repeat("0", 64) + strings.Repeat(",x=y", 600),
	} {
		if _, err := parseV3(h); err == nil {
			t.Errorf("accepted %q", h)
		}
	}
}

func TestPercentEncode(t *testing.T) {
	if got := percentEncode("a b*c~d-_.!'()/张"); got != "a%20b%2Ac~d-_.%21%27%28%29%2F%E5%BC%A0" {
		t.Error(got)
	}
}

func TestCheckTime(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for ts, want := range map[string][2]bool{
		"2026-01-01T11:46:00Z": {true, true}, "2026-01-01T11:44:00Z": {false, true}, "2026-01-01T12:16:00Z": {false, true},
		"2026-01-01 12:00:00": {false, false}, "": {false, false},
	} {
		if _, fresh, ok := checkTime(ts, now); fresh != want[0] || ok != want[1] {
			t.Errorf("%q: fresh %v ok %v", ts, fresh, ok)
		}
	}
}

func TestKeyring(t *testing.T) {
	k := Keyring{Key: KeyFromSigningKey("server-key")}
	id, secret := k.Credentials("app1", 1)
	if !strings.HasPrefix(id, "LTAIfpapp1_") || len(secret) != 30 {
		t.Fatalf("%s %s", id, secret)
	}
	if app, ok := k.AppOf(id); !ok || app != "app1" {
		t.Errorf("AppOf(%s) = %s %v", id, app, ok)
	}
	if _, ok := k.AppOf(id[:len(id)-1] + "0"); ok && !strings.HasSuffix(id, "0") {
		t.Error("a forged tag was accepted")
	}
	if _, ok := (Keyring{Key: KeyFromSigningKey("other")}).AppOf(id); ok {
		t.Error("another server's id was accepted")
	}
	id2, secret2 := k.Credentials("app1", 2)
	if id2 != id || secret2 == secret {
		t.Error("a new generation must keep the id and change the secret")
	}
}
