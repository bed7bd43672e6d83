package liveness

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/faceprint/faceprint/internal/liveness/fixtures"
	"github.com/faceprint/faceprint/internal/plan"
	"github.com/faceprint/faceprint/internal/verify"
)

// EvalRow is the result for one sample type: for attacks the share accepted
// (APCER), for genuine samples the share rejected (BPCER).
type EvalRow struct {
	Kind     string         `json:"kind"`
	Attack   bool           `json:"attack"`
	Total    int            `json:"total"`
	Accepted int            `json:"accepted"`
	Rate     float64        `json:"rate"` // APCER for attacks, BPCER for genuine
	Reasons  map[string]int `json:"reasons"`
	Failures []string       `json:"failures,omitempty"` // names of wrongly decided samples
	MeanMS   float64        `json:"mean_ms"`
}

// SampleSecret returns the secret a fixture sample is judged against.
func SampleSecret(s fixtures.Sample) Secret {
	switch s.Mode {
	case plan.LivenessFlash:
		return FlashSecret("eval", s.Colors)
	case plan.LivenessNearFar:
		return NearFarSecret("eval")
	case plan.LivenessSilent:
		return SilentSecret("eval")
	}
	return ActionSecret("eval", s.Actions)
}

// JudgeSample analyses one fixture sample.
func (e *Engine) JudgeSample(ctx context.Context, s fixtures.Sample, level string) (verify.LivenessOutcome, error) {
	frames := make([]DecodedFrame, len(s.Frames))
	for i, f := range s.Frames {
		frames[i] = DecodedFrame{AtMillis: f.AtMillis, Image: f.Image}
	}
	return e.AnalyzeFrames(ctx, SampleSecret(s), s.Timed, frames, plan.LivenessOptions{Level: level})
}

// Evaluate generates n samples of each kind and judges them.
func (e *Engine) Evaluate(ctx context.Context, m *fixtures.Material, kinds []string, n int, level string, seed uint64, progress func(s fixtures.Sample, out verify.LivenessOutcome)) ([]EvalRow, error) {
	var rows []EvalRow
	for _, kind := range kinds {
		row := EvalRow{Kind: kind, Attack: !strings.HasPrefix(kind, fixtures.Genuine), Reasons: map[string]int{}}
		var ms int64
		err := m.GenerateEach(kind, n, seed, func(s fixtures.Sample) error {
			t := time.Now()
			out, err := e.JudgeSample(ctx, s, level)
			if err != nil {
				return fmt.Errorf("liveness: eval %s: %w", s.Name, err)
			}
			ms += time.Since(t).Milliseconds()
			row.Total++
			if out.Passed {
				row.Accepted++
				if row.Attack {
					row.Failures = append(row.Failures, s.Name)
				}
			} else {
				for _, r := range strings.Split(out.Reason, ",") {
					row.Reasons[r]++
				}
				if !row.Attack {
					row.Failures = append(row.Failures, s.Name+": "+out.Reason)
				}
			}
			if progress != nil {
				progress(s, out)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if row.Total > 0 {
			if row.Attack {
				row.Rate = float64(row.Accepted) / float64(row.Total)
			} else {
				row.Rate = float64(row.Total-row.Accepted) / float64(row.Total)
			}
			row.MeanMS = float64(ms) / float64(row.Total)
		}
		sort.Strings(row.Failures)
		rows = append(rows, row)
	}
	return rows, nil
}

// WindowRow is the genuine sweep's result for one video under one capture
// condition: every window is a real person, so every rejection is an error.
type WindowRow struct {
	Video    string         `json:"video"`
	Variant  string         `json:"variant"`
	Total    int            `json:"total"`
	Rejected int            `json:"rejected"`
	BPCER    float64        `json:"bpcer"`
	Reasons  map[string]int `json:"reasons"`
	Failures []string       `json:"failures,omitempty"` // window: reasons
	MeanMS   float64        `json:"mean_ms"`
}

// EvaluateWindows judges every window under every variant as a silent
// capture on the challenge clock (what the H5 page sends), one row per video
// and variant.
func (e *Engine) EvaluateWindows(ctx context.Context, windows []fixtures.Window, variants []string, level string, seed uint64, progress func(name string, out verify.LivenessOutcome)) ([]WindowRow, error) {
	rows := map[[2]string]*WindowRow{}
	var order [][2]string
	for _, v := range variants {
		for _, w := range windows {
			frames, err := fixtures.Variant(w, v, seed)
			if err != nil {
				return nil, err
			}
			df := make([]DecodedFrame, len(frames))
			for i, f := range frames {
				df[i] = DecodedFrame{AtMillis: f.AtMillis, Image: f.Image}
			}
			t := time.Now()
			out, err := e.AnalyzeFrames(ctx, SilentSecret("eval"), true, df, plan.LivenessOptions{Mode: plan.LivenessSilent, Level: level})
			if err != nil {
				return nil, fmt.Errorf("liveness: eval window %s: %w", w.Name(), err)
			}
			key := [2]string{w.Video, v}
			r := rows[key]
			if r == nil {
				r = &WindowRow{Video: w.Video, Variant: v, Reasons: map[string]int{}}
				rows[key] = r
				order = append(order, key)
			}
			r.Total++
			r.MeanMS += float64(time.Since(t).Milliseconds())
			if !out.Passed {
				r.Rejected++
				for _, rs := range strings.Split(out.Reason, ",") {
					r.Reasons[rs]++
				}
				r.Failures = append(r.Failures, w.Name()+" "+v+": "+out.Reason)
			}
			if progress != nil {
				progress(w.Name()+" "+v, out)
			}
		}
	}
	var out []WindowRow
	for _, k := range order {
		r := rows[k]
		r.BPCER = float64(r.Rejected) / float64(r.Total)
		r.MeanMS /= float64(r.Total)
		out = append(out, *r)
	}
	return out, nil
}
