package liveness

import (
	"context"
	"strings"
	"testing"

	"github.com/faceprint/faceprint/internal/liveness/fixtures"
	"github.com/faceprint/faceprint/internal/plan"
	"github.com/faceprint/faceprint/internal/verify"
)

// secretFor builds the order-only secret of a one-challenge capture.
func secretFor(challenge string) Secret {
	switch challenge {
	case "nearfar":
		return Secret{Nonce: "t", Mode: plan.LivenessNearFar, Steps: []Step{{Kind: KindFar, Millis: nearFarMillis}, {Kind: KindNear, Millis: nearFarMillis}}}
	case "still":
		return Secret{Nonce: "t", Mode: plan.LivenessSilent, Steps: []Step{{Kind: KindHold, Millis: holdMillis}}}
	}
	return ActionSecret("t", []string{challenge})
}

func describe(out verify.LivenessOutcome) string {
	var b strings.Builder
	for _, c := range out.Checks {
		mark := "ok"
		if !c.Passed {
			mark = "FAIL " + c.Reason
		}
		b.WriteString("\n  " + c.Name + " " + mark + " score=" + ftoa(c.Score) + " thr=" + ftoa(c.Threshold))
	}
	return b.String()
}

// TestLabelledClips: each genuine clip passes the challenge it shows and
// fails one it does not show.
func TestLabelledClips(t *testing.T) {
	e := testEngine(t)
	opts := plan.LivenessOptions{Level: plan.LevelNormal}
	for _, c := range fixtures.Clips {
		t.Run(c.Name, func(t *testing.T) {
			video := clipBytes(t, c)
			frames, err := DecodeVideo(context.Background(), video, e.opts.Video)
			if err != nil {
				t.Fatal(err)
			}
			for _, ch := range c.Contains {
				out, err := e.AnalyzeFrames(context.Background(), secretFor(ch), false, frames, opts)
				if err != nil {
					t.Fatal(err)
				}
				if !out.Passed {
					t.Errorf("%s: genuine clip failed its own challenge %s: %s%s", c.Name, ch, out.Reason, describe(out))
				}
			}
			for _, ch := range c.Lacks {
				out, err := e.AnalyzeFrames(context.Background(), secretFor(ch), false, frames, opts)
				if err != nil {
					t.Fatal(err)
				}
				if out.Passed {
					t.Errorf("%s: passed challenge %s it does not show%s", c.Name, ch, describe(out))
				}
			}
		})
	}
}
