package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/faceprint/faceprint/internal/liveness/fixtures"
	"github.com/faceprint/faceprint/internal/plan"
	"github.com/faceprint/faceprint/internal/testenv"
)

// TestLivenessSweepThroughSession runs the reduced liveness sweep through
// whole verify sessions over the H5 API, as a phone would send them: real
// people (3-s windows spread over every real video) must pass silent
// liveness, and still photos panned, zoomed and rotated by a virtual camera
// (1–60 px/s, 480p–1080p) must fail. The full sweep is
// `faceprint eval liveness DIR --windows` (docs/liveness.md).
func TestLivenessSweepThroughSession(t *testing.T) {
	if testing.Short() {
		t.Skip("real engines")
	}
	e := realEnv(t)
	ctx := context.Background()
	vids := videosDir(t)
	o := plan.Defaults()
	o.IdentityInput, o.CompareSource, o.Liveness.Mode = plan.InputManual, plan.CompareNone, plan.LivenessSilent
	o.MaxAttempts = 1
	planID := e.CreatePlan(o)

	windows, err := fixtures.Windows(ctx, vids, 3, 1, 3)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range windows {
		passed, reason, err := sessionCapture(e, planID, w.Frames)
		if err != nil {
			t.Fatalf("%s: %v", w.Name(), err)
		}
		if !passed {
			t.Errorf("real person %s rejected: %s", w.Name(), reason)
		}
	}
	photos, err := fixtures.LoadPhotos(filepath.Join(vids, "stills"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range fixtures.PhotoPans(photos, 10, 7) {
		passed, reason, err := sessionCapture(e, planID, s.Frames)
		if err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
		if passed {
			t.Errorf("panned photo %s passed silent liveness", s.Name)
		} else {
			t.Logf("%s: %s", s.Name, reason)
		}
	}
}

// sessionCapture runs one manual-entry, silent-liveness session with the
// frames as the capture and returns the decision.
func sessionCapture(e *testenv.Env, planID string, frames []fixtures.Frame) (bool, string, error) {
	h, err := openH5(e.URL, e.Generate(planID))
	if err != nil {
		return false, "", err
	}
	if _, err := h.json("POST", "start", nil); err != nil {
		return false, "", err
	}
	if _, err := h.json("POST", "confirm", map[string]string{"name": "张三", "id_number": "11010119900307803X"}); err != nil {
		return false, "", err
	}
	ch, err := h.json("POST", "challenge", map[string]bool{})
	if err != nil {
		return false, "", err
	}
	id := obj(ch, "challenge")["id"].(string)
	issued := time.Now()
	n := min(len(frames), 60)
	for i := range n {
		img := fixtures.EncodeJPEG(frames[i].Image, 90)
		if _, err := h.call("PUT", fmt.Sprintf("frame?challenge=%s&index=%d&at=%d", id, i, frames[i].AtMillis), img, "image/jpeg"); err != nil {
			return false, "", err
		}
	}
	// the server refuses frame times beyond the time that has passed since
	// the challenge (+1.5 s): a capture cannot be faster than real time
	if wait := time.Duration(frames[n-1].AtMillis)*time.Millisecond - time.Since(issued) - time.Second; wait > 0 {
		time.Sleep(wait)
	}
	out, err := h.json("POST", "capture", map[string]any{"challenge": id, "frames": n})
	if err != nil {
		return false, "", err
	}
	d := obj(out, "decision")
	reason, _ := d["reason"].(string)
	return d["passed"] == true, reason, nil
}
