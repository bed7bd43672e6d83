package api_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/faceprint/faceprint/internal/testenv/testclock"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faceprint/faceprint/internal/config"
	"github.com/faceprint/faceprint/internal/plan"
	"github.com/faceprint/faceprint/internal/testenv"
	"github.com/faceprint/faceprint/internal/verify"
	"github.com/faceprint/faceprint/internal/verify/verifytest"
	"github.com/faceprint/faceprint/internal/webhook"
)

const rpc = "/rpc/2.0/brain/solution/faceprint/"

// start runs an API-only server whose verify session uses the fast fake engines.
func start(t *testing.T, pg bool, clk *testclock.Clock, cfg func(*config.Config)) *testenv.Env {
	t.Helper()
	o := testenv.Options{Postgres: pg, NoEngines: true, Config: cfg}
	if clk != nil {
		o.Clock = clk.Now
	}
	e := testenv.Start(t, o)
	v := e.App.Verify
	v.Cards = &verifytest.Card{Front: verifytest.SpecimenFront, Back: verifytest.SpecimenBack}
	v.Liveness, v.Matcher = &verifytest.Liveness{}, &verifytest.Matcher{Score: 93.7835}
	return e
}

// shape describes a JSON value by its types: objects by their keys, arrays by their first element.
func shape(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := map[string]any{}
		for k, e := range x {
			m[k] = shape(e)
		}
		return m
	case []any:
		if len(x) == 0 {
			return []any{}
		}
		return []any{shape(x[0])}
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// extensions are fields faceprint adds beyond the seed's examples (documented in the README).
var extensions = map[string]bool{"checks": true, "reason": true, "is_demote": true, "verify_log_id": true}

// assertShape checks that got has every field of the golden file with the same JSON type, and nothing
// else but documented extensions.
func assertShape(t *testing.T, golden string, got map[string]any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "golden", golden))
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]any
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	var diffs []string
	compareShape("", shape(want), shape(got), &diffs)
	if len(diffs) > 0 {
		sort.Strings(diffs)
		gb, _ := json.Marshal(got)
		t.Errorf("%s shape differs:\n  %s\ngot: %s", golden, strings.Join(diffs, "\n  "), gb)
	}
}

func compareShape(path string, want, got any, diffs *[]string) {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			*diffs = append(*diffs, fmt.Sprintf("%s: want object, got %v", path, got))
			return
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				*diffs = append(*diffs, path+"."+k+": missing")
				continue
			}
			compareShape(path+"."+k, wv, gv, diffs)
		}
		for k := range g {
			if _, ok := w[k]; !ok && !extensions[k] {
				*diffs = append(*diffs, path+"."+k+": not in the seed")
			}
		}
	case []any:
		g, ok := got.([]any)
		if !ok {
			*diffs = append(*diffs, fmt.Sprintf("%s: want array, got %v", path, got))
			return
		}
		if len(w) > 0 && len(g) > 0 {
			compareShape(path+"[0]", w[0], g[0], diffs)
		}
	default:
		if fmt.Sprint(want) != fmt.Sprint(got) {
			*diffs = append(*diffs, fmt.Sprintf("%s: want %v, got %v", path, want, got))
		}
	}
}

func get(t *testing.T, u string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &m)
	return resp.StatusCode, m
}

func TestOAuthToken(t *testing.T) {
	e := start(t, false, nil, nil)
	q := url.Values{"grant_type": {"client_credentials"}, "client_id": {e.APIKey}, "client_secret": {e.SecretKey}}
	check := func(name string, status int, m map[string]any) {
		if status != 200 || m["access_token"] == nil {
			t.Fatalf("%s: %d %v", name, status, m)
		}
		assertShape(t, "token.json", m)
		if !strings.Contains(" "+m["scope"].(string)+" ", " brain_all_scope ") || m["expires_in"] != 2592000.0 {
			t.Errorf("%s: scope/expires_in %v", name, m)
		}
		if !strings.HasPrefix(m["access_token"].(string), "24.") || !strings.HasSuffix(m["access_token"].(string), "-"+e.AppID) {
			t.Errorf("%s: token shape %v", name, m["access_token"])
		}
	}
	// Python SDK: GET with query.
	st, m := get(t, e.URL+"/oauth/2.0/token?"+q.Encode())
	check("GET", st, m)
	// Doc style: POST with query and empty body (and the trailing &).
	resp, _ := http.Post(e.URL+"/oauth/2.0/token?"+q.Encode()+"&", "", nil)
	var pm map[string]any
	json.NewDecoder(resp.Body).Decode(&pm)
	resp.Body.Close()
	check("POST query", resp.StatusCode, pm)
	// node SDK: POST form.
	resp, _ = http.PostForm(e.URL+"/oauth/2.0/token", q)
	json.NewDecoder(resp.Body).Decode(&pm)
	resp.Body.Close()
	check("POST form", resp.StatusCode, pm)

	for _, c := range []struct {
		name, q, errCode, desc string
	}{
		{"unknown key", "grant_type=client_credentials&client_id=nope&client_secret=x", "invalid_client", "unknown client id"},
		{"wrong secret", "grant_type=client_credentials&client_id=" + e.APIKey + "&client_secret=wrong", "invalid_client", "Client authentication failed"},
		{"grant", "grant_type=password&client_id=" + e.APIKey + "&client_secret=" + e.SecretKey, "unsupported_grant_type", ""},
		{"missing", "", "unsupported_grant_type", ""},
	} {
		st, m := get(t, e.URL+"/oauth/2.0/token?"+c.q)
		if st == 200 || m["error"] != c.errCode || (c.desc != "" && m["error_description"] != c.desc) {
			t.Errorf("%s: %d %v", c.name, st, m)
		}
	}
}

func TestAccessTokenErrors(t *testing.T) {
	clk := testclock.New(time.Now())
	e := start(t, false, clk, nil)
	tok := e.AccessToken()
	gen := func(q string) map[string]any {
		return e.Call(rpc+"verifyToken/generate?"+q, map[string]any{"plan_id": e.PlanID})
	}
	if m := gen("access_token=" + url.QueryEscape(tok) + "?aipSdk=node&aipSdk=node"); m["success"] != true {
		t.Fatalf("node SDK suffix: %v", m)
	}
	if m := gen("aipSdk=python&aipVersion=2_2_17&access_token=" + url.QueryEscape(tok)); m["success"] != true {
		t.Fatalf("unknown params: %v", m)
	}
	// access_token in the JSON body.
	if m := e.Call(rpc+"verifyToken/generate?access_token=", map[string]any{"plan_id": e.PlanID, "access_token": tok}); m["success"] != true {
		t.Fatalf("body token: %v", m)
	}
	for _, c := range []struct {
		q    string
		code float64
	}{{"x=1&access_token=", 100}, {"access_token=24.garbage", 110}} {
		m := gen(c.q)
		assertShape(t, "rest_error.json", m)
		if m["error_code"] != c.code {
			t.Errorf("%s: %v", c.q, m)
		}
	}
	// BCE (AK/SK) signed, no access_token: what the SDKs send after a wrong
	// Secret Key. 14 IAM Certification failed, on REST and RPC routes alike.
	for _, path := range []string{rpc + "verifyToken/generate", "/rest/2.0/face/v3/detect"} {
		req, _ := http.NewRequest("POST", e.URL+path, strings.NewReader(`{"plan_id":"`+e.PlanID+`"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "bce-auth-v1/"+e.APIKey+"/2026-01-01T00:00:00Z/1800/host/0123abcd")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		resp.Body.Close()
		if m["error_code"] != 14.0 || m["error_msg"] != "IAM Certification failed" {
			t.Errorf("%s BCE-signed: %v", path, m)
		}
	}
	// A valid access_token wins over a stray BCE header.
	if m := gen("access_token=" + url.QueryEscape(tok)); m["success"] != true {
		t.Fatalf("token: %v", m)
	}
	// Rotating the secret revokes; disabled apps are refused.
	n, err := e.App.Admin.RotateSecret(context.Background(), "t", e.AppID)
	if err != nil {
		t.Fatal(err)
	}
	if m := gen("access_token=" + url.QueryEscape(tok)); m["error_code"] != 110.0 {
		t.Errorf("revoked token accepted: %v", m)
	}
	iss, err := e.App.Auth.IssueToken(context.Background(), e.APIKey, n.SecretKey)
	if err != nil {
		t.Fatal(err)
	}
	clk.Add(31 * 24 * time.Hour)
	if m := gen("access_token=" + url.QueryEscape(iss.AccessToken)); m["error_code"] != 111.0 {
		t.Errorf("expired token: %v", m)
	}
}

func TestGenerateErrors(t *testing.T) {
	e := start(t, false, nil, nil)
	other := start(t, false, nil, nil)
	for _, c := range []struct {
		name string
		body any
		code float64
	}{
		{"number plan_id", fmt.Sprintf(`{"plan_id": %s}`, e.PlanID), 0},
		{"string plan_id", map[string]any{"plan_id": e.PlanID}, 0},
		{"form body", "plan_id=" + e.PlanID, 0},
		{"with redirect_config", map[string]any{"plan_id": e.PlanID, "redirect_config": map[string]string{"success_url": "https://a.example/ok", "failed_url": "https://a.example/no"}}, 0},
		{"object plan_id", `{"plan_id": {}}`, 283513},
		{"array plan_id", `{"plan_id": [1]}`, 283513},
		{"missing plan_id", `{}`, 216100},
		{"empty body", ``, 216100},
		{"malformed JSON", `{"plan_id": 1`, 283513},
		{"array body", `[{"plan_id": 1}]`, 283513},
		{"unknown plan", `{"plan_id": "999"}`, 283435},
		{"another app's plan", map[string]any{"plan_id": other.PlanID}, 283435},
		{"bad redirect", map[string]any{"plan_id": e.PlanID, "redirect_config": map[string]string{"success_url": "javascript:alert(1)"}}, 216100},
		{"redirect_config not object", map[string]any{"plan_id": e.PlanID, "redirect_config": "x"}, 283513},
		{"form redirect_config not object", "plan_id=" + e.PlanID + "&redirect_config=https%3A%2F%2Fa.example%2Fok", 283513},
		{"form redirect_config bad URL", "plan_id=" + e.PlanID + "&redirect_config=" + url.QueryEscape(`{"success_url":"javascript:alert(1)"}`), 216100},
		{"form redirect_config empty", "plan_id=" + e.PlanID + "&redirect_config=", 0},
	} {
		m := e.Call(rpc+"verifyToken/generate", c.body)
		if c.code == 0 {
			assertShape(t, "generate.json", m)
			if tok, _ := m["result"].(map[string]any)["verify_token"].(string); len(tok) != 24 {
				t.Errorf("%s: token %q", c.name, tok)
			}
			continue
		}
		assertShape(t, "business_error.json", m)
		if m["code"] != c.code || m["success"] != false {
			t.Errorf("%s: %v", c.name, m)
		}
	}
	// Oversize body.
	m := e.Call(rpc+"verifyToken/generate", `{"plan_id":"`+strings.Repeat("1", 17<<20)+`"}`)
	if m["success"] != false {
		t.Errorf("oversize: %v", m)
	}
	// Replayed generate calls give distinct tokens.
	if a, b := e.Generate(""), e.Generate(""); a == b {
		t.Error("replayed generate returned the same token")
	}
}

// finish drives a session to passed through the verify service (the H5 flow's interface).
func finish(t *testing.T, e *testenv.Env, planID string) string {
	t.Helper()
	return finishToken(t, e, e.Generate(planID))
}

func finishToken(t *testing.T, e *testenv.Env, tok string) string {
	t.Helper()
	ctx := context.Background()
	v := e.App.Verify
	view, err := v.Start(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	img := []byte("\xff\xd8\xff\xe0\x00\x10JFIF fake image bytes \xff\xd9")
	if view.Step == "card_front" {
		if _, view, err = v.SubmitCard(ctx, tok, verify.SideFront, img); err != nil {
			t.Fatal(err)
		}
	}
	if view.Step == "card_back" {
		if _, view, err = v.SubmitCard(ctx, tok, verify.SideBack, img); err != nil {
			t.Fatal(err)
		}
	}
	if view.Step == "confirm" {
		if _, err := v.ConfirmIdentity(ctx, tok, verifytest.SpecimenFront.Name, verifytest.SpecimenFront.IDCardNumber); err != nil {
			t.Fatal(err)
		}
	}
	ch, _, err := v.IssueChallenge(ctx, tok, false)
	if err != nil {
		t.Fatal(err)
	}
	dec, _, err := v.SubmitCapture(ctx, tok, ch.ID, verify.Capture{Frames: []verify.Frame{{Image: img}}})
	if err != nil || !dec.Passed {
		t.Fatalf("capture: %+v %v", dec, err)
	}
	return tok
}

func TestResultsInSeedShapes(t *testing.T) {
	for _, pg := range []bool{false, true} {
		t.Run(map[bool]string{false: "sqlite", true: "postgres"}[pg], func(t *testing.T) {
			clk := testclock.New(time.Now())
			e := start(t, pg, clk, nil)
			o := plan.Defaults()
			o.CardSides, o.MaskPII = plan.SidesFrontBack, true
			ocrPlan := e.CreatePlan(o)

			pending := e.Generate(ocrPlan)
			for _, ep := range []string{"result/simple", "result/detail", "result/getall", "result/media/query"} {
				if m := e.Call(rpc+ep, map[string]string{"verify_token": pending}); m["code"] != 283415.0 {
					t.Errorf("%s before finish: %v", ep, m)
				}
			}
			m := e.Call(rpc+"result/stat", map[string]string{"verify_token": pending})
			res, _ := m["result"].(map[string]any)
			if m["success"] != true || len(res) != 3 || len(res["身份证识别"].([]any)) != 0 {
				t.Errorf("stat before finish: %v", m)
			}

			tok := finish(t, e, ocrPlan)
			body := map[string]string{"verify_token": tok}
			assertShape(t, "simple.json", e.Call(rpc+"result/simple", body))
			detail := e.Call(rpc+"result/detail", body)
			assertShape(t, "detail.json", detail)
			d := detail["result"].(map[string]any)
			if c := d["idcard_confirm"].(map[string]any); c["name"] != "柴**" || c["idcard_number"] != "370***********5828" {
				t.Errorf("masked confirm: %v", c)
			}
			if o := d["idcard_ocr_result"].(map[string]any); o["issue_authority"] != "胶南市公安局" || o["birthday"] != "19960216" || o["expire_time"] != "20321103" {
				t.Errorf("ocr: %v", o)
			}
			if vr := d["verify_result"].(map[string]any); vr["score"] != 93.7835 {
				t.Errorf("score: %v", vr)
			}
			stat := e.Call(rpc+"result/stat", body)
			assertShape(t, "stat.json", stat)
			if rows := stat["result"].(map[string]any)["身份证识别"].([]any); rows[0].(map[string]any)["count"] != 2.0 {
				t.Errorf("stat counts: %v", stat)
			}
			getall := e.Call(rpc+"result/getall", body)
			if g, _ := getall["result"].(map[string]any); g == nil || g["verify_count"] != 1.0 {
				t.Errorf("getall: %v", getall)
			}
			media := e.Call(rpc+"result/media/query", body)
			if r, _ := media["result"].(map[string]any); r == nil || len(r["images"].([]any)) != 1 {
				t.Errorf("media: %v", media)
			}

			// The collected face is served only with a valid signature.
			img := e.Call(rpc+"result/simple", body)["result"].(map[string]any)["image"].(string)
			resp, err := http.Get(img)
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("signed image: %v %v", err, resp)
			}
			resp.Body.Close()
			resp, _ = http.Get(strings.Replace(img, "&s=", "&s=x", 1))
			if resp.StatusCode != 403 {
				t.Errorf("tampered signature: %d", resp.StatusCode)
			}
			resp.Body.Close()

			// Another app's access token: Token无效或者已过期.
			other := start(t, pg, nil, nil)
			m = other.Call(rpc+"result/detail", body)
			if m["code"] != 283414.0 || m["message"] != "Token无效或者已过期" {
				t.Errorf("foreign app: %v", m)
			}
			// Garbled token.
			if m = e.Call(rpc+"result/detail", map[string]string{"verify_token": "garbled!"}); m["message"] != "Token无效或者已过期" {
				t.Errorf("garbled: %v", m)
			}
			// After the 3-day window: expired.
			clk.Add(73 * time.Hour)
			for _, ep := range []string{"result/simple", "result/detail", "result/stat"} {
				if m := e.Call(rpc+ep, body); m["code"] != 283416.0 {
					t.Errorf("%s after window: %v", ep, m)
				}
			}
			// The unfinished one expired after 2 h: its token is invalid.
			if m := e.Call(rpc+"result/detail", map[string]string{"verify_token": pending}); m["code"] != 283414.0 {
				t.Errorf("expired pending: %v", m)
			}
		})
	}
}

func TestSubmitAndUploadMatchImage(t *testing.T) {
	e := start(t, false, nil, nil)
	o := plan.Defaults()
	o.IdentityInput, o.CompareSource = plan.InputSubmitted, plan.CompareUploaded
	pid := e.CreatePlan(o)
	tok := e.Generate(pid)
	m := e.Call(rpc+"idcard/submit", map[string]any{"verify_token": tok, "id_name": "张三", "id_no": "11010119900307803x", "certificate_type": 0})
	assertShape(t, "submit.json", m)
	for _, c := range []struct {
		body map[string]any
		code float64
	}{
		{map[string]any{"verify_token": tok, "id_name": "张三", "id_no": "110101199003078031"}, 222353},
		{map[string]any{"verify_token": tok, "id_name": "<script>", "id_no": "11010119900307803X"}, 222352},
		{map[string]any{"verify_token": tok, "id_name": "张三"}, 216100},
		{map[string]any{"verify_token": "nope", "id_name": "张三", "id_no": "11010119900307803X"}, 283414},
		{map[string]any{"verify_token": tok, "id_name": "张三", "id_no": "11010119900307803X", "certificate_type": 9}, 216100},
	} {
		if m := e.Call(rpc+"idcard/submit", c.body); m["code"] != c.code {
			t.Errorf("%v: %v", c.body, m)
		}
	}
	jpeg := base64.StdEncoding.EncodeToString(append([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), make([]byte, 100)...))
	assertShape(t, "upload.json", e.Call(rpc+"uploadMatchImage", map[string]any{"verify_token": tok, "image": jpeg}))
	for _, c := range []struct {
		img  string
		code float64
	}{{"!!!notbase64", 216203}, {base64.StdEncoding.EncodeToString([]byte("plain text, not an image at all........")), 216201}, {"", 216100}} {
		if m := e.Call(rpc+"uploadMatchImage", map[string]any{"verify_token": tok, "image": c.img}); m["code"] != c.code {
			t.Errorf("image %q: %v", c.img[:min(10, len(c.img))], m)
		}
	}
	finishToken(t, e, tok)
	d := e.Call(rpc+"result/detail", map[string]string{"verify_token": tok})
	if c := d["result"].(map[string]any)["idcard_confirm"].(map[string]any); c["idcard_number"] != "11010119900307803X" {
		t.Errorf("submitted identity: %v", d)
	}
}

func TestQPSLimit(t *testing.T) {
	e := start(t, false, nil, func(c *config.Config) { c.DefaultQPS = 5 })
	limited := 0
	for range 30 {
		if m := e.Call(rpc+"result/stat", map[string]string{"verify_token": "x"}); m["error_code"] == 18.0 {
			limited++
		}
	}
	if limited == 0 {
		t.Fatal("no request was limited at 5 QPS")
	}
}

func TestAdminAPI(t *testing.T) {
	e := start(t, false, nil, nil)
	tok, err := os.ReadFile(filepath.Join(e.DataDir, "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	do := func(method, path, token, body string) (int, string) {
		req, _ := http.NewRequest(method, e.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if st, _ := do("GET", "/admin/api/apps", "wrong", ""); st != 401 {
		t.Fatalf("no auth: %d", st)
	}
	admin := strings.TrimSpace(string(tok))
	st, body := do("POST", "/admin/api/apps", admin, `{"name":"viaapi"}`)
	if st != 200 || !strings.Contains(body, `"secret_key"`) {
		t.Fatalf("create app: %d %s", st, body)
	}
	var n struct {
		AppID string `json:"app_id"`
	}
	json.Unmarshal([]byte(body), &n)
	st, body = do("POST", "/admin/api/plans", admin, `{"app_id":"`+n.AppID+`","name":"p","options":{"identity_input":"manual","compare_source":"none","similarity_threshold":85}}`)
	if st != 200 || !strings.Contains(body, `"similarity_threshold":85`) {
		t.Fatalf("create plan: %d %s", st, body)
	}
	if st, body = do("POST", "/admin/api/plans", admin, `{"app_id":"`+n.AppID+`","name":"p","options":{"identity_input":"telepathy"}}`); st != 400 || !strings.Contains(body, "identity_input") {
		t.Fatalf("invalid plan: %d %s", st, body)
	}
	if st, body = do("GET", "/admin/api/audit", admin, ""); st != 200 || !strings.Contains(body, "plan.create") {
		t.Fatalf("audit: %d %s", st, body)
	}
}

func TestHealthAndReady(t *testing.T) {
	e := start(t, false, nil, nil)
	if st, m := get(t, e.URL+"/healthz"); st != 200 || m["status"] != "ok" {
		t.Fatalf("healthz %d %v", st, m)
	}
	st, m := get(t, e.URL+"/readyz")
	if st != 200 || m["store"] != "ok" || m["engines"] == nil {
		t.Fatalf("readyz %d %v", st, m)
	}
}

func TestSessionKeepsItsPlanVersion(t *testing.T) {
	e := start(t, false, nil, nil)
	o := plan.Defaults()
	o.IdentityInput, o.CompareSource = plan.InputSubmitted, plan.CompareUploaded
	pid := e.CreatePlan(o)
	e.App.Verify.Matcher = &verifytest.Matcher{Score: 82}
	prepare := func() string {
		tok := e.Generate(pid)
		e.Call(rpc+"idcard/submit", map[string]any{"verify_token": tok, "id_name": "张三", "id_no": "11010119900307803X"})
		jpeg := base64.StdEncoding.EncodeToString(append([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), make([]byte, 100)...))
		e.Call(rpc+"uploadMatchImage", map[string]any{"verify_token": tok, "image": jpeg})
		return tok
	}
	old := prepare()
	if _, err := e.App.Admin.UpdatePlan(context.Background(), "t", pid, func(p *plan.Plan) error { p.Options.SimilarityThreshold = 90; return nil }); err != nil {
		t.Fatal(err)
	}
	newer := prepare()
	finishToken(t, e, old) // judged at 80: passes with 82
	ctx := context.Background()
	v := e.App.Verify
	if _, err := v.Start(ctx, newer); err != nil {
		t.Fatal(err)
	}
	ch, _, _ := v.IssueChallenge(ctx, newer, false)
	dec, _, err := v.SubmitCapture(ctx, newer, ch.ID, verify.Capture{Frames: []verify.Frame{{Image: []byte("x")}}})
	if err != nil || dec.Passed || dec.Reason != "face_mismatch" {
		t.Fatalf("new session should be judged at 90: %+v %v", dec, err)
	}
}

func TestMetricsAndLogIDHeader(t *testing.T) {
	e := start(t, false, nil, nil)
	e.Generate("")
	resp, err := http.Get(e.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(b), `faceprint_http_requests_total{route="POST /rpc/2.0/brain/solution/faceprint/verifyToken/generate",status="2xx"} 1`) {
		t.Errorf("metrics:\n%s", b)
	}
	if resp.Header.Get("X-Log-Id") == "" {
		t.Error("no X-Log-Id header")
	}
}

func TestCallbackWebhookSignedAndRetried(t *testing.T) {
	var mu sync.Mutex
	var got []*http.Request
	var bodies [][]byte
	fail := true
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		got, bodies = append(got, r), append(bodies, b)
		if fail {
			w.WriteHeader(503)
		}
	}))
	defer recv.Close()
	clk := testclock.New(time.Now())
	e := start(t, false, clk, nil)
	o := plan.Defaults()
	o.IdentityInput, o.CompareSource, o.CallbackURL = plan.InputManual, plan.CompareNone, recv.URL+"/hook"
	tok := finish(t, e, e.CreatePlan(o))
	ctx := context.Background()
	if n, err := e.App.Webhooks.RunOnce(ctx); err != nil || n != 0 || len(got) != 1 {
		t.Fatalf("first delivery: %d %v %d", n, err, len(got))
	}
	fail = false
	if n, _ := e.App.Webhooks.RunOnce(ctx); n != 0 {
		t.Fatal("retried before its backoff")
	}
	clk.Add(time.Minute)
	if n, err := e.App.Webhooks.RunOnce(ctx); err != nil || n != 1 {
		t.Fatalf("retry: %d %v", n, err)
	}
	var cb verify.Callback
	if err := json.Unmarshal(bodies[1], &cb); err != nil || !cb.Passed || cb.AppID != e.AppID {
		t.Fatalf("callback %s %v", bodies[1], err)
	}
	if cb.VerifyTokenSHA256 != sha256hex(tok) {
		t.Error("callback does not name the token by its sha256")
	}
	sig := got[1].Header.Get(webhook.Header)
	ts := strings.TrimPrefix(strings.Split(sig, ",")[0], "t=")
	sec, _ := strconv.ParseInt(ts, 10, 64)
	if want := webhook.Sign(e.App.WebhookSecret(e.AppID), time.Unix(sec, 0), bodies[1]); sig != want || !strings.HasPrefix(e.App.WebhookSecret(e.AppID), "whsec_") {
		t.Errorf("signature %q, want %q", sig, want)
	}
	if n, _ := e.App.Webhooks.RunOnce(ctx); n != 0 {
		t.Error("delivered twice")
	}
}

func sha256hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func TestPIIEncryptedAtRest(t *testing.T) {
	for _, pg := range []bool{false, true} {
		t.Run(map[bool]string{false: "sqlite", true: "postgres"}[pg], func(t *testing.T) {
			e := start(t, pg, nil, func(c *config.Config) {
				c.PIIKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
			})
			o := plan.Defaults()
			tok := finish(t, e, e.CreatePlan(o))
			d := e.Call(rpc+"result/detail", map[string]string{"verify_token": tok})
			if c := d["result"].(map[string]any)["idcard_confirm"].(map[string]any); c["idcard_number"] != verifytest.SpecimenFront.IDCardNumber {
				t.Fatalf("detail through the sealer: %v", d)
			}
			recs, err := e.App.Store.ListSessions(context.Background(), e.AppID, 10)
			if err != nil || len(recs) != 1 {
				t.Fatal(err)
			}
			if strings.Contains(string(recs[0].Data), verifytest.SpecimenFront.IDCardNumber) || !strings.HasPrefix(string(recs[0].Data), "fp1:") {
				t.Fatalf("session data not sealed: %.80s", recs[0].Data)
			}
			err = filepath.Walk(filepath.Join(e.DataDir, "blobs"), func(p string, info os.FileInfo, err error) error {
				if err == nil && !info.IsDir() {
					b, _ := os.ReadFile(p)
					if !strings.HasPrefix(string(b), "fp1:") {
						t.Errorf("blob %s not sealed", p)
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestRegistryCompareSource(t *testing.T) {
	for _, pg := range []bool{false, true} {
		t.Run(map[bool]string{false: "sqlite", true: "postgres"}[pg], func(t *testing.T) {
			e := start(t, pg, nil, func(c *config.Config) {
				c.PIIKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
			})
			ctx := context.Background()
			photo := append([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), make([]byte, 200)...)
			if err := e.App.Admin.Enrol(ctx, "t", e.AppID, "张三", "11010119900307803x", photo); err != nil {
				t.Fatal(err)
			}
			if err := e.App.Admin.Enrol(ctx, "t", e.AppID, "张三", "110101199003078031", photo); err == nil {
				t.Fatal("invalid number enrolled")
			}
			o := plan.Defaults()
			o.IdentityInput, o.CompareSource = plan.InputManual, plan.CompareRegistry
			pid := e.CreatePlan(o)
			drive := func(name, idno string) verify.Decision {
				tok := e.Generate(pid)
				v := e.App.Verify
				v.Start(ctx, tok)
				if _, err := v.ConfirmIdentity(ctx, tok, name, idno); err != nil {
					t.Fatal(err)
				}
				ch, _, err := v.IssueChallenge(ctx, tok, false)
				if err != nil {
					t.Fatal(err)
				}
				dec, _, err := v.SubmitCapture(ctx, tok, ch.ID, verify.Capture{Frames: []verify.Frame{{Image: photo}}})
				if err != nil {
					t.Fatal(err)
				}
				return dec
			}
			if dec := drive("张三", "11010119900307803X"); !dec.Passed {
				t.Fatalf("enrolled person: %+v", dec)
			}
			if dec := drive("李四", "11010119900307803X"); dec.Passed || dec.Reason != "identity_mismatch" {
				t.Fatalf("name mismatch: %+v", dec)
			}
			if dec := drive("柴小明", verifytest.SpecimenFront.IDCardNumber); dec.Passed || dec.Reason != "identity_mismatch" {
				t.Fatalf("not enrolled: %+v", dec)
			}
			if l, err := e.App.Admin.ListRegistry(ctx, e.AppID); err != nil || len(l) != 1 || l[0].Name != "张*" {
				t.Fatalf("list: %+v %v", l, err)
			}
		})
	}
}

func TestUnknownAPIsAnswerInJSON(t *testing.T) {
	e := start(t, false, nil, nil)
	for _, c := range []struct{ method, path string }{
		{"GET", rpc + "result/detail"}, {"POST", rpc + "nope"}, {"POST", "/rest/2.0/face/v9/unknown"}, {"PUT", "/rest/2.0/face/v3/match"},
	} {
		req, _ := http.NewRequest(c.method, e.URL+c.path+"?access_token="+url.QueryEscape(e.AccessToken()), strings.NewReader("{}"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		resp.Body.Close()
		if m["error_code"] != 3.0 || m["error_msg"] != "Unsupported openapi method" {
			t.Errorf("%s %s: %d %v", c.method, c.path, resp.StatusCode, m)
		}
	}
	// Empty redirect_config fields are as good as absent.
	m := e.Call(rpc+"verifyToken/generate", map[string]any{"plan_id": e.PlanID, "redirect_config": map[string]string{"success_url": "https://a.example/ok", "failed_url": ""}})
	if m["success"] != true {
		t.Errorf("empty failed_url: %v", m)
	}
}

func TestForgedAccessTokens(t *testing.T) {
	e := start(t, false, nil, nil)
	tok := e.AccessToken()
	parts := strings.Split(tok, ".")
	forge := func(f func([]string)) string {
		p := append([]string{}, parts...)
		f(p)
		return strings.Join(p, ".")
	}
	other := start(t, false, nil, nil)
	for name, bad := range map[string]string{
		"flipped mac":     forge(func(p []string) { p[1] = p[1][:47] + map[bool]string{true: "0", false: "1"}[p[1][47] != '0'] }),
		"later issue":     forge(func(p []string) { p[3] = fmt.Sprint(time.Now().Unix() + 100) }),
		"other app":       forge(func(p []string) { p[4] = "282335-" + other.AppID }),
		"longer lifetime": forge(func(p []string) { p[2] = "315360000" }),
	} {
		m := e.Call(rpc+"result/stat?access_token="+url.QueryEscape(bad), map[string]string{"verify_token": "x"})
		if m["error_code"] != 110.0 {
			t.Errorf("%s accepted: %v", name, m)
		}
	}
}

// A form body may carry redirect_config as JSON object text; it is kept,
// not dropped (regression: the form field was ignored silently).
func TestGenerateFormRedirectConfig(t *testing.T) {
	e := start(t, false, nil, nil)
	rc := `{"success_url":"https://shop.example/ok","failed_url":"https://shop.example/no"}`
	m := e.Call(rpc+"verifyToken/generate", "plan_id="+e.PlanID+"&redirect_config="+url.QueryEscape(rc))
	tok, _ := m["result"].(map[string]any)["verify_token"].(string)
	if tok == "" {
		t.Fatalf("generate: %v", m)
	}
	v, err := e.App.Verify.View(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if v.SuccessURL != "https://shop.example/ok" || v.FailedURL != "https://shop.example/no" {
		t.Errorf("redirect_config from a form: success %q failed %q", v.SuccessURL, v.FailedURL)
	}
	// PHP-style nested form keys mean the same object.
	m = e.Call(rpc+"verifyToken/generate", "plan_id="+e.PlanID+"&"+url.Values{"redirect_config[success_url]": {"https://shop.example/ok2"}}.Encode())
	tok, _ = m["result"].(map[string]any)["verify_token"].(string)
	if tok == "" {
		t.Fatalf("generate with bracketed keys: %v", m)
	}
	if v, err := e.App.Verify.View(context.Background(), tok); err != nil || v.SuccessURL != "https://shop.example/ok2" {
		t.Errorf("bracketed redirect_config: %q %v", v.SuccessURL, err)
	}
	m = e.Call(rpc+"verifyToken/generate", "plan_id="+e.PlanID+"&"+url.Values{"redirect_config[success_url]": {"ftp://x"}}.Encode())
	if m["code"] != 216100.0 {
		t.Errorf("bracketed bad URL: %v", m)
	}
}

func TestH5LinkMayRepeatRedirectConfig(t *testing.T) {
	e := start(t, false, nil, nil)
	m := e.Call(rpc+"verifyToken/generate", map[string]any{"plan_id": e.PlanID, "redirect_config": map[string]string{"success_url": "https://shop.example/ok?order=1", "failed_url": "https://shop.example/fail"}})
	tok := m["result"].(map[string]any)["verify_token"].(string)
	open := func(success string) int {
		resp, err := http.Get(e.H5URL(tok) + "&successUrl=" + url.QueryEscape(success))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := open("https://shop.example/ok?order=1"); st != 200 {
		t.Errorf("the generate call's own success_url refused: %d", st)
	}
	if st := open("https://evil.example/"); st != 400 {
		t.Errorf("foreign successUrl: %d", st)
	}
}
