package tencent_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
	faceid "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/faceid/v20180301"

	"github.com/faceprint/faceprint/internal/api"
	"github.com/faceprint/faceprint/internal/plan"
	"github.com/faceprint/faceprint/internal/testenv"
	"github.com/faceprint/faceprint/internal/testenv/testclock"
	"github.com/faceprint/faceprint/internal/verify"
	"github.com/faceprint/faceprint/internal/verify/verifytest"
)

// env is a faceprint server with the fast fake engines (as in the api
// tests) and an injected clock.
func env(t *testing.T, clk *testclock.Clock) *testenv.Env {
	t.Helper()
	e := testenv.Start(t, testenv.Options{NoEngines: true, Clock: clk.Now})
	v := e.App.Verify
	v.Cards = &verifytest.Card{Front: verifytest.SpecimenFront, Back: verifytest.SpecimenBack}
	v.Liveness, v.Matcher = &verifytest.Liveness{}, &verifytest.Matcher{Score: 93.7835}
	return e
}

// capture records the last request the SDK sent (for the replay test).
type capture struct {
	mu     sync.Mutex
	header http.Header
	body   []byte
}

func (c *capture) RoundTrip(r *http.Request) (*http.Response, error) {
	b, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	c.header, c.body = r.Header.Clone(), b
	c.mu.Unlock()
	r.Body = io.NopCloser(bytes.NewReader(b))
	return http.DefaultTransport.RoundTrip(r)
}

// client is the official SDK, unmodified but for the endpoint.
func client(t *testing.T, e *testenv.Env, secretID, secretKey string) (*faceid.Client, *capture) {
	t.Helper()
	cpf := profile.NewClientProfile()
	cpf.HttpProfile.Endpoint = strings.TrimPrefix(e.URL, "http://")
	cpf.HttpProfile.Scheme = "HTTP"
	c, err := faceid.NewClient(common.NewCredential(secretID, secretKey), "ap-guangzhou", cpf)
	if err != nil {
		t.Fatal(err)
	}
	cp := &capture{}
	c.WithHttpTransport(cp)
	return c, cp
}

func creds(t *testing.T, e *testenv.Env) (string, string) {
	t.Helper()
	a, err := e.App.Store.GetApp(context.Background(), e.AppID)
	if err != nil {
		t.Fatal(err)
	}
	m := api.TencentCredentials(e.App.API.TencentKey, a)
	return m["secret_id"], m["secret_key"]
}

func sdkCode(err error) string {
	var se *tcerr.TencentCloudSDKError
	if errors.As(err, &se) {
		return se.Code
	}
	if err != nil {
		return "not an SDK error: " + err.Error()
	}
	return ""
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

func TestOfficialGoSDK(t *testing.T) {
	clk := testclock.New(time.Now())
	e := env(t, clk)
	o := plan.Defaults()
	o.IdentityInput, o.CompareSource, o.Liveness.Mode = plan.InputSubmitted, plan.CompareUploaded, plan.LivenessSilent
	rule := e.CreatePlan(o)
	id, key := creds(t, e)
	c, cp := client(t, e, id, key)
	photo := "/9j/4AAQSkZJRgABAQAAAQABAAD/" + base64.StdEncoding.EncodeToString(make([]byte, 64))

	// DetectAuth: identity, comparison photo, redirect and Extra.
	req := faceid.NewDetectAuthRequest()
	req.RuleId = common.StringPtr(rule)
	req.IdCard = common.StringPtr(verifytest.SpecimenFront.IDCardNumber)
	req.Name = common.StringPtr(verifytest.SpecimenFront.Name)
	req.RedirectUrl = common.StringPtr("https://shop.example/done")
	req.Extra = common.StringPtr("order-42")
	req.ImageBase64 = common.StringPtr(photo)
	resp, err := c.DetectAuth(req)
	if err != nil {
		t.Fatalf("DetectAuth: %v", err)
	}
	tok, link := *resp.Response.BizToken, *resp.Response.Url
	if tok == "" || *resp.Response.RequestId == "" || !strings.HasPrefix(link, e.URL+"/face/print/?token=") {
		t.Fatalf("DetectAuth answer: token %q url %q", tok, link)
	}
	// The link is the H5 page, as the Baidu wire's.
	if r, err := http.Get(link); err != nil || r.StatusCode != 200 {
		t.Fatalf("H5 link: %v %v", r, err)
	} else {
		r.Body.Close()
	}

	// Replaying the exact signed DetectAuth is refused.
	replay, _ := http.NewRequest("POST", e.URL+"/", bytes.NewReader(cp.body))
	replay.Header = cp.header.Clone()
	rr, err := http.DefaultClient.Do(replay)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Response struct {
			Error struct{ Code, Message string }
		}
	}
	_ = json.NewDecoder(rr.Body).Decode(&rep)
	rr.Body.Close()
	if rep.Response.Error.Code != "AuthFailure.SignatureFailure" || !strings.Contains(rep.Response.Error.Message, "replay") {
		t.Errorf("replayed DetectAuth: %+v", rep.Response.Error)
	}

	get := func(infoType string) *faceid.GetDetectInfoEnhancedResponse {
		t.Helper()
		q := faceid.NewGetDetectInfoEnhancedRequest()
		q.BizToken, q.RuleId, q.InfoType = common.StringPtr(tok), common.StringPtr(rule), common.StringPtr(infoType)
		q.BestFramesCount = common.Uint64Ptr(3)
		r, err := c.GetDetectInfoEnhanced(q)
		if err != nil {
			t.Fatalf("GetDetectInfoEnhanced: %v", err)
		}
		return r
	}
	// Before the user finished: no ErrCode yet.
	if r := get("1"); r.Response.Text == nil || r.Response.Text.ErrCode != nil {
		t.Errorf("unfinished: %+v", r.Response.Text)
	}

	drive(t, e, tok)

	r := get("0")
	tx := r.Response.Text
	if tx == nil || tx.ErrCode == nil || *tx.ErrCode != 0 || *tx.LiveStatus != 0 || *tx.Comparestatus != 0 {
		t.Fatalf("passed session Text: %+v", tx)
	}
	if *tx.Sim != "93.78" || *tx.Extra != "order-42" || *tx.IdCard != verifytest.SpecimenFront.IDCardNumber || *tx.Name != verifytest.SpecimenFront.Name {
		t.Errorf("Text fields: sim %v extra %v id %v name %v", *tx.Sim, *tx.Extra, *tx.IdCard, *tx.Name)
	}
	if r.Response.BestFrame == nil || r.Response.BestFrame.BestFrame == nil || len(r.Response.BestFrame.BestFrames) != 1 {
		t.Fatalf("BestFrame: %+v", r.Response.BestFrame)
	}
	// Same decision, score and face image as Baidu's result/detail and result/getall.
	detail := e.Call("/rpc/2.0/brain/solution/faceprint/result/detail", map[string]string{"verify_token": tok})
	vr := detail["result"].(map[string]any)["verify_result"].(map[string]any)
	if vr["score"].(float64) != 93.7835 {
		t.Errorf("Baidu detail score %v vs Tencent Sim %s", vr["score"], *tx.Sim)
	}
	getall := e.Call("/rpc/2.0/brain/solution/faceprint/result/getall", map[string]string{"verify_token": tok})
	att := getall["result"].(map[string]any)["verify_result"].([]any)[0].(map[string]any)
	if att["is_verify_passed"] != true {
		t.Errorf("Baidu getall disagrees: %v", att)
	}
	simple := e.Call("/rpc/2.0/brain/solution/faceprint/result/simple", map[string]string{"verify_token": tok})
	imgURL, _ := simple["result"].(map[string]any)["image"].(string)
	ir, err := http.Get(imgURL)
	if err != nil {
		t.Fatal(err)
	}
	face, _ := io.ReadAll(ir.Body)
	ir.Body.Close()
	if got, _ := base64.StdEncoding.DecodeString(*r.Response.BestFrame.BestFrame); !bytes.Equal(got, face) || len(face) == 0 {
		t.Errorf("BestFrame differs from Baidu's result/simple image (%d vs %d bytes)", len(got), len(face))
	}
	// InfoType narrows the answer.
	if r := get("3"); r.Response.Text != nil || r.Response.IdCardData != nil || r.Response.BestFrame == nil {
		t.Errorf("InfoType 3: %+v", r.Response)
	}
}

func TestOfficialGoSDKFailedSession(t *testing.T) {
	clk := testclock.New(time.Now())
	e := env(t, clk)
	e.App.Verify.Liveness = &verifytest.Liveness{Fail: true, Reason: "static_image"}
	o := plan.Defaults()
	o.IdentityInput, o.CompareSource, o.Liveness.Mode, o.MaxAttempts = plan.InputManual, plan.CompareNone, plan.LivenessSilent, 1
	rule := e.CreatePlan(o)
	id, key := creds(t, e)
	c, _ := client(t, e, id, key)
	req := faceid.NewDetectAuthRequest()
	req.RuleId = common.StringPtr(rule)
	resp, err := c.DetectAuth(req)
	if err != nil {
		t.Fatal(err)
	}
	tok := *resp.Response.BizToken
	drive(t, e, tok)
	q := faceid.NewGetDetectInfoEnhancedRequest()
	q.BizToken, q.RuleId = common.StringPtr(tok), common.StringPtr(rule)
	r, err := c.GetDetectInfoEnhanced(q)
	if err != nil {
		t.Fatal(err)
	}
	tx := r.Response.Text
	if tx == nil || tx.ErrCode == nil || *tx.ErrCode != 216434 || tx.LiveStatus == nil || *tx.LiveStatus != 216434 || tx.Comparestatus != nil {
		t.Errorf("failed liveness Text: %+v", tx)
	}
	getall := e.Call("/rpc/2.0/brain/solution/faceprint/result/getall", map[string]string{"verify_token": tok})
	att := getall["result"].(map[string]any)["verify_result"].([]any)[0].(map[string]any)
	if att["is_verify_passed"] != false || att["code"] != "216434" {
		t.Errorf("Baidu getall: %v", att)
	}
}

func TestOfficialGoSDKErrors(t *testing.T) {
	clk := testclock.New(time.Now())
	e := env(t, clk)
	id, key := creds(t, e)
	detect := func(c *faceid.Client, rule string) error {
		req := faceid.NewDetectAuthRequest()
		req.RuleId = common.StringPtr(rule)
		_, err := c.DetectAuth(req)
		return err
	}
	good, _ := client(t, e, id, key)
	bad, _ := client(t, e, id, key[:31]+"x")
	unknown, _ := client(t, e, "AKIDfp"+e.AppID+"_00000000000000000000", key)
	for name, c := range map[string]struct {
		err  error
		want string
	}{
		"bad signature":  {detect(bad, e.PlanID), "AuthFailure.SignatureFailure"},
		"unknown id":     {detect(unknown, e.PlanID), "AuthFailure.SecretIdNotFound"},
		"unknown RuleId": {detect(good, "no-such-plan"), "InvalidParameterValue.RuleIdNotExist"},
		"missing RuleId": {detect(good, ""), "MissingParameter"},
	} {
		if got := sdkCode(c.err); got != c.want {
			t.Errorf("%s: %s, want %s", name, got, c.want)
		}
	}
	// RuleId must match the BizToken's.
	resp, err := good.DetectAuth(&faceid.DetectAuthRequest{BaseRequest: faceid.NewDetectAuthRequest().BaseRequest, RuleId: common.StringPtr(e.PlanID)})
	if err != nil {
		t.Fatal(err)
	}
	q := faceid.NewGetDetectInfoEnhancedRequest()
	q.BizToken, q.RuleId = resp.Response.BizToken, common.StringPtr("other-rule")
	if _, err := good.GetDetectInfoEnhanced(q); sdkCode(err) != "InvalidParameterValue.RuleIdNotExist" {
		t.Errorf("wrong RuleId: %v", err)
	}
	q.RuleId, q.BizToken = common.StringPtr(e.PlanID), common.StringPtr("nosuchtoken")
	if _, err := good.GetDetectInfoEnhanced(q); sdkCode(err) != "InvalidParameterValue.BizTokenIllegal" {
		t.Errorf("unknown BizToken: %v", err)
	}
	// Rotating the app's secret retires the Tencent key too.
	if _, err := e.App.Admin.RotateSecret(context.Background(), "t", e.AppID); err != nil {
		t.Fatal(err)
	}
	if err := detect(good, e.PlanID); sdkCode(err) != "AuthFailure.SignatureFailure" {
		t.Errorf("old key after rotate-secret: %v", err)
	}
	id2, key2 := creds(t, e)
	if id2 != id || key2 == key {
		t.Errorf("rotate-secret: SecretId must stay, SecretKey change")
	}
	// The server's clock 6 minutes ahead of the signer's: expired.
	fresh, _ := client(t, e, id2, key2)
	clk.Add(6 * time.Minute)
	if err := detect(fresh, e.PlanID); sdkCode(err) != "AuthFailure.SignatureExpire" {
		t.Errorf("expired timestamp: %v", err)
	}
}

// Protocol edges through the SDK's own signing: an unsigned payload, an
// action and a version this server does not offer, the app's QPS limit.
func TestOfficialGoSDKProtocol(t *testing.T) {
	clk := testclock.New(time.Now())
	e := env(t, clk)
	id, key := creds(t, e)

	cpf := profile.NewClientProfile()
	cpf.HttpProfile.Endpoint, cpf.HttpProfile.Scheme = strings.TrimPrefix(e.URL, "http://"), "HTTP"
	cpf.UnsignedPayload = true
	unsigned, err := faceid.NewClient(common.NewCredential(id, key), "ap-guangzhou", cpf)
	if err != nil {
		t.Fatal(err)
	}
	req := faceid.NewDetectAuthRequest()
	req.RuleId = common.StringPtr(e.PlanID)
	if _, err := unsigned.DetectAuth(req); err != nil {
		t.Errorf("UNSIGNED-PAYLOAD request: %v", err)
	}

	c, _ := client(t, e, id, key)
	send := func(version, action string) error {
		r := &tchttp.BaseRequest{}
		r.Init().WithApiInfo("faceid", version, action)
		return c.Send(r, &tchttp.BaseResponse{})
	}
	if err := send("2018-03-01", "LivenessCompare"); sdkCode(err) != "InvalidAction" {
		t.Errorf("unknown action: %v", err)
	}
	if err := send("2017-01-01", "DetectAuth"); sdkCode(err) != "NoSuchVersion" {
		t.Errorf("other version: %v", err)
	}

	// Raw requests: GET and a malformed Authorization header.
	for name, r := range map[string]*http.Request{
		"GET": func() *http.Request { r, _ := http.NewRequest("GET", e.URL+"/?Action=DetectAuth", nil); return r }(),
		"malformed": func() *http.Request {
			r, _ := http.NewRequest("POST", e.URL+"/", strings.NewReader("{}"))
			r.Header.Set("Authorization", "TC3-HMAC-SHA256 nonsense")
			return r
		}(),
	} {
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		var out struct {
			Response struct {
				Error     struct{ Code string }
				RequestId string
			}
		}
		_ = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		want := map[string]string{"GET": "", "malformed": "AuthFailure.InvalidAuthorization"}[name]
		if name == "GET" {
			// GET / is not a Tencent route here (POST only): no Tencent answer.
			if resp.StatusCode == 200 && out.Response.Error.Code == "" && out.Response.RequestId != "" {
				t.Errorf("GET answered as a Tencent success")
			}
			continue
		}
		if out.Response.Error.Code != want || out.Response.RequestId == "" {
			t.Errorf("%s: %+v", name, out.Response)
		}
	}

	// The app's QPS (burst 1 here) is enforced on this wire too.
	n, err := e.App.Admin.CreateApp(context.Background(), "t", "slow", 1)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := e.App.Store.GetApp(context.Background(), n.AppID)
	m := api.TencentCredentials(e.App.API.TencentKey, a)
	slow, _ := client(t, e, m["secret_id"], m["secret_key"])
	limited := false
	for range 3 {
		if err := send2(slow); sdkCode(err) == "RequestLimitExceeded" {
			limited = true
		}
	}
	if !limited {
		t.Error("3 calls at once on a 1-QPS app were all accepted")
	}
}

// send2 is a cheap signed call (unknown BizToken) for the rate-limit test.
func send2(c *faceid.Client) error {
	q := faceid.NewGetDetectInfoEnhancedRequest()
	q.BizToken, q.RuleId = common.StringPtr("x"), common.StringPtr("y")
	_, err := c.GetDetectInfoEnhanced(q)
	return err
}
