package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// missing skips a test whose tools or data are absent, or fails it under CI.
func missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") != "" {
		t.Fatalf("%s (CI is set, so this is a failure; run scripts/install-debs.sh and the fetch scripts)", msg)
	}
	t.Skip(msg)
}

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", "..", ".."))
}

func generated(t testing.TB, parts ...string) string {
	p := filepath.Join(append([]string{repoRoot(), "testdata", "generated"}, parts...)...)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func chromiumPath(t testing.TB) string {
	for _, p := range []string{"/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	missing(t, "chromium not installed (apt-get install -y chromium)")
	return ""
}

func ffmpeg(t testing.TB) string {
	p, err := exec.LookPath("ffmpeg")
	if err != nil {
		missing(t, "ffmpeg not installed (apt-get install -y ffmpeg)")
	}
	return p
}

var genMu sync.Mutex

// makeFile runs ffmpeg to create out unless it exists (generated files are
// reused between runs; delete testdata/generated to rebuild them).
func makeFile(t testing.TB, out string, args ...string) string {
	t.Helper()
	genMu.Lock()
	defer genMu.Unlock()
	if st, err := os.Stat(out); err == nil && st.Size() > 0 {
		return out
	}
	tmp := out + ".tmp" + filepath.Ext(out)
	cmd := exec.Command(ffmpeg(t), append(append([]string{"-hide_banner", "-loglevel", "error", "-y"}, args...), tmp)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg %v: %v\n%s", args, err, b)
	}
	if err := os.Rename(tmp, out); err != nil {
		t.Fatal(err)
	}
	return out
}

// testPattern is a sharp synthetic camera picture (fast tests only).
func testPattern(t testing.TB) string {
	return makeFile(t, generated(t, "camera", "testsrc-640x480.y4m"),
		"-f", "lavfi", "-i", "testsrc2=size=640x480:rate=10", "-t", "4", "-pix_fmt", "yuv420p")
}

type phoneOptions struct {
	Camera     string // Y4M file for the fake camera
	DenyCamera bool   // getUserMedia is refused (NotAllowedError)
	NoCamera   bool   // no media devices at all
}

type phone struct {
	t     *testing.T
	ctx   context.Context
	mu    sync.Mutex
	logs  []string
	errs  []string
	shots int
}

const phoneWidth, phoneHeight = 360, 780

// newPhone starts headless Chromium emulating a 360-px-wide Android phone.
func newPhone(t *testing.T, o phoneOptions) *phone {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.UserAgent("Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Mobile Safari/537.36"),
	}
	switch {
	case o.DenyCamera:
		opts = append(opts, chromedp.Flag("use-fake-device-for-media-stream", true), chromedp.Flag("deny-permission-prompts", true))
	case o.NoCamera:
	default:
		opts = append(opts, chromedp.Flag("use-fake-ui-for-media-stream", true), chromedp.Flag("use-fake-device-for-media-stream", true),
			chromedp.Flag("use-file-for-fake-video-capture", o.Camera))
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	p := &phone{t: t, ctx: ctx}
	t.Cleanup(func() {
		cancel()
		cancelA()
	})
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(phoneWidth, phoneHeight, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch)); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	console := chromedp.Events(ctx, cdpruntime.ConsoleAPICalled)
	exceptions := chromedp.Events(ctx, cdpruntime.ExceptionThrown)
	go func() {
		for ev, err := range console {
			if err != nil {
				return
			}
			var parts []string
			for _, a := range ev.Args {
				parts = append(parts, strings.Trim(string(a.Value), `"`)+a.Description)
			}
			p.mu.Lock()
			p.logs = append(p.logs, string(ev.Type)+": "+strings.Join(parts, " "))
			p.mu.Unlock()
		}
	}()
	go func() {
		for ev, err := range exceptions {
			if err != nil {
				return
			}
			msg := ev.ExceptionDetails.Text
			if ev.ExceptionDetails.Exception != nil {
				msg += " " + ev.ExceptionDetails.Exception.Description
			}
			p.mu.Lock()
			p.errs = append(p.errs, msg)
			p.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, l := range p.logs {
			t.Log("console", l)
			if strings.Contains(l, "CSP violation") {
				t.Errorf("page broke its CSP: %s", l)
			}
		}
		for _, e := range p.errs {
			t.Errorf("page exception: %s", e)
		}
	})
	return p
}

func (p *phone) do(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatalf("browser: %v\n%s", err, p.dump())
	}
}

func (p *phone) dump() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return "console:\n" + strings.Join(p.logs, "\n") + "\nexceptions:\n" + strings.Join(p.errs, "\n")
}

// wait waits until sel is visible.
func (p *phone) wait(sel string, timeout time.Duration) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, timeout)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(sel))); err != nil {
		html, _ := chromedp.Run(p.ctx, chromedp.Evaluate[string](`document.getElementById('app') ? document.getElementById('app').outerHTML : document.documentElement.outerHTML`))
		p.t.Fatalf("waiting for %s: %v\npage: %s\n%s", sel, err, html, p.dump())
	}
}

func (p *phone) tap(sel string) {
	p.t.Helper()
	p.do(chromedp.Tap(chromedp.CSS(sel)))
}

func (p *phone) text(sel string) string {
	p.t.Helper()
	s, err := chromedp.Run(p.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		p.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func (p *phone) eval(js string) string {
	p.t.Helper()
	s, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](js))
	if err != nil {
		p.t.Fatalf("eval %s: %v", js, err)
	}
	return s
}

func (p *phone) location() string {
	s, _ := chromedp.Run(p.ctx, chromedp.Location())
	return s
}

// waitLocation waits until the page navigated to a URL with prefix.
func (p *phone) waitLocation(prefix string, timeout time.Duration) string {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if l := p.location(); strings.HasPrefix(l, prefix) {
			return l
		}
		time.Sleep(100 * time.Millisecond)
	}
	p.t.Fatalf("no navigation to %s (at %s)\n%s", prefix, p.location(), p.dump())
	return ""
}

// shot saves a screenshot of the viewport as testdata/generated/screenshots/NAME.png.
func (p *phone) shot(name string) {
	p.t.Helper()
	b, err := chromedp.Run(p.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(generated(p.t, "screenshots", name+".png"), b, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// checkLayout fails when the page is wider than the phone, text is smaller
// than 16 px, or a control is smaller than 44 px.
func (p *phone) checkLayout(screen string) {
	p.t.Helper()
	res := p.eval(`(() => {
  const bad = [];
  if (document.documentElement.scrollWidth > window.innerWidth + 1) bad.push('page wider than viewport: ' + document.documentElement.scrollWidth);
  for (const el of document.querySelectorAll('#app *, .titlebar *')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    const cs = getComputedStyle(el);
    if (cs.visibility === 'hidden' || el.closest('[hidden]') || el.classList.contains('visually-hidden')) continue;
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (own && parseFloat(cs.fontSize) < 16) bad.push('small text ' + parseFloat(cs.fontSize) + 'px: ' + el.textContent.trim().slice(0, 30));
    if (el.matches('button, label.btn, input[type=text]') && (r.height < 44 || r.width < 44)) bad.push('small target ' + Math.round(r.width) + 'x' + Math.round(r.height) + ': ' + (el.id || el.textContent.trim().slice(0, 20)));
    if (el.matches('input[type=checkbox]') && el.closest('label') && el.closest('label').getBoundingClientRect().height < 44) bad.push('small checkbox label');
    if (el.matches('button, input, video') && !(el.getAttribute('aria-label') || el.textContent.trim() || (el.id && document.querySelector('label[for="' + el.id + '"]')) || el.getAttribute('aria-hidden') === 'true')) bad.push('unlabelled control: ' + el.outerHTML.slice(0, 60));
  }
  return bad.join('\n');
})()`)
	if res != "" {
		p.t.Errorf("layout of %s:\n%s", screen, res)
	}
}
