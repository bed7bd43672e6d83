package liveness

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/faceprint/faceprint/internal/plan"
)

var t0 = time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)

func TestActionChallenge(t *testing.T) {
	opts := plan.LivenessOptions{Mode: plan.LivenessAction, Actions: []string{"blink", "mouth", "left", "right"}, ActionCount: 2}
	orders := map[string]int{}
	ids := map[string]bool{}
	for range 300 {
		ch, err := NewChallenge(opts, t0, nil)
		if err != nil {
			t.Fatal(err)
		}
		if ids[ch.ID] || len(ch.ID) != 32 {
			t.Fatalf("challenge id %q repeated or malformed", ch.ID)
		}
		ids[ch.ID] = true
		if !ch.IssuedAt.Equal(t0) || ch.ExpiresAt.Sub(t0) != 15*time.Second+challengeGrace {
			t.Errorf("times %v %v", ch.IssuedAt, ch.ExpiresAt)
		}
		sec, err := ParseSecret(ch)
		if err != nil {
			t.Fatal(err)
		}
		if len(sec.Actions) != 2 || sec.Actions[0] == sec.Actions[1] || len(sec.Nonce) != 32 {
			t.Fatalf("secret %+v", sec)
		}
		orders[sec.Actions[0]+">"+sec.Actions[1]]++
		var pub Public
		if err := json.Unmarshal(ch.Public, &pub); err != nil {
			t.Fatal(err)
		}
		if pub.Mode != "action" || len(pub.Steps) != 3 || pub.Steps[0].Kind != KindHold || pub.Steps[1].Action != sec.Actions[0] || pub.Steps[2].Action != sec.Actions[1] {
			t.Fatalf("public %+v", pub)
		}
		if pub.Capture != (CaptureSpec{FPS: 10, MaxFrames: 80, MaxMillis: 15000, Width: 640, Height: 480}) {
			t.Errorf("capture %+v", pub.Capture)
		}
		if sec.TotalMillis() > int64(pub.Capture.MaxMillis) {
			t.Errorf("steps %d ms longer than the capture", sec.TotalMillis())
		}
	}
	// every ordered pair of the pool turns up: random choice and order
	if len(orders) != 12 {
		t.Errorf("%d of 12 ordered pairs seen: %v", len(orders), orders)
	}
}

// TestPublicJSONContract pins the JSON the H5 page renders.
func TestPublicJSONContract(t *testing.T) {
	ch, err := NewChallenge(plan.LivenessOptions{Mode: plan.LivenessAction, Actions: []string{"blink"}, ActionCount: 1}, t0, nil)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	_ = json.Unmarshal(ch.Public, &raw)
	steps := raw["steps"].([]any)
	hold := steps[0].(map[string]any)
	act := steps[1].(map[string]any)
	if hold["kind"] != "hold" || hold["prompt_zh"] != "请正对屏幕" || hold["ms"].(float64) != 1500 {
		t.Errorf("hold step %v", hold)
	}
	if act["kind"] != "action" || act["action"] != "blink" || act["prompt_zh"] != "请眨眨眼" || act["prompt_en"] != "Please blink" || act["ms"].(float64) != 3000 {
		t.Errorf("action step %v", act)
	}
	if _, ok := act["color"]; ok {
		t.Error("action step carries a colour")
	}
	fl, _ := NewChallenge(plan.LivenessOptions{Mode: plan.LivenessFlash}, t0, nil)
	_ = json.Unmarshal(fl.Public, &raw)
	f := raw["steps"].([]any)[1].(map[string]any)
	if len(f) != 3 || f["kind"] != "flash" || len(f["color"].(string)) != 7 || f["ms"].(float64) != 600 {
		t.Errorf("flash step %v (want exactly kind, color, ms)", f)
	}
	nf, _ := NewChallenge(plan.LivenessOptions{Mode: plan.LivenessNearFar}, t0, nil)
	_ = json.Unmarshal(nf.Public, &raw)
	s := raw["steps"].([]any)
	if s[0].(map[string]any)["kind"] != "far" || s[1].(map[string]any)["kind"] != "near" || s[1].(map[string]any)["prompt_zh"] != "请靠近一点" {
		t.Errorf("near-far steps %v", s)
	}
}

func TestFlashSilentChallenges(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		ch, err := NewChallenge(plan.LivenessOptions{Mode: plan.LivenessFlash}, t0, nil)
		if err != nil {
			t.Fatal(err)
		}
		sec, _ := ParseSecret(ch)
		if len(sec.Colors) < minFlashes || len(sec.Colors) > maxFlashes {
			t.Fatalf("%d colours", len(sec.Colors))
		}
		for i, c := range sec.Colors {
			if !slices.Contains(flashPalette, c) || (i > 0 && c == sec.Colors[i-1]) {
				t.Fatalf("colours %v", sec.Colors)
			}
			seen[c] = true
		}
		if sec.Steps[0].Kind != KindHold || sec.Steps[len(sec.Steps)-1].Kind != KindHold {
			t.Errorf("flash steps %+v", sec.Steps)
		}
	}
	if len(seen) != len(flashPalette) {
		t.Errorf("colours used: %v", seen)
	}
	ch, _ := NewChallenge(plan.LivenessOptions{Mode: plan.LivenessSilent}, t0, nil)
	if sec, _ := ParseSecret(ch); len(sec.Steps) != 1 || sec.Steps[0].Kind != KindHold || sec.Steps[0].Millis != holdMillis {
		t.Errorf("silent %+v", sec)
	}
	for _, bad := range []plan.LivenessOptions{
		{Mode: plan.LivenessNone},
		{Mode: "dance"},
		{Mode: plan.LivenessAction, Actions: []string{"wink"}, ActionCount: 1},
		{Mode: plan.LivenessAction, Actions: []string{"blink"}, ActionCount: 2},
	} {
		if _, err := NewChallenge(bad, t0, nil); !errors.Is(err, ErrBadOptions) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
}

func TestLevels(t *testing.T) {
	s, n, l := LevelThresholds(plan.LevelStrict), LevelThresholds(plan.LevelNormal), LevelThresholds(""+plan.LevelLoose)
	if !(s.MinLive > n.MinLive && n.MinLive > l.MinLive && s.NearFarRatio > n.NearFarRatio && n.TurnDeg > l.TurnDeg) {
		t.Errorf("levels not ordered: %+v %+v %+v", s, n, l)
	}
	if LevelThresholds("") != n {
		t.Error("default level is not normal")
	}
}
