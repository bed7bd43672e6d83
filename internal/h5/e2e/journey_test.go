package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/faceprint/faceprint/internal/h5"
	"github.com/faceprint/faceprint/internal/h5/h5test"
	"github.com/faceprint/faceprint/internal/plan"
	"github.com/faceprint/faceprint/internal/testenv/testclock"
	"github.com/faceprint/faceprint/internal/verify"
)

// Issue #14: the page's words follow the plan and the server's decision.

// oneAction is a single-action challenge as internal/liveness issues it: a
// lead-in hold, then one action. There is nothing to count.
var oneAction = json.RawMessage(`{"mode":"action","steps":[` +
	`{"kind":"hold","prompt_zh":"请正对屏幕","prompt_en":"Face the screen","ms":400},` +
	`{"kind":"action","action":"blink","prompt_zh":"请眨眨眼","prompt_en":"Please blink","ms":1100}],` +
	`"capture":{"fps":8,"max_frames":40,"max_ms":6000,"width":640,"height":480}}`)

// recordHeadings makes the page remember every screen heading it shows
// (transient screens such as the camera check are gone before a poll sees them).
func (p *phone) recordHeadings() {
	p.t.Helper()
	p.do(chromedp.Evaluate[chromedp.Void](`(() => { window.__heads = []; new MutationObserver(() => {
  const h = document.querySelector('#app h2'); if (h && window.__heads[window.__heads.length - 1] !== h.textContent) window.__heads.push(h.textContent);
}).observe(document.getElementById('app'), { childList: true, subtree: true }); })()`))
}

func TestFakeMismatchNamesComparedPhoto(t *testing.T) {
	srv, f := fakeServer(t)
	f.Public = oneAction
	f.Decide = func(verify.Capture) (bool, string) { return false, "face_mismatch" }
	cases := []struct {
		token, lang, source, failedURL string
		reason, head                   string
	}{
		{"up", "en", plan.CompareUploaded, srv.URL + "/done?r=fail", "Your face does not match the reference photo provided by the organisation", "Camera check"},
		{"reg", "zh", plan.CompareRegistry, "", "人脸与登记时留存的照片不一致", "检查相机"},
	}
	p := newPhone(t, phoneOptions{Camera: testPattern(t)})
	for _, c := range cases {
		pv := verify.PlanView{Title: "实名认证", ShowTitleBar: true, ConsentText: plan.Defaults().ConsentText, Language: c.lang,
			IdentityInput: plan.InputSubmitted, LivenessMode: plan.LivenessAction, CompareSource: c.source}
		f.Add(c.token, h5test.Session{Plan: pv, MaxAttempts: 3, FailedURL: c.failedURL})
		p.do(chromedp.Navigate(srv.URL + "/face/print/?token=" + c.token))
		p.wait("#start", 10*time.Second)
		p.recordHeadings()
		p.tap("#consent")
		p.tap("#start")
		p.wait("#face-start", 10*time.Second)
		if heads := p.eval(`window.__heads.join('|')`); !strings.Contains(heads, c.head) || strings.Contains(heads, "Continue") || strings.Contains(heads, "继续认证") {
			t.Errorf("%s: headings while checking the camera: %s", c.token, heads)
		}
		p.tap("#face-start")
		p.wait("#instruction", 10*time.Second)
		// Sample the counter through the whole challenge: one action, no "1 / 2".
		deadline := time.Now().Add(1500 * time.Millisecond)
		for time.Now().Before(deadline) {
			if got := p.eval(`document.getElementById('step-counter') ? document.getElementById('step-counter').textContent : ''`); got != "" {
				t.Errorf("%s: step counter %q on a single-action challenge", c.token, got)
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		p.wait("#screen-failed", 20*time.Second)
		if got := p.text("#fail-reason"); got != c.reason {
			t.Errorf("%s: reason %q, want %q", c.token, got, c.reason)
		}
		if p.visible("#retry") {
			t.Errorf("%s: a retry is offered though it cannot change a mismatch", c.token)
		}
		tries := p.text("#tries")
		if strings.Contains(tries, "2") || (c.lang == "en" && !strings.Contains(tries, "would not change")) {
			t.Errorf("%s: tries text %q", c.token, tries)
		}
		p.checkLayout("mismatch " + c.token)
		p.shot(c.lang + "-40-mismatch-" + c.source)
		if c.failedURL != "" {
			p.tap("#return")
			p.waitLocation(c.failedURL, 5*time.Second)
		} else {
			if !p.visible("#close") {
				t.Errorf("%s: no way on from the last screen", c.token)
			}
			p.tap("#close")
			p.wait("#close-note", 3*time.Second)
		}
	}
}

// A retryable failure shows exactly what the server allows.
func TestFakeFailureShowsServerAttempts(t *testing.T) {
	srv, f := fakeServer(t)
	f.Public = oneAction
	// A blurred face: a better picture can pass, so retries stay on offer.
	f.Decide = func(verify.Capture) (bool, string) { return false, "face_quality" }
	pv := verify.PlanView{Title: "实名认证", ShowTitleBar: true, ConsentText: plan.Defaults().ConsentText, Language: "zh",
		IdentityInput: plan.InputSubmitted, LivenessMode: plan.LivenessAction, CompareSource: plan.CompareUploaded}
	f.Add("tok", h5test.Session{Plan: pv, MaxAttempts: 3})
	p := newPhone(t, phoneOptions{Camera: testPattern(t)})
	p.do(chromedp.Navigate(srv.URL + "/face/print/?token=tok"))
	p.wait("#start", 10*time.Second)
	p.tap("#consent")
	p.tap("#start")
	p.wait("#face-start", 10*time.Second)
	p.tap("#face-start")
	p.wait("#screen-failed", 20*time.Second)
	if got := p.text("#tries"); got != "还可以再试 2 次" {
		t.Errorf("tries %q", got)
	}
	if !p.visible("#retry") {
		t.Error("no retry though the server allows two more")
	}
}

// The app icon is served where browsers look for it, as an SVG the CSP allows.
func TestFakeFavicon(t *testing.T) {
	srv, f := fakeServer(t)
	f.Add("tok", h5test.Session{})
	for _, path := range []string{"/favicon.ico", "/face/print/static/icon.svg"} {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/svg+xml" || !strings.Contains(string(body), "<svg") {
			t.Errorf("%s: %d %q %.40s", path, res.StatusCode, res.Header.Get("Content-Type"), body)
		}
	}
	res, err := http.Get(srv.URL + "/face/print/?token=tok")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(page), `rel="icon"`) || !strings.Contains(string(page), `icon.svg`) {
		t.Error("the page links no icon")
	}
}

// A device whose camera is refused, on a plan with no video fallback, is told
// on the first screen, before any typing, and offered the link for another
// phone as a QR code and the way back.
func TestFakeCameraDeniedNoFallbackToldEarly(t *testing.T) {
	srv, f := fakeServer(t)
	pv := verify.PlanView{Title: "Account check", ShowTitleBar: true, ConsentText: "I agree.", Language: "en",
		IdentityInput: plan.InputManual, LivenessMode: plan.LivenessAction, CompareSource: plan.CompareAuthority}
	f.Add("tok", h5test.Session{Plan: pv, FailedURL: srv.URL + "/done?r=fail"})
	p := newPhone(t, phoneOptions{DenyCamera: true})
	if _, err := chromedp.Call(p.ctx, browser.SetPermission, browser.SetPermissionParams{
		Permission: &browser.PermissionDescriptor{Name: "camera"}, Setting: browser.PermissionSettingDenied, Origin: srv.URL}); err != nil {
		t.Fatal(err)
	}
	p.do(chromedp.Navigate(srv.URL + "/face/print/?token=tok"))
	p.wait("#screen-cannot", 10*time.Second)
	if got := p.eval(`document.getElementById('pf-reason').dataset.reason`); got != "camera_denied" {
		t.Errorf("reason %q", got)
	}
	if n := p.eval(`String(document.querySelectorAll('input[type=text], #start').length)`); n != "0" {
		t.Errorf("%s text fields or a start button on the cannot screen", n)
	}
	if !p.visible("#exit") {
		t.Error("no way back although the link has a failed address")
	}
	p.tap("#handoff")
	p.wait("#handoff-qr", 5*time.Second)
	if w := p.eval(`(() => { const i = document.getElementById('handoff-qr'); return i.complete && i.naturalWidth > 0 ? 'ok' : 'not loaded'; })()`); w != "ok" {
		t.Errorf("QR image %s", w)
	}
	p.checkLayout("cannot")
	p.shot("en-50-cannot-handoff")
	if len(f.Diagnostics) != 1 || f.Diagnostics[0].Reason != "camera_denied" || f.Diagnostics[0].Fallback != "none" {
		t.Errorf("diagnostics %+v", f.Diagnostics)
	}
	if s, _ := f.Session("tok"); s.Step != "consent" {
		t.Errorf("session moved on to %s", s.Step)
	}
	p.tap("#exit")
	p.waitLocation(srv.URL+"/done?r=fail", 5*time.Second)
}

// Between the two sides of the card comes a screen that asks to turn it over;
// the back viewfinder then waits before it captures by itself, and the
// shutter and the photo picker are there from the start.
func TestFakeCardTurnScreen(t *testing.T) {
	srv, f := fakeServer(t)
	s := h5test.Session{}
	f.Add("tok", s)
	s, _ = f.Session("tok")
	s.Plan.CardSides = plan.SidesFrontBack
	f.Add("tok", s)
	var backAt time.Time
	f.Card = func(side verify.CardSide, _ []byte) verify.CardResult {
		if side == verify.SideBack {
			backAt = time.Now()
		}
		return verify.CardResult{Accepted: true, Name: "张三", IDNumber: "110101199003078515"}
	}
	p := newPhone(t, phoneOptions{Camera: testPattern(t)})
	p.do(chromedp.Navigate(srv.URL + "/face/print/?token=tok"))
	p.wait("#start", 10*time.Second)
	p.tap("#consent")
	p.tap("#start")
	p.wait("#screen-card-front", 10*time.Second)
	if !p.visible("#shutter") || !p.visible("#card-file-label") {
		t.Error("shutter or photo picker not reachable at once")
	}
	p.tap("#shutter")
	p.wait("#screen-card-turn", 10*time.Second)
	if got := p.text("#screen-card-turn h2"); got != "请翻转身份证" {
		t.Errorf("turn heading %q", got)
	}
	if p.eval(`document.querySelector('#screen-card-turn svg') ? 'y' : ''`) != "y" {
		t.Error("no illustration on the turn screen")
	}
	p.checkLayout("turn")
	p.shot("zh-03t-card-turn")
	p.tap("#turn-ready")
	p.wait("#screen-card-back", 10*time.Second)
	shown := time.Now()
	if !p.visible("#shutter") || !p.visible("#card-file-label") {
		t.Error("shutter or photo picker not reachable on the back")
	}
	p.wait("#screen-confirm", 12*time.Second)
	if backAt.IsZero() {
		t.Fatal("back side never sent")
	}
	if d := backAt.Sub(shown); d < 1400*time.Millisecond {
		t.Errorf("back captured %v after its screen showed; auto-capture must wait to arm", d)
	}
	t.Logf("back auto-captured %v after its screen showed", backAt.Sub(shown))
}

// With reduced motion asked for, a flash plan that allows it offers the
// no-flash path first.
func TestFakeReducedMotionPrefersNoFlash(t *testing.T) {
	srv, f := fakeServer(t)
	pv := verify.PlanView{Title: "实名认证", ShowTitleBar: true, ConsentText: plan.Defaults().ConsentText, Language: "zh",
		IdentityInput: plan.InputSubmitted, LivenessMode: plan.LivenessFlash, AllowNoFlash: true, CompareSource: plan.CompareAuthority}
	f.Add("tok", h5test.Session{Plan: pv})
	p := newPhone(t, phoneOptions{Camera: testPattern(t)})
	if _, err := chromedp.Call(p.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: "reduce"}}}); err != nil {
		t.Fatal(err)
	}
	p.do(chromedp.Navigate(srv.URL + "/face/print/?token=tok"))
	p.wait("#start", 10*time.Second)
	p.tap("#consent")
	p.tap("#start")
	p.wait("#flash-warning", 10*time.Second)
	if got := p.eval(`(() => { const b = document.querySelector('#screen-liveness-intro .actions .btn'); return b.id + ' ' + b.className; })()`); got != "no-flash btn primary" {
		t.Errorf("first action under reduced motion: %q", got)
	}
	p.shot("zh-11-flash-reduced-motion")
}

// When another browser takes over a session this page left idle, the page's
// next call shows "in progress elsewhere" with a way to try again.
func TestFakeTakenOverElsewhere(t *testing.T) {
	clock := testclock.New(time.Now())
	f := h5test.New(clock.Now)
	mux := http.NewServeMux()
	h5.New(h5.Config{Verify: f, Clock: clock.Now}).Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	f.Add("tok", h5test.Session{})
	p := newPhone(t, phoneOptions{Camera: testPattern(t)})
	p.do(chromedp.Navigate(srv.URL + "/face/print/?token=tok"))
	p.wait("#start", 10*time.Second)
	p.tap("#consent")
	p.tap("#start")
	p.wait("#screen-card-front", 10*time.Second)

	clock.Add(h5.IdleTakeover + time.Second)
	jar, _ := cookiejar.New(nil)
	other := &http.Client{Jar: jar}
	res, err := other.Get(srv.URL + "/face/print/?token=tok")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("other browser after a minute idle: %d", res.StatusCode)
	}
	p.tap("#shutter")
	p.wait("#screen-error-session_elsewhere", 10*time.Second)
	if !p.visible("#retry") {
		t.Error("no way on from the taken-over page")
	}
	p.checkLayout("taken over")
	p.shot("zh-60-taken-over")
	if len(f.Cards) != 0 {
		t.Errorf("the idle browser's card reached the session: %d", len(f.Cards))
	}
}

// The passed screen without a return address still has a way on.
func TestFakePassedWithoutReturnAddress(t *testing.T) {
	srv, f := fakeServer(t)
	f.Public = oneAction
	pv := verify.PlanView{Title: "Account check", ShowTitleBar: true, ConsentText: "I agree.", Language: "en",
		IdentityInput: plan.InputSubmitted, LivenessMode: plan.LivenessAction, CompareSource: plan.CompareRegistry}
	f.Add("tok", h5test.Session{Plan: pv})
	p := newPhone(t, phoneOptions{Camera: testPattern(t)})
	p.do(chromedp.Navigate(srv.URL + "/face/print/?token=tok"))
	p.wait("#start", 10*time.Second)
	p.tap("#consent")
	p.tap("#start")
	p.wait("#face-start", 10*time.Second)
	p.tap("#face-start")
	p.wait("#screen-passed", 20*time.Second)
	if !p.visible("#close") || !strings.Contains(p.text("#next-step"), "receive the result") {
		t.Error("passed screen without a close button or what happens next")
	}
	p.checkLayout("passed, no return address")
	p.shot("en-41-passed-close")
}
