// Package alisdk runs Alibaba Cloud's official npm SDK
// (@alicloud/cloudauth20190307@3.5.0, unmodified but for the endpoint and
// protocol) against a real faceprint server: credentials, both signatures,
// InitFaceVerify and DescribeFaceVerify around a session driven to its end,
// and the error paths.
package alisdk

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faceprint/faceprint/internal/api/alibaba"
	"github.com/faceprint/faceprint/internal/plan"
	"github.com/faceprint/faceprint/internal/testenv"
	"github.com/faceprint/faceprint/internal/testenv/testclock"
	"github.com/faceprint/faceprint/internal/verify"
	"github.com/faceprint/faceprint/internal/verify/verifytest"
)

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
			t.Skipf("%s is not installed (needed to run the official Alibaba Cloud node SDK); set CI=1 to make this a failure", tool)
		}
	}
	cmd := exec.Command("bash", filepath.Join(here(t), "setup.sh"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if !ci {
			t.Skipf("the Alibaba Cloud SDK could not be installed (test/alisdk/setup.sh: %v); set CI=1 to make this a failure\n%s", err, stderr.String())
		}
		t.Fatalf("test/alisdk/setup.sh: %v\n%s", err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// proxy sits between the SDK and the server and keeps the last request, so
// a test can replay it byte for byte.
type proxy struct {
	srv  *httptest.Server
	mu   sync.Mutex
	last *http.Request
	body []byte
}

func newProxy(t *testing.T, target string) *proxy {
	p := &proxy{}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		p.mu.Lock()
		p.last, p.body = r.Clone(context.Background()), b
		p.mu.Unlock()
		out, _ := http.NewRequest(r.Method, target+r.URL.RequestURI(), bytes.NewReader(b))
		out.Header = r.Header.Clone()
		out.Host = r.Host // the SDK signs the host it was given
		resp, err := http.DefaultClient.Do(out)
		if err != nil {
			http.Error(w, err.Error(), 502)
			return
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

// replay sends the last request again, unchanged.
func (p *proxy) replay(t *testing.T) (int, map[string]any) {
	t.Helper()
	p.mu.Lock()
	r, b := p.last, p.body
	p.mu.Unlock()
	req, _ := http.NewRequest(r.Method, p.srv.URL+r.URL.RequestURI(), bytes.NewReader(b))
	req.Header = r.Header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

type sdkCall struct {
	Action             string         `json:"action"`
	Request            map[string]any `json:"request"`
	AccessKeyID        string         `json:"accessKeyId"`
	AccessKeySecret    string         `json:"accessKeySecret"`
	SignatureAlgorithm string         `json:"signatureAlgorithm,omitempty"`
}

type sdkResult struct {
	StatusCode int `json:"statusCode"`
	Body       struct {
		RequestID    string         `json:"requestId"`
		Code         string         `json:"code"`
		Message      string         `json:"message"`
		ResultObject map[string]any `json:"resultObject"`
	} `json:"body"`
	Error *struct {
		Code       string `json:"code"`
		StatusCode int    `json:"statusCode"`
		Message    string `json:"message"`
	} `json:"error"`
}

// run runs sdk.js with the calls and returns one result per call.
func run(t *testing.T, dir, endpoint string, calls ...sdkCall) []sdkResult {
	t.Helper()
	in, _ := json.Marshal(calls)
	cmd := exec.Command("node", filepath.Join(here(t), "sdk.js"))
	cmd.Env = append(os.Environ(), "FP_ALISDK_DIR="+dir, "FP_ENDPOINT="+endpoint, "FP_CALLS="+string(in))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("node sdk.js: %v\nstderr: %s", err, stderr.String())
		}
	case <-time.After(2 * time.Minute):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("node sdk.js did not finish in 2 minutes\nstderr: %s", stderr.String())
	}
	var res []sdkResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil || len(res) != len(calls) {
		t.Fatalf("sdk.js output (%v): %s", err, stdout.String())
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("SDK output: %s", stdout.String())
		}
	})
	return res
}

// env is a faceprint server with the fast fake engines and an injected clock.
func env(t *testing.T, clk *testclock.Clock) *testenv.Env {
	t.Helper()
	e := testenv.Start(t, testenv.Options{NoEngines: true, Clock: clk.Now})
	v := e.App.Verify
	v.Cards = &verifytest.Card{Front: verifytest.SpecimenFront, Back: verifytest.SpecimenBack}
	v.Liveness, v.Matcher = &verifytest.Liveness{}, &verifytest.Matcher{Score: 93.7835}
	return e
}

func creds(t *testing.T, e *testenv.Env) (string, string) {
	t.Helper()
	a, err := e.App.Store.GetApp(context.Background(), e.AppID)
	if err != nil {
		t.Fatal(err)
	}
	return alibaba.Keyring{Key: e.App.API.AlibabaKey}.Credentials(a.ID, a.Generation)
}

// drive takes a session through the verify service (the H5 page's
// interface) to its final state with the fake engines.
func drive(t *testing.T, e *testenv.Env, tok string) {
	t.Helper()
	ctx := context.Background()
	v := e.App.Verify
	view, err := v.Start(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	img := []byte("\xff\xd8\xff\xe0\x00\x10JFIF fake image bytes \xff\xd9")
	if view.Step == "confirm" {
		if _, err := v.ConfirmIdentity(ctx, tok, verifytest.SpecimenFront.Name, verifytest.SpecimenFront.IDCardNumber); err != nil {
			t.Fatal(err)
		}
	}
	ch, _, err := v.IssueChallenge(ctx, tok, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := v.SubmitCapture(ctx, tok, ch.ID, verify.Capture{Frames: []verify.Frame{{Image: img}}}); err != nil {
		t.Fatal(err)
	}
}

func material(t *testing.T, ro map[string]any) map[string]any {
	t.Helper()
	s, _ := ro["materialInfo"].(string)
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("MaterialInfo is not a JSON string: %v", ro["materialInfo"])
	}
	return m
}

func TestOfficialNodeSDK(t *testing.T) {
	dir := sdkDir(t)
	clk := testclock.New(time.Now())
	e := env(t, clk)
	o := plan.Defaults()
	o.IdentityInput, o.CompareSource, o.Liveness.Mode = plan.InputSubmitted, plan.CompareUploaded, plan.LivenessSilent
	planID := e.CreatePlan(o)
	scene, err := strconv.ParseInt(planID, 10, 64) // SceneId is a Long: the plan id as a number
	if err != nil {
		t.Fatal(err)
	}
	id, secret := creds(t, e)
	px := newProxy(t, e.URL)
	endpoint := strings.TrimPrefix(px.srv.URL, "http://")
	photo := "/9j/4AAQSkZJRgABAQAAAQABAAD/" + base64.StdEncoding.EncodeToString(make([]byte, 64))

	init := sdkCall{Action: "initFaceVerify", AccessKeyID: id, AccessKeySecret: secret, Request: map[string]any{
		"sceneId": scene, "outerOrderNo": "order-42", "productCode": "PV_FV", "model": "LIVENESS",
		"certName": verifytest.SpecimenFront.Name, "certNo": verifytest.SpecimenFront.IDCardNumber, "certType": "IDENTITY_CARD",
		"returnUrl": "https://shop.example/done", "metaInfo": `{"zimVer":"3.0.0","appVersion":"1","bioMetaInfo":"4.1.0:1150976,0"}`,
		"faceContrastPicture": photo,
	}}
	res := run(t, dir, endpoint, init)[0]
	if res.Error != nil || res.Body.Code != "200" || res.Body.RequestID == "" {
		t.Fatalf("InitFaceVerify: %+v", res)
	}
	tok, _ := res.Body.ResultObject["certifyId"].(string)
	link, _ := res.Body.ResultObject["certifyUrl"].(string)
	if tok == "" || !strings.HasPrefix(link, "http://"+endpoint+"/face/print/?token=") {
		t.Fatalf("InitFaceVerify answer: %+v", res.Body.ResultObject)
	}
	// The link is the H5 page, as the Baidu wire's.
	if r, err := http.Get(strings.Replace(link, px.srv.URL, e.URL, 1)); err != nil || r.StatusCode != 200 {
		t.Fatalf("H5 link: %v %v", r, err)
	} else {
		r.Body.Close()
	}
	// The same signed request again: its nonce was used.
	if status, m := px.replay(t); status != 400 || m["Code"] != "SignatureNonceUsed" {
		t.Errorf("replayed InitFaceVerify: %d %v", status, m)
	}

	describe := func(sceneID any, alg string) sdkCall {
		return sdkCall{Action: "describeFaceVerify", AccessKeyID: id, AccessKeySecret: secret, SignatureAlgorithm: alg,
			Request: map[string]any{"sceneId": sceneID, "certifyId": tok}}
	}
	// Before the user finished: not passed, no sub code yet.
	if r := run(t, dir, endpoint, describe(scene, ""))[0]; r.Error != nil || r.Body.Code != "200" || r.Body.ResultObject["passed"] != "F" || r.Body.ResultObject["subCode"] != nil {
		t.Errorf("unfinished: %+v %+v", r.Body, r.Error)
	}

	drive(t, e, tok)

	// V3 with SceneId as a number, the legacy HMAC-SHA1 signature with it as
	// a string: the same answer.
	rs := run(t, dir, endpoint, describe(scene, ""), describe(planID, "v2"))
	for i, r := range rs {
		ro := r.Body.ResultObject
		if r.Error != nil || r.Body.Code != "200" || ro["passed"] != "T" || ro["subCode"] != "200" {
			t.Fatalf("describe %d: %+v %+v", i, r.Body, r.Error)
		}
		m := material(t, ro)
		front, _ := m["facialPictureFront"].(map[string]any)
		if m["faceAttack"] != "F" || front == nil || front["verifyScore"] != 93.7835 {
			t.Errorf("describe %d MaterialInfo: %v", i, m)
		}
	}
	// Same decision, score and face image as Baidu's result/detail and result/simple.
	detail := e.Call("/rpc/2.0/brain/solution/faceprint/result/detail", map[string]string{"verify_token": tok})
	vr := detail["result"].(map[string]any)["verify_result"].(map[string]any)
	front := material(t, rs[0].Body.ResultObject)["facialPictureFront"].(map[string]any)
	if vr["score"] != front["verifyScore"] {
		t.Errorf("Baidu detail score %v vs Alibaba verifyScore %v", vr["score"], front["verifyScore"])
	}
	getall := e.Call("/rpc/2.0/brain/solution/faceprint/result/getall", map[string]string{"verify_token": tok})
	if att := getall["result"].(map[string]any)["verify_result"].([]any)[0].(map[string]any); att["is_verify_passed"] != true {
		t.Errorf("Baidu getall disagrees: %v", att)
	}
	simple := e.Call("/rpc/2.0/brain/solution/faceprint/result/simple", map[string]string{"verify_token": tok})
	fetch := func(u string) []byte {
		r, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		return b
	}
	baiduFace := fetch(simple["result"].(map[string]any)["image"].(string))
	aliFace := fetch(strings.Replace(front["pictureUrl"].(string), px.srv.URL, e.URL, 1))
	if len(baiduFace) == 0 || !bytes.Equal(baiduFace, aliFace) {
		t.Errorf("pictureUrl image differs from Baidu's result/simple image (%d vs %d bytes)", len(aliFace), len(baiduFace))
	}
}

func TestOfficialNodeSDKFailedSession(t *testing.T) {
	dir := sdkDir(t)
	clk := testclock.New(time.Now())
	e := env(t, clk)
	e.App.Verify.Liveness = &verifytest.Liveness{Fail: true, Reason: "static_image"}
	o := plan.Defaults()
	o.IdentityInput, o.CompareSource, o.Liveness.Mode, o.MaxAttempts = plan.InputManual, plan.CompareNone, plan.LivenessSilent, 1
	planID := e.CreatePlan(o)
	id, secret := creds(t, e)
	endpoint := strings.TrimPrefix(e.URL, "http://")
	// The legacy HMAC-SHA1 signature over query and form body (Model is a body parameter).
	res := run(t, dir, endpoint, sdkCall{Action: "initFaceVerify", AccessKeyID: id, AccessKeySecret: secret, SignatureAlgorithm: "v2",
		Request: map[string]any{"sceneId": planID, "outerOrderNo": "o1", "productCode": "LR_FR", "model": "LIVENESS"}})[0]
	tok, _ := res.Body.ResultObject["certifyId"].(string)
	if tok == "" {
		t.Fatalf("InitFaceVerify: %+v %+v", res.Body, res.Error)
	}
	drive(t, e, tok)
	r := run(t, dir, endpoint, sdkCall{Action: "describeFaceVerify", AccessKeyID: id, AccessKeySecret: secret,
		Request: map[string]any{"sceneId": planID, "certifyId": tok}})[0]
	ro := r.Body.ResultObject
	if r.Error != nil || ro["passed"] != "F" || ro["subCode"] != "205" || material(t, ro)["faceAttack"] != "T" {
		t.Errorf("failed liveness: %+v %+v", r.Body, r.Error)
	}
	getall := e.Call("/rpc/2.0/brain/solution/faceprint/result/getall", map[string]string{"verify_token": tok})
	att := getall["result"].(map[string]any)["verify_result"].([]any)[0].(map[string]any)
	if att["is_verify_passed"] != false {
		t.Errorf("Baidu getall: %v", att)
	}
}

func TestOfficialNodeSDKErrors(t *testing.T) {
	dir := sdkDir(t)
	clk := testclock.New(time.Now())
	e := env(t, clk)
	id, secret := creds(t, e)
	endpoint := strings.TrimPrefix(e.URL, "http://")
	idPlan := e.CreatePlan(plan.Defaults()) // ID card OCR + comparison: takes ID_PRO
	init := func(keyID, key string, req map[string]any) sdkCall {
		r := map[string]any{"sceneId": idPlan, "outerOrderNo": "o1", "productCode": "ID_PRO"}
		for k, v := range req {
			r[k] = v
		}
		return sdkCall{Action: "initFaceVerify", AccessKeyID: keyID, AccessKeySecret: key, Request: r}
	}
	o := plan.Defaults()
	o.CompareSource, o.IdentityInput, o.Liveness.Mode = plan.CompareNone, plan.InputManual, plan.LivenessSilent
	livenessOnly := e.CreatePlan(o)
	calls := []sdkCall{
		init(id, secret[:29]+"x", nil),                              // bad signature
		init("LTAIfp"+e.AppID+"_00000000000000000000", secret, nil), // unknown AccessKeyId
		init(id, secret, map[string]any{"sceneId": "1234567890"}),   // unknown SceneId
		init(id, secret, map[string]any{"sceneId": nil}),            // missing SceneId
		init(id, secret, map[string]any{"sceneId": livenessOnly}),   // ID_PRO on a liveness-only plan
		init(id, secret, map[string]any{"callbackUrl": "https://shop.example/cb"}),
		{Action: "describeFaceVerify", AccessKeyID: id, AccessKeySecret: secret, Request: map[string]any{"sceneId": e.PlanID, "certifyId": "nosuchcertifyid"}},
	}
	want := []struct {
		status int
		code   string
	}{{400, "SignatureDoesNotMatch"}, {404, "InvalidAccessKeyId.NotFound"}, {200, "404"}, {400, "MissingParameter"}, {200, "401"}, {200, "401"}, {200, "401"}}
	for i, r := range run(t, dir, endpoint, calls...) {
		code, status := r.Body.Code, 200
		if r.Error != nil {
			code, status = r.Error.Code, r.Error.StatusCode
		}
		if code != want[i].code || status != want[i].status {
			t.Errorf("call %d: %d %s, want %d %s (%+v %+v)", i, status, code, want[i].status, want[i].code, r.Body, r.Error)
		}
	}
	if r := run(t, dir, endpoint, init(id, secret, nil))[0]; r.Error != nil || r.Body.Code != "200" {
		t.Errorf("ID_PRO on an ID card plan: %+v %+v", r.Body, r.Error)
	}
	// Rotating the app's secret retires the Alibaba secret too.
	if _, err := e.App.Admin.RotateSecret(context.Background(), "t", e.AppID); err != nil {
		t.Fatal(err)
	}
	id2, secret2 := creds(t, e)
	if id2 != id || secret2 == secret {
		t.Errorf("rotate-secret: AccessKeyId must stay, AccessKeySecret change")
	}
	// The server's clock 16 minutes ahead of the signer's: expired, with
	// both signatures.
	clk.Add(16 * time.Minute)
	rs := run(t, dir, endpoint, init(id2, secret2, nil), sdkCall{Action: "describeFaceVerify", AccessKeyID: id2, AccessKeySecret: secret2,
		SignatureAlgorithm: "v2", Request: map[string]any{"sceneId": idPlan, "certifyId": "x"}})
	for i, r := range rs {
		if r.Error == nil || r.Error.Code != "InvalidTimeStamp.Expired" || r.Error.StatusCode != 400 {
			t.Errorf("expired call %d: %+v %+v", i, r.Body, r.Error)
		}
	}
	clk.Add(-16 * time.Minute)
	if r := run(t, dir, endpoint, init(id, secret, nil))[0]; r.Error == nil || r.Error.Code != "SignatureDoesNotMatch" {
		t.Errorf("old secret after rotate-secret: %+v %+v", r.Body, r.Error)
	}
}
