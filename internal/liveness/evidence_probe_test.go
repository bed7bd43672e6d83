package liveness

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/faceprint/faceprint/internal/liveness/fixtures"
	"github.com/faceprint/faceprint/internal/plan"
)

// TestProbeEvidence prints the positive-evidence signals of genuine windows
// and virtual-camera pans; run with LIVENESS_PROBE=1 to calibrate.
func TestProbeEvidence(t *testing.T) {
	if os.Getenv("LIVENESS_PROBE") == "" {
		t.Skip("set LIVENESS_PROBE=1 to print the evidence signals")
	}
	e := testEngine(t)
	ctx := context.Background()
	vd := videosDir(t)
	show := func(name string, fr []fixtures.Frame, sec Secret) {
		frames := make([]DecodedFrame, len(fr))
		for i, f := range fr {
			frames[i] = DecodedFrame{AtMillis: f.AtMillis, Image: f.Image}
		}
		obs, err := e.observe(ctx, frames)
		if err != nil {
			t.Fatal(err)
		}
		a := &analysis{sec: sec, timed: true, th: LevelThresholds(plan.LevelNormal), obs: obs, model: "m"}
		out := a.run()
		var failed []string
		sc := map[string]float64{}
		for _, c := range out.Checks {
			sc[c.Name] = c.Score
			if !c.Passed {
				failed = append(failed, fmt.Sprintf("%s=%.4g", c.Name, c.Score))
			}
		}
		if os.Getenv("LIVENESS_PROBE_SAMPLE") != "" {
			for _, c := range out.Checks {
				fmt.Printf("    %-20s %8.4f thr %8.4f pass=%v %s\n", c.Name, c.Score, c.Threshold, c.Passed, c.Model)
			}
		}
		fmt.Printf("%-48s pass=%-5v fc=%.3f lvl=%.4f np=%.3f ev=%.0f failed=%v\n", name, out.Passed, sc["face_change"], sc["face_change_level"], sc["non_planar_motion"], sc["live_evidence"], failed)
	}
	if k := os.Getenv("LIVENESS_PROBE_KIND"); k == "genuine" || k == "" {
		ws, err := fixtures.Windows(ctx, vd, 3, probeStride(), probeLimit())
		if err != nil {
			t.Fatal(err)
		}
		v := os.Getenv("LIVENESS_PROBE_VARIANT")
		if v == "" {
			v = "as_is"
		}
		for _, w := range ws {
			if only := os.Getenv("LIVENESS_PROBE_WINDOW"); only != "" && only != w.Name() {
				continue
			}
			fr, err := fixtures.Variant(w, v, 1)
			if err != nil {
				t.Fatal(err)
			}
			show("genuine-"+v+"-"+w.Name(), fr, SilentSecret("p"))
		}
	}
	if k := os.Getenv("LIVENESS_PROBE_KIND"); k != "genuine" && k != "pan" && k != "" {
		m, err := fixtures.Load(ctx, vd)
		if err != nil {
			t.Fatal(err)
		}
		for _, kind := range strings.Split(k, ",") {
			ss, err := m.Generate(kind, probeN(), 1)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range ss {
				if only := os.Getenv("LIVENESS_PROBE_SAMPLE"); only != "" && !strings.Contains(s.Name, only) {
					continue
				}
				show(s.Name, s.Frames, SampleSecret(s))
			}
		}
		return
	}
	if os.Getenv("LIVENESS_PROBE_KIND") != "genuine" {
		m, err := fixtures.Load(ctx, vd)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range m.Pans(probeN(), 1) {
			show(s.Name, s.Frames, SampleSecret(s))
		}
	}
}

func probeStride() float64 {
	if v, err := strconv.ParseFloat(os.Getenv("LIVENESS_PROBE_STRIDE"), 64); err == nil {
		return v
	}
	return 2
}

func probeN() int {
	if v, err := strconv.Atoi(os.Getenv("LIVENESS_PROBE_N")); err == nil {
		return v
	}
	return 24
}

func probeLimit() int {
	v, _ := strconv.Atoi(os.Getenv("LIVENESS_PROBE_PER_VIDEO"))
	return v
}
