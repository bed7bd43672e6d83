package liveness

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"

	"github.com/faceprint/faceprint/internal/liveness/fixtures"
	"github.com/faceprint/faceprint/internal/verify"
)

var (
	materialVal *fixtures.Material
)

func material(t testing.TB) *fixtures.Material {
	t.Helper()
	if materialVal == nil {
		m, err := fixtures.Load(context.Background(), videosDir(t))
		if err != nil {
			t.Fatal(err)
		}
		materialVal = m
	}
	return materialVal
}

// TestAttacksRejected: a few generated variants of every attack type are all
// rejected, and genuine samples accepted (faceprint eval liveness runs ≥ 50 each).
func TestAttacksRejected(t *testing.T) {
	e := testEngine(t)
	m := material(t)
	n := 2
	if v, err := strconv.Atoi(os.Getenv("LIVENESS_EVAL_N")); err == nil {
		n = v
	}
	kinds := append(append([]string{}, fixtures.AttackKinds...), fixtures.GenuineKinds...)
	if k := os.Getenv("LIVENESS_EVAL_KIND"); k != "" {
		kinds = []string{k}
	}
	rows, err := e.Evaluate(context.Background(), m, kinds, n, "normal", 1, func(s fixtures.Sample, out verify.LivenessOutcome) {
		if os.Getenv("LIVENESS_EVAL_VERBOSE") != "" {
			fmt.Printf("%-40s passed=%v %s%s\n", s.Name, out.Passed, out.Reason, describe(out))
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		t.Logf("%-22s attack=%v n=%d accepted=%d rate=%.3f reasons=%v mean=%.0fms", r.Kind, r.Attack, r.Total, r.Accepted, r.Rate, r.Reasons, r.MeanMS)
		if r.Attack && r.Accepted > 0 {
			t.Errorf("%s: %d of %d attacks accepted: %v", r.Kind, r.Accepted, r.Total, r.Failures)
		}
		if !r.Attack && r.Rate > 0.05 {
			t.Errorf("%s: %d of %d genuine rejected: %v", r.Kind, r.Total-r.Accepted, r.Total, r.Failures)
		}
	}
}
