package console_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/faceprint/faceprint/internal/config"
	"github.com/faceprint/faceprint/internal/plan"
	"github.com/faceprint/faceprint/internal/testenv"
	"github.com/faceprint/faceprint/internal/verify"
	"github.com/faceprint/faceprint/internal/verify/verifytest"
)

// TestConsoleExplainsSessions opens the console in real Chromium, logs in
// with the admin token and reads a failed session's checks.
func TestConsoleExplainsSessions(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		testenv.SkipOrFail(t, "chromium not installed (scripts/install-debs.sh test)")
	}
	e := testenv.Start(t, testenv.Options{NoEngines: true, Config: func(c *config.Config) { c.AdminToken = "console-test-token-123456" }})
	v := e.App.Verify
	v.Liveness = &verifytest.Liveness{Fail: true, Reason: "static_image"}
	o := plan.Defaults()
	o.IdentityInput, o.CompareSource, o.InvalidateOnFailure = plan.InputManual, plan.CompareNone, true
	tok := e.Generate(e.CreatePlan(o))
	ctx := context.Background()
	v.Start(ctx, tok)
	v.ConfirmIdentity(ctx, tok, "张三", "11010119900307803X")
	ch, _, _ := v.IssueChallenge(ctx, tok, false)
	if _, _, err := v.SubmitCapture(ctx, tok, ch.ID, verify.Capture{Frames: []verify.Frame{{Image: []byte("x")}}}); err != nil {
		t.Fatal(err)
	}

	actx, cancelA := chromedp.NewExecAllocator(context.Background(), chromedp.ExecPath(chromium), chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true))
	defer cancelA()
	bctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	bctx, cancelT := context.WithTimeout(bctx, 60*time.Second)
	defer cancelT()
	if err := chromedp.Do(bctx,
		chromedp.Navigate(e.URL+"/console/"),
		chromedp.SendKeys("#token", "console-test-token-123456"),
		chromedp.Click("#login button"),
		chromedp.WaitVisible("#sessions tbody tr"),
		chromedp.Click("#sessions tbody tr button"),
		chromedp.WaitVisible("#detail"),
	); err != nil {
		t.Fatal(err)
	}
	detail, err := chromedp.Run(bctx, chromedp.Text("#detail"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(detail, `"reason": "static_image"`) || !strings.Contains(detail, `"threshold"`) {
		t.Fatalf("explanation: %s", detail)
	}
	rows, _ := chromedp.Run(bctx, chromedp.Text("#sessions tbody"))
	if !strings.Contains(rows, "张*") || strings.Contains(rows, "11010119900307803X") || !strings.Contains(rows, "failed") {
		t.Fatalf("session row (must be masked): %s", rows)
	}
	shot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	if err == nil {
		dir := filepath.Join(testenv.RepoRoot(), "testdata", "generated", "screenshots")
		_ = os.MkdirAll(dir, 0o755)
		_ = os.WriteFile(filepath.Join(dir, "console.png"), shot, 0o644)
	}
}
