package cli

import (
	"errors"
	"time"

	"github.com/spf13/cobra"

	"github.com/faceprint/faceprint/internal/loadgen"
)

// benchSubcommands lets other files of this package add `faceprint bench X`
// (call registerBench from their init).
var benchSubcommands []func(*Env) *cobra.Command

func registerBench(f func(*Env) *cobra.Command) { benchSubcommands = append(benchSubcommands, f) }

func init() {
	register(newBenchCmd)
	registerBench(newBenchAPICmd)
}

func newBenchCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure throughput and latency",
	}
	for _, f := range benchSubcommands {
		cmd.AddCommand(f(env))
	}
	return cmd
}

func newBenchAPICmd(env *Env) *cobra.Command {
	cfg := loadgen.Config{Op: loadgen.OpBoth, Concurrency: 64, Duration: 10 * time.Second, Warmup: time.Second}
	cmd := &cobra.Command{
		Use:   "api",
		Short: "Load-test verifyToken/generate and result/detail of a running server",
		Long: `Fetches an access_token with the app's keys, then keeps -c requests in flight on
-c keep-alive connections for -d and prints req/s, p50/p95/p99 latency and the
answers by code. Create the app with a QPS limit above the expected rate (or 0
for the server default), or the server answers error_code 18.

Without --detail-token, result/detail asks about a freshly generated token
and the server answers its "not finished" business code: that is counted as
an answer (not an error), since the lookup path is what is measured.`,
		Example: `  faceprint bench api --url http://127.0.0.1:8080 --api-key AK --secret-key SK --plan 1 -c 64 -d 10s --op both`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rep, err := loadgen.Run(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			if env.Output == "json" {
				if err := env.PrintJSON(rep); err != nil {
					return err
				}
			} else if err := rep.WriteText(env.Stdout); err != nil {
				return err
			}
			for _, o := range rep.Ops {
				if o.Requests == 0 || o.Errors == o.Requests {
					return errors.New("bench: every request failed")
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.URL, "url", "http://127.0.0.1:8080", "server base URL")
	f.StringVar(&cfg.APIKey, "api-key", "", "app API Key")
	f.StringVar(&cfg.SecretKey, "secret-key", "", "app Secret Key")
	f.StringVar(&cfg.PlanID, "plan", "", "plan id for verifyToken/generate")
	f.StringVar(&cfg.Op, "op", cfg.Op, "what to call: generate, detail or both")
	f.IntVarP(&cfg.Concurrency, "concurrency", "c", cfg.Concurrency, "connections (one request in flight on each)")
	f.DurationVarP(&cfg.Duration, "duration", "d", cfg.Duration, "measured duration")
	f.DurationVar(&cfg.Warmup, "warmup", cfg.Warmup, "unmeasured warm-up before the measurement")
	f.StringVar(&cfg.DetailToken, "detail-token", "", "verify_token for result/detail (default: a fresh one)")
	f.DurationVar(&cfg.Timeout, "timeout", 10*time.Second, "per-request timeout")
	return cmd
}
