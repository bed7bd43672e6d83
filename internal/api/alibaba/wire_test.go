package alibaba_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/faceprint/faceprint/internal/api/alibaba"
	"github.com/faceprint/faceprint/internal/testenv"
)

func enc(s string) string {
	return strings.NewReplacer("+", "%20", "*", "%2A", "%7E", "~").Replace(url.QueryEscape(s))
}

// signed builds a V3-signed request the way the SDK does (an independent,
// minimal signer: the SDK itself is exercised in test/alisdk).
func signed(t *testing.T, base, id, secret, action string, query url.Values, form string, tweak func(*http.Request)) *http.Request {
	t.Helper()
	r, _ := http.NewRequest("POST", base+"/?"+query.Encode(), strings.NewReader(form))
	u, _ := url.Parse(base)
	h := sha256.Sum256([]byte(form))
	r.Header.Set("x-acs-action", action)
	r.Header.Set("x-acs-version", alibaba.Version)
	r.Header.Set("x-acs-date", time.Now().UTC().Format("2006-01-02T15:04:05Z"))
	r.Header.Set("x-acs-signature-nonce", hex.EncodeToString(h[:8])+time.Now().Format("150405.000000000"))
	r.Header.Set("x-acs-content-sha256", hex.EncodeToString(h[:]))
	names := []string{"host", "x-acs-action", "x-acs-content-sha256", "x-acs-date", "x-acs-signature-nonce", "x-acs-version"}
	if form != "" {
		r.Header.Set("content-type", "application/x-www-form-urlencoded")
		names = append([]string{"content-type"}, names...)
	}
	var ch strings.Builder
	for _, n := range names {
		v := r.Header.Get(n)
		if n == "host" {
			v = u.Host
		}
		ch.WriteString(n + ":" + v + "\n")
	}
	keys := make([]string, 0, len(query))
	for k := range query {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var q []string
	for _, k := range keys {
		q = append(q, enc(k)+"="+enc(query.Get(k)))
	}
	canon := strings.Join([]string{"POST", "/", strings.Join(q, "&"), ch.String(), strings.Join(names, ";"), r.Header.Get("x-acs-content-sha256")}, "\n")
	ch2 := sha256.Sum256([]byte(canon))
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("ACS3-HMAC-SHA256\n" + hex.EncodeToString(ch2[:])))
	r.Header.Set("Authorization", "ACS3-HMAC-SHA256 Credential="+id+",SignedHeaders="+strings.Join(names, ";")+",Signature="+hex.EncodeToString(m.Sum(nil)))
	// Applied after signing: each edge is refused before the signature is
	// compared, so the answer names the edge, not the signature.
	if tweak != nil {
		tweak(r)
	}
	return r
}

func do(t *testing.T, r *http.Request) (int, map[string]any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

// Protocol edges the SDK never produces, and the shape of the answers.
func TestWireProtocol(t *testing.T) {
	e := testenv.Start(t, testenv.Options{NoEngines: true})
	a, _ := e.App.Store.GetApp(context.Background(), e.AppID)
	id, secret := alibaba.Keyring{Key: e.App.API.AlibabaKey}.Credentials(a.ID, a.Generation)
	q := url.Values{"SceneId": {e.PlanID}, "OuterOrderNo": {"o1"}, "ProductCode": {"LR_FR"}}

	// A good call, and its exact shape.
	status, m := do(t, signed(t, e.URL, id, secret, "InitFaceVerify", q, "Model=LIVENESS", nil))
	ro, _ := m["ResultObject"].(map[string]any)
	if status != 200 || m["Code"] != "200" || m["Message"] != "success" || m["RequestId"] == "" || ro["CertifyId"] == "" || ro["CertifyUrl"] == "" || len(m) != 4 || len(ro) != 2 {
		t.Fatalf("InitFaceVerify: %d %v", status, m)
	}

	for name, c := range map[string]struct {
		action, form string
		q            url.Values
		tweak        func(*http.Request)
		status       int
		code         string
	}{
		"unknown action":    {"VerifyMaterial", "", q, nil, 404, "InvalidAction.NotFound"},
		"other version":     {"InitFaceVerify", "", q, func(r *http.Request) { r.Header.Set("x-acs-version", "2018-09-16") }, 400, "InvalidVersion"},
		"body hash":         {"InitFaceVerify", "Model=LIVENESS", q, func(r *http.Request) { r.Header.Set("x-acs-content-sha256", strings.Repeat("0", 64)) }, 400, "SignatureDoesNotMatch"},
		"malformed":         {"InitFaceVerify", "", q, func(r *http.Request) { r.Header.Set("Authorization", "ACS3-HMAC-SHA256 nonsense") }, 400, "IncompleteSignature"},
		"date format":       {"InitFaceVerify", "", q, func(r *http.Request) { r.Header.Set("x-acs-date", "yesterday") }, 400, "InvalidTimeStamp.Format"},
		"repeated param":    {"InitFaceVerify", "SceneId=other", q, nil, 400, "InvalidParameter"},
		"bad ProductCode":   {"InitFaceVerify", "", url.Values{"SceneId": {e.PlanID}, "OuterOrderNo": {"o1"}, "ProductCode": {"X"}}, nil, 400, "InvalidParameter"},
		"long OuterOrder":   {"InitFaceVerify", "", url.Values{"SceneId": {e.PlanID}, "OuterOrderNo": {strings.Repeat("o", 33)}, "ProductCode": {"LR_FR"}}, nil, 400, "InvalidParameter"},
		"missing CertifyId": {"DescribeFaceVerify", "", url.Values{"SceneId": {e.PlanID}}, nil, 400, "MissingParameter"},
	} {
		status, m := do(t, signed(t, e.URL, id, secret, c.action, c.q, c.form, c.tweak))
		if status != c.status || m["Code"] != c.code || m["RequestId"] == "" {
			t.Errorf("%s: %d %v, want %d %s", name, status, m, c.status, c.code)
		}
		if status != 200 && (m["HostId"] == nil || m["Message"] == "") {
			t.Errorf("%s: gateway error shape %v", name, m)
		}
	}

	// Legacy signature with a parameter missing.
	r, _ := http.NewRequest("POST", e.URL+"/?Action=DescribeFaceVerify&Version=2019-03-07&Signature=x", nil)
	if status, m := do(t, r); status != 400 || m["Code"] != "MissingParameter" {
		t.Errorf("legacy without AccessKeyId: %d %v", status, m)
	}

	// A disabled app's key is inactive.
	if _, err := e.App.Admin.SetDisabled(context.Background(), "t", e.AppID, true); err != nil {
		t.Fatal(err)
	}
	if status, m := do(t, signed(t, e.URL, id, secret, "InitFaceVerify", q, "", nil)); status != 400 || m["Code"] != "InvalidAccessKeyId.Inactive" {
		t.Errorf("disabled app: %d %v", status, m)
	}
}
