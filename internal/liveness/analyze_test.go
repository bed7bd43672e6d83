package liveness

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"strings"
	"testing"
	"time"

	"github.com/faceprint/faceprint/internal/liveness/fixtures"
	"github.com/faceprint/faceprint/internal/plan"
	"github.com/faceprint/faceprint/internal/verify"
)

// timedCapture turns clip frames from index `from` on into an H5-style
// capture: JPEG frames timed from the challenge start.
func timedCapture(t *testing.T, name string, from, n int) verify.Capture {
	t.Helper()
	fr := material(t).Clips[name]
	var c verify.Capture
	for k := range n {
		c.Frames = append(c.Frames, verify.Frame{AtMillis: int64(k) * 100, Image: fixtures.EncodeJPEG(fr[from+k].Image, 85)})
	}
	return c
}

// TestAnalyzeTimedCapture: the H5 path. turn-franck turns left 3.7 s into
// the clip; starting the capture 1.6 s in puts the turn inside the action
// step (1.5–4.5 s). A "right" challenge on the same frames fails; a
// challenge answers once; an expired one fails.
func TestAnalyzeTimedCapture(t *testing.T) {
	e := testEngine(t)
	capture := timedCapture(t, "turn-franck", 16, 50)
	left := plan.LivenessOptions{Mode: plan.LivenessAction, Level: plan.LevelNormal, Actions: []string{"left"}, ActionCount: 1}
	ch, err := e.NewChallenge(left, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.Analyze(context.Background(), ch, left, capture)
	if err != nil {
		t.Fatal(err)
	}
	if !out.Passed || out.LivenessScore < 0.9 || len(out.BestFrame) == 0 {
		t.Fatalf("genuine timed left turn: %s%s", out.Reason, describe(out))
	}
	if _, err := jpeg.Decode(bytes.NewReader(out.BestFrame)); err != nil {
		t.Errorf("best frame: %v", err)
	}
	again, _ := e.Analyze(context.Background(), ch, left, capture)
	if again.Passed || again.Reason != ReasonChallengeUsed {
		t.Errorf("second answer: %+v", again)
	}
	right := left
	right.Actions = []string{"right"}
	ch2, _ := e.NewChallenge(right, time.Now())
	out, _ = e.Analyze(context.Background(), ch2, right, capture)
	if out.Passed || out.ErrorCode != CodeFailed || !strings.Contains(out.Reason, "action_missing:right") || out.LivenessScore >= 0.05 {
		t.Errorf("right challenge on a left turn: %+v", out)
	}
	// the turn happens, but after its window: steps 0.5 s hold + 1 s turn
	// (+1.5 s slack) end at 3 s, the turn starts at 3.7 s
	late := timedCapture(t, "turn-franck", 0, 65)
	ch3, _ := e.NewChallenge(left, time.Now())
	sec, _ := ParseSecret(ch3)
	sec.Steps[0].Millis, sec.Steps[1].Millis = 500, 1000
	out, _ = e.AnalyzeFrames(context.Background(), sec, true, decodeCapture(t, late), left)
	if out.Passed || !strings.Contains(out.Reason, ReasonActionTiming) {
		t.Errorf("turn outside its window: %s%s", out.Reason, describe(out))
	}
	// expired challenge
	ch4, _ := e.NewChallenge(left, time.Now().Add(-time.Hour))
	out, _ = e.Analyze(context.Background(), ch4, left, capture)
	if out.Passed || out.Reason != ReasonChallengeExpired {
		t.Errorf("expired: %+v", out)
	}
}

func decodeCapture(t *testing.T, c verify.Capture) []DecodedFrame {
	t.Helper()
	var out []DecodedFrame
	for _, f := range c.Frames {
		img, err := jpeg.Decode(bytes.NewReader(f.Image))
		if err != nil {
			t.Fatal(err)
		}
		b := img.Bounds()
		n := image.NewNRGBA(b)
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				n.Set(x, y, img.At(x, y))
			}
		}
		out = append(out, DecodedFrame{AtMillis: f.AtMillis, Image: n})
	}
	return out
}

// TestAnalyzeBadCaptures: no face, bad frames, bad timestamps answer error
// codes, never errors or panics.
func TestAnalyzeBadCaptures(t *testing.T) {
	e := testEngine(t)
	opts := plan.LivenessOptions{Mode: plan.LivenessSilent, Level: plan.LevelNormal}
	var blank bytes.Buffer
	_ = jpeg.Encode(&blank, image.NewGray(image.Rect(0, 0, 320, 240)), nil)
	var frames []verify.Frame
	for k := range 20 {
		frames = append(frames, verify.Frame{AtMillis: int64(k) * 100, Image: blank.Bytes()})
	}
	cases := []struct {
		name string
		c    verify.Capture
		code int
	}{
		{"no face", verify.Capture{Frames: frames}, CodeNoFace},
		{"garbage frame", verify.Capture{Frames: []verify.Frame{{AtMillis: 0, Image: []byte("garbage")}}}, CodeImageFormat},
		{"time goes back", verify.Capture{Frames: []verify.Frame{{AtMillis: 500, Image: blank.Bytes()}, {AtMillis: 100, Image: blank.Bytes()}}}, CodeImageFormat},
		{"too many frames", verify.Capture{Frames: make([]verify.Frame, 500)}, CodeImageSize},
		{"empty", verify.Capture{}, CodeImageFormat},
		{"garbage video", verify.Capture{Video: []byte("not a video")}, CodeImageFormat},
	}
	for _, c := range cases {
		ch, _ := e.NewChallenge(opts, time.Now())
		out, err := e.Analyze(context.Background(), ch, opts, c.c)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if out.Passed || out.ErrorCode != c.code {
			t.Errorf("%s: code %d reason %s, want %d", c.name, out.ErrorCode, out.Reason, c.code)
		}
	}
}

// TestAnalyzeConcurrent: one engine serves several sessions at once (run
// with -race); single use holds across goroutines.
func TestAnalyzeConcurrent(t *testing.T) {
	e := testEngine(t)
	capture := timedCapture(t, "still-cap12", 0, 12)
	opts := plan.LivenessOptions{Mode: plan.LivenessSilent, Level: plan.LevelLoose}
	ch, _ := e.NewChallenge(opts, time.Now())
	results := make(chan verify.LivenessOutcome, 4)
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			out, err := e.Analyze(context.Background(), ch, opts, capture)
			results <- out
			errs <- err
		}()
	}
	used := 0
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
		if out := <-results; out.Reason == ReasonChallengeUsed {
			used++
		}
	}
	if used != 3 {
		t.Errorf("%d of 4 concurrent answers refused as used, want 3", used)
	}
}
