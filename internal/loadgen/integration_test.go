package loadgen

import (
	"context"
	"testing"
	"time"

	"github.com/faceprint/faceprint/internal/config"
	"github.com/faceprint/faceprint/internal/testenv"
)

// The generator against the real server, briefly: every answer must be a
// success (generate) or the documented "not finished" code (detail).
func TestRunAgainstRealServer(t *testing.T) {
	if testing.Short() {
		t.Skip("load run")
	}
	env := testenv.Start(t, testenv.Options{NoEngines: true, Config: func(c *config.Config) { c.DefaultQPS = 1_000_000 }})
	rep, err := Run(context.Background(), Config{URL: env.URL, APIKey: env.APIKey, SecretKey: env.SecretKey, PlanID: env.PlanID,
		Op: OpBoth, Concurrency: 8, Duration: time.Second, Warmup: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Ops) != 2 {
		t.Fatalf("ops = %+v", rep.Ops)
	}
	g, d := rep.Ops[0], rep.Ops[1]
	if g.Requests == 0 || g.OK != g.Requests || g.Errors != 0 {
		t.Fatalf("generate: %+v (first error %q)", g, rep.FirstError)
	}
	if d.Requests == 0 || d.Codes["283415"] != d.Requests {
		t.Fatalf("detail: %+v (first error %q)", d, rep.FirstError)
	}
	t.Logf("generate %.0f/s p99 %s; detail %.0f/s p99 %s (shared CI cores: not a target check)", g.PerSecond, g.P99, d.PerSecond, d.P99)
}
