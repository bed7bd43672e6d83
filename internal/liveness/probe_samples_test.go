package liveness

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestProbeSamples judges chosen generated samples and prints every check:
// LIVENESS_PROBE_KIND=photo_2d_motion LIVENESS_PROBE_IDX=8,14 LIVENESS_PROBE_N=50.
func TestProbeSamples(t *testing.T) {
	kind := os.Getenv("LIVENESS_PROBE_KIND")
	if kind == "" {
		t.Skip("set LIVENESS_PROBE_KIND")
	}
	e := testEngine(t)
	n, _ := strconv.Atoi(os.Getenv("LIVENESS_PROBE_N"))
	ss, err := material(t).Generate(kind, max(n, 1), 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range strings.Split(os.Getenv("LIVENESS_PROBE_IDX"), ",") {
		i, _ := strconv.Atoi(f)
		out, err := e.JudgeSample(context.Background(), ss[i], "normal")
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("%s mode=%s %v passed=%v %s%s\n", ss[i].Name, ss[i].Mode, ss[i].Actions, out.Passed, out.Reason, describe(out))
	}
}
