package cli

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/faceprint/faceprint/internal/api/alibaba"
	"github.com/faceprint/faceprint/internal/app"
	"github.com/faceprint/faceprint/internal/config"
)

// newAlibabaCredsCmd is `app alibaba-credentials APP_ID`: the app's Alibaba
// Cloud AccessKeyId/AccessKeySecret and its plans (SceneId = plan id). The pair is
// derived from the server's signing key, so this runs where that key is
// (the data dir or FACEPRINT_SIGNING_KEY); the admin API has no route for
// it, so --server is refused rather than answered from another key.
func newAlibabaCredsCmd(env *Env, f *adminFlags) *cobra.Command {
	return &cobra.Command{Use: "alibaba-credentials APP_ID", Short: "Show the app's Alibaba Cloud 实人认证 AccessKeyId/AccessKeySecret and SceneIds (= plan ids; change with rotate-secret)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.server != "" {
				return errors.New("alibaba-credentials runs locally only (where the server's data dir or FACEPRINT_SIGNING_KEY is), not through --server")
			}
			cfg := config.Defaults()
			if f.config != "" {
				if err := cfg.LoadFile(f.config); err != nil {
					return err
				}
			}
			cfg.LoadEnv()
			cfg.DataDir = env.DataDir
			key, err := app.ReadSigningKey(cfg)
			if err != nil {
				return errors.New("alibaba credentials unavailable: the signing key is not readable (run where the server's data dir or FACEPRINT_SIGNING_KEY is)")
			}
			return withAdmin(env, f, cmd, func(ops adminOps) error {
				l, ok := ops.(*localAdmin)
				if !ok {
					return errors.New("alibaba-credentials needs the local data dir")
				}
				a, err := l.st.GetApp(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				plans, err := l.st.ListPlans(cmd.Context(), a.ID)
				if err != nil {
					return err
				}
				var ids []string
				for _, p := range plans {
					if !p.Disabled {
						ids = append(ids, p.ID)
					}
				}
				return env.PrintJSON(alibaba.CredentialsView(alibaba.Keyring{Key: alibaba.KeyFromSigningKey(key)}, a.ID, a.Generation, ids))
			})
		}}
}
