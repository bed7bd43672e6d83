package loadgen

import (
	"context"
	"os"
	"runtime/pprof"
	"testing"
	"time"

	"github.com/faceprint/faceprint/internal/config"
	"github.com/faceprint/faceprint/internal/testenv"
)

func TestProfTmp(t *testing.T) {
	op := os.Getenv("OP")
	env := testenv.Start(t, testenv.Options{NoEngines: true, Config: func(c *config.Config) { c.DefaultQPS = 1_000_000 }})
	f, _ := os.Create("/tmp/prof_" + op + ".out")
	pprof.StartCPUProfile(f)
	rep, err := Run(context.Background(), Config{URL: env.URL, APIKey: env.APIKey, SecretKey: env.SecretKey, PlanID: env.PlanID,
		Op: op, Concurrency: 64, Duration: 5 * time.Second})
	pprof.StopCPUProfile()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", rep.Ops[0])
}
