package client_test

// Fast unit tests against an httptest fake that answers with the exact JSON
// shapes of Baidu's documents (the seed document and wire-reference). The
// same client is tested against the real faceprint server in
// integration_test.go.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/faceprint/faceprint/client"
)

const (
	testAK = "Va5yQRHlA4Fq5eR3LT0vuXV4"
	testSK = "0rDSjzQ20XUj5itV6WRtznPQSzr5pVw2"
)

// fake is a Baidu-shaped server: /oauth/2.0/token issues numbered tokens and
// every other path answers from routes, after checking the access_token.
type fake struct {
	t         *testing.T
	mu        sync.Mutex
	tokens    int             // tokens issued
	valid     map[string]bool // tokens currently accepted
	expiresIn int64
	routes    map[string]func(body []byte) string
	calls     map[string]int
	lastBody  map[string][]byte
	lastCT    map[string]string
}

func newFake(t *testing.T) (*fake, *httptest.Server) {
	f := &fake{t: t, valid: map[string]bool{}, expiresIn: 2592000, routes: map[string]func([]byte) string{},
		calls: map[string]int{}, lastBody: map[string][]byte{}, lastCT: map[string]string{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	f.calls[r.URL.Path]++
	if r.URL.Path == client.PathToken {
		form, _ := url.ParseQuery(string(body))
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" ||
			form.Get("grant_type") != "client_credentials" || form.Get("client_id") != testAK {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":"invalid_client","error_description":"unknown client id"}`)
			return
		}
		if form.Get("client_secret") != testSK {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":"invalid_client","error_description":"Client authentication failed"}`)
			return
		}
		f.tokens++
		tok := "24.6c5e1ff107f0e8bcef8c46d3424a0e7" + string(rune('0'+f.tokens%10)) + ".2592000.1485516651.282335-8574074"
		f.valid[tok] = true
		json.NewEncoder(w).Encode(map[string]any{
			"refresh_token": "25.b55fe1d287227ca97aab219bb249b8ab.315360000.1798284651.282335-8574074",
			"expires_in":    f.expiresIn, "scope": "public brain_all_scope vis-faceverify_FACE_V3",
			"session_key": "9mzdDZXu3dENdFZQurfg0Vz8slgSgvvOAUebNFzyzcpQ5EnbxbF", "access_token": tok,
			"session_secret": "dfac94a3489fe9fca7c3221cbf7525ff",
		})
		return
	}
	tok := r.URL.Query().Get("access_token")
	if tok == "" {
		io.WriteString(w, `{"error_code":100,"error_msg":"Invalid parameter"}`)
		return
	}
	if !f.valid[tok] {
		io.WriteString(w, `{"error_code":110,"error_msg":"Access token invalid or no longer valid"}`)
		return
	}
	h, ok := f.routes[r.URL.Path]
	if !ok {
		io.WriteString(w, `{"error_code":3,"error_msg":"Unsupported openapi method"}`)
		return
	}
	f.lastBody[r.URL.Path] = body
	f.lastCT[r.URL.Path] = r.Header.Get("Content-Type")
	io.WriteString(w, h(body))
}

func (f *fake) route(path, answer string) {
	f.mu.Lock()
	f.routes[path] = func([]byte) string { return answer }
	f.mu.Unlock()
}

func (f *fake) revokeAll() {
	f.mu.Lock()
	clear(f.valid)
	f.mu.Unlock()
}

func (f *fake) body(path string) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	var m map[string]any
	if err := json.Unmarshal(f.lastBody[path], &m); err != nil {
		f.t.Fatalf("%s body %q is not a JSON object: %v", path, f.lastBody[path], err)
	}
	return m
}

func (f *fake) count(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[path]
}

// Golden answers, copied from the seed document and wire-reference §3.
const (
	goldenGenerate = `{ "success": true, "result": { "verify_token": "Yz9rWITm4vak16PBAh5x8oG7" }, "log_id": "1814798895" }`
	goldenSimple   = `{ "success": true, "result": { "image": "https://bj.bcebos.com/face-solution?authorization=XXXX" }, "log_id": "1054986003" }`
	goldenDetail   = `{ "success": true, "result": { "verify_result": { "score": 93.7835, "liveness_score": 0.9672966, "spoofing": 0.0 }, "idcard_ocr_result": { "birthday": "19960216", "issue_authority": "胶南市公安局", "address": "山东省***********", "gender": "女", "nation": "汉", "expire_time": "20221103", "name": "柴*", "issue_time": "20121103", "id_card_number": "370***********5826" }, "idcard_images": { "front_base64": "/9j/4AAQSkZJRgAB....", "back_base64": "/9j/4AAQSkZJRgAB...." }, "idcard_confirm": { "idcard_number": "370***********5826", "name": "柴*" } }, "log_id": "160931948204246" }`
	goldenStat     = `{ "success": true, "result": { "身份证识别": [ { "error_code": 0, "count": 2 } ], "h5活体视频分析": [ { "error_code": 0, "count": 1 } ], "人脸实名认证-V3": [ { "error_code": 0, "count": 1 } ] }, "log_id": "1405335905" }`
	goldenSubmit   = `{"success":true,"result":1,"log_id":"1244068892"}`
	goldenUpload   = `{"success":true,"result":null,"log_id":"1329130892"}`
	goldenBusy     = `{"success":false,"result":null,"code":283400,"message":"服务异常,请稍后再试","log_id":"161763046823255"}`
	goldenGetAll   = `{"success":true,"result":{"verify_count":2,"ocr_charge_count":1,"match_charge_count":0,"verify_charge_count":1,
		"verify_result":[{"order":1,"is_verify_passed":false,"code":"222351","message":"身份证姓名不匹配","verify_time":"2024-04-02 16:10:01",
		  "is_charged":false,"charge_type":"verify","charge_time":"","is_ocr_charge":true,"ocr_charge_time":"2024-04-02 16:09:40","ocr_count":1,
		  "verify_detail":{"face_image":"","verify_log_id":"","score":0,"threshold":80.0,"liveness_score":0.99,"spoofing_score":0},
		  "idcard_confirm":{"name":"张三","idcard_number":"110101199001011234","idcard_type":"0"}},
		 {"order":2,"is_verify_passed":true,"code":"0","message":"核验成功","verify_time":"2024-04-02 16:15:01",
		  "is_charged":true,"charge_type":"verify","charge_time":"2024-04-02 16:15:01","is_ocr_charge":false,"ocr_count":0,
		  "verify_detail":{"face_image":"https://bj.bcebos.com/x.jpg","verify_log_id":"4455","score":84.4,"threshold":80.0,"liveness_score":0.98,"spoofing_score":0.01,"risk_level":3,"is_demote":false},
		  "idcard_confirm":{"name":"张三","idcard_number":"110101199001011234","idcard_type":"0"}}]},"log_id":"77"}`
	goldenMedia = `{"success":true,"result":{"processVideo":["https://x/v1.mp4"],"images":["https://x/1.jpg","https://x/2.jpg"],"video":"","extInfo":{}},"log_id":"78"}`
)

func TestTokenFetchedOnceAndCached(t *testing.T) {
	f, srv := newFake(t)
	f.route(client.PathGenerate, goldenGenerate)
	c := client.New(srv.URL+"/", testAK, testSK)
	ctx := context.Background()
	for range 3 {
		tok, err := c.GenerateVerifyToken(ctx, client.GenerateRequest{PlanID: "1"})
		if err != nil {
			t.Fatal(err)
		}
		if tok != "Yz9rWITm4vak16PBAh5x8oG7" {
			t.Fatalf("verify_token = %q", tok)
		}
	}
	if n := f.count(client.PathToken); n != 1 {
		t.Fatalf("token fetched %d times, want 1", n)
	}
	if c.TokenFetches() != 1 {
		t.Fatalf("TokenFetches = %d", c.TokenFetches())
	}
}

func TestTokenRefreshedAheadOfExpiry(t *testing.T) {
	f, srv := newFake(t)
	f.route(client.PathResultSimple, goldenSimple)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := client.New(srv.URL, testAK, testSK, client.WithClock(func() time.Time { return now }))
	ctx := context.Background()
	if _, err := c.ResultSimple(ctx, "t"); err != nil {
		t.Fatal(err)
	}
	now = now.Add(28 * 24 * time.Hour) // 30-day token: still used two days before expiry
	if _, err := c.ResultSimple(ctx, "t"); err != nil {
		t.Fatal(err)
	}
	if n := f.count(client.PathToken); n != 1 {
		t.Fatalf("after 28 days: %d fetches, want 1", n)
	}
	now = now.Add(36 * time.Hour) // inside the last day: refreshed before the server refuses it
	if _, err := c.ResultSimple(ctx, "t"); err != nil {
		t.Fatal(err)
	}
	if n := f.count(client.PathToken); n != 2 {
		t.Fatalf("within a day of expiry: %d fetches, want 2", n)
	}
}

func TestShortLivedTokenRefreshedAtNinetyPercent(t *testing.T) {
	f, srv := newFake(t)
	f.expiresIn = 3600
	f.route(client.PathResultSimple, goldenSimple)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := client.New(srv.URL, testAK, testSK, client.WithClock(func() time.Time { return now }))
	ctx := context.Background()
	c.ResultSimple(ctx, "t")
	now = now.Add(53 * time.Minute)
	c.ResultSimple(ctx, "t")
	if n := f.count(client.PathToken); n != 1 {
		t.Fatalf("at 53 min: %d fetches, want 1", n)
	}
	now = now.Add(2 * time.Minute)
	c.ResultSimple(ctx, "t")
	if n := f.count(client.PathToken); n != 2 {
		t.Fatalf("at 55 min: %d fetches, want 2", n)
	}
}

func TestRevokedTokenRefetchedAndRetriedOnce(t *testing.T) {
	f, srv := newFake(t)
	f.route(client.PathResultSimple, goldenSimple)
	c := client.New(srv.URL, testAK, testSK)
	ctx := context.Background()
	if _, err := c.ResultSimple(ctx, "t"); err != nil {
		t.Fatal(err)
	}
	f.revokeAll() // server-side rotate-secret: the cached token now gets 110
	res, err := c.ResultSimple(ctx, "t")
	if err != nil {
		t.Fatalf("after revocation the client should refetch and retry: %v", err)
	}
	if res.Image != "https://bj.bcebos.com/face-solution?authorization=XXXX" {
		t.Fatalf("image = %q", res.Image)
	}
	if n := f.count(client.PathToken); n != 2 {
		t.Fatalf("token fetches = %d, want 2", n)
	}
	if n := f.count(client.PathResultSimple); n != 3 {
		t.Fatalf("result/simple calls = %d, want 3 (ok, 110, retry)", n)
	}
}

func TestPersistent110ReturnedAfterOneRetry(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == client.PathToken {
			io.WriteString(w, `{"access_token":"24.x","expires_in":2592000,"scope":"public brain_all_scope"}`)
			return
		}
		calls.Add(1)
		io.WriteString(w, `{"error_code":111,"error_msg":"Access token expired"}`)
	}))
	defer srv.Close()
	c := client.New(srv.URL, testAK, testSK)
	_, err := c.ResultDetail(context.Background(), "t")
	if !client.IsTokenInvalid(err) {
		t.Fatalf("want a token error, got %v", err)
	}
	var re *client.RESTError
	if !errors.As(err, &re) || re.Code != 111 || re.Msg != "Access token expired" {
		t.Fatalf("RESTError = %+v", re)
	}
	if calls.Load() != 2 {
		t.Fatalf("API calls = %d, want 2 (one retry)", calls.Load())
	}
}

func TestConcurrentCallersShareOneTokenFetch(t *testing.T) {
	f, srv := newFake(t)
	f.route(client.PathGenerate, goldenGenerate)
	c := client.New(srv.URL, testAK, testSK)
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for range 32 {
		wg.Go(func() {
			_, err := c.GenerateVerifyToken(context.Background(), client.GenerateRequest{PlanID: "p"})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := f.count(client.PathToken); n != 1 {
		t.Fatalf("token fetches = %d, want 1", n)
	}
}

func TestBadCredentials(t *testing.T) {
	_, srv := newFake(t)
	for _, tc := range []struct{ ak, sk, desc string }{
		{"nope", testSK, "unknown client id"},
		{testAK, "nope", "Client authentication failed"},
	} {
		c := client.New(srv.URL, tc.ak, tc.sk)
		_, err := c.GenerateVerifyToken(context.Background(), client.GenerateRequest{PlanID: "1"})
		if !client.IsBadCredentials(err) {
			t.Fatalf("want invalid_client, got %v", err)
		}
		var oe *client.OAuthError
		if !errors.As(err, &oe) || oe.Description != tc.desc || oe.Status != 401 {
			t.Fatalf("OAuthError = %+v", oe)
		}
	}
}

func TestGenerateRequestBody(t *testing.T) {
	f, srv := newFake(t)
	f.route(client.PathGenerate, goldenGenerate)
	c := client.New(srv.URL, testAK, testSK)
	_, err := c.GenerateVerifyToken(context.Background(), client.GenerateRequest{
		PlanID: "12345", SuccessURL: "https://shop.example/ok?a=1", FailedURL: "https://shop.example/ko"})
	if err != nil {
		t.Fatal(err)
	}
	if ct := f.lastCT[client.PathGenerate]; ct != "application/json" {
		t.Fatalf("Content-Type = %q", ct)
	}
	b := f.body(client.PathGenerate)
	if b["plan_id"] != "12345" {
		t.Fatalf("plan_id = %#v", b["plan_id"])
	}
	rc, _ := b["redirect_config"].(map[string]any)
	if rc["success_url"] != "https://shop.example/ok?a=1" || rc["failed_url"] != "https://shop.example/ko" {
		t.Fatalf("redirect_config = %#v", b["redirect_config"])
	}
	// Without redirect URLs there is no redirect_config at all.
	c.GenerateVerifyToken(context.Background(), client.GenerateRequest{PlanID: "1"})
	if _, ok := f.body(client.PathGenerate)["redirect_config"]; ok {
		t.Fatal("empty redirect_config sent")
	}
	if _, err := c.GenerateVerifyToken(context.Background(), client.GenerateRequest{}); err == nil {
		t.Fatal("empty PlanID accepted")
	}
}

func TestSolutionBusinessError(t *testing.T) {
	f, srv := newFake(t)
	f.route(client.PathGenerate, goldenBusy)
	f.route(client.PathResultDetail, `{"success":false,"result":null,"code":283414,"message":"Token无效或者已过期","log_id":"99"}`)
	c := client.New(srv.URL, testAK, testSK)
	ctx := context.Background()
	_, err := c.GenerateVerifyToken(ctx, client.GenerateRequest{PlanID: "1"})
	var ae *client.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want *APIError, got %T %v", err, err)
	}
	if ae.Code != 283400 || ae.Message != "服务异常,请稍后再试" || ae.LogID != "161763046823255" {
		t.Fatalf("APIError = %+v", ae)
	}
	if code, ok := client.ErrorCode(err); !ok || code != 283400 {
		t.Fatalf("ErrorCode = %d %v", code, ok)
	}
	if client.IsVerifyTokenInvalid(err) || client.IsTokenInvalid(err) {
		t.Fatal("busy error classified as a token error")
	}
	_, err = c.ResultDetail(ctx, "other-apps-token")
	if !client.IsVerifyTokenInvalid(err) {
		t.Fatalf("want verify-token-invalid, got %v", err)
	}
}

func TestGatewayRateLimit(t *testing.T) {
	f, srv := newFake(t)
	f.route(client.PathResultStat, `{"error_code":18,"error_msg":"Open api qps request limit reached"}`)
	c := client.New(srv.URL, testAK, testSK)
	_, err := c.ResultStat(context.Background(), "t")
	if !client.IsRateLimited(err) || client.IsTokenInvalid(err) {
		t.Fatalf("want rate limit, got %v", err)
	}
}

func TestResultDetailGolden(t *testing.T) {
	f, srv := newFake(t)
	f.route(client.PathResultDetail, goldenDetail)
	c := client.New(srv.URL, testAK, testSK)
	d, err := c.ResultDetail(context.Background(), "cIupeyP51sn28XzxGVTfYqoN")
	if err != nil {
		t.Fatal(err)
	}
	if got := f.body(client.PathResultDetail)["verify_token"]; got != "cIupeyP51sn28XzxGVTfYqoN" {
		t.Fatalf("verify_token sent = %v", got)
	}
	want := client.VerifyResult{Score: 93.7835, LivenessScore: 0.9672966, Spoofing: 0}
	if d.VerifyResult != want {
		t.Fatalf("verify_result = %+v", d.VerifyResult)
	}
	o := d.IDCardOCRResult
	if o == nil || o.Name != "柴*" || o.IDCardNumber != "370***********5826" || o.Gender != "女" || o.Nation != "汉" ||
		o.Birthday != "19960216" || o.IssueAuthority != "胶南市公安局" || o.IssueTime != "20121103" || o.ExpireTime != "20221103" ||
		o.Address != "山东省***********" {
		t.Fatalf("idcard_ocr_result = %+v", o)
	}
	if d.IDCardImages == nil || d.IDCardImages.FrontBase64 != "/9j/4AAQSkZJRgAB...." || d.IDCardImages.BackBase64 == "" {
		t.Fatalf("idcard_images = %+v", d.IDCardImages)
	}
	if d.IDCardConfirm.Name != "柴*" || d.IDCardConfirm.IDCardNumber != "370***********5826" {
		t.Fatalf("idcard_confirm = %+v", d.IDCardConfirm)
	}
	if d.LogID != "160931948204246" {
		t.Fatalf("log_id = %q", d.LogID)
	}
}

func TestResultDetailStringScoresAndNoOCR(t *testing.T) {
	// The doc tables type the scores as strings; a manual-entry plan has no OCR parts.
	f, srv := newFake(t)
	f.route(client.PathResultDetail, `{"success":true,"result":{"verify_result":{"score":"81.5","liveness_score":"0.9","spoofing":"0"},
		"idcard_confirm":{"name":"张三","idcard_number":"110101199001011234"}},"log_id":"1"}`)
	c := client.New(srv.URL, testAK, testSK)
	d, err := c.ResultDetail(context.Background(), "t")
	if err != nil {
		t.Fatal(err)
	}
	if d.VerifyResult.Score != 81.5 || d.VerifyResult.LivenessScore != 0.9 {
		t.Fatalf("scores = %+v", d.VerifyResult)
	}
	if d.IDCardOCRResult != nil || d.IDCardImages != nil {
		t.Fatalf("OCR parts should be nil: %+v %+v", d.IDCardOCRResult, d.IDCardImages)
	}
}

func TestResultStatGolden(t *testing.T) {
	f, srv := newFake(t)
	f.route(client.PathResultStat, goldenStat)
	c := client.New(srv.URL, testAK, testSK)
	s, err := c.ResultStat(context.Background(), "t")
	if err != nil {
		t.Fatal(err)
	}
	if len(s) != 3 || s.Total(client.StatIDCardOCR) != 2 || s.Total(client.StatH5Liveness) != 1 || s.Total(client.StatPersonVerify3) != 1 {
		t.Fatalf("stat = %+v", s)
	}
	if s[client.StatIDCardOCR][0] != (client.StatCount{ErrorCode: 0, Count: 2}) {
		t.Fatalf("身份证识别 = %+v", s[client.StatIDCardOCR])
	}
}

func TestSubmitAndUpload(t *testing.T) {
	f, srv := newFake(t)
	f.route(client.PathIDCardSubmit, goldenSubmit)
	f.route(client.PathUploadMatchImage, goldenUpload)
	c := client.New(srv.URL, testAK, testSK)
	ctx := context.Background()
	if err := c.SubmitIDCard(ctx, "vt", "张三", "110101199001011234", client.CertMainlandID); err != nil {
		t.Fatal(err)
	}
	b := f.body(client.PathIDCardSubmit)
	if b["verify_token"] != "vt" || b["id_name"] != "张三" || b["id_no"] != "110101199001011234" || b["certificate_type"] != 0.0 {
		t.Fatalf("submit body = %#v", b)
	}
	jpeg := []byte{0xff, 0xd8, 0xff, 0xe0, 1, 2, 3}
	if err := c.UploadMatchImage(ctx, "vt", jpeg, "LOW", "NORMAL"); err != nil {
		t.Fatal(err)
	}
	b = f.body(client.PathUploadMatchImage)
	if b["image"] != base64.StdEncoding.EncodeToString(jpeg) || b["quality_control"] != "LOW" || b["liveness_control"] != "NORMAL" {
		t.Fatalf("upload body = %#v", b)
	}
}

func TestResultGetAllGolden(t *testing.T) {
	f, srv := newFake(t)
	f.route(client.PathResultGetAll, goldenGetAll)
	c := client.New(srv.URL, testAK, testSK)
	g, err := c.ResultGetAll(context.Background(), "t")
	if err != nil {
		t.Fatal(err)
	}
	if g.VerifyCount != 2 || g.OCRChargeCount != 1 || g.VerifyChargeCount != 1 || len(g.Attempts) != 2 {
		t.Fatalf("getall = %+v", g)
	}
	a := g.Attempts[1]
	if a.Order != 2 || !a.IsVerifyPassed || a.Code != "0" || a.Message != "核验成功" || !a.IsCharged ||
		a.VerifyDetail.Score != 84.4 || a.VerifyDetail.Threshold != 80 || a.VerifyDetail.RiskLevel != 3 ||
		a.IDCardConfirm.IDCardType != "0" || a.VerifyDetail.VerifyLogID != "4455" {
		t.Fatalf("attempt 2 = %+v", a)
	}
	if g.Attempts[0].IsVerifyPassed || g.Attempts[0].Code != "222351" || !g.Attempts[0].IsOCRCharge {
		t.Fatalf("attempt 1 = %+v", g.Attempts[0])
	}
}

func TestMediaQuery(t *testing.T) {
	f, srv := newFake(t)
	f.route(client.PathMediaQuery, goldenMedia)
	c := client.New(srv.URL, testAK, testSK)
	m, err := c.MediaQuery(context.Background(), "t")
	if err != nil {
		t.Fatal(err)
	}
	if len(m.ProcessVideo) != 1 || len(m.Images) != 2 || m.Images[1] != "https://x/2.jpg" {
		t.Fatalf("media = %+v", m)
	}
}

func TestMalformedResponses(t *testing.T) {
	f, srv := newFake(t)
	f.route(client.PathResultSimple, `<html>502 Bad Gateway</html>`)
	f.route(client.PathResultDetail, `{"log_id":"1"}`)
	f.route(client.PathGenerate, `{"success":true,"result":null,"log_id":"1"}`)
	c := client.New(srv.URL, testAK, testSK)
	ctx := context.Background()
	var he *client.HTTPError
	if _, err := c.ResultSimple(ctx, "t"); !errors.As(err, &he) || he.Status != 200 || !strings.Contains(he.Body, "502 Bad Gateway") {
		t.Fatalf("HTML body: %v", err)
	}
	if _, err := c.ResultDetail(ctx, "t"); !errors.As(err, &he) {
		t.Fatalf("no success field: %v", err)
	}
	if _, err := c.GenerateVerifyToken(ctx, client.GenerateRequest{PlanID: "1"}); !errors.As(err, &he) {
		t.Fatalf("null result: %v", err)
	}
}

func TestH5URL(t *testing.T) {
	for _, tc := range []struct{ base, want string }{
		{"https://fp.example.com", "https://fp.example.com/face/print/?token=Yz9r&successUrl=https%3A%2F%2Fshop%2Fok%3Fverify_result%3D1&failedUrl=https%3A%2F%2Fshop%2Fko"},
		{"https://fp.example.com/face/print/", "https://fp.example.com/face/print/?token=Yz9r&successUrl=https%3A%2F%2Fshop%2Fok%3Fverify_result%3D1&failedUrl=https%3A%2F%2Fshop%2Fko"},
	} {
		if got := client.H5URL(tc.base, "Yz9r", "https://shop/ok?verify_result=1", "https://shop/ko"); got != tc.want {
			t.Fatalf("H5URL(%q) = %q", tc.base, got)
		}
	}
	got := client.New("http://127.0.0.1:8080/", testAK, testSK).H5URL("abc", "", "")
	if got != "http://127.0.0.1:8080/face/print/?token=abc" {
		t.Fatalf("client H5URL = %q", got)
	}
	u, err := url.Parse(client.H5URL("https://h", "t k", "https://a/b?c=d&e=f", ""))
	if err != nil || u.Query().Get("token") != "t k" || u.Query().Get("successUrl") != "https://a/b?c=d&e=f" {
		t.Fatalf("round trip: %v %v", u, err)
	}
}

func TestFaceMatchSendsArray(t *testing.T) {
	f, srv := newFake(t)
	f.route(client.PathFaceMatch, `{"error_code":0,"error_msg":"SUCCESS","log_id":1234567890123,"timestamp":1700000000,"cached":0,
		"result":{"score":44.3,"face_list":[{"face_token":"fa"},{"face_token":"fb"}]}}`)
	c := client.New(srv.URL, testAK, testSK)
	m, err := c.FaceMatch(context.Background(),
		client.MatchImage{Image: client.ImageBytes([]byte("a")), FaceType: "LIVE"},
		client.MatchImage{Image: client.ImageURL("https://x/b.jpg"), FaceType: "IDCARD", Controls: client.Controls{Quality: "LOW"}})
	if err != nil {
		t.Fatal(err)
	}
	if m.Score != 44.3 || len(m.FaceTokens) != 2 || m.LogID != 1234567890123 {
		t.Fatalf("match = %+v", m)
	}
	var arr []map[string]string
	if err := json.Unmarshal(f.lastBody[client.PathFaceMatch], &arr); err != nil || len(arr) != 2 {
		t.Fatalf("match body %s: %v", f.lastBody[client.PathFaceMatch], err)
	}
	if arr[0]["image_type"] != "BASE64" || arr[0]["image"] != "YQ==" || arr[1]["image_type"] != "URL" || arr[1]["quality_control"] != "LOW" {
		t.Fatalf("match body = %v", arr)
	}
}

func TestFaceErrorEnvelope(t *testing.T) {
	f, srv := newFake(t)
	f.route(client.PathPersonVerify, `{"error_code":222202,"error_msg":"pic not has face","log_id":3344,"timestamp":1700000000,"cached":0,"result":null}`)
	f.route(client.PathFaceDetect, `{"error_code":2,"error_msg":"Service temporarily unavailable","log_id":5,"timestamp":1,"cached":0,"result":null}`)
	c := client.New(srv.URL, testAK, testSK)
	_, err := c.PersonVerify(context.Background(), client.ImageBytes([]byte("x")), "110101199001011234", "张三", client.Controls{})
	var re *client.RESTError
	if !errors.As(err, &re) || re.Code != client.CodeFaceNotFound || re.LogID != 3344 {
		t.Fatalf("person/verify error = %v", err)
	}
	_, err = c.FaceDetect(context.Background(), client.ImageBytes([]byte("x")), client.DetectOptions{})
	if !client.IsUnavailable(err) {
		t.Fatalf("detect error = %v", err)
	}
}

func TestFaceDetect(t *testing.T) {
	f, srv := newFake(t)
	f.route(client.PathFaceDetect, `{"error_code":0,"error_msg":"SUCCESS","log_id":9,"timestamp":1,"cached":0,"result":{"face_num":1,
		"face_list":[{"face_token":"ft","location":{"left":10.5,"top":20,"width":100,"height":110,"rotation":-3},"face_probability":1,
		"angle":{"yaw":1.5,"pitch":-2,"roll":0.5},"quality":{"occlusion":{"left_eye":0,"nose":0.1},"blur":0.01,"illumination":150,"completeness":1}}]}}`)
	c := client.New(srv.URL, testAK, testSK)
	d, err := c.FaceDetect(context.Background(), client.ImageFaceToken("ft0"), client.DetectOptions{FaceFields: []string{"quality", "age"}, MaxFaceNum: 2})
	if err != nil {
		t.Fatal(err)
	}
	if d.FaceNum != 1 || d.Faces[0].Location.Left != 10.5 || d.Faces[0].Location.Rotation != -3 || d.Faces[0].Angle.Yaw != 1.5 ||
		d.Faces[0].Quality == nil || d.Faces[0].Quality.Occlusion["nose"] != 0.1 || d.Faces[0].Quality.Illumination != 150 {
		t.Fatalf("detect = %+v %+v", d, d.Faces)
	}
	b := f.body(client.PathFaceDetect)
	if b["face_field"] != "quality,age" || b["image_type"] != "FACE_TOKEN" || b["max_face_num"] != 2.0 {
		t.Fatalf("detect body = %v", b)
	}
}

func TestIDCardOCRForm(t *testing.T) {
	f, srv := newFake(t)
	f.route(client.PathIDCardOCR, `{"log_id":1397198040384667648,"direction":0,"image_status":"normal","idcard_number_type":1,"words_result_num":6,
		"words_result":{"姓名":{"location":{"left":267,"top":154,"width":91,"height":39},"words":"张三"},
		"公民身份号码":{"location":{"left":1,"top":2,"width":3,"height":4},"words":"110101199001011234"}},
		"risk_type":"normal","edit_tool":""}`)
	c := client.New(srv.URL, testAK, testSK)
	r, err := c.IDCardOCR(context.Background(), []byte{0xff, 0xd8}, client.SideFront, client.IDCardOptions{DetectRisk: true})
	if err != nil {
		t.Fatal(err)
	}
	if r.LogID != 1397198040384667648 || r.Field("姓名") != "张三" || r.Field("公民身份号码") != "110101199001011234" ||
		r.Words["姓名"].Location.Width != 91 || r.IDCardNumberType != 1 || r.RiskType != "normal" {
		t.Fatalf("ocr = %+v", r)
	}
	if ct := f.lastCT[client.PathIDCardOCR]; ct != "application/x-www-form-urlencoded" {
		t.Fatalf("Content-Type = %q", ct)
	}
	form, _ := url.ParseQuery(string(f.lastBody[client.PathIDCardOCR]))
	if form.Get("id_card_side") != "front" || form.Get("detect_risk") != "true" || form.Get("image") != "/9g=" || form.Has("detect_photo") {
		t.Fatalf("form = %v", form)
	}
	f.route(client.PathIDCardOCR, `{"error_code":216633,"error_msg":"recognize idcard error","log_id":77}`)
	_, err = c.IDCardOCR(context.Background(), []byte{1}, client.SideBack, client.IDCardOptions{})
	if code, _ := client.ErrorCode(err); code != client.CodeRecognizeIDCard {
		t.Fatalf("ocr error = %v", err)
	}
}

func TestAccessTokenEscapedInQuery(t *testing.T) {
	// Tokens are opaque: one with reserved characters must survive the query string.
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == client.PathToken {
			io.WriteString(w, `{"access_token":"24.a+b/c=&d","expires_in":2592000,"scope":"brain_all_scope"}`)
			return
		}
		got = r.URL.Query().Get("access_token")
		io.WriteString(w, goldenSimple)
	}))
	defer srv.Close()
	if _, err := client.New(srv.URL, testAK, testSK).ResultSimple(context.Background(), "t"); err != nil {
		t.Fatal(err)
	}
	if got != "24.a+b/c=&d" {
		t.Fatalf("server saw access_token %q", got)
	}
}

func TestContextCancelled(t *testing.T) {
	_, srv := newFake(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := client.New(srv.URL, testAK, testSK).GenerateVerifyToken(ctx, client.GenerateRequest{PlanID: "1"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
	if strings.Contains(err.Error(), testSK) {
		t.Fatal("secret key leaked into the error")
	}
}

func TestLivenessSessionAndVerify(t *testing.T) {
	f, srv := newFake(t)
	f.route(client.PathLivenessSessionCode, `{"error_code":0,"error_msg":"SUCCESS","log_id":11,"timestamp":1,"cached":0,"result":{"session_id":"S1","code":"1234"}}`)
	f.route(client.PathLivenessVerify, `{"error_code":0,"error_msg":"SUCCESS","log_id":12,"timestamp":1,"cached":0,"result":{
		"score":0.93,"maxspoofing":0.01,"spoofing_score":0.002,"thresholds":{"frr_1e-4":0.05,"frr_1e-3":0.3,"frr_1e-2":0.9},
		"code":{"create":"1234","identify":"1234","similarity":1},
		"best_image":{"face_token":"bt","pic":"/9j/","liveness_score":0.95,"spoofing":0.001},
		"pic_list":[{"face_token":"p1","pic":"/9j/","liveness_score":0.9,"spoofing":0.01}]}}`)
	c := client.New(srv.URL, testAK, testSK)
	ctx := context.Background()
	sc, err := c.LivenessSessionCode(ctx, client.SessionCodeOptions{Type: client.SessionCodeAction, MinCodeLength: 3, MaxCodeLength: 4})
	if err != nil {
		t.Fatal(err)
	}
	if sc.SessionID != "S1" || sc.Code != "1234" || sc.LogID != 11 {
		t.Fatalf("session code = %+v", sc)
	}
	if b := f.body(client.PathLivenessSessionCode); b["type"] != "1" || b["min_code_length"] != "3" || b["max_code_length"] != "4" {
		t.Fatalf("sessioncode body = %v", b)
	}
	r, err := c.LivenessVerify(ctx, sc.SessionID, []byte("mp4"), client.LivenessOptions{TypeIdentify: "action"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Score != 0.93 || r.Thresholds["frr_1e-3"] != 0.3 || r.CodeIdentify != "1234" || r.BestImage == nil ||
		r.BestImage.LivenessScore != 0.95 || len(r.Pics) != 1 || r.Pics[0].FaceToken != "p1" {
		t.Fatalf("liveness = %+v", r)
	}
	if b := f.body(client.PathLivenessVerify); b["video_base64"] != "bXA0" || b["session_id"] != "S1" || b["type_identify"] != "action" {
		t.Fatalf("verify body = %v", b)
	}
}
