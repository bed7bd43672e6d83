package e2e

import (
	"bytes"
	"context"
	"image/jpeg"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/faceprint/faceprint/internal/h5"
	"github.com/faceprint/faceprint/internal/h5/h5test"
	"github.com/faceprint/faceprint/internal/plan"
	"github.com/faceprint/faceprint/internal/verify"
)

// These tests run the real pages and handlers in Chromium against the
// in-memory verify fake: they check the page flow, not the vision.

func fakeServer(t *testing.T) (*httptest.Server, *h5test.Fake) {
	f := h5test.New(time.Now)
	h := h5.New(h5.Config{Verify: f, Clock: time.Now})
	mux := http.NewServeMux()
	h.Register(mux)
	mux.HandleFunc("GET /done", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte("<!doctype html><title>done</title><p>returned: " + r.URL.Query().Get("r")))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, f
}

func (p *phone) visible(sel string) bool {
	return p.eval(`(() => { const e = document.querySelector(`+"`"+sel+"`"+`); return e && e.offsetParent !== null ? 'y' : ''; })()`) == "y"
}

// waitVideo waits until the camera preview shows frames (for screenshots).
func (p *phone) waitVideo() {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`(() => { const v = document.querySelector('video'); return !!v && v.videoWidth > 0 && v.currentTime > 0.2; })()`)); err != nil {
		p.t.Logf("camera preview not playing: %v", err)
	}
}

func (p *phone) value(sel string) string {
	v, err := chromedp.Run(p.ctx, chromedp.Value(chromedp.CSS(sel)))
	if err != nil {
		p.t.Fatalf("value of %s: %v", sel, err)
	}
	return v
}

// captureCard waits for the auto-capture, tapping the shutter if it shows first.
func (p *phone) captureCard(next string, timeout time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if p.visible(next) {
			return
		}
		if p.visible("#shutter") && time.Until(deadline) < timeout/2 {
			p.t.Log("auto-capture did not fire; using the shutter")
			p.tap("#shutter")
		}
		time.Sleep(200 * time.Millisecond)
	}
	p.wait(next, time.Second)
}

func TestFakeOCRFlowChinese(t *testing.T) {
	srv, f := fakeServer(t)
	f.Add("tok", h5test.Session{SuccessURL: srv.URL + "/done?r=ok", FailedURL: srv.URL + "/done?r=fail"})
	s, _ := f.Session("tok")
	s.Plan.CardSides = plan.SidesFrontBack
	f.Add("tok", s)
	calls := 0
	f.Card = func(side verify.CardSide, _ []byte) verify.CardResult {
		calls++
		if calls == 1 { // the first photo shows the wrong side
			return verify.CardResult{Reason: "reversed_side"}
		}
		return verify.CardResult{Accepted: true, Name: "张三", IDNumber: "110101199003078515"}
	}
	p := newPhone(t, phoneOptions{Camera: testPattern(t)})

	start := time.Now()
	p.do(chromedp.Navigate(srv.URL + "/face/print/?token=tok"))
	p.wait("#start", 10*time.Second)
	t.Logf("first screen interactive after %v (navigate → start button visible)", time.Since(start))
	if got := p.text("#screen-start h2"); got != "认证流程" {
		t.Errorf("title %q", got)
	}
	p.checkLayout("start")
	p.shot("zh-01-start")

	p.tap("#start") // without consent
	p.wait("#consent-error", 5*time.Second)
	p.shot("zh-02-consent-needed")
	p.tap("#consent")
	p.tap("#start")

	p.wait("#screen-card-front", 15*time.Second)
	p.waitVideo()
	p.shot("zh-03-card-front")
	p.checkLayout("card")
	p.captureCard("#screen-card-rejected", 12*time.Second)
	if got := p.text("#card-reason"); got != "拍成了另一面，请翻转身份证" {
		t.Errorf("rejection reason %q", got)
	}
	p.checkLayout("card rejected")
	p.shot("zh-03b-card-rejected")
	p.tap("#retake")
	p.wait("#screen-card-front", 10*time.Second)
	p.captureCard("#screen-card-back", 12*time.Second)
	p.waitVideo()
	p.shot("zh-03c-card-back")
	p.captureCard("#screen-confirm", 12*time.Second)
	if p.value("#name") != "张三" || p.value("#id-number") != "110101199003078515" {
		t.Errorf("prefill: %q %q", p.value("#name"), p.value("#id-number"))
	}
	p.checkLayout("confirm")
	p.shot("zh-04-confirm")
	// The checksum hint reacts while typing.
	p.do(chromedp.Evaluate[chromedp.Void](`document.getElementById("id-number").value = ""`), chromedp.SendKeys(chromedp.CSS("#id-number"), "11010119900307851"))
	if got := p.text("#id-hint"); got != "还需输入 1 位" {
		t.Errorf("hint for 17 digits: %q", got)
	}
	p.do(chromedp.SendKeys(chromedp.CSS("#id-number"), "4"))
	if got := p.eval(`document.getElementById('id-hint').dataset.state`); got != "checksum" {
		t.Errorf("hint state for a bad checksum: %q", got)
	}
	p.shot("zh-05-confirm-checksum")
	p.do(chromedp.Evaluate[chromedp.Void](`document.getElementById("id-number").value = ""`), chromedp.SendKeys(chromedp.CSS("#id-number"), "110101199003078515"))
	p.tap("#confirm")

	p.wait("#face-start", 10*time.Second)
	p.checkLayout("liveness intro")
	p.waitVideo()
	p.shot("zh-06-liveness-intro")
	p.tap("#face-start")
	p.wait("#instruction", 10*time.Second)
	time.Sleep(700 * time.Millisecond)
	if got := p.text("#instruction"); got != "请眨眨眼" && got != "请张张嘴" {
		t.Errorf("instruction %q", got)
	}
	p.shot("zh-07-liveness")
	p.wait("#screen-passed", 20*time.Second)
	p.shot("zh-08-passed")
	p.waitLocation(srv.URL+"/done?r=ok", 10*time.Second)

	if len(f.Diagnostics) == 0 || f.Diagnostics[0].Reason != "ok" || !f.Diagnostics[0].GetUserMedia || f.Diagnostics[0].Width != 640 {
		t.Errorf("diagnostics: %+v", f.Diagnostics)
	}
	if len(f.Cards) != 3 {
		t.Fatalf("cards sent: %d (front rejected, front, back)", len(f.Cards))
	}
	if cfg, err := jpeg.DecodeConfig(bytes.NewReader(f.Cards[0])); err != nil || cfg.Width != 640 || cfg.Height != 480 {
		t.Errorf("card photo: %v %+v", err, cfg)
	}
	if len(f.Captures) != 1 {
		t.Fatalf("captures: %d", len(f.Captures))
	}
	fr := f.Captures[0].Frames
	if len(fr) < 15 || len(fr) > 40 {
		t.Errorf("frames: %d (challenge: 3 s at 8 fps)", len(fr))
	}
	for i, x := range fr {
		if i > 0 && x.AtMillis < fr[i-1].AtMillis {
			t.Errorf("frame %d at %d before %d", i, x.AtMillis, fr[i-1].AtMillis)
		}
		if cfg, err := jpeg.DecodeConfig(bytes.NewReader(x.Image)); err != nil || cfg.Width != 640 || cfg.Height != 480 {
			t.Fatalf("frame %d: %v %+v", i, err, cfg)
		}
	}
	if last := fr[len(fr)-1].AtMillis; last < 2500 || last > 3100 {
		t.Errorf("last frame at %d ms, challenge lasts 3000", last)
	}
}

func TestFakeManualPlanFailThenRetryEnglish(t *testing.T) {
	srv, f := fakeServer(t)
	f.Decide = func(verify.Capture) (bool, string) { return false, "liveness_failed" }
	pv := verify.PlanView{Title: "Account check", ShowTitleBar: false, ConsentText: "I agree to ExampleCo checking my identity.", Language: "en",
		IdentityInput: plan.InputManual, LivenessMode: plan.LivenessAction}
	f.Add("tok", h5test.Session{Plan: pv, MaxAttempts: 2, FailedURL: srv.URL + "/done?r=fail"})
	p := newPhone(t, phoneOptions{Camera: testPattern(t)})
	p.do(chromedp.Navigate(srv.URL + "/face/print/?token=tok"))
	p.wait("#start", 10*time.Second)
	if got := p.text("#start"); got != "Start" {
		t.Errorf("start button %q", got)
	}
	if p.visible("#titlebar") {
		t.Error("title bar shown though the plan hides it")
	}
	if body := p.eval(`document.body.innerText`); strings.ContainsAny(body, "认证请的") {
		t.Errorf("Chinese on an English screen: %s", body)
	}
	p.checkLayout("en start")
	p.shot("en-01-start-manual")
	p.tap("#consent")
	p.tap("#start")
	p.wait("#screen-confirm", 10*time.Second)
	if p.value("#name") != "" || p.value("#id-number") != "" {
		t.Error("manual plan prefilled")
	}
	p.do(chromedp.SendKeys(chromedp.CSS("#name"), "李四"), chromedp.SendKeys(chromedp.CSS("#id-number"), "11010519491231002x"))
	if got := p.text("#id-hint"); got != "The number looks right" {
		t.Errorf("hint %q", got)
	}
	p.shot("en-02-confirm-manual")
	p.tap("#confirm")
	for attempt := 1; attempt <= 2; attempt++ {
		p.wait("#face-start", 10*time.Second)
		p.tap("#face-start")
		p.wait("#screen-failed", 25*time.Second)
		if got := p.text("#fail-reason"); got != "We could not confirm a live person. Please try again yourself, facing the camera" {
			t.Errorf("reason %q", got)
		}
		if attempt == 1 {
			if got := p.text("#tries"); got != "1 try left" {
				t.Errorf("tries %q", got)
			}
			p.checkLayout("failed")
			p.shot("en-03-failed-retry")
			p.tap("#retry")
		}
	}
	p.shot("en-04-failed-final")
	p.waitLocation(srv.URL+"/done?r=fail", 10*time.Second)
	if f.Confirmed[0] != [2]string{"李四", "11010519491231002X"} {
		t.Errorf("confirmed %v", f.Confirmed)
	}
	if len(f.Captures) != 2 {
		t.Errorf("captures %d", len(f.Captures))
	}
}

func TestFakeCameraDeniedFallbacks(t *testing.T) {
	srv, f := fakeServer(t)
	f.Add("tok", h5test.Session{SuccessURL: srv.URL + "/done?r=ok"})
	card := generated(t, "camera", "card-upload.jpg")
	makeFile(t, card, "-f", "lavfi", "-i", "testsrc2=size=1000x630", "-frames:v", "1")
	video := generated(t, "camera", "selfie.mp4")
	makeFile(t, video, "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=10", "-t", "2", "-pix_fmt", "yuv420p", "-c:v", "mpeg4")
	p := newPhone(t, phoneOptions{DenyCamera: true})
	p.do(chromedp.Navigate(srv.URL + "/face/print/?token=tok"))
	p.wait("#start", 10*time.Second)
	p.tap("#consent")
	p.tap("#start")
	p.wait("#pf-reason", 10*time.Second)
	if got := p.eval(`document.getElementById('pf-reason').dataset.reason`); got != "camera_denied" {
		t.Errorf("reason %q", got)
	}
	p.checkLayout("preflight")
	p.shot("zh-20-camera-denied")
	p.tap("#pf-fallback")
	p.wait("#card-file-label", 5*time.Second)
	p.shot("zh-21-card-upload")
	p.do(chromedp.SetUploadFiles(chromedp.CSS("#card-file"), []string{card}))
	p.wait("#screen-confirm", 10*time.Second)
	p.tap("#confirm")
	p.wait("#pf-fallback", 10*time.Second) // the face step explains the video fallback
	p.tap("#pf-fallback")
	p.wait("#video-label", 10*time.Second)
	p.checkLayout("video fallback")
	p.shot("zh-22-video-fallback")
	p.do(chromedp.SetUploadFiles(chromedp.CSS("#video-file"), []string{video}))
	p.waitLocation(srv.URL+"/done?r=ok", 20*time.Second)

	if len(f.Diagnostics) == 0 || f.Diagnostics[0].Reason != "camera_denied" || f.Diagnostics[0].Camera != "denied" || f.Diagnostics[0].Fallback != "photo_upload" {
		t.Errorf("diagnostics: %+v", f.Diagnostics)
	}
	// The face step's fallback is recorded too (issue #14.5).
	if len(f.Diagnostics) != 2 || f.Diagnostics[1].Reason != "camera_denied" || f.Diagnostics[1].Fallback != "recorded_video" {
		t.Errorf("diagnostics at the face step: %+v", f.Diagnostics)
	}
	want, _ := os.ReadFile(card)
	if len(f.Cards) != 1 || !bytes.Equal(f.Cards[0], want) {
		t.Error("uploaded card photo differs from the file")
	}
	wantV, _ := os.ReadFile(video)
	if len(f.Captures) != 1 || !bytes.Equal(f.Captures[0].Video, wantV) || f.Captures[0].VideoType != "video/mp4" {
		t.Errorf("video capture: %d bytes, type %q", len(f.Captures[0].Video), f.Captures[0].VideoType)
	}
}

func TestFakeErrorPages(t *testing.T) {
	srv, f := fakeServer(t)
	f.Add("old", h5test.Session{ExpiresAt: time.Now().Add(-time.Minute), FailedURL: srv.URL + "/done?r=expired"})
	f.Add("tok", h5test.Session{})
	p := newPhone(t, phoneOptions{Camera: testPattern(t)})

	// Reduced motion: nothing spins or blinks.
	if _, err := chromedp.Call(p.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: "reduce"}}}); err != nil {
		t.Fatal(err)
	}
	p.do(chromedp.Navigate(srv.URL + "/face/print/?token=old"))
	p.wait("#screen-error-token_invalid", 10*time.Second)
	if got := p.eval(`(() => { const s = document.createElement('div'); s.className = 'spinner'; document.body.append(s); return getComputedStyle(s).animationName; })()`); got != "none" {
		t.Errorf("spinner animation under reduced motion: %q", got)
	}
	p.checkLayout("expired")
	p.shot("zh-30-expired")
	p.tap("#exit")
	p.waitLocation(srv.URL+"/done?r=expired", 5*time.Second)

	p.do(chromedp.Navigate(srv.URL + "/face/print/?token=tok&lang=en&successUrl=" + "https%3A%2F%2Fevil.example%2Fsteal"))
	p.wait("#screen-error-redirect_refused", 10*time.Second)
	if got := p.text("h2"); got != "This link cannot be opened" {
		t.Errorf("heading %q", got)
	}
	p.shot("en-31-redirect-refused")

	// Network loss: the server goes away mid-flow, the retry screen shows, and
	// the flow continues once it is back.
	p.do(chromedp.Navigate(srv.URL + "/face/print/?token=tok"))
	p.wait("#start", 10*time.Second)
	p.do(chromedp.Evaluate[chromedp.Void](`window.__realFetch = window.fetch; window.fetch = () => Promise.reject(new TypeError('offline'))`))
	p.tap("#consent")
	p.tap("#start")
	p.wait("#screen-error-network", 15*time.Second)
	p.shot("zh-32-network")
	p.do(chromedp.Evaluate[chromedp.Void](`window.fetch = window.__realFetch`))
	p.tap("#retry")
	p.wait("#screen-card-front", 10*time.Second)
}

func TestFakeFlashWarningAndNoFlash(t *testing.T) {
	srv, f := fakeServer(t)
	f.Public = []byte(`{"mode":"flash","steps":[{"kind":"hold","prompt_zh":"请保持不动","prompt_en":"Hold still","ms":800},` +
		`{"kind":"flash","color":"#FF0000","ms":600},{"kind":"flash","color":"#00FFFF","ms":600},{"kind":"flash","color":"#0000FF","ms":600},` +
		`{"kind":"hold","prompt_zh":"请保持不动","prompt_en":"Hold still","ms":600}],"capture":{"fps":10,"max_frames":80,"max_ms":15000,"width":640,"height":480}}`)
	pv := verify.PlanView{Title: "实名认证", ShowTitleBar: true, ConsentText: plan.Defaults().ConsentText, Language: "zh",
		IdentityInput: plan.InputSubmitted, LivenessMode: plan.LivenessFlash, AllowNoFlash: true}
	f.Add("tok", h5test.Session{Plan: pv, SuccessURL: srv.URL + "/done?r=ok"})
	p := newPhone(t, phoneOptions{Camera: testPattern(t)})
	started := time.Now()
	p.do(chromedp.Navigate(srv.URL + "/face/print/?token=tok"))
	p.wait("#start", 10*time.Second)
	t.Logf("first screen: %v wall; in page: domInteractive %s ms, first screen rendered %s ms", time.Since(started),
		p.eval(`String(Math.round(performance.getEntriesByType('navigation')[0].domInteractive))`),
		p.eval(`String(Math.round(performance.getEntriesByName('fp-first-screen')[0].startTime))`))
	p.tap("#consent")
	p.tap("#start")
	p.wait("#flash-warning", 10*time.Second)
	if !p.visible("#no-flash") {
		t.Error("no-flash choice missing although the plan allows it")
	}
	p.waitVideo()
	p.checkLayout("flash intro")
	p.shot("zh-09-flash-warning")
	p.tap("#face-start")
	p.wait("#flash", 10*time.Second) // the full-screen colour
	bg := p.eval(`getComputedStyle(document.getElementById('flash')).backgroundColor`)
	if bg != "rgb(255, 0, 0)" && bg != "rgb(0, 255, 255)" && bg != "rgb(0, 0, 255)" {
		t.Errorf("flash colour %q", bg)
	}
	if w := p.eval(`String(document.getElementById('flash').getBoundingClientRect().width)`); w != "360" {
		t.Errorf("flash covers %s px, not the whole screen", w)
	}
	p.shot("zh-10-flash")
	p.wait("#screen-passed", 20*time.Second)
	if len(f.NoFlash) != 1 || f.NoFlash[0] {
		t.Errorf("no_flash requests: %v", f.NoFlash)
	}
}
