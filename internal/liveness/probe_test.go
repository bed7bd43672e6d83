package liveness

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/faceprint/faceprint/internal/liveness/fixtures"
)

// TestProbeClips prints per-frame signals of every labelled clip; run with
// LIVENESS_PROBE=1 to tune thresholds (docs/liveness.md).
func TestProbeClips(t *testing.T) {
	if os.Getenv("LIVENESS_PROBE") == "" {
		t.Skip("set LIVENESS_PROBE=1 to print per-frame signals")
	}
	e := testEngine(t)
	for _, c := range fixtures.Clips {
		if p := os.Getenv("LIVENESS_PROBE_CLIP"); p != "" && p != c.Name {
			continue
		}
		frames, err := DecodeVideo(context.Background(), clipBytes(t, c), e.opts.Video)
		if err != nil {
			t.Fatal(err)
		}
		obs, err := e.observe(context.Background(), frames)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("== %s (%d frames)\n", c.Name, len(obs))
		for i, o := range obs {
			if !o.HasFace {
				fmt.Printf("%5d no face\n", o.At)
				continue
			}
			f := o.Face
			d := 0.0
			if i > 0 {
				d = thumbDiff(o.Thumb, obs[i-1].Thumb)
			}
			fmt.Printf("%5d n=%d w=%5.1f yaw=%6.1f pit=%6.1f rol=%6.1f ear=%.3f eye=%.2f mo=%.3f live=%.3f sp=%.2f/%.2f sh=%.0f d=%.3f nx=%.3f ny=%.3f\n",
				o.At, o.Faces, f.Box.Width, f.Pose.Yaw, f.Pose.Pitch, f.Pose.Roll, o.EAR, o.EyeOpen, f.MouthOpen, f.Live, f.Spoof[1], f.Spoof[2], f.Quality.Sharpness, d, o.NoseX, o.NoseY)
		}
	}
}
