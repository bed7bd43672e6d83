package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/faceprint/faceprint/internal/app"
	"github.com/faceprint/faceprint/internal/config"
	"github.com/faceprint/faceprint/internal/plan"
)

func init() { register(newServeCmd) }

func newServeCmd(env *Env) *cobra.Command {
	var cfgFile, addr, db, publicURL, tlsCert, tlsKey, logLevel string
	var demo bool
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the server: Baidu-compatible API, H5 pages and media on one port",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := config.Defaults()
			if cfgFile != "" {
				if err := cfg.LoadFile(cfgFile); err != nil {
					return err
				}
			}
			cfg.LoadEnv()
			fl := cmd.Flags()
			root := cmd.Root().PersistentFlags()
			if root.Changed("data-dir") || os.Getenv("FACEPRINT_DATA_DIR") != "" || cfgFile == "" {
				cfg.DataDir = env.DataDir
			}
			if root.Changed("models-dir") || os.Getenv("FACEPRINT_MODELS_DIR") != "" || cfgFile == "" {
				cfg.ModelsDir = env.ModelsDir
			}
			for flag, dst := range map[string]*string{"addr": &cfg.Addr, "db": &cfg.DB, "public-url": &cfg.PublicURL,
				"tls-cert": &cfg.TLSCert, "tls-key": &cfg.TLSKey, "log-level": &cfg.LogLevel} {
				if fl.Changed(flag) {
					*dst = map[string]string{"addr": addr, "db": db, "public-url": publicURL, "tls-cert": tlsCert, "tls-key": tlsKey, "log-level": logLevel}[flag]
				}
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			a, err := app.New(ctx, cfg, app.Options{})
			if err != nil {
				return err
			}
			defer a.Close()
			return a.Run(ctx, func(bound string) {
				a.Log.Info("faceprint listening", "addr", bound, "public_url", a.Config.PublicURL, "engines", a.API.Ready())
				if demo {
					if err := printDemo(ctx, env, a); err != nil {
						a.Log.Error("demo", "err", err)
					}
				} else {
					printFirstRunHint(ctx, env, a)
				}
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&cfgFile, "config", os.Getenv("FACEPRINT_CONFIG"), "YAML config file (see docs/config.example.yaml)")
	fl.StringVar(&addr, "addr", "", "listen address (default 127.0.0.1:8080, env FACEPRINT_ADDR)")
	fl.StringVar(&db, "db", "", "postgres://… to use PostgreSQL instead of the embedded SQLite (env FACEPRINT_DB)")
	fl.StringVar(&publicURL, "public-url", "", "base URL users reach this server at (default http://ADDR)")
	fl.StringVar(&tlsCert, "tls-cert", "", "TLS certificate file")
	fl.StringVar(&tlsKey, "tls-key", "", "TLS key file")
	fl.StringVar(&logLevel, "log-level", "", "debug, info, warn, error")
	fl.BoolVar(&demo, "demo", false, "create a demo app and plan (once) and print a ready H5 link")
	return cmd
}

func printFirstRunHint(ctx context.Context, env *Env, a *app.App) {
	apps, err := a.Store.ListApps(ctx)
	if err != nil || len(apps) > 0 {
		return
	}
	fmt.Fprintf(env.Stderr, "\nNo apps yet. Create one (and a plan) with:\n  faceprint app create --data-dir %s --name myapp\n  faceprint plan create --data-dir %s --app APP_ID --name default\nor run `faceprint serve --demo` for a ready H5 link.\n\n", a.Config.DataDir, a.Config.DataDir)
}

// demoState is kept in DATA_DIR/demo.json so a second --demo run reuses the app.
type demoState struct {
	AppID     string `json:"app_id"`
	APIKey    string `json:"api_key"`
	SecretKey string `json:"secret_key"`
	PlanID    string `json:"plan_id"`
}

func printDemo(ctx context.Context, env *Env, a *app.App) error {
	path := filepath.Join(a.Config.DataDir, "demo.json")
	var d demoState
	if b, err := os.ReadFile(path); err == nil {
		_ = json.Unmarshal(b, &d)
	}
	if _, err := a.Store.GetApp(ctx, d.AppID); d.AppID == "" || err != nil {
		n, err := a.Admin.CreateApp(ctx, "demo", "demo", 0)
		if err != nil {
			return err
		}
		o := plan.Defaults()
		o.Title = "faceprint 演示"
		p, err := a.Admin.CreatePlan(ctx, "demo", n.AppID, "demo", o)
		if err != nil {
			return err
		}
		d = demoState{AppID: n.AppID, APIKey: n.APIKey, SecretKey: n.SecretKey, PlanID: p.ID}
		b, _ := json.MarshalIndent(d, "", "  ")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			return err
		}
	}
	tok, err := a.Verify.Generate(ctx, d.AppID, d.PlanID, "", "")
	if err != nil {
		return err
	}
	link := a.Config.PublicURL + "/face/print/?token=" + url.QueryEscape(tok)
	fmt.Fprintf(env.Stdout, "\nfaceprint demo\n  app_id %s  api_key %s  secret_key %s  plan_id %s\n  verify_token %s\n\n  Open the H5 flow (valid 2 h): %s\n\n  Then read the result:\n  TOKEN=$(curl -s \"%s/oauth/2.0/token?grant_type=client_credentials&client_id=%s&client_secret=%s\" | sed 's/.*\"access_token\":\"\\([^\"]*\\)\".*/\\1/')\n  curl -s -X POST \"%s/rpc/2.0/brain/solution/faceprint/result/detail?access_token=$TOKEN\" -d '{\"verify_token\":\"%s\"}'\n\n",
		d.AppID, d.APIKey, d.SecretKey, d.PlanID, tok, link, a.Config.PublicURL, d.APIKey, d.SecretKey, a.Config.PublicURL, tok)
	if st := a.API.Ready(); st["face"] != "ok" || st["idcard"] != "ok" {
		fmt.Fprintf(env.Stdout, "  Note: engines %v — run scripts/fetch-models.sh (make run does) for OCR and liveness.\n\n", st)
	}
	return nil
}
