package liveness

import (
	"context"
	"testing"

	"github.com/faceprint/faceprint/internal/liveness/fixtures"
	"github.com/faceprint/faceprint/internal/plan"
)

// TestGenuineWindowSweep is the reduced genuine sweep: 3-s windows spread
// evenly over every real video, under several well-lit capture conditions,
// judged as silent captures. Real people must pass: at most one rejection in
// the set (dim, noisy and small-face conditions fail the per-frame
// anti-spoofing model far more often; their BPCER is reported by the full
// sweep, not held to the target here)
// (the full sweep, `faceprint eval liveness DIR --windows`, reports BPCER
// per video and condition; docs/liveness.md).
func TestGenuineWindowSweep(t *testing.T) {
	if testing.Short() {
		t.Skip("real models")
	}
	e := testEngine(t)
	ws, err := fixtures.Windows(context.Background(), videosDir(t), 3, 1, 3)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := e.EvaluateWindows(context.Background(), ws, []string{"as_is", "jpeg_low", "face_large", "fps15_jitter", "hd_720p"}, plan.LevelNormal, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	total, rejected := 0, 0
	for _, r := range rows {
		total += r.Total
		rejected += r.Rejected
		for _, f := range r.Failures {
			t.Logf("rejected: %s", f)
		}
	}
	t.Logf("%d genuine windows, %d rejected", total, rejected)
	if total < 40 {
		t.Fatalf("only %d windows judged", total)
	}
	if rejected > 1 {
		t.Errorf("%d of %d real-person windows rejected", rejected, total)
	}
}
